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
is older than `STALE`. Each claim writes a token of its own (`worker`) and every write of the
runner is conditional on it: a runner that stalled past `STALE` and was replaced, or whose job
was cancelled (`cancel`: the rows written stay written and in review), finds out at its next
commit, rolls that batch back and stops. A process runs at most `RUNNERS` jobs at once.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
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
from hotline.supervision.jobs import worker_name
from hotline.supervision.timeline import system_actor

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
STATUS_LABELS = {QUEUED: "排队中", RUNNING: "导入中", DONE: "已完成", FAILED: "已中断", CANCELLED: "已取消"}
CANCELLABLE = (QUEUED, RUNNING, FAILED)
# A runner commits every hundred rows (a few seconds at most); this long without a word, it is gone.
STALE = timedelta(minutes=2)
# A job whose runner died this many times is not taken over again (its editor may start it again).
MAX_ATTEMPTS = 5
ROWS_PAGE = 200  # rows per page of a job's outcomes
# Jobs a process runs at once (each holds its file, up to 20 MB, and its plan); the others wait, queued.
RUNNERS = 2
_slots = threading.BoundedSemaphore(RUNNERS)
_threads: dict[int, threading.Thread] = {}  # job id -> this process's thread for it
_threads_lock = threading.Lock()


def enqueue(db: Session, rt: Runtime, *, actor: Actor, batch: bulk.Plan, data: bytes) -> ImportJob:
    """The confirmed plan as a job (committed); `start` runs it."""
    if actor.user_id is None:
        raise DomainError("kb_import_job_user", "后台导入任务须由登录的编辑人员确认")
    # The editor's row locked first: two confirmations at once (PostgreSQL) check one after the other.
    db.execute(select(User.id).where(User.id == actor.user_id).with_for_update())
    twin = db.execute(select(ImportJob.id).where(ImportJob.user_id == actor.user_id, ImportJob.sha256 == batch.sha256,
                                                 ImportJob.status.in_((QUEUED, RUNNING)))).scalar()
    if twin is not None:  # a second click, or the same file sent again while the first is written
        raise DomainError("kb_import_job_twin",
                          f"同一文件的导入任务（任务 {twin}）正在进行，请等待其完成或取消后再导入", status_code=409)
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


class _NotOurs(Exception):
    """The job was cancelled, or taken over by another runner, while this one was writing."""


def start(sf: sessionmaker[Session], rt: Runtime, job_id: int) -> threading.Thread:
    """Run the job on a thread of this process, unless one of its threads has it already (the
    thread returns at once if another process's runner has it)."""
    with _threads_lock:  # (started inside: a second caller sees it alive)
        thread = _threads.get(job_id)
        if thread is not None and thread.is_alive():
            return thread
        thread = _threads[job_id] = threading.Thread(target=_run_here, args=(sf, rt, job_id),
                                                     name=f"kb-import-{job_id}", daemon=True)
        thread.start()
    return thread


def _run_here(sf: sessionmaker[Session], rt: Runtime, job_id: int) -> None:
    try:
        for _ in range(3):
            run(sf, rt, job_id)
            # Queued again while this thread ran it (its editor restarted it: this thread, slow,
            # then found it no longer its own): `start` saw this thread alive, so it goes on.
            with sf() as db:
                if db.execute(select(ImportJob.status).where(ImportJob.id == job_id)).scalar() != QUEUED:
                    break
    finally:
        with _threads_lock:
            if _threads.get(job_id) is threading.current_thread():
                del _threads[job_id]


def wait(timeout: float | None = None) -> int:
    """Wait for this process's import threads (a one-shot scheduler run must not exit under them);
    returns how many are still running."""
    with _threads_lock:
        threads = list(_threads.values())
    for thread in threads:
        thread.join(timeout)
    return sum(t.is_alive() for t in threads)


def _claim(db: Session, rt: Runtime, job_id: int) -> str | None:
    """The job for this runner (its token), if it is queued or abandoned by its runner."""
    now = rt.clock.now()
    abandoned = and_(ImportJob.status == RUNNING, ImportJob.heartbeat_at < now - STALE,
                     ImportJob.attempts < MAX_ATTEMPTS)
    token = f"{uuid.uuid4().hex[:12]} {worker_name()}"[:100]
    claimed = db.execute(
        update(ImportJob).where(ImportJob.id == job_id, or_(ImportJob.status == QUEUED, abandoned))
        .values(status=RUNNING, heartbeat_at=now, started_at=func.coalesce(ImportJob.started_at, now),
                attempts=ImportJob.attempts + 1, worker=token)
    ).rowcount
    db.commit()
    return token if claimed == 1 else None


def run(sf: sessionmaker[Session], rt: Runtime, job_id: int) -> None:
    """Run the job, or go on with it, unless another runner has it. A failure is recorded on the
    job in Chinese (what was written stays written)."""
    with _slots, sf() as db:
        token = _claim(db, rt, job_id)
        if token is not None:
            _carry_out(db, rt, job_id, token)


