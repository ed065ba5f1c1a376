"""The workspace's signing key: made once, kept, never replaced.

``kiemphieu new`` makes an Ed25519 key pair in ``WS/keys/workspace-ed25519.pem``
(PKCS #8 PEM, the file mode 0600, its folder 0700). Certification signs its
certificate with it (`pipeline.workflow.certify`), export signs the package's
manifest with it, and the minutes print its fingerprint (`key_fingerprint`),
so the paper the committee signs pins it. Nothing makes a second key once a
count is certified: a key file lost after certification is an error that says
to restore it from a backup (`load_key`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from pipeline.domain.errors import WorkspaceError

KEY_FILE = Path("keys") / "workspace-ed25519.pem"


class WorkspaceKeyError(WorkspaceError):
    """The workspace key is missing, damaged or not the one that signed the count."""



def key_path(ws_path: Path) -> Path:
    return ws_path / KEY_FILE


def make_key(ws_path: Path) -> Any:
    """Make the workspace's key pair; refuse if a key file is there already (never overwritten).

    Returns the private key. Raises `WorkspaceKeyError` if ``WS/keys/workspace-ed25519.pem`` exists.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = key_path(ws_path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise WorkspaceKeyError(f"{path}: a workspace key is there already; it is never replaced") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    return key


def load_key(ws_path: Path, *, signed: str | None = None) -> Any:
    """The workspace's private key.

    ``signed``: the fingerprint of the key that signed the certification in force; the
    key on disk must be that one. Raises `WorkspaceKeyError` if the file is missing (saying which
    key to restore when ``signed`` is given), damaged, not Ed25519, or another key.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from pipeline.domain.certificate import grouped

    path = key_path(ws_path)
    if not path.is_file():
        which = (f"the count was certified and signed with key {grouped(signed, 8)}; "
                 if signed else "")
        raise WorkspaceKeyError(
            f"{path}: the workspace key is missing; {which}restore the file from a backup of "
            f"the workspace. No new key is made: it would not match the fingerprint printed in "
            f"the minutes")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise WorkspaceKeyError(f"{path}: the workspace key is damaged ({exc}); restore it from a backup: "
                        "a new key would not match the minutes already signed") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise WorkspaceKeyError(f"{path}: not an Ed25519 key; restore the workspace key from a backup")
    if signed is not None and key_fingerprint(key.public_key()) != signed:
        raise WorkspaceKeyError(
            f"{path}: this is key {key_fingerprint(key.public_key())[:16]}…, not the key that "
            f"signed the certification ({signed[:16]}…); restore the workspace key from a backup")
    return key


def public_pem(private_key: Any) -> bytes:
    """The public half of ``private_key`` as SubjectPublicKeyInfo PEM."""
    from cryptography.hazmat.primitives import serialization

    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_fingerprint(public_key: Any) -> str:
    """SHA-256 of the raw 32-byte Ed25519 public key, 64 lower-case hex digits."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()
