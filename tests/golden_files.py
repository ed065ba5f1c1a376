"""Golden renders of documents: a page rendered to PNG, compared with the stored file.

Regenerate with ``KIEMPHIEU_UPDATE_GOLDEN=1`` after looking at the new render.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image

GOLDEN = Path(__file__).parent / "golden"


def render(pdf_bytes: bytes, index: int, dpi: int = 60) -> np.ndarray:
    page = pdfium.PdfDocument(pdf_bytes)[index]
    return np.asarray(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))


def golden_compare(image: np.ndarray, name: str) -> None:
    path = GOLDEN / name
    if os.environ.get("KIEMPHIEU_UPDATE_GOLDEN") == "1":
        Image.fromarray(image).save(path, optimize=True)
    assert path.exists(), f"no golden file; run with KIEMPHIEU_UPDATE_GOLDEN=1 to create {path}"
    golden = np.asarray(Image.open(path).convert("L"))
    assert golden.shape == image.shape
    changed = float(np.mean(np.abs(golden.astype(np.int16) - image.astype(np.int16)) > 64))
    assert changed < 0.002, (
        f"{changed:.2%} of pixels differ from {name}; if the change is intended, look at the "
        "new render and rerun with KIEMPHIEU_UPDATE_GOLDEN=1")
