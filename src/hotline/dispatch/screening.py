"""Scope screening at intake: emergencies to transfer now (110/119/120/122) and matters outside the
hotline's scope, each with the channel to use. Rules are data (reference/scope_rules.json).

A hit is advice to the operator, never a refusal: the operator confirms. Matching is on phrases
after normalisation (full-width to half-width, no spaces), and a rule's exclusions cancel it
within the same clause (e.g. "消防隐患" is an inspection request, not a fire; but in
"楼下着火了，很容易烧到我家" the 容易 of the second clause does not cancel the fire of the first). Emergency rules
read only the title and the opening of the content, where a caller in danger says what is
happening; a long letter that mentions a robbery in passing is not an emergency call."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RULES_FILE = Path(__file__).parent.parent / "reference" / "scope_rules.json"
_CLAUSE = re.compile(r"[。！？!?；;，,、\n]+")
EMERGENCY_HEAD = 120  # characters of content read by emergency rules


@dataclass(frozen=True)
class ScopeRule:
    code: str
    kind: str  # "emergency" | "out_of_scope"
    label: str
    patterns: tuple[str, ...]
    exclude: tuple[str, ...]  # cancel a pattern anywhere in its clause (a topic: 隐患, 理赔)
    advice: str
    transfer_to: str | None = None
    # cancel it only when written before it, with no word of now between (a time or a supposition:
    # 一旦着火 is not a fire; 以前住的那栋楼现在着火了 and 着火了一旦烧上来 are)
    exclude_before: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScreeningHit:
    code: str
    kind: str
    label: str
    advice: str
    transfer_to: str | None
    matched: tuple[str, ...]  # the phrases found, shown to the operator as the reason

    @property
    def reason(self) -> str:
        return f"{self.label}：文中出现“{'”“'.join(self.matched)}”"


def _clean(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


@cache
def rules() -> tuple[ScopeRule, ...]:
    data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    out = []
    for r in data["rules"]:
        if r["kind"] not in ("emergency", "out_of_scope"):
            raise ValueError(f"scope rule {r['code']}: unknown kind {r['kind']}")
        out.append(ScopeRule(code=r["code"], kind=r["kind"], label=r["label"],
                             patterns=tuple(_clean(p) for p in r["patterns"]),
                             exclude=tuple(_clean(p) for p in r.get("exclude", [])),
                             advice=r["advice"], transfer_to=r.get("transfer_to"),
                             exclude_before=tuple(_clean(p) for p in r.get("exclude_before", []))))
    return tuple(out)


def _clauses(text: str) -> list[str]:
    """A text's clauses, cut at punctuation and line breaks. A space may part two clauses ("着火了
    去年也着过火") or sit inside one phrase ("着 火了"): the clauses of both readings are kept, so
    that neither an exclusion in the next clause nor a space in a phrase hides a hit."""
    lines = re.sub(r"[\r\n\v\f\x85\u2028\u2029]+", "\n", unicodedata.normalize("NFKC", text))
    joined = _CLAUSE.split(re.sub(r"[^\S\n]+", "", lines))
    parted = _CLAUSE.split(re.sub(r"[^\S\n]+", "，", lines.strip()))
    return [c for c in dict.fromkeys(joined + parted) if c]


NOW = ("现在", "正在", "刚刚", "刚才", "此刻", "这会儿")


def _supposed(clause: str, pattern: str, before: tuple[str, ...]) -> bool:
    """Whether a word of time or supposition before the pattern's first place in the clause puts it
    in the past or the hypothetical — unless a word of now comes between them."""
    at = clause.find(pattern)
    for word in before:
        start = clause.rfind(word, 0, at)
        if start >= 0 and start + len(word) <= at and not any(n in clause[start + len(word):at] for n in NOW):
            return True
    return False


def screen(title: str | None, *texts: str | None) -> list[ScreeningHit]:
    """Every rule that the title and texts trigger, emergencies first."""
    texts = (title, *texts)
    clauses = [s for t in texts if t for s in _clauses(t)]
    head = [s for i, t in enumerate(texts) if t for s in _clauses(t if i == 0 else t[:EMERGENCY_HEAD])]
    hits = []
    for rule in rules():
        matched: list[str] = []
        for clause in head if rule.kind == "emergency" else clauses:
            if any(x in clause for x in rule.exclude):
                continue
            spans: list[tuple[int, int]] = []  # one phrase per stretch of words: 楼下着火了 shows one
            for p in rule.patterns:
                at = clause.find(p)
                if at < 0 or _supposed(clause, p, rule.exclude_before):
                    continue
                if any(at < end and start < at + len(p) for start, end in spans):
                    continue
                spans.append((at, at + len(p)))
                if p not in matched:
                    matched.append(p)
        if matched:
            hits.append(ScreeningHit(code=rule.code, kind=rule.kind, label=rule.label, advice=rule.advice,
                                     transfer_to=rule.transfer_to, matched=tuple(matched)))
    hits.sort(key=lambda h: h.kind != "emergency")
    return hits
