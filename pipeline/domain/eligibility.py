"""Who should not be polled under a campaign's rules (docs/domain.md, "Who is not polled").

- ``nq96-2023`` and ``qd96-2023``: people who have announced retirement, or were
  elected or appointed in the polling year (NQ 96/2023/QH15 Điều 2 k.5).
- ``nq85-2014`` (seed 001, Hướng dẫn 321): under 9 months of continuous tenure on
  the day of the poll.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.domain.campaign import Campaign


@dataclass(frozen=True)
class Finding:
    """A person who should not be on the ballot, or a listing error."""

    stt: int
    name: str
    line: int
    reason: str


def eligibility_findings(campaign: Campaign) -> list[Finding]:
    """Who should not be polled under the campaign's rules (DOMAIN.md, "Who is not polled")."""
    findings: list[Finding] = []
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
    "nq96-2023": "đã có thông báo nghỉ hưu (has announced retirement; NQ 96/2023/QH15 Điều 2 k.5)",
    "qd96-2023": "đã có thông báo nghỉ hưu (has announced retirement; QĐ 96-QĐ/TW)",
}
_IN_YEAR = {
    "nq96-2023": "không lấy phiếu (NQ 96/2023/QH15 Điều 2 k.5)",
    "qd96-2023": "không lấy phiếu (QĐ 96-QĐ/TW)",
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
