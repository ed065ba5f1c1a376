"""The counting committee: who it is, what it declared, and how its count meets the scans."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Person:
    """Someone with a role: an account acting on the record (operator, reviewer, chair), or
    a member of the counting committee (Trưởng ban, Thành viên, Thư ký)."""

    name: str
    role: str


@dataclass(frozen=True)
class Declaration:
    """The counting committee's own count and who it is (``kiemphieu declare``)."""

    issued: int | None
    collected: int | None
    head: str | None
    members: tuple[Person, ...]
    note: str | None
    at: dt.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "issued": self.issued,
            "collected": self.collected,
            "head": self.head,
            "members": [{"name": m.name, "role": m.role} for m in self.members],
            "note": self.note,
            "at": self.at.isoformat() if self.at else None,
        }


@dataclass(frozen=True)
class Mismatch:
    """One disagreement between the hand count and the scans."""

    kind: str  # page_count | collected_over_issued | issued_over_electorate | unplaced_pages
    vi: str  # as the minutes say it
    en: str  # as the terminal says it
    page: int | None = None
    declared: int | None = None
    scanned: int | None = None


@dataclass(frozen=True)
class Reconciliation:
    """The hand count set beside the scans, page number by page number."""

    issued: int | None
    collected: int | None
    pages_accepted: dict[int, int]
    page_count: int
    mismatches: tuple[Mismatch, ...]
    note: str | None
    quorum_warning: str | None

    @property
    def matches(self) -> bool:
        return not self.mismatches

    @property
    def blocks(self) -> bool:
        """A mismatch nobody has explained yet."""
        return bool(self.mismatches) and not self.note

    def to_json(self) -> dict[str, Any]:
        return {
            "issued": self.issued,
            "collected": self.collected,
            "pages_accepted": {str(p): self.pages_accepted.get(p, 0)
                               for p in range(1, self.page_count + 1)},
            "matches": self.matches,
            "mismatches": [dataclasses.asdict(m) for m in self.mismatches],
            "note": self.note,
            "quorum_warning": self.quorum_warning,
        }
