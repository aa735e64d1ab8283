"""The public chat assistant (智能客服): several turns with one citizen, each answered by the
assistant (`service.ask`), a short follow-up read in the context of the turn before it, and a
transcript to hand over into a new request at any moment.

The conversation is a list of `Turn`s kept by the caller (the page signs it into a hidden field, an
API client sends it back): no table. Only the last `MAX_TURNS` are kept, so that state stays small.

The follow-up rule is `followup.py`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from hotline.errors import DomainError
from hotline.knowledge import followup, gaps, reading, service
from hotline.knowledge.assistant import bare, decide, emergency_text
from hotline.knowledge.followup import (
    Context,
    base_subject,
    contextual,
    cues_of,
    shares_matter,
    speaks_to,
    subject_of,
    subject_words,
)
from hotline.knowledge.search import Hit, SearchFilters
from hotline.knowledge.spoken import focus
from hotline.knowledge.text import normalize
from hotline.security import throttle
from hotline.tickets.enums import Kind

MAX_TURNS = 8  # kept in the conversation; older turns are dropped (and counted)
QUESTION_MAX = followup.QUESTION_MAX
FOLLOW_UP_POOL = 20  # hits of a follow-up's combined query, before keeping those that speak to it
# Not known, but near: up to three answers whose closest question reaches this cosine are offered
# to pick ("您是不是想问"). Chosen on the 12306 validation queries (bench/kb_eval.py --suggest-at):
# at 0.88, the level of the public page's 相关问题, 74% of the questions no article answers were
# offered something, loosely related; at 0.90, 19%, while a right answer is still offered for a
# third of the answerable questions the assistant declined (two thirds at 0.88).
SUGGEST_AT = 0.90
SUGGESTIONS = 3
TITLE_MAX = 200  # a ticket's title
CONTENT_MAX = 5000  # a ticket's content
# Each question or pick runs a search: plenty for a citizen, not for a script flooding the portal.
PER_CLIENT = throttle.Rule(limit=120, window=timedelta(hours=1))
# How a transcript handed over into a request begins: figures.py counts requests by it.
HANDOVER_MARK = "【智能客服转人工】"


@dataclass(frozen=True)
class Option:
    key: str
    question: str
    title: str = ""


@dataclass(frozen=True)
class Turn:
    """One question and what the assistant did with it (the answer text itself is read again from
    the article when shown: the state stays small and never shows a withdrawn answer)."""

    question: str  # as the citizen typed it (or the option picked)
    query: str  # what was searched
    base: str  # the question this chain of follow-ups started from
    kind: str  # answer | clarify | abstain | emergency | courtesy | handover (SOCIAL: not searched)
    key: str | None = None  # the article answered from
    title: str | None = None
    options: tuple[Option, ...] = ()
    picked: bool = False  # the citizen chose this article from a clarifying question
    context: str = Context.NONE
    subject: str = ""  # the subject a substitution put in place, kept by the refinements after it

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "query": self.query, "base": self.base, "kind": self.kind,
                "key": self.key, "title": self.title, "picked": self.picked, "context": str(self.context),
                "subject": self.subject,
                "options": [{"key": o.key, "question": o.question, "title": o.title} for o in self.options]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Turn:
        return cls(question=str(d["question"]), query=str(d["query"]), base=str(d["base"]), kind=str(d["kind"]),
                   key=d.get("key"), title=d.get("title"), picked=bool(d.get("picked")),
                   context=str(d.get("context") or Context.NONE), subject=str(d.get("subject") or ""),
                   options=tuple(Option(key=str(o["key"]), question=str(o["question"]), title=str(o.get("title") or ""))
                                 for o in d.get("options") or []))


@dataclass
class Conversation:
    turns: list[Turn] = field(default_factory=list)
    dropped: int = 0  # turns no longer kept

    @property
    def last(self) -> Turn | None:
        """The last turn that asked something (a greeting, a call for a person or an emergency told to
        call now is no context: 那要带什么材料 after 我家着火了 still refers to the question before)."""
        return next((t for t in reversed(self.turns) if t.kind not in (*SOCIAL, "emergency")), None)

    def add(self, turn: Turn) -> None:
        self.turns.append(turn)
        while len(self.turns) > MAX_TURNS:
            self.turns.pop(0)
            self.dropped += 1


# ---- a greeting, thanks, a call for a person: said, not searched --------------------------------

SOCIAL = ("courtesy", "handover")
HANDOVER_TEXT = "好的，为您转人工：请在诉求表单中补充您的情况后提交，对话记录已自动填入，我们会尽快答复您。"
_PERSON = re.compile(r"(请|麻烦|帮我|我要|我想|给我)?(能不能|可不可以|可以|能否|能)?(帮我|给我)?(转|找|接|转接)?"
                     r"(人工|真人|话务员)(客服|服务|坐席|座席)?(吧|啊|呢|吗|么|在吗|在不在)?|(我要|我想)?投诉")
# 我要投诉物业…: a complaint told with what it is about goes to a person with its words
_COMPLAINT = re.compile(r"(我要|我想|我来)投诉")
_HELLO = "您好！请直接说出您想咨询的问题，如：老年人乘公交免费吗？"
_COURTESY = {
    "你好": _HELLO, "您好": _HELLO,
    "在吗": "在的，请直接说出您想咨询的问题。", "有人吗": "在的，请直接说出您想咨询的问题。",
    "hello": "您好！请直接说出您想咨询的问题。", "hi": "您好！请直接说出您想咨询的问题。",
    "谢谢": "不客气！还有其他问题可以继续问我。", "谢谢你": "不客气！还有其他问题可以继续问我。",
    "谢谢您": "不客气！还有其他问题可以继续问我。", "多谢": "不客气！还有其他问题可以继续问我。",
    "好的": "好的。还有其他问题可以继续问我。", "知道了": "好的。还有其他问题可以继续问我。",
    **dict.fromkeys(("好的谢谢", "好的谢谢你", "好谢谢", "谢谢啦", "谢了", "感谢", "非常感谢", "太感谢了"),
                    "不客气！还有其他问题可以继续问我。"),
    **dict.fromkeys(("ok", "okay", "嗯", "嗯嗯", "好", "行", "收到", "明白", "明白了", "懂了"),
                    "好的。还有其他问题可以继续问我。"),
    "再见": "再见，祝您生活愉快！", "拜拜": "再见，祝您生活愉快！",
}


def wants_a_person(question: str) -> bool:
    """转人工, 人工客服, 能不能转人工, 我要投诉(物业…) …: the citizen asks for a person, not an answer."""
    text = bare(question)
    return _PERSON.fullmatch(text) is not None or _COMPLAINT.match(text) is not None


def what_is_handed_over(question: str) -> str:
    """The words a call for a person carries beyond the call itself (我要投诉物业不给开门禁卡 keeps them
    for the request; 转人工 alone carries none)."""
    return "" if _PERSON.fullmatch(bare(question)) else " ".join(question.split())


def handover_kind(conversation: Conversation, pending: str = "") -> str:
    """The request kind to pre-select: a complaint when the caller says 投诉, else a consultation."""
    said = [pending, *(t.question for t in conversation.turns)]
    # 投诉 said (投诉物业乱收费, 我要投诉); 投诉电话是多少 or 怎么投诉 asks a question about complaints
    complains = any("投诉" in s and not _ASKS_ABOUT_COMPLAINING.search(s) for s in said)
    return str(Kind.COMPLAINT) if complains else str(Kind.CONSULTATION)


_ASKS_ABOUT_COMPLAINING = re.compile(r"投诉(电话|热线|渠道|方式|途径|流程|号码)|(怎么|如何|去哪|在哪|哪里|到哪)投诉")


_SECOND = re.compile(r"[？?]+|[，,。；;\s]*(?:还有(?!没|别|什么|哪|吗)|另外|顺便问一?下|再问一?下|还想问一?下?|以及)"
                     r"[，,：:]?")
_ASKS = re.compile(r"吗|呢|怎么|如何|多少|哪|什么|几|能不能|可不可以|可以|是否|要不要|有没有")
_PREAMBLE = re.compile(r"^(你好|您好|请问|我想问一?下|想问一?下|我想咨询一?下|咨询一?下|问一?下)+")


def questions_in(message: str) -> list[str]:
    """The questions of a message that asks several (身份证丢了怎么补办，还有社保卡也丢了怎么挂失): each part
    of at least five letters past a greeting or 我想问一下; one part, or none long enough, is one question."""
    parts = [p.strip(" ，,。；;：:") for p in _SECOND.split(message)]
    parts = [p for p in parts if len(bare(_PREAMBLE.sub("", bare(p)))) >= 5 and _ASKS.search(p)]
    return parts if len(parts) > 1 else []


def chosen_option(conversation: Conversation, question: str) -> str | None:
    """The article of the last clarifying question's option the caller named by its number (2, 第二个):
    typed instead of pressing the button, it was searched as a question."""
    last = conversation.turns[-1] if conversation.turns else None
    if last is None or last.kind != "clarify" or not last.options:
        return None
    m = _NUMBERED.fullmatch(bare(question))
    if m is None:
        return None
    n = int(m[2]) if m[2].isdigit() else _CN_DIGITS.index(m[2]) + 1  # 0: out of range like 5
    if not 1 <= n <= len(last.options):  # "5" of three options: said so, not searched as a question
        raise DomainError("kb_chat_pick_unknown", f"请在上面的 {len(last.options)} 个选项中选择，或直接说出您的问题",
                          status_code=422)
    return last.options[n - 1].key


_CN_DIGITS = "一二三四五六七八九"
_NUMBERED = re.compile(r"(选|选择|第)?([0-9一二三四五六七八九])(个|项|条|种|号)?(吧|啊)?")


def courtesy_text(question: str) -> str | None:
    """The reply to a greeting or thanks alone (你好, 谢谢): said kindly, not searched, not a gap."""
    return _COURTESY.get(bare(question))


# ---- one exchange ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Said:
    """What the assistant says in one turn."""

    turn: Turn
    text: str
    confidence: float
    source: str | None = None  # the article's policy source (文号/link)
    article_id: int | None = None


def count_turn(db: Session, *, client: str | None, now: datetime) -> None:
    """Refuse (429 quota_reached) past PER_CLIENT turns from one address, else count this one (its
    own commit: a turn counts whatever the answer)."""
    if not client:
        return
    throttle.take(db, checks=[(f"kb-chat-client:{client}", PER_CLIENT,
                               "提问过于频繁，请 {minutes} 分钟后再问；如有急事请拨打 12345 热线")], now=now)
    db.commit()


def check_question(question: str) -> str:
    question = " ".join((question or "").split())
    if not question:
        raise DomainError("kb_chat_empty", "请输入您的问题", status_code=422)
    if len(question) > QUESTION_MAX:
        raise DomainError("kb_chat_too_long", f"问题太长了（{len(question)} 字），请控制在 {QUESTION_MAX} 字以内，"
                                              "详细情况可以转人工提交诉求", status_code=422)
    return question


def _answer_text(answer: str, key: str, title: str, source: str | None) -> str:
    basis = f"，依据：{source}" if source else ""
    return f"{answer}\n（来源：知识库条目 {key}《{title}》{basis}）"


def ask(db: Session, *, conversation: Conversation, question: str, filters: SearchFilters) -> Said:
    """Answer a typed question, in the context of the previous turn when it is a follow-up; a
    question describing an emergency is told to call first (kind "emergency")."""
    question = check_question(question)
    urgent = emergency_text(question)
    if urgent is not None:
        turn = Turn(question=question, query=question, base=question, kind="emergency")
        conversation.add(turn)
        return Said(turn=turn, text=urgent, confidence=1.0)
    social = HANDOVER_TEXT if wants_a_person(question) else courtesy_text(question)
    if social is not None:
        turn = Turn(question=question, query=question, base=question,
                    kind="handover" if social == HANDOVER_TEXT else "courtesy")
        conversation.add(turn)
        return Said(turn=turn, text=social, confidence=1.0)
    previous = conversation.last
    # a long, spoken message is read for the question it asks (greetings, context and thanks set aside)
    asked = focus(question)
    query, base, mode = contextual(asked, previous)
    subject = subject_of(asked, mode, previous)
    if mode == Context.NONE:
        kept = service.search_published(db, query=query, filters=filters, limit=5)  # as service.ask
    else:
        cues = cues_of(question) if mode == Context.REFINE else ()
        hits = service.search_published(db, query=query, filters=filters, limit=FOLLOW_UP_POOL)
        kept = [h for h in hits if speaks_to(f"{h.question} {h.title} {h.answer}", subject=subject, cues=cues)]
        if mode == Context.REFINE and not subject and previous is not None:
            # A refinement asks more of the same matter: an article about another one that happens to
            # hold the aspect's cue is no answer (QA: 身份证补办 → 网上能办吗 answered from 社保卡's 手机APP).
            # (one pair of the base's subject in the article's question or title will do: 老年人乘公交免费吗
            # → 需要带什么材料 is rightly answered from 老年人优待卡's article)
            kept = [h for h in kept if shares_matter(f"{h.question} {h.title}", base_subject(previous))]
    reply = decide(query, kept[:5])
    hit = reply.hit if reply.kind != "abstain" else None
    options = tuple(Option(key=o.key, question=o.question, title=o.title) for o in reply.options)
    if reply.kind == "abstain":  # "您是不是想问": the nearest answers, to pick or to ignore
        options = tuple(Option(key=h.key, question=h.question, title=h.title)
                        for h in suggestions(kept[:5], query=query))
    turn = Turn(question=question, query=query, base=base, kind=reply.kind, key=hit.key if hit else None,
                title=hit.title if hit else None, context=mode, subject=subject, options=options)
    text = reply.text
    if reply.kind == "answer" and len(parts := questions_in(asked)) > 1:
        # one reply answers one matter: the caller is told, rather than the rest dropped unsaid
        asked = "、".join(f"“{q}”" for q in parts)
        text += f"\n（您的消息里有{asked}几个问题，上面的答复只针对其中一个，其余请分开再问一次。）"
    said = Said(turn=turn, text=text, confidence=reply.confidence, source=hit.policy_source if hit else None,
                article_id=hit.article_id if hit and reply.kind == "answer" else None)
    conversation.add(turn)
    return said


def suggestions(hits: Sequence[Hit], at: float = SUGGEST_AT, *, query: str = "") -> list[Hit]:
    """The answers offered when the assistant does not know: the hits near enough in meaning that
    also share something of the matter with the query — a word every field has (补贴, 办理, 申请) lifts
    the meaning's score alone (QA: 加装电梯有补贴吗 was offered 种地补贴, 80岁老人补贴, 稳岗补贴)."""
    words = subject_words(normalize(query)) if query else ""
    matter = _OFFER_GENERIC.sub("", words)

    def generic_only(h: Hit) -> bool:  # it shares words with the query, but only words of every field
        text = normalize(f"{h.question} {h.title}")
        return bool(words) and shares_matter(text, words) and not shares_matter(text, matter)

    # (one sharing no words at all is kept: 长者搭乘巴士要付钱吗 is near 老年人乘坐公交车免费吗 in meaning only)
    return [h for h in hits if h.similarity is not None and h.similarity >= at and not generic_only(h)][:SUGGESTIONS]


