"""Chinese text for search: normalisation, words (jieba + the shipped synonym table), character
n-grams, stop words and highlighted snippets. Pure functions; no database, no index.

Words are cut with our own `jieba.Tokenizer` instance (the synonym words are added to its
dictionary so that a caller's phrase such as 退钱 stays one word); the process-wide default
tokenizer that other packages may use is left untouched.
"""

from __future__ import annotations

import html
import logging
import re
import sys
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import jieba

SYNONYMS_FILE = Path(__file__).parent / "data" / "synonyms.txt"
_RUN = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")

# Filler and question words that say nothing about the topic of a question.
STOP_WORDS = frozenset(
    """
    的 了 吗 呢 啊 吧 呀 哦 嘛 么 啦 哈 喔 的话 一下 一些 一个 这个 那个 这样 那样 这种 那种 这是 那是
    我 你 您 他 她 它 我们 你们 他们 咱们 自己 本人 人家 大家 请问 请 麻烦 想 想要 想问 要 需要 打算
    是 是不是 有 有没有 没有 没 在 和 与 及 或 或者 还是 并 而 就 都 也 还 又 再 才 只 很 太 更 最 非常
    怎么 怎么办 怎样 怎么样 如何 咋 咋办 啥 什么 为什么 为何 干嘛 哪 哪些 哪个 哪里 哪儿 多少 几 是否 能否 可否
    可以 能 能不能 可不可以 会 会不会 应该 该 得 得到 给 把 被 让 对 向 从 到 于 为 以 用 跟 去 来 上 下 里 中
    现在 已经 刚 刚刚 老是 一直 总是 明明 结果 然后 但是 可是 不过 所以 因为 如果 要是 时候 时 后 以后 之后 前 以前
    了解 知道 问 告诉 说 讲 看 办法 问题 情况 事 事情 办理 这边 那边 一般 所有 其他 什么样 多 少 好 行 对吗 不
    怎么弄 怎么搞 咋弄 咋搞 回事 怎么回事 咋回事 为啥 干啥 干什么 啥样 行不行 好不好 对不对 能行 一下子 还能 就是 到底
    """.split()
)

log = logging.getLogger(__name__)


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# A Chinese numeral before a unit callers use for money, age, counts and time: 五块 → 5块, 七十岁 → 70岁.
_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百]+(?=[元块岁次张天个小时周年月号米分人])")


def _numeral_value(s: str) -> str:
    total, current = 0, 0
    for ch in s:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = current * 10 + _DIGITS[ch] if current else _DIGITS[ch]
    return str(total + current)


def normalize(text: str) -> str:
    """Full-width to half-width, lower case (NFKC), Chinese numerals before a unit as digits."""
    text = text or ""
    if not unicodedata.is_normalized("NFKC", text):  # the quick check: most text is already
        text = unicodedata.normalize("NFKC", text)
    text = text.lower()
    return _NUMERAL.sub(lambda m: _numeral_value(m.group(0)), text)


# Full-width punctuation as spaces: it separates words either way, and without it most Chinese text
# passes NFKC's quick check, so `searchable` skips the slow full normalisation.
_PUNCTUATION = re.compile("[，。、：；！？（）【】《》“”‘’…—～·「」『』]")


# 非 before a word says "not" it (非网上购票: tickets not bought online; 非本市户籍); 非常 is "very".
_NEGATED = re.compile(r"非(?!常)([\u4e00-\u9fff]{2})")


# How an operator frames a call record (来电人称…, 市民反映…): words of every record, about no matter.
# Left in the query they matched the KB's scripts for talking to callers (来电人情绪激动时的安抚口径).
_FRAMING = re.compile(r"(来电人|来电市民|诉求人|来电者)(称|反映|表示|来电|咨询|询问|想了解|想咨询|说)?"
                      r"|(市民|群众|来电)(称|反映|表示|来电|咨询|询问)")


def without_framing(text: str) -> str:
    """A request's text without the record's framing words, for searching the knowledge base."""
    return _FRAMING.sub(" ", text)


