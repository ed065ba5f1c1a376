"""Pages the reader must refuse, each with the right error and a useful reason."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from omr_pages import MM_PER_INCH, Scan, draw_page, sample_layout, scan

from omr.code import decode_page_code
from omr.errors import BlankPage, CodeUnreadable, PageNotPlaced, ReadError
from omr.reasons import FIT_MIRRORED, TOO_FEW_MARKS
from omr.registration import RegistrationParams, register_page
from pipeline.domain.wording import words

DPI = 200
PPM = DPI / MM_PER_INCH


def _page(**kwargs: object) -> np.ndarray:
    layout = sample_layout()
    return draw_page(layout.page(1).template, layout.code_text(1), DPI, **kwargs)


def _frame():
    return sample_layout().frame


def _blank(shape: tuple[int, int] = (2339, 1654), paper: int = 250) -> np.ndarray:
    return np.full(shape, paper, np.uint8)


@pytest.mark.parametrize(
    "how",
    [
        Scan(noise=8),
        Scan(noise=40, bitonal=True),
        Scan(noise=6, jpeg=60, paper=235),
    ],
)
def test_empty_sheet_is_blank(how: Scan) -> None:
    with pytest.raises(BlankPage) as err:
        register_page(scan(_blank(), how, DPI), _frame())
    assert err.value.code == "blank_page"
    assert isinstance(err.value, ReadError)


def test_duplex_back_with_bleed_through_is_blank() -> None:
    # the front seen through the paper: mirrored, very faint, plus noise
    front = _page()
    back = 255 - ((255 - front[:, ::-1].astype(np.float32)) * 0.15)
    back = back.astype(np.uint8)
    image = scan(back, Scan(quarter_turns=2, noise=6, jpeg=75), DPI)
    with pytest.raises(BlankPage):
        register_page(image, _frame())


def test_blank_sheet_with_dark_scanner_border_is_blank() -> None:
    image = _blank()
    image[:, :25] = 30  # the scanner's lid shadow along one edge
    image[-15:, :] = 40
    with pytest.raises(BlankPage):
        register_page(image, _frame())


def test_page_with_text_but_no_marks_is_not_a_ballot() -> None:
    image = scan(_page(markers=()), Scan(noise=5), DPI)
    with pytest.raises(PageNotPlaced) as err:
        register_page(image, _frame())
    assert err.value.code == "not_placed"
    assert "no registration marks found: not a kiemphieu ballot page" in en(err.value)


def test_a_page_with_other_aruco_marks_names_them() -> None:
    """Another system's form with ArUco marks of other ids: refused, and the ids said."""
    image = _page(markers=())
    side = round(12 * PPM)
    for n, (y, x) in enumerate(((40, 40), (40, 1654 - 40 - side), (2339 - 40 - side, 40))):
        mark = cv2.aruco.generateImageMarker(
            cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50), 30 + n, side)
        image[y : y + side, x : x + side] = mark
    with pytest.raises(PageNotPlaced) as err:
        register_page(scan(image, Scan(noise=5), DPI), _frame())
    assert "other ArUco ids seen: [30, 31, 32]" in en(err.value)


def test_two_marks_are_not_enough() -> None:
    with pytest.raises(PageNotPlaced) as err:
        register_page(_page(markers=(0, 2)), _frame())
    reason = en(err.value)
    assert "only 2 of 4" in reason
    assert "top_left, bottom_right" in reason
    assert "missing top_right, bottom_left" in reason


def test_three_marks_place_the_page() -> None:
    image = scan(_page(markers=(0, 1, 3)), Scan(quarter_turns=3, skew_deg=2), DPI)
    reg = register_page(image, _frame())
    assert reg.markers_found == 3
    assert reg.quarter_turns == 3
    assert reg.residual_mm < 0.2


def test_a_mark_out_of_place_is_refused() -> None:
    image = _page()
    # cut out the bottom-right mark and paste it 4 mm further left
    sq = _frame().markers[2].square
    x0, y0, side = round(sq.x * PPM), round(sq.y * PPM), round(sq.w * PPM)
    patch = image[y0 : y0 + side, x0 : x0 + side].copy()
    image[y0 : y0 + side, x0 : x0 + side] = 255
    dx = round(4 * PPM)
    image[y0 : y0 + side, x0 - dx : x0 - dx + side] = patch
    with pytest.raises(PageNotPlaced) as err:
        register_page(image, _frame())
    assert "perspective at the corners" in en(err.value)
    assert en(err.value).startswith("registration marks found (top_left, top_right")


def test_stretched_page_is_refused() -> None:
    image = _page()
    stretched = cv2.resize(image, (round(image.shape[1] * 1.5), image.shape[0]))
    with pytest.raises(PageNotPlaced) as err:
        register_page(stretched, _frame())
    assert "stretched" in en(err.value)


def _sheared(image: np.ndarray, deg: float) -> np.ndarray:
    h, w = image.shape
    t = np.tan(np.radians(deg))
    m = np.array([[1.0, t, 0.0], [0.0, 1.0, 0.0]])
    return cv2.warpAffine(image, m, (w + round(t * h), h), borderValue=255)


