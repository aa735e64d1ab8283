"""A learned reranker for the knowledge-base search, tried on the validation half only.

The question (issue 6): does a small scikit-learn model over features of each (query, candidate)
pair, applied to the top 20 of the current ranking, put the right article first more often?
The script measures it on the 12306 knowledge base (the data of bench/kb_eval.py) and prints
validation figures only; the test half is never scored (nothing here is adopted unless validation
improves clearly).

Candidates: `MemoryIndex.search`'s own ranking (BM25 by channel, the rerank by query coverage),
replicated here from the index's internals so that each candidate's parts are visible, top 20.
Features per candidate (22): BM25 by channel (question words, question bigrams, question single
characters, answer words, answer bigrams; each divided by the best candidate's), the current final
score (and divided by the best), normalised BM25, coverage of the query by the best question
(`coverage`), of that question by the query, of the query by the whole article (`support`), the
difference of the first and the last, character-bigram Dice of query and question, the share of
the query's bigrams in the question, of the question's in the query, of the query's in the first
300 characters of the answer, the query words in the answer's first 60 characters (idf-weighted),
whether the question holds the query's first / last content word, |log| length ratio of question
and query, 1 / current rank.

Training, two ways:
1. self-supervised (no caller query at all): pseudo-queries made from the knowledge base itself —
   each article's question with content words dropped (30 % / 45 %), words replaced by another word
   of their synonym group, neighbours swapped, filler added ("请问", "怎么办"), or a clause of its
   answer; the positives are the article and its copies (the same question in another sheet);
2. supervised, 5-fold cross-validation over the validation queries (by query), as an upper
   bound of what the features can learn from callers' wording.
Models: logistic regression (pointwise; and pairwise on positive − negative differences) and
gradient-boosted trees (HistGradientBoostingClassifier); also the current score + a × the
pairwise model's score.

    .venv/bin/python bench/kb_rerank_try.py
"""

from __future__ import annotations

import csv
import math
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import kb_eval  # noqa: E402  (the data and the queries)

TOP = 20  # candidates reranked
FINAL = 5  # the column of the current final score in a feature row


def load_index():
    from hotline.knowledge.search import IndexDoc, MemoryIndex

    with kb_eval.SOURCE.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    docs = [IndexDoc(article_id=i + 1, key=f"{r['sheet_category'][:2]}-{r['no']}", title=r["question"].strip(),
                     questions=(r["question"].strip(),), answer=r["answer"], audience="public",
                     category_code=r["sheet_category"]) for i, r in enumerate(rows)]
    index = MemoryIndex()
    index.rebuild(docs)
    return index, docs


