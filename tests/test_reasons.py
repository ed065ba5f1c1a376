"""The machine's reasons in Vietnamese (`pipeline.domain.reasons`), made by the code itself.

Every template is produced by the code path that writes it: `omr.decide.decide_row` with
measurements for each outcome, `Streak`/`Writing`/`Note` reasons, `read_scan` on bad
inputs and on printed pages (`pipeline.simulate`) with streaks, struck names and notes,
`iter_pages` on damaged files, the ingest's and the upload's refusals. Each must come
out with none of its English words left and every number kept (with a decimal comma);
text no template knows comes back unchanged; the web station shows Vietnamese, stores
and sends English.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter
from functools import cache
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from omr_pages import MM_PER_INCH, SAMPLE, draw_page, qr_matrix, read_layout, sample_layout
from PIL import Image
from review_cases import add_accounts, login, synthetic_workspace

import simulator as sim
from omr.code import decode_page_code
from omr.decide import decide_row
from omr.errors import ReadError
from omr.faults import ALONG_COLUMNS, ALONG_ROWS, Streak, Writing
from omr.notes import Note, _where
from omr.registration import RegistrationParams, fit_registration, register_page
from omr.scoring import check_outlines
from pipeline.documents.ballot_pdf import ballot_pdf_bytes
from pipeline.domain.campaign import load_campaign
from pipeline.domain.layout import encode_code
from pipeline.domain.reasons import GLOSSARY, to_vietnamese
from pipeline.reading.page import Reading, read_scan
from pipeline.reading.sources import SourceProblem, _pixel_limit, _tiff_value, iter_pages
from pipeline.store.store import NewPage, StoredRow
from pipeline.web.app import create_app
from pipeline.web.routes.upload import _pixel_problem, _store_upload
from pipeline.web.station import Limits
from pipeline.workflow.ingest import _seen_before
from pipeline.workflow.review import queue_for

DPI = 200
PPM = DPI / MM_PER_INCH
# English words of the templates: none may be left in a translation ("in", "an" are Vietnamese too)
ENGLISH = re.compile(
    r"\b(?:box|boxes|mark|marks|the|a|page|pages|scanner|scan|rescan|row|rows|and|of|is|"
    r"not|no|read|image|file|line|clear|faint|short|ballot|streak|handwriting|registration|"
    r"found|cannot|damaged|pixels|limit|over|outside|margin|table|code|campaign|workspace|"
    r"perspective|mirrored|stretched|fill|blacked|struck|vote|overvote|review|blank|rejected|"
    r"same|empty|format|frames|placed|corner|top_left|bottom_right|left|right|above|below)\b",
    re.IGNORECASE)
NUMBER_EN = re.compile(r"\d+(?:\.\d+)?")
NUMBER_VI = re.compile(r"\d+(?:,\d+)?")


def check(reason: str | None, *, kept: tuple[str, ...] = ()) -> str:
    """Its Vietnamese, asserted free of the template's English and keeping every number;
    ``kept``: parts carried over as they are (an error's own message, a campaign's id)."""
    assert reason, "no reason to translate"
    vi = to_vietnamese(reason)
    assert vi != reason, reason
    assert unicodedata.is_normalized("NFC", vi)
    en_rest, vi_rest = reason, vi
    for text in kept:
        assert text in vi, (text, vi)
        en_rest, vi_rest = en_rest.replace(text, " "), vi_rest.replace(text, " ")
    left = ENGLISH.findall(vi_rest)
    assert not left, (left, reason, vi)
    want = Counter(n.replace(".", ",") for n in NUMBER_EN.findall(en_rest))
    have = Counter(NUMBER_VI.findall(vi_rest))
    assert not want - have, (want - have, reason, vi)
    return vi


# -- a row's boxes ------------------------------------------------------------------------

def _ink(fills, inks, extents, **kw):
    return decide_row(fills, 0.3, 0.1, inks=inks, extents=extents, **kw)


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
]

ROWS_BY_FILL = [
    ("review", decide_row((0, 0.052, 0), 0.3, 0.05)),  # faint mark
    ("review", decide_row((0.06, 0, 0.12), 0.3, 0.05)),  # faint marks
    ("review", decide_row((0.31, 0.06, 0), 0.3, 0.05)),  # one clear and a faint
    ("review", decide_row((0.31, 0.06, 0.07), 0.3, 0.05)),  # one clear and faint marks
    ("review", decide_row((0.31, 0.28, 0.07), 0.25, 0.05)),  # clear marks and a faint
    ("review", decide_row((0.31, 0.06, 0.08, 0.29), 0.25, 0.05)),  # clear and faint marks
    ("overvote", decide_row((0.31, 0.28, 0.0), 0.25, 0.05)),
]


@pytest.mark.parametrize("outcome,decision", ROWS_BY_INK + ROWS_BY_FILL,
                         ids=[f"ink{i}" for i in range(len(ROWS_BY_INK))]
                         + [f"fill{i}" for i in range(len(ROWS_BY_FILL))])
def test_every_row_reason_is_translated(outcome: str, decision) -> None:
    assert decision.outcome == outcome, decision
    check(decision.reason)


def test_row_reasons_read_as_a_committee_writes() -> None:
    assert to_vietnamese(ROWS_BY_INK[0][1].reason) == "vết mực ngắn trong ô 2 (2,1 mm; 1,30 mm²)"
    assert to_vietnamese(ROWS_BY_INK[6][1].reason) == (
        "ô 1 bị tô kín (độ phủ 0,91) cạnh dấu ở ô 3: có thể là dấu đã gạch bỏ?")
    assert to_vietnamese(ROWS_BY_INK[3][1].reason) == (
        "một dấu rõ (ô 1: 7,2 mm) và vết mực ngắn trong ô 3 (1,4 mm; 0,95 mm²)")
    assert to_vietnamese(ROWS_BY_INK[9][1].reason) == "dấu rõ ở các ô 1, 2 và 3 (7,2 mm; 6,0 mm; 5,5 mm)"
    assert to_vietnamese(ROWS_BY_FILL[1][1].reason) == "dấu mờ ở các ô 1 và 3 (độ phủ 0,060; 0,120)"


# -- faults on the scan -------------------------------------------------------------------

def _reference():
    """What `omr.notes._where` reads of a page's reference: its table and boxes."""
    return SimpleNamespace(table=(20.0, 60.0, 190.0, 250.0), boxes_x={3: (140.0, 180.0)})


