"""Scanner faults that would otherwise read as marks: streaks from dirty glass.

A speck of dirt or a scratch on a document scanner's glass draws a dark,
straight line through the whole scan, along the sheet's travel (image
columns) or, on a flatbed, across it. Where it runs through a column of
boxes every box in that column holds a long straight stroke, which the box
rule would count as a mark: a wrong vote on every row. `find_streaks` finds
such lines from the image alone and names the boxes they cross, so the
rows go to a person with the reason instead of being counted.

What tells a streak from print: it is straight along an image axis (the
scanner's, not the page's, which is skewed) and dark over nearly the whole
length of the page, margins included. Nothing printed on a ballot is: the
table's rules stop at the table (at most about 80 % of the page's length,
90 % of its width), its text is broken.

Method: the page's inner bounding box (where the page covers the image
whatever its skew) is averaged in strips ``strip_mm`` long along the line's
direction (INTER_AREA, which keeps a line along that direction as dark as
it is and washes text out); each image column (row) is dark where it is
``min_darkness`` of the way from paper to the printer's black; a column
(row) dark over ``min_cover`` of the strips is a streak; neighbours merge.

Cost: the columns (rows) are first judged on 16 strips spread along them;
only the few that are dark in enough of those to reach ``min_cover`` (a
rule of the table, a streak) are measured over every strip, with the same
result as measuring all. About 0.6 ms on a 300-dpi page (1.2 ms for all
strips); on 849 simulated pages, 371 of them streaked, the same streaks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from omr.geometry import PageFrame, PageTemplate, Rect
from omr.lighting import is_bitonal
from omr.pixels import grey_percentile
from omr.reasons import SCANNER_STREAK, STRUCK_NAME, THROUGH_ROW, THROUGH_ROWS, Reason
from omr.transform import Registration, rectify

ALONG_COLUMNS = "columns"
ALONG_ROWS = "rows"


@dataclass(frozen=True)
class StreakParams:
    """Tunable constants of streak finding (lengths in mm on the page).

    Attributes
    ----------
    strip_mm
        Length (mm) of the strips averaged along a candidate line.
    sample_mm
        Within a strip, one pixel row (column) in this many mm is read.
    min_darkness
        Share of the way from paper to black from which a strip is dark
        (a streak that light is about where the box ramp starts counting ink).
    min_cover
        Share of the strips along the page that must be dark. A printed rule
        covers at most 0.92 of the inner page (the table's row rules across
        it); a streak covers all of it, less where it crosses white.
    margin_mm
        Left out at each end of the page's inner bounding box (a page's
        edge, scanner background).
    max_width_mm
        Wider dark bands are not streaks (a shadow, a page edge).
    surround_mm
        Around each box, the zone where a streak makes the box's ink (as
        `omr.scoring` measures it: box plus 1.9 mm).
    max_perspective_mm
        A page placed with more perspective than this
        (`Registration.perspective_mm`) is a photograph: a camera has no
        glass to draw a streak, while the table's rules, seen in
        perspective, can run along an image axis over the page's whole inner
        width (on 200 and 380 phone photos, 9 and 8 pages had rows flagged
        so, all false); no streak is looked for.
    blind_darkness, bitonal_blind_share
        A streak's column is blind (`see_through_streaks`) where it takes this share of
        the light or more; on a 1-bit scan, where it is dark on ``bitonal_blind_share``
        of the rows whose paper beside it is clear (a grey streak cut by one threshold
        for the page leaves a trail of dots, each column dark on 10-60 % of rows).
    """

    strip_mm: float = 2.0
    sample_mm: float = 1.0
    min_darkness: float = 0.2
    min_cover: float = 0.96
    margin_mm: float = 3.0
    max_width_mm: float = 4.0
    surround_mm: float = 1.9
    max_perspective_mm: float = 1.0
    blind_darkness: float = 0.7
    bitonal_blind_share: float = 0.1


DEFAULT_STREAK_PARAMS = StreakParams()


@dataclass(frozen=True)
class Streak:
    """A straight dark line through the whole scan.

    Attributes
    ----------
    along
        ``"columns"`` (vertical in the image, along the feed) or ``"rows"``.
    position_px
        Its centre: image x for ``"columns"``, image y for ``"rows"``.
    width_mm
        Its width (mm on the page).
    cover
        Share (0..1) of the page's length along which it is dark.
    boxes
        ``(row, box)`` of every box whose measured zone it crosses: the row's
        1-based `RowSpec.row` and the box's 0-based index in level order.
    blind_mm
        How wide (mm) the part of it is that nothing can be seen through
        (`see_through_streaks`; 0 until it has been looked through).
    """

    along: str
    position_px: float
    width_mm: float
    cover: float
    boxes: tuple[tuple[int, int], ...]
    blind_mm: float = 0.0

    def reason(self) -> Reason:
        """What was seen and what to do: clean the glass; the rows whose boxes it crosses."""
        rows = tuple(sorted({r for r, _ in self.boxes}))
        through = (None if not rows else THROUGH_ROW(row=rows[0]) if len(rows) == 1
                   else THROUGH_ROWS(rows=rows))
        return SCANNER_STREAK(
            width_mm=self.width_mm, along="down" if self.along == ALONG_COLUMNS else "across",
            axis="x" if self.along == ALONG_COLUMNS else "y", position_px=self.position_px,
            through=through)


def find_streaks(
    gray: np.ndarray,
    registration: Registration,
    template: PageTemplate,
    black: float,
    params: StreakParams = DEFAULT_STREAK_PARAMS,
) -> tuple[Streak, ...]:
    """Straight dark lines along an image axis through the whole page.

    Parameters
    ----------
    gray
        The placed image, uint8 (H, W), 0 = black.
    registration
        Where the page lies in it.
    template
        The page's boxes (mm), to name the boxes each streak crosses.
    black
        The printer's black (grey level), e.g. `omr.scoring.ink_black_level`.

    Returns
    -------
    tuple of Streak
        Empty for a clean scan, and for a photograph.
    """
    if registration.perspective_mm > params.max_perspective_mm:
        return ()
    pw, ph = template.frame.page_size_mm
    corners = registration.to_image(np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], float))
    xs, ys = np.sort(corners[:, 0]), np.sort(corners[:, 1])
    k = registration.px_per_mm
    m = params.margin_mm * k
    h, w = gray.shape
    x0, x1 = max(0, int(xs[1] + m)), min(w, int(xs[2] - m))
    y0, y1 = max(0, int(ys[1] + m)), min(h, int(ys[2] - m))
    step = max(1, round(params.strip_mm * k))
    if x1 - x0 < 4 * step or y1 - y0 < 4 * step:
        return ()
    inner = gray[y0:y1, x0:x1]
    sample = inner[::step, ::step]
    paper = grey_percentile(sample, 90)
    level = paper - params.min_darkness * max(paper - black, 40.0)
    out: list[Streak] = []
    zones = None
    # along the line only every ``skip``-th pixel row (column) is read: a line along
    # it is the same in all of them, and the strip still averages several
    skip = max(1, round(params.sample_mm * k))
    if is_bitonal(sample):
        # a grey streak cut by one threshold for the page is a trail of dots, wandering a
        # pixel either way: each pixel takes the darkest of its neighbours, and every
        # pixel along the line is read, so that the strips average the dots
        inner = cv2.erode(inner, np.ones((3, 3), np.uint8))
        skip = 1
    per = max(1, step // skip)
    for along in (ALONG_COLUMNS, ALONG_ROWS):
        # image columns (rows) are read across the line's direction as rows of ``lines``
        lines = inner[::skip] if along == ALONG_COLUMNS else inner[:, ::skip].T
        offset = x0 if along == ALONG_COLUMNS else y0
        cover = _strip_cover(lines, per, level, params.min_cover)
        for a, b in _runs(cover >= params.min_cover):
            width_mm = (b - a) / k
            if width_mm > params.max_width_mm:
                continue
            lo, hi = offset + a - 0.5, offset + b - 0.5
            axis = 0 if along == ALONG_COLUMNS else 1
            if zones is None:
                zones = _box_zones(registration, template, params.surround_mm)
            crossed = tuple(key for key, (zlo, zhi) in zones[axis].items()
                            if zlo <= hi and zhi >= lo)
            out.append(Streak(along, (lo + hi) / 2, round(width_mm, 2),
                              round(float(cover[a:b].max()), 3), crossed))
    return tuple(out)


def _strip_cover(lines: np.ndarray, per: int, level: float, min_cover: float,
                 sample: int = 16) -> np.ndarray:
    """Per column of ``lines`` (a view, one sampled image line a row), the share of its
    strips (``per`` rows averaged, INTER_AREA) darker than ``level``; exact wherever it
    reaches ``min_cover``, 0 elsewhere.

    Most columns are paper or print, dark in few strips: the columns are first
    judged on ``sample`` strips spread along them, and only those dark in
    enough of these that they could still reach ``min_cover`` over all strips
    are measured over all of them (a few, where a rule of the table or a
    streak runs).
    """
    n = lines.shape[0] // per  # strips along each column
    if n == 0:
        return np.zeros(lines.shape[1])

    def dark_counts(rows: np.ndarray) -> np.ndarray:
        # whole-factor reduction along the columns: OpenCV's fast path
        strips = cv2.resize(rows, (rows.shape[1], rows.shape[0] // per),
                            interpolation=cv2.INTER_AREA)
        dark = (strips < level).view(np.uint8)
        return cv2.reduce(dark, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()

    # a column reaching min_cover is dark in all but at most `spare` strips
    spare = n - math.ceil(min_cover * n - 1e-9)
    pick = np.unique(np.linspace(0, n - 1, min(sample, n)).round().astype(np.intp))
    need = pick.size - spare - 1  # one strip more than exact for rounding's sake
    cover = np.zeros(lines.shape[1])
    if need <= 0:
        cols = np.arange(lines.shape[1])
    else:
        rows = (pick[:, None] * per + np.arange(per)[None, :]).ravel()
        cols = np.flatnonzero(dark_counts(np.ascontiguousarray(lines[rows])) >= need)
        if cols.size == 0:
            return cover
    cover[cols] = dark_counts(np.ascontiguousarray(lines[: n * per, cols])) / n
    return cover


def find_streaks_unplaced(gray: np.ndarray, frame: PageFrame) -> tuple[Streak, ...]:
    """Scanner streaks on a page that could not be placed, taking the page to fill the image.

    A streak through a registration mark can hide it; the page is then refused
    for its marks, and this names the streak as the cause. Only the whole
    image is known, so no box is named.
    """
    h, w = gray.shape
    pw, ph = frame.page_size_mm
    if (w > h) != (pw > ph):  # the page lies turned a quarter in the image
        pw, ph = ph, pw
    sx, sy = w / pw, h / ph
    whole = Registration(((sx, 0.0, 0.0), (0.0, sy, 0.0), (0.0, 0.0, 1.0)), 0,
                         math.sqrt(sx * sy), 0.0, 0)
    template = PageTemplate(0, replace(frame, page_size_mm=(pw, ph)), ())
    black = grey_percentile(gray[:: max(1, h // 400), :: max(1, w // 300)], 1)
    return find_streaks(gray, whole, template, black)


def erase_streaks(gray: np.ndarray, streaks: tuple[Streak, ...], px_per_mm: float
                  ) -> np.ndarray:
    """A copy of ``gray`` with each streak's band filled in from the image beside it.

    Each pixel across the band takes the straight-line blend of the two pixels
    just outside it, on its own row (column). A registration mark a streak
    runs through keeps its edges on either side of the band: its corners can
    be found again and the fit checked as on any page (the band's own ink is
    gone, so only the placing uses this copy; everything is measured on
    ``gray``).
    """
    out = gray.copy()
    for s in streaks:
        across = out if s.along == ALONG_COLUMNS else out.T  # a view: filled in place
        n = across.shape[1]
        half = s.width_mm * px_per_mm / 2 + 1.5  # its soft edges too
        a = max(0, math.floor(s.position_px - half))
        b = min(n - 1, math.ceil(s.position_px + half))
        if a == 0 and b == n - 1:
            continue
        left = across[:, a - 1 if a > 0 else b + 1].astype(np.float32)
        right = across[:, b + 1 if b < n - 1 else a - 1].astype(np.float32)
        t = (np.arange(a, b + 1, dtype=np.float32) - (a - 1)) / (b + 1 - (a - 1))
        across[:, a : b + 1] = np.clip(left[:, None] + (right - left)[:, None] * t + 0.5,
                                       0, 255).astype(np.uint8)
    return out


def see_through_streaks(gray: np.ndarray, streaks: tuple[Streak, ...], black: float,
                        px_per_mm: float, params: StreakParams = DEFAULT_STREAK_PARAMS
                        ) -> tuple[np.ndarray, tuple[Streak, ...]]:
    """``gray`` with each streak's darkening undone, and the streaks with their blind width.

    A streak takes the same share of the light from every pixel of its image
    columns (rows). Per column of the band (its soft edges included), the
    share kept is the median, over the rows where the columns just beside
    the band are paper (``black`` tells which), of the band's pixel over
    theirs; the pixel is divided by it. Ink under the streak stays darker
    than the paper under it, so a box the streak crosses is measured as any
    other: a clear X, or an empty box, beside or under a light streak is
    still decided. Where the streak takes ``blind_darkness`` of the light or
    more, nothing under it can be told from noise: those columns take the
    lighter of the two pixels beside the band on their row (a stroke
    crossing the band goes on through it; a printed outline running along
    one side does not spread into it), and their width is the streak's
    ``blind_mm``.

    Returns
    -------
    (numpy.ndarray, tuple of Streak)
        ``gray`` itself when there is no streak.
    """
    if not streaks:
        return gray, streaks
    out = gray.copy()
    bitonal = is_bitonal(gray)
    seen = []
    for s in streaks:
        across = out if s.along == ALONG_COLUMNS else out.T  # a view: changed in place
        n = across.shape[1]
        half = s.width_mm * px_per_mm / 2 + 1.5
        a = max(1, math.floor(s.position_px - half))
        b = min(n - 2, math.ceil(s.position_px + half))
        if b < a:
            seen.append(s)
            continue
        beside = np.concatenate([across[:, max(0, a - 3):a], across[:, b + 1:b + 4]], axis=1)
        ref = beside.astype(np.float32).mean(axis=1)
        paper = grey_percentile(beside, 90)
        rows = ref >= paper - 0.25 * max(paper - black, 40.0)
        band = across[:, a:b + 1].astype(np.float32)
        if rows.sum() < 16:
            seen.append(s)
            continue
        # the share of the light each column keeps, where paper lies on both sides of it
        keep = np.clip(np.median(band[rows] / np.maximum(ref[rows, None], 1.0), axis=0),
                       0.0, 1.0)
        blind = keep <= 1.0 - params.blind_darkness
        if bitonal:  # a 1-bit column dark in more than a few of those rows is the
            # streak's trail of dots, not what lies under it
            blind |= (band[rows] < 128).mean(axis=0) >= params.bitonal_blind_share
        taken = band / np.maximum(keep, 1e-3)
        if blind.any():  # the lighter of the two sides: a stroke crossing goes on, print
            # along one side (a box's outline) does not spread into the band
            side = np.maximum(across[:, a - 1], across[:, b + 1]).astype(np.float32)
            taken[:, blind] = side[:, None]
        if bitonal:  # a 1-bit page stays 1-bit (the measures treat its pixels as such)
            taken = np.where(taken < 128, 0.0, 255.0)
        across[:, a:b + 1] = np.clip(taken + 0.5, 0, 255).astype(np.uint8)
        seen.append(replace(s, blind_mm=round(float(blind.sum()) / px_per_mm, 2)))
    return out, tuple(seen)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges [a, b) where a 1-D bool array is True."""
    d = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(),
                    strict=True))


