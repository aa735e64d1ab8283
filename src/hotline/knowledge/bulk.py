"""A unit's batch of answers from an Excel or CSV file (a new policy's answers at once), for the
import page and `POST /api/v1/kb/import`: first a plan — per row new / changed / unchanged / error,
nothing written — then, once confirmed, each new or changed row saved and submitted for review.

The file is read by importer.py (the CLI's reader: `parse_rows`), so the page, the API and the CLI
read a sheet the same way. Unlike the CLI (run by the system, published at once), a batch from the
page or the API never skips review (多方校核): each row goes through the service's create or
update and then submit, the path of the article form's 保存并提交审核, so the drafting rules, the
key check, the workflow table and the events are those of a single edit. Articles are owned by
the editor's unit. One row's failure never undoes another's (a savepoint per row); the batch is
written to the audit log.
"""

from __future__ import annotations

import hashlib
import json
import time as timer
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.clock import CHINA_TZ
from hotline.errors import DomainError
from hotline.errors_http import chinese_message
from hotline.knowledge import rules, service
from hotline.knowledge.enums import ArticleAction, ArticleStatus, Audience
from hotline.knowledge.importer import ImportRow, ImportSpec, parse_rows, read_table_bytes
from hotline.knowledge.models import Article, ArticleVersion
from hotline.knowledge.schemas import ArticleCreate, ArticleIn
from hotline.org.models import Jurisdiction
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor

MAX_BYTES = 20 * 1024 * 1024
# A file is read and previewed within a request, whatever its size up to MAX_ROWS (docs/knowledge.md,
# "From a page or the API"). Up to INLINE_ROWS rows to write are confirmed within the request too
# (1,000 rows: under 10 s even on a loaded machine); more become an import job run beside the
# requests, with its progress shown (import_jobs.py).
MAX_ROWS = 20_000
INLINE_ROWS = 1_000
COMMIT_EVERY = 100
COMMIT_SECONDS = 1.0  # and at most this long: the write lock others wait for
S = ArticleStatus


@dataclass(frozen=True)
class Column:
    name: str  # the field (form and API parameter: `<name>_col`)
    label: str  # the template's header
    required: bool
    guesses: tuple[str, ...]  # header texts recognised without the editor choosing


COLUMNS: tuple[Column, ...] = (
    Column("key", "编号", False, ("编号", "外部编号", "知识编号", "序号", "key", "id")),
    Column("question", "问题", True, ("问题", "标准问题", "问题描述", "question")),
    Column("answer", "答复口径", True, ("答复口径", "答案", "答复", "回答", "答复内容", "answer")),
    Column("phrasings", "其他问法", False, ("其他问法", "相似问法", "问法", "phrasings")),
    Column("category", "分类", False, ("分类", "类别", "分类编码", "诉求分类", "category")),
    Column("policy_basis", "政策依据", False, ("政策依据", "依据", "policy_basis")),
    Column("policy_source", "依据来源（文号）", False, ("依据来源（文号）", "依据来源", "文号", "政策文号", "来源",
                                                  "policy_source")),
    Column("valid_from", "生效日期", False, ("生效日期", "生效时间", "valid_from")),
    Column("expires", "失效日期", False, ("失效日期", "失效时间", "截止日期", "expires")),
)
BY_NAME = {c.name: c for c in COLUMNS}

NEW, CHANGED, UNCHANGED, ERROR = "new", "changed", "unchanged", "error"
OUTCOME_LABELS = {NEW: "新增", CHANGED: "修订", UNCHANGED: "未变", ERROR: "有误"}
# The article's content a row can change, with the labels the preview shows.
CONTENT_LABELS = {"questions": "问题", "phrasings": "其他问法", "answer": "答复口径", "policy_basis": "政策依据",
                  "policy_source": "依据来源", "category_code": "分类", "valid_from": "生效日期",
                  "expires_at": "失效日期"}


def guess_columns(header: list[str]) -> dict[str, str]:
    """The column each field most likely is, by its header text (the editor can change it)."""
    lowered = {h.strip().lower(): h for h in header if h.strip()}
    found: dict[str, str] = {}
    for col in COLUMNS:
        for guess in col.guesses:
            if guess.lower() in lowered and lowered[guess.lower()] not in found.values():
                found[col.name] = lowered[guess.lower()]
                break
    return found


