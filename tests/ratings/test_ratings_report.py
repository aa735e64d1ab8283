"""The report's 好差评 section: figures, the spread over the five levels, by unit and by district, in scope;
and the CSV/Excel/PDF renderers carry the new tables like the others."""

from __future__ import annotations

import io

from openpyxl import load_workbook


def _tables(body: dict) -> dict[str, dict]:
    return {t["key"]: t for t in body["tables"]}


def test_report_counts_ratings_of_the_period(client, as_user, org, rated) -> None:
    rated("housing", "very_unsatisfied", "没解决")
    rated("housing", "satisfied")
    rated("market", "unsatisfied", jurisdiction_code="320104", address="秦淮区中华路1号")
    rated("market", "very_satisfied", jurisdiction_code="320104", address="秦淮区中华路2号")
    followed = client.get("/api/v1/ratings/bad", params={"unit_id": org.units["housing"].id},
                          headers=as_user("supervisor")).json()["items"][0]
    r = client.post(f"/api/v1/ratings/bad/{followed['ticket_id']}/followups", headers=as_user("supervisor"),
                    json={"conclusion": "not_factual", "note": "现场核查噪音已消除，评价与事实不符"})
    assert r.status_code == 201, r.text

    body = client.get("/api/v1/reports/2026-11", headers=as_user("analyst")).json()
    figures = {f["label"]: (f["value"], f["hint"]) for f in body["figures"]}
    assert figures["好评率"] == ("50.0%", "公众评价 4 件") and figures["差评"] == ("2", "已核实 1 件")
    assert figures["满意率"][0] == "—"  # the callback's rate is its own: no callbacks here
    tables = _tables(body)
    assert [r[:2] for r in tables["rating"]["rows"]] == [["非常满意", 1], ["满意", 1], ["基本满意", 0], ["不满意", 1],
                                                         ["非常不满意", 1]]
    assert tables["rating"]["rows"][4][3] == "差评" and "不计入考核" in tables["rating"]["note"]
    assert tables["rating_unit"]["rows"] == [["市房产局", 2, 1, 1, "50.0%"], ["市市场监管局", 2, 1, 1, "50.0%"]]
    assert tables["rating_district"]["rows"] == [["玄武区", 2, 1, 1, "50.0%"], ["秦淮区", 2, 1, 1, "50.0%"]]
    assert any("好评率 50.0%，差评 2 件（已核实 1 件）" in line for line in body["summary"])

    # a district's supervisor: its district's ratings only
    mine = client.get("/api/v1/reports/2026-11", headers=as_user("xuanwu_viewer")).json()
    assert {f["label"]: f["value"] for f in mine["figures"]}["差评"] == "1"
    assert _tables(mine)["rating_district"]["rows"] == [["玄武区", 2, 1, 1, "50.0%"]]
    # a month before any rating: "—", not 0%
    october = client.get("/api/v1/reports/2026-10", headers=as_user("analyst")).json()
    assert {f["label"]: f["value"] for f in october["figures"]}["好评率"] == "—"

    csv = client.get("/api/v1/reports/2026-11/tables/rating_unit.csv", headers=as_user("analyst"))
    assert csv.status_code == 200 and "市房产局,2,1,1,50.0%" in csv.text
    xlsx = client.get("/api/v1/reports/2026-11/file", params={"format": "xlsx"}, headers=as_user("analyst"))
    assert xlsx.status_code == 200 and any("好差评" in n for n in load_workbook(io.BytesIO(xlsx.content)).sheetnames)
    pdf = client.get("/api/v1/reports/2026-11/file", params={"format": "pdf"}, headers=as_user("analyst"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
