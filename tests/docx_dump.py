"""A Word document as plain text: what a reader sees and what Word is told, line by line.

`dump` reads a DOCX (python-docx, and its XML where python-docx says nothing)
and writes, in a fixed order:

- the properties (core, and every element of docProps/app.xml), the
  package's parts, its own relationships (_rels/.rels), the document's
  (word/_rels/document.xml.rels), its content types, whether it holds custom
  XML (customXml/) and whether "python-docx" is named anywhere in them;
- the styles the text inherits, the proofing language of the styles and the
  settings;
- each section: page size and orientation, margins, the headers;
- a summary of the language tag of every run (body, tables, headers);
- the body, block by block. A paragraph is one line: ``¶``, its alignment,
  indents (mm), space before/after (pt), keep-with-next / keep-lines / page
  break before, then its text. Runs that are not regular Times New Roman
  13 pt are wrapped in ``[b i u 12pt Courier New]…[/]``; ``↵`` is a line
  break, ``⎵`` a no-break space, ``→`` a tab; pictures, fields and page
  breaks are named in brackets. A table gives its column widths, alignment,
  layout, the order of its properties' XML elements, then each row (header
  repeat, no split across pages) and each cell (width when it is not its
  column's, merges, vertical alignment) with its paragraphs.

Text that is not NFC is flagged where it stands, never normalised.
"""

from __future__ import annotations

import collections
import io
import unicodedata
import zipfile
from typing import Any
from xml.etree import ElementTree

import docx
from docx.oxml.ns import qn
from docx.shared import Length

EMU_PER_MM = 36000
DEFAULT_FONT = "Times New Roman"
DEFAULT_PT = 13.0
ALIGN = {None: "inherit", 0: "left", 1: "center", 2: "right", 3: "justify"}
V_ALIGN = {None: "", 0: "top", 1: "center", 3: "bottom"}
LEGEND = ("# ¶ paragraph: alignment · indents (mm) · space before/after (pt) · keep flags | text.\n"
          "# Runs other than regular Times New Roman 13 pt: [b i u size font]…[/]; "
          "↵ line break, ⎵ no-break space, → tab.")


def _mm(length: Any) -> str:
    return "-" if length is None else f"{Length(length).mm:.1f}"


def _pt(length: Any) -> str:
    return "-" if length is None else f"{Length(length).pt:g}"


def _visible(text: str) -> str:
    shown = text.replace("\u00a0", "⎵").replace("\t", "→")
    return shown if unicodedata.is_normalized("NFC", text) else f"{shown}[NOT NFC]"


def _on(rpr: Any, tag: str) -> bool:
    """Whether a run property (w:b, w:i) is on: present and not w:val="0"/"false"."""
    el = rpr.find(qn(tag)) if rpr is not None else None
    return el is not None and el.get(qn("w:val"), "true") not in ("0", "false", "off")


def _run_tags(r: Any) -> str:
    rpr = r.find(qn("w:rPr"))
    tags = []
    if _on(rpr, "w:b"):
        tags.append("b")
    if _on(rpr, "w:i"):
        tags.append("i")
    u = rpr.find(qn("w:u")) if rpr is not None else None
    if u is not None and u.get(qn("w:val")) not in (None, "none"):
        tags.append("u" if u.get(qn("w:val")) == "single" else f"u={u.get(qn('w:val'))}")
    sz = rpr.find(qn("w:sz")) if rpr is not None else None
    if sz is not None and int(sz.get(qn("w:val"))) / 2 != DEFAULT_PT:
        tags.append(f"{int(sz.get(qn('w:val'))) / 2:g}pt")
    fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
    if fonts is not None and fonts.get(qn("w:ascii")) not in (None, DEFAULT_FONT):
        tags.append(fonts.get(qn("w:ascii")))
    color = rpr.find(qn("w:color")) if rpr is not None else None
    if color is not None:
        tags.append(f"color {color.get(qn('w:val'))}")
    return " ".join(tags)


