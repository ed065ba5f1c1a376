"""Sheets as committees handle them, through the real reader: the body's seal stamped by
hand over the header, corners folded over, sheets fed sideways or skewed past the scan
area. Each page is printed from the campaign's own PDF, marked, handled and scanned by the
simulator, encoded as a scanner writes it and read by `pipeline.reading.page.read_scan`.

A page is placed from whatever is left of it (three marks; fewer, with the QR code's
corners, refitted on the box outlines) and refused only when that cannot be confirmed;
the seal never costs a page. In colour a black seal (a photocopy) sends the page to review
whatever the campaign says; a campaign may also require the seal (`seal: required`): a
first page without it then goes to review.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from omr_pages import SAMPLE, read_layout, sample_layout

import simulator as sim
from omr.page import decide_measures
from pipeline.documents.ballot_pdf import ballot_pdf_bytes
from pipeline.domain.campaign import CampaignError, load_campaign, parse_campaign
from pipeline.domain.layout import BallotLayout
from pipeline.reading.page import Reading, read_scan

DPI = 200
PPM = sim.px_per_mm(DPI)
#: row -> box marked (0-based), on page 1
VOTES = {1: 0, 2: 1, 3: 2, 4: 1, 5: 0, 6: 2, 7: 0, 8: 1, 9: 2, 10: 0, 11: 1, 12: 2}
SEAL_CENTRE = (42.0, 26.0)  # the centre of the place the layout prints for the seal


@cache
def _layout(seal: str = "optional") -> BallotLayout:
    return read_layout(replace(load_campaign(SAMPLE), seal=seal))


@cache
def _marked(fade: tuple[float, float, float] | None = None) -> np.ndarray:
    """Page 1 as printed, with one blue X in each row (`VOTES`): RGB at 200 dpi. ``fade``:
    printed short of toner first (``keep``, ``band_keep`` in a 30 mm band down the page,
    its centre mm from the left edge: `simulator.fade_toner`)."""
    layout = _layout()
    page = next(sim.render_pages(ballot_pdf_bytes(layout.campaign, layout, copies=1), DPI))
    page = page.copy()
    if fade is not None:
        width_mm = page.shape[1] / PPM
        sim.fade_toner(page, fade[0], fade[1], fade[2] / width_mm, 30.0 / width_mm)
    rng = np.random.default_rng(3)
    rows = {r.row: r for r in layout.page(1).template.rows}
    for row, box in VOTES.items():
        sim.draw_mark(page, rows[row].boxes[box], PPM, sim.Mark("x", "blue", 0.5), rng)
    return page


def _stamped(colour: tuple[int, int, int] = sim.seal.SEAL_RED, centre=SEAL_CENTRE,
             diameter: float = 38.0, angle: float = 25.0) -> np.ndarray:
    page = _marked().copy()
    stamp = sim.SealStamp(centre_mm=centre, diameter_mm=diameter, angle_deg=angle,
                          colour=colour, density=0.85, press=0.4, press_deg=200.0, patchy=0.4)
    sim.stamp_seal(page, stamp, PPM, np.random.default_rng(5))
    return page


def _scan(page: np.ndarray, profile: sim.ScanProfile, seed: int = 1, fmt: str = ".png"
          ) -> bytes:
    img = sim.degrade(page, profile, np.random.default_rng(seed))
    if img.dtype == bool:
        img = np.where(img, 255, 0).astype(np.uint8)
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(fmt, img)
    assert ok
    return buf.tobytes()


def _read(data: bytes, seal: str = "optional") -> Reading:
    layout = _layout(seal)
    return read_scan(data, layout, layout.campaign.thresholds)


def _votes_right(reading: Reading) -> None:
    assert reading.status == "accepted", reading.reason
    got = {r.candidate: (r.outcome, r.level) for r in reading.rows}
    levels = ("high", "medium", "low")
    assert got == {stt: ("vote", levels[box]) for stt, box in VOTES.items()}, got


GREY = sim.ScanProfile(dpi=DPI, skew_deg=0.8, shift_mm=1.0)
COLOUR = replace(GREY, colour="rgb", tint=0.02)


def test_a_red_seal_stamped_over_the_top_left_mark_costs_nothing() -> None:
    # 40 mm across, 9 mm left of and 7 mm above its place: its ring runs through the mark
    page = _stamped(centre=(SEAL_CENTRE[0] - 9, SEAL_CENTRE[1] - 7), diameter=40.0)
    reading = _read(_scan(page, GREY))
    _votes_right(reading)
    assert not reading.doubts, reading.doubts


@pytest.mark.parametrize("profile", [GREY, COLOUR, replace(GREY, colour="bitonal")],
                         ids=["grey", "colour", "1-bit"])
def test_a_required_seal_is_found_where_it_is_stamped(profile: sim.ScanProfile) -> None:
    reading = _read(_scan(_stamped(), profile), seal="required")
    _votes_right(reading)
    assert not reading.doubts, reading.doubts


@pytest.mark.parametrize("profile", [GREY, COLOUR], ids=["grey", "colour"])
def test_a_required_seal_missing_sends_the_page_to_review(profile: sim.ScanProfile) -> None:
    reading = _read(_scan(_marked(), profile), seal="required")
    _votes_right(reading)
    assert [d.code for d in reading.doubts] == ["seal_missing"]
    assert _read(_scan(_marked(), profile)).doubts == ()  # not required: no doubt


@pytest.mark.parametrize("seal", ["required", "optional"])
def test_a_black_seal_in_colour_is_a_photocopy_to_review(seal: str) -> None:
    black = _stamped(colour=sim.seal.COPY_BLACK)
    reading = _read(_scan(black, COLOUR, fmt=".jpg"), seal=seal)
    _votes_right(reading)
    assert [d.code for d in reading.doubts] == ["seal_not_red"]
    # in grey a red seal and a black one look alike: a seal is there, which is all it can say
    assert _read(_scan(black, GREY), seal=seal).doubts == ()


def test_with_the_seal_optional_a_colour_page_with_a_red_seal_or_none_is_fine() -> None:
    for page in (_stamped(), _marked()):
        reading = _read(_scan(page, COLOUR, fmt=".jpg"))
        _votes_right(reading)
        assert reading.doubts == ()


@pytest.mark.parametrize("corner", ["top_left", "top_right", "bottom_right"])
def test_a_corner_folded_over_by_28_mm_costs_nothing(corner: str) -> None:
    page = _stamped()
    sim.dog_ear(page, corner, 28.0, 26.0, PPM, 240, np.random.default_rng(2))
    reading = _read(_scan(page, GREY), seal="required")
    _votes_right(reading)
    assert not reading.doubts, reading.doubts


def test_a_sheet_fed_sideways_with_a_seal_and_a_dog_ear_is_read() -> None:
    page = _stamped()
    sim.dog_ear(page, "top_right", 25.0, 28.0, PPM, 240, np.random.default_rng(2))
    for turns in (1, 3):
        reading = _read(_scan(page, replace(GREY, quarter_turns=(turns,))), seal="required")
        _votes_right(reading)
        assert reading.quarter_turns in (1, 3)
        assert not reading.doubts, reading.doubts


def _corners_in_scan(data: bytes, layout: BallotLayout) -> int:
    """How many of the page's four marks lie wholly inside the scanned image (4 mm clear
    of its edges: ArUco needs a mark's white margin too)."""
    reading = _read(data)
    h = np.array(reading.homography)
    gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    inside = 0
    for m in layout.frame.markers:
        pts = cv2.perspectiveTransform(np.array([m.square.corners()], float), h)[0]
        clear = 4 * PPM
        inside += bool((pts >= clear).all() and (pts[:, 0] < gray.shape[1] - clear).all()
                       and (pts[:, 1] < gray.shape[0] - clear).all())
    return inside


