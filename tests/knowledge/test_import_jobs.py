"""批量导入任务 (knowledge/import_jobs.py): a batch with more rows to write than one request holds runs
beside the requests — each row written once even when its runner dies and another takes over,
progress and outcomes committed with the rows, the page and the API that follow it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import event, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from hotline.clock import FixedClock
from hotline.config import Settings
from hotline.db import make_session_factory
from hotline.errors import DomainError, Forbidden
from hotline.knowledge import bulk, import_jobs, service
from hotline.knowledge.models import Article, ArticleEvent, ImportJob, ImportJobRow
from hotline.runtime import Runtime
from hotline.security.models import AuditEntry
from tests.factories import Org
from tests.knowledge.test_import_page import BAD, COLUMNS, GOOD, _confirm_form, _upload, xlsx
from tests.test_pages import csrf_of, login

MORE = [["ZF-005", "保障房摇号结果在哪查？", "登录市住房保障网查询摇号结果。", "", "", "", ""]]


@pytest.fixture(autouse=True)
def _small_batches(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "attachments_dir", tmp_path / "files")
    monkeypatch.setattr(bulk, "INLINE_ROWS", 1)  # two rows to write make a job
    monkeypatch.setattr(bulk, "COMMIT_EVERY", 1)  # a commit (and a heartbeat) per row


@pytest.fixture()
def sf(engine: Engine) -> Iterator[sessionmaker[Session]]:
    yield make_session_factory(engine)


def _job(db: Session, rt: Runtime, org: Org, data: bytes) -> int:
    """A queued job's id (the test's session is left without a transaction: on SQLite an open one
    would hold the runner back)."""
    batch = bulk.plan(db, rt, actor=org.actor("housing_handler"), filename="zf.xlsx", data=data, columns=COLUMNS,
                      note="宁政规字〔2026〕3号")
    job_id = import_jobs.enqueue(db, rt, actor=org.actor("housing_handler"), batch=batch, data=data).id
    db.rollback()
    return job_id


def _fresh(sf: sessionmaker[Session], job_id: int) -> ImportJob:
    with sf() as s:
        job = s.get(ImportJob, job_id)
        assert job is not None
        s.expunge(job)
        return job


def _wait(sf: sessionmaker[Session], job_id: int, timeout: float = 20.0) -> ImportJob:
    deadline = time.monotonic() + timeout
    while True:
        job = _fresh(sf, job_id)
        if job.status in (import_jobs.DONE, import_jobs.FAILED, import_jobs.CANCELLED) or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def test_a_job_writes_every_row_and_records_each_outcome(db: Session, rt: Runtime, org: Org,
                                                         sf: sessionmaker[Session]) -> None:
    job_id = _job(db, rt, org, xlsx(GOOD + BAD))
    job = _fresh(sf, job_id)
    assert (job.status, job.total, job.done) == ("queued", 2, 0)
    import_jobs.run(sf, rt, job.id)
    done = _fresh(sf, job.id)
    assert done.status == "done" and done.done == 2 and done.attempts == 1 and done.error is None
    assert done.counts == {"new": 2, "changed": 0, "unchanged": 0, "error": 2, "submitted": 2}
    with sf() as s:
        assert s.get(ImportJob, job.id).data == b""  # type: ignore[union-attr]  # the file is not kept once done
        rows = {r.line: (r.outcome, r.submitted) for r in s.execute(select(ImportJobRow)).scalars()}
        assert rows == {2: ("new", True), 3: ("new", True), 4: ("error", False), 5: ("error", False)}
        keys = {key: status for key, status in s.execute(select(Article.key, Article.status))}
        assert keys == {"ZF-001": "in_review", "ZF-002": "in_review"}  # review is never skipped
        actions = [e.username for e in s.execute(select(AuditEntry).where(
            AuditEntry.action.in_(["kb_import_job", "kb_import"])).order_by(AuditEntry.id)).scalars()]
        assert actions == ["housing_handler", "housing_handler"]  # queued, then done, as its editor
    total, page = import_jobs.rows(db, done, outcome="error")
    assert total == 2 and "第 4 行缺少答复口径" in (page[0].reason or "")
    db.rollback()  # (SQLite: a reader's open transaction would hold the runner back)
    import_jobs.run(sf, rt, job.id)  # a finished job is not run again
    assert _fresh(sf, job.id).attempts == 1


def test_an_interrupted_job_goes_on_after_the_rows_it_wrote(db: Session, rt: Runtime, org: Org,
                                                            sf: sessionmaker[Session],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    job = _fresh(sf, _job(db, rt, org, xlsx(GOOD + MORE)))
    real_submit, calls = service.stage_submit, []

    def dies_on_the_second(*a: Any, **kw: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the process went away")
        return real_submit(*a, **kw)

    monkeypatch.setattr(service, "stage_submit", dies_on_the_second)
    import_jobs.run(sf, rt, job.id)
    failed = _fresh(sf, job.id)
    assert failed.status == "failed" and failed.done == 1 and "重新开始将从中断处继续" in (failed.error or "")
    with sf() as s:
        assert s.execute(select(func.count()).select_from(Article)).scalar_one() == 1  # the first row stayed
    with pytest.raises(Forbidden):  # only its editor starts it again
        import_jobs.restart(db, rt, actor=org.actor("housing_manager"), job_id=job.id)
    import_jobs.restart(db, rt, actor=org.actor("housing_handler"), job_id=job.id)
    import_jobs.run(sf, rt, job.id)
    done = _fresh(sf, job.id)
    assert done.status == "done" and done.counts is not None
    assert (done.counts["new"], done.counts["submitted"]) == (3, 3)  # the first row counted once, as new
    with sf() as s:
        articles = s.execute(select(Article.id)).scalars().all()
        assert len(articles) == 3
        events = s.execute(select(ArticleEvent.action).where(ArticleEvent.article_id == min(articles))).scalars()
        assert list(events) == ["create", "submit"]  # never written twice
    with pytest.raises(DomainError) as exc:
        import_jobs.restart(db, rt, actor=org.actor("housing_handler"), job_id=job.id)
    assert exc.value.status_code == 409


def test_a_job_left_by_its_runner_is_taken_over_and_a_live_one_is_not(db: Session, rt: Runtime, org: Org,
                                                                      sf: sessionmaker[Session],
                                                                      clock: FixedClock) -> None:
    job = _fresh(sf, _job(db, rt, org, xlsx(GOOD)))
    with sf() as s:  # a runner claimed it and died before its first commit
        s.execute(update(ImportJob).where(ImportJob.id == job.id)
                  .values(status="running", heartbeat_at=clock.now(), attempts=1))
        s.commit()
    import_jobs.run(sf, rt, job.id)  # its heartbeat is fresh: another runner leaves it alone
    assert _fresh(sf, job.id).status == "running" and _fresh(sf, job.id).attempts == 1
    clock.advance(import_jobs.STALE + timedelta(seconds=1))
    assert import_jobs.resume(sf, rt) == 1  # the scheduler's pass takes it over
    done = _wait(sf, job.id)
    assert done.status == "done" and done.attempts == 2 and done.counts is not None and done.counts["new"] == 2
    # One that died too often is stopped, with a reason, and left for its editor.
    second = _fresh(sf, _job(db, rt, org, xlsx(MORE)))
    with sf() as s:
        s.execute(update(ImportJob).where(ImportJob.id == second.id)
                  .values(status="running", heartbeat_at=clock.now(), attempts=import_jobs.MAX_ATTEMPTS))
        s.commit()
    clock.advance(import_jobs.STALE + timedelta(seconds=1))
    assert import_jobs.resume(sf, rt) == 0
    stopped = _fresh(sf, second.id)
    assert stopped.status == "failed" and "多次中断" in (stopped.error or "")


def test_a_job_of_a_deactivated_editor_is_not_run(db: Session, rt: Runtime, org: Org,
                                                  sf: sessionmaker[Session]) -> None:
    job = _fresh(sf, _job(db, rt, org, xlsx(GOOD)))
    with sf() as s:
        user = s.get(type(org.users["housing_handler"]), org.users["housing_handler"].id)
        assert user is not None
        user.active = False
        s.commit()
    try:
        import_jobs.run(sf, rt, job.id)
        failed = _fresh(sf, job.id)
        assert failed.status == "failed" and "账号已停用" in (failed.error or "")
        with sf() as s:
            assert s.execute(select(Article.id)).first() is None
    finally:
        with sf() as s:
            user = s.get(type(org.users["housing_handler"]), org.users["housing_handler"].id)
            assert user is not None
            user.active = True
            s.commit()


def test_a_job_cancelled_while_it_runs_keeps_the_rows_written_and_stops(db: Session, rt: Runtime, org: Org,
                                                                        engine: Engine) -> None:
    data = xlsx(GOOD + MORE)  # three rows to write, a commit each
    job = _fresh(make_session_factory(engine), _job(db, rt, org, data))
    editor = org.actor("housing_handler")
    db.rollback()  # (SQLite: the test's session must not hold the database while the job runs)
    cancelled: list[int] = []

    def runner_sessions() -> Session:
        """The runner's session; its editor cancels as soon as its first row is committed."""
        s = make_session_factory(engine)()

        @event.listens_for(s, "after_transaction_end")
        def cancel_after_first_row(_session: Session, transaction: Any) -> None:
            if transaction.parent is not None or cancelled:
                return  # (a row's savepoint, or done already)
            with make_session_factory(engine)() as other:
                if other.execute(select(ImportJobRow.line).where(ImportJobRow.job_id == job.id)).first():
                    other.rollback()
                    import_jobs.cancel(other, rt, actor=editor, job_id=job.id)
                    cancelled.append(1)
        return s

    import_jobs.run(runner_sessions, rt, job.id)  # type: ignore[arg-type]
    sf = make_session_factory(engine)
    cancelled = _fresh(sf, job.id)
    assert cancelled.status == "cancelled" and cancelled.error is None and cancelled.finished_at is not None
    assert cancelled.counts == {"new": 1, "changed": 0, "unchanged": 0, "error": 0, "submitted": 1}
    assert import_jobs.left_out(cancelled, cancelled.counts) == 2
    with sf() as s:
        assert s.get(ImportJob, job.id).data == b""  # type: ignore[union-attr]
        assert s.execute(select(Article.key)).scalars().all() == ["ZF-001"]  # the second row was rolled back
        lines = s.execute(select(ImportJobRow.line).where(ImportJobRow.job_id == job.id)).scalars().all()
        assert lines == [2]
        cancels = s.execute(select(AuditEntry.username, AuditEntry.detail)
                            .where(AuditEntry.action == "kb_import_job_cancel")).all()
        assert len(cancels) == 1 and cancels[0][0] == "housing_handler" and "未处理的 2 条不再导入" in cancels[0][1]
    import_jobs.run(sf, rt, job.id)  # a cancelled job is not run again
    assert _fresh(sf, job.id).status == "cancelled"
    for again in (import_jobs.cancel, import_jobs.restart):
        with pytest.raises(DomainError) as exc:
            again(db, rt, actor=org.actor("housing_handler"), job_id=job.id)
        assert exc.value.status_code == 409 and "取消" in exc.value.message
    # The same file again: the row written is unchanged now, the others are new.
    batch = bulk.plan(db, rt, actor=org.actor("housing_handler"), filename="zf.xlsx", data=data, columns=COLUMNS)
    assert [r.outcome for r in batch.rows] == ["unchanged", "new", "new"]


