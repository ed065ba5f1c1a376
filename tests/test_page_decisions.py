"""The chair's decisions on a whole page, through the real CLI (docs/contract.md).

A stack of ballots is scanned; two of its sheets are scanned again as other
files (JPEG instead of the scanner's own format: other bytes, the same sheet),
held as probably the same sheets, and taken by the chair for other ballots, so
every person is counted too often. Certification refuses that count, whatever
the committee's note; the chair withdraws the extra pages, declares one sheet an
invalid ballot, restores a decision, and certifies; ``retally`` re-counts the same.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from station_cases import FAST, KIEMPHIEU, SAMPLE, kiemphieu, new_workspace

from pipeline.domain.campaign import load_campaign
from pipeline.domain.committee import Person
from pipeline.domain.layout import build_layout
from pipeline.store.workspace import open_workspace
from pipeline.workflow.review import queue_for
from simulator import VoteMix, VoteModel, simulate_stack, write_case

BALLOTS = 10
PASSWORD = "mat-khau-chu-tich"


def _as(name: str) -> dict[str, str]:
    return {**os.environ, "KIEMPHIEU_PASSWORD": PASSWORD}


def run(*args: str, check: bool = True):
    import subprocess
    proc = subprocess.run([KIEMPHIEU, *args], capture_output=True, text=True, timeout=600,
                          env=_as("chu_tich"))
    assert "Traceback" not in proc.stderr, proc.stderr
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def _tally(ws: Path) -> dict:
    return json.loads(kiemphieu("tally", str(ws), "--json").stdout)


@pytest.fixture(scope="module")
def counted_twice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int]]:
    """A workspace of 10 ballots, two of whose sheets are scanned a second time as JPEG.

    Returns the workspace and the stored page numbers of the two second scans."""
    root = tmp_path_factory.mktemp("pages")
    ws = new_workspace(root / "ws")
    campaign = load_campaign(SAMPLE)
    stack = simulate_stack(campaign, build_layout(campaign), BALLOTS, np.random.default_rng(5),
                           profile=FAST, vote_model=VoteModel(mix=VoteMix(review=0.1)), memos=1)
    scans = root / "scans"
    write_case(scans, stack, ["png"])
    (scans / "truth.json").unlink()
    first = root / "first.jsonl"
    kiemphieu("scan", str(ws), str(scans), "--jsonl", str(first))
    ballots = [Path(r["source"]) for r in map(json.loads, first.read_text().splitlines())
               if r["status"] == "accepted"]
    again = root / "again"
    again.mkdir()
    for n, png in enumerate(ballots[:2]):
        img = cv2.imread(str(png))
        cv2.imwrite(str(again / f"rescan-{n}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 80])
    lines = root / "again.jsonl"
    kiemphieu("scan", str(ws), str(again), "--jsonl", str(lines))
    pages = [json.loads(x)["page"] for x in lines.read_text().splitlines()]
    assert len(pages) == 2
    # the rescans are held as probably the same sheets; the chair takes them for other
    # ballots (a mistake the reconciliation must still catch), so they are counted
    queue = queue_for(open_workspace(ws))
    held = [i for i in queue.items(("open",)) if i.kind == "same"]
    assert sorted(i.page_id for i in held) == sorted(pages)
    for item in held:
        queue.decide(Person("chu_tich", "chair"), item.id, "different")
    for name, role in (("chu_tich", "chair"), ("lan", "reviewer")):
        import subprocess
        subprocess.run([KIEMPHIEU, "user", "add", name, "--role", role, "--ws", str(ws),
                        "--password-stdin"], input=PASSWORD + "\n", text=True, check=True,
                       capture_output=True)
    return ws, pages


def test_a_count_with_more_votes_than_ballots_is_never_certified(
        counted_twice: tuple[Path, list[int]]) -> None:
    ws, _ = counted_twice
    before = _tally(ws)
    # the memo is rejected; 12 ballot pages accepted: the 10 sheets, two of them twice
    assert before["ballots"]["accepted"] == BALLOTS + 2
    kiemphieu("declare", str(ws), "--issued", str(BALLOTS), "--collected", str(BALLOTS),
              "--head", "Nguyễn Văn Trưởng", "--note", "ok")
    refused = kiemphieu("certify", str(ws), check=False)
    assert refused.returncode == 1
    assert "counted rows but only 10 ballots were collected" in refused.stderr
    assert "12 accepted copies but only 10 ballots were collected" in refused.stderr
    assert "withdraw the extra pages" in refused.stderr
    assert not _tally(ws)["certified"]


def test_only_the_chair_decides_a_page_and_says_why(counted_twice: tuple[Path, list[int]]) -> None:
    ws, (first, _) = counted_twice
    import subprocess
    other = subprocess.run([KIEMPHIEU, "page", str(ws), str(first), "withdraw", "--reason",
                            "quét hai lần", "--as", "lan"], capture_output=True, text=True,
                           env=_as("lan"))
    assert other.returncode == 1 and "only the chair" in other.stderr
    blank = run("page", str(ws), str(first), "withdraw", "--reason", "  ", "--as", "chu_tich",
                check=False)
    assert blank.returncode == 1 and "say why" in blank.stderr
    missing = run("page", str(ws), "99999", "withdraw", "--reason", "x", "--as", "chu_tich",
                  check=False)
    assert missing.returncode == 1 and "no page 99999" in missing.stderr
    nothing = run("page", str(ws), str(first), "restore", "--reason", "x", "--as", "chu_tich",
                  check=False)
    assert nothing.returncode == 1 and "no decision to take back" in nothing.stderr


def test_withdraw_invalid_restore_and_certify(counted_twice: tuple[Path, list[int]]) -> None:
    ws, (first, second) = counted_twice
    assert any(i.kind == "row" for i in queue_for(open_workspace(ws)).items(("open",)))
    before = _tally(ws)
    for page in (first, second):
        run("page", str(ws), str(page), "withdraw", "--reason", "tờ phiếu quét hai lần",
            "--as", "chu_tich")
    after = _tally(ws)
    assert after["ballots"]["accepted"] == BALLOTS and after["ballots"]["withdrawn"] == 2
    for b, a in zip(before["candidates"], after["candidates"], strict=True):
        assert sum(a["counts"].values()) + a["pending"] == BALLOTS
        assert sum(b["counts"].values()) + b["pending"] == BALLOTS + 2
    again = run("page", str(ws), str(first), "withdraw", "--reason", "x", "--as", "chu_tich",
                check=False)
    assert again.returncode == 1 and "already withdrawn" in again.stderr

    # one sheet is not the issued form: an invalid ballot, still a ballot collected
    store = open_workspace(ws).store
    waiting = {i.page_id for i in queue_for(open_workspace(ws)).items(("open",)) if i.kind == "row"}
    candidates = [p["id"] for p in store.all_pages()
                  if p["status"] == "accepted" and p["id"] not in (first, second)]
    # a sheet with a row waiting for review, if the stack has one: the row is invalid now
    sheet = next((p for p in candidates if p in waiting), candidates[0])
    run("page", str(ws), str(sheet), "invalid", "--reason", "không có dấu của Hội đồng",
        "--as", "chu_tich")
    invalid = _tally(ws)
    assert invalid["ballots"]["invalid_ballots"] == 1
    assert invalid["ballots"]["collected"] == BALLOTS and invalid["base"] == BALLOTS
    rows = {r.candidate: r for r in store.page_rows(sheet)}
    for a, i in zip(after["candidates"], invalid["candidates"], strict=True):
        row = rows[i["candidate"]]
        if row.outcome in ("blank", "overvote"):
            assert i["counts"] == a["counts"]  # it was invalid for that person already
        elif row.outcome == "review":
            assert i["pending"] == a["pending"] - 1 and i["counts"]["invalid"] == a["counts"]["invalid"] + 1
        else:
            assert i["counts"]["invalid"] == a["counts"]["invalid"] + 1
            assert i["counts"][row.level] == a["counts"][row.level] - 1
    shown = kiemphieu("page", str(ws), str(sheet)).stdout
    assert "invalid ballot" in shown.lower() and "không có dấu của Hội đồng" in shown and "chu_tich" in shown

    run("page", str(ws), str(sheet), "restore", "--reason", "nhầm: phiếu có dấu", "--as", "chu_tich")
    assert _tally(ws)["candidates"] == after["candidates"]
    run("page", str(ws), str(sheet), "invalid", "--reason", "không có dấu của Hội đồng",
        "--as", "chu_tich")
    log = open_workspace(ws).store.page_decisions()
    assert [d["decision"] for d in log] == ["withdraw", "withdraw", "invalid", "restore", "invalid"]

    # the rest of the review is the committee's: resolve every open item, then certify
    workspace = open_workspace(ws)
    queue = queue_for(workspace)
    chair = Person("chu_tich", "chair")
    for item in queue.items(("open", "escalated")):
        if workspace.store.page_decision(item.page_id):
            continue  # settled by the chair's decision on its page: waits for nobody
        value = "medium" if item.kind == "row" else \
            "rejected" if item.page_status == "rejected" else "accepted"
        queue.decide(chair, item.id, value, "đã xem phiếu giấy")
    assert queue.counts()["open"] == 0
    assert sheet in waiting and queue.counts()["settled"] >= 1  # its items wait for nobody
    # declared here in full: the test before may have run in another process (pytest-xdist)
    kiemphieu("declare", str(ws), "--issued", str(BALLOTS), "--collected", str(BALLOTS),
              "--head", "Nguyễn Văn Trưởng", "--note", "")
    kiemphieu("certify", str(ws))
    locked = run("page", str(ws), str(sheet), "restore", "--reason", "x", "--as", "chu_tich",
                 check=False)
    assert locked.returncode == 1 and "certified" in locked.stderr
    certified = _tally(ws)
    assert certified["ballots"]["invalid_ballots"] == 1 and certified["ballots"]["withdrawn"] == 2
    assert "identical" in kiemphieu("retally", str(ws)).stdout
    package = ws.parent / "package"
    kiemphieu("export", str(ws), "--out", str(package))
    pages = json.loads((package / "tally.json").read_text("utf-8"))["pages"]
    assert sorted(p["decision"] for p in pages if p["decision"]) == ["invalid", "withdraw", "withdraw"]
    assert "identical" in kiemphieu("retally", str(package)).stdout
