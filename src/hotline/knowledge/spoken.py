"""How a long question, as callers speak it, is read before searching: the question in it.

A caller says 你好，我想问一下，我是替我家老人问的。就是那个，学生票打几折啊？谢谢。 Searched whole, the
greeting, the context about the caller and the thanks weigh as much as the question: the words
matched articles about something else, and the meaning of the whole was too far from any article's
question for the assistant to answer (bench/kb_rambling.py). `focus` keeps the question:

1. sentences that are only a greeting, filler or closing (你好, 能听到吗, 谢谢, 麻烦你了) are dropped,
   and so are such clauses at a sentence's start (就是那个，我想问一下，);
2. the question is the run of asking sentences at the end (a question word, or 吗/呢/？): it is
   kept alone when it names its matter; when it points back (这种情况, 这个票) or is too short to
   stand alone, the clauses before it that share a word with it are kept too (车票本来要拿去报销的
   before 这种情况车票还能补吗; not 我上周出差回来), or all of them when none does.

A short question with none of these (学生票打几折) is returned as it came.
"""

from __future__ import annotations

import re

# A whole sentence or clause that says nothing of the matter: greetings, checking the line, asking
# to be told, thanks, closings (compared with letters only, `_bare`).
_FILLER = re.compile(
    r"(喂|哎|诶|嗯|啊|哦|那个|那个什么|就是|就是那个|就是说|然后|然后呢|是这样|是这样的|怎么说呢|这样|这样的"
    r"|你好|您好|你们好|同志你好|同志|你好啊|您好啊|你好你好|老师你好|师傅你好|打扰一下|打扰了|打扰您了"
    r"|能听到吗|听得到吗|能听见吗|听得见吗|是客服吧|是客服吗|是人工吗|是人工吧|是12306吗|在吗|有人吗"
    r"|请问|请问一下|请问一下啊|麻烦问一下|麻烦问下|问一下|问下|问个事|问个事儿|我问个事|我问个事儿|我问一下|问问"
    r"|我想问|我想问一下|我想问下|我想问问|想问一下|想问下|想问问|就想问一下|就想问问|我就想问问|我就想问一下"
    r"|我想咨询|我想咨询一下|我想咨询个事|我想咨询个事儿|咨询一下|咨询个事|我想了解一下|我这边想了解一下"
    r"|我有个问题|我有个问题想问问|我有个问题想问一下|我想问个问题|想问个问题|我有个事|我有个事想问问"
    r"|我就想知道|我想知道|我就是想知道|我就是想弄清楚|我想弄清楚|所以想问问|所以想问问你们|所以想问一下"
    r"|想问问你们|我想问问你们|麻烦你给看看|麻烦你|麻烦你了|麻烦您了|麻烦了|麻烦帮我看看|麻烦帮我查查"
    r"|谢谢|谢谢你|谢谢您|谢谢啊|谢谢你啊|谢谢了|谢谢你们|多谢|多谢多谢|感谢|非常感谢|谢了|辛苦了|辛苦你了"
    r"|拜托了|拜托|好的|好|好的谢谢|好谢谢|就这个事|就这个事谢谢了|就这个事儿|就这些|就这些谢谢|就想问这个"
    r"|就问这个|我等你回复|等你回复|你帮我查查吧|你帮我查查|帮我查查|你给说说呗|你给说说|给说说|你们给解释一下"
    r"|能跟我说一下吗|能跟我说说吗|你跟我说一下|你知道吗|长话短说|长话短说啊|你说慢一点|你说慢一点啊|是吧|对吧"
    r"|有没有什么办法|有什么办法吗|这个怎么弄|这个怎么弄啊|这个咋弄|你看看|你看)+")
# Said before the question inside its clause (我就想知道学生票打几折): taken off its start.
_LEAD = re.compile(r"^(?:(?:我|就|我就|所以)?(?:想|是想)(?:问一下|问下|问问|问|咨询一下|知道|了解一下|弄清楚)(?:你们)?"
                   r"|请问(?:一下)?|麻烦问一?下)+")
_BARE = re.compile(r"[\W_]+")
_SENTENCE = re.compile(r"[^。！？!?；;…\n]+[。！？!?；;…\n]*")
_CLAUSE = re.compile(r"[，,、：:]")
# A sentence that asks: a question word, or 吗/呢/么 or a question mark at its end.
# (not 好几天, 十几个小时, 不怎么坐火车, 充电器什么的: context, not a question); A不A (招不招) asks too.
_ASKS = re.compile(r"吗|(?<!不)怎么|怎样|如何|多少|多久|多长|哪|什么(?!的)|啥|咋|(?<![好十])几"
                   r"|能不能|可不可以|能否|是否|要不要|有没有|会不会|是不是|行不行|为什么|为何|干嘛|呢[啊呀]?$|么$|[？?]"
                   r"|([\u4e00-\u9fff])不\1")  # 招不招, 开不开门
