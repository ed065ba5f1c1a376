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
from pipeline.store.keys import key_fingerprint


def _canonical_pem(public_key: Any) -> bytes:

    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class Problem:
    # missing | changed | added | bad_signature | bad_key | bad_manifest | untrusted_key |
    # bad_certificate | disagrees | not_the_printed_digest
    kind: str
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind.replace('_', ' ')}: {self.detail}"


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
        problems.append(Problem("missing", str(package), "no such folder"))
        return Verification(package, tuple(problems), None, None, 0)

    def read(name: str) -> bytes | None:
        path = package / name
        if not path.is_file():
            problems.append(Problem("missing", name, "the package has no such file"))
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
            problems.append(Problem(
                "bad_signature", SIGNATURE,
                "the signature does not match manifest.json and public-key.pem: one of the "
                "three was changed"))
    if trusted and fingerprint and fingerprint != trusted:
        problems.append(Problem(
            "untrusted_key", PUBLIC_KEY,
            f"signed with key {grouped(fingerprint, 8)}, not the key printed in the minutes "
            f"({grouped(trusted, 8)}): this package was signed by someone else"))

    manifest = _manifest(manifest_bytes, problems)
    if manifest is not None and fingerprint and manifest.get("key", {}).get("sha256") != fingerprint:
        problems.append(Problem("bad_key", PUBLIC_KEY,
                                "is not the key the manifest names"))
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
        problems.append(Problem("bad_key", PUBLIC_KEY, f"not a readable public key ({exc})"))
        return None, None
    if not isinstance(loaded, Ed25519PublicKey):
        problems.append(Problem("bad_key", PUBLIC_KEY, "not an Ed25519 key"))
        return None, None
    if _canonical_pem(loaded) != pem:
        # PEM readers forgive stray bytes (line ends, trailing text): we do not
        problems.append(Problem("bad_key", PUBLIC_KEY,
                                "changed: not the exact bytes the key was written as"))
        return None, None
    return loaded, key_fingerprint(loaded)


def _manifest(manifest_bytes: bytes | None, problems: list[Problem]) -> dict[str, Any] | None:
    if manifest_bytes is None:
        return None
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        if not isinstance(manifest, dict) or manifest.get("format") != PACKAGE_FORMAT:
            raise ValueError(f"not a {PACKAGE_FORMAT} manifest")
        if not isinstance(manifest["files"], list):
            raise ValueError("'files' is not a list")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError) as exc:
        problems.append(Problem("bad_manifest", MANIFEST, f"cannot be read ({exc})"))
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
                problems.append(Problem("bad_manifest", MANIFEST, f"bad entry {entry!r}"))
                continue
            listed[name] = sha
            path = package / name
            if ".." in Path(name).parts or Path(name).is_absolute():
                problems.append(Problem("bad_manifest", MANIFEST, f"unsafe path {name!r}"))
                continue
            if not path.is_file():
                problems.append(Problem("missing", name, "listed in the manifest, not in the package"))
                continue
            checked += 1
            actual = sha256_file(path)
            if actual != sha or path.stat().st_size != size:
                problems.append(Problem(
                    "changed", name,
                    f"SHA-256 {actual[:16]}… ({path.stat().st_size} bytes), the manifest says "
                    f"{sha[:16]}… ({size} bytes)"))
    own = {MANIFEST, SIGNATURE, PUBLIC_KEY}
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package).as_posix()
        if path.is_dir() or rel in own or rel in listed:
            continue
        if manifest is not None:
            problems.append(Problem("added", rel, "not listed in the manifest"))
    return listed, checked


