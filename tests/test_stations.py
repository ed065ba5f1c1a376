"""Several scanning stations on one campaign, on SQLite and on PostgreSQL.

Two ``kiemphieu scan`` processes run at once on the same workspace (the same
images folder, the same database) over overlapping stacks, as two stations
of one counting committee would when a batch is fed to both by mistake.
Every distinct page must be stored once: the database's unique constraint
on (campaign, image hash) decides the race, and the loser reports
``duplicate``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from station_cases import (
    KIEMPHIEU,
    counted,
    input_pages,
    new_workspace,
    scan_folder,
    stored_pages,
    tally,
)


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("stations")
    a = scan_folder(root / "a", ballots=10, seed=11, formats=("tiff-g4", "png"))
    b = scan_folder(root / "b", ballots=6, seed=12, formats=("pdf-jpeg",))
    return a, b


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_two_stations_on_overlapping_stacks_store_every_page_once(
    tmp_path: Path, stacks: tuple[Path, Path], db: str, request: pytest.FixtureRequest
) -> None:
    a, b = stacks
    url = request.getfixturevalue("pg_url") if db == "postgresql" else None
    ws = new_workspace(tmp_path / "ws", url)
    if url:
        assert json.loads((ws / "workspace.json").read_text())["db"] == url
        assert not (ws / "kiemphieu.db").exists()
    # station 1 scans a then b; station 2 scans b then a: every page is raced for
    jobs = [(tmp_path / "s1.jsonl", [a, b]), (tmp_path / "s2.jsonl", [b, a])]
    procs = [
        subprocess.Popen([KIEMPHIEU, "scan", str(ws), *map(str, inputs), "--jsonl", str(jsonl)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for jsonl, inputs in jobs
    ]
    for proc in procs:
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
        assert "Traceback" not in stderr

    distinct = set(input_pages([a, b]))
    stored = stored_pages(ws)
    assert set(stored.pages) == distinct
    assert all(n == 1 for n in stored.pages.values())
    assert stored.missing_images == []
    assert stored.image_files == len(distinct)
    # each accepted image was reported accepted by exactly one station, the other said duplicate
    assert all(n == 1 for n in stored.accepted_events.values()), stored.accepted_events

    lines = [json.loads(x) for jsonl, _ in jobs for x in jsonl.read_text().splitlines()]
    accepted = [x for x in lines if x["status"] == "accepted"]
    assert len(accepted) == len(stored.accepted_events) == 16
    assert sum(x["status"] == "duplicate" for x in lines) == 16

    # the same count as one station scanning everything alone
    alone = new_workspace(tmp_path / "alone")
    subprocess.run([KIEMPHIEU, "scan", str(alone), str(a), str(b)], check=True,
                   capture_output=True)
    assert counted(tally(ws)) == counted(tally(alone))


def test_batches_racing_in_opposite_orders_on_postgresql_store_each_page_once(
    tmp_path: Path, pg_url: str
) -> None:
    """Station 1 stores pages A then B in one batch, station 2 B then A, at the same moment.

    Each waits on the other's uncommitted row in the unique index: PostgreSQL
    aborts one as a deadlock. That station must take it as the race it is
    (store one by one, report duplicates), not fail.
    """
    import threading

    from pipeline.domain.reasons import REJECTED
    from pipeline.store.store import NewPage, Store
    from pipeline.store.workspace import open_workspace

    ws = open_workspace(new_workspace(tmp_path / "ws", pg_url))
    pages = [NewPage(source=f"{n}.png", page_index=0, image_sha256=n * 64, image_path=f"{n}.png",
                     status="rejected", reasons=(REJECTED(),)) for n in "ab"]
    original = Store._insert_page
    barrier = threading.Barrier(2, timeout=30)
    firsts: set[int] = set()

    def insert_then_wait(self: Store, conn: object, page: NewPage, *stack: object) -> int:
        page_id = original(self, conn, page, *stack)
        if threading.get_ident() not in firsts:  # both hold one row before wanting the other's
            firsts.add(threading.get_ident())
            barrier.wait()
        return page_id

    results: dict[str, object] = {}

    def station(name: str, order: list[NewPage]) -> None:
        stored = ws.store.add_pages(order, [])
        if stored is None:  # the loser stores one by one, as ingest does
            stored = [ws.store.add_page(p) for p in order]
        results[name] = [(r.image_sha256, new) for r, new in stored]

    Store._insert_page = insert_then_wait  # type: ignore[method-assign]
    try:
        threads = [threading.Thread(target=station, args=("1", pages)),
                   threading.Thread(target=station, args=("2", pages[::-1]))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        Store._insert_page = original  # type: ignore[method-assign]
    assert set(results) == {"1", "2"}, "a station failed"
    news = [new for r in results.values() for _, new in r]
    assert news.count(True) == 2 and news.count(False) == 2  # each page new once, seen once
    stored = stored_pages(tmp_path / "ws")
    assert stored.pages == {"a" * 64: 1, "b" * 64: 1}
    ws.store.engine.dispose()
