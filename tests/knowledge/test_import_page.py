"""Batch import from a page and the API (knowledge/bulk.py): the preview's figures, confirming
into review submissions for the editor's unit, bad rows reported by row number while good rows are
kept, idempotent re-imports, who may import, the size limits, CSRF and the stored upload."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.clock import FixedClock
from hotline.config import Settings
from hotline.errors import DomainError, Forbidden
from hotline.knowledge import bulk
from hotline.knowledge.enums import ArticleStatus as S
from hotline.knowledge.models import Article, ArticleEvent, ArticleVersion
from hotline.org.models import Unit
from hotline.runtime import Runtime
from hotline.security.models import AuditEntry
from tests.factories import Org
from tests.test_pages import csrf_of, login

HEADER = ["编号", "问题", "答复口径", "其他问法", "政策依据", "文号", "失效日期"]
GOOD = [
    ["ZF-001", "公租房怎么申请？", "持身份证和收入证明到街道住房保障窗口申请。", "公租房去哪申请|公租房申请条件",
     "《南京市公共租赁住房管理办法》", "宁政规字〔2026〕3号", ""],
    ["ZF-002", "人才安居补贴怎么领？", "在南京市人才安居服务平台在线申请。", "", "", "", "2027-12-31"],
]
BAD = [
    ["ZF-003", "住房租赁补贴标准是多少？", "", "", "", "", ""],  # row 4: no answer
    ["ZF-004", "老旧小区加装电梯有补贴吗？", "有，按每台 20 万元补贴。", "", "", "", "明年"],  # row 5: bad date
]


def xlsx(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


COLUMNS = {"key": "编号", "question": "问题", "answer": "答复口径", "phrasings": "其他问法",
           "policy_basis": "政策依据", "policy_source": "文号", "expires": "失效日期"}


@pytest.fixture(autouse=True)
def _upload_dir(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "attachments_dir", tmp_path / "files")


def _plan(db: Session, rt: Runtime, org: Org, data: bytes, who: str = "housing_handler",
          **kw: Any) -> bulk.Plan:
    return bulk.plan(db, rt, actor=org.actor(who), filename="zf.xlsx", data=data, columns=COLUMNS, **kw)


def _outcomes(batch: bulk.Plan) -> dict[int, str]:
    return {r.line: r.outcome for r in batch.rows}


def _reason(batch: bulk.Plan, line: int) -> str:
    return next(r.reason or "" for r in batch.rows if r.line == line)


# ---- the plan and its confirmation (service level) -------------------------------------------------


def test_preview_figures_and_reasons(db: Session, rt: Runtime, org: Org, publish: Callable[..., Article]) -> None:
    publish(key="ZF-010", questions=["共有产权房怎么申请？"], answer="按批次公告申请。", phrasings=[],
            policy_basis=None, policy_source=None, category_code=None, tags=[])
    publish(key="ZF-011", questions=["经济适用房还能申请吗？"], answer="已停止受理新的申请。", phrasings=[],
            policy_basis=None, policy_source=None, category_code=None, tags=[])
    rows = GOOD + BAD + [
        ["ZF-010", "共有产权房怎么申请？", "按批次公告在网上申请，摇号确定。", "", "", "", ""],  # row 6: changed
        ["ZF-011", "经济适用房还能申请吗？", "已停止受理新的申请。", "", "", "", ""],  # row 7: unchanged
        ["ZF-001", "重复的编号", "重复", "", "", "", ""],  # row 8: duplicate of row 2
        ["", "", "", "", "", "", ""],  # blank: ignored
    ]
    before = db.execute(select(ArticleVersion.id)).all()
    db.rollback()
    batch = _plan(db, rt, org, xlsx(rows))
    assert _outcomes(batch) == {2: "error", 3: "new", 4: "error", 5: "error", 6: "changed", 7: "unchanged",
                                8: "error"}
    assert batch.counts == {"new": 1, "changed": 1, "unchanged": 1, "error": 4}
    assert "第 4 行缺少答复口径" in _reason(batch, 4)
    assert "第 5 行的失效日期“明年”无法识别" in _reason(batch, 5)
    assert "第 2 行和第 8 行重复" in _reason(batch, 2) and _reason(batch, 2) == _reason(batch, 8)
    changed = next(r for r in batch.rows if r.line == 6)
    assert changed.changes == ["答复口径"] and changed.article_id is not None
    # nothing was written by the preview
    assert db.execute(select(ArticleVersion.id)).all() == before
    db.rollback()


def test_a_slow_batch_commits_before_its_hundred_rows(db: Session, rt: Runtime, org: Org, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The write lock is held at most COMMIT_SECONDS: on a loaded machine other writers would
    otherwise wait out SQLite's busy timeout behind a hundred rows."""
    monkeypatch.setattr(bulk, "COMMIT_SECONDS", 0.0)
    commits: list[int] = []
    batch = _plan(db, rt, org, xlsx(GOOD + BAD))
    done = bulk.apply(db, rt, actor=org.actor("housing_handler"), batch=batch,
                      on_commit=lambda tx, rows: commits.append(len(rows)))
    assert done.submitted == 2
    assert commits == [1, 1, 0]  # each row its own transaction (the two refused at planning are not applied)


