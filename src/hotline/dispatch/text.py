"""Text normalisation and tokenisation: NFKC folding, whitespace and digit runs, jieba words and
character n-grams. Everything a classifier sees of a ticket's text passes through `tokens`."""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any

_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")

_lock = threading.Lock()
_jieba: Any = None


def normalise(text: object, *, fold_digits: bool = True) -> str:
    """NFKC (full-width letters and digits become ASCII), lower case, one space for any run of
    whitespace; with `fold_digits`, a run of digits becomes a single "0" (phone numbers, dates and
    house numbers say nothing about the category)."""
    if text is None:
        return ""
    t = unicodedata.normalize("NFKC", str(text)).lower()
    t = _SPACE.sub(" ", t).strip()
    if fold_digits:
        t = _DIGITS.sub("0", t)
    return t


def _tokenizer() -> Any:
    """jieba's tokenizer, loaded once per process from the dictionary jieba ships (no download)."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                _jieba = tk
    return _jieba


def words(text: str, *, hmm: bool = False) -> list[str]:
    """jieba words of a normalised text, spaces and punctuation-only tokens left out. Without the
    HMM for unknown words jieba is about twice as fast; the character n-grams see those words."""
    return [w for w in _tokenizer().lcut(text, HMM=hmm) if w.strip() and not _is_punct(w)]


def _is_punct(w: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PZS" for ch in w)


def char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    compact = text.replace(" ", "")
    out: list[str] = []
    for n in range(lo, hi + 1):
        out.extend(compact[i : i + n] for i in range(len(compact) - n + 1))
    return out


def word_ngrams(ws: list[str], lo: int, hi: int) -> list[str]:
    out: list[str] = []
    for n in range(lo, hi + 1):
        out.extend(" ".join(ws[i : i + n]) for i in range(len(ws) - n + 1))
    return out


class Analyzer:
    """A picklable text → tokens function: character n-grams (prefixed "c:") and jieba word
    n-grams (prefixed "w:") of the normalised text, so the two kinds never collide."""

    def __init__(
        self, *, char_range: tuple[int, int] = (1, 3), word_range: tuple[int, int] = (1, 2), fold_digits: bool = True,
        hmm: bool = False, max_chars: int = 0,
    ) -> None:
        self.char_range = tuple(char_range)
        self.word_range = tuple(word_range)
        self.fold_digits = fold_digits
        self.hmm = hmm
        self.max_chars = max_chars  # 0: no cap; else only the first max_chars characters count

    def __call__(self, text: str) -> list[str]:
        t = normalise(text, fold_digits=self.fold_digits)
        if self.max_chars:
            t = t[: self.max_chars]
        if not t:
            return []
        out = ["c:" + g for g in char_ngrams(t, *self.char_range)] if self.char_range[1] > 0 else []
        if self.word_range[1] > 0:
            out.extend("w:" + g for g in word_ngrams(words(t, hmm=self.hmm), *self.word_range))
        return out

    def config(self) -> dict[str, Any]:
        return {"char_range": list(self.char_range), "word_range": list(self.word_range),
                "fold_digits": self.fold_digits, "hmm": self.hmm,
                "max_chars": self.max_chars}