class Candidates:
    """The current ranking's top 20 for a query, with a feature row per candidate (remembered)."""

    def __init__(self, index) -> None:
        self.index = index
        self._memo: dict[str, list[tuple[str, np.ndarray]]] = {}

    def __call__(self, query: str) -> list[tuple[str, np.ndarray]]:
        got = self._memo.get(query)
        if got is None:
            got = self._memo[query] = self._compute(query)
        return got

    def _compute(self, query: str) -> list[tuple[str, np.ndarray]]:
        from hotline.knowledge.search import SearchFilters

        ix, a = self.index, self.index.analyzer
        cols, qw, content, _known, _asked = ix._query(query)
        found = ix._top(ix._main, cols, qw, SearchFilters(), ix.ranking.candidates)
        if not found:
            return []
        best = max(s for s, _ in found)
        r = ix.ranking
        idf = {w: ix._idf(w) for w in content}
        q_mass = sum(idf.values()) or 1.0
        ranked = []
        for score, doc in found:
            question, q_cov, d_cov = ix._best_question(doc, idf, q_mass)
            a_cov = ix._article_coverage(doc, idf, q_mass)
            final = score / best + r.question_coverage * d_cov + r.article_coverage * a_cov
            ranked.append((final, doc, question, score / best, q_cov, d_cov, a_cov))
        ranked.sort(key=lambda c: (-c[0], c[1].article_id))
        ranked = ranked[:TOP]
        # BM25 by channel: the candidates' rows of the weights, the query's columns.
        rows = [ix._where[c[1].article_id][1] for c in ranked]
        part = ix._main.weights[rows][:, cols].toarray() * qw
        channel_of = np.asarray(ix._channel_of)[cols]
        per = np.stack([part[:, channel_of == ch].sum(axis=1) for ch in range(len(r.channels))], axis=1)
        per = per / np.maximum(per.max(axis=0), 1e-9)
        q_grams = set(a.bigrams(query))
        words = a.words(query)
        first, last = (words[0], words[-1]) if words else ("", "")
        top = ranked[0][0]
        out = []
        for rank, (final, doc, question, bm, q_cov, d_cov, a_cov) in enumerate(ranked):
            grams = set(a.bigrams(question))
            shared = len(q_grams & grams)
            answer_grams = set(a.bigrams(doc.answer[:300]))
            lead = set(a.words(doc.answer[:60].replace("您好", "")))
            q_words = a.cached_words(question)
            row = [*per[rank], final, final / top, bm, q_cov, d_cov, a_cov, q_cov - a_cov,
                   2 * shared / (len(q_grams) + len(grams) or 1), shared / (len(q_grams) or 1),
                   shared / (len(grams) or 1), len(q_grams & answer_grams) / (len(q_grams) or 1),
                   sum(idf.get(w, 0.0) for w in set(words) & lead) / q_mass,
                   float(first in q_words), float(last in q_words),
                   abs(math.log((len(question) + 1) / (len(query) + 1))), 1.0 / (rank + 1)]
            out.append((doc.key, np.asarray(row)))
        return out


def evaluate(cands: Candidates, queries, score=None) -> tuple[float, float, float]:
    """recall@5, MRR (of the first 10), R@1 of the candidates ordered by `score` (None: as they are)."""
    r5 = mrr = r1 = 0.0
    for q in queries:
        got = cands(q.text)
        keys = [k for k, _ in got]
        if score is not None and got:
            s = score(np.vstack([f for _, f in got]))
            keys = [keys[i] for i in sorted(range(len(keys)), key=lambda i: (-s[i], i))]
        rank = next((i + 1 for i, k in enumerate(keys[:10]) if k in q.keys), None)
        r5 += bool(rank and rank <= 5)
        mrr += 1 / rank if rank else 0.0
        r1 += rank == 1
    n = len(queries)
    return r5 / n, mrr / n, r1 / n


# ---- self-supervised pseudo-queries ------------------------------------------------------------

_PUNCT = set("？?，,。！!：:、（）()“”\"' ")
PREFIX = ["", "", "请问", "我想问一下", "你好，", "麻烦问下"]
SUFFIX = ["", "", "怎么办", "吗", "啊", "怎么弄", "呢"]


class Pseudo:
    def __init__(self, index) -> None:
        from hotline.knowledge.text import STOP_WORDS, normalize

        self.tok = index.analyzer.tokenizer
        self.stop, self.normalize = STOP_WORDS, normalize
        self.groups = {w: g for g in index.analyzer.synonyms.groups for w in g}

    def from_question(self, question: str, rng: random.Random, drop: float) -> str:
        toks = [t for t in self.tok.cut(self.normalize(question), HMM=False) if t.strip() and t not in _PUNCT]
        content = sum(t not in self.stop for t in toks)
        out = []
        for t in toks:
            if t not in self.stop and content > 2 and rng.random() < drop:
                continue
            if t in self.groups and rng.random() < 0.5:
                t = rng.choice(self.groups[t])
            out.append(t)
        if len(out) > 3 and rng.random() < 0.3:
            j = rng.randrange(len(out) - 1)
            out[j], out[j + 1] = out[j + 1], out[j]
        return rng.choice(PREFIX) + "".join(out or toks) + rng.choice(SUFFIX)

    def hard(self, question: str, answer: str, rng: random.Random) -> str:
        if rng.random() < 0.4:  # a clause of the answer's opening (answers restate the question)
            opening = re.sub(r"^您好[：:，,]?", "", answer)
            clauses = [c for c in re.split(r"[，。；！？,;]", opening) if 6 <= len(c) <= 30]
            if clauses:
                return self.from_question(rng.choice(clauses[:3]), rng, 0.3)
        return self.from_question(question, rng, 0.45)


