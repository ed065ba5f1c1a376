"""``kiemphieu verify``: is a certified package exactly as it was certified and signed?

Checks, in this order, and reports every problem found (never stops at the
first one):

1. ``manifest.json``, ``manifest.sig`` and ``public-key.pem`` are there and
   readable; the key is an Ed25519 public key;
2. the signature over the exact bytes of ``manifest.json`` is valid for that
   key, and the key is the one the manifest names (its SHA-256); with
   ``trusted_key`` given (the fingerprint printed in the signed minutes, or
   received separately), it is also that key;
3. every file the manifest lists is present, with its size and SHA-256;
4. no file is present that the manifest does not list;
5. the certificate (``certificate.json``, `pipeline.domain.certificate`): its
   body gives the digest it names, the package key signed that digest, the
   certification history is a chain (numbered from 1, each naming the digest
   of the one before) ending at it; the body names this key, this
   ``campaign.yaml`` (its SHA-256) and exactly the page images in ``scans/``;
   ``tally.json`` says what the body and the campaign file say
   (`pipeline.documents.export.package_records`); with ``digest`` given (the
   digest printed in the signed minutes), the certificate is that one;
6. the package holds the minutes (PDF and DOCX) and the document that follows
   the count under its rule set: the draft resolution of a council's campaign,
   the report of a Party campaign (`pipeline.documents.resolution`).

Any changed byte anywhere in the package fails one of 1-4. A package made
again after the records were changed and the count certified again, or signed
with another key, passes 1-4 and is caught by 5 against the minutes: its
digest, or its key, is not the one on the paper. A re-certification (a
certificate numbered 2 or more) shows in `Verification.history`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from pipeline.documents.export import (
    CAMPAIGN_FILE,
    CERTIFICATE_FILE,
    MANIFEST,
    MINUTES_DOCX,
    MINUTES_PDF,
    PACKAGE_FORMAT,
    PUBLIC_KEY,
    RESULT_JSON,
    SIGNATURE,
    package_records,
    sha256_file,
)
from pipeline.documents.resolution import follow_up_files
from pipeline.domain import certificate
from pipeline.domain.campaign import parse_campaign
from pipeline.domain.certificate import grouped, parse_hex64
from pipeline.domain.errors import CampaignError
from pipeline.domain.layout import build_layout
from pipeline.domain.reasons import failure
from pipeline.domain.wording import t
from pipeline.store.keys import key_fingerprint


def _canonical_pem(public_key: Any) -> bytes:

    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a package: its kind, the file, and what is wrong as a catalog
    entry (``verify_*``) with its parameters, worded in either language."""

    # missing | changed | added | bad_signature | bad_key | bad_manifest | untrusted_key |
    # bad_certificate | disagrees | not_the_printed_digest
    kind: str
    path: str
    key: str
    params: tuple[tuple[str, Any], ...] = ()

    def words(self, lang: str = "en") -> str:
        """The file, the kind of problem and what is wrong, in ``lang``."""
        return t("verify_problem", lang, path=self.path, kind=t(f"verify_kind_{self.kind}", lang),
                 detail=self.detail_in(lang))

    def detail_in(self, lang: str = "en") -> str:
        return t(self.key, lang, **dict(self.params))

    @property
    def detail(self) -> str:
        return self.detail_in("en")

    def __str__(self) -> str:
        return self.words("en")



class ProblemsInWords:
    """Some of a package's problems inside a catalog sentence, worded in the sentence's
    language (`pipeline.domain.wording` asks `in_words`), joined by "; "."""

    def __init__(self, problems: tuple[Problem, ...], most: int = 5) -> None:
        self.problems = problems[:most]

    def in_words(self, lang: str) -> str:
        return "; ".join(p.words(lang) for p in self.problems)

    def __str__(self) -> str:
        return self.in_words("en")

def _problem(kind: str, path: str, entry: str, **params: Any) -> Problem:
    return Problem(kind, path, entry, tuple(params.items()))


