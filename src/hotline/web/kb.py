"""Knowledge base pages for the people who keep it: the editors' home (review queue, expiring and
expired answers, open error reports), the article list, drafting and revising, the review
decision, version history with diffs, withdrawing and restoring, answering error reports.

Every rule lives in knowledge.service / knowledge.rules: these pages only show the forms the rules
would allow and pass the service's Chinese message back when it refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.clock import to_local
from hotline.deps import DB, RT
from hotline.errors import DomainError, Forbidden, NotFound
from hotline.knowledge import export, figures, rules, service, similar
from hotline.knowledge.enums import (
    ACTION_LABELS,
    AUDIENCE_LABELS,
    FLAG_LABELS,
    REPORT_STATUS_LABELS,
    STATUS_LABELS,
    ArticleAction,
    ArticleStatus,
    Audience,
    ReportStatus,
)
from hotline.knowledge.models import Article, ArticleVersion
from hotline.knowledge.schemas import ArticleCreate, ArticleIn
from hotline.org import service as org
from hotline.org.models import UNIT_KIND_LABELS, Jurisdiction, UnitKind
from hotline.runtime import Runtime
from hotline.security.roles import Role
from hotline.tickets.categories import full_name
from hotline.web import choices
from hotline.web.forms import errors_of, is_id, text
from hotline.web.kb_forms import EXPIRING_DAYS, article_data, article_values, version_values
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for

router = APIRouter()
ARTICLE_LABELS = {"title": "标题"}  # not a ticket's 诉求标题
KbViewer = Annotated[Viewer, Depends(viewer_for("kb"))]
S = ArticleStatus
A = ArticleAction
STATUS_OPTIONS = [choices.Option(str(k), v) for k, v in STATUS_LABELS.items()]
AUDIENCE_OPTIONS = [choices.Option(str(k), v) for k, v in AUDIENCE_LABELS.items()]
FIGURES_DAYS = 30  # the window of the home page's 接诉即答 figures
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Errors about the article itself get the error page; others are shown beside the form.
ARTICLE_ERRORS = frozenset({"kb_article_not_found"})


def _label(mapping: dict[Any, str], code: str | None) -> str:
    return next((v for k, v in mapping.items() if str(k) == code), code or "—")


def _units(db: Session) -> list[choices.Option]:
    return [choices.Option(str(u.id), u.name, UNIT_KIND_LABELS[UnitKind(u.kind)]) for u in org.list_units(db)]


def _unit_names(db: Session) -> dict[int, str]:
    return {u.id: u.short_name for u in org.list_units(db, include_inactive=True)}


def _categories(current: str | None = None) -> list[choices.Option]:
    """The ticket catalogue; an imported article's own category text is kept as an option."""
    options = choices.categories()
    if current and all(o.value != current for o in options):
        options = [choices.Option(current, current), *options]
    return options


def rt_now(request: Request) -> datetime:
    return request.app.state.runtime.clock.now()


def _ctx(db: Session) -> dict[str, Any]:
    """Labels every knowledge template uses."""
    return {"status_labels": {str(k): v for k, v in STATUS_LABELS.items()},
            "audience_labels": {str(k): v for k, v in AUDIENCE_LABELS.items()},
            "flag_labels": {str(k): v for k, v in FLAG_LABELS.items()},
            "unit_names": _unit_names(db), "category_name": full_name}


# ---- home ---------------------------------------------------------------------------------


def _count(db: Session, viewer: Viewer, filters: service.ArticleFilters) -> int:
    return service.list_articles(db, actor=viewer.actor, filters=filters, page=1, page_size=1)[1]


