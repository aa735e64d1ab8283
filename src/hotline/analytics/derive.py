"""What an imported message is, derived from its words: its kind (诉求类型) and, when a keyword says
so, its category. First matching rule wins; the title is read before the content.

Defaults (documented in docs/analytics.md): a message no rule recognises is a complaint (a 问政
message is most often a complaint or report of a problem) and has no category (未分类).
"""

from __future__ import annotations

from hotline.tickets.enums import Kind

DEFAULT_KIND = Kind.COMPLAINT

KIND_RULES: list[tuple[tuple[str, ...], Kind]] = [
    (("感谢", "表扬", "点赞", "致谢", "锦旗"), Kind.PRAISE),
    (("举报",), Kind.REPORT),
    (("投诉", "扰民", "乱收费", "不作为"), Kind.COMPLAINT),
    (("建议", "希望", "呼吁", "提议", "恳请"), Kind.SUGGESTION),
    (("咨询", "请问", "询问", "何时", "什么时候", "能否", "是否", "吗？", "吗?", "？", "?"), Kind.CONSULTATION),
    (("求助", "帮助", "救助", "困难"), Kind.HELP),
]

# keyword(s) → category code of reference/categories.json; specific rules before general ones.
CATEGORY_RULES: list[tuple[tuple[str, ...], str]] = [
    (("加装电梯",), "010401"),
    (("施工噪音", "施工噪声", "夜间施工"), "010201"),
    (("扬尘",), "010202"),
    (("搅拌站", "搅拌厂"), "0203"),
    (("拆迁", "征收"), "0105"),
    (("停水", "自来水", "供水"), "010601"),
    (("停电", "供电"), "010602"),
    (("燃气", "天然气"), "010603"),
    (("油烟",), "020102"),
    (("异味", "臭味", "恶臭"), "020103"),
    (("黑臭",), "020201"),
    (("噪音", "噪声", "扰民"), "0203"),
    (("地铁",), "030103"),
    (("公交",), "030101"),
    (("出租车",), "0302"),
    (("网约车",), "030202"),
    (("红绿灯", "信号灯"), "030301"),
    (("停车",), "030302"),
    (("拖欠工资", "欠薪", "工资"), "040101"),
    (("养老保险",), "040201"),
    (("社保卡",), "040203"),
    (("医保",), "0405"),
    (("入学", "学区", "学位"), "050201"),
    (("幼儿园",), "0501"),
    (("培训",), "0503"),
    (("电梯",), "070401"),
    (("食品安全", "过期"), "0702"),
    (("诈骗", "车贷", "集资", "传销"), "080202"),
    (("消防",), "0804"),
    (("低保",), "090201"),
    (("养老",), "0901"),
    (("公积金",), "1002"),
    (("维修资金",), "100303"),
    (("物业",), "1003"),
    (("交房", "开发商", "房屋质量", "精装"), "100401"),
    (("中介",), "100402"),
    (("房产证", "不动产"), "1005"),
    (("占道",), "110101"),
    (("垃圾",), "1102"),
    (("路灯",), "110304"),
    (("井盖",), "110302"),
    (("违建", "违章建筑", "私搭", "违法建设"), "1105"),
    (("渣土",), "1106"),
    (("医院", "看病"), "0601"),
    (("感谢", "表扬"), "1601"),
]


def _first(rules: list[tuple[tuple[str, ...], object]], texts: tuple[str, ...]) -> object | None:
    for text in texts:
        for words, value in rules:
            if any(w in text for w in words):
                return value
    return None


def kind_of(title: str, content: str = "") -> Kind:
    found = _first(KIND_RULES, (title, content[:200]))  # type: ignore[arg-type]
    return found if isinstance(found, Kind) else DEFAULT_KIND


def category_of(title: str, content: str = "") -> str | None:
    found = _first(CATEGORY_RULES, (title, content[:300]))  # type: ignore[arg-type]
    return found if isinstance(found, str) else None
