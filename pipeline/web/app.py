"""The web station: one FastAPI app over one workspace (`create_app`).

Pages are rendered on the server (Jinja2) in Vietnamese, with an English
switch; the review queue adds a small script so that one key resolves an
item and the next one appears without reloading the page.

Routes, their module, and who may use them (``-`` = anyone, even not logged in)::

    GET  /login, POST /login, GET /lang/{vi|en}, /static/*        -               auth
    POST /logout                                                  any account     auth
    GET  /, /dashboard, /pages, /pages/{id}, /api/summary         any account     routes.browse
    GET  /pages/{id}/upright.jpg, /items/{id}/crop.jpg|boxes.jpg  any account     routes.pictures
    GET  /queue, /record                                          reviewer, chair routes.queue
    POST /api/queue/next, /api/items/{id}/decision, /api/undo     reviewer, chair routes.queue
    POST /api/items/{id}/release                                  reviewer, chair routes.queue
    GET  /upload, POST /upload                                    operator, chair routes.upload
    GET  /chair, /chair/package.zip, /chair/ballots.pdf           chair           routes.chair
    POST /chair/declare, /chair/certify, /chair/export, /chair/hall chair         routes.chair
    GET  /hall (once certified and switched on by the chair)      -               routes.hall
    GET  /stacks, /stacks/{id}                                    any account     routes.stacks
    POST /stacks/{id}/count|withdraw|restore                      chair           routes.stacks

Safety: sessions in memory with idle and absolute expiry; a CSRF token on
every POST (form field ``csrf`` or header ``X-CSRF-Token``); the role checked
on every route; only known hosts (DNS rebinding); a Content Security Policy
with no inline script; ballot images only for logged-in users and never
cached by the browser; request paths never name files: pages and items are
numbers looked up in the records, and stored image paths are checked to
stay inside ``WS/images``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from pipeline.documents.images import ImageMissing, PageImages
from pipeline.domain.wording import t
from pipeline.store.workspace import open_workspace
from pipeline.web import auth
from pipeline.web.auth import Forbidden, LoginRequired, session_of
from pipeline.web.routes import browse, chair, hall, pictures, queue, stacks, upload
from pipeline.web.sessions import Sessions
from pipeline.web.station import HERE, Limits, Station, lang_of, said_error
from pipeline.workflow.review import (
    LEASE,
    BadDecision,
    CountLocked,
    ItemNotFound,
    ItemTaken,
    NotAllowed,
    NothingToUndo,
    ReviewError,
    queue_for,
)

log = logging.getLogger("kiemphieu.web")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def create_app(ws_path: Path, *, allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
               sessions: Sessions | None = None, limits: Limits | None = None,
               secure_cookies: bool = False) -> FastAPI:
    """The station for workspace ``ws_path`` (opened once, here).

    ``allowed_hosts``: Host header values accepted (``"*"`` for any);
    ``secure_cookies``: mark cookies Secure (behind HTTPS).
    """
    ws = open_workspace(ws_path)
    app = FastAPI(title="kiemphieu", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.station = Station(
        ws=ws, queue=queue_for(ws, lease=LEASE), images=PageImages(ws.path),
        sessions=sessions or Sessions(),
        templates=Jinja2Templates(directory=str(HERE / "templates")),
        limits=limits or Limits(), secure_cookies=secure_cookies)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.middleware("http")(_headers)
    for router in (auth.router, queue.router, pictures.router, browse.router, upload.router,
                   chair.router, hall.router, stacks.router):
        app.include_router(router)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(ImageMissing, _image_missing)
    app.add_exception_handler(ReviewError, _review_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    return app


async def _headers(request: Request, call_next: Any) -> Response:
    response = await call_next(request)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    if not request.url.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    if exc.html:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return JSONResponse({"error": t("session_expired", lang_of(request))}, status_code=401)


async def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Forbidden)
    message = t("forbidden", lang_of(request))
    if exc.html:
        st: Station = request.app.state.station
        return st.render(request, "message.html", session_of(request), code=403, message=message)
    return JSONResponse({"error": message}, status_code=403)


async def _http_error(request: Request, exc: Exception) -> Response:
    """No such page (404) in the person's language; any other status as the framework says it."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code != 404:
        return await http_exception_handler(request, exc)
    message = t("not_found", lang_of(request))
    if "text/html" in request.headers.get("accept", ""):
        st: Station = request.app.state.station
        return st.render(request, "message.html", session_of(request), code=404, message=message)
    return JSONResponse({"detail": message}, status_code=404)


async def _image_missing(request: Request, exc: Exception) -> Response:
    log.warning("%s", exc)
    return JSONResponse({"error": t("not_found", lang_of(request))}, status_code=404)


async def _review_error(request: Request, exc: Exception) -> Response:
    status = 404 if isinstance(exc, ItemNotFound) else 403 if isinstance(exc, NotAllowed) \
        else 409 if isinstance(exc, ItemTaken | CountLocked | NothingToUndo) \
        else 400 if isinstance(exc, BadDecision) else 409
    if request.url.path.startswith("/api/") or request.url.path.endswith(".jpg"):
        return JSONResponse({"error": said_error(exc, lang_of(request)),
                             "kind": type(exc).__name__}, status_code=status)
    st: Station = request.app.state.station
    return st.render(request, "message.html", session_of(request), code=status,
                     message=t("not_found", lang_of(request)) if status == 404
                     else said_error(exc, lang_of(request)))
