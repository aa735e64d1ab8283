"""The maintenance report's pages, Excel exports and API: what each role sees, the figures on the
page and in the workbook (read back with openpyxl), the empty state and a refused period."""

from __future__ import annotations

import re
from collections.abc import Callable
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from hotline.clock import FixedClock
from hotline.knowledge import export, maintenance
from hotline.knowledge.models import Article
from hotline.runtime import Runtime
from tests.factories import Org
from tests.knowledge.test_maintenance import build
from tests.test_pages import login


def _row(page: str, unit: int | str) -> list[str]:
    """The cells of one unit's row (or the totals row) as text."""
    row = page.split(f'data-unit="{unit}"')[1].split("</tr>")[0]
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]


def _sheet(body: bytes) -> list[list[object]]:
    ws = load_workbook(BytesIO(body)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_centre_sees_every_unit_with_totals_and_exports_them(client: TestClient, db: Session, rt: Runtime,
                                                             clock: FixedClock, org: Org,
                                                             publish: Callable[..., Article]) -> None:
    build(db, rt, clock, org, publish)
    login(client, "supervisor")
    for page in ("/kb", "/kb/articles"):
        assert 'href="/kb/maintenance"' in client.get(page).text  # the tab on the home and list pages
    r = client.get("/kb/maintenance")
    assert r.status_code == 200
    assert "2026-10-04 至 2026-11-02（30 天）" in r.text
    housing, market = org.units["housing"].id, org.units["market"].id
    # 单位 条目 已发布 待审核 草稿 已退回 已失效 已撤销 在用 到期 已过期 政策变化 本期更新 本期纠错 本期答复纠错
    # 待答复纠错 最早待答复 本期答复次数 累计答复
    cells = _row(r.text, housing)
    assert cells[:16] == ["市房产局", "8", "3", "1", "1", "0", "2", "1", "3", "1", "2", "1", "2", "2",
                          "1（采纳 1）", "2"]
    assert cells[16] == "2026-09-28 10:00" and cells[17:] == ["3", "2"]
    assert _row(r.text, market)[0] == "市市场监管局" and _row(r.text, market)[17] == "3"
    totals = _row(r.text, "total")
    assert totals[0] == "合计（2 个单位）" and totals[1] == "9" and totals[17] == "6"
    assert f'href="/kb/maintenance/units/{housing}?from=2026-10-04&amp;to=2026-11-02"' in r.text

    # A shorter period, and the export of the same figures.
    r = client.get("/kb/maintenance", params={"from": "2026-10-31", "to": "2026-11-02"})
    assert "2026-10-31 至 2026-11-02（3 天）" in r.text and _row(r.text, housing)[12] == "0"
    x = client.get("/kb/maintenance/export.xlsx", params={"from": "2026-10-04", "to": "2026-11-02"})
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in x.headers["content-disposition"]
    rows = _sheet(x.content)
    assert rows[0][:3] == ["单位", "条目合计", "已发布"] and rows[0][-2:] == ["本期接诉即答引用", "累计答复次数"]
    assert rows[1][:4] == ["市房产局", 8, 3, 1] and rows[1][-2:] == [3, 2] and rows[1][18] == "2026-09-28 10:00"
    assert rows[2][0] == "市市场监管局" and rows[3][0] == "合计" and rows[3][1] == 9 and rows[3][-2] == 6
    assert len(rows) == 4

    # The drill-down: every article of the unit, and its export.
    r = client.get(f"/kb/maintenance/units/{housing}")
    assert r.status_code == 200 and "市房产局 · 知识维护明细" in r.text
    keys = re.findall(r'<tr data-key="([^"]+)"', r.text)
    assert keys[:2] == ["H-A7", "H-A1"] and sorted(keys) == [f"H-A{i}" for i in range(1, 9)]
    r = client.get(f"/kb/maintenance/units/{housing}", params={"status": "expired", "sort": "key"})
    assert re.findall(r'<tr data-key="([^"]+)"', r.text) == ["H-A2", "H-A5"]
    x = client.get(f"/kb/maintenance/units/{housing}/export.xlsx", params={"sort": "answers"})
    rows = _sheet(x.content)
    assert rows[0][0] == "编号" and len(rows) == 9
    assert (rows[1][0], rows[1][2], rows[1][-2], rows[1][-1]) == ("H-A1", "已发布", 2, 2)
    assert (rows[2][0], rows[2][-2]) == ("H-A7", 1)
    assert client.get(f"/kb/maintenance/units/{market}").status_code == 200


def test_a_unit_sees_its_own_unit_only(client: TestClient, db: Session, rt: Runtime, clock: FixedClock, org: Org,
                                       publish: Callable[..., Article]) -> None:
    build(db, rt, clock, org, publish)
    login(client, "market_handler")
    r = client.get("/kb/maintenance")
    assert r.status_code == 200 and "（本单位）" in r.text
    assert "市市场监管局" in r.text and "市房产局" not in r.text and 'data-unit="total"' not in r.text
    assert _row(r.text, org.units["market"].id)[17] == "3"
    assert client.get(f"/kb/maintenance/units/{org.units['housing'].id}").status_code == 403
    assert client.get(f"/kb/maintenance/units/{org.units['housing'].id}/export.xlsx").status_code == 403
    rows = _sheet(client.get("/kb/maintenance/export.xlsx").content)
    assert [r[0] for r in rows] == ["单位", "市市场监管局"]


def test_refused_roles_empty_state_and_bad_period(client: TestClient) -> None:
    login(client, "operator")
    assert client.get("/kb/maintenance").status_code == 403
    client.cookies.clear()
    login(client, "xuanwu_viewer")  # a supervisor outside the 12345 centre: neither reviewer nor a unit
    r = client.get("/kb/maintenance")
    assert r.status_code == 403 and "知识维护报告" in r.text
    client.cookies.clear()
    login(client, "admin")
    r = client.get("/kb/maintenance")
    assert r.status_code == 200 and "知识库还没有条目" in r.text
    r = client.get("/kb/maintenance", params={"from": "2026-11-05", "to": "2026-11-01"})
    assert r.status_code == 422 and "起始日期不能晚于结束日期" in r.text and "（30 天）" in r.text
    assert client.get("/kb/maintenance", params={"from": "not-a-date"}).status_code == 200
    client.cookies.clear()
    login(client, "water_handler")
    r = client.get(f"/kb/maintenance/units/{0}")
    assert r.status_code == 403


def test_api(client: TestClient, db: Session, rt: Runtime, clock: FixedClock, org: Org,
             publish: Callable[..., Article], as_user) -> None:  # type: ignore[no-untyped-def]
    build(db, rt, clock, org, publish)
    housing, market = org.units["housing"].id, org.units["market"].id
    r = client.get("/api/v1/kb/maintenance", headers=as_user("editor"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["period_from"], body["period_to"], body["all_units"]) == ("2026-10-04", "2026-11-02", True)
    units = {u["unit_id"]: u for u in body["units"]}
    assert (units[housing]["total"], units[housing]["answers"], units[housing]["past_expiry"],
            units[housing]["reports_open"]) == (8, 3, 2, 2)
    assert body["totals"]["answers"] == 6
    r = client.get("/api/v1/kb/maintenance", params={"from": "2026-11-03", "to": "2026-11-03"},
                   headers=as_user("housing_manager"))
    assert [(u["unit_id"], u["answers"]) for u in r.json()["units"]] == [(housing, 1)]
    assert client.get("/api/v1/kb/maintenance", params={"from": "2026-11-05", "to": "2026-11-01"},
                      headers=as_user("editor")).status_code == 422
    assert client.get("/api/v1/kb/maintenance", headers=as_user("operator")).status_code == 403
    r = client.get(f"/api/v1/kb/maintenance/units/{housing}", params={"sort": "answers", "page_size": 2},
                   headers=as_user("housing_handler"))
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 8 and [(i["key"], i["answers"]) for i in page["items"]] == [("H-A1", 2), ("H-A7", 1)]
    assert page["items"][0]["status_label"] == "已发布"
    assert client.get(f"/api/v1/kb/maintenance/units/{market}",
                      headers=as_user("housing_handler")).status_code == 403
    assert client.get("/api/v1/kb/maintenance/units/999999", headers=as_user("admin")).status_code == 404


def test_an_export_cut_at_its_limit_says_so(client: TestClient, db: Session, rt: Runtime, clock: FixedClock, org: Org,
                                            publish: Callable[..., Article], monkeypatch: pytest.MonkeyPatch) -> None:
    build(db, rt, clock, org, publish)
    monkeypatch.setattr(maintenance, "MAX_ROWS", 3)
    login(client, "supervisor")
    rows = _sheet(client.get(f"/kb/maintenance/units/{org.units['housing'].id}/export.xlsx").content)
    assert len(rows) == 5 and rows[-1][0] == "仅导出前 3 条（共 8 条），请缩小筛选范围后分批导出"
    monkeypatch.setattr(export, "MAX_ROWS", 2)
    rows = _sheet(client.get("/kb/articles/export.xlsx").content)
    assert len(rows) == 4 and rows[-1][0].startswith("仅导出前 2 条（共 ")
