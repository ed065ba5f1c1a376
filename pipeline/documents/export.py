"""``kiemphieu export``: the certified package, hashed and signed.

::

    DIR/
      bien-ban-kiem-phieu.pdf    the minutes (pipeline.documents.minutes)
      bien-ban-kiem-phieu.docx   the same minutes for Word
      ket-qua.csv                one row per person, UTF-8 with BOM (opens in Excel)
      ket-qua.xlsx               the same, with the figures and the reconciliation
      tally.json                 CONTRACT's `tally --json`, certified, and more (below)
      certificate.json           the certified record, the decision log, the history (below)
      campaign.yaml              the campaign file as given
      scans/<sha256>.<ext>       every stored page image, named by its SHA-256
      manifest.json              SHA-256 and size of every file above
      manifest.sig               Ed25519 signature of manifest.json's exact bytes (base64)
      public-key.pem             the workspace's public key

``certificate.json`` is ``{"format": "kiemphieu-certificate/1", "digest",
"signature", "body", "history"}``: ``body`` is the whole certified record
(`pipeline.store.certificates.certified_body`: the tally, reconciliation and
thresholds as certified, every stored page with what the machine read on each
row, every review item, the decision logs in full: review decisions, the
chair's page decisions, declarations, each with who, when and why), ``digest``
its SHA-256 (`pipeline.domain.certificate`), ``signature`` the workspace
key's signature of it, and ``history`` every certification of the count,
oldest first, each naming the digest of the one before. The minutes print the
digest and the key's fingerprint in full.

``tally.json`` adds to the contract's fields: ``campaign_info`` (title,
body, date, rules and their wording), ``declared`` (the committee's count,
members, head, note), ``reconciliation``, ``certification`` (when, by whom,
software, thresholds, the certificate's number, digest and the digest before
it), per person ``born``, ``ballot_page`` and ``consequence_text``, every
stored page (``pages``: id, hash, file, status, ballot page, thresholds, the
chair's decision in force) and every review item's decision in force
(``decisions``, by page hash and candidate), and ``key_sha256``. All but the
words are what `package_records` makes of the certificate and the campaign
file, which `pipeline.documents.verify` checks; with these,
`pipeline.workflow.retally` can re-count the package without the workspace.

Export builds the certified record again from the workspace's records and
refuses if its digest is not the certified one: records changed after
certification never reach a package. The signing key is the workspace's
(`pipeline.store.keys`, made by ``kiemphieu new``); export never makes one,
and refuses a key that is not the one that signed the certificate.
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

from pipeline.documents.cells import csv_cell, xlsx_cell
from pipeline.domain import certificate
from pipeline.domain.campaign import Campaign
from pipeline.domain.errors import WorkspaceError
from pipeline.domain.layout import BallotLayout
from pipeline.domain.rules import LEVELS
from pipeline.domain.wording import t
from pipeline.store.certificates import SCANS_DIR, certified_body, history
from pipeline.store.keys import load_key, public_pem
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
CERTIFICATE_FILE = "certificate.json"


class ExportError(WorkspaceError):
    """The package cannot be written."""


@dataclass(frozen=True)
class ExportResult:
    out: Path
    files: int
    scans: int
    key_sha256: str
    digest: str
    number: int  # the certificate's number in the history: 2 and on are re-certifications


# ---------------------------------------------------------------------------
# The result document (tally.json)


def package_records(body: dict[str, Any], campaign: Campaign, layout: BallotLayout
                    ) -> dict[str, Any]:
    """The fields of ``tally.json`` that the certified body and the campaign file decide.

    Everything in ``tally.json`` but words the software adds (the rule set's titles,
    ``consequence_text``): `pipeline.documents.verify` builds these again from a
    package's ``certificate.json`` and ``campaign.yaml`` and refuses a ``tally.json``
    that says otherwise. Within ``candidates`` and ``campaign_info`` only the keys given
    here are decided.
    """
    doc: dict[str, Any] = json.loads(json.dumps(body["tally"]))
    by_stt = {c.stt: c for c in campaign.candidates}
    page_of = {c.stt: p.template.page for p in layout.pages for c in p.candidates}
    doc["candidates"] = [
        {**c, "born": by_stt[c["candidate"]].born, "ballot_page": page_of[c["candidate"]]}
        for c in doc["candidates"]
    ]
    doc["campaign_info"] = {
        "id": campaign.id, "title": campaign.title, "subtitle": campaign.subtitle,
        "body": campaign.body, "place": campaign.place,
        "session_date": campaign.session_date.isoformat(), "rules": campaign.rules.name,
        "electorate": campaign.electorate, "page_count": layout.page_count,
        "layout_fingerprint": layout.fingerprint,
    }
    doc["declared"] = body["declaration"]
    doc["reconciliation"] = body["reconciliation"]
    doc["certification"] = {
        "at": body["at"], "by": body["by"], "software": body["software"],
        "thresholds": body["thresholds"], "number": body["number"], "previous": body["previous"],
    }
    log = body["page_decisions"]
    doc["pages"] = [
        {"page": p["page"], "sha256": p["sha256"], "file": p["file"], "status": p["status"],
         "reason": p["reason"], "ballot_page": p["ballot_page"], "definite": p["definite"],
         "marginal": p["marginal"], "source": p["source"], "page_index": p["page_index"],
         "decision": certificate.page_decision_in_force(log, p["sha256"])}
        for p in body["pages"]
    ]
    doc["decisions"] = [
        {"page_sha256": i["page_sha256"], "candidate": i["candidate"], "state": i["state"],
         "resolution": i["resolution"]}
        for i in body["review_items"]
    ]
    doc["key_sha256"] = body["key_sha256"]
    return doc


def result_document(body: dict[str, Any], digest: str, campaign: Campaign,
                    layout: BallotLayout) -> dict[str, Any]:
    """The certified tally and everything the minutes, an auditor and the office above need:
    `package_records` and the words of the rule set, and the certificate's ``digest``."""
    rules = campaign.rules
    doc = package_records(body, campaign, layout)
    words = rules.follow_up if campaign.follow_up else rules.consequences
    for c in doc["candidates"]:
        c["consequence_text"] = words.get(c["consequence"]) if c["consequence"] else None
    doc["campaign_info"].update({
        "rules_title": rules.title, "rules_document": rules.document,
        "base_label": t("base_electorate") if campaign.follow_up else rules.base_label,
        "base_article": rules.follow_up_article if campaign.follow_up else rules.base_article})
    doc["certification"]["digest"] = digest
    return doc


