"""Load: many pages through several scanning stations, many reviewers over HTTP.

Two measurements, each on SQLite and on PostgreSQL (a throwaway cluster on
127.0.0.1, started as the tests start it, here with ``fsync=on``):

``ingest``
    Pages per second of one ``kiemphieu scan`` process, then of two at once
    on the same workspace (shared images folder, same database), each given
    half of the stack. The stack: ``--base`` distinct voted ballots simulated
    at 200 dpi (seed 000's one-page ballot), scanned 1-bit and stored as
    single-page CCITT G4 TIFF files; each is written ``pages / base`` times
    with its copy number as 14 tiny dots in the bottom margin, so that every
    file is a distinct image (a distinct SHA-256, as ingest stores it) that
    reads as the original: reading costs what a real page costs.

``review``
    ``--reviewers`` people at once on the web station (``kiemphieu serve``):
    each logs in, then loops ``POST /api/queue/next`` (claim), ``GET`` the
    row's crop image, ``POST /api/items/ID/decision`` (decide and claim the
    next), as the queue page's script does, until the queue is empty. The
    review items (``--items``, one per row of the first pages) are made in
    the database of an ingested workspace: the rows are set to ``review``
    and an open item is added for each, as `Store.add_page` would have.
    Reported: decisions per second, and the median and 95th percentile
    latency of each request kind; and that every item was decided once.

Run::

    .venv/bin/python benchmarks/load.py ingest --pages 10000 --base 100 --baseline 2000
    .venv/bin/python benchmarks/load.py review --reviewers 20 --items 2000

Results go to ``--out`` (default ``/tmp/kiemphieu-load``) as JSON; ``--save FILE``
also writes the headline figures as a baseline for ``benchmarks/compare.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import result_file

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
KIEMPHIEU = str(Path(sys.executable).with_name("kiemphieu"))
SAMPLE = ROOT / "samples" / "seed-000-ubnd-ninhson.yaml"


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    return {"nproc": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)), "cpu": cpu,
            "ram_gib": round(mem / 2**20, 1), "python": platform.python_version(),
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")}


# -- the stack ---------------------------------------------------------------------


def _bitonal(page: np.ndarray) -> np.ndarray:
    from simulator import to_bitonal

    grey = page if page.ndim == 2 else page.mean(axis=2).astype(np.uint8)
    return to_bitonal(grey)


def tiff_file(bits: np.ndarray, dpi: int, n: int) -> bytes:
    """Page ``n``: the 1-bit page with ``n`` written as 14 tiny dots in its bottom margin, as G4.

    Each dot is 2 x 2 px (0.25 mm at 200 dpi), far from every box and mark:
    the page reads as its original does, and its bytes are its own.
    """
    from PIL import Image

    page = bits.copy()
    h, w = page.shape
    for bit in range(14):
        if n >> bit & 1:
            x = w // 2 - 60 + 8 * bit
            page[h - 40:h - 38, x:x + 2] = False  # False: black in to_bitonal's output
    out = io.BytesIO()
    Image.fromarray(page).convert("1").save(out, format="TIFF", compression="group4", dpi=(dpi, dpi))
    return out.getvalue()


def _write_pages(job: tuple[np.ndarray, int, list[tuple[int, str]]]) -> None:
    bits, dpi, targets = job
    for n, path in targets:
        Path(path).write_bytes(tiff_file(bits, dpi, n))


def make_stack(where: Path, pages: int, base: int, dpi: int = 200) -> list[Path]:
    """``pages`` distinct single-page TIFF files from ``base`` simulated ballots."""
    from concurrent.futures import ProcessPoolExecutor

    from pipeline.domain.campaign import load_campaign
    from pipeline.domain.layout import build_layout
    from simulator import ScanProfile, simulate_stack

    marker = where / f".made-{pages}-{base}-{dpi}-v3"
    if marker.exists():
        return sorted(where.glob("*.tif"))
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    campaign = load_campaign(SAMPLE)
    stack = simulate_stack(campaign, build_layout(campaign), base, np.random.default_rng(2023),
                           profile=ScanProfile(dpi=dpi))
    files = [where / f"page-{n:05d}.tif" for n in range(pages)]
    jobs = [(_bitonal(stack.images[b]), dpi,
             [(n, str(files[n])) for n in range(b, pages, len(stack))]) for b in range(len(stack))]
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        list(pool.map(_write_pages, jobs))
    marker.touch()
    return files


# -- ingest ------------------------------------------------------------------------


def new_workspace(ws: Path, db: str | None) -> None:
    shutil.rmtree(ws, ignore_errors=True)
    subprocess.run([KIEMPHIEU, "new", str(SAMPLE), "--dir", str(ws), *(["--db", db] if db else [])],
                   check=True, capture_output=True)


def stations(ws: Path, folders: list[Path]) -> dict[str, Any]:
    """Run one ``kiemphieu scan`` per folder at once; pages/s over the whole run.

    Also the CPU seconds the stations used (user + system, from the kernel's
    accounting of finished children) and the load average before and after,
    since other work on the machine slows the stations down.
    """
    load_before = os.getloadavg()[0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    procs = [subprocess.Popen([KIEMPHIEU, "scan", str(ws), str(f), "--jsonl", str(ws / f"s{i}.jsonl")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i, f in enumerate(folders)]
    ends = []
    for p in procs:
        _, err = p.communicate()
        ends.append(time.monotonic() - started)
        if p.returncode != 0 or "Traceback" in err:
            raise SystemExit(f"a station failed: {err[-2000:]}")
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    lines = [json.loads(x) for i in range(len(folders))
             for x in (ws / f"s{i}.jsonl").read_text().splitlines()]
    pages = len(lines)
    wall = max(ends)
    statuses: dict[str, int] = {}
    for line in lines:
        statuses[line["status"]] = statuses.get(line["status"], 0) + 1
    return {"stations": len(folders), "pages": pages, "seconds": round(wall, 1),
            "pages_per_s": round(pages / wall, 2), "station_seconds": [round(e, 1) for e in ends],
            "statuses": statuses, "cpu_seconds": round(cpu, 1),
            "cpu_ms_per_page": round(1000 * cpu / max(pages, 1), 1),
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def split(files: list[Path], into: Path, parts: int) -> list[Path]:
    """Hard-link ``files`` into ``parts`` folders, round robin; return the folders."""
    shutil.rmtree(into, ignore_errors=True)
    folders = [into / f"station-{k + 1}" for k in range(parts)]
    for f in folders:
        f.mkdir(parents=True)
    for i, path in enumerate(files):
        os.link(path, folders[i % parts] / path.name)
    return folders


def run_ingest(args: argparse.Namespace) -> dict[str, Any]:
    import pg_server

    out = Path(args.out)
    files = make_stack(out / "stack", args.pages, args.base)
    server = pg_server.start_server(fsync=True)
    results: dict[str, Any] = {"machine": machine(), "pages": args.pages, "base": args.base,
                               "baseline_pages": args.baseline, "runs": {}}
    try:
        for db in args.dbs:
            runs = results["runs"].setdefault(db, {})
            plan = [("one", files[:args.baseline], 1), ("two_same_pages", files[:args.baseline], 2)]
            plan = plan * args.repeat + ([] if args.ratio_only else [("two", files, 2)])
            for k, (label, subset, parts) in enumerate(plan):
                label = label if args.repeat == 1 or label == "two" else f"{label}#{k // 2 + 1}"
                url = server.new_database() if db == "postgresql" else None
                ws = out / f"ws-{db}-{label}"
                new_workspace(ws, url)
                run = stations(ws, split(subset, out / f"split-{label}", parts))
                run.update(stored_check(ws, len(subset)))
                runs[label] = run
                print(db, label, run, flush=True)
                if url and label != "two":
                    server.drop_database(url)
                if label != "two":
                    shutil.rmtree(ws)
            ones = [r["pages_per_s"] for k, r in runs.items() if k.startswith("one")]
            twos = [r["pages_per_s"] for k, r in runs.items() if k.startswith("two_same")]
            runs["ratio_two_vs_one"] = round(statistics.median(twos) / statistics.median(ones), 2)
            runs["ratios_each_pair"] = [round(b / a, 2) for a, b in zip(ones, twos, strict=True)]
        results["pg_url_of_two_station_workspace"] = "dropped with the server"
    finally:
        server.stop()
    (out / ("ratio.json" if args.ratio_only else "ingest.json")).write_text(json.dumps(results, indent=1))
    return results


def stored_check(ws: Path, distinct: int) -> dict[str, Any]:
    """Pages stored, and whether each distinct input page is stored once."""
    from sqlalchemy import func, select

    from pipeline.store.schema import page_table
    from pipeline.store.workspace import open_workspace

    workspace = open_workspace(ws)
    with workspace.store.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(page_table)).scalar_one()
        hashes = conn.execute(select(func.count(func.distinct(page_table.c.image_sha256)))).scalar_one()
    workspace.store.engine.dispose()
    return {"stored": stored, "stored_once": stored == hashes == distinct}


# -- review over HTTP --------------------------------------------------------------


def prepare_items(ws: Path, items: int) -> int:
    """Make ``items`` open row items on the workspace's first accepted pages; all open items."""
    from sqlalchemy import exists, func, insert, select, update

    from pipeline.store.schema import page_table, review_table, row_table
    from pipeline.store.store import now
    from pipeline.store.workspace import open_workspace

    workspace = open_workspace(ws)
    engine = workspace.store.engine
    with engine.begin() as conn:
        rows = conn.execute(
            select(row_table.c.page_id, row_table.c.candidate)
            .join(page_table, page_table.c.id == row_table.c.page_id)
            .where(page_table.c.status == "accepted", ~exists().where(
                review_table.c.page_id == row_table.c.page_id,
                review_table.c.candidate.in_((row_table.c.candidate, 0))))
            .order_by(row_table.c.page_id, row_table.c.candidate).limit(items)
        ).all()
        for page_id, cand in rows:
            conn.execute(update(row_table).where(row_table.c.page_id == page_id,
                                                 row_table.c.candidate == cand)
                         .values(outcome="review", level=None, reason="load benchmark"))
        conn.execute(insert(review_table), [
            {"campaign_id": workspace.campaign.id, "page_id": p, "candidate": c, "kind": "row",
             "reason": "load benchmark: a faint mark", "created_at": now(), "state": "open"}
            for p, c in rows])
        total = conn.execute(select(func.count()).select_from(review_table)
                             .where(review_table.c.state == "open")).scalar_one()
    engine.dispose()
    return total  # with the items the scan itself sent to review


