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

from collections.abc import Callable
from dataclasses import replace
from functools import cache

import cv2
import numpy as np
import pytest
from omr_pages import SAMPLE, encode_page, sample_layout

import simulator as sim
from omr.likeness import SAME_SHEET, SheetPrint, likeness
from pipeline.documents.ballot_pdf import ballot_pdf_bytes
from pipeline.domain.campaign import load_campaign
from pipeline.domain.rules import LEVELS
from pipeline.reading.page import Reading, read_scan
from simulator.marks import ring_points

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


#: row -> the blank box a shadow's edge crosses, on a page whose rows 0, 3 and 6 hold a tick
SHADOW_EDGES = {1: 0, 2: 2, 4: 1, 5: 0, 7: 2, 8: 1}
SHADOW_TICKS = {0: 1, 3: 2, 6: 0}
SHADOW_PHONE = replace(sim.PHONE, quarter_turns=(0,), megapixels=(8.0, 8.0))


def _ticks_under_shadows(tick: sim.Mark, radius_mm: float, reach: float,
                         soft_mm: float) -> Callable[..., None]:
    """What `_marked_page` draws: ``tick`` in each of `SHADOW_TICKS`' boxes, then a
    fingertip's shadow (a disc ``radius_mm``, half the light, its edge a Gaussian of
    ``soft_mm``) whose centre lies ``reach`` radii from each of `SHADOW_EDGES`' boxes, in a
    direction drawn at random: its edge crosses that box."""
    k = sim.px_per_mm(SHADOW_PHONE.dpi)

    def draw(img: np.ndarray, rows, rng: np.random.Generator) -> None:
        for r, b in SHADOW_TICKS.items():
            sim.draw_mark(img, rows[r].boxes[b], k, tick, rng)
        shade = np.zeros(img.shape[:2], np.float32)
        for r, b in SHADOW_EDGES.items():
            x, y = rows[r].boxes[b].centre
            turn = rng.uniform(0, 2 * np.pi)
            centre = (x + np.cos(turn) * reach * radius_mm, y + np.sin(turn) * reach * radius_mm)
            cv2.circle(shade, (int(centre[0] * k), int(centre[1] * k)), int(radius_mm * k),
                       1.0, -1)
        light = 1.0 - 0.55 * np.minimum(cv2.GaussianBlur(shade, (0, 0), soft_mm * k), 1.0)
        img[:] = np.clip(img * (light[..., None] if img.ndim == 3 else light), 0, 255)

    return draw


@pytest.mark.parametrize(("soft_mm", "radius_mm", "seed"), [(2.0, 20.0, 1), (3.0, 15.0, 1)])
def test_the_edge_of_a_fingers_shadow_across_a_box_is_not_a_mark(
        soft_mm: float, radius_mm: float, seed: int) -> None:
    """A finger's shadow (a disc 30-40 mm across, half the light, its edge soft over
    4-6 mm) ending across an empty box: the light map cannot follow so small a shadow, and
    the shaded part of the box, measured against the lit paper beside it, read as a mark
    (an empty box a vote, a ticked row an overvote). Each pixel is now judged against the
    paper nearest it."""
    draw = _ticks_under_shadows(sim.Mark("tick", "black", 0.5), radius_mm, 1.0, soft_mm)
    _assert_votes(_read(_marked_page(SHADOW_PHONE, seed, draw)), SHADOW_TICKS)


@pytest.mark.parametrize(("soft_mm", "radius_mm", "reach", "seed"),
                         [(0.4, 8.0, 0.9, 1), (0.4, 12.0, 1.0, 2), (0.7, 8.0, 1.0, 1)])
