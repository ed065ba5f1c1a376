"""A dark streak from dirty scanner glass must never become votes.

A printed ballot is voted, scanned at 200 dpi in grey, and a straight dark
line is laid over the scan along the feed (through a column of boxes) or
across it (through a row). Every box the line crosses would hold a long
straight stroke; the reader finds the line, flags the page, and measures the
boxes through it: a clear X and an empty box beside or under it are read as
they are. Only a streak too dark to see through and wide enough to hide a
mark sends the rows it crosses to review, with the reason. A clean scan has
no streak.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from omr_pages import SAMPLE, sample_layout

import simulator as sim
from omr.code import match_page_code
from omr.faults import ALONG_COLUMNS, ALONG_ROWS, find_streaks
from omr.registration import register_page
from omr.scoring import ink_black_level
from pipeline.documents.ballot_pdf import ballot_pdf_bytes
from pipeline.domain.campaign import load_campaign
from pipeline.domain.layout import qr_matrix
from pipeline.domain.rules import LEVELS
from pipeline.reading.page import Reading, read_scan
from pipeline.reading.printed import code_matrices

DPI = 200
#: row -> box marked (0-based), on page 1
VOTES = {1: 0, 2: 1, 3: 2, 4: 1, 5: 0}


@cache
def _scanned(seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """A voted page 1 scanned upright at 200 dpi grey, and the page-to-image map."""
    campaign = load_campaign(SAMPLE)
    layout = sample_layout()
    page = next(sim.render_pages(ballot_pdf_bytes(campaign, layout, copies=1), DPI)).copy()
    rng = np.random.default_rng(seed)
    rows = {r.row: r for r in layout.page(1).template.rows}
    for row, box in VOTES.items():
        sim.draw_mark(page, rows[row].boxes[box], sim.px_per_mm(DPI), sim.Mark("x", "blue", 0.5), rng)
    profile = sim.ScanProfile(dpi=DPI, skew_deg=0.8, shift_mm=1.0)
    gray = sim.degrade(page, profile, rng)
    reg = register_page(gray, layout.frame)
    return gray, reg.matrix()


def _with_streak(along: str, at_mm: tuple[float, float], width_mm: float = 0.5,
                 darkness: float = 0.7) -> np.ndarray:
    gray, h = _scanned()
    gray = gray.copy()
    x, y = cv2.perspectiveTransform(np.array([[at_mm]], float), h)[0, 0]
    n = gray.shape[1] if along == ALONG_COLUMNS else gray.shape[0]
    where = (x if along == ALONG_COLUMNS else y) / n
    sim.draw_streak(gray, along == ALONG_COLUMNS, where, width_mm * sim.px_per_mm(DPI),
                     darkness, black=20.0)
    return gray


def _read(gray: np.ndarray) -> Reading:
    ok, buf = cv2.imencode(".png", gray)
    assert ok
    return read_scan(buf.tobytes(), sample_layout(), load_campaign(SAMPLE).thresholds)


def test_a_clean_scan_has_no_streak() -> None:
    gray, _ = _scanned()
    layout = sample_layout()
    reg = register_page(gray, layout.frame)
    black = ink_black_level(gray, reg, layout.frame)
    assert find_streaks(gray, reg, layout.page(1).template, black) == ()
    reading = _read(gray)
    assert reading.doubts == ()
    assert all(r.outcome == "vote" for r in reading.rows[: len(VOTES)])


@pytest.mark.parametrize("width_mm,darkness", [(0.3, 0.5), (0.8, 0.9), (1.2, 0.6)])
def test_a_streak_down_a_column_of_boxes_is_read_through(width_mm: float,
                                                         darkness: float) -> None:
    template = sample_layout().page(1).template
    box = template.rows[0].boxes[1]  # the middle level's column
    gray = _with_streak(ALONG_COLUMNS, (box.x + box.w * 0.6, box.y), width_mm, darkness)
    reading = _read(gray)
    assert reading.status == "accepted"
    assert len(reading.doubts) == 1 and reading.doubts[0].code == "scanner_streak"
    for n, row in enumerate(reading.rows, start=1):
        if n in VOTES:
            assert (row.outcome, row.level) == ("vote", LEVELS[VOTES[n]]), row
        else:
            assert row.outcome == "blank", row
        assert "streak" not in row.measures  # decided from its boxes: decided again the same


def test_a_streak_too_dark_and_wide_to_see_through_sends_its_rows_to_review() -> None:
    template = sample_layout().page(1).template
    box = template.rows[0].boxes[1]
    gray = _with_streak(ALONG_COLUMNS, (box.x + box.w * 0.5, box.y), 2.4, 1.0)
    reading = _read(gray)
    assert reading.status == "accepted"
    assert len(reading.doubts) == 1 and reading.doubts[0].code == "scanner_streak"
    for row in reading.rows:
        assert row.outcome == "review", row
        assert row.reason.startswith("scanner streak through box 2"), row.reason
        assert row.measures["streak"] == [0.0, 1.0, 0.0]


def test_a_streak_across_a_row_is_read_through_unless_it_hides_the_row() -> None:
    template = sample_layout().page(1).template
    row = template.rows[4]  # voted in box 1
    light = _read(_with_streak(ALONG_ROWS, (row.boxes[0].x, row.boxes[0].y + 3.0)))
    assert len(light.doubts) == 1
    assert [(r.outcome, r.level) for r in light.rows[: len(VOTES)]] == [
        ("vote", LEVELS[b]) for b in VOTES.values()]
    dark = _read(_with_streak(ALONG_ROWS, (row.boxes[0].x, row.boxes[0].y + 3.0), 2.4, 1.0))
    by_row = dict(zip((r.row for r in template.rows), dark.rows, strict=True))
    assert by_row[row.row].outcome == "review"
    assert by_row[row.row].reason.startswith("scanner streak through boxes 1, 2 and 3")
    others = [r for n, r in by_row.items() if n != row.row]
    assert all(r.outcome != "review" for r in others)


def test_a_streak_between_the_boxes_only_flags_the_page() -> None:
    template = sample_layout().page(1).template
    a, b = template.rows[0].boxes[0], template.rows[0].boxes[1]
    gap = (a.x + a.w + b.x) / 2  # between two boxes' measured zones
    reading = _read(_with_streak(ALONG_COLUMNS, (gap, a.y)))
    assert len(reading.doubts) == 1
    assert [r.outcome for r in reading.rows[: len(VOTES)]] == ["vote"] * len(VOTES)


def test_a_page_whose_streak_hides_two_corner_marks_is_placed_by_its_code_and_table() -> None:
    frame = sample_layout().frame
    left = [m for m in frame.markers if m.square.x < frame.page_size_mm[0] / 2]
    assert len(left) == 2
    square = left[0].square
    # a 3 mm black streak down the middle of both left marks: neither reads; the two marks
    # on the right and the QR code's corners place the page, the box outlines confirm it
    gray = _with_streak(ALONG_COLUMNS, (square.x + square.w / 2, square.y + square.h / 2),
                        width_mm=3.0, darkness=1.0)
    reading = _read(gray)
    assert reading.status == "accepted", reading.reason
    assert [r.outcome for r in reading.rows[: len(VOTES)]] == ["vote"] * len(VOTES)
    assert any(d.code == "scanner_streak" for d in reading.doubts), reading.doubts


def test_a_streak_through_two_corner_marks_is_named_when_the_page_is_refused() -> None:
    frame = sample_layout().frame
    left = [m for m in frame.markers if m.square.x < frame.page_size_mm[0] / 2]
    square = left[0].square
    # the same streak, and the code torn off: nothing left to place the page by
    gray = _with_streak(ALONG_COLUMNS, (square.x + square.w / 2, square.y + square.h / 2),
                        width_mm=3.0, darkness=1.0)
    _, h = _scanned()
    corners = cv2.perspectiveTransform(np.array([frame.qr.corners()], float), h)[0]
    (x0, y0), (x1, y1) = corners.min(axis=0).astype(int), corners.max(axis=0).astype(int) + 1
    gray[y0:y1, x0:x1] = 255
    reading = _read(gray)
    assert reading.status == "rejected"
    assert "registration marks" in (reading.reason or "")
    assert "QR code was not found" in (reading.reason or ""), reading.reason
    assert "scanner streak" in (reading.reason or ""), reading.reason


def test_a_streak_along_a_corner_marks_edge_is_filled_in_to_place_the_page() -> None:
    """The streak moves the mark's edge: the four marks no longer fit a flat page. Placed
    with the streak filled in from beside it, the fit is as good as a clean page's; the
    boxes are measured on the scan as it is."""
    right = next(m for m in sample_layout().frame.markers if m.corner == "top_right")
    gray = _with_streak(ALONG_COLUMNS, (right.square.x + right.square.w, 100.0),
                        width_mm=0.8, darkness=0.9)
    reading = _read(gray)
    assert reading.status == "accepted", reading.reason
    assert reading.residual_mm is not None and reading.residual_mm < 0.1
    assert any(d.code == "scanner_streak" for d in reading.doubts)
    assert [r.outcome for r in reading.rows[: len(VOTES)]] == ["vote"] * len(VOTES)
    assert [r.level for r in reading.rows[: len(VOTES)]] == \
        [LEVELS[b] for b in VOTES.values()]


def test_a_streak_across_the_qr_code_is_filled_in_to_read_it() -> None:
    qr = sample_layout().frame.qr
    reading = _read(_with_streak(ALONG_ROWS, (100.0, qr.y + 6.0), width_mm=0.5, darkness=0.8))
    assert reading.status == "accepted", reading.reason
    assert any(d.code == "scanner_streak" for d in reading.doubts)
    assert [r.outcome for r in reading.rows[: len(VOTES)]] == ["vote"] * len(VOTES)


def test_a_wide_streak_across_the_qr_codes_finder_patterns_is_read_past() -> None:
    """1.2 mm of solid black across two finder patterns: no decoder finds the symbol, filled
    in or not. The modules beside the streak name it among the ballot's printed codes."""
    qr = sample_layout().code_symbol
    reading = _read(_with_streak(ALONG_ROWS, (100.0, qr.y + 2.0), width_mm=1.2, darkness=1.0))
    assert reading.status == "accepted", reading.reason
    assert reading.ballot_page == 1
    assert any(d.code == "code_named_past_streak" for d in reading.doubts), \
        reading.doubts
    assert [r.level for r in reading.rows[: len(VOTES)]] == \
        [LEVELS[b] for b in VOTES.values()]


