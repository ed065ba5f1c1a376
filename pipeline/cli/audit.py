"""``kiemphieu explain`` and ``redecide``: what the reader saw on a page; the rows decided again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.console import WsArg, out
from pipeline.documents.explain import explain_stored_page
from pipeline.store.workspace import open_workspace
from pipeline.workflow.redecide import apply, plan

app = typer.Typer()


@app.command()
def explain(
    ws: WsArg,
    page: Annotated[int, typer.Argument(help="The page's id in the store (web station, review list).")],
    out_file: Annotated[Path, typer.Option("--out", metavar="FILE.png", help="The annotated page.")],
) -> None:
    """Draw what the reader saw on one stored page: marks, grid, each box's numbers, each row's decision."""
    out.print(f"wrote {explain_stored_page(open_workspace(ws), page, out_file)}")


@app.command()
def redecide(
    ws: WsArg,
    apply_changes: Annotated[bool, typer.Option(
        "--apply", help="Store the new decisions (default: only say what would change).")] = False,
) -> None:
    """Decide the stored rows again under the thresholds now in WS/campaign.yaml, without rescanning."""
    workspace = open_workspace(ws)
    planned = plan(workspace)
    t = planned.thresholds
    out.print(f"Thresholds: mark {t.mark_extent_mm} mm long and {t.mark_ink_mm2} mm² of ink, "
              f"faint from {t.faint_ink_mm2} mm², inked over from fill {t.blackout_fill}, "
              f"a dot on a box's outline from {t.outline_ink_mm2} mm².")
    out.print(f"{planned.rows} stored rows decided again ({planned.kept} left in review for a "
              f"streak, a struck-out name or a note); {len(planned.changes)} change.")
    for (before, after), n in sorted(planned.summary().items()):
        out.print(f"  {before} -> {after}: {n}")
    for change in planned.changes[:50]:
        out.print(f"  {change.describe()}")
    if len(planned.changes) > 50:
        out.print(f"  ... and {len(planned.changes) - 50} more")
    if not apply_changes:
        if planned.changes:
            out.print(f"Nothing stored. To store these decisions: kiemphieu redecide {ws} --apply")
        return
    changed = apply(workspace, planned)
    out.print(f"Stored: {changed} rows decided again; the tally counts them now.")
