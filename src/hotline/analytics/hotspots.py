"""Hotspots (热点): clusters of similar requests about the same place or matter.

Pure computation on a list of `Doc`s (no database): the service reads the tickets, this module
groups them. Two requests are linked only when

1. they share an *anchor* — a named place or matter (places.extract: 丽发新城, 58车贷, 月亮岛路) or a
   rare title word (one that few requests use, e.g. 和包支付) — candidates come from an inverted
   index of anchors, so the work grows with the number of requests that share names, not with n²;
2. their texts are similar: cosine of TF-IDF vectors (character bigrams of title and the start of
   the content, plus jieba words of the title) at least `place_similarity` for a shared estate,
   organisation, site or scheme, `road_similarity` for a shared road or line (long, many matters),
   `word_similarity` for a shared rare name only (a weaker anchor needs more text in common);
3. they do not name different places: when both titles name places and no name is shared, the
   pair is refused (two noise complaints about two estates are two matters, not one hotspot).

Linked requests form connected components; members whose similarity to their cluster's centroid
is below `member_similarity` are put out again (chains stop drifting), and a cluster needs
`min_size` requests. Clusters are ranked by heat = ln(1+size) + ½·ln(1+support) + ½·ln(max(growth, 1)).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from hotline.analytics import labels
from hotline.analytics import places as placelib
from hotline.analytics.trends import Growth, growth_of


@dataclass(frozen=True)
class Doc:
    key: str  # external id, else the ticket number
    title: str
    content: str
    at: datetime
    support: int = 0
    ticket_id: int | None = None
    district: str | None = None  # from the jurisdiction tree, when the ticket has one
    number: str | None = None  # the ticket's number, for links to its page
    street: str | None = None  # the street (街道/镇) of the jurisdiction tree, when the ticket has one


@dataclass(frozen=True)
class Params:
    place_similarity: float = 0.22
    road_similarity: float = 0.30
    word_similarity: float = 0.40
    member_similarity: float = 0.20
    min_size: int = 3
    content_chars: int = 160  # of the content, for similarity (the title counts twice)
    place_chars: int = 200  # of the content, searched for places
    rare_word_max_df: float = 0.003  # a title word is "rare" below this share of requests …
    rare_word_min_count: int = 8  # … or below this count, whichever is larger
    max_group: int = 4000  # an anchor shared by more requests is not specific enough to link by
    window_days: int = 30  # growth: the recent window against the cluster's own history


@dataclass
class Cluster:
    members: list[int]  # indices into the docs
    size: int = 0
    support: int = 0
    keywords: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    external_ids: list[str] = field(default_factory=list)
    place: str | None = None
    place_kind: str | None = None  # estate, road, organisation, site, scheme; street for a jurisdiction
    label: str = ""  # what to call it: the place, else the matter (its most representative title)
    district: str | None = None
    first_at: datetime | None = None
    last_at: datetime | None = None
    months: list[str] = field(default_factory=list)
    growth: Growth | None = None
    heat: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        g = self.growth
        return {
            "size": self.size,
            "support": self.support,
            "keywords": self.keywords,
            "titles": self.titles,
            "external_ids": self.external_ids,
            "place": self.place,
            "place_kind": self.place_kind,
            "label": self.label,
            "district": self.district,
            "growth": round(g.ratio, 3) if g else None,
            "recent": g.recent if g else None,
            "expected": round(g.expected, 3) if g else None,
            "warning": bool(g and g.warning),
            "growth_judged": bool(g and g.judged),  # a history before the recent window to compare with
            "first_at": self.first_at.isoformat() if self.first_at else None,
            "last_at": self.last_at.isoformat() if self.last_at else None,
            "months": self.months,
            "heat": round(self.heat, 4),
        }


# Title words that say what kind of request it is, never which matter: not anchors, not keywords.
STOPWORDS = frozenset(
    "反映 关于 投诉 举报 咨询 请问 建议 希望 要求 请求 问题 情况 相关 有关 部门 领导 政府 市民 居民 业主 我们 "
    "什么 为什么 怎么 如何 何时 能否 是否 可否 没有 一直 严重 强烈 尽快 解决 处理 落实 希望 呼吁 询问 请求 "
    "存在 出现 影响 导致 造成 进行 已经 目前 现在 还是 就是 这个 那个 一个 以及 或者 而且 但是 因为 所以 "
    "A市 西地省 市 区 县 镇 街道 社区 小区 的 了 在 是 和 与 及 对 把 被 有 无 不 也 都 又 还 就 该 请 给"
    .split()
)


def _normal(text: str) -> str:
    return placelib.normalise(text)


def _similarity_texts(titles: list[str], contents: list[str], params: Params) -> list[str]:
    return [f"{t}|{t}|{c[: params.content_chars]}" for t, c in zip(titles, contents, strict=True)]


def _title_words(titles: list[str]) -> list[list[str]]:
    """jieba words of each (normalised) title, with jieba's HMM so that unknown names come out as
    one word."""
    from hotline.dispatch.text import words

    return [[w for w in words(t, hmm=True) if len(w) >= 2 and w not in STOPWORDS and not w.isdecimal()]
            for t in titles]


_CODE_RE = re.compile(r"^[A-Z]\d*$|^\d+$")
_ADMIN_END = ("省", "市", "区", "县")


def _name_like(word: str, known: Any) -> bool:
    """A word jieba's dictionary does not know (a name: 和包, 万境, 58车贷's 58 is digits and not one),
    not a district code (A3) and not glued to an administrative unit (县星沙)."""
    return (word not in known and not _CODE_RE.match(word) and not word.endswith(_ADMIN_END)
            and not word.startswith(_ADMIN_END))


def vectorise(texts: list[str], title_words: list[list[str]]) -> sparse.csr_matrix:
    """TF-IDF rows (L2-normalised): character bigrams of title×2 + content start; title words."""
    # max_df 0.5 drops bigrams common to half the texts; below 4 texts that would leave nothing.
    chars = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True, min_df=2,
                            max_df=0.5 if len(texts) >= 4 else 1.0, dtype=np.float32)
    try:
        x_chars = chars.fit_transform(texts)
    except ValueError:  # no bigram occurs twice (tiny or unrelated inputs)
        x_chars = sparse.csr_matrix((len(texts), 0), dtype=np.float32)
    words = TfidfVectorizer(analyzer=lambda ws: ws, sublinear_tf=True, min_df=2, dtype=np.float32)
    try:
        x_words = words.fit_transform(title_words)
    except ValueError:  # no word occurs twice (tiny inputs)
        x_words = sparse.csr_matrix((len(texts), 0), dtype=np.float32)
    x = sparse.hstack([x_chars, x_words], format="csr", dtype=np.float32)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ x, dtype=np.float32)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _merge(a: list[placelib.Place], b: list[placelib.Place]) -> list[placelib.Place]:
    names = {p.name for p in a}
    return a + [p for p in b if p.name not in names]


def _links(x: sparse.csr_matrix, groups: list[tuple[str, list[int], float]]) -> list[tuple[int, int]]:
    """Pairs sharing an anchor whose cosine reaches that anchor's threshold, the most similar first
    (strong links are made before weak ones can join two places). Small groups are scored pair by
    pair in one vectorised pass; large ones by a block product."""
    pa: list[np.ndarray] = []
    pb: list[np.ndarray] = []
    need: list[np.ndarray] = []
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for _anchor, idx, needed in groups:
        m = np.asarray(idx, dtype=np.int64)
        if len(m) <= 150:
            r, c = np.triu_indices(len(m), k=1)
            pa.append(m[r])
            pb.append(m[c])
            need.append(np.full(len(r), needed, dtype=np.float32))
        else:
            sims = (x[m] @ x[m].T).toarray()
            r, c = np.nonzero(np.triu(sims >= needed, k=1))
            r, c, w = _forest(len(m), r, c, sims[r, c])
            found.append((m[r], m[c], w))
    if pa:
        a, b, t = np.concatenate(pa), np.concatenate(pb), np.concatenate(need)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        # A pair met through several anchors is scored once, with the most lenient threshold.
        order = np.lexsort((t, hi, lo))
        lo, hi, t = lo[order], hi[order], t[order]
        first = np.ones(len(lo), dtype=bool)
        first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
        lo, hi, t = lo[first], hi[first], t[first]
        sims = np.zeros(len(lo), dtype=np.float32)
        step = 200_000
        for s in range(0, len(lo), step):
            sims[s:s + step] = np.asarray(x[lo[s:s + step]].multiply(x[hi[s:s + step]]).sum(axis=1)).ravel()
        ok = sims >= t
        found.append((lo[ok], hi[ok], sims[ok]))
    if not found:
        return []
    a = np.concatenate([f[0] for f in found])
    b = np.concatenate([f[1] for f in found])
    s = np.concatenate([f[2] for f in found])
    a, b, s = _forest(x.shape[0], a, b, s)
    order = np.argsort(-s, kind="stable")
    return list(zip(a[order].tolist(), b[order].tolist(), strict=True))


def _forest(n: int, a: np.ndarray, b: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The maximum spanning forest of the links: the same connected components through the
    strongest links only (at most n − 1 of them), so a big hotspot is not scored pair by pair in
    Python."""
    if len(a) < 2:
        return a, b, s.astype(np.float32)
    from scipy.sparse.csgraph import minimum_spanning_tree

    # A pair met through several anchors counts once, with its similarity (a sparse matrix would add).
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((-s, hi, lo))
    lo, hi, s = lo[order], hi[order], s[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    a, b, s = lo[first], hi[first], s[first]
    # Weights must be positive: 2 − cosine turns the most similar into the lightest.
    graph = sparse.coo_matrix((2.0 - s.astype(np.float64), (a, b)), shape=(n, n)).tocsr()
    tree = minimum_spanning_tree(graph).tocoo()
    return tree.row.astype(np.int64), tree.col.astype(np.int64), (2.0 - tree.data).astype(np.float32)


def _specific_places(ps: list[placelib.Place]) -> frozenset[str]:
    """The finest places a title names: its estates when it names one (two estates with a 垃圾站
    each are two places); else organisations, sites, schemes; roads only when there is nothing
    finer (two estates on one road are two places)."""
    for kinds in (("estate",), ("organisation", "site", "scheme")):
        fine = frozenset(p.name for p in ps if p.kind in kinds)
        if fine:
            return fine
    return frozenset(p.name for p in ps)


def _conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    """Both titles name places and none of them is the same place."""
    if not a or not b or a & b:
        return False
    return not any(placelib.same_place(x, y) for x in a for y in b)


def _anchor_groups(docs: Sequence[Doc], doc_places: list[list[placelib.Place]], title_words: list[list[str]],
                   params: Params) -> tuple[list[tuple[str, list[int], float]], set[str]]:
    """(anchor, member indices, similarity needed) for every anchor shared by two or more requests;
    and the set of rare title words."""
    n = len(docs)
    by_place: dict[str, list[int]] = defaultdict(list)
    road: set[str] = set()
    for i, ps in enumerate(doc_places):
        for p in ps:
            by_place[p.name].append(i)
            if p.kind == "road":
                road.add(p.name)
    by_word: dict[str, list[int]] = defaultdict(list)
    for i, ws in enumerate(title_words):
        for w in set(ws):
            by_word[w].append(i)
    rare_cap = max(params.rare_word_min_count, int(params.rare_word_max_df * n))
    # A road or line is long and carries many matters: a shared road needs more text in common.
    groups = [(name, idx, params.road_similarity if name in road else params.place_similarity)
              for name, idx in by_place.items() if 2 <= len(idx) <= params.max_group]
    from hotline.dispatch.text import _tokenizer

    known = _tokenizer().FREQ
    # Only names anchor a link: a rare dictionary word (太慢, 流程) is phrasing, not a matter.
    rare = {w for w, idx in by_word.items()
            if len(idx) <= rare_cap and w not in by_place and _name_like(w, known)}
    groups += [(w, idx, params.word_similarity) for w, idx in by_word.items() if len(idx) >= 2 and w in rare]
    return groups, rare


def cluster(docs: Sequence[Doc], params: Params | None = None, *, now: datetime | None = None) -> list[Cluster]:
    """The hotspots among `docs`, hottest first (only clusters of at least `min_size`)."""
    params = params or Params()
    n = len(docs)
    if n < 2:
        return []
    titles = [_normal(d.title) for d in docs]
    contents = [_normal((d.content or "")[: max(params.place_chars, params.content_chars) + 40]) for d in docs]
    in_title = [placelib.extract(t, normalised=True) for t in titles]
    doc_places = [_merge(t, placelib.extract(c[: params.place_chars], normalised=True))
                  for t, c in zip(in_title, contents, strict=True)]
    title_places = [_specific_places(t) for t in in_title]
    title_words = _title_words(titles)
    x = vectorise(_similarity_texts(titles, contents, params), title_words)

    uf = _UnionFind(n)
    # The places each component's titles name: two components about different places never merge,
    # even through a request that names no place at all.
    comp_places: dict[int, frozenset[str]] = {i: title_places[i] for i in range(n) if title_places[i]}
    groups, rare = _anchor_groups(docs, doc_places, title_words, params)
    for a, b in _links(x, groups):
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb or _conflict(title_places[a], title_places[b]):
            continue
        pa, pb = comp_places.get(ra, frozenset()), comp_places.get(rb, frozenset())
        if _conflict(pa, pb):
            continue
        uf.union(ra, rb)
        if pa or pb:
            comp_places[uf.find(ra)] = pa | pb

    components: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        components[uf.find(i)].append(i)
    anchors = [{p.name for p in ps} | (set(ws) & rare) for ps, ws in zip(doc_places, title_words, strict=True)]
    found: list[Cluster] = []
    for members in components.values():
        for part in _split_by_anchor(members, anchors, params.min_size):
            kept = _prune(x, part, params.member_similarity)
            if len(kept) >= params.min_size:
                found.append(Cluster(members=kept))
    end = now or max(d.at for d in docs)
    start = min(d.at for d in docs)
    idf = _word_idf(title_words)
    for c in found:
        _describe(c, docs, x, doc_places, in_title, title_words, idf, params, start=start, end=end)
    found.sort(key=lambda c: (-c.heat, -c.size, c.external_ids[:1]))
    return found


def _split_by_anchor(members: list[int], anchors: list[set[str]], min_size: int) -> list[list[int]]:
    """A hotspot is about one place or matter: when no anchor is shared by half of a component
    (a chain 地铁1号线 → 丁字湾 → 动物园), take out the group of the most shared anchor, then the next."""
    rest = list(members)
    parts: list[list[int]] = []
    while len(rest) >= min_size:
        counts: Counter[str] = Counter()
        for i in rest:
            counts.update(anchors[i])
        if not counts:
            break
        anchor, count = max(counts.items(), key=lambda kv: (kv[1], len(kv[0]), kv[0]))
        if count * 2 >= len(rest):
            parts.append(rest)
            break
        if count < min_size:
            break
        parts.append([i for i in rest if anchor in anchors[i]])
        rest = [i for i in rest if anchor not in anchors[i]]
    return parts


def _prune(x: sparse.csr_matrix, members: list[int], threshold: float) -> list[int]:
    """Members close enough to the centroid, recomputed once after the first cut."""
    kept = members
    for _ in range(2):
        rows = x[kept]
        centroid = np.asarray(rows.mean(axis=0)).ravel()
        norm = np.linalg.norm(centroid)
        if norm == 0:
            return []
        sims = rows @ (centroid / norm)
        nxt = [m for m, s in zip(kept, np.asarray(sims).ravel(), strict=True) if s >= threshold]
        if len(nxt) == len(kept):
            break
        kept = nxt
        if not kept:
            break
    return kept


def _word_idf(title_words: list[list[str]]) -> dict[str, float]:
    df: Counter[str] = Counter()
    for ws in title_words:
        df.update(set(ws))
    n = len(title_words)
    return {w: math.log((1 + n) / (1 + c)) + 1 for w, c in df.items()}


def _describe(c: Cluster, docs: Sequence[Doc], x: sparse.csr_matrix, doc_places: list[list[placelib.Place]],
              in_title: list[list[placelib.Place]],
              title_words: list[list[str]], idf: dict[str, float], params: Params, *, start: datetime,
              end: datetime) -> None:
    members = sorted(c.members, key=lambda i: (docs[i].at, docs[i].key))
    c.members = members
    c.size = len(members)
    c.support = sum(max(docs[i].support, 0) for i in members)
    c.external_ids = [docs[i].key for i in members]
    c.first_at = docs[members[0]].at
    c.last_at = docs[members[-1]].at
    c.months = sorted({_month(docs[i].at) for i in members})
    # The place most members name, when at least half of them do.
    named: Counter[str] = Counter()
    kinds: dict[str, str] = {}
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    for i in members:
        for p in doc_places[i]:
            named[p.name] += 1
            kinds.setdefault(p.name, p.kind)
            surfaces[p.name][p.surface] += 1
    in_titles: Counter[str] = Counter()
    for i in members:
        in_titles.update({p.name for p in in_title[i]})
    texts = (_normal(f"{docs[i].title}|{(docs[i].content or '')[: params.place_chars]}") for i in members)
    member_texts: list[str] = []

    def read() -> Iterable[str]:  # normalised once, and only as far as a name check needs them
        yield from member_texts
        for t in texts:
            member_texts.append(t)
            yield t

    # The most named place that is a name, not a piece of the wording (labels.py: 有五六盏路 of 路灯 …),
    # when at least half the members name it.
    for name, count in sorted(named.items(), key=lambda kv: (in_titles[kv[0]], kv[1], len(kv[0])), reverse=True):
        if labels.fragment(surfaces[name].most_common(1)[0][0], read()):
            continue
        if count * 2 >= c.size:
            c.place, c.place_kind = name, kinds[name]
        break
    if c.place is None:  # else the street most members lie in (the tickets' jurisdiction), when half do
        streets = Counter(docs[i].street for i in members if docs[i].street)
        if streets:
            street, n_street = streets.most_common(1)[0]
            if n_street * 2 >= c.size:
                c.place, c.place_kind = street, "street"
    districts: Counter[str] = Counter()
    for i in members:
        d = docs[i].district or next(iter(placelib.districts(docs[i].title + docs[i].content[:200])), None)
        if d:
            districts[d] += 1
    if districts:
        top, n = districts.most_common(1)[0]
        # requests from all over the city are no one district's: said so, not labelled with the largest
        c.district = top if n * 2 >= sum(districts.values()) else f"{top}等{len(districts)}个区县"
    # Keywords: title words frequent in the cluster and rare in the whole set.
    tf: Counter[str] = Counter()
    for i in members:
        tf.update(set(title_words[i]))
    scored = sorted(((w, k) for w, k in tf.items() if not _CODE_RE.match(w) and not w.endswith(_ADMIN_END)
                     and not w.startswith(_ADMIN_END)),
                    key=lambda kv: (-(kv[1] * idf.get(kv[0], 1.0)), kv[0]))
    c.keywords = [w for w, k in scored if k >= 2 or c.size <= 3][:8]
    if c.place and c.place not in c.keywords:
        c.keywords = [c.place, *c.keywords][:8]
    # Representative titles: the closest to the centroid, distinct.
    rows = x[members]
    centroid = np.asarray(rows.mean(axis=0)).ravel()
    order = np.argsort(-np.asarray(rows @ centroid).ravel(), kind="stable")
    titles: list[str] = []
    for j in order.tolist():
        t = docs[members[j]].title.strip()
        if t and t not in titles:
            titles.append(t)
        if len(titles) >= 5:
            break
    c.titles = titles
    # Neither a place nor a street: a matter from all over (路灯不亮 in eleven districts) is named as one.
    c.label = c.place or (titles[0] if titles else "、".join(c.keywords[:3]))
    c.growth = growth_of([docs[i].at for i in members], start=start, end=end, window=timedelta(days=params.window_days))
    c.heat = math.log1p(c.size) + 0.5 * math.log1p(c.support) + 0.5 * math.log(max(c.growth.ratio, 1.0))


def _month(at: datetime) -> str:
    from hotline.clock import to_local

    return to_local(at).strftime("%Y-%m")


def recurring(clusters: Iterable[Cluster], *, min_months: int = 3, min_size: int = 5) -> list[Cluster]:
    """每月一题 candidates: hotspots that came back month after month — requests in at least
    `min_months` distinct calendar months and `min_size` in all — the most months first."""
    out = [c for c in clusters if len(c.months) >= min_months and c.size >= min_size]
    out.sort(key=lambda c: (-len(c.months), -c.size, -c.support))
    return out
