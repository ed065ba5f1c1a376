"""``kiemphieu new``, ``check`` and ``print``: a campaign file, its workspace and its ballots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.console import WsArg, err, out, say
from pipeline.cli.ws import open_ws
from pipeline.documents.ballot_pdf import printed_pages, render_ballots
from pipeline.domain.campaign import load_campaign
from pipeline.domain.eligibility import eligibility_findings
from pipeline.domain.layout import build_layout
from pipeline.reading.printed import references
from pipeline.store.workspace import create_workspace

app = typer.Typer()


@app.command()
def new(
    campaign_file: Annotated[Path, typer.Argument(metavar="CAMPAIGN.yaml", help="Campaign file.")],
    dir: Annotated[Path, typer.Option("--dir", help="Workspace folder to create.")],
    db: Annotated[str | None, typer.Option(
        "--db", help="Database URL; default SQLite inside the workspace.")] = None,
) -> None:
    """Create a campaign workspace from a campaign file."""
    campaign = load_campaign(campaign_file)
    for f in eligibility_findings(campaign):
        err.print(say("cli_warning", message=say(
            "cli_check_finding", file=str(campaign_file), line=f.line, stt=f.stt, name=f.name,
            reason=f.reason)), markup=False)
    ws = create_workspace(campaign, dir, db, source=campaign_file)
    # the printed pages every scan compares with, rendered here once, not by the first scan
    references(ws.layout, render=printed_pages, kept_in=ws.printed_dir)
    out.print(say("cli_new", path=str(ws.path), campaign=campaign.id,
                  people=len(campaign.candidates), pages=ws.layout.page_count,
                  rules=campaign.rules.name), markup=False)
    out.print(say("cli_next", command=f"kiemphieu print {ws.path} --copies {campaign.electorate} "
                                      "--out phieu.pdf"), markup=False)


@app.command()
def check(
    campaign_file: Annotated[Path, typer.Argument(metavar="CAMPAIGN.yaml", help="Campaign file.")],
) -> None:
    """Validate a campaign file (schema, eligibility, Unicode) without creating anything."""
    campaign = load_campaign(campaign_file)
    layout = build_layout(campaign)
    findings = eligibility_findings(campaign)
    out.print(say("cli_check", file=str(campaign_file), campaign=campaign.id,
                  rules=campaign.rules.name, people=len(campaign.candidates),
                  pages=layout.page_count), markup=False)
    if findings:
        for f in findings:
            err.print(say("cli_check_not_polled", file=str(campaign_file), line=f.line,
                          stt=f.stt, name=f.name, reason=f.reason), markup=False)
        err.print(say("cli_check_problems", n=len(findings)), markup=False)
        raise typer.Exit(1)
    out.print(say("cli_check_ok"))


@app.command("print")
def print_ballots(
    ws: WsArg,
    copies: Annotated[int, typer.Option("--copies", min=1, max=100_000, help="Ballots to print.")],
    out_file: Annotated[Path, typer.Option("--out", metavar="FILE.pdf", help="PDF to write.")],
) -> None:
    """Write N collated copies of the ballot as a PDF, and WS/layout.json."""
    workspace = open_ws(ws)
    pages = render_ballots(workspace.campaign, workspace.layout, copies, out_file)
    layout_path = workspace.write_layout_json()
    out.print(say("cli_printed", file=str(out_file), copies=copies, pages=pages,
                  layout=str(layout_path)), markup=False)
