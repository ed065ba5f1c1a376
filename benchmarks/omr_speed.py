"""Time the reader per page: register_page + decode_page_code + score_boxes, then the checks.

The checks (``checks`` column, not in ``total``) are what `pipeline.reading.page`
adds around scoring: `even_light`, `check_outlines`, `find_streaks` and
`find_writing`.

Run: ``.venv/bin/python benchmarks/omr_speed.py``. Synthetic pages from
``tests/omr_pages.py`` (page 1 of the seed-002 campaign, 12 rows, marked),
already decoded to greyscale: image decoding is not included (`benchmarks/speed.py`
measures it, as the decode floor). Prints the median and 90th percentile in ms.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from omr_pages import Scan, draw_page, mark, sample_layout, scan

from omr.code import decode_page_code
from omr.faults import find_streaks, find_writing
from omr.lighting import even_light
from omr.registration import register_page
from omr.scoring import check_outlines, ink_black_level, score_boxes

CASES = {
    "300 dpi grey JPEG q85, skew 1.5°": (300, Scan(skew_deg=1.5, noise=4, jpeg=85)),
    "300 dpi grey, turned 180°": (300, Scan(quarter_turns=2, noise=4)),
    "200 dpi 1-bit": (200, Scan(skew_deg=-1.0, noise=20, bitonal=True)),
    "150 dpi grey": (150, Scan(noise=4)),
    "600 dpi grey": (600, Scan(skew_deg=0.5, noise=4)),
}


def main(repeats: int = 30) -> None:
    layout = sample_layout()
    template = layout.page(1).template
    print(f"{'case':38} {'register':>9} {'code':>7} {'score':>7} {'total':>7} {'p90':>7} "
          f"{'checks':>7}  (ms)")
    for name, (dpi, how) in CASES.items():
        page = draw_page(template, layout.code_text(1), dpi)
        for i, row in enumerate(template.rows):
            mark(page, row.boxes[i % 3], "x", dpi)
        image = scan(page, how, dpi)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            reg = register_page(image, template.frame)
            t1 = time.perf_counter()
            decode_page_code(image, reg, template.frame)
            t2 = time.perf_counter()
            scores = score_boxes(even_light(image, reg, template.frame), reg, template)
            t3 = time.perf_counter()
            check_outlines(scores)
            black = ink_black_level(image, reg, template.frame)
            find_streaks(image, reg, template, black)
            find_writing(image, reg, template, black)
            t4 = time.perf_counter()
            times.append((t1 - t0, t2 - t1, t3 - t2, t3 - t0, t4 - t3))
        ms = np.array(times) * 1000
        med = np.median(ms, axis=0)
        p90 = np.percentile(ms[:, 3], 90)
        print(f"{name:38} {med[0]:9.1f} {med[1]:7.1f} {med[2]:7.1f} {med[3]:7.1f} {p90:7.1f} "
              f"{med[4]:7.1f}")


if __name__ == "__main__":
    main()
