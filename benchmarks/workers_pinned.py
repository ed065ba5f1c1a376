"""A reading worker on a CPU of its own: does it read as fast as a bare reader?

Run: ``.venv/bin/python benchmarks/workers_pinned.py [--repeat 4]`` (Linux, two
CPUs or more; the corpus of `benchmarks/speed.py`, made there if missing).

`benchmarks/speed.py` compares two workers with two bare readers on this
machine's two CPUs, where the command's own work (taking pages out of their
file, hashing, storing, writing the images) shares the CPUs with the workers.
This measures the workers' mechanism apart from that: the whole ingest (the
same code as ``kiemphieu scan``) with its reading pool of ONE worker process,
the command on CPU 0 and the worker on CPU 1, against one bare reader (the
reading alone, `speed.bare_readers`) on CPU 1, alternately, turn by turn:

- the worker's pages a second beyond start-up (the slope between a 1-page and
  the 1,000-page run), and its ratio to the bare reader's;
- the command's own CPU a page beyond start-up (its process only: the worker
  runs in another), which is how many workers one CPU of command can feed.

``kiemphieu scan --workers 1`` reads in the command's process; here the
ingest's reading is routed to the pool (`pipeline.workflow.ingest._read_pooled`) with
one worker. The worker is pinned by starting the pool's fork server while
this process runs on CPU 1 (its children inherit that), then moving this
process to CPU 0 before the ingest starts its threads.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import speed  # this folder's benchmark: its corpus and bare reader

COMMAND_CPU, WORKER_CPU = 0, 1


def scan_pinned(ws: Path, source: Path) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds of an ingest of ``source`` into ``ws``
    with one pooled worker on `WORKER_CPU`, this process on `COMMAND_CPU`."""
    from pipeline.reading.workers import reader_context
    from pipeline.store.workspace import open_workspace
    from pipeline.workflow import ingest as ing

    os.sched_setaffinity(0, {WORKER_CPU})
    reader_context()  # the fork server, and every worker forked from it, on WORKER_CPU
    os.sched_setaffinity(0, {COMMAND_CPU})

    def pooled(items, ws, queued=0):  # `_read_here`'s signature
        printed = ing.references(ws.layout, kept_in=ws.printed_dir)
        return ing._read_pooled(items, ws, 1, printed)

    ing._read_here = pooled
    workspace = open_workspace(ws)
    c0, t0 = os.times(), time.perf_counter()
    summary = ing.ingest(workspace, [source], workers=1)
    wall, c1 = time.perf_counter() - t0, os.times()
    if summary.by_status["accepted"] != summary.pages:
        raise SystemExit(f"{source}: {summary.pages - summary.by_status['accepted']} of "
                         f"{summary.pages} pages not accepted")
    return wall, (c1.user + c1.system) - (c0.user + c0.system)


def run_pinned(source: Path) -> tuple[float, float]:
    """`scan_pinned` in a fresh process and a new workspace."""
    with tempfile.TemporaryDirectory() as tmp:
        ws = speed.new_workspace(Path(tmp))
        out = subprocess.run([sys.executable, __file__, "--scan", str(ws), str(source)],
                             check=True, capture_output=True, text=True)
    wall, cpu = out.stdout.split()
    return float(wall), float(cpu)


def bare_pinned(source: Path) -> float:
    """Pages a second of one bare reader on `WORKER_CPU`."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {WORKER_CPU})
    try:
        return speed.bare_readers(source, 1)
    finally:
        os.sched_setaffinity(0, before)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--out", type=Path, default=speed.ROOT / "bench-out" / "speed")
    ap.add_argument("--scan", nargs=2, type=Path, metavar=("WS", "INPUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.scan:
        wall, cpu = scan_pinned(*args.scan)
        print(f"{wall:.4f} {cpu:.4f}")
        return
    if len(os.sched_getaffinity(0)) < 2:
        raise SystemExit("needs two CPUs: one for the command, one for its worker")
    from pipeline.reading.workers import prepare_reading_process

    prepare_reading_process()
    corpus = speed.make_corpus(args.out, 40, 1000)
    turns = []
    with tempfile.TemporaryDirectory() as tmp:
        one = speed.one_g4_page(corpus, Path(tmp))
        for _ in range(args.repeat):
            bare = bare_pinned(corpus["g4200"])
            w_one, c_one = run_pinned(one)
            w_big, c_big = run_pinned(corpus["g4200_big"])
            pages = 1000 - 1
            rate = pages / (w_big - w_one)
            turns.append({"bare_pages_per_s": round(bare, 1),
                          "worker_pages_per_s": round(rate, 1),
                          "ratio": round(rate / bare, 3),
                          "command_cpu_ms_per_page": round((c_big - c_one) / pages * 1000, 2),
                          "start_up_s": round(w_one, 2)})
            print(json.dumps(turns[-1]), flush=True)
    result = {
        "machine": speed.machine(),
        "turns": turns,
        "ratio": round(statistics.median(t["ratio"] for t in turns), 3),
        "command_cpu_ms_per_page": round(statistics.median(
            t["command_cpu_ms_per_page"] for t in turns), 2),
    }
    (args.out / "workers_pinned.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
