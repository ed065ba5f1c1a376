"""The roll-up's report (``tong-hop.pdf``, A4 landscape) and workbook (``tong-hop.xlsx``).

The report is a `Form` (`pipeline.documents.form_pdf`), in the order a
Department of Home Affairs reads it:

- the heading: the parent body and the office top-left, with "Số …/BC";
  the national heading, place and date top-right; "Kính gửi" when given;
- a warning when the units polled under different rule sets or in different
  years (their percentages are not of the same base);
- I. every person who crossed one half or two thirds of "tín nhiệm thấp",
  and every person of a follow-up vote (*bỏ phiếu tín nhiệm*) with over half
  of all delegates voting "không tín nhiệm", each with the unit (by its
  number) and the consequence in words: the first page answers "who, where";
- II. the units, numbered once, with their figures and key fingerprints;
- III. the polls' results unit by unit ("Đơn vị số N"), within a unit by
  group (khối) in the group's order; a person polled in another unit too is
  told its number; with ``--previous`` the result of the last round beside;
- IV. the follow-up votes' results, two levels, in a table of their own;
- the signer and Nơi nhận.

Every table is inside the margins (257 mm of text on a landscape page).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from pipeline.documents.cells import xlsx_cell
from pipeline.documents.form import Closing, Form, Grid, Heading, Signer, Text, body_initials
from pipeline.documents.form_pdf import form_pdf
from pipeline.documents.grouping import grouped_people, roman
from pipeline.documents.spreadsheets import BOX, NORMAL, header_cells, print_setup
from pipeline.documents.typography import (
    NUMBER_BLANK,
    date_words,
    nfc,
    short_date,
    vietnam_time,
    vn_number,
)
from pipeline.domain.certificate import grouped
from pipeline.domain.rules import FOLLOW_UP_LEVELS, KIND_FOLLOW_UP, LEVELS, RULE_SETS
from pipeline.domain.wording import t

LANDSCAPE_TEXT_MM = 297 - 25 - 15


def crossed(units: list[Any], people: list[Any]) -> list[tuple[Any, Any]]:
    """(person, place) for every place where a person crossed a threshold: one half or two
    thirds of "tín nhiệm thấp" in a poll, over half of all delegates "không tín nhiệm" in
    a follow-up vote."""
    return [(p, pl) for p in people for pl in p.places if pl.result["consequence"]]


def mixed_rules_warning(units: list[Any]) -> str | None:
    """Words when the units used different rule sets or polled in different years (the
    polls only: a follow-up vote has its own table, on all delegates, and follows its poll)."""
    rules: dict[str, list[int]] = {}
    years: dict[int, list[int]] = {}
    for i, u in enumerate(units, start=1):
        if u.kind == KIND_FOLLOW_UP:
            continue
        rules.setdefault(u.info["rules"], []).append(i)
        years.setdefault(int(u.info["session_date"][:4]), []).append(i)
    parts = []
    if len(rules) > 1:
        parts.append("các đơn vị lấy phiếu theo các quy định khác nhau (" + "; ".join(
            f"đơn vị {', '.join(map(str, ns))}: {RULE_SETS[r].title if r in RULE_SETS else r}"
            for r, ns in rules.items()) + "), nên tỷ lệ phần trăm không tính trên cùng một loại "
            "tổng số và hệ quả theo từng quy định")
    if len(years) > 1:
        parts.append("các đơn vị lấy phiếu trong các năm khác nhau (" + "; ".join(
            f"năm {y}: đơn vị {', '.join(map(str, ns))}" for y, ns in sorted(years.items())) + ")")
    if not parts:
        return None
    return "Lưu ý: " + "; ".join(parts) + ". Kết quả ở mỗi nơi được ghi riêng, không cộng gộp."


def _crossed_grid(units: list[Any], people: list[Any], adverse: str) -> Grid:
    """Who crossed, where (the unit by its number) and the consequence in words; ``adverse``
    is the level counted against them (``low``, or ``no_confidence`` in a follow-up vote)."""
    rows = []
    for n, (p, pl) in enumerate(crossed(units, people), start=1):
        u, r = units[pl.unit], pl.result
        rows.append((str(n), p.name, p.position, str(pl.unit + 1),
                     f"{vn_number(r['counts'].get(adverse))} / "
                     f"{vn_number(r.get('base', u.doc['base']))}",
                     vn_number(r["percent"].get(adverse)),
                     r.get("consequence_text") or t(r["consequence"])))
    header = (("STT", t("name"), t("position"), "Đơn vị số",
               f"Phiếu {t(adverse).lower()} / tổng số", "%", "Hệ quả"),)
    return Grid(header=header, rows=tuple(rows), widths_mm=(9, 40, 50, 14, 24, 14, 106),
                align="CLLCCCL", size=10)


def _units_grid(units: list[Any]) -> Grid:
    rows = []
    for i, u in enumerate(units, start=1):
        d = dt.date.fromisoformat(u.info["session_date"])
        trust = " (khóa chưa được đối chiếu với biên bản)" if u.trust == "first_use" else ""
        rules = u.info["rules_title"] + ("; bỏ phiếu tín nhiệm" if u.kind == KIND_FOLLOW_UP else "")
        rows.append((str(i), u.info["body"], short_date(d), rules,
                     vn_number(u.doc["ballots"]["issued"]), vn_number(u.doc["ballots"]["collected"]),
                     vn_number(u.doc["base"]), grouped(u.key_sha256) + trust))
    header = (("Đơn vị số", "Đơn vị", "Ngày lấy phiếu", "Quy định áp dụng", "Phiếu phát ra",
               "Phiếu thu về", "Tổng số để tính tỷ lệ", "Mã khóa kiểm chứng"),)
    return Grid(header=header, rows=tuple(rows), widths_mm=(14, 62, 20, 44, 15, 15, 18, 69),
                align="CLCLCCCL", size=9.5)


def _previous_words(prev: dict[str, Any] | None) -> str:
    if prev is None:
        return "–"
    r = prev["result"]
    return (" / ".join(vn_number(r["percent"].get(lv)) for lv in LEVELS)
            + f" ({prev['year']})" + (f"; {t(r['consequence'])}" if r["consequence"] else ""))


def _unit_rows(units: list[Any], people: list[Any]) -> list[tuple[int, Any, list[Any]]]:
    """(unit index, group, [(person index, place index, result)]) in the units' order, each
    unit's people by group in the group's order (`grouping.grouped_people`)."""
    where = {(pl.unit, pl.result["candidate"]): (i, k)
             for i, p in enumerate(people) for k, pl in enumerate(p.places)}
    out = []
    for u, unit in enumerate(units):
        if not any((u, c["candidate"]) in where for c in unit.doc["candidates"]):
            continue
        for group in grouped_people(unit.doc):
            members = [(*where[(u, c["candidate"])], c) for c in group.people
                       if (u, c["candidate"]) in where]
            if members:
                out.append((u, group, members))
    return out


def _people_grid(units: list[Any], people: list[Any],
                 previous: dict[tuple[int, int], dict[str, Any]] | None,
                 levels: tuple[str, ...] = LEVELS) -> Grid:
    """Every person and place, unit by unit (a band "Đơn vị số N"), within a unit by group
    in the group's order (a band for each group); a person polled elsewhere too is told
    where. ``levels``: the poll's three, or the follow-up vote's two."""
    with_prev = previous is not None
    n_lv = len(levels)
    cols = 5 + 2 * n_lv + (1 if with_prev else 0)
    rows: list[tuple[str, ...]] = []
    bands = set()
    last_unit = None
    for u, group, members in _unit_rows(units, people):
        if u != last_unit:
            bands.add(len(rows))
            rows.append((f"Đơn vị số {u + 1}",) + ("",) * (cols - 1))
            last_unit = u
        if group.label:
            bands.add(len(rows))
            rows.append((group.label,) + ("",) * (cols - 1))
        for i, k, r in members:
            person = people[i]
            name = person.name + (f" (sinh năm {person.born})" if person.born else "")
            others = [str(pl.unit + 1) for j, pl in enumerate(person.places) if j != k]
            if others:
                name += f"; cũng tại đơn vị số {', '.join(others)}"
            if len(person.places) > 2:
                name += f" - lấy phiếu ở {len(person.places)} nơi, quá 2 nơi"
            cells = [x for lv in levels for x in (vn_number(r["counts"].get(lv)),
                                                   vn_number(r["percent"].get(lv)))]
            row = (str(r["candidate"]), name, person.position,
                   vn_number(r.get("base", units[u].doc["base"])), *cells,
                   t(r["consequence"]) if r["consequence"] else "–")
            if with_prev:
                row = (*row, _previous_words((previous or {}).get((i, k))))
            rows.append(row)
    last = 4 + 2 * n_lv
    head1 = (t("stt"), t("name"), t("position"), "Tổng số",
             *(x for lv in levels for x in (t(lv), "")), t("consequence"))
    head2 = ("", "", "", "", *(t("ballots_count"), "%") * n_lv, "")
    hspans = [((c, 0), (c, 1)) for c in range(4)]
    hspans += [((4 + 2 * j, 0), (5 + 2 * j, 0)) for j in range(n_lv)]
    hspans.append(((last, 0), (last, 1)))
    consequence_w = 26 + 24 * (3 - n_lv)
    widths: tuple[float, ...] = (9, 50, 0, 14, *(12, 14) * n_lv, consequence_w)
    if with_prev:
        head1 = (*head1, "Lần trước: cao / TN / thấp (%)")
        head2 = (*head2, "")
        hspans.append(((last + 1, 0), (last + 1, 1)))
        widths = (*widths, 40)
    widths = (widths[0], widths[1], LANDSCAPE_TEXT_MM - sum(widths), *widths[3:])
    return Grid(header=(head1, head2), rows=tuple(rows), widths_mm=widths,
                align="CLLC" + "C" * (2 * n_lv) + "C" + ("L" if with_prev else ""),
                spans=tuple(hspans), bands=frozenset(bands), size=9.5)


def _crossed_blocks(units: list[Any], people: list[Any], votes: list[Any]) -> list[Any]:
    """Section I: who crossed a threshold, where; the polls' and the follow-up votes' apart."""
    polls = any(u.kind != KIND_FOLLOW_UP for u in units)
    title = "I. NGƯỜI CÓ TRÊN 1/2 HOẶC TỪ 2/3 SỐ PHIẾU TÍN NHIỆM THẤP" if polls else "I. NGƯỜI"
    if votes:
        title += (" HOẶC" if polls else "") + " CÓ QUÁ NỬA TỔNG SỐ ĐẠI BIỂU BỎ PHIẾU KHÔNG TÍN NHIỆM"
    blocks: list[Any] = [Text(title, "section")]
    if polls:
        if votes:
            blocks.append(Text("1. Lấy phiếu tín nhiệm", "strong"))
        blocks.append(_crossed_grid(units, people, "low") if crossed(units, people) else
                      Text("Không có người nào có trên 1/2 số phiếu tín nhiệm thấp."))
    if votes:
        if polls:
            blocks.append(Text("2. Bỏ phiếu tín nhiệm", "strong"))
        blocks.append(_crossed_grid(units, votes, "no_confidence") if crossed(units, votes) else
                      Text("Không có người nào có quá nửa tổng số đại biểu bỏ phiếu không "
                           "tín nhiệm."))
    return blocks


def summary_form(units: list[Any], people: list[Any], *, body: str, place: str | None,
                 day: dt.date, parent: str | None = None, to: str | None = None,
                 signer: tuple[str, str | None] | None = None,
                 previous: dict[tuple[int, int], dict[str, Any]] | None = None,
                 votes: list[Any] | None = None) -> Form:
    """The roll-up's report (see the module's docstring); ``votes``: the people of the
    follow-up confidence votes among the units, reported in their own tables."""
    votes = votes or []
    twice = sum(1 for x in people if len(x.places) > 1)
    polls = any(u.kind != KIND_FOLLOW_UP for u in units)
    blocks: list[Any] = [Text("BÁO CÁO", "title"),
                         Text("Tổng hợp kết quả lấy phiếu tín nhiệm của các đơn vị", "subtitle"),
                         Text("", "rule")]
    if to:
        blocks.append(Text(f"Kính gửi: {to}.", "center"))
    who = []
    if polls:
        who.append(f"có {len(people)} người được lấy phiếu tín nhiệm, {twice} người ở hơn một "
                   "nơi: kết quả ở mỗi nơi được ghi riêng, không cộng gộp")
    if votes:
        who.append(f"có {len(votes)} người được bỏ phiếu tín nhiệm (hai mức \"Tín nhiệm\", "
                   "\"Không tín nhiệm\"), ghi ở bảng riêng")
    blocks.append(Text(
        f"{body} tổng hợp kết quả của {len(units)} đơn vị (đánh số ở mục II) từ các gói kết quả "
        "đã được Ban kiểm phiếu xác nhận, mỗi gói đã được kiểm tra mã SHA-256 của từng tệp và chữ "
        f"ký điện tử. Trong đó {'; '.join(who)}."))
    blocks += _crossed_blocks(units, people, votes)
    warning = mixed_rules_warning(units)
    if warning:
        blocks.append(Text(warning, "strong"))
    blocks += [Text("II. CÁC ĐƠN VỊ", "section"), _units_grid(units)]
    section = 3
    if polls:
        blocks += [Text(f"{roman(section)}. KẾT QUẢ LẤY PHIẾU TÍN NHIỆM THEO TỪNG ĐƠN VỊ, "
                        "TỪNG KHỐI", "section"),
                   _people_grid(units, people, previous),
                   Text("Tỷ lệ phần trăm ở mỗi nơi tính trên tổng số theo quy định áp dụng tại "
                        "nơi đó (tổng số phiếu thu về, hoặc tổng số đại biểu theo Nghị quyết số "
                        "85/2014/QH13). Số thứ tự là số của người đó trên phiếu của đơn vị.",
                        "note")]
        section += 1
        if previous is not None:
            blocks.append(Text("Cột \"Lần trước\": tỷ lệ tín nhiệm cao / tín nhiệm / tín nhiệm "
                               "thấp của người đó tại cùng đơn vị ở lần lấy phiếu trước (năm "
                               "trong ngoặc); \"–\" khi lần trước không lấy phiếu người đó.",
                               "note"))
    if votes:
        blocks += [Text(f"{roman(section)}. KẾT QUẢ BỎ PHIẾU TÍN NHIỆM", "section"),
                   _people_grid(units, votes, None, FOLLOW_UP_LEVELS),
                   Text("Bỏ phiếu tín nhiệm: tỷ lệ phần trăm tính trên tổng số đại biểu; người "
                        "có quá nửa tổng số đại biểu bỏ phiếu không tín nhiệm thì cơ quan hoặc "
                        "người có thẩm quyền đã giới thiệu trình miễn nhiệm theo quy định áp "
                        "dụng tại đơn vị.", "note")]
    title, name = signer or ("THỦ TRƯỞNG CƠ QUAN", None)
    letters = body_initials(body)
    recipients = (*(("- Như trên;",) if to else ()), "- Các đơn vị có tên tại mục II;", "- Lưu: VT.")
    return Form(
        title=nfc(f"Tổng hợp kết quả lấy phiếu tín nhiệm - {body}"),
        heading=Heading(parent=parent.upper() if parent else None, issuer=body.upper(),
                        number=f"Số:{NUMBER_BLANK}/BC-{letters}",
                        place_date=f"{place}, {date_words(day)}" if place else
                        date_words(day).capitalize()),
        blocks=tuple(blocks),
        closing=Closing((Signer(tuple(title.split("\n")), name, hint=""),), recipients),
        author=body, landscape=True, subject="Tổng hợp kết quả lấy phiếu tín nhiệm",
        keywords=("tổng hợp", "lấy phiếu tín nhiệm"))


def summary_pdf(units: list[Any], people: list[Any], **kw: Any) -> bytes:
    return form_pdf(summary_form(units, people, **kw))


def _people_sheet(ws: Any, units: list[Any], people: list[Any], levels: tuple[str, ...],
                  title: str, body: str) -> None:
    """One row a person and place, unit by unit and within a unit by group in its order."""
    xlsx_cell(ws, 1, 1, title).font = NORMAL
    xlsx_cell(ws, 2, 1, body).font = NORMAL
    header = [t("stt"), t("name"), t("position"), "Năm sinh", "Số nơi lấy phiếu", "Đơn vị số",
              "Nơi lấy phiếu", "Khối", "Quy định", t("base_total")]
    for lv in levels:
        header += [t("level_count", level=t(lv)), t("level_percent", level=t(lv))]
    header += [t("invalid"), t("consequence")]
    header_cells(ws, 4, header)
    row = 5
    for u, group, members in _unit_rows(units, people):
        unit = units[u]
        for i, _, r in members:
            p = people[i]
            values = [r["candidate"], p.name, p.position, p.born, len(p.places), u + 1,
                      unit.info["body"], group.name or "", unit.info["rules_title"],
                      r.get("base", unit.doc["base"])]
            for lv in levels:
                values += [r["counts"].get(lv), r["percent"].get(lv)]
            values += [r["counts"].get("invalid"), r.get("consequence_text") or ""]
            _row(ws, row, values, {12 + 2 * j for j in range(len(levels))})
            row += 1
    _widths(ws, [6, 24, 32, 8, 8, 8, 36, 24, 30, 10, *[9] * (2 * len(levels)), 9, 60])
    ws.freeze_panes = ws.cell(5, 3)
    print_setup(ws, 4)


def summary_xlsx(units: list[Any], people: list[Any], body: str,
                 votes: list[Any] | None = None) -> bytes:
    """Every person and place (words, not codes), and the units; the follow-up votes on a
    sheet of their own; A4 landscape print set-up."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    _people_sheet(ws, units, people, LEVELS, "TỔNG HỢP KẾT QUẢ LẤY PHIẾU TÍN NHIỆM", body)
    if votes:
        _people_sheet(wb.create_sheet("Bỏ phiếu tín nhiệm"), units, votes, FOLLOW_UP_LEVELS,
                      "TỔNG HỢP KẾT QUẢ BỎ PHIẾU TÍN NHIỆM", body)
    us = wb.create_sheet("Đơn vị")
    header_cells(us, 1, ["Đơn vị số", "Đơn vị", "Ngày", "Quy định", "Loại", "Phiếu phát ra",
                         "Phiếu thu về", "Tổng số để tính tỷ lệ", "Xác nhận lúc (giờ Việt Nam)",
                         "Người xác nhận", "Mã khóa kiểm chứng (SHA-256)", "Khóa",
                         "Mã xác nhận kết quả (SHA-256)", "Lần xác nhận"])
    for i, u in enumerate(units, start=1):
        at = vietnam_time(dt.datetime.fromisoformat(u.doc["certification"]["at"]))
        _row(us, i + 1, [i, u.info["body"], short_date(dt.date.fromisoformat(u.info["session_date"])),
                         u.info["rules_title"],
                         "bỏ phiếu tín nhiệm" if u.kind == KIND_FOLLOW_UP else "lấy phiếu tín nhiệm",
                         u.doc["ballots"]["issued"],
                         u.doc["ballots"]["collected"], u.doc["base"], f"{at:%H:%M %d/%m/%Y}",
                         u.doc["certification"]["by"], u.key_sha256,
                         "đã đối chiếu" if u.trust == "pinned" else "chưa đối chiếu, tin lần đầu",
                         (u.certificate or {}).get("digest"), (u.certificate or {}).get("number")],
             set())
    _widths(us, [8, 40, 12, 30, 18, 10, 10, 10, 20, 24, 66, 24, 66, 10])
    print_setup(us, 1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _row(ws: Any, row: int, values: list[Any], pct_cols: set[int]) -> None:
    for j, v in enumerate(values, start=1):
        cell = xlsx_cell(ws, row, j, v)
        cell.font, cell.border = NORMAL, BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if j in pct_cols and v is not None:
            cell.number_format = "0.00"


def _widths(ws: Any, widths: list[int]) -> None:
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
