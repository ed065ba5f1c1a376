"""Handwriting outside the boxes: a note, a question mark, a ringed name, an arrow.

A voter may write on the ballot away from the boxes: a word or two in a
margin, a question mark beside a name, a number, a name ringed, an arrow, a
scrawl under the table. The box rule never sees it, and under some rules it
makes the ballot invalid (DOMAIN.md): a person must look. `find_notes` finds
such writing from the image and says where it is; `pipeline.reading.page` sends
the row it lies in (or beside) to review, or doubts the page when it lies
away from the table's rows.

Method: compare the scan with what was printed. ``printed`` is the unmarked
page as printed — the ballot's own PDF rendered at ``px_per_mm`` (3 px/mm),
made once per ballot page and process (`note_reference`,
`pipeline.reading.printed`). From it:

- **print**: every pixel darker than ``printed_level`` (240: text, rules,
  boxes, markers, QR code, the grey seal and signature places, anti-aliased
  edges included), grown by ``printed_grow_mm`` (1.0 mm). Added ink is
  looked for only outside it. The fit's error is 0.05-0.3 mm, blur and a
  1-bit threshold thicken print by 0.1-0.2 mm, a printer's own distortion
  moves it up to about 0.8 mm (`omr.scoring`'s ``locate_mm``).
- **exempt**: each box's measured zone (the box grown by ``zone_mm``, 1.9 mm,
  as `omr.scoring` measures it), the template's ``writing_allowed`` grown by
  ``allowed_grow_mm`` (1 mm; a signature place under qd96-2023), the
  ``ignore`` areas the caller names (the place for the issuing body's seal,
  where a real seal is stamped) and a band ``edge_mm`` (4 mm) along the
  page's edges (a scanner's background or the desk shows there when the
  paper is not exactly where its print says). Ink there is not a note, and
  neither is a piece of ink coming within ``attach_mm`` (1 mm) of it: a
  mark's stroke overshooting its box (an X 1-2 mm past its corners, a ring
  of 130 % of the box, a tick running on into the next box, pencil grain
  breaking it just outside the zone), a signature running out of its place,
  the seal, a shadow from the page's edge.

Then, per page: one warp of the whole page onto the reference's grid, nearest
pixel (`_warp`, 630 x 891 px for A4; nearest costs a third of bilinear and
keeps a stroke as dark as it is; at 0.33 mm a pixel the samples are closer
than the narrowest pen stroke, 0.3 mm, is wide). Ink is what is
``min_darkness`` (0.3) of the way from the paper (the median grey of the
pixels that should be paper) to the printer's ``black``. Isolated ink pixels
(1-bit specks, dust) are dropped, then connected pieces (8-neighbours) of
fewer than ``min_piece_px`` (3) pixels and pieces touching an exempt area;
the rest are gathered into notes, pieces whose bounding boxes come within
``group_mm`` (4 mm: the space between two handwritten words, an i's dot, a
tone mark) joining one note. A note spans at least ``min_extent_mm`` (3 mm)
and holds at least ``min_ink_mm2`` (1.2 mm²): a 4 mm question mark in a
0.3 mm pen holds about 2 mm², a one-pixel-wide "1" 4 mm tall 1.3 mm². A
scanner streak's line (`omr.faults.find_streaks`, mapped onto the page) and a
struck-out name's line (`omr.faults.find_writing`: the row's band over the
line's length and ``struck_clear_mm``, 2 mm, beyond) are not notes: they
have their own reasons.

Why 0.3: outside the grown print and the exempt areas, paper, scanner noise,
JPEG artefacts and fold creases stay below about 0.22 of the way to black,
and 1-bit specks are alone; pens come out at 0.6-0.9 and a fine pencil line
at 0.2-0.5. The measurements behind these figures are in omr/README.md.

Where a note is (`Note.row`): the row whose band, extended across the page,
holds the note's centre; else the nearest band the note overlaps or comes
within ``row_near_mm`` (2 mm) of; else None (above or below the table, or
in a margin level with neither). `Note.where` says which.

Cost: one warp of the page, a histogram of a sixteenth of it, and, where
there is ink, a labelling of the window it spans (figures in omr/README.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from omr import reasons as why
from omr.faults import ALONG_COLUMNS, Streak, Writing
from omr.geometry import PageTemplate, Rect
from omr.pixels import flat_nonzero
from omr.reasons import Reason
from omr.transform import Registration


@dataclass(frozen=True)
class NoteParams:
    """Tunable constants of note finding (lengths in mm on the page).

    Attributes
    ----------
    px_per_mm
        Resolution (px/mm) of the reference and of the page's one warp.
    printed_level
        Grey (0-255) of the rendered reference below which a pixel is print
        (anti-aliased edges included; the seal's and signature's grey
        places are about 180).
    printed_grow_mm
        How far (mm) print is grown before added ink is looked for: the fit's
        error, blur and a printer's distortion.
    zone_mm
        Each box's zone: the box grown by this (mm), as `omr.scoring`
        measures it (``surround_mm``).
    allowed_grow_mm
        ``writing_allowed`` areas (a signature place) are grown by this (mm).
    edge_mm
        Band (mm) along the page's edges that is never looked at.
    attach_mm
        A piece of ink coming this close (mm) to an exempt area belongs to
        what is there (a pencil stroke's grain can break it just outside).
    min_darkness
        Share of the way from paper to black from which a pixel is ink.
    min_piece_px
        Connected pieces smaller than this many pixels are specks, not ink.
    group_mm
        Pieces whose bounding boxes come closer than this (mm) are one note.
    min_extent_mm
        A note spans at least this (mm) along its longer side.
    min_ink_mm2
        A note holds at least this much ink (mm²).
    row_near_mm
        A note within this (mm) of a row's band extended across the page
        belongs to that row.
    struck_clear_mm
        A line through a row's printed text (`omr.faults.Writing`) has its
        reason: ink in its row, over its length and this much (mm) beyond
        either end, is not a note as well.
    """

    px_per_mm: float = 3.0
    printed_level: int = 240
    printed_grow_mm: float = 1.0
    zone_mm: float = 1.9
    allowed_grow_mm: float = 1.0
    edge_mm: float = 4.0
    attach_mm: float = 1.0
    min_darkness: float = 0.3
    min_piece_px: int = 3
    group_mm: float = 4.0
    min_extent_mm: float = 3.0
    min_ink_mm2: float = 1.2
    row_near_mm: float = 2.0
    struck_clear_mm: float = 2.0


DEFAULT_NOTE_PARAMS = NoteParams()


@dataclass(frozen=True, eq=False)
class NoteReference:
    """What one ballot page should look like, prepared once for `find_notes`.

    Made by `note_reference`. Plain arrays and numbers: picklable, so a
    process can make it once and keep it.

    Attributes
    ----------
    page
        The template's page number (1-based).
    px_per_mm
        Resolution of the arrays.
    look
        uint8 (H, W): 1 where ink would be added by hand (paper, outside the
        exempt areas), 0 elsewhere.
    edge
        uint8 (H, W): 1 on the ``look`` pixels within ``attach_mm`` of an
        exempt area: a piece of ink holding one belongs to a box's mark, a
        signature, an ignored area or the page's edge.
    bands
        Per row, ``(row, y_top_mm, y_bottom_mm)`` of its band.
    table
        ``(x0, y0, x1, y1)`` (mm) of the rows' bands together.
    boxes_x
        Per row, the x (mm) where its first box's zone starts and where its
        last box's zone ends: ``{row: (x0, x1)}``.
    params
        The parameters it was made with.
    """

    page: int
    px_per_mm: float
    look: np.ndarray
    edge: np.ndarray
    bands: tuple[tuple[int, float, float], ...]
    table: tuple[float, float, float, float]
    boxes_x: dict[int, tuple[float, float]] = field(default_factory=dict)
    params: NoteParams = DEFAULT_NOTE_PARAMS


@dataclass(frozen=True)
class Note:
    """Handwriting found outside the boxes.

    Attributes
    ----------
    x_mm, y_mm
        Centre of its bounding box (mm from the page's top-left corner).
    w_mm, h_mm
        Size of its bounding box (mm).
    ink_mm2
        Ink it holds (mm², at the reference's resolution).
    row
        The row (`RowSpec.row`) it lies in or beside, or None in a margin,
        above or below the table.
    where
        Where it is (`omr.reasons`): ``NOTE_ROW_LEFT(row=3)`` ("in row 3, left
        of its boxes"), ``NOTE_MARGIN_RIGHT_ROW(row=7)`` ("in the right margin
        beside row 7"), ``NOTE_BELOW()`` ("below the table"),
        ``NOTE_MARGIN_LEFT_ABOVE()`` ("in the left margin above the table"), ...
    """

    x_mm: float
    y_mm: float
    w_mm: float
    h_mm: float
    ink_mm2: float
    row: int | None
    where: Reason

    def reason(self) -> Reason:
        """For a review item: what was seen, where, and what to do."""
        return why.NOTE(where=self.where, w_mm=self.w_mm, h_mm=self.h_mm, x_mm=self.x_mm,
                        y_mm=self.y_mm)


def note_reference(
    printed: np.ndarray,
    template: PageTemplate,
    *,
    ignore: Sequence[Rect] = (),
    params: NoteParams = DEFAULT_NOTE_PARAMS,
) -> NoteReference:
    """Prepare one ballot page's reference for `find_notes`.

    Parameters
    ----------
    printed
        uint8 (H, W), 0 = black: the unmarked page as printed, rendered at
        ``params.px_per_mm`` with pixel (i, j) covering the page from
        ``(j / k, i / k)`` to ``((j + 1) / k, (i + 1) / k)`` mm (pdfium's
        rendering of the ballot's PDF). A raster a pixel larger or smaller
        than the page (rounding) is padded with paper or cut.
    template
        The page's boxes and signature places.
    ignore
        More areas (mm) where ink is never a note, e.g. the place for the
        issuing body's seal.

    Raises
    ------
    ValueError
        ``printed`` is not a 2-D uint8 array.
    """
    if printed.ndim != 2 or printed.dtype != np.uint8:
        raise ValueError(f"printed must be a 2-D uint8 array, not {printed.dtype} {printed.shape}")
    k = params.px_per_mm
    pw, ph = template.frame.page_size_mm
    w, h = round(pw * k), round(ph * k)
    ref = np.full((h, w), 255, np.uint8)
    hh, ww = min(h, printed.shape[0]), min(w, printed.shape[1])
    ref[:hh, :ww] = printed[:hh, :ww]
    grow = max(1, round(params.printed_grow_mm * k))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    printed_mask = cv2.dilate((ref < params.printed_level).view(np.uint8), kernel)
    exempt = np.zeros((h, w), np.uint8)

    def fill(r: Rect) -> None:
        x0, y0 = max(0, int(np.floor(r.x * k))), max(0, int(np.floor(r.y * k)))
        x1, y1 = min(w, int(np.ceil((r.x + r.w) * k))), min(h, int(np.ceil((r.y + r.h) * k)))
        if x1 > x0 and y1 > y0:
            exempt[y0:y1, x0:x1] = 1

    for row in template.rows:
        for box in row.boxes:
            fill(box.inset(-params.zone_mm))
    for r in template.writing_allowed:
        fill(r.inset(-params.allowed_grow_mm))
    for r in ignore:
        fill(r)
    e = params.edge_mm
    for r in (Rect(0, 0, pw, e), Rect(0, ph - e, pw, e), Rect(0, 0, e, ph), Rect(pw - e, 0, e, ph)):
        fill(r)
    look = ((printed_mask == 0) & (exempt == 0)).view(np.uint8)
    reach = max(1, round(params.attach_mm * k))
    edge = cv2.dilate(exempt, cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))) & look
    rows = list(template.rows)
    bands = tuple((r.row, r.band.y, r.band.y + r.band.h) for r in rows)
    if rows:
        table = (min(r.band.x for r in rows), min(r.band.y for r in rows),
                 max(r.band.x + r.band.w for r in rows), max(r.band.y + r.band.h for r in rows))
    else:
        table = (0.0, 0.0, 0.0, 0.0)
    boxes_x = {r.row: (min(b.x for b in r.boxes) - params.zone_mm,
                       max(b.x + b.w for b in r.boxes) + params.zone_mm)
               for r in rows if r.boxes}
    return NoteReference(template.page, k, look, edge, bands,
                         table, boxes_x, params)


def find_notes(
    gray: np.ndarray,
    registration: Registration,
    reference: NoteReference,
    black: float,
    *,
    streaks: Sequence[Streak] = (),
    writing: Sequence[Writing] = (),
) -> tuple[Note, ...]:
    """Handwriting added outside the boxes, the signature places and the print.

    Parameters
    ----------
    gray
        The placed image, uint8 (H, W), 0 = black; a photo with its light
        evened (`omr.lighting.even_light`).
    registration
        Where the page lies in it.
    reference
        The page as printed (`note_reference`), with its parameters.
    black
        The printer's black (grey level), e.g. `omr.scoring.ink_black_level`.
    streaks
        Scanner streaks found on the page: their lines are not notes.
    writing
        Lines through a row's printed text (struck-out names) found on the
        page: their ink (the row's band over the line's length) is left to
        that reason; other writing in the row is still a note.

    Returns
    -------
    tuple of Note
        In reading order (top to bottom, left to right); empty for a page
        with nothing written outside its boxes.
    """
    p = reference.params
    k = reference.px_per_mm
    look = reference.look
    h, w = look.shape
    page = _warp(gray, registration, k, (w, h))
    # paper: the median of a sparse sample of the page (mostly paper wherever it is looked at)
    hist = cv2.calcHist([np.ascontiguousarray(page[::4, ::4])], [0],
                        np.ascontiguousarray(look[::4, ::4]), [256], [0, 256]).ravel()
    total = float(hist.sum())
    if total <= 0:
        return ()
    paper = float(np.searchsorted(np.cumsum(hist), 0.5 * total))
    level = paper - p.min_darkness * max(paper - black, 40.0)
    ink = cv2.bitwise_and((page < level).view(np.uint8), look)
    if streaks:
        _clear_streaks(ink, registration, streaks, k, gray.shape)
    for wr in writing:  # the line's own ink, across its row
        band = next((b for b in reference.bands if b[0] == wr.row), None)
        if band is not None:
            ink[max(0, int(band[1] * k)) : int(np.ceil(band[2] * k)),
                max(0, int((wr.x_mm - p.struck_clear_mm) * k)) :
                max(0, int(np.ceil((wr.x_mm + wr.length_mm + p.struck_clear_mm) * k)))] = 0
    min_px = p.min_ink_mm2 * k * k
    count = cv2.countNonZero(ink)
    if count == 0 or count < min_px:
        return ()
    flat = flat_nonzero(ink)
    ys, xs = np.divmod(flat, w)
    # a pixel with no ink around it is a speck (1-bit dust, noise): most pages have only those.
    # The edge band keeps ink a few pixels from the array's border.
    around = sum(ink[ys + dy, xs + dx] for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                 if dy or dx)
    alone = around == 0
    if alone.all() or (~alone).sum() < min_px:
        return ()
    if alone.any():
        ink[ys[alone], xs[alone]] = 0
        xs, ys = xs[~alone], ys[~alone]
    # label only the window holding the ink: OpenCV's labelling costs by the area it is given
    x0, y0 = max(0, int(xs.min()) - 1), max(0, int(ys.min()) - 1)
    x1, y1 = min(w, int(xs.max()) + 2), min(h, int(ys.max()) + 2)
    n, labels = cv2.connectedComponents(ink[y0:y1, x0:x1], connectivity=8)
    lab = labels[ys - y0, xs - x0]
    size = np.bincount(lab, minlength=n)
    keep = size >= p.min_piece_px
    keep[0] = False
    touching = labels[reference.edge[y0:y1, x0:x1].view(bool)]
    keep[touching] = False  # a mark's stroke out of its box, a signature, the seal, the edge
    ids = np.flatnonzero(keep)
    if ids.size == 0:
        return ()
    big = np.iinfo(np.int32).max
    bx0 = np.full(n, big)
    by0 = np.full(n, big)
    bx1 = np.full(n, -1)
    by1 = np.full(n, -1)
    np.minimum.at(bx0, lab, xs)
    np.minimum.at(by0, lab, ys)
    np.maximum.at(bx1, lab, xs + 1)
    np.maximum.at(by1, lab, ys + 1)
    gx0, gy0 = bx0[ids].astype(np.float64), by0[ids].astype(np.float64)
    gx1, gy1 = bx1[ids].astype(np.float64), by1[ids].astype(np.float64)
    area = size[ids].astype(np.float64)
    notes = []
    for g in _group(gx0, gy0, gx1, gy1, p.group_mm * k):
        ax0, ay0, ax1, ay1 = gx0[g].min() / k, gy0[g].min() / k, gx1[g].max() / k, gy1[g].max() / k
        ink_mm2 = float(area[g].sum()) / (k * k)
        if max(ax1 - ax0, ay1 - ay0) < p.min_extent_mm or ink_mm2 < p.min_ink_mm2:
            continue
        row = _row_of(reference, ay0, ay1, p.row_near_mm)
        cx, cy = (ax0 + ax1) / 2, (ay0 + ay1) / 2
        notes.append(Note(round(cx, 1), round(cy, 1), round(ax1 - ax0, 1), round(ay1 - ay0, 1),
                          round(ink_mm2, 2), row, _where(reference, row, cx, cy)))
    return tuple(sorted(notes, key=lambda n: (n.y_mm, n.x_mm)))


def _warp(gray: np.ndarray, registration: Registration, k: float, size: tuple[int, int]
          ) -> np.ndarray:
    """The whole page, upright at ``k`` px/mm, nearest-pixel (see `omr.rectify.rectify`).

    Nearest-pixel sampling costs a third of bilinear and keeps a stroke as dark as it is;
    at about 3 px/mm the samples are closer than the narrowest pen stroke (0.3 mm) is wide.
    """
    to_page = np.array([[1 / k, 0, 0.5 / k], [0, 1 / k, 0.5 / k], [0, 0, 1]], np.float64)
    m = registration.matrix() @ to_page
    flags = cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    if abs(m[2, 0]) < 1e-12 and abs(m[2, 1]) < 1e-12:
        return cv2.warpAffine(gray, m[:2] / m[2, 2], size, flags=flags,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    return cv2.warpPerspective(gray, m, size, flags=flags, borderMode=cv2.BORDER_CONSTANT,
                               borderValue=255)


def _group(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray,
           gap: float) -> list[np.ndarray]:
    """Indices of boxes joined into groups where two boxes come within ``gap`` of each other."""
    n = len(x0)
    near = ((x0[:, None] - gap <= x1[None, :]) & (x0[None, :] - gap <= x1[:, None])
            & (y0[:, None] - gap <= y1[None, :]) & (y0[None, :] - gap <= y1[:, None]))
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    for i, j in zip(*np.nonzero(np.triu(near, 1)), strict=True):
        a, b = find(int(i)), find(int(j))
        if a != b:
            parent[max(a, b)] = min(a, b)
    roots = np.array([find(i) for i in range(n)])
    return [np.flatnonzero(roots == r) for r in np.unique(roots)]


def _row_of(reference: NoteReference, y0: float, y1: float, near: float) -> int | None:
    """The row whose band, extended across the page, holds the note's centre, or the
    nearest band it overlaps or comes within ``near`` mm of."""
    cy = (y0 + y1) / 2
    best, best_d = None, None
    for row, top, bottom in reference.bands:
        if top <= cy < bottom:
            return row
        if y0 <= bottom + near and y1 >= top - near:
            d = min(abs(cy - top), abs(cy - bottom))
            if best_d is None or d < best_d:
                best, best_d = row, d
    return best


def _where(reference: NoteReference, row: int | None, x: float, y: float) -> Reason:
    """Where a note is, from its centre (mm)."""
    tx0, ty0, tx1, ty1 = reference.table
    margin = "left" if x < tx0 else "right" if x > tx1 else ""
    if row is not None:
        if margin:
            return (why.NOTE_MARGIN_LEFT_ROW if margin == "left" else why.NOTE_MARGIN_RIGHT_ROW)(row=row)
        bx0, bx1 = reference.boxes_x.get(row, (tx1, tx1))
        side = why.NOTE_ROW_LEFT if x < bx0 else why.NOTE_ROW_RIGHT if x > bx1 else \
            why.NOTE_ROW_BETWEEN
        return side(row=row)
    if ty0 <= y <= ty1:
        return {"left": why.NOTE_MARGIN_LEFT, "right": why.NOTE_MARGIN_RIGHT}.get(
            margin, why.NOTE_TABLE)()
    above = y < ty0
    return {("left", True): why.NOTE_MARGIN_LEFT_ABOVE, ("right", True): why.NOTE_MARGIN_RIGHT_ABOVE,
            ("left", False): why.NOTE_MARGIN_LEFT_BELOW,
            ("right", False): why.NOTE_MARGIN_RIGHT_BELOW}.get(
        (margin, above), why.NOTE_ABOVE if above else why.NOTE_BELOW)()


def _clear_streaks(ink: np.ndarray, registration: Registration, streaks: Sequence[Streak],
                   k: float, shape: tuple[int, ...]) -> None:
    """Blank, in place, each streak's line (image axis-parallel) as it runs over the page."""
    inv = np.linalg.inv(registration.matrix())
    h, w = shape
    for s in streaks:
        # the line's ends at the image's edges, mapped onto the page (a line maps to a line)
        if s.along == ALONG_COLUMNS:
            ends = np.array([[s.position_px, 0.0, 1.0], [s.position_px, float(h), 1.0]])
        else:
            ends = np.array([[0.0, s.position_px, 1.0], [float(w), s.position_px, 1.0]])
        hom = ends @ inv.T
        if np.any(np.abs(hom[:, 2]) < 1e-12):
            continue
        page = hom[:, :2] / hom[:, 2:3] * k
        thick = max(3, round((s.width_mm + 2.0) * k))
        a, b = (tuple(round(float(v)) for v in q) for q in page)
        cv2.line(ink, a, b, 0, thick)
