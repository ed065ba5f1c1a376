"""Votes.

What each voter means on each row (`VoteModel`, `cast_votes`), and how they mark it
(`MarkMix`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from pipeline.domain.rules import FOLLOW_UP_LEVELS, LEVELS

if TYPE_CHECKING:
    pass

from simulator.kinds import CLEAR_SHAPES, DOUBTFUL_SHAPES, SPILL, Outcome
from simulator.marks import PENS, Mark
from simulator.notes import NOTE_KINDS


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
            if level not in (*LEVELS, *FOLLOW_UP_LEVELS):
                raise ValueError(f"unknown level '{level}'; use one of {', '.join(LEVELS)} "
                                 f"(or {', '.join(FOLLOW_UP_LEVELS)} on a follow-up ballot)")
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
        Exact counts per candidate (STT): keys ``high``, ``medium``, ``low``
        (``confidence``, ``no_confidence`` on the follow-up vote's ballot),
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
_EXACT_KINDS = (*_ROW_KINDS, *FOLLOW_UP_LEVELS)
#: A random mix's levels on the follow-up vote's two-level ballot: high and medium
#: confidence are "Tín nhiệm", low confidence is "Không tín nhiệm".
_ON_TWO_LEVELS = {"high": "confidence", "medium": "confidence", "low": "no_confidence"}


def cast_votes(model: VoteModel, candidates: Sequence[int], n_ballots: int,
               rng: np.random.Generator, levels: tuple[str, ...] = LEVELS
               ) -> tuple[tuple[VotedRow, ...], ...]:
    """Draw every ballot's rows: ``result[b][i]`` is ballot b's row for ``candidates[i]``.

    ``levels``: the ballot's levels (`Campaign.levels`); on the follow-up vote's
    ballot a random mix's levels are mapped to its two (`_ON_TWO_LEVELS`).

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
            bad = set(want) - set(_EXACT_KINDS)
            if bad:
                raise ValueError(f"candidate {stt}: unknown count kinds {sorted(bad)}; "
                                 f"use {', '.join(_EXACT_KINDS)}")
            total = sum(want.values())
            if total > n_ballots or any(v < 0 for v in want.values()):
                raise ValueError(f"candidate {stt}: exact counts add up to {total}, "
                                 f"more than the {n_ballots} ballots")
            col = [k for k in _EXACT_KINDS for _ in range(want.get(k, 0))]
            col += ["blank"] * (n_ballots - total)
            columns.append([col[i] for i in rng.permutation(n_ballots)])
        else:
            idx = rng.choice(len(_ROW_KINDS), size=n_ballots, p=kinds_p)
            columns.append([_ROW_KINDS[i] for i in idx])
    unknown = set(model.exact) - set(candidates)
    if unknown:
        raise ValueError(f"exact counts for candidates not on the ballot: {sorted(unknown)}")
    return tuple(
        tuple(_row(stt, columns[i][b], rng, levels) for i, stt in enumerate(candidates))
        for b in range(n_ballots)
    )


def _row(stt: int, kind: str, rng: np.random.Generator,
         levels: tuple[str, ...] = LEVELS) -> VotedRow:
    n = len(levels)
    if kind in levels:
        return VotedRow(stt, (kind,))
    if kind in _ON_TWO_LEVELS and n == 2:
        return VotedRow(stt, (_ON_TWO_LEVELS[kind],))
    if kind == "blank":
        return VotedRow(stt)
    if kind == "overvote":
        k = 2 if rng.random() < 0.8 or n == 2 else 3
        pick = sorted(rng.choice(n, size=k, replace=False))
        return VotedRow(stt, tuple(levels[i] for i in pick))
    if kind == "note":  # a clear vote, and a note written beside the row
        level = levels[int(rng.integers(n))]
        return VotedRow(stt, (level,), note=NOTE_KINDS[int(rng.integers(len(NOTE_KINDS)))])
    # review: a doubtful mark alone, or a clear mark beside a scribbled-out one
    a, b = (levels[i] for i in rng.choice(n, size=2, replace=False))
    style = rng.choice(3)
    if style == 0:
        return VotedRow(stt, (), ((a, "dot"),))
    if style == 1:
        return VotedRow(stt, (), ((a, "tiny_tick"),))
    return VotedRow(stt, (a,), ((b, "scribble"),))
