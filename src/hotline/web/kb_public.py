"""Reading the knowledge base: the public knowledge page (no login: search, categories, the most
used answers, one article, and 查漏纠错), and the staff lookup (published answers, internal ones too).

The public sees only what the public search sees: published public / enterprise articles valid at
this moment. A draft, an internal answer or an expired one is "not found", never shown.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from hotline.deps import DB, RT, client_of
from hotline.errors import DomainError
from hotline.knowledge import public_reports, reading, service, similar
from hotline.knowledge.assistant import decide, emergency, lead
from hotline.knowledge.enums import AUDIENCE_LABELS, PUBLIC_AUDIENCES
from hotline.knowledge.schemas import ReportIn
from hotline.tickets.categories import catalogue, full_name
from hotline.web import choices
from hotline.web.forms import errors_of, text
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for

router = APIRouter()
LookupViewer = Annotated[Viewer, Depends(viewer_for("knowledge"))]
QUERY_MAX = 300
AUDIENCES = {str(k): v for k, v in AUDIENCE_LABELS.items()}


def _query(request: Request) -> str:
    return (request.query_params.get("q") or "").strip()[:QUERY_MAX]


# ---- the public knowledge page ------------------------------------------------------------


@router.get("/public/kb")
def public_home(request: Request, db: DB, rt: RT) -> HTMLResponse:
    now = rt.clock.now()
    q = _query(request)
    cut = len((request.query_params.get("q") or "").strip()) > QUERY_MAX  # said on the page, not silent
    category = (request.query_params.get("category") or "").strip()[:32]
    if category not in catalogue():  # a code no category has (typed, or from an old link): all questions
        category = ""
    hits = []
    reply = emergency(q) if q else None  # an emergency: call now, before any search
    if q and reply is None:
        filters = service.search_filters(db, rt, audiences=frozenset(str(a) for a in PUBLIC_AUDIENCES))
        hits = service.search_published(db, query=q, filters=filters, limit=10)
        # The assistant decides from the top five hits, as POST /api/v1/public/kb/ask does.
        reply = decide(q, hits[:5])
    page = page_number(request.query_params)
    listed, total = ([], 0) if q else reading.public_list(db, now=now, category_code=category or None, page=page,
                                                           page_size=10)
    return render(request, "kb_public.html", public=True, q=q, hits=hits, reply=reply, category=category,
                  places=reading.place_names(db, [*(h.jurisdiction_path for h in hits),
                                                  *(o.jurisdiction_path for o in (reply.options if reply else []))]),
                  category_label=full_name(category) if category else "", listed=listed, total=total,
                  categories=[] if q else reading.public_categories(db, now=now),
                  pager=pager(request.query_params, "/public/kb", total, page=page, page_size=10),
                  category_name=full_name, cut=cut, query_max=QUERY_MAX,
                  leads={h.key: lead(h.answer, 40) for h in hits})  # how competing answers begin


def _article_page(request: Request, db: DB, rt: RT, key: str, *, errors: list[str] | None = None,
                  values: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    article, version = reading.public_article(db, key=key, now=rt.clock.now())
    filters = service.search_filters(db, rt, audiences=frozenset(str(a) for a in PUBLIC_AUDIENCES))
    others = similar.related(db, question=version.questions[0] if version.questions else version.title,
                             filters=filters, exclude_article_id=article.id)
    return render(request, "kb_public_article.html", public=True, status_code=status_code, a=article, v=version,
                  related=others, place=reading.place_names(db, [version.jurisdiction_path]).get(
                      version.jurisdiction_path or ""),
                  errors=errors or [], values=values or {}, category_name=full_name, audience_labels=AUDIENCES)


@router.get("/public/kb/{key}")
def public_article(key: str, request: Request, db: DB, rt: RT) -> HTMLResponse:
    return _article_page(request, db, rt, key)


@router.post("/public/kb/{key}/report", response_model=None)
def public_report(key: str, request: Request, form: CheckedForm, db: DB, rt: RT) -> HTMLResponse | RedirectResponse:
    """查漏纠错 from the public: the owning unit must answer it."""
    article, _ = reading.public_article(db, key=key, now=rt.clock.now())
    values = {"text": text(form, "text"), "contact": text(form, "contact")}
    try:
        data = ReportIn.model_validate({"text": values["text"], "contact": values["contact"] or None})
        public_reports.report(db, rt, key=key, client=client_of(request), text=data.text, contact=data.contact)
    except ValidationError as exc:
        return _article_page(request, db, rt, key, errors=errors_of(exc, {"text": "纠错内容"}), values=values,
                             status_code=422)
    except DomainError as exc:
        return _article_page(request, db, rt, key, errors=[exc.message], values=values, status_code=exc.status_code)
    flash(request, "感谢您的反馈！我们已转给该条目的负责单位核实答复。")
    return redirect(f"/public/kb/{article.key}")


# ---- the staff lookup ---------------------------------------------------------------------


@router.get("/knowledge")
def staff_lookup(request: Request, db: DB, rt: RT, viewer: LookupViewer) -> HTMLResponse:
    """Every published answer valid now, internal 口径 included, with its full text and source."""
    q = _query(request)
    jurisdiction = (request.query_params.get("jurisdiction") or "").strip()[:32]
    hits = []
    errors: list[str] = []
    if q:
        try:
            filters = service.search_filters(db, rt, audiences=None, jurisdiction_code=jurisdiction or None)
            hits = service.search_published(db, query=q, filters=filters, limit=20)
        except DomainError as exc:
            errors.append(exc.message)
    return render(request, "kb_lookup.html", viewer=viewer, q=q, hits=hits, jurisdiction=jurisdiction,
                  places=reading.place_names(db, (h.jurisdiction_path for h in hits)),
                  jurisdictions=choices.jurisdictions(db), errors=errors, category_name=full_name,
                  audience_labels=AUDIENCES)
