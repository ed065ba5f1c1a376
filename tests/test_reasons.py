"""Reasons are values, worded from the catalogs; every one the code makes has its words.

Every reason is made here by the code path that makes it (`made`): `omr.decide.decide_row`
with measurements for each outcome, `Streak`/`Writing`/`Note` reasons, `read_scan` on bad
inputs and on printed pages (the simulator) with streaks, struck names and notes,
`register_page` and `fit_registration` on pages they refuse, `iter_pages` on damaged files,
the ingest's and the upload's refusals. Each must come out in Vietnamese with none of its
English words left and every number kept (with a decimal comma), in English with nothing
left unworded, and its English, stored as before codes were kept, must read back (the
migration that gives old records their codes) to the same words. Every code must be made
by some path here.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from alembic import command
from omr_pages import MM_PER_INCH, SAMPLE, draw_page, qr_matrix, read_layout, sample_layout
from pdf_cases import pdf_of_grey_images
from PIL import Image
from review_cases import synthetic_workspace
from sqlalchemy import inspect

import simulator as sim
from omr import reasons as omr_reasons
from omr.code import CodeMatch, decode_page_code
from omr.decide import decide_row
from omr.errors import ReadError
from omr.faults import ALONG_COLUMNS, ALONG_ROWS, Streak, Writing
from omr.notes import Note, _where
from omr.reasons import Code, Reason
from omr.registration import RegistrationParams, fit_registration, register_page
from omr.scoring import check_outlines
from pipeline.documents.ballot_pdf import ballot_pdf_bytes
from pipeline.domain.campaign import load_campaign
from pipeline.domain.layout import encode_code
from pipeline.domain.reasons import CODES, RECORDED, from_json, to_json
from pipeline.domain.wording import LANGS, REASON, has_entry, words
from pipeline.reading.page import Reading, read_scan
from pipeline.reading.sources import SourceProblem, _pixel_limit, _tiff_value, iter_pages
from pipeline.store import migrations
from pipeline.store.store import NewPage, PageRecord, StoredRow
from pipeline.web.routes.upload import _pixel_problem, _store_upload
from pipeline.web.station import Limits
from pipeline.workflow.ingest import _report, _seen_before
from pipeline.workflow.review import queue_for

DPI = 200
PPM = DPI / MM_PER_INCH
MIGRATION = (Path(__file__).resolve().parents[1] / "pipeline" / "store" / "migrations"
             / "versions" / "0005_reasons_as_codes_and_parameters.py")
# English words of the catalogs: none may be left in Vietnamese ("in", "an" are Vietnamese too)
ENGLISH = re.compile(
    r"\b(?:box|boxes|mark|marks|the|a|page|pages|scanner|scan|rescan|row|rows|and|of|is|"
    r"not|no|read|image|file|line|clear|faint|short|ballot|streak|handwriting|registration|"
    r"found|cannot|damaged|pixels|limit|over|outside|margin|table|code|campaign|workspace|"
    r"perspective|mirrored|stretched|fill|blacked|struck|vote|overvote|review|blank|rejected|"
    r"same|empty|format|frames|placed|corner|top_left|bottom_right|left|right|above|below|"
    r"down|across|dot|outline|ink|strip|tag|rendered|encoded|unknown|animated|id)\b",
    re.IGNORECASE)
NUMBER_EN = re.compile(r"\d+(?:\.\d+)?")
NUMBER_VI = re.compile(r"\d+(?:,\d+)?")
# codes no reading reaches: kept words of a record older than codes
NOT_MADE_BY_READING = {"recorded"}
# refusals of an upload: said to the person uploading, never stored
NEVER_STORED = {"not_a_scan_file", "over_upload_limit", "unsafe_file_name", "upload_page_too_big",
                "upload_unreadable",
                "same_sheet"}  # first stored after revision 0005: never read back from English


# -- where each reason is made ---------------------------------------------------------------

def _ink(fills, inks, extents, **kw):
    return decide_row(fills, inks=inks, extents=extents, **kw)


ROWS_BY_INK = [
    # (outcome, decision): one for every reason decide_row gives
    ("review", _ink((0, 0.05, 0), (0, 1.30, 0), (0, 2.1, 0))),  # short mark alone
    ("review", _ink((0, 0.02, 0), (0, 0.20, 0), (0, 1.4, 0))),  # faint mark alone
    ("review", _ink((0.02, 0, 0.05), (0.2, 0, 1.1), (1.0, 0, 2.0))),  # two doubts
    ("review", _ink((0.3, 0, 0.05), (3.0, 0, 0.95), (7.2, 0, 1.4))),  # clear and short
    ("review", _ink((0.3, 0.3, 0.01), (3.0, 3.1, 0.2), (7.2, 6.0, 1.4))),  # clear marks + faint
    ("review", _ink((0.3, 0.3, 0.05), (3.0, 3.1, 0.9), (7.2, 6.0, 1.4))),
    ("review", _ink((0.91, 0, 0.3), (12.0, 0, 3.0), (7.0, 0, 7.2))),  # blacked out beside one
    ("review", _ink((0.3, 0.95, 0.3), (3.0, 14.0, 3.0), (7.2, 7.0, 6.5))),  # beside two
    ("overvote", _ink((0.3, 0, 0.3), (3.0, 0, 3.0), (7.2, 0, 6.0))),
    ("overvote", _ink((0.3, 0.3, 0.3), (3.0, 3.0, 3.0), (7.2, 6.0, 5.5))),
    ("review", _ink((0, 0.2, 0), (0, 2.0, 0), (0, 7.0, 0), throughs=(0, 0.4, 0))),
    ("review", _ink((0.2, 0, 0.2), (2.0, 0, 2.0), (7.0, 0, 7.0), throughs=(0.45, 0, 1.2))),
    ("review", _ink((0, 0, 0), (0, 0, 0), (0, 0, 0), on_outlines=(0, 0.62, 0))),  # a dot on a line
    ("review", _ink((0, 0, 0), (0, 0, 0), (0, 0, 0), on_outlines=(0.4, 0, 0.35))),
    ("review", _ink((0.3, 0, 0), (3.0, 2.4, 0), (7.2, 8.1, 0), edges=(0, 2, 0),  # a stain's edge
                    strengths=(1.0, 0.35, 1.0))),
    ("review", _ink((0, 0, 0), (2.1, 0, 2.4), (7.0, 0, 8.0), edges=(3, 0, 2),
                    strengths=(0.5, 1.0, 0.4))),
    ("review", _ink((0, 0, 0), (0, 0, 0), (0, 0, 0), arounds=(0, 1.84, 0),  # a ring on the line
                    around_shares=(0, 0.86, 0))),
    ("review", _ink((0.3, 0.1, 0), (6.0, 0.6, 0), (8.0, 5.0, 0),  # a mark rubbed out beside one
                    strengths=(0.82, 0.31, 1.0))),
    ("review", _ink((0, 0, 0.25), (0, 0, 2.4), (0, 0, 6.0), strengths=(1.0, 1.0, 0.3),  # a shade
                    broads=(0.0, 0.0, 0.68))),
    ("review", _ink((0.3, 0.1, 0), (6.0, 2.0, 0), (8.0, 6.0, 0), strengths=(1.0, 0.7, 1.0),
                    shadows=(0.0, 0.4, 0.0))),  # light ink where a shadow's edge crosses
]

# the reasons of rows read by an early version, with fills only (its fill rule is gone): they
# are no longer made, but stored ones are read back and worded
STORED_BY_FILL = [
    (omr_reasons.FILL_FAINT_MARK(box=2, fill=0.052),),
    (omr_reasons.FILL_FAINT_MARKS(boxes=(1, 3), fills=(0.06, 0.12)),),
    (omr_reasons.FILL_CLEAR_AND_A_FAINT(  # one clear and a faint
        clear=omr_reasons.FILL_ONE_CLEAR(box=1, fill=0.31),
        faint=omr_reasons.FILL_FAINT_MARK(box=2, fill=0.06)),),
    (omr_reasons.FILL_CLEAR_AND_FAINT(  # one clear and faint ones
        clear=omr_reasons.FILL_ONE_CLEAR(box=1, fill=0.31),
        faint=omr_reasons.FILL_FAINT_MARKS(boxes=(2, 3), fills=(0.06, 0.07))),),
    (omr_reasons.FILL_CLEAR_AND_A_FAINT(  # clear ones and a faint
        clear=omr_reasons.FILL_CLEAR_MARKS(boxes=(1, 2), fills=(0.31, 0.28)),
        faint=omr_reasons.FILL_FAINT_MARK(box=3, fill=0.07)),),
    (omr_reasons.FILL_CLEAR_MARKS(boxes=(1, 3), fills=(0.31, 0.28)),),  # an overvote
]


def _reference():
    """What `omr.notes._where` reads of a page's reference: its table and boxes."""
    return SimpleNamespace(table=(20.0, 60.0, 190.0, 250.0), boxes_x={3: (140.0, 180.0)})


