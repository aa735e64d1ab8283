"""The analysis report page: pick a month or week, read the figures and charts, download the
report (Excel/PDF) or any chart's data (CSV)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from hotline.clock import to_local
from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.reports import service
from hotline.reports.build import generated_label
from hotline.reports.period import period_containing
from hotline.web.charts import chart_svg
from hotline.web.render import render
from hotline.web.session import Viewer, viewer_for

router = APIRouter()
ReportsViewer = Annotated[Viewer, Depends(viewer_for("reports"))]


@router.get("/reports")
def reports_page(request: Request, db: DB, rt: RT, viewer: ReportsViewer, period: str = "") -> HTMLResponse:
    today = to_local(rt.clock.now()).date()
    this_month = period_containing(today, "month")
    choice = period.strip() or this_month.previous().key
    report, error, status = None, None, 200
    try:
        report = service.make_report(db, rt, actor=viewer.actor, period=choice)
    except DomainError as exc:  # said on the page, with the status the API gives (QA: it was a 200)
        error, status = exc.message, exc.status_code
    charts = {}
    if report:
        for t in report.tables:
            if t.chart is None:  # a table of mixed figures (涉企诉求) is read, not drawn: no "暂无数据" above it
                continue
            cats, series = t.series()
            charts[t.key] = chart_svg(t.chart.kind, cats, series, title=t.title)
    months = [this_month]
    for _ in range(11):
        months.append(months[-1].previous())
    weeks = [period_containing(today, "week")]
    for _ in range(7):
        weeks.append(weeks[-1].previous())
    return render(request, "reports.html", viewer=viewer, status_code=status, report=report, error=error,
                  choice=choice,
                  charts=charts, months=months, weeks=weeks,
                  generated=generated_label(report.generated_at) if report else "")
