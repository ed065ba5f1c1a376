"""Certified results of any size, for the documents' tests.

`sized_doc` takes a real package's ``tally.json`` (the Hà Nội case, counted
through the real CLI) and gives it ``n`` people, each with counts that add up
to the base and with the percentages and consequences the domain computes
(`pipeline.domain.tally.percent`, `pipeline.domain.rules.consequence`): the
layout of a 120-person body is tried without scanning 120-row ballots.
`fixed` pins the clock and the codes, so renders are the same on every run.
`document_kinds` names every kind of Word and PDF document a package holds,
each made from one of these cases (the golden files' fixtures).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.documents.aggregate import Person, Unit, combine
from pipeline.documents.export import package_records
from pipeline.documents.form import Form
from pipeline.documents.minutes import minutes_form
from pipeline.documents.resolution import report_form, resolution_form
from pipeline.domain.campaign import parse_campaign
from pipeline.domain.layout import build_layout
from pipeline.domain.rules import RULE_SETS, consequence, percent

POSITIONS = (
    "Chủ tịch Ủy ban nhân dân huyện",
    "Trưởng phòng Lao động - Thương binh và Xã hội",
    "Chỉ huy trưởng Ban Chỉ huy Quân sự huyện, Ủy viên Ủy ban nhân dân huyện",
    "Phó Chủ tịch Hội đồng nhân dân huyện",
    "Trưởng ban Kinh tế - Xã hội Hội đồng nhân dân huyện",
)
NAMES = ("Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Phương", "Phạm Thị Thu Hương",
         "Hoàng Văn Thành", "Võ Nguyễn Minh Khôi", "Đặng Thị Mỹ Duyên", "Bùi Quang Vinh")
GROUPS = [{"id": "hdnd", "name": "Khối Hội đồng nhân dân", "order": 1},
          {"id": "ubnd", "name": "Khối Ủy ban nhân dân", "order": 2}]


def fixed(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with its clock and codes pinned (renders compared with golden files)."""
    doc = copy.deepcopy(doc)
    doc["certification"]["at"] = "2023-12-07T08:45:00"
    doc["certification"]["digest"] = "3a" * 32
    doc["key_sha256"] = "5c" * 32
    if doc.get("declared"):
        doc["declared"]["at"] = "2023-12-07T08:05:00"
    return doc


def sized_doc(base_doc: dict[str, Any], n: int, *, seed: int = 7, rules: str | None = None,
              groups: bool = False) -> dict[str, Any]:
    """``base_doc`` (a package's tally.json) with ``n`` people (see the module's docstring)."""
    doc = fixed(base_doc)
    rng = np.random.default_rng(seed)
    if rules is not None:
        rs = RULE_SETS[rules]
        doc["rules"] = rules
        doc["campaign_info"].update(rules=rules, rules_title=rs.title, rules_document=rs.document,
                                    base_label=rs.base_label, base_article=rs.base_article)
        if rs.base == "electorate":
            doc["base"] = doc["electorate"]
    rs = RULE_SETS[doc["campaign_info"]["rules"]]
    base = doc["base"]
    collected = doc["ballots"]["collected"]
    people = []
    for i in range(n):
        invalid = int(rng.integers(0, 3))
        share = rng.dirichlet((6, 2, 1.5 if i % 7 else 8))
        valid = collected - invalid
        high, medium = int(share[0] * valid), int(share[1] * valid)
        low = valid - high - medium
        counts = {"high": high, "medium": medium, "low": low, "invalid": invalid}
        code = consequence(low, base)
        people.append({
            "candidate": i + 1, "name": f"{NAMES[i % len(NAMES)]}" + (f" {i + 1}" if n > 8 else ""),
            "position": POSITIONS[i % len(POSITIONS)], "counts": counts, "pending": 0,
            "percent": {lv: percent(counts[lv], base) for lv in ("high", "medium", "low")},
            "consequence": code, "consequence_text": rs.consequences.get(code) if code else None,
            "born": None, "ballot_page": 1,
            **({"group": "hdnd" if i % 3 == 0 else "ubnd"} if groups else {}),
        })
    doc["candidates"] = people
    if groups:
        doc["groups"] = GROUPS
    return doc


def assembly_doc(base_doc: dict[str, Any]) -> dict[str, Any]:
    """44 people grouped by khối, the National Assembly's poll."""
    doc = sized_doc(base_doc, 44, groups=True)
    doc["campaign_info"].update(body="Quốc hội khóa XV, Kỳ họp thứ sáu", place="Hà Nội",
                                subtitle="đối với người giữ chức vụ do Quốc hội bầu hoặc "
                                         "phê chuẩn")
    return doc


