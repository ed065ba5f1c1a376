"""The confidence breakdown: counts per person, percentages of the base, consequences.

Counts come from the stored rows of accepted pages. A row in ``review`` is
pending: shown, never counted, until a person decides it. A row that is
``blank`` or ``overvote`` is invalid for that person only (khoản 3
Điều 6 QĐ 96-QĐ/TW), and the ballot still counts in the base.

The base is what the rule set names (DOMAIN.md): ballots collected for
``nq96-2023`` and ``qd96-2023``, the electorate for ``nq85-2014``. Until the
committee declares how many ballots it collected, ``collected`` is the
number of ballots scanned and accepted: for a ballot of several pages, the
accepted copies of page 1.

A campaign of several ballot forms counts each form as a ballot of its own
(`FormTally`): its own pages, its own ballots collected (declared per form,
or its accepted copies of its first page) and so its own base, which is
every percentage's base for the people on that form (``candidates[].base``).
The campaign-wide ``collected`` is then the most ballots any form collected.

The follow-up confidence vote (``kind: bo-phieu-tin-nhiem``) has two levels,
and its base is the total number of delegates (the electorate) whatever the
rule set: the rule is "quá nửa tổng số đại biểu" (`rules.follow_up_consequence`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pipeline.domain.campaign import Campaign
from pipeline.domain.layout import BallotLayout, FormLayout, build_layout
from pipeline.domain.rules import LEVELS, consequence, follow_up_consequence, percent, quorum_met

P = TypeVar("P")


@dataclass(frozen=True)
class CandidateTally:
    candidate: int
    name: str
    position: str
    counts: dict[str, int]  # each level of the campaign, and invalid
    pending: int
    percent: dict[str, float | None]
    consequence: str | None
    group: str | None = None
    form: str | None = None
    base: int = 0


@dataclass(frozen=True)
class FormTally:
    """One ballot form's figures; ``id`` None for a campaign without ``forms:``.

    ``pages_accepted`` is keyed by the page numbered through all the forms (the
    stored ``ballot_page``); ``candidates`` are the STTs on the form.
    """

    id: str | None
    title: str
    paper: str | None
    issued: int | None
    collected: int
    accepted: int
    invalid_ballots: int
    withdrawn: int
    base: int
    pages_accepted: dict[int, int]
    candidates: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "paper": self.paper, "issued": self.issued,
            "collected": self.collected, "accepted": self.accepted,
            "invalid_ballots": self.invalid_ballots, "withdrawn": self.withdrawn,
            "base": self.base,
            "pages_accepted": {str(k): v for k, v in sorted(self.pages_accepted.items())},
            "candidates": list(self.candidates),
        }


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
    kind: str = "lay-phieu-tin-nhiem"
    levels: tuple[str, ...] = ("high", "medium", "low")
    groups: tuple[dict[str, Any], ...] = ()  # {id, name, order}, in order
    forms: tuple[FormTally, ...] = ()
    held: int = 0  # pages held as probably the same sheet as another, until the chair decides

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "kind": self.kind,
            "levels": list(self.levels),
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
            "groups": [dict(g) for g in self.groups],
            "forms": [f.to_json() for f in self.forms],
            "candidates": [
                {
                    "candidate": c.candidate,
                    "name": c.name,
                    "position": c.position,
                    "counts": c.counts,
                    "pending": c.pending,
                    "percent": c.percent,
                    "consequence": c.consequence,
                    "group": c.group,
                    "form": c.form,
                    "base": c.base,
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
    declared_forms: dict[str, dict[str, int | None]] | None = None,
    layout: BallotLayout | None = None,
) -> Tally:
    """The breakdown from page counts by (status, ballot page) and rows by (candidate, outcome, level).

    The shapes are those of `Store.status_counts`, `Store.row_outcomes` and
    `Store.invalid_pages` (``invalid``: pages the chair declared invalid, by ballot
    page), so a re-reading of the stored images (`pipeline.workflow.retally`) is
    counted by exactly the same code as the live tally. ``declared_forms`` are the
    committee's figures per form (`Store.declared_forms`); ``layout`` says which
    pages are which form's (built from the campaign when not given).

    Whole ballots declared invalid are ballots collected: they are in ``accepted``,
    ``collected`` and the base, and their rows are in each person's ``invalid``. Their
    number is that of the ballot page with the most (a sheet of a ballot of several
    pages is declared on its own), summed over the forms. Withdrawn pages are in none
    of the figures, nor are pages held as probably the same sheet as another (``held``)
    until the chair decides: their rows are pending.
    """
    layout = layout or build_layout(campaign)
    pages_accepted = {p: n for (s, p), n in status.items() if s == "accepted" and p is not None}
    rejected = sum(n for (s, _), n in status.items() if s == "rejected")
    blank = sum(n for (s, _), n in status.items() if s == "blank_page")
    withdrawn = sum(n for (s, _), n in status.items() if s == "withdrawn")
    held = sum(n for (s, _), n in status.items() if s == "held")
    declared_issued, declared_collected = declared
    per_form: dict[Any, dict[str, int | None]] = dict(declared_forms or {})
    if not campaign.forms:  # the one form is the whole ballot: the campaign's figures
        per_form = {None: {"issued": declared_issued, "collected": declared_collected}}
    forms = tuple(_form_tally(campaign, f, status, invalid or {}, per_form) for f in layout.forms)
    accepted = max(f.accepted for f in forms)
    collected = (declared_collected if declared_collected is not None
                 else max(f.collected for f in forms))
    issued = declared_issued if declared_issued is not None else _most(f.issued for f in forms)
    base = _base(campaign, collected)
    form_of = {stt: f for f in forms for stt in f.candidates}
    candidates = []
    pending_total = 0
    for c in campaign.candidates:
        counts = {lv: outcomes.get((c.stt, "vote", lv), 0) for lv in campaign.levels}
        counts["invalid"] = sum(outcomes.get((c.stt, o, None), 0)
                                for o in ("blank", "overvote", "invalid"))
        pending = outcomes.get((c.stt, "review", None), 0)
        pending_total += pending
        own = form_of[c.stt].base
        candidates.append(
            CandidateTally(
                candidate=c.stt,
                name=c.name,
                position=c.position,
                counts=counts,
                pending=pending,
                percent={lv: percent(counts[lv], own) for lv in campaign.levels},
                consequence=(follow_up_consequence(counts["no_confidence"], own)
                             if campaign.follow_up else consequence(counts["low"], own)),
                group=c.group,
                form=c.form,
                base=own,
            )
        )
    return Tally(
        campaign=campaign.id,
        rules=campaign.rules.name,
        electorate=campaign.electorate,
        issued=issued,
        collected=collected,
        accepted=accepted,
        rejected=rejected,
        duplicate=duplicate,
        blank_pages=blank,
        invalid_ballots=sum(f.invalid_ballots for f in forms),
        withdrawn=withdrawn,
        pages_accepted=pages_accepted,
        base=base,
        pending_review=pending_total,
        certified=certified,
        quorum_met=quorum_met(collected, campaign.electorate),
        candidates=tuple(candidates),
        kind=campaign.kind,
        levels=campaign.levels,
        groups=tuple({"id": g.id, "name": g.name, "order": g.order} for g in campaign.groups),
        forms=forms,
        held=held,
    )


def _form_tally(campaign: Campaign, form: FormLayout, status: dict[tuple[str, int | None], int],
                invalid: dict[int, int], declared: dict[Any, dict[str, int | None]]) -> FormTally:
    pages = set(form.pages())
    accepted_pages = {p: n for (s, p), n in status.items() if s == "accepted" and p in pages}
    accepted = accepted_pages.get(form.first_page, 0)
    figures = declared.get(form.id) or {}
    collected = figures.get("collected")
    collected = collected if collected is not None else accepted
    people = (tuple(c.stt for c in campaign.candidates) if form.id is None
              else next(f.people for f in campaign.forms if f.id == form.id))
    return FormTally(
        id=form.id, title=form.title, paper=form.paper, issued=figures.get("issued"),
        collected=collected, accepted=accepted,
        invalid_ballots=max((n for p, n in invalid.items() if p in pages), default=0),
        withdrawn=sum(n for (s, p), n in status.items() if s == "withdrawn" and p in pages),
        base=_base(campaign, collected), pages_accepted=accepted_pages, candidates=people,
    )


def _base(campaign: Campaign, collected: int) -> int:
    """What every percentage is of: the electorate for the follow-up vote (all delegates)
    and for a rule set whose base it is, else the ballots collected."""
    if campaign.follow_up or campaign.rules.base == "electorate":
        return campaign.electorate
    return collected


def _most(values: Any) -> int | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def by_group(tally: Tally) -> list[tuple[dict[str, Any] | None, list[CandidateTally]]]:
    """The people of ``tally`` in their groups (`in_groups`)."""
    return in_groups(tally.groups, tally.candidates, lambda c: c.group)


def in_groups(groups: Sequence[dict[str, Any]], people: Sequence[P], group_of: Callable[[P], Any]
              ) -> list[tuple[dict[str, Any] | None, list[P]]]:
    """``people`` in their groups, in the groups' ``order`` (each group in ballot order);
    people in no group come last under None; one entry (None, everyone) without groups.
    Works on `CandidateTally` values and on ``tally --json``'s candidates alike."""
    ordered = sorted(groups, key=lambda g: g["order"])
    out: list[tuple[dict[str, Any] | None, list[P]]] = [
        (g, [c for c in people if group_of(c) == g["id"]]) for g in ordered]
    known = {g["id"] for g in ordered}
    rest = [c for c in people if group_of(c) not in known]
    if rest:
        out.append((None, rest))
    return [(g, members) for g, members in out if members]


def result_levels(doc: dict[str, Any]) -> tuple[str, ...]:
    """The levels ``tally --json`` counts, in box order (older results have no ``levels``:
    the poll's three). The last is the adverse one: "Tín nhiệm thấp", "Không tín nhiệm"."""
    return tuple(doc.get("levels") or LEVELS)
