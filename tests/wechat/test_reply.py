"""回复微信留言: an operator's own words to a waiting follower — queued for the relay as a customer-service
message, shown in the conversation, audited, length-checked, refused past WeChat's 48 hours — on the
page and through the staff API."""

from __future__ import annotations

import html
from datetime import timedelta

from sqlalchemy import select

from hotline.security.audit import ACTION_LABELS
from hotline.security.models import AuditEntry
from hotline.wechat import service
from hotline.wechat.models import WechatMessage, WechatOutbound
from tests.test_pages import csrf_of, intake_form, login
from tests.wechat.conftest import ALICE, BOB, sign, xml
from tests.wechat.test_pages import _ids, _read, _waiting


def _post(wx, message_id: str | int, text: str, csrf: str) -> str:  # type: ignore[no-untyped-def]
    """Post the page's reply form; returns the page the operator is sent back to."""
    r = wx.post(f"/wechat/{message_id}/reply", data={"text": text, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/wechat", r.text
    return html.unescape(wx.get("/wechat").text)


def _last(db, openid: str) -> int:  # type: ignore[no-untyped-def]
    return int(_ids(db, openid).rsplit(",", 1)[1])


def _write(send, clock, text: str, msg_id: str, openid: str = ALICE):  # type: ignore[no-untyped-def]
    """The follower writes now (signed and sent at the clock's time)."""
    now = int(clock.now().timestamp())
    r = send(xml("text", openid=openid, msg_id=msg_id, at=now, Content=text), **sign(timestamp=str(now)))
    assert r.status_code == 200, r.text


def test_a_reply_is_queued_for_the_relay_shown_in_the_conversation_and_audited(  # type: ignore[no-untyped-def]
        wx, say, send, db, clock, relay) -> None:
    _waiting(say)
    alice = _last(db, ALICE)
    login(wx, "operator")
    csrf = csrf_of(wx, "/wechat")
    page = _post(wx, alice, "您好，请问具体是哪栋楼？\n\n\n  请留一个联系电话。 ", csrf)
    assert "回复已提交，等待微信消息中继以客服消息发送" in page
    [out] = _read(db, select(WechatOutbound))
    assert (out.openid, out.purpose, out.status, out.message_id, out.account) == (
        ALICE, "reply", "queued", alice, "gh_0123456789ab")
    assert out.text == "您好，请问具体是哪栋楼？\n\n请留一个联系电话。"  # lines kept, blank runs shortened
    # the message stays waiting; the reply shows in Alice's conversation, not Bob's, after what she wrote
    assert {m.status for m in _read(db, select(WechatMessage).where(WechatMessage.openid == ALICE))} == {"pending"}
    alice_row = page.split(f'data-wechat-group="{_ids(db, ALICE)}"')[1].split("</tr>")[0]
    assert "话务员回复（待发送）" in alice_row and alice_row.index("钟灵街50号") < alice_row.index("哪栋楼")
    assert "哪栋楼" not in page.split(f'data-wechat-group="{_ids(db, BOB)}"')[1]
    # the relay takes it as any customer-service message; her answer joins the conversation after the reply
    items = wx.get("/api/wechat/outbox", headers=relay).json()["items"]
    assert [(i["id"], i["openid"], i["text"]) for i in items] == [(out.id, ALICE, out.text)]
    assert wx.post(f"/api/wechat/outbox/{out.id}/result", json={"status": "sent"}, headers=relay).status_code == 200
    clock.advance(timedelta(minutes=2))
    _write(send, clock, "钟灵街50号2栋，电话13912345678", "7001")
    page = html.unescape(wx.get("/wechat").text)
    alice_row = page.split('data-wechat-group="')[1].split("</tr>")[0]
    assert "话务员回复（已发送）" in alice_row and alice_row.index("哪栋楼") < alice_row.index("50号2栋")
    [entry] = _read(db, select(AuditEntry).where(AuditEntry.action == "wechat_reply"))
    assert (entry.object_type, entry.object_id, entry.username) == ("wechat", str(alice), "operator")
    assert entry.detail == f"回复微信留言：{out.text}"
    assert ACTION_LABELS["wechat_reply"] == "回复微信留言"


def test_a_reply_is_length_checked_and_not_empty(wx, say, db) -> None:  # type: ignore[no-untyped-def]
    _waiting(say)
    alice = _last(db, ALICE)
    login(wx, "operator")
    csrf = csrf_of(wx, "/wechat")
    assert "最多 600 字" in wx.get("/wechat").text
    assert "回复内容最多 600 个字，当前 601 个字" in _post(wx, alice, "长" * 601, csrf)
    assert "请填写回复内容" in _post(wx, alice, " \n ", csrf)
    assert _read(db, select(WechatOutbound)) == []
    assert "回复已提交" in _post(wx, alice, "长" * 600, csrf)
    assert [len(o.text) for o in _read(db, select(WechatOutbound))] == [600]
    # ids beyond the column, unknown ones, and messages never handed over are not found
    say("谢谢", openid="oNeverHandedOver0000000000001")
    auto = _ids(db, "oNeverHandedOver0000000000001")
    for missing in ("999999999", "99999999999999", "１２", auto):
        assert "微信消息不存在或未转人工" in _post(wx, missing, "你好", csrf), missing
    assert len(_read(db, select(WechatOutbound))) == 1


def test_no_reply_past_wechats_48_hours_until_the_follower_writes_again(  # type: ignore[no-untyped-def]
        wx, say, send, db, clock, as_user) -> None:
    _waiting(say)
    alice = _last(db, ALICE)
    login(wx, "operator")
    csrf = csrf_of(wx, "/wechat")
    clock.advance(timedelta(hours=47, minutes=59))
    page = html.unescape(wx.get("/wechat").text)
    assert page.count(f'action="/wechat/{alice}/reply"') == 1 and "可回复至 2026-11-04 09:59" in page
    clock.advance(timedelta(minutes=2))
    page = html.unescape(wx.get("/wechat").text)
    assert f'action="/wechat/{alice}/reply"' not in page and page.count("data-wechat-reply-closed") == 2
    assert "已超过 48 小时" in page
    refused = _post(wx, alice, "请补充地址", csrf)
    assert "最后一次发消息已超过 48 小时" in refused and "微信不允许再发送客服消息" in refused
    r = wx.post(f"/api/wechat/messages/{alice}/reply", json={"text": "请补充地址"}, headers=as_user("operator"))
    assert r.status_code == 409 and r.json()["code"] == "wechat_reply_window_closed"
    assert _read(db, select(WechatOutbound)) == []
    assert _read(db, select(AuditEntry).where(AuditEntry.action == "wechat_reply")) == []
    # she writes again (it joins her conversation): 48 hours from now
    _write(send, clock, "还没人处理吗？", "7002")
    page = html.unescape(wx.get("/wechat").text)
    assert page.count("data-wechat-reply-closed") == 1  # Bob's still closed
    assert "回复已提交" in _post(wx, alice, "已收到，正在登记", csrf)


def test_the_window_follows_what_wechat_counts_as_an_interaction(wx, send, db, clock) -> None:  # type: ignore[no-untyped-def]
    def event(name: str) -> None:
        at = int(clock.now().timestamp())
        r = send(xml("event", openid=BOB, msg_id=None, at=at, Event=name), **sign(timestamp=str(at)))
        assert r.status_code == 200, r.text

    def window(openid: str = BOB):  # type: ignore[no-untyped-def]
        until = service.reply_window(db, openid=openid)
        db.rollback()  # no read transaction held while the app writes (SQLite)
        return until

    event("subscribe")
    opened = clock.now()
    assert window() == opened + timedelta(hours=48)
    clock.advance(timedelta(hours=1))
    event("LOCATION")  # reported by the phone, not the follower: opens nothing
    assert window() == opened + timedelta(hours=48)
    clock.advance(timedelta(hours=1))
    event("CLICK")  # a menu click that pushes an event does
    assert window() == opened + timedelta(hours=50)
    clock.advance(timedelta(hours=1))
    event("unsubscribe")
    assert window() is None
    assert window("oNobodyEverWrote000000000001") is None


def test_only_whole_city_operators_and_dispatchers_reply(wx, say, db, as_user) -> None:  # type: ignore[no-untyped-def]
    _waiting(say)
    alice = _last(db, ALICE)
    login(wx, "supervisor")
    page = wx.get("/wechat").text
    assert "餐馆每晚营业" in page and '/reply"' not in page and "<summary>回复留言" not in page
    for who in ("supervisor", "xuanwu_viewer", "housing_handler", "admin"):
        r = wx.post(f"/api/wechat/messages/{alice}/reply", json={"text": "你好"}, headers=as_user(who))
        assert r.status_code == 403, who
    assert _read(db, select(WechatOutbound)) == []
    wx.cookies.clear()
    login(wx, "dispatcher")
    assert "回复已提交" in _post(wx, alice, "你好，请补充地址", csrf_of(wx, "/wechat"))


def test_the_staff_api_replies_with_the_pages_checks(wx, say, db, as_user) -> None:  # type: ignore[no-untyped-def]
    _waiting(say)
    alice = _last(db, ALICE)
    op = as_user("operator")
    long = wx.post(f"/api/wechat/messages/{alice}/reply", json={"text": "长" * 601}, headers=op)
    assert long.status_code == 422 and "最多 600 个字" in long.json()["message"]
    missing = wx.post(f"/api/wechat/messages/{alice}/reply", json={}, headers=op)
    assert missing.json()["message"] == "缺少必填项：回复内容"
    assert wx.post("/api/wechat/messages/999999999/reply", json={"text": "你好"}, headers=op).status_code == 404
    assert wx.post("/api/wechat/messages/99999999999/reply", json={"text": "你好"}, headers=op).status_code == 422
    r = wx.post(f"/api/wechat/messages/{alice}/reply", json={"text": "您好，请补充具体地址。"}, headers=op)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["openid"], body["purpose"], body["purpose_label"], body["status"], body["status_label"],
            body["message_id"], body["text"]) == ("oAbC****xYz1", "reply", "人工回复", "queued", "待发送", alice,
                                                 "您好，请补充具体地址。")
    assert ALICE not in r.text
    assert [e.object_id for e in _read(db, select(AuditEntry).where(AuditEntry.action == "wechat_reply"))] == [
        str(alice)]
    assert "/api/wechat/messages/{message_id}/reply" in wx.get("/api/openapi.json").json()["paths"]


def test_the_ticket_shows_the_replies_written_before_it_was_registered(wx, say, db) -> None:  # type: ignore[no-untyped-def]
    _waiting(say)
    alice = _ids(db, ALICE)
    login(wx, "operator")
    _post(wx, alice.rsplit(",", 1)[1], "请问是钟灵街50号哪一栋？", csrf_of(wx, "/wechat"))
    fields = intake_form(channel="wechat", wechat_ids=alice, idem="wx-form-reply-000001",
                         csrf_token=csrf_of(wx, "/hall/intake"))
    r = wx.post("/hall/intake", data=fields, follow_redirects=False)
    assert r.status_code == 303, r.text
    shown = html.unescape(wx.get(r.headers["location"]).text).split('data-section="wechat"')[1].split("</section>")[0]
    assert shown.index("人工回复 · 待发送") < shown.index("受理告知 · 待发送")
    assert "哪一栋" in shown and ALICE not in shown