def _box_zones(registration: Registration, template: PageTemplate, surround_mm: float
               ) -> tuple[dict[tuple[int, int], tuple[float, float]], ...]:
    """Per image axis (x, y), the pixel range each box's measured zone spans."""
    keys, pts = [], []
    for row in template.rows:
        for b, box in enumerate(row.boxes):
            r = box.inset(-surround_mm)
            keys.append((row.row, b))
            pts += [(r.x, r.y), (r.x + r.w, r.y), (r.x + r.w, r.y + r.h), (r.x, r.y + r.h)]
    if not keys:
        return {}, {}
    img = registration.to_image(np.array(pts, float)).reshape(-1, 4, 2)
    lo, hi = img.min(axis=1), img.max(axis=1)
    return tuple({key: (float(lo[i, a]), float(hi[i, a])) for i, key in enumerate(keys)}
                 for a in (0, 1))


@dataclass(frozen=True)
class WritingParams:
    """Tunable constants of finding writing outside the boxes (lengths in mm).

    Attributes
    ----------
    px_per_mm
        Resolution (px/mm) the row's text columns are rectified at.
    min_line_mm
        Shortest straight horizontal run of ink that is a line drawn through
        the row's printed text (no printed glyph or word has one).
    rule_clear_mm
        Left out along the row's top and bottom (the table's printed rules).
    box_clear_mm
        Left out before the first box (its measured zone and the cell rule).
    min_darkness
        Share of the way from paper to black from which a pixel is ink.
    max_line_mm
        Thickest (mm) a drawn line is; a wider dark area is not one.
    """

    px_per_mm: float = 4.0
    min_line_mm: float = 8.0
    rule_clear_mm: float = 1.5
    box_clear_mm: float = 3.0
    min_darkness: float = 0.4
    max_line_mm: float = 2.5


