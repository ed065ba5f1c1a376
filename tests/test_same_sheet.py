"""The same sheet seen twice, through the real CLI: rescans and photocopies are held, ballots
marked alike by different hands are all counted.

Twelve ballots are marked by twelve simulated voters, eight all "high" and four with one
other pattern, each with their own hand, and scanned at 300 dpi. Four of the sheets are
then scanned again (150 dpi colour JPEG, 200 dpi 1-bit TIFF, 300 dpi grey PDF turned
180°, 200 dpi grey PNG skewed) and two are photocopied (darker, blurred, shifted, scaled)
and the copies scanned: each of the six is held as probably the same sheet as its
original, and not counted until the chair decides.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from review_cases import add_accounts, login
from station_cases import CHAIR_PASSWORD, KIEMPHIEU, SAMPLE, as_chair, kiemphieu, new_workspace

from omr.likeness import SAME_SHEET, SheetPrint, likeness
from pipeline.domain.campaign import load_campaign
from pipeline.domain.layout import build_layout
from pipeline.store.prints import bucket
from pipeline.store.workspace import open_workspace
from pipeline.web.app import create_app
from simulator import BITONAL, CLEAN, COLOUR_150, OFFICE, VoteModel, simulate_stack, write_stack
from simulator.copier import photocopy, rescan

ALL_HIGH = 8
PATTERN = 4
PASSWORD = CHAIR_PASSWORD
run = as_chair


def tally(ws: Path) -> dict:
    return json.loads(kiemphieu("tally", str(ws), "--json").stdout)


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def seen_twice(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("same")
    ws = new_workspace(root / "ws")
    campaign = load_campaign(SAMPLE)
    layout = build_layout(campaign)
    stts = [c.stt for c in campaign.candidates]
    alike = simulate_stack(campaign, layout, ALL_HIGH, np.random.default_rng(11), profile=CLEAN,
                           vote_model=VoteModel(exact={s: {"high": ALL_HIGH} for s in stts}))
    pattern = {s: {"low" if s == 1 else "medium" if s == 2 else "high": PATTERN} for s in stts}
    patterned = simulate_stack(campaign, layout, PATTERN, np.random.default_rng(12),
                               profile=CLEAN, vote_model=VoteModel(exact=pattern))
    first = root / "first"
    first.mkdir()
    sheets = []  # (stack, page index) of every ballot, in scan order
    for name, stack in (("alike", alike), ("pattern", patterned)):
        for i in range(len(stack)):
            write_stack([stack.images[i]], "png", first / f"{name}-{i:02d}.png", 300)
            sheets.append((stack, i))
    kiemphieu("scan", str(ws), str(first), "--jsonl", str(root / "first.jsonl"))
    stored = {Path(r["source"]).name: r["page"] for r in lines(root / "first.jsonl")}

    again = root / "again"
    again.mkdir()
    upright = [stack.images.upright(i) for stack, i in sheets]
    rng = np.random.default_rng(99)
    copies = [
        ("alike-00", "rescan-colour-150.jpg", "jpeg", 150,
         rescan(upright[0], 300, COLOUR_150, rng)),
        ("alike-03", "rescan-1bit-200.tif", "tiff-g4", 200, rescan(upright[3], 300, BITONAL, rng)),
        ("alike-05", "rescan-turned-300.pdf", "pdf-jpeg", 300,
         rescan(upright[5], 300, replace(CLEAN, quarter_turns=(2,)), rng)),
        ("pattern-01", "rescan-skewed-200.png", "png", 200,
         rescan(upright[ALL_HIGH + 1], 300, replace(OFFICE, skew_deg=2.5, quarter_turns=(0,)),
                rng)),
        ("alike-06", "photocopy-grey.jpg", "jpeg", 200,
         rescan(photocopy(upright[6], 300, rng, darker=0.35, blur_mm=0.15, scale=0.975), 300,
                OFFICE, rng)),
        ("pattern-02", "photocopy-1bit.tif", "tiff-g4", 200,
         rescan(photocopy(upright[ALL_HIGH + 2], 300, rng, shift_mm=3.0, scale=1.01), 300,
                BITONAL, rng)),
    ]
    for _, name, fmt, dpi, image in copies:
        write_stack([image], fmt, again / name, dpi)
    kiemphieu("scan", str(ws), str(again), "--jsonl", str(root / "again.jsonl"))
    for name, role in (("chu_tich", "chair"), ("lan", "reviewer")):
        subprocess.run([KIEMPHIEU, "user", "add", name, "--role", role, "--ws", str(ws),
                        "--password-stdin"], input=PASSWORD + "\n", text=True, check=True,
                       capture_output=True)
    originals = {name: stored[f"{of}.png"] for of, name, *_ in copies}
    return {"ws": ws, "root": root, "first": lines(root / "first.jsonl"),
            "again": lines(root / "again.jsonl"), "originals": originals,
            "upright": upright[:2]}


def test_voters_who_marked_alike_are_all_counted(seen_twice: dict) -> None:
    first = seen_twice["first"]
    assert [r["status"] for r in first] == ["accepted"] * (ALL_HIGH + PATTERN)
    result = tally(seen_twice["ws"])
    assert result["ballots"]["accepted"] == ALL_HIGH + PATTERN
    by = {c["candidate"]: c for c in result["candidates"]}
    assert by[1]["counts"]["high"] == ALL_HIGH and by[1]["counts"]["low"] == PATTERN
    assert by[3]["counts"]["high"] == ALL_HIGH + PATTERN


def test_rescans_and_photocopies_are_held_not_counted(seen_twice: dict) -> None:
    again = seen_twice["again"]
    assert len(again) == 6
    for r in again:
        name = Path(r["source"]).name
        assert r["status"] == "duplicate", (name, r)
        (why,) = r["reasons"]
        assert why["code"] == "same_sheet"
        assert why["params"]["page"] == seen_twice["originals"][name], name
        assert why["params"]["percent"] >= round(100 * SAME_SHEET)
        assert "probably the same sheet as page" in r["reason"]
    result = tally(seen_twice["ws"])
    assert result["ballots"]["accepted"] == ALL_HIGH + PATTERN  # none counted twice
    assert result["ballots"]["held"] == 6
    assert result["ballots"]["collected"] == ALL_HIGH + PATTERN
    for c in result["candidates"]:
        assert sum(c["counts"].values()) == ALL_HIGH + PATTERN
        assert c["pending"] == 6  # every row of a held page waits
    assert result["pending_review"] == 6 * len(result["candidates"])


def test_prints_of_different_hands_are_far_apart(seen_twice: dict) -> None:
    """The stored prints themselves: eight all-"high" ballots, none alike enough."""
    ws = open_workspace(seen_twice["ws"])
    with ws.store.engine.connect() as conn:
        stored = bucket(conn, ws.campaign.id, 1)
    firsts = {r["page"] for r in seen_twice["first"]}
    prints = [SheetPrint.from_bytes(b) for i, b in stored if i in firsts]
    assert len(prints) == ALL_HIGH + PATTERN
    scores = [likeness(a, b) for n, a in enumerate(prints) for b in prints[n + 1:]]
    assert max(scores) < SAME_SHEET
    assert likeness(prints[0], prints[0]) == pytest.approx(1.0)
    # stopped once they cannot reach the threshold (as a scan compares): the same answer,
    # and the bound it stopped at is never under the full likeness
    for n, a in enumerate(prints):
        for b in prints[n + 1:]:
            full, quick = likeness(a, b), likeness(a, b, floor=SAME_SHEET)
            assert quick < SAME_SHEET and quick >= full - 1e-9
        assert likeness(a, a, floor=SAME_SHEET) == pytest.approx(1.0)
    assert SheetPrint.from_bytes(prints[0].to_bytes()).ink.tobytes() == prints[0].ink.tobytes()
    with pytest.raises(ValueError):
        SheetPrint.from_bytes(prints[0].to_bytes()[:-7])


def test_a_sheet_and_its_rescan_in_one_scan(seen_twice: dict, tmp_path: Path) -> None:
    """The page it is the same sheet as is stored with it, in the same transaction."""
    ws = new_workspace(tmp_path / "ws")
    inputs = tmp_path / "in"
    inputs.mkdir()
    sheet, other = seen_twice["upright"]
    rng = np.random.default_rng(7)
    write_stack([rescan(sheet, 300, OFFICE, rng)], "png", inputs / "a-sheet.png", 200)
    write_stack([rescan(other, 300, OFFICE, rng)], "png", inputs / "b-other.png", 200)
    write_stack([rescan(sheet, 300, BITONAL, rng)], "tiff-g4", inputs / "c-again.tif", 200)
    kiemphieu("scan", str(ws), str(inputs), "--jsonl", str(tmp_path / "scan.jsonl"))
    a, b, c = lines(tmp_path / "scan.jsonl")
    assert (a["status"], b["status"], c["status"]) == ("accepted", "accepted", "duplicate")
    assert c["reasons"][0]["params"]["page"] == a["page"]
    assert tally(ws)["ballots"] | {"pages_accepted": None} == {
        "issued": None, "collected": 2, "accepted": 2, "rejected": 0, "duplicate": 0,
        "blank_pages": 0, "invalid_ballots": 0, "withdrawn": 0, "held": 1,
        "pages_accepted": None}


def test_the_station_shows_the_chair_both_pages(seen_twice: dict) -> None:
    ws = seen_twice["ws"]
    add_accounts(open_workspace(ws), {"web_lan": "reviewer", "web_chu": "chair"})
    app = create_app(ws, allowed_hosts=("testserver",))
    reviewer, chair = TestClient(app), TestClient(app)
    rv, ch = login(reviewer, "web_lan"), login(chair, "web_chu")
    # a reviewer is never handed one: only the chair says whether two pages are one sheet
    given = reviewer.post("/api/queue/next", headers={"X-CSRF-Token": rv}).json()["item"]
    assert given is None or given["kind"] != "same"
    item = chair.post("/api/queue/next", headers={"X-CSRF-Token": ch}).json()["item"]
    assert item["kind"] == "same"
    assert [v["value"] for v in item["values"]] == ["same", "different"]
    assert item["same_as"] == seen_twice["originals"][Path(next(
        r["source"] for r in seen_twice["again"] if r["page"] == item["page_id"])).name]
    assert "Cùng một tờ" in chair.get("/queue").text
    picture = chair.get(item["crop"])
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
    pair = cv2.imdecode(np.frombuffer(picture.content, np.uint8), cv2.IMREAD_COLOR)
    assert pair.shape[1] > 1.3 * pair.shape[0]  # the page stored before, and this one
    refused = reviewer.post(f"/api/items/{item['id']}/decision", headers={"X-CSRF-Token": rv},
                            json={"value": "same"})
    assert refused.status_code in (403, 409)
    chair.post(f"/api/items/{item['id']}/release", headers={"X-CSRF-Token": ch})


def test_only_the_chair_decides_and_the_count_follows(seen_twice: dict) -> None:
    ws, root = seen_twice["ws"], seen_twice["root"]
    held = {r["page"]: r for r in seen_twice["again"]}
    listed = run("review", str(ws)).stdout
    items = {}
    for line in listed.splitlines():
        for page in held:
            if f"page {page} (probably the same sheet as page" in line:
                items[page] = int(line.split()[0])
    assert len(items) == 6, listed
    # the picture: the page stored before and this one, side by side
    page, item = next(iter(items.items()))
    shown = run("review", str(ws), "show", str(item), "--crop", str(root / "pair.jpg")).stdout
    assert "probably the same sheet" in shown
    pair = cv2.imread(str(root / "pair.jpg"))
    assert pair is not None and pair.shape[1] > 1.3 * pair.shape[0]  # two A4 pages abreast
    # certification waits for the chair's decisions
    kiemphieu("declare", str(ws), "--issued", str(ALL_HIGH + PATTERN), "--collected", str(ALL_HIGH + PATTERN),
              "--head", "Nguyễn Văn Trưởng")
    refused = run("certify", str(ws), check=False)
    assert refused.returncode == 1 and "6 review item(s) open" in refused.stderr
    # a reviewer may not decide; the chair may
    denied = run("review", str(ws), "resolve", str(item), "same", "--as", "lan", check=False)
    assert denied.returncode == 1 and "only the chair" in denied.stderr
    pages = list(items)
    for page in pages[:-1]:
        run("review", str(ws), "resolve", str(items[page]), "same", "--as", "chu_tich")
    run("review", str(ws), "resolve", str(items[pages[-1]]), "different", "--as", "chu_tich")
    result = tally(ws)
    assert result["ballots"]["held"] == 0
    assert result["ballots"]["withdrawn"] == 5  # the same sheets: out of the count
    assert result["ballots"]["accepted"] == ALL_HIGH + PATTERN + 1  # another ballot: counted
    assert result["pending_review"] == 0
    for c in result["candidates"]:
        assert sum(c["counts"].values()) == ALL_HIGH + PATTERN + 1
    # the decisions are on the record, and none is possible once the count is certified
    record = run("review", str(ws), "show", str(items[pages[0]])).stdout
    assert "chu_tich (Chair)" in record  # the role in words
    run("review", str(ws), "resolve", str(items[pages[-1]]), "same", "--as", "chu_tich")
    assert tally(ws)["ballots"]["accepted"] == ALL_HIGH + PATTERN
    run("certify", str(ws))
    late = run("review", str(ws), "resolve", str(items[pages[-1]]), "different", "--as",
               "chu_tich", check=False)
    assert late.returncode == 1 and "certified" in late.stderr