WHERE_POINTS = [  # (row, x, y) for every place `_where` names
    (3, 60, 100), (3, 185, 100), (3, 160, 100), (3, 10, 100), (3, 200, 100),
    (None, 10, 30), (None, 200, 30), (None, 10, 270), (None, 200, 270), (None, 10, 100),
    (None, 200, 100), (None, 100, 100), (None, 100, 30), (None, 100, 270),
]


def _faults() -> Iterator[tuple[str, tuple[Reason, ...]]]:
    streaks = [
        Streak(ALONG_COLUMNS, 812.4, 0.5, 0.99, ((1, 1), (2, 1), (3, 1))),
        Streak(ALONG_ROWS, 1403.6, 1.25, 0.97, ((4, 0), (4, 1), (4, 2))),
        Streak(ALONG_COLUMNS, 90.0, 0.3, 1.0, ()),
    ]
    for s in streaks:
        yield "streak", (s.reason(),)
    yield "struck name", (Writing(4, 23.4, 30.0).reason(),)
    wheres = {_where(_reference(), row, x, y) for row, x, y in WHERE_POINTS}
    assert len(wheres) == len(WHERE_POINTS)
    for where in wheres:
        yield "note", (Note(62.5, 101.3, 12.4, 5.0, 9.5, where["row"] if "row" in
                            where.as_dict() else None, where).reason(),)


@cache
def _layouts():
    campaign = load_campaign(SAMPLE)
    other = read_layout(load_campaign(SAMPLE.with_name("seed-000-ubnd-ninhson.yaml")))
    return campaign, sample_layout(), other


