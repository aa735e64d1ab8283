"""The chat assistant's pure parts: the follow-up rule (followup.py), the conversation's bound, the transcript
handed over into a request."""

from __future__ import annotations

import pytest

from hotline.errors import DomainError
from hotline.knowledge import chat, followup
from hotline.knowledge.chat import Conversation, Turn
from hotline.knowledge.followup import Context
from hotline.knowledge.search import Hit

FIRST = "老年人乘坐公交车免费吗"


def _turn(question: str = FIRST, *, query: str | None = None, base: str | None = None, kind: str = "answer",
          key: str | None = "BUS-OLD", title: str | None = "老年人乘坐公交车免费吗？") -> Turn:
    return Turn(question=question, query=query or question, base=base or question, kind=kind, key=key, title=title)


@pytest.mark.parametrize(("question", "expected"), [
    # an aspect of the matter already named: refine the previous query
    ("需要带什么材料", Context.REFINE),
    ("需要带什么材料？", Context.REFINE),
    ("多少钱", Context.REFINE),
    ("要多久？", Context.REFINE),
    ("在哪里办理", Context.REFINE),
    ("能网上办吗", Context.REFINE),
    ("要收多少手续费", Context.REFINE),  # 手续 out leaves 收费: removed until nothing changes
    ("那要多久", Context.REFINE),  # led by 那, but only an aspect: still the same matter
    # pointing back
    ("这个怎么办理", Context.REFINE),
    ("它的有效期是多久", Context.REFINE),
    # the same question about someone or something else
    ("那儿童呢？", Context.SUBSTITUTE),
    ("儿童呢", Context.SUBSTITUTE),
    ("如果是外地老人", Context.SUBSTITUTE),
    ("学生", Context.SUBSTITUTE),
    ("还有别的办法吗", Context.SUBSTITUTE),
    # a new subject stands alone
    ("住房公积金怎么提取", Context.NONE),
    ("身份证丢了怎么办", Context.NONE),
    ("用电怎么交费", Context.NONE),
    ("异地就医怎么备案？", Context.NONE),
    ("？？", Context.NONE),
])
def test_follow_up_rule(question: str, expected: Context) -> None:
    assert followup.classify(question, _turn()) == expected


def test_without_a_previous_turn_every_question_stands_alone() -> None:
    for question in ("那儿童呢？", "需要带什么材料", "多少钱"):
        assert followup.contextual(question, None) == (question, question, Context.NONE)


def test_refine_builds_on_the_previous_query_and_substitute_on_its_base() -> None:
    children = _turn("那儿童呢？", query=f"{FIRST} 那儿童呢？", base=FIRST, key="BUS-CHILD")
    # an aspect after a substitution keeps the substituted subject
    assert followup.contextual("需要带什么材料", children) == (f"{FIRST} 那儿童呢？ 需要带什么材料", FIRST,
                                                               Context.REFINE)
    # a second substitution does not carry the first one along
    assert followup.contextual("那学生呢", children) == (f"{FIRST} 那学生呢", FIRST, Context.SUBSTITUTE)
    assert followup.contextual("住房公积金怎么提取", children) == ("住房公积金怎么提取", "住房公积金怎么提取",
                                                            Context.NONE)


def test_a_substitutions_subject_is_what_it_says_that_the_base_did_not() -> None:
    demagnetised = _turn("身份证消磁了怎么办")
    assert followup.subject_of("学生证消磁呢", Context.SUBSTITUTE, demagnetised) == "学生"
    assert followup.speaks_to("学生证消磁了怎么办？", subject="学生", cues=())
    # three of 学生证消磁's five characters: it counted as speaking to it before
    assert not followup.speaks_to("身份证消磁了怎么办？请到车站售票窗口办理", subject="学生", cues=())
    assert followup.subject_of("那儿童呢", Context.SUBSTITUTE, _turn()) == "儿童"
    # nothing new, or one character new: the whole subject stays (证 alone would match nearly anything)
    assert followup.subject_of("身份证消磁呢", Context.SUBSTITUTE, demagnetised) == "身份证消磁"
    assert followup.subject_of("那学生证呢", Context.SUBSTITUTE, _turn("学生票怎么买")) == "学生证"
    assert not followup.speaks_to("身份证丢失了怎么办？请到派出所补办", subject="学生证", cues=())
    # its characters side by side: an answer that says 户籍 and 窗口 does not speak of 户口本 (QA)
    assert not followup.speaks_to("身份证补办：持户籍证明到派出所窗口办理", subject="户口本", cues=())
    assert followup.speaks_to("户口本丢了，到户籍所在地派出所补领", subject="户口本", cues=())
    # a refinement keeps the subject in force
    children = Turn(question="那儿童呢", query=f"{FIRST} 那儿童呢", base=FIRST, kind="answer", key="K", title="T",
                    subject="儿童")
    assert followup.subject_of("需要带什么材料", Context.REFINE, children) == "儿童"


