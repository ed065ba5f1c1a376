"""The processes that read pages: how each is set up, and the fork server
``kiemphieu scan --workers N`` starts its workers from.

The fork server imports the reader (`pipeline.reading`: OpenCV, NumPy, the
campaign's models) and this module once, and every worker is forked from it
ready to read. The server takes about 0.3 s to get ready; started first thing
by the command (`reader_context`), it does so while the command imports the
store and opens the workspace. A worker imports nothing more: its functions
live here, not in `pipeline.ingest`, whose import (the store, SQLAlchemy)
took each worker 0.25 s of CPU before its first page.

This module imports only the standard library at the top, so that starting
the server costs the command nothing; what reading needs is imported where it
is used (already imported in a worker).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver as forkserver
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omr.notes import NoteReference
    from pipeline.campaign import Thresholds
    from pipeline.layout import BallotLayout
    from pipeline.records import Reading

READER_MODULES = ["pipeline.readers", "pipeline.reading"]


def reader_context() -> multiprocessing.context.BaseContext:
    """The context to start reading processes with; its fork server started (once)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(READER_MODULES)
    forkserver.ensure_running()
    return context


def prepare_reading_process() -> None:
    """Set up a reading process: OpenCV on its own thread (see `pipeline.ingest`), and
    the C heap kept between pages.

    Every page allocates the same few large arrays (a 300-dpi page is 8.7 MB of
    grey, its patches and maps more); glibc gives each block over 128 KiB back
    to the system when it is freed and maps it afresh for the next page, a page
    fault per 4 KiB. Raising the mmap and trim thresholds keeps that memory in
    the heap for the next page: on 1,000 G4 pages, 0.6 s of system time
    instead of 2-7 s, peak memory the same (146 MB).
    """
    import cv2

    cv2.setNumThreads(1)
    c = libc()
    mallopt = getattr(c, "mallopt", None) if c is not None else None
    if mallopt is not None:
        m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
        mallopt(m_mmap_threshold, 32 << 20)  # the most glibc allows on 64 bits
        mallopt(m_trim_threshold, 1 << 30)


@functools.cache
def libc() -> ctypes.CDLL | None:
    """The C library, where it has ``syncfs`` (Linux); None elsewhere."""
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        lib.syncfs  # noqa: B018 - present on Linux only
    except (OSError, AttributeError):
        return None
    return lib


_worker_state: dict[str, Any] = {}


def worker_init(layout: BallotLayout, thresholds: Thresholds,
                printed: tuple[NoteReference, ...] | None) -> None:
    """A worker's initializer: set up, and keep what every page is read against
    (``printed``: the layout's `pipeline.printed.references`, made once by the command)."""
    from pipeline.printed import keep_references

    prepare_reading_process()
    if printed is not None:
        keep_references(layout, printed)
    _worker_state["layout"] = layout
    _worker_state["thresholds"] = thresholds


def worker_read(data: bytes) -> Reading:
    """Read one page's image bytes in a worker (`pipeline.reading.read_scan`)."""
    from pipeline.reading import read_scan

    return read_scan(data, _worker_state["layout"], _worker_state["thresholds"])
