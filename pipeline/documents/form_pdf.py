"""A `Form` set as PDF (reportlab platypus): A4, Nghị định 30 margins, Liberation Serif.

Page numbers are centred at the top from page 2. A section heading is never
the last line of a page: a conditional page break before it leaves room for
at least the heading and the first lines (or a table's header and first rows)
of what follows. Tables repeat their header rows on every page and are
never wider than the text block; rows never split across pages. The output
is deterministic (reportlab ``invariant``): the same form gives the same bytes.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from pipeline.documents.ballot_text import keep_compounds
from pipeline.documents.chart import chart_drawings
from pipeline.documents.form import ChartBlock, Closing, Codes, Form, Grid, Heading, Signer, Text
from pipeline.documents.typography import (
    BODY_PT,
    BOLD,
    BOLD_ITALIC,
    ITALIC,
    LANDSCAPE_MARGINS_MM,
    MARGINS_MM,
    MM,
    NATIONAL_MOTTO,
    NATIONAL_NAME,
    PAGE_MM,
    PARTY_NAME,
    REGULAR,
    esc,
    heading_lines,
    nfc,
    register_fonts,
    string_width,
)

LEFT_HEAD_MM = 68.0  # the issuer's column of the heading (the national heading gets the rest)
# the longest line of the issuer's name: the column less Word's cell margins, so that the
# PDF and the DOCX break the heading at the same words and Word never breaks it again
HEAD_LINE_MM = LEFT_HEAD_MM - 6


def style(name: str, **kw: Any) -> ParagraphStyle:
    base = {"fontName": REGULAR, "fontSize": BODY_PT, "leading": BODY_PT * 1.25,
            "alignment": TA_JUSTIFY}
    return ParagraphStyle(name, **{**base, **kw})


STYLES = {
    "title": style("title", fontName=BOLD, fontSize=14, leading=18, alignment=TA_CENTER,
                   spaceBefore=4, keepWithNext=1),
    "subtitle": style("subtitle", fontName=BOLD, leading=16, alignment=TA_CENTER),
    "center": style("center", alignment=TA_CENTER),
    "ground": style("ground", fontName=ITALIC, firstLineIndent=10 * MM, spaceAfter=2),
    "section": style("section", fontName=BOLD, spaceBefore=6, spaceAfter=3, alignment=TA_LEFT),
    "body": style("body", firstLineIndent=10 * MM, spaceAfter=3),
    "article": style("article", firstLineIndent=10 * MM, spaceAfter=3, spaceBefore=2),
    "item": style("item", leftIndent=10 * MM, spaceAfter=2),
    "note": style("note", fontName=ITALIC, fontSize=11, leading=13.5, spaceBefore=2, spaceAfter=3),
    "strong": style("strong", fontName=BOLD, firstLineIndent=10 * MM, spaceAfter=3, keepWithNext=1),
    "caption": style("caption", fontName=ITALIC, fontSize=11, leading=14, alignment=TA_CENTER,
                     spaceAfter=4),
}


class Rule(Flowable):
    """A short horizontal rule centred in the width it is given (the line under a heading)."""

    def __init__(self, width_pt: float, space: float = 2) -> None:
        super().__init__()
        self.rule_w, self.space = width_pt, space

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.avail = avail_width
        return avail_width, self.space + 1

    def draw(self) -> None:
        x0 = (self.avail - self.rule_w) / 2
        self.canv.setLineWidth(0.6)
        self.canv.line(x0, 1, x0 + self.rule_w, 1)


def p(text: str, st: ParagraphStyle) -> Paragraph:
    return Paragraph(esc(text), st)


def heading_flowable(h: Heading, text_w: float) -> Table:
    """The issuer top-left, the national (or Party) heading top-right, place and date."""
    centre = {"alignment": TA_CENTER, "leading": 15}
    left_w = LEFT_HEAD_MM * MM
    left: list[Any] = []
    if h.parent:
        left += [p(x, style("hp", fontSize=12.5, **centre))
                 for x in heading_lines(h.parent, 12.5, HEAD_LINE_MM)]
    left += [p(x, style("hi", fontName=BOLD, fontSize=12.5, **centre))
             for x in heading_lines(h.issuer, 12.5, HEAD_LINE_MM, BOLD)]
    if h.party:  # Hướng dẫn 36-HD/VPTW: a star under the Party body's name, no rule
        left.append(p("*", style("hs", fontName=BOLD, fontSize=12.5, **centre)))
    else:
        left.append(Rule(22 * MM, space=5))
    if h.number:
        left.append(p(h.number, style("hn", fontSize=13, **centre)))
    if h.party:
        right: list[Any] = [p(PARTY_NAME, style("pn", fontName=BOLD, fontSize=15, **centre)),
                            Rule(string_width(PARTY_NAME, 15, BOLD), space=0), Spacer(1, 6)]
    else:
        right = [p(NATIONAL_NAME, style("n0", fontName=BOLD, fontSize=12, **centre)),
                 p(NATIONAL_MOTTO, style("n1", fontName=BOLD, fontSize=13, **centre)),
                 Rule(string_width(NATIONAL_MOTTO, 13, BOLD), space=0), Spacer(1, 6)]
    right.append(p(h.place_date, style("pd", fontName=ITALIC, fontSize=13, **centre)))
    table = Table([[left, right]], colWidths=[left_w, text_w - left_w])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    out: list[Any] = []
    if h.draft:
        out.append(p("DỰ THẢO", style("draft", fontName=BOLD, fontSize=12, alignment=TA_RIGHT)))
    out.append(table)
    return out  # type: ignore[return-value]


def grid_flowable(g: Grid, text_w: float) -> Table:
    widths = [w * MM for w in g.widths_mm]
    scale = min(1.0, text_w / sum(widths))
    widths = [w * scale for w in widths]
    aligns = {"L": TA_LEFT, "C": TA_CENTER, "R": TA_RIGHT}
    head_st = style("gh", fontName=BOLD, fontSize=g.size - 1, leading=g.size * 1.1,
                    alignment=TA_CENTER)
    cells = {a: style(f"g{a}", fontSize=g.size, leading=g.size * 1.2, alignment=aligns[a])
             for a in "LCR"}
    bold_cells = {a: style(f"gb{a}", fontName=BOLD, fontSize=g.size, leading=g.size * 1.2,
                           alignment=aligns[a]) for a in "LCR"}
    band_st = style("gband", fontName=BOLD, fontSize=g.size, leading=g.size * 1.2, alignment=TA_LEFT)
    data: list[list[Any]] = [[p(x, head_st) if x else "" for x in row] for row in g.header]
    top = len(g.header)
    extra: list[Any] = []
    for i, row in enumerate(g.rows):
        if i in g.bands:
            data.append([p(row[0], band_st)] + [""] * (len(widths) - 1))
            extra += [("SPAN", (0, top + i), (-1, top + i)),
                      ("BACKGROUND", (0, top + i), (-1, top + i), colors.Color(0.96, 0.96, 0.96))]
            continue
        data.append([p(keep_compounds(x), (bold_cells if j in g.bold_cols else cells)[g.align[j]])
                     if x else "" for j, x in enumerate(row)])
    # a group's band never ends a page, nor the header: each stays with the row after it
    extra += [("NOSPLIT", (0, top + i), (-1, top + i + 1)) for i in g.bands
              if i + 1 < len(g.rows)]
    if g.rows:
        extra.append(("NOSPLIT", (0, 0), (-1, top)))
    table = Table(data, colWidths=widths, repeatRows=top, splitByRow=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("BACKGROUND", (0, 0), (-1, top - 1), colors.Color(0.93, 0.93, 0.93)),
        *(("SPAN", a, b) for a, b in g.spans), *extra]))
    return table


def codes_flowable(c: Codes, text_w: float) -> Table:
    """The certificate's digest and the key's fingerprint, in a fixed-width face."""
    label = style("codelabel", fontName=BOLD, fontSize=12, leading=14, alignment=TA_LEFT)
    mono = style("code", fontName="Courier", fontSize=11, leading=13.5, alignment=TA_LEFT)
    rows = [[p(name, label), Paragraph("<br/>".join(esc(x) for x in code.split("\n")), mono)]
            for name, code in c.pairs]
    table = Table(rows, colWidths=[62 * MM, text_w - 62 * MM])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (0, -1), 0)]))
    return table


def signer_cell(s: Signer) -> list[Any]:
    title = style("sig", fontName=BOLD, alignment=TA_CENTER, leading=16)
    hint = style("hint", fontName=ITALIC, fontSize=12, leading=14, alignment=TA_CENTER)
    name = style("signame", fontName=BOLD, alignment=TA_CENTER)
    cell: list[Any] = [p(x, title) for x in s.authority]
    if s.hint:
        cell.append(p(s.hint, hint))
    cell.append(Spacer(1, 22 * MM))
    cell.append(p(s.name, name) if s.name else Rule(50 * MM))
    return cell


def recipients_cell(lines: tuple[str, ...]) -> list[Any]:
    head = style("rh", fontName=BOLD_ITALIC, fontSize=12, leading=14, alignment=TA_LEFT)
    line = style("rl", fontSize=11, leading=13, alignment=TA_LEFT)
    return [p("Nơi nhận:", head), *(p(x, line) for x in lines)]


def closing_flowables(c: Closing, text_w: float, render: Any) -> list[Any]:
    pad = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
           ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]
    half = text_w / 2
    lead = [f for b in c.keep_with for f in render(b)]
    if len(c.signers) == 1:
        table = Table([[recipients_cell(c.recipients) if c.recipients else "",
                        signer_cell(c.signers[0])]], colWidths=[half, half])
        table.setStyle(TableStyle(pad))
        return [KeepTogether([*lead, Spacer(1, 4 * MM), table])]
    cells = [signer_cell(s) for s in c.signers]
    if len(cells) % 2:
        cells.append("")
    rows = [[cells[i], cells[i + 1]] for i in range(0, len(cells), 2)]
    table = Table(rows, colWidths=[half, half])
    table.setStyle(TableStyle(pad))
    tail = [KeepTogether(recipients_cell(c.recipients))] if c.recipients else []
    # the closing sentence, the signatures and Nơi nhận on one page (split only if longer)
    return [KeepTogether([*lead, Spacer(1, 4 * MM), table, *tail])]


def form_pdf(form: Form) -> bytes:
    """``form`` as PDF bytes."""
    register_fonts()
    page_w, page_h = PAGE_MM[1] if form.landscape else PAGE_MM[0], \
        PAGE_MM[0] if form.landscape else PAGE_MM[1]
    margins = LANDSCAPE_MARGINS_MM if form.landscape else MARGINS_MM
    text_w = (page_w - margins["left"] - margins["right"]) * MM

    def render(block: Any) -> list[Any]:
        if isinstance(block, Text):
            if block.kind == "rule":
                return [Rule(40 * MM, space=4), Spacer(1, 3 * MM)]
            text = esc(block.text)
            if block.lead:
                text = f"<b>{esc(block.lead)}</b> {text}"
            para = Paragraph(text, STYLES[block.kind])
            if block.kind == "section":
                return [CondPageBreak(30 * MM), para]
            return [para]
        if isinstance(block, Grid):
            return [grid_flowable(block, text_w)]
        if isinstance(block, ChartBlock):
            drawings = chart_drawings(block.doc, text_w / MM)
            out: list[Any] = []
            for i, drawing in enumerate(drawings):
                last = i == len(drawings) - 1
                out.append(KeepTogether([Spacer(1, 2 * MM), drawing,
                                         *([p(block.caption, STYLES["caption"])] if last else [])]))
            return out
        if isinstance(block, Codes):
            return [codes_flowable(block, text_w)]
        raise TypeError(f"unknown block {block!r}")

    story: list[Any] = [*heading_flowable(form.heading, text_w), Spacer(1, 7 * MM)]
    for block in form.blocks:
        story += render(block)
    story += closing_flowables(form.closing, text_w, render)
    buf = io.BytesIO()
    pdf = SimpleDocTemplate(
        buf, pagesize=(page_w * MM, page_h * MM), invariant=1,
        leftMargin=margins["left"] * MM, rightMargin=margins["right"] * MM,
        topMargin=margins["top"] * MM, bottomMargin=margins["bottom"] * MM,
        title=nfc(form.title), author=nfc(form.author), subject=nfc(form.subject),
        creator="kiemphieu", lang="vi", initialFontName=REGULAR,
        keywords=list(form.keywords),
    )

    def page_number(canvas: Any, document: Any) -> None:
        if document.page > 1:  # Nghị định 30: numbered from page 2, centred at the top
            canvas.setFont(REGULAR, 13)
            canvas.drawCentredString(page_w * MM / 2, page_h * MM - 12 * MM, str(document.page))

    pdf.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buf.getvalue()
