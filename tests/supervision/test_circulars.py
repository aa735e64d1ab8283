"""通报 and 问责移送 (国办发〔2020〕53号 三(六)): recorded beside meetings and interviews, naming the units
concerned (required), told to their managers in the words of the kind, with 整改情况 / 处理结果 later."""

from __future__ import annotations

from tests.supervision.test_api import API, dispatched
from tests.test_pages import login, post_page


def body(org, kind: str, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {"kind": kind, "title": "关于市市场监管局不当退单问题的通报", "topic": "11月该局3件工单不当退单，延误办理。",
            "held_at": "2026-11-05T09:00:00+08:00", "location": "宁12345通〔2026〕5号", "host": "南京市12345热线中心",
            "attendees": ["市政府办公厅"], "unit_ids": [org.units["market"].id], **extra}


def test_a_circular_names_its_units_tells_their_managers_and_takes_a_rectification_report(
        client, as_user, org) -> None:
    t = dispatched(client, as_user, org.units["market"].id)
    r = client.post(f"{API}/meetings", headers=as_user("supervisor"), json=body(org, "circular", unit_ids=[]))
    assert r.status_code == 422 and r.json()["message"] == "通报须选择被通报单位"
    r = client.post(f"{API}/meetings", headers=as_user("supervisor"),
                    json=body(org, "circular", ticket_numbers=[t["number"]]))
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["kind_label"] == "通报" and m["status"] == "scheduled"
    notice = client.get(f"{API}/notifications", headers=as_user("market_manager")).json()["items"][0]
    assert notice["title"] == "【通报】关于市市场监管局不当退单问题的通报"
    assert notice["body"] == ("通报日期：11月05日 09:00；文号：宁12345通〔2026〕5号；发布机关：南京市12345热线中心。"
                              "请按通报要求整改并反馈整改情况")
    short = client.post(f"{API}/meetings/{m['id']}/outcome", headers=as_user("supervisor"), json={"outcome": "已整改"})
    assert short.status_code == 422
    login(client, "supervisor")
    page = client.get(f"/supervision/meetings/{m['id']}").text
    assert "待整改反馈" in page and "被通报单位" in page and "文号" in page and "宁12345通〔2026〕5号" in page
    r = post_page(client, f"/supervision/meetings/{m['id']}", f"/supervision/meetings/{m['id']}/outcome",
                  {"outcome": "x"})
    assert r.status_code == 303
    assert "请填写整改情况（至少5个字）" in client.get(f"/supervision/meetings/{m['id']}").text
    done = client.post(f"{API}/meetings/{m['id']}/outcome", headers=as_user("supervisor"),
                       json={"outcome": "该局已对3件工单重新办理并建立退单复核制度"})
    assert done.status_code == 200 and done.json()["status"] == "concluded"
    listed = client.get("/supervision/meetings", params={"kind": "circular"}).text
    assert "关于市市场监管局不当退单问题的通报" in listed and "已记录结果" in listed


def test_a_referral_for_accountability(client, as_user, org) -> None:
    referral = body(org, "referral", title="移送市市场监管局推诿扯皮问题", location="市纪委监委 宁12345移〔2026〕1号",
                    host="督办科 李科长")
    r = client.post(f"{API}/meetings", headers=as_user("supervisor"),
                    json={**referral, "unit_ids": []})
    assert r.status_code == 422 and r.json()["message"] == "问责移送须选择被移送问责的单位"
    r = client.post(f"{API}/meetings", headers=as_user("supervisor"),
                    json=referral)
    assert r.status_code == 201 and r.json()["kind_label"] == "问责移送"
    notice = client.get(f"{API}/notifications", headers=as_user("market_manager")).json()["items"][0]
    assert notice["title"].startswith("【问责移送】") and notice["body"].endswith("处理结果由移送机关反馈")
    assert "移送机关及文号：市纪委监委 宁12345移〔2026〕1号" in notice["body"]
    login(client, "supervisor")
    page = client.get("/supervision/meetings", params={"kind": "referral"}).text
    assert "待反馈处理结果" in page
    form = post_page(client, "/supervision/meetings", "/supervision/meetings", {
        "kind": "circular", "title": "通报", "topic": "办理质量差", "held_at": "2026-11-05T09:00",
        "host": "中心"})
    assert form.status_code == 422 and "通报须选择被通报单位" in form.text and "办理质量差" in form.text
