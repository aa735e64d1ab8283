"""The public chat assistant page (智能客服, no login): a conversation over plain form posts, a
small script only smooths it (static/kb_chat.js).

The conversation travels in a hidden field signed with the secret key (itsdangerous, compressed,
at most chat.MAX_TURNS turns): no table, nothing in the size-limited session cookie, and the
handed-over transcript cannot claim replies the assistant never gave. Each reply shows the answer
of the article's version in force, read again at every render (a withdrawn answer shows as gone).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from hotline.deps import DB, RT, client_of
from hotline.errors import DomainError
from hotline.knowledge import chat, reading, service
from hotline.knowledge.assistant import NOT_KNOWN, lead
from hotline.knowledge.enums import PUBLIC_AUDIENCES
from hotline.runtime import Runtime
from hotline.web.forms import text
from hotline.web.public import prefilled_form
from hotline.web.render import flash, render
from hotline.web.session import CheckedForm

router = APIRouter()
STATE_SALT = "hotline.kb-chat"
STATE_MAX_AGE = 12 * 3600  # as the session cookie
HANDOVER_NOTE = "已根据您与智能客服的对话填好标题和内容（可以修改），请核对诉求类型、补充姓名和手机号码后提交。"
STATE_BROKEN = "对话记录无效或已超过 12 小时，已为您重新开始，请重新提问"


class BadState(DomainError):
    status_code = 400

    def __init__(self) -> None:
        super().__init__("kb_chat_state", STATE_BROKEN)


def _signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt=STATE_SALT)


def dump_state(request: Request, conversation: chat.Conversation) -> str:
    return _signer(request).dumps({"t": [t.to_dict() for t in conversation.turns], "d": conversation.dropped})


def load_state(request: Request, token: str) -> chat.Conversation:
    if not token:
        return chat.Conversation()
    try:
        data = _signer(request).loads(token, max_age=STATE_MAX_AGE)
        turns = [chat.Turn.from_dict(t) for t in data["t"]][-chat.MAX_TURNS:]
        return chat.Conversation(turns=turns, dropped=int(data.get("d", 0)))
    except (BadSignature, KeyError, TypeError, ValueError):
        raise BadState() from None


@dataclass(frozen=True)
class Shown:
    """A turn as drawn: for an answer, the article's version in force (or gone)."""

    turn: chat.Turn
    answer: str = ""
    basis: str | None = None
    source: str | None = None
    place: str | None = None  # the place a local answer is for
    gone: bool = False
    leads: dict[str, str] = field(default_factory=dict)  # clarify: each option's answer, begun
    asked: list[str] = field(default_factory=list)  # an answer to a message that asked several things


def _shown(db: Session, rt: Runtime, turn: chat.Turn) -> Shown:
    now = rt.clock.now()
    if turn.kind == "clarify":
        # The competing articles often ask the same question: how their answers begin tells them apart.
        leads = {}
        for o in turn.options:
            try:
                version = reading.public_article(db, key=o.key, now=now)[1]
            except DomainError:
                leads[o.key] = "（已下线）"
                continue
            # two places' answers to one question: the place is what tells them apart
            place = reading.place_names(db, [version.jurisdiction_path]).get(version.jurisdiction_path or "")
            leads[o.key] = (f"【适用：{place}】" if place else "") + lead(version.answer, 30)
        return Shown(turn=turn, leads=leads)
    if turn.kind == "emergency":
        return Shown(turn=turn, answer=chat.emergency_text(turn.question))
    if turn.kind in chat.SOCIAL:
        return Shown(turn=turn, answer=chat.courtesy_text(turn.question) or chat.HANDOVER_TEXT)
    if turn.kind != "answer" or not turn.key:
        return Shown(turn=turn)
    try:
        _, version = reading.public_article(db, key=turn.key, now=now)
    except DomainError:
        return Shown(turn=turn, gone=True)
    place = reading.place_names(db, [version.jurisdiction_path]).get(version.jurisdiction_path or "")
    return Shown(turn=turn, answer=version.answer, basis=version.policy_basis, source=version.policy_source,
                 place=place, asked=[] if turn.picked else chat.questions_in(turn.question))


def _page(request: Request, db: Session, rt: Runtime, conversation: chat.Conversation, *, q: str = "",
          errors: list[str] | None = None, status_code: int = 200) -> HTMLResponse:
    shown = [_shown(db, rt, t) for t in conversation.turns]
    examples = [] if shown else reading.public_list(db, now=rt.clock.now(), page_size=4)[0]
    return render(request, "kb_chat.html", public=True, status_code=status_code, shown=shown, examples=examples,
                  state=dump_state(request, conversation) if conversation.turns else "", q=q, errors=errors or [],
                  dropped=conversation.dropped, question_max=chat.QUESTION_MAX, not_known=NOT_KNOWN)


@router.get("/public/chat")
def chat_page(request: Request, db: DB, rt: RT) -> HTMLResponse:
    return _page(request, db, rt, chat.Conversation())


@router.post("/public/chat")
def chat_post(request: Request, form: CheckedForm, db: DB, rt: RT) -> HTMLResponse:
    """One step: ask (q), pick an option of the last clarifying question (pick), hand over into a
    request (intent=handover) or start again (intent=reset)."""
    q = text(form, "q")
    intent = text(form, "intent") or "ask"
    if intent == "reset":
        return _page(request, db, rt, chat.Conversation())
    try:
        conversation = load_state(request, text(form, "state"))
    except BadState as exc:
        return _page(request, db, rt, chat.Conversation(), q=q[: chat.QUESTION_MAX], errors=[exc.message],
                     status_code=exc.status_code)
    if intent == "ask" and not text(form, "pick") and chat.wants_a_person(q):
        # 转人工 typed is the button pressed; 我要投诉物业… keeps its words for the request
        intent, q = "handover", chat.what_is_handed_over(q)
    if intent == "handover":
        pending = " ".join(q.split())[: 4 * chat.QUESTION_MAX]  # a long account goes into the request whole
        if conversation.turns or pending:
            flash(request, HANDOVER_NOTE)
        return prefilled_form(request, db, title=chat.handover_title(conversation, pending),
                              content=chat.transcript(conversation, pending),
                              kind=chat.handover_kind(conversation, pending))
    now = rt.clock.now()
    try:
        picked = text(form, "pick") or (chat.chosen_option(conversation, q) if intent == "ask" else None) or ""
        chat.count_turn(db, client=client_of(request), now=now)
        if picked:
            said = chat.pick(db, conversation=conversation, key=picked, now=now)
        else:
            filters = service.search_filters(db, rt, audiences=frozenset(str(a) for a in PUBLIC_AUDIENCES))
            said = chat.ask(db, conversation=conversation, question=q, filters=filters)
        chat.record(db, said, now=now)
    except DomainError as exc:
        return _page(request, db, rt, conversation, q=q if len(q) <= 4 * chat.QUESTION_MAX else "",
                     errors=[exc.message], status_code=exc.status_code)
    return _page(request, db, rt, conversation)
