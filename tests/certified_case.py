"""Certified workspaces made the way a committee makes them, through the real CLI.

A campaign is created and printed with ``kiemphieu``, its ballots marked
and scanned by the simulator (`pipeline.simulate`), scanned in with
``kiemphieu scan``; the committee then declares its count and certifies.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.domain.campaign import load_campaign
from pipeline.domain.layout import build_layout
from simulator import MarkMix, ScanProfile, VoteModel, simulate_stack, write_case

KIEMPHIEU = str(Path(sys.executable).with_name("kiemphieu"))
SAMPLES = Path(__file__).resolve().parents[1] / "samples"

CLEAR = MarkMix(
    shapes=(("x", 0.5), ("tick", 0.3), ("fill", 0.1), ("slash", 0.1)),
    pens=(("blue", 0.5), ("black", 0.4), ("red", 0.1)),
    width_mm=(0.6, 1.0),
)

HANOI = """\
id: hn-hdnd-2023
title: Phiếu lấy phiếu tín nhiệm
subtitle: đối với người giữ chức vụ do Hội đồng nhân dân thành phố bầu
body: Hội đồng nhân dân thành phố Hà Nội khóa XVI, nhiệm kỳ 2021-2026
place: Hà Nội
session_date: 2023-12-07
rules: nq96-2023
electorate: 95
candidates:
  - {name: Trần Sỹ Thanh, position: Chủ tịch UBND thành phố}
  - {name: Người Thứ Hai, position: Phó Chủ tịch UBND thành phố}
  - {name: Người Thứ Ba, position: Phó Chủ tịch UBND thành phố}
  - {name: Người Thứ Tư, position: Giám đốc Sở Nội vụ}
  - {name: Người Thứ Năm, position: Giám đốc Sở Tài chính}
"""
# 88 ballots: the published 75 / 8 / 4 (one ballot invalid for him), then
# "tín nhiệm thấp" at the edges of 1/2 and 2/3 of 88: 44, 45, 58, 59.
HANOI_VOTES = {1: {"high": 75, "medium": 8, "low": 4, "blank": 1}}
HANOI_LOWS = (44, 45, 58, 59)
for _stt, _low in enumerate(HANOI_LOWS, start=2):
    HANOI_VOTES[_stt] = {"low": _low, "medium": 88 - _low - 1, "overvote": 1}

COMMITTEE = ("--head", "Nguyễn Thị Trưởng Ban", "--member", "Lê Văn Thành Viên|Thành viên",
             "--member", "Phạm Thị Thư Ký|Thư ký")


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([KIEMPHIEU, *args], capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def scanned_workspace(tmp: Path, campaign_file: Path, ballots: int, *, seed: int = 1,
                      exact: dict | None = None, dpi: int = 150) -> Path:
    """A workspace with ``ballots`` marked ballots scanned in; nothing declared yet."""
    campaign = load_campaign(campaign_file)
    ws = tmp / "ws"
    run("new", str(campaign_file), "--dir", str(ws))
    one = tmp / "one.pdf"
    run("print", str(ws), "--copies", "1", "--out", str(one))
    stack = simulate_stack(
        campaign, build_layout(campaign), ballots, np.random.default_rng(seed),
        profile=ScanProfile(dpi=dpi, quarter_turns=(0, 2)),
        vote_model=VoteModel(exact=exact, marks=CLEAR) if exact else VoteModel(marks=CLEAR),
        pdf_bytes=one.read_bytes(),
    )
    scans = tmp / "scans"
    truth = write_case(scans, stack, ["pdf-jpeg"])
    truth_path = tmp / "truth.json"
    truth.rename(truth_path)
    run("scan", str(ws), str(scans), "--workers", "2")
    resolve_by_truth(ws, scans, truth_path)
    return ws


def resolve_by_truth(ws_path: Path, scans: Path, truth_path: Path) -> int:
    """Decide every open review item as the voter marked it (the chair, through the review queue)."""
    from pipeline.domain.committee import Person
    from pipeline.store.schema import page_table
    from pipeline.store.workspace import open_workspace
    from pipeline.workflow.review import queue_for
    from simulator import read_truth

    ws = open_workspace(ws_path)
    truth = read_truth(truth_path)
    queue = queue_for(ws)
    chair = Person("chu-toa", "chair")
    decided = 0
    for item in queue.items(["open", "escalated"]):
        with ws.store.engine.connect() as conn:
            source, index = conn.execute(
                page_table.select().with_only_columns(page_table.c.source, page_table.c.page_index)
                .where(page_table.c.id == item.page_id)).one()
        page = truth[(Path(source).relative_to(scans).as_posix(), index)]
        if item.kind == "page":
            queue.decide(chair, item.id, "accepted" if page["status"] == "accepted" else "rejected",
                         "đối chiếu với phiếu giấy")
        else:
            row = next(r for r in page["rows"] if r["candidate"] == item.candidate)
            if row["outcome"] == "vote":
                queue.decide(chair, item.id, row["level"])
            else:
                queue.decide(chair, item.id, "invalid", "không đánh dấu hoặc đánh dấu nhiều ô")
        decided += 1
    return decided


def certified_package(tmp: Path, campaign_file: Path, ballots: int, **kw) -> tuple[Path, Path]:
    """Scan, declare a matching count, certify and export: (workspace, package)."""
    ws = scanned_workspace(tmp, campaign_file, ballots, **kw)
    run("declare", str(ws), "--issued", str(ballots), "--collected", str(ballots), *COMMITTEE)
    run("certify", str(ws))
    pkg = tmp / "pkg"
    run("export", str(ws), "--out", str(pkg))
    return ws, pkg


@dataclass
class HanoiCase:
    """Hà Nội, December 2023: 88 ballots scanned, declared, certified, exported.

    ``steps`` keeps what each command said on the way, for the tests to read.
    """

    ws: Path
    pkg: Path
    steps: dict[str, subprocess.CompletedProcess[str]]


_CACHE: dict[str, HanoiCase] = {}


def hanoi_case(tmp_path_factory) -> HanoiCase:
    """Built once per test session (about half a minute), shared by the modules that use it."""
    if "hanoi" in _CACHE:
        return _CACHE["hanoi"]
    tmp = tmp_path_factory.mktemp("hanoi")
    campaign_file = tmp / "hanoi.yaml"
    campaign_file.write_text(HANOI, encoding="utf-8")
    ws = scanned_workspace(tmp, campaign_file, 88, exact=HANOI_VOTES)
    steps = {}
    w = str(ws)
    steps["certify_undeclared"] = run("certify", w, check=False)
    steps["declare_mismatch"] = run("declare", w, "--issued", "90", "--collected", "89", *COMMITTEE)
    steps["certify_mismatch"] = run("certify", w, check=False)
    steps["declare_match"] = run("declare", w, "--collected", "88")
    steps["certify"] = run("certify", w)
    steps["certify_again"] = run("certify", w, check=False)
    steps["scan_after"] = run("scan", w, str(tmp / "scans"), check=False)
    steps["declare_after"] = run("declare", w, "--collected", "87", check=False)
    steps["tally_after"] = run("tally", w, "--json")
    pkg = tmp / "pkg"
    steps["export"] = run("export", w, "--out", str(pkg))
    _CACHE["hanoi"] = HanoiCase(ws, pkg, steps)
    return _CACHE["hanoi"]
