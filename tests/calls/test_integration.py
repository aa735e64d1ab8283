"""The calls package beside the blacklist (hotline.blacklist) and the hotline registry
(hotline.hotlines), both built separately: skipped while they are not installed."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from tests.calls.conftest import answered_call
from tests.conftest import START


def _module(name: str):  # type: ignore[no-untyped-def]
    try:
        return importlib.import_module(name)
    except ImportError:
        pytest.skip(f"{name} is not installed")


@pytest.fixture()
def blacklist(engine: Engine) -> Iterator[object]:
    service = _module("hotline.blacklist.service")
    models = _module("hotline.blacklist.models")
    yield service
    with engine.begin() as conn:
        for name in ("PoliceReferral", "BlacklistEvidence", "AbuseReport", "BlacklistAppeal", "BlacklistEvent",
                     "TicketVerdict", "BlacklistEntry"):
            if hasattr(models, name):
                conn.execute(delete(getattr(models, name)))


@pytest.fixture()
def registry(engine: Engine) -> Iterator[object]:
    service = _module("hotline.hotlines.service")
    models = _module("hotline.hotlines.models")
    yield service
    with engine.begin() as conn:
        conn.execute(delete(models.HotlineExpert))
        conn.execute(delete(models.HotlineChange))
        conn.execute(delete(models.HotlineLine))


def test_the_screen_pop_shows_a_listed_caller(client, feed, as_user, db, rt, org, blacklist) -> None:  # type: ignore[no-untyped-def]
    phone = "13955556666"
    report = blacklist.report_abuse(db, rt, actor=org.actor("operator"), phone=phone,
                                    description="来电人连续辱骂话务员十余分钟")
    blacklist.confirm(db, rt, actor=org.actor("supervisor"), entry_id=report.entry_id, reason="多次辱骂话务员，经核实")
    db.rollback()
    r = feed(answered_call("bl1", START, caller=phone))
    call_id = r.json()["call_ids"]["bl1"]
    pop = client.get(f"/api/calls/{call_id}", headers=as_user("operator")).json()
    assert pop["blacklist"]["available"] is True and pop["blacklist"]["listed"] is True
    assert "多次辱骂话务员" in pop["blacklist"]["reason"]
    from tests.test_pages import login

    login(client, "operator")
    page = client.get(f"/hall/calls/{call_id}").text
    assert "该号码在黑名单中" in page and "紧急求助与新的诉求仍须受理" in page


def test_utility_lines_come_from_the_registry(client, feed, as_user, db, rt, registry) -> None:  # type: ignore[no-untyped-def]
    from hotline.security.actor import Actor

    registry.import_reference(db, rt, actor=Actor.system(), cities=["南京市"])
    db.rollback()
    targets = client.get("/api/calls/transfer-targets", headers=as_user("operator")).json()
    utilities = [t for t in targets if t["kind"] == "utility"]
    assert "95598" in {t["number"] for t in utilities}  # State Grid's national number, in the reference list
    call_id = feed(answered_call("u1", START)).json()["call_ids"]["u1"]
    r = client.post(f"/api/calls/{call_id}/transfers", json={"target": "95598", "reason": "小区大面积停电"},
                    headers=as_user("operator"))
    assert r.status_code == 201 and r.json()["target_kind"] == "utility" and "95598" in r.json()["target_label"]


def test_another_citys_line_names_no_transfer_here(client, feed, as_user, db, rt, registry) -> None:  # type: ignore[no-untyped-def]
    """QA: a number registered only for 宿迁市 was labelled from that city's row in a 南京市 hall (12329 is a
    dual-number line in 南京: its own seats answer; a fully merged one takes no transfer, see below)."""
    from hotline.security.actor import Actor

    registry.import_reference(db, rt, actor=Actor.system(), cities=["宿迁市"])
    db.rollback()
    call_id = feed(answered_call("q1", START)).json()["call_ids"]["q1"]
    r = client.post(f"/api/calls/{call_id}/transfers", json={"target": "12329", "reason": "公积金提取咨询"},
                    headers=as_user("operator"))
    assert r.status_code == 201 and (r.json()["target_kind"], r.json()["target_label"]) == ("other", "12329")
    registry.import_reference(db, rt, actor=Actor.system(), cities=["南京市"])
    db.rollback()
    r = client.post(f"/api/calls/{call_id}/transfers", json={"target": "12329", "reason": "公积金提取咨询"},
                    headers=as_user("operator"))
    assert r.status_code == 201 and r.json()["target_kind"] == "line" and "住房公积金" in r.json()["target_label"]


def test_a_fully_merged_line_takes_a_transfer_only_to_its_experts_on_duty(  # type: ignore[no-untyped-def]
        client, feed, as_user, db, rt, registry, clock) -> None:
    """QA: a transfer to 96510 (整体并入, no seats of its own) was accepted and rang 12345 again. 12316 is
    merged whole with expert seats: a target only while someone on its rota is on duty."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from hotline.calls.models import CallTransfer

    rota = _rota(client, as_user, db, rt, registry)
    call_id = feed(answered_call("m1", START)).json()["call_ids"]["m1"]

    def transfer(on: int = call_id, **body):  # type: ignore[no-untyped-def]
        return client.post(f"/api/calls/{on}/transfers", json={"reason": "专业问题转接", **body},
                           headers=as_user("operator"))

    def targets() -> set[str]:
        return {t["number"] for t in client.get("/api/calls/transfer-targets", headers=as_user("operator")).json()}

    r = transfer(target="96510")
    assert r.status_code == 422 and r.json()["code"] == "target_merged"
    assert r.json()["message"] == ("96510 不动产登记咨询电话已整体并入12345，没有自己的座席，转接会回到12345，"
                                   "不能转接：请直接受理，需部门办理的登记工单派发至责任单位")
    r = transfer(target="12316", three_way=True)
    assert r.status_code == 422 and "其专家座席当前无人值班" in r.json()["message"]
    assert "12316" not in targets() and "96510" not in targets()
    assert db.execute(select(func.count()).select_from(CallTransfer)).scalar_one() == 0  # nothing recorded
    db.rollback()
    ids = {x["number"]: x["id"] for x in client.get("/api/v1/hotlines", params={"city": "南京市", "q": "12316"},
                                                    headers=as_user("admin")).json()["items"]}
    r = client.post(f"/api/v1/hotlines/{ids['12316']}/experts", headers=as_user("admin"), json={
        "name": "王农", "department": "市农业农村局", "phone": "8301", "duty": "周一至周五 09:00-17:00"})
    assert r.status_code == 201, r.text
    assert "12316" in targets()
    r = transfer(target="12316", expert_id=r.json()["id"])
    assert r.status_code == 201 and r.json()["mode"] == "three_way"
    assert r.json()["target_label"].endswith("王农（8301）")
    assert transfer(target="12348", expert_id=rota["12348"]).status_code == 201  # dual-number experts as before
    clock.advance(timedelta(hours=8))  # 18:00: nobody on duty, no target again
    assert "12316" not in targets()
    later = feed(answered_call("m2", START + timedelta(hours=8))).json()["call_ids"]["m2"]
    assert transfer(later, target="12316").json()["code"] == "target_merged"


