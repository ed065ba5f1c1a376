"""``kiemphieu scan``: stream pages from files, read them, store them, report them.

Pages flow one at a time: `sources.iter_pages` yields encoded page images,
`reading.read_scan` reads them (in worker processes with ``--workers N``),
and the main process stores each in input order. At most a few pages per
worker are in flight, so memory does not grow with the stack. Threads keep
the file work off the reader's: one takes pages out of their files and
hashes them a few pages ahead (`_read_ahead`), one writes the images and
syncs them (`_Batch`); they mostly wait for the disk or run in C.

In one process, two threads read, a page each (`_read_here`): a page's
decode and about half of its reading run in C without the GIL, so two pages
read at once keep a second CPU busy. Beyond that, pages are read in parallel
by processes (``--workers``), which share no GIL; never by threads inside a
page: every reading process runs OpenCV on one thread. Measured on 300-dpi
colour JPEGs, OpenCV's own threads made a page 8 % faster for 27 % more CPU
(44.6 ms wall and 61.5 ms CPU a page against 48.4 and 48.4), CPU that other
workers, other stations on the same machine or the database server need
(BENCHMARKS.md).

A page is identified by the SHA-256 of its stored image bytes. The same
image seen again is never read or counted again: it is reported as
``duplicate`` (or, if it was a blank or rejected page, with that status
again) and only the sighting is recorded.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import dataclasses
import itertools
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omr.notes import NoteReference
from pipeline.documents.ballot_pdf import printed_pages
from pipeline.domain import reasons as why
from pipeline.domain.errors import WorkspaceError
from pipeline.domain.layout import parse_code
from pipeline.domain.reasons import Reason, to_json
from pipeline.domain.records import Reading, english
from pipeline.domain.rules import LEVELS
from pipeline.domain.wording import words
from pipeline.reading.printed import references
from pipeline.reading.sources import ScanPage, SourceProblem, iter_pages
from pipeline.reading.workers import (
    QUEUED_PAGES,
    ReaderFailed,
    ReaderStopped,
    ReadingPool,
    libc,
    prepare_reading_process,
    read_in_turn,
)
from pipeline.store.store import NewPage, PageRecord, ScanEvent, image_relpath
from pipeline.store.workspace import Workspace, atomic_write
from pipeline.workflow.samesheet import Match, SheetIndex, Ticket
from pipeline.workflow.stacks import finish_stack, open_stack


@dataclass(frozen=True)
class PageReport:
    """One line of ``scan --jsonl``: what became of one input page."""

    source: str
    page_index: int
    status: str
    reasons: tuple[Reason, ...]
    campaign: str | None = None
    ballot_page: int | None = None
    rows: tuple[dict[str, Any], ...] = ()
    page_id: int | None = None
    doubts: tuple[Reason, ...] = ()

    @property
    def reason(self) -> str | None:
        """Why, in English (the audit record); None for an accepted page."""
        return english(self.reasons)

    def to_json(self) -> dict[str, Any]:
        """The CONTRACT's fields, then ``page`` (the stored page's number, for
        ``explain`` and the web station), ``doubts`` (about the whole page, in
        English) and ``reasons`` (the reasons as codes and parameters, beside
        their English in ``reason``; rows the same)."""
        return {
            "source": self.source,
            "page_index": self.page_index,
            "status": self.status,
            "reason": self.reason,
            "campaign": self.campaign,
            "ballot_page": self.ballot_page,
            "rows": list(self.rows),
            "page": self.page_id,
            "doubts": [words(d, "en") for d in self.doubts],
            "reasons": to_json(self.reasons) or [],
        }


@dataclass
class IngestSummary:
    pages: int = 0
    by_status: collections.Counter[str] = field(default_factory=collections.Counter)
    rows_to_review: int = 0
    stack: int | None = None  # the stack these pages came in (`pipeline.workflow.stacks`)
    # pages refused by name, without a review item: ballots of another campaign, test
    # ballots in the real count (`pipeline.domain.reasons.REFUSED_BY_NAME`), by reason code
    refused: collections.Counter[str] = field(default_factory=collections.Counter)

    def add(self, report: PageReport) -> None:
        self.pages += 1
        self.by_status[report.status] += 1
        self.rows_to_review += sum(1 for r in report.rows if r["outcome"] == "review")
        if report.status == "rejected" and why.refused_by_name(report.reasons):
            self.refused[report.reasons[0].code] += 1


def ingest(
    ws: Workspace,
    files: Iterable[Path],
    *,
    workers: int = 1,
    on_report: Callable[[PageReport], None] = lambda r: None,
    kind: str = "scan",
    station: str | None = None,
    by: str | None = None,
) -> IngestSummary:
    """Scan ``files`` into ``ws`` as a new stack; call ``on_report`` for every page, in input
    order.

    The stack (`pipeline.workflow.stacks`) is a ``scan`` run or an ``upload`` (``kind``),
    made at ``station`` (default: this computer's name) by the account ``by`` (None on the
    command line); its number is the summary's ``stack``.

    Raises `WorkspaceError` if the count is certified: nothing may be added.
    """
    certified = ws.store.certified_at()
    if certified is not None:
        raise WorkspaceError(key="ingest_locked", path=str(ws.path), at=certified)
    prepare_reading_process()
    files = list(files)
    summary = IngestSummary()
    summary.stack = open_stack(ws, kind, station or socket.gethostname() or "?", by,
                               [str(f) for f in files])
    with cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiemphieu-sync") as syncer:
        batch = _Batch(ws, syncer, summary.stack)
        for item, reading in _read_all(_read_ahead(iter_pages(files)), ws, workers):
            batch.add(item, reading)
            if batch.full():
                for report in batch.flush():
                    summary.add(report)
                    on_report(report)
        for report in batch.finish():
            summary.add(report)
            on_report(report)
    finish_stack(ws, summary.stack)
    return summary


BATCH_PAGES = 32
BATCH_SECONDS = 0.5
WRITE_AHEAD_PAGES = 8  # images handed to the writing thread and not yet written, at most


READ_AHEAD_PAGES = 8  # as many as `_looked_up` takes at once (LOOKUP_PAGES)


def _read_ahead(items: Iterator[ScanPage | SourceProblem], depth: int = READ_AHEAD_PAGES
                ) -> Iterator[ScanPage | SourceProblem]:
    """``items``, taken out of their files and hashed on a thread of their own, at most
    ``depth`` pages ahead of the reader.

    Reading a file, taking a page out of a TIFF and its SHA-256 mostly wait for the
    disk or run in C without the GIL (a 300-dpi JPEG: 1.6-1.8 ms of this thread's CPU a
    page, 0.9 of it the hash), so they are done while the reader reads the page before. Pages come in
    their order; an error on that thread is raised here, at the page it stopped at.
    Leaving early (an error downstream, Ctrl+C) stops the thread at its next page.
    Measured on 200 JPEGs, 4 turns: 1.48 x the decode floor 8 ahead, 1.52 4 ahead,
    1.63 one ahead (the lookup takes its 8 pages at once, then waits for the rest).
    """
    pending: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                pending.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if isinstance(item, ScanPage):
                    item.sha256  # noqa: B018 - a cached property: hashed here, not by the reader
                if not put((False, item)):
                    return
            put((True, None))
        except BaseException as exc:  # handed to the consumer and raised there
            put((True, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # its open files closed on this thread, not by the garbage collector

    thread = threading.Thread(target=produce, name="kiemphieu-pages", daemon=True)
    thread.start()
    try:
        while True:
            done, value = pending.get()
            if done:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stop.set()
        thread.join()


# a page's report already known, or a page read and to be stored (its image written)
Slot = PageReport | NewPage


class _Batch:
    """Pages on their way into the store, committed together.

    Image files are written as pages come, by ``syncer`` (one thread that mostly
    waits for the disk: 1.3-1.8 ms for a 1.5 MB JPEG, off the reader's thread);
    before the batch's records are committed, every write is checked and one sync of
    the images' file system makes every image durable, so no record ever points at an
    image that a power cut could lose. The sync runs on the same thread, after the
    batch's writes, while the next batch's pages are read; that batch's turn to be
    sealed commits this one. A crash before the commit loses only the records of the last
    two batches: the next run reads those pages again and stores them then
    (their images are already in place). One transaction per batch keeps the
    store's cost per page small.
    """

    def __init__(self, ws: Workspace, syncer: cf.Executor, stack: int | None = None) -> None:
        self.ws = ws
        self.syncer = syncer
        self.stack = stack
        # the thresholds every page is stored with (`NewPage`'s fields): made once, not a page
        t = ws.campaign.thresholds
        self.page_thresholds = {"thresholds": dataclasses.asdict(t)}
        self.slots: list[Slot] = []
        self.events: list[ScanEvent] = []
        self.started = 0.0
        self.writes: list[cf.Future[None]] = []
        self.unwritten: collections.deque[cf.Future[None]] = collections.deque()
        # the batch whose images are being synced: its slots, events, writes and the sync
        self.sealed: tuple[list[Slot], list[ScanEvent], list[cf.Future[None]],
                           cf.Future[None] | None] | None = None
        # the same sheet seen twice: every page read is compared with those before it
        self.index = SheetIndex(ws.store)
        self.matches: dict[int, Match] = {}  # by id() of a page read, until it is stored

    def full(self) -> bool:
        return len(self.slots) >= BATCH_PAGES or (
            bool(self.slots) and time.monotonic() - self.started > BATCH_SECONDS)

    def add(self, item: ScanPage | SourceProblem, outcome: Reading | PageRecord | None) -> None:
        if not self.slots:
            self.started = time.monotonic()
        if isinstance(item, SourceProblem):
            self.events.append((item.source, item.page_index, None, None, "rejected",
                                english((item.reason,))))
            self.slots.append(PageReport(item.source, item.page_index, "rejected", (item.reason,)))
        elif isinstance(outcome, PageRecord):
            report, event = _seen_before(self.ws, item.source, item.page_index, outcome)
            self.events.append(event)
            self.slots.append(report)
        else:
            assert isinstance(outcome, Reading)
            self.slots.append(self._new_page(item, outcome))

    def _new_page(self, item: ScanPage, outcome: Reading) -> NewPage:
        ws = self.ws
        rel = image_relpath(item.sha256, item.suffix)
        target = ws.path / rel
        write = self.syncer.submit(_write_image, target, item.data)
        self.writes.append(write)
        # on a slow disk, wait rather than hold more than a few pages' bytes
        self.unwritten.append(write)
        while self.unwritten and (self.unwritten[0].done()
                                  or len(self.unwritten) > WRITE_AHEAD_PAGES):
            self.unwritten.popleft().result()
        page = NewPage.of(
            outcome, source=item.source, page_index=item.page_index, image_sha256=item.sha256,
            image_path=str(rel), **self.page_thresholds,
        )
        found = self.index.match(page)
        if found is not None:
            self.matches[id(page)] = found
        return page

    def flush(self) -> list[PageReport]:
        """Seal the batch (its images start syncing) and commit the one sealed before it;
        return that one's reports, in input order."""
        reports = self._commit_sealed()
        if self.slots:
            sync = (self.syncer.submit(sync_filesystem, self.ws.images_dir)
                    if self.writes else None)
            self.sealed = (self.slots, self.events, self.writes, sync)
            self.slots, self.events, self.writes = [], [], []
        return reports

    def finish(self) -> list[PageReport]:
        """Commit everything left; return the reports in input order."""
        return self.flush() + self._commit_sealed()

    def _commit_sealed(self) -> list[PageReport]:
        if self.sealed is None:
            return []
        slots, events, writes, sync = self.sealed
        self.sealed = None
        for write in writes:
            write.result()  # raises what writing an image raised: no record without its image
        if sync is not None:
            sync.result()  # every image durable before the records that point at it
        store = self.ws.store
        new, tickets = self._held([slot for slot in slots if not isinstance(slot, PageReport)])
        stored = store.add_pages(new, events, self.stack)
        if stored is None:  # another station stored one of these images meanwhile
            for event in events:
                store.add_event(*event, stack=self.stack)
            stored = []
            for page in new:
                if page.same_at is not None:
                    page = dataclasses.replace(page, same_as=stored[page.same_at][0].id,
                                               same_at=None)
                stored.append(store.add_page(page, self.stack))
        for ticket, (record, _) in zip(tickets, stored, strict=True):
            if ticket is not None:
                self.index.stored(ticket, record.id)
        results = iter(zip(new, stored, strict=True))
        reports = []
        for slot in slots:
            if isinstance(slot, PageReport):
                reports.append(slot)
                continue
            page, (record, is_new) = next(results)
            if is_new:
                twin = stored[page.same_at][0].id if page.same_at is not None else page.same_as
                reports.append(_report(page, record, self.ws.campaign.levels, twin))
            else:
                report, event = _seen_before(self.ws, page.source, page.page_index, record)
                store.add_event(*event, stack=self.stack)
                reports.append(report)
        return reports

    def _held(self, new: list[NewPage]) -> tuple[list[NewPage], list[Ticket | None]]:
        """The pages to store, each found probably the same sheet as another page marked so
        (`pipeline.store.prints`: held until the chair decides), and their tickets."""
        out: list[NewPage] = []
        tickets: list[Ticket | None] = []
        for page in new:
            ticket, twin = self.matches.pop(id(page), (None, None))
            tickets.append(ticket)
            if twin is not None:
                target, alike = twin
                if isinstance(target, Ticket) and target.page_id is not None:
                    target = target.page_id
                if isinstance(target, int):
                    page = dataclasses.replace(page, same_as=target, likeness=alike)
                else:
                    at = next((i for i, p in enumerate(new) if p is target.page), None)
                    if at is not None:
                        page = dataclasses.replace(page, same_at=at, likeness=alike)
            out.append(page)
        return out, tickets


Work = tuple[ScanPage | SourceProblem, Reading | PageRecord | None]


def _read_all(items: Iterator[ScanPage | SourceProblem], ws: Workspace,
              workers: int) -> Iterator[Work]:
    """Pair every item with its reading (or the stored record of the same image), in order."""
    items = _looked_up(items, ws)
    # the printed pages the notes are found against, kept in the workspace (`kiemphieu new`
    # renders them), loaded for this process's reader; with workers, loaded while their
    # fork server gets ready and given to every worker, not made again in each
    printed = references(ws.layout, render=printed_pages, kept_in=ws.printed_dir)

    if workers <= 1:
        yield from _read_here(items, ws)
    else:
        yield from _read_pooled(items, ws, workers, printed)


def _read_pooled(items: Iterator[tuple[ScanPage | SourceProblem, PageRecord | None]],
                 ws: Workspace, workers: int, printed: tuple[NoteReference, ...] | None
                 ) -> Iterator[Work]:
    """`_read_all` by ``workers`` reading processes (`pipeline.reading.workers.ReadingPool`), given
    the printed pages' references; a page found in the store, or a file's problem, passed
    on as it is."""
    thresholds = ws.campaign.thresholds
    with ReadingPool(workers, ws.layout, thresholds, printed) as pool:
        # each page with its stored record, or with its number in the pool, to be read
        window: collections.deque[tuple[ScanPage | SourceProblem, PageRecord | int | None]] = \
            collections.deque()
        limit = 2 * workers
        for item, stored in items:
            if stored is None and isinstance(item, ScanPage):
                window.append((item, pool.send(item.data)))
            else:
                window.append((item, stored))
            while len(window) > limit:
                yield _received(window.popleft(), pool)
        while window:
            yield _received(window.popleft(), pool)


def _read_here(items: Iterator[tuple[ScanPage | SourceProblem, PageRecord | None]],
               ws: Workspace, queued: int = QUEUED_PAGES) -> Iterator[Work]:
    """`_read_all` in this process: the pages decoded and read on reading threads, a page
    each (`pipeline.reading.workers.read_in_turn`); a page found in the store, or a file's
    problem, passed on as it is."""
    thresholds = ws.campaign.thresholds
    pages = (((item, stored), item.data if stored is None and isinstance(item, ScanPage) else None,
              thresholds) for item, stored in items)
    for (item, stored), reading in read_in_turn(pages, ws.layout, queued):
        yield item, reading if reading is not None else stored


def _received(pair: tuple[ScanPage | SourceProblem, PageRecord | int | None], pool: ReadingPool
              ) -> Work:
    """The page with its stored record, or with its reading, taken from the pool."""
    item, stored = pair
    if not isinstance(stored, int):
        return item, stored
    try:
        return item, pool.receive(stored)
    except ReaderStopped as exc:
        raise ReaderStopped(key="reader_stopped_at", stopped=exc, source=item.source,
                            page=item.page_index + 1) from None
    except ReaderFailed as exc:
        raise ReaderFailed(key="reader_failed_at", failed=exc, source=item.source,
                           page=item.page_index + 1) from None


LOOKUP_PAGES = 8


def _looked_up(items: Iterator[ScanPage | SourceProblem], ws: Workspace
               ) -> Iterator[tuple[ScanPage | SourceProblem, PageRecord | None]]:
    """Each item with the stored record of the same image, if any: one query per few pages.

    A page whose copy comes in the same few pages is not found here; it is read,
    and the store's unique index then makes it a duplicate (`_Batch.flush`).
    """
    chunk: list[ScanPage | SourceProblem] = []
    for item in itertools.chain(items, [None]):
        if item is not None:
            chunk.append(item)
            if len(chunk) < LOOKUP_PAGES:
                continue
        stored = ws.store.find_pages([i.sha256 for i in chunk if isinstance(i, ScanPage)])
        for i in chunk:
            yield i, stored.get(i.sha256) if isinstance(i, ScanPage) else None
        chunk = []


def _write_image(target: Path, data: bytes) -> None:
    """Write a page's image where the store expects it, unless it is there already (named by
    its SHA-256, so it holds these bytes: a page stored before, or written by a run that
    stopped before its records were committed). Looked for here, on the writing thread: a
    look in a folder being written to waited 0.2 ms for the writes on the reader's thread."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, data, durable=False)


def sync_filesystem(folder: Path) -> None:
    """Make every file written under ``folder`` durable: ``syncfs`` on Linux, else ``sync``.

    One call per batch costs what one fsync does, where an fsync per image
    would cost that for every page; unlike ``sync`` it leaves other file
    systems alone.
    """
    c = libc()
    if c is not None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if c.syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    os.sync()


def _report(page: NewPage, record: PageRecord, levels: tuple[str, ...] = LEVELS,
            twin: int | None = None) -> PageReport:
    """A new page's line; a page held as probably the same sheet as page ``twin`` is a
    ``duplicate`` until the chair decides (not counted), with the reason."""
    code = parse_code(page.code_text) if page.code_text else None
    status, reasons = page.status, page.reasons
    if twin is not None:
        status = "duplicate"
        reasons = (why.SAME_SHEET(page=twin, percent=round(100 * (page.likeness or 0))),)
    return PageReport(
        source=page.source, page_index=page.page_index, status=status,
        reasons=reasons, campaign=code.campaign_id if code else None,
        ballot_page=page.ballot_page, rows=tuple(_row_json(r, levels) for r in page.rows),
        page_id=record.id, doubts=page.doubts,
    )


def _seen_before(ws: Workspace, source: str, page_index: int, record: PageRecord
                 ) -> tuple[PageReport, ScanEvent]:
    """The same image is stored already: report the sighting, count nothing."""
    if record.status == "accepted":
        status = "duplicate"
        reason = why.SEEN_BEFORE(page=record.id)
    else:
        status = record.status
        reason = why.SEEN_BEFORE_AS(reasons=record.reasons, page=record.id)
    event = (source, page_index, record.image_sha256, record.id, status, english((reason,)))
    return PageReport(
        source=source, page_index=page_index, status=status, reasons=(reason,),
        campaign=ws.campaign.id if record.status == "accepted" else None,
        ballot_page=record.ballot_page, page_id=record.id,
    ), event


def _row_json(row: Any, levels: tuple[str, ...]) -> dict[str, Any]:
    return {
        "candidate": row.candidate,
        "outcome": row.outcome,
        "level": row.level,
        "reason": row.reason,
        "reasons": to_json(row.reasons) or [],
        "scores": dict(zip(levels, row.fills, strict=True)),
        **({"measures": row.measures} if row.measures else {}),
    }