def test_a_skewed_sheet_whose_corners_the_scan_area_cut_off_is_read() -> None:
    # 4-5 degrees on an A4 scan area, shifted up to 4 mm: every corner of the sheet falls
    # outside it, and the marks of one or two corners with it
    profile = replace(GREY, skew_deg=5.0, shift_mm=4.0)
    seeds = [s for s in range(40) if abs(_skew(s, profile)) > 4.0][:4]
    cut = 0
    for seed in seeds:
        data = _scan(_stamped(), profile, seed=seed)
        _votes_right(_read(data))
        cut += _corners_in_scan(data, _layout()) < 4
    assert cut >= 3  # the case is what it says: these scans lost marks


def _skew(seed: int, profile: sim.ScanProfile) -> float:
    """The skew `sim.degrade` draws for ``seed``: its sixth draw, after the paper's level,
    the toner's and the three channels' tints."""
    rng = np.random.default_rng(seed)
    rng.uniform(), rng.uniform(), rng.uniform(size=3)
    return float(rng.uniform(-profile.skew_deg, profile.skew_deg))


def test_a_photo_with_a_corner_folded_over_is_placed_by_three_marks_and_the_code() -> None:
    page = _stamped()
    sim.dog_ear(page, "top_right", 28.0, 28.0, PPM, 110, np.random.default_rng(2))
    profile = replace(sim.PHONE, quarter_turns=(0,), shadow=(0.1, 0.2), megapixels=(8.0, 8.0))
    for seed in (1, 2):
        reading = _read(_scan(page, profile, seed=seed, fmt=".jpg"))
        _votes_right(reading)
        assert not reading.doubts, reading.doubts


