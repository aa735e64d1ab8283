"""Reproduce the dispatch classifiers' figures on the real data (never copied into the repo):

    .venv/bin/python bench/dispatch_eval.py                 # held-out figures, timing, latency, memory
    .venv/bin/python bench/dispatch_eval.py --tune          # + choose hyper-parameters by CV (train part only)
    .venv/bin/python bench/dispatch_eval.py --perf-only     # 15k training time, latency, memory only

Category (tipdm2020c, 7 top-level labels). The titles file and the details file hold the same
messages, unlinked: they are paired first (hotline.dispatch.linking, within each label), and a
message — a pair, plus every row with the same title or detail text — is one unit of the split.
Seeded stratified 80/20 over those units; the test part is only ever scored, once, at the end.
Training uses the train part of both files exactly as `hotline dispatch train --input titles.csv
--input details.csv` does. Test sets: titles alone, details alone, and title+detail of the paired
test messages.

Kind (fz12345_water, 投诉/咨询/建议/举报/求助): both files, duplicates grouped, seeded stratified 80/20.

The data path is HOTLINE_DATA_PATH (default ../shared/data from the repo root).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hotline.dispatch import category_names, metrics, store  # noqa: E402
from hotline.dispatch.linking import link  # noqa: E402
from hotline.dispatch.model import ClassifierConfig, TextClassifier  # noqa: E402
from hotline.dispatch.text import normalise  # noqa: E402
from hotline.dispatch.training import train_rows  # noqa: E402

SEED = 20200601
TEST_FRACTION = 0.2


def data_path() -> Path:
    from hotline.config import Settings

    p = Settings().data_path
    return p if p.is_absolute() else (ROOT / p).resolve()


def machine() -> dict[str, str]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = next((int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
                if x.startswith("MemTotal")), 0)
    libs = {d: metadata.version(d) for d in ("scikit-learn", "numpy", "scipy", "jieba", "joblib")}
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "memory": f"{mem / 1024 / 1024:.0f} GiB",
            "python": platform.python_version(), **libs,
            "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


class Groups:
    """Union-find over row keys."""

    def __init__(self) -> None:
        self.parent: dict[object, object] = {}

    def find(self, x: object) -> object:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: object, b: object) -> None:
        self.parent[self.find(a)] = self.find(b)


def stratified_split(keys: list[object], labels: list[str], groups: Groups, seed: int) -> set[object]:
    """The test groups: TEST_FRACTION of each label's groups, seeded."""
    glabel: dict[object, str] = {}
    for k, y in zip(keys, labels, strict=True):
        glabel.setdefault(groups.find(k), y)
    rng = np.random.default_rng(seed)
    test: set[object] = set()
    for y in sorted(set(glabel.values())):
        gs = sorted((g for g in glabel if glabel[g] == y), key=str)
        rng.shuffle(gs)
        test.update(gs[: int(round(TEST_FRACTION * len(gs)))])
    return test


# ---- category: tipdm2020c ---------------------------------------------------------------------------

def category_split(data: Path) -> dict[str, object]:
    t_rows = read(data / "tipdm2020c" / "messages_titles_labeled.csv")
    d_rows = read(data / "tipdm2020c" / "messages_details_labeled.csv")
    T = [r["留言主题"].strip() for r in t_rows]
    TL = [r["一级标签"].strip() for r in t_rows]
    D = [r["留言详情"].strip() for r in d_rows]
    DL = [r["一级标签"].strip() for r in d_rows]
    started = time.perf_counter()
    pairs = link(T, D, TL, DL)
    link_seconds = time.perf_counter() - started
    g = Groups()
    first: dict[tuple[str, str], object] = {}
    for kind, texts in (("t", T), ("d", D)):
        for i, s in enumerate(texts):
            key = (kind, normalise(s))
            g.union((kind, i), first.setdefault(key, (kind, i)))
    partner = {}
    for ti, di, _s in pairs:
        g.union(("t", ti), ("d", di))
        partner[di] = ti
    keys = [("t", i) for i in range(len(T))] + [("d", j) for j in range(len(D))]
    test = stratified_split(keys, TL + DL, g, SEED)
    t_test = [g.find(("t", i)) in test for i in range(len(T))]
    d_test = [g.find(("d", j)) in test for j in range(len(D))]
    return {"T": T, "TL": TL, "D": D, "DL": DL, "partner": partner, "t_test": t_test, "d_test": d_test,
            "pairs": len(pairs), "link_seconds": link_seconds}


def evaluate(model: TextClassifier, titles: list[str], contents: list[str], labels: list[str]) -> dict:
    proba, views = model.predict_proba(titles, contents, n_jobs=2)
    return metrics.report(labels, proba, model.classes_, [model.threshold_for(v) for v in views])


