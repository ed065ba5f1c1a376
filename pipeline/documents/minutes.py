"""The counting minutes (*biên bản kiểm phiếu*) as PDF and DOCX, and the results chart.

Both documents are made from the certified result (the package's
``tally.json``, see `pipeline.documents.export`) through one wording, `minutes_text`,
so the PDF and the Word copy say the same thing. The form follows Nghị định
30/2020/NĐ-CP: the issuing body top-left (the campaign's body, then *BAN
KIỂM PHIẾU*), the national heading top-right with place and date under it,
the title, the instruments cited, the committee, the figures, the per-person
table, the consequences in words, a chart, the reconciliation of the hand
count with the scans, and the signature lines.

Typography: A4 portrait, margins 20/15/20/30 mm (top, right, bottom, left),
text 13 pt, the table 10 pt, page numbers centred at the top from page 2.
The PDF is set in the bundled Liberation Serif (metric-compatible with Times
New Roman) with text in Unicode NFC; the DOCX names Times New Roman, the
face Vietnamese offices have. The chart is one reportlab drawing: drawn as
vectors in the PDF and rasterised (via pypdfium2) for the DOCX.

Numbers are written the Vietnamese way in the documents (``85,23%``); the
machine formats (CSV, XLSX, JSON) carry plain numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from dataclasses import dataclass
from typing import Any

from pipeline.documents.ballot_pdf import (
    BOLD,
    ITALIC,
    NATIONAL_MOTTO,
    NATIONAL_NAME,
    REGULAR,
    balanced_wrap,
    date_words,
    register_fonts,
    split_body,
)
from pipeline.domain.certificate import grouped
from pipeline.domain.rules import KIND_FOLLOW_UP
from pipeline.domain.tally import in_groups, result_levels
from pipeline.domain.wording import t

MM = 72 / 25.4  # points per millimetre
MARGINS_MM = {"top": 20.0, "right": 15.0, "bottom": 20.0, "left": 30.0}
TEXT_WIDTH_MM = 210.0 - MARGINS_MM["left"] - MARGINS_MM["right"]
BODY_PT = 13.0
TABLE_PT = 10.0
VIETNAM_UTC_OFFSET = dt.timedelta(hours=7)  # no daylight saving

# Chart colours (RGB 0-1), distinct in luminance so a grey photocopy still reads.
LEVEL_COLOURS = {"low": (0.62, 0.11, 0.11), "medium": (0.56, 0.56, 0.56), "high": (0.84, 0.84, 0.84),
                 "no_confidence": (0.62, 0.11, 0.11), "confidence": (0.84, 0.84, 0.84)}


def groups_in_order(doc: dict[str, Any]) -> list[tuple[str | None, list[dict[str, Any]]]]:
    """The people in their groups' order, each group headed "I - KHỐI ..."."""
    out = in_groups(doc.get("groups") or [], doc["candidates"], lambda c: c.get("group"))
    named = [(g["name"] if g else (t("ungrouped") if doc.get("groups") else None), people)
             for g, people in out]
    return [(f"{_roman(i)} - {name.upper()}" if name else None, people)
            for i, (name, people) in enumerate(named, start=1)]


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + letters, n - value
    return out

