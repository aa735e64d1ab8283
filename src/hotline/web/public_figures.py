"""政务公开 pages: the monthly figures the centre has published, on the public portal (no login), and
the staff page where an administrator or a whole-city supervisor publishes or withdraws a month."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup

from hotline.clock import to_local
from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.reports import publication
from hotline.reports.period import period_containing
from hotline.web.charts import chart_svg
from hotline.web.forms import text
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for

router = APIRouter()
PublicationViewer = Annotated[Viewer, Depends(viewer_for("publication"))]
STAFF_MONTHS = 12


def _charts(figures: dict[str, Any]) -> dict[str, Markup]:
    """Each published table drawn by its count column (the second), from the snapshot's numbers."""
    charts = {}
    for t in figures.get("tables", []):
        if not t.get("chart", True):  # a table of mixed figures (涉企诉求) is read, not drawn
            continue
        values = [float(r[1]) if isinstance(r[1], int | float) else 0.0 for r in t["rows"]]
        charts[t["key"]] = chart_svg("bar", [str(r[0]) for r in t["rows"]], [(t["columns"][1], values)],
                                     title=t["title"])
    return charts


def _public_page(request: Request, db: DB, period: str | None) -> HTMLResponse:
    months = publication.published_months(db)
    figures = None
    if period is not None:
        figures = publication.published(db, period)  # not published: the 404 page
    elif months:
        figures = publication.published(db, months[0].period)
    return render(request, "public_figures.html", public=True, months=months, figures=figures,
                  charts=_charts(figures) if figures else {})


@router.get("/public/figures")
def public_figures(request: Request, db: DB) -> HTMLResponse:
    return _public_page(request, db, None)


@router.get("/public/figures/{period}")
def public_month(request: Request, period: str, db: DB) -> HTMLResponse:
    return _public_page(request, db, period)


# ---- staff: publish and withdraw ------------------------------------------------------------------


@router.get("/reports/publication")
def publication_page(request: Request, db: DB, rt: RT, viewer: PublicationViewer) -> HTMLResponse:
    last = period_containing(to_local(rt.clock.now()).date(), "month").previous()  # the newest ended month
    months = [last]
    for _ in range(STAFF_MONTHS - 1):
        months.append(months[-1].previous())
    rows = publication.publications(db, [m.key for m in months])
    return render(request, "report_publication.html", viewer=viewer, months=months, rows=rows)


@router.post("/reports/publication", response_model=None)
def publication_act(request: Request, form: CheckedForm, db: DB, rt: RT,
                    viewer: PublicationViewer) -> HTMLResponse | RedirectResponse:
    period, act = text(form, "period")[:10], text(form, "act")
    try:
        if act == "unpublish":
            row = publication.unpublish(db, rt, actor=viewer.actor, period=period)
            flash(request, f"已撤回 {row.period} 的公开数据")
        else:
            row = publication.publish(db, rt, actor=viewer.actor, period=period,
                                      with_units=text(form, "with_units") == "1")
            flash(request, f"已公开 {row.period} 的运行数据")
    except DomainError as exc:
        db.rollback()
        flash(request, exc.message, "error")
    return redirect("/reports/publication")
