"""Place names API (地名库): list, add, change, switch on/off, Excel export/import, and learning from
closed tickets (list first, then apply)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select

from hotline.deps import DB, RT, ApiActor
from hotline.dispatch import place_check, place_names, place_names_excel, place_registry
from hotline.dispatch.api import XLSX, ImportOut, import_excel
from hotline.dispatch.catalogue import ensure_may_read
from hotline.dispatch.models import PlaceName
from hotline.dispatch.place_registry import PLACES
from hotline.errors import DomainError
from hotline.org.models import Jurisdiction

router = APIRouter(prefix="/api/v1/dispatch/places", tags=["dispatch"])


class PlaceNameOut(BaseModel):
    id: int
    name: str
    jurisdiction_code: str
    jurisdiction_name: str
    kind: str
    kind_label: str
    source: str
    support: int | None
    total: int | None
    note: str | None
    active: bool
    version: int


def name_out(e: PlaceName) -> PlaceNameOut:
    return PlaceNameOut(id=e.id, name=e.name, jurisdiction_code=e.jurisdiction.code,
                        jurisdiction_name=e.jurisdiction.name, kind=e.kind,
                        kind_label=place_names.KIND_LABELS.get(e.kind, e.kind), source=e.source, support=e.support,
                        total=e.total, note=e.note, active=e.active, version=e.version)


class PlaceNamePage(BaseModel):
    items: list[PlaceNameOut]
    total: int
    page: int
    page_size: int


def subtree(db: DB, code: str | None) -> str | None:
    if not code or not code.strip():
        return None
    path = db.execute(select(Jurisdiction.path).where(Jurisdiction.code == code.strip())).scalar()
    if path is None:
        raise DomainError("unknown_jurisdiction", f"属地代码“{code}”不存在", status_code=422)
    return path


@router.get("", response_model=PlaceNamePage, summary="地名库（分页、搜索）")
def list_names(db: DB, actor: ApiActor, q: Annotated[str | None, Query(max_length=50)] = None,
               jurisdiction_code: Annotated[str | None, Query(max_length=32)] = None,
               kind: Annotated[str | None, Query(max_length=16)] = None,
               source: Annotated[str | None, Query(max_length=16)] = None, active: bool | None = None,
               page: Annotated[int, Query(ge=1)] = 1,
               page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> PlaceNamePage:
    ensure_may_read(actor, PLACES)
    rows, total = place_registry.list_names(db, q=q, jurisdiction_path=subtree(db, jurisdiction_code), kind=kind,
                                            source=source, active=active, page=page, page_size=page_size)
    return PlaceNamePage(items=[name_out(e) for e in rows], total=total, page=page, page_size=page_size)


@router.post("", response_model=PlaceNameOut, status_code=201, summary="新增地名")
def create_name(data: place_registry.PlaceNameIn, db: DB, rt: RT, actor: ApiActor) -> PlaceNameOut:
    entry = place_registry.save_name(db, rt, actor=actor, data=data)
    db.commit()
    return name_out(entry)


@router.get(".xlsx", summary="导出地名库（Excel，可作为导入模板）", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})
def export_names(db: DB, actor: ApiActor) -> Response:
    return Response(place_names_excel.export_workbook(db, actor=actor), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="place-names.xlsx"'})


@router.post("/import", response_model=ImportOut, summary="从 Excel 导入地名（有错则整表不导入）")
async def import_names(db: DB, rt: RT, actor: ApiActor, file: Annotated[UploadFile, File()],
                       dry_run: bool = False) -> ImportOut:
    return await import_excel(file, dry_run, db, partial(place_names_excel.import_workbook, db, rt, actor=actor))


class LearnIn(BaseModel):
    apply: bool = False
    min_support: int = Field(default=place_names.MIN_SUPPORT, ge=2, le=1000)
    min_purity: float = Field(default=place_names.MIN_PURITY, ge=0.5, le=1.0)
    names: list[Annotated[str, StringConstraints(max_length=40)]] | None = Field(
        default=None, max_length=5000, description="apply 时只新增这些地名（默认新增全部新地名）")


class ProposalOut(BaseModel):
    name: str
    jurisdiction_code: str
    jurisdiction_name: str
    kind: str
    support: int
    total: int
    status: str
    status_label: str


class LearnOut(BaseModel):
    tickets: int
    added: int
    refreshed: int
    proposals: list[ProposalOut]


@router.post("/learn", response_model=LearnOut, summary="从已办结工单学习地名（apply=false 只列出）")
def learn_names(data: LearnIn, db: DB, rt: RT, actor: ApiActor) -> LearnOut:
    report = place_registry.learn(db, rt, actor=actor, min_support=data.min_support, min_purity=data.min_purity,
                                  apply=data.apply, names=data.names)
    if data.apply:
        db.commit()
    else:
        db.rollback()
    return LearnOut(tickets=report.tickets, added=report.added, refreshed=report.refreshed, proposals=[
        ProposalOut(name=p.learned.name, jurisdiction_code=p.learned.place.code,
                    jurisdiction_name=p.learned.place.name, kind=p.learned.kind, support=p.learned.support,
                    total=p.learned.total, status=p.status, status_label=place_registry.STATUS_LABELS[p.status])
        for p in report.proposals])


@router.get("/check", summary="识别核对：属地识别在本市已办结工单上的准确率（按把握度分段）")
def check_reader(db: DB, actor: ApiActor,
                 limit: Annotated[int, Query(ge=100, le=200_000)] = place_check.CHECK_LIMIT) -> dict[str, object]:
    ensure_may_read(actor, PLACES)
    result = place_check.check(db, limit=limit).as_dict()
    db.rollback()
    return result


@router.put("/{name_id}", response_model=PlaceNameOut, summary="修改地名")
def update_name(name_id: int, data: place_registry.PlaceNameIn, db: DB, rt: RT, actor: ApiActor) -> PlaceNameOut:
    entry = place_registry.save_name(db, rt, actor=actor, data=data, name_id=name_id)
    db.commit()
    return name_out(entry)


@router.post("/{name_id}/enable", response_model=PlaceNameOut, summary="启用地名")
def enable_name(name_id: int, db: DB, rt: RT, actor: ApiActor) -> PlaceNameOut:
    entry = place_registry.set_active(db, rt, actor=actor, name_id=name_id, active=True)
    db.commit()
    return name_out(entry)


@router.post("/{name_id}/disable", response_model=PlaceNameOut, summary="停用地名")
def disable_name(name_id: int, db: DB, rt: RT, actor: ApiActor) -> PlaceNameOut:
    entry = place_registry.set_active(db, rt, actor=actor, name_id=name_id, active=False)
    db.commit()
    return name_out(entry)
