"""Read one scanned page against a campaign's layout: the recognition step of ingest.

This is where `omr` (pixels and geometry) meets the campaign (who is on
which row). It runs in worker processes, so it takes and returns plain,
picklable values and touches neither the database nor the disk.

Order of refusal, each with its reason: the image does not decode; the page
is empty (``blank_page``); the page cannot be placed exactly; its code is
unreadable, foreign, of another campaign, or of another version of this
campaign's ballot; only then are the boxes scored and the rows decided.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np

from omr.code import decode_page_code, match_page_code
from omr.decide import MarkRule, RowDecision, decide_row, name_boxes
from omr.errors import BlankPage, ReadError
from omr.faults import (
    Streak,
    erase_streaks,
    find_streaks,
    find_streaks_unplaced,
    find_writing,
)
from omr.geometry import PageTemplate
from omr.lighting import even_light, is_bitonal
from omr.pixels import halve
from omr.registration import Registration, estimate_px_per_mm, register_page
from omr.scoring import check_outlines, ink_black_level, score_boxes
from pipeline.campaign import Thresholds
from pipeline.layout import BallotLayout, parse_code
from pipeline.printed import find_page_notes
from pipeline.records import Reading, StoredRow
from pipeline.rules import LEVELS
from pipeline.sources import decode_gray

# Smaller than this on either side, an image cannot be a ballot page (A5 at 72 dpi is 420 px
# wide); registration is not even tried.
MIN_PAGE_PX = 300
# A grey page of 9 px/mm or more (300 dpi) is also looked at halved (`omr.pixels.halve`,
# made once and shared; halved again while that keeps 4.5 px/mm): its marks are searched
# first in the half, the light's map starts from it, and writing across the printed names
# (rectified at 4 px/mm) and notes (at 3 px/mm) are looked for in the smallest halving with
# at least these px/mm. Notes need more: a light pencil stroke halved to under 2 px wide
# greys out and breaks (at 200 dpi, 3 pencil strokes spilling between boxes of 380 pages
# became "notes"); at 300 dpi the half keeps it.
WRITING_MIN_PX_PER_MM = 4.5
NOTES_MIN_PX_PER_MM = 5.5
HALVED_MIN_PX_PER_MM = min(WRITING_MIN_PX_PER_MM, NOTES_MIN_PX_PER_MM)

T = TypeVar("T")


def read_scan(data: bytes, layout: BallotLayout, thresholds: Thresholds, *,
              timings: dict[str, float] | None = None) -> Reading:
    """Read one page's encoded image bytes. Never raises for bad pixels.

    ``timings``, if given, gets each stage's seconds added under its name
    (``decode``, ``register``, ``code`` (with the ink's black level), ``light``,
    ``boxes``, ``streaks``, ``writing``, ``notes``, ``decide``): what `benchmarks/speed.py` reports.
    """
    lap = _Laps(timings)
    gray = decode_page(data)
    lap("decode")
    if isinstance(gray, Reading):
        return gray
    return read_pixels(gray, layout, thresholds, lap=lap)


def decode_page(data: bytes) -> np.ndarray | Reading:
    """A page's grey pixels (`pipeline.sources.decode_gray`), or the reading that refuses
    them: the image does not decode. Never raises for bad bytes."""
    try:
        gray = decode_gray(data)
    except Exception as exc:  # any decoder failure is a property of the file
        return Reading("rejected", f"the image data is damaged and cannot be decoded ({exc})")
    if gray is None or gray.ndim != 2 or gray.size == 0:
        return Reading("rejected", "the image data is damaged and cannot be decoded")
    return gray


def read_pixels(gray: np.ndarray, layout: BallotLayout, thresholds: Thresholds, *,
                lap: Callable[[str], None] = lambda stage: None) -> Reading:
    """Read one page's decoded grey pixels (`decode_page`): `read_scan` after the decode.

    ``lap(stage)`` is called as each stage ends (`read_scan`'s ``timings``).
    """
    h, w = gray.shape
    if min(h, w) < MIN_PAGE_PX:
        return Reading("rejected", f"the image is {w} x {h} pixels: too small to be a scanned page "
                                   f"(at least {MIN_PAGE_PX} px a side; scan at 150 dpi or more)",
                       width_px=w, height_px=h)
    est_px_per_mm = estimate_px_per_mm(gray.shape, layout.frame.page_size_mm)
    halved = [halve(gray)] if est_px_per_mm >= 2 * HALVED_MIN_PX_PER_MM \
        and not is_bitonal(gray) else []
    try:
        registration = register_page(gray, layout.frame, half=halved[0] if halved else None)
    except BlankPage as exc:
        return Reading("blank_page", exc.reason, width_px=w, height_px=h)
    except ReadError as exc:
        # a streak through a corner mark hides or moves the mark: say so, it is the
        # scanner's fault, unless the page can be placed with the streak filled in
        streaks = find_streaks_unplaced(gray, layout.frame)
        registration = _with_streaks_filled(gray, streaks, est_px_per_mm,
                                            lambda g: register_page(g, layout.frame))
        if registration is None:
            reason = "; ".join([exc.reason, *(s.reason() for s in streaks)])
            return Reading("rejected", reason, width_px=w, height_px=h)
    lap("register")
    placed = {
        "width_px": w,
        "height_px": h,
        "quarter_turns": registration.quarter_turns,
        "px_per_mm": round(registration.px_per_mm, 4),
        "residual_mm": round(registration.residual_mm, 4),
        "homography": [list(r) for r in registration.homography],
    }
    black = ink_black_level(gray, registration, layout.frame)
    matched: tuple[str, ...] = ()  # the doubt of a code named by comparison
    try:
        text = decode_page_code(gray, registration, layout.frame)
    except ReadError as exc:
        # a streak through the code: read with the streak filled in from beside it (the
        # code's own error correction covers what the filling gets wrong); else compare
        # what the streak leaves of it with this campaign's printed codes; else say so
        streaks = find_streaks(gray, registration, PageTemplate(0, layout.frame, ()), black)
        text = _with_streaks_filled(gray, streaks, registration.px_per_mm,
                                    lambda g: decode_page_code(g, registration, layout.frame))
        match = match_page_code(gray, registration, layout.code_symbol,
                                layout.code_matrices(), streaks) \
            if text is None and streaks else None
        if match is not None:
            text = match.text
            matched = (match.reason(),)
        if text is None:
            reason = "; ".join([exc.reason, *(s.reason() for s in streaks)])
            return Reading("rejected", reason, **placed)
    lap("code")
    code = parse_code(text)
    if code is None:
        return Reading("rejected", f"the QR code is not a kiemphieu ballot code ({text[:60]!r})",
                       code_text=text, **placed)
    if code.campaign_id != layout.campaign_id:
        return Reading(
            "rejected",
            f"ballot of another campaign: '{code.campaign_id}', this workspace counts "
            f"'{layout.campaign_id}'; scan it into its own workspace",
            code_text=text, **placed,
        )
    if code.fingerprint != layout.fingerprint or code.pages != layout.page_count:
        return Reading(
            "rejected",
            f"printed from another version of campaign '{code.campaign_id}' (layout "
            f"{code.fingerprint}, this workspace {layout.fingerprint}): not an issued ballot",
            code_text=text, **placed,
        )
    if not 1 <= code.page <= layout.page_count:
        return Reading("rejected", f"page {code.page} does not exist on this ballot",
                       code_text=text, **placed)
    page = layout.page(code.page)
    # a photo's light falls off and shadows cross it: even it out first (scans pass as they are)
    while halved and registration.px_per_mm / 2 ** (len(halved) + 1) >= HALVED_MIN_PX_PER_MM:
        halved.append(halve(halved[-1]))
    levelled = even_light(gray, registration, layout.frame, halved=halved)
    if halved and levelled is not gray:  # a photo, evened: halved anew
        again = [halve(levelled)]
        while len(again) < len(halved):
            again.append(halve(again[-1]))
        halved = again
    lap("light")
    # the boxes' black is measured on the image they are measured in (a photo's, evened)
    scores = score_boxes(levelled, registration, page.template,
                         black=black if levelled is gray else None)
    try:
        check_outlines(scores)  # the fit, checked again over the whole table
    except ReadError as exc:
        return Reading("rejected", exc.reason, code_text=text, **placed)
    lap("boxes")
    # a scanner streak through a box is a long straight stroke the box rule would count
    streaks = find_streaks(gray, registration, page.template, black)
    lap("streaks")
    streaked = {key: s for s in streaks for key in s.boxes}
    # a line through a row's printed text: the name struck out?
    streak_rows = {r for r, _ in streaked}
    image, placed_at, _ = _smallest(levelled, halved, registration, streaks,
                                    WRITING_MIN_PX_PER_MM)
    writing = {w.row: w for w in find_writing(image, placed_at, page.template, black)
               if w.row not in streak_rows}  # a streak across the row explains its line
    lap("writing")
    # handwriting elsewhere outside the boxes: beside a row, that row goes to review; in a
    # margin, away from the rows, the page is doubted (streaks and struck names left out)
    image, placed_at, seen = _smallest(levelled, halved, registration, streaks,
                                       NOTES_MIN_PX_PER_MM)
    notes = find_page_notes(image, placed_at, layout, code.page, black, streaks=seen,
                            writing=tuple(writing.values()))
    lap("notes")
    noted: dict[int, list] = {}
    for n in notes:
        if n.row is not None:
            noted.setdefault(n.row, []).append(n)
    rule = mark_rule(thresholds)
    rows = []
    for candidate, row_scores in zip(page.candidates, scores, strict=True):
        fills = tuple(round(float(f), 5) for f in row_scores.fills)
        inks = tuple(round(float(v), 3) for v in row_scores.inks)
        extents = tuple(round(float(v), 2) for v in row_scores.extents)
        throughs = tuple(round(float(v), 2) for v in row_scores.throughs)
        enters = tuple((round(float(a), 2), round(float(b), 2)) for a, b in row_scores.enters)
        on_outlines = tuple(round(float(v), 3) for v in row_scores.on_outlines)
        measures = {"ink_mm2": list(inks), "extent_mm": list(extents),
                    "through_mm": list(throughs), "enters_left_mm": [a for a, _ in enters],
                    "enters_right_mm": [b for _, b in enters],
                    "on_outline_mm2": list(on_outlines)}
        # decided on the rounded, stored values: a later re-decision from the store is the same
        decision = decide_measured(fills, measures, thresholds, rule)
        crossed = [b for b in range(len(fills)) if (row_scores.row, b) in streaked]
        if crossed:
            measures["streak"] = [float(b in crossed) for b in range(len(fills))]
            decision = RowDecision(
                "review", None,
                f"scanner streak through {name_boxes([b + 1 for b in crossed])}: "
                f"a straight dark line down the whole scan, not a voter's mark; "
                f"read the paper ballot" + _read_as(decision, if_blank=""),
            )
        if row_scores.row in writing:
            w = writing[row_scores.row]
            measures["struck_mm"] = [w.length_mm]
            decision = RowDecision("review", None, w.reason() + _read_as(decision))
        if row_scores.row in noted:
            found = noted[row_scores.row]
            measures["note_mm"] = [[n.x_mm, n.y_mm, n.w_mm, n.h_mm] for n in found]
            said = "; ".join(n.reason() for n in found)
            decision = RowDecision(
                "review", None,
                f"{decision.reason}; {said}" if row_scores.row in writing or crossed else
                said + _read_as(decision),
            )
        rows.append(
            StoredRow(
                candidate=candidate.stt,
                outcome=decision.outcome,
                level=LEVELS[decision.choice] if decision.outcome == "vote" else None,
                reason=decision.reason,
                fills=fills,  # type: ignore[arg-type]
                measures=measures,
            )
        )
    lap("decide")
    return Reading("accepted", None, code_text=text, ballot_page=code.page, rows=tuple(rows),
                   doubts=(*(s.reason() for s in streaks), *matched,
                           *(n.reason() for n in notes if n.row is None)),
                   **placed)  # rows carry the rest


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


def _read_as(decision: RowDecision, if_blank: str = " (no box marked)") -> str:
    """What the boxes said, for a row a page finding sends to review."""
    if decision.outcome == "blank":
        return if_blank
    return f" (read as: {decision.reason or decision.outcome})"


class _Laps:
    """Adds the time since the last lap to ``timings[stage]``; does nothing without one."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
            self.last = now


def decide_measured(fills: tuple[float, ...], measures: dict[str, Any] | None,
                    thresholds: Thresholds, rule: MarkRule) -> RowDecision:
    """A row's decision from its box measurements as stored (``row_reading.measures``).

    Rows stored with fills only (before ink and extent were measured) are
    decided by the fill rule.
    """
    t = thresholds
    if not measures or "ink_mm2" not in measures or "extent_mm" not in measures:
        return decide_row(fills, t.definite, t.marginal)
    enters = None
    if "enters_left_mm" in measures and "enters_right_mm" in measures:
        enters = tuple(zip(measures["enters_left_mm"], measures["enters_right_mm"], strict=True))
    return decide_row(
        fills, t.definite, t.marginal, inks=tuple(measures["ink_mm2"]),
        extents=tuple(measures["extent_mm"]), rule=rule,
        throughs=tuple(measures["through_mm"]) if "through_mm" in measures else None,
        enters=enters,
        on_outlines=tuple(measures["on_outline_mm2"]) if "on_outline_mm2" in measures else None,
    )


def mark_rule(thresholds: Thresholds) -> MarkRule:
    """The box rule of `omr.decide` with the campaign's thresholds."""
    return MarkRule(
        mark_extent_mm=thresholds.mark_extent_mm,
        mark_ink_mm2=thresholds.mark_ink_mm2,
        faint_ink_mm2=thresholds.faint_ink_mm2,
        faint_long_ink_mm2=thresholds.faint_long_ink_mm2,
        blackout_fill=thresholds.blackout_fill,
        outline_ink_mm2=thresholds.outline_ink_mm2,
    )
