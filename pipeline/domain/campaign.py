"""The campaign file: parse, validate, normalise to NFC.

A campaign file is YAML (CONTRACT.md). Every error names the key and the
line it is on, so a clerk can fix the file without reading code. Text is
normalised to Unicode NFC, the form the printed ballot and the database use.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.domain.errors import CampaignError
from pipeline.domain.rules import RULE_SETS, RuleSet

CAMPAIGN_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CAMPAIGN_ID_MAX = 48
# Characters a name or title must not contain: controls, format characters
# (zero-width joiners, bidi overrides), private use, unassigned.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cn", "Cs"}


@dataclass(frozen=True)
class Candidate:
    """One official on the ballot. ``stt`` is the 1-based ballot position."""

    stt: int
    name: str
    position: str
    in_post_since: dt.date | None = None
    retiring: bool = False
    born: int | None = None
    line: int = 0


@dataclass(frozen=True)
class Thresholds:
    """How box measurements become marks; see omr/README.md and `omr.decide`.

    A box is a mark when its ink is at least ``mark_extent_mm`` long and
    holds ``mark_ink_mm2``; other ink of at least ``faint_ink_mm2`` is a
    doubt a person must look at, and so is ink of ``faint_long_ink_mm2`` or
    more that is a mark's length. Two marks of which one has fill
    ``blackout_fill`` or more (inked over) go to review, and so does a row
    with nothing in its boxes but ``outline_ink_mm2`` on a box's printed
    outline (a dot resting on the line). ``definite`` and
    ``marginal`` are the earlier fill-only rule, used to decide again rows
    stored without ink and extent.
    """

    definite: float = 0.09
    marginal: float = 0.04
    mark_extent_mm: float = 3.7
    mark_ink_mm2: float = 0.3
    faint_ink_mm2: float = 0.12
    faint_long_ink_mm2: float = 0.05
    blackout_fill: float = 0.5
    outline_ink_mm2: float = 0.3


@dataclass(frozen=True)
class ReviewSettings:
    """How people resolve the doubts (``review:`` in the campaign file).

    ``two_reviewers``: every item needs two reviewers who agree; when they
    disagree the chair decides.
    """

    two_reviewers: bool = False


#: The values of ``seal:`` in a campaign file.
SEAL_SETTINGS = ("optional", "required")


@dataclass(frozen=True)
class Campaign:
    id: str
    title: str
    body: str
    session_date: dt.date
    rules: RuleSet
    electorate: int
    candidates: tuple[Candidate, ...]
    layout: str = "a4-portrait"
    subtitle: str | None = None
    place: str | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    source_text: str = ""
    review: ReviewSettings = field(default_factory=ReviewSettings)
    seal: str = "optional"  # "required": a first page without the body's seal goes to review


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def load_campaign(path: Path) -> Campaign:
    """Read and validate a campaign file; raise `CampaignError` naming file and line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CampaignError(f"{path}: cannot read the campaign file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CampaignError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    return parse_campaign(text, str(path))


def parse_campaign(text: str, where: str = "<campaign>") -> Campaign:
    """Parse campaign YAML text. ``where`` names the file in error messages."""
    text = nfc(text)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CampaignError(f"{where}{line}: not valid YAML: {problem}") from None
    if not isinstance(node, yaml.MappingNode):
        raise CampaignError(f"{where}: the campaign file must be a mapping of keys (id:, title:, ...)")
    reader = _Reader(where)
    top = reader.mapping(node, "")

    def req(key: str) -> yaml.Node:
        if key not in top:
            raise CampaignError(f"{where}: missing required key '{key}'")
        return top[key]

    cid = reader.string(req("id"), "id")
    if not CAMPAIGN_ID.match(cid) or len(cid) > CAMPAIGN_ID_MAX:
        raise reader.error(
            top["id"], "id",
            f"'{cid}' must be lower-case letters, digits and single hyphens "
            f"(e.g. hdnd-ninhson-2023), at most {CAMPAIGN_ID_MAX} characters",
        )
    rules_name = reader.string(req("rules"), "rules")
    if rules_name not in RULE_SETS:
        raise reader.error(
            top["rules"], "rules", f"'{rules_name}' is not a rule set; use one of {', '.join(RULE_SETS)}"
        )
    electorate = reader.integer(req("electorate"), "electorate", minimum=1)
    cands_node = req("candidates")
    if not isinstance(cands_node, yaml.SequenceNode) or not cands_node.value:
        raise reader.error(cands_node, "candidates", "must be a non-empty list of people")
    candidates = []
    for i, item in enumerate(cands_node.value, start=1):
        key = f"candidates[{i}]"
        fields = reader.mapping(item, key)
        for extra, vnode in fields.items():
            if isinstance(vnode, yaml.ScalarNode) and vnode.tag.endswith(":null") and not vnode.value:
                raise reader.error(
                    vnode, f"{key}.{extra}",
                    "has no value: if it is part of a text with a comma, put the text in quotes",
                )
        for needed in ("name", "position"):
            if needed not in fields:
                raise reader.error(item, key, f"missing '{needed}'")
        candidates.append(
            Candidate(
                stt=i,
                name=_collapse(reader.string(fields["name"], f"{key}.name")),
                position=_collapse(reader.string(fields["position"], f"{key}.position")),
                in_post_since=(
                    reader.date(fields["in_post_since"], f"{key}.in_post_since")
                    if "in_post_since" in fields else None
                ),
                retiring=(
                    reader.boolean(fields["retiring"], f"{key}.retiring")
                    if "retiring" in fields else False
                ),
                born=(
                    reader.integer(fields["born"], f"{key}.born", minimum=1900)
                    if "born" in fields else None
                ),
                line=item.start_mark.line + 1,
            )
        )
    seen: dict[tuple[str, int | None], Candidate] = {}
    for c in candidates:
        who = (c.name.casefold(), c.born)
        if who in seen:
            first = seen[who]
            raise CampaignError(
                f"{where}, line {c.line}: '{c.name}' is listed twice (also STT {first.stt}, line "
                f"{first.line}); a person holding several posts is polled once: list the posts "
                f"in one 'position', or give 'born:' to tell two namesakes apart"
            )
        seen[who] = c
    thresholds = Thresholds()
    if "thresholds" in top:
        tnode = reader.mapping(top["thresholds"], "thresholds")
        known = {f.name for f in dataclasses.fields(Thresholds)}
        values = {}
        for key, vnode in tnode.items():
            if key not in known:
                raise reader.error(vnode, f"thresholds.{key}",
                                   f"is not a threshold; use {', '.join(sorted(known))}")
            values[key] = reader.number(vnode, f"thresholds.{key}")
            if values[key] <= 0:
                raise reader.error(vnode, f"thresholds.{key}", "must be more than 0")
        thresholds = Thresholds(**values)
        if not 0 < thresholds.marginal < thresholds.definite < 1:
            raise reader.error(top["thresholds"], "thresholds", "need 0 < marginal < definite < 1")
        if not thresholds.faint_ink_mm2 < thresholds.mark_ink_mm2:
            raise reader.error(top["thresholds"], "thresholds",
                               "need faint_ink_mm2 < mark_ink_mm2")
        if not thresholds.faint_long_ink_mm2 <= thresholds.faint_ink_mm2:
            raise reader.error(top["thresholds"], "thresholds",
                               "need faint_long_ink_mm2 <= faint_ink_mm2")
    review = ReviewSettings()
    if "review" in top:
        rnode = reader.mapping(top["review"], "review")
        for extra in rnode:
            if extra != "two_reviewers":
                raise reader.error(rnode[extra], f"review.{extra}", "is not a review setting; "
                                   "the one setting is 'two_reviewers: true' or 'false'")
        if "two_reviewers" in rnode:
            review = ReviewSettings(
                two_reviewers=reader.boolean(rnode["two_reviewers"], "review.two_reviewers"))
    layout = reader.string(top["layout"], "layout") if "layout" in top else "a4-portrait"
    seal = "optional"
    if "seal" in top:
        seal = reader.string(top["seal"], "seal")
        if seal not in SEAL_SETTINGS:
            raise reader.error(top["seal"], "seal", f"'{seal}' is not a seal setting; use "
                               "'required' (a ballot without the body's seal goes to review) "
                               "or 'optional'")
    return Campaign(
        id=cid,
        title=_collapse(reader.string(req("title"), "title")),
        body=_collapse(reader.string(req("body"), "body")),
        session_date=reader.date(req("session_date"), "session_date"),
        rules=RULE_SETS[rules_name],
        electorate=electorate,
        candidates=tuple(candidates),
        layout=layout,
        subtitle=_collapse(reader.string(top["subtitle"], "subtitle")) if "subtitle" in top else None,
        place=_collapse(reader.string(top["place"], "place")) if "place" in top else None,
        thresholds=thresholds,
        source_text=text,
        review=review,
        seal=seal,
    )


def _collapse(text: str) -> str:
    return " ".join(text.split())


class _Reader:
    """Typed access to YAML nodes with errors that name the key and line."""

    def __init__(self, where: str) -> None:
        self.where = where

    def error(self, node: yaml.Node, key: str, message: str) -> CampaignError:
        return CampaignError(f"{self.where}, line {node.start_mark.line + 1}: '{key}' {message}")

    def mapping(self, node: yaml.Node, key: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, key or "campaign", "must be a mapping of keys")
        out: dict[str, yaml.Node] = {}
        for knode, vnode in node.value:
            name = str(knode.value)
            if name in out:
                raise self.error(knode, f"{key}.{name}".lstrip("."), "is given twice")
            out[name] = vnode
        return out

    def _scalar(self, node: yaml.Node, key: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, key, "must be a single value")
        try:
            return yaml.SafeLoader(" ").construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError):
            raise self.error(node, key, f"has a value that cannot be read: '{node.value}'") from None

    def string(self, node: yaml.Node, key: str) -> str:
        value = self._scalar(node, key)
        if value is None or isinstance(value, bool) or not str(value).strip():
            raise self.error(node, key, "must be non-empty text")
        text = nfc(str(value))
        for ch in text:
            if ch not in "\t\n" and unicodedata.category(ch) in _FORBIDDEN_CATEGORIES:
                raise self.error(
                    node, key,
                    f"contains the invisible or control character U+{ord(ch):04X}; remove it",
                )
        return text

    def integer(self, node: yaml.Node, key: str, minimum: int) -> int:
        value = self._scalar(node, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(node, key, f"must be a whole number of at least {minimum}")
        return value

    def number(self, node: yaml.Node, key: str) -> float:
        value = self._scalar(node, key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(node, key, "must be a number")
        return float(value)

    def boolean(self, node: yaml.Node, key: str) -> bool:
        value = self._scalar(node, key)
        if not isinstance(value, bool):
            raise self.error(node, key, "must be true or false")
        return value

    def date(self, node: yaml.Node, key: str) -> dt.date:
        value = self._scalar(node, key)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        raise self.error(node, key, f"must be a date written YYYY-MM-DD, not '{node.value}'")