def test_a_code_is_named_only_if_it_is_one_of_the_printed_codes() -> None:
    layout = sample_layout()
    gray = _with_streak(ALONG_ROWS, (100.0, layout.code_symbol.y + 2.0), width_mm=1.2,
                        darkness=1.0)
    reg = register_page(gray, layout.frame)
    streaks = find_streaks(gray, reg, layout.page(1).template, ink_black_level(gray, reg,
                                                                              layout.frame))
    printed = code_matrices(layout)
    match = match_page_code(gray, reg, layout.code_symbol, printed, streaks)
    assert match is not None and match.text == layout.code_text(1)
    assert match.alike >= 0.98 * match.visible
    # the same ballot of another campaign, or a code one character apart: not named
    text = layout.code_text(1)
    others = {t: np.array(qr_matrix(t), bool)
              for t in (text.replace("|1/", "|2/"), text[:-5] + "x" + text[-4:])}
    assert match_page_code(gray, reg, layout.code_symbol, others, streaks) is None
    # the streak's own modules counted too: too many of them disagree
    assert match_page_code(gray, reg, layout.code_symbol, printed, ()) is None


def test_a_photograph_has_no_scanner_streak() -> None:
    """A camera has no glass: on a page placed with a photo's perspective, none is looked for."""
    from dataclasses import replace

    template = sample_layout().page(1).template
    box = template.rows[0].boxes[1]
    gray = _with_streak(ALONG_COLUMNS, (box.x + box.w / 2, box.y))
    reg = register_page(gray, sample_layout().frame)
    black = ink_black_level(gray, reg, template.frame)
    assert find_streaks(gray, reg, template, black)  # a scan: found
    photo = replace(reg, perspective_mm=5.0)
    assert find_streaks(gray, photo, template, black) == ()


