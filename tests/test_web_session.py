"""A committee's whole session in a real browser (Debian's Chromium, Playwright), at 1366x768.

From a fresh workspace to a downloaded, verified package, in the browser alone: the chair
downloads the ballots to print; the operator uploads the scans (one sheet fed twice, a
rescan); two reviewers resolve every item with the keyboard (one at 1366x768, one at
1366x650, the laptop's screen with the browser's bars and the taskbar taken off); the
chair declares the hand count (miscounted) and the committee, sees every blocker at once,
follows the first to the rescan held as probably the same sheet and says so (the rescan
leaves the count), withdraws a whole stack to rescan it and restores it, declares one page
invalid and withdraws one from the page's view (each taken back), corrects the hand count,
certifies, exports and downloads the package;
the hall's page shows the
result to anyone on the network at 1280x720. Every screen is photographed at 1366x768 and
1366x650, and on every review screen the decision buttons must be inside the window.

Then 500 items decided by keyboard alone, with the questions asked on the way (why a row
is invalid, a level against the row's only mark) and undos: not one decision lost or
recorded twice.

Screenshots go to ``KIEMPHIEU_SCREENSHOTS`` when set, else to the test's temporary folder.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image
from review_cases import (
    CLEAR,
    PASSWORD,
    SAMPLES,
    ServerThread,
    add_accounts,
    campaign_text,
    synthetic_workspace,
)
from sqlalchemy import select
from web_browser import LAPTOP, PROJECTOR, SHORT, needs_chromium

from omr.reasons import FILL_FAINT_MARK
from pipeline.documents.verify import verify_package
from pipeline.domain.campaign import load_campaign, parse_campaign
from pipeline.domain.layout import build_layout
from pipeline.store.schema import decision_table
from pipeline.store.store import NewPage, StoredRow
from pipeline.store.workspace import create_workspace
from pipeline.web.app import create_app
from pipeline.workflow.review import queue_for
from simulator import ScanProfile, VoteMix, VoteModel, read_truth, simulate_stack, write_case

BALLOTS = 3

pytestmark = needs_chromium






def scans_with_a_rescan(where: Path) -> tuple[list[Path], Path]:
    """Scan files of seed 002's ballots (two pages each) with doubtful marks, notes beside
    rows and a memo; plus one ballot page fed through the scanner a second time (the same
    sheet, another image). Returns the files and the rescan."""
    campaign = parse_campaign(campaign_text(), "campaign.yaml")
    stack = simulate_stack(
        campaign, build_layout(campaign), BALLOTS, np.random.default_rng(5),
        profile=ScanProfile(dpi=150), memos=1,
        vote_model=VoteModel(mix=VoteMix(review=0.12, note=0.04), marks=CLEAR))
    write_case(where, stack, ["jpeg"])
    truth = read_truth(where / "truth.json")
    first = next(where / src for (src, _), t in sorted(truth.items())
                 if t["status"] == "accepted" and t["ballot_page"] == 1)
    with Image.open(first) as im:
        again = im.convert("L").rotate(0.4, fillcolor=255)  # fed again: another image
    rescan = where / "scan-rescan.jpg"
    again.save(rescan, quality=85)
    files = sorted(p for p in where.iterdir() if p.suffix == ".jpg")
    return files, rescan


def log_in(context, base: str, name: str, size: dict[str, int] = LAPTOP):
    page = context.new_page()
    page.set_default_timeout(60_000)  # a busy shared machine, not a slow station
    page.set_viewport_size(size)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def photograph(page, shots: Path, name: str, decide: bool = False) -> None:
    """The screen as it is, at 1366x768 and at 1366x650; ``decide``: a review screen, whose
    decision buttons must be inside the window at both sizes."""
    size = page.viewport_size
    for label, s in (("768", LAPTOP), ("650", SHORT)):
        page.set_viewport_size(s)
        page.screenshot(path=str(shots / f"{name}-{label}.png"))
        if decide:
            buttons_inside(page)
    page.set_viewport_size(size)


def buttons_inside(page) -> None:
    """Every decision button shown lies wholly inside the window: no scrolling to decide."""
    height = page.viewport_size["height"]
    shown = page.locator(".controls button:visible")
    assert shown.count() >= 2
    for i in range(shown.count()):
        box = shown.nth(i).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= height, (
            page.viewport_size, shown.nth(i).text_content(), box)
    scroll = page.evaluate("() => [document.scrollingElement.scrollHeight, window.innerHeight]")
    assert scroll[0] <= scroll[1] + 1, scroll


def item_shown(page) -> bool:
    page.wait_for_selector("#item:not([hidden]), #empty:not([hidden])")
    return page.is_visible("#item")


def next_item(page, before: str) -> None:
    page.wait_for_function(
        "(prev) => !document.getElementById('empty').hidden || "
        "(!document.getElementById('station').classList.contains('busy') && "
        "document.getElementById('item-id').textContent !== prev)", arg=before)


def decide_one(page, shots: Path, seen: set[str]) -> None:
    """Decide the item on screen with the keyboard, as its pictures say; the first time a
    screen or a question appears, photograph it and check the buttons are in the window."""
    before = page.text_content("#item-id")
    page.wait_for_function("() => [...document.querySelectorAll('#item img')].every("
                           "(i) => i.closest('[hidden]') || (i.complete && i.naturalWidth > 0))")
    if page.is_visible("#decide-page"):
        if "page" not in seen:
            seen.add("page")
            photograph(page, shots, "review-page-item", decide=True)
        if page.locator(".doubt-mark").count() and "note" not in seen:
            seen.add("note")
            photograph(page, shots, "review-page-note")
        page.keyboard.press("a" if page.is_enabled("#accept-page") else "0")
        next_item(page, before)
        return
    if "row" not in seen:
        seen.add("row")
        photograph(page, shots, "review-row", decide=True)
        # the enlarged boxes keep their shape, so that the frames drawn over them sit on them
        shape = page.evaluate("() => { const i = document.getElementById('zoom-img'); return "
                              "[i.clientWidth / i.clientHeight, i.naturalWidth / i.naturalHeight, "
                              "i.clientHeight]; }")
        assert abs(shape[0] - shape[1]) < 0.03 and shape[2] <= 171, shape
    marked = page.locator("#decide-row button.machine")
    if marked.count() == 1:
        key = marked.locator("kbd").text_content()
        if "confirm" not in seen:  # a level against the only mark: asked first
            seen.add("confirm")
            other = "1" if key != "1" else "3"
            page.keyboard.press(other)
            page.wait_for_selector("#ask-confirm:not([hidden])")
            assert page.locator("#decide-row").is_hidden()
            photograph(page, shots, "review-confirm", decide=True)
            page.keyboard.press("Escape")
            assert page.is_visible("#decide-row") and page.text_content("#item-id") == before
        page.keyboard.press(key)
    else:
        page.keyboard.press("0")  # several marks or none: invalid, and why
        page.wait_for_selector("#ask-reason:not([hidden])")
        if "reason" not in seen:
            seen.add("reason")
            photograph(page, shots, "review-invalid-reason", decide=True)
        page.keyboard.press("2" if marked.count() > 1 else "1")
    next_item(page, before)


def test_a_whole_session_in_the_browser(tmp_path: Path, browser, shots: Path) -> None:
    ws = create_workspace(parse_campaign(campaign_text(), "campaign.yaml"), tmp_path / "ws")
    add_accounts(ws, {"ope": "operator", "lan": "reviewer", "mai": "reviewer", "chu": "chair"})
    files, rescan = scans_with_a_rescan(tmp_path / "scans")
    with ServerThread(create_app(ws.path)) as server:
        base = server.url
        chair_ctx = browser.new_context(accept_downloads=True, locale="vi-VN")
        chair = log_in(chair_ctx, base, "chu")

        # the chair: the dashboard says what comes first; the ballots to print. From here
        # on the chair only follows links, from login to the downloaded package
        chair.click("#empty a[href='/dashboard']")
        assert "Tải lên các bản quét phiếu" in chair.text_content("[data-testid=next-step]")
        photograph(chair, shots, "dashboard-start")
        chair.click("header nav a[href='/chair']")
        photograph(chair, shots, "chair-start")
        with chair.expect_download() as got:
            chair.click("[data-testid=ballots-pdf]")
        assert got.value.suggested_filename.endswith(".pdf")
        assert Path(got.value.path()).read_bytes()[:5] == b"%PDF-"

        # the operator uploads every scan, the rescan among them; the stored pages listed
        ope_ctx = browser.new_context(locale="vi-VN")
        ope = log_in(ope_ctx, base, "ope")
        ope.click("[data-testid=next-step] a")
        assert ope.url.endswith("/upload")
        first = [f for f in files if f != rescan]
        ope.set_input_files("#files", [str(f) for f in first])
        ope.click("#upload-form button[type=submit]")
        ope.wait_for_function("(n) => document.querySelectorAll('#upload-results tr').length >= n",
                              arg=len(first), timeout=120_000)
        photograph(ope, shots, "upload-done")
        # a sheet fed again, uploaded on its own: a stack of its own
        ope.set_input_files("#files", [str(rescan)])
        ope.click("#upload-form button[type=submit]")
        ope.wait_for_function("() => document.getElementById('upload-status').textContent"
                              ".includes(': 1')", timeout=60_000)
        ope.click("header nav a[href='/pages']")
        photograph(ope, shots, "pages")
        ope_ctx.close()

        # two reviewers resolve every item with the keyboard, one on the short screen
        lan_ctx = browser.new_context(locale="vi-VN")
        mai_ctx = browser.new_context(locale="vi-VN")
        lan = log_in(lan_ctx, base, "lan", LAPTOP)
        mai = log_in(mai_ctx, base, "mai", SHORT)
        seen: set[str] = set()
        decided = 0
        while True:
            busy = [p for p in (lan, mai) if item_shown(p)]
            if not busy:
                break
            for page in busy:
                decide_one(page, shots, seen)
                decided += 1
            assert decided < 200
        assert {"row", "page", "confirm", "reason"} <= seen, seen
        photograph(mai, shots, "review-empty")
        mine = int(lan.text_content("#count-mine")) + int(mai.text_content("#count-mine"))
        assert mine == decided
        lan_ctx.close()
        mai_ctx.close()

        # the chair withdraws the whole first stack to rescan it: its pages leave the count;
        # then, the scans found sound, restores it and they count again
        counted = ws.tally().accepted
        assert counted > 0
        chair.click("header nav a[href='/stacks']")
        first_stack = chair.locator("tr[data-stack='1']")
        first_stack.locator("input[name=reason]").fill("quét lệch, quét lại")
        first_stack.locator("button[type=submit]").last.click()
        first_stack = chair.locator("tr[data-stack='1']")
        assert "withdrawn" in (first_stack.get_attribute("class") or "")
        assert "Đã rút" in first_stack.text_content()
        assert ws.tally().accepted == 0 and ws.tally().withdrawn > 0
        photograph(chair, shots, "stacks-withdrawn")
        first_stack.locator("input[name=reason]").fill("ảnh quét rõ, không cần quét lại")
        first_stack.locator("button[type=submit]").last.click()
        first_stack = chair.locator("tr[data-stack='1']")
        assert "withdrawn" not in (first_stack.get_attribute("class") or "")
        assert ws.tally().accepted == counted and ws.tally().withdrawn == 0
        photograph(chair, shots, "stacks-restored")

        # one ballot page, from the pages' list: declared invalid, restored; withdrawn, restored
        chair.click("header nav a[href='/pages']")
        chair.click("a[href='/pages?status=accepted']")
        chair.locator("table a[href^='/pages/']").first.click()
        invalid_before = ws.tally().invalid_ballots
        chair.locator("#chair").scroll_into_view_if_needed()
        photograph(chair, shots, "page-chair-decision")
        for decision, effect in (("invalid", "invalid_ballots"), ("withdraw", "withdrawn")):
            before = getattr(ws.tally(), effect)
            chair.check(f"#chair input[name=decision][value={decision}]")
            chair.fill("#chair input[name=reason]", "tờ phiếu không có dấu")
            chair.click("#chair button[type=submit]")
            assert "decided-" + decision in chair.inner_html("#chair")
            assert getattr(ws.tally(), effect) == before + 1, decision
            photograph(chair, shots, f"page-{decision}")
            chair.fill("#chair input[name=reason]", "nhầm trang")
            chair.click("#chair button[type=submit]")
            assert chair.locator("#chair input[name=decision][value=invalid]").count() == 1
            assert getattr(ws.tally(), effect) == before
        assert ws.tally().invalid_ballots == invalid_before and ws.tally().accepted == counted

        # the chair declares, miscounting the ballots collected; what stands in the way is
        # listed all at once, each with where to resolve it: the rescan, held for the chair
        # as probably the same sheet, and the hand count
        chair.click("header nav a[href='/chair']")
        chair.fill("input[name=issued]", str(BALLOTS + 1))
        chair.fill("input[name=collected]", str(BALLOTS + 1))
        chair.fill("input[name=head]", "Nguyễn Thị Hoa")
        chair.locator("input[name=member_name]").nth(0).fill("Trần Văn Bình")
        chair.locator("select[name=member_role]").nth(0).select_option("member_secretary")
        chair.locator("input[name=member_name]").nth(1).fill("Lê Minh Châu")
        chair.click("[data-testid=declare]")
        recon = chair.locator("#reconciliation table")
        assert recon.locator("tr[data-page='1'] td").nth(1).text_content() == str(BALLOTS)
        links = [a.get_attribute("href") for a in chair.locator("[data-testid=blockers] li a").all()]
        assert "/queue" in links and "/chair#reconciliation" in links, links
        assert chair.locator("[data-testid=certify]").count() == 0
        photograph(chair, shots, "chair-blocked")

        # the rescan: the chair sees both pages side by side and says they are one sheet
        chair.locator("[data-testid=blockers] li a[href='/queue']").first.click()
        chair.wait_for_selector("#decide-same:not([hidden])")
        assert rescan.name in chair.text_content("#item-title")
        before = chair.text_content("#item-id")
        photograph(chair, shots, "review-same-sheet", decide=True)
        chair.keyboard.press("s")
        next_item(chair, before)
        assert chair.is_visible("#empty")
        chair.click("header nav a[href='/record']")
        photograph(chair, shots, "record")

        # the hand count corrected: nothing left in the way; certify, export, download, verify
        chair.click("header nav a[href='/chair']")
        chair.fill("input[name=collected]", str(BALLOTS))
        chair.click("[data-testid=declare]")
        assert chair.locator("[data-testid=blockers]").count() == 0
        photograph(chair, shots, "chair-ready")
        chair.click("[data-testid=certify]")
        assert "xác nhận" in chair.text_content("[data-testid=certified]")
        assert "Xuất hồ sơ" in chair.text_content("[data-testid=next-step]")
        chair.click("[data-testid=export]")
        with chair.expect_download() as got:
            chair.click("[data-testid=package]")
        package = tmp_path / "package"
        with zipfile.ZipFile(got.value.path()) as z:
            z.extractall(package)
        (folder,) = package.iterdir()
        assert verify_package(folder).ok
        photograph(chair, shots, "chair-exported")

        # the summary no longer calls the result provisional
        chair.click("header nav a[href='/dashboard']")
        title = chair.text_content("[data-testid=tally-title]")
        assert "tạm tính" not in title and "xác nhận" in title
        assert "chứng nhận" not in chair.text_content("main")
        assert not re.search(r"\d\.\d\d ?%", chair.text_content("main"))  # comma decimals
        photograph(chair, shots, "dashboard-certified")

        # the result in the hall: switched on by the chair, seen without login
        assert chair_ctx.new_page().goto(f"{base}/hall").status == 404
        chair.click("[data-testid=next-step] a[href='/chair#hall']")
        chair.click("[data-testid=hall-on]")
        assert chair.locator("[data-testid=next-step].done").count() == 1
        hall_ctx = browser.new_context(viewport=PROJECTOR, locale="vi-VN")
        hall = hall_ctx.new_page()
        hall.goto(f"{base}/hall")
        assert ws.campaign.body in hall.text_content(".hall-head")
        hall.wait_for_function("() => document.body.dataset.screens")
        screens = int(hall.evaluate("() => document.body.dataset.screens"))
        shown = hall.locator(".hall-table tbody tr:visible").count()
        assert screens >= 2 and shown >= 4  # 18 people: a few screens of several
        first = ws.campaign.candidates[0]
        row = hall.locator(f"tr[data-candidate='{first.stt}']")
        assert first.name in row.text_content()
        assert re.search(r"\d+,\d\d %", row.text_content())
        assert hall.evaluate("() => document.scrollingElement.scrollHeight <= window.innerHeight + 1")
        hall.screenshot(path=str(shots / "hall-1280.png"))
        hall.wait_for_function("() => document.body.dataset.screen === '2'", timeout=20_000)
        assert hall.evaluate("() => document.scrollingElement.scrollHeight <= window.innerHeight + 1")
        hall.screenshot(path=str(shots / "hall-1280-screen-2.png"))
        hall_ctx.close()
        chair_ctx.close()


def test_five_hundred_items_by_keyboard_none_lost_none_twice(tmp_path: Path, browser) -> None:
    ws = synthetic_workspace(tmp_path, pages=50, review_rows=10)  # each row: one faint mark in box 2
    add_accounts(ws, {"lan": "reviewer"})
    expected: Counter[str] = Counter()
    with ServerThread(create_app(ws.path)) as server:
        context = browser.new_context(viewport=SHORT)
        page = log_in(context, server.url, "lan", SHORT)
        page.wait_for_selector("#item:not([hidden])")
        for n in range(500):
            before = page.text_content("#item-id")
            if n % 50 == 7:  # a level against the only mark: asked, then confirmed with Enter
                page.keyboard.press("1")
                page.wait_for_selector("#ask-confirm:not([hidden])")
                page.keyboard.press("Enter")
                expected["high"] += 1
            elif n % 37 == 3:  # invalid: the reason chosen by its number
                page.keyboard.press("0")
                page.wait_for_selector("#ask-reason:not([hidden])")
                page.keyboard.press("3")
                expected["invalid"] += 1
            else:
                page.keyboard.press("2")
                expected["medium"] += 1
            next_item(page, before)
            if n % 100 == 50:  # take it back and decide it again
                again = page.text_content("#item-id")
                page.keyboard.press("u")
                next_item(page, again)
                undone = page.text_content("#item-id")
                page.keyboard.press("2")
                next_item(page, undone)
                expected["medium"] += 1  # the log keeps the decision taken back, and the undo
                expected["undo"] += 1
        page.wait_for_selector("#empty:not([hidden])")
        assert page.text_content("#count-mine") == "500"
        context.close()
    with ws.store.engine.connect() as conn:
        log = conn.execute(select(decision_table.c.item_id, decision_table.c.value)).all()
    values = Counter(v for _, v in log)
    assert values["undo"] == expected["undo"]
    assert Counter({k: values[k] for k in ("high", "medium", "low", "invalid")}) == Counter(
        {k: expected[k] for k in ("high", "medium", "invalid")} | {"low": 0})
    items = Counter(i for i, v in log if v != "undo")
    undone = Counter(i for i, v in log if v == "undo")
    assert len(items) == 500
    assert all(items[i] - undone[i] == 1 for i in items)
    assert queue_for(ws).counts() == {"open": 0, "escalated": 0, "resolved": 500} | {
        k: v for k, v in queue_for(ws).counts().items() if k not in ("open", "escalated", "resolved")}


def test_two_items_on_the_same_person_in_a_row_say_so(tmp_path: Path, browser) -> None:
    ws = synthetic_workspace(tmp_path, pages=2, review_rows=1)  # STT 1 on two ballots
    add_accounts(ws, {"lan": "reviewer"})
    with ServerThread(create_app(ws.path)) as server:
        context = browser.new_context(viewport=SHORT)
        page = log_in(context, server.url, "lan", SHORT)
        page.wait_for_selector("#item:not([hidden])")
        first = (page.text_content("#item-title"), page.get_attribute("#item", "class"),
                 page.text_content("#item-scan"))
        assert page.is_hidden("#same-person")
        before = page.text_content("#item-id")
        page.click("#decide-row button[data-value=medium]")
        next_item(page, before)
        page.wait_for_selector("#same-person:not([hidden])")
        second = (page.text_content("#item-title"), page.get_attribute("#item", "class"),
                  page.text_content("#item-scan"))
        assert first[0] == second[0]  # the same person ...
        assert first[1] != second[1] and first[2] != second[2]  # ... told apart
        # the button clicked gave the focus back: Enter decides nothing
        page.keyboard.press("Enter")
        page.wait_for_timeout(300)
        assert page.text_content("#count-mine") == "1"
        context.close()


def test_a_two_level_ballot_is_decided_with_its_own_keys(tmp_path: Path, browser) -> None:
    """The follow-up vote's ballot has two boxes: its keys are 1 and 2, and a level against
    the row's only mark asks first there too."""
    campaign = load_campaign(SAMPLES / "bo-phieu-ninhson-2024.yaml")
    ws = create_workspace(campaign, tmp_path / "ws")
    ws.store.add_page(NewPage(
        source="stack.pdf", page_index=0, image_sha256="a" * 64, image_path="images/a.png",
        status="accepted", ballot_page=1,
        rows=(StoredRow(1, "review", None, (FILL_FAINT_MARK(box=1, fill=0.05),), (0.05, 0.0)),
              StoredRow(2, "vote", "confidence", (), (0.4, 0.0)))))
    add_accounts(ws, {"lan": "reviewer"})
    with ServerThread(create_app(ws.path)) as server:
        context = browser.new_context(viewport=SHORT)
        page = log_in(context, server.url, "lan", SHORT)
        page.wait_for_selector("#item:not([hidden])")
        buttons = page.locator("#decide-row button")
        assert [b.get_attribute("data-value") for b in buttons.all()] == [
            "confidence", "no_confidence", "invalid"]
        assert page.locator("#decide-row button.machine").get_attribute("data-value") == "confidence"
        page.keyboard.press("3")  # no third box: nothing happens
        assert page.is_hidden("#ask-confirm") and page.text_content("#count-mine") == "0"
        page.keyboard.press("2")
        page.wait_for_selector("#ask-confirm:not([hidden])")
        page.keyboard.press("2")  # the same key again confirms
        page.wait_for_selector("#empty:not([hidden])")
        context.close()
    (item,) = queue_for(ws).items()
    assert item.resolution == "no_confidence"
