"""The row rule at its exact edges: the box rule (ink, extent, fill); rows stored
without ink and extent are not decided again."""

from __future__ import annotations

import dataclasses

import pytest

from omr.decide import DEFAULT_RULE, MarkRule, RowDecision, classify_box, decide_row
from omr.page import MEASURE_KEYS, decide_measures, has_measures, row_measures
from omr.reasons import SHORT_MARK
from omr.scoring import RowScores
from pipeline.domain.wording import words

R = DEFAULT_RULE  # mark: extent >= 3.7 mm and ink >= 0.3 mm²; faint: ink >= 0.12 mm²
EXT, INK, FAINT, BLACK = R.mark_extent_mm, R.mark_ink_mm2, R.faint_ink_mm2, R.blackout_fill


def decide(boxes: list[tuple[float, float, float]]) -> RowDecision:
    """Decide a row given as (fill, ink mm², extent mm) per box."""
    fills, inks, extents = (tuple(v) for v in zip(*boxes, strict=True)) if boxes else ((), (), ())
    return decide_row(fills, inks=inks, extents=extents)


EMPTY = (0.0, 0.0, 0.0)
X = (0.25, 9.0, 7.5)  # a pen X
FILLED = (0.9, 33.0, 6.5)


@pytest.mark.parametrize(
    ("box", "kind"),
    [
        ((0.0, INK, EXT), "mark"),  # exactly both edges: a mark
        ((0.0, INK - 1e-6, EXT), "faint"),  # long but too little ink
        ((0.0, INK, EXT - 1e-6), "faint"),  # enough ink but short: a dot, a tiny tick
        ((0.5, 20.0, EXT - 1e-6), "faint"),  # a big blob is still short
        ((0.0, FAINT, 10.0), "faint"),  # exactly the faint floor
        ((0.0, FAINT - 1e-6, 10.0), "faint"),  # under it but long: a stroke barely pressed
        ((0.0, FAINT - 1e-6, EXT - 1e-6), "empty"),
        ((0.0, R.faint_long_ink_mm2, EXT), "faint"),  # exactly the long-trace floor
        ((0.0, R.faint_long_ink_mm2 - 1e-6, 10.0), "empty"),
        ((0.0, 0.0, 0.0), "empty"),
        ((0.0, 0.6, 8.5), "mark"),  # a light pencil slash
        ((0.0, 4.0, 9.0), "mark"),  # a ring around the box, nothing inside
    ],
)
def test_box_rule_edges(box: tuple[float, float, float], kind: str) -> None:
    assert classify_box(*box, R) == kind


@pytest.mark.parametrize(
    ("boxes", "outcome", "choice"),
    [
        ([EMPTY, EMPTY, EMPTY], "blank", None),
        ([(0.0, FAINT - 1e-6, 3.0), EMPTY, EMPTY], "blank", None),
        ([(0.0, FAINT - 1e-6, 9.0), EMPTY, EMPTY], "review", None),  # long and very light
        ([EMPTY, EMPTY, (0.0, INK, EXT)], "vote", 2),
        ([EMPTY, X, (0.0, FAINT - 1e-6, 1.0)], "vote", 1),
        ([EMPTY, (0.03, 1.1, 1.3), EMPTY], "review", None),  # a hesitation dot
        ([X, EMPTY, (0.0, FAINT, 1.0)], "review", None),  # a clear mark and a faint one
        ([X, X, EMPTY], "overvote", None),
        ([X, X, X], "overvote", None),
        ([FILLED, FILLED, EMPTY], "review", None),  # filled or scribbled out: a person decides
        ([X, (BLACK, 20.0, 6.5), EMPTY], "review", None),  # exactly blacked out beside a mark
        ([X, (BLACK - 1e-6, 20.0, 6.5), EMPTY], "overvote", None),
        ([FILLED, X, X], "review", None),
        ([FILLED, EMPTY, EMPTY], "vote", 0),  # one filled box is a vote
    ],
)
def test_row_rule_edges(boxes: list, outcome: str, choice: int | None) -> None:
    d = decide(boxes)
    assert (d.outcome, d.choice) == (outcome, choice)
    assert bool(d.reasons) == (outcome in ("review", "overvote"))


def test_box_rule_reasons() -> None:
    assert decide([EMPTY, (0.03, 1.1, 1.3), EMPTY]) == RowDecision(
        "review", None, (SHORT_MARK(box=2, extent_mm=1.3, ink_mm2=1.1),))
    assert en(decide([EMPTY, (0.03, 1.1, 1.3), EMPTY])) == "short mark in box 2 (1.3 mm, 1.10 mm²)"
    assert en(decide([EMPTY, (0.0, 0.2, 8.0), EMPTY])) == "faint mark in box 2 (8.0 mm, 0.20 mm²)"
    assert en(decide([X, EMPTY, (0.03, 1.1, 1.3)])) == (
        "one clear mark (box 1, 7.5 mm) and a short mark in box 3 (1.3 mm, 1.10 mm²)"
    )
    assert en(decide([X, EMPTY, X])) == "clear marks in boxes 1 and 3 (7.5 mm, 7.5 mm)"
    assert en(decide([X, FILLED, EMPTY])) == (
        "box 2 blacked out (fill 0.90) beside a mark in box 1: a mark scribbled out?"
    )


