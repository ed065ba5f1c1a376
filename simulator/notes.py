"""Handwriting outside the boxes.

Words, a question mark, a number, a scrawl, an arrow, a ring around a name
(`NOTE_KINDS`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from omr.geometry import Rect

if TYPE_CHECKING:
    pass

from simulator.marks import ink_strokes, ring_points, smooth_noise

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
        cap = ring_points(rng, 0.7) * (0.8, 1.2) + (0.2, 0.9)
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
        ring = ring_points(rng, 0.5) * (place.w * 1.08, place.h * 1.15)
        ring = ring + place.centre
        return [ring + smooth_noise(len(ring), 0.08, rng)]
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
            p = p + smooth_noise(len(p), 0.04, rng)
        out.append(p)
    return out


def draw_note(img: np.ndarray, kind: str, place: Rect, mm_to_px: float, pen: str,
              width_mm: float, rng: np.random.Generator) -> None:
    """Write a note of ``kind`` (one of `NOTE_KINDS`) in ``place`` (page mm), in place.

    See `note_strokes_mm` for its shape and size; drawn like every other stroke
    (`ink_strokes`).
    """
    ink_strokes(img, note_strokes_mm(kind, place, rng), mm_to_px, pen, width_mm, rng)


