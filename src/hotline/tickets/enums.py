"""The ticket's vocabularies as StrEnums (ASCII codes in the database) with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    REGISTERED = "registered"  # 已受理，待派单
    DISPATCHED = "dispatched"  # 已派单，待签收
    HANDLING = "handling"  # 办理中
    RETURN_REVIEW = "return_review"  # 退单审核中
    TRANSFERRED = "transferred"  # 已转出联动平台（另一地12345、110等），待对方反馈
    REPLIED = "replied"  # 已答复，待办结
    CLOSED = "closed"  # 已办结，待回访
    FINISHED = "finished"  # 已回访，归档
    MERGED = "merged"  # 已并单
    WITHDRAWN = "withdrawn"  # 已撤回


class Action(StrEnum):
    REGISTER = "register"
    ANSWER_DIRECTLY = "answer_directly"
    DISPATCH = "dispatch"
    ACKNOWLEDGE = "acknowledge"
    ASSIST_ACKNOWLEDGE = "assist_acknowledge"
    RETURN = "return"
    REASSIGN = "reassign"
    ADJUST_ASSISTING = "adjust_assisting"  # the centre changes the assisting units; the lead unit's part stays
    REFUSE_RETURN = "refuse_return"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    ASSIST_REPLY = "assist_reply"
    REPLY = "reply"
    REJECT_REPLY = "reject_reply"
    REMIND = "remind"
    SUPERVISE = "supervise"
    CLOSE = "close"
    CALLBACK = "callback"
    CALLBACK_NO_ANSWER = "callback_no_answer"  # 回访未接通: one attempt, the ticket waits for the next
    CALLBACK_UNREACHABLE = "callback_unreachable"  # 无法联系: attempts used up, callback ends without a rating
    REOPEN = "reopen"
    RATE = "rate"
    # 回头看: a supervisor's 审核研判 of a finished ticket, and its 再办理 (back to a unit) when the review says so
    REVIEW = "review"
    REHANDLE = "rehandle"
    MERGE = "merge"
    WITHDRAW = "withdraw"
    # 联动转办 (linkage/): a request that is another platform's (110, a utility, another region's 12345) is
    # passed to it, and its answer comes back; a request passed in by one is answered back to it.
    TRANSFER_OUT = "transfer_out"
    LINKED_ANSWER = "linked_answer"
    LINKED_RETURN = "linked_return"
    REPORT_BACK = "report_back"


class Kind(StrEnum):
    CONSULTATION = "consultation"
    HELP = "help"
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"
    PRAISE = "praise"


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    CRITICAL = "critical"


class Channel(StrEnum):
    PHONE = "phone"
    WEB = "web"
    APP = "app"
    WECHAT = "wechat"
    SMS = "sms"
    MAILBOX = "mailbox"
    CHATBOT = "chatbot"
    OPEN311 = "open311"


class Satisfaction(StrEnum):
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"
    VERY_UNSATISFIED = "very_unsatisfied"


SATISFIED_LEVELS = frozenset(
    {Satisfaction.VERY_SATISFIED, Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED}
)


class ReviewConclusion(StrEnum):
    """What a supervisor's 审核研判 of a finished ticket concludes (回头看); only REHANDLE sends it back."""

    REHANDLE = "rehandle"  # 诉求合理、未解决，需再办理
    HANDLED = "handled"  # 已依法依规处置到位
    UNREASONABLE = "unreasonable"  # 诉求不合理（不予支持）
    NOT_SOLVABLE = "not_solvable"  # 无法解决（政策不允许）


class AssignmentRole(StrEnum):
    LEAD = "lead"  # 主办
    ASSISTING = "assisting"  # 协办


class AssignmentStatus(StrEnum):
    PENDING = "pending"  # 待签收
    ACKNOWLEDGED = "acknowledged"  # 已签收
    REPLIED = "replied"  # 已答复
    RETURNED = "returned"  # 已退单
    ENDED = "ended"  # 改派或工单结束，不再由本单位办理
    REMOVED = "removed"  # 调整协办单位时移出：本轮不再由本单位协办（答复退回、退回重办不再恢复）


class DeadlineStatus(StrEnum):
    ON_TIME = "on_time"
    ABOUT_TO_EXPIRE = "about_to_expire"
    OVERDUE = "overdue"
    PAUSED = "paused"
    NONE = "none"


