"""Pseudo-relevance feedback, an answer-opening channel and an answer-opening coverage in the
knowledge-base search, tried on the validation half only.

- PRF (RM3-style): the first pass (the full search, rerank included) gives its top `k` articles;
  each brings the words of its questions, weighted by their share of the question's words
  (P(t|D)) times the article's share of the top k's rerank scores (uniform with `uniform`); the
  `terms` heaviest words not already in the query join the BM25 query in the question-words
  channel with total weight `beta` × the query's own question-word weight (and, with `answer`,
  the answer dictionary words of those articles at `answer` × that, in the answer-words
  channel). The second pass reranks as usual; the rerank's coverages, and so the assistant's
  `coverage` / `known` / `known_questions`, are computed on the ORIGINAL query's words, so
  feedback cannot make an out-of-KB question look answerable by itself (it can only change
  which article comes first).
- Answer opening (`opening`): many answers start by restating the question (您好：学生减价优待证上注明
  上车地点为乘降所的，可以在乘降所上车…); the first sentence of the answer, its greeting (您好：,
  答：) stripped, becomes a BM25 channel of words (weight `opening`) and optionally of bigrams
  (`opening_bigrams`).
- Opening coverage (`open_cover`): in the rerank, + this × the idf-weighted share of the query's
  words written in the answer's first sentence (in any form of their synonym group).
- `qb_k1` / `answer_unigrams` / `qtype`: cheap general variants found while reading the misses:
  the saturation of the question-bigram channel (a typo such as 手续废 keeps only bigrams), single
  characters of the answer as a channel, and a rerank bonus (× the Jaccard overlap) when the query
  and the article's question ask the same kind of thing, read from general interrogative words
  (哪些/何种: which; 多少/费用: amount; 多久/时限: time; 哪里: where; 为什么/老是: why; 能否/…吗:
  can; 怎么/如何: how) — 哪些银行的卡 → 哪个银行能购票.
- `stop_fragments` / `maximal`: jieba's search-engine cut also yields a word's shorter dictionary
  words (手续费 → 手续, 续费; 收不到 → 不到): a stop word yielding none of them, and the rerank's
  coverages over the query's maximal words only.
- `keep` (RM3's re-weighting: the query's own words may be expansion terms too) and `gate` (PRF
  only when the first pass is unsure: the runner-up within this share of the best).

The index is built once per setting (one by one, not the batch path, when a setting adds a
channel); the test half is never scored here. Abstention is the assistant's on the 41 validation
out-of-KB questions. CPU time of `MemoryIndex.search` per query as in bench/kb_cilin_try.py.

    .venv/bin/python bench/kb_prf_try.py [-v]
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import kb_eval  # noqa: E402  (the data and the queries)
import kb_rerank_try  # noqa: E402  (the 12306 file as IndexDocs)
import numpy as np  # noqa: E402

from hotline.knowledge.search import Channel, IndexDoc, MemoryIndex, Ranking, _count  # noqa: E402
from hotline.knowledge.text import STOP_WORDS, Analyzer, runs, searchable  # noqa: E402

PASSES = 3
# What a question asks for, from its interrogative words (general Chinese, not this knowledge base's).
QTYPES = {
    "which": re.compile(r"哪些|哪个|哪种|哪家|哪类|何种|什么样"),
    "amount": re.compile(r"多少|几[元块张个次]|费用|收费|扣.{0,3}钱"),
    "time": re.compile(r"多久|多长时间|几天|几点|什么时候|何时|时限|期限|时间"),
    "where": re.compile(r"哪里|哪儿|去哪|在哪|何处|什么地方|地点"),
    "why": re.compile(r"为什么|为何|为啥|怎么回事|咋回事|原因|老是|总是|一直"),
    "can": re.compile(r"能否|可否|是否|能不能|可不可以|行不行|可以.{0,12}吗|能.{0,12}吗"),
    "how": re.compile(r"怎么|如何|怎样|咋|办法|流程|步骤"),
}


def qtypes(text: str) -> frozenset[str]:
    return frozenset(t for t, rx in QTYPES.items() if rx.search(text))
_GREETING = re.compile(r"^\s*(您好|你好|答|回复)\s*[：:，,！!。]?\s*")
_SENTENCE = re.compile(r"[。！？!?；;\n]")


def opening(answer: str, cap: int = 80) -> str:
    """The answer's first sentence without its greeting (capped: some answers never stop)."""
    text = _GREETING.sub("", answer or "", count=1)
    m = _SENTENCE.search(text)
    return (text[: m.start()] if m else text)[:cap]


