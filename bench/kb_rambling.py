"""Long, rambling questions as callers really speak them, against the 12306 knowledge base.

A caller rarely types 学生票打几折; they say 你好，我想问一下，就是我家孩子在外地上大学，下个月放假
要回来……学生票打几折啊？谢谢啊. This bench measures search and the assistant on such questions,
side by side with the plain wording they were made from:

- `wrapped`: every val and train paraphrase of bench/data/kb_12306_paraphrases.tsv (never test nor
  fresh) and every val out-of-KB question of bench/data/kb_12306_out_of_kb.tsv, wrapped (seeded)
  in greetings and filler, neutral context sentences (no words of the answer) and closings of
  varied length, built by `wrap` from the lists below;
- `hand`: rambling questions written by hand for val articles (the end of the data file).

The data file is bench/data/kb_12306_rambling.tsv; `--write` makes its wrapped rows again (the
hand-written ones are kept).

    HOTLINE_DATA_PATH=/work/shared/data .venv/bin/python bench/kb_rambling.py          # the figures
    .venv/bin/python bench/kb_rambling.py --write    # regenerate the wrapped rows (seed 12345)
    .venv/bin/python bench/kb_rambling.py --misses   # the rambling val misses
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kb_eval import ROOT, SOURCE, import_12306, load_queries, same_answers  # noqa: E402

RAMBLING = ROOT / "bench" / "data" / "kb_12306_rambling.tsv"
SEED = 12345

# Greetings and the filler callers start with.
OPENERS = [
    "你好，", "您好，", "喂，你好，", "喂？喂，能听到吗？你好，", "哎你好，", "你好你好，", "同志你好，",
    "您好，麻烦问一下，", "你好，我想问一下，", "你好，我想咨询个事儿，", "您好，打扰一下，",
    "哎，你好，是客服吧？", "你好，是人工吗？", "嗯，你好，", "你好啊，我问个事，", "您好，请问一下啊，",
    "那个，你好，", "你好，我这边想了解一下，", "喂，您好，我想问个问题，", "你好，我有个问题想问问，",
]
# Said before the question, after the context.
LEADS = [
    "就是那个，", "嗯……就是，", "是这样的，", "我想问一下，", "想问问，", "就想问一下，", "然后呢，",
    "我就想知道，", "所以想问问你们，", "那个什么，", "怎么说呢，", "就是说，", "我想咨询一下，",
    "麻烦你给看看，", "我就是想弄清楚，", "",
]
# Context that carries no matter of the question (nothing of any answer): who is calling, why now.
CONTEXT = [
    "我是替我家老人问的，他们不太会用手机。", "我平时不怎么坐火车，好多规矩都不懂。",
    "我刚才打了好几遍都没打进来。", "之前问过一次，没太听明白。", "我这人记性不好，你说慢一点啊。",
    "我现在在外面，信号不太好。", "我下个月要出差。", "我们家过年要回老家。", "孩子让我打电话问问。",
    "我问了身边好几个人，说法都不一样。", "我在网上查了半天也没找到。", "我这个情况可能有点特殊。",
    "我第一次碰到这种事。", "我同事说可以打这个电话问。", "我是外地的，对这边不熟。",
    "我年纪大了，这些东西搞不太明白。", "这事我琢磨好几天了。", "我上班比较忙，没时间跑车站。",
    "我昨天晚上就想打了，太晚了没打。", "我朋友也碰到过，但他也说不清楚。", "我这边有点着急。",
    "我老伴儿在旁边催我问。", "我用的是我女儿的手机打的。", "我平时都是坐大巴，这次想坐火车。",
    "我们单位组织出去，让我来负责这个事。", "我一会儿还要去接孩子，长话短说啊。",
]
# Closings: thanks and the like, after the question.
CLOSERS = [
    "谢谢。", "谢谢啊。", "谢谢你啊。", "麻烦你了。", "麻烦帮我看看，谢谢。", "就这个事，谢谢了。",
    "你帮我查查吧。", "能跟我说一下吗？谢谢。", "辛苦了。", "好的，谢谢你们。", "就想问这个。",
    "你给说说呗。", "谢谢啊，麻烦了。", "我等你回复。", "拜托了。", "好，谢谢。", "多谢多谢。",
    "就这些，谢谢。", "你们给解释一下。", "这个怎么弄啊，谢谢。",
]
# Spoken question tails (the question is often repeated or trailed off).
TAILS = ["", "", "", "", "啊", "呢", "呀", "，是吧", "，你知道吗", "，这个怎么弄", "，有没有什么办法"]


def wrap(query: str, rng: random.Random) -> str:
    """The query as a rambling caller says it: an opener, 0-3 context sentences, a lead-in, the
    question (its own end punctuation dropped, a spoken tail maybe), 0-2 closings. Always at least
    one piece besides the question, so that every row is longer than its plain wording."""
    core = query.rstrip("？?。！! ")
    parts: list[str] = []
    if rng.random() < 0.85:
        parts.append(rng.choice(OPENERS))
    parts += rng.sample(CONTEXT, rng.choice([0, 1, 1, 2, 2, 3]))
    parts.append(rng.choice(LEADS))
    tail = rng.choice(TAILS)
    parts.append(core + tail + rng.choice(["？", "？", "。", "", "…"]))
    parts += rng.sample(CLOSERS, rng.choice([0, 1, 1, 2]))
    if len(parts) <= 2 and not parts[0]:  # nothing but a question: add a closing
        parts.append(rng.choice(CLOSERS))
    return "".join(parts)


@dataclass
class Rambling:
    split: str  # val | train (never test); out-of-KB: val
    keys: list[str]  # acceptable keys; [] for an out-of-KB question
    origin: str  # wrapped | hand
    plain: str  # the plain wording (hand-written: a short form of it, for comparison)
    text: str


def load() -> list[Rambling]:
    items = []
    for line in RAMBLING.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            split, keys, origin, plain, text = line.split("\t")
            items.append(Rambling(split, [] if keys == "-" else keys.split("|"), origin, plain, text))
    return items


HEADER = """# Rambling caller questions for the 12306 knowledge base (see bench/kb_rambling.py).
# split<TAB>acceptable keys ("-": out of the KB)<TAB>origin<TAB>plain wording<TAB>rambling question
# wrapped: val and train paraphrases and val out-of-KB questions wrapped by kb_rambling.wrap (seed {seed}),
# never a test or fresh item; hand: written by hand for val articles (the plain column is a short form).
"""


def write() -> None:
    hand = [line for line in RAMBLING.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#") and line.split("\t")[2] == "hand"] if RAMBLING.exists() else []
    para, ood = load_queries(equivalents=False)
    rng = random.Random(SEED)
    rows = [f"{q.split}\t{'|'.join(q.keys)}\twrapped\t{q.text}\t{wrap(q.text, rng)}"
            for q in para if q.split in ("val", "train")]
    rows += [f"{q.split}\t-\twrapped\t{q.text}\t{wrap(q.text, rng)}" for q in ood if q.split == "val"]
    RAMBLING.write_text(HEADER.format(seed=SEED) + "\n".join(rows + hand) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} wrapped rows and kept {len(hand)} hand-written ones to {RAMBLING}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help="regenerate the wrapped rows of the data file")
    ap.add_argument("--misses", action="store_true", help="print the rambling val misses")
    args = ap.parse_args()
    if args.write:
        write()
        return 0
    if not SOURCE.exists():
        print(f"skipped: {SOURCE} not found (the shared data set is not on this machine)")
        return 0
    from hotline.knowledge import assistant, service

    items = load()
    # The keys as kb_eval scores them (listed keys and the articles giving the same answer).
    para, _ = load_queries()
    widened = {q.text: q.keys + q.judged for q in para}
    same = same_answers()
    for it in items:
        if it.keys and it.origin == "wrapped":
            it.keys = widened.get(it.plain, it.keys)
        elif it.keys:  # hand-written: the keys written and the articles giving the same answer
            it.keys += sorted({k for key in it.keys for k in same.get(key, ())} - set(it.keys))
    with tempfile.TemporaryDirectory() as tmpdir:
        engine, db, rt, rows, _ = import_12306(Path(tmpdir))
        filters = service.search_filters(db, rt, audiences=None)
        service.search_published(db, query="预热", filters=filters, limit=1)
        texts = sorted({t for it in items for t in (it.plain, it.text)})
        t0 = time.perf_counter()
        times = []
        hits_of = {}
        for t in texts:
            t1 = time.perf_counter()
            hits_of[t] = service.search_published(db, query=t, filters=filters, limit=10)
            times.append(time.perf_counter() - t1)
        times.sort()
        print(f"data: {SOURCE.name}, {len(rows)} rows; {len(items)} rambling items "
              f"({sum(bool(i.keys) for i in items)} answerable, {sum(not i.keys for i in items)} out of the KB); "
              f"{len(texts)} searches in {time.perf_counter() - t0:.1f} s, "
              f"p50 {times[len(times) // 2] * 1000:.0f} ms, p95 {times[int(len(times) * 0.95)] * 1000:.0f} ms")

        def figures(group: list[Rambling], which: str) -> tuple[float, ...]:
            r1 = r5 = mrr = right = abst = 0.0
            for it in group:
                text = it.plain if which == "plain" else it.text
                hits = hits_of[text]
                rank = next((i + 1 for i, h in enumerate(hits) if h.key in it.keys), None)
                r1 += rank == 1
                r5 += bool(rank and rank <= 5)
                mrr += 1 / rank if rank else 0.0
                reply = assistant.decide(text, hits[:5])
                right += reply.kind == "answer" and reply.hit is not None and reply.hit.key in it.keys
                abst += reply.abstained
            n = max(len(group), 1)
            return r1 / n, r5 / n, mrr / n, right / n, abst / n

        print("\nanswerable (R@1, R@5, MRR, answered right, abstained; keys: listed + same answers + judged)")
        print(f"{'group':<14} {'n':>4}  {'--------------- plain ---------------':>38}  "
              f"{'-------------- rambling --------------':>38}")
        heads = "{:>6} {:>6} {:>6} {:>8} {:>8}  ".format("R@1", "R@5", "MRR", "right", "abst")
        print(f"{'':<14} {'':>4}  " + heads * 2)
        groups = (("val", [i for i in items if i.keys and i.split == "val" and i.origin == "wrapped"]),
                  ("train", [i for i in items if i.keys and i.split == "train"]),
                  ("val hand", [i for i in items if i.keys and i.origin == "hand"]))
        for name, group in groups:
            row = [*figures(group, "plain"), *figures(group, "rambling")]
            print(f"{name:<14} {len(group):>4}  " + "  ".join(
                " ".join(f"{f:>6.3f}" if j < 3 else f"{f:>8.3f}" for j, f in enumerate(row[k:k + 5]))
                for k in (0, 5)))
        ood = [i for i in items if not i.keys]
        plain_abst = sum(assistant.decide(i.plain, hits_of[i.plain][:5]).abstained for i in ood) / len(ood)
        ramb_abst = sum(assistant.decide(i.text, hits_of[i.text][:5]).abstained for i in ood) / len(ood)
        print(f"\nout of the KB (val, n={len(ood)}): abstained plain {plain_abst:.3f}, rambling {ramb_abst:.3f}")
        if args.misses:
            for it in items:
                if it.keys and it.split == "val":
                    hits = hits_of[it.text]
                    reply = assistant.decide(it.text, hits[:5])
                    if not (reply.kind == "answer" and reply.hit and reply.hit.key in it.keys):
                        print(reply.kind, it.text, "->", [h.title[:16] for h in hits[:2]])
        db.close()
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    raise SystemExit(main())