@router.get("/kb")
def kb_home(request: Request, db: DB, rt: RT, viewer: KbViewer) -> HTMLResponse:
    now = rt.clock.now()
    who = service.who(db, viewer.actor)
    # The centre looks after every article; a unit's staff after their unit's own.
    centre = rules.may_review(who) or viewer.role == Role.ADMIN or (viewer.role == Role.KNOWLEDGE_EDITOR
                                                                    and who.in_centre)
    mine = None if centre else viewer.actor.unit_id

    def filters(**kw: Any) -> service.ArticleFilters:
        return service.ArticleFilters(owner_unit_id=mine, **kw)

    expiring, expiring_total = service.list_articles(
        db, actor=viewer.actor, filters=filters(expiring_by=now + timedelta(days=EXPIRING_DAYS)), page=1,
        page_size=20)
    expired, expired_total = service.list_articles(db, actor=viewer.actor, filters=filters(status=[S.EXPIRED]),
                                                   page=1, page_size=20)
    reports, reports_total = service.list_reports(db, actor=viewer.actor, status=ReportStatus.OPEN, page=1,
                                                  page_size=10)
    unit = f"&unit={mine}" if mine else ""
    stats = [
        ("待审核", _count(db, viewer, filters(status=[S.IN_REVIEW])), "/kb/review"),
        ("草稿", _count(db, viewer, filters(status=[S.DRAFT])), f"/kb/articles?status=draft{unit}"),
        ("已退回", _count(db, viewer, filters(status=[S.RETURNED])), f"/kb/articles?status=returned{unit}"),
        ("已发布", _count(db, viewer, filters(status=[S.APPROVED])), f"/kb/articles?status=approved{unit}"),
        (f"{EXPIRING_DAYS}天内到期", expiring_total, f"/kb/articles?expiring=1{unit}"),
        ("已失效", expired_total, f"/kb/articles?status=expired{unit}"),
        ("待答复纠错", reports_total, "/kb/reports"),
    ]
    since = now - timedelta(days=FIGURES_DAYS)
    answers = figures.direct_answers(db, since=since) if centre else None
    gaps = figures.unanswered_consultations(db, since=since) if centre else []
    handovers = figures.assistant_handovers(db, since=since) if centre else 0
    return render(request, "kb_home.html", viewer=viewer, stats=stats, expiring=expiring,
                  expiring_total=expiring_total, expired=expired, expired_total=expired_total, reports=reports,
                  now=now, days=EXPIRING_DAYS, unit=unit, may_draft=rules.may_draft(who, viewer.actor.unit_id),
                  answers=answers, gaps=gaps, handovers=handovers, figures_days=FIGURES_DAYS, **_ctx(db))


# ---- the list -----------------------------------------------------------------------------


def _list_filters(query: Any, now: datetime) -> tuple[service.ArticleFilters, dict[str, str]]:
    """Filters from the query string; unknown values are dropped rather than refused."""
    raw = {k: (query.get(k) or "").strip() for k in ("q", "status", "category", "unit", "audience", "expiring",
                                                        "flagged")}
    status = raw["status"] if raw["status"] in {str(s) for s in S} else ""
    audience = raw["audience"] if raw["audience"] in {str(a) for a in Audience} else ""
    unit = raw["unit"] if is_id(raw["unit"]) else ""
    category = raw["category"][:32]
    expiring = raw["expiring"] == "1"
    flagged = raw["flagged"] == "1"
    filters = service.ArticleFilters(
        status=[S(status)] if status else None, owner_unit_id=int(unit) if unit else None,
        audience=Audience(audience) if audience else None, category_code=category or None,
        text=raw["q"][:100] or None, flagged=True if flagged else None,
        expiring_by=now + timedelta(days=EXPIRING_DAYS) if expiring else None,
    )
    shown = {**raw, "status": status, "audience": audience, "unit": unit, "category": category,
             "expiring": "1" if expiring else "", "flagged": "1" if flagged else ""}
    return filters, shown


@router.get("/kb/articles")
def article_list(request: Request, db: DB, rt: RT, viewer: KbViewer) -> HTMLResponse:
    now = rt.clock.now()
    filters, shown = _list_filters(request.query_params, now)
    page = page_number(request.query_params)
    items, total = service.list_articles(db, actor=viewer.actor, filters=filters, page=page)
    return render(request, "kb_list.html", viewer=viewer, items=items, total=total, f=shown,
                  filtered=any(shown.values()), now=now,
                  pager=pager(request.query_params, "/kb/articles", total, page=page), statuses=STATUS_OPTIONS,
                  audiences=AUDIENCE_OPTIONS, categories=_categories(shown["category"] or None), units=_units(db),
                  days=EXPIRING_DAYS, **_ctx(db))


