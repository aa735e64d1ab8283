"""The demo's oversight records: what the centre did with the simulated months, so that the pages of
差评核实, 回头看, 通报 / 问责移送 and 数据公开 are not empty on a fresh demo.

Everything goes through the services a supervisor would use (audited as they are), on the simulated clock:
- a few of the 差评 are followed up (核实), the rest wait;
- three unsatisfied finished tickets get a 审核研判 (回头看), one of them 需再办理;
- a 通报 names the unit with most returns (退单) in the window, with its 整改情况 recorded, and a
  问责移送 names the unit with most overdue tickets now, waiting for the referral body's answer;
- the last ended month is published on the portal (数据公开), with the units' figures.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hotline.clock import to_local
from hotline.org import service as org_service
from hotline.org.models import Unit, User
from hotline.ratings import service as ratings
from hotline.ratings.enums import BAD, Conclusion
from hotline.ratings.schemas import FollowupIn
from hotline.reports import publication
from hotline.revisit.service import UNSATISFIED
from hotline.runtime import Runtime
from hotline.supervision import service as supervision
from hotline.supervision.enums import MeetingKind
from hotline.supervision.schemas import MeetingCreate
from hotline.tickets import service as tickets
from hotline.tickets.enums import Action, AssignmentRole, ReviewConclusion, State
from hotline.tickets.models import Ticket, TicketAssignment, TicketEvent
from hotline.tickets.schemas import ActionIn

FOLLOWED_UP = 6  # 差评 followed up; the others are the list's work
NOTES = {
    Conclusion.FIXED: "经核实，承办单位答复不够具体，已督促其重新联系诉求人并完成整改。",
    Conclusion.CONTACTED: "已电话联系诉求人，解释政策规定，诉求人表示理解。",
    Conclusion.NOT_FACTUAL: "调取办理记录，承办单位已按时到场处置并反馈，评价与事实不符。",
}


def build(db: Session, rt: Runtime, *, end: datetime, seed: int = 20261127) -> str:
    """Write the records as of `end`; a line saying what was written."""
    rng = random.Random(seed)
    user = db.execute(select(User).where(User.username == "supervisor1")).scalar_one()
    actor = org_service.actor_for(user)
    rt.clock.set(end)  # type: ignore[attr-defined]  # the simulation's FixedClock, at the window's end
    bad = list(db.execute(select(Ticket.id).where(Ticket.public_rating.in_(BAD)).order_by(Ticket.id)).scalars())
    for ticket_id in rng.sample(bad, min(FOLLOWED_UP, len(bad))):
        conclusion = rng.choice(list(NOTES))
        ratings.record_followup(db, rt, actor=actor, ticket_id=ticket_id,
                                data=FollowupIn(conclusion=conclusion, note=NOTES[conclusion]))
    reviewed = _revisit(db, rt, actor, rng)
    records = _circular(db, rt, actor, end) + _referral(db, rt, actor, end)
    month = to_local(end).replace(day=1) - timedelta(days=1)  # a day of the last ended month
    publication.publish(db, rt, actor=actor, period=f"{month:%Y-%m}", with_units=True)
    return (f"差评核实 {min(FOLLOWED_UP, len(bad))} 件（共 {len(bad)} 件差评），回头看审核研判 {reviewed} 件，"
            f"通报与问责移送 {records} 件，"
            f"{month:%Y年%m月}数据已公开")


REVIEWS = {
    ReviewConclusion.HANDLED: "经法律顾问审核，承办单位已依法依规处置，诉求人要求超出政策规定，向其做好解释。",
    ReviewConclusion.UNREASONABLE: "诉求人要求赔偿的依据不足，经研判诉求不合理，不予支持，已告知诉求人救济途径。",
    ReviewConclusion.REHANDLE: "诉求合理但问题未解决，需协调承办单位再次现场处置。",
}


def _revisit(db: Session, rt: Runtime, actor, rng: random.Random) -> int:  # type: ignore[no-untyped-def]
    """回头看: a few finished tickets reviewed (审核研判) — the unsatisfied first, others where a small demo has
    too few — and the one found reasonable and unsolved sent to its unit again (再办理)."""
    finished = [str(State.FINISHED)]
    unsatisfied = list(db.execute(select(Ticket.id).where(
        Ticket.state.in_(finished), or_(Ticket.solved.is_(False), Ticket.satisfaction.in_(UNSATISFIED)))
        .order_by(Ticket.id)).scalars())
    chosen = rng.sample(unsatisfied, min(len(REVIEWS), len(unsatisfied)))
    if len(chosen) < len(REVIEWS):
        others = list(db.execute(select(Ticket.id).where(Ticket.state.in_(finished), Ticket.id.not_in(chosen),
                                                         Ticket.lead_unit_id.is_not(None))
                                 .order_by(Ticket.id).limit(len(REVIEWS) - len(chosen))).scalars())
        chosen += others
    for ticket_id, (conclusion, opinion) in zip(chosen, REVIEWS.items(), strict=False):
        ticket = tickets.act(db, rt, actor=actor, ticket_id=ticket_id, action=Action.REVIEW,
                             params=ActionIn(conclusion=conclusion, note=opinion))
        if conclusion == ReviewConclusion.REHANDLE and ticket.lead_unit_id is not None:
            tickets.act(db, rt, actor=actor, ticket_id=ticket_id, action=Action.REHANDLE,
                        params=ActionIn(lead_unit_id=ticket.lead_unit_id, note="回头看：再次现场处置并答复诉求人"))
    return len(chosen)


def _unit_with_most(db: Session, stmt) -> Unit | None:  # type: ignore[no-untyped-def]
    row = db.execute(stmt.order_by(func.count().desc()).limit(1)).first()
    return db.get(Unit, row[0]) if row else None


def _circular(db: Session, rt: Runtime, actor, end: datetime) -> int:  # type: ignore[no-untyped-def]
    unit = _unit_with_most(db, select(TicketEvent.unit_id).where(
        TicketEvent.action == str(Action.RETURN), TicketEvent.unit_id.is_not(None)).group_by(TicketEvent.unit_id))
    if unit is None:
        return 0
    numbers = list(db.execute(select(Ticket.number).join(TicketEvent, TicketEvent.ticket_id == Ticket.id).where(
        TicketEvent.action == str(Action.RETURN), TicketEvent.unit_id == unit.id).order_by(Ticket.id).limit(3))
        .scalars())
    meeting = supervision.create_meeting(db, rt, actor=actor, data=MeetingCreate(
        kind=MeetingKind.CIRCULAR, title=f"关于{unit.short_name}退单较多问题的通报",
        topic=f"近期{unit.short_name}退单较多，部分属于职责范围内事项，延误了诉求办理。请认真核查，严格执行退单规定。",
        held_at=end - timedelta(days=10), location=f"宁12345通〔{to_local(end):%Y}〕3号", host="南京市12345热线中心",
        attendees=["市政府办公厅督查室"], unit_ids=[unit.id], ticket_numbers=numbers))
    supervision.record_outcome(db, rt, actor=actor, meeting_id=meeting.id,
                               outcome="该单位已对通报工单逐件复核，重新签收办理，并明确退单须经分管领导审核。",
                               follow_up="下月起按周报送退单情况")
    return 1


def _referral(db: Session, rt: Runtime, actor, end: datetime) -> int:  # type: ignore[no-untyped-def]
    now = rt.clock.now()
    unit = _unit_with_most(db, select(Ticket.lead_unit_id).where(
        Ticket.state.in_([str(State.DISPATCHED), str(State.HANDLING)]), Ticket.due_at < now,
        Ticket.lead_unit_id.is_not(None)).group_by(Ticket.lead_unit_id))
    if unit is None:  # nothing overdue at this hour of a small demo: the unit that replied late most often
        unit = _unit_with_most(db, select(TicketAssignment.unit_id).where(
            TicketAssignment.role == str(AssignmentRole.LEAD), TicketAssignment.replied_at > TicketAssignment.due_at)
            .group_by(TicketAssignment.unit_id))
    if unit is None:
        return 0
    supervision.create_meeting(db, rt, actor=actor, data=MeetingCreate(
        kind=MeetingKind.REFERRAL, title=f"{unit.short_name}超期未办结工单较多问题移送",
        topic=f"{unit.short_name}多件工单经催办、督办仍超期未办结，依据热线工作考核办法移送作风建设部门处理。",
        held_at=end - timedelta(days=3), location=f"市作风办 宁12345移〔{to_local(end):%Y}〕1号", host="督办科 赵国平",
        unit_ids=[unit.id]))
    return 1
