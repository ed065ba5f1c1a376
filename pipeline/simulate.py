"""Voted, scanned ballots with ground truth, made the way the field makes them.

The test suite, ``kiemphieu demo`` and the accuracy benchmark need scans
whose right answer is known. This module makes them like a counting
committee does: print our own PDF (`render_pages`), mark it like people do
(`draw_mark`, `mark_ballot`), put it through a document scanner (`degrade`),
and save it in every input format ``kiemphieu scan`` accepts (`write_stack`,
`write_case`). `simulate_stack` does the whole stack at once, with blank
duplex backs, pages that are not ballots, ballots of another campaign and
pages fed twice mixed in.

Units: page geometry in millimetres from the page's top-left corner (the
frame of `omr.geometry` and ``layout.json``), resolutions in dots per inch,
pixel arrays as NumPy ``uint8`` of shape (H, W, 3) RGB or (H, W) grey, and
``bool`` of shape (H, W) for 1-bit pages (True = white paper, as PIL's mode
"1"). All randomness comes from a `numpy.random.Generator` passed in: the
same seed gives the same pages, byte for byte in every file written.

What a page should read as (`PageTruth`) follows the ``scan --jsonl``
record of CONTRACT.md: ``status``, ``campaign``, ``ballot_page`` and per
row ``outcome`` and ``level``. A row's truth is the voter's intent as a
counting committee would read it: a ring drawn around a box is a vote for
that level even where no ink enters the box (a reader that cannot see it
should say ``review``, never ``blank``); a row with a hesitation dot, a tiny
tick or a scribbled-out mark is ``review``. Every drawn mark (shape, pen,
width) is kept in the truth so errors can be broken down by kind of mark.
A voter may also write outside the boxes (`draw_note`, `NOTE_KINDS`: words,
a question mark, a number, a scrawl, an arrow, a ring around a name): a
row with a note beside it is ``review`` (`VoteMix.note`), and a note away
from the rows makes the page doubtful (`VoteModel.margin_notes`,
`PageTruth.page_doubt`); both are off by default and then draw nothing.

Scanner presets: `CLEAN` (300 dpi grey), `OFFICE` (200 dpi grey, pages
either way up), `COLOUR_150` (150 dpi colour, JPEG 60), `BITONAL` (200 dpi
1-bit) and `ROUGH` (150 dpi, 5 degrees of skew, any orientation, shrunk,
noisy).

Stacks are lazy: `simulate_stack` plans every page (and its truth) at once
but makes a page's pixels only when asked, from the page's own seed, so a
stack of any length costs the memory of a page.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

from omr.geometry import Rect
from pipeline.rules import LEVELS

if TYPE_CHECKING:
    from pipeline.campaign import Campaign
    from pipeline.layout import BallotLayout

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0

#: Marks a voter means: one of these in one box is a clear vote.
CLEAR_SHAPES = ("x", "tick", "fill", "slash", "circle")
#: Marks a person must look at: a hesitation dot, a tiny tick, a scribbled-out mark.
DOUBTFUL_SHAPES = ("dot", "tiny_tick", "scribble")
#: A clear mark whose last stroke runs on into the neighbouring box (a tick whose long
#: arm ends 0.5-2 mm over the next box's edge): one vote to a person.
SPILL = "spill"
SHAPES = CLEAR_SHAPES + DOUBTFUL_SHAPES + (SPILL,)

#: Row outcomes of CONTRACT.md's ``scan --jsonl``.
Outcome = Literal["vote", "blank", "overvote", "review"]
Status = Literal["accepted", "blank_page", "rejected", "duplicate"]
ColourMode = Literal["rgb", "grey", "bitonal"]


# ---------------------------------------------------------------------------
# Printing


def px_per_mm(dpi: float) -> float:
    """Pixels per millimetre at ``dpi``."""
    return dpi / MM_PER_INCH


def render_pages(pdf_bytes: bytes, dpi: int) -> Iterator[np.ndarray]:
    """Render every page of a PDF, one page at a time, as a printer would print it.

    Parameters
    ----------
    pdf_bytes : bytes
        The PDF, e.g. from ``pipeline.ballot_pdf.ballot_pdf_bytes``.
    dpi : int
        Resolution of the images. Pixel (0, 0) covers the page's top-left
        corner; ``x_px = x_mm * dpi / 25.4``.

    Yields
    ------
    numpy.ndarray
        uint8, shape (H, W, 3), RGB, white paper = 255.

    Raises
    ------
    pypdfium2.PdfiumError
        If the bytes are not a PDF pdfium can open.
    """
    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        for i in range(len(doc)):
            page = doc[i]
            try:
                bitmap = page.render(scale=dpi / PT_PER_INCH, rev_byteorder=True)
                arr = np.array(bitmap.to_numpy()[:, :, :3], dtype=np.uint8, copy=True)
                bitmap.close()
            finally:
                page.close()
            yield arr
    finally:
        doc.close()


# ---------------------------------------------------------------------------
# Pens and marks


@dataclass(frozen=True)
class Pen:
    """How a pen's ink looks on paper.

    ``colour`` is the ink's RGB where it covers the paper fully; ``opacity``
    how fully one stroke covers (pencil is light); ``grain`` how uneven the
    stroke is (0 = even ballpoint ink, 1 = pencil on paper tooth).
    """

    colour: tuple[int, int, int]
    opacity: float
    grain: float


PENS: Mapping[str, Pen] = {
    "black": Pen((28, 28, 34), 0.95, 0.08),
    "blue": Pen((30, 48, 135), 0.93, 0.10),
    "red": Pen((196, 32, 38), 0.92, 0.10),
    "pencil": Pen((60, 60, 66), 0.78, 0.45),
}


@dataclass(frozen=True)
class Mark:
    """One mark a voter puts in (or around) a box.

    Parameters
    ----------
    shape : str
        One of `SHAPES`: ``x``, ``tick``, ``fill`` (the box inked over),
        ``slash``, ``circle`` (a ring around or just within the box), or the
        doubtful ``dot``, ``tiny_tick`` and ``scribble`` (a mark heavily
        scribbled out).
    pen : str
        One of `PENS`: ``black``, ``blue``, ``red``, ``pencil``.
    width_mm : float
        Stroke width, 0.2 to 2.0 mm (ballpoint 0.3-0.5, felt tip up to 1.2).
    """

    shape: str
    pen: str = "blue"
    width_mm: float = 0.5

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(f"unknown mark shape '{self.shape}'; use one of {', '.join(SHAPES)}")
        if self.pen not in PENS:
            raise ValueError(f"unknown pen '{self.pen}'; use one of {', '.join(PENS)}")
        if not 0.2 <= self.width_mm <= 2.0:
            raise ValueError(f"pen width {self.width_mm} mm is outside 0.2-2.0 mm")


# Size of the mark as a fraction of the box side, drawn uniformly.
_SIZE = {
    "x": (0.6, 1.1), "tick": (0.6, 1.1), "slash": (0.6, 1.1), "fill": (0.7, 1.0),
    "circle": (0.8, 1.3), "dot": (0.1, 0.2), "tiny_tick": (0.15, 0.3), "scribble": (0.8, 1.1),
}
_SUPERSAMPLE = 4  # strokes are drawn at 4x and averaged down: exact sub-pixel widths
_SHIFT = 4  # fixed-point bits for cv2 coordinates


def _curve(p0: np.ndarray, p1: np.ndarray, rng: np.random.Generator,
           bow: float = 0.06, n: int = 16) -> np.ndarray:
    """A slightly bent stroke from p0 to p1: a quadratic Bezier, bent by N(0, bow) x length."""
    d = p1 - p0
    length = float(np.hypot(*d)) or 1e-9
    normal = np.array([-d[1], d[0]]) / length
    ctrl = (p0 + p1) / 2 + normal * rng.normal(0.0, bow) * length
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * ctrl + t**2 * p1


def _zigzag(rng: np.random.Generator, pitch: float, half: float = 0.47,
            jitter: float = 0.03) -> np.ndarray:
    """Back-and-forth strokes filling [-half, half]^2, rows ``pitch`` apart (unit coords)."""
    pts = []
    y = -half
    left = True
    while y <= half + 1e-9:
        x = -half if left else half
        pts.append((x + rng.normal(0, jitter), y + rng.normal(0, jitter / 2)))
        y += pitch / 2
        left = not left
    out = [pts[0]]
    arr = np.array(pts)
    for a, b in itertools.pairwise(arr):
        out.extend(_curve(a, b, rng, bow=0.03, n=6)[1:])
    return np.array(out)


def _unit_strokes(shape: str, size: float, width_mm: float, rng: np.random.Generator
                  ) -> list[np.ndarray]:
    """The strokes of ``shape`` in unit coordinates: the mark spans about [-0.5, 0.5]^2.

    ``size`` is the mark's side in mm (used for the spacing of filling strokes).
    """
    def j(sd: float = 0.05) -> np.ndarray:
        return rng.normal(0.0, sd, 2)

    def pt(x: float, y: float, sd: float = 0.05) -> np.ndarray:
        return np.array([x, y]) + j(sd)

    if shape == "x":
        return [_curve(pt(-0.5, -0.5), pt(0.5, 0.5), rng),
                _curve(pt(0.5, -0.5), pt(-0.5, 0.5), rng)]
    if shape == "slash":
        if rng.random() < 0.8:
            return [_curve(pt(-0.45, 0.5), pt(0.45, -0.5), rng)]
        return [_curve(pt(-0.45, -0.5), pt(0.45, 0.5), rng)]
    if shape in ("tick", "tiny_tick"):
        a, b, c = pt(-0.5, -0.02), pt(-0.12, 0.5, 0.03), pt(0.5, -0.5)
        return [np.vstack([_curve(a, b, rng, n=8), _curve(b, c, rng, n=16)[1:]])]
    if shape == "fill":
        pitch = width_mm * rng.uniform(0.8, 1.2) / max(size, 1e-6)
        return [_zigzag(rng, max(pitch, 0.03))]
    if shape == "circle":
        return [_ring(rng, 0.5)]
    if shape == "dot":  # a pen pressed and turned: a small filled spiral
        t = np.linspace(0.0, 1.0, 40)
        theta = rng.uniform(0, 2 * math.pi) + 6 * math.pi * t
        r = 0.4 * (1 - t)
        return [np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)]
    if shape == "scribble":
        mark = [_curve(pt(-0.45, -0.45), pt(0.45, 0.45), rng),
                _curve(pt(0.45, -0.45), pt(-0.45, 0.45), rng)]
        pitch = width_mm * rng.uniform(1.0, 1.6) / max(size, 1e-6)
        out = []
        for _ in range(2):  # two heavy passes at different angles
            z = _zigzag(rng, max(pitch, 0.04), half=0.52, jitter=0.06)
            a = rng.uniform(0, math.pi)
            rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
            out.append(np.clip(z @ rot.T, -0.55, 0.55))
        return mark + out
    raise ValueError(f"unknown mark shape '{shape}'")


def _ring(rng: np.random.Generator, radius: float) -> np.ndarray:
    """A hand-drawn closed loop that overshoots its start a little."""
    start = rng.uniform(0, 2 * math.pi)
    sweep = 2 * math.pi + rng.uniform(0.15, 0.7)
    t = np.linspace(0.0, 1.0, 72)
    theta = start + sweep * t
    wobble = 1 + 0.05 * np.sin(2 * theta + rng.uniform(0, 2 * math.pi))
    r = radius * wobble * (1 + rng.uniform(-0.08, 0.08) * t)
    ax, ay = rng.uniform(0.9, 1.1), rng.uniform(0.9, 1.1)
    return np.stack([r * ax * np.cos(theta), r * ay * np.sin(theta)], axis=1)


def _smooth_noise(n: int, sd: float, rng: np.random.Generator, span: int = 7) -> np.ndarray:
    """(n, 2) low-frequency noise with standard deviation about ``sd``: hand tremor."""
    raw = rng.normal(0.0, 1.0, (n + 2 * span, 2))
    k = np.exp(-0.5 * (np.arange(-span, span + 1) / (span / 2)) ** 2)
    k /= np.sqrt((k**2).sum())
    sm = np.stack([np.convolve(raw[:, i], k, mode="valid") for i in range(2)], axis=1)
    return sm[:n] * sd


def mark_strokes_mm(box: Rect, shape: str, width_mm: float, rng: np.random.Generator
                    ) -> list[np.ndarray]:
    """Where a hand would draw ``shape`` for ``box``: polylines in page mm.

    The mark is 60-110% of the box (a ring up to 130%, a dot or tiny tick
    10-30%), rotated a few degrees, off-centre by a normal jitter that keeps
    it mostly inside the box, with bent strokes and tremor of about 0.05 mm.

    Returns
    -------
    list of numpy.ndarray
        Each of shape (N, 2), (x, y) in mm from the page's top-left corner.
    """
    side = min(box.w, box.h)
    lo, hi = _SIZE[shape]
    f = rng.uniform(lo, hi)
    size = f * side
    slack = max(0.0, (1.05 - f) / 2) * side  # how far off-centre the mark can go
    off = np.clip(rng.normal(0.0, 0.35 * slack + 0.04 * side, 2), -slack - 0.05 * side,
                  slack + 0.05 * side)
    angle = math.radians(rng.normal(0.0, 3.0 if shape == "fill" else 6.0))
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    centre = np.array(box.centre) + off
    strokes = []
    for s in _unit_strokes(shape, size, width_mm, rng):
        p = (s * size) @ rot.T + centre
        strokes.append(p + _smooth_noise(len(p), 0.05, rng))
    return strokes


def draw_mark(img: np.ndarray, box_rect_mm: Rect, mm_to_px: float, mark: Mark,
              rng: np.random.Generator) -> None:
    """Ink ``mark`` for the box ``box_rect_mm`` onto an upright, unskewed page, in place.

    Strokes are drawn anti-aliased at 4x and averaged down, so widths below a
    pixel come out right at 150 dpi. Ink multiplies the paper (crossings are
    darker, printed lines show through); pencil is grey, lighter and grainy.

    Parameters
    ----------
    img : numpy.ndarray
        uint8 page, (H, W, 3) RGB or (H, W) grey; changed in place.
    box_rect_mm : omr.geometry.Rect
        The printed box, in page mm.
    mm_to_px : float
        Pixels per mm of ``img`` (``dpi / 25.4``).
    mark : Mark
        What to draw.
    rng : numpy.random.Generator
        Source of the hand's variation.
    """
    strokes = mark_strokes_mm(box_rect_mm, mark.shape, mark.width_mm, rng)
    ink_strokes(img, strokes, mm_to_px, mark.pen, mark.width_mm, rng)


def ink_strokes(img: np.ndarray, strokes_mm: Sequence[np.ndarray], mm_to_px: float,
                pen: str, width_mm: float, rng: np.random.Generator) -> None:
    """Draw polylines (page mm) with ``pen`` onto ``img`` in place; see `draw_mark`."""
    p = PENS[pen]
    h, w = img.shape[:2]
    allpts = np.vstack(strokes_mm) * mm_to_px
    pad = width_mm * mm_to_px + 3
    x0 = max(0, math.floor(allpts[:, 0].min() - pad))
    y0 = max(0, math.floor(allpts[:, 1].min() - pad))
    x1 = min(w, math.ceil(allpts[:, 0].max() + pad))
    y1 = min(h, math.ceil(allpts[:, 1].max() + pad))
    if x1 <= x0 or y1 <= y0:
        return
    s = _SUPERSAMPLE
    thick = max(1, round(width_mm * mm_to_px * s))
    clear = np.ones((y1 - y0, x1 - x0), np.float32)  # paper left uncovered by ink
    for stroke in strokes_mm:
        canvas = np.zeros(((y1 - y0) * s, (x1 - x0) * s), np.uint8)
        q = (stroke * mm_to_px - (x0, y0)) * s - 0.5
        pts = np.round(q * (1 << _SHIFT)).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(canvas, [pts], False, 255, thick, cv2.LINE_AA, _SHIFT)
        cover = cv2.resize(canvas, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        pressure = rng.uniform(0.85, 1.0)
        clear *= 1.0 - cover.astype(np.float32) / 255.0 * pressure
    alpha = (1.0 - clear) * p.opacity
    if p.grain > 0:
        grain = rng.normal(1.0 - p.grain / 3, p.grain / 2, alpha.shape).astype(np.float32)
        grain = cv2.GaussianBlur(grain, (0, 0), 0.6)
        alpha *= np.clip(grain, 0.15, 1.0)
    region = img[y0:y1, x0:x1].astype(np.float32)
    if img.ndim == 3:
        ink = np.array(p.colour, np.float32) / 255.0
        region *= 1.0 - alpha[:, :, None] * (1.0 - ink)
    else:
        grey = (0.299 * p.colour[0] + 0.587 * p.colour[1] + 0.114 * p.colour[2]) / 255.0
        region *= 1.0 - alpha * (1.0 - grey)
    img[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------
# Votes


@dataclass(frozen=True)
class VotedRow:
    """What one voter did on one candidate's row.

    ``marked`` are the levels with a clear mark, in level order: empty is a
    blank row, one level a vote, two or more an overvote. ``doubtful`` are
    (level, shape) pairs of doubtful marks (shapes from `DOUBTFUL_SHAPES`);
    any doubtful mark sends the row to review. ``note`` is the kind (one of
    `NOTE_KINDS`) of a note the voter wrote beside the row, outside its boxes:
    the row goes to review too.
    """

    candidate: int
    marked: tuple[str, ...] = ()
    doubtful: tuple[tuple[str, str], ...] = ()
    note: str | None = None

    def __post_init__(self) -> None:
        for level in (*self.marked, *(lv for lv, _ in self.doubtful)):
            if level not in LEVELS:
                raise ValueError(f"unknown level '{level}'; use one of {', '.join(LEVELS)}")
        for _, shape in self.doubtful:
            if shape not in DOUBTFUL_SHAPES:
                raise ValueError(f"'{shape}' is not a doubtful mark ({', '.join(DOUBTFUL_SHAPES)})")
        if self.note is not None and self.note not in NOTE_KINDS:
            raise ValueError(f"unknown note kind '{self.note}'; use one of {', '.join(NOTE_KINDS)}")

    @property
    def outcome(self) -> Outcome:
        """What the reader should report for the row (CONTRACT.md)."""
        if self.doubtful or self.note:
            return "review"
        if not self.marked:
            return "blank"
        return "vote" if len(self.marked) == 1 else "overvote"

    @property
    def level(self) -> str | None:
        """The level voted, only for outcome ``vote``."""
        return self.marked[0] if self.outcome == "vote" else None


@dataclass(frozen=True)
class VoteMix:
    """Share of rows of each kind when votes are drawn at random (normalised to 1).

    ``review`` rows hold a doubtful mark: a hesitation dot or tiny tick
    alone, or a clear mark beside a scribbled-out one. ``note`` rows hold a
    clear vote and a note written beside the row, outside its boxes (their
    truth is ``review`` too).
    """

    high: float = 0.75
    medium: float = 0.15
    low: float = 0.06
    blank: float = 0.02
    overvote: float = 0.02
    review: float = 0.0
    note: float = 0.0  # last: a share of 0 leaves the draws of the other kinds as they were

    def probabilities(self) -> dict[str, float]:
        raw = {k: float(v) for k, v in asdict(self).items()}
        total = sum(raw.values())
        if total <= 0 or any(v < 0 for v in raw.values()):
            raise ValueError("a VoteMix needs non-negative shares that add up to more than 0")
        return {k: v / total for k, v in raw.items()}


@dataclass(frozen=True)
class MarkMix:
    """How a population of voters marks: shape and pen shares, pen width range (mm).

    Each voter takes one pen and width for the whole ballot and a favourite
    shape used on ``loyalty`` of the rows; the other rows get any shape.
    """

    shapes: tuple[tuple[str, float], ...] = (
        ("x", 0.47), ("tick", 0.32), ("fill", 0.08), ("slash", 0.09), ("circle", 0.04),
    )
    pens: tuple[tuple[str, float], ...] = (
        ("blue", 0.55), ("black", 0.32), ("pencil", 0.10), ("red", 0.03),
    )
    width_mm: tuple[float, float] = (0.3, 1.2)
    loyalty: float = 0.9

    def __post_init__(self) -> None:
        for name, _ in self.shapes:
            if name not in (*CLEAR_SHAPES, SPILL):
                raise ValueError(f"'{name}' is not a clear mark shape ({', '.join(CLEAR_SHAPES)}, "
                                 f"{SPILL})")
        for name, _ in self.pens:
            if name not in PENS:
                raise ValueError(f"unknown pen '{name}'; use one of {', '.join(PENS)}")


@dataclass(frozen=True)
class Voter:
    """One voter's hand: pen, stroke width (mm) and favourite shape."""

    pen: str
    width_mm: float
    shape: str

    @staticmethod
    def draw(mix: MarkMix, rng: np.random.Generator) -> Voter:
        pen = _choice(mix.pens, rng)
        # ballpoints are thin; a wide stroke is a felt tip: skew towards thin
        lo, hi = mix.width_mm
        width = lo + (hi - lo) * rng.beta(1.4, 3.0)
        return Voter(pen=pen, width_mm=round(float(width), 3), shape=_choice(mix.shapes, rng))

    def mark(self, mix: MarkMix, rng: np.random.Generator, shape: str | None = None) -> Mark:
        if shape is None:
            shape = self.shape if rng.random() < mix.loyalty else _choice(mix.shapes, rng)
        width = self.width_mm
        if shape == "dot":
            width = max(width, 0.6)
        return Mark(shape=shape, pen=self.pen, width_mm=width)