@router.get("/kb/articles/export.xlsx")
def article_export(request: Request, db: DB, rt: RT, viewer: KbViewer) -> Response:
    """The list's articles (same filters) as an Excel workbook, at most 10,000 rows."""
    now = rt.clock.now()
    filters, _ = _list_filters(request.query_params, now)
    items, total = service.list_articles(db, actor=viewer.actor, filters=filters, page=1, page_size=export.MAX_ROWS)
    body = export.articles_workbook(items, unit_names=_unit_names(db), category_name=full_name, total=total)
    name = f"kb-articles-{to_local(now):%Y%m%d-%H%M}.xlsx"
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/kb/review")
def review_queue(request: Request, db: DB, rt: RT, viewer: KbViewer) -> HTMLResponse:
    """Articles waiting for a reviewer's decision, the longest waiting first."""
    page = page_number(request.query_params)
    who = service.who(db, viewer.actor)
    # Revisions in review are read by the reviewers, the administrator and the centre's editors; anyone
    # else (a unit) sees its own unit's queue only (QA: every unit read every unit's unapproved answers).
    everyone = rules.may_review(who) or who.role == Role.ADMIN or rules.may_draft(who, None)
    queue = service.ArticleFilters(status=[S.IN_REVIEW], oldest_first=True,
                                   owner_unit_id=None if everyone else (viewer.actor.unit_id or -1))
    items, total = service.list_articles(db, actor=viewer.actor, filters=queue, page=page)
    versions = {a.id: service.latest_readable(db, viewer.actor, a) for a in items}
    for obj in (*items, *(v for v in versions.values() if v is not None)):
        db.expunge(obj)  # kept as read: the search below ends the transaction, which would expire them
    # Published articles that already answer a pending question (one search batch for the page).
    others = similar.similar_for_articles(db, {aid: v.questions if v else [] for aid, v in versions.items()})
    return render(request, "kb_review.html", viewer=viewer, items=items, versions=versions, total=total,
                  similar=others,
                  pager=pager(request.query_params, "/kb/review", total, page=page),
                  may_review=rules.may_review(who), me=viewer.actor.user_id, **_ctx(db))


REVIEW_BATCH_MAX = 50  # articles decided in one batch (a page of the queue is 20)


@router.post("/kb/review/batch", response_model=None)
def review_batch(request: Request, form: CheckedForm, db: DB, rt: RT, viewer: KbViewer) -> RedirectResponse:
    """通过 or 退回 the articles checked in the review queue, each on its own: one refused (the
    reviewer's own version, an expiry passed) does not stop the others, and each refusal is named."""
    decision = text(form, "decision")
    ids = list(dict.fromkeys(int(v) for v in form.getlist("ids") if isinstance(v, str) and is_id(v)))
    comment = text(form, "comment")[:2000] or None
    if decision not in ("approve", "return"):
        raise NotFound("kb_action_unknown", "没有这项批量操作")
    if not ids:
        flash(request, "请先勾选要审核的条目", "error")
        return redirect("/kb/review")
    if len(ids) > REVIEW_BATCH_MAX:
        flash(request, f"一次最多批量审核 {REVIEW_BATCH_MAX} 条", "error")
        return redirect("/kb/review")
    if decision == "return" and not comment:
        flash(request, "批量退回必须填写审核意见", "error")
        return redirect("/kb/review")
    label, run = ACTIONS[decision]
    done, refused = 0, []
    for article_id in ids:
        try:
            run(db, rt, viewer.actor, article_id, comment)
            done += 1
        except DomainError as exc:
            db.rollback()
            article = db.get(Article, article_id)
            refused.append(f"{article.key if article else article_id}：{exc.message}")
    if refused:
        flash(request, f"「{label}」{done} 条；{len(refused)} 条未能处理——" + "；".join(refused[:10]), "error")
    else:
        flash(request, f"「{label}」已完成 {done} 条")
    return redirect("/kb/review")


