"""The registry's vocabularies as StrEnums (ASCII codes in the database) with Chinese labels."""

from __future__ import annotations

from enum import StrEnum


class LineKind(StrEnum):
    MAIN = "main"  # 12345 itself
    DEPARTMENT = "department"  # a department's government-service hotline: merged in one of three modes
    EMERGENCY = "emergency"  # 110/119/120/122: never merged, linked by transfer
    UTILITY = "utility"  # water, power, gas, heating companies: linked, not merged


class MergeMode(StrEnum):
    SUB_CENTER = "sub_center"  # 设分中心
    DUAL_NUMBER = "dual_number"  # 双号并行
    FULL_MERGE = "full_merge"  # 整体并入
    NONE = "none"  # 12345 itself, emergency and utility lines (linked, not merged)


class LineStatus(StrEnum):
    ACTIVE = "active"  # 在用
    IN_TRANSITION = "in_transition"  # 过渡期（号码将注销，播放过渡期语音提示）
    CANCELLED = "cancelled"  # 已注销（不再恢复）


class SeatArrangement(StrEnum):
    NONE = "none"  # seats are 12345's general seats
    BUSINESS_ZONE = "business_zone"  # 业务专区 in the 12345 hall
    EXPERT_SEATS = "expert_seats"  # 专家座席 (department experts on call)
    OWN_SEATS = "own_seats"  # a sub-center's own seats


class UtilityService(StrEnum):
    WATER = "water"
    POWER = "power"
    GAS = "gas"
    HEATING = "heating"


class ChangeField(StrEnum):
    CREATE = "create"
    IMPORT = "import"
    MODE = "mode"
    STATUS = "status"
    PROMPT = "prompt"
    SEATS = "seats"
    DETAILS = "details"
    EXPERTS = "experts"  # the expert seats' / business zone's rota (hotlines/roster.py)


# A line only moves forward along this order (设分中心 → 双号并行 → 整体并入).
MODE_ORDER = (MergeMode.SUB_CENTER, MergeMode.DUAL_NUMBER, MergeMode.FULL_MERGE)
# Kinds that are linked to 12345 rather than merged into it.
LINKED_KINDS = frozenset({LineKind.EMERGENCY, LineKind.UTILITY})

KIND_LABELS = {
    LineKind.MAIN: "12345主号",
    LineKind.DEPARTMENT: "部门热线",
    LineKind.EMERGENCY: "紧急热线",
    LineKind.UTILITY: "公共事业热线",
}
MODE_LABELS = {
    MergeMode.FULL_MERGE: "整体并入",
    MergeMode.DUAL_NUMBER: "双号并行",
    MergeMode.SUB_CENTER: "设分中心",
    MergeMode.NONE: "联动（不归并）",
}
STATUS_LABELS = {
    LineStatus.ACTIVE: "在用",
    LineStatus.IN_TRANSITION: "过渡期",
    LineStatus.CANCELLED: "已注销",
}
SEAT_LABELS = {
    SeatArrangement.NONE: "12345统一座席",
    SeatArrangement.BUSINESS_ZONE: "业务专区",
    SeatArrangement.EXPERT_SEATS: "专家座席",
    SeatArrangement.OWN_SEATS: "分中心自有座席",
}
SERVICE_LABELS = {
    UtilityService.WATER: "供水",
    UtilityService.POWER: "供电",
    UtilityService.GAS: "燃气",
    UtilityService.HEATING: "供热",
}
FIELD_LABELS = {
    ChangeField.CREATE: "新设登记",
    ChangeField.IMPORT: "清单导入",
    ChangeField.MODE: "归并方式",
    ChangeField.STATUS: "号码状态",
    ChangeField.PROMPT: "过渡期语音提示",
    ChangeField.SEATS: "座席安排",
    ChangeField.DETAILS: "基本信息",
    ChangeField.EXPERTS: "值班人员",
}


def label(mapping: dict[StrEnum, str], code: str | None) -> str:
    """The Chinese label of a stored code; the code itself when unknown (never a KeyError on a page)."""
    if not code:
        return "—"
    return next((text for key, text in mapping.items() if str(key) == code), code)


# Lines whose seats are staffed by a rota (hotlines/roster.py): who is on duty says whether they are staffed.
ROSTER_SEATS = frozenset({SeatArrangement.EXPERT_SEATS, SeatArrangement.BUSINESS_ZONE})