def _choice(weighted: Sequence[tuple[str, float]], rng: np.random.Generator) -> str:
    names = [n for n, _ in weighted]
    w = np.array([float(v) for _, v in weighted])
    return names[int(rng.choice(len(names), p=w / w.sum()))]


@dataclass(frozen=True)
class VoteModel:
    """How the ballots of a stack are voted.

    Parameters
    ----------
    mix : VoteMix
        Shares of row kinds for candidates without exact counts.
    exact : Mapping[int, Mapping[str, int]]
        Exact counts per candidate (STT): keys ``high``, ``medium``, ``low``,
        ``blank``, ``overvote``, ``review``, ``note``. The rows are shuffled across the
        ballots; ballots beyond their sum are blank rows for that candidate.
        ``{1: {"high": 75, "medium": 8, "low": 4}}`` over 88 ballots gives
        75/8/4 and one blank row.
    marks : MarkMix
        How voters mark.
    margin_notes : float
        Share of ballot pages with a note written in a margin, away from the
        table's rows (above or below the table, beside its header): a doubt
        about the page, not about a row. Drawn from each page's own seed, so
        other pages and draws are as they were without it.
    """

    mix: VoteMix = field(default_factory=VoteMix)
    exact: Mapping[int, Mapping[str, int]] = field(default_factory=dict)
    marks: MarkMix = field(default_factory=MarkMix)
    margin_notes: float = 0.0


_ROW_KINDS = ("high", "medium", "low", "blank", "overvote", "review", "note")


def cast_votes(model: VoteModel, candidates: Sequence[int], n_ballots: int,
               rng: np.random.Generator) -> tuple[tuple[VotedRow, ...], ...]:
    """Draw every ballot's rows: ``result[b][i]`` is ballot b's row for ``candidates[i]``.

    Raises
    ------
    ValueError
        If exact counts name an unknown kind or candidate, or add up to more
        than ``n_ballots``.
    """
    probs = model.mix.probabilities()
    kinds_p = np.array([probs[k] for k in _ROW_KINDS])
    columns: list[list[str]] = []
    for stt in candidates:
        if stt in model.exact:
            want = dict(model.exact[stt])
            bad = set(want) - set(_ROW_KINDS)
            if bad:
                raise ValueError(f"candidate {stt}: unknown count kinds {sorted(bad)}; "
                                 f"use {', '.join(_ROW_KINDS)}")
            total = sum(want.values())
            if total > n_ballots or any(v < 0 for v in want.values()):
                raise ValueError(f"candidate {stt}: exact counts add up to {total}, "
                                 f"more than the {n_ballots} ballots")
            col = [k for k in _ROW_KINDS for _ in range(want.get(k, 0))]
            col += ["blank"] * (n_ballots - total)
            columns.append([col[i] for i in rng.permutation(n_ballots)])
        else:
            idx = rng.choice(len(_ROW_KINDS), size=n_ballots, p=kinds_p)
            columns.append([_ROW_KINDS[i] for i in idx])
    unknown = set(model.exact) - set(candidates)
    if unknown:
        raise ValueError(f"exact counts for candidates not on the ballot: {sorted(unknown)}")
    return tuple(
        tuple(_row(stt, columns[i][b], rng) for i, stt in enumerate(candidates))
        for b in range(n_ballots)
    )


def _row(stt: int, kind: str, rng: np.random.Generator) -> VotedRow:
    if kind in LEVELS:
        return VotedRow(stt, (kind,))
    if kind == "blank":
        return VotedRow(stt)
    if kind == "overvote":
        k = 2 if rng.random() < 0.8 else 3
        pick = sorted(rng.choice(3, size=k, replace=False))
        return VotedRow(stt, tuple(LEVELS[i] for i in pick))
    if kind == "note":  # a clear vote, and a note written beside the row
        level = LEVELS[int(rng.integers(3))]
        return VotedRow(stt, (level,), note=NOTE_KINDS[int(rng.integers(len(NOTE_KINDS)))])
    # review: a doubtful mark alone, or a clear mark beside a scribbled-out one
    a, b = (LEVELS[i] for i in rng.choice(3, size=2, replace=False))
    style = rng.choice(3)
    if style == 0:
        return VotedRow(stt, (), ((a, "dot"),))
    if style == 1:
        return VotedRow(stt, (), ((a, "tiny_tick"),))
    return VotedRow(stt, (a,), ((b, "scribble"),))


