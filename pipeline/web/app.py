"""The web review station: one FastAPI app over one workspace.

Pages are rendered on the server (Jinja2) in Vietnamese, with an English
switch; the review queue adds a small script so that one key resolves an
item and the next one appears without reloading the page.

Routes and who may use them (``-`` = anyone, even not logged in)::

    GET  /login, POST /login, GET /lang/{vi|en}, /static/*        -
    POST /logout                                                  any account
    GET  /, /dashboard, /pages, /pages/{id}                       any account
    GET  /pages/{id}/upright.jpg, /items/{id}/crop.jpg|boxes.jpg  any account
    GET  /api/summary                                             any account
    GET  /queue, /record                                          reviewer, chair
    POST /api/queue/next, /api/items/{id}/decision, /api/undo     reviewer, chair
    POST /api/items/{id}/release                                  reviewer, chair
    GET  /upload, POST /upload                                    operator, chair

Safety: sessions in memory with idle and absolute expiry; a CSRF token on
every POST (form field ``csrf`` or header ``X-CSRF-Token``); the role checked
on every route; only known hosts (DNS rebinding); a Content Security Policy
with no inline script; ballot images only for logged-in users and never
cached by the browser; request paths never name files: pages and items are
numbers looked up in the records, and stored image paths are checked to
stay inside ``WS/images``.

No ``from __future__ import annotations`` here: FastAPI reads the route
signatures' annotations, which name dependencies local to `create_app`.
"""

import hashlib
import logging
import re
import secrets
import tempfile
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from PIL import Image
from sqlalchemy import func, select
from starlette.middleware.trustedhost import TrustedHostMiddleware

from pipeline.documents.images import ZOOM_PX_PER_MM, ImageMissing, PageImages, row_view
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.reasons import to_vietnamese
from pipeline.domain.rules import LEVELS
from pipeline.domain.tally import compute_tally
from pipeline.reading.sources import IMAGE_SUFFIXES, SCAN_SUFFIXES
from pipeline.store.store import page_table, review_table
from pipeline.store.workspace import open_workspace
from pipeline.web.i18n import LANGS, translate
from pipeline.web.sessions import Session, Sessions, same_token
from pipeline.workflow.review import (
    LEASE,
    Actor,
    BadDecision,
    CountLocked,
    Item,
    ItemNotFound,
    ItemTaken,
    NotAllowed,
    NothingToUndo,
    ReviewError,
    queue_for,
)
from pipeline.workflow.users import authenticate, get_user

HERE = Path(__file__).parent
SESSION_COOKIE = "kp_session"
LOGIN_COOKIE = "kp_login"
LANG_COOKIE = "kp_lang"
MAX_UPLOAD_BYTES = 300 * 1024 * 1024  # one request
MAX_UPLOAD_FILES = 100
MAX_UPLOAD_PIXELS = 100_000_000  # per image page; 600-dpi A3 is 70 MP
PAGE_SIZE = 50
ANY = ("operator", "reviewer", "chair")
DECIDERS = ("reviewer", "chair")
UPLOADERS = ("operator", "chair")
INVALID_REASONS = ("reason_no_mark", "reason_several", "reason_unclear")

log = logging.getLogger("kiemphieu.web")


class LoginRequired(Exception):
    def __init__(self, html: bool) -> None:
        self.html = html


class Forbidden(Exception):
    def __init__(self, html: bool) -> None:
        self.html = html


@dataclass(frozen=True)
class Limits:
    upload_bytes: int = MAX_UPLOAD_BYTES
    upload_files: int = MAX_UPLOAD_FILES
    upload_pixels: int = MAX_UPLOAD_PIXELS