@dataclass(frozen=True)
class Verification:
    package: Path
    problems: tuple[Problem, ...]
    manifest: dict[str, Any] | None
    key_sha256: str | None
    files_checked: int
    # the certificate in force: number, at, by, digest; and the history, oldest first
    certificate: dict[str, Any] | None = None
    history: tuple[dict[str, Any], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_package(package: Path, trusted_key: str | None = None,
                   digest: str | None = None) -> Verification:
    """Check ``package``; see the module's docstring. Never raises for a damaged package.

    ``trusted_key`` and ``digest``: as printed in the minutes (64 hex digits; spaces, line
    breaks and case do not matter). Raises `certificate.CertificateError` if either is
    given but is not 64 hex digits (an empty text included).
    """
    trusted = parse_hex64(trusted_key, "--key") if trusted_key is not None else None
    printed = parse_hex64(digest, "--digest") if digest is not None else None
    problems: list[Problem] = []
    if not package.is_dir():
        problems.append(_problem("missing", str(package), "verify_no_folder"))
        return Verification(package, tuple(problems), None, None, 0)

    def read(name: str) -> bytes | None:
        path = package / name
        if not path.is_file():
            problems.append(_problem("missing", name, "verify_no_file"))
            return None
        return path.read_bytes()

    manifest_bytes, sig_text, pem = read(MANIFEST), read(SIGNATURE), read(PUBLIC_KEY)
    key, fingerprint = _public_key(pem, problems)
    if key is not None and manifest_bytes is not None and sig_text is not None:
        try:
            signature = base64.b64decode(sig_text.strip(), validate=True)
            if base64.b64encode(signature) + b"\n" != sig_text:
                raise ValueError("not the canonical base64 the signature was written as")
            key.verify(signature, manifest_bytes)
        except (binascii.Error, ValueError, InvalidSignature):
            problems.append(_problem("bad_signature", SIGNATURE, "verify_bad_signature"))
    if trusted and fingerprint and fingerprint != trusted:
        problems.append(_problem("untrusted_key", PUBLIC_KEY, "verify_untrusted_key",
                                 fingerprint=grouped(fingerprint, 8), printed=grouped(trusted, 8)))

    manifest = _manifest(manifest_bytes, problems)
    if manifest is not None and fingerprint and manifest.get("key", {}).get("sha256") != fingerprint:
        problems.append(_problem("bad_key", PUBLIC_KEY, "verify_key_not_named"))
    listed, checked = _check_files(package, manifest, problems)
    cert, chain = None, ()
    if manifest is not None:
        cert, chain = _check_certificate(package, listed, key, fingerprint, printed, problems)
    return Verification(package, tuple(problems), manifest, fingerprint, checked, cert, chain)


def _public_key(pem: bytes | None, problems: list[Problem]) -> tuple[Any, str | None]:
    if pem is None:
        return None, None
    try:
        loaded = load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        problems.append(_problem("bad_key", PUBLIC_KEY, "verify_key_unreadable", error=failure(exc)))
        return None, None
    if not isinstance(loaded, Ed25519PublicKey):
        problems.append(_problem("bad_key", PUBLIC_KEY, "verify_key_not_ed25519"))
        return None, None
    if _canonical_pem(loaded) != pem:
        # PEM readers forgive stray bytes (line ends, trailing text): we do not
        problems.append(_problem("bad_key", PUBLIC_KEY, "verify_key_changed"))
        return None, None
    return loaded, key_fingerprint(loaded)


def _manifest(manifest_bytes: bytes | None, problems: list[Problem]) -> dict[str, Any] | None:
    if manifest_bytes is None:
        return None
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        problems.append(_problem("bad_manifest", MANIFEST, "verify_unreadable", error=failure(exc)))
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != PACKAGE_FORMAT:
        problems.append(_problem("bad_manifest", MANIFEST, "verify_manifest_format",
                                 format=PACKAGE_FORMAT))
        return None
    if not isinstance(manifest.get("files"), list):
        problems.append(_problem("bad_manifest", MANIFEST, "verify_manifest_files"))
        return None
    return manifest


def _check_files(package: Path, manifest: dict[str, Any] | None, problems: list[Problem]
                 ) -> tuple[dict[str, str], int]:
    """Every listed file present with its size and SHA-256, nothing else present: the
    listed files' SHA-256 by path, and how many were checked."""
    checked = 0
    listed: dict[str, str] = {}
    if manifest is not None:
        for entry in manifest["files"]:
            try:
                name, sha, size = str(entry["path"]), str(entry["sha256"]), int(entry["bytes"])
            except (KeyError, TypeError, ValueError):
                problems.append(_problem("bad_manifest", MANIFEST, "verify_bad_entry",
                                         entry=repr(entry)))
                continue
            listed[name] = sha
            path = package / name
            if ".." in Path(name).parts or Path(name).is_absolute():
                problems.append(_problem("bad_manifest", MANIFEST, "verify_unsafe_path",
                                         name=repr(name)))
                continue
            if not path.is_file():
                problems.append(_problem("missing", name, "verify_listed_not_held"))
                continue
            checked += 1
            actual = sha256_file(path)
            if actual != sha or path.stat().st_size != size:
                problems.append(_problem("changed", name, "verify_changed", sha=actual[:16],
                                         bytes=path.stat().st_size, listed_sha=sha[:16],
                                         listed_bytes=size))
    own = {MANIFEST, SIGNATURE, PUBLIC_KEY}
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package).as_posix()
        if path.is_dir() or rel in own or rel in listed:
            continue
        if manifest is not None:
            problems.append(_problem("added", rel, "verify_not_listed"))
    return listed, checked


