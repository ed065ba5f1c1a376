"""Stage 3: measure what each box holds. Numbers only, no verdict.

For every printed box of the page template the reader cuts out, with the
page's homography, the box and ``surround_mm`` of paper around it as an
upright patch at the image's own resolution (6-12 px/mm), moved to the nearest
pixel onto the printed outline found within ``locate_mm``. Then, per box:

1. **Levels.** Paper white is a high percentile (``paper_percentile``) of the
   patch outside the box and its outline band, so tinted paper, a grey JPEG
   or uneven light is judged against its own white next to the box. On a
   photo whose light was evened out (`omr.lighting.even_light`), a shadow's
   edge the light map could not follow may still slope across a patch: there
   each pixel is judged against the paper round the box nearest it, strokes
   taken out, where that differs by more than ``slope_min``: divided by it, as a
   shadow darkens ink and paper alike (a mark in the shade keeps its darkness
   against its own paper). Ink black is the
   darkest median of the printed markers' black borders (one value per page).
2. **Darkness.** Each pixel becomes ``d = (paper - grey) / (paper - black)``,
   smoothed with a ``smooth_mm`` box filter (1-bit dithering and specks
   average out), then mapped through a ramp: below ``ink_low`` it is paper,
   from ``ink_high`` up full ink, linear between (pencil counts partly).
3. **Measures**, the band within ``outline_clear_mm`` of the outline's centre
   line left out (the printer's ink, not the voter's):

   - ``fill``: mean ramp over the interior, the box shrunk by ``inset_mm``:
     the share of the box interior covered by added ink (0 untouched, about
     0.25 for a pen X, 1 filled);
   - ``ink_mm2``: the ramp summed over box and surround, in mm²; for ink that
     rings the box (a ring drawn around it, much of it along the outline),
     with the ring's ink on the outline's band;
   - ``extent_mm``: how long that ink is, the largest over 0°, 45°, 90° and
     135° of the span holding all but ``extent_trim`` of its mass at each
     end;
   - ``on_outline_mm2``, apart: ink on the outline's band itself beyond what
     the printed line holds there and what the page's boxes usually hold so
     (a dot resting on the line; `omr.outline_ink`).

Length tells a thin slash from a hesitation dot where area cannot (ranges in
omr/README.md); `omr.decide` turns the measures into a verdict.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields, replace

import cv2
import numpy as np

from omr.errors import PageNotPlaced
from omr.geometry import PageFrame, PageTemplate, Rect
from omr.lighting import is_bitonal
from omr.outline_ink import (
    OutlineBand,
    across_outline,
    along_outline,
    around_outline,
    band_profile,
    clear_printed_line,
    outline_ink,
)
from omr.pixels import flat_nonzero
from omr.reasons import OUTLINES_MISPLACED
from omr.transform import Registration, rectify


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
    max_px_per_mm, min_px_per_mm, smooth_mm
        Range (px/mm) of the patch resolution (within it the image's own); side (mm)
        of the box filter applied to darkness before the ramp.
    ink_low, ink_high
        The ramp from paper (0) to ink (1), in units of darkness. A light
        pencil stroke lies 0.15-0.4 of the way from paper to black, so the
        ramp starts low enough to see it.
    ink_seen
        The ramp starts at ``ink_low`` only in a box holding ink this dark
        somewhere in its zone (a pencil stroke's core); elsewhere at
        ``ink_seen``. The back of a thin sheet showing through (at most
        0.15 of the way to black, blurred by the paper) and a fold's crease
        alone are not measured; the light edges and grain of a stroke are.
    bitonal_ink_low
        The ramp's start on a 1-bit scan, where a lone speck smoothed over
        ``smooth_mm`` is a quarter of the way to black: no lighter ink
        survives a 1-bit threshold anyway.
    strength_share, min_strength
        ``fill`` is the interior's mean ramp over the box's own ink strength:
        the ramp that ``strength_share`` of the zone's inked pixels reach or
        pass, at least ``min_strength`` (a box inked over in pencil covers it
        as a pen's does, at a lighter level).
    min_contrast
        Smallest paper-to-black difference (grey levels) a page is measured with.
    extent_trim
        Share of the ink's mass left out at each end of its extent (specks, ragged ends).
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
        of the patch reaches that side (for ``BoxMeasure.through_mm`` and
        ``BoxMeasure.edges``).
    band_stretch_mm2
        A stretch of the outline's band (`omr.outline_ink.OUTLINE_BIN_MM`
        long) holding at least this much ink (mm²) beyond the line counts
        in a ring's ink on the band; thinner ink there is left as the band's
        grain.
    slope_min, slope_stroke_mm, slope_reach_mm
        On an evened photo (``shaded``), the paper round a box, strokes up to
        ``slope_stroke_mm`` wide taken out, is spread over the patch within about
        ``slope_reach_mm``; where it differs by more than ``slope_min`` of the paper
        level (a shadow's edge the light map could not follow), each pixel is judged
        against the paper near it (`_paper_slope`). A scanner's even light or a
        photo's noise stays well within it.
    ring_min_mm2, ring_share, ring_sectors, ring_core_mm, ring_core_share
        Ink rings its box when the zone holds ``ring_min_mm2`` (mm²) of it
        or more (``bitonal_ring_min_mm2`` on a 1-bit scan, above the 0.04 of
        its speckle; grey scans and photos leave 0.00), ``ring_share`` of it or
        more lies in each of ``ring_sectors`` of the eight sectors around the
        box's centre, and at most ``ring_core_share`` of it within
        ``ring_core_mm`` of the centre. An X, a tick, a slash or a filling
        crosses that core (a simulated tick's long arm passes 0.7-1.2 mm
        from the centre), a dot or a tiny tick lies in one or two sectors; a ring
        around the box, whose stroke runs along the printed line where the
        zone leaves it out, keeps 0.05-0.3 mm² in the zone in four to eight
        sectors. Such a box's ``ink_mm2`` takes in its ink on the outline's
        band as well.
    broad_mm
        Ink that fills a round spot this wide (mm) everywhere it lies is broad: an area,
        not a stroke (``BoxMeasure.broad``). The widest strokes a voter draws (a 1.2 mm
        felt-tip, blurred by the scan) are narrower; a box filled in, a scribble and the
        shade a sharp shadow leaves across a box are broader.
    """

    surround_mm: float = 1.9
    outline_clear_mm: float = 0.5
    inset_mm: float = 0.5
    paper_percentile: float = 90.0
    max_px_per_mm: float = 12.0
    min_px_per_mm: float = 6.0
    smooth_mm: float = 0.25
    ink_low: float = 0.12
    ink_high: float = 0.6
    ink_seen: float = 0.2
    bitonal_ink_low: float = 0.25
    strength_share: float = 0.1
    min_strength: float = 0.3
    min_contrast: float = 40.0
    extent_trim: float = 0.02
    locate_mm: float = 0.8
    outline_grow_mm: float = 0.35
    edge_mm: float = 0.3
    edge_ink_mm2: float = 0.005
    band_stretch_mm2: float = 0.01
    slope_min: float = 0.05
    slope_stroke_mm: float = 1.2
    slope_reach_mm: float = 2.0
    ring_min_mm2: float = 0.03
    bitonal_ring_min_mm2: float = 0.1
    ring_share: float = 0.04
    ring_sectors: int = 4
    ring_core_mm: float = 2.0
    ring_core_share: float = 0.1
    broad_mm: float = 2.0


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
        outline band left out, but for ink that rings the box: then with its
        ink on the band (``ring_*`` of `ScoringParams`).
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
    on_outline_mm2
        Ink on the printed outline itself, which every other measure leaves
        out: the most added ink (mm²) in any 1 mm of the outline's band
        (``outline_clear_mm`` plus ``outline_grow_mm`` either side of the
        line), beyond what the same stretch of the page's other boxes of
        this size holds and beyond this box's own usual line, less what the
        page's boxes hold so at their median (`omr.outline_ink.outline_ink`).
        Light pencil dots and tiny ticks resting on the line measure
        0.08-0.3 mm², pen dots up to 1.1; the boxes of clear blank rows at
        most 0.075 (1-bit at 200 dpi; 0.04 on grey scans and photos).
    edges
        How many of the patch's four sides (``surround_mm`` beyond the outline)
        the box's ink reaches: ink that comes in from beyond the box's zone, or
        leaves it. A voter's mark stays within it, or runs past one side; the
        edge of a dried stain, a crease or a stroke from elsewhere crosses the
        zone, in by one side and out by another. 0 for a ring round the box
        (ink in ``ring_sectors`` sectors round it), which reaches them all.
    strength
        How dark the box's ink is: the ramp level (0..1) its darkest
        ``strength_share`` reaches, 1 when that much of it is as dark as
        ``ink_high`` or darker (a pen's, a firm pencil's); light pencil and a
        stain's edge stay below. 1 without ink, and always on a 1-bit scan.
    around_mm2, around_share
        Ink along the printed outline beyond what the boxes of its column hold
        there (mm²), and the share of the outline holding it
        (`omr.outline_ink.around_outline`): a ring drawn on the line itself,
        which ``on_outline_mm2`` (beyond the box's own usual line) leaves out.
        Measured on the whole page's boxes; 0 where the page's boxes were not,
        and on a 1-bit scan (its threshold renders each outline its own way).
    ring
        The box's ink rings it (``ring_*``: spread round it, on both sides, its
        centre left clear): a voter's circle, light or not.
    broad
        Share (0..1) of the box's ink that lies in areas at least ``broad_mm`` wide, not in
        strokes (a grey opening of its ramp by a disc that wide): 0 for an X, a tick or a
        ring, however light; about 0.8-0.95 for a box filled in; the shade a sunlit
        shadow's edge leaves across a box 0.3-0.95. Measured on ink lighter than a pen's
        (``strength`` < 1) only; 0 otherwise.
    shadow
        On an evened photo, how much darker the paper round the box is on its darkest side
        than on its brightest, as a share of the paper's level (2nd to 98th percentile of
        `_paper_slope`'s spread paper): a sharp shadow's edge the light map left across
        the box measured 0.12-0.45 on the sunlit profiles, a photo's even light and the
        soft shadows it evens out mostly under 0.05 (99 % of light marks' boxes under
        0.11). 0 on scans.
    """

    fill: float
    ink_mm2: float
    extent_mm: float
    outline: float = 1.0
    through_mm: float = 0.0
    enters_mm: tuple[float, float] = (0.0, 0.0)
    on_outline_mm2: float = 0.0
    edges: int = 0
    strength: float = 1.0
    around_mm2: float = 0.0
    around_share: float = 0.0
    ring: bool = False
    broad: float = 0.0
    shadow: float = 0.0


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
    on_outlines
        Ink on each box's printed outline (`BoxMeasure.on_outline_mm2`).
    edges, strengths
        Per box, how many sides of its patch its ink reaches, and how dark it is
        (`BoxMeasure.edges`, `BoxMeasure.strength`).
    arounds, around_shares
        Per box, ink along its outline beyond its column's boxes, and the share of
        the outline holding it (`BoxMeasure.around_mm2`, ``around_share``).
    rings
        Per box, whether its ink rings it (`BoxMeasure.ring`).
    broads
        Per box, the share of its ink in areas, not strokes (`BoxMeasure.broad`).
    shadows
        Per box, the step of the paper's light round it (`BoxMeasure.shadow`).
    """

    row: int
    fills: tuple[float, ...]
    inks: tuple[float, ...] = ()
    extents: tuple[float, ...] = ()
    outlines: tuple[float, ...] = ()
    throughs: tuple[float, ...] = ()
    enters: tuple[tuple[float, float], ...] = ()
    on_outlines: tuple[float, ...] = ()
    edges: tuple[int, ...] = ()
    strengths: tuple[float, ...] = ()
    arounds: tuple[float, ...] = ()
    around_shares: tuple[float, ...] = ()
    rings: tuple[bool, ...] = ()
    broads: tuple[float, ...] = ()
    shadows: tuple[float, ...] = ()


