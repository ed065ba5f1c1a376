"""benchmarks/compare.py: what it calls worse, on small results files (no benchmark is run)."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import compare
import result_file


def record(benchmark: str, figures: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return {"benchmark": benchmark, "format": result_file.FORMAT, "measured_utc": "2026-12-07T04:00Z",
            "command": f".venv/bin/python benchmarks/{benchmark}.py", "script": f"{benchmark}.py",
            "argv": [], "settings": settings or {"seed": 1}, "figures": figures}


def preset(**counts: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {k: 0 for k in result_file.ACCURACY_COUNTS}
    entry.update({"pages": 20, "clear": 100, "doubtful": 20, "doubtful_caught": 20,
                  "wrong": [], "to_review": [], "missed": []})
    entry.update(counts)
    return entry


def accuracy(**presets: dict[str, Any]) -> dict[str, Any]:
    return record("accuracy", {"presets": presets}, ballots=10, seed=2026)


def test_the_same_accuracy_is_nothing_worse() -> None:
    base = accuracy(CLEAN=preset(clear_review=2, to_review=["a.png#0 cand 1: [x] ...",
                                                             "a.png#0 cand 2: [x] ..."]))
    report = compare.compare(base, copy.deepcopy(base))
    assert report.worse == [] and report.better == []


def test_a_new_wrong_row_is_worse_and_named() -> None:
    base = accuracy(CLEAN=preset(clear_wrong=1, wrong=["a.png#0 cand 3: [x] expected vote"]))
    new = accuracy(CLEAN=preset(clear_wrong=1, wrong=["b.png#1 cand 7: [tick] expected vote"]))
    report = compare.compare(base, new)
    assert any("read wrong that the baseline read right" in line for line in report.worse)
    assert "    b.png#1 cand 7: [tick] expected vote" in report.worse


def test_more_review_and_fewer_caught_are_worse_fewer_review_better() -> None:
    base = accuracy(CLEAN=preset(clear_review=2), OFFICE=preset(clear_review=5))
    new = accuracy(CLEAN=preset(clear_review=3, to_review=["c.png#0 cand 4: [x]"]),
                   OFFICE=preset(clear_review=4, doubtful_caught=19,
                                 missed=["d.png#1 cand 2: [dot]"]))
    report = compare.compare(base, new)
    worse = "\n".join(report.worse)
    assert "CLEAN: clear rows sent to review 2 of 100 (2.00%) -> 3 of 100 (3.00%)" in worse
    assert "    c.png#0 cand 4: [x]" in worse
    assert "OFFICE: doubtful rows caught 20 of 20" in worse
    assert "    missed: d.png#1 cand 2: [dot]" in worse
    assert any(line.startswith("OFFICE: clear rows sent to review 5") for line in report.better)


def test_accuracy_presets_in_one_file_only_are_listed_not_judged() -> None:
    base = accuracy(CLEAN=preset(), OLD=preset())
    new = accuracy(CLEAN=preset(), NEW=preset(clear_wrong=3, wrong=["x: y"] * 3))
    report = compare.compare(base, new)
    assert report.worse == []
    assert "OLD: in the baseline only, not compared" in report.notes
    assert "NEW: no baseline, not compared" in report.notes


def test_other_settings_cannot_be_compared() -> None:
    base, new = accuracy(CLEAN=preset()), accuracy(CLEAN=preset())
    new["settings"]["seed"] = 7
    with pytest.raises(compare.NotComparable, match="seed 2026 against 7"):
        compare.compare(base, new)
    speed = record("speed", {}, pages=40, repeat=3)
    with pytest.raises(compare.NotComparable, match="a accuracy baseline and a speed result"):
        compare.compare(base, speed)
    # repeating a measurement more often still measures the same thing
    assert compare.compare(speed, record("speed", {}, pages=40, repeat=5)).worse == []


def speed(**figures: float) -> dict[str, Any]:
    values = {"jpeg300_ratio_to_floor": 1.0, "g4200_ms_per_page": 12.0, "read_scan_jpeg300_ms": 30.0,
              "read_scan_g4200_ms": 12.0, "workers_scaling_beyond_start_up": 1.4,
              "workers_w2_share_of_two_bare_readers": 0.88, "memory_growth_mib": 2.0,
              "peak_rss_mib_big": 150.0}
    values.update(figures)
    return record("speed", values, pages=40, big=1000, repeat=3)


def test_speed_within_the_tolerance_is_not_worse() -> None:
    report = compare.compare(speed(), speed(jpeg300_ratio_to_floor=1.14, g4200_ms_per_page=15.5,
                                           memory_growth_mib=11.5))
    assert report.worse == []


def test_speed_beyond_the_tolerance_is_worse_in_either_direction() -> None:
    report = compare.compare(speed(), speed(jpeg300_ratio_to_floor=1.2,
                                            workers_scaling_beyond_start_up=1.15,
                                            memory_growth_mib=12.5, g4200_ms_per_page=8.0))
    worse = " ".join(report.worse)
    assert "jpeg300_ratio_to_floor 1.0 -> 1.2" in worse
    assert "workers_scaling_beyond_start_up 1.4 -> 1.15" in worse  # higher is better
    assert "memory_growth_mib 2.0 -> 12.5 (tolerance 10)" in worse  # absolute MiB
    assert [line for line in report.better if line.startswith("g4200_ms_per_page 12.0 -> 8.0")]


def test_startup_has_an_absolute_floor_for_its_noise() -> None:
    base = record("startup", {"help_median_s": 0.10, "tally_json_median_s": 0.70}, repeat=15)
    quick = record("startup", {"help_median_s": 0.149, "tally_json_median_s": 0.87}, repeat=15)
    slow = record("startup", {"help_median_s": 0.16, "tally_json_median_s": 0.90}, repeat=15)
    assert compare.compare(base, quick).worse == []
    assert len(compare.compare(base, slow).worse) == 2


def test_load_correctness_has_no_tolerance() -> None:
    def ingest(stored_once: bool, ratio: float) -> dict[str, Any]:
        db = {"one_station_pages_per_s": 30.0, "two_stations_pages_per_s": 58.0,
              "ratio_two_vs_one": ratio, "stored_once": stored_once}
        return record("load-ingest", {"databases": {"postgresql": db, "sqlite": dict(db)}}, pages=2000)

    report = compare.compare(ingest(True, 1.9), ingest(False, 1.9))
    assert report.worse == ["postgresql: stored_once was true, is now False",
                            "sqlite: stored_once was true, is now False"]
    review = {"decisions_per_s": 30.0, "decide_p95_ms": 600.0, "each_once": True, "errors": 0}
    bad = dict(review, errors=2)
    report = compare.compare(record("load-review", {"databases": {"sqlite": review}}),
                             record("load-review", {"databases": {"sqlite": bad}}))
    assert report.worse == ["sqlite: errors 0 -> 2"]


def test_main_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def write(name: str, rec: dict[str, Any]) -> str:
        path = tmp_path / name
        path.write_text(json.dumps(rec), encoding="utf-8")
        return str(path)

    base = write("base.json", speed())
    assert compare.main([base, write("same.json", speed())]) == 0
    assert compare.main([base, write("slow.json", speed(g4200_ms_per_page=20.0))]) == 1
    assert "result: WORSE" in capsys.readouterr().out
    assert compare.main([base, write("other.json", accuracy(CLEAN=preset()))]) == 2
    assert compare.main([base, write("junk.json", {"hello": 1})]) == 2
    (tmp_path / "text.json").write_text("not json", encoding="utf-8")
    assert compare.main([base, str(tmp_path / "text.json")]) == 2
    assert "not a JSON file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        compare.main([base])
    assert usage.value.code == 2


def test_save_writes_the_shape_load_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["speed.py", "--pages", "4", "--save", "x.json"])
    path = tmp_path / "speed.json"
    result_file.save(path, "speed", {"pages": 4}, {"g4200_ms_per_page": 12.0}, "speed.py")
    saved = result_file.load(path)
    assert saved["argv"] == ["--pages", "4"]
    assert saved["command"] == ".venv/bin/python benchmarks/speed.py --pages 4"
    assert saved["figures"] == {"g4200_ms_per_page": 12.0}


def test_load_ingest_figures_take_the_medians_of_the_pairs() -> None:
    def run(pps: float, once: bool = True) -> dict[str, Any]:
        return {"pages_per_s": pps, "cpu_ms_per_page": 30.0, "stored_once": once}

    result = {"runs": {"sqlite": {"one#1": run(30.0), "two_same_pages#1": run(55.0),
                                  "one#2": run(34.0), "two_same_pages#2": run(63.0, once=False),
                                  "ratio_two_vs_one": 1.84, "ratios_each_pair": [1.83, 1.85]}}}
    figures = result_file.load_ingest_figures(result)["databases"]["sqlite"]
    assert figures["one_station_pages_per_s"] == 32.0
    assert figures["two_stations_pages_per_s"] == 59.0
    assert figures["stored_once"] is False  # one run stored a page twice


def test_accuracy_figures_keep_the_counts_and_the_rows() -> None:
    results = [{"preset": "CLEAN", "pages": 4, "clear": 30, "clear_review": 1,
                "to_review": ["b#0 cand 2: ...", "a#0 cand 1: ..."], "wrong": [], "missed": [],
                "make_s": 1.5}]
    figures = result_file.accuracy_figures(results)["presets"]["CLEAN"]
    assert figures["clear"] == 30 and figures["doubtful"] == 0  # absent counts are 0
    assert figures["to_review"] == ["a#0 cand 1: ...", "b#0 cand 2: ..."]  # sorted: a stable file
    assert "make_s" not in figures  # times are not accuracy


def test_a_busy_machine_is_noted() -> None:
    busy = speed(machine_scaling=1.07)
    report = compare.compare(busy, speed(machine_scaling=1.9))
    assert report.notes == ["the machine was busy during the baseline (two bare readers read "
                            "1.07 times what one does): its times moved with it"]
