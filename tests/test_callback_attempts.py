"""回访未接通 and 无法联系: unanswered callback calls are recorded and counted; once the policy's calls
(on enough different days) are used up the ticket is finished with no rating, which no satisfaction or
resolution figure counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from pydantic import ValidationError

from hotline.tickets.deadlines import UnreachableRule, load_policy
from tests.factories import intake
from tests.test_pages import login, post_page


def closed_ticket(client, as_user, org, **overrides) -> dict:  # type: ignore[no-untyped-def]
    t = client.post("/api/v1/tickets", json=intake(**overrides), headers=as_user("operator")).json()
    for who, action, body in (("dispatcher", "dispatch", {"lead_unit_id": org.units["housing"].id}),
                              ("housing_handler", "acknowledge", {}),
                              ("housing_handler", "reply", {"content": "已到现场核实处理，问题已经解决。"}),
                              ("dispatcher", "close", {})):
        r = client.post(f"/api/v1/tickets/{t['id']}/actions/{action}", headers=as_user(who), json=body)
        assert r.status_code == 200, (action, r.text)
    return r.json()


def no_answer(client, as_user, tid: int, note: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/tickets/{tid}/actions/callback_no_answer", headers=as_user("callback"),
                       json={"note": note} if note else {})


def test_presets_give_up_after_three_calls_on_two_days() -> None:
    for name in ("beijing", "guangdong"):
        rule = load_policy(name).callback_unreachable
        assert (rule.attempts, rule.days) == (3, 2)
    with pytest.raises(ValidationError):
        UnreachableRule(attempts=2, days=3)


def test_three_unanswered_calls_on_two_days_finish_the_ticket_as_unreachable(client, as_user, org, clock) -> None:
    t = closed_ticket(client, as_user, org)
    tid = t["id"]
    # Two calls on Monday: both recorded, the second one does not make a second day.
    r = no_answer(client, as_user, tid, "无人接听")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "closed" and r.json()["callback_attempts"] == 1
    clock.advance(timedelta(hours=3))
    r = no_answer(client, as_user, tid, "关机")
    body = r.json()
    assert body["state"] == "closed" and (body["callback_attempts"], body["callback_attempt_days"]) == (2, 1)
    assert body["callback_outcome"] is None
    # A third call the same day is still not enough: the calls must fall on two different days.
    clock.advance(timedelta(hours=1))
    body = no_answer(client, as_user, tid).json()
    assert body["state"] == "closed" and (body["callback_attempts"], body["callback_attempt_days"]) == (3, 1)
    # Finishing by hand before the rule is met is refused, and says what is missing.
    r = client.post(f"/api/v1/tickets/{tid}/actions/callback_unreachable", headers=as_user("callback"), json={})
    assert r.status_code == 409 and "另选1个日期拨打" in r.json()["message"], r.text
    # Tuesday: the call on a second day ends the callback as 无法联系.
    clock.advance(timedelta(days=1))
    body = no_answer(client, as_user, tid, "仍无人接听").json()
    assert body["state"] == "finished" and body["callback_outcome"] == "unreachable"
    assert body["solved"] is None and body["satisfaction"] is None and body["finished_at"] is not None
    assert (body["callback_attempts"], body["callback_attempt_days"]) == (4, 2)

    events = client.get(f"/api/v1/tickets/{tid}/events", headers=as_user("supervisor")).json()
    tail = events[-5:]
    assert [e["action"] for e in tail] == ["callback_no_answer"] * 4 + ["callback_unreachable"]
    assert [e["action_label"] for e in tail[-2:]] == ["回访未接通", "回访无法联系"]
    assert tail[0]["note"] == "回访未接通（第1次）：无人接听"
    assert tail[1]["note"].startswith("回访未接通（第2次，今日已拨打过，不另计日期）：关机")
    assert [e["data"]["attempt"] for e in tail[:4]] == [1, 2, 3, 4]
    assert "按无法联系结束回访" in tail[-1]["note"] and "不计入解决率和满意率" in tail[-1]["note"]
    assert tail[-1]["data"] == {"outcome": "unreachable", "attempts": 4, "days": 2}
    assert tail[0]["at"] < tail[-1]["at"]
    # A finished ticket takes no more attempts.
    assert no_answer(client, as_user, tid).status_code == 409
    # Units never record callbacks.
    other = closed_ticket(client, as_user, org)
    r = client.post(f"/api/v1/tickets/{other['id']}/actions/callback_no_answer", headers=as_user("housing_handler"),
                    json={})
    assert r.status_code == 409 and "无权" in r.json()["message"]


def test_a_reached_requester_after_unanswered_calls_is_an_ordinary_callback(client, as_user, org, clock) -> None:
    t = closed_ticket(client, as_user, org)
    no_answer(client, as_user, t["id"])
    clock.advance(timedelta(days=1))
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/reopen", headers=as_user("callback"),
                    json={"solved": False, "satisfaction": "unsatisfied", "note": "接通后表示问题仍在"})
    assert r.status_code == 200 and r.json()["state"] == "dispatched"
    # The new round's callback starts again from no unanswered calls.
    assert r.json()["callback_attempts"] == 0
    for who, action, body in (("housing_handler", "acknowledge", {}),
                              ("housing_handler", "reply", {"content": "再次到现场处理，问题已经解决。"}),
                              ("dispatcher", "close", {})):
        assert client.post(f"/api/v1/tickets/{t['id']}/actions/{action}", headers=as_user(who),
                           json=body).status_code == 200
    body = no_answer(client, as_user, t["id"]).json()
    assert (body["callback_attempts"], body["callback_attempt_days"]) == (1, 1)
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/callback", headers=as_user("callback"),
                    json={"solved": True, "satisfaction": "satisfied"})
    assert r.json()["state"] == "finished" and r.json()["callback_outcome"] == "reached"


def test_callback_list_puts_tried_tickets_after_untried_ones(client, as_user, org, clock) -> None:
    first = closed_ticket(client, as_user, org, title="最早办结的诉求")
    clock.advance(timedelta(hours=1))
    second = closed_ticket(client, as_user, org, title="稍后办结的诉求")
    login(client, "callback")
    page = client.get("/callbacks").text
    assert page.index(first["number"]) < page.index(second["number"])
    assert "未接通累计3次、且分布在2个不同日期后" in page and "回访期限届满不会自动结束回访" in page

    # 未接通 from the list: one click, back to the list with what is still needed.
    r = post_page(client, "/callbacks", f"/callbacks/{first['number']}/no-answer", {"note": "无人接听"})
    assert r.status_code == 303 and r.headers["location"] == "/callbacks"
    page = client.get("/callbacks").text
    assert f"工单 {first['number']} 已记录未接通：已未接通1次（1个日期），还需再拨打2次且另选1个日期拨打" in page
    rows = page[page.index('<table'):]
    assert rows.index(second["number"]) < rows.index(first["number"])  # tried today: after the untried
    row = re.search(rf'data-number="{first["number"]}".*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
    assert "未接通 1 次（今日已拨）" in row

    # The next day it is no longer "tried today", but still after a ticket nobody has called yet.
    clock.advance(timedelta(days=1))
    third = closed_ticket(client, as_user, org, title="次日办结的诉求")
    client.post(f"/api/v1/tickets/{second['id']}/actions/callback_no_answer", headers=as_user("callback"), json={})
    rows = client.get("/callbacks").text.split("<table", 1)[1]
    order = sorted((first["number"], second["number"], third["number"]), key=rows.index)
    assert order == [third["number"], first["number"], second["number"]]
    row = re.search(rf'data-number="{first["number"]}".*?</tr>', rows, re.S).group(0)  # type: ignore[union-attr]
    assert re.search(r"未接通 1 次（最近 \d\d-\d\d \d\d:\d\d）", row), row

    # The ticket page: the attempts so far and the 未接通 form with what is still needed.
    page = client.get(f"/tickets/{first['number']}").text
    assert 'data-field="callback-attempts"' in page and "1 次（1 个日期）" in page
    assert 'data-action="callback_no_answer"' in page
    assert "已未接通1次（1个日期），还需再拨打2次且另选1个日期拨打" in page
    r = post_page(client, f"/tickets/{first['number']}", f"/tickets/{first['number']}/actions/callback_no_answer",
                  {"note": "占线"})
    assert r.status_code == 303
    r = post_page(client, f"/tickets/{first['number']}", f"/tickets/{first['number']}/actions/callback_no_answer",
                  {"note": "仍占线"})
    page = client.get(r.headers["location"]).text
    assert "已按无法联系结束回访" in page
    assert "无法联系（3 次未接通，2 个日期），不计满意度" in page
    assert first["number"] not in client.get("/callbacks").text


def test_the_same_unanswered_call_sent_twice_counts_once(client, as_user, org, clock) -> None:  # type: ignore[no-untyped-def]
    """QA: a double tap on 未接通 (the list's one-click button, on a phone) or a form resent over a slow
    network counted two calls — three end the callback as 无法联系, with no satisfaction asked."""
    t = closed_ticket(client, as_user, org)
    login(client, "callback")
    for _ in range(2):
        r = post_page(client, "/callbacks", f"/callbacks/{t['number']}/no-answer", {})
        assert r.status_code == 303
    body = client.get(f"/api/v1/tickets/{t['id']}", headers=as_user("callback")).json()
    assert body["callback_attempts"] == 1
    events = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("callback")).json()
    assert [e["action"] for e in events].count("callback_no_answer") == 1
    assert no_answer(client, as_user, t["id"], "关机").json()["callback_attempts"] == 2  # another note: another call
    assert no_answer(client, as_user, t["id"], "关机").json()["callback_attempts"] == 2
    clock.advance(timedelta(seconds=61))  # a redial a minute later is a call of its own
    assert no_answer(client, as_user, t["id"], "关机").json()["callback_attempts"] == 3


def test_unanswered_from_the_list_returns_to_the_page_the_agent_was_on(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """QA: 未接通 on page 2 of 待回访 went back to page 1 (漏接回拨 already returned to its page)."""
    tickets = [closed_ticket(client, as_user, org, title=f"第{i}件待回访的诉求") for i in range(21)]
    login(client, "callback")
    page = client.get("/callbacks?page=2").text
    last = tickets[-1]["number"]
    assert last in page and '<input type="hidden" name="page" value="2">' in page
    r = post_page(client, "/callbacks?page=2", f"/callbacks/{last}/no-answer", {"page": "2"})
    assert r.status_code == 303 and r.headers["location"] == "/callbacks?page=2"
    assert f"工单 {last} 已记录未接通" in client.get(r.headers["location"]).text
    # a refusal (another agent reached the requester meanwhile) goes back there too
    done = client.post(f"/api/v1/tickets/{tickets[0]['id']}/actions/callback", headers=as_user("callback"),
                       json={"solved": True, "satisfaction": "satisfied"})
    assert done.status_code == 200
    r = post_page(client, "/callbacks?page=2", f"/callbacks/{tickets[0]['number']}/no-answer", {"page": "2"})
    assert r.status_code == 303 and r.headers["location"] == "/callbacks?page=2"
    assert f"工单 {tickets[0]['number']}：" in client.get(r.headers["location"]).text
