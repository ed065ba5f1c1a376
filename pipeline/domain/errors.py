"""Errors a user can meet in the workflow. Each message says what, where and what to do.

The CLI turns every `KiemphieuError` into a message on stderr and exit
status 1; anything else is a bug.
"""

from __future__ import annotations


class KiemphieuError(Exception):
    """Input or state refused; the message is for the person at the keyboard."""


class CampaignError(KiemphieuError):
    """The campaign file is not valid."""


class WorkspaceError(KiemphieuError):
    """The workspace is missing, not a workspace, or in the wrong state."""
