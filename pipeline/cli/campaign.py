"""``kiemphieu new``, ``check`` and ``print``: a campaign file, its workspace and its ballots."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.cli.console import WsArg, err, out
from pipeline.documents.ballot_pdf import printed_pages, render_ballots
from pipeline.domain.campaign import load_campaign
from pipeline.domain.eligibility import eligibility_findings, follow_up_findings
from pipeline.domain.errors import CampaignError, WorkspaceError
from pipeline.domain.layout import build_layout
from pipeline.domain.rules import RULE_SETS
from pipeline.reading.printed import references
from pipeline.store.workspace import WORKSPACE_FILE, create_workspace, open_workspace

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
    where = (f"{len(campaign.forms)} ballot forms ({ws.layout.page_count} pages)"
             if campaign.forms else f"{ws.layout.page_count} page(s) per ballot")
    out.print(
        f"Created workspace {ws.path} for '{campaign.id}': {len(campaign.candidates)} people "
        f"on {where}, rules {campaign.rules.name}."
    )
    out.print(f"Next: kiemphieu print {ws.path} --copies {campaign.electorate} --out ballots.pdf")


@app.command()
def check(
    campaign_file: Annotated[Path | None, typer.Argument(
        metavar="[CAMPAIGN.yaml]", help="Campaign file.")] = None,
    results: Annotated[Path | None, typer.Option(
        "--results", metavar="PKG_OR_WS",
        help="A poll's results (a workspace, a package or its tally.json): list who must face "
             "the follow-up confidence vote (bỏ phiếu tín nhiệm) under its rules.")] = None,
    previous: Annotated[Path | None, typer.Option(
        "--previous", metavar="PKG_OR_WS",
        help="With --results: the poll of the year before, for 'over half low two years "
             "running' where the rules say so.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="With --results: JSON.")] = False,
) -> None:
    """Validate a campaign file (schema, eligibility, Unicode) without creating anything."""
    if results is not None:
        _check_results(results, previous, as_json)
        return
    if campaign_file is None or previous is not None:
        raise typer.BadParameter("give CAMPAIGN.yaml, or --results PKG_OR_WS [--previous ...]")
    campaign = load_campaign(campaign_file)
    layout = build_layout(campaign)
    findings = eligibility_findings(campaign)
    forms = f" on {len(campaign.forms)} ballot forms" if campaign.forms else " per ballot"
    out.print(
        f"{campaign_file}: campaign '{campaign.id}', rules {campaign.rules.name}, "
        f"{len(campaign.candidates)} people, {layout.page_count} page(s){forms}."
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


def _check_results(path: Path, previous: Path | None, as_json: bool) -> None:
    result = _results(path)
    found = follow_up_findings(result, _results(previous) if previous is not None else None)
    if as_json:
        sys.stdout.write(json.dumps({
            "campaign": result["campaign"], "rules": result["rules"],
            "follow_up": [{"candidate": f.stt, "name": f.name, "position": f.position,
                           "low": f.low, "base": f.base, "percent": f.percent,
                           "reasons": list(f.reasons)} for f in found],
        }, ensure_ascii=False, indent=1) + "\n")
        return
    rules = RULE_SETS[result["rules"]]
    if not rules.follow_up:
        out.print(f"{result['campaign']} ({rules.name}): các quy định này không có bỏ phiếu tín "
                  "nhiệm bắt buộc sau lấy phiếu.")
    elif not found:
        out.print(f"{result['campaign']} ({rules.name}): không có người nào phải đưa ra bỏ phiếu "
                  "tín nhiệm.")
    else:
        out.print(f"{result['campaign']} ({rules.name}): {len(found)} người phải đưa ra bỏ phiếu "
                  "tín nhiệm:")
    for f in found:
        pct = f" ({vn_percent(f.percent)}%)" if f.percent is not None else ""
        out.print(f"  STT {f.stt} {f.name}, {f.position}: {f.low}/{f.base} phiếu tín nhiệm "
                  f"thấp{pct}; " + "; ".join(f.reasons) + ".", markup=False)


def _results(path: Path) -> dict[str, Any]:
    """A poll's ``tally --json`` from a workspace, a package folder or a tally.json file."""
    if (path / WORKSPACE_FILE).is_file():
        return open_workspace(path).tally().to_json()
    file = path / "tally.json" if path.is_dir() else path
    try:
        result = json.loads(file.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"{path}: not a workspace, a package or a tally.json that can be "
                             f"read ({exc})") from None
    if not isinstance(result, dict) or "candidates" not in result or "rules" not in result:
        raise WorkspaceError(f"{file}: not the results of a count (tally --json)")
    return result


def vn_percent(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


@app.command("print")
def print_ballots(
    ws: WsArg,
    copies: Annotated[int, typer.Option("--copies", min=1, max=100_000, help="Ballots to print.")],
    out_file: Annotated[Path, typer.Option("--out", metavar="FILE.pdf", help="PDF to write.")],
    form: Annotated[str | None, typer.Option(
        "--form", metavar="ID", help="Only this ballot form (a campaign with 'forms:').")] = None,
) -> None:
    """Write N collated copies of the ballot as a PDF, and WS/layout.json.

    A campaign of several ballot forms gets one PDF a form, each for its own paper:
    FILE-ID.pdf beside FILE.pdf (or only FILE.pdf, of the form --form names).
    """
    workspace = open_workspace(ws)
    campaign, layout = workspace.campaign, workspace.layout
    forms = [f.id for f in campaign.forms]
    if form is not None and form not in forms:
        known = f"use one of {', '.join(forms)}" if forms else "this campaign has one form"
        raise CampaignError(f"{ws}: --form '{form}' is not a ballot form of "
                            f"'{campaign.id}'; {known}")
    if not forms:
        pages = render_ballots(campaign, layout, copies, out_file)
        out.print(f"Wrote {out_file}: {copies} ballot(s), {pages} page(s).")
    for f in campaign.forms:
        if form is not None and f.id != form:
            continue
        target = out_file if form is not None else \
            out_file.with_name(f"{out_file.stem}-{f.id}{out_file.suffix or '.pdf'}")
        pages = render_ballots(campaign, layout, copies, target, form=f.id)
        paper = f" on {f.paper}" if f.paper else ""
        out.print(f"Wrote {target}: form '{f.id}' ({f.title}){paper}, {copies} ballot(s), "
                  f"{pages} page(s).")
    out.print(f"Layout: {workspace.write_layout_json()}")
