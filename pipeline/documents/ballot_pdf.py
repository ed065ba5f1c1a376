"""The printed ballot: a PDF drawn exactly where `pipeline.domain.layout` says.

Every position the reader depends on (the four ArUco registration marks, the
QR code, the boxes) comes from `BallotLayout` and is drawn at it to the
precision of the PDF; nothing that a scan is measured against is placed here.
Everything else on the page (the national heading, the issuing body, title,
instruction, names, footer) is typography placed in the free space the layout
leaves, following the look of Nghị định 30/2020/NĐ-CP documents.

Units: the layout is in millimetres from the page's top-left corner, y down;
reportlab draws in points from the bottom-left, y up. `Pen` is the one place
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

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np
from reportlab.pdfgen.canvas import Canvas

from omr.geometry import Rect
from pipeline.documents.ballot_pen import Pen
from pipeline.documents.ballot_text import (
    LEADING,
    NO_WRITING_NOTE,
    SAME_CODE_NOTE,
    TEST_FOOTER,
    TEST_MARGIN,
    FittedText,
    Word,
    balanced_wrap,
    breaks_word,
    capitalise,
    fit_text,
    instruction_runs,
    pt_to_mm,
    text_mm,
    words_of,
    wrap_words,
)
from pipeline.documents.typography import (
    BOLD,
    ITALIC,
    NATIONAL_MOTTO,
    NATIONAL_NAME,
    PT_PER_MM,
    REGULAR,
    date_words,
    nfc,
    register_fonts,
    split_body,
)
from pipeline.domain.campaign import Campaign, Candidate
from pipeline.domain.errors import CampaignError
from pipeline.domain.layout import (
    QR_QUIET_ZONE,
    BallotLayout,
    Column,
    PageLayout,
    qr_matrix,
)
from pipeline.domain.wording import t

# Typographic constants of the page, in mm unless named _PT. Geometry the
# reader relies on is not here: it is in ballot_layouts/*.yaml.
MARKER_CLEARANCE = 2.5  # no text closer than this to a registration mark
LEFT_COLUMN = (22.5, 97.0)  # issuing body (x range)
RIGHT_COLUMN = (99.0, 187.5)  # national heading (x range)
HEADING_FIRST_BASELINE = 13.5
GRID_LINE_PT = 0.5
CELL_PAD_X = 1.5
CELL_PAD_Y = 0.8
SEAL_GREY = 0.72
SEAL_CLEARANCE = 2.0  # no text closer than this to the seal's circle


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
    canvas.setTitle(nfc(f"{campaign.title} - {campaign.body}"))
    canvas.setAuthor("kiemphieu")
    canvas.setSubject(nfc(f"Mã đợt: {campaign.id} · Bố cục: {layout.fingerprint}"))
    canvas.setCreator("kiemphieu")
    pen = Pen(canvas, height)
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


def _draw_marks(pen: Pen, page: PageLayout, levels: Sequence[str],
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



# ---------------------------------------------------------------------------
# Drawing text

def _draw_block(
    pen: Pen, fitted: FittedText, cell: Rect, align: str = "centre", pad_x: float = CELL_PAD_X
) -> None:
    """Draw ``fitted`` centred vertically in ``cell``; horizontal by ``align``."""
    lead = fitted.leading_mm
    top = cell.y + (cell.h - fitted.height_mm) / 2
    for i, line in enumerate(fitted.lines):
        baseline = top + i * lead + lead / 2 + pt_to_mm(fitted.size_pt) * 0.32
        if align == "centre":
            pen.text(cell.x + cell.w / 2, baseline, line, fitted.font, fitted.size_pt, "centre")
        else:
            pen.text(cell.x + pad_x, baseline, line, fitted.font, fitted.size_pt)


# ---------------------------------------------------------------------------
# A rich paragraph: runs of text in several faces, wrapped and justified.


def _draw_paragraph(
    pen: Pen, words: list[Word], x: float, top: float, width: float, size_pt: float
) -> float:
    """Draw a justified paragraph from ``top`` (mm); return the y below its last line."""
    lead = pt_to_mm(size_pt * LEADING)
    lines = wrap_words(words, size_pt, width)
    space = text_mm(" ", REGULAR, size_pt)
    for n, line in enumerate(lines):
        baseline = top + n * lead + pt_to_mm(size_pt) * 0.9
        widths = [text_mm(w.text, w.font, size_pt) for w in line]
        gap = space
        if n < len(lines) - 1 and len(line) > 1:
            gap = (width - sum(widths)) / (len(line) - 1)
        cx = x
        for word, w in zip(line, widths, strict=True):
            pen.text(cx, baseline, word.text, word.font, size_pt)
            cx += w + gap
    return top + len(lines) * lead


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
        fitted = fit_text(nfc(text), font, sizes, col.w - 2 * CELL_PAD_X, row_h - 2 * CELL_PAD_Y)
        if fitted is None:
            line = f", line {cand.line}" if cand.line else ""
            raise CampaignError(
                f"campaign '{self.campaign.id}'{line}: the {what} of STT {cand.stt} "
                f"('{text[:40]}...') does not fit its cell on the ballot even at "
                f"{sizes[-1]} pt; shorten it (abbreviate, e.g. 'UBND', 'HĐND')"
            )
        return fitted

    # -- drawing -------------------------------------------------------------

    def draw(self, pen: Pen) -> None:
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

    def _draw_test_mark(self, pen: Pen) -> None:
        """A test deck's page: MẪU THỬ down both side margins, between the table and the edge."""
        width, height = self.layout.frame.page_size_mm
        x_left = self.layout.columns[0].x / 2
        text = TEST_MARGIN
        for x, angle in ((x_left, 90), (width - x_left, -90)):
            pen.c.saveState()
            pen.c.translate(pen._x(x), pen._y(height / 2))
            pen.c.rotate(angle)
            pen.c.setFillGray(0.35)
            pen.c.setFont(BOLD, 15)
            pen.c.drawCentredString(0, -15 / 3, text)
            pen.c.restoreState()

    def _draw_markers(self, pen: Pen) -> None:
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

    def _draw_qr(self, pen: Pen) -> None:
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
        self, pen: Pen, bold_pt: float, rest_pt: float, first_baseline: float, full: bool = True
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
        while size > 8 and breaks_word(name.upper(), BOLD, size, width):
            size -= 0.5
        lines += [(ln, BOLD, size) for ln in balanced_wrap(name.upper(), BOLD, size, width)]
        if rest:
            lines += [(ln, REGULAR, rest_pt) for ln in balanced_wrap(rest, REGULAR, rest_pt, width)]
        widest = 0.0
        for i, (text, font, sz) in enumerate(lines):
            if i:
                y += pt_to_mm(sz * LEADING)
            pen.text(cx, y, text, font, sz, "centre")
            widest = max(widest, text_mm(text, font, sz))
        rule_y = y + 2.2
        rule = min(widest, 30.0) * 0.5
        pen.line(cx - rule / 2 - 5, rule_y, cx + rule / 2 + 5, rule_y, 0.6)
        return rule_y

    def _draw_first_header(self, pen: Pen) -> None:
        """Heading, seal place, title block and instruction of page 1.

        The seal place (a dashed circle from the layout's ``seal``) is kept clear of text:
        the title block is wrapped to the width centred between the circle and its mirror
        image, and the instruction starts below the circle.
        """
        campaign = self.campaign
        seal = self._seal()
        body_bottom = self._draw_body(pen, 12.5, 12, HEADING_FIRST_BASELINE)
        self._draw_national_heading(pen)
        heading_bottom = max(body_bottom, HEADING_FIRST_BASELINE + 5.3 + 1.6)
        page_cx = self.layout.frame.page_size_mm[0] / 2
        table = self._table_rect()
        block_w, clear_below = table.w, 0.0
        if seal:
            cx, cy, r = seal
            pen.circle(cx, cy, r, 0.5, SEAL_GREY, (1.2, 1.2))
            pen.text(cx, cy + 1.0, "(Dấu)", ITALIC, 7, "centre", grey=SEAL_GREY - 0.1)
            block_w = min(table.w, 2 * (page_cx - (cx + r + SEAL_CLEARANCE)))
            clear_below = cy + r + SEAL_CLEARANCE

        block = self._title_block(block_w)
        block_h = sum(dy for *_, dy in block)
        words = words_of(instruction_runs(campaign, self.count))
        gaps = (5.0, 3.0, 2.5)  # above the title, above the instruction, above the table
        for size in (11.5, 11, 10.5, 10, 9.5, 9, 8.5, 8):
            lines = wrap_words(words, size, table.w)
            instr_h = len(lines) * pt_to_mm(size * LEADING)
            # the instruction's first line starts below the title block and below the seal
            start = max(heading_bottom + gaps[0] + block_h + gaps[1], clear_below)
            if start + instr_h <= self.page.table_top - gaps[2]:
                break
        else:
            raise CampaignError(
                f"campaign '{campaign.id}': the title, subtitle and issuing body take so much "
                "room that the voting instruction does not fit above the table on page 1; "
                "shorten the title or subtitle"
            )
        free = self.page.table_top - gaps[2] - start - instr_h
        y = heading_bottom + gaps[0] + free * 0.45 * (1 if start > clear_below else 0)
        for text, font, sz, dy in block:
            y += dy
            pen.text(page_cx, y, text, font, sz, "centre")
        y = max(y + pt_to_mm(13) * 0.3 + gaps[1], clear_below) + free * 0.25
        _draw_paragraph(pen, words, table.x, y, table.w, size)

    def _draw_national_heading(self, pen: Pen) -> None:
        x0, x1 = RIGHT_COLUMN
        cx = (x0 + x1) / 2
        size = 12.0
        while text_mm(NATIONAL_NAME, BOLD, size) > x1 - x0:
            size -= 0.25
        pen.text(cx, HEADING_FIRST_BASELINE, NATIONAL_NAME, BOLD, size, "centre")
        motto_y = HEADING_FIRST_BASELINE + 5.3
        pen.text(cx, motto_y, NATIONAL_MOTTO, BOLD, 13, "centre")
        half = text_mm(NATIONAL_MOTTO, BOLD, 13) / 2
        pen.line(cx - half, motto_y + 1.6, cx + half, motto_y + 1.6, 0.6)

    def _title_block(self, width: float) -> list[tuple[str, str, float, float]]:
        """The title, subtitle and date as (text, font, size, distance from the previous
        baseline), wrapped to ``width`` mm."""
        campaign = self.campaign
        block: list[tuple[str, str, float, float]] = []
        for i, ln in enumerate(balanced_wrap(nfc(campaign.title).upper(), BOLD, 16, width)):
            block.append((ln, BOLD, 16, pt_to_mm(16) * (0.95 if i == 0 else LEADING)))
        if campaign.subtitle:
            for i, ln in enumerate(balanced_wrap(capitalise(campaign.subtitle), BOLD, 13, width)):
                block.append((ln, BOLD, 13, pt_to_mm(13) * (1.3 if i == 0 else LEADING)))
        when = date_words(campaign.session_date)
        session = f"{campaign.place}, {when}" if campaign.place else capitalise(when)
        block.append((session, ITALIC, 13, pt_to_mm(13) * 1.35))
        return block

    def _draw_next_header(self, pen: Pen) -> None:
        self._draw_body(pen, 11, 10, HEADING_FIRST_BASELINE, full=False)
        pen.text(
            RIGHT_COLUMN[1], HEADING_FIRST_BASELINE, f"Trang {self.number}/{self.count}", BOLD, 11, "right"
        )
        table = self._table_rect()
        page_cx = self.layout.frame.page_size_mm[0] / 2
        title = f"{nfc(self.campaign.title).upper()} (tiếp theo)"
        size = 14.0
        while text_mm(title, BOLD, size) > table.w and size > 9:
            size -= 0.5
        y = self.page.table_top - 10.5
        pen.text(page_cx, y, title, BOLD, size, "centre")
        if self.campaign.subtitle:
            sub = capitalise(self.campaign.subtitle)
            size = 11.0
            while text_mm(sub, ITALIC, size) > table.w and size > 7:
                size -= 0.5
            pen.text(page_cx, y + 5.2, sub, ITALIC, size, "centre")

    def _table_rect(self) -> Rect:
        cols = self.layout.columns
        x0 = cols[0].x
        return Rect(x0, self.page.table_top, cols[-1].x + cols[-1].w - x0, 0)

    def _draw_table(self, pen: Pen) -> float:
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
                band.y + band.h / 2 + pt_to_mm(11) * 0.32,
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

    def _draw_table_end(self, pen: Pen, bottom: float) -> None:
        cols = self.layout.columns
        x_right = cols[-1].x + cols[-1].w
        if self.number == self.count:
            n = len(self.campaign.candidates)
            text = f"Hết danh sách ({n} người)."
        else:
            text = f"Danh sách còn tiếp ở trang {self.number + 1}/{self.count}."
        pen.text(x_right, bottom + 4.5, text, ITALIC, 10, "right")

    def _draw_signature(self, pen: Pen, area: Rect) -> None:
        cx = area.x + area.w / 2
        pen.text(cx, area.y + 4.0, "Chữ ký người ghi phiếu", BOLD, 10, "centre")
        pen.text(cx, area.y + 8.0, "(không bắt buộc)", ITALIC, 9, "centre")
        y = area.y + area.h - 3.0
        # a solid black line: grey dots vanish on a photocopy
        pen.line(area.x + 10, y, area.x + area.w - 10, y, 0.6)

    def _draw_footer(self, pen: Pen) -> None:
        """The page number and, in plain words, what the code is: the same on every ballot
        of the campaign, so it cannot tell who marked a ballot (no machine codes)."""
        qr = self.layout.frame.qr
        x = qr.x + qr.w + 2.0
        signature = self.page.template.writing_allowed
        br = next(m.square for m in self.layout.frame.markers if m.corner == "bottom_right")
        right = min([a.x - 3.0 for a in signature] + [br.x - MARKER_CLEARANCE])
        width = right - x
        lead = pt_to_mm(8.5 * LEADING)
        y = qr.y + QR_QUIET_ZONE + 2.6
        if self.layout.test:
            pen.text(x, y, TEST_FOOTER, BOLD, 8.5)
            y += lead
        paper = f" · {nfc(self.paper)}" if self.paper else ""  # the form's paper colour
        pen.text(x, y, f"Trang {self.number}/{self.count}{paper}", BOLD, 8.5)
        y += lead + 0.4
        for note in (SAME_CODE_NOTE, NO_WRITING_NOTE):
            for ln in balanced_wrap(note, ITALIC, 8, width):
                pen.text(x, y, ln, ITALIC, 8)
                y += pt_to_mm(8 * LEADING)


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
