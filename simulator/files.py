"""Files.

A stack written in every input format ``kiemphieu scan`` accepts (`write_stack`,
`write_case`), and its truth read back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from PIL import Image

if TYPE_CHECKING:
    pass

from simulator.scanner import to_bitonal
from simulator.stack import Stack

#: Input formats ``kiemphieu scan`` accepts, as written here.
FORMATS = ("png", "jpeg", "tiff-g4", "tiff-grey", "pdf-jpeg", "pdf-g4")
_SUFFIX = {"png": ".png", "jpeg": ".jpg", "tiff-g4": ".tif", "tiff-grey": ".tif",
           "pdf-jpeg": ".pdf", "pdf-g4": ".pdf"}
_MULTI_PAGE = {"tiff-g4", "tiff-grey", "pdf-jpeg", "pdf-g4"}
# A fixed date in PDF metadata, so the same stack gives the same bytes.
_PDF_DATE = time.struct_time((2026, 1, 1, 0, 0, 0, 3, 1, 0))


@dataclass(frozen=True)
class PageFile:
    """Where one page went: the file and its 0-based page index within it."""

    path: Path
    page_index: int


def grey(img: np.ndarray) -> np.ndarray:
    if img.dtype == bool:
        return np.where(img, 255, 0).astype(np.uint8)
    if img.ndim == 3:
        return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    return img


def _pil(img: np.ndarray, mode: str) -> Image.Image:
    """``img`` as a PIL image in ``mode`` ("1", "L" or "colour": RGB or L as it is)."""
    if mode == "1":
        bits = img if img.dtype == bool else to_bitonal(grey(img))
        return Image.fromarray(bits)  # mode "1"
    if mode == "L" or img.dtype == bool or img.ndim == 2:
        return Image.fromarray(grey(img), mode="L")
    return Image.fromarray(img, mode="RGB")


def write_stack(images: Iterable[np.ndarray], fmt: str, path: Path | str, dpi: int, *,
                jpeg_quality: int = 85) -> tuple[PageFile, ...]:
    """Write page images as a scanner would, in one of `FORMATS`.

    - ``png``: grey PNG, one file per page;
    - ``jpeg``: JPEG at ``jpeg_quality``, colour if the page is RGB, one file per page;
    - ``tiff-g4``: one multi-page 1-bit TIFF, CCITT group 4;
    - ``tiff-grey``: one multi-page 8-bit grey TIFF, Deflate;
    - ``pdf-jpeg``: one PDF, each page a single embedded JPEG (scanner PDF);
    - ``pdf-g4``: one PDF, each page a single 1-bit CCITT G4 image.

    Pages that are not 1-bit are thresholded with Otsu's for the 1-bit
    formats; 1-bit pages are written 0/255 in the others. The resolution is
    recorded in every file. For one-per-page formats, ``path`` is the file
    when there is one page, else ``STEM-001.png``, ``STEM-002.png``, ...
    beside it.

    Returns
    -------
    tuple of PageFile
        For each image in order, the file and page index it is at.

    Raises
    ------
    ValueError
        Unknown format or no images.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown scan format '{fmt}'; use one of {', '.join(FORMATS)}")
    path = Path(path)
    imgs = list(images) if fmt in _MULTI_PAGE else images
    if fmt in _MULTI_PAGE:
        if not imgs:
            raise ValueError("no pages to write")
        assert isinstance(imgs, list)
        mode = "1" if fmt.endswith("g4") else ("L" if fmt == "tiff-grey" else "colour")
        pil = [_pil(im, mode) for im in imgs]
        if fmt.startswith("tiff"):
            pil[0].save(path, format="TIFF", save_all=True, append_images=pil[1:],
                        compression="group4" if fmt == "tiff-g4" else "tiff_adobe_deflate",
                        dpi=(dpi, dpi))
        else:
            jpeg = {"quality": jpeg_quality} if fmt == "pdf-jpeg" else {}
            pil[0].save(path, format="PDF", save_all=True, append_images=pil[1:],
                        resolution=float(dpi), creationDate=_PDF_DATE, modDate=_PDF_DATE,
                        producer="kiemphieu simulate", **jpeg)
        return tuple(PageFile(path, i) for i in range(len(pil)))
    pending = list(imgs)
    if not pending:
        raise ValueError("no pages to write")
    out = []
    for i, im in enumerate(pending):
        p = path if len(pending) == 1 else path.with_name(f"{path.stem}-{i + 1:03d}{path.suffix}")
        if fmt == "png":
            # zlib's fastest level, as scanner drivers write PNG: lossless all the same
            _pil(im, "L").save(p, format="PNG", dpi=(dpi, dpi), compress_level=1)
        else:
            _pil(im, "colour").save(p, format="JPEG", quality=jpeg_quality, dpi=(dpi, dpi))
        out.append(PageFile(p, 0))
    return tuple(out)