# ---------------------------------------------------------------------------
# Truth


@dataclass(frozen=True)
class RowTruth:
    """What the reader should report for one row, and what was drawn."""

    candidate: int
    outcome: Outcome
    level: str | None
    marks: tuple[tuple[str, Mark], ...] = ()  # (level, mark) as drawn
    note: str | None = None  # the kind of a note written beside the row (`PageTruth.notes`)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "candidate": self.candidate,
            "outcome": self.outcome,
            "level": self.level,
            "marks": [{"level": lv, **asdict(m)} for lv, m in self.marks],
        }
        if self.note is not None:  # only then: earlier truth files stay as they were
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class NoteTruth:
    """A note written on a ballot page outside the boxes, as drawn.

    ``place`` is the rectangle (page mm) it was written in (for ``circle``,
    the rectangle ringed); ``where`` names it (`note_places`);
    ``candidate`` is the STT of the row it is beside, whose truth is
    ``review``, or None for a note away from the table's rows: the page's
    truth is then a doubt about the page (``scan --jsonl`` ``doubts``).
    """

    kind: str
    where: str
    place: Rect
    pen: str
    width_mm: float
    candidate: int | None

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "where": self.where, "candidate": self.candidate,
                "place": [round(v, 2) for v in (self.place.x, self.place.y, self.place.w,
                                                 self.place.h)],
                "pen": self.pen, "width_mm": self.width_mm}


@dataclass(frozen=True)
class PageTruth:
    """What ``kiemphieu scan`` should report for one page (CONTRACT.md fields).

    ``kind`` says what the sheet is: ``ballot``, ``blank_back``,
    ``blank_sheet``, ``memo``, ``foreign_ballot`` or ``rescan`` (the same
    scan image again). ``ballot`` is the 0-based number of the ballot copy
    in the stack; ``duplicate_of`` the index of the page repeated.
    ``notes`` are the notes written outside the boxes; one with no
    ``candidate`` (in a margin) makes the page doubtful (`page_doubt`).
    """

    status: Status
    kind: str
    campaign: str | None = None
    ballot_page: int | None = None
    rows: tuple[RowTruth, ...] = ()
    ballot: int | None = None
    duplicate_of: int | None = None
    notes: tuple[NoteTruth, ...] = ()

    @property
    def page_doubt(self) -> bool:
        """The page holds a note away from its rows: the reader should doubt the page."""
        return any(n.candidate is None for n in self.notes)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "status": self.status,
            "kind": self.kind,
            "campaign": self.campaign,
            "ballot_page": self.ballot_page,
            "ballot": self.ballot,
            "duplicate_of": self.duplicate_of,
            "rows": [r.to_json() for r in self.rows],
        }
        if self.notes:  # only then: earlier truth files stay as they were
            out["notes"] = [n.to_json() for n in self.notes]
            out["page_doubt"] = self.page_doubt
        return out


@dataclass(frozen=True, eq=False)
class MarkedBallot:
    """The pages of one voted ballot copy, upright and undegraded, with their truth."""

    pages: tuple[np.ndarray, ...]
    truth: tuple[PageTruth, ...]


def mark_ballot(pages: Sequence[np.ndarray], layout: BallotLayout, votes: Sequence[VotedRow],
                dpi: float, rng: np.random.Generator, *, marks: MarkMix | None = None,
                foreign: bool = False, ballot: int | None = None) -> MarkedBallot:
    """Vote one ballot copy: draw each row's marks into its boxes.

    Parameters
    ----------
    pages : sequence of numpy.ndarray
        The printed pages of one copy at ``dpi`` (from `render_pages`), in
        page order; not changed (marked copies are returned).
    layout : pipeline.layout.BallotLayout
        Where each candidate's boxes are.
    votes : sequence of VotedRow
        One per candidate on the ballot (candidates not listed are blank).
    dpi : float
        Resolution of ``pages``.
    rng : numpy.random.Generator
        Draws the voter's pen and hand.
    marks : MarkMix, optional
        How voters mark (default `MarkMix()`).
    foreign : bool
        The ballot is another campaign's, scanned into this one: its pages'
        truth is ``rejected`` (kind ``foreign_ballot``).
    ballot : int, optional
        The copy's number in its stack, recorded in the truth.

    Raises
    ------
    ValueError
        If the number of pages is not the layout's.
    """
    if len(pages) != layout.page_count:
        raise ValueError(f"{len(pages)} page images for a {layout.page_count}-page layout")
    planned = plan_marks(layout, votes, marks or MarkMix(), rng)
    ppm = px_per_mm(dpi)
    out_pages, truths = [], []
    for img, page, rows in zip(pages, layout.pages, planned, strict=True):
        img = img.copy()
        draw_page_marks(img, layout, page.template.page, rows, ppm, rng)
        # notes only for rows that have one: no draws otherwise (the same ballots as before)
        notes = plan_notes(layout, page.template.page, rows, 0.0, rng, img, ppm) \
            if any(r.note for r in rows) else ()
        draw_notes(img, notes, ppm, rng)
        out_pages.append(img)
        truths.append(PageTruth(status="rejected" if foreign else "accepted",
                                kind="foreign_ballot" if foreign else "ballot",
                                campaign=layout.campaign_id, ballot_page=page.template.page,
                                rows=rows, ballot=ballot, notes=notes))
    return MarkedBallot(tuple(out_pages), tuple(truths))


def plan_marks(layout: BallotLayout, votes: Sequence[VotedRow], mix: MarkMix,
               rng: np.random.Generator) -> tuple[tuple[RowTruth, ...], ...]:
    """Choose one voter's pen and each row's marks: per page, the rows' truth.

    Candidates without a `VotedRow` in ``votes`` are blank.
    """
    voter = Voter.draw(mix, rng)
    by_cand = {v.candidate: v for v in votes}
    pages = []
    for page in layout.pages:
        rows = []
        for cand in page.candidates:
            v = by_cand.get(cand.stt, VotedRow(cand.stt))
            drawn = [(level, voter.mark(mix, rng)) for level in v.marked]
            drawn += [(level, voter.mark(mix, rng, shape)) for level, shape in v.doubtful]
            rows.append(RowTruth(cand.stt, v.outcome, v.level, tuple(drawn), note=v.note))
        pages.append(tuple(rows))
    return tuple(pages)


def draw_page_marks(img: np.ndarray, layout: BallotLayout, page: int,
                    rows: Sequence[RowTruth], mm_to_px: float, rng: np.random.Generator) -> None:
    """Draw the planned marks of ``rows`` into their boxes on page ``page`` (1-based), in place."""
    spec = layout.page(page)
    where = {c.stt: r for c, r in zip(spec.candidates, spec.template.rows, strict=True)}
    for row in rows:
        for level, mark in row.marks:
            boxes = where[row.candidate].boxes
            b = LEVELS.index(level)
            if mark.shape == SPILL:
                draw_spill(img, boxes[b], boxes[b + 1] if b + 1 < len(boxes) else boxes[b - 1],
                           mm_to_px, mark, rng)
            else:
                draw_mark(img, boxes[b], mm_to_px, mark, rng)


def note_places(layout: BallotLayout, page: int, printed: np.ndarray | None = None,
                mm_to_px: float | None = None) -> dict[str, dict[int | None, Rect]]:
    """Where a voter may write a note on page ``page`` (1-based), in page mm.

    Beside a row (keyed by the candidate's STT): ``name_cell`` (the right
    half of the name's cell), ``position_cell`` (the right half of the
    position's cell, between the name and the boxes), ``left_margin`` and
    ``right_margin`` (the page's margins level with the row, 8-10 mm wide),
    ``around_name`` (the name's text, to ring). Away from the rows (key
    None): ``below_table`` (when at least 8 mm are free above the QR
    code), ``header_left`` and ``header_right`` (the margins beside the
    page's heading, ending 8 mm above the first row).

    Given the printed page (``printed``, RGB or grey at ``mm_to_px``), the
    two cell places are the widest stretch of their cell (at least 5 mm)
    clear of printed text, where a voter finds room to write, and missing
    for a row whose cell has no such room.
    """
    spec = layout.page(page)
    cols = {c.name: c for c in layout.columns}
    pw, _ = layout.frame.page_size_mm
    name, pos = cols["name"], cols["position"]
    left = layout.columns[0].x
    right = layout.columns[-1].x + layout.columns[-1].w
    out: dict[str, dict[int | None, Rect]] = {k: {} for k in (
        "name_cell", "position_cell", "left_margin", "right_margin", "around_name",
        "below_table", "header_left", "header_right")}
    for cand, row in zip(spec.candidates, spec.template.rows, strict=True):
        b = row.band
        out["name_cell"][cand.stt] = Rect(name.x + name.w * 0.5, b.y + 1.5, name.w * 0.48, b.h - 3)
        out["position_cell"][cand.stt] = Rect(pos.x + pos.w * 0.45, b.y + 1.5, pos.w * 0.53,
                                              b.h - 3)
        out["left_margin"][cand.stt] = Rect(4.5, b.y + 1.5, left - 5.5, b.h - 3)
        out["right_margin"][cand.stt] = Rect(right + 1.0, b.y + 1.5, pw - right - 5.5, b.h - 3)
        out["around_name"][cand.stt] = Rect(name.x + 1.5, b.y + 2.5, name.w * 0.7, b.h - 5)
        if printed is not None and mm_to_px is not None:
            for key, col in (("name_cell", name), ("position_cell", pos)):
                cell = Rect(col.x + 1.0, b.y + 1.5, col.w - 2.0, b.h - 3)
                free = _free_stretch(printed, cell, mm_to_px, 5.0)
                if free is not None:
                    out[key][cand.stt] = free
                else:  # no room: a voter writes elsewhere
                    del out[key][cand.stt]
    rows = spec.template.rows
    if rows:
        bottom = rows[-1].band.y + rows[-1].band.h
        top = rows[0].band.y
        free = layout.frame.qr.y - 1.0 - (bottom + 4.0)
        if free >= 8.0:
            out["below_table"][None] = Rect(left + 5, bottom + 4.0, 100, min(free, 25.0))
        if top - 8.0 - 24.0 >= 10.0:
            out["header_left"][None] = Rect(4.5, 24.0, left - 5.5, top - 8.0 - 24.0)
            out["header_right"][None] = Rect(right + 1.0, 24.0, pw - right - 5.5, top - 8.0 - 24.0)
    return out


def _free_stretch(printed: np.ndarray, cell: Rect, mm_to_px: float, least_mm: float
                  ) -> Rect | None:
    """The widest run of columns of ``cell`` (mm) without print, at least ``least_mm`` wide
    (0.8 mm kept from the print on either side), or None."""
    x0, y0 = round(cell.x * mm_to_px), round(cell.y * mm_to_px)
    x1, y1 = round((cell.x + cell.w) * mm_to_px), round((cell.y + cell.h) * mm_to_px)
    patch = printed[y0:y1, x0:x1]
    if patch.size == 0:
        return None
    if patch.ndim == 3:
        patch = patch.min(axis=2)
    clear = (patch > 200).all(axis=0)
    flags = np.concatenate([[0], clear.astype(np.int8), [0]])
    d = np.diff(flags)
    runs = list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))
    if not runs:
        return None
    a, b = max(runs, key=lambda r: r[1] - r[0])
    pad = 0.8 * mm_to_px
    a, b = a + (pad if a > 0 else 0), b - (pad if b < len(clear) else 0)
    if (b - a) / mm_to_px < least_mm:
        return None
    return Rect(float(cell.x + a / mm_to_px), cell.y, float((b - a) / mm_to_px), cell.h)


