"""The breakdown as people read it: a table in Vietnamese on the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from pipeline.domain.rules import KIND_FOLLOW_UP
from pipeline.domain.tally import Tally, by_group
from pipeline.domain.wording import t


def print_tally(console: Console, tally: Tally) -> None:
    follow_up = tally.kind == KIND_FOLLOW_UP
    base_label = (t("base_electorate") if tally.rules == "nq85-2014" or follow_up
                  else t("base_collected"))
    what = "BỎ PHIẾU TÍN NHIỆM" if follow_up else "LẤY PHIẾU TÍN NHIỆM"
    console.print(f"[bold]KẾT QUẢ {what}[/] — {tally.campaign} ({tally.rules})")
    issued = "chưa khai báo" if tally.issued is None else str(tally.issued)
    console.print(
        f"Số phiếu phát ra: {issued} · Số phiếu thu về: {tally.collected} · "
        f"Phiếu quét hợp lệ: {tally.accepted} · Trang bị loại: {tally.rejected} · "
        f"Trang trùng: {tally.duplicate} · Trang trắng: {tally.blank_pages}"
    )
    console.print(f"Tỷ lệ tính trên {base_label}: {tally.base}")
    for f in tally.forms if len(tally.forms) > 1 else ():
        paper = f" ({f.paper})" if f.paper else ""
        issued_f = "chưa khai báo" if f.issued is None else str(f.issued)
        console.print(f"  Mẫu phiếu {f.id}{paper}: phát ra {issued_f} · thu về {f.collected} · "
                      f"quét hợp lệ {f.accepted} · tỷ lệ tính trên {f.base}")
    if not tally.quorum_met:
        console.print("[bold red]Cảnh báo:[/] số phiếu thu về dưới 2/3 số người được triệu tập.")
    table = Table(show_lines=False)
    table.add_column(t("stt"), justify="right")
    table.add_column(t("name"))
    table.add_column(t("position"))
    for lv in tally.levels:
        table.add_column(t(lv), justify="right")
    table.add_column(t("invalid"), justify="right")
    table.add_column(t("pending"), justify="right")
    table.add_column(t("consequence"))
    groups = by_group(tally)
    for g, people in groups:
        if len(groups) > 1 or g is not None:
            table.add_row("", f"[bold]{(g or {}).get('name') or t('ungrouped')}[/]",
                          end_section=False)
        _add_rows(table, tally, people)
    console.print(table)
    if tally.pending_review:
        console.print(
            f"[bold yellow]{tally.pending_review} dòng chờ xem xét[/] (rows awaiting review) "
            "chưa được tính: kết quả là tạm thời."
        )


def _add_rows(table: Table, tally: Tally, people: list) -> None:
    for c in people:
        cells = []
        for lv in tally.levels:
            pct = c.percent[lv]
            cells.append(f"{c.counts[lv]} ({pct:.2f}%)" if pct is not None else str(c.counts[lv]))
        table.add_row(
            str(c.candidate), c.name, c.position, *cells, str(c.counts["invalid"]),
            str(c.pending) if c.pending else "",
            t(c.consequence) if c.consequence else "",
        )
