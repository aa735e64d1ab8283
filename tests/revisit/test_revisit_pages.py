"""回头看 in the browser: the supervisor's list and counts, the review and 再办理 forms on the ticket page,
the ticket search's callback filters."""

from __future__ import annotations

from sqlalchemy import select

from hotline.security.models import AuditEntry
from tests.revisit.helpers import finished
from tests.test_pages import login, post_page


def test_revisit_page_lists_counts_and_exports(client, as_user, org, db) -> None:  # type: ignore[no-untyped-def]
    t = finished(client, as_user, org)
    finished(client, as_user, org, solved=True, satisfaction="satisfied", reopens=0, title="井盖破损")
    login(client, "supervisor")
    page = client.get("/supervision/revisit")
    assert page.status_code == 200
    assert f'data-number="{t["number"]}"' in page.text and page.text.count('class="revisit-row"') == 1
    assert "本期共 <a" in page.text and "未研判" in page.text
    assert 'href="/supervision/revisit" aria-current="page">回头看</a>' in page.text
    # filtered to the reviewed ones: none yet
    assert 'class="revisit-row"' not in client.get("/supervision/revisit?reviewed=yes").text
    bad = client.get("/supervision/revisit?from=2026-02-30")
    assert "日期无效" in bad.text
    r = client.get("/supervision/revisit.xlsx?reviewed=no")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    db.rollback()
    assert db.execute(select(AuditEntry.detail).where(AuditEntry.action == "export_revisit")).scalars().all() == [
        "回头看：共1张，导出1张"]
    db.rollback()


def test_units_have_no_revisit_page_and_a_district_sees_its_own(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    mine = finished(client, as_user, org)
    theirs = finished(client, as_user, org, unit="market", title="商铺占道经营", address="秦淮区中华路1号",
                      jurisdiction_code="320104")
    login(client, "housing_handler")
    assert client.get("/supervision/revisit").status_code == 403
    client.cookies.clear()
    login(client, "xuanwu_viewer")
    text = client.get("/supervision/revisit").text
    assert f'data-number="{mine["number"]}"' in text and f'data-number="{theirs["number"]}"' not in text


def test_review_then_rehandle_from_the_ticket_page(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    t = finished(client, as_user, org)
    page = f"/tickets/{t['number']}"
    login(client, "supervisor")
    text = client.get(page).text
    assert 'data-action="review"' in text and 'data-action="rehandle"' not in text
    assert "诉求合理、未解决，需再办理" in text  # the conclusions to choose from
    r = post_page(client, page, f"{page}/actions/review", {"conclusion": "rehandle", "note": "好"})
    assert r.status_code == 422 and "研判意见" in r.text
    r = post_page(client, page, f"{page}/actions/review",
                  {"conclusion": "rehandle", "note": "法律顾问意见：诉求合理，问题仍未解决，应再办理"})
    assert r.status_code == 303
    text = client.get(page).text
    assert "研判结论：诉求合理、未解决，需再办理" in text  # on the timeline
    assert 'data-action="rehandle"' in text
    r = post_page(client, page, f"{page}/actions/rehandle", {"lead_unit_id": str(org.units["market"].id),
                                                             "assisting_units_shown": "1"})
    assert r.status_code == 303
    text = client.get(page).text
    assert "「再办理」已完成，工单当前状态：待签收" in text
    detail = client.get(f"/api/v1/tickets/{t['id']}", headers=as_user("supervisor")).json()
    assert detail["state"] == "dispatched" and detail["lead_unit"] == "市市场监管局"


def test_ticket_search_filters_by_the_callback(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    unsolved = finished(client, as_user, org)
    unhappy = finished(client, as_user, org, solved=True, satisfaction="very_unsatisfied", title="路灯不亮")
    happy = finished(client, as_user, org, solved=True, satisfaction="satisfied", reopens=0, title="井盖破损")

    def numbers(**params):  # type: ignore[no-untyped-def]
        r = client.get("/api/v1/tickets", params=params, headers=as_user("supervisor"))
        assert r.status_code == 200, r.text
        return {i["number"] for i in r.json()["items"]}

    assert numbers(solved="false") == {unsolved["number"]}
    assert numbers(solved="true") == {unhappy["number"], happy["number"]}
    assert numbers(satisfaction=["unsatisfied", "very_unsatisfied"]) == {unsolved["number"], unhappy["number"]}
    assert numbers(satisfaction="satisfied", solved="true") == {happy["number"]}
    r = client.get("/api/v1/tickets", params={"satisfaction": "meh"}, headers=as_user("supervisor"))
    assert r.status_code == 422
    login(client, "supervisor")
    text = client.get("/tickets?satisfaction=unsatisfied_any").text
    assert unsolved["number"] in text and unhappy["number"] in text and happy["number"] not in text
    text = client.get("/tickets?solved=no").text
    assert unsolved["number"] in text and unhappy["number"] not in text
    assert 'value="unsatisfied_any" selected' in client.get("/tickets?satisfaction=unsatisfied_any").text