def test_a_sharp_shadow_beside_light_pencil_never_makes_a_vote(
        soft_mm: float, radius_mm: float, reach: float, seed: int) -> None:
    """A fingertip's shadow in sunlight (a disc 16-24 mm across, half the light, its edge
    sharp: over 1-3 mm) ending across an empty box, on a page marked in light pencil. The
    light map cannot follow so sharp an edge, and what it leaves is a line or a shade as
    dark as the pencil: an empty box read as a vote, a ticked row as an overvote. Each row
    now reads as marked or goes to a person."""
    draw = _ticks_under_shadows(sim.Mark("tick", "pencil_light", 0.4), radius_mm, reach, soft_mm)
    reading = _read(_marked_page(SHADOW_PHONE, seed, draw))
    assert reading.status == "accepted", reading.reason
    for n, row in enumerate(reading.rows[:9]):
        if row.outcome == "review":
            continue
        if n in SHADOW_TICKS:
            assert (row.outcome, row.level) == ("vote", LEVELS[SHADOW_TICKS[n]]), (n, row)
        else:
            assert row.outcome == "blank", (n, row)


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


def _ink_at(img: np.ndarray, shape: str, centre: tuple[float, float], dpi: int,
            rng: np.random.Generator) -> None:
    """A light pencil ``dot`` (a 1 mm spiral) or ``tiny_tick`` (1.6 mm) centred at
    ``centre`` (page mm), where the hand put it."""
    if shape == "dot":
        t = np.linspace(0.0, 1.0, 40)[:, None]
        turn = rng.uniform(0, 2 * np.pi) + 6 * np.pi * t
        stroke = 0.5 * (1 - t) * np.hstack([np.cos(turn), np.sin(turn)])
    else:
        stroke = np.array([(-0.5, -0.02), (-0.12, 0.5), (0.5, -0.5)]) * 1.6
    sim.ink_strokes(img, [stroke + np.asarray(centre)], sim.px_per_mm(dpi), "pencil_light",
                    0.45, rng)


def _marked_page(profile: sim.ScanProfile, seed: int, draw: Callable[..., None],
                 light: tuple[float, float, float] | None = None) -> np.ndarray:
    """Page 1 printed on ``profile``'s paper, ``draw(img, rows, rng)`` inking it, lit by
    ``light`` (an RGB cast on the sheet, if any) and scanned or photographed."""
    img = _printed(profile.dpi).copy()
    rng = np.random.default_rng(seed)
    sim.printed_sheet(img, profile, rng)
    draw(img, sample_layout().page(1).template.rows, rng)
    if light is not None:
        img[:] = np.clip(img.astype(np.float32) * np.asarray(light, np.float32), 0, 255)
    return sim.degrade(img, profile, rng)


#: where on its box a light pencil dot or tiny tick rests on the printed line: (row, box,
#: shape, its centre as a share of the box's width and height, 0 and 1 the line, and mm
#: beyond it, outwards from the box)
ON_THE_LINE = ((0, 1, "tiny_tick", (0.35, 1.0), 0.0), (1, 0, "dot", (0.5, 0.0), 0.35),
               (2, 2, "tiny_tick", (0.0, 0.6), 0.2), (3, 1, "dot", (1.0, 0.3), 0.35))


def _on_the_line(img: np.ndarray, rows, rng: np.random.Generator, dpi: int) -> None:
    for r, b, shape, (fx, fy), out in ON_THE_LINE:
        box = rows[r].boxes[b]
        x = box.x + fx * box.w + out * (1 if fx == 1 else -1 if fx == 0 else 0)
        y = box.y + fy * box.h + out * (1 if fy == 1 else -1 if fy == 0 else 0)
        _ink_at(img, shape, (x, y), dpi, rng)


@pytest.mark.parametrize("profile", [replace(sim.OFFICE, quarter_turns=(0,)),
                                     replace(sim.PHONE, quarter_turns=(0,))],
                         ids=["grey-200", "phone-colour"])
def test_a_light_pencil_dot_or_tiny_tick_on_the_printed_line_goes_to_review(
        profile: sim.ScanProfile) -> None:
    """A person sees a light pencil dot or a tiny tick resting on a box's line: most of it on
    the line's band, which the box's ink leaves out, 0.1-0.3 mm² of ink beyond the line."""
    img = _marked_page(profile, 6, lambda im, rows, rng: _on_the_line(im, rows, rng, profile.dpi))
    reading = _read(img)
    assert reading.status == "accepted", reading.reason
    for n, row in enumerate(reading.rows):
        expected = "review" if n < len(ON_THE_LINE) else "blank"
        assert row.outcome == expected, (n, row)
    assert {row.reasons[0].code for row in reading.rows[: len(ON_THE_LINE)]} <= {
        "dot_on_outline", "faint_mark", "short_mark"}


