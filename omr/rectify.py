"""Cut a page area out of an image as an upright patch, through the homography.

Shared by the code reader and the box scorer: both work on small rectified
patches in page millimetres rather than on the skewed, turned image.
"""

from __future__ import annotations

import cv2
import numpy as np

from omr.geometry import Rect
from omr.registration import Registration


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
