"""`POST /api/v1/kb/import`: a unit's batch of answers from an Excel or CSV file (multipart), the
same plan and confirmation as the import page (knowledge/bulk.py). With `dry_run=true` the answer
says what each row would do and nothing is written; without it, each new or changed row is saved
and submitted for review. Stateless: a client previews, then sends the same file again — rows
already imported come back as unchanged, so a repeat is harmless. More rows to write than one
request holds (`bulk.INLINE_ROWS`) go to an import job (HTTP 202 with `job_id`), followed with
`GET /api/v1/kb/import/jobs/{job_id}`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from hotline.deps import DB, RT, ApiActor
from hotline.errors import DomainError
from hotline.errors_http import ErrorOut
from hotline.knowledge import bulk, import_jobs
from hotline.knowledge.enums import Audience
from hotline.knowledge.models import ImportJob, ImportJobRow
from hotline.knowledge.schemas import ImportBatchOut, ImportJobOut, ImportRowOut
from hotline.tickets.attachments import clean_filename

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge"])
Col = Annotated[str | None, Form(max_length=100, description="列：表头文字、列字母或序号")]


def batch_out(batch: bulk.Plan, *, dry_run: bool) -> ImportBatchOut:
    c = batch.counts
    return ImportBatchOut(
        dry_run=dry_run, filename=batch.filename, sha256=batch.sha256, columns=batch.columns,
        audience=batch.audience, change_note=batch.note, new=c[bulk.NEW], changed=c[bulk.CHANGED],
        unchanged=c[bulk.UNCHANGED], errors=c[bulk.ERROR], submitted=batch.submitted,
        rows=[ImportRowOut(line=r.line, key=r.key, question=r.question, outcome=r.outcome,  # type: ignore[arg-type]
                           outcome_label=bulk.OUTCOME_LABELS[r.outcome], reason=r.reason, changes=r.changes,
                           article_id=r.article_id, submitted=r.submitted) for r in batch.rows],
    )


@router.post("/import", response_model=ImportBatchOut, summary="批量导入知识（Excel/CSV，逐条提交审核）",
             description=f"上传 .xlsx 或 .csv（不超过 {bulk.MAX_BYTES // (1024 * 1024)} MB、{bulk.MAX_ROWS:,} 行），"
                         "按表头选择各列。`dry_run=true` 只返回每行的结果（新增/修订/未变/有误），不写入；"
                         "否则新增和修订的行保存为本单位的草稿并逐条提交审核（多方校核），有误的行不影响其他行。"
                         "按编号列识别已有条目；不选编号列时编号为“文件名-行号”。"
                         f"需要写入的超过 {bulk.INLINE_ROWS:,} 行时转为后台导入任务：返回 202 和 `job_id`，"
                         "用 `GET /api/v1/kb/import/jobs/{job_id}` 查看进度和结果。",
             responses={202: {"model": ImportBatchOut, "description": "已转为后台导入任务（`job_id`、`job_status`）"},
                        409: {"model": ErrorOut, "description": "同一文件的导入任务正在进行"}})
async def import_batch(
    request: Request, response: Response, db: DB, rt: RT, actor: ApiActor,
    file: Annotated[UploadFile, File(description=".xlsx 或 .csv")],
    question_col: Annotated[str, Form(min_length=1, max_length=100, description="问题列")],
    answer_col: Annotated[str, Form(min_length=1, max_length=100, description="答复口径列")],
    key_col: Col = None, phrasings_col: Col = None, category_col: Col = None, policy_basis_col: Col = None,
    policy_source_col: Col = None, valid_from_col: Col = None, expires_col: Col = None,
    audience: Annotated[Audience, Form(description="新增条目的受众")] = Audience.PUBLIC,
    change_note: Annotated[str | None, Form(max_length=500, description="变更说明，如新政策文号")] = None,
    dry_run: Annotated[bool, Query(description="只预览，不写入")] = False,
) -> ImportBatchOut:
    data = await file.read(bulk.MAX_BYTES + 1)
    filename = clean_filename(file.filename or "")
    columns = {"question": question_col, "answer": answer_col, "key": key_col, "phrasings": phrasings_col,
               "category": category_col, "policy_basis": policy_basis_col, "policy_source": policy_source_col,
               "valid_from": valid_from_col, "expires": expires_col}
    try:
        batch = await run_in_threadpool(bulk.plan, db, rt, actor=actor, filename=filename, data=data,
                                        columns={k: v.strip() for k, v in columns.items() if v and v.strip()},
                                        audience=audience, note=change_note)
        if not dry_run and batch.to_write > bulk.INLINE_ROWS:
            job = await run_in_threadpool(import_jobs.enqueue, db, rt, actor=actor, batch=batch, data=data)
            import_jobs.start(request.app.state.session_factory, rt, job.id)
            response.status_code = 202
            out = batch_out(batch, dry_run=False)
            return out.model_copy(update={"job_id": job.id, "job_status": job.status})
        if not dry_run:
            batch = await run_in_threadpool(bulk.apply, db, rt, actor=actor, batch=batch)
    except DomainError:
        db.rollback()
        raise
    return batch_out(batch, dry_run=dry_run)


def _row_out(r: ImportJobRow) -> ImportRowOut:
    return ImportRowOut(line=r.line, key=r.key, question=r.question, outcome=r.outcome,  # type: ignore[arg-type]
                        outcome_label=bulk.OUTCOME_LABELS.get(r.outcome, r.outcome), reason=r.reason,
                        changes=r.changes.split("、") if r.changes else [], article_id=r.article_id,
                        submitted=r.submitted)


def job_out(db: DB, job: ImportJob, *, outcome: str | None = None, offset: int = 0,
            limit: int = import_jobs.ROWS_PAGE) -> ImportJobOut:
    total, rows = import_jobs.rows(db, job, outcome=outcome, offset=offset, limit=limit)
    return ImportJobOut(id=job.id, filename=job.filename, status=job.status,  # type: ignore[arg-type]
                        status_label=import_jobs.STATUS_LABELS[job.status], total=job.total, done=job.done,
                        counts=job.counts, error=job.error, attempts=job.attempts, created_at=job.created_at,
                        started_at=job.started_at, finished_at=job.finished_at, rows_total=total,
                        rows=[_row_out(r) for r in rows])


Outcome = Annotated[Literal["new", "changed", "unchanged", "error"] | None, Query(description="只看某种结果的行")]


@router.get("/import/jobs/{job_id}", response_model=ImportJobOut, summary="批量导入任务的进度和结果")
def import_job(job_id: int, db: DB, actor: ApiActor, outcome: Outcome = None,
               offset: Annotated[int, Query(ge=0)] = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = import_jobs.ROWS_PAGE) -> ImportJobOut:
    job = import_jobs.get(db, actor=actor, job_id=job_id)
    return job_out(db, job, outcome=outcome, offset=offset, limit=limit)


@router.post("/import/jobs/{job_id}/restart", response_model=ImportJobOut, status_code=202,
             summary="重新开始已中断的批量导入任务（从中断处继续）")
def restart_import_job(job_id: int, request: Request, db: DB, rt: RT, actor: ApiActor) -> ImportJobOut:
    job = import_jobs.restart(db, rt, actor=actor, job_id=job_id)
    import_jobs.start(request.app.state.session_factory, rt, job.id)
    return job_out(db, job, limit=1)


@router.post("/import/jobs/{job_id}/cancel", response_model=ImportJobOut,
             summary="取消批量导入任务（已导入的行保留并已提交审核，其余不再导入）")
def cancel_import_job(job_id: int, db: DB, rt: RT, actor: ApiActor) -> ImportJobOut:
    job = import_jobs.cancel(db, rt, actor=actor, job_id=job_id)
    return job_out(db, job, limit=1)
