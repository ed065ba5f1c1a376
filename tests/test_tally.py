"""The tally over stored readings: people's decisions, pending rows, declared figures."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert, update

from omr.reasons import FILL_FAINT_MARK, NO_MARKS
from pipeline.domain.campaign import load_campaign
from pipeline.store.schema import declared_table, review_table
from pipeline.store.store import NewPage, StoredRow
from pipeline.store.workspace import Workspace, create_workspace

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "seed-001-hdnd-cantho.yaml"


def _row(candidate: int, outcome: str, level: str | None = None) -> StoredRow:
    fills = {"high": (0.3, 0, 0), "medium": (0, 0.3, 0), "low": (0, 0, 0.3)}.get(level or "", (0, 0, 0))
    return StoredRow(candidate, outcome, level,
                     (FILL_FAINT_MARK(box=2, fill=0.05),) if outcome == "review" else (),
                     fills)


def _page(ws: Workspace, n: int, status: str, rows: tuple[StoredRow, ...]) -> int:
    record, new = ws.store.add_page(NewPage(
        source=f"s{n}.png", page_index=0, image_sha256=f"{n:064x}", image_path=f"images/{n}.png",
        status=status, reasons=() if status == "accepted" else (NO_MARKS(ink=0.004, foreign=None),),
        ballot_page=1 if status == "accepted" else None, rows=rows))
    assert new
    return record.id


def _resolve(ws: Workspace, page_id: int, candidate: int, resolution: str) -> None:
    with ws.store.transaction() as conn:
        changed = conn.execute(update(review_table).where(
            review_table.c.page_id == page_id, review_table.c.candidate == candidate,
        ).values(state="resolved", resolution=resolution)).rowcount
    assert changed == 1


def test_review_rows_are_pending_until_resolved_and_pages_follow_decisions(tmp_path: Path) -> None:
    ws = create_workspace(load_campaign(SAMPLE), tmp_path / "ws")
    a = _page(ws, 1, "accepted", (_row(1, "vote", "high"), _row(2, "review")))
    b = _page(ws, 2, "accepted", (_row(1, "review"), _row(2, "blank")))
    c = _page(ws, 3, "accepted", (_row(1, "vote", "low"), _row(2, "overvote")))
    rejected = _page(ws, 4, "rejected", ())
    assert ws.store.open_review_items() == 3  # two rows and the rejected page

    t = ws.tally()
    assert (t.accepted, t.rejected, t.pending_review) == (3, 1, 2)
    one, two = t.candidates[0], t.candidates[1]
    assert one.counts == {"high": 1, "medium": 0, "low": 1, "invalid": 0} and one.pending == 1
    assert two.counts == {"high": 0, "medium": 0, "low": 0, "invalid": 2} and two.pending == 1
    assert t.base == 52  # nq85-2014: the electorate

    _resolve(ws, a, 2, "medium")
    _resolve(ws, b, 1, "invalid")
    _resolve(ws, rejected, 0, "rejected")
    t = ws.tally()
    assert t.pending_review == 0 and ws.store.open_review_items() == 0
    assert t.candidates[0].counts == {"high": 1, "medium": 0, "low": 1, "invalid": 1}
    assert t.candidates[1].counts == {"high": 0, "medium": 1, "low": 0, "invalid": 2}

    # a person rejecting a machine-accepted page takes all its rows out of the count
    with ws.store.transaction() as conn:
        conn.execute(insert(review_table).values(
            campaign_id=ws.campaign.id, page_id=c, candidate=0, kind="page",
            reason="writing outside the boxes", created_at=t_now(), state="resolved",
            resolution="rejected"))
    t = ws.tally()
    assert (t.accepted, t.rejected) == (2, 2)
    assert t.candidates[0].counts == {"high": 1, "medium": 0, "low": 0, "invalid": 1}


def test_declared_collected_replaces_the_scanned_count_in_the_base(tmp_path: Path) -> None:
    campaign = load_campaign(SAMPLE.with_name("seed-002-hdnd-ninhson.yaml"))
    ws = create_workspace(campaign, tmp_path / "ws")
    _page(ws, 1, "accepted", tuple(_row(c.stt, "vote", "high") for c in campaign.candidates[:12]))
    assert ws.tally().base == 1
    with ws.store.transaction() as conn:
        conn.execute(insert(declared_table).values(
            campaign_id=campaign.id, issued=35, collected=34, at=t_now()))
    t = ws.tally()
    assert (t.issued, t.collected, t.base, t.accepted) == (35, 34, 34, 1)
    assert t.candidates[0].percent["high"] == 2.94


def t_now():
    from pipeline.store.store import now

    return now()
