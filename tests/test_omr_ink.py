"""Ink judged against the page's own paper and print: tinted paper, faded toner, light
pencil, shadows, grey and 1-bit scans.

Each page is the real printed ballot (`simulator.render_pages`), printed on the
sheet's colour or with the toner running out (`simulator.printed_sheet`,
`simulator.fade_toner`), marked in known boxes, scanned or photographed
(`simulator.degrade`) and read through `pipeline.reading.page.read_scan` as
ingest reads it. A mark a person reads at a glance is a vote; a doubtful one
goes to review, in grey as in colour; what is plainly nothing (a fold, the
back of the sheet showing through) stays blank.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import numpy as np
import pytest
from omr_pages import SAMPLE, encode_page, sample_layout

import simulator as sim
from pipeline.documents.ballot_pdf import ballot_pdf_bytes
from pipeline.domain.campaign import load_campaign
from pipeline.domain.rules import LEVELS
from pipeline.reading.page import Reading, read_scan

#: (row, box) on page 1 -> the shape drawn there, for the pencil pages
PENCIL_VOTES = {0: (0, "x"), 1: (1, "tick"), 2: (2, "circle"), 3: (1, "x"), 4: (0, "tick")}


@cache
def _printed(dpi: int) -> np.ndarray:
    campaign = load_campaign(SAMPLE)
    return next(sim.render_pages(ballot_pdf_bytes(campaign, sample_layout(), copies=1), dpi))


def _read(img: np.ndarray) -> Reading:
    return read_scan(encode_page(img), sample_layout(), load_campaign(SAMPLE).thresholds)


def _page(profile: sim.ScanProfile, marks: dict[tuple[int, int], sim.Mark], seed: int,
          fade: tuple[float, float, float] | None = None) -> np.ndarray:
    """Page 1 printed as ``profile``'s printer and paper make it (or with the toner at
    ``fade`` = (keep, band keep, band centre as a share of the width)), marked with
    ``marks`` at (row, box), scanned by ``profile``."""
    img = _printed(profile.dpi).copy()
    rng = np.random.default_rng(seed)
    if fade is not None:
        keep, band_keep, at = fade
        sim.fade_toner(img, keep, band_keep, at, 0.2)
    sim.printed_sheet(img, profile, rng)
    rows = sample_layout().page(1).template.rows
    for (r, b), mark in marks.items():
        sim.draw_mark(img, rows[r].boxes[b], sim.px_per_mm(profile.dpi), mark, rng)
    return sim.degrade(img, profile, rng)


def _pencil(width_mm: float = 0.4) -> dict[tuple[int, int], sim.Mark]:
    return {(r, b): sim.Mark(shape, "pencil_light", width_mm)
            for r, (b, shape) in PENCIL_VOTES.items()}


def _assert_votes(reading: Reading, votes: dict[int, int]) -> None:
    assert reading.status == "accepted", reading.reason
    for n, row in enumerate(reading.rows):
        if n in votes:
            assert (row.outcome, row.level) == ("vote", LEVELS[votes[n]]), (n, row)
        else:
            assert row.outcome == "blank", (n, row)


@pytest.mark.parametrize("colour", ["pink", "blue", "yellow", "green"])
def test_light_pencil_on_coloured_paper_is_read_as_voted(colour: str) -> None:
    """The issue's page: light pencil on a tinted sheet, in grey, read all blank before."""
    profile = replace(sim.OFFICE, quarter_turns=(0,), paper_colours=(colour,))
    reading = _read(_page(profile, _pencil(), seed=3))
    _assert_votes(reading, {r: b for r, (b, _) in PENCIL_VOTES.items()})


def test_light_pencil_on_faded_toner_with_a_paler_band_is_read_as_voted() -> None:
    """Toner at half its darkness, a third of that down a band through the boxes."""
    profile = replace(sim.OFFICE, quarter_turns=(0,))
    reading = _read(_page(profile, _pencil(0.35), seed=5, fade=(0.5, 0.35, 0.8)))
    _assert_votes(reading, {r: b for r, (b, _) in PENCIL_VOTES.items()})


def test_light_pencil_in_a_phone_photo_under_a_hand_shadow_is_read_as_voted() -> None:
    profile = replace(sim.PHONE, quarter_turns=(0,), hand_shadow=1.0, paper_colours=("blue",),
                      megapixels=(8.0, 8.0))
    reading = _read(_page(profile, _pencil(0.45), seed=11))
    _assert_votes(reading, {r: b for r, (b, _) in PENCIL_VOTES.items()})


def test_a_one_bit_scan_of_tinted_paper_reads_its_marks() -> None:
    profile = replace(sim.BITONAL, quarter_turns=(0,), paper_colours=("pink",))
    marks = {(0, 0): sim.Mark("x", "blue", 0.5), (1, 2): sim.Mark("tick", "red", 0.4),
             (2, 1): sim.Mark("x", "pencil", 0.5)}
    _assert_votes(_read(_page(profile, marks, seed=2)), {0: 0, 1: 2, 2: 1})


#: row -> its marks: a mark scribbled out beside a new X, a tiny tick, a dot, the same
#: correction in light pencil, and a clear X (the one row to read as a vote)
DOUBTS = {
    0: {0: sim.Mark("scribble", "blue", 0.4), 1: sim.Mark("x", "blue", 0.4)},
    1: {2: sim.Mark("tiny_tick", "black", 0.4)},
    2: {1: sim.Mark("dot", "blue", 0.6)},
    3: {1: sim.Mark("scribble", "pencil_light", 0.4), 2: sim.Mark("x", "pencil_light", 0.4)},
    4: {0: sim.Mark("x", "black", 0.5)},
}


@pytest.mark.parametrize("colour", ["grey", "rgb"])
def test_the_doubtful_cases_go_to_review_in_grey_as_in_colour(colour: str) -> None:
    profile = replace(sim.OFFICE, quarter_turns=(0,), colour=colour)
    marks = {(r, b): m for r, row in DOUBTS.items() for b, m in row.items()}
    reading = _read(_page(profile, marks, seed=4))
    assert reading.status == "accepted", reading.reason
    outcomes = [row.outcome for row in reading.rows[: len(DOUBTS)]]
    assert outcomes == ["review", "review", "review", "review", "vote"], reading.rows
    assert reading.rows[0].reasons[0].code == "blacked_out"
    assert reading.rows[3].reasons[0].code == "blacked_out"  # a pencil box inked over


def test_a_light_fold_and_the_back_showing_through_are_plainly_nothing() -> None:
    """An unmarked sheet folded (a light crease) and printed on thin paper whose back, voted
    with felt-tip fills and X's, shows through at its lightest-to-heaviest: no row holds
    anything a person would call a mark."""
    layout = sample_layout()
    img = _printed(200).copy()
    rng = np.random.default_rng(8)
    back = next(iter(sim.render_pages(ballot_pdf_bytes(load_campaign(SAMPLE), layout, copies=1),
                                      200)))
    sim.show_through(img, back, layout, 2, (0.15, 0.15), sim.px_per_mm(200), rng)
    sim.fold_crease(img, (0.2, 0.2), sim.px_per_mm(200), rng)
    reading = _read(sim.degrade(img, replace(sim.OFFICE, quarter_turns=(0,)), rng))
    assert reading.status == "accepted", reading.reason
    assert all(row.outcome in ("blank", "review") for row in reading.rows)
    reviewed = [row for row in reading.rows if row.outcome == "review"]
    # a crease straight through a box may still be named; a shadow of the back never is
    assert all(row.reasons[0].code == "line_through_boxes" for row in reviewed), reviewed
