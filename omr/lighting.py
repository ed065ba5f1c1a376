"""Even out the light on a photographed page, so a shadow is not ink.

A scanner lights the page evenly; a phone photo does not: light falls off
across the sheet and a hand or the phone casts a soft shadow. The box scorer
judges darkness against the paper next to each box, but a shadow's edge
crossing a box patch darkens part of the patch's paper and not the rest:
measured against the bright side, the shaded side reads as a long, faint
stroke.

`even_light` estimates the light falling on every part of the page and
divides it out (a multiplicative light model: a shadow darkens ink and paper
alike). The estimate is the page's grey at ``map_px_per_mm`` closed
(dilated, then eroded) with a square ``closing_mm`` wide: everything dark
and narrower than that — print, strokes, a filled box, the 12 mm
registration marks — is replaced by the paper around it, while the light's
slow changes and a shadow wider than that keep their shape (a closing
preserves monotone slopes). A page whose light varies by less than
``max_unevenness`` is returned as it is (every scan), so this costs one
reduction and one small closing there; a 1-bit scan (black and white only)
is returned at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from omr.geometry import PageFrame
from omr.transform import Registration


@dataclass(frozen=True)
class LightParams:
    """Tunable constants of light levelling.

    Attributes
    ----------
    map_px_per_mm
        Resolution (px/mm) of the light map, about: the image is halved
        the whole number of times that comes nearest (1.5 px/mm from 300 dpi,
        2 px/mm from 200 dpi).
    closing_mm
        Width (mm) of the closing: wider than any dark thing printed or
        drawn near the boxes (a 7 mm filled box, the 12 mm marks).
    max_unevenness
        Share of the paper level by which the light may vary over the page
        (2nd to 98th percentile of the map) before it is evened out.
    """

    map_px_per_mm: float = 1.5
    closing_mm: float = 15.0
    max_unevenness: float = 0.08


DEFAULT_LIGHT_PARAMS = LightParams()


def even_light(
    gray: np.ndarray,
    registration: Registration,
    frame: PageFrame,
    params: LightParams = DEFAULT_LIGHT_PARAMS,
    *,
    halved: Sequence[np.ndarray] = (),
) -> np.ndarray:
    """``gray`` with the light over the page made even, or ``gray`` itself if it already is.

    Parameters
    ----------
    gray
        The placed image, uint8 (H, W).
    registration
        Where the page lies in it (the page's area is where the light is
        measured; the background around a photographed page is left out).
    frame
        The page's size.
    halved
        ``gray`` halved (`omr.pixels.halve`), that halved again, ..., as far
        as the caller has them: the map starts from them.

    Returns
    -------
    numpy.ndarray
        uint8 (H, W): paper at the page's brightest paper level everywhere.
    """
    h, w = gray.shape
    if is_bitonal(gray):  # a 1-bit scan: a scanner's even light, and no grey to even out
        return gray
    # reduced by the power of two nearest to map_px_per_mm, in halvings: OpenCV's fastest
    # path (0.9 ms for a 300-dpi page, then a quarter of that, ...; one reduction by 8
    # takes 4.4 ms)
    halvings = max(0, round(math.log2(max(registration.px_per_mm / params.map_px_per_mm, 1.0))))
    n = 2**halvings
    if h < 4 * n or w < 4 * n:
        return gray
    # (halving the whole image and cutting after is the same: the blocks start at 0, 0)
    done = min(halvings, len(halved))
    small = halved[done - 1][: h // n * n >> done, : w // n * n >> done] if done else \
        gray[: h - h % n, : w - w % n]
    for _ in range(halvings - done):
        small = cv2.resize(small, (small.shape[1] // 2, small.shape[0] // 2),
                           interpolation=cv2.INTER_AREA)
    f = 1.0 / n
    size = max(3, round(params.closing_mm * registration.px_per_mm * f) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    light = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    light = cv2.blur(light, (5, 5))
    pw, ph = frame.page_size_mm
    inset = 10.0  # mm: the page's own edge and what lies beyond it are not paper light
    corners = registration.to_image(np.array(
        [[inset, inset], [pw - inset, inset], [pw - inset, ph - inset], [inset, ph - inset]],
        float)) * f
    mask = np.zeros(small.shape, np.uint8)
    cv2.fillPoly(mask, [np.round(corners).astype(np.int32)], 255)
    cdf = np.cumsum(cv2.calcHist([light], [0], mask, [256], [0, 256]).ravel())
    if cdf[-1] <= 0:
        return gray
    lo, hi = (float(np.searchsorted(cdf, q * cdf[-1])) for q in (0.02, 0.98))
    if hi - lo <= params.max_unevenness * hi:
        return gray
    # each map pixel covers n x n image pixels: stretch it over exactly those
    full = cv2.resize(light, (w // n * n, h // n * n), interpolation=cv2.INTER_LINEAR)
    full = cv2.copyMakeBorder(full, 0, h - full.shape[0], 0, w - full.shape[1],
                              cv2.BORDER_REPLICATE)
    return cv2.divide(gray, np.maximum(full, 1), scale=float(hi))


def is_bitonal(gray: np.ndarray, step: int = 7) -> bool:
    """Whether a sample of every ``step``-th pixel each way is all 0 and 255 (a 1-bit scan).

    A grey page is told by a sixteenth of that sample (its first rows hold grey)."""
    if cv2.countNonZero(cv2.inRange(gray[:: 16 * step, ::step], 1, 254)):
        return False
    return not cv2.countNonZero(cv2.inRange(gray[::step, ::step], 1, 254))