def _rota(client, as_user, db, rt, registry) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Nanjing's registry, and one expert on 12348's rota (Monday to Friday office hours; START is Monday 10:00)
    and one on 12333's who is off duty now. Returns their ids by line number."""
    from hotline.security.actor import Actor

    registry.import_reference(db, rt, actor=Actor.system(), cities=["南京市"])
    db.rollback()
    ids = {x["number"]: x["id"] for x in client.get("/api/v1/hotlines", params={"city": "南京市", "page_size": 200},
                                                    headers=as_user("admin")).json()["items"]}
    people = {"12348": {"name": "陈立新", "department": "市法律援助中心", "phone": "8101",
                        "duty": "周一至周五 09:00-12:00,14:00-17:30"},
              "12333": {"name": "刘建华", "phone": "8201", "duty": "周六 09:00-12:00"}}
    out = {}
    for number, body in people.items():
        r = client.post(f"/api/v1/hotlines/{ids[number]}/experts", json=body, headers=as_user("admin"))
        assert r.status_code == 201, r.text
        out[number] = r.json()["id"]
    return out


def test_specialist_lines_are_transfer_targets_three_way_as_routing_hands_over(  # type: ignore[no-untyped-def]
        client, feed, as_user, db, rt, registry) -> None:
    """国办发〔2020〕53号: 相对专业的问题通过三方转接转至分中心; staffed expert seats by the rota."""
    rota = _rota(client, as_user, db, rt, registry)
    targets = client.get("/api/calls/transfer-targets", headers=as_user("operator")).json()
    assert [t["number"] for t in targets[:4]] == ["110", "119", "120", "122"]  # the emergency lines stay first
    lines = [t for t in targets if t["kind"] == "line"]
    assert [t["group_label"] for t in lines][0] == "分中心" and lines[0]["number"] == "12366"
    assert {t["group"] for t in lines} == {"sub_center", "expert_seats", "business_zone"}
    by = {t["number"]: t for t in lines}
    assert by["12348"]["staffed"] is True and by["12348"]["method_label"] == "三方通话转接"
    assert [(e["id"], e["name"], e["phone"]) for e in by["12348"]["experts"]] == [(rota["12348"], "陈立新", "8101")]
    assert by["12333"]["staffed"] is False and by["12333"]["method"] == "dispatch_ticket"  # off duty on Monday
    assert by["12329"]["experts"] == [] and by["12366"]["staffed"] is True
    assert "12345" not in by and "12369" not in by  # 12345 itself, a merged line without seats: none

    call_id = feed(answered_call("s1", START)).json()["call_ids"]["s1"]

    def transfer(**body):  # type: ignore[no-untyped-def]
        return client.post(f"/api/calls/{call_id}/transfers", json={"reason": "专业问题转接", **body},
                           headers=as_user("operator"))

    r = transfer(target="12366")  # no say: three-way, as routing hands a sub-centre over
    assert r.status_code == 201, r.text
    assert (r.json()["mode"], r.json()["target_kind"], r.json()["responsible_line"]) == ("three_way", "line", "12345")
    r = transfer(target="12348", expert_id=rota["12348"])
    assert r.json()["mode"] == "three_way" and r.json()["target_label"].endswith("陈立新（8101）")
    assert transfer(target="12333").json()["mode"] == "blind"  # nobody on duty: a plain transfer, as before
    r = transfer(target="12333", expert_id=rota["12333"])
    assert r.status_code == 422 and "不在 12333 的在岗名单中" in r.json()["message"]
    assert transfer(target="12348", expert_id=rota["12333"]).status_code == 422  # another line's expert
    assert transfer(target="12366", three_way=False).json()["mode"] == "blind"  # the operator's say wins
    assert transfer(target="120").json()["mode"] == "blind"  # emergency lines: blind unless asked, as before


