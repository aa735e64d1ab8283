"""Dispatch API: the catalogue (rules, Excel export/import) and suggestions for a request or ticket."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from hotline.deps import DB, RT, ApiActor
from hotline.dispatch import catalogue as cat
from hotline.dispatch import catalogue_excel, suggest
from hotline.dispatch.models import DispatchRule
from hotline.errors import DomainError, Forbidden
from hotline.org.models import Jurisdiction
from hotline.security.roles import Role
from hotline.tickets import service as tickets
from hotline.tickets.categories import catalogue, full_name
from hotline.tickets.enums import KIND_LABELS, Kind

router = APIRouter(prefix="/api/v1/dispatch", tags=["dispatch"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 5 * 1024 * 1024
SUGGEST_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM})


class RuleOut(BaseModel):
    id: int
    category_prefix: str | None
    category_name: str
    jurisdiction_code: str | None
    jurisdiction_name: str
    kind: str | None
    kind_label: str
    lead_unit_id: int
    lead_unit_code: str
    lead_unit_name: str
    assisting_unit_ids: list[int]
    note: str | None
    active: bool
    version: int


def rule_out(rule: DispatchRule) -> RuleOut:
    return RuleOut(
        id=rule.id, category_prefix=rule.category_prefix,
        category_name=full_name(rule.category_prefix) if rule.category_prefix else "任意分类",
        jurisdiction_code=rule.jurisdiction.code if rule.jurisdiction else None,
        jurisdiction_name=rule.jurisdiction.name if rule.jurisdiction else "全市",
        kind=rule.kind, kind_label=KIND_LABELS[Kind(rule.kind)] if rule.kind else "任意类型",
        lead_unit_id=rule.lead_unit_id, lead_unit_code=rule.lead_unit.code, lead_unit_name=rule.lead_unit.name,
        assisting_unit_ids=list(rule.assisting_unit_ids), note=rule.note, active=rule.active, version=rule.version)


class RulePage(BaseModel):
    items: list[RuleOut]
    total: int
    page: int
    page_size: int


@router.get("/rules", response_model=RulePage, summary="派单目录（分页、搜索）")
def list_rules(db: DB, actor: ApiActor, q: Annotated[str | None, Query(max_length=50)] = None,
               category: Annotated[str | None, Query(max_length=16)] = None, unit_id: int | None = None,
               active: bool | None = None, page: Annotated[int, Query(ge=1)] = 1,
               page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> RulePage:
    cat.ensure_may_read(actor)
    rows, total = cat.list_rules(db, q=q, category=category, unit_id=unit_id, active=active, page=page,
                                 page_size=page_size)
    return RulePage(items=[rule_out(r) for r in rows], total=total, page=page, page_size=page_size)


@router.post("/rules", response_model=RuleOut, status_code=201, summary="新增派单目录规则")
def create_rule(data: cat.RuleIn, db: DB, rt: RT, actor: ApiActor) -> RuleOut:
    rule = cat.save_rule(db, rt, actor=actor, data=data)
    db.commit()
    return rule_out(rule)


@router.put("/rules/{rule_id}", response_model=RuleOut, summary="修改派单目录规则")
def update_rule(rule_id: int, data: cat.RuleIn, db: DB, rt: RT, actor: ApiActor) -> RuleOut:
    rule = cat.save_rule(db, rt, actor=actor, data=data, rule_id=rule_id)
    db.commit()
    return rule_out(rule)


@router.post("/rules/{rule_id}/enable", response_model=RuleOut, summary="启用规则")
def enable_rule(rule_id: int, db: DB, rt: RT, actor: ApiActor) -> RuleOut:
    rule = cat.set_active(db, rt, actor=actor, rule_id=rule_id, active=True)
    db.commit()
    return rule_out(rule)


@router.post("/rules/{rule_id}/disable", response_model=RuleOut, summary="停用规则")
def disable_rule(rule_id: int, db: DB, rt: RT, actor: ApiActor) -> RuleOut:
    rule = cat.set_active(db, rt, actor=actor, rule_id=rule_id, active=False)
    db.commit()
    return rule_out(rule)


@router.get("/rules.xlsx", summary="导出派单目录（Excel，可作为导入模板）", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})
def export_rules(db: DB, actor: ApiActor) -> Response:
    cat.ensure_may_read(actor)
    return Response(catalogue_excel.export_workbook(db), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="dispatch-catalogue.xlsx"'})


class ImportOut(BaseModel):
    ok: bool
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    errors: list[str]


async def read_upload(file: UploadFile) -> bytes:
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise DomainError("file_too_large", "文件过大（上限 5 MB）", status_code=413)
    return content


async def import_excel(file: UploadFile, dry_run: bool, db: DB, importer: Any) -> ImportOut:
    """An all-or-nothing Excel import (the catalogue, the place names): `importer(content=, dry_run=)`."""
    content = await read_upload(file)
    result = await run_in_threadpool(importer, content=content, dry_run=dry_run)
    if result.ok and not dry_run:
        db.commit()
    else:
        db.rollback()
    return ImportOut(ok=result.ok, dry_run=dry_run, created=result.created, updated=result.updated,
                     unchanged=result.unchanged, errors=result.errors)


@router.post("/rules/import", response_model=ImportOut, summary="从 Excel 导入派单目录（有错则整表不导入）")
async def import_rules(db: DB, rt: RT, actor: ApiActor, file: Annotated[UploadFile, File()],
                       dry_run: bool = False) -> ImportOut:
    return await import_excel(file, dry_run, db, partial(catalogue_excel.import_workbook, db, rt, actor=actor))


class SuggestIn(BaseModel):
    title: str = Field(default="", max_length=200)
    content: str = Field(default="", max_length=5000)
    address: str | None = Field(default=None, max_length=300)
    circumstances: str | None = Field(default=None, max_length=5000)  # 事情经过, screened as at registration
    kind: Kind | None = None
    category_code: str | None = Field(default=None, max_length=16)
    jurisdiction_code: str | None = Field(default=None, max_length=32)  # the place already chosen


def _may_suggest(actor: Any) -> None:
    if actor.role not in SUGGEST_ROLES:
        raise Forbidden("forbidden", "无权使用派单建议")


@router.post("/suggest", summary="派单建议：受理范围、属地、分类、派单目录、疑似重复")
def suggest_for_text(data: SuggestIn, db: DB, rt: RT, actor: ApiActor) -> dict[str, Any]:
    _may_suggest(actor)
    if not (data.title.strip() or data.content.strip()):
        raise DomainError("empty_request", "请至少填写诉求标题或内容", status_code=422)
    if data.category_code and data.category_code not in catalogue():
        raise DomainError("unknown_category", f"诉求分类代码“{data.category_code}”不存在", status_code=422)
    path = None
    if data.jurisdiction_code:
        path = db.execute(select(Jurisdiction.path).where(Jurisdiction.code == data.jurisdiction_code)).scalar()
        if path is None:
            raise DomainError("unknown_jurisdiction", f"属地代码“{data.jurisdiction_code}”不存在", status_code=422)
    s = suggest.suggest(db, rt, actor=actor, title=data.title, content=data.content, address=data.address,
                        circumstances=data.circumstances,
                        kind=str(data.kind) if data.kind else None, category_code=data.category_code,
                        jurisdiction_path=path)
    return suggest.as_dict(db, s, jurisdiction_path=path)


@router.get("/tickets/{ticket_id}/suggestion", summary="某工单的派单建议")
def suggest_for_ticket(ticket_id: int, db: DB, rt: RT, actor: ApiActor) -> dict[str, Any]:
    _may_suggest(actor)
    ticket = tickets.get(db, actor=actor, ticket_id=ticket_id)
    s = suggest.for_ticket(db, rt, actor=actor, ticket=ticket)
    return suggest.as_dict(db, s, jurisdiction_path=ticket.jurisdiction_path)
