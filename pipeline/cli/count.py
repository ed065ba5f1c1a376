"""``kiemphieu tally``, ``declare`` and ``certify``: the count, the committee's hand count, the lock."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from pipeline.cli.console import WsArg, err, out
from pipeline.cli.report import print_tally
from pipeline.domain.certificate import grouped
from pipeline.store.workspace import open_workspace
from pipeline.workflow.certify import CertifyRefused, reconcile
from pipeline.workflow.certify import certify as do_certify
from pipeline.workflow.certify import declare as do_declare

app = typer.Typer()


@app.command()
def tally(
    ws: WsArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
) -> None:
    """The confidence breakdown so far."""
    result = open_workspace(ws).tally()
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=1) + "\n")
    else:
        print_tally(out, result)


@app.command()
def declare(
    ws: WsArg,
    issued: Annotated[int | None, typer.Option(
        "--issued", min=0, help="Ballots the committee handed out (số phiếu phát ra).")] = None,
    collected: Annotated[int | None, typer.Option(
        "--collected", min=0, help="Ballots collected, the committee's own count (số phiếu thu về).")] = None,
    head: Annotated[str | None, typer.Option(
        "--head", metavar="NAME", help="The committee's head (Trưởng ban kiểm phiếu).")] = None,
    member: Annotated[list[str] | None, typer.Option(
        "--member", metavar="NAME|ROLE",
        help="A committee member, e.g. \"Lê Văn C|Thành viên\"; repeat for each. "
             "Given once, replaces the whole list.")] = None,
    note: Annotated[str | None, typer.Option(
        "--note", metavar="TEXT", help="The committee's explanation of a mismatch.")] = None,
    form: Annotated[str | None, typer.Option(
        "--form", metavar="ID",
        help="--issued and --collected are this ballot form's (a campaign with 'forms:').")] = None,
) -> None:
    """Record the committee's hand count, members and head; show the reconciliation."""
    workspace = open_workspace(ws)
    d = do_declare(workspace, issued=issued, collected=collected, head=head, members=member,
                   note=note, form=form)
    out.print(f"Declared: issued {d.issued}, collected {d.collected}; head {d.head or '-'}; "
              f"{len(d.members)} member(s)." + (f" Note: {d.note}" if d.note else ""))
    for fid, figures in sorted(workspace.store.declared_forms().items()):
        out.print(f"  form {fid}: issued {figures.get('issued')}, "
                  f"collected {figures.get('collected')}")
    _print_reconciliation(reconcile(workspace))


def _print_reconciliation(recon) -> None:
    pages = ", ".join(f"page {p}: {recon.pages_accepted.get(p, 0)}"
                      for p in range(1, recon.page_count + 1))
    out.print(f"Scanned and accepted: {pages}.")
    if recon.matches:
        out.print("Reconciliation: the hand count matches the scans.")
    for m in recon.mismatches:
        err.print(f"mismatch: {m.en}")
    if recon.blocks:
        err.print("Certification is blocked until the mismatch is resolved or explained: "
                  "kiemphieu declare WS --note TEXT")
    if recon.quorum_warning:
        err.print(f"warning: {recon.quorum_warning}")


@app.command()
def certify(
    ws: WsArg,
    by: Annotated[str | None, typer.Option(
        "--by", metavar="NAME", help="Who certifies; default the declared head.")] = None,
) -> None:
    """Lock the count once nothing is pending and the hand count reconciles."""
    workspace = open_workspace(ws)
    try:
        record = do_certify(workspace, by)
    except CertifyRefused as refused:
        if not refused.blockers:
            raise
        err.print(f"{ws}: the count cannot be certified yet ({len(refused.blockers)} thing(s) "
                  "to do):", markup=False)
        for i, b in enumerate(refused.blockers, 1):
            err.print(f"  {i}. {b.en}", markup=False)
        raise typer.Exit(1) from None
    out.print(f"Certified by {record['by']} at {record['at']:%d/%m/%Y %H:%M} UTC: the count of "
              f"'{workspace.campaign.id}' is locked; scans and decisions are now refused.")
    cert = record["certificate"]
    out.print(f"Certificate no. {cert['number']}: digest {grouped(cert['digest'])}; signed with "
              f"key {grouped(cert['key_sha256'])} (both are printed in the minutes).")
    if cert["number"] > 1:
        err.print(f"warning: RE-CERTIFIED: the count was certified before (certificate no. "
                  f"{cert['number'] - 1}, digest {grouped(cert['previous'] or '')}); this "
                  "certification is recorded as such and the minutes say so.", markup=False)
    out.print(f"Next: kiemphieu export {ws} --out PACKAGE")
