"""Report API: the report as JSON, as a file (xlsx/pdf), and any one chart's data as CSV."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from hotline.deps import DB, RT, ApiActor
from hotline.errors import NotFound
from hotline.errors_http import route_labels
from hotline.reports import publication, service
from hotline.reports.build import generated_label
from hotline.reports.content import Percent, cell_text
from hotline.reports.xlsx import table_csv

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
route_labels(router.prefix, {"format": "文件格式"}, choices={"format": {"xlsx": "Excel", "pdf": "PDF"}})


def _number(value: int | Percent | None) -> int | float | None:
    return float(value) if isinstance(value, Percent) else value


@router.get("/{period}", summary="分析报告（JSON）：周期写作 2026-10 或 2026-W44")
def report_json(period: str, db: DB, rt: RT, actor: ApiActor) -> dict[str, Any]:
    report = service.make_report(db, rt, actor=actor, period=period)
    return {
        "title": report.title, "period": report.period_key, "period_label": report.period_label,
        "scope": report.scope, "generated_at": generated_label(report.generated_at),
        # value stays the printed text clients show; number is the same figure to compute with
        # (a rate in per cent, percent true; null where value is "—").
        "figures": [{"label": f.label, "value": f.value, "hint": f.hint, "number": _number(f.number),
                     "percent": isinstance(f.number, Percent)} for f in report.figures],
        "summary": report.summary,
        "tables": [{"key": t.key, "title": t.title, "columns": t.columns,
                    "rows": [[cell_text(v) for v in r] for r in t.rows], "note": t.note}
                   for t in report.tables],
    }


@router.get("/{period}/file", summary="下载分析报告（Excel 或 PDF）", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, service.XLSX: {}}}})
def report_file(period: str, db: DB, rt: RT, actor: ApiActor,
                format: Annotated[Literal["xlsx", "pdf"], Query()] = "xlsx") -> Response:
    report = service.make_report(db, rt, actor=actor, period=period)
    body, media, name = service.render(report, format)
    service.record_download(db, rt, actor=actor, report=report, fmt=format)
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/{period}/tables/{key}.csv", summary="下载某一图表的数据（CSV）", response_class=Response)
def report_table_csv(period: str, key: str, db: DB, rt: RT, actor: ApiActor) -> Response:
    report = service.make_report(db, rt, actor=actor, period=period)
    table = report.table(key)
    if table is None:
        raise NotFound("not_found", f"报告中没有名为“{key}”的图表")
    service.record_download(db, rt, actor=actor, report=report, fmt=f"csv：{table.title}")
    body = "\ufeff" + table_csv(table)  # BOM: Excel then reads the file as UTF-8
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="report-{report.period_key}-{key}.csv"'})


class PublicationIn(BaseModel):
    with_units: bool = True  # publish the per-unit table (承办单位办理情况) as well


@router.put("/{period}/publication", summary="向社会公开某月运行数据（已公开则以当前数据重新公开）")
def publish(period: str, data: PublicationIn, db: DB, rt: RT, actor: ApiActor) -> dict[str, Any]:
    row = publication.publish(db, rt, actor=actor, period=period, with_units=data.with_units)
    return publication.published(db, row.period)


@router.delete("/{period}/publication", status_code=204, response_class=Response, summary="撤回某月的公开数据")
def unpublish(period: str, db: DB, rt: RT, actor: ApiActor) -> Response:
    publication.unpublish(db, rt, actor=actor, period=period)
    return Response(status_code=204)
