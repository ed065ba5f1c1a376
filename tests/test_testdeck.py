"""The test deck: pre-marked MẪU THỬ ballots of the real campaign, their expected tally, the
check of their count in the test workspace, and their refusal by name in the real count.

The deck's PDF is scanned as it is written (``scan`` renders PDF pages), through the real
reader; the expected tally is worked out from the marks the deck drew, never read back.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp
from station_cases import KIEMPHIEU, ROOT, new_workspace

from pipeline.domain.layout import TEST_MARK, parse_code
from pipeline.store.workspace import open_workspace
from pipeline.workflow.testdeck import deck_marks

TWO_PAGES = ROOT / "samples" / "seed-002-hdnd-ninhson.yaml"


def _run(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([KIEMPHIEU, *args], capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    return proc


def test_a_test_deck_is_counted_as_expected_and_refused_in_the_real_count(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "ws", campaign=TWO_PAGES)
    deck = tmp_path / "mau-thu.pdf"
    made = _run("--lang", "vi", "testdeck", str(ws), "--out", str(deck), "--copies", "4")
    assert "4 phiếu thử đã đánh dấu sẵn (MẪU THỬ), 8 trang" in made.stdout
    expected = json.loads(deck.with_suffix(".json").read_text("utf-8"))
    campaign = open_workspace(ws).campaign
    marks = deck_marks([c.stt for c in campaign.candidates], 4)
    assert expected["ballots"] == 4 and expected["test"] is True
    for person in expected["candidates"]:
        levels = [m[person["candidate"]] for m in marks]
        assert person["counts"] == {lv: levels.count(lv) for lv in ("high", "medium", "low")} | \
            {"invalid": levels.count(None)}
    assert sum(p["counts"]["invalid"] for p in expected["candidates"]) > 0  # a blank row too

    # every page says MẪU THỬ in its code
    pdf = pdfium.PdfDocument(deck)
    codes = [zxingcpp.read_barcodes(pdf[i].render(scale=4, grayscale=True).to_pil())[0].text
             for i in range(len(pdf))]
    assert all(c.endswith(TEST_MARK) and parse_code(c).test for c in codes)
    assert [parse_code(c).page for c in codes] == [1, 2] * 4

    # scanned into the test workspace, its count is the expected one
    checked = _run("testdeck", str(ws), "--check", str(deck), "--json")
    result = json.loads(checked.stdout)
    assert result["ok"] and result["copies"] == 4 and result["rejected"] == 0
    assert all(line["ok"] for line in result["lines"])
    assert len(result["lines"]) == 1 + 4 * len(campaign.candidates)
    shown = _run("--lang", "vi", "testdeck", str(ws), "--check").stdout
    assert "Số phiếu: phải ra 4, đếm được 4: khớp" in shown and "mọi số liệu" in shown

    # a count that differs from the expected one fails, naming the figure
    sheet = ws / "mau-thu" / "expected.json"
    wrong = json.loads(sheet.read_text("utf-8"))
    wrong["candidates"][0]["counts"]["high"] += 1
    sheet.write_text(json.dumps(wrong), encoding="utf-8")
    failed = _run("--lang", "vi", "testdeck", str(ws), "--check", code=1)
    assert "(phải ra" in failed.stdout and "1 số liệu không khớp" in failed.stderr

    # scanned into the real count, every sheet is refused by name and nothing waits for review
    jsonl = tmp_path / "real.jsonl"
    refused = _run("--lang", "vi", "scan", str(ws), str(deck), "--jsonl", str(jsonl), code=1)
    assert "8 trang bị từ chối, không được tính" in refused.stderr
    assert "phiếu thử (MẪU THỬ)" in refused.stderr
    lines = [json.loads(x) for x in jsonl.read_text("utf-8").splitlines()]
    assert [x["reasons"][0]["code"] for x in lines] == ["test_ballot"] * 8
    assert all(x["status"] == "rejected" and x["reason"].startswith("test ballot (MẪU THỬ)")
               for x in lines)
    tally = json.loads(_run("tally", str(ws), "--json").stdout)
    assert tally["ballots"]["collected"] == 0 and tally["pending_review"] == 0
    assert "0 open" in _run("review", str(ws)).stdout

    # and the real ballot is refused in the test workspace
    ballots = tmp_path / "ballots.pdf"
    _run("print", str(ws), "--copies", "1", "--out", str(ballots))
    real = _run("scan", str(ws / "mau-thu"), str(ballots), "--jsonl", str(jsonl), code=1)
    assert "a real ballot" in real.stderr
    assert {json.loads(x)["reasons"][0]["code"] for x in jsonl.read_text("utf-8").splitlines()} \
        == {"real_ballot_in_test"}


def test_no_deck_yet_and_a_test_workspace_given_are_refused(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    none = _run("--lang", "vi", "testdeck", str(ws), "--check", code=1)
    assert "chưa có bộ phiếu thử" in none.stderr and "--out" in none.stderr
    assert _run("testdeck", str(ws), code=2).returncode == 2  # neither --out nor --check
    _run("testdeck", str(ws), "--out", str(tmp_path / "d.pdf"), "--copies", "1")
    inner = _run("testdeck", str(ws / "mau-thu"), "--out", str(tmp_path / "e.pdf"), code=1)
    assert "is a test workspace" in inner.stderr


def test_the_follow_up_votes_deck_on_two_levels_has_no_two_sheets_alike(tmp_path: Path) -> None:
    """Two people, two levels: the plain pattern repeats every other copy; a repeated copy
    would be one image scanned twice and counted once, so no copy repeats another."""
    marks = deck_marks([1, 2], 6, ("confidence", "no_confidence"))
    assert len({tuple(m.values()) for m in marks}) == 6
    ws = new_workspace(tmp_path / "ws", campaign=ROOT / "samples" / "bo-phieu-ninhson-2024.yaml")
    deck = tmp_path / "bp.pdf"
    _run("testdeck", str(ws), "--out", str(deck), "--copies", "6")
    result = json.loads(_run("testdeck", str(ws), "--check", str(deck), "--json").stdout)
    assert result["ok"] and result["lines"][0] == {
        "candidate": None, "name": "", "what": "ballots", "expected": 6, "counted": 6, "ok": True}
    assert {line["what"] for line in result["lines"][1:]} == {"confidence", "no_confidence",
                                                               "invalid"}
