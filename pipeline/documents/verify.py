"""``kiemphieu verify``: is a certified package exactly as it was signed?

Checks, in this order, and reports every problem found (never stops at the
first one):

1. ``manifest.json``, ``manifest.sig`` and ``public-key.pem`` are there and
   readable; the key is an Ed25519 public key;
2. the signature over the exact bytes of ``manifest.json`` is valid for that
   key, and the key is the one the manifest names (its SHA-256); with
   ``trusted_key`` given, it is also that key (a fingerprint the office
   above received separately, e.g. read from the signed minutes);
3. every file the manifest lists is present, with its size and SHA-256;
4. no file is present that the manifest does not list.

Any changed byte anywhere in the package fails one of these: in a listed
file (3), in the manifest or the signature (2), in the public key (1 or 2).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.documents.export import (
    MANIFEST,
    PACKAGE_FORMAT,
    PUBLIC_KEY,
    SIGNATURE,
    key_fingerprint,
    sha256_file,
)


def _canonical_pem(public_key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class Problem:
    kind: str  # missing | changed | added | bad_signature | bad_key | bad_manifest | untrusted_key
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

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_package(package: Path, trusted_key: str | None = None) -> Verification:
    """Check ``package``; see the module's docstring. Never raises for a damaged package."""
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
    key = None
    fingerprint = None
    if pem is not None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        try:
            loaded = load_pem_public_key(pem)
        except (ValueError, TypeError) as exc:
            problems.append(Problem("bad_key", PUBLIC_KEY, f"not a readable public key ({exc})"))
        else:
            if not isinstance(loaded, Ed25519PublicKey):
                problems.append(Problem("bad_key", PUBLIC_KEY, "not an Ed25519 key"))
            elif _canonical_pem(loaded) != pem:
                # PEM readers forgive stray bytes (line ends, trailing text): we do not
                problems.append(Problem("bad_key", PUBLIC_KEY,
                                        "changed: not the exact bytes the key was written as"))
            else:
                key, fingerprint = loaded, key_fingerprint(loaded)
    if key is not None and manifest_bytes is not None and sig_text is not None:
        from cryptography.exceptions import InvalidSignature

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
    if trusted_key and fingerprint and fingerprint != trusted_key.strip().lower():
        problems.append(Problem(
            "untrusted_key", PUBLIC_KEY,
            f"signed with key {fingerprint[:16]}…, not the trusted key {trusted_key[:16]}…"))

    manifest = None
    if manifest_bytes is not None:
        try:
            manifest = json.loads(manifest_bytes.decode("utf-8"))
            if not isinstance(manifest, dict) or manifest.get("format") != PACKAGE_FORMAT:
                raise ValueError(f"not a {PACKAGE_FORMAT} manifest")
            files = manifest["files"]
            if not isinstance(files, list):
                raise ValueError("'files' is not a list")
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            problems.append(Problem("bad_manifest", MANIFEST, f"cannot be read ({exc})"))
            manifest = None
    if manifest is not None and fingerprint and manifest.get("key", {}).get("sha256") != fingerprint:
        problems.append(Problem("bad_key", PUBLIC_KEY,
                                "is not the key the manifest names"))
    checked = 0
    listed: set[str] = set()
    if manifest is not None:
        for entry in manifest["files"]:
            try:
                name, sha, size = str(entry["path"]), str(entry["sha256"]), int(entry["bytes"])
            except (KeyError, TypeError, ValueError):
                problems.append(Problem("bad_manifest", MANIFEST, f"bad entry {entry!r}"))
                continue
            listed.add(name)
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
    return Verification(package, tuple(problems), manifest, fingerprint, checked)
