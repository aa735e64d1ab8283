"""个人信息访问审查 page: the audit log summed per account for a period, rows worth a look flagged."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.security import access_review
from hotline.security.review_api import excel_response
from hotline.security.roles import LOGIN_ROLES, ROLE_LABELS, Role
from hotline.web import choices
from hotline.web.paging import page_number, pager
from hotline.web.render import render
from hotline.web.session import Viewer, viewer_for

router = APIRouter()
ReviewViewer = Annotated[Viewer, Depends(viewer_for("access_review"))]
ROLE_OPTIONS = [choices.Option(str(r), ROLE_LABELS[r]) for r in Role if r in LOGIN_ROLES]
PAGE_SIZE = 50


def _filters(qp: Any) -> tuple[dict[str, str], dict[str, date | None], list[str]]:
    """The page's filters as typed, the dates read, and what could not be read (said, never dropped)."""
    shown = {k: (qp.get(k) or "").strip()[:64] for k in ("from", "to", "role", "username", "flagged")}
    days: dict[str, date | None] = {}
    errors = []
    for key, label in (("from", "日期从"), ("to", "至")):
        try:
            days[key] = date.fromisoformat(shown[key]) if shown[key] else None
        except ValueError:
            days[key] = None
            errors.append(f"「{label}」“{shown[key]}”不是有效日期，请按 YYYY-MM-DD 填写（如 2026-11-27）")
    if shown["role"] and shown["role"] not in {str(r) for r in LOGIN_ROLES}:
        shown["role"] = ""
    return shown, days, errors


def _reviewed(db: DB, rt: RT, viewer: Viewer, qp: Any) -> tuple[dict[str, str], access_review.Review | None,
                                                                   list[str], int]:
    """The filters shown, the narrowed review (None when the filters cannot be read), what could not be
    read, and how many rows the period had before role, name and 只看有提示 narrowed them."""
    shown, days, errors = _filters(qp)
    if errors:
        return shown, None, errors, 0
    try:
        period = access_review.make_period(now=rt.clock.now(), start=days["from"], end=days["to"])
    except DomainError as exc:
        return shown, None, [exc.message], 0
    result = access_review.review(db, actor=viewer.actor, period=period)
    everyone = result.people
    access_review.narrow(result, role=shown["role"] or None, flagged_only=bool(shown["flagged"]),
                         username=shown["username"])
    shown["from"], shown["to"] = f"{period.start:%Y-%m-%d}", f"{period.end:%Y-%m-%d}"  # the defaults, shown
    return shown, result, [], everyone


@router.get("/admin/access-review")
def review_page(request: Request, db: DB, rt: RT, viewer: ReviewViewer) -> HTMLResponse:
    qp = request.query_params
    shown, result, errors, everyone = _reviewed(db, rt, viewer, qp)
    page = page_number(qp)
    accounts = result.accounts if result else []
    query = {k: v for k, v in shown.items() if v}
    return render(request, "admin_access_review.html", viewer=viewer, f=shown, errors=errors, result=result,
                  rows=accounts[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], roles=ROLE_OPTIONS,
                  rules=access_review.RULES_TEXT, status_code=422 if errors else 200, everyone=everyone,
                  export_url="/admin/access-review.xlsx?" + urlencode(query),
                  audit_base={k: query[k] for k in ("from", "to") if k in query},
                  pager=pager(qp, "/admin/access-review", len(accounts), page=page, page_size=PAGE_SIZE))


@router.get("/admin/access-review.xlsx")
def review_export(request: Request, db: DB, rt: RT, viewer: ReviewViewer) -> Response:
    shown, result, errors, _ = _reviewed(db, rt, viewer, request.query_params)
    if result is None:
        raise DomainError("invalid_filter", "；".join(errors), status_code=422)
    return excel_response(db, rt, viewer.actor, result, narrowed=access_review.filters_text(
        role=shown["role"] or None, flagged_only=bool(shown["flagged"]), username=shown["username"]))
