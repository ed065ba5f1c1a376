"""The results chart: one horizontal stacked bar a person, in drawings that fit a page.

Each bar is the person's share of the base: "Tín nhiệm thấp" first from the
left, so the dashed lines at 1/2 and 2/3 of the base show at a glance whom a
consequence reaches; then "Tín nhiệm", "Tín nhiệm cao", the rows invalid for
that person (hatched) and, where the base is the electorate (NQ 85/2014),
the delegates who gave no ballot (an outline). Every bar so reaches 100 %,
and the legend names every part drawn.

A long list is cut into drawings of at most `ROWS_PER_DRAWING` people, each
with its own scale and legend, so no drawing is taller than a page (a list
of 500 people makes 20 drawings). Percentages are printed inside a part only
where they fit and where no threshold line crosses them.
"""

from __future__ import annotations

import io
from typing import Any

import pypdfium2 as pdfium
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib.colors import Color, black, white

from pipeline.documents.typography import BOLD, MM, REGULAR, TEXT_WIDTH_MM, nfc, register_fonts, vn_number
from pipeline.documents.typography import string_width as _w
from pipeline.domain.rules import KIND_FOLLOW_UP, LEVELS
from pipeline.domain.tally import result_levels
from pipeline.domain.wording import t

ROWS_PER_DRAWING = 32
ROW_MM, BAR_MM = 6.5, 4.2
# fill (RGB 0-1), distinct in luminance so a grey photocopy still reads
LEVEL_COLOURS = {"low": (0.62, 0.11, 0.11), "medium": (0.56, 0.56, 0.56), "high": (0.84, 0.84, 0.84),
                 "no_confidence": (0.62, 0.11, 0.11), "confidence": (0.84, 0.84, 0.84)}
INVALID_LABEL = "Không hợp lệ đối với người đó"
ABSENT_LABEL = "Không có phiếu (tính trong tổng số đại biểu)"
THRESHOLDS = ((1 / 2, "1/2"), (2 / 3, "2/3"))


def parts(c: dict[str, Any], base: int, levels: tuple[str, ...] = LEVELS
          ) -> list[tuple[str, int]]:
    """(part, count) in drawing order, the adverse level first; the counts add up to the
    person's base (``c["base"]``, else ``base``) when the tally is whole."""
    base = int(c.get("base") or base)
    invalid = int(c["counts"].get("invalid") or 0) + int(c.get("pending") or 0)
    drawn = [(lv, int(c["counts"][lv])) for lv in reversed(levels)]
    drawn.append(("invalid", invalid))
    rest = base - sum(n for _, n in drawn)
    if rest > 0:
        drawn.append(("absent", rest))
    return drawn


def chart_drawings(doc: dict[str, Any], width_mm: float = TEXT_WIDTH_MM) -> list[Drawing]:
    """The chart of ``doc`` (tally.json) as drawings of at most `ROWS_PER_DRAWING` people."""
    people = doc["candidates"]
    levels = result_levels(doc)
    lines = THRESHOLDS[:1] if doc.get("kind") == KIND_FOLLOW_UP else THRESHOLDS
    chunks = [people[i:i + ROWS_PER_DRAWING] for i in range(0, len(people), ROWS_PER_DRAWING)]
    kinds = {k for c in people for k, n in parts(c, doc["base"], levels) if n > 0}
    return [_drawing(chunk, doc["base"], width_mm, kinds, levels, lines)
            for chunk in chunks or [[]]]


def _drawing(people: list[dict[str, Any]], base: int, width_mm: float, kinds: set[str],
             levels: tuple[str, ...], lines: tuple[tuple[float, str], ...]) -> Drawing:
    register_fonts()
    row_h, bar_h = ROW_MM * MM, BAR_MM * MM
    label_w = 56 * MM
    width = width_mm * MM
    top_pad, axis_h = 9 * MM, 5 * MM
    legend = [*reversed(levels), *(k for k in ("invalid", "absent") if k in kinds)]
    legend_rows = _legend_rows(legend, width - label_w)
    legend_h = 4.5 * MM * len(legend_rows) + 2 * MM
    height = top_pad + row_h * max(len(people), 1) + axis_h + legend_h
    bar_x0, bar_w = label_w, width - label_w - 4 * MM
    d = Drawing(width, height)
    d.add(Rect(0, 0, width, height, fillColor=white, strokeColor=None))
    bars_top = height - top_pad
    bars_bottom = bars_top - row_h * max(len(people), 1)
    for pct in (0, 25, 50, 75, 100):
        x = bar_x0 + bar_w * pct / 100
        d.add(Line(x, bars_bottom, x, bars_top, strokeColor=Color(0.8, 0.8, 0.8), strokeWidth=0.3))
        # "100%" ends at the bar's end: centred there, it would hang past the text block.
        # The ticks stay compact ("25%", not the text's "25 %"): 7.5 pt under a grid line,
        # where a space would only widen the label
        d.add(String(x, bars_bottom - 3.4 * MM, f"{pct}%", fontName=REGULAR, fontSize=7.5,
                     textAnchor="end" if pct == 100 else "middle"))
    lines_x = [bar_x0 + bar_w * frac for frac, _ in lines]
    for i, c in enumerate(people):
        y = bars_top - row_h * (i + 1) + (row_h - bar_h) / 2
        _person_bar(d, c, base, y, bar_x0, bar_w, bar_h, label_w, lines_x, levels)
    for x, (_, label) in zip(lines_x, lines, strict=True):
        d.add(Line(x, bars_bottom, x, bars_top + 1.2 * MM, strokeColor=black, strokeWidth=0.7,
                   strokeDashArray=[2.5, 1.8]))
        d.add(String(x, bars_top + 2.3 * MM, label, fontName=BOLD, fontSize=8, textAnchor="middle"))
    y = bars_bottom - axis_h - 3 * MM
    for row in legend_rows:
        x = bar_x0
        for kind in row:
            _swatch(d, kind, x, y, 4 * MM, 3 * MM)
            d.add(String(x + 5.5 * MM, y + 0.6 * MM, _legend_label(kind), fontName=REGULAR,
                         fontSize=8.5))
            x += 5.5 * MM + _w(_legend_label(kind), 8.5) + 5 * MM
        y -= 4.5 * MM
    return d


