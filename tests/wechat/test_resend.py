"""重发 of a WeChat customer-service message the relay reported failed: once per failed message (two at
once make one: the unique resend_of_id), only a failed one, only within WeChat's 48 hours, audited —
through the staff API and on the page's tab 发送失败."""

from __future__ import annotations

import html
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.db import make_session_factory
from hotline.errors import Conflict
from hotline.org import service as org_service
from hotline.org.models import User
from hotline.security.audit import ACTION_LABELS
from hotline.security.models import AuditEntry
from hotline.wechat import service
from hotline.wechat.models import WechatMessage, WechatOutbound
from tests.test_pages import csrf_of, login
from tests.wechat.conftest import ALICE
from tests.wechat.test_pages import _read, _waiting
from tests.wechat.test_reply import _last, _write


def _replied(wx, db, as_user) -> int:  # type: ignore[no-untyped-def]
    """An operator's reply to Alice's waiting conversation, queued; its outbound id."""
    r = wx.post(f"/api/wechat/messages/{_last(db, ALICE)}/reply", json={"text": "请补充具体地址。"},
                headers=as_user("operator"))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _fail(wx, relay, oid: int, reason: str = "45015 response out of time limit") -> None:  # type: ignore[no-untyped-def]
    r = wx.post(f"/api/wechat/outbox/{oid}/result", json={"status": "failed", "reason": reason}, headers=relay)
    assert r.status_code == 200 and r.json()["status"] == "failed", r.text


def _resent(db, oid: int) -> list[WechatOutbound]:  # type: ignore[no-untyped-def]
    return _read(db, select(WechatOutbound).where(WechatOutbound.resend_of_id == oid))


def test_resend_by_the_api(wx, say, db, as_user, relay) -> None:  # type: ignore[no-untyped-def]
    _waiting(say)
    oid = _replied(wx, db, as_user)
    op = as_user("operator")
    queued = wx.post(f"/api/wechat/outbound/{oid}/resend", headers=op)
    assert queued.status_code == 409 and queued.json()["code"] == "wechat_not_failed"
    assert queued.json()["message"] == "只有发送失败的微信消息可以重发（该消息：待发送）"
    _fail(wx, relay, oid, "45047 out of response count limit")
    failed = wx.get("/api/wechat/outbound/failed", headers=as_user("supervisor")).json()
    assert failed["total"] == 1 and [i["id"] for i in failed["items"]] == [oid]
    assert failed["items"][0]["failed_reason"] == "45047 out of response count limit"
    assert ALICE not in str(failed) and failed["items"][0]["openid"] == "oAbC****xYz1"
    for who in ("supervisor", "xuanwu_viewer", "housing_handler", "admin"):
        assert wx.post(f"/api/wechat/outbound/{oid}/resend", headers=as_user(who)).status_code == 403, who
    r = wx.post(f"/api/wechat/outbound/{oid}/resend", headers=op)
    assert r.status_code == 201, r.text
    again = r.json()
    assert (again["status"], again["resend_of_id"], again["purpose"], again["text"], again["openid"]) == (
        "queued", oid, "reply", "请补充具体地址。", "oAbC****xYz1")
    [row] = _resent(db, oid)
    assert (row.openid, row.account, row.message_id, row.id) == (ALICE, "gh_0123456789ab", _last(db, ALICE),
                                                                 again["id"])
    # the relay takes the new message; the failed one keeps its history
    items = wx.get("/api/wechat/outbox", headers=relay).json()["items"]
    assert [(i["id"], i["openid"], i["text"]) for i in items] == [(again["id"], ALICE, "请补充具体地址。")]
    assert _read(db, select(WechatOutbound).where(WechatOutbound.id == oid))[0].status == "failed"
    twice = wx.post(f"/api/wechat/outbound/{oid}/resend", headers=as_user("dispatcher"))
    assert twice.status_code == 409 and twice.json()["code"] == "wechat_already_resent"
    assert twice.json()["message"] == "该微信消息已重发过，请查看重发的消息"
    assert wx.get("/api/wechat/outbound/failed", headers=op).json()["total"] == 0
    [entry] = _read(db, select(AuditEntry).where(AuditEntry.action == "wechat_resend"))
    assert (entry.object_type, entry.object_id, entry.username) == ("wechat_outbound", str(oid), "operator")
    assert entry.detail == "重发微信消息（人工回复，原发送失败：45047 out of response count limit）：请补充具体地址。"
    assert ACTION_LABELS["wechat_resend"] == "重发微信消息"
    assert wx.post("/api/wechat/outbound/999999999/resend", headers=op).status_code == 404
    assert wx.post("/api/wechat/outbound/99999999999/resend", headers=op).status_code == 422
    published = wx.get("/api/openapi.json").json()["paths"]["/api/wechat/outbound/{outbound_id}/resend"]["post"]
    assert published["summary"].startswith("重发发送失败的微信客服消息") and "409" in published["responses"]


