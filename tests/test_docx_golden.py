"""The Word documents against their golden text, and each Word copy against its PDF.

Every kind of document a package holds (`document_cases.document_kinds`: the
minutes, the council's and the National Assembly's resolution, the reports of
a Party and of a state body, the follow-up vote's minutes and resolution) is
made in Word and dumped as text (`docx_dump`): properties, page, styles,
language tags and every block with its formatting. The dump must equal
``tests/golden/<kind>.docx.txt`` (regenerate with ``KIEMPHIEU_UPDATE_GOLDEN=1``
after reading the diff). CI has no word processor to render the DOCX, so
this is what pins it.

The Word copy and the PDF are made from one `Form`; every figure the Word
text holds (counts, percentages, dates, article numbers) must be in the PDF's
text as often, and the PDF holds no other figure than the chart's labels (the
Word copy's chart is a picture) and its page numbers, so neither copy can
drift from the other.
"""

from __future__ import annotations

import collections
import io
import json
import posixpath
import re
import zipfile
from xml.etree import ElementTree

import docx
import pypdfium2 as pdfium
import pytest
from certified_case import hanoi_case
from document_cases import document_kinds
from docx_dump import dump
from golden_files import golden_text_compare
from reportlab.graphics.shapes import String

from pipeline.documents.chart import chart_drawings
from pipeline.documents.form import ChartBlock
from pipeline.documents.form_docx import form_docx
from pipeline.documents.form_pdf import form_pdf

KINDS = ("minutes-18", "resolution-18", "report-party-18", "report-state-18",
         "resolution-quoc-hoi", "minutes-follow-up-vote", "resolution-follow-up-vote")
FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


@pytest.fixture(scope="module")
def kinds(tmp_path_factory) -> dict:
    case = hanoi_case(tmp_path_factory)
    return document_kinds(json.loads((case.pkg / "tally.json").read_text("utf-8")))


def test_every_kind_has_its_golden_file(kinds) -> None:
    assert tuple(kinds) == KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_the_word_document_matches_its_golden_text(kinds, kind: str) -> None:
    text = dump(form_docx(kinds[kind]()), f"{kind}.docx")
    golden_text_compare(text, f"{kind}.docx.txt")


def docx_text(data: bytes) -> str:
    """Every paragraph's text, the tables' cells included, in the document's order."""
    d = docx.Document(io.BytesIO(data))
    body = d.element.body
    return "\n".join("".join(t.text or "" for t in p.iter(docx.oxml.ns.qn("w:t")))
                     for p in body.iter(docx.oxml.ns.qn("w:p")))


def pdf_text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def figures(text: str) -> collections.Counter[str]:
    return collections.Counter(FIGURE.findall(text.replace("\u00a0", " ")))


@pytest.mark.parametrize("kind", KINDS)
def test_the_word_copy_and_the_pdf_carry_the_same_figures(kinds, kind: str) -> None:
    form = kinds[kind]()
    pdf_bytes = form_pdf(form)
    word, pdf = figures(docx_text(form_docx(form))), figures(pdf_text(pdf_bytes))
    assert sum(word.values()) > 20
    missing = {n: k - pdf[n] for n, k in word.items() if pdf[n] < k}
    assert not missing, f"{kind}: figures of the Word copy not in the PDF (figure: times) {missing}"
    chart = collections.Counter[str]()
    for block in form.blocks:
        if isinstance(block, ChartBlock):
            for drawing in chart_drawings(block.doc):
                chart += figures(" ".join(s.text for s in drawing.contents
                                          if isinstance(s, String)))
    pages = collections.Counter(str(i) for i in range(2, len(pdfium.PdfDocument(pdf_bytes)) + 1))
    extra = pdf - word - chart - pages
    assert not extra, f"{kind}: figures of the PDF not in the Word copy (figure: times) {dict(extra)}"


@pytest.mark.parametrize("kind", KINDS)
def test_the_package_has_no_template_thumbnail_and_names_kiemphieu(kinds, kind: str) -> None:
    """python-docx's template carries a blank page as docProps/thumbnail.jpeg (shown by Word
    and Explorer as the file's preview) and an app.xml naming Word 14 on a Mac: neither is
    ours. The file still opens, and its app.xml is well-formed."""
    data = form_docx(kinds[kind]())
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        assert not [n for n in names if "thumbnail" in n], names
        rels = z.read("_rels/.rels").decode("utf-8")
        assert "thumbnail" not in rels
        types = ElementTree.fromstring(z.read("[Content_Types].xml"))
        assert not [el.attrib for el in types
                    if "thumbnail" in el.get("PartName", "") or el.get("Extension") == "jpeg"]
        app = ElementTree.fromstring(z.read("docProps/app.xml"))
    ns = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
    assert app.tag == f"{ns}Properties"
    assert app.findtext(f"{ns}Application") == "kiemphieu"
    assert app.find(f"{ns}AppVersion") is None
    assert "Word" not in ElementTree.tostring(app, encoding="unicode")
    reopened = docx.Document(io.BytesIO(data))
    assert reopened.core_properties.title == kinds[kind]().title
    assert len(reopened.paragraphs) > 10


@pytest.mark.parametrize("kind", KINDS)
def test_the_package_has_no_template_bibliography(kinds, kind: str) -> None:
    """python-docx's template carries an empty bibliography as custom XML
    (customXml/item1.xml, its properties customXml/itemProps1.xml and their relationships):
    not ours either. Every relationship left leads to a part the file holds, every part
    but the relationships' and the content types' is reached, and the file reopens."""
    data = form_docx(kinds[kind]())
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = set(z.namelist())
        assert not [n for n in names if "customxml" in n.lower()], sorted(names)
        types = ElementTree.fromstring(z.read("[Content_Types].xml"))
        assert not [el.attrib for el in types if "customXml" in el.get("PartName", "")]
        reached = set()
        for rels_name in sorted(n for n in names if n.endswith(".rels")):
            folder = rels_name.replace("_rels/", "").removesuffix(".rels").rpartition("/")[0]
            for r in ElementTree.fromstring(z.read(rels_name)):
                assert not r.get("Type").endswith("/customXml"), (rels_name, r.attrib)
                if r.get("TargetMode") == "External":
                    continue
                target = posixpath.normpath(posixpath.join(folder, r.get("Target")))
                assert target in names, (rels_name, r.attrib)
                reached.add(target)
    assert names - reached == {n for n in names if n.endswith(".rels")} | {
        "[Content_Types].xml"}
    reopened = docx.Document(io.BytesIO(data))
    assert reopened.core_properties.title == kinds[kind]().title
    assert len(reopened.paragraphs) > 10
    assert not [r for r in reopened.part.rels.values() if r.reltype.endswith("/customXml")]
