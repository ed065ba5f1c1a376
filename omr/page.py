"""One page read stage by stage: grey pixels in, its placement and its rows' marks out.

The stages of this package run here in order, in two steps, so that a caller
can decide between them whether the page is one it counts:

1. `place_page`: the page is placed (`omr.registration`) and its QR code
   read (`omr.code`). A scanner streak through a corner mark or through the
   code is filled in from beside it and the page tried again; a code the
   streak leaves unreadable is named by comparison with the ballot's printed
   codes. Raises a `omr.errors.ReadError` for a page it cannot place or
   whose code it cannot read, with the reason.
2. `read_marks`: given the printed page the code names (its
   `omr.geometry.PageTemplate`), a photo's light is evened out
   (`omr.lighting`), every box is measured (`omr.scoring`) and the fit
   checked again over the whole table, the faults are looked for (scanner
   streaks and names struck out: `omr.faults`; handwriting outside the
   boxes: `omr.notes`), and every row is decided (`omr.decide`) from its
   measurements rounded as they are stored, so that deciding them again
   later from the store gives the same result.

Resolution: a grey page of 9 px/mm or more (300 dpi) is also looked at
halved (`omr.pixels.halve`, made once and shared; halved again while that
keeps 4.5 px/mm): its marks are searched first in the half, the light's map
starts from it, and struck names (at least 4.5 px/mm) and notes (5.5 px/mm)
are looked for in the smallest halving that keeps that much. Notes need
more: a light pencil stroke halved to under 2 px wide greys out and breaks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np

from omr import reasons as why
from omr.code import DEFAULT_PARAMS as DEFAULT_CODE_PARAMS
from omr.code import (
    CodeMatch,
    code_black_level,
    code_seen_share,
    decode_page_code,
    match_faded_code,
    match_page_code,
)
from omr.decide import MarkRule, RowDecision, decide_row
from omr.errors import BlankPage, CodeUnreadable, PageTooSmall, ReadError
from omr.faults import (
    Streak,
    erase_streaks,
    find_streaks,
    find_streaks_unplaced,
    find_writing,
    see_through_streaks,
)
from omr.geometry import PageFrame, PageTemplate, Rect
from omr.lighting import even_light, is_bitonal
from omr.notes import Note, NoteReference, find_notes
from omr.pixels import halve
from omr.reasons import Reason
from omr.registration import estimate_px_per_mm, register_page
from omr.scoring import (
    check_outlines,
    down_the_page,
    erased_outlines,
    ink_black_level,
    marks_hold_ink,
    measured_in_place,
    missing_outlines,
    score_boxes,
)
from omr.table import place_by_table
from omr.transform import Registration

# Smaller than this on either side, an image cannot be a ballot page (A5 at 72 dpi is 420 px
# wide); registration is not even tried.
MIN_PAGE_PX = 300
WRITING_MIN_PX_PER_MM = 4.5
NOTES_MIN_PX_PER_MM = 5.5
HALVED_MIN_PX_PER_MM = min(WRITING_MIN_PX_PER_MM, NOTES_MIN_PX_PER_MM)

#: The names under which a row's measurements are kept, per box in level order
#: (`row_measures`): what `decide_measures` decides from.
MEASURE_KEYS = ("ink_mm2", "extent_mm", "through_mm", "enters_left_mm", "enters_right_mm",
                "on_outline_mm2", "edges", "strength", "around_mm2", "around_share", "ring",
                "broad", "shadow")

T = TypeVar("T")


@dataclass(frozen=True)
class PlacedPage:
    """A page placed and its code read (`place_page`).

    Attributes
    ----------
    gray
        The page's grey pixels, uint8 (H, W), as given.
    registration
        Where the page lies in ``gray``.
    code_text
        The text of its QR code.
    black
        The printed ink's grey level (`omr.scoring.ink_black_level`).
    halved
        ``gray`` halved (and halved again, see the module docstring), or empty
        for a page too coarse or 1-bit.
    doubts
        Reasons to doubt the page found while placing it (a code named by
        comparison with the printed codes).
    """

    gray: np.ndarray
    registration: Registration
    code_text: str
    black: float
    halved: tuple[np.ndarray, ...] = ()
    doubts: tuple[Reason, ...] = ()

    def placement(self) -> dict[str, Any]:
        """How the page was placed, as plain numbers (`placement`)."""
        return placement(self.gray.shape, self.registration)


@dataclass(frozen=True)
class RowMarks:
    """One printed row read: its boxes' measurements and what they say.

    ``fills`` (0..1) and ``measures`` (`MEASURE_KEYS`, and ``streak``,
    ``struck_mm`` and ``note_mm`` when a fault was found on the row) are
    rounded as they are stored; ``decision`` is decided from them, with the
    faults on the row sending it to review.
    """

    row: int
    decision: RowDecision
    fills: tuple[float, ...]
    measures: dict[str, Any]


@dataclass(frozen=True)
class PageMarks:
    """Every row of a placed page read (`read_marks`), and the doubts about the page
    itself (scanner streaks, a code named by comparison, notes in a margin).
    ``registration`` is where the page was read: the placed page's, or its refit on the
    table for a page placed from fewer than four marks (`omr.table.place_by_table`)."""

    rows: tuple[RowMarks, ...]
    doubts: tuple[Reason, ...] = field(default=())
    registration: Registration | None = None


def place_page(gray: np.ndarray, frame: PageFrame, *, code_symbol: Rect,
               printed_codes: Callable[[], Mapping[str, np.ndarray]],
               printed_tables: Callable[[], Mapping[str, PageTemplate]] | None = None,
               is_code: Callable[[str], bool] | None = None,
               lap: Callable[[str], None] = lambda stage: None) -> PlacedPage:
    """Place the page in ``gray`` and read its QR code.

    Parameters
    ----------
    gray
        The page's grey pixels, uint8 (H, W), any resolution from 150 dpi.
    frame
        The printed page's marks and code place (mm).
    code_symbol
        Where the QR symbol itself is printed (mm, quiet zone excluded).
    printed_codes
        Gives every code text the ballot prints with its symbol's dark
        modules (bool, (n, n)); called only for a code that cannot be read.
    printed_tables
        Gives every code text the ballot prints with its page's template;
        called only for a code of which too little is left to compare, on a
        page placed by all its marks (`name_by_table`).
    is_code
        Whether a text read is one of the caller's codes at all (any campaign's);
        a text that is not is taken for a faded symbol misread, and the page is
        named as for a code that cannot be read, if it can be.
    lap
        Called with ``"register"`` and ``"code"`` as those stages end.

    Raises
    ------
    PageTooSmall, BlankPage, PageNotPlaced, CodeUnreadable
        The page cannot be read; ``reasons`` says why, with any streak that
        explains it.
    """
    h, w = gray.shape
    if min(h, w) < MIN_PAGE_PX:
        raise PageTooSmall(why.IMAGE_TOO_SMALL(width=w, height=h, min_px=MIN_PAGE_PX))
    est_px_per_mm = estimate_px_per_mm(gray.shape, frame.page_size_mm)
    halved = [halve(gray)] if est_px_per_mm >= 2 * HALVED_MIN_PX_PER_MM \
        and not is_bitonal(gray) else []
    try:
        registration = register_page(gray, frame, half=halved[0] if halved else None,
                                     code_symbol=code_symbol)
    except BlankPage:
        raise
    except ReadError as exc:
        # a streak through a corner mark hides or moves the mark: say so, it is the
        # scanner's fault, unless the page can be placed with the streak filled in
        streaks = find_streaks_unplaced(gray, frame)
        placed = _with_streaks_filled(gray, streaks, est_px_per_mm,
                                      lambda g: register_page(g, frame))
        if placed is None:
            raise _again(exc, *(s.reason() for s in streaks)) from exc
        registration = placed
    lap("register")
    black = ink_black_level(gray, registration, frame) if registration.markers_found else \
        code_black_level(gray, registration, code_symbol)  # no mark in the image: the code's
    doubts: tuple[Reason, ...] = ()  # the doubt of a code named by comparison
    try:
        text = decode_page_code(gray, registration, frame)
    except ReadError as exc:
        # a streak through the code: read with the streak filled in from beside it (the
        # code's own error correction covers what the filling gets wrong); else compare
        # what the streak leaves of it with this campaign's printed codes; else say so
        streaks = find_streaks(gray, registration, PageTemplate(0, frame, ()), black)
        text = _with_streaks_filled(gray, streaks, registration.px_per_mm,
                                    lambda g: decode_page_code(g, registration, frame))
        match = match_page_code(gray, registration, code_symbol, printed_codes(), streaks) \
            if text is None and streaks else None
        if text is None and match is None:
            match = _named_without_code(gray, registration, frame, code_symbol, black,
                                        printed_codes, printed_tables)
        if match is not None:
            text = match.text
            doubts = (match.reason(),)
        if text is None:
            raise CodeUnreadable(*exc.reasons, *(s.reason() for s in streaks),
                                 registration=registration) from exc
    else:
        # zxing can read a faded symbol as some other, valid code: what is left of it may
        # still name one of this ballot's pages (the caller's text stands otherwise)
        if is_code is not None and not is_code(text):
            match = _named_without_code(gray, registration, frame, code_symbol, black,
                                        printed_codes, printed_tables)
            if match is not None:
                text, doubts = match.text, (match.reason(),)
    lap("code")
    while halved and registration.px_per_mm / 2 ** (len(halved) + 1) >= HALVED_MIN_PX_PER_MM:
        halved.append(halve(halved[-1]))
    return PlacedPage(gray, registration, text, black, tuple(halved), doubts)


@dataclass(frozen=True)
class TableMatch:
    """A page named by its printed table (`name_by_table`): the code text of the one page
    whose box outlines all lie where the marks put them."""

    text: str

    def reason(self) -> Reason:
        """The page's doubt: how it was named."""
        return why.CODE_NAMED_BY_TABLE()


