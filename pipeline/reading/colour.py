"""A scanned page's colour, for the one judgement grey cannot make: is the seal red?

The reader works on grey (`pipeline.reading.sources.decode_gray`). A photocopied ballot
carries its seal in black where the body stamps it red, and only colour tells them apart.
`decode_colour` decodes a page's bytes again in colour, reduced by about ``REDUCE`` each
way (a JPEG decoded at that scale, which costs a few milliseconds), and only for a page
that is in colour at all: a grey or 1-bit file, or a colour file whose pixels are all grey
(a grey scan saved as RGB), gives None.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

#: About how much the colour image is reduced each way (a seal's 1 mm ring keeps 2 px at
#: 200 dpi).
REDUCE = 4
#: A colour image whose pixels all differ between their channels by less than this (0-255,
#: the 99.9th percentile) is a grey image in colour's clothes: a grey scan saved as RGB
#: differs by 0-1 (a JPEG's rounding); a colour scan of a page in black ink only, by the
#: paper's own tint and the sensor's colour noise, 3 or more.
MIN_CHROMA = 3


def decode_colour(data: bytes) -> tuple[np.ndarray, float] | None:
    """The page in colour, uint8 (h, w, 3) RGB, reduced, and how much (the grey image's
    pixels per colour pixel, each way); None for a page that is not in colour, or bytes
    that do not decode (the grey decode has said why)."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.mode not in ("RGB", "RGBA", "YCbCr", "CMYK", "P"):
                return None
            width = im.size[0]
            if im.format == "JPEG":
                im.draft("RGB", (im.size[0] // REDUCE, im.size[1] // REDUCE))
                rgb = im.convert("RGB")
            else:
                rgb = im.convert("RGB").reduce(REDUCE)
            arr = np.asarray(rgb)
    except Exception:  # any decoder failure: no colour, the grey reading stands
        return None
    chroma = arr.max(axis=2).astype(np.int16) - arr.min(axis=2)
    if float(np.percentile(chroma, 99.9)) < MIN_CHROMA:
        return None
    return arr, width / arr.shape[1]