def plan_notes(layout: BallotLayout, page: int, rows: Sequence[RowTruth], margin_notes: float,
               rng: np.random.Generator, printed: np.ndarray | None = None,
               mm_to_px: float | None = None) -> tuple[NoteTruth, ...]:
    """Place the notes of ``rows`` that have one (`RowTruth.note`) beside their row, and
    with probability ``margin_notes`` one more away from the rows (`note_places`; with
    the printed page, in the room its text leaves in a cell).

    A ring goes around the name; words, a scrawl or an arrow in the name's or the
    position's cell; a question mark or a number there or in the margin level with
    the row. The pen is any of `PENS`, 0.3-0.8 mm.
    """
    places = note_places(layout, page, printed, mm_to_px)

    def hand() -> tuple[str, float]:
        return list(PENS)[int(rng.integers(len(PENS)))], round(float(rng.uniform(0.3, 0.8)), 3)

    out = []
    for row in rows:
        if not row.note:
            continue
        if row.note == "circle":
            choice = ["around_name"]
        elif row.note in SMALL_NOTE_KINDS:
            choice = ["name_cell", "position_cell", "left_margin", "right_margin"]
        else:
            choice = ["name_cell", "position_cell"]
        choice = [w for w in choice if row.candidate in places[w]] or ["left_margin"]
        where = choice[int(rng.integers(len(choice)))]
        pen, width = hand()
        out.append(NoteTruth(row.note, where, places[where][row.candidate], pen, width,
                             row.candidate))
    if margin_notes > 0 and rng.random() < margin_notes:
        free = [w for w in ("below_table", "header_left", "header_right") if places[w]]
        if free:
            where = free[int(rng.integers(len(free)))]
            kinds = [k for k in NOTE_KINDS if k != "circle"] if where == "below_table" \
                else list(SMALL_NOTE_KINDS)
            kind = kinds[int(rng.integers(len(kinds)))]
            pen, width = hand()
            out.append(NoteTruth(kind, where, places[where][None], pen, width, None))
    return tuple(out)


def draw_notes(img: np.ndarray, notes: Sequence[NoteTruth], mm_to_px: float,
               rng: np.random.Generator) -> None:
    """Write planned notes (`plan_notes`) onto an upright page, in place (`draw_note`)."""
    for n in notes:
        draw_note(img, n.kind, n.place, mm_to_px, n.pen, n.width_mm, rng)


def strike_through(img: np.ndarray, band: Rect, mm_to_px: float, pen: str, width_mm: float,
                   rng: np.random.Generator) -> None:
    """A voter's line through the printed text of a row (``band``, page mm), in place.

    Drawn by hand across the name and title columns: 30-90 mm long from
    12-20 mm into the row, within 2 mm of its middle, a few degrees off level.
    """
    x0 = band.x + rng.uniform(12, 20)
    x1 = min(x0 + rng.uniform(30, 90), band.x + band.w * 0.6)
    y = band.y + band.h / 2 + rng.uniform(-2, 2)
    tilt = rng.uniform(-0.03, 0.03) * (x1 - x0)
    line = _curve(np.array([x0, y - tilt / 2]), np.array([x1, y + tilt / 2]), rng, bow=0.01)
    ink_strokes(img, [line + _smooth_noise(len(line), 0.05, rng)], mm_to_px, pen, width_mm, rng)


def draw_spill(img: np.ndarray, box: Rect, neighbour: Rect, mm_to_px: float, mark: Mark,
               rng: np.random.Generator) -> None:
    """A tick in ``box`` whose arm runs on into ``neighbour``, ending 0.5-2 mm over its edge."""
    strokes = mark_strokes_mm(box, "tick", mark.width_mm, rng)
    end = strokes[-1][-1]
    right = neighbour.x > box.x
    x = neighbour.x + rng.uniform(0.5, 2.0) if right else neighbour.x + neighbour.w - rng.uniform(0.5, 2.0)
    y = neighbour.y + neighbour.h * rng.uniform(0.1, 0.6)
    start = end if right else strokes[-1][0]
    run_on = _curve(start, np.array([x, y]), rng, bow=0.03)
    ink_strokes(img, [*strokes, run_on + _smooth_noise(len(run_on), 0.05, rng)], mm_to_px,
                mark.pen, mark.width_mm, rng)


# ---------------------------------------------------------------------------
# Handwriting outside the boxes

#: What a voter may write on a ballot away from the boxes: a word or two, a question mark,
#: a number, a signature-like scrawl, an arrow, a ring around a printed name.
NOTE_KINDS = ("words", "question", "number", "scrawl", "arrow", "circle")
#: Kinds small enough for a 7-10 mm wide margin.
SMALL_NOTE_KINDS = ("question", "number")

# Cursive letters in units of the x-height, from (0, 0) on the baseline, y up; each ends
# on the baseline at its right (the next letter joins there). "marks" are pen lifts:
# an i's dot, a t's bar. Enough shapes for a hand's rhythm, not a font.
_LETTERS: dict[str, tuple[tuple[tuple[float, float], ...], tuple[tuple[tuple[float, float], ...], ...]]] = {
    "n": (((0, 0), (0.05, 0.9), (0.3, 1.0), (0.55, 0.8), (0.6, 0.05), (0.7, 0)), ()),
    "m": (((0, 0), (0.05, 0.9), (0.25, 1.0), (0.4, 0.7), (0.42, 0.05), (0.45, 0.85),
           (0.7, 1.0), (0.85, 0.7), (0.88, 0.05), (0.95, 0)), ()),
    "u": (((0, 0.9), (0.05, 0.15), (0.3, 0), (0.55, 0.3), (0.6, 0.95), (0.62, 0.05),
           (0.72, 0)), ()),
    "o": (((0, 0.2), (0.3, 0.0), (0.55, 0.45), (0.35, 1.0), (0.05, 0.6), (0.3, 0.1),
           (0.6, 0.7), (0.75, 0.75)), ()),
    "a": (((0.55, 0.8), (0.3, 1.0), (0.05, 0.5), (0.25, 0.0), (0.55, 0.5), (0.58, 0.9),
           (0.6, 0.1), (0.72, 0)), ()),
    "e": (((0, 0.3), (0.5, 0.6), (0.35, 0.95), (0.05, 0.6), (0.2, 0.05), (0.6, 0.2)), ()),
    "h": (((0, 0), (0.35, 1.7), (0.3, 2.1), (0.1, 1.7), (0.08, 0.0), (0.15, 0.8), (0.4, 1.0),
           (0.6, 0.7), (0.62, 0.05), (0.72, 0)), ()),
    "l": (((0, 0), (0.35, 1.6), (0.3, 2.1), (0.1, 1.7), (0.2, 0.3), (0.45, 0)), ()),
    "g": (((0.55, 0.8), (0.3, 1.0), (0.05, 0.5), (0.25, 0.1), (0.55, 0.5), (0.58, 0.9),
           (0.55, -0.8), (0.25, -1.0), (0.1, -0.6), (0.7, 0)), ()),
    "i": (((0, 0), (0.15, 0.9), (0.2, 0.05), (0.35, 0)), (((0.15, 1.45), (0.18, 1.5)),)),
    "t": (((0, 0), (0.2, 1.7), (0.18, 0.1), (0.4, 0)), (((-0.1, 1.05), (0.45, 1.1)),)),
    "c": (((0.5, 0.85), (0.3, 1.0), (0.05, 0.5), (0.2, 0.02), (0.55, 0.15)), ()),
}
# Vietnamese tone marks and hats over a letter (from its top), as short pen lifts.
_ACCENTS = (
    ((0.15, 1.3), (0.4, 1.6)),  # sắc
    ((0.15, 1.6), (0.4, 1.3)),  # huyền
    ((0.1, 1.3), (0.3, 1.6), (0.5, 1.3)),  # circumflex
    ((0.15, 1.45), (0.3, 1.6), (0.4, 1.5), (0.28, 1.35)),  # hỏi
    ((0.3, -0.35), (0.33, -0.4)),  # nặng
)
# Digits in a 0.6 x 1 cell, y up.
_DIGITS = (
    ((0.3, 1.0), (0.05, 0.6), (0.1, 0.1), (0.35, 0.0), (0.55, 0.4), (0.5, 0.9), (0.3, 1.0)),
    ((0.15, 0.75), (0.4, 1.0), (0.4, 0.0)),
    ((0.05, 0.75), (0.3, 1.0), (0.55, 0.8), (0.05, 0.0), (0.6, 0.02)),
    ((0.05, 0.9), (0.5, 0.95), (0.25, 0.55), (0.55, 0.3), (0.3, 0.0), (0.0, 0.1)),
    ((0.45, 0.0), (0.45, 1.0), (0.0, 0.35), (0.6, 0.35)),
    ((0.55, 1.0), (0.1, 1.0), (0.05, 0.55), (0.5, 0.5), (0.55, 0.15), (0.3, 0.0), (0.0, 0.1)),
    ((0.5, 1.0), (0.1, 0.5), (0.15, 0.05), (0.45, 0.05), (0.5, 0.4), (0.1, 0.4)),
    ((0.0, 1.0), (0.6, 1.0), (0.2, 0.0)),
    ((0.3, 0.55), (0.05, 0.8), (0.3, 1.0), (0.55, 0.8), (0.05, 0.25), (0.3, 0.0), (0.55, 0.25),
     (0.3, 0.55)),
    ((0.55, 0.6), (0.3, 0.45), (0.05, 0.7), (0.3, 1.0), (0.55, 0.75), (0.45, 0.0)),
)


def _smooth(points: np.ndarray, rounds: int = 2) -> np.ndarray:
    """Chaikin corner cutting: a hand's rounded turns between the shape's points."""
    p = points
    for _ in range(rounds):
        if len(p) < 3:
            return p
        q = 0.75 * p[:-1] + 0.25 * p[1:]
        r = 0.25 * p[:-1] + 0.75 * p[1:]
        p = np.vstack([p[:1], np.stack([q, r], axis=1).reshape(-1, 2), p[-1:]])
    return p


def _script(rng: np.random.Generator, length: float) -> list[np.ndarray]:
    """Cursive words about ``length`` x-heights long, y up: one joined stroke per word plus
    pen lifts (dots, bars, tone marks)."""
    names = list(_LETTERS)
    strokes: list[np.ndarray] = []
    x = 0.0
    while True:
        word: list[np.ndarray] = []
        for _ in range(int(rng.integers(2, 8))):
            path, lifts = _LETTERS[names[int(rng.integers(len(names)))]]
            s = rng.uniform(0.85, 1.15)
            pts = np.array(path, float) * s + np.array([x, 0.0])
            word.append(pts if not word else pts[1:])
            for lift in lifts:
                strokes.append(np.array(lift, float) * s + np.array([x, 0.0]))
            if rng.random() < 0.35:  # a tone mark or a hat
                acc = _ACCENTS[int(rng.integers(len(_ACCENTS)))]
                strokes.append(np.array(acc, float) + np.array([x + rng.uniform(0.0, 0.2), 0.0]))
            x = float(pts[-1, 0]) + rng.uniform(0.0, 0.1)
            if x >= length:
                break
        strokes.insert(0, _smooth(np.vstack(word)))
        if x >= length:
            return strokes
        x += rng.uniform(0.7, 1.2)  # the space between words


def _unit_note(kind: str, rng: np.random.Generator) -> list[np.ndarray]:
    """A note's strokes in its own units (y up), any size: `note_strokes_mm` fits them."""
    if kind == "words":
        return _script(rng, rng.uniform(5.0, 15.0))
    if kind == "question":
        hook = np.array([(0.05, 0.75), (0.2, 0.98), (0.45, 1.0), (0.6, 0.8), (0.5, 0.6),
                         (0.32, 0.45), (0.3, 0.25)])
        return [_smooth(hook), np.array([(0.3, 0.02), (0.33, 0.0)])]
    if kind == "number":
        out = []
        for i in range(int(rng.integers(1, 4))):
            d = np.array(_DIGITS[int(rng.integers(len(_DIGITS)))], float)
            out.append(_smooth(d + np.array([0.8 * i, 0.0]), 1))
        return out
    if kind == "scrawl":  # a signature: a capital's loop, then fast joined waves, an underline
        t = np.linspace(0.0, 1.0, 80)
        n = rng.uniform(4, 8)
        body = np.stack([6 * t + 0.35 * np.sin(2 * math.pi * n * t),
                         0.5 + 0.5 * np.sin(2 * math.pi * n * t + rng.uniform(0, math.pi))
                         * (1 - 0.4 * t)], axis=1)
        cap = _ring(rng, 0.7) * (0.8, 1.2) + (0.2, 0.9)
        under = np.array([(0.0, -0.3), (3.0, -0.45), (6.3, -0.2)])
        return [cap, body, _smooth(under, 1)]
    if kind == "arrow":
        length = rng.uniform(4.0, 7.0)
        shaft = np.array([(0.0, 0.5), (length / 2, 0.5 + rng.normal(0, 0.1)), (length, 0.5)])
        head = np.array([(length - 0.8, 1.0), (length, 0.5), (length - 0.8, 0.0)])
        if rng.random() < 0.5:
            return [_smooth(shaft, 1), head]
        return [_smooth(shaft, 1), head * (-1, 1) + np.array([length, 0.0])]  # pointing left
    raise ValueError(f"unknown note kind '{kind}'; use one of {', '.join(NOTE_KINDS)}")


