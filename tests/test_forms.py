"""Groups, several ballot forms, and the follow-up confidence vote, through the real pipeline.

Ballots are printed from the campaign, marked and scanned by the simulator, read
with ``kiemphieu scan``, counted with ``kiemphieu tally --json``, declared,
certified and exported with the real command line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from certified_case import COMMITTEE, run

from pipeline.domain.campaign import load_campaign, parse_campaign
from pipeline.domain.errors import CampaignError
from pipeline.domain.layout import build_layout, encode_code
from simulator import MarkMix, ScanProfile, VoteModel, read_truth, simulate_stack, write_case

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
CLEAR = MarkMix(
    shapes=(("x", 0.5), ("tick", 0.3), ("fill", 0.1), ("slash", 0.1)),
    pens=(("blue", 0.5), ("black", 0.4), ("red", 0.1)),
    width_mm=(0.6, 1.0),
)


def tally(ws: Path) -> dict:
    return json.loads(run("tally", str(ws), "--json").stdout)


def scan_lines(ws: Path, scans: Path, jsonl: Path) -> list[dict]:
    run("scan", str(ws), str(scans), "--jsonl", str(jsonl), "--workers", "2")
    return [json.loads(line) for line in jsonl.read_text("utf-8").splitlines()]


def check_rows(lines: list[dict], truth_path: Path, scans: Path) -> None:
    """Every page read as its truth says: status, page (through all forms) and each row."""
    truth = read_truth(truth_path)
    for line in lines:
        want = truth[(Path(line["source"]).relative_to(scans).as_posix(), line["page_index"])]
        assert line["status"] == want["status"], (line["source"], line["reason"])
        if line["status"] == "accepted":
            assert line["ballot_page"] == want["ballot_page"]
            got = {r["candidate"]: (r["outcome"], r["level"]) for r in line["rows"]}
            assert got == {r["candidate"]: (r["outcome"], r["level"]) for r in want["rows"]}


# -- the campaign file -----------------------------------------------------------------------


def test_a_campaign_without_forms_is_one_form_whose_codes_are_as_before() -> None:
    campaign = load_campaign(SAMPLES / "seed-002-hdnd-ninhson.yaml")
    layout = build_layout(campaign)
    assert campaign.forms == () and campaign.groups == () and campaign.kind == "lay-phieu-tin-nhiem"
    (form,) = layout.forms
    assert form.id is None and form.fingerprint == layout.fingerprint
    assert list(form.pages()) == list(range(1, layout.page_count + 1))
    for p in range(1, layout.page_count + 1):  # the code a ballot printed before forms carried
        assert layout.code_text(p) == encode_code(campaign.id, layout.fingerprint, p,
                                                  layout.page_count)
    assert layout.to_json()["levels"] == ["high", "medium", "low"]
    # the fingerprint ballots printed before forms and kinds existed carry, made as it was made
    import hashlib

    from pipeline.domain.layout import load_template

    material = {"campaign": campaign.id, "template": load_template(campaign.layout),
                "pages": layout.page_count, "signature": campaign.rules.signature_allowed,
                "candidates": [[c.stt, c.name, c.position] for c in campaign.candidates]}
    blob = json.dumps(material, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    assert layout.fingerprint == hashlib.sha256(blob).hexdigest()[:12]


def test_the_national_assembly_sample_groups_44_people_on_three_forms() -> None:
    campaign = load_campaign(SAMPLES / "quoc-hoi-44.yaml")
    layout = build_layout(campaign)
    assert len(campaign.candidates) == 44
    assert [g.name for g in campaign.groups][:3] == ["Khối Nhà nước", "Khối Quốc hội",
                                                      "Khối Chính phủ"]
    assert sum(len(f.people) for f in campaign.forms) == 44
    assert len({f.paper for f in campaign.forms}) == len(campaign.forms) >= 3
    fingerprints = {f.fingerprint for f in layout.forms}
    assert len(fingerprints) == len(layout.forms)  # each form its own code
    for f in layout.forms:  # every page of a form names its form's fingerprint and page in it
        for k, p in enumerate(f.pages(), start=1):
            assert layout.code_text(p).endswith(f"|{f.fingerprint}|{k}/{f.page_count}")
            assert layout.page(p).form == f.id
    people = {c.stt: c for c in campaign.candidates}
    for f in campaign.forms:  # a form holds the people of its groups
        assert {people[s].form for s in f.people} == {f.id}


BASE = """\
id: forms-test
title: Phiếu lấy phiếu tín nhiệm
body: Hội đồng nhân dân huyện Thử khóa XII
session_date: 2023-12-08
rules: {rules}
electorate: 30
"""


@pytest.mark.parametrize(("extra", "message"), [
    ("groups:\n  - {id: a, name: Khối A}\ncandidates:\n  - {name: X Y, position: Z, group: b}\n",
     "'candidates[1].group' 'b' is not a group"),
    ("groups:\n  - {id: a, name: Khối A}\ncandidates:\n  - {name: X Y, position: Z}\n",
     "has no 'group'"),
    ("candidates:\n  - {name: X Y, position: Z, form: f}\n", "lists no 'forms:'"),
    ("forms:\n  - {id: f, title: T}\n  - {id: g, title: U}\n"
     "candidates:\n  - {name: X Y, position: Z, form: f}\n", "'g' has nobody on it"),
    ("forms:\n  - {id: f, title: T}\ncandidates:\n  - {name: X Y, position: Z}\n",
     "is on no form"),
    ("forms:\n  - {id: f, title: T}\n  - {id: f, title: U}\n"
     "candidates:\n  - {name: X Y, position: Z, form: f}\n", "'f' is given to two forms"),
    ("kind: bo-phieu\ncandidates:\n  - {name: X Y, position: Z}\n", "is not a kind of vote"),
])
def test_groups_and_forms_refused_with_the_key_and_line(extra: str, message: str) -> None:
    with pytest.raises(CampaignError, match="line") as err:
        parse_campaign(BASE.format(rules="nq96-2023") + extra, "c.yaml")
    assert message in str(err.value)


def test_the_follow_up_vote_is_refused_under_the_party_rules() -> None:
    text = BASE.format(rules="qd96-2023") + "kind: bo-phieu-tin-nhiem\ncandidates:\n" \
        "  - {name: X Y, position: Z}\n"
    with pytest.raises(CampaignError, match="nq96-2023 or nq85-2014"):
        parse_campaign(text, "c.yaml")


# -- several forms, through scan, tally, declare, certify and export --------------------------


def test_three_forms_each_read_and_counted_with_its_own_collected(tmp_path: Path) -> None:
    sample = SAMPLES / "quoc-hoi-44.yaml"
    campaign = load_campaign(sample)
    ws = tmp_path / "ws"
    run("new", str(sample), "--dir", str(ws))
    printed = run("print", str(ws), "--copies", "2", "--out", str(tmp_path / "b.pdf")).stdout
    for f in campaign.forms:  # a PDF a form, each for its paper
        assert (tmp_path / f"b-{f.id}.pdf").is_file() and f.paper in printed
    layout = build_layout(campaign)
    model = VoteModel(exact={8: {"low": 4, "medium": 1, "high": 1}}, marks=CLEAR)
    stack = simulate_stack(campaign, layout, 6, np.random.default_rng(44),
                           profile=ScanProfile(dpi=150, quarter_turns=(0, 2)), vote_model=model)
    scans = tmp_path / "scans"
    truth_path = write_case(scans, stack, ["png"])
    # one voter did not hand in form mau-1 (page 1): that form collected 5, the others 6
    truth = json.loads(truth_path.read_text("utf-8"))
    dropped = next(p for p in truth["pages"] if p["status"] == "accepted" and p["ballot_page"] == 1)
    (scans / dropped["source"]).unlink()
    truth["pages"].remove(dropped)
    truth_path.write_text(json.dumps(truth, ensure_ascii=False), "utf-8")

    lines = scan_lines(ws, scans, tmp_path / "scan.jsonl")
    check_rows(lines, truth_path, scans)
    result = tally(ws)
    forms = {f["id"]: f for f in result["forms"]}
    assert [f["id"] for f in result["forms"]] == [f.id for f in campaign.forms]
    assert forms["mau-1"]["collected"] == 5 and forms["mau-1"]["base"] == 5
    assert forms["mau-2"]["collected"] == forms["mau-3"]["collected"] == 6
    assert forms["mau-2"]["pages_accepted"] == {"2": 6, "3": 6}
    assert result["ballots"]["collected"] == 6  # the most any form collected
    assert [g["id"] for g in result["groups"]] == [g.id for g in campaign.groups]
    rows = [r for line in lines if line["status"] == "accepted" for r in line["rows"]]
    for c in result["candidates"]:
        mine = [r for r in rows if r["candidate"] == c["candidate"]]
        form = forms[c["form"]]
        assert c["candidate"] in form["candidates"] and c["base"] == form["base"]
        assert c["group"] == campaign.candidates[c["candidate"] - 1].group
        for lv in ("high", "medium", "low"):
            assert c["counts"][lv] == sum(r["level"] == lv for r in mine)
            assert c["percent"][lv] == round(100 * c["counts"][lv] / c["base"] + 1e-9, 2)
    eight = result["candidates"][7]
    assert eight["counts"]["low"] == 4 and eight["consequence"] == "two_thirds_low"  # 4 of 6

    text = run("tally", str(ws)).stdout  # read by group, in the groups' order
    heads = [text.index(g.name[:11]) for g in campaign.groups]  # a long name wraps
    assert heads == sorted(heads) and "mau-1 (Giấy màu hồng)" in text

    run("declare", str(ws), *COMMITTEE)
    refused = run("certify", str(ws), check=False)
    assert refused.returncode == 1  # the committee has not given each form's figures
    assert "mau-1, mau-2, mau-3" in refused.stderr
    for f, n in (("mau-1", 5), ("mau-2", 6), ("mau-3", 6)):
        run("declare", str(ws), "--form", f, "--issued", "6", "--collected", str(n))
    wrong = run("declare", str(ws), "--form", "mau-9", "--collected", "1", check=False)
    assert wrong.returncode == 1 and "mau-9" in wrong.stderr
    run("certify", str(ws))
    certified = tally(ws)
    declared = {f["id"]: f for f in certified["forms"]}
    assert declared["mau-1"]["issued"] == 6 and declared["mau-1"]["collected"] == 5
    # no campaign-wide figures declared: the forms' most
    assert certified["ballots"]["issued"] == 6 and certified["ballots"]["collected"] == 6
    run("export", str(ws), "--out", str(tmp_path / "pkg"))
    doc = json.loads((tmp_path / "pkg" / "tally.json").read_text("utf-8"))
    assert doc["forms"] == tally(ws)["forms"] and doc["groups"] == result["groups"]
    run("verify", str(tmp_path / "pkg"))
    import pypdfium2 as pdfium  # the Assembly's draft resolution in the Assembly's words

    draft = pdfium.PdfDocument(str(tmp_path / "pkg" / "du-thao-nghi-quyet.pdf"))
    words = " ".join(" ".join(draft[i].get_textpage().get_text_range().split())
                     for i in range(len(draft)))
    assert ("Quốc hội ban hành Nghị quyết xác nhận kết quả lấy phiếu tín nhiệm đối với người "
            "giữ chức vụ do Quốc hội bầu hoặc phê chuẩn.") in words
    assert re.search(r"Nghị quyết số: /20\d\d/QH15", words) and "Căn cứ Luật Tổ chức Quốc hội" in words
    assert "Xét đề nghị" not in words and "chính quyền địa phương" not in words
    assert "Phiếu lấy phiếu tín nhiệm - Mẫu số 1: phát ra 6, thu về 5" in words
    import docx  # the minutes say each form's figures, and list the people by group in order

    minutes = docx.Document(str(tmp_path / "pkg" / "bien-ban-kiem-phieu.docx"))
    said = "\n".join(p.text for p in minutes.paragraphs)
    assert "Mẫu số 1 (giấy màu hồng): phát ra 6, thu về 5" in said
    assert doc["reconciliation"]["collected"] == 6 and doc["reconciliation"]["matches"]
    cells = [row.cells[1].text for t in minutes.tables for row in t.rows]
    heads = [cells.index(f"{n} - {g.name.upper()}")
             for n, g in zip(("I", "II", "III", "IV"), campaign.groups, strict=True)]
    assert heads == sorted(heads)
    # every stored image read again and counted with each form's declared figures
    run("retally", str(tmp_path / "pkg"))
    run("retally", str(ws))


# -- the follow-up confidence vote ------------------------------------------------------------


def test_the_follow_up_vote_two_levels_read_counted_on_all_delegates(tmp_path: Path) -> None:
    sample = SAMPLES / "bo-phieu-ninhson-2024.yaml"
    campaign = load_campaign(sample)
    assert campaign.levels == ("confidence", "no_confidence")
    ws = tmp_path / "ws"
    run("new", str(sample), "--dir", str(ws))
    run("print", str(ws), "--copies", "1", "--out", str(tmp_path / "b.pdf"))
    layout_json = json.loads((ws / "layout.json").read_text("utf-8"))
    assert layout_json["levels"] == ["confidence", "no_confidence"]
    assert {b["level"] for b in layout_json["pages"][0]["boxes"]} == {"confidence",
                                                                      "no_confidence"}
    # 33 of 35 delegates vote. 18 "không tín nhiệm" is over half of 35; 17 is not, though it
    # is over half of the 33 ballots collected: the base is all delegates.
    exact = {1: {"no_confidence": 18, "confidence": 14, "overvote": 1},
             2: {"no_confidence": 17, "confidence": 15}}
    stack = simulate_stack(campaign, build_layout(campaign), 33, np.random.default_rng(35),
                           profile=ScanProfile(dpi=150, quarter_turns=(0, 2)),
                           vote_model=VoteModel(exact=exact, marks=CLEAR))
    scans = tmp_path / "scans"
    truth_path = write_case(scans, stack, ["pdf-jpeg", "tiff-g4"])
    lines = scan_lines(ws, scans, tmp_path / "scan.jsonl")
    check_rows(lines, truth_path, scans)
    assert set(lines[0]["rows"][0]["scores"]) == {"confidence", "no_confidence"}

    result = tally(ws)
    assert result["kind"] == "bo-phieu-tin-nhiem"
    assert result["levels"] == ["confidence", "no_confidence"]
    assert result["ballots"]["collected"] == 33 and result["base"] == 35
    first, second = result["candidates"]
    assert first["counts"] == {"confidence": 14, "no_confidence": 18, "invalid": 1}
    assert first["percent"] == {"confidence": 40.0, "no_confidence": 51.43}
    assert first["consequence"] == "over_half_no_confidence"
    assert second["counts"]["no_confidence"] == 17 and second["consequence"] is None

    run("declare", str(ws), "--issued", "35", "--collected", "33", *COMMITTEE)
    run("certify", str(ws))
    pkg = tmp_path / "pkg"
    run("export", str(ws), "--out", str(pkg))
    doc = json.loads((pkg / "tally.json").read_text("utf-8"))
    assert doc["candidates"][0]["consequence_text"].endswith(
        "(khoản 4 Điều 12 Nghị quyết số 96/2023/QH15).")
    assert doc["campaign_info"]["base_label"] == "tổng số đại biểu"
    csv = (pkg / "ket-qua.csv").read_text("utf-8-sig") if (pkg / "ket-qua.csv").exists() \
        else next(pkg.glob("*.csv")).read_text("utf-8-sig")
    assert "Không tín nhiệm" in csv and "Tín nhiệm cao" not in csv
    run("verify", str(pkg))
    run("aggregate", str(pkg), "--out", str(tmp_path / "agg"), "--trust-on-first-use")
    rolled = json.loads((tmp_path / "agg" / "tong-hop.json").read_text("utf-8"))
    assert rolled["people"] == [] and len(rolled["follow_up"]) == 2  # never a poll's row
    assert rolled["follow_up"][0]["places"][0]["counts"] == first["counts"]


# -- who must face the follow-up vote (check --results) ---------------------------------------

PEOPLE = """\
candidates:
  - {name: Người Một, position: Chủ tịch UBND}
  - {name: Người Hai, position: Phó Chủ tịch UBND}
  - {name: Người Ba, position: Phó Chủ tịch UBND}
  - {name: Người Bốn, position: Giám đốc Sở}
