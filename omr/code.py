"""Stage 2: read the page's QR code (campaign, layout fingerprint, page number).

The page is already placed (`omr.registration`), so the code's square is
known: it is cut out and rectified with the homography into a small upright
patch (``decode_px_per_mm``, 8 px/mm puts about 4-5 px in each module) and
given to zxing-cpp, which reads it in under a millisecond. If that fails
(blur, a 1-bit scan's ragged edges, a stain), the reader tries the same square
at the image's own resolution, then the whole image, and accepts a code found
there only if it lies where the frame prints it; last, the square with modules
a 1-bit threshold broke into dots made whole again (faded toner). What the text means is the
caller's business (`pipeline.domain.layout.parse_code`); this stage returns it as
read.

Fails with `CodeUnreadable` when no attempt yields exactly one code.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

from omr.errors import CodeUnreadable
from omr.faults import ALONG_COLUMNS, Streak
from omr.geometry import PageFrame, Rect
from omr.reasons import (
    CODE_NAMED_FADED,
    CODE_NAMED_PAST_STREAK,
    CODE_UNREADABLE,
    CODES_DIFFER,
    Reason,
)
from omr.transform import Registration, rectify


@dataclass(frozen=True)
class CodeParams:
    """Tunable constants of code reading.

    Attributes
    ----------
    decode_px_per_mm
        Resolution (px/mm) of the rectified patch tried first.
    margin_mm
        How far (mm) beyond the printed square (which includes the quiet
        zone) the patch reaches, for misregistration.
    place_tolerance_mm
        How far (mm) outside the printed square the centre of a code found in
        a fallback search may lie and still count as the page's code.
    match_min_alike
        `match_page_code`: the share of the visible modules that must agree
        with a printed symbol. The page's own symbol agrees on 0.997-0.999
        of them beside a 1-1.4 mm streak; the campaign's other page on
        0.61-0.66, and a code one character apart (the same mask, most
        codewords alike) on 0.86.
    match_max_other
        `match_page_code`: no other printed symbol may agree on this share or
        more (the match must be the only one).
    match_min_visible
        `match_page_code`: the share of the modules that must lie clear of
        the streaks (a 1.4 mm streak across a 17 mm symbol hides about 0.15).
    rejoin_mm, rejoin_window_mm, rejoin_offset
        The last attempt (`_rejoined`): modules a 1-bit scan broke into dots
        blurred over ``rejoin_mm`` (about a third of a 0.65 mm module) and cut
        against the mean of ``rejoin_window_mm`` round them, less
        ``rejoin_offset`` grey levels.
    faded_dark, faded_light, faded_light_beside, faded_min_seen
        `match_faded_code`: a module is seen dark at ``faded_dark`` of the way
        from the paper to black or more; seen light below ``faded_light`` when
        a module beside it is ``faded_light_beside`` dark (the print is there);
        at least ``faded_min_seen`` of the modules must be seen. Its printed
        symbol agrees on 0.993-1 of them on faded 1-bit pages showing
        0.17-1 of their modules, the campaign's other page on at most 0.79.
    """

    decode_px_per_mm: float = 8.0
    margin_mm: float = 2.0
    place_tolerance_mm: float = 4.0
    match_min_alike: float = 0.98
    match_max_other: float = 0.9
    match_min_visible: float = 0.6
    rejoin_mm: float = 0.2
    rejoin_window_mm: float = 2.0
    rejoin_offset: float = 2.0
    faded_dark: float = 0.25
    faded_light: float = 0.125
    faded_light_beside: float = 0.75
    faded_min_seen: float = 0.3


@dataclass(frozen=True)
class CodeMatch:
    """A printed symbol named by `match_page_code`: its text, and on how many of the
    modules clear of the streaks (``visible``) the scan agrees with it (``alike``)."""

    text: str
    alike: int
    visible: int

    faded: bool = False

    def reason(self) -> Reason:
        """The page's doubt: how its code was named."""
        if self.faded:
            return CODE_NAMED_FADED(alike=self.alike, visible=self.visible)
        return CODE_NAMED_PAST_STREAK(alike=self.alike, visible=self.visible)


DEFAULT_PARAMS = CodeParams()


