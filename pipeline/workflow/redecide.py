"""``kiemphieu redecide``: decide the stored rows again under changed thresholds, without rescanning.

Every accepted page keeps its raw box measurements (ink in mm², its length,
fill, lines through the box, ink coming in from a neighbour) and the
thresholds it was read with. When the committee changes the campaign's
``thresholds:`` (in ``WS/campaign.yaml``: the layout's fingerprint does not
depend on them, so the printed ballots stay valid), this decides every
stored row again from those measurements with `omr.page.decide_measures`,
exactly as the reader decided it (`pipeline.reading.page.read_scan` decides on
the same rounded values it stores).

Rows the reader sent to review for something on the page rather than in
their boxes (a scanner streak through them, a struck-out name, a note
beside them: ``measures`` holds ``streak``, ``struck_mm`` or ``note_mm``)
stay in review: no threshold explains those away. Rows read by an early
version, stored with their boxes' fills only (no ink, no extent:
`omr.page.has_measures`), cannot be decided by today's rule: they keep the
decision they were stored with, and their pages the thresholds recorded with
them; `Plan.unmeasured` counts them, and ``kiemphieu redecide`` says so.

`plan` says what would change; `apply` stores it, in one transaction:
the rows' outcomes, their review items (a row newly in doubt gets one; a
row no longer in doubt loses its undecided item), the thresholds recorded
on every accepted page whose rows were decided again, and one scan event per changed page (status
``redecided``) on the record. It is refused once the count is certified,
and once any review decision is on record: people decided against the
machine's earlier reading, so thresholds are settled before review starts.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, insert, select, update

from omr.decide import MarkRule, RowDecision
from omr.page import decide_measures, has_measures
from pipeline.domain import reasons as why
from pipeline.domain.errors import WorkspaceError
from pipeline.domain.reasons import Reason, from_json, to_json
from pipeline.domain.records import english
from pipeline.store.schema import (
    decision_table,
    event_table,
    page_table,
    review_table,
    row_table,
    stored_fills,
)
from pipeline.store.store import item_reasons, now
from pipeline.store.workspace import Workspace

#: Measures that mark a row sent to review for what is on the page, not in its boxes.
PAGE_FINDINGS = ("streak", "struck_mm", "note_mm")


@dataclass(frozen=True)
class Change:
    """One stored row whose decision changes."""

    page_id: int
    source: str
    page_index: int
    candidate: int
    before: tuple[str, str | None]  # outcome, level
    after: tuple[str, str | None]
    reasons: tuple[Reason, ...]  # the new reasons

    def describe(self) -> str:
        def said(pair: tuple[str, str | None]) -> str:
            return f"{pair[0]} {pair[1]}" if pair[1] else pair[0]
        why = f" ({english(self.reasons)})" if self.reasons else ""
        return (f"{self.source}#{self.page_index} candidate {self.candidate}: "
                f"{said(self.before)} -> {said(self.after)}{why}")


@dataclass(frozen=True)
class Plan:
    """What deciding the stored rows again would change."""

    thresholds: MarkRule
    rows: int  # rows decided again
    kept: int  # rows left in review for a page finding
    changes: tuple[Change, ...]
    # rows stored with fills only, which keep their stored decision, and their pages
    unmeasured: int = 0
    unmeasured_pages: tuple[int, ...] = ()

    def summary(self) -> Counter[tuple[str, str]]:
        return Counter((c.before[0], c.after[0]) for c in self.changes)


def plan(ws: Workspace) -> Plan:
    """Decide every stored row of every accepted page again with the workspace's thresholds."""
    t = ws.campaign.thresholds
    p, r = page_table, row_table
    changes, rows, kept = [], 0, 0
    unmeasured: dict[int, int] = {}  # page id -> its rows stored with fills only
    with ws.store.engine.connect() as conn:
        stored = conn.execute(
            select(p.c.id, p.c.source, p.c.page_index, r.c.candidate, r.c.outcome, r.c.level,
                   r.c.reasons, r.c.fill_high, r.c.fill_medium, r.c.fill_low, r.c.measures)
            .join(r, r.c.page_id == p.c.id)
            .where(p.c.campaign_id == ws.campaign.id, p.c.status == "accepted")
            .order_by(p.c.id, r.c.candidate)
        ).all()
    for (page_id, source, index, candidate, outcome, level, reasons, *fills, measures) in stored:
        if not has_measures(measures):
            unmeasured[page_id] = unmeasured.get(page_id, 0) + 1
            continue
        decision = decide_again(stored_fills(*fills), measures, t)
        if decision is None:
            kept += 1
            continue
        rows += 1
        after = (decision.outcome,
                 ws.campaign.levels[decision.choice] if decision.outcome == "vote" else None)
        if after != (outcome, level) or decision.reasons != from_json(reasons):
            changes.append(Change(page_id, source, index, candidate, (outcome, level), after,
                                  decision.reasons))
    return Plan(t, rows, kept, tuple(changes), sum(unmeasured.values()), tuple(unmeasured))


