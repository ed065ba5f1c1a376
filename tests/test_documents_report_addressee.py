"""Whom a report is addressed to, and the letters of a Party report's number.

The report of a ``qd96-2023`` campaign (``bao-cao-ket-qua``) says "Kính gửi:
…". A campaign file's ``report_to:`` names the addressee, printed as written;
without it the addressee is derived from the body (and its ``parent_body:``):
a state body reports to its place's Party committee's standing committee, a
Party body up to the committee above it, never to itself and never with a
word doubled ("Ban Thường vụ Huyện ủy ủy Ninh Sơn" was once printed for the
Ban Thường vụ Huyện ủy Ninh Sơn). A Party report's number is "Số …-BC/XX"
with XX the collective's initials as Hướng dẫn 36-HD/VPTW uses them ("HU" for
a Huyện ủy and its Ban Thường vụ, not the first letters of two words).

Reports are made through `report_form` and written as DOCX and PDF; the key is
read by the real campaign parser, carried by the real package records and
accepted by the real ``kiemphieu check``.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from pathlib import Path

import pytest
from certified_case import hanoi_case
from document_cases import package_info, party_report_doc
from station_cases import SAMPLE
from test_cli_vietnamese_errors import kiemphieu
from test_docx_golden import docx_text, pdf_text

from pipeline.documents.form import party_initials
from pipeline.documents.form_docx import form_docx
from pipeline.documents.form_pdf import form_pdf
from pipeline.documents.resolution import report_addressee, report_form
from pipeline.domain.campaign import parse_campaign

BTV_HUYEN = "Ban Thường vụ Huyện ủy Ninh Sơn"
PROVINCE = "Đảng bộ tỉnh Ninh Thuận"
SAMPLE_TEXT = SAMPLE.read_text("utf-8")


@pytest.fixture(scope="module")
def base_doc(tmp_path_factory) -> dict:
    case = hanoi_case(tmp_path_factory)
    return json.loads((case.pkg / "tally.json").read_text("utf-8"))


@pytest.mark.parametrize(("body", "letters"), [
    ("Huyện ủy Ninh Sơn", "HU"),
    (BTV_HUYEN, "HU"),
    ("Ban Chấp hành Đảng bộ huyện Ninh Sơn", "HU"),
    ("Đảng bộ huyện Ninh Sơn", "HU"),
    ("Tỉnh ủy Ninh Thuận", "TU"),
    ("Ban Thường vụ Tỉnh ủy Ninh Thuận", "TU"),
    ("Thành ủy Hà Nội", "TU"),
    ("Quận ủy Ba Đình", "QU"),
    ("Thị ủy Sơn Tây", "TU"),
    ("Đảng ủy Sở Nội vụ thành phố Hà Nội", "ĐU"),
    ("Ban Thường vụ Đảng ủy Khối các cơ quan tỉnh", "ĐU"),
    ("Đảng ủy xã Phước Hà", "ĐU"),
    ("Đảng bộ xã Phước Hà", "ĐU"),
    ("Đảng bộ Sở Tư pháp tỉnh Ninh Thuận", "ĐU"),
    ("Đảng uỷ phường Tân Định", "ĐU"),  # the old placing of the tone mark
    ("Chi bộ Văn phòng Sở Tư pháp", "CB"),
    ("Đảng đoàn Hội đồng nhân dân tỉnh Ninh Thuận", "ĐĐ"),
    ("Ban cán sự đảng Ủy ban nhân dân tỉnh", "BCSĐ"),
    ("Ban Tổ chức Tỉnh ủy Ninh Thuận", "BTCTU"),
    ("Văn phòng Huyện ủy Ninh Sơn", "VPHU"),
])
def test_a_party_number_carries_the_collectives_initials(body: str, letters: str) -> None:
    assert party_initials(body) == letters
    assert party_initials(unicodedata.normalize("NFD", body)) == letters
    assert unicodedata.is_normalized("NFC", party_initials(body))


@pytest.mark.parametrize(("body", "parent", "to"), [
    # seed 000: the People's Committee reports to the district's standing committee
    ("Ủy ban nhân dân huyện Ninh Sơn", None, BTV_HUYEN),
    ("Hội đồng nhân dân xã Phước Hà", None, "Ban Thường vụ Đảng ủy xã Phước Hà"),
    ("Sở Nội vụ tỉnh Ninh Thuận", PROVINCE, "Ban Thường vụ Tỉnh ủy Ninh Thuận"),
    ("Ủy ban nhân dân thị xã Ninh Hòa", None, "Ban Thường vụ Thị ủy Ninh Hòa"),
    ("Ủy ban nhân dân tỉnh", None, "Ban Thường vụ cấp ủy cùng cấp"),
    # a Party body reports up: its parent body's committee, else its place's
    (BTV_HUYEN, None, "Ban Thường vụ cấp ủy cấp trên"),
    (BTV_HUYEN, PROVINCE, "Ban Thường vụ Tỉnh ủy Ninh Thuận"),
    ("Huyện ủy Ninh Sơn", PROVINCE, "Ban Thường vụ Tỉnh ủy Ninh Thuận"),
    ("Huyện uỷ Ninh Sơn", None, "Ban Thường vụ cấp ủy cấp trên"),
    ("Ban Chấp hành Đảng bộ huyện Ninh Sơn", None, "Ban Thường vụ cấp ủy cấp trên"),
    ("Đảng ủy xã Phước Hà", None, "Ban Thường vụ cấp ủy cấp trên"),
    ("Đảng ủy xã Phước Hà", "Đảng bộ huyện Ninh Sơn", BTV_HUYEN),
    ("Đảng bộ xã Phước Hà", "Huyện ủy Ninh Sơn", BTV_HUYEN),
    ("Đảng ủy Sở Nội vụ thành phố Hà Nội", None, "Ban Thường vụ Thành ủy Hà Nội"),
    ("Đảng ủy Sở Nội vụ", PROVINCE, "Ban Thường vụ Tỉnh ủy Ninh Thuận"),
    ("Đảng ủy Sở Nội vụ tỉnh Ninh Thuận", "Đảng bộ Khối các cơ quan tỉnh Ninh Thuận",
     "Ban Thường vụ Đảng ủy Khối các cơ quan tỉnh Ninh Thuận"),
    ("Chi bộ Văn phòng Sở Tư pháp tỉnh Ninh Thuận", None, "Ban Thường vụ Tỉnh ủy Ninh Thuận"),
    ("Đảng đoàn Hội đồng nhân dân tỉnh Ninh Thuận", None, "Ban Thường vụ Tỉnh ủy Ninh Thuận"),
    ("Ban Tổ chức Tỉnh ủy Ninh Thuận", None, "Ban Thường vụ Tỉnh ủy Ninh Thuận"),
    ("Tỉnh ủy Ninh Thuận", PROVINCE, "Ban Thường vụ cấp ủy cấp trên"),  # the parent is itself
])
def test_the_addressee_is_derived_never_the_body_itself(body: str, parent: str | None,
                                                        to: str) -> None:
    got = report_addressee(body, parent)
    assert got == to
    words = got.lower().replace("uỷ", "ủy").split()
    assert all(a != b for a, b in itertools.pairwise(words)), got
    assert got.removeprefix("Ban Thường vụ ").lower() != body.lower()
    assert got.lower() != body.lower()


def kinh_gui(form) -> str:
    return next(b.text for b in form.blocks if getattr(b, "text", "").startswith("Kính gửi"))


def rendered(form) -> tuple[str, str]:
    return docx_text(form_docx(form)), pdf_text(form_pdf(form)).replace("\r\n", "\n")


def test_the_standing_committees_report_is_addressed_up_and_numbered_hu(base_doc) -> None:
    doc = party_report_doc(base_doc, BTV_HUYEN)
    form = report_form(doc)
    assert kinh_gui(form) == "Kính gửi: Ban Thường vụ cấp ủy cấp trên."
    assert form.heading.number.endswith("-BC/HU")
    doc["campaign_info"]["parent_body"] = PROVINCE
    form = report_form(doc)
    word, pdf = rendered(form)
    for text in (word, pdf):
        assert "Kính gửi: Ban Thường vụ Tỉnh ủy Ninh Thuận." in text
        assert "ủy ủy" not in text.lower() and "Kính gửi: Ban Thường vụ Huyện ủy" not in text
        assert "-BC/HU" in text and "-BC/BT" not in text
        assert "kính báo cáo Ban Thường vụ Tỉnh ủy Ninh Thuận xem xét./." in " ".join(text.split())
        assert "ĐẢNG BỘ TỈNH NINH THUẬN" in text


def test_report_to_is_printed_as_written(base_doc) -> None:
    doc = party_report_doc(base_doc, BTV_HUYEN)
    doc["campaign_info"].update(parent_body=PROVINCE,
                                report_to="Ban Tổ chức Tỉnh ủy Ninh Thuận")
    word, pdf = rendered(report_form(doc))
    for text in (word, pdf):
        assert "Kính gửi: Ban Tổ chức Tỉnh ủy Ninh Thuận." in text


def test_a_state_bodys_report_keeps_its_number_and_addressee(base_doc) -> None:
    form = report_form(party_report_doc(base_doc, "Ủy ban nhân dân huyện Ninh Sơn"))
    assert kinh_gui(form) == f"Kính gửi: {BTV_HUYEN}."
    assert re.fullmatch(r"Số:\s+/BC-UBND", form.heading.number.replace("\u00a0", " "))


def test_report_to_is_read_carried_only_when_given_and_checked_quietly(
        tmp_path_factory) -> None:
    campaign = parse_campaign(SAMPLE_TEXT.replace(
        "place:", "report_to: '  Ban Thường vụ   Tỉnh ủy Ninh Thuận '\nplace:", 1))
    assert campaign.report_to == "Ban Thường vụ Tỉnh ủy Ninh Thuận" and not campaign.notes
    assert parse_campaign(SAMPLE_TEXT).report_to is None
    case = hanoi_case(tmp_path_factory)
    plain, info = package_info(case.pkg, "report_to", BTV_HUYEN)
    assert "report_to" not in plain
    assert info["report_to"] == BTV_HUYEN
    path = Path(tmp_path_factory.mktemp("report-to")) / "bao-cao.yaml"
    path.write_text(SAMPLE_TEXT.replace("place:", f"report_to: {BTV_HUYEN}\nplace:", 1),
                    "utf-8")
    said = kiemphieu("check", str(path), code=0)
    assert "cảnh báo" not in said and "Tốt: không có gì cần sửa." in said, said
