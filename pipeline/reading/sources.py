"""Scan files in, one page image at a time out.

`iter_pages` walks the inputs of ``kiemphieu scan`` (files and folders) and
yields one `ScanPage` per page, in input order, never holding more than one
page's pixels: a 1,000-page stack costs the memory of one page.

Each page keeps its image as encoded bytes (the stored form, hashed to find a
page scanned twice) and is decoded to greyscale only when read:

- PNG, JPEG, BMP, WebP: the file's own bytes;
- TIFF: each page's compressed strips as the scanner wrote them, in a TIFF
  of their own (tiled or unusual pages re-encoded losslessly);
- PDF from a scanner: the page's one embedded image taken out as it is
  (a JPEG stays the same JPEG, no re-rendering); any other PDF page is
  rendered at 200 dpi. The images a PDF page holds are measured from their
  declared sizes before any is decoded (`_pdf_images_limit`).

A file that cannot be read yields a `SourceProblem` in place of its pages,
with its reason (`pipeline.domain.reasons`), so the rest of the stack is
still processed.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageSequence, UnidentifiedImageError

from omr.reasons import Reason
from pipeline.domain import reasons as why
from pipeline.domain.wording import t, words

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
SCAN_SUFFIXES = IMAGE_SUFFIXES | {".pdf"}
MAX_PIXELS = 120_000_000  # 600 dpi A3 is 70 MP; a 12 MP phone photo is far below
MAX_FILE_BYTES = 1 << 30
PDF_RENDER_DPI = 200

# What Pillow raises for damaged files (TypeError: "Missing dimensions" in a broken TIFF
# directory; EOFError, struct.error: cut files): each becomes a `SourceProblem`.
DAMAGED = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, TypeError, KeyError,
           IndexError, struct.error)

# Decompression bombs are refused by our own size check, with a message.
Image.MAX_IMAGE_PIXELS = None


@dataclass(frozen=True)
class ScanPage:
    """One page of one input file, as encoded image bytes."""

    source: str
    page_index: int
    data: bytes
    suffix: str  # the stored file's suffix: ".png", ".jpg", ".tif"

    @functools.cached_property
    def sha256(self) -> str:
        """SHA-256 of ``data`` (hex): the page's identity in the store; computed once."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class SourceProblem:
    """A file, or one page of it, that could not be taken in, and why."""

    source: str
    page_index: int
    reason: Reason


@dataclass(frozen=True)
class Skipped:
    """An entry of a folder that is not read as a scan, and why: ``why`` names the catalog's
    entry ``cli_skip_<why>`` (``not_scan``, ``hidden``, ``broken_link``, ``not_regular``,
    ``folder_again``, ``folder_unreadable``, ``unreadable``); ``cause``, for a folder or a
    file that cannot be read, what the system said (`pipeline.domain.reasons.failure`)."""

    path: Path
    why: str
    cause: Reason | None = None

    def in_words(self, lang: str) -> str:
        """Why it is skipped, in ``lang``."""
        return t(f"cli_skip_{self.why}", lang, cause=self.cause)

    def __str__(self) -> str:
        return f"{self.path}: skipped, {self.in_words('en')}"


