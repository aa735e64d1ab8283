"""Supervision vocabularies as StrEnums (ASCII codes in the database) with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum


class Audience(StrEnum):
    UNIT = "unit"  # everyone in the handling unit (经办人 and 负责人)
    MANAGER = "manager"  # the unit's manager (承办单位负责人)
    LEADERSHIP = "leadership"  # the leadership above the unit (区/部门领导), or the centre's leaders
    # The centre's supervisors whose data scope is the whole city, who read the audit log: 个人信息访问预警
    # names staff accounts, not for a district's supervisor or the dispatchers who share the centre's inbox.
    REVIEWERS = "reviewers"
    # The centre's own staff on duty (dispatchers, and the supervisors who share the centre's inbox).
    CENTRE = "centre"


class OrderSource(StrEnum):
    AUTO_OVERDUE = "auto_overdue"  # raised by the scheduler when a ticket passes its deadline
    MANUAL = "manual"  # issued by a supervisor


class OrderStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class FindingKind(StrEnum):
    IMPROPER_RETURN = "improper_return"  # 不当退单: a return refused in return review
    BUCK_PASSING = "buck_passing"  # 推诿扯皮: a ticket returned by units more than N times
    FALSE_REPLY = "false_reply"  # 虚假答复: reopened after callback as not solved


class MeetingKind(StrEnum):
    COORDINATION = "coordination"  # 专题协调会
    INTERVIEW = "interview"  # 约谈


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CONCLUDED = "concluded"


class NotificationKind(StrEnum):
    REMINDER = "reminder"
    ORDER = "order"
    ESCALATION = "escalation"
    MEETING = "meeting"
    KB_EXPIRING = "kb_expiring"  # an article of the unit's is about to expire (knowledge/expiry.py)
    KB_REPORT = "kb_report"  # an error reported on an article of the unit's, or one still unanswered
    DECISION = "decision"  # the centre decided on the unit's ticket: a return refused, an extension, a reopen …
    ACCESS_ALERT = "access_alert"  # an account the access review flags (security/access_alerts.py)
    DISPATCH_LATE = "dispatch_late"  # a ticket still in 待派单 past its 派单时限 (supervision/dispatch_watch.py)


AUDIENCE_LABELS = {Audience.UNIT: "承办单位", Audience.MANAGER: "单位负责人", Audience.LEADERSHIP: "上级领导",
                   Audience.REVIEWERS: "审计审查人员", Audience.CENTRE: "热线中心"}
ORDER_SOURCE_LABELS = {OrderSource.AUTO_OVERDUE: "超期自动督办", OrderSource.MANUAL: "人工督办"}
ORDER_STATUS_LABELS = {OrderStatus.OPEN: "督办中", OrderStatus.CLOSED: "已办结"}
FINDING_LABELS = {
    FindingKind.IMPROPER_RETURN: "不当退单",
    FindingKind.BUCK_PASSING: "推诿扯皮",
    FindingKind.FALSE_REPLY: "虚假答复",
}
MEETING_KIND_LABELS = {MeetingKind.COORDINATION: "专题协调会", MeetingKind.INTERVIEW: "约谈"}
MEETING_STATUS_LABELS = {MeetingStatus.SCHEDULED: "待召开", MeetingStatus.CONCLUDED: "已记录结果"}
NOTIFICATION_LABELS = {
    NotificationKind.REMINDER: "临期催办",
    NotificationKind.ORDER: "督办单",
    NotificationKind.ESCALATION: "督办升级",
    NotificationKind.MEETING: "会议约谈",
    NotificationKind.KB_EXPIRING: "知识到期提醒",
    NotificationKind.KB_REPORT: "知识纠错",
    NotificationKind.DECISION: "工单处理意见",
    NotificationKind.ACCESS_ALERT: "个人信息访问预警",
}
