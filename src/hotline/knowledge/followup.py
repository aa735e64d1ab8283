"""The chat assistant's follow-up rule: whether a question leans on the turn before it, what to
search then, and which hits speak to what the follow-up adds. Pure: words only, no search.

How a follow-up is read (`classify`), decided on the words alone, before any search:
  1. No previous turn → the question stands alone.
  2. **Refine**: it asks only about an aspect (材料, 多少钱, 多久, 在哪办, 网上能办吗 … once the
     question words are removed at most one character is left), or it points back (这个, 那个, 它,
     上面, 刚才 …) → searched as the previous turn's query + the follow-up ("它需要带什么材料"
     after "老年人免费乘车" keeps the 老年人).
  3. **Substitute**: it starts with 那/那么/如果是/要是/换成/还有…, or ends in 呢 and is at most
     8 characters, or is at most 4 characters → searched as the base question of the previous
     turn (where its chain of follow-ups began) + the follow-up: "那儿童呢" swaps the subject
     of the original question, and a second "那学生呢" does not carry the 儿童 along.
  4. Otherwise the question stands alone (a new subject).

A follow-up's answer must speak to what the follow-up adds (`speaks_to`): the combined query also
matches the previous answer, which a bag-of-words search ranks just as high. So the hits of a
follow-up are kept only when the article (question, title or answer) mentions the subject in force
— a substitution's new subject (what it says that the base question did not: 学生证消磁呢 after
身份证消磁了怎么办 → 学生), kept by the refinements after it — (at least 60 % of its distinct
characters: 儿童; 外地老人 ~ 外地老年人) and, when the follow-up asks about an aspect, one of that
aspect's cue words (材料 → 身份证, 户口, 携带 …; 多少钱 → 费, 元, 免费 …). The assistant then
decides (`assistant.decide`) on the hits left; none left means it does not know.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Protocol

QUESTION_MAX = 300  # as POST /ask
QUERY_MAX = 2 * QUESTION_MAX + 1  # a combined query; past it, a refinement starts again from the base
SHORT_SUBSTITUTE = 8  # "那儿童呢", "学生票呢"
VERY_SHORT = 4  # "儿童", "学生票"

# Leading words that continue the previous question with something else in place of its subject.
_SUBSTITUTE_LEADS = ("那么", "那如果", "那要是", "那", "如果是", "要是", "假如", "换成", "还有", "另外", "再问一下",
                     "再问")
# Words that point back at what was just said.
_REFERENCES = ("这个", "那个", "这些", "那些", "这种", "那种", "这项", "该项", "它", "上面", "上述", "刚才", "前面",
               "同样", "此项")
# Question and filler words, and the aspects one asks about a matter already named. Removed
# longest first, to a fixed point; what is left is the question's own subject.
_GENERIC = sorted(set("""
    请问 请 麻烦 问下 问一下 想问 我想 我 我们 您 你 需要 要 得 带 带上 准备 提供 交 什么 哪些 哪个 哪里 哪儿 在哪 去哪
    怎么 怎样 怎么样 如何 多少 多久 多长 几天 几个 几 能不能 可不可以 可以 能 会 吗 呢 啊 呀 吧 么 嘛 是 是不是 的
    了 有 有没有 没有 还 也 都 就 办 办理 去 到 在 给 用 先 再 又 要不要
    材料 资料 证件 证明 手续 费用 钱 收费 价格 时间 期限 时限 地点 地址 网点 窗口 电话 流程 步骤 程序 条件 要求
    标准 资格 规定 途径 方式 渠道 网上 线上 现场 本人 代办 委托 多大 年龄 有效期 哪天 几点 周末
""".split()), key=lambda w: (-len(w), w))
# Aspects a follow-up may ask about: the words that ask for it, and the words an article that
# answers it is bound to use.
_ASPECTS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("材料", "资料", "证件", "证明", "手续", "带什么", "带啥", "准备什么"),
     ("材料", "资料", "证件", "证明", "身份证", "户口", "照片", "携带", "带上", "原件", "复印件")),
    (("多少钱", "费用", "收费", "收钱", "要钱", "价格", "免费", "花钱"),
     ("费", "钱", "元", "免费", "价", "收取")),
    (("多久", "多长时间", "几天", "时间", "期限", "时限", "有效期", "什么时候", "哪天", "几点"),
     ("时间", "工作日", "天", "小时", "期限", "时限", "有效期", "月", "年", "当场", "即时")),
    (("在哪", "哪里", "哪儿", "去哪", "地点", "地址", "网点", "窗口", "电话"),
     ("地点", "地址", "网点", "窗口", "中心", "大厅", "社区", "街道", "电话", "营业厅", "派出所")),
    (("网上", "线上", "手机", "app", "小程序", "在线"),
     ("网上", "线上", "网站", "app", "小程序", "掌上", "在线", "手机", "微信", "支付宝")),
    (("条件", "要求", "资格", "标准", "多大", "年龄"),
     ("条件", "要求", "资格", "标准", "年满", "周岁", "符合", "以上", "以下")),
)
SUBJECT_SHARE = 0.6
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


class Context(StrEnum):
    NONE = "none"  # stands alone
    REFINE = "refine"  # previous query + follow-up
    SUBSTITUTE = "substitute"  # previous base question + follow-up


class Previous(Protocol):
    """What the rule needs of the turn before (chat.Turn)."""

    query: str
    base: str
    subject: str


def _core(text: str) -> str:
    """NFKC, lower case, without punctuation or spaces."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).lower())