def negates(title: str, query: str) -> bool:
    """Whether the title says 非X of an X the query states plainly: 非网上购票如何办理退票？ does not
    answer 网上买的票想退 though every word and its meaning (to the embedding) are near."""
    query = normalize(query)
    return any(x in query and "非" + x not in query for x in _NEGATED.findall(normalize(title)))


def searchable(text: str) -> str:
    """The text as query words are matched inside it (substring tests): `normalize` with the common
    full-width punctuation turned into spaces first."""
    return normalize(_PUNCTUATION.sub(" ", text))


def runs(text: str) -> list[str]:
    """The runs of Chinese characters, letters and digits (punctuation and spaces split them)."""
    return _RUN.findall(normalize(text))


def char_ngrams(text: str, n: int = 2) -> list[str]:
    """Overlapping character n-grams inside each run; a run shorter than n is kept whole."""
    out: list[str] = []
    for run in runs(text):
        if len(run) < n:
            out.append(run)
        else:
            out.extend(run[i : i + n] for i in range(len(run) - n + 1))
    return out


def unigrams(text: str) -> list[str]:
    """Single Chinese characters (stop characters kept: idf weighs them)."""
    return [ch for run in runs(text) for ch in run if not ch.isascii()]


class Synonyms:
    """Groups of words that mean the same to a caller; each word maps to its group's first word."""

    def __init__(self, groups: Iterable[list[str]]) -> None:
        self.canonical: dict[str, str] = {}
        self.groups: list[list[str]] = []
        self._forms: dict[str, list[str]] | None = None
        for group in groups:
            words = [normalize(w) for w in group if w.strip()]
            if len(words) < 2:
                continue
            self.groups.append(words)
            for w in words:
                self.canonical.setdefault(w, words[0])

    @classmethod
    def load(cls, path: Path = SYNONYMS_FILE) -> Synonyms:
        groups = []
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                groups.append(line.split())
        return cls(groups)

    def __call__(self, word: str) -> str:
        return self.canonical.get(word, word)

    def forms(self, word: str) -> list[str]:
        """Every way of writing a (canonical) word: its group, or the word alone."""
        if self._forms is None:
            self._forms = {g[0]: g for g in self.groups}
        return self._forms.get(word) or [word]

    def words(self) -> list[str]:
        return list(self.canonical)


# Questions whose words are remembered: a large index's every question and phrasing (an entry is
# a tuple of interned words, about 200 bytes; 100,000 articles held 3-4 MiB more in kb_perf).
WORDS_KEPT = 1_000_000


