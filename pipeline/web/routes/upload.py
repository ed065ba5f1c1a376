"""Scans uploaded from the browser: stored under ``WS/uploads/`` by content hash with a
cleaned name, then read by the same ingest as ``kiemphieu scan``.

Limits (`pipeline.web.station.Limits`): bytes and files a request, pixels a
page (read from the image headers, before anything is decoded).

No ``from __future__ import annotations`` here: FastAPI reads the route
signatures' annotations.
"""

import hashlib
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from PIL import Image
from starlette.concurrency import run_in_threadpool

from pipeline.domain import reasons as why
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.reasons import Reason
from pipeline.domain.records import english
from pipeline.domain.wording import t as word
from pipeline.reading.sources import IMAGE_SUFFIXES, SCAN_SUFFIXES
from pipeline.web.auth import StationDep, Uploader, check_csrf
from pipeline.web.station import Limits, lang_of, shown
from pipeline.workflow.ingest import PageReport, ingest

router = APIRouter()


@router.get("/upload", response_class=HTMLResponse)
def upload_form(request: Request, session: Uploader, st: StationDep) -> Response:
    return st.render(request, "upload.html", session, limits=st.limits, results=None)

@router.post("/upload")
async def upload(request: Request, session: Uploader, st: StationDep) -> Response:
    wants_json = "application/json" in request.headers.get("accept", "")
    lang = lang_of(request)
    size = request.headers.get("content-length")
    if size is None or not size.isdigit():
        return _refuse(wants_json, 411, word("upload_no_length", lang))
    if int(size) > st.limits.upload_bytes:
        return _refuse(wants_json, 413, f"{word('upload_refused', lang)}: {int(size) >> 20} MiB > "
                       f"{st.limits.upload_bytes >> 20} MiB")
    form = await request.form(max_files=st.limits.upload_files, max_fields=8, max_part_size=4096)
    check_csrf(request, session, str(form.get("csrf") or "") or None)
    incoming = st.ws.path / "uploads"
    incoming.mkdir(exist_ok=True)
    saved: list[Path] = []
    refused: list[tuple[str, Reason]] = []
    for upload_file in form.getlist("files"):
        if isinstance(upload_file, str):
            continue
        name = _safe_name(upload_file.filename or "scan")
        if Path(name).suffix.lower() not in SCAN_SUFFIXES:
            refused.append((name, why.NOT_A_SCAN_FILE()))
            continue
        path, problem = _store_upload(upload_file.file, name, incoming, st.limits)
        if problem:
            refused.append((name, problem))
        else:
            saved.append(path)
    reports: list[PageReport] = []
    error = None
    if saved:
        try:
            station = f"web {request.client.host}" if request.client else "web"
            await run_in_threadpool(ingest, st.ws, saved, workers=1, on_report=reports.append,
                                    kind="upload", station=station, by=session.name)
        except KiemphieuError as exc:
            error = str(exc)
    st.upright_cache.clear()
    results = {
        "pages": [{"source": Path(r.source).name.split("-", 1)[-1], "page_index": r.page_index,
                   "status": r.status, "reason": r.reason, "page_id": r.page_id,
                   "reason_shown": shown(lang, r.reasons),
                   "review": sum(1 for row in r.rows if row["outcome"] == "review")}
                  for r in reports],
        "refused": [{"source": name, "reason": english((problem,)),
                     "reason_shown": shown(lang, (problem,))} for name, problem in refused],
        "error": error,
    }
    if wants_json:
        return JSONResponse(results, status_code=409 if error else 200)
    return st.render(request, "upload.html", session, limits=st.limits, results=results)


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


def _store_upload(stream: Any, name: str, folder: Path, limits: Limits
                  ) -> tuple[Path, Reason | None]:
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
                    return tmp, why.OVER_UPLOAD_LIMIT(mib=limits.upload_bytes >> 20)
                digest.update(chunk)
                out.write(chunk)
        if total == 0:
            return tmp, why.FILE_EMPTY()
        if Path(name).suffix.lower() in IMAGE_SUFFIXES:
            problem = _pixel_problem(tmp, limits.upload_pixels)
            if problem:
                return tmp, problem
        target = folder / f"{digest.hexdigest()[:16]}-{name}"
        if not target.resolve().is_relative_to(folder.resolve()):
            return tmp, why.UNSAFE_FILE_NAME()
        tmp.replace(target)
        return target, None
    finally:
        if tmp.exists():
            tmp.unlink()


def _pixel_problem(path: Path, max_pixels: int) -> Reason | None:
    """Refuse an image whose pages hold more than ``max_pixels``, reading only headers."""
    try:
        with Image.open(path) as im:
            for index in range(getattr(im, "n_frames", 1)):
                im.seek(index)
                w, h = im.size
                if w * h > max_pixels:
                    return why.UPLOAD_PAGE_TOO_BIG(page=index + 1, width=w, height=h,
                                                   limit_mp=max_pixels // 1_000_000)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        return why.UPLOAD_UNREADABLE(detail=why.failure(exc))
    return None
