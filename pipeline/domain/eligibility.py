"""Who should not be polled under a campaign's rules (docs/domain.md, "Who is not polled").

- ``nq96-2023`` and ``qd96-2023``: people who have announced retirement, or were
  elected or appointed in the polling year (khoản 5 Điều 2 NQ 96/2023/QH15).
- ``nq85-2014`` (seed 001, Hướng dẫn 321): under 9 months of continuous tenure on
  the day of the poll.

And who must face the follow-up confidence vote (*bỏ phiếu tín nhiệm*) after a
poll's results (`follow_up_findings`, ``kiemphieu check --results``): the poll's
consequences the rule set names (`RuleSet.follow_up_after`), and, where the rule
set says so (``nq85-2014``), "tín nhiệm thấp" from over half two polls running.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pipeline.domain.campaign import Campaign
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.rules import KIND_FOLLOW_UP, RULE_SETS


@dataclass(frozen=True)
class Finding:
    """A person who should not be on the ballot, or a listing error."""

    stt: int
    name: str
    line: int
    reason: str


def eligibility_findings(campaign: Campaign) -> list[Finding]:
    """Who should not be polled under the campaign's rules (DOMAIN.md, "Who is not polled").

    None for the follow-up vote: who faces it follows from a poll (`follow_up_findings`).
    """
    findings: list[Finding] = []
    if campaign.follow_up:
        return findings
    poll_day = campaign.session_date
    for c in campaign.candidates:
        if campaign.rules.name in ("nq96-2023", "qd96-2023"):
            if c.retiring:
                findings.append(Finding(c.stt, c.name, c.line, _RETIRING[campaign.rules.name]))
            if c.in_post_since is not None and c.in_post_since.year == poll_day.year:
                findings.append(
                    Finding(
                        c.stt, c.name, c.line,
                        f"được bầu/bổ nhiệm ngày {c.in_post_since:%d/%m/%Y}, trong năm lấy phiếu "
                        f"(elected or appointed in the polling year); "
                        f"{_IN_YEAR[campaign.rules.name]}",
                    )
                )
        elif campaign.rules.name == "nq85-2014" and c.in_post_since is not None:
            if c.in_post_since > poll_day:
                findings.append(
                    Finding(c.stt, c.name, c.line, "in_post_since is after the session date")
                )
            elif _add_months(c.in_post_since, 9) > poll_day:
                findings.append(
                    Finding(
                        c.stt, c.name, c.line,
                        f"giữ chức vụ từ {c.in_post_since:%d/%m/%Y}, chưa đủ 09 tháng liên tục "
                        f"đến ngày {poll_day:%d/%m/%Y} (under 9 months in post; Hướng dẫn "
                        f"321/HD-UBTVQH14)",
                    )
                )
    return findings


_RETIRING = {
    "nq96-2023": "đã có thông báo nghỉ hưu (has announced retirement; khoản 5 Điều 2 Nghị quyết số "
                  "96/2023/QH15)",
    "qd96-2023": "đã có thông báo nghỉ hưu (has announced retirement; Quy định số 96-QĐ/TW)",
}
_IN_YEAR = {
    "nq96-2023": "không lấy phiếu (khoản 5 Điều 2 Nghị quyết số 96/2023/QH15)",
    "qd96-2023": "không lấy phiếu (Quy định số 96-QĐ/TW)",
}


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's end (31/5 + 9 months = 28/2)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class FollowUp:
    """A person who must face the follow-up confidence vote, and every reason why."""

    stt: int
    name: str
    position: str
    low: int
    base: int
    percent: float | None
    reasons: tuple[str, ...]


def follow_up_findings(result: dict[str, Any], previous: dict[str, Any] | None = None
                       ) -> list[FollowUp]:
    """Who must face the follow-up vote after the poll ``result`` (``tally --json``).

    ``previous``: the same body's poll of the year before, for "over half low two years
    running" where the rule set says so; a person is the same person by name. Raises
    `KiemphieuError` for a result that is not a poll's, or a previous one under other rules.
    """
    rules = RULE_SETS.get(result.get("rules", ""))
    if rules is None:
        raise KiemphieuError(key="eligibility_no_rules", rules=str(result.get("rules")))
    if result.get("kind") == KIND_FOLLOW_UP:
        raise KiemphieuError(key="eligibility_follow_up")
    over_half = {"over_half_low", "two_thirds_low"}
    before: set[str] = set()
    if previous is not None:
        if previous.get("rules") != result.get("rules"):
            raise KiemphieuError(key="eligibility_other_rules", previous=str(previous.get("rules")),
                                 rules=str(result.get("rules")))
        before = {c["name"].casefold() for c in previous["candidates"]
                  if c.get("consequence") in over_half}
    out = []
    for c in result["candidates"]:
        reasons = []
        if c.get("consequence") in rules.follow_up_after:
            reasons.append(rules.follow_up_after[c["consequence"]])
        if (rules.follow_up_two_years and c.get("consequence") in over_half
                and c["name"].casefold() in before):
            reasons.append(rules.follow_up_two_years)
        if reasons:
            out.append(FollowUp(c["candidate"], c["name"], c["position"], c["counts"]["low"],
                                c.get("base", result["base"]), c["percent"]["low"],
                                tuple(reasons)))
    return out
