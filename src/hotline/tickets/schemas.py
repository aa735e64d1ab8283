"""What comes in and goes out of the ticket API."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from hotline.linkage.schemas import LinkageOut
from hotline.phones import as_kept, junk
from hotline.tickets.enums import CHANNEL_LABELS, Channel, Kind, ReviewConclusion, Satisfaction, Urgency


def _phone(value: object) -> object:
    """A phone as people write it (139 1234 5678, +86 139-1234-5678, ０２５－…): spaces dropped,
    full-width forms made plain; then 7 to 20 digits, so that the last four can find the request.
    Kept without +86, as calls are: the screen pop and the search by phone find it either way."""
    if not isinstance(value, str):
        return value
    phone = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
    digits = sum(ch.isdigit() for ch in phone)
    if not re.fullmatch(r"\+?[0-9()\-]+", phone) or not 7 <= digits <= 20:
        raise ValueError("联系电话格式不正确：请填写 7 到 20 位数字的手机或座机号码，如 13912345678、025-52345678")
    if junk(as_kept(phone)):  # QA: 0000000 was taken, and every ticket typed so became one caller's history
        raise ValueError("联系电话无效（各位数字相同或依次连续）：请填写诉求人真实的手机或座机号码")
    return as_kept(phone)


Phone = Annotated[str, BeforeValidator(_phone), StringConstraints(max_length=32)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Text5000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]

T = TypeVar("T")


class AttachmentIn(BaseModel):
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    content_type: Annotated[str, StringConstraints(max_length=100)] = "application/octet-stream"
    size_bytes: int = Field(ge=0, le=100 * 1024 * 1024)
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None
    storage_ref: Annotated[str, StringConstraints(max_length=500)] | None = None


class DispatchIn(BaseModel):
    lead_unit_id: int
    assisting_unit_ids: list[int] = Field(default_factory=list, max_length=10)
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None


class DirectAnswerIn(BaseModel):
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    answer_source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel = Channel.PHONE
    kind: Kind
    category_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{2,16}$")] | None = None
    urgency: Urgency = Urgency.NORMAL
    is_enterprise: bool = False
    is_complex: bool = False
    confidential: bool = False
    requester_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    requester_phone: Phone | None = None
    requester_anonymous: bool = False
    requester_org: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    occurred_at: datetime | None = None
    occurred_desc: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    jurisdiction_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=5000)]
    circumstances: Text5000 | None = None
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    dispatch: DispatchIn | None = None
    direct_answer: DirectAnswerIn | None = None
    # Set when the operator saw the scope screening's hits (an emergency, another channel) and
    # registers the request anyway; the hits and this confirmation go into the ticket's history.
    screening_confirmed: bool = False
    # 联动转入: a request passed in by a linked platform (110, a utility, another region's 12345: the registry's
    # line), with that platform's own number for it; its result is reported back to it (反馈转入方).
    linked_from_line_id: int | None = None
    linked_from_ref: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None

    @model_validator(mode="after")
    def _one_next_step(self) -> TicketCreate:
        if self.dispatch and self.direct_answer:
            raise ValueError("不能同时派单和直接答复")
        if self.linked_from_ref and not self.linked_from_line_id:
            raise ValueError("填写了转入方工单编号，请同时选择转入的联动平台")
        if self.occurred_at is not None and self.occurred_at.tzinfo is None:
            raise ValueError("发生时间须带时区，例如 2026-11-23T09:30:00+08:00")
        return self


# What 12345 decides when it takes a request in, never the citizen: the public portal and the public
# API leave them at their defaults (a citizen marking their own request 特急 would set its time limit).
CENTRE_ONLY_FIELDS = {"category_code": "诉求分类", "urgency": "紧急程度", "is_complex": "复杂事项",
                      "screening_confirmed": "受理范围确认", "attachments": "附件登记信息（请在受理后上传附件）",
                      "dispatch": "派单", "direct_answer": "直接答复", "linked_from_line_id": "联动转入平台",
                      "linked_from_ref": "转入方工单编号"}


PUBLIC_CHANNELS = (Channel.WEB, Channel.APP, Channel.WECHAT)


class PublicCreate(TicketCreate):
    """A request from the public (portal, app): the five elements and the request, nothing of the centre's."""

    channel: Channel = Channel.WEB

    @model_validator(mode="after")
    def _nothing_of_the_centre(self) -> PublicCreate:
        defaults = {name: TicketCreate.model_fields[name].get_default(call_default_factory=True)
                    for name in CENTRE_ONLY_FIELDS}
        given = [label for name, label in CENTRE_ONLY_FIELDS.items() if getattr(self, name) != defaults[name]]
        if given:
            raise ValueError(f"公众提交的诉求不能指定{'、'.join(given)}：由12345受理时确定")
        if self.channel not in PUBLIC_CHANNELS:  # phone, mailbox, Open311 … come through their own ways
            raise ValueError(f"公众提交的受理渠道只能是：{'、'.join(CHANNEL_LABELS[c] for c in PUBLIC_CHANNELS)}")
        if not self.requester_phone:  # the lookup, the rating and the withdrawal all ask for its last digits
            raise ValueError("请填写手机号码：查询办理进度时需要手机号后四位")
        return self


