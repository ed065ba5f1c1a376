"""The same sheet seen twice: a page read is compared with the pages stored before it.

Every accepted page comes from the reader with the print of its handwriting
(`omr.likeness.sheet_print`, made in the reading worker from the arrays it
placed the page with). `SheetIndex` keeps the prints of one workspace by
ballot page (the bucket: a page is only compared with pages of the same
ballot page), loaded from the store the first time a scan meets that ballot
page, grown with each page the scan reads, stored or not yet, and with the
pages other stations store meanwhile.

A page is compared in two passes: its coarse summary against every summary
in its bucket at once (one matrix product), then in full (`omr.likeness.likeness`)
against the ``SHORTLIST`` nearest, each comparison stopped once it cannot beat the best so
far, and the shortlist once a page is alike beyond doubt (``SURE``). The best at or above
`omr.likeness.SAME_SHEET` is the page it is probably the same sheet as; the
page is then stored held (`pipeline.store.prints`) until the chair decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from omr.likeness import SAME_SHEET, SheetPrint, likeness, nearest
from pipeline.store.prints import bucket
from pipeline.store.store import Store

SHORTLIST = 8  # pages compared in full, of those nearest by their summaries
#: A page this alike is the same sheet beyond doubt (rescans and photocopies score 0.989 and
#: more, different sheets at most 0.79): the rest of the shortlist is not compared.
SURE = 0.98
COARSE_FLOOR = 0.5  # summaries less alike than this are not compared in full


@dataclass(eq=False)
class Ticket:
    """A page the scan read, in its bucket: ``page`` until it is stored, then ``page_id``."""

    page: Any
    page_id: int | None = None


@dataclass
class _Bucket:
    keys: list[int | Ticket] = field(default_factory=list)  # a stored page, or one being stored
    prints: list[SheetPrint] = field(default_factory=list)
    # the summaries, one a row, in an array grown by doubling (the first ``len(keys)`` rows)
    rows: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    known: set[int] = field(default_factory=set)  # the stored pages in it
    last: int = 0  # the newest stored page looked for

    def add(self, key: int | Ticket, found: SheetPrint) -> None:
        summary = found.summary()
        n = len(self.keys)
        if not n:
            self.rows = np.zeros((64, len(summary)), np.float32)
        elif n == len(self.rows):
            self.rows = np.vstack([self.rows, np.zeros_like(self.rows)])
        if len(summary) == self.rows.shape[1]:
            self.rows[n] = summary  # another shape of print (never on one ballot page): zeros
        self.keys.append(key)
        self.prints.append(found)

    def stacked(self) -> np.ndarray:
        return self.rows[:len(self.keys)]


#: What `SheetIndex.match` finds: the page's own ticket, and the page it is probably the same
#: sheet as (a stored page's id, or a page being stored) with how alike they are, or None.
Match = tuple[Ticket, tuple[int | Ticket, float] | None]


class SheetIndex:
    """The prints of a workspace's pages, by ballot page, for one scan (one thread)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._buckets: dict[int, _Bucket] = {}

    def _bucket(self, ballot_page: int) -> _Bucket:
        """The bucket of ``ballot_page``, with the pages stored since it was last looked at
        (by this scan, or by another station meanwhile: one indexed query)."""
        found = self._buckets.setdefault(ballot_page, _Bucket())
        with self.store.engine.connect() as conn:
            stored = bucket(conn, self.store.campaign_id, ballot_page, after=found.last)
        for page_id, data in stored:
            found.last = max(found.last, page_id)
            if page_id in found.known:
                continue  # read by this scan: in the bucket already
            try:
                found.add(page_id, SheetPrint.from_bytes(data))
            except ValueError:
                continue  # a damaged print compares with nothing
            found.known.add(page_id)
        return found

    def match(self, page: Any) -> Match | None:
        """Which page ``page`` (a reading with ``sheet_print`` and ``ballot_page``) is probably
        the same sheet as; ``page`` is added to its bucket, with a ticket to give
        `stored` once it is stored. None for a page without a print."""
        data, ballot_page = getattr(page, "sheet_print", None), page.ballot_page
        if data is None or ballot_page is None or page.status != "accepted":
            return None
        try:
            found = SheetPrint.from_bytes(data)
        except ValueError:
            return None
        group = self._bucket(ballot_page)
        best: tuple[int | Ticket, float] | None = None
        for i, cos in nearest(found.summary(), group.stacked(), SHORTLIST):
            if cos < COARSE_FLOOR:
                break
            # only a print more alike than the best so far matters: the rest stop early
            score = likeness(found, group.prints[i],
                             floor=SAME_SHEET if best is None else max(SAME_SHEET, best[1]))
            if score >= SAME_SHEET and (best is None or score > best[1]):
                key = group.keys[i]
                best = (key.page_id if isinstance(key, Ticket) and key.page_id is not None
                        else key, score)
                if score >= SURE:
                    break
        ticket = Ticket(page)
        group.add(ticket, found)
        return ticket, best

    def stored(self, ticket: Ticket, page_id: int) -> None:
        """The page of ``ticket`` is stored as ``page_id``."""
        if ticket.page is not None and ticket.page.ballot_page in self._buckets:
            self._buckets[ticket.page.ballot_page].known.add(page_id)
        ticket.page_id = page_id
        ticket.page = None
