"""The assessment use cases: scores, ranking, trends and drill-down read from the fact table (or, for
checking and drill-down, computed from ticket events); exemptions requested, approved or refused.

Who sees what: supervisors, analysts and administrators see every unit; a unit manager sees only
their own unit; nobody else reads assessment figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.assessment import facts
from hotline.assessment.contributions import by_candidates, contributions
from hotline.assessment.indicators import (
    EXEMPTION_EFFECTS,
    INDICATORS,
    UNIT_INDICATORS,
    ExemptionKind,
    ExemptionStatus,
    Indicator,
)
from hotline.assessment.models import CENTRE_KEY, AssessmentState, Exemption
from hotline.assessment.scoring import Preset, rate, score
from hotline.clock import CHINA_TZ, to_local
from hotline.errors import Conflict, DomainError, Forbidden, NotFound
from hotline.org.models import Unit
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.permissions import can_view, visible_condition
from hotline.security.roles import UNIT_ROLES, DataScope, Role
from hotline.tickets.enums import State
from hotline.tickets.models import Ticket, TicketAssignment, TicketEvent

SEE_ALL = frozenset({Role.SUPERVISOR, Role.ANALYST, Role.ADMIN})
MAX_PERIOD_DAYS = 366 * 3
MAX_DRILL_ROWS = 10_000


# ---- periods and access --------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date  # local days, both inclusive
    end: date

    @property
    def label(self) -> str:
        if self.start.day == 1 and self.start.strftime("%Y%m") == self.end.strftime("%Y%m"):
            return f"{self.start.year}年{self.start.month}月"  # as the reports write it (2026年1月, not 01月)
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"

    @property
    def start_utc(self) -> datetime:
        return datetime.combine(self.start, time(0), CHINA_TZ)


def parse_month(value: str) -> date:
    try:
        year, month = value.strip().split("-")
        first = date(int(year), int(month), 1)
    except (ValueError, AttributeError) as exc:
        raise DomainError("month_invalid", f"月份格式应为 YYYY-MM，例如 2026-10（收到：{value}）",
                          status_code=422) from exc
    if not 2000 <= first.year <= 2999:  # 9999-12 has no month after it to end on (a 500 before)
        raise DomainError("month_invalid", f"月份应在 2000-01 至 2999-12 之间（收到：{value}）", status_code=422)
    return first


def month_end(first: date) -> date:
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def add_months(first: date, n: int) -> date:
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def make_period(*, now: datetime, from_month: str | None = None, to_month: str | None = None,
                start: date | None = None, end: date | None = None) -> Period:
    """Explicit days win; otherwise whole months; by default the current local month."""
    today = to_local(now).date()
    if start or end:
        period = Period(start or today.replace(day=1), end or today)
    else:
        first = parse_month(from_month) if from_month else today.replace(day=1)
        last = parse_month(to_month) if to_month else first
        period = Period(first, month_end(last))
    if period.end < period.start:
        raise DomainError("period_invalid", "统计周期的结束日期不能早于开始日期", status_code=422)
    if (period.end - period.start).days > MAX_PERIOD_DAYS:
        raise DomainError("period_too_long", "统计周期最长三年", status_code=422)
    return period


def months_in(period: Period) -> list[str]:
    out, m = [], period.start.replace(day=1)
    while m <= period.end:
        out.append(f"{m:%Y-%m}")
        m = add_months(m, 1)
    return out


def ensure_can_assess(actor: Actor, unit_id: int | None = None) -> None:
    """All units for supervisors, analysts, administrators; a unit manager only their own unit."""
    if actor.role in SEE_ALL:
        return
    if actor.role == Role.UNIT_MANAGER and actor.unit_id is not None:
        if unit_id is not None and unit_id == actor.unit_id:
            return
        raise Forbidden("assessment_forbidden", "单位负责人只能查看本单位的考核结果")
    raise Forbidden("assessment_forbidden", "当前角色无权查看考核结果")


def visible_units(actor: Actor) -> list[int] | None:
    """None: every unit; otherwise the only unit this actor may see."""
    if actor.role in SEE_ALL:
        return None
    ensure_can_assess(actor, actor.unit_id)
    return [actor.unit_id] if actor.unit_id is not None else []


# ---- figures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    indicator: Indicator
    label: str
    num: int
    den: int
    rate: float | None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"


@dataclass
class UnitScore:
    unit_id: int
    unit_name: str
    score: float | None
    figures: dict[str, Figure]
    volume: int  # rounds dispatched to the unit in the period
    rank: int | None = None
    # Fewer rounds than the minimum (Settings.assessment_min_rounds): figures shown, no rank (样本不足).
    too_few: bool = False
    trend: list[float | None] = field(default_factory=list)


def figures_of(raw: dict[str, tuple[int, int]],
               indicators: tuple[Indicator, ...] = UNIT_INDICATORS) -> dict[str, Figure]:
    out = {}
    for ind in indicators:
        num, den = raw.get(str(ind), (0, 0))
        out[str(ind)] = Figure(ind, INDICATORS[ind].label, num, den, rate(num, den))
    return out


def unit_names(db: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.execute(select(Unit.id, Unit.short_name).where(Unit.id.in_(ids))).all())  # type: ignore[arg-type]


def ranking(db: Session, *, actor: Actor, period: Period, preset: Preset, min_volume: int,
            trend_months: int = 0) -> list[UnitScore]:
    """Every visible unit with data in the period: the ranked units best score first, then those with
    fewer than `min_volume` dispatch rounds (too_few, no rank: one round answered well made a unit
    "first" with 100.00, one justified return made another last with 0.00), units without a score last.
    Equal scores share a rank. A unit manager gets their own unit's row with its rank among all units
    (QA: ranked among the units it may see — itself — every unit manager read 第1名)."""
    allowed = visible_units(actor)
    by_month: dict[tuple[int, str], dict[str, tuple[int, int]]] = {}
    months: list[str] = []
    if trend_months:
        last = period.end.replace(day=1)
        first = add_months(last, -(trend_months - 1))
        months = [f"{add_months(first, k):%Y-%m}" for k in range(trend_months)]
        by_month = facts.monthly(db, start=min(first, period.start), end=period.end)
    if by_month and period.start.day == 1 and period.end == month_end(period.end.replace(day=1)):
        # Whole months: the period's totals are the sums of the months already read (one scan, not two).
        wanted = set(months_in(period))
        raw: facts.Totals = {}
        for (unit_id, month), figs in by_month.items():
            if month in wanted:
                unit = raw.setdefault(unit_id, {})
                for ind, (num, den) in figs.items():
                    n0, d0 = unit.get(ind, (0, 0))
                    unit[ind] = (n0 + num, d0 + den)
    else:
        raw = facts.totals(db, start=period.start, end=period.end)
    raw.pop(CENTRE_KEY, None)
    names = unit_names(db, list(raw))
    rows = [
        UnitScore(unit_id=u, unit_name=names.get(u, f"单位{u}"), score=score(preset, figs),
                  figures=figures_of(figs), volume=figs.get(str(Indicator.RESPONSE), (0, 0))[1])
        for u, figs in raw.items()
    ]
    for r in rows:
        r.too_few = r.score is not None and r.volume < min_volume
    rows.sort(key=lambda r: (r.score is None, r.too_few, -(r.score or 0), -r.volume, r.unit_name))
    rank = 0
    previous: float | None = None
    for i, r in enumerate(rows, start=1):
        if r.score is None or r.too_few:
            continue
        if r.score != previous:
            rank, previous = i, r.score
        r.rank = rank
    if allowed is not None:
        rows = [r for r in rows if r.unit_id in allowed]
    if trend_months:
        for r in rows:
            r.trend = [score(preset, by_month.get((r.unit_id, m), {})) for m in months]
    return rows


def unit_figures(db: Session, *, actor: Actor, unit_id: int, period: Period, preset: Preset,
                 min_volume: int = 0) -> UnitScore:
    """The unit's row of the ranking: its figures, score, rank and 样本不足 as the ranking says them (QA:
    one round answered well read 100.00 with too_few false and no rank, where the ranking said 样本不足)."""
    ensure_can_assess(actor, unit_id)
    unit = db.get(Unit, unit_id)
    if unit is None:
        raise NotFound("unit_not_found", "承办单位不存在")
    rows = ranking(db, actor=actor, period=period, preset=preset, min_volume=min_volume)
    row = next((r for r in rows if r.unit_id == unit_id), None)
    if row is not None:
        return row
    return UnitScore(unit_id=unit_id, unit_name=unit.short_name, score=None, figures=figures_of({}), volume=0)


@dataclass(frozen=True)
class TrendPoint:
    month: str
    score: float | None
    figures: dict[str, Figure]


def trend(db: Session, *, actor: Actor, period: Period, preset: Preset, unit_id: int | None = None) -> list[TrendPoint]:
    """Month by month over the period: one unit, or (unit_id None) all units taken together."""
    if unit_id is None:
        if actor.role not in SEE_ALL:
            raise Forbidden("assessment_forbidden", "单位负责人只能查看本单位的考核趋势")
        data = facts.monthly(db, start=period.start, end=period.end, combine_units=True)
        key = -1
    else:
        ensure_can_assess(actor, unit_id)
        data = facts.monthly(db, start=period.start, end=period.end, unit_ids=[unit_id])
        key = unit_id
    points = []
    for m in months_in(period):
        figs = data.get((key, m), {})
        points.append(TrendPoint(m, score(preset, figs), figures_of(figs, tuple(INDICATORS))))
    return points


def centre_figures(db: Session, *, period: Period) -> dict[str, Figure]:
    figs = facts.totals(db, start=period.start, end=period.end, unit_ids=[CENTRE_KEY]).get(CENTRE_KEY, {})
    return figures_of(figs, (Indicator.DIRECT_ANSWER,))


# ---- direct computation and drill-down -------------------------------------------------------------


def _candidates(unit_id: int | None) -> Any:
    if unit_id is None or unit_id == CENTRE_KEY:
        return None
    # Every contribution to a unit comes from a ticket once assigned to it (queue index on unit_id).
    return select(TicketAssignment.ticket_id).where(TicketAssignment.unit_id == unit_id)


def direct_totals(db: Session, *, period: Period, unit_id: int | None = None) -> facts.Totals:
    """The figures computed straight from ticket events (no fact table): what the facts must equal."""
    c = contributions(by_candidates(since=period.start_utc, ticket_ids=_candidates(unit_id)))
    conds = [c.c.unit_id.is_not(None), c.c.day >= period.start, c.c.day <= period.end]
    if unit_id is not None:
        conds.append(c.c.unit_id == unit_id)
    rows = db.execute(
        select(c.c.unit_id, c.c.indicator, func.sum(c.c.num), func.sum(c.c.den)).where(*conds)
        .group_by(c.c.unit_id, c.c.indicator)
    ).all()
    out: dict[int, dict[str, tuple[int, int]]] = {}
    for u, ind, num, den in rows:
        if int(num or 0) or int(den or 0):
            out.setdefault(int(u), {})[ind] = (int(num or 0), int(den or 0))
    return out


@dataclass(frozen=True)
class DrillRow:
    ticket_id: int
    number: str
    title: str
    state: str
    day: date
    action: str
    at: datetime
    num: int
    den: int


def drill(db: Session, *, actor: Actor, unit_id: int, indicator: Indicator, period: Period, part: str,
          page: int = 1, page_size: int = 20) -> tuple[list[DrillRow], int]:
    """The ticket events behind one figure: part "num" (the numerator's) or "den" (the denominator's)."""
    if unit_id == CENTRE_KEY:
        _ensure_centre(actor)
    else:
        ensure_can_assess(actor, unit_id)
    if part not in ("num", "den"):
        raise DomainError("part_invalid", "请选择分子（num）或分母（den）", status_code=422)
    page, page_size = max(page, 1), max(1, min(page_size, MAX_DRILL_ROWS))
    c = contributions(by_candidates(since=period.start_utc, ticket_ids=_candidates(unit_id)))
    value = c.c.num if part == "num" else c.c.den
    conds = [c.c.unit_id == unit_id, c.c.indicator == str(indicator), c.c.day >= period.start,
             c.c.day <= period.end, value != 0]
    if actor.data_scope != DataScope.ALL:  # a district's supervisor lists the tickets of its district only
        conds.append(visible_condition(actor))
    total = db.execute(select(func.count()).select_from(c).join(Ticket, Ticket.id == c.c.ticket_id)
                       .where(*conds)).scalar_one()
    rows = db.execute(
        select(Ticket.id, Ticket.number, Ticket.title, Ticket.state, c.c.day, TicketEvent.action, TicketEvent.at,
               c.c.num, c.c.den)
        .select_from(c).join(Ticket, Ticket.id == c.c.ticket_id).join(TicketEvent, TicketEvent.id == c.c.event_id)
        .where(*conds).order_by(c.c.day, c.c.event_id).limit(page_size).offset((page - 1) * page_size)
    ).all()
    return [DrillRow(*r) for r in rows], total


def _ensure_centre(actor: Actor) -> None:
    if actor.role not in SEE_ALL:
        raise Forbidden("assessment_forbidden", "中心指标仅督办员、分析员和管理员可查看")


# ---- exemptions ----------------------------------------------------------------------------------

REQUESTERS = frozenset({Role.UNIT_HANDLER, Role.UNIT_MANAGER, Role.SUPERVISOR, Role.DISPATCHER,
                        Role.CALLBACK_AGENT})


def _ticket(db: Session, *, ticket_id: int | None, number: str | None) -> Ticket:
    ticket = None
    if ticket_id:
        ticket = db.get(Ticket, ticket_id)
    elif number:
        ticket = db.execute(select(Ticket).where(Ticket.number == number.strip().upper())).unique().scalar_one_or_none()
    if ticket is None:
        raise NotFound("ticket_not_found", f"工单 {number or ticket_id or ''} 不存在".replace("  ", " "))
    return ticket


def request_exemption(db: Session, rt: Runtime, *, actor: Actor, kind: ExemptionKind, reason: str,
                      ticket_id: int | None = None, number: str | None = None) -> Exemption:
    if actor.role not in REQUESTERS:
        raise Forbidden("exemption_forbidden", "当前角色无权申请考核豁免")
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DomainError("reason_required", "请填写豁免理由（至少5个字）", status_code=422)
    try:
        ticket = _ticket(db, ticket_id=ticket_id, number=number)
        unit_id = ticket.lead_unit_id
        if actor.role not in UNIT_ROLES and not can_view(actor, ticket):  # another district's: as missing
            raise NotFound("ticket_not_found", f"工单 {number or ticket_id} 不存在")
        if actor.role in UNIT_ROLES:
            if not any(a.unit_id == actor.unit_id for a in ticket.assignments):
                raise Forbidden("exemption_forbidden", "只能为派至本单位的工单申请考核豁免")
            unit_id = actor.unit_id
        if kind == ExemptionKind.VEXATIOUS_REPEAT and not ticket.reopen_count:
            raise DomainError("not_reopened", "“无理重复诉求”豁免仅适用于回访后退回重办过的工单", status_code=422)
        existing = db.execute(select(Exemption.id).where(
            Exemption.ticket_id == ticket.id, Exemption.kind == str(kind),
            Exemption.status.in_([str(ExemptionStatus.PENDING), str(ExemptionStatus.APPROVED)]))).first()
        if existing is not None:
            raise Conflict("exemption_exists", f"工单 {ticket.number} 已有同类豁免申请（待审核或已批准）")
        now = rt.clock.now()
        row = Exemption(ticket_id=ticket.id, kind=str(kind), status=str(ExemptionStatus.PENDING), reason=reason,
                        unit_id=unit_id, indicators=sorted(str(i) for i in EXEMPTION_EFFECTS[kind]),
                        requested_by_id=actor.user_id, requested_by_name=actor.name, requested_at=now)
        db.add(row)
        db.flush()
        audit.record(db, actor=actor, at=now, action="request_exemption", object_type="exemption", object_id=row.id,
                     detail=f"{ticket.number} {kind}：{reason}")
        db.commit()
    except Exception:
        db.rollback()
        raise
    return row


def _ensure_in_scope(db: Session, actor: Actor, ticket_id: int) -> None:
    """A district's supervisor works on its district's tickets only: an exemption (or a ticket) of
    another district reads as missing, as the ticket itself does (QA: it listed, showed and approved
    them, ticket numbers and titles included)."""
    if actor.role in UNIT_ROLES or actor.data_scope == DataScope.ALL:
        return
    ticket = db.get(Ticket, ticket_id)
    if ticket is None or not can_view(actor, ticket):
        raise NotFound("exemption_not_found", "豁免申请不存在")


def _locked(db: Session, exemption_id: int) -> tuple[AssessmentState, Exemption]:
    """The refresh lock (so the facts cannot move under a correction), then the exemption row locked."""
    state = facts.lock_state(db)
    row = db.execute(select(Exemption).where(Exemption.id == exemption_id).with_for_update()
                     .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        raise NotFound("exemption_not_found", "豁免申请不存在")
    return state, row


def decide_exemption(db: Session, rt: Runtime, *, actor: Actor, exemption_id: int, approve: bool,
                     reason: str) -> Exemption:
    """A supervisor approves or refuses; an approval takes the ticket out of the affected figures at once
    (the facts already counted are corrected under the refresh lock)."""
    if actor.role != Role.SUPERVISOR:
        raise Forbidden("exemption_forbidden", "只有督办员可以审核考核豁免")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError("reason_required", "请填写审核意见（至少2个字）", status_code=422)
    try:
        state, row = _locked(db, exemption_id)
        _ensure_in_scope(db, actor, row.ticket_id)
        if row.status != ExemptionStatus.PENDING:
            raise Conflict("exemption_decided", "该豁免申请已审核，不能重复审核")
        if row.requested_by_id is not None and row.requested_by_id == actor.user_id:
            raise Forbidden("exemption_self", "不能审核本人提出的豁免申请")
        now = rt.clock.now()
        before = facts.ticket_contributions(db, row.ticket_id, state.last_event_id) if approve else {}
        row.status = str(ExemptionStatus.APPROVED if approve else ExemptionStatus.REFUSED)
        row.decided_by_id, row.decided_by_name, row.decided_at = actor.user_id, actor.name, now
        row.decision_reason = reason
        db.flush()
        if approve:
            facts.apply_delta(db, before, facts.ticket_contributions(db, row.ticket_id, state.last_event_id))
        audit.record(db, actor=actor, at=now, action="approve_exemption" if approve else "refuse_exemption",
                     object_type="exemption", object_id=row.id, detail=reason)
        db.commit()
    except Exception:
        db.rollback()
        raise
    return row


REVOKERS = frozenset({Role.SUPERVISOR, Role.ADMIN})


def revoke_exemption(db: Session, rt: Runtime, *, actor: Actor, exemption_id: int, reason: str) -> Exemption:
    """Undo an approval (撤销): the ticket counts again in the indicators its kind had taken it out of.

    As for an approval, under the refresh lock the ticket's contributions already in the facts are
    computed before and after the change and the difference is applied — every day and unit the ticket
    touched, not only the latest; events processed later see the revoked status. The request, the
    approval and the revocation stay on the row."""
    if actor.role not in REVOKERS:
        raise Forbidden("exemption_forbidden", "只有督办员或系统管理员可以撤销考核豁免")
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DomainError("reason_required", "请填写撤销理由（至少5个字）", status_code=422)
    try:
        state, row = _locked(db, exemption_id)
        _ensure_in_scope(db, actor, row.ticket_id)
        if row.status == ExemptionStatus.REVOKED:
            raise Conflict("exemption_revoked", "该豁免已撤销，不能重复撤销")
        if row.status != ExemptionStatus.APPROVED:
            label = "待审核" if row.status == ExemptionStatus.PENDING else "未批准"
            raise Conflict("exemption_not_approved", f"只有已批准的豁免可以撤销（当前状态：{label}）")
        now = rt.clock.now()
        before = facts.ticket_contributions(db, row.ticket_id, state.last_event_id)
        row.status = str(ExemptionStatus.REVOKED)
        row.revoked_by_id, row.revoked_by_name, row.revoked_at = actor.user_id, actor.name, now
        row.revoke_reason = reason
        db.flush()
        facts.apply_delta(db, before, facts.ticket_contributions(db, row.ticket_id, state.last_event_id))
        audit.record(db, actor=actor, at=now, action="revoke_exemption", object_type="exemption", object_id=row.id,
                     detail=reason)
        db.commit()
    except Exception:
        db.rollback()
        raise
    return row


@dataclass(frozen=True)
class ExemptionView:
    row: Exemption
    number: str
    title: str
    unit_name: str | None


def list_exemptions(db: Session, *, actor: Actor, status: ExemptionStatus | None = None, page: int = 1,
                    page_size: int = 20) -> tuple[list[ExemptionView], int]:
    conds: list[Any] = []
    if actor.role in UNIT_ROLES:
        conds.append(Exemption.unit_id == actor.unit_id)
    elif actor.role not in SEE_ALL | {Role.DISPATCHER, Role.CALLBACK_AGENT}:
        raise Forbidden("exemption_forbidden", "当前角色无权查看考核豁免")
    elif actor.data_scope != DataScope.ALL:  # a district's supervisor: its district's tickets only
        conds.append(visible_condition(actor))
    if status:
        conds.append(Exemption.status == str(status))
    page, page_size = max(page, 1), max(1, min(page_size, 200))
    total = db.execute(select(func.count(Exemption.id)).join(Ticket, Ticket.id == Exemption.ticket_id)
                       .where(*conds)).scalar_one()
    rows = db.execute(
        select(Exemption, Ticket.number, Ticket.title, Unit.short_name)
        .join(Ticket, Ticket.id == Exemption.ticket_id).outerjoin(Unit, Unit.id == Exemption.unit_id)
        .where(*conds).order_by(Exemption.id.desc()).limit(page_size).offset((page - 1) * page_size)
    ).all()
    return [ExemptionView(r, n, t, u) for r, n, t, u in rows], total


# ---- the leaders' dashboard ----------------------------------------------------------------------

OPEN_STATES = (State.REGISTERED, State.DISPATCHED, State.HANDLING, State.RETURN_REVIEW, State.REPLIED,
               State.TRANSFERRED)


@dataclass
class Dashboard:
    today_intake: int
    open: int
    overdue: int
    month: Period
    three_rates: dict[str, Figure]
    direct_answer: Figure
    top: list[UnitScore]
    bottom: list[UnitScore]
    facts_as_of: datetime | None
    pending_events: int
    min_rounds: int = 0  # units with fewer rounds are in neither list


def dashboard(db: Session, rt: Runtime, *, actor: Actor, preset: Preset, top_n: int = 5) -> Dashboard:
    """Headline figures: live counts from indexed ticket columns, rates and rankings from the facts."""
    if actor.role not in SEE_ALL:
        raise Forbidden("dashboard_forbidden", "领导看板仅督办员、分析员和管理员可查看")
    now = rt.clock.now()
    today = to_local(now).date()
    midnight = datetime.combine(today, time(0), CHINA_TZ)
    # The live counts are of the tickets the actor may see (a district's supervisor: its district); the
    # rates and rankings below are the units' assessment, city-wide by nature.
    scope = visible_condition(actor)
    intake = db.execute(select(func.count(Ticket.id)).where(Ticket.created_at >= midnight, scope)).scalar_one()
    open_count = db.execute(
        select(func.count(Ticket.id)).where(Ticket.state.in_([str(s) for s in OPEN_STATES]), scope)).scalar_one()
    overdue = db.execute(select(func.count(Ticket.id)).where(
        Ticket.state.in_([str(State.DISPATCHED), str(State.HANDLING)]), Ticket.due_at < now, scope)).scalar_one()
    month = Period(today.replace(day=1), today)
    all_units = facts.monthly(db, start=month.start, end=month.end, combine_units=True)
    combined = all_units.get((-1, f"{today:%Y-%m}"), {})
    three = figures_of(combined, (Indicator.RESPONSE, Indicator.RESOLUTION, Indicator.SATISFACTION))
    direct = figures_of(combined, (Indicator.DIRECT_ANSWER,))[str(Indicator.DIRECT_ANSWER)]
    ranked = [r for r in ranking(db, actor=actor, period=month, preset=preset,
                                 min_volume=rt.settings.assessment_min_rounds) if r.rank is not None]
    state = facts.mark(db)
    hwm = state.last_event_id if state else 0
    newest = db.execute(select(func.max(TicketEvent.id))).scalar() or 0
    return Dashboard(today_intake=intake, open=open_count, overdue=overdue, month=month, three_rates=three,
                     direct_answer=direct, top=ranked[:top_n],
                     bottom=ranked[-top_n:][::-1] if len(ranked) > top_n else [],
                     facts_as_of=state.refreshed_at if state else None, pending_events=max(newest - hwm, 0),
                     min_rounds=rt.settings.assessment_min_rounds)


def get_exemption(db: Session, *, actor: Actor, exemption_id: int) -> ExemptionView:
    row = db.get(Exemption, exemption_id)
    if row is None:
        raise NotFound("exemption_not_found", "豁免申请不存在")
    if actor.role in UNIT_ROLES and row.unit_id != actor.unit_id:
        raise Forbidden("exemption_forbidden", "只能查看本单位的豁免申请")
    if actor.role not in UNIT_ROLES | SEE_ALL | {Role.DISPATCHER, Role.CALLBACK_AGENT}:
        raise Forbidden("exemption_forbidden", "当前角色无权查看考核豁免")
    _ensure_in_scope(db, actor, row.ticket_id)
    ticket = db.get(Ticket, row.ticket_id)
    unit = db.get(Unit, row.unit_id) if row.unit_id else None
    return ExemptionView(row, ticket.number if ticket else "", ticket.title if ticket else "",
                         unit.short_name if unit else None)


def record_export(db: Session, rt: Runtime, *, actor: Actor, what: str, rows: int) -> None:
    """Exports leave a trace (谁使用、谁负责), as their own commit."""
    audit.record(db, actor=actor, at=rt.clock.now(), action="export_assessment", object_type="assessment",
                 object_id=what, detail=f"导出{rows}行")
    db.commit()
