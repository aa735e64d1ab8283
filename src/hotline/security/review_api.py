"""API of the access review (个人信息访问审查): `GET /api/v1/audit/access-review` and its Excel export."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from hotline.clock import to_local
from hotline.deps import DB, RT, ApiActor
from hotline.errors_http import route_labels
from hotline.security import access_review, audit
from hotline.security.access_review import AccountAccess, Review
from hotline.security.access_review_export import review_workbook
from hotline.security.audit_export import XLSX
from hotline.security.roles import LOGIN_ROLES, ROLE_LABELS, Role

router = APIRouter(prefix="/api/v1", tags=["admin"])
# The review's rows are login accounts: a machine role (data_sharing …) is refused, not an empty list.
ReviewRole = StrEnum("ReviewRole", {r.name: r.value for r in Role if r in LOGIN_ROLES})  # type: ignore[misc]
# Validation errors in Chinese: "flagged须为是/否" named the field in English, a bad role listed bare codes.
for _path in ("/api/v1/audit/access-review", "/api/v1/audit/access-review.xlsx"):
    route_labels(_path, {"flagged": "只看有提示", "from": "起始日期", "to": "结束日期", "username": "用户名"},
                 choices={"role": {str(r): label for r, label in ROLE_LABELS.items() if r in LOGIN_ROLES}})

From = Annotated[date | None, Query(alias="from", description="起始日期（含，北京时间），默认结束日期前 6 天")]
To = Annotated[date | None, Query(alias="to", description="结束日期（含），默认今天")]
Username = Annotated[str | None, Query(max_length=64, description="只看这个账号（不区分大小写）")]


class AccountAccessOut(BaseModel):
    user_id: int
    username: str
    role: str
    role_label: str
    reads: int = Field(description="查看个人信息（含下载附件）的次数")
    objects: int = Field(description="查看的记录数（同一工单多次查看计一条）")
    peer_median: float | None = Field(description="同岗位查看记录数的中位数；同岗位有查看的账号不足 3 个时为空")
    off_hours: int = Field(description="非工作时间查看次数（工作日 07:00 前、21:00 后及休息日、节假日）")
    works_shifts: bool = Field(description="轮班岗位（话务员、派单员、回访员）：非工作时间查看不提示")
    exports: int
    clients: int = Field(description="不同来源地址数")
    first_at: datetime
    last_at: datetime
    flags: list[str] = Field(description="提示：需要审查人员核实的情况，不是结论")


class FeedReadsOut(BaseModel):
    user_id: int
    username: str
    pages: int = Field(description="拉取到事件的次数（每次一页）")
    pushed: int = Field(description="推送到接收地址的页数（订阅推送）")
    clients: list[str] = Field(description="期间内使用的来源地址")
    new_clients: list[str] = Field(description="此前 90 天未用过的来源地址（新开通、此前没有读取的账号不计）")
    first_at: datetime
    last_at: datetime
    flags: list[str]


class CommandLineOut(BaseModel):
    username: str = Field(description="命令行（运行命令的操作系统账号）")
    reads: int
    exports: int
    actions: list[str] = Field(description="做了什么，按次数从多到少，如“导出报告 ×3”")
    first_at: datetime
    last_at: datetime


class ReviewOut(BaseModel):
    period_from: date
    period_to: date
    accounts: int = Field(description="符合条件的行数（分页按此计）：每个账号一行，期间内换过角色的账号按角色各一行")
    flagged: int = Field(description="其中有提示的行数")
    rules: list[str]
    notes: list[str]
    items: list[AccountAccessOut]
    page: int
    page_size: int
    feeds: list[FeedReadsOut] = Field(description="数据共享接口账号读取工单数据共享接口的情况"
                                                  "（不分页、不受角色筛选；指定 username 时只列该账号）")
    command_line: list[CommandLineOut] = Field(
        default_factory=list, description="在服务器命令行上的导出与查看（无登录账号，按操作系统账号列出；"
                                          "不分页、不受角色筛选；指定 username 时只列该账号）")


def _out(a: AccountAccess) -> AccountAccessOut:
    return AccountAccessOut(**{k: getattr(a, k) for k in AccountAccessOut.model_fields})


def _review(db: DB, rt: RT, actor: ApiActor, start: date | None, end: date | None) -> Review:
    access_review.ensure_reviewer(actor)  # before reading the dates: a 403 says more than a 422
    return access_review.review(db, actor=actor, period=access_review.make_period(now=rt.clock.now(), start=start,
                                                                                   end=end))


@router.get("/audit/access-review", response_model=ReviewOut,
            summary="个人信息访问审查：按账号汇总查看与导出（系统管理员、全市督办员）",
            description="按账号汇总期间内查看个人信息、下载附件和导出数据的次数，并按公开的规则给出需核实的提示；"
                        "最长 92 天，日期颠倒或超长返回 422。")
def access_review_api(db: DB, rt: RT, actor: ApiActor, start: From = None, end: To = None,
                      role: ReviewRole | None = None, flagged: bool = False, username: Username = None,
                      page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                      page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> ReviewOut:
    result = access_review.narrow(_review(db, rt, actor, start, end), role=role, flagged_only=flagged,
                                  username=username)
    rows = result.accounts
    return ReviewOut(period_from=result.period.start, period_to=result.period.end, accounts=len(rows),
                     flagged=sum(1 for a in rows if a.flags), rules=list(access_review.RULES_TEXT), notes=result.notes,
                     items=[_out(a) for a in rows[(page - 1) * page_size:page * page_size]], page=page,
                     page_size=page_size, feeds=[FeedReadsOut(**vars(f)) for f in result.feeds],
                     command_line=[CommandLineOut(**vars(c)) for c in result.command_line])


@router.get("/audit/access-review.xlsx", summary="导出个人信息访问审查（Excel）", response_class=Response,
            responses={200: {"content": {XLSX: {}}}},
            description="条件与 GET /audit/access-review 相同；导出记入审计日志。")
def access_review_export(db: DB, rt: RT, actor: ApiActor, start: From = None, end: To = None,
                         role: ReviewRole | None = None, flagged: bool = False, username: Username = None) -> Response:
    result = access_review.narrow(_review(db, rt, actor, start, end), role=role, flagged_only=flagged,
                                  username=username)
    return excel_response(db, rt, actor, result,
                          narrowed=access_review.filters_text(role=role, flagged_only=flagged, username=username))


def excel_response(db: DB, rt: RT, actor: ApiActor, result: Review, *, narrowed: str = "") -> Response:
    """The sheet, audited as an export (the page's button and the API both come here); `narrowed`: the
    filters, said on the sheet and in the log."""
    now = rt.clock.now()
    audit.record(db, actor=actor, at=now, action="export_access_review", object_type="audit_log",
                 object_id=f"{result.period.start:%Y%m%d}-{result.period.end:%Y%m%d}",
                 detail=f"{result.period.label}，{f'筛选：{narrowed}，' if narrowed else ''}"
                        f"{result.summary}；"
                        f"数据共享接口账号 {len(result.feeds)} 个，命令行账号 {len(result.command_line)} 个")
    db.commit()
    name = f"access-review-{result.period.start:%Y%m%d}-{result.period.end:%Y%m%d}-{to_local(now):%H%M}.xlsx"
    return Response(review_workbook(result, narrowed=narrowed), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