def _named_without_code(gray: np.ndarray, registration: Registration, frame: PageFrame,
                        code_symbol: Rect, black: float,
                        printed_codes: Callable[[], Mapping[str, np.ndarray]],
                        printed_tables: Callable[[], Mapping[str, PageTemplate]] | None
                        ) -> CodeMatch | TableMatch | None:
    """The page named from what faded print left of its code (`match_faded_code`), or,
    with too little left to tell, on a page placed by all its marks, by its printed table
    (`name_by_table`); None."""
    match = match_faded_code(gray, registration, code_symbol, printed_codes(), black)
    if match is None and printed_tables is not None \
            and registration.markers_found == len(frame.markers) \
            and not _code_says_anything(gray, registration, code_symbol, printed_codes(), black):
        return name_by_table(gray, registration, printed_tables(), black)
    return match


def _code_says_anything(gray: np.ndarray, registration: Registration, symbol: Rect,
                        printed: Mapping[str, np.ndarray], black: float) -> bool:
    """Whether enough of the page's code is left to tell which it is, or that it is none
    of ``printed`` (another campaign's): then its table does not name the page."""
    sizes = {m.shape[0] for m in printed.values()}
    return any(code_seen_share(gray, registration, symbol, n, black)
               >= DEFAULT_CODE_PARAMS.faded_min_seen for n in sizes)


