"""What happens to a printed ballot between the printer and the scanner (`Handling`).

The committee stamps the body's seal on it (`simulator.seal`), or stamps a
photocopy whose seal is black; a voter folds a corner over (a dog-ear); tea or
coffee is spilt on it and dries as a brown stain with a darker rim. The
scanner's own faults, and a sheet fed sideways or skewed past the scan area,
are the `simulator.scanner.ScanProfile`'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from simulator.seal import plan_stamp, stamp_seal

CORNER_NAMES = ("top_left", "top_right", "bottom_right", "bottom_left")


@dataclass(frozen=True)
class Handling:
    """How ballot pages are handled before scanning; shares are drawn per page.

    Parameters
    ----------
    seal : float
        Share of the pages with a place for the seal that are stamped (the
        rest carry none).
    seal_black : float
        Share of the stamped seals that are black (the ballot a photocopy).
    seal_size_mm : (float, float)
        The seal's diameter range.
    seal_off_mm : float
        How far the seal's centre may land from the place's centre.
    dog_ear : float
        Share of ballot pages with a corner folded over.
    dog_ear_mm : (float, float)
        How far along each edge from the corner the fold runs (its legs).
    dog_ear_background : int
        The scanner's background grey where the corner is folded away (lid white
        about 240; some feeders black).
    stain : float
        Share of ballot pages with a dried tea or coffee stain, anywhere on the page
        (over the boxes too): brown, translucent, darker at its rim.
    stain_mm : (float, float)
        The stain's diameter range.
    """

    seal: float = 0.0
    seal_black: float = 0.0
    seal_size_mm: tuple[float, float] = (34.0, 40.0)
    seal_off_mm: float = 5.0
    dog_ear: float = 0.0
    dog_ear_mm: tuple[float, float] = (10.0, 28.0)
    dog_ear_background: int = 240
    stain: float = 0.0
    stain_mm: tuple[float, float] = (12.0, 45.0)


@dataclass(frozen=True)
class Handled:
    """What handling did to one page: ``seal`` is ``"red"``, ``"black"`` or ``""`` (none
    stamped, or the page has no place for it); ``dog_ear`` the corner folded, or ``""``."""

    seal: str = ""
    dog_ear: str = ""
    dog_ear_mm: tuple[float, float] = (0.0, 0.0)  # along the top or bottom edge, the side
    stain: tuple[float, ...] = ()  # its centre (shares of the page's width, height), mm across


def plan_handling(handling: Handling, has_seal_place: bool, rng: np.random.Generator
                  ) -> Handled:
    """Draw what happens to one page."""
    seal = ""
    if has_seal_place and rng.random() < handling.seal:
        seal = "black" if rng.random() < handling.seal_black else "red"
    ear, legs = "", (0.0, 0.0)
    if rng.random() < handling.dog_ear:
        ear = CORNER_NAMES[int(rng.integers(4))]
        leg = float(rng.uniform(*handling.dog_ear_mm))
        legs = (leg, min(handling.dog_ear_mm[1], leg * float(rng.uniform(0.75, 1.3))))
        if ear == "bottom_left":
            # the QR code is printed 24 mm in and 10 mm up from that corner, and a fold
            # covers up to twice its legs: a page whose mark and code are both folded
            # away is refused (not a page a person reads easily either); keep clear of it
            legs = (min(legs[0], 16.0), min(legs[1], 16.0))
    stain: tuple[float, ...] = ()
    if handling.stain > 0 and rng.random() < handling.stain:  # no draws without stains
        stain = (float(rng.uniform(0.05, 0.95)), float(rng.uniform(0.05, 0.95)),
                 float(rng.uniform(*handling.stain_mm)))
    return Handled(seal, ear, legs, stain)


def handle_page(img: np.ndarray, handled: Handled,
                seal_place: tuple[float, float] | None, handling: Handling,
                mm_to_px: float, rng: np.random.Generator) -> None:
    """Apply ``handled`` to the upright RGB page ``img``, in place: the seal stamped at
    ``seal_place`` (its centre, mm), then the corner folded, then the stain."""
    if handled.seal and seal_place is not None:
        stamp = plan_stamp(seal_place, rng, black=handled.seal == "black",
                           diameter_mm=handling.seal_size_mm, off_mm=handling.seal_off_mm)
        stamp_seal(img, stamp, mm_to_px, rng)
    if handled.dog_ear:
        dog_ear(img, handled.dog_ear, *handled.dog_ear_mm, mm_to_px,
                handling.dog_ear_background, rng)
    if handled.stain:
        fx, fy, d_mm = handled.stain
        h, w = img.shape[:2]
        stain(img, (fx * w, fy * h), d_mm * mm_to_px, mm_to_px, rng)


def dog_ear(img: np.ndarray, corner: str, along_x_mm: float, along_y_mm: float,
            mm_to_px: float, background: int, rng: np.random.Generator) -> None:
    """Fold ``corner`` of the upright RGB page ``img`` over, in place.

    The fold runs from ``along_x_mm`` along the top or bottom edge to
    ``along_y_mm`` along the side edge. The corner's triangle leaves the page
    (the scanner's ``background`` shows there) and lies over the page on the
    other side of the fold, mirrored: the back of the paper, blank but for
    its own print faintly showing through, with a soft shadow along its edges.
    """
    h, w = img.shape[:2]
    fx = corner in ("top_right", "bottom_right")
    fy = corner in ("bottom_left", "bottom_right")
    view = img[::-1 if fy else 1, ::-1 if fx else 1]  # the corner at (0, 0) of the view
    a, b = along_x_mm * mm_to_px, along_y_mm * mm_to_px
    n = math.ceil(2 * max(a, b)) + 2
    n_y, n_x = min(n, h), min(n, w)
    region = view[:n_y, :n_x].astype(np.float32)
    yy, xx = np.mgrid[0:n_y, 0:n_x].astype(np.float32) + 0.5
    # the fold line through (a, 0) and (0, b); s < 0 on the corner's side
    norm = math.hypot(a, b)
    nx, ny = b / norm, a / norm  # unit normal pointing away from the corner
    s = (xx * nx + yy * ny) - a * b / norm
    # the mirror image of each pixel across the fold
    mx, my = xx - 2 * s * nx, yy - 2 * s * ny
    flap = (s >= 0) & (mx * nx + my * ny - a * b / norm < 0) & (mx >= 0) & (my >= 0)
    gone = s < 0
    paper = float(np.percentile(region.reshape(-1, 3).mean(axis=1), 95))
    # the back of the flap: paper, with the corner's own print faintly through it
    through = cv2.remap(region, mx - 0.5, my - 0.5, cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REPLICATE)
    back = paper - (paper - through) * rng.uniform(0.02, 0.06)
    shade = np.clip(1.0 - np.abs(s) / (0.6 * mm_to_px), 0, 1) * rng.uniform(0.05, 0.15)
    out = region.copy()
    out[flap] = back[flap]
    out[gone] = background
    out *= (1.0 - shade)[:, :, None]
    view[:n_y, :n_x] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


def stain(img: np.ndarray, centre_px: tuple[float, float], diameter_px: float,
          mm_to_px: float, rng: np.random.Generator) -> None:
    """A dried tea or coffee stain on the RGB page ``img``, in place.

    Its outline is a circle whose radius wanders by up to a fifth, as a spill's
    does. Inside, the paper takes a light brown (it keeps 80-96 % of its blue,
    more of its red); the liquid dried at the edge leaves a rim 0.4-1.5 mm wide
    two to three times as dark. Print and marks show through: the stain
    multiplies what is there.
    """
    h, w = img.shape[:2]
    cx, cy = centre_px
    r0 = diameter_px / 2
    pad = int(r0 * 1.3) + 4
    x0, x1 = max(0, int(cx) - pad), min(w, int(cx) + pad)
    y0, y1 = max(0, int(cy) - pad), min(h, int(cy) + pad)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    ang = np.arctan2(yy - cy, xx - cx)
    radius = np.full_like(ang, r0)
    for k in (2, 3, 5, 7):  # a few lobes: no spill is round
        radius += r0 * rng.uniform(0.0, 0.2 / k * 2) * np.cos(k * ang + rng.uniform(0, 2 * math.pi))
    dist = np.hypot(xx - cx, yy - cy) - radius  # < 0 inside
    inside = np.clip(0.5 - dist / max(1.0, 0.3 * mm_to_px), 0, 1)
    rim_w = rng.uniform(0.4, 1.5) * mm_to_px
    rim = np.exp(-((dist + rim_w / 2) / (rim_w / 2)) ** 2) * inside
    depth = rng.uniform(0.04, 0.2)  # the blue lost inside
    rim_depth = depth * rng.uniform(2.0, 3.0)
    loss = inside * depth + rim * (rim_depth - depth)
    keep = 1.0 - loss[:, :, None] * np.array([0.45, 0.7, 1.0], np.float32)  # brown: blue goes
    region = img[y0:y1, x0:x1].astype(np.float32) * keep
    img[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


#: A page nothing happened to.
NOT_HANDLED = Handled()
