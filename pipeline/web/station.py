"""What every page of the web station shares: one workspace, its queue, the sessions.

`Station` is made once by `pipeline.web.app.create_app` and kept on the app
(``app.state.station``); a route reaches it with ``Depends(station)``.

No ``from __future__ import annotations`` here: FastAPI reads the
annotations of the dependencies defined here.
"""

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from pipeline.documents.images import PageImages
from pipeline.domain.campaign import Candidate
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.reasons import Reason, from_json
from pipeline.domain.wording import LANGS, t, words
from pipeline.domain.wording import percent as wording_percent
from pipeline.store.hall import HallStore
from pipeline.store.workspace import Workspace
from pipeline.workflow.review import ItemNotFound, ReviewQueue

HERE = Path(__file__).parent
LANG_COOKIE = "kp_lang"
MAX_UPLOAD_BYTES = 300 * 1024 * 1024  # one request
MAX_UPLOAD_FILES = 100
MAX_UPLOAD_PIXELS = 100_000_000  # per image page; 600-dpi A3 is 70 MP
UPRIGHT_KEPT = 64  # whole pages kept as JPEG for the queue's page view
VIETNAM = dt.timezone(dt.timedelta(hours=7))  # Asia/Ho_Chi_Minh: no daylight saving


@dataclass(frozen=True)
class Limits:
    """What one upload may hold."""

    upload_bytes: int = MAX_UPLOAD_BYTES
    upload_files: int = MAX_UPLOAD_FILES
    upload_pixels: int = MAX_UPLOAD_PIXELS


@dataclass
class Station:
    """The station's state: the workspace (opened once), its review queue, page pictures,
    the sessions, the templates and the limits."""

    ws: Workspace
    queue: ReviewQueue
    images: PageImages
    sessions: Any  # pipeline.web.sessions.Sessions
    templates: Jinja2Templates
    limits: Limits
    secure_cookies: bool = False
    upright_cache: OrderedDict[int, bytes] = field(default_factory=OrderedDict)

    @property
    def hall_open(self) -> bool:
        """Whether the chair switched the certified result's page (``/hall``) on: read from
        the records each time, as every station process on them sees it."""
        return HallStore(self.ws.store).is_open()

    def switch_hall(self, open_: bool, by: str) -> None:
        HallStore(self.ws.store).switch(open_, by)

    @property
    def candidates(self) -> dict[int, Candidate]:
        return {c.stt: c for c in self.ws.campaign.candidates}

    def render(self, request: Request, name: str, session: Any = None, code: int = 200,
               **context: Any) -> HTMLResponse:
        """The template ``name`` in the request's language."""
        lang = lang_of(request)
        return self.templates.TemplateResponse(request, name, {
            "t": lambda key, **params: t(key, lang, **params), "lang": lang, "session": session,
            "said": lambda reasons, recorded=None: shown(lang, reasons, recorded),
            "num": lambda value, digits=2: number(value, lang, digits),
            "pct": lambda value: percent(value, lang),
            "when": lambda at, short=False: when(at, lang, short),
            "campaign": self.ws.campaign, "path": request.url.path, **context,
        }, status_code=code)

    def page_record(self, page_id: int) -> dict[str, Any]:
        """A stored page's record; `ItemNotFound` (404) if there is none."""
        page = self.ws.store.page(page_id)
        if page is None:
            raise ItemNotFound(f"no page {page_id}")
        return page

    def upright(self, page_id: int) -> bytes:
        """A stored page upright, as JPEG; the last `UPRIGHT_KEPT` are kept."""
        cached = self.upright_cache.get(page_id)
        if cached is not None:
            return cached
        page = self.page_record(page_id)
        data = self.images.page_jpeg(page["image_path"], page["homography"],
                                     self.ws.layout.frame.page_size_mm)
        self.upright_cache[page_id] = data
        while len(self.upright_cache) > UPRIGHT_KEPT:
            self.upright_cache.popitem(last=False)
        return data


def station(request: Request) -> Station:
    """The station serving ``request`` (a dependency)."""
    return request.app.state.station


def lang_of(request: Request) -> str:
    """The language the person chose (cookie), Vietnamese by default."""
    lang = request.cookies.get(LANG_COOKIE, "vi")
    return lang if lang in LANGS else "vi"


def shown(lang: str, reasons: tuple[Reason, ...] | list[Any] | None,
          recorded: str | None = None) -> str | None:
    """The machine's reasons as a person reads them, in ``lang`` (Vietnamese unless the
    English switch is on). ``reasons`` as values or as stored (JSON); ``recorded``, the
    English kept beside them, is shown for a record that has no codes."""
    if reasons and not isinstance(reasons, tuple):
        reasons = from_json(reasons)
    return words(reasons, lang) if reasons else recorded


def local(target: str) -> str:
    """``target`` if it is a path on this site, else ``/`` (no open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def said_error(exc: Exception, lang: str) -> str:
    """A refusal as the person reads it: worded from the catalogs when the error carries a
    catalog key (`pipeline.domain.errors.KiemphieuError`), else its message."""
    return exc.in_words(lang) if isinstance(exc, KiemphieuError) else str(exc)


def number(value: float | int | None, lang: str, digits: int = 2) -> str:
    """A number as a person reads it: ``85,23`` in Vietnamese (decimal comma), ``85.23``
    in English; whole numbers as they are; None as a dash."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "vi" else text


def percent(value: float | None, lang: str) -> str:
    """A share in percent, two decimals, as the documents write it: ``85,23 %`` in
    Vietnamese (`pipeline.domain.wording.percent`); None as a dash."""
    return "–" if value is None else wording_percent(float(value), lang)


def vietnam_time(at: dt.datetime) -> dt.datetime:
    """``at`` in Vietnam time; a naive ``at`` is UTC, as the store keeps it."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(VIETNAM)


def when(at: dt.datetime | None, lang: str, short: bool = False) -> str:
    """A moment in Vietnam time, marked as such: ``07/12/2026 14:30 (giờ Việt Nam)``;
    ``short``: the time of day only, ``14:30:05 (giờ VN)``."""
    if at is None:
        return "–"
    local_at = vietnam_time(at)
    if short:
        return f"{local_at:%H:%M:%S} ({t('vn_time_short', lang)})"
    return f"{local_at:%d/%m/%Y %H:%M} ({t('vn_time', lang)})"
