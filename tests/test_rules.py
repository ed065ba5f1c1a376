"""Percentages and consequences: exact integer arithmetic, tested at every edge."""

from __future__ import annotations

from fractions import Fraction

import pytest

from pipeline.domain.rules import consequence, percent, quorum_met


def test_hanoi_2023_published_figures() -> None:
    # Hà Nội People's Council, December 2023: 88 collected, 75 / 8 / 4.
    assert (percent(75, 88), percent(8, 88), percent(4, 88)) == (85.23, 9.09, 4.55)


@pytest.mark.parametrize(("count", "base", "expected"), [
    (1, 8, 12.5), (1, 3, 33.33), (2, 3, 66.67), (1, 200, 0.5), (1, 40000, 0.0),
    (1, 20000, 0.01), (0, 5, 0.0), (5, 5, 100.0), (1, 0, None),
])
def test_percent_rounds_half_up(count: int, base: int, expected: float | None) -> None:
    assert percent(count, base) == expected


def _expected(low: int, base: int) -> str | None:
    share = Fraction(low, base)
    if share >= Fraction(2, 3):
        return "two_thirds_low"
    if share > Fraction(1, 2):
        return "over_half_low"
    return None


@pytest.mark.parametrize("base", [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 34, 35, 88, 89, 90, 99, 100, 499])
def test_consequence_every_count_against_exact_fractions(base: int) -> None:
    for low in range(base + 1):
        assert consequence(low, base) == _expected(low, base), (low, base)


@pytest.mark.parametrize(("low", "base", "expected"), [
    (44, 88, None),              # exactly half is not over half
    (45, 88, "over_half_low"),
    (58, 88, "over_half_low"),   # 58/88 = 65.9% < 2/3
    (59, 88, "two_thirds_low"),  # 59/88 = 67.05%
    (60, 90, "two_thirds_low"),  # exactly two thirds
    (59, 90, "over_half_low"),
    (0, 0, None),
])
def test_consequence_edges(low: int, base: int, expected: str | None) -> None:
    assert consequence(low, base) == expected


def test_quorum_two_thirds() -> None:
    assert quorum_met(60, 90) and not quorum_met(59, 90)
    assert quorum_met(24, 35) and not quorum_met(23, 35)