class ImageRefused(ValueError):
    """An image refused or found damaged by this module, with why (``reason``)."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return words(self.reason, "en")


def detail(exc: BaseException) -> Reason:
    """What an error says, for a reason's ``detail``, as a reason worded in every language:
    ours as it is, a decoder's or the system's in our words (`pipeline.domain.reasons.failure`)."""
    return exc.reason if isinstance(exc, ImageRefused) else why.failure(exc)


def collect_inputs(inputs: Iterable[Path]) -> tuple[list[Path], list[Skipped]]:
    """Expand folders (recursively, in name order) into scan files.

    Returns the files and every file in a folder that is skipped, saying why (`Skipped`): not
    a scan (a note, a ``truth.json``), hidden, a link to nothing, not a regular file; and
    every folder that cannot be read. A missing input raises `FileNotFoundError`.
    """
    files: list[Path] = []
    skipped: list[Skipped] = []
    for item in inputs:
        if item.is_dir():
            found, passed = _folder_files(item)
            files += found
            skipped += passed
        elif item.is_file():
            files.append(item)
        else:
            raise FileNotFoundError(str(item))
    return files, skipped


def _folder_files(folder: Path) -> tuple[list[Path], list[Skipped]]:
    """The scan files under ``folder`` in name order, and why each other entry is skipped."""
    files: list[tuple[Path, Skipped | None]] = []

    def unreadable(exc: OSError) -> None:
        path = Path(exc.filename or folder)
        files.append((path, Skipped(path, "folder_unreadable", why.failure(exc))))

    seen = {os.path.realpath(folder)}
    for top, folders, names in os.walk(folder, onerror=unreadable, followlinks=True):
        # a link to a folder read already is not read again (folders first, then links)
        for name in sorted(folders, key=lambda n: (os.path.islink(Path(top) / n), n)):
            real = os.path.realpath(Path(top) / name)
            if real in seen:
                folders.remove(name)
                files.append((Path(top) / name, Skipped(Path(top) / name, "folder_again")))
            seen.add(real)
        for name in names:
            path = Path(top) / name
            files.append((path, _why_skipped(path)))
    ordered = sorted(files, key=lambda pair: pair[0])
    return ([path for path, why in ordered if why is None],
            [skip for _, skip in ordered if skip is not None])


def _why_skipped(path: Path) -> Skipped | None:
    """Why a file found in a folder is not read as a scan, or None to read it."""
    if path.name.startswith("."):
        return Skipped(path, "hidden")
    try:
        if not path.exists():
            return Skipped(path, "broken_link")
        if not path.is_file():
            return Skipped(path, "not_regular")
    except OSError as exc:
        return Skipped(path, "unreadable", why.failure(exc))
    if path.suffix.lower() not in SCAN_SUFFIXES:
        return Skipped(path, "not_scan")
    return None


def iter_pages(files: Iterable[Path]) -> Iterator[ScanPage | SourceProblem]:
    """Every page of every file, in order; unreadable files as `SourceProblem`."""
    for path in files:
        yield from _file_pages(path)


def _file_pages(path: Path) -> Iterator[ScanPage | SourceProblem]:
    source = str(path)
    try:
        size = path.stat().st_size
        if size == 0:
            yield SourceProblem(source, 0, why.FILE_EMPTY())
            return
        if size > MAX_FILE_BYTES:
            yield SourceProblem(source, 0, why.FILE_TOO_BIG(mib=size >> 20))
            return
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        yield SourceProblem(source, 0, why.FILE_UNREADABLE(detail=why.failure(exc)))
        return
    if head.startswith(b"%PDF"):
        yield from _pdf_pages(path)
    elif head[:4] in (b"II*\x00", b"MM\x00*"):
        yield from _tiff_pages(path)
    else:
        yield from _single_image(path)


def _single_image(path: Path) -> Iterator[ScanPage | SourceProblem]:
    source = str(path)
    data = path.read_bytes()
    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt = (im.format or "").upper()
            problem = _pixel_limit(im.size)
            if problem:
                yield SourceProblem(source, 0, problem)
                return
            frames = getattr(im, "n_frames", 1)
    except DAMAGED:
        yield SourceProblem(source, 0, why.NOT_AN_IMAGE())
        return
    suffix = {"PNG": ".png", "JPEG": ".jpg", "BMP": ".bmp", "WEBP": ".webp"}.get(fmt)
    if suffix is None:
        yield SourceProblem(source, 0, why.FORMAT_REFUSED(format=fmt) if fmt else why.FORMAT_UNKNOWN())
        return
    if frames > 1:
        yield SourceProblem(source, 0, why.ANIMATED(format=fmt, frames=frames))
        return
    yield ScanPage(source, 0, data, suffix)


def _tiff_pages(path: Path) -> Iterator[ScanPage | SourceProblem]:
    source = str(path)
    try:
        im = Image.open(path)
    except DAMAGED as exc:
        yield SourceProblem(source, 0, why.TIFF_UNOPENED(detail=detail(exc)))
        return
    with im, path.open("rb") as raw:
        # one page or more: known from the first page's link to a next one (counting the
        # pages first would read every page's tags twice, 0.1-0.2 ms a page)
        if not getattr(im, "is_animated", False):
            problem = _pixel_limit(im.size)
            if problem:
                yield SourceProblem(source, 0, problem)
                return
            try:
                yield ScanPage(source, 0, _tiff_page_bytes(im, raw), ".tif")
            except DAMAGED as exc:
                yield SourceProblem(source, 0, why.TIFF_DAMAGED(detail=detail(exc)))
            return
        index = 0
        try:
            for index, frame in enumerate(ImageSequence.Iterator(im)):
                problem = _pixel_limit(frame.size)
                if problem:
                    yield SourceProblem(source, index, problem)
                    continue
                try:
                    yield ScanPage(source, index, _tiff_page_bytes(frame, raw), ".tif")
                except DAMAGED as exc:
                    yield SourceProblem(source, index, why.TIFF_PAGE_DAMAGED(page=index + 1,
                                                                             detail=detail(exc)))
        except DAMAGED as exc:
            yield SourceProblem(source, index + 1, why.TIFF_DAMAGED_AFTER(page=index + 1,
                                                                          detail=detail(exc)))


# Tags copied into a page taken out of a TIFF: the image's own description,
# without the links to other pages, so that the same scan stored from a
# one-page file or from a page of a stack is the same bytes.
_TIFF_PAGE_TAGS = (256, 257, 258, 259, 262, 266, 277, 278, 282, 283, 284, 292, 293,
                   296, 317, 338, 339, 347, 530, 531, 532)
_TIFF_TILED = (322, 323, 324, 325)


def _tiff_page_bytes(frame: Image.Image, raw: BinaryIO) -> bytes:
    """One page of a TIFF as a TIFF file of its own, in a canonical form.

    The page's compressed strips are copied as the scanner wrote them (no
    re-encoding: a G4 page costs a fraction of a millisecond, and the stored
    bytes are the scanner's own); tiled or unusual pages are re-encoded.
    """
    tags = frame.tag_v2
    if any(t in tags for t in _TIFF_TILED) or 273 not in tags or 279 not in tags \
            or tags.get(284, 1) != 1:
        return _encode_tiff_page(frame)
    chunks = []
    for offset, count in zip(tags[273], tags[279], strict=True):
        raw.seek(offset)
        chunk = raw.read(count)
        if len(chunk) != count:
            raise ImageRefused(why.STRIP_PAST_END())
        chunks.append(chunk)
    data = b"".join(chunks)
    offsets, pos = [], 8
    for chunk in chunks:
        offsets.append(pos)
        pos += len(chunk)
    if pos % 2:
        data += b"\0"
        pos += 1
    entries = {t: (tags.tagtype[t], tags[t]) for t in _TIFF_PAGE_TAGS if t in tags}
    entries[273] = (4, tuple(offsets))
    entries[279] = (4, tuple(len(c) for c in chunks))
    extra_pos = pos + 2 + 12 * len(entries) + 4
    ifd, extra = struct.pack("<H", len(entries)), b""
    for tag in sorted(entries):
        typ, value = entries[tag]
        count, payload = _tiff_value(typ, value)
        if len(payload) <= 4:
            ifd += struct.pack("<HHI", tag, typ, count) + payload.ljust(4, b"\0")
        else:
            ifd += struct.pack("<HHII", tag, typ, count, extra_pos + len(extra))
            extra += payload + (b"\0" if len(payload) % 2 else b"")
    return b"II*\x00" + struct.pack("<I", pos) + data + ifd + b"\0\0\0\0" + extra


def _tiff_value(typ: int, value: object) -> tuple[int, bytes]:
    """(count, little-endian bytes) of a TIFF tag value of type ``typ``."""
    if typ == 2:  # ASCII
        data = (value if isinstance(value, bytes) else str(value).encode("latin-1")) + b"\0"
        return len(data), data
    if typ == 7:  # UNDEFINED
        data = value if isinstance(value, bytes) else bytes(value)  # type: ignore[arg-type]
        return len(data), data
    values = value if isinstance(value, tuple) else (value,)
    if typ == 5:  # RATIONAL
        out = b""
        for v in values:
            f = Fraction(float(v)).limit_denominator(1 << 30)
            out += struct.pack("<II", f.numerator, f.denominator)
        return len(values), out
    fmt = {1: "B", 3: "H", 4: "I"}.get(typ)
    if fmt is None:
        raise ImageRefused(why.TIFF_TAG_NOT_COPIED(type=typ))
    return len(values), struct.pack(f"<{len(values)}{fmt}", *(int(v) for v in values))


def _encode_tiff_page(frame: Image.Image) -> bytes:
    out = io.BytesIO()
    dpi = frame.info.get("dpi")
    extra = {"dpi": dpi} if dpi else {}
    if frame.mode == "1":
        frame.save(out, format="TIFF", compression="group4", **extra)
    else:
        frame.save(out, format="TIFF", compression="tiff_adobe_deflate", **extra)
    return out.getvalue()


def _pdf_pages(path: Path) -> Iterator[ScanPage | SourceProblem]:
    source = str(path)
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        yield SourceProblem(source, 0, why.PDF_UNOPENED(detail=detail(exc)))
        return
    try:
        for index in range(len(pdf)):
            try:
                page = pdf[index]
                try:
                    yield _pdf_page(source, index, page)
                finally:
                    page.close()
            except (pdfium.PdfiumError, OSError, ValueError) as exc:
                yield SourceProblem(source, index, why.PDF_PAGE_UNREADABLE(page=index + 1,
                                                                           detail=detail(exc)))
    finally:
        pdf.close()


def _pdf_page(source: str, index: int, page: pdfium.PdfPage) -> ScanPage | SourceProblem:
    width_pt, height_pt = page.get_size()
    problem = _pdf_images_limit(page, index)
    if problem:
        return SourceProblem(source, index, problem)
    objects = list(page.get_objects(max_depth=2))
    images = [o for o in objects if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE]
    if len(images) == 1 and len(objects) == 1 and page.get_rotation() == 0:
        image = images[0]
        a, b, c, d, _, _ = image.get_matrix().get()
        covers = a > 0.9 * width_pt and d > 0.9 * height_pt and abs(b) < 1e-6 and abs(c) < 1e-6
        if covers:
            filters = image.get_filters()
            if filters == ["DCTDecode"]:
                return ScanPage(source, index, bytes(image.get_data(decode_simple=False)), ".jpg")
            pil = image.get_bitmap(render=False).to_pil()
            problem = _pixel_limit(pil.size)
            if problem:
                return SourceProblem(source, index, problem)
            out = io.BytesIO()
            if pil.mode == "1":
                pil.save(out, format="TIFF", compression="group4")
                return ScanPage(source, index, out.getvalue(), ".tif")
            pil.convert("L").save(out, format="PNG", compress_level=1)
            return ScanPage(source, index, out.getvalue(), ".png")
    scale = PDF_RENDER_DPI / 72
    problem = _pixel_limit((int(width_pt * scale), int(height_pt * scale)))
    if problem:
        return SourceProblem(source, index, problem)
    bitmap = page.render(scale=scale, grayscale=True)
    array = bitmap.to_numpy()
    if array.ndim == 3:
        array = array[:, :, 0]
    ok, png = cv2.imencode(".png", np.ascontiguousarray(array), [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise ImageRefused(why.PAGE_NOT_ENCODED())
    return ScanPage(source, index, png.tobytes(), ".png")


def _pdf_images_limit(page: pdfium.PdfPage, index: int) -> Reason | None:
    """Why a PDF page is refused for the images it holds, before any is decoded, or None.

    Taking an embedded image out, and rendering the page, both decode every image at its
    own size whatever the page's: a 1.5 MB PDF can hold a 40000 x 40000 px image that
    costs 1.6 GB once decoded. The sizes declared in the images' dictionaries (px) are
    added up and held to `MAX_PIXELS`.
    """
    total, largest = 0, (0, 0)
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
        w, h = obj.get_px_size()
        total += w * h
        largest = max(largest, (w, h), key=lambda size: size[0] * size[1])
    if total > MAX_PIXELS:
        return why.PDF_IMAGES_TOO_BIG(page=index + 1, width=largest[0], height=largest[1],
                                      mp=total / 1e6, limit_mp=MAX_PIXELS // 1_000_000)
    return None


def _pixel_limit(size: tuple[int, int]) -> Reason | None:
    """Why an image of ``size`` (width, height: px) is refused before it is decoded, or None."""
    w, h = size
    if w <= 0 or h <= 0:
        return why.NO_PIXELS(width=w, height=h)
    if w * h > MAX_PIXELS:
        return why.TOO_MANY_PIXELS(width=w, height=h, mp=w * h / 1e6,
                                   limit_mp=MAX_PIXELS // 1_000_000)
    if max(w, h) > 20 * min(w, h):
        return why.NOT_PAGE_SHAPED(width=w, height=h)
    return None


def decode_gray(data: bytes) -> np.ndarray:
    """The page as a 2-D uint8 array (0 black, 255 white).

    1-bit images become 0/255. Raises `ValueError` if the bytes do not decode, and
    `ImageRefused` (a `ValueError`) if their header claims more pixels than
    `MAX_PIXELS` (a JPEG inside a PDF is not checked before this point: no
    decompression bomb is ever decoded).
    """
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        with Image.open(io.BytesIO(data)) as im:  # reads the header; pixels on demand
            problem = _pixel_limit(im.size)
            if problem:
                raise ImageRefused(problem)
            if im.mode == "1":  # PIL keeps 1-bit pixels as 0/255 bytes: take them as they are
                w, h = im.size
                return np.frombuffer(im.tobytes("raw", "L"), np.uint8).reshape(h, w)
            return np.ascontiguousarray(np.asarray(im.convert("L")))
    try:
        with Image.open(io.BytesIO(data)) as probe:  # reads the header only
            problem = _pixel_limit(probe.size)
    except DAMAGED:
        problem = None  # not for Pillow: OpenCV may still read it, or say it cannot
    if problem:
        raise ImageRefused(problem)
    buf = np.frombuffer(data, dtype=np.uint8)
    gray = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    if gray is None:
        try:
            im = Image.open(io.BytesIO(data))  # formats OpenCV lacks
        except UnidentifiedImageError:  # its message names a Python object, not the file
            raise ImageRefused(why.FORMAT_NOT_READ()) from None
        with im:
            return np.ascontiguousarray(np.asarray(im.convert("L")))
    return gray


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def count_pages(path: Path) -> int:
    """How many pages ``path`` holds, for a progress bar: a PDF's pages, a TIFF's frames, 1
    for another image or a file that cannot be opened (reading it says why)."""
    import pypdfium2 as pdfium

    try:
        if path.suffix.lower() == ".pdf":
            pdf = pdfium.PdfDocument(path)
            try:
                return len(pdf)
            finally:
                pdf.close()
        if path.suffix.lower() in (".tif", ".tiff"):
            with Image.open(path) as img:
                return max(1, getattr(img, "n_frames", 1))
    except (pdfium.PdfiumError, *DAMAGED):
        return 1
    return 1
