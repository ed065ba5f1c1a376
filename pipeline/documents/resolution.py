"""The document that follows the count: a council's draft resolution, or a report.

For a council's campaign (``nq96-2023``, ``nq85-2014``) the package holds the
draft resolution confirming the results (*dự thảo nghị quyết xác nhận kết quả
lấy phiếu tín nhiệm*), which the council adopts at the same sitting right
after the announcement. It follows the published examples (Thanh Hóa, 12/2023;
Tuyên Quang NQ 35/NQ-HĐND):

- Căn cứ the Law on the Organisation of Local Government, the rule set's
  resolution and "Biên bản kiểm phiếu ngày …";
- Điều 1: the poll was held properly for N people;
- Điều 2: each person's result, grouped by khối, as "Số phiếu tín nhiệm cao:
  78 phiếu (chiếm 97,50 % tổng số phiếu thu về)";
- Điều 3: carrying it out; then Nơi nhận and the chairman's signature.

When the issuing body is the National Assembly (the ``body`` starts with
"Quốc hội") the resolution is worded as the Assembly's own: "Nghị quyết số:
…/YYYY/QHnn", Căn cứ the Constitution, the Law on the Organisation of the
National Assembly, the rule set's resolution and the minutes, then "Quốc hội
ban hành Nghị quyết xác nhận kết quả lấy phiếu tín nhiệm đối với người giữ
chức vụ do Quốc hội bầu hoặc phê chuẩn." in place of the council's proposal
and "QUYẾT NGHỊ:"; the closing sentence "Nghị quyết này được Quốc hội … thông
qua ngày …" and the signature "CHỦ TỊCH QUỐC HỘI".

For a Party campaign (``qd96-2023``) the package holds instead the report of
the results to the standing committee of the Party committee (seed 000: the
People's Committee reports to the Ban Thường vụ Huyện ủy). When the issuing
body is itself a Party body the report carries "ĐẢNG CỘNG SẢN VIỆT NAM" and
the layout of Hướng dẫn 36-HD/VPTW; otherwise the Nghị định 30 form.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pipeline.documents.form import (
    Closing,
    Form,
    Heading,
    Signer,
    Text,
    initials,
    party_initials,
)
from pipeline.documents.form_docx import form_docx
from pipeline.documents.form_pdf import form_pdf
from pipeline.documents.grouping import grouped_people
from pipeline.documents.minutes import (
    ballot_figures,
    convened_label,
    count_time,
    place_date,
    results_grid,
    what_is_counted,
)
from pipeline.documents.typography import (
    LEVEL_COMMITTEE,
    NUMBER_BLANK,
    PLACE_COMMITTEES,
    UNIT_KINDS,
    date_words,
    is_national_assembly,
    is_party_body,
    nfc,
    party_authority,
    party_committee,
    party_key,
    split_body,
    vn_number,
)
from pipeline.domain.tally import result_levels
from pipeline.domain.wording import t

RESOLUTION_DOCX = "du-thao-nghi-quyet.docx"
RESOLUTION_PDF = "du-thao-nghi-quyet.pdf"
REPORT_DOCX = "bao-cao-ket-qua.docx"
REPORT_PDF = "bao-cao-ket-qua.pdf"
COUNCIL_RULES = ("nq96-2023", "nq85-2014")
PARTY_RULES = ("qd96-2023",)
LOCAL_GOVERNMENT_LAW = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, bổ sung "
    "một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương ngày 22 tháng "
    "11 năm 2019;")
ASSEMBLY_LAW = (
    "Căn cứ Luật Tổ chức Quốc hội số 57/2014/QH13 đã được sửa đổi, bổ sung một số điều theo "
    "Luật số 65/2020/QH14;")
#: whom a report goes to when nothing names it: a state body's Party committee of its
#: level, or the committee above a Party body
SAME_LEVEL_COMMITTEE = "Ban Thường vụ cấp ủy cùng cấp"
HIGHER_COMMITTEE = "Ban Thường vụ cấp ủy cấp trên"


def follow_up_files(rules: str) -> tuple[str, str]:
    """The (DOCX, PDF) names of the document that follows the count under ``rules``."""
    return (REPORT_DOCX, REPORT_PDF) if rules in PARTY_RULES else (RESOLUTION_DOCX, RESOLUTION_PDF)


def _unit(body_name: str) -> tuple[str, str, str]:
    """'Hội đồng nhân dân huyện Ninh Sơn' -> ('Hội đồng nhân dân', 'huyện', 'Ninh Sơn').
    A level's word that names a Party committee ("Huyện ủy Ninh Sơn") is not a place."""
    low = party_key(body_name)  # as long as the name: "uỷ" and "ủy" are two characters each
    body_name = " ".join(nfc(body_name).split())
    for kind in UNIT_KINDS:
        i = low.rfind(f" {kind} ")
        while i >= 0 and low.startswith("ủy", i + len(kind) + 2):  # "Huyện ủy": a committee
            i = low.rfind(f" {kind} ", 0, i)
        if i >= 0:
            return body_name[:i].strip(), kind, body_name[i + len(kind) + 2:].strip()
    return body_name, "", ""


