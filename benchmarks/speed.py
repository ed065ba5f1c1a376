"""Speed and memory of ``kiemphieu scan``, against the floor of decoding the same files.

Run: ``.venv/bin/python benchmarks/speed.py [--pages 40] [--big 1000] [--out bench-out/speed]``

It makes (once, cached in ``--out``) simulated voted scans of seed 002's
ballot: ``--pages`` pages of 300-dpi colour JPEG (quality 90, one file a
page) and of 200-dpi 1-bit G4 TIFF (one multi-page file), and from them,
with a few dust specks each so that every page is distinct, 5 x ``--pages``
JPEGs and ``--big`` G4 pages; then measures, each a median of ``--repeat``
runs on this machine:

- the decode floor: reading the same files to greyscale and nothing else
  (``cv2.imread`` for JPEG, PIL page by page for G4 TIFF), and for JPEG
  also to colour (what a viewer does);
- each stage of reading one page in-process (`pipeline.reading.page.read_scan`'s
  ``timings``), on the ``--pages`` pages;
- the whole ``kiemphieu scan`` command in a fresh workspace, one process, on
  the larger sets: time and CPU time (user + system) per page beyond the
  command's fixed start-up (the slope between a 1-page and an N-page run),
  turn by turn with the floor of the same files, and the ratio (for JPEG
  also to the colour decode, the floor a viewer has); the command reads on two
  threads, a page each, so it also gives its CPU time against the floor and how
  many CPUs it kept busy;
- the 1,000-page G4 scan with 1 and 2 workers, alternately: wall time, and
  pages a second beyond start-up (the slope between a 1-page and the
  1,000-page run with as many workers), and the whole machine's CPU time a
  page beyond start-up; in the same turns, the machine's own scaling: the
  reading alone in one process and in two at once;
- peak resident memory of ``scan`` for 10 pages and for ``--big`` pages.

Results go to ``--out/speed.json`` and are printed; ``--save FILE`` also writes the
headline figures as a baseline (`result_file.speed_figures`) for ``benchmarks/compare.py``.
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
from typing import Any

import cv2
import numpy as np
import result_file
from PIL import Image, ImageSequence

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "seed-002-hdnd-ninhson.yaml"
KIEMPHIEU = str(Path(sys.executable).with_name("kiemphieu"))


def make_corpus(out: Path, pages: int, big: int) -> dict[str, Path]:
    from pipeline.documents.ballot_pdf import ballot_pdf_bytes
    from pipeline.domain.campaign import load_campaign
    from pipeline.domain.layout import build_layout
    from simulator import ScanProfile, simulate_stack, write_stack

    campaign = load_campaign(SAMPLE)
    layout = build_layout(campaign)
    pdf = ballot_pdf_bytes(campaign, layout)
    ballots = (pages + 1) // 2
    corpus = {
        "jpeg300": out / "jpeg300",
        "g4200": out / "g4200" / "stack.tif",
        "g4200_10": out / "g4200-10" / "stack.tif",
        "g4200_big": out / f"g4200-{big}" / "stack.tif",
        "jpeg300_big": out / f"jpeg300-{5 * pages}",
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
    if not corpus["jpeg300_big"].exists():
        # the whole command is timed on more pages than the stages (its start-up, about a
        # second, varies by a tenth of that from run to run): distinct pages, cheaply, as above
        base_jpegs = sorted(corpus["jpeg300"].glob("*.jpg"))
        rng = np.random.default_rng(300)
        corpus["jpeg300_big"].mkdir(parents=True)
        for i in range(5 * len(base_jpegs)):
            page = cv2.imread(str(base_jpegs[i % len(base_jpegs)]), cv2.IMREAD_COLOR)
            ys, xs = rng.integers(40, page.shape[0] - 40, 3), rng.integers(40, 200, 3)
            page[ys, xs] = 0
            cv2.imwrite(str(corpus["jpeg300_big"] / f"page-{i + 1:03d}.jpg"), page,
                        [cv2.IMWRITE_JPEG_QUALITY, 90])
    return corpus


def decode_floor_once(source: Path, colour: bool = False) -> float:
    """ms per page to decode ``source`` (a folder of JPEGs or a multi-page TIFF) to grey and
    nothing else (one pass); ``colour``: JPEGs to colour instead, as a viewer decodes them."""
    t = time.perf_counter()
    if source.is_dir():
        jpegs = sorted(source.glob("*.jpg"))
        flag = cv2.IMREAD_COLOR if colour else cv2.IMREAD_GRAYSCALE
        for path in jpegs:
            cv2.imread(str(path), flag)
        n = len(jpegs)
    else:
        with Image.open(source) as im:
            n = 0
            for frame in ImageSequence.Iterator(im):
                frame.tobytes("raw", "L")
                n += 1
    return (time.perf_counter() - t) / n * 1000


def decode_floor(corpus: dict[str, Path], repeat: int) -> dict[str, float]:
    return {
        "jpeg300": statistics.median(decode_floor_once(corpus["jpeg300"]) for _ in range(repeat)),
        "jpeg300_colour": statistics.median(decode_floor_once(corpus["jpeg300"], colour=True)
                                            for _ in range(repeat)),
        "g4200": statistics.median(decode_floor_once(corpus["g4200"]) for _ in range(repeat)),
    }


STAGES = ("take page", "decode", "register", "code", "light", "boxes", "streaks", "writing",
          "notes", "decide", "seal")


def stage_times(corpus: dict[str, Path], repeat: int) -> dict[str, dict[str, float]]:
    """Per page, each stage of `pipeline.reading.page.read_scan` as it runs (its ``timings``)."""
    from pipeline.documents.ballot_pdf import printed_pages
    from pipeline.domain.campaign import load_campaign
    from pipeline.domain.layout import build_layout
    from pipeline.reading.page import read_scan
    from pipeline.reading.printed import references
    from pipeline.reading.sources import iter_pages
    from pipeline.reading.workers import prepare_reading_process

    prepare_reading_process()  # as `kiemphieu scan` runs
    campaign = load_campaign(SAMPLE)
    layout = build_layout(campaign)
    references(layout, render=printed_pages)  # as `kiemphieu new` makes them
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


def new_workspace(folder: Path) -> Path:
    """A fresh workspace of the sample campaign (``kiemphieu new``) in ``folder``."""
    ws = folder / "ws"
    subprocess.run([KIEMPHIEU, "new", str(SAMPLE), "--dir", str(ws)], check=True,
                   capture_output=True)
    return ws


def run_scan(inputs: list[Path], workers: int) -> tuple[float, int, int, float]:
    """Wall seconds, pages, peak RSS (KiB) and CPU seconds (user + system, the command and
    its workers) of one ``kiemphieu scan`` in a fresh workspace."""
    with tempfile.TemporaryDirectory() as tmp:
        ws = new_workspace(Path(tmp))
        cmd = ["/usr/bin/time", "-f", "%M %U %S", KIEMPHIEU, "scan", str(ws), *map(str, inputs),
               "--workers", str(workers), "--jsonl", str(Path(tmp) / "o.jsonl")]
        t = time.perf_counter()
        proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t
        pages = sum(1 for _ in (Path(tmp) / "o.jsonl").open())
        rss, user, system = proc.stderr.strip().splitlines()[-1].split()
    return wall, pages, int(rss), float(user) + float(system)


def one_g4_page(corpus: dict[str, Path], folder: Path) -> Path:
    """The G4 stack's first page alone, in ``folder``: the 1-page scan that measures start-up."""
    path = folder / "one.tif"
    with Image.open(corpus["g4200"]) as im:
        im.save(path, compression="group4", dpi=(200, 200))
    return path


