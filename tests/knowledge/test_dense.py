"""The index of meanings (knowledge/dense.py) and the ranker of the union (semantic.rank): articles
found by meaning when they share no word with the query, under the same filters, kept in step
with publishing, standing aside when too large; and the ranker's order."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.knowledge import assistant, dense, search, semantic, service
from hotline.knowledge.models import Article
from hotline.knowledge.search import IndexDoc, MemoryIndex, SearchFilters
from hotline.runtime import Runtime
from tests.knowledge.test_semantic import FakeEncoder, hit

# Three directions: housing fund, social insurance card, and a query for the first in other words.
TABLE = {
    "公积金怎么提取？": (1.0, 0.0, 0.0),
    "社保卡丢了怎么补办？": (0.0, 1.0, 0.0),
    "攒的那笔买房的钱能拿出来吗": (0.98, 0.05, 0.0),  # no word in common with 公积金怎么提取
    "火星移民签证": (0.0, 0.0, 1.0),  # near nothing
    "看病凭证寻不见": (0.05, 0.98, 0.0),  # no word in common with 社保卡丢了怎么补办
}


@pytest.fixture()
def fake_reranker(monkeypatch: pytest.MonkeyPatch) -> Iterator[semantic.Reranker]:
    reranker = semantic.Reranker(semantic.VectorStore(FakeEncoder(TABLE)))
    monkeypatch.setattr(semantic, "default_reranker", lambda: reranker)
    yield reranker


def _article(publish: Callable[..., Article], question: str, **kw: object) -> Article:
    return publish(questions=[question], phrasings=[], answer=f"关于{question}的答复。", category_code=None,
                   tags=[], **kw)


def test_an_article_sharing_no_word_is_found_by_meaning(db: Session, rt: Runtime, publish: Callable[..., Article],
                                                        fake_reranker: semantic.Reranker) -> None:
    _article(publish, "公积金怎么提取？")
    _article(publish, "社保卡丢了怎么补办？")
    filters = service.search_filters(db, rt, audiences=None)
    hits = service.search_published(db, query="攒的那笔买房的钱能拿出来吗", filters=filters, limit=5)
    assert [h.title for h in hits][:1] == ["公积金怎么提取？"]
    assert hits[0].similarity is not None and hits[0].similarity > 0.95
    assert 0.0 < hits[0].score < 1.0  # the ranker's probability
    assert hits[0].snippet == "关于公积金怎么提取？的答复。"  # filled after ranking, for the hits kept
    # A query near nothing finds nothing (as lexical search alone would).
    assert service.search_published(db, query="火星移民签证", filters=filters, limit=5) == []


def test_the_nearest_obey_the_filters(db: Session, rt: Runtime, publish: Callable[..., Article],
                                      fake_reranker: semantic.Reranker) -> None:
    _article(publish, "公积金怎么提取？", audience="internal")
    public = service.search_filters(db, rt, audiences=frozenset({"public"}))
    assert service.search_published(db, query="攒的那笔买房的钱能拿出来吗", filters=public, limit=5) == []
    everyone = service.search_filters(db, rt, audiences=None)
    assert service.search_published(db, query="攒的那笔买房的钱能拿出来吗", filters=everyone, limit=5)


def test_a_newly_published_article_is_found_by_meaning_at_once(db: Session, rt: Runtime,
                                                                 publish: Callable[..., Article],
                                                                 fake_reranker: semantic.Reranker) -> None:
    _article(publish, "公积金怎么提取？")
    filters = service.search_filters(db, rt, audiences=None)
    query = "看病凭证寻不见"
    assert "社保卡丢了怎么补办？" not in [h.title for h in service.search_published(db, query=query, filters=filters)]
    _article(publish, "社保卡丢了怎么补办？")
    hits = service.search_published(db, query=query, filters=filters)
    assert hits[0].title == "社保卡丢了怎么补办？" and hits[0].ranked
    lexical = search.index_for(search.engine_of(db)).backend.search(query, filters=filters)
    assert "社保卡丢了怎么补办？" not in [h.title for h in lexical]  # found by meaning, not by words


def test_nearest_orders_articles_once_each_and_stands_aside_when_too_large(engine: Engine) -> None:
    encoder = FakeEncoder({"甲": (1, 0, 0), "甲的问法": (0.9, 0.1, 0), "乙": (0.6, 0.8, 0), "丙": (0, 0, 1)})
    backend = MemoryIndex()
    backend.documents = lambda: {1: ("甲", "甲的问法"), 2: ("乙",), 3: ("丙",)}  # type: ignore[method-assign]
    meanings = dense.DenseIndex(semantic.VectorStore(encoder))
    meanings.sync(engine, backend)
    assert len(meanings) == 4 and meanings.available
    q = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    assert meanings.nearest(q, 5) == [1]  # 甲 once (two phrasings); 乙 (cosine 0.6) is not related
    assert meanings.nearest(q, 5, min_similarity=0.5) == [1, 2]
    assert meanings.nearest(q, 5, min_similarity=0.0) == [1, 2, 3]
    snapshot = meanings._snapshot
    meanings.sync(engine, backend)  # same generation: nothing done
    assert meanings._snapshot is snapshot
    small = dense.DenseIndex(semantic.VectorStore(encoder), max_vectors=3)
    small.sync(engine, backend)
    assert small.too_large and not small.available and small.nearest(q) == []


def test_the_ranker_orders_by_its_probability() -> None:
    q = np.array([1.0, 0.0], dtype=np.float32)
    vectors = {"甲": np.array([0.86, 0.51], np.float32), "乙": np.array([0.99, 0.14], np.float32)}
    a, b = hit("a1", 2.0, "甲"), hit("a2", 0.5, "乙")  # 甲 first lexically, 乙 nearest in meaning
    ranker = semantic.Ranker(coef=(1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0), intercept=0.0)  # lexical only
    assert [h.key for h in semantic.rank(q, [a, b], vectors, [2, 1], ranker)] == ["a1", "a2"]
    meaning = semantic.Ranker(coef=(0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0), intercept=0.0)
    a, b = hit("a1", 2.0, "甲"), hit("a2", 0.5, "乙")
    ranked = semantic.rank(q, [a, b], vectors, [2, 1], meaning)
    assert [h.key for h in ranked] == ["a2", "a1"]
    assert ranked[0].similarity == pytest.approx(0.99, abs=1e-3)
    x, _ = semantic.features(q, [hit("a1", 2.0, "甲"), hit("a2", 0.5, "乙")], vectors, [2])
    assert x.shape == (2, len(semantic.FEATURES))
    assert x[0, 0] == 1.0 and x[1, 0] == 0.25  # lexical, relative to the best
    assert x[1, 5] == 1.0 and x[0, 5] == pytest.approx(1 / 50)  # dense rank; a1 not among the nearest
    assert x[1, 6] == pytest.approx(0.0) and x[0, 6] < 0  # the gap to the best cosine


def test_many_missing_vectors_are_encoded_in_the_background(engine: Engine) -> None:
    encoder = FakeEncoder({"甲": (1, 0, 0), "乙": (0, 1, 0), "丙": (0, 0, 1)})
    backend = MemoryIndex()
    backend.documents = lambda: {1: ("甲",), 2: ("乙",), 3: ("丙",)}  # type: ignore[method-assign]
    meanings = dense.DenseIndex(semantic.VectorStore(encoder), encode_in_search=2)
    meanings.sync(engine, backend)  # three missing > 2: the search does not wait for them
    assert len(meanings) == 0
    meanings.wait(10)
    assert sorted(encoder.calls) == ["丙", "乙", "甲"]
    meanings.sync(engine, backend)  # the next search takes them in, without encoding again
    assert len(meanings) == 3 and len(encoder.calls) == 3
    assert meanings.nearest(np.array([0.0, 1.0, 0.0], dtype=np.float32)) == [2]


def test_included_articles_are_scored_under_the_same_filters() -> None:
    index = MemoryIndex()
    docs = [IndexDoc(article_id=i, key=f"K{i}", title=q, questions=(q,), answer=f"答复{i}", audience=a)
            for i, (q, a) in enumerate([("公积金怎么提取", "public"), ("社保卡怎么补办", "public"),
                                        ("内部口径说明", "internal"), ("医保怎么报销", "public")], start=1)]
    index.rebuild(docs[:3])
    index.upsert([docs[3]])  # in the delta segment
    public = SearchFilters(audiences=frozenset({"public"}))
    assert [h.key for h in index.search("公积金提取", filters=public, limit=1)] == ["K1"]
    hits = index.search("公积金提取", filters=public, limit=1, include=[2, 3, 4, 2, 99])
    assert [h.key for h in hits] == ["K1", "K2", "K4"]  # beyond the limit, once each; K3 filtered, 99 unknown
    only = index.search("火星", filters=public, include=[4])  # nothing lexical: the included one alone
    assert [h.key for h in only] == ["K4"] and only[0].score >= 0.0
    assert index.search("火星", filters=public) == []


def test_snippets_can_wait_for_the_hits_kept() -> None:
    index = MemoryIndex()
    index.rebuild([IndexDoc(article_id=1, key="K1", title="公积金怎么提取", questions=("公积金怎么提取",),
                            answer="公积金提取请带身份证到窗口。", audience="public")])
    bare = index.search("公积金提取", snippets=False)
    assert [h.snippet for h in bare] == [""]
    index.fill_snippets("公积金提取", bare)
    assert bare[0].snippet == index.search("公积金提取")[0].snippet and "<mark>" in bare[0].snippet


def test_two_copies_of_one_question_score_alike_and_the_assistant_asks_which() -> None:
    q = np.array([1.0, 0.0], dtype=np.float32)
    vectors = {"社保卡丢了怎么补办？": np.array([0.92, 0.3919], np.float32)}
    a = hit("a1", 1.0, "社保卡丢了怎么补办？")
    b = hit("a2", 1.0, "社保卡丢了怎么补办？")
    b.answer = "请到区社保中心补办，需带身份证，十个工作日内领取新卡。"
    a.answer = "可在线上小程序挂失并申请补卡，邮寄到家，无需本人到场。"
    ranked = semantic.rank(q, [a, b], vectors, [1, 2])
    assert ranked[0].score == ranked[1].score and all(h.ranked for h in ranked)
    assert assistant.rule_for(ranked) is assistant.SEMANTIC_RULE
    assert assistant.decide("社保卡丢了怎么办", ranked).kind == "clarify"


class Docs:
    """A backend's view for the index of meanings: its articles' questions and a generation."""

    def __init__(self, docs: dict[int, tuple[str, ...]]) -> None:
        self.docs, self.generation = docs, 0

    def documents(self) -> dict[int, tuple[str, ...]]:
        return dict(self.docs)

    def __len__(self) -> int:
        return len(self.docs)


def _spread(n: int, seed: int = 3) -> dict[str, tuple[float, float, float]]:
    rng = np.random.default_rng(seed)
    return {f"问题{i}": tuple(float(v) for v in rng.standard_normal(3)) for i in range(n)}


def test_above_the_exact_limit_the_inverted_file_finds_what_the_scan_finds(engine: Engine) -> None:
    table = _spread(80)
    encoder = FakeEncoder(table)
    backend = Docs({i: (f"问题{2 * i}", f"问题{2 * i + 1}") for i in range(40)})  # two questions an article
    exact = dense.DenseIndex(semantic.VectorStore(encoder), encode_in_search=1000)
    inverted = dense.DenseIndex(semantic.VectorStore(encoder), exact_limit=20, probes=1000, encode_in_search=1000)
    exact.sync(engine, backend)
    inverted.sync(engine, backend)  # a large base is built beside the searches: not there yet
    inverted.wait(10)
    assert exact._snapshot is not None and exact._snapshot.inverted is None
    snapshot = inverted._snapshot
    assert snapshot is not None and snapshot.inverted is not None
    assert len(snapshot.inverted.clusters.centres) == 17  # 2·√80
    # Every probe: the same articles in the same order, though the rows are sorted by cluster.
    for text in list(table)[:10]:
        q = encoder.encode([text])[0]
        assert inverted.nearest(q, 5, min_similarity=0.0) == exact.nearest(q, 5, min_similarity=0.0)
    few = dense.DenseIndex(semantic.VectorStore(encoder), exact_limit=20, probes=2, encode_in_search=1000)
    few.sync(engine, backend)
    few.wait(10)
    q = encoder.encode(["问题6"])[0]
    assert few.nearest(q, 1) == [3]  # its own article, from the two nearest clusters


def test_a_change_keeps_the_clusters_and_reads_only_the_new_vectors(engine: Engine) -> None:
    """Above the exact limit a change is taken in beside the searches, from the last snapshot."""
    table = _spread(200)
    encoder = FakeEncoder(table)
    store = semantic.VectorStore(encoder)
    docs = {i: (f"问题{i}",) for i in range(60)}
    backend = Docs(docs)
    meanings = dense.DenseIndex(store, exact_limit=20, probes=1000, encode_in_search=1000)
    meanings.sync(engine, backend)
    meanings.wait(10)
    first = meanings._snapshot
    assert first is not None and first.inverted is not None
    asked: list[list[str]] = []
    go, reached = threading.Event(), threading.Event()
    real_get = store.get

    def held_get(engine: Engine, texts: list[str], **kw: bool) -> dict[str, np.ndarray]:
        asked.append(list(texts))
        reached.set()
        assert go.wait(10)  # the rebuild waits here until the test lets it go on
        return real_get(engine, texts, **kw)

    store.get = held_get  # type: ignore[method-assign]
    docs[60] = ("问题60",)
    del docs[0]
    backend.generation += 1
    q = encoder.encode(["问题60"])[0]
    meanings.sync(engine, backend)  # the rebuild runs beside the searches (held back by held_get)
    assert reached.wait(10)
    assert meanings._snapshot is first and 60 not in meanings.nearest(q, 5, min_similarity=0.0)
    meanings.sync(engine, backend)  # a second search neither waits nor starts another rebuild
    assert len(asked) == 1
    go.set()
    meanings.wait(10)
    second = meanings._snapshot
    assert second is not None and second.inverted is not None
    assert second.inverted.clusters is first.inverted.clusters  # 60 rows, learned on 60: kept
    assert second.labels is not None  # the labels carried over are each row's own cluster, sorted
    assert np.array_equal(second.labels, second.inverted.clusters.labels(second.matrix))
    assert np.all(np.diff(second.labels) >= 0)
    # Looked up (not found), then encoded: only the new question; the others come from the last snapshot.
    assert asked == [["问题60"], ["问题60"]]
    assert "问题0" not in second.rows and len(meanings) == 60
    assert meanings.nearest(q, 1) == [60]
    for i in range(61, 130):  # more than twice the size learned on: clustered again
        docs[i] = (f"问题{i}",)
    backend.generation += 1
    meanings.sync(engine, backend)
    meanings.wait(10)
    third = meanings._snapshot
    assert third is not None and third.inverted is not None
    assert third.inverted.clusters is not first.inverted.clusters and third.inverted.clusters.learned_on == 129
    exact = dense.DenseIndex(semantic.VectorStore(encoder), encode_in_search=1000)
    exact.sync(engine, backend)
    for text in ("问题5", "问题77", "问题128"):
        q = encoder.encode([text])[0]
        assert meanings.nearest(q, 5, min_similarity=0.0) == exact.nearest(q, 5, min_similarity=0.0)


def test_a_question_two_articles_share_and_a_failed_rebuild(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    table = _spread(50)
    encoder = FakeEncoder(table)
    docs = {i: (f"问题{i}",) for i in range(40)}
    docs[40] = ("问题7", "问题41")  # 问题7 in two articles
    backend = Docs(docs)
    store = semantic.VectorStore(encoder)
    meanings = dense.DenseIndex(store, exact_limit=10, probes=2, encode_in_search=1000)
    meanings.sync(engine, backend)
    meanings.wait(10)
    assert len(meanings) == 42
    q = encoder.encode(["问题7"])[0]
    assert sorted(meanings.nearest(q, 2)) == [7, 40]  # both, from the one cluster they share
    # A rebuild that fails is logged once and not started again at every search; the last
    # snapshot keeps serving, and the next change is taken in.
    first = meanings._snapshot
    real_get = store.get
    store.get = lambda *a, **kw: (_ for _ in ()).throw(RuntimeError("database gone"))  # type: ignore[method-assign]
    docs[41] = ("问题42",)
    backend.generation += 1
    for _ in range(3):
        meanings.sync(engine, backend)
        meanings.wait(10)
    assert caplog.text.count("rebuilding the index of meanings failed") == 1
    assert meanings._snapshot is first and meanings.nearest(q, 2)
    store.get = real_get  # type: ignore[method-assign]
    backend.generation += 1
    meanings.sync(engine, backend)
    meanings.wait(10)
    assert 41 in meanings.nearest(encoder.encode(["问题42"])[0], 1)


def test_wait_also_waits_for_the_encoder_a_rebuild_starts(engine: Engine) -> None:
    table = _spread(40)
    encoder = FakeEncoder(table)
    backend = Docs({i: (f"问题{i}",) for i in range(30)})
    meanings = dense.DenseIndex(semantic.VectorStore(encoder), exact_limit=10, encode_in_search=0)
    meanings.sync(engine, backend)  # rebuild beside, which hands the 30 missing to the encoder
    meanings.wait(10)
    assert sorted(encoder.calls) == sorted(f"问题{i}" for i in range(30))


def test_the_cli_s_search_waits_for_a_large_base_s_index_of_meanings(db: Session, rt: Runtime,
                                                                    publish: Callable[..., Article],
                                                                    fake_reranker: semantic.Reranker,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dense, "EXACT_LIMIT", 1)  # two articles: "large", built beside the searches
    _article(publish, "公积金怎么提取？")
    _article(publish, "社保卡丢了怎么补办？")
    filters = service.search_filters(db, rt, audiences=None)
    service.prepare_search(db)  # as `hotline kb search` does before its queries
    meanings = dense.dense_for(search.index_for(search.engine_of(db)), fake_reranker.store)
    assert meanings._snapshot is not None and meanings._snapshot.inverted is not None
    hits = service.search_published(db, query="攒的那笔买房的钱能拿出来吗", filters=filters, limit=5)
    assert [h.title for h in hits][:1] == ["公积金怎么提取？"]


def _doc(aid: int, *questions: str) -> IndexDoc:
    return IndexDoc(article_id=aid, key=f"K{aid}", title=questions[0], questions=questions, answer="答复",
                    audience="public")


def test_the_backend_says_which_articles_changed_since_a_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = MemoryIndex()
    backend.rebuild([_doc(1, "公积金怎么提取"), _doc(2, "社保卡怎么补办")])
    built = backend.generation
    assert backend.changed_since(built) == set() and backend.changed_since(built - 1) is None  # before the rebuild
    backend.upsert([_doc(3, "医保怎么报销")])
    backend.remove([1])
    assert backend.changed_since(built) == {1, 3} and backend.changed_since(built + 1) == {1}
    assert backend.documents([1, 2, 3]) == {2: ("社保卡怎么补办",), 3: ("医保怎么报销",)}  # 1 is gone
    monkeypatch.setattr(search, "CHANGE_LOG", 2)
    backend.upsert([_doc(2, "社保卡丢了怎么补办")])
    assert backend.changed_since(built) is None  # older than the log remembers
    assert backend.changed_since(built + 1) == {1, 2}


def test_a_change_is_taken_in_as_a_delta_and_the_matrix_is_not_copied(engine: Engine,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    table = _spread(300, seed=5)
    encoder = FakeEncoder(table)
    backend = MemoryIndex()
    backend.rebuild([_doc(i, f"问题{2 * i}", f"问题{2 * i + 1}") for i in range(60)])
    for exact_limit, probes in ((30_000, 1), (20, 1000)):  # exhaustive, and the inverted file
        meanings = dense.DenseIndex(semantic.VectorStore(encoder), exact_limit=exact_limit, probes=probes,
                                    encode_in_search=1000)
        meanings.sync(engine, backend)
        meanings.wait(10)
        first = meanings._snapshot
        assert first is not None and (first.inverted is not None) == (exact_limit == 20)
        rng = np.random.default_rng(exact_limit)
        for step in range(12):  # articles changed, added and removed, one at a time
            aid = int(rng.integers(0, 70))
            if step % 4 == 3:
                backend.remove([aid])
            else:  # a question no other article has (ties would be ordered by row)
                backend.upsert([_doc(aid, f"问题{120 + 12 * (exact_limit == 20) + step}")])
            meanings.sync(engine, backend)  # in place, even above the exact limit: no thread
            assert meanings._rebuilding is None
            snapshot = meanings._snapshot
            assert snapshot is not None and snapshot.matrix is first.matrix and snapshot.delta is not None
            fresh = dense.DenseIndex(semantic.VectorStore(encoder), encode_in_search=1000)
            fresh.sync(engine, backend)  # the same articles, built from nothing
            assert len(meanings) == len(fresh)
            for text in ("问题3", f"问题{120 + step}", f"问题{2 * aid}"):
                q = encoder.encode([text])[0]
                assert meanings.nearest(q, 8, min_similarity=0.0) == fresh.nearest(q, 8, min_similarity=0.0)
        # Past the delta's limit the matrix is rebuilt with the changes in it (beside the searches
        # above the exact limit) and the delta starts empty.
        monkeypatch.setattr(dense, "DELTA_LIMIT", 2)
        backend.upsert([_doc(1, "问题201"), _doc(2, "问题202"), _doc(3, "问题203")])
        meanings.sync(engine, backend)
        meanings.wait(10)
        rebuilt = meanings._snapshot
        assert rebuilt is not None and rebuilt.matrix is not first.matrix and rebuilt.delta is None
        assert meanings.nearest(encoder.encode(["问题202"])[0], 1) == [2]
        monkeypatch.setattr(dense, "DELTA_LIMIT", 5_000)


def test_a_delta_with_many_new_questions_leaves_them_to_the_background_encoder(engine: Engine) -> None:
    table = _spread(40)
    encoder = FakeEncoder(table)
    backend = MemoryIndex()
    backend.rebuild([_doc(i, f"问题{i}") for i in range(10)])
    meanings = dense.DenseIndex(semantic.VectorStore(encoder), encode_in_search=2)
    meanings.sync(engine, backend)  # ten to encode: in the background
    meanings.wait(10)
    meanings.sync(engine, backend)
    assert len(meanings) == 10
    backend.upsert([_doc(20, "问题20")])  # one new question: encoded in the search, in the delta
    meanings.sync(engine, backend)
    snapshot = meanings._snapshot
    assert snapshot is not None and snapshot.delta is not None
    assert meanings.nearest(encoder.encode(["问题20"])[0], 1) == [20]
    backend.upsert([_doc(i, f"问题{i}") for i in range(21, 25)])  # four: more than the search encodes
    meanings.sync(engine, backend)
    meanings.wait(10)
    assert sorted(encoder.calls[-4:]) == sorted(f"问题{i}" for i in range(21, 25))  # by the background encoder
    meanings.sync(engine, backend)  # the next search takes them in
    assert len(meanings) == 15 and meanings.nearest(encoder.encode(["问题23"])[0], 1) == [23]


def test_a_delta_that_would_pass_the_largest_size_sets_search_by_meaning_aside(engine: Engine) -> None:
    encoder = FakeEncoder(_spread(10))
    backend = MemoryIndex()
    backend.rebuild([_doc(i, f"问题{i}") for i in range(4)])
    meanings = dense.DenseIndex(semantic.VectorStore(encoder), max_vectors=5)
    meanings.sync(engine, backend)
    backend.upsert([_doc(1, "问题5")])  # the same size: taken in as a delta
    meanings.sync(engine, backend)
    assert meanings.available and meanings._snapshot is not None and meanings._snapshot.delta is not None
    backend.upsert([_doc(6, "问题6"), _doc(7, "问题7")])  # six questions: more than allowed
    meanings.sync(engine, backend)
    assert meanings.too_large and not meanings.available


def test_a_matrix_mostly_dead_after_a_change_is_rebuilt(engine: Engine) -> None:
    """Half the rows, not half the articles: three questions an article, four of ten articles
    changed leave 12 of 30 rows dead (a delta); two more, 18 (a rebuild compacts them)."""
    encoder = FakeEncoder(_spread(60, seed=9))
    backend = MemoryIndex()
    backend.rebuild([_doc(i, f"问题{3 * i}", f"问题{3 * i + 1}", f"问题{3 * i + 2}") for i in range(10)])
    meanings = dense.DenseIndex(semantic.VectorStore(encoder), encode_in_search=1000)
    meanings.sync(engine, backend)
    first = meanings._snapshot
    backend.upsert([_doc(i, f"问题{30 + i}") for i in range(4)])
    meanings.sync(engine, backend)
    snapshot = meanings._snapshot
    assert snapshot is not None and snapshot.matrix is first.matrix and snapshot.dead_rows == 12  # type: ignore[union-attr]
    backend.upsert([_doc(i, f"问题{30 + i}") for i in range(4, 6)])
    meanings.sync(engine, backend)
    rebuilt = meanings._snapshot
    assert rebuilt is not None and rebuilt.dead_rows == 0 and rebuilt.delta is None and len(rebuilt.owners) == 18
    assert meanings.nearest(encoder.encode(["问题35"])[0], 1) == [5]
