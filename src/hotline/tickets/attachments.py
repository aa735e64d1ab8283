"""Attachments: the files of a ticket (photos of the problem, documents, a unit's proof of work).

Bytes are stored on disk, content-addressed (`<dir>/ab/cd/<sha256>`), written to a temporary file
and renamed so that a crash never leaves half a file under a real name; the same file uploaded twice
is stored once. What a file claims to be is checked against its first bytes, so an executable
renamed to .jpg is refused. Who may add and read files follows who handles the ticket; every
download is audited, as files often show people and papers."""

from __future__ import annotations

import codecs
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePath

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.errors import DomainError, Forbidden, NotFound
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.permissions import ensure_can_view
from hotline.security.roles import UNIT_ROLES, Role
from hotline.tickets.enums import State
from hotline.tickets.models import Ticket, TicketAssignment, TicketAttachment

MAX_PER_TICKET = 20
CENTRE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.CALLBACK_AGENT, Role.ADMIN})
CLOSED_STATES = {str(State.FINISHED), str(State.MERGED), str(State.WITHDRAWN)}


@dataclass(frozen=True)
class FileType:
    content_type: str
    label: str
    magic: tuple[bytes, ...]  # accepted leading bytes; empty: text, checked as UTF-8/GB18030


TYPES: dict[str, FileType] = {
    ".jpg": FileType("image/jpeg", "图片", (b"\xff\xd8\xff",)),
    ".jpeg": FileType("image/jpeg", "图片", (b"\xff\xd8\xff",)),
    ".png": FileType("image/png", "图片", (b"\x89PNG\r\n\x1a\n",)),
    ".gif": FileType("image/gif", "图片", (b"GIF87a", b"GIF89a")),
    ".webp": FileType("image/webp", "图片", (b"RIFF",)),
    ".pdf": FileType("application/pdf", "PDF 文档", (b"%PDF-",)),
    ".docx": FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word 文档",
                      (b"PK\x03\x04",)),
    ".xlsx": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel 表格",
                      (b"PK\x03\x04",)),
    ".doc": FileType("application/msword", "Word 文档", (b"\xd0\xcf\x11\xe0",)),
    ".xls": FileType("application/vnd.ms-excel", "Excel 表格", (b"\xd0\xcf\x11\xe0",)),
    ".mp3": FileType("audio/mpeg", "录音", (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    ".wav": FileType("audio/wav", "录音", (b"RIFF",)),
    ".amr": FileType("audio/amr", "录音", (b"#!AMR",)),
    ".mp4": FileType("video/mp4", "视频", ()),  # checked below: 'ftyp' at offset 4
    ".txt": FileType("text/plain; charset=utf-8", "文本", ()),
}
ALLOWED_LABEL = "图片（jpg/png/gif/webp）、PDF、Word、Excel、录音（mp3/wav/amr）、视频（mp4）、文本（txt）"


def _looks_like(kind: FileType, ext: str, data: bytes) -> bool:
    if ext == ".mp4":
        return data[4:8] == b"ftyp"
    if ext == ".txt":
        head = data[:4096]
        if b"\x00" in head:
            return False
        for encoding in ("utf-8", "gb18030"):
            try:  # incremental: a character cut at the 4 KB mark is not an error
                codecs.getincrementaldecoder(encoding)().decode(head, final=len(data) <= 4096)
                return True
            except UnicodeDecodeError:
                continue
        return False
    return any(data.startswith(m) for m in kind.magic)


def clean_filename(name: str) -> str:
    """The last part of what the browser sent, without control characters, at most 120 characters."""
    base = PurePath(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip().strip(".")
    if not base:
        raise DomainError("bad_filename", "文件名无效", status_code=422)
    stem, dot, ext = base.rpartition(".")
    return (stem[:110] + dot + ext[:10]) if dot else base[:120]


# Shown in the browser rather than saved: types that cannot carry script.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "audio/mpeg",
                          "audio/wav", "audio/amr", "video/mp4", "text/plain; charset=utf-8"})


def served_type(filename: str) -> str:
    """The media type a stored file is served with: from our own table by its extension, never from
    what was declared for it."""
    kind = TYPES.get(PurePath(filename).suffix.lower())
    return kind.content_type if kind else "application/octet-stream"


def storage_root(rt: Runtime) -> Path:
    return Path(rt.settings.attachments_dir)


def _path_for(root: Path, sha: str) -> Path:
    return root / sha[:2] / sha[2:4] / sha


def _write(root: Path, sha: str, data: bytes) -> None:
    target = _path_for(root, sha)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _open_assignment(db: Session, ticket_id: int, unit_id: int | None) -> bool:
    return unit_id is not None and db.execute(select(TicketAssignment.id).where(
        TicketAssignment.ticket_id == ticket_id, TicketAssignment.unit_id == unit_id,
        TicketAssignment.is_open.is_(True))).first() is not None