def whole_command(corpus: dict[str, Path], repeat: int) -> dict[str, dict[str, Any]]:
    out = {}
    jpegs = sorted(corpus["jpeg300_big"].glob("*.jpg"))
    with tempfile.TemporaryDirectory() as tmp:
        one_g4 = one_g4_page(corpus, Path(tmp))
        cases = {"jpeg300": (corpus["jpeg300_big"], jpegs, [jpegs[0]]),
                 "g4200": (corpus["g4200_big"], [corpus["g4200_big"]], [one_g4])}
        for key, (source, inputs, single) in cases.items():
            res: dict[str, Any] = {}
            # the floor, the start-up and the whole command measured together, in turn, so a
            # change in what else the machine does touches all three alike; the ratio is
            # taken within each turn, then the median of the turns
            floors, colour_floors, slopes, cpus = [], [], [], []
            pages = 0
            for _ in range(repeat):
                floors.append(decode_floor_once(source))
                if source.is_dir():  # JPEGs: also as a viewer decodes them, in colour
                    colour_floors.append(decode_floor_once(source, colour=True))
                start, _, _, start_cpu = run_scan(single, 1)
                wall, pages, _, cpu = run_scan(inputs, 1)
                slopes.append((wall - start) / (pages - 1) * 1000)
                cpus.append((cpu - start_cpu) / (pages - 1) * 1000)
            ratios = [s / f for s, f in zip(slopes, floors, strict=True)]
            res["pages"] = pages
            res["turns_floor_ms"] = [round(f, 1) for f in floors]
            res["turns_ms_per_page_beyond_start_up"] = [round(s, 1) for s in slopes]
            res["turns_cpu_ms_per_page_beyond_start_up"] = [round(c, 1) for c in cpus]
            res["turns_ratio"] = [round(r, 2) for r in ratios]
            res["ratio_to_floor_beyond_start_up"] = round(statistics.median(ratios), 2)
            if colour_floors:
                # a viewer decodes a JPEG in colour: the floor of a person opening the files
                res["turns_colour_floor_ms"] = [round(f, 1) for f in colour_floors]
                res["ratio_to_colour_floor_beyond_start_up"] = round(statistics.median(
                    s / f for s, f in zip(slopes, colour_floors, strict=True)), 2)
            res["ms_per_page_beyond_start_up"] = round(statistics.median(slopes), 1)
            res["cpu_ms_per_page_beyond_start_up"] = round(statistics.median(cpus), 1)
            # one process, more than one CPU: two threads each decode and read a page
            # (`pipeline.reading.workers.read_in_turn`); the CPU it all takes, against the same floor
            res["cpu_ratio_to_floor_beyond_start_up"] = round(statistics.median(
                c / f for c, f in zip(cpus, floors, strict=True)), 2)
            res["cpus_busy_beyond_start_up"] = round(statistics.median(
                c / s for c, s in zip(cpus, slopes, strict=True)), 2)
            out[key] = res
    return out


