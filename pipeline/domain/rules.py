"""The three rule sets (DOMAIN.md): base of percentages, consequences, who is not polled.

All arithmetic on counts is on whole numbers: a percentage is rounded half
up to two decimals from the exact fraction, and a consequence is decided by
comparing integers, never floats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pipeline.domain.wording import t

Base = Literal["collected", "electorate"]
LEVELS = ("high", "medium", "low")
#: The follow-up confidence vote's two levels, "Tín nhiệm" and "Không tín nhiệm".
FOLLOW_UP_LEVELS = ("confidence", "no_confidence")

#: The poll (*lấy phiếu tín nhiệm*, three levels) and the follow-up confidence vote
#: (*bỏ phiếu tín nhiệm*, two levels), as ``kind:`` names them in a campaign file.
KIND_POLL = "lay-phieu-tin-nhiem"
KIND_FOLLOW_UP = "bo-phieu-tin-nhiem"
KINDS = (KIND_POLL, KIND_FOLLOW_UP)


def levels_of(kind: str) -> tuple[str, ...]:
    """The levels of a kind of vote, in the order of the boxes on the ballot."""
    return FOLLOW_UP_LEVELS if kind == KIND_FOLLOW_UP else LEVELS


def levels_of_row(boxes: int) -> tuple[str, ...]:
    """The levels of a stored row with ``boxes`` fills: two boxes are the follow-up vote's."""
    return FOLLOW_UP_LEVELS if boxes == len(FOLLOW_UP_LEVELS) else LEVELS


@dataclass(frozen=True)
class RuleSet:
    name: str
    title: str
    base: Base
    consequences: dict[str, str]
    signature_allowed: bool = False
    # the instrument in full, as the minutes cite it ("Căn cứ ...")
    document: str = ""
    # where the rule says what every percentage is of
    base_article: str = ""
    # the follow-up vote's consequence (`follow_up_consequence`), by its id; empty when the
    # rule set holds no follow-up vote
    follow_up: dict[str, str] = field(default_factory=dict)
    # a poll's consequence -> why it leads to the follow-up vote (``check --results``)
    follow_up_after: dict[str, str] = field(default_factory=dict)
    # why "over half low" two polls running leads to it, where the rule set says so
    follow_up_two_years: str | None = None
    # where the rule says the follow-up vote's base is all delegates
    follow_up_article: str = ""

    @property
    def base_label(self) -> str:
        """What every percentage is of, in words (Vietnamese)."""
        return t(f"base_{self.base}")