def _run_text(r: Any) -> str:
    out = []
    for el in r:
        tag = el.tag.split("}")[1]
        if tag == "t":
            out.append(_visible(el.text or ""))
        elif tag == "br":
            kind = el.get(qn("w:type"))
            out.append("↵" if kind in (None, "textWrapping") else f"[{kind} break]")
        elif tag == "tab":
            out.append("→")
        elif tag == "instrText":
            out.append(f"[field {(el.text or '').strip()}]")
        elif tag == "drawing":
            ext = el.find(f".//{qn('wp:extent')}")
            out.append(f"[picture {int(ext.get('cx')) / EMU_PER_MM:.1f} × "
                       f"{int(ext.get('cy')) / EMU_PER_MM:.1f} mm]")
        elif tag not in ("rPr", "fldChar", "lastRenderedPageBreak"):
            out.append(f"[{tag}]")
    return "".join(out)


def paragraph_line(p: Any) -> str:
    """One paragraph (a python-docx Paragraph) as one line."""
    fmt = p.paragraph_format
    props = []
    if p.style is not None and p.style.name != "Normal":
        props.append(f"style {p.style.name}")
    props.append(ALIGN[None if p.alignment is None else int(p.alignment)])
    for name, value in (("first", fmt.first_line_indent), ("left", fmt.left_indent),
                        ("right", fmt.right_indent)):
        if value:
            props.append(f"{name} {_mm(value)}mm")
    props.append(f"{_pt(fmt.space_before)}/{_pt(fmt.space_after)}pt")
    if fmt.line_spacing is not None:
        props.append(f"line {fmt.line_spacing:g}" if isinstance(fmt.line_spacing, float)
                     else f"line {_pt(fmt.line_spacing)}pt")
    for name, flag in (("keep-next", fmt.keep_with_next), ("keep-lines", fmt.keep_together),
                       ("page-break-before", fmt.page_break_before)):
        if flag:
            props.append(name)
    if p._p.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
        props.append("[section break]")
    parts: list[tuple[str, str]] = []  # (tags, text), neighbours with the same tags merged
    for r in p._p.iter(qn("w:r")):
        tags, text = _run_tags(r), _run_text(r)
        if not text:
            continue
        if parts and parts[-1][0] == tags:
            parts[-1] = (tags, parts[-1][1] + text)
        else:
            parts.append((tags, text))
    text = "".join(f"[{tags}]{s}[/]" if tags else s for tags, s in parts)
    return f"¶ {' · '.join(props)} | {text or '(empty)'}"


def _cell_label(tc: Any, width: str, column_width: str) -> str:
    tcpr = tc.find(qn("w:tcPr"))
    notes = []
    if width != column_width:
        notes.append(f"width {width}mm")
    if tcpr is not None:
        span = tcpr.find(qn("w:gridSpan"))
        if span is not None and int(span.get(qn("w:val"))) > 1:
            notes.append(f"spans {span.get(qn('w:val'))} columns")
        vmerge = tcpr.find(qn("w:vMerge"))
        if vmerge is not None:
            notes.append("merge down from here" if vmerge.get(qn("w:val")) == "restart"
                         else "merged with the cell above")
        valign = tcpr.find(qn("w:vAlign"))
        if valign is not None:
            notes.append(f"v-{valign.get(qn('w:val'))}")
    return f" ({', '.join(notes)})" if notes else ""