def name_by_table(gray: np.ndarray, registration: Registration,
                  tables: Mapping[str, PageTemplate], black: float, *,
                  min_outline: float = 0.25, max_missing: float = 0.1) -> TableMatch | None:
    """The page whose printed table is the one on ``gray``, when its QR code is gone.

    Each printed page's box outlines are looked for where the marks put them: on
    another page they fall between rows, on paper below a shorter table or on its
    heading. The one page whose outlines are there (``min_outline`` dark at least,
    all but ``max_missing`` of them, none left out as erased) names it; None when none or
    several do (two pages printed alike, or another form of the same shape:
    a person must tell them apart). The name is a doubt on the page: a ballot
    of another campaign printed alike would fit as well.
    """
    fits = []
    for text, template in tables.items():
        outlines = [v for row in score_boxes(gray, registration, template, black=black)
                    for v in row.outlines]
        # judged against a fixed darkness, not the page's own (`check_outlines`): on
        # another page most outlines are missing and their median says nothing
        missing = sum(v < min_outline for v in outlines)
        if outlines and missing <= max_missing * len(outlines):
            fits.append(text)
    return TableMatch(fits[0]) if len(fits) == 1 else None


def read_marks(placed: PlacedPage, template: PageTemplate, rule: MarkRule, *,
               printed: NoteReference | None = None,
               lap: Callable[[str], None] = lambda stage: None) -> PageMarks:
    """Measure and decide every row of a placed page.

    Parameters
    ----------
    placed
        The page, placed (`place_page`).
    template
        The printed page its code names: every row and box (mm).
    rule
        The box rule (`omr.decide.decide_row`).
    printed
        The page as printed, to find handwriting outside the boxes
        (`omr.notes`); None to skip that stage.
    lap
        Called with ``"light"``, ``"boxes"``, ``"streaks"``, ``"writing"``,
        ``"notes"`` and ``"decide"`` as those stages end.

    Raises
    ------
    PageNotPlaced
        The printed box outlines are not where the fit puts them.
    """
    gray, registration, black = placed.gray, placed.registration, placed.black
    if registration.by_table:  # placed from fewer than three marks: the table confirms it
        registration = place_by_table(gray, registration, template)
    halved = list(placed.halved)
    # a photo's light falls off and shadows cross it: even it out first (scans pass as they are)
    levelled = even_light(gray, registration, template.frame, halved=halved)
    if halved and levelled is not gray:  # a photo, evened: halved anew
        again = [halve(levelled)]
        while len(again) < len(halved):
            again.append(halve(again[-1]))
        halved = again
    lap("light")
    # a scanner streak through a box is a long straight stroke the box rule would count:
    # its darkening is undone and the boxes measured through it; only where it is too dark
    # to see through, and wide enough to hide a mark, does it send the boxes' rows to review
    streaks = find_streaks(gray, registration, template, black)
    measured, streaks = see_through_streaks(levelled, streaks, black, registration.px_per_mm)
    lap("streaks")
    # the boxes' black is measured on the image they are measured in (a photo's, evened)
    scores = score_boxes(measured, registration, template,
                         black=black if levelled is gray else None, shaded=levelled is not gray)
    # the fit, checked again over the whole table; outlines a faded band erased (nothing
    # printed near them) neither confirm nor refute it
    missing = missing_outlines(scores)
    erased = erased_outlines(measured, registration, template, missing, black) \
        if missing and not registration.by_table else frozenset()
    if erased and registration.markers_found < len(template.frame.markers):
        # a mark the fit did without: faded too (its ink in dots, or in part), if the band
        # erased outlines; a corner folded over or cut off by the scan area holds none
        erased = down_the_page(erased, template) \
            if marks_hold_ink(gray, registration, template.frame, black) else frozenset()
    check_outlines(scores, erased=erased)
    if erased:  # no outline left to move them onto: measured where the fit puts them
        scores = measured_in_place(measured, registration, template, scores, erased,
                                   black=black if levelled is gray else None,
                                   shaded=levelled is not gray)
    lap("boxes")
    streaked = {key: s for s in streaks for key in s.boxes if s.blind_mm >= rule.streak_hides_mm}
    # a line through a row's printed text: the name struck out?
    streak_rows = {r for s in streaks for r, _ in s.boxes}
    image, placed_at, _ = _smallest(levelled, halved, registration, streaks,
                                    WRITING_MIN_PX_PER_MM)
    writing = {w.row: w for w in find_writing(image, placed_at, template, black)
               if w.row not in streak_rows}  # a streak across the row explains its line
    lap("writing")
    # handwriting elsewhere outside the boxes: beside a row, that row goes to review; in a
    # margin, away from the rows, the page is doubted (streaks and struck names left out)
    notes: tuple[Note, ...] = ()
    if printed is not None:
        image, placed_at, seen = _smallest(levelled, halved, registration, streaks,
                                           NOTES_MIN_PX_PER_MM)
        notes = find_notes(image, placed_at, printed, black, streaks=seen,
                           writing=tuple(writing.values()))
    lap("notes")
    noted: dict[int, list[Note]] = {}
    for n in notes:
        if n.row is not None:
            noted.setdefault(n.row, []).append(n)
    rows = []
    for row_scores in scores:
        fills = tuple(round(float(f), 5) for f in row_scores.fills)
        measures = row_measures(row_scores)
        # decided on the rounded, stored values: a later re-decision from the store is the same
        decision = decide_measures(fills, measures, rule)
        crossed = [b for b in range(len(fills)) if (row_scores.row, b) in streaked]
        if crossed:
            measures["streak"] = [float(b in crossed) for b in range(len(fills))]
            streak = why.STREAK_THROUGH_BOXES(boxes=tuple(b + 1 for b in crossed))
            decision = RowDecision("review", None, (
                streak if decision.outcome == "blank" else _read_as(streak, decision),))
        if row_scores.row in writing:
            w = writing[row_scores.row]
            measures["struck_mm"] = [w.length_mm]
            decision = RowDecision("review", None, (_read_as(w.reason(), decision),))
        if row_scores.row in noted:
            found = noted[row_scores.row]
            measures["note_mm"] = [[n.x_mm, n.y_mm, n.w_mm, n.h_mm] for n in found]
            said = tuple(n.reason() for n in found)
            decision = RowDecision(
                "review", None,
                (*decision.reasons, *said) if row_scores.row in writing or crossed else
                (*said[:-1], _read_as(said[-1], decision)),
            )
        rows.append(RowMarks(row_scores.row, decision, fills, measures))
    lap("decide")
    return PageMarks(tuple(rows), doubts=(*(s.reason() for s in streaks), *placed.doubts,
                                          *(n.reason() for n in notes if n.row is None)),
                     registration=registration)


