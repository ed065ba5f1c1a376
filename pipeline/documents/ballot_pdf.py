"""The printed ballot: a PDF drawn exactly where `pipeline.domain.layout` says.

Every position the reader depends on (the four ArUco registration marks, the
QR code, the boxes) comes from `BallotLayout` and is drawn at it to the
precision of the PDF; nothing that a scan is measured against is placed here.
Everything else on the page (the national heading, the issuing body, title,
instruction, names, footer) is typography placed in the free space the layout
leaves, following the look of Nghị định 30/2020/NĐ-CP documents.

Units: the layout is in millimetres from the page's top-left corner, y down;
reportlab draws in points from the bottom-left, y up. `_Pen` is the one place
that converts (1 mm = 72 / 25.4 pt).

Text is drawn in Liberation Serif (bundled in ``pipeline/documents/fonts``, embedded as
subsets) and always in Unicode NFC: reportlab does no mark positioning, so
decomposed text would stack its diacritics wrongly.

Copies are identical: a ballot carries no serial number, so a marked ballot
cannot be traced to the voter it was handed to. The output is deterministic
(reportlab ``invariant``): the same campaign and layout give the same bytes.

What can go wrong: a name or position too long to fit its cell even in the
smallest allowed type raises `CampaignError` naming the person, so the clerk
can shorten it in the campaign file.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from omr.geometry import Rect
from pipeline.domain.campaign import Campaign, Candidate
from pipeline.domain.errors import CampaignError
from pipeline.domain.layout import (
    QR_QUIET_ZONE,
    TEST_MARK,
    BallotLayout,
    Column,
    PageLayout,
    qr_matrix,
)
from pipeline.domain.wording import t

PT_PER_MM = 72 / 25.4

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

# Typographic constants of the page, in mm unless named _PT. Geometry the
# reader relies on is not here: it is in ballot_layouts/*.yaml.
MARKER_CLEARANCE = 2.5  # no text closer than this to a registration mark
LEFT_COLUMN = (22.5, 97.0)  # issuing body (x range)
RIGHT_COLUMN = (99.0, 187.5)  # national heading (x range)
HEADING_FIRST_BASELINE = 13.5
GRID_LINE_PT = 0.5
CELL_PAD_X = 1.5
CELL_PAD_Y = 0.8
LEADING = 1.17  # line height as a multiple of the type size
SEAL_GREY = 0.72
TICK = "\u2713"  # drawn as a vector tick: Liberation Serif has no ✓ glyph
DASHES = ("-", "\u2013", "\u2014")  # a spaced dash ends its line, never starts one


def render_ballots(campaign: Campaign, layout: BallotLayout, copies: int, out: Path,
                   form: str | None = None) -> int:
    """Write ``copies`` collated copies of the ballot to the PDF file ``out``.

    All pages of copy 1 come first, then copy 2, and so on. ``form``: only that
    ballot form's pages (a campaign of several forms prints each on its own paper).
    Returns the number of pages written. Raises `ValueError` if ``copies`` is
    below 1, `CampaignError` if a name or position cannot fit its cell, and
    `OSError` if ``out`` cannot be written.
    """
    data = ballot_pdf_bytes(campaign, layout, copies, form=form)
    Path(out).write_bytes(data)
    pages = layout.form(form).page_count if form is not None else layout.page_count
    return copies * pages


def ballot_pdf_bytes(campaign: Campaign, layout: BallotLayout, copies: int = 1,
                     form: str | None = None,
                     marks: Sequence[Mapping[int, str]] | None = None) -> bytes:
    """The same PDF as `render_ballots`, returned as bytes; ``marks`` (a test deck's, one
    per copy: candidate -> level) draws a cross in each such box of that copy."""
    if copies < 1:
        raise ValueError(f"copies must be at least 1, not {copies}")
    register_fonts()
    buf = io.BytesIO()
    width, height = layout.frame.page_size_mm
    canvas = Canvas(
        buf,
        pagesize=(width * PT_PER_MM, height * PT_PER_MM),
        invariant=1,
        pageCompression=1,
        initialFontName=REGULAR,  # else every page names a non-embedded Helvetica
        initialFontSize=11,
        lang="vi",
    )
    canvas.setTitle(_nfc(f"{campaign.title} - {campaign.body}"))
    canvas.setAuthor("kiemphieu")
    canvas.setSubject(_nfc(f"Mã đợt: {campaign.id} · Bố cục: {layout.fingerprint}"))
    canvas.setCreator("kiemphieu")
    pen = _Pen(canvas, height)
    # Each page is drawn once as a form XObject; every copy places the form.
    forms: list[tuple[PageLayout, str]] = []
    views = {f.id: campaign.form_view(f) for f in campaign.forms}
    for page in layout.pages:
        if form is not None and page.form != form:
            continue
        name = f"ballot-page-{page.template.page}"
        canvas.beginForm(name)
        _PagePlan(views.get(page.form, campaign), layout, page).draw(pen)
        canvas.endForm()
        forms.append((page, name))
    for copy in range(copies):
        for page, name in forms:
            canvas.doForm(name)
            if marks is not None:
                _draw_marks(pen, page, layout.levels, marks[copy])
            canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _draw_marks(pen: _Pen, page: PageLayout, levels: Sequence[str],
                marks: Mapping[int, str]) -> None:
    """A cross, as a voter draws it, in the box of each candidate's level on ``page``."""
    for cand, row in zip(page.candidates, page.template.rows, strict=True):
        level = marks.get(cand.stt)
        if level is None:
            continue
        box = row.boxes[levels.index(level)]
        inset = box.w * 0.18
        x0, y0, x1, y1 = box.x + inset, box.y + inset, box.x + box.w - inset, box.y + box.h - inset
        pen.line(x0, y0, x1, y1, 2.2)
        pen.line(x0, y1, x1, y0, 2.2)


