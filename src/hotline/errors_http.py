"""Every error becomes a clear Chinese message: domain errors, validation errors, malformed JSON."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import StatementError
from starlette.responses import Response

from hotline.errors import DomainError

FIELD_LABELS = {
    "kind": "诉求类型", "channel": "受理渠道", "urgency": "紧急程度", "category_code": "诉求分类",
    "requester_name": "诉求人姓名", "requester_phone": "联系电话", "requester_org": "企业名称",
    "occurred_at": "发生时间", "occurred_desc": "发生时间描述", "address": "发生地点",
    "jurisdiction_code": "属地", "title": "诉求标题", "content": "诉求内容", "circumstances": "事情经过",
    "attachments": "附件", "dispatch": "派单", "lead_unit_id": "主办单位", "assisting_unit_ids": "协办单位",
    "answer": "答复内容", "answer_source": "答复依据", "note": "备注", "reason": "理由", "days": "延期天数",
    "solved": "是否解决", "satisfaction": "满意度", "parent_id": "主工单", "comment": "评价意见",
    "conclusion": "研判结论",
    "number": "工单编号", "phone_last4": "手机号后四位", "username": "用户名", "password": "密码",
    "page": "页码", "page_size": "每页条数", "filename": "文件名", "size_bytes": "文件大小",
    "display_name": "名称", "key_name": "密钥备注", "role": "角色",
    # the dispatch catalogue and the place names
    "category_prefix": "分类代码", "lead_unit_code": "主办单位代码", "assisting_unit_codes": "协办单位代码",
    "name": "名称", "min_support": "最少工单数", "min_purity": "同一属地占比", "apply": "是否写入", "q": "搜索词",
    "names": "要写入的地名",
    # the knowledge base
    "questions": "问题", "question": "问题", "phrasings": "问法", "tags": "标签", "policy_basis": "政策依据",
    "policy_source": "政策来源", "change_note": "修改说明", "key": "外部编号", "valid_from": "生效日期",
    "expires_at": "失效日期", "expires_on": "失效日期", "text": "内容", "contact": "联系方式", "from": "开始日期",
    "to": "结束日期", "accepted": "是否采纳", "audience": "适用对象", "owner_unit_id": "责任单位",
    "limit": "条数", "status": "状态", "outcome": "处理结果", "offset": "起始位置",
    # query parameters, headers and the fields of other areas' bodies that errors named in English
    "created_from": "受理时间（起）", "created_to": "受理时间（止）", "since": "起始时间", "until": "截止时间",
    "category": "分类", "idempotency-key": "幂等键（Idempotency-Key）", "action": "操作",
    "article_key": "知识条目编号", "question_col": "问题所在列", "answer_col": "答复所在列", "wording": "问法",
    "pick": "所选答复", "subject": "主题", "history": "对话记录", "ticket_id": "工单编号", "query": "查询内容",
    "attendees": "参会人员", "ticket_numbers": "工单编号", "unit_code": "单位代码",
    "scope_jurisdiction_code": "数据范围属地代码", "rule_id": "规则编号", "parent_number": "主工单编号",
    "call_id": "通话编号", "line_id": "热线编号", "user_id": "用户编号", "rating": "公众评价",
}
# Where a route means something else by a common name: a diff's from/to are version numbers, the
# phrasing suggestions' days a look-back window. A package adds its own with `route_labels`.
ROUTE_LABELS: list[tuple[re.Pattern[str], dict[str, str]]] = [
    (re.compile(r"^/api/v1/kb/articles/[^/]+/diff$"), {"from": "起始版本号", "to": "截止版本号"}),
    (re.compile(r"^/api/v1/kb/phrasing-suggestions"), {"days": "统计天数"}),
]
# Per route, for a field: the Chinese label of each code it accepts, and what a well-formed value looks
# like ("热线类别取值无效，可选：department（部门热线）…", "热线号码格式不正确：应为 3 至 12 位数字").
ROUTE_CHOICES: list[tuple[re.Pattern[str], dict[str, dict[str, str]]]] = []
ROUTE_FORMATS: list[tuple[re.Pattern[str], dict[str, str]]] = []


def route_labels(prefix: str, labels: dict[str, str], *, choices: dict[str, dict[str, str]] | None = None,
                 formats: dict[str, str] | None = None) -> None:
    """Name the fields of the routes under `prefix` in Chinese in validation errors (a registry's
    `number` is a 热线号码, not the 工单编号 it is elsewhere)."""
    pattern = re.compile("^" + re.escape(prefix) + "(/|$)")
    ROUTE_LABELS.append((pattern, labels))
    if choices:
        ROUTE_CHOICES.append((pattern, choices))
    if formats:
        ROUTE_FORMATS.append((pattern, formats))


class ErrorOut(BaseModel):
    """Every API error: a stable code and a Chinese message (validation adds `errors`, per field)."""
    code: str
    message: str
    errors: list[dict[str, str]] | None = None


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


# Published in the OpenAPI document for every API operation (each answers some of them).
API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("请求体无法解析"), 401: _error("未登录或令牌无效"), 403: _error("无权执行此操作"),
    404: _error("对象不存在"), 409: _error("与当前状态冲突（如工单状态、重复提交）"), 413: _error("请求体过大"),
    422: _error("参数校验未通过，errors 逐项说明"), 429: _error("请求过于频繁"),
    503: _error("系统繁忙（数据库正被其他写入占用），请稍后重试"),
}


class BodyTooLarge(HTTPException):
    """The body grew past the limit while it was read (a chunked upload, or more than declared).
    An HTTPException so that FastAPI's body parsing passes it on instead of answering 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_too_large_message(limit))
        self.limit = limit