def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def vn_number(value: float | int | None, decimals: int = 2) -> str:
    """``85.23`` as ``85,23`` (Vietnamese decimal comma); ``None`` as an en dash."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return f"{value:.{decimals}f}".replace(".", ",")


def vietnam_time(utc_naive: dt.datetime) -> dt.datetime:
    return utc_naive + VIETNAM_UTC_OFFSET


# ---------------------------------------------------------------------------
# The wording, shared by both documents


@dataclass(frozen=True)
class Row:
    stt: str
    name: str
    position: str
    cells: tuple[str, ...]  # count, percent for high, medium, low
    consequence: str


@dataclass(frozen=True)
class Minutes:
    body_lines: tuple[str, ...]  # top-left, upper case: the body, then the committee
    place_date: str
    title: str
    subtitle: str
    grounds: tuple[str, ...]  # "Căn cứ ..."
    opening: str
    committee_heading: str
    committee: tuple[str, ...]
    results_heading: str
    figures: tuple[str, ...]
    base_sentence: str
    quorum: str | None
    table_intro: str
    rows: tuple[Row, ...]
    invalid_note: str | None
    consequences_heading: str
    consequences: tuple[str, ...]
    chart_caption: str
    reconciliation_heading: str
    reconciliation: tuple[str, ...]
    closing: tuple[str, ...]
    head: str | None
    members: tuple[str, ...]
    document_title: str
    # near the signatures: (label, hex digits grouped by four, two lines): the certificate's
    # digest and the key's fingerprint, in full, as `kiemphieu verify --digest/--key` takes them
    codes: tuple[tuple[str, str], ...] = ()


def minutes_text(doc: dict[str, Any]) -> Minutes:
    """Every sentence of the minutes, from the certified result ``doc`` (tally.json)."""
    info = doc["campaign_info"]
    decl = doc["declared"]
    recon = doc["reconciliation"]
    cert = doc["certification"]
    body_name, _ = split_body(info["body"])
    session = dt.date.fromisoformat(info["session_date"])
    place = info.get("place") or _place_from_body(body_name)
    place_date = f"{place}, {date_words(session)}" if place else date_words(session).capitalize()
    follow_up = doc.get("kind") == KIND_FOLLOW_UP
    what = "bỏ phiếu tín nhiệm" if follow_up else "lấy phiếu tín nhiệm"
    adverse = result_levels(doc)[-1]
    subtitle = f"Kết quả {what}"
    if info.get("subtitle"):
        subtitle += " " + info["subtitle"][:1].lower() + info["subtitle"][1:]
    n = len(doc["candidates"])
    base_label = info["base_label"]
    convened = "Tổng số đại biểu" if info["rules"] != "qd96-2023" else "Số người được triệu tập"

    committee = []
    if decl.get("head"):
        committee.append(f"{decl['head']} – Trưởng ban")
    committee += [f"{m['name']} – {m['role']}" for m in decl.get("members") or []]
    committee = [f"{i}. {line}" for i, line in enumerate(committee, start=1)]
    if not committee:
        committee = ["(Ban kiểm phiếu chưa khai báo thành viên.)"]

    ballots = doc["ballots"]
    collected = ballots["collected"]
    accepted = ballots["accepted"]
    invalid_ballots = max(collected - accepted, 0)
    figures = (
        f"{convened}: {vn_number(doc['electorate'])}.",
        f"Số phiếu phát ra: {vn_number(ballots['issued'])} phiếu.",
        f"Số phiếu thu về: {vn_number(collected)} phiếu.",
        f"Số phiếu hợp lệ: {vn_number(accepted)} phiếu.",
        f"Số phiếu không hợp lệ: {vn_number(invalid_ballots)} phiếu.",
    )
    base_sentence = (
        f"Tỷ lệ phần trăm được tính trên {base_label} ({vn_number(doc['base'])}) theo "
        f"{info['base_article']}. Phiếu không đánh dấu hoặc đánh dấu từ hai ô trở lên đối với "
        "một người thì không hợp lệ đối với người đó, phiếu vẫn được tính trong tổng số."
    )
    forms = doc.get("forms") or []
    if len(forms) > 1:  # each form a ballot of its own, with its own base
        base_sentence += (
            " Mỗi mẫu phiếu được kiểm như một phiếu riêng; tỷ lệ của mỗi người tính trên số "
            "phiếu thu về của mẫu phiếu có tên người đó: " + "; ".join(
                f"{f['title']}" + (f" ({f['paper'].lower()})" if f.get("paper") else "")
                + f": phát ra {vn_number(f['issued'])}, thu về {vn_number(f['collected'])}"
                for f in forms) + ".")
    rows = []
    invalid_people = []
    in_order = groups_in_order(doc)
    for heading, people in in_order:
        if heading:
            rows.append(Row("", heading, "", ("",) * (2 * len(result_levels(doc))), ""))
        for c in people:
            cells: list[str] = []
            for lv in result_levels(doc):
                cells += [vn_number(c["counts"][lv]), vn_number(c["percent"][lv])]
            rows.append(Row(str(c["candidate"]), c["name"], c["position"], tuple(cells),
                            t(c["consequence"]) if c["consequence"] else ""))
    for c in doc["candidates"]:
        if c["counts"].get("invalid"):
            invalid_people.append(f"{c['name']}: {vn_number(c['counts']['invalid'])}")
    invalid_note = (
        "Số phiếu không hợp lệ đối với từng người: " + "; ".join(invalid_people) + "."
        if invalid_people else None
    )
    consequences = []
    for c in doc["candidates"]:
        if c["consequence"]:
            consequences.append(
                f"{c['name']}, {c['position']}: {vn_number(c['counts'][adverse])} phiếu "
                f"{t(adverse).lower()} trên {base_label} {vn_number(c.get('base', doc['base']))} "
                f"({vn_number(c['percent'][adverse])}%). {c['consequence_text']}"
            )
    if not consequences:
        consequences.append(
            f"Không có người nào có quá nửa {base_label} bỏ phiếu không tín nhiệm."
            if follow_up else
            f"Không có người nào có trên 1/2 {base_label} đánh giá tín nhiệm thấp."
        )

    pages = recon["pages_accepted"]
    if len(pages) == 1:
        scanned = f"Số phiếu được quét và chấp nhận: {vn_number(pages['1'])}."
    else:
        scanned = "Số bản được quét và chấp nhận theo từng trang của phiếu: " + "; ".join(
            f"trang {p}: {vn_number(k)}" for p, k in pages.items()) + "."
    reconciliation = [
        f"Số phiếu thu về do Ban kiểm phiếu đếm: {vn_number(recon['collected'])}. {scanned}",
    ]
    if recon["matches"]:
        reconciliation.append("Kết quả đối chiếu: khớp.")
    else:
        reconciliation.append("Kết quả đối chiếu: không khớp. "
                              + " ".join(m["vi"] for m in recon["mismatches"]))
        reconciliation.append(f"Giải trình của Ban kiểm phiếu: {recon['note']}")
    other = []
    if ballots.get("rejected"):
        other.append(f"{vn_number(ballots['rejected'])} trang bị loại (không phải phiếu do Ban "
                     "kiểm phiếu phát ra hoặc không đọc được)")
    if ballots.get("duplicate"):
        other.append(f"{vn_number(ballots['duplicate'])} lần quét trùng (không tính lại)")
    if ballots.get("blank_pages"):
        other.append(f"{vn_number(ballots['blank_pages'])} trang trắng")
    if other:
        reconciliation.append("Khi quét còn ghi nhận: " + "; ".join(other) + ".")
    if not recon["matches"] and not recon["note"]:
        raise ValueError("a mismatch without the committee's note cannot be certified")

    at = vietnam_time(dt.datetime.fromisoformat(cert["at"]))
    number = cert.get("number") or 1
    closing = (
        f"Ban kiểm phiếu xác nhận kết quả kiểm phiếu lúc {at:%H} giờ {at:%M} phút, "
        f"{date_words(at.date())} (giờ Việt Nam)"
        + (f"; đây là lần xác nhận thứ {number}." if number > 1 else "."),
        f"Kết quả được kiểm bằng phần mềm {cert['software']}. Toàn bộ "
        f"{vn_number(len(doc['pages']))} trang đã quét, số liệu kiểm phiếu và nhật ký các quyết "
        "định được lưu trong gói dữ liệu có chữ ký số. Mã xác nhận kết quả (SHA-256) dưới đây "
        "xác định toàn bộ số liệu đã xác nhận; mã khóa kiểm chứng xác định khóa ký gói dữ liệu.",
    )
    codes = [("Mã xác nhận kết quả:", grouped(cert.get("digest") or "", 8)),
             ("Mã khóa kiểm chứng:", grouped(doc["key_sha256"], 8))]
    if cert.get("previous"):
        codes.append((f"Mã xác nhận lần thứ {number - 1}:", grouped(cert["previous"], 8)))
    return Minutes(
        body_lines=(body_name.upper(), "BAN KIỂM PHIẾU"),
        place_date=place_date,
        title="BIÊN BẢN KIỂM PHIẾU",
        subtitle=subtitle,
        grounds=(f"Căn cứ {info['rules_document']};",),
        opening=(
            f"Hôm nay, {date_words(session)}, Ban kiểm phiếu {info['body']} "
            f"tiến hành kiểm phiếu {what} đối với {n} người có tên trong danh sách, "
            "kết quả như sau:"
        ),
        committee_heading="I. THÀNH PHẦN BAN KIỂM PHIẾU",
        committee=tuple(committee),
        results_heading="II. KẾT QUẢ KIỂM PHIẾU",
        figures=tuple(f"{i}. {f}" for i, f in enumerate(figures, start=1)),
        base_sentence=base_sentence,
        quorum=f"Lưu ý: {recon['quorum_warning']}" if recon.get("quorum_warning") else None,
        table_intro=f"Kết quả {what} đối với từng người:",
        rows=tuple(rows),
        invalid_note=invalid_note,
        consequences_heading="III. HỆ QUẢ THEO QUY ĐỊNH",
        consequences=tuple(consequences),
        chart_caption=f"Biểu đồ: tỷ lệ các mức tín nhiệm trên {base_label} "
                      f"(vạch đứt: 1/2 và 2/3 {base_label})",
        reconciliation_heading="IV. ĐỐI CHIẾU SỐ PHIẾU",
        reconciliation=tuple(reconciliation),
        closing=closing,
        head=decl.get("head"),
        members=tuple(m["name"] for m in decl.get("members") or []),
        document_title=nfc(f"Biên bản kiểm phiếu - {info['title']} - {info['body']}"),
        codes=tuple(codes),
    )


def _place_from_body(body_name: str) -> str | None:
    """'Hội đồng nhân dân thành phố Hà Nội' -> 'Hà Nội' (the words after the unit's kind)."""
    for kind in ("thành phố", "tỉnh", "huyện", "quận", "thị xã", "xã", "phường", "thị trấn"):
        i = body_name.lower().rfind(f" {kind} ")
        if i >= 0:
            return body_name[i + len(kind) + 2:].strip()
    return None


# ---------------------------------------------------------------------------
# The chart


def chart_drawing(doc: dict[str, Any], width_mm: float = TEXT_WIDTH_MM):
    """A horizontal stacked bar per person: low, medium, high as shares of the base.

    "Tín nhiệm thấp" is drawn first from the left, so the dashed lines at 1/2
    and 2/3 of the base show at a glance whom a consequence reaches.
    """
    from reportlab.graphics.shapes import Drawing, Line, Rect, String
    from reportlab.lib.colors import Color, black, white

    register_fonts()
    people = doc["candidates"]
    base = doc["base"]
    row_h, bar_h = 6.5 * MM, 4.2 * MM
    label_w = 56 * MM
    right_pad = 4 * MM
    top_pad, legend_h = 9 * MM, 11 * MM
    width = width_mm * MM
    height = top_pad + row_h * len(people) + legend_h
    bar_x0 = label_w
    bar_w = width - label_w - right_pad
    d = Drawing(width, height)
    d.add(Rect(0, 0, width, height, fillColor=white, strokeColor=None))

    def y_of(i: int) -> float:  # bottom of the bar of row i
        return height - top_pad - row_h * (i + 1) + (row_h - bar_h) / 2

    grid_bottom = y_of(len(people) - 1) - 1.2 * MM
    for pct in (0, 25, 50, 75, 100):
        x = bar_x0 + bar_w * pct / 100
        d.add(Line(x, grid_bottom, x, height - top_pad + 0.6 * MM,
                   strokeColor=Color(0.8, 0.8, 0.8), strokeWidth=0.3))
        d.add(String(x, grid_bottom - 3.2 * MM, f"{pct}%", fontName=REGULAR, fontSize=7.5,
                     textAnchor="middle"))
    for i, c in enumerate(people):
        y = y_of(i)
        label = nfc(f"{c['candidate']}. {c['name']}")
        size = 8.5
        while _string_width(label, size) > label_w - 2 * MM and size > 6:
            size -= 0.25
        d.add(String(label_w - 2 * MM, y + bar_h / 2 - size * 0.33, label, fontName=REGULAR,
                     fontSize=size, textAnchor="end"))
        d.add(Rect(bar_x0, y, bar_w, bar_h, fillColor=white, strokeColor=Color(0.55, 0.55, 0.55),
                   strokeWidth=0.3))
        x = bar_x0
        base = c.get("base", doc["base"])
        for lv in reversed(result_levels(doc)):
            share = c["counts"][lv] / base if base else 0.0
            w = bar_w * share
            if w <= 0:
                continue
            d.add(Rect(x, y, w, bar_h, fillColor=Color(*LEVEL_COLOURS[lv]), strokeColor=None))
            text = vn_number(c["percent"][lv])
            if w >= _string_width(text, 7) + 1.5 * MM:
                d.add(String(x + w / 2, y + bar_h / 2 - 2.3, text, fontName=REGULAR, fontSize=7,
                             textAnchor="middle",
                             fillColor=white if lv == result_levels(doc)[-1] else black))
            x += w
    for frac, label in ((1 / 2, "1/2"), (2 / 3, "2/3")):
        x = bar_x0 + bar_w * frac
        d.add(Line(x, grid_bottom, x, height - top_pad + 1.5 * MM, strokeColor=black,
                   strokeWidth=0.7, strokeDashArray=[2.5, 1.8]))
        d.add(String(x, height - top_pad + 2.5 * MM, label, fontName=BOLD, fontSize=8,
                     textAnchor="middle"))
    # legend
    lx = bar_x0
    ly = 1.5 * MM
    for lv in reversed(result_levels(doc)):
        d.add(Rect(lx, ly, 4 * MM, 3 * MM, fillColor=Color(*LEVEL_COLOURS[lv]),
                   strokeColor=Color(0.4, 0.4, 0.4), strokeWidth=0.3))
        d.add(String(lx + 5.5 * MM, ly + 0.6 * MM, t(lv), fontName=REGULAR, fontSize=8.5))
        lx += 5.5 * MM + _string_width(t(lv), 8.5) + 6 * MM
    return d


def _string_width(text: str, size: float, font: str = REGULAR) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, font, size)


