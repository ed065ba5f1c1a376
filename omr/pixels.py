"""Small, fast operations on pixel arrays shared by the recognition stages."""

from __future__ import annotations

import cv2
import numpy as np


def flat_nonzero(mask: np.ndarray) -> np.ndarray:
    """Flat indices of the non-zero bytes of a C-contiguous uint8 or bool array holding few.

    Scans it eight bytes at a time: a third of the time of ``cv2.findNonZero``
    and a fifth of ``np.flatnonzero`` on the mostly empty masks of a page.
    """
    flat = mask.reshape(-1).view(np.uint8)
    n8 = flat.size // 8 * 8
    words = np.flatnonzero(flat[:n8].view(np.uint64))
    r, c = np.nonzero(flat[:n8].reshape(-1, 8)[words])
    out = words[r] * 8 + c
    tail = np.flatnonzero(flat[n8:])
    return np.concatenate([out, tail + n8]) if tail.size else out


def halve(gray: np.ndarray) -> np.ndarray:
    """``gray`` at half its resolution: each pixel the mean of a 2 x 2 block from the
    top-left corner (INTER_AREA by a whole factor, OpenCV's fastest reduction: 0.9 ms for
    a 300-dpi page); an odd last row or column is left out."""
    h, w = gray.shape
    return cv2.resize(gray[: h - h % 2, : w - w % 2], (w // 2, h // 2),
                      interpolation=cv2.INTER_AREA)


def grey_percentile(img: np.ndarray, q: float) -> float:
    """The q-th percentile (0-100) of a uint8 image, as the smallest level at or below which
    that share of its pixels lie (a histogram: many times faster than numpy's)."""
    hist = cv2.calcHist([img], [0], None, [256], [0, 256]).ravel()
    cdf = np.cumsum(hist)
    return float(np.searchsorted(cdf, cdf[-1] * q / 100.0))
