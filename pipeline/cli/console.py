"""What every command shares: the two consoles and the workspace argument."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)

WsArg = Annotated[
    Path, typer.Argument(metavar="WS", help="The campaign workspace folder.", show_default=False)
]