def test_rule_is_a_parameter() -> None:
    row = ((0.0, 0.0, 0.0), (0.0, 0.0, 1.0), (0.0, 0.0, 3.0))  # fills, inks, extents
    assert decide_row(row[0], inks=row[1], extents=row[2]).outcome == "review"
    short_ok = MarkRule(mark_extent_mm=2.5)
    assert decide_row(row[0], inks=row[1], extents=row[2], rule=short_ok).outcome == "vote"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"faint_ink_mm2": 0.5, "mark_ink_mm2": 0.3},
        {"faint_ink_mm2": 0.0},
        {"mark_extent_mm": 0.0},
        {"blackout_fill": 1.5},
        {"outline_ink_mm2": 0.0},
    ],
)
def test_bad_rules_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        MarkRule(**kwargs)


def test_measurements_must_match_the_boxes() -> None:
    with pytest.raises(ValueError):
        decide_row((0.1, 0.0, 0.0), inks=(1.0, 0.0), extents=(5.0, 0.0, 0.0))


# --- rows stored with fills only ---------------------------------------------


@pytest.mark.parametrize("measures", [None, {}, {"ink_mm2": [0.0, 9.0, 0.0]},
                                      {"through_mm": [0.0, 0.0, 0.0]}])
def test_a_row_stored_with_fills_only_is_not_decided_again(measures: dict | None) -> None:
    """Read by an early version: no rule here decides it; its stored decision stands."""
    assert not has_measures(measures)
    with pytest.raises(ValueError, match="fills only"):
        decide_measures((0.0, 0.3, 0.0), measures, DEFAULT_RULE)


def test_stored_measures_are_decided_by_the_box_rule() -> None:
    measures = {"ink_mm2": [0.0, 9.0, 0.0], "extent_mm": [0.0, 7.5, 0.0]}
    assert has_measures(measures)
    assert decide_measures((0.0, 0.25, 0.0), measures, DEFAULT_RULE) == RowDecision("vote", 1)


def test_a_long_trace_of_very_little_ink_goes_to_review() -> None:
    """A pencil ring barely pressed: under the faint ink level, but a mark's length."""
    ring = decide_row((0.0, 0.0, 0.003), inks=(0.0, 0.0, 0.112),
                      extents=(0.0, 0.0, 8.33))
    assert ring.outcome == "review" and "box 3" in en(ring)
    # as little ink in a short speck, or 1-bit speckle scattered over the box, is nothing
    speck = decide_row((0.0, 0.0, 0.0), inks=(0.0, 0.0, 0.1), extents=(0.0, 0.0, 1.2))
    assert speck.outcome == "blank"
    scattered = decide_row((0.0, 0.0, 0.0), inks=(0.0, 0.04, 0.0),
                           extents=(0.0, 8.5, 0.0))
    assert scattered.outcome == "blank"


def test_a_dot_on_a_box_outline_sends_a_blank_row_to_review() -> None:
    """Ink resting on the printed line, which every box measure leaves out with the line."""
    edge = R.outline_ink_mm2
    nothing, ink = (0.0, 0.0, 0.0), (0.0, 0.0, 0.0)
    dot = decide_row(nothing, inks=ink, extents=ink, on_outlines=(0.0, edge, 0.02))
    assert dot.outcome == "review"
    assert en(dot) == (f"ink on the printed outline of box 2 ({edge:.2f} mm²), nothing in "
                          "the boxes: a dot resting on the line?")
    under = decide_row(nothing, inks=ink, extents=ink, on_outlines=(0.0, edge - 1e-6, 0.0))
    assert under.outcome == "blank"
    # a row with a mark is decided by its mark: a stroke crossing the next box's line is a spill
    marked = decide_row((0.25, 0.0, 0.0), inks=(9.0, 0.0, 0.0), extents=(7.5, 0.0, 0.0),
                        on_outlines=(0.8, 0.6, 0.0))
    assert (marked.outcome, marked.choice) == ("vote", 0)
    # rows stored before the outline was measured decide as they did
    assert decide_row(nothing, inks=ink, extents=ink).outcome == "blank"


def en(decision: RowDecision) -> str:
    """The decision's reasons in English, as the audit record words them."""
    return words(decision.reasons, "en")