def _png(img: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return buf.tobytes()


def _read(data: bytes | np.ndarray) -> Reading:
    campaign, layout, _ = _layouts()
    return read_scan(_png(data) if isinstance(data, np.ndarray) else data, layout,
                     campaign.thresholds)


def _page(code: str | None = None, **kwargs) -> np.ndarray:
    layout = sample_layout()
    return draw_page(layout.page(1).template, code or layout.code_text(1), DPI, **kwargs)


def _photo(image: np.ndarray, squeeze: float = 0.04) -> np.ndarray:
    h, w = image.shape
    d = squeeze * w / 2
    m = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]),
                                    np.float32([[d, 0], [w - d, 0], [w, h], [0, h]]))
    return cv2.warpPerspective(image, m, (w, h), borderValue=255)


def _two_codes(page: np.ndarray) -> np.ndarray:
    """Two small codes side by side where the page's code should be."""
    qr = sample_layout().frame.qr
    x0, y0, side = round(qr.x * PPM), round(qr.y * PPM), round(qr.w * PPM)
    img = page.copy()
    img[y0 : y0 + side, x0 : x0 + side] = 255
    half = side // 2 - 2
    for i, text in enumerate(("ONE", "TWO")):
        code = cv2.resize(qr_matrix(text), (half, half), interpolation=cv2.INTER_NEAREST)
        x = x0 + i * (half + 4)
        img[y0 + side // 4 : y0 + side // 4 + half, x : x + half] = code
    return img


def _refused_pages() -> Iterator[tuple[str, tuple[Reason, ...]]]:
    _, layout, other = _layouts()
    page = _page()
    qr = layout.frame.qr
    x0, y0, side = round(qr.x * PPM), round(qr.y * PPM), round(qr.w * PPM)
    stained = page.copy()
    stained[y0 + 40 : y0 + 120, x0 + 30 : x0 + 150] = 255
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, format="PNG")
    foreign = _page(markers=())  # another system's form: ArUco marks of other ids
    mark = round(12 * PPM)
    for n, (y, x) in enumerate(((40, 40), (40, 1654 - 40 - mark), (2339 - 40 - mark, 40))):
        foreign[y : y + mark, x : x + mark] = cv2.aruco.generateImageMarker(
            cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50), 30 + n, mark)
    def codeless(image: np.ndarray) -> np.ndarray:
        image = image.copy()
        image[y0 : y0 + side, x0 : x0 + side] = 255
        return image

    tableless = _page(markers=(0, 2))  # two marks and the code, but no table to confirm them
    rows = layout.page(1).template.rows
    tableless[round((rows[0].band.y - 16) * PPM) : round((rows[-1].band.y + 13) * PPM)] = 255
    cases = {
        "random bytes": (np.random.default_rng(1).bytes(5000), "rejected"),
        "tiny": (np.full((100, 80), 255, np.uint8), "rejected"),
        "too many pixels": (bomb.getvalue(), "rejected"),
        "blank": (np.full((2339, 1654), 250, np.uint8), "blank_page"),
        "no marks": (codeless(_page(markers=())), "rejected"),
        "foreign mark": (codeless(foreign), "rejected"),
        "two marks": (codeless(_page(markers=(0, 2))), "rejected"),
        "two marks, no table": (tableless, "rejected"),
        "stretched": (cv2.resize(page, (round(page.shape[1] * 1.5), page.shape[0])), "rejected"),
        "two pages": (np.hstack([page, page]), "rejected"),
        "stained code": (stained, "rejected"),
        "other campaign": (_page(other.code_text(1)), "rejected"),
        "other version": (_page(encode_code(layout.campaign_id, "0123abcd", 1, layout.page_count)),
                          "rejected"),
        "no such page": (_page(encode_code(layout.campaign_id, layout.fingerprint, 7,
                                           layout.page_count)), "rejected"),
        "foreign code": (_page("hello world"), "rejected"),
        "test ballot": (_page(encode_code(layout.campaign_id, layout.fingerprint, 1,
                                          layout.page_count, test=True)), "rejected"),
        "two codes": (_two_codes(page), "rejected"),
    }
    for name, (data, status) in cases.items():
        reading = _read(data)
        assert reading.status == status, (name, reading)
        yield name, reading.reasons
    real = read_scan(_png(page), dataclasses.replace(layout, test=True),
                     _layouts()[0].thresholds)  # a real sheet in a test deck's workspace
    assert real.status == "rejected"
    yield "real ballot in test", real.reasons
    hidden = page.copy()
    hidden[y0 : y0 + side, x0 : x0 + side] = 255
    moved = []
    for mm in (1.5, 0.8):  # the code printed off its place: too far to be found, or found off
        shift = round(mm * PPM)
        image = page.copy()
        image[y0 - shift : y0 + side + shift, x0 : x0 + side + 2 * shift] = 255
        image[y0 : y0 + side, x0 + shift : x0 + side + shift] = page[y0 : y0 + side, x0 : x0 + side]
        moved.append(image)
    for image, params in ((_photo(hidden), RegistrationParams()),
                          (_photo(page), RegistrationParams(max_confirmed_perspective_mm=1.5)),
                          (_photo(moved[0]), RegistrationParams()),
                          (_photo(moved[1]), RegistrationParams())):
        with pytest.raises(ReadError) as err:
            register_page(image, layout.frame, params)
        yield "photo", err.value.reasons


def _fit(transform, ids=None, params: RegistrationParams | None = None) -> tuple[Reason, ...]:
    """The refusal of a fit through marks found where ``transform`` (page mm -> px) puts them."""
    frame = sample_layout().frame
    found = {m.marker_id: transform(np.array(m.square.corners(), float)) for m in frame.markers
             if ids is None or m.marker_id in ids}
    with pytest.raises(ReadError) as err:
        fit_registration(found, frame, params or RegistrationParams())
    return err.value.reasons


