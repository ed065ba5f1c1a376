"""``kiemphieu tally``, ``declare`` and ``certify``: the count, the committee's hand count, the lock."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from pipeline.cli.console import err, lang, out, say, when
from pipeline.cli.help import App
from pipeline.cli.report import print_tally
from pipeline.cli.ws import WsArg, open_ws
from pipeline.domain.certificate import grouped
from pipeline.workflow.certify import CertifyRefused, reconcile
from pipeline.workflow.certify import certify as do_certify
from pipeline.workflow.certify import declare as do_declare
from pipeline.workflow.stacks import tally_json

app = App()


@app.command(help=say("help_cmd_count_tally"))
def tally(
    ws: WsArg,
    as_json: Annotated[bool, typer.Option("--json", help=say("help_count_json"))] = False,
) -> None:
    """The confidence breakdown so far."""
    workspace = open_ws(ws)
    if as_json:
        sys.stdout.write(json.dumps(tally_json(workspace), ensure_ascii=False, indent=1) + "\n")
    else:
        print_tally(out, workspace.tally())


@app.command(help=say("help_cmd_count_declare"))
def declare(
    ws: WsArg,
    issued: Annotated[int | None, typer.Option(
        "--issued", min=0, help=say("help_count_issued"))] = None,
    collected: Annotated[int | None, typer.Option(
        "--collected", min=0, help=say("help_count_collected"))] = None,
    head: Annotated[str | None, typer.Option(
        "--head", metavar="NAME", help=say("help_count_head"))] = None,
    member: Annotated[list[str] | None, typer.Option(
        "--member", metavar="NAME|ROLE",
        help=say("help_count_member"))] = None,
    note: Annotated[str | None, typer.Option(
        "--note", metavar="TEXT", help=say("help_count_note"))] = None,
    form: Annotated[str | None, typer.Option(
        "--form", metavar="ID",
        help=say("help_count_form"))] = None,
) -> None:
    """Record the committee's hand count, members and head; show the reconciliation."""
    workspace = open_ws(ws)
    d = do_declare(workspace, issued=issued, collected=collected, head=head, members=member,
                   note=note, form=form)
    none = say("cli_not_declared")
    out.print(say("cli_declared", issued=none if d.issued is None else d.issued,
                  collected=none if d.collected is None else d.collected,
                  head=d.head or "-", members=len(d.members)), markup=False)
    if d.note:
        out.print(say("cli_declared_note", note=d.note), markup=False)
    for fid, figures in sorted(workspace.store.declared_forms().items()):
        out.print(say("cli_declared_form", form=fid,
                      issued=none if figures.get("issued") is None else figures["issued"],
                      collected=none if figures.get("collected") is None
                      else figures["collected"]), markup=False)
    _print_reconciliation(reconcile(workspace), str(ws))


def _print_reconciliation(recon, ws: str) -> None:
    pages = ", ".join(say("cli_recon_page", page=p, n=recon.pages_accepted.get(p, 0))
                      for p in range(1, recon.page_count + 1))
    out.print(say("cli_recon_scanned", pages=pages))
    if recon.matches:
        out.print(say("cli_recon_matches"))
    for m in recon.mismatches:
        err.print(say("cli_recon_mismatch", what=m.vi if lang() == "vi" else m.en), markup=False)
    if recon.blocks:
        err.print(say("cli_recon_blocks", ws=ws), markup=False)
    if recon.quorum_warning:
        err.print(say("cli_warning", message=recon.quorum_warning), markup=False)


@app.command(help=say("help_cmd_count_certify"))
def certify(
    ws: WsArg,
    by: Annotated[str | None, typer.Option(
        "--by", metavar="NAME", help=say("help_count_by"))] = None,
) -> None:
    """Lock the count once nothing is pending and the hand count reconciles."""
    workspace = open_ws(ws)
    try:
        record = do_certify(workspace, by)
    except CertifyRefused as refused:
        if not refused.blockers:
            raise
        err.print(say("cli_certify_blocked", ws=str(ws), n=len(refused.blockers)), markup=False)
        for i, b in enumerate(refused.blockers, 1):
            if lang() == "vi":
                err.print(f"  {i}. {b.vi}", markup=False)
                err.print("     " + say(f"cli_certify_do_{b.kind}", ws=str(ws)), markup=False)
            else:
                err.print(f"  {i}. {b.en}", markup=False)
        raise typer.Exit(1) from None
    cert = record["certificate"]
    out.print(say("cli_certified", by=record["by"], at=when(record["at"]),
                  campaign=workspace.campaign.id), markup=False)
    out.print(say("cli_certificate", number=cert["number"], digest=grouped(cert["digest"]),
                  fingerprint=grouped(cert["key_sha256"])), markup=False)
    if cert["number"] > 1:
        err.print(say("cli_recertified", previous=cert["number"] - 1,
                      digest=grouped(cert["previous"] or "")), markup=False)
    out.print(say("cli_next", command=f"kiemphieu export {ws} --out {say('cli_package_dir')}"),
              markup=False)
