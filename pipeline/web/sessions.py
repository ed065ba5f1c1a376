"""Sessions of the web station: in memory, random tokens, idle and absolute expiry.

A session lives only in the serving process: restarting ``kiemphieu serve``
logs everybody out, which is what a committee expects of a laptop station.
The token (256 random bits) travels in an HttpOnly, SameSite=Strict cookie;
each session has its own CSRF token, which every POST must carry.

Wrong passwords slow further tries down, by account and by client address,
with a delay that doubles with each failure (`Throttle`): never a lockout,
so that nobody can keep the chair out by typing wrong passwords under the
chair's name. A try is admitted and counted as a failure in one step, before
its password is hashed: forty tries sent at once cost three hashes, not forty.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

IDLE_SECONDS = 30 * 60
MAX_SECONDS = 12 * 3600



@dataclass(frozen=True)
class Pace:
    """How failures on one key (an account, a client) slow its next try down: ``free``
    failures cost nothing, then each waits 1, 2, 4 ... s after the last, at most ``cap`` s."""

    free: int
    cap: float

    def delay(self, failures: int) -> float:
        return 0.0 if failures < self.free else min(self.cap, 2.0 ** (failures - self.free))


# An account's failures wait at most 30 s: the chair, behind someone trying the chair's
# name, waits that long at the worst. A client's grow to 5 min: one guesser slows only
# itself (behind a reverse proxy on this computer, uvicorn gives the real client address).
# A client's first ten cost nothing: a room of reviewers behind one address logs in at once.
ACCOUNT_PACE = Pace(free=3, cap=30.0)
CLIENT_PACE = Pace(free=10, cap=300.0)
HASHING_AT_ONCE = 4  # passwords checked at the same time (64 MiB each)
FORGET_SECONDS = 15 * 60.0  # failures this old are forgotten
MAX_KEYS = 10_000  # keys kept before the forgotten ones are dropped


@dataclass
class Throttle:
    """Failed logins by key, and when each key may try next (thread-safe)."""

    clock: Callable[[], float] = time.monotonic
    hashing: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(HASHING_AT_ONCE))
    _failures: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self, name: str, client: str) -> float:
        """0.0 if ``name`` may be tried from ``client`` now, the try then counted as a failure
        until `succeeded` says otherwise; else the seconds to wait (the try is not counted)."""
        keys = ((("account", name), ACCOUNT_PACE), (("client", client), CLIENT_PACE))
        at = self.clock()
        with self._lock:
            if len(self._failures) > MAX_KEYS:
                self._failures = {k: v for k, v in self._failures.items()
                                  if at - v[1] < FORGET_SECONDS}
            counts = [self._count(key, at) for key, _ in keys]
            wait = max(last + pace.delay(n) - at
                       for ((_, pace), (n, last)) in zip(keys, counts, strict=True))
            if wait > 0:
                return wait
            for (key, _), (n, _) in zip(keys, counts, strict=True):
                self._failures[key] = (n + 1, at)
            return 0.0

    def succeeded(self, name: str, client: str) -> None:
        """The admitted try was right: the account's failures are forgotten, the client's
        try is no longer counted."""
        with self._lock:
            self._failures.pop(("account", name), None)
            n, last = self._failures.get(("client", client), (0, 0.0))
            if n > 1:
                self._failures[("client", client)] = (n - 1, last)
            else:
                self._failures.pop(("client", client), None)

    def _count(self, key: tuple[str, str], at: float) -> tuple[int, float]:
        n, last = self._failures.get(key, (0, at))
        return (0, at) if at - last >= FORGET_SECONDS else (n, last)


@dataclass
class Session:
    token: str
    name: str
    role: str
    csrf: str
    created: float
    last_seen: float


@dataclass
class Sessions:
    idle_seconds: float = IDLE_SECONDS
    max_seconds: float = MAX_SECONDS
    clock: Callable[[], float] = time.monotonic
    _by_token: dict[str, Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    throttle: Throttle = field(init=False)

    def __post_init__(self) -> None:
        self.throttle = Throttle(self.clock)

    def create(self, name: str, role: str) -> Session:
        at = self.clock()
        session = Session(secrets.token_urlsafe(32), name, role, secrets.token_urlsafe(32), at, at)
        with self._lock:
            self._by_token[session.token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        """The live session of ``token``, its idle clock restarted; None if none or expired."""
        if not token:
            return None
        at = self.clock()
        with self._lock:
            session = self._by_token.get(token)
            if session is None:
                return None
            if at - session.last_seen > self.idle_seconds or at - session.created > self.max_seconds:
                del self._by_token[token]
                return None
            session.last_seen = at
            return session

    def drop(self, token: str | None) -> None:
        with self._lock:
            self._by_token.pop(token or "", None)

    def drop_user(self, name: str) -> None:
        with self._lock:
            for token in [t for t, s in self._by_token.items() if s.name == name]:
                del self._by_token[token]


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and secrets.compare_digest(given.encode(), expected.encode())
