"""Synthetic ballot pages for the reader's tests: printed, marked, scanned.

A page is drawn from its `PageTemplate` the way the printer lays it out
(markers, QR code, box outlines, a little text and the table's rules), then
marked with pen strokes in page millimetres, then put through a "scanner":
a turn by quarter turns, a skew, a fit-to-page shrink, a shift, blur, noise,
JPEG or a 1-bit threshold. Everything is deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import qrcode

from omr.geometry import PageTemplate, Rect
from pipeline.documents.ballot_pdf import printed_pages
from pipeline.domain.campaign import Campaign, load_campaign
from pipeline.domain.layout import BallotLayout, build_layout
from pipeline.reading.printed import references

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "seed-002-hdnd-ninhson.yaml"
MM_PER_INCH = 25.4
_SHIFT = 4  # sub-pixel bits for cv2 drawing
_ONE = 1 << _SHIFT


@cache
def sample_layout() -> BallotLayout:
    """The layout of the seed-002 campaign (18 candidates on 2 pages), ready to read."""
    return read_layout(load_campaign(SAMPLE))


def read_layout(campaign: Campaign) -> BallotLayout:
    """The layout of ``campaign`` with its printed pages made for the reader in this process,
    as ``kiemphieu new`` and ``scan`` make them (`pipeline.reading.printed.references`)."""
    layout = build_layout(campaign)
    references(layout, render=printed_pages)
    return layout


def _pt(x_mm: float, y_mm: float, ppm: float) -> tuple[int, int]:
    # page mm -> fixed-point pixel coordinates; pixel centres sit at integers
    return (round((x_mm * ppm - 0.5) * _ONE), round((y_mm * ppm - 0.5) * _ONE))


def _fill_rect(img: np.ndarray, r: Rect, ppm: float, value: int) -> None:
    pts = np.array([_pt(x, y, ppm) for x, y in r.corners()], dtype=np.int32)
    cv2.fillPoly(img, [pts], int(value), lineType=cv2.LINE_AA, shift=_SHIFT)


def _paste(img: np.ndarray, patch: np.ndarray, r: Rect, ppm: float) -> None:
    """Put ``patch`` into the page so that it covers ``r`` (to the nearest pixel)."""
    x0, y0 = round(r.x * ppm), round(r.y * ppm)
    x1, y1 = round((r.x + r.w) * ppm), round((r.y + r.h) * ppm)
    k = max(1, int(np.ceil(4 * (x1 - x0) / patch.shape[1])))
    big = np.kron(patch, np.ones((k, k), np.uint8))
    img[y0:y1, x0:x1] = cv2.resize(big, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)


def qr_matrix(text: str) -> np.ndarray:
    """The QR symbol of ``text`` (error correction M) with a 4-module quiet zone."""
    q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    q.add_data(text)
    q.make(fit=True)
    return np.where(np.array(q.get_matrix(), dtype=bool), 0, 255).astype(np.uint8)


def draw_page(
    template: PageTemplate,
    code: str,
    dpi: float = 300,
    *,
    paper: int = 255,
    ink: int = 0,
    markers: tuple[int, ...] | None = None,
    text: bool = True,
) -> np.ndarray:
    """A printed, unmarked page at ``dpi``: uint8, shape (H, W), 255 = white.

    ``markers`` lists the marker ids to print (default: all four), so tests
    can cut marks off.
    """
    ppm = dpi / MM_PER_INCH
    w_mm, h_mm = template.frame.page_size_mm
    img = np.full((round(h_mm * ppm), round(w_mm * ppm)), paper, np.uint8)
    frame = template.frame
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, frame.aruco_dictionary))
    for m in frame.markers:
        if markers is not None and m.marker_id not in markers:
            continue
        patch = cv2.aruco.generateImageMarker(dictionary, m.marker_id, 60)
        patch = np.where(patch < 128, ink, paper).astype(np.uint8)
        _paste(img, patch, m.square, ppm)
    qr = qr_matrix(code)
    _paste(img, np.where(qr < 128, ink, paper).astype(np.uint8), frame.qr, ppm)
    if text:
        _draw_table(img, template, ppm, ink)
    line = template.box_line_mm
    for row in template.rows:
        for box in row.boxes:
            _fill_rect(img, box.inset(-line / 2), ppm, ink)
            _fill_rect(img, box.inset(line / 2), ppm, paper)
    return img


def _draw_table(img: np.ndarray, template: PageTemplate, ppm: float, ink: int) -> None:
    """Rules between rows and columns and some words, like the printed table."""
    rows = template.rows
    if not rows:
        return
    band0 = rows[0].band
    thin = 0.2
    for row in rows:
        b = row.band
        _fill_rect(img, Rect(b.x, b.y, b.w, thin), ppm, ink)
        _fill_rect(img, Rect(b.x, b.y + b.h - thin, b.w, thin), ppm, ink)
        org = _pt(b.x + 13, b.y + 7.5, ppm)
        cv2.putText(
            img,
            f"Nguyen Van {row.row}  Chu tich HDND",
            (org[0] >> _SHIFT, org[1] >> _SHIFT),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.12 * ppm / 3,
            ink,
            max(1, round(0.3 * ppm)),
            cv2.LINE_AA,
        )
    top, bottom = band0.y, rows[-1].band.y + rows[-1].band.h
    for x in (
        band0.x,
        band0.x + 11,
        band0.x + 63,
        band0.x + 120,
        band0.x + 140,
        band0.x + 160,
        band0.x + band0.w,
    ):
        _fill_rect(img, Rect(x - thin / 2, top, thin, bottom - top), ppm, ink)
    # a title block above the table
    for i in range(3):
        org = _pt(60, 30 + 8 * i, ppm)
        cv2.putText(
            img,
            "PHIEU LAY PHIEU TIN NHIEM",
            (org[0] >> _SHIFT, org[1] >> _SHIFT),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.2 * ppm / 3,
            ink,
            max(1, round(0.4 * ppm)),
            cv2.LINE_AA,
        )


# --- marks a voter makes -------------------------------------------------


@dataclass(frozen=True)
class Pen:
    """A writing tool: stroke width (mm) and the grey it leaves (0 = black)."""

    width_mm: float = 0.5
    grey: int = 20


PEN = Pen()
PENCIL = Pen(width_mm=0.6, grey=130)


def _stroke(img: np.ndarray, pts_mm: list[tuple[float, float]], ppm: float, pen: Pen) -> None:
    # draw on a copy and take the darker value, so a grey pencil does not
    # lighten the black print where it crosses it
    layer = np.full_like(img, 255)
    pts = [_pt(x, y, ppm) for x, y in pts_mm]
    thick = max(1, round(pen.width_mm * ppm))
    for a, b in pairwise(pts):
        cv2.line(layer, a, b, pen.grey, thick, cv2.LINE_AA, shift=_SHIFT)
    np.minimum(img, layer, out=img)


def mark(img: np.ndarray, box: Rect, kind: str, dpi: float = 300, pen: Pen = PEN) -> None:
    """Mark ``box`` on a page drawn at ``dpi``, in place.

    ``kind``: ``"x"`` (a cross from corner to corner), ``"tick"``, ``"slash"``
    (one diagonal), ``"fill"`` (the box filled in), ``"dot"`` (a stray dot
    1.2 mm across, about 0.05 of the interior), ``"small_x"`` (a cross half the
    box's size), ``"circle"`` (a ring around the box, 1.2 times its side),
    ``"small_circle"`` (a ring just inside the outline, 0.85 times its side),
    ``"tiny_tick"`` (a tick 2 mm across).
    """
    ppm = dpi / MM_PER_INCH
    x0, y0, x1, y1 = box.x, box.y, box.x + box.w, box.y + box.h
    cx, cy = box.centre
    if kind == "x":
        _stroke(img, [(x0 + 0.3, y0 + 0.3), (x1 - 0.3, y1 - 0.3)], ppm, pen)
        _stroke(img, [(x1 - 0.3, y0 + 0.3), (x0 + 0.3, y1 - 0.3)], ppm, pen)
    elif kind == "small_x":
        d = box.w / 4
        _stroke(img, [(cx - d, cy - d), (cx + d, cy + d)], ppm, pen)
        _stroke(img, [(cx + d, cy - d), (cx - d, cy + d)], ppm, pen)
    elif kind == "tick":
        _stroke(img, [(x0 + 1.2, cy), (cx - 0.5, y1 - 1.2), (x1 + 0.5, y0 - 0.8)], ppm, pen)
    elif kind == "slash":
        _stroke(img, [(x1 - 0.5, y0 + 0.5), (x0 + 0.5, y1 - 0.5)], ppm, pen)
    elif kind == "fill":
        _fill_rect(img, box.inset(0.3), ppm, pen.grey)
    elif kind == "dot":
        _stroke(img, [(cx, cy), (cx, cy)], ppm, Pen(1.2, pen.grey))
    elif kind in ("circle", "small_circle"):
        # a ring around the box (1.2 x its side) or just inside it (0.85 x)
        r = box.w * (0.6 if kind == "circle" else 0.425)
        t = np.linspace(0, 2 * np.pi, 73)
        _stroke(img, [(cx + r * np.cos(a), cy + r * np.sin(a)) for a in t], ppm, pen)
    elif kind == "tiny_tick":
        # a tick 2 mm across: a hesitation, not a vote
        _stroke(img, [(cx - 1.0, cy), (cx - 0.3, cy + 1.0), (cx + 1.0, cy - 1.0)], ppm, pen)
    else:
        raise ValueError(kind)


# --- the scanner ----------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    """How a page goes through a scanner (all optional, applied in order).

    ``quarter_turns`` turns the page clockwise; ``skew_deg`` rotates it
    further (positive = clockwise); ``scale`` shrinks it about its centre
    (fit to page); ``shift_mm`` moves it; ``blur_px`` is a Gaussian sigma;
    ``noise`` a Gaussian sigma in grey levels; ``jpeg`` a quality;
    ``bitonal`` thresholds at 50% after noise (dithered edges).
    """

    quarter_turns: int = 0
    skew_deg: float = 0.0
    scale: float = 1.0
    shift_mm: tuple[float, float] = (0.0, 0.0)
    blur_px: float = 0.0
    noise: float = 0.0
    jpeg: int | None = None
    bitonal: bool = False
    paper: int = 255
    seed: int = 0


def _bed(shape: tuple[int, int], how: Scan, dpi: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The 3x3 map from the turned page's pixels to the scan's, and the scan's (w, h)."""
    ppm = dpi / MM_PER_INCH
    h, w = shape
    a = np.radians(abs(how.skew_deg))
    bw = int(np.ceil(w * np.cos(a) + h * np.sin(a)))
    bh = int(np.ceil(h * np.cos(a) + w * np.sin(a)))
    m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), -how.skew_deg, how.scale)
    m[0, 2] += how.shift_mm[0] * ppm + (bw - w) / 2
    m[1, 2] += how.shift_mm[1] * ppm + (bh - h) / 2
    return np.vstack([m, [0, 0, 1]]), (bw, bh)


