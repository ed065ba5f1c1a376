"""The records of stacks: one ``scan`` run or one web upload each (``stack``), the pages and
sightings it brought (``page.stack_id``, ``scan_event.stack_id``), and the chair's records
on it (``stack_log``, append-only: a hand count, a withdrawal, a restoration).

A page belongs to the stack that stored it first; the same image fed again in
a later stack is a sighting of that later stack (a ``scan_event``), not one of
its pages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, func, insert, select, update

from pipeline.store.schema import (
    event_table,
    page_decision_table,
    page_table,
    review_table,
    stack_log_table,
    stack_table,
)
from pipeline.store.store import Store, now, status_now

STACK_KINDS = ("scan", "upload")
STACK_ACTIONS = ("count", "withdraw", "restore")


class StackStore:
    """The stacks of one workspace's records (`Store`)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        self.campaign_id = store.campaign_id

    def open(self, kind: str, station: str, by: str | None, sources: list[str]) -> int:
        """A new stack, started now; its number."""
        if kind not in STACK_KINDS:
            raise ValueError(f"not a kind of stack: {kind!r}")
        with self.engine.begin() as conn:
            return conn.execute(insert(stack_table).values(
                campaign_id=self.campaign_id, kind=kind, station=station, by=by,
                sources=sources, started_at=now())).inserted_primary_key[0]

    def finish(self, stack_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(stack_table).where(stack_table.c.id == stack_id)
                         .values(finished_at=now()))

    def all(self) -> list[dict[str, Any]]:
        """Every stack's record, oldest first."""
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(
                select(stack_table).where(stack_table.c.campaign_id == self.campaign_id)
                .order_by(stack_table.c.id)).mappings()]

    def get(self, stack_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(stack_table).where(
                stack_table.c.id == stack_id,
                stack_table.c.campaign_id == self.campaign_id)).mappings().first()
        return None if row is None else dict(row)

    def page_counts(self) -> dict[int, dict[tuple[str, int | None], int]]:
        """The pages each stack stored, by (status now, ballot page), as `Store.status_counts`."""
        item = review_table.alias("page_item")
        status = status_now(item)
        found: dict[int, dict[tuple[str, int | None], int]] = defaultdict(dict)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(page_table.c.stack_id, status, page_table.c.ballot_page, func.count())
                .outerjoin(item, and_(item.c.page_id == page_table.c.id, item.c.candidate == 0))
                .where(page_table.c.campaign_id == self.campaign_id,
                       page_table.c.stack_id.is_not(None))
                .group_by(page_table.c.stack_id, status, page_table.c.ballot_page))
            for stack, s, p, n in rows:
                found[stack][(s, p)] = n
        return dict(found)

    def sightings(self) -> dict[int, dict[str, int]]:
        """The input pages each stack saw, by the status they were reported with."""
        e = event_table
        found: dict[int, dict[str, int]] = defaultdict(dict)
        with self.engine.connect() as conn:
            for stack, status, n in conn.execute(
                    select(e.c.stack_id, e.c.status, func.count())
                    .where(e.c.campaign_id == self.campaign_id, e.c.stack_id.is_not(None))
                    .group_by(e.c.stack_id, e.c.status)):
                found[stack][status] = n
        return dict(found)

    def pages(self, stack_id: int) -> list[dict[str, Any]]:
        """The pages the stack stored, in the order they were stored: number, source, index in
        it, the machine's status, ballot page and the chair's latest decision on it (or None)."""
        d = page_decision_table
        latest = (select(d.c.decision).where(d.c.page_id == page_table.c.id)
                  .order_by(d.c.id.desc()).limit(1).scalar_subquery())
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(
                select(page_table.c.id, page_table.c.source, page_table.c.page_index,
                       page_table.c.status, page_table.c.ballot_page, latest.label("decision"))
                .where(page_table.c.stack_id == stack_id,
                       page_table.c.campaign_id == self.campaign_id)
                .order_by(page_table.c.id)).mappings()]

    def log(self, stack_id: int | None = None) -> list[dict[str, Any]]:
        """The chair's records on one stack, or on every stack, oldest first."""
        s = stack_log_table
        query = select(s).where(s.c.campaign_id == self.campaign_id).order_by(s.c.id)
        if stack_id is not None:
            query = query.where(s.c.stack_id == stack_id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def add_log(self, stack_id: int, action: str, by: str, role: str, *,
                hand_count: int | None = None, reason: str | None = None,
                pages: list[dict[str, Any]] | None = None,
                check: Callable[[list[dict[str, Any]]], None] = lambda log: None
                ) -> dict[str, Any]:
        """Append the chair's ``action`` on a stack, in one locked transaction refused once
        certified (`pipeline.store.store.CertifiedError`); ``check(log)`` is called inside it
        with the stack's log so far and raises to refuse."""
        if action not in STACK_ACTIONS:
            raise ValueError(f"not an action on a stack: {action!r}")
        s = stack_log_table
        with self.store.write_transaction() as conn:
            self.store.refuse_if_certified(conn, lock="update")
            check([dict(r) for r in conn.execute(
                select(s).where(s.c.stack_id == stack_id).order_by(s.c.id)).mappings()])
            values = {"campaign_id": self.campaign_id, "stack_id": stack_id, "action": action,
                      "hand_count": hand_count, "reason": reason, "pages": pages, "by": by,
                      "role": role, "at": now()}
            new_id = conn.execute(insert(s).values(**values)).inserted_primary_key[0]
        return {"id": new_id, **values}
