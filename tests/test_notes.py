"""Handwriting outside the boxes: a note beside a row sends it to review, one in a margin
makes the page doubtful, and nothing else is taken for one.

Printed ballots (`pipeline.simulate` renders the real PDF) get notes written on them
(`sim.draw_note`), are scanned with the simulator's profiles and read through
`pipeline.reading.page.read_scan` exactly as ingest reads them.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from omr_pages import SAMPLE, encode_page, read_layout, sample_layout

import simulator as sim
from omr.geometry import Rect
from omr.reasons import Reason
from pipeline.documents.ballot_pdf import ballot_pdf_bytes, printed_pages
from pipeline.domain.campaign import Campaign, load_campaign
from pipeline.domain.layout import BallotLayout
from pipeline.domain.rules import LEVELS
from pipeline.domain.wording import words
from pipeline.reading.page import Reading, read_scan

QD96 = Path(__file__).resolve().parents[1] / "samples" / "seed-000-ubnd-ninhson.yaml"
NOTE = "handwriting outside the boxes"


@cache
def _campaign(path: Path = SAMPLE) -> Campaign:
    return load_campaign(path)


@cache
def _layout(path: Path = SAMPLE) -> BallotLayout:
    return sample_layout() if path == SAMPLE else read_layout(_campaign(path))


@cache
def _printed(dpi: int, path: Path = SAMPLE) -> tuple[np.ndarray, ...]:
    return tuple(sim.render_pages(ballot_pdf_bytes(_campaign(path), _layout(path), copies=1), dpi))


def _read(img: np.ndarray, path: Path = SAMPLE) -> Reading:
    reading = read_scan(encode_page(img), _layout(path), _campaign(path).thresholds)
    assert reading.status == "accepted", reading.reason
    return reading


def _noted(reading: Reading) -> tuple[dict[int, str], list[str]]:
    """Rows (STT) sent to review for a note, with the reason; the page's note doubts."""
    rows = {r.candidate: r.reason or "" for r in reading.rows
            if r.outcome == "review" and NOTE in (r.reason or "")}
    return rows, [d for d in map(english, reading.doubts) if NOTE in d]


SMALL_PHONE = replace(sim.PHONE, megapixels=(8.0, 8.5))

#: Where notes go on page 1 (the place's name in `sim.note_places`, the candidate's STT or
#: None away from the rows) and what is written.
PAGE1_NOTES = (
    ("name_cell", 2, "words", "blue", 0.5),  # in a row's name cell, after the name
    ("position_cell", 6, "question", "black", 0.4),  # between the name and the boxes
    ("left_margin", 8, "number", "red", 0.5),  # in the left margin, level with the row
    ("right_margin", 11, "question", "pencil", 0.6),  # in the right margin
    ("below_table", None, "words", "black", 0.4),  # under the table
    ("header_left", None, "number", "blue", 0.5),  # in the margin beside the heading
)


@pytest.mark.parametrize("profile", [
    replace(sim.OFFICE, quarter_turns=(0, 2)),
    sim.COLOUR_150,
    replace(sim.BITONAL, dpi=300),
    sim.ROUGH,
    SMALL_PHONE,
], ids=["office", "colour150", "bitonal300", "rough", "phone"])
def test_notes_beside_rows_and_in_margins_are_found(profile: sim.ScanProfile) -> None:
    layout = _layout()
    page = _printed(profile.dpi)[0].copy()
    ppm = sim.px_per_mm(profile.dpi)
    rng = np.random.default_rng(profile.dpi + len(profile.quarter_turns))
    places = sim.note_places(layout, 1, page, ppm)  # in the room the printed text leaves
    rows = {c.stt: r for c, r in zip(layout.page(1).candidates, layout.page(1).template.rows,
                                     strict=True)}
    sim.draw_mark(page, rows[5].boxes[0], ppm, sim.Mark("tick", "blue", 0.5), rng)
    sim.draw_mark(page, rows[6].boxes[1], ppm, sim.Mark("x", "black", 0.5), rng)
    for where, stt, kind, pen, width in PAGE1_NOTES:
        sim.draw_note(page, kind, places[where][stt], ppm, pen, width, rng)
    reading = _read(sim.degrade(page, profile, rng))
    rows_noted, doubts = _noted(reading)
    assert set(rows_noted) == {2, 6, 8, 11}, (rows_noted, doubts)
    assert "in row 2, left of its boxes" in rows_noted[2]
    assert "in row 6, left of its boxes" in rows_noted[6]
    assert "(read as: " in rows_noted[6], rows_noted[6]  # what the boxes said, for the reviewer
    assert "(no box marked)" in rows_noted[2]
    assert "in the left margin beside row" in rows_noted[8]
    assert "in the right margin beside row" in rows_noted[11]
    # one doubt for each note away from the rows (a note whose words lie far apart may count
    # twice, never a third place)
    places_said = {p for d in doubts for p in ("below the table", "in the left margin above the "
                                                 "table") if p in d}
    assert places_said == {"below the table", "in the left margin above the table"}, doubts
    assert 2 <= len(doubts) <= 3, doubts
    others = [r for r in reading.rows if r.candidate not in rows_noted]
    assert all(r.outcome != "review" for r in others), others
    assert {r.candidate: r.level for r in others if r.outcome == "vote"} == {5: LEVELS[0]}


