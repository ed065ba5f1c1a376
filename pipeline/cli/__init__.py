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

from pipeline.cli.console import err, error_words, say, set_lang
from pipeline.domain.errors import KiemphieuError


class Command(NamedTuple):
    """Where a command lives, and its one-line help for ``kiemphieu --help``."""

    module: str
    help: str
    group: bool = False  # the module's whole Typer app is the command (a group of commands)


#: Every command, in the order ``kiemphieu --help`` lists them.
COMMANDS: dict[str, Command] = {
    "new": Command("pipeline.cli.campaign", "Create a campaign workspace from a campaign file."),
    "check": Command("pipeline.cli.campaign",
                     "Validate a campaign file (schema, eligibility, Unicode) without creating "
                     "anything; or, with --results, list who must face the follow-up confidence "
                     "vote."),
    "print": Command("pipeline.cli.campaign",
                     "Write N collated copies of the ballot as a PDF, and WS/layout.json."),
    "scan": Command("pipeline.cli.scan", "Ingest scans. Re-running on the same inputs adds nothing twice."),
    "tally": Command("pipeline.cli.count", "The confidence breakdown so far."),
    "demo": Command("pipeline.cli.demo",
                    "The whole flow on the bundled sample campaign, with simulated marked scans."),
    "declare": Command("pipeline.cli.count",
                       "Record the committee's hand count, members and head; show the reconciliation."),
    "certify": Command("pipeline.cli.count",
                       "Lock the count once nothing is pending and the hand count reconciles."),
    "export": Command("pipeline.cli.package",
                      "Write the certified package: minutes (PDF, DOCX), CSV, XLSX, JSON, scans, "
                      "signed manifest."),
    "verify": Command("pipeline.cli.package",
                      "Check a certified package: every file's SHA-256, nothing missing or added, "
                      "the signature, the certificate (digest of the records and the decision "
                      "log) and its history."),
    "retally": Command("pipeline.cli.package",
                       "Check the certificate, re-read every stored image and compare the count "
                       "with the certified one."),
    "aggregate": Command("pipeline.cli.package",
                         "Combine the certified packages of many units into one summary (PDF, XLSX, "
                         "JSON)."),
    "page": Command("pipeline.cli.pages",
                    "One stored page: its status, what the machine read, every decision on it; "
                    "the chair declares it invalid, withdraws it, or restores it.", group=True),
    "review": Command("pipeline.cli.review",
                      "List, show and resolve the items the machine was not sure about.", group=True),
    "serve": Command("pipeline.cli.station", "The web review station (queue, dashboard, ballot browser, "
                     "upload)."),
    "explain": Command("pipeline.cli.audit",
                       "Draw what the reader saw on one stored page: marks, grid, each box's numbers, "
                       "each row's decision."),
    "redecide": Command("pipeline.cli.audit",
                        "Decide the stored rows again under the thresholds now in WS/campaign.yaml, "
                        "without rescanning."),
    "stack": Command("pipeline.cli.stacks",
                     "The stacks scanned, their pages and hand counts; the chair withdraws or "
                     "restores a whole stack (list by default).", group=True),
    "testdeck": Command("pipeline.cli.testdeck",
                        "Print the test deck (pre-marked ballots marked MẪU THỬ) with its expected "
                        "tally, or check the count of the scanned deck against it."),
    "user": Command("pipeline.cli.users",
                    "Accounts of the web station: operators, reviewers, the chair.", group=True),
}


class LazyGroup(TyperGroup):
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
            return TyperCommand(cmd_name, help=entry.help, short_help=entry.help)
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


app = typer.Typer(
    name="kiemphieu",
    cls=LazyGroup,
    help="Print, scan and count paper ballots for confidence votes (lấy phiếu tín nhiệm).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    lang: Annotated[str | None, typer.Option(
        "--lang", metavar="vi|en", envvar="KIEMPHIEU_LANG",
        help="The language of messages and tables: vi (default) or en; without it, English "
             "if LC_ALL, LC_MESSAGES or LANG names it.")] = None,
) -> None:
    """Print, scan and count paper ballots for confidence votes (lấy phiếu tín nhiệm)."""
    set_lang(lang)


def main() -> None:
    """Entry point: run the app; turn refusals into messages and exit status 1."""
    warnings.filterwarnings("ignore", module=r"PIL\..*")  # damaged files get our own message
    try:
        app()  # usage errors exit 2 here, with click's message
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
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(say("cli_error", message=f"{where}{exc.strerror or exc}"), markup=False)
        sys.exit(1)
    except Exception as exc:  # a bug: say so plainly, no traceback unless asked
        if os.environ.get("KIEMPHIEU_DEBUG"):
            traceback.print_exc()
        err.print(say("cli_internal_error", error=f"{type(exc).__name__}: {exc}"), markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