# ---- drafting -----------------------------------------------------------------------------


def _form_page(request: Request, db: Session, viewer: Viewer, *, values: dict[str, str], article: Article | None,
               errors: list[str] | None = None, status_code: int = 200, based_on: int | None = None,
               conflict_from: int | None = None) -> HTMLResponse:
    who = service.who(db, viewer.actor)
    choose_owner = article is None and viewer.actor.role in ("knowledge_editor", "admin") and who.in_centre
    return render(request, "kb_form.html", viewer=viewer, status_code=status_code, values=values, article=article,
                  errors=errors or [], audiences=AUDIENCE_OPTIONS, categories=_categories(values.get("category_code")),
                  jurisdictions=choices.jurisdictions(db), units=_units(db), choose_owner=choose_owner,
                  based_on=based_on, conflict_from=conflict_from, **_ctx(db))


@router.get("/kb/new")
def new_form(request: Request, db: DB, viewer: KbViewer) -> HTMLResponse:
    # ?question=… starts the draft from a question nobody could answer (the gap list, 知识盲区)
    question = (request.query_params.get("question") or "").strip()[:200]
    if not rules.may_draft(service.who(db, viewer.actor), viewer.actor.unit_id):  # the form only for who may save it
        raise Forbidden("kb_draft_forbidden",
                        "您没有起草知识条目的权限：条目由各单位的编辑或12345热线中心的知识库编辑起草")
    return _form_page(request, db, viewer, values={"audience": str(Audience.PUBLIC), "questions": question},
                      article=None)


@router.post("/kb/new", response_model=None)
def create(request: Request, form: CheckedForm, db: DB, rt: RT, viewer: KbViewer) -> HTMLResponse | RedirectResponse:
    values = article_values(form)
    try:
        data = ArticleCreate.model_validate(article_data(values, creating=True))
        article = service.create(db, rt, actor=viewer.actor, data=data)
    except ValidationError as exc:
        return _form_page(request, db, viewer, values=values, article=None, errors=errors_of(exc, ARTICLE_LABELS),
                          status_code=422)
    except DomainError as exc:
        return _form_page(request, db, viewer, values=values, article=None, errors=[exc.message],
                          status_code=exc.status_code)
    return _after_save(request, form, db, rt, viewer, article, "已保存草稿")


def _after_save(request: Request, form: Any, db: Session, rt: Runtime, viewer: Viewer, article: Article,
                saved: str) -> RedirectResponse:
    """"保存并提交审核" saves and submits in one go; a refused submit leaves the saved draft."""
    if text(form, "intent") == "submit":
        try:
            service.submit(db, rt, actor=viewer.actor, article_id=article.id)
        except DomainError as exc:
            flash(request, f"{saved}，但未能提交审核：{exc.message}", "error")
        else:
            saved += "并提交审核"
    flash(request, f"{saved}（第 {article.version_count} 版）")
    return redirect(f"/kb/articles/{article.id}")


def _version_number(value: str | None, numbers: list[int]) -> int | None:
    if value and is_id(value) and int(value) in numbers:
        return int(value)
    return None


@router.get("/kb/articles/{article_id}/edit")
def edit_form(article_id: int, request: Request, db: DB, viewer: KbViewer) -> HTMLResponse:
    article = service.get(db, actor=viewer.actor, article_id=article_id)
    if not _allowed(db, viewer, article, None).edit:  # the form only for who may save it
        raise Forbidden("kb_edit_forbidden", "无权修改该条目，或该条目当前状态不能修改")
    based_on = _version_number(request.query_params.get("from"), [v.number for v in article.versions])
    by_number = {v.number: v for v in article.versions}
    source = by_number[based_on] if based_on else service.version_of(db, article, published=False)
    values = version_values(db, source) if source else {}
    if based_on:
        values["change_note"] = f"以第{based_on}版为基础修订"
    return _form_page(request, db, viewer, values=values, article=article, based_on=based_on)


