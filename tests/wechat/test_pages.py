"""微信受理 as operators use it (the waiting list, 登记工单 through the intake form, 忽略), the
已受理 notice in the relay's outbox, and 查询 工单号 answered only to the follower who wrote."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from hotline.security.models import AuditEntry
from hotline.tickets.models import Ticket
from hotline.wechat import service
from hotline.wechat.models import WechatMessage, WechatOutbound
from tests.test_pages import csrf_of, intake_form, login
from tests.wechat.conftest import ALICE, BOB


def _read(db, query):  # type: ignore[no-untyped-def]
    rows = list(db.scalars(query))
    db.expunge_all()
    db.rollback()
    return rows


def _waiting(say) -> None:  # type: ignore[no-untyped-def]
    """Alice describes a noisy restaurant and asks for a person; Bob asks for a person too."""
    say("小区楼下餐馆每晚营业到凌晨，排风扇噪音很大")
    say("人工")
    say("地址是孝陵卫街道钟灵街50号")
    say("转人工", openid=BOB)
    say("无抵押低息贷款，当天放款", openid=BOB)


def _ids(db, openid: str) -> str:  # type: ignore[no-untyped-def]
    rows = _read(db, select(WechatMessage).where(WechatMessage.openid == openid).order_by(WechatMessage.id))
    return ",".join(str(r.id) for r in rows)


def test_the_list_is_for_operators_dispatchers_and_supervisors(wx, say, db) -> None:  # type: ignore[no-untyped-def]
    login(wx, "operator")
    page = wx.get("/wechat")
    assert page.status_code == 200 and "暂无待处理的微信留言" in page.text and 'data-wechat-waiting="0"' in page.text
    assert 'href="/wechat"' in wx.get("/hall/intake").text and "微信受理" in wx.get("/hall/intake").text
    _waiting(say)
    page = wx.get("/wechat").text
    assert 'data-wechat-waiting="5"' in page and "来自 <strong>2</strong> 个微信用户" in page
    groups = re.findall(r'data-wechat-group="([0-9,]+)"', page)
    assert groups == [_ids(db, ALICE), _ids(db, BOB)]
    # the openid is masked on the page, for everyone
    assert "oAbC****xYz1" in page and ALICE not in page and BOB not in page
    assert page.index("餐馆每晚营业") < page.index("钟灵街50号")
    wx.cookies.clear()
    login(wx, "supervisor")
    read_only = wx.get("/wechat").text
    assert "餐馆每晚营业" in read_only and "/hall/intake?wechat=" not in read_only
    assert "由话务员或派单员处理" in read_only
    for who in ("housing_handler", "analyst", "admin"):
        wx.cookies.clear()
        login(wx, who)
        assert wx.get("/wechat", follow_redirects=False).status_code == 403, who


def test_a_district_supervisor_has_no_wechat_page_nor_its_service(wx, say, db, org) -> None:  # type: ignore[no-untyped-def]
    """Messages carry no district (as texts): for whole-city staff only."""
    from hotline.errors import Forbidden

    _waiting(say)
    login(wx, "xuanwu_viewer")
    assert 'href="/wechat"' not in wx.get("/supervision").text
    page = wx.get("/wechat")
    assert page.status_code == 403 and "仅限数据范围为全市的用户访问" in page.text
    try:
        service.waiting(db, actor=org.actor("xuanwu_viewer"))
        raise AssertionError("a district's supervisor read the waiting list")
    except Forbidden as exc:
        assert exc.code == "scope_forbidden"


def test_register_through_the_intake_form_queues_the_notice_and_lookup_is_the_followers_own(  # type: ignore[no-untyped-def]
        wx, say, db, relay) -> None:
    _waiting(say)
    alice = _ids(db, ALICE)
    login(wx, "operator")
    form_page = wx.get(f"/hall/intake?wechat={alice}")
    assert form_page.status_code == 200
    page = html.unescape(form_page.text)
    assert f'name="wechat_ids" value="{alice}"' in page and re.search(r'<option value="wechat" selected>', page)
    # the content is what she wrote (her 人工 is no part of it); her openid is nowhere on the form
    assert "小区楼下餐馆每晚营业到凌晨，排风扇噪音很大\n地址是孝陵卫街道钟灵街50号" in page and ALICE not in page
    audits = _read(db, select(AuditEntry).where(AuditEntry.action == "view_personal_data"))
    assert [(a.object_type, a.object_id) for a in audits] == [("wechat", alice.split(",")[0])]
    fields = intake_form(channel="wechat", wechat_ids=alice, idem="wx-form-00000000001",
                         csrf_token=csrf_of(wx, "/hall/intake"))
    r = wx.post("/hall/intake", data=fields, follow_redirects=False)
    assert r.status_code == 303, r.text
    number = r.headers["location"].rsplit("/", 1)[1]
    assert "已排队通过公众号告知受理" in html.unescape(wx.get(r.headers["location"]).text)
    [ticket] = _read(db, select(Ticket))
    assert ticket.channel == "wechat" and ticket.number == number
    rows = _read(db, select(WechatMessage).order_by(WechatMessage.id))
    assert {(r.status, r.ticket_id) for r in rows if r.openid == ALICE} == {("registered", ticket.id)}
    assert {r.status for r in rows if r.openid == BOB} == {"pending"}
    # one notice, for the relay to send as a customer-service message
    [notice] = _read(db, select(WechatOutbound))
    assert (notice.openid, notice.purpose, notice.status, notice.ticket_id) == (ALICE, "ack", "queued", ticket.id)
    assert notice.text == f"您反映的诉求已受理，工单编号{number}。回复「查询 {number}」可查询办理进度。"
    items = wx.get("/api/wechat/outbox", headers=relay).json()["items"]
    assert [(i["openid"], i["text"], i["account"]) for i in items] == [(ALICE, notice.text, "gh_0123456789ab")]
    # the same form again makes no second ticket nor notice; another operator's names the ticket
    again = wx.post("/hall/intake", data=fields, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].endswith(number)
    wx.cookies.clear()
    login(wx, "dispatcher")
    other = wx.post("/hall/intake", data={**fields, "csrf_token": csrf_of(wx, "/hall/intake")})
    assert other.status_code == 409 and f"已由他人登记为工单 {number}" in other.text
    assert len(_read(db, select(WechatOutbound))) == 1 and len(_read(db, select(Ticket))) == 1
    assert [a.detail for a in _read(db, select(AuditEntry).where(AuditEntry.action == "wechat_register"))] == [
        f"3 条微信消息登记为工单 {number}"]
    assert f'href="/tickets/{number}"' in wx.get("/wechat?tab=registered").text
    # the ticket's page shows the messages it came from and the notice (no openid in either)
    shown = wx.get(f"/tickets/{number}").text.split('data-section="wechat"')[1].split("</section>")[0]
    assert shown.index("餐馆每晚营业") < shown.index("钟灵街50号") and "无抵押" not in shown
    assert "受理告知 · 待发送" in shown and f"工单编号{number}" in shown and ALICE not in shown
    assert wx.get(f"/hall/intake?wechat={alice}", follow_redirects=False).status_code == 303
    # 查询: Alice sees her ticket's public status; Bob, who knows the number, learns nothing
    status = say(f"查询 {number}")
    assert f"工单 {number}" in status and "状态：" in status and "小区楼下餐馆夜间噪音扰民" in status
    assert say(f"查询{number.lower()}") == status  # as people type it
    refused = say(f"查询 {number}", openid=BOB)
    assert "未找到您通过本公众号登记的工单" in refused and "餐馆" not in refused and "状态" not in refused
    assert number in say("查询") and number not in say("查询", openid=BOB)
    # the relay reports the notice sent; the same report again is a retry, another one a conflict
    sent = wx.post(f"/api/wechat/outbox/{notice.id}/result", json={"status": "sent", "relay_id": "r-1"},
                   headers=relay)
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert wx.post(f"/api/wechat/outbox/{notice.id}/result", json={"status": "sent"}, headers=relay).status_code == 200
    clash = wx.post(f"/api/wechat/outbox/{notice.id}/result", json={"status": "failed", "reason": "45015"},
                    headers=relay)
    assert clash.status_code == 409 and clash.json()["code"] == "result_conflict"
    assert wx.get("/api/wechat/outbox", headers=relay).json()["items"] == []


def test_lookup_failures_are_throttled_per_follower(say) -> None:  # type: ignore[no-untyped-def]
    for i in range(30):
        assert "未找到" in say(f"查询 NJ20261102-{i:06d}", openid=BOB)
    assert "尝试次数过多" in say("查询 NJ20261102-000099", openid=BOB)
    assert "未找到" in say("查询 NJ20261102-000099")  # Alice is not locked out by Bob


def test_ignore_needs_a_reason_and_is_audited(wx, say, db) -> None:  # type: ignore[no-untyped-def]
    _waiting(say)
    bob = _ids(db, BOB)
    login(wx, "operator")
    csrf = csrf_of(wx, "/wechat")
    r = wx.post("/wechat/ignore", data={"ids": bob, "reason": "", "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and "请选择忽略原因" in html.unescape(wx.get("/wechat").text)
    r = wx.post("/wechat/ignore", data={"ids": bob, "reason": "other", "note": "", "csrf_token": csrf},
                follow_redirects=False)
    assert "请填写说明" in html.unescape(wx.get("/wechat").text)
    r = wx.post("/wechat/ignore", data={"ids": bob, "reason": "advertising", "csrf_token": csrf},
                follow_redirects=False)
    assert r.status_code == 303 and "已忽略 2 条微信消息" in html.unescape(wx.get("/wechat").text)
    assert {r.status for r in _read(db, select(WechatMessage).where(WechatMessage.openid == BOB))} == {"ignored"}
    [entry] = _read(db, select(AuditEntry).where(AuditEntry.action == "wechat_ignore"))
    assert entry.detail == "忽略 2 条微信消息（广告推销）"
    assert "广告推销" in wx.get("/wechat?tab=ignored").text
    # mixed followers, handled ones, and messages never handed over cannot be handled
    alice = _ids(db, ALICE)

    def refused(ids: str) -> str:
        r = wx.post("/wechat/ignore", data={"ids": ids, "reason": "invalid", "csrf_token": csrf},
                    follow_redirects=False)
        assert r.status_code == 303
        return html.unescape(wx.get("/wechat").text)

    assert "一次只能处理同一微信用户的消息" in refused(f"{alice},{bob.split(',')[0]}")
    assert "已由他人处理" in refused(bob)
    say("谢谢", openid="oNeverHandedOver0000000000001")
    assert "未转人工" in refused(_ids(db, "oNeverHandedOver0000000000001"))
    assert "请选择要处理的微信消息" in refused("x")
    assert {r.status for r in _read(db, select(WechatMessage).where(WechatMessage.openid == ALICE))} == {"pending"}


def test_the_relay_api_is_for_the_telephony_role_only(wx, as_user) -> None:  # type: ignore[no-untyped-def]
    assert wx.get("/api/wechat/outbox").status_code == 401
    for who in ("operator", "admin"):
        r = wx.get("/api/wechat/outbox", headers=as_user(who))
        assert r.status_code == 403 and r.json()["code"] == "wechat_relay_only", who
        assert wx.post("/api/wechat/outbox/1/result", json={"status": "sent"}, headers=as_user(who)).status_code == 403


def test_failed_needs_a_reason_and_unknown_ids_are_404(wx, relay) -> None:  # type: ignore[no-untyped-def]
    assert wx.post("/api/wechat/outbox/999999/result", json={"status": "sent"}, headers=relay).status_code == 404
    assert service.OUTBOX_MAX == 500


def test_a_refused_intake_keeps_the_conversation_waiting(wx, say, db) -> None:  # type: ignore[no-untyped-def]
    _waiting(say)
    alice = _ids(db, ALICE)
    login(wx, "operator")
    fields = intake_form(channel="wechat", wechat_ids=alice, csrf_token=csrf_of(wx, "/hall/intake"))
    del fields["circumstances"], fields["occurred_desc"]
    r = wx.post("/hall/intake", data=fields)
    assert r.status_code == 422 and "受理要素不全" in r.text and f'name="wechat_ids" value="{alice}"' in r.text
    assert {m.status for m in _read(db, select(WechatMessage))} == {"pending"}
    assert _read(db, select(WechatOutbound)) == [] and _read(db, select(Ticket)) == []


def test_a_merged_tickets_lookup_names_the_ticket_it_joined(wx, say, db, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """QA: 查询 of a merged ticket printed the object (已并入工单 number='NJ…' state_label=… reply_content=…);
    now the ticket it joined, its state and, once closed, its answer — without that requester's name."""
    from tests.factories import intake

    api = "/api/v1/tickets"

    def act(t, who, action, body):  # type: ignore[no-untyped-def]
        r = wx.post(f"{api}/{t['id']}/actions/{action}", headers=as_user(who), json=body)
        assert r.status_code == 200, r.text

    parent = wx.post(api, json=intake(), headers=as_user("operator")).json()
    act(parent, "dispatcher", "dispatch", {"lead_unit_id": org.units["housing"].id})
    act(parent, "housing_handler", "acknowledge", {})
    child = wx.post(api, json=intake(channel="wechat", requester_phone="13700001111", requester_name="李四光"),
                    headers=as_user("operator")).json()
    say("小区楼下餐馆每晚营业到凌晨")
    [message] = _read(db, select(WechatMessage))
    message.status, message.ticket_id = "registered", child["id"]
    db.add(message)
    db.commit()
    act(child, "operator", "merge", {"parent_number": parent["number"]})
    act(parent, "housing_handler", "reply", {"content": "张三您好：已责令餐馆加装消声设备，经复测噪音达标。"})
    act(parent, "dispatcher", "close", {})
    status = say(f"查询 {child['number']}")
    assert f"已与工单 {parent['number']} 合并办理" in status and "state_label" not in status, status
    assert "办理结果：张*您好：已责令餐馆加装消声设备" in status and "张三" not in status