def _legend_label(kind: str) -> str:
    return {"invalid": INVALID_LABEL, "absent": ABSENT_LABEL}.get(kind) or t(kind)


def _legend_rows(kinds: list[str], width: float) -> list[list[str]]:
    rows: list[list[str]] = [[]]
    used = 0.0
    for kind in kinds:
        need = 5.5 * MM + _w(_legend_label(kind), 8.5) + 5 * MM
        if rows[-1] and used + need > width:
            rows.append([])
            used = 0.0
        rows[-1].append(kind)
        used += need
    return rows


def _swatch(d: Drawing, kind: str, x: float, y: float, w: float, h: float) -> None:
    if kind in LEVEL_COLOURS:
        d.add(Rect(x, y, w, h, fillColor=Color(*LEVEL_COLOURS[kind]),
                   strokeColor=Color(0.4, 0.4, 0.4), strokeWidth=0.3))
    elif kind == "invalid":
        d.add(Rect(x, y, w, h, fillColor=white, strokeColor=black, strokeWidth=0.4))
        _hatch(d, x, y, w, h)
    else:
        d.add(Rect(x, y, w, h, fillColor=white, strokeColor=black, strokeWidth=0.4,
                   strokeDashArray=[1, 1]))


def _hatch(d: Drawing, x: float, y: float, w: float, h: float, step: float = 1.2 * MM) -> None:
    """Diagonal lines inside the rectangle (x, y, w, h), clipped by hand."""
    k = -h
    while k < w:
        x0, y0 = x + max(k, 0), y + max(-k, 0)
        x1, y1 = x + min(k + h, w), y + min(w - k, h)
        if x1 > x0:
            d.add(Line(x0, y0, x1, y1, strokeColor=Color(0.25, 0.25, 0.25), strokeWidth=0.35))
        k += step


def _person_bar(d: Drawing, c: dict[str, Any], base: int, y: float, bar_x0: float, bar_w: float,
                bar_h: float, label_w: float, lines_x: list[float], levels: tuple[str, ...]
                ) -> None:
    label = nfc(f"{c['candidate']}. {c['name']}")
    size = 8.5
    while _w(label, size) > label_w - 2 * MM and size > 6:
        size -= 0.25
    while _w(label, size) > label_w - 2 * MM:
        label = label[:-2] + "…"
    d.add(String(label_w - 2 * MM, y + bar_h / 2 - size * 0.33, label, fontName=REGULAR,
                 fontSize=size, textAnchor="end"))
    x = bar_x0
    own = int(c.get("base") or base)
    for kind, n in parts(c, base, levels):
        w = bar_w * n / own if own else 0.0
        if w <= 0:
            continue
        w = min(w, bar_x0 + bar_w - x)
        _swatch(d, kind, x, y, w, bar_h)
        if kind in LEVEL_COLOURS:
            text = vn_number(c["percent"][kind])
            tx = _label_x(text, x, w, lines_x)
            if tx is not None:
                dark = kind in ("low", "no_confidence")
                d.add(String(tx, y + bar_h / 2 - 2.3, text, fontName=REGULAR, fontSize=7,
                             textAnchor="middle", fillColor=white if dark else black))
        x += w


def _label_x(text: str, x: float, w: float, lines_x: list[float]) -> float | None:
    """Where to centre ``text`` in the part (x, w) so that no threshold line crosses it."""
    tw = _w(text, 7) + 1.0 * MM
    if tw + 0.5 * MM > w:
        return None
    for cx in (x + w / 2, x + tw / 2 + 0.3 * MM, x + w - tw / 2 - 0.3 * MM):
        if all(abs(cx - lx) > tw / 2 + 0.4 * MM for lx in lines_x):
            return cx
    return None


def chart_pngs(doc: dict[str, Any], dpi: int = 200, width_mm: float = TEXT_WIDTH_MM) -> list[bytes]:
    """The chart's drawings as PNGs at ``dpi`` (drawn as PDF, rasterised by pypdfium2)."""
    out = []
    for drawing in chart_drawings(doc, width_mm):
        page = pdfium.PdfDocument(renderPDF.drawToString(drawing))[0]
        image = page.render(scale=dpi / 72).to_pil().convert("RGB")
        buf = io.BytesIO()
        image.save(buf, format="PNG", dpi=(dpi, dpi), optimize=True)
        out.append(buf.getvalue())
    return out


def chart_png(doc: dict[str, Any], dpi: int = 200) -> bytes:
    """The first drawing of the chart as a PNG (the whole chart for up to 32 people)."""
    return chart_pngs(doc, dpi)[0]