SUBMITTABLE = (ArticleStatus.DRAFT, ArticleStatus.RETURNED)


@router.post("/kb/articles/{article_id}/edit", response_model=None)
def edit(article_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
         viewer: KbViewer) -> HTMLResponse | RedirectResponse:
    article = service.get(db, actor=viewer.actor, article_id=article_id)
    values = article_values(form)
    current = service.version_of(db, article, published=False)
    try:
        payload = article_data(values, creating=False, keep=current)
        # Attachment metadata has no form field here: a revision keeps the current version's.
        payload["attachments"] = list(current.attachments) if current else []
        data = ArticleIn.model_validate(payload)
        article = service.update(db, rt, actor=viewer.actor, article_id=article_id, data=data)
    except ValidationError as exc:
        return _form_page(request, db, viewer, values=values, article=article, errors=errors_of(exc, ARTICLE_LABELS),
                          status_code=422)
    except DomainError as exc:
        if exc.code in ARTICLE_ERRORS:
            raise
        article = service.get(db, actor=viewer.actor, article_id=article_id)
        if exc.code == "kb_unchanged" and text(form, "intent") == "submit" and article.status in SUBMITTABLE:
            # 保存并提交审核 with nothing changed: the draft as it stands goes to review
            return _after_save(request, form, db, rt, viewer, article, "内容未改动，未另存新版本")
        errors = [exc.message]
        conflict_from = None
        if exc.code == "kb_edit_conflict":  # what is typed stays; saving again is a deliberate overwrite
            conflict_from = int(values["base_version"]) if values.get("base_version", "").isdigit() else None
            values["base_version"] = str(article.version_count)
        return _form_page(request, db, viewer, values=values, article=article, errors=errors,
                          status_code=exc.status_code, conflict_from=conflict_from)
    return _after_save(request, form, db, rt, viewer, article, "已保存修订")


# ---- one article --------------------------------------------------------------------------


@dataclass(frozen=True)
class Allowed:
    """Which forms to show: what the workflow table and the rules would accept from this viewer."""

    edit: bool
    submit: bool
    review: bool
    own_version: bool
    withdraw: bool
    flag: bool
    restore: bool
    answer_reports: bool


def _allowed(db: Session, viewer: Viewer, article: Article, current: ArticleVersion | None) -> Allowed:
    who = service.who(db, viewer.actor)
    status = S(article.status)
    drafter = rules.may_draft(who, article.owner_unit_id)
    owner_or_reviewer = drafter or rules.may_review(who)
    starts = {action: rules.TABLE[action][0] for action in rules.TABLE}
    own = current is not None and current.author_id is not None and current.author_id == viewer.actor.user_id
    return Allowed(
        edit=drafter and status in starts[A.UPDATE],
        submit=drafter and status in starts[A.SUBMIT],
        review=rules.may_review(who) and status in starts[A.APPROVE],
        own_version=own,
        withdraw=owner_or_reviewer and status in starts[A.WITHDRAW],
        flag=owner_or_reviewer and status in starts[A.FLAG_POLICY_CHANGED] and article.published_version_id is not None,
        restore=drafter and status in (S.WITHDRAWN, S.EXPIRED),
        answer_reports=drafter,
    )


