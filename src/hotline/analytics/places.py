"""Named places and matters in a request's text: estates (…小区/…花园/…苑), roads (…路/…大道),
organisations (…公司/…物业/…学校), sites (…工地/…项目) and schemes (…车贷/…传销), plus the
district (…区/…县) it names. Pure rules on the text; no dictionary, no download.

A name is the run of name characters in front of a suffix, cut at words that cannot be part of a
name (反映、关于、投诉、附近 …) and stripped of leading administrative units (A市、玄武区、XX街道),
so that "反映A市A2区丽发新城小区附近搅拌站噪音" gives the estate 丽发新城. Two requests are about
the same place when they share a name (`same_place`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

# Suffix → kind; longer suffixes first so that 花园 wins over 园.
_SUFFIXES: list[tuple[str, str]] = sorted(
    [
        *((s, "estate") for s in (
            "小区", "花园", "家园", "新村", "新城", "公寓", "山庄", "华庭", "华府", "公馆", "名苑", "花苑", "雅苑",
            "佳苑", "嘉园", "名城", "名都", "庄园", "丽都", "国际", "豪庭", "花城", "苑", "府", "湾", "园",
            "城", "居", "里", "邸", "墅", "村", "社区",
        )),
        *((s, "road") for s in ("路", "大道", "大街", "街", "巷", "高速", "大桥", "隧道", "立交", "线")),
        *((s, "organisation") for s in (
            "公司", "集团", "物业", "酒店", "医院", "银行", "超市", "商场", "市场", "工厂", "厂", "小学", "中学",
            "大学", "学院", "学校", "幼儿园", "一中", "中心", "广场", "大厦", "驾校", "店", "馆", "站", "所",
            "有限公司", "股份有限公司",
        )),
        *((s, "site") for s in ("工地", "项目", "搅拌站", "楼盘", "地块", "工程")),
        *((s, "scheme") for s in ("车贷", "传销", "集资", "理财", "平台", "诈骗案", "投资", "金融", "基金")),
    ],
    key=lambda x: -len(x[0]),
)
_SUFFIX_KIND = dict(_SUFFIXES)
# A suffix that is really the start of another word does not end a name: 街道, 城区, 园区, 线路 …
_NOT_BEFORE = {"街": "道", "城": "际市区管乡镇中里", "园": "区林艺", "村": "民委", "线": "路上下", "里": "面程",
               "站": "长", "所": "以有", "店": "面", "府": "办门", "投资": "人者款", "金融": "机"}
_SUFFIX_RE_TEXT = (_NOT_BEFORE, [sfx for sfx, _ in _SUFFIXES])
# Trailing generic words dropped from a name so that 丽发新城小区 and 丽发新城 are one place.
_GENERIC_TAIL = ("小区", "社区", "项目", "工地", "楼盘")

# Words that end a name on their left: verbs, prepositions, and the usual openings of a message.
_BREAKERS = sorted(
    {
        "反映", "关于", "投诉", "举报", "咨询", "请问", "建议", "希望", "要求", "请求", "呼吁", "询问", "强烈",
        "严重", "问题", "情况", "附近", "周边", "旁边", "门口", "对面", "楼下", "后面", "前面", "以南", "以北",
        "以东", "以西", "沿线", "路段", "一带", "位于", "地处", "坐落", "座落", "我们", "我是", "本人", "业主",
        "居民", "市民", "住户", "村民", "家长", "学生", "领导", "政府", "部门", "相关", "有关", "为什么", "什么",
        "怎么", "何时", "能否", "是否", "可否", "如何", "存在", "出现", "发生", "导致", "造成", "影响", "违规",
        "违法", "非法", "私自", "擅自", "长期", "一直", "多次", "每天", "每晚", "夜间", "凌晨", "施工", "噪音",
        "噪声", "扰民", "污染", "收费", "乱象", "整治", "处理", "解决", "尽快", "落实", "开发商", "承建",
        "没有", "不能", "不让", "就是", "还是", "已经", "可以", "这个", "那个", "我们的",
        # Single characters only when they are hardly ever part of a name.
        "被", "把", "对", "与", "及", "在", "的", "了", "是", "让", "却", "但", "而",
    },
    key=len,
    reverse=True,
)


def _trie_pattern(words: list[str], follow: dict[str, str] | None = None) -> str:
    """One regex for many literals, as a trie (a plain alternation of 150 words is slow in `re`);
    longer words win. `follow` forbids a word to be followed by certain characters."""
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = w

    def build(node: dict[str, Any]) -> str:
        branches = []
        end = None
        for ch in sorted(k for k in node if k):
            branches.append(re.escape(ch) + build(node[ch]))
        if "" in node:
            word = node[""]
            end = f"(?![{re.escape(follow[word])}])" if follow and word in follow else ""
        if not branches:
            return end or ""
        alt = "(?:" + "|".join(branches) + ")"
        return f"(?:{alt}|{end})" if end is not None else alt

    return build(trie)


_BREAK_RE = re.compile(_trie_pattern(_BREAKERS))
_SUFFIX_RE = re.compile(_trie_pattern(_SUFFIX_RE_TEXT[1], _SUFFIX_RE_TEXT[0]))
_NAME_CHARS = r"A-Za-z0-9\u4e00-\u9fff"
_RUN_RE = re.compile(f"[{_NAME_CHARS}]+")
# Leading administrative units: A市, A2区, 西地省, 玄武区, 孝陵卫街道, K9县, 春华镇 (at most 5 characters
# of name in front, so that a long estate name ending in 城 is not taken for a city).
_ADMIN_RE = re.compile(
    r"^(?:[A-Za-z]\d*[省市区县]|[\u4e00-\u9fff]{1,5}?(?:省|市|自治州|州|区|县|街道|镇|乡)(?=[\u4e00-\u9fffA-Za-z0-9]{2}))"
)
_DISTRICT_RE = re.compile(r"([A-Z]\d{0,2}[区县])|(?:(?<=[市省])|(?<![\u4e00-\u9fff]))([\u4e00-\u9fff]{2,3}?[区县])")
# A name made only of these characters is not specific (新城, 东路, 一中…).
# Stems that name a kind of thing, not one thing (垃圾站, 公交线, 普惠性幼儿园).
_GENERIC_STEMS = frozenset({
    "垃圾", "公交", "地铁", "火车", "汽车", "普惠性", "家庭", "搅拌", "变电", "加油", "派出", "培训", "民办",
    "公办", "私立", "幼儿", "物业", "开发", "房地产", "建筑", "装修", "餐饮", "饭", "菜", "停车", "农贸",
    "安置", "棚户改造", "拆迁", "小学", "中学", "学校", "医院", "社区", "小区", "村", "该", "本", "我",
    "周边", "附近", "公共", "商业", "住宅", "居民", "老旧", "城中", "工业", "产业", "充电", "快递", "网约",
    "出租", "共享", "电动", "麻将", "理疗", "足浴", "洗浴", "网吧", "KTV", "酒吧", "烧烤", "夜宵",
    "整个", "一个", "这个", "那个", "我们", "所在", "我家", "周围", "这条", "那条", "一条", "过马", "必经之",
    "断头", "十字", "水泥", "斑马", "高速公", "城际铁", "铁", "公交线", "步行", "马", "公", "主干", "人行",
    "盲", "高速", "环城", "绕城", "房间", "随着", "文明", "管理", "工程", "科技", "发展", "投资", "置业",
    "实业", "建设", "市政", "政工程", "有限", "股份有限", "为中心", "服务中心", "政务", "热线", "市长热",
    "配套", "实验", "外国语", "附属", "人民", "中心", "工商", "税务", "街道", "乡村", "农村", "目前", "现在",
    "当前", "以前", "服务热", "特大", "涉嫌", "集资", "网络", "非法集资", "房产", "股票", "招商", "对外",
    "项目", "民间", "互联网", "加大", "增加", "扩大", "政府", "社会", "固定资产", "普惠", "诈骗",
})
_GENERIC_ENDINGS = ("垃圾", "公交", "地铁", "火车", "搅拌", "变电", "加油", "派出", "培训", "停车", "充电", "快递",
                    "服务热", "高速公", "城际铁", "公交线", "以人民为", "为中心", "整个", "这条", "那条", "过马")
# Words no name contains: negations and question words (迟迟不开园, 何时开园).
_NOT_NAME_RE = re.compile("不|没|未|迟迟|为何|何时|时候|怎么|什么|一直|还是|已经|正在|无法|可以|应该")
_GENERIC_END_RE = re.compile("(?:" + "|".join(_GENERIC_ENDINGS) + ")$")
_VERB_HEAD = re.compile(r"^(?:新建|修建|兴建|建设|开设|开办|设立|开|建|办|设|搞|有|无证|黑)")
_WEAK = set("东南西北中上下新老大小一二三四五六七八九十第号期栋单元楼层座区市县镇村路街道巷")
_DIGIT_RE = re.compile(r"\d+")


@dataclass(frozen=True)
class Place:
    name: str  # the name as used for matching (丽发新城)
    kind: str  # estate, road, organisation, site, scheme
    surface: str  # as written (丽发新城小区)


def normalise(text: str) -> str:
    """NFKC (full-width → ASCII), upper-case Latin letters, no whitespace."""
    t = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"\s+", "", t).upper()


_CODED_ADMIN_RE = re.compile(r"[A-Z]\d*[省市区县]")


def _strip_admin(name: str) -> str:
    # Coded units (A市, A4区 in anonymised data) may sit anywhere in front of the name.
    coded = list(_CODED_ADMIN_RE.finditer(name))
    if coded and len(name) - coded[-1].end() >= 2:
        name = name[coded[-1].end():]
    for _ in range(4):
        m = _ADMIN_RE.match(name)
        if not m or len(name) - m.end() < 2:
            break
        name = name[m.end():]
    return name


_PHASE_RE = re.compile(r"(?:[一二三四五六七八九十\d]+[期栋幢号]|[A-Z]\d+[栋幢县])$")


def _core(name: str) -> str:
    for tail in _GENERIC_TAIL:
        if name.endswith(tail) and len(name) - len(tail) >= 2:
            name = name[: -len(tail)]
            break
    stripped = _PHASE_RE.sub("", name)
    return stripped if len(stripped) >= 2 else name


def _specific(name: str, suffix: str) -> bool:
    stem = name[: -len(suffix)] if name.endswith(suffix) else name
    stem = _VERB_HEAD.sub("", stem)
    stem_chars = _DIGIT_RE.sub("", stem)
    if len(stem) >= 2 and _SUFFIX_KIND.get(suffix) == "scheme" and stem not in _GENERIC_STEMS:
        return True  # 58车贷: a scheme's name may be digits
    if len(stem) < 2 or not stem_chars or stem_chars in _GENERIC_STEMS:
        return False
    if _GENERIC_END_RE.search(stem_chars) or _NOT_NAME_RE.search(stem):
        return False
    return not all(ch in _WEAK or ch.isascii() for ch in stem_chars)


def extract(text: str, *, limit: int = 12, normalised: bool = False) -> list[Place]:
    """The places named in a text, in order of appearance, each name once (`normalised`: the text
    already went through `normalise`)."""
    out: list[Place] = []
    seen: set[str] = set()
    for run in _RUN_RE.findall(_BREAK_RE.sub(" ", text if normalised else normalise(text))):
        # Each suffix ends a candidate name, which starts where the previous name ended
        # (万家丽南路|丽发新城); the alternation tries the longest suffix first.
        start = 0
        for m in _SUFFIX_RE.finditer(run):
            suffix = m.group(0)
            name = _strip_admin(run[start:m.end()])[-12:]  # a longer run: keep its end (the estate)
            start = m.end()  # a generic word (幼儿园, 小区) ends a segment too: 幼儿园|迟迟不开园
            if not _specific(name, suffix):
                continue
            core = _core(name)
            if core in seen:
                continue
            seen.add(core)
            out.append(Place(name=core, kind=_SUFFIX_KIND[suffix], surface=name))
            if len(out) >= limit:
                return out
    return out


def districts(text: str) -> list[str]:
    """District or county names written in the text (A3区, 玄武区, A7县), in order, each once."""
    t = normalise(text)
    found: list[str] = []
    for m in _DISTRICT_RE.finditer(t):
        name = m.group(1) or m.group(2)
        if name not in found and not name.endswith(("小区", "社区", "城区", "园区", "景区", "片区", "校区", "新区")):
            found.append(name)
    return found


def same_place(a: str, b: str) -> bool:
    """Two names denote one place: equal, or the shorter (≥ 3 characters) inside the longer
    (伊景园滨河苑 / 滨河苑)."""
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 3 and short in long_
