"""Stage 4 (policy): from a row's box measurements to what the row says.

Scoring (`omr.scoring`) only measures; this module is the one place that turns
numbers into outcomes, so thresholds can change and stored measurements be
decided again without rescanning.

Each box is first put in one of three classes, then the row is decided.

**The box rule** (`MarkRule`), from three measurements per box: ``ink``, the
added ink in the box and the 1.9 mm around it (mm²); ``extent``, how long
that ink is (mm); ``fill``, the share of the box interior inked.

- *mark* — ``extent >= mark_extent_mm`` and ``ink >= mark_ink_mm2``: a
  stroke, a ring or a filling that spans more than half the box;
- *faint* — otherwise, ``ink >= faint_ink_mm2``, or ``ink >=
  faint_long_ink_mm2`` over at least ``mark_extent_mm``: ink a person must
  look at (a hesitation dot, a tiny tick, a very light or broken stroke, a
  pencil ring barely pressed);
- *empty* — otherwise.

Why length and not area: a 0.3 mm pen slash across the 7 mm box leaves about
1.5 mm² of ink, a 1.2 mm hesitation dot about 1.1 mm² and a tiny tick with a
1.2 mm felt tip up to 4.5 mm²: no area threshold separates them. Their
length does. A voter's X, tick or slash spans at least 60 % of the box
(4.2 mm) plus the pen's width; a ring drawn around or just inside the box
spans 5.5-10 mm; a filled box 5-7 mm. A dot or a tiny tick spans at most 30 %
of the box (2.1 mm) plus a pen of at most 1.2 mm, 3.3 mm. ``mark_extent_mm``
= 3.7 mm, half the box side and between the two, leaves 0.4-0.5 mm either
side. ``mark_ink_mm2`` = 0.3 mm² is a 3.7 mm line 0.08 mm wide: below it a
long mark is too faint to count unseen (pencil on a 150 dpi JPEG keeps
0.4 mm² and up). ``faint_ink_mm2`` = 0.12 mm² is a spot 0.4 mm across: an
untouched box measures 0.00 on grey scans and at most 0.02 mm² of 1-bit
speckle, while the smallest dot (0.7 mm spiral, half hidden in the outline
band) keeps 0.25 mm². A long trace needs less: ``faint_long_ink_mm2`` =
0.05 mm² spread over a mark's length is a stroke too light to count unseen
(a 0.34 mm pencil ring around the box on a noisy 150 dpi JPEG measured
0.112 mm² over 8.3 mm; a 0.36 mm pencil ring lying almost on the printed
outline, photographed at 5.8 px/mm, 0.053 mm² over 7.9 mm), above the
most 1-bit speckle left in any untouched box of the accuracy corpus
(0.037 mm² at 150 dpi, 151,222 boxes of 23 profiles), whose scattered
specks can also span the box. Below it, grey scans and photos leave
nothing that long: untouched boxes measure at most 0.03 mm² over 3.7 mm
or more, all of them 1-bit.

**The row rule**:

=================  ==============  =====================================
mark boxes         faint boxes     outcome
=================  ==============  =====================================
0                  0               ``blank``
1                  0               ``vote`` (``choice`` = that box)
2 or more          0               ``overvote``
2 or more, one     0               ``review``: a mark scribbled out?
blacked out
any                1 or more       ``review``
=================  ==============  =====================================

A box is *blacked out* when its fill >= ``blackout_fill`` (0.5): half the
interior inked over, which no X, tick, slash or ring does (a 0.5 mm pen X
corner to corner covers 0.2-0.35, a 1.2 mm felt-tip X about 0.45), while a
filled or scribbled-over box covers 0.55-1.0. A blacked-out box beside
another mark is how a voter corrects a mistake (scribbles the first mark
out, marks another box). A scribbled-out mark and a filled-in box look
alike (both are a box inked over), so only a person can tell a correction
from two votes, and the row goes to review. The price: a voter who fills
boxes and marks two of them goes to review rather than straight to
``overvote`` — never to a wrong count.

A faint box always goes to a person: it may be a hesitant mark, a mark
half rubbed out, or a stray dot, and only a person can tell.

**A line through the box.** Ink that reaches two opposite sides of a box's
measured zone (box + 1.9 mm) in a band at most ``max_line_mm`` (1.6 mm)
thick is a straight line across the page — a fold's crease, a scanner
streak, a line ruled over the table — not a voter's mark, which stays within
a ring of 130 % of the box: the row goes to review ("a straight line runs
right through box 2 from side to side (0.4 mm thick): ...").

**Light ink from beyond the box.** A voter's mark stays within a box's
measured zone (box + 1.9 mm), or runs past one side of it. Ink that crosses
the zone, reaching two or more of its sides, and is nowhere as dark as a
pen's (`omr.scoring.BoxMeasure.strength` below ``light_strength``) is the
edge of a dried tea or coffee stain, a crease, a pencil line from elsewhere,
or a light mark drawn large: the row goes to review ("light ink crosses box
2 from beyond it: ..."), never to a vote or an overvote a stain made.

**A ring drawn on the printed line.** Every measure of a box leaves out the
band of its printed outline, and a ring drawn on the line itself (a light
pencil circle the size of the box) lies in it. A box whose band holds ink
beyond what its column's boxes hold there along ``around_share`` (0.6) of
the outline or more, ``around_mm2`` (0.3 mm²) in all, and that is not
counted as a mark, sends the row to review ("ink along the whole outline of
box 1: a ring drawn on the line?"). The boxes of clear blank rows show such
ink along at most 5 % of their outline; the rings 70-97 %.

**Two marks, one far lighter.** A pencil mark rubbed out leaves a ghost of
itself; a shadow's sharp edge in sunlight lies over a box like a light
stroke. Beside a mark, ink whose strength (`omr.scoring.BoxMeasure.strength`)
is less than ``lighter_share`` (0.5) of that mark's is not a second mark as
plainly as the first: the row goes to review ("the mark in box 2 is far
lighter than the one in box 1: rubbed out, or a shadow?"), not to
``overvote``. A mark lighter than ``mark_strength`` (0.2) is lighter than any
pencil held lightly (its Xs and ticks measure 0.24 and more in the
benchmarks; a sunlit shadow's edge 0.14-0.19): faint, for a person, unless it
rings its box (a light ring, its ink spread thin, measures 0.17 and more, and
no shadow rings a box). On a 1-bit scan every mark is full strength.

**A shade, not strokes.** A voter draws strokes: an X, a tick, a ring, none
wider than a felt-tip's 1.2 mm. Light ink (strength under ``shade_strength``,
0.6) lying mostly in areas (``shade_broad``, 0.3, of it in spots 2 mm wide:
`omr.scoring.BoxMeasure.broad`) in a box counted is a shade: what a sunlit
shadow's sharp edge leaves on a photo, a smudge of graphite, or a box shaded
lightly. The row goes to review ("box 2 holds a light, even shade rather than
strokes: ..."). Light pencil Xs, ticks and rings measure 0 so. A box inked
over (fill ``blackout_fill`` or more) is no shade: filled in light pencil it is
a vote, beside another mark it goes to review as a box inked over.

**A shadow's edge across the box.** On a photo whose light was evened out,
the paper round a box darker on one side than the other by ``shadow_step``
(0.12) of its level or more (`omr.scoring.BoxMeasure.shadow`) is a shadow's
edge the light map could not follow: a sharp one (sunlight, a fingertip)
leaves a line or a shade along it as dark as pencil (strength 0.3-0.75).
Ink there lighter than ``shadow_strength`` (1, a pen's) in a box counted
sends the row to review ("the edge of a shadow on the photo crosses box 2
(...) and the ink there is lighter than a pen's: ..."), unless it is darker
than ``shadow_share`` (2.5) times the step: what an edge leaves is never much
darker than its shadow (at most 1.8 times the step, 21 such boxes on the
sunlit profiles), and a pencil mark under a faint edge is plainly more.
Under an even light, and under the soft shadows the light map follows,
boxes measure under 0.05 (99 % of light marks on the phone profiles under
0.11).

**A mark spilling into the neighbouring box.** A voter's stroke may run on
past its box and end just over the next box's edge. A box whose ink comes
in from the side of a neighbour holding a mark, where the neighbour's ink
leaves towards it, and reaches no more than ``spill_reach_mm`` (2.5 mm)
into the box, is that mark's stroke, not a second mark: the box counts as
empty (a tick's own arm spans 4 mm and more of its box). A blacked-out box
is never taken for a spill.

**A dot resting on the printed line.** Every box measure leaves out the
outline's band (the printer's ink), and with it a hesitation dot made on
the line: the row would read blank. A row with no mark or doubt in its
boxes, but a box whose ink on its outline beyond what the line itself and
the page's boxes usually hold there (`omr.scoring.BoxMeasure.on_outline_mm2`),
with the box's ink up to as much again (what of a dot on the line reaches
past the band into the box), comes to ``outline_ink_mm2``
(0.1 mm²) or more, goes to review ("ink on the printed outline of box 2
(0.62 mm²), nothing in the boxes: a dot resting on the line?"). A light
pencil dot or tiny tick on the line measures 0.11-0.34 mm² so (seeds 19,
777 and 4242, the pencil presets), a pen dot up to 1.1; the boxes of clear
blank rows at most 0.075 (1-bit at 200 dpi; 0.04 on grey scans and photos), but where a
scanner streak runs along a box's edge (such a row goes to review for the
streak). Only a row otherwise blank: in a row with a mark, a stroke
crossing the next box's line is the mark's own (a spill).

**Rows stored before ink and extent were measured** have fills only: no
rule here decides them again; their stored decision stands
(`omr.page.has_measures`).

Reasons (`omr.reasons`) name boxes 1-based in level order with their
numbers, e.g. ``SHORT_MARK(box=2, extent_mm=2.1, ink_mm2=1.3)`` ("short mark
in box 2 (2.1 mm, 1.30 mm²)"), ``ONE_CLEAR_AND_DOUBTS`` ("one clear mark (box
1, 7.2 mm) and a short mark in box 3 (1.4 mm, 0.95 mm²)"), ``BLACKED_OUT``
("box 2 blacked out (fill 0.91) beside a mark in box 1: a mark scribbled
out?"). A campaign's thresholds (``thresholds:`` in its file) are a `MarkRule`.
"""