# words of every field: sharing them says nothing of the matter
_OFFER_GENERIC = re.compile("补贴|申请|办理|政府|领取|费用|手续|材料|条件|流程|政策|需要|可以")


def pick(db: Session, *, conversation: Conversation, key: str, now: datetime) -> Said:
    """The citizen chose one of the last reply's options (a clarifying question's, or the answers
    offered when it was not known): answer from that article."""
    last = conversation.last
    option = next((o for o in last.options if o.key == key), None) if last and last.kind != "answer" else None
    if option is None:
        raise DomainError("kb_chat_pick_unknown", "这个选项已失效，请重新输入您的问题", status_code=422)
    try:
        article, version = reading.public_article(db, key=key, now=now)
    except DomainError:
        raise DomainError("kb_chat_pick_gone", "该答复已下线，请换个说法重新提问，或转人工提交诉求",
                          status_code=422) from None
    turn = Turn(question=option.question, query=option.question, base=option.question, kind="answer",
                key=article.key, title=version.title, picked=True)
    conversation.add(turn)
    return Said(turn=turn, text=_answer_text(version.answer, article.key, version.title, version.policy_source),
                confidence=1.0, source=version.policy_source, article_id=article.id)


def record(db: Session, said: Said, *, now: datetime) -> None:
    """An answer given counts as a use of its article (the public page's most used answers); a
    question the assistant could not answer goes to the gap list (知识盲区) as the citizen typed it —
    a follow-up read in context ("那儿童呢？") as what was searched, which says what was asked."""
    if said.article_id is not None:
        service.record_use(db, article_id=said.article_id)
    elif said.turn.kind == "abstain":
        t = said.turn
        asked = t.query if t.context != Context.NONE and t.query else t.question
        gaps.record(db, question=asked, channel=gaps.Channel.PUBLIC_CHAT, now=now)