def test_a_ringed_name_an_arrow_and_a_scrawl_under_the_table() -> None:
    layout = _layout()
    page = _printed(200)[1].copy()  # page 2: rows 1-6 are candidates 13-18
    rng = np.random.default_rng(3)
    places = sim.note_places(layout, 2, page, sim.px_per_mm(200))
    sim.draw_note(page, "circle", places["around_name"][14], sim.px_per_mm(200), "blue", 0.5, rng)
    sim.draw_note(page, "arrow", places["position_cell"][16], sim.px_per_mm(200), "black", 0.4,
                  rng)
    sim.draw_note(page, "scrawl", places["below_table"][None], sim.px_per_mm(200), "black", 0.5,
                  rng)
    reading = _read(sim.degrade(page, replace(sim.OFFICE, quarter_turns=(2,)), rng))
    review = {r.candidate: r.reason or "" for r in reading.rows if r.outcome == "review"}
    # a ring's flat top or bottom, an arrow's shaft, may read as a straight line through the
    # row's text (struck out?): either way the row goes to a person
    assert set(review) == {14, 16}, review
    assert all(NOTE in why or "struck out" in why for why in review.values()), review
    assert [d for d in map(english, reading.doubts) if "below the table" in d], reading.doubts


@pytest.mark.parametrize("name,profile,shapes", [
    ("clean", sim.CLEAN, sim.CLEAR_SHAPES),
    ("office", sim.OFFICE, sim.CLEAR_SHAPES + sim.DOUBTFUL_SHAPES),
    ("colour150", sim.COLOUR_150, sim.CLEAR_SHAPES),
    ("bitonal150", replace(sim.BITONAL, dpi=150), sim.CLEAR_SHAPES),
    ("bitonal200", sim.BITONAL, sim.CLEAR_SHAPES),
    ("bitonal300", replace(sim.BITONAL, dpi=300), sim.CLEAR_SHAPES),
    ("rough", sim.ROUGH, sim.CLEAR_SHAPES),
    ("phone", replace(SMALL_PHONE, shadow=(0.3, 0.6)), sim.CLEAR_SHAPES),
    ("worn", replace(sim.WORN, fold=1.0), sim.CLEAR_SHAPES),
    ("streaked", sim.STREAKED, sim.CLEAR_SHAPES),
    ("streaked_text", replace(sim.STREAKED, streak_span=(0.3, 0.5)), sim.CLEAR_SHAPES),
    ("spill", replace(sim.OFFICE, quarter_turns=(0,)), (sim.SPILL,)),
])
def test_no_note_on_unwritten_ballots(name: str, profile: sim.ScanProfile,
                                      shapes: tuple[str, ...]) -> None:
    """Marked ballots (every clear shape, rings up to 130 % of the box, ticks running on into
    the next box, hesitation dots, scribbled-out marks) and one unmarked copy, in every scan
    profile: no note."""
    doubtful = any(s in sim.DOUBTFUL_SHAPES for s in shapes)
    clear = tuple(s for s in shapes if s not in sim.DOUBTFUL_SHAPES)
    mix = sim.MarkMix(shapes=tuple((s, 1.0) for s in clear),
                      pens=tuple((p, 1.0) for p in sim.PENS), width_mm=(0.3, 1.2), loyalty=0.3)
    votes = sim.VoteMix(high=0.5, medium=0.2, low=0.2, blank=0.05, overvote=0.05,
                        review=0.3 if doubtful else 0.0)
    stack = sim.simulate_stack(_campaign(), _layout(), 1, np.random.default_rng(len(name)),
                               profile=profile, vote_model=sim.VoteModel(mix=votes, marks=mix))
    images = [stack.images[i] for i in range(len(stack))]
    unmarked = sim.degrade(_printed(profile.dpi)[0], profile, np.random.default_rng(7))
    streaks = 0
    for img in [*images, unmarked]:
        reading = _read(img)
        rows, doubts = _noted(reading)
        assert rows == {} and doubts == [], (rows, doubts)
        streaks += any(d.code == "scanner_streak" for d in reading.doubts)
    if profile.streak:  # the streak is reported, as a streak only
        assert streaks == len(images) + 1