def _carry_out(db: Session, rt: Runtime, job_id: int, token: str) -> None:
    """Run the claimed job; a failure ends it as interrupted, unless it is no longer this runner's."""
    try:
        _run(db, rt, job_id, token)
    except _NotOurs:
        db.rollback()  # cancelled (`cancel` recorded its end), or another runner goes on with it
    except Exception as exc:  # noqa: BLE001  (recorded on the job; the thread must not die silently)
        db.rollback()
        if not isinstance(exc, DomainError):
            log.exception("kb import job %s failed", job_id)
        message = exc.message if isinstance(exc, DomainError) else (
            f"导入中断（{type(exc).__name__}）。已导入的行已保存，重新开始将从中断处继续")
        try:
            _still_ours(db, job_id, token, status=FAILED, error=message[:2000], finished_at=rt.clock.now())
        except _NotOurs:
            db.rollback()
            return
        job = db.get(ImportJob, job_id)
        assert job is not None
        audit.record(db, actor=system_actor(), at=rt.clock.now(), action="kb_import_job_fail",
                     object_type="kb_import_job", object_id=str(job_id),
                     detail=f"{job.filename}：导入中断（已处理 {job.done} / {job.total} 行）：{message}"[:2000])
        db.commit()


def _row_values(job_id: int, row: bulk.PlannedRow) -> dict[str, Any]:
    return {"job_id": job_id, "line": row.line, "key": row.key[:100], "question": row.question[:300],
            "outcome": row.outcome, "reason": row.reason, "changes": "、".join(row.changes)[:200] or None,
            "article_id": row.article_id, "submitted": row.submitted}


def _run(db: Session, rt: Runtime, job_id: int, token: str) -> None:
    job = db.get(ImportJob, job_id)
    assert job is not None
    user = db.get(User, job.user_id)
    if user is None or not user.active:
        raise DomainError("kb_import_job_user", "确认导入的账号已停用，任务未执行")
    actor = actor_for(user)
    recorded = set(db.execute(select(ImportJobRow.line).where(ImportJobRow.job_id == job_id)).scalars())
    filename, note = job.filename, job.note  # (the plan ends the transaction: `job` would be read again)
    batch = bulk.plan(db, rt, actor=actor, filename=filename, data=job.data, columns=dict(job.columns),
                      audience=job.audience, note=note)
    rest = [r for r in batch.rows if r.line not in recorded]  # taken over: after the rows already written
    left_alone = [r for r in rest if r.outcome not in (bulk.NEW, bulk.CHANGED)]
    todo = bulk.Plan(filename=batch.filename, sha256=batch.sha256, columns=batch.columns, audience=batch.audience,
                     note=batch.note, rows=[r for r in rest if r.outcome in (bulk.NEW, bulk.CHANGED)])

    def on_commit(tx: Session, rows: list[bulk.PlannedRow]) -> None:
        if rows:
            tx.execute(insert(ImportJobRow), [_row_values(job_id, r) for r in rows])
        _still_ours(tx, job_id, token, done=ImportJob.done + len(rows), heartbeat_at=rt.clock.now())

    bulk.apply(db, rt, actor=actor, batch=todo, on_commit=on_commit, audited=False)
    if left_alone:
        db.execute(insert(ImportJobRow), [_row_values(job_id, r) for r in left_alone])
    counts = _counts(db, job_id)
    _still_ours(db, job_id, token, status=DONE, counts=counts, done=ImportJob.total, data=b"", error=None,
                finished_at=rt.clock.now(), heartbeat_at=rt.clock.now())
    audit.record(db, actor=actor, at=rt.clock.now(), action="kb_import", object_type="kb_import_job",
                 object_id=str(job_id),
                 detail=f"{filename}：提交审核 {counts['submitted']} 条（新增 {counts[bulk.NEW]}、修订 "
                        f"{counts[bulk.CHANGED]}），未变 {counts[bulk.UNCHANGED]} 条，有误 {counts[bulk.ERROR]} 条"
                        + (f"；{note}" if note else ""))
    db.commit()


def _still_ours(tx: Session, job_id: int, token: str, **values: Any) -> None:
    """Record the runner's progress or end, unless the job was cancelled or taken over meanwhile
    (then `_NotOurs`: the caller rolls back what it wrote since its last commit)."""
    moved = tx.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == RUNNING,
                                               ImportJob.worker == token).values(**values)).rowcount
    if moved != 1:
        raise _NotOurs


def _counts(db: Session, job_id: int) -> dict[str, int]:
    """The rows recorded so far by outcome, and how many were submitted for review."""
    counts = {o: 0 for o in bulk.OUTCOME_LABELS}
    by_outcome = select(ImportJobRow.outcome, func.count()).where(ImportJobRow.job_id == job_id) \
        .group_by(ImportJobRow.outcome)
    counts.update({outcome: int(n) for outcome, n in db.execute(by_outcome)})
    counts["submitted"] = int(db.execute(select(func.count()).where(
        ImportJobRow.job_id == job_id, ImportJobRow.submitted.is_(True))).scalar_one())
    return counts


