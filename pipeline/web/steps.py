"""The committee's session as steps, and which one comes next.

A session goes: scan (upload), review, declare the hand count, certify,
export the package, show the result in the hall. `next_step` says which
step is next for the person looking, with the link that does it; every page
of the station shows it, so that nobody has to know the order by heart.

The exported package is kept in the workspace, ``WS/exports/``: the folder
that `pipeline.documents.export.export_package` writes, and its zip, named
by the certificate's number (`package_paths`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.store.certificates import history
from pipeline.workflow.certify import blockers

EXPORTS = "exports"


@dataclass(frozen=True)
class Step:
    """What to do next: ``key``, the catalog's words for it; ``href``, where it is done
    (None when it is someone else's to do); ``done``, the session is over."""

    key: str
    href: str | None
    done: bool = False


def package_paths(st: Any) -> tuple[Path, Path] | None:
    """The package's folder and zip for the certificate in force; None before certification."""
    chain = history(st.ws.store) if st.ws.store.certified_at() is not None else []
    if not chain:
        return None
    folder = st.ws.path / EXPORTS / f"package-{chain[-1]['number']}"
    return folder, folder.with_suffix(".zip")


def next_step(st: Any, role: str, pending: int | None = None) -> Step:
    """The next step of the session for someone with ``role``; ``pending``, the open review
    items, if the caller has counted them."""
    store = st.ws.store
    chair = role == "chair"
    if store.certified_at() is not None:
        paths = package_paths(st)
        if paths is None or not paths[1].exists():
            return Step("step_export", "/chair#export" if chair else None)
        if not st.hall_open:
            return Step("step_hall", "/chair#hall" if chair else None)
        return Step("step_done", "/hall", done=True)
    if not sum(store.status_counts().values()):
        return Step("step_upload", "/upload" if role in ("operator", "chair") else None)
    if pending is None:
        counts = st.queue.counts()
        pending = counts["open"] + counts["escalated"]
    if pending:
        return Step("step_review", "/queue" if role in ("reviewer", "chair") else None)
    found = blockers(st.ws)
    if any(b.kind in ("not_declared", "no_certifier") for b in found):
        return Step("step_declare", "/chair#declare" if chair else None)
    if found:
        return Step("step_resolve", "/chair#certify" if chair else None)
    return Step("step_certify", "/chair#certify" if chair else None)