def workers(corpus: dict[str, Path], repeat: int) -> dict[str, Any]:
    """The 1,000-page G4 scan with 1 and 2 workers, run alternately: the whole command's wall
    time, and its pages a second beyond start-up (the slope between a 1-page and the
    1,000-page run with as many workers, as for one process above).

    The start-up (imports, the workspace, the printed pages; with workers, their fork
    server) is about a second that no number of workers divides, so the whole command
    on 1,000 pages cannot scale as the reading does.

    In the same turns, what the machine itself gives: the reading alone (`bare_readers`)
    in one process and in two at once. Two processes that share nothing are the most
    two workers can be; their ratio to one is this machine's own scaling, the line the
    workers' scaling is to be near.
    """
    walls: dict[int, list[float]] = {1: [], 2: []}
    starts: dict[int, list[float]] = {1: [], 2: []}
    slopes: dict[int, list[float]] = {1: [], 2: []}
    cpus: dict[int, list[float]] = {1: [], 2: []}
    bare: dict[int, list[float]] = {1: [], 2: []}
    pages = 0
    with tempfile.TemporaryDirectory() as tmp:
        one_g4 = one_g4_page(corpus, Path(tmp))
        for _ in range(repeat):
            for n in (1, 2):
                b0 = machine_busy_s()
                start, _, _, _ = run_scan([one_g4], n)
                b1 = machine_busy_s()
                wall, pages, _, _ = run_scan([corpus["g4200_big"]], n)
                b2 = machine_busy_s()
                walls[n].append(round(wall, 2))
                starts[n].append(round(start, 2))
                slopes[n].append(round((wall - start) / (pages - 1) * 1000, 2))
                if b0 is not None and b1 is not None and b2 is not None:
                    cpus[n].append(round(((b2 - b1) - (b1 - b0)) / (pages - 1) * 1000, 2))
                bare[n].append(round(bare_readers(corpus["g4200"], n), 1))
    w1, w2 = statistics.median(walls[1]), statistics.median(walls[2])
    s1, s2 = statistics.median(slopes[1]), statistics.median(slopes[2])
    w2_rate = [1000 / s for s in slopes[2]]  # pages a second beyond start-up
    return {"pages": pages, "w1_wall_s": walls[1], "w2_wall_s": walls[2],
            "w1_pages_per_s": round(pages / w1, 1), "w2_pages_per_s": round(pages / w2, 1),
            "scaling": round(w1 / w2, 2),
            "turns_scaling": [round(a / b, 2) for a, b in zip(walls[1], walls[2], strict=True)],
            "w1_start_up_s": starts[1], "w2_start_up_s": starts[2],
            "w1_ms_per_page_beyond_start_up": slopes[1],
            "w2_ms_per_page_beyond_start_up": slopes[2],
            "scaling_beyond_start_up": round(s1 / s2, 2),
            "turns_scaling_beyond_start_up": [round(a / b, 2) for a, b
                                              in zip(slopes[1], slopes[2], strict=True)],
            # the machine's own line: the reading alone, one process and two at once
            "turns_bare_1_pages_per_s": bare[1], "turns_bare_2_pages_per_s": bare[2],
            "turns_machine_scaling": [round(b / a, 2) for a, b
                                      in zip(bare[1], bare[2], strict=True)],
            "machine_scaling": round(statistics.median(
                b / a for a, b in zip(bare[1], bare[2], strict=True)), 2),
            # two workers (the command, storing included) against one bare reader, the
            # scaling from one CPU reading to two; and against two bare readers at once
            "turns_w2_per_bare_reader": [round(r / a, 2) for r, a
                                         in zip(w2_rate, bare[1], strict=True)],
            "w2_per_bare_reader": round(statistics.median(
                r / a for r, a in zip(w2_rate, bare[1], strict=True)), 2),
            "w2_share_of_two_bare_readers": round(statistics.median(
                r / b for r, b in zip(w2_rate, bare[2], strict=True)), 2),
            # all the machine's CPUs (the command, its threads, its workers, the kernel's
            # writing) a page beyond start-up: what a page costs with 1 process and 2 workers
            **({"turns_w1_machine_cpu_ms_per_page": cpus[1],
                "turns_w2_machine_cpu_ms_per_page": cpus[2],
                "w1_machine_cpu_ms_per_page": round(statistics.median(cpus[1]), 2),
                "w2_machine_cpu_ms_per_page": round(statistics.median(cpus[2]), 2),
                "w1_cpus_busy": round(statistics.median(
                    c / s for c, s in zip(cpus[1], slopes[1], strict=True)), 2),
                "w2_cpus_busy": round(statistics.median(
                    c / s for c, s in zip(cpus[2], slopes[2], strict=True)), 2)}
               if cpus[1] and cpus[2] else {})}


