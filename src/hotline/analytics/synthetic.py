"""Synthetic request streams written by the project (no real data): hotspots — several requests
about one estate, road, site or scheme in varied wording — among distractors (the same kinds of
complaint about many different places, and requests about nothing in particular). Used by the tests
(a labelled check set) and by the performance benchmark (100,000 requests)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from hotline.clock import CHINA_TZ

DISTRICTS = ["玄武区", "秦淮区", "建邺区", "鼓楼区", "浦口区", "栖霞区", "雨花台区", "江宁区", "六合区", "溧水区",
             "高淳区"]
_SYL = list("金银翠碧锦华瑞祥和安康泰福嘉宏盛景明阳光溪湖山水云松竹梅兰桂枫杏桃柳荷清澄悦雅怡馨丰源泽恒")
_ESTATE_END = ["花园", "家园", "小区", "山庄", "华庭", "新村", "雅苑", "公馆"]
_ROAD_END = ["路", "大道", "街"]

# (matter, title templates, content templates) — {p} the place, {d} the district.
MATTERS: list[tuple[str, list[str], list[str]]] = [
    ("noise", ["{d}{p}附近工地夜间施工噪音扰民", "投诉{p}旁边工地深夜施工", "{p}工地噪音太大影响休息",
               "反映{d}{p}夜间施工扰民问题"],
     ["{p}旁边的工地每天晚上施工到凌晨，噪音很大，老人孩子都睡不好，希望相关部门尽快处理。",
      "家住{d}{p}，附近工地夜间施工不停，打桩声音很吵，多次反映无果，请求依法查处。"]),
    ("water", ["{d}{p}经常停水", "{p}小区停水好几天了", "反映{p}供水不正常的问题", "{p}自来水断断续续"],
     ["{p}最近一个月经常停水，没有任何通知，居民生活非常不便，请供水部门尽快解决。",
      "我们{d}{p}的住户反映，自来水时有时无，水压很低，高层根本用不上水。"]),
    ("parking", ["{p}车位捆绑销售", "投诉{d}{p}开发商强制捆绑车位", "{p}购房必须买车位合理吗",
                 "反对{p}捆绑销售车位"],
     ["{p}开发商要求购房必须同时购买车位，否则不给签合同，这种捆绑销售是否合法？",
      "在{d}{p}买房被要求捆绑购买车位十几万，请相关部门调查处理。"]),
    ("fraud", ["{p}涉嫌非法集资", "举报{p}诈骗投资人资金", "{p}老板跑路投资人血本无归", "{p}立案后毫无进展"],
     ["{p}以高息为诱饵吸收公众资金，现在资金链断裂，老板失联，请公安机关尽快立案侦查。",
      "我们是{p}的受害人，投资款至今无法追回，案件进展缓慢，恳请领导关注。"]),
    ("smell", ["{p}附近垃圾站臭味严重", "{d}{p}垃圾中转站异味扰民", "投诉{p}旁边的垃圾站"],
     ["{p}旁边新建的垃圾中转站每天散发臭味，夏天更严重，窗户都不敢开。",
      "{d}{p}附近的垃圾站臭气熏天，蚊蝇滋生，希望搬迁或者整改。"]),
    ("school", ["{p}配套学校何时开学", "{d}{p}孩子入学难", "咨询{p}学区划分问题"],
     ["{p}的配套学校迟迟不开学，孩子只能到很远的学校上学，请问什么时候能开学？",
      "我们是{d}{p}业主，买房时承诺的配套学校至今没有建成，孩子入学怎么办？"]),
]
# Requests about nothing in particular: no place, many matters, varied wording.
_GENERIC_TOPICS = ["社保卡补办", "公积金提取", "新生儿落户", "退休手续", "医保异地备案", "居住证办理", "驾驶证换证",
                   "不动产登记", "个税汇算", "护照办理", "生育津贴", "失业金申领", "灵活就业参保", "老年卡办理",
                   "燃气开户", "宽带报装", "电动车上牌", "犬只登记", "残疾证办理", "营业执照变更"]
_GENERIC_ASK = [("咨询{t}流程", "请问{t}需要准备哪些材料，在哪里办理，多久能办好？"),
                ("{t}怎么办理", "想了解{t}的办理方式，网上能不能办，需要本人到场吗？"),
                ("关于{t}的问题", "之前去办{t}被告知材料不全，想确认一下具体要求。"),
                ("{t}办理太慢", "{t}提交材料已经一个月了还没有结果，希望加快办理。")]


def generic_request(rng: random.Random) -> tuple[str, str]:
    t = rng.choice(_GENERIC_TOPICS)
    title, content = rng.choice(_GENERIC_ASK)
    return title.replace("{t}", t), content.replace("{t}", t)


@dataclass(frozen=True)
class Message:
    key: str
    title: str
    content: str
    at: datetime
    support: int
    topic: str | None  # the hotspot it belongs to; None for a distractor


def place_name(rng: random.Random, kind: str = "estate") -> str:
    stem = "".join(rng.sample(_SYL, 2 + (rng.random() < 0.4)))
    return stem + rng.choice(_ESTATE_END if kind == "estate" else _ROAD_END)


def _fill(template: str, place: str, district: str) -> str:
    return template.replace("{p}", place).replace("{d}", district)


def hotspot_messages(rng: random.Random, *, topic: str, place: str, matter: int, n: int, start: datetime,
                     days: int, district: str | None = None, key_prefix: str = "h") -> list[Message]:
    _name, titles, contents = MATTERS[matter]
    district = district or rng.choice(DISTRICTS)
    out = []
    for i in range(n):
        title = _fill(rng.choice(titles), place, district if rng.random() < 0.6 else "")
        content = _fill(rng.choice(contents), place, district)
        at = (start + timedelta(days=rng.uniform(0, days))).replace(microsecond=0)
        out.append(Message(f"{key_prefix}{topic}-{i}", title, content, at, rng.choice([0, 0, 1, 2, 5, 12]), topic))
    return out


def distractors(rng: random.Random, *, n: int, start: datetime, days: int, used: set[str],
                key_prefix: str = "x") -> list[Message]:
    """The same kinds of complaint, each about a place no other request names; and generic requests."""
    out = []
    for i in range(n):
        at = (start + timedelta(days=rng.uniform(0, days))).replace(microsecond=0)
        if rng.random() < 0.7:
            place = place_name(rng, "estate" if rng.random() < 0.8 else "road")
            while place in used:
                place = place_name(rng, "estate")
            used.add(place)
            _name, titles, contents = MATTERS[rng.randrange(len(MATTERS))]
            district = rng.choice(DISTRICTS)
            title, content = _fill(rng.choice(titles), place, district), _fill(rng.choice(contents), place, district)
        else:
            title, content = generic_request(rng)
        out.append(Message(f"{key_prefix}{i}", title, content, at, rng.choice([0, 0, 0, 1]), None))
    return out


def check_set(seed: int = 7) -> list[Message]:
    """A small labelled set: three hotspots (noise at one estate, water at another, a fraud scheme)
    among 60 distractors, over 90 days from 2026-08-01."""
    rng = random.Random(seed)
    start = datetime(2026, 8, 1, 9, 0, tzinfo=CHINA_TZ)
    msgs = [
        *hotspot_messages(rng, topic="A", place="翠微花园", matter=0, n=12, start=start, days=90, district="玄武区"),
        *hotspot_messages(rng, topic="B", place="梧桐山庄", matter=1, n=9, start=start, days=90, district="秦淮区"),
        *hotspot_messages(rng, topic="C", place="鑫融投资", matter=3, n=7, start=start, days=90),
    ]
    msgs += distractors(rng, n=60, start=start, days=90, used={"翠微花园", "梧桐山庄", "鑫融投资"})
    rng.shuffle(msgs)
    return msgs


def stream(n: int, *, seed: int = 12345, hotspot_share: float = 0.3, days: int = 365) -> list[Message]:
    """n requests over `days`: about `hotspot_share` of them in hotspots of 5–200 requests."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=CHINA_TZ)
    msgs: list[Message] = []
    used: set[str] = set()
    topic = 0
    while len(msgs) < n * hotspot_share:
        place = place_name(rng)
        if place in used:
            continue
        used.add(place)
        size = min(int(rng.paretovariate(1.2) * 5), 200)
        first = rng.uniform(0, days - 30)
        msgs += hotspot_messages(rng, topic=str(topic), place=place, matter=rng.randrange(len(MATTERS)), n=size,
                                 start=start + timedelta(days=first), days=rng.uniform(5, days - first))
        topic += 1
    msgs += distractors(rng, n=n - len(msgs), start=start, days=days, used=used)
    return msgs[:n]
