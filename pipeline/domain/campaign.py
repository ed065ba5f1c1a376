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
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from pipeline.domain.errors import CampaignError
from pipeline.domain.rules import KIND_FOLLOW_UP, KIND_POLL, KINDS, RULE_SETS, RuleSet, levels_of

CAMPAIGN_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CAMPAIGN_ID_MAX = 48
# Characters a name or title must not contain: controls, format characters
# (zero-width joiners, bidi overrides), private use, unassigned.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cn", "Cs"}
# Bounds of what a campaign file may say: deeper nesting than a campaign ever needs
# (the reader of YAML recurses once a level), more voters than any body has, a whole
# number the database cannot hold.
MAX_DEPTH = 20
MAX_ELECTORATE = 1_000_000
MAX_BORN = 2100
MAX_WHOLE = 2**31 - 1
# A threshold's largest value, by its unit: a fill is a fraction of the box, an ink's
# length (mm) and area (mm²) stay within a box a few millimetres wide.
_THRESHOLD_MAX = {"definite": 1.0, "marginal": 1.0, "blackout_fill": 1.0, "mark_extent_mm": 50.0}
_THRESHOLD_MAX_MM2 = 100.0


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
    group: str | None = None  # a `Group` id
    form: str | None = None  # a `Form` id, in a campaign of several forms


@dataclass(frozen=True)
class Group:
    """People whose results are read together (*khối*), e.g. "Khối Hội đồng nhân dân"."""

    id: str
    name: str
    order: int
    line: int = 0


@dataclass(frozen=True)
class Form:
    """One ballot form of several: printed, read and counted as a ballot of its own.

    ``people`` are the STTs on it, in ballot order; ``paper`` is the paper colour
    note printed on the page (e.g. "Giấy màu hồng").
    """

    id: str
    title: str
    paper: str | None
    people: tuple[int, ...]
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
    kind: str = KIND_POLL
    groups: tuple[Group, ...] = ()
    forms: tuple[Form, ...] = ()

    @property
    def levels(self) -> tuple[str, ...]:
        """The levels of this kind of vote, in box order (`pipeline.domain.rules.levels_of`)."""
        return levels_of(self.kind)

    @property
    def follow_up(self) -> bool:
        """The follow-up confidence vote (*bỏ phiếu tín nhiệm*), not the poll."""
        return self.kind == KIND_FOLLOW_UP

    def group(self, gid: str | None) -> Group | None:
        return next((g for g in self.groups if g.id == gid), None)

    def form_view(self, form: Form) -> Campaign:
        """This campaign as one form prints it: the form's title and people."""
        people = set(form.people)
        return dataclasses.replace(
            self, title=form.title, forms=(),
            candidates=tuple(c for c in self.candidates if c.stt in people))


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
    top, reader = _top_mapping(text, where)

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
    kind = _read_kind(reader, top, rules_name)
    electorate = reader.integer(req("electorate"), "electorate", minimum=1,
                                maximum=MAX_ELECTORATE)
    groups = _read_groups(reader, top)
    candidates = _read_candidates(reader, req("candidates"), groups)
    _check_twice_listed(candidates, where)
    forms = _read_forms(reader, top, candidates, groups)
    if forms:
        candidates = [dataclasses.replace(c, form=next(f.id for f in forms if c.stt in f.people))
                      for c in candidates]
    layout = _layout_name(reader, top["layout"]) if "layout" in top else "a4-portrait"
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
        thresholds=_read_thresholds(reader, top),
        source_text=text,
        review=_read_review(reader, top),
        seal=_read_seal(reader, top),
        kind=kind,
        groups=groups,
        forms=forms,
    )


def _top_mapping(text: str, where: str) -> tuple[dict[str, yaml.Node], _Reader]:
    """The campaign file's top-level keys, and the reader that names ``where`` in errors."""
    try:
        _check_depth(text, where)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CampaignError(f"{where}{line}: not valid YAML: {problem}") from None
    if not isinstance(node, yaml.MappingNode):
        raise CampaignError(f"{where}: the campaign file must be a mapping of keys (id:, title:, ...)")
    reader = _Reader(where)
    return reader.mapping(node, ""), reader