def table_lines(t: Any, number: int, indent: str = "") -> list[str]:
    """A table (python-docx Table): its columns and properties, then rows and cells."""
    tbl = t._tbl
    grid = [int(c.get(qn("w:w"))) for c in tbl.tblGrid.findall(qn("w:gridCol"))]
    widths = [f"{w / 56.7:.1f}" for w in grid]  # twentieths of a point to mm
    tblpr = tbl.tblPr
    style = tblpr.find(qn("w:tblStyle"))
    jc = tblpr.find(qn("w:jc"))
    mar = tblpr.find(qn("w:tblCellMar"))
    margins = "default" if mar is None else ", ".join(
        f"{side.tag.split('}')[1]} {int(side.get(qn('w:w'))) / 56.7:.1f}mm" for side in mar)
    out = [f"{indent}TABLE {number}: {len(grid)} columns, widths (mm) {' + '.join(widths)} = "
           f"{sum(grid) / 56.7:.1f}",
           f"{indent}  style {style.get(qn('w:val')) if style is not None else 'none'} · "
           f"{jc.get(qn('w:val')) if jc is not None else 'left'} · cell margins {margins}",
           f"{indent}  tblPr: {' '.join(el.tag.split('}')[1] for el in tblpr)}"]
    for i, tr in enumerate(tbl.tr_lst, start=1):
        trpr = tr.find(qn("w:trPr"))
        flags = [el.tag.split("}")[1] for el in trpr] if trpr is not None else []
        names = {"tblHeader": "header row, repeats on every page", "cantSplit": "not split"}
        shown = [names.get(f, f) for f in flags]
        out.append(f"{indent}  row {i}" + (f" ({'; '.join(shown)})" if shown else "") + ":")
        col = 0
        for j, tc in enumerate(tr.tc_lst, start=1):
            tcw = tc.find(f"{qn('w:tcPr')}/{qn('w:tcW')}")
            width = f"{int(tcw.get(qn('w:w'))) / 56.7:.1f}" if tcw is not None else "auto"
            span = tc.grid_span
            column_width = f"{sum(grid[col:col + span]) / 56.7:.1f}"
            col += span
            out.append(f"{indent}    cell {j}{_cell_label(tc, width, column_width)}:")
            cell = docx.table._Cell(tc, t)
            out += _blocks(cell, indent + "      ")
    return out


def _blocks(container: Any, indent: str) -> list[str]:
    out = []
    tables = 0
    for item in container.iter_inner_content():
        if isinstance(item, docx.table.Table):
            tables += 1
            out += table_lines(item, tables, indent)
        else:
            out.append(indent + paragraph_line(item))
    return out


def _properties(d: Any, z: zipfile.ZipFile) -> list[str]:
    cp = d.core_properties
    named = [n for n in z.namelist() if b"python-docx" in z.read(n).lower()]
    return ["== Properties ==",
            f"title: {cp.title}", f"subject: {cp.subject}", f"author (creator): {cp.author}",
            f"last modified by: {cp.last_modified_by}", f"keywords: {cp.keywords}",
            f"language: {cp.language}", f"category: {cp.category!r}", f"comments: {cp.comments!r}",
            f"created (UTC): {cp.created:%Y-%m-%dT%H:%M:%S}",
            f"modified (UTC): {cp.modified:%Y-%m-%dT%H:%M:%S}", f"revision: {cp.revision}",
            _app(z),
            f"parts: {' '.join(sorted(z.namelist()))}",
            _package_rels(z), _document_rels(z), _content_types(z),
            f"custom XML: {' '.join(n for n in sorted(z.namelist()) if 'customXml' in n) or 'none'}",
            f"'python-docx' named in: {' '.join(named) if named else 'no part'}"]


def _app(z: zipfile.ZipFile) -> str:
    """docProps/app.xml: each of its elements with its text (a vector's size only)."""
    if "docProps/app.xml" not in z.namelist():
        return "app.xml: none"
    root = ElementTree.fromstring(z.read("docProps/app.xml"))
    fields = []
    for el in root:
        name = el.tag.split("}")[1]
        vector = next(iter(el), None)
        fields.append(f"{name} (vector of {vector.get('size')})" if vector is not None
                      else f"{name}={el.text or ''}")
    return f"app.xml: {'; '.join(fields) if fields else '(empty)'}"


def _package_rels(z: zipfile.ZipFile) -> str:
    """The package's own relationships (_rels/.rels): the kind's last word, the target."""
    root = ElementTree.fromstring(z.read("_rels/.rels"))
    rels = sorted(f"{r.get('Type').rsplit('/', 1)[1]} {r.get('Target')}" for r in root)
    return f"package relationships: {'; '.join(rels)}"


def _document_rels(z: zipfile.ZipFile) -> str:
    """The main document's relationships (word/_rels/document.xml.rels), as `_package_rels`."""
    root = ElementTree.fromstring(z.read("word/_rels/document.xml.rels"))
    rels = sorted(f"{r.get('Type').rsplit('/', 1)[1]} {r.get('Target')}" for r in root)
    return f"document relationships: {'; '.join(rels)}"


