"""Compare benchmark results with a saved baseline; exit 1 when a change made them worse.

Run::

    .venv/bin/python benchmarks/compare.py benchmarks/results/speed.json NEW.json
    .venv/bin/python benchmarks/compare.py benchmarks/results/speed.json --run
    .venv/bin/python benchmarks/compare.py benchmarks/results/accuracy.json --run --run-args=--reuse

``NEW.json`` is a file written by the same benchmark with ``--save``; ``--run`` runs the
baseline's own command again (its ``argv``, with ``--save`` to a temporary file and
``--run-args`` added) and compares what it writes.

Exit status: 0 nothing worse; 1 something worse (each figure is named, with both
values); 2 the files cannot be compared (unreadable, other benchmarks, other settings).

What counts as worse:

- **accuracy** (`benchmarks/accuracy.py`), preset by preset; the same seed and sizes make
  the same cases, so nothing is left to noise: any clear row read wrong that the
  baseline read right (the rows are named), any page whose status is read wrong
  beyond the baseline's, a larger share of clear rows sent to review, a smaller share
  of doubtful rows caught, a smaller share of margin notes found, more pages doubted
  for a note they do not have. Presets in one file only are listed, not judged.
- **speed, load, start-up**: each figure in `RULES`, with its direction and a tolerance
  for this kind of machine's noise: worse when it moved the wrong way by more than
  the larger of its relative and absolute tolerance. Figures measured against the
  floor in the same turn (ratios, scaling) drift less than times in milliseconds, and
  get 15 %; times and rates 30 %; a 95th-percentile latency 50 %; start-up 25 % or
  0.05 s; the memory's growth over a long stack 10 MiB, its peak 15 %. ``stored_once``
  and ``each_once`` must stay true and ``errors`` must stay 0, with no tolerance. A run
  in which two bare readers read under 1.5 times one (the machine busy) is noted.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import result_file

HERE = Path(__file__).resolve().parent

#: Settings that change how often a figure is measured, not what is measured.
SETTINGS_IGNORED = {"repeat"}


@dataclass(frozen=True)
class Rule:
    """How one figure is judged: ``higher`` is better or worse, and by how much it may
    move the wrong way before it counts (``relative``: a share of the baseline's value;
    ``absolute``: in the figure's own unit); the larger of the two applies."""

    higher_is_better: bool
    relative: float
    absolute: float = 0.0


RATIO, TIME = Rule(False, 0.15), Rule(False, 0.30)
RATE, SCALING = Rule(True, 0.30), Rule(True, 0.15)

#: Per benchmark, the figures judged (in ``figures``, or per database in
#: ``figures["databases"]``). The rest of a file is shown, not judged.
RULES: dict[str, dict[str, Rule]] = {
    "speed": {
        "jpeg300_ratio_to_floor": RATIO,
        "g4200_ms_per_page": TIME,
        "read_scan_jpeg300_ms": TIME,
        "read_scan_g4200_ms": TIME,
        "workers_scaling_beyond_start_up": SCALING,
        "workers_w2_share_of_two_bare_readers": SCALING,
        "memory_growth_mib": Rule(False, 0.0, 10.0),
        "peak_rss_mib_big": Rule(False, 0.15),
    },
    "load-ingest": {
        "one_station_pages_per_s": RATE,
        "two_stations_pages_per_s": RATE,
        "ratio_two_vs_one": SCALING,
    },
    "load-review": {
        "decisions_per_s": RATE,
        "decide_p95_ms": Rule(False, 0.50),
    },
    "startup": {
        "help_median_s": Rule(False, 0.25, 0.05),
        "tally_json_median_s": Rule(False, 0.25, 0.05),
    },
    "omrchecker": {
        "kiemphieu_per_omrchecker": RATIO,
    },
}

#: Below this, two bare readers at once read less than 1.5 times what one does: the
#: machine's CPUs were taken by other work during the run (`speed.py`'s ``machine_scaling``).
BUSY_MACHINE_SCALING = 1.5

#: Figures that must stay true, and counts that must stay 0 (no tolerance).
MUST_BE_TRUE = ("stored_once", "each_once")
MUST_BE_ZERO = ("errors",)


class NotComparable(Exception):
    """Two results files that do not measure the same thing."""


@dataclass
class Report:
    """What moved: ``worse`` and ``better`` lines, and ``notes`` (neither)."""

    worse: list[str]
    better: list[str]
    notes: list[str]


def judge(rule: Rule, base: float, new: float) -> int:
    """-1 if ``new`` is worse than ``base`` beyond the rule's tolerance, 1 if better
    beyond it, 0 within it."""
    slack = max(rule.relative * abs(base), rule.absolute)
    moved = (new - base) if rule.higher_is_better else (base - new)
    if moved < -slack:
        return -1
    if moved > slack:
        return 1
    return 0


def check_comparable(base: dict[str, Any], new: dict[str, Any]) -> None:
    if base["benchmark"] != new["benchmark"]:
        raise NotComparable(f"a {base['benchmark']} baseline and a {new['benchmark']} result")
    keys = (set(base["settings"]) | set(new["settings"])) - SETTINGS_IGNORED
    differ = sorted(k for k in keys if base["settings"].get(k) != new["settings"].get(k))
    if differ:
        what = ", ".join(f"{k} {base['settings'].get(k)!r} against {new['settings'].get(k)!r}"
                         for k in differ)
        raise NotComparable(f"measured with other settings ({what}); run the baseline's "
                            f"command: {base.get('command', '?')}")


def compare(base: dict[str, Any], new: dict[str, Any]) -> Report:
    """Judge ``new`` against ``base`` (both loaded results files of one benchmark)."""
    check_comparable(base, new)
    if base["benchmark"] == "accuracy":
        return compare_accuracy(base["figures"], new["figures"])
    report = compare_figures(RULES[base["benchmark"]], base["figures"], new["figures"])
    for name, record in (("the baseline", base), ("the new run", new)):
        scaling = record["figures"].get("machine_scaling")
        if scaling is not None and scaling < BUSY_MACHINE_SCALING:
            report.notes.append(f"the machine was busy during {name} (two bare readers read "
                                f"{scaling} times what one does): its times moved with it")
    return report


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _row_key(line: str) -> str:
    """The row or page a listed line names (``FILE#PAGE cand N`` or ``page FILE#PAGE``)."""
    return line.split(": ", 1)[0]


def compare_accuracy(base: dict[str, Any], new: dict[str, Any]) -> Report:
    report = Report([], [], [])
    bp, np_ = base["presets"], new["presets"]
    for name in sorted(set(bp) - set(np_)):
        report.notes.append(f"{name}: in the baseline only, not compared")
    for name in sorted(set(np_) - set(bp)):
        report.notes.append(f"{name}: no baseline, not compared")
    for name in [n for n in bp if n in np_]:
        b, n = bp[name], np_[name]
        if (b["clear"], b["doubtful"]) != (n["clear"], n["doubtful"]):
            report.notes.append(f"{name}: other cases ({b['clear']} clear and {b['doubtful']} "
                                f"doubtful rows against {n['clear']} and {n['doubtful']}): "
                                "shares compared")
        old_wrong = {_row_key(x) for x in b["wrong"]}
        newly_wrong = [x for x in n["wrong"] if _row_key(x) not in old_wrong]
        if newly_wrong:
            report.worse.append(f"{name}: {len(newly_wrong)} row(s) or page(s) read wrong that "
                                "the baseline read right")
            report.worse.extend(f"    {x}" for x in newly_wrong)
        elif n["clear_wrong"] < b["clear_wrong"]:
            report.better.append(f"{name}: clear rows read wrong {b['clear_wrong']} -> "
                                 f"{n['clear_wrong']}")
        for key, whole, label, higher in (
                ("clear_review", "clear", "clear rows sent to review", False),
                ("doubtful_caught", "doubtful", "doubtful rows caught", True),
                ("margin_notes_found", "margin_notes", "margin notes found", True),
                ("false_note_doubts", "pages", "pages doubted for a note they lack", False),
                ("page_status_wrong", "pages", "pages given the wrong status", False)):
            old, now = _share(b[key], b[whole]), _share(n[key], n[whole])
            if old == now:
                continue
            line = (f"{name}: {label} {b[key]} of {b[whole]} ({100 * old:.2f}%) -> "
                    f"{n[key]} of {n[whole]} ({100 * now:.2f}%)")
            (report.better if (now > old) == higher else report.worse).append(line)
            if key == "clear_review" and now > old:
                old_rows = {_row_key(x) for x in b["to_review"]}
                report.worse.extend(f"    {x}" for x in n["to_review"]
                                    if _row_key(x) not in old_rows)
            if key == "doubtful_caught" and now < old:
                old_rows = {_row_key(x) for x in b["missed"]}
                report.worse.extend(f"    missed: {x}" for x in n["missed"]
                                    if _row_key(x) not in old_rows)
    return report


def compare_figures(rules: dict[str, Rule], base: dict[str, Any], new: dict[str, Any],
                    where: str = "") -> Report:
    """Judge every figure of ``rules`` (and, per database, those under ``databases``)."""
    report = Report([], [], [])
    if "databases" in base:
        for db in base["databases"]:
            if db not in new.get("databases", {}):
                report.notes.append(f"{db}: in the baseline only, not compared")
                continue
            sub = compare_figures(rules, base["databases"][db], new["databases"][db], f"{db}: ")
            report.worse += sub.worse
            report.better += sub.better
            report.notes += sub.notes
        return report
    for key in MUST_BE_TRUE:
        if base.get(key) is True and new.get(key) is not True:
            report.worse.append(f"{where}{key} was true, is now {new.get(key)!r}")
    for key in MUST_BE_ZERO:
        if key in new and new[key] > base.get(key, 0):
            report.worse.append(f"{where}{key} {base.get(key, 0)} -> {new[key]}")
    for key, rule in rules.items():
        if key not in base or key not in new:
            report.notes.append(f"{where}{key}: in one file only, not compared")
            continue
        verdict = judge(rule, base[key], new[key])
        if verdict:
            slack = max(rule.relative * abs(base[key]), rule.absolute)
            line = f"{where}{key} {base[key]} -> {new[key]} (tolerance {slack:.3g})"
            (report.worse if verdict < 0 else report.better).append(line)
    return report


def run_again(base: dict[str, Any], extra: list[str], into: Path) -> Path:
    """Run the baseline's command again with ``extra`` arguments, saving into ``into``."""
    script = HERE / base["script"]
    out = into / "new.json"
    cmd = [sys.executable, str(script), *base["argv"], *extra, "--save", str(out)]
    print("running:", shlex.join(cmd), flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("baseline", type=Path, help="a saved results file (benchmarks/results/*.json)")
    ap.add_argument("new", type=Path, nargs="?", help="a results file of the same benchmark")
    ap.add_argument("--run", action="store_true", help="run the baseline's command and compare")
    ap.add_argument("--run-args", default="", help="arguments added to the command run by --run")
    a = ap.parse_args(argv)
    if (a.new is None) == (not a.run):
        ap.error("give either a new results file or --run")
    try:
        base = result_file.load(a.baseline)
        with tempfile.TemporaryDirectory() as tmp:
            new_path = a.new if a.new else run_again(base, shlex.split(a.run_args), Path(tmp))
            new = result_file.load(new_path)
        report = compare(base, new)
    except (result_file.ResultFileError, NotComparable) as e:
        print(f"cannot compare: {e}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as e:
        print(f"cannot compare: the benchmark failed (exit {e.returncode})", file=sys.stderr)
        return 2
    print(f"{base['benchmark']}: {a.baseline} ({base.get('measured_utc', '?')}) against "
          f"{'a new run' if a.run else a.new} ({new.get('measured_utc', '?')})")
    for title, lines in (("worse", report.worse), ("better", report.better),
                         ("not compared", report.notes)):
        if lines:
            print(f"{title}:")
            print("\n".join(f"  {line}" for line in lines))
    if report.worse:
        print("result: WORSE than the baseline")
        return 1
    print("result: nothing worse than the baseline" +
          (" (better: consider saving a new baseline)" if report.better else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