def test_marks_that_overshoot_their_box_are_not_notes() -> None:
    """Rings of 130 % of the box and X's running 1-2 mm past its corners, in every box."""
    layout = _layout()
    dpi = 200
    page = _printed(dpi)[0].copy()
    ppm = sim.px_per_mm(dpi)
    rng = np.random.default_rng(5)
    for r, row in enumerate(layout.page(1).template.rows):
        for b, box in enumerate(row.boxes):
            cx, cy = box.centre
            if (r + b) % 2:
                t = np.linspace(0, 2 * np.pi * 1.1, 80)
                radius = 0.65 * box.w  # a ring 130 % of the box
                ring = np.stack([cx + radius * np.cos(t), cy + radius * 0.95 * np.sin(t)], axis=1)
                strokes = [ring]
            else:
                over = box.w / 2 + rng.uniform(1.0, 2.0)  # 1-2 mm past the corners
                strokes = [np.array([[cx - over, cy - over], [cx + over, cy + over]]),
                           np.array([[cx + over, cy - over], [cx - over, cy + over]])]
            sim.ink_strokes(page, strokes, ppm, ("blue", "pencil", "black")[b], 0.6, rng)
    reading = _read(sim.degrade(page, replace(sim.OFFICE, quarter_turns=(0,)), rng))
    assert _noted(reading) == ({}, [])


def test_a_struck_out_name_is_reported_once() -> None:
    layout = _layout()
    page = _printed(200)[0].copy()
    rng = np.random.default_rng(9)
    rows = {c.stt: r for c, r in zip(layout.page(1).candidates, layout.page(1).template.rows,
                                     strict=True)}
    sim.strike_through(page, rows[4].band, sim.px_per_mm(200), "blue", 0.6, rng)
    reading = _read(sim.degrade(page, replace(sim.OFFICE, quarter_turns=(0,)), rng))
    review = {r.candidate: r.reason or "" for r in reading.rows if r.outcome == "review"}
    assert list(review) == [4] and "struck out" in review[4] and NOTE not in review[4], review
    assert reading.doubts == ()


def test_a_signature_in_its_place_is_not_a_note() -> None:
    """qd96-2023 lets the voter sign in the printed place: no note there, one elsewhere."""
    layout = _layout(QD96)
    template = layout.page(1).template
    (place,) = template.writing_allowed
    dpi = 200
    ppm = sim.px_per_mm(dpi)
    rng = np.random.default_rng(11)
    signed = _printed(dpi, QD96)[0].copy()
    # a signature on the dotted line, a little past the place's right end
    sim.draw_note(signed, "scrawl", Rect(place.x + 15, place.y + 11, place.w - 12, 14), ppm,
                  "blue", 0.5, rng)
    reading = _read(sim.degrade(signed, replace(sim.OFFICE, quarter_turns=(0,)), rng), QD96)
    assert _noted(reading) == ({}, []), reading.doubts
    # the same scrawl between the code and the place is a note
    elsewhere = _printed(dpi, QD96)[0].copy()
    free = sim.note_places(layout, 1)["below_table"][None]
    sim.draw_note(elsewhere, "scrawl", Rect(free.x, free.y, 40, free.h), ppm, "blue", 0.5, rng)
    reading = _read(sim.degrade(elsewhere, replace(sim.OFFICE, quarter_turns=(0,)), rng), QD96)
    rows, doubts = _noted(reading)
    assert rows == {} and len(doubts) == 1, (rows, doubts)


