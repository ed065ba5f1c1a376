"""Accounts of the people who run a count: operators, reviewers, the chair.

Accounts live in the workspace's records (``app_user``) and are created from
the command line (``kiemphieu user add NAME --role ROLE``). Passwords are
stored only as Argon2id hashes (argon2-cffi's defaults: 64 MiB, 3 passes),
so a copied database does not give the passwords away.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from pipeline.domain.errors import KiemphieuError
from pipeline.store.store import Store
from pipeline.workflow.review import ROLES

NAME = re.compile(r"^[\w.-]{1,64}$")
MIN_PASSWORD = 8

_hasher = PasswordHasher()
# a hash to check against when the name is unknown, so that a wrong name
# takes as long as a wrong password
_DUMMY_HASH = _hasher.hash("kiemphieu: no such account")


class AccountError(KiemphieuError):
    """An account cannot be created or changed as asked."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    disabled: bool = False


def normalise_name(name: str) -> str:
    return unicodedata.normalize("NFC", name.strip())


def add_user(store: Store, name: str, role: str, password: str) -> User:
    """Create an account; `AccountError` if the name is taken or a value is unfit."""
    name = normalise_name(name)
    if not NAME.match(name):
        raise AccountError(key="users_bad_name", name=name)
    if role not in ROLES:
        raise AccountError(key="users_bad_role", role=role, roles=", ".join(ROLES))
    _check_password(password)
    if not store.add_account(name, role, _hasher.hash(password)):
        raise AccountError(key="users_taken", name=name)
    return User(name, role)


def set_disabled(store: Store, name: str, disabled: bool) -> None:
    """Stop an account from logging in, or let it again; `AccountError` if there is none."""
    if not store.update_account(normalise_name(name), disabled=int(disabled)):
        raise AccountError(key="users_none", name=name)


def get_user(store: Store, name: str) -> User | None:
    row = store.account(normalise_name(name))
    return User(row["name"], row["role"], bool(row["disabled"])) if row else None


def list_users(store: Store) -> list[User]:
    return [User(r["name"], r["role"], bool(r["disabled"])) for r in store.accounts()]


def authenticate(store: Store, name: str, password: str) -> User | None:
    """The account if ``password`` is right and the account is enabled, else None.

    Takes about as long for an unknown name as for a wrong password.
    """
    name = normalise_name(name)
    row = store.account(name)
    stored = row["password_hash"] if row else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None or row["disabled"]:
        return None
    if _hasher.check_needs_rehash(stored):
        store.update_account(name, password_hash=_hasher.hash(password))
    return User(row["name"], row["role"])


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(key="users_short_password", n=MIN_PASSWORD)