def spec_of(columns: dict[str, str]) -> ImportSpec:
    """Chosen columns as the importer's spec; the question and answer columns are required."""
    missing = [BY_NAME[n].label for n in ("question", "answer") if not columns.get(n)]
    if missing:
        raise DomainError("kb_import_columns", f"请选择{'和'.join(missing)}所在的列", status_code=422)
    c = columns.get
    return ImportSpec(question_col=c("question") or "", answer_col=c("answer") or "", category_col=c("category"),
                      key_col=c("key"), phrasings_col=c("phrasings"), policy_basis_col=c("policy_basis"),
                      policy_source_col=c("policy_source"), valid_from_col=c("valid_from"),
                      expires_col=c("expires"))


def check_file(filename: str, data: bytes) -> None:
    """Size and type before anything is read (Chinese messages)."""
    if not data:
        raise DomainError("kb_import_empty", "文件是空的", status_code=422)
    if len(data) > MAX_BYTES:
        raise DomainError("kb_import_too_large", f"文件过大（上限 {MAX_BYTES // (1024 * 1024)} MB），请拆分后分批导入",
                          status_code=413)
    if PurePath(filename).suffix.lower() not in (".xlsx", ".csv"):
        raise DomainError("kb_import_format", "请上传 .xlsx 或 .csv 文件（可下载导入模板填写）", status_code=422)


def header_of(filename: str, data: bytes) -> list[str]:
    check_file(filename, data)
    header, _rows = read_table_bytes(filename, data)
    return header


# ---- the plan -------------------------------------------------------------------------------


@dataclass
class PlannedRow:
    line: int
    key: str
    question: str
    outcome: str
    reason: str | None = None  # why the row is in error, or a note
    changes: list[str] = field(default_factory=list)  # labels of what a changed row changes
    article_id: int | None = None
    base_versions: int | None = None  # the article's version count when planned (in the digest)
    submitted: bool = False  # after confirming: saved and submitted for review
    payload: dict[str, Any] | None = field(default=None, repr=False)


@dataclass
class Plan:
    filename: str
    sha256: str
    columns: dict[str, str]
    audience: str
    note: str | None
    rows: list[PlannedRow]
    applied: bool = False

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {o: self.count(o) for o in OUTCOME_LABELS}

    @property
    def to_write(self) -> int:
        return self.count(NEW) + self.count(CHANGED)

    @property
    def submitted(self) -> int:
        return sum(1 for r in self.rows if r.submitted)

    @property
    def digest(self) -> str:
        """What the editor was shown: the file, the choices, each row's outcome and content, and the
        version each revision was planned on. Confirming a plan whose digest differs (the database
        changed meanwhile: a draft saved since, even one the row would overwrite with the same
        text) is refused."""
        body = json.dumps([self.sha256, sorted(self.columns.items()), self.audience, self.note or "",
                           [(r.line, r.key, r.outcome, r.payload, r.base_versions) for r in self.rows]],
                          ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(body.encode()).hexdigest()[:32]


def _local_day(day: date | None) -> datetime | None:
    return datetime.combine(day, time(0, 0), tzinfo=CHINA_TZ) if day else None


def _current_payload(db: Session, v: ArticleVersion) -> dict[str, Any]:
    """A stored version as ArticleIn input: what a row does not change is kept as it is."""
    code = None
    if v.jurisdiction_id is not None:
        j = db.get(Jurisdiction, v.jurisdiction_id)
        code = j.code if j else None
    return {
        # A title the editor set apart from the question is kept; otherwise it follows the question.
        "title": v.title if v.questions and v.title != v.questions[0] else None,
        "questions": list(v.questions), "phrasings": list(v.phrasings), "answer": v.answer,
        "policy_basis": v.policy_basis, "policy_source": v.policy_source, "category_code": v.category_code,
        "audience": v.audience, "jurisdiction_code": code, "tags": list(v.tags), "valid_from": v.valid_from,
        "expires_at": v.expires_at, "attachments": list(v.attachments),
    }


def _row_payload(row: ImportRow, columns: dict[str, str], base: dict[str, Any] | None, audience: str,
                 note: str | None) -> dict[str, Any]:
    """The row over the current version (or a new article): a chosen column is authoritative, an
    empty cell in it clears that field; a column not chosen leaves the field as it is."""
    data: dict[str, Any] = dict(base) if base else {"audience": audience}
    old = list(data.get("questions") or [])
    data["questions"] = [row.question] + [q for q in old[1:] if q != row.question]
    data["answer"] = row.answer
    chosen = {
        "phrasings": ("phrasings", row.phrasings), "category": ("category_code", row.category),
        "policy_basis": ("policy_basis", row.policy_basis), "policy_source": ("policy_source", row.policy_source),
        "valid_from": ("valid_from", _local_day(row.valid_from)), "expires": ("expires_at", _local_day(row.expires_on)),
    }
    for name, (attr, value) in chosen.items():
        if columns.get(name):
            data[attr] = value
    data["change_note"] = (note or "批量导入")[:500]
    return {k: v for k, v in data.items() if v is not None}


def _content(data: ArticleIn | ArticleVersion) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, list | tuple) else v)
            for k in CONTENT_LABELS for v in [getattr(data, k)]}