@dataclass(frozen=True)
class Setting:
    k: int = 0  # PRF: feedback articles (0: no feedback)
    beta: float = 0.3  # PRF: total weight of the expansion terms, × the query's question-word weight
    terms: int = 10  # PRF: expansion terms kept
    uniform: bool = False  # PRF: each feedback article counts the same (else by its rerank score)
    answer: float = 0.0  # PRF: answer dictionary words of the feedback articles too, at this × beta
    keep: bool = False  # PRF: the query's own words may be expansion terms too (RM3's re-weighting)
    gate: float = 0.0  # PRF only when the runner-up scores at least this share of the best (unsure)
    opening: float = 0.0  # weight of an answer-opening words channel (0: none)
    opening_bigrams: float = 0.0  # weight of an answer-opening bigrams channel
    open_cover: float = 0.0  # rerank: share of the query written in the answer's opening
    qb_k1: float | None = None  # k1 of the question-bigram channel
    answer_unigrams: float = 0.0  # weight of an answer single-character channel
    qtype: float = 0.0  # rerank: bonus when query and question ask the same kind of thing (which, why, …)
    stop_fragments: bool = False  # drop the search-mode sub-words of a stop word (不能 of 能不能)
    maximal: bool = False  # rerank coverages over the query's maximal words only (not 续费 of 手续费)

    def label(self) -> str:
        p = []
        if self.k:
            p.append(f"PRF k={self.k} b={self.beta} t={self.terms}" + (" unif" if self.uniform else "")
                     + (f" ans={self.answer}" if self.answer else "") + (" keep" if self.keep else "")
                     + (f" gate={self.gate}" if self.gate else ""))
        if self.opening:
            p.append(f"open w={self.opening}")
        if self.opening_bigrams:
            p.append(f"open b={self.opening_bigrams}")
        if self.open_cover:
            p.append(f"open cover={self.open_cover}")
        if self.qb_k1 is not None:
            p.append(f"qb k1={self.qb_k1}")
        if self.answer_unigrams:
            p.append(f"au={self.answer_unigrams}")
        if self.qtype:
            p.append(f"qtype={self.qtype}")
        if self.stop_fragments:
            p.append("no stop fragments")
        if self.maximal:
            p.append("maximal words")
        return ", ".join(p) or "current ranking"


def ranking_of(s: Setting) -> Ranking:
    r = Ranking()
    chans = list(r.channels)
    if s.qb_k1 is not None:
        chans = [replace(c, k1=s.qb_k1) if c.name == "qb" else c for c in chans]
    if s.opening:
        chans.append(Channel("ow", s.opening, 1.2, 0.75))
    if s.opening_bigrams:
        chans.append(Channel("ob", s.opening_bigrams, 1.2, 0.75))
    if s.answer_unigrams:
        chans.append(Channel("au", s.answer_unigrams, 1.2, 0.75))
    return replace(r, channels=tuple(chans))


class WholeStopAnalyzer(Analyzer):
    """jieba's search-engine cut, except that a stop word (能不能, 收不到's 不到 is not one) yields
    none of its shorter words: 能不能 no longer brings 不能 into the query."""

    def raw_words(self, text: str, *, remember: bool = True) -> list[str]:
        tok = self.tokenizer
        freq = tok.FREQ
        out: list[str] = []
        for run in runs(text):
            got = self._runs.get(run)
            if got is None:
                got = []
                for w in tok.cut(run, HMM=False):
                    if w not in STOP_WORDS:  # the sub-words cut_for_search adds
                        for n in (2, 3):
                            if len(w) > n:
                                got.extend(w[i : i + n] for i in range(len(w) - n + 1) if freq.get(w[i : i + n]))
                    got.append(w)
                if remember:
                    self._runs[run] = got
            out.extend(got)
        return out