def test_only_its_editor_or_the_administrator_cancels_a_job(db: Session, rt: Runtime, org: Org,
                                                            sf: sessionmaker[Session]) -> None:
    first = _fresh(sf, _job(db, rt, org, xlsx(GOOD)))
    with pytest.raises(Forbidden):  # a reviewer of the unit sees the job, but it is not theirs
        import_jobs.cancel(db, rt, actor=org.actor("housing_manager"), job_id=first.id)
    import_jobs.cancel(db, rt, actor=org.actor("admin"), job_id=first.id)
    db.rollback()
    assert _fresh(sf, first.id).status == "cancelled"
    assert import_jobs.resume(sf, rt) == 0  # nothing waits for a runner


def test_a_runner_replaced_after_stalling_writes_nothing_more(db: Session, rt: Runtime, org: Org,
                                                              sf: sessionmaker[Session], clock: FixedClock) -> None:
    job = _fresh(sf, _job(db, rt, org, xlsx(GOOD)))
    with sf() as s:
        stalled = import_jobs._claim(s, rt, job.id)  # runner A, which then stops answering
    clock.advance(import_jobs.STALE + timedelta(seconds=1))
    with sf() as s:
        second = import_jobs._claim(s, rt, job.id)  # runner B takes it over
    assert stalled and second and stalled != second
    with sf() as s:  # A wakes up and writes its first row: rolled back, the job left to B
        import_jobs._carry_out(s, rt, job.id, stalled)
    taken = _fresh(sf, job.id)
    assert (taken.status, taken.worker, taken.done, taken.error) == ("running", second, 0, None)
    with sf() as s:
        assert s.execute(select(func.count()).select_from(Article)).scalar_one() == 0
        import_jobs._carry_out(s, rt, job.id, second)  # B finishes it
    assert _fresh(sf, job.id).status == "done"
    with sf() as s:  # A's failure (its plan of the emptied file) does not mark B's finished job
        import_jobs._carry_out(s, rt, job.id, stalled)
    done = _fresh(sf, job.id)
    assert done.status == "done" and done.error is None and done.counts is not None and done.counts["new"] == 2


