"""Stage 3: measure what each box holds. Numbers only, no verdict.

For every printed box of the page template the reader cuts out, with the
page's homography, the box and ``surround_mm`` of paper around it as an
upright patch at the image's own resolution (6-12 px/mm), moved to the nearest
pixel onto the printed outline found within ``locate_mm``. Then, per box:

1. **Levels.** Paper white is a high percentile (``paper_percentile``) of the
   patch outside the box and its outline band, so tinted paper, a grey JPEG
   or uneven light is judged against its own white next to the box. Ink
   black is the darkest median of the printed markers' black borders (one
   value per page).
2. **Darkness.** Each pixel becomes ``d = (paper - grey) / (paper - black)``,
   smoothed with a ``smooth_mm`` box filter (1-bit dithering and specks
   average out), then mapped through a ramp: below ``ink_low`` it is paper,
   from ``ink_high`` up full ink, linear between (pencil counts partly).
3. **Measures**, the band within ``outline_clear_mm`` of the outline's centre
   line left out (the printer's ink, not the voter's):

   - ``fill``: mean ramp over the interior, the box shrunk by ``inset_mm``:
     the share of the box interior covered by added ink (0 untouched, about
     0.25 for a pen X, 1 filled);
   - ``ink_mm2``: the ramp summed over box and surround, in mm²;
   - ``extent_mm``: how long that ink is, the largest over 0°, 45°, 90° and
     135° of the span holding all but ``extent_trim`` of its mass at each
     end.

Area cannot tell a thin slash (about 1.5 mm²) from a hesitation dot
(1.1 mm²); length can (5-11 mm against under 2 mm), and a ring drawn around
the box has ink and length outside an empty interior. See omr/README.md
for the measured ranges and `omr.decide` for how they are used.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from omr.errors import PageNotPlaced
from omr.geometry import PageFrame, PageTemplate, Rect
from omr.rectify import rectify
from omr.registration import Registration


@dataclass(frozen=True)
class ScoringParams:
    """Tunable constants of box scoring (lengths in mm on the printed page).

    Attributes
    ----------
    surround_mm
        How far (mm) beyond the printed box ink is measured: a ring drawn
        around the box (up to 130 % of its side) lies within it. Must stay
        short of the table's rules, 2.5 mm above and below a 7 mm box in a
        12 mm row.
    outline_clear_mm
        Half-width (mm) of the band along the printed outline that is left
        out of every measurement: the 0.3 mm line (±0.15 mm), its blur and
        smoothing (about 0.2 mm) and the registration error (0.05-0.1 mm).
    inset_mm
        The interior for ``fill`` is the printed box shrunk by this (mm) per
        side; at least ``outline_clear_mm``.
    paper_percentile
        Percentile of the paper outside the outline band taken as paper white.
    max_px_per_mm, min_px_per_mm
        Range (px/mm) of the patch resolution; within it the image's own.
    smooth_mm
        Side (mm) of the box filter applied to darkness before the ramp.
    ink_low, ink_high
        The ramp from paper (0) to ink (1), in units of darkness.
    min_contrast
        Smallest paper-to-black difference (grey levels) used; a page with
        less contrast is measured as if it had this much.
    extent_trim
        Share of the ink's mass left out at each end when measuring its
        extent (specks and ragged stroke ends do not stretch it).
    locate_mm
        The printed outline is looked for up to this far (mm) from where the
        registration puts it (a printer's own distortion, a page stretched
        in the feeder); the masks follow it to the nearest pixel.
    outline_grow_mm
        How far (mm) beyond the ``outline_clear_mm`` band the printed line
        may reach, as the scanner rendered it (a 1-bit threshold, dot gain,
        blur thicken or double a 0.3 mm line). Across each edge, ink that
        continues the line out of the band without a break and ends within
        this is the printer's and left out; ink that runs on further is a
        stroke crossing the outline and kept.
    edge_mm, edge_ink_mm2
        Ink of at least ``edge_ink_mm2`` (mm²) within ``edge_mm`` of a side
        of the patch reaches that side (for ``BoxMeasure.through_mm``).
    """

    surround_mm: float = 1.9
    outline_clear_mm: float = 0.5
    inset_mm: float = 0.5
    paper_percentile: float = 90.0
    max_px_per_mm: float = 12.0
    min_px_per_mm: float = 6.0
    smooth_mm: float = 0.25
    ink_low: float = 0.25
    ink_high: float = 0.6
    min_contrast: float = 40.0
    extent_trim: float = 0.02
    locate_mm: float = 0.8
    outline_grow_mm: float = 0.35
    edge_mm: float = 0.3
    edge_ink_mm2: float = 0.005


DEFAULT_PARAMS = ScoringParams()


@dataclass(frozen=True)
class BoxMeasure:
    """What one box holds, as numbers (see the module docstring).

    Attributes
    ----------
    fill
        Share (0..1) of the box interior covered by added ink.
    ink_mm2
        Added ink (mm², ramp-weighted) in the box and its surround, the
        outline band left out.
    extent_mm
        Length (mm) of that ink: the largest, over four directions (0°, 45°,
        90°, 135°), of the span holding all but ``extent_trim`` of its mass
        at each end. 0 without ink.
    outline
        Darkness (0 paper .. 1 black) of the printed outline's centre line,
        where the registration (moved onto the outline, up to
        ``locate_mm``) puts it: about 0.5-1 when the outline is there, near 0
        when the page is not where the fit says (`check_outlines`).
    through_mm
        For ink that reaches both the left and right sides of the patch (or
        its top and bottom), its thickness across that direction (mm): a
        straight line right through the box's zone (a fold's crease, a
        streak, a ruled line) is thin, a voter's mark stays inside. 0 when
        no ink reaches two opposite sides.
    enters_mm
        For ink that reaches the patch's left (right) side, i.e. comes in
        from beyond the box's zone: how far (mm) all but ``extent_trim`` of
        the box's ink reaches into the box from its left (right) edge; 0 when
        no ink reaches that side. A stroke from the neighbouring box that
        ends just over this box's edge reaches 0.5-2 mm; a mark of this box's
        own, 4 mm and more.
    """

    fill: float
    ink_mm2: float
    extent_mm: float
    outline: float = 1.0
    through_mm: float = 0.0
    enters_mm: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class RowScores:
    """The measurements of one printed row, one value per box in level order.

    Attributes
    ----------
    row
        The row's 1-based index on the page (`RowSpec.row`).
    fills
        Share (0..1) of each box's interior covered by ink added beyond the
        printed box.
    inks
        Added ink (mm²) in and around each box (`BoxMeasure.ink_mm2`).
    extents
        Length (mm) of that ink (`BoxMeasure.extent_mm`).
    outlines
        Darkness of each box's printed outline where it was expected
        (`BoxMeasure.outline`).
    throughs
        Thickness (mm) of ink running straight through each box's zone from
        side to side, 0 if none (`BoxMeasure.through_mm`).
    enters
        Per box, (from the left, from the right): how far ink coming in
        from beyond the zone reaches into the box (`BoxMeasure.enters_mm`).
    """

    row: int
    fills: tuple[float, ...]
    inks: tuple[float, ...] = ()
    extents: tuple[float, ...] = ()
    outlines: tuple[float, ...] = ()
    throughs: tuple[float, ...] = ()
    enters: tuple[tuple[float, float], ...] = ()


def score_boxes(
    gray: np.ndarray,
    registration: Registration,
    template: PageTemplate,
    params: ScoringParams = DEFAULT_PARAMS,
) -> tuple[RowScores, ...]:
    """Measurements of every box on the page, row by row.

    Parameters
    ----------
    gray
        The image `register_page` placed, uint8, shape (H, W).
    registration
        Where the page lies in ``gray``.
    template
        The boxes printed on this page (mm).

    Returns
    -------
    tuple of RowScores
        In the template's row order.
    """
    k = float(np.clip(registration.px_per_mm, params.min_px_per_mm, params.max_px_per_mm))
    black = ink_black_level(gray, registration, template.frame)
    zones: dict[tuple[int, int, float, float], _Zones] = {}
    out = []
    for row in template.rows:
        measures = []
        for box in row.boxes:
            patch = _located_patch(gray, registration, box, k, params)
            key = (*patch.shape, box.w, box.h)
            if key not in zones:
                zones[key] = _zones(patch.shape, box, k, params)
            measures.append(measure_box(patch, zones[key], k, black, params))
        out.append(
            RowScores(
                row=row.row,
                fills=tuple(m.fill for m in measures),
                inks=tuple(m.ink_mm2 for m in measures),
                extents=tuple(m.extent_mm for m in measures),
                outlines=tuple(m.outline for m in measures),
                throughs=tuple(m.through_mm for m in measures),
                enters=tuple(m.enters_mm for m in measures),
            )
        )
    return tuple(out)


def ink_black_level(gray: np.ndarray, registration: Registration, frame: PageFrame) -> float:
    """Grey level (0-255) of the printer's black: the markers' black border.

    Each marker's border is one cell (side / 6 for a 4x4 marker) of solid
    black; the middle of that band is sampled on every marker and the darkest
    median is taken (a covered or missing marker reads lighter, not darker).
    """
    levels = []
    k = 4.0
    for m in frame.markers:
        patch = rectify(gray, registration, m.square, k)
        cell = m.square.w / 6.0
        a, b = round(0.25 * cell * k), round(0.75 * cell * k)
        n = patch.shape[0]
        band = np.concatenate(
            [
                patch[a:b, :].ravel(),
                patch[n - b : n - a, :].ravel(),
                patch[b : n - b, a:b].ravel(),
                patch[b : n - b, n - b : n - a].ravel(),
            ]
        )
        if band.size:
            levels.append(float(np.median(band)))
    return min(levels) if levels else 0.0


def _located_patch(
    gray: np.ndarray, registration: Registration, box: Rect, k: float, params: ScoringParams
) -> np.ndarray:
    """The box grown by ``surround_mm``, upright at ``k`` px/mm, moved onto its printed outline.

    A patch ``locate_mm`` larger on every side is cut out; the outline is the
    shift (whole pixels, at most ``locate_mm``) that puts the most darkness on
    both vertical edges at once (over the middle of the box's height), and
    likewise for the horizontal edges. A voter's stroke darkens at most one
    edge's column over part of its length; the printed outline darkens both
    over all of it.
    """
    s = params.surround_mm
    m = max(0, round(params.locate_mm * k))
    big = rectify(gray, registration, box.inset(-(s + m / k)), k)
    h = big.shape[0] - 2 * m
    w = big.shape[1] - 2 * m
    if m == 0 or h <= 0 or w <= 0:
        return big
    shifts = np.arange(-m, m + 1)
    nearest = 1e-3 * np.abs(shifts)  # between equal candidates, the smallest shift

    def best(profile: np.ndarray, lo_mm: float, hi_mm: float) -> int:
        # profile: darkness summed across the edge; the two edges move together
        a, b = round(m + lo_mm * k - 0.5), round(m + hi_mm * k - 0.5)
        if a - m < 0 or b + m >= profile.size:
            return 0
        score = profile[a - m : a + m + 1] + profile[b - m : b + m + 1]
        return int(shifts[int(np.argmax(score - nearest * score.max()))])

    mid_y = slice(round(m + (s + 0.25 * box.h) * k), round(m + (s + 0.75 * box.h) * k))
    mid_x = slice(round(m + (s + 0.25 * box.w) * k), round(m + (s + 0.75 * box.w) * k))
    dx = best(-big[mid_y].sum(axis=0, dtype=np.float32), s, s + box.w)
    dy = best(-big[:, mid_x].sum(axis=1, dtype=np.float32), s, s + box.h)
    return big[m + dy : m + dy + h, m + dx : m + dx + w]


@dataclass(frozen=True)
class _Zones:
    """Masks over a box patch: where paper is sampled, the interior, the measured zone."""

    paper: np.ndarray  # uint8 mask, 255 = outside the box beyond the outline band
    interior: tuple[slice, slice]
    zone: np.ndarray  # float32, 1 everywhere but in the outline band
    bins: tuple[np.ndarray, ...]  # per direction, each pixel's position as an int bin
    bins_per_mm: float
    # across every edge, both ways: flat indices (grow + 2, n) of the band's last pixel,
    # the pixels the line may reach, and the one beyond that tells a stroke
    across: np.ndarray
    line: np.ndarray  # flat indices of the pixels on the outline's centre line
    surround: float  # mm of paper around the box in the patch
    box_w: float  # mm


def _zones(shape: tuple[int, int], box: Rect, k: float, params: ScoringParams) -> _Zones:
    """Masks for a patch of ``shape`` covering ``box`` grown by ``surround_mm``, at ``k`` px/mm."""
    h, w = shape
    s = params.surround_mm
    # pixel centres in mm from the box's top-left corner (rectify's convention)
    ys = (np.arange(h, dtype=np.float32) + 0.5) * ((box.h + 2 * s) / h) - s
    xs = (np.arange(w, dtype=np.float32) + 0.5) * ((box.w + 2 * s) / w) - s
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    # distance to the outline's centre line, the rectangle's perimeter
    dx = np.maximum(np.maximum(-xx, xx - box.w), 0)
    dy = np.maximum(np.maximum(-yy, yy - box.h), 0)
    outside = np.hypot(dx, dy)
    inside = np.minimum(np.minimum(xx, box.w - xx), np.minimum(yy, box.h - yy))
    to_line = np.where((dx > 0) | (dy > 0), outside, inside)
    c = params.outline_clear_mm
    zone = to_line >= c
    paper = ((outside >= c) & zone).astype(np.uint8) * 255

    def span(lo: float, hi: float, pts: np.ndarray) -> slice:
        return slice(int(np.searchsorted(pts, lo)), int(np.searchsorted(pts, hi)))

    d = max(params.inset_mm, c)
    interior = (span(d, box.h - d, ys), span(d, box.w - d, xs))
    # positions along 0, 90, 45 and 135 degrees, in bins of half a pixel
    per_mm = 2.0 * k
    r = 1 / np.sqrt(2)
    bins = tuple(
        np.round((p - p.min()) * per_mm).astype(np.intp)
        for p in (xx, yy, (xx + yy) * r, (xx - yy) * r)
    )
    line = np.flatnonzero(to_line < max(0.15, 0.5 / k))
    return _Zones(paper, interior, zone.astype(np.float32), bins, per_mm,
                  _across_outline(ys, xs, box, c, max(1, round(params.outline_grow_mm * k))),
                  line, s, box.w)


def _across_outline(ys: np.ndarray, xs: np.ndarray, box: Rect, clear: float, grow: int
                    ) -> np.ndarray:
    """Flat pixel indices stepping out of the outline band across each edge.

    ``ys``, ``xs``: pixel centres (mm from the box's top-left corner) of the
    patch's rows and columns. For each of the four edges and each side of it
    (into the box, away from it), at every pixel along the edge: the band's
    last pixel, then ``grow`` pixels beyond the band, then one more. Returns
    int array (grow + 2, n).
    """
    w = xs.size
    cols = np.arange(int(np.searchsorted(xs, 0.0)), int(np.searchsorted(xs, box.w)))
    rows = np.arange(int(np.searchsorted(ys, 0.0)), int(np.searchsorted(ys, box.h)))
    steps = np.arange(grow + 2)
    runs = []
    for pts, line, along, flat in ((ys, 0.0, cols, False), (ys, box.h, cols, False),
                                    (xs, 0.0, rows, True), (xs, box.w, rows, True)):
        last_in = int(np.searchsorted(pts, line + clear)) - 1  # band's last pixel, inward side
        last_out = int(np.searchsorted(pts, line - clear, side="right"))  # outward side
        for start, sign in ((last_in, 1), (last_out, -1)):
            across = np.clip(start + sign * steps, 0, pts.size - 1)[:, None]
            a = np.broadcast_to(across, (steps.size, along.size))
            b = np.broadcast_to(along[None, :], (steps.size, along.size))
            runs.append(b * w + a if flat else a * w + b)
    return np.concatenate(runs, axis=1).astype(np.intp)


def measure_box(
    patch: np.ndarray, zones: _Zones, k: float, black: float, params: ScoringParams
) -> BoxMeasure:
    """Measure one box patch (uint8, upright, at ``k`` px/mm) against its masks."""
    hist = cv2.calcHist([patch], [0], zones.paper, [256], [0, 256]).ravel()
    cdf = np.cumsum(hist)
    if cdf[-1] <= 0:
        return BoxMeasure(0.0, 0.0, 0.0)
    paper = float(np.searchsorted(cdf, cdf[-1] * params.paper_percentile / 100.0))
    span_dark = max(paper - black, params.min_contrast)
    outline = (paper - float(patch.ravel()[zones.line].mean())) / span_dark
    grey = patch.astype(np.float32)
    size = max(1, round(params.smooth_mm * k))
    if size > 1:
        grey = cv2.blur(grey, (size, size))
    # ramp = clip((darkness - ink_low) / (ink_high - ink_low), 0, 1), darkness = (paper - grey) / span
    gain = 1.0 / (span_dark * (params.ink_high - params.ink_low))
    ramp = (paper - params.ink_low * span_dark - grey) * gain
    np.clip(ramp, 0.0, 1.0, out=ramp)
    _clear_printed_line(ramp, zones.across)
    iy, ix = zones.interior
    inner = ramp[iy, ix]
    fill = float(inner.mean()) if inner.size else 0.0
    ramp *= zones.zone
    total = float(ramp.sum())
    if total <= 0:
        return BoxMeasure(fill, 0.0, 0.0, outline)
    inked = np.flatnonzero(ramp)
    weights = ramp.ravel()[inked]
    spans = [_trimmed_span(bins.ravel()[inked], weights, total, params.extent_trim)
             for bins in zones.bins]
    extent = max(spans) / zones.bins_per_mm
    # ink reaching two opposite sides of the patch, in a narrow band: a line through it
    b = max(1, round(params.edge_mm * k))
    least = params.edge_ink_mm2 * k * k
    across = ramp[:, :b].sum() > least and ramp[:, -b:].sum() > least
    down = ramp[:b].sum() > least and ramp[-b:].sum() > least
    through = min(spans[1] if across else np.inf, spans[0] if down else np.inf)
    through_mm = through / zones.bins_per_mm if np.isfinite(through) else 0.0
    # ink coming in from the left (right) side of the patch: how far it reaches into the box
    from_left = ramp[:, :b].sum() > least
    from_right = ramp[:, -b:].sum() > least
    enters = (0.0, 0.0)
    if from_left or from_right:
        cum = np.cumsum(np.bincount(zones.bins[0].ravel()[inked], weights))
        lo = np.searchsorted(cum, params.extent_trim * total) / zones.bins_per_mm - zones.surround
        hi = np.searchsorted(cum, (1 - params.extent_trim) * total) / zones.bins_per_mm - (
            zones.surround)
        enters = (max(float(hi), 0.01) if from_left else 0.0,
                  max(float(zones.box_w - lo), 0.01) if from_right else 0.0)
    return BoxMeasure(fill, total / (k * k), extent, outline, through_mm, enters)


def check_outlines(rows: tuple[RowScores, ...], min_outline: float = 0.25,
                   max_missing: float = 0.1) -> None:
    """Refuse a page whose printed box outlines are not where its fit puts them.

    An independent check of the registration, over the whole table: the
    marks fix the fit at the page's corners, the outlines test it in the
    middle (a page not lying flat, a photo's perspective misjudged, a mark
    out of place). A box counts as missing when its outline's darkness
    (`BoxMeasure.outline`) is below ``min_outline``; the page is refused when
    more than ``max_missing`` of its boxes (and at least two) are missing.
    A voter's ink over an outline only darkens it.

    Raises
    ------
    PageNotPlaced
        With the count and the rows of the missing outlines.
    """
    missing = [r.row for r in rows for v in r.outlines if v < min_outline]
    total = sum(len(r.outlines) for r in rows)
    if len(missing) >= 2 and len(missing) > max_missing * total:
        rows_text = ", ".join(str(n) for n in sorted(set(missing)))
        raise PageNotPlaced(
            f"the printed box outlines are not where the registration marks put them "
            f"({len(missing)} of {total} boxes, rows {rows_text}): a page not lying flat, "
            "folded or curled, or a mark out of place. Flatten the page and rescan it"
        )


def _clear_printed_line(ramp: np.ndarray, across: np.ndarray) -> None:
    """Zero, in place, ink that continues the printed outline just past its band.

    ``across`` is `_across_outline`'s (grow + 2, n) index array. Along each
    step out of the band, ink without a break from the band's last pixel is
    the line as the scanner thickened it, unless it still runs at the last
    step (then it is a stroke crossing the outline, and kept whole).
    """
    flat = ramp.reshape(-1)
    run = np.logical_and.accumulate(flat[across] > 0, axis=0)
    line = run[1:-1] & ~run[-1]
    flat[across[1:-1][line]] = 0.0


def _trimmed_span(bins: np.ndarray, weights: np.ndarray, total: float, trim: float) -> float:
    """Span (bins) holding all but ``trim`` of the weight at each end.

    ``bins`` gives each inked pixel's position along one direction as an int
    bin, ``weights`` its ink (1-D, same length).
    """
    cum = np.cumsum(np.bincount(bins, weights))
    lo = int(np.searchsorted(cum, trim * total))
    hi = int(np.searchsorted(cum, (1 - trim) * total))
    return float(max(0, min(hi, cum.size - 1) - lo))
