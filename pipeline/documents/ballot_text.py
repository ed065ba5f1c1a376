"""The ballot's words and how they are fitted to their cells, in millimetres.

Names and positions are wrapped as a typesetter would: at a comma or a
spaced dash first ("Trưởng phòng Lao động - / Thương binh và Xã hội"), never
inside a compound word ("Chỉ huy trưởng", "Thương binh" stay whole), and
inside a syllable only as the last resort at the smallest size.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.documents.typography import (
    BOLD_ITALIC,
    ITALIC,
    PT_PER_MM,
    REGULAR,
    nfc,
    string_width,
)
from pipeline.domain.campaign import Campaign
from pipeline.domain.layout import TEST_MARK
from pipeline.domain.wording import t

LEADING = 1.17  # line height as a multiple of the type size
TICK = "\u2713"  # drawn as a vector tick: Liberation Serif has no ✓ glyph
DASHES = ("-", "\u2013", "\u2014")  # a spaced dash ends its line, never starts one


def text_mm(text: str, font: str, size: float) -> float:
    """Advance width of ``text`` in mm (the vector tick counts as an 'X')."""
    text = text.replace(TICK, "X")
    return string_width(text, size, font) / PT_PER_MM


def pt_to_mm(pt: float) -> float:
    return pt / PT_PER_MM



def wrap_text(text: str, font: str, size_pt: float, width_mm: float) -> list[str]:
    """Greedy word wrap of ``text`` into lines no wider than ``width_mm``.

    A single word wider than the line is broken between characters.
    """
    tokens = tokens_of(text)
    if any(text_mm(t, font, size_pt) > width_mm for t in tokens):
        tokens = tokens_of(text, compounds=False)  # a compound wider than the line
    if any(text_mm(t, font, size_pt) > width_mm for t in tokens):
        tokens = text.split()  # a dash group wider than the line: break at any space
    lines: list[str] = []
    current = ""
    for word in tokens:
        candidate = f"{current} {word}" if current else word
        if text_mm(candidate, font, size_pt) <= width_mm:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while text_mm(word, font, size_pt) > width_mm:
            cut = max(1, longest_prefix(word, font, size_pt, width_mm))
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def tokens_of(text: str, compounds: bool = True) -> list[str]:
    """Words to wrap; a spaced dash stays at the end of its line ("Kinh tế -"), and with
    ``compounds`` a compound word stays whole ("Chỉ huy trưởng", "Thương binh")."""
    words = text.split()
    if compounds:
        words = glue_compounds(words)
    tokens: list[str] = []
    for word in words:
        if word in DASHES and tokens:
            tokens[-1] = f"{tokens[-1]} {word}"
        else:
            tokens.append(word)
    return tokens


# Vietnamese words of several syllables that job titles use: a line never breaks inside one
COMPOUNDS = tuple(sorted((
    "chỉ huy trưởng", "chỉ huy phó", "chỉ huy", "phó chủ tịch", "chủ tịch", "phó giám đốc",
    "giám đốc", "phó trưởng phòng", "trưởng phòng", "phó trưởng ban", "trưởng ban",
    "chánh văn phòng", "chánh thanh tra", "chánh án", "viện trưởng", "văn phòng", "ủy viên",
    "uỷ viên", "thường trực", "thường vụ", "hội đồng", "nhân dân", "ủy ban", "uỷ ban",
    "thương binh", "xã hội", "lao động", "kinh tế", "quân sự", "công an", "nội vụ", "tư pháp",
    "tài chính", "kế hoạch", "đầu tư", "nông nghiệp", "phát triển", "nông thôn", "giáo dục",
    "đào tạo", "văn hóa", "văn hoá", "thông tin", "thanh tra", "y tế", "tài nguyên",
    "môi trường", "công thương", "xây dựng", "giao thông", "vận tải", "khoa học", "công nghệ",
    "dân tộc", "pháp chế", "mặt trận", "tổ quốc", "thể thao", "du lịch", "kiểm sát", "tòa án",
    "toà án", "thành phố", "thị xã", "thị trấn", "hành chính", "quản lý", "đối ngoại",
), key=lambda c: -len(c.split())))


def glue_compounds(words: list[str], joiner: str = " ") -> list[str]:
    """``words`` with each compound of `COMPOUNDS` (any case) joined into one token."""
    out: list[str] = []
    i = 0
    lowered = [nfc(w).lower() for w in words]
    while i < len(words):
        for compound in COMPOUNDS:
            parts = compound.split()
            if lowered[i:i + len(parts)] == parts:
                out.append(joiner.join(words[i:i + len(parts)]))
                i += len(parts)
                break
        else:
            out.append(words[i])
            i += 1
    return out


def keep_compounds(text: str) -> str:
    """``text`` with no-break spaces inside compound words, for typesetters that wrap at
    spaces (the documents' tables)."""
    return " ".join(glue_compounds(text.split(), "\u00a0"))


def longest_prefix(word: str, font: str, size_pt: float, width_mm: float) -> int:
    n = 0
    while n < len(word) and text_mm(word[: n + 1], font, size_pt) <= width_mm:
        n += 1
    return n


def balanced_wrap(text: str, font: str, size_pt: float, width_mm: float) -> list[str]:
    """Wrap into as few lines as the greedy wrap, with lines of even length.

    Headings read better as "HỘI ĐỒNG NHÂN DÂN / HUYỆN NINH SƠN" than as a
    full line and a short orphan.
    """
    lines = wrap_text(text, font, size_pt, width_mm)
    if len(lines) < 2:
        return lines
    lo, hi = 0.0, width_mm
    # the narrowest token that must stay whole: compounds too, if they fit the full width
    widest = max(text_mm(w, font, size_pt) for w in tokens_of(text))
    keep = widest if widest <= width_mm else 0.0
    for _ in range(20):
        mid = (lo + hi) / 2
        if len(wrap_text(text, font, size_pt, mid)) <= len(lines) and mid >= keep and not breaks_word(
            text, font, size_pt, mid
        ):
            hi = mid
        else:
            lo = mid
    return wrap_text(text, font, size_pt, hi)


def cell_wrap(text: str, font: str, size_pt: float, width_mm: float) -> list[str]:
    """Wrap a name or position as a typesetter would.

    Break after a comma or a spaced dash first ("Chủ tịch UBND huyện, / Ủy viên ...",
    "Trưởng phòng Lao động - / Thương binh và Xã hội"), putting as many whole clauses
    on a line as fit; a clause longer than a line is wrapped between words, never inside
    a compound word. Without clauses: fill lines, unless that leaves a last line under
    40 % of the first, in which case even the lines out.
    """
    greedy = wrap_text(text, font, size_pt, width_mm)
    if len(greedy) < 2:
        return greedy
    clauses = [c.strip() for c in re.split(r"(?<=,)\s+|(?<=\s[-\u2013\u2014])\s+", text)
               if c.strip()]
    if len(clauses) > 1:
        lines: list[str] = []
        open_line = False  # the last line holds whole clauses and may take another
        for clause in clauses:
            joined = f"{lines[-1]} {clause}" if lines and open_line else None
            if joined and text_mm(joined, font, size_pt) <= width_mm:
                lines[-1] = joined
                continue
            wrapped = balanced_wrap(clause, font, size_pt, width_mm)
            lines += wrapped
            open_line = len(wrapped) == 1
        return lines
    if text_mm(greedy[-1], font, size_pt) < 0.4 * text_mm(greedy[0], font, size_pt):
        return balanced_wrap(text, font, size_pt, width_mm)
    return greedy


def breaks_word(text: str, font: str, size_pt: float, width_mm: float) -> bool:
    return any(text_mm(w, font, size_pt) > width_mm for w in text.split())


@dataclass(frozen=True)
class FittedText:
    """Lines of text and the type size at which they fit a box."""

    lines: tuple[str, ...]
    font: str
    size_pt: float

    @property
    def leading_mm(self) -> float:
        return pt_to_mm(self.size_pt * LEADING)

    @property
    def height_mm(self) -> float:
        return len(self.lines) * self.leading_mm


def fit_text(
    text: str,
    font: str,
    sizes_pt: Sequence[float],
    width_mm: float,
    height_mm: float,
    balanced: bool = True,
) -> FittedText | None:
    """The largest of ``sizes_pt`` at which ``text`` wraps into the box, or None.

    Words are never broken at a size where a whole word does not fit the
    width; at the smallest size they are, as a last resort. ``balanced``
    evens out line lengths (names, positions); otherwise lines are filled.
    """
    for i, size in enumerate(sizes_pt):
        last = i == len(sizes_pt) - 1
        if not last and breaks_word(text, font, size, width_mm):
            continue
        wrap = cell_wrap if balanced and not last else wrap_text
        lines = wrap(text, font, size, width_mm)
        fitted = FittedText(tuple(lines), font, size)
        if fitted.height_mm <= height_mm + 1e-9:
            return fitted
    return None



# ---------------------------------------------------------------------------
# A rich paragraph: runs of text in several faces, wrapped and justified.


@dataclass(frozen=True)
class Word:
    text: str
    font: str


def words_of(runs: Sequence[tuple[str, str]]) -> list[Word]:
    return [Word(w, font) for text, font in runs for w in nfc(text).split()]


def wrap_words(words: list[Word], size_pt: float, width_mm: float) -> list[list[Word]]:
    space = text_mm(" ", REGULAR, size_pt)
    lines: list[list[Word]] = []
    current: list[Word] = []
    used = 0.0
    for word in words:
        w = text_mm(word.text, word.font, size_pt)
        extra = w if not current else space + w
        if current and used + extra > width_mm:
            lines.append(current)
            current, used = [word], w
        else:
            current.append(word)
            used += extra
    if current:
        lines.append(current)
    return lines




def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def instruction_runs(campaign: Campaign, page_count: int) -> list[tuple[str, str]]:
    """The instruction to the voter, as (text, font) runs."""
    levels = ", ".join(f"“{t(lv)}”" for lv in campaign.levels)
    how_many = "hai" if len(campaign.levels) == 2 else "ba"
    runs = [
        ("Cách ghi phiếu:", BOLD_ITALIC),
        (
            f"đối với mỗi người có tên trong danh sách, đánh dấu X hoặc {TICK} vào một ô "
            f"tương ứng với một trong {how_many} mức {levels}. Người nào không có ô nào được đánh "
            "dấu hoặc có từ hai ô trở lên được đánh dấu thì phiếu không hợp lệ đối với "
            "người đó.",
            ITALIC,
        ),
    ]
    if campaign.rules.signature_allowed:
        runs.append(
            (
                "Phiếu gạch tên người có trong danh sách là phiếu không hợp lệ. Người ghi "
                "phiếu có thể ký hoặc không ký vào chỗ dành cho chữ ký ở cuối phiếu; ngoài "
                "chữ ký, không ghi thêm nội dung nào khác trên phiếu.",
                ITALIC,
            )
        )
    else:
        runs.append(("Không ghi thêm nội dung nào khác trên phiếu.", ITALIC))
    if page_count > 1:
        runs.append((f"Phiếu gồm {page_count} trang; ghi phiếu ở tất cả các trang.", BOLD_ITALIC))
    return runs


NO_WRITING_NOTE = "Không viết, vẽ lên mã QR và bốn ô định vị ở bốn góc trang."
SAME_CODE_NOTE = ("Mã QR giống nhau trên mọi phiếu của đợt lấy phiếu này, chỉ để máy đọc số trang; "
                  "mã không cho biết ai ghi phiếu.")

# a test deck's sheet (`pipeline.workflow.testdeck`): in the footer, and down both side margins
TEST_FOOTER = nfc(f"{TEST_MARK}: không dùng để bỏ phiếu")
TEST_MARGIN = nfc(f"{TEST_MARK} · KHÔNG DÙNG ĐỂ BỎ PHIẾU · {TEST_MARK}")
