"""The knowledge base's vocabularies as StrEnums (ASCII codes in the database) with Chinese labels."""

from __future__ import annotations

from enum import StrEnum


class ArticleStatus(StrEnum):
    DRAFT = "draft"  # 草稿（起草或修订中）
    IN_REVIEW = "in_review"  # 待审核
    APPROVED = "approved"  # 已审核发布
    RETURNED = "returned"  # 已退回修改
    EXPIRED = "expired"  # 已失效（过期或政策变化）
    WITHDRAWN = "withdrawn"  # 已撤销


class Audience(StrEnum):
    PUBLIC = "public"  # 公众
    INTERNAL = "internal"  # 内部（话务员口径）
    ENTERPRISE = "enterprise"  # 一企来（涉企政策）


class ReportStatus(StrEnum):
    OPEN = "open"  # 待答复
    ANSWERED = "answered"  # 已答复


class Flag(StrEnum):
    EXPIRED = "expired"  # 已过有效期
    POLICY_CHANGED = "policy_changed"  # 政策依据已变化
    ERROR_REPORTED = "error_reported"  # 有待答复的纠错


class ArticleAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"
    FLAG_POLICY_CHANGED = "flag_policy_changed"
    IMPORT = "import"
    REPORT_ERROR = "report_error"
    ANSWER_REPORT = "answer_report"


# Articles that appear in searches for the public (portal, self-service assistant, 12345 app).
PUBLIC_AUDIENCES = frozenset({Audience.PUBLIC, Audience.ENTERPRISE})

STATUS_LABELS = {
    ArticleStatus.DRAFT: "草稿",
    ArticleStatus.IN_REVIEW: "待审核",
    ArticleStatus.APPROVED: "已发布",
    ArticleStatus.RETURNED: "已退回",
    ArticleStatus.EXPIRED: "已失效",
    ArticleStatus.WITHDRAWN: "已撤销",
}
AUDIENCE_LABELS = {Audience.PUBLIC: "公众", Audience.INTERNAL: "内部", Audience.ENTERPRISE: "一企来（涉企政策）"}
REPORT_STATUS_LABELS = {ReportStatus.OPEN: "待答复", ReportStatus.ANSWERED: "已答复"}
FLAG_LABELS = {Flag.EXPIRED: "已过有效期", Flag.POLICY_CHANGED: "政策已变化", Flag.ERROR_REPORTED: "有待答复的纠错"}
ACTION_LABELS = {
    ArticleAction.CREATE: "起草",
    ArticleAction.UPDATE: "修订",
    ArticleAction.SUBMIT: "提交审核",
    ArticleAction.APPROVE: "审核通过",
    ArticleAction.RETURN: "退回修改",
    ArticleAction.WITHDRAW: "撤销",
    ArticleAction.EXPIRE: "到期失效",
    ArticleAction.FLAG_POLICY_CHANGED: "标记政策变化",
    ArticleAction.IMPORT: "批量导入",
    ArticleAction.REPORT_ERROR: "查漏纠错",
    ArticleAction.ANSWER_REPORT: "答复纠错",
}


# An article's key goes into page and API addresses (/public/kb/{key}): no spaces and none of the
# characters that end or escape a path segment.
BAD_KEY_CHARS = frozenset(" \t\r\n/?#%\\")
BAD_KEY_MESSAGE = "编号不能含空格或 / ? # % \\ 字符"


def bad_key(key: str) -> bool:
    return any(ch in BAD_KEY_CHARS or ch.isspace() for ch in key)
