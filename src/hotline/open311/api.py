"""Open311 GeoReport v2 endpoints (JSON format) under /open311/v2.

POST requests carry form fields, as the specification says; errors answer GeoReport's shape,
[{"code": status, "description": "…"}], with that status. Service lists are public; submitting and
reading requests need `api_key`: the access token of a channel account (`hotline open311 account`)."""

from __future__ import annotations

import inspect
import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import Response

from hotline.clock import CHINA_TZ
from hotline.deps import DB, RT, client_of
from hotline.errors import DomainError
from hotline.errors_http import chinese_message
from hotline.open311 import service
from hotline.open311.service import Open311Error
from hotline.tickets.categories import catalogue
from hotline.web.errors import allowed_methods


def _our_jurisdiction(request: Request, value: object) -> None:
    """GeoReport's jurisdiction_id is needed only where one endpoint serves several jurisdictions; this one
    serves one city. Absent, or naming this city (its code, its name, or this server's host), it is
    fine; any other is refused with 404 as the specification says, rather than filed under this city."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return
    settings = request.app.state.runtime.settings
    text = value.strip().lower() if isinstance(value, str) else ""
    ours = {settings.city_code.lower(), settings.city_name, settings.city_name.removesuffix("市"),
            (request.url.hostname or "").lower()}
    if text not in ours:
        shown = text[:40] or "（非文本）"
        raise Open311Error("open311", f"jurisdiction_id {shown} 不是本平台的辖区：本接口只受理"
                           f"{settings.city_name}（jurisdiction_id 可不填，或填 {settings.city_code.lower()}）",
                           status_code=404)


def _query_jurisdiction(request: Request,
                        jurisdiction_id: Annotated[str | None, Query(max_length=200)] = None) -> None:
    _our_jurisdiction(request, jurisdiction_id)


router = APIRouter(prefix="/open311/v2", tags=["open311"], dependencies=[Depends(_query_jurisdiction)])
SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-25T00:00:00+08:00"


async def form_data(request: Request) -> FormData:
    kind, _, params = request.headers.get("content-type", "").partition(";")
    kind = kind.strip().lower()
    # A JSON body read as a form is empty: say what is wrong instead of "缺少 api_key" (QA).
    if kind == "application/json":
        raise Open311Error("open311", "GeoReport v2 的提交须为表单字段（application/x-www-form-urlencoded"
                           " 或 multipart/form-data），不接受 JSON", status_code=400)
    if kind == "application/x-www-form-urlencoded":
        return _urlencoded(await request.body(), params)
    return await request.form()


def _urlencoded(body: bytes, params: str) -> FormData:
    """Starlette reads unescaped bytes of a urlencoded body as Latin-1, so `curl -d description=路灯…`
    (the example in docs/api.md) stored 路灯 as mojibake (QA). Read them in the declared charset
    (a Chinese system may declare GBK), UTF-8 when none is."""
    charset = next((v.strip().strip('"') for k, _, v in (p.partition("=") for p in params.split(";"))
                    if k.strip().lower() == "charset"), "utf-8")
    try:
        return FormData(parse_qsl(body.decode(charset), keep_blank_values=True, encoding=charset,
                                  errors="strict", max_num_fields=200))
    except (LookupError, UnicodeDecodeError):
        raise Open311Error("open311", f"表单无法按 {charset} 编码读取：请以 UTF-8 提交"
                           "（或在 Content-Type 中注明 charset）", status_code=400) from None
    except ValueError:
        raise Open311Error("open311", "表单字段过多", status_code=400) from None


Form = Annotated[FormData, Depends(form_data)]


_PLUS_READ_AS_SPACE = re.compile(r"(?<=:\d\d) (\d\d(?::?\d\d)?)$")  # 09:00:00 08:00 → 09:00:00+08:00


def _when(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    """A W3C time; a bare date as an end means the whole of that day (QA: end_date=2026-11-25 left
    out the requests of the 25th)."""
    if not value:
        return None
    try:
        if end and len(value.strip()) == 10:
            day = date.fromisoformat(value.strip())
            return datetime.combine(day + timedelta(days=1), datetime.min.time(), CHINA_TZ) - timedelta(microseconds=1)
        # a "+08:00" typed into a URL arrives as " 08:00" (QA: the example in this very message was refused)
        text = _PLUS_READ_AS_SPACE.sub(r"+\1", value.strip())
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if not 1900 <= at.year <= 2200:
            raise ValueError(value)
    except ValueError:
        raise Open311Error("open311", f"{name} 须为 ISO 8601 时间，如 2026-11-25T09:00:00+08:00",
                           status_code=400) from None
    return at if at.tzinfo else at.replace(tzinfo=CHINA_TZ)


@router.get("/discovery.json", summary="Open311 服务发现")
def discovery(request: Request) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/") + router.prefix
    return {"changeset": CHANGESET, "contact": "12345政务服务便民热线",
            "key_service": "由12345中心管理员开通渠道接入账号",
            "endpoints": [{"specification": SPEC, "url": base, "changeset": CHANGESET, "type": "production",
                           "formats": ["application/json"]}]}


@router.get("/services.json", summary="Open311 服务（诉求分类）列表")
def services() -> list[dict[str, Any]]:
    nodes = catalogue()
    return [{"service_code": c.code, "service_name": c.name,
             "description": " / ".join(nodes[p].name for p in c.path_codes if p in nodes),
             "metadata": True, "type": "realtime", "keywords": "",
             "group": nodes[c.path_codes[0]].name} for c in service.services()]


@router.get("/services/{service_code}.json", summary="Open311 服务定义（需补充的受理要素）")
def service_definition(service_code: str) -> dict[str, Any]:
    found = service.service(service_code)
    return {"service_code": found.code, "attributes": [
        {"variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
         "datatype_description": None, "order": a.order, "description": a.description,
         "values": [{"key": k, "name": n} for k, n in a.values]} for a in service.attributes()]}


@router.post("/requests.json", status_code=201, summary="Open311 提交诉求（表单字段）")
def post_request(request: Request, form: Form, db: DB, rt: RT,
                 idempotency_key: Annotated[str | None, Header(max_length=128)] = None) -> list[dict[str, Any]]:
    _our_jurisdiction(request, form.get("jurisdiction_id"))
    api_key = form.get("api_key")
    actor = service.authenticate(db, api_key=api_key if isinstance(api_key, str) else None, now=rt.clock.now(),
                                 client=client_of(request))
    ticket = service.submit(db, rt, actor=actor, form=form, idempotency_key=idempotency_key)
    return [{"service_request_id": ticket.number, "account_id": None,
             "service_notice": f"已受理，工单编号 {ticket.number}"
             + (f"；办理时限：{ticket.time_limit_label}" if ticket.time_limit_label else "")}]


@router.get("/requests.json", summary="Open311 查询本渠道提交的诉求")
def get_requests(
    request: Request, db: DB, rt: RT,
    api_key: Annotated[str | None, Query(max_length=200)] = None,
    service_request_id: Annotated[str | None, Query(max_length=4000)] = None,
    service_code: Annotated[str | None, Query(max_length=16)] = None,
    start_date: Annotated[str | None, Query(max_length=40)] = None,
    end_date: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
) -> list[dict[str, Any]]:
    actor = service.authenticate(db, api_key=api_key, now=rt.clock.now(), client=client_of(request))
    ids = [x.strip() for x in service_request_id.split(",") if x.strip()] if service_request_id else None
    if ids:  # GeoReport: service_request_id "overrides all other arguments"
        found = service.own_requests(db, actor=actor, ids=ids)
    else:
        found = service.own_requests(db, actor=actor, service_code=service_code, start=_when(start_date, "start_date"),
                                     end=_when(end_date, "end_date", end=True), status=status, now=rt.clock.now())
    return [service.request_out(t) for t in found]


@router.get("/requests/{service_request_id}.json", summary="Open311 查询一件诉求")
def get_request(service_request_id: str, request: Request, db: DB, rt: RT,
                api_key: Annotated[str | None, Query(max_length=200)] = None) -> list[dict[str, Any]]:
    actor = service.authenticate(db, api_key=api_key, now=rt.clock.now(), client=client_of(request))
    found = service.own_requests(db, actor=actor, ids=[service_request_id])
    if not found:
        raise Open311Error("open311", f"没有编号为 {service_request_id} 的本渠道诉求", status_code=404)
    return [service.request_out(found[0])]


_HTTP_MESSAGES = {
    404: "接口不存在：GeoReport v2 的地址为 /open311/v2/services.json、/open311/v2/requests.json 等（仅支持 JSON）",
    405: "该接口不支持这种请求方式", 400: "请求无法解析"}


def install(app: FastAPI) -> None:
    """Every error under /open311/v2 in GeoReport's shape: wraps the handlers already installed (the
    JSON ones, and the pages' HTML ones around them), so call it after both."""
    previous = {cls: app.exception_handlers[cls] for cls in (DomainError, RequestValidationError, HTTPException)}

    def georeport(cls: type[Exception]) -> Any:
        async def handle(request: Request, exc: Exception) -> Response:
            if not request.url.path.startswith(router.prefix + "/"):
                result = previous[cls](request, exc)
                return await result if inspect.isawaitable(result) else result  # type: ignore[no-any-return]
            if isinstance(exc, DomainError):
                status, message = exc.status_code, exc.message
            elif isinstance(exc, RequestValidationError):
                status = 400
                message = "；".join(dict.fromkeys(chinese_message(dict(e)) for e in exc.errors()))
            else:  # the framework's own refusals ("Not Found"), said in Chinese like the rest
                status = getattr(exc, "status_code", 400)
                message = _HTTP_MESSAGES.get(status) or str(getattr(exc, "detail", "请求有误"))
            headers = dict(getattr(exc, "headers", None) or {})
            if status == 405 and (methods := allowed_methods(request)):
                headers["Allow"] = ", ".join(methods)
            return JSONResponse([{"code": status, "description": message}], status_code=status, headers=headers)

        return handle

    for cls in previous:
        app.add_exception_handler(cls, georeport(cls))