RULE_SETS: dict[str, RuleSet] = {
    r.name: r
    for r in (
        RuleSet(
            name="nq96-2023",
            title="Nghị quyết số 96/2023/QH15 của Quốc hội",
            base="collected",
            document=(
                "Nghị quyết số 96/2023/QH15 ngày 23 tháng 6 năm 2023 của Quốc hội về việc lấy "
                "phiếu tín nhiệm, bỏ phiếu tín nhiệm đối với người giữ chức vụ do Quốc hội, "
                "Hội đồng nhân dân bầu hoặc phê chuẩn"
            ),
            base_article="khoản 3 Điều 19 Nghị quyết số 96/2023/QH15",
            consequences={
                "over_half_low": (
                    "Có trên 1/2 đến dưới 2/3 tổng số phiếu đánh giá tín nhiệm thấp: có thể "
                    "xin từ chức; nếu không từ chức thì cơ quan có thẩm quyền trình bỏ phiếu "
                    "tín nhiệm tại kỳ họp đó hoặc kỳ họp gần nhất (khoản 2 Điều 12 Nghị "
                    "quyết số 96/2023/QH15)."
                ),
                "two_thirds_low": (
                    "Có từ 2/3 tổng số phiếu trở lên đánh giá tín nhiệm thấp: cơ quan hoặc "
                    "người có thẩm quyền giới thiệu để bầu trình miễn nhiệm (khoản 3 Điều 12 "
                    "Nghị quyết số 96/2023/QH15)."
                ),
            },
            follow_up={
                "over_half_no_confidence": (
                    "Có quá nửa tổng số đại biểu bỏ phiếu không tín nhiệm: cơ quan hoặc người "
                    "có thẩm quyền đã giới thiệu người đó để bầu hoặc phê chuẩn trình miễn "
                    "nhiệm hoặc phê chuẩn việc miễn nhiệm (khoản 4 Điều 12 Nghị quyết số "
                    "96/2023/QH15)."
                ),
            },
            follow_up_article="khoản 4 Điều 12 Nghị quyết số 96/2023/QH15",
            follow_up_after={
                "over_half_low": (
                    "có trên 1/2 đến dưới 2/3 tổng số phiếu đánh giá tín nhiệm thấp: nếu không "
                    "xin từ chức thì bỏ phiếu tín nhiệm tại kỳ họp đó hoặc kỳ họp gần nhất "
                    "(khoản 2 Điều 12 Nghị quyết số 96/2023/QH15)"
                ),
            },
        ),
        RuleSet(
            name="qd96-2023",
            title="Quy định số 96-QĐ/TW của Bộ Chính trị",
            base="collected",
            document=(
                "Quy định số 96-QĐ/TW ngày 02 tháng 02 năm 2023 của Bộ Chính trị về việc lấy "
                "phiếu tín nhiệm đối với chức vụ lãnh đạo, quản lý trong hệ thống chính trị"
            ),
            base_article="khoản 3 Điều 6 Quy định số 96-QĐ/TW",
            signature_allowed=True,
            consequences={
                "over_half_low": (
                    "Có trên 50 % đến dưới 2/3 số phiếu tín nhiệm thấp: đưa ra khỏi quy hoạch "
                    "các chức vụ cao hơn; xem xét cho thôi giữ chức vụ, bố trí công tác khác, "
                    "cho từ chức hoặc bỏ phiếu tín nhiệm (khoản 2 Điều 11 Quy định số 96-QĐ/TW)."
                ),
                "two_thirds_low": (
                    "Có từ 2/3 số phiếu tín nhiệm thấp trở lên: miễn nhiệm chức vụ đang đảm "
                    "nhiệm và bố trí công tác khác thấp hơn, không chờ hết nhiệm kỳ, hết thời "
                    "hạn bổ nhiệm (khoản 3 Điều 11 Quy định số 96-QĐ/TW)."
                ),
            },
        ),
        RuleSet(
            name="nq85-2014",
            title="Nghị quyết số 85/2014/QH13 của Quốc hội",
            base="electorate",
            document=(
                "Nghị quyết số 85/2014/QH13 ngày 28 tháng 11 năm 2014 của Quốc hội về việc lấy "
                "phiếu tín nhiệm, bỏ phiếu tín nhiệm đối với người giữ chức vụ do Quốc hội, "
                "Hội đồng nhân dân bầu hoặc phê chuẩn"
            ),
            base_article="khoản 1 Điều 17 Nghị quyết số 85/2014/QH13",
            consequences={
                "over_half_low": (
                    "Có quá nửa tổng số đại biểu đánh giá tín nhiệm thấp: có thể xin từ chức "
                    "(Điều 10 Nghị quyết số 85/2014/QH13)."
                ),
                "two_thirds_low": (
                    "Có từ 2/3 tổng số đại biểu trở lên đánh giá tín nhiệm thấp: cơ quan có "
                    "thẩm quyền trình bỏ phiếu tín nhiệm (Điều 10 Nghị quyết số 85/2014/QH13)."
                ),
            },
            follow_up={
                "over_half_no_confidence": (
                    "Có quá nửa tổng số đại biểu bỏ phiếu không tín nhiệm: cơ quan hoặc người "
                    "đã giới thiệu người đó để bầu hoặc phê chuẩn trình miễn nhiệm hoặc phê "
                    "chuẩn việc miễn nhiệm (Nghị quyết số 85/2014/QH13)."
                ),
            },
            follow_up_article="Nghị quyết số 85/2014/QH13",
            follow_up_after={
                "two_thirds_low": (
                    "có từ 2/3 tổng số đại biểu trở lên đánh giá tín nhiệm thấp: bỏ phiếu tín "
                    "nhiệm (Điều 10, Điều 11 Nghị quyết số 85/2014/QH13)"
                ),
            },
            follow_up_two_years=(
                "có quá nửa tổng số đại biểu đánh giá tín nhiệm thấp hai năm liên tiếp: bỏ "
                "phiếu tín nhiệm (Điều 11 Nghị quyết số 85/2014/QH13)"
            ),
        ),
    )
}


def consequence(low: int, base: int) -> str | None:
    """``over_half_low`` when 2L > N and 3L < 2N; ``two_thirds_low`` when 3L >= 2N.

    ``None`` when neither holds, or when the base is zero (nothing to judge).
    """
    if base <= 0:
        return None
    if 3 * low >= 2 * base:
        return "two_thirds_low"
    if 2 * low > base:
        return "over_half_low"
    return None


def follow_up_consequence(no_confidence: int, delegates: int) -> str | None:
    """``over_half_no_confidence`` when over half of all delegates voted "không tín nhiệm":
    ``2 * no_confidence > delegates``, in integers.

    The base is the total number of delegates (the electorate), not the ballots
    collected: the rule says "quá nửa tổng số đại biểu".
    """
    if delegates <= 0:
        return None
    return "over_half_no_confidence" if 2 * no_confidence > delegates else None


def percent(count: int, base: int) -> float | None:
    """``count`` as a percentage of ``base``, rounded half up to 2 decimals, exactly."""
    if base <= 0:
        return None
    hundredths = (count * 10000 * 2 + base) // (2 * base)
    return hundredths / 100


def quorum_met(collected: int, electorate: int) -> bool:
    """At least two thirds of those convened returned a ballot (QĐ 96), in integers."""
    return 3 * collected >= 2 * electorate


def quorum_warning(collected: int, electorate: int, rules: str = "qd96-2023") -> str | None:
    """The warning to print when fewer than 2/3 of those convened returned a ballot, else None.

    QĐ 96-QĐ/TW: the conference proceeds only with at least two thirds of
    the people convened present (article number not verified, DOMAIN.md);
    the warning cites it under ``qd96-2023`` only. Under a council's rules
    it states the figures and cites nothing (the council's quorum is not in
    the project's sources).
    """
    if quorum_met(collected, electorate):
        return None
    if rules != "qd96-2023":
        return f"Số phiếu thu về ({collected}) dưới 2/3 tổng số đại biểu ({electorate})."
    return (
        f"Số phiếu thu về ({collected}) dưới 2/3 số người được triệu tập ({electorate}): "
        "hội nghị chỉ được tiến hành khi có ít nhất 2/3 số người được triệu tập tham dự "
        "(Quy định số 96-QĐ/TW)."
    )
