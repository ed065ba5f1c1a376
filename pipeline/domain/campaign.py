"""The campaign file: parse, validate, normalise to NFC.

A campaign file is YAML (CONTRACT.md). Every error names the key and the
line it is on, so a clerk can fix the file without reading code. Text is
normalised to Unicode NFC, the form the printed ballot and the database use.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from omr.decide import MarkRule
from pipeline.domain.errors import CampaignError
from pipeline.domain.reasons import failure
from pipeline.domain.rules import KIND_FOLLOW_UP, KIND_POLL, KINDS, RULE_SETS, RuleSet, levels_of
from pipeline.domain.wording import Said

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
#: The box rule's numbers (`omr.decide.MarkRule`) a campaign file's ``thresholds:`` may set.
THRESHOLDS = ("mark_extent_mm", "mark_ink_mm2", "faint_ink_mm2", "faint_long_ink_mm2",
              "blackout_fill", "outline_ink_mm2")
#: ``thresholds:`` keys of the fill-only rule of early versions: still read (a fraction of
#: the box each) so that older campaign files open, and used for nothing.
RETIRED_THRESHOLDS = ("definite", "marginal")
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
    #: the body above the issuing body, the first line of a Party document's heading
    #: (Hướng dẫn 36-HD/VPTW), e.g. "Đảng bộ tỉnh Ninh Thuận"
    parent_body: str | None = None
    #: whom the report of a ``qd96-2023`` campaign is addressed to (Kính gửi), as written,
    #: e.g. "Ban Thường vụ Tỉnh ủy Ninh Thuận"; without it the addressee is derived from
    #: ``body`` and ``parent_body``
    report_to: str | None = None
    thresholds: MarkRule = field(default_factory=MarkRule)  # the box rule, as ``thresholds:`` sets it
    source_text: str = ""
    review: ReviewSettings = field(default_factory=ReviewSettings)
    seal: str = "optional"  # "required": a first page without the body's seal goes to review
    kind: str = KIND_POLL
    groups: tuple[Group, ...] = ()
    forms: tuple[Form, ...] = ()
    #: what the file holds that is not used, to warn of (`unknown_keys`): catalog sentences
    notes: tuple[Said, ...] = field(default=(), compare=False, repr=False)

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
        raise CampaignError(key="campaign_cannot_read_campaign_file", path=path,
                            cause=failure(exc)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CampaignError(
            key="campaign_not_utf_text_byte", path=path, start=exc.start
        ) from None
    return parse_campaign(text, str(path))


def parse_campaign(text: str, where: str = "<campaign>") -> Campaign:
    """Parse campaign YAML text. ``where`` names the file in error messages."""
    text = nfc(text)
    top, reader = _top_mapping(text, where)

    def req(key: str) -> yaml.Node:
        if key not in top:
            raise CampaignError(key="campaign_missing_required_key", where=where, name=key)
        return top[key]

    cid = reader.string(req("id"), "id")
    if not CAMPAIGN_ID.match(cid) or len(cid) > CAMPAIGN_ID_MAX:
        raise reader.error(
            top["id"], "id",
            "campaign_bad_id", cid=cid, most=CAMPAIGN_ID_MAX,
        )
    rules_name = reader.string(req("rules"), "rules")
    if rules_name not in RULE_SETS:
        raise reader.error(
            top["rules"], "rules", "campaign_not_rule_set_use", rules_name=rules_name, p1=', '.join(RULE_SETS)
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
    notes = unknown_keys(reader, reader.root, TOP_KEYS, "")
    for i, item in enumerate(top["candidates"].value, start=1):
        notes += unknown_keys(reader, item, PERSON_KEYS, f"candidates[{i}].")
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
        parent_body=(_collapse(reader.string(top["parent_body"], "parent_body"))
                     if "parent_body" in top else None),
        report_to=(_collapse(reader.string(top["report_to"], "report_to"))
                   if "report_to" in top else None),
        thresholds=_read_thresholds(reader, top),
        source_text=text,
        review=_read_review(reader, top),
        seal=_read_seal(reader, top),
        kind=kind,
        groups=groups,
        forms=forms,
        notes=notes,
    )


#: the keys a campaign file's top level may hold, and a person's (``candidates:``)
TOP_KEYS = ("id", "title", "subtitle", "body", "parent_body", "report_to", "place",
            "session_date", "rules", "kind", "electorate", "layout", "seal", "thresholds",
            "review", "groups", "forms", "candidates")
PERSON_KEYS = ("name", "position", "in_post_since", "retiring", "born", "group", "form")


def unknown_keys(reader: _Reader, node: yaml.MappingNode, known: tuple[str, ...],
                 prefix: str) -> tuple[Said, ...]:
    """A warning for every key of ``node`` that is not one of ``known`` (a misspelt
    ``subtitel:`` would otherwise be dropped unseen): its file, line and name, and the known
    key nearest to it, if one is near (`difflib`)."""
    out = []
    for knode, _ in node.value:
        name = str(knode.value)
        if name in known:
            continue
        near = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        params = {"where": reader.where, "line": knode.start_mark.line + 1,
                  "field": prefix + name}
        out.append(Said("campaign_unknown_key_near", near=near[0], **params) if near
                   else Said("campaign_unknown_key", **params))
    return tuple(out)


#: the YAML reader's problems (its own English), each with the catalog entry that says it in
#: words a person can act on; any other is said to be out of place at its line and column
YAML_PROBLEMS = (
    ("mapping values are not allowed", "campaign_yaml_colon"),
    ("could not find expected ':'", "campaign_yaml_no_colon"),
    ("expected the node content", "campaign_yaml_no_value"),
    ("found character '\\t'", "campaign_yaml_tab"),
    ("did not find expected key", "campaign_yaml_indent"),
    ("expected <block end>", "campaign_yaml_indent"),
    ("found unexpected end of stream", "campaign_yaml_unclosed"),
    ("expected ',' or ']'", "campaign_yaml_flow"),
    ("expected ',' or '}'", "campaign_yaml_flow"),
    ("block sequence entries are not allowed", "campaign_yaml_dash"),
    ("found unknown escape character", "campaign_yaml_escape"),
    ("expected a comment or a line break", "campaign_yaml_after_value"),
    ("found character", "campaign_yaml_character"),
    ("found undefined alias", "campaign_yaml_character"),
    ("expected alphabetic or numeric character", "campaign_yaml_character"),
)


def _top_mapping(text: str, where: str) -> tuple[dict[str, yaml.Node], _Reader]:
    """The campaign file's top-level keys, and the reader that names ``where`` in errors."""
    try:
        _check_depth(text, where)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise _yaml_refused(exc, text, where) from None
    if not isinstance(node, yaml.MappingNode):
        raise CampaignError(key="campaign_campaign_file_must_be", where=where)
    reader = _Reader(where)
    top = reader.mapping(node, "")
    reader.root = node
    return top, reader


