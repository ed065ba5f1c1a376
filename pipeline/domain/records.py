"""What reading a page produces and the store keeps: plain records, no pixels, no database.

Their own module so that a reading process (`pipeline.reading.page`, in the
``--workers`` processes) needs neither SQLAlchemy nor the store to make them:
a worker starts in half the time.

Reasons are values (`omr.reasons.Reason`); ``reason`` gives their English,
the audit record's words (`pipeline.domain.wording`).
"""

from __future__ import annotations

from dataclasses import dataclass

from omr.reasons import Reason
from pipeline.domain.wording import words


@dataclass(frozen=True)
class StoredRow:
    """One row of an accepted page: the machine's outcome, why, each box's fill and measures."""

    candidate: int
    outcome: str
    level: str | None
    reasons: tuple[Reason, ...]
    fills: tuple[float, float, float]
    measures: dict[str, list[float]] | None = None

    @property
    def reason(self) -> str | None:
        """Why, in English (the audit record); None for a row the machine counts alone."""
        return english(self.reasons)


@dataclass(frozen=True)
class Reading:
    """What the reader made of one page (`pipeline.reading.page.read_scan`), as it is stored."""

    status: str  # accepted | rejected | blank_page
    reasons: tuple[Reason, ...] = ()  # why, for every status but accepted
    code_text: str | None = None
    ballot_page: int | None = None
    width_px: int | None = None
    height_px: int | None = None
    quarter_turns: int | None = None
    px_per_mm: float | None = None
    residual_mm: float | None = None
    homography: list[list[float]] | None = None
    rows: tuple[StoredRow, ...] = ()
    # doubts about an accepted page as a whole (a streak, writing outside the
    # boxes): the page is counted as read until a person rejects it
    doubts: tuple[Reason, ...] = ()
    # the handwriting around the boxes (`omr.likeness.SheetPrint.to_bytes`) of an accepted
    # page: how the same sheet is known when it is scanned again or photocopied
    sheet_print: bytes | None = None

    @property
    def reason(self) -> str | None:
        """Why the page is not accepted, in English (the audit record); None if it is."""
        return english(self.reasons)


def english(reasons: tuple[Reason, ...]) -> str | None:
    """``reasons`` in English, several joined by "; "; None for none."""
    if not reasons:
        return None
    return words(reasons, "en")