def grouped_units_and_a_vote(base_doc: dict[str, Any]
                             ) -> tuple[list[Unit], list[Person], list[Person]]:
    """A grouped poll (groups' order: UBND before HĐND) and a follow-up vote on its third
    person, 18 of 35 delegates voting "không tín nhiệm"."""
    poll = sized_doc(base_doc, 9, groups=True)
    poll["groups"] = [{**g, "order": 3 - g["order"]} for g in poll["groups"]]
    vote = fixed(base_doc)
    vote.update(kind="bo-phieu-tin-nhiem", levels=["confidence", "no_confidence"], base=35)
    third = poll["candidates"][2]
    vote["candidates"] = [{
        "candidate": 1, "name": third["name"], "position": third["position"], "born": None,
        "counts": {"confidence": 12, "no_confidence": 18, "invalid": 0},
        "percent": {"confidence": 34.29, "no_confidence": 51.43},
        "consequence": "over_half_no_confidence",
        "consequence_text": RULE_SETS["nq96-2023"].follow_up["over_half_no_confidence"]}]
    vote["campaign"] = "bo-phieu"
    vote["campaign_info"] = {**vote["campaign_info"], "session_date": "2024-07-10"}
    units = [Unit(Path("a"), poll, "ab" * 32), Unit(Path("b"), vote, "cd" * 32)]
    return units, combine(units), combine(units, "bo-phieu-tin-nhiem")


def follow_up_vote_doc(base_doc: dict[str, Any]) -> dict[str, Any]:
    """The follow-up vote (*bỏ phiếu tín nhiệm*) on one person, as a package of its own
    holds it: 35 delegates, 33 ballots issued, 30 collected (one invalid for the person),
    the percentages on all delegates (khoản 4 Điều 12 Nghị quyết 96/2023/QH15)."""
    vote = fixed(base_doc)
    rs = RULE_SETS["nq96-2023"]
    counts = {"confidence": 11, "no_confidence": 18, "invalid": 1}
    vote.update(kind="bo-phieu-tin-nhiem", levels=["confidence", "no_confidence"],
                campaign="hn-bo-phieu-2024", electorate=35, base=35, forms=[], groups=[],
                decisions=[], pages=vote["pages"][:30])
    vote["candidates"] = [{
        "candidate": 1, "name": "Đặng Thị Mỹ Duyên", "born": None, "ballot_page": 1,
        "position": "Trưởng ban Kinh tế - Ngân sách Hội đồng nhân dân thành phố",
        "counts": counts, "pending": 0,
        "percent": {lv: percent(counts[lv], 35) for lv in ("confidence", "no_confidence")},
        "consequence": "over_half_no_confidence",
        "consequence_text": rs.follow_up["over_half_no_confidence"]}]
    vote["ballots"].update(issued=33, collected=30, accepted=30, pages_accepted={"1": 30})
    vote["reconciliation"].update(issued=33, collected=30, pages_accepted={"1": 30})
    vote["declared"].update(issued=33, collected=30, at="2024-07-10T02:40:00")
    vote["certification"]["at"] = "2024-07-10T03:10:00"
    vote["campaign_info"] = {
        **vote["campaign_info"], "id": "hn-bo-phieu-2024", "title": "Phiếu bỏ phiếu tín nhiệm",
        "session_date": "2024-07-10", "electorate": 35, "base_label": "tổng số đại biểu",
        "base_article": rs.follow_up_article}
    return vote


def party_report_doc(base_doc: dict[str, Any], body: str) -> dict[str, Any]:
    """18 people under Quy định 96-QĐ/TW, reported by ``body``."""
    doc = sized_doc(base_doc, 18, rules="qd96-2023")
    doc["campaign_info"]["body"] = body
    return doc


def document_kinds(base_doc: dict[str, Any]) -> dict[str, Callable[[], Form]]:
    """{name: the `Form` of one kind of document}: the minutes and the council's resolution
    of 18 people by khối, the report of a Party body and of a state body, the National
    Assembly's resolution, and the follow-up vote's minutes and resolution."""
    doc = sized_doc(base_doc, 18, groups=True)
    vote = follow_up_vote_doc(base_doc)
    return {
        "minutes-18": lambda: minutes_form(doc),
        "resolution-18": lambda: resolution_form(doc),
        "report-party-18": lambda: report_form(
            party_report_doc(base_doc, "Đảng ủy Sở Nội vụ thành phố Hà Nội")),
        "report-state-18": lambda: report_form(
            party_report_doc(base_doc, "Ủy ban nhân dân huyện Ninh Sơn")),
        "resolution-quoc-hoi": lambda: resolution_form(assembly_doc(base_doc)),
        "minutes-follow-up-vote": lambda: minutes_form(vote),
        "resolution-follow-up-vote": lambda: resolution_form(vote),
    }


def package_info(pkg: Path, key: str, value: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The campaign_info of the certified package ``pkg``'s records, made again from its
    certificate and campaign file as export and verify make them: as it is, and with the
    optional campaign key ``key: value`` added."""
    body = json.loads((pkg / "certificate.json").read_text("utf-8"))["body"]
    text = (pkg / "campaign.yaml").read_text("utf-8")
    plain = parse_campaign(text)
    given = parse_campaign(text.replace("\nplace:", f"\n{key}: {value}\nplace:", 1))
    return (package_records(body, plain, build_layout(plain))["campaign_info"],
            package_records(body, given, build_layout(given))["campaign_info"])
