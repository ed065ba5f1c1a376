"""``kiemphieu review WS [list|show|resolve|undo]``: the review queue from the terminal.

Everything is said in the run's language (`pipeline.cli.console`); the machine's reasons
as recorded (English, the audit record) are in ``--lang en`` and the JSON. The values typed to
``resolve`` stay the machine's (high, medium, low, invalid; accepted, rejected), each
shown beside its words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.console import lang, out, say, when
from pipeline.cli.help import App
from pipeline.cli.users import login
from pipeline.cli.ws import WsArg, open_ws
from pipeline.documents.images import PageImages, review_picture
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.rules import FOLLOW_UP_LEVELS, LEVELS, levels_of_row
from pipeline.domain.wording import t, words
from pipeline.store.workspace import Workspace
from pipeline.workflow.review import Item, ReviewQueue, queue_for

app = App(
    help=say("help_cmd_review_group"),
    epilog="kiemphieu review WS | kiemphieu review WS show 12 --crop 12.jpg | "
           "kiemphieu review WS resolve 12 medium --as lan | "
           "kiemphieu review WS resolve 13 invalid --as lan --reason \"đánh hai ô\" | "
           "kiemphieu review WS undo --as lan",
)

LARGEST_ID = 2**62  # below the databases' largest integer: a larger number is no item
ItemArg = Annotated[int, typer.Argument(metavar="ITEM", help=say("help_review_item"))]
AsUser = Annotated[str, typer.Option(
    "--as", metavar="NAME", help=say("help_review_as"))]


def _known(item: int) -> int:
    """``item``, or `KiemphieuError` (no such item) for a number no record can have."""
    if not 0 < item < LARGEST_ID:
        raise KiemphieuError(key="review_no_item", item=item)
    return item


class _Open:
    """The workspace and its queue, opened once for the command."""

    def __init__(self, ws: Path) -> None:
        self.workspace: Workspace = open_ws(ws)
        self.queue: ReviewQueue = queue_for(self.workspace)
        self.names = {c.stt: c.name for c in self.workspace.campaign.candidates}

    def what(self, it: Item) -> str:
        if it.kind == "row":
            return say("cli_review_row", page=it.page_id, stt=it.candidate,
                       name=self.names.get(it.candidate, "?"))
        if it.same_as is not None:
            return say("cli_review_same", page=it.page_id, same=it.same_as)
        return say("cli_review_page", page=it.page_id, status=status_words(it.page_status))


def status_words(status: str | None) -> str:
    """A page's or a row's status as the machine gave it, in words."""
    if status in LEVELS + FOLLOW_UP_LEVELS:
        return t(status, lang())
    return say(f"cli_status_{status}") if status else "-"


def value_words(value: str) -> str:
    """A decision's value in words: a level, invalid, accept or reject a page, undo."""
    return t(value, lang())


def state_words(state: str) -> str:
    return t(f"state_{state}", lang())


@app.callback(invoke_without_command=True)
def review(
    ctx: typer.Context,
    ws: WsArg,
    show_all: Annotated[bool, typer.Option("--all", help=say("help_review_all"))] = False,
) -> None:
    """List, show and resolve the items the machine was not sure about (list by default)."""
    ctx.obj = _Open(ws)
    if ctx.invoked_subcommand is None:
        _list(ctx.obj, show_all)


@app.command("list", help=say("help_cmd_review_list"))
def list_items(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help=say("help_review_all_2"))] = False,
) -> None:
    """Open and escalated items (all with --all), with the machine's reasons."""
    _list(ctx.obj, show_all)


def _list(o: _Open, show_all: bool) -> None:
    for it in o.queue.items(None if show_all else ("open", "escalated")):
        state = state_words(it.state)
        if it.resolution:
            state += f" -> {value_words(it.resolution)}"
        held = " " + say("cli_review_held", name=it.claimed_by) \
            if it.claimed_by and it.state != "resolved" else ""
        out.print(f"{it.id:>5}  {state}  {o.what(it)}: {words(it.reasons, lang())}{held}",
                  markup=False)
    counts = o.queue.counts()
    out.print(say("cli_review_counts", open=counts["open"], escalated=counts["escalated"],
                  resolved=counts["resolved"]))
    if o.queue.two_reviewers:
        out.print(say("cli_review_two"))


