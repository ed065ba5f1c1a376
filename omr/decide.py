"""Stage 4 (policy): from a row's fill scores to what the row says.

Scoring (`omr.scoring`) only measures; this module is the one place that turns
numbers into outcomes, so thresholds can change and stored scores be decided
again without rescanning.

The rule, with two thresholds ``definite`` >= ``marginal``:

- a box is *clear* when its fill >= ``definite``;
- a box is *faint* when ``marginal`` <= fill < ``definite``;
- otherwise it is empty.

=================  ==============  ============
clear boxes        faint boxes     outcome
=================  ==============  ============
0                  0               ``blank``
1                  0               ``vote`` (``choice`` = that box)
2 or more          0               ``overvote``
any                1 or more       ``review``
=================  ==============  ============

A faint box always goes to a person: it may be a hesitant mark, a mark
half rubbed out, or a stray dot, and only a person can tell. Reasons name boxes
1-based in level order ("box 2") with their scores to three places, e.g.
``"faint mark in box 2 (0.052)"`` or ``"one clear mark (box 1, 0.310) and a
faint mark in box 3 (0.060)"``. The campaign's defaults are definite 0.09 and marginal 0.04
(`pipeline.campaign.Thresholds`).
"""

from __future__ import annotations

from dataclasses import dataclass

VOTE = "vote"
BLANK = "blank"
OVERVOTE = "overvote"
REVIEW = "review"
OUTCOMES = (VOTE, BLANK, OVERVOTE, REVIEW)


@dataclass(frozen=True)
class RowDecision:
    """What one row says.

    Attributes
    ----------
    outcome
        ``"vote"``, ``"blank"``, ``"overvote"`` or ``"review"``.
    choice
        For ``"vote"``, the 0-based index of the marked box in the row's
        fills (level order); otherwise None.
    reason
        For ``"review"`` and ``"overvote"``, why, in English; otherwise None.
    """

    outcome: str
    choice: int | None = None
    reason: str | None = None


def decide_row(fills: tuple[float, ...], definite: float, marginal: float) -> RowDecision:
    """Apply the rule in the module docstring to one row's fill scores.

    Parameters
    ----------
    fills
        Fill scores (0..1), one per box in level order.
    definite
        Smallest fill that is a clear mark.
    marginal
        Smallest fill that is a faint mark (needs a person); <= ``definite``.

    Raises
    ------
    ValueError
        ``marginal`` > ``definite``, or a threshold outside (0, 1].
    """
    if not (0 < marginal <= definite <= 1):
        raise ValueError(
            f"thresholds must satisfy 0 < marginal <= definite <= 1 "
            f"(marginal {marginal}, definite {definite})"
        )
    clear = [i for i, f in enumerate(fills) if f >= definite]
    faint = [i for i, f in enumerate(fills) if marginal <= f < definite]
    if faint:
        if not clear:
            return RowDecision(REVIEW, None, _marks("faint", faint, fills))
        if len(clear) == 1:
            clear_text = f"one clear mark (box {clear[0] + 1}, {fills[clear[0]]:.3f})"
        else:
            clear_text = _marks("clear", clear, fills)
        faint_text = _marks("faint", faint, fills)
        if len(faint) == 1:
            faint_text = "a " + faint_text
        return RowDecision(REVIEW, None, f"{clear_text} and {faint_text}")
    if not clear:
        return RowDecision(BLANK)
    if len(clear) == 1:
        return RowDecision(VOTE, clear[0])
    return RowDecision(OVERVOTE, None, _marks("clear", clear, fills))


def _marks(kind: str, boxes: list[int], fills: tuple[float, ...]) -> str:
    """``"faint mark in box 2 (0.052)"``, ``"clear marks in boxes 1 and 3 (0.310, 0.280)"``."""
    scores = ", ".join(f"{fills[i]:.3f}" for i in boxes)
    if len(boxes) == 1:
        return f"{kind} mark in box {boxes[0] + 1} ({scores})"
    numbers = ", ".join(str(i + 1) for i in boxes[:-1]) + f" and {boxes[-1] + 1}"
    return f"{kind} marks in boxes {numbers} ({scores})"
