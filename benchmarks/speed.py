"""Speed and memory of ``kiemphieu scan``, against the floor of decoding the same files.

Run: ``.venv/bin/python benchmarks/speed.py [--pages 40] [--big 1000] [--out bench-out/speed]``

It makes (once, cached in ``--out``) simulated voted scans of seed 002's
ballot: 300-dpi colour JPEG (quality 90, one file a page) and 200-dpi 1-bit
G4 TIFF (one multi-page file); then measures, each a median of ``--repeat``
runs on this machine:

- the decode floor: reading the same files to greyscale and nothing else
  (``cv2.imread`` for JPEG, PIL page by page for G4 TIFF);
- each stage of reading one page in-process: decode, registration, QR code,
  box scores and row decisions;
- the whole ``kiemphieu scan`` command in a fresh workspace, with 1 and 2
  workers: wall time, pages per second, and the time per page beyond the
  command's fixed start-up (the slope between a 1-page and an N-page run);
- peak resident memory of ``scan`` for 10 pages and for ``--big`` pages.

Results go to ``--out/speed.json`` and are printed as Markdown for
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageSequence

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "seed-002-hdnd-ninhson.yaml"
KIEMPHIEU = str(Path(sys.executable).with_name("kiemphieu"))


def make_corpus(out: Path, pages: int, big: int) -> dict[str, Path]:
    from pipeline.ballot_pdf import ballot_pdf_bytes
    from pipeline.campaign import load_campaign
    from pipeline.layout import build_layout
    from pipeline.simulate import ScanProfile, simulate_stack, write_stack

    campaign = load_campaign(SAMPLE)
    layout = build_layout(campaign)
    pdf = ballot_pdf_bytes(campaign, layout)
    ballots = (pages + 1) // 2
    corpus = {
        "jpeg300": out / "jpeg300",
        "g4200": out / "g4200" / "stack.tif",
        "g4200_10": out / "g4200-10" / "stack.tif",
        "g4200_big": out / f"g4200-{big}" / "stack.tif",
    }
    if not corpus["jpeg300"].exists():
        stack = simulate_stack(campaign, layout, ballots, np.random.default_rng(300),
                               profile=ScanProfile(dpi=300, colour="rgb", jpeg_quality=90),
                               pdf_bytes=pdf)
        corpus["jpeg300"].mkdir(parents=True)
        write_stack(stack.images, "jpeg", corpus["jpeg300"] / "page.jpg", 300, jpeg_quality=90)
    if not corpus["g4200"].exists():
        stack = simulate_stack(campaign, layout, ballots, np.random.default_rng(200),
                               profile=ScanProfile(dpi=200, colour="bitonal"), pdf_bytes=pdf)
        corpus["g4200"].parent.mkdir(parents=True)
        write_stack(stack.images, "tiff-g4", corpus["g4200"], 200)
    if not corpus["g4200_big"].exists():
        # distinct pages, cheaply: the simulated pages again with a few dust specks each
        with Image.open(corpus["g4200"]) as im:
            base = [np.asarray(f.convert("L")) for f in ImageSequence.Iterator(im)]
        rng = np.random.default_rng(1000)
        for key, n in (("g4200_10", 10), ("g4200_big", big)):
            frames = []
            for i in range(n):
                page = base[i % len(base)].copy()
                ys, xs = rng.integers(40, page.shape[0] - 40, 3), rng.integers(40, 200, 3)
                page[ys, xs] = 0
                frames.append(Image.fromarray(page).convert("1"))
            corpus[key].parent.mkdir(parents=True, exist_ok=True)
            frames[0].save(corpus[key], save_all=True, append_images=frames[1:],
                           compression="group4", dpi=(200, 200))
    return corpus


def decode_floor_once(corpus: dict[str, Path], key: str) -> float:
    """ms per page to decode ``key``'s files to grey and nothing else (one pass)."""
    t = time.perf_counter()
    if key == "jpeg300":
        jpegs = sorted(corpus["jpeg300"].glob("*.jpg"))
        for path in jpegs:
            cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        n = len(jpegs)
    else:
        with Image.open(corpus["g4200"]) as im:
            n = 0
            for frame in ImageSequence.Iterator(im):
                frame.tobytes("raw", "L")
                n += 1
    return (time.perf_counter() - t) / n * 1000


def decode_floor(corpus: dict[str, Path], repeat: int) -> dict[str, float]:
    return {key: statistics.median(decode_floor_once(corpus, key) for _ in range(repeat))
            for key in ("jpeg300", "g4200")}


STAGES = ("take page", "decode", "register", "code", "light", "boxes", "streaks", "writing",
          "notes", "decide")


