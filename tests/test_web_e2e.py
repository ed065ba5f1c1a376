"""The web station in a real browser: Debian's Chromium driven by Playwright.

A counting committee's session: a reviewer logs in and resolves items with
the keyboard while the dashboard, open in another tab, shows the tally
change; an operator uploads a scan by drag and drop but cannot resolve; a
stranger sees nothing. Screenshots go to ``KIEMPHIEU_SCREENSHOTS`` (a
folder) when set, else to the test's temporary folder.

Chromium is Debian's (``apt-get install chromium``; ``bash dev.sh test``
installs it); Playwright never downloads a browser here.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from review_cases import PASSWORD, ServerThread, add_accounts, scanned_workspace
from web_browser import needs_chromium

from pipeline.web.app import create_app
from simulator import read_truth

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("e2e")
    ws = scanned_workspace(tmp, ballots=4, review=0.25)
    add_accounts(ws, {"lan": "reviewer", "ope": "operator", "chu": "chair"})
    extra = scanned_workspace(tmp / "more", ballots=1, review=0.0, seed=11)  # scans to upload
    truth = read_truth(tmp / "more" / "scans" / "truth.json")
    upload = next(tmp / "more" / "scans" / src for (src, _), t in sorted(truth.items())
                  if t["status"] == "accepted")
    del extra
    with ServerThread(create_app(ws.path)) as server:
        yield server.url, upload






def log_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def answer(page, before: str) -> None:
    """Answer the question a key may ask: why a row is invalid (the first reason), or
    whether to record a level against the row's only mark (yes). ``before``: the item
    on screen when the key was pressed (a decision without a question replaces it)."""
    page.wait_for_function("(prev) => document.querySelector('#station.busy') || "
                           "!document.getElementById('ask-reason').hidden || "
                           "!document.getElementById('ask-confirm').hidden || "
                           "!document.getElementById('empty').hidden || "
                           "document.getElementById('item-id').textContent !== prev", arg=before)
    if page.is_visible("#ask-reason"):
        page.keyboard.press("1")
    elif page.is_visible("#ask-confirm"):
        page.keyboard.press("Enter")


def summary_numbers(page) -> dict[str, int]:
    return {k: int(page.text_content(f"[data-testid={k}]")) for k in ("scanned", "accepted", "pending")}


def test_reviewer_resolves_by_keyboard_and_the_tally_changes(station, browser, shots: Path) -> None:
    base, _ = station
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN")
    page = context.new_page()
    log_in(page, base, "lan")
    page.wait_for_url(f"{base}/queue")
    page.wait_for_selector("#item:not([hidden])")
    page.wait_for_function("() => document.getElementById('crop-img').complete && "
                           "document.getElementById('crop-img').naturalWidth > 0")
    page.wait_for_function("() => document.getElementById('page-img').complete && "
                           "document.getElementById('page-img').naturalWidth > 0")
    assert page.text_content(".kicker")
    assert "Tín nhiệm cao" in page.text_content("#decide-row")
    page.screenshot(path=str(shots / "queue-row.png"))

    board = context.new_page()
    board.goto(f"{base}/dashboard")
    before = summary_numbers(board)
    assert before["pending"] >= 6
    board.screenshot(path=str(shots / "dashboard-before.png"), full_page=True)

    page.evaluate("window.__noReload = 'still here'")
    open_count = int(page.text_content("#count-open"))
    resolved = []
    for key in ("2", "1", "0", "3"):
        current = page.text_content("#item-id")
        page.keyboard.press(key)
        answer(page, current)
        page.wait_for_function("(prev) => document.getElementById('item-id').textContent !== prev "
                               "|| !document.getElementById('empty').hidden", arg=current)
        resolved.append(current)
        assert "Đã ghi" in page.text_content("#toast")
    assert page.evaluate("window.__noReload") == "still here"  # the next items came without a reload
    assert int(page.text_content("#count-open")) == open_count - 4
    assert page.text_content("#count-mine") == "4"

    # U takes the last decision back and shows its item again
    page.keyboard.press("u")
    page.wait_for_function("(prev) => document.getElementById('item-id').textContent.startsWith(prev)",
                           arg=resolved[-1].split(" ")[0] + " ")
    assert "Đã hoàn tác" in page.text_content("#toast")
    again = page.text_content("#item-id")
    page.keyboard.press("3")
    answer(page, again)
    page.wait_for_function("() => document.getElementById('count-mine').textContent === '4'")

    board.wait_for_function(
        "(n) => Number(document.querySelector('[data-testid=pending]').textContent) === n",
        arg=before["pending"] - 4, timeout=10_000)
    board.screenshot(path=str(shots / "dashboard-after.png"), full_page=True)

    # the English switch
    page.click("a.lang")
    page.wait_for_selector("#item:not([hidden]), #empty:not([hidden])")
    assert "High confidence" in page.text_content("#decide-row")
    page.screenshot(path=str(shots / "queue-english.png"))
    page.click("a.lang")
    page.wait_for_selector("#item:not([hidden]), #empty:not([hidden])")
    assert "Tín nhiệm cao" in page.text_content("#decide-row")

    # the ballot browser: a page with its reading drawn over it
    page.goto(f"{base}/pages")
    page.screenshot(path=str(shots / "pages.png"), full_page=True)
    page.goto(f"{base}/pages/1")
    page.wait_for_function("() => document.querySelector('.sheet img').naturalWidth > 0")
    assert page.locator(".sheet svg rect.box").count() >= 30
    page.screenshot(path=str(shots / "ballot-browser.png"), full_page=True)
    page.goto(f"{base}/record")
    page.screenshot(path=str(shots / "record.png"), full_page=True)
    context.close()


def test_chair_decides_pages_and_sees_the_empty_queue(station, browser, shots: Path) -> None:
    base, _ = station
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    log_in(page, base, "chu")
    page.wait_for_url(f"{base}/queue")
    seen_page_item = False
    for _ in range(40):
        page.wait_for_selector("#item:not([hidden]), #empty:not([hidden])")
        if page.is_visible("#empty"):
            break
        current = page.text_content("#item-id")
        if page.is_visible("#decide-page"):
            if not seen_page_item:
                page.wait_for_function("() => document.getElementById('crop-img').complete")
                page.screenshot(path=str(shots / "queue-page-item.png"))
                seen_page_item = True
            page.keyboard.press("0")  # the memo: a person confirms the rejection
        else:
            page.keyboard.press("1")
            answer(page, current)
        page.wait_for_function("(prev) => document.getElementById('item-id').textContent !== prev "
                               "|| !document.getElementById('empty').hidden", arg=current)
    assert seen_page_item and page.is_visible("#empty")
    assert "Không còn mục nào cần xem xét" in page.text_content("#empty")
    page.screenshot(path=str(shots / "queue-empty.png"))
    page.goto(f"{base}/dashboard")
    assert summary_numbers(page)["pending"] == 0
    context.close()


def test_operator_uploads_by_drag_and_drop_but_cannot_resolve(station, browser, shots: Path) -> None:
    base, upload = station
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    page = context.new_page()
    log_in(page, base, "ope")
    page.wait_for_url(f"{base}/dashboard")
    assert page.locator("header nav a[href='/queue']").count() == 0
    response = page.goto(f"{base}/queue")
    assert response.status == 403 and "Bạn không có quyền" in page.text_content("main")
    page.screenshot(path=str(shots / "operator-forbidden.png"))
    csrf = page.get_attribute("meta[name=csrf-token]", "content")
    api = page.request.post(f"{base}/api/items/1/decision", headers={"X-CSRF-Token": csrf},
                            data={"value": "high"})
    assert api.status == 403

    page.goto(f"{base}/dashboard")
    scanned = summary_numbers(page)["scanned"]
    page.goto(f"{base}/upload")
    data = base64.b64encode(upload.read_bytes()).decode()
    transfer = page.evaluate_handle(
        """([name, b64]) => {
             const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
             const dt = new DataTransfer();
             dt.items.add(new File([bytes], name, {type: "image/jpeg"}));
             return dt;
           }""", [upload.name, data])
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})
    page.wait_for_selector("#upload-results .st.accepted", timeout=30_000)
    page.screenshot(path=str(shots / "upload-done.png"), full_page=True)
    page.goto(f"{base}/dashboard")
    assert summary_numbers(page)["scanned"] == scanned + 1
    context.close()


def test_a_stranger_sees_nothing(station, browser) -> None:
    base, _ = station
    context = browser.new_context()
    page = context.new_page()
    for path in ("/queue", "/dashboard", "/pages/1", "/record", "/upload"):
        page.goto(f"{base}{path}")
        assert re.search(r"/login\?next=", page.url), page.url
        assert page.locator("table").count() == 0
    for path in ("/pages/1/upright.jpg", "/items/1/crop.jpg", "/api/summary"):
        assert page.request.get(f"{base}{path}").status == 401
    wrong = page.request.post(f"{base}/api/queue/next")
    assert wrong.status == 401
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "lan")
    page.fill("input[name=password]", "khong-dung-mat-khau")
    page.click("button[type=submit]")
    assert "Sai tên đăng nhập hoặc mật khẩu" in page.text_content(".error")
    context.close()
