"""Place extraction: the district, street or community named in a request's address or text,
resolved against the jurisdiction tree (the city's own gazetteer, no external data).

Each jurisdiction is known by its full name and, when still distinctive, by its name without the
administrative suffix ("孝陵卫街道" → "孝陵卫", "玄武区" → "玄武"). The address is read before the text;
among the names found, the deepest wins when it lies under the other names found (a street inside
the district also named), otherwise the one found in the address, then the longest."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from threading import Lock

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.dispatch.models import PlaceName
from hotline.org.models import LEVEL_ORDER, Jurisdiction

# How often a guess names the right place, by its evidence score (below): the share of guesses
# that named the right district on real work orders (Fuzhou 12345) in the 80% training part of
# bench/place_eval.py, read with the tree alone and with place names learned cross-fitted, fitted
# isotonic and smoothed over the uncontested guesses (`place_eval.py --calibrate` prints these knots;
# docs/dispatch.md has the held-out check).
# Between knots linear; above the last its value. Work orders there carry no address field, so
# the scores an address adds (0.6, 0.8, 0.95) are read between the knots the text gave; below the
# lowest knot (a lone name shared by several places) the share falls linearly to 0 at score 0.
CALIBRATION = ((0.4, 0.93), (0.5, 0.93), (0.6, 0.93), (0.7, 0.99), (0.9, 0.99))
# A place read from the text is used without asking when guesses like it name the right place at
# least this often: on the Fuzhou work orders' training part, the guesses at or above it were right
# 99% of the time, cross-fitted (docs/dispatch.md).
PLACE_CONFIDENCE = 0.95
# A guess with another place named beside it, as well supported (contested): the share of such
# guesses that were right in the same training part, fitted alike (`place_eval.py --calibrate`).
CONTESTED = 0.6
ALTERNATIVES = 2  # other places the text also names, offered beside the guess

SUFFIXES = ("街道办事处", "街道", "社区居委会", "居委会", "社区", "村委会", "管委会", "新区",
            "区", "县", "镇", "乡", "村", "市")
MIN_ALIAS = 2


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    name: str
    level: str
    path: str


@dataclass(frozen=True)
class PlaceGuess:
    place: Place
    matched: str  # the words of the text that named it
    source: str  # "address" | "text"
    confidence: float  # the evidence calibrated: how often a guess like it names the right place
    named: bool = False  # read from a place name of the registry (地名库), not the place's own name
    evidence: float = 0.0  # 0..1, an ordinal score: a consistent chain of names is surest
    contested: bool = False  # another place is named with as much support: the reading may be either
    alternatives: tuple[PlaceAlternative, ...] = ()  # other places named, off the guess's chain


@dataclass(frozen=True)
class PlaceAlternative:
    place: Place
    matched: str
    source: str


def calibrated(evidence: float) -> float:
    knots = ((0.0, 0.0), *CALIBRATION)
    for (x0, y0), (x1, y1) in zip(knots, knots[1:], strict=False):
        if evidence <= x1:
            return round(y0 + (y1 - y0) * (evidence - x0) / (x1 - x0), 3)
    return knots[-1][1]


class Gazetteer:
    """The places and the names they go by. `named` adds place names (estates, roads, rivers …) as
    (name, place id): each reads as one more name of its place."""

    def __init__(self, places: list[Place], named: Iterable[tuple[str, int]] = ()) -> None:
        self.places = places
        names: dict[str, list[Place]] = {}
        for p in places:
            for alias in self._aliases(p.name):
                names.setdefault(alias, []).append(p)
        by_id = {p.id: p for p in places}
        self.by_id = by_id
        self.named: set[tuple[str, int]] = set()  # (name, place id) pairs from the registry
        for name, place_id in named:
            place = by_id.get(place_id)
            name = unicodedata.normalize("NFKC", name).strip()
            if place is None or len(name) < MIN_ALIAS or place in names.get(name, ()):
                continue
            names.setdefault(name, []).append(place)
            self.named.add((name, place.id))
        # A short name shared by several places (two "新街" streets) says nothing on its own.
        self.names = names
        self.common = {name for name in names if common_word(name)}
        ordered = sorted(names, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(n) for n in ordered)) if ordered else None

    @staticmethod
    def _aliases(name: str) -> set[str]:
        out = {name}
        for suffix in SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= MIN_ALIAS:
                out.add(name[: -len(suffix)])
                break
        return out

    def chain_name(self, place: Place) -> str:
        """The place with what it lies in below the city (溧水区中山社区): a community or street
        name alone says nothing of where it is, and several share one."""
        ids = [int(i) for i in place.path.split("/") if i.isdigit()]
        names = [self.by_id[i].name for i in ids
                 if i in self.by_id and self.by_id[i].level not in ("province", "city")]
        return "".join(names) or place.name

    def find(self, text: str) -> list[tuple[str, Place]]:
        return [(word, place) for word, place, _ in self.find_weighed(text)]

    def find_weighed(self, text: str) -> list[tuple[str, Place, bool]]:
        """The names in the text, each with whether it is weak evidence: a name cut from a place's
        full name (中山 of 中山社区) that is an everyday word (团结, 东门, 泉水 …) or runs on into a
        road or landmark (中山北路, 中山陵, 白马公园, 宝塔桥)."""
        if not self.pattern or not text:
            return []
        text = unicodedata.normalize("NFKC", text)
        found = []
        for m in self.pattern.finditer(text):
            word = m.group(0)
            for place in self.names[word]:
                cut = word != place.name and (word, place.id) not in self.named
                weak = cut and (word in self.common or _LANDMARK_AFTER.match(text, m.end()) is not None)
                found.append((word, place, weak))
        return found

    def guess(self, *, address: str | None, text: str | None) -> PlaceGuess | None:
        weighed = [(w, p, "address", weak) for w, p, weak in self.find_weighed(address or "")]
        weighed += [(w, p, "text", weak) for w, p, weak in self.find_weighed(text or "")]
        if not weighed:
            return None
        hits = [(w, p, src) for w, p, src, _ in weighed]
        weak_hits = {(w, p.id) for w, p, _, weak in weighed if weak} - {(w, p.id) for w, p, _, weak in weighed
                                                                          if not weak}
        found_by = [(w, p) for w, p, _ in hits]
        # A registered place name and another word for the same place agree: one more support
        # ("仓山区" and its river "金港河"). Two forms of a tree's own name do not.
        agreeing = {p.path for w, p, _ in hits for w2, p2, _ in hits
                    if p2.path == p.path and w2 != w and ((w, p.id) in self.named or (w2, p2.id) in self.named)}

        def support(place: Place, word: str) -> int:  # how many other names found are its ancestors (or agree)
            # An ancestor whose own name holds the word is the same name read twice (白马 as 白马镇 and as its
            # 白马社区; 汤山 beside 汤山街道): no support of the deeper reading.
            above = {other.path for w, other in found_by
                     if other.path != place.path and place.path.startswith(other.path) and word not in other.name}
            return len(above) + (place.path in agreeing)

        def score(hit: tuple[str, Place, str]) -> tuple[int, int, int, int, int, int]:
            word, place, source = hit
            unique = len(self.names[word]) == 1 and (word, place.id) not in weak_hits
            own = (word, place.id) not in self.named  # on a tie, the place's own name is the one to show
            full = word == place.name  # 鼓楼区 as written outranks 中山 cut from 中山社区 (read in 中山北路)
            return (support(place, word), unique, source == "address", full, LEVEL_ORDER.index(place.level), own,
                    len(word))

        ranked = sorted(hits, key=score, reverse=True)
        word, place, source = ranked[0]

        def on_chain(a: Place, b: Place) -> bool:
            return a.path.startswith(b.path) or b.path.startswith(a.path)

        others: list[PlaceAlternative] = []
        contested = False  # another place off the guess's chain, as well supported: only the tie-break chose
        for w, p, src in ranked[1:]:  # best first; a place above or below the guess (or an alternative) is none,
            # nor is a word already offered read as another place (the better-supported reading came first)
            if not on_chain(p, place) and not any(on_chain(p, o.place) or w == o.matched for o in others):
                # a weak cut name beside a guess that is not weak is no alternative either: 中山 of 中山北路
                # written after 鼓楼区 offered 溧水区's 中山社区 on the intake form and the ticket page (QA)
                if (w, p.id) in weak_hits and (word, place.id) not in weak_hits:
                    continue
                others.append(PlaceAlternative(place=p, matched=w, source=src))
                contested = contested or support(p, w) >= support(place, word)
        evidence = 0.5 + 0.2 * min(support(place, word), 2) + (0.1 if source == "address" else 0.0)
        if source == "address" and word == place.name:  # a place's full official name in the address field
            evidence += 0.1
        # a lone name several places share, or a weak cut name (an everyday word, a road's beginning) that no
        # name of a place above it confirms (瀛洲 of 瀛洲河 beside 台江区 is the place; 中山 of 中山北路 alone is not)
        weak_alone = (word, place.id) in weak_hits and support(place, word) == 0
        ambiguous = len(self.names[word]) > 1 or weak_alone
        evidence = round(max(min(evidence - (0.3 if ambiguous else 0.0), 0.95), 0.1), 2)
        # Places named side by side that nothing tells apart ("鼓楼区和玄武区交界处"): either may be meant.
        confidence = min(calibrated(evidence), CONTESTED) if contested else calibrated(evidence)
        return PlaceGuess(place=place, matched=word, source=source, confidence=confidence,
                          named=(word, place.id) in self.named, evidence=evidence, contested=contested,
                          alternatives=tuple(others[:ALTERNATIVES]))


# What makes a cut name the start of a road or a landmark rather than the place (中山北路, 中山陵, 宝塔桥).
_LANDMARK_AFTER = re.compile(r"[东南西北中]?(路|街|大街|大道|巷|桥|陵|门|公园|码头|广场|河|湖|江|山|站|寺|景区|机场)")
COMMON_WORD = 150  # jieba's dictionary frequency from which a word is everyday speech (团结 3,941; 锁金 0)


@cache
def _frequencies() -> dict[str, int]:
    """jieba's dictionary word frequencies (the package's own dictionary, loaded once)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.check_initialized()
    return jieba.dt.FREQ