def test_a_stalled_job_can_be_restarted_once_and_a_live_one_cannot(db: Session, rt: Runtime, org: Org,
                                                                   sf: sessionmaker[Session],
                                                                   clock: FixedClock) -> None:
    job = _fresh(sf, _job(db, rt, org, xlsx(GOOD)))
    with sf() as s:
        assert import_jobs._claim(s, rt, job.id)
    editor = org.actor("housing_handler")
    with pytest.raises(DomainError) as exc:  # its runner is alive
        import_jobs.restart(db, rt, actor=editor, job_id=job.id)
    assert exc.value.status_code == 409 and "导入中" in exc.value.message
    clock.advance(import_jobs.STALE + timedelta(seconds=1))
    assert import_jobs.restart(db, rt, actor=editor, job_id=job.id).status == "queued"
    with pytest.raises(DomainError) as exc:  # a second click
        import_jobs.restart(db, rt, actor=editor, job_id=job.id)
    assert exc.value.status_code == 409 and "排队中" in exc.value.message
    db.rollback()
    import_jobs.run(sf, rt, job.id)
    assert _fresh(sf, job.id).status == "done"


def test_the_same_file_is_not_queued_twice_while_its_job_is_live(db: Session, rt: Runtime, org: Org,
                                                                 sf: sessionmaker[Session]) -> None:
    data = xlsx(GOOD)
    first = _job(db, rt, org, data)
    with pytest.raises(DomainError) as exc:
        _job(db, rt, org, data)
    assert exc.value.status_code == 409 and exc.value.code == "kb_import_job_twin"
    assert f"任务 {first}" in exc.value.message
    db.rollback()
    import_jobs.cancel(db, rt, actor=org.actor("housing_handler"), job_id=first)
    assert _job(db, rt, org, data) != first  # once it has ended, the file may be sent again