class TryIndex(MemoryIndex):
    """`MemoryIndex` with the hooks of one `Setting` (single-threaded: bench only)."""

    def __init__(self, setting: Setting) -> None:
        super().__init__(analyzer=WholeStopAnalyzer() if setting.stop_fragments else None, ranking=ranking_of(setting))
        self.setting = setting
        self._extra: dict[int, float] | None = None
        self._qtypes: frozenset[str] = frozenset()
        self._qw = [i for i, c in enumerate(self.ranking.channels) if c.name == "qw"][0]
        self._ad = [i for i, c in enumerate(self.ranking.channels) if c.name == "ad"][0]
        self._opening_words = len(self.ranking.channels) > 5 and any(
            c.name[0] == "o" for c in self.ranking.channels)
        self._docs: dict[int, IndexDoc] = {}
        self._answer_words: dict[int, Counter] = {}

    def analyze(self, doc: IndexDoc) -> list[list[str]]:
        return self._terms_of({"q": "\n".join(doc.questions), "a": doc.answer, "o": opening(doc.answer)})

    def _segment(self, docs, analyzed=None):
        if len(self.ranking.channels) == 5 and self.setting.qb_k1 is None:
            return super()._segment(docs, analyzed)  # the production path, unchanged
        if analyzed is None:
            analyzed = [self.analyze(d) for d in docs]
        return self._assemble(docs, [_count(analyzed, len(self.ranking.channels))])

    def rebuild(self, docs) -> None:
        docs = list(docs)
        self._docs = {d.article_id: d for d in docs}
        super().rebuild(docs)

    # -- PRF ---------------------------------------------------------------------------------------

    def _query(self, query):
        cols, qw, content, known, asked = super()._query(query)
        if self.setting.maximal:
            content = {w for w in content if not any(w != x and w in x for x in content)}
        if not self._extra:
            return cols, qw, content, known, asked
        weights = dict(zip(cols, qw.tolist(), strict=True))
        for tid, w in self._extra.items():
            weights[tid] = weights.get(tid, 0.0) + w
        return list(weights), np.asarray(list(weights.values()), dtype=np.float32), content, known, asked

    def _feedback(self, query: str, hits) -> dict[int, float]:
        s = self.setting
        content = set() if s.keep else set(self.analyzer.words(query))
        base = sum(min(c, 2) for w, c in Counter(self.analyzer.words(query)).items()
                   if f"{self._qw}\x1f{w}" in self._terms) or 1.0
        top = hits[: s.k]
        total = sum(h.score for h in top) or 1.0
        mass: Counter = Counter()
        amass: Counter = Counter()
        for h in top:
            share = 1.0 / len(top) if s.uniform else h.score / total
            doc = self._docs[h.article_id]
            words = [w for q in doc.questions for w in self.analyzer.cached_words(q)]
            for w, c in Counter(words).items():
                if w not in content:
                    mass[w] += share * c / len(words)
            if s.answer:
                aw = self._answer_words.get(h.article_id)
                if aw is None:
                    aw = self._answer_words[h.article_id] = Counter(self.analyzer.dict_words(doc.answer))
                n = sum(aw.values()) or 1
                for w, c in aw.items():
                    if w not in content:
                        amass[w] += share * c / n
        out: dict[int, float] = {}
        for counter, channel, weight in ((mass, self._qw, s.beta), (amass, self._ad, s.beta * s.answer)):
            best = counter.most_common(s.terms)
            norm = sum(v for _, v in best) or 1.0
            for w, v in best:
                tid = self._terms.get(f"{channel}\x1f{w}")
                if tid is not None:
                    out[tid] = out.get(tid, 0.0) + weight * base * v / norm
        return out

    def search(self, query, *, filters=None, limit=10):
        s = self.setting
        self._qtypes = qtypes(query) if s.qtype else frozenset()
        if not s.k:
            return super().search(query, filters=filters, limit=limit)
        first = super().search(query, filters=filters, limit=s.k)
        if not first or (s.gate and (len(first) < 2 or first[1].score < s.gate * first[0].score)):
            return super().search(query, filters=filters, limit=limit)
        self._extra = self._feedback(query, first)
        try:
            return super().search(query, filters=filters, limit=limit)
        finally:
            self._extra = None

    # -- opening coverage -------------------------------------------------------------------------

    def _article_coverage(self, doc, idf, q_mass):
        a_cov = super()._article_coverage(doc, idf, q_mass)
        s = self.setting
        if s.qtype and self._qtypes:
            mine = qtypes(doc.questions[0] if doc.questions else doc.title)
            if mine:
                a_cov += s.qtype / self.ranking.article_coverage * len(mine & self._qtypes) / len(mine | self._qtypes)
        if not s.open_cover:
            return a_cov
        text = searchable(opening(doc.answer))
        forms = self.analyzer.synonyms.forms
        o_cov = sum(v for w, v in idf.items() if any(f in text for f in forms(w))) / q_mass
        # article_coverage multiplies what this returns: fold the opening's share in at its own weight
        return a_cov + s.open_cover / self.ranking.article_coverage * o_cov


