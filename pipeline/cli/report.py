"""The breakdown as people read it: a table in Vietnamese on the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from pipeline.domain.rules import LEVELS
from pipeline.domain.tally import Tally
from pipeline.domain.wording import t


def print_tally(console: Console, tally: Tally) -> None:
    base_label = t("base_electorate") if tally.rules == "nq85-2014" else t("base_collected")
    console.print(f"[bold]KẾT QUẢ LẤY PHIẾU TÍN NHIỆM[/] — {tally.campaign} ({tally.rules})")
    issued = "chưa khai báo" if tally.issued is None else str(tally.issued)
    console.print(
        f"Số phiếu phát ra: {issued} · Số phiếu thu về: {tally.collected} · "
        f"Phiếu quét hợp lệ: {tally.accepted} · Trang bị loại: {tally.rejected} · "
        f"Trang trùng: {tally.duplicate} · Trang trắng: {tally.blank_pages}"
    )
    console.print(f"Tỷ lệ tính trên {base_label}: {tally.base}")
    if not tally.quorum_met:
        console.print("[bold red]Cảnh báo:[/] số phiếu thu về dưới 2/3 số người được triệu tập.")
    table = Table(show_lines=False)
    table.add_column(t("stt"), justify="right")
    table.add_column(t("name"))
    table.add_column(t("position"))
    for lv in LEVELS:
        table.add_column(t(lv), justify="right")
    table.add_column(t("invalid"), justify="right")
    table.add_column(t("pending"), justify="right")
    table.add_column(t("consequence"))
    for c in tally.candidates:
        cells = []
        for lv in LEVELS:
            pct = c.percent[lv]
            cells.append(f"{c.counts[lv]} ({pct:.2f}%)" if pct is not None else str(c.counts[lv]))
        table.add_row(
            str(c.candidate), c.name, c.position, *cells, str(c.counts["invalid"]),
            str(c.pending) if c.pending else "",
            t(c.consequence) if c.consequence else "",
        )
    console.print(table)
    if tally.pending_review:
        console.print(
            f"[bold yellow]{tally.pending_review} dòng chờ xem xét[/] (rows awaiting review) "
            "chưa được tính: kết quả là tạm thời."
        )
