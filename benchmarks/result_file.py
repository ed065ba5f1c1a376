"""Saved benchmark results: one JSON file per benchmark, in the shape `compare.py` reads.

Every benchmark that takes ``--save FILE`` writes::

    {
      "benchmark": "accuracy" | "speed" | "load-ingest" | "load-review" | "startup"
                   | "omrchecker",
      "format": 1,
      "measured_utc": "2026-11-23T04:30Z",
      "machine": {"cpu": ..., "cores": ..., "memory_gib": ..., "python": ..., "opencv": ...},
      "command": ".venv/bin/python benchmarks/accuracy.py --ballots 24",
      "argv": ["--ballots", "24"],
      "settings": {...},      # what makes two runs comparable (seed, sizes, presets)
      "figures": {...}        # the numbers compare.py judges, by benchmark (see there)
    }

``argv`` is the command's own arguments without ``--save``: `compare.py --run` runs the
same command again. ``figures`` holds plain numbers, strings and lists, nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shlex
import sys
from pathlib import Path
from typing import Any

FORMAT = 1
BENCHMARKS = ("accuracy", "speed", "load-ingest", "load-review", "startup", "omrchecker")


class ResultFileError(ValueError):
    """A results file that is missing, not JSON, or not in this module's shape."""


def machine() -> dict[str, Any]:
    """The CPU model, cores, memory (GiB), Python and OpenCV versions of this machine."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        import cv2

        opencv = cv2.__version__
    except ImportError:
        opencv = "absent"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory, 1),
            "python": platform.python_version(), "opencv": opencv}


def own_argv(argv: list[str]) -> list[str]:
    """``argv`` (a command's arguments, without the program) less ``--save FILE``."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--save":
            skip = True
        elif not arg.startswith("--save="):
            out.append(arg)
    return out


def save(path: Path, benchmark: str, settings: dict[str, Any], figures: dict[str, Any],
         script: str) -> None:
    """Write ``figures`` measured with ``settings`` by ``benchmarks/<script>`` to ``path``.

    The command is taken from ``sys.argv`` (``--save`` removed), so that the file says
    how to make its figures again.
    """
    if benchmark not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}")
    argv = own_argv(sys.argv[1:])
    record = {
        "benchmark": benchmark,
        "format": FORMAT,
        "measured_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%MZ"),
        "machine": machine(),
        "command": shlex.join([".venv/bin/python", f"benchmarks/{script}", *argv]),
        "script": script,
        "argv": argv,
        "settings": settings,
        "figures": figures,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                    encoding="utf-8")