def test_light_ink_crossing_a_box_from_beyond_it_goes_to_review() -> None:
    """A stain's dried edge through box 2 beside an X in box 1: light ink reaching two
    sides of box 2's zone is not a second mark (an overvote) but a person's call."""
    fills, inks, extents = (0.3, 0.0, 0.0), (6.0, 3.0, 0.0), (8.0, 8.2, 0.0)
    assert decide_row(fills, inks, extents).outcome == "overvote"
    crossed = decide_row(fills, inks, extents, edges=(0, 2, 0), strengths=(1.0, 0.4, 1.0))
    assert crossed.outcome == "review"
    assert [r.code for r in crossed.reasons] == ["light_ink_crosses"]
    assert crossed.reasons[0]["boxes"] == (2,)
    # as dark as a pen's, or reaching one side only (a mark running past its box): counted
    assert decide_row(fills, inks, extents, edges=(0, 2, 0),
                      strengths=(1.0, 1.0, 1.0)).outcome == "overvote"
    assert decide_row(fills, inks, extents, edges=(0, 1, 0),
                      strengths=(0.6, 0.4, 1.0)).outcome == "overvote"
    # an empty box crossed changes nothing: the X alone is the vote
    assert decide_row((0.3, 0.0, 0.0), (6.0, 0.0, 0.0), (8.0, 0.0, 0.0), edges=(0, 3, 0),
                      strengths=(1.0, 0.4, 1.0)) == RowDecision("vote", 0)
    assert "vết ố" in words(crossed.reasons, "vi")


def test_a_ring_drawn_on_the_printed_line_sends_the_row_to_review() -> None:
    """Ink along 85 % of box 1's outline beyond its column's boxes, nothing in any box's
    zone: the row is not blank but a person's call; an X's arms crossing the line (a
    small share of it) or a box counted as a mark change nothing."""
    nothing = ((0.0,) * 3, (0.0,) * 3, (0.0,) * 3)
    ringed = decide_row(*nothing, arounds=(2.1, 0.05, 0.0), around_shares=(0.85, 0.03, 0.0))
    assert ringed.outcome == "review"
    assert [r.code for r in ringed.reasons] == ["ring_on_outline"]
    assert ringed.reasons[0]["boxes"] == (1,)
    assert decide_row(*nothing, arounds=(0.9, 0.0, 0.0),
                      around_shares=(0.2, 0.0, 0.0)).outcome == "blank"
    assert decide_row((0.3, 0.0, 0.0), (6.0, 0.0, 0.0), (8.0, 0.0, 0.0), arounds=(2.5, 0.0, 0.0),
                      around_shares=(0.9, 0.0, 0.0)) == RowDecision("vote", 0)
    assert "vòng khoanh" in words(ringed.reasons, "vi")


def test_a_mark_far_lighter_than_its_row_neighbour_or_than_any_pencil_goes_to_review() -> None:
    """Strength (how dark a box's ink is, 1 for a pen): a pencil X rubbed out beside a new
    one, or a sunlit shadow's edge over a box, is no second mark as plain as the first;
    alone, ink lighter than any pencil held lightly is faint."""
    fills, inks, extents = (0.3, 0.1, 0.0), (6.0, 0.6, 0.0), (8.0, 5.0, 0.0)
    assert decide_row(fills, inks, extents).outcome == "overvote"
    lighter = decide_row(fills, inks, extents, strengths=(1.0, 0.3, 1.0))
    assert lighter.outcome == "review"
    assert [r.code for r in lighter.reasons] == ["mark_far_lighter"]
    assert (lighter.reasons[0]["boxes"], lighter.reasons[0]["box"]) == ((2,), 1)
    assert "tẩy xoá" in words(lighter.reasons, "vi")
    # two marks of one pen or pencil: an overvote as before
    assert decide_row(fills, inks, extents, strengths=(0.4, 0.35, 1.0)).outcome == "overvote"
    # alone: a light pencil's mark (0.24 and more) is a vote; a shadow's edge (0.14) is faint
    alone = ((0.0, 0.1, 0.0), (0.0, 0.6, 0.0), (0.0, 5.0, 0.0))
    assert decide_row(*alone, strengths=(1.0, 0.25, 1.0)) == RowDecision("vote", 1)
    faint = decide_row(*alone, strengths=(1.0, 0.14, 1.0))
    assert faint.outcome == "review"
    assert [r.code for r in faint.reasons] == ["short_mark"]
    # a ring round the box, its ink spread thin, is a voter's however light: no shadow rings
    assert decide_row(*alone, strengths=(1.0, 0.17, 1.0),
                      rings=(False, True, False)) == RowDecision("vote", 1)


