"""Deciding review items: the queue page, its JSON API, the record of decisions.

One item at a time: ``POST /api/queue/next`` claims the next item for the
person (a lease, so two reviewers never get the same item), ``POST
/api/items/{id}/decision`` records a level (or invalid, accepted, rejected)
and returns the next item, ``POST /api/undo`` takes back the person's latest
decision. With two reviewers, nobody but the chair sees the first vote on an
open item.

No ``from __future__ import annotations`` here: FastAPI reads the route
signatures' annotations.
"""

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.documents.images import row_view
from pipeline.domain.reasons import Reason, to_json
from pipeline.domain.rules import LEVELS
from pipeline.domain.wording import t as word
from pipeline.domain.wording import words
from pipeline.web.auth import ApiDecider, Decider, StationDep, actor, check_csrf
from pipeline.web.routes import ItemId
from pipeline.web.station import Station, lang_of, number, when
from pipeline.workflow.review import BadDecision, Item

#: The reasons a reviewer chooses from for an invalid row (keys of the catalogs,
#: `pipeline.domain.wording`).
INVALID_REASONS = ("reason_no_mark", "reason_several", "reason_unclear")
PAGE_SIZE = 50

router = APIRouter()


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, session: Decider, st: StationDep) -> Response:
    return st.render(request, "queue.html", session, counts=counts_json(st, session),
                     two_reviewers=st.queue.two_reviewers, reasons=INVALID_REASONS)


@router.post("/api/queue/next")
def api_next(request: Request, session: ApiDecider, st: StationDep) -> dict[str, Any]:
    check_csrf(request, session)
    item = st.queue.claim_next(actor(session))
    return {"item": item_json(st, item, lang_of(request), session) if item else None,
            "counts": counts_json(st, session)}


@router.post("/api/items/{item_id}/decision")
async def api_decide(item_id: ItemId, request: Request, session: ApiDecider,
                     st: StationDep) -> dict[str, Any]:
    check_csrf(request, session)
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("value"), str):
        raise BadDecision("send JSON: {\"value\": \"high\" | \"medium\" | \"low\" | \"invalid\" | "
                          "\"accepted\" | \"rejected\", \"reason\": \"...\"}")
    reason = body.get("reason")
    reason = str(reason)[:500] if reason else None
    if reason in INVALID_REASONS:  # a preset: record its Vietnamese words
        reason = word(reason, "vi")

    def work() -> dict[str, Any]:
        decided = st.queue.decide(actor(session), item_id, body["value"], reason)
        following = st.queue.claim_next(actor(session))
        lang = lang_of(request)
        return {"decided": {"id": decided.id, "state": decided.state,
                            "resolution": decided.resolution,
                            "label": word(body["value"], lang),
                            "candidate": decided.candidate, "page_id": decided.page_id},
                "item": item_json(st, following, lang, session) if following else None,
                "counts": counts_json(st, session)}

    return await run_in_threadpool(work)


@router.post("/api/undo")
def api_undo(request: Request, session: ApiDecider, st: StationDep) -> dict[str, Any]:
    check_csrf(request, session)
    item = st.queue.undo(actor(session))
    return {"item": item_json(st, item, lang_of(request), session),
            "counts": counts_json(st, session)}


@router.post("/api/items/{item_id}/release")
def api_release(item_id: ItemId, request: Request, session: ApiDecider,
                st: StationDep) -> dict[str, Any]:
    check_csrf(request, session)
    st.queue.release(actor(session), item_id)
    return {"released": item_id}


@router.get("/record", response_class=HTMLResponse)
def record(request: Request, session: Decider, st: StationDep, state: str | None = None,
           offset: int = 0) -> Response:
    states = [state] if state in ("open", "escalated", "resolved") else None
    offset = max(0, offset)
    candidates = st.candidates
    rows = []
    for item in st.queue.items(states, limit=PAGE_SIZE, offset=offset):
        history = st.queue.history(item.id)
        if st.queue.two_reviewers and item.state == "open" and session.role != "chair":
            history = []
        rows.append((item, candidates.get(item.candidate), history))
    return st.render(request, "record.html", session, rows=rows, state=state, offset=offset,
                     page_size=PAGE_SIZE, counts=st.queue.counts())


