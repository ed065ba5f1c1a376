"""``kiemphieu page WS PAGE [invalid|withdraw|restore]``: one stored page, and the chair's
decisions on it as a whole.

Without a decision it shows the page: where it came from, what the machine made of it,
every review decision and every decision of the chair on it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.console import WsArg, out
from pipeline.cli.users import login
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.wording import t
from pipeline.store.workspace import Workspace, open_workspace
from pipeline.workflow.pages import decide_page, page_log
from pipeline.workflow.review import queue_for

app = typer.Typer(
    help="One stored page: its status, what the machine read, every decision on it; the "
         "chair declares it invalid, withdraws it, or restores it.",
    epilog="kiemphieu page WS 12 | page WS 12 invalid --reason \"không có dấu\" --as chu_tich | "
           "page WS 13 withdraw --reason \"quét hai lần\" --as chu_tich | "
           "page WS 13 restore --reason \"nhầm trang\" --as chu_tich",
)

Reason = Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why (kept in the log).")]
AsUser = Annotated[str, typer.Option(
    "--as", metavar="NAME", help="The chair's account; asks its password (or KIEMPHIEU_PASSWORD).")]


@app.callback(invoke_without_command=True)
def page(
    ctx: typer.Context,
    ws: WsArg,
    page_id: Annotated[int, typer.Argument(metavar="PAGE", help="The stored page's number.")],
) -> None:
    """One stored page: its status, what the machine read, every decision on it."""
    workspace = open_workspace(ws)
    ctx.obj = (workspace, page_id)
    if ctx.invoked_subcommand is None:
        _show(workspace, page_id)


def _decide(ctx: typer.Context, decision: str, reason: str, as_user: str) -> None:
    workspace, page_id = ctx.obj
    person = login(workspace, as_user)
    d = decide_page(workspace, page_id, decision, reason, person)
    out.print(f"Page {page_id}: {decision} ({t(f'page_{decision}')}) by {d.by}: {d.reason}", markup=False)
    tally = workspace.tally()
    out.print(f"Ballots collected {tally.collected}, invalid ballots {tally.invalid_ballots}, "
              f"pages withdrawn {tally.withdrawn}.")


@app.command()
def invalid(ctx: typer.Context, reason: Reason, as_user: AsUser) -> None:
    """Declare the whole ballot sheet invalid: it stays a ballot collected, every row invalid."""
    _decide(ctx, "invalid", reason, as_user)


@app.command()
def withdraw(ctx: typer.Context, reason: Reason, as_user: AsUser) -> None:
    """Take the page out of the count altogether (a sheet scanned twice, a photocopy)."""
    _decide(ctx, "withdraw", reason, as_user)


@app.command()
def restore(ctx: typer.Context, reason: Reason, as_user: AsUser) -> None:
    """Take the decision in force on the page back."""
    _decide(ctx, "restore", reason, as_user)


def _show(ws: Workspace, page_id: int) -> None:
    page = ws.store.page(page_id)
    if page is None:
        raise KiemphieuError(f"there is no page {page_id} in this workspace")
    where = f"{page['source']} page {page['page_index'] + 1}"
    out.print(f"Page {page_id}: {where}; machine: {page['status']}"
              + (f" ({page['reason']})" if page["reason"] else "")
              + (f"; ballot page {page['ballot_page']}" if page["ballot_page"] else ""), markup=False)
    in_force = ws.store.page_decision(page_id)
    out.print(f"  in the count: {'yes' if ws.store.counted(page_id) and in_force != 'withdraw' else 'no'}"
              + (f"; chair's decision in force: {in_force} ({t(f'page_{in_force}')})" if in_force else ""))
    names = {c.stt: c.name for c in ws.campaign.candidates}
    for row in ws.store.page_rows(page_id):
        said = t(row.level) if row.level else row.outcome
        out.print(f"  STT {row.candidate:>3} {names.get(row.candidate, '?')}: {said}"
                  + (f" ({row.reason})" if row.reason and row.outcome != "vote" else ""), markup=False)
    queue = queue_for(ws)
    for item in queue.items(page_id=page_id):
        label = f"row STT {item.candidate}" if item.kind == "row" else "whole page"
        out.print(f"  review item {item.id} ({label}): {item.state}"
                  + (f" -> {item.resolution}" if item.resolution else ""))
    for d in page_log(ws, page_id):
        out.print(f"  {d.at:%Y-%m-%d %H:%M:%S} UTC  {d.by} ({d.role}): {d.decision}: {d.reason}",
                  markup=False)
