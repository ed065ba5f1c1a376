"""``kiemphieu``: the command line (CONTRACT.md).

Exit status: 0 done; 1 the input or state was refused, with a message on
stderr that says what, where and how to fix it; 2 usage error. No command
prints a Python traceback for bad input; set ``KIEMPHIEU_DEBUG=1`` to see
one for a bug.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.errors import KiemphieuError

app = typer.Typer(
    name="kiemphieu",
    help="Print, scan and count paper ballots for confidence votes (lấy phiếu tín nhiệm).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)

WsArg = Annotated[
    Path, typer.Argument(metavar="WS", help="The campaign workspace folder.", show_default=False)
]


@app.command()
def new(
    campaign_file: Annotated[Path, typer.Argument(metavar="CAMPAIGN.yaml", help="Campaign file.")],
    dir: Annotated[Path, typer.Option("--dir", help="Workspace folder to create.")],
    db: Annotated[str | None, typer.Option(
        "--db", help="Database URL; default SQLite inside the workspace.")] = None,
) -> None:
    """Create a campaign workspace from a campaign file."""
    from pipeline.campaign import load_campaign
    from pipeline.rules import eligibility_findings
    from pipeline.workspace import create_workspace

    campaign = load_campaign(campaign_file)
    for f in eligibility_findings(campaign):
        err.print(f"warning: {campaign_file}, line {f.line}: STT {f.stt} {f.name}: {f.reason}")
    ws = create_workspace(campaign, dir, db)
    out.print(
        f"Created workspace {ws.path} for '{campaign.id}': {len(campaign.candidates)} people "
        f"on {ws.layout.page_count} page(s) per ballot, rules {campaign.rules.name}."
    )
    out.print(f"Next: kiemphieu print {ws.path} --copies {campaign.electorate} --out ballots.pdf")


@app.command()
def check(
    campaign_file: Annotated[Path, typer.Argument(metavar="CAMPAIGN.yaml", help="Campaign file.")],
) -> None:
    """Validate a campaign file (schema, eligibility, Unicode) without creating anything."""
    from pipeline.campaign import load_campaign
    from pipeline.layout import build_layout
    from pipeline.rules import eligibility_findings

    campaign = load_campaign(campaign_file)
    layout = build_layout(campaign)
    findings = eligibility_findings(campaign)
    out.print(
        f"{campaign_file}: campaign '{campaign.id}', rules {campaign.rules.name}, "
        f"{len(campaign.candidates)} people, {layout.page_count} page(s) per ballot."
    )
    if findings:
        for f in findings:
            err.print(
                f"{campaign_file}, line {f.line}: STT {f.stt} {f.name} should not be polled: "
                f"{f.reason}"
            )
        err.print(f"{len(findings)} problem(s): remove these people from 'candidates' and check again.")
        raise typer.Exit(1)
    out.print("OK: nothing to correct.")


@app.command("print")
def print_ballots(
    ws: WsArg,
    copies: Annotated[int, typer.Option("--copies", min=1, max=100_000, help="Ballots to print.")],
    out_file: Annotated[Path, typer.Option("--out", metavar="FILE.pdf", help="PDF to write.")],
) -> None:
    """Write N collated copies of the ballot as a PDF, and WS/layout.json."""
    from pipeline.ballot_pdf import render_ballots
    from pipeline.workspace import open_workspace

    workspace = open_workspace(ws)
    pages = render_ballots(workspace.campaign, workspace.layout, copies, out_file)
    layout_path = workspace.write_layout_json()
    out.print(f"Wrote {out_file}: {copies} ballot(s), {pages} page(s). Layout: {layout_path}")


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
    from pipeline.ingest import PageReport, ingest
    from pipeline.sources import collect_inputs
    from pipeline.workspace import open_workspace

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
    out.print(f"{summary.pages} page(s): {parts}. Rows for review: {summary.rows_to_review}.")


@app.command()
def tally(
    ws: WsArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
) -> None:
    """The confidence breakdown so far."""
    from pipeline.report import print_tally
    from pipeline.tally import compute_tally
    from pipeline.workspace import open_workspace

    result = compute_tally(open_workspace(ws))
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=1) + "\n")
    else:
        print_tally(out, result)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR",
                                          help="Folder for the demo's files.")] = Path("kiemphieu-demo"),
    workers: Annotated[int, typer.Option("--workers", min=1, max=64)] = 1,
) -> None:
    """The whole flow on the bundled sample campaign, with simulated marked scans."""
    from pipeline.demo import run_demo
    from pipeline.report import print_tally
    from pipeline.tally import compute_tally
    from pipeline.workspace import open_workspace

    result = run_demo(out_dir, say=out.print, workers=workers)
    out.print()
    print_tally(out, compute_tally(open_workspace(result.workspace)))
    out.print()
    out.print(
        f"Checked against the simulated truth: {result.pages_matching}/{result.pages_checked} pages "
        f"with the right status; {result.rows_matching}/{result.rows_checked} rows read as marked "
        f"({result.rows_to_review} sent to review)."
    )
    out.print("Where everything went:")
    for label, path in (
        ("printed ballots", result.ballots_pdf),
        ("simulated scans and their truth", result.scans),
        ("workspace (SQLite records, page images, layout.json)", result.workspace),
        ("one JSON line per scanned page", result.jsonl),
        ("the breakdown as JSON", result.tally_json),
    ):
        out.print(f"  {label}: {path}")
    out.print(f"Try: kiemphieu tally {result.workspace}")


def _progress(total: int):
    if not sys.stderr.isatty():
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("[bold]Đang quét[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, transient=False,
    )
    return progress, progress.add_task("", total=total)


def main() -> None:
    """Entry point: run the app; turn refusals into messages and exit status 1."""
    warnings.filterwarnings("ignore", module=r"PIL\..*")  # damaged files get our own message
    try:
        app()  # usage errors exit 2 here, with click's message
    except KiemphieuError as exc:
        err.print(f"error: {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("Interrupted: pages stored so far are kept; run the same command again.")
        sys.exit(130)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"error: {where}{exc.strerror or exc}")
        sys.exit(1)
    except Exception as exc:  # a bug: say so plainly, no traceback unless asked
        if os.environ.get("KIEMPHIEU_DEBUG"):
            traceback.print_exc()
        err.print(f"internal error: {type(exc).__name__}: {exc}. This is a bug in kiemphieu; "
                  f"run again with KIEMPHIEU_DEBUG=1 and report the output.")
        sys.exit(1)


if __name__ == "__main__":
    main()
