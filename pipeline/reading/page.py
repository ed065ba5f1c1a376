"""Read one scanned page against a campaign's layout: the recognition step of ingest.

This is where `omr` (pixels and geometry: `omr.page` runs its stages) meets
the campaign (who is on which row). It runs in worker processes, so it
takes and returns plain, picklable values and touches neither the database
nor the disk.

Order of refusal, each with its reason: the image does not decode; the page
is empty (``blank_page``); the page cannot be placed exactly; its code is
unreadable, foreign, of another campaign, or of another version of this
campaign's ballot; only then are the boxes scored and the rows decided.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from omr.decide import MarkRule
from omr.errors import BlankPage, CodeUnreadable, ReadError
from omr.lighting import is_bitonal
from omr.likeness import sheet_print
from omr.page import Laps, PlacedPage, place_page, placement, read_marks
from omr.reasons import Reason
from omr.seal import SealParams, measure_seal
from omr.transform import Registration
from pipeline.domain import reasons as why
from pipeline.domain.campaign import Campaign
from pipeline.domain.layout import BallotLayout, parse_code
from pipeline.domain.records import Reading, StoredRow
from pipeline.reading.colour import decode_colour
from pipeline.reading.printed import code_matrices, page_tables, references, seal_place
from pipeline.reading.sources import decode_gray, detail

#: A seal in colour is a photocopy's when less than this share of its ring's ink is red
#: (stamp-pad red measures 0.6-0.95, a black copy's 0-0.1).
MIN_SEAL_RED = 0.3
#: The seal's ring on a 1-bit scan: the threshold drops a light stamp's thinner parts.
BITONAL_SEAL = SealParams(min_ring=0.45)

Colour = Callable[[], "tuple[np.ndarray, float] | None"]


def read_scan(data: bytes, layout: BallotLayout, thresholds: MarkRule, *,
              timings: dict[str, float] | None = None) -> Reading:
    """Read one page's encoded image bytes. Never raises for bad pixels.

    ``timings``, if given, gets each stage's seconds added under its name
    (``decode``, ``register``, ``code`` (with the ink's black level), ``light``,
    ``boxes``, ``streaks``, ``writing``, ``notes``, ``decide``, ``seal``, ``print``): what
    `benchmarks/speed.py` reports.
    """
    lap = Laps(timings)
    gray = decode_page(data)
    lap("decode")
    if isinstance(gray, Reading):
        return gray
    return read_pixels(gray, layout, thresholds, lap=lap, colour=lambda: decode_colour(data))


def decode_page(data: bytes) -> np.ndarray | Reading:
    """A page's grey pixels (`pipeline.reading.sources.decode_gray`), or the reading that refuses
    them: the image does not decode. Never raises for bad bytes."""
    try:
        gray = decode_gray(data)
    except Exception as exc:  # any decoder failure is a property of the file
        return Reading("rejected", (why.IMAGE_DAMAGED(detail=detail(exc)),))
    if gray is None or gray.ndim != 2 or gray.size == 0:
        return Reading("rejected", (why.IMAGE_UNDECODED(),))
    return gray


def read_pixels(gray: np.ndarray, layout: BallotLayout, thresholds: MarkRule, *,
                lap: Laps | None = None, colour: Colour | None = None) -> Reading:
    """Read one page's decoded grey pixels (`decode_page`): `read_scan` after the decode.

    ``lap(stage)`` is called as each stage ends (`read_scan`'s ``timings``). ``colour``
    gives the page in colour (`pipeline.reading.colour.decode_colour`), asked only of a
    page that prints the seal's place and carries a seal there (or must: ``seal:
    required``), to tell a red seal from a photocopy's black one.
    """
    lap = lap or Laps(None)
    h, w = gray.shape
    try:
        placed = place_page(gray, layout.frame, code_symbol=layout.code_symbol,
                            printed_codes=lambda: code_matrices(layout),
                            printed_tables=lambda: page_tables(layout),
                            is_code=lambda text: parse_code(text) is not None, lap=lap)
    except BlankPage as exc:
        return Reading("blank_page", exc.reasons, width_px=w, height_px=h)
    except CodeUnreadable as exc:  # placed: say where
        where = placement(gray.shape, exc.registration) if exc.registration else \
            {"width_px": w, "height_px": h}
        return Reading("rejected", exc.reasons, **where)
    except ReadError as exc:
        return Reading("rejected", exc.reasons, width_px=w, height_px=h)
    text = placed.code_text
    where = {"code_text": text, **placed.placement()}
    code = parse_code(text)
    if code is None:
        return Reading("rejected", (why.NOT_A_BALLOT_CODE(text=text[:60]),), **where)
    if code.campaign_id != layout.campaign_id:
        return Reading("rejected", (why.OTHER_CAMPAIGN(campaign=code.campaign_id,
                                                       workspace=layout.campaign_id),), **where)
    if not any(f.fingerprint == code.fingerprint and f.page_count == code.pages
               for f in layout.forms):
        return Reading("rejected", (why.OTHER_VERSION(
            campaign=code.campaign_id, fingerprint=code.fingerprint,
            expected=layout.fingerprint),), **where)
    if code.test != layout.test:
        refused = why.TEST_BALLOT if code.test else why.REAL_BALLOT_IN_TEST
        return Reading("rejected", (refused(campaign=code.campaign_id),), **where)
    number = layout.locate(code)  # the page through all the forms: the stored ballot_page
    if number is None:
        return Reading("rejected", (why.NO_SUCH_PAGE(page=code.page),), **where)
    page = layout.page(number)
    refs = references(layout)
    try:
        marks = read_marks(placed, page.template, thresholds,
                           printed=refs[number - 1] if refs else None, lap=lap)
    except ReadError as exc:
        return Reading("rejected", exc.reasons, **where)
    if marks.registration is not None:  # refitted on the table: where the boxes were read
        where.update(placement(gray.shape, marks.registration))
    rows = tuple(
        StoredRow(
            candidate=candidate.stt,
            outcome=row.decision.outcome,
            level=layout.levels[row.decision.choice] if row.decision.outcome == "vote" else None,
            reasons=row.decision.reasons,
            fills=row.fills,  # type: ignore[arg-type]
            measures=row.measures,
        )
        for candidate, row in zip(page.candidates, marks.rows, strict=True)
    )
    registration = marks.registration or placed.registration
    # the seal's place is printed on each form's first page
    doubts = marks.doubts + seal_doubts(placed, registration, layout, code.page, colour)
    lap("seal")
    # the print of the marks, from the arrays placed already: the same sheet seen again
    handwriting = sheet_print(placed.gray, registration, page.template, placed.black,
                              placed.halved).to_bytes()
    lap("print")
    return Reading("accepted", (), ballot_page=number, rows=rows, doubts=doubts,
                   sheet_print=handwriting, **where)  # rows carry the rest


def seal_doubts(placed: PlacedPage, registration: Registration, layout: BallotLayout,
                page: int, colour: Colour | None) -> tuple[Reason, ...]:
    """The doubts about a page's seal (`omr.seal`). Only a form's first page, which prints
    the seal's place, is looked at. Where the campaign requires the seal (``seal:
    required``): no seal's ring at its place (``seal_missing``). Whatever the setting, a
    seal found in a colour scan whose ink is not red (``seal_not_red``: a photocopy); with
    ``seal: optional`` a page without a seal is fine, and costs only the ring's search
    (a 1-bit page not even that)."""
    place = seal_place(layout)
    campaign: Campaign | None = layout.campaign
    if place is None or page != 1 or campaign is None:
        return ()
    required = campaign.seal == "required"
    bitonal = is_bitonal(placed.gray)
    if not required and bitonal:  # no colour to judge a seal by
        return ()
    params = BITONAL_SEAL if bitonal else SealParams()
    # without the requirement, the ring is looked for on grey first (a millisecond or two):
    # the colour (decoded again: a 200-dpi JPEG's decode) only for a page that has a seal
    if not required and not measure_seal(placed.gray, registration, place, placed.black,
                                         params=params).found:
        return ()
    in_colour = colour() if colour is not None else None
    if not required and in_colour is None:
        return ()
    seal = measure_seal(placed.gray, registration, place, placed.black,
                        colour=in_colour[0] if in_colour else None,
                        colour_factor=in_colour[1] if in_colour else 1.0, params=params)
    if not seal.found:
        return (why.SEAL_MISSING(ring=seal.ring),) if required else ()
    if seal.red is not None and seal.red < MIN_SEAL_RED:
        return (why.SEAL_NOT_RED(red=seal.red),)
    return ()

