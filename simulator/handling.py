"""What happens to a printed ballot between the printer and the scanner (`Handling`).

The committee stamps the body's seal on it (`simulator.seal`), or stamps a
photocopy whose seal is black; a voter folds a corner over (a dog-ear). The
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
    """

    seal: float = 0.0
    seal_black: float = 0.0
    seal_size_mm: tuple[float, float] = (34.0, 40.0)
    seal_off_mm: float = 5.0
    dog_ear: float = 0.0
    dog_ear_mm: tuple[float, float] = (10.0, 28.0)
    dog_ear_background: int = 240


@dataclass(frozen=True)
class Handled:
    """What handling did to one page: ``seal`` is ``"red"``, ``"black"`` or ``""`` (none
    stamped, or the page has no place for it); ``dog_ear`` the corner folded, or ``""``."""

    seal: str = ""
    dog_ear: str = ""
    dog_ear_mm: tuple[float, float] = (0.0, 0.0)  # along the top or bottom edge, the side


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
    return Handled(seal, ear, legs)


def handle_page(img: np.ndarray, handled: Handled,
                seal_place: tuple[float, float] | None, handling: Handling,
                mm_to_px: float, rng: np.random.Generator) -> None:
    """Apply ``handled`` to the upright RGB page ``img``, in place: the seal stamped at
    ``seal_place`` (its centre, mm), then the corner folded."""
    if handled.seal and seal_place is not None:
        stamp = plan_stamp(seal_place, rng, black=handled.seal == "black",
                           diameter_mm=handling.seal_size_mm, off_mm=handling.seal_off_mm)
        stamp_seal(img, stamp, mm_to_px, rng)
    if handled.dog_ear:
        dog_ear(img, handled.dog_ear, *handled.dog_ear_mm, mm_to_px,
                handling.dog_ear_background, rng)


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


#: A page nothing happened to.
NOT_HANDLED = Handled()