def _ticket(db: Session, actor: Actor, ticket_id: int) -> Ticket:
    ticket = db.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("ticket_not_found", f"工单 {ticket_id} 不存在")
    ensure_can_view(actor, ticket)
    return ticket


def add(db: Session, rt: Runtime, *, actor: Actor, ticket_id: int, filename: str, data: bytes) -> TicketAttachment:
    ticket = _ticket(db, actor, ticket_id)
    if actor.role in UNIT_ROLES:
        if not _open_assignment(db, ticket.id, actor.unit_id):
            raise Forbidden("attachment_forbidden", "本单位当前不在办理该工单，不能上传附件")
    elif actor.role not in CENTRE_ROLES:
        raise Forbidden("attachment_forbidden", "当前角色无权上传附件")
    if ticket.state in CLOSED_STATES:
        raise DomainError("ticket_closed", "工单已归档、并单或撤回，不能再上传附件", status_code=409)
    name = clean_filename(filename)
    ext = PurePath(name).suffix.lower()
    kind = TYPES.get(ext)
    if kind is None:
        raise DomainError("file_type", f"不支持的文件类型“{ext or '无扩展名'}”：可上传{ALLOWED_LABEL}", status_code=422)
    if not data:
        raise DomainError("empty_file", "文件是空的", status_code=422)
    if len(data) > rt.settings.attachment_max_bytes:
        raise DomainError("file_too_large", f"文件过大（上限 {rt.settings.attachment_max_bytes // (1024 * 1024)} MB）",
                          status_code=413)
    if not _looks_like(kind, ext, data):
        raise DomainError("file_mismatch", f"文件内容与扩展名“{ext}”不符，请确认是{kind.label}后重新上传",
                          status_code=422)
    count = db.execute(select(func.count(TicketAttachment.id)).where(TicketAttachment.ticket_id == ticket.id)
                       ).scalar_one()
    if count >= MAX_PER_TICKET:
        raise DomainError("too_many_files", f"每张工单最多 {MAX_PER_TICKET} 个附件", status_code=409)
    sha = hashlib.sha256(data).hexdigest()
    _write(storage_root(rt), sha, data)  # before the row: a row never points at a missing file
    now = rt.clock.now()
    row = TicketAttachment(ticket_id=ticket.id, filename=name, content_type=kind.content_type, size_bytes=len(data),
                           sha256=sha, storage_ref=f"sha256:{sha}", uploaded=True, created_at=now,
                           uploaded_by_name=actor.name, uploaded_by_unit_id=actor.unit_id)
    db.add(row)
    db.flush()
    audit.record(db, actor=actor, at=now, action="upload_attachment", object_type="ticket", object_id=ticket.number,
                 detail=f"{name}（{len(data):,} 字节）")
    db.commit()
    return row


def listing(db: Session, *, actor: Actor, ticket_id: int) -> list[TicketAttachment]:
    ticket = _ticket(db, actor, ticket_id)
    return list(db.execute(select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id)
                           .order_by(TicketAttachment.id)).scalars())


def denied_message(actor: Actor) -> str:
    if actor.role in UNIT_ROLES:
        return "本单位当前不在办理该工单，不能查看附件"
    return "当前角色无权查看工单附件（附件可能含个人信息）"


def may_download(db: Session, actor: Actor, ticket: Ticket) -> bool:
    """A unit reads a ticket's files only while it handles it (files often show people) — or handles the
    ticket it was merged into (并单: the photos of a repeated request are part of the matter it answers)."""
    if actor.role in UNIT_ROLES:
        if ticket.state == State.MERGED and ticket.parent_id is not None:
            return _open_assignment(db, ticket.parent_id, actor.unit_id)
        return _open_assignment(db, ticket.id, actor.unit_id)
    # Files show people and papers: roles that see no personal data (analysts, editors) read none.
    return actor.role in CENTRE_ROLES


def open_for_download(db: Session, rt: Runtime, *, actor: Actor, ticket_id: int,
                      attachment_id: int) -> tuple[TicketAttachment, Path]:
    ticket = _ticket(db, actor, ticket_id)
    row = db.get(TicketAttachment, attachment_id)
    if row is None or row.ticket_id != ticket.id:
        raise NotFound("attachment_not_found", "附件不存在")
    if not may_download(db, actor, ticket):
        raise Forbidden("attachment_forbidden", denied_message(actor))
    if not row.uploaded or not row.sha256:
        raise NotFound("attachment_not_stored", "该附件只登记了信息，文件未上传到本平台")
    path = _path_for(storage_root(rt), row.sha256)
    if not path.is_file():
        raise NotFound("attachment_missing", "附件文件缺失，请联系管理员")
    audit.record(db, actor=actor, at=rt.clock.now(), action="download_attachment", object_type="ticket",
                 object_id=ticket.number, detail=row.filename)
    db.commit()
    return row, path
