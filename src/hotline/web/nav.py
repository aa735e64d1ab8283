"""Which work pages each role uses: the top navigation, the home page per role, page access."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.security.roles import UNIT_ROLES, Role

R = Role
CENTRE_ALL = frozenset(r for r in Role if r not in (R.REQUESTER, R.SYSTEM, R.TELEPHONY, R.CHANNEL))


@dataclass(frozen=True)
class NavPage:
    key: str
    url: str
    label: str
    roles: frozenset[Role]
    # Only for a viewer whose data scope is the whole city (or an administrator): the page shows the
    # whole city's records and cannot be cut to a district (the audit log, the call records, the texts).
    whole_city: bool = False


PAGES: tuple[NavPage, ...] = (
    NavPage("intake", "/hall/intake", "受理登记", frozenset({R.OPERATOR, R.DISPATCHER})),
    NavPage("dispatch", "/hall/dispatch", "派单队列", frozenset({R.DISPATCHER, R.SUPERVISOR})),
    NavPage("unit", "/unit", "本单位待办", UNIT_ROLES),
    NavPage("callbacks", "/callbacks", "待回访", frozenset({R.CALLBACK_AGENT, R.SUPERVISOR})),
    NavPage("sms", "/sms", "短信受理", frozenset({R.OPERATOR, R.DISPATCHER, R.SUPERVISOR}), whole_city=True),
    NavPage("wechat", "/wechat", "微信受理", frozenset({R.OPERATOR, R.DISPATCHER, R.SUPERVISOR}), whole_city=True),
    NavPage("calls", "/hall/calls", "来电", frozenset({R.OPERATOR, R.DISPATCHER, R.SUPERVISOR}), whole_city=True),
    NavPage("missed", "/hall/missed", "漏接回拨",
            frozenset({R.OPERATOR, R.DISPATCHER, R.CALLBACK_AGENT, R.SUPERVISOR}), whole_city=True),
    # the roles linkage.service.READERS lets read the list (tests/linkage/test_linkage_pages.py holds them equal)
    NavPage("linkage", "/hall/linkage", "联动转办",
            frozenset({R.OPERATOR, R.DISPATCHER, R.SUPERVISOR, R.ANALYST, R.ADMIN})),
    NavPage("wall", "/hall/wall", "话务大屏",
            frozenset({R.OPERATOR, R.DISPATCHER, R.CALLBACK_AGENT, R.SUPERVISOR, R.ANALYST, R.ADMIN})),
    NavPage("supervision", "/supervision", "督办总览",
            frozenset({R.SUPERVISOR, R.DISPATCHER, R.ANALYST, R.ADMIN})),
    NavPage("orders", "/supervision/orders", "督办单", UNIT_ROLES),  # a unit's own orders, read only
    NavPage("unit_ratings", "/unit/ratings", "本单位差评", UNIT_ROLES),  # its tickets' 差评 and their 核实, read only
    NavPage("notifications", "/notifications", "消息提醒",
            UNIT_ROLES | frozenset({R.SUPERVISOR, R.DISPATCHER, R.KNOWLEDGE_EDITOR})),
    NavPage("search", "/tickets", "工单查询", CENTRE_ALL),
    NavPage("analytics", "/analytics", "数据分析", frozenset({R.ANALYST, R.SUPERVISOR, R.ADMIN})),
    NavPage("catalogue", "/dispatch/catalogue", "派单目录", frozenset({R.DISPATCHER, R.SUPERVISOR, R.ADMIN})),
    NavPage("places", "/dispatch/places", "地名库", frozenset({R.DISPATCHER, R.SUPERVISOR, R.ADMIN})),
    NavPage("reports", "/reports", "分析报告",
            frozenset({R.ANALYST, R.SUPERVISOR, R.ADMIN, R.UNIT_MANAGER})),
    NavPage("publication", "/reports/publication", "数据公开", frozenset({R.SUPERVISOR, R.ADMIN}), whole_city=True),
    NavPage("kb", "/kb", "知识库", frozenset({R.KNOWLEDGE_EDITOR, R.SUPERVISOR, R.ADMIN}) | UNIT_ROLES),
    NavPage("knowledge", "/knowledge", "知识查询", CENTRE_ALL),
    NavPage("blacklist", "/blacklist", "黑名单",
            frozenset({R.OPERATOR, R.DISPATCHER, R.CALLBACK_AGENT, R.SUPERVISOR, R.ANALYST, R.ADMIN})),
    NavPage("workforce", "/workforce", "座席测算", frozenset({R.SUPERVISOR, R.ANALYST, R.ADMIN})),
    NavPage("hotlines", "/hotlines", "热线归并", frozenset({R.ADMIN, R.SUPERVISOR, R.ANALYST, R.DISPATCHER})),
    NavPage("dashboard", "/dashboard", "领导看板", frozenset({R.SUPERVISOR, R.ANALYST, R.ADMIN})),
    NavPage("assessment", "/assessment", "考核排名", frozenset({R.SUPERVISOR, R.ANALYST, R.ADMIN, R.UNIT_MANAGER})),
    NavPage("exemptions", "/assessment/exemptions", "考核豁免",
            frozenset({R.SUPERVISOR, R.ANALYST, R.ADMIN, R.DISPATCHER, R.CALLBACK_AGENT}) | UNIT_ROLES),
    NavPage("users", "/admin/users", "用户管理", frozenset({R.ADMIN})),
    NavPage("machines", "/admin/machines", "接口账号", frozenset({R.ADMIN})),
    NavPage("calendar", "/admin/calendar", "节假日安排", frozenset({R.ADMIN, R.SUPERVISOR})),
    NavPage("audit", "/admin/audit", "审计日志", frozenset({R.ADMIN, R.SUPERVISOR}), whole_city=True),
    NavPage("access_review", "/admin/access-review", "访问审查", frozenset({R.ADMIN, R.SUPERVISOR}), whole_city=True),
)
BY_KEY = {p.key: p for p in PAGES}

HOME_BY_ROLE: dict[Role, str] = {
    R.OPERATOR: "intake",
    R.DISPATCHER: "dispatch",
    R.UNIT_HANDLER: "unit",
    R.UNIT_MANAGER: "unit",
    R.CALLBACK_AGENT: "callbacks",
    R.SUPERVISOR: "supervision",
    R.ADMIN: "users",
    R.KNOWLEDGE_EDITOR: "kb",
}


def nav_for(role: Role, *, whole_city: bool = True) -> list[NavPage]:
    return [p for p in PAGES if role in p.roles and (whole_city or not p.whole_city)]


def home_for(role: Role) -> str:
    return BY_KEY[HOME_BY_ROLE.get(role, "search")].url
