"""The review queue: people resolve what the machine was not sure about.

Items are made by `Store.add_page` with each page (one per row read as
``review``, one per rejected page, one per accepted page with a doubt) and
live in ``review_item``. This module is the workflow over them; it knows no
HTTP and no terminal.

Every decision is a line appended to ``decision``: who, with which role,
when, what the machine said, what the person decided, and why. Nothing is
ever updated or deleted there; an undo is a new line that names the
decision it takes back (``replaces``). An item's ``state`` and
``resolution`` are derived from its log (`derive`) in the same transaction
as the line is written, and the tally reads them.

Who may do what:

- an ``operator`` decides nothing;
- a ``reviewer`` decides open items: a row to ``high``, ``medium``, ``low``
  or ``invalid`` (with the reason), a page to ``accepted`` (only a page the
  machine read) or ``rejected``;
- the ``chair`` decides any item: an escalated one, or a resolved one again
  (a new decision on the record; the old one stays).

With ``review: {two_reviewers: true}`` an item is resolved only when two
reviewers agree; when they disagree it is ``escalated`` and only the chair
decides it. A chair deciding an open item counts as one of the two.

Claims: `ReviewQueue.claim_next` hands a person the next item with a lease
(two minutes by default), in one locked transaction, so no item is shown to
two people at once. A decision on an item another person holds is refused
until the lease runs out. After the count is certified every decision is
refused.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, literal, or_, select, update

from pipeline.domain.committee import Person
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.reasons import RECORDED, Reason, from_json
from pipeline.domain.rules import LEVELS, levels_of_row
from pipeline.store.prints import DIFFERENT, SAME
from pipeline.store.schema import decision_table, page_table, review_table, row_table, stored_fills
from pipeline.store.store import CertifiedError, Store, now, settled_by_the_chair

ROLES = ("operator", "reviewer", "chair")
ROW_VALUES = (*LEVELS, "invalid")
PAGE_VALUES = ("accepted", "rejected")
SAME_VALUES = (SAME, DIFFERENT)  # probably the same sheet as another page: the chair's alone
UNDO = "undo"
LEASE = dt.timedelta(minutes=2)
STATES = ("open", "escalated", "resolved")


_process_locks: dict[int, threading.Lock] = {}


class ReviewError(KiemphieuError):
    """A review action was refused; the message says why and what to do."""


class ItemNotFound(ReviewError):
    pass


class CountLocked(ReviewError):
    """The count is certified: no decision may change it."""


class NotAllowed(ReviewError):
    """The person's role does not allow this action on this item."""


class BadDecision(ReviewError):
    """The value does not fit the item (a level for a page, no reason for invalid...)."""


class ItemTaken(ReviewError):
    """Another person holds the item's lease."""


class NothingToUndo(ReviewError):
    pass


@dataclass(frozen=True)
class Decision:
    id: int
    item_id: int
    reviewer: str
    role: str
    at: dt.datetime
    machine: str
    value: str
    reason: str | None
    replaces: int | None


@dataclass(frozen=True)
class Item:
    """One review item with what the machine read and where the page image is.

    ``fills`` (share of each box's interior inked, in level order) and
    ``measures`` (``ink_mm2``, ``extent_mm`` per box) are set for row items.
    ``reason`` is why in English, as recorded; ``reasons`` the same as codes
    and parameters (`pipeline.domain.reasons`), to be worded in any language.
    """

    id: int
    page_id: int
    candidate: int  # 0 for a page item, -1 for "probably the same sheet as page N"
    kind: str  # row | page | same
    reason: str
    state: str
    resolution: str | None
    claimed_by: str | None
    claimed_until: dt.datetime | None
    created_at: dt.datetime
    image_path: str
    page_status: str
    page_reason: str | None
    ballot_page: int | None
    has_reading: bool
    outcome: str | None = None
    fills: tuple[float, float, float] | None = None
    measures: dict[str, list[float]] | None = None
    reasons: tuple[Reason, ...] = ()

    @property
    def same_as(self) -> int | None:
        """For an item of kind ``same``: the stored page this one is probably the same sheet
        as (from its reason); None otherwise."""
        if self.kind != SAME:
            return None
        found = next((r for r in self.reasons if r.code == "same_sheet"), None)
        return int(found["page"]) if found is not None else None

    @property
    def machine(self) -> str:
        """What the machine said, as recorded with each decision (at most 64 characters)."""
        if self.kind == "row":
            scores = "/".join(f"{f:.3f}" for f in self.fills or ())
            return f"{self.outcome or 'review'} {scores}".strip()[:64]
        return self.page_status[:64]

    def values(self) -> tuple[str, ...]:
        """The decisions a person may take on this item."""
        if self.kind == "row":
            return (*levels_of_row(len(self.fills or LEVELS)), "invalid")
        if self.kind == SAME:
            return SAME_VALUES
        return PAGE_VALUES if self.has_reading else ("rejected",)