WHERE_POINTS = [  # (row, x, y) for every place `_where` names
    (3, 60, 100), (3, 185, 100), (3, 160, 100), (3, 10, 100), (3, 200, 100),
    (None, 10, 30), (None, 200, 30), (None, 10, 270), (None, 200, 270), (None, 10, 100),
    (None, 200, 100), (None, 100, 100), (None, 100, 30), (None, 100, 270),
]


def test_streak_writing_and_note_reasons() -> None:
    streaks = [
        Streak(ALONG_COLUMNS, 812.4, 0.5, 0.99, ((1, 1), (2, 1), (3, 1))),
        Streak(ALONG_ROWS, 1403.6, 1.25, 0.97, ((4, 0), (4, 1), (4, 2))),
        Streak(ALONG_COLUMNS, 90.0, 0.3, 1.0, ()),
    ]
    for s in streaks:
        vi = check(s.reason())
        assert vi.startswith("vệt bẩn của máy quét")
    assert "chạy ngang" in to_vietnamese(streaks[1].reason())
    assert "tên in sẵn ở dòng 4 bị gạch?" in check(Writing(4, 23.4, 30.0).reason())
    wheres = {_where(_reference(), row, x, y) for row, x, y in WHERE_POINTS}
    assert len(wheres) == len(WHERE_POINTS)
    for where in wheres:
        row = int(where.rsplit(" ", 1)[-1]) if where[-1].isdigit() else None
        check(Note(62.5, 101.3, 12.4, 5.0, 9.5, row, where).reason())


# -- pages the reader refuses -------------------------------------------------------------

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


