"""What every printed document shares: fonts, page, headings, numbers, dates and time.

Nghị định 30/2020/NĐ-CP sets the form of state documents: A4, margins 20-25 mm
top and bottom, 30-35 mm left, 15-20 mm right; a Times-like face at 13-14 pt;
the issuing body top-left and the national heading top-right, with the place
and date under it. Party bodies' documents (Hướng dẫn 36-HD/VPTW) carry
"ĐẢNG CỘNG SẢN VIỆT NAM" top-right instead.

The PDFs are set in the bundled Liberation Serif (metric-compatible with Times
New Roman, full Vietnamese); the DOCX files name Times New Roman. All text is
Unicode NFC: reportlab does no mark positioning, so decomposed text would
stack its diacritics wrongly.

Numbers are written the Vietnamese way (``85,23``; thousands ``1.234``);
times are Vietnam time (UTC+7, no daylight saving), marked as such.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
import zoneinfo
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

MM = 72 / 25.4  # points per millimetre
PT_PER_MM = MM

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR = "LiberationSerif"
BOLD = "LiberationSerif-Bold"
ITALIC = "LiberationSerif-Italic"
BOLD_ITALIC = "LiberationSerif-BoldItalic"
_FONT_FILES = {
    REGULAR: "LiberationSerif-Regular.ttf",
    BOLD: "LiberationSerif-Bold.ttf",
    ITALIC: "LiberationSerif-Italic.ttf",
    BOLD_ITALIC: "LiberationSerif-BoldItalic.ttf",
}
DOCX_FONT = "Times New Roman"
DOCX_MONO = "Courier New"
LANGUAGE = "vi-VN"

# A4 portrait, Nghị định 30 margins in mm; the landscape pages of the roll-up keep them
PAGE_MM = (210.0, 297.0)
MARGINS_MM = {"top": 20.0, "right": 15.0, "bottom": 20.0, "left": 30.0}
TEXT_WIDTH_MM = PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"]
LANDSCAPE_MARGINS_MM = {"top": 20.0, "right": 15.0, "bottom": 20.0, "left": 25.0}
BODY_PT = 13.0
TABLE_PT = 9.5  # the per-person tables: a name on one line, the position on few

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"
PARTY_NAME = "ĐẢNG CỘNG SẢN VIỆT NAM"

VIETNAM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
TIME_NOTE = "giờ Việt Nam"
NUMBER_BLANK = "\u00a0" * 8  # the number is written in by the office that registers the document


@functools.cache
def register_fonts() -> None:
    """Register the bundled Liberation Serif faces with reportlab (once)."""
    for name, filename in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=ITALIC,
                                  boldItalic=BOLD_ITALIC)


def string_width(text: str, size: float, font: str = REGULAR) -> float:
    """Advance width of ``text`` in points."""
    register_fonts()
    return pdfmetrics.stringWidth(text, font, size)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def esc(text: str) -> str:
    """Text for a reportlab Paragraph (its markup characters escaped), in NFC."""
    return nfc(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vn_number(value: float | int | None, decimals: int = 2) -> str:
    """``85.23`` as ``85,23``, ``1234`` as ``1.234``; ``None`` as an en dash."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return f"{value:.{decimals}f}".replace(".", ",")


def two_digits(n: int) -> str:
    """Counts in documents' words are written with two digits: "03 bản"."""
    return f"{n:02d}"


def vietnam_time(utc: dt.datetime) -> dt.datetime:
    """A UTC time (naive, as the records store it, or aware) in Vietnam time (aware)."""
    if utc.tzinfo is None:
        utc = utc.replace(tzinfo=dt.UTC)
    return utc.astimezone(VIETNAM)


def vietnam_now() -> dt.datetime:
    return dt.datetime.now(VIETNAM).replace(microsecond=0)


