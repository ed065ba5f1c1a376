"""The certificate of a count: one digest over everything certified, and how it is read.

At certification (`pipeline.workflow.certify`) the whole certified record is
put in one JSON value, the *body*: the certified tally and reconciliation,
the thresholds, every stored page (hash, status, what the machine read on
each row), every review item and every line of the decision logs (review
decisions, the chair's page decisions, every declaration), the committee's
declaration in force, the campaign file's SHA-256, the workspace key's
fingerprint, and the certificate's own number, time, signer and the digest of
the certification before it (``previous``; None for the first). Its digest is
the SHA-256 of its canonical bytes (`canonical`); the workspace key signs
`signed_message` of it (`signature_holds` checks it). The minutes print the digest and the key's
fingerprint in full, grouped by four hex digits (`grouped`), so that the paper
the committee signs pins both; `parse_hex64` reads them back exactly as
printed.

The body is built from the workspace's records (`pipeline.store.certificates`)
and rebuilt from a package's ``certificate.json`` by whoever checks it; the
same value gives the same digest anywhere: keys sorted, no spaces, UTF-8,
integers as integers, every mapping key a string, times as ISO 8601 text
(UTC, whole seconds).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from pipeline.domain.wording import Said, t

FORMAT = "kiemphieu-certificate/1"
#: What the workspace key signs: this prefix, then the digest's 64 hex digits (ASCII). The
#: prefix keeps a certificate's signature from ever passing as a manifest's, and back.
SIGNED_PREFIX = b"kiemphieu-certificate/1 digest "


class CertificateError(ValueError):
    """A digest or fingerprint as typed is not 64 hex digits; the message says what was given
    (the catalog's entry ``key`` in English; a front end words it from ``key`` and ``params``)."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key, self.params = key, params
        super().__init__(t(key, "en", **params))


def canonical(value: Any) -> bytes:
    """``value`` as canonical JSON bytes: what the digest is taken over.

    The value goes through JSON once first, so that a tuple and a list, or an int key
    and its string, give the same bytes. Raises `ValueError` for NaN or infinity.
    """
    plain = json.loads(json.dumps(value, ensure_ascii=False, allow_nan=False))
    return json.dumps(plain, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def digest(body: dict[str, Any]) -> str:
    """The SHA-256 of the body's canonical bytes, 64 lower-case hex digits."""
    return hashlib.sha256(canonical(body)).hexdigest()


def signed_message(digest_hex: str) -> bytes:
    """The bytes the workspace key signs for a certificate of digest ``digest_hex``."""
    return SIGNED_PREFIX + digest_hex.encode("ascii")


def signature_holds(public_key: Any, digest_hex: str, signature_b64: str) -> bool:
    """Whether ``signature_b64`` (base64) is ``public_key``'s (Ed25519) signature of
    `signed_message` of ``digest_hex``: False for any signature that is not, or is not
    base64."""
    from cryptography.exceptions import InvalidSignature  # only a check of a signature needs it

    try:
        public_key.verify(base64.b64decode(signature_b64, validate=True),
                          signed_message(digest_hex))
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def grouped(hex_digits: str, per_line: int = 16) -> str:
    """``"ab12 cd34 ..."``: groups of four, ``per_line`` groups a line (lines joined by \\n).

    What the minutes print; `parse_hex64` reads it back.
    """
    groups = [hex_digits[i:i + 4] for i in range(0, len(hex_digits), 4)]
    return "\n".join(" ".join(groups[i:i + per_line]) for i in range(0, len(groups), per_line))


def parse_hex64(text: str, what: str) -> str:
    """A digest or fingerprint typed as printed: spaces, line breaks and case do not matter.

    Returns the 64 lower-case hex digits. Raises `CertificateError` naming ``what``
    (e.g. ``--key``) for an empty text, a character that is not a hex digit, or another
    number of digits.
    """
    digits = "".join(text.split()).lower()
    if not digits:
        raise CertificateError("certificate_hex_empty", what=what)
    bad = sorted({ch for ch in digits if ch not in "0123456789abcdef"})
    if bad:
        raise CertificateError("certificate_hex_bad", what=what, bad=repr("".join(bad)))
    if len(digits) != 64:
        raise CertificateError("certificate_hex_count", what=what, n=len(digits))
    return digits


def chain_problems(history: list[dict[str, Any]]) -> list[Said]:
    """What is wrong with a certification history (oldest first), each a catalog sentence
    (``certificate_chain_*``) worded where it is shown; empty if nothing.

    Each entry must be numbered one more than the one before, from 1, and name the digest
    of the one before as its ``previous`` (None for the first).
    """
    problems = []
    before: dict[str, Any] | None = None
    for i, entry in enumerate(history, start=1):
        if entry.get("number") != i:
            problems.append(Said("certificate_chain_number", i=i, number=_shown(entry.get("number"))))
        expected = before.get("digest") if before else None
        if entry.get("previous") != expected:
            named = entry.get("previous")
            problems.append(Said(
                "certificate_chain_first_previous" if expected is None else
                "certificate_chain_no_previous" if named is None else
                "certificate_chain_previous",
                number=_shown(entry.get("number")), named=_shown(named),
                expected=_shown(expected)))
        before = entry
    return problems


def _shown(value: Any) -> str:
    """A value of a certificate's history as a problem names it: a digest's first 16 hex
    digits, a number as it is, anything else as JSON (none: ``null``)."""
    if isinstance(value, str) and len(value) == 64:
        return value[:16] + "…"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def page_decision_in_force(log: list[dict[str, Any]], page_sha256: str) -> str | None:
    """The chair's decision in force on a page from the page decision log (oldest first):
    the latest one, unless it is ``restore``."""
    latest = None
    for line in log:
        if line["page_sha256"] == page_sha256:
            latest = line["decision"]
    return None if latest in (None, "restore") else latest
