"""The place reader (dispatch/place.py) on real work orders: Fuzhou 12345, rivers and black-odorous water.

    .venv/bin/python bench/place_eval.py [--json]

Each row of ../shared/data/fz12345_water/ (both files) carries the district the work order was filed
under (区域). The reader sees only what an operator would have — the title and the content, there is
no separate address field — and must name the district, or a street or town inside it. Rows filed
under 福州市直属 (city level) or with no district are left out: they have no district to find.

The gazetteer is Fuzhou's administrative divisions as public lists give them (13 districts, counties
and county-level cities, and the streets and towns of the five urban districts), typed here as the
bench's own fixture: the platform's reader never sees Fuzhou otherwise — a deployment reads its own
jurisdiction tree. Nothing in it was chosen by looking at the work orders. Two readers are measured:
district names only, and districts with their streets and towns.

Printed per reader: rows with a guess below the city (the city alone names no district), district
accuracy of the guesses, and the same at the
confidence the dispatch suggestion acts on (PLACE_CONFIDENCE) — the share that would be routed
without asking the operator, and how often that is right. The data path is HOTLINE_DATA_PATH.

    .venv/bin/python bench/place_eval.py --learn [--json]

measures place names learned from closed tickets (dispatch/place_names.py, the registry's 地名库):
the rows are split 80/20 by a hash of their text (a text filed twice stays on one side); names are
learned from the 80% with the platform's default settings (at least 3 tickets, 90% of them under
one place) and the reader with them is measured on the 20%, beside the reader without them on the
same rows. Other settings are compared by 5-fold cross-validation inside the 80% only.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hotline.dispatch import place_names  # noqa: E402
from hotline.dispatch.place import PLACE_CONFIDENCE, Gazetteer, Place  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("HOTLINE_DATA_PATH", ROOT.parent / "shared" / "data")) / "fz12345_water"
FILES = (("fz12345_water_complaints_1464.csv", "投诉件内容"), ("fz12345_2016_crawl_317.csv", "诉求件内容"))

# Fuzhou (福州市): districts, counties and county-level cities. 长乐 was a county-level city (长乐市)
# until 2017; its name without the suffix ("长乐") reads either.
DISTRICTS = ("鼓楼区", "台江区", "仓山区", "晋安区", "马尾区", "长乐区", "福清市", "闽侯县", "连江县",
             "罗源县", "闽清县", "永泰县", "平潭县")
# Streets (街道) and towns (镇/乡) of the five urban districts.
STREETS = {
    "鼓楼区": ("鼓东街道", "鼓西街道", "温泉街道", "东街街道", "南街街道", "安泰街道", "华大街道", "水部街道",
              "五凤街道", "洪山镇"),
    "台江区": ("瀛洲街道", "后洲街道", "义洲街道", "新港街道", "上海街道", "苍霞街道", "茶亭街道", "洋中街道",
              "鳌峰街道", "宁化街道"),
    "仓山区": ("仓前街道", "东升街道", "对湖街道", "临江街道", "三叉街街道", "上渡街道", "下渡街道", "金山街道",
              "盖山镇", "建新镇", "城门镇", "螺洲镇", "仓山镇"),
    "晋安区": ("茶园街道", "王庄街道", "象园街道", "鼓山镇", "新店镇", "岳峰镇", "宦溪镇", "寿山乡", "日溪乡"),
    "马尾区": ("罗星街道", "马尾镇", "亭江镇", "琅岐镇"),
}


def gazetteer(with_streets: bool) -> Gazetteer:
    places = [Place(1, "350100", "福州市", "city", "/350100/")]
    for i, name in enumerate(DISTRICTS, start=1):
        dpath = f"/350100/d{i}/"
        places.append(Place(100 + i, f"d{i}", name, "district", dpath))
        if with_streets:
            for j, street in enumerate(STREETS.get(name, ()), start=1):
                places.append(Place(1000 * i + j, f"d{i}s{j}", street, "street", f"{dpath}s{j}/"))
    return Gazetteer(places)


def district_of(guess_path: str, gaz: Gazetteer) -> str | None:
    by_path = {p.path: p.name for p in gaz.places if p.level == "district"}
    for path, name in by_path.items():
        if guess_path.startswith(path):
            return name
    return None


def load_rows() -> list[tuple[str, str]]:
    rows = []
    for name, content_col in FILES:
        with (DATA / name).open(encoding="utf-8-sig", newline="") as f:
            for r in csv.DictReader(f):
                district = (r.get("区域") or "").strip()
                if district in DISTRICTS:
                    rows.append((district, f"{r.get('标题') or ''} {r.get(content_col) or ''}"))
    return rows


def measure(rows: list[tuple[str, str]], gaz: Gazetteer) -> dict[str, object]:
    guessed = right = sure = sure_right = 0
    wrong: Counter[str] = Counter()
    levels: dict[float, list[int]] = {}  # confidence → [guesses, right]: is the confidence calibrated?
    start = time.perf_counter()
    for district, text in rows:
        g = gaz.guess(address=None, text=text)
        if g is None or g.place.level == "city":  # "福州市" alone names no district
            continue
        guessed += 1
        ok = district_of(g.place.path, gaz) == district
        right += ok
        level = levels.setdefault(g.confidence, [0, 0])
        level[0] += 1
        level[1] += ok
        if not ok:
            wrong[g.matched] += 1
        if g.confidence >= PLACE_CONFIDENCE:
            sure += 1
            sure_right += ok
    elapsed = time.perf_counter() - start
    n = len(rows)
    return {
        "n": n, "guessed": guessed, "guessed_share": round(guessed / n, 4),
        "accuracy_of_guesses": round(right / guessed, 4) if guessed else None,
        "right_share": round(right / n, 4),
        "acted_on_share": round(sure / n, 4),
        "accuracy_acted_on": round(sure_right / sure, 4) if sure else None,
        "most_wrong_words": wrong.most_common(5),
        "by_confidence": {f"{c:.2f}": {"guesses": n_, "right": round(r_ / n_, 4)}
                          for c, (n_, r_) in sorted(levels.items())},
        "mean_ms_per_row": round(1000 * elapsed / n, 3),
    }


SETTINGS = [(s, p) for s in (2, 3, 5) for p in (0.8, 0.9, 1.0)]  # (min tickets, min share) tried


def _fold(text: str, k: int) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16) % k


def with_learned(train: list[tuple[str, str]], gaz: Gazetteer, min_support: int,
                 min_purity: float) -> tuple[Gazetteer, list[place_names.LearnedName]]:
    path_of = {p.name: p.path for p in gaz.places if p.level == "district"}
    learned = place_names.learn(((text, path_of[d]) for d, text in train), gaz.places, min_support=min_support,
                                min_purity=min_purity, known=gaz)
    return Gazetteer(gaz.places, [(x.name, x.place.id) for x in learned]), learned


def learn_report(rows: list[tuple[str, str]]) -> dict[str, object]:
    gaz = gazetteer(True)
    train = [r for r in rows if _fold(r[1], 5) != 0]
    test = [r for r in rows if _fold(r[1], 5) == 0]
    cv = {}
    for setting in SETTINGS:  # folds inside the training part only
        right = sure = sure_right = 0
        for k in range(5):
            inner = [r for r in train if _fold("cv" + r[1], 5) != k]
            held = [r for r in train if _fold("cv" + r[1], 5) == k]
            m = measure(held, with_learned(inner, gaz, *setting)[0])
            right += round(m["right_share"] * m["n"])
            sure += round(m["acted_on_share"] * m["n"])
            sure_right += round((m["accuracy_acted_on"] or 0) * m["acted_on_share"] * m["n"])
        cv[setting] = {"right_share": right / len(train), "accuracy_acted_on": sure_right / sure if sure else None}
    defaults = (place_names.MIN_SUPPORT, place_names.MIN_PURITY)
    learned_gaz, learned = with_learned(train, gaz, *defaults)
    return {"train_rows": len(train), "test_rows": len(test),
            "cv": {f"{s[0]} tickets, {s[1]:.0%}": v for s, v in cv.items()},
            "settings": {"min_support": defaults[0], "min_purity": defaults[1]}, "names_learned": len(learned),
            "most_supported": [(x.name, x.place.name, x.support, x.total) for x in learned[:15]],
            "test": {"tree only": measure(test, gaz), "tree + learned names": measure(test, learned_gaz)}}


def calibration(rows: list[tuple[str, str]]) -> dict[str, object]:
    """Knots for place.CALIBRATION: (evidence, share right) from guesses cross-fitted within the
    training part (names learned on four folds, read on the fifth, and the tree alone), fitted
    isotonic over the evidence levels of the uncontested guesses, each level's share smoothed as
    (right + 1) / (guesses + 2); and place.CONTESTED, the smoothed share right of the contested
    ones (another place named with as much support). Then the held-out 20%, read with names learned
    on the whole training part: the confidence beside the share right, per evidence level, and the
    expected calibration error of the confidence against the raw evidence taken as one."""
    from sklearn.isotonic import IsotonicRegression

    gaz = gazetteer(True)
    train = [r for r in rows if _fold(r[1], 5) != 0]
    test = [r for r in rows if _fold(r[1], 5) == 0]
    defaults = (place_names.MIN_SUPPORT, place_names.MIN_PURITY)

    def pairs(part: list[tuple[str, str]], reader: Gazetteer) -> list[tuple[float, bool, bool, float]]:
        out = []  # (evidence, right, contested, confidence)
        for district, text in part:
            g = reader.guess(address=None, text=text)
            if g is not None and g.place.level != "city":
                out.append((g.evidence, district_of(g.place.path, reader) == district, g.contested, g.confidence))
        return out

    # A deployment reads with the tree alone until it has learned names, then with both: the
    # calibration is fitted on both readers' guesses, so that it holds for either.
    fit = pairs(train, gaz)
    for k in range(5):
        inner = [r for r in train if _fold("cv" + r[1], 5) != k]
        held = [r for r in train if _fold("cv" + r[1], 5) == k]
        fit += pairs(held, with_learned(inner, gaz, *defaults)[0])
    plain = [(e, ok) for e, ok, contested, _ in fit if not contested]
    levels = sorted({e for e, _ in plain})
    counts = [(sum(1 for e, _ in plain if e == lv), sum(ok for e, ok in plain if e == lv)) for lv in levels]
    iso = IsotonicRegression(increasing=True, y_min=0.0, y_max=1.0)
    iso.fit(levels, [(r + 1) / (n + 2) for n, r in counts], sample_weight=[n + 2 for n, _ in counts])
    knots = [(lv, round(float(p), 2)) for lv, p in zip(levels, iso.predict(levels), strict=True)]
    contested_fit = [ok for _, ok, contested, _ in fit if contested]

    def check(held_out: list[tuple[float, bool, bool, float]]) -> dict[str, object]:
        def ece(pick: int) -> float:
            by: dict[float, list[bool]] = {}
            for row in held_out:
                by.setdefault(row[pick], []).append(row[1])  # type: ignore[arg-type]
            return sum(abs(c - sum(v) / len(v)) * len(v) for c, v in by.items()) / len(held_out)

        table = {}
        for lv in sorted({e for e, _, contested, _ in held_out if not contested}):
            got = [(ok, conf) for e, ok, contested, conf in held_out if e == lv and not contested]
            table[f"{lv:.2f}"] = {"guesses": len(got), "confidence": got[0][1],
                                  "right": round(sum(ok for ok, _ in got) / len(got), 4)}
        contested = [ok for _, ok, c, _ in held_out if c]
        return {"guesses": len(held_out), "uncontested_by_evidence": table,
                "contested": [len(contested), round(sum(contested) / max(len(contested), 1), 4)],
                "ece_evidence_as_is": round(ece(0), 4), "ece_confidence": round(ece(3), 4)}

    return {"fitted_on": len(fit), "knots": knots,
            "fit_levels": {f"{lv:.2f}": {"guesses": n, "right": r} for lv, (n, r) in zip(levels, counts, strict=True)},
            "contested_fit": {"guesses": len(contested_fit), "right": sum(contested_fit),
                              "smoothed_share": round((sum(contested_fit) + 1) / (len(contested_fit) + 2), 2)},
            "held_out": {"tree only": check(pairs(test, gaz)),
                         "tree + learned names": check(pairs(test, with_learned(train, gaz, *defaults)[0]))}}


def print_table(results: dict[str, dict[str, object]]) -> None:
    print(f"{'reader':32} {'guessed':>8} {'right/guessed':>14} {'right/all':>10} {'acted on':>9} "
          f"{'right/acted':>12} {'ms/row':>7}")
    for name, r in results.items():
        acc = r["accuracy_of_guesses"]
        acted = r["accuracy_acted_on"]
        print(f"{name:32} {r['guessed_share']:8.3f} {acc if acc is not None else float('nan'):14.3f} "
              f"{r['right_share']:10.3f} {r['acted_on_share']:9.3f} "
              f"{acted if acted is not None else float('nan'):12.3f} {r['mean_ms_per_row']:7.3f}")
        print(f"{'':32} most frequent words behind a wrong district: {r['most_wrong_words']}")
        print(f"{'':32} confidence → guesses, share right: " + ", ".join(
            f"{c}: {v['guesses']}, {v['right']:.3f}" for c, v in r["by_confidence"].items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--learn", action="store_true", help="place names learned from the rows (80/20)")
    ap.add_argument("--calibrate", action="store_true", help="fit the confidence's calibration (80/20)")
    args = ap.parse_args()
    if not all((DATA / f).exists() for f, _ in FILES):
        raise SystemExit(f"跳过：找不到真实数据 {DATA}（设置 HOTLINE_DATA_PATH 指向 shared/data）")
    rows = load_rows()
    if args.calibrate:
        print(json.dumps(calibration(rows), ensure_ascii=False, indent=None if not args.json else 2))
        return
    if args.learn:
        report = learn_report(rows)
        if args.json:
            print(json.dumps(report, ensure_ascii=False, indent=2))
            return
        print(f"train {report['train_rows']} rows, test {report['test_rows']} rows (split by a hash of the text)")
        print("cross-validated inside train (right/all, right/acted):")
        for name, v in report["cv"].items():
            acted = v["accuracy_acted_on"]
            print(f"  {name:14} {v['right_share']:.3f}  {acted if acted is not None else float('nan'):.3f}")
        print(f"settings: {report['settings']}; {report['names_learned']} names learned from train; "
              f"most supported: {report['most_supported']}")
        print_table(report["test"])
        return
    results = {"districts only": measure(rows, gazetteer(False)),
               "districts + streets and towns": measure(rows, gazetteer(True))}
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    print(f"rows with a district: {len(rows)} ({dict(Counter(d for d, _ in rows).most_common())})")
    print(f"acted on = confidence ≥ {PLACE_CONFIDENCE} (the dispatch suggestion uses the place without asking)")
    print_table(results)


if __name__ == "__main__":
    main()