def _yaml_refused(exc: yaml.YAMLError, text: str, where: str) -> CampaignError:
    """The YAML reader's refusal in our words: what is wrong, at which line (and column)."""
    if isinstance(exc, yaml.reader.ReaderError):  # a character a YAML text cannot hold
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        char = exc.character
        code = f"U+{ord(char) if isinstance(char, str) else char:04X}"
        return CampaignError(key="campaign_yaml_control", where=where, line=line, code=code)
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or ""
    if mark is None:
        return CampaignError(key="campaign_not_yaml", where=where, problem=failure(exc))
    entry = next((k for start, k in YAML_PROBLEMS if problem.startswith(start)),
                 "campaign_yaml_other")
    return CampaignError(key=entry, where=where, line=mark.line + 1, column=mark.column + 1)


def _read_candidates(reader: _Reader, cands_node: yaml.Node,
                     groups: tuple[Group, ...]) -> list[Candidate]:
    """``candidates:``, in ballot order; STT is the position in the list, from 1."""
    if not isinstance(cands_node, yaml.SequenceNode) or not cands_node.value:
        raise reader.error(cands_node, "candidates", "campaign_must_be_people")
    group_ids = [g.id for g in groups]
    candidates = []
    for i, item in enumerate(cands_node.value, start=1):
        key = f"candidates[{i}]"
        fields = reader.mapping(item, key)
        for extra, vnode in fields.items():
            if isinstance(vnode, yaml.ScalarNode) and vnode.tag.endswith(":null") and not vnode.value:
                raise reader.error(
                    vnode, f"{key}.{extra}",
                    "campaign_has_no_value_if",
                )
        for needed in ("name", "position"):
            if needed not in fields:
                raise reader.error(item, key, "campaign_missing", needed=needed)
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
                key="campaign_line_listed_twice_also", where=where, line=c.line, name=c.name,
                stt=first.stt, first_line=first.line
            )
        seen[who] = c


def _read_thresholds(reader: _Reader, top: dict[str, yaml.Node]) -> MarkRule:
    """``thresholds:``: the box rule's numbers (`THRESHOLDS`), each more than 0 and in their
    order; the rest of `omr.decide.MarkRule` keeps its defaults."""
    if "thresholds" not in top:
        return MarkRule()
    tnode = reader.mapping(top["thresholds"], "thresholds")
    values = {}
    for key, vnode in tnode.items():
        if key not in THRESHOLDS and key not in RETIRED_THRESHOLDS:
            raise reader.error(vnode, f"thresholds.{key}", "campaign_not_threshold_use",
                               p1=', '.join(sorted(THRESHOLDS + RETIRED_THRESHOLDS)))
        value = _threshold(reader, vnode, key)
        if key in THRESHOLDS:
            values[key] = value
    default = MarkRule()
    faint, mark = (values.get(k, getattr(default, k)) for k in ("faint_ink_mm2", "mark_ink_mm2"))
    if not faint < mark:
        raise reader.error(top["thresholds"], "thresholds", "campaign_need_faint_ink_mm")
    if not values.get("faint_long_ink_mm2", default.faint_long_ink_mm2) <= faint:
        raise reader.error(top["thresholds"], "thresholds", "campaign_need_faint_long_ink")
    return dataclasses.replace(default, **values)


