"""The same sheet seen twice: how often a different ballot is taken for a sheet already
stored (false match), how often a rescan or photocopy is not (miss), and what it costs.

Run: ``nice -n 10 .venv/bin/python benchmarks/likeness.py [--ballots 240] [--again 60]
[--save benchmarks/results/likeness.json]``

It votes ``--ballots`` ballots of sample seed 000 (nine people, one page), half of them
all "high" (voters who marked alike, each with their own hand) and half as people vote
(`simulator.VoteModel`), and scans them at 300 dpi grey (PNG). Then ``--again`` of those
sheets are seen again, in turn: scanned at 150 dpi in colour (JPEG 60), at 200 dpi 1-bit
(G4 TIFF), at 300 dpi turned 180° (PDF), at 200 dpi skewed 2.5° (PNG), and photocopied
(darker, blurred, shifted, scaled) then scanned at 200 dpi grey (JPEG) or 1-bit (G4 TIFF).
Every page is read by the product's reader (`pipeline.reading.page.read_scan`, from the
file's bytes), which makes its print, and compared as a scan does
(`pipeline.workflow.samesheet`: the summaries' nearest, then `omr.likeness.likeness`).

Figures: false matches (a first sheet found alike to another), misses (a sheet seen again
not found, or found as another), the highest likeness between different sheets and the
lowest between a sheet and itself seen again, the reader's time a page and the print's
share of it, and a comparison's time against buckets of the run's size and of 2,000 pages.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from result_file import machine, own_argv

from omr.likeness import SAME_SHEET, SheetPrint, likeness, nearest
from pipeline.domain.campaign import load_campaign
from pipeline.domain.layout import build_layout
from pipeline.reading.page import read_scan
from pipeline.reading.sources import ScanPage, iter_pages
from pipeline.workflow.samesheet import COARSE_FLOOR, SHORTLIST
from simulator import (
    BITONAL,
    CLEAN,
    COLOUR_150,
    OFFICE,
    VoteModel,
    simulate_stack,
    write_stack,
)
from simulator.copier import photocopy, rescan

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "seed-000-ubnd-ninhson.yaml"

# how a sheet is seen again: name, file format, dpi written, and how it is made from the sheet
AGAIN = (
    ("colour 150 dpi JPEG", "jpeg", 150, lambda up, rng: rescan(up, 300, COLOUR_150, rng)),
    ("1-bit 200 dpi TIFF", "tiff-g4", 200, lambda up, rng: rescan(up, 300, BITONAL, rng)),
    ("turned 180°, 300 dpi PDF", "pdf-jpeg", 300,
     lambda up, rng: rescan(up, 300, replace(CLEAN, quarter_turns=(2,)), rng)),
    ("skewed 2.5°, 200 dpi PNG", "png", 200,
     lambda up, rng: rescan(up, 300, replace(OFFICE, skew_deg=2.5, quarter_turns=(0,)), rng)),
    ("photocopy, grey 200 dpi JPEG", "jpeg", 200,
     lambda up, rng: rescan(photocopy(up, 300, rng, darker=0.35, blur_mm=0.15, scale=0.975),
                            300, OFFICE, rng)),
    ("photocopy, 1-bit 200 dpi TIFF", "tiff-g4", 200,
     lambda up, rng: rescan(photocopy(up, 300, rng, shift_mm=3.0, scale=1.01), 300, BITONAL,
                            rng)),
)


def _read(image: np.ndarray, fmt: str, dpi: int, layout, thresholds, tmp: Path,
          timings: dict[str, float]) -> SheetPrint | None:
    path = tmp / f"page.{fmt}"
    write_stack([image], fmt, path, dpi)
    (page,) = list(iter_pages([path]))  # as a scan takes it out of its file
    if not isinstance(page, ScanPage):
        return None
    reading = read_scan(page.data, layout, thresholds, timings=timings)
    if reading.status != "accepted" or reading.sheet_print is None:
        return None
    return SheetPrint.from_bytes(reading.sheet_print)


def _match(found: SheetPrint, prints: list[SheetPrint], summaries: list[np.ndarray]
           ) -> tuple[int | None, float]:
    """As `pipeline.workflow.samesheet.SheetIndex.match`: the page found alike (or None), and
    the highest likeness met on the shortlist."""
    if not prints:
        return None, 0.0
    best, top = None, 0.0
    for i, cos in nearest(found.summary(), np.vstack(summaries), SHORTLIST):
        if cos < COARSE_FLOOR:
            break
        score = likeness(found, prints[i])
        top = max(top, score)
        if score >= SAME_SHEET and (best is None or score > likeness(found, prints[best])):
            best = i
    return best, top


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ballots", type=int, default=240)
    ap.add_argument("--again", type=int, default=60)
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--save", type=Path)
    args = ap.parse_args(argv)
    campaign = load_campaign(SAMPLE)
    layout = build_layout(campaign)
    thresholds = campaign.thresholds
    stts = [c.stt for c in campaign.candidates]
    half = args.ballots // 2
    alike = simulate_stack(campaign, layout, half, np.random.default_rng(args.seed),
                           profile=CLEAN, vote_model=VoteModel(exact={s: {"high": half}
                                                                      for s in stts}))
    mixed = simulate_stack(campaign, layout, args.ballots - half,
                           np.random.default_rng(args.seed + 1), profile=CLEAN)
    sheets = [(alike, i) for i in range(len(alike))] + [(mixed, i) for i in range(len(mixed))]
    rng = np.random.default_rng(args.seed + 2)
    timings: dict[str, float] = {}
    prints: list[SheetPrint] = []
    summaries: list[np.ndarray] = []
    false_matches, unread, top_different = [], 0, 0.0
    match_seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        for n, (stack, i) in enumerate(sheets):
            found = _read(stack.images[i], "png", 300, layout, thresholds, t, timings)
            if found is None:
                unread += 1
                prints.append(SheetPrint(np.zeros((0, 0, 0), np.uint8)))
                summaries.append(np.zeros_like(summaries[0]) if summaries else np.zeros(1))
                continue
            start = time.perf_counter()
            twin, top = _match(found, [p for p in prints], summaries)
            match_seconds += time.perf_counter() - start
            top_different = max(top_different, top)
            if twin is not None:
                false_matches.append((n, twin, round(likeness(found, prints[twin]), 3)))
            prints.append(found)
            summaries.append(found.summary())
        first_pages = len(sheets) - unread
        chosen = rng.choice(len(sheets), size=min(args.again, len(sheets)), replace=False)
        misses, wrong, low_same, unread_again = [], [], 1.0, 0
        by_kind: dict[str, list[float]] = {}
        for k, n in enumerate(chosen):
            name, fmt, dpi, make = AGAIN[k % len(AGAIN)]
            stack, i = sheets[int(n)]
            found = _read(make(stack.images.upright(i), rng), fmt, dpi, layout, thresholds, t,
                          timings)
            if found is None:
                unread_again += 1
                continue
            start = time.perf_counter()
            twin, _ = _match(found, prints, summaries)
            match_seconds += time.perf_counter() - start
            own = likeness(found, prints[int(n)])
            low_same = min(low_same, own)
            by_kind.setdefault(name, []).append(own)
            if twin is None:
                misses.append((int(n), name, round(own, 3)))
            elif twin != int(n):
                wrong.append((int(n), twin, name))
            prints.append(found)
            summaries.append(found.summary())
    pages = len(prints)
    read_total = sum(timings.values())
    # one comparison against a bucket of 2,000 pages: the coarse pass over them all, then
    # the shortlist in full, each stopped once it cannot reach the threshold (as a scan does)
    big = np.vstack([summaries[i % len(summaries)] for i in range(2000)])
    query = prints[-1]
    start = time.perf_counter()
    for _ in range(20):
        for i, _cos in nearest(query.summary(), big, SHORTLIST):
            likeness(query, prints[i % len(prints)], floor=SAME_SHEET)
    match_2000_ms = (time.perf_counter() - start) / 20 * 1000
    figures = {
        "first_sheets": first_pages,
        "first_sheets_all_high": half,
        "unread": unread + unread_again,
        "false_matches": len(false_matches),
        "false_match_rate": round(len(false_matches) / max(1, first_pages), 4),
        "seen_again": len(chosen) - unread_again,
        "misses": len(misses),
        "found_as_another": len(wrong),
        "miss_rate": round((len(misses) + len(wrong)) / max(1, len(chosen) - unread_again), 4),
        "highest_likeness_different_sheets": round(top_different, 3),
        "lowest_likeness_same_sheet": round(low_same, 3),
        "same_sheet_threshold": SAME_SHEET,
        "lowest_likeness_by_way": {k: round(min(v), 3) for k, v in by_kind.items()},
        "read_ms_per_page": round(1000 * read_total / pages, 2),
        "print_ms_per_page": round(1000 * timings.get("print", 0.0) / pages, 2),
        "print_share_of_reading": round(timings.get("print", 0.0) / read_total, 4),
        "match_ms_per_page": round(1000 * match_seconds / pages, 2),
        "match_ms_bucket_2000": round(match_2000_ms, 2),
        "false_match_pages": false_matches,
        "missed_pages": misses,
    }
    print(json.dumps(figures, indent=1, ensure_ascii=False))
    if args.save:
        record = {"benchmark": "likeness", "format": 1,
                  "measured_utc": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()),
                  "machine": machine(),
                  "command": "nice -n 10 .venv/bin/python benchmarks/likeness.py "
                             + " ".join(own_argv(sys.argv[1:])),
                  "settings": {"ballots": args.ballots, "again": args.again, "seed": args.seed,
                               "campaign": SAMPLE.name},
                  "figures": figures}
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main()