def create_app(ws_path: Path, *, allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
               sessions: Sessions | None = None, limits: Limits = Limits(),
               secure_cookies: bool = False) -> FastAPI:
    """The station for workspace ``ws_path`` (opened once, here).

    ``allowed_hosts``: Host header values accepted (``"*"`` for any);
    ``secure_cookies``: mark cookies Secure (behind HTTPS).
    """
    ws = open_workspace(ws_path)
    queue = queue_for(ws, lease=LEASE)
    images = PageImages(ws.path)
    sessions = sessions or Sessions()
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    candidates = {c.stt: c for c in ws.campaign.candidates}
    page_size_mm = ws.layout.frame.page_size_mm
    upright_cache: OrderedDict[int, bytes] = OrderedDict()

    app = FastAPI(title="kiemphieu", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    # -- helpers -----------------------------------------------------------

    def lang_of(request: Request) -> str:
        lang = request.cookies.get(LANG_COOKIE, "vi")
        return lang if lang in LANGS else "vi"

    def session_of(request: Request):
        session = sessions.get(request.cookies.get(SESSION_COOKIE))
        if session is None:
            return None
        user = get_user(ws.store, session.name)
        if user is None or user.disabled or user.role != session.role:
            sessions.drop_user(session.name)
            return None
        return session

    def need(*roles: str, html: bool):
        def dependency(request: Request):
            session = session_of(request)
            if session is None:
                raise LoginRequired(html)
            if session.role not in roles:
                raise Forbidden(html)
            return session
        return dependency

    def check_csrf(request: Request, session: Any, form_token: str | None = None) -> None:
        token = form_token or request.headers.get("x-csrf-token")
        if not same_token(token, session.csrf):
            raise Forbidden(html=form_token is not None)

    def render(request: Request, name: str, session: Any = None, code: int = 200,
               **context: Any) -> HTMLResponse:
        lang = lang_of(request)
        return templates.TemplateResponse(request, name, {
            "t": lambda key: translate(lang, key), "lang": lang, "session": session,
            "said": lambda reason: shown(lang, reason),
            "campaign": ws.campaign, "path": request.url.path, **context,
        }, status_code=code)

    def actor(session: Any) -> Actor:
        return Actor(session.name, session.role)

    def item_json(item: Item, lang: str, viewer: Any) -> dict[str, Any]:
        t = lambda key: translate(lang, key)  # noqa: E731
        cand = candidates.get(item.candidate)
        out: dict[str, Any] = {
            "id": item.id, "kind": item.kind, "candidate": item.candidate,
            "name": cand.name if cand else None, "position": cand.position if cand else None,
            "page_id": item.page_id, "ballot_page": item.ballot_page, "reason": item.reason,
            "reason_shown": shown(lang, item.reason),
            "state": item.state, "state_label": t(f"state_{item.state}"),
            "values": [{"value": v, "label": t(v), "key": _key(item.kind, v)} for v in item.values()],
            "crop": f"/items/{item.id}/crop.jpg",
            "page_image": f"/pages/{item.page_id}/upright.jpg",
            "page_link": f"/pages/{item.page_id}",
            "page_placed": item.has_reading,
        }
        if item.kind == "row" and item.ballot_page is not None and cand is not None:
            view = row_view(ws.layout, item.ballot_page, item.candidate)
            a = view.area
            zoom = row_view(ws.layout, item.ballot_page, item.candidate, boxes_only=True)
            z = zoom.area
            out["zoom"] = f"/items/{item.id}/boxes.jpg"
            out["boxes"] = [
                {"x": 100 * b.x / z.w, "y": 100 * b.y / z.h, "w": 100 * b.w / z.w, "h": 100 * b.h / z.h,
                 "level": lv, "label": t(lv), "key": _key("row", lv)}
                for b, lv in zip(zoom.boxes, LEVELS, strict=True)
            ]
            pw, ph = page_size_mm
            out["row_on_page"] = {"x": 100 * a.x / pw, "y": 100 * a.y / ph,
                                  "w": 100 * a.w / pw, "h": 100 * a.h / ph}
            out["fills"] = list(item.fills or ())
            measures = item.measures or {}
            out["ink"] = measures.get("ink_mm2")
            out["extent"] = measures.get("extent_mm")
        history = [d for d in queue.history(item.id) if d.value != "undo"]
        if queue.two_reviewers and item.state == "open" and viewer.role != "chair":
            # the second reviewer decides without seeing the first one's choice
            out["note"] = t("first_vote_recorded") if history else None
            out["decisions"] = []
        else:
            out["note"] = t("reviewers_disagree") if item.state == "escalated" else None
            out["decisions"] = [{"reviewer": d.reviewer, "value": t(d.value), "reason": d.reason,
                                 "at": f"{d.at:%H:%M:%S}"} for d in history]
        return out

    def counts_json(session: Any) -> dict[str, int]:
        c = queue.counts()
        return {"open": c["open"], "escalated": c["escalated"], "resolved": c["resolved"],
                "mine": queue.decided_by(session.name)}

    def page_record(page_id: int) -> dict[str, Any]:
        with ws.store.engine.connect() as conn:
            row = conn.execute(select(page_table).where(
                page_table.c.id == page_id, page_table.c.campaign_id == ws.campaign.id,
            )).mappings().first()
        if row is None:
            raise ItemNotFound(f"no page {page_id}")
        return dict(row)

    def upright(page_id: int) -> bytes:
        cached = upright_cache.get(page_id)
        if cached is not None:
            return cached
        page = page_record(page_id)
        data = images.page_jpeg(page["image_path"], page["homography"], page_size_mm)
        upright_cache[page_id] = data
        while len(upright_cache) > 64:
            upright_cache.popitem(last=False)
        return data

    PageUser = Annotated[Session, Depends(need(*ANY, html=True))]
    ApiUser = Annotated[Session, Depends(need(*ANY, html=False))]
    Decider = Annotated[Session, Depends(need(*DECIDERS, html=True))]
    ApiDecider = Annotated[Session, Depends(need(*DECIDERS, html=False))]
    Uploader = Annotated[Session, Depends(need(*UPLOADERS, html=True))]

    # -- errors ------------------------------------------------------------

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if exc.html:
            target = request.url.path
            return RedirectResponse(f"/login?next={target}", status_code=303)
        return JSONResponse({"error": translate(lang_of(request), "session_expired")}, status_code=401)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if exc.html:
            return render(request, "message.html", session_of(request), code=403,
                          message=translate(lang_of(request), "forbidden"))
        return JSONResponse({"error": translate(lang_of(request), "forbidden")}, status_code=403)

    @app.exception_handler(ImageMissing)
    async def _image_missing(request: Request, exc: ImageMissing) -> Response:
        log.warning("%s", exc)
        return JSONResponse({"error": translate(lang_of(request), "not_found")}, status_code=404)

    @app.exception_handler(ReviewError)
    async def _review_error(request: Request, exc: ReviewError) -> Response:
        status = 404 if isinstance(exc, ItemNotFound) else 403 if isinstance(exc, NotAllowed) \
            else 409 if isinstance(exc, ItemTaken | CountLocked | NothingToUndo) \
            else 400 if isinstance(exc, BadDecision) else 409
        if request.url.path.startswith("/api/") or request.url.path.endswith(".jpg"):
            return JSONResponse({"error": str(exc), "kind": type(exc).__name__}, status_code=status)
        return render(request, "message.html", session_of(request), code=status,
                      message=translate(lang_of(request), "not_found") if status == 404 else str(exc))

    # -- login -------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> Response:
        token = secrets.token_urlsafe(24)
        response = render(request, "login.html", None, login_csrf=token, next=_local(next))
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                            secure=secure_cookies, max_age=3600)
        return response

    @app.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=8, max_part_size=4096)
        name = unicodedata.normalize("NFC", str(form.get("username", ""))).strip()[:64]
        password = str(form.get("password", ""))[:1024]
        target = _local(str(form.get("next", "/")))
        if not same_token(str(form.get("csrf", "")), request.cookies.get(LOGIN_COOKIE, "")):
            raise Forbidden(html=True)
        t = lambda key: translate(lang_of(request), key)  # noqa: E731

        def again(message: str, status: int) -> Response:
            token = secrets.token_urlsafe(24)
            response = render(request, "login.html", None, code=status, login_csrf=token,
                              next=target, error=message, username=name)
            response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                                secure=secure_cookies, max_age=3600)
            return response

        if sessions.throttled(name):
            return again(t("login_throttled"), 429)
        from starlette.concurrency import run_in_threadpool

        user = await run_in_threadpool(authenticate, ws.store, name, password)
        if user is None:
            sessions.failed(name)
            log.info("failed login for an account name")
            return again(t("login_failed"), 401)
        session = sessions.create(user.name, user.role)
        home = "/queue" if user.role in DECIDERS else "/dashboard"
        response = RedirectResponse(target if target != "/" else home, status_code=303)
        response.set_cookie(SESSION_COOKIE, session.token, httponly=True, samesite="strict",
                            secure=secure_cookies)
        response.delete_cookie(LOGIN_COOKIE)
        return response

    @app.post("/logout")
    async def logout(request: Request, session: PageUser) -> Response:
        form = await request.form(max_files=0, max_fields=4, max_part_size=256)
        check_csrf(request, session, str(form.get("csrf", "")) or None)
        sessions.drop(session.token)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/lang/{code}")
    def set_lang(code: str, next: str = "/") -> Response:
        response = RedirectResponse(_local(next), status_code=303)
        if code in LANGS:
            response.set_cookie(LANG_COOKIE, code, samesite="strict", max_age=365 * 86400)
        return response

    @app.get("/")
    def home(session: PageUser) -> Response:
        return RedirectResponse("/queue" if session.role in DECIDERS else "/dashboard", status_code=303)

    # -- the queue ---------------------------------------------------------

    @app.get("/queue", response_class=HTMLResponse)
    def queue_page(request: Request, session: Decider) -> Response:
        return render(request, "queue.html", session, counts=counts_json(session),
                      two_reviewers=queue.two_reviewers, reasons=INVALID_REASONS)

    @app.post("/api/queue/next")
    def api_next(request: Request, session: ApiDecider) -> dict[str, Any]:
        check_csrf(request, session)
        item = queue.claim_next(actor(session))
        return {"item": item_json(item, lang_of(request), session) if item else None,
                "counts": counts_json(session)}

    @app.post("/api/items/{item_id}/decision")
    async def api_decide(item_id: int, request: Request,
                         session: ApiDecider) -> dict[str, Any]:
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
            reason = translate("vi", reason)
        from starlette.concurrency import run_in_threadpool

        def work() -> dict[str, Any]:
            decided = queue.decide(actor(session), item_id, body["value"], reason)
            following = queue.claim_next(actor(session))
            lang = lang_of(request)
            return {"decided": {"id": decided.id, "state": decided.state,
                                "resolution": decided.resolution,
                                "label": translate(lang, body["value"]),
                                "candidate": decided.candidate, "page_id": decided.page_id},
                    "item": item_json(following, lang, session) if following else None,
                    "counts": counts_json(session)}

        return await run_in_threadpool(work)

    @app.post("/api/undo")
    def api_undo(request: Request, session: ApiDecider) -> dict[str, Any]:
        check_csrf(request, session)
        item = queue.undo(actor(session))
        return {"item": item_json(item, lang_of(request), session), "counts": counts_json(session)}

    @app.post("/api/items/{item_id}/release")
    def api_release(item_id: int, request: Request,
                    session: ApiDecider) -> dict[str, Any]:
        check_csrf(request, session)
        queue.release(actor(session), item_id)
        return {"released": item_id}

    @app.get("/record", response_class=HTMLResponse)
    def record(request: Request, session: Decider, state: str | None = None,
               offset: int = 0) -> Response:
        states = [state] if state in ("open", "escalated", "resolved") else None
        offset = max(0, offset)
        items = queue.items(states, limit=PAGE_SIZE, offset=offset)
        rows = []
        for item in items:
            history = queue.history(item.id)
            if queue.two_reviewers and item.state == "open" and session.role != "chair":
                history = []
            rows.append((item, candidates.get(item.candidate), history))
        return render(request, "record.html", session, rows=rows, state=state, offset=offset,
                      page_size=PAGE_SIZE, counts=queue.counts())

    # -- images ------------------------------------------------------------

    @app.get("/items/{item_id}/crop.jpg")
    def item_crop(item_id: int, session: ApiUser) -> Response:
        item = queue.get(item_id)
        page = page_record(item.page_id)
        if item.kind == "row" and page["homography"] and item.ballot_page:
            view = row_view(ws.layout, item.ballot_page, item.candidate)
            data = images.row_jpeg(page["image_path"], page["homography"], view)
        else:
            data = upright(item.page_id)
        return Response(data, media_type="image/jpeg")

    @app.get("/items/{item_id}/boxes.jpg")
    def item_boxes(item_id: int, session: ApiUser) -> Response:
        item = queue.get(item_id)
        page = page_record(item.page_id)
        if item.kind != "row" or not page["homography"] or not item.ballot_page:
            raise ItemNotFound(f"item {item_id} is not a row")
        view = row_view(ws.layout, item.ballot_page, item.candidate, boxes_only=True)
        return Response(images.row_jpeg(page["image_path"], page["homography"], view, ZOOM_PX_PER_MM),
                        media_type="image/jpeg")

    @app.get("/pages/{page_id}/upright.jpg")
    def page_image(page_id: int, session: ApiUser) -> Response:
        return Response(upright(page_id), media_type="image/jpeg")

    # -- dashboard and ballot browser -------------------------------------

    def summary() -> dict[str, Any]:
        tally = compute_tally(ws)
        counts = queue.counts()
        status = ws.store.status_counts()
        scanned = sum(status.values())
        bars = []
        for c in tally.candidates:
            parts = [(lv, c.counts[lv]) for lv in LEVELS] + [("invalid", c.counts["invalid"]),
                                                           ("pending", c.pending)]
            total = sum(n for _, n in parts) or 1
            bars.append({"c": c, "parts": [(k, n, round(100 * n / total, 2)) for k, n in parts]})
        return {"tally": tally, "scanned": scanned, "pending": counts["open"] + counts["escalated"],
                "escalated": counts["escalated"], "bars": bars,
                "pages_rejected": sum(n for (s, _), n in status.items() if s == "rejected")}

    @app.get("/dashboard", response_class=HTMLResponse)
    def dashboard(request: Request, session: PageUser, fragment: int = 0) -> Response:
        return render(request, "summary.html" if fragment else "dashboard.html", session, **summary())

    @app.get("/api/summary")
    def api_summary(session: ApiUser) -> dict[str, Any]:
        s = summary()
        return {"scanned": s["scanned"], "accepted": s["tally"].accepted,
                "rejected": s["pages_rejected"], "pending": s["pending"],
                "escalated": s["escalated"], "tally": s["tally"].to_json()}

    @app.get("/pages", response_class=HTMLResponse)
    def pages(request: Request, session: PageUser, status: str | None = None,
              offset: int = 0) -> Response:
        p = page_table
        open_items = (select(func.count()).select_from(review_table)
                      .where(review_table.c.page_id == p.c.id, review_table.c.state != "resolved")
                      .scalar_subquery())
        query = (select(p.c.id, p.c.source, p.c.page_index, p.c.status, p.c.reason, p.c.ballot_page,
                        open_items.label("open_items"))
                 .where(p.c.campaign_id == ws.campaign.id).order_by(p.c.id))
        if status in ("accepted", "rejected", "blank_page"):
            query = query.where(p.c.status == status)
        offset = max(0, offset)
        with ws.store.engine.connect() as conn:
            rows = conn.execute(query.limit(PAGE_SIZE).offset(offset)).mappings().all()
        return render(request, "pages.html", session, rows=rows, status=status, offset=offset,
                      page_size=PAGE_SIZE)

    @app.get("/pages/{page_id}", response_class=HTMLResponse)
    def page_detail(page_id: int, request: Request,
                    session: PageUser) -> Response:
        page = page_record(page_id)
        items = {i.candidate: i for i in queue.items(page_id=page_id)}
        overlay = []
        table = []
        if page["homography"] and page["ballot_page"]:
            layout_page = ws.layout.page(page["ballot_page"])
            readings = {r.candidate: r for r in ws.store.page_rows(page_id)}
            for cand, spec in zip(layout_page.candidates, layout_page.template.rows, strict=True):
                reading = readings.get(cand.stt)
                if reading is None:
                    continue
                item = items.get(cand.stt)
                resolved = item.resolution if item and item.state == "resolved" else None
                overlay.append({"band": spec.band, "boxes": [
                    {"rect": b, "level": lv, "fill": f,
                     "chosen": (reading.level == lv) or (resolved == lv)}
                    for b, lv, f in zip(spec.boxes, LEVELS, reading.fills, strict=True)],
                    "outcome": reading.outcome, "item": item, "resolved": resolved})
                table.append((cand, reading, item))
        page_item = items.get(0)
        # with two reviewers, nobody but the chair sees a first vote before the second
        hide_open = queue.two_reviewers and session.role != "chair"
        histories = {i.id: [] if hide_open and i.state == "open" else queue.history(i.id)
                     for i in items.values()}
        return render(request, "page.html", session, page=page, overlay=overlay, table=table,
                      page_item=page_item, histories=histories, size=page_size_mm)

    # -- upload ------------------------------------------------------------

    @app.get("/upload", response_class=HTMLResponse)
    def upload_form(request: Request, session: Uploader) -> Response:
        return render(request, "upload.html", session, limits=limits, results=None)

    @app.post("/upload")
    async def upload(request: Request, session: Uploader) -> Response:
        wants_json = "application/json" in request.headers.get("accept", "")
        t = lambda key: translate(lang_of(request), key)  # noqa: E731
        size = request.headers.get("content-length")
        if size is None or not size.isdigit():
            return _refuse(wants_json, 411, "send the files with a Content-Length")
        if int(size) > limits.upload_bytes:
            return _refuse(wants_json, 413, f"{t('upload_refused')}: {int(size) >> 20} MiB > "
                           f"{limits.upload_bytes >> 20} MiB")
        form = await request.form(max_files=limits.upload_files, max_fields=8, max_part_size=4096)
        check_csrf(request, session, str(form.get("csrf") or "") or None)
        incoming = ws.path / "uploads"
        incoming.mkdir(exist_ok=True)
        saved: list[Path] = []
        refused: list[dict[str, str]] = []
        for upload_file in form.getlist("files"):
            if isinstance(upload_file, str):
                continue
            name = _safe_name(upload_file.filename or "scan")
            if Path(name).suffix.lower() not in SCAN_SUFFIXES:
                refused.append({"source": name, "reason": "not a scan file (PDF, TIFF, JPEG, PNG)"})
                continue
            path, problem = _store_upload(upload_file.file, name, incoming, limits)
            if problem:
                refused.append({"source": name, "reason": problem})
            else:
                saved.append(path)
        from starlette.concurrency import run_in_threadpool

        from pipeline.workflow.ingest import PageReport, ingest

        reports: list[PageReport] = []
        error = None
        if saved:
            try:
                await run_in_threadpool(ingest, ws, saved, workers=1, on_report=reports.append)
            except KiemphieuError as exc:
                error = str(exc)
        upright_cache.clear()
        results = {
            "pages": [{"source": Path(r.source).name.split("-", 1)[-1], "page_index": r.page_index,
                       "status": r.status, "reason": r.reason, "page_id": r.page_id,
                       "reason_shown": shown(lang_of(request), r.reason),
                       "review": sum(1 for row in r.rows if row["outcome"] == "review")}
                      for r in reports],
            "refused": [{**r, "reason_shown": shown(lang_of(request), r["reason"])} for r in refused],
            "error": error,
        }
        if wants_json:
            return JSONResponse(results, status_code=409 if error else 200)
        return render(request, "upload.html", session, limits=limits, results=results)

    return app


