"""The printed ballot: printed from each sample, rendered as a scanner would see it.

Pages are rendered with pypdfium2 at 300 dpi in grey and measured: the
registration marks, the boxes and the QR code must be where the layout says
(within 0.2 mm), and the text must come out of the PDF as the NFC text it was
given. A golden render of seed 002's first page guards the look of the page;
regenerate it after an intended change with ``KIEMPHIEU_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import re
import unicodedata
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from omr.geometry import Rect
from pipeline.documents.ballot_pdf import ballot_pdf_bytes, fit_text, render_ballots, split_body
from pipeline.documents.ballot_text import cell_wrap
from pipeline.documents.typography import REGULAR
from pipeline.domain.campaign import Campaign, load_campaign, parse_campaign
from pipeline.domain.errors import CampaignError
from pipeline.domain.layout import BallotLayout, build_layout

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("seed-*.yaml"))
GOLDEN = Path(__file__).parent / "golden"
GOLDEN_CAMPAIGN = GOLDEN / "seed-002-hdnd-ninhson.yaml"
GOLDEN_PNG = GOLDEN / "seed-002-page1-100dpi.png"
DPI = 300
TOLERANCE_MM = 0.2


def px(mm: float, dpi: int = DPI) -> float:
    return mm * dpi / 25.4


@dataclasses.dataclass(frozen=True)
class Printed:
    campaign: Campaign
    layout: BallotLayout
    pdf: bytes


@cache
def printed(path: Path) -> Printed:
    campaign = load_campaign(path)
    layout = build_layout(campaign)
    return Printed(campaign, layout, ballot_pdf_bytes(campaign, layout))


@cache
def page_image(path: Path, index: int, dpi: int = DPI) -> np.ndarray:
    """Page ``index`` (0-based) of the printed ballot as a grey uint8 array."""
    doc = pdfium.PdfDocument(printed(path).pdf)
    return render_grey(doc, index, dpi)


def render_grey(doc: pdfium.PdfDocument, index: int, dpi: int) -> np.ndarray:
    bitmap = doc[index].render(scale=dpi / 72, grayscale=True)
    return np.asarray(bitmap.to_pil().convert("L"))


def page_text(pdf: bytes, index: int) -> str:
    """The page's text with runs of white space collapsed to one space."""
    doc = pdfium.PdfDocument(pdf)
    return " ".join(doc[index].get_textpage().get_text_range().split())


def dark_bbox(image: np.ndarray, around: Rect, margin_mm: float) -> tuple[float, ...]:
    """Left, top, right, bottom (mm) of the dark pixels within ``around`` + margin."""
    x0, y0 = round(px(around.x - margin_mm)), round(px(around.y - margin_mm))
    x1, y1 = round(px(around.x + around.w + margin_mm)), round(px(around.y + around.h + margin_mm))
    ys, xs = np.nonzero(image[y0:y1, x0:x1] < 128)
    assert xs.size, f"nothing printed near {around}"
    to_mm = 25.4 / DPI
    return (
        (x0 + xs.min()) * to_mm,
        (y0 + ys.min()) * to_mm,
        (x0 + xs.max() + 1) * to_mm,
        (y0 + ys.max() + 1) * to_mm,
    )


def sample_pages() -> list[tuple[Path, int]]:
    return [(p, i) for p in SAMPLES for i in range(build_layout(load_campaign(p)).page_count)]


def sample_id(param: object) -> str:
    return param.stem if isinstance(param, Path) else str(param)


# ---------------------------------------------------------------------------


def test_every_sample_prints_its_pages() -> None:
    counts = {p.stem: pdfium.PdfDocument(printed(p).pdf).__len__() for p in SAMPLES}
    assert counts == {
        "seed-000-ubnd-ninhson": 1,
        "seed-001-hdnd-cantho": 1,
        "seed-002-hdnd-ninhson": 2,  # 18 people: 12 on page 1, 6 on page 2
    }


def test_copies_are_collated(tmp_path: Path) -> None:
    p = printed(ROOT / "samples" / "seed-002-hdnd-ninhson.yaml")
    out = tmp_path / "ballots.pdf"
    assert render_ballots(p.campaign, p.layout, 3, out) == 6
    doc = pdfium.PdfDocument(out.read_bytes())
    codes = []
    for i in range(len(doc)):
        image = render_grey(doc, i, 150)
        codes.extend(r.text for r in zxingcpp.read_barcodes(image))
    assert codes == [p.layout.code_text(n) for n in (1, 2) * 3]


def test_no_copies_is_refused() -> None:
    p = printed(SAMPLES[0])
    with pytest.raises(ValueError, match="at least 1"):
        ballot_pdf_bytes(p.campaign, p.layout, 0)


