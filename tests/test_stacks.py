"""Stacks: every scan run is a stack with its pages, files and station; the chair records a
stack's hand count, withdraws a whole stack to rescan it and restores it; another campaign's
pages are refused by name, without review items, and ``scan`` exits 1.

Real scans (the simulator's) through the real ``kiemphieu`` processes, real SQLite.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
from station_cases import FAST, KIEMPHIEU, ROOT, kiemphieu, new_workspace, scan_folder

from pipeline.domain.campaign import load_campaign
from pipeline.domain.layout import build_layout
from pipeline.store.workspace import open_workspace
from simulator import VoteModel, simulate_stack, write_case

PASSWORD = "mat-khau-dai-du-12"
OTHER = ROOT / "samples" / "seed-001-hdnd-cantho.yaml"


def _run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([KIEMPHIEU, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "KIEMPHIEU_PASSWORD": PASSWORD})
    assert "Traceback" not in proc.stderr, proc.stderr
    assert (proc.returncode == 0) == ok, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def _tally(ws: Path) -> dict:
    return json.loads(kiemphieu("tally", str(ws), "--json").stdout)


def _accounts(ws: Path) -> None:
    for name, role in (("chu", "chair"), ("lan", "reviewer")):
        proc = subprocess.run([KIEMPHIEU, "user", "add", name, "--role", role, "--ws", str(ws),
                               "--password-stdin"], input=PASSWORD + "\n", capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stderr


def test_each_scan_is_a_stack_the_chair_counts_withdraws_and_restores(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    _accounts(ws)
    first = scan_folder(tmp_path / "a", 4, seed=3, formats=("png",))  # 4 ballots and a memo
    second = scan_folder(tmp_path / "b", 3, seed=4, formats=("pdf-jpeg",))
    kiemphieu("scan", str(ws), str(first), "--station", "may-quet-1")
    kiemphieu("scan", str(ws), str(second))
    kiemphieu("scan", str(ws), str(second))  # the same files again: a stack of sightings only
    before = _tally(ws)
    stacks = before["stacks"]
    assert [s["stack"] for s in stacks] == [1, 2, 3]
    assert stacks[0]["station"] == "may-quet-1" and stacks[0]["kind"] == "scan"
    assert stacks[0]["sources"] and all(str(first) in s for s in stacks[0]["sources"])
    assert stacks[0]["pages_accepted"] == {"1": 4} and stacks[0]["by_status"]["rejected"] == 1
    assert stacks[1]["pages_accepted"] == {"1": 3} and stacks[1]["pages"] == 4
    assert stacks[2]["pages"] == 0 and stacks[2]["seen"] == stacks[1]["seen"] == 4
    assert all(s["finished_at"] and not s["withdrawn"] for s in stacks)
    assert before["ballots"]["collected"] == 7
    # every page of the store belongs to the stack that stored it
    store = open_workspace(ws).store
    assert sorted({store.page(p["id"])["stack_id"] for p in store.all_pages()}) == [1, 2]

    # the hand count of a stack, compared with its accepted pages
    assert "matches" in _run("stack", str(ws), "count", "1", "4", "--as", "chu").stdout
    off = _run("stack", str(ws), "count", "2", "5", "--as", "chu", ok=False)
    assert "DOES NOT MATCH" in off.stdout
    assert _tally(ws)["stacks"][1]["hand_count"] == 5 and _tally(ws)["stacks"][1]["matches"] is False
    assert "only the chair" in _run("stack", str(ws), "count", "2", "3", "--as", "lan",
                                    ok=False).stderr

    # withdrawing the first stack: its ballots leave the count, its memo's item waits no more
    assert "2 open" in _run("review", str(ws)).stdout  # a memo in each stack
    assert "say why" in _run("stack", str(ws), "withdraw", "1", "--reason", " ", "--as", "chu",
                             ok=False).stderr
    _run("stack", str(ws), "withdraw", "1", "--reason", "quét lệch, quét lại", "--as", "chu")
    out = _tally(ws)
    assert out["ballots"]["collected"] == 3 and out["ballots"]["withdrawn"] == 5
    assert out["stacks"][0]["withdrawn"] and out["stacks"][0]["withdraw_reason"] == "quét lệch, quét lại"
    assert "1 open" in _run("review", str(ws)).stdout
    log = open_workspace(ws).store.page_decisions()
    assert len(log) == 5 and all(d["decision"] == "withdraw" and d["reason"].startswith("lô 1")
                                 for d in log)
    assert "withdrawn already" in _run("stack", str(ws), "withdraw", "1", "--reason", "lại",
                                       "--as", "chu", ok=False).stderr
    shown = _run("stack", str(ws), "show", "1").stdout
    assert "WITHDRAWN" in shown and "quét lệch" in shown

    # a page declared invalid in the stack comes back invalid when the stack is restored
    sheet = next(p["id"] for p in open_workspace(ws).store.all_pages()
                 if p["status"] == "accepted" and str(second) in p["source"])
    _run("page", str(ws), str(sheet), "invalid", "--reason", "không có dấu", "--as", "chu")
    _run("stack", str(ws), "withdraw", "2", "--reason", "nhầm lô", "--as", "chu")
    assert _tally(ws)["ballots"]["collected"] == 0
    _run("stack", str(ws), "restore", "2", "--reason", "đúng lô", "--as", "chu")
    _run("stack", str(ws), "restore", "1", "--reason", "ảnh đủ rõ", "--as", "chu")
    after = _tally(ws)
    assert after["ballots"]["collected"] == 7 and after["ballots"]["withdrawn"] == 0
    assert after["ballots"]["invalid_ballots"] == 1
    assert open_workspace(ws).store.page_decision(sheet) == "invalid"
    assert "not withdrawn" in _run("stack", str(ws), "restore", "1", "--reason", "x",
                                   "--as", "chu", ok=False).stderr
    assert "no stack 9" in _run("stack", str(ws), "show", "9", ok=False).stderr


def test_another_campaigns_pages_are_refused_by_name_without_review_items(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    other = load_campaign(OTHER)
    stack = simulate_stack(other, build_layout(other), 3, np.random.default_rng(5), profile=FAST,
                           vote_model=VoteModel())
    write_case(tmp_path / "other", stack, ["pdf-jpeg"])
    ours = scan_folder(tmp_path / "ours", 2, seed=6, formats=("png",))
    jsonl = tmp_path / "scan.jsonl"
    proc = kiemphieu("scan", str(ws), str(tmp_path / "other"), str(ours), "--jsonl", str(jsonl),
                     check=False)
    assert proc.returncode == 1
    assert "3 page(s) refused and not counted" in proc.stderr
    assert "another campaign" in proc.stderr and other.id in proc.stderr
    lines = [json.loads(line) for line in jsonl.read_text("utf-8").splitlines()]
    foreign = [x for x in lines if x["reasons"] and x["reasons"][0]["code"] == "other_campaign"]
    assert len(foreign) == 3 and all(x["status"] == "rejected" for x in foreign)
    # our own pages are stored and counted; nothing waits for a person about the others
    tally = _tally(ws)
    assert tally["ballots"]["accepted"] == 2 and tally["pending_review"] == 0
    listing = _run("review", str(ws)).stdout
    assert "1 open" in listing and "another campaign" not in listing  # our memo only
    # in Vietnamese, by name
    vi = subprocess.run([KIEMPHIEU, "--lang", "vi", "scan", str(ws), str(tmp_path / "other")],
                        capture_output=True, text=True, timeout=300)
    assert vi.returncode == 1 and "phiếu của đợt lấy phiếu khác" in vi.stderr