def test_a_faded_page_scanned_1_bit_by_a_document_scanner_keeps_its_pale_print() -> None:
    # toner at 40 %, 16 % in a band down the middle column: the scanner's dynamic threshold
    # keeps it (a global cut below its grey drops that column's outlines and the page)
    column = _layout().page(1).template.rows[0].boxes[1]
    page = _marked((0.4, 0.4, column.x + column.w / 2))
    _votes_right(_read(_scan(page, replace(GREY, colour="bitonal"))))


def test_a_1_bit_code_the_threshold_broke_into_dots_is_read() -> None:
    # toner at 45 %, 32 % across the code's left half: one cut for the page leaves its
    # modules there as scattered dots; averaged over a third of a module they are dark
    qr = _layout().frame.qr
    page = _marked((0.45, 0.7, qr.x + 0.3 * qr.w))
    reading = _read(_scan(page, replace(GREY, colour="bitonal", bitonal="global")))
    _votes_right(reading)
    assert reading.doubts == ()


def test_a_column_a_1_bit_cut_erased_from_faded_print_is_read_where_the_marks_put_it() -> None:
    # toner at 45 %, 10 % in a band down the middle column: one cut for the page erases
    # that column's outlines and rules while the voters' pen stays. Nothing printed lies
    # anywhere else near them: they are gone, not moved, and the other two columns
    # confirm the fit (a page refused for "outlines not where the marks put them" before)
    column = _layout().page(1).template.rows[0].boxes[1]
    page = _marked((0.45, 0.1, column.x + column.w / 2))
    for seed in (1, 2):
        _votes_right(_read(_scan(page, replace(GREY, colour="bitonal", bitonal="global"),
                                 seed=seed)))


def test_a_box_whose_outline_faded_to_a_corner_is_measured_where_the_fit_puts_it() -> None:
    """Page 2 printed short of toner, its middle column's print cut away by a 1-bit scan
    with one threshold but for a corner and a stretch of each box's right side (tests/
    scans/faded-column-one-cut.tif, FADED_GLOBAL_BITONAL of seed 3030, 200 dpi G4). Moved
    onto what is left of its outline, box 2 of row 16 measured the remains as a 9.7 mm
    mark beside the voter's tick in box 1: an overvote, silently. Measured where the
    fit puts it, it is empty."""
    data = (Path(__file__).parent / "scans" / "faded-column-one-cut.tif").read_bytes()
    reading = _read(data)
    assert reading.status == "accepted", reading.reasons
    got = {r.candidate: (r.outcome, r.level) for r in reading.rows}
    assert got == {13: ("vote", "high"), 14: ("vote", "high"), 15: ("vote", "high"),
                   16: ("vote", "high"), 17: ("vote", "high"), 18: ("vote", "medium")}


