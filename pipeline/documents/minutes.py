"""The counting minutes (*biên bản kiểm phiếu*) as PDF and DOCX.

Both are made from the certified result (the package's ``tally.json``, see
`pipeline.documents.export`) through one `Form` (`minutes_form`), so the PDF
and the Word copy say the same thing. The parts, in the order of the form
Nghị định 30/2020/NĐ-CP gives a record (*biên bản*):

- the body and *BAN KIỂM PHIẾU* top-left with the number (Số …/BB-BKP), the
  national heading top-right with the place and the date;
- the title, the instrument cited, the time and place of the count;
- I. the committee with each member's role;
- II. the figures (ballots issued, collected, valid, whole ballots invalid),
  the base of every percentage, the per-person table (by khối when the
  campaign groups its people), the rows invalid for a person;
- III. the consequences in words; the chart;
- IV. the reconciliation of the committee's count with the scans;
- the closing sentence (when the minutes were finished, in how many copies),
  the digest of the count and the key's fingerprint in full, the signatures
  with roles, and Nơi nhận.

One date: the day the count was certified, in Vietnam time. The session's
date is named too only when it is another day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pipeline.documents.form import ChartBlock, Closing, Codes, Form, Grid, Heading, Signer, Text
from pipeline.documents.form_docx import form_docx
from pipeline.documents.form_pdf import form_pdf
from pipeline.documents.grouping import grouped_people
from pipeline.documents.typography import (
    NUMBER_BLANK,
    TABLE_PT,
    TEXT_WIDTH_MM,
    TIME_NOTE,
    date_words,
    is_national_assembly,
    nfc,
    place_from_body,
    short_date,
    split_body,
    string_width,
    time_words,
    two_digits,
    vietnam_time,
    vn_number,
)
from pipeline.domain.certificate import grouped
from pipeline.domain.rules import KIND_FOLLOW_UP, quorum_warning
from pipeline.domain.tally import result_levels
from pipeline.domain.wording import t

MINUTES_COPIES = 3
MINUTES_RECIPIENTS = ("- Chủ tọa kỳ họp (để công bố);", "- Thường trực {body} (để báo cáo);",
                      "- Lưu: hồ sơ kỳ họp.")
COMMITTEE_ROLE = {"Trưởng ban": "TRƯỞNG BAN KIỂM PHIẾU"}


def count_time(doc: dict[str, Any]) -> dt.datetime:
    """When the count was certified, in Vietnam time: the minutes' one date and hour."""
    return vietnam_time(dt.datetime.fromisoformat(doc["certification"]["at"]))


def place_of(doc: dict[str, Any]) -> str | None:
    info = doc["campaign_info"]
    return info.get("place") or place_from_body(split_body(info["body"])[0])


def place_date(doc: dict[str, Any], day: dt.date) -> str:
    place = place_of(doc)
    return f"{place}, {date_words(day)}" if place else date_words(day).capitalize()


def convened_label(rules: str) -> str:
    return "Số người được triệu tập" if rules == "qd96-2023" else "Tổng số đại biểu"


def ballot_figures(doc: dict[str, Any]) -> dict[str, int | None]:
    """Ballots issued, collected, valid and invalid as whole ballots (declared by the chair)."""
    b = doc["ballots"]
    whole = int(b.get("invalid_ballots") or 0)
    return {"issued": b.get("issued"), "collected": b["collected"],
            "valid": b["collected"] - whole, "invalid": whole}


def what_is_counted(doc: dict[str, Any]) -> str:
    """"lấy phiếu tín nhiệm" (the poll) or "bỏ phiếu tín nhiệm" (the follow-up vote)."""
    return "bỏ phiếu tín nhiệm" if doc.get("kind") == KIND_FOLLOW_UP else "lấy phiếu tín nhiệm"


