"""``kiemphieu aggregate``: the office above rolls up the certified packages of many units.

Seed 001: every department reports to *Sở Nội vụ*, which reports to the
city; an official may be polled in at most two places (the Party committee
and the workplace). Each package is verified first (`pipeline.documents.verify`); a
package that does not verify is refused, by name, and nothing is written.

People are matched across packages by name and position (compared in NFC,
ignoring case and spacing) and, when both packages give it, the year of
birth, which tells namesakes apart. A person polled in several places keeps
every result, one line per place: results under different bases and rules
are never added together. A person found in more than two places is
flagged (seed 001 allows at most two).

Writes ``tong-hop.pdf`` (A4 landscape, Nghị định 30 heading),
``tong-hop.xlsx`` and ``tong-hop.json`` into a new folder.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.documents.cells import xlsx_cell
from pipeline.domain.certificate import CertificateError, grouped, parse_hex64
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.rules import LEVELS
from pipeline.domain.wording import t

SUMMARY_PDF = "tong-hop.pdf"
SUMMARY_XLSX = "tong-hop.xlsx"
SUMMARY_JSON = "tong-hop.json"
MAX_PLACES = 2  # seed 001: "tối đa ở 02 nơi"
FIRST_USE_VI = "khóa chưa được đối chiếu với biên bản của đơn vị, tin tưởng lần đầu"


class AggregateError(KiemphieuError):
    """A package is tampered with, unreadable or given twice."""


@dataclass(frozen=True)
class Unit:
    package: Path
    doc: dict[str, Any]
    key_sha256: str
    trust: str = "pinned"  # pinned: the key given for the unit | first_use: the key it carries
    certificate: dict[str, Any] | None = None  # number, at, by, digest (verify)

    @property
    def info(self) -> dict[str, Any]:
        return self.doc["campaign_info"]


@dataclass(frozen=True)
class UnitKey:
    """What the office above knows of a unit from its signed minutes."""

    fingerprint: str  # the key's SHA-256, 64 hex digits
    digest: str | None = None  # the certificate's digest, if given
    where: str = "--key"  # where it was given, for messages


@dataclass(frozen=True)
class Place:
    unit: int  # index into the units
    result: dict[str, Any]  # the person's entry in that unit's tally.json


@dataclass(frozen=True)
class Person:
    name: str
    position: str
    born: int | None
    places: tuple[Place, ...]


@dataclass(frozen=True)
class AggregateResult:
    out: Path
    units: int
    people: int
    polled_twice: int
    trusted_on_first_use: tuple[Unit, ...] = ()  # units whose key nobody gave: taken as found
    recertified: tuple[Unit, ...] = ()  # units whose count was certified more than once


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def read_unit_keys(path: Path) -> dict[str, UnitKey]:
    """The units' keys from a file: one line per unit, ``CAMPAIGN-ID FINGERPRINT [DIGEST]``.

    The fingerprint and the digest are copied from the unit's signed minutes, 64 hex
    digits each, spaces between the groups allowed (so a line holds the campaign id, then
    64 or 128 hex digits). Blank lines and lines starting with ``#`` are skipped. Raises
    `AggregateError` naming the file and line.
    """
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AggregateError(f"{path}: cannot read the keys file ({exc})") from None
    keys: dict[str, UnitKey] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        where = f"{path}, line {n}"
        digits = "".join(words[1:])
        try:
            if len(digits) == 128:
                key = UnitKey(parse_hex64(digits[:64], where), parse_hex64(digits[64:], where),
                              where)
            else:
                key = UnitKey(parse_hex64(digits, where), None, where)
        except CertificateError as exc:
            raise AggregateError(f"{exc} (a line is: CAMPAIGN-ID FINGERPRINT [DIGEST])") from None
        if words[0] in keys:
            raise AggregateError(f"{where}: unit '{words[0]}' is given twice")
        keys[words[0]] = key
    return keys


def load_units(packages: list[Path], keys: dict[str, UnitKey] | None = None,
               package_keys: list[UnitKey] | None = None, *,
               trust_on_first_use: bool = False) -> list[Unit]:
    """Verify and read every package; refuse all if any one fails, naming each.

    A package's key must be its unit's: the one in ``package_keys`` (one per package, in
    order) or, by campaign id, in ``keys``; and its certificate's digest the one given
    with it, if one is. A unit with neither is refused, unless ``trust_on_first_use``:
    then the key it carries is taken, and the unit says so (``Unit.trust``).
    """
    from pipeline.documents.export import RESULT_JSON
    from pipeline.documents.verify import verify_package

    keys = keys or {}
    if package_keys and len(package_keys) != len(packages):
        raise AggregateError(f"{len(package_keys)} --key for {len(packages)} package(s): give "
                             "one --key per package, in the order of the packages, or a --keys "
                             "file")
    failures = []
    units = []
    seen: dict[str, Path] = {}
    for i, package in enumerate(packages):
        check = verify_package(package)
        if not check.ok:
            first = "; ".join(str(p) for p in check.problems[:3])
            more = f" (and {len(check.problems) - 3} more)" if len(check.problems) > 3 else ""
            failures.append(f"{package}: does not verify: {first}{more}")
            continue
        doc = json.loads((package / RESULT_JSON).read_text("utf-8"))
        cid = doc["campaign"]
        if cid in seen:
            failures.append(f"{package}: campaign '{cid}' is also in {seen[cid]}; give each unit once")
            continue
        seen[cid] = package
        assert check.key_sha256 is not None and check.certificate is not None
        pinned = _unit_key(cid, package_keys[i] if package_keys else None, keys.get(cid))
        if isinstance(pinned, str):
            failures.append(f"{package}: {pinned}")
            continue
        if pinned is None and not trust_on_first_use:
            failures.append(
                f"{package}: no key given for unit '{cid}': give the fingerprint printed in its "
                f"signed minutes (--key, or a line '{cid} FINGERPRINT' in a --keys file), or take "
                "the key the package carries with --trust-on-first-use (the summary records it)")
            continue
        problem = _pinning_problem(check.key_sha256, check.certificate["digest"], pinned)
        if problem:
            failures.append(f"{package}: unit '{cid}': {problem}")
            continue
        units.append(Unit(package, doc, check.key_sha256,
                          "pinned" if pinned else "first_use", check.certificate))
    if failures:
        raise AggregateError(
            "refused, nothing written: " + " | ".join(failures)
            + ". Ask the unit for its original package and check it with kiemphieu verify.")
    return units


def _unit_key(cid: str, given: UnitKey | None, listed: UnitKey | None) -> UnitKey | str | None:
    """The key a unit must have: given for its package, or listed for its campaign (a text
    saying what is wrong if both are given and differ)."""
    if given and listed and (given.fingerprint != listed.fingerprint
                             or (given.digest and listed.digest and given.digest != listed.digest)):
        return (f"--key for unit '{cid}' is not the key {listed.where} gives it; "
                "check both against the unit's signed minutes")
    if given and listed:
        return UnitKey(given.fingerprint, given.digest or listed.digest, given.where)
    return given or listed


def _pinning_problem(key_sha256: str, digest: str, pinned: UnitKey | None) -> str | None:
    if pinned is None:
        return None
    if key_sha256 != pinned.fingerprint:
        return (f"signed with key {grouped(key_sha256, 8)}, not the unit's key "
                f"{grouped(pinned.fingerprint, 8)} ({pinned.where}): signed by someone else")
    if pinned.digest and digest != pinned.digest:
        return (f"its certificate's digest {grouped(digest, 8)} is not the one in the unit's "
                f"minutes {grouped(pinned.digest, 8)} ({pinned.where}): the count was changed "
                "and certified again")
    return None


def combine(units: list[Unit]) -> list[Person]:
    """People across units, in order of first appearance, each with every place polled."""
    people: list[dict[str, Any]] = []
    for u, unit in enumerate(units):
        for c in unit.doc["candidates"]:
            born = c.get("born")
            match = None
            for p in people:
                if (p["key"] == (_norm(c["name"]), _norm(c["position"]))
                        and (p["born"] is None or born is None or p["born"] == born)):
                    match = p
                    break
            if match is None:
                match = {"key": (_norm(c["name"]), _norm(c["position"])), "name": c["name"],
                         "position": c["position"], "born": born, "places": []}
                people.append(match)
            match["born"] = match["born"] or born
            match["places"].append(Place(u, c))
    return [Person(p["name"], p["position"], p["born"], tuple(p["places"])) for p in people]


def aggregate_packages(packages: list[Path], out: Path, *, body: str = "Cơ quan tổng hợp",
                       place: str | None = None, keys: dict[str, UnitKey] | None = None,
                       package_keys: list[UnitKey] | None = None,
                       trust_on_first_use: bool = False) -> AggregateResult:
    """Roll ``packages`` up into ``out`` (a new or empty folder); the keys as `load_units`."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise AggregateError(f"{out}: exists and is not an empty folder; give a new folder with --out")
    units = load_units(packages, keys, package_keys, trust_on_first_use=trust_on_first_use)
    people = combine(units)
    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=7)).date()
    summary = summary_json(units, people, body)
    pdf = summary_pdf(units, people, body=body, place=place, day=today)
    xlsx = summary_xlsx(units, people, body)
    out.mkdir(parents=True, exist_ok=True)
    (out / SUMMARY_JSON).write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n",
                                    encoding="utf-8")
    (out / SUMMARY_PDF).write_bytes(pdf)
    (out / SUMMARY_XLSX).write_bytes(xlsx)
    return AggregateResult(out, len(units), len(people),
                           sum(1 for p in people if len(p.places) > 1),
                           tuple(u for u in units if u.trust == "first_use"),
                           tuple(u for u in units if (u.certificate or {}).get("number", 1) > 1))


