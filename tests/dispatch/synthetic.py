"""Small synthetic Chinese tickets for the dispatch tests: four topics, each with its own words,
wrapped in the same greetings and filler so that only the topic words tell the classes apart."""

from __future__ import annotations

import csv
import random
from pathlib import Path

TOPICS: dict[str, list[str]] = {
    "城乡建设": ["小区物业", "电梯故障", "房屋漏水", "拆迁补偿", "楼盘延期交房", "违章搭建", "业主委员会",
                 "老旧小区改造"],
    "环境保护": ["污水直排", "餐饮油烟", "工厂废气", "河道发臭", "垃圾焚烧", "粉尘污染", "噪声扰民", "化工异味"],
    "交通运输": ["公交线路", "地铁站口", "红绿灯时长", "出租车拒载", "道路拥堵", "停车收费", "公交站台", "货车超载"],
    "教育文体": ["学校招生", "学位分配", "课外补课", "幼儿园收费", "教师待遇", "学生午餐", "体育场馆", "图书馆开放"],
}
PLACES = ["A市", "A3区", "B2县", "C市", "K1区", "东风街道", "西湖镇", "南门社区"]
TITLES = ["{place}{a}问题严重", "关于{place}{a}的投诉", "咨询{a}相关政策", "{place}{a}和{b}何时解决",
          "反映{place}{a}问题"]
CONTENTS = [
    "尊敬的领导：您好！我是{place}的居民，{a}的问题已经持续{n}个月了，{b}也没有人管，希望有关部门尽快处理。谢谢！",
    "{place}这边{a}一直得不到解决，多次反映无果，另外{b}情况也很突出，请相关部门{n}日内给予答复。",
    "您好，想问一下{place}{a}的事情归哪个部门管？最近{b}让大家很困扰，盼复。",
]


def tickets(n_per_topic: int, seed: int = 7, topics: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(title, content, label) rows."""
    rng = random.Random(seed)
    rows = []
    for label in topics or list(TOPICS):
        words = TOPICS[label]
        for _ in range(n_per_topic):
            a, b = rng.sample(words, 2)
            place, n = rng.choice(PLACES), rng.randint(2, 30)
            rows.append((rng.choice(TITLES).format(place=place, a=a, b=b),
                         rng.choice(CONTENTS).format(place=place, a=a, b=b, n=n), label))
    rng.shuffle(rows)
    return rows


def write_csv(path: Path, header: list[str], rows: list[tuple[str, ...]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path