def placement(shape: tuple[int, ...], registration: Registration) -> dict[str, Any]:
    """How a page of ``shape`` (H, W) was placed, as plain numbers: what a page's record
    keeps (px, mm; the homography row-major)."""
    h, w = shape[:2]
    r = registration
    return {"width_px": w, "height_px": h, "quarter_turns": r.quarter_turns,
            "px_per_mm": round(r.px_per_mm, 4), "residual_mm": round(r.residual_mm, 4),
            "homography": [list(row) for row in r.homography]}


def row_measures(row_scores: Any) -> dict[str, list[Any]]:
    """A row's box measurements (`omr.scoring.RowScores`) by `MEASURE_KEYS`, rounded as
    stored: what `decide_measures` decides from."""
    enters = [(round(float(a), 2), round(float(b), 2)) for a, b in row_scores.enters]
    return {"ink_mm2": [round(float(v), 3) for v in row_scores.inks],
            "extent_mm": [round(float(v), 2) for v in row_scores.extents],
            "through_mm": [round(float(v), 2) for v in row_scores.throughs],
            "enters_left_mm": [a for a, _ in enters],
            "enters_right_mm": [b for _, b in enters],
            "on_outline_mm2": [round(float(v), 3) for v in row_scores.on_outlines],
            "edges": [int(v) for v in row_scores.edges],
            "strength": [round(float(v), 3) for v in row_scores.strengths],
            "around_mm2": [round(float(v), 3) for v in row_scores.arounds],
            "around_share": [round(float(v), 2) for v in row_scores.around_shares],
            "ring": [int(v) for v in row_scores.rings],
            "broad": [round(float(v), 2) for v in row_scores.broads],
            "shadow": [round(float(v), 2) for v in row_scores.shadows]}


