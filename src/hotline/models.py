"""Imports every table so that Base.metadata is complete (for Alembic and tests)."""

from hotline.assessment.models import AssessmentFact, AssessmentState, Exemption
from hotline.blacklist.models import (
    AbuseReport,
    BlacklistAppeal,
    BlacklistEntry,
    BlacklistEvent,
    BlacklistEvidence,
    PoliceReferral,
    TicketVerdict,
)
from hotline.calls.models import Call, CallEvent, CallTransfer
from hotline.db import Base
from hotline.dispatch.models import DispatchRule
from hotline.hotlines.models import HotlineChange, HotlineLine
from hotline.knowledge.models import (
    Article,
    ArticleEvent,
    ArticleReport,
    ArticleVersion,
    KbCounter,
    UnansweredQuestion,
)
from hotline.linkage.models import TicketLinkage
from hotline.org.models import ApiToken, Jurisdiction, Unit, User
from hotline.ratings.models import RatingFollowup
from hotline.reports.models import PublishedFigures
from hotline.security.models import AuditEntry
from hotline.sharing.models import PushDelivery, PushSubscription
from hotline.sms.models import SmsInbound, SmsOutbound
from hotline.supervision.models import (
    Finding,
    Meeting,
    MeetingTicket,
    MeetingUnit,
    Notification,
    OrderEscalation,
    Reminder,
    SchedulerRun,
    SchedulerState,
    SupervisionOrder,
)
from hotline.tickets.models import (
    IdempotencyKey,
    Ticket,
    TicketAssignment,
    TicketAttachment,
    TicketCounter,
    TicketEvent,
    TicketReview,
)
from hotline.wechat.models import WechatMessage, WechatOutbound
from hotline.workdays.models import CalendarDay

__all__ = [
    "TicketLinkage",
    "AssessmentFact",
    "AssessmentState",
    "Exemption",
    "Call",
    "CalendarDay",
    "CallEvent",
    "CallTransfer",
    "AbuseReport",
    "PublishedFigures",
    "BlacklistAppeal",
    "BlacklistEntry",
    "BlacklistEvent",
    "BlacklistEvidence",
    "PoliceReferral",
    "TicketVerdict",
    "UnansweredQuestion",
    "ApiToken",
    "Article",
    "ArticleEvent",
    "ArticleReport",
    "ArticleVersion",
    "KbCounter",
    "AuditEntry",
    "RatingFollowup",
    "Base",
    "DispatchRule",
    "HotlineChange",
    "HotlineLine",
    "Finding",
    "Meeting",
    "MeetingTicket",
    "MeetingUnit",
    "Notification",
    "OrderEscalation",
    "Reminder",
    "SchedulerRun",
    "SchedulerState",
    "PushDelivery",
    "PushSubscription",
    "SmsInbound",
    "SmsOutbound",
    "WechatMessage",
    "WechatOutbound",
    "SupervisionOrder",
    "IdempotencyKey",
    "Jurisdiction",
    "Ticket",
    "TicketAssignment",
    "TicketAttachment",
    "TicketCounter",
    "TicketEvent",
    "TicketReview",
    "Unit",
    "User",
]
