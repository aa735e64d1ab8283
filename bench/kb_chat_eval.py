"""The chat assistant's follow-ups on a real hotline knowledge base (12306, 923 Q&A).

Imports ../shared/data/railway12306_kb/kb_12306_faq.csv as bench/kb_eval.py does, then plays each
two-turn conversation of bench/data/kb_12306_followups.tsv through `chat.ask` (the code path of
the chat page and `POST /api/v1/public/kb/chat`) and scores the follow-up's reply three ways:
- in context: the chat's follow-up rule (combine, keep the hits that speak to the follow-up);
- alone: the follow-up asked by itself (what the single-question assistant does);
- concatenated: the previous question and the follow-up searched together, nothing else.
A reply is right when it answers from an acceptable article, or, for a follow-up the knowledge
base cannot answer ("-"), when it abstains. A clarifying question counts as not right.

    .venv/bin/python bench/kb_chat_eval.py [--detail]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kb_eval import ROOT, SOURCE, import_12306  # noqa: E402

DIALOGUES = ROOT / "bench" / "data" / "kb_12306_followups.tsv"


@dataclass
class Dialogue:
    first: str
    first_keys: list[str]
    follow_up: str
    keys: list[str]  # empty: not in the knowledge base


def load() -> list[Dialogue]:
    out = []
    for line in DIALOGUES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            first, first_keys, follow_up, keys = line.split("\t")
            out.append(Dialogue(first, [] if first_keys == "-" else first_keys.split("|"), follow_up,
                                [] if keys == "-" else keys.split("|")))
    return out


def right(kind: str, key: str | None, keys: list[str]) -> bool:
    return kind == "abstain" if not keys else kind == "answer" and key in keys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--detail", action="store_true", help="print every conversation's replies")
    args = ap.parse_args()
    if not SOURCE.exists():
        print(f"skipped: {SOURCE} not found (the shared data set is not on this machine)")
        return 0

    from hotline.knowledge import chat, service

    dialogues = load()
    with tempfile.TemporaryDirectory() as tmpdir:
        engine, db, rt, rows, _ = import_12306(Path(tmpdir))
        filters = service.search_filters(db, rt, audiences=None)
        service.search_published(db, query="预热", filters=filters, limit=1)  # builds the index
        print(f"data: {SOURCE.name}, {len(rows)} rows; {len(dialogues)} two-turn conversations "
              f"({sum(not d.keys for d in dialogues)} whose follow-up the KB cannot answer)")

        score: Counter[str] = Counter()
        modes: Counter[str] = Counter()
        t0 = time.process_time()
        for d in dialogues:
            conv = chat.Conversation()
            first = chat.ask(db, conversation=conv, question=d.first, filters=filters)
            said = chat.ask(db, conversation=conv, question=d.follow_up, filters=filters)
            alone = service.ask(db, query=d.follow_up, filters=filters)
            joined = service.ask(db, query=f"{d.first} {d.follow_up}", filters=filters)
            t = said.turn
            modes[t.context] += 1
            score["first"] += right(first.turn.kind, first.turn.key, d.first_keys)
            score["context"] += right(t.kind, t.key, d.keys)
            score["alone"] += right(alone.kind, alone.hit.key if alone.hit else None, d.keys)
            score["joined"] += right(joined.kind, joined.hit.key if joined.hit else None, d.keys)
            if args.detail:
                print(f"{d.first} (want {d.first_keys}: {first.turn.kind} {first.turn.key}) → {d.follow_up} "
                      f"[{t.context}] want {d.keys or '-'}: context {t.kind} {t.key}; "
                      f"alone {alone.kind} {alone.hit.key if alone.hit else None}; "
                      f"joined {joined.kind} {joined.hit.key if joined.hit else None}")
        cpu_ms = (time.process_time() - t0) / len(dialogues) * 1000
        n = len(dialogues)
        print("follow-up rule: " + ", ".join(f"{k} {v}" for k, v in sorted(modes.items())))
        print(f"first question answered right: {score['first'] / n:.3f}")
        print(f"{'follow-up replied right':<26} {'share':>6} {'right':>6} {'of':>4}")
        for name, label in (("context", "in context (chat)"), ("alone", "alone"), ("joined", "concatenated")):
            print(f"{label:<26} {score[name] / n:>6.3f} {score[name]:>6} {n:>4}")
        print(f"CPU per conversation (two chat turns + two single asks): {cpu_ms:.1f} ms")
        db.close()
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
