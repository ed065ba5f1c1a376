"""The web station's API: logins, roles on every route, CSRF, images, uploads, speed,
and ten reviewers working at once over HTTP."""

from __future__ import annotations

import io
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from pdf_cases import pdf_of_grey_images
from PIL import Image
from review_cases import (
    PASSWORD,
    ServerThread,
    add_accounts,
    login,
    scanned_workspace,
    synthetic_workspace,
)
from sqlalchemy import update

from pipeline.store.schema import page_table
from pipeline.store.workspace import Workspace
from pipeline.web.app import create_app
from pipeline.web.sessions import Sessions
from pipeline.web.station import Limits
from simulator import read_truth

ACCOUNTS = {"lan": "reviewer", "mai": "reviewer", "ope": "operator", "chu": "chair"}
HOST = ("testserver",)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = scanned_workspace(tmp_path_factory.mktemp("scanned"))
    add_accounts(ws, ACCOUNTS)
    return ws


def _all_routes(routes: list) -> list:
    """Every route, those of included routers too (FastAPI keeps them behind their router)."""
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        out.extend(_all_routes(inner.routes) if inner is not None else [route])
    return out


def test_strangers_see_nothing_and_every_route_checks_the_session(scanned: Workspace) -> None:
    app = create_app(scanned.path, allowed_hosts=HOST)
    client = TestClient(app)
    open_routes = {"/login", "/lang/{code}", "/static", "/hall"}
    # the hall's page is for the room, without login, but only once certified and switched on
    assert client.get("/hall").status_code == 404
    checked = 0
    for route in _all_routes(app.routes):
        path = getattr(route, "path", "")
        if path in open_routes or path.startswith("/static"):
            continue
        url = path.replace("{item_id}", "1").replace("{page_id}", "1")
        for method in getattr(route, "methods", ()) or ():
            response = client.request(method, url, follow_redirects=False)
            assert response.status_code in (303, 401), (method, url, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"].startswith("/login")
            assert "Nguyễn" not in response.text and b"JFIF" not in response.content
            checked += 1
    assert checked >= 16
    # no path from a request reaches the files
    for url in ("/static/../kiemphieu.db", "/static/%2e%2e/kiemphieu.db", "/pages/..%2Fkiemphieu.db",
                "/images/00/x.jpg", "/kiemphieu.db"):
        assert client.get(url).status_code in (401, 404, 422), url
    assert client.get("/login", headers={"host": "evil.example"}).status_code == 400


def test_login_refusals_throttle_and_session_expiry(scanned: Workspace) -> None:
    clock = Clock()
    app = create_app(scanned.path, allowed_hosts=HOST, sessions=Sessions(idle_seconds=60, clock=clock))
    client = TestClient(app)
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    assert client.post("/login", data={"username": "lan", "password": PASSWORD}).status_code == 403

    def attempt(password: str) -> httpx.Response:
        nonlocal token
        response = client.post("/login", data={"username": "lan", "password": password,
                                               "csrf": token})
        token = re.search(r'name="csrf" value="([^"]+)"', response.text).group(1)  # a new one
        return response

    for _ in range(3):
        wrong = attempt("sai")
        assert wrong.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
    for seconds in (1, 2, 4):  # each failure doubles the wait, right password or not
        throttled = attempt(PASSWORD)
        assert throttled.status_code == 429 and f"thử lại sau {seconds} giây" in throttled.text
        clock.t += seconds
        assert attempt("sai").status_code == 401
    clock.t += 8
    csrf = login(client, "lan")
    assert client.post("/api/queue/next", headers={"X-CSRF-Token": csrf}).status_code == 200
    cookie = client.cookies.get("kp_session")
    assert cookie and len(cookie) >= 40
    clock.t += 59
    assert client.get("/api/summary").status_code == 200  # in use: the idle clock restarts
    clock.t += 61
    assert client.get("/api/summary").status_code == 401
    assert client.get("/queue", follow_redirects=False).headers["location"] == "/login?next=/queue"


def test_someone_typing_wrong_passwords_as_the_chair_does_not_keep_the_chair_out(
        scanned: Workspace) -> None:
    clock = Clock()
    app = create_app(scanned.path, allowed_hosts=HOST, sessions=Sessions(clock=clock))
    guesser = TestClient(app, client=("192.168.1.66", 40000))
    for _ in range(16):
        form = guesser.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        wrong = guesser.post("/login", data={"username": "chu", "password": "doan-mo-" + token[:6],
                                             "csrf": token})
        if wrong.status_code == 429:
            clock.t += float(re.search(r"thử lại sau (\d+) giây", wrong.text).group(1))
            wrong = guesser.post("/login", data={"username": "chu", "password": "doan-mo",
                                                 "csrf": re.search(r'name="csrf" value="([^"]+)"',
                                                                   wrong.text).group(1)})
        assert wrong.status_code == 401
    chair = TestClient(app, client=("192.168.1.10", 40000))
    clock.t += 30  # the account's wait is never longer
    login(chair, "chu")
    assert chair.get("/api/summary").status_code == 200
    form = guesser.get("/login")  # the guesser's own address waits longer
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    assert guesser.post("/login", data={"username": "lan", "password": "x",
                                        "csrf": token}).status_code == 429


def test_wrong_logins_sent_at_once_are_counted_before_any_password_is_hashed(
        scanned: Workspace) -> None:
    app = create_app(scanned.path, allowed_hosts=("127.0.0.1",))
    with ServerThread(app) as server:
        clients = [httpx.Client(base_url=server.url, timeout=60) for _ in range(12)]
        tokens = [re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
                  for c in clients]
        start = threading.Barrier(len(clients))
        statuses: list[int] = []

        def attempt(client: httpx.Client, token: str) -> None:
            start.wait()
            statuses.append(client.post("/login", data={"username": "lan", "password": "sai",
                                                        "csrf": token}).status_code)

        threads = [threading.Thread(target=attempt, args=pair)
                   for pair in zip(clients, tokens, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        for client in clients:
            client.close()
    assert Counter(statuses) == {401: 3, 429: 9}


def test_ids_beyond_any_record_answer_404(scanned: Workspace) -> None:
    client = TestClient(create_app(scanned.path, allowed_hosts=HOST), raise_server_exceptions=False)
    csrf = login(client, "chu")
    for huge in (10**30, 2**63, 2**62):
        for url in (f"/pages/{huge}", f"/pages/{huge}/upright.jpg", f"/items/{huge}/crop.jpg",
                    f"/items/{huge}/boxes.jpg"):
            assert client.get(url).status_code == 404, url
        for url in (f"/api/items/{huge}/decision", f"/api/items/{huge}/release"):
            assert client.post(url, headers={"X-CSRF-Token": csrf},
                               json={"value": "high"}).status_code == 404, url
        assert client.post(f"/pages/{huge}/decision", data={
            "csrf": csrf, "action": "withdraw", "reason": "thử"}).status_code == 404


def test_serve_secure_cookies_marks_every_cookie_secure(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=1)
    add_accounts(ws, {"chu": "chair"})
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    station = subprocess.Popen([str(Path(sys.executable).with_name("kiemphieu")), "serve",
                                str(ws.path), "--port", str(port), "--secure-cookies"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            while True:
                assert station.poll() is None, "serve stopped"
                try:
                    form = client.get("/login")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
            # a client sends Secure cookies back only over HTTPS: here, by hand
            logged = client.post("/login", data={"username": "chu", "password": PASSWORD,
                                                 "csrf": token}, follow_redirects=False,
                                 headers={"cookie": f"kp_login={token}"})
            lang = client.get("/lang/en", follow_redirects=False)
    finally:
        station.terminate()
        station.wait(20)
    cookies = [form.headers["set-cookie"], lang.headers["set-cookie"]] + [
        c for c in logged.headers.get_list("set-cookie") if "kp_session=" in c]
    assert logged.status_code == 303 and len(cookies) == 3
    for cookie in cookies:
        assert "; secure" in cookie.lower(), cookie


def test_roles_csrf_and_headers(scanned: Workspace) -> None:
    app = create_app(scanned.path, allowed_hosts=HOST)
    operator, reviewer = TestClient(app), TestClient(app)
    op_csrf = login(operator, "ope")
    rv_csrf = login(reviewer, "lan")

    # every POST refuses a request without the session's CSRF token
    posts = 0
    for route in _all_routes(app.routes):
        if "POST" in (getattr(route, "methods", None) or ()) and route.path != "/login":
            posts += 1
            url = route.path.replace("{item_id}", "1").replace("{page_id}", "1")
            for token in (None, "forged"):
                headers = {"X-CSRF-Token": token} if token else {}
                r = reviewer.post(url, headers=headers, json={"value": "high"}, follow_redirects=False)
                assert r.status_code == 403, (url, token, r.status_code)
    assert posts >= 7

    # an operator scans, never resolves
    assert operator.get("/queue").status_code == 403
    assert "Bạn không có quyền" in operator.get("/queue").text
    h = {"X-CSRF-Token": op_csrf}
    assert operator.post("/api/queue/next", headers=h).status_code == 403
    assert operator.post("/api/items/1/decision", headers=h, json={"value": "high"}).status_code == 403
    assert operator.get("/upload").status_code == 200
    assert reviewer.get("/upload").status_code == 403
    assert reviewer.get("/dashboard").status_code == 200

    crop = reviewer.get("/items/1/crop.jpg")
    assert crop.status_code == 200 and crop.headers["content-type"] == "image/jpeg"
    assert crop.headers["cache-control"] == "no-store"
    page = reviewer.get("/queue")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert 'lang="vi"' in page.text and "Hoàn tác" in page.text  # the levels come with each item
    set_cookie = [v for k, v in reviewer.get("/login").headers.multi_items() if k == "set-cookie"]
    assert all("httponly" in c.lower() and "samesite=strict" in c.lower() for c in set_cookie)
    english = reviewer.get("/lang/en?next=/queue")
    assert "Undo" in english.text and "Hoàn tác" not in english.text and 'lang="en"' in english.text
    assert reviewer.get("/lang/en?next=//evil.example", follow_redirects=False) \
        .headers["location"] == "/"
    reviewer.get("/lang/vi")
    assert reviewer.post("/api/items/999999/decision", headers={"X-CSRF-Token": rv_csrf},
                         json={"value": "high"}).status_code == 404
    assert reviewer.post("/api/items/1/decision", headers={"X-CSRF-Token": rv_csrf},
                         json={"value": "accepted"}).status_code == 400

    # a stored image path that leaves WS/images is refused, not served
    with scanned.store.transaction() as conn:
        old = conn.execute(page_table.select().where(page_table.c.id == 1)).mappings().one()
        conn.execute(update(page_table).where(page_table.c.id == 1)
                     .values(image_path="images/../kiemphieu.db"))
    try:
        fresh = TestClient(create_app(scanned.path, allowed_hosts=HOST))
        login(fresh, "lan")
        assert fresh.get("/pages/1/upright.jpg").status_code == 404
    finally:
        with scanned.store.transaction() as conn:
            conn.execute(update(page_table).where(page_table.c.id == 1)
                         .values(image_path=old["image_path"]))


def test_resolve_undo_and_the_tally_through_the_api(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=3, review_rows=2, rejected=1)
    add_accounts(ws, {"lan": "reviewer"})
    client = TestClient(create_app(ws.path, allowed_hosts=HOST))
    h = {"X-CSRF-Token": login(client, "lan")}
    first = client.post("/api/queue/next", headers=h).json()
    assert first["counts"] == {"open": 7, "escalated": 0, "resolved": 0, "mine": 0}
    item = first["item"]
    assert [v["key"] for v in item["values"]] == ["1", "2", "3", "0"]
    assert item["name"] and item["fills"] == [0.0, 0.05, 0.0] and len(item["boxes"]) == 3
    done = client.post(f"/api/items/{item['id']}/decision", headers=h, json={"value": "low"}).json()
    assert done["decided"]["resolution"] == "low" and done["item"]["id"] != item["id"]
    assert done["counts"]["mine"] == 1
    # a refusal is said in the reviewer's language, from the catalogs
    why = client.post(f"/api/items/{done['item']['id']}/decision", headers=h,
                      json={"value": "invalid"})
    assert why.status_code == 400 and "hãy nêu lý do" in why.json()["error"], why.text
    assert client.get("/api/summary").json()["tally"]["candidates"][0]["counts"]["low"] == 1
    back = client.post("/api/undo", headers=h).json()
    assert back["item"]["id"] == item["id"] and back["counts"]["mine"] == 0
    assert client.get("/api/summary").json()["tally"]["candidates"][0]["counts"]["low"] == 0
    invalid = client.post(f"/api/items/{item['id']}/decision", headers=h,
                          json={"value": "invalid", "reason": "reason_several"}).json()
    assert invalid["decided"]["resolution"] == "invalid"
    record = client.get("/record").text
    assert "Đánh dấu nhiều hơn một ô" in record and "Hoàn tác" in record


def test_the_queue_view_answers_in_under_100_ms(scanned: Workspace) -> None:
    client = TestClient(create_app(scanned.path, allowed_hosts=HOST))
    h = {"X-CSRF-Token": login(client, "mai")}
    client.post("/api/queue/next", headers=h)  # warm up
    timings: dict[str, list[float]] = {"GET /queue": [], "POST /api/queue/next": [],
                                       "GET crop.jpg": [], "GET upright.jpg": []}
    item = client.post("/api/queue/next", headers=h).json()["item"]
    for _ in range(30):
        for label, call in (
            ("GET /queue", lambda: client.get("/queue")),
            ("POST /api/queue/next", lambda: client.post("/api/queue/next", headers=h)),
            ("GET crop.jpg", lambda: client.get(item["crop"])),
            ("GET upright.jpg", lambda: client.get(item["page_image"])),
        ):
            t0 = time.perf_counter()
            assert call().status_code == 200
            timings[label].append(1000 * (time.perf_counter() - t0))
    medians = {k: statistics.median(v) for k, v in timings.items()}
    print("\nqueue view medians (ms):", {k: round(v, 1) for k, v in medians.items()})
    assert medians["GET /queue"] < 100 and medians["POST /api/queue/next"] < 100
    assert medians["GET crop.jpg"] < 100


def _jpeg(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((height, width), 255, np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def test_uploads_go_through_ingest_within_limits(tmp_path: Path) -> None:
    scanned_workspace(tmp_path / "a", ballots=1, review=0.0, seed=3)  # scans to upload
    ws = synthetic_workspace(tmp_path / "b", pages=0)
    add_accounts(ws, {"ope": "operator"})
    limits = Limits(upload_bytes=4 << 20, upload_files=5, upload_pixels=20_000_000)
    client = TestClient(create_app(ws.path, allowed_hosts=HOST, limits=limits))
    h = {"X-CSRF-Token": login(client, "ope"), "Accept": "application/json"}
    truth = read_truth(tmp_path / "a" / "scans" / "truth.json")
    scans = [tmp_path / "a" / "scans" / src for (src, _), t in sorted(truth.items())
             if t["status"] == "accepted"]
    files = [("files", ("../../../etc/" + p.name, p.read_bytes(), "image/jpeg")) for p in scans[:2]]
    files += [("files", ("notes.txt", b"hello", "text/plain")),
              ("files", ("huge.jpg", _jpeg(6000, 4000), "image/jpeg"))]
    result = client.post("/upload", headers=h, files=files)
    assert result.status_code == 200, result.text
    out = result.json()
    assert [p["status"] for p in out["pages"]] == ["accepted", "accepted"]
    assert {r["source"]: r["reason"][:12] for r in out["refused"]} == {
        "notes.txt": "not a scan f", "huge.jpg": "page 1 is 60"}
    stored = sorted(p.name for p in (ws.path / "uploads").iterdir())
    assert len(stored) == 2 and all(re.fullmatch(r"[0-9a-f]{16}-scan-01-\d{3}\.jpg", n) for n in stored)
    assert ws.tally().accepted == 1
    again = client.post("/upload", headers=h, files=files[:1]).json()
    assert again["pages"][0]["status"] == "duplicate"
    too_big = client.post("/upload", headers=h, files=[("files", ("a.jpg", b"\xff" * (5 << 20), "x"))])
    assert too_big.status_code == 413
    assert client.post("/upload", files=files[:1], headers={"Accept": "application/json"}) \
        .status_code == 403  # no CSRF token


def test_an_uploaded_pdf_holding_a_huge_image_is_refused_page_by_page(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=0)
    add_accounts(ws, {"ope": "operator"})
    client = TestClient(create_app(ws.path, allowed_hosts=HOST))
    h = {"X-CSRF-Token": login(client, "ope"), "Accept": "application/json"}
    pdf = pdf_of_grey_images([(400, 566), (40000, 40000)], data=False)
    out = client.post("/upload", headers=h, files=[("files", ("stack.pdf", pdf, "application/pdf"))])
    assert out.status_code == 200, out.text
    pages = out.json()["pages"]
    assert [(p["page_index"], p["status"]) for p in pages] == [(0, "rejected"), (1, "rejected")]
    assert pages[0]["reason"] != pages[1]["reason"]  # the first is read (and is not a ballot)
    assert pages[1]["reason"].startswith("PDF page 2 holds images of 1600 MP")


def test_ten_reviewers_at_once_over_http(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=30, review_rows=5, rejected=10)
    names = [f"r{i:02d}" for i in range(10)]
    add_accounts(ws, dict.fromkeys(names, "reviewer"))
    total = 30 * 5 + 10
    app = create_app(ws.path)
    decided: list[tuple[str, int, str]] = []
    latencies: list[float] = []
    errors: list[BaseException] = []
    guard = threading.Lock()

    def reviewer(name: str, base: str, start: threading.Barrier) -> None:
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                form = client.get("/login")
                token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
                client.post("/login", data={"username": name, "password": PASSWORD, "csrf": token})
                csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/queue").text).group(1)
                h = {"X-CSRF-Token": csrf}
                start.wait()
                item = client.post("/api/queue/next", headers=h).json()["item"]
                while item is not None:
                    value = ("high", "medium", "low")[item["id"] % 3] if item["kind"] == "row" \
                        else "rejected"
                    t0 = time.perf_counter()
                    r = client.post(f"/api/items/{item['id']}/decision", headers=h, json={"value": value})
                    spent = time.perf_counter() - t0
                    assert r.status_code == 200, r.text
                    with guard:
                        decided.append((name, item["id"], value))
                        latencies.append(1000 * spent)
                    item = r.json()["item"]
        except BaseException as exc:  # reported below
            errors.append(exc)

    with ServerThread(app) as server:
        start = threading.Barrier(len(names))
        threads = [threading.Thread(target=reviewer, args=(n, server.url, start)) for n in names]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        seconds = time.perf_counter() - t0
    assert not errors, errors[:3]
    per_item = Counter(item_id for _, item_id, _ in decided)
    assert len(per_item) == total and set(per_item.values()) == {1}  # none lost, none twice
    from pipeline.workflow.review import queue_for

    queue = queue_for(ws)
    assert queue.counts() == {"open": 0, "escalated": 0, "resolved": total, "settled": 0}
    for name, item_id, value in decided:
        [d] = queue.history(item_id)
        assert (d.reviewer, d.value) == (name, value)
    t = ws.tally()
    assert t.pending_review == 0 and t.rejected == 10
    assert sum(c.counts["low"] for c in t.candidates) == sum(1 for *_, v in decided if v == "low")
    busy = Counter(n for n, _, _ in decided)
    lat = sorted(latencies)
    print(f"\n10 reviewers over HTTP: {total} items in {seconds:.2f} s; per reviewer "
          f"{min(busy.values())}-{max(busy.values())}; decision+next latency median "
          f"{statistics.median(lat):.0f} ms, p95 {lat[int(0.95 * len(lat))]:.0f} ms; "
          f"lost 0, counted twice 0")


def test_two_reviewers_decide_blind_and_the_chair_sees_both(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=1, review_rows=1, two_reviewers=True)
    add_accounts(ws, {"lan": "reviewer", "mai": "reviewer", "chu": "chair"})
    app = create_app(ws.path, allowed_hosts=HOST)
    lan, mai, chu = TestClient(app), TestClient(app), TestClient(app)
    h = {name: {"X-CSRF-Token": login(c, name)} for name, c in (("lan", lan), ("mai", mai), ("chu", chu))}
    assert "hai người xem xét" in lan.get("/queue").text
    item = lan.post("/api/queue/next", headers=h["lan"]).json()["item"]
    after = lan.post(f"/api/items/{item['id']}/decision", headers=h["lan"], json={"value": "high"}).json()
    assert after["decided"]["state"] == "open" and after["item"] is None  # lan may not decide it twice
    second = mai.post("/api/queue/next", headers=h["mai"]).json()["item"]
    assert second["id"] == item["id"] and second["decisions"] == [] and "người thứ hai" in second["note"]
    split = mai.post(f"/api/items/{item['id']}/decision", headers=h["mai"], json={"value": "low"}).json()
    assert split["decided"]["state"] == "escalated" and split["counts"]["escalated"] == 1
    chair = chu.post("/api/queue/next", headers=h["chu"]).json()["item"]
    assert chair["state"] == "escalated" and "Trưởng ban quyết định" in chair["note"]
    assert [(d["reviewer"], d["value"]) for d in chair["decisions"]] == [
        ("lan", "Tín nhiệm cao"), ("mai", "Tín nhiệm thấp")]
    done = chu.post(f"/api/items/{item['id']}/decision", headers=h["chu"], json={"value": "low"}).json()
    assert done["decided"]["resolution"] == "low"
    assert ws.tally().candidates[0].counts["low"] == 1


def test_the_chair_decides_a_whole_page_in_the_station(tmp_path: Path) -> None:
    """A page declared invalid, then restored, from its page in the ballot browser: only the
    chair, with the session's CSRF token and a reason; every decision is on the page."""
    ws = synthetic_workspace(tmp_path, pages=3, review_rows=2, rejected=1)
    add_accounts(ws, ACCOUNTS)
    app = create_app(ws.path, allowed_hosts=HOST)
    chair, reviewer = TestClient(app), TestClient(app)
    chair_csrf, rv_csrf = login(chair, "chu"), login(reviewer, "lan")
    page = next(p["id"] for p in ws.store.all_pages() if p["status"] == "accepted")
    before = ws.tally()
    form = {"decision": "invalid", "reason": "không có dấu", "csrf": rv_csrf}
    assert reviewer.post(f"/pages/{page}/decision", data=form).status_code == 403
    assert "decide-page" not in reviewer.get(f"/pages/{page}").text
    shown = chair.get(f"/pages/{page}").text
    assert "decide-page" in shown and "Phiếu không hợp lệ" in shown
    refused = chair.post(f"/pages/{page}/decision", data={**form, "csrf": chair_csrf, "reason": " "})
    assert refused.status_code == 200 and "hãy nêu lý do" in refused.text  # from the catalog
    assert ws.store.page_decision(page) is None
    done = chair.post(f"/pages/{page}/decision", data={**form, "csrf": chair_csrf},
                      follow_redirects=False)
    assert done.status_code == 303
    assert ws.store.page_decision(page) == "invalid"
    assert ws.tally().invalid_ballots == 1 and ws.tally().collected == before.collected
    assert "không có dấu" in chair.get(f"/pages/{page}").text
    chair.post(f"/pages/{page}/decision",
               data={"decision": "restore", "reason": "nhầm", "csrf": chair_csrf})
    assert ws.store.page_decision(page) is None and ws.tally().candidates == before.candidates
    assert chair.post("/pages/999999999999999999999/decision",
                      data={**form, "csrf": chair_csrf}).status_code in (404, 422)
