"""Looking at the count: the dashboard (with its JSON), the stored pages and one page.

No ``from __future__ import annotations`` here: FastAPI reads the route
signatures' annotations.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.domain.errors import KiemphieuError
from pipeline.domain.tally import by_group
from pipeline.web.auth import ApiUser, Chair, PageUser, StationDep, actor, check_csrf
from pipeline.web.routes import PageId
from pipeline.web.station import Station, lang_of, said_error
from pipeline.web.steps import next_step
from pipeline.workflow.pages import decide_page, page_log

PAGE_SIZE = 50
STATUSES = ("accepted", "rejected", "blank_page")

router = APIRouter()


def summary(st: Station) -> dict[str, Any]:
    """The tally so far with the queue's and the scans' counts, and a chart's bars."""
    tally = st.ws.tally()
    counts = st.queue.counts()
    status = st.ws.store.status_counts()
    scanned = sum(status.values())
    groups = []  # (the group's name or None, its people's bars), in the groups' order
    for group, people in by_group(tally):
        bars = []
        for c in people:
            parts = [(lv, c.counts[lv]) for lv in tally.levels] + [
                ("invalid", c.counts["invalid"]), ("pending", c.pending)]
            total = sum(n for _, n in parts) or 1
            bars.append({"c": c, "parts": [(k, n, round(100 * n / total, 2)) for k, n in parts]})
        groups.append(((group or {}).get("name"), bars))
    return {"tally": tally, "scanned": scanned, "pending": counts["open"] + counts["escalated"],
            "escalated": counts["escalated"], "groups": groups,
            "bars": [b for _, bars in groups for b in bars],
            "pages_rejected": sum(n for (s, _), n in status.items() if s == "rejected")}


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, session: PageUser, st: StationDep, fragment: int = 0) -> Response:
    figures = summary(st)
    return st.render(request, "summary.html" if fragment else "dashboard.html", session,
                     step=next_step(st, session.role, figures["pending"]), **figures)


@router.get("/api/summary")
def api_summary(session: ApiUser, st: StationDep) -> dict[str, Any]:
    s = summary(st)
    return {"scanned": s["scanned"], "accepted": s["tally"].accepted,
            "rejected": s["pages_rejected"], "pending": s["pending"],
            "escalated": s["escalated"], "tally": s["tally"].to_json()}


@router.get("/pages", response_class=HTMLResponse)
def pages(request: Request, session: PageUser, st: StationDep, status: str | None = None,
          offset: int = 0) -> Response:
    offset = max(0, offset)
    rows = st.ws.store.page_list(status if status in STATUSES else None, limit=PAGE_SIZE,
                                 offset=offset)
    return st.render(request, "pages.html", session, rows=rows, status=status, offset=offset,
                     page_size=PAGE_SIZE)


@router.get("/pages/{page_id}", response_class=HTMLResponse)
def page_detail(page_id: PageId, request: Request, session: PageUser, st: StationDep) -> Response:
    return _page_view(page_id, request, session, st)


def _page_view(page_id: int, request: Request, session: Any, st: Station,
               error: str | None = None) -> Response:
    """One stored page with its readings, its review items and the chair's decisions;
    ``error``: why a decision just tried was refused."""
    page = st.page_record(page_id)
    items = {i.candidate: i for i in st.queue.items(page_id=page_id)}
    overlay = []
    table = []
    if page["homography"] and page["ballot_page"]:
        layout_page = st.ws.layout.page(page["ballot_page"])
        readings = {r.candidate: r for r in st.ws.store.page_rows(page_id)}
        for cand, spec in zip(layout_page.candidates, layout_page.template.rows, strict=True):
            reading = readings.get(cand.stt)
            if reading is None:
                continue
            item = items.get(cand.stt)
            resolved = item.resolution if item and item.state == "resolved" else None
            overlay.append({"band": spec.band, "boxes": [
                {"rect": b, "level": lv, "fill": f,
                 "chosen": (reading.level == lv) or (resolved == lv)}
                for b, lv, f in zip(spec.boxes, st.ws.layout.levels, reading.fills, strict=True)],
                "outcome": reading.outcome, "item": item, "resolved": resolved})
            table.append((cand, reading, item))
    page_item = items.get(0)
    # with two reviewers, nobody but the chair sees a first vote before the second
    hide_open = st.queue.two_reviewers and session.role != "chair"
    histories = {i.id: [] if hide_open and i.state == "open" else st.queue.history(i.id)
                 for i in items.values()}
    return st.render(request, "page.html", session, page=page, overlay=overlay, table=table,
                     page_item=page_item, histories=histories,
                     size=st.ws.layout.frame.page_size_mm,
                     chair_log=page_log(st.ws, page_id), in_force=st.ws.store.page_decision(page_id),
                     counted=st.ws.store.counted(page_id), error=error,
                     certified=st.ws.store.certified_at() is not None)


@router.post("/pages/{page_id}/decision")
async def page_decision(page_id: PageId, request: Request, session: Chair,
                        st: StationDep) -> Response:
    """The chair's decision on a whole page (`pipeline.workflow.pages`), from its page."""
    form = await request.form(max_files=0, max_fields=8, max_part_size=2048)
    check_csrf(request, session, str(form.get("csrf", "")) or None)
    st.page_record(page_id)  # 404 for a page that is not there
    try:
        decide_page(st.ws, page_id, str(form.get("decision", "")), str(form.get("reason", "")),
                    actor(session))
    except KiemphieuError as exc:
        return _page_view(page_id, request, session, st, error=said_error(exc, lang_of(request)))
    return RedirectResponse(f"/pages/{page_id}#chair", status_code=303)
