"""Where a page lies in its image, and sampling the image through it.

`Registration` is the fitted map from page millimetres to image pixels that
`omr.registration.register_page` finds; `rectify` cuts a page area out of the
image as an upright patch through it. Every later stage (the code, the boxes,
the faults, the notes) works on such patches in page millimetres rather than
on the skewed, turned image.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from omr.geometry import Rect

Homography = tuple[tuple[float, float, float], ...]


@dataclass(frozen=True)
class Registration:
    """Where the page lies in the image it was found in.

    Attributes
    ----------
    homography
        3x3 matrix, row-major, mapping page millimetres (x right, y down, on
        the upright page) to pixel coordinates (x, y) of the image given to
        `register_page`; pixel centres are at integer coordinates.
    quarter_turns
        How the page lay in the image: 0 upright, 1 turned 90° clockwise,
        2 upside down, 3 turned 90° counter-clockwise.
    px_per_mm
        Mean scale at the page centre (px/mm); 11.81 for an upright 300-dpi
        scan at 100%.
    residual_mm
        RMS distance (mm) between the detected marker corners and where the
        homography puts them.
    markers_found
        How many of the frame's marks were found and used (3 or 4).
    perspective_mm
        How far (mm, at the page's corners) the fit departs from an affine
        map: 0 for a scan; above ``max_perspective_mm`` (a photo) the fit was
        confirmed by the QR code's corners, and the box outlines must be
        confirmed too (`omr.scoring.check_outlines`).
    by_table
        The page was placed from fewer than three marks and the QR code's
        corners (`omr.registration.place_by_code`): a first fit, which the
        printed table's box outlines must refine and confirm
        (`omr.table.place_by_table`) before any box is measured.
    anchors
        With ``by_table``: the points the first fit was made from, each
        ``(x_mm, y_mm, x_px, y_px)`` (the marks' and the code's corners); the
        table's refit keeps them.
    """

    homography: Homography
    quarter_turns: int
    px_per_mm: float
    residual_mm: float
    markers_found: int
    perspective_mm: float = 0.0
    by_table: bool = False
    anchors: tuple[tuple[float, float, float, float], ...] = ()

    def matrix(self) -> np.ndarray:
        """The homography as a float64 array of shape (3, 3)."""
        return np.array(self.homography, dtype=np.float64)

    def reduced(self, factor: int) -> Registration:
        """The same page in the image reduced by a whole ``factor`` (each pixel the mean of
        ``factor`` x ``factor``, from the top-left corner, as `omr.pixels.halve` does)."""
        f = float(factor)
        to_small = np.array([[1 / f, 0, 0.5 / f - 0.5], [0, 1 / f, 0.5 / f - 0.5], [0, 0, 1]])
        m = to_small @ self.matrix()
        return replace(self, homography=tuple(tuple(float(v) for v in r) for r in m),
                       px_per_mm=self.px_per_mm / f)

    def to_image(self, points_mm: np.ndarray) -> np.ndarray:
        """Page points (N, 2) in mm to image points (N, 2) in px."""
        pts = np.asarray(points_mm, dtype=np.float64).reshape(-1, 1, 2)
        return cv2.perspectiveTransform(pts, self.matrix()).reshape(-1, 2)


def rectify(gray: np.ndarray, registration: Registration, region: Rect, px_per_mm: float) -> np.ndarray:
    """The page area ``region`` (mm), upright, at ``px_per_mm``: uint8 (h, w).

    Pixel (i, j) of the result is the page point
    ``(region.x + (j + 0.5) / px_per_mm, region.y + (i + 0.5) / px_per_mm)``.
    Outside the image reads as white (255).
    """
    w = max(1, round(region.w * px_per_mm))
    h = max(1, round(region.h * px_per_mm))
    sx, sy = region.w / w, region.h / h
    to_page = np.array(
        [[sx, 0, region.x + 0.5 * sx], [0, sy, region.y + 0.5 * sy], [0, 0, 1]], dtype=np.float64
    )
    m = registration.matrix() @ to_page
    if m[2, 0] == 0.0 and m[2, 1] == 0.0:  # a scan's affine fit: the cheaper warp, same result
        return cv2.warpAffine(gray, m[:2] / m[2, 2], (w, h),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    return cv2.warpPerspective(
        gray,
        m,
        (w, h),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=255,
    )
