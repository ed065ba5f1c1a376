"""Voted, scanned ballots with ground truth, made the way the field makes them.

The test suite, ``kiemphieu demo`` and the accuracy benchmark need scans
whose right answer is known. This package makes them like a counting
committee does: print our own PDF (`render_pages`), mark it like people do
(`draw_mark`, `mark_ballot`), put it through a document scanner (`degrade`),
and save it in every input format ``kiemphieu scan`` accepts (`write_stack`,
`write_case`). `simulate_stack` does the whole stack at once, with blank
duplex backs, pages that are not ballots, ballots of another campaign and
pages fed twice mixed in.

Units: page geometry in millimetres from the page's top-left corner (the
frame of `omr.geometry` and ``layout.json``), resolutions in dots per inch,
pixel arrays as NumPy ``uint8`` of shape (H, W, 3) RGB or (H, W) grey, and
``bool`` of shape (H, W) for 1-bit pages (True = white paper, as PIL's mode
"1"). All randomness comes from a `numpy.random.Generator` passed in: the
same seed gives the same pages, byte for byte in every file written.

What a page should read as (`PageTruth`) follows the ``scan --jsonl``
record of CONTRACT.md: ``status``, ``campaign``, ``ballot_page`` and per
row ``outcome`` and ``level``. A row's truth is the voter's intent as a
counting committee would read it: a ring drawn around a box is a vote for
that level even where no ink enters the box (a reader that cannot see it
should say ``review``, never ``blank``); a row with a hesitation dot, a tiny
tick or a scribbled-out mark is ``review``. Every drawn mark (shape, pen,
width) is kept in the truth so errors can be broken down by kind of mark.
A voter may also write outside the boxes (`draw_note`, `NOTE_KINDS`: words,
a question mark, a number, a scrawl, an arrow, a ring around a name): a
row with a note beside it is ``review`` (`VoteMix.note`), and a note away
from the rows makes the page doubtful (`VoteModel.margin_notes`,
`PageTruth.page_doubt`); both are off by default and then draw nothing.

Scanner presets: `CLEAN` (300 dpi grey), `OFFICE` (200 dpi grey, pages
either way up), `COLOUR_150` (150 dpi colour, JPEG 60), `BITONAL` (200 dpi
1-bit, the scanner's dynamic threshold), `GLOBAL_BITONAL` (the same with one cut
for the page) and `ROUGH` (150 dpi, 5 degrees of skew, any orientation, shrunk,
noisy).

Stacks are lazy: `simulate_stack` plans every page (and its truth) at once
but makes a page's pixels only when asked, from the page's own seed, so a
stack of any length costs the memory of a page.

One module a section, in the order a ballot meets them:

- `simulator.kinds`: mark shapes, row outcomes, page statuses, colour modes;
- `simulator.paper`: the printed ballot rendered as a printer prints it (mm, dpi);
- `simulator.marks`: pens, and the strokes a voter draws in a box;
- `simulator.voters`: what each voter means on each row, and how they mark it;
- `simulator.notes`: handwriting outside the boxes;
- `simulator.seal`: the body's seal stamped by hand (red, or a photocopy's black);
- `simulator.handling`: the seal stamped, corners folded over and tea spilt before the scan
  (`Handling`);
- `simulator.truth`: a ballot marked as its voter meant, and what it should read as;
- `simulator.scanner`: a document scanner or a phone camera, with their faults;
- `simulator.sheets`: sheets that are not this campaign's ballots;
- `simulator.stack`: a whole stack, planned at once, its pixels made when asked;
- `simulator.files`: a stack written in every input format, and its truth read back.

Every public name is also here, as ``simulator.NAME``.
"""

from simulator.files import FORMATS, PageFile, grey, read_truth, write_case, write_stack
from simulator.handling import Handled, Handling, dog_ear, stain
from simulator.kinds import CLEAR_SHAPES, DOUBTFUL_SHAPES, SHAPES, SPILL, ColourMode, Outcome, Status
from simulator.marks import (
    PENS,
    STRESS_PENS,
    Mark,
    Pen,
    curve,
    draw_mark,
    ink_strokes,
    mark_strokes_mm,
    ring_points,
    smooth_noise,
)
from simulator.notes import NOTE_KINDS, SMALL_NOTE_KINDS, draw_note, note_strokes_mm
from simulator.paper import (
    MM_PER_INCH,
    PAPER_COLOURS,
    PT_PER_INCH,
    fade_toner,
    on_paper,
    px_per_mm,
    render_pages,
)
from simulator.scanner import (
    AUTO_THRESHOLD,
    BITONAL,
    CLEAN,
    COLOUR_150,
    GLOBAL_BITONAL,
    HARSH_PHONE,
    OFFICE,
    PHONE,
    ROUGH,
    STREAKED,
    STREAKED_BITONAL,
    STREAKED_SIDEWAYS,
    WORN,
    ScanProfile,
    degrade,
    draw_streak,
    fold_crease,
    photograph,
    printed_sheet,
    show_through,
    to_bitonal,
)
from simulator.seal import SealStamp, plan_stamp, stamp_seal
from simulator.sheets import blank_sheet, duplex_back, memo_page
from simulator.stack import PageImages, Stack, simulate_stack
from simulator.truth import (
    MarkedBallot,
    NoteTruth,
    PageTruth,
    RowTruth,
    draw_notes,
    draw_page_marks,
    draw_spill,
    mark_ballot,
    note_places,
    plan_marks,
    plan_notes,
    strike_through,
)
from simulator.voters import MarkMix, VotedRow, VoteMix, VoteModel, Voter, cast_votes

__all__ = [
    "AUTO_THRESHOLD",
    "BITONAL",
    "CLEAN",
    "CLEAR_SHAPES",
    "COLOUR_150",
    "DOUBTFUL_SHAPES",
    "FORMATS",
    "GLOBAL_BITONAL",
    "HARSH_PHONE",
    "MM_PER_INCH",
    "NOTE_KINDS",
    "OFFICE",
    "PAPER_COLOURS",
    "PENS",
    "PHONE",
    "PT_PER_INCH",
    "ROUGH",
    "SHAPES",
    "SMALL_NOTE_KINDS",
    "SPILL",
    "STREAKED",
    "STREAKED_BITONAL",
    "STREAKED_SIDEWAYS",
    "STRESS_PENS",
    "WORN",
    "ColourMode",
    "Handled",
    "Handling",
    "Mark",
    "MarkMix",
    "MarkedBallot",
    "NoteTruth",
    "Outcome",
    "PageFile",
    "PageImages",
    "PageTruth",
    "Pen",
    "RowTruth",
    "ScanProfile",
    "SealStamp",
    "Stack",
    "Status",
    "VoteMix",
    "VoteModel",
    "VotedRow",
    "Voter",
    "blank_sheet",
    "cast_votes",
    "curve",
    "degrade",
    "dog_ear",
    "draw_mark",
    "draw_note",
    "draw_notes",
    "draw_page_marks",
    "draw_spill",
    "draw_streak",
    "duplex_back",
    "fade_toner",
    "fold_crease",
    "grey",
    "ink_strokes",
    "mark_ballot",
    "mark_strokes_mm",
    "memo_page",
    "note_places",
    "note_strokes_mm",
    "on_paper",
    "photograph",
    "plan_marks",
    "plan_notes",
    "plan_stamp",
    "printed_sheet",
    "px_per_mm",
    "read_truth",
    "render_pages",
    "ring_points",
    "show_through",
    "simulate_stack",
    "smooth_noise",
    "stain",
    "stamp_seal",
    "strike_through",
    "to_bitonal",
    "write_case",
    "write_stack",
]