def test_a_corner_folded_over_the_boxes_is_refused_not_read_as_empty_boxes() -> None:
    # a large fold over the top right corner, its flap's blank back over the last column's
    # first rows (and the voters' marks there): like outlines a faded band erased, nothing
    # printed is left near them, but only near the corner, not down the page
    page = _marked().copy()
    sim.dog_ear(page, "top_right", 150.0, 150.0, PPM, 250, np.random.default_rng(2))
    reading = _read(_scan(page, replace(GREY, colour="bitonal", bitonal="global")))
    assert reading.status == "rejected"
    assert "outlines_misplaced" in [r.code for r in reading.reasons], reading.reasons


def test_a_sheet_whose_edge_is_folded_under_its_whole_length_is_refused() -> None:
    # the right 30 mm folded under down the whole sheet: both right marks and the last
    # column of boxes (the voters' marks in it) gone, as a band of faded toner would
    # take them, but the marks' places hold no ink at all: not faded, folded
    page = _marked().copy()
    page[:, page.shape[1] - round(30 * PPM):] = 255
    reading = _read(_scan(page, replace(GREY, colour="bitonal", bitonal="global")))
    assert reading.status == "rejected"


def test_three_marks_one_faded_out_of_shape_place_the_page_by_two_and_the_code() -> None:
    """Page 2 printed short of toner and cut by one 1-bit threshold (tests/scans/
    faded-mark-out-of-shape.tif, FADED_GLOBAL_BITONAL of seed 3030, 200 dpi G4): the
    bottom-right mark is gone and another, faded to dots at one side, is found out of
    shape. The three fit no flat page (0.49 mm); two of them and the code's corners do,
    and the table confirms it."""
    data = (Path(__file__).parent / "scans" / "faded-mark-out-of-shape.tif").read_bytes()
    reading = _read(data)
    assert reading.status == "accepted", reading.reasons
    got = {r.candidate: (r.outcome, r.level) for r in reading.rows}
    assert got == {13: ("vote", "medium"), 14: ("vote", "medium"), 15: ("vote", "medium"),
                   16: ("vote", "high"), 17: ("vote", "high"), 18: ("vote", "low")}


def test_a_table_moved_off_the_fit_is_still_refused_when_part_of_it_is_faded() -> None:
    # the lower rows of the table 2.5 mm right of and below where the marks put them (the
    # sheet curled or creased there), and the middle column faded away: outlines that
    # are found beside their place are moved, not erased, and the page is refused
    layout = _layout()
    rows = {r.row: r for r in layout.page(1).template.rows}
    page = next(sim.render_pages(ballot_pdf_bytes(layout.campaign, layout, copies=1), DPI))
    page = page.copy()
    top = round((rows[7].band.y - 1.0) * PPM)
    bottom = round((rows[12].band.y + rows[12].band.h + 1.0) * PPM)
    dx = round(2.5 * PPM)
    page[top + dx : bottom + dx, dx:] = page[top:bottom, :-dx].copy()
    page[top : top + dx, :] = 255
    page[top : bottom + dx, :dx] = 255
    width_mm = page.shape[1] / PPM
    column = rows[1].boxes[1]
    sim.fade_toner(page, 0.45, 0.1, (column.x + column.w / 2) / width_mm, 30.0 / width_mm)
    reading = _read(_scan(page, replace(GREY, colour="bitonal", bitonal="global")))
    assert reading.status == "rejected"
    assert [r.code for r in reading.reasons] == ["outlines_misplaced"], reading.reasons


