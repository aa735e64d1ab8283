"""What comes in and goes out of the knowledge base API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from hotline.knowledge.enums import BAD_KEY_MESSAGE, Audience, bad_key

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class AttachmentMeta(BaseModel):
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    content_type: Annotated[str, StringConstraints(max_length=100)] = "application/octet-stream"
    size_bytes: int = Field(default=0, ge=0, le=100 * 1024 * 1024)
    url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None

    @field_validator("url")
    @classmethod
    def _web_address(cls, url: str | None) -> str | None:  # shown as a link: never javascript: or data:
        if url and not (url.lower().startswith(("http://", "https://")) or (url[0] == "/" and url[:2] != "//")):
            raise ValueError("附件链接须以 http:// 或 https:// 开头（或本站的 / 路径）")
        return url or None


class ArticleIn(BaseModel):
    """An article's content: every save creates a new version."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    questions: list[Line] = Field(min_length=1, max_length=20)
    phrasings: list[Line] = Field(default_factory=list, max_length=50)
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]
    policy_basis: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20000)] | None = None
    policy_source: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    category_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    audience: Audience = Audience.PUBLIC
    jurisdiction_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=30)
    valid_from: datetime | None = None
    expires_at: datetime | None = None
    attachments: list[AttachmentMeta] = Field(default_factory=list, max_length=20)
    change_note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    base_version: int | None = Field(
        default=None, ge=0, le=1_000_000,
        description="修订时：编辑所依据的版本号（条目的 version_count）。其间已有他人保存新版本时拒绝保存（409 "
                    "kb_edit_conflict），以免覆盖；不填则不检查")

    @field_validator("questions", "phrasings", "tags")
    @classmethod
    def _once(cls, items: list[str]) -> list[str]:  # the same line twice says nothing more
        return list(dict.fromkeys(items))

    @field_validator("valid_from", "expires_at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("时间须带时区（示例 2026-12-31T23:59:59+08:00）")
        if v is not None and not 2000 <= v.year <= 2999:  # 0001 or 9999 is a slip, and beyond what pages show
            raise ValueError(f"时间 {v.date().isoformat()} 超出范围：须在 2000 年至 2999 年之间"
                             "（长期有效请留空失效日期）")
        return v

    @model_validator(mode="after")
    def _phrasings_not_questions(self) -> ArticleIn:
        self.phrasings = [p for p in self.phrasings if p not in self.questions]
        return self

    @model_validator(mode="after")
    def _window(self) -> ArticleIn:
        if self.valid_from and self.expires_at and self.expires_at <= self.valid_from:
            raise ValueError("失效时间必须晚于生效时间")
        return self


class ArticleCreate(ArticleIn):
    key: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    owner_unit_id: int | None = None

    @field_validator("key")
    @classmethod
    def _key(cls, key: str | None) -> str | None:
        if key is not None and bad_key(key):
            raise ValueError(f"外部{BAD_KEY_MESSAGE}")
        return key


class CommentIn(BaseModel):
    comment: Comment | None = None


class ReportIn(BaseModel):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=2000)]
    contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None


class ReportAnswerIn(BaseModel):
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    accepted: bool


class VersionOut(BaseModel):
    id: int
    number: int
    title: str
    questions: list[str]
    phrasings: list[str]
    answer: str
    policy_basis: str | None
    policy_source: str | None
    category_code: str | None
    audience: str
    jurisdiction_path: str | None
    tags: list[str]
    valid_from: datetime | None
    expires_at: datetime | None
    attachments: list[dict[str, Any]]
    change_note: str | None
    author_name: str
    created_at: datetime
    submitted_at: datetime | None
    review_outcome: str | None
    review_comment: str | None
    reviewer_name: str | None
    reviewed_at: datetime | None


class ArticleOut(BaseModel):
    id: int
    key: str
    status: str
    status_label: str
    title: str
    owner_unit_id: int | None
    category_code: str | None
    audience: str
    jurisdiction_path: str | None
    tags: list[str]
    valid_from: datetime | None
    expires_at: datetime | None
    flags: list[str]
    published: bool
    version_count: int
    open_reports: int
    use_count: int
    created_at: datetime
    updated_at: datetime
    current: VersionOut | None = None
    published_version: VersionOut | None = None


class ArticleSummary(BaseModel):
    id: int
    key: str
    status: str
    status_label: str
    title: str
    owner_unit_id: int | None
    category_code: str | None
    audience: str
    flags: list[str]
    published: bool
    version_count: int
    open_reports: int
    updated_at: datetime
    expires_at: datetime | None


