"""Pictures of stored pages for people: a row cut out upright, a whole page upright, two
pages side by side (a page held as probably the same sheet as another, beside it).

Cut from the stored page image (``WS/images/...``) through the page
transform stored with it (``page.homography``: page mm -> image px), so a
page scanned upside down or skewed is shown upright, and page areas are
named in the layout's millimetres. A page the machine could not place (no
transform) is shown as scanned.

Images are decoded in colour, so a reviewer sees the pen's colour.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from omr.geometry import Rect
from pipeline.domain.layout import BallotLayout

ROW_MARGIN_MM = 3.0  # above and below the printed row band
ROW_PX_PER_MM = 8.0  # a 180 mm row becomes 1,490 px wide
ZOOM_PX_PER_MM = 14.0  # the three boxes (about 66 mm) become about 920 px wide
PAGE_PX_PER_MM = 4.0  # an A4 page becomes 840 x 1,188 px
MAX_UNPLACED_SIDE = 1400  # px: longest side of a page shown as scanned
PAIR_PX_PER_MM = 3.5  # each of two pages side by side: 735 x 1,040 px for A4
PAIR_GAP_PX = 24


class ImageMissing(Exception):
    """The stored image file is gone or unreadable."""


@dataclass(frozen=True)
class RowView:
    """The area cut out for a row (mm) and its boxes, in mm relative to that area."""

    area: Rect
    boxes: tuple[Rect, ...]


def row_view(layout: BallotLayout, ballot_page: int, candidate: int, *,
             boxes_only: bool = False) -> RowView:
    """Where a candidate's row is printed on ``ballot_page``, with a margin.

    ``boxes_only``: just the three level columns, for a close look at the marks.
    """
    page = layout.page(ballot_page)
    for cand, spec in zip(page.candidates, page.template.rows, strict=True):
        if cand.stt == candidate:
            band = spec.band
            if boxes_only:
                first, last = spec.boxes[0], spec.boxes[-1]
                pad = (band.h - first.h) / 2 + 2
                x0, x1 = first.x - pad, last.x + last.w + pad
                area = Rect(x0, band.y - ROW_MARGIN_MM, x1 - x0, band.h + 2 * ROW_MARGIN_MM)
            else:
                area = Rect(band.x - 2, band.y - ROW_MARGIN_MM, band.w + 4, band.h + 2 * ROW_MARGIN_MM)
            boxes = tuple(Rect(b.x - area.x, b.y - area.y, b.w, b.h) for b in spec.boxes)
            return RowView(area, boxes)
    raise KeyError(f"candidate {candidate} is not on page {ballot_page}")


def decode_colour(data: bytes) -> np.ndarray:
    """Encoded image bytes to a BGR uint8 array (H, W, 3); 1-bit and grey become grey BGR."""
    if data[:4] not in (b"II*\x00", b"MM\x00*"):
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if img is not None:
            return img
    with Image.open(io.BytesIO(data)) as im:
        rgb = np.asarray(im.convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])


def warp_area(image: np.ndarray, homography: list[list[float]], area: Rect,
              px_per_mm: float) -> np.ndarray:
    """The page area ``area`` (mm), upright, at ``px_per_mm``; outside the image is white."""
    w = max(1, round(area.w * px_per_mm))
    h = max(1, round(area.h * px_per_mm))
    sx, sy = area.w / w, area.h / h
    to_page = np.array([[sx, 0, area.x + 0.5 * sx], [0, sy, area.y + 0.5 * sy], [0, 0, 1]])
    m = np.asarray(homography, dtype=np.float64) @ to_page
    # shrinking a 300-dpi page to a few px/mm: area averaging would be kinder, but a
    # linear warp of a lightly blurred source is as good and needs no second pass
    scale = float(np.sqrt(abs(np.linalg.det(np.asarray(homography, dtype=np.float64)[:2, :2]))))
    if scale > 2.5 * px_per_mm:
        k = int(scale / px_per_mm) | 1
        image = cv2.blur(image, (k, k))
    return cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))


def fit_within(image: np.ndarray, side: int) -> np.ndarray:
    h, w = image.shape[:2]
    f = side / max(h, w)
    if f >= 1:
        return image
    return cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)


def encode_jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("cannot encode the image as JPEG")
    return buf.tobytes()


class PageImages:
    """Decoded page images of one workspace, the last few kept in memory.

    Rows of one page come one after another in the queue, so keeping the
    last pages decoded makes every row after the first cost only a warp.
    Thread-safe. ``images_root`` is ``WS``; stored paths must stay inside
    ``WS/images``.
    """

    def __init__(self, ws_path: Path, keep: int = 3) -> None:
        self.root = ws_path.resolve()
        self.images = self.root / "images"
        self.keep = keep
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def path_of(self, image_path: str) -> Path:
        """The stored file for a page's ``image_path``; refuses anything outside WS/images."""
        path = (self.root / image_path).resolve()
        if not path.is_relative_to(self.images):
            raise ImageMissing(f"stored image path {image_path!r} is outside the workspace's images")
        return path

    def load(self, image_path: str) -> np.ndarray:
        with self._lock:
            if image_path in self._cache:
                self._cache.move_to_end(image_path)
                return self._cache[image_path]
        try:
            data = self.path_of(image_path).read_bytes()
            image = decode_colour(data)
        except (OSError, ValueError) as exc:
            raise ImageMissing(f"cannot read the stored image {image_path}: {exc}") from None
        with self._lock:
            self._cache[image_path] = image
            while len(self._cache) > self.keep:
                self._cache.popitem(last=False)
        return image

    def row_jpeg(self, image_path: str, homography: list[list[float]], view: RowView,
                 px_per_mm: float = ROW_PX_PER_MM) -> bytes:
        return encode_jpeg(warp_area(self.load(image_path), homography, view.area, px_per_mm), 90)

    def page_jpeg(self, image_path: str, homography: list[list[float]] | None,
                  page_size_mm: tuple[float, float], px_per_mm: float = PAGE_PX_PER_MM) -> bytes:
        """The whole page upright at ``px_per_mm``, or as scanned if it was never placed."""
        image = self.load(image_path)
        if homography is None:
            return encode_jpeg(fit_within(image, MAX_UNPLACED_SIDE), 80)
        area = Rect(0, 0, page_size_mm[0], page_size_mm[1])
        return encode_jpeg(warp_area(image, homography, area, px_per_mm), 80)