STATE_LABELS = {
    State.REGISTERED: "待派单",
    State.DISPATCHED: "待签收",
    State.HANDLING: "办理中",
    State.RETURN_REVIEW: "退单审核中",
    State.TRANSFERRED: "已转出待反馈",
    State.REPLIED: "已答复待办结",
    State.CLOSED: "已办结待回访",
    State.FINISHED: "已回访归档",
    State.MERGED: "已并单",
    State.WITHDRAWN: "已撤回",
}
ACTION_LABELS = {
    Action.REGISTER: "受理登记",
    Action.ANSWER_DIRECTLY: "直接答复",
    Action.DISPATCH: "派单",
    Action.ACKNOWLEDGE: "签收",
    Action.ASSIST_ACKNOWLEDGE: "协办签收",
    Action.RETURN: "退单",
    Action.REASSIGN: "改派",
    Action.ADJUST_ASSISTING: "调整协办单位",
    Action.REFUSE_RETURN: "驳回退单",
    Action.REQUEST_EXTENSION: "申请延期",
    Action.APPROVE_EXTENSION: "批准延期",
    Action.REFUSE_EXTENSION: "驳回延期",
    Action.ASSIST_REPLY: "协办答复",
    Action.REPLY: "答复",
    Action.REJECT_REPLY: "答复退回",
    Action.REMIND: "催办",
    Action.SUPERVISE: "督办",
    Action.CLOSE: "办结",
    Action.CALLBACK: "回访",
    Action.CALLBACK_NO_ANSWER: "回访未接通",
    Action.CALLBACK_UNREACHABLE: "回访无法联系",
    Action.REOPEN: "退回重办",
    Action.RATE: "评价",
    Action.REVIEW: "审核研判",
    Action.REHANDLE: "再办理",
    Action.MERGE: "并单",
    Action.WITHDRAW: "撤回",
    Action.TRANSFER_OUT: "联动转出",
    Action.LINKED_ANSWER: "联动反馈",
    Action.LINKED_RETURN: "联动退回",
    Action.REPORT_BACK: "反馈转入方",
}
KIND_LABELS = {
    Kind.CONSULTATION: "咨询",
    Kind.HELP: "求助",
    Kind.COMPLAINT: "投诉",
    Kind.REPORT: "举报",
    Kind.SUGGESTION: "建议",
    Kind.PRAISE: "感谢",
}
URGENCY_LABELS = {Urgency.NORMAL: "一般", Urgency.URGENT: "紧急", Urgency.CRITICAL: "特急"}
CHANNEL_LABELS = {
    Channel.PHONE: "电话",
    Channel.WEB: "网站",
    Channel.APP: "APP",
    Channel.WECHAT: "微信",
    Channel.SMS: "短信",
    Channel.MAILBOX: "市长信箱",
    Channel.CHATBOT: "智能客服",
    Channel.OPEN311: "Open311",
}
SATISFACTION_LABELS = {
    Satisfaction.VERY_SATISFIED: "非常满意",
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY_SATISFIED: "基本满意",
    Satisfaction.UNSATISFIED: "不满意",
    Satisfaction.VERY_UNSATISFIED: "非常不满意",
}
REVIEW_CONCLUSION_LABELS = {
    ReviewConclusion.REHANDLE: "诉求合理、未解决，需再办理",
    ReviewConclusion.HANDLED: "已依法依规处置到位",
    ReviewConclusion.UNREASONABLE: "诉求不合理（不予支持）",
    ReviewConclusion.NOT_SOLVABLE: "无法解决（政策不允许）",
}
ASSIGNMENT_ROLE_LABELS = {AssignmentRole.LEAD: "主办", AssignmentRole.ASSISTING: "协办"}
ASSIGNMENT_STATUS_LABELS = {
    AssignmentStatus.PENDING: "待签收",
    AssignmentStatus.ACKNOWLEDGED: "已签收",
    AssignmentStatus.REPLIED: "已答复",
    AssignmentStatus.RETURNED: "已退单",
    AssignmentStatus.ENDED: "已结束",
    AssignmentStatus.REMOVED: "已移出",
}
DEADLINE_LABELS = {
    DeadlineStatus.ON_TIME: "正常",
    DeadlineStatus.ABOUT_TO_EXPIRE: "即将超期",
    DeadlineStatus.OVERDUE: "已超期",
    DeadlineStatus.PAUSED: "时限暂停",
    DeadlineStatus.NONE: "—",
}
