"""Helpers for tests that run scanning stations as real processes.

A *case* is a small simulated stack written as scan files (`pipeline.simulate`),
and a workspace created with the real ``kiemphieu new`` (SQLite inside, or
``--db`` a PostgreSQL URL). `stored_pages` reads back what the records hold,
to check that every distinct page is stored exactly once with its image.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select

from pipeline.domain.campaign import load_campaign
from pipeline.domain.layout import build_layout
from pipeline.reading.sources import ScanPage, collect_inputs, iter_pages
from pipeline.store.schema import event_table, page_table
from pipeline.store.workspace import open_workspace
from simulator import ScanProfile, VoteModel, simulate_stack, write_case

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "seed-000-ubnd-ninhson.yaml"  # one page per ballot, 9 people
KIEMPHIEU = str(Path(sys.executable).with_name("kiemphieu"))
FAST = ScanProfile(dpi=150)


#: The chair's password in the tests that certify (``KIEMPHIEU_PASSWORD``, ``--password-stdin``).
CHAIR_PASSWORD = "mat-khau-chu-tich"


def kiemphieu(*args: str, check: bool = True, timeout: float = 300,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([KIEMPHIEU, *args], capture_output=True, text=True, timeout=timeout,
                          env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def as_chair(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``kiemphieu *args`` with the chair's password given (`CHAIR_PASSWORD`)."""
    return kiemphieu(*args, check=check, timeout=600,
                     env={**os.environ, "KIEMPHIEU_PASSWORD": CHAIR_PASSWORD})


def new_workspace(ws: Path, db: str | None = None, campaign: Path = SAMPLE) -> Path:
    kiemphieu("new", str(campaign), "--dir", str(ws), *(["--db", db] if db else []))
    return ws


def scan_folder(where: Path, ballots: int, seed: int = 1,
                formats: tuple[str, ...] = ("tiff-g4", "png", "pdf-jpeg"), rescans: int = 0) -> Path:
    """A folder of simulated scan files: ``ballots`` voted ballots, one memo, ``rescans`` repeats.

    The simulated truth goes next to the folder (``WHERE-truth.json``), not in it.
    """
    campaign = load_campaign(SAMPLE)
    stack = simulate_stack(campaign, build_layout(campaign), ballots, np.random.default_rng(seed),
                           profile=FAST, vote_model=VoteModel(), rescans=rescans, memos=1)
    write_case(where, stack, list(formats))
    (where / "truth.json").rename(where.parent / f"{where.name}-truth.json")
    return where


def input_pages(inputs: list[Path]) -> list[str]:
    """SHA-256 of every page of ``inputs``, in input order (unreadable files left out)."""
    files, _ = collect_inputs(inputs)
    return [p.sha256 for p in iter_pages(files) if isinstance(p, ScanPage)]


@dataclass
class Stored:
    pages: dict[str, int]  # image sha256 -> number of page records
    missing_images: list[str]  # records whose image file is absent or has other bytes
    accepted_events: dict[str, int]  # image sha256 -> sightings reported "accepted"
    image_files: int


def stored_pages(ws: Path) -> Stored:
    workspace = open_workspace(ws)
    engine = workspace.store.engine
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(page_table.c.image_sha256, page_table.c.image_path)).all()
            accepted = conn.execute(
                select(event_table.c.image_sha256, func.count())
                .where(event_table.c.status == "accepted")
                .group_by(event_table.c.image_sha256)
            ).all()
    finally:
        engine.dispose()
    pages: dict[str, int] = {}
    missing = []
    for sha, rel in rows:
        pages[sha] = pages.get(sha, 0) + 1
        path = ws / rel
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            missing.append(rel)
    files = sum(1 for p in (ws / "images").rglob("*") if p.is_file() and not p.name.startswith("."))
    return Stored(pages, missing, dict(accepted), files)


def tally(ws: Path) -> dict[str, Any]:
    """``kiemphieu tally --json``, computed in this process (as the command does)."""

    workspace = open_workspace(ws)
    try:
        return json.loads(json.dumps(workspace.tally().to_json()))
    finally:
        workspace.store.engine.dispose()


def counted(result: dict[str, Any]) -> dict[str, Any]:
    """What a count is made of, leaving out sightings of repeats (``duplicate``)."""
    ballots = {k: v for k, v in result["ballots"].items() if k != "duplicate"}
    return {"ballots": ballots, "candidates": result["candidates"],
            "pending_review": result["pending_review"]}