def _validation_message(exc: ValidationError) -> str:
    labels = {**CONTENT_LABELS, "title": "标题", "tags": "标签", "change_note": "变更说明"}
    messages: list[str] = []
    for err in exc.errors():
        loc = tuple(labels.get(str(p), str(p)) for p in err.get("loc", ()) if not isinstance(p, int))
        message = chinese_message({**err, "loc": loc})
        if message not in messages:
            messages.append(message)
    return "；".join(messages)


@dataclass(frozen=True)
class _Existing:
    """An article a row's key names, as read for the plan (the plan then works without the database)."""

    article_id: int
    owner_unit_id: int | None
    status: ArticleStatus
    base: dict[str, Any] | None  # its current version as ArticleIn input
    content: dict[str, Any]  # its current version's content, to compare with the row's
    version_count: int = 0  # its versions when read: one saved since means the plan is stale


# Keys whose articles are read in one transaction (about 0.5 ms an article on a slow machine).
EXISTING_CHUNK = 300


def _existing(db: Session, keys: list[str]) -> dict[str, _Existing]:
    """The articles the keys name, `EXISTING_CHUNK` keys a transaction: a file revising 20,000
    articles holds the database a fraction of a second at a time, not for the seconds reading them
    all takes."""
    out: dict[str, _Existing] = {}
    for i in range(0, len(keys), EXISTING_CHUNK):
        articles = db.execute(select(Article).where(Article.key.in_(keys[i:i + EXISTING_CHUNK]))).scalars().all()
        version_ids = [a.current_version_id for a in articles if a.current_version_id]
        versions = {v.id: v for v in db.execute(select(ArticleVersion).where(ArticleVersion.id.in_(version_ids)))
                    .scalars()} if version_ids else {}
        for a in articles:
            current = versions.get(a.current_version_id or -1)
            out[a.key] = _Existing(a.id, a.owner_unit_id, S(a.status),
                                   _current_payload(db, current) if current else None,
                                   _content(current) if current else {}, a.version_count)
        db.rollback()
    return out


def plan(db: Session, rt: Runtime, *, actor: Actor, filename: str, data: bytes, columns: dict[str, str],
         audience: Audience | str = Audience.PUBLIC, note: str | None = None) -> Plan:
    """What importing the file would do, row by row; nothing is written. Refused as a whole (a
    Chinese DomainError) when the editor may not draft for their unit, or the file is too large,
    unreadable or lacks a chosen column. The database is held only while the rows' articles are
    read: on SQLite every transaction takes the write lock, and reading and checking 20,000 rows
    takes seconds."""
    who = service.who(db, actor)
    rules.ensure_draft(who, actor.unit_id)
    db.rollback()  # (the file is read with the database free)
    check_file(filename, data)
    audience = str(Audience(audience))
    note = (note or "").strip()[:500] or None
    columns = {k: v for k, v in columns.items() if v and k in BY_NAME}
    header, table = read_table_bytes(filename, data)
    parsed = parse_rows(header, table, spec_of(columns), stem=PurePath(filename).stem, max_rows=MAX_ROWS)
    result = Plan(filename=filename, sha256=hashlib.sha256(data).hexdigest(), columns=columns, audience=audience,
                  note=note, rows=[])
    existing = _existing(db, [r.key for r in parsed if r.key and not r.problem_code])  # (ends its reads)
    now = rt.clock.now()
    updatable = rules.TABLE[ArticleAction.UPDATE][0]
    for row in parsed:
        out = PlannedRow(line=row.line, key=row.key, question=row.question[:300], outcome=ERROR)
        result.rows.append(out)
        if row.problem:
            out.reason = row.problem
            continue
        article = existing.get(row.key)
        out.base_versions = article.version_count if article else None
        if article is not None and not rules.may_draft(who, article.owner_unit_id):
            out.reason = f"第 {row.line} 行：编号“{row.key}”已被其他单位的知识条目使用，无权修订"
            continue
        payload = _row_payload(row, columns, article.base if article else None, audience, note)
        try:
            data_in = ArticleIn.model_validate(payload)
        except ValidationError as exc:
            out.reason = f"第 {row.line} 行：{_validation_message(exc)}"
            continue
        if data_in.expires_at is not None and data_in.expires_at <= now:
            out.reason = f"第 {row.line} 行的失效日期已过，不能提交审核"
            continue
        out.payload = data_in.model_dump(mode="json", exclude_none=True)
        if article is None:
            out.outcome = NEW
            continue
        out.article_id = article.article_id
        after = _content(data_in)
        changes = [CONTENT_LABELS[k] for k in CONTENT_LABELS if article.content.get(k) != after[k]]
        if not changes:
            out.outcome, out.payload = UNCHANGED, None
            out.reason = "与当前版本相同，不导入"
        elif article.status not in updatable:
            out.payload = None
            out.reason = f"第 {row.line} 行：条目“{row.key}”正在审核中，请待审核结束后再导入修订"
        else:
            out.outcome, out.changes = CHANGED, changes
    return result


