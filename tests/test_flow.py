"""The whole flow through the real command line, as a counting committee runs it.

Each test prints ballots with ``kiemphieu print``, has simulated voters mark
them and simulated scanners scan them (`pipeline.simulate`), runs
``kiemphieu scan --jsonl`` on the files, and compares every line with the
simulated truth; then counts with ``kiemphieu tally --json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from certified_case import run

from pipeline.domain.campaign import load_campaign
from pipeline.domain.layout import build_layout
from simulator import (
    BITONAL,
    CLEAN,
    COLOUR_150,
    OFFICE,
    ROUGH,
    MarkMix,
    ScanProfile,
    VoteMix,
    VoteModel,
    read_truth,
    simulate_stack,
    write_case,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"

# Marks anyone would call clear, in every pen the field uses.
CLEAR = MarkMix(
    shapes=(("x", 0.5), ("tick", 0.3), ("fill", 0.1), ("slash", 0.1)),
    pens=(("blue", 0.5), ("black", 0.4), ("red", 0.1)),
    width_mm=(0.5, 1.0),
)


def new_workspace(tmp: Path, campaign_file: Path, copies: int) -> tuple[Path, bytes]:
    ws = tmp / "ws"
    run("new", str(campaign_file), "--dir", str(ws))
    # the printed pages the scans find notes against, rendered once by `new`
    assert len(list((ws / "printed").glob("printed-*.npz"))) == 1
    pdf = tmp / "ballots.pdf"
    run("print", str(ws), "--copies", str(copies), "--out", str(pdf))
    layout = json.loads((ws / "layout.json").read_text("utf-8"))
    assert layout["campaign"] == load_campaign(campaign_file).id
    one_copy = tmp / "one.pdf"
    run("print", str(ws), "--copies", "1", "--out", str(one_copy))
    return ws, one_copy.read_bytes()


def scan(ws: Path, inputs: list[Path], jsonl: Path, *extra: str,
         refused: int = 0) -> list[dict[str, Any]]:
    """``kiemphieu scan``'s JSONL lines; ``refused``: pages refused by name (another
    campaign's), which make it exit 1 naming them."""
    proc = run("scan", str(ws), *map(str, inputs), "--jsonl", str(jsonl), *extra,
               check=not refused)
    if refused:
        assert proc.returncode == 1 and f"{refused} page(s) refused and not counted" in proc.stderr
    return [json.loads(line) for line in jsonl.read_text("utf-8").splitlines()]


def tally(ws: Path) -> dict[str, Any]:
    return json.loads(run("tally", str(ws), "--json").stdout)


def compare(lines: list[dict[str, Any]], truth_path: Path, scans: Path) -> dict[str, int]:
    """Check every JSONL line against the truth; return counts of what was seen."""
    truth = read_truth(truth_path)
    assert len(lines) == len(truth)
    seen = {"rows": 0, "review": 0, "wrong": 0, "pages": 0}
    wrong = []
    for line in lines:
        key = (Path(line["source"]).relative_to(scans).as_posix(), line["page_index"])
        expected = truth[key]
        seen["pages"] += 1
        assert line["status"] == expected["status"], (key, line["reason"])
        if line["status"] != "accepted":
            assert line["reason"]
            continue
        assert line["campaign"] == expected["campaign"]
        assert line["ballot_page"] == expected["ballot_page"]
        want = {r["candidate"]: r for r in expected["rows"]}
        for row in line["rows"]:
            seen["rows"] += 1
            exp = want[row["candidate"]]
            if row["outcome"] == "review":
                seen["review"] += 1
            elif (row["outcome"], row["level"]) != (exp["outcome"], exp["level"]):
                seen["wrong"] += 1
                wrong.append((key, row, exp))
            assert set(row["scores"]) == {"high", "medium", "low"}
    assert not wrong, wrong[:5]
    return seen