def stage_times(corpus: dict[str, Path], repeat: int) -> dict[str, dict[str, float]]:
    """Per page, each stage of `pipeline.reading.read_scan` as it runs (its ``timings``)."""
    from pipeline.campaign import load_campaign
    from pipeline.ingest import prepare_reading_process
    from pipeline.layout import build_layout
    from pipeline.reading import read_scan
    from pipeline.sources import iter_pages

    prepare_reading_process()  # as `kiemphieu scan` runs
    campaign = load_campaign(SAMPLE)
    layout = build_layout(campaign)
    out = {}
    for key, source in (("jpeg300", corpus["jpeg300"]), ("g4200", corpus["g4200"])):
        files = sorted(source.glob("*.jpg")) if source.is_dir() else [source]
        read_scan(next(iter(iter_pages(files))).data, layout, campaign.thresholds)  # warm caches
        stages: dict[str, list[float]] = {k: [] for k in STAGES}
        for _ in range(repeat):
            t0 = time.perf_counter()
            pages = list(iter_pages(files))
            stages["take page"].append((time.perf_counter() - t0) / len(pages))
            acc: dict[str, float] = {}
            for page in pages:
                read_scan(page.data, layout, campaign.thresholds, timings=acc)
            for k in STAGES[1:]:
                stages[k].append(acc.get(k, 0.0) / len(pages))
        out[key] = {k: round(statistics.median(v) * 1000, 2) for k, v in stages.items()}
        out[key]["read_scan"] = round(sum(out[key][k] for k in STAGES[1:]), 2)
    return out


def run_scan(inputs: list[Path], workers: int) -> tuple[float, int, int]:
    """Wall seconds, pages and peak RSS (KiB) of one ``kiemphieu scan`` in a fresh workspace."""
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        subprocess.run([KIEMPHIEU, "new", str(SAMPLE), "--dir", str(ws)], check=True,
                       capture_output=True)
        cmd = ["/usr/bin/time", "-f", "%M", KIEMPHIEU, "scan", str(ws), *map(str, inputs),
               "--workers", str(workers), "--jsonl", str(Path(tmp) / "o.jsonl")]
        t = time.perf_counter()
        proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t
        pages = sum(1 for _ in (Path(tmp) / "o.jsonl").open())
        rss = int(proc.stderr.strip().splitlines()[-1])
    return wall, pages, rss


def whole_command(corpus: dict[str, Path], repeat: int) -> dict[str, dict[str, float]]:
    out = {}
    jpegs = sorted(corpus["jpeg300"].glob("*.jpg"))
    with tempfile.TemporaryDirectory() as tmp:
        one_g4 = Path(tmp) / "one.tif"
        with Image.open(corpus["g4200"]) as im:
            im.save(one_g4, compression="group4", dpi=(200, 200))
        cases = {"jpeg300": (jpegs, [jpegs[0]]), "g4200": ([corpus["g4200"]], [one_g4])}
        for key, (inputs, single) in cases.items():
            res: dict[str, float] = {}
            # the floor, the start-up and the whole command measured together, in turn, so a
            # change in what else the machine does touches all three alike; the ratio is
            # taken within each turn, then the median of the turns
            floors, starts, slopes = [], [], []
            for _ in range(repeat):
                floors.append(decode_floor_once(corpus, key))
                starts.append(run_scan(single, 1)[0])
                wall, pages, _ = run_scan(inputs, 1)
                slopes.append((wall - starts[-1]) / (pages - 1) * 1000)
            ratios = [s / f for s, f in zip(slopes, floors, strict=True)]
            res["turns_floor_ms"] = [round(f, 1) for f in floors]
            res["turns_ms_per_page_beyond_start_up"] = [round(s, 1) for s in slopes]
            res["turns_ratio"] = [round(r, 2) for r in ratios]
            res["ratio_to_floor_beyond_start_up"] = round(statistics.median(ratios), 2)
            start = statistics.median(starts)
            res["start_up_s"] = round(start, 3)
            for workers in (1, 2):
                walls = []
                pages = 0
                for _ in range(repeat):
                    wall, pages, _ = run_scan(inputs, workers)
                    walls.append(wall)
                wall = statistics.median(walls)
                res[f"w{workers}_pages"] = pages
                res[f"w{workers}_wall_s"] = round(wall, 3)
                res[f"w{workers}_pages_per_s"] = round(pages / wall, 2)
                res[f"w{workers}_ms_per_page_all_in"] = round(wall / pages * 1000, 1)
                res[f"w{workers}_ms_per_page_beyond_start_up"] = round(
                    (wall - start) / (pages - 1) * 1000, 1)
            out[key] = res
    return out


def memory(corpus: dict[str, Path]) -> dict[str, int]:
    _, p10, rss10 = run_scan([corpus["g4200_10"]], 1)
    _, pbig, rssbig = run_scan([corpus["g4200_big"]], 1)
    return {"pages_small": p10, "peak_rss_kib_small": rss10, "pages_big": pbig,
            "peak_rss_kib_big": rssbig, "growth_mib": round((rssbig - rss10) / 1024, 1)}


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": model, "cores": str(os.cpu_count()), "memory_gib": f"{mem:.0f}",
            "python": platform.python_version(), "date": time.strftime("%Y-%m-%d"),
            "opencv": cv2.__version__}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=40)
    ap.add_argument("--big", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "bench-out" / "speed")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    corpus = make_corpus(args.out, args.pages, args.big)
    result = {
        "machine": machine(),
        "decode_floor_ms": decode_floor(corpus, args.repeat),
        "stages_ms": stage_times(corpus, args.repeat),
        "scan": whole_command(corpus, args.repeat),
        "memory": memory(corpus),
    }
    (args.out / "speed.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
