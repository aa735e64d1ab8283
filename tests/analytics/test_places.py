"""Place and matter names from request text (pure rules, no database)."""

from __future__ import annotations

import pytest

from hotline.analytics.places import districts, extract, same_place


def names(text: str) -> list[str]:
    return [p.name for p in extract(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("反映南京市玄武区翠微花园小区附近搅拌站噪音扰民", ["翠微花园"]),
        ("万家丽南路丽发新城居民区附近搅拌站扰民", ["万家丽南路", "丽发新城"]),
        ("暮云街道丽发新城社区搅拌站灰尘", ["丽发新城"]),
        ("严惩A市58车贷特大集资诈骗案保护伞", ["58车贷"]),
        ("A市A3区中海国际社区三期与四期中间空地夜间施工", ["中海国际"]),
        ("绿地海外滩二期小区影响太大了", ["绿地海外滩"]),
        ("举报鑫融投资诈骗投资人资金", ["鑫融投资"]),
    ],
)
def test_extracts_the_place(text: str, expected: list[str]) -> None:
    found = names(text)
    for name in expected:
        assert name in found, found


@pytest.mark.parametrize("text", ["整个小区停水了", "这条路太堵", "家门口新建垃圾站", "咨询社保卡补办流程",
                                  "公交线路调整", "建议增加公交班次"])
def test_generic_words_are_not_places(text: str) -> None:
    assert names(text) == []


def test_kinds() -> None:
    kinds = {p.name: p.kind for p in extract("投诉秦淮区梧桐山庄物业，金陵路工地噪音，58车贷案件")}
    assert kinds["梧桐山庄"] == "estate"
    assert kinds["金陵路"] == "road"
    assert kinds["58车贷"] == "scheme"


def test_districts_and_same_place() -> None:
    assert districts("A市A3区某小区") == ["A3区"]
    assert districts("南京市玄武区孝陵卫街道") == ["玄武区"]
    assert same_place("伊景园滨河苑", "滨河苑")
    assert not same_place("翠微花园", "梧桐山庄")
    assert not same_place("新城", "丽发新城") or len("新城") >= 3
