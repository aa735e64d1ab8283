"""The maintenance report (知识维护报告): per owning unit, for a period, what it keeps in the knowledge
base and how well it keeps it — articles owned by status, articles updated (a version approved in
the period), expired or flagged ones, error reports opened, answered and still open, and how often
its articles answered a request.

Everything is aggregated in SQL (grouped by the owning unit, or per article for one unit's drill-down)
and gives the same figures on SQLite and PostgreSQL.

Statuses, flags, open reports and expiry are as they stand now; the period counts what happened in
it. "Answers" are direct answers (接诉即答) recorded in the period whose citation names the article:
the `answer_directly` ticket event keeps the citation (`reading.citation`: "知识库 KEY 第N版《…》"),
so the key is read back from it. `Article.use_count` is only a running total (direct answers from
the intake page plus the assistant's answers, which leave no dated record), shown beside it as such.
Error reports have no answer deadline in the model, so the report shows the oldest open one instead
of an overdue count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from hotline.assessment.sqlfuncs import position_of
from hotline.clock import Period, to_local
from hotline.errors import DomainError, Forbidden, NotFound
from hotline.knowledge import rules
from hotline.knowledge.enums import ArticleStatus, Flag, ReportStatus
from hotline.knowledge.models import Article, ArticleReport, ArticleVersion
from hotline.knowledge.reading import CITATION_PREFIX
from hotline.org.models import Unit
from hotline.security.roles import Role
from hotline.tickets.enums import Action
from hotline.tickets.models import TicketEvent

S = ArticleStatus
DEFAULT_DAYS = 30
EXPIRING_DAYS = 30  # "expiring soon", as on the editors' home page
MAX_DAYS = 3 * 366
NO_UNIT = 0  # the unit id that stands for articles without an owning unit


# ---- the period --------------------------------------------------------------------------------


def make_period(*, now: datetime, start: date | None = None, end: date | None = None) -> Period:
    """The period asked for; by default the last 30 days up to today."""
    end = end or to_local(now).date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise DomainError("kb_period_invalid", "起始日期不能晚于结束日期", status_code=422)
    if (end - start).days + 1 > MAX_DAYS:
        raise DomainError("kb_period_too_long", f"统计周期最长 {MAX_DAYS} 天，请缩短日期范围", status_code=422)
    return Period(start, end)


# ---- who sees what -----------------------------------------------------------------------------


def scope(who: rules.Who) -> int | None:
    """None: every unit (12345 reviewers, supervisors, centre editors, admins); else the one unit
    whose articles the viewer drafts (a unit's knowledge editor or handling staff)."""
    if rules.may_review(who) or who.role == Role.ADMIN:
        return None
    unit_id = who.actor.unit_id
    if unit_id is not None and rules.may_draft(who, unit_id):
        return unit_id
    raise Forbidden("kb_maintenance_forbidden",
                    "只有12345热线中心的审核人员、管理员或本单位的知识库编辑可以查看知识维护报告")


def ensure_unit(who: rules.Who, unit_id: int) -> None:
    """A unit's drill-down: the centre any unit, a unit's staff only their own."""
    mine = scope(who)
    if mine is not None and mine != unit_id:
        raise Forbidden("kb_maintenance_forbidden", "只能查看本单位知识条目的维护情况")


def _owner_is(unit_id: int) -> ColumnElement[bool]:
    return Article.owner_unit_id.is_(None) if unit_id == NO_UNIT else Article.owner_unit_id == unit_id


# ---- where a citation's key ends --------------------------------------------------------------


def _cited_key() -> tuple[ColumnElement[str], ColumnElement[bool]]:
    """The article key in a direct answer's citation, and the condition that it is one."""
    source = TicketEvent.data["answer_source"].as_string()
    rest = func.substr(source, len(CITATION_PREFIX) + 1)
    end = position_of(rest, " 第")
    key = case((end > 1, func.substr(rest, 1, end - 1)), else_=None)
    return key, source.startswith(CITATION_PREFIX, autoescape=True)


def cited_answers(period: Period, *, unit_id: int | None = None) -> Select[Any]:
    """Direct answers (接诉即答) in the period joined to the article their citation names, of one unit when
    given (an article without an owner counts as NO_UNIT's). One query for the maintenance report's
    答复次数 and the departments' 接诉即答率 (answer_rates.py): the caller adds the columns and the
    grouping, e.g. `cited_answers(p).add_columns(Article.owner_unit_id, func.count()).group_by(...)`.

    The period's events must drive the join, each finding its article through the unique index on
    the key. The unit is therefore compared through an expression that no index serves: SQLite would
    otherwise start from the unit's articles and read every event of the period once per article."""
    key, cited = _cited_key()
    stmt = (select().select_from(TicketEvent).join(Article, Article.key == key)
            .where(TicketEvent.action == str(Action.ANSWER_DIRECTLY), TicketEvent.at >= period.since,
                   TicketEvent.at < period.until, cited))
    if unit_id is not None:
        stmt = stmt.where(func.coalesce(Article.owner_unit_id, NO_UNIT) == unit_id)
    return stmt


def _has_flag(flag: Flag) -> ColumnElement[bool]:
    # Flags are a JSON list of fixed ASCII codes; its text holds the quoted code on either database.
    return cast(Article.flags, String).contains(f'"{flag}"', autoescape=True)


def _past_expiry(now: datetime) -> ColumnElement[bool]:
    """Swept by the expiry job, or still published but past its expiry (the sweep has not run yet)."""
    return or_(_has_flag(Flag.EXPIRED),
               and_(Article.published_version_id.is_not(None), Article.expires_at.is_not(None),
                    Article.expires_at <= now))


def _expiring(now: datetime) -> ColumnElement[bool]:
    return and_(Article.published_version_id.is_not(None), Article.expires_at.is_not(None),
                Article.expires_at > now, Article.expires_at <= now + timedelta(days=EXPIRING_DAYS))


def _in(period: Period, column: Any) -> ColumnElement[bool]:
    return and_(column >= period.since, column < period.until)


# ---- per unit ----------------------------------------------------------------------------------


@dataclass
class UnitFigures:
    unit_id: int  # NO_UNIT for articles without an owning unit
    unit_name: str
    # Articles owned, as they stand now.
    total: int = 0
    approved: int = 0
    in_review: int = 0
    draft: int = 0
    returned: int = 0
    expired: int = 0
    withdrawn: int = 0
    in_force: int = 0  # a version is published (also while a revision is pending)
    expiring: int = 0  # in force and expiring within EXPIRING_DAYS
    past_expiry: int = 0  # flagged expired, or in force past its expiry
    policy_changed: int = 0
    # What happened in the period.
    updated: int = 0  # articles with a version approved in the period
    versions_approved: int = 0
    reports_opened: int = 0
    reports_answered: int = 0
    reports_accepted: int = 0  # of those answered, accepted (the article is to be revised)
    answers: int = 0  # direct answers citing the unit's articles
    # Now.
    reports_open: int = 0
    oldest_open_report_at: datetime | None = None
    uses_total: int = 0  # running total of answers given (use_count)

    def add(self, other: UnitFigures) -> None:
        for f in fields(self):
            if f.name in ("unit_id", "unit_name"):
                continue
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if f.name == "oldest_open_report_at":
                setattr(self, f.name, min((v for v in (mine, theirs) if v is not None), default=None))
            else:
                setattr(self, f.name, mine + theirs)


@dataclass(frozen=True)
class Report:
    period: Period
    now: datetime
    units: list[UnitFigures]
    totals: UnitFigures
    all_units: bool  # False: the viewer sees their own unit only


def _key(unit_id: int | None) -> int:
    return NO_UNIT if unit_id is None else int(unit_id)


def _scoped(stmt: Select[Any], unit_id: int | None) -> Select[Any]:
    return stmt if unit_id is None else stmt.where(_owner_is(unit_id))


def unit_report(db: Session, *, who: rules.Who, period: Period, now: datetime) -> Report:
    """The figures per owning unit for the period (the viewer's unit only, for a unit's staff)."""
    mine = scope(who)
    owner = Article.owner_unit_id
    statuses = {s: func.count().filter(Article.status == str(s)) for s in S}
    articles = _scoped(select(
        owner, func.count(), *statuses.values(),
        func.count().filter(Article.published_version_id.is_not(None)),
        func.count().filter(_expiring(now)),
        func.count().filter(_past_expiry(now)),
        func.count().filter(_has_flag(Flag.POLICY_CHANGED)),
        func.coalesce(func.sum(Article.use_count), 0),
    ).group_by(owner), mine)
    rows: dict[int, UnitFigures] = {}

    def row(unit_id: int | None) -> UnitFigures:
        k = _key(unit_id)
        if k not in rows:
            rows[k] = UnitFigures(unit_id=k, unit_name="")
        return rows[k]

    for unit_id, total, *counts in db.execute(articles):
        r = row(unit_id)
        r.total = int(total)
        by_status = dict(zip(statuses, counts[: len(statuses)], strict=True))
        r.approved, r.in_review, r.draft = (int(by_status[s]) for s in (S.APPROVED, S.IN_REVIEW, S.DRAFT))
        r.returned, r.expired, r.withdrawn = (int(by_status[s]) for s in (S.RETURNED, S.EXPIRED, S.WITHDRAWN))
        r.in_force, r.expiring, r.past_expiry, r.policy_changed, r.uses_total = (
            int(v) for v in counts[len(statuses):])

    versions = _scoped(select(owner, func.count(func.distinct(ArticleVersion.article_id)), func.count())
                       .join(Article, Article.id == ArticleVersion.article_id)
                       .where(ArticleVersion.review_outcome == "approved", _in(period, ArticleVersion.reviewed_at))
                       .group_by(owner), mine)
    for unit_id, updated, approved in db.execute(versions):
        r = row(unit_id)
        r.updated, r.versions_approved = int(updated), int(approved)

    is_open = ArticleReport.status == str(ReportStatus.OPEN)
    reports = _scoped(select(
        owner,
        func.count().filter(_in(period, ArticleReport.created_at)),
        func.count().filter(_in(period, ArticleReport.answered_at)),
        func.count().filter(_in(period, ArticleReport.answered_at), ArticleReport.accepted.is_(True)),
        func.count().filter(is_open),
        func.min(case((is_open, ArticleReport.created_at), else_=None)).label("oldest"),
    ).join(Article, Article.id == ArticleReport.article_id).where(
        or_(is_open, _in(period, ArticleReport.created_at), _in(period, ArticleReport.answered_at))
    ).group_by(owner), mine)
    for unit_id, opened, answered, accepted, still_open, oldest in db.execute(reports):
        r = row(unit_id)
        r.reports_opened, r.reports_answered, r.reports_accepted = int(opened), int(answered), int(accepted)
        r.reports_open, r.oldest_open_report_at = int(still_open), _aware(oldest)

    used = cited_answers(period, unit_id=mine).add_columns(owner, func.count()).group_by(owner)
    for unit_id, n in db.execute(used):
        row(unit_id).answers = int(n or 0)

    if mine is not None and mine not in rows:
        row(mine)  # the unit's own row, even empty
    names = _names(db, [k for k in rows if k != NO_UNIT])
    for k, r in rows.items():
        r.unit_name = names.get(k, f"单位 {k}") if k != NO_UNIT else "未指定单位"
    units = sorted(rows.values(), key=lambda r: (-r.total, r.unit_name, r.unit_id))
    totals = UnitFigures(unit_id=-1, unit_name="合计")
    for r in units:
        totals.add(r)
    db.rollback()  # end the read transaction (SQLite)
    return Report(period=period, now=now, units=units, totals=totals, all_units=mine is None)


def _aware(value: Any) -> datetime | None:
    """An aggregate's timestamp: SQLite may hand back text or a naive UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _names(db: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.execute(select(Unit.id, Unit.short_name, Unit.name).where(Unit.id.in_(list(ids)))).all()
    return {i: short or name for i, short, name in rows}


def unit_name(db: Session, unit_id: int) -> str:
    if unit_id == NO_UNIT:
        return "未指定单位"
    name = _names(db, [unit_id]).get(unit_id)
    if name is None:
        raise NotFound("unit_not_found", f"单位 {unit_id} 不存在")
    return name


# ---- one unit's articles -----------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleFigures:
    id: int
    key: str
    title: str
    status: str
    in_force: bool
    flags: list[str]
    last_published_at: datetime | None  # the latest approval of a version
    updated_at: datetime
    expires_at: datetime | None
    open_reports: int
    reports_opened: int  # in the period
    answers: int  # direct answers citing it in the period
    uses_total: int


SORTS = {"attention": "需处理的在前", "answers": "答复次数多的在前", "key": "按编号"}
MAX_ROWS = 10_000


def unit_articles(db: Session, *, who: rules.Who, unit_id: int, period: Period, sort: str = "attention",
                  status: ArticleStatus | None = None, page: int = 1, page_size: int = 50
                  ) -> tuple[list[ArticleFigures], int]:
    """One unit's articles with their figures for the period, a page at a time."""
    ensure_unit(who, unit_id)
    # Both per-article figures are grouped over this unit's articles only (a few rows to join).
    answers = (cited_answers(period, unit_id=unit_id)
               .add_columns(Article.id.label("article_id"), func.count().label("n"))
               .group_by(Article.id).subquery("answers"))
    # Correlated: computed for the page's rows only.
    published = (select(func.max(ArticleVersion.reviewed_at))
                 .where(ArticleVersion.article_id == Article.id, ArticleVersion.review_outcome == "approved")
                 .correlate(Article).scalar_subquery())
    opened = (select(ArticleReport.article_id, func.count().label("n"))
              .join(Article, Article.id == ArticleReport.article_id)
              .where(_in(period, ArticleReport.created_at), _owner_is(unit_id))
              .group_by(ArticleReport.article_id).subquery("opened"))
    n_answers = func.coalesce(answers.c.n, 0)
    where = [_owner_is(unit_id)]
    if status is not None:
        where.append(Article.status == str(status))
    base = select(Article.id).where(*where)
    total = int(db.execute(select(func.count()).select_from(base.subquery())).scalar_one())
    order: tuple[Any, ...]
    if sort == "answers":
        order = (n_answers.desc(), Article.key)
    elif sort == "key":
        order = (Article.key,)
    else:  # open reports, then flagged, then the soonest expiry
        order = (Article.open_reports.desc(), func.json_array_length(Article.flags).desc(),
                 Article.expires_at.asc().nulls_last(), Article.key)
    stmt = (select(Article.id, Article.key, Article.title, Article.status, Article.published_version_id,
                   Article.flags, published, Article.updated_at, Article.expires_at, Article.open_reports,
                   func.coalesce(opened.c.n, 0), n_answers, Article.use_count)
            .outerjoin(answers, answers.c.article_id == Article.id)
            .outerjoin(opened, opened.c.article_id == Article.id)
            .where(*where).order_by(*order).offset((page - 1) * page_size).limit(page_size))
    items = [ArticleFigures(id=i, key=k, title=t, status=s, in_force=pub is not None, flags=list(fl or []),
                            last_published_at=_aware(lp), updated_at=up, expires_at=ex, open_reports=int(orp),
                            reports_opened=int(rop), answers=int(an), uses_total=int(uc))
             for i, k, t, s, pub, fl, lp, up, ex, orp, rop, an, uc in db.execute(stmt)]
    db.rollback()
    return items, total

