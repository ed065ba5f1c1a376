"""The workspace's records: SQLAlchemy Core over SQLite (default) or PostgreSQL.

What is kept, so that every decision can be re-made and audited later:

- ``campaign``: the campaign file as given, its layout fingerprint and the
  thresholds in force;
- ``page``: every distinct page image ever scanned (unique by the SHA-256
  of its stored bytes), its status and reason, its QR text, the fitted page
  transform and alignment residual, and the thresholds the reading used;
- ``row_reading``: every row of every accepted page: the raw fill score of
  each box and the machine's outcome;
- ``scan_event``: every time an input page was seen, including repeats, so
  a duplicate is on the record without being counted.

A page image is stored on disk by content hash (``images/ab/abcdef....jpg``)
before its records are committed; a crash between the two leaves an orphan
file, never a record without its image.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    and_,
    bindparam,
    case,
    create_engine,
    event,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from pipeline.domain import reasons as why
from pipeline.domain.errors import WorkspaceError
from pipeline.domain.reasons import Reason, from_json, to_json
from pipeline.domain.records import Reading, StoredRow, english
from pipeline.store.prints import held, same_sheet, store_prints
from pipeline.store.schema import (
    campaign_table,
    certification_history_table,
    certification_table,
    declaration_log_table,
    declared_table,
    event_table,
    metadata,
    page_decision_table,
    page_table,
    review_table,
    row_table,
    stored_fills,
    user_table,
)


@dataclass(frozen=True, kw_only=True)
class NewPage(Reading):
    """A read page on its way into the store: the reading, where it came from, its image."""

    source: str
    page_index: int
    image_sha256: str
    image_path: str
    definite: float | None = None
    marginal: float | None = None
    thresholds: dict[str, float] | None = None
    # probably the same sheet as a stored page (its id), or as one stored with it (its place)
    same_as: int | None = None
    same_at: int | None = None
    likeness: float | None = None

    @classmethod
    def of(cls, reading: Reading, **where: Any) -> NewPage:
        """``reading`` with where it came from (``source``, ``page_index``, ...)."""
        return cls(**{f.name: getattr(reading, f.name) for f in dataclasses.fields(Reading)},
                   **where)


@dataclass(frozen=True)
class PageRecord:
    id: int
    image_sha256: str
    image_path: str
    status: str
    reasons: tuple[Reason, ...]
    ballot_page: int | None


class CertifiedError(WorkspaceError):
    """The campaign is certified: its records can no longer change."""

    def __init__(self, at: dt.datetime) -> None:
        super().__init__(key="store_certified", at=at)
        self.at = at


def item_reasons(reasons: tuple[Reason, ...]) -> dict[str, Any]:
    """A review item's ``reason`` (English) and ``reasons`` (codes) columns."""
    return {"reason": english(reasons), "reasons": to_json(reasons)}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def connect(url: str) -> Engine:
    """An engine for ``url``; SQLite runs in WAL mode with foreign keys on."""
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    return engine


# A sighting of a page for `event_table`: source, page index, image SHA-256, stored page id,
# status, reason.
ScanEvent = tuple[str, int, str | None, int | None, str, str | None]

# The columns of `page_table` a `NewPage` fills by name (and ``reason``, ``reasons``).
_PAGE_FIELDS = ("source", "page_index", "image_sha256", "image_path", "status",
                "code_text", "ballot_page", "width_px", "height_px", "quarter_turns",
                "px_per_mm", "residual_mm", "homography", "definite", "marginal", "thresholds")


# `Store.find_pages`: made once (a scan asks it every few pages)
_FIND_PAGES = select(
    page_table.c.id, page_table.c.image_sha256, page_table.c.image_path,
    page_table.c.status, page_table.c.reasons, page_table.c.ballot_page,
).where(
    page_table.c.campaign_id == bindparam("campaign"),
    page_table.c.image_sha256.in_(bindparam("hashes", expanding=True)),
)


#: The chair's decisions on whole pages (`page_decision_table`): a page's latest decision
#: is in force, unless it is ``restore``, which takes the one before back.
PAGE_DECISIONS = ("invalid", "withdraw", "restore")


def page_decision_in_force(decision: str):
    """SQL condition on ``page_table``: the page's latest whole-page decision is ``decision``
    (``invalid`` or ``withdraw``)."""
    d, later = page_decision_table, page_decision_table.alias("later")
    return exists().where(
        d.c.page_id == page_table.c.id, d.c.decision == decision,
        ~exists().where(later.c.page_id == d.c.page_id, later.c.id > d.c.id))


