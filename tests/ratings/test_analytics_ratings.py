"""好差评 on the analysis pages (/analytics/ratings) and /api/analytics/ratings: 好评率 and 差评 by unit and by
month, from the ratings package's own queries, in the reader's data scope."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from tests.test_pages import login


def _ratings(client, as_user, persona="analyst", **params):  # type: ignore[no-untyped-def]
    r = client.get("/api/analytics/ratings", params=params, headers=as_user(persona))
    assert r.status_code == 200, r.text
    return r.json()


def test_ratings_by_unit_and_month(client, as_user, org, rated, clock) -> None:  # type: ignore[no-untyped-def]
    assert _ratings(client, as_user)["items"] == []  # nothing rated yet: no month either
    rated("housing", "very_unsatisfied", "噪音依旧")
    rated("housing", "satisfied")
    rated("market", "very_satisfied", jurisdiction_code="320104", address="秦淮区中华路1号")
    clock.advance(timedelta(days=31))  # into December
    rated("housing", "unsatisfied")
    rated("market", "unsatisfied", jurisdiction_code="320104", address="秦淮区中华路1号")
    rated("market", "basically_satisfied", jurisdiction_code="320104", address="秦淮区中华路1号")

    body = _ratings(client, as_user)
    assert body["total"] == {"rated": 6, "good": 3, "bad": 3, "good_rate": 50.0, "bad_open": 3}
    units = [(i["label"], i["rated"], i["good"], i["bad"], i["good_rate"], i["bad_open"]) for i in body["items"]]
    assert units == [("市房产局", 3, 1, 2, 33.3, 2), ("市市场监管局", 3, 2, 1, 66.7, 1)]  # most 差评 first

    months = _ratings(client, as_user, by="month")
    assert [(i["key"], i["rated"], i["bad"], i["good_rate"]) for i in months["items"]] == [
        ("2026-11", 3, 1, 66.7), ("2026-12", 3, 2, 33.3)]
    december = _ratings(client, as_user, by="month", since="2026-12-01", until="2026-12-31")
    assert [i["key"] for i in december["items"]] == ["2026-12"] and december["total"]["rated"] == 3
    # December: one 差评 each, the unit with more ratings first
    assert [i["label"] for i in _ratings(client, as_user, since="2026-12-01")["items"]] == ["市市场监管局", "市房产局"]
    assert _ratings(client, as_user, since="2027-01-01")["total"]["rated"] == 0
    # a period reaching past today ends with this month: the months to come are not months without a rating
    ahead = _ratings(client, as_user, by="month", since="2026-11-01", until="2027-03-31")
    assert [i["key"] for i in ahead["items"]] == ["2026-11", "2026-12"]

    # a district's supervisor: its district's ratings only (玄武区: the housing bureau's tickets)
    mine = _ratings(client, as_user, "xuanwu_viewer")
    assert [i["label"] for i in mine["items"]] == ["市房产局"] and mine["total"]["rated"] == 3

    bad = client.get("/api/analytics/ratings", params={"by": "district"}, headers=as_user("analyst"))
    assert bad.status_code == 422 and "承办单位" in bad.json()["message"] and "月份" in bad.json()["message"]
    wrong = client.get("/api/analytics/ratings", params={"since": "2026-12-31", "until": "2026-12-01"},
                       headers=as_user("analyst"))
    assert wrong.status_code == 422 and "结束日期不能早于开始日期" in wrong.json()["message"]
    assert client.get("/api/analytics/ratings", headers=as_user("housing_manager")).status_code == 403

    r = client.get("/api/analytics/ratings", params={"by": "unit", "format": "xlsx"}, headers=as_user("analyst"))
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("承办单位", "评价", "好评", "差评", "好评率", "差评待核实")
    # the rate a number shown in per cent, as every export writes rates (it wrote 33.3 under 好评率)
    assert rows[1] == ("市房产局", 3, 1, 2, 0.3333, 2)
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet["E2"].number_format == "0.0%" and sheet["E2"].data_type == "n"
    csv = client.get("/api/analytics/ratings", params={"by": "month", "format": "csv"}, headers=as_user("analyst"))
    assert csv.content.decode("utf-8-sig").splitlines()[1:] == ["2026-11,3,2,1,66.7,1", "2026-12,3,1,2,33.3,2"]


def test_ratings_page(client, rated, clock) -> None:  # type: ignore[no-untyped-def]
    login(client, "analyst")
    empty = client.get("/analytics/ratings")
    assert empty.status_code == 200 and "所选时间段内没有公众评价" in empty.text
    assert 'aria-current="page">好差评</a>' in empty.text
    rated("housing", "very_unsatisfied", "噪音依旧")
    rated("housing", "satisfied")
    clock.advance(timedelta(days=31))
    rated("market", "very_satisfied", jurisdiction_code="320104", address="秦淮区中华路1号")
    page = client.get("/analytics/ratings").text
    assert '<span class="stat-n" data-figure="good_rate">66.7%</span>' in page
    assert '<span class="stat-n" data-figure="bad">1</span>' in page
    assert page.index("市房产局") < page.index("市市场监管局") and page.count('class="rating-month"') == 2
    assert "差评走势（按月）" in page and "/api/analytics/ratings?by=unit&amp;format=xlsx" in page
    only = client.get("/analytics/ratings", params={"since": "2026-12-01"}).text
    assert only.count('class="rating-month"') == 1 and "市房产局" not in only and "since=2026-12-01" in only
    assert "所选时间段内没有公众评价" in client.get("/analytics/ratings", params={"until": "2026-10-31"}).text
    assert "日期格式应为" in client.get("/analytics/ratings", params={"since": "十二月"}).text
