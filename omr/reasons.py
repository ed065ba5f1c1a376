"""Why the reader refuses a page, doubts it, or sends a row to a person: typed values.

A `Reason` is a code and its parameters (numbers, box numbers, corner
names, and other reasons it carries), never a sentence: `omr` knows no
language. The words are put on at the edge, from message catalogs keyed by
code (`pipeline.domain.wording`), in English for the audit record and in
Vietnamese for the people who read them. Anything holding several reasons
(a row with a streak and a note, a page refused for three faults of its
fit) holds a tuple of them, in the order found.

Each code the reader gives is a `Code` below, with the names of its
parameters; `Code.__call__` makes a reason and refuses any other
parameters, so a reason always fits the catalogs' entry for it (a test
checks that each entry names exactly these parameters).

Parameter values are plain: ``int``, ``float``, ``str``, ``None``, a
`Reason`, or a tuple of these, so that a reason is hashable, picklable
between reading processes, and kept as JSON (`Reason.to_data`). A few
names are words the catalogs give (see `pipeline.domain.wording`):
``boxes`` (1-based box numbers of a row), ``corners`` (corner names such
as ``"top_left"``, or the id of a mark of no corner), ``along``
(``"down"`` or ``"across"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

# A parameter's value: what a reason may carry.
Param = Union[int, float, str, None, "Reason", tuple["Param", ...]]


@dataclass(frozen=True, init=False)
class Reason:
    """A code and its parameters, e.g. ``Reason("short_mark", box=2, extent_mm=2.1, ink_mm2=1.3)``.

    ``params`` is kept as (name, value) pairs in name order, values made
    immutable (lists become tuples, NumPy numbers Python numbers), so two
    reasons with the same code and values are equal.
    """

    code: str
    params: tuple[tuple[str, Param], ...]

    def __init__(self, code: str, /, **params: Any) -> None:
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "params",
                           tuple((k, _plain(params[k])) for k in sorted(params)))

    def __getitem__(self, name: str) -> Param:
        for key, value in self.params:
            if key == name:
                return value
        raise KeyError(f"{self.code} has no parameter {name!r}")

    def as_dict(self) -> dict[str, Param]:
        """The parameters by name."""
        return dict(self.params)

    def to_data(self) -> dict[str, Any]:
        """As JSON-ready values: ``{"code": ..., "params": {...}}``, nested reasons alike."""
        return {"code": self.code, "params": {k: _to_data(v) for k, v in self.params}}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Reason:
        """The reason `to_data` made. Raises `ValueError` for anything else."""
        if not isinstance(data, Mapping) or not isinstance(data.get("code"), str):
            raise ValueError(f"not a reason: {data!r}")
        params = data.get("params") or {}
        if not isinstance(params, Mapping):
            raise ValueError(f"not a reason's parameters: {params!r}")
        return cls(data["code"], **{str(k): _from_data(v) for k, v in params.items()})


@dataclass(frozen=True)
class Code:
    """One kind of reason: its code and the names of its parameters.

    Calling it makes the reason: ``SHORT_MARK(box=2, extent_mm=2.1, ink_mm2=1.3)``.
    Raises `TypeError` if the parameters given are not exactly ``params``.
    """

    code: str
    params: frozenset[str] = frozenset()

    def __call__(self, **params: Any) -> Reason:
        if set(params) != self.params:
            raise TypeError(f"{self.code} takes {sorted(self.params)}, not {sorted(params)}")
        return Reason(self.code, **params)


def code(name: str, *params: str) -> Code:
    """A `Code` named ``name`` with parameters ``params``."""
    return Code(name, frozenset(params))


def _plain(value: Any) -> Param:
    if value is None or isinstance(value, (Reason, str, bool)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    if hasattr(value, "item"):  # a NumPy scalar
        return _plain(value.item())
    raise TypeError(f"a reason's parameter cannot be a {type(value).__name__}: {value!r}")


def _to_data(value: Param) -> Any:
    if isinstance(value, Reason):
        return value.to_data()
    if isinstance(value, tuple):
        return [_to_data(v) for v in value]
    return value


def _from_data(value: Any) -> Param:
    if isinstance(value, Mapping):
        return Reason.from_data(value)
    if isinstance(value, list):
        return tuple(_from_data(v) for v in value)
    return _plain(value)


# -- the reader's codes ---------------------------------------------------------------------
# The English each gives is in pipeline/locale/en/LC_MESSAGES/kiemphieu.po.

# a row's boxes: omr.decide
LINE_THROUGH_BOXES = code("line_through_boxes", "boxes", "thick_mm")
LIGHT_INK_CROSSES = code("light_ink_crosses", "boxes")
LIGHT_SHADE = code("light_shade", "boxes", "strength", "broad")
SHADOW_EDGE = code("shadow_edge", "boxes", "step")
RING_ON_OUTLINE = code("ring_on_outline", "boxes", "ink_mm2")
MARK_FAR_LIGHTER = code("mark_far_lighter", "boxes", "box", "strength", "than")
SHORT_MARK = code("short_mark", "box", "extent_mm", "ink_mm2")
FAINT_MARK = code("faint_mark", "box", "extent_mm", "ink_mm2")
MARK_LENGTH = code("mark_length", "box", "extent_mm")
ONE_CLEAR_AND_DOUBTS = code("one_clear_and_doubts", "box", "extent_mm", "doubts")
CLEAR_MARKS_AND_DOUBTS = code("clear_marks_and_doubts", "marks", "doubts")
DOT_ON_OUTLINE = code("dot_on_outline", "boxes", "ink_mm2")
BLACKED_OUT = code("blacked_out", "box", "fill", "boxes")
CLEAR_MARKS = code("clear_marks", "boxes", "extent_mm")
MARKS_IN_DOUBT = code("marks_in_doubt", "doubts")
# the fill-only rule of early versions: no longer made, read back from the rows it decided
FILL_FAINT_MARK = code("fill_faint_mark", "box", "fill")
FILL_FAINT_MARKS = code("fill_faint_marks", "boxes", "fills")
FILL_CLEAR_MARKS = code("fill_clear_marks", "boxes", "fills")
FILL_ONE_CLEAR = code("fill_one_clear", "box", "fill")
FILL_CLEAR_AND_A_FAINT = code("fill_clear_and_a_faint", "clear", "faint")
FILL_CLEAR_AND_FAINT = code("fill_clear_and_faint", "clear", "faint")

# what the boxes said, beside a finding that sends the row to review: omr.page
READ_AS = code("read_as", "finding", "read")
NO_BOX_MARKED = code("no_box_marked", "finding")
ONE_VOTE = code("one_vote")

# faults on the scan: omr.faults, omr.notes, omr.code, omr.page
SCANNER_STREAK = code("scanner_streak", "width_mm", "along", "axis", "position_px", "through")
THROUGH_ROW = code("through_row", "row")
THROUGH_ROWS = code("through_rows", "rows")
STREAK_THROUGH_BOXES = code("streak_through_boxes", "boxes")
STRUCK_NAME = code("struck_name", "row", "length_mm")
NOTE = code("note", "where", "w_mm", "h_mm", "x_mm", "y_mm")
CODE_NAMED_PAST_STREAK = code("code_named_past_streak", "alike", "visible")
CODE_NAMED_FADED = code("code_named_faded", "alike", "visible")
CODE_NAMED_BY_TABLE = code("code_named_by_table")

# where a note is (omr.notes `Note.where`): ``row`` is None for those away from the rows
NOTE_ROW_LEFT = code("note_row_left", "row")
NOTE_ROW_RIGHT = code("note_row_right", "row")
NOTE_ROW_BETWEEN = code("note_row_between", "row")
NOTE_MARGIN_LEFT_ROW = code("note_margin_left_row", "row")
NOTE_MARGIN_RIGHT_ROW = code("note_margin_right_row", "row")
NOTE_MARGIN_LEFT = code("note_margin_left")
NOTE_MARGIN_RIGHT = code("note_margin_right")
NOTE_TABLE = code("note_table")
NOTE_ABOVE = code("note_above")
NOTE_BELOW = code("note_below")
NOTE_MARGIN_LEFT_ABOVE = code("note_margin_left_above")
NOTE_MARGIN_RIGHT_ABOVE = code("note_margin_right_above")
NOTE_MARGIN_LEFT_BELOW = code("note_margin_left_below")
NOTE_MARGIN_RIGHT_BELOW = code("note_margin_right_below")

# placing the page: omr.registration, omr.scoring, omr.page
IMAGE_TOO_SMALL = code("image_too_small", "width", "height", "min_px")
BLANK_SHEET = code("blank_sheet", "ink")
NO_MARKS = code("no_marks", "ink", "foreign")
FOREIGN_IDS = code("foreign_ids", "ids")
TOO_FEW_MARKS = code("too_few_marks", "found", "corners", "missing_corners")
CODE_NOT_FOUND_TO_PLACE = code("code_not_found_to_place")
TABLE_NOT_CONFIRMED = code("table_not_confirmed", "found", "total")
THREE_MARKS_NOT_FLAT = code("three_marks_not_flat", "corners", "rms_mm")
MARK_SEEN_TWICE = code("mark_seen_twice", "corners")
MARKS_NOT_A_PAGE = code("marks_not_a_page", "corners")
PERSPECTIVE_UNCONFIRMED = code("perspective_unconfirmed", "corners", "perspective_mm")
PERSPECTIVE_CODE_OFF = code("perspective_code_off", "corners", "perspective_mm", "off_mm",
                            "allowed_mm")
FIT_REFUSED = code("fit_refused", "corners", "problems")
FIT_MIRRORED = code("fit_mirrored")
FIT_RESIDUAL = code("fit_residual", "residual_mm", "allowed_mm")
FIT_PERSPECTIVE = code("fit_perspective", "perspective_mm", "allowed_mm")
FIT_STRETCHED = code("fit_stretched", "across", "down", "ratio", "allowed")
FIT_SHEARED = code("fit_sheared", "degrees")
FIT_SCALE_SPREAD = code("fit_scale_spread", "spread")
FIT_TOO_SMALL = code("fit_too_small", "px_per_mm", "need")
OUTLINES_MISPLACED = code("outlines_misplaced", "missing", "total", "rows")

# the page's code: omr.code
CODES_DIFFER = code("codes_differ", "count")
CODE_UNREADABLE = code("code_unreadable")

#: Every code the reader gives, by name.
CODES: dict[str, Code] = {c.code: c for c in globals().values() if isinstance(c, Code)}
