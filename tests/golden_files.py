"""Golden files of documents: a PDF page rendered to PNG, or a Word document's structure as
text (`docx_dump`), compared with the stored file.

Regenerate with ``KIEMPHIEU_UPDATE_GOLDEN=1`` after looking at the new render or reading the
new text (``git diff tests/golden``).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image

GOLDEN = Path(__file__).parent / "golden"
UPDATE = "KIEMPHIEU_UPDATE_GOLDEN"


def render(pdf_bytes: bytes, index: int, dpi: int = 60) -> np.ndarray:
    page = pdfium.PdfDocument(pdf_bytes)[index]
    return np.asarray(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))


def golden_compare(image: np.ndarray, name: str) -> None:
    path = GOLDEN / name
    if os.environ.get(UPDATE) == "1":
        Image.fromarray(image).save(path, optimize=True)
    assert path.exists(), f"no golden file; run with KIEMPHIEU_UPDATE_GOLDEN=1 to create {path}"
    golden = np.asarray(Image.open(path).convert("L"))
    assert golden.shape == image.shape
    changed = float(np.mean(np.abs(golden.astype(np.int16) - image.astype(np.int16)) > 64))
    assert changed < 0.002, (
        f"{changed:.2%} of pixels differ from {name}; if the change is intended, look at the "
        "new render and rerun with KIEMPHIEU_UPDATE_GOLDEN=1")


def golden_text_compare(text: str, name: str) -> None:
    """``text`` equals the stored ``name``; a mismatch shows the unified diff."""
    path = GOLDEN / name
    if os.environ.get(UPDATE) == "1":
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"no golden file; run with {UPDATE}=1 to create {path}"
    golden = path.read_text(encoding="utf-8")
    if text != golden:
        diff = "".join(difflib.unified_diff(golden.splitlines(keepends=True),
                                            text.splitlines(keepends=True),
                                            f"tests/golden/{name}", "this run", n=2))
        raise AssertionError(f"{name} differs from the golden file; if the change is intended, "
                             f"read the new text and rerun with {UPDATE}=1\n{diff}")
