"""Automatic dispatch at registration: when the suggestion is sure on every count (see suggest.py),
the system dispatches the ticket at once, citing the catalogue rule, and the ticket's timeline
says so. Off unless HOTLINE_AUTO_DISPATCH is set; a refusal of the workflow leaves the ticket for
the dispatcher, as if no suggestion had been made."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hotline.dispatch import suggest
from hotline.errors import DomainError
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.tickets import service
from hotline.tickets.enums import Action, State
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import ActionIn

AUTO_ACTOR = Actor.system()


def auto_dispatch(db: Session, rt: Runtime, ticket: Ticket) -> bool:
    """Dispatch a just-registered ticket when the suggestion allows it; True when it did."""
    if not rt.settings.auto_dispatch or ticket.state != State.REGISTERED:
        return False
    s = suggest.for_ticket(db, rt, actor=AUTO_ACTOR, ticket=ticket)
    db.rollback()  # the suggestion only read; end its transaction before the action's own
    if not s.auto_dispatch or s.decision is None:
        return False
    chosen = s.decision.chosen
    # What the decision stood on is kept: a predicted category, a place read from the text.
    category = s.category.code if s.category and s.category.source == "model" else None
    place = s.place.place.code if s.place and s.place_source == "text" else None
    try:
        service.act(db, rt, actor=AUTO_ACTOR, ticket_id=ticket.id, action=Action.DISPATCH,
                    params=ActionIn(lead_unit_id=chosen.lead_unit_id, assisting_unit_ids=chosen.assisting_unit_ids,
                                    note=f"自动派单：{chosen.explanation}", category_code=category,
                                    jurisdiction_code=place))
    except DomainError:
        return False
    return True
