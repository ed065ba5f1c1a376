"""People by group (khối), in the group's order, for every document.

A campaign may group its people: ``groups: [{id, name, order}]`` and each
candidate's ``group`` (the group's id), carried in ``tally.json`` at the top
or in ``campaign_info``. Without groups (or when no candidate names one) the
documents list everyone in ballot order under no heading. A candidate whose
group is not listed goes last, under "Khác".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV",
         "XV", "XVI", "XVII", "XVIII", "XIX", "XX")
OTHER = "Khác"


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
    """The campaign's groups as given (``id``, ``name``, ``order``), in their order."""
    given = doc.get("groups") or (doc.get("campaign_info") or {}).get("groups") or []
    listed = [g for g in given if isinstance(g, dict) and g.get("id") is not None]
    return sorted(listed, key=lambda g: (g.get("order") if g.get("order") is not None else 1e9))


def grouped_people(doc: dict[str, Any]) -> list[Group]:
    """``doc``'s candidates by group in the groups' order (ballot order within a group);
    one unnamed group holding everyone when the campaign has no groups."""
    people = doc["candidates"]
    groups = groups_of(doc)
    if not groups or not any(c.get("group") is not None for c in people):
        return [Group(None, None, tuple(people))]
    names = {str(g["id"]): str(g.get("name") or g["id"]) for g in groups}
    out: list[Group] = []
    for g in groups:
        members = tuple(c for c in people if str(c.get("group")) == str(g["id"]))
        if members:
            out.append(Group(None, names[str(g["id"])], members))
    rest = tuple(c for c in people if str(c.get("group")) not in names)
    if rest:
        out.append(Group(None, OTHER, rest))
    return [Group(ROMAN[i] if i < len(ROMAN) else str(i + 1), g.name, g.people)
            for i, g in enumerate(out)]