def test_no_resend_past_wechats_48_hours_until_the_follower_writes_again(  # type: ignore[no-untyped-def]
        wx, say, send, db, clock, as_user, relay) -> None:
    _waiting(say)
    oid = _replied(wx, db, as_user)
    _fail(wx, relay, oid)
    clock.advance(timedelta(hours=48, minutes=1))
    r = wx.post(f"/api/wechat/outbound/{oid}/resend", headers=as_user("operator"))
    assert r.status_code == 409 and r.json()["code"] == "wechat_reply_window_closed"
    assert "最后一次发消息已超过 48 小时" in r.json()["message"] and "无法重发" in r.json()["message"]
    login(wx, "operator")
    csrf = csrf_of(wx, "/wechat?tab=failed")
    done = wx.post(f"/wechat/outbound/{oid}/resend", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/wechat?tab=failed"
    page = html.unescape(wx.get("/wechat?tab=failed").text)
    assert "微信不允许再发送客服消息，无法重发" in page and f'data-wechat-failed="{oid}"' in page
    assert _resent(db, oid) == []
    assert _read(db, select(AuditEntry).where(AuditEntry.action == "wechat_resend")) == []
    _write(send, clock, "还在吗？地址是钟灵街50号2栋", "7101")  # the 48 hours start again
    assert wx.post(f"/api/wechat/outbound/{oid}/resend", headers=as_user("operator")).status_code == 201


def test_the_page_lists_failed_messages_and_resends_them(  # type: ignore[no-untyped-def]
        wx, say, db, as_user, relay) -> None:
    _waiting(say)
    oid = _replied(wx, db, as_user)
    login(wx, "operator")
    assert "暂无发送失败的微信消息" in html.unescape(wx.get("/wechat?tab=failed").text)
    _fail(wx, relay, oid)
    page = html.unescape(wx.get("/wechat?tab=failed").text)
    row = page.split(f'data-wechat-failed="{oid}"')[1].split("</tr>")[0]
    assert "45015 response out of time limit" in row and "请补充具体地址。" in row and "人工回复" in row
    assert "oAbC****xYz1" in row and ALICE not in page
    assert f'action="/wechat/outbound/{oid}/resend"' in row and '发送失败 <span class="count">1</span>' in page
    csrf = csrf_of(wx, "/wechat?tab=failed")
    r = wx.post(f"/wechat/outbound/{oid}/resend", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/wechat?tab=failed"
    after = html.unescape(wx.get("/wechat?tab=failed").text)
    assert "已重新提交发送，等待微信消息中继以客服消息发送" in after and "暂无发送失败的微信消息" in after
    wx.post(f"/wechat/outbound/{oid}/resend", data={"csrf_token": csrf}, follow_redirects=False)
    assert "该微信消息已重发过" in html.unescape(wx.get("/wechat?tab=failed").text)
    for bad in ("99999999999999", "１２", "abc"):
        wx.post(f"/wechat/outbound/{bad}/resend", data={"csrf_token": csrf}, follow_redirects=False)
        assert "微信待发消息不存在" in html.unescape(wx.get("/wechat?tab=failed").text), bad
    assert len(_resent(db, oid)) == 1
    # the conversation shows the failed reply and its resend
    conversation = html.unescape(wx.get("/wechat").text)
    assert "话务员回复（发送失败）" in conversation and "话务员回复·重发（待发送）" in conversation


def test_a_supervisor_sees_failed_messages_without_the_button(  # type: ignore[no-untyped-def]
        wx, say, db, as_user, relay) -> None:
    _waiting(say)
    oid = _replied(wx, db, as_user)
    _fail(wx, relay, oid)
    login(wx, "supervisor")
    page = wx.get("/wechat?tab=failed").text
    assert f'data-wechat-failed="{oid}"' in page and f"/wechat/outbound/{oid}/resend" not in page
    assert "由话务员或派单员处理" in page


def test_a_late_answer_is_resent_as_it_was(wx, say, db, rt, as_user, relay) -> None:  # type: ignore[no-untyped-def]
    """Every purpose may be resent (not only replies): here a 延迟答复 the relay could not send."""
    say("你好")
    msg = _read(db, select(WechatMessage).where(WechatMessage.openid == ALICE))[0]
    db.add(WechatOutbound(account=msg.account, openid=ALICE, text="迟到的答复", purpose="late", status="queued",
                          message_id=msg.id, created_at=rt.clock.now()))
    db.commit()
    [late] = _read(db, select(WechatOutbound))
    _fail(wx, relay, late.id, "-1 system error")
    r = wx.post(f"/api/wechat/outbound/{late.id}/resend", headers=as_user("dispatcher"))
    assert r.status_code == 201, r.text
    assert (r.json()["purpose"], r.json()["purpose_label"], r.json()["text"]) == ("late", "延迟答复", "迟到的答复")


def _actor(factory, username: str):  # type: ignore[no-untyped-def]
    with factory() as s:
        return org_service.actor_for(s.execute(select(User).where(User.username == username)).scalar_one())


def test_two_resends_at_once_make_one(wx, say, db, engine, rt, as_user, relay) -> None:  # type: ignore[no-untyped-def]
    _waiting(say)
    oid = _replied(wx, db, as_user)
    _fail(wx, relay, oid)
    factory = make_session_factory(engine)
    actors = [_actor(factory, "operator"), _actor(factory, "dispatcher")]
    start = threading.Barrier(2)
    made: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    def resend(actor) -> None:  # type: ignore[no-untyped-def]
        with factory() as s:
            start.wait()
            try:
                made.append(service.resend(s, rt, actor=actor, outbound_id=oid).id)
            except Conflict as exc:
                refused.append(exc.code)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=resend, args=(a,)) for a in actors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and refused == ["wechat_already_resent"]
    assert [r.id for r in _resent(db, oid)] == made and len(made) == 1
    assert len(_read(db, select(AuditEntry).where(AuditEntry.action == "wechat_resend"))) == 1


def test_the_unique_key_decides_when_both_passed_the_check(  # type: ignore[no-untyped-def]
        wx, say, db, engine, rt, as_user, relay, monkeypatch) -> None:
    """The race the check cannot see: another operator's resend commits after this one looked (here made
    to happen in between). Only PostgreSQL can interleave them: every SQLite transaction begins
    IMMEDIATE (hotline.db), so there two resends run one after the other and the check decides."""
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writing transactions (BEGIN IMMEDIATE): the check decides there")
    _waiting(say)
    oid = _replied(wx, db, as_user)
    _fail(wx, relay, oid)
    factory = make_session_factory(engine)
    operator, dispatcher = _actor(factory, "operator"), _actor(factory, "dispatcher")
    window = service.reply_window

    def other_first(s, *, openid):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(service, "reply_window", window)
        with factory() as other:
            service.resend(other, rt, actor=dispatcher, outbound_id=oid)
        return window(s, openid=openid)

    monkeypatch.setattr(service, "reply_window", other_first)
    with factory() as s, pytest.raises(Conflict) as refused:
        service.resend(s, rt, actor=operator, outbound_id=oid)
    assert (refused.value.code, refused.value.message) == (
        "wechat_already_resent", "该微信消息刚由他人重发，请刷新后查看")
    [row] = _resent(db, oid)
    assert row.created_by_id == dispatcher.user_id
    assert [e.username for e in _read(db, select(AuditEntry).where(AuditEntry.action == "wechat_resend"))] == [
        "dispatcher"]