#: The page as the simulator voted it (ballot 24 of STREAKED_GLOBAL_BITONAL, seed 2033):
#: candidate -> (outcome, level) a person reads, rows 1, 5 and 6 a pencil dot or tiny tick.
DOTTED_TRUTH = {1: ("review", None), 2: ("vote", "high"), 3: ("vote", "high"),
                4: ("vote", "high"), 5: ("review", None), 6: ("review", None),
                7: ("vote", "high"), 8: ("vote", "high"), 9: ("vote", "high"),
                10: ("vote", "medium"), 11: ("vote", "medium"), 12: ("vote", "high")}


def test_a_grey_streak_cut_into_dots_by_a_one_bit_scan_is_found_and_read_through() -> None:
    """A grey streak down the third column of boxes, scanned 1-bit with one threshold for
    the page, is a trail of dots wandering a pixel either way (tests/scans/
    streak-dots-one-cut.tif, 200 dpi G4). Averaged along the page it is found as any
    streak; its dotted columns are blind and the boxes are read through it. Before, it
    read as a 10 mm mark in two boxes: rows 7 and 8 an overvote."""
    data = (Path(__file__).parent / "scans" / "streak-dots-one-cut.tif").read_bytes()
    reading = read_scan(data, sample_layout(), load_campaign(SAMPLE).thresholds)
    assert reading.status == "accepted", reading.reasons
    assert [d.code for d in reading.doubts] == ["scanner_streak"]
    assert {r.candidate: (r.outcome, r.level) for r in reading.rows} == DOTTED_TRUTH
