"""A printed ballot page, marked by a voter, scanned in many ways, then read.

Each case scans the same marked page (see `MARKED`) with one scanner setting
and checks the whole reading chain of `omr`: placing the page, reading its
code, scoring its boxes, deciding its rows with the campaign's thresholds.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from omr_pages import (
    PEN,
    PENCIL,
    Scan,
    draw_page,
    mark,
    page_to_scan,
    sample_layout,
    scan,
)

from omr.code import decode_page_code
from omr.decide import decide_row
from omr.registration import register_page
from omr.scoring import score_boxes
from omr.transform import Registration
from pipeline.domain.wording import words

# row -> marks as (box index, kind, pencil?), and what the row must read as
MARKED: dict[int, tuple[tuple[tuple[int, str, bool], ...], tuple[str, int | None]]] = {
    1: (((0, "x", False),), ("vote", 0)),
    2: (((1, "tick", False),), ("vote", 1)),
    3: (((2, "slash", False),), ("vote", 2)),
    4: (((0, "fill", False),), ("vote", 0)),
    5: ((), ("blank", None)),
    6: (((0, "x", False), (2, "x", False)), ("overvote", None)),
    7: (((1, "dot", False),), ("review", None)),
    8: (((1, "x", False), (2, "dot", False)), ("review", None)),
    9: (((2, "x", True),), ("vote", 2)),
    10: (((1, "small_x", False),), ("vote", 1)),
    11: (((0, "fill", True),), ("vote", 0)),
    12: ((), ("blank", None)),
}


@cache
def marked_page(dpi: int) -> np.ndarray:
    layout = sample_layout()
    template = layout.page(1).template
    img = draw_page(template, layout.code_text(1), dpi)
    rows = {r.row: r for r in template.rows}
    for row, (marks, _) in MARKED.items():
        for box, kind, pencil in marks:
            mark(img, rows[row].boxes[box], kind, dpi, PENCIL if pencil else PEN)
    img.flags.writeable = False
    return img


SCANS = {
    "300dpi grey upright": (300, Scan()),
    "300dpi turned, skewed +5, fit 94%, shifted, noise, jpeg": (
        300,
        Scan(quarter_turns=1, skew_deg=5, scale=0.94, shift_mm=(4, -3), noise=6, jpeg=70),
    ),
    "300dpi upside down, tinted paper, jpeg 50": (
        300,
        Scan(quarter_turns=2, skew_deg=-2, paper=215, noise=8, blur_px=1.0, jpeg=50),
    ),
    "200dpi bitonal, skewed -5, turned ccw, noisy": (
        200,
        Scan(quarter_turns=3, skew_deg=-5, noise=35, blur_px=0.7, bitonal=True),
    ),
    "200dpi bitonal upright": (200, Scan(bitonal=True, noise=20)),
    "150dpi grey, blurred, turned": (150, Scan(quarter_turns=1, skew_deg=1.5, blur_px=0.8)),
    "150dpi bitonal": (150, Scan(quarter_turns=2, bitonal=True, noise=25)),
    "600dpi grey, skewed": (600, Scan(skew_deg=3, scale=0.97, noise=5)),
}


@pytest.mark.parametrize("case", list(SCANS))
def test_marked_page_reads_the_same_however_it_is_scanned(case: str) -> None:
    dpi, how = SCANS[case]
    layout = sample_layout()
    template = layout.page(1).template
    page = marked_page(dpi)
    image = scan(page, how, dpi)

    reg = register_page(image, template.frame)
    assert reg.quarter_turns == how.quarter_turns
    assert reg.markers_found == 4
    assert reg.residual_mm < 0.2
    assert reg.px_per_mm == pytest.approx(dpi / 25.4 * how.scale, rel=0.02)
    # the fit agrees with where the scanner really put the boxes
    truth = page_to_scan(page.shape, how, dpi)
    centres = np.array([b.centre for r in template.rows for b in r.boxes])
    expected = (truth @ np.c_[centres, np.ones(len(centres))].T).T[:, :2]
    assert np.abs(reg.to_image(centres) - expected).max() / reg.px_per_mm < 0.15

    assert decode_page_code(image, reg, template.frame) == layout.code_text(1)

    scores = score_boxes(image, reg, template)
    assert [s.row for s in scores] == [r.row for r in template.rows]
    for s in scores:
        decision = decide_row(s.fills, inks=s.inks, extents=s.extents)
        outcome, choice = MARKED[s.row][1]
        assert (decision.outcome, decision.choice) == (outcome, choice), (s.row, s)
        marked = {box for box, _, _ in MARKED[s.row][0]}
        for i, fill in enumerate(s.fills):
            if i not in marked:
                assert fill < 0.01, (s.row, i, s.fills)


def test_review_reasons_name_the_boxes() -> None:
    layout = sample_layout()
    template = layout.page(1).template
    image = marked_page(300)
    reg = register_page(image, template.frame)
    rows = {s.row: s for s in score_boxes(image, reg, template)}

    def reason(row: int) -> str:
        s = rows[row]
        return words(decide_row(s.fills, inks=s.inks, extents=s.extents).reasons, "en")

    assert reason(7).startswith("short mark in box 2 (")
    assert reason(8).startswith("one clear mark (box 2, ") and "a short mark in box 3" in reason(8)
    assert reason(6).startswith("clear marks in boxes 1 and 3")


def test_score_meaning_is_stable_across_resolutions() -> None:
    """A 0.5 mm pen X scores 0.25-0.45, a filled box ~1, an empty box 0."""
    template = sample_layout().page(1).template
    for dpi in (150, 300, 600):
        image = marked_page(dpi)
        reg = register_page(image, template.frame)
        fills = {s.row: s.fills for s in score_boxes(image, reg, template)}
        assert 0.25 <= fills[1][0] <= 0.45
        assert fills[4][0] > 0.9
        assert max(fills[5]) == 0.0


@pytest.mark.parametrize("offset", [(0.5, 0.0), (0.0, -0.5), (-0.5, 0.5)])
def test_outline_stays_out_of_the_score_when_the_fit_is_off_by_half_a_mm(
    offset: tuple[float, float],
) -> None:
    layout = sample_layout()
    template = layout.page(1).template
    image = scan(draw_page(template, layout.code_text(1), 200), Scan(blur_px=0.7), 200)
    reg = register_page(image, template.frame)
    shift = np.array([[1, 0, offset[0]], [0, 1, offset[1]], [0, 0, 1]])
    off = Registration(
        homography=tuple(tuple(row) for row in (reg.matrix() @ shift).tolist()),
        quarter_turns=reg.quarter_turns,
        px_per_mm=reg.px_per_mm,
        residual_mm=reg.residual_mm,
        markers_found=reg.markers_found,
    )
    assert max(f for s in score_boxes(image, off, template) for f in s.fills) < 0.005


def test_second_page_reads_its_own_code_and_rows() -> None:
    layout = sample_layout()
    template = layout.page(2).template
    img = draw_page(template, layout.code_text(2), 200)
    mark(img, template.rows[-1].boxes[2], "x", 200)
    image = scan(img, Scan(quarter_turns=2, bitonal=True), 200)
    reg = register_page(image, template.frame)
    assert decode_page_code(image, reg, template.frame) == layout.code_text(2)
    scores = score_boxes(image, reg, template)
    assert len(scores) == 6
    decisions = [decide_row(s.fills, inks=s.inks, extents=s.extents)
                 for s in scores]
    assert [d.outcome for d in decisions] == ["blank"] * 5 + ["vote"]
    assert decisions[-1].choice == 2
