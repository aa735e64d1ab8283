"""Roles and data scopes: who a user is in the hall or a unit, and how much of the city they see."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"  # 话务员
    DISPATCHER = "dispatcher"  # 派单员
    UNIT_HANDLER = "unit_handler"  # 承办单位经办人
    UNIT_MANAGER = "unit_manager"  # 承办单位负责人
    CALLBACK_AGENT = "callback_agent"  # 回访员
    SUPERVISOR = "supervisor"  # 督办
    ANALYST = "analyst"  # 分析员
    KNOWLEDGE_EDITOR = "knowledge_editor"  # 知识库编辑
    ADMIN = "admin"  # 系统管理员
    # Not a login: the citizen or enterprise acting through the public portal.
    REQUESTER = "requester"
    # Not a login: the platform itself (timers, imports).
    SYSTEM = "system"
    # A machine account: the telephony adapter's token feeds call events; no pages, no tickets.
    TELEPHONY = "telephony"
    # A machine account: another system's channel (Open311 clients, a city app) registers requests
    # and reads back only those it registered; no pages.
    CHANNEL = "channel"
    # A machine account: a department's or a district's system reads the ticket feed of its data
    # scope (信息共享, hotline.sharing); it changes nothing.
    DATA_SHARING = "data_sharing"
    # A machine account: a department's own business system (部门业务系统), bound to one handling unit,
    # where hotlines merged as 双号并行 / 分中心 handle 12345 tickets (苏政办发〔2021〕81号). It does what the
    # unit's staff do on the unit's tickets (签收、退单、申请延期、答复、协办), under its own name; 12345 still
    # closes and calls back. It reads its unit's queue only, masked; no pages.
    UNIT_SYSTEM = "unit_system"


ROLE_LABELS: dict[Role, str] = {
    Role.OPERATOR: "话务员",
    Role.DISPATCHER: "派单员",
    Role.UNIT_HANDLER: "承办单位经办人",
    Role.UNIT_MANAGER: "承办单位负责人",
    Role.CALLBACK_AGENT: "回访员",
    Role.SUPERVISOR: "督办员",
    Role.ANALYST: "数据分析员",
    Role.KNOWLEDGE_EDITOR: "知识库编辑",
    Role.ADMIN: "系统管理员",
    Role.REQUESTER: "诉求人",
    Role.SYSTEM: "系统",
    Role.TELEPHONY: "话务系统接口",
    Role.CHANNEL: "渠道接入接口",
    Role.DATA_SHARING: "数据共享接口",
    Role.UNIT_SYSTEM: "部门业务系统",
}

UNIT_ROLES = frozenset({Role.UNIT_HANDLER, Role.UNIT_MANAGER})
MACHINE_ROLES = frozenset({Role.TELEPHONY, Role.CHANNEL, Role.DATA_SHARING, Role.UNIT_SYSTEM})
# Who works a unit's tickets: its staff and its own business system (a machine account, not a login).
UNIT_WORK_ROLES = UNIT_ROLES | {Role.UNIT_SYSTEM}
LOGIN_ROLES = frozenset(r for r in Role if r not in (Role.REQUESTER, Role.SYSTEM) and r not in MACHINE_ROLES)


class DataScope(StrEnum):
    OWN_UNIT = "own_unit"  # tickets dispatched to the user's unit
    JURISDICTION = "jurisdiction"  # tickets located in a jurisdiction subtree
    ALL = "all"


SCOPE_LABELS: dict[DataScope, str] = {
    DataScope.OWN_UNIT: "本单位",
    DataScope.JURISDICTION: "本辖区",
    DataScope.ALL: "全部",
}

# Roles that need the requester's name and phone to do their work (call back, contact, verify).
PERSONAL_DATA_ROLES = frozenset(
    {Role.OPERATOR, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.SUPERVISOR, Role.UNIT_HANDLER, Role.UNIT_MANAGER}
)
