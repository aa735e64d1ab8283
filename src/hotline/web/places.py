"""The registry of place names' page (地名库): search, add, switch on or off, Excel export and import
(checked first), and learning names from closed tickets (listed first, then written)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from hotline.deps import DB, RT
from hotline.dispatch import place_check, place_names, place_names_excel, place_registry
from hotline.dispatch.catalogue import EDIT_ROLES
from hotline.errors import DomainError
from hotline.web import choices, excel_import
from hotline.web.forms import id_list, text
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for

router = APIRouter()
PlacesViewer = Annotated[Viewer, Depends(viewer_for("places"))]
BASE = "/dispatch/places"
PAGE_SIZE = 50
KINDS = [choices.Option(k, label) for k, label in place_names.KIND_LABELS.items()]
SOURCES = [choices.Option(k, label) for k, label in place_registry.SOURCE_LABELS.items()]


def _page(request: Request, db: Session, viewer: Viewer, *, errors: list[str] | None = None,
          values: dict[str, str] | None = None, import_result: place_names_excel.ImportResult | None = None,
          report: place_registry.LearnReport | None = None, settings: dict[str, str] | None = None,
          status_code: int = 200, learning: bool = False, checked: dict[str, object] | None = None) -> HTMLResponse:
    qp = request.query_params
    f = {k: (qp.get(k) or "").strip()[:50] for k in ("q", "kind", "source", "active")}
    page = page_number(qp)
    active = {"1": True, "0": False}.get(f["active"])
    rows, total = place_registry.list_names(db, q=f["q"] or None, kind=f["kind"] or None,
                                            source=f["source"] or None, active=active, page=page,
                                            page_size=PAGE_SIZE)
    return render(request, "places.html", viewer=viewer, status_code=status_code, rows=rows, total=total, f=f,
                  pager=pager(qp, BASE, total, page=page, page_size=PAGE_SIZE), can_edit=viewer.role in EDIT_ROLES,
                  kinds=KINDS, sources=SOURCES, kind_labels=place_names.KIND_LABELS,
                  source_labels=place_registry.SOURCE_LABELS, learning=learning, checked=checked,
                  jurisdictions=choices.jurisdictions(db, below_city=True),
                  errors=errors or [], values=values or {}, import_result=import_result, report=report,
                  status_labels=place_registry.STATUS_LABELS,
                  settings=settings or {"min_support": str(place_names.MIN_SUPPORT),
                                        "min_purity": str(place_names.MIN_PURITY)})


@router.get(BASE)
def places_page(request: Request, db: DB, viewer: PlacesViewer) -> HTMLResponse:
    checked = place_check.check(db).as_dict() if request.query_params.get("check") == "1" else None  # 识别核对
    return _page(request, db, viewer, checked=checked)


@router.post(BASE, response_model=None)
def add_name(request: Request, form: CheckedForm, db: DB, rt: RT,
             viewer: PlacesViewer) -> HTMLResponse | RedirectResponse:
    values = {k: text(form, k) for k in ("name", "jurisdiction_code", "kind", "note")}
    if not values["name"] or not values["jurisdiction_code"]:
        return _page(request, db, viewer, errors=["请填写地名并选择属地"], values=values, status_code=422)
    try:
        data = place_registry.PlaceNameIn(name=values["name"], jurisdiction_code=values["jurisdiction_code"],
                                          kind=values["kind"] or None, note=values["note"] or None)
        entry = place_registry.save_name(db, rt, actor=viewer.actor, data=data)
    except ValidationError:
        return _page(request, db, viewer, errors=["地名不超过 40 字，备注不超过 200 字"], values=values,
                     status_code=422)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, viewer, errors=[exc.message], values=values, status_code=exc.status_code)
    db.commit()
    flash(request, f"已新增地名：{place_registry.describe(entry)}")
    return redirect(BASE)


@router.post(BASE + "/import", response_model=None)
async def import_names(request: Request, form: CheckedForm, db: DB, rt: RT,
                       viewer: PlacesViewer) -> HTMLResponse | RedirectResponse:
    return await excel_import.run(request, form, db, page=partial(_page, request, db, viewer), back=BASE, unit="个",
                                  importer=partial(place_names_excel.import_workbook, db, rt, actor=viewer.actor))


@router.post(BASE + "/learn", response_model=None)
def learn_names(request: Request, form: CheckedForm, db: DB, rt: RT,
                viewer: PlacesViewer) -> HTMLResponse | RedirectResponse:
    settings = {k: text(form, k) for k in ("min_support", "min_purity")}
    try:
        min_support, min_purity = int(settings["min_support"]), float(settings["min_purity"])
    except ValueError:
        return _page(request, db, viewer, errors=["最少工单数应为整数，同一属地占比应为 0.5 到 1 之间的小数"],
                     settings=settings, status_code=422, learning=True)
    apply = text(form, "apply") == "1"
    try:
        report = place_registry.learn(db, rt, actor=viewer.actor, min_support=min_support, min_purity=min_purity,
                                      apply=apply, names=id_list(form, "pick") if apply else None)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, viewer, errors=[exc.message], settings=settings, status_code=exc.status_code,
                     learning=True)
    if apply:
        db.commit()
        flash(request, f"已从 {report.tickets} 件已办结工单学习地名：新增 {report.added} 个，"
                       f"更新依据 {report.refreshed} 个")
        return redirect(BASE + "?source=learned")
    db.rollback()
    return _page(request, db, viewer, report=report, settings=settings)


@router.post(BASE + "/{name_id}/active")
def toggle_name(name_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                viewer: PlacesViewer) -> RedirectResponse:
    active = text(form, "active") == "1"
    try:
        entry = place_registry.set_active(db, rt, actor=viewer.actor, name_id=name_id, active=active)
    except DomainError as exc:
        db.rollback()
        flash(request, exc.message, "error")
    else:
        db.commit()
        flash(request, f"已{'启用' if active else '停用'}地名“{entry.name}”")
    back = text(form, "back")
    return redirect(back if back.startswith(BASE) else BASE)