def _article_page(request: Request, db: Session, viewer: Viewer, article: Article, *,
                  errors: list[str] | None = None, status_code: int = 200) -> HTMLResponse:
    current = service.latest_readable(db, viewer.actor, article)  # a revision in the works: its people only
    published = service.version_of(db, article, published=True)
    latest = current or published
    # The search ends the read transaction: what is read after it is loaded again.
    others = similar.similar_published(db, questions=latest.questions if latest else [],
                                       exclude_article_id=article.id)
    reports, _ = service.list_reports(db, actor=viewer.actor, article_id=article.id, page=1, page_size=50)
    events = service.readable_events(db, viewer.actor, article)
    versions = service.readable_versions(db, viewer.actor, article)
    paths = {v.jurisdiction_path for v in versions if v.jurisdiction_path}
    place_names = dict(db.execute(select(Jurisdiction.path, Jurisdiction.name).where(Jurisdiction.path.in_(paths))
                                  ).all()) if paths else {}
    return render(request, "kb_article.html", viewer=viewer, status_code=status_code, a=article, current=current,
                  published=published, versions=list(reversed(versions)), events=events, reports=reports,
                  similar=others, place_names=place_names, now=rt_now(request),
                  allowed=_allowed(db, viewer, article, current), errors=errors or [],
                  action_labels={str(k): v for k, v in ACTION_LABELS.items()},
                  report_labels={str(k): v for k, v in REPORT_STATUS_LABELS.items()}, **_ctx(db))


@router.get("/kb/articles/{article_id}")
def article_page(article_id: int, request: Request, db: DB, viewer: KbViewer) -> HTMLResponse:
    return _article_page(request, db, viewer, service.get(db, actor=viewer.actor, article_id=article_id))


ACTIONS = {
    "submit": ("提交审核", lambda db, rt, actor, aid, note: service.submit(db, rt, actor=actor, article_id=aid,
                                                                        note=note)),
    "approve": ("审核通过并发布", lambda db, rt, actor, aid, note: service.approve(db, rt, actor=actor, article_id=aid,
                                                                              comment=note)),
    "return": ("退回修改", lambda db, rt, actor, aid, note: service.send_back(db, rt, actor=actor, article_id=aid,
                                                                         comment=note)),
    "withdraw": ("撤销（下线）", lambda db, rt, actor, aid, note: service.withdraw(db, rt, actor=actor, article_id=aid,
                                                                            reason=note)),
    "policy-changed": ("标记政策变化", lambda db, rt, actor, aid, note: service.flag_policy_changed(
        db, rt, actor=actor, article_id=aid, note=note)),
}


@router.post("/kb/articles/{article_id}/restore", response_model=None)
def restore(article_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
            viewer: KbViewer) -> HTMLResponse | RedirectResponse:
    """Bring a withdrawn or expired article back: a version's content becomes a new draft, which then
    goes through review like any revision."""
    article = service.get(db, actor=viewer.actor, article_id=article_id)
    if not _allowed(db, viewer, article, None).restore:
        return _article_page(request, db, viewer, article, status_code=409,
                             errors=["只有已撤回或已过期的条目可以恢复，且须由其所属单位操作"])
    asked = text(form, "number")
    number = _version_number(asked, [v.number for v in article.versions]) if asked else article.version_count
    if number is None:
        return _article_page(request, db, viewer, article, errors=[f"版本号“{asked}”无效"], status_code=422)
    source = next(v for v in article.versions if v.number == number)
    values = version_values(db, source)
    values["change_note"] = f"恢复第{number}版"
    lapsed = source.expires_at is not None and source.expires_at <= rt_now(request)
    try:
        payload = article_data(values, creating=False, keep=source)
        payload["attachments"] = list(source.attachments)
        if lapsed:  # a draft that kept a past expiry could never be submitted
            payload["expires_at"] = None
        article = service.update(db, rt, actor=viewer.actor, article_id=article_id,
                                 data=ArticleIn.model_validate(payload))
    except ValidationError as exc:
        return _article_page(request, db, viewer, article, errors=errors_of(exc, ARTICLE_LABELS), status_code=422)
    except DomainError as exc:
        return _article_page(request, db, viewer, service.get(db, actor=viewer.actor, article_id=article_id),
                             errors=[exc.message], status_code=exc.status_code)
    flash(request, f"已将第{number}版恢复为草稿（第 {article.version_count} 版），"
                   + ("原失效日期已过，已清除，如有新的有效期请先修改，" if lapsed else "") + "请提交审核后重新发布")
    return redirect(f"/kb/articles/{article_id}")


