"""Errors on pages: a Chinese error page for non-API paths, a redirect to the login page, while
/api/* keeps its JSON answers."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from hotline.errors import DomainError
from hotline.errors_http import chinese_message
from hotline.web.render import redirect, render
from hotline.web.session import LoginRequired, Viewer, optional_viewer

# The API's answers to what the framework refuses before our code runs (a body that is not UTF-8,
# an unknown address): the same {"code", "message"} shape as every other API error.
API_HTTP_MESSAGES = {400: "请求体无法解析：须为 UTF-8 编码的 JSON 或表单", 404: "接口不存在，请检查地址",
                     405: "该接口不支持这种请求方式"}

TITLES = {400: "请求有误", 401: "请先登录", 403: "无权访问", 404: "未找到", 405: "不支持的请求", 409: "操作未能执行",
          422: "提交的内容有误", 503: "系统繁忙"}


def is_api(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith(("/api/", "/static/"))


def _viewer(request: Request) -> Viewer | None:
    db = request.app.state.session_factory()
    try:
        return optional_viewer(request, db)
    finally:
        db.close()


async def error_page(request: Request, status_code: int, message: str) -> Response:
    viewer = await run_in_threadpool(_viewer, request) if "session" in request.scope else None
    public = request.url.path == "/public" or request.url.path.startswith("/public/")
    return render(request, "error.html", viewer=None if public else viewer, public=public, status_code=status_code,
                  title=TITLES.get(status_code, "出错了"), message=message)


async def _call(handler: Any, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    return await result if inspect.isawaitable(result) else result  # type: ignore[no-any-return]


def install(app: FastAPI) -> None:
    """Wrap the JSON handlers that errors_http installed: pages get HTML, the API keeps JSON."""
    json_domain = app.exception_handlers[DomainError]
    json_validation = app.exception_handlers[RequestValidationError]

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if is_api(request):
            return await _call(json_domain, request, exc)
        return await error_page(request, exc.status_code, exc.message)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return redirect(exc.next_url)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if is_api(request):
            return await _call(json_validation, request, exc)
        message = "；".join(dict.fromkeys(chinese_message(dict(e)) for e in exc.errors()))
        return await error_page(request, 400, message or "请求参数有误")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        allowed = allowed_methods(request) if exc.status_code == 405 else []
        if allowed:
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
        said = f"（支持：{'、'.join(allowed)}）" if allowed else ""
        if is_api(request):  # the API's one error shape, {"code", "message"}, in Chinese
            message = API_HTTP_MESSAGES.get(exc.status_code, str(exc.detail)) + said
            return JSONResponse({"code": f"http_{exc.status_code}", "message": message},
                                status_code=exc.status_code, headers=headers)
        messages = {404: "页面不存在，请检查地址", 405: "该页面不支持这种请求方式"}
        page = await error_page(request, exc.status_code, messages.get(exc.status_code, str(exc.detail)) + said)
        if allowed:
            page.headers["Allow"] = headers["Allow"]  # type: ignore[index]
        return page


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path. Starlette's 405 names only the first route's,
    and a path served by two routes (GET a list, POST to create) answered `Allow: GET`."""
    path = request.url.path
    methods = {m for route in _endpoints(request.app.router.routes) if route.path_regex.match(path)
               for m in route.methods}
    return sorted(methods)


def _endpoints(routes: Any) -> Any:
    """Routes with a full path pattern and methods. FastAPI 0.165 keeps an included router whole and
    lists its routes, prefixed, as `effective_candidates`; earlier releases copied them in flat."""
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if candidates is not None:
            yield from _endpoints(candidates() if callable(candidates) else candidates)
        elif getattr(route, "methods", None) and getattr(route, "path_regex", None) is not None:
            yield route