# ---------------------------------------------------------------------------
# CSV and XLSX

def csv_header(levels: tuple[str, ...] = LEVELS) -> tuple[str, ...]:
    """The columns of the results' CSV and XLSX, in Vietnamese."""
    return (
        t("stt"), t("name"), t("position"),
        *(t("level_count", level=t(lv)) for lv in levels),
        *(t("level_percent", level=t(lv)) for lv in levels),
        t("invalid"), t("base_total"), t("consequence_code"), t("consequence"),
    )


def _person_row(doc: dict[str, Any], c: dict[str, Any]) -> list[Any]:
    return [
        c["candidate"], c["name"], c["position"],
        *(c["counts"][lv] for lv in doc.get("levels", LEVELS)),
        *(c["percent"][lv] for lv in doc.get("levels", LEVELS)),
        c["counts"]["invalid"], c.get("base", doc["base"]), c["consequence"] or "",
        c["consequence_text"] or "",
    ]


def result_csv(doc: dict[str, Any]) -> bytes:
    """One row per person; UTF-8 with a BOM so that Excel reads the Vietnamese right.

    Percentages are plain numbers with a decimal point (85.23).
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(csv_header(tuple(doc.get("levels", LEVELS))))
    for c in doc["candidates"]:
        writer.writerow([csv_cell(v) for v in _person_row(doc, c)])
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
        xlsx_cell(ws, i, 1, text).font = font
    top = len(lines) + 2
    for j, h in enumerate(csv_header(tuple(doc.get("levels", LEVELS))), start=1):
        cell = ws.cell(top, j, h)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        cell.border = box
    for i, c in enumerate(doc["candidates"], start=top + 1):
        for j, v in enumerate(_person_row(doc, c), start=1):
            cell = xlsx_cell(ws, i, j, v)
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
        xlsx_cell(rec, i, 1, k).font = normal
        xlsx_cell(rec, i, 2, v).font = normal
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


def certified_records(ws: Workspace) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The certified body, rebuilt from the workspace's records now, and the certification
    history; checked against the certificate in force.

    Raises `ExportError` if the count is not certified, was certified without a certificate
    (by a kiemphieu before certificates), or if the records are no longer those certified
    (the rebuilt body's digest is not the certified digest).
    """
    cert = ws.store.certification()
    if ws.store.certified_at() is None or cert is None:
        raise ExportError(f"{ws.path}: the count is not certified; run kiemphieu certify {ws.path} "
                          "first (exported results must be final)")
    chain = history(ws.store)
    if not chain:
        raise ExportError(
            f"{ws.path}: the count was certified without a certificate (by a kiemphieu before "
            "certificates were made), so no package can be checked against its minutes; "
            "count it again in a new workspace with this version")
    entry = chain[-1]
    body = certified_body(ws, cert, entry)
    now = certificate.digest(body)
    if now != entry["digest"] or body["at"] != entry["at"] or body["by"] != entry["by"]:
        raise ExportError(
            f"{ws.path}: the records are no longer those certified: certificate no. "
            f"{entry['number']} has digest {entry['digest'][:16]}…, the records give {now[:16]}…. "
            f"Someone changed them after certification; nothing is exported. Find what changed "
            f"with kiemphieu retally {ws.path}, and restore the workspace from a backup")
    return body, chain


def export_package(ws: Workspace, out: Path) -> ExportResult:
    """Write the certified package of ``ws`` into the new or empty folder ``out``.

    Raises `ExportError` if the count is not certified, the records are no longer those
    certified (`certified_records`), ``out`` holds files, or a stored scan is missing or
    no longer has the hash it was stored under; `WorkspaceKeyError` if the workspace key
    is missing or another (never a new key: the minutes already name the certified one).
    """
    from pipeline.documents.minutes import minutes_docx, minutes_pdf

    if ws.store.certified_at() is None:
        raise ExportError(f"{ws.path}: the count is not certified; run kiemphieu certify {ws.path} "
                          "first (exported results must be final)")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out}: exists and is not an empty folder; give a new folder with --out")
    body, chain = certified_records(ws)
    entry = chain[-1]
    key = load_key(ws.path, signed=entry["key_sha256"])
    fingerprint = entry["key_sha256"]
    doc = result_document(body, entry["digest"], ws.campaign, ws.layout)
    certificate_doc = {"format": certificate.FORMAT, "digest": entry["digest"],
                       "signature": entry["signature"], "body": body, "history": chain}
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
            RESULT_JSON: _json_bytes(doc),
            CERTIFICATE_FILE: _json_bytes(certificate_doc),
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
        manifest_bytes = _json_bytes(manifest)
        (tmp / MANIFEST).write_bytes(manifest_bytes)
        (tmp / SIGNATURE).write_bytes(base64.b64encode(key.sign(manifest_bytes)) + b"\n")
        (tmp / PUBLIC_KEY).write_bytes(public_pem(key))
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ExportResult(out, len(entries) + 3, len(scans), fingerprint, entry["digest"],
                        entry["number"])


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