def _faded_code_page(layout: BallotLayout) -> bytes:
    """Page 1 of ``layout`` marked as `VOTES`, its toner at 45 % and 8 % in a band over the
    right half of the QR code, scanned 1-bit with one cut for the page: that half of the
    symbol is gone (zxing finds no code), its left half is plain."""
    page = next(sim.render_pages(ballot_pdf_bytes(layout.campaign, layout, copies=1), DPI))
    page = page.copy()
    width_mm = page.shape[1] / PPM
    qr = layout.frame.qr
    sim.fade_toner(page, 0.45, 0.08, (qr.x + 0.75 * qr.w) / width_mm, 16.0 / width_mm)
    rows = {r.row: r for r in layout.page(1).template.rows}
    rng = np.random.default_rng(3)
    for row, box in VOTES.items():
        sim.draw_mark(page, rows[row].boxes[box], PPM, sim.Mark("x", "blue", 0.5), rng)
    return _scan(page, replace(GREY, colour="bitonal", bitonal="global"))


def test_a_code_half_erased_by_faded_toner_is_named_by_what_is_left_of_it() -> None:
    data = _faded_code_page(_layout())
    reading = _read(data)
    _votes_right(reading)
    assert [d.code for d in reading.doubts] == ["code_named_faded"], reading.doubts
    alike, seen = dict(reading.doubts[0].params)["alike"], dict(reading.doubts[0].params)["visible"]
    assert alike >= 0.98 * seen


def test_another_campaigns_page_with_its_code_half_erased_is_not_taken_for_ours() -> None:
    other = read_layout(replace(load_campaign(SAMPLE), id="hdnd-khac-2024"))
    reading = _read(_faded_code_page(other))
    assert reading.status == "rejected"
    assert "code_unreadable" in [r.code for r in reading.reasons], reading.reasons


@pytest.mark.parametrize("number", [1, 2])
def test_a_page_whose_code_is_wholly_gone_is_named_by_its_table_for_a_person_to_confirm(
        number: int) -> None:
    # the QR code painted out (a 1-bit cut through faded toner can leave nothing of it):
    # placed by its four marks, the page is the one page of the ballot whose box outlines
    # all lie where they put it; a person confirms it is this campaign's ballot
    layout = _layout()
    pages = sim.render_pages(ballot_pdf_bytes(layout.campaign, layout, copies=1), DPI)
    page = next(p for n, p in enumerate(pages, start=1) if n == number).copy()
    qr = layout.frame.qr
    page[round(qr.y * PPM):round((qr.y + qr.h) * PPM),
         round(qr.x * PPM):round((qr.x + qr.w) * PPM)] = 255
    rows = layout.page(number).template.rows
    rng = np.random.default_rng(3)
    for row in rows:
        sim.draw_mark(page, row.boxes[row.row % 3], PPM, sim.Mark("x", "blue", 0.5), rng)
    reading = _read(_scan(page, replace(GREY, colour="bitonal", bitonal="global")))
    assert reading.status == "accepted", reading.reasons
    assert reading.ballot_page == number
    assert [d.code for d in reading.doubts] == ["code_named_by_table"]
    levels = ("high", "medium", "low")
    assert [(r.outcome, r.level) for r in reading.rows] == [
        ("vote", levels[row.row % 3]) for row in rows]


def test_a_faded_code_zxing_misreads_is_not_taken_for_a_foreign_code() -> None:
    """Page 1 printed short of toner and cut by one 1-bit threshold (tests/scans/
    faded-code-misread.tif, FADED_GLOBAL_BITONAL of seed 3028, 200 dpi G4): zxing reads
    what is left of its code as another, valid code ("7876", no ballot's), refused before
    as "not a kiemphieu ballot code". A quarter of its modules can be seen, too few to
    compare; placed by its four marks, it is named by its table, for a person to confirm."""
    data = (Path(__file__).parent / "scans" / "faded-code-misread.tif").read_bytes()
    reading = _read(data)
    assert reading.status == "accepted", reading.reasons
    assert [d.code for d in reading.doubts] == ["code_named_by_table"]
    assert [(r.outcome, r.level) for r in reading.rows] == [
        ("vote", "high"), ("vote", "low"), ("blank", None), ("vote", "low"), ("vote", "high"),
        ("vote", "medium"), ("vote", "medium"), ("vote", "low"), ("vote", "low"),
        ("vote", "low"), ("vote", "low"), ("vote", "high")]


