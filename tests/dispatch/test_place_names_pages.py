"""The place names' page (地名库) and API: add, switch off, Excel round trip, learning from closed
tickets, and the place reading the dispatcher sees."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

from openpyxl import load_workbook
from sqlalchemy import update

from hotline.tickets.models import Ticket
from tests.factories import intake, workbook
from tests.test_pages import csrf_of, login

LAMP = {"title": "钟灵街路灯不亮", "content": "晚上一片漆黑"}


def test_dispatcher_adds_a_name_and_switches_it_off(client, as_user) -> None:
    api = as_user("dispatcher")
    login(client, "dispatcher")
    page = client.get("/dispatch/places")
    assert page.status_code == 200 and "地名库还是空的" in page.text
    token = csrf_of(client, "/dispatch/places")
    r = client.post("/dispatch/places", data={"csrf_token": token, "name": "钟灵街", "jurisdiction_code": "320102001",
                                              "kind": "", "note": "孝陵卫主干道"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/dispatch/places").text
    assert "已新增地名：钟灵街 → 孝陵卫街道（道路/桥梁）" in page and "孝陵卫主干道" in page
    past = client.get("/dispatch/places?page=99").text  # a page past the last is not an empty registry
    assert "地名库还是空的" not in past and "本页没有更多" in past and "回到第一页" in past
    # The same name for the same place again: refused with the reason, what was typed kept.
    r = client.post("/dispatch/places", data={"csrf_token": token, "name": "钟灵街", "jurisdiction_code": "320102001",
                                              "note": "再来一次"})
    assert r.status_code == 409 and "地名库中已有“钟灵街 → 孝陵卫街道”" in r.text and 'value="再来一次"' in r.text
    r = client.post("/dispatch/places", data={"csrf_token": token, "name": "", "jurisdiction_code": ""})
    assert r.status_code == 422 and "请填写地名并选择属地" in r.text
    # The dispatcher's suggestion now reads the street from the name alone.
    r = client.post("/api/v1/dispatch/suggest", headers=api, json=LAMP)
    place = r.json()["place"]
    assert place["name"] == "孝陵卫街道" and place["named"] is True and place["matched"] == "钟灵街"
    entry_id = client.get("/api/v1/dispatch/places?q=钟灵", headers=api).json()["items"][0]["id"]
    r = client.post(f"/dispatch/places/{entry_id}/active",
                    data={"csrf_token": token, "active": "0", "back": "/dispatch/places?q=钟灵"},
                    follow_redirects=False)
    assert r.status_code == 303 and unquote(r.headers["location"]) == "/dispatch/places?q=钟灵"
    assert "已停用地名“钟灵街”" in client.get("/dispatch/places?active=0").text
    r = client.post("/api/v1/dispatch/suggest", headers=api, json=LAMP)
    assert r.json()["place"] is None


def test_a_handler_may_not_open_the_page_nor_change_names(client, as_user) -> None:
    login(client, "housing_handler")
    assert client.get("/dispatch/places").status_code == 403
    r = client.post("/api/v1/dispatch/places", headers=as_user("operator"),
                    json={"name": "钟灵街", "jurisdiction_code": "320102001"})
    assert r.status_code == 403 and r.json()["message"] == "无权修改地名库：仅派单员和管理员可修改"
    r = client.get("/api/v1/dispatch/places", headers=as_user("housing_handler"))
    assert r.status_code == 403 and r.json()["message"] == "无权查看地名库"


def test_excel_import_checks_every_row_first_and_exports_what_it_holds(client, as_user) -> None:
    admin = as_user("admin")
    bad = workbook([["地名", "属地代码", "类型", "状态"], ["锁金村", "320102", "小区/楼盘", ""],
                 ["锁金村", "320102", "", ""], ["月牙湖", "999", "", ""], ["", "320102", "", ""],
                 ["紫金山", "320102", "星球", ""], ["玄武湖", "320102", "", "作废"]])
    r = client.post("/api/v1/dispatch/places/import", headers=admin,
                    files={"file": ("p.xlsx", bad, "application/octet-stream")})
    body = r.json()
    assert body["ok"] is False and body["errors"] == [
        "第 3 行：与第 2 行的地名和属地相同", "第 4 行：属地代码“999”不存在", "第 5 行：缺少地名",
        "第 6 行：地名类型“星球”无效，可选：estate（小区/楼盘）、road（道路/桥梁）、water（河湖水系）、"
        "landmark（地标/场所）、other（其他）",
        "第 7 行：状态只能是“启用”或“停用”"]
    assert client.get("/api/v1/dispatch/places", headers=admin).json()["total"] == 0  # nothing written
    good = workbook([["地名", "属地代码", "类型", "状态", "备注"], ["锁金村", "320102", "小区/楼盘", "", "老小区"],
                  ["月牙湖", "320104", "", "停用", ""]])
    r = client.post("/api/v1/dispatch/places/import?dry_run=true", headers=admin,
                    files={"file": ("p.xlsx", good, "application/octet-stream")})
    assert r.json() | {"errors": []} == {"ok": True, "dry_run": True, "created": 2, "updated": 0, "unchanged": 0,
                                         "errors": []}
    assert client.get("/api/v1/dispatch/places", headers=admin).json()["total"] == 0
    r = client.post("/api/v1/dispatch/places/import", headers=admin,
                    files={"file": ("p.xlsx", good, "application/octet-stream")})
    assert r.json()["created"] == 2
    again = client.post("/api/v1/dispatch/places/import", headers=admin,
                        files={"file": ("p.xlsx", good, "application/octet-stream")}).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    items = {e["name"]: e for e in client.get("/api/v1/dispatch/places", headers=admin).json()["items"]}
    assert items["锁金村"]["source"] == "import" and items["锁金村"]["note"] == "老小区"
    assert items["月牙湖"]["active"] is False and items["月牙湖"]["kind"] == "water"
    r = client.get("/api/v1/dispatch/places.xlsx", headers=admin)
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][:4] == ["地名", "属地代码", "属地名称", "类型"]
    assert ["锁金村", "320102", "玄武区", "小区/楼盘", "Excel 导入", None, "启用", "老小区"] in rows
    moved = workbook([["地名", "属地代码", "属地名称"], ["锁金村", "320102", "秦淮区"]])  # the name edited alone
    r = client.post("/api/v1/dispatch/places/import?dry_run=true", headers=admin,
                    files={"file": ("p.xlsx", moved, "application/octet-stream")}).json()
    assert r["ok"] is False and r["errors"] == ["第 2 行：属地名称“秦淮区”与属地代码“320102”（玄武区）不一致："
                                                 "以代码为准导入，请改正属地代码，或改正、清空属地名称"]
    r = client.post("/api/v1/dispatch/places/import", headers=admin,
                    files={"file": ("p.xlsx", b"not a workbook", "application/octet-stream")})
    assert r.status_code == 422 and "无法读取该文件" in r.json()["message"]


def test_learning_on_the_page_lists_first_then_writes(client, as_user, db, org) -> None:
    for title in ("紫金花园小区门口积水", "紫金花园小区垃圾清运不及时", "紫金花园小区电梯故障",
                  "钟灵街路面破损", "钟灵街井盖松动", "钟灵街夜间施工"):
        r = client.post("/api/v1/tickets", headers=as_user("operator"),
                        json=intake(title=title, content=f"{title}，请处理。", address="",
                                    jurisdiction_code="320102001"))
        assert r.status_code == 201
    db.execute(update(Ticket).values(state="closed"))
    db.commit()
    login(client, "admin")
    token = csrf_of(client, "/dispatch/places")
    r = client.post("/dispatch/places/learn", data={"csrf_token": token, "min_support": "3", "min_purity": "0.9"})
    assert r.status_code == 200 and "学习结果（未写入）" in r.text and "紫金花园小区" in r.text
    assert 'name="pick" value="紫金花园小区" checked' in r.text and "写入地名库（勾选的新地名）" in r.text
    proposed = re.findall(r'name="pick" value="([^"]+)"', r.text)
    assert {"紫金花园小区", "钟灵街"} <= set(proposed)
    assert client.get("/api/v1/dispatch/places", headers=as_user("admin")).json()["total"] == 0
    for bad in ("x", "5000"):  # the settings' error is shown, and the form to add a name stays closed
        r = client.post("/dispatch/places/learn", data={"csrf_token": token, "min_support": bad, "min_purity": "0.9"})
        assert r.status_code == 422 and ("最少工单数应为整数" in r.text or "2 到 1000" in r.text)
        assert '<details class="card" open>' not in r.text
    # Only the names the reviewer left ticked are written.
    r = client.post("/dispatch/places/learn", data={"csrf_token": token, "min_support": "3", "min_purity": "0.9",
                                                    "apply": "1", "pick": ["紫金花园小区"]}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/dispatch/places?source=learned"
    page = client.get(r.headers["location"]).text
    assert "已从 6 件已办结工单学习地名：新增 1 个" in page and "3/3 件" in page and "从工单学习" in page
    r = client.post("/api/v1/dispatch/places/learn", headers=as_user("dispatcher"), json={"min_purity": 0.3})
    assert r.status_code == 422
    learned = client.post("/api/v1/dispatch/places/learn", headers=as_user("dispatcher"), json={}).json()
    status = {p["name"]: p["status"] for p in learned["proposals"]}
    assert learned["tickets"] == 6 and status == {n: "known" if n == "紫金花园小区" else "new" for n in proposed}
    learned = client.post("/api/v1/dispatch/places/learn", headers=as_user("dispatcher"), json={"apply": True}).json()
    assert learned["added"] == len(proposed) - 1  # without names: every new one


def test_the_reader_is_checked_on_the_citys_own_closed_tickets(client, as_user, db, settings, monkeypatch) -> None:
    import json

    from typer.testing import CliRunner

    from hotline.cli import app as cli_app

    lamp = "路灯坏了好几天，晚上很黑，请处理。"
    cases = [("玄武区孝陵卫街道钟灵街50号", lamp, "320102001"),  # full names in the address: read and right
             ("孝陵卫街道钟灵街8号", lamp, "320102"),  # a street of the district it was closed under: right
             ("", "秦淮区某小区" + lamp, "320102")]  # the text says 秦淮区, the ticket ended under 玄武区: wrong
    for address, content, code in cases:
        r = client.post("/api/v1/tickets", headers=as_user("operator"),
                        json=intake(title="路灯不亮", content=content, address=address, jurisdiction_code=code))
        assert r.status_code == 201
    db.execute(update(Ticket).values(state="closed"))
    db.commit()
    got = client.get("/api/v1/dispatch/places/check", headers=as_user("dispatcher")).json()
    assert (got["tickets"], got["guessed"], got["right"]) == (3, 3, 2)
    assert got["acted_on"] == 2 and got["right_of_acted_on"] == 1.0  # the 秦淮区 guess was not sure enough
    assert sum(lv["guesses"] for lv in got["levels"]) == 3
    assert client.get("/api/v1/dispatch/places/check", headers=as_user("housing_handler")).status_code == 403
    login(client, "dispatcher")
    page = client.get("/dispatch/places", params={"check": "1"}).text
    assert "识别核对（最近 3 件已办结工单）" in page and "与工单最终属地一致 2 件" in page
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    r = CliRunner().invoke(cli_app, ["dispatch", "places", "check", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["right"] == 2
    r = CliRunner().invoke(cli_app, ["dispatch", "places", "check", "--limit", "50"])
    assert r.exit_code == 2 and "100 到 200000" in r.output
    client.cookies.clear()
    login(client, "supervisor")  # reads the page, and may check the reader too
    assert "核对识别准确率" in client.get("/dispatch/places").text
    r = client.post("/api/v1/dispatch/places/learn", headers=as_user("dispatcher"), json={"names": "门大街"})
    assert r.status_code == 422 and "要写入的地名应为列表" in r.json()["message"]