@app.command(help=say("help_cmd_review_show"))
def show(
    ctx: typer.Context,
    item: ItemArg,
    crop: Annotated[Path | None, typer.Option(
        "--crop", metavar="FILE.jpg", help=say("help_review_crop"))] = None,
    as_user: Annotated[str | None, typer.Option(
        "--as", metavar="NAME", help=say("help_review_as_2"))] = None,
) -> None:
    """One item: the machine's reason and measurements, every decision on it.

    With two reviewers, the decisions on an open item stay hidden (the second reviewer
    decides without seeing the first one's choice) unless the chair asks with ``--as``.
    """
    o: _Open = ctx.obj
    it = o.queue.get(_known(item))
    blind = o.queue.two_reviewers and it.state == "open" and (
        as_user is None or login(o.workspace, as_user).role != "chair")
    out.print(say("cli_review_item", id=it.id, what=o.what(it)), markup=False)
    out.print(say("cli_review_reason", reason=words(it.reasons, lang())), markup=False)
    out.print(say("cli_review_state", state=state_words(it.state))
              + (say("cli_review_resolution", value=value_words(it.resolution))
                 if it.resolution else ""), markup=False)
    if it.fills:
        m = it.measures or {}
        for i, level in enumerate(levels_of_row(len(it.fills))):
            line = say("cli_review_box", box=i + 1, level=t(level, lang()), fill=it.fills[i])
            if m.get("ink_mm2"):
                line += say("cli_review_ink", ink=m["ink_mm2"][i], extent=m["extent_mm"][i])
            out.print("  " + line, markup=False)
    out.print(say("cli_review_decide", values=", ".join(
        f"{v} ({value_words(v)})" for v in it.values())), markup=False)
    if blind:
        decided = [d for d in o.queue.history(it.id) if d.value != "undo"]
        if decided:
            out.print("  " + say("cli_review_blind", recorded=t("first_vote_recorded", lang())),
                      markup=False)
        _write_crop(o, it, crop)
        return
    for d in o.queue.history(it.id):
        line = say("cli_review_decision", at=when(d.at), who=d.reviewer,
                   role=t(f"role_{d.role}", lang()), value=value_words(d.value),
                   machine=status_words(d.machine))
        if d.replaces:
            line += say("cli_review_replaces", decision=d.replaces)
        if d.reason:
            line += f" ({d.reason})"
        out.print("  " + line, markup=False)
    _write_crop(o, it, crop)


def _write_crop(o: _Open, it: Item, crop: Path | None) -> None:
    if crop is not None:
        page = o.workspace.store.page(it.page_id)
        if page is None:
            raise KiemphieuError(key="cli_review_no_page", id=it.id, page=it.page_id)
        twin = o.workspace.store.page(it.same_as) if it.same_as is not None else None
        crop.write_bytes(review_picture(PageImages(o.workspace.path), o.workspace.layout, it, page,
                                        twin))
        out.print(say("cli_review_picture", path=str(crop)), markup=False)


@app.command(help=say("help_cmd_review_resolve"))
def resolve(
    ctx: typer.Context,
    item: ItemArg,
    value: Annotated[str, typer.Argument(
        metavar="VALUE",
        help=say("help_review_value"))],
    as_user: AsUser,
    reason: Annotated[str | None, typer.Option("--reason", help=say("help_review_reason"))] = None,
) -> None:
    """Record your decision on an item."""
    o: _Open = ctx.obj
    person = login(o.workspace, as_user)
    it = o.queue.decide(person, _known(item), value, reason)
    if it.state == "resolved":
        out.print(say("cli_review_resolved", id=it.id,
                      value=value_words(it.resolution) if it.resolution else "",
                      who=person.name), markup=False)
    elif it.state == "escalated":
        out.print(say("cli_review_escalated", id=it.id))
    else:
        out.print(say("cli_review_first", id=it.id))


@app.command(help=say("help_cmd_review_undo"))
def undo(
    ctx: typer.Context,
    as_user: AsUser,
    item: Annotated[int | None, typer.Argument(
        metavar="[ITEM]", help=say("help_review_item_2"))] = None,
) -> None:
    """Take back your latest decision (on ITEM, if given)."""
    o: _Open = ctx.obj
    person = login(o.workspace, as_user)
    it = o.queue.undo(person, None if item is None else _known(item))
    if it.state != "resolved":
        out.print(say("cli_review_undone", who=person.name, id=it.id,
                      state=state_words(it.state)), markup=False)
    else:
        out.print(say("cli_review_undone_stands", who=person.name, id=it.id,
                      value=value_words(it.resolution or "")), markup=False)