def note_strokes_mm(kind: str, place: Rect, rng: np.random.Generator) -> list[np.ndarray]:
    """Where a hand writes a note of ``kind`` in ``place`` (page mm): polylines in page mm.

    Words are 3-6 mm high (the x-height half of that) and as long as they come out,
    10-40 mm, shrunk to fit ``place``; a question mark 4-6 mm, digits 4-6 mm, a
    scrawl 15-40 mm long; an arrow 10-30 mm; ``circle`` is a hand-drawn ring around
    ``place`` itself (a name circled). The note is centred in ``place`` with a
    small random offset, slanted and bent like handwriting, with tremor.

    Raises
    ------
    ValueError
        Unknown ``kind``.
    """
    if kind == "circle":
        ring = _ring(rng, 0.5) * (place.w * 1.08, place.h * 1.15)
        ring = ring + place.centre
        return [ring + _smooth_noise(len(ring), 0.08, rng)]
    if kind == "words":  # in x-heights: 1.5-3 mm, 3-6 mm with ascenders and descenders
        xh = rng.uniform(1.5, 3.0)
        strokes = _script(rng, min(rng.uniform(10.0, 40.0), 0.95 * place.w) / xh)
    else:
        strokes = _unit_note(kind, rng)
    allpts = np.vstack(strokes)
    lo, hi = allpts.min(axis=0), allpts.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
    if kind == "words":
        scale = xh
    elif kind == "arrow":
        scale = rng.uniform(10.0, 30.0) / span[0]
    elif kind == "scrawl":
        scale = min(rng.uniform(4.0, 8.0) / span[1], rng.uniform(15.0, 40.0) / span[0])
    else:  # a question mark, digits
        scale = rng.uniform(4.0, 6.0) / span[1]
    scale = min(scale, 0.95 * place.w / span[0], 0.95 * place.h / span[1])
    slant = rng.uniform(0.05, 0.3)
    angle = math.radians(rng.normal(0.0, 3.0))
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    size = span * scale
    room = np.maximum(np.array([place.w, place.h]) - size, 0.0) / 2
    centre = np.array(place.centre) + rng.uniform(-1, 1, 2) * room * 0.5
    out = []
    for s in strokes:
        u = (s - (lo + hi) / 2) * scale
        u[:, 0] += slant * u[:, 1]
        p = (u * (1, -1)) @ rot.T + centre  # y down on the page
        if len(p) > 2:
            p = p + _smooth_noise(len(p), 0.04, rng)
        out.append(p)
    return out


def draw_note(img: np.ndarray, kind: str, place: Rect, mm_to_px: float, pen: str,
              width_mm: float, rng: np.random.Generator) -> None:
    """Write a note of ``kind`` (one of `NOTE_KINDS`) in ``place`` (page mm), in place.

    See `note_strokes_mm` for its shape and size; drawn like every other stroke
    (`ink_strokes`).
    """
    ink_strokes(img, note_strokes_mm(kind, place, rng), mm_to_px, pen, width_mm, rng)


# ---------------------------------------------------------------------------
# Scanning


@dataclass(frozen=True)
class ScanProfile:
    """A document scanner's effect on a page; ranges are drawn uniformly per page.

    Parameters
    ----------
    dpi : int
        Scan resolution (150, 200, 300 or 600); pages are printed at it.
    colour : {"rgb", "grey", "bitonal"}
        What `degrade` returns: (H, W, 3) uint8, (H, W) uint8, or (H, W) bool
        (True = white).
    quarter_turns : tuple of int
        Counter-clockwise quarter turns a page may be fed with (2 = upside down).
    skew_deg : float
        Largest skew either way, degrees; the uncovered corners are paper white.
    shift_mm : float
        Largest shift in x and y, mm.
    scale : (float, float)
        Print scale range ("fit to page" shrinks to 94-97%).
    blur_mm : (float, float)
        Gaussian blur sigma range, mm (optics: 0.02-0.06 mm).
    noise : (float, float)
        Gaussian sensor noise sigma range, grey levels.
    paper : (float, float)
        Paper white level range, fraction of 255.
    ink : (float, float)
        How much black lifts (toner fading, scanner gamma), fraction of 255.
    tint : float
        Largest per-channel deviation of the paper colour (recycled paper).
    jpeg_quality : int
        Quality used when this scan is written as JPEG (file or PDF page).
    threshold : int or None
        Bitonal threshold on 0-255 grey; None uses Otsu's.
    speckle : float
        Share of pixels flipped after thresholding (dust, fibres).
    border_mm : float
        Scan area beyond the paper on every side (a flatbed larger than the
        sheet), paper-white. Without it a page skewed by more than about 2
        degrees loses its corners, registration marks included.
    streak : float
        Share of pages with a scanner streak: dirt on the glass draws a dark
        straight line through the whole scan, along the feed (image columns)
        or, on one page in five, across it (image rows).
    streak_width_mm, streak_darkness : (float, float)
        Its width (mm) and how dark it is (share of the way from paper to
        black, 1 = as black as toner).
    streak_span : (float, float)
        Where across the image the streak lies (share of the width or
        height): ``(0.55, 0.95)`` puts it mostly through the boxes of an
        upright ballot.
    camera : bool
        A phone photo instead of a scan (`photograph`): the page lies on a
        desk, seen in perspective, under uneven light and a soft shadow.
        ``dpi`` is then the resolution the page is printed at before the
        photo; ``skew_deg`` is how far the page is turned on the desk;
        ``blur_mm`` is in image pixels' units of mm at the page (focus).
    megapixels : (float, float)
        Photo size range (4:3, portrait).
    page_fill : (float, float)
        Share of the photo's height the page spans.
    perspective : float
        Largest displacement of each page corner, as a share of the page's
        width in the photo (0.06 is a phone tilted about 15-20 degrees).
    light : float
        Largest fall of the light across the photo (0.3: one side 30 %
        darker).
    shadow : (float, float)
        Depth range of a soft shadow (a hand, the phone) over part of the page.
    bleed : (float, float)
        Contrast range of the back side showing through a ballot page (its
        print and heavy felt-tip marks, mirrored, blurred by the paper);
        (0, 0) for none. Thin paper and a felt tip: up to about 0.15.
    fold : float
        Share of ballot pages folded before scanning: a crease across the
        sheet (a thin grey line, ``fold_darkness`` of the way to black) with
        the paper on one side a little darker.
    fold_darkness : (float, float)
        How dark the crease line is.
    """

    dpi: int = 200
    colour: ColourMode = "grey"
    quarter_turns: tuple[int, ...] = (0,)
    skew_deg: float = 0.7
    shift_mm: float = 1.5
    scale: tuple[float, float] = (0.99, 1.0)
    blur_mm: tuple[float, float] = (0.02, 0.05)
    noise: tuple[float, float] = (1.5, 4.0)
    paper: tuple[float, float] = (0.93, 0.99)
    ink: tuple[float, float] = (0.03, 0.12)
    tint: float = 0.008
    jpeg_quality: int = 85
    threshold: int | None = None
    speckle: float = 0.0
    border_mm: float = 0.0
    streak: float = 0.0
    streak_width_mm: tuple[float, float] = (0.2, 1.0)
    streak_darkness: tuple[float, float] = (0.35, 0.9)
    streak_span: tuple[float, float] = (0.1, 0.9)
    camera: bool = False
    megapixels: tuple[float, float] = (8.0, 12.0)
    page_fill: tuple[float, float] = (0.75, 0.9)
    perspective: float = 0.06
    light: float = 0.3
    shadow: tuple[float, float] = (0.15, 0.45)
    bleed: tuple[float, float] = (0.0, 0.0)
    fold: float = 0.0
    fold_darkness: tuple[float, float] = (0.05, 0.2)

    def __post_init__(self) -> None:
        if not 72 <= self.dpi <= 1200:
            raise ValueError(f"scan resolution {self.dpi} dpi is outside 72-1200")
        if self.colour not in ("rgb", "grey", "bitonal"):
            raise ValueError(f"colour '{self.colour}' is not rgb, grey or bitonal")
        if not self.quarter_turns or any(k not in (0, 1, 2, 3) for k in self.quarter_turns):
            raise ValueError("quarter_turns must be a non-empty tuple of 0, 1, 2, 3")
        if not 1 <= self.jpeg_quality <= 100:
            raise ValueError(f"JPEG quality {self.jpeg_quality} is outside 1-100")

    @property
    def px_per_mm(self) -> float:
        return px_per_mm(self.dpi)


#: A good office scanner: 300 dpi grey, barely skewed.
CLEAN = ScanProfile(dpi=300, skew_deg=0.3, shift_mm=0.8, noise=(1.0, 2.0), ink=(0.02, 0.06))
#: The usual sheet-fed office scanner at 200 dpi grey, pages fed any way round.
OFFICE = ScanProfile(dpi=200, quarter_turns=(0, 2), skew_deg=1.5, shift_mm=2.0,
                     scale=(0.97, 1.0))
#: A copier's "scan to PDF" in colour at 150 dpi, JPEG quality 60.
COLOUR_150 = ScanProfile(dpi=150, colour="rgb", skew_deg=1.0, jpeg_quality=60,
                         blur_mm=(0.04, 0.08))
#: 1-bit 200 dpi fax-style scan with Otsu's threshold and dust.
BITONAL = ScanProfile(dpi=200, colour="bitonal", skew_deg=1.0, speckle=0.0005)
#: Everything at its worst: 5 degrees, fit-to-page shrink, any orientation, heavy noise,
#: on a scan area 12 mm larger than the sheet all round so no corner is lost.
ROUGH = ScanProfile(dpi=150, quarter_turns=(0, 1, 2, 3), skew_deg=5.0, shift_mm=4.0,
                    scale=(0.94, 1.0), blur_mm=(0.05, 0.1), noise=(4.0, 8.0),
                    paper=(0.85, 0.95), ink=(0.08, 0.2), tint=0.03, jpeg_quality=50,
                    border_mm=12.0)
#: A phone photo of a ballot on a desk: 8-12 MP, perspective, uneven light, a soft
#: shadow, mild blur, JPEG 85.
PHONE = ScanProfile(dpi=300, colour="rgb", camera=True, quarter_turns=(0, 2), skew_deg=6.0,
                    blur_mm=(0.04, 0.09), noise=(2.0, 5.0), paper=(0.88, 0.98),
                    ink=(0.04, 0.12), tint=0.03, jpeg_quality=85)
#: Thin paper handled roughly: the back side shows through every page (up to 15 %
#: contrast) and three pages in four were folded, at 200 dpi grey.
WORN = ScanProfile(dpi=200, quarter_turns=(0, 2), skew_deg=1.0, shift_mm=2.0,
                   bleed=(0.04, 0.15), fold=0.75)
#: A 200 dpi grey sheet-fed scanner with dirty glass: a dark line on every page,
#: mostly through the ballot's boxes.
STREAKED = ScanProfile(dpi=200, skew_deg=1.0, shift_mm=2.0,
                       streak=1.0, streak_span=(0.55, 0.95))
#: The same glass with the pages fed sideways: the line runs along the ballot's rows
#: (through a row's three boxes and its name, or across the QR code), 0.3-1.5 mm wide.
STREAKED_SIDEWAYS = replace(STREAKED, quarter_turns=(1, 3), streak_width_mm=(0.3, 1.5))
#: A 1-bit 200 dpi scanner with dirty glass: the threshold makes the line solid black, or a
#: light one dashes.
STREAKED_BITONAL = replace(BITONAL, streak=1.0, streak_span=(0.55, 0.95))
#: A phone photo at its worst: 8 MP with the page filling 55-70 % of the frame, each corner
#: moved by up to 12 % of the page's width, the page turned up to 15 degrees on the desk,
#: the light falling by half across it, a deep shadow, soft focus, JPEG 70.
HARSH_PHONE = replace(PHONE, megapixels=(8.0, 8.0), page_fill=(0.55, 0.7), perspective=0.12,
                      light=0.5, shadow=(0.3, 0.6), blur_mm=(0.08, 0.14), jpeg_quality=70,
                      skew_deg=15.0)