@pytest.mark.parametrize(
    ("sample", "profile", "formats", "ballots"),
    [
        ("seed-002-hdnd-ninhson.yaml", OFFICE, ["pdf-jpeg", "tiff-g4", "png"], 12),
        ("seed-000-ubnd-ninhson.yaml", BITONAL, ["tiff-g4", "pdf-g4"], 14),
        ("seed-001-hdnd-cantho.yaml", COLOUR_150, ["jpeg", "tiff-grey", "pdf-jpeg"], 14),
    ],
    ids=["seed002-office", "seed000-bitonal", "seed001-colour150"],
)
def test_sample_campaign_printed_marked_scanned_counted(
    tmp_path: Path, sample: str, profile: ScanProfile, formats: list[str], ballots: int
) -> None:
    campaign_file = SAMPLES / sample
    campaign = load_campaign(campaign_file)
    ws, pdf = new_workspace(tmp_path, campaign_file, ballots)
    other = load_campaign(SAMPLES / "seed-002-hdnd-ninhson.yaml")
    if other.id == campaign.id:
        other = load_campaign(SAMPLES / "seed-000-ubnd-ninhson.yaml")
    turned = ScanProfile(**{**profile.__dict__, "quarter_turns": (0, 1, 2, 3)})
    stack = simulate_stack(
        campaign, build_layout(campaign), ballots, np.random.default_rng(len(sample)),
        profile=turned, vote_model=VoteModel(mix=VoteMix(), marks=CLEAR), duplex=True,
        memos=1, foreign=(other, build_layout(other)), foreign_ballots=1, rescans=2,
        pdf_bytes=pdf,
    )
    scans = tmp_path / "scans"
    truth_path = write_case(scans, stack, formats)
    foreign = sum(1 for page in stack.truth if page.kind == "foreign_ballot")
    lines = scan(ws, [scans], tmp_path / "scan.jsonl", refused=foreign)
    seen = compare(lines, truth_path, scans)
    assert seen["review"] <= 0.02 * seen["rows"], seen

    result = tally(ws)
    statuses = stack.statuses()
    assert result["ballots"]["accepted"] == ballots
    assert result["ballots"]["collected"] == ballots
    assert result["ballots"]["duplicate"] == statuses["duplicate"] == 2
    # blank backs are counted once per distinct image: 1-bit blank backs are often identical
    assert 0 < result["ballots"]["blank_pages"] <= statuses["blank_page"]
    assert result["ballots"]["rejected"] == statuses["rejected"]  # the memo and the foreign pages
    expected_base = campaign.electorate if campaign.rules.name == "nq85-2014" else ballots
    assert result["base"] == expected_base
    accepted_rows = [r for line in lines if line["status"] == "accepted" for r in line["rows"]]
    for cand in result["candidates"]:
        rows = [r for r in accepted_rows if r["candidate"] == cand["candidate"]]
        for level in ("high", "medium", "low"):
            assert cand["counts"][level] == sum(1 for r in rows if r["level"] == level)
        assert cand["counts"]["invalid"] == sum(
            1 for r in rows if r["outcome"] in ("blank", "overvote"))
        assert cand["pending"] == sum(1 for r in rows if r["outcome"] == "review")
    assert result["pending_review"] == seen["review"]

    # Scanning the same files again adds nothing and counts nothing twice.
    again = scan(ws, [scans], tmp_path / "again.jsonl", refused=foreign)
    assert {line["status"] for line in again} <= {"duplicate", "blank_page", "rejected"}
    assert sum(line["status"] == "duplicate" for line in again) == statuses["accepted"] + 2
    after = tally(ws)
    assert after["candidates"] == result["candidates"]
    assert after["ballots"]["accepted"] == ballots
    assert after["ballots"]["duplicate"] == 2  # the pages fed twice, not every page seen again


HANOI = """\
id: {id}
title: Phiếu lấy phiếu tín nhiệm
body: Hội đồng nhân dân thành phố Hà Nội khóa XVI, nhiệm kỳ 2021-2026
session_date: 2023-12-07
rules: {rules}
electorate: {electorate}
candidates:
  - {{name: Trần Sỹ Thanh, position: Chủ tịch UBND thành phố}}
  - {{name: Người Thứ Hai, position: Phó Chủ tịch UBND thành phố}}
  - {{name: Người Thứ Ba, position: Phó Chủ tịch UBND thành phố}}
  - {{name: Người Thứ Tư, position: Giám đốc Sở Nội vụ}}
  - {{name: Người Thứ Năm, position: Giám đốc Sở Tài chính}}
"""


@pytest.mark.parametrize(
    ("rules", "electorate", "lows", "expected"),
    [
        # base = 88 ballots collected: 44 is exactly half, 58/88 < 2/3 <= 59/88
        ("nq96-2023", 95, (44, 45, 58, 59), (None, "over_half_low", "over_half_low", "two_thirds_low")),
        # base = 90 delegates: 45 is exactly half, 59/90 < 2/3 = 60/90
        ("nq85-2014", 90, (45, 46, 59, 60), (None, "over_half_low", "over_half_low", "two_thirds_low")),
    ],
)
def test_88_scanned_ballots_consequences_at_their_exact_edges(
    tmp_path: Path, rules: str, electorate: int, lows: tuple[int, ...],
    expected: tuple[str | None, ...]
) -> None:
    campaign_file = tmp_path / "hanoi.yaml"
    campaign_file.write_text(
        HANOI.format(id=f"hn-{rules}", rules=rules, electorate=electorate), encoding="utf-8")
    campaign = load_campaign(campaign_file)
    ws, pdf = new_workspace(tmp_path, campaign_file, 1)
    exact = {1: {"high": 75, "medium": 8, "low": 4, "blank": 1}}
    for stt, low in enumerate(lows, start=2):
        exact[stt] = {"low": low, "medium": 88 - low - 1, "overvote": 1}
    stack = simulate_stack(
        campaign, build_layout(campaign), 88, np.random.default_rng(88),
        profile=ScanProfile(dpi=150, quarter_turns=(0, 2)),
        vote_model=VoteModel(exact=exact, marks=CLEAR), pdf_bytes=pdf,
    )
    scans = tmp_path / "scans"
    truth_path = write_case(scans, stack, ["pdf-jpeg", "tiff-g4"])
    seen = compare(scan(ws, [scans], tmp_path / "scan.jsonl", "--workers", "2"), truth_path, scans)
    assert seen["review"] == 0

    result = tally(ws)
    assert result["ballots"]["collected"] == 88
    base = 88 if rules == "nq96-2023" else electorate
    assert result["base"] == base
    first = result["candidates"][0]
    assert first["counts"] == {"high": 75, "medium": 8, "low": 4, "invalid": 1}
    if rules == "nq96-2023":
        assert first["percent"] == {"high": 85.23, "medium": 9.09, "low": 4.55}
    for cand, low, consequence in zip(result["candidates"][1:], lows, expected, strict=True):
        assert cand["counts"]["low"] == low
        assert cand["counts"]["invalid"] == 1
        assert cand["consequence"] == consequence, (cand["name"], low, base)