class EventOut(BaseModel):
    action: str
    action_label: str
    from_status: str | None
    to_status: str | None
    actor_name: str
    actor_role: str
    at: datetime
    note: str | None
    version_id: int | None


class ReportOut(BaseModel):
    id: int
    article_id: int
    version_id: int | None
    reporter_name: str
    # shown to the owning unit and reviewers only: list_reports gives no one else the report
    reporter_contact: str | None = Field(None, description="纠错人留下的联系方式，供所属单位回复")
    text: str
    status: str
    created_at: datetime
    answer: str | None
    accepted: bool | None
    answered_by_name: str | None
    answered_at: datetime | None


class DiffOut(BaseModel):
    article_id: int
    from_version: int
    to_version: int
    diff: str


class SimilarOut(BaseModel):
    """A published article whose question means the same as one of this article's (相似条目)."""

    article_id: int
    key: str
    title: str
    asked: str  # this article's question
    question: str  # the other article's closest question
    similarity: float | None  # cosine under the semantic model; null when semantic search is off
    audience: str


class HitOut(BaseModel):
    key: str
    title: str
    score: float
    question: str
    snippet: str
    category_code: str | None
    audience: str
    version: int
    source: str | None
    jurisdiction_name: str | None = Field(None, description="答复适用的属地；空为全市通用")


class AskIn(BaseModel):
    query: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    audience: Audience | None = None
    jurisdiction_code: Annotated[str, StringConstraints(max_length=32)] | None = None


class OptionOut(BaseModel):
    key: str
    title: str
    question: str
    jurisdiction_name: str | None = None  # the place its answer is for: what tells two choices apart


class AskOut(BaseModel):
    kind: str  # answer | clarify | abstain | emergency (told to call 110/119/120/122; no answer either);
    # in the chat also courtesy (a greeting or thanks answered kindly) and handover (转人工: hand over now)
    abstained: bool
    text: str
    key: str | None = None
    title: str | None = None
    source: str | None = None
    confidence: float
    jurisdiction_name: str | None = Field(None, description="答复适用的属地；空为全市通用")
    options: list[OptionOut] = Field(default_factory=list)


class ChatOptionIO(BaseModel):
    key: Annotated[str, StringConstraints(max_length=100)]
    question: Annotated[str, StringConstraints(max_length=300)]
    title: Annotated[str, StringConstraints(max_length=300)] = ""


class ChatTurnIO(BaseModel):
    """One earlier turn, as `POST /chat` returned it (`turn`): send the turns back in order."""

    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    query: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=601)]
    base: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    kind: Literal["answer", "clarify", "abstain", "emergency", "courtesy", "handover"]
    key: Annotated[str, StringConstraints(max_length=100)] | None = None
    title: Annotated[str, StringConstraints(max_length=300)] | None = None
    options: list[ChatOptionIO] = Field(default_factory=list, max_length=5)
    picked: bool = False
    context: Literal["none", "refine", "substitute"] = "none"
    subject: Annotated[str, StringConstraints(max_length=300)] = ""


class ChatIn(BaseModel):
    """A new question (or the key of an option of the last clarifying question) and the turns so far."""

    question: str | None = None  # checked by chat.check_question (Chinese messages, 300 characters)
    pick: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    history: list[ChatTurnIO] = Field(default_factory=list, max_length=20)
    audience: Audience | None = None
    jurisdiction_code: Annotated[str, StringConstraints(max_length=32)] | None = None

    @model_validator(mode="after")
    def _one(self) -> ChatIn:
        if (self.question is None) == (self.pick is None):
            raise ValueError("请填写问题（question）或选择追问的一个选项（pick），二者选一")
        return self


class HandoverOut(BaseModel):
    """A request pre-filled from the conversation (for POST /api/v1/public/requests)."""

    title: str
    content: str
    kind: str = "consultation"  # complaint when the caller said 投诉


class ChatOut(AskOut):
    question: str
    query: str  # what was searched: the question, or combined with the previous turn
    in_context: bool
    turn: ChatTurnIO
    handover: HandoverOut


class ImportOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    skipped: int
    published: bool
    errors: list[str]


