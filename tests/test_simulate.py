"""The scan simulator: printed from our PDF, marked like people do, scanned, saved.

These tests check the simulator itself (the ground truth every other test
and the benchmark rely on): it is reproducible from a seed, its truth says
what was drawn, marks land in the boxes they are meant for, the printed
page matches the layout, and every file format reads back as written.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image, ImageSequence

import simulator as sim
from omr.geometry import Rect
from pipeline.documents.ballot_pdf import ballot_pdf_bytes
from pipeline.domain.campaign import Campaign, load_campaign
from pipeline.domain.layout import BallotLayout, build_layout
from pipeline.domain.rules import LEVELS

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
FAST = sim.ScanProfile(dpi=100)  # small pages: these tests check bookkeeping, not pixels


@cache
def sample(name: str = "seed-002-hdnd-ninhson") -> tuple[Campaign, BallotLayout]:
    campaign = load_campaign(SAMPLES / f"{name}.yaml")
    return campaign, build_layout(campaign)


@cache
def printed(dpi: int, name: str = "seed-002-hdnd-ninhson") -> tuple[np.ndarray, ...]:
    campaign, layout = sample(name)
    return tuple(sim.render_pages(ballot_pdf_bytes(campaign, layout, copies=1), dpi))


def ink(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """How much darker each pixel got, 0..1 (grey)."""
    b = cv2.cvtColor(before, cv2.COLOR_RGB2GRAY).astype(np.float32)
    a = cv2.cvtColor(after, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return np.clip(b - a, 0, None) / 255.0


def crop(img: np.ndarray, r: Rect, ppm: float) -> np.ndarray:
    return img[round(r.y * ppm):round((r.y + r.h) * ppm), round(r.x * ppm):round((r.x + r.w) * ppm)]


# --- printing -----------------------------------------------------------------------------


def test_rendered_page_has_the_markers_where_the_layout_says():
    dpi = 150
    ppm = sim.px_per_mm(dpi)
    _, layout = sample()
    page = printed(dpi)[0]
    assert page.shape == (1754, 1241, 3) and page.dtype == np.uint8
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    detector = cv2.aruco.ArucoDetector(dictionary, cv2.aruco.DetectorParameters())
    corners, ids, _ = detector.detectMarkers(cv2.cvtColor(page, cv2.COLOR_RGB2GRAY))
    found = {int(i): c.reshape(4, 2) for i, c in zip(ids.ravel(), corners, strict=True)}
    assert sorted(found) == sorted(m.marker_id for m in layout.frame.markers)
    for marker in layout.frame.markers:
        # pixel centres sit at integers: a page edge at x mm is at x * ppm - 0.5
        got_mm = (found[marker.marker_id] + 0.5) / ppm
        want_mm = np.array(marker.square.corners())
        assert np.abs(got_mm - want_mm).max() < 0.5, marker.corner


def test_render_pages_yields_every_page_in_order():
    campaign, layout = sample()
    pages = list(sim.render_pages(ballot_pdf_bytes(campaign, layout, copies=2), 72))
    assert len(pages) == 2 * layout.page_count
    assert all(p.shape == (842, 596, 3) for p in pages)
    assert np.array_equal(pages[0], pages[layout.page_count])


# --- marks --------------------------------------------------------------------------------


def test_marks_land_inside_the_intended_boxes():
    dpi = 150
    ppm = sim.px_per_mm(dpi)
    campaign, layout = sample()
    rng = np.random.default_rng(11)
    pages = printed(dpi)
    for shape in sim.CLEAR_SHAPES:
        for pen in sim.STRESS_PENS:
            votes = [sim.VotedRow(c.stt, (LEVELS[c.stt % 3],)) for c in campaign.candidates]
            votes[0] = sim.VotedRow(1, ())  # one blank row
            votes[1] = sim.VotedRow(2, ("high", "low"))  # one overvote
            mix = sim.MarkMix(shapes=((shape, 1.0),), pens=((pen, 1.0),), loyalty=1.0)
            ballot = sim.mark_ballot(pages, layout, votes, dpi, rng, marks=mix)
            for before, after, page in zip(pages, ballot.pages, layout.pages, strict=True):
                added = ink(before, after)
                wanted = {v.candidate: set(v.marked) for v in votes}
                for cand, row in zip(page.candidates, page.template.rows, strict=True):
                    want = wanted[cand.stt]
                    total = crop(added, row.band, ppm).sum()
                    near = 0.0
                    for level, box in zip(LEVELS, row.boxes, strict=True):
                        around = crop(added, box.inset(-1.5), ppm).sum()
                        inside = crop(added, box.inset(0.6), ppm).mean()
                        why = (shape, pen, cand.stt, level)
                        if level in want:
                            near += around
                            assert around > 0.2 * total / len(want), why
                            if shape != "circle":  # a ring may sit around the box
                                assert inside > 0.03, (*why, inside)
                        else:
                            assert inside < 0.005, (*why, inside)
                    if want:
                        assert near > 0.9 * total, (shape, pen, cand.stt)  # mostly in its box
                    else:  # a blank row: at most a neighbour's stroke end strays in
                        assert total < 5, (shape, pen, cand.stt, total)


def test_marked_boxes_are_dark_and_the_others_white_on_the_page():
    dpi = 150
    ppm = sim.px_per_mm(dpi)
    campaign, layout = sample()
    votes = [sim.VotedRow(c.stt, (LEVELS[(c.stt * 7) % 3],)) for c in campaign.candidates]
    mix = sim.MarkMix(shapes=(("x", 1), ("tick", 1), ("fill", 1)), pens=(("black", 1),))
    ballot = sim.mark_ballot(printed(dpi), layout, votes, dpi, np.random.default_rng(5), marks=mix)
    for img, page in zip(ballot.pages, layout.pages, strict=True):
        grey = 1.0 - cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) / 255.0
        for cand, row in zip(page.candidates, page.template.rows, strict=True):
            levels = ballot.truth[page.template.page - 1].rows
            (truth,) = [r for r in levels if r.candidate == cand.stt]
            for level, box in zip(LEVELS, row.boxes, strict=True):
                dark = crop(grey, box.inset(0.6), ppm).mean()
                if level == truth.level:
                    assert dark > 0.05
                else:
                    assert dark < 0.01


def test_a_mark_is_drawn_in_place_with_the_pen_colour():
    img = np.full((200, 200, 3), 255, np.uint8)
    box = Rect(5, 5, 7, 7)
    sim.draw_mark(img, box, 10.0, sim.Mark("fill", "red", 0.8), np.random.default_rng(0))
    inked = img[img.min(axis=2) < 200]
    assert len(inked) > 1000
    r, g, b = inked.mean(axis=0)
    assert r > g + 60 and r > b + 60  # red ink
    assert img[130:, 130:].min() == 255  # nothing far from the box


def test_pencil_is_lighter_than_a_black_pen():
    def darkness(pen: str) -> float:
        img = np.full((200, 200, 3), 255, np.uint8)
        sim.draw_mark(img, Rect(5, 5, 7, 7), 10.0, sim.Mark("fill", pen, 0.8),
                      np.random.default_rng(1))
        return float(255 - img[70:100, 70:100].mean())

    assert darkness("pencil") < 0.85 * darkness("black")


def test_bad_marks_are_refused():
    with pytest.raises(ValueError, match="shape"):
        sim.Mark("star")
    with pytest.raises(ValueError, match="pen"):
        sim.Mark("x", pen="green")
    with pytest.raises(ValueError, match="width"):
        sim.Mark("x", width_mm=5)
    with pytest.raises(ValueError, match="level"):
        sim.VotedRow(1, ("best",))


# --- votes and truth ----------------------------------------------------------------------


def test_row_outcomes_follow_the_marks():
    assert sim.VotedRow(1, ()).outcome == "blank"
    assert (sim.VotedRow(1, ("low",)).outcome, sim.VotedRow(1, ("low",)).level) == ("vote", "low")
    assert sim.VotedRow(1, ("high", "low")).outcome == "overvote"
    assert sim.VotedRow(1, ("high", "low")).level is None
    assert sim.VotedRow(1, ("high",), (("low", "scribble"),)).outcome == "review"


def test_truth_matches_the_voted_rows():
    dpi = 100
    campaign, layout = sample()
    votes = [sim.VotedRow(c.stt, (LEVELS[c.stt % 3],)) for c in campaign.candidates]
    votes[3] = sim.VotedRow(4, ())
    votes[4] = sim.VotedRow(5, ("medium", "low"))
    votes[5] = sim.VotedRow(6, (), (("high", "dot"),))
    ballot = sim.mark_ballot(printed(dpi), layout, votes, dpi, np.random.default_rng(2))
    rows = {r.candidate: r for page in ballot.truth for r in page.rows}
    assert sorted(rows) == [c.stt for c in campaign.candidates]
    for v in votes:
        r = rows[v.candidate]
        assert (r.outcome, r.level) == (v.outcome, v.level)
        assert {lv for lv, _ in r.marks} == set(v.marked) | {lv for lv, _ in v.doubtful}
    assert [t.ballot_page for t in ballot.truth] == [1, 2]
    assert all(t.status == "accepted" and t.campaign == campaign.id for t in ballot.truth)


def test_exact_counts_are_forced():
    # Hà Nội, December 2023: 88 ballots, 75 / 8 / 4, one row without a valid mark
    model = sim.VoteModel(exact={1: {"high": 75, "medium": 8, "low": 4}})
    ballots = sim.cast_votes(model, [1, 2, 3], 88, np.random.default_rng(0))
    first = [b[0] for b in ballots]
    assert sum(r.level == "high" for r in first) == 75
    assert sum(r.level == "medium" for r in first) == 8
    assert sum(r.level == "low" for r in first) == 4
    assert sum(r.outcome == "blank" for r in first) == 1
    assert [r.level for r in first][:10] != ["high"] * 10 or len(set(first)) > 1  # shuffled
    with pytest.raises(ValueError, match="more than"):
        sim.cast_votes(sim.VoteModel(exact={1: {"high": 89}}), [1], 88, np.random.default_rng(0))
    with pytest.raises(ValueError, match="not on the ballot"):
        sim.cast_votes(sim.VoteModel(exact={9: {"high": 1}}), [1], 8, np.random.default_rng(0))


def test_the_default_mix_is_mostly_one_clear_mark():
    ballots = sim.cast_votes(sim.VoteModel(), list(range(1, 19)), 400, np.random.default_rng(3))
    rows = [r for b in ballots for r in b]
    share = {k: sum(r.outcome == k for r in rows) / len(rows) for k in ("vote", "blank", "overvote")}
    assert 0.93 < share["vote"] < 0.99
    assert 0.005 < share["blank"] < 0.04 and 0.005 < share["overvote"] < 0.04
    high = sum(r.level == "high" for r in rows) / len(rows)
    assert 0.7 < high < 0.8


def test_stack_truth_and_counts():
    campaign, layout = sample()
    other = sample("seed-000-ubnd-ninhson")
    model = sim.VoteModel(exact={1: {"high": 9, "medium": 1}})
    stack = sim.simulate_stack(campaign, layout, 10, np.random.default_rng(7), profile=FAST,
                               vote_model=model, duplex=True, blank_sheets=1, memos=1,
                               foreign=other, foreign_ballots=1, rescans=2)
    pages = 10 * 2 * 2 + 1 + 1 + 1 * 2 + 2  # ballots with backs, blank, memo, foreign + back
    assert len(stack) == len(stack.images) == len(stack.units) == pages
    assert stack.statuses() == {"accepted": 20, "blank_page": 22, "rejected": 2, "duplicate": 2}
    assert stack.counts()[1] == {"high": 9, "medium": 1, "low": 0, "invalid": 0, "review": 0}
    for c in campaign.candidates:
        assert sum(stack.counts()[c.stt].values()) == 10
    kinds = [t.kind for t in stack.truth]
    foreign = [t for t in stack.truth if t.kind == "foreign_ballot"]
    assert foreign[0].status == "rejected" and foreign[0].campaign == other[1].campaign_id
    # a ballot's pages come in order, each followed by its back
    for i, t in enumerate(stack.truth):
        if t.kind == "ballot" and t.ballot_page == 1:
            assert kinds[i + 1:i + 4] == ["blank_back", "ballot", "blank_back"]
            assert stack.truth[i + 2].ballot == t.ballot
    for i, t in enumerate(stack.truth):
        if t.status == "duplicate":
            assert t.duplicate_of is not None and t.duplicate_of < i
            assert np.array_equal(stack.images[i], stack.images[t.duplicate_of])


def test_a_stack_is_reproducible_from_its_seed():
    campaign, layout = sample()

    def make(seed: int) -> sim.Stack:
        return sim.simulate_stack(campaign, layout, 3, np.random.default_rng(seed),
                                  profile=FAST, memos=1, duplex=True)

    a, b, c = make(1), make(1), make(2)
    assert [t.to_json() for t in a.truth] == [t.to_json() for t in b.truth]
    assert [t.to_json() for t in a.truth] != [t.to_json() for t in c.truth]
    for i in (0, 1, 2, len(a) - 1):
        assert np.array_equal(a.images[i], b.images[i])
        assert np.array_equal(a.images[i], a.images[i])  # made again, the same
    assert not np.array_equal(a.images[0], c.images[0])


def test_handling_stamps_first_pages_and_folds_corners_without_changing_the_rest():
    campaign, layout = sample()

    def make(handling: sim.Handling | None) -> sim.Stack:
        return sim.simulate_stack(campaign, layout, 3, np.random.default_rng(4), profile=FAST,
                                  handling=handling)

    plain, handled = make(None), make(sim.Handling(seal=1.0, seal_black=0.5, dog_ear=1.0))
    assert [t.rows for t in plain.truth] == [t.rows for t in handled.truth]  # same votes
    assert {t.seal for t in handled.truth if t.ballot_page == 1} <= {"red", "black"}
    assert all(t.seal == "" for t in handled.truth if t.ballot_page != 1)  # no place for it
    assert all(t.dog_ear for t in handled.truth) and not any(t.dog_ear for t in plain.truth)
    for i, t in enumerate(handled.truth):
        a, b = plain.images.upright(i), handled.images.upright(i)
        changed = np.abs(a.astype(int) - b.astype(int)).max(axis=2) > 30
        ys, xs = np.nonzero(changed)
        ppm = sim.px_per_mm(FAST.dpi)
        # the seal about its place (top left); the fold within 2 x 28 mm of its corner
        near = {"top_left": (xs + ys) / ppm, "top_right": (a.shape[1] - xs + ys) / ppm,
                "bottom_right": (a.shape[1] - xs + a.shape[0] - ys) / ppm,
                "bottom_left": (xs + a.shape[0] - ys) / ppm}[t.dog_ear]
        seal = (np.hypot(xs / ppm - 42, ys / ppm - 26) < 26) if t.seal else False
        assert np.all((near < 57) | seal)
        assert changed.any()


def test_a_stamped_seal_is_red_round_and_its_size() -> None:
    page = np.full((600, 600, 3), 255, np.uint8)
    ppm = 600 / 60
    sim.stamp_seal(page, sim.SealStamp((30.0, 30.0), 38.0, 30.0, density=1.0, press=0.0,
                                       patchy=0.0), ppm, np.random.default_rng(1))
    inked = (255 - page.min(axis=2)) > 60
    ys, xs = np.nonzero(inked)
    assert abs((xs.max() - xs.min()) / ppm - 38) < 1.0 and abs((ys.max() - ys.min()) / ppm - 38) < 1.0
    r, g, b = (page[inked][:, c].mean() for c in range(3))
    assert r > g + 80 and r > b + 80  # red where inked


# --- scanning -----------------------------------------------------------------------------


@pytest.mark.parametrize(("colour", "dtype", "ndim"), [("rgb", np.uint8, 3), ("grey", np.uint8, 2),
                                                       ("bitonal", np.bool_, 2)])
def test_degrade_returns_what_the_profile_says(colour, dtype, ndim):
    page = printed(100)[0]
    profile = sim.ScanProfile(dpi=100, colour=colour, quarter_turns=(1,), speckle=0.001)
    out = sim.degrade(page, profile, np.random.default_rng(0))
    assert out.dtype == dtype and out.ndim == ndim
    assert out.shape[:2] == page.shape[1::-1]  # a quarter turn swaps height and width
    assert np.array_equal(out, sim.degrade(page, profile, np.random.default_rng(0)))


def test_degrade_skews_and_keeps_the_paper_white():
    page = printed(100)[0]
    profile = sim.ScanProfile(dpi=100, skew_deg=5.0, shift_mm=3.0, scale=(0.94, 0.94),
                              paper=(0.95, 0.95))
    out = sim.degrade(page, profile, np.random.default_rng(3))
    corner = out[:15, :15].astype(float)
    assert abs(corner.mean() - 0.95 * 255) < 4  # uncovered corners are paper, not black
    assert 0 < (out < 128).mean() < 0.2


def test_the_back_of_a_sheet_is_nearly_white_with_faint_show_through():
    page = printed(100)[0]
    back = sim.duplex_back(page, sim.px_per_mm(100), np.random.default_rng(0))
    assert back.shape == page.shape
    assert back.min() > 225 and back.mean() > 250
    assert back.min() < 255  # something shows through


def test_a_memo_is_text_on_white():
    memo = sim.memo_page((210, 297), 100, np.random.default_rng(0))
    assert memo.shape == printed(100)[0].shape
    dark = (memo.min(axis=2) < 128).mean()
    assert 0.002 < dark < 0.05


# --- files --------------------------------------------------------------------------------


def pages_for(fmt_colour: str) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    grey = [rng.integers(100, 256, (120, 90), dtype=np.uint8) for _ in range(3)]
    if fmt_colour == "rgb":
        return [np.repeat(g[:, :, None], 3, axis=2) for g in grey]
    if fmt_colour == "bitonal":
        return [g > 170 for g in grey]
    return grey


@pytest.mark.parametrize("colour", ["rgb", "grey", "bitonal"])
def test_single_image_writers_round_trip(tmp_path, colour):
    images = pages_for(colour)
    written = sim.write_stack(images, "png", tmp_path / "p.png", 150)
    assert [w.path.name for w in written] == ["p-001.png", "p-002.png", "p-003.png"]
    for w in written:
        with Image.open(w.path) as im:
            assert (im.format, im.mode, im.size) == ("PNG", "L", (90, 120))
            assert round(im.info["dpi"][0]) == 150
    (one,) = sim.write_stack(images[:1], "jpeg", tmp_path / "j.jpg", 150, jpeg_quality=70)
    assert one.path.name == "j.jpg"
    back = cv2.imread(str(one.path), cv2.IMREAD_UNCHANGED)
    assert back.shape[:2] == (120, 90)
    assert back.ndim == (3 if colour == "rgb" else 2)


@pytest.mark.parametrize("colour", ["rgb", "grey", "bitonal"])
def test_g4_tiff_is_one_bit_and_multi_page(tmp_path, colour):
    written = sim.write_stack(pages_for(colour), "tiff-g4", tmp_path / "s.tif", 200)
    assert [(w.path.name, w.page_index) for w in written] == [("s.tif", i) for i in range(3)]
    with Image.open(tmp_path / "s.tif") as im:
        frames = [(f.mode, f.size, f.info["compression"], round(f.info["dpi"][0]))
                  for f in ImageSequence.Iterator(im)]
    assert frames == [("1", (90, 120), "group4", 200)] * 3
    if colour == "bitonal":
        with Image.open(tmp_path / "s.tif") as im:
            assert np.array_equal(np.array(im), pages_for(colour)[0])


def test_grey_tiff_round_trips_losslessly(tmp_path):
    images = pages_for("grey")
    sim.write_stack(images, "tiff-grey", tmp_path / "g.tif", 300)
    with Image.open(tmp_path / "g.tif") as im:
        got = [np.array(f) for f in ImageSequence.Iterator(im)]
    assert all(np.array_equal(a, b) for a, b in zip(got, images, strict=True))


@pytest.mark.parametrize(("fmt", "colour", "codec"), [("pdf-jpeg", "rgb", "DCTDecode"),
                                                     ("pdf-jpeg", "grey", "DCTDecode"),
                                                     ("pdf-g4", "grey", "CCITTFaxDecode"),
                                                     ("pdf-g4", "bitonal", "CCITTFaxDecode")])
def test_scanner_pdf_holds_one_image_per_page(tmp_path, fmt, colour, codec):
    written = sim.write_stack(pages_for(colour), fmt, tmp_path / "s.pdf", 150)
    assert len(written) == 3
    pdf = pdfium.PdfDocument(tmp_path / "s.pdf")
    try:
        assert len(pdf) == 3
        for i in range(3):
            page = pdf[i]
            objs = list(page.get_objects())
            assert [o.type for o in objs] == [pdfium_c.FPDF_PAGEOBJ_IMAGE]
            assert objs[0].get_filters() == [codec]
            w_pt, h_pt = page.get_size()
            assert (round(w_pt / 72 * 150), round(h_pt / 72 * 150)) == (90, 120)
            assert tuple(objs[0].get_px_size()) == (90, 120)
    finally:
        pdf.close()


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown scan format"):
        sim.write_stack(pages_for("grey"), "gif", tmp_path / "x.gif", 150)


def test_write_case_writes_every_page_once_with_its_truth(tmp_path):
    campaign, layout = sample()
    stack = sim.simulate_stack(campaign, layout, 4, np.random.default_rng(9), profile=FAST,
                               memos=1, blank_sheets=1, rescans=1)
    truth_path = sim.write_case(tmp_path / "case", stack, sim.FORMATS)
    data = json.loads(truth_path.read_text(encoding="utf-8"))
    assert data["campaign"] == campaign.id and data["dpi"] == 100
    assert len(data["pages"]) == len(stack)
    truth = sim.read_truth(truth_path)
    assert len(truth) == len(stack)

    def n_pages(path: Path) -> int:
        if path.suffix == ".pdf":
            pdf = pdfium.PdfDocument(path)
            n = len(pdf)
            pdf.close()
            return n
        with Image.open(path) as im:
            return getattr(im, "n_frames", 1)

    files = sorted(p for p in (tmp_path / "case").iterdir() if p.name != "truth.json")
    keys = {(p.name, i) for p in files for i in range(n_pages(p))}
    assert keys == set(truth)
    # the page scanned twice is in a file of its own that sorts right after its first scan
    (dup,) = [r for r in data["pages"] if r["status"] == "duplicate"]
    first = dup["first_scan"]["source"]
    names = [p.name for p in files]
    assert names.index(dup["source"]) == names.index(first) + 1
    assert data["counts"] == {str(k): v for k, v in stack.counts().items()}


def test_write_case_is_byte_for_byte_reproducible(tmp_path):
    campaign, layout = sample("seed-000-ubnd-ninhson")
    for out in ("a", "b"):
        stack = sim.simulate_stack(campaign, layout, 2, np.random.default_rng(4), profile=FAST)
        sim.write_case(tmp_path / out, stack, ["pdf-jpeg", "tiff-g4"])
    for f in (tmp_path / "a").iterdir():
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


def test_a_blank_back_stays_white_when_scanned_to_one_bit():
    page = printed(100)[0]
    rng = np.random.default_rng(6)
    back = sim.duplex_back(page, sim.px_per_mm(100), rng)
    out = sim.degrade(back, sim.ScanProfile(dpi=100, colour="bitonal"), rng)
    assert (~out).mean() < 0.001  # no paper noise cut into black


def test_a_border_keeps_a_badly_skewed_page_whole():
    page = printed(100)[0]
    profile = sim.ScanProfile(dpi=100, skew_deg=5.0, shift_mm=4.0, border_mm=12.0)
    out = sim.degrade(page, profile, np.random.default_rng(0))
    b = round(12 * sim.px_per_mm(100))
    assert out.shape == (page.shape[0] + 2 * b, page.shape[1] + 2 * b)
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    _, ids, _ = cv2.aruco.ArucoDetector(dictionary).detectMarkers(out)
    assert sorted(ids.ravel()) == [0, 1, 2, 3]
