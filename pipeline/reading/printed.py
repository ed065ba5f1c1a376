"""The ballot as printed, as the reader compares a scan with it: the unmarked page, for
finding handwriting outside the boxes, and the printed codes (`code_matrices`).

`omr.notes.find_notes` compares a scan with an image of what was printed on
the page. That image is the ballot's own PDF (`pipeline.documents.ballot_pdf`, the
one ``kiemphieu print`` makes from the campaign) rendered with pdfium at
the reader's low resolution (3 px/mm): made the first time a page of a
layout is read in a process and kept for the process's life, whatever the
number of pages it reads. ``kiemphieu scan`` takes them from its workspace
(`references` with ``kept_in``): rendered by ``kiemphieu new`` (or, if lost,
by the next scan) and kept in ``WS/printed/``, loaded by every scan in a few
milliseconds, where rendering them took 0.2-0.3 s of each scan's start (the
PDF libraries imported, the fonts read, the PDF made and rendered). With
``--workers N`` the command gives them to its workers (`keep_references`).
"""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from omr.geometry import PageTemplate, Rect
from omr.notes import (
    DEFAULT_NOTE_PARAMS,
    NoteParams,
    NoteReference,
    note_reference,
)
from pipeline.domain.layout import BallotLayout, qr_matrix
from pipeline.files import atomic_write

#: Draws every page of one copy of a layout's ballot as printed, grey at a px/mm.
Render = Callable[[BallotLayout, float], tuple[np.ndarray, ...]]

#: Around the place for the body's seal (mm): a real seal is stamped about there, in red
#: or violet ink, and laps over it: 34-40 mm across on a 32 mm place, stamped up to 5 mm off.
SEAL_SLACK_MM = 10.0
_CACHE_SIZE = 8

_cache: dict[tuple[str, str, float], tuple[NoteReference, ...]] = {}
_lock = threading.Lock()
_making = threading.Lock()  # held while references are made (`references`)


# the digest of a campaign, by the campaign object (kept with it): its repr and SHA-256 took
# 65 us, and the key is asked for on every page read
_digests: dict[int, tuple[object, str]] = {}


def _key(layout: BallotLayout, params: NoteParams) -> tuple[str, str, float] | None:
    campaign = layout.campaign
    if campaign is None:
        return None
    kept = _digests.get(id(campaign))
    if kept is None or kept[0] is not campaign:
        kept = (campaign, hashlib.sha256(repr(campaign).encode("utf-8")).hexdigest()[:16])
        with _lock:
            if len(_digests) >= _CACHE_SIZE:
                _digests.pop(next(iter(_digests)))
            _digests[id(campaign)] = kept
    return (layout.fingerprint + ("|test" if layout.test else ""), kept[1], params.px_per_mm)


def code_matrices(layout: BallotLayout) -> dict[str, np.ndarray]:
    """Every page's code text and its symbol's dark modules (bool, (n, n)), as printed
    (`pipeline.domain.layout.qr_matrix`): what a code a streak broke is matched against
    (`omr.page.place_page`'s ``printed_codes``)."""
    return {text: np.array(qr_matrix(text), dtype=bool)
            for text in (layout.code_text(p) for p in range(1, layout.page_count + 1))}


def page_tables(layout: BallotLayout) -> dict[str, PageTemplate]:
    """Every page's code text and its template, as printed: what a page whose code is gone
    is named by (`omr.page.place_page`'s ``printed_tables``)."""
    return {layout.code_text(p): layout.page(p).template
            for p in range(1, layout.page_count + 1)}


def seal_place(layout: BallotLayout) -> Rect | None:
    """The place the ballot prints for the issuing body's seal (from the layout's template,
    on its first page's header), or None if it prints none."""
    seal = layout.spec.get("seal")
    if not seal:
        return None
    s = float(seal["size"])
    return Rect(float(seal["x"]), float(seal["y"]), s, s)


