"""Stage 3: measure how much of each box a voter inked. Numbers only, no verdict.

For every printed box of the page template the reader cuts out, with the
page's homography, the box and a ring of paper around it (``ring_mm``) as an
upright patch at the image's own resolution (at most ``max_px_per_mm``).
Then, per box:

1. **Levels.** Paper white is a high percentile (``paper_percentile``) of the
   ring outside the box outline, so a tinted paper, a grey JPEG or an uneven
   photo is judged against its own white next to the box. Ink black is the
   darkest median of the printed markers' black borders (one value per page).
2. **Darkness.** Each pixel becomes ``d = (paper - grey) / (paper - black)``,
   smoothed with a ``smooth_mm`` box filter (1-bit dithering and noise specks
   average out), then mapped through a ramp: below ``ink_low`` it is paper
   (scanner noise, JPEG ringing, bleed-through), from ``ink_high`` up it is
   full ink, linear between (pencil counts partly).
3. **Fill.** The box's score is the mean of that ramp over its interior, the
   printed square shrunk by ``inset_mm`` on each side. The inset keeps the
   0.3 mm outline out of the interior even when the fit is off by 0.5 mm, so
   an untouched printed box scores 0.

Meaning of the score: the share of the box interior covered by ink that the
printer did not put there. Measured on synthetic scans at 150-600 dpi, grey,
JPEG and 1-bit (README, `benchmarks/omr_scores.py`): an untouched box 0.000;
a 0.4-0.6 mm pen slash 0.12-0.25, tick 0.17-0.30, X 0.23-0.46; a 1.2 mm dot
about 0.05; a pencil X 0.10-0.30 on grey scans; a filled box 1.0.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from omr.geometry import PageFrame, PageTemplate, Rect
from omr.rectify import rectify
from omr.registration import Registration


@dataclass(frozen=True)
class ScoringParams:
    """Tunable constants of box scoring.

    Attributes
    ----------
    inset_mm
        The interior scored is the printed box shrunk by this (mm) per side.
    ring_mm
        Width (mm) of the paper ring around the box used for the paper level.
    outline_clear_mm
        Ring pixels closer than this (mm) to the box edge are left out of the
        paper level (the outline and misregistration).
    paper_percentile
        Percentile of the ring taken as paper white.
    max_px_per_mm, min_px_per_mm
        Range (px/mm) of the patch resolution; within it the image's own.
    smooth_mm
        Side (mm) of the box filter applied to darkness before the ramp.
    ink_low, ink_high
        The ramp from paper (0) to ink (1), in units of darkness.
    min_contrast
        Smallest paper-to-black difference (grey levels) used; a page with
        less contrast is measured as if it had this much.
    """

    inset_mm: float = 1.0
    ring_mm: float = 1.5
    outline_clear_mm: float = 0.5
    paper_percentile: float = 90.0
    max_px_per_mm: float = 12.0
    min_px_per_mm: float = 6.0
    smooth_mm: float = 0.25
    ink_low: float = 0.25
    ink_high: float = 0.6
    min_contrast: float = 40.0


DEFAULT_PARAMS = ScoringParams()


@dataclass(frozen=True)
class RowScores:
    """The fill scores of one printed row.

    Attributes
    ----------
    row
        The row's 1-based index on the page (`RowSpec.row`).
    fills
        One score per box in level order: the share (0..1) of the box
        interior covered by ink added beyond the printed box.
    """

    row: int
    fills: tuple[float, ...]


def score_boxes(
    gray: np.ndarray,
    registration: Registration,
    template: PageTemplate,
    params: ScoringParams = DEFAULT_PARAMS,
) -> tuple[RowScores, ...]:
    """Fill scores of every box on the page, row by row.

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
    return tuple(
        RowScores(
            row=row.row,
            fills=tuple(_fill(gray, registration, box, k, black, params) for box in row.boxes),
        )
        for row in template.rows
    )


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


def _fill(
    gray: np.ndarray,
    registration: Registration,
    box: Rect,
    k: float,
    black: float,
    params: ScoringParams,
) -> float:
    region = box.inset(-params.ring_mm)
    patch = rectify(gray, registration, region, k)
    n_h, n_w = patch.shape

    def span(lo_mm: float, hi_mm: float, n: int) -> tuple[int, int]:
        return max(0, round(lo_mm * k)), min(n, round(hi_mm * k))

    r, c = params.ring_mm, params.outline_clear_mm
    (oy0, oy1), (ox0, ox1) = span(r - c, r + box.h + c, n_h), span(r - c, r + box.w + c, n_w)
    ring = np.full(patch.shape, 255, dtype=np.uint8)
    ring[oy0:oy1, ox0:ox1] = 0
    hist = cv2.calcHist([patch], [0], ring, [256], [0, 256]).ravel()
    cdf = np.cumsum(hist)
    paper = float(np.searchsorted(cdf, cdf[-1] * params.paper_percentile / 100.0))
    span_dark = max(paper - black, params.min_contrast)

    (iy0, iy1) = span(r + params.inset_mm, r + box.h - params.inset_mm, n_h)
    (ix0, ix1) = span(r + params.inset_mm, r + box.w - params.inset_mm, n_w)
    if iy1 <= iy0 or ix1 <= ix0:
        return 0.0
    size = max(1, round(params.smooth_mm * k))
    pad = size  # enough context for the box filter at the interior's edge
    y0, x0 = max(0, iy0 - pad), max(0, ix0 - pad)
    sub = patch[y0 : iy1 + pad, x0 : ix1 + pad].astype(np.float32)
    darkness = (paper - sub) * (1.0 / span_dark)
    if size > 1:
        darkness = cv2.blur(darkness, (size, size))
    inner = darkness[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0]
    ramp = np.clip((inner - params.ink_low) * (1.0 / (params.ink_high - params.ink_low)), 0, 1)
    return float(ramp.mean())
