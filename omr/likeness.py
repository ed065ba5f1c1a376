"""The same sheet seen twice: a print of a page's handwriting, and how alike two prints are.

A sheet scanned again (another pass, another scanner, another resolution or
file format, turned, in colour or 1-bit) or photocopied carries the same
physical strokes: the same ink in the same places around the same printed
boxes, to a fraction of a millimetre. Two voters who marked the same boxes
with their own hands do not: each hand puts its strokes elsewhere in the box,
at its own angle and length. The print is therefore the ink itself, never
which boxes are marked.

`sheet_print` takes, for every printed box, the square around it (the box and
``MARGIN_MM`` on every side) rectified from the placed page at ``STEP_MM``:
how much ink covers each cell (0..1 of the way from the square's own paper to
the printer's black, so a grey, a colour and a 1-bit scan of the same sheet
agree, and a photo's light falling off across the page is no ink), with the
printed outline blanked (every ballot has it) and faint grey below
``INK_FLOOR`` dropped (paper grain, a photocopy's toner haze). It is blurred a
little, so that a stroke drawn 1 px wide at 150 dpi and 4 px at 300 dpi look
alike. Stray marks near a box are in its square too.

`likeness` compares two prints box by box: each box's ink is correlated with
the other's, shifted by up to ``SHIFT_MM`` either way (where two scans place
the page differs by a few tenths of a millimetre), after a band-pass that
keeps strokes and edges and drops what is flat (the inside of a box filled in,
the same in any hand). A box with ink in one print and none in the other
counts as nothing alike. The boxes' scores are averaged, each weighted by its
ink: a page is as alike as its inked boxes are.

`summary` is a coarse vector of a print (the ink in cells of ``COARSE_MM``)
for a first, cheap pass over many stored prints (`nearest`): only the few
nearest are compared in full.

Figures (the simulator's ballots, `benchmarks/likeness.py`, BENCHMARKS.md): rescans
and photocopies of one sheet score 0.989 and more; ballots marked alike by different
hands mostly under 0.6, at most 0.79 (two hands that fill every box in); `SAME_SHEET`
lies between.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from omr.geometry import PageTemplate, Rect
from omr.transform import Registration, rectify

STEP_MM = 0.25  # one cell of a print's square
MARGIN_MM = 1.5  # around each box: strokes that run out of it, stray marks beside it
OUTLINE_BAND_MM = 0.45  # either side of the printed outline's centre line, blanked
INK_FLOOR = 0.15  # less ink than this (of the way to black) is paper
PAPER_PERCENTILE = 75.0  # of a box's square: its paper (a box filled in covers half of it)
BLUR_MM = 0.25  # sigma of the blur every print gets
SHIFT_MM = 0.5  # how far two prints' boxes are slid against each other when compared
BAND_MM = 1.0  # sigma of the blur subtracted before correlating (the band-pass)
COARSE_MM = 1.0  # a summary's cells
MIN_INK_MM2 = 0.6  # a box with less ink than this is empty for `likeness`
MIN_PX_PER_MM = 4.0  # the coarsest halving of the page the print is taken from
#: Two prints at least this alike are probably of the same sheet.
SAME_SHEET = 0.92

_FORMAT = 1


@dataclass(frozen=True)
class SheetPrint:
    """A page's handwriting around its printed boxes (`sheet_print`).

    ``ink`` is uint8 (boxes, side, side): each cell's ink, 0 (paper) to 255
    (the printer's black), in the template's box order (rows, then levels).
    """

    ink: np.ndarray

    def to_bytes(self) -> bytes:
        """The print as stored: a small header and the cells, compressed."""
        n, h, w = self.ink.shape
        head = np.array([_FORMAT, n, h, w], dtype="<u2").tobytes()
        return head + zlib.compress(np.ascontiguousarray(self.ink).tobytes(), 6)

    @classmethod
    def from_bytes(cls, data: bytes) -> SheetPrint:
        """A print stored by `to_bytes`. Raises ValueError for bytes that are not one."""
        if len(data) < 8:
            raise ValueError("not a sheet print: too short")
        fmt, n, h, w = (int(v) for v in np.frombuffer(data[:8], dtype="<u2"))
        if fmt != _FORMAT:
            raise ValueError(f"sheet print format {fmt} is not known")
        try:
            raw = zlib.decompress(data[8:])
        except zlib.error as exc:
            raise ValueError(f"sheet print damaged: {exc}") from None
        if len(raw) != n * h * w:
            raise ValueError("sheet print damaged: wrong size")
        return cls(np.frombuffer(raw, dtype=np.uint8).reshape(n, h, w))

    @cached_property
    def masses(self) -> np.ndarray:
        """Each box's ink in mm² of full black (float32, (boxes,)); made once."""
        return self.ink.reshape(len(self.ink), -1).sum(axis=1, dtype=np.float32) \
            * np.float32(STEP_MM * STEP_MM / 255.0)

    @cached_property
    def banded(self) -> np.ndarray:
        """Each box's ink, its flat parts taken out (`likeness`): float32, made once."""
        f = self.ink.astype(np.float32)
        if not f.size:
            return f
        blur = _blur_operator(f.shape[2], BAND_MM / STEP_MM)  # all boxes at once: M^T X M
        return f - blur.T @ f @ blur

    def summary(self) -> np.ndarray:
        """The coarse vector of `nearest`: each box's ink in cells of ``COARSE_MM``, all boxes
        end to end, float32 of unit length (zero for a page with no ink)."""
        n, h, w = self.ink.shape
        k = max(1, round(COARSE_MM / STEP_MM))
        hh, ww = h // k * k, w // k * k
        cells = self.ink[:, :hh, :ww].astype(np.float32).reshape(n, hh // k, k, ww // k, k)
        v = cells.mean(axis=(2, 4)).ravel()
        norm = float(np.linalg.norm(v))
        return v / norm if norm > 0 else v


def sheet_print(gray: np.ndarray, registration: Registration, template: PageTemplate,
                black: float, halved: Sequence[np.ndarray] = ()) -> SheetPrint:
    """The print of a placed page (arrays in, the print out).

    Parameters
    ----------
    gray
        The page's grey pixels, uint8 (H, W), as placed.
    registration
        Where the page lies in ``gray``.
    template
        The printed page: its boxes (mm).
    black
        The printer's black in ``gray`` (`omr.scoring.ink_black_level`).
    halved
        ``gray`` halved, and halved again (`omr.page.PlacedPage.halved`): the
        coarsest with at least ``MIN_PX_PER_MM`` is sampled (the same cells, fewer
        pixels to average).
    """
    image, placed = gray, registration
    for level, smaller in enumerate(halved, start=1):
        if registration.px_per_mm / 2**level < MIN_PX_PER_MM:
            break
        image, placed = smaller, registration.reduced(2**level)
    boxes = [box for row in template.rows for box in row.boxes]
    if not boxes:
        return SheetPrint(np.zeros((0, 0, 0), np.uint8))
    side_mm = max(max(b.w, b.h) for b in boxes) + 2 * MARGIN_MM
    side = round(side_mm / STEP_MM)
    fine = 2.0 / STEP_MM  # sampled at half a cell, then averaged 2 x 2: no aliasing
    grey = np.empty((len(boxes), side, side), np.float32)
    for i, box in enumerate(boxes):
        cx, cy = box.centre
        square = Rect(cx - side_mm / 2, cy - side_mm / 2, side_mm, side_mm)
        patch = rectify(image, placed, square, fine)
        grey[i] = cv2.resize(patch, (side, side), interpolation=cv2.INTER_AREA)
    # each square against its own paper: a photo's light falls off across the page, and
    # measured against one level for the page, a darker square's paper is all ink, the
    # same haze round the same printed outline on every ballot photographed alike
    paper = np.percentile(grey.reshape(len(boxes), -1), PAPER_PERCENTILE, axis=1).astype(
        np.float32)[:, None, None]
    depth = np.maximum(paper - np.float32(black), 24.0)  # a washed-out page: not divided by nothing
    ink = np.clip((paper - grey) / depth, 0.0, 1.0)
    ink[ink < INK_FLOOR] = 0.0
    ink *= _outline_mask(boxes[0], side)
    sigma = BLUR_MM / STEP_MM
    for i in range(len(ink)):
        ink[i] = cv2.GaussianBlur(ink[i], (0, 0), sigma)
    return SheetPrint(np.round(ink * 255.0).astype(np.uint8))


def likeness(a: SheetPrint, b: SheetPrint, floor: float = 0.0) -> float:
    """How alike two prints' strokes are, 0 (nothing alike) to 1 (the same ink, cell for
    cell). Prints of different shapes (other boxes) are not alike at all.

    With a ``floor``, the comparison stops as soon as the prints cannot reach it (the
    boxes with the most ink first; each box left could at best be wholly alike) and
    returns that bound, under the floor: prints of different sheets, most of those a
    page meets, are told apart after a few boxes.
    """
    if a.ink.shape != b.ink.shape or not a.ink.size:
        return 0.0
    ma, mb = a.masses, b.masses
    inked = np.flatnonzero((ma >= MIN_INK_MM2) | (mb >= MIN_INK_MM2))
    if not inked.size:
        return 0.0
    weights = (ma[inked] + mb[inked]).astype(np.float64)
    order = np.argsort(-weights, kind="stable")
    weight = float(weights.sum())
    if not weight > 0:
        return 0.0
    total, left = 0.0, weight
    for j in order.tolist():
        i, w = int(inked[j]), float(weights[j])
        if ma[i] >= MIN_INK_MM2 and mb[i] >= MIN_INK_MM2:
            total += w * _box_likeness(a.banded[i], b.banded[i])
        # else ink in one, none in the other: nothing alike
        left -= w
        if floor > 0 and (total + left) / weight < floor:
            return (total + left) / weight
    return total / weight


def nearest(query: np.ndarray, summaries: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` rows of ``summaries`` (one `SheetPrint.summary` a row) nearest ``query``,
    best first, with their cosine."""
    if not len(summaries) or summaries.shape[1] != query.shape[0]:
        return []
    cos = summaries @ query
    k = min(k, len(cos))
    best = np.argpartition(-cos, k - 1)[:k]
    return sorted(((int(i), float(cos[i])) for i in best), key=lambda t: -t[1])


def _box_likeness(a: np.ndarray, b: np.ndarray) -> float:
    """The best correlation of two boxes' band-passed ink over shifts up to ``SHIFT_MM``."""
    s = round(SHIFT_MM / STEP_MM)
    h, w = a.shape
    core = a[s:h - s, s:w - s]
    na = float(np.sqrt((core * core).sum()))
    if na == 0:
        return 0.0
    scores = cv2.matchTemplate(b, core, cv2.TM_CCORR_NORMED)
    return max(0.0, float(scores.max()))


@functools.cache
def _blur_operator(side: int, sigma: float) -> np.ndarray:
    """M (side, side), float32: ``x @ M`` blurs each row of ``x`` as ``cv2.GaussianBlur``
    with ``sigma`` does (its kernel, its mirrored border), so ``M.T @ x @ M`` blurs a
    square both ways."""
    eye = np.eye(side, dtype=np.float32)
    return cv2.GaussianBlur(eye, (0, 0), sigmaX=sigma, sigmaY=1e-6)


def _outline_mask(box: Rect, side: int) -> np.ndarray:
    """1 everywhere in a box's square but on its printed outline (0 there, ``OUTLINE_BAND_MM``
    either side of the line)."""
    centre = (side - 1) / 2.0
    coords = (np.arange(side, dtype=np.float32) - centre) * STEP_MM
    half_w, half_h = box.w / 2, box.h / 2
    x, y = np.meshgrid(coords, coords)
    near_v = (np.abs(np.abs(x) - half_w) <= OUTLINE_BAND_MM) & (np.abs(y) <= half_h + OUTLINE_BAND_MM)
    near_h = (np.abs(np.abs(y) - half_h) <= OUTLINE_BAND_MM) & (np.abs(x) <= half_w + OUTLINE_BAND_MM)
    return (~(near_v | near_h)).astype(np.float32)
