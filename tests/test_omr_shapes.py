"""How the box measurements see the marks people make: rings, thin slashes, dots.

One page carries, row by row, a mark of each kind; it is scanned at 150-300
dpi in grey, JPEG and 1-bit, and each box's ink (mm²), extent (mm) and fill
are checked against what its geometry predicts, then decided with the
campaign's default rule.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from omr_pages import PEN, Pen, Scan, draw_page, mark, sample_layout, scan

from omr.decide import DEFAULT_RULE, classify_box, decide_row
from omr.registration import register_page
from omr.scoring import RowScores, score_boxes

THIN = Pen(width_mm=0.3, grey=40)
FELT = Pen(width_mm=1.2, grey=20)
PENCIL = Pen(width_mm=0.5, grey=140)

# row -> (kind, pen) drawn in box 2 (index 1), and the class the box must get
MARKS: dict[int, tuple[str, Pen, str]] = {
    1: ("circle", PEN, "mark"),  # a ring around the box: almost no ink inside
    2: ("small_circle", THIN, "mark"),  # a thin ring just inside the outline
    3: ("slash", THIN, "mark"),  # 0.3 mm: about as much ink as a dot
    4: ("slash", PENCIL, "mark"),
    5: ("dot", PEN, "faint"),  # 1.2 mm hesitation dot
    6: ("tiny_tick", FELT, "faint"),  # a 2 mm tick with a felt tip: much ink, short
    7: ("tick", THIN, "mark"),
    8: ("fill", PEN, "mark"),
}

SCANS = {
    "300 grey": (300, Scan(noise=3, blur_px=0.8)),
    "200 grey jpeg, upside down": (200, Scan(quarter_turns=2, skew_deg=1.5, noise=4, jpeg=70)),
    "200 1-bit": (200, Scan(skew_deg=-1.0, noise=15, blur_px=0.6, bitonal=True)),
    "150 grey jpeg, skewed 5": (150, Scan(skew_deg=5, scale=0.96, noise=5, jpeg=60)),
}


@cache
def scored(case: str) -> dict[int, RowScores]:
    dpi, how = SCANS[case]
    layout = sample_layout()
    template = layout.page(1).template
    page = draw_page(template, layout.code_text(1), dpi)
    rows = {r.row: r for r in template.rows}
    for row, (kind, pen, _) in MARKS.items():
        mark(page, rows[row].boxes[1], kind, dpi, pen)
    image = scan(page, how, dpi)
    reg = register_page(image, template.frame)
    return {s.row: s for s in score_boxes(image, reg, template)}


@pytest.mark.parametrize("case", list(SCANS))
def test_each_mark_gets_its_class(case: str) -> None:
    rows = scored(case)
    for row, (kind, _, expected) in MARKS.items():
        s = rows[row]
        got = classify_box(s.fills[1], s.inks[1], s.extents[1], DEFAULT_RULE)
        assert got == expected, (kind, s)
        for i in (0, 2):  # the untouched boxes beside it
            assert s.inks[i] < DEFAULT_RULE.faint_ink_mm2 and s.fills[i] < 0.005, (kind, s)


@pytest.mark.parametrize("case", list(SCANS))
def test_measurements_follow_the_geometry(case: str) -> None:
    rows = scored(case)
    ring = rows[1]
    assert ring.fills[1] < 0.05  # the ring is outside the interior ...
    assert ring.extents[1] > 7.5  # ... and spans 8.4 mm
    assert ring.inks[1] > 3.0  # 26 mm of 0.5 mm line, less the part hidden by the outline band
    slash = rows[3]
    assert slash.extents[1] > 7.0  # a 0.3 mm stroke corner to corner, 8.5 mm
    assert slash.inks[1] < 5.0  # 8.5 mm x 0.3 mm, antialiased and blurred wider
    dot = rows[5]
    assert dot.extents[1] < 2.0  # 1.2 mm
    assert 0.5 < dot.inks[1] < 2.0  # 1.1 mm²
    tiny = rows[6]
    assert tiny.extents[1] < 3.7 < rows[7].extents[1]
    assert tiny.inks[1] > rows[7].inks[1]  # more ink than a clear thin tick: area cannot tell
    assert rows[8].fills[1] > 0.9


def test_rows_decide_as_a_committee_would() -> None:
    rows = scored("200 grey jpeg, upside down")
    outcomes = {}
    for row in MARKS:
        s = rows[row]
        d = decide_row(s.fills, inks=s.inks, extents=s.extents)
        outcomes[row] = (d.outcome, d.choice)
    assert outcomes == {
        1: ("vote", 1), 2: ("vote", 1), 3: ("vote", 1), 4: ("vote", 1),
        5: ("review", None), 6: ("review", None), 7: ("vote", 1), 8: ("vote", 1),
    }


def test_untouched_page_measures_nothing() -> None:
    layout = sample_layout()
    template = layout.page(1).template
    image = scan(draw_page(template, layout.code_text(1), 200), Scan(noise=4, jpeg=60), 200)
    reg = register_page(image, template.frame)
    scores = score_boxes(image, reg, template)
    assert max(v for s in scores for v in (*s.fills, *s.inks, *s.extents)) == 0.0
    assert np.all([len(s.inks) == len(s.extents) == len(s.fills) == 3 for s in scores])
