"""The indicators and the exemption kinds, as data: codes, Chinese labels, direction, scope.

Definitions (numerator, denominator, which day a ticket counts on) are in docs/assessment.md and
implemented once, in contributions.py."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Indicator(StrEnum):
    RESPONSE = "response_rate"  # 响应率
    RESOLUTION = "resolution_rate"  # 解决率
    SATISFACTION = "satisfaction_rate"  # 满意率
    TIMELY_ACK = "timely_ack_rate"  # 签收及时率
    ON_TIME_CLOSE = "on_time_close_rate"  # 按时办结率
    RETURN = "return_rate"  # 回退率
    REOPEN = "reopen_rate"  # 重办率
    DIRECT_ANSWER = "direct_answer_rate"  # 直接答复率 (the centre's, not a unit's)


@dataclass(frozen=True)
class IndicatorInfo:
    code: Indicator
    label: str
    # True: a higher rate is better. Return and reopen rates are "lower is better": scored as 1 - rate.
    higher_is_better: bool
    # "unit": per handling unit; "centre": the 12345 centre as a whole.
    scope: str
    numerator: str
    denominator: str


INDICATORS: dict[Indicator, IndicatorInfo] = {
    i.code: i
    for i in (
        IndicatorInfo(Indicator.RESPONSE, "响应率", True, "unit",
                      "派单后本单位已签收或已退单的轮次", "派至本单位（主办）的轮次"),
        IndicatorInfo(Indicator.RESOLUTION, "解决率", True, "unit", "回访结果为已解决", "回访件数"),
        IndicatorInfo(Indicator.SATISFACTION, "满意率", True, "unit",
                      "回访满意度为非常满意、满意或基本满意", "回访件数"),
        IndicatorInfo(Indicator.TIMELY_ACK, "签收及时率", True, "unit", "在签收时限内签收", "签收件数"),
        IndicatorInfo(Indicator.ON_TIME_CLOSE, "按时办结率", True, "unit", "在办理时限内答复", "答复件数"),
        IndicatorInfo(Indicator.RETURN, "回退率", False, "unit", "本单位退单的轮次", "派至本单位（主办）的轮次"),
        IndicatorInfo(Indicator.REOPEN, "重办率", False, "unit", "回访后退回重办", "回访件数"),
        IndicatorInfo(Indicator.DIRECT_ANSWER, "直接答复率", True, "centre", "中心直接答复办结", "受理件数"),
    )
}
UNIT_INDICATORS = tuple(i for i, info in INDICATORS.items() if info.scope == "unit")


class ExemptionKind(StrEnum):
    MEDIATION_ENFORCEMENT = "mediation_enforcement"  # 行政调解、行政执法类
    UNREASONABLE = "unreasonable"  # 经审核诉求不合理
    VEXATIOUS_REPEAT = "vexatious_repeat"  # 无理重复诉求（重办）


EXEMPTION_LABELS = {
    ExemptionKind.MEDIATION_ENFORCEMENT: "行政调解、执法类事项（不考核满意度）",
    ExemptionKind.UNREASONABLE: "经审核诉求不合理",
    ExemptionKind.VEXATIOUS_REPEAT: "无理重复诉求（重办）",
}

# Which indicators an approved exemption takes the ticket out of. Mediation and law enforcement leave
# someone unhappy by their nature: not scored on satisfaction. An unreasonable request cannot be
# "solved" to the requester's liking: out of resolution, satisfaction and reopen. A vexatious repeat
# also is, and its reopen is not the unit's failure.
EXEMPTION_EFFECTS: dict[ExemptionKind, frozenset[Indicator]] = {
    ExemptionKind.MEDIATION_ENFORCEMENT: frozenset({Indicator.SATISFACTION}),
    ExemptionKind.UNREASONABLE: frozenset({Indicator.RESOLUTION, Indicator.SATISFACTION, Indicator.REOPEN}),
    ExemptionKind.VEXATIOUS_REPEAT: frozenset({Indicator.RESOLUTION, Indicator.SATISFACTION, Indicator.REOPEN}),
}


def kinds_exempting(indicator: Indicator) -> list[str]:
    return sorted(str(k) for k, affected in EXEMPTION_EFFECTS.items() if indicator in affected)


class ExemptionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    REVOKED = "revoked"  # approved, then undone: counts again, like a refusal


EXEMPTION_STATUS_LABELS = {
    ExemptionStatus.PENDING: "待审核",
    ExemptionStatus.APPROVED: "已批准",
    ExemptionStatus.REFUSED: "未批准",
    ExemptionStatus.REVOKED: "已撤销",
}