def test_hard_scans_rough_and_clean(tmp_path: Path) -> None:
    """5° skew, any orientation, fit-to-page shrink, noise at 150 dpi; and a clean 300 dpi scan."""
    campaign_file = SAMPLES / "seed-000-ubnd-ninhson.yaml"
    campaign = load_campaign(campaign_file)
    ws, pdf = new_workspace(tmp_path, campaign_file, 1)
    scans = tmp_path / "scans"
    total = {"rows": 0, "review": 0}
    for i, profile in enumerate((ROUGH, CLEAN)):
        stack = simulate_stack(campaign, build_layout(campaign), 8, np.random.default_rng(i),
                               profile=profile, vote_model=VoteModel(marks=CLEAR), pdf_bytes=pdf)
        case = scans / f"case{i}"
        truth = write_case(case, stack, ["jpeg", "pdf-jpeg"])
        seen = compare(scan(ws, [case], tmp_path / f"scan{i}.jsonl"), truth, case)
        total["rows"] += seen["rows"]
        total["review"] += seen["review"]
    assert total["review"] <= 0.03 * total["rows"], total


def test_refusals_exit_1_with_a_message_and_usage_errors_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nrules: nq96-2023\nelectorate: ba mươi\n", encoding="utf-8")
    proc = run("check", str(bad), check=False)
    assert proc.returncode == 1 and "line 3" in proc.stderr and "electorate" in proc.stderr

    retiring = tmp_path / "retiring.yaml"
    retiring.write_text(
        HANOI.format(id="hn-x", rules="nq96-2023", electorate=95).replace(
            "Giám đốc Sở Tài chính}", "Giám đốc Sở Tài chính, retiring: true}"),
        encoding="utf-8")
    proc = run("check", str(retiring), check=False)
    assert proc.returncode == 1 and "Người Thứ Năm" in proc.stderr and "nghỉ hưu" in proc.stderr

    proc = run("tally", str(tmp_path / "nowhere"), check=False)
    assert proc.returncode == 1 and "no such folder" in proc.stderr
    proc = run("scan", str(tmp_path / "nowhere"), str(bad), check=False)
    assert proc.returncode == 1
    assert run("tally", check=False).returncode == 2
    assert run("frobnicate", check=False).returncode == 2

    ws, _ = new_workspace(tmp_path, SAMPLES / "seed-000-ubnd-ninhson.yaml", 1)
    proc = run("scan", str(ws), str(tmp_path / "missing.pdf"), check=False)
    assert proc.returncode == 1 and "missing.pdf" in proc.stderr
    proc = run("new", str(SAMPLES / "seed-000-ubnd-ninhson.yaml"), "--dir", str(ws), check=False)
    assert proc.returncode == 1 and "already a workspace" in proc.stderr

    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.pdf").write_bytes(b"%PDF-1.4 broken")
    (junk / "b.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    lines = scan(ws, [junk], tmp_path / "junk.jsonl")
    assert [line["status"] for line in lines] == ["rejected", "rejected"]
    assert all(line["reason"] for line in lines)


def test_demo_runs_the_whole_flow(tmp_path: Path) -> None:
    proc = run("--lang", "vi", "demo", "--out", str(tmp_path / "demo"))
    assert "Họ và tên, chức vụ" in proc.stdout and "Đối chiếu với dữ liệu mô phỏng" in proc.stdout
    assert (tmp_path / "demo" / "ballots.pdf").is_file()
    result = json.loads((tmp_path / "demo" / "tally.json").read_text("utf-8"))
    assert result["ballots"]["accepted"] == 34
    # a second run replaces the first
    run("demo", "--out", str(tmp_path / "demo"))
