"""Every document of a package and the roll-up, for bodies of any size, as people read them.

The results come from the Hà Nội package (counted through the real CLI,
`certified_case.hanoi_case`), given 1, 18, 44, 60 and 120 people (and 500) by
`document_cases.sized_doc`. For each size every document is made; each PDF
page is rendered and must keep every mark inside the text block; tables
repeat their header on every page they run onto; every person is named; the
chart is cut into drawings that fit a page. The DOCX files are read back for
their language tags, properties and structure. Golden renders (regenerate
with ``KIEMPHIEU_UPDATE_GOLDEN=1`` after looking at the new render) pin the
look of each document's first page.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import zipfile
from pathlib import Path

import docx
import numpy as np
import pypdfium2 as pdfium
import pytest
from certified_case import hanoi_case
from document_cases import assembly_doc, fixed, grouped_units_and_a_vote, sized_doc
from golden_files import golden_compare, render
from openpyxl import load_workbook
from reportlab.graphics.shapes import Line, Rect, String

from pipeline.documents.aggregate import Person, Place, Unit
from pipeline.documents.chart import (
    INVALID_LABEL,
    ROWS_PER_DRAWING,
    THRESHOLDS,
    chart_drawings,
    parts,
)
from pipeline.documents.form_docx import form_docx
from pipeline.documents.form_pdf import form_pdf
from pipeline.documents.minutes import minutes_docx, minutes_pdf
from pipeline.documents.resolution import follow_up_documents, report_form, resolution_form
from pipeline.documents.spreadsheets import result_csv, result_xlsx
from pipeline.documents.summary import summary_pdf
from pipeline.documents.typography import BOLD, MM, string_width

SIZES = (1, 18, 44, 60, 120)
W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def base_doc(tmp_path_factory) -> dict:
    case = hanoi_case(tmp_path_factory)
    return json.loads((case.pkg / "tally.json").read_text("utf-8"))


def pages_text(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    return [" ".join(doc[i].get_textpage().get_text_range().split()) for i in range(len(doc))]


def assert_inside_margins(pdf: bytes, what: str, left_mm: float, right_mm: float) -> None:
    """No mark on any page left of ``left_mm`` or right of ``right_mm`` (from the left edge)."""
    doc = pdfium.PdfDocument(pdf)
    for i in range(len(doc)):
        page = doc[i]
        dpi = 50
        image = np.asarray(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))
        px = dpi / 25.4
        lo, hi = int((left_mm - 1) * px), math.ceil((right_mm + 1) * px)
        assert image[:, :lo].min() > 200, f"{what}, page {i + 1}: a mark left of the margin"
        assert image[:, hi:].min() > 200, f"{what}, page {i + 1}: a mark right of the margin"


def table_pages_repeat_header(texts: list[str], names: list[str], end_marker: str) -> None:
    """Every page the per-person table runs onto (before ``end_marker``) shows its header."""
    end = next(i for i, x in enumerate(texts) if end_marker in x)
    for i, text in enumerate(texts[:end]):
        if any(re.search(rf"\b{re.escape(n)}\b", text) for n in names):
            assert "Họ và tên" in text, f"page {i + 1} has rows but no header"


@pytest.mark.parametrize("n", SIZES)
def test_every_document_holds_a_list_of_any_size(base_doc, n: int) -> None:
    doc = sized_doc(base_doc, n, groups=n == 44)
    names = [c["name"] for c in doc["candidates"]]
    pdf = minutes_pdf(doc)
    texts = pages_text(pdf)
    whole = " ".join(texts)
    for name in names:
        assert whole.count(name) >= 2, name  # in the table and on the chart
    assert_inside_margins(pdf, f"minutes of {n}", 30, 195)
    table_pages_repeat_header(texts, names, "III. HỆ QUẢ")
    assert len(chart_drawings(doc)) == math.ceil(n / ROWS_PER_DRAWING)
    assert "Biên bản lập xong lúc" in texts[-1] and "Nơi nhận" in texts[-1]

    files = follow_up_documents(doc)
    resolution = files["du-thao-nghi-quyet.pdf"]
    rtext = " ".join(pages_text(resolution))
    assert all(f"{name}, " in rtext for name in names)
    assert_inside_margins(resolution, f"resolution of {n}", 30, 195)
    d = docx.Document(io.BytesIO(files["du-thao-nghi-quyet.docx"]))
    assert sum("Số phiếu tín nhiệm cao:" in p.text for p in d.paragraphs) == n

    party = sized_doc(base_doc, n, rules="qd96-2023")
    report = form_pdf(report_form(party))
    assert_inside_margins(report, f"report of {n}", 30, 195)
    table_pages_repeat_header(pages_text(report), names, "III. ĐỀ XUẤT")

    d = docx.Document(io.BytesIO(minutes_docx(doc)))
    table = max(d.tables, key=lambda t: len(t.rows))
    assert len(table.rows) >= n + 2
    csv_rows = result_csv(doc).decode("utf-8-sig").splitlines()
    assert len(csv_rows) == n + 1
    assert result_xlsx(doc)[:2] == b"PK"


def test_five_hundred_people_in_a_pinch(base_doc) -> None:
    doc = sized_doc(base_doc, 500)
    pdf = minutes_pdf(doc)
    assert len(chart_drawings(doc)) == math.ceil(500 / ROWS_PER_DRAWING)
    text = " ".join(pages_text(pdf))
    assert doc["candidates"][-1]["name"] in text
    assert len(follow_up_documents(doc)) == 2


def test_the_docx_is_tagged_vietnamese_and_reads_as_an_ordinary_document(base_doc) -> None:
    doc = sized_doc(base_doc, 18)
    for data in (minutes_docx(doc), follow_up_documents(doc)["du-thao-nghi-quyet.docx"]):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            body = z.read("word/document.xml").decode("utf-8")
            core = z.read("docProps/core.xml").decode("utf-8")
        runs = re.findall(r"<w:r>.*?</w:r>|<w:r .*?</w:r>", body, flags=re.S)
        assert runs and all('w:lang w:val="vi-VN"' in r for r in runs)
        assert "python-docx" not in core and "<dc:language>vi-VN</dc:language>" in core
        d = docx.Document(io.BytesIO(data))
        assert d.styles["Normal"].font.name == "Times New Roman"
        head = d.tables[0].rows[0].cells[0].text.split("\n")
        assert head[:2] == ["HỘI ĐỒNG NHÂN DÂN", "THÀNH PHỐ HÀ NỘI"], head  # never "HUYỆN / NINH SƠN"
        cell = d.tables[0].rows[0].cells[0].width.mm - 2 * 1.91  # Word's default cell margins
        assert all(string_width(line, 12.5, BOLD) / MM <= cell for line in head[:2])
        sections = [p for p in d.paragraphs if re.match(r"^(I|II|III|IV)\. ", p.text)]
        assert all(p.paragraph_format.keep_with_next for p in sections)
    d = docx.Document(io.BytesIO(minutes_docx(doc)))
    table = max(d.tables, key=lambda t: len(t.rows))
    header = table.rows[0]._tr.find(f"{W_NS}trPr/{W_NS}tblHeader")
    assert header is not None  # the header row repeats on every page
    width = sum(c.width.mm for c in table.rows[3].cells)
    assert width <= 165.5
    assert d.core_properties.author == "Ban kiểm phiếu"


def test_people_are_grouped_by_khoi_in_the_groups_order(base_doc) -> None:
    doc = sized_doc(base_doc, 12, groups=True)
    doc["groups"] = list(reversed(doc["groups"]))  # order, not the order given, decides
    text = " ".join(" ".join(pages_text(form_pdf(resolution_form(doc)))).split())
    first, second = text.index("I - KHỐI HỘI ĐỒNG NHÂN DÂN"), text.index("II - KHỐI ỦY BAN NHÂN DÂN")
    assert first < second
    hdnd = [c["name"] for c in doc["candidates"] if c["group"] == "hdnd"]
    ubnd = [c["name"] for c in doc["candidates"] if c["group"] == "ubnd"]
    assert all(first < text.index(f"{name}, ") < second for name in hdnd)
    assert all(text.index(f"{name}, ") > second for name in ubnd)
    minutes = " ".join(pages_text(minutes_pdf(doc)))
    assert minutes.index("I - KHỐI HỘI ĐỒNG NHÂN DÂN") < minutes.index("II - KHỐI ỦY BAN NHÂN DÂN")
    # a campaign without groups: no heading at all
    plain = " ".join(pages_text(minutes_pdf(sized_doc(base_doc, 12))))
    assert "KHỐI" not in plain


def test_the_report_of_a_party_body_has_the_party_heading(base_doc) -> None:
    doc = sized_doc(base_doc, 5, rules="qd96-2023")
    doc["campaign_info"]["body"] = "Ủy ban nhân dân huyện Ninh Sơn"
    state = " ".join(pages_text(form_pdf(report_form(doc))))
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in state and "ĐẢNG CỘNG SẢN" not in state
    assert "Kính gửi: Ban Thường vụ Huyện ủy Ninh Sơn." in state
    assert "TM. ỦY BAN NHÂN DÂN" in state
    doc["campaign_info"]["body"] = "Đảng ủy Sở Nội vụ thành phố Cần Thơ"
    party = " ".join(pages_text(form_pdf(report_form(doc))))
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in party and "CỘNG HÒA XÃ HỘI" not in party
    assert "-BC/" in party and "BÍ THƯ" in party
    assert set(follow_up_documents(doc)) == {"bao-cao-ket-qua.docx", "bao-cao-ket-qua.pdf"}


def test_the_resolution_words_each_result_as_published(base_doc) -> None:
    doc = fixed(base_doc)
    text = " ".join(pages_text(form_pdf(resolution_form(doc))))
    for phrase in ("NGHỊ QUYẾT", "Căn cứ Luật Tổ chức chính quyền địa phương",
                   "Căn cứ Nghị quyết số 96/2023/QH15", "Căn cứ Biên bản kiểm phiếu ngày 07 tháng 12 "
                   "năm 2023", "QUYẾT NGHỊ:", "Điều 1. Xác nhận việc lấy phiếu tín nhiệm đối với 5 "
                   "người", "Điều 2.", "Điều 3.", "Nơi nhận:", "CHỦ TỊCH",
                   "Số phiếu tín nhiệm cao: 75 phiếu (chiếm 85,23 % tổng số phiếu thu về)"):
        assert phrase in text, phrase


def test_the_national_assembly_s_resolution_is_worded_as_its_own(base_doc) -> None:
    """The Quốc hội sample's body: the Constitution and the Law on the Organisation of the
    National Assembly, "Quốc hội ban hành Nghị quyết ...", no council's words; a council's
    resolution keeps its own (the test above)."""
    doc = sized_doc(base_doc, 44, groups=True)
    doc["campaign_info"].update(body="Quốc hội khóa XV, Kỳ họp thứ sáu", place="Hà Nội",
                                subtitle="đối với người giữ chức vụ do Quốc hội bầu hoặc "
                                         "phê chuẩn")
    pdf = form_pdf(resolution_form(doc))
    text = " ".join(pages_text(pdf))
    for phrase in ("QUỐC HỘI", "Nghị quyết số: /2023/QH15",
                   "Căn cứ Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam;",
                   "Căn cứ Luật Tổ chức Quốc hội số 57/2014/QH13",
                   "Căn cứ Nghị quyết số 96/2023/QH15 ngày 23 tháng 6 năm 2023",
                   "Quốc hội ban hành Nghị quyết xác nhận kết quả lấy phiếu tín nhiệm đối với "
                   "người giữ chức vụ do Quốc hội bầu hoặc phê chuẩn.",
                   "Điều 1. Xác nhận việc lấy phiếu tín nhiệm đối với 44 người giữ chức vụ do "
                   "Quốc hội bầu hoặc phê chuẩn", "I - KHỐI HỘI ĐỒNG NHÂN DÂN",
                   "Nghị quyết này được Quốc hội nước Cộng hòa xã hội chủ nghĩa Việt Nam khóa "
                   "XV, kỳ họp thứ sáu thông qua ngày 07 tháng 12 năm 2023./.",
                   "CHỦ TỊCH QUỐC HỘI"):
        assert phrase in text, phrase
    for council in ("chính quyền địa phương", "QUYẾT NGHỊ", "Thường trực", "NQ-HĐND",
                    "Tổ đại biểu", "Xét đề nghị"):
        assert council not in text, council
    assert_inside_margins(pdf, "the National Assembly's resolution", 30, 210 - 15)
    minutes = " ".join(pages_text(minutes_pdf(doc)))
    assert "- Ủy ban Thường vụ Quốc hội (để báo cáo);" in minutes
    assert "Thường trực Quốc hội" not in minutes
    words = docx.Document(io.BytesIO(form_docx(resolution_form(doc))))
    paragraphs = " ".join(par.text for par in words.paragraphs)
    assert "Quốc hội ban hành Nghị quyết xác nhận kết quả" in paragraphs


def _units(base_doc: dict, n: int) -> tuple[list[Unit], list[Person]]:
    a, b = sized_doc(base_doc, n, seed=3), sized_doc(base_doc, max(n // 2, 1), seed=4,
                                                       rules="nq85-2014")
    b["campaign_info"]["session_date"] = "2022-12-07"
    b["campaign_info"]["body"] = "Hội đồng nhân dân huyện Ninh Sơn khóa XII, nhiệm kỳ 2021-2026"
    units = [Unit(Path(x), d, "ab" * 32) for x, d in (("a", a), ("b", b))]
    people = [Person(c["name"], c["position"], None, (Place(u, c),))
              for u, unit in enumerate(units) for c in unit.doc["candidates"]]
    return units, people


def test_the_roll_up_lists_each_unit_by_group_and_the_follow_up_vote_apart(base_doc) -> None:
    units, people, votes = grouped_units_and_a_vote(base_doc)
    pdf = summary_pdf(units, people, body="Sở Nội vụ tỉnh Ninh Thuận", place="Ninh Thuận",
                      day=dt.date(2024, 7, 20), votes=votes)
    assert_inside_margins(pdf, "the roll-up with a follow-up vote", 25, 297 - 15)
    texts = pages_text(pdf)
    first, text = texts[0], " ".join(texts)
    assert "QUÁ NỬA TỔNG SỐ ĐẠI BIỂU BỎ PHIẾU KHÔNG TÍN NHIỆM" in first
    assert votes[0].name in first and "18 / 35" in first
    polls = text[text.index("III. KẾT QUẢ LẤY PHIẾU"):text.index("IV. KẾT QUẢ BỎ PHIẾU")]
    assert polls.index("I - KHỐI ỦY BAN NHÂN DÂN") < polls.index("II - KHỐI HỘI ĐỒNG NHÂN DÂN")
    ubnd = [c["name"] for c in units[0].doc["candidates"] if c["group"] == "ubnd"]
    hdnd = [c["name"] for c in units[0].doc["candidates"] if c["group"] == "hdnd"]
    assert max(polls.index(n) for n in ubnd) < polls.index("II - KHỐI HỘI ĐỒNG NHÂN DÂN") \
        < min(polls.index(n) for n in hdnd)


@pytest.mark.parametrize("n", SIZES)
def test_the_roll_up_holds_any_list_inside_its_margins(base_doc, n: int) -> None:
    units, people = _units(base_doc, n)
    pdf = summary_pdf(units, people, body="Sở Nội vụ thành phố Hà Nội", place="Hà Nội",
                      day=dt.date(2023, 12, 20), parent="Ủy ban nhân dân thành phố Hà Nội")
    assert_inside_margins(pdf, f"roll-up of {n}", 25, 297 - 15)
    texts = pages_text(pdf)
    first = texts[0]
    crossed = [(p, pl) for p in people for pl in p.places if pl.result["consequence"]]
    assert "I. NGƯỜI CÓ TRÊN 1/2 HOẶC TỪ 2/3" in first
    if crossed:
        assert crossed[0][0].name in first
    whole = " ".join(texts)
    assert "Lưu ý: các đơn vị lấy phiếu theo các quy định khác nhau" in whole
    assert "các năm khác nhau" in whole


def test_golden_renders_of_each_first_page(base_doc) -> None:
    doc = sized_doc(base_doc, 18, groups=True)
    golden_compare(render(minutes_pdf(doc), 0), "minutes-18-page1-60dpi.png")
    golden_compare(render(form_pdf(resolution_form(doc)), 0), "resolution-18-page1-60dpi.png")
    party = sized_doc(base_doc, 18, rules="qd96-2023")
    party["campaign_info"]["body"] = "Đảng ủy Sở Nội vụ thành phố Hà Nội"
    golden_compare(render(form_pdf(report_form(party)), 0), "report-party-18-page1-60dpi.png")
    party["campaign_info"]["body"] = "Ủy ban nhân dân huyện Ninh Sơn"
    golden_compare(render(form_pdf(report_form(party)), 0), "report-state-18-page1-60dpi.png")
    units, people = _units(base_doc, 18)
    roll = summary_pdf(units, people, body="Sở Nội vụ thành phố Hà Nội", place="Hà Nội",
                       day=dt.date(2023, 12, 20), parent="Ủy ban nhân dân thành phố Hà Nội")
    golden_compare(render(roll, 0), "roll-up-18-page1-60dpi.png")
    units, people, votes = grouped_units_and_a_vote(base_doc)
    roll = summary_pdf(units, people, body="Sở Nội vụ tỉnh Ninh Thuận", place="Ninh Thuận",
                       day=dt.date(2024, 7, 20), votes=votes)
    golden_compare(render(roll, 0), "roll-up-follow-up-page1-60dpi.png")
    golden_compare(render(roll, 1), "roll-up-follow-up-page2-60dpi.png")
    qh = assembly_doc(base_doc)
    golden_compare(render(form_pdf(resolution_form(qh)), 0), "resolution-quoc-hoi-page1-60dpi.png")
    last = len(pdfium.PdfDocument(minutes_pdf(doc))) - 1
    golden_compare(render(minutes_pdf(doc), last), "minutes-18-last-page-60dpi.png")


def test_every_bar_reaches_the_whole_and_no_line_runs_through_a_label(base_doc) -> None:
    """Rows invalid for a person are drawn (hatched) and named in the legend, so every bar
    is the whole base; the 1/2 and 2/3 lines never cross a percentage printed in a bar."""
    doc = sized_doc(base_doc, 44)
    assert any(c["counts"]["invalid"] for c in doc["candidates"])
    for c in doc["candidates"]:
        assert sum(n for _, n in parts(c, doc["base"])) == doc["base"]
    for drawing in chart_drawings(doc):
        strings = [s for s in drawing.contents if isinstance(s, String)]
        assert any(s.text == INVALID_LABEL for s in strings)
        dashed = {round(x.x1, 3) for x in drawing.contents
                  if isinstance(x, Line) and x.strokeDashArray and x.x1 == x.x2}
        assert len(dashed) == len(THRESHOLDS)
        for s in strings:
            if s.fontSize == 7:  # a percentage inside a bar
                half = string_width(s.text, 7) / 2
                assert all(abs(s.x - x) > half for x in dashed), s.text
        bars = [r for r in drawing.contents if isinstance(r, Rect) and r.fillColor is not None]
        assert bars


def test_the_workbook_prints_on_a4_landscape_in_words(base_doc) -> None:
    doc = sized_doc(base_doc, 18, groups=True)
    wb = load_workbook(io.BytesIO(result_xlsx(doc)))
    values = [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
              for v in row if v is not None]
    for code in ("over_half_low", "two_thirds_low", "nq96-2023", "hn-hdnd-2023"):
        assert not any(code in v for v in values), code
    assert any("Nghị quyết số 96/2023/QH15" in v for v in values)
    assert any("(giờ Việt Nam)" in v for v in values)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
        assert ws.page_setup.fitToWidth == 1
    assert wb["Kết quả"].print_title_rows
    rows = result_csv(doc).decode("utf-8-sig").splitlines()
    assert rows[0].endswith(",Khối")
    assert all(re.search(r",\d+\.\d\d,\d+\.\d\d,\d+\.\d\d,", r) for r in rows[1:])


def test_whole_ballots_declared_invalid_are_shown_as_such(base_doc) -> None:
    doc = sized_doc(base_doc, 5)
    doc["ballots"]["invalid_ballots"] = 2
    doc["invalid_ballot_reasons"] = ["không có dấu của Hội đồng",
                                     "không phải phiếu do Ban kiểm phiếu phát ra"]
    text = " ".join(" ".join(pages_text(minutes_pdf(doc))).split())
    assert "Số phiếu hợp lệ: 86 phiếu." in text
    assert ("Số phiếu không hợp lệ (cả tờ phiếu): 2 phiếu, do Trưởng ban kết luận cả tờ phiếu "
            "không hợp lệ (không có dấu của Hội đồng; không phải phiếu do Ban kiểm phiếu phát ra)"
            ) in text


def test_a_group_s_band_never_ends_a_page(base_doc) -> None:
    """Lists of every length up to 40: wherever the minutes' table breaks, a group's band
    ("I - KHỐI ...") is on the page of its first person, in the PDF."""
    for n in range(2, 41):
        doc = sized_doc(base_doc, n, groups=True)
        labels = {"I - KHỐI HỘI ĐỒNG NHÂN DÂN": "hdnd", "II - KHỐI ỦY BAN NHÂN DÂN": "ubnd"}
        for i, page in enumerate(pages_text(minutes_pdf(doc))):
            for label, gid in labels.items():
                if label in page:
                    after = page[page.index(label) + len(label):]
                    first = next(c["name"] for c in doc["candidates"] if c["group"] == gid)
                    assert re.search(rf"\b{re.escape(first)}\b", after), \
                        f"{n} people, page {i + 1}: {label} without its first person"
    # in Word, the band's row and the header's rows keep with the row after them
    words = docx.Document(io.BytesIO(minutes_docx(sized_doc(base_doc, 18, groups=True))))
    table = next(t for t in words.tables if t.rows[0].cells[0].text == "STT")
    kept = [bool(r.cells[0].paragraphs[0].paragraph_format.keep_with_next) for r in table.rows]
    texts = [r.cells[0].text for r in table.rows]
    assert kept[:2] == [True, True]
    assert all(k == ("KHỐI" in x) for k, x in zip(kept[2:], texts[2:], strict=True))