def test_refused_pages() -> None:
    _, layout, other = _layouts()
    page = _page()
    qr = layout.frame.qr
    x0, y0, side = round(qr.x * PPM), round(qr.y * PPM), round(qr.w * PPM)
    stained = page.copy()
    stained[y0 + 40 : y0 + 120, x0 + 30 : x0 + 150] = 255
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, format="PNG")
    cases = {
        "random bytes": (np.random.default_rng(1).bytes(5000), "rejected"),
        "tiny": (np.full((100, 80), 255, np.uint8), "rejected"),
        "too many pixels": (bomb.getvalue(), "rejected"),
        "blank": (np.full((2339, 1654), 250, np.uint8), "blank_page"),
        "no marks": (_page(markers=()), "rejected"),
        "two marks": (_page(markers=(0, 2)), "rejected"),
        "stretched": (cv2.resize(page, (round(page.shape[1] * 1.5), page.shape[0])), "rejected"),
        "two pages": (np.hstack([page, page]), "rejected"),
        "stained code": (stained, "rejected"),
        "other campaign": (_page(other.code_text(1)), "rejected"),
        "other version": (_page(encode_code(layout.campaign_id, "0123abcd", 1, layout.page_count)),
                          "rejected"),
        "no such page": (_page(encode_code(layout.campaign_id, layout.fingerprint, 7,
                                           layout.page_count)), "rejected"),
        "foreign code": (_page("hello world"), "rejected"),
        "two codes": (_two_codes(page), "rejected"),
    }
    for name, (data, status) in cases.items():
        reading = _read(data)
        assert reading.status == status, (name, reading)
        kept: tuple[str, ...] = ()
        if name == "random bytes":  # the decoder's own words
            kept = (reading.reason.split("decoded (", 1)[1][:-1],)
        elif name in ("other campaign", "other version", "foreign code"):
            kept = tuple(re.findall(r"'[^']*'|\b[0-9a-f]{8,}\b", reading.reason))
        vi = check(reading.reason, kept=kept)
        if name == "too many pixels":  # a reason inside a reason, translated too
            assert "vượt giới hạn 120 MP" in vi
    # as omr.registration and pipeline.reading.page write them where no test input reaches:
    # foreign ArUco ids are only kept when a frame mark is found too, and OpenCV and
    # Pillow decode every image they do not refuse to a 2-D array
    for reason in ("no registration marks found: not a kiemphieu ballot page (other ArUco ids "
                   "seen: [30, 31]) (2.9% of the page is ink); if it is one, check that its "
                   "corners are not cut off or covered and rescan",
                   "the image data is damaged and cannot be decoded"):
        check(reason, kept=("[30, 31]",) if "[" in reason else ())
    hidden = page.copy()
    hidden[y0 : y0 + side, x0 : x0 + side] = 255
    moved = page.copy()  # the code printed 1.5 mm off its place
    shift = round(1.5 * PPM)
    moved[y0 - shift : y0 + side + shift, x0 : x0 + side + 2 * shift] = 255
    moved[y0 : y0 + side, x0 + shift : x0 + side + shift] = page[y0 : y0 + side, x0 : x0 + side]
    for image, params in ((_photo(hidden), RegistrationParams()),
                          (_photo(page), RegistrationParams(max_confirmed_perspective_mm=1.5)),
                          (_photo(moved), RegistrationParams())):
        with pytest.raises(ReadError) as err:
            register_page(image, layout.frame, params)
        check(err.value.reason)


def _fit(transform, ids=None, params: RegistrationParams | None = None) -> str:
    """The refusal of a fit through marks found where ``transform`` (page mm -> px) puts them."""
    frame = sample_layout().frame
    found = {m.marker_id: transform(np.array(m.square.corners(), float)) for m in frame.markers
             if ids is None or m.marker_id in ids}
    with pytest.raises(ReadError) as err:
        fit_registration(found, frame, params or RegistrationParams())
    return err.value.reason


def test_fits_that_do_not_place_the_page() -> None:
    frame = sample_layout().frame
    w = frame.page_size_mm[0]

    def persp(k: float):
        h = np.array([[8, 0, 0], [0, 8, 0], [0, k, 1.0]])
        return lambda p: cv2.perspectiveTransform(p.reshape(-1, 1, 2), h).reshape(-1, 2)

    def bent(p):
        return np.c_[p[:, 0] * 8 * (1 + 0.0015 * p[:, 1]), p[:, 1] * 14]

    reasons = [
        _fit(lambda p: np.c_[(w - p[:, 0]) * 8, p[:, 1] * 8]),  # mirrored
        _fit(lambda p: p * 1.0),  # too small
        _fit(lambda p: p * (8.0, 12.0)),  # stretched
        _fit(lambda p: np.c_[p[:, 0] * 8 + p[:, 1] * 3.0, p[:, 1] * 8]),  # sheared
        _fit(lambda p: p * 0.0),  # no page at all
        _fit(bent),  # residual and stretch at once, past even a photo's limits
        _fit(bent, ids=[m.marker_id for m in frame.markers][:3]),
        _fit(persp(6e-4), params=RegistrationParams(max_confirmed_perspective_mm=5.0)),
    ]
    for reason in reasons:
        check(reason)
    assert "; " in reasons[5] and "; " in to_vietnamese(reasons[5])
    rows = tuple(SimpleNamespace(row=r, outlines=(0.1, 0.1, 0.9)) for r in (1, 2, 3))
    with pytest.raises(ReadError) as err:
        check_outlines(rows)
    check(err.value.reason)


def test_code_refusal_with_a_streak_is_translated_part_by_part() -> None:
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
    assert reading.reason.count("; ") >= 3 and "scanner streak" in reading.reason
    vi = check(reading.reason)
    assert "mã QR" in vi and "vệt bẩn của máy quét" in vi


