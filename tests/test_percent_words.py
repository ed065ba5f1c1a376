"""A percentage a Vietnamese reader sees is written as the documents write it: "85,23 %".

The documents write "chiếm 97,50 % tổng số phiếu thu về": a decimal comma, a
space, the sign. The web station (the dashboard's summary, the hall), the
follow-up list of ``kiemphieu check --results`` and the scan problems worded
from the catalogs (``{ink:.2%}``) write it so too, through one helper
(`pipeline.domain.wording.percent`). English keeps "85.23%"; the ``kiemphieu
tally`` table keeps its compact "70,59%" (its columns are 7 characters wide).
"""

from __future__ import annotations

import re
from pathlib import Path

from certified_case import run
from fastapi.testclient import TestClient
from review_cases import add_accounts, login, synthetic_workspace
from test_forms import results_file
from test_wording import _visible

from omr.reasons import BLANK_SHEET, NO_MARKS
from pipeline.domain.wording import percent, words
from pipeline.web.app import create_app

HOST = ("testserver",)
#: a Vietnamese percentage glued to its sign ("85,23%"), or with a decimal point
GLUED = re.compile(r"\d%|\d\.\d+ ?%")
SPACED = re.compile(r"\b\d{1,3},\d\d %")


def test_the_helper_writes_each_language_its_way() -> None:
    assert percent(85.234) == "85,23 %" and percent(100.0, "vi") == "100,00 %"
    assert percent(53.3333, "vi", 1) == "53,3 %" and percent(7.0, "vi", 0) == "7 %"
    assert percent(85.234, "en") == "85.23%"


def test_scan_problems_from_the_catalogs_are_spaced_in_vietnamese() -> None:
    blank = BLANK_SHEET(ink=0.0035)
    assert "(mực chiếm 0,35 % trang)" in words(blank, "vi"), words(blank, "vi")
    assert "(0.35% of the page)" in words(blank, "en"), words(blank, "en")
    foreign = words(NO_MARKS(ink=0.123, foreign=None), "vi")
    assert "(mực chiếm 12,3 % trang)" in foreign and not GLUED.search(foreign), foreign


def test_the_follow_up_list_is_spaced(tmp_path: Path) -> None:
    pkg = results_file(tmp_path, "pkg", "nq96-2023", (15, 16, 19, 20))
    text = run("--lang", "vi", "check", "--results", str(pkg / "tally.json")).stdout
    assert "16/30 phiếu tín nhiệm thấp (53,33 %)" in text, text
    assert "19/30 phiếu tín nhiệm thấp (63,33 %)" in text, text
    assert not GLUED.search(text), text


def test_the_station_and_the_hall_are_spaced(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=3, review_rows=0)
    add_accounts(ws, {"chu": "chair"})
    client = TestClient(create_app(ws.path, allowed_hosts=HOST))
    csrf = login(client, "chu")
    summary = _visible(client.get("/dashboard?fragment=1").text)
    assert SPACED.search(summary) and not GLUED.search(summary), summary
    client.post("/chair/declare", data={"csrf": csrf, "issued": "3", "collected": "3",
                                        "head": "Nguyễn Thị Hoa", "note": "Trang 2 đếm tay"})
    client.post("/chair/certify", data={"csrf": csrf})
    assert client.post("/chair/hall", data={"csrf": csrf, "open": "1"},
                       follow_redirects=False).status_code == 303
    hall = _visible(TestClient(client.app).get("/hall").text)
    assert "100,00 %" in hall and not GLUED.search(hall), hall
