"""Service rules on the real database: the review flow, versions and diffs, expiry, policy flags,
error reports, import, and the search index kept current."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hotline.clock import FixedClock
from hotline.errors import DomainError, Forbidden, InvalidTransition
from hotline.knowledge import service
from hotline.knowledge.enums import PUBLIC_AUDIENCES, ArticleStatus, Flag, ReportStatus
from hotline.knowledge.importer import ImportSpec, read_rows
from hotline.knowledge.models import Article
from hotline.knowledge.schemas import ArticleCreate, ArticleIn
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from tests.factories import Org
from tests.knowledge.conftest import article_data

S = ArticleStatus
PUBLIC = frozenset(str(a) for a in PUBLIC_AUDIENCES)


def public_keys(db: Session, rt: Runtime, query: str) -> list[str]:
    filters = service.search_filters(db, rt, audiences=PUBLIC)
    return [h.key for h in service.search_published(db, query=query, filters=filters, limit=5)]


def test_draft_review_publish(db: Session, rt: Runtime, org: Org) -> None:
    handler = org.actor("housing_handler")
    article = service.create(db, rt, actor=handler, data=ArticleCreate(**article_data()))
    assert article.status == S.DRAFT and article.owner_unit_id == org.units["housing"].id
    assert article.key.startswith("KB") and article.version_count == 1
    assert public_keys(db, rt, "公积金怎么取出来") == []  # a draft is not searchable

    service.submit(db, rt, actor=handler, article_id=article.id)
    with pytest.raises(Forbidden):  # a unit cannot review
        service.approve(db, rt, actor=org.actor("housing_manager"), article_id=article.id)
    with pytest.raises(DomainError) as exc:
        service.send_back(db, rt, actor=org.actor("supervisor"), article_id=article.id, comment=" ")
    assert exc.value.code == "kb_comment_required"
    service.send_back(db, rt, actor=org.actor("supervisor"), article_id=article.id, comment="请补充网上办理渠道")
    article = service.get(db, actor=handler, article_id=article.id)
    assert article.status == S.RETURNED
    assert article.versions[0].review_comment == "请补充网上办理渠道"

    service.update(db, rt, actor=handler, article_id=article.id,
                   data=ArticleIn(**article_data(answer="可通过网上服务大厅或服务网点申请提取住房公积金。")))
    service.submit(db, rt, actor=handler, article_id=article.id)
    article = service.approve(db, rt, actor=org.actor("editor"), article_id=article.id, comment="同意")
    assert article.status == S.APPROVED and article.version_count == 2
    assert article.published_version_id == article.current_version_id
    assert public_keys(db, rt, "公积金怎么取出来") == [article.key]
    actions = [e.action for e in service.events(db, article_id=article.id)]
    assert actions == ["create", "submit", "return", "update", "submit", "approve"]


def test_reviewer_cannot_approve_own_version_and_operators_cannot_draft(db: Session, rt: Runtime, org: Org) -> None:
    editor = org.actor("editor")
    article = service.create(db, rt, actor=editor, data=ArticleCreate(**article_data()))
    assert article.owner_unit_id == org.units["centre"].id
    service.submit(db, rt, actor=editor, article_id=article.id)
    with pytest.raises(Forbidden) as exc:
        service.approve(db, rt, actor=editor, article_id=article.id)
    assert exc.value.code == "kb_review_own" and "自己" in exc.value.message
    with pytest.raises(Forbidden):
        service.create(db, rt, actor=org.actor("operator"), data=ArticleCreate(**article_data()))
    with pytest.raises(Forbidden):  # another unit's staff
        service.update(db, rt, actor=org.actor("market_handler"), article_id=article.id,
                       data=ArticleIn(**article_data()))
    with pytest.raises(InvalidTransition):  # under review: no edits
        service.update(db, rt, actor=editor, article_id=article.id, data=ArticleIn(**article_data()))


def test_published_answer_stays_in_force_while_a_revision_is_reviewed(
        db: Session, rt: Runtime, org: Org, publish: Callable[..., Article]) -> None:
    article = publish()
    handler = org.actor("housing_handler")
    service.update(db, rt, actor=handler, article_id=article.id,
                   data=ArticleIn(**article_data(answer="新口径：提取需网上预约。"), change_note="政策调整"))
    service.submit(db, rt, actor=handler, article_id=article.id)
    hits = service.search_published(db, query="公积金提取", filters=service.search_filters(db, rt, audiences=None))
    assert hits[0].key == article.key and "新口径" not in hits[0].answer and hits[0].version_number == 1
    service.approve(db, rt, actor=org.actor("supervisor"), article_id=article.id)
    hits = service.search_published(db, query="公积金提取", filters=service.search_filters(db, rt, audiences=None))
    assert "新口径" in hits[0].answer and hits[0].version_number == 2
    text = service.diff(db, actor=handler, article_id=article.id, from_number=1, to_number=2)
    assert "-答复口径：" not in text and "+新口径：提取需网上预约。" in text and "第1版" in text


def test_expiry_leaves_public_answers_at_once_and_the_sweep_flags_it(
        db: Session, rt: Runtime, clock: FixedClock, org: Org, publish: Callable[..., Article]) -> None:
    article = publish(expires_at=(clock.now() + timedelta(days=2)).isoformat())
    assert public_keys(db, rt, "公积金提取") == [article.key]
    clock.advance(timedelta(days=3))
    assert public_keys(db, rt, "公积金提取") == []  # hidden from the instant it expires
    assert service.expire_due(db, rt) == 1
    article = service.get(db, actor=org.actor("supervisor"), article_id=article.id)
    assert article.status == S.EXPIRED and Flag.EXPIRED in article.flags and article.published_version_id is None
    assert service.expire_due(db, rt) == 0
    with pytest.raises(DomainError) as exc:  # approving an already expired version is refused
        handler = org.actor("housing_handler")
        service.update(db, rt, actor=handler, article_id=article.id,
                       data=ArticleIn(**article_data(expires_at=(clock.now() - timedelta(days=1)).isoformat())))
        service.submit(db, rt, actor=handler, article_id=article.id)
        service.approve(db, rt, actor=org.actor("supervisor"), article_id=article.id)
    assert exc.value.code == "kb_already_expired"


def test_policy_change_and_withdrawal_leave_public_answers(
        db: Session, rt: Runtime, org: Org, publish: Callable[..., Article]) -> None:
    article = publish()
    service.flag_policy_changed(db, rt, actor=org.actor("housing_manager"), article_id=article.id, note="新条例")
    assert public_keys(db, rt, "公积金提取") == []
    article = service.get(db, actor=org.actor("editor"), article_id=article.id)
    assert Flag.POLICY_CHANGED in article.flags and article.status == S.EXPIRED
    other = publish(questions=["医保卡丢了怎么补办？"], phrasings=[], answer="先挂失，再到社保网点补办。")
    assert public_keys(db, rt, "医保卡丢了") == [other.key]
    service.withdraw(db, rt, actor=org.actor("editor"), article_id=other.id, reason="重复条目")
    assert public_keys(db, rt, "医保卡丢了") == []
    with pytest.raises(Forbidden):
        service.withdraw(db, rt, actor=org.actor("market_handler"), article_id=article.id)


def test_internal_articles_are_not_public(db: Session, rt: Runtime, publish: Callable[..., Article]) -> None:
    publish(audience="internal")
    assert public_keys(db, rt, "公积金提取") == []
    assert service.search_published(db, query="公积金提取", filters=service.search_filters(db, rt, audiences=None))


def test_error_report_must_be_answered_by_the_owner(
        db: Session, rt: Runtime, org: Org, publish: Callable[..., Article]) -> None:
    article = publish()
    report = service.report_error(db, rt, actor=Actor.requester(), article_id=article.id,
                                  text="网点地址已经搬迁", contact="13900000000")
    article = service.get(db, actor=org.actor("editor"), article_id=article.id)
    assert article.open_reports == 1 and Flag.ERROR_REPORTED in article.flags
    with pytest.raises(Forbidden):
        service.answer_report(db, rt, actor=org.actor("market_manager"), report_id=report.id, answer="x",
                              accepted=False)
    mine, total = service.list_reports(db, actor=org.actor("housing_manager"), status=ReportStatus.OPEN)
    assert total == 1 and mine[0].id == report.id
    assert service.list_reports(db, actor=org.actor("market_manager"))[1] == 0
    report = service.answer_report(db, rt, actor=org.actor("housing_manager"), report_id=report.id,
                                   answer="已核实，将修订口径", accepted=True)
    assert report.status == ReportStatus.ANSWERED and report.accepted is True
    article = service.get(db, actor=org.actor("editor"), article_id=article.id)
    assert article.open_reports == 0 and Flag.ERROR_REPORTED not in article.flags


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def test_import_keeps_keys_and_reimport_creates_versions(db: Session, rt: Runtime, org: Org, tmp_path: Path) -> None:
    rows = [
        {"编号": "HZ-001", "问题": "护照怎么办理？", "答案": "到出入境管理窗口办理。", "分类": "0901"},
        {"编号": "HZ-002", "问题": "港澳通行证续签怎么办？", "答案": "可在自助签注机办理。", "分类": "0901"},
        {"编号": "HZ-003", "问题": "", "答案": "", "分类": ""},
    ]
    spec = ImportSpec(question_col="问题", answer_col="答案", category_col="分类", key_col="编号")
    parsed = read_rows(write_csv(tmp_path / "a.csv", rows), spec)
    result = service.import_rows(db, rt, actor=Actor.system(), rows=parsed)
    assert (result.created, result.updated, result.published) == (2, 0, True)
    assert public_keys(db, rt, "办护照")[0] == "HZ-001"
    rows[0]["答案"] = "请先在网上预约，再到出入境管理窗口办理。"
    parsed = read_rows(write_csv(tmp_path / "a.csv", rows), spec)
    result = service.import_rows(db, rt, actor=Actor.system(), rows=parsed)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    article = service.get_by_key(db, actor=org.actor("editor"), key="HZ-001")
    assert article.version_count == 2 and article.status == S.APPROVED
    hits = service.search_published(db, query="办护照", filters=service.search_filters(db, rt, audiences=PUBLIC))
    assert "网上预约" in hits[0].answer


def test_an_article_written_by_hand_is_filed_under_the_catalogue(db: Session, rt: Runtime, org: Org,
                                                                  tmp_path: Path) -> None:
    editor = org.actor("housing_handler")
    with pytest.raises(DomainError) as bad:
        service.create(db, rt, actor=editor, data=ArticleCreate(**article_data(category_code="火车票")))
    assert bad.value.status_code == 422 and "不在诉求分类目录中" in bad.value.message
    # an imported article keeps its own category text, and a revision may keep it
    legacy = [{"q": "改签怎么办？", "a": "在车站窗口办理。", "c": "火车票"}]
    parsed = read_rows(write_csv(tmp_path / "legacy.csv", legacy),
                       ImportSpec(question_col="q", answer_col="a", category_col="c"))
    service.import_rows(db, rt, actor=Actor.system(), rows=parsed)
    editor = org.actor("editor")
    article = service.get_by_key(db, actor=editor, key="legacy-1")
    kept = ArticleIn(questions=["改签怎么办？"], answer="在车站窗口或网上办理。", category_code="火车票")
    assert service.update(db, rt, actor=editor, article_id=article.id, data=kept).category_code == "火车票"
    with pytest.raises(DomainError):
        service.update(db, rt, actor=editor, article_id=article.id,
                       data=ArticleIn(questions=["改签怎么办？"], answer="在车站办理。", category_code="汽车票"))


def test_a_units_import_goes_to_review(db: Session, rt: Runtime, org: Org, tmp_path: Path) -> None:
    rows = [{"q": "二手房交易税费怎么算？", "a": "按房屋性质与年限计算。"}]
    parsed = read_rows(write_csv(tmp_path / "b.csv", rows), ImportSpec(question_col="q", answer_col="a"))
    assert parsed[0].key == "b-1"
    result = service.import_rows(db, rt, actor=org.actor("housing_manager"), rows=parsed)
    assert result.published is False
    article = service.get_by_key(db, actor=org.actor("editor"), key="b-1")
    assert article.status == S.IN_REVIEW and article.owner_unit_id == org.units["housing"].id
    assert public_keys(db, rt, "二手房交易税费") == []
    with pytest.raises(Forbidden):
        service.import_rows(db, rt, actor=org.actor("operator"), rows=parsed)


def test_import_errors_are_chinese(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [{"q": "问", "a": "答", "k": "1"}, {"q": "问2", "a": "答2", "k": "1"}])
    with pytest.raises(DomainError) as exc:
        read_rows(path, ImportSpec(question_col="问题", answer_col="a"))
    assert "找不到列“问题”" in exc.value.message
    with pytest.raises(DomainError) as exc:
        read_rows(path, ImportSpec(question_col="q", answer_col="a", key_col="k"))
    assert "重复" in exc.value.message
    with pytest.raises(DomainError) as exc:
        read_rows(tmp_path / "missing.xlsx", ImportSpec(question_col="q", answer_col="a"))
    assert "找不到文件" in exc.value.message
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(DomainError) as exc:
        read_rows(bad, ImportSpec(question_col="q", answer_col="a"))
    assert "无法读取 Excel" in exc.value.message
    # column letters work when no header has that text
    assert read_rows(path, ImportSpec(question_col="A", answer_col="B"))[0].answer == "答"


def test_xlsx_import(db: Session, rt: Runtime, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "问题", "答复口径", "其他问法"])
    ws.append([1, "燃气费怎么交？", "可通过燃气公司营业厅、银行代扣或手机App缴纳。", "天然气费在哪交|燃气费缴费渠道"])
    ws.append([2, "停气了找谁？", "请拨打燃气公司抢修电话。", None])
    path = tmp_path / "gas.xlsx"
    wb.save(path)
    rows = read_rows(path, ImportSpec(question_col="问题", answer_col="答复口径", key_col="序号",
                                      phrasings_col="其他问法"))
    assert [r.key for r in rows] == ["1", "2"] and rows[0].phrasings == ["天然气费在哪交", "燃气费缴费渠道"]
    service.import_rows(db, rt, actor=Actor.system(), rows=rows)
    assert public_keys(db, rt, "天然气费在哪交")[0] == "1"


def test_the_index_follows_changes_made_by_another_process(
        db: Session, rt: Runtime, publish: Callable[..., Article]) -> None:
    from hotline.knowledge import search

    article = publish()
    index = search.index_for(search.engine_of(db))
    index.refresh(db, force=True)
    assert article.id in index.backend  # type: ignore[operator]
    # Another worker withdraws the article: only the table changes, this process is not told.
    db.execute(Article.__table__.update().where(Article.id == article.id)
               .values(published_version_id=None, change_seq=Article.change_seq + 1000))
    db.commit()
    index.refresh(db, force=True)
    assert article.id not in index.backend  # type: ignore[operator]


def test_a_diff_reads_as_people_do_names_and_beijing_time() -> None:
    from datetime import UTC, datetime

    from hotline.knowledge.models import ArticleVersion
    from hotline.knowledge.service import render_version
    from hotline.tickets.categories import full_name

    v = ArticleVersion(title="问题", questions=["问题"], phrasings=[], answer="答复", category_code="0301",
                       audience="public", tags=[], attachments=[],
                       expires_at=datetime(2026, 12, 14, 15, 59, 59, tzinfo=UTC))
    lines = render_version(v, "玄武区")
    assert f"分类：0301 {full_name('0301')}" in lines and "受众：公众" in lines and "属地：玄武区" in lines
    assert "失效：2026-12-14 23:59:59" in lines and "生效：" in lines
    v.category_code = None
    assert "分类：" in render_version(v)


def test_a_diff_marks_every_changed_line_of_a_many_line_field() -> None:
    """QA: a removed line "--- 办理流程 ---" vanished from the page, and a changed second line of the
    policy basis was shown unchanged (the field was one item of the diff)."""
    import difflib

    from hotline.knowledge.models import ArticleVersion
    from hotline.knowledge.service import render_version
    from hotline.web.kb import diff_lines

    def version(answer: str, basis: str) -> ArticleVersion:
        return ArticleVersion(title="标题", questions=["问题"], phrasings=[], answer=answer, policy_basis=basis,
                              audience="public", tags=[], attachments=[])

    old = version("--- 办理流程 ---\n++ 注意：须本人操作\n带身份证", "宁人社规〔2025〕1号\n宁人社规〔2025〕3号")
    new = version("--- 办理流程（新） ---\n带身份证", "宁人社规〔2025〕1号\n宁人社规〔2026〕9号")
    rows = diff_lines("\n".join(difflib.unified_diff(render_version(old), render_version(new), "第 1 版", "第 2 版",
                                                     lineterm="")))
    assert ("del", "--- 办理流程 ---") in rows and ("del", "++ 注意：须本人操作") in rows
    assert ("add", "--- 办理流程（新） ---") in rows and ("same", "带身份证") in rows
    assert ("del", "宁人社规〔2025〕3号") in rows and ("add", "宁人社规〔2026〕9号") in rows
    assert ("same", "政策依据：宁人社规〔2025〕1号") in rows
    assert not any("第 1 版" in text or "第 2 版" in text for _, text in rows)  # the file headers
