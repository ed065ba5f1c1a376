"""``kiemphieu scan``: a stack of scans into the workspace.

Progress counts pages (a PDF's pages, a TIFF's frames), not files. Pages refused by name
(another campaign's ballots, a test deck's sheets in the real count: `pipeline.domain.
reasons.REFUSED_BY_NAME`) are stored as rejected without a review item, and the command
exits 1 saying so, after every other page is stored.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.cli.console import err, lang, out, say
from pipeline.cli.help import App
from pipeline.cli.ws import WsArg, open_ws
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.reasons import refused_by_name
from pipeline.domain.wording import words
from pipeline.reading.sources import collect_inputs, count_pages
from pipeline.reading.workers import reader_context
from pipeline.workflow.ingest import PageReport, ingest

app = App()

STATUSES = ("accepted", "duplicate", "blank_page", "rejected")


@app.command(help=say("help_cmd_scan_scan"))
def scan(
    ws: WsArg,
    inputs: Annotated[list[Path], typer.Argument(
        metavar="INPUT...", help=say("help_scan_input"))],
    workers: Annotated[int, typer.Option("--workers", min=1, max=64,
                                         help=say("help_scan_workers"))] = 1,
    jsonl: Annotated[Path | None, typer.Option(
        "--jsonl", metavar="FILE", help=say("help_scan_jsonl"))] = None,
    station: Annotated[str | None, typer.Option(
        "--station", metavar="NAME",
        help=say("help_scan_station"))]
    = None,
) -> None:
    """Ingest scans. Re-running on the same inputs adds nothing twice."""
    if workers > 1:  # the workers' fork server gets ready while this process opens the workspace
        reader_context()
    workspace = open_ws(ws)
    try:
        files, skipped = collect_inputs(inputs)
    except FileNotFoundError as exc:
        raise KiemphieuError(key="cli_scan_no_input", path=str(exc)) from None
    for skip in skipped:
        err.print(say("cli_scan_skipped_why", path=str(skip.path), why=skip.in_words(lang())),
                  markup=False)
    if not files:
        raise KiemphieuError(key="cli_scan_no_files")
    jsonl_fh = jsonl.open("w", encoding="utf-8") if jsonl else None
    progress = _progress(files)
    refused: list[PageReport] = []

    def on_report(report: PageReport) -> None:
        if jsonl_fh is not None:
            jsonl_fh.write(json.dumps(report.to_json(), ensure_ascii=False) + "\n")
            jsonl_fh.flush()
        if report.status == "rejected" and refused_by_name(report.reasons):
            refused.append(report)  # said once, at the end
        elif report.status not in ("accepted", "duplicate"):
            err.print(say("cli_scan_page_problem", source=report.source, page=report.page_index + 1,
                          status=say(f"cli_status_{report.status}"),
                          reason=words(report.reasons, lang())), markup=False)
        if progress is not None:
            progress[0].update(progress[1], advance=1, description=Path(report.source).name)

    try:
        if progress is not None:
            progress[0].start()
        summary = ingest(workspace, files, workers=workers, on_report=on_report,
                         station=station)
    finally:
        if progress is not None:
            progress[0].stop()
        if jsonl_fh is not None:
            jsonl_fh.close()
    parts = ", ".join(say(f"cli_scan_n_{s}", n=summary.by_status[s])
                      for s in STATUSES if summary.by_status.get(s))
    out.print(say("cli_scan_summary", pages=summary.pages, parts=parts or "-",
                  rows=summary.rows_to_review, stack=summary.stack)
              + (say("cli_scan_skipped_n", n=len(skipped)) if skipped else ""), markup=False)
    if refused:
        pages = "; ".join(say("cli_scan_where", source=r.source, page=r.page_index + 1)
                          for r in refused[:8]) + ("; ..." if len(refused) > 8 else "")
        err.print(say("cli_scan_refused", n=len(refused), pages=pages,
                      reason=words(refused[0].reasons, lang()), ws=str(ws)), markup=False)
        raise typer.Exit(1)


def _progress(files: list[Path]):
    if not sys.stderr.isatty():
        return None
    total = sum(count_pages(f) for f in files)
    progress = Progress(
        TextColumn(say("cli_scan_progress") + " {task.description}"), BarColumn(),
        MofNCompleteColumn(), TextColumn(say("cli_scan_pages_unit")), TimeElapsedColumn(),
        console=err, transient=False,
    )
    return progress, progress.add_task("", total=total)