def date_words(day: dt.date) -> str:
    """'ngày 08 tháng 12 năm 2023': Nghị định 30/2020 pads days below 10 and months below 3."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def time_words(at: dt.datetime) -> str:
    """'14 giờ 05 phút, ngày 08 tháng 12 năm 2023' (``at`` already in Vietnam time)."""
    return f"{at:%H} giờ {at:%M} phút, {date_words(at.date())}"


def short_date(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def split_body(body: str) -> tuple[str, str | None]:
    """The issuing body's name and what qualifies it (term, tenure).

    "Hội đồng nhân dân huyện Ninh Sơn khóa XII, nhiệm kỳ 2021-2026" gives
    ("Hội đồng nhân dân huyện Ninh Sơn", "Khóa XII, nhiệm kỳ 2021-2026").
    """
    body = nfc(body).strip()
    m = re.search(r"\s(khóa|khoá)\s", body, flags=re.IGNORECASE)
    cut = m.start() if m else body.find(",")
    if cut <= 0:
        return body, None
    name, rest = body[:cut].strip(" ,"), body[cut:].strip(" ,")
    return name, (rest[:1].upper() + rest[1:] if rest else None)


UNIT_KINDS = ("thành phố", "tỉnh", "huyện", "quận", "thị xã", "xã", "phường", "thị trấn")


def place_from_body(body_name: str) -> str | None:
    """'Hội đồng nhân dân thành phố Hà Nội' -> 'Hà Nội' (the words after the unit's kind)."""
    for kind in UNIT_KINDS:
        i = body_name.lower().rfind(f" {kind} ")
        if i >= 0:
            return body_name[i + len(kind) + 2:].strip()
    return None


PARTY_WORDS = ("đảng ủy", "đảng uỷ", "huyện ủy", "huyện uỷ", "tỉnh ủy", "tỉnh uỷ", "thành ủy",
               "thành uỷ", "quận ủy", "quận uỷ", "thị ủy", "thị uỷ", "chi bộ", "đảng bộ",
               "ban thường vụ", "ban chấp hành", "ban tổ chức", "cấp ủy", "cấp uỷ")


def is_national_assembly(body_name: str) -> bool:
    """Whether the issuing body is the National Assembly (Quốc hội), not a council."""
    return nfc(body_name).casefold().startswith("quốc hội")


def is_party_body(name: str) -> bool:
    """Whether the issuing body is a Party body (its documents follow Hướng dẫn 36-HD/VPTW)."""
    low = nfc(name).lower()
    return low.startswith("đảng") or any(w in low for w in PARTY_WORDS)


#: a Party body's kind, as its name begins, and the collective it signs for (Hướng dẫn
#: 36-HD/VPTW: "T/M" and the collective by its kind; the body's full name is in the
#: heading). A Đảng bộ is led by its Đảng ủy. Longest first, so "ban thường vụ" is not
#: read as some shorter kind; "uỷ" is read as "ủy" before matching.
PARTY_COLLECTIVES = (
    ("ban cán sự đảng", "BAN CÁN SỰ ĐẢNG"), ("ban thường vụ", "BAN THƯỜNG VỤ"),
    ("ban chấp hành", "BAN CHẤP HÀNH"), ("đảng đoàn", "ĐẢNG ĐOÀN"), ("đảng ủy", "ĐẢNG ỦY"),
    ("đảng bộ", "ĐẢNG ỦY"), ("chi bộ", "CHI BỘ"), ("thành ủy", "THÀNH ỦY"),
    ("huyện ủy", "HUYỆN ỦY"), ("tỉnh ủy", "TỈNH ỦY"), ("quận ủy", "QUẬN ỦY"),
    ("thị ủy", "THỊ ỦY"), ("cấp ủy", "CẤP ỦY"),
)


def party_authority(body_name: str) -> str:
    """The first line of a Party body's signature: 'Đảng ủy Sở Nội vụ' -> 'T/M ĐẢNG ỦY',
    'Ban Thường vụ Huyện ủy Ninh Sơn' -> 'T/M BAN THƯỜNG VỤ', 'Chi bộ …' -> 'T/M CHI BỘ',
    'Đảng bộ …' -> 'T/M ĐẢNG ỦY'. A name that begins with no known kind is signed for by
    its whole name, uppercased (NFC)."""
    name = " ".join(nfc(body_name).split())
    collective = party_kind(party_key(name), PARTY_COLLECTIVES)
    return f"T/M {collective}" if collective is not None else nfc(f"T/M {name.upper()}")


#: the Party committees named by a place's level, as their names begin ("Huyện ủy Ninh
#: Sơn"), and the level ("huyện"); a Đảng bộ of such a place is led by that committee.
PLACE_COMMITTEES = (("tỉnh ủy", "tỉnh"), ("thành ủy", "thành phố"), ("huyện ủy", "huyện"),
                    ("quận ủy", "quận"), ("thị ủy", "thị xã"))
#: the committee of a Đảng bộ of a place of this level ("Đảng bộ huyện Ninh Sơn" ->
#: "Huyện ủy Ninh Sơn"); a Đảng bộ of any other place or unit is led by its Đảng ủy
LEVEL_COMMITTEE = {"tỉnh": "Tỉnh ủy", "thành phố": "Thành ủy", "huyện": "Huyện ủy",
                   "quận": "Quận ủy", "thị xã": "Thị ủy", "xã": "Đảng ủy xã",
                   "phường": "Đảng ủy phường", "thị trấn": "Đảng ủy thị trấn"}


def party_key(name: str) -> str:
    """A name as it is compared: NFC, single spaces, lower case, "uỷ" read as "ủy"."""
    return " ".join(nfc(name).split()).lower().replace("uỷ", "ủy")


def party_kind(key: str, table: tuple[tuple[str, str], ...]) -> str | None:
    """What ``table`` gives for the first kind (its first column) that the compared name
    ``key`` (`party_key`) is or begins with, as a whole word; None if none."""
    for kind, value in table:
        if key == kind or key.startswith(kind + " "):
            return value
    return None


def party_committee(name: str) -> str | None:
    """The Party committee (cấp ủy) a Party body's name stands for, in the name's words:
    'Ban Thường vụ Huyện ủy Ninh Sơn' -> 'Huyện ủy Ninh Sơn', 'Ban Chấp hành Đảng bộ tỉnh
    Ninh Thuận' and 'Đảng bộ tỉnh Ninh Thuận' -> 'Tỉnh ủy Ninh Thuận', 'Đảng bộ Sở Tư pháp'
    -> 'Đảng ủy Sở Tư pháp', 'Đảng ủy xã Phước Hà' -> itself. None for a body that is not a
    committee (a Chi bộ, a Đảng đoàn, a Ban cán sự đảng, a committee's advisory board, a
    state body)."""
    name = " ".join(nfc(name).split())
    low = party_key(name)
    for lead in ("ban thường vụ ", "ban chấp hành "):
        if low.startswith(lead):
            return party_committee(name[len(lead):])
    if low.startswith("đảng bộ "):
        rest, rest_low = name[len("đảng bộ "):], low[len("đảng bộ "):]
        for level, committee in LEVEL_COMMITTEE.items():
            if rest_low.startswith(level + " "):
                return f"{committee} {rest[len(level) + 1:]}"
        return f"Đảng ủy {rest}"
    if low.startswith(("đảng ủy ", *(c + " " for c, _ in PLACE_COMMITTEES))):
        return name
    return None


def heading_lines(text: str, size: float, width_mm: float, font: str = REGULAR) -> list[str]:
    """A heading split into lines that each fit ``width_mm``, breaking between words only,
    with lines of even length ("HỘI ĐỒNG NHÂN DÂN / HUYỆN NINH SƠN", never "HUYỆN / NINH SƠN").
    """
    limit = width_mm * MM
    words = _heading_tokens(nfc(text).split(), size, font, limit)
    if not words:
        return []
    if string_width(" ".join(words), size, font) <= limit:
        return [" ".join(words)]
    best: list[str] | None = None
    for lines_wanted in range(2, len(words) + 1):
        best = _even_split(words, lines_wanted, size, font, limit)
        if best is not None:
            return best
    return words


KEPT_TOGETHER = ("thành phố", "thị xã", "thị trấn", "nhân dân", "hội đồng", "ủy ban", "uỷ ban",
                 "kiểm phiếu", "đảng ủy", "đảng uỷ", "ban thường vụ", "nội vụ", "mặt trận")


def _heading_tokens(words: list[str], size: float, font: str, limit: float) -> list[str]:
    """Words glued where a heading must not break: inside "THÀNH PHỐ", "NHÂN DÂN" ..., and
    the unit's kind with its name ("HUYỆN NINH SƠN") when that fits a line."""
    tokens = list(words)
    for phrase in sorted(KEPT_TOGETHER, key=len, reverse=True):
        n = len(phrase.split())
        i = 0
        while i + n <= len(tokens):
            if " ".join(tokens[i:i + n]).lower() == phrase:
                tokens[i:i + n] = [" ".join(tokens[i:i + n])]
            i += 1
    for i, tok in enumerate(tokens):
        if tok.lower() in UNIT_KINDS and i + 1 < len(tokens):
            tail = " ".join(tokens[i:])
            if string_width(tail, size, font) <= limit:
                return [*tokens[:i], tail]
    return tokens


def _even_split(words: list[str], n: int, size: float, font: str, limit: float
                ) -> list[str] | None:
    """The split of ``words`` into ``n`` lines within ``limit`` whose longest line is shortest."""
    best: tuple[float, list[str]] | None = None

    def walk(start: int, left: int, acc: list[str]) -> None:
        nonlocal best
        if left == 1:
            line = " ".join(words[start:])
            if string_width(line, size, font) <= limit:
                lines = [*acc, line]
                worst = max(string_width(x, size, font) for x in lines)
                if best is None or worst < best[0]:
                    best = (worst, lines)
            return
        for end in range(start + 1, len(words) - left + 2):
            line = " ".join(words[start:end])
            if string_width(line, size, font) > limit:
                break
            walk(end, left - 1, [*acc, line])

    if len(words) <= 14:
        walk(0, n, [])
    return best[1] if best else None
