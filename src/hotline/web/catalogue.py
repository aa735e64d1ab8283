"""The dispatch catalogue's pages: search the rules, add or change one, switch it on or off, and
move the whole catalogue through Excel (export, then import with a check first)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.deps import DB, RT
from hotline.dispatch import catalogue as cat
from hotline.dispatch import catalogue_excel
from hotline.errors import DomainError
from hotline.org import service as org
from hotline.org.models import UNIT_KIND_LABELS, Jurisdiction, UnitKind
from hotline.tickets.categories import catalogue
from hotline.tickets.enums import KIND_LABELS, Kind
from hotline.web import choices, excel_import
from hotline.web.forms import text
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for

router = APIRouter()
CatalogueViewer = Annotated[Viewer, Depends(viewer_for("catalogue"))]
BASE = "/dispatch/catalogue"
FIELDS = ("category_prefix", "jurisdiction_code", "kind", "lead_unit_code", "note")


def _categories() -> list[choices.Option]:
    return [choices.Option(c.code, "\u3000" * (c.level - 1) + f"{c.code} {c.name}") for c in catalogue().values()]


def _units(db: Session) -> list[choices.Option]:
    return [choices.Option(u.code, u.name, UNIT_KIND_LABELS[UnitKind(u.kind)]) for u in org.list_units(db)
            if u.kind != UnitKind.HOTLINE_CENTER and u.active]


def _page(request: Request, db: Session, viewer: Viewer, *, errors: list[str] | None = None,
          values: dict[str, object] | None = None, import_result: catalogue_excel.ImportResult | None = None,
          status_code: int = 200) -> HTMLResponse:
    qp = request.query_params
    f = {k: (qp.get(k) or "").strip()[:50] for k in ("q", "category", "active")}
    page = page_number(qp)
    active = {"1": True, "0": False}.get(f["active"])
    rules, total = cat.list_rules(db, q=f["q"] or None, category=f["category"] or None, active=active, page=page,
                                  page_size=30)
    trial = _trial(db, qp)
    return render(request, "catalogue.html", viewer=viewer, status_code=status_code, rules=rules, f=f, trial=trial,
                  pager=pager(qp, BASE, total, page=page, page_size=30), total=total,
                  can_edit=viewer.role in cat.EDIT_ROLES, categories=_categories(), units=_units(db),
                  jurisdictions=choices.jurisdictions(db), kinds=choices.KINDS, errors=errors or [],
                  values=values or {}, import_result=import_result, kind_labels=KIND_LABELS,
                  unit_names={u.id: u.short_name for u in org.list_units(db)})


@dataclass(frozen=True)
class Trial:
    """试算: what the catalogue decides for a category, a place and a kind (before a rule changes)."""

    category: str
    place: str
    kind: str
    decision: cat.Decision | None
    place_name: str | None = None
    error: str | None = None


def _trial(db: Session, qp: Any) -> Trial | None:
    values = {k: (qp.get(f"try_{k}") or "").strip()[:32] for k in ("category", "place", "kind")}
    if qp.get("try") is None:
        return None
    if values["category"] and values["category"] not in catalogue():
        return Trial(**values, decision=None, error=f"诉求分类代码“{values['category']}”不存在")
    if values["kind"] and values["kind"] not in {str(k) for k in Kind}:
        return Trial(**values, decision=None, error=f"诉求类型“{values['kind']}”无效")
    place = None
    if values["place"]:
        place = db.execute(select(Jurisdiction).where(Jurisdiction.code == values["place"])).scalar()
        if place is None:
            return Trial(**values, decision=None, error=f"属地代码“{values['place']}”不存在")
    decision = cat.decide(db, category_code=values["category"] or None,
                          jurisdiction_path=place.path if place else None, kind=values["kind"] or None)
    return Trial(**values, decision=decision, place_name=place.name if place else None)


@router.get(BASE)
def catalogue_page(request: Request, db: DB, viewer: CatalogueViewer) -> HTMLResponse:
    return _page(request, db, viewer)


def _values(form: CheckedForm) -> dict[str, object]:
    values: dict[str, object] = {k: text(form, k) for k in FIELDS}
    values["assisting_unit_codes"] = [v for v in form.getlist("assisting_unit_codes") if isinstance(v, str) and v]
    return values


def _problems(values: dict[str, object]) -> list[str]:
    """What the form itself can tell is wrong (the rest is the catalogue's to say)."""
    problems = []
    if values["kind"] and values["kind"] not in {str(k) for k in Kind}:
        problems.append(f"诉求类型“{values['kind']}”无效")
    if len(str(values["note"])) > 300:
        problems.append("备注不超过 300 字")
    if len(values["assisting_unit_codes"]) > 10:  # type: ignore[arg-type]
        problems.append("协办单位不超过 10 个")
    if not values["lead_unit_code"]:
        problems.append("请选择主办单位")
    return problems


def _save(request: Request, form: CheckedForm, db: Session, rt: RT, viewer: Viewer,
          rule_id: int | None) -> HTMLResponse | RedirectResponse:
    values = _values(form)
    problems = _problems(values)
    if not problems:
        try:
            data = cat.RuleIn(category_prefix=str(values["category_prefix"]) or None,
                              jurisdiction_code=str(values["jurisdiction_code"]) or None,
                              kind=Kind(str(values["kind"])) if values["kind"] else None,
                              lead_unit_code=str(values["lead_unit_code"]),
                              assisting_unit_codes=list(values["assisting_unit_codes"]),  # type: ignore[call-overload]
                              note=str(values["note"]) or None)
            version = text(form, "version")
            rule = cat.save_rule(db, rt, actor=viewer.actor, data=data, rule_id=rule_id,
                                 expected_version=int(version) if version.isdecimal() else None)
        except ValidationError:
            problems = ["规则内容无效，请检查后重试"]
        except DomainError as exc:
            db.rollback()
            if rule_id is not None:
                # Refused for its content, the form keeps the version it was opened on, so that a change
                # made meanwhile is still caught when it is saved again; refused for that change, it
                # moves to the version now shown (saving again is then a deliberate overwrite).
                return _edit_page(request, db, viewer, rule_id, errors=[exc.message], values=values,
                                  status_code=exc.status_code,
                                  version=None if exc.code == "rule_changed" else text(form, "version"))
            return _page(request, db, viewer, errors=[exc.message], values=values, status_code=exc.status_code)
    if problems:  # the form again, with what was typed and why it was refused
        if rule_id is not None:
            return _edit_page(request, db, viewer, rule_id, errors=problems, values=values, status_code=422,
                              version=text(form, "version"))
        return _page(request, db, viewer, errors=problems, values=values, status_code=422)
    db.commit()
    flash(request, f"已{'保存' if rule_id else '新增'}规则：{cat.describe(db, rule)}")
    return redirect(BASE)


@router.post(BASE, response_model=None)
def create_rule(request: Request, form: CheckedForm, db: DB, rt: RT,
                viewer: CatalogueViewer) -> HTMLResponse | RedirectResponse:
    return _save(request, form, db, rt, viewer, None)


# Declared before /{rule_id} so that "import" is not read as a rule number.
@router.post(BASE + "/import", response_model=None)
async def import_rules(request: Request, form: CheckedForm, db: DB, rt: RT,
                       viewer: CatalogueViewer) -> HTMLResponse | RedirectResponse:
    return await excel_import.run(request, form, db, page=partial(_page, request, db, viewer), back=BASE, unit="条",
                                  importer=partial(catalogue_excel.import_workbook, db, rt, actor=viewer.actor))


def _edit_page(request: Request, db: Session, viewer: Viewer, rule_id: int, *, errors: list[str] | None = None,
               values: dict[str, object] | None = None, status_code: int = 200,
               version: str | None = None) -> HTMLResponse:
    """`version`: the version the form was opened on, kept when a save is refused (else the rule's own)."""
    rule = cat.get_rule(db, rule_id)
    codes = {u.id: u.code for u in org.list_units(db)}
    current = values or {
        "category_prefix": rule.category_prefix or "",
        "jurisdiction_code": rule.jurisdiction.code if rule.jurisdiction else "",
        "kind": rule.kind or "", "lead_unit_code": codes.get(rule.lead_unit_id, ""), "note": rule.note or "",
        "assisting_unit_codes": [codes[u] for u in rule.assisting_unit_ids if u in codes],
    }
    return render(request, "catalogue_rule.html", viewer=viewer, status_code=status_code, rule=rule,
                  form_version=int(version) if version and version.isdecimal() else rule.version, values=current,
                  errors=errors or [], can_edit=viewer.role in cat.EDIT_ROLES,
                  categories=_categories(), units=_units(db), jurisdictions=choices.jurisdictions(db),
                  kinds=choices.KINDS, explanation=cat.describe(db, rule), history=cat.history(db, rule_id),
                  history_labels=cat.HISTORY_LABELS)


@router.get(BASE + "/{rule_id}")
def rule_page(rule_id: int, request: Request, db: DB, viewer: CatalogueViewer) -> HTMLResponse:
    return _edit_page(request, db, viewer, rule_id)


@router.post(BASE + "/{rule_id}", response_model=None)
def update_rule(rule_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                viewer: CatalogueViewer) -> HTMLResponse | RedirectResponse:
    return _save(request, form, db, rt, viewer, rule_id)


@router.post(BASE + "/{rule_id}/active")
def toggle_rule(rule_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                viewer: CatalogueViewer) -> RedirectResponse:
    active = text(form, "active") == "1"
    try:
        cat.set_active(db, rt, actor=viewer.actor, rule_id=rule_id, active=active)
    except DomainError as exc:
        db.rollback()
        flash(request, exc.message, "error")
    else:
        db.commit()
        flash(request, f"已{'启用' if active else '停用'}规则 {rule_id}")
    back = text(form, "back")  # the list as it was (page, search, filters)
    return redirect(back if back.startswith(BASE) else BASE)