def score_val(index, val, ood, passes: int = 3):  # type: ignore[no-untyped-def]
    """The validation figures of an index variant (the thesaurus and PRF experiments): recall@5, MRR,
    R@1, the assistant's answered-right share, its abstention on out-of-KB questions, and CPU ms per
    search (after a warm-up pass; CPU time, since other jobs share the cores); and each query's rank."""
    from hotline.knowledge import assistant

    queries = [q.text for q in val + ood]
    for text in queries:  # warm-up: the tokenizer's and the index's caches
        index.search(text, limit=10)
    t0 = time.process_time()
    for _ in range(passes):
        hits = {text: index.search(text, limit=10) for text in queries}
    ms = (time.process_time() - t0) / (passes * len(queries)) * 1000
    r5 = mrr = r1 = right = 0.0
    ranks = {}
    for q in val:
        keys = [h.key for h in hits[q.text]]
        rank = next((i + 1 for i, k in enumerate(keys) if k in q.keys), None)
        ranks[q.text] = rank
        r5 += bool(rank and rank <= 5)
        mrr += 1 / rank if rank else 0.0
        r1 += rank == 1
        reply = assistant.decide(q.text, hits[q.text][:5])
        right += reply.kind == "answer" and reply.hit is not None and reply.hit.key in q.keys
    abstain = sum(assistant.decide(q.text, hits[q.text][:5]).abstained for q in ood) / len(ood)
    n = len(val)
    return (r5 / n, mrr / n, r1 / n, right / n, abstain, ms), ranks


def training_set(cands: Candidates, labelled):
    """Feature rows, labels and query ids of (query text, acceptable keys) pairs whose candidates
    hold both a right and a wrong article."""
    xs, ys, gs = [], [], []
    for qid, (text, keys) in enumerate(labelled):
        got = cands(text)
        lab = [k in keys for k, _ in got]
        if any(lab) and not all(lab):
            xs += [f for _, f in got]
            ys += lab
            gs += [qid] * len(got)
    return np.vstack(xs), np.asarray(ys), np.asarray(gs)


def pairwise(x, y, g):
    diffs, target = [], []
    for qid in np.unique(g):
        m = g == qid
        for p in x[m][y[m]]:
            for n in x[m][~y[m]]:
                diffs += [p - n, n - p]
                target += [1, 0]
    return np.vstack(diffs), np.asarray(target)


