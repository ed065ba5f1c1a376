"""The issuing body's seal, stamped by hand on a printed ballot (`stamp_seal`).

A Vietnamese body's seal is round, 34-40 mm across: a thick outer ring, a
thin ring inside it, the body's name running round between them, a
five-pointed star in the middle. It is stamped by hand at the place the
ballot prints for it (top left, over the header), so it lands a few
millimetres off, turned any way, its ink uneven: heavier where the hand
pressed, thin or gone in patches. The ink is translucent: the print under it
stays black. A photocopied ballot carries the seal in black.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from importlib import resources

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

#: Stamp-pad red (RGB) at full density, and a photocopy's black.
SEAL_RED = (200, 30, 45)
COPY_BLACK = (35, 35, 35)
#: The words round the ring.
RING_TEXT = "HỘI ĐỒNG NHÂN DÂN HUYỆN NINH SƠN ★ TỈNH NINH THUẬN ★"


@dataclass(frozen=True)
class SealStamp:
    """One stamping: where (mm, the seal's centre), how big, how turned, in what ink.

    ``density`` is the ink's strength where the pad inked fully (0-1);
    ``press`` how much weaker it falls towards one side (0-1), in direction
    ``press_deg``; ``patchy`` how much of the ring is thin in patches (0-1).
    """

    centre_mm: tuple[float, float]
    diameter_mm: float
    angle_deg: float
    colour: tuple[int, int, int] = SEAL_RED
    density: float = 0.9
    press: float = 0.3
    press_deg: float = 0.0
    patchy: float = 0.3


def plan_stamp(place_centre_mm: tuple[float, float], rng: np.random.Generator, *,
               black: bool = False, diameter_mm: tuple[float, float] = (34.0, 40.0),
               off_mm: float = 5.0) -> SealStamp:
    """A stamping by hand at the place centred at ``place_centre_mm``: up to ``off_mm`` off in
    any direction, turned any way, ``diameter_mm`` across, uneven."""
    r = off_mm * math.sqrt(rng.random())
    t = rng.uniform(0, 2 * math.pi)
    return SealStamp(
        centre_mm=(place_centre_mm[0] + r * math.cos(t), place_centre_mm[1] + r * math.sin(t)),
        diameter_mm=float(rng.uniform(*diameter_mm)), angle_deg=float(rng.uniform(-180, 180)),
        colour=COPY_BLACK if black else SEAL_RED, density=float(rng.uniform(0.7, 0.98)),
        press=float(rng.uniform(0.1, 0.5)), press_deg=float(rng.uniform(0, 360)),
        patchy=float(rng.uniform(0.1, 0.5)))


def stamp_seal(img: np.ndarray, stamp: SealStamp, mm_to_px: float, rng: np.random.Generator,
               text: str = RING_TEXT) -> None:
    """Stamp ``stamp`` on the upright RGB page ``img`` (uint8 (H, W, 3)), in place."""
    cover = _seal_cover(stamp, mm_to_px, text)
    n = cover.shape[0]
    cover *= _unevenness(stamp, n, mm_to_px, rng)
    cx, cy = stamp.centre_mm[0] * mm_to_px - 0.5, stamp.centre_mm[1] * mm_to_px - 0.5
    x0, y0 = round(cx - n / 2), round(cy - n / 2)
    h, w = img.shape[:2]
    ix0, iy0, ix1, iy1 = max(0, x0), max(0, y0), min(w, x0 + n), min(h, y0 + n)
    if ix0 >= ix1 or iy0 >= iy1:
        return
    a = cover[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0, None]
    ink = np.array(stamp.colour, np.float32) / 255.0
    patch = img[iy0:iy1, ix0:ix1].astype(np.float32)
    patch *= 1.0 - a * (1.0 - ink)  # translucent: multiplies what is printed under it
    img[iy0:iy1, ix0:ix1] = np.clip(patch + 0.5, 0, 255).astype(np.uint8)


def _seal_cover(stamp: SealStamp, mm_to_px: float, text: str) -> np.ndarray:
    """The seal's ink coverage (float32 0-1), a square ``diameter`` + 2 mm wide, turned."""
    k = 4  # drawn 4x larger, then reduced: smooth edges
    ppm = mm_to_px * k
    n = math.ceil((stamp.diameter_mm + 2) * mm_to_px)
    big = Image.new("L", (n * k, n * k), 0)
    draw = ImageDraw.Draw(big)
    c = n * k / 2
    r = stamp.diameter_mm / 2 * ppm

    def ring(radius: float, width_mm: float) -> None:
        draw.ellipse((c - radius, c - radius, c + radius, c + radius), outline=255,
                     width=max(1, round(width_mm * ppm)))

    ring(r, 1.1)
    ring(r - 1.8 * ppm, 0.35)
    inner = r - 7.2 * ppm
    ring(inner, 0.3)
    _ring_text(big, text, c, r - 4.6 * ppm, 2.6 * ppm)
    _star(draw, c, c, 0.55 * inner)
    small = cv2.resize(np.asarray(big, np.float32) / 255.0, (n, n), interpolation=cv2.INTER_AREA)
    m = cv2.getRotationMatrix2D((n / 2, n / 2), stamp.angle_deg, 1.0)
    return cv2.warpAffine(small, m, (n, n), flags=cv2.INTER_LINEAR)


def _ring_text(img: Image.Image, text: str, c: float, radius: float, height: float) -> None:
    """``text`` round a circle of ``radius`` (its letters' middle), upright at the top,
    clockwise, spread evenly over the whole turn."""
    font_file = resources.files("pipeline.documents").joinpath("fonts").joinpath(
        "LiberationSerif-Bold.ttf").read_bytes()
    font = ImageFont.truetype(io.BytesIO(font_file), max(6, round(height)))
    step = 2 * math.pi / len(text)
    for i, ch in enumerate(text):
        if ch == " ":
            continue
        theta = -math.pi / 2 + (i + 0.5) * step  # from the top, clockwise
        box = round(height * 2)
        glyph = Image.new("L", (box, box), 0)
        if ch == "★":
            _star(ImageDraw.Draw(glyph), box / 2, box / 2, height * 0.45)
        else:
            ImageDraw.Draw(glyph).text((box / 2, box / 2), ch, fill=255, font=font, anchor="mm")
        glyph = glyph.rotate(-math.degrees(theta + math.pi / 2), resample=Image.BILINEAR)
        x = c + radius * math.cos(theta) - box / 2
        y = c + radius * math.sin(theta) - box / 2
        img.paste(255, (round(x), round(y)), glyph)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    """A filled five-pointed star of outer radius ``r``, a point up."""
    pts = []
    for i in range(10):
        rad = r if i % 2 == 0 else r * 0.38
        t = -math.pi / 2 + i * math.pi / 5
        pts.append((cx + rad * math.cos(t), cy + rad * math.sin(t)))
    draw.polygon(pts, fill=255)


def _unevenness(stamp: SealStamp, n: int, mm_to_px: float, rng: np.random.Generator
                ) -> np.ndarray:
    """Per pixel ink strength (float32 0-1): the pad's density, weaker towards one side,
    thin in soft patches, grainy."""
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    t = math.radians(stamp.press_deg)
    side = ((xx - n / 2) * math.cos(t) + (yy - n / 2) * math.sin(t)) / (n / 2)  # -1..1
    strength = stamp.density * (1.0 - stamp.press * (side + 1) / 2)
    cells = max(2, round(stamp.diameter_mm / 6))
    blot = cv2.resize(rng.random((cells, cells)).astype(np.float32), (n, n),
                      interpolation=cv2.INTER_CUBIC)
    strength *= 1.0 - stamp.patchy * np.clip(blot, 0, 1)
    grain = rng.random((n, n)).astype(np.float32)
    grain = cv2.GaussianBlur(grain, (0, 0), max(0.5, 0.08 * mm_to_px))
    strength *= np.clip(0.75 + 0.6 * (grain - 0.5) * 4, 0.35, 1.0)
    return np.clip(strength, 0.0, 1.0).astype(np.float32)