def decide_again(fills: tuple[float, ...], measures: dict[str, Any], rule: MarkRule
                 ) -> RowDecision | None:
    """The row's decision from its stored measurements (`omr.page.has_measures`); None if a
    page finding holds it."""
    if any(key in measures for key in PAGE_FINDINGS):
        return None
    return decide_measures(fills, measures, rule)


def apply(ws: Workspace, planned: Plan) -> int:
    """Store ``planned`` (see the module docstring); returns the rows changed.

    Raises `WorkspaceError` if the count is certified or a review decision is on record.
    """
    store = ws.store
    campaign = ws.campaign.id
    with store.write_transaction() as conn:
        # locked: a decision being written (FOR SHARE) or a certification waits for this
        store.refuse_if_certified(conn, lock="update")
        decided = conn.execute(
            select(decision_table.c.id).join(review_table,
                                             review_table.c.id == decision_table.c.item_id)
            .where(review_table.c.campaign_id == campaign).limit(1)
        ).first()
        if decided is not None:
            raise WorkspaceError(
                f"{ws.path}: review decisions are already on record, made on the machine's "
                "reading under the earlier thresholds; settle the thresholds before review starts "
                "(or start a new workspace and scan again)")
        at = now()
        for c in planned.changes:
            _apply_row(conn, campaign, c, at)
        conn.execute(
            update(page_table)
            .where(page_table.c.campaign_id == campaign, page_table.c.status == "accepted",
                   page_table.c.id.not_in(planned.unmeasured_pages))
            .values(thresholds=dataclasses.asdict(planned.thresholds))
        )
        by_page: dict[int, list[Change]] = {}
        for c in planned.changes:
            by_page.setdefault(c.page_id, []).append(c)
        for page_changes in by_page.values():
            first = page_changes[0]
            sha = conn.execute(select(page_table.c.image_sha256)
                               .where(page_table.c.id == first.page_id)).scalar_one()
            said = "; ".join(f"candidate {c.candidate}: {c.before[0]} -> {c.after[0]}"
                             for c in page_changes)
            conn.execute(insert(event_table).values(
                campaign_id=campaign, source=first.source, page_index=first.page_index,
                image_sha256=sha, page_id=first.page_id, status="redecided",
                reason=f"decided again under changed thresholds: {said}", at=at))
    return len(planned.changes)


def _apply_row(conn: Any, campaign: str, c: Change, at: Any) -> None:
    r, item = row_table, review_table
    conn.execute(update(r).where(r.c.page_id == c.page_id, r.c.candidate == c.candidate)
                 .values(outcome=c.after[0], level=c.after[1], reason=english(c.reasons),
                         reasons=to_json(c.reasons)))
    where = and_(item.c.page_id == c.page_id, item.c.candidate == c.candidate)
    if c.after[0] == "review":
        exists = conn.execute(select(item.c.id).where(where)).first()
        if exists is None:
            conn.execute(insert(item).values(
                campaign_id=campaign, page_id=c.page_id, candidate=c.candidate, kind="row",
                **item_reasons(c.reasons or (why.TO_REVIEW(),)), created_at=at, state="open"))
        else:
            conn.execute(update(item).where(where).values(
                **item_reasons(c.reasons or (why.TO_REVIEW(),))))
    elif c.before[0] == "review":
        conn.execute(delete(item).where(where))  # no decision on it: checked above