def derive(decisions: Sequence[Decision], two_reviewers: bool) -> tuple[str, str | None]:
    """An item's (state, resolution) from its decision log, oldest first.

    Decisions taken back by an undo are left out; the rest are replayed in
    order. With one reviewer, every decision resolves the item. With two,
    decisions on an open item are votes, one per person (a later one
    replaces the same person's earlier one); two votes that agree resolve
    it, two that differ escalate it; any decision after that (the chair's)
    resolves it.
    """
    undone = {d.replaces for d in decisions if d.value == UNDO}
    state, resolution = "open", None
    votes: dict[str, str] = {}
    for d in decisions:
        if d.value == UNDO or d.id in undone:
            continue
        if two_reviewers and state == "open":
            votes[d.reviewer] = d.value
            if len(votes) >= 2:
                agreed = set(votes.values())
                state, resolution = ("resolved", agreed.pop()) if len(agreed) == 1 else ("escalated", None)
        else:
            state, resolution = "resolved", d.value
    return state, resolution


class ReviewQueue:
    """Review items of one campaign's store.

    ``clock`` returns naive UTC datetimes (the store's convention); tests
    pass their own to move time.
    """

    def __init__(self, store: Store, *, two_reviewers: bool = False, lease: dt.timedelta = LEASE,
                 clock: Callable[[], dt.datetime] = now) -> None:
        self.store = store
        self.two_reviewers = two_reviewers
        self.lease = lease
        self.clock = clock

    @contextmanager
    def _writing(self) -> Iterator[Any]:
        """`Store.write_transaction`, taken in turn by this process's threads.

        SQLite lets one writer in at a time and makes the others retry with
        growing sleeps; queueing the station's threads on a lock first keeps
        a decision's wait to the time the writers ahead of it take.
        """
        lock = _process_locks.setdefault(id(self.store.engine), threading.Lock()) \
            if self.store.engine.dialect.name == "sqlite" else None
        if lock is None:
            with self.store.write_transaction() as conn:
                yield conn
            return
        with lock, self.store.write_transaction() as conn:
            yield conn

    # -- reading -----------------------------------------------------------

    def _item_query(self):
        r, p, rr = review_table, page_table, row_table
        any_row = row_table.alias("any_row")
        has_reading = exists().where(any_row.c.page_id == p.c.id)
        return (
            select(
                r.c.id, r.c.page_id, r.c.candidate, r.c.kind, r.c.reason, r.c.reasons, r.c.state,
                r.c.resolution, r.c.claimed_by, r.c.claimed_until, r.c.created_at,
                p.c.image_path, p.c.status.label("page_status"), p.c.reason.label("page_reason"),
                p.c.ballot_page, has_reading.label("has_reading"), rr.c.outcome,
                rr.c.fill_high, rr.c.fill_medium, rr.c.fill_low, rr.c.measures,
            )
            .join(p, p.c.id == r.c.page_id)
            .outerjoin(rr, and_(rr.c.page_id == r.c.page_id, rr.c.candidate == r.c.candidate))
            .where(r.c.campaign_id == self.store.campaign_id)
        )

    @staticmethod
    def _item(row: Any) -> Item:
        fills = None
        if row["fill_high"] is not None:
            fills = stored_fills(row["fill_high"], row["fill_medium"], row["fill_low"])
        return Item(
            id=row["id"], page_id=row["page_id"], candidate=row["candidate"], kind=row["kind"],
            reason=row["reason"], state=row["state"], resolution=row["resolution"],
            claimed_by=row["claimed_by"], claimed_until=row["claimed_until"],
            created_at=row["created_at"], image_path=row["image_path"],
            page_status=row["page_status"], page_reason=row["page_reason"],
            ballot_page=row["ballot_page"], has_reading=bool(row["has_reading"]),
            outcome=row["outcome"], fills=fills, measures=row["measures"],
            reasons=from_json(row["reasons"]) or (RECORDED(text=row["reason"]),),
        )

    def get(self, item_id: int, conn: Any = None) -> Item:
        """The item ``item_id``; `ItemNotFound` if this campaign has none."""
        query = self._item_query().where(review_table.c.id == item_id)
        if conn is None:
            with self.store.engine.connect() as own:
                row = own.execute(query).mappings().first()
        else:
            row = conn.execute(query).mappings().first()
        if row is None:
            raise ItemNotFound(key="review_no_item", item=item_id)
        return self._item(row)

    def items(self, states: Sequence[str] | None = None, *, page_id: int | None = None,
              limit: int | None = None, offset: int = 0) -> list[Item]:
        """Items in id order (the order pages were scanned), optionally by state or page."""
        query = self._item_query().order_by(review_table.c.id)
        if states:
            query = query.where(review_table.c.state.in_(list(states)))
        if page_id is not None:
            query = query.where(review_table.c.page_id == page_id)
        if limit is not None:
            query = query.limit(limit).offset(offset)
        with self.store.engine.connect() as conn:
            return [self._item(r) for r in conn.execute(query).mappings()]

    def counts(self) -> dict[str, int]:
        """Items by state: ``open``, ``escalated``, ``resolved`` (all three keys present).

        Items on a page the chair declared invalid or withdrew wait for nobody: they are
        counted as ``settled``, not open.
        """
        r = review_table
        state = case((and_(r.c.state != "resolved", settled_by_the_chair(r.c.page_id)),
                      literal("settled")), else_=r.c.state)
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(state, func.count())
                .where(r.c.campaign_id == self.store.campaign_id)
                .group_by(state)
            )
            found = dict(rows.all())
        return {s: found.get(s, 0) for s in (*STATES, "settled")}

    def history(self, item_id: int, conn: Any = None) -> list[Decision]:
        """The item's decision log, oldest first."""
        query = select(decision_table).where(decision_table.c.item_id == item_id) \
            .order_by(decision_table.c.id)
        if conn is None:
            with self.store.engine.connect() as own:
                rows = own.execute(query).mappings().all()
        else:
            rows = conn.execute(query).mappings().all()
        return [Decision(**r) for r in rows]

    def decided_by(self, name: str) -> int:
        """How many decisions ``name`` has in force (undone ones and undos left out)."""
        d, u = decision_table, decision_table.alias("u")
        with self.store.engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(d)
                .join(review_table, review_table.c.id == d.c.item_id)
                .where(review_table.c.campaign_id == self.store.campaign_id,
                       d.c.reviewer == name, d.c.value != UNDO,
                       ~exists().where(u.c.replaces == d.c.id))
            ).scalar_one()

    # -- claims ------------------------------------------------------------

    def _available(self, actor: Person, at: dt.datetime):
        """SQL condition: items ``actor`` may be handed now."""
        r = review_table
        free = or_(r.c.claimed_by.is_(None), r.c.claimed_by == actor.name, r.c.claimed_until < at)
        states = ["open", "escalated"] if actor.role == "chair" else ["open"]
        cond = and_(r.c.campaign_id == self.store.campaign_id, r.c.state.in_(states), free,
                    ~settled_by_the_chair(r.c.page_id))
        if actor.role != "chair":  # whether two pages are one sheet is the chair's to say
            cond = and_(cond, r.c.kind != SAME)
        if self.two_reviewers:
            d, u = decision_table, decision_table.alias("u")
            voted = exists().where(
                d.c.item_id == r.c.id, d.c.reviewer == actor.name, d.c.value != UNDO,
                ~exists().where(u.c.replaces == d.c.id),
            )
            cond = and_(cond, or_(r.c.state != "open", ~voted))
        return cond

    def claim_next(self, actor: Person) -> Item | None:
        """Hand ``actor`` the next item to decide, leased to them; None when none is left.

        An item the person already holds comes back first (its lease renewed);
        then, for the chair, escalated items; then open items in scan order.
        Runs in one locked transaction: SQLite ``BEGIN IMMEDIATE``,
        PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED``.
        """
        _may_decide(actor)
        r = review_table
        at = self.clock()
        with self._writing() as conn:
            order = (
                case((r.c.claimed_by == actor.name, 0), else_=1),
                case((r.c.state == "escalated", 0), else_=1),
                r.c.id,
            )
            chosen = conn.execute(
                select(r.c.id).where(self._available(actor, at)).order_by(*order).limit(1)
                .with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if chosen is None:
                return None
            conn.execute(update(r).where(r.c.id == chosen)
                         .values(claimed_by=actor.name, claimed_until=at + self.lease))
            return self.get(chosen, conn)

    def release(self, actor: Person, item_id: int) -> None:
        """Give back a held item before its lease runs out (nothing if not held)."""
        r = review_table
        with self.store.transaction() as conn:
            conn.execute(update(r).where(r.c.id == item_id, r.c.claimed_by == actor.name)
                         .values(claimed_by=None, claimed_until=None))

    # -- deciding ----------------------------------------------------------

    def decide(self, actor: Person, item_id: int, value: str, reason: str | None = None) -> Item:
        """Record ``actor``'s decision on an item and return the item as it now stands.

        Raises `NotAllowed` (role or state), `ItemTaken` (another person holds
        it), `BadDecision` (value does not fit, missing reason), `CountLocked`
        (certified), `ItemNotFound`.
        """
        _may_decide(actor)
        reason = " ".join(reason.split()) if reason else None
        at = self.clock()
        with self._writing() as conn:
            _refuse_if_certified(self.store, conn)
            item = self._lock(conn, item_id)
            if value not in item.values():
                raise _bad_value(item, value)
            if value == "invalid" and not reason:
                raise BadDecision(key="review_say_why", item=item_id)
            log = self.history(item_id, conn)
            self._check_turn(actor, item, log, at)
            decision_id = conn.execute(insert(decision_table).values(
                item_id=item_id, reviewer=actor.name, role=actor.role, at=at,
                machine=item.machine, value=value, reason=reason,
            )).inserted_primary_key[0]
            log.append(Decision(decision_id, item_id, actor.name, actor.role, at, item.machine,
                                value, reason, None))
            self._apply(conn, item_id, log, claim=None, single=item.kind == SAME)
            return self.get(item_id, conn)

    def undo(self, actor: Person, item_id: int | None = None) -> Item:
        """Take back ``actor``'s latest decision (on ``item_id``, or their latest anywhere).

        Only a decision that is still the latest in force on its item can be
        taken back; once someone has decided after it, only a new decision
        changes the item. The item goes back to ``actor`` with a fresh lease.
        """
        _may_decide(actor)
        d, u = decision_table, decision_table.alias("u")
        at = self.clock()
        with self._writing() as conn:
            _refuse_if_certified(self.store, conn)
            query = (
                select(d.c.id, d.c.item_id)
                .join(review_table, review_table.c.id == d.c.item_id)
                .where(review_table.c.campaign_id == self.store.campaign_id,
                       d.c.reviewer == actor.name, d.c.value != UNDO,
                       ~exists().where(u.c.replaces == d.c.id))
                .order_by(d.c.id.desc()).limit(1)
            )
            if item_id is not None:
                query = query.where(d.c.item_id == item_id)
            found = conn.execute(query).first()
            if found is None:
                if item_id is None:
                    raise NothingToUndo(key="review_nothing_to_undo", name=actor.name)
                raise NothingToUndo(key="review_nothing_to_undo_on", name=actor.name,
                                    item=item_id)
            target, item_id = found
            item = self._lock(conn, item_id)
            log = self.history(item_id, conn)
            undone = {x.replaces for x in log if x.value == UNDO}
            later = [x for x in log if x.id > target and x.value != UNDO and x.id not in undone]
            if later:
                raise NothingToUndo(key="review_decided_after", item=item_id,
                                    name=later[-1].reviewer)
            undo_id = conn.execute(insert(decision_table).values(
                item_id=item_id, reviewer=actor.name, role=actor.role, at=at,
                machine=item.machine, value=UNDO, reason=None, replaces=target,
            )).inserted_primary_key[0]
            log.append(Decision(undo_id, item_id, actor.name, actor.role, at, item.machine,
                                UNDO, None, target))
            holder_ok = (item.claimed_by in (None, actor.name) or item.claimed_until is None
                         or item.claimed_until < at)
            self._apply(conn, item_id, log,
                        claim=(actor.name, at + self.lease) if holder_ok else "keep",
                        single=item.kind == SAME)
            return self.get(item_id, conn)

    def _lock(self, conn: Any, item_id: int) -> Item:
        r = review_table
        locked = conn.execute(
            select(r.c.id).where(r.c.id == item_id, r.c.campaign_id == self.store.campaign_id)
            .with_for_update()
        ).scalar_one_or_none()
        if locked is None:
            raise ItemNotFound(key="review_no_item", item=item_id)
        return self.get(item_id, conn)

    def _check_turn(self, actor: Person, item: Item, log: list[Decision], at: dt.datetime) -> None:
        if (item.claimed_by not in (None, actor.name) and item.claimed_until is not None
                and item.claimed_until >= at):
            raise ItemTaken(key="review_taken", item=item.id, name=item.claimed_by,
                            until=f"{item.claimed_until:%H:%M:%S}")
        if actor.role == "chair":
            return
        if item.kind == SAME:
            raise NotAllowed(f"item {item.id}: only the chair decides whether page {item.page_id} "
                             "is the same sheet as another page")
        if item.state == "escalated":
            raise NotAllowed(key="review_escalated_chair", item=item.id)
        if item.state == "resolved":
            raise NotAllowed(key="review_resolved_already", item=item.id,
                             resolution=item.resolution)
        if self.two_reviewers:
            undone = {x.replaces for x in log if x.value == UNDO}
            if any(x.reviewer == actor.name and x.value != UNDO and x.id not in undone for x in log):
                raise NotAllowed(key="review_decided_already", item=item.id)

    def _apply(self, conn: Any, item_id: int, log: list[Decision], claim: Any,
               single: bool = False) -> None:
        """Derive the item's state from ``log``; ``single``: one decision resolves it (the
        chair's on whether a page is the same sheet as another), whatever the review mode."""
        state, resolution = derive(log, self.two_reviewers and not single)
        values: dict[str, Any] = {"state": state, "resolution": resolution}
        if claim is None:
            values.update(claimed_by=None, claimed_until=None)
        elif claim != "keep":
            values.update(claimed_by=claim[0], claimed_until=claim[1])
        conn.execute(update(review_table).where(review_table.c.id == item_id).values(**values))


def queue_for(ws: Any, **kwargs: Any) -> ReviewQueue:
    """The queue of a workspace, with its campaign's review settings."""
    return ReviewQueue(ws.store, two_reviewers=ws.campaign.review.two_reviewers, **kwargs)


def _may_decide(actor: Person) -> None:
    if actor.role not in ("reviewer", "chair"):
        raise NotAllowed(key="review_not_a_reviewer", name=actor.name, role=actor.role)


def _refuse_if_certified(store: Store, conn: Any) -> None:
    # FOR SHARE on PostgreSQL: `certify` cannot set the date while a decision is being written
    try:
        store.refuse_if_certified(conn, lock="share")
    except CertifiedError as exc:
        raise CountLocked(key="review_locked", at=exc.at) from None


def _bad_value(item: Item, value: str) -> BadDecision:
    if item.kind == "page" and value == "accepted":
        return BadDecision(key="review_page_unread", item=item.id, page=item.page_id)
    kind = {"row": "row", SAME: "same"}.get(item.kind, "page")
    return BadDecision(key=f"review_bad_value_{kind}", item=item.id,
                       allowed=", ".join(item.values()), value=value)
