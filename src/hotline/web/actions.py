"""The inputs each workflow action's form asks for (mirrors the guards in tickets/workflow.py)."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.tickets.enums import ACTION_LABELS, Action

A = Action


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    # textarea | text | number | lead_unit | linked_line | assisting_units | solved | satisfaction | conclusion | keep
    widget: str
    required: bool = False
    hint: str = ""
    max_len: int = 2000  # ActionIn's limit for the field (note and reason 2000; a reply or an answer 5000)


NOTE = Field("note", "备注", "textarea")
F = {
    "note": NOTE,
    "remind_note": Field("note", "催办意见", "textarea", True),
    "supervise_note": Field("note", "督办意见", "textarea", True, "至少5个字"),
    "reason_return": Field("reason", "退单理由", "textarea", True, "说明不属于本单位职责的依据，至少5个字"),
    "reason_reassign": Field("reason", "改派理由", "textarea", False,
                             "待签收、办理中改派必填（将告知原主办单位）；退单审核中改派可不填"),
    "reason_refuse": Field("reason", "驳回理由", "textarea", True),
    "reason_extension": Field("reason", "延期理由", "textarea", True, "至少5个字"),
    "reason_reject": Field("reason", "退回理由", "textarea", True),
    "reason_withdraw": Field("reason", "撤回原因", "textarea"),
    "days": Field("days", "延期天数（工作日）", "number", True),
    "content_reply": Field("content", "答复内容", "textarea", True, "至少10个字，将告知诉求人", 5000),
    "reason_early_reply": Field("reason", "先行答复理由", "textarea", False,
                                "协办单位尚未全部提交协办意见时必填，至少5个字；协办任务随答复结束"),
    "content_assist": Field("content", "协办意见", "textarea", True, "至少5个字", 5000),
    "answer": Field("answer", "答复内容", "textarea", True, "至少5个字", 5000),
    "answer_source": Field("answer_source", "答复依据", "text", True, "知识库条目或政策文件", 300),
    "lead_unit": Field("lead_unit_id", "主办单位", "lead_unit", True),
    "lead_unit_reassign": Field("lead_unit_id", "主办单位", "lead_unit", True,
                                "须更换主办单位；只调整协办单位请用「调整协办单位」（主办单位的签收和时限不变）"),
    "lead_unit_optional": Field("lead_unit_id", "主办单位", "lead_unit", False, "不选则退回原主办单位"),
    "assisting_units": Field("assisting_unit_ids", "协办单位", "assisting_units"),
    "assisting_units_reopen": Field("assisting_unit_ids", "协办单位", "assisting_units", False,
                                    "已选上一轮的协办单位，随主办单位一并重办；可增减"),
    "assisting_units_adjust": Field("assisting_unit_ids", "协办单位", "assisting_units", False,
                                    "已选当前的协办单位，可增减；新增的单位收到协办任务（待签收），去掉的单位协办任务结束，"
                                    "均收到通知；主办单位的签收和办理时限不变"),
    "reason_adjust": Field("reason", "调整理由", "textarea", True),
    # the place and category the suggestion relied on, kept on a ticket that has none (ticked boxes)
    "keep": Field("keep", "同时记录", "keep"),
    "solved": Field("solved", "是否解决", "solved", True),
    "satisfaction": Field("satisfaction", "满意度", "satisfaction", True),
    "no_answer_note": Field("note", "备注", "textarea", False,
                            "如：无人接听、关机、号码停机；按回访规则累计未接通后结束回访"),
    "conclusion": Field("conclusion", "研判结论", "conclusion", True),
    "review_note": Field("note", "研判意见", "textarea", True, "审核研判的依据，如法律顾问意见；至少5个字"),
    "lead_unit_rehandle": Field("lead_unit_id", "主办单位", "lead_unit", True, "再办理的承办单位，时限重新计算"),
    "rehandle_note": Field("note", "再办理要求", "textarea", False, "告知承办单位；不填则附上研判意见"),
    "parent_number": Field("parent_number", "主工单编号", "text", True, "如 NJ20261102-000001", 32),
    # 联动转办 (linkage/)
    "line": Field("line_id", "联动平台", "linked_line", True, "本市紧急热线、公共事业热线，或外地（含省级）12345"),
    "reason_transfer_out": Field("reason", "转出理由", "textarea", True, "说明为何属该平台办理，至少5个字"),
    "external_ref": Field("external_ref", "对方工单编号", "text", False, "对方平台给出的编号，可稍后在反馈时补填", 64),
    "content_linked": Field("content", "对方办理结果", "textarea", True,
                            "对方平台反馈的办理结果，将作为答复回访诉求人；至少5个字", 5000),
    "reason_linked_return": Field("reason", "退回原因", "textarea", True, "对方平台不予受理的原因；工单回到待派单，"
                                  "派单时限重新计算；至少5个字"),
    "content_report_back": Field("content", "反馈内容", "textarea", True, "向转入方反馈的办理结果，至少5个字", 5000),
}

FORMS: dict[Action, tuple[Field, ...]] = {
    A.ANSWER_DIRECTLY: (F["answer"], F["answer_source"]),
    A.DISPATCH: (F["lead_unit"], F["assisting_units"], F["keep"], F["note"]),
    A.ACKNOWLEDGE: (F["note"],),
    A.ASSIST_ACKNOWLEDGE: (F["note"],),
    A.RETURN: (F["reason_return"],),
    A.REASSIGN: (F["lead_unit_reassign"], F["assisting_units"], F["reason_reassign"]),
    A.ADJUST_ASSISTING: (F["assisting_units_adjust"], F["reason_adjust"]),
    A.REFUSE_RETURN: (F["reason_refuse"],),
    A.REQUEST_EXTENSION: (F["days"], F["reason_extension"]),
    A.APPROVE_EXTENSION: (F["note"],),
    A.REFUSE_EXTENSION: (F["reason_refuse"],),
    A.ASSIST_REPLY: (F["content_assist"],),
    A.REPLY: (F["content_reply"], F["reason_early_reply"]),
    A.REJECT_REPLY: (F["reason_reject"],),
    A.REMIND: (F["remind_note"],),
    A.SUPERVISE: (F["supervise_note"],),
    A.CLOSE: (F["note"],),
    A.CALLBACK: (F["solved"], F["satisfaction"], F["note"]),
    A.CALLBACK_NO_ANSWER: (F["no_answer_note"],),
    A.CALLBACK_UNREACHABLE: (F["note"],),
    A.REOPEN: (F["solved"], F["satisfaction"], F["lead_unit_optional"], F["assisting_units_reopen"], F["note"]),
    A.REVIEW: (F["conclusion"], F["review_note"]),
    A.REHANDLE: (F["lead_unit_rehandle"], F["assisting_units"], F["rehandle_note"]),
    A.MERGE: (F["parent_number"], F["note"]),
    A.WITHDRAW: (F["reason_withdraw"],),
    A.TRANSFER_OUT: (F["line"], F["external_ref"], F["reason_transfer_out"]),
    A.LINKED_ANSWER: (F["content_linked"], F["external_ref"]),
    A.LINKED_RETURN: (F["reason_linked_return"],),
    A.REPORT_BACK: (F["content_report_back"],),
}

# Actions that undo or refuse something, or record a call nobody answered, get a quieter button.
SECONDARY = frozenset({A.CALLBACK_NO_ANSWER, A.CALLBACK_UNREACHABLE,
                       A.RETURN, A.REFUSE_RETURN, A.REFUSE_EXTENSION, A.REJECT_REPLY, A.WITHDRAW, A.MERGE,
                       A.REOPEN, A.TRANSFER_OUT, A.LINKED_RETURN})
# What a page may POST to /tickets/{number}/actions/{action}: not registration, not the public's rating.
STAFF_ACTIONS = frozenset(FORMS)


@dataclass(frozen=True)
class ActionForm:
    action: Action
    label: str
    fields: tuple[Field, ...]
    secondary: bool


# The usual next step first: its form is the one shown open on the ticket page.
ORDER = (A.DISPATCH, A.ACKNOWLEDGE, A.ASSIST_ACKNOWLEDGE, A.REPLY, A.ASSIST_REPLY, A.CLOSE, A.CALLBACK,
         A.CALLBACK_NO_ANSWER, A.CALLBACK_UNREACHABLE,
         A.APPROVE_EXTENSION, A.REASSIGN, A.ADJUST_ASSISTING, A.REFUSE_RETURN, A.ANSWER_DIRECTLY,
         A.REQUEST_EXTENSION, A.REMIND, A.SUPERVISE, A.REFUSE_EXTENSION, A.REJECT_REPLY, A.RETURN, A.REOPEN,
         A.REVIEW, A.REHANDLE, A.MERGE, A.LINKED_ANSWER, A.REPORT_BACK, A.TRANSFER_OUT, A.LINKED_RETURN, A.WITHDRAW)


def forms_for(allowed: list[str], *, assisting_pending: bool = False) -> list[ActionForm]:
    """The forms for the allowed actions; the reply asks why it goes first only while opinions are missing."""
    actions = sorted((Action(code) for code in allowed if Action(code) in FORMS), key=ORDER.index)
    return [ActionForm(a, ACTION_LABELS[a], _fields(a, assisting_pending), a in SECONDARY) for a in actions]


def field_labels(action: Action) -> dict[str, str]:
    """What the action's form calls its text fields, for their validation errors (a reply's `content` is
    its 答复内容, not the 诉求内容 it is at intake)."""
    return {f.name: f.label for f in FORMS.get(action, ()) if f.widget in ("textarea", "text")}


def _fields(action: Action, assisting_pending: bool) -> tuple[Field, ...]:
    if action == A.REPLY and not assisting_pending:
        return tuple(f for f in FORMS[action] if f is not F["reason_early_reply"])
    return FORMS[action]