def _too_large_message(limit: int) -> str:
    return f"请求体过大（上限 {limit // (1024 * 1024)} MB）"


def body_too_large_response(limit: int) -> JSONResponse:
    return JSONResponse({"code": "body_too_large", "message": _too_large_message(limit)}, status_code=413)


OUT_OF_RANGE_SQLSTATES = {"22003", "22008"}  # numeric value out of range; datetime field overflow


def _out_of_range_value(exc: BaseException) -> bool:
    if isinstance(exc, OverflowError):
        return True
    if isinstance(exc, StatementError):  # DataError included: the driver's error is in .orig
        orig = exc.orig
        return isinstance(orig, OverflowError) or getattr(orig, "sqlstate", None) in OUT_OF_RANGE_SQLSTATES
    return False


BUSY_SQLSTATES = {"40001", "40P01", "55P03", "57014"}  # serialization, deadlock, lock not available, timeout


def _busy(exc: BaseException) -> bool:
    """The database kept the request waiting too long for another writer (SQLite's busy timeout, a
    PostgreSQL lock or deadlock): a moment's congestion, answered 503 so that the client tries again."""
    if not isinstance(exc, StatementError):
        return False
    orig = exc.orig
    return "database is locked" in str(orig) or getattr(orig, "sqlstate", None) in BUSY_SQLSTATES


# The fields of a chat turn sent back to POST /chat (knowledge.schemas.ChatTurnIO), and of its options.
CHAT_TURN_LABELS = {"question": "问题", "query": "检索语句", "base": "原问题", "kind": "答复类型", "key": "知识编号",
                    "title": "标题", "options": "候选答案", "picked": "是否选定", "context": "上下文方式",
                    "subject": "主题"}


def _field(loc: tuple[Any, ...], labels: dict[str, str] | None = None) -> str:
    # the location first ("body", "query" …), then the field's path: a body field named "query" is a field
    inner = loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else loc
    parts = [p for p in inner if not isinstance(p, int)]
    if not parts:
        return "请求"
    name = str(parts[-1])
    if "history" in parts[:-1]:  # a chat turn sent back: its fields are not a ticket's (kind ≠ 诉求类型)
        label = CHAT_TURN_LABELS.get(name, name)
        return f"对话记录第{next(p for p in inner if isinstance(p, int)) + 1}轮的{label}" \
            if any(isinstance(p, int) for p in inner) else f"对话记录的{label}"
    label = (labels or {}).get(name) or FIELD_LABELS.get(name) or FIELD_LABELS.get(name.lower())
    if label is None and loc and loc[0] == "path":  # an id in the address nobody named (QA: line_id须为数字)
        return "地址中的编号"
    return label or name


def _name(loc: tuple[Any, ...]) -> str:
    parts = [p for p in loc if not isinstance(p, int) and p not in ("body", "query", "path", "header", "cookie")]
    return str(parts[-1]) if parts else ""