def add_reviewers(ws: Path, n: int) -> list[tuple[str, str]]:
    from pipeline.store.workspace import open_workspace
    from pipeline.workflow.users import add_user

    workspace = open_workspace(ws)
    people = [(f"tv{k:02d}", f"mat-khau-dai-{k:02d}-kiemphieu") for k in range(n)]
    for name, password in people:
        add_user(workspace.store, name, "reviewer", password)
    workspace.store.engine.dispose()
    return people


class Reviewer(threading.Thread):
    def __init__(self, base: str, name: str, password: str, barrier: threading.Barrier) -> None:
        super().__init__(daemon=True)
        self.base, self.name_, self.password, self.barrier = base, name, password, barrier
        self.latency: dict[str, list[float]] = {"next": [], "crop": [], "decide": []}
        self.decided: list[int] = []
        self.errors: list[str] = []

    def timed(self, kind: str, fn: Any) -> Any:
        t = time.perf_counter()
        response = fn()
        self.latency[kind].append(time.perf_counter() - t)
        return response

    def run(self) -> None:
        import httpx

        with httpx.Client(base_url=self.base, timeout=60, follow_redirects=False) as http:
            form = http.get("/login")
            token = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert token, form.text[:500]
            login = http.post("/login", data={"username": self.name_, "password": self.password,
                                              "csrf": token.group(1), "next": "/"})
            assert login.status_code == 303, (login.status_code, login.text[:300])
            page = http.get("/queue")
            csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
            assert csrf, page.text[:300]
            headers = {"x-csrf-token": csrf.group(1)}
            self.barrier.wait()
            item = self.timed("next", lambda: http.post("/api/queue/next", headers=headers)).json()["item"]
            levels = ("high", "medium", "low")
            while item is not None:
                crop = self.timed("crop", lambda i=item: http.get(i["crop"]))
                if crop.status_code != 200:
                    self.errors.append(f"crop {crop.status_code}")
                value = levels[item["id"] % 3]
                r = self.timed("decide", lambda i=item, v=value: http.post(
                    f"/api/items/{i['id']}/decision", headers=headers, json={"value": v}))
                if r.status_code != 200:
                    self.errors.append(f"decide {r.status_code} {r.text[:200]}")
                    item = self.timed("next", lambda: http.post("/api/queue/next",
                                                                headers=headers)).json()["item"]
                    continue
                self.decided.append(item["id"])
                item = r.json()["item"]