def results_grid(doc: dict[str, Any], *, text_width_mm: float = TEXT_WIDTH_MM) -> Grid:
    """One row a person (by khối when grouped): the count and percentage of each level
    (three for the poll, two for the follow-up vote) and the consequence in words. The
    name column is as wide as the longest name needs (up to 40 mm), so names do not
    wrap; the position takes what is left."""
    levels = result_levels(doc)
    n = len(levels)
    consequence_w = 18 + 14 * (3 - n)  # two levels leave room for the consequence's words
    fixed = 8 + n * (9.5 + 11) + consequence_w
    longest = max((string_width(nfc(c["name"]), TABLE_PT) for c in doc["candidates"]), default=0)
    name_w = min(max(longest / (72 / 25.4) + 5, 26), 40)
    widths = (8, name_w, text_width_mm - fixed - name_w, *(9.5, 11) * n, consequence_w)
    last = 3 + 2 * n
    head1 = (t("stt"), t("name"), t("position"), *(x for lv in levels for x in (t(lv), "")),
             t("consequence"))
    head2 = ("", "", "", *(t("ballots_count"), "%") * n, "")
    spans = (((0, 0), (0, 1)), ((1, 0), (1, 1)), ((2, 0), (2, 1)),
             *(((3 + 2 * k, 0), (4 + 2 * k, 0)) for k in range(n)), ((last, 0), (last, 1)))
    rows: list[tuple[str, ...]] = []
    bands = set()
    for group in grouped_people(doc):
        if group.label:
            bands.add(len(rows))
            rows.append((group.label,) + ("",) * last)
        for c in group.people:
            cells = [x for lv in levels for x in (vn_number(c["counts"][lv]),
                                                   vn_number(c["percent"][lv]))]
            rows.append((str(c["candidate"]), c["name"], c["position"], *cells,
                         t(c["consequence"]) if c["consequence"] else "–"))
    return Grid(header=(head1, head2), rows=tuple(rows), widths_mm=widths,
                align="CLL" + "C" * (2 * n + 1), spans=spans, bands=frozenset(bands),
                size=TABLE_PT)


def _opening(doc: dict[str, Any], at: dt.datetime) -> list[Text]:
    info = doc["campaign_info"]
    body_name, _ = split_body(info["body"])
    session = dt.date.fromisoformat(info["session_date"])
    where = info.get("venue") or place_of(doc) or body_name
    started = at
    declared_at = (doc.get("declared") or {}).get("at")
    if declared_at:
        started = min(at, vietnam_time(dt.datetime.fromisoformat(declared_at)))
    session_note = "" if session == at.date() else f" (kỳ họp ngày {short_date(session)})"
    return [
        Text(f"Căn cứ {info['rules_document']};", "ground"),
        Text(f"Hôm nay, vào hồi {started:%H} giờ {started:%M} phút, {date_words(started.date())} "
             f"({TIME_NOTE}), tại {where}{session_note}, Ban kiểm phiếu {info['body']} tiến hành "
             f"kiểm phiếu {what_is_counted(doc)} đối với {len(doc['candidates'])} người có tên "
             "trong danh sách."),
    ]


def _committee(doc: dict[str, Any]) -> list[Text]:
    decl = doc.get("declared") or {}
    lines = []
    if decl.get("head"):
        lines.append(f"{decl['head']} – Trưởng ban")
    lines += [f"{m['name']} – {m['role']}" for m in decl.get("members") or []]
    if not lines:
        return [Text("(Ban kiểm phiếu chưa khai báo thành viên.)", "item")]
    return [Text(f"{i}. {line}", "item") for i, line in enumerate(lines, start=1)]


def _figures(doc: dict[str, Any]) -> list[Any]:
    info = doc["campaign_info"]
    f = ballot_figures(doc)
    invalid = f"Số phiếu không hợp lệ (cả tờ phiếu): {vn_number(f['invalid'])} phiếu"
    if f["invalid"]:
        why = doc.get("invalid_ballot_reasons") or []
        invalid += (", do Trưởng ban kết luận cả tờ phiếu không hợp lệ"
                    + (f" ({'; '.join(why)})" if why else "")
                    + "; mọi dòng trên các phiếu này không hợp lệ đối với từng người")
    lines = (f"{convened_label(info['rules'])}: {vn_number(doc['electorate'])} người.",
             f"Số phiếu phát ra: {vn_number(f['issued'])} phiếu.",
             f"Số phiếu thu về: {vn_number(f['collected'])} phiếu.",
             f"Số phiếu hợp lệ: {vn_number(f['valid'])} phiếu.",
             invalid + ".")
    out: list[Any] = [Text(f"{i}. {x}", "item") for i, x in enumerate(lines, start=1)]
    out.append(Text(
        f"Tỷ lệ phần trăm được tính trên {info['base_label']} ({vn_number(doc['base'])}) theo "
        f"{info['base_article']}. Phiếu không đánh dấu hoặc đánh dấu từ hai ô trở lên đối với một "
        "người thì không hợp lệ đối với người đó; phiếu vẫn được tính trong tổng số."))
    forms = doc.get("forms") or []
    if len(forms) > 1:  # each form a ballot of its own, with its own base
        out.append(Text(
            "Mỗi mẫu phiếu được kiểm như một phiếu riêng; tỷ lệ của mỗi người tính trên số phiếu "
            "thu về của mẫu phiếu có tên người đó: " + "; ".join(
                f"{f.get('title') or f.get('id')}"
                + (f" ({f['paper'].lower()})" if f.get("paper") else "")
                + f": phát ra {vn_number(f.get('issued'))}, thu về {vn_number(f.get('collected'))}"
                for f in forms) + "."))
    stored = (doc.get("reconciliation") or {}).get("quorum_warning")
    if stored:  # worded again for the rule set: QĐ 96's quorum is not a council's
        words = quorum_warning(doc["ballots"]["collected"], doc["electorate"], info["rules"])
        out.append(Text(f"Lưu ý: {words or stored}", "strong"))
    out.append(Text(f"Kết quả {what_is_counted(doc)} đối với từng người (số phiếu và tỷ lệ % "
                    f"trên {info['base_label']}):", "body"))
    out.append(results_grid(doc))
    invalid_people = [f"{c['name']}: {vn_number(c['counts']['invalid'])}"
                      for c in doc["candidates"] if c["counts"].get("invalid")]
    if invalid_people:
        out.append(Text("Số phiếu không hợp lệ đối với từng người: " + "; ".join(invalid_people)
                        + ".", "note"))
    return out