def test_refused_rows_move_the_progress_and_a_failure_is_audited(db: Session, rt: Runtime, org: Org,
                                                                sf: sessionmaker[Session],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    job = _fresh(sf, _job(db, rt, org, xlsx(GOOD)))
    real, progress = import_jobs._still_ours, []

    def counted(tx: Session, job_id: int, token: str, **values: Any) -> None:
        progress.append(values.get("status", "progress"))
        real(tx, job_id, token, **values)

    def refused(*_a: Any, **_kw: Any) -> Any:
        raise DomainError("kb_refused", "审核流程拒绝")

    monkeypatch.setattr(import_jobs, "_still_ours", counted)
    monkeypatch.setattr(service, "stage_submit", refused)
    import_jobs.run(sf, rt, job.id)
    done = _fresh(sf, job.id)
    assert done.status == "done" and done.counts is not None and (done.counts["error"], done.counts["new"]) == (2, 0)
    assert progress[:2] == ["progress", "progress"]  # a commit (and a heartbeat) per refused row too
    second = _fresh(sf, _job(db, rt, org, xlsx(MORE)))
    monkeypatch.setattr(service, "stage_submit", lambda *a, **kw: 1 / 0)
    import_jobs.run(sf, rt, second.id)
    assert _fresh(sf, second.id).status == "failed"
    with sf() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "kb_import_job_fail",
                                                   AuditEntry.object_id == str(second.id))).scalar_one()
        assert "ZeroDivisionError" in (entry.detail or "")


