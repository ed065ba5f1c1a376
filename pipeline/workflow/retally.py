"""``kiemphieu retally``: read every stored image again and compare with the certified count.

An audit anyone can repeat: from the workspace, or from an exported package
alone (its ``scans/``, ``campaign.yaml`` and ``tally.json``; the package is
verified first). Every stored page image is checked against its SHA-256,
read again (`pipeline.reading.page.read_scan`) with the thresholds recorded for
that page, and the people's review decisions are applied to it by identity
(the page's image hash and the candidate), exactly as the live tally applies
them. The counts go through the same code as ``kiemphieu tally``
(`pipeline.domain.tally.tally_from_counts`), and the result is compared, person by
person and page number by page number, with the tally kept at certification.

A difference means the images, the decisions or the reading software have
changed since the count was certified; each is listed. Before any page is
read again, the certificate is checked (`pipeline.domain.certificate`): in a
workspace, the records must still give the certified digest and the
workspace key must have signed it; a package must verify
(`pipeline.documents.verify`). Given the key's fingerprint and the digest
printed in the minutes, both must be those. Every review item's decision in
force must be what its decision log gives (`log_findings`), so a resolution
written into the records around the log shows even when it was certified. The certification history comes
back with the result, so that a re-certification is reported as such.
"""

from __future__ import annotations

import collections
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omr.decide import MarkRule
from pipeline.documents.ballot_pdf import printed_pages
from pipeline.domain import certificate
from pipeline.domain.campaign import Campaign, parse_campaign, recorded_thresholds
from pipeline.domain.certificate import grouped, parse_hex64
from pipeline.domain.errors import WorkspaceError
from pipeline.domain.layout import BallotLayout, build_layout
from pipeline.domain.reasons import failure
from pipeline.domain.tally import tally_from_counts
from pipeline.domain.wording import Said, has_entry, t
from pipeline.reading.printed import references
from pipeline.reading.workers import read_in_turn
from pipeline.store.certificates import certified_body, history
from pipeline.store.keys import load_key
from pipeline.store.prints import SAME, SAME_SHEET_ITEM
from pipeline.workflow.review import Decision, derive


class RetallyError(WorkspaceError):
    """Nothing to re-count: not certified, or the package does not verify."""


@dataclass(frozen=True)
class AuditPage:
    sha256: str
    label: str  # where the image is, for messages
    load: Callable[[], bytes]
    status: str
    ballot_page: int | None


@dataclass(frozen=True)
class AuditInput:
    campaign: Campaign
    layout: BallotLayout
    thresholds: MarkRule
    pages: tuple[AuditPage, ...]
    decisions: dict[tuple[str, int], tuple[str, str | None]]  # (sha, candidate) -> (state, value)
    page_decisions: dict[str, str]  # sha -> the chair's decision in force: invalid | withdraw
    declared: tuple[int | None, int | None]
    certified: dict[str, Any]  # the certified tally (CONTRACT tally --json)
    # the certification history, oldest first (number, at, by, digest, previous, key_sha256)
    history: tuple[dict[str, Any], ...] = ()
    # what is wrong with the certificate itself, found before any page is read again
    findings: tuple[Said, ...] = ()
    # the committee's figures per ballot form (a campaign of several forms)
    declared_forms: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RetallyResult:
    pages: int
    seconds: float
    # each a catalog sentence (``retally_*``), worded where it is shown; English as text
    differences: tuple[Said, ...]
    tally: dict[str, Any]
    history: tuple[dict[str, Any], ...] = ()

    @property
    def matches(self) -> bool:
        return not self.differences