def settled_by_the_chair(page_id: Any):
    """SQL condition: the page ``page_id`` (a column) is declared invalid or withdrawn, so its
    review items no longer wait for anyone."""
    d, later = page_decision_table, page_decision_table.alias("later")
    return exists().where(
        d.c.page_id == page_id, d.c.decision.in_(("invalid", "withdraw")),
        ~exists().where(later.c.page_id == d.c.page_id, later.c.id > d.c.id))


def status_now(item: Any):
    """SQL: a page's status, people's decisions applied; ``item``: its page item (candidate 0)."""
    return case(
        (or_(page_decision_in_force("withdraw"), same_sheet(page_table.c.id)), literal("withdrawn")),
        (held(page_table.c.id), literal("held")),
        (and_(item.c.state == "resolved", item.c.resolution == "accepted"), literal("accepted")),
        (and_(item.c.state == "resolved", item.c.resolution == "rejected"), literal("rejected")),
        else_=page_table.c.status)


class Store:
    """Records of one campaign workspace."""

    def __init__(self, engine: Engine, campaign_id: str) -> None:
        self.engine = engine
        self.campaign_id = campaign_id

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def write_transaction(self) -> Iterator[Any]:
        """A transaction that holds the write lock from its first statement.

        SQLite: ``BEGIN IMMEDIATE``, so that what is read inside cannot change
        before it commits (concurrent writers wait, up to the busy timeout).
        PostgreSQL: an ordinary transaction; lock the rows you read with
        ``SELECT ... FOR UPDATE``.
        """
        with self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    # -- pages -------------------------------------------------------------

    def find_pages(self, hashes: list[str]) -> dict[str, PageRecord]:
        """The stored pages among these images (by SHA-256), in one query."""
        if not hashes:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(_FIND_PAGES, {"campaign": self.campaign_id,
                                              "hashes": sorted(set(hashes))})
            return {row[1]: PageRecord(row[0], row[1], row[2], row[3], from_json(row[4]), row[5])
                    for row in rows}

    def find_page(self, sha256: str) -> PageRecord | None:
        return self.find_pages([sha256]).get(sha256)

    def add_page(self, page: NewPage, stack: int | None = None) -> tuple[PageRecord, bool]:
        """Store a read page with its rows and a scan event, in one transaction.

        Returns the stored record and whether it is new. If the same image is
        already stored (another station, an earlier run), nothing is added
        but the event, and the existing record is returned.
        """
        try:
            with self.engine.begin() as conn:
                page_id = self._insert_page(conn, page, stack)
        except IntegrityError:
            existing = self.find_page(page.image_sha256)
            if existing is None:
                raise
            return existing, False
        return self._record(page_id, page), True

    def add_pages(self, pages: list[NewPage], events: list[ScanEvent],
                  stack: int | None = None) -> list[tuple[PageRecord, bool]] | None:
        """Store several new pages and sightings (of ``stack``) in one transaction.

        Returns None, having stored nothing, if any page's image is already
        stored (a race with another station): store those one by one instead.
        Two stations whose batches hold the same images in different orders
        wait for each other on the unique index; PostgreSQL then aborts one
        of them as a deadlock, which is the same race and is answered the same.
        """
        try:
            with self.engine.begin() as conn:
                ids = self._insert_pages(conn, pages, events, stack)
        except IntegrityError:
            return None
        except OperationalError as exc:
            # 40P01 deadlock_detected, 40001 serialization_failure: nothing was stored
            if getattr(exc.orig, "sqlstate", None) in ("40P01", "40001"):
                return None
            raise
        return [(self._record(i, p), True) for i, p in zip(ids, pages, strict=True)]

    @staticmethod
    def _record(page_id: int, page: NewPage) -> PageRecord:
        return PageRecord(page_id, page.image_sha256, page.image_path, page.status,
                          page.reasons, page.ballot_page)

    def _insert_page(self, conn: Any, page: NewPage, stack: int | None = None) -> int:
        return self._insert_pages(conn, [page], [], stack)[0]  # one page: `_insert_pages`

    def _insert_pages(self, conn: Any, pages: list[NewPage], events: list[ScanEvent],
                      stack: int | None) -> list[int]:
        """Insert pages with their rows, review items and scan events, then ``events``, all of
        ``stack``: one statement per table (the ids come back in the pages' order)."""
        at = now()
        ids = list(conn.execute(
            insert(page_table).returning(page_table.c.id, sort_by_parameter_order=True),
            [{"campaign_id": self.campaign_id, "read_at": at, "reason": page.reason, "stack_id": stack,
              "reasons": to_json(page.reasons), **{k: getattr(page, k) for k in _PAGE_FIELDS}}
             for page in pages],
        ).scalars()) if pages else []
        rows = [
            {
                "page_id": page_id, "candidate": r.candidate,
                "outcome": r.outcome, "level": r.level, "reason": r.reason,
                "reasons": to_json(r.reasons), "fill_high": r.fills[0], "fill_medium": r.fills[1],
                "fill_low": r.fills[2] if len(r.fills) > 2 else None, "measures": r.measures,
            }
            for page_id, page in zip(ids, pages, strict=True) for r in page.rows
        ]
        if rows:
            conn.execute(insert(row_table), rows)
        items = []
        for page_id, page in zip(ids, pages, strict=True):
            items += [{"page_id": page_id, "candidate": r.candidate, "kind": "row",
                       **item_reasons(r.reasons or (why.TO_REVIEW(),))}
                      for r in page.rows if r.outcome == "review"]
            if page.status == "rejected" and not why.refused_by_name(page.reasons):
                items.append({"page_id": page_id, "candidate": 0, "kind": "page",
                              **item_reasons(page.reasons or (why.REJECTED(),))})
            elif page.status == "accepted" and page.doubts:
                items.append({"page_id": page_id, "candidate": 0, "kind": "page",
                              **item_reasons(page.doubts)})
        items += store_prints(conn, self.campaign_id, ids, pages)
        if items:
            conn.execute(insert(review_table), [
                {**item, "campaign_id": self.campaign_id, "created_at": at, "state": "open"}
                for item in items
            ])
        seen = [(page.source, page.page_index, page.image_sha256, page_id, page.status,
                 page.reason) for page_id, page in zip(ids, pages, strict=True)]
        self._events(conn, seen + list(events), stack)
        return ids

    def add_event(self, source: str, page_index: int, sha256: str | None, page_id: int | None,
                  status: str, reason: str | None, stack: int | None = None) -> None:
        with self.engine.begin() as conn:
            self._events(conn, [(source, page_index, sha256, page_id, status, reason)], stack)

    def _events(self, conn: Any, events: list[ScanEvent], stack: int | None = None) -> None:
        if not events:
            return
        at = now()
        conn.execute(insert(event_table), [
            {"campaign_id": self.campaign_id, "source": source, "page_index": page_index,
             "image_sha256": sha256, "page_id": page_id, "status": status, "reason": reason,
             "at": at, "stack_id": stack}
            for source, page_index, sha256, page_id, status, reason in events
        ])

    def page_rows(self, page_id: int) -> list[StoredRow]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(row_table).where(row_table.c.page_id == page_id)
                .order_by(row_table.c.candidate)
            ).mappings()
            return [
                StoredRow(r["candidate"], r["outcome"], r["level"], from_json(r["reasons"]),
                          stored_fills(r["fill_high"], r["fill_medium"], r["fill_low"]),
                          r["measures"])
                for r in rows
            ]

    # -- counts ------------------------------------------------------------

    def status_counts(self) -> dict[tuple[str, int | None], int]:
        """Stored pages by (status, ballot page), people's page decisions applied: a page the
        chair withdrew is ``withdrawn``; one declared invalid stays ``accepted`` (a ballot
        collected: see `invalid_pages`)."""
        item = review_table.alias("page_item")
        status = status_now(item)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(status, page_table.c.ballot_page, func.count())
                .outerjoin(item, and_(item.c.page_id == page_table.c.id, item.c.candidate == 0))
                .where(page_table.c.campaign_id == self.campaign_id)
                .group_by(status, page_table.c.ballot_page)
            )
            return {(s, p): n for s, p, n in rows}

    def counted(self, page_id: int) -> bool:
        """Whether a stored page is in the count: accepted by the machine and not rejected by
        a person, or accepted by a person (the chair's page decisions aside)."""
        item = review_table.alias("page_item")
        counts = case(
            (and_(item.c.state == "resolved", item.c.resolution == "accepted"), True),
            (and_(item.c.state == "resolved", item.c.resolution == "rejected"), False),
            else_=page_table.c.status == "accepted",
        )
        with self.engine.connect() as conn:
            return bool(conn.execute(
                select(counts)
                .outerjoin(item, and_(item.c.page_id == page_table.c.id, item.c.candidate == 0))
                .where(page_table.c.id == page_id, page_table.c.campaign_id == self.campaign_id)
            ).scalar())

    def invalid_pages(self) -> dict[int, int]:
        """Pages the chair declared invalid (whole ballots), by ballot page."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(page_table.c.ballot_page, func.count())
                .where(page_table.c.campaign_id == self.campaign_id,
                       page_decision_in_force("invalid"))
                .group_by(page_table.c.ballot_page))
            return {p: n for p, n in rows if p is not None}

    def add_page_decision(self, page_id: int, decision: str, reason: str, by: str, role: str,
                          check: Callable[[str | None], None]) -> dict[str, Any]:
        """Append the chair's ``decision`` on a page to the log, in one locked transaction.

        ``check(in_force)`` is called inside it with the decision now in force on the page
        (None if none) and raises to refuse. Raises `CertifiedError` once certified.
        """
        if decision not in PAGE_DECISIONS:
            raise ValueError(f"not a page decision: {decision!r}")
        d = page_decision_table
        with self.write_transaction() as conn:
            self.refuse_if_certified(conn, lock="update")
            latest = conn.execute(
                select(d.c.decision).where(d.c.page_id == page_id, d.c.campaign_id == self.campaign_id)
                .order_by(d.c.id.desc()).limit(1)).scalar_one_or_none()
            check(None if latest in (None, "restore") else latest)
            values = {"campaign_id": self.campaign_id, "page_id": page_id, "decision": decision,
                      "reason": reason, "by": by, "role": role, "at": now()}
            new_id = conn.execute(insert(d).values(**values)).inserted_primary_key[0]
        return {"id": new_id, **values}

    def page_decisions(self, page_id: int | None = None) -> list[dict[str, Any]]:
        """The log of the chair's decisions on whole pages (one page's, or all), oldest first."""
        d = page_decision_table
        query = select(d).where(d.c.campaign_id == self.campaign_id).order_by(d.c.id)
        if page_id is not None:
            query = query.where(d.c.page_id == page_id)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def page_decision(self, page_id: int) -> str | None:
        """The chair's decision in force on a page: ``invalid``, ``withdraw`` or None."""
        log = self.page_decisions(page_id)
        latest = log[-1]["decision"] if log else None
        return None if latest in (None, "restore") else latest

    def duplicate_events(self) -> int:
        """Copies of stored pages fed in under another name: the same image seen at a
        (source, page) other than where it was first stored, each such place once.

        Scanning the same files again is not a duplicate ballot: it sees every page at
        the place it was stored from (or at a place already counted), and adds nothing.
        """
        e, p = event_table, page_table
        places = (
            select(e.c.source, e.c.page_index, e.c.image_sha256)
            .join(p, p.c.id == e.c.page_id)
            .where(
                e.c.campaign_id == self.campaign_id,
                e.c.status == "duplicate",
                or_(e.c.source != p.c.source, e.c.page_index != p.c.page_index),
            )
            .distinct()
            .subquery()
        )
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(places)).scalar_one()

    def row_outcomes(self) -> dict[tuple[int, str, str | None], int]:
        """Rows of counted pages by (candidate, outcome, level), people's decisions applied.

        A row the machine sent to review counts as what its resolved review
        item says (a level: ``vote``; ``invalid``: ``invalid``); while the item
        is open or escalated it stays ``review`` (pending). Counted pages are
        those accepted by the machine and not rejected by a person, and those
        a person accepted, less those the chair withdrew; every row of a page the
        chair declared invalid counts ``invalid``.
        """
        row_item = review_table.alias("row_item")
        page_item = review_table.alias("page_item")
        resolved = row_item.c.state == "resolved"
        invalid_page = page_decision_in_force("invalid")
        outcome = case(
            (held(page_table.c.id), literal("review")),  # the same sheet as another page?
            (invalid_page, literal("invalid")),
            (and_(row_table.c.outcome == "review", resolved, row_item.c.resolution == "invalid"),
             literal("invalid")),
            (and_(row_table.c.outcome == "review", resolved), literal("vote")),
            else_=row_table.c.outcome,
        )
        level = case(
            (or_(held(page_table.c.id), invalid_page), literal(None)),
            (and_(row_table.c.outcome == "review", resolved, row_item.c.resolution != "invalid"),
             row_item.c.resolution),
            else_=row_table.c.level,
        )
        page_counts = case(
            (and_(page_item.c.state == "resolved", page_item.c.resolution == "accepted"), True),
            (and_(page_item.c.state == "resolved", page_item.c.resolution == "rejected"), False),
            else_=page_table.c.status == "accepted",
        )
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(row_table.c.candidate, outcome, level, func.count())
                .join(page_table, page_table.c.id == row_table.c.page_id)
                .outerjoin(row_item, and_(row_item.c.page_id == row_table.c.page_id,
                                          row_item.c.candidate == row_table.c.candidate))
                .outerjoin(page_item, and_(page_item.c.page_id == page_table.c.id,
                                           page_item.c.candidate == 0))
                .where(page_table.c.campaign_id == self.campaign_id, page_counts,
                       ~page_decision_in_force("withdraw"), ~same_sheet(page_table.c.id))
                .group_by(row_table.c.candidate, outcome, level)
            )
            return {(c, o, lv): n for c, o, lv, n in rows}

    def open_review_items(self) -> int:
        """Review items not yet resolved (open, or escalated to the chair), less those on
        pages the chair declared invalid or withdrew."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(review_table).where(
                    review_table.c.campaign_id == self.campaign_id,
                    review_table.c.state != "resolved",
                    ~settled_by_the_chair(review_table.c.page_id),
                )
            ).scalar_one()

    def certified_at(self) -> dt.datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(campaign_table.c.certified_at).where(campaign_table.c.id == self.campaign_id)
            ).scalar_one_or_none()

    def declared(self) -> tuple[int | None, int | None]:
        """The committee's own figures: ballots issued and collected (None until declared)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(declared_table.c.issued, declared_table.c.collected)
                .where(declared_table.c.campaign_id == self.campaign_id)
            ).first()
        return (row[0], row[1]) if row else (None, None)

    def declared_forms(self) -> dict[str, dict[str, int | None]]:
        """The committee's figures per ballot form: {form id: {"issued", "collected"}}."""
        return dict((self.declaration() or {}).get("forms") or {})

    # -- declaration and certification (pipeline.workflow.certify) -------------------

    def declaration(self) -> dict[str, Any] | None:
        """The committee's declaration as stored: issued, collected, members, head, note, at."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(declared_table).where(declared_table.c.campaign_id == self.campaign_id)
            ).mappings().first()
        return dict(row) if row else None

    def save_declaration(self, values: dict[str, Any]) -> None:
        """Insert or replace the committee's declaration, and append it to the declaration
        log (refused once certified)."""
        at = now()
        with self.write_transaction() as conn:
            self.refuse_if_certified(conn)
            conn.execute(declared_table.delete().where(
                declared_table.c.campaign_id == self.campaign_id))
            conn.execute(insert(declared_table).values(
                campaign_id=self.campaign_id, at=at, **values))
            conn.execute(insert(declaration_log_table).values(
                campaign_id=self.campaign_id, at=at, **values))

    def certify(self, make_record: Callable[[dt.datetime, dict[str, Any] | None],
                                            dict[str, Any]]) -> dt.datetime:
        """Lock the campaign, keep the record ``make_record(at, last)`` returns, and append
        its certificate to the certification history.

        ``last`` is the newest entry of the history (None if there is none): the record
        made now follows it. The record holds by, software, thresholds, tally and
        reconciliation, and ``certificate``: the history entry (number, digest, previous,
        key_sha256, signature). One write transaction: ``make_record`` runs after the
        write lock is taken (SQLite), so what it counts cannot change before the lock; an
        exception from it leaves nothing changed. ``campaign.certified_at`` is set only if
        it was not set. Raises `CertifiedError` if already certified.
        """
        at = now()
        h = certification_history_table
        with self.write_transaction() as conn:
            self.refuse_if_certified(conn)
            last = conn.execute(
                select(h).where(h.c.campaign_id == self.campaign_id)
                .order_by(h.c.number.desc()).limit(1)).mappings().first()
            record = make_record(at, dict(last) if last else None)
            entry = record.pop("certificate")
            conn.execute(campaign_table.update().where(
                campaign_table.c.id == self.campaign_id).values(certified_at=at))
            conn.execute(insert(certification_table).values(
                campaign_id=self.campaign_id, at=at, **record))
            conn.execute(insert(h).values(campaign_id=self.campaign_id, at=at, by=record["by"],
                                          **entry))
        return at

    def certification(self) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(certification_table)
                .where(certification_table.c.campaign_id == self.campaign_id)
            ).mappings().first()
        return dict(row) if row else None

    def refuse_if_certified(self, conn: Any, *, lock: str | None = None) -> None:
        """Raise `CertifiedError` if the campaign is certified.

        ``lock`` (PostgreSQL; SQLite's write transaction already serialises):
        ``"share"`` holds the campaign row so that no certification is written
        until ``conn``'s transaction ends (a decision being written);
        ``"update"`` also keeps decisions out meanwhile.
        """
        query = select(campaign_table.c.certified_at).where(
            campaign_table.c.id == self.campaign_id)
        if lock is not None:
            query = query.with_for_update(read=lock == "share")
        at = conn.execute(query).scalar_one_or_none()
        if at is not None:
            raise CertifiedError(at)

    # -- accounts (no campaign: one workspace, one set of accounts) --------------

    def add_account(self, name: str, role: str, password_hash: str) -> bool:
        """Store a new account; False if the name is taken."""
        try:
            with self.transaction() as conn:
                conn.execute(insert(user_table).values(
                    name=name, role=role, password_hash=password_hash, created_at=now(),
                    disabled=0))
        except IntegrityError:
            return False
        return True

    def account(self, name: str) -> dict[str, Any] | None:
        """An account's record (name, role, password_hash, disabled), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(user_table).where(user_table.c.name == name)).mappings().first()
        return None if row is None else dict(row)

    def accounts(self) -> list[dict[str, Any]]:
        """Every account's name, role and whether it is disabled, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(user_table.c.name, user_table.c.role, user_table.c.disabled)
                                .order_by(user_table.c.name)).mappings().all()
        return [dict(r) for r in rows]

    def update_account(self, name: str, **values: Any) -> bool:
        """Change an account's ``password_hash`` or ``disabled``; False if there is none."""
        with self.transaction() as conn:
            return bool(conn.execute(update(user_table).where(user_table.c.name == name)
                                     .values(**values)).rowcount)

    def page(self, page_id: int) -> dict[str, Any] | None:
        """One stored page of this campaign, every column, or None if there is no such page."""
        if not 0 < page_id < 2**62:  # beyond any id the database can hold
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(page_table).where(
                page_table.c.id == page_id, page_table.c.campaign_id == self.campaign_id,
            )).mappings().first()
        return None if row is None else dict(row)

    def page_list(self, status: str | None = None, *, limit: int = 50,
                  offset: int = 0) -> list[dict[str, Any]]:
        """Stored pages in storage order, ``limit`` from ``offset``, of one ``status`` or all:
        where each came from, what the machine made of it, and how many of its review items
        are still open (``open_items``)."""
        p = page_table
        open_items = (select(func.count()).select_from(review_table)
                      .where(review_table.c.page_id == p.c.id, review_table.c.state != "resolved")
                      .scalar_subquery())
        query = (select(p.c.id, p.c.source, p.c.page_index, p.c.status, p.c.reason, p.c.reasons,
                        p.c.ballot_page, open_items.label("open_items"))
                 .where(p.c.campaign_id == self.campaign_id).order_by(p.c.id))
        if status is not None:
            query = query.where(p.c.status == status)
        with self.engine.connect() as conn:
            return [dict(r) for r in
                    conn.execute(query.limit(limit).offset(max(0, offset))).mappings()]

    def all_pages(self) -> list[dict[str, Any]]:
        """Every stored page (any status) with what a re-reading needs, in storage order."""
        cols = [page_table.c[k] for k in (
            "id", "image_sha256", "image_path", "status", "reason", "ballot_page",
            "definite", "marginal", "source", "page_index")]
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*cols).where(page_table.c.campaign_id == self.campaign_id)
                .order_by(page_table.c.id)
            ).mappings()
            return [dict(r) for r in rows]

    def review_resolutions(self) -> dict[tuple[int, int], tuple[str, str | None]]:
        """Every review item by (page id, candidate; 0 for the page): (state, resolution)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(review_table.c.page_id, review_table.c.candidate, review_table.c.state,
                       review_table.c.resolution)
                .where(review_table.c.campaign_id == self.campaign_id)
            )
            return {(p, c): (s, r) for p, c, s, r in rows}


def create_schema(engine: Engine) -> None:
    """Every table of `metadata` (the schema's revision is Alembic's: `pipeline.store.migrations`)."""
    metadata.create_all(engine)


def image_relpath(sha256: str, suffix: str) -> Path:
    return Path("images") / sha256[:2] / f"{sha256}{suffix}"