def load(path: Path) -> dict[str, Any]:
    """A saved results file; `ResultFileError` naming the file if it is not one."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ResultFileError(f"{path}: cannot read it ({e.strerror})") from e
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ResultFileError(f"{path}: not a JSON file ({e})") from e
    if not isinstance(record, dict):
        raise ResultFileError(f"{path}: not a results file (a JSON object is expected)")
    for key in ("benchmark", "format", "settings", "figures"):
        if key not in record:
            raise ResultFileError(f"{path}: not a results file (no {key!r})")
    if record["format"] != FORMAT:
        raise ResultFileError(f"{path}: results format {record['format']!r}, "
                              f"this compare.py reads {FORMAT}")
    if record["benchmark"] not in BENCHMARKS:
        raise ResultFileError(f"{path}: unknown benchmark {record['benchmark']!r}")
    return record


# -- figures, by benchmark ----------------------------------------------------------

#: Counts per accuracy preset (absent counts are 0).
ACCURACY_COUNTS = ("pages", "page_status_wrong", "clear", "clear_wrong", "clear_review",
                   "doubtful", "doubtful_caught", "streak_review", "margin_notes",
                   "margin_notes_found", "false_note_doubts")


def accuracy_figures(results: list[dict[str, Any]]) -> dict[str, Any]:
    """`benchmarks/accuracy.py`'s per-preset results as saved figures: the counts, and the
    rows behind them (``wrong``, ``to_review``, ``missed``, one line a row, sorted)."""
    presets = {}
    for r in results:
        entry: dict[str, Any] = {k: int(r.get(k, 0)) for k in ACCURACY_COUNTS}
        for kind in ("wrong", "to_review", "missed"):
            entry[kind] = sorted(r.get(kind, []))
        presets[r["preset"]] = entry
    return {"presets": presets}


def speed_figures(result: dict[str, Any]) -> dict[str, Any]:
    """The headline figures of `benchmarks/speed.py`'s result (its ``speed.json``)."""
    scan, workers, memory = result["scan"], result["workers"], result["memory"]
    figures = {
        "jpeg300_ratio_to_floor": scan["jpeg300"]["ratio_to_floor_beyond_start_up"],
        "jpeg300_ms_per_page": scan["jpeg300"]["ms_per_page_beyond_start_up"],
        "jpeg300_cpus_busy": scan["jpeg300"]["cpus_busy_beyond_start_up"],
        "jpeg300_floor_ms": result["decode_floor_ms"]["jpeg300"],
        "g4200_ms_per_page": scan["g4200"]["ms_per_page_beyond_start_up"],
        "g4200_ratio_to_floor": scan["g4200"]["ratio_to_floor_beyond_start_up"],
        "g4200_cpu_ms_per_page": scan["g4200"]["cpu_ms_per_page_beyond_start_up"],
        "g4200_floor_ms": result["decode_floor_ms"]["g4200"],
        "read_scan_jpeg300_ms": result["stages_ms"]["jpeg300"]["read_scan"],
        "read_scan_g4200_ms": result["stages_ms"]["g4200"]["read_scan"],
        "workers_w1_pages_per_s": workers["w1_pages_per_s"],
        "workers_w2_pages_per_s": workers["w2_pages_per_s"],
        "workers_scaling_beyond_start_up": workers["scaling_beyond_start_up"],
        "workers_w2_share_of_two_bare_readers": workers["w2_share_of_two_bare_readers"],
        "machine_scaling": workers["machine_scaling"],
        "peak_rss_mib_small": round(memory["peak_rss_kib_small"] / 1024, 1),
        "peak_rss_mib_big": round(memory["peak_rss_kib_big"] / 1024, 1),
        "memory_growth_mib": memory["growth_mib"],
        "start_up_s": min(workers["w1_start_up_s"]),
    }
    figures["stages_ms"] = result["stages_ms"]
    return figures


def load_ingest_figures(result: dict[str, Any]) -> dict[str, Any]:
    """Per database, `benchmarks/load.py ingest`'s stations: pages a second with one and with
    two stations (medians of the pairs), their ratio, and whether every page was stored once."""
    import statistics

    out = {}
    for db, runs in result["runs"].items():
        ones = [r for k, r in runs.items() if k.startswith("one")]
        twos = [r for k, r in runs.items() if k.startswith("two_same")]
        entry = {
            "one_station_pages_per_s": round(statistics.median(r["pages_per_s"] for r in ones), 2),
            "two_stations_pages_per_s": round(statistics.median(r["pages_per_s"] for r in twos), 2),
            "ratio_two_vs_one": runs["ratio_two_vs_one"],
            "cpu_ms_per_page_one_station": round(statistics.median(r["cpu_ms_per_page"]
                                                                   for r in ones), 2),
            "stored_once": all(r["stored_once"] for k, r in runs.items() if isinstance(r, dict)),
        }
        if "two" in runs:
            entry["full_run_pages"] = runs["two"]["pages"]
            entry["full_run_pages_per_s"] = runs["two"]["pages_per_s"]
        out[db] = entry
    return {"databases": out}


def load_review_figures(result: dict[str, Any]) -> dict[str, Any]:
    """Per database, `benchmarks/load.py review`: decisions a second, latencies (ms),
    whether every item was decided exactly once, and the failed requests."""
    out = {}
    for db, run in result["runs"].items():
        latency = run["latency_ms"]
        out[db] = {
            "items": run["items"],
            "decisions_per_s": run["decisions_per_s"],
            "decide_median_ms": latency["decide"]["median"],
            "decide_p95_ms": latency["decide"]["p95"],
            "crop_p95_ms": latency["crop"]["p95"],
            "each_once": run["each_once"],
            "errors": run["errors"],
        }
    return {"databases": out}
