"""An all-or-nothing Excel import posted from a page (the dispatch catalogue, the place names): the
file read with its size checked, then checked only (仅检查) or written, and the page shown again
with the outcome, or a flash and a redirect when it was written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from hotline.errors import DomainError
from hotline.web.forms import text
from hotline.web.render import flash, redirect

MAX_BYTES = 5 * 1024 * 1024


async def run(request: Request, form: FormData, db: Session, *, importer: Callable[..., Any],
              page: Callable[..., HTMLResponse], back: str, unit: str) -> HTMLResponse | RedirectResponse:
    """`importer(content=, dry_run=)` returns an ImportResult (ok, created, updated, unchanged,
    errors); `page(**kw)` renders the page with `errors=` or `import_result=` and `status_code=`."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return page(errors=["请选择要导入的 Excel 文件"], status_code=422)
    content = await upload.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        return page(errors=[f"文件过大（上限 {MAX_BYTES // (1024 * 1024)} MB）"], status_code=413)
    dry_run = text(form, "dry_run") == "1"
    try:
        result = await run_in_threadpool(importer, content=content, dry_run=dry_run)
    except DomainError as exc:
        db.rollback()
        return page(errors=[exc.message], status_code=exc.status_code)
    if result.ok and not dry_run:
        db.commit()
        flash(request, f"导入完成：新增 {result.created} {unit}，修改 {result.updated} {unit}，"
                       f"未变 {result.unchanged} {unit}")
        return redirect(back)
    db.rollback()
    return page(import_result=result, status_code=200 if result.ok else 422)
