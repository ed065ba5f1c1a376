"""Stacks in the station: every scan run and upload with its pages, files and station; the
chair's hand count of a stack, and withdrawing a whole stack to scan it again (or restoring
it). The same workflow as ``kiemphieu stack`` (`pipeline.workflow.stacks`).

No ``from __future__ import annotations`` here: FastAPI reads the route
signatures' annotations.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.domain.errors import KiemphieuError
from pipeline.domain.wording import t as word
from pipeline.web.auth import Chair, PageUser, StationDep, actor, check_csrf
from pipeline.web.routes import StackId
from pipeline.web.routes.queue import file_name
from pipeline.web.station import Station, lang_of, said_error
from pipeline.workflow.stacks import record_count, restore_stack, stack, stack_pages, stacks
from pipeline.workflow.stacks import withdraw_stack as withdraw

router = APIRouter()


@router.get("/stacks", response_class=HTMLResponse)
def stack_list(request: Request, session: PageUser, st: StationDep) -> Response:
    return _list(request, session, st)


def _list(request: Request, session: Any, st: Station, error: str | None = None,
          code: int = 200) -> Response:
    return st.render(request, "stacks.html", session, code=code, stacks=stacks(st.ws),
                     page_count=st.ws.layout.page_count, shortname=file_name, error=error,
                     certified=st.ws.store.certified_at() is not None)


@router.get("/stacks/{stack_id}", response_class=HTMLResponse)
def stack_detail(stack_id: StackId, request: Request, session: PageUser, st: StationDep) -> Response:
    try:
        one = stack(st.ws, stack_id)
    except KiemphieuError:
        return st.render(request, "message.html", session, code=404,
                         message=word("not_found", lang_of(request)))
    return st.render(request, "stack.html", session, s=one, pages=stack_pages(st.ws, stack_id),
                     page_count=st.ws.layout.page_count, shortname=file_name,
                     certified=st.ws.store.certified_at() is not None)


@router.post("/stacks/{stack_id}/{action}")
async def stack_action(stack_id: StackId, action: str, request: Request, session: Chair,
                       st: StationDep) -> Response:
    """The chair's record on a stack: ``count`` (field ``hand_count``), ``withdraw`` or
    ``restore`` (field ``reason``)."""
    form = await request.form(max_files=0, max_fields=6, max_part_size=2048)
    check_csrf(request, session, str(form.get("csrf", "")) or None)
    lang = lang_of(request)
    try:
        if action == "count":
            text = str(form.get("hand_count", "")).strip()
            if not text.isdigit() or len(text) > 7:
                return _list(request, session, st, code=400, error=word(
                    "bad_count", lang, field=word("stack_hand_count", lang)))
            await run_in_threadpool(record_count, st.ws, stack_id, int(text), actor(session))
        elif action in ("withdraw", "restore"):
            act = withdraw if action == "withdraw" else restore_stack
            await run_in_threadpool(act, st.ws, stack_id, str(form.get("reason", "")),
                                    actor(session))
        else:
            return _list(request, session, st, code=404, error=word("not_found", lang))
    except KiemphieuError as exc:
        return _list(request, session, st, code=409, error=said_error(exc, lang))
    return RedirectResponse(f"/stacks#stack-{stack_id}", status_code=303)
