"""Scanning.

A document scanner or a phone camera turning a marked sheet into pixels (`ScanProfile`,
`degrade`, `photograph`), with its faults (skew, noise, streaks, 1-bit thresholds,
show-through, folds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from pipeline.domain.layout import BallotLayout

from simulator.kinds import ColourMode
from simulator.marks import Mark, draw_mark
from simulator.paper import PAPER_COLOURS, fade_toner, on_paper, px_per_mm

#: How `to_bitonal` may threshold: against the paper round each pixel, or once for the page.
BITONAL_MODES = ("dynamic", "global")


@dataclass(frozen=True)
class ScanProfile:
    """A document scanner's effect on a page; ranges are drawn uniformly per page.

    Parameters
    ----------
    dpi : int
        Scan resolution (150, 200, 300 or 600); pages are printed at it.
    colour : {"rgb", "grey", "bitonal"}
        What `degrade` returns: (H, W, 3) uint8, (H, W) uint8, or (H, W) bool
        (True = white).
    quarter_turns : tuple of int
        Counter-clockwise quarter turns a page may be fed with (2 = upside down).
    skew_deg : float
        Largest skew either way, degrees; the uncovered corners are paper white.
    shift_mm : float
        Largest shift in x and y, mm.
    scale : (float, float)
        Print scale range ("fit to page" shrinks to 94-97%).
    blur_mm : (float, float)
        Gaussian blur sigma range, mm (optics: 0.02-0.06 mm).
    noise : (float, float)
        Gaussian sensor noise sigma range, grey levels.
    paper : (float, float)
        Paper white level range, fraction of 255.
    ink : (float, float)
        How much black lifts (toner fading, scanner gamma), fraction of 255.
    tint : float
        Largest per-channel deviation of the paper colour (recycled paper).
    jpeg_quality : int
        Quality used when this scan is written as JPEG (file or PDF page).
    threshold : int or None
        A fixed bitonal threshold on 0-255 grey (a cheap scanner's one cut);
        None uses ``bitonal``'s.
    bitonal : {"dynamic", "global"}
        How a 1-bit scan is thresholded (`to_bitonal`): ``dynamic``, each pixel
        against the paper round it, as a document scanner's default 1-bit mode
        does; ``global``, one cut for the whole page picked from its histogram
        (Otsu's), as a cheap scanner's "auto" does: pale print drops out.
    speckle : float
        Share of pixels flipped after thresholding (dust, fibres).
    border_mm : float
        Scan area beyond the paper on every side (a flatbed larger than the
        sheet), paper-white unless ``backing`` says otherwise. Without it a page
        skewed by more than about 2 degrees loses its corners, registration marks
        included.
    backing : (float, float) or None
        Grey range, fraction of 255, of what the scanner sees beyond the sheet:
        a flatbed's lid left open or a feeder's black backing plate (0.03-0.2);
        None: the paper's own white.
    streak : float
        Share of pages with a scanner streak: dirt on the glass draws a dark
        straight line through the whole scan, along the feed (image columns)
        or, on one page in five, across it (image rows).
    streak_width_mm, streak_darkness : (float, float)
        Its width (mm) and how dark it is (share of the way from paper to
        black, 1 = as black as toner).
    streak_span : (float, float)
        Where across the image the streak lies (share of the width or
        height): ``(0.55, 0.95)`` puts it mostly through the boxes of an
        upright ballot.
    camera : bool
        A phone photo instead of a scan (`photograph`): the page lies on a
        desk, seen in perspective, under uneven light and a soft shadow.
        ``dpi`` is then the resolution the page is printed at before the
        photo; ``skew_deg`` is how far the page is turned on the desk;
        ``blur_mm`` is in image pixels' units of mm at the page (focus).
    megapixels : (float, float)
        Photo size range (4:3, portrait).
    page_fill : (float, float)
        Share of the photo's height the page spans.
    perspective : float
        Largest displacement of each page corner, as a share of the page's
        width in the photo (0.06 is a phone tilted about 15-20 degrees).
    light : float
        Largest fall of the light across the photo (0.3: one side 30 %
        darker).
    shadow : (float, float)
        Depth range of a soft shadow (a hand, the phone) over part of the page.
    bleed : (float, float)
        Contrast range of the back side showing through a ballot page (its
        print and heavy felt-tip marks, mirrored, blurred by the paper);
        (0, 0) for none. Thin paper and a felt tip: up to about 0.15.
    fold : float
        Share of ballot pages folded before scanning: a crease across the
        sheet (a thin grey line, ``fold_darkness`` of the way to black) with
        the paper on one side a little darker.
    fold_darkness : (float, float)
        How dark the crease line is.
    paper_colours : tuple of str
        Names from `simulator.paper.PAPER_COLOURS`: each page is printed on
        one of them, drawn per page (empty: white paper).
    toner : (float, float)
        Share of the print's darkness the printer lays down (1 = full toner;
        0.45 is a cartridge nearly empty), drawn per page.
    toner_band : (float, float)
        In a band down the page (a worn drum, 25-60 mm wide, anywhere across
        it) the print keeps only this share of that again; (1, 1) for none.
    hand_shadow : float
        Share of photos with the shadow of a hand or of the phone itself over
        part of the page, its edge soft over 4-12 mm (besides ``shadow``'s
        broad one).
    hand_shadow_depth : (float, float)
        How much of the light that shadow takes away.
    hand_shadow_edge_mm : (float, float)
        Over how much of the page (mm) that shadow's edge goes from light to
        shade: 4-12 mm under a room's lamps, 1-2 mm in direct sunlight by a
        window.
    """

    dpi: int = 200
    colour: ColourMode = "grey"
    quarter_turns: tuple[int, ...] = (0,)
    skew_deg: float = 0.7
    shift_mm: float = 1.5
    scale: tuple[float, float] = (0.99, 1.0)
    blur_mm: tuple[float, float] = (0.02, 0.05)
    noise: tuple[float, float] = (1.5, 4.0)
    paper: tuple[float, float] = (0.93, 0.99)
    ink: tuple[float, float] = (0.03, 0.12)
    tint: float = 0.008
    jpeg_quality: int = 85
    threshold: int | None = None
    bitonal: str = "dynamic"
    speckle: float = 0.0
    border_mm: float = 0.0
    backing: tuple[float, float] | None = None
    streak: float = 0.0
    streak_width_mm: tuple[float, float] = (0.2, 1.0)
    streak_darkness: tuple[float, float] = (0.35, 0.9)
    streak_span: tuple[float, float] = (0.1, 0.9)
    camera: bool = False
    megapixels: tuple[float, float] = (8.0, 12.0)
    page_fill: tuple[float, float] = (0.75, 0.9)
    perspective: float = 0.06
    light: float = 0.3
    shadow: tuple[float, float] = (0.15, 0.45)
    bleed: tuple[float, float] = (0.0, 0.0)
    fold: float = 0.0
    fold_darkness: tuple[float, float] = (0.05, 0.2)
    paper_colours: tuple[str, ...] = ()
    toner: tuple[float, float] = (1.0, 1.0)
    toner_band: tuple[float, float] = (1.0, 1.0)
    hand_shadow: float = 0.0
    hand_shadow_depth: tuple[float, float] = (0.25, 0.55)
    hand_shadow_edge_mm: tuple[float, float] = (4.0, 12.0)

    def __post_init__(self) -> None:
        if not 72 <= self.dpi <= 1200:
            raise ValueError(f"scan resolution {self.dpi} dpi is outside 72-1200")
        if self.colour not in ("rgb", "grey", "bitonal"):
            raise ValueError(f"colour '{self.colour}' is not rgb, grey or bitonal")
        if self.bitonal not in BITONAL_MODES:
            raise ValueError(f"bitonal '{self.bitonal}' is not {' or '.join(BITONAL_MODES)}")
        if not self.quarter_turns or any(k not in (0, 1, 2, 3) for k in self.quarter_turns):
            raise ValueError("quarter_turns must be a non-empty tuple of 0, 1, 2, 3")
        if not 1 <= self.jpeg_quality <= 100:
            raise ValueError(f"JPEG quality {self.jpeg_quality} is outside 1-100")
        unknown = [c for c in self.paper_colours if c not in PAPER_COLOURS]
        if unknown:
            raise ValueError(f"unknown paper colour {unknown[0]!r}; use {', '.join(PAPER_COLOURS)}")

    @property
    def px_per_mm(self) -> float:
        return px_per_mm(self.dpi)


#: A good office scanner: 300 dpi grey, barely skewed.
CLEAN = ScanProfile(dpi=300, skew_deg=0.3, shift_mm=0.8, noise=(1.0, 2.0), ink=(0.02, 0.06))
#: The usual sheet-fed office scanner at 200 dpi grey, pages fed any way round.
OFFICE = ScanProfile(dpi=200, quarter_turns=(0, 2), skew_deg=1.5, shift_mm=2.0,
                     scale=(0.97, 1.0))
#: A copier's "scan to PDF" in colour at 150 dpi, JPEG quality 60.
COLOUR_150 = ScanProfile(dpi=150, colour="rgb", skew_deg=1.0, jpeg_quality=60,
                         blur_mm=(0.04, 0.08))
#: 1-bit 200 dpi document scan with the scanner's dynamic threshold, and dust.
BITONAL = ScanProfile(dpi=200, colour="bitonal", skew_deg=1.0, speckle=0.0005)
#: The same with one threshold for the whole page (Otsu's), as a cheap scanner or a
#: fax sets it: print paler than the cut drops out.
GLOBAL_BITONAL = replace(BITONAL, bitonal="global")
#: Everything at its worst: 5 degrees, fit-to-page shrink, any orientation, heavy noise,
#: on a scan area 12 mm larger than the sheet all round so no corner is lost.
ROUGH = ScanProfile(dpi=150, quarter_turns=(0, 1, 2, 3), skew_deg=5.0, shift_mm=4.0,
                    scale=(0.94, 1.0), blur_mm=(0.05, 0.1), noise=(4.0, 8.0),
                    paper=(0.85, 0.95), ink=(0.08, 0.2), tint=0.03, jpeg_quality=50,
                    border_mm=12.0)
#: A phone photo of a ballot on a desk: 8-12 MP, perspective, uneven light, a soft
#: shadow, mild blur, JPEG 85.
PHONE = ScanProfile(dpi=300, colour="rgb", camera=True, quarter_turns=(0, 2), skew_deg=6.0,
                    blur_mm=(0.04, 0.09), noise=(2.0, 5.0), paper=(0.88, 0.98),
                    ink=(0.04, 0.12), tint=0.03, jpeg_quality=85)
#: Thin paper handled roughly: the back side shows through every page (up to 15 %
#: contrast) and three pages in four were folded, at 200 dpi grey.
WORN = ScanProfile(dpi=200, quarter_turns=(0, 2), skew_deg=1.0, shift_mm=2.0,
                   bleed=(0.04, 0.15), fold=0.75)
#: A 200 dpi grey sheet-fed scanner with dirty glass: a dark line on every page,
#: mostly through the ballot's boxes.
STREAKED = ScanProfile(dpi=200, skew_deg=1.0, shift_mm=2.0,
                       streak=1.0, streak_span=(0.55, 0.95))
#: The same glass with the pages fed sideways: the line runs along the ballot's rows
#: (through a row's three boxes and its name, or across the QR code), 0.3-1.5 mm wide.
STREAKED_SIDEWAYS = replace(STREAKED, quarter_turns=(1, 3), streak_width_mm=(0.3, 1.5))
#: A 1-bit 200 dpi scanner with dirty glass: the threshold makes the line solid black, or a
#: light one dashes.
STREAKED_BITONAL = replace(BITONAL, streak=1.0, streak_span=(0.55, 0.95))
#: A phone photo at its worst: 8 MP with the page filling 55-70 % of the frame, each corner
#: moved by up to 12 % of the page's width, the page turned up to 15 degrees on the desk,
#: the light falling by half across it, a deep shadow, soft focus, JPEG 70.
HARSH_PHONE = replace(PHONE, megapixels=(8.0, 8.0), page_fill=(0.55, 0.7), perspective=0.12,
                      light=0.5, shadow=(0.3, 0.6), blur_mm=(0.08, 0.14), jpeg_quality=70,
                      skew_deg=15.0)


def printed_sheet(img: np.ndarray, profile: ScanProfile, rng: np.random.Generator) -> None:
    """The printed page ``img`` (RGB, before any mark) as this stack's printer and paper
    make it, in place: toner faded (``toner``, ``toner_band``) and the sheet's colour
    (``paper_colours``). Draws nothing from ``rng`` for white paper and full toner."""
    lo, hi = profile.toner
    blo, bhi = profile.toner_band
    if (lo, hi, blo, bhi) != (1.0, 1.0, 1.0, 1.0):
        w_mm = img.shape[1] / profile.px_per_mm
        fade_toner(img, rng.uniform(lo, hi), rng.uniform(blo, bhi), rng.uniform(0.1, 0.9),
                   rng.uniform(25.0, 60.0) / w_mm)
    if profile.paper_colours:
        name = profile.paper_colours[int(rng.integers(len(profile.paper_colours)))]
        on_paper(img, PAPER_COLOURS[name])


def degrade(img_rgb_at_print_dpi: np.ndarray, profile: ScanProfile,
            rng: np.random.Generator) -> np.ndarray:
    """Put an upright printed (and marked) page through a document scanner.

    In order: paper and toner tone, the scan area's border, print scale, skew and
    shift (paper-white fill, or ``backing``), optical blur, sensor noise, the page's
    orientation in the feeder, then grey or 1-bit output (with speckle).

    Parameters
    ----------
    img_rgb_at_print_dpi : numpy.ndarray
        uint8 (H, W, 3) RGB page rendered at ``profile.dpi``.
    profile : ScanProfile
        The scanner.
    rng : numpy.random.Generator
        Draws this page's skew, shift, noise, ...

    Returns
    -------
    numpy.ndarray
        (H', W', 3) uint8 RGB, (H', W') uint8 grey, or (H', W') bool
        (True = white) as ``profile.colour`` says: the page plus
        ``profile.border_mm`` on each side, H' and W' swapped for an odd
        number of quarter turns.
    """
    img = img_rgb_at_print_dpi
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 page, got shape {img.shape} {img.dtype}")
    if profile.camera:
        return photograph(img, profile, rng)
    ppm = profile.px_per_mm
    # draw everything first: the page's draws do not depend on its size or colour
    paper = rng.uniform(*profile.paper) * 255.0
    black = rng.uniform(*profile.ink) * 255.0
    tint = 1.0 + rng.uniform(-profile.tint, profile.tint, 3)
    angle = rng.uniform(-profile.skew_deg, profile.skew_deg)
    scale = rng.uniform(*profile.scale)
    dx, dy = rng.uniform(-profile.shift_mm, profile.shift_mm, 2) * ppm
    sigma = rng.uniform(*profile.blur_mm) * ppm
    noise_sd = rng.uniform(*profile.noise)
    k = int(profile.quarter_turns[int(rng.integers(len(profile.quarter_turns)))])
    streak = None
    if profile.streak > 0 and rng.random() < profile.streak:  # no draws without streaks
        streak = (rng.random() < 0.8, rng.uniform(*profile.streak_span),
                  rng.uniform(*profile.streak_width_mm) * ppm, rng.uniform(*profile.streak_darkness))
    backing = None if profile.backing is None else rng.uniform(*profile.backing) * 255.0

    if profile.colour == "rgb":
        planes = [img[:, :, c] for c in range(3)]
        papers = [min(255.0, paper * t) for t in tint]
    else:
        planes = [cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)]
        papers = [paper]
    b = round(profile.border_mm * ppm)
    h, w = img.shape[0] + 2 * b, img.shape[1] + 2 * b
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m[:, 2] += (dx, dy)
    moved = abs(angle) > 1e-6 or abs(scale - 1) > 1e-6 or abs(dx) > 1e-3 or abs(dy) > 1e-3
    noise = rng.standard_normal((h, w), dtype=np.float32) * noise_sd if noise_sd > 0 else None
    out_planes = []
    for plane, level in zip(planes, papers, strict=True):  # one channel at a time: memory
        work = black + (level - black) / 255.0 * plane.astype(np.float32)
        beyond = level if backing is None else backing
        if b:
            work = cv2.copyMakeBorder(work, b, b, b, b, cv2.BORDER_CONSTANT, value=beyond)
        if moved:
            work = cv2.warpAffine(work, m, (w, h), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=beyond)
        if sigma > 0.1:
            work = cv2.GaussianBlur(work, (0, 0), sigma)
        if noise is not None:
            work += noise
        work += 0.5
        out_planes.append(np.clip(work, 0, 255).astype(np.uint8))
        del work
    out = out_planes[0] if len(out_planes) == 1 else np.dstack(out_planes)
    if k:
        out = np.ascontiguousarray(np.rot90(out, k))
    if streak is not None:
        draw_streak(out, *streak, black=black)
    if profile.colour != "bitonal":
        return out
    return to_bitonal(out, profile.threshold, profile.speckle, rng, mode=profile.bitonal,
                      px_per_mm=ppm)


def photograph(img_rgb_at_print_dpi: np.ndarray, profile: ScanProfile,
               rng: np.random.Generator) -> np.ndarray:
    """A phone photo of an upright printed (and marked) page lying on a desk.

    In order: paper and toner tone; the page turned (``quarter_turns``, then
    up to ``skew_deg``), scaled to ``page_fill`` of a 4:3 portrait photo of
    ``megapixels``, its corners moved by up to ``perspective`` (a tilted
    phone), warped onto a wood-grain desk; light falling off across the
    photo by up to ``light``; a soft shadow of depth ``shadow`` over part of
    the page; focus blur; sensor noise. Returns (H, W, 3) uint8 RGB, or
    grey/1-bit as ``profile.colour`` says.
    """
    img = img_rgb_at_print_dpi
    ph, pw = img.shape[:2]
    paper = rng.uniform(*profile.paper) * 255.0
    black = rng.uniform(*profile.ink) * 255.0
    tint = 1.0 + rng.uniform(-profile.tint, profile.tint, 3)
    mp = rng.uniform(*profile.megapixels) * 1e6
    w = int(math.sqrt(mp * 3 / 4))
    h = int(w * 4 / 3)
    k = int(profile.quarter_turns[int(rng.integers(len(profile.quarter_turns)))])
    angle = math.radians(rng.uniform(-profile.skew_deg, profile.skew_deg) + 90 * k)
    fill = rng.uniform(*profile.page_fill)
    s = fill * h / max(ph, pw) if k % 2 == 0 else fill * h / max(ph, pw) * 0.95
    cx = w / 2 + rng.uniform(-0.04, 0.04) * w
    cy = h / 2 + rng.uniform(-0.04, 0.04) * h
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    dst = ((src - (pw / 2, ph / 2)) * s) @ rot.T + (cx, cy)
    dst += rng.uniform(-1, 1, (4, 2)) * profile.perspective * pw * s
    # a person frames the whole sheet: keep its corners 2 % inside the photo
    lo, hi = dst.min(axis=0), dst.max(axis=0)
    fit = min(1.0, *((0.48 * np.array([w, h])) / np.maximum(np.abs(lo - (w / 2, h / 2)),
                                                              np.abs(hi - (w / 2, h / 2)))))
    dst = (dst - (w / 2, h / 2)) * fit + (w / 2, h / 2)
    hom = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    # the desk: wood grain (stretched noise), its own colour, darker than paper
    grain = cv2.resize(rng.standard_normal((64, 8)).astype(np.float32), (w, h),
                       interpolation=cv2.INTER_CUBIC)
    fine = cv2.resize(rng.standard_normal((h // 8, w // 64)).astype(np.float32), (w, h),
                      interpolation=cv2.INTER_LINEAR)
    desk_tone = rng.uniform(70, 150)
    desk = desk_tone + 12 * grain + 5 * fine
    desk_colour = np.array([1.0, rng.uniform(0.75, 0.9), rng.uniform(0.5, 0.75)], np.float32)
    # light: a linear fall-off, and a soft-edged shadow polygon over part of the page
    yy, xx = np.mgrid[0:h:8, 0:w:8].astype(np.float32)
    d = rng.normal(size=2)
    d /= np.linalg.norm(d)
    ramp = (xx * d[0] + yy * d[1]) / (abs(d[0]) * w + abs(d[1]) * h)
    ramp -= ramp.min()
    light = 1.0 - rng.uniform(0.3, 1.0) * profile.light * ramp / max(float(ramp.max()), 1e-6)
    shade = np.zeros_like(light)
    if profile.shadow[1] > 0:
        # a hand's or the phone's shadow: a large soft ellipse reaching in from an edge
        a, b = dst[int(rng.integers(4))] / 8, dst[int(rng.integers(4))] / 8
        edge = a + (b - a) * rng.uniform(0.2, 0.8)
        side = float(np.linalg.norm(dst[1] - dst[0])) / 8
        axes = (int(side * rng.uniform(0.3, 0.6)), int(side * rng.uniform(0.2, 0.4)))
        cv2.ellipse(shade, (int(edge[0]), int(edge[1])), axes, float(rng.uniform(0, 180)), 0, 360,
                    1.0, -1)
        shade = cv2.GaussianBlur(shade, (0, 0), side * rng.uniform(0.01, 0.04))
    light *= 1.0 - rng.uniform(*profile.shadow) * shade
    if profile.hand_shadow > 0 and rng.random() < profile.hand_shadow:
        light *= 1.0 - rng.uniform(*profile.hand_shadow_depth) * _hand_shadow(
            light.shape, dst / 8, rng, profile.hand_shadow_edge_mm)
    light = cv2.resize(light, (w, h), interpolation=cv2.INTER_LINEAR)
    sigma = rng.uniform(*profile.blur_mm) * s * profile.px_per_mm
    noise_sd = rng.uniform(*profile.noise)
    # the page's coverage of each photo pixel (anti-aliased edge)
    cover = cv2.warpPerspective(np.ones((ph, pw), np.float32), hom, (w, h), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    out = np.empty((h, w, 3), np.uint8)
    for c in range(3):  # one channel at a time: memory
        level = min(255.0, paper * tint[c])
        plane = black + (level - black) / 255.0 * img[:, :, c].astype(np.float32)
        work = cv2.warpPerspective(plane, hom, (w, h), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        work += (1.0 - cover) * (desk * desk_colour[c])
        work *= light
        if sigma > 0.3:
            work = cv2.GaussianBlur(work, (0, 0), sigma)
        work += rng.standard_normal((h, w), dtype=np.float32) * noise_sd + 0.5
        out[:, :, c] = np.clip(work, 0, 255).astype(np.uint8)
    if profile.colour == "rgb":
        return out
    grey = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)
    return grey if profile.colour == "grey" else to_bitonal(
        grey, profile.threshold, mode=profile.bitonal,
        px_per_mm=profile.px_per_mm * s)  # the page's scale in the photo


def _hand_shadow(shape: tuple[int, int], page: np.ndarray, rng: np.random.Generator,
                 edge_mm: tuple[float, float] = (4.0, 12.0)) -> np.ndarray:
    """A hand's or a phone's shadow (0..1) on a light map of ``shape``: a palm with four
    fingers, or the phone's rounded oblong, reaching over the page (corners ``page``, in
    the map's pixels) from one of its edges; its edge soft over ``edge_mm`` of the page."""
    h, w = shape
    out = np.zeros((h, w), np.float32)
    i = int(rng.integers(4))
    a, b = page[i], page[(i + 1) % 4]
    side = float(np.linalg.norm(b - a))
    inward = page.mean(axis=0) - (a + b) / 2
    reach = float(np.linalg.norm(inward))
    inward /= max(reach, 1e-6)
    start = a + (b - a) * rng.uniform(0.15, 0.85) - inward * 0.1 * side
    into = inward * reach * rng.uniform(0.5, 1.1)
    angle = math.degrees(math.atan2(into[1], into[0])) + rng.normal(0, 15)
    direction = np.array([math.cos(math.radians(angle)), math.sin(math.radians(angle))])
    if rng.random() < 0.5:  # a hand: the palm, then four fingers spread ahead of it
        palm = start + direction * 0.25 * side
        cv2.ellipse(out, (int(palm[0]), int(palm[1])), (int(0.28 * side), int(0.2 * side)),
                    angle, 0, 360, 1.0, -1)
        across = np.array([-direction[1], direction[0]])
        for f in range(4):
            base = palm + direction * 0.2 * side + across * (f - 1.5) * 0.09 * side
            tip = base + direction * rng.uniform(0.2, 0.32) * side
            cv2.line(out, (int(base[0]), int(base[1])), (int(tip[0]), int(tip[1])), 1.0,
                     max(1, int(0.08 * side)))
    else:  # the phone held over the page: a rounded oblong
        centre = start + direction * float(np.linalg.norm(into)) * 0.5
        cv2.ellipse(out, (int(centre[0]), int(centre[1])),
                    (int(float(np.linalg.norm(into)) * 0.6), int(0.17 * side)), angle, 0, 360,
                    1.0, -1)
    # a hand or phone 15-30 cm over the page under a room's lamps: the edge soft over 4-12 mm
    edge = side / 210.0 * rng.uniform(*edge_mm)  # map pixels per mm of the page, times mm
    return cv2.GaussianBlur(out, (0, 0), max(edge, 0.5))


def draw_streak(img: np.ndarray, along_feed: bool, where: float, width_px: float,
                 darkness: float, black: float) -> None:
    """Darken, in place, a straight line through the whole image: dirt on the scanner glass.

    ``along_feed``: an image column band (else a row band) at ``where``
    (share of the width or height), ``width_px`` wide with soft edges,
    ``darkness`` of the way from the image's own level to ``black``.
    """
    n = img.shape[1] if along_feed else img.shape[0]
    pos = np.arange(n, dtype=np.float32) - where * n
    cover = np.clip(width_px / 2 + 0.5 - np.abs(pos), 0.0, 1.0) * darkness  # antialiased edge
    idx = np.flatnonzero(cover)
    c = cover[idx]
    if along_feed:
        band = img[:, idx].astype(np.float32)
        shape = (1, -1) + (1,) * (img.ndim - 2)
    else:
        band = img[idx].astype(np.float32)
        shape = (-1,) + (1,) * (img.ndim - 1)
    band += (black - band) * c.reshape(shape)
    band = np.clip(band + 0.5, 0, 255).astype(np.uint8)
    if along_feed:
        img[:, idx] = band
    else:
        img[idx] = band


#: Range an automatic (Otsu) bitonal threshold is kept in, 0-255 grey.
AUTO_THRESHOLD = (96, 176)
#: The dynamic threshold: a pixel is black when darker than halfway from the paper round
#: it (the lightest within ``DYNAMIC_PAPER_MM``, smoothed) to the ink near it (the darkest
#: within ``DYNAMIC_INK_MM``), that cut kept between ``DYNAMIC_CONTRAST`` (the least
#: darkness it takes, a share of the paper's grey) and ``DYNAMIC_MAX_CONTRAST`` (what
#: any grey that dark is, however black the print beside it: a light scanner streak
#: stays one line across the print); or darker than ``AUTO_THRESHOLD[0]`` whatever is
#: round it (a dark scan background).
DYNAMIC_CONTRAST = 0.1
DYNAMIC_MAX_CONTRAST = 0.3
DYNAMIC_PAPER_MM = 8.0
DYNAMIC_INK_MM = 1.5


def to_bitonal(grey: np.ndarray, threshold: int | None = None, speckle: float = 0.0,
               rng: np.random.Generator | None = None, *, mode: str = "global",
               px_per_mm: float = 8.0) -> np.ndarray:
    """Threshold a uint8 grey page to 1 bit: bool (H, W), True = white.

    ``threshold`` an int cuts every pixel there. Otherwise ``mode``:

    - ``dynamic``: each pixel against the paper round it, as document scanners'
      1-bit modes do (dynamic threshold, "iThresholding", text enhancement):
      black where `DYNAMIC_CONTRAST` darker than the lightest paper within
      `DYNAMIC_PAPER_MM` (at ``px_per_mm``), so that pale print on any paper
      stays, and below `AUTO_THRESHOLD`'s low end anywhere;
    - ``global``: Otsu's threshold for the page, kept within `AUTO_THRESHOLD`
      as a scanner's automatic threshold is: a page without ink has no two
      classes to split, and unclamped Otsu would cut its paper noise in half.

    ``speckle`` flips that share of pixels (needs ``rng``).
    """
    if grey.ndim == 3:
        grey = cv2.cvtColor(grey, cv2.COLOR_RGB2GRAY)
    if threshold is not None:
        white = grey > threshold
    elif mode == "dynamic":
        white = ~_dynamic_black(grey, px_per_mm)
    elif mode == "global":
        t, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        white = grey > min(max(t, AUTO_THRESHOLD[0]), AUTO_THRESHOLD[1])
    else:
        raise ValueError(f"bitonal mode '{mode}' is not {' or '.join(BITONAL_MODES)}")
    if speckle > 0:
        if rng is None:
            raise ValueError("speckle needs an rng")
        n = int(speckle * white.size)
        idx = rng.integers(0, white.size, n)
        flat = white.reshape(-1)
        flat[idx] = ~flat[idx]
    return white


def _dynamic_black(grey: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Where a dynamic threshold (`to_bitonal`) makes ``grey`` black: each pixel against the
    paper round it (estimated at about 1 px/mm, brought back to full size) and the ink near
    it: print of any darkness is cut halfway, as a global threshold cuts full-toner print,
    and print paler than a global cut still shows."""
    h, w = grey.shape
    f = max(1, int(px_per_mm))
    small = cv2.resize(grey, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    side = max(3, 2 * round(DYNAMIC_PAPER_MM * px_per_mm / f / 2) + 1)
    paper = cv2.dilate(small, np.ones((side, side), np.uint8))
    paper = cv2.blur(paper.astype(np.float32), (side, side))
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    near = max(3, 2 * round(DYNAMIC_INK_MM * px_per_mm / 2) + 1)
    ink = cv2.blur(cv2.erode(grey, np.ones((near, near), np.uint8)).astype(np.float32),
                   (near, near))
    cut = np.clip((paper + ink) / 2, paper * (1.0 - DYNAMIC_MAX_CONTRAST),
                  paper * (1.0 - DYNAMIC_CONTRAST))
    return (grey < cut) | (grey < AUTO_THRESHOLD[0])


def show_through(img: np.ndarray, back: np.ndarray, layout: BallotLayout, back_page: int,
                 contrast: tuple[float, float], mm_to_px: float,
                 rng: np.random.Generator) -> None:
    """The back of the sheet showing through ``img`` (upright RGB), in place.

    The back is the printed page ``back`` with heavy felt-tip marks (fills
    and thick X's) in a third of its boxes, mirrored left-right (seen
    through the sheet), blurred 0.3-0.6 mm by the paper and laid over the
    front at ``contrast`` (drawn in the range) of its own darkness.
    """
    marked = back.copy()
    spec = layout.page(back_page)
    for row in spec.template.rows:
        for box in row.boxes:
            if rng.random() < 0.33:
                shape = "fill" if rng.random() < 0.5 else "x"
                draw_mark(marked, box, mm_to_px, Mark(shape, "black", 1.2), rng)
    grey = cv2.cvtColor(marked, cv2.COLOR_RGB2GRAY)[:, ::-1].astype(np.float32)
    if grey.shape != img.shape[:2]:
        grey = cv2.resize(grey, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_AREA)
    grey = cv2.GaussianBlur(grey, (0, 0), rng.uniform(0.3, 0.6) * mm_to_px)
    keep = 1.0 - rng.uniform(*contrast) * (1.0 - grey / 255.0)
    out = img.astype(np.float32) * keep[:, :, None]
    img[...] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


def fold_crease(img: np.ndarray, darkness: tuple[float, float], mm_to_px: float,
                rng: np.random.Generator) -> None:
    """A fold across the upright page ``img`` (RGB), in place.

    Folded in half or in three across (or, one time in four, down the
    middle), a few degrees off square: a crease line 0.3-0.6 mm wide,
    ``darkness`` of the way to black, and the paper on one side 2-6 % darker
    over a 3-8 mm ramp (the sheet does not lie quite flat).
    """
    h, w = img.shape[:2]
    across = rng.random() < 0.75
    at = rng.choice([1 / 3, 1 / 2, 2 / 3]) + rng.normal(0, 0.01)
    angle = math.radians(rng.normal(0, 1.5))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if across:
        dist = (yy - at * h) * math.cos(angle) - (xx - w / 2) * math.sin(angle)
    else:
        dist = (xx - at * w) * math.cos(angle) + (yy - h / 2) * math.sin(angle)
    dist /= mm_to_px  # mm from the crease
    half = rng.uniform(0.15, 0.3)
    line = np.clip(half + 0.5 / mm_to_px - np.abs(dist), 0, None) * mm_to_px
    crease = rng.uniform(*darkness) * np.clip(line, 0, 1)
    ramp = rng.uniform(3.0, 8.0)
    side = rng.uniform(0.02, 0.06) * np.clip(dist / ramp, 0, 1)
    keep = (1.0 - crease) * (1.0 - side)
    out = img.astype(np.float32) * keep[:, :, None]
    img[...] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


