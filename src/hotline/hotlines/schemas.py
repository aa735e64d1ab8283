"""What comes in and goes out of the hotline registry and routing API."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from hotline.hotlines.enums import (
    KIND_LABELS,
    MODE_LABELS,
    SEAT_LABELS,
    SERVICE_LABELS,
    STATUS_LABELS,
    LineKind,
    LineStatus,
    MergeMode,
    SeatArrangement,
    UtilityService,
)
from hotline.phones import domestic

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=1000),
                   Field(description="变更理由（2–1000 字），记入变更记录")]
Number = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=12, pattern=r"^[0-9]+$")]
City = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=20)]


Text24 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=24)]
Text32 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
Text64 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Text1000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]

# The registry's fields in Chinese: validation errors of /api/v1/hotlines and the pages name them so
# (elsewhere `number` is a 工单编号 and `kind` a 诉求类型).
FIELD_LABELS = {
    "city": "城市", "number": "热线号码", "name": "热线名称", "kind": "热线类别", "merge_mode": "归并方式",
    "mode": "归并方式", "status": "号码状态", "seat_arrangement": "座席安排", "seats": "座席安排",
    "service": "服务类别", "owner_unit_id": "责任单位编号", "owner_name": "责任单位名称",
    "jurisdiction_code": "属地代码", "transition_prompt": "过渡期语音提示", "transition_start": "过渡期开始日期",
    "transition_end": "过渡期结束日期", "approval_document": "批准文号", "approval_by": "批准人", "note": "备注",
    "reason": "变更理由", "q": "搜索词",
    # routing
    "dialled": "被叫号码", "caller": "来电人", "phone": "来电号码", "blacklisted": "是否在黑名单中",
    "emergency": "是否紧急求助", "new_matter": "是否新的诉求", "at": "来电时间",
    "staffed_zones": "在岗的业务专区号码", "staffed_experts": "在岗的专家座席号码", "handover_to": "转交的热线号码",
    # the rota (专家座席值班)
    "department": "所属部门", "duty": "值班时间", "active": "是否在值班名册中", "expert_name": "姓名",
    "expert_phone": "联系电话或分机",
}
# On the rota's routes a `name` is a person's and a `phone` where to ring them.
EXPERT_LABELS = {**FIELD_LABELS, "name": "姓名", "phone": "联系电话或分机"}
_MODES = {str(k): v for k, v in MODE_LABELS.items()} | {str(MergeMode.NONE): "联动，不归并"}
CHOICES = {
    "kind": {str(k): v for k, v in KIND_LABELS.items()},
    "merge_mode": _MODES,
    "mode": _MODES,
    "status": {str(k): v for k, v in STATUS_LABELS.items()},
    "seat_arrangement": {str(k): v for k, v in SEAT_LABELS.items()},
    "seats": {str(k): v for k, v in SEAT_LABELS.items()},
    "service": {str(k): v for k, v in SERVICE_LABELS.items()},
}
NUMBER_FORMAT = "应为 3 至 12 位数字（不含区号分隔符、空格）"
FORMATS = {name: NUMBER_FORMAT for name in ("number", "staffed_zones", "staffed_experts", "handover_to")}


def _d(name: str, detail: str = "") -> Any:
    """A field's description in the API schema: its Chinese name, then what it holds."""
    return Field(description=f"{FIELD_LABELS[name]}{'：' + detail if detail else ''}")


