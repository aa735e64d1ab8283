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
    # The centre's supervisors whose data scope is the whole city: the 回头看 reminder counts the whole city's
    # tickets waiting for review (revisit/reminder.py), not for a district's supervisor or the dispatchers.
    SUPERVISORS = "supervisors"


class OrderSource(StrEnum):
    AUTO_OVERDUE = "auto_overdue"  # raised by the scheduler when a ticket passes its deadline
    MANUAL = "manual"  # issued by a supervisor


class OrderStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class FindingKind(StrEnum):
    IMPROPER_RETURN = "improper_return"  # 不当退单: a return refused in return review
    BUCK_PASSING = "buck_passing"  # 推诿扯皮: a ticket returned by units more than N times
    FALSE_REPLY = "false_reply"  # 虚假答复: reopened after callback as not solved, or reviewed as 需再办理


class MeetingKind(StrEnum):
    COORDINATION = "coordination"  # 专题协调会
    INTERVIEW = "interview"  # 约谈
    # 53号 三(六): poor quality, buck-passing, false reports and improper returns are 通报 (a circular naming
    # the units) and 问责 — referred to the discipline bodies (纪委监委、作风办), which decide.
    CIRCULAR = "circular"  # 通报
    REFERRAL = "referral"  # 问责移送


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
    LINKAGE_LATE = "linkage_late"  # a linked platform's answer late, or a request passed in not reported back
    REVISIT_DUE = "revisit_due"  # tickets waiting for 审核研判, once a period (revisit/reminder.py)


AUDIENCE_LABELS = {Audience.UNIT: "承办单位", Audience.MANAGER: "单位负责人", Audience.LEADERSHIP: "上级领导",
                   Audience.REVIEWERS: "审计审查人员", Audience.CENTRE: "热线中心", Audience.SUPERVISORS: "督办人员"}
ORDER_SOURCE_LABELS = {OrderSource.AUTO_OVERDUE: "超期自动督办", OrderSource.MANUAL: "人工督办"}
ORDER_STATUS_LABELS = {OrderStatus.OPEN: "督办中", OrderStatus.CLOSED: "已办结"}
FINDING_LABELS = {
    FindingKind.IMPROPER_RETURN: "不当退单",
    FindingKind.BUCK_PASSING: "推诿扯皮",
    FindingKind.FALSE_REPLY: "虚假答复",
}
MEETING_KIND_LABELS = {MeetingKind.COORDINATION: "专题协调会", MeetingKind.INTERVIEW: "约谈",
                       MeetingKind.CIRCULAR: "通报", MeetingKind.REFERRAL: "问责移送"}
# What each of a record's fields means for its kind (the same columns serve all four).
MEETING_FIELDS: dict[MeetingKind, dict[str, str]] = {
    MeetingKind.COORDINATION: {"held_at": "召开时间", "location": "地点", "host": "主持人", "topic": "议题",
                               "attendees": "参会人员", "units": "涉及单位", "outcome": "会议结果",
                               "pending": "待召开"},
    MeetingKind.INTERVIEW: {"held_at": "约谈时间", "location": "地点", "host": "主持人", "topic": "约谈事由",
                            "attendees": "参加人员", "units": "被约谈单位", "outcome": "约谈结果", "pending": "待约谈"},
    MeetingKind.CIRCULAR: {"held_at": "通报日期", "location": "文号", "host": "发布机关", "topic": "通报内容",
                           "attendees": "抄送", "units": "被通报单位", "outcome": "整改情况", "pending": "待整改反馈"},
    MeetingKind.REFERRAL: {"held_at": "移送时间", "location": "移送机关及文号", "host": "经办人", "topic": "移送事由",
                           "attendees": "抄送", "units": "被移送问责单位", "outcome": "处理结果",
                           "pending": "待反馈处理结果"},
}
# Kinds that name the units they are about: without a unit the record says nothing.
MEETING_NEEDS_UNITS = {MeetingKind.INTERVIEW: "约谈须选择被约谈单位", MeetingKind.CIRCULAR: "通报须选择被通报单位",
                       MeetingKind.REFERRAL: "问责移送须选择被移送问责的单位"}
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
    NotificationKind.DISPATCH_LATE: "派单超时",
    NotificationKind.LINKAGE_LATE: "联动转办",
    NotificationKind.REVISIT_DUE: "回头看提醒",
}
