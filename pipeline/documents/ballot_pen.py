"""The ballot's pen: draws on a reportlab canvas in layout millimetres."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.pdfgen.canvas import Canvas

from omr.geometry import Rect
from pipeline.documents.ballot_text import TICK, pt_to_mm, text_mm
from pipeline.documents.typography import PT_PER_MM, REGULAR, nfc


class Pen:
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
        w = text_mm("X", REGULAR, size_pt)
        h = pt_to_mm(size_pt) * 0.66
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
        text = nfc(text)
        w = text_mm(text, font, size_pt)
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
                x += text_mm("X", font, size_pt)
            if part:
                self.c.setFont(font, size_pt)
                self.c.drawString(self._x(x), self._y(baseline), part)
                x += text_mm(part, font, size_pt)
