"""Crashes: a scan or a reviewer's decision killed with SIGKILL at random moments.

A station can lose power or be killed at any instant. What must hold after
any such crash and a re-run of the same command:

- every distinct input page is stored exactly once, with its image file,
  and the tally equals that of an uninterrupted run (nothing lost, nothing
  counted twice);
- a page whose image was written but whose records were not committed is
  stored normally by the re-run;
- a decision killed in flight is either wholly recorded (the decision line
  and the item's state) or not at all.

SQLite runs in WAL mode; every page batch and every decision is one
transaction.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from station_cases import (
    KIEMPHIEU,
    counted,
    input_pages,
    kiemphieu,
    new_workspace,
    scan_folder,
    stored_pages,
    tally,
)

from pipeline.domain.committee import Person
from pipeline.reading.sources import collect_inputs
from pipeline.store.schema import decision_table, review_table
from pipeline.store.workspace import open_workspace
from pipeline.workflow.ingest import ingest
from pipeline.workflow.review import ReviewQueue, derive

TRIALS = {"sqlite": 20, "postgresql": 4}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scan_folder(tmp_path_factory.mktemp("crash") / "scans", ballots=16, seed=7,
                       formats=("tiff-g4", "png", "pdf-jpeg"))


def _scan_killed(ws: Path, stack: Path, delay: float) -> bool:
    """``kiemphieu scan WS STACK``, SIGKILLed ``delay`` s after its first image file appears.

    Returns True if it was killed, False if it ended first. Timing from the
    first image (not from the start) puts the kills inside the ingest, not in
    the interpreter's start-up.
    """
    proc = subprocess.Popen([KIEMPHIEU, "scan", str(ws), str(stack)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    images = ws / "images"
    try:
        while proc.poll() is None and not any(p.is_file() for p in images.rglob("*")):
            time.sleep(0.005)
        try:
            proc.wait(timeout=delay)
            assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
            return False
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
    finally:
        assert proc.stderr is not None
        assert b"Traceback" not in proc.stderr.read()
        proc.stderr.close()


def rerun(ws: Path, stack: Path) -> None:
    """The same scan again, to the end (in this process: what ``kiemphieu scan`` runs)."""
    workspace = open_workspace(ws)
    try:
        files, _ = collect_inputs([stack])
        ingest(workspace, files)
    finally:
        workspace.store.engine.dispose()


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_scan_killed_at_random_moments_loses_nothing_and_counts_nothing_twice(
    tmp_path: Path, stack: Path, db: str, request: pytest.FixtureRequest
) -> None:
    pg = request.getfixturevalue("pg_cluster") if db == "postgresql" else None
    rng = random.Random(20231208)
    reference = new_workspace(tmp_path / "reference")
    # how long the ingest itself takes, from the first image file to the end
    started = time.monotonic()
    proc = subprocess.Popen([KIEMPHIEU, "scan", str(reference), str(stack)])
    while proc.poll() is None and not any(p.is_file() for p in (reference / "images").rglob("*")):
        time.sleep(0.005)
    first_image = time.monotonic()
    assert proc.wait() == 0
    ingest_time = time.monotonic() - first_image
    full_run = time.monotonic() - started
    expected = counted(tally(reference))
    distinct = set(input_pages([stack]))
    template = None if pg else new_workspace(tmp_path / "template")

    killed = partly_stored = orphan_images = 0
    for trial in range(TRIALS[db]):
        ws = tmp_path / f"ws{trial}"
        if pg is None:
            shutil.copytree(template, ws)
        else:
            new_workspace(ws, pg.new_database())
        delay = rng.uniform(0, 0.9 * ingest_time)
        killed += _scan_killed(ws, stack, delay)
        after_kill = stored_pages(ws)
        partly_stored += 0 < len(after_kill.pages) < len(distinct)
        orphan_images += after_kill.image_files > len(after_kill.pages)
        assert after_kill.missing_images == [], f"trial {trial}: a record without its image"
        assert all(n == 1 for n in after_kill.pages.values())

        rerun(ws, stack)
        stored = stored_pages(ws)
        assert set(stored.pages) == distinct, f"trial {trial} (killed after {delay:.2f} s)"
        assert all(n == 1 for n in stored.pages.values())
        assert stored.missing_images == []
        assert stored.image_files == len(distinct)
        assert counted(tally(ws)) == expected, f"trial {trial} (killed after {delay:.2f} s)"
    print(f"\n{db}: {TRIALS[db]} trials, {killed} killed mid-run ({partly_stored} with part of "
          f"the stack stored, {orphan_images} with image files written but not yet recorded); "
          f"uninterrupted run {full_run:.2f} s, of which ingest {ingest_time:.2f} s")
    assert killed >= TRIALS[db] / 2


@pytest.fixture(scope="module")
def long_stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scan_folder(tmp_path_factory.mktemp("interrupt") / "scans", ballots=80, seed=8,
                       formats=("tiff-g4", "png"))


@pytest.mark.parametrize("workers", [1, 2])
def test_scan_interrupted_with_ctrl_c_stops_at_once_and_the_rerun_stores_the_rest(
        tmp_path: Path, long_stack: Path, workers: int) -> None:
    """Ctrl+C in the middle of a scan (SIGINT to the command's process group, as a terminal
    sends it: its reading processes get it too): the command says what it kept and exits 130
    within a few seconds (the threads that take pages out and write images, and the reading
    processes, stop too), no record lacks its image, and the same scan again stores every
    page once."""
    stack = long_stack
    ws = new_workspace(tmp_path / "ws")
    distinct = set(input_pages([stack]))
    proc = subprocess.Popen([KIEMPHIEU, "scan", str(ws), str(stack), "--workers", str(workers)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    while proc.poll() is None and not any(p.is_file() for p in (ws / "images").rglob("*")):
        time.sleep(0.005)
    time.sleep(0.2)
    assert proc.poll() is None, "the scan ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    started = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err
    assert proc.returncode == 130, err
    assert "Interrupted" in err
    assert time.monotonic() - started < 10
    after = stored_pages(ws)
    assert after.missing_images == []
    assert all(n == 1 for n in after.pages.values())
    assert len(after.pages) < len(distinct)

    kiemphieu("scan", str(ws), str(stack))
    stored = stored_pages(ws)
    assert set(stored.pages) == distinct
    assert all(n == 1 for n in stored.pages.values())
    assert stored.missing_images == [] and stored.image_files == len(distinct)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def test_reading_process_killed_mid_scan_is_told_and_the_rerun_stores_the_rest(
        tmp_path: Path, long_stack: Path) -> None:
    """A reading process of ``scan --workers 2`` killed (as the kernel does when memory runs
    out): the command says so, with the page it was reading, and exits 1 without a
    traceback; no record lacks its image, and the same scan again stores every page once."""
    stack = long_stack
    ws = new_workspace(tmp_path / "ws")
    distinct = set(input_pages([stack]))
    proc = subprocess.Popen([KIEMPHIEU, "scan", str(ws), str(stack), "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while proc.poll() is None and not any(p.is_file() for p in (ws / "images").rglob("*")):
        time.sleep(0.005)
    # the workers are the children of the fork server, the command's child
    workers = [w for server in _children(proc.pid) for w in _children(server)]
    assert proc.poll() is None and len(workers) == 2, "the scan ended before a worker was killed"
    os.kill(workers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert "Traceback" not in err, err
    assert "a reading process was killed" in err and "run the same command again" in err, err
    after = stored_pages(ws)
    assert after.missing_images == []
    assert len(after.pages) < len(distinct)

    kiemphieu("scan", str(ws), str(stack), "--workers", "2")
    stored = stored_pages(ws)
    assert set(stored.pages) == distinct
    assert all(n == 1 for n in stored.pages.values())
    assert stored.missing_images == [] and stored.image_files == len(distinct)


def test_image_written_but_not_recorded_is_stored_by_the_rerun(tmp_path: Path, stack: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    files = sorted(p for p in stack.iterdir() if p.suffix == ".png")[:3]
    kiemphieu("scan", str(ws), str(files[0]))
    # a crash after the image files were written and before their records were committed
    from pipeline.reading.sources import iter_pages
    from pipeline.store.store import image_relpath

    for page in iter_pages(files[1:]):
        target = ws / image_relpath(page.sha256, page.suffix)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(page.data)
    assert len(stored_pages(ws).pages) == 1
    kiemphieu("scan", str(ws), *map(str, files))
    stored = stored_pages(ws)
    assert set(stored.pages) == set(input_pages(files))
    assert stored.missing_images == [] and stored.image_files == 3


# A reviewer's station deciding one item, slowed down between writing the decision line
# and updating the item, so that the kill lands inside the transaction.
DECIDER = """
import sys, time
from pathlib import Path
from pipeline.domain.committee import Person
from pipeline.workflow.review import ReviewQueue
from pipeline.store.workspace import open_workspace