def has_measures(measures: Mapping[str, Any] | None) -> bool:
    """Whether a row's stored measurements (`row_measures`) hold what `decide_measures`
    decides from: rows stored with fills only (read before ink and extent were measured)
    do not, and keep the decision they were stored with."""
    return measures is not None and "ink_mm2" in measures and "extent_mm" in measures


def decide_measures(fills: Sequence[float], measures: Mapping[str, Any] | None,
                    rule: MarkRule) -> RowDecision:
    """A row's decision from its measurements as stored (`row_measures`).

    Raises
    ------
    ValueError
        ``measures`` lack ink and extent (`has_measures`): a row stored with fills only.
    """
    fills = tuple(fills)
    if measures is None or not has_measures(measures):
        raise ValueError("the row was stored with fills only (no ink_mm2 and extent_mm): "
                         "its stored decision stands")
    enters = None
    if "enters_left_mm" in measures and "enters_right_mm" in measures:
        enters = tuple(zip(measures["enters_left_mm"], measures["enters_right_mm"], strict=True))
    return decide_row(
        fills, inks=tuple(measures["ink_mm2"]),
        extents=tuple(measures["extent_mm"]), rule=rule,
        throughs=tuple(measures["through_mm"]) if "through_mm" in measures else None,
        enters=enters,
        on_outlines=tuple(measures["on_outline_mm2"]) if "on_outline_mm2" in measures else None,
        edges=tuple(measures["edges"]) if "edges" in measures else None,
        strengths=tuple(measures["strength"]) if "strength" in measures else None,
        arounds=tuple(measures["around_mm2"]) if "around_mm2" in measures else None,
        around_shares=tuple(measures["around_share"]) if "around_share" in measures else None,
        rings=tuple(bool(v) for v in measures["ring"]) if "ring" in measures else None,
        broads=tuple(measures["broad"]) if "broad" in measures else None,
        shadows=tuple(measures["shadow"]) if "shadow" in measures else None,
    )