def person_lines(doc: dict[str, Any], c: dict[str, Any]) -> list[Text]:
    """One person's result as the published resolutions word it."""
    base_label = doc["campaign_info"]["base_label"]
    out = [Text(f"- Số phiếu {t(lv).lower()}: {vn_number(c['counts'][lv])} phiếu (chiếm "
                f"{vn_number(c['percent'][lv])} % {base_label});", "item")
           for lv in result_levels(doc)]
    if c["counts"].get("invalid"):
        out.append(Text(f"- Số phiếu không hợp lệ đối với người này: "
                        f"{vn_number(c['counts']['invalid'])} phiếu;", "item"))
    if c["consequence"]:
        out.append(Text(f"- {c['consequence_text']}", "item"))
    last = out[-1]
    out[-1] = Text(last.text.rstrip(";") + ("" if last.text.endswith(".") else "."), "item")
    return out


def _results_by_group(doc: dict[str, Any]) -> list[Text]:
    out: list[Text] = []
    n = 0
    for group in grouped_people(doc):
        if group.label:
            out.append(Text(group.label, "section"))
        for c in group.people:
            n += 1
            out.append(Text(f"{n}. {c['name']}, {c['position']}:", "strong"))
            out += person_lines(doc, c)
    return out


def _term_number(term: str | None) -> int | None:
    """'Khóa XV, Kỳ họp thứ sáu' -> 15 (the term, for a National Assembly number "/QH15")."""
    m = re.search(r"khóa\s+([IVXLC]+)\b", nfc(term or ""), flags=re.IGNORECASE)
    if not m:
        return None
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    digits = [values[ch] for ch in m.group(1).upper()]
    return sum(-d if i + 1 < len(digits) and d < digits[i + 1] else d
               for i, d in enumerate(digits))


def _per_form(doc: dict[str, Any]) -> str:
    """Each ballot form's figures when there are several (each form is a ballot of its own,
    with its own ballots collected), as the minutes give them; "" for one form."""
    forms = doc.get("forms") or []
    if len(forms) < 2:
        return ""
    return " (" + "; ".join(
        f"{f.get('title') or f.get('id')}: phát ra {vn_number(f.get('issued'))}, thu về "
        f"{vn_number(f.get('collected'))}" for f in forms) + ")"


def _assembly_parts(doc: dict[str, Any], term: str | None, scope: str, at: dt.datetime
                    ) -> dict[str, Any]:
    """What differs in a National Assembly resolution: its grounds (the Constitution, the
    Law on the Organisation of the National Assembly, the rule set's resolution, the
    minutes), "Quốc hội ban hành Nghị quyết ..." instead of "QUYẾT NGHỊ:", its number
    "Nghị quyết số: …/YYYY/QHnn", the closing sentence and the Chairman's signature."""
    info = doc["campaign_info"]
    what = what_is_counted(doc)
    n = _term_number(term)
    session = (" " + re.sub(r"(^|, )(Khóa|Kỳ họp)", lambda m: m.group(1) + m.group(2).lower(),
                            nfc(term))) if term else ""
    return {
        "number": f"Nghị quyết số:{NUMBER_BLANK}/{at.year}/QH{n}" if n else
        f"Nghị quyết số:{NUMBER_BLANK}/{at.year}/QH",
        "body_lines": [],
        "grounds": [
            Text("Căn cứ Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam;", "ground"),
            Text(ASSEMBLY_LAW, "ground"),
            Text(f"Căn cứ {info['rules_document']};", "ground"),
            Text(f"Căn cứ Biên bản kiểm phiếu {what} {date_words(at.date())} của Ban kiểm phiếu;",
                 "ground"),
            Text(f"Quốc hội ban hành Nghị quyết xác nhận kết quả {what} {scope}.", "ground"),
        ],
        "article3": (f"Nghị quyết này có hiệu lực thi hành kể từ ngày thông qua. Kết quả {what} "
                     "được công bố công khai theo quy định."),
        "passed": Text(f"Nghị quyết này được Quốc hội nước Cộng hòa xã hội chủ nghĩa Việt Nam"
                       f"{session} thông qua {date_words(at.date())}./.", "ground"),
        "recipients": ("- Ủy ban Thường vụ Quốc hội;", "- Các vị đại biểu Quốc hội;",
                       f"- Người được {what};", "- Văn phòng Quốc hội;", "- Lưu: VT."),
        "signer": Signer(("CHỦ TỊCH QUỐC HỘI",), None, hint=""),
    }


