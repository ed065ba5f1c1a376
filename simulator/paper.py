"""Paper: the printed ballot rendered as a printer prints it, and the units (mm, dpi)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pypdfium2 as pdfium

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0

#: Coloured paper as a scanner sees it (RGB of the bare sheet under white light): a
#: National Assembly ballot form is printed on its own colour, a pale pastel.
PAPER_COLOURS: Mapping[str, tuple[int, int, int]] = {
    "pink": (250, 205, 215),
    "blue": (198, 222, 248),
    "yellow": (252, 242, 178),
    "green": (204, 238, 204),
}


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




def on_paper(img: np.ndarray, colour: tuple[int, int, int]) -> None:
    """The print of ``img`` (RGB, white paper) on paper of ``colour``, in place: the
    toner and every ink multiply the paper's own colour."""
    img[...] = np.clip(img.astype(np.float32) * (np.array(colour, np.float32) / 255.0) + 0.5,
                       0, 255).astype(np.uint8)


def fade_toner(img: np.ndarray, keep: float, band_keep: float, band_at: float,
               band_width: float) -> None:
    """A printer short of toner, in place on the printed (unmarked) page ``img`` (RGB).

    Everywhere the print keeps ``keep`` of its darkness (1 = as designed); in a
    band down the page (a worn drum) centred at ``band_at`` (share of the
    width) and ``band_width`` wide (share of the width, soft edges), only
    ``band_keep`` of that.
    """
    w = img.shape[1]
    x = (np.arange(w, dtype=np.float32) + 0.5) / w
    t = np.clip(1.0 - np.abs(x - band_at) / max(band_width / 2, 1e-6), 0.0, 1.0)
    t = t * t * (3 - 2 * t)  # a soft edge
    k = (keep * (1.0 - t * (1.0 - band_keep)))[None, :, None]
    dark = 255.0 - img.astype(np.float32)
    img[...] = np.clip(255.0 - dark * k + 0.5, 0, 255).astype(np.uint8)