def degrade(img_rgb_at_print_dpi: np.ndarray, profile: ScanProfile,
            rng: np.random.Generator) -> np.ndarray:
    """Put an upright printed (and marked) page through a document scanner.

    In order: paper and toner tone, the scan area's border, print scale,
    skew and shift (paper-white fill), optical blur, sensor noise, the page's orientation in the feeder,
    then grey or 1-bit output (with speckle).

    Parameters
    ----------
    img_rgb_at_print_dpi : numpy.ndarray
        uint8 (H, W, 3) RGB page rendered at ``profile.dpi``.
    profile : ScanProfile
        The scanner.
    rng : numpy.random.Generator
        Draws this page's skew, shift, noise, ...

    Returns
    -------
    numpy.ndarray
        (H', W', 3) uint8 RGB, (H', W') uint8 grey, or (H', W') bool
        (True = white) as ``profile.colour`` says: the page plus
        ``profile.border_mm`` on each side, H' and W' swapped for an odd
        number of quarter turns.
    """
    img = img_rgb_at_print_dpi
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 page, got shape {img.shape} {img.dtype}")
    if profile.camera:
        return photograph(img, profile, rng)
    ppm = profile.px_per_mm
    # draw everything first: the page's draws do not depend on its size or colour
    paper = rng.uniform(*profile.paper) * 255.0
    black = rng.uniform(*profile.ink) * 255.0
    tint = 1.0 + rng.uniform(-profile.tint, profile.tint, 3)
    angle = rng.uniform(-profile.skew_deg, profile.skew_deg)
    scale = rng.uniform(*profile.scale)
    dx, dy = rng.uniform(-profile.shift_mm, profile.shift_mm, 2) * ppm
    sigma = rng.uniform(*profile.blur_mm) * ppm
    noise_sd = rng.uniform(*profile.noise)
    k = int(profile.quarter_turns[int(rng.integers(len(profile.quarter_turns)))])
    streak = None
    if profile.streak > 0 and rng.random() < profile.streak:  # no draws without streaks
        streak = (rng.random() < 0.8, rng.uniform(*profile.streak_span),
                  rng.uniform(*profile.streak_width_mm) * ppm, rng.uniform(*profile.streak_darkness))

    if profile.colour == "rgb":
        planes = [img[:, :, c] for c in range(3)]
        papers = [min(255.0, paper * t) for t in tint]
    else:
        planes = [cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)]
        papers = [paper]
    b = round(profile.border_mm * ppm)
    h, w = img.shape[0] + 2 * b, img.shape[1] + 2 * b
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m[:, 2] += (dx, dy)
    moved = abs(angle) > 1e-6 or abs(scale - 1) > 1e-6 or abs(dx) > 1e-3 or abs(dy) > 1e-3
    noise = rng.standard_normal((h, w), dtype=np.float32) * noise_sd if noise_sd > 0 else None
    out_planes = []
    for plane, level in zip(planes, papers, strict=True):  # one channel at a time: memory
        work = black + (level - black) / 255.0 * plane.astype(np.float32)
        if b:
            work = cv2.copyMakeBorder(work, b, b, b, b, cv2.BORDER_CONSTANT, value=level)
        if moved:
            work = cv2.warpAffine(work, m, (w, h), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=level)
        if sigma > 0.1:
            work = cv2.GaussianBlur(work, (0, 0), sigma)
        if noise is not None:
            work += noise
        work += 0.5
        out_planes.append(np.clip(work, 0, 255).astype(np.uint8))
        del work
    out = out_planes[0] if len(out_planes) == 1 else np.dstack(out_planes)
    if k:
        out = np.ascontiguousarray(np.rot90(out, k))
    if streak is not None:
        _draw_streak(out, *streak, black=black)
    if profile.colour != "bitonal":
        return out
    return to_bitonal(out, profile.threshold, profile.speckle, rng)


