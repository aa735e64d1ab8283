"""各部门接诉即答率: for each unit, how many of the consultations about its matters the hall answered at once
from the unit's own knowledge, and the ranking, lowest first.

吉政办发〔2021〕16号 asks to "逐步提高依托知识库对咨询类诉求的接诉即答率，排名靠后的部门须选派人员在12345
热线驻场": a unit whose answers are not in the knowledge base sends its consultations back to itself as
work orders. For a period, per unit:
- answered: direct answers (接诉即答) whose citation names one of the unit's articles (maintenance.cited_answers);
- dispatched: consultations (kind 咨询) the centre dispatched to the unit as lead — each a question the
  hall could not answer and passed on;
- the rate answered / (answered + dispatched).
Units with fewer than MIN_CONSULTATIONS in the period are listed but not ranked (a rate of 1 out of 2
says nothing). The BOTTOM ranked units are marked 排名靠后: the plan's candidates to send staff to the hall.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.clock import Period
from hotline.knowledge import rules
from hotline.knowledge.maintenance import NO_UNIT, cited_answers, scope
from hotline.knowledge.models import Article
from hotline.org.models import Unit
from hotline.tickets.enums import Action, Kind
from hotline.tickets.models import Ticket, TicketEvent

MIN_CONSULTATIONS = 10
BOTTOM = 3


@dataclass
class UnitAnswerRate:
    unit_id: int
    unit_name: str
    answered: int = 0
    dispatched: int = 0
    rank: int | None = None  # 1 = the lowest rate; None when the unit has too few consultations
    bottom: bool = False  # among the BOTTOM lowest ranked

    @property
    def consultations(self) -> int:
        return self.answered + self.dispatched

    @property
    def rate(self) -> float | None:
        return self.answered / self.consultations if self.consultations else None

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else round(100 * self.rate, 1)


@dataclass(frozen=True)
class AnswerRates:
    period: Period
    units: list[UnitAnswerRate]  # ranked ones lowest first, then the unranked by consultations
    ranked: int


RULE_TEXT = (f"接诉即答率 = 直接答复中引用本单位知识条目的次数 ÷（该次数 + 派给本单位主办的咨询类工单数）；"
             f"本期咨询不足 {MIN_CONSULTATIONS} 件的单位不排名；排名最低的 {BOTTOM} 个单位标为“排名靠后”")


def answer_rates(db: Session, *, who: rules.Who, period: Period) -> AnswerRates:
    """The ranking is the centre's (every unit); a unit's staff see their own row and its place in it."""
    mine = scope(who)
    owner = func.coalesce(Article.owner_unit_id, NO_UNIT)
    rows: dict[int, UnitAnswerRate] = {}
    for unit_id, n in db.execute(cited_answers(period).add_columns(owner, func.count()).group_by(owner)):
        if unit_id != NO_UNIT:  # an answer from an article no unit owns is nobody's consultation
            rows.setdefault(int(unit_id), UnitAnswerRate(int(unit_id), "")).answered = int(n)
    for unit_id, n in db.execute(
            select(TicketEvent.unit_id, func.count()).join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(TicketEvent.action == str(Action.DISPATCH), TicketEvent.at >= period.since,
                   TicketEvent.at < period.until, Ticket.kind == str(Kind.CONSULTATION),
                   TicketEvent.unit_id.is_not(None))
            .group_by(TicketEvent.unit_id)):
        rows.setdefault(int(unit_id), UnitAnswerRate(int(unit_id), "")).dispatched = int(n)
    names = {uid: name for uid, name in db.execute(select(Unit.id, Unit.short_name).where(Unit.id.in_(list(rows))))}
    for r in rows.values():
        r.unit_name = names.get(r.unit_id, str(r.unit_id))
    ranked = sorted((r for r in rows.values() if r.consultations >= MIN_CONSULTATIONS),
                    key=lambda r: (r.rate or 0.0, -r.consultations, r.unit_name))
    for place, r in enumerate(ranked, start=1):
        r.rank, r.bottom = place, place <= BOTTOM and len(ranked) > BOTTOM
    rest = sorted((r for r in rows.values() if r.rank is None), key=lambda r: (-r.consultations, r.unit_name))
    units = ranked + rest
    if mine is not None:
        units = [r for r in units if r.unit_id == mine]
    return AnswerRates(period=period, units=units, ranked=len(ranked))