"""


def results_file(tmp: Path, name: str, rules: str, lows: tuple[int, ...], year: int = 2023
                 ) -> Path:
    """The results of a poll of 30 ballots (electorate 30) with these "tín nhiệm thấp" counts,
    counted by the product's own tally, written as a package's tally.json."""
    from pipeline.domain.tally import tally_from_counts

    campaign = parse_campaign(
        BASE.format(rules=rules).replace("2023-12-08", f"{year}-12-08") + PEOPLE, "c.yaml")
    outcomes = {}
    for stt, low in enumerate(lows, start=1):
        outcomes[(stt, "vote", "low")] = low
        outcomes[(stt, "vote", "high")] = 30 - low
    result = tally_from_counts(campaign, {("accepted", 1): 30}, outcomes, (30, 30)).to_json()
    folder = tmp / name
    folder.mkdir()
    (folder / "tally.json").write_text(json.dumps(result, ensure_ascii=False), "utf-8")
    return folder


def test_check_results_lists_over_half_low_under_nq96(tmp_path: Path) -> None:
    # 15 of 30 is half (nothing), 16 over half, 19 under 2/3, 20 is 2/3: a dismissal, no vote
    pkg = results_file(tmp_path, "pkg", "nq96-2023", (15, 16, 19, 20))
    listed = json.loads(run("check", "--results", str(pkg), "--json").stdout)
    assert [f["candidate"] for f in listed["follow_up"]] == [2, 3]
    assert listed["follow_up"][0]["low"] == 16 and listed["follow_up"][0]["base"] == 30
    assert "khoản 2 Điều 12 Nghị quyết số 96/2023/QH15" in listed["follow_up"][0]["reasons"][0]
    text = run("--lang", "vi", "check", "--results", str(pkg / "tally.json")).stdout
    assert "2 người phải đưa ra bỏ phiếu tín nhiệm" in text and "Người Hai" in text
    assert "Người Bốn" not in text


def test_check_results_over_half_two_years_running_under_nq85(tmp_path: Path) -> None:
    before = results_file(tmp_path, "2022", "nq85-2014", (16, 16, 2, 2), year=2022)
    now = results_file(tmp_path, "2023", "nq85-2014", (16, 2, 16, 20))
    listed = json.loads(run("check", "--results", str(now), "--previous", str(before),
                            "--json").stdout)
    why = {f["candidate"]: f["reasons"] for f in listed["follow_up"]}
    # 1: over half both years; 4: two thirds this year; 2 and 3: over half one year only
    assert sorted(why) == [1, 4]
    assert "hai năm liên tiếp" in why[1][0] and "2/3" in why[4][0]
    alone = json.loads(run("check", "--results", str(now), "--json").stdout)
    assert [f["candidate"] for f in alone["follow_up"]] == [4]


def test_check_results_refuses_what_is_not_a_poll(tmp_path: Path) -> None:
    pkg = results_file(tmp_path, "pkg", "nq96-2023", (1, 2, 3, 4))
    doc = json.loads((pkg / "tally.json").read_text("utf-8"))
    doc["kind"] = "bo-phieu-tin-nhiem"
    (pkg / "tally.json").write_text(json.dumps(doc), "utf-8")
    refused = run("check", "--results", str(pkg), check=False)
    assert refused.returncode == 1 and "follow-up vote" in refused.stderr
    missing = run("check", "--results", str(tmp_path / "nowhere"), check=False)
    assert missing.returncode == 1 and "nowhere" in missing.stderr
    other = results_file(tmp_path, "other", "nq85-2014", (1, 2, 3, 4))
    mixed = run("check", "--results", str(other), "--previous",
                str(results_file(tmp_path, "p", "nq96-2023", (1, 2, 3, 4))), check=False)
    assert mixed.returncode == 1 and "same rules" in mixed.stderr


def test_the_station_reviews_a_two_level_row_and_shows_the_groups(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from review_cases import add_accounts, login

    from pipeline.store.workspace import open_workspace
    from pipeline.web.app import create_app

    sample = SAMPLES / "bo-phieu-ninhson-2024.yaml"
    campaign = load_campaign(sample)
    ws_path = tmp_path / "ws"
    run("new", str(sample), "--dir", str(ws_path))
    exact = {1: {"review": 1, "no_confidence": 3, "confidence": 2}}
    stack = simulate_stack(campaign, build_layout(campaign), 6, np.random.default_rng(7),
                           profile=ScanProfile(dpi=150), vote_model=VoteModel(exact=exact,
                                                                              marks=CLEAR))
    write_case(tmp_path / "scans", stack, ["png"])
    scan_lines(ws_path, tmp_path / "scans", tmp_path / "scan.jsonl")
    ws = open_workspace(ws_path)
    add_accounts(ws, {"lan": "reviewer"})
    client = TestClient(create_app(ws_path, allowed_hosts=("testserver",)))
    h = {"X-CSRF-Token": login(client, "lan")}
    item = client.post("/api/queue/next", headers=h).json()["item"]
    assert [v["value"] for v in item["values"]] == ["confidence", "no_confidence", "invalid"]
    assert [b["level"] for b in item["boxes"]] == ["confidence", "no_confidence"]
    assert len(item["fills"]) == 2
    bad = client.post(f"/api/items/{item['id']}/decision", headers=h, json={"value": "high"})
    assert bad.status_code >= 400
    client.post(f"/api/items/{item['id']}/decision", headers=h, json={"value": "no_confidence"})
    counts = client.get("/api/summary").json()["tally"]["candidates"][0]["counts"]
    assert counts == {"confidence": 2, "no_confidence": 4, "invalid": 0}
    page = client.get("/dashboard").text
    assert "Khối Ủy ban nhân dân" in page and "Không tín nhiệm" in page
    assert "Tín nhiệm cao" not in page


def test_the_poll_s_eligibility_rules_do_not_apply_to_the_follow_up_vote() -> None:
    from pipeline.domain.eligibility import eligibility_findings

    person = "candidates:\n  - {name: X Y, position: Z, in_post_since: 2023-03-01}\n"
    poll = parse_campaign(BASE.format(rules="nq96-2023") + person, "c.yaml")
    follow_up = parse_campaign(BASE.format(rules="nq96-2023") + "kind: bo-phieu-tin-nhiem\n"
                               + person, "c.yaml")
    assert len(eligibility_findings(poll)) == 1  # elected in the polling year: not polled
    assert eligibility_findings(follow_up) == []


def test_print_one_form_alone_and_refuse_a_form_that_is_not_there(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    ws = tmp_path / "ws"
    run("new", str(SAMPLES / "quoc-hoi-44.yaml"), "--dir", str(ws))
    one = tmp_path / "mau-2.pdf"
    said = run("print", str(ws), "--copies", "3", "--out", str(one), "--form", "mau-2").stdout
    assert "Giấy màu xanh lá nhạt" in said and not (tmp_path / "mau-2-mau-2.pdf").exists()
    assert len(pdfium.PdfDocument(str(one))) == 3 * 2  # form mau-2 has two pages
    text = pdfium.PdfDocument(str(one))[0].get_textpage().get_text_range()
    assert "MẪU SỐ 2" in text and "Trang 1/2" in text and "Lê Quang Trung" in text
    assert "Vũ Thị Hạnh Dung" not in text  # on form mau-1
    wrong = run("print", str(ws), "--copies", "1", "--out", str(tmp_path / "x.pdf"),
                "--form", "mau-9", check=False)
    assert wrong.returncode == 1 and "mau-1, mau-2, mau-3" in wrong.stderr


def test_the_chair_declares_each_form_at_the_station(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from review_cases import add_accounts, login

    from pipeline.store.workspace import open_workspace
    from pipeline.web.app import create_app

    ws_path = tmp_path / "ws"
    run("new", str(SAMPLES / "quoc-hoi-44.yaml"), "--dir", str(ws_path))
    ws = open_workspace(ws_path)
    add_accounts(ws, {"chu": "chair"})
    client = TestClient(create_app(ws_path, allowed_hosts=("testserver",)))
    csrf = login(client, "chu")
    console = client.get("/chair").text
    assert 'name="collected_mau-3"' in console and "Giấy màu vàng nhạt" in console
    declared = client.post("/chair/declare", follow_redirects=False, data={
        "csrf": csrf, "issued": "", "collected": "", "head": "Nguyễn Thị Hoa",
        "issued_mau-1": "480", "collected_mau-1": "479", "issued_mau-2": "480",
        "collected_mau-2": "480", "issued_mau-3": "480", "collected_mau-3": "478"})
    assert declared.status_code == 303, declared.text
    assert ws.store.declared_forms()["mau-1"] == {"issued": 480, "collected": 479}
    assert ws.declaration().head == "Nguyễn Thị Hoa"
    page = client.get("/chair").text  # each page beside its own form's figure
    assert '<tr data-page="1"><td>' in page
    row4 = page[page.index('<tr data-page="4">'):page.index('<tr data-page="5">')]
    assert ">478<" in row4 and "-478" in row4
    bad = client.post("/chair/declare", data={"csrf": csrf, "head": "X", "collected_mau-1": "ba"})
    assert bad.status_code == 400
    import pypdfium2 as pdfium  # one form's ballots, for its paper

    pdf = client.get("/chair/ballots.pdf", params={"copies": 2, "form": "mau-1"})
    assert "mau-1" in pdf.headers["content-disposition"]
    assert len(pdfium.PdfDocument(pdf.content)) == 2
