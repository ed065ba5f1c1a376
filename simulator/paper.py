"""Paper: the printed ballot rendered as a printer prints it, and the units (mm, dpi)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pypdfium2 as pdfium

if TYPE_CHECKING:
    pass



MM_PER_INCH = 25.4
PT_PER_INCH = 72.0
def px_per_mm(dpi: float) -> float:
    """Pixels per millimetre at ``dpi``."""
    return dpi / MM_PER_INCH


def render_pages(pdf_bytes: bytes, dpi: int) -> Iterator[np.ndarray]:
    """Render every page of a PDF, one page at a time, as a printer would print it.

    Parameters
    ----------
    pdf_bytes : bytes
        The PDF, e.g. from ``pipeline.documents.ballot_pdf.ballot_pdf_bytes``.
    dpi : int
        Resolution of the images. Pixel (0, 0) covers the page's top-left
        corner; ``x_px = x_mm * dpi / 25.4``.

    Yields
    ------
    numpy.ndarray
        uint8, shape (H, W, 3), RGB, white paper = 255.

    Raises
    ------
    pypdfium2.PdfiumError
        If the bytes are not a PDF pdfium can open.
    """
    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        for i in range(len(doc)):
            page = doc[i]
            try:
                bitmap = page.render(scale=dpi / PT_PER_INCH, rev_byteorder=True)
                arr = np.array(bitmap.to_numpy()[:, :, :3], dtype=np.uint8, copy=True)
                bitmap.close()
            finally:
                page.close()
            yield arr
    finally:
        doc.close()


