"""The page 知识盲区: the questions the assistant could not answer, most asked first, for editors to
write the missing article (a link opens the article form with the question filled in) or to mark
the question filled by an existing article, or dismissed with a reason. Each open question shows
the closest published article, and one click adds the question to it as a phrasing (a revision
for review) and marks it filled; and, on its second tab, the
callers' wordings that the hall answered from an article the search did not put first (问法 to add)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.clock import to_local
from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.excel import local_minute, table_workbook
from hotline.knowledge import gaps, harvest, rules, service
from hotline.knowledge.models import Article, UnansweredQuestion
from hotline.knowledge.search import Hit, SearchFilters
from hotline.runtime import Runtime
from hotline.web.forms import is_id, text
from hotline.web.kb import XLSX, KbViewer
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm

router = APIRouter()
PAGE_SIZE = 30
EXPORT_MAX = 10_000
HARVEST_DAYS = 90  # cited tickets of the last quarter
STATUS_TABS = [("open", "待补充"), ("filled", "已补充条目"), ("dismissed", "无需补充"), ("all", "全部")]


def _filters(request: Request) -> tuple[gaps.GapFilters, str, str]:
    raw = request.query_params.get("status") or "open"
    status = gaps.status_of(raw)
    q = gaps.search_text(request.query_params.get("q"))
    return gaps.GapFilters(status=status, text=q), str(status) if status else "all", q or ""


@router.get("/kb/gaps")
def gap_list(request: Request, db: DB, rt: RT, viewer: KbViewer) -> HTMLResponse:
    filters, status, q = _filters(request)
    page = page_number(request.query_params)
    who = service.who(db, viewer.actor)
    items, total = gaps.list_gaps(db, who=who, filters=filters, page=page, page_size=PAGE_SIZE)
    return render(request, "kb_gaps.html", viewer=viewer, items=items, total=total, status=status, q=q,
                  may_dismiss=gaps.may_dismiss(who), nearest=_nearest(db, rt, who, items),
                  tabs=STATUS_TABS, counts=gaps.counts(db), channel_labels=gaps.CHANNEL_LABELS,
                  status_labels=gaps.STATUS_LABELS, may_draft=rules.may_draft(who, viewer.actor.unit_id),
                  pager=pager(request.query_params, "/kb/gaps", total, page=page, page_size=PAGE_SIZE))


def _back(form: Any) -> str:
    back = text(form, "back")
    return back if back.startswith("/kb/gaps") else "/kb/gaps"  # never an open redirect


@dataclass(frozen=True)
class Nearest:
    hit: Hit
    may_adopt: bool  # the viewer may add a phrasing to it now (own unit or the centre; no pending revision)


def _nearest(db: Session, rt: Runtime, who: rules.Who, items: list[UnansweredQuestion]) -> dict[int, Nearest]:
    """The closest published article valid now to each open question on the page (one search
    batch): often the knowledge base has the answer and the caller's wording only needs adding as
    a phrasing."""
    open_items = [(g.id, g.text) for g in items if g.status == gaps.GapStatus.OPEN]
    for g in items:  # kept as read: the search ends the transaction, which would expire them all
        db.expunge(g)
    if not open_items:
        return {}
    found = service.search_published_many(db, queries=[t for _, t in open_items],
                                          filters=SearchFilters(at=rt.clock.now()), limit=1)
    top = {gid: hits[0] for (gid, _), hits in zip(open_items, found, strict=True) if hits}
    state = {aid: (owner, current != published) for aid, owner, current, published in db.execute(
        select(Article.id, Article.owner_unit_id, Article.current_version_id, Article.published_version_id)
        .where(Article.id.in_({h.article_id for h in top.values()})))}
    out = {}
    for gid, hit in top.items():
        owner, pending = state.get(hit.article_id, (None, True))
        out[gid] = Nearest(hit=hit, may_adopt=not pending and rules.may_draft(who, owner))
    return out


@router.post("/kb/gaps/{gap_id}/adopt", response_model=None)
def adopt_gap(gap_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
              viewer: KbViewer) -> RedirectResponse:
    """Add the unanswered question as a phrasing of an article (a revision submitted for review)
    and mark the question filled by that article, in one transaction."""
    back = _back(form)
    article_id = text(form, "article_id")
    try:
        if not is_id(article_id):
            raise DomainError("kb_article_not_found", "请选择知识条目", status_code=422)
        gap, article = gaps.adopt_as_phrasing(db, rt, who=service.who(db, viewer.actor), gap_id=gap_id,
                                              article_id=int(article_id), now=rt.clock.now())
    except DomainError as exc:
        db.rollback()
        flash(request, exc.message, "error")
        return redirect(back)
    flash(request, f"已在条目 {article.key} 中加入问法“{gap.text[:30]}”并提交审核，该问题标记为已补充")
    return redirect(back)


@router.get("/kb/gaps/export.xlsx")
def gap_export(request: Request, db: DB, rt: RT, viewer: KbViewer) -> Response:
    filters, _, _ = _filters(request)
    items, _ = gaps.list_gaps(db, who=service.who(db, viewer.actor), filters=filters, page=1,
                              page_size=EXPORT_MAX)
    rows = ([g.text, g.asked, gaps.CHANNEL_LABELS.get(g.channel, g.channel), local_minute(g.first_at),
             local_minute(g.last_at), gaps.STATUS_LABELS.get(g.status, g.status), g.article_key or "", g.note or "",
             g.closed_by_name or ""] for g in items)
    body = table_workbook(sheet="知识盲区", title="智能问答未能答复的问题", rows=rows, columns=[
        ("问题", 50), ("被问次数", 10), ("最近渠道", 12), ("首次", 18), ("最近", 18), ("状态", 12),
        ("补充的条目", 18), ("说明", 30), ("处理人", 12)])
    name = f"kb-gaps-{to_local(rt.clock.now()):%Y%m%d-%H%M}.xlsx"
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/kb/gaps/{gap_id}/close", response_model=None)
def close_gap(gap_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
              viewer: KbViewer) -> RedirectResponse:
    filled = text(form, "intent") == "filled"
    back = _back(form)
    try:
        gap = gaps.close(db, who=service.who(db, viewer.actor), gap_id=gap_id, now=rt.clock.now(), filled=filled,
                         article_key=text(form, "article_key"), note=text(form, "note"))
    except DomainError as exc:
        db.rollback()
        flash(request, exc.message, "error")
        return redirect(back)
    flash(request, f"已标记“{gap.text[:30]}”为{gaps.STATUS_LABELS[gaps.GapStatus(gap.status)]}")
    return redirect(back)


# ---- wordings to add as phrasings (问法), from the hall's direct answers ----------------------------


@router.get("/kb/gaps/phrasings")
def phrasing_list(request: Request, db: DB, rt: RT, viewer: KbViewer) -> HTMLResponse:
    items = harvest.suggestions(db, rt, actor=viewer.actor, since=rt.clock.now() - timedelta(days=HARVEST_DAYS))
    return render(request, "kb_phrasings.html", viewer=viewer, items=items, days=HARVEST_DAYS)


@router.post("/kb/gaps/phrasings", response_model=None)
def adopt_phrasing(request: Request, form: CheckedForm, db: DB, rt: RT, viewer: KbViewer) -> RedirectResponse:
    article_id = text(form, "article_id")
    wording = text(form, "wording")
    try:
        if not is_id(article_id):
            raise DomainError("kb_article_not_found", "请选择知识条目", status_code=422)
        article = harvest.adopt(db, rt, actor=viewer.actor, article_id=int(article_id), wording=wording)
    except DomainError as exc:
        db.rollback()
        flash(request, exc.message, "error")
        return redirect("/kb/gaps/phrasings")
    flash(request, f"已在条目 {article.key} 中加入问法“{wording}”并提交审核（第 {article.version_count} 版）")
    return redirect("/kb/gaps/phrasings")