from __future__ import annotations

from dataclasses import dataclass

from omr import reasons as why
from omr.reasons import Reason

VOTE = "vote"
BLANK = "blank"
OVERVOTE = "overvote"
REVIEW = "review"
OUTCOMES = (VOTE, BLANK, OVERVOTE, REVIEW)

MARK = "mark"
FAINT = "faint"
EMPTY = "empty"


@dataclass(frozen=True)
class MarkRule:
    """Thresholds of the box rule (module docstring gives the reasoning).

    Attributes
    ----------
    mark_extent_mm
        Shortest ink (mm) that is a deliberate mark.
    mark_ink_mm2
        Least ink (mm²) a deliberate mark holds.
    faint_ink_mm2
        Least ink (mm²) a person must look at; <= ``mark_ink_mm2``.
    faint_long_ink_mm2
        Least ink (mm²) a person must look at when it is at least
        ``mark_extent_mm`` long; <= ``faint_ink_mm2``.
    blackout_fill
        Fill (0..1) from which a box is inked over (scribbled out or filled).
    max_line_mm
        Ink running straight through a box's measured zone from side to side
        (`omr.scoring.BoxMeasure.through_mm`) at most this thick is a line
        across the page — a fold's crease, a scanner streak, a ruler line —
        not a mark a voter makes inside one box: the row goes to review.
    spill_reach_mm
        A box's ink that comes in from the side of a neighbouring box holding
        a mark, whose ink leaves towards it, and reaches at most this far
        (mm) into the box is that mark's stroke running on (a spill), not a
        second mark: the box counts as empty.
    outline_ink_mm2
        Ink on a box's printed outline (`omr.scoring.BoxMeasure.on_outline_mm2`)
        from which a row with no other ink goes to review: a dot resting on
        the line, which every other measure leaves out with the line.
    light_strength
        Ink in a box that reaches ``light_edges`` or more sides of its measured
        zone, its strength (`omr.scoring.BoxMeasure.strength`) below this, is
        light ink crossing the box from beyond it: the row goes to review.
    light_edges
        See ``light_strength``.
    mark_strength
        A mark whose strength is under this is faint (`FAINT`), however large,
        unless it rings its box.
    lighter_share
        Of two or more marks in a row, one whose strength is under this share
        of the strongest's (a mark rubbed out, a shadow's edge) sends the row to
        review instead of ``overvote``.
    around_share, around_mm2
        A box not counted as a mark whose outline holds ink beyond its
        column's boxes' along this share of it or more, this much (mm²) in all
        (`omr.scoring.BoxMeasure.around_mm2`), holds a ring drawn on the line:
        the row goes to review.
    shade_strength, shade_broad
        A box counted, its ink lighter than ``shade_strength`` and at least
        ``shade_broad`` of it in areas rather than strokes
        (`omr.scoring.BoxMeasure.broad`), holds a shade: the edge of a sharp
        shadow on a photo, a smudge, or a box shaded lightly in pencil. The row
        goes to review.
    shadow_step, shadow_strength, shadow_share
        A box counted whose paper round it is ``shadow_step`` or more darker on
        one side than the other (`omr.scoring.BoxMeasure.shadow`: a shadow's
        edge on a photo the light could not be evened under), its ink lighter
        than ``shadow_strength`` and than ``shadow_share`` times that step, may
        hold only the shadow's edge: a sharp one leaves a shade or a line as
        dark as pencil, but never much darker than the shadow itself. The row
        goes to review.
    streak_hides_mm
        A scanner streak too dark to see through (`omr.faults.see_through_streaks`)
        this wide or wider could hide a mark in a box it crosses: the row goes
        to review. A narrower one cannot hide a mark (``mark_extent_mm`` long),
        which shows beside it: the box is measured through the streak.
    """

    mark_extent_mm: float = 3.7
    mark_ink_mm2: float = 0.3
    faint_ink_mm2: float = 0.12
    faint_long_ink_mm2: float = 0.05
    blackout_fill: float = 0.5
    max_line_mm: float = 1.6
    spill_reach_mm: float = 2.5
    outline_ink_mm2: float = 0.1
    streak_hides_mm: float = 1.8
    light_strength: float = 1.0
    light_edges: int = 2
    around_share: float = 0.6
    lighter_share: float = 0.5
    mark_strength: float = 0.2
    around_mm2: float = 0.3
    shade_strength: float = 0.6
    shade_broad: float = 0.3
    shadow_step: float = 0.12
    shadow_strength: float = 1.0
    shadow_share: float = 2.5

    def __post_init__(self) -> None:
        if (not (0 < self.faint_long_ink_mm2 <= self.faint_ink_mm2 <= self.mark_ink_mm2)
                or self.mark_extent_mm <= 0):
            raise ValueError(
                f"mark rule needs 0 < faint_long_ink_mm2 <= faint_ink_mm2 <= mark_ink_mm2 and "
                f"mark_extent_mm > 0 (faint long {self.faint_long_ink_mm2}, "
                f"faint {self.faint_ink_mm2}, mark {self.mark_ink_mm2}, "
                f"extent {self.mark_extent_mm})"
            )
        if not 0 < self.blackout_fill <= 1:
            raise ValueError(f"blackout_fill {self.blackout_fill} is outside (0, 1]")
        if not self.outline_ink_mm2 > 0:
            raise ValueError(f"outline_ink_mm2 {self.outline_ink_mm2} must be more than 0")