def _content_types(z: zipfile.ZipFile) -> str:
    """[Content_Types].xml: the defaults by extension and every part named."""
    root = ElementTree.fromstring(z.read("[Content_Types].xml"))
    defaults = sorted(el.get("Extension") for el in root if el.tag.endswith("Default"))
    parts = sorted(el.get("PartName") for el in root if el.tag.endswith("Override"))
    return (f"content types: by extension {' '.join(defaults)}; by part "
            f"{' '.join(parts)}")


def _styles(d: Any, z: zipfile.ZipFile) -> list[str]:
    normal = d.styles["Normal"]
    fonts = normal.element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
    faces = sorted({v for k, v in fonts.attrib.items()}) if fonts is not None else []
    fmt = normal.paragraph_format
    styles_xml = z.read("word/styles.xml")
    settings = d.settings.element
    theme = settings.find(qn("w:themeFontLang"))
    decimal = settings.find(qn("w:decimalSymbol"))
    listsep = settings.find(qn("w:listSeparator"))
    langs = collections.Counter(_lang_key(el) for el in
                                docx.oxml.parse_xml(styles_xml).iter(qn("w:lang")))
    return ["== Styles and settings ==",
            f"Normal: {normal.font.name} (rFonts {', '.join(faces)}) {normal.font.size.pt:g}pt, "
            f"space {_pt(fmt.space_before)}/{_pt(fmt.space_after)}pt, line {fmt.line_spacing:g}",
            "styles.xml w:lang: " + "; ".join(f"{k} ×{n}" for k, n in sorted(langs.items())),
            "settings themeFontLang: " + (_lang_key(theme) if theme is not None else "-"),
            f"settings decimalSymbol {decimal.get(qn('w:val')) if decimal is not None else '-'!r}"
            f", listSeparator {listsep.get(qn('w:val')) if listsep is not None else '-'!r}"]


def _lang_key(el: Any) -> str:
    return " ".join(f"{k.split('}')[1]}={v}" for k, v in sorted(el.attrib.items()))


def _sections(d: Any) -> list[str]:
    out = []
    for i, s in enumerate(d.sections, start=1):
        orient = "landscape" if int(s.orientation) == 1 else "portrait"
        out += [f"== Section {i} ==",
                f"page: {_mm(s.page_width)} × {_mm(s.page_height)} mm, {orient}",
                f"margins (mm): top {_mm(s.top_margin)}, bottom {_mm(s.bottom_margin)}, left "
                f"{_mm(s.left_margin)}, right {_mm(s.right_margin)}; header {_mm(s.header_distance)}"
                f", footer {_mm(s.footer_distance)}",
                f"different first page: {'yes' if s.different_first_page_header_footer else 'no'}"]
        for name, part in (("first-page header", s.first_page_header), ("header", s.header),
                           ("first-page footer", s.first_page_footer), ("footer", s.footer)):
            if part.is_linked_to_previous:
                out.append(f"{name}: none")
            else:
                out += [f"{name}:", *_blocks(part, "  ")]
    return out


def _languages(d: Any) -> list[str]:
    roots = [d.element.body]
    for s in d.sections:
        for part in (s.first_page_header, s.header, s.first_page_footer, s.footer):
            if not part.is_linked_to_previous:
                roots.append(part._element)
    tally: collections.Counter[str] = collections.Counter()
    for root in roots:
        for r in root.iter(qn("w:r")):
            lang = r.find(f"{qn('w:rPr')}/{qn('w:lang')}")
            tally[_lang_key(lang) if lang is not None else "no w:lang"] += 1
    return ["== Language of the runs ==",
            f"runs: {sum(tally.values())}",
            *(f"{key}: {n}" for key, n in sorted(tally.items()))]


def dump(data: bytes, name: str) -> str:
    """The DOCX ``data`` as text (see the module's docstring)."""
    d = docx.Document(io.BytesIO(data))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        lines = [f"# {name}: the structure of the Word document (tests/docx_dump.py)", LEGEND, "",
                 *_properties(d, z), "", *_styles(d, z)]
    lines += ["", *_sections(d), "", *_languages(d), "", "== Body =="]
    lines += _blocks(d, "")
    return "\n".join(lines) + "\n"