class GapOut(BaseModel):
    """A question the assistant could not answer (知识盲区), counted per wording."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str = Field(description="提问原文（电话、证件号等长数字与邮箱已遮盖）")
    channel: str = Field(description="最近一次提问的渠道：public_chat / public_ask / staff")
    asked: int = Field(description="累计被问次数")
    status: str = Field(description="open 待补充 / filled 已补充条目 / dismissed 无需补充")
    first_at: datetime
    last_at: datetime
    article_key: str | None
    note: str | None
    closed_at: datetime | None
    closed_by_name: str | None


class GapCloseIn(BaseModel):
    """Close a gap: `filled` with the key of the article now answering it, or dismissed with a reason."""

    filled: bool
    article_key: Annotated[str | None, StringConstraints(max_length=100)] = None
    note: Annotated[str | None, StringConstraints(max_length=200)] = None


class PhrasingSuggestionOut(BaseModel):
    """A caller's wording (a ticket title) answered directly from an article that the search does
    not put first for it: worth adding to the article's phrasings."""

    model_config = ConfigDict(from_attributes=True)

    article_id: int
    key: str
    title: str
    wording: str
    tickets: int = Field(description="以此说法直接答复并引用该条目的工单数")
    last_at: datetime
    rank: int | None = Field(description="该条目目前对此说法的检索排名（前 5 之外为 null）")


class PhrasingIn(BaseModel):
    wording: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class ImportRowOut(BaseModel):
    """One row of a batch import: what it would do (`dry_run`) or what it did."""

    line: int  # the row's number in the file (the header is row 1)
    key: str
    question: str
    outcome: Literal["new", "changed", "unchanged", "error"]
    outcome_label: str
    reason: str | None = None  # why the row is in error (Chinese, with the row number)
    changes: list[str] = Field(default_factory=list)  # what a changed row changes
    article_id: int | None = None
    submitted: bool = False  # saved and submitted for review


class ImportBatchOut(BaseModel):
    """A batch import from a file: the counts and each row. Nothing is written with `dry_run`."""

    dry_run: bool
    filename: str
    sha256: str
    columns: dict[str, str]
    audience: str
    change_note: str | None
    new: int
    changed: int
    unchanged: int
    errors: int
    submitted: int
    rows: list[ImportRowOut]
    # More rows to write than one request holds: they are written by an import job (HTTP 202);
    # `GET /api/v1/kb/import/jobs/{job_id}` tells its progress and, once done, each row's outcome.
    job_id: int | None = None
    job_status: Literal["queued", "running", "done", "failed", "cancelled"] | None = None


class ImportJobOut(BaseModel):
    """A batch import run in the background (批量导入任务): its progress, and once done the counts and
    a page of its rows' outcomes (`rows_total` in all, by line)."""

    id: int
    filename: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    status_label: str
    total: int = Field(description="确认时需要写入（新增、修订）的行数")
    done: int = Field(description="其中已处理（写入或未能写入）的行数")
    counts: dict[str, int] | None = Field(default=None, description="完成（或取消）后各结果的行数，另有 submitted")
    error: str | None = None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rows_total: int
    rows: list[ImportRowOut]


class UnitMaintenanceOut(BaseModel):
    """One owning unit's figures in the maintenance report (知识维护报告); unit_id 0: no owning unit."""

    unit_id: int
    unit_name: str
    total: int
    approved: int
    in_review: int
    draft: int
    returned: int
    expired: int
    withdrawn: int
    in_force: int
    expiring: int
    past_expiry: int
    policy_changed: int
    updated: int
    versions_approved: int
    reports_opened: int
    reports_answered: int
    reports_accepted: int
    reports_open: int
    oldest_open_report_at: datetime | None
    answers: int
    uses_total: int


class MaintenanceOut(BaseModel):
    period_from: date
    period_to: date
    all_units: bool
    units: list[UnitMaintenanceOut]
    totals: UnitMaintenanceOut


class UnitAnswerRateOut(BaseModel):
    unit_id: int
    unit_name: str
    answered: int = Field(description="本期直接答复引用本单位知识条目的次数")
    dispatched: int = Field(description="本期派给本单位主办的咨询类工单数")
    consultations: int
    percent: float | None = Field(description="接诉即答率（%）")
    rank: int | None = Field(description="排名（1 为最低）；咨询不足时为空")
    bottom: bool = Field(description="排名靠后（最低的 3 个）")


class AnswerRatesOut(BaseModel):
    period_from: date
    period_to: date
    ranked: int = Field(description="参与排名的单位数")
    rule: str
    units: list[UnitAnswerRateOut]


class ArticleMaintenanceOut(BaseModel):
    id: int
    key: str
    title: str
    status: str
    status_label: str
    in_force: bool
    flags: list[str]
    last_published_at: datetime | None
    updated_at: datetime
    expires_at: datetime | None
    open_reports: int
    reports_opened: int
    answers: int
    uses_total: int