def page_to_scan(page_shape: tuple[int, int], how: Scan, dpi: float = 300) -> np.ndarray:
    """The true 3x3 map from page mm to the pixels of ``scan(page, how, dpi)``."""
    ppm = dpi / MM_PER_INCH
    h, w = page_shape
    to_px = np.array([[ppm, 0, -0.5], [0, ppm, -0.5], [0, 0, 1]])
    q = how.quarter_turns % 4
    turn = {
        0: np.eye(3),
        1: np.array([[0, -1, h - 1], [1, 0, 0], [0, 0, 1]]),  # clockwise
        2: np.array([[-1, 0, w - 1], [0, -1, h - 1], [0, 0, 1]]),
        3: np.array([[0, 1, 0], [-1, 0, w - 1], [0, 0, 1]]),
    }[q]
    turned = (w, h) if q % 2 else (h, w)
    m = np.eye(3)
    if how.skew_deg or how.scale != 1.0 or any(how.shift_mm):
        m, _ = _bed(turned, how, dpi)
    return m @ turn @ to_px


def scan(img: np.ndarray, how: Scan, dpi: float = 300) -> np.ndarray:
    """The page as a scanner would deliver it: uint8, 2-D."""
    out = np.rot90(img, k=-how.quarter_turns).copy() if how.quarter_turns % 4 else img
    if how.skew_deg or how.scale != 1.0 or any(how.shift_mm):
        # the scan bed is large enough for the skewed page (a flatbed, white lid)
        m, size = _bed(out.shape, how, dpi)
        out = cv2.warpAffine(out, m[:2], size, flags=cv2.INTER_LINEAR, borderValue=255)
    if how.paper != 255:
        out = (out.astype(np.float32) * (how.paper / 255.0)).astype(np.uint8)
    if how.blur_px:
        out = cv2.GaussianBlur(out, (0, 0), how.blur_px)
    rng = np.random.default_rng(how.seed)
    if how.noise:
        noisy = out.astype(np.float32) + rng.normal(0, how.noise, out.shape).astype(np.float32)
        out = np.clip(noisy, 0, 255).astype(np.uint8)
    if how.bitonal:
        out = np.where(out < 128, 0, 255).astype(np.uint8)
    if how.jpeg is not None:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, how.jpeg])
        assert ok
        out = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return out


def encode_page(img: np.ndarray) -> bytes:
    """A simulated page (`pipeline.simulate`) as a scanner would write it: JPEG (q85) in
    colour, PNG in grey."""
    import simulator as sim

    if img.ndim == 3:
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, 85])
    else:
        ok, buf = cv2.imencode(".png", sim.grey(img))
    assert ok
    return buf.tobytes()
