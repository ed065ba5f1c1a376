"""Cells of the CSV and XLSX files, safe to open in a spreadsheet.

A text starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return,
or their full-width forms) is taken by Excel and LibreOffice for a formula: a
person named "=HYPERLINK(...)" in the campaign, or a committee note, would run
as one in the results. Such texts are written as text: in a CSV behind a
leading apostrophe (what a spreadsheet shows as a text marker), in an XLSX as
a string cell with the quote prefix (the text shows unchanged). Numbers are
left as they are.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_cell(value: Any) -> Any:
    """``value`` for a CSV row: a formula-looking text behind an apostrophe."""
    return "'" + value if looks_like_formula(value) else value


def xlsx_cell(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    """The cell at ``row``, ``column`` (1-based) holding ``value``, a formula-looking text
    kept as text."""
    cell = sheet.cell(row, column, value)
    if looks_like_formula(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell
