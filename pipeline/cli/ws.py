"""Opening the workspace a command names, with advice for a path that is not one."""

from __future__ import annotations

from pathlib import Path

from pipeline.cli.console import check_workspace_path
from pipeline.store.workspace import Workspace, open_workspace


def open_ws(path: Path) -> Workspace:
    """The workspace at ``path``; a refusal saying what ``path`` is and what was likely meant
    (`pipeline.cli.console.check_workspace_path`) if it is not one."""
    check_workspace_path(path)
    return open_workspace(path)