def _council_parts(doc: dict[str, Any], body_name: str, term: str | None, at: dt.datetime
                   ) -> dict[str, Any]:
    """What a council's resolution says that the National Assembly's does not (see
    `_assembly_parts`): the Law on the Organisation of Local Government, the standing
    committee's proposal, "QUYẾT NGHỊ:", "Số: …/NQ-HĐND" and the council's bodies."""
    info = doc["campaign_info"]
    kind, unit_kind, unit_name = _unit(body_name)
    unit = f"{unit_kind} {unit_name}".strip()
    what = what_is_counted(doc)
    return {
        "number": f"Số:{NUMBER_BLANK}/NQ-HĐND",
        "body_lines": [Text(body_name.upper(), "subtitle"),
                       *([Text(term.upper(), "subtitle")] if term else []), Text("", "rule")],
        "grounds": [
            Text(LOCAL_GOVERNMENT_LAW, "ground"),
            Text(f"Căn cứ {info['rules_document']};", "ground"),
            Text(f"Căn cứ Biên bản kiểm phiếu {date_words(at.date())} của Ban kiểm phiếu;",
                 "ground"),
            Text(" ".join(f"Xét đề nghị của Thường trực {kind} {unit}".split()) + ".", "ground"),
            Text("QUYẾT NGHỊ:", "title"),
        ],
        "article3": (
            f"Thường trực {kind}, Ủy ban nhân dân, các Ban của {kind}, các Tổ đại biểu và "
            f"đại biểu {kind} {unit} theo chức năng, nhiệm vụ, quyền hạn tổ chức thực hiện và "
            f"công bố công khai kết quả {what} theo quy định. Nghị quyết này được "
            f"{body_name}{(' ' + term[:1].lower() + term[1:]) if term else ''} thông qua tại kỳ "
            f"họp {date_words(at.date())} và có hiệu lực từ ngày thông qua./."),
        "passed": None,
        "recipients": ("- Thường trực Hội đồng nhân dân cấp trên (để báo cáo);",
                       "- Ban Thường vụ cấp ủy cùng cấp;",
                       f"- Thường trực {kind}, Ủy ban nhân dân {unit};",
                       f"- Đại biểu {kind} {unit};", f"- Người được {what};", "- Lưu: VT."),
        "signer": Signer(("CHỦ TỊCH",), None, hint=""),
    }


