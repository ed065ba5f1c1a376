"""The processes that read pages: how each is set up, the fork server
``kiemphieu scan --workers N`` starts its workers from, and the reading of
pages in this process, on two threads (`read_in_turn`).

The fork server imports the reader (`pipeline.reading.page`: OpenCV, NumPy, the
campaign's models) and this module once, and every worker is forked from it
ready to read. The server takes about 0.3 s to get ready; started first thing
by the command (`reader_context`), it does so while the command imports the
store and opens the workspace. A worker imports nothing more: its functions
live here, not in `pipeline.workflow.ingest`, whose import (the store, SQLAlchemy)
took each worker 0.25 s of CPU before its first page.

This module imports only the standard library (and `pipeline.domain.errors`, which
imports nothing) at the top, so that starting the server costs the command
nothing; what reading needs is imported where it is used (already imported
in a worker).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver as forkserver
import multiprocessing.process
import multiprocessing.queues
import os
import signal
import traceback
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any, TypeVar, cast

from omr.reasons import Reason
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.reasons import failure

if TYPE_CHECKING:
    from omr.decide import MarkRule
    from omr.notes import NoteReference
    from pipeline.domain.layout import BallotLayout
    from pipeline.domain.records import Reading

READER_MODULES = ["pipeline.reading.workers", "pipeline.reading.page"]
READING_THREADS = 2
QUEUED_PAGES = 2

K = TypeVar("K")


def read_in_turn(pages: Iterable[tuple[K, bytes | None, MarkRule]], layout: BallotLayout,
                 queued: int = QUEUED_PAGES, threads: int = READING_THREADS
                 ) -> Iterator[tuple[K, Reading | None]]:
    """Each page's reading (`pipeline.reading.page.read_scan`), in input order, read in this
    process by ``threads`` threads, each decoding and reading a page of its own; ``(key,
    None)`` for a page given without bytes (nothing to read).

    A page's decode runs in C without the GIL (OpenCV for a JPEG, Pillow for a TIFF), and
    so do about half of its reading (OpenCV's warps, filters and histograms); the rest
    is Python, one thread at a time. Two threads each reading a page keep two CPUs
    busier than one thread decoding ahead of one reading: BENCHMARKS.md, "Speed and memory".
    At most ``queued`` pages wait to be read beyond those being read (a page waits as
    its encoded bytes; its pixels exist only while it is read). An error raised by
    ``pages`` comes after the readings of the pages before it, as in line (the scan
    stores those first); leaving early stops the threads once the pages they hold are
    read, and the queued pages are not read.
    """
    from pipeline.reading.page import read_scan

    def read(data: bytes, thresholds: MarkRule) -> Reading:
        return read_scan(data, layout, thresholds)

    def finish(key: K, reading: Future[Reading] | None) -> tuple[K, Reading | None]:
        return key, None if reading is None else reading.result()

    window: deque[tuple[K, Future[Reading] | None]] = deque()
    source = iter(pages)
    with ThreadPoolExecutor(max_workers=max(1, threads),
                            thread_name_prefix="kiemphieu-read") as readers:
        try:
            while True:
                try:
                    key, data, thresholds = next(source)
                except StopIteration:
                    break
                except Exception:
                    # the pages before the error are read and handed on first, as in line
                    while window:
                        yield finish(*window.popleft())
                    raise
                window.append((key, None if data is None else readers.submit(read, data,
                                                                              thresholds)))
                if len(window) > threads + queued:
                    yield finish(*window.popleft())
            while window:
                yield finish(*window.popleft())
        finally:
            readers.shutdown(cancel_futures=True)


def reader_context() -> multiprocessing.context.BaseContext:
    """The context to start reading processes with; its fork server started (once)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(READER_MODULES)
    forkserver.ensure_running()
    return context


def prepare_reading_process() -> None:
    """Set up a reading process: OpenCV on its own thread (see `pipeline.workflow.ingest`), and
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
    """``workers`` processes reading pages (`pipeline.reading.page.read_scan`).

    Pages wait in one queue, and each worker takes the next when it is free,
    so a page that takes long (a phone photo, a page with a note) holds up
    only its own worker. Each worker hands its readings back on a pipe of its
    own, with the page's number; `receive` gives them in the order the pages
    were sent.

    Why not `concurrent.futures.ProcessPoolExecutor`: its managing thread and
    futures cost the command 0.22-0.28 ms of CPU a page with nothing to read,
    against 0.06 for pipes alone (1,000 G4 pages, the same readings handed
    back); with two workers reading 1,000 G4 pages, the command took 7.69 s
    against 7.88 and 2.75 s of CPU against 2.98 (medians of 4 alternate
    turns, BENCHMARKS.md).

    A worker that dies (killed, out of memory) is found as soon as its pipe
    closes: `ReaderStopped`, which says so. Ctrl+C is left to the command:
    the workers ignore it and are stopped when the pool is closed.
    """

    def __init__(self, workers: int, layout: BallotLayout, thresholds: MarkRule,
                 printed: tuple[NoteReference, ...] | None) -> None:
        context = reader_context()
        self._pages: multiprocessing.queues.Queue[tuple[int, bytes] | None] = context.Queue()
        self._readings: dict[Connection, multiprocessing.process.BaseProcess] = {}
        self._done: dict[int, Any] = {}  # readings received ahead of their turn, by page number
        self._sent = 0
        try:
            for n in range(workers):
                ours, theirs = context.Pipe(duplex=False)
                process = context.Process(
                    target=serve, args=(self._pages, theirs, layout, thresholds, printed),
                    name=f"kiemphieu-reader-{n}", daemon=True)
                process.start()
                theirs.close()
                self._readings[ours] = process
        except BaseException:
            self.close(stop=True)
            raise

    def send(self, data: bytes) -> int:
        """Queue a page's encoded image for the next free worker; returns its number."""
        number = self._sent
        self._pages.put((number, data))
        self._sent += 1
        return number

    def receive(self, number: int) -> Reading:
        """The reading of page ``number``, waiting for it if it is not back yet."""
        while number not in self._done:
            for ready in wait(list(self._readings)):
                conn = cast("Connection", ready)
                try:
                    got, result = conn.recv()
                except (EOFError, OSError):
                    raise self._stopped(conn) from None
                self._done[got] = result
        result = self._done.pop(number)
        if isinstance(result, _Failed):
            raise ReaderFailed(key="reader_failed", cause=result.error)
        return cast("Reading", result)

    def _stopped(self, conn: Connection) -> ReaderStopped:
        process = self._readings[conn]
        process.join(timeout=1.0)
        code = process.exitcode
        if code == -9:
            return ReaderStopped(key="reader_killed")
        if code is not None and code < 0:
            return ReaderStopped(key="reader_signal", signal=-code)
        if code is not None:
            return ReaderStopped(key="reader_status", status=code)
        return ReaderStopped(key="reader_silent")

    def close(self, *, stop: bool = False) -> None:
        """End the workers: each after the pages queued (``stop``: at once), then wait."""
        processes = list(self._readings.values())
        if stop:
            for process in processes:
                if process.is_alive():
                    process.kill()
        else:
            for _ in processes:
                self._pages.put(None)
        for process in processes:
            process.join(timeout=10.0)
            if process.is_alive():
                process.kill()
                process.join()
        for conn in self._readings:
            conn.close()
        self._pages.close()
        self._pages.cancel_join_thread()  # pages a stopped worker left behind are dropped

    def __enter__(self) -> ReadingPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self.close(stop=kind is not None)


class ReaderStopped(KiemphieuError):
    """A reading process ended before handing back a page's reading."""


class ReaderFailed(KiemphieuError):
    """The reader raised on a page (a bug: `read_scan` does not raise for bad pixels)."""


@dataclass(frozen=True)
class _Failed:
    """What a worker hands back for a page its reader raised on, raised in the command as
    `ReaderFailed`: what went wrong (`pipeline.domain.reasons.failure`), as a reason."""

    error: Reason


def serve(pages: multiprocessing.queues.Queue[tuple[int, bytes] | None], readings: Connection,
          layout: BallotLayout, thresholds: MarkRule,
          printed: tuple[NoteReference, ...] | None) -> None:
    """A worker's life: set up, then read the next page from the queue, until told to end.

    ``printed``: the layout's `pipeline.reading.printed.references`, made once by the
    command and kept here, not rendered again in each worker.
    """
    from pipeline.reading.page import read_scan
    from pipeline.reading.printed import keep_references

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the command's to answer
    prepare_reading_process()
    if printed is not None:
        keep_references(layout, printed)
    while (page := pages.get()) is not None:
        number, data = page
        try:
            result: Any = read_scan(data, layout, thresholds)
        except Exception as exc:  # a bug in the reader: told by the command, not here
            if os.environ.get("KIEMPHIEU_DEBUG"):
                traceback.print_exc()
            result = _Failed(failure(exc))
        try:
            readings.send((number, result))
        except OSError:  # the command is gone
            return
