"""The knowledge base API: a thin router — parse, call the service, answer.

Logged-in users: articles (CRUD and the review workflow), versions and diffs, error reports,
search over every published article. The public (no login): search and ask over published
articles for the public and enterprises (一企来), and error reports.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from hotline.deps import DB, RT, ApiActor, client_of
from hotline.knowledge import (
    answer_rates,
    chat,
    gaps,
    harvest,
    maintenance,
    public_reports,
    reading,
    service,
    similar,
)
from hotline.knowledge.assistant import Reply
from hotline.knowledge.enums import PUBLIC_AUDIENCES, STATUS_LABELS, ArticleStatus, Audience, ReportStatus
from hotline.knowledge.models import Article, ArticleEvent, ArticleReport, ArticleVersion
from hotline.knowledge.schemas import (
    AnswerRatesOut,
    ArticleCreate,
    ArticleIn,
    ArticleMaintenanceOut,
    ArticleOut,
    ArticleSummary,
    AskIn,
    AskOut,
    ChatIn,
    ChatOut,
    ChatTurnIO,
    CommentIn,
    DiffOut,
    EventOut,
    GapCloseIn,
    GapOut,
    HandoverOut,
    HitOut,
    MaintenanceOut,
    OptionOut,
    PhrasingIn,
    PhrasingSuggestionOut,
    ReportAnswerIn,
    ReportIn,
    ReportOut,
    SimilarOut,
    UnitAnswerRateOut,
    UnitMaintenanceOut,
    VersionOut,
)
from hotline.knowledge.search import Hit
from hotline.knowledge.text import without_framing
from hotline.security.actor import Actor
from hotline.tickets.schemas import Page

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge"])
public_router = APIRouter(prefix="/api/v1/public/kb", tags=["public"])
Q = Annotated[str, Query(min_length=1, max_length=300)]


# ---- presenting ----------------------------------------------------------------------------------


def _version_out(v: ArticleVersion | None) -> VersionOut | None:
    if v is None:
        return None
    return VersionOut.model_validate(v, from_attributes=True)


def _article_out(db: DB, a: Article) -> ArticleOut:
    return ArticleOut(
        id=a.id, key=a.key, status=a.status, status_label=STATUS_LABELS[ArticleStatus(a.status)], title=a.title,
        owner_unit_id=a.owner_unit_id, category_code=a.category_code, audience=a.audience,
        jurisdiction_path=a.jurisdiction_path, tags=list(a.tags), valid_from=a.valid_from, expires_at=a.expires_at,
        flags=list(a.flags), published=a.published_version_id is not None, version_count=a.version_count,
        open_reports=a.open_reports, use_count=a.use_count, created_at=a.created_at, updated_at=a.updated_at,
        current=_version_out(service.version_of(db, a, published=False)),
        published_version=_version_out(service.version_of(db, a, published=True)),
    )


def _summary(a: Article) -> ArticleSummary:
    return ArticleSummary(
        id=a.id, key=a.key, status=a.status, status_label=STATUS_LABELS[ArticleStatus(a.status)], title=a.title,
        owner_unit_id=a.owner_unit_id, category_code=a.category_code, audience=a.audience, flags=list(a.flags),
        published=a.published_version_id is not None, version_count=a.version_count, open_reports=a.open_reports,
        updated_at=a.updated_at, expires_at=a.expires_at,
    )


def _event_out(e: ArticleEvent) -> EventOut:
    from hotline.knowledge.enums import ACTION_LABELS, ArticleAction

    return EventOut(action=e.action, action_label=ACTION_LABELS[ArticleAction(e.action)], from_status=e.from_status,
                    to_status=e.to_status, actor_name=e.actor_name, actor_role=e.actor_role, at=e.at, note=e.note,
                    version_id=e.version_id)


def _report_out(r: ArticleReport) -> ReportOut:
    return ReportOut.model_validate(r, from_attributes=True)


def hits_out(db: Session, hits: list[Hit]) -> list[HitOut]:
    places = reading.place_names(db, (h.jurisdiction_path for h in hits))
    return [HitOut(key=h.key, title=h.title, score=h.score, question=h.question, snippet=h.snippet,
                   category_code=h.category_code, audience=h.audience, version=h.version_number,
                   source=h.policy_source, jurisdiction_name=places.get(h.jurisdiction_path or ""))
            for h in hits]


def reply_out(db: Session, r: Reply) -> AskOut:
    hit = r.hit if r.kind == "answer" else None  # a clarifying question has chosen no answer yet
    places = reading.place_names(db, [hit.jurisdiction_path if hit else None,
                                      *(o.jurisdiction_path for o in r.options)])
    return AskOut(kind=r.kind, abstained=r.abstained, text=r.text, key=hit.key if hit else None,
                  title=hit.title if hit else None, source=hit.policy_source if hit else None, confidence=r.confidence,
                  jurisdiction_name=places.get(hit.jurisdiction_path or "") if hit else None,
                  options=[OptionOut(key=o.key, title=o.title, question=o.question,
                                     jurisdiction_name=places.get(o.jurisdiction_path or "")) for o in r.options])


# ---- articles ------------------------------------------------------------------------------------


@router.post("/articles", status_code=201, response_model=ArticleOut, summary="起草知识条目")
def create_article(data: ArticleCreate, db: DB, rt: RT, actor: ApiActor) -> ArticleOut:
    return _article_out(db, service.create(db, rt, actor=actor, data=data))


@router.get("/articles", response_model=Page[ArticleSummary], summary="知识条目列表")
def list_articles(
    db: DB, actor: ApiActor,
    status: Annotated[list[ArticleStatus] | None, Query()] = None,
    owner_unit_id: int | None = None,
    audience: Audience | None = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    flagged: bool | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Page[ArticleSummary]:
    filters = service.ArticleFilters(status=status, owner_unit_id=owner_unit_id, audience=audience,
                                     category_code=category, text=q, flagged=flagged)
    items, total = service.list_articles(db, actor=actor, filters=filters, page=page, page_size=page_size)
    return Page(items=[_summary(a) for a in items], total=total, page=page, page_size=page_size)


@router.get("/articles/by-key/{key}", response_model=ArticleOut, summary="按外部编号查询知识条目")
def get_by_key(key: str, db: DB, actor: ApiActor) -> ArticleOut:
    return _read_out(db, actor, service.get_by_key(db, actor=actor, key=key))


@router.get("/articles/{article_id}", response_model=ArticleOut, summary="知识条目详情")
def get_article(article_id: int, db: DB, actor: ApiActor) -> ArticleOut:
    return _read_out(db, actor, service.get(db, actor=actor, article_id=article_id))


def _read_out(db: DB, actor: Actor, article: Article) -> ArticleOut:
    """A read: `current` is the published version for those who may not see revisions in the works."""
    out = _article_out(db, article)
    if not service.sees_revisions(db, actor, article):
        out.current = out.published_version
        out.version_count = len(service.readable_versions(db, actor, article))
    return out


@router.put("/articles/{article_id}", response_model=ArticleOut, summary="修订知识条目（生成新版本）")
def update_article(article_id: int, data: ArticleIn, db: DB, rt: RT, actor: ApiActor) -> ArticleOut:
    return _article_out(db, service.update(db, rt, actor=actor, article_id=article_id, data=data))


@router.post("/articles/{article_id}/submit", response_model=ArticleOut, summary="提交审核")
def submit(article_id: int, data: CommentIn, db: DB, rt: RT, actor: ApiActor) -> ArticleOut:
    return _article_out(db, service.submit(db, rt, actor=actor, article_id=article_id, note=data.comment))


@router.post("/articles/{article_id}/approve", response_model=ArticleOut, summary="审核通过并发布")
def approve(article_id: int, data: CommentIn, db: DB, rt: RT, actor: ApiActor) -> ArticleOut:
    return _article_out(db, service.approve(db, rt, actor=actor, article_id=article_id, comment=data.comment))


@router.post("/articles/{article_id}/return", response_model=ArticleOut, summary="退回修改（须填写意见）")
def send_back(article_id: int, data: CommentIn, db: DB, rt: RT, actor: ApiActor) -> ArticleOut:
    return _article_out(db, service.send_back(db, rt, actor=actor, article_id=article_id, comment=data.comment))


@router.post("/articles/{article_id}/withdraw", response_model=ArticleOut, summary="撤销知识条目")
def withdraw(article_id: int, data: CommentIn, db: DB, rt: RT, actor: ApiActor) -> ArticleOut:
    return _article_out(db, service.withdraw(db, rt, actor=actor, article_id=article_id, reason=data.comment))


@router.post("/articles/{article_id}/policy-changed", response_model=ArticleOut, summary="标记政策变化（退出公开答复）")
def policy_changed(article_id: int, data: CommentIn, db: DB, rt: RT, actor: ApiActor) -> ArticleOut:
    return _article_out(db, service.flag_policy_changed(db, rt, actor=actor, article_id=article_id, note=data.comment))


@router.get("/articles/{article_id}/versions", response_model=list[VersionOut], summary="全部版本")
def versions(article_id: int, db: DB, actor: ApiActor) -> list[VersionOut]:
    article = service.get(db, actor=actor, article_id=article_id)
    return [VersionOut.model_validate(v, from_attributes=True) for v in service.readable_versions(db, actor, article)]


@router.get("/articles/{article_id}/similar", response_model=list[SimilarOut], summary="相似的已发布条目")
def similar_articles(article_id: int, db: DB, actor: ApiActor) -> list[SimilarOut]:
    """Published articles whose questions mean the same as this article's latest version's
    questions (a possible duplicate answer), closest first."""
    article = service.get(db, actor=actor, article_id=article_id)
    latest = service.latest_readable(db, actor, article)
    found = similar.similar_published(db, questions=latest.questions if latest else [], exclude_article_id=article_id)
    return [SimilarOut.model_validate(s, from_attributes=True) for s in found]


@router.get("/articles/{article_id}/diff", response_model=DiffOut, summary="版本对比")
def diff(article_id: int, db: DB, actor: ApiActor, from_version: Annotated[int, Query(alias="from", ge=1)],
         to_version: Annotated[int, Query(alias="to", ge=1)]) -> DiffOut:
    text = service.diff(db, actor=actor, article_id=article_id, from_number=from_version, to_number=to_version)
    return DiffOut(article_id=article_id, from_version=from_version, to_version=to_version, diff=text)


@router.get("/articles/{article_id}/events", response_model=list[EventOut], summary="条目流转记录")
def article_events(article_id: int, db: DB, actor: ApiActor) -> list[EventOut]:
    article = service.get(db, actor=actor, article_id=article_id)
    return [_event_out(e) for e in service.readable_events(db, actor, article)]


@router.post("/expire", summary="到期失效检查（一般由定时任务执行）")
def expire(db: DB, rt: RT, actor: ApiActor) -> dict[str, int]:
    from hotline.knowledge import rules

    if not (rules.may_review(service.who(db, actor)) or actor.role == "admin"):
        from hotline.errors import Forbidden

        raise Forbidden("kb_review_forbidden", "只有12345热线中心的知识库编辑、督办员或系统管理员可以执行到期检查")
    return {"expired": service.expire_due(db, rt, actor=actor)}


# ---- error reports ---------------------------------------------------------------------------------


@router.post("/articles/{article_id}/reports", status_code=201, response_model=ReportOut, summary="查漏纠错")
def report(article_id: int, data: ReportIn, db: DB, rt: RT, actor: ApiActor) -> ReportOut:
    return _report_out(service.report_error(db, rt, actor=actor, article_id=article_id, text=data.text,
                                            contact=data.contact))


@router.get("/reports", response_model=Page[ReportOut], summary="纠错列表（本单位或全部）")
def reports(db: DB, actor: ApiActor, status: ReportStatus | None = None, article_id: int | None = None,
            page: Annotated[int, Query(ge=1)] = 1, page_size: Annotated[int, Query(ge=1, le=200)] = 20
            ) -> Page[ReportOut]:
    items, total = service.list_reports(db, actor=actor, status=status, article_id=article_id, page=page,
                                        page_size=page_size)
    return Page(items=[_report_out(r) for r in items], total=total, page=page, page_size=page_size)


@router.post("/reports/{report_id}/answer", response_model=ReportOut, summary="答复纠错")
def answer_report(report_id: int, data: ReportAnswerIn, db: DB, rt: RT, actor: ApiActor) -> ReportOut:
    return _report_out(service.answer_report(db, rt, actor=actor, report_id=report_id, answer=data.answer,
                                             accepted=data.accepted))


# ---- the maintenance report (知识维护报告) -----------------------------------------------------------

From = Annotated[date | None, Query(alias="from", description="起始日期（含），默认结束日期前 29 天")]
To = Annotated[date | None, Query(alias="to", description="结束日期（含），默认今天")]


@router.get("/maintenance", response_model=MaintenanceOut, summary="知识维护报告：按所属单位汇总")
def maintenance_report(db: DB, rt: RT, actor: ApiActor, start: From = None, end: To = None) -> MaintenanceOut:
    now = rt.clock.now()
    period = maintenance.make_period(now=now, start=start, end=end)
    report = maintenance.unit_report(db, who=service.who(db, actor), period=period, now=now)
    return MaintenanceOut(period_from=period.start, period_to=period.end, all_units=report.all_units,
                          units=[UnitMaintenanceOut.model_validate(u, from_attributes=True) for u in report.units],
                          totals=UnitMaintenanceOut.model_validate(report.totals, from_attributes=True))


@router.get("/answer-rates", response_model=AnswerRatesOut,
            summary="各部门接诉即答率：咨询类诉求中依托本单位知识直接答复的比率，由低到高排名")
def answer_rates_report(db: DB, rt: RT, actor: ApiActor, start: From = None, end: To = None) -> AnswerRatesOut:
    period = maintenance.make_period(now=rt.clock.now(), start=start, end=end)
    result = answer_rates.answer_rates(db, who=service.who(db, actor), period=period)
    return AnswerRatesOut(period_from=period.start, period_to=period.end, ranked=result.ranked,
                          rule=answer_rates.RULE_TEXT,
                          units=[UnitAnswerRateOut.model_validate(u, from_attributes=True) for u in result.units])


@router.get("/maintenance/units/{unit_id}", response_model=Page[ArticleMaintenanceOut],
            summary="知识维护报告：一个单位的条目明细（unit_id 0 为未指定单位）")
def maintenance_unit(
    unit_id: int, db: DB, rt: RT, actor: ApiActor, start: From = None, end: To = None,
    sort: Annotated[str, Query(pattern="^(attention|answers|key)$")] = "attention",
    status: ArticleStatus | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ArticleMaintenanceOut]:
    now = rt.clock.now()
    period = maintenance.make_period(now=now, start=start, end=end)
    who = service.who(db, actor)
    maintenance.ensure_unit(who, unit_id)
    maintenance.unit_name(db, unit_id)  # 404 for an unknown unit
    items, total = maintenance.unit_articles(db, who=who, unit_id=unit_id, period=period, sort=sort,
                                             status=status, page=page, page_size=page_size)
    return Page(items=[ArticleMaintenanceOut(**vars(a), status_label=STATUS_LABELS[ArticleStatus(a.status)])
                       for a in items], total=total, page=page, page_size=page_size)


# ---- search ----------------------------------------------------------------------------------------


@router.get("/gaps", response_model=Page[GapOut], summary="知识盲区：智能问答未能答复的问题（按被问次数）")
def list_gaps(db: DB, actor: ApiActor,
              status: Annotated[str, Query(pattern="^(open|filled|dismissed|all)$")] = "open",
              q: Annotated[str | None, Query(max_length=100)] = None,
              page: Annotated[int, Query(ge=1, le=100_000)] = 1,
              page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> Page[GapOut]:
    filters = gaps.GapFilters(status=gaps.status_of(status), text=gaps.search_text(q))
    items, total = gaps.list_gaps(db, who=service.who(db, actor), filters=filters, page=page, page_size=page_size)
    return Page(items=[GapOut.model_validate(g) for g in items], total=total, page=page, page_size=page_size)


@router.post("/gaps/{gap_id}/close", response_model=GapOut, summary="处理知识盲区：已补充条目或无需补充")
def close_gap(gap_id: int, data: GapCloseIn, db: DB, rt: RT, actor: ApiActor) -> GapOut:
    gap = gaps.close(db, who=service.who(db, actor), gap_id=gap_id, now=rt.clock.now(), filled=data.filled,
                     article_key=data.article_key, note=data.note)
    return GapOut.model_validate(gap)


@router.get("/phrasing-suggestions", response_model=list[PhrasingSuggestionOut],
            summary="建议补充的问法：直接答复引用了条目、检索却未排第一的工单标题")
def phrasing_suggestions(db: DB, rt: RT, actor: ApiActor,
                         days: Annotated[int, Query(ge=1, le=366)] = 90) -> list[PhrasingSuggestionOut]:
    items = harvest.suggestions(db, rt, actor=actor, since=rt.clock.now() - timedelta(days=days))
    return [PhrasingSuggestionOut.model_validate(s) for s in items]


@router.post("/articles/{article_id}/phrasings", response_model=ArticleOut,
             summary="在现行版本上加入一个问法，生成新版本并提交审核")
def add_phrasing(article_id: int, data: PhrasingIn, db: DB, rt: RT, actor: ApiActor) -> ArticleOut:
    return _article_out(db, harvest.adopt(db, rt, actor=actor, article_id=article_id, wording=data.wording))


@router.get("/search", response_model=list[HitOut], summary="检索已发布的知识（含内部口径）")
def search(db: DB, rt: RT, actor: ApiActor, q: Q, audience: Audience | None = None,
           jurisdiction: Annotated[str | None, Query(max_length=32)] = None,
           category: Annotated[str | None, Query(max_length=32)] = None,
           limit: Annotated[int, Query(ge=1, le=50)] = 10) -> list[HitOut]:
    filters = service.search_filters(db, rt, audiences=frozenset({audience}) if audience else None,
                                     jurisdiction_code=jurisdiction, category_code=category)
    # The operators' search (the intake form's 可能相关的知识): a call record's framing is no query.
    return hits_out(db, service.search_published(db, query=without_framing(q), filters=filters, limit=limit))


@router.post("/ask", response_model=AskOut, summary="智能问答（话务员辅助，含内部口径）")
def ask_internal(data: AskIn, db: DB, rt: RT, actor: ApiActor) -> AskOut:
    filters = service.search_filters(db, rt, audiences=frozenset({data.audience}) if data.audience else None,
                                     jurisdiction_code=data.jurisdiction_code)
    reply = service.ask(db, query=data.query, filters=filters)
    if reply.kind == "abstain":
        gaps.record(db, question=data.query, channel=gaps.Channel.STAFF, now=rt.clock.now())
    return reply_out(db, reply)


def _public_audiences(audience: Audience | None) -> frozenset[str]:
    if audience is None:
        return frozenset(str(a) for a in PUBLIC_AUDIENCES)
    if audience not in PUBLIC_AUDIENCES:
        from hotline.errors import DomainError

        raise DomainError("kb_audience_internal", "内部口径不对公众开放", status_code=422)
    return frozenset({str(audience)})


@public_router.get("/search", response_model=list[HitOut], summary="公众检索知识库（已发布的公开条目）")
def public_search(db: DB, rt: RT, q: Q, audience: Audience | None = None,
                  jurisdiction: Annotated[str | None, Query(max_length=32)] = None,
                  limit: Annotated[int, Query(ge=1, le=20)] = 10) -> list[HitOut]:
    filters = service.search_filters(db, rt, audiences=_public_audiences(audience), jurisdiction_code=jurisdiction)
    return hits_out(db, service.search_published(db, query=q, filters=filters, limit=limit))


@public_router.post("/ask", response_model=AskOut, summary="自助问答：答复、追问或明确告知不知道",
                    description="与 `POST /chat` 共用每个客户端地址每小时 120 次的额度，超出返回 429。")
def public_ask(data: AskIn, request: Request, db: DB, rt: RT) -> AskOut:
    chat.count_turn(db, client=client_of(request), now=rt.clock.now())  # the same quota as the chat
    filters = service.search_filters(db, rt, audiences=_public_audiences(data.audience),
                                     jurisdiction_code=data.jurisdiction_code)
    reply = service.ask(db, query=data.query, filters=filters)
    if reply.kind == "answer" and reply.hit is not None:
        service.record_use(db, article_id=reply.hit.article_id)
    elif reply.kind == "abstain":
        gaps.record(db, question=data.query, channel=gaps.Channel.PUBLIC_ASK, now=rt.clock.now())
    return reply_out(db, reply)


def chat_out(said: chat.Said, conversation: chat.Conversation) -> ChatOut:
    t = said.turn
    answered = t.kind == "answer"  # a clarifying question names no answer (as /ask): key, title, source null
    return ChatOut(
        kind=t.kind, abstained=t.kind in ("abstain", "emergency", *chat.SOCIAL), text=said.text,
        key=t.key if answered else None, title=t.title if answered else None,
        source=said.source if answered else None,
        confidence=said.confidence,
        options=[OptionOut(key=o.key, title=o.title, question=o.question) for o in t.options],
        question=t.question, query=t.query, in_context=t.context != chat.Context.NONE,
        turn=ChatTurnIO.model_validate(t.to_dict()),
        handover=HandoverOut(title=chat.handover_title(conversation), content=chat.transcript(conversation),
                             kind=chat.handover_kind(conversation)),
    )


@public_router.post("/chat", response_model=ChatOut,
                    summary="智能客服多轮对话：结合上文答复、追问或告知不知道，可随时转人工",
                    description="`history` 为此前各轮（按顺序原样回传每次返回的 `turn`，最多取最近 8 轮）；"
                                "`question` 为新问题，或以 `pick` 选择上一轮追问的一个选项（二者选一）。"
                                "简短的追问（如“那儿童呢？”“需要带什么材料”）结合上一轮理解，`query` 为实际检索的内容。"
                                "`handover` 为据对话预填的诉求标题和内容，"
                                "可用于 `POST /api/v1/public/requests` 转人工。"
                                "每个客户端地址每小时最多 120 轮，超出返回 429。")
def public_chat(data: ChatIn, request: Request, db: DB, rt: RT) -> ChatOut:
    now = rt.clock.now()
    chat.count_turn(db, client=client_of(request), now=now)
    filters = service.search_filters(db, rt, audiences=_public_audiences(data.audience),
                                     jurisdiction_code=data.jurisdiction_code)
    kept = data.history[-chat.MAX_TURNS:]
    conversation = chat.Conversation(turns=[chat.Turn.from_dict(t.model_dump()) for t in kept],
                                     dropped=len(data.history) - len(kept))
    pick = data.pick if data.pick is not None else chat.chosen_option(conversation, data.question or "")
    if pick is not None:  # an option pressed, or named by its number (2, 第二个)
        said = chat.pick(db, conversation=conversation, key=pick, now=now)
    else:
        said = chat.ask(db, conversation=conversation, question=data.question or "", filters=filters)
    chat.record(db, said, now=now)
    return chat_out(said, conversation)


@public_router.post("/articles/{key}/reports", status_code=201, response_model=ReportOut, summary="公众查漏纠错",
                    description="仅限公众可见且在有效期内的条目；每个客户端地址每小时最多 20 次，超出返回 429。")
def public_report(key: str, data: ReportIn, request: Request, db: DB, rt: RT) -> ReportOut:
    return _report_out(public_reports.report(db, rt, key=key, client=client_of(request), text=data.text,
                                             contact=data.contact))
