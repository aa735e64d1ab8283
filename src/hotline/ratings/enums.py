"""The 好差评 grades of the five rating levels, the search filter's choices, and the follow-up conclusions."""

from __future__ import annotations

from enum import StrEnum

from hotline.tickets.enums import SATISFACTION_LABELS, SATISFIED_LEVELS, Satisfaction

# As the national 好差评 system grades its five levels (国办发〔2019〕51号): 不满意 and 非常不满意 are
# 差评; the three satisfied levels are 好评, the same line the callback's 满意率 draws.
GOOD_LEVELS = SATISFIED_LEVELS
BAD_LEVELS = frozenset({Satisfaction.UNSATISFIED, Satisfaction.VERY_UNSATISFIED})
GOOD = [str(s) for s in Satisfaction if s in GOOD_LEVELS]
BAD = [str(s) for s in Satisfaction if s in BAD_LEVELS]


class RatingFilter(StrEnum):
    """Ticket search by the public's rating: a grade, rated or not, or one level."""

    RATED = "rated"
    UNRATED = "unrated"
    GOOD = "good"
    BAD = "bad"
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"
    VERY_UNSATISFIED = "very_unsatisfied"


RATING_FILTER_LABELS: dict[RatingFilter, str] = {
    RatingFilter.RATED: "已评价",
    RatingFilter.UNRATED: "未评价",
    RatingFilter.GOOD: "好评（非常满意、满意、基本满意）",
    RatingFilter.BAD: "差评（不满意、非常不满意）",
    **{RatingFilter(str(s)): f"评价：{label}" for s, label in SATISFACTION_LABELS.items()},
}


class Conclusion(StrEnum):
    """What the follow-up of a 差评 found."""

    FIXED = "fixed"  # 已核实整改: the complaint was right and the unit put it right
    NOT_FACTUAL = "not_factual"  # 评价与事实不符
    CONTACTED = "contacted"  # 已联系诉求人: explained, apologised or agreed what comes next
    OTHER = "other"


CONCLUSION_LABELS: dict[Conclusion, str] = {
    Conclusion.FIXED: "已核实整改",
    Conclusion.NOT_FACTUAL: "评价与事实不符",
    Conclusion.CONTACTED: "已联系诉求人",
    Conclusion.OTHER: "其他",
}
