"""Scoring report: fill-score distributions of marks and empty boxes.

Run: ``.venv/bin/python benchmarks/omr_scores.py``. Draws page 1 of the
seed-002 campaign, marks every row's boxes with one kind of mark (pen 0.4-0.6
mm, positions jittered by up to 0.5 mm) or leaves them empty, scans it under
several conditions with random turns and skews, and prints, per condition and
kind, the minimum / median / maximum fill. Use it to choose the fill from which a
box is inked over (``blackout_fill`` of `omr.decide.MarkRule`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from omr_pages import Pen, Scan, draw_page, mark, sample_layout, scan

from omr.geometry import Rect
from omr.registration import register_page
from omr.scoring import score_boxes

CONDITIONS = {
    "300 grey": (300, dict(noise=4, blur_px=0.8)),
    "300 jpeg q50 tinted": (300, dict(noise=8, blur_px=1.0, jpeg=50, paper=215)),
    "200 1-bit": (200, dict(noise=30, blur_px=0.7, bitonal=True)),
    "150 1-bit": (150, dict(noise=30, blur_px=0.6, bitonal=True)),
    "150 grey jpeg": (150, dict(noise=5, blur_px=0.6, jpeg=75)),
    "600 grey": (600, dict(noise=4, blur_px=1.5)),
}
KINDS = ("empty", "x", "tick", "slash", "small_x", "dot", "fill", "pencil x", "pencil tick", "pencil slash")


def _pen(kind: str, rng: np.random.Generator) -> Pen:
    if kind.startswith("pencil"):
        return Pen(width_mm=float(rng.uniform(0.5, 0.7)), grey=int(rng.integers(110, 160)))
    return Pen(width_mm=float(rng.uniform(0.4, 0.6)), grey=int(rng.integers(0, 60)))


def main(pages_per_condition: int = 3) -> None:
    layout = sample_layout()
    template = layout.page(1).template
    rng = np.random.default_rng(7)
    print(f"{'condition':22}" + "".join(f"{k:>20}" for k in KINDS))
    for name, (dpi, scan_args) in CONDITIONS.items():
        fills: dict[str, list[float]] = {k: [] for k in KINDS}
        for p in range(pages_per_condition):
            page = draw_page(template, layout.code_text(1), dpi)
            kinds = {}
            for i, row in enumerate(template.rows):
                kind = KINDS[(i + p * 5) % len(KINDS)]
                kinds[row.row] = kind
                if kind == "empty":
                    continue
                for box in row.boxes:
                    dx, dy = rng.uniform(-0.5, 0.5, 2)
                    moved = Rect(box.x + dx, box.y + dy, box.w, box.h)
                    mark(page, moved, kind.removeprefix("pencil "), dpi, _pen(kind, rng))
            how = Scan(
                quarter_turns=int(rng.integers(0, 4)),
                skew_deg=float(rng.uniform(-5, 5)),
                scale=float(rng.uniform(0.94, 1.0)),
                seed=int(rng.integers(1 << 30)),
                **scan_args,
            )
            image = scan(page, how, dpi)
            reg = register_page(image, template.frame)
            for s in score_boxes(image, reg, template):
                fills[kinds[s.row]].extend(s.fills)
        cells = []
        for k in KINDS:
            v = np.array(fills[k])
            cells.append(f"{v.min():.3f}/{np.median(v):.3f}/{v.max():.3f}" if v.size else "-")
        print(f"{name:22}" + "".join(f"{c:>20}" for c in cells))


if __name__ == "__main__":
    main()
