"""短信受理 as operators use it: the waiting list, 登记工单 through the intake form (with the automatic
text), 忽略 with a reason, 回复短信; who may do what; the audit log."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select

from hotline.security.models import AuditEntry
from hotline.sms.models import SmsInbound, SmsOutbound
from hotline.tickets.models import Ticket
from tests.conftest import START
from tests.sms.conftest import text
from tests.test_pages import csrf_of, intake_form, login

ALICE, BOB = "13912345678", "13800001111"


def _three_texts(push) -> list[int]:  # type: ignore[no-untyped-def]
    """Alice sends two texts in a row around Bob's one; Alice's first is the oldest."""
    r = push([text("a1", ALICE, "小区楼下餐馆每晚营业到凌晨", START - timedelta(minutes=40)),
              text("b1", BOB, "地铁站出口的共享单车乱停", START - timedelta(minutes=35)),
              text("a2", ALICE, "排风扇噪音很大，影响休息，请处理", START - timedelta(minutes=30))])
    assert r.status_code == 200, r.text
    ids = r.json()["ids"]
    return [ids["a1"], ids["a2"], ids["b1"]]


def _read(db, query):  # type: ignore[no-untyped-def]
    """Rows as they are now, detached: reading them later starts no transaction (on SQLite one would
    hold the write lock the app's next request waits for)."""
    rows = list(db.scalars(query))
    db.expunge_all()
    db.rollback()
    return rows


def _rows(db):  # type: ignore[no-untyped-def]
    return {r.id: r for r in _read(db, select(SmsInbound))}


def _outbound(db) -> list[SmsOutbound]:  # type: ignore[no-untyped-def]
    return _read(db, select(SmsOutbound).order_by(SmsOutbound.id))  # type: ignore[no-any-return]


def _audit(db, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return _read(db, select(AuditEntry).where(AuditEntry.action == action))  # type: ignore[no-any-return]


def _post(client, url: str, data: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    r = client.post(url, data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sms", r.text


def _flash(client) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(client.get("/sms").text)


def test_the_empty_list_and_who_sees_it(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "operator")
    page = client.get("/sms")
    assert page.status_code == 200 and "暂无待处理的短信" in page.text and 'data-sms-waiting="0"' in page.text
    assert 'href="/sms"' in client.get("/hall/intake").text  # in the operator's navigation
    for who in ("housing_handler", "analyst", "admin"):
        client.cookies.clear()
        login(client, who)
        assert client.get("/sms", follow_redirects=False).status_code == 403, who


def test_a_district_supervisor_has_no_sms_page(client) -> None:  # type: ignore[no-untyped-def]
    """Texts carry no district (as the call records): for whole-city staff only."""
    login(client, "xuanwu_viewer")
    assert 'href="/sms"' not in client.get("/supervision").text
    page = client.get("/sms")
    assert page.status_code == 403 and "仅限数据范围为全市的用户访问" in page.text
    client.cookies.clear()
    login(client, "supervisor")
    assert 'href="/sms"' in client.get("/supervision").text


def test_waiting_texts_are_grouped_by_number_oldest_first_and_masked(client, push) -> None:  # type: ignore[no-untyped-def]
    a1, a2, b1 = _three_texts(push)
    login(client, "operator")
    page = client.get("/sms").text
    assert 'data-sms-waiting="3"' in page and "来自 <strong>2</strong> 个号码" in page
    groups = re.findall(r'data-sms-group="([0-9,]+)"', page)
    assert groups == [f"{a1},{a2}", str(b1)]
    assert "139****5678" in page and ALICE not in page and "连续 2 条" in page
    assert page.index("小区楼下餐馆") < page.index("排风扇噪音")


def test_register_opens_the_intake_form_and_the_texts_become_registered(client, push, db, gateway) -> None:  # type: ignore[no-untyped-def]
    a1, a2, b1 = _three_texts(push)
    login(client, "operator")
    form_page = client.get(f"/hall/intake?sms={a1},{a2}")
    assert form_page.status_code == 200
    page = html.unescape(form_page.text)
    assert f'name="sms_ids" value="{a1},{a2}"' in page and f'value="{ALICE}"' in page
    assert "小区楼下餐馆每晚营业到凌晨\n排风扇噪音很大" in page
    assert re.search(r'<option value="sms" selected>', page)
    assert [e.object_id for e in _audit(db, "view_personal_data")] == [str(a1)]
    csrf = csrf_of(client, "/hall/intake")
    fields = intake_form(channel="sms", requester_phone=ALICE, sms_ids=f"{a1},{a2}", idem="sms-form-0000000001",
                         csrf_token=csrf)
    r = client.post("/hall/intake", data=fields, follow_redirects=False)
    assert r.status_code == 303, r.text
    number = r.headers["location"].rsplit("/", 1)[1]
    assert "已自动回复受理短信" in client.get(r.headers["location"]).text
    [ticket] = _read(db, select(Ticket).where(Ticket.number == number))
    assert (ticket.channel, ticket.requester_phone) == ("sms", ALICE)
    rows = _rows(db)
    assert [(rows[i].status, rows[i].ticket_id) for i in (a1, a2)] == [("registered", ticket.id)] * 2
    assert rows[b1].status == "pending"
    # One automatic text to the sender, with the number and nothing else of the ticket.
    sent = _outbound(db)
    assert len(sent) == 1 and (sent[0].phone, sent[0].purpose, sent[0].ticket_id) == (ALICE, "ack", ticket.id)
    assert sent[0].text == (f"您反映的诉求已受理，工单编号{number}，"
                            "可凭编号和手机号后四位在网上查询办理进度。【12345】")
    assert [i["text"] for i in client.get("/api/sms/outbox", headers=gateway).json()["items"]] == [sent[0].text]
    # The same form sent again registers nothing more and texts nobody twice.
    again = client.post("/hall/intake", data=fields, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].endswith(number)
    assert len(_outbound(db)) == 1
    assert [e.detail for e in _audit(db, "sms_register")] == [f"2 条短信登记为工单 {number}"]
    # Another operator's form for the same texts registers nothing: it names the ticket.
    client.cookies.clear()
    login(client, "dispatcher")
    other = client.post("/hall/intake", data={**fields, "csrf_token": csrf_of(client, "/hall/intake")})
    assert other.status_code == 409 and f"已由他人登记为工单 {number}" in other.text
    assert len(_outbound(db)) == 1 and len(_read(db, select(Ticket))) == 1
    listing = client.get("/sms?tab=registered").text
    assert f'href="/tickets/{number}"' in listing
    # The ticket's page shows the texts it came from and the one sent back (no number in either).
    shown = client.get(f"/tickets/{number}").text.split('data-section="sms"')[1].split("</section>")[0]
    assert shown.index("小区楼下餐馆每晚营业到凌晨") < shown.index("排风扇噪音很大") and "地铁站出口" not in shown
    assert "受理告知 · 待发送" in shown and f"工单编号{number}" in shown and ALICE not in shown
    # Handled texts cannot be opened for registration again.
    assert client.get(f"/hall/intake?sms={a1}", follow_redirects=False).status_code == 303
    assert "已由他人处理" in _flash(client)


def test_a_refused_intake_keeps_the_texts_waiting(client, push, db) -> None:  # type: ignore[no-untyped-def]
    a1, a2, _ = _three_texts(push)
    login(client, "operator")
    csrf = csrf_of(client, "/hall/intake")
    fields = intake_form(channel="sms", requester_phone=ALICE, sms_ids=f"{a1},{a2}", csrf_token=csrf)
    del fields["circumstances"], fields["occurred_desc"]
    r = client.post("/hall/intake", data=fields)
    assert r.status_code == 422 and "受理要素不全" in r.text and f'name="sms_ids" value="{a1},{a2}"' in r.text
    assert {row.status for row in _rows(db).values()} == {"pending"} and _outbound(db) == []


def test_ignore_needs_a_reason_and_is_audited(client, push, db) -> None:  # type: ignore[no-untyped-def]
    a1, a2, b1 = _three_texts(push)
    login(client, "operator")
    csrf = csrf_of(client, "/sms")
    r = client.post("/sms/ignore", data={"ids": str(b1), "reason": "", "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and "请选择忽略原因" in _flash(client)
    _post(client, "/sms/ignore", {"ids": str(b1), "reason": "other", "csrf_token": csrf})
    assert "请填写说明" in _flash(client) and _rows(db)[b1].status == "pending"
    _post(client, "/sms/ignore", {"ids": str(b1), "reason": "advertising", "csrf_token": csrf})
    assert "已忽略 1 条短信" in _flash(client)
    row = _rows(db)[b1]
    assert (row.status, row.ignore_reason, row.ticket_id) == ("ignored", "advertising", None)
    assert row.handled_at is not None and row.handled_by_id is not None
    assert [e.detail for e in _audit(db, "sms_ignore")] == ["忽略 1 条短信（广告推销）"]
    assert "广告推销" in client.get("/sms?tab=ignored").text
    # Texts of two numbers are never handled together; handled texts not twice.
    _post(client, "/sms/ignore", {"ids": f"{a1},{b1}", "reason": "invalid", "csrf_token": csrf})
    assert "同一号码" in _flash(client)
    _post(client, "/sms/ignore", {"ids": str(b1), "reason": "invalid", "csrf_token": csrf})
    assert "已由他人处理" in _flash(client)


def test_reply_is_length_checked_signed_and_keeps_the_text_waiting(client, push, db) -> None:  # type: ignore[no-untyped-def]
    _, a2, _ = _three_texts(push)
    login(client, "operator")
    csrf = csrf_of(client, "/sms")
    _post(client, f"/sms/{a2}/reply", {"text": "长" * 201, "csrf_token": csrf})
    assert "最多 200 个字" in _flash(client) and _outbound(db) == []
    _post(client, f"/sms/{a2}/reply", {"text": "   ", "csrf_token": csrf})
    assert "请填写回复内容" in _flash(client)
    _post(client, f"/sms/{a2}/reply", {"text": "您好，请补充具体地址（路名门牌）。", "csrf_token": csrf})
    assert "等待短信网关发送" in _flash(client)
    [out] = _outbound(db)
    assert (out.phone, out.text, out.status, out.purpose) == (ALICE, "您好，请补充具体地址（路名门牌）。【12345】",
                                                              "queued", "reply")
    assert _rows(db)[a2].status == "pending"
    assert "人工回复（待发送" in client.get("/sms").text
    for missing in ("999999999", "99999999999999", "１２"):
        _post(client, f"/sms/{missing}/reply", {"text": "你好", "csrf_token": csrf})
        assert "短信不存在" in _flash(client)
    _post(client, "/sms/ignore", {"ids": "99999999999999", "reason": "invalid", "csrf_token": csrf})
    assert "请选择要处理的短信" in _flash(client)
    assert [e.object_id for e in _audit(db, "sms_reply")] == [str(a2)]


def test_a_supervisor_reads_but_does_not_handle(client, push, db) -> None:  # type: ignore[no-untyped-def]
    _, _, b1 = _three_texts(push)
    login(client, "supervisor")
    page = client.get("/sms").text
    assert "由话务员或派单员处理" in page and "/hall/intake?sms=" not in page
    csrf = csrf_of(client, "/sms")
    _post(client, "/sms/ignore", {"ids": str(b1), "reason": "advertising", "csrf_token": csrf})
    assert "无权" in _flash(client) and _rows(db)[b1].status == "pending"
    _post(client, f"/sms/{b1}/reply", {"text": "你好", "csrf_token": csrf})
    assert _outbound(db) == []


def test_a_group_shows_the_last_five_texts_sent_to_its_number(client, push, db, org) -> None:  # type: ignore[no-untyped-def]
    from hotline.sms import service
    from hotline.sms.enums import OutboundStatus

    a1, a2, _b1 = _three_texts(push)
    for i in range(7):  # seven replies to Alice over the days before, one to Bob
        db.add(SmsOutbound(phone=ALICE, text=f"第{i}条答复", purpose="reply", status=OutboundStatus.SENT,
                           created_at=START - timedelta(days=7 - i)))
    db.add(SmsOutbound(phone=BOB, text="给另一号码的答复", purpose="reply", status=OutboundStatus.SENT,
                       created_at=START - timedelta(days=1)))
    db.commit()
    groups, total = service.waiting(db, actor=org.actor("operator"))
    db.rollback()
    assert total == 2 and [t.id for t in groups[0].texts] == [a1, a2]
    assert [o.text for o in groups[0].sent] == [f"第{i}条答复" for i in (6, 5, 4, 3, 2)]  # newest first
    assert [o.text for o in groups[1].sent] == ["给另一号码的答复"]



def test_the_list_s_page_links_keep_the_tab(client, push) -> None:  # type: ignore[no-untyped-def]
    """QA: the links were /sms?tab=pending?tab=pending&page=2 (no such tab): page 2 was never reached."""
    r = push([text(f"pg{i}", sender=f"139000011{i:02d}", at=START - timedelta(minutes=60 - i)) for i in range(21)])
    assert r.status_code == 200, r.text
    login(client, "operator")
    for url in ("/sms", "/sms?tab=pending"):
        page = client.get(url).text
        link = re.search(r'<a href="([^"]+)" rel="next">', page).group(1)  # type: ignore[union-attr]
        link = html.unescape(link)
        assert link in ("/sms?page=2", "/sms?tab=pending&page=2"), link
        second = client.get(link).text
        assert len(re.findall(r'data-sms-group="', second)) == 1 and "139****1120" in second