@functools.cache
def register_fonts() -> None:
    """Register the bundled Liberation Serif faces with reportlab (once)."""
    for name, filename in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _width(text: str, font: str, size: float) -> float:
    """Advance width of ``text`` in mm (the vector tick counts as an 'X')."""
    text = text.replace(TICK, "X")
    return pdfmetrics.stringWidth(text, font, size) / PT_PER_MM


def _pt_to_mm(pt: float) -> float:
    return pt / PT_PER_MM


class _Pen:
    """Draws on a reportlab canvas in layout millimetres (top-left origin, y down)."""

    def __init__(self, canvas: Canvas, page_height_mm: float) -> None:
        self.c = canvas
        self.page_h = page_height_mm

    def _x(self, x: float) -> float:
        return x * PT_PER_MM

    def _y(self, y: float) -> float:
        return (self.page_h - y) * PT_PER_MM

    def fill_rects(self, rects: Sequence[Rect], grey: float = 0.0) -> None:
        """Fill ``rects`` as one path, so adjacent cells render without seams."""
        if not rects:
            return
        self.c.setFillGray(grey)
        path = self.c.beginPath()
        for r in rects:
            path.rect(self._x(r.x), self._y(r.y + r.h), r.w * PT_PER_MM, r.h * PT_PER_MM)
        self.c.drawPath(path, stroke=0, fill=1)

    def stroke_rect(self, r: Rect, line_mm: float, grey: float = 0.0) -> None:
        """Outline ``r`` with a line of ``line_mm`` centred on its edges."""
        self.c.setStrokeGray(grey)
        self.c.setLineWidth(line_mm * PT_PER_MM)
        self.c.setLineJoin(0)
        self.c.setDash()
        self.c.rect(self._x(r.x), self._y(r.y + r.h), r.w * PT_PER_MM, r.h * PT_PER_MM, stroke=1, fill=0)

    def line(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        width_pt: float,
        grey: float = 0.0,
        dash: Sequence[float] | None = None,
    ) -> None:
        self.c.setStrokeGray(grey)
        self.c.setLineWidth(width_pt)
        self.c.setLineCap(0)
        if dash:
            self.c.setDash([d * PT_PER_MM for d in dash])
        else:
            self.c.setDash()
        self.c.line(self._x(x0), self._y(y0), self._x(x1), self._y(y1))

    def circle(
        self, cx: float, cy: float, r: float, width_pt: float, grey: float, dash: Sequence[float]
    ) -> None:
        self.c.setStrokeGray(grey)
        self.c.setLineWidth(width_pt)
        self.c.setDash([d * PT_PER_MM for d in dash])
        self.c.circle(self._x(cx), self._y(cy), r * PT_PER_MM, stroke=1, fill=0)
        self.c.setDash()

    def tick(self, x: float, baseline: float, size_pt: float) -> None:
        """A hand-style check mark one 'X' wide, standing on ``baseline``."""
        w = _width("X", REGULAR, size_pt)
        h = _pt_to_mm(size_pt) * 0.66
        self.c.setStrokeGray(0)
        self.c.setLineWidth(size_pt * 0.09)
        self.c.setLineCap(1)
        self.c.setLineJoin(1)
        self.c.setDash()
        path = self.c.beginPath()
        path.moveTo(self._x(x + 0.1 * w), self._y(baseline - 0.45 * h))
        path.lineTo(self._x(x + 0.38 * w), self._y(baseline))
        path.lineTo(self._x(x + 0.95 * w), self._y(baseline - h))
        self.c.drawPath(path, stroke=1, fill=0)
        self.c.setLineCap(0)
        self.c.setLineJoin(0)

    def text(
        self,
        x: float,
        baseline: float,
        text: str,
        font: str,
        size_pt: float,
        align: str = "left",
        grey: float = 0.0,
    ) -> None:
        """Draw one line of ``text``; ``align`` is left, centre or right of ``x``."""
        text = _nfc(text)
        w = _width(text, font, size_pt)
        if align == "centre":
            x -= w / 2
        elif align == "right":
            x -= w
        self.c.setFillGray(grey)
        if TICK not in text:
            self.c.setFont(font, size_pt)
            self.c.drawString(self._x(x), self._y(baseline), text)
            return
        for i, part in enumerate(text.split(TICK)):
            if i:
                self.tick(x, baseline, size_pt)
                x += _width("X", font, size_pt)
            if part:
                self.c.setFont(font, size_pt)
                self.c.drawString(self._x(x), self._y(baseline), part)
                x += _width(part, font, size_pt)