def _read_candidates(reader: _Reader, cands_node: yaml.Node,
                     groups: tuple[Group, ...]) -> list[Candidate]:
    """``candidates:``, in ballot order; STT is the position in the list, from 1."""
    if not isinstance(cands_node, yaml.SequenceNode) or not cands_node.value:
        raise reader.error(cands_node, "candidates", "must be a non-empty list of people")
    group_ids = [g.id for g in groups]
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
                    reader.integer(fields["born"], f"{key}.born", minimum=1900,
                                   maximum=MAX_BORN)
                    if "born" in fields else None
                ),
                line=item.start_mark.line + 1,
                group=_candidate_group(reader, item, fields, key, group_ids),
                form=reader.string(fields["form"], f"{key}.form") if "form" in fields else None,
            )
        )
    return candidates


def _check_twice_listed(candidates: list[Candidate], where: str) -> None:
    """A person holding several posts is polled once (khoản 4 Điều 2 NQ 96/2023/QH15)."""
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


def _read_thresholds(reader: _Reader, top: dict[str, yaml.Node]) -> Thresholds:
    """``thresholds:``: the box rule's numbers, each more than 0 and in their order."""
    if "thresholds" not in top:
        return Thresholds()
    tnode = reader.mapping(top["thresholds"], "thresholds")
    known = {f.name for f in dataclasses.fields(Thresholds)}
    values = {}
    for key, vnode in tnode.items():
        if key not in known:
            raise reader.error(vnode, f"thresholds.{key}",
                               f"is not a threshold; use {', '.join(sorted(known))}")
        values[key] = _threshold(reader, vnode, key)
    thresholds = Thresholds(**values)
    if not 0 < thresholds.marginal < thresholds.definite < 1:
        raise reader.error(top["thresholds"], "thresholds", "need 0 < marginal < definite < 1")
    if not thresholds.faint_ink_mm2 < thresholds.mark_ink_mm2:
        raise reader.error(top["thresholds"], "thresholds",
                           "need faint_ink_mm2 < mark_ink_mm2")
    if not thresholds.faint_long_ink_mm2 <= thresholds.faint_ink_mm2:
        raise reader.error(top["thresholds"], "thresholds",
                           "need faint_long_ink_mm2 <= faint_ink_mm2")
    return thresholds


def _read_review(reader: _Reader, top: dict[str, yaml.Node]) -> ReviewSettings:
    """``review:``: how people resolve the doubts."""
    if "review" not in top:
        return ReviewSettings()
    rnode = reader.mapping(top["review"], "review")
    for extra in rnode:
        if extra != "two_reviewers":
            raise reader.error(rnode[extra], f"review.{extra}", "is not a review setting; "
                               "the one setting is 'two_reviewers: true' or 'false'")
    if "two_reviewers" in rnode:
        return ReviewSettings(
            two_reviewers=reader.boolean(rnode["two_reviewers"], "review.two_reviewers"))
    return ReviewSettings()


def _read_seal(reader: _Reader, top: dict[str, yaml.Node]) -> str:
    """``seal:``: ``required`` (a first page without the body's seal goes to review) or
    ``optional`` (the default)."""
    if "seal" not in top:
        return "optional"
    seal = reader.string(top["seal"], "seal")
    if seal not in SEAL_SETTINGS:
        raise reader.error(top["seal"], "seal", f"'{seal}' is not a seal setting; use "
                           "'required' (a ballot without the body's seal goes to review) "
                           "or 'optional'")
    return seal


# -- kinds, groups and forms ---------------------------------------------------------


def _read_kind(reader: _Reader, top: dict[str, yaml.Node], rules_name: str) -> str:
    """``kind:``: the poll (default) or the follow-up confidence vote, which only the
    rule sets of the National Assembly and the People's Councils hold."""
    if "kind" not in top:
        return KIND_POLL
    kind = reader.string(top["kind"], "kind")
    if kind not in KINDS:
        raise reader.error(top["kind"], "kind",
                           f"'{kind}' is not a kind of vote; use one of {', '.join(KINDS)}")
    if kind == KIND_FOLLOW_UP and not RULE_SETS[rules_name].follow_up:
        raise reader.error(top["kind"], "kind",
                           f"'{kind}' (bỏ phiếu tín nhiệm) is held under the rules of the "
                           f"National Assembly and the People's Councils, not '{rules_name}'; "
                           f"use rules: nq96-2023 or nq85-2014")
    return kind