def shown(lang: str, reason: str | None) -> str | None:
    """A machine's reason as a person reads it: stored in English, shown in Vietnamese
    (`pipeline.domain.reasons`) unless the English switch is on."""
    return to_vietnamese(reason) if reason and lang == "vi" else reason


def _key(kind: str, value: str) -> str:
    if kind == "row":
        return {"high": "1", "medium": "2", "low": "3", "invalid": "0"}[value]
    return {"accepted": "A", "rejected": "0"}[value]


def _local(target: str) -> str:
    """``target`` if it is a path on this site, else ``/`` (no open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _refuse(wants_json: bool, status: int, message: str) -> Response:
    if wants_json:
        return JSONResponse({"error": message}, status_code=status)
    return HTMLResponse(f"<p>{_escape(message)}</p>", status_code=status)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_UNSAFE = re.compile(r"[^\w.-]+")


def _safe_name(filename: str) -> str:
    """A file name from a browser made harmless: last path part, word characters, no dot first."""
    base = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    base = _UNSAFE.sub("_", base).lstrip("._")[:100]
    return base or "scan"


def _store_upload(stream: Any, name: str, folder: Path, limits: Limits) -> tuple[Path, str | None]:
    """Copy one uploaded file into ``folder`` as ``<sha256[:16]>-<name>``; check its pixels.

    Returns the path and a problem (then nothing is kept), or None.
    """
    digest = hashlib.sha256()
    total = 0
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    tmp = Path(tmp_name)
    try:
        with open(fd, "wb") as out:
            while chunk := stream.read(1 << 20):
                total += len(chunk)
                if total > limits.upload_bytes:
                    return tmp, f"over the {limits.upload_bytes >> 20} MiB limit"
                digest.update(chunk)
                out.write(chunk)
        if total == 0:
            return tmp, "the file is empty"
        if Path(name).suffix.lower() in IMAGE_SUFFIXES:
            problem = _pixel_problem(tmp, limits.upload_pixels)
            if problem:
                return tmp, problem
        target = folder / f"{digest.hexdigest()[:16]}-{name}"
        if not target.resolve().is_relative_to(folder.resolve()):
            return tmp, "unsafe file name"
        tmp.replace(target)
        return target, None
    finally:
        if tmp.exists():
            tmp.unlink()


def _pixel_problem(path: Path, max_pixels: int) -> str | None:
    """Refuse an image whose pages hold more than ``max_pixels``, reading only headers."""
    try:
        with Image.open(path) as im:
            for index in range(getattr(im, "n_frames", 1)):
                im.seek(index)
                w, h = im.size
                if w * h > max_pixels:
                    return (f"page {index + 1} is {w} x {h} pixels, over the "
                            f"{max_pixels // 1_000_000} MP limit; scan at 600 dpi or less")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        return f"not a readable image ({exc})"
    return None
