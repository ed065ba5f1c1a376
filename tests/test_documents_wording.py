"""How the documents write a percentage, made through the real code paths.

A percentage a person reads is written as the documents write "65,91 %":
the number, a space, the sign. The rule sets' consequence texts are quoted
into the minutes, the resolution and the report, so they follow it too; so do
the sentences of the Vietnamese catalog. The chart's tick labels stay compact.
"""

from __future__ import annotations

import json
import re

import pytest
from certified_case import hanoi_case
from document_cases import document_kinds
from test_docx_golden import docx_text, pdf_text

from pipeline.documents.form_docx import form_docx
from pipeline.documents.form_pdf import form_pdf
from pipeline.domain.rules import RULE_SETS
from pipeline.domain.wording import catalog

#: a figure glued to its percent sign ("50%"), not the documents' "50 %"
GLUED = re.compile(r"\d%")


@pytest.fixture(scope="module")
def base_doc(tmp_path_factory) -> dict:
    case = hanoi_case(tmp_path_factory)
    return json.loads((case.pkg / "tally.json").read_text("utf-8"))


def test_no_consequence_text_glues_the_percent_sign() -> None:
    texts = {f"{r.name}.{group}.{key}": text for r in RULE_SETS.values()
             for group in ("consequences", "follow_up", "follow_up_after")
             for key, text in getattr(r, group).items()}
    assert texts
    glued = {k: GLUED.findall(v) for k, v in texts.items() if GLUED.search(v)}
    assert not glued, glued
    assert "Có trên 50 % đến dưới 2/3" in texts["qd96-2023.consequences.over_half_low"]


def test_the_documents_write_every_percentage_spaced(base_doc) -> None:
    kinds = document_kinds(base_doc)
    for kind, make in kinds.items():
        form = make()
        words = docx_text(form_docx(form))  # the chart is a picture here: text only
        assert " %" in words, kind
        assert not GLUED.findall(words), (kind, [m.start() for m in GLUED.finditer(words)])
    report = pdf_text(form_pdf(kinds["report-party-18"]()))
    assert "Có trên 50 % đến dưới 2/3" in report.replace("\r\n", " ").replace("\n", " ")


def test_no_vietnamese_sentence_of_the_catalog_glues_a_written_percent_sign() -> None:
    """A figure written into a sentence ("tỉ lệ 100 %") is spaced; a field's own format
    (``{ink:.2%}``) is the wording module's to write, and is left out here."""
    entries = {k: v for k, v in catalog("vi")._catalog.items() if isinstance(v, str)}
    assert len(entries) > 100
    glued = {str(k): v for k, v in entries.items() if GLUED.search(re.sub(r"\{[^}]*\}", "", v))}
    assert not glued, glued
    assert any("tỉ lệ 100 %" in v for v in entries.values())
