"""/wechat/callback as WeChat calls it: the verification, the signature on every message, each
MsgType answered, a retry answered with the reply already given, the knowledge base's answers and
its quota, 人工 into the operators' waiting list."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline.knowledge import chat
from hotline.security import throttle
from hotline.wechat import service
from hotline.wechat.models import WechatMessage
from tests.conftest import START
from tests.wechat.conftest import ALICE, BOB, TOKEN, content_of, sign, xml


def _rows(db) -> list[WechatMessage]:  # type: ignore[no-untyped-def]
    rows = list(db.scalars(select(WechatMessage).order_by(WechatMessage.id)))
    db.expunge_all()
    db.rollback()
    return rows


def test_verification_echoes_echostr_only_when_signed(wx, client) -> None:  # type: ignore[no-untyped-def]
    r = wx.get("/wechat/callback", params={**sign(), "echostr": "8417364582"})
    assert r.status_code == 200 and r.text == "8417364582"
    assert wx.get("/wechat/callback", params={**sign(token="wrong"), "echostr": "1"}).status_code == 403
    assert wx.get("/wechat/callback", params={"echostr": "1"}).status_code == 403
    # Verification is not bound to the clock (WeChat's console may be clicked at any time) …
    old = sign(timestamp=str(int((START - timedelta(days=1)).timestamp())))
    assert wx.get("/wechat/callback", params={**old, "echostr": "2"}).text == "2"
    # … and without a Token the channel is off: no answer at all.
    assert client.get("/wechat/callback", params={**sign(), "echostr": "1"}).status_code == 404
    assert client.post("/wechat/callback", params=sign(), content=xml(Content="你好")).status_code == 404


def test_a_message_is_refused_unless_signed_recently_in_plaintext_and_small(wx, send, db) -> None:  # type: ignore[no-untyped-def]
    body = xml(Content="你好")
    assert wx.post("/wechat/callback", params=sign(token="wrong"), content=body).status_code == 403
    assert wx.post("/wechat/callback", content=body).status_code == 403
    stale = sign(timestamp=str(int((START - timedelta(minutes=10)).timestamp())))
    assert wx.post("/wechat/callback", params=stale, content=body).status_code == 403
    aes = send(body, encrypt_type="aes", msg_signature="x")
    assert aes.status_code == 400 and "安全模式" in aes.text
    assert send(b"<xml>" + b"x" * 20000 + b"</xml>").status_code == 413
    assert send(b'<!DOCTYPE xml [<!ENTITY a "a">]><xml><Content>&a;</Content></xml>').status_code == 400
    assert send(b"not xml").status_code == 400
    assert _rows(db) == []
    assert send(body).status_code == 200 and len(_rows(db)) == 1
    assert TOKEN not in send(body).text


def test_a_retry_is_stored_once_and_answered_with_the_same_reply(send, db, publish) -> None:  # type: ignore[no-untyped-def]
    publish(key="GJJ-1")
    db.rollback()
    body = xml(Content="住房公积金怎么提取？", msg_id="6200000000000000001")
    first = send(body)
    assert first.status_code == 200 and first.headers["content-type"].startswith("application/xml")
    reply = content_of(first.text)
    assert "提取住房公积金" in reply
    # WeChat did not get it in time and retries (three times): the same reply, nothing stored again,
    # nothing counted again against the knowledge base's quota or its usage figures.
    for _ in range(3):
        assert content_of(send(body).text) == reply
    [row] = _rows(db)
    assert (row.msg_key, row.openid, row.msg_type, row.content, row.reply, row.status) == (
        "6200000000000000001", ALICE, "text", "住房公积金怎么提取？", reply, "auto")
    assert row.sent_at == START - timedelta(seconds=5) and row.turn is not None and row.turn["key"] == "GJJ-1"
    # The same MsgId from another account is another message (ids are the account's own).
    other = body.replace(b"gh_0123456789ab", b"gh_another00000")
    assert send(other).status_code == 200 and len(_rows(db)) == 2


def test_the_knowledge_base_answers_with_its_source_or_says_plainly_it_does_not_know(say, db, publish) -> None:  # type: ignore[no-untyped-def]
    publish(key="GJJ-1")
    db.rollback()
    answer = say("公积金能取出来吗")
    assert "提取住房公积金" in answer and "国务院令第350号" in answer and "GJJ-1" in answer
    assert "回复「人工」" in answer and "查询 工单编号" in answer
    unknown = say("火星上的房子怎么落户口")
    assert "没有找到能可靠回答" in unknown and "回复「人工」" in unknown
    assert say("谢谢") == "不客气！还有其他问题可以继续问我。"
    assert "110" in say("我家着火了，有人被困") or "119" in say("我家着火了")
    # Every message is stored, answered by the assistant and needs no operator.
    assert {r.status for r in _rows(db)} == {"auto"}


def test_a_long_answer_is_cut_to_what_wechat_takes_and_stored_so(say, db, publish) -> None:  # type: ignore[no-untyped-def]
    publish(key="GJJ-LONG", answer="职工提取住房公积金的条件和材料如下。" + "具体情形请咨询公积金中心。" * 400)
    db.rollback()
    reply = say("住房公积金怎么提取？")
    assert len(reply) == 600 and reply.endswith("…")
    [row] = _rows(db)
    assert row.reply == reply


def test_a_clarifying_question_is_answered_by_its_number(say, db, publish) -> None:  # type: ignore[no-untyped-def]
    publish(key="SB-CITY", questions=["社保卡丢了怎么补办？"], phrasings=[], category_code="0302",
            answer="市民卡公司各服务网点均可补办社保卡，携带身份证，工本费20元，7个工作日内领卡。",
            policy_basis="市人社局社保卡管理办法", policy_source=None)
    publish(key="SB-BANK", questions=["社保卡丢了怎么补办？"], phrasings=[], category_code="0302",
            answer="金融社保卡可在发卡银行网点挂失补办，当场制卡，银行免收工本费。",
            policy_basis="合作银行服务协议", policy_source=None)
    db.rollback()
    asked = say("社保卡丢了怎么补办")
    assert "请回复序号选择" in asked and "\n1. " in asked and "\n2. " in asked, asked
    picked = say("2")
    assert ("发卡银行" in picked) != ("市民卡公司" in picked), picked


def test_the_assistants_quota_is_the_public_chats_per_follower(say, db, rt, publish) -> None:  # type: ignore[no-untyped-def]
    publish(key="GJJ-1")
    db.rollback()
    now = rt.clock.now()
    for _ in range(chat.PER_CLIENT.limit):  # the portal's quota per client address, here per follower
        throttle.take(db, checks=[(f"kb-chat-client:wechat:{ALICE}", chat.PER_CLIENT, "")], now=now)
    db.commit()
    refused = say("住房公积金怎么提取？")
    assert "提问过于频繁" in refused and "回复「人工」" in refused
    assert "提取住房公积金" in say("住房公积金怎么提取？", openid=BOB)  # another follower's own quota
    assert len(_rows(db)) == 2  # the refused question is kept all the same


def test_subscribe_is_welcomed_and_other_events_acknowledged(send, db) -> None:  # type: ignore[no-untyped-def]
    welcome = content_of(send(xml("event", msg_id=None, Event="subscribe", EventKey="")).text)
    assert "欢迎关注12345" in welcome and "「人工」" in welcome and "「查询 工单编号」" in welcome
    assert send(xml("event", msg_id=None, Event="subscribe", EventKey="")).text.count("欢迎关注") == 1  # a retry
    later = int((START - timedelta(seconds=1)).timestamp())
    assert send(xml("event", msg_id=None, at=later, Event="unsubscribe")).text == "success"
    assert send(xml("event", msg_id=None, at=later, Event="CLICK", EventKey="MENU_1")).text == "success"
    rows = _rows(db)
    assert [(r.msg_type, r.event, r.status) for r in rows] == [
        ("event", "subscribe", "auto"), ("event", "unsubscribe", "auto"), ("event", "CLICK", "auto")]


def test_media_and_locations_get_a_polite_request_for_words(send, db) -> None:  # type: ignore[no-untyped-def]
    for i, (kind, fields) in enumerate([("image", {"PicUrl": "http://mmbiz.qpic.cn/x", "MediaId": "m1"}),
                                        ("voice", {"MediaId": "m2", "Format": "amr"}),
                                        ("video", {"MediaId": "m3", "ThumbMediaId": "t3"}),
                                        ("location", {"Location_X": "32.05", "Location_Y": "118.78", "Scale": "15",
                                                      "Label": "玄武区中山路1号"}),
                                        ("link", {"Title": "一篇文章", "Description": "", "Url": "http://x"})]):
        reply = content_of(send(xml(kind, msg_id=str(300 + i), **fields)).text)
        assert reply == service.WRITE_PLEASE, kind
    rows = _rows(db)
    assert [r.msg_type for r in rows] == ["image", "voice", "video", "location", "link"]
    assert rows[3].content == "玄武区中山路1号（32.05, 118.78）" and {r.status for r in rows} == {"auto"}


def test_a_recognised_voice_message_is_read_as_text(send, db, publish) -> None:  # type: ignore[no-untyped-def]
    publish(key="GJJ-1")
    db.rollback()
    reply = content_of(send(xml("voice", MediaId="m9", Format="amr", Recognition="住房公积金怎么提取")).text)
    assert "提取住房公积金" in reply


def test_asking_for_a_person_hands_the_conversation_to_the_operators(say, send, db) -> None:  # type: ignore[no-untyped-def]
    say("你好")
    say("小区楼下餐馆每晚营业到凌晨，排风扇噪音很大")
    say("谢谢", openid=BOB)
    assert {r.status for r in _rows(db)} == {"auto"}
    assert say("人工") == service.HANDOVER
    # Alice's messages (not Bob's) wait for an operator; what she adds joins them.
    assert say("地址是钟灵街50号") == service.JOINED
    where = content_of(send(xml("location", msg_id="777", Location_X="32.05", Location_Y="118.78", Scale="15",
                                Label="玄武区钟灵街50号")).text)
    assert where == service.LOCATION_WAITING
    assert content_of(send(xml("image", msg_id="778", PicUrl="http://x", MediaId="m")).text) == \
        service.WRITE_PLEASE_WAITING
    rows = _rows(db)
    assert [(r.content, r.status) for r in rows if r.openid == ALICE] == [
        ("你好", "pending"), ("小区楼下餐馆每晚营业到凌晨，排风扇噪音很大", "pending"), ("人工", "pending"),
        ("地址是钟灵街50号", "pending"), ("玄武区钟灵街50号（32.05, 118.78）", "pending"), ("", "pending")]
    assert [r.status for r in rows if r.openid == BOB] == ["auto"]
    assert say("我要登记", openid=BOB) == service.HANDOVER and say("转人工", openid=BOB) == service.HANDOVER
