"""The row rule at its exact edges (definite 0.09, marginal 0.04)."""

from __future__ import annotations

import pytest

from omr.decide import RowDecision, decide_row

D, M = 0.09, 0.04


@pytest.mark.parametrize(
    ("fills", "outcome", "choice"),
    [
        ((0.0, 0.0, 0.0), "blank", None),
        ((0.0399, 0.0, 0.0399), "blank", None),  # just under marginal: nothing
        ((0.09, 0.0, 0.0), "vote", 0),  # exactly definite is a mark
        ((0.0, 0.0, 0.95), "vote", 2),
        ((0.0, 0.3, 0.0399), "vote", 1),
        ((0.0, 0.0899, 0.0), "review", None),  # just under definite is faint
        ((0.04, 0.0, 0.0), "review", None),  # exactly marginal is faint
        ((0.3, 0.0, 0.04), "review", None),  # a clear mark and a faint one
        ((0.3, 0.3, 0.05), "review", None),
        ((0.09, 0.09, 0.0), "overvote", None),
        ((0.3, 0.3, 0.3), "overvote", None),
        ((), "blank", None),
    ],
)
def test_rule_edges(fills: tuple[float, ...], outcome: str, choice: int | None) -> None:
    d = decide_row(fills, D, M)
    assert (d.outcome, d.choice) == (outcome, choice)
    if outcome in ("review", "overvote"):
        assert d.reason
    else:
        assert d.reason is None


def test_reasons() -> None:
    assert decide_row((0.0, 0.052, 0.0), D, M) == RowDecision("review", None, "faint mark in box 2 (0.052)")
    assert decide_row((0.05, 0.0, 0.06), D, M).reason == "faint marks in boxes 1 and 3 (0.050, 0.060)"
    assert (
        decide_row((0.31, 0.0, 0.06), D, M).reason
        == "one clear mark (box 1, 0.310) and a faint mark in box 3 (0.060)"
    )
    assert (
        decide_row((0.31, 0.28, 0.06), D, M).reason
        == "clear marks in boxes 1 and 2 (0.310, 0.280) and a faint mark in box 3 (0.060)"
    )
    assert decide_row((0.31, 0.0, 0.28), D, M).reason == "clear marks in boxes 1 and 3 (0.310, 0.280)"


def test_thresholds_are_parameters() -> None:
    fills = (0.06, 0.0, 0.0)
    assert decide_row(fills, 0.09, 0.04).outcome == "review"
    assert decide_row(fills, 0.05, 0.03).outcome == "vote"
    assert decide_row(fills, 0.2, 0.1).outcome == "blank"
    assert decide_row(fills, 0.06, 0.06).outcome == "vote"  # no review band at all


@pytest.mark.parametrize(("definite", "marginal"), [(0.04, 0.09), (0.09, 0.0), (1.5, 0.04)])
def test_bad_thresholds_are_refused(definite: float, marginal: float) -> None:
    with pytest.raises(ValueError):
        decide_row((0.1,), definite, marginal)
