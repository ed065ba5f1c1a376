"""Ink on and along a box's printed outline (`omr.scoring` measures the rest).

The band along the printed outline holds the printer's line, which every
measure of the box leaves out, and with it whatever a voter put on it: a
hesitation dot resting on the line, a ring drawn along it. Here the band is cut
into stretches along the perimeter and told apart from the line by the page's
other boxes (`outline_ink`); ink continuing the line just past the band, the
scanner's thickening of it, is cleared (`clear_printed_line`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from omr.geometry import Rect


@dataclass(frozen=True)
class OutlineBand:
    """The outline's band with what the scanner may add to the line, over a box patch:
    flat indices of its pixels in order of their stretch of the outline (bins of
    ``OUTLINE_BIN_MM`` along the perimeter, clockwise from the top-left corner), where
    each stretch holding pixels starts in them, which stretches those are, and how many
    stretches there are."""

    pixels: np.ndarray
    starts: np.ndarray
    stretches: np.ndarray
    count: int


OUTLINE_BIN_MM = 0.25  # the outline is measured in stretches this long
OUTLINE_WINDOW = 4  # stretches summed: 1 mm of the outline, about a pen dot's width
#: `around_outline`'s baseline in each stretch: this percentile of its column's boxes, low
#: enough that most of a column may hold rings (voters ringing the same level) and the
#: rest still give the printed line
BASELINE_PERCENTILE = 25.0


def along_outline(yy: np.ndarray, xx: np.ndarray, box_w: float, box_h: float
                   ) -> tuple[np.ndarray, int]:
    """Each pixel's stretch of the box's outline: where along the perimeter (clockwise
    from the top-left corner, in bins of ``OUTLINE_BIN_MM``) its nearest point on the
    outline lies. ``yy``, ``xx``: pixel centres (mm from the box's top-left corner).
    Returns the stretches (int array like ``yy``) and how many there are."""
    # the nearest point on the rectangle: outside it, the point clamped onto it; inside,
    # the point moved to the nearest side
    px, py = np.clip(xx, 0.0, box_w), np.clip(yy, 0.0, box_h)
    inside = (xx > 0) & (xx < box_w) & (yy > 0) & (yy < box_h)
    side = np.argmin(np.stack([yy, box_w - xx, box_h - yy, xx]), axis=0)  # top, right, ...
    px = np.where(inside & (side == 1), box_w, np.where(inside & (side == 3), 0.0, px))
    py = np.where(inside & (side == 0), 0.0, np.where(inside & (side == 2), box_h, py))
    eps = 1e-6
    arc = np.where(py <= eps, px,  # top, left to right
          np.where(px >= box_w - eps, box_w + py,  # right, top to bottom
          np.where(py >= box_h - eps, box_w + box_h + (box_w - px),  # bottom, right to left
                   2 * box_w + box_h + (box_h - py))))  # left, bottom to top
    count = int(np.ceil(2 * (box_w + box_h) / OUTLINE_BIN_MM))
    return np.minimum((arc / OUTLINE_BIN_MM).astype(np.intp), count - 1), count


def across_outline(ys: np.ndarray, xs: np.ndarray, box: Rect, clear: float, grow: int
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


def band_profile(ramp: np.ndarray, band: OutlineBand) -> np.ndarray:
    """Per box, the ink of its outline's band by stretch: ``ramp`` (N, h * w), the
    flattened patches of boxes of one size on one page as ink (0..1), summed over
    each stretch's pixels; float (N, stretches)."""
    profile = np.zeros((ramp.shape[0], band.count))
    profile[:, band.stretches] = np.add.reduceat(ramp[:, band.pixels], band.starts, axis=1)
    return profile


def outline_ink(profile: np.ndarray, k: float, stretch_mm2: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per box, ink on its printed outline beyond the line itself, mm²: the most in 1 mm of
    it (`omr.scoring.BoxMeasure.on_outline_mm2`) and the whole band's.

    ``profile`` is the boxes' `band_profile` (N boxes of one size on one page);
    from each stretch, what the page's other boxes hold there (their median:
    the printed line, its corners, the scanner's rendering of it) is taken
    off when there are three boxes or more, then this box's own usual
    stretch (its median: a line printed or scanned thicker all round).

    - On the line: the most in any ``OUTLINE_WINDOW`` stretches running, less,
      with three boxes or more, what the page's boxes hold so at their median
      (the page's own grain, speckle and line: a 1-bit scan's ragged edges
      give every box some, a hesitation dot more than its page's usual).
    - The band's: the stretches holding at least ``stretch_mm2`` beyond the
      line, summed (a ring drawn along the outline: `omr.scoring` counts it
      for a box whose ink rings it).

    Returns two float arrays (N,).
    """
    n = profile.shape[0]
    profile = profile - np.median(profile, axis=0) if n >= 3 else profile.copy()
    profile -= np.median(profile, axis=1, keepdims=True)
    w = OUTLINE_WINDOW
    running = np.cumsum(np.concatenate([np.zeros((n, 1)), profile, profile[:, : w - 1]], axis=1),
                        axis=1)
    most = (running[:, w:] - running[:, :-w]).max(axis=1)
    if n >= 3:
        most -= np.median(most)
    least = stretch_mm2 * k * k
    along = np.where(profile >= least, profile, 0.0).sum(axis=1)
    return np.maximum(most, 0.0) / (k * k), along / (k * k)


def around_outline(profile: np.ndarray, k: float, stretch_mm2: float, columns: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per box, ink along its printed outline beyond what the boxes of its column hold
    there: (mm², the share of the outline's stretches holding it).

    ``profile`` is the boxes' `band_profile`; ``columns`` gives each box's column
    (boxes one above another, printed and scanned alike: a toner band or a streak
    down the page touches them all). From each stretch of a box's band, what its
    column's boxes hold there (their ``BASELINE_PERCENTILE``) is taken off; a
    column of fewer than three boxes takes the page's, and a page of fewer than
    three boxes measures nothing (0). The stretches then holding at least
    ``stretch_mm2`` are summed. A ring drawn on the line all round holds ink in
    nearly every stretch (0.7-0.97 of them); an X's arms cross it in four places,
    and the boxes of clear blank rows show ink in at most 5 % of them
    (`omr.scoring.BoxMeasure.around_mm2`). `outline_ink` takes off the box's own
    median too, and with it such a ring.
    """
    n = profile.shape[0]
    if n < 3:  # nothing to measure a box's line against
        return np.zeros(n), np.zeros(n)
    profile = profile.copy()
    page = np.percentile(profile, BASELINE_PERCENTILE, axis=0)
    for c in np.unique(columns):
        mine = columns == c
        profile[mine] -= (np.percentile(profile[mine], BASELINE_PERCENTILE, axis=0)
                          if mine.sum() >= 3 else page)
    held = profile >= stretch_mm2 * k * k
    return np.where(held, profile, 0.0).sum(axis=1) / (k * k), held.mean(axis=1)


def clear_printed_line(ramp: np.ndarray, inked: np.ndarray, across: np.ndarray) -> None:
    """Zero, in place, ink that continues the printed outline just past its band.

    ``ramp`` is (N, h * w), one flattened patch a row, and ``inked`` its
    ``ramp > 0`` (kept in step); ``across`` is `across_outline`'s
    (grow + 2, n) index array. Along each step out of the band, ink without
    a break from the band's last pixel is the line as the scanner thickened
    it, unless it still runs at the last step (then it is a stroke crossing
    the outline, and kept whole).
    """
    run = inked[:, across]  # (N, grow + 2, n): a copy
    for step in range(1, run.shape[1]):
        run[:, step] &= run[:, step - 1]
    line = run[:, 1:-1] & ~run[:, -1:]
    which, step, along = np.nonzero(line)
    flat = across[1:-1][step, along]
    ramp[which, flat] = 0.0
    inked[which, flat] = False
