"""The audit log's filters and its Excel export (QA8 D15): a date that cannot be read or a reversed
range is said, never silently ignored; the export holds what the page lists and is itself audited."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from hotline.security import audit, audit_export
from hotline.security.models import AuditEntry
from tests.conftest import START
from tests.test_pages import login


def seed(db, org) -> None:  # type: ignore[no-untyped-def]
    """Three entries: two user creations by the administrator on 2 November, a reset the day before."""
    boss = org.actor("admin")
    audit.record(db, actor=boss, at=START, action="create_user", object_type="user", object_id="al-one",
                 detail="角色：话务员；所属单位：12345中心；数据范围：全部")
    audit.record(db, actor=boss, at=START, action="create_user", object_type="user", object_id="al-two",
                 detail="=HYPERLINK(\"x\")")  # stays text in the sheet
    audit.record(db, actor=boss, at=START - timedelta(days=1), action="reset_password", object_type="user",
                 object_id="al-one")
    db.commit()


def test_bad_dates_on_the_page_are_said_and_list_nothing(client, db, org) -> None:
    seed(db, org)
    login(client, "admin")
    for value in ("garbage", "2026-13-45"):
        page = client.get("/admin/audit", params={"from": value})
        assert page.status_code == 422, value
        assert f"「日期从」“{value}”不是有效日期" in page.text and "未列出记录" in page.text
        assert "audit-row" not in page.text and "导出 Excel" not in page.text
        assert f'value="{value}"' in page.text  # kept to correct
    page = client.get("/admin/audit", params={"to": "2026-02-30"})
    assert page.status_code == 422 and "「至」“2026-02-30”不是有效日期" in page.text
    reversed_ = client.get("/admin/audit", params={"from": "2026-11-27", "to": "2026-11-26"})
    assert reversed_.status_code == 422
    assert "日期范围颠倒了：结束日期 2026-11-26 早于开始日期 2026-11-27" in reversed_.text
    one_day = client.get("/admin/audit", params={"from": "2026-11-02", "to": "2026-11-02"})
    assert one_day.status_code == 200 and one_day.text.count('class="audit-row"') == 2
    r = client.get("/admin/audit.xlsx", params={"from": "garbage"})
    assert r.status_code == 422 and "不是有效日期" in r.text


def test_bad_dates_through_the_api_are_422(client, as_user) -> None:
    for params in ({"since": "garbage"}, {"until": "2026-13-45"}):
        for url in ("/api/v1/audit", "/api/v1/audit.xlsx"):
            r = client.get(url, params=params, headers=as_user("admin"))
            assert r.status_code == 422 and r.json()["message"], (url, params)
    for url in ("/api/v1/audit", "/api/v1/audit.xlsx"):
        r = client.get(url, params={"since": "2026-11-27T00:00:00", "until": "2026-11-26T00:00:00"},
                       headers=as_user("admin"))
        assert r.status_code == 422 and "结束时间早于开始时间" in r.json()["message"]


def test_the_export_holds_what_the_page_lists_and_is_audited(client, db, org, as_user) -> None:
    seed(db, org)
    login(client, "supervisor")  # readers of the log may export it
    page = client.get("/admin/audit", params={"action": "create_user", "from": "2026-11-02"})
    assert 'href="/admin/audit.xlsx?action=create_user&amp;from=2026-11-02"' in page.text
    r = client.get("/admin/audit.xlsx", params={"action": "create_user", "from": "2026-11-02"})
    assert r.status_code == 200 and r.headers["content-type"] == audit_export.XLSX
    rows = list(load_workbook(BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("时间", "用户", "角色", "操作", "对象", "说明", "来源地址")
    assert [(row[1], row[2], row[3], row[4]) for row in rows[1:]] == [
        ("admin", "系统管理员", "创建用户", "al-two"), ("admin", "系统管理员", "创建用户", "al-one")]
    assert rows[1][5] == '=HYPERLINK("x")' and rows[1][0] == "2026-11-02 10:00:00"
    logged = db.scalars(select(AuditEntry).where(AuditEntry.action == "export_audit")).all()
    assert [(e.username, e.detail) for e in logged] == [
        ("supervisor", "共2条，导出2条；筛选：操作 创建用户，2026-11-02 至 …")]
    db.rollback()
    assert "导出审计日志" in client.get("/admin/audit", params={"action": "export_audit"}).text

    r = client.get("/api/v1/audit.xlsx", params={"username": "admin"}, headers=as_user("admin"))
    assert r.status_code == 200 and len(list(load_workbook(BytesIO(r.content)).active.iter_rows())) == 4
    assert client.get("/api/v1/audit.xlsx", headers=as_user("operator")).status_code == 403
    login(client, "operator")
    assert client.get("/admin/audit.xlsx").status_code == 403


def test_an_export_cut_at_its_limit_says_so(client, db, org, monkeypatch) -> None:
    seed(db, org)
    monkeypatch.setattr(audit_export, "MAX_ROWS", 2)
    login(client, "admin")
    rows = list(load_workbook(BytesIO(client.get("/admin/audit.xlsx").content)).active.iter_rows(values_only=True))
    assert len(rows) == 4 and rows[-1][0] == "仅导出前 2 条（共 3 条），请缩小筛选范围后分批导出"


def test_a_district_supervisor_does_not_read_the_whole_citys_audit_log(client, db, org, as_user) -> None:
    """QA: a supervisor scoped to 玄武区 read every district's entries (numbers read, callback notes)."""
    seed(db, org)
    for url in ("/api/v1/audit", "/api/v1/audit.xlsx"):
        r = client.get(url, headers=as_user("xuanwu_viewer"))
        assert r.status_code == 403 and "仅限数据范围为全市" in r.json()["message"], url
        assert client.get(url, headers=as_user("supervisor")).status_code == 200, url
    login(client, "xuanwu_viewer")
    assert 'href="/admin/audit"' not in client.get("/supervision").text  # not offered in the menu
    page = client.get("/admin/audit")
    assert page.status_code == 403 and "仅限数据范围为全市的用户访问" in page.text
    login(client, "supervisor")
    assert 'href="/admin/audit"' in client.get("/supervision").text
    assert client.get("/admin/audit").status_code == 200


def test_user_names_and_objects_are_found_in_any_case(client, db, org, as_user) -> None:  # type: ignore[no-untyped-def]
    """QA: the administrator searched for ADMIN (or AL-ONE) and found nothing."""
    seed(db, org)
    found = client.get("/api/v1/audit", params={"username": " ADMIN ", "object_id": "AL-One"},
                       headers=as_user("admin")).json()
    assert found["total"] == 2 and {e["action"] for e in found["items"]} == {"create_user", "reset_password"}