def run(setting: Setting, docs, val, ood):
    index = TryIndex(setting)
    index.rebuild(docs)
    return kb_rerank_try.score_val(index, val, ood, passes=PASSES)


def settings() -> list[Setting]:
    out = [Setting()]
    for k in (2, 3, 5):
        for beta in (0.1, 0.3, 0.5):
            out.append(Setting(k=k, beta=beta))
    out += [Setting(k=3, beta=0.3, terms=5), Setting(k=3, beta=0.3, terms=20), Setting(k=3, beta=0.3, uniform=True),
            Setting(k=3, beta=0.3, answer=0.3), Setting(k=3, beta=0.3, answer=0.5), Setting(k=2, beta=0.2, answer=0.3),
            Setting(k=3, beta=0.3, keep=True), Setting(k=5, beta=0.5, keep=True), Setting(k=3, beta=0.3, gate=0.9),
            Setting(k=5, beta=0.5, gate=0.9), Setting(k=3, beta=0.5, answer=0.5, gate=0.8)]
    for w in (0.2, 0.4, 0.6, 1.0):
        out.append(Setting(opening=w))
    out += [Setting(opening=0.4, opening_bigrams=0.1), Setting(opening_bigrams=0.1)]
    for c in (0.1, 0.2, 0.3):
        out.append(Setting(open_cover=c))
    out += [Setting(qb_k1=1.2), Setting(qb_k1=0.6), Setting(qb_k1=2.0)]  # 1.2: the one-by-one build = baseline
    out += [Setting(answer_unigrams=0.05), Setting(answer_unigrams=0.1)]
    out += [Setting(qtype=w) for w in (0.05, 0.1, 0.2)]
    out += [Setting(stop_fragments=True), Setting(maximal=True), Setting(stop_fragments=True, maximal=True)]
    return out


def main() -> int:
    if not kb_eval.SOURCE.exists():
        print(f"skipped: {kb_eval.SOURCE} not found (the shared data set is not on this machine)")
        return 0
    _, docs = kb_rerank_try.load_index()
    para, ood = kb_eval.load_queries()
    val = [q for q in para if q.split == "val"]  # the test half is never scored here
    ood_val = [q for q in ood if q.split == "val"]
    print(f"data: {kb_eval.SOURCE.name}, {len(docs)} articles; {len(val)} validation queries, "
          f"{len(ood_val)} validation out-of-KB questions\n")
    print(f"  {'validation':<40} {'R@5':>6} {'MRR':>6} {'R@1':>6} {'right':>6} {'abstain':>8} {'CPU ms/q':>9}")
    base = None
    only = [a for a in sys.argv[1:] if not a.startswith("-")]
    for s in settings():
        if only and s.label() != "current ranking" and not any(o in s.label() for o in only):
            continue
        figures, ranks = run(s, docs, val, ood_val)
        print(f"  {s.label():<40} " + " ".join(f"{x:>6.3f}" for x in figures[:4])
              + f" {figures[4]:>8.3f} {figures[5]:>9.2f}", flush=True)
        if base is None:
            base = ranks
        elif "-v" in sys.argv:
            for text, rank in ranks.items():
                if rank != base[text]:
                    print(f"      {base[text]} -> {rank}  {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