def chart_png(doc: dict[str, Any], dpi: int = 200) -> bytes:
    """The chart as a PNG at ``dpi`` (drawn as PDF, rasterised by pypdfium2)."""
    import pypdfium2 as pdfium
    from reportlab.graphics import renderPDF

    pdf = renderPDF.drawToString(chart_drawing(doc))
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=dpi / 72).to_pil().convert("RGB")
    buf = io.BytesIO()
    image.save(buf, format="PNG", dpi=(dpi, dpi), optimize=True)
    return buf.getvalue()


# ---------------------------------------------------------------------------
# PDF


def minutes_pdf(doc: dict[str, Any]) -> bytes:
    """The minutes as PDF bytes (deterministic for the same ``doc``)."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import (
        CondPageBreak,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    register_fonts()
    m = minutes_text(doc)

    def style(name: str, **kw: Any) -> ParagraphStyle:
        base = {"fontName": REGULAR, "fontSize": BODY_PT, "leading": BODY_PT * 1.25,
                "alignment": TA_JUSTIFY}
        return ParagraphStyle(name, **{**base, **kw})

    para = style("para", firstLineIndent=10 * MM, spaceAfter=3)
    plain = style("plain", spaceAfter=2, leftIndent=10 * MM)
    heading = style("heading", fontName=BOLD, spaceBefore=6, spaceAfter=3, alignment=TA_LEFT)
    cell = style("cell", fontSize=TABLE_PT, leading=TABLE_PT * 1.2, alignment=TA_LEFT)
    cell_c = style("cellc", fontSize=TABLE_PT, leading=TABLE_PT * 1.2, alignment=TA_CENTER)
    cell_h = style("cellh", fontName=BOLD, fontSize=TABLE_PT - 0.5, leading=TABLE_PT * 1.15,
                   alignment=TA_CENTER)

    def p(text: str, st: ParagraphStyle) -> Paragraph:
        return Paragraph(_esc(nfc(text)), st)

    story: list[Any] = []
    # Heading: body top-left, national heading top-right (Nghị định 30/2020).
    left = [*(p(line, style("b0", fontSize=12.5, leading=15, alignment=TA_CENTER))
              for line in balanced_wrap(m.body_lines[0], REGULAR, 12.5, 66)),
            p(m.body_lines[1], style("b1", fontSize=12.5, leading=15, alignment=TA_CENTER,
                                     fontName=BOLD)),
            _rule(22 * MM)]
    right = [p(NATIONAL_NAME, style("n0", fontName=BOLD, fontSize=12, leading=15,
                                    alignment=TA_CENTER)),
             p(NATIONAL_MOTTO, style("n1", fontName=BOLD, fontSize=13, leading=15,
                                     alignment=TA_CENTER)),
             _rule(_string_width(NATIONAL_MOTTO, 13, BOLD), space=0),
             Spacer(1, 4),
             p(m.place_date, style("n2", fontName=ITALIC, fontSize=13, leading=15,
                                   alignment=TA_CENTER))]
    head = Table([[left, right]], colWidths=[68 * MM, TEXT_WIDTH_MM * MM - 68 * MM])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story += [head, Spacer(1, 8 * MM)]
    story.append(p(m.title, style("title", fontName=BOLD, fontSize=14, leading=18,
                                  alignment=TA_CENTER)))
    story.append(p(m.subtitle, style("sub", fontName=BOLD, fontSize=13, leading=16,
                                     alignment=TA_CENTER)))
    story.append(_rule(40 * MM, space=5))
    story.append(Spacer(1, 4 * MM))
    for g in m.grounds:
        story.append(p(g, style("ground", fontName=ITALIC, firstLineIndent=10 * MM, spaceAfter=3)))
    story.append(p(m.opening, para))
    story.append(p(m.committee_heading, heading))
    story += [p(line, plain) for line in m.committee]
    story.append(p(m.results_heading, heading))
    story += [p(line, plain) for line in m.figures]
    story.append(p(m.base_sentence, para))
    if m.quorum:
        story.append(p(m.quorum, style("quorum", fontName=BOLD, firstLineIndent=10 * MM)))
    story.append(p(m.table_intro, para))

    n_lv = len(result_levels(doc))
    widths_mm = [9, 31, 33 + 23 * (3 - n_lv), *[11, 12] * n_lv, 23]
    last = 3 + 2 * n_lv
    header1 = [p(t("stt"), cell_h), p(t("name"), cell_h), p(t("position"), cell_h)]
    for lv in result_levels(doc):
        header1 += [p(t(lv), cell_h), ""]
    header1.append(p(t("consequence"), cell_h))
    header2 = ["", "", ""] + [p(t("ballots_count"), cell_h), p(t("percent"), cell_h)] * n_lv + [""]
    data: list[list[Any]] = [header1, header2]
    for r in m.rows:
        data.append([p(r.stt, cell_c), p(r.name, cell), p(r.position, cell),
                     *[p(v, cell_c) for v in r.cells], p(r.consequence, cell_c)])
    table = Table(data, colWidths=[w * MM for w in widths_mm], repeatRows=2)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("SPAN", (0, 0), (0, 1)), ("SPAN", (1, 0), (1, 1)), ("SPAN", (2, 0), (2, 1)),
        *(("SPAN", (3 + 2 * k, 0), (4 + 2 * k, 0)) for k in range(n_lv)),
        ("SPAN", (last, 0), (last, 1)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("BACKGROUND", (0, 0), (-1, 1), colors.Color(0.93, 0.93, 0.93)),
    ]))
    story.append(table)
    if m.invalid_note:
        story.append(Spacer(1, 2))
        story.append(p(m.invalid_note, style("note", fontName=ITALIC, fontSize=11, leading=13.5)))
    story.append(p(m.consequences_heading, heading))
    story += [p(c, para) for c in m.consequences]
    chart = chart_drawing(doc)
    room = (297.0 - MARGINS_MM["top"] - MARGINS_MM["bottom"] - 40) * MM  # with its caption
    if chart.height > room:  # a long list: the chart scaled to one page
        f = room / chart.height
        chart.scale(f, f)
        chart.width, chart.height = chart.width * f, chart.height * f
    story.append(CondPageBreak(chart.height + 30))
    story.append(KeepTogether([Spacer(1, 3 * MM), chart,
                               p(m.chart_caption, style("cap", fontName=ITALIC, fontSize=11,
                                                        leading=14, alignment=TA_CENTER))]))
    story.append(p(m.reconciliation_heading, heading))
    story += [p(r, para) for r in m.reconciliation]
    story += [p(c, para) for c in m.closing[:-1]]
    # the last paragraph goes with the signatures: they never stand alone on a page
    story.append(KeepTogether([p(m.closing[-1], para), _codes_table(m, style),
                               Spacer(1, 6 * MM), *_signature_block(m, p, style)]))

    buf = io.BytesIO()
    pdf = SimpleDocTemplate(
        buf, pagesize=(210 * MM, 297 * MM), invariant=1,
        leftMargin=MARGINS_MM["left"] * MM, rightMargin=MARGINS_MM["right"] * MM,
        topMargin=MARGINS_MM["top"] * MM, bottomMargin=MARGINS_MM["bottom"] * MM,
        title=m.document_title, author="Ban kiểm phiếu", creator="kiemphieu", lang="vi",
        initialFontName=REGULAR,
    )

    def page_number(canvas: Any, document: Any) -> None:
        if document.page > 1:  # Nghị định 30: numbered from page 2, centred at the top
            canvas.setFont(REGULAR, 13)
            canvas.drawCentredString(105 * MM, 297 * MM - 12 * MM, str(document.page))

    pdf.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buf.getvalue()


def _signature_block(m: Minutes, p: Any, style: Any) -> list[Any]:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.platypus import Spacer, Table, TableStyle

    title = style("sig", fontName=BOLD, alignment=TA_CENTER)
    hint = style("hint", fontName=ITALIC, fontSize=12, leading=14, alignment=TA_CENTER)
    name = style("signame", fontName=BOLD, alignment=TA_CENTER)
    blank = style("blank", alignment=TA_CENTER)
    left: list[Any] = [p("CÁC THÀNH VIÊN", title), p("(Ký, ghi rõ họ tên)", hint)]
    if m.members:
        for member in m.members:
            left += [Spacer(1, 20 * MM), p(member, name)]
    else:
        left += [Spacer(1, 20 * MM), p("." * 40, blank)]
    right: list[Any] = [p("TRƯỞNG BAN KIỂM PHIẾU", title), p("(Ký, ghi rõ họ tên)", hint),
                        Spacer(1, 20 * MM), p(m.head or "." * 40, name if m.head else blank)]
    half = TEXT_WIDTH_MM * MM / 2
    table = Table([[left, right]], colWidths=[half, half])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [table]


def _codes_table(m: Minutes, style: Any) -> Any:
    """The certificate's digest and the key's fingerprint, in a fixed-width face."""
    from reportlab.lib.enums import TA_LEFT
    from reportlab.platypus import Paragraph, Table, TableStyle

    label = style("codelabel", fontName=BOLD, fontSize=12, leading=14, alignment=TA_LEFT)
    mono = style("code", fontName="Courier", fontSize=11, leading=13.5, alignment=TA_LEFT)
    rows = [[Paragraph(_esc(nfc(name)), label),
             Paragraph("<br/>".join(_esc(line) for line in code.split("\n")), mono)]
            for name, code in m.codes]
    table = Table(rows, colWidths=[62 * MM, TEXT_WIDTH_MM * MM - 62 * MM])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (0, -1), 10 * MM)]))
    return table


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _rule(width_pt: float, space: float = 2) -> Any:
    """A short horizontal rule centred in the space it is given (the line under a heading)."""
    from reportlab.platypus.flowables import Flowable

    class Rule(Flowable):
        def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
            self.avail = avail_width
            return avail_width, space + 1

        def draw(self) -> None:
            x0 = (self.avail - width_pt) / 2
            self.canv.setLineWidth(0.6)
            self.canv.line(x0, 0.5, x0 + width_pt, 0.5)

    return Rule()


# ---------------------------------------------------------------------------
# DOCX


def minutes_docx(doc: dict[str, Any]) -> bytes:
    """The minutes as a Word document (Times New Roman, NFC text)."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    m = minutes_text(doc)
    d = docx.Document()
    section = d.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    normal = d.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), "Times New Roman")
    normal.paragraph_format.space_after = Pt(3)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.line_spacing = 1.15
    core = d.core_properties
    core.title = m.document_title
    core.author = "Ban kiểm phiếu"
    core.language = "vi-VN"
    cert_at = dt.datetime.fromisoformat(doc["certification"]["at"])
    core.created = core.modified = cert_at
    core.last_modified_by = "kiemphieu"
    core.revision = 1

    def para(text: str = "", *, bold: bool = False, italic: bool = False, size: float | None = None,
             align: Any = WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = False, left: bool = False,
             container: Any = None, before: float = 0, after: float = 3) -> Any:
        par = (container or d).add_paragraph()
        par.alignment = align
        fmt = par.paragraph_format
        fmt.space_before, fmt.space_after = Pt(before), Pt(after)
        if indent:
            fmt.first_line_indent = Mm(10)
        if left:
            fmt.left_indent = Mm(10)
        if text:
            run = par.add_run(nfc(text))
            run.bold, run.italic = bold, italic
            if size:
                run.font.size = Pt(size)
        return par

    # heading table without borders
    head = d.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    head.autofit = False
    _set_widths(head, (68, TEXT_WIDTH_MM - 68))
    lc, rc = head.rows[0].cells
    lc.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    lc.paragraphs[0].add_run(nfc(m.body_lines[0])).font.size = Pt(12.5)
    para(m.body_lines[1], bold=True, size=12.5, align=WD_ALIGN_PARAGRAPH.CENTER, container=lc,
         after=0)
    para("————", size=9, align=WD_ALIGN_PARAGRAPH.CENTER, container=lc, after=0)
    rc.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    r = rc.paragraphs[0].add_run(NATIONAL_NAME)
    r.bold = True
    r.font.size = Pt(12)
    motto = para("", align=WD_ALIGN_PARAGRAPH.CENTER, container=rc, after=6)
    r = motto.add_run(NATIONAL_MOTTO)
    r.bold, r.underline = True, True
    r.font.size = Pt(13)
    para(m.place_date, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, container=rc, after=0)

    para(m.title, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, before=18, after=0)
    para(m.subtitle, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    para("————", size=9, align=WD_ALIGN_PARAGRAPH.CENTER, after=9)
    for g in m.grounds:
        para(g, italic=True, indent=True)
    para(m.opening, indent=True)
    para(m.committee_heading, bold=True, before=6)
    for line in m.committee:
        para(line, left=True, after=1)
    para(m.results_heading, bold=True, before=6)
    for line in m.figures:
        para(line, left=True, after=1)
    para(m.base_sentence, indent=True)
    if m.quorum:
        para(m.quorum, bold=True, indent=True)
    para(m.table_intro, indent=True)

    n_lv = len(result_levels(doc))
    widths_mm = [9, 31, 33 + 23 * (3 - n_lv), *[11, 12] * n_lv, 23]
    last = 3 + 2 * n_lv
    table = d.add_table(rows=2 + len(m.rows), cols=last + 1)
    table.style = d.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False

    def put(row: int, col: int, text: str, *, bold: bool = False,
            align: Any = WD_ALIGN_PARAGRAPH.CENTER) -> None:
        c = table.cell(row, col)
        c.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        par = c.paragraphs[0]
        par.alignment = align
        par.paragraph_format.space_after = Pt(0)
        run = par.add_run(nfc(text))
        run.bold = bold
        run.font.size = Pt(TABLE_PT)

    for i, text in enumerate((t("stt"), t("name"), t("position"))):
        table.cell(0, i).merge(table.cell(1, i))
        put(0, i, text, bold=True)
    for k, lv in enumerate(result_levels(doc)):
        c0 = 3 + 2 * k
        table.cell(0, c0).merge(table.cell(0, c0 + 1))
        put(0, c0, t(lv), bold=True)
        put(1, c0, t("ballots_count"), bold=True)
        put(1, c0 + 1, t("percent"), bold=True)
    table.cell(0, last).merge(table.cell(1, last))
    put(0, last, t("consequence"), bold=True)
    for i, row in enumerate(m.rows, start=2):
        put(i, 0, row.stt)
        put(i, 1, row.name, align=WD_ALIGN_PARAGRAPH.LEFT)
        put(i, 2, row.position, align=WD_ALIGN_PARAGRAPH.LEFT)
        for j, v in enumerate(row.cells):
            put(i, 3 + j, v)
        put(i, last, row.consequence)
    _set_widths(table, widths_mm)
    _cell_margins(table, 0.8)
    for row in table.rows[:2]:  # the header repeats on every page
        trpr = row._tr.get_or_add_trPr()
        trpr.append(trpr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"}))
    if m.invalid_note:
        para(m.invalid_note, italic=True, size=11, before=3)
    para(m.consequences_heading, bold=True, before=6)
    for c in m.consequences:
        para(c, indent=True)
    pic = para("", align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=0)
    pic.paragraph_format.keep_with_next = True
    pic.add_run().add_picture(io.BytesIO(chart_png(doc)), width=Mm(TEXT_WIDTH_MM))
    para(m.chart_caption, italic=True, size=11, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(m.reconciliation_heading, bold=True, before=6)
    for r_ in m.reconciliation:
        para(r_, indent=True)
    for c in m.closing:
        para(c, indent=True)
    for name, code in m.codes:
        line = para(name, bold=True, left=True, after=0)
        line.paragraph_format.keep_with_next = True
        for i, part in enumerate(code.split("\n")):
            run = para(left=True, after=3 if i == len(code.split("\n")) - 1 else 0).add_run(part)
            run.font.name = "Courier New"
            run.font.size = Pt(11)

    sig = d.add_table(rows=1, cols=2)
    sig.alignment = WD_TABLE_ALIGNMENT.CENTER
    _set_widths(sig, (TEXT_WIDTH_MM / 2, TEXT_WIDTH_MM / 2))
    lc, rc = sig.rows[0].cells
    para_ = lc.paragraphs[0]
    para_.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para_.paragraph_format.space_before = Pt(12)
    para_.add_run("CÁC THÀNH VIÊN").bold = True
    para("(Ký, ghi rõ họ tên)", italic=True, size=12, align=WD_ALIGN_PARAGRAPH.CENTER, container=lc)
    for member in m.members or ("." * 40,):
        para(member, bold=bool(m.members), align=WD_ALIGN_PARAGRAPH.CENTER, container=lc,
             before=56, after=0)
    para_ = rc.paragraphs[0]
    para_.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para_.paragraph_format.space_before = Pt(12)
    para_.add_run("TRƯỞNG BAN KIỂM PHIẾU").bold = True
    para("(Ký, ghi rõ họ tên)", italic=True, size=12, align=WD_ALIGN_PARAGRAPH.CENTER, container=rc)
    para(m.head or "." * 40, bold=bool(m.head), align=WD_ALIGN_PARAGRAPH.CENTER, container=rc,
         before=56, after=0)
    # keep each heading with what follows; mark the paragraphs Vietnamese
    for par in d.paragraphs:
        for run in par.runs:
            run_rpr = run._r.get_or_add_rPr()
            lang = run_rpr.makeelement(qn("w:lang"), {qn("w:val"): "vi-VN"})
            run_rpr.append(lang)
    _page_numbers(d)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _set_widths(table: Any, widths_mm: Any) -> None:
    """Fixed column widths that Word and LibreOffice both honour (grid and every cell)."""
    from docx.shared import Mm

    table.autofit = False
    for col, w in zip(table.columns, widths_mm, strict=True):
        col.width = Mm(w)
    for row in table.rows:
        for c, w in zip(row.cells, widths_mm, strict=True):
            c.width = Mm(w)


def _cell_margins(table: Any, mm: float) -> None:
    """Narrow left and right cell padding, so numbers and short headings fit their columns."""
    from docx.oxml.ns import qn

    tblpr = table._tbl.tblPr
    mar = tblpr.makeelement(qn("w:tblCellMar"), {})
    for side in ("left", "right"):
        mar.append(mar.makeelement(qn(f"w:{side}"), {qn("w:w"): str(round(mm * 56.7)),
                                                      qn("w:type"): "dxa"}))
    tblpr.append(mar)


def _page_numbers(d: Any) -> None:
    """A centred PAGE field in the header, hidden on page 1 (Nghị định 30)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    section = d.sections[0]
    section.different_first_page_header_footer = True
    par = section.header.paragraphs[0]
    par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = par.add_run()
    for tag, attrs in (("w:fldChar", {qn("w:fldCharType"): "begin"}),
                       ("w:instrText", {}),
                       ("w:fldChar", {qn("w:fldCharType"): "end"})):
        el = run._r.makeelement(qn(tag), attrs)
        if tag == "w:instrText":
            el.set(qn("xml:space"), "preserve")
            el.text = " PAGE "
        run._r.append(el)