@router.post("/kb/articles/{article_id}/{action}", response_model=None)
def article_action(article_id: int, action: str, request: Request, form: CheckedForm, db: DB, rt: RT,
                   viewer: KbViewer) -> HTMLResponse | RedirectResponse:
    if action not in ACTIONS:
        raise NotFound("kb_action_unknown", f"没有「{action}」这项操作")
    label, run = ACTIONS[action]
    note = text(form, "comment")[:2000] or None
    try:
        article = run(db, rt, viewer.actor, article_id, note)
    except DomainError as exc:
        if exc.code in ARTICLE_ERRORS:
            raise
        article = service.get(db, actor=viewer.actor, article_id=article_id)
        return _article_page(request, db, viewer, article, errors=[exc.message], status_code=exc.status_code)
    flash(request, f"「{label}」已完成，条目当前状态：{STATUS_LABELS[S(article.status)]}")
    back = text(form, "back")
    return redirect(back if back == "/kb/review" else f"/kb/articles/{article_id}")


@router.get("/kb/articles/{article_id}/diff")
def diff_page(article_id: int, request: Request, db: DB, viewer: KbViewer) -> HTMLResponse:
    article = service.get(db, actor=viewer.actor, article_id=article_id)
    numbers = [v.number for v in service.readable_versions(db, viewer.actor, article)]
    to_n = _version_number(request.query_params.get("to"), numbers) or numbers[-1]
    from_n = _version_number(request.query_params.get("from"), numbers) or max(to_n - 1, 1)
    text_diff = service.diff(db, actor=viewer.actor, article_id=article_id, from_number=from_n, to_number=to_n)
    return render(request, "kb_diff.html", viewer=viewer, a=article, from_n=from_n, to_n=to_n, numbers=numbers,
                  lines=diff_lines(text_diff), **_ctx(db))


def diff_lines(unified: str) -> list[tuple[str, str]]:
    """A unified diff as (kind, text) rows for the page: add, del, hunk or same; file headers dropped."""
    rows: list[tuple[str, str]] = []
    # The file headers (--- / +++) come before the first hunk only; after it, a line of the text
    # that starts with "--" is a removed or added line like any other.
    in_hunks = False
    for line in unified.splitlines():
        if not in_hunks and line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            in_hunks = True
            rows.append(("hunk", "…"))
        elif line.startswith("+"):
            rows.append(("add", line[1:]))
        elif line.startswith("-"):
            rows.append(("del", line[1:]))
        else:
            rows.append(("same", line[1:] if line.startswith(" ") else line))
    return rows


# ---- error reports (查漏纠错) ---------------------------------------------------------------


@router.get("/kb/reports")
def report_list(request: Request, db: DB, viewer: KbViewer) -> HTMLResponse:
    raw = request.query_params.get("status", "open")
    status = ReportStatus(raw) if raw in {str(s) for s in ReportStatus} else None
    page = page_number(request.query_params)
    reports, total = service.list_reports(db, actor=viewer.actor, status=status, page=page)
    titles = {r.article_id: service.get(db, actor=viewer.actor, article_id=r.article_id).title for r in reports}
    return render(request, "kb_reports.html", viewer=viewer, reports=reports, titles=titles, total=total,
                  status=str(status) if status else "", pager=pager(request.query_params, "/kb/reports", total,
                                                                   page=page),
                  report_labels={str(k): v for k, v in REPORT_STATUS_LABELS.items()})


@router.post("/kb/reports/{report_id}/answer")
def answer_report(report_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                  viewer: KbViewer) -> RedirectResponse:
    answer = text(form, "answer")[:2000]
    accepted = text(form, "accepted")
    back = text(form, "back")
    back = back if back.startswith("/kb/") and not back.startswith("//") else "/kb/reports"
    if not answer or accepted not in ("yes", "no"):
        flash(request, "请填写答复内容，并选择是否采纳", "error")
        return redirect(back)
    try:
        service.answer_report(db, rt, actor=viewer.actor, report_id=report_id, answer=answer,
                              accepted=accepted == "yes")
    except DomainError as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, "已答复纠错" + ("（已采纳，请修订条目并提交审核）" if accepted == "yes" else ""))
    return redirect(back)