def decode_page_code(
    gray: np.ndarray,
    registration: Registration,
    frame: PageFrame,
    params: CodeParams = DEFAULT_PARAMS,
) -> str:
    """The text of the page's QR code.

    Parameters
    ----------
    gray
        The image `register_page` placed, uint8, shape (H, W).
    registration
        Where the page lies in ``gray``.
    frame
        Where the QR code is printed (``frame.qr``, mm, quiet zone included).

    Returns
    -------
    str
        The code's text, as read.

    Raises
    ------
    CodeUnreadable
        No attempt read a code, or two different codes were read where the
        page's code should be.
    """
    region = frame.qr.inset(-params.margin_mm)
    k = max(params.decode_px_per_mm, registration.px_per_mm / 2)
    patch = functools.cache(lambda: rectify(gray, registration, region, k))  # tried twice
    attempts = (
        lambda: _read(patch()),
        lambda: _read(rectify(gray, registration, region, registration.px_per_mm)),
        lambda: _read_in_place(gray, registration, frame.qr, params, region),
        lambda: _read_in_place(gray, registration, frame.qr, params, None),
        lambda: _read(_rejoined(patch(), k, params)),
    )
    seen: set[str] = set()
    for attempt in attempts:
        texts = attempt()
        if len(texts) == 1:
            return texts[0]
        seen.update(texts)
    if len(seen) > 1:
        raise CodeUnreadable(CODES_DIFFER(count=len(seen)))
    raise CodeUnreadable(CODE_UNREADABLE())


def match_page_code(
    gray: np.ndarray,
    registration: Registration,
    symbol: Rect,
    printed: Mapping[str, np.ndarray],
    streaks: Sequence[Streak],
    params: CodeParams = DEFAULT_PARAMS,
) -> CodeMatch | None:
    """Which of the ``printed`` symbols is the one in ``symbol``, judged beside the streaks.

    Each module's middle (the inner two thirds of its side) is averaged on the
    symbol rectified through the registration; modules within a streak's
    half-width (plus three quarters of a module) are left out; the rest are
    dark or light by Otsu's threshold over them, and compared module by
    module with each printed symbol of the same size.

    Parameters
    ----------
    gray
        The image `register_page` placed, uint8, shape (H, W).
    registration
        Where the page lies in ``gray``.
    symbol
        The printed QR symbol's square (mm, quiet zone excluded).
    printed
        Each code text the page may hold, with its symbol's dark modules
        (bool, (n, n)), as the ballot prints them.
    streaks
        The scanner streaks found on the page (`omr.faults.find_streaks`).

    Returns
    -------
    CodeMatch or None
        The one printed symbol agreeing on at least ``match_min_alike`` of the
        visible modules while every other agrees on less than
        ``match_max_other``; None if there is no such symbol, or too few
        modules are visible.
    """
    scores: list[tuple[float, int, int, str]] = []
    sampled: dict[int, tuple[np.ndarray, np.ndarray] | None] = {}
    for text, modules in printed.items():
        n = modules.shape[0]
        if n not in sampled:
            sampled[n] = _sample_modules(gray, registration, symbol, n, streaks, params)
        if sampled[n] is None:
            continue
        dark, visible = sampled[n]
        alike = int((dark == modules)[visible].sum())
        count = int(visible.sum())
        scores.append((alike / count, alike, count, text))
    return _the_one(scores, params)