# A question that points back at what was said before it (这种情况能挂失吗, 那我这个票怎么退).
_POINTS_BACK = re.compile(r"这种|这样|这事|这情况|那我|那这|这个票|上面|刚才说|^(我该|该|那)?怎么办")
_ENDS = "吗呢啊吧呀么"
# Pairs of characters too common to tell two sentences share a matter (`_words`).
_COMMON = frozenset("我们 你们 他们 她们 咱们 这个 那个 这种 那种 这样 那样 这些 那些 什么 怎么 可以 能不 不能 "
                    "一下 一个 一张 的话 是不 不是 没有 有没 还是 就是 现在 时候 因为 所以 如果 已经 知道 不知 "
                    "问一 想问 我想 我是 我的 还能 能够 需要 要不 情况 这次 那次 之前 以后 以前 "
                    "时间 的时 了一 一直 好几 几天 上了 了吗 回来 回去 出来 出去 过来 过去 起来 下来 上来".split())
STANDS_ALONE = 8  # letters: a shorter question (有等级要求吗) needs the sentences before it


def _bare(text: str) -> str:
    return _BARE.sub("", text)


def is_filler(text: str) -> bool:
    """A sentence or clause that is only greeting, filler or closing (empty text counts)."""
    bare = _bare(text)
    return not bare or _FILLER.fullmatch(bare) is not None


def _strip_leading(sentence: str, *, leads: bool = True) -> str:
    """The sentence without filler clauses at its start (你好，就是那个，学生票… → 学生票…) and at its
    end (…怎么弄啊，谢谢)."""
    clauses = [c.strip(" 。！？!?；;…") for c in _CLAUSE.split(sentence)]
    while clauses and is_filler(clauses[0]):
        clauses.pop(0)
    while clauses and is_filler(clauses[-1]):
        clauses.pop()
    if clauses:  # a closing run on after the question (…还给算吗你们给解释一下)
        last = clauses[-1]
        cut = next((k for k in range(4, len(last)) if last[k - 1] in _ENDS and is_filler(last[k:])), None)
        clauses[-1] = last[:cut] if cut else last
        lead = _LEAD.match(clauses[0]) if leads else None
        if lead and len(_bare(clauses[0])) - len(_bare(lead.group(0))) >= 4:  # a question left after it
            clauses[0] = clauses[0][lead.end():]
    return "，".join(clauses)


def asks(sentence: str) -> bool:
    return _ASKS.search(sentence.strip()) is not None


def focus(query: str) -> str:
    """The question a long, spoken query asks (see the module's docstring); the query itself when
    there is nothing to take away."""
    if _bare(_focus(query, leads=False)) == _bare(query or ""):
        return query  # nothing to set aside but a lead-in (请问…, 我想问下…): a plain question, as it came
    return _focus(query, leads=True)


def _words(text: str) -> set[str]:
    """The pairs of Chinese characters of a text, those any sentence may say (我们, 这种, 可以) aside."""
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    return {a + b for a, b in zip(han, han[1:], strict=False)} - _COMMON


def _naming(context: list[str], question: str) -> list[str]:
    """The clauses of the context that name the question's matter: those sharing a word with it
    (车票本来要拿去单位报销的 before 这种情况车票还能补吗); the caller's other context (我上周出差回来,
    财务那边一直催我) is set aside. All of it when no clause shares a word (有等级要求吗 after 我哥
    有残疾证: the matter is somewhere before, unnamed)."""
    words = _words(question)
    clauses = [c for s in context for c in _CLAUSE.split(s) if c.strip()]
    kept = [c for c in clauses if _words(c) & words]
    return kept or context


def _focus(query: str, *, leads: bool) -> str:
    sentences = [_strip_leading(s, leads=leads) for s in _SENTENCE.findall(query or "")]
    sentences = [s for s in sentences if not is_filler(s)]
    if not sentences:
        return query
    # the run of asking sentences that ends at the last one asking, with what follows it (还是只能买全价的);
    # none asking: the last sentence says what is wanted
    start = next((i for i in range(len(sentences) - 1, -1, -1) if asks(sentences[i])), len(sentences) - 1)
    while start > 0 and asks(sentences[start - 1]):
        start -= 1
    question = sentences[start:]
    text = "".join(question)
    if start and (_POINTS_BACK.search(text) or len(_bare(text)) < STANDS_ALONE):
        question = _naming(sentences[:start], text) + question
    focused = "，".join(question)
    return focused if _bare(focused) != _bare(query) else query
