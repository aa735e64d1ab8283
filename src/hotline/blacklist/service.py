"""The only code that changes the blacklist, and `standing`, the one question other packages ask.

Each public function that changes state is one use case and owns its transaction (one commit);
every change appends a `BlacklistEvent` and an audit entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from hotline.blacklist import sources
from hotline.blacklist.enums import (
    APPEAL_LABELS,
    GROUND_LABELS,
    VERDICT_LABELS,
    AppealDecision,
    Effective,
    EntryAction,
    EntryStatus,
    EvidenceKind,
    Ground,
    Verdict,
)
from hotline.blacklist.models import (
    AbuseReport,
    BlacklistAppeal,
    BlacklistEntry,
    BlacklistEvent,
    BlacklistEvidence,
    PoliceReferral,
    TicketVerdict,
)
from hotline.errors import Conflict, DomainError, Forbidden, InvalidTransition, NotFound
from hotline.phones import junk
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.masking import mask_phone
from hotline.security.permissions import ensure_can_view, visible_condition
from hotline.security.roles import UNIT_ROLES, DataScope, Role
from hotline.tickets.enums import State
from hotline.tickets.models import Ticket


@dataclass(frozen=True)
class Standing:
    """A caller's standing at a moment. `listed` limits abuse, never access to help: routing still
    puts emergencies and genuinely new matters through (see `restricts`)."""

    listed: bool
    reason: str | None = None
    until: datetime | None = None
    entry_id: int | None = None
    ground: str | None = None

    def restricts(self, *, emergency: bool, new_matter: bool) -> bool:
        """Whether the blacklist may limit this call at all."""
        return self.listed and not emergency and not new_matter


NOT_LISTED = Standing(listed=False)


def normalize_phone(phone: str | None) -> str:
    """Digits only, without the country code: "+86 138-0000-0000" and "13800000000" are one caller."""
    digits = "".join(ch for ch in (phone or "") if ch.isdecimal())
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def standing(db: Session, phone: str | None, at: datetime) -> Standing:
    """The caller's standing at `at`: listed while a confirmed entry has not run out or been revoked.
    With several live entries, the one lasting longest is reported (an entry without end first)."""
    number = normalize_phone(phone)
    if not number or junk(number):  # a withheld caller ID (0000000) is many callers, never one listed caller
        return NOT_LISTED
    rows = db.execute(
        select(BlacklistEntry).where(
            BlacklistEntry.phone == number,
            BlacklistEntry.status == EntryStatus.CONFIRMED,
            or_(BlacklistEntry.expires_at.is_(None), BlacklistEntry.expires_at > at),
            or_(BlacklistEntry.decided_at.is_(None), BlacklistEntry.decided_at <= at),
        )
    ).scalars().all()
    if not rows:
        return NOT_LISTED
    entry = max(rows, key=lambda e: (e.expires_at is None, e.expires_at or at, e.id))
    reason = GROUND_LABELS[Ground(entry.ground)]
    if entry.decision_reason:
        reason = f"{reason}：{entry.decision_reason}"
    return Standing(listed=True, reason=reason, until=entry.expires_at, entry_id=entry.id, ground=entry.ground)


# ---- the rules that propose candidates ------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """Thresholds of the candidate rules (defaults; the CLI and API may override them)."""

    false_report_window_days: int = 365
    false_report_min: int = 3
    occupation_window_days: int = 30
    long_call_seconds: int = 1200  # a talk of 20 minutes or more occupies a seat abnormally
    long_call_min: int = 3

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int) or value < 1:
                raise DomainError("bad_rule", f"候选规则参数 {name} 必须是正整数")


@dataclass(frozen=True)
class Fact:
    """One piece of evidence the rules found."""

    kind: EvidenceKind
    ref: str
    occurred_at: datetime | None
    note: str
    ticket_id: int | None = None
    call_id: int | None = None
    abuse_report_id: int | None = None


def false_report_facts(db: Session, *, since: datetime) -> dict[str, list[Fact]]:
    rows = db.execute(
        select(TicketVerdict.phone, TicketVerdict.ticket_id, TicketVerdict.at, TicketVerdict.note, Ticket.number)
        .join(Ticket, Ticket.id == TicketVerdict.ticket_id)
        .where(TicketVerdict.verdict == Verdict.UNFOUNDED, TicketVerdict.at >= since,
               TicketVerdict.phone.is_not(None))
        .order_by(TicketVerdict.at)
    ).all()
    out: dict[str, list[Fact]] = defaultdict(list)
    for phone, ticket_id, at, note, number in rows:
        if phone is None:
            continue
        text = f"工单 {number} 经核实不实：{note}"[:300]
        out[phone].append(Fact(EvidenceKind.TICKET, f"ticket:{ticket_id}", at, text, ticket_id=ticket_id))
    return out


def occupation_facts(db: Session, *, since: datetime, until: datetime, min_seconds: int,
                     call_source: sources.CallSource = sources.long_calls) -> dict[str, list[Fact]]:
    out: dict[str, list[Fact]] = defaultdict(list)
    for c in sorted(call_source(db, since=since, until=until, min_seconds=min_seconds), key=lambda c: c.answered_at):
        minutes = c.talk_seconds / 60
        out[c.phone].append(Fact(EvidenceKind.CALL, f"call:{c.call_id}", c.answered_at,
                                 f"通话 {c.call_id} 时长 {minutes:.0f} 分钟", call_id=c.call_id))
    return out


# ---- helpers --------------------------------------------------------------------------------------

VIEW_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.SUPERVISOR, Role.ANALYST,
                        Role.ADMIN, Role.SYSTEM})
# Hall roles that call the person back or decide on the entry see the whole number.
PHONE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.SUPERVISOR, Role.SYSTEM})
PROPOSE_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM})
DECIDE_ROLES = frozenset({Role.SUPERVISOR})
REPORT_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.SUPERVISOR})
APPEAL_ROLES = frozenset({Role.OPERATOR, Role.CALLBACK_AGENT, Role.SUPERVISOR})
VERDICT_ROLES = frozenset({Role.UNIT_HANDLER, Role.UNIT_MANAGER, Role.DISPATCHER, Role.CALLBACK_AGENT,
                           Role.SUPERVISOR})
VERDICT_STATES = frozenset({State.REPLIED, State.CLOSED, State.FINISHED})


def _require(actor: Actor, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise Forbidden("role_forbidden", f"当前角色无权{what}")


def require_view(actor: Actor) -> None:
    _require(actor, VIEW_ROLES, "查看黑名单")


def scope_condition(db: Session, actor: Actor) -> ColumnElement[bool] | None:
    """The entries a scoped actor may see and decide: those with evidence from the tickets it may see
    (a district's supervisor: its district's tickets), directly, through an abuse report on such a
    ticket, or through a call registered as one. None: city-wide (the hall's staff, the system).
    An entry from calls alone (line occupation) has no district: it is the city-wide staff's."""
    if actor.data_scope == DataScope.ALL:
        return None
    tickets = select(Ticket.id).where(visible_condition(actor))
    named = [BlacklistEvidence.ticket_id.in_(tickets)]
    calls = sources.calls_on_tickets(db, tickets)
    if calls is not None:
        named.append(BlacklistEvidence.call_id.in_(calls))
    return exists().where(BlacklistEvidence.entry_id == BlacklistEntry.id, or_(*named))


def may_propose(actor: Actor) -> bool:
    """The rules run over the whole city's calls and tickets: not for a district's supervisor."""
    return actor.role in PROPOSE_ROLES and actor.data_scope == DataScope.ALL


def sees_phone(actor: Actor) -> bool:
    return actor.role in PHONE_ROLES


def shown_phone(actor: Actor, phone: str | None) -> str | None:
    return phone if sees_phone(actor) else mask_phone(phone)


def _text(value: str | None, what: str, *, min_len: int = 2, max_len: int = 2000) -> str:
    text = (value or "").strip()
    if len(text) < min_len:
        raise DomainError("text_required", f"请填写{what}（至少 {min_len} 个字）")
    if len(text) > max_len:
        raise DomainError("text_too_long", f"{what}过长（最多 {max_len} 字）")
    return text


def _phone(value: str | None) -> str:
    number = normalize_phone(value)
    if not 5 <= len(number) <= 20:
        raise DomainError("bad_phone", "电话号码格式不正确：请填写 5—20 位数字")
    if junk(number):
        raise DomainError("junk_phone", f"号码 {number} 各位数字相同或依次连续，常为不显示号码的来电，"
                                        "不是某一个人的号码，不能作为黑名单依据")
    return number


def effective(entry: BlacklistEntry, now: datetime) -> Effective:
    if entry.status == EntryStatus.CONFIRMED:
        return Effective.EXPIRED if entry.expires_at is not None and entry.expires_at <= now else Effective.ACTIVE
    return Effective(entry.status)


def _event(db: Session, entry: BlacklistEntry, actor: Actor, now: datetime, action: EntryAction,
           from_status: str | None, note: str | None) -> None:
    db.add(BlacklistEvent(entry_id=entry.id, action=action, from_status=from_status, to_status=entry.status,
                          actor_id=actor.user_id, actor_name=actor.name, actor_role=str(actor.role), at=now,
                          note=note))
    audit.record(db, actor=actor, at=now, action=f"blacklist_{action}", object_type="blacklist_entry",
                 object_id=entry.id, detail=note)


def _commit(db: Session) -> None:
    try:
        db.commit()
    except Exception:
        db.rollback()
        raise


def _load(db: Session, entry_id: int, *, lock: bool = False, actor: Actor | None = None) -> BlacklistEntry:
    """The entry; one outside the actor's scope reads as missing (as another district's ticket does)."""
    stmt = select(BlacklistEntry).where(BlacklistEntry.id == entry_id)
    scope = scope_condition(db, actor) if actor is not None else None
    if scope is not None:
        stmt = stmt.where(scope)
    if lock:
        stmt = stmt.with_for_update()
    entry = db.execute(stmt).scalar_one_or_none()
    if entry is None:
        raise NotFound("entry_not_found", f"黑名单记录 {entry_id} 不存在")
    return entry


def _add_facts(db: Session, entry: BlacklistEntry, facts: Sequence[Fact], now: datetime) -> int:
    known = set(db.execute(select(BlacklistEvidence.ref).where(BlacklistEvidence.entry_id == entry.id)).scalars())
    added = 0
    for f in facts:
        if f.ref in known:
            continue
        db.add(BlacklistEvidence(entry_id=entry.id, kind=f.kind, ref=f.ref, ticket_id=f.ticket_id, call_id=f.call_id,
                                 abuse_report_id=f.abuse_report_id, occurred_at=f.occurred_at, note=f.note,
                                 added_at=now))
        known.add(f.ref)
        added += 1
    return added


def _new_entry(db: Session, *, phone: str, ground: Ground, summary: str, source: str, actor: Actor,
               now: datetime) -> BlacklistEntry:
    entry = BlacklistEntry(phone=phone, ground=ground, status=EntryStatus.PROPOSED, summary=summary, source=source,
                           proposed_at=now, proposed_by_id=actor.user_id, proposed_by_name=actor.name,
                           appeal_pending=False, updated_at=now)
    db.add(entry)
    db.flush()
    return entry


# ---- proposing ----------------------------------------------------------------------------------


@dataclass
class ProposeResult:
    created: list[int] = field(default_factory=list)
    extended: list[int] = field(default_factory=list)  # open candidates that received new evidence

    @property
    def total(self) -> int:
        return len(self.created) + len(self.extended)


def _used_refs(db: Session, phones: Sequence[str], ground: Ground) -> dict[str, set[str]]:
    """Evidence already weighed by a supervisor (confirmed, rejected, revoked): it does not count again."""
    if not phones:
        return {}
    rows = db.execute(
        select(BlacklistEntry.phone, BlacklistEvidence.ref)
        .join(BlacklistEvidence, BlacklistEvidence.entry_id == BlacklistEntry.id)
        .where(BlacklistEntry.phone.in_(phones), BlacklistEntry.ground == ground,
               BlacklistEntry.status != EntryStatus.PROPOSED)
    ).all()
    out: dict[str, set[str]] = defaultdict(set)
    for phone, ref in rows:
        out[phone].add(ref)
    return out


def _open_entries(db: Session, phones: Sequence[str], ground: Ground, now: datetime) -> dict[str, BlacklistEntry]:
    """Per phone, the entry new facts attach to: an open candidate; or a live confirmed entry (then
    nothing new is proposed)."""
    if not phones:
        return {}
    rows = db.execute(
        select(BlacklistEntry).where(
            BlacklistEntry.phone.in_(phones), BlacklistEntry.ground == ground,
            or_(BlacklistEntry.status == EntryStatus.PROPOSED,
                (BlacklistEntry.status == EntryStatus.CONFIRMED)
                & or_(BlacklistEntry.expires_at.is_(None), BlacklistEntry.expires_at > now)),
        ).order_by(BlacklistEntry.id)
    ).scalars()
    return {e.phone: e for e in rows}


def _propose_ground(db: Session, *, ground: Ground, facts: dict[str, list[Fact]], minimum: int, describe: str,
                    actor: Actor, now: datetime, result: ProposeResult) -> None:
    phones = sorted(p for p in facts if not junk(p))  # calls from withheld numbers are many callers'
    used = _used_refs(db, phones, ground)
    open_ = _open_entries(db, phones, ground, now)
    for phone in phones:
        fresh = [f for f in facts[phone] if f.ref not in used.get(phone, set())]
        current = open_.get(phone)
        if current is not None:
            if current.status == EntryStatus.PROPOSED:
                added = _add_facts(db, current, fresh, now)
                if added:
                    current.updated_at = now
                    _event(db, current, actor, now, EntryAction.ADD_EVIDENCE, current.status,
                           f"候选规则补充 {added} 条证据")
                    result.extended.append(current.id)
            continue
        if len(fresh) < minimum:
            continue
        entry = _new_entry(db, phone=phone, ground=ground, summary=describe.format(n=len(fresh)), source="rule",
                           actor=actor, now=now)
        _add_facts(db, entry, fresh, now)
        _event(db, entry, actor, now, EntryAction.PROPOSE, None, entry.summary)
        result.created.append(entry.id)


def propose(db: Session, rt: Runtime, *, actor: Actor, rules: Rules | None = None,
            call_source: sources.CallSource = sources.long_calls) -> ProposeResult:
    """Run the candidate rules over history; new candidates wait for a supervisor's decision.
    `call_source` is where long calls come from (the call records by default)."""
    _require(actor, PROPOSE_ROLES, "运行黑名单候选规则")
    if not may_propose(actor):
        raise Forbidden("scope_forbidden", "候选规则对全市的来电和工单运行，须由全市范围的督办员或系统管理员执行；"
                                           "本辖区的候选请在黑名单列表中查看")
    rules = rules or Rules()
    now = rt.clock.now()
    result = ProposeResult()
    _propose_ground(
        db, ground=Ground.FALSE_REPORTS, minimum=rules.false_report_min, actor=actor, now=now, result=result,
        facts=false_report_facts(db, since=now - timedelta(days=rules.false_report_window_days)),
        describe=f"近 {rules.false_report_window_days} 天内 {{n}} 件诉求经承办单位或办结核实为不实",
    )
    _propose_ground(
        db, ground=Ground.LINE_OCCUPATION, minimum=rules.long_call_min, actor=actor, now=now, result=result,
        facts=occupation_facts(db, since=now - timedelta(days=rules.occupation_window_days), until=now,
                               min_seconds=rules.long_call_seconds, call_source=call_source),
        describe=f"近 {rules.occupation_window_days} 天内 {{n}} 次通话超过 {rules.long_call_seconds // 60} 分钟",
    )
    audit.record(db, actor=actor, at=now, action="blacklist_propose_run", object_type="blacklist", object_id="rules",
                 detail=f"新增候选 {len(result.created)} 条，补充证据 {len(result.extended)} 条")
    _commit(db)
    return result


# ---- verdicts and abuse reports -----------------------------------------------------------------


def record_verdict(db: Session, rt: Runtime, *, actor: Actor, ticket_id: int, verdict: Verdict,
                   note: str) -> TicketVerdict:
    """A unit (on a ticket it handled) or the hall's closer records whether the request was founded."""
    _require(actor, VERDICT_ROLES, "认定诉求是否属实")
    note = _text(note, "核实情况说明", max_len=1000)
    ticket = db.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("ticket_not_found", f"工单 {ticket_id} 不存在")
    ensure_can_view(actor, ticket)
    if actor.role in UNIT_ROLES and not any(a.unit_id == actor.unit_id for a in ticket.assignments):
        raise Forbidden("ticket_forbidden", "只有办理过该工单的单位可以认定诉求是否属实")
    if ticket.state not in VERDICT_STATES:
        raise Conflict("verdict_too_early", "工单答复或办结后才能认定诉求是否属实")
    phone = normalize_phone(ticket.requester_phone) or None
    if verdict == Verdict.UNFOUNDED and phone is None:
        raise DomainError("no_phone", "该工单没有诉求人电话，不能作为列入黑名单的依据")
    now = rt.clock.now()
    row = db.execute(select(TicketVerdict).where(TicketVerdict.ticket_id == ticket_id)).scalar_one_or_none()
    before = row.verdict if row else None
    if row is None:
        row = TicketVerdict(ticket_id=ticket_id)
        db.add(row)
    row.phone, row.verdict, row.note, row.at = phone, verdict, note, now
    row.by_id, row.by_name, row.by_role, row.unit_id = actor.user_id, actor.name, str(actor.role), actor.unit_id
    # the ticket's number (the audit page links it), and the verdicts by their names
    said = VERDICT_LABELS.get(before, before) if before else "未认定"  # a StrEnum key matches its text
    audit.record(db, actor=actor, at=now, action="blacklist_verdict", object_type="ticket", object_id=ticket.number,
                 detail=f"{said} → {VERDICT_LABELS[Verdict(verdict)]}：{note}")
    _commit(db)
    return row


def report_abuse(db: Session, rt: Runtime, *, actor: Actor, phone: str, description: str,
                 occurred_at: datetime | None = None, call_id: int | None = None,
                 ticket_id: int | None = None) -> AbuseReport:
    """An operator reports abuse of staff: recorded at once and put before a supervisor as a candidate
    (attached to the caller's open abuse candidate when there is one)."""
    _require(actor, REPORT_ROLES, "登记辱骂骚扰")
    number = _phone(phone)
    description = _text(description, "辱骂骚扰情况", min_len=4)
    now = rt.clock.now()
    when = occurred_at or now
    if when.tzinfo is None:
        raise DomainError("naive_time", "发生时间须带时区")
    if when > now:
        raise DomainError("future_time", "发生时间不能晚于当前时间")
    if ticket_id is not None and db.get(Ticket, ticket_id) is None:
        raise NotFound("ticket_not_found", f"工单 {ticket_id} 不存在")
    if call_id is not None:
        _check_call(db, call_id, number)
    report = AbuseReport(phone=number, call_id=call_id, ticket_id=ticket_id, description=description,
                         occurred_at=when, reported_at=now, reported_by_id=actor.user_id, reported_by_name=actor.name)
    db.add(report)
    db.flush()
    open_ = _open_entries(db, [number], Ground.ABUSE, now).get(number)
    entry = open_ if open_ is not None and open_.status == EntryStatus.PROPOSED else None
    if entry is None:
        entry = _new_entry(db, phone=number, ground=Ground.ABUSE, summary=f"话务员报告：{description}"[:1000],
                           source="report", actor=actor, now=now)
        action = EntryAction.PROPOSE
    else:
        action = EntryAction.ADD_EVIDENCE
    facts = [Fact(EvidenceKind.ABUSE_REPORT, f"abuse:{report.id}", when, description[:300], abuse_report_id=report.id)]
    if call_id is not None:
        facts.append(Fact(EvidenceKind.CALL, f"call:{call_id}", when, f"通话 {call_id}", call_id=call_id))
    if ticket_id is not None:
        facts.append(Fact(EvidenceKind.TICKET, f"ticket:{ticket_id}", when, f"工单 {ticket_id}", ticket_id=ticket_id))
    _add_facts(db, entry, facts, now)
    report.entry_id = entry.id
    entry.updated_at = now
    _event(db, entry, actor, now, action, entry.status if action == EntryAction.ADD_EVIDENCE else None,
           f"辱骂骚扰报告 {report.id}")
    _commit(db)
    return report


def _check_call(db: Session, call_id: int, number: str) -> None:
    """A call given as evidence is one on record, and the caller's own (QA: any number was taken, and a
    call from someone else was filed as evidence against this caller)."""
    model = sources._call_model()
    if model is None:
        return
    call = db.get(model, call_id)
    if call is None:
        raise NotFound("call_not_found", f"通话 {call_id} 不存在")
    if call.caller and normalize_phone(call.caller) != number:
        raise DomainError("call_of_another_number", f"通话 {call_id} 的来电号码不是 {mask_phone(number)}："
                          "只能附上该号码本人的通话", status_code=422)


def refer_to_police(db: Session, rt: Runtime, *, actor: Actor, abuse_report_id: int, referred_at: datetime | None,
                    police_unit: str, reference: str, note: str | None = None) -> PoliceReferral:
    """警情移交: record that an abuse report was handed to the police."""
    _require(actor, REPORT_ROLES, "登记警情移交")
    report = db.get(AbuseReport, abuse_report_id)
    scope = scope_condition(db, actor)
    if report is not None and scope is not None and (report.entry_id is None or db.execute(
            select(BlacklistEntry.id).where(BlacklistEntry.id == report.entry_id, scope)).first() is None):
        report = None  # another district's report reads as missing
    if report is None:
        raise NotFound("abuse_report_not_found", f"辱骂骚扰记录 {abuse_report_id} 不存在")
    now = rt.clock.now()
    when = referred_at or now
    if when.tzinfo is None:
        raise DomainError("naive_time", "移交时间须带时区")
    if when > now or when < report.occurred_at:
        raise DomainError("bad_time", "移交时间须在事件发生之后、当前时间之前")
    unit = _text(police_unit, "接收警情的公安机关", max_len=100)
    number = _text(reference, "警情编号", min_len=1, max_len=64)
    if db.execute(select(PoliceReferral.id).where(PoliceReferral.abuse_report_id == report.id,
                                                  PoliceReferral.reference == number)).first():
        raise Conflict("referral_exists", f"该记录已登记过警情编号 {number} 的移交")  # a double submit, not two
    referral = PoliceReferral(abuse_report_id=report.id, referred_at=when, referred_by_id=actor.user_id,
                              referred_by_name=actor.name, police_unit=unit, reference=number,
                              note=(note or "").strip()[:1000] or None, recorded_at=now)
    db.add(referral)
    if report.entry_id is not None:
        entry = _load(db, report.entry_id)
        _event(db, entry, actor, now, EntryAction.REFER_POLICE, entry.status,
               f"移交 {referral.police_unit}，警情编号 {referral.reference}")
    else:
        audit.record(db, actor=actor, at=now, action="blacklist_refer_police", object_type="abuse_report",
                     object_id=report.id, detail=referral.reference)
    _commit(db)
    return referral


# ---- a supervisor's decisions -------------------------------------------------------------------


def confirm(db: Session, rt: Runtime, *, actor: Actor, entry_id: int, reason: str, days: int | None = None
            ) -> BlacklistEntry:
    _require(actor, DECIDE_ROLES, "审核黑名单")
    reason = _text(reason, "列入理由")
    days = rt.settings.blacklist_expiry_days if days is None else days
    if not 1 <= days <= 3650:
        raise DomainError("bad_expiry", "有效期须在 1—3650 天之间")
    entry = _load(db, entry_id, lock=True, actor=actor)
    if entry.status != EntryStatus.PROPOSED:
        raise InvalidTransition("not_proposed", "只有待审核的候选可以列入或不予列入")
    # 回避: who reported the abuse behind an entry does not also list the caller (a sanction on a citizen
    # is decided by a second person)
    reporters = set(db.execute(select(AbuseReport.reported_by_id).where(AbuseReport.entry_id == entry.id)).scalars())
    if actor.user_id is not None and actor.user_id in reporters:
        raise Forbidden("own_report", "该候选依据您本人登记的辱骂骚扰记录提出，请由其他督办人员审核（回避）")
    now = rt.clock.now()
    entry.status, entry.decided_at, entry.decided_by_id, entry.decided_by_name = (
        EntryStatus.CONFIRMED, now, actor.user_id, actor.name)
    entry.decision_reason, entry.expires_at, entry.updated_at = reason, now + timedelta(days=days), now
    _event(db, entry, actor, now, EntryAction.CONFIRM, EntryStatus.PROPOSED, f"{reason}（有效期 {days} 天）")
    _commit(db)
    return entry


def reject(db: Session, rt: Runtime, *, actor: Actor, entry_id: int, reason: str) -> BlacklistEntry:
    _require(actor, DECIDE_ROLES, "审核黑名单")
    reason = _text(reason, "不予列入的理由")
    entry = _load(db, entry_id, lock=True, actor=actor)
    if entry.status != EntryStatus.PROPOSED:
        raise InvalidTransition("not_proposed", "只有待审核的候选可以列入或不予列入")
    now = rt.clock.now()
    entry.status, entry.decided_at, entry.decided_by_id, entry.decided_by_name = (
        EntryStatus.REJECTED, now, actor.user_id, actor.name)
    entry.decision_reason, entry.updated_at = reason, now
    _event(db, entry, actor, now, EntryAction.REJECT, EntryStatus.PROPOSED, reason)
    _commit(db)
    return entry


def _revoke(db: Session, entry: BlacklistEntry, actor: Actor, now: datetime, reason: str) -> None:
    entry.status, entry.revoked_at, entry.revoked_by_id = EntryStatus.REVOKED, now, actor.user_id
    entry.revoked_by_name, entry.revoke_reason, entry.updated_at = actor.name, reason, now


def revoke(db: Session, rt: Runtime, *, actor: Actor, entry_id: int, reason: str) -> BlacklistEntry:
    _require(actor, DECIDE_ROLES, "撤销黑名单")
    reason = _text(reason, "撤销理由")
    entry = _load(db, entry_id, lock=True, actor=actor)
    now = rt.clock.now()
    if effective(entry, now) != Effective.ACTIVE:
        raise InvalidTransition("not_active", "只有生效中的黑名单可以撤销")
    _revoke(db, entry, actor, now, reason)
    _event(db, entry, actor, now, EntryAction.REVOKE, EntryStatus.CONFIRMED, reason)
    _commit(db)
    return entry


def record_appeal(db: Session, rt: Runtime, *, actor: Actor, entry_id: int, text: str) -> BlacklistAppeal:
    """The caller's appeal, as staff took it down (by phone, letter or in person)."""
    _require(actor, APPEAL_ROLES, "登记申诉")
    text = _text(text, "申诉内容", min_len=4)
    entry = _load(db, entry_id, lock=True, actor=actor)
    now = rt.clock.now()
    if effective(entry, now) != Effective.ACTIVE:
        raise InvalidTransition("not_active", "只有生效中的黑名单可以申诉")
    if entry.appeal_pending:
        raise Conflict("appeal_pending", "该记录已有待处理的申诉")
    appeal = BlacklistAppeal(entry_id=entry.id, text=text, recorded_at=now, recorded_by_id=actor.user_id,
                             recorded_by_name=actor.name)
    db.add(appeal)
    entry.appeal_pending, entry.updated_at = True, now
    _event(db, entry, actor, now, EntryAction.APPEAL, entry.status, text)
    _commit(db)
    return appeal


def decide_appeal(db: Session, rt: Runtime, *, actor: Actor, entry_id: int, decision: AppealDecision,
                  reason: str) -> BlacklistAppeal:
    _require(actor, DECIDE_ROLES, "处理申诉")
    reason = _text(reason, "申诉处理意见")
    entry = _load(db, entry_id, lock=True, actor=actor)
    appeal = db.execute(
        select(BlacklistAppeal).where(BlacklistAppeal.entry_id == entry.id, BlacklistAppeal.decision.is_(None))
        .order_by(BlacklistAppeal.id.desc())
    ).scalars().first()
    if appeal is None or not entry.appeal_pending:
        raise InvalidTransition("no_pending_appeal", "该记录没有待处理的申诉")
    now = rt.clock.now()
    appeal.decision, appeal.decision_reason, appeal.decided_at = decision, reason, now
    appeal.decided_by_id, appeal.decided_by_name = actor.user_id, actor.name
    entry.appeal_pending, entry.updated_at = False, now
    before = entry.status
    if decision == AppealDecision.GRANTED and entry.status == EntryStatus.CONFIRMED:
        _revoke(db, entry, actor, now, f"申诉成立：{reason}")
    _event(db, entry, actor, now, EntryAction.DECIDE_APPEAL, before, f"{APPEAL_LABELS[decision]}：{reason}")
    _commit(db)
    return appeal


# ---- reads ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryFilters:
    phone: str | None = None
    ground: Ground | None = None
    state: Effective | None = None
    appeal_pending: bool | None = None


def _conditions(f: EntryFilters, now: datetime) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.phone:
        number = normalize_phone(f.phone)
        if not number:
            raise DomainError("bad_phone", "请输入电话号码的数字")
        if len(number) < 4:
            raise DomainError("bad_phone", "按电话查询至少输入后四位")
        # A full number matches exactly; a fragment (at least four digits) matches its ending.
        conds.append(BlacklistEntry.phone == number if len(number) >= 11
                     else BlacklistEntry.phone.endswith(number, autoescape=True))
    if f.ground:
        conds.append(BlacklistEntry.ground == f.ground)
    if f.appeal_pending is not None:
        conds.append(BlacklistEntry.appeal_pending.is_(f.appeal_pending))
    live = or_(BlacklistEntry.expires_at.is_(None), BlacklistEntry.expires_at > now)
    if f.state == Effective.ACTIVE:
        conds += [BlacklistEntry.status == EntryStatus.CONFIRMED, live]
    elif f.state == Effective.EXPIRED:
        conds += [BlacklistEntry.status == EntryStatus.CONFIRMED, BlacklistEntry.expires_at <= now]
    elif f.state is not None:
        conds.append(BlacklistEntry.status == f.state.value)
    return conds


def list_entries(db: Session, rt: Runtime, *, actor: Actor, filters: EntryFilters, page: int = 1,
                 page_size: int = 20) -> tuple[list[BlacklistEntry], int]:
    _require(actor, VIEW_ROLES, "查看黑名单")
    conds = _conditions(filters, rt.clock.now())
    scope = scope_condition(db, actor)
    if scope is not None:  # a district's supervisor: the entries from its district's tickets and calls
        conds.append(scope)
    total = db.execute(select(func.count()).select_from(BlacklistEntry).where(*conds)).scalar_one()
    rows = db.execute(
        select(BlacklistEntry).where(*conds).order_by(BlacklistEntry.updated_at.desc(), BlacklistEntry.id.desc())
        .limit(page_size).offset((max(page, 1) - 1) * page_size)
    ).scalars().all()
    if filters.phone and sees_phone(actor):
        audit.record(db, actor=actor, at=rt.clock.now(), action="view_personal_data", object_type="blacklist",
                     object_id="search", detail=f"按电话查询黑名单：{mask_phone(normalize_phone(filters.phone))}")
        _commit(db)
    return list(rows), int(total)


@dataclass
class EntryDetail:
    entry: BlacklistEntry
    effective: Effective
    evidence: list[BlacklistEvidence]
    events: list[BlacklistEvent]
    appeals: list[BlacklistAppeal]
    abuse_reports: list[AbuseReport]
    tickets: dict[int, str]  # ticket id → number, for evidence links


def get_entry(db: Session, rt: Runtime, *, actor: Actor, entry_id: int) -> EntryDetail:
    _require(actor, VIEW_ROLES, "查看黑名单")
    entry = _load(db, entry_id, actor=actor)
    now = rt.clock.now()
    evidence = list(db.execute(select(BlacklistEvidence).where(BlacklistEvidence.entry_id == entry.id)
                               .order_by(BlacklistEvidence.occurred_at, BlacklistEvidence.id)).scalars())
    ticket_ids = [e.ticket_id for e in evidence if e.ticket_id is not None]
    tickets: dict[int, str] = {}
    if ticket_ids:
        rows = db.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(ticket_ids))).all()
        tickets = {int(r[0]): str(r[1]) for r in rows}
    detail = EntryDetail(
        entry=entry, effective=effective(entry, now), evidence=evidence,
        events=list(db.execute(select(BlacklistEvent).where(BlacklistEvent.entry_id == entry.id)
                               .order_by(BlacklistEvent.id)).scalars()),
        appeals=list(db.execute(select(BlacklistAppeal).where(BlacklistAppeal.entry_id == entry.id)
                                .order_by(BlacklistAppeal.id)).scalars()),
        abuse_reports=list(db.execute(select(AbuseReport).where(AbuseReport.entry_id == entry.id)
                                      .order_by(AbuseReport.id)).scalars()),
        tickets=tickets,
    )
    if sees_phone(actor):
        audit.record(db, actor=actor, at=now, action="view_personal_data", object_type="blacklist_entry",
                     object_id=entry.id, detail="查看黑名单记录（含完整电话）")
        _commit(db)
    return detail


def verdict_of(db: Session, *, ticket_id: int) -> TicketVerdict | None:
    return db.execute(select(TicketVerdict).where(TicketVerdict.ticket_id == ticket_id)).scalar_one_or_none()