def _consequences(doc: dict[str, Any]) -> list[Any]:
    info = doc["campaign_info"]
    adverse = result_levels(doc)[-1]
    out: list[Any] = []
    for c in doc["candidates"]:
        if c["consequence"]:
            out.append(Text(
                f"{c['name']}, {c['position']}: {vn_number(c['counts'][adverse])} phiếu "
                f"{t(adverse).lower()} trên {info['base_label']} "
                f"{vn_number(c.get('base', doc['base']))} ({vn_number(c['percent'][adverse])} %). "
                f"{c['consequence_text']}"))
    if not out and doc.get("kind") == KIND_FOLLOW_UP:
        out.append(Text(f"Không có người nào có quá nửa {info['base_label']} bỏ phiếu không tín "
                        "nhiệm."))
    elif not out:
        out.append(Text(f"Không có người nào có trên 1/2 {info['base_label']} đánh giá tín nhiệm "
                        "thấp."))
    lines = "1/2 của tổng số" if doc.get("kind") == KIND_FOLLOW_UP else "1/2 và 2/3 của tổng số"
    out.append(ChartBlock(doc, f"Biểu đồ: tỷ lệ các mức trên {info['base_label']}; "
                               f"vạch đứt: {lines}."))
    return out


def _reconciliation(doc: dict[str, Any]) -> list[Text]:
    recon = doc["reconciliation"]
    ballots = doc["ballots"]
    pages = recon["pages_accepted"]
    if len(pages) == 1:
        scanned = f"Số phiếu được quét và chấp nhận: {vn_number(next(iter(pages.values())))}."
    else:
        scanned = "Số bản được quét và chấp nhận theo từng trang của phiếu: " + "; ".join(
            f"trang {p}: {vn_number(k)}" for p, k in pages.items()) + "."
    out = [Text(f"Số phiếu thu về do Ban kiểm phiếu đếm: {vn_number(recon['collected'])}. {scanned}")]
    if recon["matches"]:
        out.append(Text("Kết quả đối chiếu: khớp."))
    else:
        if not recon["note"]:
            raise ValueError("a mismatch without the committee's note cannot be certified")
        out.append(Text("Kết quả đối chiếu: không khớp. " + " ".join(m["vi"] for m in recon["mismatches"])))
        out.append(Text(f"Giải trình của Ban kiểm phiếu: {recon['note']}"))
    other = []
    if ballots.get("rejected"):
        other.append(f"{vn_number(ballots['rejected'])} trang bị loại (không phải phiếu do Ban "
                     "kiểm phiếu phát ra hoặc không đọc được)")
    if ballots.get("duplicate"):
        other.append(f"{vn_number(ballots['duplicate'])} lần quét trùng (không tính lại)")
    if ballots.get("blank_pages"):
        other.append(f"{vn_number(ballots['blank_pages'])} trang trắng")
    if ballots.get("withdrawn"):
        other.append(f"{vn_number(ballots['withdrawn'])} trang Trưởng ban loại khỏi số phiếu")
    if other:
        out.append(Text("Khi quét còn ghi nhận: " + "; ".join(other) + "."))
    return out