def machine_busy_s() -> float | None:
    """Seconds of CPU the whole machine has been busy (all CPUs, `/proc/stat`); None
    where there is no such file."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle, iowait = fields[3], fields[4]
    return (sum(fields) - idle - iowait) / os.sysconf("SC_CLK_TCK")


BARE_PAGES = 400  # pages each bare reader reads (its 40 pages over and over)


def bare_readers(source: Path, procs: int) -> float:
    """Pages a second of ``procs`` processes each reading ``source``'s pages (already in
    memory) with `pipeline.reading.page.read_scan` in line, nothing else, all started together:
    the reading with no command around it, on as many CPUs."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    ready, results = ctx.Barrier(procs + 1), ctx.Queue()
    runners = [ctx.Process(target=_bare_reader, args=(str(source), BARE_PAGES, ready, results))
               for _ in range(procs)]
    for p in runners:
        p.start()
    ready.wait()  # every reader has its pages and has read one
    seconds = [results.get() for _ in runners]
    for p in runners:
        p.join()
    return procs * BARE_PAGES / max(seconds)


def _bare_reader(source: str, n: int, ready: Any, results: Any) -> None:
    from pipeline.documents.ballot_pdf import printed_pages
    from pipeline.domain.campaign import load_campaign
    from pipeline.domain.layout import build_layout
    from pipeline.reading.page import read_scan
    from pipeline.reading.printed import references
    from pipeline.reading.sources import iter_pages
    from pipeline.reading.workers import prepare_reading_process

    prepare_reading_process()
    campaign = load_campaign(SAMPLE)
    layout = build_layout(campaign)
    references(layout, render=printed_pages)  # as `kiemphieu new` makes them
    pages = [p.data for p in iter_pages([Path(source)])]
    read_scan(pages[0], layout, campaign.thresholds)
    ready.wait()
    t = time.perf_counter()
    for i in range(n):
        read_scan(pages[i % len(pages)], layout, campaign.thresholds)
    results.put(time.perf_counter() - t)


def memory(corpus: dict[str, Path]) -> dict[str, Any]:
    _, p10, rss10, _ = run_scan([corpus["g4200_10"]], 1)
    _, pbig, rssbig, _ = run_scan([corpus["g4200_big"]], 1)
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
    ap.add_argument("--save", type=Path,
                    help="also write the headline figures as a baseline for compare.py")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # every floor is measured as the reader runs (`prepare_reading_process`: one OpenCV
    # thread, the C heap kept between pages): a decode that maps its pixels anew on every
    # page is slower, and the command would look quicker against it than it is
    from pipeline.reading.workers import prepare_reading_process

    prepare_reading_process()
    corpus = make_corpus(args.out, args.pages, args.big)
    result = {
        "machine": machine(),
        "decode_floor_ms": decode_floor(corpus, args.repeat),
        "stages_ms": stage_times(corpus, args.repeat),
        "scan": whole_command(corpus, args.repeat),
        "workers": workers(corpus, args.repeat),
        "memory": memory(corpus),
    }
    (args.out / "speed.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    if args.save:
        result_file.save(args.save, "speed",
                         {"pages": args.pages, "big": args.big, "repeat": args.repeat},
                         result_file.speed_figures(result), "speed.py")


if __name__ == "__main__":
    main()