def _check_certificate(package: Path, listed: dict[str, str], key: Any, fingerprint: str | None,
                       printed: str | None, problems: list[Problem]
                       ) -> tuple[dict[str, Any] | None, tuple[dict[str, Any], ...]]:
    """Step 5 of the module's docstring: the certificate in force and the history, as read
    (None and () if there is no readable certificate)."""
    if CERTIFICATE_FILE not in listed:
        problems.append(Problem(
            "bad_certificate", CERTIFICATE_FILE,
            "the package carries no certificate (the digest of the certified records and the "
            "decision log): it cannot be checked against the minutes"))
        return None, ()
    try:
        doc = json.loads((package / CERTIFICATE_FILE).read_text("utf-8"))
        body, named, chain = doc["body"], str(doc["digest"]), list(doc["history"])
        cert = {"number": body["number"], "at": body["at"], "by": body["by"], "digest": named,
                "previous": body["previous"], "key_sha256": body["key_sha256"]}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError) as exc:
        problems.append(Problem("bad_certificate", CERTIFICATE_FILE, f"cannot be read ({exc})"))
        return None, ()
    found: list[Problem] = []

    def bad(detail: str, kind: str = "bad_certificate", path: str = CERTIFICATE_FILE) -> None:
        found.append(Problem(kind, path, detail))

    try:
        if certificate.digest(body) != named:
            bad(f"the certified records it holds give digest {certificate.digest(body)[:16]}…, "
                f"not the digest it names ({named[:16]}…): they were changed")
        if printed is not None and named != printed:
            bad(f"certificate no. {body['number']} has digest {grouped(named, 8)}; the minutes "
                f"print {grouped(printed, 8)}: this is not the count the committee signed (the "
                "records were changed and the count certified again, or the package is another "
                "count's)", "not_the_printed_digest")
        if key is not None and not certificate.signature_holds(key, named, str(doc["signature"])):
            bad("its signature is not the package key's signature of its digest")
        if fingerprint and body["key_sha256"] != fingerprint:
            bad(f"it was signed with key {body['key_sha256'][:16]}…, the package carries key "
                f"{fingerprint[:16]}…")
        for line in certificate.chain_problems(chain):
            bad(f"certification history: {line}")
        last = chain[-1] if chain else {}
        if (last.get("digest"), last.get("number"), last.get("signature")) != \
                (named, body["number"], doc["signature"]):
            bad("the certification history does not end with this certificate")
        _check_pinned_files(package, listed, body, bad)
        _check_tally(package, body, named, bad)
        _check_documents(listed, body, bad)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        bad(f"cannot be read ({type(exc).__name__}: {exc})")
    problems += found
    return cert, tuple(chain)


def _check_pinned_files(package: Path, listed: dict[str, str], body: dict[str, Any],
                        bad: Any) -> None:
    """The campaign file and every page image are the ones the certificate names."""
    campaign_sha = hashlib.sha256((package / CAMPAIGN_FILE).read_bytes()).hexdigest() \
        if (package / CAMPAIGN_FILE).is_file() else None
    if campaign_sha != body["campaign"]["sha256"]:
        bad("is not the campaign file the certificate names", "disagrees", CAMPAIGN_FILE)
    pages = {p["file"]: p["sha256"] for p in body["pages"]}
    for name, sha in sorted(pages.items()):
        if not name.startswith(f"scans/{sha}"):
            bad(f"page image {name} is not named by its SHA-256 {sha[:16]}…")
        elif listed.get(name) != sha:
            bad(f"the certificate names this image ({sha[:16]}…); the package does not hold it",
                "disagrees", name)
    for name in sorted(set(listed) - set(pages)):
        if name.startswith("scans/"):
            bad("an image the certificate does not name", "disagrees", name)


def _check_tally(package: Path, body: dict[str, Any], named: str, bad: Any) -> None:
    """``tally.json`` says what the certificate and the campaign file say."""
    try:
        doc = json.loads((package / RESULT_JSON).read_text("utf-8"))
        campaign = parse_campaign((package / CAMPAIGN_FILE).read_text("utf-8"), CAMPAIGN_FILE)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, CampaignError) as exc:
        bad(f"cannot be read ({exc})", "disagrees", RESULT_JSON)
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
            bad(f"'{k}' is not what the certificate says", "disagrees", RESULT_JSON)
    if (doc.get("certification") or {}).get("digest") != named:
        bad("names another certificate digest", "disagrees", RESULT_JSON)


def _check_documents(listed: dict[str, str], body: dict[str, Any], bad: Any) -> None:
    """The package holds the minutes and the document that follows the count under its rules
    (the draft resolution of a council, the report of a Party campaign)."""
    rules = body["tally"]["rules"]
    for name in (MINUTES_PDF, MINUTES_DOCX, *follow_up_files(rules)):
        if name not in listed:
            bad(f"the package of a {rules} count must hold {name}; it does not", "missing", name)