def summary_json(units: list[Unit], people: list[Person], body: str) -> dict[str, Any]:
    return {
        "format": "kiemphieu-aggregate/1",
        "body": body,
        "units": [
            {"campaign": u.doc["campaign"], "body": u.info["body"], "title": u.info["title"],
             "session_date": u.info["session_date"], "rules": u.info["rules"],
             "base": u.doc["base"], "collected": u.doc["ballots"]["collected"],
             "certified_at": u.doc["certification"]["at"], "key_sha256": u.key_sha256,
             "key_trust": u.trust, "certificate_digest": (u.certificate or {}).get("digest"),
             "certification_number": (u.certificate or {}).get("number"),
             "package": str(u.package)}
            for u in units
        ],
        # keys nobody gave the office above: taken from the packages as found
        "trusted_on_first_use": [{"campaign": u.doc["campaign"], "key_sha256": u.key_sha256}
                                 for u in units if u.trust == "first_use"],
        "people": [
            {"name": p.name, "position": p.position, "born": p.born,
             "places_count": len(p.places), "over_limit": len(p.places) > MAX_PLACES,
             "places": [
                 {"campaign": units[pl.unit].doc["campaign"], "unit": units[pl.unit].info["body"],
                  "rules": units[pl.unit].info["rules"], "base": units[pl.unit].doc["base"],
                  "candidate": pl.result["candidate"], "counts": pl.result["counts"],
                  "percent": pl.result["percent"], "consequence": pl.result["consequence"],
                  "consequence_text": pl.result.get("consequence_text")}
                 for pl in p.places]}
            for p in people
        ],
    }


