"""Stacks in the station, over HTTP: every scan run listed with its pages and files; the
chair's hand count compared with the accepted pages; a whole stack withdrawn to scan it
again and restored, through the same workflow as ``kiemphieu stack``; each review item
naming the stack its page came in."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from review_cases import add_accounts, login, scanned_workspace
from test_wording import _visible, _vocabulary

from pipeline.store.workspace import Workspace
from pipeline.web.app import create_app
from pipeline.workflow.stacks import stacks

HOST = ("testserver",)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = scanned_workspace(tmp_path_factory.mktemp("stacks"), ballots=2, review=0.1)
    add_accounts(ws, {"chu": "chair", "ope": "operator"})
    return ws


def test_the_chair_counts_withdraws_and_restores_a_stack(scanned: Workspace) -> None:
    client = TestClient(create_app(scanned.path, allowed_hosts=HOST))
    csrf = login(client, "chu")
    listed = client.get("/stacks").text
    assert 'data-stack="1"' in listed and "scan-01-001.jpg" in listed
    assert re.search(r"Trang phiếu 1: <b>2</b>", listed)
    assert "Lô #1" in client.get("/stacks/1").text

    bad = client.post("/stacks/1/count", data={"csrf": csrf, "hand_count": "hai"})
    assert bad.status_code == 400 and "Số phiếu đếm tay: cần nhập một số nguyên" in bad.text
    client.post("/stacks/1/count", data={"csrf": csrf, "hand_count": "2"})
    assert "khớp" in client.get("/stacks").text

    accepted = scanned.tally().accepted
    refused = client.post("/stacks/1/withdraw", data={"csrf": csrf, "reason": "  "})
    assert refused.status_code == 409 and "lý do" in refused.text.lower()
    done = client.post("/stacks/1/withdraw", data={"csrf": csrf, "reason": "Kẹt giấy, quét lại"},
                       follow_redirects=False)
    assert done.status_code == 303
    assert scanned.tally().accepted == 0 and "Đã rút" in client.get("/stacks").text
    client.post("/stacks/1/restore", data={"csrf": csrf, "reason": "Nhầm lô"})
    assert scanned.tally().accepted == accepted

    item = client.post("/api/queue/next", headers={"X-CSRF-Token": csrf}).json()["item"]
    assert item["scan"].endswith("lô 1)")


def test_stacks_are_shown_to_all_and_changed_by_the_chair_only(scanned: Workspace) -> None:
    client = TestClient(create_app(scanned.path, allowed_hosts=HOST))
    csrf = login(client, "ope")
    page = client.get("/stacks")
    assert page.status_code == 200 and 'action="/stacks/1/withdraw"' not in page.text
    assert client.post("/stacks/1/withdraw", data={"csrf": csrf, "reason": "x"}).status_code == 403
    assert client.get("/stacks/99", headers={"Accept": "text/html"}).status_code == 404
    assert TestClient(client.app).get("/stacks", follow_redirects=False).status_code == 303


def test_the_stacks_pages_are_in_vietnamese(scanned: Workspace) -> None:
    client = TestClient(create_app(scanned.path, allowed_hosts=HOST))
    login(client, "chu")
    known, english = _vocabulary()
    data = " ".join([scanned.campaign.title, scanned.campaign.body, "chu", "web", "testserver",
                     "Kẹt giấy, quét lại", "Nhầm lô", "lô rút ra để quét lại"]
                    + [f"{c.name} {c.position}" for c in scanned.campaign.candidates]
                    + [f"{s.station} {' '.join(s.sources)}" for s in stacks(scanned)])
    allowed = known | set(re.findall(r"[^\W\d_]+", data))
    for path in ("/stacks", "/stacks/1"):
        text = _visible(client.get(path).text)
        found = set(re.findall(r"[^\W\d_]+", text))
        assert not sorted(found & english), f"{path}: English or a key left: {sorted(found & english)}"
        unknown = sorted(w for w in found - allowed if not w.isupper())
        assert not unknown, f"{path}: words of no catalog: {unknown}"
        for at in re.findall(r"\d\d/\d\d/\d{4} \d\d:\d\d.{0,20}", text):
            assert "(giờ Việt Nam)" in at, f"{path}: a time without its zone: {at}"



def test_a_stack_number_beyond_any_record_is_not_found(scanned: Workspace) -> None:
    client = TestClient(create_app(scanned.path, allowed_hosts=HOST))
    login(client, "chu")
    for n in ("0", str(10**30), "99"):
        assert client.get(f"/stacks/{n}").status_code == 404, n
