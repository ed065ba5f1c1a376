"""People by group (khối), in the group's order, for every document.

A campaign may group its people (``groups: [{id, name, order}]`` and each
person's ``group``, carried by ``tally --json``); the order is the domain's
(`pipeline.domain.tally.in_groups`). Without groups the documents list
everyone in ballot order under no heading; people in no listed group come
last, under "Chưa xếp khối".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.domain.tally import in_groups
from pipeline.domain.wording import t

ROMAN = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def roman(n: int) -> str:
    out = ""
    for value, letters in ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


@dataclass(frozen=True)
class Group:
    number: str | None  # "I", "II", ... when the people are grouped; None when not
    name: str | None
    people: tuple[dict[str, Any], ...]

    @property
    def label(self) -> str | None:
        """"I - KHỐI HỘI ĐỒNG NHÂN DÂN", as published results head each group."""
        if self.name is None:
            return None
        return f"{self.number} - {self.name.upper()}"


def groups_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The campaign's groups as given (``id``, ``name``, ``order``)."""
    given = doc.get("groups") or (doc.get("campaign_info") or {}).get("groups") or []
    return [g for g in given if isinstance(g, dict) and g.get("id") is not None]


def grouped_people(doc: dict[str, Any]) -> list[Group]:
    """``doc``'s candidates by group in the groups' order (ballot order within a group);
    one unnamed group holding everyone when the campaign has no groups."""
    groups = [{**g, "order": g.get("order") if g.get("order") is not None else 10**6}
              for g in groups_of(doc)]
    people = doc["candidates"]
    if not groups or not any(c.get("group") is not None for c in people):
        return [Group(None, None, tuple(people))]
    out = in_groups(groups, people, lambda c: c.get("group"))
    return [Group(roman(i), str(g.get("name") or g["id"]) if g else t("ungrouped"), tuple(members))
            for i, (g, members) in enumerate(out, start=1)]