def _strip_lead(core: str) -> tuple[str, bool]:
    for lead in _SUBSTITUTE_LEADS:
        if core.startswith(lead) and len(core) > len(lead):
            return core[len(lead):], True
    return core, False


def _subject(core: str) -> str:
    """What is left of a question once question words and aspects are taken out (longest first,
    repeated until nothing changes: removing 手续 from 收手续费 leaves 收费, itself removable)."""
    while True:
        before = core
        for word in _GENERIC:
            core = core.replace(word, "")
        if core == before:
            return core


def classify(question: str, previous: Previous | None) -> Context:
    """How a question relates to the turn before it (the rule in the module docstring)."""
    if previous is None:
        return Context.NONE
    core = _core(question)
    if not core:
        return Context.NONE
    body, led = _strip_lead(core)
    if len(_subject(body)) <= 1 or any(ref in core for ref in _REFERENCES):
        return Context.REFINE
    if led or (core.endswith("呢") and len(core) <= SHORT_SUBSTITUTE) or len(core) <= VERY_SHORT:
        return Context.SUBSTITUTE
    return Context.NONE


def contextual(question: str, previous: Previous | None) -> tuple[str, str, Context]:
    """(query to search, base question of the chain, how the context was used)."""
    mode = classify(question, previous)
    if previous is None or mode == Context.NONE:
        return question, question, Context.NONE
    if mode == Context.REFINE and len(previous.query) + len(question) + 1 <= QUERY_MAX:
        return f"{previous.query} {question}", previous.base, mode
    return f"{previous.base} {question}", previous.base, mode


def subject_of(question: str, mode: Context, previous: Previous | None) -> str:
    """The subject in force after this question: a substitution's own, a refinement's inherited.
    A substitution's subject keeps only the characters the base question's subject does not have:
    after 身份证消磁了怎么办, 学生证消磁呢 puts 学生 in place, and an article about 身份证消磁
    (three of 学生证消磁's five characters) no longer counts as speaking to it. A single character
    left (证 of 那学生证呢 after 学生票怎么买) would match nearly any article: the whole subject stays."""
    if mode == Context.SUBSTITUTE:
        own = _subject(_strip_lead(_core(question))[0])
        old = set(_subject(_core(previous.base))) if previous is not None else set()
        new = "".join(ch for ch in own if ch not in old)
        return new if len(new) >= 2 else own
    if mode == Context.REFINE and previous is not None:
        return previous.subject
    return ""


def subject_words(question: str) -> str:
    """A question without question words and aspects (身份证丢补 of 身份证丢了怎么补办)."""
    return _subject(_core(question))


def base_subject(previous: Previous) -> str:
    """The subject of the question a chain started from."""
    return subject_words(previous.base)


def shares_matter(text: str, subject: str) -> bool:
    """Whether the text holds any pair of the subject's characters side by side (no subject: yes)."""
    text = _core(text)
    pairs = {subject[i:i + 2] for i in range(len(subject) - 1)}
    return not pairs or any(p in text for p in pairs)


def cues_of(question: str) -> tuple[str, ...]:
    """The cue words of the aspects a question asks about."""
    body = _core(question)
    return tuple(c for asks, said in _ASPECTS if any(a in body for a in asks) for c in said)


def speaks_to(text: str, *, subject: str, cues: tuple[str, ...]) -> bool:
    """Whether an article's text mentions the subject in force and, when the follow-up asks about
    an aspect, one of its cue words (a plain pointer back such as "这个怎么办理" adds nothing)."""
    text = _core(text)
    if subject:
        # its characters side by side, not scattered: 户口本 is not in an answer that says 户籍 and 窗口
        units = {subject[i:i + 2] for i in range(len(subject) - 1)} or set(subject)
        if sum(u in text for u in units) < SUBJECT_SHARE * len(units):
            return False
    return not cues or any(c in text for c in cues)
