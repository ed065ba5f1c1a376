"""Workspaces with items to review, for the review queue and web station tests.

`synthetic_workspace` stores made-up readings straight into the store (fast,
no images: for workflow and concurrency tests); `scanned_workspace` prints,
marks with doubtful marks, scans and ingests real page images with the
simulator (for crops, the ballot browser and the browser tests).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from omr.reasons import FILL_FAINT_MARK, NO_MARKS
from pipeline.domain.campaign import parse_campaign
from pipeline.domain.layout import build_layout
from pipeline.reading.sources import collect_inputs
from pipeline.store.store import NewPage, StoredRow
from pipeline.store.workspace import Workspace, create_workspace
from pipeline.workflow.ingest import ingest
from pipeline.workflow.users import add_user
from simulator import MarkMix, ScanProfile, VoteMix, VoteModel, simulate_stack, write_case

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SEED_002 = SAMPLES / "seed-002-hdnd-ninhson.yaml"
PASSWORD = "mat-khau-kiem-phieu"


def campaign_text(two_reviewers: bool = False) -> str:
    text = SEED_002.read_text("utf-8")
    if two_reviewers:
        text += "\nreview: {two_reviewers: true}\n"
    return text


def synthetic_workspace(tmp: Path, *, pages: int, review_rows: int = 5, rejected: int = 0,
                        two_reviewers: bool = False, db_url: str | None = None) -> Workspace:
    """``pages`` accepted page-1 readings with ``review_rows`` rows each in review, the rest
    voted ``high``; and ``rejected`` rejected pages. Image paths are made up."""
    campaign = parse_campaign(campaign_text(two_reviewers), "campaign.yaml")
    ws = create_workspace(campaign, tmp / "ws", db_url)
    on_page_1 = [c.stt for c in campaign.candidates if c.stt <= 12]
    for n in range(pages):
        rows = tuple(
            StoredRow(stt, "review", None, (FILL_FAINT_MARK(box=2, fill=0.05),), (0.0, 0.05, 0.0))
            if i < review_rows else StoredRow(stt, "vote", "high", (), (0.4, 0.0, 0.0))
            for i, stt in enumerate(on_page_1)
        )
        ws.store.add_page(NewPage(
            source="stack.pdf", page_index=n, image_sha256=f"{n:064x}", image_path=f"images/{n}.png",
            status="accepted", ballot_page=1, rows=rows))
    for n in range(pages, pages + rejected):
        ws.store.add_page(NewPage(
            source="stack.pdf", page_index=n, image_sha256=f"{n:064x}", image_path=f"images/{n}.png",
            status="rejected", reasons=(NO_MARKS(ink=0.004, foreign=None),)))
    return ws


CLEAR = MarkMix(shapes=(("x", 0.6), ("tick", 0.4)), pens=(("blue", 0.6), ("black", 0.4)),
                width_mm=(0.5, 0.9))


def scanned_workspace(tmp: Path, *, ballots: int = 4, review: float = 0.25, seed: int = 7,
                      two_reviewers: bool = False) -> Workspace:
    """Ballots of seed 002, some rows with doubtful marks (dots, tiny ticks, scribbles),
    a memo page among them, scanned at 150 dpi (some upside down), ingested like
    ``kiemphieu scan``."""
    campaign = parse_campaign(campaign_text(two_reviewers), "campaign.yaml")
    ws = create_workspace(campaign, tmp / "ws")
    stack = simulate_stack(
        campaign, build_layout(campaign), ballots, np.random.default_rng(seed),
        profile=ScanProfile(dpi=150, quarter_turns=(0, 2)),
        vote_model=VoteModel(mix=VoteMix(review=review), marks=CLEAR), memos=1,
    )
    write_case(tmp / "scans", stack, ["jpeg"])
    ingest(ws, collect_inputs([tmp / "scans"])[0])
    return ws


def add_accounts(ws: Workspace, accounts: dict[str, str]) -> None:
    for name, role in accounts.items():
        add_user(ws.store, name, role, PASSWORD)


class ServerThread:
    """A uvicorn server for ``app`` on 127.0.0.1 and a free port, in a thread of this process."""

    def __init__(self, app) -> None:
        import socket

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", access_log=False))

    def __enter__(self) -> ServerThread:
        import threading
        import time

        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the web station did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)


def login(client: Any, name: str, password: str = PASSWORD) -> str:
    """Log in through the form; return the session's CSRF token."""
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    response = client.post("/login", data={"username": name, "password": password, "csrf": token,
                                           "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    page = client.get("/dashboard")
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