def chinese_message(err: dict[str, Any], labels: dict[str, str] | None = None,
                    choices: dict[str, dict[str, str]] | None = None, formats: dict[str, str] | None = None) -> str:
    """`labels` names fields where a page means something else by them (an article's 标题); `choices`
    gives the labels of a field's codes, `formats` the shape a field's value must have."""
    kind = err.get("type", "")
    field = _field(tuple(err.get("loc", ())), labels)
    name = _name(tuple(err.get("loc", ())))
    ctx = err.get("ctx") or {}
    if kind == "json_invalid":
        return "请求体不是合法的 JSON"
    if kind == "missing":
        return "缺少请求内容" if field == "请求" else f"缺少必填项：{field}"
    if kind == "string_too_long":
        return f"{field}过长，最多 {ctx.get('max_length')} 个字符"
    if kind == "string_too_short" and not str(err.get("input") or "").strip():
        return f"请填写{field}"
    if kind == "string_too_short":
        return f"{field}过短，至少 {ctx.get('min_length')} 个字符"
    if kind == "too_long":
        return f"{field}数量过多，最多 {ctx.get('max_length')} 项"
    if kind == "too_short":
        return f"{field}至少需要 {ctx.get('min_length')} 项"
    if kind == "list_type":
        return f"{field}应为列表"
    if kind == "string_type":
        return f"{field}应为文字"
    if kind == "string_pattern_mismatch":
        shape = (formats or {}).get(name)
        return f"{field}格式不正确：{shape}" if shape else f"{field}格式不正确"
    if kind in ("enum", "literal_error") and err.get("input") in ("", None):
        return f"请选择{field}"
    if kind in ("enum", "literal_error"):  # pydantic lists "'a', 'b' or 'c'": the codes, in a Chinese list
        codes = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        named = (choices or {}).get(name, {})
        codes = [f"{c}（{named[c]}）" if c in named else c for c in codes]
        return f"{field}取值无效，可选：{'、'.join(codes) or ctx.get('expected')}"
    if kind in ("int_parsing", "int_type", "float_parsing", "float_type", "int_from_float"):
        return f"{field}须为数字"
    if kind in ("bool_parsing", "bool_type"):
        return f"{field}须为是/否"
    if kind.startswith("date_"):
        return f"{field}不是有效的日期（示例 2026-11-23）"
    if kind.startswith("datetime"):
        return f"{field}不是有效的时间（示例 2026-11-23T09:30:00+08:00）"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{field}不能小于 {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"{field}不能大于 {ctx.get('le', ctx.get('lt'))}"
    if kind == "extra_forbidden":
        return f"不认识的字段：{field}"
    if kind == "value_error":
        return str(ctx.get("error") or err.get("msg", "")).removeprefix("Value error, ")
    if kind == "string_unicode":
        return f"{field}含有无法识别的字符"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{field}格式不正确，应为对象"
    return f"{field}无效：{err.get('msg', '')}"


def install(app: FastAPI) -> None:
    @app.exception_handler(OverflowError)
    @app.exception_handler(StatementError)
    async def _out_of_range(request: Request, exc: Exception) -> Response:
        # A number or a time beyond what the database stores (an id or a page of 2^80, the year 1 in
        # UTC+14): the client's mistake, not ours; a wait for another writer that ran out: try again.
        # Answered like any domain error, through whatever handler the app has for those now (the
        # pages wrap it in HTML). Any other database error is ours, and stays a 500.
        if _busy(exc):
            error = DomainError("busy", "系统繁忙（数据正被其他操作占用），请稍后重试；已填写的内容请勿关闭页面",
                                status_code=503)
        elif not _out_of_range_value(exc):
            raise exc
        else:
            error = DomainError("value_out_of_range", "参数数值超出范围，请检查编号、页码或日期", status_code=422)
        return await request.app.exception_handlers[DomainError](request, error)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return body_too_large_response(exc.limit)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"code": exc.code, "message": exc.message}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        path = request.url.path
        labels = next((names for pattern, names in ROUTE_LABELS if pattern.match(path)), None)
        choices = next((named for pattern, named in ROUTE_CHOICES if pattern.match(path)), None)
        formats = next((shapes for pattern, shapes in ROUTE_FORMATS if pattern.match(path)), None)
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())),
             "message": chinese_message(e, labels, choices, formats)}
            for e in exc.errors()
        ]
        return JSONResponse(
            {"code": "invalid_request", "message": "；".join(e["message"] for e in errors), "errors": errors},
            status_code=422,
        )