def seal_places(layout: BallotLayout) -> tuple[Rect, ...]:
    """The place for the issuing body's seal grown by `SEAL_SLACK_MM`: ink there is the
    seal, not a voter's note."""
    place = seal_place(layout)
    return () if place is None else (place.inset(-SEAL_SLACK_MM),)


def references(layout: BallotLayout, params: NoteParams = DEFAULT_NOTE_PARAMS, *,
               render: Render | None = None,
               kept_in: Path | None = None) -> tuple[NoteReference, ...] | None:
    """Each page's `omr.notes.NoteReference`, made once per process.

    None without a campaign, or when they are not made yet in this process and no
    ``render`` is given (`pipeline.documents.ballot_pdf.printed_pages`: the reader itself
    never draws the ballot; the command that reads makes them first).

    ``kept_in`` (a workspace's ``printed/``): the printed pages are rendered the first
    time and kept there, in a file named by the layout's fingerprint, the campaign, the
    resolution and the kiemphieu version that rendered them, and loaded from it after; a
    missing, unreadable or damaged file is rendered again (and kept again if the folder
    can be written: it is only a copy).
    """
    key = _key(layout, params)
    if key is None:
        return None
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    # made by one thread at a time (a process reads on two): pdfium is not thread-safe,
    # and the thread that waited finds them made
    with _making:
        with _lock:
            hit = _cache.get(key)
        if hit is not None:
            return hit
        path = _kept_path(kept_in, key) if kept_in is not None else None
        pages = _load_pages(path, layout.page_count) if path is not None else None
        if pages is None:
            if render is None:
                return None
            pages = render(layout, params.px_per_mm)
            if path is not None:
                _keep_pages(path, pages)
        return _made(layout, pages, params)


def _kept_path(folder: Path, key: tuple[str, str, float]) -> Path:
    from importlib import metadata

    try:
        version = metadata.version("kiemphieu")
    except metadata.PackageNotFoundError:  # run from a source tree, not installed
        version = "source"
    name = hashlib.sha256(repr((*key, version)).encode("utf-8")).hexdigest()[:24]
    return folder / f"printed-{name}.npz"


def _load_pages(path: Path, count: int) -> tuple[np.ndarray, ...] | None:
    """The ``count`` pages kept in ``path``; None if it is missing or not what was kept."""
    try:
        with np.load(path, allow_pickle=False) as kept:
            pages = tuple(kept[f"page_{n}"] for n in range(1, count + 1))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # missing, damaged
        return None
    if any(p.ndim != 2 or p.dtype != np.uint8 for p in pages):
        return None
    return pages


def _keep_pages(path: Path, pages: tuple[np.ndarray, ...]) -> None:
    out = io.BytesIO()
    np.savez_compressed(out, **{f"page_{n}": p for n, p in enumerate(pages, start=1)})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, out.getvalue(), durable=False)  # a copy: whole or absent, no fsync
    except OSError:
        pass  # a workspace that cannot keep it renders the pages again next time


def _made(layout: BallotLayout, pages: tuple[np.ndarray, ...], params: NoteParams
          ) -> tuple[NoteReference, ...]:
    """Each page's reference made from the printed ``pages``, and kept for this process."""
    if len(pages) != layout.page_count:
        raise ValueError(f"the printed ballot has {len(pages)} pages, the layout "
                         f"{layout.page_count}")
    ignore = seal_places(layout)  # printed on the header of each form's first page only
    firsts = {f.first_page for f in layout.forms}
    refs = tuple(note_reference(img, p.template,
                                ignore=ignore if p.template.page in firsts else (),
                                params=params)
                 for img, p in zip(pages, layout.pages, strict=True))
    keep_references(layout, refs, params)
    return refs


def keep_references(layout: BallotLayout, refs: tuple[NoteReference, ...],
                    params: NoteParams = DEFAULT_NOTE_PARAMS) -> None:
    """Keep ``refs`` (`references` of ``layout``, made in another process) for this one:
    a worker given them by the command (`pipeline.reading.workers.serve`) does not render
    the ballot again."""
    key = _key(layout, params)
    if key is None:
        return
    with _lock:
        if key not in _cache and len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = refs