class ActionIn(BaseModel):
    """Parameters of any workflow action; each action reads the ones it needs."""

    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    content: Text5000 | None = None
    answer: Text5000 | None = None
    answer_source: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    lead_unit_id: int | None = None
    assisting_unit_ids: list[int] = Field(default_factory=list, max_length=10)
    days: int | None = Field(default=None, ge=1, le=60)
    solved: bool | None = None
    satisfaction: Satisfaction | None = None
    conclusion: ReviewConclusion | None = None  # 审核研判 only
    parent_id: int | None = None
    parent_number: Annotated[str, StringConstraints(max_length=32)] | None = None
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    # Dispatch only: the category and place the dispatch relied on, kept on a ticket that had none
    # (an automatic dispatch from a predicted category and a place read from the text).
    category_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{2,16}$")] | None = None
    jurisdiction_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    # 联动转办: the platform passed to (联动转出) and its own number for the request (转出, 反馈, 退回, 反馈转入方).
    line_id: int | None = None
    external_ref: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None


class UnitRef(BaseModel):
    id: int
    code: str
    name: str
    short_name: str


class AssignmentOut(BaseModel):
    unit: UnitRef
    role: str
    role_label: str
    status: str
    status_label: str
    is_open: bool
    round: int
    dispatched_at: datetime
    due_at: datetime | None
    acknowledged_at: datetime | None
    replied_at: datetime | None
    reply_content: str | None
    return_reason: str | None


class MergedTicketOut(BaseModel):
    """A ticket merged into this one (并单), as lists show tickets: the requester masked."""

    id: int
    number: str
    title: str
    requester_name: str | None
    requester_phone: str | None
    created_at: datetime


class EventOut(BaseModel):
    at: datetime
    action: str
    action_label: str
    from_state: str | None
    to_state: str
    actor_role: str
    actor_name: str
    unit: str | None
    note: str | None
    data: dict[str, Any]


class TicketSummary(BaseModel):
    id: int
    number: str
    state: str
    state_label: str
    kind: str
    kind_label: str
    channel: str
    urgency: str
    category_code: str | None
    category_name: str
    title: str
    requester_name: str | None
    requester_phone: str | None
    lead_unit: str | None
    jurisdiction: str | None
    created_at: datetime
    due_at: datetime | None
    deadline_status: str
    deadline_label: str
    remaining: str
    is_enterprise: bool
    # The lead unit's acknowledgement (签收) while the ticket waits for it: on_time, about_to_expire
    # (即将签收超时), overdue (签收超时); "none" once acknowledged or not at a unit. The label is empty
    # unless there is something to flag.
    ack_status: str = "none"
    ack_label: str = ""
    # The acknowledgement deadline and when the current lead unit acknowledged; null for a ticket never
    # sent to a unit (and the time for one not yet acknowledged).
    ack_due_at: datetime | None = None
    acknowledged_at: datetime | None = None
    # The public's own rating (好差评) of the finished ticket: one of the five satisfaction levels.
    public_rating: str | None = None
    # 派单时限 while the ticket waits in the centre's 待派单 queue: its deadline (kept after dispatch, for the
    # record), and while it waits on_time / about_to_expire (即将派单超时) / overdue (派单超时), else "none".
    dispatch_due_at: datetime | None = None
    dispatch_status: str = "none"
    dispatch_label: str = ""
    dispatch_remaining: str = ""


class QueueItem(TicketSummary):
    """A ticket in a unit's queue, with the unit's own part in it."""

    unit_roles: list[str] = Field(default_factory=list,
                                  description="本单位在该工单中的角色：lead（主办）、assisting（协办）")
    unit_part: str = Field("", description="本单位的角色与进度，如“协办·待办理”")


class TicketOut(TicketSummary):
    is_complex: bool
    confidential: bool
    requester_anonymous: bool
    requester_org: str | None
    personal_data_masked: bool
    occurred_at: datetime | None
    occurred_desc: str | None
    address: str | None
    content: str
    circumstances: str | None
    dispatched_at: datetime | None
    ack_warn_at: datetime | None
    return_due_at: datetime | None
    time_limit_label: str | None
    extension_pending: bool
    extension_requested_days: int | None
    extension_days_used: int
    replied_at: datetime | None
    reply_content: str | None
    closed_at: datetime | None
    callback_due_at: datetime | None
    # Unanswered callback calls (回访未接通) of the current callback round, and on how many days.
    callback_attempts: int
    callback_attempt_days: int
    callback_attempted_at: datetime | None
    # "reached" (回访已记录满意度) or "unreachable" (无法联系, no rating); None before the callback ends.
    callback_outcome: str | None
    finished_at: datetime | None
    answer_source: str | None
    remind_count: int
    supervise_count: int
    reopen_count: int
    return_count: int
    solved: bool | None
    satisfaction: str | None
    # 回头看: the latest 审核研判's conclusion since the ticket finished (None: not reviewed)
    review_conclusion: str | None = None
    public_comment: str | None
    parent_number: str | None
    # A merged ticket is handled as part of its parent: the parent's state is its progress.
    parent_state: str | None
    parent_state_label: str | None
    merged_tickets: list[MergedTicketOut]
    # 联动转办: passed out to a linked platform, or in from one (linkage/)
    linkages: list[LinkageOut] = []
    assignments: list[AssignmentOut]
    attachments: list[AttachmentIn]
    allowed_actions: list[str]


class PublicMergedOut(BaseModel):
    """The ticket a request was merged into (并单), as its requester may follow it: the matter's
    progress and, once closed, its answer — nothing of the other requester."""

    number: str
    state_label: str
    lead_unit: str | None
    closed_at: datetime | None
    reply_content: str | None


class PublicTicketOut(BaseModel):
    """What the public portal shows to whoever knows the number and the phone's last four digits."""

    number: str
    state: str
    state_label: str
    kind_label: str
    title: str
    created_at: datetime
    due_at: datetime | None
    lead_unit: str | None
    reply_content: str | None
    closed_at: datetime | None
    public_rating: str | None
    can_rate: bool
    can_withdraw: bool
    timeline: list[dict[str, Any]]
    merged_into: PublicMergedOut | None = None


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int
