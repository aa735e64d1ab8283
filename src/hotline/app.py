"""create_app(): the API routers, the web pages and the middleware, around one Settings object."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.datastructures import Headers
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline import __version__, errors_http
from hotline.analytics.api import router as analytics_router
from hotline.assessment.api import router as assessment_router
from hotline.blacklist.api import router as blacklist_router
from hotline.calls.api import router as calls_router
from hotline.clock import Clock
from hotline.config import Settings
from hotline.db import make_engine, make_session_factory
from hotline.deps import ids_in_range, text_is_unicode
from hotline.dispatch.api import router as dispatch_router
from hotline.dispatch.places_api import router as places_router
from hotline.hotlines.api import router as hotlines_router
from hotline.knowledge import warmup as kb_warmup
from hotline.knowledge.api import public_router as kb_public_router
from hotline.knowledge.api import router as kb_router
from hotline.knowledge.import_api import router as kb_import_router
from hotline.linkage.api import router as linkage_router
from hotline.open311 import api as open311
from hotline.org.api import router as org_router
from hotline.org.machines_api import router as machines_router
from hotline.ratings.api import router as ratings_router
from hotline.reports.api import router as reports_router
from hotline.reports.public_api import router as figures_public_router
from hotline.revisit.api import router as revisit_router
from hotline.runtime import Runtime
from hotline.security.review_api import router as access_review_router
from hotline.sharing.api import router as sharing_router
from hotline.sharing.push_api import router as share_push_router
from hotline.sms.api import router as sms_router
from hotline.supervision import scheduler as supervision_scheduler
from hotline.supervision.api import router as supervision_router
from hotline.tickets.api import public_router
from hotline.tickets.api import router as tickets_router
from hotline.tickets.attachments_api import router as attachments_router
from hotline.tickets.categories import catalogue
from hotline.web import pages
from hotline.wechat.api import callback_router as wechat_callback_router
from hotline.wechat.api import router as wechat_router
from hotline.workdays.api import router as calendar_router
from hotline.workforce.api import router as workforce_router

MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_UPLOAD_BYTES = 32 * 1024 * 1024  # attachment uploads; the file limit itself is a setting
# Knowledge imports check their own 5 MB limit, so that the page can say so in Chinese.
IMPORT_PATHS = frozenset({"/kb/import", "/api/v1/kb/import"})
WEB_DIR = Path(__file__).parent / "web"


class LimitBody:
    """Refuse a body over MAX_BODY_BYTES (MAX_UPLOAD_BYTES for attachment uploads) with 413.

    A declared Content-Length over the limit is refused before anything is read. A chunked body
    (no Content-Length) or one longer than declared is counted as it arrives: past the limit,
    reading stops with errors_http.BodyTooLarge, so nothing beyond the limit is ever spooled.
    A plain ASGI middleware: the @app.middleware("http") form (BaseHTTPMiddleware) costs a task group
    and two streams per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = MAX_UPLOAD_BYTES if path.endswith("/attachments") or path in IMPORT_PATHS else MAX_BODY_BYTES
        length = Headers(scope=scope).get("content-length")
        if length and length.isdecimal() and int(length) > limit:
            await errors_http.body_too_large_response(limit)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise errors_http.BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)


def create_app(settings: Settings, *, engine: Engine | None = None, clock: Clock | None = None) -> FastAPI:
    catalogue()  # validate reference data at start-up, not at the first request
    app = FastAPI(
        title="hotline12345 政务服务便民热线平台",
        version=__version__,
        description="12345 工单闭环：受理、派单、签收、退单、延期、答复、督办、办结、回访、评价。",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings)
    app.state.session_factory = make_session_factory(app.state.engine)
    app.state.runtime = Runtime.from_settings(settings, clock)

    app.add_middleware(LimitBody)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="hotline_session",
        same_site="lax",
        https_only=settings.secure_cookies,
        max_age=12 * 3600,
    )
    errors_http.install(app)
    pages.install(app)  # HTML error pages and the login redirect for non-/api paths
    open311.install(app)  # GeoReport's own error shape on its routes (wraps the two above)
    for api_router in (org_router, machines_router, tickets_router, attachments_router, public_router, kb_router,
                       kb_import_router, kb_public_router, reports_router, figures_public_router, dispatch_router,
                       places_router, blacklist_router, workforce_router, calls_router, hotlines_router,
                       supervision_router, assessment_router, analytics_router, calendar_router, sms_router,
                       sharing_router, share_push_router, wechat_router, access_review_router, ratings_router,
                       revisit_router, linkage_router):
        app.include_router(api_router, responses=errors_http.API_ERRORS,  # {code, message}, documented
                           dependencies=[Depends(ids_in_range), Depends(text_is_unicode)])
    app.include_router(open311.router)
    app.include_router(wechat_callback_router)  # WeChat's server URL: its own answers (XML, success)
    app.include_router(pages.router)
    supervision_scheduler.install(app)  # the in-process scheduler, when settings.scheduler says so
    kb_warmup.install(app)  # the knowledge search built beside the start (settings.kb_warm_at_start)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:  # browsers ask for it whatever the page says (a 404 on every page)
        return RedirectResponse("/static/favicon.svg", status_code=301)

    return app
