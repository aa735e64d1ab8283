"""The blacklist's vocabularies as StrEnums (ASCII codes in the database) with Chinese labels."""

from __future__ import annotations

from enum import StrEnum


class Ground(StrEnum):
    FALSE_REPORTS = "false_reports"  # 多次恶意虚假诉求
    LINE_OCCUPATION = "line_occupation"  # 长时间无故占线
    ABUSE = "abuse"  # 辱骂、骚扰话务员


class EntryStatus(StrEnum):
    PROPOSED = "proposed"  # 待审核（候选）
    CONFIRMED = "confirmed"  # 已列入
    REJECTED = "rejected"  # 不予列入
    REVOKED = "revoked"  # 已撤销（提前移出）


class Effective(StrEnum):
    """What an entry means now: the stored status plus the clock (a confirmed entry runs out)."""

    PROPOSED = "proposed"
    ACTIVE = "active"
    EXPIRED = "expired"
    REJECTED = "rejected"
    REVOKED = "revoked"


class Verdict(StrEnum):
    """What the unit or the closer found about a request's facts."""

    UNFOUNDED = "unfounded"  # 经核实诉求不实（虚假反映）
    FOUNDED = "founded"  # 经核实属实（撤销此前的不实认定）


class AppealDecision(StrEnum):
    GRANTED = "granted"  # 申诉成立，移出黑名单
    DISMISSED = "dismissed"  # 申诉不成立，维持


class EvidenceKind(StrEnum):
    TICKET = "ticket"
    CALL = "call"
    ABUSE_REPORT = "abuse_report"


class EntryAction(StrEnum):
    PROPOSE = "propose"
    ADD_EVIDENCE = "add_evidence"
    CONFIRM = "confirm"
    REJECT = "reject"
    REVOKE = "revoke"
    APPEAL = "appeal"
    DECIDE_APPEAL = "decide_appeal"
    REFER_POLICE = "refer_police"


GROUND_LABELS = {
    Ground.FALSE_REPORTS: "多次虚假诉求",
    Ground.LINE_OCCUPATION: "长时间占用线路",
    Ground.ABUSE: "辱骂骚扰工作人员",
}
STATUS_LABELS = {
    EntryStatus.PROPOSED: "待审核",
    EntryStatus.CONFIRMED: "已列入",
    EntryStatus.REJECTED: "不予列入",
    EntryStatus.REVOKED: "已撤销",
}
EFFECTIVE_LABELS = {
    Effective.PROPOSED: "待审核",
    Effective.ACTIVE: "生效中",
    Effective.EXPIRED: "已到期",
    Effective.REJECTED: "不予列入",
    Effective.REVOKED: "已撤销",
}
VERDICT_LABELS = {Verdict.UNFOUNDED: "诉求不实", Verdict.FOUNDED: "诉求属实"}
APPEAL_LABELS = {AppealDecision.GRANTED: "申诉成立", AppealDecision.DISMISSED: "申诉不成立"}
EVIDENCE_LABELS = {EvidenceKind.TICKET: "工单", EvidenceKind.CALL: "通话", EvidenceKind.ABUSE_REPORT: "辱骂骚扰记录"}
ACTION_LABELS = {
    EntryAction.PROPOSE: "提出候选",
    EntryAction.ADD_EVIDENCE: "补充证据",
    EntryAction.CONFIRM: "审核列入",
    EntryAction.REJECT: "不予列入",
    EntryAction.REVOKE: "撤销",
    EntryAction.APPEAL: "登记申诉",
    EntryAction.DECIDE_APPEAL: "申诉处理",
    EntryAction.REFER_POLICE: "移交警情",
}
