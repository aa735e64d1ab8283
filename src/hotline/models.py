"""Imports every table so that Base.metadata is complete (for Alembic and tests)."""

from hotline.db import Base
from hotline.dispatch.models import DispatchRule
from hotline.knowledge.models import Article, ArticleEvent, ArticleReport, ArticleVersion, KbCounter
from hotline.org.models import ApiToken, Jurisdiction, Unit, User
from hotline.security.models import AuditEntry
from hotline.tickets.models import (
    IdempotencyKey,
    Ticket,
    TicketAssignment,
    TicketAttachment,
    TicketCounter,
    TicketEvent,
)

__all__ = [
    "ApiToken",
    "Article",
    "ArticleEvent",
    "ArticleReport",
    "ArticleVersion",
    "KbCounter",
    "AuditEntry",
    "Base",
    "DispatchRule",
    "IdempotencyKey",
    "Jurisdiction",
    "Ticket",
    "TicketAssignment",
    "TicketAttachment",
    "TicketCounter",
    "TicketEvent",
    "Unit",
    "User",
]