def recorded_thresholds(values: dict[str, float]) -> MarkRule:
    """The box rule as a certification recorded it (``dataclasses.asdict`` of a
    `omr.decide.MarkRule`), by this version or an earlier one: the retired fill-only
    thresholds (`RETIRED_THRESHOLDS`) are left out."""
    return MarkRule(**{k: v for k, v in values.items() if k not in RETIRED_THRESHOLDS})


def _read_review(reader: _Reader, top: dict[str, yaml.Node]) -> ReviewSettings:
    """``review:``: how people resolve the doubts."""
    if "review" not in top:
        return ReviewSettings()
    rnode = reader.mapping(top["review"], "review")
    for extra in rnode:
        if extra != "two_reviewers":
            raise reader.error(rnode[extra], f"review.{extra}", "campaign_not_review_setting_one")
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
        raise reader.error(top["seal"], "seal", "campaign_not_seal_setting_use", seal=seal)
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
                           "campaign_not_kind_vote_use", kind=kind, p1=', '.join(KINDS))
    if kind == KIND_FOLLOW_UP and not RULE_SETS[rules_name].follow_up:
        raise reader.error(top["kind"], "kind",
                           "campaign_follow_up_rules", kind=kind, rules_name=rules_name)
    return kind


def _read_groups(reader: _Reader, top: dict[str, yaml.Node]) -> tuple[Group, ...]:
    """``groups:``: each with an id, a name and an order (default its place in the list)."""
    if "groups" not in top:
        return ()
    node = top["groups"]
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise reader.error(node, "groups", "campaign_must_be_groups")
    groups: list[Group] = []
    for i, item in enumerate(node.value, start=1):
        key = f"groups[{i}]"
        gid, fields = _identified(reader, item, key, "name", [g.id for g in groups], "groups")
        order = (reader.integer(fields["order"], f"{key}.order", minimum=0)
                 if "order" in fields else i)
        groups.append(Group(gid, _collapse(reader.string(fields["name"], f"{key}.name")), order,
                            item.start_mark.line + 1))
    return tuple(sorted(groups, key=lambda g: (g.order, [x.id for x in groups].index(g.id))))


def _candidate_group(reader: _Reader, item: yaml.Node, fields: dict[str, yaml.Node], key: str,
                     group_ids: list[str]) -> str | None:
    if "group" not in fields:
        if group_ids:
            raise reader.error(item, key, "campaign_has_no_group_with", p1=', '.join(group_ids))
        return None
    gid = reader.string(fields["group"], f"{key}.group")
    if gid not in group_ids:
        known = f"one of {', '.join(group_ids)}" if group_ids else "a list 'groups:' first"
        raise reader.error(fields["group"], f"{key}.group", "campaign_not_group_give", gid=gid, known=known)
    return gid


def _identified(reader: _Reader, item: yaml.Node, key: str, named: str, taken: list[str],
                what: str) -> tuple[str, dict[str, yaml.Node]]:
    """A group's or a form's entry: its ``id`` (not one of ``taken``) and its fields, which
    hold ``id`` and ``named`` (its name or title). ``what``: "groups" or "forms"."""
    fields = reader.mapping(item, key)
    for needed in ("id", named):
        if needed not in fields:
            raise reader.error(item, key, "campaign_missing", needed=needed)
    eid = _read_id(reader, fields["id"], f"{key}.id")
    if eid in taken:  # campaign_given_two_groups / campaign_given_two_forms
        raise reader.error(fields["id"], f"{key}.id", f"campaign_given_two_{what}",
                           gid=eid, fid=eid)
    return eid, fields


def _read_id(reader: _Reader, node: yaml.Node, key: str) -> str:
    value = reader.string(node, key)
    if not CAMPAIGN_ID.match(value) or len(value) > 24:
        raise reader.error(node, key, "campaign_bad_short_id", value=value)
    return value