def tree_names(data: Path, use: bool) -> list[tuple[str, str]]:
    """The contest's own category tree (label_taxonomy.csv: 一级分类 › 二级分类 › 三级分类), as
    `hotline dispatch train --category-tree` reads it; none unless asked (--category-tree)."""
    return category_names.from_csv(data / "tipdm2020c" / "label_taxonomy.csv") if use else []


def category(data: Path, config: ClassifierConfig, out: dict, names: list[tuple[str, str]]) -> TextClassifier:
    s = category_split(data)
    T, TL, D, DL, partner = s["T"], s["TL"], s["D"], s["DL"], s["partner"]
    tr_t = [i for i in range(len(T)) if not s["t_test"][i]]
    tr_d = [j for j in range(len(D)) if not s["d_test"][j]]
    te_t = [i for i in range(len(T)) if s["t_test"][i]]
    te_d = [j for j in range(len(D)) if s["d_test"][j]]
    te_p = [j for j in te_d if j in partner]
    print(f"category: {len(T)} titles, {len(D)} details; {s['pairs']} title–detail pairs "
          f"({s['link_seconds']:.1f} s); train {len(tr_t)} titles + {len(tr_d)} details; "
          f"test {len(te_t)} titles, {len(te_d)} details, {len(te_p)} pairs", flush=True)
    titles = [T[i] for i in tr_t] + [""] * len(tr_d)
    contents = [""] * len(tr_t) + [D[j] for j in tr_d]
    labels = [TL[i] for i in tr_t] + [DL[j] for j in tr_d]
    started = time.perf_counter()
    model, pairing = train_rows(titles, contents, labels, config=config, names=names)
    seconds = time.perf_counter() - started
    print(f"  trained in {seconds:.1f} s (pairing {pairing['paired_title_content']} train rows; "
          f"{model.cv.get('category_names', 0)} category-tree names)", flush=True)
    out["category"] = {
        "data": {"titles": len(T), "details": len(D), "pairs": s["pairs"], "train_titles": len(tr_t),
                 "train_details": len(tr_d), "test_titles": len(te_t), "test_details": len(te_d),
                 "test_pairs": len(te_p)},
        "train_seconds": round(seconds, 1),
        "cv_inside_train": model.cv,
        "thresholds": model.thresholds,
        "test": {
            "titles": evaluate(model, [T[i] for i in te_t], [""] * len(te_t), [TL[i] for i in te_t]),
            "details": evaluate(model, [""] * len(te_d), [D[j] for j in te_d], [DL[j] for j in te_d]),
            "title+detail": evaluate(model, [T[partner[j]] for j in te_p], [D[j] for j in te_p],
                                     [DL[j] for j in te_p]),
        },
    }
    for name, fig in out["category"]["test"].items():
        print(f"  test {name:<13} {json.dumps(fig, ensure_ascii=False)}", flush=True)
    out["_category_test_pairs"] = ([T[partner[j]] for j in te_p], [D[j] for j in te_p], [DL[j] for j in te_p])
    return model


# ---- kind: fz12345_water ----------------------------------------------------------------------------

def kind(data: Path, config: ClassifierConfig, out: dict) -> None:
    rows = []
    for name, content_col in (("fz12345_water_complaints_1464.csv", "投诉件内容"),
                              ("fz12345_2016_crawl_317.csv", "诉求件内容")):
        for r in read(data / "fz12345_water" / name):
            if r["性质"].strip():
                rows.append((r["标题"].strip(), r[content_col].strip(), r["性质"].strip()))
    g = Groups()
    first: dict[str, object] = {}
    for i, (t, c, _y) in enumerate(rows):
        g.union(i, first.setdefault(normalise(c) or normalise(t), i))
    keys = list(range(len(rows)))
    test = stratified_split(keys, [y for _t, _c, y in rows], g, SEED)
    tr = [rows[i] for i in keys if g.find(i) not in test]
    te = [rows[i] for i in keys if g.find(i) in test]
    started = time.perf_counter()
    model, _ = train_rows([t for t, _c, _y in tr], [c for _t, c, _y in tr], [y for _t, _c, y in tr],
                          config=config, link=False)
    seconds = time.perf_counter() - started
    counts: dict[str, int] = defaultdict(int)
    for _t, _c, y in te:
        counts[y] += 1
    majority = max(counts.values()) / len(te)
    y_te = [y for _t, _c, y in te]
    out["kind"] = {
        "data": {"rows": len(rows), "train": len(tr), "test": len(te), "test_labels": dict(counts)},
        "train_seconds": round(seconds, 1),
        "majority_baseline_accuracy": round(majority, 4),
        "cv_inside_train": model.cv["richest_view"],
        "test": {
            "title+content": evaluate(model, [t for t, _c, _y in te], [c for _t, c, _y in te], y_te),
            "title": evaluate(model, [t for t, _c, _y in te], [""] * len(te), y_te),
            "content": evaluate(model, [""] * len(te), [c for _t, c, _y in te], y_te),
        },
    }
    print(f"kind: {len(rows)} rows, train {len(tr)}, test {len(te)} (majority baseline {majority:.4f}); "
          f"trained in {seconds:.1f} s", flush=True)
    for name, fig in out["kind"]["test"].items():
        print(f"  test {name:<13} {json.dumps(fig, ensure_ascii=False)}", flush=True)