def from_workspace(ws: Any, trusted_key: str | None = None,
                   digest: str | None = None) -> AuditInput:
    """What the workspace's records say, and what is wrong with its certificate.

    The certified body is built again from the records as they are now
    (`pipeline.store.certificates.certified_body`): a digest that is not the certified
    one means the records changed after certification. ``trusted_key`` and ``digest``
    (as printed in the minutes) are compared with the certificate in force. Raises
    `RetallyError` if the count is not certified, `certificate.CertificateError` if
    ``trusted_key`` or ``digest`` is not 64 hex digits.
    """
    cert = ws.store.certification()
    if cert is None:
        raise RetallyError(key="retally_not_certified", path=str(ws.path))
    pages = ws.store.all_pages()
    sha_of = {p["id"]: p["image_sha256"] for p in pages}
    chain = history(ws.store)
    return AuditInput(
        campaign=ws.campaign, layout=ws.layout,
        thresholds=recorded_thresholds(cert["thresholds"]),
        pages=tuple(
            AuditPage(p["image_sha256"], str(ws.path / p["image_path"]),
                      _reader(ws.path / p["image_path"]), p["status"], p["ballot_page"])
            for p in pages),
        decisions={(sha_of[pid], cand): v for (pid, cand), v in ws.store.review_resolutions().items()},
        page_decisions={p["image_sha256"]: d for p in pages
                        if (d := ws.store.page_decision(p["id"])) is not None},
        declared=ws.store.declared(),
        declared_forms=ws.store.declared_forms(),
        certified=cert["tally"],
        history=tuple(chain),
        findings=tuple(_workspace_findings(ws, cert, chain, trusted_key, digest)),
    )


def _workspace_findings(ws: Any, cert: dict[str, Any], chain: list[dict[str, Any]],
                        trusted_key: str | None, printed: str | None) -> list[Said]:
    trusted = parse_hex64(trusted_key, "--key") if trusted_key is not None else None
    printed = parse_hex64(printed, "--digest") if printed is not None else None
    if not chain:
        return [Said("retally_no_certificate")]
    entry = chain[-1]
    found = [Said("retally_history", detail=line) for line in certificate.chain_problems(chain)]
    body = certified_body(ws, cert, entry)
    found += log_findings(body, ws.campaign.review.two_reviewers)
    now = certificate.digest(body)
    if now != entry["digest"] or cert["at"].isoformat() != entry["at"]:
        found.append(Said("retally_records_changed", number=entry["number"],
                          digest=entry["digest"][:16], now=now[:16]))
    try:
        key = load_key(ws.path)
    except WorkspaceError as exc:
        found.append(Said("retally_signature_unchecked", problem=exc))  # worded as it is shown
    else:
        if not certificate.signature_holds(key.public_key(), entry["digest"], entry["signature"]):
            found.append(Said("retally_not_signed", number=entry["number"]))
    if trusted is not None and entry["key_sha256"] != trusted:
        found.append(Said("retally_other_key", number=entry["number"],
                          key=grouped(entry["key_sha256"], 8), printed=grouped(trusted, 8)))
    if printed is not None and entry["digest"] != printed:
        found.append(Said("retally_other_digest", number=entry["number"],
                          digest=grouped(entry["digest"], 8), printed=grouped(printed, 8)))
    return found


def log_findings(body: dict[str, Any], two_reviewers: bool) -> list[Said]:
    """Where the decisions in force are not what their logs say: a review item whose state
    or resolution is not what its decision log gives (`pipeline.workflow.review.derive`),
    a declaration in force that is not the last one declared. Such a record was written
    around kiemphieu, which derives each from its log in the same transaction."""
    logs: dict[int, list[Decision]] = collections.defaultdict(list)
    for d in body["review_decisions"]:
        logs[d["item"]].append(Decision(d["id"], d["item"], d["reviewer"], d["role"], None,
                                        d["machine"], d["value"], d["reason"], d["replaces"]))
    found = []
    for item in body["review_items"]:
        state, resolution = derive(logs[item["item"]], two_reviewers)
        if (state, resolution) != (item["state"], item["resolution"]):
            found.append(Said(
                "retally_item_not_logged", item=item["item"], page=item["page"],
                candidate=item["candidate"], state=_Code("state_", item["state"]),
                resolution=_Code("", item["resolution"]), logged_state=_Code("state_", state),
                logged_resolution=_Code("", resolution)))
    declarations = body["declarations"]
    if declarations and body["declaration"] != declarations[-1]:
        found.append(Said("retally_declaration_not_logged"))
    return found