def test_confirm_submits_each_row_for_review_in_the_editors_unit(db: Session, rt: Runtime, org: Org) -> None:
    batch = _plan(db, rt, org, xlsx(GOOD + BAD), note="宁政规字〔2026〕3号")
    done = bulk.apply(db, rt, actor=org.actor("housing_handler"), batch=batch)
    assert done.submitted == 2 and done.count("error") == 2
    articles = {a.key: a for a in db.execute(select(Article)).scalars()}
    assert set(articles) == {"ZF-001", "ZF-002"}  # the bad rows never lose the good ones
    for a in articles.values():
        assert a.status == S.IN_REVIEW and a.owner_unit_id == org.units["housing"].id
        assert a.published_version_id is None  # review is not skipped
    v = db.get(ArticleVersion, articles["ZF-001"].current_version_id)
    assert v is not None and v.phrasings == ["公租房去哪申请", "公租房申请条件"]
    assert v.policy_source == "宁政规字〔2026〕3号" and v.change_note == "宁政规字〔2026〕3号"
    v2 = db.get(ArticleVersion, articles["ZF-002"].current_version_id)
    assert v2 is not None and v2.expires_at is not None and v2.expires_at.date().isoformat() in ("2027-12-30",
                                                                                                  "2027-12-31")
    actions = [e.action for e in db.execute(select(ArticleEvent).where(
        ArticleEvent.article_id == articles["ZF-001"].id).order_by(ArticleEvent.id)).scalars()]
    assert actions == ["create", "submit"]  # the form's 保存并提交审核 path
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "kb_import")).scalar_one()
    assert entry.username == "housing_handler" and "提交审核 2 条" in (entry.detail or "")
    db.rollback()


def test_a_row_refused_at_confirmation_leaves_the_others(db: Session, rt: Runtime, org: Org,
                                                          publish: Callable[..., Article]) -> None:
    batch = _plan(db, rt, org, xlsx(GOOD))
    assert batch.counts["new"] == 2
    publish(drafter="market_handler", key="ZF-001")  # another unit takes the key meanwhile
    done = bulk.apply(db, rt, actor=org.actor("housing_handler"), batch=batch)
    assert _outcomes(done) == {2: "error", 3: "new"} and done.submitted == 1
    assert "第 2 行未能导入" in _reason(done, 2) and "ZF-001" in _reason(done, 2)
    owners = {k: u for k, u in db.execute(select(Article.key, Article.owner_unit_id))}
    assert owners == {"ZF-001": org.units["market"].id, "ZF-002": org.units["housing"].id}
    db.rollback()


