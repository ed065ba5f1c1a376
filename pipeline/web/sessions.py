"""Sessions of the web station: in memory, random tokens, idle and absolute expiry.

A session lives only in the serving process: restarting ``kiemphieu serve``
logs everybody out, which is what a committee expects of a laptop station.
The token (256 random bits) travels in an HttpOnly, SameSite=Strict cookie;
each session has its own CSRF token, which every POST must carry.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

IDLE_SECONDS = 30 * 60
MAX_SECONDS = 12 * 3600
FAILURES_ALLOWED = 5  # wrong passwords per account ...
FAILURE_WINDOW = 300.0  # ... within this many seconds, then a pause:
LOCKOUT_SECONDS = 60.0


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
    _failures: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, name: str, role: str) -> Session:
        at = self.clock()
        session = Session(secrets.token_urlsafe(32), name, role, secrets.token_urlsafe(32), at, at)
        with self._lock:
            self._by_token[session.token] = session
            self._failures.pop(name, None)
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

    def throttled(self, name: str) -> bool:
        """True while ``name`` may not try again after too many wrong passwords."""
        at = self.clock()
        with self._lock:
            recent = [t for t in self._failures.get(name, []) if at - t < FAILURE_WINDOW]
            self._failures[name] = recent
            return len(recent) >= FAILURES_ALLOWED and at - recent[-1] < LOCKOUT_SECONDS

    def failed(self, name: str) -> None:
        with self._lock:
            self._failures.setdefault(name, []).append(self.clock())


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and secrets.compare_digest(given.encode(), expected.encode())
