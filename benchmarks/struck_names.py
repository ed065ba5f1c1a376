"""Printed names struck out: does every such row go to review, with that reason?

Run: ``.venv/bin/python benchmarks/struck_names.py [--pages N] [--seed S]``.

`benchmarks/accuracy.py` draws marks and notes, not lines through a printed
name. Here each profile's pages (seed 002's ballot, both pages in turn)
are voted row by row (two rows in three a clear mark: X, tick, slash or ring,
in black, blue, red or pencil, 0.3-0.9 mm; the rest blank), and a row's
name is struck out with a hand-drawn line (`simulator.strike_through`,
30-90 mm, any pen, 0.3-0.9 mm) at random in three rows in ten, marked or
not. The page is scanned or photographed with the profile and read with
`pipeline.reading.page.read_scan`. Per profile it reports the struck rows, how
many went to review, and how many of those with the reason "struck out"
(the rest go with "handwriting outside the boxes"); the rows without a line,
how many read as marked, sent to review, or read wrong; then every struck
row not sent to review, every row read wrong and every page refused.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

import simulator as sim
from pipeline.documents.ballot_pdf import ballot_pdf_bytes, printed_pages
from pipeline.domain.campaign import load_campaign
from pipeline.domain.layout import build_layout
from pipeline.domain.rules import LEVELS
from pipeline.reading.page import read_scan
from pipeline.reading.printed import references

CAMPAIGN = Path(__file__).resolve().parents[1] / "samples" / "seed-002-hdnd-ninhson.yaml"
PROFILES = {"CLEAN": sim.CLEAN, "OFFICE": sim.OFFICE, "COLOUR_150": sim.COLOUR_150,
            "BITONAL": sim.BITONAL, "ROUGH": sim.ROUGH, "PHONE": sim.PHONE,
            "PHONE_HARSH": sim.HARSH_PHONE}
PENS = ("black", "blue", "red", "pencil")
SHAPES = ("x", "tick", "slash", "circle")


def encode(img: np.ndarray, profile: sim.ScanProfile) -> bytes:
    """The page as its profile's scanner or phone would save it."""
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    if profile.camera or profile.colour == "rgb":
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, profile.jpeg_quality])
    else:
        ok, buf = cv2.imencode(".png", img)
    assert ok
    return buf.tobytes()


def run_profile(name: str, profile: sim.ScanProfile, pages: int, seed: int
                ) -> tuple[Counter[str], list[str]]:
    campaign = load_campaign(CAMPAIGN)
    layout = build_layout(campaign)
    references(layout, render=printed_pages)  # as `kiemphieu new` makes them
    printed = [p.copy() for p in sim.render_pages(ballot_pdf_bytes(campaign, layout, copies=1),
                                                 profile.dpi)]
    ppm = sim.px_per_mm(profile.dpi)
    rng = np.random.default_rng([seed, list(PROFILES).index(name)])
    out: Counter[str] = Counter()
    missed: list[str] = []
    for i in range(pages):
        number = i % layout.page_count + 1
        page = printed[number - 1].copy()
        rows = layout.page(number).template.rows
        truth = {}
        for row in rows:
            level = int(rng.integers(0, 3)) if rng.random() < 2 / 3 else None
            if level is not None:
                mark = sim.Mark(str(rng.choice(SHAPES)), str(rng.choice(PENS)),
                                float(rng.uniform(0.3, 0.9)))
                sim.draw_mark(page, row.boxes[level], ppm, mark, rng)
            struck = bool(rng.random() < 0.3)
            if struck:
                sim.strike_through(page, row.band, ppm, str(rng.choice(PENS)),
                                   float(rng.uniform(0.3, 0.9)), rng)
            truth[row.row] = (level, struck)
        img = sim.photograph(page, profile, rng) if profile.camera else \
            sim.degrade(page, profile, rng)
        reading = read_scan(encode(img, profile), layout, campaign.thresholds)
        if reading.status != "accepted":
            out["pages refused"] += 1
            missed.append(f"{name} page {i + 1} refused: {reading.reason}")
            continue
        out["pages"] += 1
        for row, got in zip(rows, reading.rows, strict=True):
            level, struck = truth[row.row]
            reason = got.reason or ""
            if struck:
                out["struck"] += 1
                out["struck to review"] += got.outcome == "review"
                if got.outcome != "review":
                    missed.append(f"{name} page {i + 1} row {row.row}: struck out, read "
                                  f"{got.outcome} {got.level or ''}")
                out["named struck out"] += got.outcome == "review" and "struck out" in reason
            else:
                out["clear"] += 1
                want = ("vote", LEVELS[level]) if level is not None else ("blank", None)
                if (got.outcome, got.level) == want:
                    out["clear right"] += 1
                elif got.outcome == "review":
                    out["clear to review"] += 1
                    out["clear said struck out"] += "struck out" in reason
                else:
                    out["clear WRONG"] += 1
                    missed.append(f"{name} page {i + 1} row {row.row}: {want} read "
                                  f"{got.outcome} {got.level or ''} ({reason})")
    return out, missed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=40, help="pages per profile")
    ap.add_argument("--seed", type=int, default=2026)
    a = ap.parse_args()
    print(f"{'profile':12} {'pages':>5} {'refused':>7} {'struck':>6} {'to review':>9} "
          f"{'named':>6} {'clear':>6} {'right':>6} {'review':>6} {'wrong':>5}")
    total: Counter[str] = Counter()
    missed: list[str] = []
    for name, profile in PROFILES.items():
        c, m = run_profile(name, profile, a.pages, a.seed)
        total.update(c)
        missed += m
        for label, r in ((name, c),) + (() if name != list(PROFILES)[-1] else (("ALL", total),)):
            print(f"{label:12} {r['pages']:5} {r['pages refused']:7} {r['struck']:6} "
                  f"{r['struck to review']:9} {r['named struck out']:6} {r['clear']:6} "
                  f"{r['clear right']:6} {r['clear to review']:6} {r['clear WRONG']:5}")

    for line in missed:
        print(line)


if __name__ == "__main__":
    main()
