"""``kiemphieu scan``: a stack of scans into the workspace."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.cli.console import WsArg, err, out
from pipeline.domain.errors import KiemphieuError
from pipeline.reading.sources import collect_inputs
from pipeline.reading.workers import reader_context
from pipeline.store.workspace import open_workspace
from pipeline.workflow.ingest import PageReport, ingest

app = typer.Typer()


@app.command()
def scan(
    ws: WsArg,
    inputs: Annotated[list[Path], typer.Argument(
        metavar="INPUT...", help="Scan files (PNG, JPEG, TIFF, PDF) or folders of them.")],
    workers: Annotated[int, typer.Option("--workers", min=1, max=64,
                                         help="Processes reading pages.")] = 1,
    jsonl: Annotated[Path | None, typer.Option(
        "--jsonl", metavar="FILE", help="Write one JSON line per input page.")] = None,
) -> None:
    """Ingest scans. Re-running on the same inputs adds nothing twice."""
    if workers > 1:  # the workers' fork server gets ready while this process opens the workspace
        reader_context()
    workspace = open_workspace(ws)
    try:
        files, skipped = collect_inputs(inputs)
    except FileNotFoundError as exc:
        raise KiemphieuError(f"{exc}: no such file or folder") from None
    for line in skipped:
        err.print(line)
    if not files:
        raise KiemphieuError("no scan files among the inputs (PNG, JPEG, TIFF, PDF)")
    jsonl_fh = jsonl.open("w", encoding="utf-8") if jsonl else None
    progress = _progress(len(files))
    seen_sources: set[str] = set()

    def on_report(report: PageReport) -> None:
        if jsonl_fh is not None:
            jsonl_fh.write(json.dumps(report.to_json(), ensure_ascii=False) + "\n")
            jsonl_fh.flush()
        if report.status not in ("accepted", "duplicate"):
            err.print(f"{report.source} page {report.page_index + 1}: {report.status}: "
                      f"{report.reason}")
        if progress is not None:
            if report.source not in seen_sources:
                seen_sources.add(report.source)
                progress[0].update(progress[1], completed=len(seen_sources) - 1)
            progress[0].update(progress[1], description=f"{Path(report.source).name}")

    try:
        if progress is not None:
            progress[0].start()
        summary = ingest(workspace, files, workers=workers, on_report=on_report)
    finally:
        if progress is not None:
            progress[0].update(progress[1], completed=len(files))
            progress[0].stop()
        if jsonl_fh is not None:
            jsonl_fh.close()
    parts = ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items()))
    passed = f" Files skipped: {len(skipped)} (each named above)." if skipped else ""
    out.print(f"{summary.pages} page(s): {parts}. Rows for review: {summary.rows_to_review}."
              f"{passed}")


def _progress(total: int):
    if not sys.stderr.isatty():
        return None

    progress = Progress(
        TextColumn("[bold]Đang quét[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, transient=False,
    )
    return progress, progress.add_task("", total=total)
