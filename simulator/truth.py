"""Truth.

A ballot marked as its voter meant (`mark_ballot`), and what each page and row should
read as (`PageTruth`, `RowTruth`, `NoteTruth`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from omr.geometry import Rect

if TYPE_CHECKING:
    from pipeline.domain.layout import BallotLayout

from simulator.kinds import SPILL, Outcome, Status
from simulator.marks import STRESS_PENS, Mark, curve, draw_mark, ink_strokes, mark_strokes_mm, smooth_noise
from simulator.notes import NOTE_KINDS, SMALL_NOTE_KINDS, draw_note
from simulator.paper import px_per_mm
from simulator.voters import MarkMix, VotedRow, Voter


@dataclass(frozen=True)
class RowTruth:
    """What the reader should report for one row, and what was drawn."""

    candidate: int
    outcome: Outcome
    level: str | None
    marks: tuple[tuple[str, Mark], ...] = ()  # (level, mark) as drawn
    note: str | None = None  # the kind of a note written beside the row (`PageTruth.notes`)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "candidate": self.candidate,
            "outcome": self.outcome,
            "level": self.level,
            "marks": [{"level": lv, **asdict(m)} for lv, m in self.marks],
        }
        if self.note is not None:  # only then: earlier truth files stay as they were
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class NoteTruth:
    """A note written on a ballot page outside the boxes, as drawn.

    ``place`` is the rectangle (page mm) it was written in (for ``circle``,
    the rectangle ringed); ``where`` names it (`note_places`);
    ``candidate`` is the STT of the row it is beside, whose truth is
    ``review``, or None for a note away from the table's rows: the page's
    truth is then a doubt about the page (``scan --jsonl`` ``doubts``).
    """

    kind: str
    where: str
    place: Rect
    pen: str
    width_mm: float
    candidate: int | None

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "where": self.where, "candidate": self.candidate,
                "place": [round(v, 2) for v in (self.place.x, self.place.y, self.place.w,
                                                 self.place.h)],
                "pen": self.pen, "width_mm": self.width_mm}


@dataclass(frozen=True)
class PageTruth:
    """What ``kiemphieu scan`` should report for one page (CONTRACT.md fields).

    ``kind`` says what the sheet is: ``ballot``, ``blank_back``,
    ``blank_sheet``, ``memo``, ``foreign_ballot`` or ``rescan`` (the same
    scan image again). ``ballot`` is the 0-based number of the ballot copy
    in the stack; ``duplicate_of`` the index of the page repeated.
    ``notes`` are the notes written outside the boxes; one with no
    ``candidate`` (in a margin) makes the page doubtful (`page_doubt`).
    """

    status: Status
    kind: str
    campaign: str | None = None
    ballot_page: int | None = None
    rows: tuple[RowTruth, ...] = ()
    ballot: int | None = None
    duplicate_of: int | None = None
    notes: tuple[NoteTruth, ...] = ()
    seal: str = ""  # the seal stamped on it: "red", "black" (a photocopy's) or "" (none)
    dog_ear: str = ""  # the corner folded over before the scan, or ""

    @property
    def page_doubt(self) -> bool:
        """The page holds a note away from its rows: the reader should doubt the page."""
        return any(n.candidate is None for n in self.notes)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "status": self.status,
            "kind": self.kind,
            "campaign": self.campaign,
            "ballot_page": self.ballot_page,
            "ballot": self.ballot,
            "duplicate_of": self.duplicate_of,
            "rows": [r.to_json() for r in self.rows],
        }
        if self.notes:  # only then: earlier truth files stay as they were
            out["notes"] = [n.to_json() for n in self.notes]
            out["page_doubt"] = self.page_doubt
        if self.seal:
            out["seal"] = self.seal
        if self.dog_ear:
            out["dog_ear"] = self.dog_ear
        return out


@dataclass(frozen=True, eq=False)
class MarkedBallot:
    """The pages of one voted ballot copy, upright and undegraded, with their truth."""

    pages: tuple[np.ndarray, ...]
    truth: tuple[PageTruth, ...]


def mark_ballot(pages: Sequence[np.ndarray], layout: BallotLayout, votes: Sequence[VotedRow],
                dpi: float, rng: np.random.Generator, *, marks: MarkMix | None = None,
                foreign: bool = False, ballot: int | None = None) -> MarkedBallot:
    """Vote one ballot copy: draw each row's marks into its boxes.

    Parameters
    ----------
    pages : sequence of numpy.ndarray
        The printed pages of one copy at ``dpi`` (from `render_pages`), in
        page order; not changed (marked copies are returned).
    layout : pipeline.domain.layout.BallotLayout
        Where each candidate's boxes are.
    votes : sequence of VotedRow
        One per candidate on the ballot (candidates not listed are blank).
    dpi : float
        Resolution of ``pages``.
    rng : numpy.random.Generator
        Draws the voter's pen and hand.
    marks : MarkMix, optional
        How voters mark (default `MarkMix()`).
    foreign : bool
        The ballot is another campaign's, scanned into this one: its pages'
        truth is ``rejected`` (kind ``foreign_ballot``).
    ballot : int, optional
        The copy's number in its stack, recorded in the truth.

    Raises
    ------
    ValueError
        If the number of pages is not the layout's.
    """
    if len(pages) != layout.page_count:
        raise ValueError(f"{len(pages)} page images for a {layout.page_count}-page layout")
    planned = plan_marks(layout, votes, marks or MarkMix(), rng)
    ppm = px_per_mm(dpi)
    out_pages, truths = [], []
    for img, page, rows in zip(pages, layout.pages, planned, strict=True):
        img = img.copy()
        draw_page_marks(img, layout, page.template.page, rows, ppm, rng)
        # notes only for rows that have one: no draws otherwise (the same ballots as before)
        notes = plan_notes(layout, page.template.page, rows, 0.0, rng, img, ppm) \
            if any(r.note for r in rows) else ()
        draw_notes(img, notes, ppm, rng)
        out_pages.append(img)
        truths.append(PageTruth(status="rejected" if foreign else "accepted",
                                kind="foreign_ballot" if foreign else "ballot",
                                campaign=layout.campaign_id, ballot_page=page.template.page,
                                rows=rows, ballot=ballot, notes=notes))
    return MarkedBallot(tuple(out_pages), tuple(truths))


def plan_marks(layout: BallotLayout, votes: Sequence[VotedRow], mix: MarkMix,
               rng: np.random.Generator) -> tuple[tuple[RowTruth, ...], ...]:
    """Choose one voter's pen and each row's marks: per page, the rows' truth.

    Candidates without a `VotedRow` in ``votes`` are blank.
    """
    voter = Voter.draw(mix, rng)
    by_cand = {v.candidate: v for v in votes}
    pages = []
    for page in layout.pages:
        rows = []
        for cand in page.candidates:
            v = by_cand.get(cand.stt, VotedRow(cand.stt))
            drawn = [(level, voter.mark(mix, rng)) for level in v.marked]
            drawn += [(level, voter.mark(mix, rng, shape)) for level, shape in v.doubtful]
            rows.append(RowTruth(cand.stt, v.outcome, v.level, tuple(drawn), note=v.note))
        pages.append(tuple(rows))
    return tuple(pages)


def draw_page_marks(img: np.ndarray, layout: BallotLayout, page: int,
                    rows: Sequence[RowTruth], mm_to_px: float, rng: np.random.Generator) -> None:
    """Draw the planned marks of ``rows`` into their boxes on page ``page`` (1-based), in place."""
    spec = layout.page(page)
    where = {c.stt: r for c, r in zip(spec.candidates, spec.template.rows, strict=True)}
    for row in rows:
        for level, mark in row.marks:
            boxes = where[row.candidate].boxes
            b = layout.levels.index(level)
            if mark.shape == SPILL:
                draw_spill(img, boxes[b], boxes[b + 1] if b + 1 < len(boxes) else boxes[b - 1],
                           mm_to_px, mark, rng)
            else:
                draw_mark(img, boxes[b], mm_to_px, mark, rng)


def note_places(layout: BallotLayout, page: int, printed: np.ndarray | None = None,
                mm_to_px: float | None = None) -> dict[str, dict[int | None, Rect]]:
    """Where a voter may write a note on page ``page`` (1-based), in page mm.

    Beside a row (keyed by the candidate's STT): ``name_cell`` (the right
    half of the name's cell), ``position_cell`` (the right half of the
    position's cell, between the name and the boxes), ``left_margin`` and
    ``right_margin`` (the page's margins level with the row, 8-10 mm wide),
    ``around_name`` (the name's text, to ring). Away from the rows (key
    None): ``below_table`` (when at least 8 mm are free above the QR
    code), ``header_left`` and ``header_right`` (the margins beside the
    page's heading, ending 8 mm above the first row).

    Given the printed page (``printed``, RGB or grey at ``mm_to_px``), the
    two cell places are the widest stretch of their cell (at least 5 mm)
    clear of printed text, where a voter finds room to write, and missing
    for a row whose cell has no such room.
    """
    spec = layout.page(page)
    cols = {c.name: c for c in layout.columns}
    pw, _ = layout.frame.page_size_mm
    name, pos = cols["name"], cols["position"]
    left = layout.columns[0].x
    right = layout.columns[-1].x + layout.columns[-1].w
    out: dict[str, dict[int | None, Rect]] = {k: {} for k in (
        "name_cell", "position_cell", "left_margin", "right_margin", "around_name",
        "below_table", "header_left", "header_right")}
    for cand, row in zip(spec.candidates, spec.template.rows, strict=True):
        b = row.band
        out["name_cell"][cand.stt] = Rect(name.x + name.w * 0.5, b.y + 1.5, name.w * 0.48, b.h - 3)
        out["position_cell"][cand.stt] = Rect(pos.x + pos.w * 0.45, b.y + 1.5, pos.w * 0.53,
                                              b.h - 3)
        out["left_margin"][cand.stt] = Rect(4.5, b.y + 1.5, left - 5.5, b.h - 3)
        out["right_margin"][cand.stt] = Rect(right + 1.0, b.y + 1.5, pw - right - 5.5, b.h - 3)
        out["around_name"][cand.stt] = Rect(name.x + 1.5, b.y + 2.5, name.w * 0.7, b.h - 5)
        if printed is not None and mm_to_px is not None:
            for key, col in (("name_cell", name), ("position_cell", pos)):
                cell = Rect(col.x + 1.0, b.y + 1.5, col.w - 2.0, b.h - 3)
                free = _free_stretch(printed, cell, mm_to_px, 5.0)
                if free is not None:
                    out[key][cand.stt] = free
                else:  # no room: a voter writes elsewhere
                    del out[key][cand.stt]
    rows = spec.template.rows
    if rows:
        bottom = rows[-1].band.y + rows[-1].band.h
        top = rows[0].band.y
        free = layout.frame.qr.y - 1.0 - (bottom + 4.0)
        if free >= 8.0:
            out["below_table"][None] = Rect(left + 5, bottom + 4.0, 100, min(free, 25.0))
        if top - 8.0 - 24.0 >= 10.0:
            out["header_left"][None] = Rect(4.5, 24.0, left - 5.5, top - 8.0 - 24.0)
            out["header_right"][None] = Rect(right + 1.0, 24.0, pw - right - 5.5, top - 8.0 - 24.0)
    return out


def _free_stretch(printed: np.ndarray, cell: Rect, mm_to_px: float, least_mm: float
                  ) -> Rect | None:
    """The widest run of columns of ``cell`` (mm) without print, at least ``least_mm`` wide
    (0.8 mm kept from the print on either side), or None."""
    x0, y0 = round(cell.x * mm_to_px), round(cell.y * mm_to_px)
    x1, y1 = round((cell.x + cell.w) * mm_to_px), round((cell.y + cell.h) * mm_to_px)
    patch = printed[y0:y1, x0:x1]
    if patch.size == 0:
        return None
    if patch.ndim == 3:
        patch = patch.min(axis=2)
    clear = (patch > 200).all(axis=0)
    flags = np.concatenate([[0], clear.astype(np.int8), [0]])
    d = np.diff(flags)
    runs = list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))
    if not runs:
        return None
    a, b = max(runs, key=lambda r: r[1] - r[0])
    pad = 0.8 * mm_to_px
    a, b = a + (pad if a > 0 else 0), b - (pad if b < len(clear) else 0)
    if (b - a) / mm_to_px < least_mm:
        return None
    return Rect(float(cell.x + a / mm_to_px), cell.y, float((b - a) / mm_to_px), cell.h)


def plan_notes(layout: BallotLayout, page: int, rows: Sequence[RowTruth], margin_notes: float,
               rng: np.random.Generator, printed: np.ndarray | None = None,
               mm_to_px: float | None = None) -> tuple[NoteTruth, ...]:
    """Place the notes of ``rows`` that have one (`RowTruth.note`) beside their row, and
    with probability ``margin_notes`` one more away from the rows (`note_places`; with
    the printed page, in the room its text leaves in a cell).

    A ring goes around the name; words, a scrawl or an arrow in the name's or the
    position's cell; a question mark or a number there or in the margin level with
    the row. The pen is any of `STRESS_PENS`, 0.3-0.8 mm.
    """
    places = note_places(layout, page, printed, mm_to_px)

    def hand() -> tuple[str, float]:
        return STRESS_PENS[int(rng.integers(len(STRESS_PENS)))], round(float(rng.uniform(0.3, 0.8)), 3)

    out = []
    for row in rows:
        if not row.note:
            continue
        if row.note == "circle":
            choice = ["around_name"]
        elif row.note in SMALL_NOTE_KINDS:
            choice = ["name_cell", "position_cell", "left_margin", "right_margin"]
        else:
            choice = ["name_cell", "position_cell"]
        choice = [w for w in choice if row.candidate in places[w]] or ["left_margin"]
        where = choice[int(rng.integers(len(choice)))]
        pen, width = hand()
        out.append(NoteTruth(row.note, where, places[where][row.candidate], pen, width,
                             row.candidate))
    if margin_notes > 0 and rng.random() < margin_notes:
        free = [w for w in ("below_table", "header_left", "header_right") if places[w]]
        if free:
            where = free[int(rng.integers(len(free)))]
            kinds = [k for k in NOTE_KINDS if k != "circle"] if where == "below_table" \
                else list(SMALL_NOTE_KINDS)
            kind = kinds[int(rng.integers(len(kinds)))]
            pen, width = hand()
            out.append(NoteTruth(kind, where, places[where][None], pen, width, None))
    return tuple(out)


def draw_notes(img: np.ndarray, notes: Sequence[NoteTruth], mm_to_px: float,
               rng: np.random.Generator) -> None:
    """Write planned notes (`plan_notes`) onto an upright page, in place (`draw_note`)."""
    for n in notes:
        draw_note(img, n.kind, n.place, mm_to_px, n.pen, n.width_mm, rng)


def strike_through(img: np.ndarray, band: Rect, mm_to_px: float, pen: str, width_mm: float,
                   rng: np.random.Generator) -> None:
    """A voter's line through the printed text of a row (``band``, page mm), in place.

    Drawn by hand across the name and title columns: 30-90 mm long from
    12-20 mm into the row, within 2 mm of its middle, a few degrees off level.
    """
    x0 = band.x + rng.uniform(12, 20)
    x1 = min(x0 + rng.uniform(30, 90), band.x + band.w * 0.6)
    y = band.y + band.h / 2 + rng.uniform(-2, 2)
    tilt = rng.uniform(-0.03, 0.03) * (x1 - x0)
    line = curve(np.array([x0, y - tilt / 2]), np.array([x1, y + tilt / 2]), rng, bow=0.01)
    ink_strokes(img, [line + smooth_noise(len(line), 0.05, rng)], mm_to_px, pen, width_mm, rng)


def draw_spill(img: np.ndarray, box: Rect, neighbour: Rect, mm_to_px: float, mark: Mark,
               rng: np.random.Generator) -> None:
    """A tick in ``box`` whose arm runs on into ``neighbour``, ending 0.5-2 mm over its edge."""
    strokes = mark_strokes_mm(box, "tick", mark.width_mm, rng)
    end = strokes[-1][-1]
    right = neighbour.x > box.x
    x = neighbour.x + rng.uniform(0.5, 2.0) if right else neighbour.x + neighbour.w - rng.uniform(0.5, 2.0)
    y = neighbour.y + neighbour.h * rng.uniform(0.1, 0.6)
    start = end if right else strokes[-1][0]
    run_on = curve(start, np.array([x, y]), rng, bow=0.03)
    ink_strokes(img, [*strokes, run_on + smooth_noise(len(run_on), 0.05, rng)], mm_to_px,
                mark.pen, mark.width_mm, rng)