def test_a_refinement_past_the_query_bound_restarts_from_the_base() -> None:
    long_query = FIRST + " " + "需要带什么材料" * 85
    assert len(long_query) > followup.QUERY_MAX
    query, base, mode = followup.contextual("多少钱", _turn(query=long_query))
    assert (query, base, mode) == (f"{FIRST} 多少钱", FIRST, Context.REFINE)


def test_questions_are_checked_with_chinese_messages() -> None:
    assert chat.check_question("  老年人  乘车 ") == "老年人 乘车"
    with pytest.raises(DomainError, match="请输入您的问题"):
        chat.check_question("   ")
    with pytest.raises(DomainError, match="300 字以内"):
        chat.check_question("问" * 301)
    assert chat.check_question("问" * 300) == "问" * 300


def test_the_conversation_keeps_the_last_turns_and_counts_the_rest() -> None:
    conv = Conversation()
    for i in range(chat.MAX_TURNS + 3):
        conv.add(_turn(f"问题{i}"))
    assert len(conv.turns) == chat.MAX_TURNS and conv.dropped == 3
    assert conv.turns[0].question == "问题3"
    assert conv.last is not None and conv.last.question == f"问题{chat.MAX_TURNS + 2}"


def test_turns_survive_a_round_trip_through_plain_data() -> None:
    turn = Turn(question="社保卡丢了", query="社保卡丢了", base="社保卡丢了", kind="clarify", key="SB-1",
                title="社保卡",
                options=(chat.Option(key="SB-1", question="社保卡丢了怎么补办？", title="补办"),
                         chat.Option(key="SB-2", question="社保卡丢了怎么挂失？", title="挂失")),
                context=Context.NONE)
    assert Turn.from_dict(turn.to_dict()) == turn


def test_transcript_and_title_for_the_handover() -> None:
    conv = Conversation()
    conv.add(_turn())
    conv.add(Turn(question="那儿童呢？", query=f"{FIRST} 那儿童呢？", base=FIRST, kind="abstain",
                  context=Context.SUBSTITUTE))
    text = chat.transcript(conv, pending="我家孩子一米二，要买票吗")
    assert text.startswith(chat.HANDOVER_MARK)
    assert text.splitlines()[1:] == [
        f"我：{FIRST}",
        "智能客服：答复《老年人乘坐公交车免费吗？》（知识库条目 BUS-OLD）",
        "我：那儿童呢？",
        "智能客服：没有找到能可靠回答的内容",
        "我：我家孩子一米二，要买票吗",
    ]
    assert chat.handover_title(conv) == f"{FIRST}（追问：那儿童呢？）"  # reads on its own
    assert chat.handover_title(conv, "我家孩子一米二，要买票吗") == "我家孩子一米二，要买票吗"
    assert chat.handover_title(Conversation()) == "" and chat.transcript(Conversation()) == ""


def test_transcript_stays_within_a_requests_bounds() -> None:
    conv = Conversation()
    for i in range(chat.MAX_TURNS + 2):
        conv.add(_turn(f"{i}" + "很长的问题" * 59))
    text = chat.transcript(conv, pending="问" * 300)
    assert len(text) <= chat.CONTENT_MAX and "（此前 2 轮对话从略）" in text
    assert len(chat.handover_title(conv, "题" * 300)) == chat.TITLE_MAX


def test_answers_offered_when_not_known_are_near_in_meaning_and_at_most_three() -> None:
    def hit(key: str, similarity: float | None) -> Hit:
        return Hit(article_id=1, key=key, title=key, score=1.0, question=key, snippet="", answer="",
                   category_code=None, audience="public", version_number=1, similarity=similarity)

    hits = [hit("A", 0.95), hit("B", chat.SUGGEST_AT), hit("C", chat.SUGGEST_AT - 0.01), hit("D", None),
            hit("E", 0.93), hit("F", 0.92)]
    assert [h.key for h in chat.suggestions(hits)] == ["A", "B", "E"]
    assert chat.suggestions(hits[2:4]) == []  # loosely related, or no meaning known: nothing offered


def test_an_offer_that_shares_only_a_word_of_every_field_is_not_made() -> None:
    """QA: 老小区加装电梯政府有补贴吗 was offered 种地补贴 and 稳岗补贴 under 您是不是想问."""
    from hotline.knowledge.chat import suggestions
    from hotline.knowledge.search import Hit

    def hit(key: str, question: str) -> Hit:
        return Hit(article_id=1, key=key, title=question, score=1.0, question=question, snippet="", answer="",
                   category_code=None, audience="public", version_number=1, similarity=0.93)

    offered = suggestions([hit("FARM", "种地补贴怎么领"), hit("LIFT", "老旧小区加装电梯有补贴吗"),
                           hit("BUS", "老年人乘坐公交车免费吗")], query="老小区加装电梯政府有补贴吗")
    assert [h.key for h in offered] == ["LIFT", "BUS"]  # BUS shares no word at all: near in meaning only