# ---------------------------------------------------------------------------
# Text fitting


def wrap_text(text: str, font: str, size_pt: float, width_mm: float) -> list[str]:
    """Greedy word wrap of ``text`` into lines no wider than ``width_mm``.

    A single word wider than the line is broken between characters.
    """
    tokens = _tokens(text)
    if any(_width(t, font, size_pt) > width_mm for t in tokens):
        tokens = text.split()  # a dash group wider than the line: break at any space
    lines: list[str] = []
    current = ""
    for word in tokens:
        candidate = f"{current} {word}" if current else word
        if _width(candidate, font, size_pt) <= width_mm:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while _width(word, font, size_pt) > width_mm:
            cut = max(1, _longest_prefix(word, font, size_pt, width_mm))
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def _tokens(text: str) -> list[str]:
    """Words to wrap; a spaced dash stays at the end of its line ("Kinh tế -")."""
    tokens: list[str] = []
    for word in text.split():
        if word in DASHES and tokens:
            tokens[-1] = f"{tokens[-1]} {word}"
        else:
            tokens.append(word)
    return tokens


def _longest_prefix(word: str, font: str, size_pt: float, width_mm: float) -> int:
    n = 0
    while n < len(word) and _width(word[: n + 1], font, size_pt) <= width_mm:
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
    for _ in range(20):
        mid = (lo + hi) / 2
        if len(wrap_text(text, font, size_pt, mid)) <= len(lines) and not _breaks_word(
            text, font, size_pt, mid
        ):
            hi = mid
        else:
            lo = mid
    return wrap_text(text, font, size_pt, hi)


def cell_wrap(text: str, font: str, size_pt: float, width_mm: float) -> list[str]:
    """Wrap a name or position as a typesetter would, in as few lines as greedy.

    Prefer breaking after a comma ("Chủ tịch UBND huyện, / Ủy viên ..."); else
    fill lines, unless that leaves a last line under 40 % of the first, in
    which case even the lines out.
    """
    greedy = wrap_text(text, font, size_pt, width_mm)
    if len(greedy) < 2:
        return greedy
    clauses = [c.strip() for c in re.split(r"(?<=,)\s+", text) if c.strip()]
    if len(clauses) > 1:
        by_clause = [ln for c in clauses for ln in wrap_text(c, font, size_pt, width_mm)]
        if len(by_clause) <= len(greedy):
            return by_clause
    if _width(greedy[-1], font, size_pt) < 0.4 * _width(greedy[0], font, size_pt):
        return balanced_wrap(text, font, size_pt, width_mm)
    return greedy