def _fits() -> Iterator[tuple[str, tuple[Reason, ...]]]:
    frame = sample_layout().frame
    w = frame.page_size_mm[0]

    def persp(k: float):
        h = np.array([[8, 0, 0], [0, 8, 0], [0, k, 1.0]])
        return lambda p: cv2.perspectiveTransform(p.reshape(-1, 1, 2), h).reshape(-1, 2)

    def bent(p):
        return np.c_[p[:, 0] * 8 * (1 + 0.0015 * p[:, 1]), p[:, 1] * 14]

    yield "mirrored", _fit(lambda p: np.c_[(w - p[:, 0]) * 8, p[:, 1] * 8])
    yield "too small", _fit(lambda p: p * 1.0)
    yield "stretched", _fit(lambda p: p * (8.0, 12.0))
    yield "sheared", _fit(lambda p: np.c_[p[:, 0] * 8 + p[:, 1] * 3.0, p[:, 1] * 8])
    yield "no page", _fit(lambda p: p * 0.0)
    yield "bent", _fit(bent)
    yield "bent, three marks", _fit(bent, ids=[m.marker_id for m in frame.markers][:3])
    yield "perspective", _fit(persp(6e-4), params=RegistrationParams(max_confirmed_perspective_mm=5.0))
    yield "spread", _fit(persp(3e-3), params=RegistrationParams(max_confirmed_perspective_mm=500.0))
    # the page's own outlines print dark; two rows' boxes are not where the fit puts them
    rows = tuple(SimpleNamespace(row=r, outlines=(0.9, 0.9, 0.9) if r < 3 else (0.1, 0.1, 0.9))
                 for r in (1, 2, 3, 4))
    with pytest.raises(ReadError) as err:
        check_outlines(rows)
    yield "outlines", err.value.reasons


def _streaked_codes() -> Iterator[tuple[str, tuple[Reason, ...]]]:
    layout = sample_layout()
    page = _page()
    qr = layout.frame.qr
    x0, y0 = round(qr.x * PPM), round(qr.y * PPM)
    page[y0 + 40 : y0 + 120, x0 + 30 : x0 + 150] = 255
    page[:, 700:704] = 40  # a streak down the scan
    reg = register_page(page, layout.frame)
    with pytest.raises(ReadError):
        decode_page_code(page, reg, layout.frame)
    reading = _read(page)
    assert [r.code for r in reading.reasons][:2] == ["code_unreadable", "scanner_streak"]
    yield "code and streak", reading.reasons
    page = _page()
    y = round((layout.code_symbol.y + 2.0) * PPM)
    page[y - 5 : y + 5, :] = 20  # 1.3 mm of black across the code's finder patterns
    reading = _read(page)
    assert reading.status == "accepted", reading.reason
    assert "code_named_past_streak" in {d.code for d in reading.doubts}
    for doubt in reading.doubts:
        yield "doubt", (doubt,)
    page = _page()
    page[round(qr.y * PPM):round((qr.y + qr.h) * PPM),
         round(qr.x * PPM):round((qr.x + qr.w) * PPM)] = 255  # the code wholly gone
    reading = _read(page)
    named = [d for d in reading.doubts if d.code == "code_named_by_table"]
    assert named, (reading.reasons, reading.doubts)
    yield "doubt", tuple(named)
    # what `match_faded_code` names (a faded code's own test: tests/test_omr_handled.py)
    yield "doubt", (CodeMatch(layout.code_text(1), 431, 433, faded=True).reason(),)


@cache
def _printed() -> np.ndarray:
    campaign, layout, _ = _layouts()
    return next(sim.render_pages(ballot_pdf_bytes(campaign, layout, copies=1), DPI))


def _accepted_pages() -> Iterator[tuple[str, tuple[Reason, ...]]]:
    """Rows sent to review on an accepted page: streaks, struck names, notes, what the boxes said."""
    _, layout, _ = _layouts()
    ppm = sim.px_per_mm(DPI)
    rng = np.random.default_rng(4)
    template = layout.page(1).template
    rows = {c.stt: r for c, r in zip(layout.page(1).candidates, template.rows, strict=True)}
    img = _printed().copy()
    places = sim.note_places(layout, 1, img, ppm)
    x = sim.Mark("x", "blue", 0.5)
    for stt, box in ((1, 0), (2, 1), (3, 0), (4, 2)):
        sim.draw_mark(img, rows[stt].boxes[box], ppm, x, rng)
    sim.draw_mark(img, rows[3].boxes[2], ppm, sim.Mark("dot", "blue", 0.5), rng)
    sim.draw_note(img, "question", places["position_cell"][2], ppm, "black", 0.5, rng)
    sim.draw_note(img, "words", places["below_table"][None], ppm, "black", 0.4, rng)
    sim.strike_through(img, rows[4].band, ppm, "black", 0.5, rng)
    sim.strike_through(img, rows[5].band, ppm, "black", 0.5, rng)
    gray = sim.grey(img)
    codes: set[str] = set()
    for streaked in (False, True):
        page = gray.copy()
        if streaked:  # down the middle level's column of boxes
            h = register_page(page, layout.frame).matrix()
            box = template.rows[0].boxes[1]
            at = cv2.perspectiveTransform(np.array([[[box.x + box.w * 0.6, box.y]]]), h)[0, 0, 0]
            # wide and dark enough to hide a mark (a narrower one is read through)
            sim.draw_streak(page, True, at / page.shape[1], 2.5 * ppm, 0.95, black=20.0)
        reading = _read(page)
        assert reading.status == "accepted", reading.reason
        for row in reading.rows:
            if row.reasons:
                codes |= _codes(row.reasons)
                yield f"row {row.candidate}", row.reasons
        for doubt in reading.doubts:
            codes |= _codes((doubt,))
            yield "doubt", (doubt,)
    assert {"read_as", "no_box_marked", "streak_through_boxes", "note", "struck_name",
            "scanner_streak", "one_vote"} <= codes, codes


