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
from pipeline.domain.reasons import failure

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
        raise WorkspaceKeyError(key="key_there", path=str(path)) from None
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
        if signed:
            raise WorkspaceKeyError(key="key_missing_signed", path=str(path),
                                    signed=grouped(signed, 8))
        raise WorkspaceKeyError(key="key_missing", path=str(path))
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise WorkspaceKeyError(key="key_damaged", path=str(path), cause=failure(exc)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise WorkspaceKeyError(key="key_not_ed25519", path=str(path))
    if signed is not None and key_fingerprint(key.public_key()) != signed:
        raise WorkspaceKeyError(key="key_other", path=str(path),
                                have=key_fingerprint(key.public_key())[:16], signed=signed[:16])
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
