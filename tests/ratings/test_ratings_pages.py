"""好差评 in the pages: 督办 › 差评核实 (filters, the follow-up form, Excel), the search's 公众评价 filter,
the ticket page's comment and follow-ups, and the dashboard's figures."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from tests.test_pages import login, post_page


def test_bad_ratings_page_records_follow_ups(client, as_user, org, rated) -> None:
    noisy = rated("housing", "very_unsatisfied", "答复敷衍")
    shop = rated("market", "unsatisfied")
    rated("market", "satisfied")
    login(client, "supervisor")
    page = client.get("/supervision/ratings")
    assert page.status_code == 200 and "差评核实" in page.text and 'aria-current="page">差评核实' in page.text
    assert page.text.count('class="rating-row"') == 2 and "答复敷衍" in page.text and "待核实" in page.text
    only = client.get("/supervision/ratings", params={"unit": org.units["housing"].id}).text
    assert noisy["number"] in only and shop["number"] not in only
    assert "暂无差评" in client.get("/supervision/ratings", params={"period": "2026-10"}).text
    assert "未按周期筛选" in client.get("/supervision/ratings", params={"period": "2026-13"}).text

    base = f"/supervision/ratings?unit={org.units['housing'].id}"
    action = f"/supervision/ratings/{noisy['id']}/followups"
    r = post_page(client, base, f"{action}?unit={org.units['housing'].id}", {"conclusion": "", "note": "太短"})
    assert r.status_code == 422 and "核实结论" in r.text and "核实说明" in r.text
    assert shop["number"] not in r.text  # the list as it was filtered
    r = post_page(client, base, f"{action}?unit={org.units['housing'].id}",
                  {"conclusion": "fixed", "note": "单位已整改，复查达标"})
    assert r.status_code == 303 and r.headers["location"] == base
    done = client.get(base).text
    assert "已记录差评核实情况" in done and "已核实整改" in done and "单位已整改，复查达标" in done
    assert noisy["number"] not in client.get("/supervision/ratings", params={"followed": "0"}).text
    ticket = client.get(f"/tickets/{noisy['number']}").text
    assert "非常不满意：答复敷衍" in ticket and "差评核实：已核实整改" in ticket

    export = client.get("/supervision/ratings.xlsx", params={"followed": "1"})
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [noisy["number"]]

    # an analyst reads the list, without the form; a unit's staff not at all
    login(client, "analyst")
    listing = client.get("/supervision/ratings").text
    assert "rating-row" in listing and "记录核实情况" not in listing
    r = post_page(client, "/supervision/ratings", action, {"conclusion": "fixed", "note": "单位已整改，复查达标"})
    assert r.status_code == 403
    login(client, "housing_manager")
    assert client.get("/supervision/ratings").status_code == 403


def test_search_filters_by_rating_and_dashboard_shows_good_rate(client, as_user, rated) -> None:
    bad = rated("housing", "unsatisfied")
    good = rated("housing", "very_satisfied")
    login(client, "supervisor")
    page = client.get("/tickets", params={"rating": "bad"}).text
    assert bad["number"] in page and good["number"] not in page
    assert re.search(r'<option value="bad" selected>差评', page)
    assert good["number"] in client.get("/tickets", params={"rating": "good"}).text
    assert bad["number"] in client.get("/tickets", params={"rating": "nonsense"}).text  # dropped, not refused
    dash = client.get("/dashboard").text
    assert "50.0%" in dash and "本月好评率（公众评价 2 件）" in dash and "本月差评待核实（差评 1 件）" in dash
    assert "/supervision/ratings?period=2026-11&amp;followed=0" in dash
