"""Whether a name read by the place rules (places.extract) is a real name to label a hotspot with, or a
fragment of the request's wording.

The rules cut a name at the character before a suffix (路, 园, 居, 所 …) and so also read pieces of
sentences: 有五六盏路 (from 有五六盏路灯不亮), 7点至10点有人跳广场 (广场舞), 庄道路 (村庄道路), 一位独居
(独居老人), 认为医院, 个人所 (个人所得税) — a QA pass found these as the demo city's hotspot labels.
Such a string still anchors similar requests (clustering is unchanged); it is only not shown as the
place. A name is a fragment when, read with jieba's parts of speech, it holds a verb of two or more
characters (or one inside it: 健身房闭店), a preposition or pronoun, a measure word or a counted numeral
(一家, 一位, 7点), or, in a long one, a verbal noun inside it (闲置空地建设口袋公园); or when,
in the texts it came from, a common word runs across its start or its end (村|庄 of 村庄道路, 路|灯 of
路灯, 所|得 of 个人所得税). The cost is a few dictionary look-ups per cluster, not per request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import cache

# A numeral that counts something (一家, 一位, 五六盏) or tells the time (7点); 58 (车贷) and 十里 do not.
_COUNTED = re.compile(r"^[\d一二三四五六七八九十两几数]+[位家个盏条只名辆次点些种块张户间]$")
_NOT_IN_NAMES = ("p", "r", "q")  # prepositions, pronouns, measure words (not conjunctions: 禧和路's 和)
# An administrative unit just before a name is where it starts, whatever word it makes with the name's
# first character (A市长房云时代 reads 市长; 村 is left out: 村|庄道路 is a cut).
_ADMIN_BEFORE = "市区县省镇乡州"
MAX_TEXTS = 3  # member texts a name is checked in (the first that contain it)


@cache
def _jieba() -> tuple[object, object]:
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba, jieba.posseg


@cache
def _parts(name: str) -> tuple[tuple[str, str], ...]:
    _, posseg = _jieba()
    return tuple((w.word, w.flag) for w in posseg.cut(name))  # type: ignore[attr-defined]


def wordy(name: str) -> bool:
    """The name reads as words of a sentence rather than a name."""
    parts = _parts(name)
    for k, (word, flag) in enumerate(parts):
        if flag in _NOT_IN_NAMES or (flag == "v" and len(word) >= 2) or (flag == "m" and _COUNTED.match(word)):
            return True
        inside = 0 < k < len(parts) - 1
        if inside and (flag == "v" or (flag == "vn" and len(name) > 8)):  # 健身房|闭|店, 闲置空地|建设|口袋公园
            return True
        if _COUNTED.match(word):  # 7点 comes out as 7/m 点/m
            return True
    return bool(re.search(r"\d+点", name))


STRADDLE_FREQ = 20  # a word at least this frequent in jieba's dictionary that spans a name's edge cuts it


@cache
def _freq() -> dict[str, int]:
    jieba, _ = _jieba()
    jieba.dt.check_initialized()  # type: ignore[attr-defined]
    return jieba.dt.FREQ  # type: ignore[attr-defined,no-any-return]


def _straddled(text: str, at: int) -> bool:
    """A common word runs across position `at` (村庄 across 村|庄道路, 路灯 across 有五六盏路|灯)."""
    freq = _freq()
    for length in (2, 3, 4):
        for start in range(max(0, at - length + 1), at):
            word = text[start:start + length]
            if len(word) == length and start + length > at and freq.get(word, 0) >= STRADDLE_FREQ:
                return True
    return False


def cut_from_word(surface: str, texts: Iterable[str]) -> bool:
    """In the texts that contain it, the name always starts or ends inside a common word."""
    seen = 0
    for text in texts:
        i = text.find(surface)
        if i < 0:
            continue
        cut_start = _straddled(text, i) and not (i and text[i - 1] in _ADMIN_BEFORE)
        if not cut_start and not _straddled(text, i + len(surface)):
            return False
        seen += 1
        if seen >= MAX_TEXTS:
            break
    return seen > 0


def fragment(surface: str, texts: Iterable[str]) -> bool:
    """Not a name to show: wordy, or cut out of longer words in the texts it was read from."""
    return wordy(surface) or cut_from_word(surface, texts)