def test_a_light_shade_rather_than_strokes_goes_to_review() -> None:
    """Light ink lying in areas, not strokes (`broad`), in a box counted as a mark: the
    shade a sharp shadow leaves across a blank box read as a vote, and beside a light
    pencil ring as an overvote (sunlit phone photos). A pencil X, however light, is
    strokes (broad 0); a box filled in pen is as dark as a pen (strength 1)."""
    alone = ((0.0, 0.0, 0.25), (0.0, 0.0, 2.4), (0.0, 0.0, 6.0))
    assert decide_row(*alone, strengths=(1.0, 1.0, 0.3)) == RowDecision("vote", 2)
    shade = decide_row(*alone, strengths=(1.0, 1.0, 0.3), broads=(0.0, 0.0, 0.68))
    assert shade.outcome == "review"
    assert [r.code for r in shade.reasons] == ["light_shade"]
    assert shade.reasons[0]["boxes"] == (3,)
    assert "mảng mờ" in words(shade.reasons, "vi")
    assert decide_row(*alone, strengths=(1.0, 1.0, 0.3),
                      broads=(0.0, 0.0, 0.0)) == RowDecision("vote", 2)
    assert decide_row((0.0, 0.0, 0.9), (0.0, 0.0, 40.0), (0.0, 0.0, 7.0), strengths=(1.0, 1.0, 1.0),
                      broads=(0.0, 0.0, 0.9)) == RowDecision("vote", 2)
    # an empty box's shade changes nothing
    assert decide_row((0.0, 0.0, 0.0), (0.0, 0.0, 0.05), (0.0, 0.0, 1.0),
                      strengths=(1.0, 1.0, 0.3), broads=(0.0, 0.0, 0.9)).outcome == "blank"


def test_light_ink_where_a_shadow_edge_crosses_the_box_goes_to_review() -> None:
    """On a photo, paper 40 % darker on one side of a box than the other is a shadow's edge
    the light map left: a sharp one leaves a line or a shade as dark as pencil. Light ink
    there is a person's call; a pen's mark, or light ink under an even light, is counted."""
    fills, inks, extents = (0.3, 0.1, 0.0), (6.0, 2.0, 0.0), (8.0, 6.0, 0.0)
    assert decide_row(fills, inks, extents, strengths=(1.0, 0.7, 1.0)).outcome == "overvote"
    edged = decide_row(fills, inks, extents, strengths=(1.0, 0.7, 1.0), shadows=(0.0, 0.4, 0.0))
    assert edged.outcome == "review"
    assert [r.code for r in edged.reasons] == ["shadow_edge"]
    assert edged.reasons[0]["boxes"] == (2,)
    assert "bóng đổ" in words(edged.reasons, "vi")
    assert decide_row(fills, inks, extents, strengths=(1.0, 1.0, 1.0),
                      shadows=(0.0, 0.4, 0.0)).outcome == "overvote"
    assert decide_row(fills, inks, extents, strengths=(1.0, 0.7, 1.0),
                      shadows=(0.0, 0.03, 0.0)).outcome == "overvote"
    # far darker than the shadow (2.5 times its step and more): no edge leaves that
    assert decide_row(fills, inks, extents, strengths=(1.0, 0.8, 1.0),
                      shadows=(0.0, 0.15, 0.0)).outcome == "overvote"


def test_a_box_filled_in_light_pencil_is_no_shade() -> None:
    """A box filled in light pencil is an area of light ink too, but it fills the box: alone
    in its row it is a vote, as a box filled in pen is; beside another mark, a box inked
    over (a correction?)."""
    light = (1.0, 0.4, 1.0)
    filled = decide_row((0.0, 0.85, 0.0), (0.0, 30.0, 0.0), (0.0, 7.0, 0.0), strengths=light,
                        broads=(0.0, 0.9, 0.0))
    assert filled == RowDecision("vote", 1)
    beside = decide_row((0.3, 0.85, 0.0), (6.0, 30.0, 0.0), (8.0, 7.0, 0.0), strengths=light,
                        broads=(0.0, 0.9, 0.0))
    assert [r.code for r in beside.reasons] == ["blacked_out"]


def test_every_measure_stored_is_named_and_decided_from() -> None:
    """`row_measures` stores a row's measures under `MEASURE_KEYS`, each one per box, and
    `decide_measures` decides from them as `decide_row` does from the measures."""
    per_box = {f.name: (0.0, 0.0, 0.0) for f in dataclasses.fields(RowScores) if f.name != "row"}
    scores = RowScores(row=1, **{**per_box, "enters": ((0.0, 0.0),) * 3, "edges": (0, 0, 0),
                                 "rings": (False,) * 3, "inks": (6.0, 0.0, 0.0),
                                 "extents": (8.0, 0.0, 0.0), "strengths": (1.0, 1.0, 1.0)})
    stored = row_measures(scores)
    assert tuple(stored) == MEASURE_KEYS
    assert all(len(v) == 3 for v in stored.values())
    assert decide_measures(scores.fills, stored, DEFAULT_RULE) == RowDecision("vote", 0)