#: rows holding a light pencil ring around a box (row -> box), drawn 105-125 % of the box:
#: most of the ring lies on the printed line's band, which the box's ink leaves out
RINGS = {0: 2, 1: 0, 2: 1, 3: 2, 4: 0, 5: 1}


def _rings(img: np.ndarray, rows, rng: np.random.Generator, dpi: int) -> None:
    for r, b in RINGS.items():
        box = rows[r].boxes[b]
        size = box.w * rng.uniform(1.05, 1.25)
        ring = ring_points(rng, 0.5) * size + np.array(box.centre)
        sim.ink_strokes(img, [ring], sim.px_per_mm(dpi), "pencil_light",
                        float(rng.uniform(0.3, 0.45)), rng)


@pytest.mark.parametrize("profile", [replace(sim.OFFICE, quarter_turns=(0,)),
                                     replace(sim.PHONE, quarter_turns=(0,)),
                                     replace(sim.CLEAN, quarter_turns=(0,), colour="grey")],
                         ids=["grey-200", "phone-colour", "grey-300"])
def test_a_light_pencil_ring_around_the_box_is_a_vote(profile: sim.ScanProfile) -> None:
    """A ring drawn lightly around a box, which a person reads at a glance, counts, though
    most of its stroke runs along the outline's band and only 0.05-0.3 mm² of it lies in
    the box's zone."""
    img = _marked_page(profile, 12, lambda im, rows, rng: _rings(im, rows, rng, profile.dpi))
    _assert_votes(_read(img), RINGS)


def test_pencil_on_yellow_paper_photographed_under_warm_light() -> None:
    """Yellow paper under a warm lamp: the paper's white is yellow-orange and the pencil's
    grey is tinted with it. Light rings and ticks read as votes, dots on the line go to
    review, the untouched rows stay blank."""
    profile = replace(sim.PHONE, quarter_turns=(0,), paper_colours=("yellow",),
                      hand_shadow=1.0)
    votes = {4: 1, 5: 0, 6: 2, 7: 1}

    def draw(img: np.ndarray, rows, rng: np.random.Generator) -> None:
        _on_the_line(img, rows, rng, profile.dpi)
        for r, b in votes.items():
            shape = "circle" if r % 2 else "tick"
            sim.draw_mark(img, rows[r].boxes[b], sim.px_per_mm(profile.dpi),
                          sim.Mark(shape, "pencil_light", 0.4), rng)

    reading = _read(_marked_page(profile, 21, draw, light=(1.0, 0.9, 0.72)))
    assert reading.status == "accepted", reading.reason
    for n, row in enumerate(reading.rows):
        if n < len(ON_THE_LINE):
            assert row.outcome == "review", (n, row)
        elif n in votes:
            assert (row.outcome, row.level) == ("vote", LEVELS[votes[n]]), (n, row)
        else:
            assert row.outcome == "blank", (n, row)


def test_a_pencil_tick_rubbed_out_and_made_again_in_another_box_is_never_two_votes() -> None:
    """A tick in pencil rubbed out (a fifth of its graphite left) and the voter's tick made
    again in the next box: read as the new box's vote or sent to a person, never as two
    votes or the rubbed-out box's."""
    profile = replace(sim.OFFICE, quarter_turns=(0,))
    rows_done = {0: (0, 1), 1: (2, 1), 2: (1, 0), 3: (1, 2)}

    def draw(img: np.ndarray, rows, rng: np.random.Generator) -> None:
        for r, (old, new) in rows_done.items():
            before = img.copy()
            sim.draw_mark(img, rows[r].boxes[old], sim.px_per_mm(profile.dpi),
                          sim.Mark("tick", "pencil", 0.5), rng)
            rubbed = before.astype(np.float32) + 0.2 * (img.astype(np.float32) - before)
            img[:] = np.clip(rubbed + 0.5, 0, 255).astype(np.uint8)
            sim.draw_mark(img, rows[r].boxes[new], sim.px_per_mm(profile.dpi),
                          sim.Mark("tick", "pencil", 0.5), rng)

    reading = _read(_marked_page(profile, 31, draw))
    assert reading.status == "accepted", reading.reason
    for r, (_, new) in rows_done.items():
        row = reading.rows[r]
        assert row.outcome == "review" or (row.outcome, row.level) == ("vote", LEVELS[new]), row