def test_a_tea_stain_whose_edge_crosses_empty_boxes_sends_their_rows_to_review() -> None:
    """A stain 60 mm across, spilt over the middle and right columns of page 1, dried
    with a darker rim (`simulator.stain`), scanned grey to JPEG. Its rim crosses the empty
    middle box of row 3 and the right one of row 4, beside their X: read before as
    overvotes (two clear marks), those rows now go to a person; every other row reads
    its X."""
    page = _marked().copy()
    sim.stain(page, (195 * PPM, 124 * PPM), 60 * PPM, PPM, np.random.default_rng(0))
    reading = _read(_scan(page, GREY, fmt=".jpg"))
    assert reading.status == "accepted", reading.reason
    levels = ("high", "medium", "low")
    crossed = {}
    for row in reading.rows:
        if (row.outcome, row.level) != ("vote", levels[VOTES[row.candidate]]):
            crossed[row.candidate] = row
    assert sorted(crossed) == [3, 4]
    rule = _layout().campaign.thresholds
    for row in crossed.values():
        assert row.outcome == "review"
        assert [r.code for r in row.reasons] == ["light_ink_crosses"]
        assert row.reasons[0]["boxes"] == {3: (2,), 4: (3,)}[row.candidate]
        without = {k: v for k, v in row.measures.items() if k not in ("edges", "strength")}
        assert decide_measures(row.fills, without, rule).outcome == "overvote"


def test_a_light_pencil_ring_drawn_on_a_box_outline_goes_to_review() -> None:
    """A voter rings the middle box of row 1 with a pencil held lightly, the ring lying on
    the printed outline all round; pink paper, scanned dark (paper at 62-68 % white). Every
    other measure leaves the outline's band out with the printer's line, and the row read
    blank: its ink along the outline beyond its column's boxes now sends it to a person."""
    layout = _layout()
    page = next(sim.render_pages(ballot_pdf_bytes(layout.campaign, layout, copies=1), DPI))
    page = page.copy()
    sim.on_paper(page, sim.PAPER_COLOURS["pink"])
    rng = np.random.default_rng(0)
    rows = {r.row: r for r in layout.page(1).template.rows}
    for row, box in VOTES.items():
        if row != 1:
            sim.draw_mark(page, rows[row].boxes[box], PPM, sim.Mark("x", "blue", 0.5), rng)
    box = rows[1].boxes[1]
    turn = np.linspace(0, 2 * np.pi, 90)
    radius = box.w / 2 + 0.3
    ring = np.c_[box.x + box.w / 2 + radius * np.cos(turn), box.y + box.h / 2 + radius * np.sin(turn)]
    before = page.copy()
    sim.ink_strokes(page, [ring], PPM, "pencil_light", 0.4, rng)
    page = (0.55 * page + 0.45 * before + 0.5).astype(np.uint8)  # pressed lightly
    dark = replace(GREY, paper=(0.62, 0.68), ink=(0.15, 0.2))
    reading = _read(_scan(page, dark, seed=0))
    assert reading.status == "accepted", reading.reason
    first = reading.rows[0]
    assert first.outcome == "review"
    assert [r.code for r in first.reasons] == ["ring_on_outline"]
    assert first.reasons[0]["boxes"] == (2,)
    without = {k: v for k, v in first.measures.items() if k not in ("around_mm2", "around_share")}
    assert decide_measures(first.fills, without, layout.campaign.thresholds).outcome == "blank"
    levels = ("high", "medium", "low")
    assert [(r.outcome, r.level) for r in reading.rows[1:]] == [
        ("vote", levels[VOTES[r.candidate]]) for r in reading.rows[1:]]


