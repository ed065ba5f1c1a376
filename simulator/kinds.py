"""The kinds of things the simulator makes.

Mark shapes, row outcomes, page statuses, colour modes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    pass




#: Marks a voter means: one of these in one box is a clear vote.
CLEAR_SHAPES = ("x", "tick", "fill", "slash", "circle")
#: Marks a person must look at: a hesitation dot, a tiny tick, a scribbled-out mark.
DOUBTFUL_SHAPES = ("dot", "tiny_tick", "scribble")
#: A clear mark whose last stroke runs on into the neighbouring box (a tick whose long
#: arm ends 0.5-2 mm over the next box's edge): one vote to a person.
SPILL = "spill"
SHAPES = CLEAR_SHAPES + DOUBTFUL_SHAPES + (SPILL,)

#: Row outcomes of CONTRACT.md's ``scan --jsonl``.
Outcome = Literal["vote", "blank", "overvote", "review"]
Status = Literal["accepted", "blank_page", "rejected", "duplicate"]
ColourMode = Literal["rgb", "grey", "bitonal"]