def free_port() -> int:
    import pg_server

    return pg_server.free_port()


def run_review(args: argparse.Namespace) -> dict[str, Any]:
    import pg_server

    out = Path(args.out)
    files = make_stack(out / "stack", args.pages, args.base)
    pages_needed = -(-args.items // 9) + 40  # 9 rows per page, and some already for review
    server = pg_server.start_server(fsync=True)
    results: dict[str, Any] = {"machine": machine(), "reviewers": args.reviewers, "runs": {}}
    try:
        for db in args.dbs:
            url = server.new_database() if db == "postgresql" else None
            ws = out / f"ws-review-{db}"
            new_workspace(ws, url)
            stations(ws, split(files[:pages_needed], out / "split-review", 1))
            items = prepare_items(ws, args.items)
            people = add_reviewers(ws, args.reviewers)
            port = free_port()
            serve = subprocess.Popen([KIEMPHIEU, "serve", str(ws), "--port", str(port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                base = f"http://127.0.0.1:{port}"
                _wait_http(base)
                barrier = threading.Barrier(len(people) + 1)
                threads = [Reviewer(base, n, p, barrier) for n, p in people]
                for t in threads:
                    t.start()
                barrier.wait()
                started = time.perf_counter()
                for t in threads:
                    t.join()
                wall = time.perf_counter() - started
            finally:
                serve.terminate()
                serve.wait(timeout=30)
            decided = [i for t in threads for i in t.decided]
            lat = {k: [x for t in threads for x in t.latency[k]] for k in ("next", "crop", "decide")}
            run = {
                "items": items, "decided": len(decided),
                "each_once": len(set(decided)) == len(decided) == items,
                "errors": sum(len(t.errors) for t in threads),
                "error_kinds": sorted({e[:60] for t in threads for e in t.errors})[:5],
                "seconds": round(wall, 1), "decisions_per_s": round(len(decided) / wall, 1),
                "requests_per_s": round(sum(len(v) for v in lat.values()) / wall, 1),
                "latency_ms": {k: {"median": round(1000 * statistics.median(v), 1),
                                   "p95": round(1000 * float(np.percentile(v, 95)), 1),
                                   "n": len(v)} for k, v in lat.items() if v},
            }
            results["runs"][db] = run
            print(db, run, flush=True)
            if url:
                server.drop_database(url)
    finally:
        server.stop()
    (out / "review.json").write_text(json.dumps(results, indent=1))
    return results


def _wait_http(base: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(base + "/login", timeout=2)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["ingest", "review"])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--base", type=int, default=100, help="distinct simulated ballots")
    parser.add_argument("--baseline", type=int, default=2_000,
                        help="pages for the one-station and two-station ratio runs")
    parser.add_argument("--repeat", type=int, default=1,
                        help="one-station / two-station pairs to run (ratio of the medians)")
    parser.add_argument("--ratio-only", action="store_true", help="skip the full two-station run")
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--dbs", nargs="+", default=["postgresql", "sqlite"])
    parser.add_argument("--out", default="/tmp/kiemphieu-load")
    parser.add_argument("--save", type=Path,
                        help="also write the headline figures as a baseline for compare.py")
    args = parser.parse_args()
    result = run_ingest(args) if args.what == "ingest" else run_review(args)
    print(json.dumps(result, indent=1))
    if args.save:
        if args.what == "ingest":
            settings = {"pages": args.pages, "base": args.base, "baseline": args.baseline,
                        "repeat": args.repeat, "ratio_only": args.ratio_only, "dbs": args.dbs}
            figures = result_file.load_ingest_figures(result)
        else:
            settings = {"pages": args.pages, "base": args.base, "reviewers": args.reviewers,
                        "items": args.items, "dbs": args.dbs}
            figures = result_file.load_review_figures(result)
        result_file.save(args.save, f"load-{args.what}", settings, figures, "load.py")


if __name__ == "__main__":
    main()
