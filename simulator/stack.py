"""A whole stack.

Every page planned with its truth at once, its pixels made only when asked
(`simulate_stack`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pipeline.domain.campaign import Campaign
    from pipeline.domain.layout import BallotLayout

from simulator.handling import NOT_HANDLED, Handled, Handling, handle_page, plan_handling
from simulator.kinds import Status
from simulator.paper import px_per_mm, render_pages
from simulator.scanner import (
    OFFICE,
    ScanProfile,
    degrade,
    fold_crease,
    printed_sheet,
    show_through,
)
from simulator.sheets import blank_sheet, duplex_back, memo_page
from simulator.truth import (
    NoteTruth,
    PageTruth,
    RowTruth,
    draw_notes,
    draw_page_marks,
    plan_marks,
    plan_notes,
)
from simulator.voters import VotedRow, VoteModel, cast_votes


@dataclass(frozen=True)
class _PagePlan:
    """How to make one page of a stack; every page is made from its own seed."""

    kind: str  # ballot | foreign_ballot | blank_back | blank_sheet | memo | rescan
    seed: int
    ballot_page: int | None = None  # 1-based page of the layout, for ballots
    rows: tuple[RowTruth, ...] = ()  # the marks to draw, for ballots
    ref: int | None = None  # the front of a back; the page a rescan repeats
    notes: tuple[NoteTruth, ...] = ()  # notes written outside the boxes, for ballots
    handled: Handled = NOT_HANDLED  # the seal stamped, a corner folded, for ballots


class PageImages(Sequence[np.ndarray]):
    """The scanned page images of a `Stack`, made on demand: indexing builds one page.

    Each page comes from its own seed, so ``images[i]`` is the same array
    every time and the stack never holds more than a page or two in memory.
    """

    def __init__(self, plans: Sequence[_PagePlan], printed: Mapping[str, Sequence[np.ndarray]],
                 layouts: Mapping[str, BallotLayout], profile: ScanProfile,
                 handling: Handling | None = None) -> None:
        self._plans = tuple(plans)
        self._printed = printed
        self._layouts = layouts
        self._profile = profile
        self._handling = handling or Handling()

    def __len__(self) -> int:
        return len(self._plans)

    def __getitem__(self, i: int) -> np.ndarray:  # type: ignore[override]
        if not isinstance(i, int | np.integer):
            raise TypeError("PageImages is indexed by one page number at a time")
        n = len(self._plans)
        if not -n <= i < n:
            raise IndexError(f"page {i} of a {n}-page stack")
        plan = self._plans[int(i) % n]
        if plan.kind == "rescan":
            assert plan.ref is not None
            return self[plan.ref]
        return degrade(self.upright(int(i) % n), self._profile, np.random.default_rng(plan.seed))

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self[i]

    def upright(self, i: int) -> np.ndarray:
        """Page ``i`` printed and marked, before the scanner: uint8 (H, W, 3) RGB."""
        plan = self._plans[i]
        dpi = self._profile.dpi
        rng = np.random.default_rng([plan.seed, 1])
        if plan.kind in ("ballot", "foreign_ballot"):
            key = "own" if plan.kind == "ballot" else "foreign"
            assert plan.ballot_page is not None
            img = self._printed[key][plan.ballot_page - 1].copy()
            # the sheet's colour and the printer's toner: their own stream, as the wear's
            printed_sheet(img, self._profile, np.random.default_rng([plan.seed, 7]))
            draw_page_marks(img, self._layouts[key], plan.ballot_page, plan.rows,
                            px_per_mm(dpi), rng)
            if plan.notes:  # their own stream: the marks and the wear stay as they were
                draw_notes(img, plan.notes, px_per_mm(dpi), np.random.default_rng([plan.seed, 6]))
            if plan.handled != NOT_HANDLED:  # the seal and a dog-ear: their own stream too
                handle_page(img, plan.handled, seal_centre(self._layouts[key], plan.ballot_page),
                            self._handling, px_per_mm(dpi), np.random.default_rng([plan.seed, 8]))
            wear = np.random.default_rng([plan.seed, 3])  # no draws from rng: same marks
            if self._profile.bleed[1] > 0:
                pages = self._printed[key]
                back = pages[plan.ballot_page % len(pages)]  # the other side of the sheet
                show_through(img, back, self._layouts[key], plan.ballot_page % len(pages) + 1,
                             self._profile.bleed, px_per_mm(dpi), wear)
            if wear.random() < self._profile.fold:
                fold_crease(img, self._profile.fold_darkness, px_per_mm(dpi), wear)
            return img
        if plan.kind == "blank_back":
            assert plan.ref is not None
            return duplex_back(self.upright(plan.ref), px_per_mm(dpi), rng)
        size = self._layouts["own"].frame.page_size_mm
        if plan.kind == "blank_sheet":
            return blank_sheet(size, dpi)
        if plan.kind == "memo":
            return memo_page(size, dpi, rng)
        raise ValueError(f"no upright image for a page of kind '{plan.kind}'")


@dataclass(frozen=True, eq=False)
class Stack:
    """A scanned stack: page images in feed order and what each should read as.

    ``images`` is a lazy sequence (see `PageImages`); ``truth[i]`` belongs
    to ``images[i]``. Pages with the same ``units[i]`` are one sheet group
    (a ballot copy with its backs), so a stack is cut into files only
    between groups.
    """

    images: PageImages
    truth: tuple[PageTruth, ...]
    units: tuple[int, ...]
    campaign_id: str
    profile: ScanProfile
    levels: tuple[str, ...] = ("high", "medium", "low")  # the ballot's (`Campaign.levels`)

    @property
    def dpi(self) -> int:
        return self.profile.dpi

    def __len__(self) -> int:
        return len(self.truth)

    def counts(self) -> dict[int, dict[str, int]]:
        """Expected counts per candidate (STT) over accepted pages.

        Each level of the ballot (``high``, ``medium``, ``low``, or the follow-up
        vote's ``confidence``, ``no_confidence``); ``invalid`` (blank and overvoted rows);
        ``review`` (rows a person must decide, not yet in any count).
        """
        out: dict[int, dict[str, int]] = {}
        for page in self.truth:
            if page.status != "accepted":
                continue
            for row in page.rows:
                c = out.setdefault(row.candidate, {**dict.fromkeys(self.levels, 0),
                                                   "invalid": 0, "review": 0})
                if row.outcome == "vote":
                    assert row.level is not None
                    c[row.level] += 1
                elif row.outcome == "review":
                    c["review"] += 1
                else:
                    c["invalid"] += 1
        return dict(sorted(out.items()))

    def statuses(self) -> dict[str, int]:
        """Number of pages of each status."""
        out = {"accepted": 0, "blank_page": 0, "rejected": 0, "duplicate": 0}
        for page in self.truth:
            out[page.status] += 1
        return out


def simulate_stack(
    campaign: Campaign,
    layout: BallotLayout,
    n_ballots: int,
    rng: np.random.Generator,
    *,
    profile: ScanProfile = OFFICE,
    vote_model: VoteModel | None = None,
    duplex: bool = False,
    blank_sheets: int = 0,
    memos: int = 0,
    foreign: tuple[Campaign, BallotLayout] | None = None,
    foreign_ballots: int = 0,
    rescans: int = 0,
    pdf_bytes: bytes | None = None,
    handling: Handling | None = None,
) -> Stack:
    """Print, vote and scan ``n_ballots`` copies of a ballot, with other sheets mixed in.

    Parameters
    ----------
    campaign, layout : Campaign, BallotLayout
        The ballot to print (``pipeline.documents.ballot_pdf.ballot_pdf_bytes``).
    n_ballots : int
        Ballot copies voted and scanned, each with all its pages in order.
    rng : numpy.random.Generator
        The only source of randomness: the same seed gives the same stack.
    profile : ScanProfile
        The scanner; pages are printed directly at ``profile.dpi``.
    vote_model : VoteModel, optional
        How people vote and mark (default `VoteModel()`).
    duplex : bool
        Scan both sides: every ballot page is followed by its blank back.
    blank_sheets, memos : int
        Unprinted sheets and meeting notices put in between ballots.
    foreign, foreign_ballots : (Campaign, BallotLayout), int
        Voted ballots of another campaign put in between (status rejected).
    rescans : int
        Ballot pages whose same scan image comes again later in the stack, a
        page scanned twice: status ``duplicate`` (ingest finds it by the
        stored image's hash).
    pdf_bytes : bytes, optional
        The printed ballot (one copy) if already made, e.g. by ``kiemphieu print``.
    handling : Handling, optional
        The seal stamped and corners folded over before the scan
        (`simulator.handling`); drawn from each page's own seed, so the rest
        of the stack is the same with or without it.

    Returns
    -------
    Stack

    Raises
    ------
    ValueError
        If counts are negative, a rescan is asked of a stack without ballots,
        foreign ballots come without a foreign campaign, or the PDF does not
        have the layout's page count.
    """
    if min(n_ballots, blank_sheets, memos, foreign_ballots, rescans) < 0:
        raise ValueError("numbers of ballots and sheets cannot be negative")
    if foreign_ballots and foreign is None:
        raise ValueError("foreign_ballots needs foreign=(campaign, layout) of another campaign")
    if rescans and not n_ballots:
        raise ValueError("rescans need at least one ballot to scan twice")
    model = vote_model or VoteModel()
    printed = {"own": _print(campaign, layout, profile.dpi, pdf_bytes)}
    layouts = {"own": layout}
    if foreign is not None and foreign_ballots:
        printed["foreign"] = _print(foreign[0], foreign[1], profile.dpi, None)
        layouts["foreign"] = foreign[1]
    units = _Units(rng, model, printed, profile, duplex, handling or Handling())
    stts = [c.stt for c in campaign.candidates]
    ballots: list[_Unit] = [units.ballot(layout, rows, b, "ballot")
                            for b, rows
                            in enumerate(cast_votes(model, stts, n_ballots, rng, layout.levels))]
    extras: list[_Unit] = []
    extras += [[(_PagePlan("blank_sheet", units.seed()),
                 PageTruth("blank_page", "blank_sheet"))] for _ in range(blank_sheets)]
    extras += [[(_PagePlan("memo", units.seed()), PageTruth("rejected", "memo"))]
               for _ in range(memos)]
    if foreign is not None and foreign_ballots:
        fstts = [c.stt for c in foreign[0].candidates]
        fmodel = VoteModel(mix=model.mix, marks=model.marks)
        extras += [units.ballot(foreign[1], rows, None, "foreign_ballot")
                   for rows in cast_votes(fmodel, fstts, foreign_ballots, rng,
                                               foreign[1].levels)]
    for unit in extras:
        ballots.insert(int(rng.integers(0, len(ballots) + 1)), unit)
    plans, truth, unit_ids = _in_feed_order(ballots, rescans, rng, units.seed)
    return Stack(images=PageImages(plans, printed, layouts, profile, handling),
                 truth=tuple(truth), units=tuple(unit_ids), campaign_id=layout.campaign_id,
                 profile=profile, levels=layout.levels)


_Unit = list[tuple[_PagePlan, PageTruth]]


class _Units:
    """Plans the pages of one ballot copy (a unit: its pages and their backs)."""

    def __init__(self, rng: np.random.Generator, model: VoteModel,
                 printed: Mapping[str, Sequence[np.ndarray]], profile: ScanProfile,
                 duplex: bool, handling: Handling) -> None:
        self.rng, self.model, self.printed, self.profile = rng, model, printed, profile
        self.duplex, self.handling = duplex, handling

    def seed(self) -> int:
        return int(self.rng.integers(0, 2**63 - 1))

    def ballot(self, lay: BallotLayout, rows: Sequence[VotedRow], number: int | None,
               kind: str) -> _Unit:
        out: _Unit = []
        status: Status = "accepted" if kind == "ballot" else "rejected"
        for page, page_rows in zip(lay.pages, plan_marks(lay, rows, self.model.marks, self.rng),
                                   strict=True):
            n = page.template.page
            s = self.seed()
            notes: tuple[NoteTruth, ...] = ()
            if self.model.margin_notes > 0 or any(r.note for r in page_rows):
                # from the page's own seed: no draws from rng, the rest of the stack as it was
                key = "own" if kind == "ballot" else "foreign"
                notes = plan_notes(lay, n, page_rows, self.model.margin_notes,
                                   np.random.default_rng([s, 5]), self.printed[key][n - 1],
                                   self.profile.px_per_mm)
            handled = plan_handling(self.handling, seal_centre(lay, n) is not None,
                                    np.random.default_rng([s, 7]))
            out.append((_PagePlan(kind, s, ballot_page=n, rows=page_rows, notes=notes,
                                  handled=handled),
                        PageTruth(status, kind, lay.campaign_id, n, page_rows, number,
                                  notes=notes, seal=handled.seal, dog_ear=handled.dog_ear)))
            if self.duplex:
                out.append((_PagePlan("blank_back", self.seed(), ref=-1),  # ref: the page before
                            PageTruth("blank_page", "blank_back", ballot=number)))
        return out


def _in_feed_order(units: list[_Unit], rescans: int, rng: np.random.Generator,
                   seed: Callable[[], int]
                   ) -> tuple[list[_PagePlan], list[PageTruth], list[int]]:
    """The units' pages in feed order, with ``rescans`` pages scanned again later (each a
    group of its own): their plans, truth and unit (sheet group) numbers."""
    flat = [(plan, truth, u) for u, unit in enumerate(units) for plan, truth in unit]
    # pages scanned twice: (unit boundary to insert before, page repeated)
    boundaries = [i for i in range(1, len(flat) + 1)
                  if i == len(flat) or flat[i][2] != flat[i - 1][2]]
    ballot_pages = [i for i, (_, t, _) in enumerate(flat) if t.kind == "ballot"]
    repeats: dict[int, list[int]] = {}
    for _ in range(rescans):
        src = int(rng.choice(ballot_pages))
        later = [b for b in boundaries if b > src]
        repeats.setdefault(int(rng.choice(later)), []).append(src)

    plans: list[_PagePlan] = []
    truth: list[PageTruth] = []
    unit_ids: list[int] = []
    new_index: dict[int, int] = {}
    for pos in range(len(flat) + 1):
        for src in repeats.get(pos, []):
            s = new_index[src]
            t = truth[s]
            plans.append(_PagePlan("rescan", seed(), ref=s))
            truth.append(replace(t, status="duplicate", kind="rescan", duplicate_of=s))
            unit_ids.append(len(units) + len(plans))  # a group of its own
        if pos == len(flat):
            break
        plan, t, u = flat[pos]
        new_index[pos] = len(plans)
        if plan.kind == "blank_back":
            plan = _PagePlan(plan.kind, plan.seed, ref=len(plans) - 1)
        plans.append(plan)
        truth.append(t)
        unit_ids.append(u)
    return plans, truth, unit_ids


def seal_centre(layout: BallotLayout, page: int | None) -> tuple[float, float] | None:
    """The centre (mm) of the place the ballot prints for the body's seal on ``page``, or None
    if that page has none (only the header of each form's first page has it)."""
    seal = layout.spec.get("seal")
    if not seal or not any(f.first_page == page for f in layout.forms):
        return None
    half = float(seal["size"]) / 2
    return float(seal["x"]) + half, float(seal["y"]) + half


def _print(campaign: Campaign, layout: BallotLayout, dpi: int, pdf: bytes | None
           ) -> tuple[np.ndarray, ...]:
    if pdf is None:
        from pipeline.documents.ballot_pdf import ballot_pdf_bytes

        pdf = ballot_pdf_bytes(campaign, layout, copies=1)
    pages = tuple(render_pages(pdf, dpi))
    if len(pages) != layout.page_count:
        raise ValueError(f"the printed PDF has {len(pages)} pages; the layout of "
                         f"'{layout.campaign_id}' has {layout.page_count} (one copy expected)")
    return pages