def test_reimport_is_idempotent_and_a_change_is_a_new_version(db: Session, rt: Runtime, org: Org) -> None:
    actor = org.actor("housing_handler")
    bulk.apply(db, rt, actor=actor, batch=_plan(db, rt, org, xlsx(GOOD)))
    again = _plan(db, rt, org, xlsx(GOOD))
    assert again.counts == {"new": 0, "changed": 0, "unchanged": 2, "error": 0} and again.to_write == 0
    # still in review: a changed row waits for the review to end
    edited = [GOOD[0][:2] + ["新的答复口径。"] + GOOD[0][3:], GOOD[1]]
    assert _outcomes(_plan(db, rt, org, xlsx(edited))) == {2: "error", 3: "unchanged"}
    assert "正在审核中" in _reason(_plan(db, rt, org, xlsx(edited)), 2)
    # once approved, the change becomes a new version in review; the published one stays in force
    from hotline.knowledge import service

    first = db.execute(select(Article).where(Article.key == "ZF-001")).scalar_one()
    service.approve(db, rt, actor=org.actor("supervisor"), article_id=first.id)
    batch = _plan(db, rt, org, xlsx(edited))
    assert _outcomes(batch) == {2: "changed", 3: "unchanged"}
    bulk.apply(db, rt, actor=actor, batch=batch)
    first = db.execute(select(Article).where(Article.key == "ZF-001")).scalar_one()
    assert first.version_count == 2 and first.status == S.IN_REVIEW and first.published_version_id is not None
    db.rollback()


def test_a_draft_saved_after_the_preview_makes_it_stale(db: Session, rt: Runtime, org: Org) -> None:
    from hotline.knowledge import service
    from hotline.knowledge.schemas import ArticleIn

    actor = org.actor("housing_handler")
    bulk.apply(db, rt, actor=actor, batch=_plan(db, rt, org, xlsx(GOOD)))
    first = db.execute(select(Article).where(Article.key == "ZF-001")).scalar_one()
    service.approve(db, rt, actor=org.actor("supervisor"), article_id=first.id)
    edited = [GOOD[0][:2] + ["文件里的答复口径。"] + GOOD[0][3:], GOOD[1]]
    shown = _plan(db, rt, org, xlsx(edited))
    # a colleague saves a draft of the same article in between, changing only what the file's
    # answer column would overwrite: the row's outcome and content look the same as previewed
    current = db.get(ArticleVersion, first.current_version_id)
    draft = {k: v for k, v in bulk._current_payload(db, current).items() if v is not None}
    service.update(db, rt, actor=org.actor("housing_handler"), article_id=first.id,
                   data=ArticleIn(**{**draft, "answer": "经办人刚改好的答复。"}))
    again = _plan(db, rt, org, xlsx(edited))
    assert [r.payload for r in again.rows] == [r.payload for r in shown.rows]
    assert _plan(db, rt, org, xlsx(edited)).digest != shown.digest  # confirming `shown` is refused
    db.rollback()


