"""好差评 through the API: the 差评 list in scope with its filters, the follow-up (audited), the Excel
export, the summary, and the ticket search by rating."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from hotline.security.models import AuditEntry
from tests.factories import intake


def _numbers(body: dict) -> list[str]:
    return [r["ticket_number"] for r in body["items"]]


def test_bad_ratings_listed_followed_up_and_exported(client, as_user, org, rated, db) -> None:
    noisy = rated("housing", "very_unsatisfied", "答复敷衍，噪音依旧")
    shop = rated("market", "unsatisfied", None, jurisdiction_code="320104", address="秦淮区中华路1号")
    rated("housing", "basically_satisfied", "还行")  # 好评: not on the list

    r = client.get("/api/v1/ratings/bad", headers=as_user("supervisor"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 2 and _numbers(body) == [shop["number"], noisy["number"]]  # newest rating first
    first = body["items"][1]
    assert (first["rating_label"], first["comment"], first["unit_name"], first["followed_up"]) == (
        "非常不满意", "答复敷衍，噪音依旧", "市房产局", False)
    assert _numbers(client.get("/api/v1/ratings/bad", params={"unit_id": org.units["market"].id},
                               headers=as_user("supervisor")).json()) == [shop["number"]]
    assert client.get("/api/v1/ratings/bad", params={"period": "2026-10"},
                      headers=as_user("supervisor")).json()["total"] == 0
    assert client.get("/api/v1/ratings/bad", params={"period": "2026-11"},
                      headers=as_user("supervisor")).json()["total"] == 2
    bad = client.get("/api/v1/ratings/bad", params={"period": "十一月"}, headers=as_user("supervisor"))
    assert bad.status_code == 422 and "2026-10" in bad.json()["message"]
    # a district's supervisor sees its district's only; a unit's staff their own unit's (test_unit_view.py)
    assert _numbers(client.get("/api/v1/ratings/bad", headers=as_user("xuanwu_viewer")).json()) == [noisy["number"]]
    assert _numbers(client.get("/api/v1/ratings/bad", headers=as_user("housing_manager")).json()) == [noisy["number"]]

    url = f"/api/v1/ratings/bad/{noisy['id']}/followups"
    note = {"conclusion": "contacted", "note": "已电话联系诉求人，说明整改安排"}
    assert client.post(url, json=note, headers=as_user("dispatcher")).status_code == 403
    short = client.post(url, json={"conclusion": "fixed", "note": "好"}, headers=as_user("supervisor"))
    assert short.status_code == 422 and "核实说明" in short.json()["message"]
    wrong = client.post(url, json={"conclusion": "maybe", "note": "已电话联系诉求人"}, headers=as_user("supervisor"))
    assert wrong.status_code == 422 and "已核实整改" in wrong.json()["message"]
    good = rated("market", "satisfied")
    r = client.post(f"/api/v1/ratings/bad/{good['id']}/followups", json=note, headers=as_user("supervisor"))
    assert r.status_code == 409 and "没有差评" in r.json()["message"]
    r = client.post(f"/api/v1/ratings/bad/{shop['id']}/followups", json=note, headers=as_user("xuanwu_viewer"))
    assert r.status_code == 404  # another district's ticket reads as missing
    r = client.post(url, json=note, headers=as_user("supervisor"))
    assert r.status_code == 201 and r.json()["conclusion_label"] == "已联系诉求人"
    assert r.json()["by_name"] == "supervisor（12345中心）"
    fixed = {"conclusion": "fixed", "note": "单位已更换设备，复测达标"}
    r = client.post(url, json=fixed, headers=as_user("supervisor"))
    assert r.status_code == 201

    followed = client.get("/api/v1/ratings/bad", params={"followed_up": True}, headers=as_user("analyst")).json()
    assert _numbers(followed) == [noisy["number"]]
    assert [f["conclusion_label"] for f in followed["items"][0]["followups"]] == ["已联系诉求人", "已核实整改"]
    assert _numbers(client.get("/api/v1/ratings/bad", params={"followed_up": False},
                               headers=as_user("analyst")).json()) == [shop["number"]]
    db.rollback()
    trail = db.execute(select(AuditEntry).where(AuditEntry.action == "rating_followup")
                       .order_by(AuditEntry.id)).scalars().all()
    assert [(a.username, a.object_id) for a in trail] == [("supervisor", noisy["number"])] * 2
    assert "已核实整改" in trail[1].detail
    db.rollback()  # SQLite: the read ends before the app writes

    r = client.get("/api/v1/ratings/bad.xlsx", headers=as_user("analyst"))
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("工单编号", "诉求标题", "工单状态", "评价") and len(rows) == 3
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number[noisy["number"]][7:9] == ("已核实整改", "单位已更换设备，复测达标")
    assert by_number[noisy["number"]][11] == 2 and by_number[shop["number"]][7] == "待核实"
    db.rollback()
    assert db.execute(select(AuditEntry.detail).where(AuditEntry.action == "export_bad_ratings")).scalar_one() == (
        "共2条差评，导出2条")
    db.rollback()

    s = client.get("/api/v1/ratings/summary", params={"period": "2026-11"}, headers=as_user("supervisor")).json()
    assert s == {"period": "2026-11", "rated": 4, "good": 2, "bad": 2, "bad_open": 1, "good_rate": 50.0}


def test_ticket_search_by_rating(client, as_user, rated) -> None:
    bad = rated("housing", "unsatisfied", "没解决")
    good = rated("market", "very_satisfied")
    unrated = client.post("/api/v1/tickets", headers=as_user("operator"),
                          json=intake()).json()

    def found(rating: str) -> set[str]:
        r = client.get("/api/v1/tickets", params={"rating": rating}, headers=as_user("supervisor"))
        assert r.status_code == 200, r.text
        return {t["number"] for t in r.json()["items"]}

    assert found("bad") == {bad["number"]} and found("good") == {good["number"]}
    assert found("rated") == {bad["number"], good["number"]} and found("unrated") == {unrated["number"]}
    assert found("very_satisfied") == {good["number"]} and found("satisfied") == set()
    r = client.get("/api/v1/tickets", params={"rating": "bad"}, headers=as_user("supervisor"))
    assert r.json()["items"][0]["public_rating"] == "unsatisfied"
    wrong = client.get("/api/v1/tickets", params={"rating": "terrible"}, headers=as_user("supervisor"))
    assert wrong.status_code == 422 and "公众评价" in wrong.json()["message"] and "差评" in wrong.json()["message"]
    # the export holds the rating, and filters as the list does
    r = client.get("/api/v1/exports/tickets.xlsx", params={"rating": "bad"}, headers=as_user("supervisor"))
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][-1] == "公众评价" and [(row[0], row[-1]) for row in rows[1:]] == [(bad["number"], "不满意")]
    detail = client.get(f"/api/v1/tickets/{bad['id']}", headers=as_user("supervisor")).json()
    assert (detail["public_rating"], detail["public_comment"]) == ("unsatisfied", "没解决")


def test_a_followup_note_is_counted_without_its_spaces(client, as_user, rated) -> None:
    """核实说明 needs 5 characters: spaces around one character passed the check and were stripped when
    stored, leaving a one-character note (QA)."""
    noisy = rated("housing", "very_unsatisfied", "噪音仍然存在")
    url = f"/api/v1/ratings/bad/{noisy['id']}/followups"
    padded = client.post(url, json={"conclusion": "fixed", "note": "     好"}, headers=as_user("supervisor"))
    assert padded.status_code == 422 and "核实说明" in padded.json()["message"]
    kept = client.post(url, json={"conclusion": "fixed", "note": "  单位已整改完毕  "}, headers=as_user("supervisor"))
    assert kept.status_code == 201 and kept.json()["note"] == "单位已整改完毕"
