"""并单: the parent lists what was merged into it, a merged ticket points to its parent, and the parent's
unit reads the merged tickets' requests (their requesters masked)."""

from __future__ import annotations

import pytest

from tests.factories import intake
from tests.test_pages import login

API = "/api/v1/tickets"


def _act(client, as_user, t, who, action, body):  # type: ignore[no-untyped-def]
    r = client.post(f"{API}/{t['id']}/actions/{action}", headers=as_user(who), json=body)
    assert r.status_code == 200, r.text
    return r.json()


def _parent_with_children(client, as_user, org) -> tuple[dict, dict, dict]:  # type: ignore[no-untyped-def]
    parent = client.post(API, json=intake(), headers=as_user("operator")).json()
    _act(client, as_user, parent, "dispatcher", "dispatch", {"lead_unit_id": org.units["housing"].id})
    _act(client, as_user, parent, "housing_handler", "acknowledge", {})
    child = client.post(API, json=intake(title="钟灵街餐馆排风扇半夜还在响", requester_name="李四光",
                                         requester_phone="13700001111",
                                         content="钟灵街50号餐馆排风扇每晚响到凌晨两点。"),
                        headers=as_user("operator")).json()
    anonymous = client.post(API, json=intake(title="餐馆噪音（匿名反映）", requester_anonymous=True,
                                             requester_name=None, requester_phone="13600002222"),
                            headers=as_user("operator")).json()
    for t in (child, anonymous):
        _act(client, as_user, t, "operator", "merge", {"parent_number": parent["number"]})
    return parent, child, anonymous


def test_the_parent_lists_its_merged_tickets_masked(client, as_user, org) -> None:
    parent, child, anonymous = _parent_with_children(client, as_user, org)
    for who in ("dispatcher", "housing_handler"):
        out = client.get(f"{API}/{parent['id']}", headers=as_user(who)).json()
        assert [(m["number"], m["title"], m["requester_name"], m["requester_phone"])
                for m in out["merged_tickets"]] == [
            (child["number"], "钟灵街餐馆排风扇半夜还在响", "李**", "137****1111"),
            (anonymous["number"], "餐馆噪音（匿名反映）", "匿名", "136****2222"),
        ]
    assert client.get(f"{API}/{child['id']}", headers=as_user("dispatcher")).json()["merged_tickets"] == []