def _breaks_word(text: str, font: str, size_pt: float, width_mm: float) -> bool:
    return any(_width(w, font, size_pt) > width_mm for w in text.split())


@dataclass(frozen=True)
class FittedText:
    """Lines of text and the type size at which they fit a box."""

    lines: tuple[str, ...]
    font: str
    size_pt: float

    @property
    def leading_mm(self) -> float:
        return _pt_to_mm(self.size_pt * LEADING)

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
        if not last and _breaks_word(text, font, size, width_mm):
            continue
        wrap = cell_wrap if balanced and not last else wrap_text
        lines = wrap(text, font, size, width_mm)
        fitted = FittedText(tuple(lines), font, size)
        if fitted.height_mm <= height_mm + 1e-9:
            return fitted
    return None


def _draw_block(
    pen: _Pen, fitted: FittedText, cell: Rect, align: str = "centre", pad_x: float = CELL_PAD_X
) -> None:
    """Draw ``fitted`` centred vertically in ``cell``; horizontal by ``align``."""
    lead = fitted.leading_mm
    top = cell.y + (cell.h - fitted.height_mm) / 2
    for i, line in enumerate(fitted.lines):
        baseline = top + i * lead + lead / 2 + _pt_to_mm(fitted.size_pt) * 0.32
        if align == "centre":
            pen.text(cell.x + cell.w / 2, baseline, line, fitted.font, fitted.size_pt, "centre")
        else:
            pen.text(cell.x + pad_x, baseline, line, fitted.font, fitted.size_pt)


# ---------------------------------------------------------------------------
# A rich paragraph: runs of text in several faces, wrapped and justified.


@dataclass(frozen=True)
class _Word:
    text: str
    font: str


def _words(runs: Sequence[tuple[str, str]]) -> list[_Word]:
    return [_Word(w, font) for text, font in runs for w in _nfc(text).split()]


def _wrap_words(words: list[_Word], size_pt: float, width_mm: float) -> list[list[_Word]]:
    space = _width(" ", REGULAR, size_pt)
    lines: list[list[_Word]] = []
    current: list[_Word] = []
    used = 0.0
    for word in words:
        w = _width(word.text, word.font, size_pt)
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


def _draw_paragraph(
    pen: _Pen, words: list[_Word], x: float, top: float, width: float, size_pt: float
) -> float:
    """Draw a justified paragraph from ``top`` (mm); return the y below its last line."""
    lead = _pt_to_mm(size_pt * LEADING)
    lines = _wrap_words(words, size_pt, width)
    space = _width(" ", REGULAR, size_pt)
    for n, line in enumerate(lines):
        baseline = top + n * lead + _pt_to_mm(size_pt) * 0.9
        widths = [_width(w.text, w.font, size_pt) for w in line]
        gap = space
        if n < len(lines) - 1 and len(line) > 1:
            gap = (width - sum(widths)) / (len(line) - 1)
        cx = x
        for word, w in zip(line, widths, strict=True):
            pen.text(cx, baseline, word.text, word.font, size_pt)
            cx += w + gap
    return top + len(lines) * lead


# ---------------------------------------------------------------------------
# Wording


