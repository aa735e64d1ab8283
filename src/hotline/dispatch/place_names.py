"""Place names (地名) below the jurisdiction tree — estates, roads, rivers, landmarks — learned from
the platform's own closed tickets.

Four in ten Fuzhou work orders name only a river, a road or an estate ("金港河", "金域华府小区"),
which no jurisdiction tree holds. But the tickets that were handled carry the place they were
finally filed under: a name that comes back in several tickets, nearly always under one district
or street, says that place. `learn` finds such names; the registry (`place_registry.py`) keeps
them, with the ones an administrator adds or imports, and the place reader (`place.py`) reads them
as further names of their jurisdiction.

A candidate is a run of Chinese characters ending in a place word (小区, 路, 河 …), cut at the
first function character before it ("治好的跃进河" → "跃进河") and at the tree's own names, and
every tail of that run of at least three characters ("龙津河边金港路" → "金港路", "河边金港路" …):
of the candidates that say the same place, the learner keeps the one seen most often, and of those
the longest (`_is_the_name`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hotline.dispatch.place import Gazetteer, Place

# Longest first, so that "小区" is read before a shorter word it ends with.
NAME_SUFFIXES = ("小区", "花园", "新村", "家园", "公寓", "大厦", "广场", "公园", "大道", "市场", "学校", "中学",
                 "小学", "医院", "路", "街", "巷", "弄", "河", "江", "湖", "溪", "浦", "渠", "桥", "村", "苑", "府",
                 "湾", "坊")
KIND_BY_SUFFIX = {
    "estate": ("小区", "花园", "新村", "家园", "公寓", "苑", "府", "坊", "村"),
    "road": ("大道", "路", "街", "巷", "弄", "桥"),
    "water": ("河", "江", "湖", "溪", "浦", "渠", "湾"),
    "landmark": ("大厦", "广场", "公园", "市场", "学校", "中学", "小学", "医院"),
}
KINDS = ("estate", "road", "water", "landmark", "other")
KIND_LABELS = {"estate": "小区/楼盘", "road": "道路/桥梁", "water": "河湖水系", "landmark": "地标/场所",
               "other": "其他"}
# Characters that do not belong in a name: a run stops at them ("我家的小区", "这条河").
STOP_CHARS = frozenset("的了在是我你他她它们这那和与及或到从对把被将就都也还又很要会能没不有为给让向往该此某其每各整条"
                       "个段处旁边附近请您已于本座栋所")
MIN_NAME, MAX_NAME = 3, 10
NOT_NAMES = ("政府", "内河", "支河", "小河", "马路", "公路", "道路")  # place words that name no place
# Words that sit between names, never inside one: a run stops at them ("清凉门大街路口广场").
BETWEEN = re.compile("交叉口|路口|门口|对面|周边|一带|附近|老旧|广场舞")
# A place word followed by one of these begins a common word instead of ending a name: 路口, 路灯,
# 河道, 街道, 桥下, 村民 … ("钟灵街路灯不亮" names 钟灵街, not 钟灵街路).
NOT_ENDING = {"路": "口边段面灯上旁人况线基牌", "街": "道边头上面巷区", "河": "道边水段岸里面堤沟床",
              "江": "边水面堤岸", "湖": "边水面里", "溪": "边水里", "浦": "边", "桥": "下上头边面洞梁墩",
              "村": "民里口委道内", "巷": "口子里内", "弄": "口堂里内", "湾": "里边", "苑": "内里", "府": "内里"}
_SUFFIX = re.compile("|".join(re.escape(s) for s in NAME_SUFFIXES))
_CJK = re.compile(r"[\u4e00-\u9fff]")
# The defaults: a name seen in at least 3 closed tickets, at least 90% of them under one place.
MIN_SUPPORT = 3
MIN_PURITY = 0.9
LEARN_LEVELS = ("district", "street", "community")  # a name that says only the city says nothing


def kind_of(name: str) -> str:
    for kind, suffixes in KIND_BY_SUFFIX.items():
        if name.endswith(suffixes):
            return kind
    return "other"


def _heads_a_name(m: re.Match[str], known: Gazetteer) -> bool:
    """A short form of a tree name (not its full name, not a registered name) followed within two
    characters by a place word: the start of another name (江东|中路, 玄武|湖), not a place of the tree."""
    word = m.group(0)
    if any(word == p.name or (word, p.id) in known.named for p in known.names[word]):
        return False
    rest = m.string[m.end():m.end() + 3]
    for k in (0, 1):
        ending = _SUFFIX.match(rest, k)
        after = rest[ending.end():ending.end() + 1] if ending else ""
        if ending and not (after and after in NOT_ENDING.get(ending.group(0), "")):
            return True
    return False


ROAD_ENDS = ("大道", "路", "街", "巷")


def _road_ends_at(text: str, i: int) -> bool:
    """A road's name ends just before position i (竹山路|江宁万达广场): two names side by side, not one."""
    for end in ROAD_ENDS:
        if text[max(i - len(end), 0):i] == end and text[i:i + 1] not in NOT_ENDING.get(end[-1], ""):
            return True
    return False


