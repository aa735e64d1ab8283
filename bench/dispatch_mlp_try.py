"""A non-linear member, tried on the category model: a one-hidden-layer network (scikit-learn's
MLPClassifier) on TF-IDF features, alone and mixed with the current model — cross-validated inside
the TRAINING part of the tipdm2020c split of bench/dispatch_eval.py (the test part is never read).

Every learner tried so far (docs/dispatch.md, rounds 1–9) is linear in the n-grams, or a
nearest-neighbour or embedding member; a hidden layer can learn conjunctions of words (楼上 + 噪音
is not 楼盘 + 噪音) that a linear model cannot. Rows and folds are those of dispatch_clean_cv.py
(title+detail pairs as the bench pairs them, plus the unpaired titles and details; 5 outer folds);
each fold's title+detail pairs are scored by the current model, by the network, and by
(1 − w) × model + w × network.

    .venv/bin/python bench/dispatch_mlp_try.py [--hidden 256] [--features 60000] [--epochs 12] [--batch 128] [--folds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import SelectKBest, chi2
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.neural_network import MLPClassifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from dispatch_clean_cv import fit_eval, training_rows  # noqa: E402

from hotline.dispatch.text import Analyzer  # noqa: E402

WEIGHTS = (0.0, 0.2, 0.3, 0.4, 0.5, 1.0)


def joined(row: tuple[str, str, str]) -> str:
    return (row[0] + "。" + row[1][:600]).strip("。")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--features", type=int, default=60000, help="kept by chi-squared, per fold")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--alpha", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--folds", type=int, default=5, help="run only the first N of the 5 folds")
    args = ap.parse_args()
    rows = training_rows()
    labels = np.array([r[2] for r in rows])
    print(len(rows), "rows;", sum(bool(r[0] and r[1]) for r in rows), "with both", flush=True)
    analyzer = Analyzer(char_range=(1, 3), word_range=(1, 2))
    tokens = [analyzer(joined(r)) for r in rows]  # tokenised once, reused by every fold
    outer = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=7)
    right = {w: 0 for w in WEIGHTS}
    n = 0
    for f, (tr, te) in enumerate(outer.split(np.zeros(len(rows)), labels, np.arange(len(rows)))):
        if f >= args.folds:
            break
        te_both = [i for i in te if rows[i][0] and rows[i][1]]
        t0 = time.time()
        model, _ = fit_eval(rows, list(tr), te_both)
        p_model, _ = model.predict_proba([rows[i][0] for i in te_both], [rows[i][1] for i in te_both], n_jobs=2)
        t1 = time.time()
        vec = TfidfVectorizer(analyzer=lambda toks: toks, min_df=2, sublinear_tf=True, dtype=np.float32)
        x_tr = vec.fit_transform([tokens[i] for i in tr])
        pick = SelectKBest(chi2, k=min(args.features, x_tr.shape[1])).fit(x_tr, labels[tr])
        net = MLPClassifier(hidden_layer_sizes=(args.hidden,), alpha=args.alpha, max_iter=args.epochs,
                            batch_size=args.batch, learning_rate_init=1e-3, random_state=20200601)
        net.fit(pick.transform(x_tr), labels[tr])
        x_te = pick.transform(vec.transform([tokens[i] for i in te_both]))
        p_net = net.predict_proba(x_te)
        # the two models' classes in the model's order
        order = [list(net.classes_).index(c) for c in model.classes_]
        p_net = p_net[:, order]
        y = labels[te_both]
        cls = np.array(model.classes_)
        for w in WEIGHTS:
            right[w] += int((cls[((1 - w) * p_model + w * p_net).argmax(1)] == y).sum())
        n += len(te_both)
        print(f"fold {f}: model {time.time() - t0 - (time.time() - t1):.0f} s, network {time.time() - t1:.0f} s "
              f"({x_tr.shape[1]} features → {pick.k}); pairs {len(te_both)}; "
              + " ".join(f"w={w}: {right[w]}" for w in WEIGHTS), flush=True)
    for w in WEIGHTS:
        what = "current model" if w == 0 else ("network alone" if w == 1 else f"mix w={w}")
        print(f"{what:<14} title+detail accuracy {right[w] / n:.4f} ({right[w]} of {n})")


if __name__ == "__main__":
    main()
