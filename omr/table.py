"""Placing a page by its printed table: the box outlines refine and confirm a first fit.

A page whose corners were folded over, cut off by the scan area or stamped
over keeps fewer than three of its marks; `omr.registration.place_by_code`
then places it from the marks left and the QR code's corners, a fit good to a
few millimetres across the table. The table is printed with the page: each
box a 7 mm square outlined by a 0.3 mm line, dozens of them spread over most
of the page. `place_by_table` finds every box's outline near where that fit
puts it, fits the page again through the boxes' centres (an affine map: a
flat page on a scanner) and refuses the page unless enough of the outlines
were found and they agree with one flat page. Then the box outlines are
checked once more as on every page (`omr.scoring.check_outlines`).

Each box is found on its own, along each axis: the darkness of a patch around
it, averaged across, gives a profile in which the outline's two sides stand
7 mm apart; the shift that puts the most darkness on both at once is the
box's. A voter's stroke darkens one place, a filled box the span between:
neither peaks on both sides 7 mm apart as the outline does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from omr import reasons as why
from omr.errors import PageNotPlaced
from omr.geometry import PageTemplate, Rect
from omr.registration import jacobian
from omr.transform import Registration, rectify


@dataclass(frozen=True)
class TableParams:
    """Tunable constants of placing by the table.

    Attributes
    ----------
    px_per_mm
        Largest resolution the boxes are searched at (the image's own if lower).
    search_mm
        How far from where the first fit puts it a box is searched for, then
        searched again after the first refit. A fit on two marks and the code
        is within about a millimetre over the table; on the code alone, a few.
    min_strength
        Least darkness (share of 0-255, above the profile's median) of the
        fainter of the outline's two sides for a box to count as found.
    max_off_mm
        A box found further than this from the refit is left out and the
        page fitted again without it.
    max_affine_rms_mm
        The refit is affine (a scan: its boxes fit one to 0.03-0.06 mm) if it
        fits this well, else a homography (a photo's perspective).
    min_found
        Share of the page's boxes that must be found and agree.
    max_rms_mm
        Largest RMS distance between the boxes found and the refit.
    max_axis_ratio, max_shear_deg, max_photo_axis_ratio, max_photo_shear_deg
        As for a fit on the marks (`omr.registration.RegistrationParams`).
    """

    px_per_mm: float = 8.0
    search_mm: tuple[float, ...] = (4.5, 1.2)
    min_strength: float = 0.04
    max_off_mm: float = 0.3
    max_affine_rms_mm: float = 0.1
    min_found: float = 0.6
    max_rms_mm: float = 0.25
    max_axis_ratio: float = 1.15
    max_shear_deg: float = 8.0
    max_photo_axis_ratio: float = 1.35
    max_photo_shear_deg: float = 20.0


DEFAULT_PARAMS = TableParams()


def place_by_table(gray: np.ndarray, registration: Registration, template: PageTemplate,
                   params: TableParams = DEFAULT_PARAMS) -> Registration:
    """``registration`` refined and confirmed by the printed boxes of ``template``.

    Every box is searched for within ``search_mm`` of where the fit puts it
    and the page fitted again through the boxes' centres and the first fit's
    own points (``registration.anchors``: the marks' and the code's corners,
    which reach the page's far corners where the table does not): an affine
    map if that fits within ``max_affine_rms_mm`` (a page flat on a scanner),
    else a homography (a photo); then searched and fitted once more.

    Raises
    ------
    PageNotPlaced
        Too few box outlines were found near the first fit, or they do not
        lie on one flat page (`omr.reasons.TABLE_NOT_CONFIRMED`).
    """
    boxes = [b for row in template.rows for b in row.boxes]
    need = max(6, params.min_found * len(boxes))
    anchors = np.array(registration.anchors, dtype=np.float64).reshape(-1, 4)
    fit = registration
    found = 0
    rms = float("inf")
    for search in params.search_mm:
        where = [_find_box(gray, fit, b, search, params) for b in boxes]
        src = np.array([b.centre for b, at in zip(boxes, where, strict=True) if at is not None])
        dst = np.array([at for at in where if at is not None])
        found = len(src)
        if found < need:
            break
        h, rms, keep = _robust_fit(np.concatenate([src.reshape(-1, 2), anchors[:, :2]]),
                                   np.concatenate([dst.reshape(-1, 2), anchors[:, 2:]]),
                                   fit.px_per_mm, params)
        found = int(keep[:found].sum())
        if found < need or h is None:
            break
        fit = _refit(registration, h, template, rms)
    if (fit is registration or found < need or rms > params.max_rms_mm
            or not _plausible(fit, template, params)):
        raise PageNotPlaced(why.TABLE_NOT_CONFIRMED(found=found, total=len(boxes)))
    return replace(fit, by_table=False, anchors=())


def _find_box(gray: np.ndarray, fit: Registration, box: Rect, search_mm: float,
              params: TableParams) -> tuple[float, float] | None:
    """Where (image px) the centre of ``box``'s printed outline lies, searched within
    ``search_mm`` of where ``fit`` puts it; None if no outline stands out there."""
    k = min(params.px_per_mm, max(fit.px_per_mm, 4.0))
    region = box.inset(-search_mm)
    patch = rectify(gray, fit, region, k)
    dark = 255.0 - patch.astype(np.float32)
    # across first (no rule of the table runs down within reach of a box), then down over
    # the middle of the box's own columns only: the row's rules, running across, darken
    # those as much as the box's top and bottom, not more
    ox = _pair_shift(dark.mean(axis=0), search_mm, box.w, k, params.min_strength)
    if ox is None:
        return None
    c0 = max(0, round((search_mm + ox + box.w / 4) * k))
    c1 = max(c0 + 1, round((search_mm + ox + 3 * box.w / 4) * k))
    oy = _pair_shift(dark[:, c0:c1].mean(axis=1), search_mm, box.h, k, params.min_strength)
    if oy is None:
        return None
    off = (ox, oy)
    cx, cy = box.centre
    return tuple(fit.to_image(np.array([[cx + off[0], cy + off[1]]]))[0])  # type: ignore[return-value]


def _pair_shift(profile: np.ndarray, search_mm: float, side_mm: float, k: float,
                min_strength: float) -> float | None:
    """The shift (mm) within ±``search_mm`` that puts the most darkness on two lines
    ``side_mm`` apart, starting ``search_mm`` into ``profile`` (k px/mm); sub-pixel."""
    n = len(profile)
    pos = np.arange(n, dtype=np.float64)
    first = search_mm * k - 0.5  # the near side's centre, unshifted (pixel centres at j + 0.5)
    shifts = np.arange(-search_mm * k, search_mm * k + 1e-9, 0.5)
    # both sides dark at once: a single line (a stroke, a rule) scores no more than paper
    score = np.minimum(np.interp(first + shifts, pos, profile),
                       np.interp(first + side_mm * k + shifts, pos, profile))
    i = int(np.argmax(score))
    strength = (score[i] - float(np.median(score))) / 255.0
    if strength < min_strength or i in (0, len(score) - 1):
        return None
    a, b, c = score[i - 1], score[i], score[i + 1]
    den = a - 2 * b + c
    frac = 0.5 * (a - c) / den if den < 0 else 0.0
    return float((shifts[i] + frac * 0.5) / k)


def _robust_fit(src: np.ndarray, dst: np.ndarray, px_per_mm: float, params: TableParams
                ) -> tuple[np.ndarray | None, float, np.ndarray]:
    """A map src (mm) -> dst (px): affine if it fits within ``max_affine_rms_mm``, else a
    homography; the points more than ``max_off_mm`` off left out and fitted again.
    Returns (3x3 matrix or None, RMS mm of the points kept, kept mask)."""
    keep = np.ones(len(src), bool)
    h = None
    rms = float("inf")
    for _ in range(3):
        if keep.sum() < 8:
            return None, rms, keep
        a = np.linalg.lstsq(np.c_[src[keep], np.ones(int(keep.sum()))], dst[keep],
                            rcond=None)[0].T
        h = np.vstack([a, [0.0, 0.0, 1.0]])
        off = _off(h, src, dst, px_per_mm)
        if np.sqrt(np.mean(off[keep] ** 2)) > params.max_affine_rms_mm:
            h, _ = cv2.findHomography(src[keep], dst[keep], 0)
            if h is None or not np.all(np.isfinite(h)):
                return None, rms, keep
            off = _off(h, src, dst, px_per_mm)
        rms = float(np.sqrt(np.mean(off[keep] ** 2)))
        new = off <= max(params.max_off_mm, 3 * float(np.median(off)))
        if np.array_equal(new, keep):
            break
        keep = new
    return h, rms, keep


def _off(h: np.ndarray, src: np.ndarray, dst: np.ndarray, px_per_mm: float) -> np.ndarray:
    """How far (mm) each point of ``dst`` lies from ``src`` mapped by ``h``."""
    proj = cv2.perspectiveTransform(src.reshape(-1, 1, 2), h).reshape(-1, 2)
    return np.hypot(*(proj - dst).T) / px_per_mm


def _refit(registration: Registration, h: np.ndarray, template: PageTemplate, rms: float
           ) -> Registration:
    """``registration`` with the map ``h`` fitted on the boxes and its points; its
    perspective (mm at the page's corners from the affine map through them, as
    `omr.registration.fit_registration` measures it) what tells a photo from a scan."""
    w_mm, h_mm = template.frame.page_size_mm
    jx, jy = jacobian(h, (w_mm / 2, h_mm / 2))
    angle = math.degrees(math.atan2(jx[1], jx[0]))
    px_per_mm = float(np.hypot(*jx) + np.hypot(*jy)) / 2
    corners = np.array([(0, 0), (w_mm, 0), (w_mm, h_mm), (0, h_mm)], dtype=np.float64)
    seen = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), h).reshape(-1, 2)
    a = np.linalg.lstsq(np.c_[corners, np.ones(4)], seen, rcond=None)[0].T
    perspective = float(np.hypot(*(corners @ a[:, :2].T + a[:, 2] - seen).T).max()) / px_per_mm
    return replace(registration, homography=tuple(tuple(float(v) for v in row) for row in h),
                   quarter_turns=round(angle / 90.0) % 4, px_per_mm=px_per_mm, residual_mm=rms,
                   perspective_mm=max(registration.perspective_mm, perspective))


def _plausible(fit: Registration, template: PageTemplate, params: TableParams) -> bool:
    """Whether the fit is one a flat page gives (axes alike and square at the page's centre;
    for a photo, within the limits a fit on the marks is held to)."""
    w_mm, h_mm = template.frame.page_size_mm
    jx, jy = jacobian(fit.matrix(), (w_mm / 2, h_mm / 2))
    sx, sy = float(np.hypot(*jx)), float(np.hypot(*jy))
    cross = jx[0] * jy[1] - jx[1] * jy[0]
    shear = abs(90.0 - math.degrees(math.acos(np.clip(np.dot(jx, jy) / (sx * sy), -1, 1))))
    photo = fit.matrix()[2, :2].any() or fit.perspective_mm > 0
    ratio, most = (params.max_photo_axis_ratio, params.max_photo_shear_deg) if photo else \
        (params.max_axis_ratio, params.max_shear_deg)
    return bool(cross > 0 and max(sx, sy) / min(sx, sy) <= ratio and shear <= most)