def from_package(package: Path, trusted_key: str | None = None,
                 digest: str | None = None) -> AuditInput:
    """What a package's certificate says (`pipeline.documents.verify` first: a package that
    does not verify, against ``trusted_key`` and ``digest`` when given, is refused with
    `RetallyError`)."""
    from pipeline.documents.export import CAMPAIGN_FILE, CERTIFICATE_FILE
    from pipeline.documents.verify import ProblemsInWords, verify_package

    check = verify_package(package, trusted_key, digest)
    if not check.ok:
        raise RetallyError(key="retally_not_verified", package=str(package),
                           problems=ProblemsInWords(check.problems))
    body = json.loads((package / CERTIFICATE_FILE).read_text("utf-8"))["body"]
    campaign = parse_campaign((package / CAMPAIGN_FILE).read_text("utf-8"),
                              str(package / CAMPAIGN_FILE))
    log = body["page_decisions"]
    declared = body["declaration"] or {}
    return AuditInput(
        campaign=campaign, layout=build_layout(campaign),
        thresholds=recorded_thresholds(body["thresholds"]),
        pages=tuple(
            AuditPage(p["sha256"], str(package / p["file"]), _reader(package / p["file"]),
                      p["status"], p["ballot_page"])
            for p in body["pages"]),
        decisions={(i["page_sha256"], i["candidate"]): (i["state"], i["resolution"])
                   for i in body["review_items"]},
        page_decisions={p["sha256"]: d for p in body["pages"]
                        if (d := certificate.page_decision_in_force(log, p["sha256"]))},
        declared=(declared.get("issued"), declared.get("collected")),
        declared_forms=declared.get("forms") or {},
        certified=body["tally"],
        history=check.history,
        findings=tuple(log_findings(body, campaign.review.two_reviewers)),
    )


def _reader(path: Path) -> Callable[[], bytes]:
    return lambda: path.read_bytes()


def retally(audit: AuditInput, on_page: Callable[[int, int], None] = lambda i, n: None
            ) -> RetallyResult:
    """Re-read every page of ``audit`` and compare the count with the certified one."""
    start = time.monotonic()
    differences: list[Said] = []
    status: collections.Counter[tuple[str, int | None]] = collections.Counter()
    outcomes: collections.Counter[tuple[int, str, str | None]] = collections.Counter()
    invalid: collections.Counter[int] = collections.Counter()
    n = len(audit.pages)
    for i, (page, reading) in enumerate(_readings(audit, differences)):
        on_page(i + 1, n)
        if reading is None:
            continue
        if (reading.status, reading.ballot_page) != (page.status, page.ballot_page):
            differences.append(Said(
                "retally_page_read_otherwise", page=page.label,
                status=_Code("status_", reading.status),
                ballot_page=_plain(reading.ballot_page), stored=_Code("status_", page.status),
                stored_page=_plain(page.ballot_page)))
        state = reading.status
        page_item = audit.decisions.get((page.sha256, 0))
        if page_item and page_item[0] == "resolved" and page_item[1] in ("accepted", "rejected"):
            state = page_item[1]
        chair = audit.page_decisions.get(page.sha256)
        twin = audit.decisions.get((page.sha256, SAME_SHEET_ITEM))  # the same sheet as another?
        if chair == "withdraw" or (twin is not None and twin[1] == SAME):
            state = "withdrawn"
        status[(state, page.ballot_page)] += 1
        if state != "accepted":
            continue
        if chair == "invalid":
            invalid[page.ballot_page] += 1
        for row in reading.rows:
            if chair == "invalid":
                outcomes[(row.candidate, "invalid", None)] += 1
                continue
            outcome, level = row.outcome, row.level
            if outcome == "review":
                item = audit.decisions.get((page.sha256, row.candidate))
                if item and item[0] == "resolved":
                    outcome, level = ("invalid", None) if item[1] == "invalid" else ("vote", item[1])
            outcomes[(row.candidate, outcome, level)] += 1
    cert = audit.certified
    tally = tally_from_counts(
        audit.campaign, dict(status), dict(outcomes), audit.declared, invalid=dict(invalid),
        duplicate=cert["ballots"].get("duplicate", 0), certified=True,
        declared_forms=audit.declared_forms, layout=audit.layout,
    ).to_json()
    differences += compare(cert, tally)
    return RetallyResult(n, time.monotonic() - start, (*audit.findings, *differences), tally,
                         audit.history)


