"""Intake hints: words suggesting that a request is urgent or critical, or that it comes from an
enterprise (一企来 fast track). Rules are data (reference/intake_hints.json); the operator decides.

An enterprise hint is cancelled by words that name a company as the *object* of a citizen's
complaint (物业公司, 开发商): a resident complaining about a developer is not an enterprise request."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

HINTS_FILE = Path(__file__).parent.parent / "reference" / "intake_hints.json"


@dataclass(frozen=True)
class Hints:
    urgency: str | None  # "critical" | "urgent" | None (normal)
    urgency_words: tuple[str, ...]
    enterprise: bool
    enterprise_words: tuple[str, ...]


@cache
def _rules() -> dict[str, Any]:
    return json.loads(HINTS_FILE.read_text(encoding="utf-8"))


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def hints(title: str | None, content: str | None) -> Hints:
    text = _clean(title) + "。" + _clean(content)
    urgency, urgency_words = None, ()
    for level in _rules()["urgency"]:  # most severe first
        found = tuple(p for p in level["patterns"] if p in text)
        if found:
            urgency, urgency_words = level["level"], found
            break
    ent = _rules()["enterprise"]
    enterprise_words = tuple(p for p in ent["patterns"] if p in text)
    if any(x in text for x in ent["exclude"]) and not any(p in text for p in ("我们公司", "本公司", "我公司")):
        enterprise_words = ()
    return Hints(urgency=urgency, urgency_words=urgency_words, enterprise=bool(enterprise_words),
                 enterprise_words=enterprise_words)
