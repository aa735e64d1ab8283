"""批量导入任务: a batch import with more rows to write than one request should hold
(`bulk.INLINE_ROWS`), run beside the requests with its progress shown.

The confirmation (page or API) stores the file and the editor's choices as a job and starts a
thread. The thread plans the file again against the database as it is then (seconds) and writes
it as the page would (`bulk.apply`: each row saved and submitted for review, as its editor), and
every hundred rows commits their outcomes (`ImportJobRow`) and the job's progress in the same
transaction as the articles. So a job never writes a row twice: one whose process died (a restart,
a deployment) is taken over — by the scheduler's next pass (`resume`), or when its editor starts
it again — and goes on after the rows already recorded. One runner at a time: a runner claims the
job with a conditional UPDATE, and a job counts as abandoned only when its heartbeat (each commit)
is older than `STALE`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.errors import DomainError, Forbidden, NotFound
from hotline.knowledge import bulk, rules, service
from hotline.knowledge.models import ImportJob, ImportJobRow
from hotline.org.models import User
from hotline.org.service import actor_for
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.roles import Role

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUS_LABELS = {QUEUED: "排队中", RUNNING: "导入中", DONE: "已完成", FAILED: "已中断"}
# A runner commits every hundred rows (a few seconds at most); this long without a word, it is gone.
STALE = timedelta(minutes=2)
# A job whose runner died this many times is not taken over again (its editor may start it again).
MAX_ATTEMPTS = 5
ROWS_PAGE = 200  # rows per page of a job's outcomes


def enqueue(db: Session, rt: Runtime, *, actor: Actor, batch: bulk.Plan, data: bytes) -> ImportJob:
    """The confirmed plan as a job (committed); `start` runs it."""
    if actor.user_id is None:
        raise DomainError("kb_import_job_user", "后台导入任务须由登录的编辑人员确认")
    job = ImportJob(user_id=actor.user_id, unit_id=actor.unit_id, filename=batch.filename[:200], sha256=batch.sha256,
                    data=data, columns=batch.columns, audience=batch.audience, note=batch.note, status=QUEUED,
                    total=batch.to_write, done=0, attempts=0, created_at=rt.clock.now())
    db.add(job)
    db.flush()
    audit.record(db, actor=actor, at=rt.clock.now(), action="kb_import_job", object_type="kb_import_job",
                 object_id=str(job.id),
                 detail=f"{batch.filename}：{batch.to_write} 行待导入（新增 {batch.count(bulk.NEW)}、"
                        f"修订 {batch.count(bulk.CHANGED)}），转为后台导入任务")
    db.commit()
    return job


def start(sf: sessionmaker[Session], rt: Runtime, job_id: int) -> threading.Thread:
    """Run the job on a thread of this process (it returns at once if another runner has it)."""
    thread = threading.Thread(target=run, args=(sf, rt, job_id), name=f"kb-import-{job_id}", daemon=True)
    thread.start()
    return thread


def _claim(db: Session, rt: Runtime, job_id: int) -> bool:
    now = rt.clock.now()
    abandoned = and_(ImportJob.status == RUNNING, ImportJob.heartbeat_at < now - STALE,
                     ImportJob.attempts < MAX_ATTEMPTS)
    claimed = db.execute(
        update(ImportJob).where(ImportJob.id == job_id, or_(ImportJob.status == QUEUED, abandoned))
        .values(status=RUNNING, heartbeat_at=now, started_at=func.coalesce(ImportJob.started_at, now),
                attempts=ImportJob.attempts + 1, worker=threading.current_thread().name[:100])
    ).rowcount
    db.commit()
    return claimed == 1


def run(sf: sessionmaker[Session], rt: Runtime, job_id: int) -> None:
    """Run the job, or go on with it, unless another runner has it. A failure is recorded on the
    job in Chinese (what was written stays written)."""
    with sf() as db:
        if not _claim(db, rt, job_id):
            return
        try:
            _run(db, rt, job_id)
        except Exception as exc:  # noqa: BLE001  (recorded on the job; the thread must not die silently)
            db.rollback()
            if not isinstance(exc, DomainError):
                log.exception("kb import job %s failed", job_id)
            message = exc.message if isinstance(exc, DomainError) else (
                f"导入中断（{type(exc).__name__}）。已导入的行已保存，重新开始将从中断处继续")
            db.execute(update(ImportJob).where(ImportJob.id == job_id)
                       .values(status=FAILED, error=message[:2000], finished_at=rt.clock.now()))
            db.commit()


def _row_values(job_id: int, row: bulk.PlannedRow) -> dict[str, Any]:
    return {"job_id": job_id, "line": row.line, "key": row.key[:100], "question": row.question[:300],
            "outcome": row.outcome, "reason": row.reason, "changes": "、".join(row.changes)[:200] or None,
            "article_id": row.article_id, "submitted": row.submitted}


def _run(db: Session, rt: Runtime, job_id: int) -> None:
    job = db.get(ImportJob, job_id)
    assert job is not None
    user = db.get(User, job.user_id)
    if user is None or not user.active:
        raise DomainError("kb_import_job_user", "确认导入的账号已停用，任务未执行")
    actor = actor_for(user)
    recorded = set(db.execute(select(ImportJobRow.line).where(ImportJobRow.job_id == job_id)).scalars())
    batch = bulk.plan(db, rt, actor=actor, filename=job.filename, data=job.data, columns=dict(job.columns),
                      audience=job.audience, note=job.note)
    rest = [r for r in batch.rows if r.line not in recorded]  # taken over: after the rows already written
    left_alone = [r for r in rest if r.outcome not in (bulk.NEW, bulk.CHANGED)]
    todo = bulk.Plan(filename=batch.filename, sha256=batch.sha256, columns=batch.columns, audience=batch.audience,
                     note=batch.note, rows=[r for r in rest if r.outcome in (bulk.NEW, bulk.CHANGED)])

    def on_commit(tx: Session, rows: list[bulk.PlannedRow]) -> None:
        if rows:
            tx.execute(insert(ImportJobRow), [_row_values(job_id, r) for r in rows])
        tx.execute(update(ImportJob).where(ImportJob.id == job_id)
                   .values(done=ImportJob.done + len(rows), heartbeat_at=rt.clock.now()))

    bulk.apply(db, rt, actor=actor, batch=todo, on_commit=on_commit, audited=False)
    if left_alone:
        db.execute(insert(ImportJobRow), [_row_values(job_id, r) for r in left_alone])
    counts = {o: 0 for o in bulk.OUTCOME_LABELS}
    by_outcome = select(ImportJobRow.outcome, func.count()).where(ImportJobRow.job_id == job_id) \
        .group_by(ImportJobRow.outcome)
    counts.update({outcome: n for outcome, n in db.execute(by_outcome)})
    submitted = db.execute(select(func.count()).where(ImportJobRow.job_id == job_id,
                                                      ImportJobRow.submitted.is_(True))).scalar_one()
    counts["submitted"] = int(submitted)
    db.execute(update(ImportJob).where(ImportJob.id == job_id)
               .values(status=DONE, counts=counts, done=ImportJob.total, data=b"", error=None,
                       finished_at=rt.clock.now(), heartbeat_at=rt.clock.now()))
    audit.record(db, actor=actor, at=rt.clock.now(), action="kb_import", object_type="kb_import_job",
                 object_id=str(job_id),
                 detail=f"{job.filename}：提交审核 {submitted} 条（新增 {counts[bulk.NEW]}、修订 "
                        f"{counts[bulk.CHANGED]}），未变 {counts[bulk.UNCHANGED]} 条，有误 {counts[bulk.ERROR]} 条"
                        + (f"；{job.note}" if job.note else ""))
    db.commit()


def resume(sf: sessionmaker[Session], rt: Runtime) -> int:
    """Start the jobs waiting for a runner: queued, or abandoned by theirs (the scheduler's pass);
    a job abandoned `MAX_ATTEMPTS` times is marked interrupted. Returns how many were started."""
    now = rt.clock.now()
    with sf() as db:
        stale = and_(ImportJob.status == RUNNING, ImportJob.heartbeat_at < now - STALE)
        db.execute(update(ImportJob).where(stale, ImportJob.attempts >= MAX_ATTEMPTS)
                   .values(status=FAILED, finished_at=now,
                           error="导入进程多次中断，任务已停止。已导入的行已保存，重新开始将从中断处继续"))
        db.commit()
        ids = list(db.execute(select(ImportJob.id).where(or_(ImportJob.status == QUEUED, stale))
                              .order_by(ImportJob.id)).scalars())
    for job_id in ids:
        start(sf, rt, job_id)
    return len(ids)


# ---- reading -------------------------------------------------------------------------------------


def _may_see(db: Session, actor: Actor, job: ImportJob) -> bool:
    if job.user_id == actor.user_id:
        return True
    return rules.may_read_unpublished(service.who(db, actor), job.unit_id)


def get(db: Session, *, actor: Actor, job_id: int) -> ImportJob:
    job = db.get(ImportJob, job_id)
    if job is None:
        raise NotFound("kb_import_job_not_found", "导入任务不存在")
    if not _may_see(db, actor, job):
        raise Forbidden("kb_import_job_forbidden", "只能查看本人或本单位的导入任务")
    return job


def recent(db: Session, *, actor: Actor, limit: int = 10) -> Sequence[ImportJob]:
    """The actor's own latest jobs (the import page lists them)."""
    return db.execute(select(ImportJob).where(ImportJob.user_id == actor.user_id)
                      .order_by(ImportJob.id.desc()).limit(limit)).scalars().all()


def rows(db: Session, job: ImportJob, *, outcome: str | None = None, offset: int = 0,
         limit: int = ROWS_PAGE) -> tuple[int, Sequence[ImportJobRow]]:
    """(how many, one page) of the job's row outcomes, by line; `outcome` filters."""
    where = [ImportJobRow.job_id == job.id] + ([ImportJobRow.outcome == outcome] if outcome else [])
    total = db.execute(select(func.count()).select_from(ImportJobRow).where(*where)).scalar_one()
    page = db.execute(select(ImportJobRow).where(*where).order_by(ImportJobRow.line)
                      .offset(offset).limit(limit)).scalars().all()
    return int(total), page


def restart(db: Session, rt: Runtime, *, actor: Actor, job_id: int) -> ImportJob:
    """Queue an interrupted job again (its editor, or the administrator); `start` runs it."""
    job = get(db, actor=actor, job_id=job_id)
    if job.user_id != actor.user_id and actor.role != Role.ADMIN:
        raise Forbidden("kb_import_job_forbidden", "只有确认导入的人可以重新开始该任务")
    if job.status != FAILED:
        raise DomainError("kb_import_job_state", f"任务{STATUS_LABELS.get(job.status, job.status)}，不需要重新开始",
                          status_code=409)
    job.status, job.error, job.attempts, job.finished_at = QUEUED, None, 0, None
    audit.record(db, actor=actor, at=rt.clock.now(), action="kb_import_job_restart", object_type="kb_import_job",
                 object_id=str(job.id), detail=f"{job.filename}：重新开始（已导入 {job.done} 行）")
    db.commit()
    return job