def test_output_is_deterministic() -> None:
    p = printed(SAMPLES[0])
    assert ballot_pdf_bytes(p.campaign, p.layout) == p.pdf


def test_metadata_names_the_ballot() -> None:
    p = printed(ROOT / "samples" / "seed-002-hdnd-ninhson.yaml")
    meta = pdfium.PdfDocument(p.pdf).get_metadata_dict()
    assert meta["Author"] == "kiemphieu"
    assert meta["Title"].startswith("Phiếu lấy phiếu tín nhiệm")


@pytest.mark.parametrize(("path", "index"), sample_pages(), ids=sample_id)
def test_marks_are_where_the_layout_says(path: Path, index: int) -> None:
    layout = printed(path).layout
    image = page_image(path, index)
    detector = cv2.aruco.ArucoDetector(
        cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, layout.frame.aruco_dictionary))
    )
    corners, ids, _ = detector.detectMarkers(image)
    assert ids is not None
    found = {int(i): c.reshape(4, 2) for i, c in zip(ids.ravel(), corners, strict=True)}
    assert sorted(found) == sorted(m.marker_id for m in layout.frame.markers)
    for marker in layout.frame.markers:
        sq = marker.square
        left, top, right, bottom = dark_bbox(image, sq, 2.0)
        for got, want in ((left, sq.x), (top, sq.y), (right, sq.x + sq.w), (bottom, sq.y + sq.h)):
            assert got == pytest.approx(want, abs=TOLERANCE_MM), marker
        detected = found[marker.marker_id] * 25.4 / DPI
        for (gx, gy), (wx, wy) in zip(detected, sq.corners(), strict=True):
            assert gx == pytest.approx(wx, abs=TOLERANCE_MM + 0.1), marker
            assert gy == pytest.approx(wy, abs=TOLERANCE_MM + 0.1), marker


@pytest.mark.parametrize(("path", "index"), sample_pages(), ids=sample_id)
def test_boxes_are_where_the_layout_says(path: Path, index: int) -> None:
    layout = printed(path).layout
    template = layout.pages[index].template
    image = page_image(path, index)
    half = template.box_line_mm / 2
    assert template.rows
    for row in template.rows:
        for box in row.boxes:
            left, top, right, bottom = dark_bbox(image, box, 1.5)
            # the outline is centred on the rectangle's edge
            assert left == pytest.approx(box.x - half, abs=TOLERANCE_MM)
            assert top == pytest.approx(box.y - half, abs=TOLERANCE_MM)
            assert right == pytest.approx(box.x + box.w + half, abs=TOLERANCE_MM)
            assert bottom == pytest.approx(box.y + box.h + half, abs=TOLERANCE_MM)
            inside = box.inset(half + 0.3)
            y0, y1 = round(px(inside.y)), round(px(inside.y + inside.h))
            x0, x1 = round(px(inside.x)), round(px(inside.x + inside.w))
            assert image[y0:y1, x0:x1].min() > 200, "a printed box must be empty"


@pytest.mark.parametrize(("path", "index"), sample_pages(), ids=sample_id)
def test_qr_code_reads_back(path: Path, index: int) -> None:
    layout = printed(path).layout
    image = page_image(path, index)
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [layout.code_text(index + 1)]
    pos = results[0].position
    xs = [pt.x * 25.4 / DPI for pt in (pos.top_left, pos.top_right, pos.bottom_right)]
    ys = [pt.y * 25.4 / DPI for pt in (pos.top_left, pos.top_right, pos.bottom_right)]
    qr = layout.frame.qr
    assert qr.x + 2 < min(xs) and max(xs) < qr.x + qr.w - 2  # a quiet zone of ~2.5 mm
    assert qr.y + 2 < min(ys) and max(ys) < qr.y + qr.h - 2
    assert 15 < max(xs) - min(xs) < 18  # a ~17 mm symbol


def test_fonts_are_embedded_liberation_serif() -> None:
    for path in SAMPLES:
        pdf = printed(path).pdf
        fonts = set(re.findall(rb"/BaseFont\s*/([^\s/>\]]+)", pdf))
        assert fonts, path
        assert all(b"LiberationSerif" in f for f in fonts), fonts
        assert pdf.count(b"/FontFile2") == len(fonts)


