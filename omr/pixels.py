"""Small, fast operations on pixel arrays shared by the recognition stages."""

from __future__ import annotations

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