class Analyzer:
    """Turns text into the terms of the index: words (synonyms folded) and character bigrams."""

    def __init__(self, synonyms: Synonyms | None = None) -> None:
        self.synonyms = synonyms or Synonyms.load()
        self._tokenizer: jieba.Tokenizer | None = None
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str, ...]] = {}
        self._vocab: set[str] | None = None
        self._runs: dict[str, list[str]] = {}  # boilerplate repeats across answers: cut each run once

    @property
    def tokenizer(self) -> jieba.Tokenizer:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    jieba.setLogLevel(logging.WARNING)
                    tok = jieba.Tokenizer()
                    tok.initialize()
                    for w in self.synonyms.words():
                        if len(w) > 1:
                            tok.add_word(w, freq=max(tok.suggest_freq(w), 1000))
                    self._tokenizer = tok
        return self._tokenizer

    def raw_words(self, text: str, *, remember: bool = True) -> list[str]:
        """jieba's search-engine cut (a long word also yields its shorter words), stop words kept.
        Runs are remembered (queries and questions repeat) unless `remember` is false: a large
        index build cuts each text once, and 100,000 articles' remembered runs would hold ~100 MB
        (it keeps each question's words instead, interned: `cached_words`)."""
        out: list[str] = []
        cut = self.tokenizer.cut_for_search
        cache = self._runs
        for run in runs(text):
            got = cache.get(run)
            if got is None:
                got = list(cut(run, HMM=False))
                if remember:
                    if len(cache) >= 500_000:
                        cache.clear()
                    cache[run] = got
            out.extend(got)
        return out

    def words(self, text: str, *, remember: bool = True) -> list[str]:
        """Content words with synonyms folded to their group's first word."""
        syn = self.synonyms
        out = []
        for w in self.raw_words(text, remember=remember):
            if w not in STOP_WORDS:
                canon = syn(w)
                if canon not in STOP_WORDS:
                    out.append(canon)
        return out

    def dict_words(self, text: str) -> list[str]:
        """Every dictionary word of two to four characters inside the text (overlaps included),
        synonyms folded: a fast stand-in for segmentation on long answers."""
        vocab = self._vocab
        if vocab is None:
            tok = self.tokenizer
            vocab = self._vocab = {w for w, f in tok.FREQ.items() if f and 2 <= len(w) <= 4} | {
                w for w in self.synonyms.words() if 2 <= len(w) <= 4}
        syn, stop = self.synonyms, STOP_WORDS
        out: list[str] = []
        for run in runs(text):
            n = len(run)
            for i in range(n - 1):
                for j in range(i + 2, min(i + 5, n + 1)):
                    w = run[i:j]
                    if w in vocab and w not in stop:
                        c = syn(w)
                        if c not in stop:
                            out.append(c)
        return out

    def cached_words(self, text: str, *, remember_runs: bool = True) -> tuple[str, ...]:
        """`words` of a short text (a question), remembered: the re-ranking reads every candidate's
        question words at query time. The words are interned (a base shares most of them)."""
        got = self._cache.get(text)
        if got is None:
            got = tuple(sys.intern(w) for w in self.words(text, remember=remember_runs))
            if len(self._cache) >= WORDS_KEPT:
                self._cache.clear()
            self._cache[text] = got
        return got

    @staticmethod
    def bigrams(text: str) -> list[str]:
        return char_ngrams(text, 2)


@lru_cache(maxsize=1)
def default_analyzer() -> Analyzer:
    return Analyzer()


# ---- snippets ---------------------------------------------------------------------------------


def highlight_terms(query: str, analyzer: Analyzer) -> list[str]:
    """The strings to mark in a snippet: the query's content words of two or more characters and,
    for words the text spells differently, the synonyms of their group."""
    terms: set[str] = set()
    syn = analyzer.synonyms
    for w in analyzer.raw_words(query):
        if w in STOP_WORDS:
            continue
        if len(w) >= 2:
            terms.add(w)
        canon = syn(w)
        for group in syn.groups:
            if group[0] == canon:
                terms.update(x for x in group if len(x) >= 2)
                break
    return sorted(terms, key=len, reverse=True)


def snippet(text: str, terms: list[str], *, width: int = 90) -> str:
    """A window of the text around the densest matches, HTML-escaped, matches wrapped in <mark>."""
    plain = text.replace("\r", "").replace("\n", " ")
    lowered = normalize(plain)
    if len(lowered) != len(plain):  # NFKC changed the length: search the original text instead
        lowered = plain.lower()
    spans: list[tuple[int, int]] = []
    for t in terms:
        start = lowered.find(t)
        while start != -1:
            spans.append((start, start + len(t)))
            start = lowered.find(t, start + len(t))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    begin = 0
    if merged and len(plain) > width:
        best, best_count = 0, -1
        for s, _ in merged:
            window_start = max(0, s - width // 4)
            count = sum(1 for a, b in merged if a >= window_start and b <= window_start + width)
            if count > best_count:
                best, best_count = window_start, count
        begin = best
    end = min(len(plain), begin + width)
    out: list[str] = ["…" if begin > 0 else ""]
    pos = begin
    for s, e in merged:
        if e <= begin or s >= end:
            continue
        s, e = max(s, begin), min(e, end)
        out.append(html.escape(plain[pos:s]))
        out.append(f"<mark>{html.escape(plain[s:e])}</mark>")
        pos = e
    out.append(html.escape(plain[pos:end]))
    if end < len(plain):
        out.append("…")
    return "".join(out)
