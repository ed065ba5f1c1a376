"""The committee's declaration, its reconciliation with the scans, and certification.

The counting committee (*Ban kiểm phiếu*) counts by hand how many ballots it
handed out (*số phiếu phát ra*) and collected (*số phiếu thu về*), and says
who its members and its head are (`declare`). The software then reconciles
that hand count with what was scanned (`reconcile`): for every page of the
ballot, the accepted copies must equal the ballots collected. Any mismatch
blocks certification until the committee explains it in a recorded note.

`certify` locks the campaign once nothing is pending: no open review item,
no row awaiting a person. The certified tally, the thresholds in force and
the reconciliation are kept with the lock, so that `pipeline.workflow.retally` can
later compare a fresh reading of every stored image with exactly what was
certified. After certification the store refuses new scans, decisions and
declarations (`store.CertifiedError`).

Certification also makes the certificate (`pipeline.domain.certificate`): the
SHA-256 of the whole certified record, the decision logs included, signed with
the workspace key and appended to the certification history. The minutes
print it, so any later change to the records, or a certification made again,
no longer matches the paper the committee signed.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from pipeline.domain import certificate
from pipeline.domain.committee import Declaration, Mismatch, Person, Reconciliation
from pipeline.domain.errors import WorkspaceError
from pipeline.domain.rules import quorum_warning
from pipeline.domain.tally import Tally
from pipeline.store.certificates import certified_body, history
from pipeline.store.keys import key_fingerprint, key_path, load_key, make_key
from pipeline.store.store import CertifiedError
from pipeline.store.workspace import Workspace


class DeclarationError(WorkspaceError):
    """The declared figures or committee are not usable as given."""


class CertifyRefused(WorkspaceError):
    """Certification is not possible yet; the message says what is left to do, and
    ``blockers`` lists each thing (`Blocker`)."""

    def __init__(self, message: str, blockers: tuple[Blocker, ...] = ()) -> None:
        super().__init__(message)
        self.blockers = blockers


def _clean(text: str | None, what: str) -> str | None:
    if text is None:
        return None
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cn", "Cs") for ch in text):
        raise DeclarationError(key="declare_invisible", what=what)
    return text or None


def parse_member(text: str) -> Person:
    """``"Nguyễn Văn A|Thành viên"`` (role optional, default *Thành viên*)."""
    name, _, role = text.partition("|")
    clean_name = _clean(name, f"--member {text!r}")
    if not clean_name:
        raise DeclarationError(key="declare_member_no_name", member=text)
    return Person(clean_name, _clean(role, f"--member {text!r}") or "Thành viên")


def declare(
    ws: Workspace,
    *,
    issued: int | None = None,
    collected: int | None = None,
    head: str | None = None,
    members: Sequence[str] | None = None,
    note: str | None = None,
    form: str | None = None,
) -> Declaration:
    """Record the committee's figures; what is not given keeps its earlier value.

    ``form``: ``issued`` and ``collected`` are that ballot form's (a campaign with
    ``forms:`` counts each form as a ballot of its own).

    Raises `DeclarationError` for a negative count or a form the campaign does not
    have, `store.CertifiedError` once the count is certified.
    """
    for label, value in (("--issued", issued), ("--collected", collected)):
        if value is not None and value < 0:
            raise DeclarationError(key="declare_negative", option=label, value=value)
    before = ws.declaration()
    forms = ws.store.declared_forms()
    if form is not None:
        known = [f.id for f in ws.campaign.forms]
        if form not in known:
            raise DeclarationError(key="declare_form_unknown" if known else "declare_form_one",
                                   form=form, campaign=ws.campaign.id, known=", ".join(known))
        was = forms.get(form, {})
        forms[form] = {"issued": issued if issued is not None else was.get("issued"),
                       "collected": collected if collected is not None else was.get("collected")}
        issued = collected = None  # the campaign-wide figures keep their values
    new_members = tuple(parse_member(m) for m in members) if members is not None else None
    values = {
        "forms": forms or None,
        "issued": issued if issued is not None else (before.issued if before else None),
        "collected": collected if collected is not None else (before.collected if before else None),
        "head": _clean(head, "--head") if head is not None else (before.head if before else None),
        "members": [{"name": m.name, "role": m.role}
                    for m in (new_members if new_members is not None
                              else (before.members if before else ()))],
        "note": _clean(note, "--note") if note is not None else (before.note if before else None),
    }
    try:
        ws.store.save_declaration(values)
    except CertifiedError as exc:
        raise _locked(ws, exc) from None
    declared = ws.declaration()
    assert declared is not None
    return declared


def reconcile(ws: Workspace, tally: Tally | None = None) -> Reconciliation:
    """Compare the declared hand count with the scans, page number by page number."""
    tally = tally or ws.tally()
    decl = ws.declaration()
    issued = decl.issued if decl else None
    collected = decl.collected if decl else None
    if ws.campaign.forms:  # without campaign-wide figures, the most any form's were
        issued = issued if issued is not None else tally.issued
        collected = collected if collected is not None else tally.collected
    pages = ws.layout.page_count
    status = ws.store.status_counts()
    accepted = {p: n for (s, p), n in status.items() if s == "accepted" and p is not None}
    unplaced = sum(n for (s, p), n in status.items() if s == "accepted" and p is None)
    found: list[Mismatch] = []
    for p, declared, where, en_where in _declared_by_page(ws, collected):
        n = accepted.get(p, 0)
        if n != declared:
            found.append(Mismatch(
                "page_count",
                f"Số bản{where} được quét và chấp nhận là {n}, khác số phiếu thu về "
                f"Ban kiểm phiếu đã đếm ({declared}).",
                f"{n} accepted scan(s){en_where}, but the committee declared {declared} "
                f"ballot(s) collected",
                page=p, declared=declared, scanned=n,
            ))
    if collected is not None:
        if issued is not None and collected > issued:
            found.append(Mismatch(
                "collected_over_issued",
                f"Số phiếu thu về ({collected}) lớn hơn số phiếu phát ra ({issued}).",
                f"more ballots collected ({collected}) than issued ({issued})",
                declared=collected, scanned=issued,
            ))
    if issued is not None and issued > ws.campaign.electorate:
        found.append(Mismatch(
            "issued_over_electorate",
            f"Số phiếu phát ra ({issued}) lớn hơn số người được triệu tập "
            f"({ws.campaign.electorate}).",
            f"more ballots issued ({issued}) than people convened ({ws.campaign.electorate})",
            declared=issued, scanned=ws.campaign.electorate,
        ))
    if unplaced:
        found.append(Mismatch(
            "unplaced_pages",
            f"Có {unplaced} trang được chấp nhận nhưng không xác định được là trang nào của phiếu.",
            f"{unplaced} accepted page(s) whose ballot page is unknown (code unreadable)",
            scanned=unplaced,
        ))
    return Reconciliation(
        issued=issued, collected=collected, pages_accepted=accepted, page_count=pages,
        mismatches=tuple(found), note=decl.note if decl else None,
        quorum_warning=quorum_warning(tally.collected, ws.campaign.electorate,
                                      ws.campaign.rules.name),
    )


def _declared_by_page(ws: Workspace, collected: int | None
                      ) -> list[tuple[int, int, str, str]]:
    """(page, ballots collected as declared, where in Vietnamese, where in English) for every
    page the committee's count covers: the campaign's figure for a ballot of one form, each
    form's own figure for a campaign of several."""
    out = []
    declared_forms = ws.store.declared_forms()
    for f in ws.layout.forms:
        n = collected if f.id is None else (declared_forms.get(f.id) or {}).get("collected")
        if n is None:
            continue
        for p in f.pages():
            local = p - f.first_page + 1
            if f.id is None:
                where, en = ((f" trang {p}", f" of page {p}") if f.page_count > 1 else ("", ""))
            else:
                where = f" mẫu phiếu {f.id}" + (f" trang {local}" if f.page_count > 1 else "")
                en = f" of form {f.id}" + (f" page {local}" if f.page_count > 1 else "")
            out.append((p, n, where, en))
    return out


