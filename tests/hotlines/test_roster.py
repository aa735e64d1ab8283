"""The rota of expert seats (专家座席值班) through the API and the pages: an administrator registers,
changes and stands down experts (validation in Chinese, each change in the line's history and the
audit log); routing and the on-duty targets then know by themselves who is staffed; the Excel import
is all or nothing."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from hotline.hotlines.models import HotlineChange
from hotline.security.models import AuditEntry
from tests.hotlines.conftest import counts
from tests.test_pages import login, post_page

BASE = "/api/v1/hotlines"
CHEN = {"name": "陈立新", "department": "市法律援助中心", "phone": "025-8101",
        "duty": "周一至周五 9:00-12:00,14:00-17:30"}


def _add(client, as_user, line_id: int, **body):  # type: ignore[no-untyped-def]
    return client.post(f"{BASE}/{line_id}/experts", json={**CHEN, **body}, headers=as_user("admin"))


def test_an_expert_is_registered_changed_and_stood_down(client, as_user, imported, line_of, db) -> None:  # type: ignore[no-untyped-def]
    legal = line_of("12348")
    r = _add(client, as_user, legal.id)
    assert r.status_code == 201, r.text
    e = r.json()
    assert (e["phone"], e["duty"], e["line_number"]) == ("0258101", "周一至周五 09:00-12:00,14:00-17:30", "12348")
    assert e["on_duty"] is True and e["slots"][0] == [0, "09:00", "12:00"]  # START is Monday 10:00
    again = _add(client, as_user, legal.id)
    assert again.status_code == 409 and "已登记值班人员 陈立新" in again.json()["message"]
    r = client.put(f"{BASE}/experts/{e['id']}", json={**CHEN, "duty": "周六 09:00-12:00", "reason": "改为周末值班"},
                   headers=as_user("admin"))
    assert r.status_code == 200 and r.json()["on_duty"] is False and r.json()["duty"] == "周六 09:00-12:00"
    same = client.put(f"{BASE}/experts/{e['id']}", json={**CHEN, "duty": "周六 09:00-12:00"}, headers=as_user("admin"))
    assert same.status_code == 422 and "没有变化" in same.json()["message"]
    r = client.post(f"{BASE}/experts/{e['id']}/active", json={"active": False, "reason": "借调期满"},
                    headers=as_user("admin"))
    assert r.status_code == 200 and r.json()["active"] is False
    listed = client.get(f"{BASE}/{legal.id}/experts", headers=as_user("supervisor")).json()
    assert [(x["name"], x["active"]) for x in listed] == [("陈立新", False)]  # kept, never deleted
    db.rollback()
    history = db.execute(select(HotlineChange).where(HotlineChange.line_id == legal.id,
                                                     HotlineChange.field == "experts")
                         .order_by(HotlineChange.id)).scalars().all()
    assert [h.reason for h in history] == ["登记值班人员", "改为周末值班", "借调期满"]
    assert "（停止值班）" in history[-1].to_value
    audited = db.execute(select(AuditEntry.action).where(AuditEntry.action == "hotline_experts")).scalars().all()
    db.rollback()
    assert len(audited) == 3


def test_refusals_are_in_chinese_and_leave_nothing(client, as_user, imported, line_of, db) -> None:  # type: ignore[no-untyped-def]
    legal, tax, general = line_of("12348"), line_of("12366"), line_of("12345")
    before = counts(db)
    r = _add(client, as_user, legal.id, duty="周八 09:00-10:00")
    assert r.status_code == 422 and "“周八”不是星期" in r.json()["message"]
    r = _add(client, as_user, legal.id, name="", phone="分机八")
    assert r.status_code == 422 and "姓名" in r.json()["message"] and "联系电话或分机格式不正确" in r.json()["message"]
    r = _add(client, as_user, tax.id)  # a sub-centre answers with its own seats: no rota
    assert r.status_code == 422 and "未设专家座席或业务专区" in r.json()["message"]
    assert _add(client, as_user, general.id).status_code == 422
    r = client.post(f"{BASE}/{legal.id}/experts", json=CHEN, headers=as_user("supervisor"))
    assert r.status_code == 403 and "只有系统管理员" in r.json()["message"]
    assert client.get(f"{BASE}/{legal.id}/experts", headers=as_user("operator")).status_code == 403
    assert counts(db) == before


def test_routing_and_the_on_duty_targets_follow_the_rota(client, as_user, imported, line_of) -> None:  # type: ignore[no-untyped-def]
    legal = line_of("12348")
    body = {"dialled": "12348", "at": "2026-11-02T10:00:00+08:00"}
    assert client.post(f"{BASE}/route", json=body, headers=as_user("operator")).json()["rule"] == "dual_unstaffed"
    e = _add(client, as_user, legal.id).json()
    d = client.post(f"{BASE}/route", json=body, headers=as_user("operator")).json()  # seen at once: no 5 s wait
    assert (d["queue"], d["rule"]) == ("expert_seats:12348", "dual_expert_seats")
    assert [(x["name"], x["phone"]) for x in d["experts_on_duty"]] == [("陈立新", "0258101")]
    evening = client.post(f"{BASE}/route", json={**body, "at": "2026-11-02T19:00:00+08:00"},
                          headers=as_user("operator")).json()
    assert evening["rule"] == "dual_unstaffed" and evening["experts_on_duty"] == []
    # the adapter's own word still overrides the rota
    told = client.post(f"{BASE}/route", json={**body, "staffed_experts": []}, headers=as_user("operator")).json()
    assert told["rule"] == "dual_unstaffed"
    targets = client.get(f"{BASE}/on-duty", headers=as_user("operator")).json()
    assert [t["number"] for t in targets][:1] == ["12366"] and targets[0]["group_label"] == "分中心"
    by = {t["number"]: t for t in targets}
    assert by["12348"]["method"] == "three_way_call" and by["12348"]["on_duty"][0]["id"] == e["id"]
    assert by["12333"]["method"] == "dispatch_ticket" and by["12333"]["on_duty"] == []
    night = client.get(f"{BASE}/on-duty", params={"at": "2026-11-02T22:00:00"}, headers=as_user("operator")).json()
    assert {t["number"]: t for t in night}["12348"]["method"] == "dispatch_ticket"  # a naive time is Beijing time
    client.post(f"{BASE}/experts/{e['id']}/active", json={"active": False}, headers=as_user("admin"))
    assert client.post(f"{BASE}/route", json=body, headers=as_user("operator")).json()["rule"] == "dual_unstaffed"


def _sheet(*rows: tuple) -> bytes:  # type: ignore[type-arg]
    wb = Workbook()
    ws = wb.active
    ws.append(["热线号码", "热线名称", "姓名", "所属部门", "联系电话或分机", "值班时间", "状态", "备注"])
    for row in rows:
        ws.append(list(row))
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def test_excel_import_is_all_or_nothing_and_round_trips(client, as_user, imported, line_of, db) -> None:  # type: ignore[no-untyped-def]
    def post(content: bytes, dry_run: bool = False):  # type: ignore[no-untyped-def]
        return client.post(f"{BASE}/experts/import", params={"dry_run": dry_run}, headers=as_user("admin"),
                           files={"file": ("rota.xlsx", content)})

    before = counts(db)
    bad = post(_sheet(("12348", "", "陈立新", "市法律援助中心", "8101", "周一至周五 09:00-12:00", "在岗", ""),
                      ("12399", "", "李四", "", "8102", "", "", ""),
                      ("12366", "", "王五", "", "8103", "", "", ""),
                      ("12333", "", "赵六", "", "8104", "周一 9点", "", ""),
                      ("12348", "", "陈立新", "", "8105", "", "", "")))
    assert bad.status_code == 200 and bad.json()["ok"] is False
    errors = bad.json()["errors"]
    assert errors[0] == "第 3 行：南京市未登记热线号码“12399”"
    assert "第 4 行" in errors[1] and "未设专家座席或业务专区" in errors[1]
    assert errors[2].startswith("第 5 行：值班时间“周一 9点”中没有时段")
    assert "第 6 行：与第 2 行是同一热线的同一人" == errors[3]
    assert counts(db) == before
    good = _sheet(("12348", "", "陈立新", "市法律援助中心", "8101", "周一至周五 09:00-12:00", "在岗", ""),
                  ("12333", "", "刘建华", "市社保中心", "8201", "每天 08:00-20:00", "", "驻场"))
    checked = post(good, dry_run=True).json()
    assert (checked["ok"], checked["created"]) == (True, 2) and counts(db) == before
    done = post(good).json()
    assert (done["created"], done["updated"]) == (2, 0)
    export = client.get(f"{BASE}/experts/export.xlsx", headers=as_user("supervisor"))
    rows = list(load_workbook(BytesIO(export.content)).active.iter_rows(values_only=True))
    data = [r for r in rows if r and r[0] in ("12348", "12333")]
    assert [(r[0], r[2], r[5], r[6]) for r in data] == [("12333", "刘建华", "每天 08:00-20:00", "在岗"),
                                                        ("12348", "陈立新", "周一至周五 09:00-12:00", "在岗")]
    # the exported sheet imports back unchanged; a row standing someone down is an update
    again = post(export.content).json()
    assert (again["ok"], again["created"], again["updated"], again["unchanged"]) == (True, 0, 0, 2)
    down = post(_sheet(("12348", "", "陈立新", "市法律援助中心", "8101", "周一至周五 09:00-12:00", "停止值班", "")))
    down = down.json()
    assert down["updated"] == 1
    legal = line_of("12348")
    assert client.get(f"{BASE}/{legal.id}/experts", headers=as_user("admin")).json()[0]["active"] is False
    assert post(good, dry_run=True).status_code == 200
    r = client.post(f"{BASE}/experts/import", headers=as_user("supervisor"), files={"file": ("rota.xlsx", good)})
    assert r.status_code == 403


def test_the_pages_maintain_the_rota(client, imported, line_of) -> None:  # type: ignore[no-untyped-def]
    legal = line_of("12348")
    login(client, "admin")
    page = client.get(f"/hotlines/{legal.id}")
    assert "值班人员（专家座席）" in page.text and "尚未登记值班人员" in page.text
    assert "<summary>登记值班人员</summary>" in page.text
    r = post_page(client, f"/hotlines/{legal.id}", f"/hotlines/{legal.id}/experts",
                  {"name": "陈立新", "department": "市法律援助中心", "phone": "8101", "duty": "周一 9:00-10:00 11:00"})
    assert r.status_code == 422 and "“10:00 11:00”不是时刻" in r.text
    assert 'value="陈立新"' in r.text  # what was typed comes back
    r = post_page(client, f"/hotlines/{legal.id}", f"/hotlines/{legal.id}/experts",
                  {"name": "陈立新", "department": "市法律援助中心", "phone": "8101", "duty": "周一至周五 09:00-12:00"})
    assert r.status_code == 303
    page = client.get(f"/hotlines/{legal.id}").text
    assert "已登记值班人员 陈立新" in page and "当前在岗" in page and "值班人员" in page
    expert_id = int(page.split(f'/hotlines/{legal.id}/experts/')[1].split('"')[0])
    r = post_page(client, f"/hotlines/{legal.id}", f"/hotlines/{legal.id}/experts/{expert_id}",
                  {"name": "陈立新", "department": "市法律援助中心", "phone": "8101", "duty": "周六 09:00-12:00"})
    assert r.status_code == 303 and "不在值班时间" in client.get(f"/hotlines/{legal.id}").text
    r = post_page(client, f"/hotlines/{legal.id}", f"/hotlines/{legal.id}/experts/{expert_id}/active", {"active": "0"})
    assert r.status_code == 303 and "陈立新已停止值班" in client.get(f"/hotlines/{legal.id}").text
    other = line_of("12333")  # a form posted through another line's page changes nothing
    r = post_page(client, f"/hotlines/{other.id}", f"/hotlines/{other.id}/experts/{expert_id}/active", {"active": "1"})
    assert r.status_code == 404 and "不属于本热线" in r.text
    overview = client.get("/hotlines/experts")
    assert overview.status_code == 200 and "专家座席值班" in overview.text and "陈立新" in overview.text
    assert "从 Excel 导入" in overview.text and "12393" in overview.text and "12366" not in overview.text
    assert "调整专家座席值班人员" in client.get("/admin/audit").text
    login(client, "supervisor")  # readers see the rota, without the forms
    page = client.get(f"/hotlines/{legal.id}").text
    assert "陈立新" in page and "<summary>登记值班人员</summary>" not in page
    assert "从 Excel 导入" not in client.get("/hotlines/experts").text
