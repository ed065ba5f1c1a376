"""The scan's plumbing: pages taken out of their files ahead of the reader, and
images written off the reader's thread, without losing order, errors or pages."""

from __future__ import annotations

import errno
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from station_cases import input_pages, new_workspace, scan_folder, stored_pages

from pipeline.reading.sources import ScanPage, SourceProblem, collect_inputs, iter_pages
from pipeline.store.workspace import open_workspace
from pipeline.workflow import ingest as ingest_module
from pipeline.workflow.ingest import _read_ahead, ingest


def _pages(n: int, fail_at: int | None = None) -> Iterator[ScanPage | SourceProblem]:
    for i in range(n):
        if i == fail_at:
            raise RuntimeError(f"broken at {i}")
        if i % 3 == 2:
            yield SourceProblem("s.tif", i, "unreadable")
        else:
            yield ScanPage("s.tif", i, bytes([i]) * 100, ".png")


def test_read_ahead_keeps_the_order_and_hashes_on_its_own_thread() -> None:
    seen = [item for item in _read_ahead(_pages(50), depth=3)]
    assert [i.page_index for i in seen] == list(range(50))
    assert [type(i) for i in seen] == [type(i) for i in _pages(50)]
    # the hash was computed ahead (cached on the page), and is the page's own
    for item in seen:
        if isinstance(item, ScanPage):
            assert "sha256" in item.__dict__
            assert item.sha256 == ScanPage(item.source, item.page_index, item.data, ".png").sha256


def test_read_ahead_raises_an_error_at_the_page_it_stopped_at() -> None:
    got = []
    with pytest.raises(RuntimeError, match="broken at 7"):
        for item in _read_ahead(_pages(20, fail_at=7), depth=2):
            got.append(item.page_index)
    assert got == list(range(7))


def test_read_ahead_left_early_stops_its_thread_and_closes_the_source() -> None:
    closed = threading.Event()

    def source() -> Iterator[ScanPage | SourceProblem]:
        try:
            yield from _pages(1000)
        finally:
            closed.set()

    before = threading.active_count()
    items = _read_ahead(source(), depth=2)
    assert next(items).page_index == 0
    items.close()  # what a for loop left by an exception or Ctrl+C does
    assert closed.is_set()
    assert threading.active_count() == before


@pytest.fixture(scope="module")
def pngs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = scan_folder(tmp_path_factory.mktemp("ingest") / "scans", ballots=5, seed=5,
                         formats=("png",))
    files, _ = collect_inputs([folder])
    return files


