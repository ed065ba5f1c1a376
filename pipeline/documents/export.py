"""``kiemphieu export``: the certified package, hashed and signed.

::

    DIR/
      bien-ban-kiem-phieu.pdf    the minutes (pipeline.documents.minutes)
      bien-ban-kiem-phieu.docx   the same minutes for Word
      ket-qua.csv                one row per person, UTF-8 with BOM (opens in Excel)
      ket-qua.xlsx               the same, with the figures and the reconciliation
      tally.json                 CONTRACT's `tally --json`, certified, and more (below)
      campaign.yaml              the campaign file as given
      scans/<sha256>.<ext>       every stored page image, named by its SHA-256
      manifest.json              SHA-256 and size of every file above
      manifest.sig               Ed25519 signature of manifest.json's exact bytes (base64)
      public-key.pem             the workspace's public key

``tally.json`` adds to the contract's fields: ``campaign_info`` (title,
body, date, rules and their wording), ``declared`` (the committee's count,
members, head, note), ``reconciliation``, ``certification`` (when, by whom,
software, thresholds), per person ``born``, ``ballot_page`` and
``consequence_text``, every stored page (``pages``: hash, file, status,
ballot page, thresholds) and every review decision in force (``decisions``,
by page hash and candidate), and ``key_sha256``. With these, `pipeline.workflow.retally`
can re-count the package without the workspace.

The signing key is made at the first export (Ed25519, ``WS/keys/``, PEM,
mode 0600) and reused, so every package of one workspace carries the same
public key; its SHA-256 (``key_sha256``) is printed in the minutes, so a
package whose key was swapped no longer matches its own signed minutes.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.domain.errors import WorkspaceError
from pipeline.domain.rules import LEVELS
from pipeline.domain.wording import t
from pipeline.store.workspace import Workspace

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public-key.pem"
PACKAGE_FORMAT = "kiemphieu-package/1"
MINUTES_PDF = "bien-ban-kiem-phieu.pdf"
MINUTES_DOCX = "bien-ban-kiem-phieu.docx"
RESULT_CSV = "ket-qua.csv"
RESULT_XLSX = "ket-qua.xlsx"
RESULT_JSON = "tally.json"
CAMPAIGN_FILE = "campaign.yaml"
SCANS_DIR = "scans"
KEY_FILE = Path("keys") / "workspace-ed25519.pem"


class ExportError(WorkspaceError):
    """The package cannot be written."""


@dataclass(frozen=True)
class ExportResult:
    out: Path
    files: int
    scans: int
    key_sha256: str


# ---------------------------------------------------------------------------
# The workspace key


def workspace_key(ws: Workspace):
    """The workspace's Ed25519 private key, made (mode 0600) on first use."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = ws.path / KEY_FILE
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise ExportError(f"{path}: the workspace key is damaged ({exc}); restore it from a "
                              "backup: a new key would not match packages already sent") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ExportError(f"{path}: not an Ed25519 key")
        return key
    path.parent.mkdir(mode=0o700, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    return key


def public_pem(private_key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_fingerprint(public_key: Any) -> str:
    """SHA-256 of the raw 32-byte Ed25519 public key, hex."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


# ---------------------------------------------------------------------------
# The result document (tally.json)


def result_document(ws: Workspace, key_sha256: str) -> dict[str, Any]:
    """The certified tally and everything the minutes, an auditor and the office above need."""

    cert = ws.store.certification()
    if cert is None:
        raise ExportError(f"{ws.path}: the count is not certified; run kiemphieu certify {ws.path}")
    campaign = ws.campaign
    rules = campaign.rules
    doc: dict[str, Any] = dict(cert["tally"])
    by_stt = {c.stt: c for c in campaign.candidates}
    page_of = {c.stt: p.template.page for p in ws.layout.pages for c in p.candidates}
    doc["candidates"] = [
        {**c, "born": by_stt[c["candidate"]].born, "ballot_page": page_of[c["candidate"]],
         "consequence_text": rules.consequences.get(c["consequence"]) if c["consequence"] else None}
        for c in doc["candidates"]
    ]
    decl = ws.declaration()
    assert decl is not None  # certification requires one
    doc["campaign_info"] = {
        "id": campaign.id, "title": campaign.title, "subtitle": campaign.subtitle,
        "body": campaign.body, "place": campaign.place,
        "session_date": campaign.session_date.isoformat(), "rules": rules.name,
        "rules_title": rules.title, "rules_document": rules.document,
        "base_label": rules.base_label, "base_article": rules.base_article,
        "electorate": campaign.electorate, "page_count": ws.layout.page_count,
        "layout_fingerprint": ws.layout.fingerprint,
    }
    doc["declared"] = decl.to_json()
    doc["reconciliation"] = cert["reconciliation"]
    doc["certification"] = {
        "at": cert["at"].isoformat(), "by": cert["by"], "software": cert["software"],
        "thresholds": cert["thresholds"],
    }
    pages = ws.store.all_pages()
    sha_of = {p["id"]: p["image_sha256"] for p in pages}
    doc["pages"] = [
        {"sha256": p["image_sha256"], "file": scan_name(p["image_sha256"], p["image_path"]),
         "status": p["status"], "reason": p["reason"], "ballot_page": p["ballot_page"],
         "definite": p["definite"], "marginal": p["marginal"], "source": p["source"],
         "page_index": p["page_index"], "decision": ws.store.page_decision(p["id"])}
        for p in pages
    ]
    doc["decisions"] = [
        {"page_sha256": sha_of[page_id], "candidate": cand, "state": state, "resolution": res}
        for (page_id, cand), (state, res) in sorted(ws.store.review_resolutions().items())
    ]
    doc["key_sha256"] = key_sha256
    return doc


def scan_name(sha256: str, stored_path: str) -> str:
    return f"{SCANS_DIR}/{sha256}{Path(stored_path).suffix.lower()}"


# ---------------------------------------------------------------------------
# CSV and XLSX

def csv_header() -> tuple[str, ...]:
    """The columns of the results' CSV and XLSX, in Vietnamese."""
    return (
        t("stt"), t("name"), t("position"),
        *(t("level_count", level=t(lv)) for lv in LEVELS),
        *(t("level_percent", level=t(lv)) for lv in LEVELS),
        t("invalid"), t("base_total"), t("consequence_code"), t("consequence"),
    )


def _person_row(doc: dict[str, Any], c: dict[str, Any]) -> list[Any]:
    return [
        c["candidate"], c["name"], c["position"],
        *(c["counts"][lv] for lv in LEVELS),
        *(c["percent"][lv] for lv in LEVELS),
        c["counts"]["invalid"], doc["base"], c["consequence"] or "", c["consequence_text"] or "",
    ]


def result_csv(doc: dict[str, Any]) -> bytes:
    """One row per person; UTF-8 with a BOM so that Excel reads the Vietnamese right.

    Percentages are plain numbers with a decimal point (85.23).
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(csv_header())
    for c in doc["candidates"]:
        writer.writerow(_person_row(doc, c))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def result_xlsx(doc: dict[str, Any]) -> bytes:
    """The results sheet (with the figures above the table) and the reconciliation sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    info = doc["campaign_info"]
    wb = Workbook()
    at = dt.datetime.fromisoformat(doc["certification"]["at"])
    wb.properties.creator = "kiemphieu"
    wb.properties.title = f"Kết quả lấy phiếu tín nhiệm - {info['body']}"
    wb.properties.created = wb.properties.modified = at
    ws = wb.active
    ws.title = "Kết quả"
    bold = Font(name="Times New Roman", bold=True, size=12)
    normal = Font(name="Times New Roman", size=12)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    lines = [
        ("KẾT QUẢ LẤY PHIẾU TÍN NHIỆM", bold),
        (info["body"], normal),
        (f"Ngày {dt.date.fromisoformat(info['session_date']):%d/%m/%Y} · {info['rules_title']}", normal),
        (f"Số phiếu phát ra: {doc['ballots']['issued']} · Số phiếu thu về: "
         f"{doc['ballots']['collected']} · Số phiếu hợp lệ: {doc['ballots']['accepted']} · "
         f"Tỷ lệ tính trên {info['base_label']}: {doc['base']}", normal),
    ]
    for i, (text, font) in enumerate(lines, start=1):
        ws.cell(i, 1, text).font = font
    top = len(lines) + 2
    for j, h in enumerate(csv_header(), start=1):
        cell = ws.cell(top, j, h)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        cell.border = box
    for i, c in enumerate(doc["candidates"], start=top + 1):
        for j, v in enumerate(_person_row(doc, c), start=1):
            cell = ws.cell(i, j, v)
            cell.font = normal
            cell.border = box
            cell.alignment = Alignment(wrap_text=j in (2, 3, 13), vertical="center")
            if 7 <= j <= 9 and v is not None:
                cell.number_format = "0.00"
    widths = [6, 24, 34, 10, 10, 10, 10, 10, 10, 10, 10, 16, 60]
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.row_dimensions[top].height = 48
    ws.freeze_panes = ws.cell(top + 1, 3)

    rec = wb.create_sheet("Đối chiếu")
    recon = doc["reconciliation"]
    rows: list[tuple[str, Any]] = [
        ("Số phiếu phát ra (Ban kiểm phiếu đếm)", recon["issued"]),
        ("Số phiếu thu về (Ban kiểm phiếu đếm)", recon["collected"]),
        *((f"Bản quét được chấp nhận, trang {p}", n) for p, n in recon["pages_accepted"].items()),
        ("Khớp", "có" if recon["matches"] else "không"),
        *((m["vi"], None) for m in recon["mismatches"]),
        ("Giải trình", recon["note"]),
        ("Xác nhận lúc (UTC)", doc["certification"]["at"]),
        ("Người xác nhận", doc["certification"]["by"]),
        ("Phần mềm", doc["certification"]["software"]),
    ]
    for i, (k, v) in enumerate(rows, start=1):
        rec.cell(i, 1, k).font = normal
        rec.cell(i, 2, v).font = normal
    rec.column_dimensions["A"].width = 60
    rec.column_dimensions["B"].width = 40
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------
# The package


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def export_package(ws: Workspace, out: Path) -> ExportResult:
    """Write the certified package of ``ws`` into the new or empty folder ``out``.

    Raises `ExportError` if the count is not certified, ``out`` holds files,
    or a stored scan is missing or no longer has the hash it was stored under.
    """
    from pipeline.documents.minutes import minutes_docx, minutes_pdf

    if ws.store.certified_at() is None:
        raise ExportError(f"{ws.path}: the count is not certified; run kiemphieu certify {ws.path} "
                          "first (exported results must be final)")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out}: exists and is not an empty folder; give a new folder with --out")
    key = workspace_key(ws)
    fingerprint = key_fingerprint(key.public_key())
    doc = result_document(ws, fingerprint)
    scans = [(p["sha256"], p["file"]) for p in doc["pages"]]
    for sha, _ in scans:
        record = ws.store.find_page(sha)
        assert record is not None
        src = ws.path / record.image_path
        if not src.is_file():
            raise ExportError(f"{src}: stored scan missing; restore it from a backup before export")
        if sha256_file(src) != sha:
            raise ExportError(f"{src}: stored scan changed since it was read (SHA-256 differs); "
                              "restore the original from a backup before export")

    tmp = out.with_name(f".{out.name}.partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    (tmp / SCANS_DIR).mkdir(parents=True)
    try:
        files: dict[str, bytes | Path] = {
            MINUTES_PDF: minutes_pdf(doc),
            MINUTES_DOCX: minutes_docx(doc),
            RESULT_CSV: result_csv(doc),
            RESULT_XLSX: result_xlsx(doc),
            RESULT_JSON: (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
            CAMPAIGN_FILE: ws.campaign.source_text.encode("utf-8"),
        }
        for name, data in files.items():
            (tmp / name).write_bytes(data)  # type: ignore[arg-type]
        for sha, name in scans:
            record = ws.store.find_page(sha)
            assert record is not None
            shutil.copyfile(ws.path / record.image_path, tmp / name)
        entries = sorted(
            p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        manifest = {
            "format": PACKAGE_FORMAT,
            "campaign": ws.campaign.id,
            "certified_at": doc["certification"]["at"],
            "key": {"algorithm": "Ed25519", "sha256": fingerprint, "file": PUBLIC_KEY},
            "files": [{"path": e, "sha256": sha256_file(tmp / e), "bytes": (tmp / e).stat().st_size}
                      for e in entries],
        }
        manifest_bytes = (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
        (tmp / MANIFEST).write_bytes(manifest_bytes)
        (tmp / SIGNATURE).write_bytes(base64.b64encode(key.sign(manifest_bytes)) + b"\n")
        (tmp / PUBLIC_KEY).write_bytes(public_pem(key))
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ExportResult(out, len(entries) + 3, len(scans), fingerprint)
