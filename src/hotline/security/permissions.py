"""Data scope: which tickets an actor may see, as a SQL condition and as a check on one ticket."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, false, select, true

from hotline.errors import Forbidden
from hotline.security.actor import Actor
from hotline.security.roles import PERSONAL_DATA_ROLES, UNIT_ROLES, DataScope, Role
from hotline.tickets.models import Ticket, TicketAssignment


def visible_condition(actor: Actor) -> ColumnElement[bool]:
    if actor.data_scope == DataScope.ALL:
        return true()
    if actor.data_scope == DataScope.JURISDICTION:
        if not actor.scope_path:
            return false()
        return Ticket.jurisdiction_path.startswith(actor.scope_path, autoescape=True)
    if actor.unit_id is None:
        return false()
    return exists(
        select(TicketAssignment.id).where(
            TicketAssignment.ticket_id == Ticket.id, TicketAssignment.unit_id == actor.unit_id
        )
    )


def can_view(actor: Actor, ticket: Any) -> bool:
    """One ticket: in the actor's scope, or merged into one that is (并单: the parent's unit handles the
    child's request with its own, so it reads it; lists and statistics keep to visible_condition)."""
    if _in_scope(actor, ticket):
        return True
    parent = getattr(ticket, "parent", None) if getattr(ticket, "parent_id", None) else None
    return parent is not None and _in_scope(actor, parent)


def _in_scope(actor: Actor, ticket: Any) -> bool:
    if actor.data_scope == DataScope.ALL:
        return True
    if actor.data_scope == DataScope.JURISDICTION:
        return bool(actor.scope_path and (ticket.jurisdiction_path or "").startswith(actor.scope_path))
    return any(a.unit_id == actor.unit_id for a in ticket.assignments)


def ensure_can_view(actor: Actor, ticket: Any) -> None:
    if not can_view(actor, ticket):
        raise Forbidden("ticket_forbidden", "无权查看或办理该工单：工单未派至本单位或不在本辖区")


def sees_personal_data(actor: Actor, ticket: Any) -> bool:
    """Whether the requester's name and phone are shown unmasked to this actor on this ticket."""
    if actor.role not in PERSONAL_DATA_ROLES or not _in_scope(actor, ticket):
        return False  # read only as merged into a ticket in scope (并单): its request, not its requester
    if actor.role in UNIT_ROLES:
        # 举报人保密 and anonymous requesters are hidden from the handling units (the phone is kept
        # for 12345's own callback); a unit no longer handling the ticket keeps only a masked view.
        if ticket.confidential or ticket.requester_anonymous:
            return False
        return any(a.is_open and a.unit_id == actor.unit_id for a in ticket.assignments)
    return True


def ensure_role(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise Forbidden("role_forbidden", "当前角色无权执行此操作")
