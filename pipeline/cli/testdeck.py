"""``kiemphieu testdeck``: print the test deck (pre-marked MẪU THỬ ballots and their expected
tally), and check a count of it (`pipeline.workflow.testdeck`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from pipeline.cli.console import err, lang, out, say
from pipeline.cli.help import App
from pipeline.cli.ws import WsArg, open_ws
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.wording import t
from pipeline.reading.sources import collect_inputs
from pipeline.workflow.ingest import ingest
from pipeline.workflow.testdeck import (
    DeckCheck,
    DeckLine,
    check_deck,
    make_deck,
    open_test_workspace,
)

app = App()


@app.command(help=say("help_cmd_testdeck_testdeck"))
def testdeck(
    ws: WsArg,
    out_file: Annotated[Path | None, typer.Option(
        "--out", metavar="FILE.pdf",
        help=say("help_testdeck_out"))] = None,
    copies: Annotated[int, typer.Option("--copies", min=1, max=200,
                                        help=say("help_testdeck_copies"))] = 6,
    check: Annotated[bool, typer.Option(
        "--check", help=say("help_testdeck_check"))] = False,
    scans: Annotated[list[Path] | None, typer.Argument(
        metavar="[SCANS...]", help=say("help_testdeck_scans"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=say("help_testdeck_json"))]
    = False,
) -> None:
    """Print the test deck (pre-marked ballots marked MẪU THỬ) with its expected tally, or
    check the count of the scanned deck against it."""
    if (out_file is None) == (not check):
        raise typer.BadParameter(say("cli_testdeck_usage"))
    workspace = open_ws(ws)
    if out_file is not None:
        deck = make_deck(workspace, out_file, copies)
        out.print(say("cli_testdeck_made", pdf=str(deck.pdf), copies=copies, pages=deck.pages,
                      expected=str(deck.expected), test_ws=str(deck.test_workspace)),
                  markup=False)
        out.print(say("cli_next", command=f"kiemphieu testdeck {ws} --check SCANS..."),
                  markup=False)
        return
    test_ws = open_test_workspace(workspace)
    if scans:
        try:
            files, _ = collect_inputs(scans)
        except FileNotFoundError as exc:
            raise KiemphieuError(key="cli_scan_no_input", path=str(exc)) from None
        summary = ingest(test_ws, files)
        (err if as_json else out).print(say(
            "cli_testdeck_scanned", pages=summary.pages,
            accepted=summary.by_status.get("accepted", 0), stack=summary.stack), markup=False)
    result = check_deck(test_ws)
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=1) + "\n")
    else:
        _print_check(result)
    if not result.ok:
        raise typer.Exit(1)


def _print_check(result: DeckCheck) -> None:
    """One line a person: each figure as counted, and "phải ra N" beside one that is wrong."""
    lg = lang()
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column(t("stt", lg), justify="right")
    table.add_column(t("name", lg), overflow="fold")
    for what in sorted({line.what for line in result.lines[1:]},
                       key=[x.what for x in result.lines].index):
        table.add_column(t(what, lg), justify="right")
    table.add_column("", no_wrap=True)
    ballots = result.lines[0]
    out.print(say("cli_testdeck_ballots_line", expected=ballots.expected, counted=ballots.counted,
                  verdict=say("cli_testdeck_ok") if ballots.ok else say("cli_testdeck_wrong")),
              markup=False)
    people: dict[int, list[DeckLine]] = {}
    for line in result.lines[1:]:
        people.setdefault(line.candidate or 0, []).append(line)
    for stt, lines in people.items():
        ok = all(x.ok for x in lines)
        table.add_row(str(stt), lines[0].name,
                      *(str(x.counted) if x.ok else say("cli_testdeck_cell", counted=x.counted,
                                                        expected=x.expected) for x in lines),
                      say("cli_testdeck_ok") if ok else say("cli_testdeck_wrong"),
                      style=None if ok else "bold red")
    out.print(table)
    if result.pending:
        err.print(say("cli_testdeck_pending", n=result.pending))
    if result.rejected:
        err.print(say("cli_testdeck_rejected", n=result.rejected))
    wrong = sum(1 for line in result.lines if not line.ok)
    if result.ok:
        out.print(say("cli_testdeck_pass", copies=result.copies), style="bold green")
    else:
        err.print(say("cli_testdeck_fail", n=wrong), style="bold red")