def test_a_job_queued_again_while_its_thread_runs_is_run_again_by_that_thread(
        db: Session, rt: Runtime, org: Org, sf: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    job = _fresh(sf, _job(db, rt, org, xlsx(GOOD)))
    real, calls = import_jobs.run, []

    def slow_then_restarted(sf_: Any, rt_: Any, job_id: int) -> None:
        calls.append(job_id)
        if len(calls) == 1:  # this thread's runner gave up (replaced), its editor restarted the job
            with sf() as s:
                s.execute(update(ImportJob).where(ImportJob.id == job_id).values(status="queued"))
                s.commit()
            return
        real(sf_, rt_, job_id)

    monkeypatch.setattr(import_jobs, "run", slow_then_restarted)
    import_jobs._run_here(sf, rt, job.id)
    assert calls == [job.id, job.id] and _fresh(sf, job.id).status == "done"


def test_cancelling_an_interrupted_job_keeps_why_it_stopped(db: Session, rt: Runtime, org: Org,
                                                           sf: sessionmaker[Session]) -> None:
    job = _fresh(sf, _job(db, rt, org, xlsx(GOOD)))
    with sf() as s:
        s.execute(update(ImportJob).where(ImportJob.id == job.id).values(status="failed", error="导入中断（测试）"))
        s.commit()
    cancelled = import_jobs.cancel(db, rt, actor=org.actor("housing_handler"), job_id=job.id)
    assert cancelled.status == "cancelled" and cancelled.error == "导入中断（测试）"


def test_a_process_runs_a_job_on_one_thread_and_waits_for_them(db: Session, rt: Runtime, org: Org,
                                                               sf: sessionmaker[Session]) -> None:
    job = _fresh(sf, _job(db, rt, org, xlsx(GOOD)))
    for _ in range(import_jobs.RUNNERS):  # every runner's slot taken: the thread waits, the job queued
        import_jobs._slots.acquire()
    try:
        thread = import_jobs.start(sf, rt, job.id)
        assert import_jobs.start(sf, rt, job.id) is thread
        assert import_jobs.resume(sf, rt) == 0  # this process has it already
        assert import_jobs.wait(timeout=0.1) == 1 and _fresh(sf, job.id).status == "queued"
    finally:
        for _ in range(import_jobs.RUNNERS):
            import_jobs._slots.release()
    assert import_jobs.wait(timeout=20) == 0
    assert _fresh(sf, job.id).status == "done"


# ---- the page and the API ------------------------------------------------------------------------------


def test_page_confirm_becomes_a_job_with_its_progress_and_outcomes(client: TestClient, engine: Engine,
                                                                   sf: sessionmaker[Session]) -> None:
    login(client, "housing_handler")
    preview = client.get(_upload(client, xlsx(GOOD + BAD)).headers["location"])
    assert "确认导入并提交审核（2 条，转为后台任务）" in preview.text
    action, fields = _confirm_form(preview.text)
    r = client.post(action, data={**fields, "csrf_token": csrf_of(client, "/kb/import")}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/kb/import/jobs/")
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    assert _wait(sf, job_id).status == "done"
    page = client.get(f"/kb/import/jobs/{job_id}")
    assert page.status_code == 200 and 'data-status="done"' in page.text and "已完成" in page.text
    counts = {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', page.text)}
    assert counts == {"submitted": 2, "new": 2, "changed": 0, "unchanged": 0, "error": 2}
    assert 'http-equiv="refresh"' not in page.text  # done: no more refreshing
    errors = client.get(f"/kb/import/jobs/{job_id}?outcome=error")
    assert re.findall(r'data-line="(\d+)"', errors.text) == ["4", "5"] and "第 4 行缺少答复口径" in errors.text
    sheet = load_workbook(BytesIO(client.get(f"/kb/import/jobs/{job_id}/rows.xlsx").content)).active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert table[0][:4] == ["行号", "编号", "问题", "结果"]
    assert [row[3] for row in table[1:]] == ["新增", "新增", "有误", "有误"]
    with sf() as s:  # a revised row: its changes are stored as one text, and shown as written
        s.add(ImportJobRow(job_id=job_id, line=9, key="ZF-009", question="问", outcome="changed",
                           changes="答复口径、政策依据", submitted=True))
        s.commit()
    assert "修改：答复口径、政策依据" in client.get(f"/kb/import/jobs/{job_id}?outcome=changed").text
    listing = client.get("/kb/import")
    assert f'data-job="{job_id}"' in listing.text and "我的后台导入任务" in listing.text
    login(client, "operator")  # not their unit's, nor a reviewer's
    assert client.get(f"/kb/import/jobs/{job_id}").status_code == 403


def test_page_shows_a_running_job_refreshing(client: TestClient, db: Session, rt: Runtime, org: Org,
                                             sf: sessionmaker[Session]) -> None:
    job = _fresh(sf, _job(db, rt, org, xlsx(GOOD)))  # queued, not started
    login(client, "housing_handler")
    page = client.get(f"/kb/import/jobs/{job.id}")
    assert page.status_code == 200 and 'http-equiv="refresh"' in page.text and "排队中" in page.text
    assert 'data-done="0" data-total="2"' in page.text and "各行的结果将随导入逐批列出" in page.text
    assert client.get("/kb/import/jobs/999999").status_code == 404


def test_api_large_import_is_a_job_to_follow(client: TestClient, as_user: Any, sf: sessionmaker[Session]) -> None:
    fields = {"question_col": "问题", "answer_col": "答复口径", "key_col": "编号"}
    r = client.post("/api/v1/kb/import", headers=as_user("housing_manager"), data=fields,
                    files={"file": ("zf.xlsx", xlsx(GOOD + BAD))})
    assert r.status_code == 202, r.text
    body = r.json()
    # (no expiry column chosen: row 5's unreadable date is not read)
    assert body["job_id"] and body["job_status"] == "queued" and body["new"] == 3 and body["submitted"] == 0
    assert _wait(sf, body["job_id"]).status == "done"
    r = client.get(f"/api/v1/kb/import/jobs/{body['job_id']}?outcome=new", headers=as_user("housing_manager"))
    job = r.json()
    assert r.status_code == 200 and job["status"] == "done" and job["status_label"] == "已完成"
    assert job["counts"]["submitted"] == 3 and job["rows_total"] == 3
    assert [row["line"] for row in job["rows"]] == [2, 3, 5] and all(row["article_id"] for row in job["rows"])
    r = client.post(f"/api/v1/kb/import/jobs/{body['job_id']}/restart", headers=as_user("housing_manager"))
    assert r.status_code == 409 and r.json()["code"] == "kb_import_job_state"
    r = client.get(f"/api/v1/kb/import/jobs/{body['job_id']}", headers=as_user("operator"))
    assert r.status_code == 403


def test_page_and_api_cancel_a_queued_job(client: TestClient, db: Session, rt: Runtime, org: Org, as_user: Any,
                                          sf: sessionmaker[Session]) -> None:
    job = _fresh(sf, _job(db, rt, org, xlsx(GOOD)))  # queued, not started
    login(client, "housing_manager")
    page = client.get(f"/kb/import/jobs/{job.id}")
    assert page.status_code == 200 and "取消导入" not in page.text  # not theirs
    r = client.post(f"/kb/import/jobs/{job.id}/cancel", data={"csrf_token": csrf_of(client, "/kb/import")},
                    follow_redirects=False)
    assert r.status_code == 403 and _fresh(sf, job.id).status == "queued"
    login(client, "housing_handler")
    page = client.get(f"/kb/import/jobs/{job.id}")
    assert "取消导入" in page.text and f'action="/kb/import/jobs/{job.id}/cancel"' in page.text
    r = client.post(f"/kb/import/jobs/{job.id}/cancel", data={"csrf_token": csrf_of(client, "/kb/import")},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert 'data-status="cancelled"' in page.text and "已取消" in page.text and "未处理的 2 条不再导入" in page.text
    assert "取消导入" not in page.text and 'http-equiv="refresh"' not in page.text
    second = _fresh(sf, _job(db, rt, org, xlsx(MORE + GOOD)))
    r = client.post(f"/api/v1/kb/import/jobs/{second.id}/cancel", headers=as_user("housing_handler"))
    assert r.status_code == 200 and r.json()["status"] == "cancelled" and r.json()["status_label"] == "已取消"
    assert r.json()["counts"]["submitted"] == 0
    r = client.post(f"/api/v1/kb/import/jobs/{second.id}/cancel", headers=as_user("housing_handler"))
    assert r.status_code == 409 and r.json()["code"] == "kb_import_job_state"
