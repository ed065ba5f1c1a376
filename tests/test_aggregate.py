"""The office above rolls up certified packages (seed 001): verified first, people matched.

Two units through the real CLI: the city council's poll of seed 001 (rules
nq85-2014, base = 52 delegates) and a department Party committee (qd96-2023)
that polls the director of Sở Nội vụ a second time. The roll-up keeps both
of his results; a package with one changed byte is refused by name.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from certified_case import SAMPLES, certified_package, run

PARTY = """\
id: dang-uy-so-noi-vu-2019
title: Phiếu lấy phiếu tín nhiệm
subtitle: đối với thành viên lãnh đạo cấp ủy
body: Đảng ủy Sở Nội vụ thành phố Cần Thơ
place: Cần Thơ
session_date: 2019-01-10
rules: qd96-2023
electorate: 9
candidates:
  - {name: Nguyễn Hữu Thành, position: "Giám đốc Sở Nội vụ, Ủy viên UBND thành phố"}
  - {name: Lâm Thị Thu, position: Phó Giám đốc Sở Nội vụ}
"""


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> tuple[Path, Path]:
    a = tmp_path_factory.mktemp("council")
    _, council = certified_package(a, SAMPLES / "seed-001-hdnd-cantho.yaml", 3, seed=11)
    b = tmp_path_factory.mktemp("party")
    party_file = b / "party.yaml"
    party_file.write_text(PARTY, encoding="utf-8")
    _, party = certified_package(b, party_file, 3, seed=12)
    return council, party


def test_roll_up_keeps_both_results_of_a_person_polled_in_two_places(packages, tmp_path: Path) -> None:
    out = tmp_path / "tong-hop"
    keys = [json.loads((p / "tally.json").read_text("utf-8"))["key_sha256"] for p in packages]
    proc = run("aggregate", *map(str, packages), "--out", str(out), "--body",
               "Sở Nội vụ thành phố Cần Thơ", "--place", "Cần Thơ",
               *(a for k in keys for a in ("--key", k)))
    assert "2 unit(s), 13 person(s), 1 polled in more than one place" in proc.stdout
    summary = json.loads((out / "tong-hop.json").read_text("utf-8"))
    thanh = [p for p in summary["people"] if p["name"] == "Nguyễn Hữu Thành"]
    assert len(thanh) == 1 and thanh[0]["places_count"] == 2
    bases = sorted(pl["base"] for pl in thanh[0]["places"])
    assert bases == [3, 52]  # qd96: ballots collected; nq85: the delegates
    assert {pl["rules"] for pl in thanh[0]["places"]} == {"nq85-2014", "qd96-2023"}

    from openpyxl import load_workbook

    sheet = load_workbook(out / "tong-hop.xlsx")["Tổng hợp"]
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[1] == "Nguyễn Hữu Thành"]
    assert len(rows) == 2

    pdf = pdfium.PdfDocument(str(out / "tong-hop.pdf"))
    text = " ".join(" ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))).split())
    for phrase in ("SỞ NỘI VỤ THÀNH PHỐ CẦN THƠ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                   "Nguyễn Hữu Thành", "Đảng ủy Sở Nội vụ thành phố Cần Thơ", "Lâm Thị Thu"):
        assert phrase in text, phrase


def test_a_tampered_package_is_refused_by_name(packages, tmp_path: Path) -> None:
    council, party = packages
    bad = tmp_path / "party-copy"
    shutil.copytree(party, bad)
    target = bad / "tally.json"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x20
    target.write_bytes(bytes(data))
    out = tmp_path / "out"
    proc = run("aggregate", str(council), str(bad), "--out", str(out), check=False)
    assert proc.returncode == 1
    assert str(bad) in proc.stderr and "tally.json: changed" in proc.stderr
    assert not out.exists()


def test_the_same_package_twice_is_refused(packages, tmp_path: Path) -> None:
    council, _ = packages
    proc = run("aggregate", str(council), str(council), "--out", str(tmp_path / "o"), check=False)
    assert proc.returncode == 1 and "give each unit once" in proc.stderr


def test_the_report_answers_who_crossed_and_sets_the_last_round_beside(packages,
                                                                       tmp_path: Path) -> None:
    """Units numbered once, the mixed rule sets named, the form's parts, and with
    --previous each person's last result beside this one."""
    council, party = packages
    out = tmp_path / "tong-hop"
    run("aggregate", str(council), str(party), "--out", str(out), "--body",
        "Sở Nội vụ thành phố Cần Thơ", "--place", "Cần Thơ", "--parent",
        "Ủy ban nhân dân thành phố Cần Thơ", "--to", "Ủy ban nhân dân thành phố",
        "--signer", "KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC|Trần Văn Ký", "--trust-on-first-use",
        "--previous", str(council))
    summary = json.loads((out / "tong-hop.json").read_text("utf-8"))
    council_doc = json.loads((council / "tally.json").read_text("utf-8"))
    for person in summary["people"]:
        for place in person["places"]:
            if place["campaign"] == council_doc["campaign"]:
                assert place["previous"]["counts"] == place["counts"]
            else:
                assert place["previous"] is None or place["previous"]["campaign"] == \
                    council_doc["campaign"]
    pdf = pdfium.PdfDocument(str(out / "tong-hop.pdf"))
    pages = [" ".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf))]
    first, text = pages[0], " ".join(pages)
    for phrase in ("ỦY BAN NHÂN DÂN THÀNH PHỐ CẦN THƠ", "/BC-", "Kính gửi: Ủy ban nhân dân thành phố.",
                   "I. NGƯỜI CÓ TRÊN 1/2 HOẶC TỪ 2/3 SỐ PHIẾU TÍN NHIỆM THẤP"):
        assert phrase in first, phrase
    for phrase in ("Lưu ý: các đơn vị lấy phiếu theo các quy định khác nhau",
                   "II. CÁC ĐƠN VỊ", "Lần trước", "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Trần Văn Ký",
                   "Nơi nhận:", "- Như trên;"):
        assert phrase in text, phrase
    # a unit is named once, in the units' table; the people's rows give its number
    assert text.count("Đảng ủy Sở Nội vụ thành phố Cần Thơ") == 1


