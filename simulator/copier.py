"""One marked sheet seen again: scanned at another resolution, or photocopied first.

A rescan is the same paper (the same strokes) through another scanner: the
sheet, drawn once at a fine resolution, is brought to the scanner's
(`resample`) and put through it (`simulator.scanner.degrade`). A photocopy is
the sheet through a copier (`photocopy`): a scan of it printed again on new
paper, darker, softer, a little shifted and scaled, ready to be scanned.
"""

from __future__ import annotations

import cv2
import numpy as np

from simulator.scanner import ScanProfile, degrade


def resample(upright_rgb: np.ndarray, from_dpi: float, to_dpi: float) -> np.ndarray:
    """A sheet drawn at ``from_dpi`` as it is at ``to_dpi`` (area averaging when smaller)."""
    if from_dpi == to_dpi:
        return upright_rgb
    h, w = upright_rgb.shape[:2]
    size = (round(w * to_dpi / from_dpi), round(h * to_dpi / from_dpi))
    how = cv2.INTER_AREA if to_dpi < from_dpi else cv2.INTER_CUBIC
    return cv2.resize(upright_rgb, size, interpolation=how)


def rescan(upright_rgb: np.ndarray, dpi: float, profile: ScanProfile,
           rng: np.random.Generator) -> np.ndarray:
    """The sheet ``upright_rgb`` (drawn at ``dpi``) scanned by ``profile``, at its resolution."""
    return degrade(resample(upright_rgb, dpi, profile.dpi), profile, rng)


def photocopy(upright_rgb: np.ndarray, dpi: float, rng: np.random.Generator, *,
              darker: float = 0.25, blur_mm: float = 0.12, shift_mm: float = 1.5,
              scale: float = 0.985, skew_deg: float = 0.8) -> np.ndarray:
    """A photocopy of the sheet ``upright_rgb`` (at ``dpi``), as a new upright RGB sheet.

    The copier sees the sheet a little skewed, shifted by up to ``shift_mm`` and scaled by
    ``scale``; its toner makes every grey ``darker`` (a gamma above 1) and its optics blur
    by ``blur_mm``; it prints in grey.
    """
    ppm = dpi / 25.4
    h, w = upright_rgb.shape[:2]
    grey = cv2.cvtColor(upright_rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    angle = rng.uniform(-skew_deg, skew_deg)
    dx, dy = rng.uniform(-shift_mm, shift_mm, 2) * ppm
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m[:, 2] += (dx, dy)
    grey = cv2.warpAffine(grey, m, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=1.0)
    if blur_mm > 0:
        grey = cv2.GaussianBlur(grey, (0, 0), blur_mm * ppm)
    grey = np.power(np.clip(grey, 0.0, 1.0), 1.0 + 2.0 * darker)  # toner: every grey darker
    grey = grey * 0.97 + 0.01 + rng.normal(0.0, 0.01, grey.shape).astype(np.float32)
    out = np.clip(grey * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.dstack([out, out, out]))