def _locked(ws: Workspace, exc: CertifiedError) -> WorkspaceError:
    return WorkspaceError(key="ws_locked_export", path=str(ws.path), at=exc.at)


def software_version() -> str:
    try:
        return f"kiemphieu {metadata.version('kiemphieu')}"
    except metadata.PackageNotFoundError:
        return "kiemphieu (unpackaged)"


@dataclass(frozen=True)
class Blocker:
    """One reason the count cannot be certified yet, and where it is resolved.

    ``kind``: ``not_declared``, ``open_items``, ``pending_rows``, ``mismatch``,
    ``votes_over_collected``, ``copies_over_collected`` or ``no_certifier``;
    ``en`` and ``vi`` say it with what to do; ``where`` is the web station's page
    that resolves it.
    """

    kind: str
    en: str
    vi: str
    where: str


def blockers(ws: Workspace, by: str | None = None, tally: Tally | None = None) -> list[Blocker]:
    """Everything that stands between the count and its certification, all at once.

    A count is impossible, whatever the committee's note, when a person has more counted
    rows than ballots were collected, or a ballot page has more accepted copies than
    ballots were collected: pages are counted twice (a sheet rescanned, a photocopy) and
    must be withdrawn, or the declaration is wrong.
    """
    found: list[Blocker] = []
    d = ws.declaration()
    tally = tally or ws.tally()
    several = bool(ws.campaign.forms)  # each form declared on its own is enough
    if d is None or (not several and (d.issued is None or d.collected is None)):
        found.append(Blocker(
            "not_declared",
            f"the committee has not declared its own count yet; run kiemphieu declare {ws.path} "
            "--issued N --collected N --head NAME --member \"NAME|ROLE\" ...",
            "Ban kiểm phiếu chưa khai báo số phiếu phát ra và thu về theo kiểm đếm của mình.",
            "/chair#declare"))
    figures = ws.store.declared_forms()
    missing = [f.id for f in ws.campaign.forms
               if None in ((figures.get(f.id) or {}).get(k) for k in ("issued", "collected"))]
    if missing:
        found.append(Blocker(
            "not_declared",
            f"each ballot form is counted on its own: declare the ballots issued and collected "
            f"of form(s) {', '.join(missing)} (kiemphieu declare {ws.path} --form ID --issued N "
            "--collected N)",
            "Ban kiểm phiếu chưa khai báo số phiếu phát ra và thu về của mẫu phiếu "
            f"{', '.join(missing)}.", "/chair#declare"))
    open_items = ws.store.open_review_items()
    if open_items:
        found.append(Blocker(
            "open_items", f"{open_items} review item(s) open; resolve them first "
            f"(kiemphieu review {ws.path})",
            f"Còn {open_items} mục chờ xem xét.", "/queue"))
    if tally.pending_review:
        found.append(Blocker(
            "pending_rows", f"{tally.pending_review} row(s) pending a person's decision "
            f"(kiemphieu review {ws.path})",
            f"Còn {tally.pending_review} dòng chờ quyết định.", "/queue"))
    if d is not None and (d.collected is not None or several):
        of_form = {f.id: f.collected for f in tally.forms if f.id is not None}
        for c in tally.candidates:
            counted = sum(c.counts.values())
            collected = of_form.get(c.form, d.collected)  # a form's own, with several
            if counted > collected:
                found.append(Blocker(
                    "votes_over_collected",
                    f"STT {c.candidate} {c.name} has {counted} counted rows but only {collected} "
                    f"ballots were collected: some sheets are counted twice; withdraw the extra "
                    f"pages (kiemphieu page {ws.path} PAGE withdraw --reason TEXT --as NAME) or "
                    "correct the declared figures",
                    f"{c.name} có {counted} phiếu được tính nhưng chỉ thu về {collected} phiếu: "
                    "có tờ phiếu bị tính hai lần; cần rút các trang thừa hoặc khai báo lại.",
                    "/pages"))
        for page, n in sorted(tally.pages_accepted.items()):
            collected = of_form.get(ws.layout.form_of(page).id if page <= ws.layout.page_count
                                    else None, d.collected)
            if n > collected:
                where = f" of ballot page {page}" if ws.layout.page_count > 1 else ""
                found.append(Blocker(
                    "copies_over_collected",
                    f"{n} accepted copies{where} but only {collected} ballots were collected: "
                    f"withdraw the extra pages (kiemphieu page {ws.path} PAGE withdraw --reason "
                    "TEXT --as NAME) or correct the declared figures",
                    f"Có {n} bản trang {page} được chấp nhận nhưng chỉ thu về {collected} phiếu: "
                    "cần rút các trang thừa hoặc khai báo lại.", "/pages"))
        recon = reconcile(ws, tally)
        if recon.blocks:
            lines = "; ".join(m.en for m in recon.mismatches)
            found.append(Blocker(
                "mismatch",
                f"the hand count does not match the scans: {lines}. Find the missing or extra "
                f"ballots and scan them, correct the declared figures, or record the committee's "
                f"explanation: kiemphieu declare {ws.path} --note TEXT",
                " ".join(m.vi for m in recon.mismatches), "/chair#reconciliation"))
    if not (_clean(by, "--by") or (d.head if d else None)):
        found.append(Blocker(
            "no_certifier", f"say who certifies: --by NAME, or declare the committee's head "
                            f"(kiemphieu declare {ws.path} --head NAME)",
            "Chưa có người xác nhận: khai báo Trưởng ban kiểm phiếu.", "/chair#declare"))
    return found