def test_a_code_named_past_a_streak_is_a_doubt_about_the_page() -> None:
    page = _page()
    y = round((sample_layout().code_symbol.y + 2.0) * PPM)
    page[y - 5 : y + 5, :] = 20  # 1.3 mm of black across the code's finder patterns
    reading = _read(page)
    assert reading.status == "accepted", reading.reason
    assert any(d.startswith("QR code crossed by the streak") for d in reading.doubts)
    for doubt in reading.doubts:
        check(doubt)


# -- rows and pages of an accepted page: streaks, struck names, notes ----------------------

@cache
def _printed() -> np.ndarray:
    campaign, layout, _ = _layouts()
    return next(sim.render_pages(ballot_pdf_bytes(campaign, layout, copies=1), DPI))


def test_rows_sent_to_review_on_an_accepted_page() -> None:
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
    said = []
    for streaked in (False, True):
        page = gray.copy()
        if streaked:  # down the middle level's column of boxes
            h = register_page(page, layout.frame).matrix()
            box = template.rows[0].boxes[1]
            at = cv2.perspectiveTransform(np.array([[[box.x + box.w * 0.6, box.y]]]), h)[0, 0, 0]
            sim.draw_streak(page, True, at / page.shape[1], 0.5 * ppm, 0.7, black=20.0)
        reading = _read(page)
        assert reading.status == "accepted", reading.reason
        said += [r.reason for r in reading.rows if r.reason] + list(reading.doubts)
    for reason in said:
        check(reason)
    joined = " | ".join(said)
    for part in ("(read as: ", "(no box marked)", "scanner streak through box 2",
                 "handwriting outside the boxes in row", "below the table", "struck out",
                 "; handwriting", "short mark", "scanner streak: "):
        assert part in joined, part


# -- files: pipeline.reading.sources --------------------------------------------------------------

def _image(fmt: str, size=(400, 566), **kwargs) -> bytes:
    buf = io.BytesIO()
    Image.new("L", size, 255).save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def test_files_that_cannot_be_taken_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
    ]
    (tmp_path / "folder.png").mkdir()
    files.append(tmp_path / "folder.png")
    try:
        anim = io.BytesIO()
        frames[0].save(anim, format="WEBP", save_all=True, append_images=frames[1:])
        files.append(put("anim.webp", anim.getvalue()))
    except (OSError, ValueError, KeyError):
        pass  # a Pillow without animated WebP
    monkeypatch.setattr("pipeline.reading.sources.MAX_FILE_BYTES", 1 << 20)
    problems = [p for p in iter_pages(files) if isinstance(p, SourceProblem)]
    assert len(problems) == len(files)
    for p in problems:
        own = re.search(r"(?:opened|damaged|file): (.*)$", p.reason)
        own_words = own.group(1) if own and not own.group(1).startswith("a strip") else None
        check(p.reason, kept=(own_words,) if own_words else ())
    for reason in (_pixel_limit((0, 10)), _pixel_limit((10, 300))):
        check(reason)
    with pytest.raises(ValueError) as err:
        _tiff_value(9, 1)
    check(f"TIFF is damaged: {err.value}")
    # the rest of the refusals of a file, as pipeline.reading.sources writes them
    for reason in ("TIFF page 3 is damaged: a strip runs past the end of the file",
                   "TIFF is damaged after page 2: a strip runs past the end of the file",
                   "PDF page 2 cannot be read: rendered page could not be encoded",
                   "image format unknown is not accepted; scan to PNG, JPEG, TIFF or PDF"):
        check(reason)


def test_the_same_image_twice_and_uploads_refused(tmp_path: Path) -> None:
    ws = SimpleNamespace(campaign=SimpleNamespace(id="hdnd-ninhson-2023"))
    accepted = SimpleNamespace(id=12, status="accepted", image_sha256="ab", ballot_page=1, reason=None)
    refused = SimpleNamespace(id=13, status="rejected", image_sha256="cd", ballot_page=None,
                              reason="the QR code is not a kiemphieu ballot code ('x')")
    check(_seen_before(ws, "a.png", 0, accepted)[0].reason)
    check(_seen_before(ws, "a.png", 0, refused)[0].reason, kept=("'x'",))
    big = tmp_path / "big.jpg"
    Image.new("L", (6000, 4000)).save(big)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    check(_pixel_problem(big, 20_000_000))
    problem = _pixel_problem(junk, 20_000_000)
    check(problem, kept=(problem[len("not a readable image ("):-1],))
    for data in (b"", b"x" * 2048):
        _, problem = _store_upload(io.BytesIO(data), "a.png", tmp_path, Limits(upload_bytes=1024))
        check(problem)
    for reason in ("not a scan file (PDF, TIFF, JPEG, PNG)", "unsafe file name"):  # web.app's own
        check(reason)


