"""The results as CSV (for programs) and XLSX (for people who work in Excel).

Every text cell goes through `pipeline.documents.cells`, so a name or note
that looks like a formula stays text. The CSV is one row a person, UTF-8
with a BOM so Excel reads the Vietnamese right; percentages are plain
numbers with a decimal point and always two decimals (``0.00``,
``73.53``); the consequence is given as its code and in words. The XLSX is
for people: words only (no codes), the figures above the table, the
certification time in Vietnam time, set up to print on A4 landscape, one
page wide, the header row repeated on every page.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.documents.cells import csv_cell, xlsx_cell
from pipeline.documents.grouping import grouped_people
from pipeline.documents.typography import TIME_NOTE, short_date, vietnam_time
from pipeline.domain.rules import LEVELS
from pipeline.domain.tally import result_levels
from pipeline.domain.wording import t

GROUP_COLUMN = "Khối"


def _grouped(doc: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    return [(g.name, c) for g in grouped_people(doc) for c in g.people]


def csv_header(doc: dict[str, Any] | None = None) -> tuple[str, ...]:
    """The columns of the results' CSV, in Vietnamese (a last "Khối" column when grouped)."""
    grouped = doc is not None and any(name for name, _ in _grouped(doc))
    levels = result_levels(doc) if doc is not None else LEVELS
    return (
        t("stt"), t("name"), t("position"),
        *(t("level_count", level=t(lv)) for lv in levels),
        *(t("level_percent", level=t(lv)) for lv in levels),
        t("invalid"), t("base_total"), t("consequence_code"), t("consequence"),
        *((GROUP_COLUMN,) if grouped else ()),
    )


def result_csv(doc: dict[str, Any]) -> bytes:
    """One row per person, in ballot order (see the module's docstring)."""
    rows = _grouped(doc)
    grouped = any(name for name, _ in rows)
    levels = result_levels(doc)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(csv_header(doc))
    for name, c in sorted(rows, key=lambda r: r[1]["candidate"]):
        writer.writerow([csv_cell(v) for v in (
            c["candidate"], c["name"], c["position"],
            *(c["counts"][lv] for lv in levels),
            *("" if c["percent"][lv] is None else f"{c['percent'][lv]:.2f}" for lv in levels),
            c["counts"]["invalid"], c.get("base", doc["base"]), c["consequence"] or "",
            c.get("consequence_text") or "", *((name or "",) if grouped else ()),
        )])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


FONT = "Times New Roman"
BOLD = Font(name=FONT, bold=True, size=12)
NORMAL = Font(name=FONT, size=12)
_THIN = Side(style="thin")
BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def print_setup(ws: Worksheet, header_row: int | None = None) -> None:
    """A4 landscape, one page wide, margins of a document, header row repeated."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left, ws.page_margins.right = 0.8, 0.6
    ws.page_margins.top, ws.page_margins.bottom = 0.8, 0.8
    ws.print_options.horizontalCentered = True
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"
    ws.oddFooter.center.text = "Trang &P / &N"


def header_cells(ws: Worksheet, row: int, header: list[str] | tuple[str, ...]) -> None:
    for j, h in enumerate(header, start=1):
        cell = xlsx_cell(ws, row, j, h)
        cell.font, cell.border = BOLD, BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.fill = PatternFill("solid", fgColor="EEEEEE")


def result_xlsx(doc: dict[str, Any]) -> bytes:
    """The results sheet (the figures above the table) and the reconciliation sheet."""
    info = doc["campaign_info"]
    at = vietnam_time(dt.datetime.fromisoformat(doc["certification"]["at"]))
    wb = Workbook()
    wb.properties.creator = "kiemphieu"
    wb.properties.title = f"Kết quả lấy phiếu tín nhiệm - {info['body']}"
    wb.properties.language = "vi-VN"
    wb.properties.created = wb.properties.modified = at.astimezone(dt.UTC).replace(tzinfo=None)
    ws = wb.active
    ws.title = "Kết quả"
    lines = [
        ("KẾT QUẢ LẤY PHIẾU TÍN NHIỆM", BOLD), (info["body"], NORMAL),
        (f"Ngày {short_date(dt.date.fromisoformat(info['session_date']))} · {info['rules_title']}",
         NORMAL),
        (f"Số phiếu phát ra: {doc['ballots']['issued']} · Số phiếu thu về: "
         f"{doc['ballots']['collected']} · Phiếu không hợp lệ (cả tờ): "
         f"{doc['ballots'].get('invalid_ballots') or 0} · Tỷ lệ tính trên {info['base_label']}: "
         f"{doc['base']}", NORMAL),
    ]
    for i, (text, font) in enumerate(lines, start=1):
        xlsx_cell(ws, i, 1, text).font = font
    top = len(lines) + 2
    levels = result_levels(doc)
    header = [t("stt"), t("name"), t("position"),
              *(t("level_count", level=t(lv)) for lv in levels),
              *(t("level_percent", level=t(lv)) for lv in levels),
              t("invalid"), t("base_total"), t("consequence")]
    header_cells(ws, top, header)
    row = top + 1
    for group in grouped_people(doc):
        if group.label:
            xlsx_cell(ws, row, 1, group.label).font = BOLD
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(header))
            row += 1
        for c in group.people:
            values = [c["candidate"], c["name"], c["position"],
                      *(c["counts"][lv] for lv in levels), *(c["percent"][lv] for lv in levels),
                      c["counts"]["invalid"], c.get("base", doc["base"]),
                      c.get("consequence_text") or ""]
            for j, v in enumerate(values, start=1):
                cell = xlsx_cell(ws, row, j, v)
                cell.font, cell.border = NORMAL, BOX
                cell.alignment = Alignment(wrap_text=j in (2, 3, len(values)), vertical="center")
                if 4 + len(levels) <= j < 4 + 2 * len(levels):
                    cell.number_format = "0.00"
            row += 1
    for j, w in enumerate([6, 24, 34, 10, 10, 10, 10, 10, 10, 10, 10, 60], start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.row_dimensions[top].height = 48
    ws.freeze_panes = f"C{top + 1}"
    print_setup(ws, top)
    _reconciliation_sheet(wb, doc, at)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _reconciliation_sheet(wb: Workbook, doc: dict[str, Any], at: dt.datetime) -> None:
    rec = wb.create_sheet("Đối chiếu")
    recon = doc["reconciliation"]
    rows: list[tuple[str, Any]] = [
        ("Số phiếu phát ra (Ban kiểm phiếu đếm)", recon["issued"]),
        ("Số phiếu thu về (Ban kiểm phiếu đếm)", recon["collected"]),
        *((f"Bản quét được chấp nhận, trang {p}", n) for p, n in recon["pages_accepted"].items()),
        ("Khớp", "có" if recon["matches"] else "không"),
        *((m["vi"], None) for m in recon["mismatches"]),
        ("Giải trình", recon["note"]),
        (f"Xác nhận lúc ({TIME_NOTE})", f"{at:%H:%M} ngày {at:%d/%m/%Y}"),
        ("Người xác nhận", doc["certification"]["by"]),
        ("Phần mềm", doc["certification"]["software"]),
    ]
    for i, (k, v) in enumerate(rows, start=1):
        xlsx_cell(rec, i, 1, k).font = NORMAL
        xlsx_cell(rec, i, 2, v).font = NORMAL
    rec.column_dimensions["A"].width = 60
    rec.column_dimensions["B"].width = 40
    print_setup(rec)
