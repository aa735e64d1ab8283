"""Label cleaning, tried on the category model: nested cross-validation inside the TRAINING part
of the tipdm2020c split of bench/dispatch_eval.py (the test part is never read).

In each of 5 outer folds the current model is trained on the other folds' rows (title+detail
pairs as the bench pairs them, and the unpaired titles and details) and scores the fold's pairs;
then the training rows whose label gets an out-of-fold probability below tau from that model's
own inner cross-validation (`TextClassifier.oof_`, each row's richest view) are dropped — rows
the model finds mislabelled, as "confident learning" does — and the model trained again on the
rest scores the same pairs.

    .venv/bin/python bench/dispatch_clean_cv.py [0.05,0.2]    # the values of tau
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from dispatch_eval import category_split, data_path  # noqa: E402

from hotline.dispatch import metrics  # noqa: E402
from hotline.dispatch.model import ClassifierConfig, TextClassifier  # noqa: E402


def fit_eval(rows: list[tuple[str, str, str]], train: list[int], test: list[int]) -> tuple[TextClassifier, dict]:
    """The current model trained on `train` rows, and its figures on the `test` rows."""
    m = TextClassifier(ClassifierConfig()).fit([rows[i][0] for i in train], [rows[i][1] for i in train],
                                               [rows[i][2] for i in train])
    proba, views = m.predict_proba([rows[i][0] for i in test], [rows[i][1] for i in test], n_jobs=2)
    return m, metrics.report([rows[i][2] for i in test], proba, m.classes_, [m.threshold_for(v) for v in views])


def training_rows() -> list[tuple[str, str, str]]:
    """(title, content, label) of the training part: its pairs, then unpaired titles and details."""
    s = category_split(data_path())
    T, TL, D, DL, partner = s["T"], s["TL"], s["D"], s["DL"], s["partner"]
    tr_t = [i for i in range(len(T)) if not s["t_test"][i]]
    tr_d = [j for j in range(len(D)) if not s["d_test"][j]]
    paired_t = {partner[j] for j in tr_d if j in partner}
    train_titles = set(tr_t)
    rows = [(T[partner[j]], D[j], DL[j]) for j in tr_d if j in partner and partner[j] in train_titles]
    rows += [(T[i], "", TL[i]) for i in tr_t if i not in paired_t]
    rows += [("", D[j], DL[j]) for j in tr_d if j not in partner or partner[j] not in train_titles]
    return rows


def main() -> None:
    taus = [float(t) for t in sys.argv[1].split(",")] if len(sys.argv) > 1 else [0.05, 0.2]
    rows = training_rows()
    labels = np.array([r[2] for r in rows])
    print(len(rows), "rows;", sum(bool(r[0] and r[1]) for r in rows), "with both", flush=True)
    outer = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=7)
    res = {"base": [], **{f"tau={t}": [] for t in taus}}
    dropped = {t: 0 for t in taus}
    for f, (tr, te) in enumerate(outer.split(np.zeros(len(rows)), labels, np.arange(len(rows)))):
        te_both = [i for i in te if rows[i][0] and rows[i][1]]
        t0 = time.time()
        m0, rep0 = fit_eval(rows, list(tr), te_both)
        res["base"].append(rep0)
        oof = m0.oof_
        cls = {c: k for k, c in enumerate(m0.classes_)}
        # each training row's richest view (views stacked title, content, both: the last wins)
        richest = {}
        for pos, r in enumerate(oof["group"]):
            richest[int(r)] = pos
        # the model numbers the rows it kept; every row here has a label and a text, so all are
        assert sorted(richest) == list(range(len(tr))), "the model left training rows out"
        p_given = np.array([oof["proba"][richest[r], cls[oof["y"][richest[r]]]] for r in range(len(tr))])
        for t in taus:
            keep = [tr[r] for r in range(len(tr)) if p_given[r] >= t]
            dropped[t] += len(tr) - len(keep)
            _, rep = fit_eval(rows, keep, te_both)
            res[f"tau={t}"].append(rep)
        print(f"fold {f}: {time.time() - t0:.0f} s; base acc {rep0['accuracy']:.4f} " +
              " ".join(f"tau={t}: {res[f'tau={t}'][-1]['accuracy']:.4f}" for t in taus), flush=True)
    for name, reps in res.items():
        n = sum(r["n"] for r in reps)
        acc = sum(r["accuracy"] * r["n"] for r in reps) / n
        sent = [r["coverage_at_threshold"] * r["n"] for r in reps]  # dispatched automatically, per fold
        right = sum((r["precision_at_threshold"] or 0.0) * k for r, k in zip(reps, sent, strict=True))
        print(f"{name:<10} acc {acc:.4f} coverage {sum(sent) / n:.3f} precision "
              f"{right / sum(sent) if sum(sent) else float('nan'):.4f} (all pooled over the outer folds)")
    print("dropped per fold (mean):", {t: dropped[t] / 5 for t in taus})


if __name__ == "__main__":
    main()
