"""``kiemphieu explain`` and ``redecide``: what the reader saw on a page; the rows decided again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.console import out, say
from pipeline.cli.help import App
from pipeline.cli.ws import WsArg, open_ws
from pipeline.documents.explain import explain_stored_page
from pipeline.workflow.redecide import apply, plan

app = App()


@app.command(help=say("help_cmd_audit_explain"))
def explain(
    ws: WsArg,
    page: Annotated[int, typer.Argument(metavar="PAGE", help=say("help_audit_page"))],
    out_file: Annotated[Path, typer.Option("--out", metavar="FILE.png", help=say("help_audit_out"))],
) -> None:
    """Draw what the reader saw on one stored page: marks, grid, each box's numbers, each row's decision."""
    out.print(say("cli_wrote", path=str(explain_stored_page(open_ws(ws), page, out_file))),
              markup=False)


@app.command(help=say("help_cmd_audit_redecide"))
def redecide(
    ws: WsArg,
    apply_changes: Annotated[bool, typer.Option(
        "--apply", help=say("help_audit_apply"))] = False,
) -> None:
    """Decide the stored rows again under the thresholds now in WS/campaign.yaml, without rescanning."""
    workspace = open_ws(ws)
    planned = plan(workspace)
    t = planned.thresholds
    out.print(say("cli_redecide_thresholds", extent=t.mark_extent_mm, ink=t.mark_ink_mm2,
                  faint=t.faint_ink_mm2, blackout=t.blackout_fill, outline=t.outline_ink_mm2))
    out.print(say("cli_redecide_rows", rows=planned.rows, kept=planned.kept,
                  changes=len(planned.changes)))
    if planned.unmeasured:
        out.print(say("cli_redecide_unmeasured", n=planned.unmeasured,
                      pages=len(planned.unmeasured_pages)))
    for (before, after), n in sorted(planned.summary().items()):
        out.print(f"  {before} -> {after}: {n}")
    for change in planned.changes[:50]:
        out.print(f"  {change.describe()}")
    if len(planned.changes) > 50:
        out.print("  " + say("cli_more", n=len(planned.changes) - 50))
    if not apply_changes:
        if planned.changes:
            out.print(say("cli_redecide_dry", ws=str(ws)), markup=False)
        return
    changed = apply(workspace, planned)
    out.print(say("cli_redecide_stored", n=changed))
