"""Where things are printed on a ballot page, in millimetres.

These are the only geometric facts the reader needs: the page size, the four
registration marks, the QR code and the boxes of each row. Coordinates are
millimetres from the page's top-left corner, x to the right, y down, the
same frame as ``WS/layout.json``.

The reader (`omr`) never learns who a row is about: a row is an index and a
tuple of boxes, in the order of the levels printed on the ballot.
"""

from __future__ import annotations

from dataclasses import dataclass

CORNERS = ("top_left", "top_right", "bottom_right", "bottom_left")


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle on the printed page, in mm."""

    x: float
    y: float
    w: float
    h: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    def inset(self, d: float) -> Rect:
        """The rectangle shrunk by ``d`` mm on every side."""
        return Rect(self.x + d, self.y + d, self.w - 2 * d, self.h - 2 * d)

    def corners(self) -> tuple[tuple[float, float], ...]:
        """Top-left, top-right, bottom-right, bottom-left, in mm."""
        x0, y0, x1, y1 = self.x, self.y, self.x + self.w, self.y + self.h
        return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


@dataclass(frozen=True)
class Marker:
    """One ArUco registration mark: its dictionary id and printed square (mm).

    ``corner`` names the page corner it sits in (one of `CORNERS`); the
    marker's own corners, as ArUco reports them, are the square's corners in
    the order top-left, top-right, bottom-right, bottom-left of the upright
    page.
    """

    marker_id: int
    corner: str
    square: Rect


@dataclass(frozen=True)
class PageFrame:
    """What every page of a layout shares: size, registration marks, QR code.

    ``aruco_dictionary`` is the name of an OpenCV predefined dictionary, e.g.
    ``"DICT_4X4_50"``. ``marker_bits`` is the marker's side in cells without
    the black border (4 for a 4x4 dictionary).
    """

    page_size_mm: tuple[float, float]
    aruco_dictionary: str
    markers: tuple[Marker, ...]
    qr: Rect


@dataclass(frozen=True)
class RowSpec:
    """One printed row of boxes: ``row`` is a 1-based index on the ballot.

    ``boxes`` are the printed squares in level order; ``band`` is the whole
    row across the table (used to look for writing outside the boxes).
    """

    row: int
    boxes: tuple[Rect, ...]
    band: Rect


@dataclass(frozen=True)
class PageTemplate:
    """The boxes printed on one page of a ballot.

    ``page`` is 1-based; ``writing_allowed`` are areas where voters may write
    (a signature place) and where writing must not raise a doubt.
    """

    page: int
    frame: PageFrame
    rows: tuple[RowSpec, ...]
    box_line_mm: float = 0.3
    writing_allowed: tuple[Rect, ...] = ()