def _seals() -> Iterator[tuple[str, tuple[Reason, ...]]]:
    """A page doubted for its seal: none where the campaign requires one; black in colour."""
    campaign, _, _ = _layouts()
    required = read_layout(replace(campaign, seal="required"))
    page = _page()
    reading = read_scan(_png(page), required, campaign.thresholds)
    said = tuple(d for d in reading.doubts if d.code.startswith("seal"))  # (this drawn page's
    assert [d.code for d in said] == ["seal_missing"], reading.doubts  # text reads as notes)
    yield "no seal", said
    ppm = DPI / MM_PER_INCH
    colour = cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)
    colour[:, :, 0] = np.clip(colour[:, :, 0].astype(int) - 6, 0, 255)  # paper a little warm
    centre = (round(42 * ppm), round(26 * ppm))
    cv2.circle(colour, centre, round(18.5 * ppm), (30, 30, 30), round(1.1 * ppm))  # a copy's
    reading = read_scan(_png(colour), required, campaign.thresholds)
    said = tuple(d for d in reading.doubts if d.code.startswith("seal"))
    assert [d.code for d in said] == ["seal_not_red"], reading.doubts
    yield "black seal", said


def _image(fmt: str, size=(400, 566), **kwargs) -> bytes:
    buf = io.BytesIO()
    Image.new("L", size, 255).save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def _files(tmp_path: Path) -> Iterator[tuple[str, tuple[Reason, ...]]]:
    def put(name: str, data: bytes) -> Path:
        (tmp_path / name).write_bytes(data)
        return tmp_path / name

    frames = [Image.new("L", (400, 566), c) for c in (255, 200, 100)]
    stack = io.BytesIO()
    frames[0].save(stack, format="TIFF", save_all=True, append_images=frames[1:])
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, format="PNG")
    files = [
        put("empty.png", b""),
        put("notes.png", "Biên bản — không phải ảnh".encode()),
        put("fake.pdf", b"%PDF-1.4\nthis is not a pdf"),
        put("fake.tif", b"II*\x00garbage-garbage"),
        put("cut.tif", stack.getvalue()[: len(stack.getvalue()) * 2 // 3]),
        put("cut1.tif", _image("TIFF")[:3000]),
        put("bomb.png", bomb.getvalue()),
        put("still.gif", _image("GIF")),
        put("thin.png", _image("PNG", size=(2100, 100))),
        put("big.png", b"\x89PNG" + bytes(3 << 20)),
        put("unknown.png", _image("PCX")),
        put("bomb.pdf", pdf_of_grey_images([(20000, 20000)], data=False)),
    ]
    (tmp_path / "folder.png").mkdir()
    files.append(tmp_path / "folder.png")
    try:
        anim = io.BytesIO()
        frames[0].save(anim, format="WEBP", save_all=True, append_images=frames[1:])
        files.append(put("anim.webp", anim.getvalue()))
    except (OSError, ValueError, KeyError):
        pass  # a Pillow without animated WebP
    mp = pytest.MonkeyPatch()
    mp.setattr("pipeline.reading.sources.MAX_FILE_BYTES", 1 << 20)
    try:
        problems = [p for p in iter_pages(files) if isinstance(p, SourceProblem)]
    finally:
        mp.undo()
    assert len(problems) == len(files)
    for p in problems:
        yield Path(p.source).name, (p.reason,)
    for size in ((0, 10), (10, 300)):
        yield "pixels", (_pixel_limit(size),)
    with pytest.raises(ValueError) as err:
        _tiff_value(9, 1)
    yield "tag", (err.value.reason,)


def _ingest_and_upload(tmp_path: Path) -> Iterator[tuple[str, tuple[Reason, ...]]]:
    ws = SimpleNamespace(campaign=SimpleNamespace(id="hdnd-ninhson-2023"))
    refused = _read(_page("hello world")).reasons
    accepted = PageRecord(12, "ab", "images/ab.png", "accepted", (), 1)
    rejected = PageRecord(13, "cd", "images/cd.png", "rejected", refused, None)
    yield "seen", _seen_before(ws, "a.png", 0, accepted)[0].reasons
    yield "seen rejected", _seen_before(ws, "a.png", 0, rejected)[0].reasons
    held = NewPage(status="accepted", ballot_page=1, source="b.png", page_index=0,
                   image_sha256="ef", image_path="images/ef.png", likeness=0.974)
    yield "same sheet", _report(held, accepted, twin=12).reasons
    big = tmp_path / "big.jpg"
    Image.new("L", (6000, 4000)).save(big)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    yield "upload pixels", (_pixel_problem(big, 20_000_000),)
    yield "upload junk", (_pixel_problem(junk, 20_000_000),)
    for data in (b"", b"x" * 2048):
        _, problem = _store_upload(io.BytesIO(data), "a.png", tmp_path, Limits(upload_bytes=1024))
        yield "upload", (problem,)
    # made where no test input reaches: a file name that resolves outside the uploads, a
    # suffix the upload does not take, an item stored without a reason of its own
    from pipeline.domain import reasons as why

    for made in (why.UNSAFE_FILE_NAME(), why.NOT_A_SCAN_FILE(), why.TO_REVIEW(), why.REJECTED(),
                 why.IMAGE_UNDECODED(), why.FILE_TOO_BIG(mib=1500),
                 why.FILE_UNREADABLE(detail="Permission denied"),
                 why.TIFF_PAGE_DAMAGED(page=3, detail=why.STRIP_PAST_END()),
                 why.TIFF_DAMAGED_AFTER(page=2, detail=why.STRIP_PAST_END()),
                 why.PDF_PAGE_UNREADABLE(page=2, detail=why.PAGE_NOT_ENCODED()),
                 why.FORMAT_UNKNOWN(), why.IMAGE_DAMAGED(detail=why.FORMAT_NOT_READ())):
        yield "stated", (made,)
    # what a failed read or write says (`why.failure`), from the errors that make each
    import errno as errnos
    import json
    import zipfile

    import pypdfium2 as pdfium
    import yaml
    from PIL import UnidentifiedImageError

    def raised(call) -> BaseException:
        try:
            call()
        except BaseException as exc:  # the error itself is what is wanted
            return exc
        raise AssertionError("did not raise")

    for exc in (FileNotFoundError(errnos.ENOENT, "x"), PermissionError(errnos.EACCES, "x"),
                IsADirectoryError(errnos.EISDIR, "x"), NotADirectoryError(errnos.ENOTDIR, "x"),
                OSError(errnos.ENOSPC, "x"), OSError(errnos.EROFS, "x"), OSError(errnos.EIO, "x"),
                raised(lambda: b"\xff".decode("utf-8")), raised(lambda: json.loads("{,")),
                raised(lambda: yaml.safe_load("a: [")),
                raised(lambda: zipfile.ZipFile(io.BytesIO(b"not a zip"))),
                UnidentifiedImageError("cannot identify image file"), EOFError(),
                raised(lambda: pdfium.PdfDocument(b"not a pdf")), RecursionError(),
                ValueError("something else")):
        yield "failure", (why.FILE_UNREADABLE(detail=why.failure(exc)),)
    yield "failure", (why.PDF_UNOPENED(detail=why.FAILURE_PDF_PASSWORD()),)
    # a database that cannot be used, as SQLAlchemy and the drivers say it
    import sqlite3

    from sqlalchemy import create_engine
    from sqlalchemy import exc as db

    def sql(error: BaseException) -> BaseException:
        return db.OperationalError("SELECT 1", {}, error)

    for exc in (sql(sqlite3.DatabaseError("file is not a database")),
                sql(sqlite3.OperationalError('connection failed: connection to server at '
                                             '"127.0.0.1", port 1 failed: Connection refused')),
                sql(sqlite3.OperationalError('connection failed: FATAL:  password '
                                             'authentication failed for user "u"')),
                sql(sqlite3.OperationalError('database "x" does not exist')),
                raised(lambda: create_engine("nosuch://a:b@c/d")),
                raised(lambda: create_engine("postgresql+nosuchdriver://u@h/x")),
                ModuleNotFoundError("No module named 'psycopg2'", name="psycopg2")):
        yield "failure", (why.FILE_UNREADABLE(detail=why.failure(exc)),)


@cache
def made() -> tuple[tuple[str, tuple[Reason, ...]], ...]:
    """Every reason the code makes, by the paths that make them: (where, reasons)."""
    import tempfile

    out: list[tuple[str, tuple[Reason, ...]]] = []
    out += [(f"ink {i}", d.reasons) for i, (o, d) in enumerate(ROWS_BY_INK) if d.outcome == o]
    assert len(out) == len(ROWS_BY_INK), "a row decided otherwise than meant"
    out += [(f"stored by fill {i}", reasons) for i, reasons in enumerate(STORED_BY_FILL)]
    out += list(_faults()) + list(_refused_pages()) + list(_fits()) + list(_streaked_codes())
    out += list(_accepted_pages()) + list(_seals())
    with tempfile.TemporaryDirectory() as tmp:
        out += list(_files(Path(tmp)))
        out += list(_ingest_and_upload(Path(tmp)))
    assert all(reasons for _, reasons in out), [w for w, r in out if not r]
    return tuple(out)


def _codes(reasons: tuple[Reason, ...]) -> set[str]:
    """The codes of ``reasons`` and of every reason they carry."""
    out: set[str] = set()
    for r in reasons:
        out.add(r.code)
        for _, value in r.params:
            values = value if isinstance(value, tuple) else (value,)
            out |= _codes(tuple(v for v in values if isinstance(v, Reason)))
    return out


def _texts(reasons: tuple[Reason, ...]) -> list[str]:
    """The free text carried (a decoder's message, a campaign's id, a code's text)."""
    out: list[str] = []
    for r in reasons:
        for name, value in r.params:
            values = value if isinstance(value, tuple) else (value,)
            out += [repr(v) if name == "text" else v for v in values
                    if isinstance(v, str) and name in ("detail", "text", "campaign", "workspace",
                                                       "fingerprint", "expected", "format")]
            out += _texts(tuple(v for v in values if isinstance(v, Reason)))
    return out


# -- the tests ----------------------------------------------------------------------------

def test_every_code_is_made_by_the_code_here() -> None:
    seen = set().union(*(_codes(r) for _, r in made()))
    assert set(CODES) - NOT_MADE_BY_READING - seen == set()


def test_every_reason_made_is_worded_in_both_languages() -> None:
    for where, reasons in made():
        for code in _codes(reasons):
            for lang in LANGS:
                assert has_entry(code, lang, REASON), (code, lang, where)
        en, vi = words(reasons, "en"), words(reasons, "vi")
        for text in (en, vi):
            assert text and "{" not in text and "}" not in text, (where, text)
            assert unicodedata.is_normalized("NFC", text)
        en_rest, vi_rest = en, vi
        for kept in _texts(reasons):  # carried over as they are
            assert kept in vi, (kept, vi)
            en_rest, vi_rest = en_rest.replace(kept, " "), vi_rest.replace(kept, " ")
        left = ENGLISH.findall(vi_rest)
        assert not left, (where, left, en, vi)
        want = Counter(n.replace(".", ",") for n in NUMBER_EN.findall(en_rest))
        have = Counter(NUMBER_VI.findall(vi_rest))
        assert not want - have, (where, want - have, en, vi)


def test_reasons_read_as_they_did() -> None:
    """The English is today's audit record, word for word; Vietnamese as a committee writes."""
    assert words(ROWS_BY_INK[0][1].reasons, "en") == "short mark in box 2 (2.1 mm, 1.30 mm²)"
    assert words(ROWS_BY_INK[0][1].reasons, "vi") == "vết mực ngắn trong ô 2 (2,1 mm; 1,30 mm²)"
    assert words(ROWS_BY_INK[2][1].reasons, "en") == (
        "faint mark in box 1 (1.0 mm, 0.20 mm²) and short mark in box 3 (2.0 mm, 1.10 mm²)")
    assert words(ROWS_BY_INK[3][1].reasons, "en") == (
        "one clear mark (box 1, 7.2 mm) and a short mark in box 3 (1.4 mm, 0.95 mm²)")
    assert words(ROWS_BY_INK[3][1].reasons, "vi") == (
        "một dấu rõ (ô 1: 7,2 mm) và vết mực ngắn trong ô 3 (1,4 mm; 0,95 mm²)")
    assert words(ROWS_BY_INK[4][1].reasons, "en") == (
        "clear marks (box 1, 7.2 mm; box 2, 6.0 mm) and a faint mark in box 3 (1.4 mm, 0.20 mm²)")
    assert words(ROWS_BY_INK[6][1].reasons, "vi") == (
        "ô 1 bị tô kín (độ phủ 0,91) cạnh dấu ở ô 3: có thể là dấu đã gạch bỏ?")
    assert words(ROWS_BY_INK[9][1].reasons, "en") == (
        "clear marks in boxes 1, 2 and 3 (7.2 mm, 6.0 mm, 5.5 mm)")
    assert words(ROWS_BY_INK[9][1].reasons, "vi") == "dấu rõ ở các ô 1, 2 và 3 (7,2 mm; 6,0 mm; 5,5 mm)"
    assert words(ROWS_BY_INK[11][1].reasons, "en") == (
        "a straight line runs right through boxes 1 and 3 from side to side (0.5 mm, 1.2 mm thick): "
        "a fold, a scanner streak or a ruler line, not a mark?")
    assert words(STORED_BY_FILL[1], "vi") == "dấu mờ ở các ô 1 và 3 (độ phủ 0,060; 0,120)"
    assert words(STORED_BY_FILL[3], "en") == (
        "one clear mark (box 1, 0.310) and faint marks in boxes 2 and 3 (0.060, 0.070)")
    streak = Streak(ALONG_ROWS, 1403.6, 1.25, 0.97, ((4, 0), (5, 1))).reason()
    assert words(streak, "en") == (
        "scanner streak: a straight dark line 1.2 mm wide across the whole scan at y = 1404 px, "
        "through the boxes of rows 4, 5; clean the scanner glass and rescan")
    assert "chạy ngang" in words(streak, "vi") and "1,2 mm" in words(streak, "vi")


def test_a_row_with_several_reasons_keeps_them_apart() -> None:
    rows = [r for where, r in made() if where.startswith("row ") and len(r) > 1]
    assert rows, "no row with a finding and a note"
    for reasons in rows:
        assert words(reasons, "en") == "; ".join(words(r, "en") for r in reasons)
        assert from_json(to_json(reasons)) == reasons


def test_reasons_are_kept_as_json_and_come_back_equal() -> None:
    for _, reasons in made():
        assert from_json(to_json(reasons)) == reasons
    assert from_json(None) == () and to_json(()) is None
    assert from_json([{"no": "code"}]) == (RECORDED(text="{'no': 'code'}"),)


def test_a_reason_this_version_cannot_word_still_shows() -> None:
    odd = Reason("from_a_newer_version", box=2, why=Reason("faint_mark", box=1, extent_mm=1.0,
                                                           ink_mm2=0.2))
    assert words(odd, "vi") == ("from_a_newer_version (box=2, why=vết mực mờ trong ô 1 "
                                "(1,0 mm; 0,20 mm²))")
    missing = Reason("short_mark", box=2)  # a parameter missing
    assert words(missing, "en") == "short_mark (box=2)"


def test_a_code_takes_exactly_its_parameters() -> None:
    code = Code("x", frozenset({"a"}))
    assert code(a=1) == Reason("x", a=1)
    with pytest.raises(TypeError):
        code(a=1, b=2)
    with pytest.raises(TypeError):
        Reason("x", a=object())
    assert Reason("x", a=[1, 2], b=np.float64(0.5)) == Reason("x", b=0.5, a=(1, 2))


# -- records older than codes ---------------------------------------------------------------

@cache
def _migration():
    spec = importlib.util.spec_from_file_location("reasons_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("reasons_migration", module)
    spec.loader.exec_module(module)
    return module


def _known_to_migration() -> set[str]:
    """The codes the migration reads back from English (a later code is stored with its code)."""
    migration = _migration()
    return {code for code, _ in migration.TEMPLATES + migration.WHERE} | {
        "through_row", "through_rows", "foreign_ids", "mark_length"}


def test_old_english_reasons_migrate_to_the_same_words() -> None:
    """Each reason's English, as a record older than codes keeps it, reads back as codes
    and parameters that word it the same, in English and in Vietnamese. (A code made after
    the migration was written is always stored with its code: the migration need not read it.)"""
    parse = _migration().parse_reasons
    known = _known_to_migration()
    checked = 0
    for where, reasons in made():
        if _codes(reasons) & NEVER_STORED or not _codes(reasons) <= known:
            continue
        checked += 1
        en = words(reasons, "en")
        back = from_json(parse(en))
        assert "recorded" not in _codes(back), (where, en, back)
        for lang in LANGS:
            assert words(back, lang) == words(reasons, lang), (where, lang, back)
    # reasons carrying a system error's words (`failure_*`, made after the migration) aside
    older = [r for _, r in made() if not any(c.startswith("failure_") for c in _codes(r))]
    assert checked > 0.8 * len(older)


@pytest.mark.parametrize("old,vi", [
    # rows measured with fills only, as stored before ink and length were measured
    ("faint mark in box 2 (0.052)", "dấu mờ ở ô 2 (độ phủ 0,052)"),
    ("one clear mark (box 1, 0.310) and a faint mark in box 2 (0.060)",
     "một dấu rõ (ô 1: độ phủ 0,310) và dấu mờ ở ô 2 (độ phủ 0,060)"),
    ("a new kind of doubt; faint mark in box 2 (0.052)",
     "a new kind of doubt; dấu mờ ở ô 2 (độ phủ 0,052)"),
    ("no registration marks found", "no registration marks found"),  # no template: kept
    ("review", "cần xem xét"),
    ("handwriting outside the boxes in row 3, right of its boxes (12 x 5 mm at x = 190, "
     "y = 101 mm): a note, a sign, a name ringed?; read the paper ballot (read as: vote)",
     "có chữ viết tay ngoài các ô ở dòng 3, bên phải các ô (12 × 5 mm, tại x = 190, y = 101 mm): "
     "lời ghi chú, ký hiệu hay tên bị khoanh?; cần xem trực tiếp phiếu giấy "
     "(máy đọc là: đánh dấu một ô)"),
])
def test_old_english_of_earlier_versions_migrates(old: str, vi: str) -> None:
    back = from_json(_migration().parse_reasons(old))
    assert words(back, "vi") == vi
    assert words(back, "en") == old


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_a_workspace_stored_before_codes_shows_its_reasons_after_the_migration(
        tmp_path: Path, db: str, request: pytest.FixtureRequest) -> None:
    """Records stored before revision 0005 kept only the English: upgrading gives them codes
    that word every page's, row's and review item's reason as before, in both languages."""
    url = request.getfixturevalue("pg_url") if db == "postgresql" else None
    ws = synthetic_workspace(tmp_path, pages=0, db_url=url)
    stored = [r for _, r in made()
              if not _codes(r) & NEVER_STORED and _codes(r) <= _known_to_migration()]
    for n, reasons in enumerate(stored):
        ws.store.add_page(NewPage(
            source="old.pdf", page_index=n, image_sha256=f"{n:064x}", image_path=f"images/{n}.png",
            status="rejected", reasons=reasons))
    rows = [r for where, r in made() if where.startswith(("ink", "stored by fill", "row "))]
    ws.store.add_page(NewPage(
        source="old.pdf", page_index=len(stored), image_sha256="f" * 64, image_path="images/f.png",
        status="accepted", ballot_page=1, doubts=stored[-1],
        rows=tuple(StoredRow(stt, "review", None, r, (0.0, 0.0, 0.0))
                   for stt, r in enumerate(rows[:12], start=1))))

    def shown() -> list[tuple[str, str, str]]:
        items = queue_for(ws).items()
        pages = [ws.store.page(i.page_id) for i in items]
        return ([(i.reason, words(i.reasons, "vi"), words(i.reasons, "en")) for i in items]
                + [(p["reason"], words(from_json(p["reasons"]), "vi"), "") for p in pages]
                + [(r.reason or "", words(r.reasons, "vi"), "") for r in ws.store.page_rows(
                    pages[-1]["id"])])

    before = shown()
    assert len(before) > 2 * len(stored)
    engine = ws.store.engine
    with engine.begin() as conn:
        command.downgrade(migrations.config(conn), "0004")
    with engine.connect() as conn:
        assert "reasons" not in {c["name"] for c in inspect(conn).get_columns("review_item")}
    migrations.upgrade(engine)
    assert shown() == before
