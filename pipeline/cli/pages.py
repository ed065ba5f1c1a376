"""``kiemphieu page WS PAGE [invalid|withdraw|restore]``: one stored page, and the chair's
decisions on it as a whole.

Without a decision it shows the page: where it came from, what the machine made of it,
every review decision and every decision of the chair on it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.console import lang, out, say, when
from pipeline.cli.help import App
from pipeline.cli.review import state_words, status_words, value_words
from pipeline.cli.users import login
from pipeline.cli.ws import WsArg, open_ws
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.reasons import from_json
from pipeline.domain.wording import t, words
from pipeline.store.workspace import Workspace
from pipeline.workflow.pages import decide_page, page_log
from pipeline.workflow.review import queue_for

app = App(
    help=say("help_cmd_pages_group"),
    epilog="kiemphieu page WS 12 | kiemphieu page WS 12 invalid --reason \"không có dấu\" --as chu_tich | "
           "kiemphieu page WS 13 withdraw --reason \"quét hai lần\" --as chu_tich | "
           "kiemphieu page WS 13 restore --reason \"nhầm trang\" --as chu_tich",
)

Reason = Annotated[str, typer.Option("--reason", metavar="TEXT", help=say("help_pages_reason"))]
AsUser = Annotated[str, typer.Option(
    "--as", metavar="NAME", help=say("help_pages_as"))]


@app.callback(invoke_without_command=True)
def page(
    ctx: typer.Context,
    ws: WsArg,
    page_id: Annotated[int, typer.Argument(metavar="PAGE", help=say("help_pages_page"))],
) -> None:
    """One stored page: its status, what the machine read, every decision on it."""
    workspace = open_ws(ws)
    ctx.obj = (workspace, page_id)
    if ctx.invoked_subcommand is None:
        _show(workspace, page_id)


def _decide(ctx: typer.Context, decision: str, reason: str, as_user: str) -> None:
    workspace, page_id = ctx.obj
    person = login(workspace, as_user)
    d = decide_page(workspace, page_id, decision, reason, person)
    out.print(say("cli_page_decided", page=page_id, decision=t(f"page_{decision}", lang()),
                  who=d.by, reason=d.reason), markup=False)
    tally = workspace.tally()
    out.print(say("cli_page_tally", collected=tally.collected, invalid=tally.invalid_ballots,
                  withdrawn=tally.withdrawn))


@app.command(help=say("help_cmd_pages_invalid"))
def invalid(ctx: typer.Context, reason: Reason, as_user: AsUser) -> None:
    """Declare the whole ballot sheet invalid: it stays a ballot collected, every row invalid."""
    _decide(ctx, "invalid", reason, as_user)


@app.command(help=say("help_cmd_pages_withdraw"))
def withdraw(ctx: typer.Context, reason: Reason, as_user: AsUser) -> None:
    """Take the page out of the count altogether (a sheet scanned twice, a photocopy)."""
    _decide(ctx, "withdraw", reason, as_user)


@app.command(help=say("help_cmd_pages_restore"))
def restore(ctx: typer.Context, reason: Reason, as_user: AsUser) -> None:
    """Take the decision in force on the page back."""
    _decide(ctx, "restore", reason, as_user)


def _show(ws: Workspace, page_id: int) -> None:
    page = ws.store.page(page_id)
    if page is None:
        raise KiemphieuError(key="cli_page_none", page=page_id)
    lg = lang()
    reasons = words(from_json(page["reasons"]), lg)
    out.print(say("cli_page_show", page=page_id, source=page["source"],
                  index=page["page_index"] + 1, status=status_words(page["status"]))
              + (f" ({reasons})" if reasons else "")
              + (say("cli_page_ballot_page", n=page["ballot_page"]) if page["ballot_page"] else "")
              + (say("cli_page_stack", stack=page["stack_id"]) if page.get("stack_id") else ""),
              markup=False)
    in_force = ws.store.page_decision(page_id)
    counted = ws.store.counted(page_id) and in_force != "withdraw"
    out.print(say("cli_page_counted", yes=say("cli_yes") if counted else say("cli_no"))
              + (say("cli_page_in_force", decision=t(f"page_{in_force}", lg)) if in_force else ""),
              markup=False)
    names = {c.stt: c.name for c in ws.campaign.candidates}
    for row in ws.store.page_rows(page_id):
        said = t(row.level, lg) if row.level else status_words(row.outcome)
        why = words(row.reasons, lg) if row.outcome != "vote" else ""
        out.print(f"  STT {row.candidate:>3} {names.get(row.candidate, '?')}: {said}"
                  + (f" ({why})" if why else ""), markup=False)
    for item in queue_for(ws).items(page_id=page_id):
        label = say("cli_page_item_row", stt=item.candidate) if item.kind == "row" \
            else t("whole_page", lg)
        out.print(say("cli_page_item", id=item.id, label=label, state=state_words(item.state))
                  + (f" -> {value_words(item.resolution)}" if item.resolution else ""),
                  markup=False)
    for d in page_log(ws, page_id):
        out.print(f"  {when(d.at)}  {d.by} ({t(f'role_{d.role}', lg)}): "
                  f"{t(f'page_{d.decision}', lg)}: {d.reason}", markup=False)