def _read_groups(reader: _Reader, top: dict[str, yaml.Node]) -> tuple[Group, ...]:
    """``groups:``: each with an id, a name and an order (default its place in the list)."""
    if "groups" not in top:
        return ()
    node = top["groups"]
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise reader.error(node, "groups", "must be a non-empty list of groups (id, name, order)")
    groups: list[Group] = []
    for i, item in enumerate(node.value, start=1):
        key = f"groups[{i}]"
        fields = reader.mapping(item, key)
        for needed in ("id", "name"):
            if needed not in fields:
                raise reader.error(item, key, f"missing '{needed}'")
        gid = _read_id(reader, fields["id"], f"{key}.id")
        if any(g.id == gid for g in groups):
            raise reader.error(fields["id"], f"{key}.id", f"'{gid}' is given to two groups")
        order = (reader.integer(fields["order"], f"{key}.order", minimum=0)
                 if "order" in fields else i)
        groups.append(Group(gid, _collapse(reader.string(fields["name"], f"{key}.name")), order,
                            item.start_mark.line + 1))
    return tuple(sorted(groups, key=lambda g: (g.order, [x.id for x in groups].index(g.id))))


def _candidate_group(reader: _Reader, item: yaml.Node, fields: dict[str, yaml.Node], key: str,
                     group_ids: list[str]) -> str | None:
    if "group" not in fields:
        if group_ids:
            raise reader.error(item, key, f"has no 'group': with 'groups:' every person names "
                                          f"one ({', '.join(group_ids)})")
        return None
    gid = reader.string(fields["group"], f"{key}.group")
    if gid not in group_ids:
        known = f"one of {', '.join(group_ids)}" if group_ids else "a list 'groups:' first"
        raise reader.error(fields["group"], f"{key}.group", f"'{gid}' is not a group; give {known}")
    return gid


def _read_id(reader: _Reader, node: yaml.Node, key: str) -> str:
    value = reader.string(node, key)
    if not CAMPAIGN_ID.match(value) or len(value) > 24:
        raise reader.error(node, key, f"'{value}' must be lower-case letters, digits and single "
                                      "hyphens, at most 24 characters")
    return value


def _read_forms(reader: _Reader, top: dict[str, yaml.Node], candidates: list[Candidate],
                groups: tuple[Group, ...]) -> tuple[Form, ...]:
    """``forms:``: the ballot forms, each with its people (``candidates[].form``, or the
    form's ``groups:``), a title and a paper colour note. Every person is on one form."""
    for c in candidates:
        if c.form is not None and "forms" not in top:
            raise CampaignError(f"{reader.where}, line {c.line}: 'candidates[{c.stt}].form' names "
                                f"'{c.form}', but the file lists no 'forms:'")
    if "forms" not in top:
        return ()
    node = top["forms"]
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise reader.error(node, "forms", "must be a non-empty list of ballot forms")
    raw: list[tuple[str, dict[str, yaml.Node], yaml.Node]] = []
    for i, item in enumerate(node.value, start=1):
        key = f"forms[{i}]"
        fields = reader.mapping(item, key)
        for needed in ("id", "title"):
            if needed not in fields:
                raise reader.error(item, key, f"missing '{needed}'")
        fid = _read_id(reader, fields["id"], f"{key}.id")
        if any(r[0] == fid for r in raw):
            raise reader.error(fields["id"], f"{key}.id", f"'{fid}' is given to two forms")
        raw.append((fid, fields, item))
    people: dict[str, list[int]] = {fid: [] for fid, _, _ in raw}
    by_group = _form_groups(reader, raw, groups)
    for c in candidates:
        fid = c.form or by_group.get(c.group or "")
        if fid is None:
            raise CampaignError(f"{reader.where}, line {c.line}: 'candidates[{c.stt}]' is on no "
                                f"form: give 'form:' ({', '.join(people)}) or list its group "
                                f"in a form's 'groups:'")
        if fid not in people:
            raise CampaignError(f"{reader.where}, line {c.line}: 'candidates[{c.stt}].form' "
                                f"'{fid}' is not a form; use one of {', '.join(people)}")
        people[fid].append(c.stt)
    forms = []
    for i, (fid, fields, item) in enumerate(raw, start=1):
        if not people[fid]:
            raise reader.error(item, f"forms[{i}]", f"'{fid}' has nobody on it")
        forms.append(Form(
            id=fid,
            title=_collapse(reader.string(fields["title"], f"forms[{i}].title")),
            paper=(_collapse(reader.string(fields["paper"], f"forms[{i}].paper"))
                   if "paper" in fields else None),
            people=tuple(people[fid]),
            line=item.start_mark.line + 1,
        ))
    return tuple(forms)


