"""Start-up of the command line: how long a person waits for the quickest commands.

Run: ``.venv/bin/python benchmarks/startup.py [--repeat 15] [--save FILE]``.

Makes the demo's workspace once (``kiemphieu demo``: seed 002's campaign, 34
ballots, 71 pages stored), then times, alternately, ``--repeat`` times each, the
whole process of:

- ``kiemphieu --help`` (imports the command line only);
- ``kiemphieu tally WS --json`` (opens the workspace and its SQLite records,
  counts, writes the JSON);

and prints the median and the quickest, in seconds, of the wall time and the median of the
CPU time (user and system) the process took: on a shared machine the wall time follows the
load, the CPU time far less. Each is a fresh Python process, so the figure includes the
interpreter's own start (about 0.02 s).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import result_file

KIEMPHIEU = str(Path(sys.executable).with_name("kiemphieu"))

COMMANDS = {"help": lambda ws: [KIEMPHIEU, "--help"],
            "tally_json": lambda ws: [KIEMPHIEU, "tally", str(ws), "--json"]}


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run of ``cmd`` (which must
    succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--save", type=Path, help="also write the figures as a baseline for compare.py")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([KIEMPHIEU, "demo", "--out", tmp], check=True, capture_output=True)
        ws = Path(tmp) / "workspace"
        for make in COMMANDS.values():  # the files in the page cache, the bytecode compiled
            timed(make(ws))
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in COMMANDS}
        for _ in range(args.repeat):
            for name, make in COMMANDS.items():
                times[name].append(timed(make(ws)))
    figures = {}
    for name, runs in times.items():
        wall = [w for w, _ in runs]
        figures[f"{name}_median_s"] = round(statistics.median(wall), 3)
        figures[f"{name}_quickest_s"] = round(min(wall), 3)
        figures[f"{name}_cpu_median_s"] = round(statistics.median(c for _, c in runs), 3)
    print(json.dumps(figures, indent=1))
    if args.save:
        result_file.save(args.save, "startup", {"repeat": args.repeat}, figures, "startup.py")


if __name__ == "__main__":
    main()
