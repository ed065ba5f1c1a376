"""Who may do what in the web station: logging in and out, the roles, the CSRF check.

Accounts are made on the command line (``kiemphieu user add``); a login
makes an in-memory session (`pipeline.web.sessions`). Every route names the
roles it serves with one of the dependencies below (`PageUser`, `Decider`,
...): a page answers a missing session with the login form and a wrong role
with 403; an API answers 401 or 403 in JSON. Every POST carries the
session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``).

No ``from __future__ import annotations`` here: FastAPI reads the route
signatures' annotations.
"""

import logging
import math
import secrets
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.domain.committee import Person
from pipeline.domain.wording import LANGS, t
from pipeline.web.sessions import Session, same_token
from pipeline.web.station import LANG_COOKIE, Station, lang_of, local, station
from pipeline.workflow.users import User, authenticate, get_user

SESSION_COOKIE = "kp_session"
LOGIN_COOKIE = "kp_login"
ANY = ("operator", "reviewer", "chair")
DECIDERS = ("reviewer", "chair")
UPLOADERS = ("operator", "chair")

log = logging.getLogger("kiemphieu.web")
router = APIRouter()


class LoginRequired(Exception):
    """No live session: a page goes to the login form, an API answers 401."""

    def __init__(self, html: bool) -> None:
        self.html = html


class Forbidden(Exception):
    """The session's role may not do this, or the CSRF token is wrong: 403."""

    def __init__(self, html: bool) -> None:
        self.html = html


def session_of(request: Request) -> Session | None:
    """The request's live session, if its account still exists with the same role."""
    st: Station = request.app.state.station
    session = st.sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    user = get_user(st.ws.store, session.name)
    if user is None or user.disabled or user.role != session.role:
        st.sessions.drop_user(session.name)
        return None
    return session


def need(*roles: str, html: bool) -> Callable[[Request], Session]:
    """A dependency: the session, if its role is one of ``roles``."""
    def dependency(request: Request) -> Session:
        session = session_of(request)
        if session is None:
            raise LoginRequired(html)
        if session.role not in roles:
            raise Forbidden(html)
        return session
    return dependency


PageUser = Annotated[Session, Depends(need(*ANY, html=True))]
ApiUser = Annotated[Session, Depends(need(*ANY, html=False))]
Decider = Annotated[Session, Depends(need(*DECIDERS, html=True))]
ApiDecider = Annotated[Session, Depends(need(*DECIDERS, html=False))]
Uploader = Annotated[Session, Depends(need(*UPLOADERS, html=True))]
Chair = Annotated[Session, Depends(need("chair", html=True))]
StationDep = Annotated[Station, Depends(station)]


def check_csrf(request: Request, session: Any, form_token: str | None = None) -> None:
    """Refuse (403) a POST without the session's CSRF token."""
    token = form_token or request.headers.get("x-csrf-token")
    if not same_token(token, session.csrf):
        raise Forbidden(html=form_token is not None)


def actor(session: Any) -> Person:
    """The person behind a session, as the review queue knows them."""
    return Person(session.name, session.role)


def _login_page(st: Station, request: Request, code: int = 200, **context: Any) -> Response:
    """The login form with a fresh login CSRF token (in a cookie and the form)."""
    token = secrets.token_urlsafe(24)
    response = st.render(request, "login.html", None, code=code, login_csrf=token, **context)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=st.secure_cookies, max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, st: StationDep, next: str = "/") -> Response:
    return _login_page(st, request, next=local(next))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, st: StationDep) -> Response:
    form = await request.form(max_files=0, max_fields=8, max_part_size=4096)
    name = unicodedata.normalize("NFC", str(form.get("username", ""))).strip()[:64]
    password = str(form.get("password", ""))[:1024]
    target = local(str(form.get("next", "/")))
    if not same_token(str(form.get("csrf", "")), request.cookies.get(LOGIN_COOKIE, "")):
        raise Forbidden(html=True)
    lang = lang_of(request)
    client = request.client.host if request.client else ""
    wait = st.sessions.throttle.admit(name, client)
    if wait > 0:
        log.info("login refused for %.0f s after failed attempts", wait)
        return _login_page(st, request, 429, next=target, username=name,
                           error=t("login_throttled", lang, seconds=math.ceil(wait)))
    user = await run_in_threadpool(_authenticate, st, name, password)
    if user is None:
        log.info("failed login for an account name")
        return _login_page(st, request, 401, next=target, error=t("login_failed", lang),
                           username=name)
    st.sessions.throttle.succeeded(name, client)
    session = st.sessions.create(user.name, user.role)
    home = "/queue" if user.role in DECIDERS else "/dashboard"
    response = RedirectResponse(target if target != "/" else home, status_code=303)
    response.set_cookie(SESSION_COOKIE, session.token, httponly=True, samesite="strict",
                        secure=st.secure_cookies)
    response.delete_cookie(LOGIN_COOKIE)
    return response


def _authenticate(st: Station, name: str, password: str) -> User | None:
    """`authenticate`, a few at a time: each password check takes 64 MiB."""
    with st.sessions.throttle.hashing:
        return authenticate(st.ws.store, name, password)


@router.post("/logout")
async def logout(request: Request, session: PageUser, st: StationDep) -> Response:
    form = await request.form(max_files=0, max_fields=4, max_part_size=256)
    check_csrf(request, session, str(form.get("csrf", "")) or None)
    st.sessions.drop(session.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}")
def set_lang(code: str, st: StationDep, next: str = "/") -> Response:
    response = RedirectResponse(local(next), status_code=303)
    if code in LANGS:
        response.set_cookie(LANG_COOKIE, code, samesite="strict", max_age=365 * 86400,
                            secure=st.secure_cookies)
    return response


@router.get("/")
def home(session: PageUser) -> Response:
    return RedirectResponse("/queue" if session.role in DECIDERS else "/dashboard", status_code=303)
