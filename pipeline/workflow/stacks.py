"""Stacks: every ``scan`` run and every web upload, with the pages it stored, its files and
its station; the chair's hand count of a stack, and withdrawing a whole stack to rescan it.

- A stack is opened by `pipeline.workflow.ingest.ingest` (``kind`` ``scan`` or
  ``upload``) and numbered from 1. Its pages are those it stored first; the same
  image fed again later is a sighting of the later stack, counted nowhere.
- ``count``: the chair records how many ballots the stack held by hand (one
  delegation's envelope, say); `Stack.matches` compares it with the stack's
  accepted pages, ballot page by ballot page.
- ``withdraw``: before certification the chair takes the whole stack out of the
  count, with a reason, to scan it again: every page of it is withdrawn through
  the chair's page-decision log (`pipeline.workflow.pages`), as ``kiemphieu page
  ... withdraw`` would, the reason saying which stack. A page declared invalid is
  withdrawn too (the rescan brings the sheet back).
- ``restore``: takes the withdrawal back: each page it withdrew and that is still
  withdrawn by it is restored, and a page that was declared invalid before is
  declared invalid again with its reason.

Each is a line of the append-only ``stack_log`` (who, when, why); only the
chair may make one, and none once the count is certified. Rescanning the same
files (the same image bytes) adds nothing: restore the stack instead.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from pipeline.domain.committee import Person
from pipeline.domain.errors import KiemphieuError, WorkspaceError
from pipeline.store.stacks import StackStore
from pipeline.store.store import CertifiedError
from pipeline.store.workspace import Workspace

MAX_REASON = 500


class StackError(KiemphieuError):
    """A record on a stack refused: who, which stack, or its state does not allow it."""


@dataclass(frozen=True)
class Stack:
    """One stack as it stands: its record, its pages by status, the chair's records on it."""

    id: int
    kind: str  # scan | upload
    station: str
    by: str | None
    sources: tuple[str, ...]
    started_at: dt.datetime
    finished_at: dt.datetime | None
    pages: int  # pages it stored
    by_status: dict[str, int]  # stored pages by status now (accepted, rejected, withdrawn...)
    accepted: dict[int, int]  # accepted pages by ballot page
    seen: int  # input pages it saw, stored or not (duplicates, pages seen before, bad files)
    hand_count: int | None
    withdrawn: bool
    withdraw_reason: str | None
    log: tuple[dict[str, Any], ...] = field(default=())

    @property
    def matches(self) -> bool | None:
        """Whether the hand count equals the accepted pages of every ballot page (None: no
        hand count)."""
        if self.hand_count is None:
            return None
        return bool(self.accepted) and all(n == self.hand_count for n in self.accepted.values())

    def to_json(self, page_count: int) -> dict[str, Any]:
        """The stack as ``tally --json`` gives it (docs/contract.md)."""
        return {
            "stack": self.id,
            "kind": self.kind,
            "station": self.station,
            "by": self.by,
            "sources": list(self.sources),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "pages": self.pages,
            "seen": self.seen,
            "by_status": dict(sorted(self.by_status.items())),
            "pages_accepted": {str(p): self.accepted.get(p, 0) for p in range(1, page_count + 1)},
            "hand_count": self.hand_count,
            "matches": self.matches,
            "withdrawn": self.withdrawn,
            "withdraw_reason": self.withdraw_reason,
        }


def _iso(at: dt.datetime | None) -> str | None:
    return None if at is None else at.replace(tzinfo=dt.UTC).isoformat()


def open_stack(ws: Workspace, kind: str, station: str, by: str | None,
               sources: list[str]) -> int:
    """A new stack for a scan run or an upload; its number."""
    return StackStore(ws.store).open(kind, station, by, sources)


def finish_stack(ws: Workspace, stack_id: int) -> None:
    StackStore(ws.store).finish(stack_id)


def stacks(ws: Workspace) -> list[Stack]:
    """Every stack, oldest first."""
    st = StackStore(ws.store)
    counts, seen, log = st.page_counts(), st.sightings(), st.log()
    return [_stack(r, counts.get(r["id"], {}), seen.get(r["id"], {}),
                   [e for e in log if e["stack_id"] == r["id"]]) for r in st.all()]


def stack(ws: Workspace, stack_id: int) -> Stack:
    """One stack; `StackError` if there is none of that number."""
    st = StackStore(ws.store)
    row = st.get(stack_id)
    if row is None:
        raise StackError(key="stack_none", stack=stack_id)
    return _stack(row, st.page_counts().get(stack_id, {}), st.sightings().get(stack_id, {}),
                  st.log(stack_id))


def stack_pages(ws: Workspace, stack_id: int) -> list[dict[str, Any]]:
    """The pages the stack stored: number, source, index, the machine's status, ballot page and
    the chair's latest decision on it."""
    stack(ws, stack_id)
    return StackStore(ws.store).pages(stack_id)