def counts_json(st: Station, session: Any) -> dict[str, int]:
    c = st.queue.counts()
    return {"open": c["open"], "escalated": c["escalated"], "resolved": c["resolved"],
            "mine": st.queue.decided_by(session.name)}


def item_json(st: Station, item: Item, lang: str, viewer: Any) -> dict[str, Any]:
    """What the queue page shows of one item: who, why, where it was scanned, the pictures,
    what the machine read as boxes, the doubtful areas on the page, the choices."""
    t = lambda key: word(key, lang)  # noqa: E731
    cand = st.candidates.get(item.candidate)
    page = st.page_record(item.page_id)
    out: dict[str, Any] = {
        "id": item.id, "kind": item.kind, "candidate": item.candidate,
        "name": cand.name if cand else None, "position": cand.position if cand else None,
        "page_id": item.page_id, "ballot_page": item.ballot_page, "reason": item.reason,
        "reasons": to_json(item.reasons) or [],
        "reason_shown": reason_words(item.reasons, lang) or item.reason,
        "state": item.state, "state_label": t(f"state_{item.state}"),
        "values": [{"value": v, "label": t(v), "key": key_of(item.kind, v)} for v in item.values()],
        "crop": f"/items/{item.id}/crop.jpg",
        "page_image": f"/pages/{item.page_id}/upright.jpg",
        "page_link": f"/pages/{item.page_id}",
        "page_placed": item.has_reading,
        "scan": word("scan_where_stack" if page.get("stack_id") else "scan_where", lang,
                     page=item.page_id, source=file_name(page["source"]),
                     index=page["page_index"] + 1, stack=page.get("stack_id")),
        "marks": doubtful_areas(st, item) if page["homography"] else [],
        "same_as": item.same_as,
    }
    if item.kind == "row" and item.ballot_page is not None and cand is not None:
        _row_json(st, item, lang, out)
    history = [d for d in st.queue.history(item.id) if d.value != "undo"]
    if st.queue.two_reviewers and item.state == "open" and viewer.role != "chair":
        # the second reviewer decides without seeing the first one's choice
        out["note"] = t("first_vote_recorded") if history else None
        out["decisions"] = []
    else:
        out["note"] = t("reviewers_disagree") if item.state == "escalated" else None
        out["decisions"] = [{"reviewer": d.reviewer, "value": t(d.value), "reason": d.reason,
                             "at": when(d.at, lang, short=True)} for d in history]
    return out


def _row_json(st: Station, item: Item, lang: str, out: dict[str, Any]) -> None:
    """A row item's pictures: the boxes enlarged, the row on the page; and the machine's
    reading as the boxes it saw marked."""
    a = row_view(st.ws.layout, item.ballot_page, item.candidate).area
    zoom = row_view(st.ws.layout, item.ballot_page, item.candidate, boxes_only=True)
    z = zoom.area
    out["zoom"] = f"/items/{item.id}/boxes.jpg"
    levels = st.ws.layout.levels
    marked = marked_boxes(item)
    out["boxes"] = [
        {"x": 100 * b.x / z.w, "y": 100 * b.y / z.h, "w": 100 * b.w / z.w, "h": 100 * b.h / z.h,
         "level": lv, "label": word(lv, lang), "key": key_of("row", lv), "box": n,
         "marked": n in marked}
        for n, (b, lv) in enumerate(zip(zoom.boxes, levels, strict=True), 1)
    ]
    pw, ph = st.ws.layout.frame.page_size_mm
    out["row_on_page"] = {"x": 100 * a.x / pw, "y": 100 * a.y / ph,
                          "w": 100 * a.w / pw, "h": 100 * a.h / ph}
    out["fills"] = list(item.fills or ())
    out["fills_shown"] = [number(f, lang, 3) for f in item.fills or ()]
    measures = item.measures or {}
    out["ink"] = [number(v, lang, 2) for v in measures.get("ink_mm2") or ()] or None
    out["extent"] = [number(v, lang, 1) for v in measures.get("extent_mm") or ()] or None
    out["marked"] = marked
    out["only_mark"] = levels[marked[0] - 1] if len(marked) == 1 else None
    if not marked:
        out["machine"] = word("machine_no_mark", lang)
    else:
        out["machine"] = word("machine_marks", lang, boxes=", ".join(
            f"{word('box', lang)} {n} ({word(levels[n - 1], lang)})" for n in marked))


