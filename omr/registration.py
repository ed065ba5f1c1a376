"""Stage 1: place the page — from the four ArUco corner marks to a homography.

The page carries an ArUco marker at each corner (`PageFrame.markers`); their
ids say which corner is which, so the marks give both the page's position and
its orientation in the image. `register_page` finds them, fits a homography
from page millimetres to image pixels through all their corners (16 points
with four marks, 12 with three) and checks that the fit is one a flat printed
page can produce. It refuses rather than guesses: with fewer than three marks,
a large reprojection error, or a scale that differs between the page's axes,
it raises `PageNotPlaced` with what it found. A page without any mark and
almost no ink is a `BlankPage` (an empty sheet or a duplex back).

Speed: ArUco runs on a copy reduced to about ``detect_px_per_mm`` (INTER_AREA),
first in the four corner regions of the image (a scanned page fills the image)
and only if that finds fewer than all four marks on the whole reduced image, then
at twice that resolution. Marker corners from the reduced copy are accurate to
well under 0.1 mm, which is all the later stages need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np
import zxingcpp

from omr import reasons as why
from omr.code import code_corners_mm
from omr.errors import BlankPage, PageNotPlaced
from omr.geometry import PageFrame, Rect
from omr.pixels import grey_percentile
from omr.reasons import Reason
from omr.transform import Registration


@dataclass(frozen=True)
class RegistrationParams:
    """Tunable constants of registration; the defaults suit scans and photos.

    Attributes
    ----------
    detect_px_per_mm
        Resolution (px/mm) at which ArUco looks for the marks; 5 px/mm puts
        10 px in each cell of a 12 mm 4x4 marker.
    corner_search_mm
        Side (mm) of the square searched first at each corner of the image.
        Covers a mark 8-20 mm from the page corner under ±5° skew and a shift.
    quick_search_mm
        The same for the quick first pass (`find_markers`): finds the marks
        of pages skewed up to 5° and shifted 4 mm (all of 15 such simulated
        scans at 46 mm, 11 at 42 mm, 3 at 36 mm); a page it misses is
        searched again with ``corner_search_mm``.
    max_residual_mm
        Largest RMS reprojection error (mm) of the marker corners accepted.
        Good scans measure 0.02-0.13 mm.
    max_affine_residual_mm
        If an affine map (a flat page on a scanner) fits the marker corners
        this well (RMS, mm) it is used; otherwise a homography is fitted,
        which needs all four marks.
    max_perspective_mm
        Largest distance (mm), at the page's corners, between the homography
        and the best affine map through the same points, accepted on the marks
        alone. A flatbed or sheet-fed scan has no perspective, so more means a
        photo, a mark that is not where the frame prints it, or a page not
        lying flat; such a fit must be confirmed (below).
    max_confirmed_perspective_mm
        Largest perspective (mm, as above) accepted at all: a phone held
        within about 30° of square over the page. Between
        ``max_perspective_mm`` and this the fit is accepted only if the QR
        code, located by zxing independently of the marks, lies where the fit
        puts it: its four corners, rectified through the fit, on an upright
        square centred in ``frame.qr`` within ``confirm_tolerance_mm``. The box
        outlines are checked as well, when the boxes are measured
        (`omr.scoring.check_outlines`).
    confirm_tolerance_mm
        How far (mm) each QR corner may lie from that square (zxing locates
        it to about 0.1 mm at 8 px/mm).
    max_photo_shear_deg
        ``max_shear_deg`` for a fit with perspective or on all four marks: a
        photo taken from the side shows the page's axes further off square
        (up to 17° on desk photos with corners moved by 12 % of the page's
        width and the page turned 15°, some of them fitted without
        perspective, from far off).
    max_axis_ratio
        Largest ratio between the scales (px/mm) along the page's x and y
        axes at the page centre (a stretched or misfitted page).
    max_photo_axis_ratio
        ``max_axis_ratio`` for a fit with perspective or on all four marks: a phone tilted 30°
        from square over the page already shortens one axis by 1/cos 30° =
        1.15 at the page centre (one of 380 simulated desk photos measured
        1.16, photos of stronger perspective up to 1.26). A fit with
        perspective is confirmed by the QR code; every fit by the box outlines.
    max_shear_deg
        Largest departure (degrees) from a right angle between the page's
        axes as seen in the image. A scanner shows none; the limit guards a
        fit on three marks, which fit any affine map exactly (four marks on
        one map are checked by its residual and held to the photo limits).
    max_scale_spread
        Largest ratio between the local scales at the page's four corners
        (perspective; 1.0 for a flatbed scan).
    max_photo_scale_spread
        ``max_scale_spread`` for a fit with perspective, which the QR code
        and the box outlines confirm: desk photos with each corner moved by
        up to 14 % of the page's width measured 1.6-2.0 and all read right
        (16 of 16; at 1.6, 6 were refused); at 12 % and turned 15° on the desk,
        up to 2.26 (the limit was 2.2 until then).
    min_px_per_mm
        Smallest resolution accepted (2.5 px/mm is about 64 dpi).
    blank_px_per_mm
        Resolution (px/mm) at which ink is counted on a page without marks.
    blank_max_ink
        Largest share of the page that may be ink on a blank page.
    blank_min_blob_mm2
        Ink blobs smaller than this (mm²) are scanner noise, not ink.
    """

    detect_px_per_mm: float = 5.0
    corner_search_mm: float = 55.0
    quick_search_mm: float = 46.0
    max_residual_mm: float = 0.3
    max_affine_residual_mm: float = 0.2
    max_perspective_mm: float = 1.0
    max_confirmed_perspective_mm: float = 60.0
    confirm_tolerance_mm: float = 0.4
    max_photo_shear_deg: float = 20.0
    max_axis_ratio: float = 1.15
    max_photo_axis_ratio: float = 1.35
    max_shear_deg: float = 8.0
    max_scale_spread: float = 1.6
    max_photo_scale_spread: float = 2.6
    min_px_per_mm: float = 2.5
    blank_px_per_mm: float = 4.0
    blank_max_ink: float = 0.002
    blank_min_blob_mm2: float = 0.3


DEFAULT_PARAMS = RegistrationParams()


def register_page(
    gray: np.ndarray, frame: PageFrame, params: RegistrationParams = DEFAULT_PARAMS, *,
    half: np.ndarray | None = None, code_symbol: Rect | None = None,
) -> Registration:
    """Find the page's registration marks and fit page mm -> image px.

    Parameters
    ----------
    gray
        The scanned page, uint8, shape (H, W), 0 = black. Any resolution from
        about 100 to 600 dpi; the page in any of four orientations.
    frame
        Where the marks are printed (mm) and their ArUco dictionary.
    params
        Tolerances; see `RegistrationParams`.
    half
        ``omr.pixels.halve(gray)``, if the caller has it: the quick first
        search takes its corners from it when it would halve them anyway.
    code_symbol
        Where the QR symbol itself is printed (mm, quiet zone excluded). With
        it, a page on which fewer than three marks are found (a corner folded
        over, cut off by the scan area, stamped over) is placed from the marks
        found and the code's corners (`place_by_code`): a first fit that the
        box outlines must refine and confirm (``Registration.by_table``).

    Returns
    -------
    Registration

    Raises
    ------
    BlankPage
        No mark found and less than ``blank_max_ink`` of the page is ink.
    PageNotPlaced
        Fewer than three marks, a mark seen twice, or marks that do not fit
        the printed frame (residual, axis ratio, shear, perspective, scale).
    ValueError
        ``gray`` is not a 2-D uint8 array.
    """
    _check_image(gray)
    est = estimate_px_per_mm(gray.shape, frame.page_size_mm)
    scale = min(1.0, params.detect_px_per_mm / est)
    ink: float | None = None
    # first with one threshold window (a clean scan: all four marks, a third of the time),
    # then, unless that found them all, with ArUco's full range of windows
    found, foreign, duplicates = find_markers(gray, frame, est, params, (("quick", scale),),
                                              half=half)
    if len(found) < len(frame.markers) or duplicates:
        found, foreign, duplicates = find_markers(gray, frame, est, params,
                                                  (("corners", scale),))
    if not found and not duplicates:
        # a blank sheet is settled before the slower whole-page searches; a
        # printed ballot is never this empty (its four marks alone are 0.4%)
        ink = ink_fraction(gray, est, params)
        if ink < params.blank_max_ink:
            raise BlankPage(why.BLANK_SHEET(ink=ink))
    searched_whole = len(found) < len(frame.markers) and not duplicates
    if searched_whole:
        passes = [("whole", scale)] + ([("whole", min(1.0, 2 * scale))] if scale < 1 else [])
        again, foreign2, duplicates = find_markers(gray, frame, est, params, tuple(passes))
        foreign |= foreign2
        if len(again) >= len(found) or duplicates:
            # a mark both searches found keeps the corners of the first, made at the marks'
            # own windows (the whole page's coarse pass may place a corner a pixel or more off)
            found = {**again, **{i: c for i, c in found.items() if i in again}}
    if duplicates:
        raise _seen_twice(frame, duplicates)
    if len(found) < 4 and code_symbol is not None:
        # a mark lost: the code's corners stand in for it (three marks alone fit any affine
        # map, a photo's perspective too); the table confirms the fit
        by_code = place_by_code(gray, frame, found, code_symbol, est, params)
        if by_code is not None:
            return by_code
    if len(found) < 3:
        unfound = (why.CODE_NOT_FOUND_TO_PLACE(),) if code_symbol is not None else ()
        if not found:
            ink = ink_fraction(gray, est, params) if ink is None else ink
            raise PageNotPlaced(why.NO_MARKS(
                ink=ink, foreign=why.FOREIGN_IDS(ids=tuple(sorted(foreign))) if foreign else None),
                *unfound)
        raise PageNotPlaced(why.TOO_FEW_MARKS(
            found=len(found), corners=tuple(_corner_name(frame, i) for i in sorted(found)),
            missing_corners=tuple(m.corner for m in frame.markers if m.marker_id not in found)),
            *unfound)
    try:
        registration = fit_registration(found, frame, params)
    except PageNotPlaced:
        # the corners alone may hide a second page in the image: look once more
        if not searched_whole:
            _, _, duplicates = find_markers(gray, frame, est, params, (("whole", scale),))
            if duplicates:
                raise _seen_twice(frame, duplicates) from None
        # one of four marks half covered (a seal, a fold) may be found a little out of place:
        # a flat page on the other three, if they alone fit it; three marks of a photo (its
        # fourth folded over) fit no flat page: with the code's corners they fit it in
        # perspective
        registration = _three_of_four(found, frame, params)
        if registration is None and code_symbol is not None:
            registration = place_by_code(gray, frame, found, code_symbol, est, params)
        if registration is None:
            raise
    if registration.perspective_mm > params.max_perspective_mm:
        have = tuple(m.corner for m in frame.markers if m.marker_id in found)
        _confirm_by_code(gray, registration, frame, params, have)
    return registration


def _three_of_four(found: dict[int, np.ndarray], frame: PageFrame,
                   params: RegistrationParams) -> Registration | None:
    """The best flat fit on three of four marks (the one left out found out of place), or
    None: fewer than four marks, or no three of them fit a flat page."""
    if len(found) < 4:
        return None
    best: Registration | None = None
    for left_out in found:
        try:
            fit = fit_registration({i: c for i, c in found.items() if i != left_out}, frame,
                                   params)
        except PageNotPlaced:
            continue
        if fit.perspective_mm == 0.0 and (best is None or fit.residual_mm < best.residual_mm):
            best = fit
    return best


def place_by_code(gray: np.ndarray, frame: PageFrame, found: dict[int, np.ndarray],
                  code_symbol: Rect, est_px_per_mm: float,
                  params: RegistrationParams = DEFAULT_PARAMS) -> Registration | None:
    """A first fit from the marks ``found`` and the QR symbol's corners.

    For a page on which fewer than three marks are found, or three that fit
    no flat page (a photo with a corner folded over). zxing finds the code
    anywhere in the image (reduced to about 6 px/mm) and gives its four
    corners in the symbol's own order, so the code alone says where the page
    lies and which way it is turned; each mark found adds its four corners
    far from the code. The points are fitted as marks are
    (`fit_registration`: an affine map, or with three marks and the code a
    homography) and pass the same checks. The fit is marked ``by_table``:
    the box outlines refine and confirm it before any box is read
    (`omr.table.place_by_table`). None if the image holds no single code or
    the points fit no page.
    """
    code_px = code_corners_px(gray, est_px_per_mm)
    if code_px is None:
        return None
    # with four marks, one of them may be found out of place (half covered, half folded
    # away): the best fit on the code and each three of them too
    subsets = [found] + ([{i: c for i, c in found.items() if i != out} for out in found]
                         if len(found) == 4 else [])
    fits = [f for f in (_fit_with_code(sub, frame, code_symbol, code_px, params)
                        for sub in subsets) if f is not None]
    if not fits and len(found) == 3:
        # three that fit no page with the code: one of them found out of shape (faded to
        # dots at one side), the best fit on the code and each two of them
        fits = [f for f in (_fit_with_code({i: c for i, c in found.items() if i != out},
                                           frame, code_symbol, code_px, params)
                            for out in found) if f is not None]
    return min(fits, key=lambda f: f.residual_mm) if fits else None


def code_corners_px(gray: np.ndarray, est_px_per_mm: float) -> np.ndarray | None:
    """The QR symbol's four corners (image px, (4, 2), in the symbol's own order: top-left,
    top-right, bottom-right, bottom-left) found anywhere in ``gray``, reduced to about
    6 px/mm for zxing; None unless exactly one code is found."""
    factor = max(1, int(est_px_per_mm // 6.0))
    small = gray if factor == 1 else cv2.resize(
        gray, (gray.shape[1] // factor, gray.shape[0] // factor), interpolation=cv2.INTER_AREA)
    codes = [b for b in zxingcpp.read_barcodes(small, formats=zxingcpp.BarcodeFormat.QRCode)
             if b.valid]
    if len(codes) != 1:
        return None
    p = codes[0].position
    corners = np.array([(q.x, q.y) for q in (p.top_left, p.top_right, p.bottom_right,
                                              p.bottom_left)], dtype=np.float64)
    return corners * factor - 0.5  # zxing's pixel edges to pixel centres at integers


def _fit_with_code(found: dict[int, np.ndarray], frame: PageFrame, code_symbol: Rect,
                   code_px: np.ndarray, params: RegistrationParams) -> Registration | None:
    """`fit_registration` of ``found`` and the code's corners, marked ``by_table`` with the
    points it was made from; None if they fit no page."""
    code_mm = np.array(code_symbol.corners(), dtype=np.float64)
    try:
        fit = fit_registration(found, frame, params, code=(code_mm, code_px))
    except PageNotPlaced:
        return None
    markers = [m for m in frame.markers if m.marker_id in found]
    src = [*code_mm, *(c for m in markers for c in m.square.corners())]
    dst = [*code_px, *(p for m in markers for p in found[m.marker_id])]
    return replace(fit, by_table=True, anchors=tuple(
        (float(a), float(b), float(c), float(d)) for (a, b), (c, d) in zip(src, dst, strict=True)))


def _confirm_by_code(gray: np.ndarray, registration: Registration, frame: PageFrame,
                     params: RegistrationParams, have: tuple[str, ...]) -> None:
    """Refuse a perspective fit unless the QR code lies exactly where it puts it."""

    corners = code_corners_mm(gray, registration, frame)
    if corners is None:
        raise PageNotPlaced(why.PERSPECTIVE_UNCONFIRMED(
            corners=have, perspective_mm=registration.perspective_mm))
    cx, cy = frame.qr.x + frame.qr.w / 2, frame.qr.y + frame.qr.h / 2
    d = corners - (cx, cy)
    a = float(np.abs(d).mean())
    square = np.array([[-a, -a], [a, -a], [a, a], [-a, a]])
    off = float(np.hypot(*(d - square).T).max())
    if off > params.confirm_tolerance_mm:
        raise PageNotPlaced(why.PERSPECTIVE_CODE_OFF(
            corners=have, perspective_mm=registration.perspective_mm, off_mm=off,
            allowed_mm=params.confirm_tolerance_mm))


def _seen_twice(frame: PageFrame, duplicates: set[int]) -> PageNotPlaced:
    return PageNotPlaced(why.MARK_SEEN_TWICE(
        corners=tuple(_corner_name(frame, i) for i in sorted(duplicates))))


def estimate_px_per_mm(shape: tuple[int, ...], page_size_mm: tuple[float, float]) -> float:
    """Resolution (px/mm) if the image held exactly the page, from its area."""
    h, w = shape[:2]
    return math.sqrt((h * w) / (page_size_mm[0] * page_size_mm[1]))


def find_markers(
    gray: np.ndarray,
    frame: PageFrame,
    est_px_per_mm: float,
    params: RegistrationParams,
    passes: tuple[tuple[str, float], ...],
    *,
    half: np.ndarray | None = None,
) -> tuple[dict[int, np.ndarray], set[int], set[int]]:
    """Detect the frame's ArUco marks in ``gray``, pass by pass.

    Each pass is ``("corners", scale)`` (the four corner regions of
    ``corner_search_mm``), ``("quick", scale)`` (smaller squares of
    ``quick_search_mm`` and a single adaptive-threshold window of about
    4.5 mm, twice a mark's cell: finds the marks of a clean scan at a quarter of
    the cost, with the same corners, as the refinement works on the grey
    image) or ``("whole", scale)`` (the
    whole image), run on a copy reduced by ``scale``; the passes stop at the
    first that finds three marks or a mark twice. ``half``: the image halved
    (`omr.pixels.halve`), to cut the quick pass's corners from when that pass
    reduces by two.

    Returns
    -------
    found
        Marker id -> its four corners (4, 2) in image px (float64), in the
        marker's own order (top-left, top-right, bottom-right, bottom-left of
        the upright page).
    foreign
        Ids of the same dictionary that are not in the frame.
    duplicates
        Frame ids detected more than once.
    """
    dictionary = cv2.aruco.getPredefinedDictionary(_dictionary_id(frame.aruco_dictionary))
    wanted = {m.marker_id for m in frame.markers}
    best: tuple[dict[int, np.ndarray], set[int], set[int]] = ({}, set(), set())
    foreign: set[int] = set()  # from every pass: what else the image holds, for the reason
    h, w = gray.shape
    for kind, s in passes:
        if kind in ("corners", "quick"):
            side = round(params.corner_search_mm * est_px_per_mm)
            if 2 * side >= min(h, w):
                continue
            factor = max(1, round(1.0 / s))  # the reduction `_detect` makes
            if kind == "quick":
                # smaller by whole reduction blocks: the marks are reduced exactly as in
                # the larger square, and found at the same corners
                side -= factor * (round((params.corner_search_mm - params.quick_search_mm)
                                        * est_px_per_mm) // factor)
            detections = []
            halved = half is not None and kind == "quick" and factor == 2
            for x0, y0 in ((0, 0), (w - side, 0), (0, h - side), (w - side, h - side)):
                if halved:
                    assert half is not None
                    hx, hy = x0 // 2, y0 // 2
                    crop = half[hy : hy + side // 2, hx : hx + side // 2]
                    detections += _detect(crop, dictionary, 2 * s, est_px_per_mm / 2,
                                          (2 * hx, 2 * hy), quick=True, reduced=2)
                    continue
                crop = gray[y0 : y0 + side, x0 : x0 + side]
                detections += _detect(crop, dictionary, s, est_px_per_mm, (x0, y0),
                                      quick=kind == "quick")
        else:
            detections = _detect(gray, dictionary, s, est_px_per_mm, (0, 0))
        result = _sort_detections(detections, wanted)
        foreign |= result[1]
        if len(result[0]) > len(best[0]) or result[2]:
            best = result
        if len(best[0]) >= 3 or best[2]:
            break
    return best[0], foreign, best[2]


def _detect(
    img: np.ndarray,
    dictionary: cv2.aruco.Dictionary,
    scale: float,
    est_px_per_mm: float,
    offset: tuple[int, int],
    quick: bool = False,
    reduced: int = 1,
) -> list[tuple[int, np.ndarray]]:
    """ArUco on ``img`` reduced by about ``scale``; corners back in full-image px.

    The reduction is by a whole factor (INTER_AREA is several times faster
    then), the one nearest to ``1 / scale``. ``quick``: one adaptive-threshold
    window (about 4.5 mm) instead of ArUco's three. ``reduced``: ``img`` is
    the full image reduced by this whole factor already (``scale`` and
    ``est_px_per_mm`` are then of ``img``; ``offset`` is in full-image px).
    """
    factor = max(1, round(1.0 / scale))
    h, w = img.shape
    if factor > 1:
        h, w = h - h % factor, w - w % factor
        small = cv2.resize(img[:h, :w], (w // factor, h // factor), interpolation=cv2.INTER_AREA)
    else:
        small = img
    sx = sy = 1.0 / factor
    ppm = est_px_per_mm * sx
    longest = max(small.shape)
    p = cv2.aruco.DetectorParameters()
    # marks from 4 mm (a far photo) to 40 mm (an image of a part of the page)
    p.minMarkerPerimeterRate = min(1.0, 4 * 4.0 * ppm / longest)
    p.maxMarkerPerimeterRate = max(p.minMarkerPerimeterRate, 4 * 40.0 * ppm / longest)
    p.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    p.cornerRefinementWinSize = max(2, round(0.4 * ppm))
    if quick:
        window = max(3, round(4.5 * ppm) | 1)
        p.adaptiveThreshWinSizeMin = p.adaptiveThreshWinSizeMax = window
    detector = cv2.aruco.ArucoDetector(dictionary, p)
    corners, ids, _ = detector.detectMarkers(small)
    if ids is None:
        return []
    out = []
    for c, i in zip(corners, ids.ravel(), strict=True):
        pts = c.reshape(4, 2).astype(np.float64)
        # pixel centres at integers in both images: x_full = (x_small + .5) / s - .5
        pts[:, 0] = (pts[:, 0] + 0.5) * reduced / sx - 0.5 + offset[0]
        pts[:, 1] = (pts[:, 1] + 0.5) * reduced / sy - 0.5 + offset[1]
        out.append((int(i), pts))
    return out


def _sort_detections(
    detections: list[tuple[int, np.ndarray]], wanted: set[int]
) -> tuple[dict[int, np.ndarray], set[int], set[int]]:
    found: dict[int, np.ndarray] = {}
    foreign: set[int] = set()
    duplicates: set[int] = set()
    for i, pts in detections:
        if i not in wanted:
            foreign.add(i)
        elif i in found:
            duplicates.add(i)
        else:
            found[i] = pts
    return found, foreign, duplicates


def fit_registration(
    found: dict[int, np.ndarray], frame: PageFrame, params: RegistrationParams = DEFAULT_PARAMS,
    *, code: tuple[np.ndarray, np.ndarray] | None = None,
) -> Registration:
    """Fit the homography through the found marks and check it is plausible.

    Parameters
    ----------
    found
        Marker id -> corners (4, 2) in image px, as from `find_markers`;
        at least three of the frame's marks, or any number with ``code``.
    code
        The QR symbol's four corners, (page mm, image px), (4, 2) each, fitted
        with the marks (`place_by_code`): a perspective fit then needs 16
        points in all (three marks and the code).

    Raises
    ------
    PageNotPlaced
        The fit does not describe a flat page printed with ``frame``.
    """
    markers = [m for m in frame.markers if m.marker_id in found]
    have = tuple(m.corner for m in markers)
    src = np.array([c for m in markers for c in m.square.corners()], dtype=np.float64)
    dst = np.concatenate([found[m.marker_id] for m in markers]) if markers else np.zeros((0, 2))
    if code is not None:
        src, dst = np.concatenate([src.reshape(-1, 2), code[0]]), np.concatenate([dst, code[1]])
    w_mm, h_mm = frame.page_size_mm
    page_corners = np.array([(0, 0), (w_mm, 0), (w_mm, h_mm), (0, h_mm)], dtype=np.float64)

    # the simplest model that fits: an affine map for a page lying flat on a
    # scanner (stable with three marks), a homography only for perspective
    affine = np.linalg.lstsq(np.c_[src, np.ones(len(src))], dst, rcond=None)[0].T
    h = np.vstack([affine, [0.0, 0.0, 1.0]])
    scale = math.sqrt(abs(np.linalg.det(affine[:, :2])))
    if scale <= 0 or not np.isfinite(scale):
        raise PageNotPlaced(why.MARKS_NOT_A_PAGE(corners=have))
    perspective_mm = 0.0
    if _rms(h, src, dst) / scale > params.max_affine_residual_mm:
        if len(src) < 16:
            raise PageNotPlaced(why.THREE_MARKS_NOT_FLAT(corners=have,
                                                         rms_mm=_rms(h, src, dst) / scale))
        hom, _ = cv2.findHomography(src, dst, 0)
        if hom is None or not np.all(np.isfinite(hom)):
            raise PageNotPlaced(why.MARKS_NOT_A_PAGE(corners=have))
        by_h = cv2.perspectiveTransform(page_corners.reshape(-1, 1, 2), hom).reshape(-1, 2)
        by_a = cv2.perspectiveTransform(page_corners.reshape(-1, 1, 2), h).reshape(-1, 2)
        perspective_mm = float(np.max(np.hypot(*(by_h - by_a).T))) / scale
        h = hom

    jx, jy = jacobian(h, (w_mm / 2, h_mm / 2))
    sx, sy = float(np.hypot(*jx)), float(np.hypot(*jy))
    px_per_mm = (sx + sy) / 2
    residual_mm = _rms(h, src, dst) / px_per_mm
    cross = jx[0] * jy[1] - jx[1] * jy[0]
    shear_deg = abs(90.0 - math.degrees(math.acos(np.clip(np.dot(jx, jy) / (sx * sy), -1, 1))))
    corner_scales = [
        math.sqrt(abs(np.linalg.det(np.column_stack(jacobian(h, tuple(p)))))) for p in page_corners
    ]
    spread = max(corner_scales) / max(min(corner_scales), 1e-9)
    ratio = max(sx, sy) / max(min(sx, sy), 1e-9)

    problems: list[Reason] = []
    if cross <= 0:
        problems.append(why.FIT_MIRRORED())
    if residual_mm > params.max_residual_mm:
        problems.append(why.FIT_RESIDUAL(residual_mm=residual_mm,
                                         allowed_mm=params.max_residual_mm))
    if perspective_mm > params.max_confirmed_perspective_mm:
        problems.append(why.FIT_PERSPECTIVE(perspective_mm=perspective_mm,
                                            allowed_mm=params.max_confirmed_perspective_mm))
    photo = perspective_mm > params.max_perspective_mm
    # four marks on one fit cannot be a misread mark: a photo's oblique view may shear and
    # stretch the page as much with or without perspective
    lenient = photo or len(src) >= 16
    max_ratio = params.max_photo_axis_ratio if lenient else params.max_axis_ratio
    if ratio > max_ratio:
        problems.append(why.FIT_STRETCHED(across=sx, down=sy, ratio=ratio, allowed=max_ratio))
    max_shear = params.max_photo_shear_deg if lenient else params.max_shear_deg
    if shear_deg > max_shear:
        problems.append(why.FIT_SHEARED(degrees=shear_deg))
    max_spread = params.max_photo_scale_spread if photo else params.max_scale_spread
    if spread > max_spread:
        problems.append(why.FIT_SCALE_SPREAD(spread=spread))
    if px_per_mm < params.min_px_per_mm:
        problems.append(why.FIT_TOO_SMALL(px_per_mm=px_per_mm, need=params.min_px_per_mm))
    if problems:
        raise PageNotPlaced(why.FIT_REFUSED(corners=have, problems=tuple(problems)))

    angle = math.degrees(math.atan2(jx[1], jx[0]))
    quarter_turns = round(angle / 90.0) % 4
    return Registration(
        homography=tuple(tuple(float(v) for v in row) for row in h),
        quarter_turns=quarter_turns,
        px_per_mm=px_per_mm,
        residual_mm=residual_mm,
        markers_found=len(markers),
        perspective_mm=perspective_mm,
    )


def _rms(h: np.ndarray, src: np.ndarray, dst: np.ndarray) -> float:
    """RMS distance (px) between ``dst`` and ``src`` mapped by ``h``."""
    proj = cv2.perspectiveTransform(src.reshape(-1, 1, 2), h).reshape(-1, 2)
    return float(np.sqrt(np.mean(np.sum((proj - dst) ** 2, axis=1))))


def ink_fraction(gray: np.ndarray, est_px_per_mm: float, params: RegistrationParams) -> float:
    """Share of the image that is ink, ignoring noise specks and dark borders.

    The image is reduced to ``blank_px_per_mm`` (INTER_AREA averages scanner
    noise and 1-bit dithering away); a pixel is ink below half the paper
    level (the 90th percentile), which leaves faint bleed-through out. Blobs
    smaller than ``blank_min_blob_mm2`` and dark regions touching the image
    edge (scanner background, shadows) are not counted.
    """
    scale = min(1.0, params.blank_px_per_mm / est_px_per_mm)
    h, w = gray.shape
    small = cv2.resize(
        gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    paper = grey_percentile(small, 90)
    ink = (small < paper * 0.5).astype(np.uint8)
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return 0.0
    sh, sw = small.shape
    x, y, bw, bh, area = (stats[1:, k] for k in range(5))
    ppm = est_px_per_mm * scale
    touches = (x == 0) | (y == 0) | (x + bw >= sw) | (y + bh >= sh)
    keep = ~touches & (area >= params.blank_min_blob_mm2 * ppm * ppm)
    return float(area[keep].sum()) / small.size


def jacobian(h: np.ndarray, p: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Image-px change per mm along page x and page y at page point ``p``."""
    x, y = p
    d = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    u = (h[0, 0] * x + h[0, 1] * y + h[0, 2]) / d
    v = (h[1, 0] * x + h[1, 1] * y + h[1, 2]) / d
    jx = np.array([(h[0, 0] - u * h[2, 0]) / d, (h[1, 0] - v * h[2, 0]) / d])
    jy = np.array([(h[0, 1] - u * h[2, 1]) / d, (h[1, 1] - v * h[2, 1]) / d])
    return jx, jy


def _dictionary_id(name: str) -> int:
    value = getattr(cv2.aruco, name, None)
    if not isinstance(value, int) or not name.startswith("DICT_"):
        raise ValueError(f"unknown ArUco dictionary {name!r}")
    return value


def _corner_name(frame: PageFrame, marker_id: int) -> str | int:
    """The corner of the frame's mark ``marker_id``, or the id of a mark of no corner."""
    for m in frame.markers:
        if m.marker_id == marker_id:
            return m.corner
    return marker_id


def _check_image(gray: np.ndarray) -> None:
    if not isinstance(gray, np.ndarray) or gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError("expected a 2-D uint8 greyscale image")
