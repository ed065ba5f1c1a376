"""Hard inputs: phone photos, folds, bleed-through, spills, struck-out names.

Printed ballots (`pipeline.simulate` renders the real PDF) are voted, then
photographed on a desk or worn and scanned, and read through
`pipeline.reading.page.read_scan` exactly as ingest reads them. Clear rows must
read right; what only a person can settle goes to review with its reason.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from omr_pages import SAMPLE, encode_page, sample_layout

import simulator as sim
from omr.decide import DEFAULT_RULE, decide_row
from omr.errors import PageNotPlaced
from omr.faults import find_writing
from omr.geometry import PageTemplate
from omr.registration import register_page
from omr.scoring import ink_black_level
from pipeline.documents.ballot_pdf import ballot_pdf_bytes
from pipeline.documents.explain import explain_page
from pipeline.domain.campaign import load_campaign
from pipeline.domain.wording import words
from pipeline.reading.page import Reading, read_scan


@cache
def _campaign():
    return load_campaign(SAMPLE)


@cache
def _printed(dpi: int) -> tuple[np.ndarray, ...]:
    return tuple(sim.render_pages(ballot_pdf_bytes(_campaign(), sample_layout(), copies=1), dpi))


def _read(img: np.ndarray) -> Reading:
    return read_scan(encode_page(img), sample_layout(), _campaign().thresholds)


def _stack(profile: sim.ScanProfile, seed: int, ballots: int = 1,
           shapes: tuple[str, ...] = sim.CLEAR_SHAPES) -> sim.Stack:
    mix = sim.MarkMix(shapes=tuple((s, 1.0) for s in shapes),
                      pens=tuple((p, 1.0) for p in sim.PENS), width_mm=(0.3, 1.2))
    votes = sim.VoteMix(high=0.5, medium=0.2, low=0.2, blank=0.1, overvote=0.0, review=0.0)
    return sim.simulate_stack(_campaign(), sample_layout(), ballots, np.random.default_rng(seed),
                              profile=profile, vote_model=sim.VoteModel(mix=votes, marks=mix))


def _check_rows(reading: Reading, truth: sim.PageTruth) -> None:
    assert reading.status == "accepted", reading.reason
    want = {r.candidate: r for r in truth.rows}
    for row in reading.rows:
        t = want[row.candidate]
        assert (row.outcome, row.level) == (t.outcome, t.level), (row, t)


SMALL_PHONE = replace(sim.PHONE, megapixels=(8.0, 8.5))


@pytest.mark.parametrize("seed", [1, 2])
def test_a_phone_photo_on_a_desk_reads_like_a_scan(seed: int) -> None:
    stack = _stack(SMALL_PHONE, seed)
    for i in range(len(stack)):
        reading = _read(stack.images[i])
        _check_rows(reading, stack.truth[i])
        assert reading.homography is not None


@pytest.mark.parametrize("seed", [104, 106])
def test_a_photo_taken_at_a_steep_angle_reads_like_a_scan(seed: int) -> None:
    """Each corner moved by up to 14 % of the page's width: one axis shortened by up to
    1.26 at the centre, the far corners at half the near ones' scale. The QR code and the
    box outlines confirm the fit; the marks read as on a scan."""
    stack = _stack(replace(SMALL_PHONE, perspective=0.14), seed)
    for i in range(len(stack)):
        reading = _read(stack.images[i])
        _check_rows(reading, stack.truth[i])
        assert reading.residual_mm is not None and reading.residual_mm < 0.3


def test_a_photo_is_placed_only_if_its_qr_code_confirms_the_perspective() -> None:
    stack = _stack(SMALL_PHONE, 3)
    photo = sim.grey(stack.images[0])
    reg = register_page(photo, sample_layout().frame)
    assert reg.perspective_mm > 1.0  # a scan has none: confirmed by the QR code
    # cover the code: the same photo can no longer be placed
    qr = sample_layout().frame.qr
    corners = reg.to_image(np.array(qr.corners(), float))
    covered = photo.copy()
    cv2.fillPoly(covered, [np.round(corners).astype(np.int32)], 255)
    with pytest.raises(PageNotPlaced) as err:
        register_page(covered, sample_layout().frame)
    assert "cannot be found to confirm" in words(err.value.reasons, "en")


def test_a_deep_shadow_across_the_boxes_is_not_ink() -> None:
    profile = replace(SMALL_PHONE, shadow=(0.45, 0.6), light=0.45)
    stack = _stack(profile, 4)
    for i in range(len(stack)):
        _check_rows(_read(stack.images[i]), stack.truth[i])


def test_bleed_through_and_faint_folds_make_no_marks() -> None:
    stack = _stack(replace(sim.WORN, fold=1.0), 5, ballots=2)
    for i in range(len(stack)):
        _check_rows(_read(stack.images[i]), stack.truth[i])


def test_a_dark_crease_through_the_boxes_goes_to_review_not_to_the_count() -> None:
    stack = _stack(replace(sim.WORN, fold=1.0, fold_darkness=(0.35, 0.45), bleed=(0.0, 0.0)), 6,
                   ballots=2)
    lines = 0
    for i in range(len(stack)):
        reading = _read(stack.images[i])
        want = {r.candidate: r for r in stack.truth[i].rows}
        for row in reading.rows:
            t = want[row.candidate]
            if row.outcome == "review":
                lines += "straight line runs right through" in (row.reason or "")
            else:
                assert (row.outcome, row.level) == (t.outcome, t.level), (row, t)
    assert lines >= 1  # a crease through boxes was seen (not every crease crosses one)


def test_a_tick_running_on_into_the_next_box_is_one_vote() -> None:
    stack = _stack(replace(sim.OFFICE, quarter_turns=(0,)), 7, ballots=2, shapes=(sim.SPILL,))
    for i in range(len(stack)):
        _check_rows(_read(stack.images[i]), stack.truth[i])


@pytest.mark.parametrize(("dpi", "bitonal", "grey"), [(300, False, 150), (200, True, 60)])
def test_a_dot_resting_on_a_box_outline_goes_to_review(dpi: int, bitonal: bool, grey: int) -> None:
    """A hesitation dot on the printed line: left out with the line by every box
    measure, found as ink the line itself does not hold."""
    page = cv2.cvtColor(_printed(dpi)[0], cv2.COLOR_RGB2GRAY)
    template = sample_layout().page(1).template
    box = template.rows[2].boxes[1]
    ppm = dpi / 25.4
    centre = (round((box.x + 1.8) * ppm), round(box.y * ppm))  # on the top edge
    dot = np.full_like(page, 255)
    cv2.circle(dot, centre, round(0.6 * ppm), grey, -1, lineType=cv2.LINE_AA)  # 1.2 mm across
    page = np.minimum(page, dot)  # ink darkens what is under it, the printed line too
    if bitonal:
        page = np.where(page < 128, 0, 255).astype(np.uint8)
    reading = _read(page)
    assert reading.status == "accepted", reading.reason
    rows = reading.rows
    assert rows[2].outcome == "review", rows[2]
    assert "printed outline of box 2" in (rows[2].reason or "")
    assert rows[2].measures["on_outline_mm2"][1] >= _campaign().thresholds.outline_ink_mm2
    assert all(r.outcome == "blank" for i, r in enumerate(rows) if i != 2)


def test_the_spill_rule_at_its_edges() -> None:
    fills, inks, extents = (0.2, 0.03, 0.0), (6.0, 1.2, 0.0), (8.0, 3.9, 0.0)
    spill = ((0.0, 4.0), (1.5, 0.0), (0.0, 0.0))  # box 1's ink leaves right, box 2's enters left
    d = decide_row(fills, inks=inks, extents=extents, enters=spill)
    assert (d.outcome, d.choice) == ("vote", 0)
    deep = ((0.0, 4.0), (DEFAULT_RULE.spill_reach_mm + 0.5, 0.0), (0.0, 0.0))
    assert decide_row(fills, inks=inks, extents=extents,
                      enters=deep).outcome == "overvote"
    stays = ((0.0, 0.0), (1.5, 0.0), (0.0, 0.0))  # box 1's ink does not run out towards box 2
    assert decide_row(fills, inks=inks, extents=extents,
                      enters=stays).outcome == "overvote"


@pytest.mark.parametrize("dpi", [150, 300])
def test_a_struck_out_name_sends_its_row_to_review(dpi: int) -> None:
    layout = sample_layout()
    page = _printed(dpi)[0].copy()
    rng = np.random.default_rng(dpi)
    rows = {r.row: r for r in layout.page(1).template.rows}
    sim.draw_mark(page, rows[3].boxes[0], sim.px_per_mm(dpi), sim.Mark("tick", "blue", 0.5), rng)
    sim.strike_through(page, rows[3].band, sim.px_per_mm(dpi), "blue", 0.5, rng)
    sim.strike_through(page, rows[7].band, sim.px_per_mm(dpi), "pencil", 0.4, rng)
    gray = sim.degrade(page, replace(sim.OFFICE, dpi=dpi, quarter_turns=(0,)), rng)
    reading = _read(gray)
    by_row = dict(zip((r.row for r in layout.page(1).template.rows), reading.rows, strict=True))
    for n, row in by_row.items():
        if n in (3, 7):
            assert row.outcome == "review" and "struck out" in row.reason, row
        else:
            assert row.outcome != "review", row
    assert "(read as: " in by_row[3].reason  # what the boxes said, for the reviewer


def test_writing_in_a_place_for_a_signature_is_not_flagged() -> None:
    layout = sample_layout()
    template = layout.page(1).template
    page = _printed(200)[0].copy()
    rng = np.random.default_rng(8)
    sim.strike_through(page, template.rows[4].band, sim.px_per_mm(200), "black", 0.5, rng)
    gray = sim.grey(sim.degrade(page, replace(sim.OFFICE, quarter_turns=(0,)), rng))
    reg = register_page(gray, layout.frame)
    black = ink_black_level(gray, reg, layout.frame)
    assert [w.row for w in find_writing(gray, reg, template, black)] == [template.rows[4].row]
    signed = PageTemplate(template.page, template.frame, template.rows, template.box_line_mm,
                          writing_allowed=(template.rows[4].band,))
    assert find_writing(gray, reg, signed, black) == ()


def test_explain_draws_the_reading_on_the_page() -> None:
    stack = _stack(replace(sim.OFFICE, quarter_turns=(0,)), 9)
    data = encode_page(stack.images[0])
    drawn = explain_page(data, sample_layout(), _campaign().thresholds)
    gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert drawn.shape == (*gray.shape, 3)
    colour = np.abs(drawn.astype(int) - drawn.mean(axis=2, keepdims=True)).max(axis=2) > 40
    assert colour.mean() > 0.002  # boxes, marks and decisions drawn in colour


def test_explain_command_writes_a_stored_page_and_says_what_is_wrong(tmp_path: Path) -> None:
    """``kiemphieu explain WS PAGE --out F`` on a scanned page writes the drawing; a page
    that is not stored, or whose stored image was damaged since, is refused with a
    message that says which, not a traceback."""
    from station_cases import kiemphieu, new_workspace, scan_folder

    ws = new_workspace(tmp_path / "ws")
    kiemphieu("scan", str(ws), str(scan_folder(tmp_path / "in", 1, formats=("png",))))
    out = tmp_path / "page-1.png"
    assert str(out) in kiemphieu("explain", str(ws), "1", "--out", str(out)).stdout
    drawn = cv2.imread(str(out))
    assert drawn is not None and drawn.shape[0] > 1000
    missing = kiemphieu("explain", str(ws), "99", "--out", str(out), check=False)
    assert missing.returncode == 1 and "no page 99" in missing.stderr
    for stored in (ws / "images").rglob("*.png"):
        stored.write_bytes(b"not an image")
    damaged = kiemphieu("explain", str(ws), "1", "--out", str(out), check=False)
    assert damaged.returncode == 1, damaged.stderr
    assert "stored image" in damaged.stderr and "cannot be decoded" in damaged.stderr


def test_explain_writes_vietnamese_letters_not_their_ascii() -> None:
    """The names, decisions and reasons on an explained page keep their Vietnamese letters
    (drawn in the bundled font): "Tín nhiệm thấp" is not drawn as "Tin nhiem thap" or
    with "?" for each letter OpenCV's own font lacks."""
    from pipeline.documents.explain import _draw_labels, _Label

    def drawn(text: str) -> np.ndarray:
        blank = np.full((60, 400, 3), 255, np.uint8)
        return _draw_labels(blank, [_Label(text, (5, 40), (0, 0, 0), 30)]) < 128

    vietnamese, plain = drawn("Tín nhiệm thấp"), drawn("Tin nhiem thap")
    assert vietnamese.sum() > plain.sum()  # the marks over the letters
    assert (vietnamese & ~plain).sum() > 20
    assert not np.array_equal(vietnamese, drawn("T?n nhi?m th?p"))
