"""The chair's console and the hall's page, over HTTP (no browser): the same workflow as
``kiemphieu declare`` and ``certify``, every blocker listed with its link, the next step
on the dashboard, the result in the hall only once certified and switched on, and every
word of it in the catalogs, in Vietnamese, with Vietnam time and decimal commas."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from review_cases import SAMPLES, add_accounts, login, synthetic_workspace
from test_wording import _visible, _vocabulary

from pipeline.domain.campaign import load_campaign
from pipeline.store.workspace import Workspace, create_workspace
from pipeline.web.app import create_app
from pipeline.workflow.certify import blockers, reconcile

HOST = ("testserver",)


@pytest.fixture
def counted(tmp_path: Path) -> Workspace:
    """Three ballots read without a doubt (page 1 only: page 2 of seed 002 is missing)."""
    ws = synthetic_workspace(tmp_path, pages=3, review_rows=0)
    add_accounts(ws, {"chu": "chair", "ope": "operator", "lan": "reviewer"})
    return ws


def next_step(client: TestClient) -> str:
    page = client.get("/dashboard").text
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.split('data-testid="next-step"')[1]
                                      .split("</div>")[0])).strip(' ">')


def test_the_chair_declares_is_told_every_blocker_and_certifies(counted: Workspace) -> None:
    client = TestClient(create_app(counted.path, allowed_hosts=HOST))
    csrf = login(client, "chu")
    assert "Khai báo số phiếu và Ban kiểm phiếu" in next_step(client)
    console = client.get("/chair").text
    assert 'href="/chair#declare"' in console and "Ban kiểm phiếu chưa khai báo" in console

    refused = client.post("/chair/declare", data={"csrf": csrf, "issued": "ba", "collected": "3",
                                                  "head": "Nguyễn Thị Hoa"})
    assert refused.status_code == 400
    assert "Số phiếu phát ra: cần nhập một số nguyên không âm." in refused.text
    assert counted.declaration() is None

    declared = client.post("/chair/declare", follow_redirects=False, data={
        "csrf": csrf, "issued": "4", "collected": "3", "head": "  Nguyễn Thị Hoa ",
        "member_name": ["Trần Văn Bình", "", "Lê|Minh Châu"],
        "member_role": ["member_secretary", "member_plain", "member_deputy"], "note": ""})
    assert declared.status_code == 303 and declared.headers["location"] == "/chair#reconciliation"
    d = counted.declaration()
    assert (d.issued, d.collected, d.head) == (4, 3, "Nguyễn Thị Hoa")
    assert [(m.name, m.role) for m in d.members] == [("Trần Văn Bình", "Thư ký"),
                                                      ("Lê Minh Châu", "Phó Trưởng ban")]

    # page 2 of every ballot is missing: the reconciliation shows it, page by page, and
    # certification lists it with the link to where it is resolved
    console = client.get("/chair").text
    assert re.search(r'data-page="2"><td>Trang phiếu 2</td><td class="num">0</td>', console)
    assert 'href="/chair#reconciliation">Số bản trang 2' in console
    assert 'data-testid="certify"' not in console
    assert "Giải quyết các vướng mắc" in next_step(client)
    blocked = client.post("/chair/certify", data={"csrf": csrf})
    assert blocked.status_code == 409 and counted.store.certified_at() is None

    client.post("/chair/declare", data={"csrf": csrf, "issued": "4", "collected": "3",
                                        "head": "Nguyễn Thị Hoa",
                                        "note": "Trang 2 được kiểm đếm bằng tay"})
    assert "Xác nhận kết quả kiểm phiếu" in next_step(client)
    assert client.post("/chair/certify", data={"csrf": csrf}, follow_redirects=False
                       ).status_code == 303
    assert counted.store.certified_at() is not None
    console = client.get("/chair").text
    assert "(giờ Việt Nam)" in console and "Nguyễn Thị Hoa" in console
    summary = client.get("/dashboard").text
    assert "Kết quả kiểm phiếu đã xác nhận" in summary and "tạm tính" not in summary
    assert "Xuất hồ sơ kết quả" in next_step(client)

    # the stored pages here are made up: export says so on the console, nothing half-written
    failed = client.post("/chair/export", data={"csrf": csrf})
    assert failed.status_code == 409 and "stored scan missing" in failed.text
    assert not list((counted.path / "exports").glob("*.zip"))
    assert client.get("/chair/package.zip", follow_redirects=False).status_code == 303


def test_the_hall_shows_the_result_only_when_the_chair_switches_it_on(counted: Workspace) -> None:
    client = TestClient(create_app(counted.path, allowed_hosts=HOST))
    csrf = login(client, "chu")
    assert client.post("/chair/hall", data={"csrf": csrf, "open": "1"}).status_code == 409
    client.post("/chair/declare", data={"csrf": csrf, "issued": "3", "collected": "3",
                                        "head": "Nguyễn Thị Hoa", "note": "Trang 2 đếm tay"})
    client.post("/chair/certify", data={"csrf": csrf})
    assert TestClient(client.app).get("/hall").status_code == 404  # certified, not switched on

    operator = TestClient(client.app)
    op_csrf = login(operator, "ope")
    assert operator.post("/chair/hall", data={"csrf": op_csrf, "open": "1"}).status_code == 403
    assert client.post("/chair/hall", data={"csrf": csrf, "open": "1"},
                       follow_redirects=False).status_code == 303
    hall = TestClient(client.app).get("/hall")
    assert hall.status_code == 200
    text = _visible(hall.text)
    assert counted.campaign.body in text and counted.campaign.candidates[0].name in text
    assert "100,00 %" in text and not re.search(r"\d\.\d\d ?%", text)
    assert len(re.findall(r"<tr data-candidate=", hall.text)) == 18  # everyone, cut by the script
    assert "Bước tiếp theo" in client.get("/dashboard").text
    # kept with the records: a restarted station, and a second station process, show it too
    restarted = TestClient(create_app(counted.path, allowed_hosts=HOST))
    assert restarted.get("/hall").status_code == 200
    client.post("/chair/hall", data={"csrf": csrf, "open": "0"})
    assert TestClient(client.app).get("/hall").status_code == 404
    assert restarted.get("/hall").status_code == 404
    assert [(r["open"], r["by"]) for r in _hall_log(counted)] == [(True, "chu"), (False, "chu")]


def _hall_log(ws: Workspace) -> list[dict]:
    from sqlalchemy import select

    from pipeline.store.schema import hall_log_table
    with ws.store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(hall_log_table).order_by(
            hall_log_table.c.id)).mappings()]


def test_ballots_to_print_and_the_console_is_the_chairs(counted: Workspace) -> None:
    client = TestClient(create_app(counted.path, allowed_hosts=HOST))
    login(client, "chu")
    pdf = client.get("/chair/ballots.pdf?copies=2")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    assert 'filename="' in pdf.headers["content-disposition"]
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf.content)) == 4  # two copies of two pages
    for name in ("ope", "lan"):
        other = TestClient(client.app)
        csrf = login(other, name)
        assert other.get("/chair").status_code == 403
        assert other.post("/chair/certify", data={"csrf": csrf}).status_code == 403
        assert other.get("/chair/ballots.pdf").status_code == 403
        assert 'href="/chair"' not in other.get("/dashboard").text


def test_the_console_speaks_english_on_request(counted: Workspace) -> None:
    client = TestClient(create_app(counted.path, allowed_hosts=HOST))
    login(client, "chu")
    client.get("/lang/en", follow_redirects=False)
    console = client.get("/chair").text
    assert "Certify the count" in console and "Khai báo của" not in console
    assert "Declare the ballot counts and the committee" in next_step(client)


def test_the_console_and_the_hall_are_all_in_vietnamese(counted: Workspace) -> None:
    client = TestClient(create_app(counted.path, allowed_hosts=HOST))
    csrf = login(client, "chu")
    known, english = _vocabulary()
    data = " ".join([counted.campaign.title, counted.campaign.body, "chu", "Nguyễn Thị Hoa",
                     "Trần Văn Bình", "đếm tay"]
                    + [f"{c.name} {c.position}" for c in counted.campaign.candidates])
    # the workflow's own Vietnamese, as the minutes word it: blockers, mismatches, quorum
    recon = reconcile(counted)
    data += " " + " ".join([b.vi for b in blockers(counted)] + [m.vi for m in recon.mismatches]
                     + [recon.quorum_warning or ""])
    allowed = known | set(re.findall(r"[^\W\d_]+", data))
    shown = [("/chair before", client.get("/chair").text),
             ("/dashboard before", client.get("/dashboard").text)]
    client.post("/chair/declare", data={"csrf": csrf, "issued": "3", "collected": "3",
                                        "head": "Nguyễn Thị Hoa", "member_name": "Trần Văn Bình",
                                        "member_role": "member_plain", "note": "Trang 2 đếm tay"})
    client.post("/chair/certify", data={"csrf": csrf})
    client.post("/chair/hall", data={"csrf": csrf, "open": "1"})
    shown += [(path, client.get(path).text) for path in ("/chair", "/dashboard", "/hall")]
    for path, page in shown:
        text = _visible(re.sub(r'<dd class="mono">.*?</dd>', " ", page, flags=re.S))  # digest, key
        found = set(re.findall(r"[^\W\d_]+", text))
        assert not sorted(found & english), f"{path}: English or a key left: {sorted(found & english)}"
        unknown = sorted(w for w in found - allowed if not w.isupper())
        assert not unknown, f"{path}: words of no catalog: {unknown}"
        assert not re.search(r"\d\.\d+%", text), f"{path}: a decimal point"
        for at in re.findall(r"\d\d/\d\d/\d{4} \d\d:\d\d.{0,20}", text):
            assert "(giờ Việt Nam)" in at, f"{path}: a time without its zone: {at}"


def test_a_campaign_of_several_forms_declares_each_form(tmp_path: Path) -> None:
    campaign = load_campaign(SAMPLES / "quoc-hoi-44.yaml")
    assert len(campaign.forms) > 1
    ws = create_workspace(campaign, tmp_path / "ws")
    add_accounts(ws, {"chu": "chair"})
    client = TestClient(create_app(ws.path, allowed_hosts=HOST))
    csrf = login(client, "chu")
    console = client.get("/chair").text
    for f in campaign.forms:
        assert f'name="collected_{f.id}"' in console
    form = {"csrf": csrf, "issued": "96", "collected": "96", "head": "Nguyễn Thị Hoa"}
    for n, f in enumerate(campaign.forms):
        form |= {f"issued_{f.id}": "96", f"collected_{f.id}": str(90 + n)}
    assert client.post("/chair/declare", data=form, follow_redirects=False).status_code == 303
    figures = ws.store.declared_forms()
    assert [figures[f.id]["collected"] for f in campaign.forms] == [
        90 + n for n in range(len(campaign.forms))]
    # each page is set beside its own form's figure
    console = client.get("/chair").text
    for f in ws.layout.forms:
        n = 90 + [g.id for g in campaign.forms].index(f.id)
        for p in f.pages():
            assert re.search(rf'data-page="{p}">.*?</td><td class="num">0</td>\s*'
                             rf'<td class="num">{n}</td>', console, re.S)
    missing = dict(form)
    del missing[f"collected_{campaign.forms[0].id}"]
    refused = client.post("/chair/declare", data=missing)
    assert refused.status_code == 400 and campaign.forms[0].title in refused.text
