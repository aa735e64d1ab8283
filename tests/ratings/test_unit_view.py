"""本单位差评: a handling unit's staff read the 差评 of the tickets their unit led, with the centre's follow-ups —
through the API (the 差评核实 list, cut to their unit) and the page /unit/ratings reached from the workbench —
never another unit's, never the requester's name or phone unmasked."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from hotline.security.models import AuditEntry
from tests.test_pages import login

NAME, PHONE = "张三", "13912345678"  # the requester of tests.factories.intake


def _numbers(r) -> list[str]:  # type: ignore[no-untyped-def]
    assert r.status_code == 200, r.text
    return [i["ticket_number"] for i in r.json()["items"]]


def test_a_unit_reads_its_own_bad_ratings_over_the_api(client, as_user, org, rated, db) -> None:  # type: ignore[no-untyped-def]
    noisy = rated("housing", "very_unsatisfied", "答复敷衍，噪音依旧")
    shop = rated("market", "unsatisfied", "商家仍然缺斤少两")
    rated("housing", "satisfied", "处理及时")  # 好评: on nobody's 差评 list

    for persona in ("housing_handler", "housing_manager"):
        assert _numbers(client.get("/api/v1/ratings/bad", headers=as_user(persona))) == [noisy["number"]]
    assert _numbers(client.get("/api/v1/ratings/bad", headers=as_user("market_manager"))) == [shop["number"]]
    # another unit's id as a filter finds nothing (a unit's list is its own, as its supervision orders are)
    other = client.get("/api/v1/ratings/bad", params={"unit_id": org.units["market"].id},
                       headers=as_user("housing_handler"))
    assert _numbers(other) == [] and other.json()["total"] == 0
    assert _numbers(client.get("/api/v1/ratings/bad", headers=as_user("street_handler"))) == []
    item = client.get("/api/v1/ratings/bad", headers=as_user("housing_handler")).json()["items"][0]
    assert (item["comment"], item["unit_name"], item["followed_up"]) == ("答复敷衍，噪音依旧", "市房产局", False)
    assert NAME not in str(item) and PHONE not in str(item)

    # the follow-up stays the centre's: a unit reads it, cannot record one
    note = {"conclusion": "contacted", "note": "已电话联系诉求人，约定再次上门检测"}
    url = f"/api/v1/ratings/bad/{noisy['id']}/followups"
    assert client.post(url, json=note, headers=as_user("housing_manager")).status_code == 403
    assert client.post(url, json=note, headers=as_user("supervisor")).status_code == 201
    followed = client.get("/api/v1/ratings/bad", params={"followed_up": True}, headers=as_user("housing_handler"))
    assert _numbers(followed) == [noisy["number"]]
    assert followed.json()["items"][0]["followups"][0]["conclusion_label"] == "已联系诉求人"

    s = client.get("/api/v1/ratings/summary", params={"period": "2026-11"}, headers=as_user("housing_handler")).json()
    assert (s["rated"], s["good"], s["bad"], s["bad_open"], s["good_rate"]) == (2, 1, 1, 0, 50.0)
    s = client.get("/api/v1/ratings/summary", params={"period": "2026-11"}, headers=as_user("market_handler")).json()
    assert (s["rated"], s["bad"], s["bad_open"]) == (1, 1, 1)

    r = client.get("/api/v1/ratings/bad.xlsx", headers=as_user("housing_handler"))
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [noisy["number"]] and rows[1][7] == "已联系诉求人"
    assert not any(PHONE in str(v) or NAME in str(v) for row in rows for v in row)
    db.rollback()
    exported = db.execute(select(AuditEntry.username, AuditEntry.detail)
                          .where(AuditEntry.action == "export_bad_ratings")).all()
    assert [tuple(e) for e in exported] == [("housing_handler", "共1条差评，导出1条")]
    db.rollback()


def test_the_unit_page_is_reached_from_the_workbench(client, as_user, org, rated) -> None:  # type: ignore[no-untyped-def]
    noisy = rated("housing", "very_unsatisfied", "答复敷衍")
    shop = rated("market", "unsatisfied", "缺斤少两")
    login(client, "housing_handler")
    bench = client.get("/unit").text
    assert 'href="/unit/ratings" data-stat="bad-ratings"><span class="stat-n">1</span>' in bench
    assert 'href="/unit/ratings"' in bench and "本单位差评" in bench

    page = client.get("/unit/ratings")
    assert page.status_code == 200 and "<h1>本单位差评</h1>" in page.text
    assert page.text.count('class="rating-row"') == 1 and noisy["number"] in page.text and "答复敷衍" in page.text
    assert shop["number"] not in page.text and "待核实" in page.text
    assert "记录核实情况" not in page.text and 'name="unit"' not in page.text  # read only, no unit filter
    assert PHONE not in page.text and NAME not in page.text
    # a unit filter in the address does not open another unit's list
    assert shop["number"] not in client.get("/unit/ratings", params={"unit": org.units["market"].id}).text
    assert "暂无差评" in client.get("/unit/ratings", params={"period": "2026-10"}).text
    assert "未按周期筛选" in client.get("/unit/ratings", params={"period": "2026-13"}).text
    # the ticket behind it shows the requester masked, as to any unit no longer handling it
    ticket = client.get(f"/tickets/{noisy['number']}").text
    assert PHONE not in ticket and "139****5678" in ticket

    export = client.get("/unit/ratings.xlsx")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [noisy["number"]]

    login(client, "supervisor")
    assert client.post(f"/api/v1/ratings/bad/{noisy['id']}/followups",
                       json={"conclusion": "fixed", "note": "单位已整改，复查达标"},
                       headers=as_user("supervisor")).status_code == 201
    assert client.get("/unit/ratings").status_code == 403  # the centre has its own list
    login(client, "housing_manager")
    done = client.get("/unit/ratings").text
    assert "已核实整改" in done and "单位已整改，复查达标" in done
    assert "本单位暂无差评" in client.get("/unit/ratings", params={"followed": "0"}).text
    login(client, "street_handler")
    empty = client.get("/unit/ratings").text
    assert "本单位暂无差评" in empty and "导出Excel" not in empty
    assert '<span class="stat-n">0</span><span class="stat-l">本单位差评' in client.get("/unit").text
