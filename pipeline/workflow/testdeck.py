"""The test deck: pre-marked ballots of the real campaign, to rehearse the scan and the count
before the vote, and their expected tally.

Every page of the deck says MẪU THỬ, printed in its footer and as the last field of its
QR code (`pipeline.domain.layout.TEST_MARK`), so that:

- scanned into the real count, a test sheet is refused by name (reason
  ``test_ballot``, no review item: `pipeline.reading.page`), and ``scan`` exits 1;
- scanned into the campaign's test workspace (``WS/mau-thu``, made with the deck;
  its layout is the test one, and it refuses real sheets), the count is compared
  with the expected tally (`check_deck`).

The marks are fixed by the copy's number and the person's place on the list
(`deck_marks`): copy k marks person i at level ``(k + i) mod L`` of the campaign's L
levels (three for a poll, two for the follow-up vote), and leaves the
row blank where ``(k + 2 i) mod 7`` is 6, so that every level and a blank row
(counted ``invalid`` for that person) appear. A deck of N copies is the first N
of this sequence; the expected tally is worked out from the same marks, not by
reading anything.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.documents.ballot_pdf import ballot_pdf_bytes
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.reasons import failure
from pipeline.domain.rules import LEVELS
from pipeline.files import atomic_write
from pipeline.store.workspace import Workspace, create_workspace, open_workspace

TEST_FOLDER = "mau-thu"  # the test workspace, inside the campaign's workspace
EXPECTED_FILE = "expected.json"  # the expected tally, in the test workspace
MAX_COPIES = 200


class TestDeckError(KiemphieuError):
    """No test deck made yet, or a test deck refused."""


def deck_marks(stts: list[int], copies: int, levels: tuple[str, ...] = LEVELS
               ) -> list[dict[int, str | None]]:
    """Each copy's marks: candidate -> level, or None for a row left blank.

    No two copies are marked alike while the choices allow it: a copy whose marks repeat an
    earlier one's takes the first combination (in `itertools.product` order) not used yet,
    so that every sheet scanned is a different image (the same image twice is one page).
    """
    choices = (*levels, None)
    made: list[dict[int, str | None]] = []
    seen: set[tuple[str | None, ...]] = set()
    for k in range(copies):
        row = tuple(None if (k + 2 * i) % 7 == 6 else levels[(k + i) % len(levels)]
                    for i in range(len(stts)))
        if row in seen and len(choices) ** len(stts) > len(seen):
            row = next(c for c in itertools.product(choices, repeat=len(stts)) if c not in seen)
        seen.add(row)
        made.append(dict(zip(stts, row, strict=True)))
    return made


def expected_tally(ws: Workspace, marks: list[dict[int, str | None]]) -> dict[str, Any]:
    """What counting the deck must give: ballots, and each person's counts."""
    people = []
    for c in ws.campaign.candidates:
        counts = dict.fromkeys((*ws.campaign.levels, "invalid"), 0)
        for copy in marks:
            counts[copy[c.stt] or "invalid"] += 1
        people.append({"candidate": c.stt, "name": c.name, "counts": counts})
    return {"campaign": ws.campaign.id, "fingerprint": ws.layout.fingerprint, "test": True,
            "copies": len(marks), "ballots": len(marks), "candidates": people,
            "marks": [{str(k): v for k, v in copy.items()} for copy in marks]}


@dataclass(frozen=True)
class Deck:
    pdf: Path
    expected: Path  # the expected tally beside the PDF (the same as in the test workspace)
    test_workspace: Path
    pages: int
    tally: dict[str, Any]


def test_workspace_path(ws: Workspace) -> Path:
    return ws.path / TEST_FOLDER


def make_deck(ws: Workspace, out: Path, copies: int) -> Deck:
    """Write the deck's PDF to ``out`` and its expected tally beside it (``out`` with
    ``.json``), and make the test workspace (``WS/mau-thu``) if there is none, with the
    expected tally in it."""
    if ws.test:
        raise TestDeckError(key="testdeck_in_test", path=str(ws.path))
    if not 1 <= copies <= MAX_COPIES:
        raise TestDeckError(key="testdeck_copies", n=copies, most=MAX_COPIES)
    marks = deck_marks([c.stt for c in ws.campaign.candidates], copies, ws.campaign.levels)
    layout = dataclasses.replace(ws.layout, test=True)
    pdf = ballot_pdf_bytes(ws.campaign, layout, copies,
                           marks=[{k: v for k, v in m.items() if v} for m in marks])
    tally = expected_tally(ws, marks)
    text = json.dumps(tally, ensure_ascii=False, indent=1) + "\n"
    target = test_workspace_path(ws)
    if not (target / "workspace.json").exists():
        create_workspace(ws.campaign, target, test=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    expected = out.with_suffix(".json")
    atomic_write(expected, text)
    atomic_write(target / EXPECTED_FILE, text)
    return Deck(out, expected, target, copies * ws.layout.page_count, tally)


def open_test_workspace(ws: Workspace) -> Workspace:
    """The campaign's test workspace; `TestDeckError` if no deck was made."""
    target = test_workspace_path(ws)
    if not (target / "workspace.json").exists() or not (target / EXPECTED_FILE).exists():
        raise TestDeckError(key="testdeck_none", path=str(ws.path))
    return open_workspace(target)


@dataclass(frozen=True)
class DeckLine:
    """One figure of the check: what the deck should give and what the count gave."""

    candidate: int | None  # None: the ballots
    name: str
    what: str  # high | medium | low | invalid | ballots
    expected: int
    counted: int

    @property
    def ok(self) -> bool:
        return self.expected == self.counted


@dataclass(frozen=True)
class DeckCheck:
    lines: tuple[DeckLine, ...]
    pending: int  # rows still waiting for a person
    rejected: int  # pages the test workspace refused or could not read
    copies: int

    @property
    def ok(self) -> bool:
        return all(line.ok for line in self.lines) and not self.pending

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "copies": self.copies, "pending_review": self.pending,
                "rejected": self.rejected,
                "lines": [{"candidate": x.candidate, "name": x.name, "what": x.what,
                           "expected": x.expected, "counted": x.counted, "ok": x.ok}
                          for x in self.lines]}


def check_deck(test_ws: Workspace) -> DeckCheck:
    """Compare the test workspace's count with the deck's expected tally."""
    try:
        expected = json.loads((test_ws.path / EXPECTED_FILE).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise TestDeckError(key="testdeck_expected_unreadable",
                            path=str(test_ws.path / EXPECTED_FILE), detail=failure(exc)) from None
    tally = test_ws.tally()
    counted = {c.candidate: c for c in tally.candidates}
    lines = [DeckLine(None, "", "ballots", expected["ballots"], tally.collected)]
    for person in expected["candidates"]:
        got = counted.get(person["candidate"])
        for what in (*test_ws.campaign.levels, "invalid"):
            lines.append(DeckLine(person["candidate"], person["name"], what,
                                  person["counts"][what], got.counts[what] if got else 0))
    return DeckCheck(tuple(lines), tally.pending_review, tally.rejected, expected["copies"])
