"""回头看 through the API: the list of unsatisfied finished tickets, the 审核研判 and the 再办理 it allows."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from hotline.security.models import AuditEntry
from hotline.tickets.models import TicketReview
from tests.revisit.helpers import act, finished, handle_and_close

REHANDLE = {"conclusion": "rehandle", "note": "经法律顾问审核：诉求合理，餐馆噪音仍超标，应再办理"}


def _list(client, as_user, persona="supervisor", **params):  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/revisit", params=params, headers=as_user(persona))
    assert r.status_code == 200, r.text
    return r.json()


def test_list_holds_the_unsatisfied_finished_tickets_with_counts(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    unsolved = finished(client, as_user, org)
    unhappy = finished(client, as_user, org, solved=True, satisfaction="very_unsatisfied", title="路灯不亮")
    finished(client, as_user, org, solved=True, satisfaction="satisfied", reopens=0, title="井盖破损")
    page = _list(client, as_user)
    assert [i["number"] for i in page["items"]] == [unsolved["number"], unhappy["number"]]
    assert (page["period_total"], page["reviewed"], page["not_reviewed"]) == (2, 0, 2)
    first = page["items"][0]
    assert (first["solved"], first["satisfaction_label"], first["reopen_count"], first["conclusion"]) == (
        False, "不满意", 2, None)
    assert first["lead_unit"] == "市房产局" and first["jurisdiction"] == "孝陵卫街道"
    # units and the hall have no such list
    assert client.get("/api/v1/revisit", headers=as_user("housing_handler")).status_code == 403
    assert client.get("/api/v1/revisit", headers=as_user("operator")).status_code == 403


def test_review_is_recorded_audited_and_counted(client, as_user, org, db) -> None:  # type: ignore[no-untyped-def]
    t = finished(client, as_user, org)
    other = finished(client, as_user, org, title="路灯不亮")
    # only a supervisor reviews, with a conclusion and an opinion
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/review", json=REHANDLE, headers=as_user("dispatcher"))
    assert r.status_code == 409 and r.json()["code"] == "role_not_allowed"
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/review", json={"note": "诉求合理需再办理"},
                    headers=as_user("supervisor"))
    assert (r.status_code, r.json()["code"]) == (422, "conclusion_required")
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/review", json={"conclusion": "unreasonable", "note": "好"},
                    headers=as_user("supervisor"))
    assert (r.status_code, r.json()["code"]) == (422, "note_required")
    out = act(client, as_user, t, "supervisor", "review", **REHANDLE)
    assert out["state"] == "finished" and out["review_conclusion"] == "rehandle"

    page = _list(client, as_user)
    assert (page["period_total"], page["reviewed"], page["not_reviewed"]) == (2, 1, 1)
    reviewed = next(i for i in page["items"] if i["number"] == t["number"])
    assert reviewed["conclusion_label"] == "诉求合理、未解决，需再办理"
    assert reviewed["opinion"] == REHANDLE["note"] and reviewed["reviewer_name"] == "supervisor（12345中心）"
    assert [i["number"] for i in _list(client, as_user, reviewed="false")["items"]] == [other["number"]]
    assert [i["number"] for i in _list(client, as_user, conclusion="rehandle")["items"]] == [t["number"]]

    history = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("supervisor")).json()
    last = history[-1]
    assert (last["action"], last["note"], last["data"]["conclusion"]) == ("review", REHANDLE["note"], "rehandle")
    db.rollback()
    assert db.execute(select(AuditEntry.action, AuditEntry.object_id).where(AuditEntry.action == "revisit_review")
                      ).all() == [("revisit_review", t["number"])]
    reviews = db.execute(select(TicketReview.conclusion, TicketReview.reviewer_name)).all()
    assert reviews == [("rehandle", "supervisor（12345中心）")]
    db.rollback()


def test_rehandle_after_review_opens_a_new_round_and_keeps_the_reopen_rule(client, as_user, org, clock) -> None:  # type: ignore[no-untyped-def]
    t = finished(client, as_user, org)
    # no 再办理 before a review that calls for it
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/rehandle", json={"lead_unit_id": org.units["market"].id},
                    headers=as_user("supervisor"))
    assert (r.status_code, r.json()["code"]) == (409, "review_required")
    act(client, as_user, t, "supervisor", "review", conclusion="handled", note="经审核已依法依规处置到位")
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/rehandle", json={"lead_unit_id": org.units["market"].id},
                    headers=as_user("supervisor"))
    assert (r.status_code, r.json()["code"]) == (409, "review_required")
    clock.advance(timedelta(days=1))
    act(client, as_user, t, "supervisor", "review", **REHANDLE)
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/rehandle", json={}, headers=as_user("supervisor"))
    assert (r.status_code, r.json()["code"]) == (422, "lead_unit_required")
    out = act(client, as_user, t, "supervisor", "rehandle", lead_unit_id=org.units["market"].id)
    assert out["state"] == "dispatched" and out["lead_unit"] == "市市场监管局"
    assert out["reopen_count"] == 2 and out["review_conclusion"] is None
    new_round = [a for a in out["assignments"] if a["is_open"]]
    assert [(a["unit"]["short_name"], a["role"], a["round"]) for a in new_round] == [("市市场监管局", "lead", 4)]
    assert out["due_at"] > t["due_at"]  # its own deadlines, counted from now
    # the unit that gets it is told, with the review's opinion
    inbox = client.get("/api/v1/supervision/notifications", headers=as_user("market_handler")).json()["items"]
    assert any("再办理" in n["title"] and REHANDLE["note"] in (n["body"] or "") for n in inbox)
    assert _list(client, as_user)["period_total"] == 0  # out of the list while it is handled again

    # handled again; an unsatisfied callback still finishes it (reopening stays used up) and it comes back
    handle_and_close(client, as_user, t, "market")
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/reopen", json={"solved": False, "satisfaction": "unsatisfied"},
                    headers=as_user("callback"))
    assert (r.status_code, r.json()["code"]) == (409, "reopen_cap")
    act(client, as_user, t, "callback", "callback", solved=False, satisfaction="unsatisfied")
    page = _list(client, as_user)
    assert [(i["number"], i["conclusion"], i["lead_unit"]) for i in page["items"]] == [
        (t["number"], None, "市市场监管局")]
    assert page["not_reviewed"] == 1


def test_filters_period_unit_and_district_scope(client, as_user, org, clock) -> None:  # type: ignore[no-untyped-def]
    xuanwu = finished(client, as_user, org)
    clock.advance(timedelta(days=3))
    qinhuai = finished(client, as_user, org, unit="market", title="商铺占道经营", address="秦淮区中华路1号",
                       jurisdiction_code="320104")
    assert [i["number"] for i in _list(client, as_user, unit_id=org.units["market"].id)["items"]] == [
        qinhuai["number"]]
    since = qinhuai["finished_at"]
    page = _list(client, as_user, finished_from=since)
    assert [i["number"] for i in page["items"]] == [qinhuai["number"]] and page["period_total"] == 1
    assert [i["number"] for i in _list(client, as_user, finished_to=since)["items"]] == [xuanwu["number"]]
    r = client.get("/api/v1/revisit", params={"finished_from": since, "finished_to": xuanwu["finished_at"]},
                   headers=as_user("supervisor"))
    assert (r.status_code, r.json()["code"]) == (422, "period_invalid")
    # the district's supervisor sees the district's ticket only, and may review it
    page = _list(client, as_user, "xuanwu_viewer")
    assert [i["number"] for i in page["items"]] == [xuanwu["number"]] and page["period_total"] == 1
    r = client.post(f"/api/v1/tickets/{qinhuai['id']}/actions/review", json=REHANDLE, headers=as_user("xuanwu_viewer"))
    assert r.status_code == 403
    act(client, as_user, xuanwu, "xuanwu_viewer", "review", **REHANDLE)


def test_export_is_audited_and_says_the_review(client, as_user, org, db) -> None:  # type: ignore[no-untyped-def]
    t = finished(client, as_user, org)
    act(client, as_user, t, "supervisor", "review", conclusion="not_solvable", note="现行政策不允许，已向诉求人解释")
    r = client.get("/api/v1/revisit.xlsx", headers=as_user("supervisor"))
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("工单编号", "诉求标题")
    assert rows[1][0] == t["number"] and "无法解决（政策不允许）" in rows[1] and "未解决" in rows[1]
    db.rollback()
    assert db.execute(select(AuditEntry.action, AuditEntry.detail).where(AuditEntry.action == "export_revisit")
                      ).all() == [("export_revisit", "回头看：共1张，导出1张")]
    db.rollback()


def test_the_requester_sees_the_rehandling_not_the_review(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    t = finished(client, as_user, org)
    act(client, as_user, t, "supervisor", "review", **REHANDLE)
    act(client, as_user, t, "supervisor", "rehandle", lead_unit_id=org.units["market"].id)
    r = client.post("/api/v1/public/lookup", json={"number": t["number"], "phone_last4": "5678"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["state"] == "dispatched" and out["lead_unit"] == "南京市市场监督管理局"
    assert "再办理" in str(out["timeline"][-1]) and "审核研判" not in str(out["timeline"])
    assert REHANDLE["note"] not in str(out["timeline"])  # the legal adviser's opinion is the staff's


def test_pages_follow_finish_time_then_id_across_a_tie(client, as_user, org, db, clock) -> None:  # type: ignore[no-untyped-def]
    """The list reads a page's ids first (migration 0039's covering index), then their rows: the pages keep the
    order finished_at, then id, also where two tickets finished at the same moment straddle a page break."""
    from hotline.tickets.models import Ticket

    made = [finished(client, as_user, org, title=f"路灯不亮{i}") for i in range(3)]
    first, second, third = sorted(made, key=lambda t: t["id"])
    at = clock.now() + timedelta(hours=1)
    for ticket, finished_at in ((first, at + timedelta(hours=1)), (second, at), (third, at + timedelta(hours=1))):
        db.query(Ticket).filter(Ticket.id == ticket["id"]).update({Ticket.finished_at: finished_at})
    db.commit()
    one, two = (_list(client, as_user, page=p, page_size=2) for p in (1, 2))
    assert [i["number"] for i in one["items"]] == [second["number"], first["number"]]
    assert [i["number"] for i in two["items"]] == [third["number"]]
    assert one["total"] == two["total"] == 3