def certify(ws: Workspace, by: str | None = None) -> dict[str, Any]:
    """Lock the count; return the certification record, with its certificate
    (``certificate``: number, at, by, digest, previous, key_sha256, signature).

    Refuses (`CertifyRefused`, naming every `blockers` at once) without a declaration of
    ballots issued and collected, while any review item is open or any row pending,
    while a reconciliation mismatch has no explaining note, and whenever the count is
    impossible (more counted rows or accepted copies than ballots collected);
    `store.CertifiedError` if it is certified already; `WorkspaceKeyError` if the
    workspace key is missing or is not the key of the certification before. The checks
    run again inside the locking transaction, so a scan stored meanwhile cannot slip past
    them.

    The certificate is a digest of the whole certified record
    (`pipeline.store.certificates.certified_body`), signed with the workspace key and
    appended to the certification history: a certification after an earlier one (its
    record deleted) is numbered 2, 3, ... and names the digest of the one before.
    """
    decl = ws.declaration()
    who = _clean(by, "--by") or (decl.head if decl else None)

    def make_record(at: dt.datetime, last: dict[str, Any] | None) -> dict[str, Any]:
        tally = ws.tally()
        found = blockers(ws, by, tally)
        if found:
            raise CertifyRefused(f"{ws.path}: the count cannot be certified yet: " +
                                 " | ".join(f"({i}) {b.en}" for i, b in enumerate(found, 1)),
                                 tuple(found))
        key = _signing_key(ws, last)
        recon = reconcile(ws, tally)
        certified = dataclasses.replace(tally, certified=True)
        record = {
            "by": who,
            "software": software_version(),
            "thresholds": dataclasses.asdict(ws.campaign.thresholds),
            "tally": certified.to_json(),
            "reconciliation": recon.to_json(),
        }
        entry = {"number": last["number"] + 1 if last else 1,
                 "previous": last["digest"] if last else None,
                 "key_sha256": key_fingerprint(key.public_key())}
        digest = certificate.digest(certified_body(ws, {**record, "at": at}, entry))
        signature = base64.b64encode(key.sign(certificate.signed_message(digest))).decode()
        record["certificate"] = {**entry, "digest": digest, "signature": signature}
        return record

    try:
        ws.store.certify(make_record)
    except CertifiedError as exc:
        raise _locked(ws, exc) from None
    record = ws.store.certification()
    assert record is not None
    return {**record, "certificate": history(ws.store)[-1]}


def _signing_key(ws: Workspace, last: dict[str, Any] | None) -> Any:
    """The workspace key that signs a certificate: the key of the certification before, if
    there was one; else the workspace's key, made now if the workspace has none yet (a
    workspace made before `kiemphieu new` made keys). Never a second key."""
    if last is not None:
        return load_key(ws.path, signed=last["key_sha256"])
    if key_path(ws.path).exists():
        return load_key(ws.path)
    return make_key(ws.path)