def test_ballots_marked_alike_in_light_pencil_and_photographed_in_falling_light_are_not_one_sheet(
        ) -> None:
    """Three ballots ticked in the same boxes with a pencil held lightly, each by its own
    hand, photographed with the light falling to a third down the page (a lamp to one
    side of a dim room). Measured against one paper level for the page, every box of the
    darker rows was haze round the same printed outline, and the prints of different
    sheets came out 0.97 alike: held as one sheet seen twice. Against each box's own
    paper, only the strokes count."""
    profile = replace(sim.PHONE, quarter_turns=(0,), megapixels=(8.0, 8.0))
    ticks = {0: 1, 1: 0, 2: 0, 4: 2, 6: 0, 9: 1}

    def draw(img: np.ndarray, rows, rng: np.random.Generator) -> None:
        for r, b in ticks.items():
            sim.draw_mark(img, rows[r].boxes[b], sim.px_per_mm(profile.dpi),
                          sim.Mark("tick", "pencil_light", 0.4), rng)
        fall = np.linspace(1.0, 0.3, img.shape[0], dtype=np.float32)[:, None]
        img[:] = np.clip(img * (fall[..., None] if img.ndim == 3 else fall), 0, 255)

    prints = []
    for seed in range(3):
        reading = _read(_marked_page(profile, seed, draw))
        _assert_votes(reading, ticks)
        prints.append(SheetPrint.from_bytes(reading.sheet_print))
    assert all(p.masses.max() > 0 for p in prints)  # the light strokes are in the prints
    alike = [likeness(prints[i], prints[j]) for i in range(3) for j in range(i + 1, 3)]
    assert max(alike) < SAME_SHEET, alike


def test_a_graphite_smudge_in_a_box_is_no_mark() -> None:
    """A hand dragged over pencil leaves a grey smear: light, soft-edged, an area rather
    than strokes. Over a blank row's box it read as a vote, beside a pencil X as a second
    mark (an overvote); it now goes to a person. Light pencil Xs, ticks and rings on the
    same page hold no area at all (their strokes are narrower than the 2 mm disc)."""
    profile = replace(sim.OFFICE, quarter_turns=(0,))
    k = sim.px_per_mm(profile.dpi)
    smudged = {0: 1, 2: 2, 4: 0}  # row -> the box smeared
    beside = {2: 0, 4: 2}  # row -> a pencil X in another box

    def draw(img: np.ndarray, rows, rng: np.random.Generator) -> None:
        for r, b in beside.items():
            sim.draw_mark(img, rows[r].boxes[b], k, sim.Mark("x", "pencil", 0.5), rng)
        for r, b in smudged.items():
            x, y = rows[r].boxes[b].centre
            smear = np.zeros(img.shape[:2], np.float32)
            cv2.ellipse(smear, (int((x + 1.0) * k), int(y * k)), (int(3.0 * k), int(1.8 * k)),
                        rng.uniform(0, 180), 0, 360, 1.0, -1)
            smear = cv2.GaussianBlur(smear, (0, 0), 0.8 * k) * 0.35
            img[:] = np.clip(img * (1 - smear[..., None] if img.ndim == 3 else 1 - smear), 0, 255)
        for r, (b, shape) in PENCIL_VOTES.items():
            sim.draw_mark(img, rows[r + 5].boxes[b], k, sim.Mark(shape, "pencil_light", 0.4), rng)

    reading = _read(_marked_page(profile, 3, draw))
    assert reading.status == "accepted", reading.reason
    for r in smudged:
        row = reading.rows[r]
        assert row.outcome == "review", (r, row)
        assert [x.code for x in row.reasons] == ["light_shade"], (r, row.reasons)
    for r, (b, _) in PENCIL_VOTES.items():
        row = reading.rows[r + 5]
        assert (row.outcome, row.level) == ("vote", LEVELS[b]), (r + 5, row)
        assert row.measures["broad"] == [0.0, 0.0, 0.0]
