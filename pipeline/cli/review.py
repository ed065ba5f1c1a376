"""``kiemphieu review WS [list|show|resolve|undo]``: the review queue from the terminal.

The list gives the machine's reasons in Vietnamese; ``show`` gives each both
as recorded (English, the audit record) and in Vietnamese.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.console import WsArg, out
from pipeline.cli.users import login
from pipeline.documents.images import PageImages, review_picture
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.rules import levels_of_row
from pipeline.domain.wording import t, words
from pipeline.store.workspace import Workspace, open_workspace
from pipeline.workflow.review import Item, ReviewQueue, queue_for

app = typer.Typer(
    help="List, show and resolve the items the machine was not sure about.",
    epilog="kiemphieu review WS | review WS show 12 --crop 12.jpg | "
           "review WS resolve 12 medium --as lan | "
           "review WS resolve 13 invalid --as lan --reason \"two boxes marked\" | "
           "review WS undo --as lan",
)

LARGEST_ID = 2**62  # below the databases' largest integer: a larger number is no item
ItemArg = Annotated[int, typer.Argument(metavar="ITEM", help="Review item number.")]
AsUser = Annotated[str, typer.Option(
    "--as", metavar="NAME", help="Your account; asks its password (or reads KIEMPHIEU_PASSWORD).")]


def _known(item: int) -> int:
    """``item``, or `KiemphieuError` (no such item) for a number no record can have."""
    if not 0 < item < LARGEST_ID:
        raise KiemphieuError(f"there is no review item {item}; list them with: kiemphieu review WS")
    return item


class _Open:
    """The workspace and its queue, opened once for the command."""

    def __init__(self, ws: Path) -> None:
        self.workspace: Workspace = open_workspace(ws)
        self.queue: ReviewQueue = queue_for(self.workspace)
        self.names = {c.stt: c.name for c in self.workspace.campaign.candidates}

    def what(self, it: Item) -> str:
        if it.kind == "row":
            return f"page {it.page_id} row STT {it.candidate} ({self.names.get(it.candidate, '?')})"
        if it.same_as is not None:
            return f"page {it.page_id} (probably the same sheet as page {it.same_as})"
        return f"page {it.page_id} (whole page, machine: {it.page_status})"


@app.callback(invoke_without_command=True)
def review(
    ctx: typer.Context,
    ws: WsArg,
    show_all: Annotated[bool, typer.Option("--all", help="list: resolved items too.")] = False,
) -> None:
    """List, show and resolve the items the machine was not sure about (list by default)."""
    ctx.obj = _Open(ws)
    if ctx.invoked_subcommand is None:
        _list(ctx.obj, show_all)


@app.command("list")
def list_items(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Resolved items too.")] = False,
) -> None:
    """Open and escalated items (all with --all), with the machine's reasons."""
    _list(ctx.obj, show_all)


def _list(o: _Open, show_all: bool) -> None:
    for it in o.queue.items(None if show_all else ("open", "escalated")):
        resolved = f" -> {it.resolution}" if it.resolution else ""
        held = f" [with {it.claimed_by}]" if it.claimed_by and it.state != "resolved" else ""
        out.print(f"{it.id:>5}  {it.state:<9}{resolved:<13} {o.what(it)}: "
                  f"{words(it.reasons, 'vi')}{held}", markup=False)
    counts = o.queue.counts()
    mode = " Two reviewers must agree." if o.queue.two_reviewers else ""
    out.print(f"{counts['open']} open, {counts['escalated']} escalated to the chair, "
              f"{counts['resolved']} resolved.{mode}")