def resolution_form(doc: dict[str, Any]) -> Form:
    """The draft resolution confirming the results (``nq96-2023``, ``nq85-2014``), worded
    for its issuing body: the National Assembly's (`_assembly_parts`) or a council's."""
    info = doc["campaign_info"]
    body_name, term = split_body(info["body"])
    at = count_time(doc)
    assembly = is_national_assembly(body_name)
    scope = nfc(info.get("subtitle") or (
        "đối với người giữ chức vụ do Quốc hội bầu hoặc phê chuẩn" if assembly
        else f"đối với người giữ chức vụ do {body_name} bầu"))
    parts = (_assembly_parts(doc, term, scope, at) if assembly
             else _council_parts(doc, body_name, term, at))
    f = ballot_figures(doc)
    n = len(doc["candidates"])
    elected = "do Quốc hội bầu hoặc phê chuẩn" if assembly else f"do {body_name} bầu"
    blocks: list[Any] = [
        Text("NGHỊ QUYẾT", "title"),
        Text(f"Xác nhận kết quả {what_is_counted(doc)} {scope}", "subtitle"),
        Text("", "rule"),
        *parts["body_lines"],
        *parts["grounds"],
        Text(f"Xác nhận việc {what_is_counted(doc)} đối với {n} người giữ chức vụ {elected} đã "
             f"được tiến hành đúng trình tự, thủ tục theo {info['rules_title']}: số phiếu "
             f"phát ra {vn_number(f['issued'])}, số phiếu thu về {vn_number(f['collected'])}, số "
             f"phiếu hợp lệ {vn_number(f['valid'])}{_per_form(doc)}.", "article", lead="Điều 1."),
        Text(f"Kết quả {what_is_counted(doc)} đối với từng người như sau:", "article",
             lead="Điều 2."),
        *_results_by_group(doc),
        Text(parts["article3"], "article", lead="Điều 3."),
        *([parts["passed"]] if parts["passed"] else []),
    ]
    return Form(
        title=nfc(f"Dự thảo Nghị quyết xác nhận kết quả {what_is_counted(doc)} - {info['body']}"),
        heading=Heading(parent=None, issuer=body_name.upper(), number=parts["number"],
                        place_date=place_date(doc, at.date()), draft=True),
        blocks=tuple(blocks),
        closing=Closing((parts["signer"],), parts["recipients"]),
        author=body_name, created=at.astimezone(dt.UTC).replace(tzinfo=None),
        subject=f"Dự thảo Nghị quyết xác nhận kết quả {what_is_counted(doc)}",
        keywords=("nghị quyết", what_is_counted(doc)))


def _unit_committee(body_name: str) -> str | None:
    """The Party committee of the place a body's name ends with: 'Ủy ban nhân dân huyện
    Ninh Sơn' -> 'Huyện ủy Ninh Sơn', 'Đảng ủy Sở Nội vụ thành phố Hà Nội' -> 'Thành ủy Hà
    Nội'), or the committee a board of it names ('Ban Tổ chức Tỉnh ủy Ninh Thuận' -> 'Tỉnh
    ủy Ninh Thuận'); None when the name names neither."""
    _, unit_kind, unit_name = _unit(body_name)
    committee = LEVEL_COMMITTEE.get(unit_kind)
    if committee and unit_name:
        return f"{committee} {unit_name}"
    words = " ".join(nfc(body_name).split()).split()
    for i in range(1, len(words)):  # a committee's board: 'Ban Tổ chức Tỉnh ủy Ninh Thuận'
        rest = " ".join(words[i:])
        if party_key(rest).startswith(tuple(c + " " for c, _ in PLACE_COMMITTEES)):
            return rest
    return None


def report_addressee(body_name: str, parent_body: str | None = None) -> str:
    """Whom the report goes to (Kính gửi), when the campaign file does not say
    (``report_to:``).

    A state body reports to the standing committee of its place's Party committee (seed
    000: the People's Committee of huyện Ninh Sơn to the Ban Thường vụ Huyện ủy Ninh Sơn).
    A Party body reports up: to the standing committee of the committee its
    ``parent_body`` names ('Đảng bộ tỉnh Ninh Thuận' -> 'Ban Thường vụ Tỉnh ủy Ninh
    Thuận'), else of its place's committee when that is not itself ('Đảng ủy Sở Nội vụ
    thành phố Hà Nội' -> 'Ban Thường vụ Thành ủy Hà Nội'); a committee that leads its place
    ('Ban Thường vụ Huyện ủy Ninh Sơn', 'Đảng ủy xã Phước Hà') with no ``parent_body`` says
    'Ban Thường vụ cấp ủy cấp trên', never itself."""
    unit = _unit_committee(body_name)
    if not is_party_body(body_name):
        return f"Ban Thường vụ {unit}" if unit else SAME_LEVEL_COMMITTEE
    own = party_committee(body_name)
    above = party_committee(parent_body) if parent_body else None
    for committee in (above, unit):
        if committee and (own is None or party_key(committee) != party_key(own)):
            return f"Ban Thường vụ {committee}"
    return HIGHER_COMMITTEE


def _report_heading(doc: dict[str, Any], body_name: str, party: bool, day: dt.date) -> Heading:
    info = doc["campaign_info"]
    parent = info.get("parent_body")
    if party:
        letters = party_initials(body_name)
        return Heading(parent=parent.upper() if parent else None, issuer=body_name.upper(),
                       number=f"Số{NUMBER_BLANK}-BC/{letters}", place_date=place_date(doc, day), party=True)
    kind, _, _ = _unit(body_name)
    letters = initials(kind.split())
    return Heading(parent=parent.upper() if parent else None, issuer=body_name.upper(),
                   number=f"Số:{NUMBER_BLANK}/BC-{letters}", place_date=place_date(doc, day))


