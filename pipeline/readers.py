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

import collections
import ctypes
import ctypes.util
import functools
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver as forkserver
import queue
import signal
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, cast

from pipeline.errors import KiemphieuError

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


class ReadingPool:
    """``workers`` processes reading pages (`pipeline.reading.read_scan`), fed in turn.

    Each worker has a pipe of its own each way. A page's bytes go to the
    worker with the fewest pages in hand, written by a thread of this process
    kept for that worker (a 300-dpi JPEG of 1.5 MB fills a pipe many times
    over while the worker reads the page before); its reading comes back on
    the other pipe. Readings are taken back in the order the pages were sent.

    Why not `concurrent.futures.ProcessPoolExecutor`: its queue of calls,
    feeding and managing threads and futures cost the command 0.22-0.28 ms of
    CPU a page with nothing to read, against 0.06 here (1,000 G4 pages, the
    same readings handed back); with two workers reading, its threads took
    0.5 ms a page and more of the two CPUs the workers share (BENCHMARKS.md).

    A worker that dies (killed, out of memory) is found when its reading is
    due: `ReaderStopped`, which says so. Ctrl+C is left to the command: the
    workers ignore it, and each ends when its pipe closes.
    """

    def __init__(self, workers: int, layout: BallotLayout, thresholds: Thresholds,
                 printed: tuple[NoteReference, ...] | None) -> None:
        context = reader_context()
        self._workers: list[_Worker] = []
        self._due: collections.deque[_Worker] = collections.deque()  # one per page sent
        try:
            for n in range(workers):
                self._workers.append(_Worker(context, n, (layout, thresholds, printed)))
        except BaseException:
            self.close()
            raise

    def send(self, data: bytes) -> None:
        """Hand a page's encoded image to the worker with the fewest pages in hand."""
        worker = min(self._workers, key=lambda w: w.in_hand)
        worker.send(data)
        self._due.append(worker)

    def receive(self) -> Reading:
        """The reading of the oldest page sent and not yet received."""
        return self._due.popleft().receive()

    def close(self) -> None:
        """Close every worker's pipes (each ends at its next page) and wait for it."""
        for worker in self._workers:
            worker.close()

    def __enter__(self) -> ReadingPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ReaderStopped(KiemphieuError):
    """A reading process ended before handing back a page's reading."""


@dataclass(frozen=True)
class _Failed:
    """What a worker hands back for a page its reader raised on (a bug: `read_scan` does
    not raise for bad pixels), raised in the command as RuntimeError."""

    error: str


class _Worker:
    """One reading process, its two pipes, and the thread that writes its pages."""

    def __init__(self, context: multiprocessing.context.BaseContext, number: int,
                 setup: tuple[Any, ...]) -> None:
        pages_out, self._pages = context.Pipe(duplex=False)
        self._readings, readings_in = context.Pipe(duplex=False)
        self.process = context.Process(target=serve, args=(pages_out, readings_in, *setup),
                                       name=f"kiemphieu-reader-{number}", daemon=True)
        self.process.start()
        pages_out.close()
        readings_in.close()
        self.in_hand = 0
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write, name=f"kiemphieu-to-reader-{number}",
                                        daemon=True)
        self._writer.start()

    def _write(self) -> None:
        while (data := self._outbox.get()) is not None:
            try:
                self._pages.send_bytes(data)
            except OSError:  # the worker is gone: `receive` says so
                return

    def send(self, data: bytes) -> None:
        self.in_hand += 1
        self._outbox.put(data)

    def receive(self) -> Reading:
        try:
            result = self._readings.recv()
        except (EOFError, OSError):
            self.process.join(timeout=1.0)
            code = self.process.exitcode
            how = ("was killed (out of memory?)" if code == -9 else
                   f"was stopped by signal {-code}" if code is not None and code < 0 else
                   f"ended with status {code}" if code is not None else "stopped answering")
            raise ReaderStopped(f"a reading process {how} before handing back a page") from None
        self.in_hand -= 1
        if isinstance(result, _Failed):
            raise RuntimeError(result.error)
        return cast("Reading", result)

    def close(self) -> None:
        self._outbox.put(None)
        self._writer.join(timeout=5.0)
        self._pages.close()  # the worker's next receive ends it
        self._readings.close()
        self.process.join(timeout=5.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def serve(pages: Connection, readings: Connection, layout: BallotLayout,
          thresholds: Thresholds, printed: tuple[NoteReference, ...] | None) -> None:
    """A worker's life: set up, then read each page that comes, until its pipe closes.

    ``printed``: the layout's `pipeline.printed.references`, made once by the
    command and kept here, not rendered again in each worker.
    """
    from pipeline.printed import keep_references
    from pipeline.reading import read_scan

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the command's to answer
    prepare_reading_process()
    if printed is not None:
        keep_references(layout, printed)
    while True:
        try:
            data = pages.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            result: Any = read_scan(data, layout, thresholds)
        except Exception as exc:  # a bug in the reader: told by the command, not here
            result = _Failed(f"the reader failed on a page: {type(exc).__name__}: {exc}")
        try:
            readings.send(result)
        except OSError:
            return