class Laps:
    """Adds the time since the last lap to ``timings[stage]``; does nothing without one.

    Pass an instance as the ``lap`` of `place_page` and `read_marks`.
    """

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
            self.last = now


def _again(exc: ReadError, *more: Reason) -> ReadError:
    """An error of ``exc``'s kind with ``more`` reasons after its own."""
    return type(exc)(*exc.reasons, *more)


def _with_streaks_filled(gray: np.ndarray, streaks: tuple[Streak, ...], px_per_mm: float,
                         read: Callable[[np.ndarray], T]) -> T | None:
    """``read`` of ``gray`` with its streaks filled in from beside them
    (`omr.faults.erase_streaks`): the page placed, or its code read, where a streak hid a
    mark or broke the code, held to the same checks as any page. None if there is no
    streak, or ``read`` still refuses it."""
    if not streaks:
        return None
    try:
        return read(erase_streaks(gray, streaks, px_per_mm))
    except ReadError:
        return None


def _smallest(gray: np.ndarray, halved: list[np.ndarray], registration: Registration,
              streaks: tuple[Streak, ...], min_px_per_mm: float
              ) -> tuple[np.ndarray, Registration, tuple[Streak, ...]]:
    """The smallest of ``gray`` and its halvings with at least ``min_px_per_mm``; where the
    page lies in it and where the streaks run (image px of it)."""
    level = 0
    while level < len(halved) and registration.px_per_mm / 2 ** (level + 1) >= min_px_per_mm:
        level += 1
    if level == 0:
        return gray, registration, streaks
    f = 2**level
    return halved[level - 1], registration.reduced(f), tuple(
        replace(s, position_px=(s.position_px + 0.5) / f - 0.5) for s in streaks)


def _read_as(finding: Reason, decision: RowDecision) -> Reason:
    """``finding`` (sending the row to review) with what the boxes said, for the reviewer."""
    if decision.outcome == "blank":
        return why.NO_BOX_MARKED(finding=finding)
    return why.READ_AS(finding=finding, read=decision.reasons or (why.ONE_VOTE(),))
