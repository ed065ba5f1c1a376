"""A scanned page's colour, for the one judgement grey cannot make: is the seal red?

The reader works on grey (`pipeline.reading.sources.decode_gray`). A photocopied ballot
carries its seal in black where the body stamps it red, and only colour tells them apart.
`decode_colour` decodes a page's bytes again in colour, reduced by a power of two to about
``PX_PER_MM`` (a JPEG decoded at that scale by its decoder, which skips most of the work),
and only for a page that is in colour at all: a grey or 1-bit file, or a colour file whose
pixels are all grey (a grey scan saved as RGB), gives None.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

#: About the resolution (px/mm) the colour is decoded at: a seal's 1 mm ring keeps a pixel
#: or two, which is all its colour needs (where it lies is found on the grey page).
PX_PER_MM = 1.5
#: A colour image whose pixels all differ between their channels by less than this (0-255,
#: the 99.9th percentile) is a grey image in colour's clothes: a grey scan saved as RGB,
#: JPEG or not, differs by 0; a colour scan of a page printed and marked in black only, by
#: its paper's tint and its sensor's colour noise, by 2 or more.
MIN_CHROMA = 2
#: The page's size (mm) the resolution is judged by: A4.
PAGE_MM = (210.0, 297.0)


def decode_colour(data: bytes) -> tuple[np.ndarray, float] | None:
    """The page in colour, uint8 (h, w, 3) RGB, reduced, and how much (the grey image's
    pixels per colour pixel, each way); None for a page that is not in colour, or bytes
    that do not decode (the grey decode has said why)."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.mode not in ("RGB", "RGBA", "YCbCr", "CMYK", "P"):
                return None
            width, height = im.size
            ppm = math.sqrt(width * height / (PAGE_MM[0] * PAGE_MM[1]))
            factor = 2 ** max(0, min(3, int(math.log2(max(ppm / PX_PER_MM, 1.0)))))
            if im.format == "JPEG":
                im.draft("RGB", (width // factor, height // factor))
                rgb = im.convert("RGB")
            else:
                rgb = im.convert("RGB").reduce(factor)
            arr = np.asarray(rgb)
    except Exception:  # any decoder failure: no colour, the grey reading stands
        return None
    sample = arr[::3, ::3]
    chroma = sample.max(axis=2).astype(np.int16) - sample.min(axis=2)
    if float(np.percentile(chroma, 99.9)) < MIN_CHROMA:
        return None
    return arr, width / arr.shape[1]
