"""A National Assembly-sized session, from the first scan to a verified package.

The National Assembly polled 44 people with 481 ballots in 2023 and announced
the results the same afternoon. This runs such a session through the real
``kiemphieu`` commands and times each step:

``new`` and ``print``
    the workspace and one copy of the ballot (44 people: 3 pages a ballot);
``simulate``
    (not a product step) 481 ballots marked by the simulator's everyday voters
    and scanned at 150 dpi into PDFs, as a scanner's feeder would give them;
``scan``
    ``kiemphieu scan --workers 2`` of all 1,443 pages;
``review``
    every row the machine sent to review decided as the voter marked it,
    through the review queue (`workflow.review`), as the chair would;
``declare``, ``certify``, ``export``, ``verify``
    the committee's count, the lock, the package with every document (the
    minutes, the draft resolution, CSV, XLSX) and its check.

It also checks that the package's ``tally.json`` equals ``tally --json``.

Run::

    nice -n 10 .venv/bin/python benchmarks/session.py --work /tmp/kp-session \\
        --save benchmarks/results/session.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import result_file

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from certified_case import CLEAR, COMMITTEE, resolve_by_truth  # noqa: E402

from pipeline.domain.campaign import load_campaign  # noqa: E402
from pipeline.domain.layout import build_layout  # noqa: E402
from simulator import ScanProfile, VoteModel, simulate_stack, write_case  # noqa: E402

KIEMPHIEU = str(Path(sys.executable).with_name("kiemphieu"))
POSITIONS = ("Chủ tịch nước", "Phó Chủ tịch Quốc hội", "Thủ tướng Chính phủ", "Bộ trưởng Bộ Nội vụ",
             "Chủ nhiệm Ủy ban Pháp luật", "Tổng Kiểm toán nhà nước",
             "Bộ trưởng Bộ Lao động - Thương binh và Xã hội", "Chánh án Tòa án nhân dân tối cao")


def campaign_text(people: int, ballots: int) -> str:
    lines = ["id: quoc-hoi-2023", "title: Phiếu lấy phiếu tín nhiệm",
             "subtitle: đối với người giữ chức vụ do Quốc hội bầu hoặc phê chuẩn",
             "body: Quốc hội nước Cộng hòa xã hội chủ nghĩa Việt Nam khóa XV",
             "place: Hà Nội", "session_date: 2023-10-25", "rules: nq96-2023",
             f"electorate: {ballots + 2}", "candidates:"]
    for i in range(people):
        lines.append(f'  - {{name: "Đại biểu Thứ {i + 1}", position: "{POSITIONS[i % len(POSITIONS)]}"}}')
    return "\n".join(lines) + "\n"


def run(*args: str) -> float:
    """Run ``kiemphieu ARGS``; its wall time in seconds (exits on failure)."""
    t0 = time.perf_counter()
    proc = subprocess.run([KIEMPHIEU, *args], capture_output=True, text=True)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"kiemphieu {args[0]} failed ({proc.returncode}):\n{proc.stderr}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, default=44)
    ap.add_argument("--ballots", type=int, default=481)
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--work", type=Path, default=Path("/tmp/kp-session"))
    ap.add_argument("--save", type=Path)
    args = ap.parse_args()
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    cfile = args.work / "campaign.yaml"
    cfile.write_text(campaign_text(args.people, args.ballots), encoding="utf-8")
    ws, pkg, scans = args.work / "ws", args.work / "pkg", args.work / "scans"
    times: dict[str, float] = {}
    times["new"] = run("new", str(cfile), "--dir", str(ws))
    one = args.work / "one.pdf"
    times["print"] = run("print", str(ws), "--copies", "1", "--out", str(one))

    t0 = time.perf_counter()
    campaign = load_campaign(cfile)
    layout = build_layout(campaign)
    stack = simulate_stack(campaign, layout, args.ballots, np.random.default_rng(args.seed),
                           profile=ScanProfile(dpi=150), vote_model=VoteModel(marks=CLEAR),
                           pdf_bytes=one.read_bytes())
    truth = write_case(scans, stack, ["pdf-jpeg"])
    truth_path = args.work / "truth.json"
    truth.rename(truth_path)
    simulate = time.perf_counter() - t0
    pages = layout.page_count * args.ballots

    times["scan"] = run("scan", str(ws), str(scans), "--workers", "2")
    t0 = time.perf_counter()
    decided = resolve_by_truth(ws, scans, truth_path)
    times["review"] = time.perf_counter() - t0
    times["declare"] = run("declare", str(ws), "--issued", str(args.ballots), "--collected",
                           str(args.ballots), *COMMITTEE)
    times["certify"] = run("certify", str(ws))
    times["export"] = run("export", str(ws), "--out", str(pkg))
    times["verify"] = run("verify", str(pkg))
    tally = json.loads(subprocess.run([KIEMPHIEU, "tally", str(ws), "--json"], capture_output=True,
                                      text=True, check=True).stdout)
    doc = json.loads((pkg / "tally.json").read_text("utf-8"))
    same = all(doc[k] == tally[k] for k in tally if k != "candidates") and all(
        {f: c[f] for f in t} == t for c, t in zip(doc["candidates"], tally["candidates"], strict=True))
    total = sum(v for k, v in times.items() if k not in ("new", "print"))
    figures = {
        "people": args.people, "ballots": args.ballots, "pages": pages,
        "pages_per_ballot": layout.page_count, "review_items_decided": decided,
        **{f"{k}_s": round(v, 2) for k, v in times.items()},
        "simulate_s": round(simulate, 2),
        "scan_pages_per_s": round(pages / times["scan"], 2),
        "first_scan_to_verified_s": round(total, 2),
        "package_tally_equals_tally_json": same,
        "documents": sorted(p.name for p in pkg.iterdir() if p.suffix in (".pdf", ".docx", ".csv",
                                                                         ".xlsx")),
    }
    print(json.dumps(figures, indent=1, ensure_ascii=False))
    if not same:
        sys.exit("the package's tally.json is not tally --json")
    if args.save:
        result_file.save(args.save, "session", {"people": args.people, "ballots": args.ballots,
                                                "seed": args.seed, "dpi": 150, "workers": 2},
                         figures, "session.py")


if __name__ == "__main__":
    main()
