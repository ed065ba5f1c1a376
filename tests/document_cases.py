"""Certified results of any size, for the documents' tests.

`sized_doc` takes a real package's ``tally.json`` (the Hà Nội case, counted
through the real CLI) and gives it ``n`` people, each with counts that add up
to the base and with the percentages and consequences the domain computes
(`pipeline.domain.tally.percent`, `pipeline.domain.rules.consequence`): the
layout of a 120-person body is tried without scanning 120-row ballots.
`fixed` pins the clock and the codes, so renders are the same on every run.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

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