# ---- performance --------------------------------------------------------------------------------------

def latency(model: TextClassifier, titles: list[str], contents: list[str], n: int = 500) -> dict:
    model.predict(titles[0], contents[0])  # warm: jieba's dictionary
    out = {}
    for name, tt, cc in (("title+content", titles, contents), ("title", titles, [""] * len(titles)),
                         ("content", [""] * len(contents), contents)):
        times, cpu = [], []
        for t, c in list(zip(tt, cc, strict=True))[:n]:
            s, sc = time.perf_counter(), time.thread_time()
            model.predict(t, c)
            cpu.append((time.thread_time() - sc) * 1000)  # this thread's CPU: not inflated by others' load
            times.append((time.perf_counter() - s) * 1000)
        a, b = np.array(times), np.array(cpu)
        out[name] = {"n": len(a), "p50_ms": round(float(np.percentile(a, 50)), 2),
                     "p95_ms": round(float(np.percentile(a, 95)), 2), "p99_ms": round(float(np.percentile(a, 99)), 2),
                     "cpu_p50_ms": round(float(np.percentile(b, 50)), 2),
                     "cpu_p95_ms": round(float(np.percentile(b, 95)), 2)}
    return out


MEMORY_PROBE = """
import sys, json
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS'): return int(line.split()[1]) / 1024
import numpy, scipy.sparse, sklearn.linear_model, jieba
from hotline.dispatch import store, text
text._tokenizer()
base = rss()
model, meta = store.load(sys.argv[1])
model.predict(sys.argv[2], sys.argv[3])
print(json.dumps({"rss_before_load_mb": round(base, 1), "rss_after_load_mb": round(rss(), 1),
                  "model_mb": round(rss() - base, 1)}))
"""


def memory(model_path: Path, title: str, content: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    res = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(model_path), title, content],
                         capture_output=True, text=True, env=env, check=True)
    return {**json.loads(res.stdout.strip().splitlines()[-1]), "file_mb": round(model_path.stat().st_size / 2**20, 1)}


def training_time_15k(data: Path, config: ClassifierConfig, names: list[tuple[str, str]],
                      keep: dict | None = None) -> dict:
    """Timing only: the 7,266 tipdm messages twice (14,532 rows), pairs already joined as one
    title+content row, as a CSV with both columns would give them. `keep` receives the model and
    the title+content pairs (for --perf-only)."""
    s = category_split(data)
    partner_of_title = {ti: dj for dj, ti in s["partner"].items()}
    titles, contents, labels = [], [], []
    for i, t in enumerate(s["T"]):
        titles.append(t)
        contents.append(s["D"][partner_of_title[i]] if i in partner_of_title else "")
        labels.append(s["TL"][i])
    titles, contents, labels = titles * 2, contents * 2, labels * 2
    started, cpu = time.perf_counter(), time.process_time()
    model = TextClassifier(config).fit(titles, contents, labels, names=names)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu  # the main process only: tokenising workers are not counted
    both = sum(1 for c in contents if c)
    if keep is not None:
        keep["model"] = model
        keep["pairs"] = ([t for t, c in zip(titles, contents, strict=True) if c][:500],
                         [c for c in contents if c][:500])
    return {"rows": len(titles), "rows_with_title_and_content": both, "seconds": round(seconds, 1),
            "main_process_cpu_seconds": round(cpu, 1)}


def cli_check(model_path: Path, test_pairs: tuple[list[str], list[str], list[str]]) -> dict:
    """`hotline dispatch evaluate --json` on the held-out title+detail pairs, through the CLI."""
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "heldout_pairs.csv"
        with csv_path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["留言主题", "留言详情", "一级标签"])
            w.writerows(zip(*test_pairs, strict=True))
        cmd = [str(ROOT / ".venv" / "bin" / "hotline"), "dispatch", "evaluate", "--model", str(model_path),
               "--input", str(csv_path), "--title-col", "留言主题", "--content-col", "留言详情",
               "--label-col", "一级标签", "--json"]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        return json.loads(res.stdout)


# ---- tuning (CV inside the training part only) ----------------------------------------------------------

