"""The ranker's passage feature: the query against each candidate's title and start of answer
(semantic.passage_text), used once every candidate's passage vector is known; the missing ones are
encoded by a background thread, saved under a model name of their own, and pruned like the rest."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.db import utcnow
from hotline.knowledge import assistant, semantic
from hotline.knowledge.models import TextVector
from tests.knowledge.test_semantic import FakeEncoder, hit

Q = np.array([1.0, 0.0, 0.0], dtype=np.float32)
QUESTIONS = {"甲": np.array([0.95, 0.31, 0.0], np.float32), "乙": np.array([0.9, 0.44, 0.0], np.float32)}
# 乙's answer says what the caller asks; 甲's does not.
PASSAGES = {"甲\n答复a1": (0.8, 0.6, 0.0), "乙\n答复a2": (0.99, 0.14, 0.0)}
LEXICAL_ONLY = semantic.Ranker(coef=(1.0, 0, 0, 0, 0, 0, 0), intercept=0.0)
PASSAGE_ONLY = semantic.Ranker(coef=(0, 0, 0, 0, 0, 0, 0, 1.0, 0), intercept=0.0)


class FakePassageEncoder(FakeEncoder):
    name = "fake-test-encoder/passage"


def _vectors(table: dict[str, tuple[float, ...]]) -> dict[str, np.ndarray]:
    return {t: np.asarray(v, np.float32) / np.linalg.norm(v) for t, v in table.items()}


def test_the_passage_gap_and_rank_are_the_last_features() -> None:
    hits = [hit("a1", 2.0, "甲"), hit("a2", 1.0, "乙")]
    x, _ = semantic.features(Q, hits, QUESTIONS, [1, 2], passages=_vectors(PASSAGES))
    assert x.shape == (2, len(semantic.FEATURES) + 2)
    gap, rank = x[:, -2], x[:, -1]
    assert gap[1] == 0.0 and gap[0] == pytest.approx((0.8 - 0.99 / np.hypot(0.99, 0.14)) / 0.05, abs=1e-3)
    assert list(rank) == [0.5, 1.0]  # 乙's passage is nearer the query: first by passage
    assert len(semantic.RANKER_PASSAGES.coef) == len(semantic.FEATURES) + len(semantic.PASSAGE_FEATURES)


def test_the_passage_ranker_needs_every_candidates_passage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantic, "RANKER", LEXICAL_ONLY)
    monkeypatch.setattr(semantic, "RANKER_PASSAGES", PASSAGE_ONLY)
    every = _vectors(PASSAGES)
    ranked = semantic.rank(Q, [hit("a1", 2.0, "甲"), hit("a2", 1.0, "乙")], QUESTIONS, [1, 2], passages=every)
    assert [h.key for h in ranked] == ["a2", "a1"]  # by the passages
    one_missing = {"甲\n答复a1": every["甲\n答复a1"]}
    ranked = semantic.rank(Q, [hit("a1", 2.0, "甲"), hit("a2", 1.0, "乙")], QUESTIONS, [1, 2], passages=one_missing)
    assert [h.key for h in ranked] == ["a1", "a2"]  # without them: the lexical order of LEXICAL_ONLY
    with pytest.raises(ValueError, match="passage vector"):  # a ranker that needs them, one missing
        semantic.rank(Q, [hit("a2", 1.0, "乙")], QUESTIONS, [1], PASSAGE_ONLY, passages=one_missing)
    eight = semantic.Ranker(coef=(0, 0, 0, 0, 0, 0, 0, 1.0), intercept=0.0)  # the gap alone, as before the rank
    with pytest.raises(ValueError, match="7 or 9 coefficients, not 8"):
        semantic.rank(Q, [hit("a1", 2.0, "甲"), hit("a2", 1.0, "乙")], QUESTIONS, [1, 2], eight, passages=every)


def test_missing_passages_are_encoded_in_the_background_then_used(engine: Engine,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantic, "RANKER", LEXICAL_ONLY)
    monkeypatch.setattr(semantic, "RANKER_PASSAGES", PASSAGE_ONLY)
    encoder = FakePassageEncoder({k: v for k, v in PASSAGES.items()})
    reranker = semantic.Reranker(semantic.VectorStore(FakeEncoder({"问": (1, 0, 0), **QUESTIONS})),
                                 passages=semantic.VectorStore(encoder))
    with engine.begin() as conn:
        conn.execute(delete(TextVector).where(TextVector.model == encoder.name))

    def ask() -> list[str]:
        results = [[hit("a1", 2.0, "甲"), hit("a2", 1.0, "乙")]]
        return [h.key for h in reranker.apply(engine, ["问"], results, limit=5, nearest=[[1, 2]])[0]]

    assert ask() == ["a1", "a2"]  # not known yet: ranked without them, and queued
    reranker.wait()
    assert sorted(encoder.calls) == sorted(PASSAGES)
    with Session(engine) as s:
        saved = set(s.scalars(select(TextVector.digest).where(TextVector.model == encoder.name)))
    assert saved == {semantic.digest(t) for t in PASSAGES}
    assert ask() == ["a2", "a1"]  # now by the passages
    assert len(encoder.calls) == 2  # and not encoded again


def test_a_failed_background_encoding_is_logged_once_not_at_every_search(engine: Engine,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    class Broken(FakePassageEncoder):
        def encode(self, texts):  # type: ignore[no-untyped-def]
            raise RuntimeError("engine crashed")

    reranker = semantic.Reranker(semantic.VectorStore(FakeEncoder(QUESTIONS)),
                                 passages=semantic.VectorStore(Broken({})))
    results = [[hit("a1", 2.0, "甲")]]
    reranker.apply(engine, ["问"], results, limit=5, nearest=[[1]])
    reranker.wait()
    assert "encoding the candidates' passages failed" in caplog.text
    assert reranker._encoding is None and reranker._failed_at is not None
    reranker.apply(engine, ["问"], results, limit=5, nearest=[[1]])  # at once again: no new thread, no new log
    assert reranker._encoding is None and caplog.text.count("passages failed") == 1


def test_passage_text_is_title_and_the_start_of_the_answer() -> None:
    text = semantic.passage_text("怎么退票？", "答" * 1000)
    assert text.startswith("怎么退票？\n答") and len(text) == semantic.PASSAGE_CHARS


def test_the_ranker_keeps_each_hits_passage_cosine() -> None:
    ranked = semantic.rank(Q, [hit("a1", 2.0, "甲"), hit("a2", 1.0, "乙")], QUESTIONS, [1, 2],
                           passages=_vectors(PASSAGES))
    by_key = {h.key: h for h in ranked}
    assert by_key["a2"].passage_similarity == pytest.approx(0.99 / np.hypot(0.99, 0.14), abs=1e-4)
    assert by_key["a1"].passage_similarity == pytest.approx(0.8, abs=1e-4)
    without = semantic.rank(Q, [hit("a1", 2.0, "甲")], QUESTIONS, [1])
    assert without[0].passage_similarity is None


def test_the_assistant_weighs_the_passage_when_it_is_known() -> None:
    def ranked(question: float, passage: float | None) -> list:  # type: ignore[type-arg]
        h = hit("a1", 0.9, "怎么退票")
        h.ranked, h.similarity, h.passage_similarity = True, question, passage
        return [h]

    assert assistant.rule_for(ranked(0.88, 0.93)) is assistant.PASSAGE_RULE
    assert assistant.rule_for(ranked(0.88, None)) is assistant.SEMANTIC_RULE
    # The question alone is too far (0.88 < 0.91); with a passage that says what was asked, the
    # mean (0.905) passes PASSAGE_RULE's 0.90, and with a passage as far as the question it does not.
    assert assistant.decide("退票", ranked(0.88, None)).kind == "abstain"
    assert assistant.decide("退票", ranked(0.88, 0.93)).kind == "answer"
    assert assistant.decide("退票", ranked(0.88, 0.90)).kind == "abstain"
    assert assistant.similarity_of(ranked(0.88, 0.93)[0], assistant.SEMANTIC_RULE) == 0.88  # weight 0


def test_after_a_failure_the_queue_waits_then_is_encoded(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    class Flaky(FakePassageEncoder):
        broken = True

        def encode(self, texts):  # type: ignore[no-untyped-def]
            if self.broken:
                raise RuntimeError("engine crashed")
            return super().encode(texts)

    encoder = Flaky(dict(PASSAGES))
    reranker = semantic.Reranker(semantic.VectorStore(FakeEncoder(QUESTIONS)), passages=semantic.VectorStore(encoder))
    with engine.begin() as conn:
        conn.execute(delete(TextVector).where(TextVector.model == encoder.name))

    def search() -> None:
        reranker.apply(engine, ["问"], [[hit("a1", 2.0, "甲")]], limit=5, nearest=[[1]])

    search()
    reranker.wait()
    assert reranker._failed_at is not None and list(reranker._pending) == ["甲\n答复a1"]  # kept, not lost
    encoder.broken = False
    search()  # within PASSAGE_RETRY_SECONDS: no new thread, nothing encoded
    assert reranker._encoding is None and encoder.calls == []
    monkeypatch.setattr(semantic, "PASSAGE_RETRY_SECONDS", 0)
    search()
    reranker.wait()
    assert encoder.calls == ["甲\n答复a1"] and reranker._pending == {} and reranker._failed_at is None


def test_a_queued_passage_is_not_looked_up_again(engine: Engine) -> None:
    encoder = FakePassageEncoder(dict(PASSAGES))
    store = semantic.VectorStore(encoder)
    reranker = semantic.Reranker(semantic.VectorStore(FakeEncoder(QUESTIONS)), passages=store)
    with engine.begin() as conn:
        conn.execute(delete(TextVector).where(TextVector.model == encoder.name))
    reranker._failed_at = time.monotonic()  # resting after a failure: the queue stays as it is
    looked_up: list[list[str]] = []
    real_load = store._load
    store._load = lambda engine, digests: looked_up.append(list(digests)) or real_load(engine, digests)  # type: ignore[method-assign]

    def search() -> None:
        reranker.apply(engine, ["问"], [[hit("a1", 2.0, "甲"), hit("a2", 1.0, "乙")]], limit=5, nearest=[[1]])

    search()
    assert sorted(reranker._pending) == ["乙\n答复a2", "甲\n答复a1"] and len(looked_up[0]) == 2
    search()  # both queued: the database is not asked again (it would say no again, at every search)
    assert len(looked_up) == 1 and encoder.calls == []


def test_prune_leaves_the_passages_alone_unless_told_which_to_keep(engine: Engine,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    question_model = FakeEncoder({})
    monkeypatch.setattr(semantic, "default_encoder", lambda: question_model)
    passage_model = f"{question_model.name}/passage"
    with Session(engine) as s:
        s.execute(delete(TextVector))
        for text, model in (("问", question_model.name), ("甲\n答复a1", passage_model), ("旧\n答复", passage_model)):
            s.add(TextVector(digest=semantic.digest(text), model=model, vector=b"\0" * 12, created_at=utcnow()))
        s.commit()
    assert semantic.prune(engine, ["问"]) == 0  # passages not in use here: none deleted
    assert semantic.prune(engine, ["问"], ["甲\n答复a1"]) == 1
    with Session(engine) as s:
        left = set(s.execute(select(TextVector.digest, TextVector.model)))
    assert left == {(semantic.digest("问"), question_model.name), (semantic.digest("甲\n答复a1"), passage_model)}
