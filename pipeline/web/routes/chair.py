"""The chair's console: the committee's declaration, the reconciliation, the whole-ballot
decisions, certifying, the package, the ballots to print, the result in the hall.

Every form here calls the same workflow the command line does
(`pipeline.workflow.certify`: ``declare``, ``reconcile``, ``blockers``,
``certify``; `pipeline.documents.export`), so the browser and the terminal
cannot count differently. A refusal comes back on the console with what to do.

No ``from __future__ import annotations`` here: FastAPI reads the route
signatures' annotations.
"""

import shutil
import unicodedata
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.documents.ballot_pdf import ballot_pdf_bytes
from pipeline.documents.export import export_package
from pipeline.domain.certificate import grouped
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.wording import t as word
from pipeline.store.certificates import history
from pipeline.web.auth import Chair, StationDep, check_csrf
from pipeline.web.station import Station, lang_of, said_error
from pipeline.web.steps import next_step, package_paths
from pipeline.workflow.certify import blockers, certify, declare, reconcile
from pipeline.workflow.pages import page_log

#: The roles a committee member may have besides the head (stored in Vietnamese, as the
#: minutes print them; keys of the catalogs for the form).
MEMBER_ROLES = {"member_deputy": "Phó Trưởng ban", "member_secretary": "Thư ký",
                "member_plain": "Thành viên"}
MEMBER_ROWS = 3  # empty member rows offered beyond those declared
MAX_MEMBERS = 30
MAX_FORMS = 20
MAX_COPIES = 10_000
ACCEPTED_PAGES = "/pages?status=accepted"

router = APIRouter()


@router.get("/chair", response_class=HTMLResponse)
def console(request: Request, session: Chair, st: StationDep) -> Response:
    return _console(request, session, st)


def _console(request: Request, session: Any, st: Station, error: str | None = None,
             code: int = 200) -> Response:
    tally = st.ws.tally()
    certified = st.ws.store.certified_at()
    decl = st.ws.declaration()
    recon = reconcile(st.ws, tally)
    found = [] if certified else listed(blockers(st.ws, None, tally), lang_of(request))
    in_force: dict[int, Any] = {}
    for d in page_log(st.ws):
        in_force[d.page_id] = d
    decided = [d for d in in_force.values() if d.decision != "restore"]
    cert = history(st.ws.store)[-1] if certified else None
    paths = package_paths(st)
    members = list(decl.members) if decl else []
    forms = st.ws.store.declared_forms()
    return st.render(
        request, "chair.html", session, code=code, tally=tally, certified=certified,
        decl=decl, recon=recon, blockers=found, decided=decided, cert=cert,
        forms=[(f, forms.get(f.id) or {}) for f in st.ws.campaign.forms],
        by_page=declared_by_page(st, recon),
        digest=grouped(cert["digest"], 8) if cert else None,
        key=grouped(cert["key_sha256"], 8) if cert else None,
        exported=bool(paths and paths[1].exists()), error=error,
        members=members + [None] * MEMBER_ROWS, roles=MEMBER_ROLES,
        step=next_step(st, session.role), hall_open=st.hall_open,
        copies=decl.issued if decl and decl.issued else st.ws.campaign.electorate)


def declared_by_page(st: Station, recon: Any) -> list[tuple[int, str | None, int, int | None]]:
    """The reconciliation's rows, page number by page number: (ballot page, its form's title
    when the campaign has several, accepted copies, ballots collected as declared for it, or
    None)."""
    forms = st.ws.store.declared_forms()
    rows = []
    for f in st.ws.layout.forms:
        declared = recon.collected if f.id is None else (forms.get(f.id) or {}).get("collected")
        for p in f.pages():
            rows.append((p, f.title if f.id else None, recon.pages_accepted.get(p, 0), declared))
    return rows


def listed(found: list[Any], lang: str) -> list[tuple[str, str]]:
    """The blockers as the console lists them, each (words, link): the people counted more
    often than ballots were collected said once, as one sheet counted twice explains them all."""
    over = [b for b in found if b.kind == "votes_over_collected"]
    out = []
    for b in found:
        # sheets counted twice are among the accepted pages: the list opens on those
        where = ACCEPTED_PAGES if b.kind in ("votes_over_collected", "copies_over_collected") \
            else b.where
        if b.kind == "votes_over_collected" and len(over) > 1:
            if b is over[0]:
                out.append((word("blocker_votes_over", lang, n=len(over)), where))
            continue
        out.append((b.vi if lang == "vi" else b.en, where))
    return out