def split_body(body: str) -> tuple[str, str | None]:
    """The issuing body's name and what qualifies it (term, tenure).

    "Hội đồng nhân dân huyện Ninh Sơn khóa XII, nhiệm kỳ 2021-2026" gives
    ("Hội đồng nhân dân huyện Ninh Sơn", "Khóa XII, nhiệm kỳ 2021-2026").
    """
    body = _nfc(body).strip()
    m = re.search(r"\s(khóa|khoá)\s", body, flags=re.IGNORECASE)
    cut = m.start() if m else body.find(",")
    if cut <= 0:
        return body, None
    name, rest = body[:cut].strip(" ,"), body[cut:].strip(" ,")
    return name, (_capitalise(rest) if rest else None)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def date_words(day: dt.date) -> str:
    """'ngày 08 tháng 12 năm 2023': Nghị định 30/2020 pads days below 10 and months below 3."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


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


NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"
NO_WRITING_NOTE = "Không viết, vẽ lên mã QR và bốn ô định vị ở bốn góc trang."


# ---------------------------------------------------------------------------
# One page


class _PagePlan:
    """Everything drawn on one page, with its text already fitted."""

    def __init__(self, campaign: Campaign, layout: BallotLayout, page: PageLayout) -> None:
        self.campaign = campaign
        self.layout = layout
        self.page = page
        form = layout.form_of(page.template.page)  # the page within its form
        self.number = page.template.page - form.first_page + 1
        self.count = form.page_count
        self.paper = form.paper
        self.cells = [self._fit_row(cand) for cand in page.candidates]

    # -- fitting -------------------------------------------------------------

    def _fit_row(self, cand: Candidate) -> tuple[FittedText, FittedText]:
        cols = {c.name: c for c in self.layout.columns}
        row_h = float(self.layout.spec["table"]["row_height"])
        name = self._fit_cell(
            cand, "name", cand.name, BOLD, (11, 10.5, 10, 9.5, 9, 8.5, 8, 7.5, 7), cols["name"], row_h
        )
        pos = self._fit_cell(
            cand,
            "position",
            cand.position,
            REGULAR,
            (10, 9.5, 9, 8.5, 8, 7.5, 7, 6.5),
            cols["position"],
            row_h,
        )
        return name, pos

    def _fit_cell(
        self,
        cand: Candidate,
        what: str,
        text: str,
        font: str,
        sizes: Sequence[float],
        col: Column,
        row_h: float,
    ) -> FittedText:
        fitted = fit_text(_nfc(text), font, sizes, col.w - 2 * CELL_PAD_X, row_h - 2 * CELL_PAD_Y)
        if fitted is None:
            line = f", line {cand.line}" if cand.line else ""
            raise CampaignError(
                f"campaign '{self.campaign.id}'{line}: the {what} of STT {cand.stt} "
                f"('{text[:40]}...') does not fit its cell on the ballot even at "
                f"{sizes[-1]} pt; shorten it (abbreviate, e.g. 'UBND', 'HĐND')"
            )
        return fitted

    # -- drawing -------------------------------------------------------------

    def draw(self, pen: _Pen) -> None:
        self._draw_markers(pen)
        self._draw_qr(pen)
        if self.number == 1:
            self._draw_first_header(pen)
        else:
            self._draw_next_header(pen)
        bottom = self._draw_table(pen)
        self._draw_table_end(pen, bottom)
        for area in self.page.template.writing_allowed:
            self._draw_signature(pen, area)
        self._draw_footer(pen)
        if self.layout.test:
            self._draw_test_mark(pen)

    def _draw_test_mark(self, pen: _Pen) -> None:
        """A test deck's page: MẪU THỬ down both side margins, between the table and the edge."""
        width, height = self.layout.frame.page_size_mm
        x_left = self.layout.columns[0].x / 2
        text = _nfc(f"{TEST_MARK} · KHÔNG DÙNG ĐỂ BỎ PHIẾU · {TEST_MARK}")
        for x, angle in ((x_left, 90), (width - x_left, -90)):
            pen.c.saveState()
            pen.c.translate(pen._x(x), pen._y(height / 2))
            pen.c.rotate(angle)
            pen.c.setFillGray(0.35)
            pen.c.setFont(BOLD, 15)
            pen.c.drawCentredString(0, -_pt_to_mm(15) / 3 * PT_PER_MM, text)
            pen.c.restoreState()

    def _draw_markers(self, pen: _Pen) -> None:
        dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, self.layout.frame.aruco_dictionary))
        for marker in self.layout.frame.markers:
            cells = _marker_cells(dictionary, marker.marker_id)
            n = len(cells)
            sq = marker.square
            cw, ch = sq.w / n, sq.h / n
            rects = [
                Rect(sq.x + c0 * cw, sq.y + r * ch, (c1 - c0) * cw, ch)
                for r, row in enumerate(cells)
                for c0, c1 in _runs(row)
            ]
            pen.fill_rects(rects)

    def _draw_qr(self, pen: _Pen) -> None:
        matrix = qr_matrix(self.layout.code_text(self.page.template.page))
        area = self.layout.code_symbol
        n = len(matrix)
        m = area.w / n
        rects = [
            Rect(area.x + c0 * m, area.y + r * m, (c1 - c0) * m, m)
            for r, row in enumerate(matrix)
            for c0, c1 in _runs(row)
        ]
        pen.fill_rects(rects)

    def _seal(self) -> tuple[float, float, float] | None:
        seal = self.layout.spec.get("seal")
        if not seal:
            return None
        s = float(seal["size"])
        return float(seal["x"]) + s / 2, float(seal["y"]) + s / 2, s / 2

    def _draw_body(
        self, pen: _Pen, bold_pt: float, rest_pt: float, first_baseline: float, full: bool = True
    ) -> float:
        """The issuing body, centred in the left column; return the y of its rule.

        ``full`` adds the qualifying line (term, tenure) under the name.
        """
        name, rest = split_body(self.campaign.body)
        rest = rest if full else None
        x0, x1 = LEFT_COLUMN
        cx, width = (x0 + x1) / 2, x1 - x0
        y = first_baseline
        lines: list[tuple[str, str, float]] = []
        size = bold_pt
        while size > 8 and _breaks_word(name.upper(), BOLD, size, width):
            size -= 0.5
        lines += [(ln, BOLD, size) for ln in balanced_wrap(name.upper(), BOLD, size, width)]
        if rest:
            lines += [(ln, REGULAR, rest_pt) for ln in balanced_wrap(rest, REGULAR, rest_pt, width)]
        widest = 0.0
        for i, (text, font, sz) in enumerate(lines):
            if i:
                y += _pt_to_mm(sz * LEADING)
            pen.text(cx, y, text, font, sz, "centre")
            widest = max(widest, _width(text, font, sz))
        rule_y = y + 2.2
        rule = min(widest, 30.0) * 0.5
        pen.line(cx - rule / 2 - 5, rule_y, cx + rule / 2 + 5, rule_y, 0.6)
        return rule_y

    def _draw_first_header(self, pen: _Pen) -> None:
        campaign = self.campaign
        seal = self._seal()
        if seal:
            cx, cy, r = seal
            pen.circle(cx, cy, r, 0.5, SEAL_GREY, (1.2, 1.2))
            pen.text(cx, cy + r - 3.0, "(Dấu)", ITALIC, 7, "centre", grey=SEAL_GREY - 0.1)
        body_bottom = self._draw_body(pen, 12.5, 12, HEADING_FIRST_BASELINE)

        x0, x1 = RIGHT_COLUMN
        cx = (x0 + x1) / 2
        size = 12.0
        while _width(NATIONAL_NAME, BOLD, size) > x1 - x0:
            size -= 0.25
        pen.text(cx, HEADING_FIRST_BASELINE, NATIONAL_NAME, BOLD, size, "centre")
        motto_y = HEADING_FIRST_BASELINE + 5.3
        pen.text(cx, motto_y, NATIONAL_MOTTO, BOLD, 13, "centre")
        half = _width(NATIONAL_MOTTO, BOLD, 13) / 2
        pen.line(cx - half, motto_y + 1.6, cx + half, motto_y + 1.6, 0.6)

        heading_bottom = max(body_bottom, motto_y + 1.6)
        page_cx = self.layout.frame.page_size_mm[0] / 2
        table = self._table_rect()

        # The title block, as (text, font, size, distance from the previous baseline).
        block: list[tuple[str, str, float, float]] = []
        for i, ln in enumerate(balanced_wrap(_nfc(campaign.title).upper(), BOLD, 16, table.w)):
            block.append((ln, BOLD, 16, _pt_to_mm(16) * (0.95 if i == 0 else LEADING)))
        if campaign.subtitle:
            for i, ln in enumerate(balanced_wrap(_capitalise(campaign.subtitle), BOLD, 13, table.w)):
                block.append((ln, BOLD, 13, _pt_to_mm(13) * (1.3 if i == 0 else LEADING)))
        when = date_words(campaign.session_date)
        session = f"{campaign.place}, {when}" if campaign.place else _capitalise(when)
        block.append((session, ITALIC, 13, _pt_to_mm(13) * 1.35))
        block_h = sum(dy for *_, dy in block)

        words = _words(instruction_runs(campaign, self.count))
        min_gaps = (5.0, 3.0, 2.5)  # above the title, above the instruction, above the table
        room = self.page.table_top - heading_bottom - sum(min_gaps) - block_h
        for size in (11.5, 11, 10.5, 10, 9.5, 9, 8.5, 8):
            lines = _wrap_words(words, size, table.w)
            instr_h = len(lines) * _pt_to_mm(size * LEADING)
            if instr_h <= room:
                break
        else:
            raise CampaignError(
                f"campaign '{campaign.id}': the title, subtitle and issuing body take so much "
                "room that the voting instruction does not fit above the table on page 1; "
                "shorten the title or subtitle"
            )
        free = max(0.0, room - instr_h)
        y = heading_bottom + min_gaps[0] + free * 0.45
        for text, font, sz, dy in block:
            y += dy
            pen.text(page_cx, y, text, font, sz, "centre")
        y += _pt_to_mm(13) * 0.3 + min_gaps[1] + free * 0.25
        _draw_paragraph(pen, words, table.x, y, table.w, size)

    def _draw_next_header(self, pen: _Pen) -> None:
        self._draw_body(pen, 11, 10, HEADING_FIRST_BASELINE, full=False)
        pen.text(
            RIGHT_COLUMN[1], HEADING_FIRST_BASELINE, f"Trang {self.number}/{self.count}", BOLD, 11, "right"
        )
        table = self._table_rect()
        page_cx = self.layout.frame.page_size_mm[0] / 2
        title = f"{_nfc(self.campaign.title).upper()} (tiếp theo)"
        size = 14.0
        while _width(title, BOLD, size) > table.w and size > 9:
            size -= 0.5
        y = self.page.table_top - 10.5
        pen.text(page_cx, y, title, BOLD, size, "centre")
        if self.campaign.subtitle:
            sub = _capitalise(self.campaign.subtitle)
            size = 11.0
            while _width(sub, ITALIC, size) > table.w and size > 7:
                size -= 0.5
            pen.text(page_cx, y + 5.2, sub, ITALIC, size, "centre")

    def _table_rect(self) -> Rect:
        cols = self.layout.columns
        x0 = cols[0].x
        return Rect(x0, self.page.table_top, cols[-1].x + cols[-1].w - x0, 0)

    def _draw_table(self, pen: _Pen) -> float:
        """Header, grid, text and boxes; return the y of the table's bottom edge."""
        tbl = self.layout.spec["table"]
        header_h = float(tbl["header_height"])
        top = self.page.table_top
        rows = self.page.template.rows
        bottom = rows[-1].band.y + rows[-1].band.h if rows else top + header_h
        cols = self.layout.columns
        x_left, x_right = cols[0].x, cols[-1].x + cols[-1].w

        for col in cols:
            cell = Rect(col.x, top, col.w, header_h)
            label = t(col.name)
            fitted = fit_text(
                label,
                BOLD,
                (11, 10.5, 10, 9.5, 9, 8.5, 8),
                col.w - 2 * 0.8,
                header_h - 2 * CELL_PAD_Y,
                balanced=False,
            )
            if fitted is None:  # the template's header row is too small for its labels
                raise CampaignError(
                    f"layout '{self.layout.template_name}': the column heading '{label}' "
                    "does not fit the table header; widen the column or the header row"
                )
            _draw_block(pen, fitted, cell)

        for cand, row, (name, pos) in zip(self.page.candidates, rows, self.cells, strict=True):
            band = row.band
            by_name = {c.name: c for c in cols}
            stt = by_name["stt"]
            pen.text(
                stt.x + stt.w / 2,
                band.y + band.h / 2 + _pt_to_mm(11) * 0.32,
                str(cand.stt),
                REGULAR,
                11,
                "centre",
            )
            ncol, pcol = by_name["name"], by_name["position"]
            _draw_block(pen, name, Rect(ncol.x, band.y, ncol.w, band.h), align="left")
            _draw_block(pen, pos, Rect(pcol.x, band.y, pcol.w, band.h), align="left")
            for box in row.boxes:
                pen.stroke_rect(box, self.page.template.box_line_mm)

        # grid: horizontal lines at the table's top, under the header, under each row
        ys = [top, top + header_h, *(r.band.y + r.band.h for r in rows)]
        for y in ys:
            pen.line(x_left, y, x_right, y, GRID_LINE_PT)
        for x in [c.x for c in cols] + [x_right]:
            pen.line(x, top, x, bottom, GRID_LINE_PT)
        return bottom

    def _draw_table_end(self, pen: _Pen, bottom: float) -> None:
        cols = self.layout.columns
        x_right = cols[-1].x + cols[-1].w
        if self.number == self.count:
            n = len(self.campaign.candidates)
            text = f"Hết danh sách ({n} người)."
        else:
            text = f"Danh sách còn tiếp ở trang {self.number + 1}/{self.count}."
        pen.text(x_right, bottom + 4.5, text, ITALIC, 10, "right")

    def _draw_signature(self, pen: _Pen, area: Rect) -> None:
        cx = area.x + area.w / 2
        pen.text(cx, area.y + 4.0, "Chữ ký người ghi phiếu", BOLD, 10, "centre")
        pen.text(cx, area.y + 8.0, "(không bắt buộc)", ITALIC, 9, "centre")
        y = area.y + area.h - 3.0
        pen.line(area.x + 10, y, area.x + area.w - 10, y, 0.5, grey=0.55, dash=(0.4, 0.9))

    def _draw_footer(self, pen: _Pen) -> None:
        qr = self.layout.frame.qr
        x = qr.x + qr.w + 2.0
        signature = self.page.template.writing_allowed
        br = next(m.square for m in self.layout.frame.markers if m.corner == "bottom_right")
        right = min([a.x - 3.0 for a in signature] + [br.x - MARKER_CLEARANCE])
        width = right - x
        items = [
            *([(f"{TEST_MARK}: không dùng để bỏ phiếu", BOLD)] if self.layout.test else []),
            (f"Trang {self.number}/{self.count}", BOLD),
            (f"Mã đợt: {self.campaign.id}", REGULAR),
            (f"Bố cục: {self.layout.fingerprint}", REGULAR),
            *([(_nfc(self.paper), BOLD)] if self.paper else []),
        ]
        size = 8.5
        lines = _pack_items(items, size, width)
        lead = _pt_to_mm(size * LEADING)
        y = qr.y + QR_QUIET_ZONE + 2.6
        for line in lines:
            cx = x
            for i, (text, font) in enumerate(line):
                if i:
                    pen.text(cx, y, " · ", REGULAR, size)
                    cx += _width(" · ", REGULAR, size)
                pen.text(cx, y, text, font, size)
                cx += _width(text, font, size)
            y += lead
        y += 0.6
        for ln in balanced_wrap(NO_WRITING_NOTE, ITALIC, 8, width):
            pen.text(x, y, ln, ITALIC, 8)
            y += _pt_to_mm(8 * LEADING)