def test_a_page_seen_from_the_side_is_placed_on_four_marks_not_on_three() -> None:
    """A photo taken obliquely from far off shears the page without perspective (up to
    17° on simulated desk photos). Four marks on one affine fit are checked by its
    residual and placed; three fit any affine map exactly, so a scanner's 8° holds."""
    reg = register_page(_sheared(_page(), 14.0), _frame())
    assert reg.markers_found == 4 and reg.residual_mm < 0.1
    three = [m.marker_id for m in _frame().markers][:3]
    with pytest.raises(PageNotPlaced) as err:
        register_page(_sheared(_page(markers=tuple(three)), 14.0), _frame())
    assert "off square" in en(err.value)


def test_two_pages_in_one_image_are_refused() -> None:
    image = _page()
    with pytest.raises(PageNotPlaced) as err:
        register_page(np.hstack([image, image]), _frame())
    assert "more than once" in en(err.value)


def test_page_with_a_destroyed_code_is_placed_but_unreadable() -> None:
    image = _page()
    qr = _frame().qr
    x0, y0 = round(qr.x * PPM), round(qr.y * PPM)
    image[y0 + 40 : y0 + 120, x0 + 30 : x0 + 150] = 255  # white-out over the code
    reg = register_page(image, _frame())
    with pytest.raises(CodeUnreadable) as err:
        decode_page_code(image, reg, _frame())
    assert err.value.code == "code_unreadable"
    assert "QR code" in en(err.value)


def test_code_found_elsewhere_in_the_image_is_not_taken_for_the_page_code() -> None:
    layout = sample_layout()
    image = _page()
    qr = _frame().qr
    x0, y0, side = round(qr.x * PPM), round(qr.y * PPM), round(qr.w * PPM)
    code = image[y0 : y0 + side, x0 : x0 + side].copy()
    image[y0 : y0 + side, x0 : x0 + side] = 255
    image[y0 - 800 : y0 - 800 + side, x0 + 300 : x0 + 300 + side] = code  # a sticker mid-page
    reg = register_page(image, _frame())
    with pytest.raises(CodeUnreadable):
        decode_page_code(image, reg, _frame())
    # and put back where it belongs it reads
    image[y0 : y0 + side, x0 : x0 + side] = code
    assert decode_page_code(image, reg, _frame()) == layout.code_text(1)


def test_wrong_input_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        register_page(np.zeros((10, 10, 3), np.uint8), _frame())
    with pytest.raises(ValueError):
        register_page(np.zeros((10, 10), np.float32), _frame())


def test_errors_say_what_they_are() -> None:
    found = TOO_FEW_MARKS(found=2, corners=("top_left",), missing_corners=("top_right",))
    err = PageNotPlaced(found, FIT_MIRRORED())
    assert str(err) == "not_placed: too_few_marks; fit_mirrored"
    assert err.reasons == (found, FIT_MIRRORED())
    assert BlankPage(found).code == "blank_page"
    assert CodeUnreadable(found).code == "code_unreadable"


def _photo(image: np.ndarray, squeeze: float) -> tuple[np.ndarray, np.ndarray]:
    """The page seen at an angle: its top edge ``squeeze`` narrower; and the map."""
    h, w = image.shape
    d = squeeze * w / 2
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[d, 0], [w - d, 0], [w, h], [0, h]])
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(image, m, (w, h), borderValue=255), m


def test_perspective_is_placed_only_when_the_qr_code_confirms_it() -> None:
    layout = sample_layout()
    template = layout.page(1).template
    page = _page()
    qr = _frame().qr
    hidden = page.copy()
    x0, y0, side = round(qr.x * PPM), round(qr.y * PPM), round(qr.w * PPM)
    hidden[y0 : y0 + side, x0 : x0 + side] = 255  # a photo with the code covered
    with pytest.raises(PageNotPlaced) as err:
        register_page(_photo(hidden, 0.04)[0], _frame())
    assert "perspective" in en(err.value) and "cannot be found to confirm" in en(err.value)
    with pytest.raises(PageNotPlaced) as err:
        register_page(_photo(page, 0.04)[0], _frame(), RegistrationParams(
            max_confirmed_perspective_mm=1.5))
    assert "perspective at the corners (allowed 1.5 mm)" in en(err.value)

    image, m = _photo(page, 0.04)
    reg = register_page(image, _frame())
    assert reg.perspective_mm > 1.0
    assert reg.markers_found == 4 and reg.residual_mm < 0.2
    to_px = np.array([[PPM, 0, -0.5], [0, PPM, -0.5], [0, 0, 1]])
    centres = np.array([b.centre for r in template.rows for b in r.boxes], dtype=np.float64)
    truth = cv2.perspectiveTransform(centres.reshape(-1, 1, 2), m @ to_px).reshape(-1, 2)
    assert np.abs(reg.to_image(centres) - truth).max() / PPM < 0.15
    assert decode_page_code(image, reg, _frame()) == layout.code_text(1)


def en(err: ReadError) -> str:
    """The error's reasons in English, as the audit record words them."""
    return words(err.reasons, "en")