def test_simulated_notes_and_their_truth() -> None:
    """Rows with a note are `review`; a margin note is a page doubt; truth without notes is
    written exactly as before (no new keys)."""
    votes = sim.VoteMix(high=0.5, medium=0.2, low=0.2, blank=0.0, overvote=0.0, note=0.3)
    stack = sim.simulate_stack(_campaign(), _layout(), 2, np.random.default_rng(4),
                               vote_model=sim.VoteModel(mix=votes, margin_notes=1.0))
    for t in stack.truth:
        assert t.page_doubt and t.to_json()["page_doubt"] is True
        noted = {n.candidate for n in t.notes if n.candidate is not None}
        for row in t.rows:
            assert (row.outcome == "review") == (row.candidate in noted)
            assert (row.note is not None) == (row.candidate in noted)
    plain = sim.simulate_stack(_campaign(), _layout(), 1, np.random.default_rng(4))
    assert all("notes" not in t.to_json() and all("note" not in r for r in t.to_json()["rows"])
               for t in plain.truth)
    with pytest.raises(ValueError, match="note kind"):
        sim.VotedRow(1, ("high",), note="doodle")


def test_printed_pages_given_to_a_worker_are_used_not_rendered_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`kiemphieu scan --workers N` renders the printed pages once and gives them to every
    worker (`pipeline.reading.workers.serve`); a worker kept them and does not render its own."""
    from pipeline.reading import printed

    layout = sample_layout()
    made = printed.references(layout)
    assert made is not None
    monkeypatch.setattr(printed, "_cache", {})  # a fresh worker
    assert printed.references(layout) is None  # the reader never draws the ballot itself
    printed.keep_references(layout, made)
    assert printed.references(
        layout, render=lambda *a: pytest.fail("the printed pages were rendered again")) is made


def test_the_printed_pages_are_kept_in_the_workspace_and_loaded_by_the_next_scan(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`pipeline.reading.printed.references` with ``kept_in``: the first scan of a workspace
    renders the printed pages and keeps them in its ``printed/`` folder; a later scan (a new
    process) loads them and makes the same references without rendering; a damaged file is
    rendered again."""
    from pipeline.reading import printed

    layout = sample_layout()
    folder = tmp_path / "printed"
    monkeypatch.setattr(printed, "_cache", {})
    first = printed.references(layout, render=printed_pages, kept_in=folder)
    assert first is not None
    (kept,) = folder.glob("printed-*.npz")

    def unrendered(*args: object, **kwargs: object) -> None:
        pytest.fail("the printed pages were rendered again")

    monkeypatch.setattr(printed, "_cache", {})  # the next scan's process
    again = printed.references(layout, render=unrendered, kept_in=folder)
    assert again is not None and again is not first
    for a, b in zip(first, again, strict=True):
        assert np.array_equal(a.look, b.look) and np.array_equal(a.edge, b.edge)
        assert (a.bands, a.table, a.boxes_x) == (b.bands, b.table, b.boxes_x)

    kept.write_bytes(kept.read_bytes()[:500])  # cut short: rendered again, kept again whole
    monkeypatch.setattr(printed, "_cache", {})
    mended = printed.references(layout, render=printed_pages, kept_in=folder)
    assert mended is not None and np.array_equal(mended[0].look, first[0].look)
    monkeypatch.setattr(printed, "_cache", {})
    assert printed.references(layout, render=unrendered, kept_in=folder) is not None


def test_the_printed_pages_are_made_once_when_two_reading_threads_ask_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A process reads on two threads (`pipeline.reading.workers.read_in_turn`): when both ask for
    the references of a layout not yet made, one renders (pdfium is not thread-safe) and
    the other waits for it and gets the same references."""
    import threading
    import time

    from pipeline.reading import printed

    layout = sample_layout()
    monkeypatch.setattr(printed, "_cache", {})
    rendering = threading.Event()
    calls = []
    def slow(*args: object, **kwargs: object) -> tuple[np.ndarray, ...]:
        calls.append(threading.current_thread().name)
        rendering.set()
        time.sleep(0.2)  # the other thread asks meanwhile
        return printed_pages(*args, **kwargs)

    got: dict[str, object] = {}

    def ask() -> None:
        got[threading.current_thread().name] = printed.references(layout, render=slow)

    first = threading.Thread(target=ask, name="first")
    second = threading.Thread(target=ask, name="second")
    first.start()
    assert rendering.wait(10)
    second.start()
    first.join(30)
    second.join(30)
    assert calls == ["first"]
    assert got["first"] is not None and got["second"] is got["first"]


def english(reason: Reason) -> str:
    """A reason in English, as the audit record words it."""
    return words(reason, "en")