def photograph(img_rgb_at_print_dpi: np.ndarray, profile: ScanProfile,
               rng: np.random.Generator) -> np.ndarray:
    """A phone photo of an upright printed (and marked) page lying on a desk.

    In order: paper and toner tone; the page turned (``quarter_turns``, then
    up to ``skew_deg``), scaled to ``page_fill`` of a 4:3 portrait photo of
    ``megapixels``, its corners moved by up to ``perspective`` (a tilted
    phone), warped onto a wood-grain desk; light falling off across the
    photo by up to ``light``; a soft shadow of depth ``shadow`` over part of
    the page; focus blur; sensor noise. Returns (H, W, 3) uint8 RGB, or
    grey/1-bit as ``profile.colour`` says.
    """
    img = img_rgb_at_print_dpi
    ph, pw = img.shape[:2]
    paper = rng.uniform(*profile.paper) * 255.0
    black = rng.uniform(*profile.ink) * 255.0
    tint = 1.0 + rng.uniform(-profile.tint, profile.tint, 3)
    mp = rng.uniform(*profile.megapixels) * 1e6
    w = int(math.sqrt(mp * 3 / 4))
    h = int(w * 4 / 3)
    k = int(profile.quarter_turns[int(rng.integers(len(profile.quarter_turns)))])
    angle = math.radians(rng.uniform(-profile.skew_deg, profile.skew_deg) + 90 * k)
    fill = rng.uniform(*profile.page_fill)
    s = fill * h / max(ph, pw) if k % 2 == 0 else fill * h / max(ph, pw) * 0.95
    cx = w / 2 + rng.uniform(-0.04, 0.04) * w
    cy = h / 2 + rng.uniform(-0.04, 0.04) * h
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    dst = ((src - (pw / 2, ph / 2)) * s) @ rot.T + (cx, cy)
    dst += rng.uniform(-1, 1, (4, 2)) * profile.perspective * pw * s
    # a person frames the whole sheet: keep its corners 2 % inside the photo
    lo, hi = dst.min(axis=0), dst.max(axis=0)
    fit = min(1.0, *((0.48 * np.array([w, h])) / np.maximum(np.abs(lo - (w / 2, h / 2)),
                                                              np.abs(hi - (w / 2, h / 2)))))
    dst = (dst - (w / 2, h / 2)) * fit + (w / 2, h / 2)
    hom = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    # the desk: wood grain (stretched noise), its own colour, darker than paper
    grain = cv2.resize(rng.standard_normal((64, 8)).astype(np.float32), (w, h),
                       interpolation=cv2.INTER_CUBIC)
    fine = cv2.resize(rng.standard_normal((h // 8, w // 64)).astype(np.float32), (w, h),
                      interpolation=cv2.INTER_LINEAR)
    desk_tone = rng.uniform(70, 150)
    desk = desk_tone + 12 * grain + 5 * fine
    desk_colour = np.array([1.0, rng.uniform(0.75, 0.9), rng.uniform(0.5, 0.75)], np.float32)
    # light: a linear fall-off, and a soft-edged shadow polygon over part of the page
    yy, xx = np.mgrid[0:h:8, 0:w:8].astype(np.float32)
    d = rng.normal(size=2)
    d /= np.linalg.norm(d)
    ramp = (xx * d[0] + yy * d[1]) / (abs(d[0]) * w + abs(d[1]) * h)
    ramp -= ramp.min()
    light = 1.0 - rng.uniform(0.3, 1.0) * profile.light * ramp / max(float(ramp.max()), 1e-6)
    shade = np.zeros_like(light)
    if profile.shadow[1] > 0:
        # a hand's or the phone's shadow: a large soft ellipse reaching in from an edge
        a, b = dst[int(rng.integers(4))] / 8, dst[int(rng.integers(4))] / 8
        edge = a + (b - a) * rng.uniform(0.2, 0.8)
        side = float(np.linalg.norm(dst[1] - dst[0])) / 8
        axes = (int(side * rng.uniform(0.3, 0.6)), int(side * rng.uniform(0.2, 0.4)))
        cv2.ellipse(shade, (int(edge[0]), int(edge[1])), axes, float(rng.uniform(0, 180)), 0, 360,
                    1.0, -1)
        shade = cv2.GaussianBlur(shade, (0, 0), side * rng.uniform(0.01, 0.04))
    light *= 1.0 - rng.uniform(*profile.shadow) * shade
    light = cv2.resize(light, (w, h), interpolation=cv2.INTER_LINEAR)
    sigma = rng.uniform(*profile.blur_mm) * s * profile.px_per_mm
    noise_sd = rng.uniform(*profile.noise)
    # the page's coverage of each photo pixel (anti-aliased edge)
    cover = cv2.warpPerspective(np.ones((ph, pw), np.float32), hom, (w, h), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    out = np.empty((h, w, 3), np.uint8)
    for c in range(3):  # one channel at a time: memory
        level = min(255.0, paper * tint[c])
        plane = black + (level - black) / 255.0 * img[:, :, c].astype(np.float32)
        work = cv2.warpPerspective(plane, hom, (w, h), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        work += (1.0 - cover) * (desk * desk_colour[c])
        work *= light
        if sigma > 0.3:
            work = cv2.GaussianBlur(work, (0, 0), sigma)
        work += rng.standard_normal((h, w), dtype=np.float32) * noise_sd + 0.5
        out[:, :, c] = np.clip(work, 0, 255).astype(np.uint8)
    if profile.colour == "rgb":
        return out
    grey = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)
    return grey if profile.colour == "grey" else to_bitonal(grey, profile.threshold)


def _draw_streak(img: np.ndarray, along_feed: bool, where: float, width_px: float,
                 darkness: float, black: float) -> None:
    """Darken, in place, a straight line through the whole image: dirt on the scanner glass.

    ``along_feed``: an image column band (else a row band) at ``where``
    (share of the width or height), ``width_px`` wide with soft edges,
    ``darkness`` of the way from the image's own level to ``black``.
    """
    n = img.shape[1] if along_feed else img.shape[0]
    pos = np.arange(n, dtype=np.float32) - where * n
    cover = np.clip(width_px / 2 + 0.5 - np.abs(pos), 0.0, 1.0) * darkness  # antialiased edge
    idx = np.flatnonzero(cover)
    c = cover[idx]
    if along_feed:
        band = img[:, idx].astype(np.float32)
        shape = (1, -1) + (1,) * (img.ndim - 2)
    else:
        band = img[idx].astype(np.float32)
        shape = (-1,) + (1,) * (img.ndim - 1)
    band += (black - band) * c.reshape(shape)
    band = np.clip(band + 0.5, 0, 255).astype(np.uint8)
    if along_feed:
        img[:, idx] = band
    else:
        img[idx] = band


#: Range an automatic (Otsu) bitonal threshold is kept in, 0-255 grey.
AUTO_THRESHOLD = (96, 176)


def to_bitonal(grey: np.ndarray, threshold: int | None = None, speckle: float = 0.0,
               rng: np.random.Generator | None = None) -> np.ndarray:
    """Threshold a uint8 grey page to 1 bit: bool (H, W), True = white.

    ``threshold`` None uses Otsu's, kept within `AUTO_THRESHOLD` as a
    scanner's automatic threshold is: a page without ink has no two classes
    to split, and unclamped Otsu would cut its paper noise in half.
    ``speckle`` flips that share of pixels (needs ``rng``).
    """
    if grey.ndim == 3:
        grey = cv2.cvtColor(grey, cv2.COLOR_RGB2GRAY)
    if threshold is None:
        t, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        t = min(max(t, AUTO_THRESHOLD[0]), AUTO_THRESHOLD[1])
    else:
        t = threshold
    white = grey > t
    if speckle > 0:
        if rng is None:
            raise ValueError("speckle needs an rng")
        n = int(speckle * white.size)
        idx = rng.integers(0, white.size, n)
        flat = white.reshape(-1)
        flat[idx] = ~flat[idx]
    return white


def show_through(img: np.ndarray, back: np.ndarray, layout: BallotLayout, back_page: int,
                 contrast: tuple[float, float], mm_to_px: float,
                 rng: np.random.Generator) -> None:
    """The back of the sheet showing through ``img`` (upright RGB), in place.

    The back is the printed page ``back`` with heavy felt-tip marks (fills
    and thick X's) in a third of its boxes, mirrored left-right (seen
    through the sheet), blurred 0.3-0.6 mm by the paper and laid over the
    front at ``contrast`` (drawn in the range) of its own darkness.
    """
    marked = back.copy()
    spec = layout.page(back_page)
    for row in spec.template.rows:
        for box in row.boxes:
            if rng.random() < 0.33:
                shape = "fill" if rng.random() < 0.5 else "x"
                draw_mark(marked, box, mm_to_px, Mark(shape, "black", 1.2), rng)
    grey = cv2.cvtColor(marked, cv2.COLOR_RGB2GRAY)[:, ::-1].astype(np.float32)
    if grey.shape != img.shape[:2]:
        grey = cv2.resize(grey, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_AREA)
    grey = cv2.GaussianBlur(grey, (0, 0), rng.uniform(0.3, 0.6) * mm_to_px)
    keep = 1.0 - rng.uniform(*contrast) * (1.0 - grey / 255.0)
    out = img.astype(np.float32) * keep[:, :, None]
    img[...] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


def fold_crease(img: np.ndarray, darkness: tuple[float, float], mm_to_px: float,
                rng: np.random.Generator) -> None:
    """A fold across the upright page ``img`` (RGB), in place.

    Folded in half or in three across (or, one time in four, down the
    middle), a few degrees off square: a crease line 0.3-0.6 mm wide,
    ``darkness`` of the way to black, and the paper on one side 2-6 % darker
    over a 3-8 mm ramp (the sheet does not lie quite flat).
    """
    h, w = img.shape[:2]
    across = rng.random() < 0.75
    at = rng.choice([1 / 3, 1 / 2, 2 / 3]) + rng.normal(0, 0.01)
    angle = math.radians(rng.normal(0, 1.5))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if across:
        dist = (yy - at * h) * math.cos(angle) - (xx - w / 2) * math.sin(angle)
    else:
        dist = (xx - at * w) * math.cos(angle) + (yy - h / 2) * math.sin(angle)
    dist /= mm_to_px  # mm from the crease
    half = rng.uniform(0.15, 0.3)
    line = np.clip(half + 0.5 / mm_to_px - np.abs(dist), 0, None) * mm_to_px
    crease = rng.uniform(*darkness) * np.clip(line, 0, 1)
    ramp = rng.uniform(3.0, 8.0)
    side = rng.uniform(0.02, 0.06) * np.clip(dist / ramp, 0, 1)
    keep = (1.0 - crease) * (1.0 - side)
    out = img.astype(np.float32) * keep[:, :, None]
    img[...] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------
# Sheets that are not this campaign's ballots


def duplex_back(front_rgb: np.ndarray, mm_to_px: float, rng: np.random.Generator,
                contrast: tuple[float, float] = (0.02, 0.05)) -> np.ndarray:
    """The blank back of a printed sheet: white, with the front faintly showing through.

    The front is mirrored left-right, blurred by about 1.5 mm (paper
    scatters light) and kept at 2-5% of its contrast. Pass the result to
    `degrade` for the scanner's noise.

    Returns
    -------
    numpy.ndarray
        uint8 (H, W, 3) RGB, the size of ``front_rgb``.
    """
    grey = cv2.cvtColor(front_rgb, cv2.COLOR_RGB2GRAY)
    mirrored = grey[:, ::-1].astype(np.float32)
    blurred = cv2.GaussianBlur(mirrored, (0, 0), 1.5 * mm_to_px)
    c = rng.uniform(*contrast)
    back = 255.0 - (255.0 - blurred) * c
    back = np.clip(back + 0.5, 0, 255).astype(np.uint8)
    return np.repeat(back[:, :, None], 3, axis=2)


def blank_sheet(size_mm: tuple[float, float], dpi: float) -> np.ndarray:
    """An unprinted sheet, uint8 (H, W, 3) RGB white, at ``dpi``.

    Sized as pdfium renders a page of ``size_mm``: each side rounded up to a pixel.
    """
    ppm = px_per_mm(dpi)
    h, w = (math.ceil(v * ppm - 1e-6) for v in (size_mm[1], size_mm[0]))
    return np.full((h, w, 3), 255, np.uint8)


_MEMO_LINES = (
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 13, True),
    ("Độc lập - Tự do - Hạnh phúc", 13, True),
    ("", 13, False),
    ("GIẤY MỜI HỌP", 15, True),
    ("", 13, False),
    ("Kính gửi: các đồng chí đại biểu Hội đồng nhân dân huyện.", 13, False),
    ("Thường trực Hội đồng nhân dân huyện trân trọng kính mời các đồng chí", 13, False),
    ("dự kỳ họp thường lệ cuối năm, lúc 07 giờ 30 phút, tại hội trường", 13, False),
    ("Ủy ban nhân dân huyện. Đề nghị các đồng chí nghiên cứu tài liệu gửi kèm,", 13, False),
    ("chuẩn bị ý kiến thảo luận và tham dự đầy đủ, đúng giờ.", 13, False),
    ("", 13, False),
    ("Nơi nhận: như trên; lưu văn thư.", 11, False),
    ("TM. THƯỜNG TRỰC HĐND", 13, True),
    ("CHỦ TỊCH", 13, True),
)


def memo_page(size_mm: tuple[float, float], dpi: float, rng: np.random.Generator) -> np.ndarray:
    """A page that is not a ballot: a short Vietnamese meeting notice.

    Drawn with the Liberation Serif bundled in ``pipeline/fonts`` (full
    Vietnamese). Returns uint8 (H, W, 3) RGB at ``dpi``, upright.
    """
    img = Image.fromarray(blank_sheet(size_mm, dpi))
    draw = ImageDraw.Draw(img)
    ppm = px_per_mm(dpi)
    fonts = resources.files("pipeline").joinpath("fonts")
    regular = fonts.joinpath("LiberationSerif-Regular.ttf").read_bytes()
    bold = fonts.joinpath("LiberationSerif-Bold.ttf").read_bytes()
    y = (25 + rng.uniform(0, 15)) * ppm
    left = (25 + rng.uniform(-3, 3)) * ppm
    for text, pt, is_bold in _MEMO_LINES:
        size = max(6, round(pt * dpi / PT_PER_INCH))
        font = ImageFont.truetype(io.BytesIO(bold if is_bold else regular), size)
        if text:
            width = draw.textlength(text, font=font)
            x = (img.width - width) / 2 if is_bold else left
            draw.text((x, y), text, fill=(20, 20, 20), font=font)
        y += size * 1.5
    return np.asarray(img).copy()


# ---------------------------------------------------------------------------
# A whole stack


@dataclass(frozen=True)
class _PagePlan:
    """How to make one page of a stack; every page is made from its own seed."""

    kind: str  # ballot | foreign_ballot | blank_back | blank_sheet | memo | rescan
    seed: int
    ballot_page: int | None = None  # 1-based page of the layout, for ballots
    rows: tuple[RowTruth, ...] = ()  # the marks to draw, for ballots
    ref: int | None = None  # the front of a back; the page a rescan repeats
    notes: tuple[NoteTruth, ...] = ()  # notes written outside the boxes, for ballots


class PageImages(Sequence[np.ndarray]):
    """The scanned page images of a `Stack`, made on demand: indexing builds one page.

    Each page comes from its own seed, so ``images[i]`` is the same array
    every time and the stack never holds more than a page or two in memory.
    """

    def __init__(self, plans: Sequence[_PagePlan], printed: Mapping[str, Sequence[np.ndarray]],
                 layouts: Mapping[str, BallotLayout], profile: ScanProfile) -> None:
        self._plans = tuple(plans)
        self._printed = printed
        self._layouts = layouts
        self._profile = profile

    def __len__(self) -> int:
        return len(self._plans)

    def __getitem__(self, i: int) -> np.ndarray:  # type: ignore[override]
        if not isinstance(i, int | np.integer):
            raise TypeError("PageImages is indexed by one page number at a time")
        n = len(self._plans)
        if not -n <= i < n:
            raise IndexError(f"page {i} of a {n}-page stack")
        plan = self._plans[int(i) % n]
        if plan.kind == "rescan":
            assert plan.ref is not None
            return self[plan.ref]
        return degrade(self.upright(int(i) % n), self._profile, np.random.default_rng(plan.seed))

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self[i]

    def upright(self, i: int) -> np.ndarray:
        """Page ``i`` printed and marked, before the scanner: uint8 (H, W, 3) RGB."""
        plan = self._plans[i]
        dpi = self._profile.dpi
        rng = np.random.default_rng([plan.seed, 1])
        if plan.kind in ("ballot", "foreign_ballot"):
            key = "own" if plan.kind == "ballot" else "foreign"
            assert plan.ballot_page is not None
            img = self._printed[key][plan.ballot_page - 1].copy()
            draw_page_marks(img, self._layouts[key], plan.ballot_page, plan.rows,
                            px_per_mm(dpi), rng)
            if plan.notes:  # their own stream: the marks and the wear stay as they were
                draw_notes(img, plan.notes, px_per_mm(dpi), np.random.default_rng([plan.seed, 6]))
            wear = np.random.default_rng([plan.seed, 3])  # no draws from rng: same marks
            if self._profile.bleed[1] > 0:
                pages = self._printed[key]
                back = pages[plan.ballot_page % len(pages)]  # the other side of the sheet
                show_through(img, back, self._layouts[key], plan.ballot_page % len(pages) + 1,
                             self._profile.bleed, px_per_mm(dpi), wear)
            if wear.random() < self._profile.fold:
                fold_crease(img, self._profile.fold_darkness, px_per_mm(dpi), wear)
            return img
        if plan.kind == "blank_back":
            assert plan.ref is not None
            return duplex_back(self.upright(plan.ref), px_per_mm(dpi), rng)
        size = self._layouts["own"].frame.page_size_mm
        if plan.kind == "blank_sheet":
            return blank_sheet(size, dpi)
        if plan.kind == "memo":
            return memo_page(size, dpi, rng)
        raise ValueError(f"no upright image for a page of kind '{plan.kind}'")


@dataclass(frozen=True, eq=False)
class Stack:
    """A scanned stack: page images in feed order and what each should read as.

    ``images`` is a lazy sequence (see `PageImages`); ``truth[i]`` belongs
    to ``images[i]``. Pages with the same ``units[i]`` are one sheet group
    (a ballot copy with its backs), so a stack is cut into files only
    between groups.
    """

    images: PageImages
    truth: tuple[PageTruth, ...]
    units: tuple[int, ...]
    campaign_id: str
    profile: ScanProfile

    @property
    def dpi(self) -> int:
        return self.profile.dpi

    def __len__(self) -> int:
        return len(self.truth)

    def counts(self) -> dict[int, dict[str, int]]:
        """Expected counts per candidate (STT) over accepted pages.

        ``high``, ``medium``, ``low``; ``invalid`` (blank and overvoted rows);
        ``review`` (rows a person must decide, not yet in any count).
        """
        out: dict[int, dict[str, int]] = {}
        for page in self.truth:
            if page.status != "accepted":
                continue
            for row in page.rows:
                c = out.setdefault(row.candidate,
                                   {"high": 0, "medium": 0, "low": 0, "invalid": 0, "review": 0})
                if row.outcome == "vote":
                    assert row.level is not None
                    c[row.level] += 1
                elif row.outcome == "review":
                    c["review"] += 1
                else:
                    c["invalid"] += 1
        return dict(sorted(out.items()))

    def statuses(self) -> dict[str, int]:
        """Number of pages of each status."""
        out = {"accepted": 0, "blank_page": 0, "rejected": 0, "duplicate": 0}
        for page in self.truth:
            out[page.status] += 1
        return out


def simulate_stack(
    campaign: Campaign,
    layout: BallotLayout,
    n_ballots: int,
    rng: np.random.Generator,
    *,
    profile: ScanProfile = OFFICE,
    vote_model: VoteModel | None = None,
    duplex: bool = False,
    blank_sheets: int = 0,
    memos: int = 0,
    foreign: tuple[Campaign, BallotLayout] | None = None,
    foreign_ballots: int = 0,
    rescans: int = 0,
    pdf_bytes: bytes | None = None,
) -> Stack:
    """Print, vote and scan ``n_ballots`` copies of a ballot, with other sheets mixed in.

    Parameters
    ----------
    campaign, layout : Campaign, BallotLayout
        The ballot to print (``pipeline.ballot_pdf.ballot_pdf_bytes``).
    n_ballots : int
        Ballot copies voted and scanned, each with all its pages in order.
    rng : numpy.random.Generator
        The only source of randomness: the same seed gives the same stack.
    profile : ScanProfile
        The scanner; pages are printed directly at ``profile.dpi``.
    vote_model : VoteModel, optional
        How people vote and mark (default `VoteModel()`).
    duplex : bool
        Scan both sides: every ballot page is followed by its blank back.
    blank_sheets, memos : int
        Unprinted sheets and meeting notices put in between ballots.
    foreign, foreign_ballots : (Campaign, BallotLayout), int
        Voted ballots of another campaign put in between (status rejected).
    rescans : int
        Ballot pages whose same scan image comes again later in the stack, a
        page scanned twice: status ``duplicate`` (ingest finds it by the
        stored image's hash).
    pdf_bytes : bytes, optional
        The printed ballot (one copy) if already made, e.g. by ``kiemphieu print``.

    Returns
    -------
    Stack

    Raises
    ------
    ValueError
        If counts are negative, a rescan is asked of a stack without ballots,
        foreign ballots come without a foreign campaign, or the PDF does not
        have the layout's page count.
    """
    if min(n_ballots, blank_sheets, memos, foreign_ballots, rescans) < 0:
        raise ValueError("numbers of ballots and sheets cannot be negative")
    if foreign_ballots and foreign is None:
        raise ValueError("foreign_ballots needs foreign=(campaign, layout) of another campaign")
    if rescans and not n_ballots:
        raise ValueError("rescans need at least one ballot to scan twice")
    model = vote_model or VoteModel()
    printed = {"own": _print(campaign, layout, profile.dpi, pdf_bytes)}
    layouts = {"own": layout}
    if foreign is not None and foreign_ballots:
        printed["foreign"] = _print(foreign[0], foreign[1], profile.dpi, None)
        layouts["foreign"] = foreign[1]

    def seed() -> int:
        return int(rng.integers(0, 2**63 - 1))

    Unit = list[tuple[_PagePlan, PageTruth]]

    def ballot_unit(lay: BallotLayout, rows: Sequence[VotedRow], number: int | None,
                    kind: str) -> Unit:
        out: Unit = []
        status: Status = "accepted" if kind == "ballot" else "rejected"
        for page, page_rows in zip(lay.pages, plan_marks(lay, rows, model.marks, rng),
                                   strict=True):
            n = page.template.page
            s = seed()
            notes: tuple[NoteTruth, ...] = ()
            if model.margin_notes > 0 or any(r.note for r in page_rows):
                # from the page's own seed: no draws from rng, the rest of the stack as it was
                key = "own" if kind == "ballot" else "foreign"
                notes = plan_notes(lay, n, page_rows, model.margin_notes,
                                   np.random.default_rng([s, 5]), printed[key][n - 1],
                                   profile.px_per_mm)
            out.append((_PagePlan(kind, s, ballot_page=n, rows=page_rows, notes=notes),
                        PageTruth(status, kind, lay.campaign_id, n, page_rows, number,
                                  notes=notes)))
            if duplex:
                out.append((_PagePlan("blank_back", seed(), ref=-1),  # ref: the page before
                            PageTruth("blank_page", "blank_back", ballot=number)))
        return out

    stts = [c.stt for c in campaign.candidates]
    units: list[Unit] = [ballot_unit(layout, rows, b, "ballot")
                         for b, rows in enumerate(cast_votes(model, stts, n_ballots, rng))]
    extras: list[Unit] = []
    extras += [[(_PagePlan("blank_sheet", seed()), PageTruth("blank_page", "blank_sheet"))]
               for _ in range(blank_sheets)]
    extras += [[(_PagePlan("memo", seed()), PageTruth("rejected", "memo"))] for _ in range(memos)]
    if foreign is not None and foreign_ballots:
        fstts = [c.stt for c in foreign[0].candidates]
        fmodel = VoteModel(mix=model.mix, marks=model.marks)
        extras += [ballot_unit(foreign[1], rows, None, "foreign_ballot")
                   for rows in cast_votes(fmodel, fstts, foreign_ballots, rng)]
    for unit in extras:
        units.insert(int(rng.integers(0, len(units) + 1)), unit)

    flat = [(plan, truth, u) for u, unit in enumerate(units) for plan, truth in unit]
    # pages scanned twice: (unit boundary to insert before, page repeated)
    boundaries = [i for i in range(1, len(flat) + 1) if i == len(flat) or flat[i][2] != flat[i - 1][2]]
    ballot_pages = [i for i, (_, t, _) in enumerate(flat) if t.kind == "ballot"]
    repeats: dict[int, list[int]] = {}
    for _ in range(rescans):
        src = int(rng.choice(ballot_pages))
        later = [b for b in boundaries if b > src]
        repeats.setdefault(int(rng.choice(later)), []).append(src)

    plans: list[_PagePlan] = []
    truth: list[PageTruth] = []
    unit_ids: list[int] = []
    new_index: dict[int, int] = {}
    for pos in range(len(flat) + 1):
        for src in repeats.get(pos, []):
            s = new_index[src]
            t = truth[s]
            plans.append(_PagePlan("rescan", seed(), ref=s))
            truth.append(PageTruth("duplicate", "rescan", t.campaign, t.ballot_page, t.rows,
                                   t.ballot, duplicate_of=s, notes=t.notes))
            unit_ids.append(len(units) + len(plans))  # a group of its own
        if pos == len(flat):
            break
        plan, t, u = flat[pos]
        new_index[pos] = len(plans)
        if plan.kind == "blank_back":
            plan = _PagePlan(plan.kind, plan.seed, ref=len(plans) - 1)
        plans.append(plan)
        truth.append(t)
        unit_ids.append(u)

    return Stack(images=PageImages(plans, printed, layouts, profile), truth=tuple(truth),
                 units=tuple(unit_ids), campaign_id=layout.campaign_id, profile=profile)


def _print(campaign: Campaign, layout: BallotLayout, dpi: int, pdf: bytes | None
           ) -> tuple[np.ndarray, ...]:
    if pdf is None:
        from pipeline.ballot_pdf import ballot_pdf_bytes

        pdf = ballot_pdf_bytes(campaign, layout, copies=1)
    pages = tuple(render_pages(pdf, dpi))
    if len(pages) != layout.page_count:
        raise ValueError(f"the printed PDF has {len(pages)} pages; the layout of "
                         f"'{layout.campaign_id}' has {layout.page_count} (one copy expected)")
    return pages


# ---------------------------------------------------------------------------
# Files


#: Input formats ``kiemphieu scan`` accepts, as written here.
FORMATS = ("png", "jpeg", "tiff-g4", "tiff-grey", "pdf-jpeg", "pdf-g4")
_SUFFIX = {"png": ".png", "jpeg": ".jpg", "tiff-g4": ".tif", "tiff-grey": ".tif",
           "pdf-jpeg": ".pdf", "pdf-g4": ".pdf"}
_MULTI_PAGE = {"tiff-g4", "tiff-grey", "pdf-jpeg", "pdf-g4"}
# A fixed date in PDF metadata, so the same stack gives the same bytes.
_PDF_DATE = time.struct_time((2026, 1, 1, 0, 0, 0, 3, 1, 0))


@dataclass(frozen=True)
class PageFile:
    """Where one page went: the file and its 0-based page index within it."""

    path: Path
    page_index: int


def _grey(img: np.ndarray) -> np.ndarray:
    if img.dtype == bool:
        return np.where(img, 255, 0).astype(np.uint8)
    if img.ndim == 3:
        return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    return img


def _pil(img: np.ndarray, mode: str) -> Image.Image:
    """``img`` as a PIL image in ``mode`` ("1", "L" or "colour": RGB or L as it is)."""
    if mode == "1":
        bits = img if img.dtype == bool else to_bitonal(_grey(img))
        return Image.fromarray(bits)  # mode "1"
    if mode == "L" or img.dtype == bool or img.ndim == 2:
        return Image.fromarray(_grey(img), mode="L")
    return Image.fromarray(img, mode="RGB")


def write_stack(images: Iterable[np.ndarray], fmt: str, path: Path | str, dpi: int, *,
                jpeg_quality: int = 85) -> tuple[PageFile, ...]:
    """Write page images as a scanner would, in one of `FORMATS`.

    - ``png``: grey PNG, one file per page;
    - ``jpeg``: JPEG at ``jpeg_quality``, colour if the page is RGB, one file per page;
    - ``tiff-g4``: one multi-page 1-bit TIFF, CCITT group 4;
    - ``tiff-grey``: one multi-page 8-bit grey TIFF, Deflate;
    - ``pdf-jpeg``: one PDF, each page a single embedded JPEG (scanner PDF);
    - ``pdf-g4``: one PDF, each page a single 1-bit CCITT G4 image.

    Pages that are not 1-bit are thresholded with Otsu's for the 1-bit
    formats; 1-bit pages are written 0/255 in the others. The resolution is
    recorded in every file. For one-per-page formats, ``path`` is the file
    when there is one page, else ``STEM-001.png``, ``STEM-002.png``, ...
    beside it.

    Returns
    -------
    tuple of PageFile
        For each image in order, the file and page index it is at.

    Raises
    ------
    ValueError
        Unknown format or no images.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown scan format '{fmt}'; use one of {', '.join(FORMATS)}")
    path = Path(path)
    imgs = list(images) if fmt in _MULTI_PAGE else images
    if fmt in _MULTI_PAGE:
        if not imgs:
            raise ValueError("no pages to write")
        assert isinstance(imgs, list)
        mode = "1" if fmt.endswith("g4") else ("L" if fmt == "tiff-grey" else "colour")
        pil = [_pil(im, mode) for im in imgs]
        if fmt.startswith("tiff"):
            pil[0].save(path, format="TIFF", save_all=True, append_images=pil[1:],
                        compression="group4" if fmt == "tiff-g4" else "tiff_adobe_deflate",
                        dpi=(dpi, dpi))
        else:
            jpeg = {"quality": jpeg_quality} if fmt == "pdf-jpeg" else {}
            pil[0].save(path, format="PDF", save_all=True, append_images=pil[1:],
                        resolution=float(dpi), creationDate=_PDF_DATE, modDate=_PDF_DATE,
                        producer="kiemphieu simulate", **jpeg)
        return tuple(PageFile(path, i) for i in range(len(pil)))
    pending = list(imgs)
    if not pending:
        raise ValueError("no pages to write")
    out = []
    for i, im in enumerate(pending):
        p = path if len(pending) == 1 else path.with_name(f"{path.stem}-{i + 1:03d}{path.suffix}")
        if fmt == "png":
            _pil(im, "L").save(p, format="PNG", dpi=(dpi, dpi))
        else:
            _pil(im, "colour").save(p, format="JPEG", quality=jpeg_quality, dpi=(dpi, dpi))
        out.append(PageFile(p, 0))
    return tuple(out)


def _batches(pages: Sequence[int], units: Sequence[int], parts: int) -> list[list[int]]:
    """Cut ``pages`` into at most ``parts`` contiguous runs, only between sheet groups."""
    n = len(pages)
    starts = [0]
    for k in range(1, parts):
        at = round(k * n / parts)
        while 0 < at < n and units[pages[at]] == units[pages[at - 1]]:
            at += 1
        if starts[-1] < at < n:
            starts.append(at)
    return [list(pages[a:b]) for a, b in zip(starts, [*starts[1:], n], strict=True)]


def write_case(directory: Path | str, stack: Stack, formats: Sequence[str], *,
               stem: str = "scan") -> Path:
    """Write a stack as a folder of scan files plus ``truth.json``.

    The stack is cut, between ballots, into one batch per entry of
    ``formats`` (a format may repeat), as if scanned in several runs; batch
    k goes to ``STEM-kk.pdf`` / ``.tif``, or ``STEM-kk-nnn.png`` / ``.jpg``
    one page per file. A page scanned twice (``rescan``) is written alone,
    in its first scan's format, to a file named after that scan's file with
    ``r1``, ``r2``, ... added (``scan-03r1.tif``), which sorts right after
    it: scanning the folder in name order meets the first scan first.

    ``truth.json`` holds, for each page in feed order, ``source`` (the file
    name relative to ``directory``, POSIX form), ``page_index`` (0-based
    within that file) and the expected `PageTruth` fields, then the expected
    per-candidate ``counts`` and page ``statuses``. ``kiemphieu scan`` reports
    ``source`` as the path it was given, so match on the part after the
    folder (see `read_truth`).

    Returns
    -------
    pathlib.Path
        The ``truth.json`` written.

    Raises
    ------
    ValueError
        No formats, or an unknown one.
    """
    directory = Path(directory)
    if not formats:
        raise ValueError("give at least one scan format")
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown scan format '{fmt}'; use one of {', '.join(FORMATS)}")
    directory.mkdir(parents=True, exist_ok=True)
    records: list[dict[str, object]] = [{} for _ in range(len(stack))]

    def record(i: int, pf: PageFile, fmt: str) -> None:
        records[i] = {"source": pf.path.relative_to(directory).as_posix(),
                      "page_index": pf.page_index, "format": fmt, **stack.truth[i].to_json()}

    first = [i for i, t in enumerate(stack.truth) if t.kind != "rescan"]
    for k, (fmt, pages) in enumerate(zip(formats, _batches(first, stack.units, len(formats)),
                                         strict=False)):
        target = directory / f"{stem}-{k + 1:02d}{_SUFFIX[fmt]}"
        where = write_stack((stack.images[i] for i in pages), fmt, target, stack.dpi,
                            jpeg_quality=stack.profile.jpeg_quality)
        for i, pf in zip(pages, where, strict=True):
            record(i, pf, fmt)
    again: dict[str, int] = {}
    for i, t in enumerate(stack.truth):
        if t.kind != "rescan":
            continue
        assert t.duplicate_of is not None
        src = records[t.duplicate_of]
        name, fmt = str(src["source"]), str(src["format"])
        again[name] = again.get(name, 0) + 1
        target = directory / f"{Path(name).stem}r{again[name]}{_SUFFIX[fmt]}"
        (pf,) = write_stack([stack.images[i]], fmt, target, stack.dpi,
                            jpeg_quality=stack.profile.jpeg_quality)
        record(i, pf, fmt)
        records[i]["first_scan"] = {"source": name, "page_index": src["page_index"]}
    truth = {
        "campaign": stack.campaign_id,
        "dpi": stack.dpi,
        "profile": asdict(stack.profile),
        "pages": records,
        "counts": {str(k): v for k, v in stack.counts().items()},
        "statuses": stack.statuses(),
    }
    out = directory / "truth.json"
    out.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out


def read_truth(path: Path | str) -> dict[tuple[str, int], dict[str, object]]:
    """``truth.json`` as {(source relative to its folder, page_index): page record}."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {(str(p["source"]), int(p["page_index"])): p for p in data["pages"]}
