"""批量导入 for a unit's knowledge editors: upload an Excel or CSV file, choose its columns, see
what each row would do (nothing written), then confirm — each new or changed row is saved and
submitted for review (knowledge/bulk.py), owned by the editor's unit.

Upload (POST, CSRF) keeps the file on the server under a random id (knowledge/uploads.py explains
why) and redirects to the preview, a GET whose query string holds the chosen columns: changing a
column re-previews without uploading again. The confirm form carries the preview's digest; if the
database changed since (another edit to one of the keys), the new preview is shown instead. More
rows to write than one request should hold (bulk.INLINE_ROWS) become an import job
(knowledge/import_jobs.py) whose page shows its progress and, once done, each row's outcome.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.excel import table_workbook
from hotline.knowledge import bulk, import_jobs, rules, service, uploads
from hotline.knowledge.enums import AUDIENCE_LABELS, Audience
from hotline.tickets.attachments import clean_filename
from hotline.web import choices
from hotline.web.forms import text
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for

router = APIRouter()
KbViewer = Annotated[Viewer, Depends(viewer_for("kb"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ROWS = 1000  # rows listed on the preview (errors always first); the counts cover all
AUDIENCE_OPTIONS = [choices.Option(str(k), v) for k, v in AUDIENCE_LABELS.items()]
EXAMPLE = ["GJJ-2026-001", "住房公积金怎么提取？", "职工购买、建造、翻建、大修自住住房，可以申请提取住房公积金。",
           "公积金能取出来吗|怎么把公积金取出来", "", "《住房公积金管理条例》第二十四条", "宁公积金〔2026〕1号",
           "2026-12-01", ""]


def _may_import(db: Any, viewer: Viewer) -> None:
    """The roles that may draft for their own unit (knowledge editors, unit handlers and managers)."""
    rules.ensure_draft(service.who(db, viewer.actor), viewer.actor.unit_id)


def _upload_page(request: Request, db: Any, viewer: Viewer, *, errors: list[str] | None = None,
                 status_code: int = 200) -> HTMLResponse:
    return render(request, "kb_import.html", viewer=viewer, status_code=status_code, upload=None, errors=errors or [],
                  max_mb=bulk.MAX_BYTES // (1024 * 1024), max_rows=bulk.MAX_ROWS, inline_rows=bulk.INLINE_ROWS,
                  columns=bulk.COLUMNS, jobs=import_jobs.recent(db, actor=viewer.actor),
                  job_labels=import_jobs.STATUS_LABELS)


@router.get("/kb/import")
def import_page(request: Request, db: DB, viewer: KbViewer) -> HTMLResponse:
    _may_import(db, viewer)
    return _upload_page(request, db, viewer)


@router.get("/kb/import/template.xlsx")
def import_template(db: DB, viewer: KbViewer) -> Response:
    body = table_workbook(sheet="知识条目", title="知识库批量导入模板",
                          columns=[(c.label, 40 if c.name in ("answer", "policy_basis") else 18) for c in bulk.COLUMNS],
                          rows=[EXAMPLE])
    return Response(body, media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="kb-import.xlsx"'})


@router.post("/kb/import", response_model=None)
async def upload(request: Request, form: CheckedForm, db: DB, rt: RT,
                 viewer: KbViewer) -> HTMLResponse | RedirectResponse:
    _may_import(db, viewer)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return _upload_page(request, db, viewer, errors=["请选择要导入的 Excel（.xlsx）或 CSV 文件"], status_code=422)
    data = await file.read(bulk.MAX_BYTES + 1)
    try:
        filename = clean_filename(file.filename)
        await run_in_threadpool(bulk.header_of, filename, data)  # refuse what cannot be read at once
        saved = await run_in_threadpool(uploads.save, rt, actor=viewer.actor, filename=filename, data=data)
    except DomainError as exc:
        return _upload_page(request, db, viewer, errors=[exc.message], status_code=exc.status_code)
    return redirect(f"/kb/import/{saved.token}")


def _choices(query: Any, header: list[str], *, guess: bool) -> tuple[dict[str, str], str, str]:
    """Columns, audience and note from the query string (or guessed from the header at first)."""
    if guess:
        return bulk.guess_columns(header), str(Audience.PUBLIC), ""
    known = set(header)
    columns = {c.name: query.get(c.name, "") for c in bulk.COLUMNS if query.get(c.name, "") in known}
    audience = query.get("audience", "")
    audience = audience if audience in {str(a) for a in Audience} else str(Audience.PUBLIC)
    return columns, audience, (query.get("note") or "")[:500]


def _preview_page(request: Request, db: Any, rt: Any, viewer: Viewer, saved: uploads.Upload, *,
                  columns: dict[str, str], audience: str, note: str, errors: list[str] | None = None,
                  status_code: int = 200) -> HTMLResponse:
    errors = list(errors or [])
    header = bulk.header_of(saved.filename, saved.data)
    batch = None
    try:
        batch = bulk.plan(db, rt, actor=viewer.actor, filename=saved.filename, data=saved.data, columns=columns,
                          audience=audience, note=note)
    except DomainError as exc:
        errors.append(exc.message)
        status_code = exc.status_code if status_code == 200 else status_code
    rows = sorted(batch.rows, key=lambda r: (r.outcome != bulk.ERROR, r.line))[:SHOWN_ROWS] if batch else []
    return render(request, "kb_import.html", viewer=viewer, status_code=status_code, upload=saved, header=header,
                  chosen=columns, audience=audience, note=note, batch=batch, rows=rows, errors=errors,
                  columns=bulk.COLUMNS, audiences=AUDIENCE_OPTIONS, labels=bulk.OUTCOME_LABELS, shown=SHOWN_ROWS,
                  max_mb=bulk.MAX_BYTES // (1024 * 1024), max_rows=bulk.MAX_ROWS, inline_rows=bulk.INLINE_ROWS)


@router.get("/kb/import/{token}")
def preview(token: str, request: Request, db: DB, rt: RT, viewer: KbViewer) -> HTMLResponse:
    _may_import(db, viewer)
    saved = uploads.load(rt, actor=viewer.actor, token=token)
    header = bulk.header_of(saved.filename, saved.data)
    columns, audience, note = _choices(request.query_params, header, guess="question" not in request.query_params)
    return _preview_page(request, db, rt, viewer, saved, columns=columns, audience=audience, note=note)


@router.post("/kb/import/{token}/confirm", response_model=None)
def confirm(token: str, request: Request, form: CheckedForm, db: DB, rt: RT,
            viewer: KbViewer) -> HTMLResponse | RedirectResponse:
    _may_import(db, viewer)
    saved = uploads.load(rt, actor=viewer.actor, token=token)
    header = bulk.header_of(saved.filename, saved.data)
    columns, audience, note = _choices(form, header, guess=False)
    try:
        batch = bulk.plan(db, rt, actor=viewer.actor, filename=saved.filename, data=saved.data, columns=columns,
                          audience=audience, note=note)
    except DomainError as exc:
        return _preview_page(request, db, rt, viewer, saved, columns=columns, audience=audience, note=note,
                             errors=[exc.message], status_code=exc.status_code)
    if batch.digest != text(form, "digest"):
        return _preview_page(request, db, rt, viewer, saved, columns=columns, audience=audience, note=note,
                             errors=["预览之后知识库已有变化（或导入设置不同），请核对下面的最新预览后再确认"],
                             status_code=409)
    if batch.to_write == 0:
        return _preview_page(request, db, rt, viewer, saved, columns=columns, audience=audience, note=note,
                             errors=["没有需要导入的行（均未变或有误）"], status_code=422)
    if batch.to_write > bulk.INLINE_ROWS:  # too many for one request: a job, its progress on its page
        job = import_jobs.enqueue(db, rt, actor=viewer.actor, batch=batch, data=saved.data)
        uploads.discard(rt, token=token)
        import_jobs.start(request.app.state.session_factory, rt, job.id)
        flash(request, f"已转为后台导入任务：{batch.to_write} 条将逐条提交审核，可离开本页，稍后在“批量导入”页查看结果")
        return redirect(f"/kb/import/jobs/{job.id}")
    batch = bulk.apply(db, rt, actor=viewer.actor, batch=batch)
    uploads.discard(rt, token=token)
    c = batch.counts
    flash(request, f"导入完成：{batch.submitted} 条已提交审核（新增 {c[bulk.NEW]} 条、修订 {c[bulk.CHANGED]} 条），"
                   f"未变 {c[bulk.UNCHANGED]} 条，有误 {c[bulk.ERROR]} 条（未导入）")
    rows = sorted(batch.rows, key=lambda r: (r.outcome != bulk.ERROR, r.line))[:SHOWN_ROWS]
    return render(request, "kb_import.html", viewer=viewer, upload=None, done=batch, rows=rows, errors=[],
                  labels=bulk.OUTCOME_LABELS, shown=SHOWN_ROWS, columns=bulk.COLUMNS,
                  max_mb=bulk.MAX_BYTES // (1024 * 1024), max_rows=bulk.MAX_ROWS, inline_rows=bulk.INLINE_ROWS)


# ---- import jobs -------------------------------------------------------------------------------


@router.get("/kb/import/jobs/{job_id}")
def job_page(job_id: int, request: Request, db: DB, rt: RT, viewer: KbViewer) -> HTMLResponse:
    job = import_jobs.get(db, actor=viewer.actor, job_id=job_id)
    qp = request.query_params
    outcome = qp.get("outcome") if qp.get("outcome") in bulk.OUTCOME_LABELS else None
    page = page_number(qp)
    total, rows = import_jobs.rows(db, job, outcome=outcome, offset=(page - 1) * import_jobs.ROWS_PAGE)
    return render(request, "kb_import_job.html", viewer=viewer, job=job, rows=rows, outcome=outcome,
                  labels=bulk.OUTCOME_LABELS, job_labels=import_jobs.STATUS_LABELS,
                  pager=pager(qp, f"/kb/import/jobs/{job.id}", total, page=page, page_size=import_jobs.ROWS_PAGE),
                  live=job.status in (import_jobs.QUEUED, import_jobs.RUNNING),
                  may_restart=(job.status == import_jobs.FAILED or import_jobs.stalled(job, rt.clock.now()))
                  and import_jobs.may_manage(viewer.actor, job),
                  stalled=import_jobs.stalled(job, rt.clock.now()), stale_minutes=import_jobs.STALE.seconds // 60,
                  takeovers_left=job.attempts < import_jobs.MAX_ATTEMPTS,
                  may_cancel=job.status in import_jobs.CANCELLABLE and import_jobs.may_manage(viewer.actor, job),
                  left_out=import_jobs.left_out(job, job.counts or {}))


@router.post("/kb/import/jobs/{job_id}/restart")
def job_restart(job_id: int, request: Request, form: CheckedForm, db: DB, rt: RT, viewer: KbViewer) -> RedirectResponse:
    job = import_jobs.restart(db, rt, actor=viewer.actor, job_id=job_id)
    import_jobs.start(request.app.state.session_factory, rt, job.id)
    flash(request, "任务已重新开始，将从中断处继续导入")
    return redirect(f"/kb/import/jobs/{job.id}")


@router.post("/kb/import/jobs/{job_id}/cancel")
def job_cancel(job_id: int, form: CheckedForm, request: Request, db: DB, rt: RT, viewer: KbViewer) -> RedirectResponse:
    job = import_jobs.cancel(db, rt, actor=viewer.actor, job_id=job_id)
    counts = job.counts or {}
    flash(request, f"任务已取消：已提交审核的 {counts.get('submitted', 0)} 条保留，"
                   f"未处理的 {import_jobs.left_out(job, counts)} 条不再导入")
    return redirect(f"/kb/import/jobs/{job.id}")


@router.get("/kb/import/jobs/{job_id}/rows.xlsx")
def job_rows_export(job_id: int, db: DB, viewer: KbViewer) -> Response:
    job = import_jobs.get(db, actor=viewer.actor, job_id=job_id)
    _total, rows = import_jobs.rows(db, job, limit=bulk.MAX_ROWS)
    body = table_workbook(
        sheet="导入结果", title=f"批量导入结果：{job.filename}",
        columns=[("行号", 8), ("编号", 18), ("问题", 40), ("结果", 10), ("已提交审核", 10), ("说明", 50)],
        rows=[[r.line, r.key, r.question, bulk.OUTCOME_LABELS.get(r.outcome, r.outcome), "是" if r.submitted else "",
               r.reason or (f"修改：{r.changes}" if r.changes else "")] for r in rows])
    return Response(body, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="kb-import-job-{job.id}.xlsx"'})