@pytest.mark.parametrize("path", SAMPLES, ids=sample_id)
def test_text_extracts_as_the_nfc_text_given(path: Path) -> None:
    p = printed(path)
    name, rest = split_body(p.campaign.body)
    for index, page in enumerate(p.layout.pages):
        text = page_text(p.pdf, index)
        assert unicodedata.is_normalized("NFC", text)
        # the footer says in plain words that the code is the same on every ballot; no
        # machine codes (campaign id, layout hash) for the voter to read
        assert p.layout.fingerprint not in text and "Bố cục" not in text
        expected = [
            "Mã QR giống nhau trên mọi phiếu của đợt lấy phiếu này",
            f"Trang {index + 1}/{p.layout.page_count}",
            "Họ và tên",
            "Chức vụ",
            "Tín nhiệm thấp",
        ]
        for cand in page.candidates:
            expected += [cand.name, cand.position]
        if index == 0:
            expected += [
                "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                "Độc lập - Tự do - Hạnh phúc",
                p.campaign.title.upper(),
                *([rest] if rest else []),
            ]
        if index == p.layout.page_count - 1:
            expected.append(f"Hết danh sách ({len(p.campaign.candidates)} người)")
        squashed = text.replace(" ", "")
        for s in expected:
            assert s in text, s
        assert name.upper().replace(" ", "") in squashed  # the body may wrap anywhere
        signature = "Chữ ký người ghi phiếu"
        assert (signature in text) == p.campaign.rules.signature_allowed


def test_decomposed_input_prints_as_nfc() -> None:
    campaign = load_campaign(SAMPLES[0])
    nfd = dataclasses.replace(
        campaign,
        body=unicodedata.normalize("NFD", campaign.body),
        candidates=tuple(
            dataclasses.replace(c, name=unicodedata.normalize("NFD", c.name)) for c in campaign.candidates
        ),
    )
    text = page_text(ballot_pdf_bytes(nfd, build_layout(nfd)), 0)
    assert unicodedata.is_normalized("NFC", text)
    for cand in campaign.candidates:
        assert cand.name in text


# ---------------------------------------------------------------------------
# Long names and positions, long lists


def long_campaign(people: int, position: str = "Trưởng phòng Nội vụ") -> Campaign:
    lines = "\n".join(f'  - {{name: "Nguyễn Thị Minh {i}", position: "{position}"}}' for i in range(people))
    return parse_campaign(
        "id: test-long\ntitle: Phiếu lấy phiếu tín nhiệm\n"
        "body: Hội đồng nhân dân tỉnh Ninh Thuận khóa XI, nhiệm kỳ 2021-2026\n"
        "session_date: 2024-02-05\nrules: qd96-2023\nelectorate: 60\ncandidates:\n" + lines
    )


def test_forty_people_paginate_onto_three_pages() -> None:
    campaign = long_campaign(40)
    layout = build_layout(campaign)
    pdf = ballot_pdf_bytes(campaign, layout)
    assert [len(p.candidates) for p in layout.pages] == [12, 16, 12]
    doc = pdfium.PdfDocument(pdf)
    assert len(doc) == 3
    second = page_text(pdf, 1)
    assert "(tiếp theo)" in second and "Trang 2/3" in second
    assert "Nguyễn Thị Minh 12" in second  # STT 13 opens page 2
    assert "Hết danh sách (40 người)" in page_text(pdf, 2)


def test_long_texts_wrap_and_shrink_inside_their_cell() -> None:
    long_position = (
        "Ủy viên Ban Thường vụ Tỉnh ủy, Phó Chủ tịch Thường trực Ủy ban nhân dân tỉnh, "
        "Trưởng Ban Chỉ đạo phòng chống thiên tai và tìm kiếm cứu nạn tỉnh"
    )
    fitted = fit_text(long_position, "LiberationSerif", (10, 9, 8, 7, 6.5), 54.0, 10.4)
    assert fitted is not None
    assert fitted.size_pt < 10 and len(fitted.lines) >= 2
    assert fitted.height_mm <= 10.4
    campaign = long_campaign(2, long_position)
    pdf = ballot_pdf_bytes(campaign, build_layout(campaign))
    assert long_position in page_text(pdf, 0)


def test_a_position_too_long_for_its_cell_is_refused() -> None:
    campaign = long_campaign(1, "Ủy viên Ban Thường vụ Tỉnh ủy " * 12)
    with pytest.raises(CampaignError, match="does not fit its cell"):
        ballot_pdf_bytes(campaign, build_layout(campaign))


def test_a_title_too_long_for_the_header_is_refused() -> None:
    campaign = dataclasses.replace(long_campaign(1), subtitle="đối với người giữ chức vụ " * 40)
    with pytest.raises(CampaignError, match="shorten the title or subtitle"):
        ballot_pdf_bytes(campaign, build_layout(campaign))


def test_body_splits_into_name_and_term() -> None:
    assert split_body("Hội đồng nhân dân huyện Ninh Sơn khóa XII, nhiệm kỳ 2021-2026") == (
        "Hội đồng nhân dân huyện Ninh Sơn",
        "Khóa XII, nhiệm kỳ 2021-2026",
    )
    assert split_body("Ủy ban nhân dân huyện Ninh Sơn") == ("Ủy ban nhân dân huyện Ninh Sơn", None)


