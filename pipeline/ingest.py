"""``kiemphieu scan``: stream pages from files, read them, store them, report them.

Pages flow one at a time: `sources.iter_pages` yields encoded page images,
`reading.read_scan` reads them (in worker processes with ``--workers N``),
and the main process stores each in input order. At most a few pages per
worker are in flight, so memory does not grow with the stack.

A page is identified by the SHA-256 of its stored image bytes. The same
image seen again is never read or counted again: it is reported as
``duplicate`` (or, if it was a blank or rejected page, with that status
again) and only the sighting is recorded.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.campaign import Thresholds
from pipeline.errors import WorkspaceError
from pipeline.layout import BallotLayout, parse_code
from pipeline.reading import Reading, read_scan
from pipeline.rules import LEVELS
from pipeline.sources import ScanPage, SourceProblem, iter_pages
from pipeline.store import NewPage, PageRecord, image_relpath
from pipeline.workspace import Workspace, atomic_write


@dataclass(frozen=True)
class PageReport:
    """One line of ``scan --jsonl``: what became of one input page."""

    source: str
    page_index: int
    status: str
    reason: str | None
    campaign: str | None = None
    ballot_page: int | None = None
    rows: tuple[dict[str, Any], ...] = ()
    page_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "page_index": self.page_index,
            "status": self.status,
            "reason": self.reason,
            "campaign": self.campaign,
            "ballot_page": self.ballot_page,
            "rows": list(self.rows),
        }


@dataclass
class IngestSummary:
    pages: int = 0
    by_status: collections.Counter[str] = field(default_factory=collections.Counter)
    rows_to_review: int = 0

    def add(self, report: PageReport) -> None:
        self.pages += 1
        self.by_status[report.status] += 1
        self.rows_to_review += sum(1 for r in report.rows if r["outcome"] == "review")


def ingest(
    ws: Workspace,
    files: Iterable[Path],
    *,
    workers: int = 1,
    on_report: Callable[[PageReport], None] = lambda r: None,
) -> IngestSummary:
    """Scan ``files`` into ``ws``; call ``on_report`` for every page, in input order.

    Raises `WorkspaceError` if the count is certified: nothing may be added.
    """
    certified = ws.store.certified_at()
    if certified is not None:
        raise WorkspaceError(
            f"{ws.path}: the count was certified on {certified:%d/%m/%Y %H:%M} UTC and is locked; "
            "no more scans can be added"
        )
    summary = IngestSummary()
    for item, reading in _read_all(iter_pages(files), ws, workers):
        report = _store(ws, item, reading)
        summary.add(report)
        on_report(report)
    return summary


Work = tuple[ScanPage | SourceProblem, Reading | PageRecord | None]


def _read_all(items: Iterator[ScanPage | SourceProblem], ws: Workspace,
              workers: int) -> Iterator[Work]:
    """Pair every item with its reading (or the stored record of the same image), in order."""
    thresholds = ws.campaign.thresholds

    def known(item: ScanPage | SourceProblem) -> PageRecord | None:
        return ws.store.find_page(item.sha256) if isinstance(item, ScanPage) else None

    if workers <= 1:
        for item in items:
            stored = known(item)
            if stored is not None or isinstance(item, SourceProblem):
                yield item, stored
            else:
                yield item, read_scan(item.data, ws.layout, thresholds)
        return

    context = multiprocessing.get_context("forkserver")
    with cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=context,
        initializer=_worker_init, initargs=(ws.layout, thresholds),
    ) as pool:
        window: collections.deque[tuple[ScanPage | SourceProblem, Any]] = collections.deque()
        limit = 2 * workers
        for item in items:
            stored = known(item)
            if stored is not None or isinstance(item, SourceProblem):
                window.append((item, stored))
            else:
                window.append((item, pool.submit(_worker_read, item.data)))
            while len(window) > limit:
                yield _resolve(window.popleft())
        while window:
            yield _resolve(window.popleft())


def _resolve(pair: tuple[ScanPage | SourceProblem, Any]) -> Work:
    item, pending = pair
    if isinstance(pending, cf.Future):
        return item, pending.result()
    return item, pending


_worker_state: dict[str, Any] = {}


def _worker_init(layout: BallotLayout, thresholds: Thresholds) -> None:
    _worker_state["layout"] = layout
    _worker_state["thresholds"] = thresholds


def _worker_read(data: bytes) -> Reading:
    return read_scan(data, _worker_state["layout"], _worker_state["thresholds"])


def _store(ws: Workspace, item: ScanPage | SourceProblem,
           outcome: Reading | PageRecord | None) -> PageReport:
    if isinstance(item, SourceProblem):
        ws.store.add_event(item.source, item.page_index, None, None, "rejected", item.reason)
        return PageReport(item.source, item.page_index, "rejected", item.reason)
    sha = item.sha256
    if isinstance(outcome, PageRecord):
        return _seen_before(ws, item, outcome)
    assert isinstance(outcome, Reading)
    rel = image_relpath(sha, item.suffix)
    target = ws.path / rel
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, item.data)
    record, is_new = ws.store.add_page(
        NewPage(
            source=item.source, page_index=item.page_index, image_sha256=sha,
            image_path=str(rel), status=outcome.status, reason=outcome.reason,
            code_text=outcome.code_text, ballot_page=outcome.ballot_page,
            width_px=outcome.width_px, height_px=outcome.height_px,
            quarter_turns=outcome.quarter_turns, px_per_mm=outcome.px_per_mm,
            residual_mm=outcome.residual_mm, homography=outcome.homography,
            definite=ws.campaign.thresholds.definite, marginal=ws.campaign.thresholds.marginal,
            rows=outcome.rows,
        )
    )
    if not is_new:
        return _seen_before(ws, item, record)
    code = parse_code(outcome.code_text) if outcome.code_text else None
    return PageReport(
        source=item.source, page_index=item.page_index, status=outcome.status,
        reason=outcome.reason, campaign=code.campaign_id if code else None,
        ballot_page=outcome.ballot_page, rows=tuple(_row_json(r) for r in outcome.rows),
        page_id=record.id,
    )


def _seen_before(ws: Workspace, item: ScanPage, record: PageRecord) -> PageReport:
    """The same image is stored already: record the sighting, count nothing."""
    if record.status == "accepted":
        status = "duplicate"
        reason = (f"the same image was already scanned (stored page {record.id}); "
                  f"it is counted once")
    else:
        status = record.status
        reason = f"{record.reason} (the same image was already scanned as page {record.id})"
    ws.store.add_event(item.source, item.page_index, record.image_sha256, record.id, status,
                       reason)
    return PageReport(
        source=item.source, page_index=item.page_index, status=status, reason=reason,
        campaign=ws.campaign.id if record.status == "accepted" else None,
        ballot_page=record.ballot_page, page_id=record.id,
    )


def _row_json(row: Any) -> dict[str, Any]:
    return {
        "candidate": row.candidate,
        "outcome": row.outcome,
        "level": row.level,
        "reason": row.reason,
        "scores": dict(zip(LEVELS, row.fills, strict=True)),
    }