def marked_boxes(item: Item) -> list[int]:
    """The boxes (1-3) the machine saw ink in, clear or doubtful, as its reasons name them;
    for a row whose reasons name none, the box it read as the vote (the most ink)."""
    found: set[int] = set()

    def walk(reason: Any) -> None:
        for name, value in reason.params:
            if isinstance(value, Reason):
                walk(value)
            elif isinstance(value, tuple):
                for v in value:
                    if isinstance(v, Reason):
                        walk(v)
                    elif name == "boxes" and isinstance(v, int):
                        found.add(v)
            elif name == "box" and isinstance(value, int):
                found.add(value)

    for reason in item.reasons:
        walk(reason)
    fills = item.fills or ()
    if not found and item.outcome != "blank" and fills and max(fills) > 0:
        found.add(1 + max(range(len(fills)), key=lambda i: fills[i]))
    return sorted(b for b in found if 1 <= b <= len(LEVELS))


def file_name(source: str) -> str:
    """A scanned file's name as the person gave it: no folder, no upload's hash prefix."""
    name = str(source).replace("\\", "/").rsplit("/", 1)[-1]
    return name[17:] if UPLOADED.match(name) else name


UPLOADED = re.compile(r"[0-9a-f]{16}-.")


def _all_reasons(reasons: tuple[Reason, ...]) -> list[Reason]:
    """The reasons and those nested in them (a finding inside ``read_as``)."""
    out = []
    for reason in reasons:
        out.append(reason)
        for _, value in reason.params:
            nested = value if isinstance(value, tuple) else (value,)
            out.extend(_all_reasons(tuple(v for v in nested if isinstance(v, Reason))))
    return out


def doubtful_areas(st: Station, item: Item) -> list[dict[str, float]]:
    """Where on the upright page the item's doubts are, in percent of the page: each note's
    box, each struck-out row's band."""
    pw, ph = st.ws.layout.frame.page_size_mm
    bands = {}
    if item.ballot_page:
        layout_page = st.ws.layout.page(item.ballot_page)
        bands = {spec.row: spec.band for spec in layout_page.template.rows}
    out = []
    for reason in _all_reasons(item.reasons):
        p = reason.as_dict()
        if reason.code == "note":
            pad = 3.0  # mm around the handwriting, so the frame does not hide it
            x, y = p["x_mm"] - p["w_mm"] / 2 - pad, p["y_mm"] - p["h_mm"] / 2 - pad
            w, h = p["w_mm"] + 2 * pad, p["h_mm"] + 2 * pad
        elif reason.code == "struck_name" and p.get("row") in bands:
            band = bands[p["row"]]
            x, y, w, h = band.x, band.y, band.w, band.h
        else:
            continue
        out.append({"x": 100 * max(0.0, x) / pw, "y": 100 * max(0.0, y) / ph,
                    "w": 100 * w / pw, "h": 100 * h / ph})
    return out


def reason_words(reasons: tuple[Reason, ...], lang: str) -> str:
    """The item's reasons in words; a note's place is drawn on the page picture, so its
    words say where to look rather than its coordinates."""
    return "; ".join(_said(r, lang) for r in reasons)


def _said(reason: Reason, lang: str) -> str:
    p = reason.as_dict()
    if reason.code == "note":
        return word("note_on_picture", lang, **p)
    if reason.code == "read_as" and isinstance(p.get("finding"), Reason):
        read = p.get("read")
        return word("finding_read_as", lang, finding=_said(p["finding"], lang),
                    read=words(read if isinstance(read, tuple) else (read,), lang))
    return words(reason, lang)


def key_of(kind: str, value: str) -> str:
    """The key that chooses ``value`` on the queue page."""
    if kind == "row":
        return {"high": "1", "medium": "2", "low": "3", "confidence": "1", "no_confidence": "2",
                "invalid": "0"}[value]
    if kind == "same":
        return {"same": "S", "different": "D"}[value]
    return {"accepted": "A", "rejected": "0"}[value]