def test_an_image_that_cannot_be_written_stores_no_record_of_it(
        tmp_path: Path, pngs: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk while images are written on the writer's thread: the scan stops with the
    error, no record points at a missing image, and the same scan run again stores every
    page once."""
    ws_path = new_workspace(tmp_path / "ws")
    write = ingest_module.atomic_write
    written = []

    def full_disk(target: Path, data: bytes, *, durable: bool = True) -> None:
        if len(written) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        write(target, data, durable=durable)
        written.append(target)

    monkeypatch.setattr(ingest_module, "atomic_write", full_disk)
    ws = open_workspace(ws_path)
    try:
        with pytest.raises(OSError, match="No space left"):
            ingest(ws, pngs)
    finally:
        ws.store.engine.dispose()
    stored = stored_pages(ws_path)
    assert stored.missing_images == []
    assert sum(stored.pages.values()) <= 3

    monkeypatch.setattr(ingest_module, "atomic_write", write)
    ws = open_workspace(ws_path)
    try:
        ingest(ws, pngs)
    finally:
        ws.store.engine.dispose()
    stored = stored_pages(ws_path)
    assert stored.missing_images == []
    assert stored.pages == {sha: 1 for sha in input_pages(pngs)}
    assert len(list(iter_pages(pngs))) == len(stored.pages)


def test_a_slow_disk_holds_few_images_waiting_to_be_written(
        tmp_path: Path, pngs: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Images wait for the writing thread a few at a time: the reader waits for a slow
    disk rather than keep every page's bytes."""
    import time

    monkeypatch.setattr(ingest_module, "WRITE_AHEAD_PAGES", 2)
    write = ingest_module._write_image
    counts = {"handed": 0, "written": 0, "most": 0}

    def slow(target: Path, data: bytes) -> None:
        time.sleep(0.2)
        write(target, data)
        counts["written"] += 1

    submit = ingest_module._Batch._new_page

    def new_page(self, item, outcome):  # type: ignore[no-untyped-def]
        page = submit(self, item, outcome)
        counts["handed"] += 1
        counts["most"] = max(counts["most"], counts["handed"] - counts["written"])
        return page

    monkeypatch.setattr(ingest_module, "_write_image", slow)
    monkeypatch.setattr(ingest_module._Batch, "_new_page", new_page)
    ws_path = new_workspace(tmp_path / "ws")
    ws = open_workspace(ws_path)
    try:
        ingest(ws, pngs)
    finally:
        ws.store.engine.dispose()
    assert counts["handed"] == counts["written"] == len(input_pages(pngs)) >= 5
    assert counts["most"] <= 2
    assert stored_pages(ws_path).missing_images == []


def test_reading_pool_hands_back_each_page_s_reading_in_the_order_sent(pngs: list[Path]) -> None:
    """Pages of different kinds (ballot pages, a blank, damaged bytes), read by whichever of
    two workers is free, come back each by its number as the reader reads it in this
    process."""
    from pipeline.reading.page import read_scan
    from pipeline.reading.workers import ReadingPool

    ws = open_workspace(new_workspace(Path(pngs[0]).parent.parent / "pool-ws"))
    blank = cv2.imencode(".png", np.full((1200, 850), 255, np.uint8))[1].tobytes()
    pages = [p.data for p in iter_pages(pngs[:4])] + [blank, b"not an image", pngs[0].read_bytes()]
    with ReadingPool(2, ws.layout, ws.campaign.thresholds, None) as pool:
        numbers = [pool.send(data) for data in pages]
        got = [pool.receive(n) for n in numbers]
    assert got == [read_scan(data, ws.layout, ws.campaign.thresholds) for data in pages]
    assert [r.status for r in got[-3:]] == ["blank_page", "rejected", got[0].status]


def test_reading_pool_raises_a_reader_error_in_the_command(pngs: list[Path]) -> None:
    """An exception in the reader (a bug: it does not raise for bad pixels) comes back as an
    error in the command, not a worker's traceback or a hang."""
    from pipeline.reading.workers import ReaderFailed, ReadingPool

    ws = open_workspace(new_workspace(Path(pngs[0]).parent.parent / "pool-bug-ws"))
    with ReadingPool(1, ws.layout, None, None) as pool:  # type: ignore[arg-type]
        number = pool.send(pngs[0].read_bytes())
        with pytest.raises(ReaderFailed, match="the reader failed on a page"):
            pool.receive(number)


def test_reading_here_reads_on_threads_and_keeps_the_order(
        pngs: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """In one process the pages are decoded and read on reading threads, a page each:
    each page comes back in input order with the reading `read_scan` gives it; a page
    stored before and a file's problem pass through undecoded; damaged bytes are
    refused; leaving early stops the reading threads."""
    from pipeline.reading import page as reading_module
    from pipeline.reading.page import decode_page, read_scan
    from pipeline.store.store import PageRecord
    from pipeline.workflow.ingest import _read_here

    ws = open_workspace(new_workspace(Path(pngs[0]).parent.parent / "here-ws"))
    datas = [p.data for p in iter_pages(pngs[:3])] + [b"not an image"]
    ingest(ws, [pngs[1]])  # this page is in the store: found there, never decoded again
    stored = ws.store.find_pages([ScanPage("a", 2, datas[1], ".png").sha256]).popitem()[1]
    items: list[tuple[ScanPage | SourceProblem, PageRecord | None]] = [
        (ScanPage("a", 0, datas[0], ".png"), None),
        (SourceProblem("a", 1, "unreadable"), None),
        (ScanPage("a", 2, datas[1], ".png"), stored),
        (ScanPage("a", 3, datas[2], ".png"), None),
        (ScanPage("a", 4, datas[3], ".png"), None),
    ]
    decoded_on: list[str] = []

    def recording(data: bytes) -> object:
        decoded_on.append(threading.current_thread().name)
        return decode_page(data)

    monkeypatch.setattr(reading_module, "decode_page", recording)
    got = list(_read_here(iter(items), ws, queued=2))
    monkeypatch.undo()  # read_scan below decodes on this thread
    assert [item for item, _ in got] == [item for item, _ in items]
    readings = [outcome for _, outcome in got]
    thresholds = ws.campaign.thresholds
    assert readings[0] == read_scan(datas[0], ws.layout, thresholds)
    assert readings[1] is None and readings[2] is stored
    assert readings[3] == read_scan(datas[2], ws.layout, thresholds)
    assert readings[4].status == "rejected" and "cannot be decoded" in readings[4].reason
    assert len(decoded_on) == 3  # the stored page and the problem were not decoded
    assert all(name.startswith("kiemphieu-read") for name in decoded_on)

    before = threading.active_count()
    many = ((ScanPage("b", i, datas[0], ".png"), None) for i in range(1000))
    monkeypatch.setattr(reading_module, "decode_page", recording)
    reading = _read_here(many, ws, queued=2)
    next(reading)
    reading.close()
    assert threading.active_count() == before
    assert len(decoded_on) <= 3 + 2 + 2 + 1  # a few pages ahead, not the thousand


def test_reading_in_turn_hands_on_the_pages_before_an_error_in_their_source(
        pngs: list[Path]) -> None:
    """An error in taking pages out (raised by the source, not a page's problem) comes
    after the readings of the pages before it, as when they were read in line: the scan
    stores those pages before it stops."""
    from pipeline.reading.page import read_scan
    from pipeline.reading.workers import read_in_turn

    ws = open_workspace(new_workspace(Path(pngs[0]).parent.parent / "turn-ws"))
    datas = [p.data for p in iter_pages(pngs[:3])]
    thresholds = ws.campaign.thresholds

    def source() -> Iterator[tuple[int, bytes, object]]:
        for i, data in enumerate(datas):
            yield i, data, thresholds
        raise RuntimeError("the disk went away")

    got = []
    with pytest.raises(RuntimeError, match="the disk went away"):
        for key, reading in read_in_turn(source(), ws.layout, queued=2):
            got.append((key, reading))
    assert got == [(i, read_scan(d, ws.layout, thresholds)) for i, d in enumerate(datas)]


def test_reading_in_turn_reads_two_pages_at_once(pngs: list[Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """One process reads two pages at the same time, each on a thread of its own: the
    decode of each of the first two pages waits until the other's has begun (a barrier
    that one thread alone would never pass), and the readings still come in order."""
    from pipeline.reading import page as reading_module
    from pipeline.reading.page import decode_page, read_scan
    from pipeline.reading.workers import read_in_turn

    ws = open_workspace(new_workspace(Path(pngs[0]).parent.parent / "two-at-once-ws"))
    datas = [p.data for p in iter_pages(pngs[:4])]
    thresholds = ws.campaign.thresholds
    both = threading.Barrier(2, timeout=20)
    seen: list[str] = []

    def meeting(data: bytes) -> object:
        if len(seen) < 2:
            seen.append(threading.current_thread().name)
            both.wait()  # BrokenBarrierError unless a second page is being read meanwhile
        return decode_page(data)

    monkeypatch.setattr(reading_module, "decode_page", meeting)
    got = list(read_in_turn(((i, d, thresholds) for i, d in enumerate(datas)), ws.layout))
    monkeypatch.undo()
    assert len(set(seen)) == 2
    assert got == [(i, read_scan(d, ws.layout, thresholds)) for i, d in enumerate(datas)]