def side_by_side(images: PageImages, layout: BallotLayout, pages: list[Mapping[str, Any]],
                 labels: list[str]) -> bytes:
    """Pages upright at ``PAIR_PX_PER_MM``, left to right, each with its label (ASCII) above
    it, as one JPEG: the same sheet seen twice, to compare stroke by stroke."""
    w_mm, h_mm = layout.frame.page_size_mm
    pictures = []
    for page, label in zip(pages, labels, strict=True):
        image = images.load(page["image_path"])
        if page["homography"]:
            upright = warp_area(image, page["homography"], Rect(0, 0, w_mm, h_mm), PAIR_PX_PER_MM)
        else:
            upright = fit_within(image, round(h_mm * PAIR_PX_PER_MM))
        head = np.full((40, upright.shape[1], 3), 255, np.uint8)
        cv2.putText(head, label, (8, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (20, 20, 20), 2,
                    cv2.LINE_AA)
        pictures.append(np.vstack([head, upright]))
    height = max(p.shape[0] for p in pictures)
    gap = np.full((height, PAIR_GAP_PX, 3), 200, np.uint8)
    row = []
    for i, p in enumerate(pictures):
        if p.shape[0] < height:
            p = np.vstack([p, np.full((height - p.shape[0], p.shape[1], 3), 255, np.uint8)])
        row += [gap, p] if i else [p]
    return encode_jpeg(np.hstack(row), 85)


def review_picture(images: PageImages, layout: BallotLayout, item: Any,
                   page: Mapping[str, Any], twin: Mapping[str, Any] | None = None) -> bytes:
    """The picture a person decides a review item on, as JPEG: a row item's printed row
    (name, position and its three boxes) cut upright from the scan; a page item's whole
    page upright (or as scanned, if it was never placed); a page held as probably the same
    sheet as another: the page stored before (``twin``) and this one, side by side.

    ``item`` is a `pipeline.workflow.review.Item` (its ``kind``, ``ballot_page`` and
    ``candidate``), ``page`` its page's stored record (``image_path``, ``homography``),
    ``twin`` the other page's.

    Raises
    ------
    ImageMissing
        The stored image cannot be read.
    """
    if item.kind == "same" and twin is not None:
        return side_by_side(images, layout, [twin, page],
                            [f"#{twin['id']}", f"#{page['id']}"])
    if item.kind == "row" and page["homography"] and item.ballot_page:
        view = row_view(layout, item.ballot_page, item.candidate)
        return images.row_jpeg(page["image_path"], page["homography"], view)
    return images.page_jpeg(page["image_path"], page["homography"], layout.frame.page_size_mm)