def common_word(word: str) -> bool:
    return _frequencies().get(word, 0) >= COMMON_WORD


_cache: dict[str, tuple[tuple[int, ...], Gazetteer]] = {}
_lock = Lock()


def gazetteer(db: Session) -> Gazetteer:
    """The jurisdiction tree and the registry's active place names (地名库) as a gazetteer, rebuilt
    only when either changes: the tree's count and highest id, the names' count, highest id and sum
    of versions (every change of a name raises its version)."""
    count, top = db.execute(select(func.count(Jurisdiction.id), func.max(Jurisdiction.id))).one()
    n_names, top_name, versions = db.execute(select(func.count(PlaceName.id), func.max(PlaceName.id),
                                                    func.sum(PlaceName.version))).one()
    stamp = (int(count or 0), int(top or 0), int(n_names or 0), int(top_name or 0), int(versions or 0))
    key = str(db.get_bind().url)
    with _lock:
        cached = _cache.get(key)
        if cached and cached[0] == stamp:
            return cached[1]
    rows = db.execute(select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.name, Jurisdiction.level,
                             Jurisdiction.path)).all()
    named = db.execute(select(PlaceName.name, PlaceName.jurisdiction_id).where(PlaceName.active.is_(True))).all()
    gaz = Gazetteer([Place(*r) for r in rows], [(n, j) for n, j in named])
    with _lock:
        _cache[key] = (stamp, gaz)
    return gaz


def guess_place(db: Session, *, address: str | None, text: str | None) -> PlaceGuess | None:
    return gazetteer(db).guess(address=address, text=text)