@pytest.mark.parametrize("profile", [GREY, COLOUR], ids=["grey", "colour"])
def test_a_pencil_x_rubbed_out_beside_a_new_one_is_never_a_second_mark(profile) -> None:
    """Rows 1-6: a pencil X in the box beside the vote, rubbed out (a smudged ghost at 40 %
    of its darkness), then a pencil X in the box meant. Read before as overvotes (two
    clear marks); a ghost so much lighter than the X beside it now goes to a person."""
    layout = _layout()
    page = next(sim.render_pages(ballot_pdf_bytes(layout.campaign, layout, copies=1), DPI))
    page = page.copy()
    rows = {r.row: r for r in layout.page(1).template.rows}
    rng = np.random.default_rng(0)
    before = page.copy()
    for row in range(1, 7):
        sim.draw_mark(page, rows[row].boxes[(VOTES[row] + 1) % 3], PPM,
                      sim.Mark("x", "pencil", 0.6), rng)
    rubbed = cv2.GaussianBlur(page, (0, 0), 0.15 * PPM).astype(np.float32)
    page = (0.4 * rubbed + 0.6 * before + 0.5).astype(np.uint8)
    for row, box in VOTES.items():
        sim.draw_mark(page, rows[row].boxes[box], PPM, sim.Mark("x", "pencil", 0.5), rng)
    reading = _read(_scan(page, profile))
    assert reading.status == "accepted", reading.reason
    levels = ("high", "medium", "low")
    rule = layout.campaign.thresholds
    overvotes_before = 0
    for row in reading.rows:
        if row.candidate > 6:
            assert (row.outcome, row.level) == ("vote", levels[VOTES[row.candidate]])
            continue
        assert row.outcome in ("vote", "review"), (row.candidate, row.outcome, row.reasons)
        assert row.outcome == "review" or row.level == levels[VOTES[row.candidate]]
        without = {k: v for k, v in row.measures.items()
                   if k not in ("strength", "around_mm2", "around_share", "edges")}
        overvotes_before += decide_measures(row.fills, without, rule).outcome == "overvote"
    assert overvotes_before >= 1


def test_a_page_whose_mark_and_code_are_both_gone_is_refused_and_says_why() -> None:
    page = _marked().copy()
    sim.dog_ear(page, "bottom_left", 40.0, 40.0, PPM, 240, np.random.default_rng(2))
    reading = _read(_scan(page, GREY))
    assert reading.status == "rejected"
    assert reading.reason is not None
    assert "QR code" in reading.reason


def test_the_seal_setting_is_checked() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    assert parse_campaign(text + "\nseal: required\n").seal == "required"
    assert parse_campaign(text).seal == "optional"
    with pytest.raises(CampaignError, match="seal"):
        parse_campaign(text + "\nseal: sometimes\n")


def test_a_photo_whose_folded_corner_hides_a_mark_is_placed_by_three_marks_and_its_code() -> None:
    """A phone photo, upside down, a corner folded over its mark (tests/scans/
    dog-eared-photo-three-marks.jpg, HANDLED_PHONE of seed 3032, grey JPEG 60). Three marks
    fit no flat page (the photo's perspective), so the code's corners join them; the third
    mark was found only by the whole page's coarse search, whose corners of the other two
    were a pixel or more off (0.31 mm residual, over the 0.3 allowed), and the page was
    refused. The marks keep the corners of the search that found them first."""
    data = (Path(__file__).parent / "scans" / "dog-eared-photo-three-marks.jpg").read_bytes()
    reading = read_scan(data, sample_layout(), load_campaign(SAMPLE).thresholds)
    assert reading.status == "accepted", reading.reasons
    got = {r.candidate: (r.outcome, r.level) for r in reading.rows}
    assert got == {1: ("vote", "high"), 2: ("review", None), 3: ("vote", "high"),
                   4: ("vote", "high"), 5: ("vote", "low"), 6: ("vote", "high"),
                   7: ("blank", None), 8: ("vote", "low"), 9: ("vote", "low"),
                   10: ("vote", "high"), 11: ("review", None), 12: ("vote", "high")}
