"""``kiemphieu export``: the certified package, hashed and signed.

::

    DIR/
      bien-ban-kiem-phieu.pdf    the minutes (pipeline.documents.minutes)
      bien-ban-kiem-phieu.docx   the same minutes for Word
      du-thao-nghi-quyet.pdf     a council's campaign (nq96-2023, nq85-2014): the draft
      du-thao-nghi-quyet.docx      resolution confirming the results (documents.resolution)
      bao-cao-ket-qua.pdf        a Party campaign (qd96-2023), instead: the report of the
      bao-cao-ket-qua.docx         results to the standing committee
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
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.documents.minutes import minutes_docx, minutes_pdf
from pipeline.documents.resolution import follow_up_documents
from pipeline.documents.spreadsheets import result_csv, result_xlsx
from pipeline.domain import certificate
from pipeline.domain.campaign import Campaign
from pipeline.domain.errors import WorkspaceError
from pipeline.domain.layout import BallotLayout
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
    if campaign.parent_body:  # only when given: a package made without it reads as before
        doc["campaign_info"]["parent_body"] = campaign.parent_body
    if campaign.report_to:  # as parent_body
        doc["campaign_info"]["report_to"] = campaign.report_to
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
    # the chair's reasons for the whole sheets declared invalid, in words (the log is in
    # certificate.json)
    reasons = {line["page_sha256"]: line.get("reason") for line in body["page_decisions"]}
    doc["invalid_ballot_reasons"] = sorted({
        reasons.get(p["sha256"]) or "" for p in doc["pages"] if p["decision"] == "invalid"} - {""})
    return doc




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
            **follow_up_documents(doc),
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
