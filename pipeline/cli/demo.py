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
from pipeline.cli.console import say as words
from pipeline.cli.help import App
from pipeline.cli.report import print_tally
from pipeline.documents.ballot_pdf import ballot_pdf_bytes
from pipeline.domain.campaign import load_campaign
from pipeline.domain.errors import KiemphieuError
from pipeline.reading.sources import collect_inputs
from pipeline.store.workspace import create_workspace, open_workspace
from pipeline.workflow.ingest import PageReport, ingest
from pipeline.workflow.stacks import tally_json as tally_json_of
from simulator import OFFICE, VoteModel, read_truth, simulate_stack, write_case

app = App()

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
        raise KiemphieuError(key="cli_demo_no_sample", path=str(source))
    _prepare(out)
    campaign = load_campaign(source)
    say(words("cli_demo_1", campaign=campaign.id, people=len(campaign.candidates),
              rules=campaign.rules.name, file=source.name))
    ws = create_workspace(campaign, out / "workspace")
    pdf = ballot_pdf_bytes(campaign, ws.layout, copies=1)
    ballots_pdf = out / "ballots.pdf"
    ballots_pdf.write_bytes(ballot_pdf_bytes(campaign, ws.layout, copies=campaign.electorate))
    say(words("cli_demo_2", n=campaign.electorate, pages=ws.layout.page_count,
              file=str(ballots_pdf)))

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
    say(words("cli_demo_3", n=ballots, images=len(stack), folder=str(scans)))

    jsonl = out / "scan.jsonl"
    files, _ = collect_inputs([scans])
    reports = []
    with jsonl.open("w", encoding="utf-8") as fh:
        def keep(report: PageReport) -> None:
            reports.append(report)
            fh.write(json.dumps(report.to_json(), ensure_ascii=False) + "\n")

        summary = ingest(ws, files, workers=workers, on_report=keep)
    parts = ", ".join(words(f"cli_scan_n_{s}", n=n) for s, n in sorted(summary.by_status.items()))
    say(words("cli_demo_4", pages=summary.pages, parts=parts, rows=summary.rows_to_review))

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


    tally_json = out / "tally.json"
    tally_json.write_text(json.dumps(tally_json_of(ws), ensure_ascii=False, indent=1) + "\n",
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
            raise KiemphieuError(key="cli_demo_not_empty", path=str(out))
    out.mkdir(parents=True, exist_ok=True)
    (out / DEMO_MARKER).write_text("made by kiemphieu demo; safe to delete\n", encoding="utf-8")


@app.command(help=words("help_cmd_demo_demo"))
def demo(
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR",
                                          help=words("help_demo_out"))] = Path("kiemphieu-demo"),
    workers: Annotated[int, typer.Option("--workers", min=1, max=64)] = 1,
    campaign_file: Annotated[Path | None, typer.Option(
        "--campaign", metavar="CAMPAIGN.yaml",
        help=words("help_demo_campaign"))] = None,
) -> None:
    """The whole flow on the bundled sample campaign, with simulated marked scans."""

    result = run_demo(out_dir, say=out.print, workers=workers, campaign_file=campaign_file)
    out.print()
    print_tally(out, open_workspace(result.workspace).tally())
    out.print()
    out.print(words("cli_demo_checked", pages_ok=result.pages_matching,
                    pages=result.pages_checked, rows_ok=result.rows_matching,
                    rows=result.rows_checked, review=result.rows_to_review))
    out.print(words("cli_demo_where"))
    for label, path in (
        ("cli_demo_ballots", result.ballots_pdf),
        ("cli_demo_scans", result.scans),
        ("cli_demo_workspace", result.workspace),
        ("cli_demo_jsonl", result.jsonl),
        ("cli_demo_json", result.tally_json),
    ):
        out.print(f"  {words(label)}: {path}", markup=False)
    out.print(words("cli_demo_try", ws=str(result.workspace)), markup=False)


