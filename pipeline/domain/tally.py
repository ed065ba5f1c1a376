"""The confidence breakdown: counts per person, percentages of the base, consequences.

Counts come from the stored rows of accepted pages. A row in ``review`` is
pending: shown, never counted, until a person decides it. A row that is
``blank`` or ``overvote`` is invalid for that person only (QĐ 96-QĐ/TW
Điều 6 k.3), and the ballot still counts in the base.

The base is what the rule set names (DOMAIN.md): ballots collected for
``nq96-2023`` and ``qd96-2023``, the electorate for ``nq85-2014``. Until the
committee declares how many ballots it collected, ``collected`` is the
number of ballots scanned and accepted: for a ballot of several pages, the
accepted copies of page 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.domain.campaign import Campaign
from pipeline.domain.rules import LEVELS, consequence, percent, quorum_met


@dataclass(frozen=True)
class CandidateTally:
    candidate: int
    name: str
    position: str
    counts: dict[str, int]  # high, medium, low, invalid
    pending: int
    percent: dict[str, float | None]
    consequence: str | None


@dataclass(frozen=True)
class Tally:
    campaign: str
    rules: str
    electorate: int
    issued: int | None
    collected: int
    accepted: int
    rejected: int
    duplicate: int
    blank_pages: int
    invalid_ballots: int
    withdrawn: int
    pages_accepted: dict[int, int]
    base: int
    pending_review: int
    certified: bool
    quorum_met: bool
    candidates: tuple[CandidateTally, ...]
    held: int = 0  # pages held as probably the same sheet as another, until the chair decides

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "rules": self.rules,
            "electorate": self.electorate,
            "ballots": {
                "issued": self.issued,
                "collected": self.collected,
                "accepted": self.accepted,
                "rejected": self.rejected,
                "duplicate": self.duplicate,
                "blank_pages": self.blank_pages,
                "invalid_ballots": self.invalid_ballots,
                "withdrawn": self.withdrawn,
                "held": self.held,
                "pages_accepted": {str(k): v for k, v in sorted(self.pages_accepted.items())},
            },
            "base": self.base,
            "pending_review": self.pending_review,
            "certified": self.certified,
            "quorum_met": self.quorum_met,
            "candidates": [
                {
                    "candidate": c.candidate,
                    "name": c.name,
                    "position": c.position,
                    "counts": c.counts,
                    "pending": c.pending,
                    "percent": c.percent,
                    "consequence": c.consequence,
                }
                for c in self.candidates
            ],
        }


def tally_from_counts(
    campaign: Campaign,
    status: dict[tuple[str, int | None], int],
    outcomes: dict[tuple[int, str, str | None], int],
    declared: tuple[int | None, int | None],
    *,
    invalid: dict[int, int] | None = None,
    duplicate: int = 0,
    certified: bool = False,
) -> Tally:
    """The breakdown from page counts by (status, ballot page) and rows by (candidate, outcome, level).

    The shapes are those of `Store.status_counts`, `Store.row_outcomes` and
    `Store.invalid_pages` (``invalid``: pages the chair declared invalid, by ballot
    page), so a re-reading of the stored images (`pipeline.workflow.retally`) is
    counted by exactly the same code as the live tally.

    Whole ballots declared invalid are ballots collected: they are in ``accepted``,
    ``collected`` and the base, and their rows are in each person's ``invalid``. Their
    number is that of the ballot page with the most (a sheet of a ballot of several
    pages is declared on its own). Withdrawn pages are in none of the figures, nor are
    pages held as probably the same sheet as another (``held``) until the chair decides:
    their rows are pending.
    """
    pages_accepted = {p: n for (s, p), n in status.items() if s == "accepted" and p is not None}
    accepted = pages_accepted.get(1, 0)
    rejected = sum(n for (s, _), n in status.items() if s == "rejected")
    blank = sum(n for (s, _), n in status.items() if s == "blank_page")
    withdrawn = sum(n for (s, _), n in status.items() if s == "withdrawn")
    held = sum(n for (s, _), n in status.items() if s == "held")
    invalid_ballots = max((invalid or {}).values(), default=0)
    declared_issued, declared_collected = declared
    collected = declared_collected if declared_collected is not None else accepted
    base = campaign.electorate if campaign.rules.base == "electorate" else collected

    candidates = []
    pending_total = 0
    for c in campaign.candidates:
        counts = {lv: outcomes.get((c.stt, "vote", lv), 0) for lv in LEVELS}
        counts["invalid"] = sum(outcomes.get((c.stt, o, None), 0)
                                for o in ("blank", "overvote", "invalid"))
        pending = outcomes.get((c.stt, "review", None), 0)
        pending_total += pending
        candidates.append(
            CandidateTally(
                candidate=c.stt,
                name=c.name,
                position=c.position,
                counts=counts,
                pending=pending,
                percent={lv: percent(counts[lv], base) for lv in LEVELS},
                consequence=consequence(counts["low"], base),
            )
        )
    return Tally(
        campaign=campaign.id,
        rules=campaign.rules.name,
        electorate=campaign.electorate,
        issued=declared_issued,
        collected=collected,
        accepted=accepted,
        rejected=rejected,
        duplicate=duplicate,
        blank_pages=blank,
        invalid_ballots=invalid_ballots,
        withdrawn=withdrawn,
        pages_accepted=pages_accepted,
        base=base,
        pending_review=pending_total,
        certified=certified,
        quorum_met=quorum_met(collected, campaign.electorate),
        candidates=tuple(candidates),
        held=held,
    )
