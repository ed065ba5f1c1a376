"""The campaign file: every error names the key and the line; text comes out NFC."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import unicodedata
from importlib import resources
from pathlib import Path

import pytest

from omr.decide import MarkRule
from pipeline.domain.campaign import load_campaign, parse_campaign, recorded_thresholds
from pipeline.domain.eligibility import eligibility_findings
from pipeline.domain.errors import CampaignError

KIEMPHIEU = str(Path(sys.executable).with_name("kiemphieu"))
SAMPLES = sorted(Path(__file__).parents[1].joinpath("samples").glob("*.yaml"))

GOOD = """\
id: hdnd-test-2023
title: Phiếu lấy phiếu tín nhiệm
body: Hội đồng nhân dân huyện Thử
session_date: 2023-12-08
rules: nq96-2023
electorate: 35
candidates:
  - name: Nguyễn Văn An
    position: Chủ tịch HĐND huyện
    in_post_since: 2021-06-25
  - name: Trần Thị Bình
    position: Phó Chủ tịch HĐND huyện
"""


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_samples_are_valid_and_clean(path: Path) -> None:
    campaign = load_campaign(path)
    assert campaign.candidates
    assert eligibility_findings(campaign) == []


def test_text_is_normalised_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", GOOD)
    assert decomposed != GOOD
    campaign = parse_campaign(decomposed)
    assert campaign.candidates[0].name == "Nguyễn Văn An"
    assert unicodedata.is_normalized("NFC", campaign.title)
    assert unicodedata.is_normalized("NFC", campaign.source_text)


@pytest.mark.parametrize(
    ("change", "key", "line"),
    [
        (("id: hdnd-test-2023", "id: HDND Test"), "'id'", 1),
        (("rules: nq96-2023", "rules: nq99"), "'rules'", 5),
        (("electorate: 35", "electorate: -3"), "'electorate'", 6),
        (("electorate: 35", "electorate: many"), "'electorate'", 6),
        (("session_date: 2023-12-08", "session_date: 08/12/2023"), "'session_date'", 4),
        (("session_date: 2023-12-08", "session_date: 2023-02-30"), "'session_date'", 4),
        (("    in_post_since: 2021-06-25", "    in_post_since: soon"), "candidates[1].in_post_since", 10),
        (("  - name: Trần Thị Bình\n", "  - name: Trần Thị Bình\n    name: again\n"), "name", 12),
        (("title: Phiếu lấy phiếu tín nhiệm", "title: Phiếu\u200b lấy"), "'title'", 2),
    ],
)
def test_errors_name_key_and_line(change: tuple[str, str], key: str, line: int) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(CampaignError) as info:
        parse_campaign(text, "c.yaml")
    message = str(info.value)
    assert f"c.yaml, line {line}" in message
    assert key in message


def test_missing_key_and_broken_yaml() -> None:
    with pytest.raises(CampaignError, match="missing required key 'electorate'"):
        parse_campaign(GOOD.replace("electorate: 35\n", ""), "c.yaml")
    with pytest.raises(CampaignError, match=r"c.yaml, line \d+: not valid YAML"):
        parse_campaign(GOOD + "  - name: [unclosed\n", "c.yaml")
    with pytest.raises(CampaignError, match="must be a mapping"):
        parse_campaign("- just\n- a list\n", "c.yaml")


def test_person_listed_twice_is_refused() -> None:
    text = GOOD + "  - name: Nguyễn Văn An\n    position: Ủy viên UBND huyện\n"
    with pytest.raises(CampaignError, match=r"listed twice .*STT 1"):
        parse_campaign(text, "c.yaml")
    namesakes = (GOOD.replace("    in_post_since: 2021-06-25", "    born: 1970")
                 + "  - name: Nguyễn Văn An\n    position: Ủy viên UBND huyện\n    born: 1981\n")
    assert len(parse_campaign(namesakes).candidates) == 3


def test_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(GOOD.encode("cp1258", errors="replace"))
    with pytest.raises(CampaignError, match="not UTF-8"):
        load_campaign(path)


def test_eligibility_nq96_retiring_and_elected_this_year() -> None:
    text = GOOD.replace("    in_post_since: 2021-06-25", "    in_post_since: 2023-02-01") + (
        "  - name: Lê Văn Cường\n    position: Ủy viên\n    retiring: true\n"
    )
    findings = eligibility_findings(parse_campaign(text))
    assert [(f.stt, "năm lấy phiếu" in f.reason or "nghỉ hưu" in f.reason) for f in findings] == [
        (1, True), (3, True)]
    assert findings[0].line == 8


@pytest.mark.parametrize(
    ("since", "ineligible"),
    [("2018-04-15", False), ("2018-04-16", True), ("2019-01-15", True), ("2016-01-01", False)],
)
def test_eligibility_nq85_nine_months_exact_edge(since: str, ineligible: bool) -> None:
    text = (GOOD.replace("rules: nq96-2023", "rules: nq85-2014")
            .replace("session_date: 2023-12-08", "session_date: 2019-01-15")
            .replace("2021-06-25", since))
    findings = eligibility_findings(parse_campaign(text))
    assert bool(findings) is ineligible


def test_thresholds_set_the_box_rule_and_the_retired_fill_keys_still_read() -> None:
    """``thresholds:`` sets numbers of `omr.decide.MarkRule`, the rest keep their defaults;
    ``definite`` and ``marginal`` (the fill-only rule of early versions) are read, checked
    as a fraction each, and used for nothing."""
    assert parse_campaign(GOOD).thresholds == MarkRule()
    text = GOOD + "thresholds: {mark_extent_mm: 3.5, faint_ink_mm2: 0.1, definite: 0.09, " \
                  "marginal: 0.04}\n"
    rule = parse_campaign(text).thresholds
    assert rule == dataclasses.replace(MarkRule(), mark_extent_mm=3.5, faint_ink_mm2=0.1)
    with pytest.raises(CampaignError, match=r"'thresholds\.max_line_mm' is not a threshold; use "
                                            r"blackout_fill, definite, faint_ink_mm2"):
        parse_campaign(GOOD + "thresholds: {max_line_mm: 1.0}\n", "c.yaml")
    with pytest.raises(CampaignError, match="need faint_ink_mm2 < mark_ink_mm2"):
        parse_campaign(GOOD + "thresholds: {faint_ink_mm2: 0.3}\n", "c.yaml")


def test_thresholds_recorded_by_any_version_read_back() -> None:
    """A certification records ``dataclasses.asdict`` of the rule: an early version's record
    also holds the fill-only thresholds, which are left out."""
    now = dataclasses.asdict(dataclasses.replace(MarkRule(), blackout_fill=0.6))
    assert recorded_thresholds(now) == dataclasses.replace(MarkRule(), blackout_fill=0.6)
    early = {"definite": 0.09, "marginal": 0.04, "mark_extent_mm": 3.7, "mark_ink_mm2": 0.3,
             "faint_ink_mm2": 0.12, "faint_long_ink_mm2": 0.05, "blackout_fill": 0.5,
             "outline_ink_mm2": 0.3}
    assert recorded_thresholds(early) == dataclasses.replace(MarkRule(), outline_ink_mm2=0.3)


def test_unquoted_comma_in_a_flow_mapping_is_caught() -> None:
    text = GOOD + "  - {name: Lê Văn Cường, position: Ủy viên UBND huyện, Trưởng Công an huyện}\n"
    with pytest.raises(CampaignError, match=r"line 13: 'candidates\[3\]\.Trưởng Công an huyện' has no value"):
        parse_campaign(text, "c.yaml")


ABSURD = [
    ("deep", "electorate: 35\nextra: " + "[" * 5000 + "]" * 5000,
     "line 13: lists and mappings are nested more than 20 deep"),
    ("deep-block", "electorate: 35\nextra:\n" + "".join("  " * i + "- \n" for i in range(400)),
     "nested more than 20 deep"),
    ("electorate", "electorate: 100000000000000000000000000000",
     "line 12: 'electorate' must be a whole number from 1 to 1000000"),
    ("born", "electorate: 35\n" + "    born: 10000000000000000000000",
     "'candidates[2].born' must be a whole number from 1900 to 2100"),
    ("nan", "electorate: 35\nthresholds: {definite: .nan, marginal: 0.04}",
     "line 13: 'thresholds.definite' must be a number more than 0 and at most 1"),
    ("nan-ink", "electorate: 35\nthresholds: {blackout_fill: .NaN}",
     "'thresholds.blackout_fill' must be a number more than 0 and at most 1"),
    ("inf", "electorate: 35\nthresholds: {mark_extent_mm: .inf}",
     "'thresholds.mark_extent_mm' must be a number more than 0 and at most 50 (mm)"),
    ("layout", "electorate: 35\nlayout: ../../../tmp/elsewhere",
     "line 13: 'layout' '../../../tmp/elsewhere' is not a ballot template; use one of a4-portrait"),
    ("layout-abs", "electorate: 35\nlayout: /etc/hostname", "'layout' '/etc/hostname' is not"),
]


def _absurd(change: str) -> str:
    head, _, people = GOOD.partition("candidates:\n")
    if "born" in change:
        electorate, born = change.split("\n")
        people += born + "\n"
        change = electorate
    return head.replace("electorate: 35\n", "") + "candidates:\n" + people + change + "\n"


@pytest.mark.parametrize(("case", "change", "message"), ABSURD, ids=[a[0] for a in ABSURD])
def test_absurd_values_are_refused_by_check_and_new_saying_what_and_where(
        tmp_path: Path, case: str, change: str, message: str) -> None:
    path = tmp_path / f"{case}.yaml"
    path.write_text(_absurd(change), encoding="utf-8")
    with pytest.raises(CampaignError, match=re.escape(message)):
        load_campaign(path)
    for command in (["check", str(path)], ["new", str(path), "--dir", str(tmp_path / "ws")]):
        done = subprocess.run([KIEMPHIEU, *command], capture_output=True, text=True, timeout=120)
        assert done.returncode == 1 and "internal error" not in done.stderr, done.stderr
        assert message in " ".join(done.stderr.split()), done.stderr
    assert not (tmp_path / "ws").exists()


def test_a_layout_template_outside_ballot_layouts_is_not_read(tmp_path: Path) -> None:
    elsewhere = tmp_path / "mine.yaml"
    elsewhere.write_text("page: {width: 1}\n", encoding="utf-8")
    escape = os.path.relpath(tmp_path / "mine", Path(resources.files("ballot_layouts")))
    with pytest.raises(CampaignError, match="is not a ballot template"):
        parse_campaign(GOOD + f"layout: {escape}\n")
