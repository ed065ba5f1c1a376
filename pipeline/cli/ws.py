"""Opening the workspace a command names, with advice for a path that is not one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.console import check_workspace_path, say
from pipeline.store.workspace import Workspace, open_workspace

#: the workspace argument of most commands (its help read once the language is known)
WsArg = Annotated[
    Path, typer.Argument(metavar="WS", help=say("help_ws"), show_default=False)
]


def open_ws(path: Path) -> Workspace:
    """The workspace at ``path``; a refusal saying what ``path`` is and what was likely meant
    (`pipeline.cli.console.check_workspace_path`) if it is not one."""
    check_workspace_path(path)
    return open_workspace(path)
