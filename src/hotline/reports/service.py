"""Who may have which report, in which format: the one entry point for the API, pages and CLI."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.errors import DomainError, Forbidden
from hotline.org.models import Jurisdiction, Unit
from hotline.reports.build import build_report
from hotline.reports.content import Report
from hotline.reports.period import parse_period
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.roles import DataScope, Role

REPORT_ROLES = frozenset({Role.ANALYST, Role.SUPERVISOR, Role.ADMIN, Role.UNIT_MANAGER, Role.SYSTEM})
FORMATS = ("xlsx", "pdf")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ensure_may_report(actor: Actor) -> None:
    if actor.role not in REPORT_ROLES:
        raise Forbidden("forbidden", "无权查看分析报告：仅数据分析员、督办员、管理员和承办单位负责人可查看")


def scope_name(db: Session, rt: Runtime, actor: Actor) -> str:
    """The report covers what the actor may see: the whole city, a jurisdiction subtree or a unit."""
    if actor.data_scope == DataScope.ALL:
        return rt.settings.city_name + "全市"
    if actor.data_scope == DataScope.JURISDICTION and actor.scope_path:
        name = db.execute(select(Jurisdiction.name).where(Jurisdiction.path == actor.scope_path)).scalar()
        return name or "所辖区域"
    if actor.unit_id is not None:
        name = db.execute(select(Unit.name).where(Unit.id == actor.unit_id)).scalar()
        return f"{name or '本单位'}参与办理的工单（主办或协办）"
    return "—"


def make_report(db: Session, rt: Runtime, *, actor: Actor, period: str) -> Report:
    ensure_may_report(actor)
    parsed = parse_period(period)
    return build_report(db, rt, actor, parsed, scope=scope_name(db, rt, actor))


def render(report: Report, fmt: str) -> tuple[bytes, str, str]:
    """(body, media type, file name) for a report in one of FORMATS (PDF and XLSX as well)."""
    fmt = fmt.strip().lower()
    if fmt == "xlsx":
        from hotline.reports.xlsx import report_workbook

        return report_workbook(report), XLSX, f"report-{report.period_key}.xlsx"
    if fmt == "pdf":
        from hotline.reports.pdf import report_pdf

        return report_pdf(report), "application/pdf", f"report-{report.period_key}.pdf"
    raise DomainError("invalid_format", f"不支持的报告格式“{fmt}”：可选 xlsx 或 pdf", status_code=422)


def record_download(db: Session, rt: Runtime, *, actor: Actor, report: Report, fmt: str) -> None:
    """Reports carry no personal data, but who took which figures out is still attributable."""
    audit.record(db, actor=actor, at=rt.clock.now(), action="export_report", object_type="report",
                 object_id=report.period_key, detail=f"{fmt}，{report.scope}")
    db.commit()
