"""Changed thresholds decide the stored rows again, without rescanning.

Real simulated scans are ingested; ``kiemphieu redecide`` first decides every
stored row again under the same thresholds (nothing may change: the stored
measurements reproduce the reader's own decisions), then under thresholds
edited in ``WS/campaign.yaml``: it says what would change, stores nothing
until ``--apply``, and then the tally and the review queue follow. It is
refused once a person has decided a review item.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from certified_case import run
from review_cases import scanned_workspace

from pipeline.domain.committee import Person
from pipeline.store.workspace import open_workspace
from pipeline.workflow.redecide import plan
from pipeline.workflow.review import queue_for


def _with_thresholds(ws: Path, line: str) -> None:
    path = ws / "campaign.yaml"
    text = path.read_text("utf-8")
    text = re.sub(r"(?m)^thresholds:.*\n", "", text)
    path.write_text(text.replace("\ncandidates:", f"\n{line}\ncandidates:", 1), "utf-8")


def _tally(ws: Path) -> dict:
    return json.loads(run("tally", str(ws), "--json").stdout)


def test_the_same_thresholds_decide_every_stored_row_as_the_reader_did(tmp_path: Path) -> None:
    ws = scanned_workspace(tmp_path, ballots=6, review=0.3, seed=11)
    planned = plan(ws)
    assert planned.rows >= 6 * 18 * 0.9
    assert planned.changes == ()


def test_changed_thresholds_are_shown_then_applied(tmp_path: Path) -> None:
    ws = scanned_workspace(tmp_path, ballots=6, review=0.3, seed=12)
    before = _tally(ws.path)
    assert before["pending_review"] > 0
    # faint from 0.29 mm²: some very faint ink is no longer worth a look
    _with_thresholds(ws.path, "thresholds: {faint_ink_mm2: 0.29, mark_ink_mm2: 0.3}")
    dry = run("redecide", str(ws.path))
    shown = plan(open_workspace(ws.path))
    assert f"{len(shown.changes)} change" in dry.stdout
    assert all(c.describe() in dry.stdout for c in shown.changes[:50])
    assert _tally(ws.path) == before  # nothing stored yet

    # ink under 2.9 mm² no longer worth a look: hesitation dots and tiny ticks become blank
    _with_thresholds(ws.path, "thresholds: {faint_ink_mm2: 2.9, mark_ink_mm2: 3.0}")
    planned = plan(open_workspace(ws.path))
    to_blank = sum(1 for c in planned.changes if c.before[0] == "review")
    assert to_blank > 0
    applied = run("redecide", str(ws.path), "--apply")
    assert f"Stored: {len(planned.changes)} rows" in applied.stdout
    after = _tally(ws.path)
    assert after["pending_review"] < before["pending_review"]
    assert after["ballots"] == before["ballots"]
    # the same again changes nothing; the queue holds no item for a row no longer in review
    assert plan(open_workspace(ws.path)).changes == ()
    queue = queue_for(open_workspace(ws.path))
    open_rows = {(i.page_id, i.candidate) for i in queue.items() if i.kind == "row"}
    for c in planned.changes:
        assert ((c.page_id, c.candidate) in open_rows) == (c.after[0] == "review")


def test_refused_once_a_person_has_decided(tmp_path: Path) -> None:
    ws = scanned_workspace(tmp_path, ballots=4, review=0.3, seed=13)
    queue = queue_for(ws)
    item = next(i for i in queue.items() if i.kind == "row")
    queue.decide(Person("chair", "chair"), item.id, "high")
    _with_thresholds(ws.path, "thresholds: {faint_ink_mm2: 2.9, mark_ink_mm2: 3.0}")
    refused = run("redecide", str(ws.path), "--apply", check=False)
    assert refused.returncode == 1
    assert "review decisions are already on record" in refused.stderr
    assert plan(open_workspace(ws.path)).changes  # still what it would change, unstored


def test_refused_once_the_count_is_certified(tmp_path: Path) -> None:
    from sqlalchemy import update

    from pipeline.store.schema import campaign_table
    from pipeline.store.store import now

    ws = scanned_workspace(tmp_path, ballots=2, review=0.3, seed=14)
    with ws.store.transaction() as conn:  # as `certify` leaves it
        conn.execute(update(campaign_table).where(campaign_table.c.id == ws.campaign.id)
                     .values(certified_at=now()))
    _with_thresholds(ws.path, "thresholds: {faint_ink_mm2: 2.9, mark_ink_mm2: 3.0}")
    refused = run("redecide", str(ws.path), "--apply", check=False)
    assert refused.returncode == 1
    assert "certified" in refused.stderr and "locked" in refused.stderr


def _as_an_early_version_stored_it(ws: Path) -> tuple[int, list[tuple]]:
    """The records as an early version kept them: the first accepted page read with fills
    only (no ink, no extent: its rows decided by the fill-only rule, whose thresholds the
    page and the campaign recorded), the records at revision 0010. Returns that page's id
    and its rows (candidate, outcome, level, reasons)."""
    from alembic import command
    from sqlalchemy import select, text, update

    from pipeline.store import migrations
    from pipeline.store.schema import page_table, row_table
    from pipeline.store.store import connect

    engine = connect(f"sqlite:///{ws / 'kiemphieu.db'}")
    with engine.begin() as conn:
        page = conn.execute(select(page_table.c.id).where(page_table.c.status == "accepted")
                            .order_by(page_table.c.id)).scalars().first()
        conn.execute(update(row_table).where(row_table.c.page_id == page).values(measures=None))
        conn.execute(update(page_table).where(page_table.c.id == page)
                     .values(definite=0.09, marginal=0.04, thresholds=None))
        rows = conn.execute(select(row_table.c.candidate, row_table.c.outcome, row_table.c.level,
                                   row_table.c.reasons).where(row_table.c.page_id == page)
                            .order_by(row_table.c.candidate)).all()
    with engine.begin() as conn:
        command.downgrade(migrations.config(conn), "0010")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT definite, marginal FROM campaign")).one() == (0.09, 0.04)
    engine.dispose()
    return page, [tuple(r) for r in rows]


def test_rows_stored_with_fills_only_keep_their_decision_and_it_is_said(tmp_path: Path) -> None:
    ws = scanned_workspace(tmp_path, ballots=4, review=0.3, seed=15)
    before = _tally(ws.path)
    page, rows = _as_an_early_version_stored_it(ws.path)
    # the records open (brought up to date) and count as stored
    assert _tally(ws.path) == before
    _with_thresholds(ws.path, "thresholds: {faint_ink_mm2: 2.9, mark_ink_mm2: 3.0}")
    planned = plan(open_workspace(ws.path))
    assert (planned.unmeasured, planned.unmeasured_pages) == (len(rows), (page,))
    assert planned.changes and all(c.page_id != page for c in planned.changes)
    said = {"en": "Rows stored by an early version of kiemphieu, which kept only how much of "
                  f"each box was inked: {len(rows)} (pages: 1). No threshold applies to them",
            "vi": "Dòng được lưu bởi một phiên bản cũ của kiemphieu, chỉ ghi độ phủ mực của từng "
                  f"ô: {len(rows)} (số trang: 1). Không ngưỡng nào áp dụng"}
    for lang, words in said.items():
        dry = run("--lang", lang, "redecide", str(ws.path))
        assert words in " ".join(dry.stdout.split()), dry.stdout
    run("redecide", str(ws.path), "--apply")
    after = open_workspace(ws.path)
    kept = [(r.candidate, r.outcome, r.level) for r in after.store.page_rows(page)]
    assert kept == [r[:3] for r in rows]
    stored = after.store.page(page)
    assert (stored["definite"], stored["marginal"], stored["thresholds"]) == (0.09, 0.04, None)
    others = [after.store.page(p["id"]) for p in after.store.all_pages()
              if p["status"] == "accepted" and p["id"] != page]
    assert others and all(p["thresholds"]["faint_ink_mm2"] == 2.9 for p in others)
