"""The breakdown as people read it: a table in Vietnamese on the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from pipeline.domain.rules import LEVEL_LABELS, LEVELS
from pipeline.domain.tally import Tally

CONSEQUENCE_LABELS = {
    "over_half_low": "Trên 1/2 tín nhiệm thấp",
    "two_thirds_low": "Từ 2/3 tín nhiệm thấp",
}


def print_tally(console: Console, tally: Tally) -> None:
    base_label = "tổng số đại biểu" if tally.rules == "nq85-2014" else "tổng số phiếu thu về"
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
    table.add_column("STT", justify="right")
    table.add_column("Họ và tên")
    table.add_column("Chức vụ")
    for lv in LEVELS:
        table.add_column(LEVEL_LABELS[lv], justify="right")
    table.add_column("Không hợp lệ", justify="right")
    table.add_column("Chờ duyệt", justify="right")
    table.add_column("Hệ quả")
    for c in tally.candidates:
        cells = []
        for lv in LEVELS:
            pct = c.percent[lv]
            cells.append(f"{c.counts[lv]} ({pct:.2f}%)" if pct is not None else str(c.counts[lv]))
        table.add_row(
            str(c.candidate), c.name, c.position, *cells, str(c.counts["invalid"]),
            str(c.pending) if c.pending else "",
            CONSEQUENCE_LABELS.get(c.consequence or "", ""),
        )
    console.print(table)
    if tally.pending_review:
        console.print(
            f"[bold yellow]{tally.pending_review} dòng chờ xem xét[/] (rows awaiting review) "
            "chưa được tính: kết quả là tạm thời."
        )