def _pack_items(items: list[tuple[str, str]], size_pt: float, width_mm: float) -> list[list[tuple[str, str]]]:
    """Pack footer items into lines joined by ' · ', starting a line where one is full."""
    sep = _width(" · ", REGULAR, size_pt)
    lines: list[list[tuple[str, str]]] = []
    used = 0.0
    for text, font in items:
        w = _width(text, font, size_pt)
        if lines and used + sep + w <= width_mm:
            lines[-1].append((text, font))
            used += sep + w
        else:
            lines.append([(text, font)])
            used = w
    return lines


def _runs(row: Sequence[bool]) -> list[tuple[int, int]]:
    """Half-open [start, end) spans of True cells in ``row``."""
    spans = []
    start = None
    for i, v in enumerate([*row, False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            spans.append((start, i))
            start = None
    return spans


def _marker_cells(dictionary: cv2.aruco.Dictionary, marker_id: int) -> list[list[bool]]:
    """Black cells (True) of an ArUco marker, border included, row by row."""
    side = dictionary.markerSize + 2
    image = cv2.aruco.generateImageMarker(dictionary, marker_id, side)
    return [[bool(v < 128) for v in row] for row in image]


def printed_pages(layout: BallotLayout, px_per_mm: float) -> tuple[np.ndarray, ...]:
    """Every page of one copy of the ballot as printed: uint8 grey (H, W) at ``px_per_mm``.

    Raises
    ------
    ValueError
        If the layout does not carry its campaign.
    """
    import pypdfium2 as pdfium  # a reader's need: printing does not load pdfium

    if layout.campaign is None:
        raise ValueError("the layout does not carry its campaign: build it with build_layout")
    pdf = ballot_pdf_bytes(layout.campaign, layout, copies=1)
    doc = pdfium.PdfDocument(pdf)
    out = []
    try:
        for i in range(len(doc)):
            page = doc[i]
            try:
                bitmap = page.render(scale=px_per_mm / PT_PER_MM, grayscale=True)
                arr = np.array(bitmap.to_numpy(), dtype=np.uint8, copy=True)
                bitmap.close()
            finally:
                page.close()
            out.append(arr if arr.ndim == 2 else arr[:, :, 0])
    finally:
        doc.close()
    return tuple(out)