def candidates(text: str, known: Gazetteer | None = None) -> set[str]:
    """Every name-like run of the text ending in a place word, and its tails of 3+ characters. The
    names the tree already knows (`known`) end a run, and a place word inside one is not a place
    word ("江宁区胜太路" gives "胜太路"; the 江 of 江宁区 ends nothing) — except a short form (江东
    for 江东街道) heading a name that ends within two characters (江东中路, 玄武湖): that is the
    road's or the lake's own name."""
    text = unicodedata.normalize("NFKC", text or "")
    if known is not None and known.pattern is not None:
        text = known.pattern.sub(lambda m: m.group(0) if _heads_a_name(m, known) else "|", text)
    text = BETWEEN.sub("|", text)
    out: set[str] = set()
    for m in _SUFFIX.finditer(text):
        if text[m.end():m.end() + 1] and text[m.end()] in NOT_ENDING.get(m.group(0), ""):
            continue
        start = m.start()
        while (start > 0 and m.end() - start < MAX_NAME and _CJK.match(text[start - 1])
               and text[start - 1] not in STOP_CHARS and not _road_ends_at(text, start)):
            start -= 1
        run = text[start:m.end()]
        if run.endswith(NOT_NAMES) or run[:-len(m.group(0))].endswith(m.group(0)):  # 区政府; 跃进河河
            continue
        for i in range(0, len(run) - max(MIN_NAME, len(m.group(0)) + 1) + 1):
            out.add(run[i:])
    return out


@dataclass(frozen=True)
class LearnedName:
    name: str
    place: Place
    support: int  # tickets naming it that were filed under the place (or below it)
    total: int  # tickets naming it

    @property
    def purity(self) -> float:
        return self.support / self.total

    @property
    def kind(self) -> str:
        return kind_of(self.name)


def _ancestors(path: str) -> list[str]:
    """'/1/5/23/' → ['/1/', '/1/5/', '/1/5/23/']."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def learn(samples: Iterable[tuple[str, str]], places: Sequence[Place], *, min_support: int = MIN_SUPPORT,
          min_purity: float = MIN_PURITY, known: Gazetteer | None = None) -> list[LearnedName]:
    """Names telling a place, from (ticket text, path of the place the ticket was filed under).

    A name is placed at the deepest district, street or community under which at least
    `min_support` of the tickets naming it lie, making at least `min_purity` of them. Names the
    jurisdiction tree already knows (`known`) are left to it; of the names that say the same place
    and contain one another, `_is_the_name` keeps one."""
    by_path = {p.path: p for p in places}
    per_name: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for text, path in samples:
        if path not in by_path:
            continue
        nodes = [a for a in _ancestors(path) if a in by_path and by_path[a].level in LEARN_LEVELS]
        for name in candidates(text, known):
            totals[name] += 1
            per_name[name].update(nodes)
    known_names = set(known.names) if known else set()
    # the tail of a name the tree knows is a piece of it, not a name (京东路 of 北京东路社区's 北京东路)
    pieces = {k[i:] for k in known_names for i in range(1, len(k) - MIN_NAME + 1)}
    chosen: dict[str, LearnedName] = {}
    for name, nodes in per_name.items():
        if totals[name] < min_support or name in known_names or name in pieces:
            continue
        fits = [n for n, c in nodes.items() if c >= min_support and c / totals[name] >= min_purity]
        if fits:
            deepest = max(fits, key=len)
            chosen[name] = LearnedName(name, by_path[deepest], nodes[deepest], totals[name])
    around = _containing(chosen)
    return sorted((x for x in chosen.values() if _is_the_name(x, chosen, around)),
                  key=lambda x: (-x.support, x.name))


def _containing(chosen: dict[str, LearnedName]) -> dict[str, list[LearnedName]]:
    """Each string of 3+ characters inside a chosen name → the longer chosen names around it
    (a name has at most 36 such strings: this stays linear in the number of names)."""
    around: dict[str, list[LearnedName]] = defaultdict(list)
    for x in chosen.values():
        n = len(x.name)
        inner = {x.name[i:j] for i in range(n) for j in range(i + MIN_NAME, n + 1) if j - i < n}
        for part in inner:
            around[part].append(x)
    return around


def _is_the_name(learned: LearnedName, chosen: dict[str, LearnedName],
                 around: dict[str, list[LearnedName]]) -> bool:
    """Of the names a run gave that say the same place, the one seen most often, and of those the
    longest: "龙津河" (185 tickets) over a longer run seen less often; "金域华府" over its tail
    "域华府" when both come in the same tickets; and a name always written inside a longer one
    ("竹山路" in "竹山路江宁万达广场") gives way to it — its place word was only part of a longer name."""
    name = learned.name
    for i in range(1, len(name) - MIN_NAME + 1):  # a tail seen more often is the name
        tail = chosen.get(name[i:])
        if tail and tail.place.path == learned.place.path and tail.support > learned.support:
            return False
    return not any(longer.place.path == learned.place.path and longer.support >= learned.support
                   for longer in around.get(name, ()))