ws, item, value, reason, pause = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
queue = ReviewQueue(open_workspace(Path(ws)).store)
apply = ReviewQueue._apply

def slow_apply(self, conn, item_id, log, claim, **how):
    print("in-flight", flush=True)
    time.sleep(pause)
    apply(self, conn, item_id, log, claim, **how)

ReviewQueue._apply = slow_apply
queue.decide(Person("chu-toa", "chair"), item, value, reason)
print("done", flush=True)
"""


def _decide(ws: Path, item: int, value: str, reason: str, pause: float,
            kill_after: float | None) -> bool:
    """Decide in a child process; kill it ``kill_after`` s into the transaction. True if it ended."""
    proc = subprocess.Popen([sys.executable, "-c", DECIDER, str(ws), str(item), value, reason,
                             str(pause)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "in-flight", proc.stderr.read() if proc.stderr else ""
    if kill_after is not None:
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    return proc.returncode == 0


def _consistent(ws: Path) -> dict[int, list[str | None]]:
    """Check every item's state against its decision log; return each item's decision reasons."""
    workspace = open_workspace(ws)
    queue = ReviewQueue(workspace.store)
    reasons: dict[int, list[str | None]] = {}
    try:
        for item in queue.items():
            log = queue.history(item.id)
            assert (item.state, item.resolution) == derive(log, False), (item, log)
            reasons[item.id] = [d.reason for d in log]
    finally:
        workspace.store.engine.dispose()
    return reasons


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_decision_killed_in_flight_is_all_or_nothing(
    tmp_path: Path, db: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("pg_url") if db == "postgresql" else None
    ws = new_workspace(tmp_path / "ws", url)
    memos = scan_folder(tmp_path / "memos", ballots=1, seed=3, formats=("png",))
    kiemphieu("scan", str(ws), str(memos))  # the memo is rejected: one page item to decide
    workspace = open_workspace(ws)
    with workspace.store.engine.connect() as conn:
        items = conn.execute(select(review_table.c.id)).scalars().all()
    workspace.store.engine.dispose()
    assert items
    rng = random.Random(7)
    trials = TRIALS[db]
    for trial in range(trials):
        item = items[trial % len(items)]
        reason = f"lần {trial}"
        value = "rejected"
        assert not _decide(ws, item, value, reason, pause=5.0, kill_after=rng.uniform(0, 0.3))
        log = _consistent(ws)
        assert reason not in log[item], "a killed decision was partly recorded"
        # the same decision again (here, in this process) goes through, exactly once
        workspace = open_workspace(ws)
        ReviewQueue(workspace.store).decide(Person("chu-toa", "chair"), item, value, reason)
        workspace.store.engine.dispose()
        assert _consistent(ws)[item].count(reason) == 1
    workspace = open_workspace(ws)
    with workspace.store.engine.connect() as conn:
        lines = conn.execute(select(func.count()).select_from(decision_table)).scalar_one()
    workspace.store.engine.dispose()
    assert lines == trials