class LineCreate(BaseModel):
    """A line registered by an administrator. A new department hotline needs its approval."""

    model_config = ConfigDict(extra="forbid")

    city: Annotated[City, _d("city", "所属城市，如 南京市")]
    number: Annotated[Number, _d("number", NUMBER_FORMAT)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200),
                    _d("name", "2–200 字，如 南京市人社服务热线")]
    kind: Annotated[LineKind, _d("kind", "main 12345主号 / department 部门热线 / emergency 紧急热线 / "
                                          "utility 公共事业热线")]
    merge_mode: Annotated[MergeMode, _d("merge_mode", "部门热线必填：full_merge 整体并入 / dual_number 双号并行 / "
                                                      "sub_center 设分中心；其他类别为 none（联动，不归并）")] = (
        MergeMode.NONE)
    status: Annotated[LineStatus, _d("status", "active 在用 / in_transition 过渡期（仅整体并入）")] = LineStatus.ACTIVE
    seat_arrangement: Annotated[SeatArrangement, _d(
        "seat_arrangement", "none 12345统一座席 / business_zone 业务专区 / expert_seats 专家座席 / "
                            "own_seats 分中心自有座席")] = SeatArrangement.NONE
    service: Annotated[UtilityService | None, _d("service", "公共事业热线必填：water 供水 / power 供电 / gas 燃气 / "
                                                            "heating 供热")] = None
    owner_unit_id: Annotated[int | None, _d("owner_unit_id", "平台中登记的单位编号")] = None
    owner_name: Annotated[Text100 | None,
                          _d("owner_name", "单位未在平台登记时填写")] = None
    jurisdiction_code: Annotated[Text32 | None,
                                 _d("jurisdiction_code", "行政区划代码")] = None
    transition_prompt: Annotated[Text1000 | None,
                                 _d("transition_prompt", "整体并入的号码在过渡期播放的提示语")] = None
    transition_start: Annotated[date | None, _d("transition_start", "如 2026-12-01")] = None
    transition_end: Annotated[date | None, _d("transition_end", "不早于开始日期")] = None
    approval_document: Annotated[Text100 | None,
                                 _d("approval_document", "新设部门热线须填写")] = None
    approval_by: Annotated[Text64 | None,
                           _d("approval_by", "新设部门热线须填写")] = None
    note: Annotated[Text500 | None, _d("note")] = None
    reason: Reason


class ModeChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    merge_mode: Annotated[MergeMode, _d("merge_mode", "只能向前推进：设分中心 → 双号并行 → 整体并入")]
    reason: Reason


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Annotated[LineStatus, _d("status", "active 在用 / in_transition 过渡期 / cancelled 已注销（不再恢复）")]
    reason: Reason


class PromptChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    transition_prompt: Annotated[Text1000 | None,
                                 _d("transition_prompt", "最多 1000 字；空为不播放")] = None
    transition_start: Annotated[date | None, _d("transition_start")] = None
    transition_end: Annotated[date | None, _d("transition_end")] = None
    reason: Reason


class SeatsChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seat_arrangement: Annotated[SeatArrangement, _d("seat_arrangement")]
    reason: Reason


class LineOut(BaseModel):
    id: int
    city: str
    number: str
    name: str
    kind: str
    kind_label: str
    merge_mode: str
    mode_label: str
    status: str
    status_label: str
    seat_arrangement: str
    seats_label: str
    service: str | None
    owner_unit_id: int | None
    owner_name: str | None
    jurisdiction_code: str | None
    transition_prompt: str | None
    transition_start: date | None
    transition_end: date | None
    approval_document: str | None
    approval_by: str | None
    source: str | None
    note: str | None
    created_at: datetime
    updated_at: datetime


class ChangeOut(BaseModel):
    id: int
    at: datetime
    field: str
    field_label: str
    from_value: str | None
    to_value: str | None
    reason: str | None
    actor_name: str
    actor_role: str


class Count(BaseModel):
    code: str
    label: str
    count: int


class CityProgress(BaseModel):
    """热线归并进度 of one city: department lines by mode and status, and the share consolidated."""

    city: str
    department_lines: int
    by_mode: list[Count]
    by_status: list[Count]
    linked_lines: int
    # Department lines whose consolidation is complete: kept (dual number, sub-center) or cancelled.
    done: int
    in_transition: int
    percent_done: float


def _telephone(value: str, label: str) -> str:
    """A number as a switch or a person writes it (025-8888 0000, +86 25 …): its digits, without the
    country code; anything else (letters, a word for a withheld number) is refused by name."""
    compact = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", value))
    if not re.fullmatch(r"\+?[0-9]{3,20}", compact):
        raise ValueError(f"{label}格式不正确：应为 3 至 20 位数字（可含空格、- 和国际区号 +）")
    return domestic(compact).lstrip("+")


class CallerIn(BaseModel):
    """The caller as the telephony adapter and the blacklist know them (the standing is an input)."""

    model_config = ConfigDict(extra="forbid")
    # The caller's number: the platform looks the blacklist standing up itself (an adapter cannot read
    # the blacklist, so `blacklisted` alone never held for a real call).
    phone: Annotated[Text24 | None,
                     _d("phone", "平台据此查询黑名单状态；号码不显示（隐藏号码）时不填")] = None
    blacklisted: Annotated[bool, _d("blacklisted", "话务平台已知时填写；平台另按来电号码查询")] = False
    emergency: Annotated[bool, _d("emergency", "紧急求助照常受理")] = False
    new_matter: Annotated[bool, _d("new_matter", "新的诉求照常受理")] = False

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        return _telephone(v, "来电号码") if v else None


class RouteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dialled: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32),
                       _d("dialled", "来电拨打的号码（12345 或保留号码的部门热线）")]
    city: Annotated[City | None, _d("city", "不填为平台所在城市")] = None
    caller: Annotated[CallerIn, _d("caller")] = Field(default_factory=CallerIn)
    at: Annotated[datetime | None, _d("at", "带时区，如 2026-11-02T10:00:00+08:00；不填为当前时间")] = None
    # Absent: the rota (专家座席值班) says who is on duty at `at`; a list given overrides it.
    staffed_zones: Annotated[list[Number] | None, _d(
        "staffed_zones", "当前有人值守的业务专区热线号码；不填则按值班表判断")] = Field(default=None, max_length=200)
    staffed_experts: Annotated[list[Number] | None, _d(
        "staffed_experts", "当前有人值守的专家座席热线号码；不填则按值班表判断")] = Field(default=None, max_length=200)
    # A specialist matter taken on 12345 that belongs to this line (a sub-center or a dual number):
    # ask how to hand it over (three-way call or ticket).
    handover_to: Annotated[Number | None, _d("handover_to",
                                             "12345 受理的专业事项转交给该热线（分中心或双号并行）")] = None

    @field_validator("at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("来电时间须带时区（示例 2026-11-02T10:00:00+08:00）")
        return v

    @field_validator("dialled")
    @classmethod
    def _dialled_digits(cls, v: str) -> str:
        # QA: letters ("abc", "12345转8") were routed as an unknown number to the general queue
        return _telephone(v, "被叫号码")


class HandoverOut(BaseModel):
    line_number: str
    line_name: str
    method: str
    method_label: str
    unit_id: int | None
    unit_name: str | None
    reason: str


class RouteOut(BaseModel):
    action: str
    queue: str
    queue_label: str
    prompt: str | None
    ivr_menu: bool
    priority: bool
    rule: str
    reason: str
    flags: list[str]
    line_id: int | None
    line_number: str | None
    line_name: str | None
    city: str | None
    transfer_to: str | None
    handover: HandoverOut | None = None
    # the decision's line's experts on duty at the call's time (whom a queue expert_seats:… reaches)
    experts_on_duty: list[OnDutyExpert] = Field(default_factory=list)


# ---- the rota (专家座席值班) ------------------------------------------------------------------------


class ExpertIn(BaseModel):
    """One person on a line's expert seats / business zone rota, as an administrator enters them."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=64),
                    Field(description="姓名（2–64 字）")]
    department: Annotated[Text100 | None, _d("department", "如 市司法局法律援助中心")] = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32),
                     Field(description="联系电话或分机：3 至 20 位数字，转接时拨打")]
    duty: Annotated[Text1000, _d("duty", "每周值班时段，如 周一至周五 09:00-12:00,14:00-17:30；周六 09:00-12:00；"
                                         "法定节假日只按“节假日 09:00-12:00”这样的时段")] = ""
    active: Annotated[bool, _d("active", "停止值班的人员保留记录但不再在岗")] = True
    note: Annotated[Text500 | None, _d("note")] = None
    reason: Annotated[Text1000 | None, Field(description="变更理由（可不填），记入变更记录")] = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        return _telephone(v, "联系电话或分机")

    @field_validator("duty")
    @classmethod
    def _duty(cls, v: str) -> str:
        from hotline.hotlines import duty  # the rota's own text rules

        try:
            return duty.describe(duty.parse(v))
        except duty.DutyError as exc:
            raise ValueError(str(exc)) from None


class ExpertOut(BaseModel):
    id: int
    line_id: int
    line_number: str
    line_name: str
    name: str
    department: str | None
    phone: str
    duty: str
    slots: list[list[Any]]
    active: bool
    on_duty: bool
    note: str | None
    updated_at: datetime


class OnDutyExpert(BaseModel):
    """Who is on duty now and where to ring them (the three-way call's third party)."""

    id: int
    name: str
    department: str | None
    phone: str
    duty: str


class OnDutyLine(BaseModel):
    """A specialist line as a transfer target now: how to hand over and who is on duty."""

    line_id: int
    number: str
    name: str
    group: str
    group_label: str
    method: str
    method_label: str
    reason: str
    on_duty: list[OnDutyExpert]


class ActiveChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: Annotated[bool, _d("active", "false 停止值班 / true 恢复值班")]
    reason: Annotated[Text1000 | None, Field(description="变更理由（可不填），记入变更记录")] = None