GRID = {
    "default": {},
    "no view stacking": {"stack_views": False},
    "sgd tol 1e-3": {"tol": 1e-3},
    "3 folds": {"folds": 3},
    "first 1000 chars": {"max_chars": 1000},
    "all chars": {"max_chars": 0},
    "sgd alpha 2e-5": {"alpha": 2e-5},
    "sgd alpha 5e-6": {"alpha": 5e-6},
    "LinearSVC C=0.5": {"learners": ("svc",), "c": 0.5},
    "word bigrams too": {"word_range": (1, 2)},
    "no digit folding": {"fold_digits": False},
    "jieba HMM on": {"hmm": True},
}


def tune(data: Path, base: ClassifierConfig, out: dict) -> None:
    s = category_split(data)
    T, TL, D, DL = s["T"], s["TL"], s["D"], s["DL"]
    tr_t = [i for i in range(len(T)) if not s["t_test"][i]]
    tr_d = [j for j in range(len(D)) if not s["d_test"][j]]
    titles = [T[i] for i in tr_t] + [""] * len(tr_d)
    contents = [""] * len(tr_t) + [D[j] for j in tr_d]
    labels = [TL[i] for i in tr_t] + [DL[j] for j in tr_d]
    results = {}
    only = os.environ.get("BENCH_TUNE_ONLY")  # e.g. "default,no view stacking"
    for name, change in GRID.items():
        if only and name not in only.split(","):
            continue
        cfg = replace(base, **change)
        started = time.perf_counter()
        model, _ = train_rows(titles, contents, labels, config=cfg)
        cv = model.cv
        results[name] = {"cv_both": cv["by_view"].get("both"), "cv_title": cv["by_view"]["title"]["accuracy"],
                         "cv_content": cv["by_view"]["content"]["accuracy"],
                         "seconds": round(time.perf_counter() - started, 1)}
        print(f"  tune {name:<20} {json.dumps(results[name], ensure_ascii=False)}", flush=True)
    out["tuning"] = results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tune", action="store_true", help="cross-validate the hyper-parameter grid first")
    ap.add_argument("--tune-only", action="store_true", help="only the cross-validated grid; no test figures")
    ap.add_argument("--skip-15k", action="store_true", help="skip the 15k-message training-time run")
    ap.add_argument("--perf-only", action="store_true",
                    help="only the 15k training time, then latency and memory of that model (no accuracy figures)")
    ap.add_argument("--out", type=Path, help="write the figures as JSON here")
    ap.add_argument("--category-tree", action="store_true",
                    help="train the category model with the names of label_taxonomy.csv (round 12: no reliable gain)")
    args = ap.parse_args()
    data = data_path()
    if not (data / "tipdm2020c").is_dir():
        raise SystemExit(f"real data not found at {data} (set HOTLINE_DATA_PATH)")
    config = ClassifierConfig()
    names = tree_names(data, args.category_tree)
    out: dict = {"machine": machine(), "config": config.to_dict(), "seed": SEED, "category_tree_names": len(names)}
    print(json.dumps(out["machine"], ensure_ascii=False), flush=True)
    if args.perf_only:
        keep: dict = {}
        out["training_15k"] = training_time_15k(data, config, names, keep)
        print(f"training time, 15k messages: {json.dumps(out['training_15k'])}", flush=True)
        out["latency"] = latency(keep["model"], *keep["pairs"])
        print(f"latency (one ticket, in-process): {json.dumps(out['latency'])}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "category15k.joblib"
            store.save(keep["model"], path, store.describe(keep["model"], training_data={"bench": "15k timing"}))
            out["memory"] = memory(path, keep["pairs"][0][0], keep["pairs"][1][0])
        print(f"memory: {json.dumps(out['memory'])}", flush=True)
        out["machine"]["load_average_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"load average at the end: {out['machine']['load_average_end']}")
        if args.out:
            args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
        return
    if args.tune or args.tune_only:
        tune(data, config, out)
        if args.tune_only:
            return
    model = category(data, config, out, names)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "category.joblib"
        store.save(model, path, store.describe(model, training_data={"bench": "tipdm2020c train part"}))
        pairs = out.pop("_category_test_pairs")
        out["category"]["cli_evaluate_title+detail"] = cli_check(path, pairs)
        print(f"  CLI evaluate --json on the test pairs: {json.dumps(out['category']['cli_evaluate_title+detail'])}")
        out["latency"] = latency(model, pairs[0], pairs[1])
        print(f"latency (one ticket, in-process): {json.dumps(out['latency'])}", flush=True)
        out["memory"] = memory(path, pairs[0][0], pairs[1][0])
        print(f"memory: {json.dumps(out['memory'])}", flush=True)
    kind(data, config, out)
    if not args.skip_15k:
        out["training_15k"] = training_time_15k(data, config, names)
        print(f"training time, 15k messages: {json.dumps(out['training_15k'])}", flush=True)
    out["machine"]["load_average_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    if args.out:
        args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
