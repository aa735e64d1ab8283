"""The page 节假日安排: which years the working-day calendar knows, and entering the State Council's
arrangement of a year the calendar package does not know yet (administrators)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hotline import clock
from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.security.roles import Role
from hotline.web.forms import text
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for
from hotline.workdays import service

router = APIRouter()
CalendarViewer = Annotated[Viewer, Depends(viewer_for("calendar"))]


def _page(request: Request, db: DB, viewer: Viewer, *, errors: list[str] | None = None,
          values: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    first, last = clock.package_years()
    known_last = clock.known_years()[1]
    return render(request, "workdays.html", viewer=viewer, status_code=status_code,
                  package_first=first, package_last=last, known_last=known_last,
                  next_year=known_last + 1 if known_last < last + service.MAX_YEARS_AHEAD else None,
                  years=service.entered_years(db), can_edit=viewer.actor.role == Role.ADMIN,
                  errors=errors or [], values=values or {})


@router.get("/admin/calendar")
def calendar_page(request: Request, db: DB, viewer: CalendarViewer) -> HTMLResponse:
    return _page(request, db, viewer)


@router.post("/admin/calendar", response_model=None)
def enter_year(request: Request, form: CheckedForm, db: DB, rt: RT,
               viewer: CalendarViewer) -> HTMLResponse | RedirectResponse:
    values = {k: text(form, k) for k in ("year", "holidays", "workdays", "source")}
    try:
        if not re.fullmatch(r"[0-9]{4}", values["year"]):
            raise DomainError("invalid_year", "请填写年份（四位数字）", status_code=422)
        year = int(values["year"])
        holidays = service.parse_days(values["holidays"], what="放假日期")
        workdays = service.parse_days(values["workdays"], what="调休上班日期")
        notes = service.set_year(db, actor=viewer.actor, now=rt.clock.now(), year=year, holidays=holidays,
                                 workdays=workdays, source=values["source"])
    except DomainError as exc:
        db.rollback()
        return _page(request, db, viewer, errors=[exc.message], values=values, status_code=exc.status_code)
    flash(request, f"已录入 {year} 年节假日安排：放假 {len(holidays)} 天，调休上班 {len(workdays)} 天")
    for note in notes:  # saved all the same: the notice may really be that short, the administrator knows
        flash(request, f"请注意：{note}", "warn")
    return redirect("/admin/calendar")


@router.post("/admin/calendar/{year}/delete", response_model=None)
def delete_year(year: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                viewer: CalendarViewer) -> HTMLResponse | RedirectResponse:
    try:
        service.clear_year(db, actor=viewer.actor, now=rt.clock.now(), year=year)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, viewer, errors=[exc.message], status_code=exc.status_code)
    flash(request, f"已删除 {year} 年的节假日安排")
    return redirect("/admin/calendar")
