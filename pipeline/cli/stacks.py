"""``kiemphieu stack WS [list|show|count|withdraw|restore]``: the stacks scanned, and the
chair's records on them (`pipeline.workflow.stacks`)."""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.console import lang, out, say, when
from pipeline.cli.help import App
from pipeline.cli.review import status_words
from pipeline.cli.users import login
from pipeline.cli.ws import WsArg, open_ws
from pipeline.domain.wording import t
from pipeline.store.workspace import Workspace
from pipeline.workflow.stacks import (
    Stack,
    record_count,
    restore_stack,
    stack,
    stack_pages,
    stacks,
    withdraw_stack,
)

app = App(
    help=say("help_cmd_stacks_group"),
    epilog="kiemphieu stack WS | kiemphieu stack WS show 3 | kiemphieu stack WS count 3 12 --as chu_tich | "
           "kiemphieu stack WS withdraw 3 --reason \"quét lệch, quét lại\" --as chu_tich | "
           "kiemphieu stack WS restore 3 --reason \"nhầm lô\" --as chu_tich",
)

StackArg = Annotated[int, typer.Argument(metavar="STACK", help=say("help_stacks_stack"))]
Reason = Annotated[str, typer.Option("--reason", metavar="TEXT", help=say("help_stacks_reason"))]
AsUser = Annotated[str, typer.Option(
    "--as", metavar="NAME", help=say("help_stacks_as"))]


@app.callback(invoke_without_command=True)
def stack_group(ctx: typer.Context, ws: WsArg) -> None:
    """The stacks scanned, their pages and hand counts; the chair withdraws or restores a
    whole stack (list by default)."""
    ctx.obj = open_ws(ws)
    if ctx.invoked_subcommand is None:
        _list(ctx.obj)


@app.command("list", help=say("help_cmd_stacks_list"))
def list_stacks(ctx: typer.Context) -> None:
    """Every stack: when, where, its files, its pages, its hand count."""
    _list(ctx.obj)


def _summary(s: Stack, page_count: int) -> str:
    accepted = ", ".join(say("cli_recon_page", page=p, n=s.accepted.get(p, 0))
                         for p in range(1, page_count + 1)) if page_count > 1 \
        else str(s.accepted.get(1, 0))
    parts = [say("cli_stack_pages", pages=s.pages, accepted=accepted)]
    others = {k: n for k, n in s.by_status.items() if k != "accepted"}
    if others:
        parts.append(", ".join(f"{n} {status_words(k)}" for k, n in sorted(others.items())))
    if s.hand_count is not None:
        parts.append(say("cli_stack_hand_ok" if s.matches else "cli_stack_hand_off",
                         n=s.hand_count))
    if s.withdrawn:
        parts.append(say("cli_stack_withdrawn", reason=s.withdraw_reason or ""))
    return "; ".join(parts)


def _list(ws: Workspace) -> None:
    found = stacks(ws)
    if not found:
        out.print(say("cli_stack_none_yet", ws=str(ws.path)), markup=False)
        return
    for s in found:
        kind = say(f"cli_stack_kind_{s.kind}")
        who = f", {s.by}" if s.by else ""
        files = ", ".join(s.sources[:2]) + (f" (+{len(s.sources) - 2})" if len(s.sources) > 2
                                            else "")
        out.print(say("cli_stack_line", id=s.id, kind=kind, at=when(s.started_at),
                      station=s.station + who, files=files), markup=False)
        out.print("      " + _summary(s, ws.layout.page_count), markup=False)


@app.command(help=say("help_cmd_stacks_show"))
def show(ctx: typer.Context, stack_id: StackArg) -> None:
    """One stack: its files, every page it stored, and the chair's records on it."""
    ws: Workspace = ctx.obj
    s = stack(ws, stack_id)
    out.print(say("cli_stack_line", id=s.id, kind=say(f"cli_stack_kind_{s.kind}"),
                  at=when(s.started_at), station=s.station + (f", {s.by}" if s.by else ""),
                  files=", ".join(s.sources)), markup=False)
    out.print("  " + _summary(s, ws.layout.page_count), markup=False)
    if s.finished_at is None:
        out.print("  " + say("cli_stack_unfinished"))
    lg = lang()
    for p in stack_pages(ws, stack_id):
        decided = p["decision"] if p["decision"] not in (None, "restore") else None
        out.print("  " + say("cli_stack_page", page=p["id"], source=p["source"],
                             index=p["page_index"] + 1, status=status_words(p["status"]))
                  + (say("cli_page_ballot_page", n=p["ballot_page"]) if p["ballot_page"] else "")
                  + (f"; {t(f'page_{decided}', lg)}" if decided else ""), markup=False)
    for e in s.log:
        what = say("cli_stack_log_count", n=e["hand_count"]) if e["action"] == "count" \
            else say(f"cli_stack_log_{e['action']}", reason=e["reason"] or "")
        out.print(f"  {when(e['at'])}  {e['by']}: {what}", markup=False)


@app.command(help=say("help_cmd_stacks_count"))
def count(ctx: typer.Context, stack_id: StackArg,
          ballots: Annotated[int, typer.Argument(metavar="BALLOTS", min=0,
                                                 help=say("help_stacks_ballots"))],
          as_user: AsUser) -> None:
    """Record the ballots counted by hand in the stack (one envelope, say) and compare them
    with its accepted pages."""
    ws: Workspace = ctx.obj
    s = record_count(ws, stack_id, ballots, login(ws, as_user))
    out.print(say("cli_stack_counted", id=s.id) + " " + _summary(s, ws.layout.page_count),
              markup=False)
    if not s.matches:
        raise typer.Exit(1)


@app.command(help=say("help_cmd_stacks_withdraw"))
def withdraw(ctx: typer.Context, stack_id: StackArg, reason: Reason, as_user: AsUser) -> None:
    """Take every page of the stack out of the count, to scan the stack again."""
    ws: Workspace = ctx.obj
    s = withdraw_stack(ws, stack_id, reason, login(ws, as_user))
    out.print(say("cli_stack_withdrew", id=s.id, pages=s.by_status.get("withdrawn", 0)),
              markup=False)
    out.print(say("cli_next", command=f"kiemphieu scan {ws.path} {say('cli_rescan_file')}"),
              markup=False)


@app.command(help=say("help_cmd_stacks_restore"))
def restore(ctx: typer.Context, stack_id: StackArg, reason: Reason, as_user: AsUser) -> None:
    """Take the stack's withdrawal back: its pages count again."""
    ws: Workspace = ctx.obj
    s = restore_stack(ws, stack_id, reason, login(ws, as_user))
    out.print(say("cli_stack_restored", id=s.id) + " " + _summary(s, ws.layout.page_count),
              markup=False)
