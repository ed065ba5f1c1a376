"""The certified body of a workspace, from its records, and its certification history.

`certified_body` gathers everything a certificate covers
(`pipeline.domain.certificate`): the certification record (tally,
reconciliation, thresholds, who and when), every stored page with what the
machine read on each row, every review item and review decision, every
decision of the chair on a whole page, every declaration and the one in
force. Certification builds it to sign it; export builds it again from the
records as they are then, and refuses if its digest is not the certified one;
``retally`` does the same. A package holds it as ``certificate.json``.

Times are ISO 8601 text in UTC (naive, whole seconds, as the store keeps
them); pages and log lines are in the order they were stored (by id).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pipeline.domain.certificate import FORMAT
from pipeline.store.schema import (
    certification_history_table,
    decision_table,
    declaration_log_table,
    page_decision_table,
    page_table,
    review_table,
    row_table,
)
from pipeline.store.store import Store
from pipeline.store.workspace import Workspace

#: Where a package keeps each stored page image: ``scans/<sha256><suffix>``.
SCANS_DIR = "scans"


def scan_name(sha256: str, stored_path: str) -> str:
    """The image's name in a package: its SHA-256 and the stored file's suffix."""
    return f"{SCANS_DIR}/{sha256}{Path(stored_path).suffix.lower()}"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def history(store: Store) -> list[dict[str, Any]]:
    """Every certification of the campaign, oldest first: number, at (ISO), by, digest,
    previous, key_sha256, signature."""
    h = certification_history_table
    with store.engine.connect() as conn:
        rows = conn.execute(select(h).where(h.c.campaign_id == store.campaign_id)
                            .order_by(h.c.number)).mappings().all()
    return [{"number": r["number"], "at": _iso(r["at"]), "by": r["by"], "digest": r["digest"],
             "previous": r["previous"], "key_sha256": r["key_sha256"],
             "signature": r["signature"]} for r in rows]


def _pages(conn: Any, campaign_id: str) -> list[dict[str, Any]]:
    p, r = page_table, row_table
    rows: dict[int, list[list[Any]]] = {}
    for page_id, cand, outcome, level in conn.execute(
            select(r.c.page_id, r.c.candidate, r.c.outcome, r.c.level)
            .join(p, p.c.id == r.c.page_id).where(p.c.campaign_id == campaign_id)
            .order_by(r.c.page_id, r.c.candidate)):
        rows.setdefault(page_id, []).append([cand, outcome, level])
    pages = conn.execute(select(
        p.c.id, p.c.image_sha256, p.c.image_path, p.c.status, p.c.reason, p.c.ballot_page,
        p.c.definite, p.c.marginal, p.c.source, p.c.page_index, p.c.read_at,
    ).where(p.c.campaign_id == campaign_id).order_by(p.c.id)).mappings()
    return [{"page": g["id"], "sha256": g["image_sha256"],
             "file": scan_name(g["image_sha256"], g["image_path"]), "status": g["status"],
             "reason": g["reason"], "ballot_page": g["ballot_page"], "definite": g["definite"],
             "marginal": g["marginal"], "source": g["source"], "page_index": g["page_index"],
             "read_at": _iso(g["read_at"]), "rows": rows.get(g["id"], [])}
            for g in pages]


def _review(conn: Any, campaign_id: str, sha_of: dict[int, str]
            ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    i, d = review_table, decision_table
    items = [{"item": r["id"], "page": r["page_id"], "page_sha256": sha_of[r["page_id"]],
              "candidate": r["candidate"], "kind": r["kind"], "reason": r["reason"],
              "created_at": _iso(r["created_at"]), "state": r["state"],
              "resolution": r["resolution"]}
             for r in conn.execute(select(i).where(i.c.campaign_id == campaign_id)
                                   .order_by(i.c.id)).mappings()]
    decisions = [{"id": r["id"], "item": r["item_id"], "page": r["page_id"],
                  "page_sha256": sha_of[r["page_id"]], "candidate": r["candidate"],
                  "reviewer": r["reviewer"], "role": r["role"], "at": _iso(r["at"]),
                  "machine": r["machine"], "value": r["value"], "reason": r["reason"],
                  "replaces": r["replaces"]}
                 for r in conn.execute(
                     select(d, i.c.page_id, i.c.candidate).join(i, i.c.id == d.c.item_id)
                     .where(i.c.campaign_id == campaign_id).order_by(d.c.id)).mappings()]
    return items, decisions


def _page_decisions(conn: Any, campaign_id: str, sha_of: dict[int, str]) -> list[dict[str, Any]]:
    d = page_decision_table
    return [{"id": r["id"], "page": r["page_id"], "page_sha256": sha_of[r["page_id"]],
             "decision": r["decision"], "reason": r["reason"], "by": r["by"], "role": r["role"],
             "at": _iso(r["at"])}
            for r in conn.execute(select(d).where(d.c.campaign_id == campaign_id)
                                  .order_by(d.c.id)).mappings()]


def _declarations(conn: Any, campaign_id: str) -> list[dict[str, Any]]:
    d = declaration_log_table
    return [{"issued": r["issued"], "collected": r["collected"], "head": r["head"],
             "members": r["members"] or [], "note": r["note"], "at": _iso(r["at"]),
             **({"forms": r["forms"]} if r["forms"] else {})}
            for r in conn.execute(select(d).where(d.c.campaign_id == campaign_id)
                                  .order_by(d.c.id)).mappings()]


def certified_body(ws: Workspace, record: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """The body a certificate's digest is taken over, from the workspace's records now.

    ``record``: the certification (``at`` a datetime, ``by``, ``software``,
    ``thresholds``, ``tally``, ``reconciliation``); ``entry``: its place in the history
    (``number``, ``previous``, ``key_sha256``).
    """
    store = ws.store
    with store.engine.connect() as conn:
        pages = _pages(conn, store.campaign_id)
        sha_of = {p["page"]: p["sha256"] for p in pages}
        items, decisions = _review(conn, store.campaign_id, sha_of)
        page_decisions = _page_decisions(conn, store.campaign_id, sha_of)
        declarations = _declarations(conn, store.campaign_id)
    declared = store.declaration()
    at = record["at"]
    return {
        "format": FORMAT,
        "number": entry["number"],
        "previous": entry["previous"],
        "at": at.isoformat() if isinstance(at, dt.datetime) else at,
        "by": record["by"],
        "software": record["software"],
        "key_sha256": entry["key_sha256"],
        "campaign": {"id": ws.campaign.id,
                     "sha256": hashlib.sha256(ws.campaign.source_text.encode("utf-8")).hexdigest(),
                     "layout_fingerprint": ws.layout.fingerprint},
        "thresholds": record["thresholds"],
        "tally": record["tally"],
        "reconciliation": record["reconciliation"],
        "declaration": None if declared is None else {
            "issued": declared["issued"], "collected": declared["collected"],
            "head": declared["head"], "members": declared["members"] or [],
            "note": declared["note"], "at": _iso(declared["at"]),
            # each ballot form's figures, only in a campaign of several forms
            **({"forms": declared["forms"]} if declared.get("forms") else {})},
        "declarations": declarations,
        "pages": pages,
        "review_items": items,
        "review_decisions": decisions,
        "page_decisions": page_decisions,
    }