def match_faded_code(
    gray: np.ndarray,
    registration: Registration,
    symbol: Rect,
    printed: Mapping[str, np.ndarray],
    black: float,
    params: CodeParams = DEFAULT_PARAMS,
) -> CodeMatch | None:
    """Which of the ``printed`` symbols is the one in ``symbol``, judged on the modules
    whose print can be seen.

    Faded toner cut by a 1-bit scanner's one threshold erases part of a symbol, or
    leaves it in dots, so that zxing finds no code; where the print survives, its
    modules are plain. Each module's middle is averaged (as `match_page_code` does) and
    taken as darkness from the paper (the 90th percentile of the modules) to ``black``:
    a module at ``faded_dark`` or more is seen dark (ink on paper is print, or a
    voter's, which no printed symbol explains either); one below ``faded_light`` is
    seen light only beside a module ``faded_light_beside`` dark, where the print is
    plainly there. The rest are not seen: paper where print faded away looks like a
    light module. The one printed symbol agreeing on at least ``match_min_alike`` of the
    seen modules, every other on less than ``match_max_other``, names the page; None if
    there is none, or fewer than ``faded_min_seen`` of the modules are seen.
    """
    scores: list[tuple[float, int, int, str]] = []
    levels: dict[int, np.ndarray | None] = {}
    for text, modules in printed.items():
        n = modules.shape[0]
        if n not in levels:
            levels[n] = _module_levels(gray, registration, symbol, n)
        level = levels[n]
        if level is None:
            continue
        seen_dark, seen_light = _seen_modules(level, black, params)
        count = int(seen_dark.sum() + seen_light.sum())
        if count < params.faded_min_seen * n * n:
            continue
        alike = int((seen_dark & modules).sum() + (seen_light & ~modules).sum())
        scores.append((alike / count, alike, count, text))
    return _the_one(scores, params, faded=True)


def _the_one(scores: list[tuple[float, int, int, str]], params: CodeParams, *,
             faded: bool = False) -> CodeMatch | None:
    """The symbol of ``scores`` (share alike, alike, compared, text) that agrees on
    ``match_min_alike`` while every other agrees on less than ``match_max_other``."""
    scores = sorted(scores, reverse=True)
    if not scores or scores[0][0] < params.match_min_alike:
        return None
    if len(scores) > 1 and scores[1][0] >= params.match_max_other:
        return None
    _, alike, count, text = scores[0]
    return CodeMatch(text, alike, count, faded=faded)