def _form_groups(reader: _Reader, raw: list[tuple[str, dict[str, yaml.Node], yaml.Node]],
                 groups: tuple[Group, ...]) -> dict[str, str]:
    """Group id -> the form whose ``groups:`` lists it."""
    out: dict[str, str] = {}
    known = [g.id for g in groups]
    for i, (fid, fields, _) in enumerate(raw, start=1):
        if "groups" not in fields:
            continue
        gnode = fields["groups"]
        if not isinstance(gnode, yaml.SequenceNode) or not gnode.value:
            raise reader.error(gnode, f"forms[{i}].groups", "must be a non-empty list of group ids")
        for vnode in gnode.value:
            gid = reader.string(vnode, f"forms[{i}].groups")
            if gid not in known:
                raise reader.error(vnode, f"forms[{i}].groups", f"'{gid}' is not a group")
            if gid in out:
                raise reader.error(vnode, f"forms[{i}].groups",
                                   f"'{gid}' is already on form '{out[gid]}'")
            out[gid] = fid
    return out


def _check_depth(text: str, where: str) -> None:
    """Refuse YAML nested deeper than `MAX_DEPTH` (lists and mappings in one another), naming
    the line, before it is composed: the composer would recurse once a level."""
    depth = 0
    opening = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken,
               yaml.BlockSequenceStartToken, yaml.BlockMappingStartToken)
    closing = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken, yaml.BlockEndToken)
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, opening):
            depth += 1
            if depth > MAX_DEPTH:
                raise CampaignError(
                    f"{where}, line {token.start_mark.line + 1}: lists and mappings are nested "
                    f"more than {MAX_DEPTH} deep; a campaign file needs three levels at most")
        elif isinstance(token, closing):
            depth -= 1


def _threshold(reader: _Reader, node: yaml.Node, key: str) -> float:
    """A threshold's value: a finite number above 0 and within its unit's bound."""
    value = reader.number(node, f"thresholds.{key}")
    largest = _THRESHOLD_MAX.get(key, _THRESHOLD_MAX_MM2)
    if not 0 < value <= largest:  # NaN fails every comparison
        unit = "a fraction of the box" if largest == 1.0 else \
            "mm" if key.endswith("_mm") else "mm²"
        raise reader.error(node, f"thresholds.{key}",
                           f"must be a number more than 0 and at most {largest:g} ({unit}), "
                           f"not '{node.value}'")
    return value


def _layout_templates() -> list[str]:
    """The names of the ballot templates shipped in ``ballot_layouts/``."""
    return sorted(p.name.removesuffix(".yaml") for p in resources.files("ballot_layouts").iterdir()
                  if p.name.endswith(".yaml"))


def _layout_name(reader: _Reader, node: yaml.Node) -> str:
    """``layout:``: the name of one of the templates, never a path."""
    name = reader.string(node, "layout")
    templates = _layout_templates()
    if name not in templates:
        raise reader.error(node, "layout", f"'{name}' is not a ballot template; use one of "
                           f"{', '.join(templates)} (the templates in ballot_layouts/)")
    return name


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

    def integer(self, node: yaml.Node, key: str, minimum: int, maximum: int = MAX_WHOLE) -> int:
        value = self._scalar(node, key)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self.error(node, key, f"must be a whole number from {minimum} to {maximum}")
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
