"""``kiemphieu new``, ``check`` and ``print``: a campaign file, its workspace and its ballots."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.cli.console import err, lang, out, say
from pipeline.cli.help import App
from pipeline.cli.ws import WsArg, open_ws
from pipeline.documents.ballot_pdf import printed_pages, render_ballots
from pipeline.documents.typography import is_party_body, split_body
from pipeline.domain.campaign import Campaign, load_campaign
from pipeline.domain.eligibility import eligibility_findings, follow_up_findings
from pipeline.domain.errors import CampaignError, WorkspaceError
from pipeline.domain.layout import build_layout
from pipeline.domain.reasons import failure
from pipeline.domain.rules import RULE_SETS
from pipeline.domain.wording import percent
from pipeline.reading.printed import references
from pipeline.store.workspace import WORKSPACE_FILE, create_workspace, open_workspace

app = App()


@app.command(help=say("help_cmd_campaign_new"))
def new(
    campaign_file: Annotated[Path, typer.Argument(metavar="CAMPAIGN.yaml",
                                                  help=say("help_campaign_file"))],
    dir: Annotated[Path, typer.Option("--dir", help=say("help_campaign_dir"))],
    db: Annotated[str | None, typer.Option(
        "--db", help=say("help_campaign_db"))] = None,
) -> None:
    """Create a campaign workspace from a campaign file."""
    campaign = load_campaign(campaign_file)
    _warn_unknown_keys(campaign)
    _warn_no_parent_body(campaign, campaign_file)
    for f in eligibility_findings(campaign):
        err.print(say("cli_warning", message=say(
            "cli_check_finding", file=str(campaign_file), line=f.line, stt=f.stt, name=f.name,
            reason=f.reason)), markup=False)
    ws = create_workspace(campaign, dir, db, source=campaign_file)
    # the printed pages every scan compares with, rendered here once, not by the first scan
    references(ws.layout, render=printed_pages, kept_in=ws.printed_dir)
    where = (say("cli_forms", n=len(campaign.forms), pages=ws.layout.page_count)
             if campaign.forms else say("cli_pages_per_ballot", pages=ws.layout.page_count))
    out.print(say("cli_new", path=str(ws.path), campaign=campaign.id,
                  people=len(campaign.candidates), where=where,
                  rules=campaign.rules.name), markup=False)
    out.print(say("cli_next", command=f"kiemphieu print {ws.path} --copies {campaign.electorate} "
                                      "--out phieu.pdf"), markup=False)


@app.command(help=say("help_cmd_campaign_check"))
def check(
    campaign_file: Annotated[Path | None, typer.Argument(
        metavar="[CAMPAIGN.yaml]", help=say("help_campaign_file"))] = None,
    results: Annotated[Path | None, typer.Option(
        "--results", metavar="PKG_OR_WS",
        help=say("help_campaign_results"))] = None,
    previous: Annotated[Path | None, typer.Option(
        "--previous", metavar="PKG_OR_WS",
        help=say("help_campaign_previous"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=say("help_campaign_json"))] = False,
) -> None:
    """Validate a campaign file (schema, eligibility, Unicode) without creating anything;
    or, with --results, list who must face the follow-up confidence vote."""
    if results is not None:
        _check_results(results, previous, as_json)
        return
    if campaign_file is None or previous is not None:
        raise typer.BadParameter(say("cli_check_usage"))
    campaign = load_campaign(campaign_file)
    _warn_unknown_keys(campaign)
    _warn_no_parent_body(campaign, campaign_file)
    layout = build_layout(campaign)
    findings = eligibility_findings(campaign)
    if campaign.seal == "required" and not layout.spec.get("seal"):
        err.print(say("cli_check_no_seal_place", file=str(campaign_file), layout=campaign.layout),
                  markup=False)
        raise typer.Exit(1)
    where = (say("cli_forms", n=len(campaign.forms), pages=layout.page_count)
             if campaign.forms else say("cli_pages_per_ballot", pages=layout.page_count))
    out.print(say("cli_check", file=str(campaign_file), campaign=campaign.id,
                  rules=campaign.rules.name, people=len(campaign.candidates), where=where),
              markup=False)
    if findings:
        for f in findings:
            err.print(say("cli_check_not_polled", file=str(campaign_file), line=f.line,
                          stt=f.stt, name=f.name, reason=f.reason), markup=False)
        err.print(say("cli_check_problems", n=len(findings)), markup=False)
        raise typer.Exit(1)
    out.print(say("cli_check_ok"))


def _warn_unknown_keys(campaign: Campaign) -> None:
    """A warning for every key of the campaign file that is not used (a misspelt one)."""
    for note in campaign.notes:
        err.print(say("cli_warning", message=note.in_words(lang())), markup=False)


def _warn_no_parent_body(campaign: Campaign, campaign_file: Path) -> None:
    """A Party body's documents head with the body above it (Hướng dẫn 36-HD/VPTW): a
    warning when the campaign file does not name it (``parent_body:``)."""
    body_name, _ = split_body(campaign.body)
    if is_party_body(body_name) and not campaign.parent_body:
        err.print(say("cli_warning", message=say(
            "cli_check_no_parent_body", file=str(campaign_file), body=body_name)), markup=False)


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
        out.print(say("cli_follow_up_none_rules", campaign=result["campaign"], rules=rules.name),
                  markup=False)
    elif not found:
        out.print(say("cli_follow_up_nobody", campaign=result["campaign"], rules=rules.name),
                  markup=False)
    else:
        out.print(say("cli_follow_up_some", campaign=result["campaign"], rules=rules.name,
                      n=len(found)), markup=False)
    for f in found:
        pct = f" ({percent(f.percent, 'vi')})" if f.percent is not None else ""
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
        raise WorkspaceError(key="cli_results_unread", path=str(path),
                             detail=failure(exc)) from None
    if not isinstance(result, dict) or "candidates" not in result or "rules" not in result:
        raise WorkspaceError(key="cli_results_not", path=str(file))
    return result


@app.command("print", help=say("help_cmd_campaign_print"))
def print_ballots(
    ws: WsArg,
    copies: Annotated[int, typer.Option("--copies", min=1, max=100_000, help=say("help_campaign_copies"))],
    out_file: Annotated[Path, typer.Option("--out", metavar="FILE.pdf", help=say("help_campaign_out"))],
    form: Annotated[str | None, typer.Option(
        "--form", metavar="ID", help=say("help_campaign_form"))] = None,
) -> None:
    """Write N collated copies of the ballot as a PDF, and WS/layout.json.

    A campaign of several ballot forms gets one PDF a form, each for its own paper:
    FILE-ID.pdf beside FILE.pdf (or only FILE.pdf, of the form --form names).
    """
    workspace = open_ws(ws)
    campaign, layout = workspace.campaign, workspace.layout
    forms = [f.id for f in campaign.forms]
    if form is not None and form not in forms:
        raise CampaignError(key="cli_print_no_form", ws=str(ws), form=form,
                            campaign=campaign.id, known=", ".join(forms) or "-")
    if not forms:
        pages = render_ballots(campaign, layout, copies, out_file)
        out.print(say("cli_printed", file=str(out_file), copies=copies, pages=pages),
                  markup=False)
    for f in campaign.forms:
        if form is not None and f.id != form:
            continue
        target = out_file if form is not None else \
            out_file.with_name(f"{out_file.stem}-{f.id}{out_file.suffix or '.pdf'}")
        pages = render_ballots(campaign, layout, copies, target, form=f.id)
        paper = say("cli_printed_paper", paper=f.paper) if f.paper else ""
        out.print(say("cli_printed_form", file=str(target), form=f.id, title=f.title,
                      paper=paper, copies=copies, pages=pages), markup=False)
    out.print(say("cli_layout", path=str(workspace.write_layout_json())), markup=False)