def _unit_label(unit: Unit) -> str:
    return unit.info["body"]


def summary_xlsx(units: list[Unit], people: list[Person], body: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    bold = Font(name="Times New Roman", bold=True, size=12)
    normal = Font(name="Times New Roman", size=12)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)

    def table(ws: Any, top: int, header: list[str], rows: list[list[Any]], widths: list[int],
              pct_cols: set[int]) -> None:
        for j, h in enumerate(header, start=1):
            cell = ws.cell(top, j, h)
            cell.font, cell.border = bold, box
            cell.fill = PatternFill("solid", fgColor="EEEEEE")
            cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        for i, row in enumerate(rows, start=top + 1):
            for j, v in enumerate(row, start=1):
                cell = xlsx_cell(ws, i, j, v)
                cell.font, cell.border = normal, box
                cell.alignment = Alignment(wrap_text=True, vertical="center")
                if j in pct_cols and v is not None:
                    cell.number_format = "0.00"
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = w
        ws.row_dimensions[top].height = 45

    ws = wb.active
    ws.title = "Tổng hợp"
    ws.cell(1, 1, "TỔNG HỢP KẾT QUẢ LẤY PHIẾU TÍN NHIỆM").font = bold
    xlsx_cell(ws, 2, 1, body).font = normal
    header = [t("stt"), t("name"), t("position"), "Năm sinh", "Số nơi lấy phiếu", "Nơi lấy phiếu",
              "Mã đợt", "Quy định", t("base_total")]
    for lv in LEVELS:
        header += [t("level_count", level=t(lv)), t("level_percent", level=t(lv))]
    header += [t("invalid"), t("consequence_code"), t("consequence")]
    rows = []
    for i, p in enumerate(people, start=1):
        for pl in p.places:
            u, r = units[pl.unit], pl.result
            row = [i, p.name, p.position, p.born, len(p.places), _unit_label(u), u.doc["campaign"],
                   u.info["rules"], u.doc["base"]]
            for lv in LEVELS:
                row += [r["counts"][lv], r["percent"][lv]]
            row += [r["counts"]["invalid"], r["consequence"] or "", r.get("consequence_text") or ""]
            rows.append(row)
    table(ws, 4, header, rows, [6, 24, 32, 8, 8, 36, 22, 12, 10, 9, 9, 9, 9, 9, 9, 9, 16, 50],
          {11, 13, 15})
    ws.freeze_panes = ws.cell(5, 3)

    us = wb.create_sheet("Đơn vị")
    urows = [[i, u.info["body"], u.doc["campaign"], u.info["session_date"], u.info["rules"],
              u.doc["ballots"]["issued"], u.doc["ballots"]["collected"], u.doc["base"],
              u.doc["certification"]["at"], u.doc["certification"]["by"], u.key_sha256,
              "đã đối chiếu" if u.trust == "pinned" else FIRST_USE_VI,
              (u.certificate or {}).get("digest"), (u.certificate or {}).get("number")]
             for i, u in enumerate(units, start=1)]
    table(us, 1, ["STT", "Đơn vị", "Mã đợt", "Ngày", "Quy định", "Phiếu phát ra", "Phiếu thu về",
                  "Tổng số để tính tỷ lệ", "Xác nhận lúc (UTC)", "Người xác nhận",
                  "Mã khóa kiểm chứng (SHA-256)", "Khóa", "Mã xác nhận kết quả (SHA-256)",
                  "Lần xác nhận"],
          urows, [6, 40, 24, 12, 12, 10, 10, 10, 20, 24, 66, 30, 66, 10], set())
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def summary_pdf(units: list[Unit], people: list[Person], *, body: str, place: str | None,
                day: dt.date) -> bytes:
    """The summary report: A4 landscape, units first, then every person and place."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from pipeline.documents.ballot_pdf import (
        BOLD,
        ITALIC,
        NATIONAL_MOTTO,
        NATIONAL_NAME,
        REGULAR,
        date_words,
        register_fonts,
    )
    from pipeline.documents.minutes import MM, _esc, _rule, _string_width, nfc, vn_number

    register_fonts()
    page_w, page_h = 297 * MM, 210 * MM
    margins = (20 * MM, 15 * MM, 20 * MM, 25 * MM)  # top, right, bottom, left
    text_w = page_w - margins[1] - margins[3]

    def style(name: str, **kw: Any) -> ParagraphStyle:
        base = {"fontName": REGULAR, "fontSize": 13, "leading": 16, "alignment": TA_JUSTIFY}
        return ParagraphStyle(name, **{**base, **kw})

    def p(text: str, st: ParagraphStyle) -> Paragraph:
        return Paragraph(_esc(nfc(str(text))), st)

    cell = style("cell", fontSize=9.5, leading=11.5, alignment=TA_LEFT)
    cell_c = style("cellc", fontSize=9.5, leading=11.5, alignment=TA_CENTER)
    cell_h = style("cellh", fontName=BOLD, fontSize=9, leading=11, alignment=TA_CENTER)
    heading = style("h", fontName=BOLD, spaceBefore=8, spaceAfter=4, alignment=TA_LEFT)

    when = date_words(day)
    left = [p(body.upper(), style("b", fontName=BOLD, fontSize=12.5, leading=15,
                                  alignment=TA_CENTER)), _rule(22 * MM)]
    right = [p(NATIONAL_NAME, style("n0", fontName=BOLD, fontSize=12, alignment=TA_CENTER)),
             p(NATIONAL_MOTTO, style("n1", fontName=BOLD, alignment=TA_CENTER)),
             _rule(_string_width(NATIONAL_MOTTO, 13, BOLD), space=0), Spacer(1, 4),
             p(f"{place}, {when}" if place else when.capitalize(),
               style("n2", fontName=ITALIC, alignment=TA_CENTER))]
    head = Table([[left, right]], colWidths=[95 * MM, text_w - 95 * MM])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story: list[Any] = [head, Spacer(1, 6 * MM),
                        p("BÁO CÁO", style("t", fontName=BOLD, fontSize=14, leading=18,
                                           alignment=TA_CENTER)),
                        p("Tổng hợp kết quả lấy phiếu tín nhiệm của các đơn vị",
                          style("st", fontName=BOLD, alignment=TA_CENTER)),
                        _rule(40 * MM, space=4), Spacer(1, 4 * MM)]
    twice = sum(1 for x in people if len(x.places) > 1)
    story.append(p(
        f"Tổng hợp từ {len(units)} gói kết quả đã được Ban kiểm phiếu các đơn vị xác nhận; mỗi "
        f"gói đã được kiểm tra mã băm SHA-256 của từng tệp và chữ ký số trước khi tổng hợp. "
        f"Có {len(people)} người được lấy phiếu, trong đó {twice} người được lấy phiếu ở hơn một "
        "nơi: kết quả ở mỗi nơi được ghi riêng, không cộng gộp.", style("i", firstLineIndent=10 * MM)))
    story.append(p("I. CÁC ĐƠN VỊ", heading))
    udata: list[list[Any]] = [[p(h, cell_h) for h in (
        "STT", "Đơn vị", "Ngày lấy phiếu", "Quy định", "Phiếu phát ra", "Phiếu thu về",
        "Tổng số để tính tỷ lệ", "Mã khóa kiểm chứng")]]
    for i, u in enumerate(units, start=1):
        d = dt.date.fromisoformat(u.info["session_date"])
        udata.append([p(str(i), cell_c), p(u.info["body"], cell), p(f"{d:%d/%m/%Y}", cell_c),
                      p(u.info["rules_title"], cell), p(vn_number(u.doc["ballots"]["issued"]), cell_c),
                      p(vn_number(u.doc["ballots"]["collected"]), cell_c),
                      p(vn_number(u.doc["base"]), cell_c),
                      p(grouped(u.key_sha256) + (f" ({FIRST_USE_VI})" if u.trust == "first_use"
                                                 else ""), cell)])
    ut = Table(udata, colWidths=[w * MM for w in (10, 70, 22, 45, 18, 18, 20, 54)], repeatRows=1)
    ut.setStyle(_grid(colors))
    story.append(ut)
    story.append(p("II. KẾT QUẢ THEO TỪNG NGƯỜI", heading))
    header1 = [p(h, cell_h) for h in (t("stt"), t("name"), t("position"), "Nơi lấy phiếu",
                                      t("base_total"))]
    for lv in LEVELS:
        header1 += [p(t(lv), cell_h), ""]
    header1.append(p(t("consequence"), cell_h))
    header2 = ["", "", "", "", ""] + [p(t("ballots_count"), cell_h), p(t("percent"), cell_h)] * 3 + [""]
    data: list[list[Any]] = [header1, header2]
    spans = []
    for i, person in enumerate(people, start=1):
        first = len(data)
        for k, pl in enumerate(person.places):
            u, r = units[pl.unit], pl.result
            name = person.name + (f" (sinh năm {person.born})" if person.born else "")
            if len(person.places) > MAX_PLACES and k == 0:
                name += f" — lấy phiếu ở {len(person.places)} nơi, quá {MAX_PLACES} nơi"
            row = [p(str(i), cell_c) if k == 0 else "", p(name, cell) if k == 0 else "",
                   p(person.position, cell) if k == 0 else "", p(u.info["body"], cell),
                   p(vn_number(u.doc["base"]), cell_c)]
            for lv in LEVELS:
                row += [p(vn_number(r["counts"][lv]), cell_c), p(vn_number(r["percent"][lv]), cell_c)]
            row.append(p(t(r["consequence"]) if r["consequence"] else "", cell_c))
            data.append(row)
        if len(person.places) > 1:
            last = len(data) - 1
            spans += [("SPAN", (c, first), (c, last)) for c in (0, 1, 2)]
    widths = (10, 40, 50, 60, 17, 13, 14, 13, 14, 13, 14, 19)
    table = Table(data, colWidths=[w * MM for w in widths], repeatRows=2)
    table.setStyle(_grid(colors, [
        ("SPAN", (0, 0), (0, 1)), ("SPAN", (1, 0), (1, 1)), ("SPAN", (2, 0), (2, 1)),
        ("SPAN", (3, 0), (3, 1)), ("SPAN", (4, 0), (4, 1)),
        ("SPAN", (5, 0), (6, 0)), ("SPAN", (7, 0), (8, 0)), ("SPAN", (9, 0), (10, 0)),
        ("SPAN", (11, 0), (11, 1)), ("BACKGROUND", (0, 1), (-1, 1), colors.Color(0.93, 0.93, 0.93)),
        *spans]))
    story.append(table)
    story.append(Spacer(1, 3 * MM))
    story.append(p("Tỷ lệ phần trăm ở mỗi nơi tính trên tổng số theo quy định áp dụng tại nơi đó "
                   "(tổng số phiếu thu về, hoặc tổng số đại biểu theo Nghị quyết 85/2014/QH13).",
                   style("note", fontName=ITALIC, fontSize=11, leading=13.5)))
    story.append(Spacer(1, 10 * MM))
    sig = Table([["", [p("NGƯỜI LẬP BÁO CÁO", style("s", fontName=BOLD, alignment=TA_CENTER)),
                       p("(Ký, ghi rõ họ tên)", style("sh", fontName=ITALIC, fontSize=12,
                                                      alignment=TA_CENTER))]]],
                colWidths=[text_w / 2, text_w / 2])
    story.append(sig)

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=(page_w, page_h), invariant=1, topMargin=margins[0],
                            rightMargin=margins[1], bottomMargin=margins[2], leftMargin=margins[3],
                            title=nfc(f"Tổng hợp kết quả lấy phiếu tín nhiệm - {body}"),
                            creator="kiemphieu", lang="vi", initialFontName=REGULAR)

    def page_number(canvas: Any, document: Any) -> None:
        if document.page > 1:
            canvas.setFont(REGULAR, 13)
            canvas.drawCentredString(page_w / 2, page_h - 12 * MM, str(document.page))

    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buf.getvalue()


def _grid(colors: Any, extra: list[Any] | None = None) -> Any:
    from reportlab.platypus import TableStyle

    return TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
        ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        *(extra or []),
    ])