def _read_forms(reader: _Reader, top: dict[str, yaml.Node], candidates: list[Candidate],
                groups: tuple[Group, ...]) -> tuple[Form, ...]:
    """``forms:``: the ballot forms, each with its people (``candidates[].form``, or the
    form's ``groups:``), a title and a paper colour note. Every person is on one form."""
    for c in candidates:
        if c.form is not None and "forms" not in top:
            raise CampaignError(key="campaign_line_candidates_form_names", where=reader.where,
                                line=c.line, stt=c.stt, form=c.form)
    if "forms" not in top:
        return ()
    node = top["forms"]
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise reader.error(node, "forms", "campaign_must_be_forms")
    raw: list[tuple[str, dict[str, yaml.Node], yaml.Node]] = []
    for i, item in enumerate(node.value, start=1):
        key = f"forms[{i}]"
        fid, fields = _identified(reader, item, key, "title", [r[0] for r in raw], "forms")
        raw.append((fid, fields, item))
    people: dict[str, list[int]] = {fid: [] for fid, _, _ in raw}
    by_group = _form_groups(reader, raw, groups)
    for c in candidates:
        fid = c.form or by_group.get(c.group or "")
        if fid is None:
            raise CampaignError(key="campaign_line_candidates_on_no", where=reader.where,
                                line=c.line, stt=c.stt, p1=', '.join(people))
        if fid not in people:
            raise CampaignError(key="campaign_line_candidates_form_not", where=reader.where,
                                line=c.line, stt=c.stt, fid=fid, p1=', '.join(people))
        people[fid].append(c.stt)
    forms = []
    for i, (fid, fields, item) in enumerate(raw, start=1):
        if not people[fid]:
            raise reader.error(item, f"forms[{i}]", "campaign_has_nobody_on_it", fid=fid)
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
            raise reader.error(gnode, f"forms[{i}].groups", "campaign_must_be_group_ids")
        for vnode in gnode.value:
            gid = reader.string(vnode, f"forms[{i}].groups")
            if gid not in known:
                raise reader.error(vnode, f"forms[{i}].groups", "campaign_not_group", gid=gid)
            if gid in out:
                raise reader.error(vnode, f"forms[{i}].groups",
                                   "campaign_already_on_form", gid=gid, p1=out[gid])
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
                    key="campaign_line_lists_mappings_are", where=where,
                    line=token.start_mark.line + 1, depth=MAX_DEPTH)
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
                           "campaign_must_be_number_more", largest=largest, unit=unit, value=node.value)
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
        raise reader.error(node, "layout", "campaign_not_ballot_template_use", name=name,
                           p1=", ".join(templates))
    return name


def _collapse(text: str) -> str:
    return " ".join(text.split())


class _Reader:
    """Typed access to YAML nodes with errors that name the key and line."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.root: yaml.MappingNode | None = None  # the file's top mapping, once read

    def error(self, node: yaml.Node, key: str, entry: str, **params: Any) -> CampaignError:
        """The refusal of ``key`` at ``node``: the catalog's ``entry``, naming file and line."""
        return CampaignError(key=entry, where=self.where, line=node.start_mark.line + 1,
                             field=key, **params)

    def mapping(self, node: yaml.Node, key: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, key or "campaign", "campaign_must_be_mapping_keys")
        out: dict[str, yaml.Node] = {}
        for knode, vnode in node.value:
            name = str(knode.value)
            if name in out:
                raise self.error(knode, f"{key}.{name}".lstrip("."), "campaign_given_twice")
            out[name] = vnode
        return out

    def _scalar(self, node: yaml.Node, key: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, key, "campaign_must_be_single_value")
        try:
            return yaml.SafeLoader(" ").construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError):
            raise self.error(node, key, "campaign_has_value_that_cannot", value=node.value) from None

    def string(self, node: yaml.Node, key: str) -> str:
        value = self._scalar(node, key)
        if value is None or isinstance(value, bool) or not str(value).strip():
            raise self.error(node, key, "campaign_must_be_text")
        text = nfc(str(value))
        for ch in text:
            if ch not in "\t\n" and unicodedata.category(ch) in _FORBIDDEN_CATEGORIES:
                raise self.error(
                    node, key,
                    "campaign_contains_invisible_control_character", code=ord(ch),
                )
        return text

    def integer(self, node: yaml.Node, key: str, minimum: int, maximum: int = MAX_WHOLE) -> int:
        value = self._scalar(node, key)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self.error(node, key, "campaign_must_be_whole_number", minimum=minimum, maximum=maximum)
        return value

    def number(self, node: yaml.Node, key: str) -> float:
        value = self._scalar(node, key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(node, key, "campaign_must_be_number")
        return float(value)

    def boolean(self, node: yaml.Node, key: str) -> bool:
        value = self._scalar(node, key)
        if not isinstance(value, bool):
            raise self.error(node, key, "campaign_must_be_true_false")
        return value

    def date(self, node: yaml.Node, key: str) -> dt.date:
        value = self._scalar(node, key)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        raise self.error(node, key, "campaign_must_be_date_written", value=node.value)