GROUPED = """\
id: hdnd-ninhson-khoi-2023
title: Phiếu lấy phiếu tín nhiệm
subtitle: đối với người giữ chức vụ do Hội đồng nhân dân huyện bầu
body: Hội đồng nhân dân huyện Ninh Sơn khóa XII, nhiệm kỳ 2021-2026
place: Ninh Sơn
session_date: 2023-12-08
rules: nq96-2023
electorate: 35
groups:
  - {id: hdnd, name: Khối Hội đồng nhân dân, order: 2}
  - {id: ubnd, name: Khối Ủy ban nhân dân, order: 1}
candidates:
  - {name: Nguyễn Văn An, position: Chủ tịch HĐND huyện, group: hdnd}
  - {name: Võ Minh Trí, position: Chủ tịch UBND huyện, group: ubnd}
  - {name: Bùi Đức Thắng, position: Phó Chủ tịch UBND huyện, group: ubnd}
"""


def test_the_roll_up_shows_each_unit_by_group_and_the_follow_up_vote_apart(tmp_path: Path) -> None:
    """A grouped poll (its groups' order is not the ballot's) and a follow-up vote in which
    18 of 35 delegates vote "không tín nhiệm": the poll's people unit by unit in the groups'
    order, the vote in its own table with two levels, and its crosser on the first page."""
    poll_file = tmp_path / "poll.yaml"
    poll_file.write_text(GROUPED, encoding="utf-8")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, poll = certified_package(tmp_path / "a", poll_file, 3, seed=21)
    _, vote = certified_package(tmp_path / "b", SAMPLES / "bo-phieu-ninhson-2024.yaml", 18,
                                seed=22, exact={1: {"no_confidence": 18}})
    out = tmp_path / "tong-hop"
    proc = run("aggregate", str(poll), str(vote), "--out", str(out), "--body",
               "Sở Nội vụ tỉnh Ninh Thuận", "--trust-on-first-use")
    assert "2 unit(s), 4 person(s)" in proc.stdout  # Bùi Đức Thắng in both: one person
    summary = json.loads((out / "tong-hop.json").read_text("utf-8"))
    assert [u["kind"] for u in summary["units"]] == ["lay-phieu-tin-nhiem", "bo-phieu-tin-nhiem"]
    assert [p["name"] for p in summary["people"]] == ["Nguyễn Văn An", "Võ Minh Trí",
                                                      "Bùi Đức Thắng"]
    assert summary["people"][0]["places"][0]["group"]["name"] == "Khối Hội đồng nhân dân"
    voted = {p["name"]: p["places"][0] for p in summary["follow_up"]}
    assert set(voted) == {"Bùi Đức Thắng", "Trương Công Danh"}
    thang = voted["Bùi Đức Thắng"]
    assert thang["counts"]["no_confidence"] == 18 and thang["base"] == 35
    assert thang["consequence"] == "over_half_no_confidence" and thang["unit_number"] == 2
    assert "low" not in thang["counts"]

    pdf = pdfium.PdfDocument(str(out / "tong-hop.pdf"))
    pages = [" ".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf))]
    first, text = pages[0], " ".join(pages)
    assert ("I. NGƯỜI CÓ TRÊN 1/2 HOẶC TỪ 2/3 SỐ PHIẾU TÍN NHIỆM THẤP HOẶC CÓ QUÁ NỬA TỔNG SỐ "
            "ĐẠI BIỂU BỎ PHIẾU KHÔNG TÍN NHIỆM") in first
    assert "2. Bỏ phiếu tín nhiệm" in first and "Bùi Đức Thắng" in first
    assert "khoản 4 Điều 12 Nghị quyết số 96/2023/QH15" in first
    poll_part = text[text.index("III. KẾT QUẢ LẤY PHIẾU"):text.index("IV. KẾT QUẢ BỎ PHIẾU")]
    assert poll_part.index("I - KHỐI ỦY BAN NHÂN DÂN") < poll_part.index("Võ Minh Trí") \
        < poll_part.index("II - KHỐI HỘI ĐỒNG NHÂN DÂN") < poll_part.index("Nguyễn Văn An")
    assert "cũng tại đơn vị số 2" not in poll_part  # a vote is not a second poll
    vote_part = text[text.index("IV. KẾT QUẢ BỎ PHIẾU"):]
    assert "Không tín nhiệm" in vote_part and "Tín nhiệm thấp" not in vote_part
    assert "bỏ phiếu tín nhiệm" in text[text.index("II. CÁC ĐƠN VỊ"):]

    from openpyxl import load_workbook

    book = load_workbook(out / "tong-hop.xlsx")
    assert book.sheetnames == ["Tổng hợp", "Bỏ phiếu tín nhiệm", "Đơn vị"]
    rows = [r for r in book["Tổng hợp"].iter_rows(min_row=5, values_only=True) if r[1]]
    assert [(r[1], r[7]) for r in rows] == [("Võ Minh Trí", "Khối Ủy ban nhân dân"),
                                            ("Bùi Đức Thắng", "Khối Ủy ban nhân dân"),
                                            ("Nguyễn Văn An", "Khối Hội đồng nhân dân")]
    votes = [r for r in book["Bỏ phiếu tín nhiệm"].iter_rows(min_row=5, values_only=True) if r[1]]
    assert votes[0][1] == "Bùi Đức Thắng" and votes[0][12] == 18 and votes[0][13] == 51.43
    # every figure of the roll-up is the unit's tally.json, in the JSON, the sheet and the PDF
    mine = {c["name"]: c for c in json.loads((poll / "tally.json").read_text("utf-8"))["candidates"]}
    sheet_rows = {r[1]: r for r in rows}
    for person in summary["people"]:
        c, place = mine[person["name"]], person["places"][0]
        assert place["counts"] == c["counts"] and place["percent"] == c["percent"]
        levels = [x for lv in ("high", "medium", "low") for x in (c["counts"][lv], c["percent"][lv])]
        assert list(sheet_rows[person["name"]][10:16]) == levels
        figures = " ".join(f"{x:.2f}".replace(".", ",") if isinstance(x, float) else str(x)
                           for x in levels)
        assert f"{person['name']} {c['position']} {c['base']} {figures}" in poll_part
