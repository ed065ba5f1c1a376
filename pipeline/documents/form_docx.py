"""A `Form` as a Word document (python-docx), the same words as the PDF.

Times New Roman 13 pt, the margins of Nghị định 30, page numbers centred in
the header from page 2. Every run, the styles' defaults and the document's
properties are marked Vietnamese (``vi-VN``) so Word checks the text as
Vietnamese. The heading's lines are broken where the PDF breaks them (never
"HUYỆN / NINH SƠN"). Tables repeat their header rows, rows do not split
across pages, the header and a group's band keep with the row after them,
and a section heading keeps with what follows. The package drops the
template's thumbnail (a blank page Word would show as the preview) and its
bibliography (custom XML: customXml/item1.xml and its properties), and its
app.xml names kiemphieu, not Word (`_own_package`).
"""

from __future__ import annotations

import io
from typing import Any

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from pipeline.documents.chart import chart_pngs
from pipeline.documents.form import ChartBlock, Closing, Codes, Form, Grid, Heading, Signer, Text
from pipeline.documents.form_pdf import HEAD_LINE_MM, LEFT_HEAD_MM
from pipeline.documents.typography import (
    BODY_PT,
    BOLD,
    DOCX_FONT,
    DOCX_MONO,
    LANDSCAPE_MARGINS_MM,
    LANGUAGE,
    MARGINS_MM,
    NATIONAL_MOTTO,
    NATIONAL_NAME,
    PAGE_MM,
    PARTY_NAME,
    heading_lines,
    nfc,
)

ALIGN = {"L": WD_ALIGN_PARAGRAPH.LEFT, "C": WD_ALIGN_PARAGRAPH.CENTER,
         "R": WD_ALIGN_PARAGRAPH.RIGHT, "J": WD_ALIGN_PARAGRAPH.JUSTIFY}