def _readings(audit: AuditInput, differences: list[str]) -> Iterator[tuple[AuditPage, Any]]:
    """Each stored page with its reading again (`pipeline.reading.workers.read_in_turn`: two pages
    read at once, on two threads), or None if its image cannot be read or is not the
    one stored (said in ``differences``, in page order)."""
    def loaded() -> Iterator[tuple[tuple[AuditPage, Said | None], bytes | None, MarkRule]]:
        for page in audit.pages:
            try:
                data = page.load()
            except OSError as exc:
                yield (page, Said("retally_image_unreadable", page=page.label,
                                  cause=failure(exc))), \
                    None, audit.thresholds
                continue
            if hashlib.sha256(data).hexdigest() != page.sha256:
                yield (page, Said("retally_image_changed", page=page.label)), \
                    None, audit.thresholds
                continue
            yield (page, None), data, audit.thresholds

    references(audit.layout, render=printed_pages)  # notes are looked for as at the scan
    for (page, problem), reading in read_in_turn(loaded(), audit.layout):
        if problem is not None:
            differences.append(problem)
        yield page, reading


def compare(certified: dict[str, Any], fresh: dict[str, Any]) -> list[Said]:
    """Every difference between two tallies (CONTRACT form), each a catalog sentence."""
    out = []
    for key in ("accepted", "collected", "invalid_ballots", "withdrawn"):
        if key in certified["ballots"] and certified["ballots"][key] != fresh["ballots"][key]:
            out.append(Said("retally_ballots_differ", field=Said(f"retally_field_{key}"),
                            certified=_plain(certified["ballots"][key]),
                            recounted=_plain(fresh["ballots"][key])))
    c_pages = certified["ballots"].get("pages_accepted")
    if c_pages is not None and c_pages != fresh["ballots"]["pages_accepted"]:
        out.append(Said("retally_copies_differ", certified=_plain(c_pages),
                        recounted=_plain(fresh["ballots"]["pages_accepted"])))
    if certified["base"] != fresh["base"]:
        out.append(Said("retally_base_differs", certified=_plain(certified["base"]),
                        recounted=_plain(fresh["base"])))
    fresh_by = {c["candidate"]: c for c in fresh["candidates"]}
    for c in certified["candidates"]:
        f = fresh_by.get(c["candidate"])
        if f is None:
            out.append(Said("retally_person_missing", stt=c["candidate"], name=c["name"]))
            continue
        for key in ("counts", "pending", "percent", "consequence"):
            if c.get(key) != f.get(key):
                out.append(Said("retally_person_differs", stt=c["candidate"], name=c["name"],
                                field=Said(f"retally_field_{key}"), certified=_plain(c.get(key)),
                                recounted=_plain(f.get(key))))
    return out


def _plain(value: Any) -> _Values:
    """A recorded value as a difference shows it (`_Values`)."""
    return _Values(value)


class _Values:
    """A recorded value in a difference: text as it is; a number with the language's decimal
    mark; figures by key (votes by level, copies by ballot page) as "key: figure", each key in
    the words of its catalog entry when it has one (``high`` is "Tín nhiệm cao")."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def in_words(self, lang: str) -> str:
        return self._one(self.value, lang)

    def _one(self, value: Any, lang: str) -> str:
        if value is None:
            return "-"
        if isinstance(value, dict):
            return "(" + ", ".join(f"{self._key(k, lang)}: {self._one(v, lang)}"
                                   for k, v in sorted(value.items())) + ")"
        if isinstance(value, (list, tuple)):
            return ", ".join(self._one(v, lang) for v in value)
        if isinstance(value, float):
            text = f"{value:g}"
            return text.replace(".", ",") if lang == "vi" else text
        if isinstance(value, str) and lang != "en" and has_entry(value, lang):
            return t(value, lang)
        return str(value)

    @staticmethod
    def _key(key: Any, lang: str) -> str:
        key = str(key)
        if key.isdigit():  # a ballot page
            return t("retally_ballot_page", lang, page=key)
        return t(key, lang) if lang != "en" and has_entry(key, lang) else key

    def __str__(self) -> str:
        return self.in_words(lang="en")


class _Code:
    """A recorded code (a page's status, a review item's state or value) in a difference: the
    code itself in English, as the audit record writes it; in another language the words of
    its catalog entry ``<prefix><code>`` (the code itself if there is none)."""

    def __init__(self, prefix: str, code: str | None) -> None:
        self.prefix, self.code = prefix, code

    def in_words(self, lang: str) -> str:
        if self.code is None:
            return "-"
        if lang == "en" or not has_entry(self.prefix + self.code, lang):
            return self.code
        return t(self.prefix + self.code, lang).lower()

    def __str__(self) -> str:
        return self.in_words(lang="en")
