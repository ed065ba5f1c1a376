"""Pens and marks.

The strokes a voter draws in a box (X, tick, fill, slash, ring; a dot, a tiny tick, a
scribble), in mm, inked onto a page.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from omr.geometry import Rect

if TYPE_CHECKING:
    pass

from simulator.kinds import SHAPES


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
    # an HB pencil held lightly: graphite only on the paper's tooth, a third to half of
    # the way from paper to black, broken up along the stroke
    "pencil_light": Pen((88, 88, 94), 0.62, 0.75),
}
#: The pens of the stress mix before light pencil was added (`PENS` less ``pencil_light``).
STRESS_PENS = ("black", "blue", "red", "pencil")


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


def curve(p0: np.ndarray, p1: np.ndarray, rng: np.random.Generator,
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
        out.extend(curve(a, b, rng, bow=0.03, n=6)[1:])
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
        return [curve(pt(-0.5, -0.5), pt(0.5, 0.5), rng),
                curve(pt(0.5, -0.5), pt(-0.5, 0.5), rng)]
    if shape == "slash":
        if rng.random() < 0.8:
            return [curve(pt(-0.45, 0.5), pt(0.45, -0.5), rng)]
        return [curve(pt(-0.45, -0.5), pt(0.45, 0.5), rng)]
    if shape in ("tick", "tiny_tick"):
        a, b, c = pt(-0.5, -0.02), pt(-0.12, 0.5, 0.03), pt(0.5, -0.5)
        return [np.vstack([curve(a, b, rng, n=8), curve(b, c, rng, n=16)[1:]])]
    if shape == "fill":
        pitch = width_mm * rng.uniform(0.8, 1.2) / max(size, 1e-6)
        return [_zigzag(rng, max(pitch, 0.03))]
    if shape == "circle":
        return [ring_points(rng, 0.5)]
    if shape == "dot":  # a pen pressed and turned: a small filled spiral
        t = np.linspace(0.0, 1.0, 40)
        theta = rng.uniform(0, 2 * math.pi) + 6 * math.pi * t
        r = 0.4 * (1 - t)
        return [np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)]
    if shape == "scribble":
        mark = [curve(pt(-0.45, -0.45), pt(0.45, 0.45), rng),
                curve(pt(0.45, -0.45), pt(-0.45, 0.45), rng)]
        pitch = width_mm * rng.uniform(1.0, 1.6) / max(size, 1e-6)
        out = []
        for _ in range(2):  # two heavy passes at different angles
            z = _zigzag(rng, max(pitch, 0.04), half=0.52, jitter=0.06)
            a = rng.uniform(0, math.pi)
            rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
            out.append(np.clip(z @ rot.T, -0.55, 0.55))
        return mark + out
    raise ValueError(f"unknown mark shape '{shape}'")


def ring_points(rng: np.random.Generator, radius: float) -> np.ndarray:
    """A hand-drawn closed loop that overshoots its start a little."""
    start = rng.uniform(0, 2 * math.pi)
    sweep = 2 * math.pi + rng.uniform(0.15, 0.7)
    t = np.linspace(0.0, 1.0, 72)
    theta = start + sweep * t
    wobble = 1 + 0.05 * np.sin(2 * theta + rng.uniform(0, 2 * math.pi))
    r = radius * wobble * (1 + rng.uniform(-0.08, 0.08) * t)
    ax, ay = rng.uniform(0.9, 1.1), rng.uniform(0.9, 1.1)
    return np.stack([r * ax * np.cos(theta), r * ay * np.sin(theta)], axis=1)


def smooth_noise(n: int, sd: float, rng: np.random.Generator, span: int = 7) -> np.ndarray:
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
        strokes.append(p + smooth_noise(len(p), 0.05, rng))
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
        if pen == "pencil_light":  # graphite catches on the paper's tooth: blotchy at 0.1 mm
            tooth = rng.normal(0.0, 1.0, alpha.shape).astype(np.float32)
            tooth = cv2.GaussianBlur(tooth, (0, 0), max(0.6, 0.08 * mm_to_px))
            grain *= np.clip(1.0 + 0.35 * tooth / max(float(tooth.std()), 1e-6), 0.3, 1.6)
        alpha *= np.clip(grain, 0.15, 1.0)
    region = img[y0:y1, x0:x1].astype(np.float32)
    if img.ndim == 3:
        ink = np.array(p.colour, np.float32) / 255.0
        region *= 1.0 - alpha[:, :, None] * (1.0 - ink)
    else:
        grey = (0.299 * p.colour[0] + 0.587 * p.colour[1] + 0.114 * p.colour[2]) / 255.0
        region *= 1.0 - alpha * (1.0 - grey)
    img[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


