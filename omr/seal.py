"""The issuing body's seal: is it stamped at its place, and in what colour (`measure_seal`).

A Vietnamese body's seal is round, 34-40 mm across, its outer edge a thick
ring. It is stamped by hand at the place the ballot prints for it (top
left, over the header): up to 5 mm off, turned any way, its ink uneven. The
reader looks for that ring: the seal's place, grown by ``reach_mm``, is cut
out upright at ``px_per_mm``; a pixel is ink where it is darker than the
paper by ``min_dark`` of the way to the printer's black; and for every centre
within ``off_mm`` of the place's centre and every radius in ``radii_mm``,
the share of the circle's directions (one a degree or two) with ink within
half a millimetre of it is counted. The best circle's share is the seal's
``ring``: 0.9-1.0 for a stamped seal, about 0.3 where there is none (the
header's lines cross any circle at a few places, and the printed place's
grey circle is dashed: ink is looked for across the circle, never along it,
so a dash's gaps stay gaps).

Colour: a grey or 1-bit scan shows a red seal as mid-grey or black, like a
photocopy's black one. Given the page in colour (any reduction), the ring's
inked pixels are looked at there: ``red`` is the share of them that lack
much less of the paper's red than of its green and blue (``max_red_loss``).
Stamp-pad red measures 0.6-1.0, faint or in a photo's shadow too; a
photocopy's black seal 0-0.1 (the header's black print where it crosses
the ring).

What to do with it (a seal required, a black copy sent to a person) is the
caller's policy (`pipeline.reading.page`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from omr.geometry import Rect
from omr.transform import Registration, rectify


@dataclass(frozen=True)
class SealParams:
    """Tunable constants of finding the seal.

    Attributes
    ----------
    px_per_mm
        Resolution the seal's place is looked at (4 px/mm: a 1 mm ring is 4 px).
    reach_mm
        How far beyond the printed place the seal may reach: a 40 mm seal is
        4 mm wider than the 32 mm place each side, and lands up to 5 mm off.
    off_mm, off_step_mm
        How far from the place's centre the seal's centre is looked for, and
        in what steps.
    radii_mm, radius_step_mm
        The radii tried (of the ring's middle: a 34-40 mm seal's outer ring is
        about 0.5 mm inside its edge), and in what steps.
    band_mm
        Ink within this of a circle counts for it (the ring's width, an
        uneven stamp's slight ellipse).
    directions
        How many directions round the circle are looked along.
    min_dark
        A pixel is ink when this much darker than the paper round it, as a
        share of the way to the printer's black. Stamp-pad red is 0.45-0.7 of
        the way in grey, an unevenly inked stamp down to 0.2-0.3 in patches.
    paper_mm
        The paper round a pixel is the lightest within this (a ring or a
        letter is narrower), smoothed as much.
    min_ring
        The share of directions inked above which a seal is there.
    max_red_loss
        An inked colour pixel is red when it lacks at most this share as much
        of the paper's red as of its green and blue (stamp-pad red about 0.25,
        black and grey 1).
    """

    px_per_mm: float = 4.0
    reach_mm: float = 10.0
    off_mm: float = 7.0
    off_step_mm: float = 1.0
    radii_mm: tuple[float, float] = (16.0, 21.0)
    radius_step_mm: float = 0.25
    band_mm: float = 0.5
    directions: int = 180
    min_dark: float = 0.2
    paper_mm: float = 3.0
    min_ring: float = 0.6
    max_red_loss: float = 0.5


DEFAULT_PARAMS = SealParams()


@dataclass(frozen=True)
class SealMeasure:
    """The seal as measured at its place.

    Attributes
    ----------
    ring
        Share (0-1) of the best circle's directions with ink on it.
    centre_mm, radius_mm
        That circle (page mm).
    red
        Share (0-1) of the ink on that circle that is red, when the page was
        given in colour; None otherwise.
    found
        ``ring`` reaches ``min_ring``: a seal is stamped there.
    """

    ring: float
    centre_mm: tuple[float, float]
    radius_mm: float
    red: float | None
    found: bool


def measure_seal(gray: np.ndarray, registration: Registration, place: Rect, black: float, *,
                 colour: np.ndarray | None = None, colour_factor: float = 1.0,
                 params: SealParams = DEFAULT_PARAMS) -> SealMeasure:
    """Look for the seal at ``place`` (mm, the printed place for it).

    Parameters
    ----------
    gray
        The page, uint8 (H, W), as placed by ``registration``.
    black
        The printer's black grey level (`omr.scoring.ink_black_level`).
    colour
        The same image in colour, uint8 (h, w, 3) RGB, reduced by
        ``colour_factor`` (each of its pixels ``colour_factor`` of ``gray``'s
        each way); None for a grey or 1-bit page.
    """
    k = params.px_per_mm
    region = place.inset(-params.reach_mm)
    patch = rectify(gray, registration, region, k).astype(np.float32)
    # the paper round each pixel: lines narrower than paper_mm taken out (a photo's light and
    # shadows vary over the place; a scan's paper is level anyway)
    side = 2 * round(params.paper_mm * k / 2) + 1
    paper = cv2.blur(cv2.dilate(patch, np.ones((side, side), np.uint8)), (side, side))
    ink = ((paper - patch) >= params.min_dark * np.maximum(paper - black, 1.0)
           ).astype(np.uint8)
    cx0, cy0 = place.centre
    # the centre searched in whole steps, then in quarter steps round the best
    best = _best_circle(ink, region, k, params, cx0, cy0, params.off_mm, params.off_step_mm)
    _, (bx, by), _ = best
    best = max(best, _best_circle(ink, region, k, params, bx, by, params.off_step_mm,
                                  params.off_step_mm / 4))
    ring, centre, radius = best
    red = None
    if colour is not None:
        red = _red_share(colour, colour_factor, registration, centre, radius, params)
    return SealMeasure(ring=ring, centre_mm=centre, radius_mm=radius, red=red,
                       found=ring >= params.min_ring)


def _best_circle(ink: np.ndarray, region: Rect, k: float, params: SealParams,
                 cx0: float, cy0: float, reach: float, step: float
                 ) -> tuple[float, tuple[float, float], float]:
    """The circle (share of its directions inked, centre mm, radius mm) with the most ink on
    it, of those centred within ``reach`` of (cx0, cy0) in ``step``s, the radii of ``params``.

    A direction is inked for a radius when ink lies along it within ``band_mm`` of that
    radius: across the ring only, so that a dashed circle's gaps stay gaps. Every circle is
    sampled in one pass (one `cv2.remap` of all centres, radii and directions)."""
    t = np.linspace(0, 2 * np.pi, params.directions, endpoint=False)
    d = params.radius_step_mm
    band = max(1, round(params.band_mm / d))
    radii = np.arange(params.radii_mm[0] - band * d, params.radii_mm[1] + band * d + 1e-9, d)
    offs = np.arange(-reach, reach + 1e-9, step)
    ox, oy = (v.ravel() for v in np.meshgrid(offs, offs))
    keep = ox * ox + oy * oy <= reach * reach + 1e-9
    ox, oy = ox[keep], oy[keep]
    # (centres, radii, directions) sample points, in patch px
    rx = (radii[:, None] * np.cos(t) * k).astype(np.float32)
    ry = (radii[:, None] * np.sin(t) * k).astype(np.float32)
    n, m = len(ox), len(radii)
    px = ((cx0 + ox - region.x) * k - 0.5).astype(np.float32)[:, None, None] + rx
    py = ((cy0 + oy - region.y) * k - 0.5).astype(np.float32)[:, None, None] + ry
    on = cv2.remap(ink, px.reshape(n * m, -1), py.reshape(n * m, -1), cv2.INTER_NEAREST,
                   borderMode=cv2.BORDER_CONSTANT, borderValue=0).reshape(n, m, -1)
    # along each direction, ink within the band of each radius
    near = on[:, : m - 2 * band]
    for j in range(1, 2 * band + 1):
        near = np.maximum(near, on[:, j : m - 2 * band + j])
    shares = near.mean(axis=2)  # (centres, radii)
    c, r = np.unravel_index(int(np.argmax(shares)), shares.shape)
    return (float(shares[c, r]), (float(cx0 + ox[c]), float(cy0 + oy[c])),
            float(radii[r + band]))


def _red_share(colour: np.ndarray, factor: float, registration: Registration,
               centre: tuple[float, float], radius: float, params: SealParams) -> float | None:
    """Share of the inked pixels on the ring (in the colour image) that are red; None if
    the ring shows no ink there.

    Each pixel's ink is what it lacks of the paper round it, channel by channel (the paper
    the lightest within ``paper_mm``: a photo's shadow and tinted paper are paper). Red ink
    takes away much more green and blue than red; black and grey take away as much of each.
    That holds however thin the ring is against the pixel (a faint or reduced ring is ink
    mixed with paper: every channel's loss shrinks alike)."""
    t = np.linspace(0, 2 * np.pi, 4 * params.directions, endpoint=False)
    pts: list[np.ndarray] = []
    for dr in np.arange(-params.band_mm, params.band_mm + 1e-9, params.band_mm / 2):
        r = radius + dr
        pts.append(np.stack([centre[0] + r * np.cos(t), centre[1] + r * np.sin(t)], axis=1))
    at = registration.to_image(np.concatenate(pts))
    at = (at + 0.5) / factor - 0.5  # to the reduced image's pixels
    h, w = colour.shape[:2]
    x = np.clip(np.round(at[:, 0]).astype(int), 0, w - 1)
    y = np.clip(np.round(at[:, 1]).astype(int), 0, h - 1)
    side = max(3, 2 * round(params.paper_mm * registration.px_per_mm / factor / 2) + 1)
    x0, y0 = max(0, x.min() - side), max(0, y.min() - side)
    around = colour[y0 : y.max() + side + 1, x0 : x.max() + side + 1]
    paper = cv2.dilate(around, np.ones((side, side), np.uint8)).astype(np.float32)
    lost = np.maximum(paper[y - y0, x - x0] - around[y - y0, x - x0].astype(np.float32), 0.0)
    inked = lost.mean(axis=1) >= params.min_dark * 0.5 * paper[y - y0, x - x0].mean(axis=1)
    if inked.sum() < 20:
        return None
    lost = lost[inked]
    red = lost[:, 0] <= params.max_red_loss * (lost[:, 1] + lost[:, 2]) / 2
    return float(red.mean())
