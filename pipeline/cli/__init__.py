"""``kiemphieu``: the command line (docs/contract.md), one module a command group.

| commands | module |
| --- | --- |
| ``new``, ``check``, ``print`` | `pipeline.cli.campaign` |
| ``scan`` | `pipeline.cli.scan` |
| ``tally``, ``declare``, ``certify`` | `pipeline.cli.count` |
| ``review`` (a group: list, show, resolve, undo) | `pipeline.cli.review` |
| ``page`` (a group: invalid, withdraw, restore) | `pipeline.cli.pages` |
| ``stack`` (a group: list, show, count, withdraw, restore) | `pipeline.cli.stacks` |
| ``testdeck`` | `pipeline.cli.testdeck` |
| ``export``, ``verify``, ``retally``, ``aggregate`` | `pipeline.cli.package` |
| ``serve`` | `pipeline.cli.station` |
| ``explain``, ``redecide`` | `pipeline.cli.audit` |
| ``user`` (a group: add, list, disable) | `pipeline.cli.users` |
| ``demo`` | `pipeline.cli.demo` |

Start-up: a command's module, and with it the libraries it needs (OpenCV,
SQLAlchemy, reportlab, FastAPI...), is imported only when that command runs
(`LazyGroup`: the one place where imports are deferred); ``kiemphieu --help``
imports none of them.

Language: decided once, before the root command is built or any command's module is
imported (`pipeline.cli.console.decide_lang`, called first by `main`): every help string
is a catalog entry read at import (`pipeline.cli.help`), so ``--help`` and the usage errors
speak the run's language like every other message.

Exit status: 0 done; 1 the input or state was refused, with a message on
stderr that says what, where and how to fix it; 2 usage error. No command
prints a Python traceback for bad input; set ``KIEMPHIEU_DEBUG=1`` to see
one for a bug.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
import warnings
from typing import Annotated, Any, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup

from pipeline.cli.console import (
    checked_lang,
    decide_lang,
    err,
    error_words,
    lang,
    say,
    set_lang,
)
from pipeline.cli.help import WordedGroup
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.reasons import failure
from pipeline.domain.wording import words


class Command(NamedTuple):
    """Where a command lives, and its one-line help for ``kiemphieu --help``."""

    module: str
    group: bool = False  # the module's whole Typer app is the command (a group of commands)

    def help_of(self, name: str) -> str:
        """The command's one-line help, in this run's language (catalog key
        ``help_line_<name>``): the first paragraph of the command's own help."""
        return say(f"help_line_{name}")


#: Every command, in the order ``kiemphieu --help`` lists them.
COMMANDS: dict[str, Command] = {
    "new": Command("pipeline.cli.campaign"),
    "check": Command("pipeline.cli.campaign"),
    "print": Command("pipeline.cli.campaign"),
    "scan": Command("pipeline.cli.scan"),
    "tally": Command("pipeline.cli.count"),
    "demo": Command("pipeline.cli.demo"),
    "declare": Command("pipeline.cli.count"),
    "certify": Command("pipeline.cli.count"),
    "export": Command("pipeline.cli.package"),
    "verify": Command("pipeline.cli.package"),
    "retally": Command("pipeline.cli.package"),
    "aggregate": Command("pipeline.cli.package"),
    "page": Command("pipeline.cli.pages", group=True),
    "review": Command("pipeline.cli.review", group=True),
    "serve": Command("pipeline.cli.station"),
    "explain": Command("pipeline.cli.audit"),
    "redecide": Command("pipeline.cli.audit"),
    "stack": Command("pipeline.cli.stacks", group=True),
    "testdeck": Command("pipeline.cli.testdeck"),
    "user": Command("pipeline.cli.users", group=True),
}


class LazyGroup(WordedGroup):
    """The top-level group: each command's module is imported when the command runs.

    Listing the commands (``--help``) uses `COMMANDS` alone and imports nothing.
    """

    listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> TyperCommand | TyperGroup | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        if self.listing:
            line = entry.help_of(cmd_name)
            return TyperCommand(cmd_name, help=line, short_help=line)
        return load_command(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        LazyGroup.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            LazyGroup.listing = False


def load_command(name: str) -> TyperCommand | TyperGroup:
    """The click command ``name`` of `COMMANDS`, its module imported."""
    entry = COMMANDS[name]
    sub = importlib.import_module(entry.module).app
    group = typer.main.get_group(sub)
    if entry.group:
        group.name = name
        return group
    return group.commands[name]


def build_app() -> typer.Typer:
    """The root command, its help in this run's language (decided before: `decide_lang`)."""
    app = typer.Typer(
        name="kiemphieu",
        cls=LazyGroup,
        help=say("help_root"),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def _root(
        lang: Annotated[str | None, typer.Option(
            "--lang", metavar="vi|en", envvar="KIEMPHIEU_LANG", callback=checked_lang,
            help=say("help_root_lang"))]
        = None,
    ) -> None:
        set_lang(lang)

    return app


def main() -> None:
    """Entry point: run the app; turn refusals into messages and exit status 1."""
    warnings.filterwarnings("ignore", module=r"PIL\..*")  # damaged files get our own message
    decide_lang(sys.argv[1:])  # before any help string is read
    try:
        build_app()()  # usage errors exit 2 here, with click's message
    except KiemphieuError as exc:
        err.print(say("cli_error", message=error_words(exc)), markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print(say("cli_interrupted"))
        sys.exit(130)
    except SystemExit as exc:
        if exc.code == 130:  # Typer turns Ctrl+C inside a command into this exit, silently
            err.print(say("cli_interrupted"))
        raise
    except OSError as exc:  # a file or folder the command met: the cause in our words
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(say("cli_error", message=where + words(failure(exc), lang())), markup=False)
        sys.exit(1)
    except Exception as exc:  # a bug: say so plainly, no traceback unless asked
        if os.environ.get("KIEMPHIEU_DEBUG"):
            traceback.print_exc()
        # the exception's own text is English: only its class in another language
        error = f"{type(exc).__name__}: {exc}" if lang() == "en" else type(exc).__name__
        err.print(say("cli_internal_error", error=error), markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
