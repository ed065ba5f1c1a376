"""A whole session, step by step, through the command line: the time of each step.

Run: ``nice -n 10 .venv/bin/python benchmarks/session.py [--campaign samples/quoc-hoi-44.yaml]
[--ballots 96] [--workers 2] [--out bench-out/session]``

The campaign (by default the National Assembly's 44 offices on three ballot
forms, five pages a voter) is created with ``kiemphieu new`` and printed with
``kiemphieu print``; ``--ballots`` voters' ballots are marked and scanned by
the simulator (200-dpi grey JPEG, not timed as a step of the session); then
``scan``, ``tally``, ``declare`` (each form's figures), ``certify``,
``export`` and ``verify`` run as a committee runs them, each timed as a
subprocess (its start-up included). Results go to ``--out/session.json`` and
are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
KIEMPHIEU = str(Path(sys.executable).with_name("kiemphieu"))


def step(name: str, times: dict[str, float], *args: str) -> str:
    start = time.perf_counter()
    proc = subprocess.run([KIEMPHIEU, *args], capture_output=True, text=True)
    times[name] = round(time.perf_counter() - start, 2)
    if proc.returncode != 0:
        raise SystemExit(f"kiemphieu {' '.join(args)} failed:\n{proc.stderr}")
    print(f"{name:>10}: {times[name]:8.2f} s")
    return proc.stdout


def review_as_truth(ws_path: Path, scans: Path) -> int:
    """Decide every open review item as the simulated voter meant it (a row: its level, or
    invalid; a page: accepted), as a reviewer at the station would; return how many."""
    from pipeline.domain.committee import Person
    from pipeline.store.workspace import open_workspace
    from pipeline.workflow.review import ReviewQueue
    from pipeline.workflow.users import add_user
    from simulator import read_truth

    ws = open_workspace(ws_path)
    truth = read_truth(scans / "truth.json")
    where = {p["id"]: (Path(p["source"]).relative_to(scans).as_posix(), p["page_index"])
             for p in ws.store.all_pages()}
    add_user(ws.store, "bench", "chair", "bench-password-1")
    queue = ReviewQueue(ws.store)
    me = Person("bench", "chair")
    items = queue.items(["open", "escalated"])
    for item in items:
        if item.kind != "row":
            queue.decide(me, item.id, "accepted")
            continue
        rows = {r["candidate"]: r for r in truth[where[item.page_id]]["rows"]}
        level = rows[item.candidate]["level"]
        if level is None:
            queue.decide(me, item.id, "invalid", reason="reason_several")
        else:
            queue.decide(me, item.id, level)
    return len(items)


def main() -> None:
    from pipeline.domain.campaign import load_campaign
    from pipeline.domain.layout import build_layout
    from simulator import MarkMix, ScanProfile, VoteModel, simulate_stack, write_case

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--campaign", type=Path, default=ROOT / "samples" / "quoc-hoi-44.yaml")
    ap.add_argument("--ballots", type=int, default=96)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "bench-out" / "session")
    args = ap.parse_args()

    out = args.out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    campaign = load_campaign(args.campaign)
    layout = build_layout(campaign)
    times: dict[str, float] = {}
    ws = out / "ws"
    step("new", times, "new", str(args.campaign), "--dir", str(ws))
    step("print", times, "print", str(ws), "--copies", str(args.ballots),
         "--out", str(out / "ballots.pdf"))

    start = time.perf_counter()
    marks = MarkMix(shapes=(("x", 0.5), ("tick", 0.3), ("fill", 0.1), ("slash", 0.1)))
    stack = simulate_stack(campaign, layout, args.ballots, np.random.default_rng(481),
                           profile=ScanProfile(dpi=200, colour="grey", jpeg_quality=85),
                           vote_model=VoteModel(marks=marks))
    write_case(out / "scans", stack, ["jpeg"])
    simulated = round(time.perf_counter() - start, 2)
    print(f"{'simulated':>10}: {simulated:8.2f} s ({len(stack)} pages; not a step)")

    step("scan", times, "scan", str(ws), str(out / "scans"), "--workers", str(args.workers))
    result = json.loads(step("tally", times, "tally", str(ws), "--json"))
    pending = result["pending_review"]
    committee = ("--head", "Trưởng Ban", "--member", "Thành Viên|Thành viên")
    step("declare", times, "declare", str(ws), "--issued", str(args.ballots),
         "--collected", str(args.ballots), *committee)
    for f in result["forms"]:
        if f["id"] is not None:
            step(f"declare-{f['id']}", times, "declare", str(ws), "--form", f["id"],
                 "--issued", str(args.ballots), "--collected", str(f["collected"]))
    reviewed = review_as_truth(ws, out / "scans")
    print(f"{'reviewed':>10}: {reviewed} item(s), decided as the voter meant (not a step)")
    step("certify", times, "certify", str(ws))
    step("export", times, "export", str(ws), "--out", str(out / "pkg"))
    step("verify", times, "verify", str(out / "pkg"))
    report = {
        "campaign": campaign.id, "people": len(campaign.candidates),
        "forms": len(campaign.forms) or 1, "pages_per_voter": layout.page_count,
        "ballots": args.ballots, "pages": len(stack), "workers": args.workers,
        "seconds": times, "simulated_seconds": simulated, "reviewed_items": reviewed,
        "rows_pending_after_scan": pending,
        "scan_ms_per_page": round(1000 * times["scan"] / len(stack), 1),
        "machine": {"python": platform.python_version(), "arch": platform.machine(),
                    "cpus": os.cpu_count()},
        "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    (out / "session.json").write_text(json.dumps(report, indent=1) + "\n", "utf-8")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
