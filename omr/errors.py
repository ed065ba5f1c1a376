"""The ways reading a page can fail, as typed values.

Every error carries ``code``, a short machine string the ingest stores and
counts by, and ``reasons``: what was found, as `omr.reasons.Reason` values
whose words (in the catalogs) tell the person at the scanner what to do
next; the first is why the page is refused, any more what explains it (a
scanner streak through a mark). The reader raises these and nothing else
for a page it cannot read; a programming error (a wrong array type) is a
``ValueError``.
"""

from __future__ import annotations

from omr.reasons import Reason


class ReadError(Exception):
    """A page the reader refuses to interpret; see ``code`` and ``reasons``."""

    code: str = "read_error"

    def __init__(self, reason: Reason, *more: Reason) -> None:
        super().__init__(reason, *more)
        self.reasons: tuple[Reason, ...] = (reason, *more)

    def __str__(self) -> str:
        return f"{self.code}: {'; '.join(r.code for r in self.reasons)}"


class BlankPage(ReadError):
    """An empty sheet or a duplex back: no registration marks and almost no ink."""

    code = "blank_page"


class PageNotPlaced(ReadError):
    """The registration marks are missing or inconsistent: the page cannot be placed exactly."""

    code = "not_placed"


class CodeUnreadable(ReadError):
    """The page was placed, but its QR code cannot be read.

    ``registration`` (an `omr.transform.Registration`) is where the page was
    placed, when the error comes from a reading that placed it.
    """

    code = "code_unreadable"

    def __init__(self, reason: Reason, *more: Reason, registration: object | None = None) -> None:
        super().__init__(reason, *more)
        self.registration = registration


class PageTooSmall(ReadError):
    """The image is too small on a side to be a scanned page; placing it is not tried."""

    code = "too_small"