def score_boxes(
    gray: np.ndarray,
    registration: Registration,
    template: PageTemplate,
    params: ScoringParams = DEFAULT_PARAMS,
    *,
    black: float | None = None,
    shaded: bool = False,
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
    black
        The printer's black (`ink_black_level`), if the caller has it already.
    shaded
        ``gray`` is a photo whose light was evened out (`omr.lighting.even_light`):
        a patch's paper may still slope across it (``slope_min``).

    Returns
    -------
    tuple of RowScores
        In the template's row order.
    """
    k = patch_scale(registration.px_per_mm, params)
    bitonal = is_bitonal(gray)
    if bitonal:
        params = replace(params, ink_low=max(params.ink_low, params.bitonal_ink_low),
                         ring_min_mm2=max(params.ring_min_mm2, params.bitonal_ring_min_mm2))
    if black is None:
        black = ink_black_level(gray, registration, template.frame)
    # boxes of one size give patches of one shape: each such group is measured as one array
    groups: dict[tuple[float, float], list[tuple[int, int, Rect]]] = {}
    for r, row in enumerate(template.rows):
        for b, box in enumerate(row.boxes):
            groups.setdefault((box.w, box.h), []).append((r, b, box))
    measured: dict[tuple[int, int], BoxMeasure] = {}
    for (bw, bh), members in groups.items():
        stack = _located_patches(gray, registration, [box for _, _, box in members], k, params)
        zones = _zones(stack.shape[1:], bw, bh, k, params)
        # on a 1-bit scan the threshold renders each outline its own way (a faded one in
        # dots here, thickened there): no column of them gives a baseline to measure along
        columns = None if bitonal else np.array([b for _, b, _ in members])
        for (r, b, _), m in zip(members, measure_boxes(stack, zones, k, black, params,
                                                       shaded=shaded, columns=columns),
                                strict=True):
            measured[r, b] = m
    out = []
    for r, row in enumerate(template.rows):
        measures = [measured[r, b] for b in range(len(row.boxes))]
        out.append(
            RowScores(
                row=row.row,
                fills=tuple(m.fill for m in measures),
                inks=tuple(m.ink_mm2 for m in measures),
                extents=tuple(m.extent_mm for m in measures),
                outlines=tuple(m.outline for m in measures),
                throughs=tuple(m.through_mm for m in measures),
                enters=tuple(m.enters_mm for m in measures),
                on_outlines=tuple(m.on_outline_mm2 for m in measures),
                edges=tuple(m.edges for m in measures),
                strengths=tuple(m.strength for m in measures),
                arounds=tuple(m.around_mm2 for m in measures),
                around_shares=tuple(m.around_share for m in measures),
                rings=tuple(m.ring for m in measures),
                broads=tuple(m.broad for m in measures),
                shadows=tuple(m.shadow for m in measures),
            )
        )
    return tuple(out)


def patch_scale(px_per_mm: float, params: ScoringParams = DEFAULT_PARAMS) -> float:
    """The resolution (px/mm) box patches are cut at: the image's own, within
    ``min_px_per_mm``..``max_px_per_mm``, to the nearest 1/16 px/mm.

    The pages of one scanner come out at one scale, so their patches share
    one shape and one set of masks (`_zones`, cached); the rounding moves a
    sample by at most 0.3 % of the image's own pixel.
    """
    k = float(np.clip(px_per_mm, params.min_px_per_mm, params.max_px_per_mm))
    return round(k * 16) / 16


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


def _located_patches(
    gray: np.ndarray, registration: Registration, boxes: list[Rect], k: float,
    params: ScoringParams,
) -> np.ndarray:
    """Boxes of one size grown by ``surround_mm``, upright at ``k`` px/mm, each moved onto
    its printed outline: uint8 (N, h, w).

    A patch ``locate_mm`` larger on every side is cut out; the outline is the
    shift (whole pixels, at most ``locate_mm``) that puts the most darkness on
    both vertical edges at once (over the middle of the box's height), and
    likewise for the horizontal edges. A voter's stroke darkens at most one
    edge's column over part of its length; the printed outline darkens both
    over all of it.
    """
    s = params.surround_mm
    m = max(0, round(params.locate_mm * k))
    bigs = np.stack([rectify(gray, registration, box.inset(-(s + m / k)), k) for box in boxes])
    n, big_h, big_w = bigs.shape
    h, w = big_h - 2 * m, big_w - 2 * m
    if m == 0 or h <= 0 or w <= 0:
        return bigs
    box = boxes[0]
    shifts = np.arange(-m, m + 1)
    nearest = 1e-3 * np.abs(shifts)  # between equal candidates, the smallest shift

    def best(profiles: np.ndarray, lo_mm: float, hi_mm: float) -> np.ndarray:
        # profiles: (N, length), darkness summed across the edge; the two edges move together
        a, b = round(m + lo_mm * k - 0.5), round(m + hi_mm * k - 0.5)
        if a - m < 0 or b + m >= profiles.shape[1]:
            return np.zeros(n, np.intp)
        score = profiles[:, a - m : a + m + 1] + profiles[:, b - m : b + m + 1]
        return shifts[np.argmax(score - nearest * score.max(axis=1, keepdims=True), axis=1)]

    mid_y = slice(round(m + (s + 0.25 * box.h) * k), round(m + (s + 0.75 * box.h) * k))
    mid_x = slice(round(m + (s + 0.25 * box.w) * k), round(m + (s + 0.75 * box.w) * k))
    dx = best(-bigs[:, mid_y].sum(axis=1, dtype=np.float32), s, s + box.w)
    dy = best(-bigs[:, :, mid_x].sum(axis=2, dtype=np.float32), s, s + box.h)
    out = np.empty((n, h, w), np.uint8)
    for i, (y, x) in enumerate(zip((m + dy).tolist(), (m + dx).tolist(), strict=True)):
        out[i] = bigs[i, y : y + h, x : x + w]
    return out


@dataclass(frozen=True)
class _Zones:
    """Masks over a box patch: where paper is sampled, the interior, the measured zone,
    each pixel's position along four directions (flat arrays over the patch's pixels)."""

    paper_mask: np.ndarray  # uint8 (h, w): outside the box beyond the outline band
    paper_count: int  # its pixels
    interior: tuple[slice, slice]  # the box shrunk by inset_mm (rows, columns)
    zone_flat: np.ndarray  # float32 (h * w,), 1 everywhere but in the outline band
    zone_mask: np.ndarray  # bool (h * w,), the same
    bins_flat: tuple[np.ndarray, ...]  # per direction, each pixel's position as an int bin
    bins_count: tuple[int, ...]  # per direction, the number of bins
    bins_per_mm: float
    # across every edge, both ways: flat indices (grow + 2, n) of the band's last pixel,
    # the pixels the line may reach, and the one beyond that tells a stroke
    across: np.ndarray
    line: np.ndarray  # flat indices of the pixels on the outline's centre line
    surround: float  # mm of paper around the box in the patch
    box_w: float  # mm
    band: OutlineBand  # the outline's band by stretch (`omr.outline_ink.outline_ink`)
    # each pixel's eighth of the turn around the box's centre (int), and whether it lies
    # within ``ring_core_mm`` of the centre (float32 0 or 1)
    sector: np.ndarray
    core: np.ndarray


@functools.lru_cache(maxsize=32)
def _zones(shape: tuple[int, int], box_w: float, box_h: float, k: float,
           params: ScoringParams) -> _Zones:
    """Masks for a patch of ``shape`` covering a box of ``box_w`` x ``box_h`` mm grown by
    ``surround_mm``, at ``k`` px/mm (the same for every page of a layout: cached)."""
    h, w = shape
    s = params.surround_mm
    # pixel centres in mm from the box's top-left corner (rectify's convention)
    ys = (np.arange(h, dtype=np.float32) + 0.5) * ((box_h + 2 * s) / h) - s
    xs = (np.arange(w, dtype=np.float32) + 0.5) * ((box_w + 2 * s) / w) - s
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    # distance to the outline's centre line, the rectangle's perimeter
    dx = np.maximum(np.maximum(-xx, xx - box_w), 0)
    dy = np.maximum(np.maximum(-yy, yy - box_h), 0)
    outside = np.hypot(dx, dy)
    inside = np.minimum(np.minimum(xx, box_w - xx), np.minimum(yy, box_h - yy))
    to_line = np.where((dx > 0) | (dy > 0), outside, inside)
    c = params.outline_clear_mm
    zone = to_line >= c
    paper = (outside >= c) & zone

    def span(lo: float, hi: float, pts: np.ndarray) -> np.ndarray:
        return np.arange(int(np.searchsorted(pts, lo)), int(np.searchsorted(pts, hi)))

    d = max(params.inset_mm, c)
    iy, ix = span(d, box_h - d, ys), span(d, box_w - d, xs)
    interior = (slice(int(iy[0]), int(iy[-1]) + 1) if iy.size else slice(0, 0),
                slice(int(ix[0]), int(ix[-1]) + 1) if ix.size else slice(0, 0))
    # positions along 0, 90, 45 and 135 degrees, in bins of half a pixel
    per_mm = 2.0 * k
    r = 1 / np.sqrt(2)
    bins = tuple(
        np.round((p - p.min()) * per_mm).astype(np.intp).ravel()
        for p in (xx, yy, (xx + yy) * r, (xx - yy) * r)
    )
    line = np.flatnonzero(to_line < max(0.15, 0.5 / k))
    box = Rect(0.0, 0.0, box_w, box_h)
    band = np.flatnonzero(to_line < c + params.outline_grow_mm)
    stretch, stretches = along_outline(yy, xx, box_w, box_h)
    band = band[np.argsort(stretch.ravel()[band], kind="stable")]  # stretch by stretch
    band_stretch = stretch.ravel()[band]
    starts = np.flatnonzero(np.r_[True, band_stretch[1:] != band_stretch[:-1]])
    cy, cx = yy - box_h / 2, xx - box_w / 2
    turn = (np.arctan2(cy, cx) + np.pi) / (2 * np.pi)
    sector = np.minimum((turn * RING_SECTORS).astype(np.intp), RING_SECTORS - 1).ravel()
    core = (np.hypot(cy, cx) < params.ring_core_mm).astype(np.float32).ravel()
    return _Zones(paper.astype(np.uint8), int(paper.sum()), interior, zone.astype(np.float32).ravel(),
                  zone.ravel(), bins,
                  tuple(int(b.max()) + 1 for b in bins), per_mm,
                  across_outline(ys, xs, box, c, max(1, round(params.outline_grow_mm * k))),
                  line, s, box_w, OutlineBand(band, starts, band_stretch[starts], stretches),
                  sector, core)


def _paper_slope(patches: np.ndarray, zones: _Zones, paper: np.ndarray, k: float,
                 params: ScoringParams) -> tuple[np.ndarray | None, np.ndarray]:
    """Paper that slopes across a patch (a shadow's edge on an evened photo).

    The paper round the box (the patch beyond the outline's band) with its strokes taken
    out (a grey dilation ``slope_stroke_mm`` wide: a ring or a stroke's end no wider is
    paper again) is spread over the patch, each pixel taking the paper near it (a
    Gaussian of ``slope_reach_mm``, weighted by where paper was seen). A patch whose
    paper so spread differs by more than ``slope_min`` of its level (2nd to 98th
    percentile) slopes. Returns each patch's gain (float32 (n, h, w): the paper's level
    where it is brightest over each pixel's own, 1 on a level patch: a shadow darkens
    paper and ink alike, so a pixel times its gain is as if lit as the brightest paper, a
    mark in the shade as dark against its paper as in the light), or None if no patch
    slopes; and each patch's step (float (n,): that difference as a share of the paper's
    level, `BoxMeasure.shadow`).
    """
    n, h, w = patches.shape
    size = max(3, round(params.slope_stroke_mm * k) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    sigma = params.slope_reach_mm * k
    mask = zones.paper_mask.astype(np.float32)
    weight = cv2.GaussianBlur(mask, (0, 0), sigma)
    seen = zones.paper_mask.astype(bool)
    gain = np.ones((n, h, w), np.float32)
    step = np.zeros(n)
    any_slope = False
    for i in range(n):
        top = cv2.dilate(patches[i], kernel).astype(np.float32)
        local = cv2.GaussianBlur(top * mask, (0, 0), sigma) / np.maximum(weight, 1e-6)
        lo, high, hi = np.percentile(local[seen], (2.0, 90.0, 98.0))
        step[i] = (hi - lo) / max(float(paper[i]), 1.0)
        if step[i] > params.slope_min:
            gain[i] = high / np.maximum(local, 1.0)
            any_slope = True
    return (gain if any_slope else None), step


#: About the resolution (px/mm) at which `BoxMeasure.broad` is measured
BROAD_PX_PER_MM = 4.0

#: A box's surround cut into this many sectors around its centre (`ScoringParams.ring_sectors`)
RING_SECTORS = 8


def measure_boxes(
    patches: np.ndarray, zones: _Zones, k: float, black: float, params: ScoringParams,
    *, shaded: bool = False, columns: np.ndarray | None = None,
) -> list[BoxMeasure]:
    """Measure box patches of one shape (uint8, (N, h, w), upright, at ``k`` px/mm) at once.

    Each patch is measured on its own (its own paper level; on a ``shaded`` photo, its
    own sloping paper: `_paper_slope`); the arrays of a page's boxes are only stacked so
    that each step is one array operation. With ``columns`` (each patch's column), ink
    along each outline is also measured against its column's (`around_outline`).
    """
    n, h, w = patches.shape
    flat = patches.reshape(n, h * w)
    # paper: the paper_percentile of the pixels under the paper mask, per patch (the smallest
    # level at or below which that share of them lies)
    nth = max(0, int(np.ceil(zones.paper_count * params.paper_percentile / 100.0)) - 1)
    hist = np.stack([cv2.calcHist([p], [0], zones.paper_mask, [256], [0, 256]).ravel()
                     for p in patches])
    paper = (np.cumsum(hist, axis=1) <= nth).sum(axis=1).astype(np.float32)
    gain, shadow = None, np.zeros(n)
    if shaded:
        gain, shadow = _paper_slope(patches, zones, paper, k, params)
    span_dark = np.maximum(paper - np.float32(black), np.float32(params.min_contrast))
    outline = (paper - flat[:, zones.line].mean(axis=1, dtype=np.float32)) / span_dark
    grey = _blurred(patches, max(1, round(params.smooth_mm * k)))
    if gain is not None:  # each pixel against its own paper: as if the paper were level
        grey *= gain
    # ramp = clip((darkness - low) / (ink_high - low), 0, 1), darkness = (paper - grey) / span;
    # low is ink_low in a box holding ink at least ink_seen dark somewhere, else ink_seen:
    # light ink alone (the back of the sheet showing through, a fold) is not measured
    lightest = np.where(zones.zone_mask.reshape(h, w), grey, np.float32(np.inf)).min(axis=(1, 2))
    seen = (paper - lightest) / span_dark >= params.ink_seen
    low = np.where(seen, np.float32(params.ink_low),
                   np.float32(max(params.ink_low, params.ink_seen))).astype(np.float32)
    gain = (1.0 / (span_dark * (np.float32(params.ink_high) - low)))[:, None, None]
    ramp = ((paper - low * span_dark)[:, None, None] - grey) * gain
    np.clip(ramp, 0.0, 1.0, out=ramp)
    ramp = ramp.reshape(n, h * w)
    inked_mask = ramp > 0
    profile = band_profile(ramp, zones.band)
    on_outline_a, along_a = outline_ink(profile, k, params.band_stretch_mm2)
    on_outline, along = on_outline_a.tolist(), along_a.tolist()
    around, around_share = [0.0] * n, [0.0] * n
    if columns is not None:
        around_a, share_a = around_outline(profile, k, params.band_stretch_mm2, columns)
        around, around_share = around_a.tolist(), share_a.tolist()
    out = [BoxMeasure(0.0, 0.0, 0.0, float(outline[i]), on_outline_mm2=on_outline[i],
                      around_mm2=around[i], around_share=around_share[i],
                      shadow=float(shadow[i])) for i in range(n)]
    # most boxes hold no ink outside the outline band (about two in three): nothing to
    # measure there; the rest is measured on those that do
    some = np.flatnonzero((inked_mask & zones.zone_mask).any(axis=1))
    if some.size == 0:
        return out
    ramp, inked_mask, outline, n = ramp[some], inked_mask[some], outline[some], some.size
    uncleared = ramp.copy()  # an area over the printed line is one area: measured whole
    clear_printed_line(ramp, inked_mask, zones.across)
    interior = ramp.reshape(n, h, w)[(slice(None), *zones.interior)]
    # the box's own ink's strength: the level its darkest share reaches (pencil: lighter)
    inked_zone = ramp * zones.zone_flat
    top = (params.strength_share * (inked_zone > 0).sum(axis=1)).astype(np.intp)
    strength = np.ones(n, np.float32)  # pen ink: more than the share of it full
    for i in np.flatnonzero((inked_zone >= 1.0).sum(axis=1) <= top).tolist():
        strength[i] = -np.partition(-inked_zone[i], top[i])[top[i]]  # top[i]-th most
    broad = _broad(uncleared, strength, zones, h, w, k, params)
    fill = np.zeros(n)
    if interior.size:  # the share covered, at the box's own ink's strength
        fill = np.minimum(interior.mean(axis=(1, 2)) / np.maximum(strength, params.min_strength),
                          1.0)
    inked_mask &= zones.zone_mask
    ramp *= zones.zone_flat
    total = ramp.sum(axis=1)
    # per direction, the ink's mass by position: cumulative, per patch (inked pixels only)
    inked = flat_nonzero(inked_mask)
    which, where = np.divmod(inked, h * w)
    weights = ramp.ravel()[inked]
    ring = _rings(which, where, weights, total, zones, n, k, params)
    cums = []
    for bins, nb in zip(zones.bins_flat, zones.bins_count, strict=True):
        counts = np.bincount(which * nb + bins[where], weights, minlength=n * nb)
        cums.append(np.cumsum(counts.reshape(n, nb), axis=1))
    lo_mass = (params.extent_trim * total)[:, None]
    hi_mass = ((1 - params.extent_trim) * total)[:, None]
    spans = []
    for cum in cums:
        lo = (cum < lo_mass).sum(axis=1)
        hi = np.minimum((cum < hi_mass).sum(axis=1), cum.shape[1] - 1)
        spans.append(np.maximum(0, hi - lo).astype(np.float64))
    extent = np.max(spans, axis=0) / zones.bins_per_mm
    # ink reaching two opposite sides of the patch, in a narrow band: a line through it
    b = max(1, round(params.edge_mm * k))
    least = params.edge_ink_mm2 * k * k
    grid = ramp.reshape(n, h, w)
    from_left = grid[:, :, :b].sum(axis=(1, 2)) > least
    from_right = grid[:, :, -b:].sum(axis=(1, 2)) > least
    from_top = grid[:, :b].sum(axis=(1, 2)) > least
    from_bottom = grid[:, -b:].sum(axis=(1, 2)) > least
    across = from_left & from_right
    down = from_top & from_bottom
    # a ring round the box reaches every side of its patch: not ink crossing it
    edges = np.where(ring, 0, from_left.astype(np.intp) + from_right + from_top + from_bottom
                     ).tolist()
    through = np.minimum(np.where(across, spans[1], np.inf), np.where(down, spans[0], np.inf))
    # ink coming in from the left (right) side of the patch: how far it reaches into the box
    cum_x = cums[0]
    x_lo = (cum_x < lo_mass).sum(axis=1) / zones.bins_per_mm - zones.surround
    x_hi = (cum_x < hi_mass).sum(axis=1) / zones.bins_per_mm - zones.surround
    dark = replace(params, ink_low=params.bitonal_ink_low)
    if params.ink_low < dark.ink_low and np.isfinite(through).any():
        # light ink straight through the zone is a fold's crease (or a light streak), plainly
        # nothing a voter drew: such a box is measured again at the darker level
        again = some[np.isfinite(through)]
        for at, m in zip(again.tolist(), measure_boxes(patches[again], zones, k, black, dark,
                                                       shaded=shaded), strict=True):
            out[at] = replace(m, around_mm2=around[at], around_share=around_share[at])
        through[np.isfinite(through)] = np.nan  # done: left as measured again
    for i, at in enumerate(some.tolist()):
        if np.isnan(through[i]):
            continue
        if total[i] <= 0:  # its ink was the printed line's, cleared
            out[at] = BoxMeasure(float(fill[i]), 0.0, 0.0, float(outline[i]),
                                 on_outline_mm2=on_outline[at], around_mm2=around[at],
                                 around_share=around_share[at], shadow=float(shadow[at]))
            continue
        enters = (max(float(x_hi[i]), 0.01) if from_left[i] else 0.0,
                  max(float(zones.box_w - x_lo[i]), 0.01) if from_right[i] else 0.0)
        through_mm = float(through[i]) / zones.bins_per_mm if np.isfinite(through[i]) else 0.0
        ink = float(total[i]) / (k * k) + (along[at] if ring[i] else 0.0)
        out[at] = BoxMeasure(float(fill[i]), ink, float(extent[i]),
                             float(outline[i]), through_mm, enters, on_outline[at],
                             int(edges[i]), float(strength[i]), around[at], around_share[at],
                             bool(ring[i]), float(broad[i]), float(shadow[at]))
    return out


def _broad(ramp: np.ndarray, strength: np.ndarray, zones: _Zones, h: int, w: int, k: float,
           params: ScoringParams) -> np.ndarray:
    """Per patch, the share of its zone's ink lying in areas at least ``broad_mm`` wide:
    the grey opening of its ramp by a disc that wide (a stroke narrower is taken out, an
    area keeps its level) over the ramp, both summed over the zone. Measured at about
    4 px/mm (the disc 7-9 px across: a tenth of the cost at the patch's own scale). Patches
    of ink as dark as a pen's (``strength`` 1) are not measured: 0.

    ``ramp``: (n, h * w), each patch's ramp before the printed line was cleared (an area
    lying over the line is measured whole; the line itself, 0.3 mm, is a stroke).
    """
    broad = np.zeros(ramp.shape[0])
    light = np.flatnonzero(strength < 1.0)
    if light.size == 0:
        return broad
    f = max(1, round(k / BROAD_PX_PER_MM))
    size = (max(1, w // f), max(1, h // f))
    zone = cv2.resize(zones.zone_flat.reshape(h, w), size, interpolation=cv2.INTER_AREA)
    across = max(3, round(params.broad_mm * k / f) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (across, across))
    for i in light.tolist():
        small = cv2.resize(ramp[i].reshape(h, w), size, interpolation=cv2.INTER_AREA)
        total = float((small * zone).sum())
        if total > 0:
            opened = cv2.morphologyEx(small, cv2.MORPH_OPEN, disc)
            broad[i] = min(1.0, float((opened * zone).sum()) / total)
    return broad


def _rings(which: np.ndarray, where: np.ndarray, weights: np.ndarray, total: np.ndarray,
           zones: _Zones, n: int, k: float, params: ScoringParams) -> np.ndarray:
    """Per box, whether its ink rings it: at least ``ring_min_mm2`` of it, ``ring_share``
    of it or more in ``ring_sectors`` of the `RING_SECTORS` sectors around the box's
    centre, two of them opposite, and at most ``ring_core_share`` within ``ring_core_mm`` of the centre.

    ``which``, ``where``, ``weights``: each inked pixel's box, place (flat) and ink;
    ``total``: each box's ink (px²). Bool array (n,).
    """
    sectors = np.bincount(which * RING_SECTORS + zones.sector[where], weights,
                          minlength=n * RING_SECTORS).reshape(n, RING_SECTORS)
    core = np.bincount(which, weights * zones.core[where], minlength=n)
    inked = sectors >= params.ring_share * total[:, None]
    # a ring shows on both sides of the box; ink along one side only (a neighbour's
    # stroke blurred over the edge, with some grain) does not ring it
    both_sides = (inked & np.roll(inked, RING_SECTORS // 2, axis=1)).any(axis=1)
    return ((total >= params.ring_min_mm2 * k * k) & (inked.sum(axis=1) >= params.ring_sectors)
            & both_sides & (core <= params.ring_core_share * total))


def _blurred(patches: np.ndarray, size: int) -> np.ndarray:
    """Each patch as float32, box-filtered ``size`` x ``size`` on its own (edges reflected,
    OpenCV's default): one call over the patches stacked with their reflected edge rows."""
    n, h, w = patches.shape
    if size <= 1:
        return patches.astype(np.float32)
    a, b = size // 2, (size - 1) // 2  # rows the filter reaches above and below (its anchor)
    if a >= h or b >= h:
        out = patches.astype(np.float32)
        for i in range(n):
            cv2.blur(out[i], (size, size), dst=out[i])
        return out
    padded = np.empty((n, h + a + b, w), np.float32)
    padded[:, a : a + h] = patches
    if a:
        padded[:, :a] = patches[:, a:0:-1]  # BORDER_REFLECT_101: row -1 is row 1
    if b:
        padded[:, a + h :] = patches[:, h - 2 : h - 2 - b : -1]
    flat = padded.reshape(n * (h + a + b), w)
    cv2.blur(flat, (size, size), dst=flat)
    return padded[:, a : a + h]


def missing_outlines(rows: tuple[RowScores, ...], min_outline: float = 0.25,
                     own_share: float = 0.4) -> list[tuple[int, int]]:
    """The boxes, as (row, box index), whose printed outline is not where the fit puts
    it: its darkness (`BoxMeasure.outline`) is below ``min_outline`` and below
    ``own_share`` of the page's own median outline (faded toner prints pale outlines).
    A voter's ink only darkens an outline."""
    own = float(np.median([v for r in rows for v in r.outlines])) if rows else 1.0
    least = min(min_outline, own_share * own)
    return [(r.row, b) for r in rows for b, v in enumerate(r.outlines) if v < least]


def erased_outlines(gray: np.ndarray, registration: Registration, template: PageTemplate,
                    missing: list[tuple[int, int]], black: float, *,
                    reach_mm: float = 4.0, line_share: float = 0.6, ink_share: float = 0.25,
                    line_tolerance_mm: float = 0.75) -> frozenset[tuple[int, int]]:
    """Of the ``missing`` boxes, those whose outline is gone rather than moved: no
    printed line lies near them but where the fit puts the page's own lines.

    A band of faded toner, cut by a 1-bit scanner's one threshold, erases the printed
    lines in it (outlines, the table's rules, text), or leaves them in dots, while the
    voters' pen stays. A page off its fit (a curl, a fold) moves its outlines instead,
    and the table's rules with them. So each missing box's place is looked at
    ``reach_mm`` round it, at 4 px/mm, with the box's outline and its row's rules (where
    the fit puts them, ``line_tolerance_mm`` either side) left out: where some row or
    column of what is left is dark (darker than ``ink_share`` of the way from the paper
    to ``black``) over ``line_share`` of the box's side, a printed line lies off its
    place and the outline counts as moved; where none does, it counts as erased. A
    voter's X, tick or ring is not a straight line that long; a straight stroke keeps
    the box among the moved (the page refused, as before).
    """
    k = 4.0
    t = line_tolerance_mm
    rows = {row.row: row for row in template.rows}
    erased = set()
    for r, b in missing:
        row, box = rows[r], rows[r].boxes[b]
        window = box.inset(-reach_mm)
        patch = rectify(gray, registration, window, k).astype(np.float32)
        if patch.size == 0:
            continue
        paper = float(np.percentile(patch, 90))
        dark = patch < paper - ink_share * max(paper - black, 1.0)
        h, w = dark.shape
        ys = (np.arange(h) + 0.5) / k + window.y  # each pixel's centre, page mm
        xs = (np.arange(w) + 0.5) / k + window.x
        in_x = (xs >= box.x - t) & (xs <= box.x + box.w + t)
        in_y = (ys >= box.y - t) & (ys <= box.y + box.h + t)
        own = np.zeros_like(dark)
        own[np.ix_(_near(ys, box.y, t) | _near(ys, box.y + box.h, t), in_x)] = True
        own[np.ix_(in_y, _near(xs, box.x, t) | _near(xs, box.x + box.w, t))] = True
        own[_near(ys, row.band.y, t) | _near(ys, row.band.y + row.band.h, t), :] = True
        dark &= ~own
        along_x = dark.sum(axis=1).max() / k  # mm of dark along the window's rows
        along_y = dark.sum(axis=0).max() / k
        if along_x < line_share * box.w and along_y < line_share * box.h:
            erased.add((r, b))
    return frozenset(erased)


def down_the_page(erased: frozenset[tuple[int, int]], template: PageTemplate
                  ) -> frozenset[tuple[int, int]]:
    """The ``erased`` boxes (`erased_outlines`) of the columns in which they run down the
    table, from its upper half into its lower half: a band of faded toner runs the
    length of the page. A corner folded over (a mark is missing) hides the print under
    it the same way, but only near its corner: there the outlines stay missing."""
    rows = [row.row for row in template.rows]
    upper = set(rows[:(len(rows) + 1) // 2])
    columns: dict[int, set[int]] = {}
    for r, b in erased:
        columns.setdefault(b, set()).add(r)
    kept = {b for b, rs in columns.items() if rs & upper and rs - upper}
    return frozenset((r, b) for r, b in erased if b in kept)


def marks_hold_ink(gray: np.ndarray, registration: Registration, frame: PageFrame,
                   black: float, min_share: float = 0.05) -> bool:
    """Whether each registration mark's square holds ink where the fit puts it, found or
    not: at least ``min_share`` of it darker than halfway from the paper to ``black``.
    A mark faded past finding still leaves its ink in dots or in part; one under a
    folded corner, or beyond the scan area, leaves none."""
    for m in frame.markers:
        patch = rectify(gray, registration, m.square, 4.0).astype(np.float32)
        if not patch.size:
            return False
        paper = float(np.percentile(patch, 95))
        if float((patch < (paper + black) / 2).mean()) < min_share:
            return False
    return True


#: `RowScores`' fields that hold one value per box (all but ``row``)
_PER_BOX = tuple(f.name for f in fields(RowScores) if f.name != "row")


def measured_in_place(gray: np.ndarray, registration: Registration, template: PageTemplate,
                      rows: tuple[RowScores, ...], boxes: frozenset[tuple[int, int]],
                      params: ScoringParams = DEFAULT_PARAMS, *, black: float | None = None,
                      shaded: bool = False) -> tuple[RowScores, ...]:
    """``rows`` with ``boxes`` ((row, box index), `erased_outlines`) measured again where
    the fit puts them, not moved onto an outline: with the outline gone, what is left of
    the print (a corner, a stretch of a side in dots, the row's rule) would pull a box
    that far and then measure as ink beside its band."""
    again = score_boxes(gray, registration, template, replace(params, locate_mm=0.0),
                        black=black, shaded=shaded)
    out = []
    for row, fresh in zip(rows, again, strict=True):
        mine = {b for r, b in boxes if r == row.row}
        if not mine:
            out.append(row)
            continue
        pick = {name: tuple(f if b in mine else o for b, (o, f) in enumerate(zip(
                    getattr(row, name), getattr(fresh, name), strict=True)))
                for name in _PER_BOX if getattr(row, name)}
        out.append(replace(row, **pick))
    return tuple(out)


def _near(at: np.ndarray, line: float, tolerance: float) -> np.ndarray:
    return np.abs(at - line) <= tolerance


def check_outlines(rows: tuple[RowScores, ...], min_outline: float = 0.25,
                   max_missing: float = 0.1, own_share: float = 0.4, *,
                   erased: frozenset[tuple[int, int]] = frozenset()) -> None:
    """Refuse a page whose printed box outlines are not where its fit puts them: the
    marks fix the fit at the corners, the outlines test it over the whole table.

    A box is missing as `missing_outlines` says; the page is refused when more than
    ``max_missing`` of its boxes whose print is not ``erased`` (`erased_outlines`),
    and at least two, are missing. A page most of whose boxes are erased has too
    little print left to confirm the fit: then the erased count as missing too.

    Raises
    ------
    PageNotPlaced
        With the count and the rows of the missing outlines.
    """
    total = sum(len(r.outlines) for r in rows)
    if 2 * len(erased) > total:
        erased = frozenset()
    missing = [r for r, b in missing_outlines(rows, min_outline, own_share)
               if (r, b) not in erased]
    seen = total - len(erased)
    if len(missing) >= 2 and len(missing) > max_missing * seen:
        raise PageNotPlaced(OUTLINES_MISPLACED(missing=len(missing), total=seen,
                                               rows=tuple(sorted(set(missing)))))