def resume(sf: sessionmaker[Session], rt: Runtime) -> int:
    """Start the jobs waiting for a runner: queued, or abandoned by theirs (the scheduler's pass);
    a job abandoned `MAX_ATTEMPTS` times is marked interrupted. Returns how many threads were started
    (each claims its job or, when another runner has it, returns at once)."""
    now = rt.clock.now()
    with sf() as db:
        stale = and_(ImportJob.status == RUNNING, ImportJob.heartbeat_at < now - STALE)
        db.execute(update(ImportJob).where(stale, ImportJob.attempts >= MAX_ATTEMPTS)
                   .values(status=FAILED, finished_at=now,
                           error="导入进程多次中断，任务已停止。已导入的行已保存，重新开始将从中断处继续"))
        db.commit()
        ids = list(db.execute(select(ImportJob.id).where(or_(ImportJob.status == QUEUED, stale))
                              .order_by(ImportJob.id)).scalars())
    with _threads_lock:
        ids = [i for i in ids if not (i in _threads and _threads[i].is_alive())]  # this process runs them already
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


def may_manage(actor: Actor, job: ImportJob) -> bool:
    """Who may start a job again or cancel it: its editor, or the administrator."""
    return job.user_id == actor.user_id or actor.role == Role.ADMIN


def stalled(job: ImportJob, now: datetime) -> bool:
    """Running, but its runner has not written for `STALE`: gone (a restart, a deployment)."""
    return job.status == RUNNING and job.heartbeat_at is not None and job.heartbeat_at < now - STALE


def restart(db: Session, rt: Runtime, *, actor: Actor, job_id: int) -> ImportJob:
    """Queue again a job that was interrupted, or whose runner is gone (its editor, or the
    administrator); `start` runs it, after the rows already written."""
    job = get(db, actor=actor, job_id=job_id)
    if not may_manage(actor, job):
        raise Forbidden("kb_import_job_forbidden", "只有确认导入的人可以重新开始该任务")
    now = rt.clock.now()
    gone = and_(ImportJob.status == RUNNING, ImportJob.heartbeat_at < now - STALE)
    # Conditional: two clicks at once queue it once (the second finds it queued: 409).
    queued = db.execute(update(ImportJob).where(ImportJob.id == job_id, or_(ImportJob.status == FAILED, gone))
                        .values(status=QUEUED, error=None, attempts=0, finished_at=None, worker=None)).rowcount
    if queued != 1:
        db.rollback()
        db.refresh(job)
        raise DomainError("kb_import_job_state", f"任务{STATUS_LABELS.get(job.status, job.status)}，不需要重新开始",
                          status_code=409)
    audit.record(db, actor=actor, at=now, action="kb_import_job_restart", object_type="kb_import_job",
                 object_id=str(job.id), detail=f"{job.filename}：重新开始（已导入 {job.done} 行）")
    db.commit()
    db.refresh(job)
    db.commit()  # (ends the refresh's read: SQLite would hold the runner back)
    return job


def cancel(db: Session, rt: Runtime, *, actor: Actor, job_id: int) -> ImportJob:
    """Stop a job that is queued, running or interrupted (its editor, or the administrator): the
    rows written so far stay written and in review, the others are not imported, the file goes."""
    job = get(db, actor=actor, job_id=job_id)
    if not may_manage(actor, job):
        raise Forbidden("kb_import_job_forbidden", "只有确认导入的人可以取消该任务")
    now = rt.clock.now()
    # Conditional: a runner may finish it meanwhile. A runner's batch that has recorded its progress
    # (locking the job's row) commits first; any later batch finds the job cancelled and is rolled back.
    stopped = db.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.status.in_(CANCELLABLE))
                         .values(status=CANCELLED, data=b"", finished_at=now)).rowcount
    if stopped != 1:
        db.rollback()
        db.refresh(job)
        raise DomainError("kb_import_job_state", "任务已经取消" if job.status == CANCELLED else "任务已完成，不能取消",
                          status_code=409)
    counts = _counts(db, job_id)
    db.execute(update(ImportJob).where(ImportJob.id == job_id).values(counts=counts))
    audit.record(db, actor=actor, at=now, action="kb_import_job_cancel", object_type="kb_import_job",
                 object_id=str(job_id),
                 detail=f"{job.filename}：取消，已提交审核 {counts['submitted']} 条保留，有误 {counts[bulk.ERROR]} 条，"
                        f"未处理的 {left_out(job, counts)} 条不再导入")
    db.commit()
    db.refresh(job)
    db.commit()  # (ends the refresh's read: SQLite would hold the runner back)
    return job


def left_out(job: ImportJob, counts: dict[str, int]) -> int:
    """Of a cancelled job's rows to write, how many were never reached."""
    return max(job.total - sum(counts.get(o, 0) for o in bulk.OUTCOME_LABELS), 0)
