"""Speed against a peer: OMRChecker and ``kiemphieu scan`` on the same scanned ballots.

Run: ``.venv/bin/python benchmarks/omrchecker.py --omrchecker DIR [--python PY]
[--pages 100] [--repeat 3] [--save FILE]``, where ``DIR`` is a checkout of
OMRChecker (github.com/Udayraj123/OMRChecker) and ``PY`` a Python with its
requirements installed (default ``DIR/.venv/bin/python``). OMRChecker needs a
display; without ``DISPLAY`` it is run under ``xvfb-run`` (Debian's ``xvfb``).

The pages are page 1 of seed 002's ballot from `benchmarks/speed.py`'s corpus
(its 200 distinct 300-dpi colour JPEGs, quality 90, made there if missing):
``--pages`` of them, enough that a start-up varying by a second or so (Python's
imports, ``xvfb-run``) weighs little on the time a page.
OMRChecker is given a template of that page's 12 rows of three boxes, made
from kiemphieu's own layout (`pipeline.domain.layout`), at 1240 x 1754 px (150
dpi), and no preprocessor: it reads each box where the template puts it, with
no search for the page (a scanner's pages lie almost square). That is the least
work OMRChecker does; kiemphieu places every page from its four marks, reads
its QR code, measures every box and looks for streaks, struck names and notes.

Each turn times, one after the other: the decode floor of the same files
(`speed.decode_floor_once`), OMRChecker on 1 page and on all, and
``kiemphieu scan`` into a new workspace on 1 page and on all. A program's time
a page is the slope between its 1-page and its N-page run (its start-up left
out); the figures are medians of the turns, and each ratio is taken within a
turn. OMRChecker writes its results (CSV, and an image per sheet, its
defaults) to a folder of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import result_file
import speed

PX_PER_MM = 1240 / 210  # OMRChecker's processing size for the A4 page: 150 dpi


def omrchecker_template(rows: int, first_box: tuple[float, float], box_mm: float,
                        box_gap_mm: float, row_gap_mm: float) -> dict[str, Any]:
    """An OMRChecker template for one column block of ``rows`` rows of three boxes (mm in)."""
    s = PX_PER_MM
    return {
        "pageDimensions": [1240, 1754],
        "bubbleDimensions": [round(box_mm * s), round(box_mm * s)],
        "fieldBlocks": {"Ballot": {
            "origin": [round(first_box[0] * s), round(first_box[1] * s)],
            "bubbleValues": ["high", "medium", "low"],
            "direction": "horizontal",
            "fieldLabels": [f"r1..{rows}"],
            "bubblesGap": round(box_gap_mm * s, 1),
            "labelsGap": round(row_gap_mm * s, 1),
        }},
    }


def page_one_files(corpus: Path, count: int) -> list[Path]:
    """The first ``count`` JPEGs of ``corpus`` that read as page 1 of the ballot."""
    from pipeline.documents.ballot_pdf import printed_pages
    from pipeline.domain.campaign import load_campaign
    from pipeline.domain.layout import build_layout
    from pipeline.reading.page import read_scan
    from pipeline.reading.printed import references

    campaign = load_campaign(speed.SAMPLE)
    layout = build_layout(campaign)
    references(layout, render=printed_pages)  # as `kiemphieu new` makes them
    found = []
    for path in sorted(corpus.glob("*.jpg")):
        if read_scan(path.read_bytes(), layout, campaign.thresholds).ballot_page == 1:
            found.append(path)
            if len(found) == count:
                return found
    raise SystemExit(f"{corpus}: fewer than {count} pages 1")


def make_inputs(out: Path, files: list[Path]) -> dict[int, Path]:
    """Two OMRChecker input folders (1 page, all pages), each with the template and config."""
    from pipeline.domain.campaign import load_campaign
    from pipeline.domain.layout import build_layout

    layout = build_layout(load_campaign(speed.SAMPLE))
    page = layout.page(1).template
    first, second = page.rows[0], page.rows[1]
    template = omrchecker_template(
        len(page.rows), (first.boxes[0].x, first.boxes[0].y), first.boxes[0].w,
        first.boxes[1].x - first.boxes[0].x, second.boxes[0].y - first.boxes[0].y)
    folders = {}
    for n in (1, len(files)):
        folder = out / f"in-{n}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        (folder / "template.json").write_text(json.dumps(template, indent=1))
        (folder / "config.json").write_text(json.dumps({"outputs": {"show_image_level": 0}}))
        for f in files[:n]:
            shutil.copyfile(f, folder / f.name)
        folders[n] = folder
    return folders


def run_omrchecker(python: str, checkout: Path, folder: Path, out: Path) -> float:
    """Wall seconds of one OMRChecker run over ``folder`` (which must succeed)."""
    shutil.rmtree(out, ignore_errors=True)
    # OMRChecker asks for the screen's size when imported: without a display, a virtual one
    display = [] if os.environ.get("DISPLAY") else ["xvfb-run", "-a"]
    t = time.perf_counter()
    subprocess.run([*display, python, "main.py", "-i", str(folder), "-o", str(out)],
                   cwd=checkout, check=True, capture_output=True)
    return time.perf_counter() - t


def run_kiemphieu(folder: Path) -> float:
    """Wall seconds of ``kiemphieu scan`` of ``folder``'s JPEGs into a new workspace."""
    with tempfile.TemporaryDirectory() as tmp:
        ws = speed.new_workspace(Path(tmp))
        t = time.perf_counter()
        subprocess.run([speed.KIEMPHIEU, "scan", str(ws), *map(str, sorted(folder.glob("*.jpg")))],
                       check=True, capture_output=True)
        return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--omrchecker", type=Path, required=True, help="a checkout of OMRChecker")
    ap.add_argument("--python", help="a Python with OMRChecker's requirements")
    ap.add_argument("--pages", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=speed.ROOT / "bench-out" / "omrchecker")
    ap.add_argument("--save", type=Path, help="also write the figures as a baseline for compare.py")
    a = ap.parse_args()
    python = a.python or str(a.omrchecker / ".venv" / "bin" / "python")
    if not (a.omrchecker / "main.py").is_file():
        ap.error(f"{a.omrchecker}: not an OMRChecker checkout (no main.py)")
    from pipeline.reading.workers import prepare_reading_process

    prepare_reading_process()  # the floor measured as the reader runs (speed.py)
    corpus = speed.make_corpus(speed.ROOT / "bench-out" / "speed", 40, 1000)
    folders = make_inputs(a.out, page_one_files(corpus["jpeg300_big"], a.pages))
    n = a.pages
    turns: dict[str, list[float]] = {"floor": [], "omrchecker": [], "kiemphieu": []}
    for _ in range(a.repeat):
        turns["floor"].append(speed.decode_floor_once(folders[n]))
        for name, run in (("omrchecker", lambda f: run_omrchecker(python, a.omrchecker, f,
                                                                    a.out / "results")),
                          ("kiemphieu", run_kiemphieu)):
            one, many = run(folders[1]), run(folders[n])
            turns[name].append((many - one) / (n - 1) * 1000)
    ratio = [k / o for k, o in zip(turns["kiemphieu"], turns["omrchecker"], strict=True)]
    figures = {
        "pages": n,
        "floor_ms": round(statistics.median(turns["floor"]), 1),
        "omrchecker_ms_per_page": round(statistics.median(turns["omrchecker"]), 1),
        "kiemphieu_ms_per_page": round(statistics.median(turns["kiemphieu"]), 1),
        "kiemphieu_per_omrchecker": round(statistics.median(ratio), 2),
        "turns_ms": {k: [round(x, 1) for x in v] for k, v in turns.items()},
    }
    print(json.dumps(figures, indent=1))
    if a.save:
        result_file.save(a.save, "omrchecker", {"pages": n}, figures, "omrchecker.py")


if __name__ == "__main__":
    sys.exit(main())