def _batches(pages: Sequence[int], units: Sequence[int], parts: int) -> list[list[int]]:
    """Cut ``pages`` into at most ``parts`` contiguous runs, only between sheet groups."""
    n = len(pages)
    starts = [0]
    for k in range(1, parts):
        at = round(k * n / parts)
        while 0 < at < n and units[pages[at]] == units[pages[at - 1]]:
            at += 1
        if starts[-1] < at < n:
            starts.append(at)
    return [list(pages[a:b]) for a, b in zip(starts, [*starts[1:], n], strict=True)]


def write_case(directory: Path | str, stack: Stack, formats: Sequence[str], *,
               stem: str = "scan") -> Path:
    """Write a stack as a folder of scan files plus ``truth.json``.

    The stack is cut, between ballots, into one batch per entry of
    ``formats`` (a format may repeat), as if scanned in several runs; batch
    k goes to ``STEM-kk.pdf`` / ``.tif``, or ``STEM-kk-nnn.png`` / ``.jpg``
    one page per file. A page scanned twice (``rescan``) is written alone,
    in its first scan's format, to a file named after that scan's file with
    ``r1``, ``r2``, ... added (``scan-03r1.tif``), which sorts right after
    it: scanning the folder in name order meets the first scan first.

    ``truth.json`` holds, for each page in feed order, ``source`` (the file
    name relative to ``directory``, POSIX form), ``page_index`` (0-based
    within that file) and the expected `PageTruth` fields, then the expected
    per-candidate ``counts`` and page ``statuses``. ``kiemphieu scan`` reports
    ``source`` as the path it was given, so match on the part after the
    folder (see `read_truth`).

    Returns
    -------
    pathlib.Path
        The ``truth.json`` written.

    Raises
    ------
    ValueError
        No formats, or an unknown one.
    """
    directory = Path(directory)
    if not formats:
        raise ValueError("give at least one scan format")
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown scan format '{fmt}'; use one of {', '.join(FORMATS)}")
    directory.mkdir(parents=True, exist_ok=True)
    records: list[dict[str, object]] = [{} for _ in range(len(stack))]

    def record(i: int, pf: PageFile, fmt: str) -> None:
        records[i] = {"source": pf.path.relative_to(directory).as_posix(),
                      "page_index": pf.page_index, "format": fmt, **stack.truth[i].to_json()}

    first = [i for i, t in enumerate(stack.truth) if t.kind != "rescan"]
    for k, (fmt, pages) in enumerate(zip(formats, _batches(first, stack.units, len(formats)),
                                         strict=False)):
        target = directory / f"{stem}-{k + 1:02d}{_SUFFIX[fmt]}"
        where = write_stack((stack.images[i] for i in pages), fmt, target, stack.dpi,
                            jpeg_quality=stack.profile.jpeg_quality)
        for i, pf in zip(pages, where, strict=True):
            record(i, pf, fmt)
    again: dict[str, int] = {}
    for i, t in enumerate(stack.truth):
        if t.kind != "rescan":
            continue
        assert t.duplicate_of is not None
        src = records[t.duplicate_of]
        name, fmt = str(src["source"]), str(src["format"])
        again[name] = again.get(name, 0) + 1
        target = directory / f"{Path(name).stem}r{again[name]}{_SUFFIX[fmt]}"
        (pf,) = write_stack([stack.images[i]], fmt, target, stack.dpi,
                            jpeg_quality=stack.profile.jpeg_quality)
        record(i, pf, fmt)
        records[i]["first_scan"] = {"source": name, "page_index": src["page_index"]}
    truth = {
        "campaign": stack.campaign_id,
        "dpi": stack.dpi,
        "profile": asdict(stack.profile),
        "pages": records,
        "counts": {str(k): v for k, v in stack.counts().items()},
        "statuses": stack.statuses(),
    }
    out = directory / "truth.json"
    out.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out


def read_truth(path: Path | str) -> dict[tuple[str, int], dict[str, object]]:
    """``truth.json`` as {(source relative to its folder, page_index): page record}."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {(str(p["source"]), int(p["page_index"])): p for p in data["pages"]}