# ---------------------------------------------------------------------------
# Golden render


def test_first_page_matches_the_golden_render() -> None:
    campaign = load_campaign(GOLDEN_CAMPAIGN)
    layout = build_layout(campaign)
    image = render_grey(pdfium.PdfDocument(ballot_pdf_bytes(campaign, layout)), 0, 100)
    if os.environ.get("KIEMPHIEU_UPDATE_GOLDEN") == "1":
        Image.fromarray(image).save(GOLDEN_PNG, optimize=True)
    assert GOLDEN_PNG.exists(), f"no golden file; run with KIEMPHIEU_UPDATE_GOLDEN=1 to create {GOLDEN_PNG}"
    golden = np.asarray(Image.open(GOLDEN_PNG).convert("L"))
    assert golden.shape == image.shape
    diff = np.abs(golden.astype(np.int16) - image.astype(np.int16))
    changed = float((diff > 64).mean())
    assert changed < 0.002, (
        f"{changed:.2%} of pixels differ from {GOLDEN_PNG.name}; if the change is intended, "
        "look at the new render and rerun with KIEMPHIEU_UPDATE_GOLDEN=1"
    )


def test_golden_campaign_is_seed_002_with_quoted_positions() -> None:
    golden = load_campaign(GOLDEN_CAMPAIGN)
    sample = load_campaign(ROOT / "samples" / "seed-002-hdnd-ninhson.yaml")
    assert [c.name for c in golden.candidates] == [c.name for c in sample.candidates]
    assert all(
        g.position.startswith(s.position) for g, s in zip(golden.candidates, sample.candidates, strict=True)
    )


def test_positions_wrap_at_commas_and_dashes_never_inside_a_word() -> None:
    """"Chỉ huy trưởng" and "Thương binh" are words: a line never ends inside one."""
    for text, width in (("Ủy viên UBND huyện, Chỉ huy trưởng Ban Chỉ huy Quân sự huyện", 52.0),
                        ("Trưởng phòng Lao động - Thương binh và Xã hội", 40.0),
                        ("Ủy viên UBND huyện, Chánh Văn phòng HĐND và UBND huyện", 30.0)):
        lines = cell_wrap(text, REGULAR, 10, width)
        assert " ".join(lines) == text
        for a, b in itertools.pairwise(lines):
            pair = f"{a.split()[-1]} {b.split()[0]}".lower()
            assert pair not in ("huy trưởng", "chỉ huy", "thương binh", "văn phòng", "xã hội"), lines
    assert cell_wrap("Trưởng phòng Lao động - Thương binh và Xã hội", REGULAR, 10, 40) == [
        "Trưởng phòng Lao động -", "Thương binh và Xã hội"]
    assert cell_wrap("Ủy viên UBND huyện, Chỉ huy trưởng Ban Chỉ huy Quân sự huyện", REGULAR, 9,
                     54)[0] == "Ủy viên UBND huyện,"


@pytest.mark.parametrize("path", SAMPLES, ids=sample_id)
def test_the_seal_place_is_clear_of_text(path: Path) -> None:
    """No character but the "(Dấu)" label inside the seal's circle, on every sample."""
    p = printed(path)
    seal = p.layout.spec["seal"]
    r = float(seal["size"]) / 2
    cx, cy = float(seal["x"]) + r, float(seal["y"]) + r
    page = pdfium.PdfDocument(p.pdf)[0]
    textpage = page.get_textpage()
    height_pt = page.get_height()
    found = textpage.search("(Dấu)")
    hit = found.get_next()
    assert hit is not None
    label = set(range(hit[0], hit[0] + hit[1]))
    for i in range(textpage.count_chars()):
        if i in label or not textpage.get_text_range(i, 1).strip():
            continue
        left, bottom, right, top = textpage.get_charbox(i)
        corners = [(x * 25.4 / 72, (height_pt - y) * 25.4 / 72) for x in (left, right)
                   for y in (bottom, top)]
        char = textpage.get_text_range(i, 1)
        assert all(math.hypot(x - cx, y - cy) > r for x, y in corners), (char, corners)


def test_the_signature_line_is_solid_black() -> None:
    """A Party ballot's signature line survives a photocopy: one dark run across its width."""
    path = next(s for s in SAMPLES if "seed-000" in s.name)
    p = printed(path)
    area = p.layout.spec["signature"]
    image = page_image(path, 0)
    y = px(float(area["y"]) + float(area["h"]) - 3.0)
    x0, x1 = px(float(area["x"]) + 11), px(float(area["x"]) + float(area["w"]) - 11)
    band = image[round(y) - 3: round(y) + 4, round(x0): round(x1)]
    assert band.min(axis=0).max() < 90  # dark across the whole line, not grey dots