# -- what no template knows ----------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "", "totally unknown", "hai ô được đánh dấu", "row 3 looks odd; box 7 too",
    "faint mark in box 2 (0.052) and something else", "(read as: vote", "vote)",
])
def test_unknown_text_comes_back_unchanged(text: str) -> None:
    assert to_vietnamese(text) == text


def test_known_parts_of_a_joined_reason_are_translated_and_the_rest_kept() -> None:
    text = "a new kind of doubt; faint mark in box 2 (0.052)"
    assert to_vietnamese(text) == "a new kind of doubt; dấu mờ ở ô 2 (độ phủ 0,052)"
    assert to_vietnamese(None) is None  # type: ignore[arg-type]


def test_glossary_is_nfc_and_every_placeholder_has_a_kind() -> None:
    assert len(GLOSSARY) == len({en for en, _ in GLOSSARY})
    to_vietnamese("vote")  # compiles the table: an unknown placeholder kind raises here
    for en, vi in GLOSSARY:
        assert unicodedata.is_normalized("NFC", vi), en


# -- the web station ------------------------------------------------------------------------

STREAK_CODE = ("the page was placed but its QR code (bottom left) cannot be read; check it for "
               "stains, folds or tears and rescan, at 300 dpi in grey if the scan was 1-bit; "
               "scanner streak: a straight dark line 0.5 mm wide down the whole scan at x = 812 px; "
               "clean the scanner glass and rescan")
BLACKED = "box 1 blacked out (fill 0.91) beside a mark in box 3: a mark scribbled out?"


def test_the_web_station_shows_reasons_in_vietnamese_and_stores_english(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=1, review_rows=1, rejected=1)
    ws.store.add_page(NewPage(
        source="stack.pdf", page_index=0, image_sha256="a" * 64, image_path="images/a.png",
        status="rejected", reason=STREAK_CODE))
    ws.store.add_page(NewPage(
        source="stack.pdf", page_index=1, image_sha256="b" * 64, image_path="images/b.png",
        status="accepted", reason=None, ballot_page=1,
        rows=(StoredRow(1, "review", None, BLACKED, (0.91, 0.0, 0.3)),
              StoredRow(2, "review", None, None, (0.0, 0.0, 0.0)))))
    ws.store.add_page(NewPage(
        source="stack.pdf", page_index=2, image_sha256="c" * 64, image_path="images/c.png",
        status="rejected", reason=None))
    add_accounts(ws, {"lan": "reviewer"})
    client = TestClient(create_app(ws.path, allowed_hosts=("testserver",)))
    csrf = login(client, "lan")
    streak_vi, blacked_vi = to_vietnamese(STREAK_CODE), to_vietnamese(BLACKED)
    assert blacked_vi == "ô 1 bị tô kín (độ phủ 0,91) cạnh dấu ở ô 3: có thể là dấu đã gạch bỏ?"

    record = client.get("/record").text
    assert streak_vi in record and blacked_vi in record
    assert "blacked out" not in record and "scanner glass" not in record
    pages = client.get("/pages").text
    assert streak_vi in pages and "scanner glass" not in pages
    page_id = next(i.page_id for i in queue_for(ws).items(None) if i.reason == STREAK_CODE)
    page = client.get(f"/pages/{page_id}").text
    assert page.count(streak_vi) == 2  # the machine's reason and the page's review item
    stored = {i.reason for i in queue_for(ws).items(None)}
    assert stored == {STREAK_CODE, BLACKED, "faint mark in box 2", "no registration marks found",
                      "review", "rejected"}  # the fixture's, and an item stored without one
    for reason in stored:
        check(reason)
    shown = []
    while True:
        item = client.post("/api/queue/next", headers={"X-CSRF-Token": csrf}).json()["item"]
        if item is None:
            break
        assert item["reason"] in stored  # the record, as stored
        assert item["reason_shown"] == to_vietnamese(item["reason"])
        shown.append(item["reason_shown"])
        client.post(f"/api/items/{item['id']}/decision", headers={"X-CSRF-Token": csrf},
                    json={"value": "rejected" if item["kind"] == "page" else "invalid",
                          "reason": "reason_several"})
    assert set(shown) == {to_vietnamese(r) for r in stored}

    # the English switch shows the record's own words; nothing stored changed
    client.get("/lang/en")
    record = client.get("/record").text
    assert BLACKED in record and blacked_vi not in record
    assert {i.reason for i in queue_for(ws).items(None)} == stored