# ---- handing over -----------------------------------------------------------------------------------


_SAID_SHORT = {"clarify": "请您确认想问的是哪一项", "abstain": "没有找到能可靠回答的内容",
               "emergency": "提示立即拨打紧急电话", "courtesy": "问候", "handover": "转人工"}


def transcript(conversation: Conversation, pending: str = "") -> str:
    """The conversation as a request's content: every question in full, each reply in one line
    (the article it answered from), and a question typed but not yet asked; empty when nothing
    was said."""
    if not conversation.turns and not pending:
        return ""
    lines = [HANDOVER_MARK + "以下是我与智能客服的对话，问题尚未解决："]
    if conversation.dropped:
        lines.append(f"（此前 {conversation.dropped} 轮对话从略）")
    for t in conversation.turns:
        lines.append(f"我：{t.question}" + ("（从选项中选择）" if t.picked else ""))
        if t.kind == "answer":
            lines.append(f"智能客服：答复《{t.title}》（知识库条目 {t.key}）")
        else:
            lines.append(f"智能客服：{_SAID_SHORT.get(t.kind, t.kind)}")
    if pending:
        lines.append(f"我：{pending}")
    text = "\n".join(lines)
    return text if len(text) <= CONTENT_MAX else text[: CONTENT_MAX - 1] + "…"


def handover_title(conversation: Conversation, pending: str = "") -> str:
    """The request's title: the last question asked (or typed); a follow-up ("那儿童呢？") with the
    question it follows, so that the title reads on its own."""
    newest = conversation.turns[-1] if conversation.turns else None
    if not pending and newest and newest.kind == "handover":  # 我要投诉物业…: its own words
        pending = what_is_handed_over(newest.question)
    turn = conversation.last
    last = pending or (turn.question if turn else "")
    if not pending and turn and turn.context != Context.NONE and turn.base and turn.base != turn.question:
        last = f"{turn.base}（追问：{turn.question}）"
    last = " ".join(last.split())
    return last if len(last) <= TITLE_MAX else last[: TITLE_MAX - 1] + "…"

