"""The printed outline is never a mark, however the scanner renders it.

A 0.3 mm outline scanned at 150 dpi in 1 bit comes out 2-3 px thick, in
places doubled: a second, broken row of black pixels along an edge, just
past the band the scorer leaves out. Before the line's own thickness was
measured, such an untouched box beside a tick read 0.40-0.66 mm² of ink
over 5-6 mm (a "clear mark": the row an overvote). These are printed
ballots (`pipeline.simulate` renders the real PDF) scanned the ways that
did it, then marked thinly to check that strokes crossing the outline
still count.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from omr_pages import SAMPLE, sample_layout

import simulator as sim
from omr.decide import DEFAULT_RULE, classify_box
from omr.registration import register_page
from omr.scoring import score_boxes
from pipeline.documents.ballot_pdf import ballot_pdf_bytes
from pipeline.domain.campaign import load_campaign

#: Scans whose untouched boxes measured as marks or faint marks before the
#: fix (largest ink then, mm²): (dpi, bitonal threshold or None for Otsu, seed).
BAD_SCANS = {
    "150 dpi Otsu": (150, None, 5),  # 1.07
    "150 dpi threshold 160": (150, 160, 3),  # 0.81
    "150 dpi threshold 180": (150, 180, 8),  # 0.64
    "200 dpi threshold 180": (200, 180, 3),  # 0.24
}

#: The largest ink (mm²) an untouched box measured over 5,400 boxes at
#: 150-300 dpi, grey, JPEG q50-95, 1-bit Otsu and fixed 100-180, 94-100 %,
#: skewed up to 5 degrees: 0.022 (1-bit specks). ``faint_ink_mm2`` is 0.12.
UNTOUCHED_MAX_INK = 0.05


@cache
def _printed(dpi: int) -> tuple[np.ndarray, ...]:
    campaign = load_campaign(SAMPLE)
    return tuple(sim.render_pages(ballot_pdf_bytes(campaign, sample_layout(), copies=1), dpi))


def _scan(page: np.ndarray, dpi: int, threshold: int | None, seed: int) -> np.ndarray:
    profile = sim.ScanProfile(dpi=dpi, skew_deg=1.0, shift_mm=3.0, scale=(0.94, 1.0),
                              blur_mm=(0.04, 0.1), border_mm=10.0)
    rng = np.random.default_rng(seed)
    grey = sim.degrade(page, profile, rng)
    return sim.grey(sim.to_bitonal(grey, threshold, 0.0005, rng))


@pytest.mark.parametrize("name", BAD_SCANS)
def test_untouched_boxes_on_a_1bit_scan_hold_no_ink(name: str) -> None:
    dpi, threshold, seed = BAD_SCANS[name]
    template = sample_layout().page(1).template
    gray = _scan(_printed(dpi)[0], dpi, threshold, seed)
    rows = score_boxes(gray, register_page(gray, template.frame), template)
    worst = max((i, r.row, b + 1) for r in rows for b, i in enumerate(r.inks))
    assert worst[0] < UNTOUCHED_MAX_INK, f"row {worst[1]} box {worst[2]}: {worst[0]:.3f} mm²"
    assert all(classify_box(f, i, e) == "empty"
               for r in rows for f, i, e in zip(r.fills, r.inks, r.extents, strict=True))


# row -> (box index, mark, class it must get)
MARKED = {
    1: (1, sim.Mark("tick", "black", 0.3), "mark"),
    2: (0, sim.Mark("slash", "pencil", 0.3), "mark"),
    3: (2, sim.Mark("circle", "blue", 0.3), "mark"),
    4: (1, sim.Mark("x", "red", 0.3), "mark"),
    5: (0, sim.Mark("dot", "black", 0.5), "faint"),
    6: (2, sim.Mark("tiny_tick", "blue", 0.5), "faint"),
}


@pytest.mark.parametrize("name", BAD_SCANS)
def test_thin_marks_beside_thick_outlines_keep_their_class(name: str) -> None:
    dpi, threshold, seed = BAD_SCANS[name]
    template = sample_layout().page(1).template
    page = _printed(dpi)[0].copy()
    rng = np.random.default_rng(seed)
    by_row = {r.row: r for r in template.rows}
    for row, (box, mark, _) in MARKED.items():
        sim.draw_mark(page, by_row[row].boxes[box], sim.px_per_mm(dpi), mark, rng)
    gray = _scan(page, dpi, threshold, seed)
    rows = {r.row: r for r in score_boxes(gray, register_page(gray, template.frame), template)}
    for row, (box, mark, expected) in MARKED.items():
        r = rows[row]
        got = [classify_box(f, i, e, DEFAULT_RULE)
               for f, i, e in zip(r.fills, r.inks, r.extents, strict=True)]
        want = ["empty"] * len(got)
        want[box] = expected
        assert got == want, (f"row {row} {mark.shape} {mark.pen}: inks {r.inks} "
                             f"extents {r.extents}")