def test_a_merged_ticket_follows_its_parent_and_the_parents_unit_reads_it(client, as_user, org) -> None:
    parent, child, _ = _parent_with_children(client, as_user, org)
    # the housing bureau never had the child dispatched to it: it reads it as part of its ticket
    r = client.get(f"{API}/{child['id']}", headers=as_user("housing_handler"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["content"] == "钟灵街50号餐馆排风扇每晚响到凌晨两点。"
    assert out["personal_data_masked"] is True and out["requester_phone"] == "137****1111"
    assert (out["parent_number"], out["parent_state"], out["parent_state_label"]) == (
        parent["number"], "handling", "办理中")
    assert out["allowed_actions"] == []
    # a unit with no part in the parent does not
    assert client.get(f"{API}/{child['id']}", headers=as_user("market_handler")).status_code == 403
    # nor does the merged ticket enter the unit's queue
    assert [t["number"] for t in client.get("/api/v1/queue", headers=as_user("housing_handler")).json()["items"]] \
        == [parent["number"]]


def test_the_pages_link_parent_and_merged_tickets(client, as_user, org) -> None:
    parent, child, anonymous = _parent_with_children(client, as_user, org)
    login(client, "housing_handler")
    page = client.get(f"/tickets/{parent['number']}").text
    assert "并入本工单的诉求（2 件）" in page
    assert f'href="/tickets/{child["number"]}"' in page and f'href="/tickets/{anonymous["number"]}"' in page
    assert "李**" in page and "137****1111" in page and "13700001111" not in page
    page = client.get(f"/tickets/{child['number']}").text
    assert f'data-merged-into="{parent["number"]}"' in page
    assert "随主工单一并办理" in page and "主工单当前状态：办理中" in page
    assert f'href="/tickets/{parent["number"]}"' in page and "钟灵街50号餐馆排风扇" in page
    assert "13700001111" not in page


def test_a_jurisdiction_reads_a_ticket_merged_into_its_own_without_its_requester(client, as_user, org) -> None:
    """A supervisor of 玄武区 sees the parent (玄武) and so the ticket merged into it (秦淮), but that
    ticket's requester is no personal data of theirs: masked."""
    parent = client.post(API, json=intake(), headers=as_user("operator")).json()
    other = client.post(API, json=intake(jurisdiction_code="320104", requester_phone="13700001111"),
                        headers=as_user("operator")).json()
    assert client.get(f"{API}/{other['id']}", headers=as_user("xuanwu_viewer")).status_code == 403
    _act(client, as_user, other, "operator", "merge", {"parent_number": parent["number"]})
    seen = client.get(f"{API}/{other['id']}", headers=as_user("xuanwu_viewer")).json()
    assert seen["personal_data_masked"] is True and seen["requester_phone"] == "137****1111"
    assert client.get(f"{API}/{parent['id']}", headers=as_user("xuanwu_viewer")).json()["requester_phone"] \
        == "13912345678"
    # the centre sees it as always
    assert client.get(f"{API}/{other['id']}", headers=as_user("dispatcher")).json()["requester_phone"] \
        == "13700001111"


def test_a_merged_requester_follows_the_matter_publicly(client, as_user, org) -> None:
    """QA: a merged request's public lookup said 已并单 and nothing more. It shows the parent's progress
    and, once the centre closed on it, its answer; nothing of the parent's requester."""
    parent, child, _ = _parent_with_children(client, as_user, org)
    look = {"number": child["number"], "phone_last4": "1111"}
    out = client.post("/api/v1/public/lookup", json=look).json()
    assert out["state_label"] == "已并单"
    assert out["merged_into"] == {"number": parent["number"], "state_label": "办理中",
                                  "lead_unit": org.units["housing"].name, "closed_at": None, "reply_content": None}
    _act(client, as_user, parent, "housing_handler", "reply", {"content": "已责令餐馆加装消声设备，经复测噪音达标。"})
    assert client.post("/api/v1/public/lookup", json=look).json()["merged_into"]["reply_content"] is None  # in review
    _act(client, as_user, parent, "dispatcher", "close", {})
    merged = client.post("/api/v1/public/lookup", json=look).json()["merged_into"]
    assert merged["state_label"].startswith("已办结") and merged["closed_at"]
    assert merged["reply_content"] == "已责令餐馆加装消声设备，经复测噪音达标。"
    # the page says it too, without the parent's requester
    from tests.test_pages import post_page

    post_page(client, "/public/lookup", "/public/lookup", look)
    page = client.get("/public/lookup").text
    assert "已合并办理" in page and parent["number"] in page and "经复测噪音达标" in page
    assert "张三" not in page and "13912345678" not in page
    # a ticket of one's own has no such block
    own = client.post("/api/v1/public/lookup", json={"number": parent["number"], "phone_last4": "5678"}).json()
    assert own["merged_into"] is None


def test_a_ticket_merged_elsewhere_takes_its_merged_tickets_along(client, as_user, org) -> None:
    """QA: B had C merged into it, then B was merged into A: C stayed under B — its requester's lookup
    said 已并单 (B's state) for good, A's page did not list it and A's unit could not open it."""
    a, b, anonymous = _parent_with_children(client, as_user, org)  # b and anonymous merged into a
    top = client.post(API, json=intake(title="钟灵街餐馆噪音（另一件）"), headers=as_user("operator")).json()
    _act(client, as_user, top, "dispatcher", "dispatch", {"lead_unit_id": org.units["market"].id})
    out = _act(client, as_user, a, "dispatcher", "merge", {"parent_number": top["number"]})
    assert out["state"] == "merged"
    events = client.get(f"{API}/{a['id']}/events", headers=as_user("dispatcher")).json()
    assert events[-1]["data"]["merged_moved"] == [b["number"], anonymous["number"]]
    assert f"一并转入 {top['number']}" in events[-1]["note"]
    listed = client.get(f"{API}/{top['id']}", headers=as_user("market_handler")).json()["merged_tickets"]
    assert [m["number"] for m in listed] == [a["number"], b["number"], anonymous["number"]]
    r = client.get(f"{API}/{b['id']}", headers=as_user("market_handler"))
    assert r.status_code == 200 and r.json()["parent_number"] == top["number"], r.text
    look = client.post("/api/v1/public/lookup", json={"number": b["number"], "phone_last4": "1111"}).json()
    assert look["merged_into"]["number"] == top["number"] and look["merged_into"]["state_label"] == "待签收"


def test_a_dispatcher_merges_only_into_a_ticket_it_may_see(db, rt, client, as_user, org) -> None:
    """QA: a dispatcher authorised for one district merged into another district's ticket (whose unit then
    read its request), and the refusals told the state of tickets it may not see."""
    from hotline.errors import NotFound
    from hotline.security.actor import Actor
    from hotline.security.roles import DataScope, Role
    from hotline.tickets import service
    from hotline.tickets.enums import Action
    from hotline.tickets.schemas import ActionIn

    xuanwu = org.jurisdictions["xuanwu"]
    scoped = Actor(role=Role.DISPATCHER, name="玄武派单员", unit_id=org.units["centre"].id,
                   data_scope=DataScope.JURISDICTION, scope_path=xuanwu.path)
    child = client.post(API, json=intake(), headers=as_user("operator")).json()  # 孝陵卫街道, 玄武区
    other = client.post(API, json=intake(jurisdiction_code="320104", address="秦淮区某路1号"),
                        headers=as_user("operator")).json()
    with pytest.raises(NotFound) as refused:
        service.act(db, rt, actor=scoped, ticket_id=child["id"], action=Action.MERGE,
                    params=ActionIn(parent_number=other["number"]))
    assert refused.value.message == f"工单 {other['number']} 不存在"
    assert client.get(f"{API}/{child['id']}", headers=as_user("dispatcher")).json()["state"] == "registered"
    own = client.post(API, json=intake(title="同一餐馆（玄武）"), headers=as_user("operator")).json()
    merged = service.act(db, rt, actor=scoped, ticket_id=child["id"], action=Action.MERGE,
                         params=ActionIn(parent_number=own["number"]))
    assert merged.state == "merged"


def test_a_dispatched_ticket_merged_shows_its_clocks_stopped(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """QA: a merged ticket's page still listed 签收时限 and 退单时限 as if a unit were to meet them."""
    parent = client.post(API, json=intake(), headers=as_user("operator")).json()
    t = client.post(API, json=intake(title="同一餐馆油烟问题再次反映"), headers=as_user("operator")).json()
    _act(client, as_user, t, "dispatcher", "dispatch", {"lead_unit_id": org.units["housing"].id})
    login(client, "dispatcher")
    assert "签收时限" in client.get(f"/tickets/{t['number']}").text
    _act(client, as_user, t, "dispatcher", "merge", {"parent_number": parent["number"]})
    page = client.get(f"/tickets/{t['number']}").text
    assert "（已并单，不再计时）" in page and "签收时限" not in page and "退单时限" not in page


def test_the_answer_a_merged_requester_reads_masks_the_other_requester(client, as_user, org) -> None:
    """QA: the parent's answer is written to its own requester ("张三您好", a number to call back) and
    was shown as it is to everyone merged into it: their name and phone are masked there."""
    parent, child, _ = _parent_with_children(client, as_user, org)
    _act(client, as_user, parent, "housing_handler", "reply",
         {"content": "张三您好：已责令餐馆加装消声设备，如仍有噪音请拨打 13912345678 联系我们回访。"})
    _act(client, as_user, parent, "dispatcher", "close", {})
    merged = client.post("/api/v1/public/lookup", json={"number": child["number"], "phone_last4": "1111"}).json()
    assert merged["merged_into"]["reply_content"] == ("张*您好：已责令餐馆加装消声设备，"
                                                      "如仍有噪音请拨打 139****5678 联系我们回访。")
    own = client.post("/api/v1/public/lookup", json={"number": parent["number"], "phone_last4": "5678"}).json()
    assert own["reply_content"].startswith("张三您好")  # its own requester reads it as written
