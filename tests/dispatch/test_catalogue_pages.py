"""The catalogue pages and the dispatcher's suggestion on the ticket page."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

from openpyxl import Workbook

from tests.test_pages import csrf_of, login, new_ticket, post_page


def test_dispatcher_adds_edits_and_disables_a_rule(client, org) -> None:
    login(client, "dispatcher")
    page = client.get("/dispatch/catalogue")
    assert page.status_code == 200 and "派单目录还是空的" in page.text
    token = csrf_of(client, "/dispatch/catalogue")
    r = client.post("/dispatch/catalogue", data={
        "csrf_token": token, "category_prefix": "0102", "jurisdiction_code": "320102", "kind": "",
        "lead_unit_code": "fcj", "assisting_unit_codes": ["xlw"], "note": "权责清单第 12 项"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/dispatch/catalogue").text
    assert "已新增规则：市房产局：分类「城乡建设 / 建筑工程管理」，属地「玄武区」；协办 孝陵卫街道" in page
    rule_id = re.search(r'href="/dispatch/catalogue/(\d+)"', page).group(1)
    past = client.get("/dispatch/catalogue?page=99").text  # a page past the last is not an empty catalogue
    assert "派单目录还是空的" not in past and "回到第一页" in past

    # A duplicate is refused on the page with the reason, keeping what was typed.
    r = client.post("/dispatch/catalogue", data={
        "csrf_token": token, "category_prefix": "0102", "jurisdiction_code": "320102", "lead_unit_code": "scjgj",
        "note": "重复"})
    assert r.status_code == 409 and "已有相同分类、属地和类型的规则" in r.text and 'value="重复"' in r.text
    # A kind the form does not offer, or too long a note: refused, and what was typed is kept.
    r = client.post("/dispatch/catalogue", data={
        "csrf_token": token, "category_prefix": "03", "kind": "bogus", "lead_unit_code": "fcj", "note": "x" * 301})
    assert r.status_code == 422 and "诉求类型“bogus”无效" in r.text and "备注不超过 300 字" in r.text
    assert '<option value="03" selected' in r.text

    r = client.post(f"/dispatch/catalogue/{rule_id}", data={
        "csrf_token": token, "category_prefix": "0102", "jurisdiction_code": "320102", "lead_unit_code": "scjgj"},
        follow_redirects=False)
    assert r.status_code == 303
    detail = client.get(f"/dispatch/catalogue/{rule_id}").text
    assert "市市场监管局：分类「城乡建设 / 建筑工程管理」，属地「玄武区」" in detail and "第 2 版" in detail
    # The rule's changes, newest first, each with what the rule then said.
    assert "变更记录" in detail and detail.index(">修改<") < detail.index(">新增<")
    assert "市房产局：分类「城乡建设 / 建筑工程管理」，属地「玄武区」" in detail  # as it was when added
    page = client.get("/dispatch/catalogue?q=市场").text
    assert "data-confirm=\"停用规则" in page and 'name="back" value="/dispatch/catalogue?q=' in page
    r = client.post(f"/dispatch/catalogue/{rule_id}/active", data={"csrf_token": token, "active": "1",
                                                                   "back": "/dispatch/catalogue?q=市场"},
                    follow_redirects=False)
    assert r.status_code == 303 and unquote(r.headers["location"]) == "/dispatch/catalogue?q=市场"
    r = client.post(f"/dispatch/catalogue/{rule_id}/active", data={"csrf_token": token, "active": "0"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert "已停用规则" in client.get("/dispatch/catalogue?active=0").text


def test_trial_says_who_would_get_a_ticket(client, as_user) -> None:
    for body in ({"category_prefix": "01", "lead_unit_code": "fcj"},
                 {"category_prefix": "01", "jurisdiction_code": "320102001", "lead_unit_code": "xlw"}):
        assert client.post("/api/v1/dispatch/rules", headers=as_user("dispatcher"), json=body).status_code == 201
    login(client, "supervisor")
    page = client.get("/dispatch/catalogue?try=1&try_category=010201&try_place=320102001&try_kind=").text
    assert "主办：孝陵卫街道" in page and "其他匹配：市房产局：分类「城乡建设」，全市" in page
    page = client.get("/dispatch/catalogue?try=1&try_category=02&try_place=&try_kind=").text
    assert "没有规则覆盖该分类" in page and "须人工派单" in page
    page = client.get("/dispatch/catalogue?try=1&try_category=99&try_place=&try_kind=").text
    assert "诉求分类代码“99”不存在" in page


def test_import_checks_first_then_writes(client) -> None:
    login(client, "admin")
    token = csrf_of(client, "/dispatch/catalogue")
    wb = Workbook()
    wb.active.append(["分类代码", "属地代码", "诉求类型", "主办单位代码", "协办单位代码"])
    wb.active.append(["03", "", "", "fcj", ""])
    wb.active.append(["04", "", "", "nobody", ""])
    buf = io.BytesIO()
    wb.save(buf)
    files = {"file": ("c.xlsx", buf.getvalue(), "application/octet-stream")}
    r = client.post("/dispatch/catalogue/import", data={"csrf_token": token, "dry_run": "1"}, files=files)
    assert r.status_code == 422 and "第 3 行：主办单位代码“nobody”不存在" in r.text
    wb.active.delete_rows(3)
    buf = io.BytesIO()
    wb.save(buf)
    files = {"file": ("c.xlsx", buf.getvalue(), "application/octet-stream")}
    r = client.post("/dispatch/catalogue/import", data={"csrf_token": token, "dry_run": "1"}, files=files)
    assert r.status_code == 200 and "将新增 1 条" in r.text
    r = client.post("/dispatch/catalogue/import", data={"csrf_token": token}, files=files, follow_redirects=False)
    assert r.status_code == 303
    assert "导入完成：新增 1 条" in client.get("/dispatch/catalogue").text


def test_supervisor_reads_but_cannot_edit_and_operators_cannot_open(client) -> None:
    login(client, "supervisor")
    page = client.get("/dispatch/catalogue")
    assert page.status_code == 200
    assert "<summary><strong>新增规则" not in page.text and "从 Excel 导入</h2>" not in page.text
    token = csrf_of(client, "/dispatch/catalogue")
    r = client.post("/dispatch/catalogue",
                    data={"csrf_token": token, "category_prefix": "01", "lead_unit_code": "fcj"})
    assert r.status_code == 403 and "仅派单员和管理员" in r.text
    client.post("/logout", data={"csrf_token": token})
    login(client, "operator")
    assert client.get("/dispatch/catalogue").status_code == 403


def test_ticket_page_shows_the_suggestion_and_preselects_the_unit(client, as_user, org) -> None:
    client.post("/api/v1/dispatch/rules", headers=as_user("dispatcher"),
                json={"jurisdiction_code": "320102001", "lead_unit_code": "xlw"})
    ticket = new_ticket(client, as_user, category_code="0102")
    login(client, "dispatcher")
    page = client.get(f"/tickets/{ticket['number']}").text
    assert "派单建议" in page and "建议主办：孝陵卫街道" in page and "孝陵卫街道：全市" not in page
    street = org.units["street"].id
    assert re.search(rf'<option value="{street}" selected>', page)
    # Without a category the street is chosen by the place alone: shown with the reason, not pre-selected
    # (QA: wage arrears, school places, a fire all went to the street office this way).
    unsure = new_ticket(client, as_user)
    page = client.get(f"/tickets/{unsure['number']}").text
    assert "建议主办：孝陵卫街道" in page and "仅按属地匹配（分类未定）" in page
    assert not re.search(rf'<option value="{street}" selected>', page)


def test_the_reassign_form_does_not_preselect_the_unit_that_has_the_ticket(client, as_user, org) -> None:
    """Proposed again, the unit handling the ticket would be refused as the 改派 target: not pre-selected."""
    client.post("/api/v1/dispatch/rules", headers=as_user("dispatcher"),
                json={"jurisdiction_code": "320102001", "lead_unit_code": "xlw"})
    ticket = new_ticket(client, as_user, category_code="0102")
    street = org.units["street"].id
    for who, action, body in (("dispatcher", "dispatch", {"lead_unit_id": street}),
                              ("street_handler", "acknowledge", {})):
        r = client.post(f"/api/v1/tickets/{ticket['id']}/actions/{action}", headers=as_user(who), json=body)
        assert r.status_code == 200, r.text
    login(client, "dispatcher")
    page = client.get(f"/tickets/{ticket['number']}").text
    assert 'id="action-reassign"' in page and "建议主办：孝陵卫街道" in page
    assert not re.search(rf'<option value="{street}" selected>', page)
def test_a_place_read_from_the_text_goes_with_the_dispatch(client, as_user, org) -> None:
    client.post("/api/v1/dispatch/rules", headers=as_user("dispatcher"),
                json={"category_prefix": "0102", "lead_unit_code": "fcj"})
    ticket = new_ticket(client, as_user, category_code="0102", jurisdiction_code=None,
                        address="玄武区孝陵卫街道钟灵街50号")
    login(client, "dispatcher")
    url = f"/tickets/{ticket['number']}"
    page = client.get(url).text
    assert re.search(r'<input type="checkbox" name="jurisdiction_code" value="320102001" checked> 同时将属地定为「',
                     page)
    r = post_page(client, url, f"{url}/actions/dispatch",
                  {"lead_unit_id": str(org.units["housing"].id), "jurisdiction_code": "320102001"})
    assert r.status_code == 303
    body = client.get(f"/api/v1/tickets/{ticket['id']}", headers=as_user("dispatcher")).json()
    assert body["state"] == "dispatched" and body["jurisdiction"] == "孝陵卫街道"


def test_a_rule_changed_since_the_form_was_opened_is_not_overwritten(client, as_user) -> None:
    """QA: two dispatchers edited one rule; the second's save silently undid the first's change."""
    rid = client.post("/api/v1/dispatch/rules", headers=as_user("dispatcher"),
                      json={"category_prefix": "0103", "lead_unit_code": "fcj"}).json()["id"]
    login(client, "dispatcher")
    opened = client.get(f"/dispatch/catalogue/{rid}").text
    assert 'name="version" value="1"' in opened
    token = csrf_of(client, f"/dispatch/catalogue/{rid}")
    r = client.put(f"/api/v1/dispatch/rules/{rid}", headers=as_user("admin"),
                   json={"category_prefix": "0103", "lead_unit_code": "scjgj"})  # meanwhile, another editor
    assert r.json()["version"] == 2
    form = {"csrf_token": token, "category_prefix": "0103", "lead_unit_code": "water", "version": "1"}
    r = client.post(f"/dispatch/catalogue/{rid}", data=form, follow_redirects=False)
    assert r.status_code == 409 and "已被他人修改（现为第 2 版：市市场监管局" in r.text
    assert 'name="version" value="2"' in r.text  # what is typed is kept, on the version now shown
    r = client.post(f"/dispatch/catalogue/{rid}", data={**form, "version": "2"}, follow_redirects=False)
    assert r.status_code == 303
    saved = client.get("/api/v1/dispatch/rules", params={"q": "0103"}, headers=as_user("admin")).json()["items"]
    assert [(r["lead_unit_code"], r["version"]) for r in saved] == [("water", 3)]


def test_a_save_refused_for_its_content_keeps_the_version_the_form_was_opened_on(client, as_user) -> None:
    """QA: a save refused for its content (the lead also chosen as assisting) came back on the rule's
    newest version, so the corrected save then silently undid a change made meanwhile."""
    rid = client.post("/api/v1/dispatch/rules", headers=as_user("dispatcher"),
                      json={"category_prefix": "0103", "lead_unit_code": "fcj"}).json()["id"]
    login(client, "dispatcher")
    token = csrf_of(client, f"/dispatch/catalogue/{rid}")  # opened on version 1
    client.put(f"/api/v1/dispatch/rules/{rid}", headers=as_user("admin"),
               json={"category_prefix": "0103", "lead_unit_code": "scjgj"})  # meanwhile, version 2
    form = {"csrf_token": token, "category_prefix": "0103", "lead_unit_code": "water", "version": "1"}
    r = client.post(f"/dispatch/catalogue/{rid}", data={**form, "assisting_unit_codes": ["water"]})
    assert r.status_code == 422 and "已是主办单位，不能同时作为协办单位" in r.text
    assert 'name="version" value="1"' in r.text  # still the version it was opened on
    r = client.post(f"/dispatch/catalogue/{rid}", data=form, follow_redirects=False)
    assert r.status_code == 409 and "已被他人修改（现为第 2 版：市市场监管局" in r.text
    r = client.post(f"/dispatch/catalogue/{rid}", data={**form, "note": "x" * 301})  # the form's own check
    assert r.status_code == 422 and 'name="version" value="1"' in r.text
