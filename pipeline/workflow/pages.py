"""The chair's decisions on a whole page: ``invalid``, ``withdraw``, ``restore``.

- ``invalid``: the sheet is a ballot collected but void as a whole (not the
  issued form, no seal, writing added, a printed name struck out under QĐ 96):
  it stays in the ballots collected and in the base, and every person's row on
  it counts ``invalid``.
- ``withdraw``: the page leaves the count altogether; it is not a ballot
  collected (a sheet scanned twice, a photocopy, a test sheet).
- ``restore``: takes the decision in force back.

Each is a line of the append-only log (``page_decision``: who, when, why);
only the chair may make one, and none once the count is certified. A page's
review items wait for nobody while it is invalid or withdrawn (they come back
with ``restore``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from pipeline.domain.committee import Person
from pipeline.domain.errors import KiemphieuError, WorkspaceError
from pipeline.store.store import PAGE_DECISIONS, CertifiedError
from pipeline.store.workspace import Workspace

MAX_REASON = 500


class PageDecisionError(KiemphieuError):
    """A decision on a page refused: who, which page, or its state does not allow it."""


@dataclass(frozen=True)
class PageDecision:
    """One line of the log."""

    id: int
    page_id: int
    decision: str
    reason: str
    by: str
    role: str
    at: Any  # datetime (UTC)


def decide_page(ws: Workspace, page_id: int, decision: str, reason: str,
                actor: Person) -> PageDecision:
    """Record the chair's ``decision`` on stored page ``page_id``.

    Raises
    ------
    PageDecisionError
        Not the chair; no reason; no such page; a page that is not counted (invalid,
        withdraw); a decision already in force (restore it first); nothing to restore.
    WorkspaceError
        The count is certified.
    """
    if decision not in PAGE_DECISIONS:
        raise PageDecisionError(key="pages_not_decision", decision=decision,
                                decisions=", ".join(PAGE_DECISIONS))
    if actor.role != "chair":
        raise PageDecisionError(key="pages_not_chair", decision=decision, name=actor.name,
                                role=actor.role)
    why = unicodedata.normalize("NFC", " ".join((reason or "").split()))
    if not why:
        raise PageDecisionError(key="pages_say_why")
    if len(why) > MAX_REASON:
        raise PageDecisionError(key="stack_long_reason", n=len(why), most=MAX_REASON)
    page = ws.store.page(page_id)
    if page is None:
        raise PageDecisionError(key="cli_page_none", page=page_id)
    counted = ws.store.counted(page_id)

    def check(in_force: str | None) -> None:
        if decision == "restore":
            if in_force is None:
                raise PageDecisionError(key="pages_nothing_to_restore", page=page_id)
            return
        if in_force is not None:
            raise PageDecisionError(key=f"pages_already_{in_force}", page=page_id)
        if not counted:
            raise PageDecisionError(key="pages_not_counted", page=page_id)

    try:
        row = ws.store.add_page_decision(page_id, decision, why, actor.name, actor.role, check)
    except CertifiedError as exc:
        raise WorkspaceError(key="ws_locked", path=str(ws.path), at=exc.at) from None
    return PageDecision(row["id"], page_id, decision, why, actor.name, actor.role, row["at"])


def page_log(ws: Workspace, page_id: int | None = None) -> list[PageDecision]:
    """The chair's decisions on one page, or on every page, oldest first."""
    return [PageDecision(d["id"], d["page_id"], d["decision"], d["reason"], d["by"], d["role"],
                         d["at"]) for d in ws.store.page_decisions(page_id)]