def test_the_plan_reads_and_checks_the_file_with_the_database_free(db: Session, rt: Runtime, org: Org,
                                                                   engine: Engine,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite every transaction takes the write lock: a 20,000-row file takes seconds to read and
    check, during which the other requests must not wait (they write here, with a short timeout)."""
    written: list[str] = []
    unit_id, actor, data = org.units["housing"].id, org.actor("housing_handler"), xlsx(GOOD)
    name = db.get(Unit, unit_id).short_name  # type: ignore[union-attr]
    db.rollback()

    def another_request_writes(step: str) -> None:
        value = name if step == "checking" else step
        if engine.dialect.name == "sqlite":  # its own connection, waiting 0.2 s at most for the lock
            with closing(sqlite3.connect(str(engine.url.database), timeout=0.2, isolation_level=None)) as conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("UPDATE units SET short_name = ? WHERE id = ?", (value, unit_id))
                conn.execute("COMMIT")
        else:
            with engine.begin() as conn:
                conn.execute(update(Unit).where(Unit.id == unit_id).values(short_name=value))
        written.append(step)

    real_read, real_payload = bulk.read_table_bytes, bulk._row_payload

    def read(*a: Any, **kw: Any) -> Any:
        another_request_writes("reading")
        return real_read(*a, **kw)

    def payload(*a: Any, **kw: Any) -> Any:
        if "checking" not in written:
            another_request_writes("checking")
        return real_payload(*a, **kw)

    monkeypatch.setattr(bulk, "read_table_bytes", read)
    monkeypatch.setattr(bulk, "_row_payload", payload)
    try:
        batch = bulk.plan(db, rt, actor=actor, filename="zf.xlsx", data=data, columns=COLUMNS)
    finally:
        with engine.begin() as conn:  # the unit as it was, whatever happened
            conn.execute(update(Unit).where(Unit.id == unit_id).values(short_name=name))
    assert batch.counts["new"] == 2 and written == ["reading", "checking"]


def test_who_may_import(db: Session, rt: Runtime, org: Org, publish: Callable[..., Article]) -> None:
    for name in ("operator", "supervisor", "admin"):
        with pytest.raises(Forbidden):
            _plan(db, rt, org, xlsx(GOOD), who=name)
    # a unit cannot revise another unit's article through a key
    publish(drafter="market_handler", key="ZF-002", questions=["人才安居补贴怎么领？"])
    batch = _plan(db, rt, org, xlsx(GOOD))
    assert _outcomes(batch) == {2: "new", 3: "error"} and "无权修订" in _reason(batch, 3)
    # a centre editor's batch goes to review too, owned by the centre
    done = bulk.apply(db, rt, actor=org.actor("editor"), batch=_plan(db, rt, org, xlsx(GOOD[:1]), who="editor"))
    article = db.execute(select(Article).where(Article.key == "ZF-001")).scalar_one()
    assert done.submitted == 1 and article.status == S.IN_REVIEW and article.owner_unit_id == org.units["centre"].id
    db.rollback()


def test_a_date_out_of_range_is_a_row_error_and_the_good_rows_are_imported(db: Session, rt: Runtime,
                                                                           org: Org) -> None:
    # 0001-01-01 is a date Python reads, but its local midnight is before the first UTC instant a
    # database timestamp can hold: it must be refused in the preview, not abort the confirmation.
    header = ["编号", "问题", "答复口径", "生效日期"]
    rows = [["DT-001", "公租房怎么申请？", "到街道住房保障窗口申请。", "2026-12-01"],
            ["DT-002", "人才安居补贴怎么领？", "在人才安居服务平台申请。", "0001-01-01"]]
    batch = bulk.plan(db, rt, actor=org.actor("housing_handler"), filename="dt.xlsx", data=xlsx(rows, header),
                      columns={"key": "编号", "question": "问题", "answer": "答复口径", "valid_from": "生效日期"})
    assert _outcomes(batch) == {2: "new", 3: "error"} and "生效日期" in _reason(batch, 3)
    done = bulk.apply(db, rt, actor=org.actor("housing_handler"), batch=batch)
    assert done.submitted == 1
    assert [k for (k,) in db.execute(select(Article.key))] == ["DT-001"]
    db.rollback()


def test_size_limits_and_unreadable_files(db: Session, rt: Runtime, org: Org, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    with pytest.raises(DomainError) as exc:
        _plan(db, rt, org, b"x" * (bulk.MAX_BYTES + 1))
    assert exc.value.status_code == 413 and f"文件过大（上限 {bulk.MAX_BYTES // 2 ** 20} MB）" in exc.value.message
    monkeypatch.setattr(bulk, "MAX_ROWS", 3)
    with pytest.raises(DomainError) as exc:
        _plan(db, rt, org, xlsx(GOOD * 2))
    assert "一次最多导入 3 行" in exc.value.message
    with pytest.raises(DomainError) as exc:
        bulk.plan(db, rt, actor=org.actor("housing_handler"), filename="a.xlsx", data=b"not a workbook",
                  columns=COLUMNS)
    assert "无法读取 Excel" in exc.value.message
    with pytest.raises(DomainError) as exc:
        _plan_columns(db, rt, org, xlsx(GOOD), {"question": "问题", "answer": "答案"})
    assert "找不到列“答案”" in exc.value.message


def _plan_columns(db: Session, rt: Runtime, org: Org, data: bytes, columns: dict[str, str]) -> bulk.Plan:
    return bulk.plan(db, rt, actor=org.actor("housing_handler"), filename="zf.xlsx", data=data, columns=columns)


def test_csv_without_key_column_uses_file_and_row(db: Session, rt: Runtime, org: Org) -> None:
    data = "问题,答案\n燃气费怎么交？,营业厅或手机App缴纳。\n".encode("gb18030")
    batch = bulk.plan(db, rt, actor=org.actor("housing_handler"), filename="燃气.csv", data=data,
                      columns={"question": "问题", "answer": "答案"})
    assert [(r.key, r.outcome) for r in batch.rows] == [("燃气-1", "new")]


# ---- the page ---------------------------------------------------------------------------------------


def _upload(client: TestClient, data: bytes, name: str = "zf.xlsx") -> Any:
    token = csrf_of(client, "/kb/import")
    return client.post("/kb/import", data={"csrf_token": token}, files={"file": (name, data)},
                       follow_redirects=False)


def _counts(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def _confirm_form(html: str) -> tuple[str, dict[str, str]]:
    form = re.search(r'<form method="post" action="(/kb/import/[^"]+/confirm)"(.*?)</form>', html, re.S)
    assert form, "no confirm form"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(2)))
    fields.pop("csrf_token")
    return form.group(1), fields


def test_page_upload_preview_confirm(client: TestClient, db: Session) -> None:
    login(client, "housing_handler")
    home = client.get("/kb")
    assert 'href="/kb/import"' in home.text
    page = client.get("/kb/import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text and "下载导入模板" in page.text
    r = _upload(client, xlsx(GOOD + BAD))
    assert r.status_code == 303, r.text
    preview = client.get(r.headers["location"])
    assert preview.status_code == 200
    # the columns were recognised from the header (文号 → 依据来源)
    assert re.search(r'name="policy_source">.*?<option value="文号" selected>', preview.text, re.S)
    assert _counts(preview.text) == {"new": 2, "changed": 0, "unchanged": 0, "error": 2}
    assert "第 4 行缺少答复口径" in preview.text and "确认导入并提交审核（2 条）" in preview.text
    assert db.execute(select(Article.id)).first() is None  # nothing written yet
    db.rollback()
    action, fields = _confirm_form(preview.text)
    done = client.post(action, data={**fields, "csrf_token": csrf_of(client, "/kb/import")})
    assert done.status_code == 200 and _counts(done.text)["submitted"] == 2
    assert "导入完成：2 条已提交审核" in done.text
    keys = db.execute(select(Article.key, Article.status).order_by(Article.key)).all()
    db.rollback()
    assert [tuple(k) for k in keys] == [("ZF-001", "in_review"), ("ZF-002", "in_review")]
    # the upload is gone once confirmed: a second confirm is refused, nothing doubles
    again = client.post(action, data={**fields, "csrf_token": csrf_of(client, "/kb/import")})
    assert again.status_code == 404 and "导入批次不存在或已过期" in again.text
    # the same file again: everything unchanged, nothing to confirm
    preview = client.get(_upload(client, xlsx(GOOD + BAD)).headers["location"])
    assert _counts(preview.text) == {"new": 0, "changed": 0, "unchanged": 2, "error": 2}
    assert "确认导入" not in preview.text and "没有需要导入的行" in preview.text


def test_page_confirm_refuses_a_stale_preview_and_missing_csrf(client: TestClient, db: Session, org: Org) -> None:
    login(client, "housing_handler")
    preview = client.get(_upload(client, xlsx(GOOD)).headers["location"])
    action, fields = _confirm_form(preview.text)
    r = client.post(action, data=fields)
    assert r.status_code == 403 and "安全校验未通过" in r.text
    # a different column choice than the one previewed is not imported blindly
    r = client.post(action, data={**fields, "phrasings": "", "csrf_token": csrf_of(client, "/kb/import")})
    assert r.status_code == 409 and "请核对下面的最新预览" in r.text
    assert db.execute(select(Article.id)).first() is None
    db.rollback()
    # re-choosing columns is a GET of the same upload; a missing required column is named
    token = action.split("/")[3]
    r = client.get(f"/kb/import/{token}?question=问题&answer=&key=编号")
    assert r.status_code == 422 and "请选择答复口径所在的列" in r.text


def test_page_errors_empty_states_and_limits(client: TestClient, clock: FixedClock) -> None:
    login(client, "housing_handler")
    r = client.post("/kb/import", data={"csrf_token": csrf_of(client, "/kb/import")}, follow_redirects=False)
    assert r.status_code == 422 and "请选择要导入的" in r.text
    r = _upload(client, b"x" * (bulk.MAX_BYTES + 10))
    assert r.status_code == 413 and f"文件过大（上限 {bulk.MAX_BYTES // 2 ** 20} MB）" in r.text
    r = _upload(client, b"a,b\n", name="notes.txt")
    assert r.status_code == 422 and "请上传 .xlsx 或 .csv 文件" in r.text
    r = _upload(client, b"garbage", name="a.xlsx")
    assert r.status_code == 422 and "无法读取 Excel" in r.text
    empty = client.get(_upload(client, xlsx([])).headers["location"])
    assert empty.status_code == 200 and "文件中没有可导入的行" in empty.text
    location = _upload(client, xlsx(GOOD)).headers["location"]
    clock.advance(timedelta(hours=2))
    r = client.get(location)
    assert r.status_code == 404 and "导入批次不存在或已过期" in r.text


def test_an_upload_belongs_to_its_editor(client: TestClient) -> None:
    login(client, "housing_handler")
    location = _upload(client, xlsx(GOOD)).headers["location"]
    client.cookies.clear()
    login(client, "housing_manager")
    assert client.get(location).status_code == 404
    assert client.get("/kb/import/..%2F..%2Fetc").status_code == 404


def test_page_refuses_roles_without_draft_rights(client: TestClient) -> None:
    login(client, "operator")
    assert client.get("/kb/import").status_code == 403
    client.cookies.clear()
    login(client, "supervisor")
    r = client.get("/kb/import")
    assert r.status_code == 403 and "起草" in r.text


def test_template_has_the_headers_and_imports_as_is(client: TestClient) -> None:
    login(client, "housing_handler")
    r = client.get("/kb/import/template.xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(r.content)).active
    assert [c.value for c in ws[1]] == [c.label for c in bulk.COLUMNS]
    preview = client.get(_upload(client, r.content, name="kb-import.xlsx").headers["location"])
    assert _counts(preview.text) == {"new": 1, "changed": 0, "unchanged": 0, "error": 0}


# ---- the API ------------------------------------------------------------------------------------------


def _api(client: TestClient, headers: dict[str, str], data: bytes, dry_run: bool, **form: str) -> Any:
    fields = {"question_col": "问题", "answer_col": "答复口径", "key_col": "编号", "phrasings_col": "其他问法",
              "expires_col": "失效日期", **form}
    return client.post(f"/api/v1/kb/import?dry_run={'true' if dry_run else 'false'}", headers=headers,
                       data=fields, files={"file": ("zf.xlsx", data)})


def test_api_dry_run_then_import(client: TestClient, as_user: Any, db: Session) -> None:
    r = _api(client, as_user("housing_manager"), xlsx(GOOD + BAD), dry_run=True, change_note="宁政规字〔2026〕3号")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["dry_run"], body["new"], body["errors"], body["submitted"]) == (True, 2, 2, 0)
    assert body["rows"][2] == {**body["rows"][2], "line": 4, "outcome": "error", "outcome_label": "有误"}
    assert "第 4 行缺少答复口径" in body["rows"][2]["reason"]
    assert db.execute(select(Article.id)).first() is None
    db.rollback()
    r = _api(client, as_user("housing_manager"), xlsx(GOOD + BAD), dry_run=False)
    body = r.json()
    assert r.status_code == 200 and body["submitted"] == 2 and all(
        row["submitted"] and row["article_id"] for row in body["rows"] if row["outcome"] == "new")
    r = _api(client, as_user("housing_manager"), xlsx(GOOD + BAD), dry_run=False)
    assert (r.json()["unchanged"], r.json()["submitted"]) == (2, 0)  # idempotent


def test_api_refusals(client: TestClient, as_user: Any) -> None:
    r = _api(client, as_user("operator"), xlsx(GOOD), dry_run=True)
    assert r.status_code == 403 and r.json()["code"] == "kb_draft_forbidden"
    r = _api(client, as_user("housing_handler"), b"x" * (bulk.MAX_BYTES + 1), dry_run=True)
    assert r.status_code == 413 and "文件过大" in r.json()["message"]
    r = _api(client, as_user("housing_handler"), xlsx(GOOD), dry_run=True, answer_col="答案")
    assert r.status_code == 422 and "找不到列“答案”" in r.json()["message"]
