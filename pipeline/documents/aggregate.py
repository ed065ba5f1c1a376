"""``kiemphieu aggregate``: the office above rolls up the certified packages of many units.

Seed 001: every department reports to *Sở Nội vụ*, which reports to the
city; an official may be polled in at most two places (the Party committee
and the workplace). Each package is verified first (`pipeline.documents.verify`); a
package that does not verify is refused, by name, and nothing is written.

People are matched across packages by name and position (compared in NFC,
ignoring case and spacing) and, when both packages give it, the year of
birth, which tells namesakes apart. A person polled in several places keeps
every result, one line per place: results under different bases and rules
are never added together. A person found in more than two places is
flagged (seed 001 allows at most two).

A follow-up confidence vote's package (*bỏ phiếu tín nhiệm*, ``kind:
bo-phieu-tin-nhiem``: two levels, on all delegates) is numbered among the
units like any other, but its people are matched and reported apart from the
polls' (``follow_up`` in the JSON, their own table in the report): a vote's
"không tín nhiệm" is never set in a poll's "tín nhiệm thấp" column.

Writes ``tong-hop.pdf`` (A4 landscape, Nghị định 30 heading; see
`pipeline.documents.summary`), ``tong-hop.xlsx`` and ``tong-hop.json`` into a
new folder. With the last round's packages (``--previous``), each person's
result there is set beside this round's.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.documents.export import RESULT_JSON
from pipeline.documents.grouping import groups_of
from pipeline.documents.summary import summary_pdf, summary_xlsx
from pipeline.documents.typography import vietnam_now
from pipeline.documents.verify import ProblemsInWords, verify_package
from pipeline.domain import wording
from pipeline.domain.certificate import CertificateError, grouped, parse_hex64
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.reasons import failure
from pipeline.domain.rules import KIND_FOLLOW_UP, KIND_POLL
from pipeline.domain.tally import result_levels

SUMMARY_PDF = "tong-hop.pdf"
SUMMARY_XLSX = "tong-hop.xlsx"
SUMMARY_JSON = "tong-hop.json"
MAX_PLACES = 2  # seed 001: "tối đa ở 02 nơi"
FIRST_USE_VI = "khóa chưa được đối chiếu với biên bản của đơn vị, tin tưởng lần đầu"


class AggregateError(KiemphieuError):
    """A package is tampered with, unreadable or given twice."""


class Said(wording.Said):
    """A sentence of the catalog with its values (`pipeline.domain.wording.Said`), and
    several of them joined."""

    @staticmethod
    def joined(said: list[Said]) -> _Joined:
        return _Joined(tuple(said))


@dataclass(frozen=True)
class _Joined:
    said: tuple[Said, ...]

    def in_words(self, lang: str) -> str:
        return " | ".join(s.in_words(lang) for s in self.said)

    def __str__(self) -> str:
        return self.in_words("en")


@dataclass(frozen=True)
class Unit:
    package: Path
    doc: dict[str, Any]
    key_sha256: str
    trust: str = "pinned"  # pinned: the key given for the unit | first_use: the key it carries
    certificate: dict[str, Any] | None = None  # number, at, by, digest (verify)

    @property
    def info(self) -> dict[str, Any]:
        return self.doc["campaign_info"]

    @property
    def kind(self) -> str:
        """The poll (``lay-phieu-tin-nhiem``) or the follow-up vote (``bo-phieu-tin-nhiem``)."""
        return self.doc.get("kind") or KIND_POLL


@dataclass(frozen=True)
class UnitKey:
    """What the office above knows of a unit from its signed minutes."""

    fingerprint: str  # the key's SHA-256, 64 hex digits
    digest: str | None = None  # the certificate's digest, if given
    where: str = "--key"  # where it was given, for messages


@dataclass(frozen=True)
class Place:
    unit: int  # index into the units
    result: dict[str, Any]  # the person's entry in that unit's tally.json


@dataclass(frozen=True)
class Person:
    name: str
    position: str
    born: int | None
    places: tuple[Place, ...]


@dataclass(frozen=True)
class AggregateResult:
    out: Path
    units: int
    people: int  # different people, polls and follow-up votes together
    polled_twice: int
    trusted_on_first_use: tuple[Unit, ...] = ()  # units whose key nobody gave: taken as found
    recertified: tuple[Unit, ...] = ()  # units whose count was certified more than once


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def read_unit_keys(path: Path) -> dict[str, UnitKey]:
    """The units' keys from a file: one line per unit, ``CAMPAIGN-ID FINGERPRINT [DIGEST]``.

    The fingerprint and the digest are copied from the unit's signed minutes, 64 hex
    digits each, spaces between the groups allowed (so a line holds the campaign id, then
    64 or 128 hex digits). Blank lines and lines starting with ``#`` are skipped. Raises
    `AggregateError` naming the file and line.
    """
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise AggregateError(key="aggregate_keys_unreadable", path=str(path),
                             error=failure(exc)) from None
    keys: dict[str, UnitKey] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        where = f"{path}:{n}"  # file:line, in either language
        digits = "".join(words[1:])
        try:
            if len(digits) == 128:
                key = UnitKey(parse_hex64(digits[:64], where), parse_hex64(digits[64:], where),
                              where)
            else:
                key = UnitKey(parse_hex64(digits, where), None, where)
        except CertificateError as exc:
            raise AggregateError(key="aggregate_keys_line_bad",
                                 error=Said(exc.key, **exc.params)) from None
        if words[0] in keys:
            raise AggregateError(key="aggregate_keys_unit_twice", path=str(path), line=n,
                                 unit=words[0])
        keys[words[0]] = key
    return keys


def load_units(packages: list[Path], keys: dict[str, UnitKey] | None = None,
               package_keys: list[UnitKey] | None = None, *,
               trust_on_first_use: bool = False) -> list[Unit]:
    """Verify and read every package; refuse all if any one fails, naming each.

    A package's key must be its unit's: the one in ``package_keys`` (one per package, in
    order) or, by campaign id, in ``keys``; and its certificate's digest the one given
    with it, if one is. A unit with neither is refused, unless ``trust_on_first_use``:
    then the key it carries is taken, and the unit says so (``Unit.trust``).
    """
    keys = keys or {}
    if package_keys and len(package_keys) != len(packages):
        raise AggregateError(key="aggregate_key_count", keys=len(package_keys),
                             packages=len(packages))
    failures: list[Said] = []
    units = []
    seen: dict[str, Path] = {}
    for i, package in enumerate(packages):
        check = verify_package(package)
        if not check.ok:
            more = len(check.problems) - 3
            failures.append(Said("aggregate_failure_not_verified_more" if more > 0
                                 else "aggregate_failure_not_verified", package=str(package),
                                 problems=ProblemsInWords(check.problems, 3), more=more))
            continue
        doc = json.loads((package / RESULT_JSON).read_text("utf-8"))
        cid = doc["campaign"]
        if cid in seen:
            failures.append(Said("aggregate_failure_twice", package=str(package), unit=cid,
                                 other=str(seen[cid])))
            continue
        seen[cid] = package
        assert check.key_sha256 is not None and check.certificate is not None
        pinned = _unit_key(cid, package_keys[i] if package_keys else None, keys.get(cid))
        if isinstance(pinned, Said):
            failures.append(Said("aggregate_failure_key", package=str(package), problem=pinned))
            continue
        if pinned is None and not trust_on_first_use:
            failures.append(Said("aggregate_failure_no_key", package=str(package), unit=cid))
            continue
        problem = _pinning_problem(check.key_sha256, check.certificate["digest"], pinned)
        if problem:
            failures.append(Said("aggregate_failure_pinning", package=str(package), unit=cid,
                                 problem=problem))
            continue
        units.append(Unit(package, doc, check.key_sha256,
                          "pinned" if pinned else "first_use", check.certificate))
    if failures:
        raise AggregateError(key="aggregate_refused", failures=Said.joined(failures))
    return units


def _unit_key(cid: str, given: UnitKey | None, listed: UnitKey | None) -> UnitKey | Said | None:
    """The key a unit must have: given for its package, or listed for its campaign (a text
    saying what is wrong if both are given and differ)."""
    if given and listed and (given.fingerprint != listed.fingerprint
                             or (given.digest and listed.digest and given.digest != listed.digest)):
        return Said("aggregate_key_differs", unit=cid, where=listed.where)
    if given and listed:
        return UnitKey(given.fingerprint, given.digest or listed.digest, given.where)
    return given or listed


def _pinning_problem(key_sha256: str, digest: str, pinned: UnitKey | None) -> Said | None:
    if pinned is None:
        return None
    if key_sha256 != pinned.fingerprint:
        return Said("aggregate_other_signer", signed=grouped(key_sha256, 8),
                    pinned=grouped(pinned.fingerprint, 8), where=pinned.where)
    if pinned.digest and digest != pinned.digest:
        return Said("aggregate_other_digest", digest=grouped(digest, 8),
                    pinned=grouped(pinned.digest, 8), where=pinned.where)
    return None


def combine(units: list[Unit], kind: str = KIND_POLL) -> list[Person]:
    """People across the units of ``kind``, in order of first appearance, each with every
    place polled (a place's ``unit`` indexes all ``units``)."""
    people: list[dict[str, Any]] = []
    for u, unit in enumerate(units):
        if unit.kind != kind:
            continue
        for c in unit.doc["candidates"]:
            born = c.get("born")
            match = None
            for p in people:
                if (p["key"] == (_norm(c["name"]), _norm(c["position"]))
                        and (p["born"] is None or born is None or p["born"] == born)):
                    match = p
                    break
            if match is None:
                match = {"key": (_norm(c["name"]), _norm(c["position"])), "name": c["name"],
                         "position": c["position"], "born": born, "places": []}
                people.append(match)
            match["born"] = match["born"] or born
            match["places"].append(Place(u, c))
    return [Person(p["name"], p["position"], p["born"], tuple(p["places"])) for p in people]


def aggregate_packages(packages: list[Path], out: Path, *, body: str = "Cơ quan tổng hợp",
                       place: str | None = None, keys: dict[str, UnitKey] | None = None,
                       package_keys: list[UnitKey] | None = None,
                       trust_on_first_use: bool = False, parent: str | None = None,
                       to: str | None = None, signer: tuple[str, str | None] | None = None,
                       previous: list[Path] | None = None) -> AggregateResult:
    """Roll ``packages`` up into ``out`` (a new or empty folder); the keys as `load_units`.

    ``previous``: the packages of the last round; each is verified (its key as given in
    ``keys``, else the key it carries) and each person's result there is set beside this
    round's (`previous_results`).
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise AggregateError(key="aggregate_out_not_empty", out=str(out))
    units = load_units(packages, keys, package_keys, trust_on_first_use=trust_on_first_use)
    people = combine(units)
    votes = combine(units, KIND_FOLLOW_UP)
    before = None
    if previous:
        last = [u for u in load_units(previous, keys, trust_on_first_use=True)
                if u.kind == KIND_POLL]
        before = previous_results(units, people, last)
    today = vietnam_now().date()
    summary = summary_json(units, people, body, before, votes)
    pdf = summary_pdf(units, people, body=body, place=place, day=today, parent=parent, to=to,
                      signer=signer, previous=before, votes=votes)
    xlsx = summary_xlsx(units, people, body, votes)
    out.mkdir(parents=True, exist_ok=True)
    (out / SUMMARY_JSON).write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n",
                                    encoding="utf-8")
    (out / SUMMARY_PDF).write_bytes(pdf)
    (out / SUMMARY_XLSX).write_bytes(xlsx)
    different = {(_norm(p.name), _norm(p.position), p.born) for p in (*people, *votes)}
    return AggregateResult(out, len(units), len(different),
                           sum(1 for p in people if len(p.places) > 1),
                           tuple(u for u in units if u.trust == "first_use"),
                           tuple(u for u in units if (u.certificate or {}).get("number", 1) > 1))


def previous_results(units: list[Unit], people: list[Person], last: list[Unit]
                     ) -> dict[tuple[int, int], dict[str, Any]]:
    """{(person index, place index): the person's result in the last round} for each place
    where the last round polled the same person (name, position, year of birth as `combine`)
    in the same body; else, in any body of the last round."""
    found: dict[tuple[int, int], dict[str, Any]] = {}
    for i, person in enumerate(people):
        key = (_norm(person.name), _norm(person.position))
        for k, pl in enumerate(person.places):
            body = _norm(units[pl.unit].info["body"])
            matches = [(u, c) for u in last for c in u.doc["candidates"]
                       if (_norm(c["name"]), _norm(c["position"])) == key
                       and (person.born is None or c.get("born") in (None, person.born))]
            matches.sort(key=lambda m: _norm(m[0].info["body"]) != body)
            if matches:
                u, c = matches[0]
                found[(i, k)] = {"result": c, "campaign": u.doc["campaign"],
                                 "year": u.info["session_date"][:4], "base": u.doc["base"]}
    return found


def _group_of(unit: Unit, result: dict[str, Any]) -> dict[str, Any] | None:
    """The person's group (khối) in that unit: id, name and order; None when ungrouped."""
    gid = result.get("group")
    for g in groups_of(unit.doc):
        if g["id"] == gid:
            return {"id": g["id"], "name": g.get("name") or g["id"], "order": g.get("order")}
    return None


def _places_json(units: list[Unit], p: Person) -> list[dict[str, Any]]:
    return [{"campaign": units[pl.unit].doc["campaign"], "unit": units[pl.unit].info["body"],
             "unit_number": pl.unit + 1, "group": _group_of(units[pl.unit], pl.result),
             "rules": units[pl.unit].info["rules"], "base": units[pl.unit].doc["base"],
             "candidate": pl.result["candidate"], "counts": pl.result["counts"],
             "percent": pl.result["percent"], "consequence": pl.result["consequence"],
             "consequence_text": pl.result.get("consequence_text")} for pl in p.places]


def summary_json(units: list[Unit], people: list[Person], body: str,
                 previous: dict[tuple[int, int], dict[str, Any]] | None = None,
                 votes: list[Person] | None = None) -> dict[str, Any]:
    """The roll-up in JSON: ``people`` of the polls (three levels), ``follow_up`` of the
    follow-up votes (two levels), each place with its unit's number and group."""
    previous = previous or {}
    return {
        "format": "kiemphieu-aggregate/1",
        "body": body,
        "units": [
            {"number": n, "campaign": u.doc["campaign"], "kind": u.kind,
             "levels": list(result_levels(u.doc)), "body": u.info["body"],
             "title": u.info["title"],
             "session_date": u.info["session_date"], "rules": u.info["rules"],
             "base": u.doc["base"], "collected": u.doc["ballots"]["collected"],
             "certified_at": u.doc["certification"]["at"], "key_sha256": u.key_sha256,
             "key_trust": u.trust, "certificate_digest": (u.certificate or {}).get("digest"),
             "certification_number": (u.certificate or {}).get("number"),
             "package": str(u.package)}
            for n, u in enumerate(units, start=1)
        ],
        # keys nobody gave the office above: taken from the packages as found
        "trusted_on_first_use": [{"campaign": u.doc["campaign"], "key_sha256": u.key_sha256}
                                 for u in units if u.trust == "first_use"],
        "people": [
            {"name": p.name, "position": p.position, "born": p.born,
             "places_count": len(p.places), "over_limit": len(p.places) > MAX_PLACES,
             "places": [
                 {**place,
                  "previous": None if (i, k) not in previous else {
                      "campaign": previous[(i, k)]["campaign"],
                      "base": previous[(i, k)]["base"],
                      "counts": previous[(i, k)]["result"]["counts"],
                      "percent": previous[(i, k)]["result"]["percent"],
                      "consequence": previous[(i, k)]["result"]["consequence"]}}
                 for k, place in enumerate(_places_json(units, p))]}
            for i, p in enumerate(people)
        ],
        # the follow-up confidence votes' people: levels "confidence" and "no_confidence",
        # percentages of all delegates
        "follow_up": [
            {"name": p.name, "position": p.position, "born": p.born,
             "places_count": len(p.places), "places": _places_json(units, p)}
            for p in votes or []
        ],
    }
