"""Sheet prints in the store: the handwriting of each accepted page (`omr.likeness`), and the
pages held as probably the same sheet as another.

A page read with a print keeps it in ``page_print``, with its ballot page:
the bucket a new page of that ballot page is compared in
(`pipeline.workflow.samesheet`). A page found alike enough to one stored
before is stored with a review item of kind ``same`` (candidate
`SAME_SHEET_ITEM`) saying which page, and ``page_print.same_as`` names it.
Until the chair decides that item the page is held: not counted, its rows
pending (`held`). The chair's ``same`` takes it out of the count as a
withdrawn page would be (`same_sheet`); ``different`` counts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, insert, select

from pipeline.domain import reasons as why
from pipeline.domain.reasons import to_json
from pipeline.domain.records import Reading, english
from pipeline.store.schema import page_print_table, review_table

#: The ``candidate`` of a page's "probably the same sheet" review item (0 is the page's own
#: item, 1 and on its rows).
SAME_SHEET_ITEM = -1
SAME = "same"  # the item's kind, and the chair's decision that it is the same sheet
DIFFERENT = "different"  # the chair's decision that it is another ballot


def held(page_id: Any):
    """SQL condition: the page ``page_id`` (a column) waits for the chair to say whether it is
    the same sheet as another page."""
    r = review_table
    return exists().where(r.c.page_id == page_id, r.c.kind == SAME, r.c.state != "resolved")


def same_sheet(page_id: Any):
    """SQL condition: the chair decided the page ``page_id`` is the same sheet as another."""
    r = review_table
    return exists().where(r.c.page_id == page_id, r.c.kind == SAME, r.c.state == "resolved",
                          r.c.resolution == SAME)


def store_prints(conn: Any, campaign_id: str, ids: Sequence[int], pages: Sequence[Reading]
                 ) -> list[dict[str, Any]]:
    """Insert the prints of ``pages`` (stored as ``ids``); return the review items of those
    held as probably the same sheet as another page.

    A page's ``same_as`` names a page stored before; ``same_at`` one of ``pages`` (by its
    place in them, stored in the same statement).
    """
    rows, items = [], []
    for page_id, page in zip(ids, pages, strict=True):
        data = getattr(page, "sheet_print", None)
        if page.status != "accepted" or data is None or page.ballot_page is None:
            continue
        same_at = getattr(page, "same_at", None)
        twin = ids[same_at] if same_at is not None else getattr(page, "same_as", None)
        alike = getattr(page, "likeness", None) if twin is not None else None
        rows.append({"page_id": page_id, "campaign_id": campaign_id,
                     "ballot_page": page.ballot_page, "print": data, "same_as": twin,
                     "likeness": alike})
        if twin is not None:
            reasons = (why.SAME_SHEET(page=twin, percent=round(100 * (alike or 0))),)
            items.append({"page_id": page_id, "candidate": SAME_SHEET_ITEM, "kind": SAME,
                          "reason": english(reasons), "reasons": to_json(reasons)})
    if rows:
        conn.execute(insert(page_print_table), rows)
    return items


def bucket(conn: Any, campaign_id: str, ballot_page: int, after: int = 0
           ) -> list[tuple[int, bytes]]:
    """The stored prints of one ballot page, of pages after ``after`` (an id): (page id,
    print), in storage order."""
    p = page_print_table
    return [(i, bytes(b)) for i, b in conn.execute(
        select(p.c.page_id, p.c.print)
        .where(p.c.campaign_id == campaign_id, p.c.ballot_page == ballot_page,
               p.c.page_id > after)
        .order_by(p.c.page_id))]


def twin_of(conn: Any, page_id: int) -> tuple[int, float] | None:
    """The page ``page_id`` was held as probably the same sheet as, and how alike; None."""
    p = page_print_table
    row = conn.execute(select(p.c.same_as, p.c.likeness).where(
        p.c.page_id == page_id, p.c.same_as.is_not(None))).first()
    return None if row is None else (int(row[0]), float(row[1] or 0.0))

