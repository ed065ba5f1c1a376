"""``kiemphieu demo``: the whole flow on the bundled sample campaign.

Seed 002's campaign (18 officials elected by a district council, a two-page
ballot, rules ``nq96-2023``) is created as a workspace, its ballots printed,
34 voters' ballots marked and scanned by simulated document scanners (a
scanner PDF, a 1-bit G4 TIFF and JPEG files, with a duplex blank back, a
meeting notice fed by mistake and a page fed twice), then scanned into the
workspace and counted. The simulated truth is compared with what was read.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from pipeline.cli.console import out
from pipeline.cli.report import print_tally
from pipeline.documents.ballot_pdf import ballot_pdf_bytes
from pipeline.domain.campaign import load_campaign
from pipeline.domain.errors import KiemphieuError
from pipeline.reading.sources import collect_inputs
from pipeline.store.workspace import create_workspace, open_workspace
from pipeline.workflow.ingest import PageReport, ingest
from simulator import OFFICE, VoteModel, read_truth, simulate_stack, write_case

app = typer.Typer()

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
DEMO_CAMPAIGN = "seed-002-hdnd-ninhson.yaml"
DEMO_MARKER = ".kiemphieu-demo"
BALLOTS = 34
SEED = 20231208


@dataclass(frozen=True)
class DemoResult:
    out: Path
    workspace: Path
    ballots_pdf: Path
    scans: Path
    jsonl: Path
    tally_json: Path
    rows_checked: int
    rows_matching: int
    rows_to_review: int
    pages_checked: int
    pages_matching: int


def run_demo(out: Path, say: Callable[[str], object] = print, workers: int = 1,
             campaign_file: Path | None = None) -> DemoResult:
    """Run the demo into ``out`` (replacing an earlier demo there), on the bundled sample or
    on ``campaign_file`` (e.g. ``samples/quoc-hoi-44.yaml``: several ballot forms)."""

    source = campaign_file or SAMPLES / DEMO_CAMPAIGN
    if not source.is_file():
        raise KiemphieuError(f"the sample campaign {source} is missing; run from a clone of kiemphieu")
    _prepare(out)
    campaign = load_campaign(source)
    say(f"1. Campaign {campaign.id}: {len(campaign.candidates)} people, rules {campaign.rules.name} "
        f"({source.name})")
    ws = create_workspace(campaign, out / "workspace")
    pdf = ballot_pdf_bytes(campaign, ws.layout, copies=1)
    ballots_pdf = out / "ballots.pdf"
    ballots_pdf.write_bytes(ballot_pdf_bytes(campaign, ws.layout, copies=campaign.electorate))
    say(f"2. Printed {campaign.electorate} ballots of {ws.layout.page_count} pages: {ballots_pdf}")

    # Two officials get a clear "tín nhiệm thấp" result so the consequences show.
    ballots = min(BALLOTS, campaign.electorate)
    model = VoteModel(exact={stt: votes for stt, votes in {
        8: {"high": 9, "medium": 6, "low": 18, "blank": 1},
        14: {"high": 4, "medium": 5, "low": 24, "overvote": 1},
    }.items() if stt <= len(campaign.candidates) and sum(votes.values()) <= ballots})
    stack = simulate_stack(campaign, ws.layout, ballots, np.random.default_rng(SEED),
                           profile=OFFICE, vote_model=model, blank_sheets=1, memos=1,
                           rescans=1, pdf_bytes=pdf)
    scans = out / "scans"
    truth_path = write_case(scans, stack, ["pdf-jpeg", "tiff-g4", "jpeg"])
    say(f"3. {ballots} voters marked their ballots; a scanner made {len(stack)} page images in "
        f"{scans} (scanner PDF, 1-bit G4 TIFF, JPEG; one blank sheet, one meeting notice, "
        f"one page fed twice)")

    jsonl = out / "scan.jsonl"
    files, _ = collect_inputs([scans])
    reports = []
    with jsonl.open("w", encoding="utf-8") as fh:
        def keep(report: PageReport) -> None:
            reports.append(report)
            fh.write(json.dumps(report.to_json(), ensure_ascii=False) + "\n")

        summary = ingest(ws, files, workers=workers, on_report=keep)
    parts = ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items()))
    say(f"4. Scanned {summary.pages} pages into the workspace: {parts}; "
        f"{summary.rows_to_review} rows for a person to review")

    truth = read_truth(truth_path)
    pages_ok = rows_checked = rows_ok = 0
    for report in reports:
        expected = truth[(Path(report.source).relative_to(scans).as_posix(), report.page_index)]
        pages_ok += expected["status"] == report.status
        if report.status == "accepted" and expected["status"] == "accepted":
            want = {r["candidate"]: (r["outcome"], r["level"]) for r in expected["rows"]}
            for row in report.rows:
                rows_checked += 1
                rows_ok += want[row["candidate"]] == (row["outcome"], row["level"])


    tally = ws.tally()
    tally_json = out / "tally.json"
    tally_json.write_text(json.dumps(tally.to_json(), ensure_ascii=False, indent=1) + "\n",
                          encoding="utf-8")
    return DemoResult(
        out=out, workspace=ws.path, ballots_pdf=ballots_pdf, scans=scans, jsonl=jsonl,
        tally_json=tally_json, rows_checked=rows_checked, rows_matching=rows_ok,
        rows_to_review=summary.rows_to_review, pages_checked=len(reports),
        pages_matching=pages_ok,
    )


def _prepare(out: Path) -> None:
    if out.exists():
        if (out / DEMO_MARKER).exists():
            shutil.rmtree(out)
        elif not out.is_dir() or any(out.iterdir()):
            raise KiemphieuError(
                f"{out} exists and is not an earlier demo; give an empty or new folder with --out"
            )
    out.mkdir(parents=True, exist_ok=True)
    (out / DEMO_MARKER).write_text("made by kiemphieu demo; safe to delete\n", encoding="utf-8")


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR",
                                          help="Folder for the demo's files.")] = Path("kiemphieu-demo"),
    workers: Annotated[int, typer.Option("--workers", min=1, max=64)] = 1,
    campaign_file: Annotated[Path | None, typer.Option(
        "--campaign", metavar="CAMPAIGN.yaml",
        help="Another campaign file, e.g. samples/quoc-hoi-44.yaml.")] = None,
) -> None:
    """The whole flow on the bundled sample campaign, with simulated marked scans."""

    result = run_demo(out_dir, say=out.print, workers=workers, campaign_file=campaign_file)
    out.print()
    print_tally(out, open_workspace(result.workspace).tally())
    out.print()
    out.print(
        f"Checked against the simulated truth: {result.pages_matching}/{result.pages_checked} pages "
        f"with the right status; {result.rows_matching}/{result.rows_checked} rows read as marked "
        f"({result.rows_to_review} sent to review)."
    )
    out.print("Where everything went:")
    for label, path in (
        ("printed ballots", result.ballots_pdf),
        ("simulated scans and their truth", result.scans),
        ("workspace (SQLite records, page images, layout.json)", result.workspace),
        ("one JSON line per scanned page", result.jsonl),
        ("the breakdown as JSON", result.tally_json),
    ):
        out.print(f"  {label}: {path}")
    out.print(f"Try: kiemphieu tally {result.workspace}")