def _stack(row: dict[str, Any], counts: dict[tuple[str, int | None], int],
           seen: dict[str, int], log: list[dict[str, Any]]) -> Stack:
    by_status: dict[str, int] = {}
    accepted: dict[int, int] = {}
    for (status, page), n in counts.items():
        by_status[status] = by_status.get(status, 0) + n
        if status == "accepted" and page is not None:
            accepted[page] = accepted.get(page, 0) + n
    hand = [e for e in log if e["action"] == "count"]
    state = [e for e in log if e["action"] in ("withdraw", "restore")]
    withdrawn = bool(state) and state[-1]["action"] == "withdraw"
    return Stack(
        id=row["id"], kind=row["kind"], station=row["station"], by=row["by"],
        sources=tuple(row["sources"] or ()), started_at=row["started_at"],
        finished_at=row["finished_at"], pages=sum(by_status.values()), by_status=by_status,
        accepted=accepted, seen=sum(seen.values()),
        hand_count=hand[-1]["hand_count"] if hand else None, withdrawn=withdrawn,
        withdraw_reason=state[-1]["reason"] if withdrawn else None, log=tuple(log),
    )


def _chair(actor: Person) -> None:
    if actor.role != "chair":
        raise StackError(key="stack_not_chair", name=actor.name, role=actor.role)


def _reason(reason: str | None) -> str:
    why = unicodedata.normalize("NFC", " ".join((reason or "").split()))
    if not why:
        raise StackError(key="stack_no_reason")
    if len(why) > MAX_REASON:
        raise StackError(key="stack_long_reason", n=len(why), most=MAX_REASON)
    return why


def _certified(ws: Workspace, exc: CertifiedError) -> WorkspaceError:
    return WorkspaceError(key="ws_locked", path=str(ws.path), at=exc.at)


def record_count(ws: Workspace, stack_id: int, hand_count: int, actor: Person) -> Stack:
    """Record the chair's hand count of the stack's ballots; the stack as it now stands."""
    _chair(actor)
    if hand_count < 0:
        raise StackError(key="stack_bad_count", n=hand_count)
    stack(ws, stack_id)
    try:
        StackStore(ws.store).add_log(stack_id, "count", actor.name, actor.role,
                                     hand_count=hand_count)
    except CertifiedError as exc:
        raise _certified(ws, exc) from None
    return stack(ws, stack_id)


def withdraw_stack(ws: Workspace, stack_id: int, reason: str, actor: Person) -> Stack:
    """Take every page of the stack out of the count, to scan it again (the module's text)."""
    _chair(actor)
    why = _reason(reason)
    if stack(ws, stack_id).withdrawn:
        raise StackError(key="stack_withdrawn_already", stack=stack_id)
    page_reason = f"lô {stack_id} rút ra để quét lại: {why}"
    made: list[dict[str, Any]] = []
    try:
        for page in StackStore(ws.store).pages(stack_id):
            before = _in_force(page["decision"])
            if before == "withdraw":
                continue  # the chair withdrew it already, on its own
            earlier = _latest(ws, page["id"]) if before == "invalid" else None
            row = ws.store.add_page_decision(page["id"], "withdraw", page_reason, actor.name,
                                             actor.role, lambda in_force: None)
            made.append({"page": page["id"], "decision": row["id"],
                         "before": earlier and {"decision": "invalid", "reason": earlier["reason"]}})
        StackStore(ws.store).add_log(stack_id, "withdraw", actor.name, actor.role, reason=why,
                                     pages=made, check=_not_withdrawn(stack_id))
    except CertifiedError as exc:
        raise _certified(ws, exc) from None
    return stack(ws, stack_id)


def restore_stack(ws: Workspace, stack_id: int, reason: str, actor: Person) -> Stack:
    """Take the stack's withdrawal back (the module's text)."""
    _chair(actor)
    why = _reason(reason)
    current = stack(ws, stack_id)
    if not current.withdrawn:
        raise StackError(key="stack_not_withdrawn", stack=stack_id)
    withdrawal = [e for e in current.log if e["action"] == "withdraw"][-1]
    page_reason = f"lô {stack_id} khôi phục: {why}"
    made: list[dict[str, Any]] = []
    try:
        for entry in withdrawal["pages"] or []:
            latest = _latest(ws, entry["page"])
            if latest is None or latest["id"] != entry["decision"]:
                continue  # decided again since, page by page: that decision stands
            row = ws.store.add_page_decision(entry["page"], "restore", page_reason, actor.name,
                                             actor.role, lambda in_force: None)
            made.append({"page": entry["page"], "decision": row["id"]})
            if entry.get("before"):
                row = ws.store.add_page_decision(entry["page"], "invalid",
                                                 entry["before"]["reason"], actor.name,
                                                 actor.role, lambda in_force: None)
                made.append({"page": entry["page"], "decision": row["id"]})
        StackStore(ws.store).add_log(stack_id, "restore", actor.name, actor.role, reason=why,
                                     pages=made)
    except CertifiedError as exc:
        raise _certified(ws, exc) from None
    return stack(ws, stack_id)


def _in_force(latest: str | None) -> str | None:
    return None if latest in (None, "restore") else latest


def _latest(ws: Workspace, page_id: int) -> dict[str, Any] | None:
    log = ws.store.page_decisions(page_id)
    return log[-1] if log else None


def _not_withdrawn(stack_id: int):
    def check(log: list[dict[str, Any]]) -> None:
        state = [e for e in log if e["action"] in ("withdraw", "restore")]
        if state and state[-1]["action"] == "withdraw":
            raise StackError(key="stack_withdrawn_already", stack=stack_id)
    return check


def tally_json(ws: Workspace) -> dict[str, Any]:
    """``tally --json``: the tally's fields, and ``stacks`` (docs/contract.md)."""
    result = ws.tally().to_json()
    result["stacks"] = [s.to_json(ws.layout.page_count) for s in stacks(ws)]
    return result
