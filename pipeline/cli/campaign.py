"""``kiemphieu new``, ``check`` and ``print``: a campaign file, its workspace and its ballots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.console import WsArg, err, out
from pipeline.documents.ballot_pdf import printed_pages, render_ballots
from pipeline.domain.campaign import load_campaign
from pipeline.domain.eligibility import eligibility_findings
from pipeline.domain.layout import build_layout
from pipeline.reading.printed import references
from pipeline.store.workspace import create_workspace, open_workspace

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
        err.print(f"warning: {campaign_file}, line {f.line}: STT {f.stt} {f.name}: {f.reason}")
    ws = create_workspace(campaign, dir, db, source=campaign_file)
    # the printed pages every scan compares with, rendered here once, not by the first scan
    references(ws.layout, render=printed_pages, kept_in=ws.printed_dir)
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
    campaign = load_campaign(campaign_file)
    layout = build_layout(campaign)
    findings = eligibility_findings(campaign)
    if campaign.seal == "required" and not layout.spec.get("seal"):
        err.print(f"{campaign_file}: 'seal: required', but the layout '{campaign.layout}' prints "
                  f"no place for the seal: use a layout with a 'seal:' place, or "
                  f"'seal: optional'.")
        raise typer.Exit(1)
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
    workspace = open_workspace(ws)
    pages = render_ballots(workspace.campaign, workspace.layout, copies, out_file)
    layout_path = workspace.write_layout_json()
    out.print(f"Wrote {out_file}: {copies} ballot(s), {pages} page(s). Layout: {layout_path}")
