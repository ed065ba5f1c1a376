"""reasons as codes and parameters: page, row_reading and review_item get a ``reasons`` column

Revision ID: 0005
Revises: 0004

Until this revision a reason was kept only as the English sentence the
reader wrote. This adds ``reasons`` (JSON: a list of ``{"code": ...,
"params": {...}}``, `pipeline.domain.reasons`) beside ``reason``, and fills
it for the reasons already stored by reading their English back: the one
place that parses a reason's words. Each template below is an English
sentence as the reader wrote it, with its parameters as ``{name:kind}``; a
sentence made of several joined by "; " is cut at each "; " outside
parentheses and its parts grouped so that the fewest are left unknown. A
sentence no template knows is kept as it is (``recorded``), so that every
stored reason still shows. The English ``reason`` is not changed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

TABLES = {"page": ("id",), "row_reading": ("page_id", "candidate"), "review_item": ("id",)}


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("reasons", sa.JSON(), nullable=True))
    conn = op.get_bind()
    for table, keys in TABLES.items():
        t = sa.table(table, *(sa.column(k) for k in keys), sa.column("reason", sa.Text),
                     sa.column("reasons", sa.JSON))
        stored = conn.execute(sa.select(*(t.c[k] for k in keys), t.c.reason)
                              .where(t.c.reason.is_not(None))).all()
        changes = [{**{f"k_{k}": v for k, v in zip(keys, row[:-1], strict=True)},
                    "new": parse_reasons(row[-1])} for row in stored if row[-1]]
        if changes:
            where = sa.and_(*(t.c[k] == sa.bindparam(f"k_{k}") for k in keys))
            conn.execute(t.update().where(where).values(reasons=sa.bindparam("new")), changes)


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "reasons")


# -- reading old English back -------------------------------------------------------------------

def reason(code: str, **params: Any) -> dict[str, Any]:
    return {"code": code, "params": params}


def recorded(text: str) -> dict[str, Any]:
    return reason("recorded", text=text)


# code, English template. Tried in order; the first whose every part reads wins.
TEMPLATES: tuple[tuple[str, str], ...] = (
    # a row's boxes (omr.decide)
    ("line_through_boxes", "a straight line runs right through {boxes:boxes} from side to side "
     "({thick_mm:mm_list} thick): a fold, a scanner streak or a ruler line, not a mark?"),
    ("short_mark", "short mark in box {box:int} ({extent_mm:num} mm, {ink_mm2:num} mm²)"),
    ("faint_mark", "faint mark in box {box:int} ({extent_mm:num} mm, {ink_mm2:num} mm²)"),
    ("marks_in_doubt", "{doubts:doubts2}"),
    ("one_clear_and_doubts", "one clear mark (box {box:int}, {extent_mm:num} mm) and a "
     "{doubts:doubts}"),
    ("clear_marks_and_doubts", "clear marks ({marks:marks}) and a {doubts:doubts}"),
    ("dot_on_outline", "ink on the printed outline of {boxes:boxes} ({ink_mm2:mm2_list}), "
     "nothing in the boxes: a dot resting on the line?"),
    ("blacked_out", "box {box:int} blacked out (fill {fill:num}) beside a mark in "
     "{boxes:boxes}: a mark scribbled out?"),
    ("clear_marks", "clear marks in {boxes:boxes} ({extent_mm:mm_list})"),
    # rows measured with fills only
    ("fill_faint_mark", "faint mark in box {box:int} ({fill:num})"),
    ("fill_faint_marks", "faint marks in {boxes:boxes} ({fills:num_list})"),
    ("fill_clear_marks", "clear marks in {boxes:boxes} ({fills:num_list})"),
    ("fill_one_clear", "one clear mark (box {box:int}, {fill:num})"),
    ("fill_clear_and_a_faint", "{clear:fill_clear} and a {faint:fill_faint}"),
    ("fill_clear_and_faint", "{clear:fill_clear} and {faint:fill_faint}"),
    # what the boxes said beside a finding (omr.page)
    ("read_as", "{finding:reason} (read as: {read:reasons})"),
    ("no_box_marked", "{finding:reason} (no box marked)"),
    ("one_vote", "vote"),
    # faults on the scan (omr.faults, omr.notes, omr.code)
    ("scanner_streak", "scanner streak: a straight dark line {width_mm:num} mm wide {along:way} "
     "the whole scan at {axis:axis} = {position_px:num} px{through:through}; clean the scanner "
     "glass and rescan"),
    ("streak_through_boxes", "scanner streak through {boxes:boxes}: a straight dark line down "
     "the whole scan, not a voter's mark; read the paper ballot"),
    ("struck_name", "a line {length_mm:num} mm long drawn through the printed text of row "
     "{row:int} (the candidate's name struck out?): read the paper ballot"),
    ("note", "handwriting outside the boxes {where:where} ({w_mm:num} x {h_mm:num} mm at "
     "x = {x_mm:num}, y = {y_mm:num} mm): a note, a sign, a name ringed?; read the paper ballot"),
    ("code_named_past_streak", "QR code crossed by the streak, named by comparison with the "
     "ballot's printed codes ({alike:int} of {visible:int} modules beside the streak alike)"),
    # placing the page (omr.registration, omr.scoring, omr.page)
    ("image_too_small", "the image is {width:int} x {height:int} pixels: too small to be a "
     "scanned page (at least {min_px:int} px a side; scan at 150 dpi or more)"),
    ("blank_sheet", "no registration marks and almost no ink ({ink:pct} of the page): an empty "
     "sheet or the back of a page"),
    ("no_marks", "no registration marks found: not a kiemphieu ballot page{foreign:foreign} "
     "({ink:pct} of the page is ink); if it is one, check that its corners are not cut off or "
     "covered and rescan"),
    ("too_few_marks", "only {found:int} of 4 registration marks found ({corners:corners}; "
     "missing {missing_corners:corners}); at least 3 are needed: check for a folded, torn or "
     "covered corner and rescan"),
    ("three_marks_not_flat", "only 3 registration marks found ({corners:corners}) and they do "
     "not fit a page lying flat ({rms_mm:num} mm RMS); all 4 are needed to place a page seen "
     "in perspective: rescan the page flat"),
    ("mark_seen_twice", "registration mark {corners:corners} seen more than once: the image "
     "may hold two pages; scan one page per image"),
    ("marks_not_a_page", "registration marks found ({corners:corners}) do not form a page; "
     "rescan"),
    ("perspective_unconfirmed", "registration marks found ({corners:corners}) but the page "
     "cannot be placed exactly: it is seen in perspective ({perspective_mm:num} mm of "
     "perspective at the corners) and its QR code cannot be found to confirm the fit. "
     "Photograph the page flat and square, or scan it"),
    ("perspective_code_off", "registration marks found ({corners:corners}) but the page cannot "
     "be placed exactly: {perspective_mm:num} mm of perspective at the corners, and the QR "
     "code is {off_mm:num} mm from where that fit puts it (allowed {allowed_mm:num} mm): a mark "
     "out of place or a page not lying flat. Photograph the page flat on a table, or scan it"),
    ("fit_refused", "registration marks found ({corners:corners}) but the page cannot be placed "
     "exactly: {problems:reasons}. Rescan the page flat and at 100% scale"),
    ("fit_mirrored", "the page appears mirrored"),
    ("fit_residual", "the marks are {residual_mm:num} mm (RMS) from where a flat page puts "
     "them (allowed {allowed_mm:num} mm)"),
    ("fit_perspective", "the marks are not where a flat page puts them: {perspective_mm:num} mm "
     "of perspective at the corners (allowed {allowed_mm:num} mm)"),
    ("fit_stretched", "the page is stretched: {across:num} px/mm across and {down:num} px/mm "
     "down (ratio {ratio:num}, allowed {allowed:num})"),
    ("fit_sheared", "the page's axes are {degrees:num}° off square"),
    ("fit_scale_spread", "strong perspective: scale varies {spread:num}x across the page"),
    ("fit_too_small", "the page is too small in the image ({px_per_mm:num} px/mm, need "
     "{need:num}); scan at 150 dpi or more"),
    ("outlines_misplaced", "the printed box outlines are not where the registration marks put "
     "them ({missing:int} of {total:int} boxes, rows {rows:ints}): a page not lying flat, "
     "folded or curled, or a mark out of place. Flatten the page and rescan it"),
    ("codes_differ", "{count:int} different codes where the page code should be; is a second "
     "page or sticker in the image? Rescan the page alone"),
    ("code_unreadable", "the page was placed but its QR code (bottom left) cannot be read; "
     "check it for stains, folds or tears and rescan, at 300 dpi in grey if the scan was 1-bit"),
    # the image and its code (pipeline.reading.page)
    ("image_damaged", "the image data is damaged and cannot be decoded ({detail:detail})"),
    ("image_undecoded", "the image data is damaged and cannot be decoded"),
    ("not_a_ballot_code", "the QR code is not a kiemphieu ballot code ({text:repr})"),
    ("other_campaign", "ballot of another campaign: '{campaign:quoted}', this workspace counts "
     "'{workspace:quoted}'; scan it into its own workspace"),
    ("other_version", "printed from another version of campaign '{campaign:quoted}' (layout "
     "{fingerprint:token}, this workspace {expected:token}): not an issued ballot"),
    ("no_such_page", "page {page:int} does not exist on this ballot"),
    # the file (pipeline.reading.sources)
    ("file_empty", "the file is empty"),
    ("file_too_big", "the file is {mib:int} MiB, over the 1 GiB limit"),
    ("file_unreadable", "cannot read the file: {detail:text}"),
    ("not_an_image", "not an image or PDF that can be read (PNG, JPEG, TIFF, PDF)"),
    ("format_unknown", "image format unknown is not accepted; scan to PNG, JPEG, TIFF or PDF"),
    ("format_refused", "image format {format:token} is not accepted; scan to PNG, JPEG, TIFF or "
     "PDF"),
    ("animated", "animated {format:token} with {frames:int} frames is not a scan"),
    ("tiff_unopened", "TIFF cannot be opened: {detail:detail}"),
    ("tiff_damaged", "TIFF is damaged: {detail:detail}"),
    ("tiff_page_damaged", "TIFF page {page:int} is damaged: {detail:detail}"),
    ("tiff_damaged_after", "TIFF is damaged after page {page:int}: {detail:detail}"),
    ("strip_past_end", "a strip runs past the end of the file"),
    ("tiff_tag_not_copied", "TIFF tag type {type:int} is not copied"),
    ("pdf_unopened", "PDF cannot be opened: {detail:detail}"),
    ("pdf_page_unreadable", "PDF page {page:int} cannot be read: {detail:detail}"),
    ("page_not_encoded", "rendered page could not be encoded"),
    ("no_pixels", "the image has no pixels ({width:int} x {height:int})"),
    ("too_many_pixels", "the image is {width:int} x {height:int} pixels ({mp:num} MP), over the "
     "{limit_mp:int} MP limit: scan at 600 dpi or less"),
    ("not_page_shaped", "the image is {width:int} x {height:int} pixels: not the shape of a page"),
    ("format_not_read", "not an image in a format kiemphieu reads"),
    # the same image again (pipeline.workflow.ingest); an item without a reason (store)
    ("seen_before", "the same image was already scanned (stored page {page:int}); it is counted "
     "once"),
    ("seen_before_as", "{reasons:reasons} (the same image was already scanned as page "
     "{page:int})"),
    ("to_review", "review"),
    ("rejected", "rejected"),
)

# where a note is (omr.notes): the ``where`` of a note
WHERE: tuple[tuple[str, str], ...] = (
    ("note_row_left", "in row {row:int}, left of its boxes"),
    ("note_row_right", "in row {row:int}, right of its boxes"),
    ("note_row_between", "in row {row:int}, between its boxes"),
    ("note_margin_left_row", "in the left margin beside row {row:int}"),
    ("note_margin_right_row", "in the right margin beside row {row:int}"),
    ("note_margin_left_above", "in the left margin above the table"),
    ("note_margin_right_above", "in the right margin above the table"),
    ("note_margin_left_below", "in the left margin below the table"),
    ("note_margin_right_below", "in the right margin below the table"),
    ("note_margin_left", "in the left margin"),
    ("note_margin_right", "in the right margin"),
    ("note_table", "in the table"),
    ("note_above", "above the table"),
    ("note_below", "below the table"),
)

_NUM = r"-?\d+(?:\.\d+)?"
_CORNER = r"(?:top_left|top_right|bottom_right|bottom_left|id \d+)"
_DOUBT = r"(?:short|faint) mark in box \d+ \(" + _NUM + r" mm, " + _NUM + r" mm²\)"
_BOXES = r"box \d+|boxes \d+(?:, \d+)* and \d+"
_FILLS = _NUM + "(?:, " + _NUM + ")*"


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def _numbers(text: str, unit: str = "") -> list[int | float]:
    return [_number(v.removesuffix(unit).strip()) for v in text.split(", ")]


def _ints(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


def _corners(text: str) -> list[str | int]:
    return [int(c[3:]) if c.startswith("id ") else c for c in text.split(", ")]


def _through(text: str) -> dict[str, Any] | None:
    rows = _ints(text)
    if not rows:
        return None
    return reason("through_row", row=rows[0]) if len(rows) == 1 else reason("through_rows",
                                                                          rows=rows)


def _foreign(text: str) -> dict[str, Any] | None:
    return reason("foreign_ids", ids=_ints(text)) if text else None


def _marks(text: str) -> list[dict[str, Any]]:
    return [reason("mark_length", box=int(b), extent_mm=_number(v))
            for b, v in re.findall(r"box (\d+), (" + _NUM + r") mm", text)]


def _doubts(text: str) -> list[dict[str, Any]] | None:
    out = [_one(part) for part in text.split(" and ")]
    return None if any(r is None for r in out) else out


def _nested(text: str) -> dict[str, Any] | None:
    return _one(text)


def _nested_all(text: str) -> list[dict[str, Any]] | None:
    found, unknown = _all(text)
    return None if unknown else found


def _detail(text: str) -> Any:
    found = _one(text)
    return text if found is None else found


def _where(text: str) -> dict[str, Any] | None:
    for code, pattern in _compiled(WHERE):
        m = pattern.regex.fullmatch(text)
        if m:
            return pattern.read(code, m)
    return None


class _Kind(NamedTuple):
    regex: str
    read: Callable[[str], Any]
    nested: bool = False  # free text: its parentheses must balance


_KINDS: dict[str, _Kind] = {
    "int": _Kind(r"\d+", int),
    "num": _Kind(_NUM, _number),
    "pct": _Kind(_NUM + "%", lambda t: float(t[:-1]) / 100),
    "num_list": _Kind(_FILLS, _numbers),
    "mm_list": _Kind(_NUM + " mm(?:, " + _NUM + " mm)*", lambda t: _numbers(t, " mm")),
    "mm2_list": _Kind(_NUM + " mm²(?:, " + _NUM + " mm²)*", lambda t: _numbers(t, " mm²")),
    "boxes": _Kind(_BOXES, _ints),
    "ints": _Kind(r"\d+(?:, \d+)*", _ints),
    "corners": _Kind(_CORNER + "(?:, " + _CORNER + ")*", _corners),
    "way": _Kind("down|across", str),
    "axis": _Kind("x|y", str),
    "through": _Kind(r"(?:, through the boxes of rows? \d+(?:, \d+)*)?", _through),
    "foreign": _Kind(r"(?: \(other ArUco ids seen: \[\d+(?:, \d+)*\]\))?", _foreign),
    "marks": _Kind(r"box \d+, " + _NUM + r" mm(?:; box \d+, " + _NUM + r" mm)*", _marks),
    "doubts": _Kind(_DOUBT + "(?: and " + _DOUBT + ")*", _doubts),
    "fill_clear": _Kind(r"one clear mark \(box \d+, " + _NUM + r"\)|clear marks in (?:" + _BOXES
                        + r") \(" + _FILLS + r"\)", _nested),
    "fill_faint": _Kind(r"faint marks? in (?:" + _BOXES + r") \(" + _FILLS + r"\)", _nested),
    "doubts2": _Kind(_DOUBT + "(?: and " + _DOUBT + ")+", _doubts),
    "where": _Kind(r".+?", _where, nested=True),
    "reason": _Kind(r".+?", _nested, nested=True),
    "reasons": _Kind(r".+?", _nested_all, nested=True),
    "detail": _Kind(r".*?", _detail, nested=True),
    "text": _Kind(r".+?", str, nested=True),
    "repr": _Kind(r"'[^']*'|\"[^\"]*\"", ast.literal_eval),
    "quoted": _Kind(r"[^']*", str),
    "token": _Kind(r"\S+", str),
}

_PLACEHOLDER = re.compile(r"\{([a-z_0-9]+):([a-z_0-9]+)\}")


class _Pattern(NamedTuple):
    regex: re.Pattern[str]
    kinds: dict[str, _Kind]

    def read(self, code: str, m: re.Match[str]) -> dict[str, Any] | None:
        params: dict[str, Any] = {}
        for name, kind in self.kinds.items():
            text = m.group(name)
            if kind.nested and not _balanced(text):
                return None
            value = kind.read(text)
            if value is None and kind.nested:
                return None
            params[name] = value
        return reason(code, **params)


@lru_cache(maxsize=4)
def _compiled(table: tuple[tuple[str, str], ...]) -> tuple[tuple[str, _Pattern], ...]:
    out = []
    for code, english in table:
        parts, kinds, at = [], {}, 0
        for p in _PLACEHOLDER.finditer(english):
            parts.append(re.escape(english[at:p.start()]))
            parts.append(f"(?P<{p.group(1)}>{_KINDS[p.group(2)].regex})")
            kinds[p.group(1)] = _KINDS[p.group(2)]
            at = p.end()
        parts.append(re.escape(english[at:]))
        out.append((code, _Pattern(re.compile("".join(parts), re.DOTALL), kinds)))
    return tuple(out)


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


@lru_cache(maxsize=4096)
def _one_cached(text: str) -> Any:
    for code, pattern in _compiled(TEMPLATES):
        m = pattern.regex.fullmatch(text)
        if m:
            found = pattern.read(code, m)
            if found is not None:
                return found
    return None


def _one(text: str) -> dict[str, Any] | None:
    """``text`` read as one reason, or None."""
    return _one_cached(text)


def _all(text: str) -> tuple[list[dict[str, Any]], int]:
    """``text`` as the reasons it joins with "; ", and how many of its parts no template reads
    (kept as they are)."""
    whole = _one(text)
    if whole is not None:
        return [whole], 0
    parts = _split(text)
    if len(parts) == 1:
        return [recorded(text)], 1
    # consecutive parts grouped so that the fewest stay unread, then into the fewest groups (a
    # reason may hold a "; " of its own); best[i]: (unread, groups, reasons) of parts[i:]
    n = len(parts)
    best: list[tuple[int, int, list[dict[str, Any]]]] = [(0, 0, [])] * (n + 1)
    for i in range(n - 1, -1, -1):
        choices = []
        for j in range(i + 1, n + 1):
            group = "; ".join(parts[i:j])
            found = _one(group)
            unread, groups, rest = best[j]
            if found is not None:
                choices.append((unread, groups + 1, [found, *rest]))
            elif j == i + 1:
                choices.append((unread + 1, groups + 1, [recorded(group), *rest]))
        best[i] = min(choices, key=lambda c: c[:2])
    unread, _, out = best[0]
    return out, unread


def _split(text: str) -> list[str]:
    """``text`` cut at each ``"; "`` outside parentheses."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == ";" and depth == 0 and text.startswith("; ", i):
            parts.append(text[start:i])
            start = i + 2
            i += 1
        i += 1
    parts.append(text[start:])
    return parts


def parse_reasons(text: str) -> list[dict[str, Any]]:
    """The reasons an English ``text`` stored before this revision says, as kept from now on;
    a part no template reads is kept as its text (``recorded``)."""
    return _all(text)[0]