DEFAULT_RULE = MarkRule()


@dataclass(frozen=True)
class RowDecision:
    """What one row says.

    Attributes
    ----------
    outcome
        ``"vote"``, ``"blank"``, ``"overvote"`` or ``"review"``.
    choice
        For ``"vote"``, the 0-based index of the marked box in the row's
        fills (level order); otherwise None.
    reasons
        For ``"review"`` and ``"overvote"``, why (`omr.reasons`); otherwise empty.
    """

    outcome: str
    choice: int | None = None
    reasons: tuple[Reason, ...] = ()


def classify_box(fill: float, ink_mm2: float, extent_mm: float,
                 rule: MarkRule = DEFAULT_RULE) -> str:
    """``"mark"``, ``"faint"`` or ``"empty"`` for one box (the box rule)."""
    if ink_mm2 >= rule.mark_ink_mm2 and extent_mm >= rule.mark_extent_mm:
        return MARK
    if ink_mm2 >= rule.faint_ink_mm2 or (
            ink_mm2 >= rule.faint_long_ink_mm2 and extent_mm >= rule.mark_extent_mm):
        return FAINT
    return EMPTY


def decide_row(
    fills: tuple[float, ...],
    inks: tuple[float, ...],
    extents: tuple[float, ...],
    *,
    rule: MarkRule = DEFAULT_RULE,
    throughs: tuple[float, ...] | None = None,
    enters: tuple[tuple[float, float], ...] | None = None,
    on_outlines: tuple[float, ...] | None = None,
    edges: tuple[int, ...] | None = None,
    strengths: tuple[float, ...] | None = None,
    arounds: tuple[float, ...] | None = None,
    around_shares: tuple[float, ...] | None = None,
    rings: tuple[bool, ...] | None = None,
    broads: tuple[float, ...] | None = None,
    shadows: tuple[float, ...] | None = None,
) -> RowDecision:
    """Apply the rule in the module docstring to one row's measurements.

    Parameters
    ----------
    fills
        Fill scores (0..1), one per box in level order.
    inks, extents
        Added ink (mm²) and its length (mm) per box, as `omr.scoring` measures
        them: what the box rule of `MarkRule` classifies.
    rule
        Thresholds of the box rule.
    throughs
        Per box, the thickness (mm) of ink running straight through its zone
        from side to side, 0 if none (`omr.scoring.RowScores.throughs`); a
        box holding such a line (thinner than ``rule.max_line_mm``) sends the
        row to review before anything else.
    enters
        Per box, how far ink coming in from beyond its zone on the left and
        on the right reaches into it (mm, 0 if none;
        `omr.scoring.RowScores.enters`): a neighbour's mark spilling over is
        not counted (``rule.spill_reach_mm``).
    on_outlines
        Per box, ink on its printed outline (mm²,
        `omr.scoring.RowScores.on_outlines`): a row otherwise blank with
        ``rule.outline_ink_mm2`` or more on a box's outline goes to review.
    edges, strengths
        Per box, how many sides of its measured zone its ink reaches and how dark
        it is (`omr.scoring.RowScores.edges`, ``strengths``): light ink crossing a
        box that counts (``rule.light_strength``) sends the row to review; so do a
        mark lighter than any pencil (``rule.mark_strength``) and, of two marks,
        one far lighter than the other (``rule.lighter_share``).
    arounds, around_shares
        Per box, ink along its outline beyond its column's boxes (mm²) and the
        share of the outline holding it (`omr.scoring.RowScores.arounds`): a box
        not counted as a mark with a ring on its line sends the row to review.
    rings
        Per box, whether its ink rings it (`omr.scoring.RowScores.rings`): a ring
        is never faint for its strength alone.
    broads
        Per box, the share of its ink in areas rather than strokes
        (`omr.scoring.RowScores.broads`): light ink mostly in areas is a shade,
        and sends the row to review (``rule.shade_strength``).
    shadows
        Per box, how much darker the paper round it is on one side
        (`omr.scoring.RowScores.shadows`): light ink in a box a shadow's edge
        crosses sends the row to review (``rule.shadow_step``).

    Raises
    ------
    ValueError
        ``inks``/``extents`` not one per box.
    """
    if not len(inks) == len(extents) == len(fills):
        raise ValueError(
            f"one measurement per box needed: {len(fills)} fills, {len(inks)} inks, "
            f"{len(extents)} extents"
        )
    kinds = [classify_box(f, i, e, rule) for f, i, e in zip(fills, inks, extents, strict=True)]
    if enters:
        for b in _spilled_into(kinds, fills, enters, rule):
            kinds[b] = EMPTY
    if strengths:  # lighter than any pencil: a shadow's edge, a mark rubbed out
        ring_flags = rings or (False,) * len(kinds)
        kinds = [FAINT if k == MARK and st < rule.mark_strength and not r else k
                 for k, st, r in zip(kinds, strengths, ring_flags, strict=True)]
    marks = [b for b, k in enumerate(kinds) if k == MARK]
    faint = [b for b, k in enumerate(kinds) if k == FAINT]
    lines = [b for b, t in enumerate(throughs or ()) if 0 < t <= rule.max_line_mm
             and kinds[b] != EMPTY]
    if lines:
        return _review(why.LINE_THROUGH_BOXES(
            boxes=_numbered(lines), thick_mm=tuple((throughs or ())[b] for b in lines)))
    if edges and strengths:
        crossed = [b for b, (e, st) in enumerate(zip(edges, strengths, strict=True))
                   if e >= rule.light_edges and st < rule.light_strength and kinds[b] != EMPTY]
        if crossed:
            return _review(why.LIGHT_INK_CROSSES(boxes=_numbered(crossed)))
    # a box inked over (filled in lightly, a plain vote alone) is no shade; beside another
    # mark it goes to review as such (blacked out, below)
    inked_over = len(marks) > 1 and any(fills[b] >= rule.blackout_fill for b in marks)
    if broads and strengths and not inked_over:
        shaded = [b for b, (sh, st) in enumerate(zip(broads, strengths, strict=True))
                  if sh >= rule.shade_broad and st < rule.shade_strength and kinds[b] != EMPTY
                  and fills[b] < rule.blackout_fill]
        if shaded:
            return _review(why.LIGHT_SHADE(boxes=_numbered(shaded),
                                           strength=tuple(strengths[b] for b in shaded),
                                           broad=tuple(broads[b] for b in shaded)))
    if shadows and strengths:
        edged = [b for b, (sh, st) in enumerate(zip(shadows, strengths, strict=True))
                 if sh >= rule.shadow_step and st < min(rule.shadow_strength, rule.shadow_share * sh)
                 and kinds[b] != EMPTY]
        if edged:
            return _review(why.SHADOW_EDGE(boxes=_numbered(edged),
                                           step=tuple(shadows[b] for b in edged)))

    if arounds and around_shares:
        ringed = [b for b, (v, sh) in enumerate(zip(arounds, around_shares, strict=True))
                  if sh >= rule.around_share and v >= rule.around_mm2 and kinds[b] != MARK]
        if ringed:
            return _review(why.RING_ON_OUTLINE(boxes=_numbered(ringed),
                                               ink_mm2=tuple(arounds[b] for b in ringed)))

    def doubt(b: int) -> Reason:
        what = why.SHORT_MARK if inks[b] >= rule.mark_ink_mm2 else why.FAINT_MARK
        return what(box=b + 1, extent_mm=extents[b], ink_mm2=inks[b])

    if faint:
        doubts = tuple(doubt(b) for b in faint)
        if not marks:
            return _review(doubts[0] if len(doubts) == 1 else why.MARKS_IN_DOUBT(doubts=doubts))
        if len(marks) == 1:
            return _review(why.ONE_CLEAR_AND_DOUBTS(box=marks[0] + 1, extent_mm=extents[marks[0]],
                                                    doubts=doubts))
        return _review(why.CLEAR_MARKS_AND_DOUBTS(
            marks=tuple(why.MARK_LENGTH(box=b + 1, extent_mm=extents[b]) for b in marks),
            doubts=doubts))
    if not marks:
        # a dot on the line, with what of it reaches past the band into the box's zone (no
        # more than lies on the line: a dot inside the box near its line is the box's own)
        seen = [v + min(inks[b], v) for b, v in enumerate(on_outlines or ())]
        dotted = [b for b, v in enumerate(seen) if v >= rule.outline_ink_mm2]
        if dotted:
            return _review(why.DOT_ON_OUTLINE(
                boxes=_numbered(dotted), ink_mm2=tuple(round(seen[b], 3) for b in dotted)))
        return RowDecision(BLANK)
    if len(marks) == 1:
        return RowDecision(VOTE, marks[0])
    blacked = [b for b in marks if fills[b] >= rule.blackout_fill]
    if blacked:
        first = blacked[0]
        return _review(why.BLACKED_OUT(box=first + 1, fill=fills[first],
                                       boxes=_numbered([b for b in marks if b != first])))
    if strengths:
        strongest = max(marks, key=lambda b: strengths[b])
        lighter = [b for b in marks if strengths[b] < rule.lighter_share * strengths[strongest]]
        if lighter:
            return _review(why.MARK_FAR_LIGHTER(
                boxes=_numbered(lighter), box=strongest + 1,
                strength=tuple(strengths[b] for b in lighter), than=strengths[strongest]))
    return RowDecision(OVERVOTE, None, (why.CLEAR_MARKS(
        boxes=_numbered(marks), extent_mm=tuple(extents[b] for b in marks)),))


def _review(reason: Reason) -> RowDecision:
    return RowDecision(REVIEW, None, (reason,))


def _numbered(boxes: list[int]) -> tuple[int, ...]:
    """0-based box indices as the 1-based numbers a reason names."""
    return tuple(b + 1 for b in boxes)


def _spilled_into(kinds: list[str], fills: tuple[float, ...],
                  enters: tuple[tuple[float, float], ...], rule: MarkRule) -> list[int]:
    """Boxes whose only ink is a neighbouring mark's stroke running on just over their edge."""
    out = []
    for b, kind in enumerate(kinds):
        if kind == EMPTY or fills[b] >= rule.blackout_fill:
            continue
        for n, side in ((b - 1, 0), (b + 1, 1)):  # neighbour to the left, to the right
            if not 0 <= n < len(kinds) or kinds[n] != MARK:
                continue
            reach = enters[b][side]
            leaves = enters[n][1 - side] > 0  # the neighbour's ink runs out towards this box
            if 0 < reach <= rule.spill_reach_mm and leaves:
                out.append(b)
                break
    return out
