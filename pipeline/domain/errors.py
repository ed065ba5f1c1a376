"""Errors a user can meet in the workflow. Each message says what, where and what to do.

The CLI turns every `KiemphieuError` into a message on stderr and exit
status 1; anything else is a bug.
"""

from __future__ import annotations

from typing import Any

from pipeline.domain.wording import t


class KiemphieuError(Exception):
    """Input or state refused; the message is for the person at the keyboard.

    Given a catalog ``key`` (and its parameters) instead of a message, the message is the
    entry's English, and a front end words it in its reader's language from ``key`` and
    ``params`` (`pipeline.domain.wording.t`).
    """

    def __init__(self, message: str | None = None, *, key: str | None = None,
                 **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(message if message is not None else t(key or "", "en", **params))

    def in_words(self, lang: str) -> str:
        """The refusal in ``lang``: its entry, or its message if it has none (so that an error
        can be a parameter of another's sentence, worded in the sentence's language)."""
        return t(self.key, lang, **self.params) if self.key else str(self)


class CampaignError(KiemphieuError):
    """The campaign file is not valid."""


class WorkspaceError(KiemphieuError):
    """The workspace is missing, not a workspace, or in the wrong state."""
