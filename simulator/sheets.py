"""Sheets that are not this campaign's ballots: a duplex back, an empty sheet, a memo."""

from __future__ import annotations

import io
import math
from importlib import resources
from typing import TYPE_CHECKING

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

if TYPE_CHECKING:
    pass

from simulator.paper import PT_PER_INCH, px_per_mm


def duplex_back(front_rgb: np.ndarray, mm_to_px: float, rng: np.random.Generator,
                contrast: tuple[float, float] = (0.02, 0.05)) -> np.ndarray:
    """The blank back of a printed sheet: white, with the front faintly showing through.

    The front is mirrored left-right, blurred by about 1.5 mm (paper
    scatters light) and kept at 2-5% of its contrast. Pass the result to
    `degrade` for the scanner's noise.

    Returns
    -------
    numpy.ndarray
        uint8 (H, W, 3) RGB, the size of ``front_rgb``.
    """
    grey = cv2.cvtColor(front_rgb, cv2.COLOR_RGB2GRAY)
    mirrored = grey[:, ::-1].astype(np.float32)
    blurred = cv2.GaussianBlur(mirrored, (0, 0), 1.5 * mm_to_px)
    c = rng.uniform(*contrast)
    back = 255.0 - (255.0 - blurred) * c
    back = np.clip(back + 0.5, 0, 255).astype(np.uint8)
    return np.repeat(back[:, :, None], 3, axis=2)


def blank_sheet(size_mm: tuple[float, float], dpi: float) -> np.ndarray:
    """An unprinted sheet, uint8 (H, W, 3) RGB white, at ``dpi``.

    Sized as pdfium renders a page of ``size_mm``: each side rounded up to a pixel.
    """
    ppm = px_per_mm(dpi)
    h, w = (math.ceil(v * ppm - 1e-6) for v in (size_mm[1], size_mm[0]))
    return np.full((h, w, 3), 255, np.uint8)


_MEMO_LINES = (
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 13, True),
    ("Độc lập - Tự do - Hạnh phúc", 13, True),
    ("", 13, False),
    ("GIẤY MỜI HỌP", 15, True),
    ("", 13, False),
    ("Kính gửi: các đồng chí đại biểu Hội đồng nhân dân huyện.", 13, False),
    ("Thường trực Hội đồng nhân dân huyện trân trọng kính mời các đồng chí", 13, False),
    ("dự kỳ họp thường lệ cuối năm, lúc 07 giờ 30 phút, tại hội trường", 13, False),
    ("Ủy ban nhân dân huyện. Đề nghị các đồng chí nghiên cứu tài liệu gửi kèm,", 13, False),
    ("chuẩn bị ý kiến thảo luận và tham dự đầy đủ, đúng giờ.", 13, False),
    ("", 13, False),
    ("Nơi nhận: như trên; lưu văn thư.", 11, False),
    ("TM. THƯỜNG TRỰC HĐND", 13, True),
    ("CHỦ TỊCH", 13, True),
)


def memo_page(size_mm: tuple[float, float], dpi: float, rng: np.random.Generator) -> np.ndarray:
    """A page that is not a ballot: a short Vietnamese meeting notice.

    Drawn with the Liberation Serif bundled in ``pipeline/documents/fonts`` (full
    Vietnamese). Returns uint8 (H, W, 3) RGB at ``dpi``, upright.
    """
    img = Image.fromarray(blank_sheet(size_mm, dpi))
    draw = ImageDraw.Draw(img)
    ppm = px_per_mm(dpi)
    fonts = resources.files("pipeline.documents").joinpath("fonts")
    regular = fonts.joinpath("LiberationSerif-Regular.ttf").read_bytes()
    bold = fonts.joinpath("LiberationSerif-Bold.ttf").read_bytes()
    y = (25 + rng.uniform(0, 15)) * ppm
    left = (25 + rng.uniform(-3, 3)) * ppm
    for text, pt, is_bold in _MEMO_LINES:
        size = max(6, round(pt * dpi / PT_PER_INCH))
        font = ImageFont.truetype(io.BytesIO(bold if is_bold else regular), size)
        if text:
            width = draw.textlength(text, font=font)
            x = (img.width - width) / 2 if is_bold else left
            draw.text((x, y), text, fill=(20, 20, 20), font=font)
        y += size * 1.5
    return np.asarray(img).copy()