class _Writer:
    def __init__(self, form: Form) -> None:
        self.form = form
        self.d = docx.Document()
        landscape = form.landscape
        margins = LANDSCAPE_MARGINS_MM if landscape else MARGINS_MM
        page_w, page_h = (PAGE_MM[1], PAGE_MM[0]) if landscape else PAGE_MM
        self.text_w = page_w - margins["left"] - margins["right"]
        s = self.d.sections[0]
        s.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        s.page_width, s.page_height = Mm(page_w), Mm(page_h)
        s.top_margin, s.bottom_margin = Mm(margins["top"]), Mm(margins["bottom"])
        s.left_margin, s.right_margin = Mm(margins["left"]), Mm(margins["right"])
        self._styles()

    def _styles(self) -> None:
        normal = self.d.styles["Normal"]
        normal.font.name = DOCX_FONT
        normal.font.size = Pt(BODY_PT)
        rpr = normal.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), DOCX_FONT)
        _lang(rpr)
        defaults = self.d.styles.element.find(qn("w:docDefaults"))
        if defaults is not None:
            rpr_default = defaults.find(qn("w:rPrDefault"))
            if rpr_default is not None and rpr_default.find(qn("w:rPr")) is not None:
                _lang(rpr_default.find(qn("w:rPr")))
        fmt = normal.paragraph_format
        fmt.space_after, fmt.space_before, fmt.line_spacing = Pt(3), Pt(0), 1.15

    def para(self, text: str = "", *, bold: bool = False, italic: bool = False,
             size: float | None = None, align: str = "J", indent: float = 0, left: float = 0,
             container: Any = None, before: float = 0, after: float = 3, lead: str = "",
             keep: bool = False) -> Any:
        par = (container or self.d).add_paragraph()
        par.alignment = ALIGN[align]
        fmt = par.paragraph_format
        fmt.space_before, fmt.space_after = Pt(before), Pt(after)
        fmt.keep_with_next = keep
        if indent:
            fmt.first_line_indent = Mm(indent)
        if left:
            fmt.left_indent = Mm(left)
        if lead:
            run = par.add_run(nfc(lead) + " ")
            run.bold = True
            if size:
                run.font.size = Pt(size)
        if text:
            lines = nfc(text).split("\n")
            for i, line in enumerate(lines):
                run = par.add_run(line)
                run.bold, run.italic = bold, italic
                if size:
                    run.font.size = Pt(size)
                if i < len(lines) - 1:
                    run.add_break()
        return par

    def heading(self, h: Heading) -> None:
        if h.draft:
            self.para("DỰ THẢO", bold=True, size=12, align="R", after=0)
        t = self.d.add_table(rows=1, cols=2)
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        _widths(t, (LEFT_HEAD_MM, self.text_w - LEFT_HEAD_MM))
        lc, rc = t.rows[0].cells
        lc._tc.remove(lc.paragraphs[0]._p)
        rc._tc.remove(rc.paragraphs[0]._p)
        if h.parent:
            self.para("\n".join(heading_lines(h.parent, 12.5, HEAD_LINE_MM)), size=12.5,
                      align="C", container=lc, after=0)
        self.para("\n".join(heading_lines(h.issuer, 12.5, HEAD_LINE_MM, BOLD)), bold=True,
                  size=12.5, align="C", container=lc, after=0)
        self.para("*" if h.party else "—————", size=12.5 if h.party else 9, bold=h.party,
                  align="C", container=lc, after=2)
        if h.number:
            self.para(h.number, size=13, align="C", container=lc, after=0)
        if h.party:
            self.para(PARTY_NAME, bold=True, size=15, align="C", container=rc, after=0)
            self.para("—————————", size=9, align="C", container=rc, after=6)
        else:
            self.para(NATIONAL_NAME, bold=True, size=12, align="C", container=rc, after=0)
            motto = self.para("", align="C", container=rc, after=6)
            run = motto.add_run(NATIONAL_MOTTO)
            run.bold, run.underline = True, True
            run.font.size = Pt(13)
        self.para(h.place_date, italic=True, size=13, align="C", container=rc, after=0)
        self.para("", after=6)

    def text(self, b: Text) -> None:
        k = b.kind
        if k == "rule":
            self.para("—————", size=9, align="C", after=9)
        elif k == "title":
            self.para(b.text, bold=True, size=14, align="C", before=12, after=0, keep=True)
        elif k == "subtitle":
            self.para(b.text, bold=True, align="C", after=0, keep=True)
        elif k == "center":
            self.para(b.text, align="C")
        elif k == "ground":
            self.para(b.text, italic=True, indent=10, after=2)
        elif k == "section":
            self.para(b.text, bold=True, align="L", before=6, keep=True)
        elif k in ("body", "article"):
            self.para(b.text, indent=10, lead=b.lead, before=2 if k == "article" else 0)
        elif k == "strong":
            self.para(b.text, bold=True, indent=10, keep=True)
        elif k == "item":
            self.para(b.text, left=10, after=1)
        elif k == "note":
            self.para(b.text, italic=True, size=11, before=2)
        elif k == "caption":
            self.para(b.text, italic=True, size=11, align="C")
        else:
            raise ValueError(f"unknown paragraph kind {k!r}")

    def grid(self, g: Grid) -> None:
        n_cols = len(g.widths_mm)
        top = len(g.header)
        t = self.d.add_table(rows=top + len(g.rows), cols=n_cols)
        t.style = self.d.styles["Table Grid"]
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        scale = min(1.0, self.text_w / sum(g.widths_mm))
        rows = list(t.rows)  # table.cell() rebuilds the whole grid each call: rows instead
        for (c0, r0), (c1, r1) in g.spans:
            rows[r0].cells[c0].merge(rows[r1].cells[c1])
        for i in g.bands:
            cells = rows[top + i].cells
            cells[0].merge(cells[-1])
        for r, (row_obj, row) in enumerate(zip(rows, (*g.header, *g.rows), strict=True)):
            done: set[int] = set()
            for c, (cell, text) in enumerate(zip(row_obj.cells, row, strict=True)):
                if id(cell._tc) in done or not text:
                    continue
                done.add(id(cell._tc))
                cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
                par = cell.paragraphs[0]
                head = r < top
                band = r - top in g.bands and r >= top
                par.alignment = ALIGN["C" if head else ("L" if band else g.align[c])]
                par.paragraph_format.space_after = Pt(0)
                run = par.add_run(nfc(text))
                run.bold = head or band or c in g.bold_cols
                run.font.size = Pt(g.size - (1 if head else 0))
        _widths(t, [w * scale for w in g.widths_mm])
        _cell_margins(t, 0.8)
        for i, row in enumerate(t.rows):
            trpr = row._tr.get_or_add_trPr()
            trpr.append(trpr.makeelement(qn("w:cantSplit"), {qn("w:val"): "true"}))
            if i < top or i - top in g.bands:  # the header and a group's band keep with the next row
                for cell in row.cells:
                    for par in cell.paragraphs:
                        par.paragraph_format.keep_with_next = True
            if i < top:  # the header repeats on every page
                trpr.append(trpr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"}))

    def chart(self, b: ChartBlock) -> None:
        pngs = chart_pngs(b.doc, width_mm=self.text_w)
        for png in pngs:
            pic = self.para("", align="C", before=4, after=0)
            pic.paragraph_format.keep_with_next = True
            pic.add_run().add_picture(io.BytesIO(png), width=Mm(self.text_w))
        self.para(b.caption, italic=True, size=11, align="C")

    def codes(self, b: Codes) -> None:
        for name, code in b.pairs:
            self.para(name, bold=True, size=12, align="L", after=0, keep=True)
            parts = code.split("\n")
            for i, part in enumerate(parts):
                par = self.para(align="L", left=10, after=3 if i == len(parts) - 1 else 0,
                                keep=i < len(parts) - 1)
                run = par.add_run(part)
                run.font.name = DOCX_MONO
                run.font.size = Pt(11)

    def signer(self, s: Signer, cell: Any) -> None:
        cell._tc.remove(cell.paragraphs[0]._p)
        for line in s.authority:
            self.para(line, bold=True, align="C", container=cell, after=0, keep=True)
        if s.hint:
            self.para(s.hint, italic=True, size=12, align="C", container=cell, after=0, keep=True)
        self.para(s.name or "." * 40, bold=bool(s.name), align="C", container=cell, before=64,
                  after=8)

    def closing(self, c: Closing) -> None:
        body = self.d.element.body
        before = len(body.findall(qn("w:p")))
        for b in c.keep_with:
            self.block(b)
        for p in body.findall(qn("w:p"))[before:]:  # on the signatures' page, as in the PDF
            p.get_or_add_pPr().keepNext_val = True
        half = self.text_w / 2
        if len(c.signers) == 1:
            t = self.d.add_table(rows=1, cols=2)
            _widths(t, (half, half))
            lc, rc = t.rows[0].cells
            if c.recipients:
                self.recipients(c.recipients, lc)
            self.signer(c.signers[0], rc)
            return
        cells: list[Signer | None] = list(c.signers)
        if len(cells) % 2:
            cells.append(None)
        t = self.d.add_table(rows=len(cells) // 2, cols=2)
        _widths(t, (half, half))
        for i, s in enumerate(cells):
            if s is not None:
                self.signer(s, t.rows[i // 2].cells[i % 2])
        for row in t.rows:
            trpr = row._tr.get_or_add_trPr()
            trpr.append(trpr.makeelement(qn("w:cantSplit"), {qn("w:val"): "true"}))
        if c.recipients:
            self.recipients(c.recipients, None)

    def recipients(self, lines: tuple[str, ...], cell: Any) -> None:
        if cell is not None:
            cell._tc.remove(cell.paragraphs[0]._p)
        par = self.para("", align="L", container=cell, after=0, keep=True, before=6)
        run = par.add_run("Nơi nhận:")
        run.bold, run.italic = True, True
        run.font.size = Pt(12)
        for i, line in enumerate(lines):
            self.para(line, size=11, align="L", container=cell, after=0, keep=i < len(lines) - 1)

    def block(self, b: Any) -> None:
        if isinstance(b, Text):
            self.text(b)
        elif isinstance(b, Grid):
            self.grid(b)
        elif isinstance(b, ChartBlock):
            self.chart(b)
        elif isinstance(b, Codes):
            self.codes(b)
        else:
            raise TypeError(f"unknown block {b!r}")

    def finish(self) -> bytes:
        form = self.form
        core = self.d.core_properties
        core.title = nfc(form.title)
        core.author = nfc(form.author)
        core.subject = nfc(form.subject)
        core.keywords = ", ".join(form.keywords)
        core.comments = ""
        core.category = ""
        core.language = LANGUAGE
        if form.created is not None:
            core.created = core.modified = form.created
        core.last_modified_by = nfc(form.author)
        core.revision = 1
        theme = self.d.settings.element.find(qn("w:themeFontLang"))
        if theme is not None:  # the template's en-US / ja-JP: the theme's fonts set Vietnamese
            theme.attrib.clear()
            theme.set(qn("w:val"), LANGUAGE)
        for part in _all_runs(self.d):
            _lang(part.get_or_add_rPr())
        _page_numbers(self.d)
        _own_package(self.d)
        buf = io.BytesIO()
        self.d.save(buf)
        return buf.getvalue()


def form_docx(form: Form) -> bytes:
    """``form`` as DOCX bytes."""
    w = _Writer(form)
    w.heading(form.heading)
    for b in form.blocks:
        w.block(b)
    w.closing(form.closing)
    return w.finish()


def _all_runs(d: Any) -> list[Any]:
    """Every run of the body, the tables' cells and the headers, as XML elements."""
    roots = [d.element.body] + [s.header._element for s in d.sections] + \
        [s.first_page_header._element for s in d.sections]
    return [r for root in roots for r in root.iter(qn("w:r"))]


def _lang(rpr: Any) -> None:
    """Mark a run's properties Vietnamese (replacing any language given)."""
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    lang = rpr.makeelement(qn("w:lang"), {qn("w:val"): LANGUAGE, qn("w:eastAsia"): LANGUAGE,
                                          qn("w:bidi"): LANGUAGE})
    rpr.append(lang)


def _widths(table: Any, widths_mm: Any) -> None:
    """Fixed column widths that Word and LibreOffice both honour: the grid, and every cell
    as wide as the columns it spans (Word lays a fixed table out by its cells' widths, so a
    merged cell must carry the sum, and a cell merged into the one above its own column's)."""
    table.autofit = False  # <w:tblLayout w:type="fixed"/>, in its place among the properties
    widths = list(widths_mm)
    for col, w in zip(table.columns, widths, strict=True):
        col.width = Mm(w)
    for tr in table._tbl.tr_lst:
        first = 0
        for tc in tr.tc_lst:
            tc.width = Mm(sum(widths[first:first + tc.grid_span]))
            first += tc.grid_span


def _cell_margins(table: Any, mm: float) -> None:
    tblpr = table._tbl.tblPr
    mar = tblpr.makeelement(qn("w:tblCellMar"), {})
    for side in ("left", "right"):
        mar.append(mar.makeelement(qn(f"w:{side}"), {qn("w:w"): str(round(mm * 56.7)),
                                                      qn("w:type"): "dxa"}))
    # the schema's order: the cell margins come before tblLook, tblCaption, tblDescription
    tblpr.insert_element_before(mar, "w:tblLook", "w:tblCaption", "w:tblDescription",
                                "w:tblPrChange")


#: docProps/app.xml as we write it: the application that made the file, no version, no
#: page or word counts (python-docx's template names Word 14 on a Mac and counts nothing)
APP_XML = (
    b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'docPropsVTypes"><Application>kiemphieu</Application><DocSecurity>0</DocSecurity>'
    b"</Properties>")


def _own_package(d: Any) -> None:
    """The package's parts as ours: no thumbnail (the template's blank page, which Word and
    Explorer would show as this document's preview), no custom XML (the template's empty
    bibliography, customXml/item1.xml, and its properties part itemProps1.xml), and an
    app.xml naming kiemphieu. The package is written from its relationships, so dropping a
    part's relationship drops the part, the parts only it leads to and their content types
    too. Nothing in the document refers to the custom XML's relationship by its id."""
    rels = d.part.package.rels
    for rid, rel in list(rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            _drop(rels, rid)
        elif rel.reltype == RT.EXTENDED_PROPERTIES:
            rel.target_part._blob = APP_XML
    for rid, rel in list(d.part.rels.items()):
        if rel.reltype == RT.CUSTOM_XML:
            _drop(d.part.rels, rid)


def _drop(rels: Any, rid: str) -> None:
    """Remove the relationship ``rid`` (and so, on saving, the part it leads to)."""
    del rels[rid]
    rels.related_parts.pop(rid, None)


def _page_numbers(d: Any) -> None:
    """A centred PAGE field in the header, hidden on page 1 (Nghị định 30)."""
    section = d.sections[0]
    section.different_first_page_header_footer = True
    par = section.header.paragraphs[0]
    par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = par.add_run()
    run.font.color.rgb = RGBColor(0, 0, 0)
    for tag, attrs in (("w:fldChar", {qn("w:fldCharType"): "begin"}),
                       ("w:instrText", {}),
                       ("w:fldChar", {qn("w:fldCharType"): "end"})):
        el = run._r.makeelement(qn(tag), attrs)
        if tag == "w:instrText":
            el.set(qn("xml:space"), "preserve")
            el.text = " PAGE "
        run._r.append(el)
    _lang(run._r.get_or_add_rPr())
