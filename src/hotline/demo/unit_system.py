"""The demo's 部门业务系统: the housing bureau (市房产局, unit fcj) handles its 12345 tickets in its own
business system, which acts through the ticket action API under its own machine account (`fcj-system`,
created with the other 接口账号 in demo/machines.py). Here, at the end of the simulated window, it works
a few of the bureau's open tickets as it would through the API — the same services, signed by its key:

- it acknowledges (签收) the oldest ticket waiting for the bureau;
- it returns (退单) the next one, and the centre refuses the return (驳回退单) with its reason;
- it replies (答复) to a ticket it handles; the centre sends the reply back (答复退回) with its reason, and
  it replies again with what was asked.

So the history of those tickets shows 「市房产局业务系统（市房产局）」 as the actor, with the centre's reasons
it reads back through GET /api/v1/tickets/{id}/events, and the bureau's inbox (消息提醒) holds the refusals.
A state with no ticket of the bureau's in a small demo is left out."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.errors import DomainError
from hotline.org import service as org_service
from hotline.org.models import Unit, User
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.tickets import service as tickets
from hotline.tickets.enums import Action, State
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import ActionIn

UNIT = "fcj"
USERNAME = "fcj-system"
RETURN_REASON = "经核查，该事项涉及小区公共区域违章搭建，属城管执法部门职责，申请退回。"
REFUSAL = "根据派单目录，物业管理区域内的违章搭建由房产部门督促物业先行制止，请继续办理。"
FIRST_REPLY = "已联系物业服务企业，要求其按合同约定尽快处理，诉求人反映的问题正在整改中。"
SENT_BACK = "答复未说明整改措施和完成期限，也未说明是否已与诉求人沟通，请补充后重新答复。"
SECOND_REPLY = ("已约谈物业服务企业负责人，责令其于本周五前完成整改，并由街道房管员现场复核；"
                "办理人员已电话告知诉求人整改安排，诉求人表示认可。")


def build(db: Session, rt: Runtime, *, key: str, end: datetime) -> int:
    """The system's acts (with `key`, its key: each call checked as the API checks it) and the centre's
    answers, on the simulated clock before `end`; how many of the bureau's tickets it acted on."""
    dispatcher = org_service.actor_for(db.execute(select(User).where(User.username == "dispatcher1")).scalar_one())
    unit_id = db.execute(select(Unit.id).where(Unit.code == UNIT)).scalar_one()
    clock = rt.clock
    step = iter(range(60, 0, -6))

    def system() -> Actor:
        clock.set(end - timedelta(minutes=next(step)))  # type: ignore[attr-defined]  # the demo's FixedClock
        return org_service.actor_for_token(db, token=key, now=clock.now())

    def act(actor: Actor, ticket_id: int, action: Action, **params: str) -> None:
        tickets.act(db, rt, actor=actor, ticket_id=ticket_id, action=action, params=ActionIn(**params))

    def candidates(state: State) -> list[int]:
        return list(db.execute(select(Ticket.id).where(Ticket.lead_unit_id == unit_id, Ticket.state == state)
                               .order_by(Ticket.id)).scalars())

    acted: list[int] = []
    waiting = candidates(State.DISPATCHED)
    for ticket_id, action in zip(waiting, (Action.ACKNOWLEDGE, Action.RETURN), strict=False):
        try:
            if action == Action.ACKNOWLEDGE:
                act(system(), ticket_id, action)
            else:
                act(system(), ticket_id, action, reason=RETURN_REASON)
                act(dispatcher, ticket_id, Action.REFUSE_RETURN, reason=REFUSAL)
        except DomainError:  # past its return window, say: the next ticket's turn
            continue
        acted.append(ticket_id)
    for ticket_id in [t for t in candidates(State.HANDLING) if t not in acted]:
        try:
            act(system(), ticket_id, Action.REPLY, content=FIRST_REPLY)
        except DomainError:  # its assisting units' opinions not in yet
            continue
        act(dispatcher, ticket_id, Action.REJECT_REPLY, reason=SENT_BACK)
        act(system(), ticket_id, Action.REPLY, content=SECOND_REPLY)
        acted.append(ticket_id)
        break
    return len(acted)
