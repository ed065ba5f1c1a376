"""Explain a page: read a stored scan again and draw what the reader saw.

`explain_page` re-reads one page's image bytes exactly as ingest does
(`pipeline.reading.page.read_scan`, same layout and thresholds) and draws, in
colour on the page:

- the registration marks ArUco found (green, with their ids) and where the
  fitted homography puts the printed ones (blue): the two should coincide;
- the QR code's square through the homography (magenta);
- every box's printed outline through the homography, coloured by its class
  under the campaign's rule (green mark, orange faint or short, grey empty),
  the zone its ink is measured in (box + 1.9 mm, thin), and its numbers:
  fill, ink (mm²) and extent (mm);
- each row's decision at the right of the row (vote and level, blank,
  overvote, review) with the reason under it;
- scanner streaks (red) and the page's doubts and status in a header.

A page that was refused is drawn with whatever was found (the marks) and
the refusal's reason. The words a person reads are Vietnamese, as on the web
station (`pipeline.domain.wording`): the page's status, each row's person and
decision, the machine's reasons (`pipeline.domain.wording.words`); the
measurements keep their short technical labels. Text is drawn by Pillow in
the ballot's own font (Liberation Serif, bundled), all of it at the end in
one pass over the image.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from omr.decide import FAINT, MARK, MarkRule, classify_box
from omr.faults import ALONG_COLUMNS, find_streaks
from omr.geometry import Rect
from omr.lighting import even_light
from omr.registration import DEFAULT_PARAMS, estimate_px_per_mm, find_markers
from omr.scoring import ink_black_level, score_boxes
from omr.transform import Registration
from pipeline.documents.ballot_pdf import printed_pages
from pipeline.documents.typography import FONT_DIR
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.layout import BallotLayout
from pipeline.domain.wording import t, words
from pipeline.reading.page import Reading, decode_page, read_pixels
from pipeline.reading.printed import references
from pipeline.store.workspace import Workspace

# BGR
_GREEN = (40, 160, 40)
_BLUE = (200, 90, 20)
_ORANGE = (0, 140, 255)
_GREY = (150, 150, 150)
_RED = (30, 30, 220)
_MAGENTA = (200, 40, 200)
_OUTCOME = {"vote": _GREEN, "blank": _GREY, "overvote": _BLUE, "review": _ORANGE}
_SURROUND_MM = 1.9


def explain_page(data: bytes, layout: BallotLayout, thresholds: MarkRule) -> np.ndarray:
    """The page ``data`` (encoded image bytes) annotated: uint8 BGR (H, W, 3).

    Drawn at the image's own resolution, reduced to at most 12 px/mm.

    Raises
    ------
    ValueError
        The bytes do not decode to an image.
    """
    gray = decode_page(data)
    if isinstance(gray, Reading):
        raise ValueError(gray.reason)
    reading = read_pixels(gray, layout, thresholds)
    est = estimate_px_per_mm(gray.shape, layout.frame.page_size_mm)
    f = min(1.0, 12.0 / est)
    canvas = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    if f < 1.0:
        canvas = cv2.resize(canvas, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    # faded, so the drawing stands out
    canvas = cv2.addWeighted(canvas, 0.55, np.full_like(canvas, 255), 0.45, 0)
    lw = max(1, round(0.25 * est * f))
    labels: list[_Label] = []
    scale = min(1.0, DEFAULT_PARAMS.detect_px_per_mm / est)
    found: dict[int, np.ndarray] = {}
    for search in (("corners", scale), ("whole", scale), ("whole", min(1.0, 2 * scale))):
        seen, _, _ = find_markers(gray, layout.frame, est, DEFAULT_PARAMS, (search,))
        if len(seen) > len(found):
            found = seen
        if len(found) == len(layout.frame.markers):
            break
    for marker_id, corners in found.items():
        pts = corners * f
        _poly(canvas, pts, _GREEN, lw)
        _text(labels, f"id {marker_id}", pts[0] + (0, -6 * lw), _GREEN, lw)
    status = t(f"status_{reading.status}")
    header = [status + (f": {words(reading.reasons)}" if reading.reasons else "")]
    if reading.homography is not None:
        reg = Registration(tuple(tuple(r) for r in reading.homography),  # type: ignore[arg-type]
                           reading.quarter_turns or 0, reading.px_per_mm or 0.0,
                           reading.residual_mm or 0.0, len(found))
        header.append(f"{len(found)} dấu định vị, lệch {reading.residual_mm:.3f} mm, "
                      f"{reading.px_per_mm:.2f} px/mm, xoay {reading.quarter_turns} × 90°"
                      .replace(".", ","))
        _draw_placed(canvas, labels, gray, reg, layout, thresholds, reading, f, lw)
    header += [f"nghi vấn: {words(d)}" for d in reading.doubts]
    y = 14 * lw
    for line in header:
        for part in _wrap(line, 110):
            _text(labels, part, (6 * lw, y), (0, 0, 0), lw, scale=1.2)
            y += 12 * lw
    return _draw_labels(canvas, labels)


def write_explained_page(data: bytes, layout: BallotLayout, thresholds: MarkRule,
                         out: Path | str) -> Path:
    """`explain_page` written to ``out`` as PNG; returns the path."""
    ok, buf = cv2.imencode(".png", explain_page(data, layout, thresholds))
    if not ok:
        raise ValueError("the annotated page could not be encoded as PNG")
    target = Path(out)
    target.write_bytes(buf.tobytes())
    return target


def _draw_placed(canvas: np.ndarray, labels: list[_Label], gray: np.ndarray, reg: Registration,
                 layout: BallotLayout, thresholds: MarkRule, reading: Reading, f: float,
                 lw: int) -> None:
    """Frame, QR square, boxes with their numbers, row decisions and streaks."""
    frame = layout.frame

    def poly(rect_pts: np.ndarray) -> np.ndarray:
        return reg.to_image(rect_pts) * f

    def corners(r: Rect) -> np.ndarray:
        return np.array([[r.x, r.y], [r.x + r.w, r.y], [r.x + r.w, r.y + r.h], [r.x, r.y + r.h]])

    for m in frame.markers:
        _poly(canvas, poly(corners(m.square)), _BLUE, max(1, lw // 2))
    _poly(canvas, poly(corners(frame.qr)), _MAGENTA, lw)
    if reading.ballot_page is None:
        return
    page = layout.page(reading.ballot_page)
    template = page.template
    levelled = even_light(gray, reg, frame)
    scores = score_boxes(levelled, reg, template, shaded=levelled is not gray)
    by_candidate = {r.candidate: r for r in reading.rows}
    for cand, rs in zip(page.candidates, scores, strict=True):
        spec = next(s for s in template.rows if s.row == rs.row)
        for b, box in enumerate(spec.boxes):
            kind = classify_box(rs.fills[b], rs.inks[b], rs.extents[b], thresholds)
            colour = _GREEN if kind == MARK else _ORANGE if kind == FAINT else _GREY
            _poly(canvas, poly(corners(box)), colour, lw if kind != "empty" else max(1, lw // 2))
            _poly(canvas, poly(corners(box.inset(-_SURROUND_MM))), colour, 1)
            label = f"f{rs.fills[b]:.2f} i{rs.inks[b]:.2f} e{rs.extents[b]:.1f}"
            at = poly(np.array([[box.x - _SURROUND_MM, box.y + box.h + _SURROUND_MM + 1.6]]))[0]
            _text(labels, label, at, colour, lw, scale=0.9)
        row = by_candidate.get(cand.stt)
        if row is None:
            continue
        what = t(row.level) if row.outcome == "vote" and row.level else t(f"outcome_{row.outcome}")
        end = poly(np.array([[spec.band.x + spec.band.w + 2, spec.band.y + 0.4 * spec.band.h]]))[0]
        colour = _OUTCOME.get(row.outcome, _RED)
        _text(labels, f"{cand.stt}. {cand.name}: {what}", end, colour, lw, scale=1.1)
        if row.reasons:
            for i, part in enumerate(_wrap(words(row.reasons), 40)[:3]):
                _text(labels, part, np.add(end, (0, (10 + 8 * i) * lw)), colour, lw, scale=0.8)
    black = ink_black_level(gray, reg, frame)
    for s in find_streaks(gray, reg, template, black):
        p = s.position_px * f
        h, w = canvas.shape[:2]
        a, b = ((p, 0), (p, h)) if s.along == ALONG_COLUMNS else ((0, p), (w, p))
        cv2.line(canvas, _pt(a), _pt(b), _RED, max(1, lw // 2), cv2.LINE_AA)


def _pt(p: tuple[float, float] | np.ndarray) -> tuple[int, int]:
    return (round(float(p[0])), round(float(p[1])))


def _poly(canvas: np.ndarray, pts: np.ndarray, colour: tuple[int, int, int], lw: int) -> None:
    cv2.polylines(canvas, [np.round(pts).astype(np.int32).reshape(-1, 1, 2)], True, colour, lw,
                  cv2.LINE_AA)


@dataclass(frozen=True)
class _Label:
    text: str
    at: tuple[int, int]  # the start of its baseline, px
    colour: tuple[int, int, int]  # BGR
    size: int  # px a line


def _text(labels: list[_Label], text: str, at: tuple[float, float] | np.ndarray,
          colour: tuple[int, int, int], lw: int, scale: float = 1.0) -> None:
    """Queue ``text`` to be drawn from ``at`` on its baseline, ``scale`` times the usual size
    for lines ``lw`` px wide."""
    labels.append(_Label(text, _pt(at), colour, max(8, round(7.5 * lw * scale))))


def _draw_labels(canvas: np.ndarray, labels: list[_Label]) -> np.ndarray:
    """``canvas`` (BGR) with every label drawn, in one pass through Pillow."""
    image = Image.fromarray(np.ascontiguousarray(canvas[:, :, ::-1]))
    draw = ImageDraw.Draw(image)
    for label in labels:
        # a white rim keeps the words legible on a photo's dark background or a shadow
        draw.text(label.at, label.text, fill=label.colour[::-1], font=_font(label.size),
                  anchor="ls", stroke_width=max(1, label.size // 12), stroke_fill=(255, 255, 255))
    return np.ascontiguousarray(np.asarray(image)[:, :, ::-1])


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / "LiberationSerif-Regular.ttf"), size)


def _wrap(text: str, width: int) -> list[str]:
    """Break ``text`` into lines of at most about ``width`` characters at spaces."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + ([line] if line else [])


def explain_stored_page(workspace: Workspace, page_id: int, out: Path | str) -> Path:
    """`write_explained_page` for page ``page_id`` of a workspace's store.

    Raises
    ------
    KiemphieuError
        No such page, or its stored image is missing or damaged.
    """
    page = workspace.store.page(page_id)
    path = page["image_path"] if page else None
    if path is None:
        raise KiemphieuError(f"no page {page_id} in this workspace (page ids are in "
                             "the web station's ballot browser and review queue)")
    image = workspace.path / path
    if not image.is_file():
        raise KiemphieuError(f"the stored image of page {page_id} is missing: {image}")
    references(workspace.layout, render=printed_pages,  # the scan's printed pages
               kept_in=workspace.printed_dir)
    try:
        return write_explained_page(image.read_bytes(), workspace.layout,
                                    workspace.campaign.thresholds, out)
    except ValueError as exc:  # the stored image damaged since it was scanned
        raise KiemphieuError(f"page {page_id}'s stored image {image}: {exc}") from None
