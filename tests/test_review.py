"""The review queue: decisions on the record, undo, two reviewers, the chair, leases, the lock.

The workflow is tested over the store with made-up readings; the last tests
run ten reviewers at once and the terminal commands.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from review_cases import PASSWORD, add_accounts, synthetic_workspace
from sqlalchemy import update

from omr.reasons import NOTE, NOTE_ROW_RIGHT
from pipeline.store.schema import campaign_table
from pipeline.store.store import NewPage, StoredRow, now
from pipeline.workflow.review import (
    BadDecision,
    CountLocked,
    ItemTaken,
    NotAllowed,
    NothingToUndo,
    Person,
    ReviewQueue,
    derive,
    queue_for,
)

LAN = Person("lan", "reviewer")
MAI = Person("mai", "reviewer")
CHU = Person("chu", "chair")
OPE = Person("ope", "operator")
KIEMPHIEU = str(Path(sys.executable).with_name("kiemphieu"))


class Clock:
    def __init__(self) -> None:
        self.at = now()

    def __call__(self) -> dt.datetime:
        return self.at


def test_a_decision_resolves_a_row_is_recorded_and_counts(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=2, review_rows=2, rejected=1)
    queue = queue_for(ws)
    assert queue.counts() == {"open": 5, "escalated": 0, "resolved": 0, "settled": 0}
    assert ws.tally().candidates[0].pending == 2

    first = queue.claim_next(LAN)
    assert first is not None and first.kind == "row" and first.claimed_by == "lan"
    done = queue.decide(LAN, first.id, "medium")
    assert (done.state, done.resolution, done.claimed_by) == ("resolved", "medium", None)
    [d] = queue.history(first.id)
    assert (d.reviewer, d.role, d.value, d.machine) == ("lan", "reviewer", "medium",
                                                        "review 0.000/0.050/0.000")
    t = ws.tally()
    assert t.candidates[0].counts["medium"] == 1 and t.candidates[0].pending == 1

    with pytest.raises(BadDecision, match="say why"):
        queue.decide(LAN, 2, "invalid")
    with pytest.raises(BadDecision, match="is a row"):
        queue.decide(LAN, 2, "accepted")
    queue.decide(LAN, 2, "invalid", reason="  hai ô   được đánh dấu ")
    assert queue.history(2)[-1].reason == "hai ô được đánh dấu"
    assert ws.tally().candidates[1].counts["invalid"] == 1

    # a reviewer cannot change a resolved item; the chair can, with a new decision on the record
    with pytest.raises(NotAllowed, match="already resolved"):
        queue.decide(MAI, first.id, "high")
    queue.decide(CHU, first.id, "high", reason="xem lại: dấu rõ ở ô 1")
    assert [x.value for x in queue.history(first.id)] == ["medium", "high"]
    one = ws.tally().candidates[0]
    assert (one.counts["high"], one.counts["medium"], one.pending) == (1, 0, 1)


def test_pages_rejected_by_the_machine_can_only_be_confirmed_and_people_can_reject_pages(
        tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=1, review_rows=0, rejected=1)
    queue = queue_for(ws)
    [item] = queue.items()
    assert item.kind == "page" and not item.has_reading and item.values() == ("rejected",)
    with pytest.raises(BadDecision, match="no machine reading"):
        queue.decide(LAN, item.id, "accepted")
    queue.decide(LAN, item.id, "rejected")

    # an accepted page with a doubt (writing outside the boxes) is counted until a person rejects it
    record, _ = ws.store.add_page(NewPage(
        source="b.pdf", page_index=0, image_sha256="f" * 64, image_path="images/f.png",
        status="accepted", ballot_page=1,
        rows=tuple(StoredRow(s, "vote", "low", (), (0, 0, 0.4)) for s in range(1, 13)),
        doubts=(NOTE(where=NOTE_ROW_RIGHT(row=3), w_mm=12, h_mm=5, x_mm=190, y_mm=101),)))
    doubt = queue.items(["open"])[0]
    assert doubt.page_id == record.id and doubt.values() == ("accepted", "rejected")
    assert ws.tally().candidates[0].counts["low"] == 1
    queue.decide(LAN, doubt.id, "rejected", reason="có chữ viết thêm")
    t = ws.tally()
    assert t.candidates[0].counts["low"] == 0 and t.rejected == 2 and t.accepted == 1


def test_undo_takes_back_only_your_latest_decision_and_is_itself_recorded(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=1, review_rows=3)
    queue = queue_for(ws)
    with pytest.raises(NothingToUndo):
        queue.undo(LAN)
    queue.decide(LAN, 1, "high")
    queue.decide(LAN, 2, "low")
    back = queue.undo(LAN)
    assert back.id == 2 and back.state == "open" and back.claimed_by == "lan"
    assert [d.value for d in queue.history(2)] == ["low", "undo"]
    assert queue.history(2)[1].replaces == queue.history(2)[0].id
    assert queue.undo(LAN).id == 1  # then the one before
    with pytest.raises(NothingToUndo):
        queue.undo(LAN)

    queue.decide(LAN, 3, "medium")
    queue.decide(CHU, 3, "low")  # the chair decided after: lan's can no longer be undone
    with pytest.raises(NothingToUndo, match="decided after you"):
        queue.undo(LAN, 3)
    assert queue.get(3).resolution == "low"
    assert queue.decided_by("lan") == 1


def test_roles_and_leases(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=1, review_rows=3)
    clock = Clock()
    queue = ReviewQueue(ws.store, clock=clock)
    with pytest.raises(NotAllowed, match="operator"):
        queue.claim_next(OPE)
    with pytest.raises(NotAllowed):
        queue.decide(OPE, 1, "high")

    a = queue.claim_next(LAN)
    b = queue.claim_next(MAI)
    assert a and b and a.id != b.id
    assert queue.claim_next(LAN).id == a.id  # the held item comes back, not a new one
    with pytest.raises(ItemTaken, match="lan"):
        queue.decide(MAI, a.id, "high")
    clock.at += dt.timedelta(minutes=3)  # lan walked away: the lease ran out
    c = queue.claim_next(MAI)
    assert c.id == b.id  # mai still holds b (her own claim comes first)
    queue.decide(MAI, b.id, "high")
    assert queue.claim_next(MAI).id == a.id
    with pytest.raises(ItemTaken, match="mai"):
        queue.decide(LAN, a.id, "high")
    queue.release(MAI, a.id)
    queue.decide(LAN, a.id, "low")


def test_two_reviewers_must_agree_and_the_chair_settles_a_disagreement(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=1, review_rows=2, two_reviewers=True)
    queue = queue_for(ws)
    assert queue.two_reviewers
    queue.decide(LAN, 1, "high")
    assert queue.get(1).state == "open"
    with pytest.raises(NotAllowed, match="already decided"):
        queue.decide(LAN, 1, "high")
    assert queue.claim_next(LAN).id == 2  # not item 1 again
    queue.release(LAN, 2)
    assert queue.claim_next(MAI).id == 1
    agreed = queue.decide(MAI, 1, "high")
    assert (agreed.state, agreed.resolution) == ("resolved", "high")

    queue.decide(LAN, 2, "medium")
    split = queue.decide(MAI, 2, "low")
    assert (split.state, split.resolution) == ("escalated", None)
    assert ws.tally().candidates[1].pending == 1  # still not counted
    with pytest.raises(NotAllowed, match="only the chair"):
        queue.decide(Person("ha", "reviewer"), 2, "low")
    assert queue.claim_next(Person("ha", "reviewer")) is None
    assert queue.claim_next(CHU).id == 2
    settled = queue.decide(CHU, 2, "low", reason="dấu ở ô 3 rõ hơn")
    assert (settled.state, settled.resolution) == ("resolved", "low")
    assert ws.tally().candidates[1].counts["low"] == 1


def test_derive_replays_the_log() -> None:
    def d(i: int, who: str, value: str, role: str = "reviewer", replaces: int | None = None):
        from pipeline.workflow.review import Decision
        return Decision(i, 1, who, role, now(), "review", value, None, replaces)

    assert derive([], False) == ("open", None)
    assert derive([d(1, "a", "high")], False) == ("resolved", "high")
    assert derive([d(1, "a", "high"), d(2, "a", "undo", replaces=1)], False) == ("open", None)
    assert derive([d(1, "a", "high")], True) == ("open", None)
    assert derive([d(1, "a", "high"), d(2, "b", "low")], True) == ("escalated", None)
    assert derive([d(1, "a", "high"), d(2, "b", "low"), d(3, "c", "low", "chair")], True) == \
        ("resolved", "low")
    assert derive([d(1, "a", "high"), d(2, "b", "low"), d(3, "b", "undo", replaces=2),
                   d(4, "c", "high")], True) == ("resolved", "high")


def test_after_certification_every_decision_is_refused(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=1, review_rows=2)
    queue = queue_for(ws)
    queue.decide(LAN, 1, "high")
    with ws.store.transaction() as conn:
        conn.execute(update(campaign_table).values(certified_at=now()))
    for action in (lambda: queue.decide(LAN, 2, "high"), lambda: queue.undo(LAN),
                   lambda: queue.decide(CHU, 1, "low")):
        with pytest.raises(CountLocked, match="certified"):
            action()
    assert [d.value for d in queue.history(1)] == ["high"]


@pytest.mark.parametrize("two_reviewers", [False, True], ids=["one-reviewer", "two-reviewers"])
def test_ten_reviewers_at_once_lose_nothing_count_nothing_twice_share_no_item(
        tmp_path: Path, two_reviewers: bool) -> None:
    ten_reviewers_at_once(synthetic_workspace(tmp_path, pages=40, review_rows=5, rejected=10,
                                              two_reviewers=two_reviewers), two_reviewers)


def test_ten_reviewers_at_once_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    """The same on PostgreSQL: claims by SELECT ... FOR UPDATE SKIP LOCKED."""
    ten_reviewers_at_once(synthetic_workspace(tmp_path, pages=40, review_rows=5, rejected=10,
                                              two_reviewers=True, db_url=pg_url), True)


def ten_reviewers_at_once(ws, two_reviewers: bool) -> None:
    total = 40 * 5 + 10
    reviewers = [Person(f"r{i}", "reviewer") for i in range(10)]
    handed: list[tuple[str, int]] = []
    holding: dict[int, str] = {}
    overlaps: list[tuple[int, str, str]] = []
    errors: list[BaseException] = []
    guard = threading.Lock()
    start = threading.Barrier(len(reviewers))

    def work(me: Person) -> None:
        queue = queue_for(ws)
        start.wait()
        deadline = time.monotonic() + 90
        try:
            while time.monotonic() < deadline:
                item = queue.claim_next(me)
                if item is None:
                    # like a person at the station: nothing for me now, but an item another
                    # reviewer holds may come back needing a second reviewer; stop when
                    # nothing is left open
                    if queue.counts()["open"] == 0:
                        break
                    time.sleep(0.01)
                    continue
                with guard:
                    handed.append((me.name, item.id))
                    if item.id in holding:
                        overlaps.append((item.id, holding[item.id], me.name))
                    holding[item.id] = me.name
                value = ("high", "medium", "low")[item.id % 3] if item.kind == "row" else "rejected"
                with guard:
                    del holding[item.id]  # before the decision commits: another may claim it next
                queue.decide(me, item.id, value)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(r,)) for r in reviewers]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    seconds = time.perf_counter() - t0
    assert not errors, errors[:3]
    assert not overlaps, overlaps[:5]
    queue = queue_for(ws)
    assert queue.counts() == {"open": 0, "escalated": 0, "resolved": total, "settled": 0}
    per_item = Counter(item_id for _, item_id in handed)
    need = 2 if two_reviewers else 1
    assert set(per_item.values()) == {need}  # every item handed out exactly as often as needed
    for item in queue.items():
        log = queue.history(item.id)
        assert len(log) == need and len({d.reviewer for d in log}) == need
    t = ws.tally()
    assert t.pending_review == 0 and t.rejected == 10
    decided = Counter(("high", "medium", "low")[i % 3] for i in range(1, total + 1)
                      if queue.get(i).kind == "row")
    counted = Counter()
    for c in t.candidates:
        for lv in ("high", "medium", "low"):
            counted[lv] += c.counts[lv]
    voted_by_machine = 40 * 7  # the rows read as "high" by the machine
    assert counted["high"] - voted_by_machine == decided["high"]
    assert (counted["medium"], counted["low"]) == (decided["medium"], decided["low"])
    busy = Counter(name for name, _ in handed)
    print(f"\n10 reviewers on {ws.store.engine.dialect.name}, {'two' if two_reviewers else 'one'} "
          f"per item: {total} items, "
          f"{len(handed)} decisions in {seconds:.2f} s ({len(handed) / seconds:.0f}/s); "
          f"per reviewer {min(busy.values())}-{max(busy.values())}; lost 0, twice 0, shared 0")


def test_terminal_show_hides_the_first_reviewers_vote_until_the_second_decides(
        tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=1, review_rows=1, two_reviewers=True)
    add_accounts(ws, {"lan": "reviewer", "mai": "reviewer", "chu": "chair"})
    env = {**os.environ, "KIEMPHIEU_PASSWORD": PASSWORD, "KIEMPHIEU_LANG": "vi"}

    def review(*args: str) -> str:
        proc = subprocess.run([KIEMPHIEU, "review", str(ws.path), *args], capture_output=True,
                              text=True, env=env, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    review("resolve", "1", "low", "--as", "lan")
    for shown in (review("show", "1"), review("show", "1", "--as", "mai")):
        assert "Đã có một người xem xét quyết định" in shown
        assert "lan" not in shown and "(Người xem xét)" not in shown
    assert "lan (Người xem xét): Tín nhiệm thấp" in review("show", "1", "--as", "chu")
    review("resolve", "1", "low", "--as", "mai")
    shown = review("show", "1")
    assert "lan (Người xem xét): Tín nhiệm thấp" in shown
    assert "mai (Người xem xét): Tín nhiệm thấp" in shown


def test_terminal_lists_shows_resolves_and_undoes(tmp_path: Path) -> None:
    """The terminal's review in Vietnamese, as a committee reads it: states, items, values and
    the machine's reasons in words, decimal commas; the values typed stay the machine's."""
    ws = synthetic_workspace(tmp_path, pages=1, review_rows=2, rejected=1)
    add_accounts(ws, {"lan": "reviewer", "ope": "operator"})
    env = {**os.environ, "KIEMPHIEU_PASSWORD": PASSWORD, "KIEMPHIEU_LANG": "vi"}

    def run(*args: str, ok: bool = True, **kw) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([KIEMPHIEU, "review", str(ws.path), *args], capture_output=True,
                              text=True, env=kw.get("env", env), timeout=60)
        assert "Traceback" not in proc.stderr
        assert (proc.returncode == 0) == ok, proc.stderr
        return proc

    listing = run().stdout
    assert "3 mục chờ xem xét, 0 mục chuyển Trưởng ban, 0 mục đã quyết định." in listing
    assert "trang 1, dòng STT 1" in listing and "toàn trang; máy: bị loại" in listing
    # the machine's reasons in Vietnamese in the list; as recorded and in Vietnamese in show
    assert "không tìm thấy dấu định vị" in listing and "no registration marks" not in listing
    assert not {"open", "page", "rows", "machine", "rejected"} & set(listing.lower().split())
    shown = run("show", "1").stdout
    assert "độ phủ 0,050" in shown
    assert "quyết định bằng: high (Tín nhiệm cao), medium (Tín nhiệm), low (Tín nhiệm thấp), " \
           "invalid (Không hợp lệ)" in shown
    assert "lý do: dấu mờ ở ô 2 (độ phủ 0,050)" in shown
    assert "Mục 1 đã quyết định: Tín nhiệm" in run("resolve", "1", "medium", "--as", "lan").stdout
    assert "hãy nêu lý do" in run("resolve", "2", "invalid", "--as", "lan", ok=False).stderr
    run("resolve", "2", "invalid", "--as", "lan", "--reason", "không đánh dấu rõ")
    refused = run("resolve", "3", "rejected", "--as", "ope", ok=False).stderr
    assert refused.startswith("lỗi: ope có vai trò Nhân viên quét")
    assert "sai tên tài khoản hoặc mật khẩu" in run(
        "resolve", "3", "rejected", "--as", "lan", ok=False,
        env={**env, "KIEMPHIEU_PASSWORD": "sai-mat-khau"}).stderr
    assert "mục trở lại: Chờ xem xét" in run("undo", "--as", "lan").stdout
    shown = run("show", "2").stdout
    assert "(giờ Việt Nam)  lan (Người xem xét): Không hợp lệ" in shown and "Hoàn tác" in shown
    assert "UTC" not in shown
    assert "không có mục xem xét số 99" in run("resolve", "99", "high", "--as", "lan",
                                                ok=False).stderr
    for huge in ("0", str(10**30)):  # no item, however large: never an internal error
        assert f"không có mục xem xét số {huge}" in run("show", huge, ok=False).stderr
        assert f"không có mục xem xét số {huge}" in run("resolve", huge, "high", "--as", "lan",
                                                        ok=False).stderr
    english = subprocess.run([KIEMPHIEU, "--lang", "en", "review", str(ws.path)],
                             capture_output=True, text=True, env=env, timeout=60).stdout
    assert "2 open, 0 escalated to the chair, 1 resolved." in english
    recorded = subprocess.run([KIEMPHIEU, "--lang", "en", "review", str(ws.path), "show", "1"],
                              capture_output=True, text=True, env=env, timeout=60).stdout
    assert "reason: faint mark in box 2 (0.050)" in recorded and "fill 0.050" in recorded
    proc = subprocess.run([KIEMPHIEU, "user", "add", "x y", "--role", "reviewer", "--ws", str(ws.path),
                           "--password-stdin"], input=PASSWORD + "\n", capture_output=True, text=True)
    assert proc.returncode == 1 and "cannot be an account name" in proc.stderr
    proc = subprocess.run([KIEMPHIEU, "user", "add", "chu", "--role", "chair", "--ws", str(ws.path),
                           "--password-stdin"], input=PASSWORD + "\n", capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    users = subprocess.run([KIEMPHIEU, "user", "list", "--ws", str(ws.path)], capture_output=True,
                           text=True).stdout
    assert re.search(r"^chu +chair$", users, re.M) and re.search(r"^lan +reviewer$", users, re.M)
