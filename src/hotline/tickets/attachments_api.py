"""Attachment API: upload a file to a ticket, list its files, download one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from hotline.deps import DB, RT, ApiActor
from hotline.errors import DomainError
from hotline.tickets import attachments

router = APIRouter(prefix="/api/v1", tags=["tickets"])


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str | None
    created_at: datetime
    stored: bool
    url: str
    uploaded_by: str | None = None  # the uploader (with their unit); none for metadata declared at registration


def _out(ticket_id: int, row: attachments.TicketAttachment) -> AttachmentOut:
    return AttachmentOut(id=row.id, filename=row.filename, content_type=row.content_type, size_bytes=row.size_bytes,
                         sha256=row.sha256 if row.uploaded else None, created_at=row.created_at,
                         stored=row.uploaded, uploaded_by=row.uploaded_by_name,
                         url=f"/api/v1/tickets/{ticket_id}/attachments/{row.id}")


async def read_limited(file: UploadFile, limit: int) -> bytes:
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise DomainError("file_too_large", f"文件过大（上限 {limit // (1024 * 1024)} MB）", status_code=413)
    return data


@router.post("/tickets/{ticket_id}/attachments", response_model=AttachmentOut, status_code=201,
             summary="上传附件（图片、PDF、Office 文档、录音、视频、文本）")
async def upload(ticket_id: int, db: DB, rt: RT, actor: ApiActor, file: Annotated[UploadFile, File()]) -> AttachmentOut:
    data = await read_limited(file, rt.settings.attachment_max_bytes)
    # The database work and the fsync run in the thread pool, not on the event loop.
    row = await run_in_threadpool(attachments.add, db, rt, actor=actor, ticket_id=ticket_id,
                                  filename=file.filename or "", data=data)
    return _out(ticket_id, row)


@router.get("/tickets/{ticket_id}/attachments", response_model=list[AttachmentOut], summary="工单的附件")
def list_attachments(ticket_id: int, db: DB, actor: ApiActor) -> list[AttachmentOut]:
    return [_out(ticket_id, r) for r in attachments.listing(db, actor=actor, ticket_id=ticket_id)]


@router.get("/tickets/{ticket_id}/attachments/{attachment_id}", summary="下载附件（记入审计日志）",
            response_class=FileResponse)
def download(ticket_id: int, attachment_id: int, db: DB, rt: RT, actor: ApiActor) -> FileResponse:
    row, path = attachments.open_for_download(db, rt, actor=actor, ticket_id=ticket_id, attachment_id=attachment_id)
    media = attachments.served_type(row.filename)
    return FileResponse(path, media_type=media, filename=row.filename,
                        content_disposition_type="inline" if media in attachments.INLINE_TYPES else "attachment",
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
                                 "Content-Security-Policy": "sandbox; default-src 'none'"})