def _check_certificate(package: Path, listed: dict[str, str], key: Any, fingerprint: str | None,
                       printed: str | None, problems: list[Problem]
                       ) -> tuple[dict[str, Any] | None, tuple[dict[str, Any], ...]]:
    """Step 5 of the module's docstring: the certificate in force and the history, as read
    (None and () if there is no readable certificate)."""
    if CERTIFICATE_FILE not in listed:
        problems.append(_problem("bad_certificate", CERTIFICATE_FILE, "verify_no_certificate"))
        return None, ()
    try:
        doc = json.loads((package / CERTIFICATE_FILE).read_text("utf-8"))
        body, named, chain = doc["body"], str(doc["digest"]), list(doc["history"])
        cert = {"number": body["number"], "at": body["at"], "by": body["by"], "digest": named,
                "previous": body["previous"], "key_sha256": body["key_sha256"]}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError) as exc:
        problems.append(_problem("bad_certificate", CERTIFICATE_FILE, "verify_unreadable",
                                 error=failure(exc)))
        return None, ()
    found: list[Problem] = []

    def bad(entry: str, kind: str = "bad_certificate", path: str = CERTIFICATE_FILE,
            **params: Any) -> None:
        found.append(_problem(kind, path, entry, **params))

    try:
        if certificate.digest(body) != named:
            bad("verify_records_changed", given=certificate.digest(body)[:16], named=named[:16])
        if printed is not None and named != printed:
            bad("verify_not_the_printed_digest", "not_the_printed_digest",
                number=body["number"], digest=grouped(named, 8), printed=grouped(printed, 8))
        if key is not None and not certificate.signature_holds(key, named, str(doc["signature"])):
            bad("verify_certificate_not_signed")
        if fingerprint and body["key_sha256"] != fingerprint:
            bad("verify_certificate_other_key", fingerprint=body["key_sha256"][:16],
                carried=fingerprint[:16])
        for line in certificate.chain_problems(chain):
            bad("verify_history", detail=line)
        last = chain[-1] if chain else {}
        if (last.get("digest"), last.get("number"), last.get("signature")) != \
                (named, body["number"], doc["signature"]):
            bad("verify_history_end")
        _check_pinned_files(package, listed, body, bad)
        _check_tally(package, body, named, bad)
        _check_documents(listed, body, bad)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        bad("verify_unreadable", error=failure(exc))
    problems += found
    return cert, tuple(chain)


def _check_pinned_files(package: Path, listed: dict[str, str], body: dict[str, Any],
                        bad: Any) -> None:
    """The campaign file and every page image are the ones the certificate names."""
    campaign_sha = hashlib.sha256((package / CAMPAIGN_FILE).read_bytes()).hexdigest() \
        if (package / CAMPAIGN_FILE).is_file() else None
    if campaign_sha != body["campaign"]["sha256"]:
        bad("verify_campaign_not_named", "disagrees", CAMPAIGN_FILE)
    pages = {p["file"]: p["sha256"] for p in body["pages"]}
    for name, sha in sorted(pages.items()):
        if not name.startswith(f"scans/{sha}"):
            bad("verify_image_misnamed", name=name, sha=sha[:16])
        elif listed.get(name) != sha:
            bad("verify_image_not_held", "disagrees", name, sha=sha[:16])
    for name in sorted(set(listed) - set(pages)):
        if name.startswith("scans/"):
            bad("verify_image_not_named", "disagrees", name)


def _check_tally(package: Path, body: dict[str, Any], named: str, bad: Any) -> None:
    """``tally.json`` says what the certificate and the campaign file say."""
    try:
        doc = json.loads((package / RESULT_JSON).read_text("utf-8"))
        campaign = parse_campaign((package / CAMPAIGN_FILE).read_text("utf-8"), CAMPAIGN_FILE)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, CampaignError) as exc:
        bad("verify_unreadable", "disagrees", RESULT_JSON, error=failure(exc))
        return
    expected = package_records(body, campaign, build_layout(campaign))
    for k, value in expected.items():
        given = doc.get(k)
        if k == "candidates" and isinstance(given, list) and len(given) == len(value):
            given = [{f: g.get(f) for f in v} if isinstance(g, dict) else g
                     for g, v in zip(given, value, strict=True)]
        elif k in ("campaign_info", "certification") and isinstance(given, dict):
            given = {f: given.get(f) for f in value}
        if given != value:
            bad("verify_tally_field", "disagrees", RESULT_JSON, field=k)
    if (doc.get("certification") or {}).get("digest") != named:
        bad("verify_tally_other_digest", "disagrees", RESULT_JSON)


def _check_documents(listed: dict[str, str], body: dict[str, Any], bad: Any) -> None:
    """The package holds the minutes and the document that follows the count under its rules
    (the draft resolution of a council, the report of a Party campaign)."""
    rules = body["tally"]["rules"]
    for name in (MINUTES_PDF, MINUTES_DOCX, *follow_up_files(rules)):
        if name not in listed:
            bad("verify_document_missing", "missing", name, rules=rules, name=name)