DEFAULT_WRITING_PARAMS = WritingParams()


@dataclass(frozen=True)
class Writing:
    """Ink a voter added outside the boxes, in a row's printed text.

    Attributes
    ----------
    row
        The row's 1-based `RowSpec.row`.
    length_mm
        Length of the longest straight horizontal run found (mm).
    x_mm
        Where it starts on the page (mm from the left edge).
    """

    row: int
    length_mm: float
    x_mm: float

    def reason(self) -> Reason:
        """For a review item: a name struck out?"""
        return STRUCK_NAME(row=self.row, length_mm=self.length_mm)


def find_writing(
    gray: np.ndarray,
    registration: Registration,
    template: PageTemplate,
    black: float,
    params: WritingParams = DEFAULT_WRITING_PARAMS,
) -> tuple[Writing, ...]:
    """Lines drawn through a row's printed text (left of its boxes): a name struck out.

    Each row's band, from its left end to ``box_clear_mm`` before the first
    box's measured zone, is rectified at ``px_per_mm``; ink is what is
    ``min_darkness`` of the way from the band's paper to ``black``; a
    morphological opening with a horizontal line ``min_line_mm`` long keeps
    only straight horizontal runs at least that long, which printed text
    never has (the table's rules along the band's top and bottom are left
    out). Ink inside the template's ``writing_allowed`` rectangles (a place
    for a signature) is never reported.

    Returns
    -------
    tuple of Writing
        One per row with such a line; empty for an unwritten ballot.
    """

    rows = [r for r in template.rows if r.boxes]
    if not rows:
        return ()
    k = params.px_per_mm
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, round(params.min_line_mm * k)), 1))
    # the text columns of all rows at once, one warp: left of the first box, top row to bottom
    left = min(r.band.x for r in rows)
    right = min(b.x for r in rows for b in r.boxes) - 1.9 - params.box_clear_mm
    top = min(r.band.y for r in rows)
    bottom = max(r.band.y + r.band.h for r in rows)
    if right - left < params.min_line_mm or bottom <= top:
        return ()
    block = rectify(gray, registration, Rect(left, top, right - left, bottom - top), k)
    # each row's band (less its rules) made ink against its own paper, then one opening
    # over the whole block: the kernel is one pixel tall, so the bands stay apart
    ink = np.zeros(block.shape, np.uint8)
    bands = []
    for row in rows:
        a = max(0, round((row.band.y + params.rule_clear_mm - top) * k))
        b = round((row.band.y + row.band.h - params.rule_clear_mm - top) * k)
        patch = block[a:b]
        if patch.size == 0:
            continue
        paper = grey_percentile(patch, 90)
        level = paper - params.min_darkness * max(paper - black, 40.0)
        ink[a:b] = patch < level
        bands.append((row, a, b))
    opened = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
    found = opened.any(axis=1)
    out = []
    for row, a, b in bands:
        if not found[a:b].any():
            continue
        lines = opened[a:b].copy()
        # a drawn line is thin; a dark area (a shadow, a stain) is not writing to name
        lines[:, lines.sum(axis=0) > params.max_line_mm * k] = 0
        lines = cv2.morphologyEx(lines, cv2.MORPH_OPEN, kernel)
        if not lines.any():
            continue
        ys, xs = np.nonzero(lines)
        centre = (left + (xs.mean() + 0.5) / k, top + (a + ys.mean() + 0.5) / k)
        if any(r.x <= centre[0] <= r.x + r.w and r.y <= centre[1] <= r.y + r.h
               for r in template.writing_allowed):
            continue
        runs = _runs(lines.any(axis=0))
        x_a, x_b = max(runs, key=lambda r: r[1] - r[0])
        out.append(Writing(row.row, round((x_b - x_a) / k, 1), round(left + x_a / k, 1)))
    return tuple(out)