@app.command()
def show(
    ctx: typer.Context,
    item: ItemArg,
    crop: Annotated[Path | None, typer.Option(
        "--crop", metavar="FILE.jpg", help="Write the item's picture to this file.")] = None,
    as_user: Annotated[str | None, typer.Option(
        "--as", metavar="NAME", help="The chair, to see the decisions on an item two reviewers "
        "have not both decided (asks the password).")] = None,
) -> None:
    """One item: the machine's reason and measurements, every decision on it.

    With two reviewers, the decisions on an open item stay hidden (the second reviewer
    decides without seeing the first one's choice) unless the chair asks with ``--as``.
    """
    o: _Open = ctx.obj
    it = o.queue.get(_known(item))
    blind = o.queue.two_reviewers and it.state == "open" and (
        as_user is None or login(o.workspace, as_user).role != "chair")
    out.print(f"Item {it.id}: {o.what(it)}", markup=False)
    out.print(f"  reason: {it.reason}", markup=False)
    out.print(f"  lý do: {words(it.reasons, 'vi')}", markup=False)
    out.print(f"  state: {it.state}" + (f", resolution: {it.resolution}" if it.resolution else ""))
    if it.fills:
        m = it.measures or {}
        for i, level in enumerate(levels_of_row(len(it.fills))):
            extra = ""
            if m.get("ink_mm2"):
                extra = f", ink {m['ink_mm2'][i]:.2f} mm², length {m['extent_mm'][i]:.1f} mm"
            out.print(f"  box {i + 1} {t(level)}: fill {it.fills[i]:.3f}{extra}")
    out.print(f"  decide: {', '.join(it.values())}")
    if blind:
        decided = [d for d in o.queue.history(it.id) if d.value != "undo"]
        if decided:
            out.print(f"  {t('first_vote_recorded')} (two reviewers decide without seeing each "
                      "other's choice; shown once both have decided)", markup=False)
        _write_crop(o, it, crop)
        return
    for d in o.queue.history(it.id):
        why = f" ({d.reason})" if d.reason else ""
        took = f" of decision {d.replaces}" if d.replaces else ""
        out.print(f"  {d.at:%Y-%m-%d %H:%M:%S} UTC  {d.reviewer} ({d.role}): "
                  f"{t(d.value)}{took}{why}; machine said {d.machine}", markup=False)
    _write_crop(o, it, crop)


def _write_crop(o: _Open, it: Item, crop: Path | None) -> None:
    if crop is not None:
        page = o.workspace.store.page(it.page_id)
        if page is None:
            raise KiemphieuError(f"item {it.id}: its page {it.page_id} is not in the store")
        twin = o.workspace.store.page(it.same_as) if it.same_as is not None else None
        crop.write_bytes(review_picture(PageImages(o.workspace.path), o.workspace.layout, it, page,
                                        twin))
        out.print(f"  picture: {crop}")


@app.command()
def resolve(
    ctx: typer.Context,
    item: ItemArg,
    value: Annotated[str, typer.Argument(
        metavar="VALUE",
        help="high, medium, low or invalid for a row; accepted or rejected for a page; same "
             "or different (the chair) for a page probably the same sheet as another.")],
    as_user: AsUser,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (needed for invalid).")] = None,
) -> None:
    """Record your decision on an item."""
    o: _Open = ctx.obj
    person = login(o.workspace, as_user)
    it = o.queue.decide(person, _known(item), value, reason)
    if it.state == "resolved":
        out.print(f"Item {it.id} resolved: {t(it.resolution) if it.resolution else ''} "
                  f"(by {person.name}).")
    elif it.state == "escalated":
        out.print(f"Item {it.id}: the two reviewers disagree; it goes to the chair.")
    else:
        out.print(f"Item {it.id}: your decision is recorded; a second reviewer must decide it too.")


@app.command()
def undo(
    ctx: typer.Context,
    as_user: AsUser,
    item: Annotated[int | None, typer.Argument(
        metavar="[ITEM]", help="The item; default your latest decision.")] = None,
) -> None:
    """Take back your latest decision (on ITEM, if given)."""
    o: _Open = ctx.obj
    person = login(o.workspace, as_user)
    it = o.queue.undo(person, None if item is None else _known(item))
    out.print(f"Undone: {person.name}'s latest decision on item {it.id}; it is {it.state} again"
              if it.state != "resolved" else
              f"Undone: {person.name}'s latest decision on item {it.id}; it stands at {it.resolution}")