def test_the_call_page_offers_the_specialist_lines_grouped(client, feed, as_user, db, rt, registry) -> None:  # type: ignore[no-untyped-def]
    from tests.test_pages import csrf_of, login

    rota = _rota(client, as_user, db, rt, registry)
    call_id = feed(answered_call("s2", START)).json()["call_ids"]["s2"]
    login(client, "operator")
    page = client.get(f"/hall/calls/{call_id}").text
    assert "专业转接（分中心、专家座席、业务专区）" in page and "<legend>分中心</legend>" in page
    assert "<legend>专家座席</legend>" in page and "<legend>业务专区</legend>" in page
    assert f'name="target" value="12348#{rota["12348"]}"' in page and "陈立新（市法律援助中心 8101）" in page
    assert "data-target-filter" in page and "/static/calls.js" in page  # 7 targets: the search box
    assert "当前无人值班：建议登记工单派发" in page  # 12329 and others
    token = csrf_of(client, f"/hall/calls/{call_id}")
    r = client.post(f"/hall/calls/{call_id}/transfer", follow_redirects=False,
                    data={"reason": "劳动仲裁咨询", "target": f"12348#{rota['12348']}", "csrf_token": token})
    assert r.status_code == 303
    page = client.get(f"/hall/calls/{call_id}").text
    assert "已记录转接：12348 全国公共法律服务专用电话 · 陈立新（8101）（三方通话）" in page
    r = client.post(f"/hall/calls/{call_id}/transfer", follow_redirects=False,
                    data={"reason": "纳税咨询", "target": "12366", "blind": "1", "csrf_token": token})
    assert r.status_code == 303 and "（直接转接）" in client.get(f"/hall/calls/{call_id}").text
