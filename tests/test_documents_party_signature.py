"""A Party body's report (Hướng dẫn 36-HD/VPTW) signs for the collective by its kind.

The authority line is "T/M" and the collective's kind only ("T/M ĐẢNG ỦY",
"T/M BAN THƯỜNG VỤ", "T/M HUYỆN ỦY", "T/M CHI BỘ"), then the signer's post
(BÍ THƯ): the body's full name is already in the heading. Reports are made
through `report_form` and written as DOCX and PDF.
"""

from __future__ import annotations

import json
import unicodedata

import pytest
from certified_case import hanoi_case
from document_cases import party_report_doc
from test_docx_golden import docx_text, pdf_text

from pipeline.documents.form import Text
from pipeline.documents.form_docx import form_docx
from pipeline.documents.form_pdf import form_pdf
from pipeline.documents.resolution import report_form
from pipeline.documents.typography import party_authority


@pytest.fixture(scope="module")
def base_doc(tmp_path_factory) -> dict:
    case = hanoi_case(tmp_path_factory)
    return json.loads((case.pkg / "tally.json").read_text("utf-8"))


@pytest.mark.parametrize(("body", "authority"), [
    ("Đảng ủy Sở Nội vụ", "T/M ĐẢNG ỦY"),
    ("Đảng ủy Sở Nội vụ thành phố Hà Nội", "T/M ĐẢNG ỦY"),
    ("Ban Thường vụ Huyện ủy Ninh Sơn", "T/M BAN THƯỜNG VỤ"),
    ("Huyện ủy Ninh Sơn", "T/M HUYỆN ỦY"),
    ("Tỉnh ủy Ninh Thuận", "T/M TỈNH ỦY"),
    ("Thành ủy Hà Nội", "T/M THÀNH ỦY"),
    ("Quận ủy Ba Đình", "T/M QUẬN ỦY"),
    ("Thị ủy Sơn Tây", "T/M THỊ ỦY"),
    ("Chi bộ Văn phòng Sở Tư pháp", "T/M CHI BỘ"),
    ("Đảng bộ xã Phước Hà", "T/M ĐẢNG ỦY"),
    ("Ban Chấp hành Đảng bộ tỉnh Ninh Thuận", "T/M BAN CHẤP HÀNH"),
    ("Đảng đoàn Hội đồng nhân dân tỉnh", "T/M ĐẢNG ĐOÀN"),
    ("Ban cán sự đảng Ủy ban nhân dân tỉnh", "T/M BAN CÁN SỰ ĐẢNG"),
    ("đảng ủy khối các cơ quan tỉnh", "T/M ĐẢNG ỦY"),
    ("Đảng uỷ phường Tân Định", "T/M ĐẢNG ỦY"),  # the old placing of the tone mark
    ("Cấp ủy Trường Chính trị tỉnh", "T/M CẤP ỦY"),
    # no kind at its start: the body's name, as before
    ("Ban Tổ chức Tỉnh ủy Ninh Thuận", "T/M BAN TỔ CHỨC TỈNH ỦY NINH THUẬN"),
])
def test_the_party_authority_names_the_collective_by_its_kind(body: str, authority: str
                                                              ) -> None:
    got = party_authority(body)
    assert got == authority
    assert unicodedata.is_normalized("NFC", got)
    decomposed = unicodedata.normalize("NFD", body)
    assert party_authority(decomposed) == authority  # NFD in, NFC out


@pytest.mark.parametrize(("body", "authority"), [
    ("Đảng ủy Sở Nội vụ thành phố Hà Nội", "T/M ĐẢNG ỦY"),
    ("Ban Thường vụ Huyện ủy Ninh Sơn", "T/M BAN THƯỜNG VỤ"),
    ("Chi bộ Văn phòng Sở Tư pháp tỉnh Ninh Thuận", "T/M CHI BỘ"),
])
def test_the_party_report_signs_for_the_collective_then_the_post(base_doc, body: str,
                                                                 authority: str) -> None:
    form = report_form(party_report_doc(base_doc, body))
    (signer,) = form.closing.signers
    assert signer.authority == (authority, "BÍ THƯ")
    assert form.heading.issuer == body.upper()  # the full name stays in the heading
    lines = docx_text(form_docx(form)).splitlines()
    assert lines[lines.index(authority) + 1] == "BÍ THƯ"
    pdf = pdf_text(form_pdf(form)).replace("\r\n", "\n").splitlines()
    assert authority in pdf and "BÍ THƯ" in pdf
    assert not any(isinstance(b, Text) and authority in b.text for b in form.blocks)


def test_a_state_body_still_signs_tm_its_name(base_doc) -> None:
    form = report_form(party_report_doc(base_doc, "Ủy ban nhân dân huyện Ninh Sơn"))
    assert form.closing.signers[0].authority == ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