def report_form(doc: dict[str, Any]) -> Form:
    """The report of the results to the standing committee (``qd96-2023``)."""
    info = doc["campaign_info"]
    body_name, _ = split_body(info["body"])
    party = is_party_body(body_name)
    at = count_time(doc)
    kind, _, _ = _unit(body_name)
    to = info.get("report_to") or report_addressee(body_name, info.get("parent_body"))
    f = ballot_figures(doc)
    comrades = [c for c in doc["candidates"] if c["consequence"]]
    proposals = [Text(f"Đồng chí {c['name']}, {c['position']}: {vn_number(c['counts']['low'])} "
                      f"phiếu tín nhiệm thấp ({vn_number(c['percent']['low'])} % "
                      f"{info['base_label']}). {c['consequence_text']} Đề nghị cấp có thẩm "
                      "quyền xem xét theo quy định.") for c in comrades]
    if not proposals:
        proposals = [Text("Không có đồng chí nào có trên 50 % số phiếu tín nhiệm thấp.")]
    blocks: list[Any] = [
        Text("BÁO CÁO", "title"),
        Text("Kết quả lấy phiếu tín nhiệm đối với chức vụ lãnh đạo, quản lý", "subtitle"),
        Text("", "rule"),
        Text(f"Kính gửi: {to}.", "center"),
        Text(f"Thực hiện {info['rules_document']}, "
             f"{date_words(dt.date.fromisoformat(info['session_date']))}, "
             f"{body_name} đã tổ chức lấy phiếu tín nhiệm đối với {len(doc['candidates'])} đồng chí. "
             f"Kết quả cụ thể như sau:"),
        Text("I. TÌNH HÌNH TỔ CHỨC LẤY PHIẾU", "section"),
        Text(f"- {convened_label(info['rules'])}: {vn_number(doc['electorate'])} người; số phiếu "
             f"phát ra: {vn_number(f['issued'])}; số phiếu thu về: {vn_number(f['collected'])}; "
             f"số phiếu hợp lệ: {vn_number(f['valid'])}; số phiếu không hợp lệ: "
             f"{vn_number(f['invalid'])}.", "item"),
        Text(f"- Tỷ lệ phần trăm tính trên {info['base_label']} theo {info['base_article']}.",
             "item"),
        Text("II. KẾT QUẢ LẤY PHIẾU TÍN NHIỆM", "section"),
        results_grid(doc),
        Text("III. ĐỀ XUẤT, KIẾN NGHỊ", "section"),
        *proposals,
        Text(f"Trên đây là báo cáo kết quả lấy phiếu tín nhiệm của {body_name}, kính báo cáo "
             f"{to} xem xét./."),
    ]
    if party:
        authority = (party_authority(body_name), "BÍ THƯ")
    else:
        authority = (f"TM. {kind.upper()}", "CHỦ TỊCH")
    return Form(
        title=nfc(f"Báo cáo kết quả lấy phiếu tín nhiệm - {info['body']}"),
        heading=_report_heading(doc, body_name, party, at.date()),
        blocks=tuple(blocks),
        closing=Closing((Signer(authority, None, hint=""),), ("- Như trên;", "- Lưu: VT.")),
        author=body_name, created=at.astimezone(dt.UTC).replace(tzinfo=None),
        subject="Báo cáo kết quả lấy phiếu tín nhiệm",
        keywords=("báo cáo", "lấy phiếu tín nhiệm"))


def follow_up_form(doc: dict[str, Any]) -> Form:
    """The resolution for a council's campaign, the report for a Party campaign."""
    if doc["campaign_info"]["rules"] in PARTY_RULES:
        return report_form(doc)
    return resolution_form(doc)


def follow_up_documents(doc: dict[str, Any]) -> dict[str, bytes]:
    """{file name: bytes} of the follow-up document in DOCX and PDF."""
    form = follow_up_form(doc)
    docx_name, pdf_name = follow_up_files(doc["campaign_info"]["rules"])
    return {docx_name: form_docx(form), pdf_name: form_pdf(form)}