# ---- confirming ------------------------------------------------------------------------------


def apply(db: Session, rt: Runtime, *, actor: Actor, batch: Plan,
          on_commit: Callable[[Session, list[PlannedRow]], None] | None = None, audited: bool = True) -> Plan:
    """Save every new or changed row and submit it for review, as the form's 保存并提交审核 does
    (service.stage_create or stage_update, then stage_submit). Each row runs in its own savepoint:
    a refused row is left out whole and never undoes the others. Committed every COMMIT_EVERY rows,
    or sooner when a batch has held the transaction COMMIT_SECONDS (a loaded machine: QA saw other
    writers wait out SQLite's 10 s busy timeout behind a 100-row batch):
    a commit per row (the form's way) costs two more round trips per row, while one transaction for
    5,000 rows would hold SQLite's write lock for the whole batch. `on_commit` is given the rows
    done since the last commit, in the transaction that commits them (an import job records them
    and its progress there). The batch is audited unless `audited` is False (the job audits itself)."""
    rules.ensure_draft(service.who(db, actor), actor.unit_id)
    pending = 0
    done: list[PlannedRow] = []
    since = timer.monotonic()
    for row in batch.rows:
        if row.outcome not in (NEW, CHANGED) or row.payload is None:
            continue
        try:
            with db.begin_nested():
                if row.outcome == NEW:
                    data = ArticleCreate.model_validate({**row.payload, "key": row.key,
                                                         "owner_unit_id": actor.unit_id})
                    article = service.stage_create(db, rt, actor=actor, data=data)
                else:
                    assert row.article_id is not None
                    article = service.stage_update(db, rt, actor=actor, article_id=row.article_id,
                                                   data=ArticleIn.model_validate(row.payload))
                service.stage_submit(db, rt, actor=actor, article_id=article.id,
                                     note=f"批量导入 {batch.filename[:100]} 第 {row.line} 行")
        except DomainError as exc:
            row.outcome, row.reason = ERROR, f"第 {row.line} 行未能导入：{exc.message}"
        except IntegrityError:  # the key was taken meanwhile (PostgreSQL; SQLite writers queue)
            row.outcome, row.reason = ERROR, f"第 {row.line} 行未能导入：编号“{row.key}”已被其他知识条目使用"
        else:
            row.article_id, row.submitted = article.id, True
        done.append(row)
        pending += 1  # a refused row counts too: a job's progress moves through a run of them
        if pending >= COMMIT_EVERY or timer.monotonic() - since >= COMMIT_SECONDS:
            if on_commit is not None:
                on_commit(db, done)
            db.commit()
            pending, done, since = 0, [], timer.monotonic()
    if on_commit is not None:
        on_commit(db, done)
    batch.applied = True
    if audited:
        c = batch.counts
        audit.record(db, actor=actor, at=rt.clock.now(), action="kb_import", object_type="kb_import",
                     object_id=batch.sha256[:16],
                     detail=f"{batch.filename}：提交审核 {batch.submitted} 条（新增 {c[NEW]}、修订 {c[CHANGED]}），"
                            f"未变 {c[UNCHANGED]} 条，有误 {c[ERROR]} 条" + (f"；{batch.note}" if batch.note else ""))
    db.commit()
    return batch