def _closing(doc: dict[str, Any], at: dt.datetime) -> tuple[list[Any], Closing]:
    cert = doc["certification"]
    number = cert.get("number") or 1
    info = doc["campaign_info"]
    body_name, _ = split_body(info["body"])
    texts: list[Any] = [Text(
        f"Kết quả được kiểm bằng phần mềm {cert['software']}. Toàn bộ "
        f"{vn_number(len(doc['pages']))} trang đã quét, số liệu kiểm phiếu và nhật ký các quyết "
        "định được lưu trong gói dữ liệu có chữ ký điện tử. Mã xác nhận kết quả (SHA-256) dưới "
        "đây xác định toàn bộ số liệu đã xác nhận; mã khóa kiểm chứng xác định khóa ký gói dữ liệu.")]
    codes = [("Mã xác nhận kết quả:", grouped(cert.get("digest") or "", 8)),
             ("Mã khóa kiểm chứng:", grouped(doc["key_sha256"], 8))]
    if cert.get("previous"):
        codes.append((f"Mã xác nhận lần thứ {number - 1}:", grouped(cert["previous"], 8)))
    if number > 1:
        texts.append(Text(f"Kết quả kiểm phiếu đã được xác nhận lại: đây là lần xác nhận thứ "
                          f"{number}; mã xác nhận của lần trước được ghi dưới đây."))
    last = Text(f"Biên bản lập xong lúc {time_words(at)} ({TIME_NOTE}), thành "
                f"{two_digits(MINUTES_COPIES)} bản có giá trị như nhau; các thành viên Ban kiểm "
                "phiếu đã đọc lại, thống nhất và cùng ký tên dưới đây./.")
    decl = doc.get("declared") or {}
    members = [Signer((m["role"].upper(),), m["name"]) for m in decl.get("members") or []]
    # the secretary beside the head on the first row, then the members two by two
    members.sort(key=lambda s: s.authority[0] != "THƯ KÝ")
    first = members.pop(0) if members else Signer(("THƯ KÝ",), None)
    signers = [first, Signer(("TRƯỞNG BAN KIỂM PHIẾU",), decl.get("head")), *members]
    recipients = tuple(x.format(body=body_name) for x in MINUTES_RECIPIENTS)
    if is_national_assembly(body_name):  # the Assembly's standing body is its Standing Committee
        recipients = tuple(x.replace(f"Thường trực {body_name}", "Ủy ban Thường vụ Quốc hội")
                           for x in recipients)
    return texts, Closing(tuple(signers), recipients, keep_with=(Codes(tuple(codes)), last))


def minutes_form(doc: dict[str, Any]) -> Form:
    """Every part of the minutes, from the certified result ``doc`` (tally.json)."""
    info = doc["campaign_info"]
    at = count_time(doc)
    body_name, _ = split_body(info["body"])
    subtitle = f"Kết quả {what_is_counted(doc)}"
    if info.get("subtitle"):
        subtitle += " " + info["subtitle"][:1].lower() + info["subtitle"][1:]
    closing_texts, closing = _closing(doc, at)
    blocks: list[Any] = [
        Text("BIÊN BẢN KIỂM PHIẾU", "title"), Text(subtitle, "subtitle"), Text("", "rule"),
        *_opening(doc, at),
        Text("I. THÀNH PHẦN BAN KIỂM PHIẾU", "section"), *_committee(doc),
        Text("II. KẾT QUẢ KIỂM PHIẾU", "section"), *_figures(doc),
        Text("III. HỆ QUẢ THEO QUY ĐỊNH", "section"), *_consequences(doc),
        Text("IV. ĐỐI CHIẾU SỐ PHIẾU", "section"), *_reconciliation(doc),
        *closing_texts,
    ]
    return Form(
        title=nfc(f"Biên bản kiểm phiếu - {info['title']} - {info['body']}"),
        heading=Heading(parent=body_name.upper(), issuer="BAN KIỂM PHIẾU",
                        number=f"Số:{NUMBER_BLANK}/BB-BKP", place_date=place_date(doc, at.date())),
        blocks=tuple(blocks), closing=closing, author="Ban kiểm phiếu",
        created=at.astimezone(dt.UTC).replace(tzinfo=None),
        subject=f"Kết quả lấy phiếu tín nhiệm - {info['body']}",
        keywords=("biên bản kiểm phiếu", "lấy phiếu tín nhiệm"))


def minutes_pdf(doc: dict[str, Any]) -> bytes:
    """The minutes as PDF bytes (deterministic for the same ``doc``)."""
    return form_pdf(minutes_form(doc))


def minutes_docx(doc: dict[str, Any]) -> bytes:
    """The minutes as a Word document (Times New Roman, tagged Vietnamese)."""
    return form_docx(minutes_form(doc))
