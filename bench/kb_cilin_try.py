"""A Chinese thesaurus (HIT Cilin, `bench/_thesaurus.py`) in the knowledge-base search, tried on the
validation half only.

The question: the validation misses need meaning, not surface overlap (密码太简单 → 密码强度太弱,
东西落在火车上 → 遗失物品). Does Cilin supply it? Cilin is large (77,000 words) but polysemous
(落 is 掉落, 遗漏 and 下降), so it is tried as a down-weighted hint, never folded like
knowledge/data/synonyms.txt:

- expansion: each query content word (of at least `min_len` characters) brings the words of its
  Cilin synonym (``=``) sets (sets of at most `max_set` words) into the BM25 query as extra terms
  of weight `expand` (a query word itself weighs 1–2) in the question-words channel and the
  answer-words channel, skipping words the query already has;
- coverage: in the rerank, a query word absent from the question counts `cover` (< 1) when a
  Cilin synonym of it is one of the question's words (same for the article coverage: a synonym
  written anywhere in the article); with `level` set, a shared Cilin class code at that level
  (4 or 5) counts instead of a shared synonym set;
- `plain_assist`: the assistant's `coverage` (its abstention test) left without the thesaurus
  credit, so only the ranking uses it;
- `target_len` 1: single-character synonyms kept too (钱 → 款); `short_forms`: the
  single-character forms of a word's group in synonyms.txt (改 of 修改) looked up too.

A query word is looked up under every form of its synonyms.txt group (退票 under 退掉 and 退了票
as well); forms of one character are not looked up unless `short_forms` is set.

Out-of-KB questions are searched too: the assistant's abstention on the validation half is
printed next to the retrieval figures. The test half is never scored here. Mean CPU time of a
search (`MemoryIndex.search`, 10 hits, over the validation queries and out-of-KB questions, three
passes after a warm-up pass) is printed per setting; the thesaurus is loaded before timing.

    .venv/bin/python bench/kb_cilin_try.py
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import _thesaurus as thesaurus  # noqa: E402  (bench/_thesaurus.py; pip install -e '.[bench]')
import kb_eval  # noqa: E402  (the data and the queries)
import kb_rerank_try  # noqa: E402  (the index of the 12306 file, built as the service builds it)
import numpy as np  # noqa: E402

from hotline.knowledge.search import IndexDoc, MemoryIndex  # noqa: E402
from hotline.knowledge.text import searchable  # noqa: E402

PASSES = 3  # timed passes over the queries


@dataclass(frozen=True)
class Setting:
    expand: float = 0.0  # weight of a Cilin synonym in the BM25 query (0: no expansion)
    expand_answer: bool = True  # expand into the answer-words channel too
    cover: float = 0.0  # rerank credit of a query word matched only through Cilin (0: none)
    min_len: int = 2  # query words shorter than this are never looked up
    target_len: int = 2  # synonyms shorter than this are left out (1: 钱 → 款 too)
    short_forms: bool = False  # look up the single-character forms of a word's synonym group too
    max_set: int | None = None  # skip synonym sets larger than this
    level: int | None = None  # coverage by a shared class code at this level instead of a synonym set
    plain_assist: bool = False  # the assistant's coverage without the thesaurus credit

    def label(self) -> str:
        parts = []
        if self.expand:
            parts.append(f"expand {self.expand}" + ("" if self.expand_answer else " (questions only)"))
        if self.cover:
            parts.append(f"cover {self.cover}" + (f" L{self.level}" if self.level else ""))
        if self.max_set:
            parts.append(f"sets<={self.max_set}")
        if self.min_len != 2:
            parts.append(f"len>={self.min_len}")
        if self.target_len != 2:
            parts.append(f"synonyms len>={self.target_len}")
        if self.short_forms:
            parts.append("1-char forms")
        if self.plain_assist:
            parts.append("plain assist")
        return ", ".join(parts) or "current ranking"


class CilinIndex(MemoryIndex):
    """`MemoryIndex` with the thesaurus hooks of one `Setting` (single-threaded: bench only)."""

    def __init__(self, setting: Setting) -> None:
        super().__init__()
        self.setting = setting
        self.th = thesaurus.cilin()
        self._related: dict[str, frozenset[str]] = {}
        self._class: dict[str, frozenset[str]] = {}

    def related(self, word: str) -> frozenset[str]:
        """The folded Cilin synonyms of a (folded) query word, over every form of its group."""
        got = self._related.get(word)
        if got is None:
            s = self.setting
            out: set[str] = set()
            if len(word) >= s.min_len:
                syn = self.analyzer.synonyms
                for form in syn.forms(word):
                    if len(form) < s.min_len and not s.short_forms:  # 退 (退票's group): 下降, 减退 …
                        continue
                    for x in self.th.synonyms(form, max_size=s.max_set):
                        if len(x) >= s.target_len:
                            out.add(syn(x))
            out.discard(word)
            got = self._related[word] = frozenset(out)
        return got

    def classes(self, word: str) -> frozenset[str]:
        got = self._class.get(word)
        if got is None:
            lv = self.setting.level or 5
            got = frozenset() if len(word) < self.setting.min_len else frozenset(
                c for f in self.analyzer.synonyms.forms(word)
                if len(f) >= self.setting.min_len or self.setting.short_forms
                for c in self.th.codes(f, lv))
            self._class[word] = got
        return got

    def _query(self, query):
        cols, qw, content, known, asked = super()._query(query)
        s = self.setting
        if not s.expand:
            return cols, qw, content, known, asked
        weights = dict(zip(cols, qw.tolist(), strict=True))
        channels = [i for i, c in enumerate(self.ranking.channels)
                    if c.name == "qw" or (s.expand_answer and c.name == "ad")]
        for w in content:
            for x in self.related(w):
                if x in content:
                    continue
                for c in channels:
                    tid = self._terms.get(f"{c}\x1f{x}")
                    if tid is not None:
                        weights[tid] = weights.get(tid, 0.0) + s.expand
        return list(weights), np.asarray(list(weights.values()), dtype=np.float32), content, known, asked

    def _matched(self, w: str, words: frozenset[str]) -> bool:
        """A query word absent from these words is matched through the thesaurus."""
        if self.setting.level:
            mine = self.classes(w)
            return bool(mine) and any(mine & self.classes(x) for x in words if len(x) >= self.setting.min_len)
        return bool(self.related(w) & words)

    def _best_question(self, doc: IndexDoc, idf, q_mass):
        s = self.setting
        if not s.cover:
            return super()._best_question(doc, idf, q_mass)
        best = (doc.questions[0] if doc.questions else doc.title, 0.0, 0.0)
        best_plain = 0.0
        partial = self.ranking.partial_credit
        for q in doc.questions:
            words, mass = self._question_words(q)
            if not words:
                continue
            shared = plain = 0.0
            for w, v in idf.items():
                if w in words:
                    shared += v
                    plain += v
                elif partial and any(w in x or (len(x) > 1 and x in w) for x in words):
                    shared += partial * v
                    plain += partial * v
                elif self._matched(w, words):
                    shared += s.cover * v
            q_cov, d_cov = shared / q_mass, shared / (mass or 1.0)
            if q_cov + d_cov > best[1] + best[2]:
                best, best_plain = (q, q_cov, d_cov), plain / q_mass
        if s.plain_assist:
            return best[0], best_plain, best[2]  # q_cov feeds only Hit.coverage (query_coverage = 0)
        return best

    def _article_coverage(self, doc: IndexDoc, idf, q_mass):
        s = self.setting
        if not s.cover or s.level:
            return super()._article_coverage(doc, idf, q_mass)
        text = searchable("\n".join((*doc.questions, doc.answer)))
        forms = self.analyzer.synonyms.forms
        shared = 0.0
        for w, v in idf.items():
            if any(f in text for f in forms(w)):
                shared += v
            elif any(f in text for x in self.related(w) for f in forms(x)):
                shared += s.cover * v
        return shared / q_mass


def run(setting: Setting, docs: list[IndexDoc], val, ood):
    index = CilinIndex(setting)
    index.rebuild(docs)
    return kb_rerank_try.score_val(index, val, ood, passes=PASSES)


def main() -> int:
    if not kb_eval.SOURCE.exists():
        print(f"skipped: {kb_eval.SOURCE} not found (the shared data set is not on this machine)")
        return 0
    t0 = time.perf_counter()
    th = thesaurus.cilin()
    print(f"thesaurus: {len(th)} words, loaded in {time.perf_counter() - t0:.2f} s")
    _, docs = kb_rerank_try.load_index()
    para, ood = kb_eval.load_queries()
    val = [q for q in para if q.split == "val"]  # the test half is never scored here
    ood_val = [q for q in ood if q.split == "val"]
    print(f"data: {kb_eval.SOURCE.name}, {len(docs)} articles; {len(val)} validation queries, "
          f"{len(ood_val)} validation out-of-KB questions\n")
    settings = [Setting()]
    for e in (0.1, 0.2, 0.3, 0.5):
        settings.append(Setting(expand=e))
    settings += [Setting(expand=0.2, expand_answer=False), Setting(expand=0.2, max_set=8),
                 Setting(expand=0.2, min_len=3)]
    for c in (0.3, 0.5, 0.7):
        settings.append(Setting(cover=c))
    settings += [Setting(cover=0.5, max_set=8), Setting(cover=0.5, plain_assist=True),
                 Setting(cover=0.5, level=5), Setting(cover=0.3, level=4), Setting(cover=0.5, level=4),
                 Setting(expand=0.2, cover=0.5), Setting(expand=0.2, cover=0.5, max_set=8),
                 Setting(expand=0.1, cover=0.3, plain_assist=True),
                 Setting(expand=0.2, target_len=1, max_set=8), Setting(cover=0.5, target_len=1, max_set=8),
                 Setting(cover=0.3, level=4, short_forms=True), Setting(cover=0.3, level=3),
                 Setting(expand=0.2, short_forms=True)]
    print(f"  {'validation':<40} {'R@5':>6} {'MRR':>6} {'R@1':>6} {'right':>6} {'abstain':>8} {'CPU ms/q':>9}")
    base_ranks = None
    for s in settings:
        figures, ranks = run(s, docs, val, ood_val)
        print(f"  {s.label():<40} " + " ".join(f"{x:>6.3f}" for x in figures[:4])
              + f" {figures[4]:>8.3f} {figures[5]:>9.2f}", flush=True)
        if base_ranks is None:
            base_ranks = ranks
        elif "-v" in sys.argv:
            for text, rank in ranks.items():
                if rank != base_ranks[text]:
                    print(f"      {base_ranks[text]} -> {rank}  {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
