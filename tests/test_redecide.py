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
