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
#: A colour image with fewer than ``MIN_CHROMA_PX`` pixels whose channels differ by
#: ``MIN_CHROMA`` (0-255) or more is a grey image in colour's clothes: a grey scan saved as
#: RGB, JPEG or not, has none; a colour scan has them by the thousand where its paper is
#: tinted, and by the hundred where only a coloured pen or the seal shows colour.
MIN_CHROMA = 2
MIN_CHROMA_PX = 50
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
    chroma = arr.max(axis=2).astype(np.int16) - arr.min(axis=2)
    if np.count_nonzero(chroma >= MIN_CHROMA) < MIN_CHROMA_PX:
        return None
    return arr, width / arr.shape[1]