@router.post("/chair/declare")
async def declare_form(request: Request, session: Chair, st: StationDep) -> Response:
    form = await request.form(max_files=0, max_fields=12 + 2 * MAX_MEMBERS + 2 * MAX_FORMS,
                              max_part_size=4096)
    check_csrf(request, session, str(form.get("csrf", "")) or None)
    try:
        # with several forms, each form's figures are declared and the campaign's are optional
        several = len(st.ws.campaign.forms) > 1
        issued = _count(form.get("issued"), "issued", optional=several)
        collected = _count(form.get("collected"), "collected", optional=several)
    except ValueError as exc:
        lang = lang_of(request)
        return _console(request, session, st, code=400,
                        error=word("bad_count", lang, field=word(str(exc), lang)))
    names = form.getlist("member_name")[:MAX_MEMBERS]
    roles = form.getlist("member_role")[:MAX_MEMBERS]
    members = []
    for name, role in zip(names, roles, strict=False):
        name = " ".join(str(name).replace("|", " ").split())
        if name:
            members.append(f"{name}|{MEMBER_ROLES.get(str(role), MEMBER_ROLES['member_plain'])}")
    lang = lang_of(request)
    per_form = []
    for f in st.ws.campaign.forms:  # a campaign of several forms counts each on its own
        try:
            per_form.append((f.id, _count(form.get(f"issued_{f.id}"), "issued"),
                             _count(form.get(f"collected_{f.id}"), "collected")))
        except ValueError as exc:
            return _console(request, session, st, code=400, error=f"{f.title}: " + word(
                "bad_count", lang, field=word(str(exc), lang)))

    def record() -> None:
        declare(st.ws, issued=issued, collected=collected, head=str(form.get("head", "")),
                members=members, note=str(form.get("note", "")))
        for form_id, form_issued, form_collected in per_form:
            declare(st.ws, form=form_id, issued=form_issued, collected=form_collected)

    try:
        await run_in_threadpool(record)
    except KiemphieuError as exc:
        return _console(request, session, st, error=said_error(exc, lang_of(request)), code=409)
    return RedirectResponse("/chair#reconciliation", status_code=303)


def _count(value: Any, what: str, *, optional: bool = False) -> int | None:
    """A count of ballots from a form field: a whole number, 0 or more (None when
    ``optional`` and left empty)."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if optional and not text:
        return None
    if not text.isdigit() or len(text) > 7:
        raise ValueError(what)
    return int(text)


@router.post("/chair/certify")
async def certify_form(request: Request, session: Chair, st: StationDep) -> Response:
    form = await request.form(max_files=0, max_fields=4, max_part_size=256)
    check_csrf(request, session, str(form.get("csrf", "")) or None)
    try:
        await run_in_threadpool(certify, st.ws, None)
    except KiemphieuError as exc:
        return _console(request, session, st, error=said_error(exc, lang_of(request)), code=409)
    return RedirectResponse("/chair#export", status_code=303)


@router.post("/chair/export")
async def export_form(request: Request, session: Chair, st: StationDep) -> Response:
    form = await request.form(max_files=0, max_fields=4, max_part_size=256)
    check_csrf(request, session, str(form.get("csrf", "")) or None)
    paths = package_paths(st)
    if paths is None:
        return _console(request, session, st, error=_words(st, request, "export_not_certified"),
                        code=409)
    try:
        await run_in_threadpool(_export, st, *paths)
    except KiemphieuError as exc:
        return _console(request, session, st, error=said_error(exc, lang_of(request)), code=409)
    return RedirectResponse("/chair#export", status_code=303)


def _export(st: Station, folder: Any, zipped: Any) -> None:
    """Write the package (once) and its zip beside it."""
    if not folder.exists():
        folder.parent.mkdir(exist_ok=True)
        export_package(st.ws, folder)
    if not zipped.exists():
        partial = zipped.with_name(f".{zipped.stem}.partial")
        made = shutil.make_archive(str(partial), "zip", root_dir=folder.parent,
                                   base_dir=folder.name)
        shutil.move(made, zipped)


@router.get("/chair/package.zip")
def package_zip(session: Chair, st: StationDep) -> Response:
    paths = package_paths(st)
    if paths is None or not paths[1].exists():
        return RedirectResponse("/chair#export", status_code=303)
    name = f"{st.ws.campaign.id}-{paths[0].name}.zip"
    return FileResponse(paths[1], media_type="application/zip", filename=name)


@router.get("/chair/ballots.pdf")
def ballots_pdf(session: Chair, st: StationDep, copies: int = 1,
                form: str | None = None) -> Response:
    copies = min(max(1, copies), MAX_COPIES)
    form = form if form in {f.id for f in st.ws.campaign.forms} else None  # one form's paper
    data = ballot_pdf_bytes(st.ws.campaign, st.ws.layout, copies, form=form)
    st.ws.write_layout_json()
    name = f"{st.ws.campaign.id}{'-' + form if form else ''}-phieu-{copies}.pdf"
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/chair/hall")
async def hall_switch(request: Request, session: Chair, st: StationDep) -> Response:
    form = await request.form(max_files=0, max_fields=4, max_part_size=256)
    check_csrf(request, session, str(form.get("csrf", "")) or None)
    if st.ws.store.certified_at() is None:
        return _console(request, session, st, error=_words(st, request, "hall_not_certified"),
                        code=409)
    st.switch_hall(form.get("open") == "1", session.name)
    return RedirectResponse("/chair#hall", status_code=303)


def _words(st: Station, request: Request, key: str) -> str:
    return word(key, lang_of(request))