def _seen_modules(level: np.ndarray, black: float, params: CodeParams
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The modules (bool, (n, n)) seen dark and seen light, as `match_faded_code` says."""
    paper = float(np.percentile(level, 90))
    dark = (paper - level) / max(paper - black, 1.0)
    beside = cv2.dilate(dark, np.ones((3, 3), np.uint8))
    return dark >= params.faded_dark, \
        (dark < params.faded_light) & (beside >= params.faded_light_beside)


def code_seen_share(gray: np.ndarray, registration: Registration, symbol: Rect, n: int,
                    black: float, params: CodeParams = DEFAULT_PARAMS) -> float:
    """The share of an (n, n) symbol's modules whose print can be seen, as
    `match_faded_code` judges them: under ``faded_min_seen``, too little of the code is
    left to say which it is, or which it is not."""
    level = _module_levels(gray, registration, symbol, n)
    if level is None:
        return 0.0
    seen_dark, seen_light = _seen_modules(level, black, params)
    return float((seen_dark | seen_light).mean())


def _module_levels(gray: np.ndarray, registration: Registration, symbol: Rect, n: int
                   ) -> np.ndarray | None:
    """The mean grey (float32, (n, n)) of each module's middle (its inner two thirds)."""
    s = 6  # px a module side
    patch = rectify(gray, registration, symbol, s / (symbol.w / n))
    if patch.shape != (n * s, n * s):
        return None
    return patch.reshape(n, s, n, s)[:, 1:-1, :, 1:-1].mean(axis=(1, 3), dtype=np.float32)


def _sample_modules(gray: np.ndarray, registration: Registration, symbol: Rect, n: int,
                    streaks: Sequence[Streak], params: CodeParams
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    """The (n, n) modules of ``symbol``: dark (bool) and visible (clear of the streaks)."""
    level = _module_levels(gray, registration, symbol, n)
    if level is None:
        return None
    m = symbol.w / n
    cols, rows = np.meshgrid(np.arange(n), np.arange(n))
    centres = registration.to_image(np.stack(
        [symbol.x + (cols + 0.5) * m, symbol.y + (rows + 0.5) * m], axis=-1).reshape(-1, 2))
    visible = np.ones(n * n, bool)
    for st in streaks:
        at = centres[:, 0] if st.along == ALONG_COLUMNS else centres[:, 1]
        reach = (st.width_mm / 2 + 0.75 * m) * registration.px_per_mm
        visible &= np.abs(at - st.position_px) > reach
    visible = visible.reshape(n, n)
    if visible.sum() < params.match_min_visible * n * n:
        return None
    seen = np.clip(level[visible] + 0.5, 0, 255).astype(np.uint8).reshape(1, -1)
    threshold, _ = cv2.threshold(seen, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return level <= threshold, visible


def _rejoined(patch: np.ndarray, px_per_mm: float, params: CodeParams) -> np.ndarray:
    """The code's patch with modules a 1-bit scan broke into dots made whole again: pale
    print near the scanner's threshold comes out as scattered dots, which zxing reads as
    light. Averaged over ``rejoin_mm`` (a third of a module) the dots are a grey darker
    than the paper round them, and each pixel is cut against the mean of its
    ``rejoin_window_mm`` (three modules): a module of dots is dark, one of paper light."""
    if patch.size == 0:
        return patch
    soft = cv2.GaussianBlur(patch, (0, 0), params.rejoin_mm * px_per_mm)
    side = max(3, 2 * round(params.rejoin_window_mm * px_per_mm / 2) + 1)
    return cv2.adaptiveThreshold(soft, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY,
                                 side, params.rejoin_offset)


def _read(img: np.ndarray) -> list[str]:
    return sorted({b.text for b in _barcodes(img)})


def _barcodes(img: np.ndarray) -> list[zxingcpp.Barcode]:
    if img.size == 0:
        return []
    return [b for b in zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode) if b.valid]


def _read_in_place(
    gray: np.ndarray,
    registration: Registration,
    qr: Rect,
    params: CodeParams,
    window_mm: Rect | None,
) -> list[str]:
    """Codes found in a window of the image (all of it if None) whose centre
    maps back into the printed square, within ``place_tolerance_mm``."""
    x0 = y0 = 0
    img = gray
    if window_mm is not None:
        corners = registration.to_image(np.array(window_mm.inset(-2.0).corners()))
        h, w = gray.shape
        x0, y0 = (max(0, int(v)) for v in corners.min(axis=0))
        x1, y1 = int(min(w, corners[:, 0].max() + 1)), int(min(h, corners[:, 1].max() + 1))
        img = gray[y0:y1, x0:x1]
    inverse = np.linalg.inv(registration.matrix())
    allowed = qr.inset(-params.place_tolerance_mm)
    texts = set()
    for b in _barcodes(img):
        p = b.position
        pts = [(q.x + x0, q.y + y0) for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]
        cx, cy = np.mean(pts, axis=0)
        u, v, s = inverse @ np.array([cx, cy, 1.0])
        inside_x = allowed.x <= u / s <= allowed.x + allowed.w
        inside_y = allowed.y <= v / s <= allowed.y + allowed.h
        if inside_x and inside_y:
            texts.add(b.text)
    return sorted(texts)


def code_corners_mm(
    gray: np.ndarray,
    registration: Registration,
    frame: PageFrame,
    params: CodeParams = DEFAULT_PARAMS,
) -> np.ndarray | None:
    """Where the QR symbol's four corners lie on the page, as this registration sees them.

    The code's square is rectified through the homography (as for reading
    it) and zxing locates the symbol in it independently of the marks; its
    corners (top-left, top-right, bottom-right, bottom-left of the symbol,
    quiet zone excluded) are returned in page mm, float64 (4, 2). A correct
    fit puts them on an upright square centred in ``frame.qr``. None if no
    code is found.
    """
    region = frame.qr.inset(-params.margin_mm)
    k = max(params.decode_px_per_mm, registration.px_per_mm / 2)
    patch = rectify(gray, registration, region, k)
    found = _barcodes(patch)
    if len(found) != 1:
        return None
    p = found[0].position
    px = np.array([(q.x, q.y) for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)],
                  dtype=np.float64)
    return px / k + (region.x, region.y)


def code_black_level(gray: np.ndarray, registration: Registration, symbol: Rect) -> float:
    """Grey level (0-255) of the printer's black read from the QR symbol (``symbol``, mm,
    quiet zone excluded): for a page none of whose marks is in the image, whose black
    `omr.scoring.ink_black_level` cannot read. About half the modules are black and each
    is five pixels wide at 8 px/mm: the 15th percentile lies inside them."""
    patch = rectify(gray, registration, symbol, 8.0)
    return float(np.percentile(patch, 15))