def models(x, y, g):
    """name -> scoring function over feature rows."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    out = {}
    for c in (0.01, 0.1, 1.0):
        lr = LogisticRegression(C=c, max_iter=5000).fit(x, y)
        out[f"logistic C={c}"] = lr.decision_function
    d, t = pairwise(x, y, g)
    pw = LogisticRegression(C=0.01, max_iter=5000, fit_intercept=False).fit(d, t)
    w = pw.coef_[0]
    out["pairwise logistic C=0.01"] = lambda z, w=w: z @ w
    for blend in (0.1, 0.3):
        out[f"current + {blend} x pairwise"] = lambda z, w=w, b=blend: z[:, FINAL] + b * (z @ w) / np.abs(w).sum()
    gb = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, max_depth=3, min_samples_leaf=20,
                                        early_stopping=False, random_state=0).fit(x, y)
    out["gradient-boosted trees"] = lambda z, m=gb: m.predict_proba(z)[:, 1]
    return out


class Latent:
    """Word co-occurrence similarity learned from the knowledge base itself (LSA): a semantic
    signal the lexical features lack (简单 ~ 强度太弱 when answers use both)."""

    def __init__(self, index, docs, dims: int) -> None:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        a = index.analyzer
        self.words = a.words
        texts = [" ".join(a.words(d.questions[0]) * 2 + a.dict_words(d.answer)) for d in docs]
        self.vec = TfidfVectorizer(analyzer=str.split, sublinear_tf=True)
        m = self.vec.fit_transform(texts)
        self.svd = TruncatedSVD(dims, random_state=0).fit(m)
        v = self.svd.transform(m)
        self.rows = {d.key: r for r, d in enumerate(docs)}
        self.docs = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)

    def evaluate(self, cands: Candidates, queries, a: float) -> tuple[float, float, float]:
        r5 = mrr = r1 = 0.0
        for q in queries:
            got = cands(q.text)
            v = self.svd.transform(self.vec.transform([" ".join(self.words(q.text))]))[0]
            v = v / (np.linalg.norm(v) or 1.0)
            s = [f[FINAL] + a * float(self.docs[self.rows[k]] @ v) for k, f in got]
            keys = [got[i][0] for i in sorted(range(len(got)), key=lambda i: (-s[i], i))]
            rank = next((i + 1 for i, k in enumerate(keys[:10]) if k in q.keys), None)
            r5 += bool(rank and rank <= 5)
            mrr += 1 / rank if rank else 0.0
            r1 += rank == 1
        n = len(queries)
        return r5 / n, mrr / n, r1 / n


def main() -> int:
    if not kb_eval.SOURCE.exists():
        print(f"skipped: {kb_eval.SOURCE} not found (the shared data set is not on this machine)")
        return 0
    from hotline.knowledge.text import normalize

    t0 = time.perf_counter()
    index, docs = load_index()
    cands = Candidates(index)
    para, _ = kb_eval.load_queries()
    val = [q for q in para if q.split == "val"]  # the test half is never scored here
    print(f"data: {kb_eval.SOURCE.name}, {len(docs)} articles, index built in {time.perf_counter() - t0:.1f} s; "
          f"{len(val)} validation queries; top {TOP} reranked")

    def line(name, figures):
        print(f"  {name:<34} {figures[0]:>9.3f} {figures[1]:>6.3f} {figures[2]:>6.3f}")

    print(f"\n  {'validation':<34} {'recall@5':>9} {'MRR':>6} {'R@1':>6}")
    line("current ranking", evaluate(cands, val))

    same: dict[str, set[str]] = {}
    for d in docs:
        same.setdefault(normalize(d.questions[0]).strip(" ？?。"), set()).add(d.key)
    pseudo = Pseudo(index)
    for name, make in (("easy", lambda d, rng: pseudo.from_question(d.questions[0], rng, 0.3)),
                       ("hard", lambda d, rng: pseudo.hard(d.questions[0], d.answer, rng))):
        rng = random.Random(0)
        labelled = [(make(d, rng), same[normalize(d.questions[0]).strip(" ？?。")]) for d in docs for _ in range(2)]
        x, y, g = training_set(cands, labelled)
        current_r1 = np.mean([y[g == qid][0] for qid in np.unique(g)])
        print(f"\nself-supervised, {name} pseudo-queries: {len(np.unique(g))} queries, {len(y)} rows "
              f"(the current ranking puts a right article first on {current_r1:.3f} of them)")
        for label, score in models(x, y, g).items():
            line(label, evaluate(cands, val, score))

    print("\nsupervised, 5-fold cross-validation over the validation queries (by query)")
    totals: dict[str, np.ndarray] = {}
    for fold in range(5):
        train = [q for i, q in enumerate(val) if i % 5 != fold]
        held = [q for i, q in enumerate(val) if i % 5 == fold]
        x, y, g = training_set(cands, [(q.text, set(q.keys)) for q in train])
        for label, score in models(x, y, g).items():
            totals[label] = totals.get(label, 0) + np.asarray(evaluate(cands, held, score)) * len(held)
    for label, total in totals.items():
        line(label, total / len(val))
    print("\nlatent semantic cosine (TF-IDF of question words x2 + answer words, truncated SVD of the KB):")
    print("current score + a x cosine of query and article")
    for dims in (50, 100, 200):
        lsa = Latent(index, docs, dims)
        for a in (0.1, 0.3, 0.5):
            line(f"{dims} dimensions, a={a}", lsa.evaluate(cands, val, a))
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
