"""Editing a login account (QA8 D2, D3, D12, D16): name, phone, role, unit and data scope through the API
and the page; what the account may see is checked as a whole; a change of access ends its sessions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from hotline.org import machines
from hotline.org.models import User
from hotline.security.models import AuditEntry
from tests.conftest import START
from tests.factories import drop_accounts
from tests.test_admin import login_as
from tests.test_pages import login, post_page

PREFIX = "ed-"  # every account these tests make, removed after each test
PASSWORD = "secret-pass-1"


@pytest.fixture(autouse=True)
def _drop_test_accounts(engine: Engine) -> Iterator[None]:
    yield
    drop_accounts(engine, PREFIX)


def create(client, as_user, username: str, **body) -> dict:  # type: ignore[no-untyped-def]
    data = {"username": username, "display_name": "测试用户", "password": PASSWORD, "role": "operator", **body}
    r = client.post("/api/v1/users", json=data, headers=as_user("admin"))
    assert r.status_code == 201, r.text
    return r.json()


def bearer(client, username: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def details(db, username: str, action: str) -> list[str]:  # type: ignore[no-untyped-def]
    found = list(db.scalars(select(AuditEntry.detail).where(AuditEntry.object_id == username,
                                                            AuditEntry.action == action).order_by(AuditEntry.id)))
    db.rollback()
    return found


def test_name_and_phone_change_keep_sessions_a_role_change_ends_them(client, as_user, db) -> None:
    user = create(client, as_user, "ed-op")
    url = f"/api/v1/users/{user['id']}"
    token = bearer(client, "ed-op")
    login_as(client, "ed-op", PASSWORD)
    r = client.patch(url, json={"display_name": "王五", "phone": "025-83000000"}, headers=as_user("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["display_name"] == "王五" and r.json()["phone"] == "025-83000000" and r.json()["role"] == "operator"
    assert client.get("/api/v1/me", headers=token).status_code == 200  # who they are did not change
    assert client.get("/hall/intake", follow_redirects=False).status_code == 200
    assert details(db, "ed-op", "update_user") == ["姓名：测试用户 → 王五；手机号：无 → 025-83000000"]

    r = client.patch(url, json={"role": "dispatcher"}, headers=as_user("admin"))
    assert r.status_code == 200 and r.json()["role_label"] == "派单员" and r.json()["data_scope"] == "all"
    assert client.get("/api/v1/me", headers=token).status_code == 401  # what they may do changed
    assert client.get("/hall/intake", follow_redirects=False).status_code == 303
    assert details(db, "ed-op", "update_user")[-1] == "角色：话务员 → 派单员；已结束其页面会话并吊销其访问令牌"

    same = client.patch(url, json={"role": "dispatcher"}, headers=as_user("admin"))
    assert same.status_code == 200 and len(details(db, "ed-op", "update_user")) == 2  # nothing changed, nothing written

    # To a unit: the unit's default scope comes with the role; the audit names unit and scope in Chinese.
    r = client.patch(url, json={"role": "unit_handler", "unit_code": "fcj"}, headers=as_user("admin"))
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["unit"], got["data_scope"], got["data_scope_label"]) == ("市房产局", "own_unit", "本单位")
    assert details(db, "ed-op", "update_user")[-1] == ("角色：派单员 → 承办单位经办人；所属单位：无 → 市房产局；"
                                                      "数据范围：全部 → 本单位；已结束其页面会话并吊销其访问令牌")
    assert client.get(url, headers=as_user("admin")).json()["unit_code"] == "fcj"


def test_a_district_scope_and_back(client, as_user, db) -> None:
    user = create(client, as_user, "ed-sup", role="supervisor")
    url = f"/api/v1/users/{user['id']}"
    r = client.patch(url, json={"data_scope": "jurisdiction"}, headers=as_user("admin"))
    assert r.status_code == 422 and "必须选择辖区" in r.json()["message"]
    r = client.patch(url, json={"data_scope": "jurisdiction", "scope_jurisdiction_code": "320102"},
                     headers=as_user("admin"))
    assert r.status_code == 200 and r.json()["scope_jurisdiction_code"] == "320102"
    assert "数据范围：全部 → 本辖区（玄武区）" in details(db, "ed-sup", "update_user")[-1]
    r = client.patch(url, json={"data_scope": "all"}, headers=as_user("admin"))  # the district goes with the scope
    assert r.status_code == 200 and r.json()["scope_jurisdiction_code"] is None
    assert db.scalar(select(User.scope_jurisdiction_id).where(User.username == "ed-sup")) is None
    db.rollback()


@pytest.mark.parametrize(("body", "said"), [
    ({"data_scope": "all"}, "承办单位经办人只能查看本单位的工单：数据范围请选「本单位」"),
    ({"data_scope": "jurisdiction", "scope_jurisdiction_code": "320102"}, "「本辖区」会让其看到其他单位的工单"),
    ({"unit_code": None}, "承办单位用户必须指定所属单位"),
    ({"unit_code": "nope"}, "单位代码 nope 不存在"),
    ({"role": "system"}, "「系统」不是登录账号的角色"),
    ({"role": "channel"}, "接口账号"),
    ({"display_name": "名" * 65}, "最多 64"),
    ({"display_name": "  "}, "请填写"),
])
def test_a_unit_account_keeps_to_its_unit(client, as_user, db, body, said) -> None:  # type: ignore[no-untyped-def]
    user = create(client, as_user, "ed-unit", role="unit_handler", unit_code="fcj")
    r = client.patch(f"/api/v1/users/{user['id']}", json=body, headers=as_user("admin"))
    assert r.status_code in (400, 422) and said in r.text, r.text
    assert "system" not in r.json()["message"] and "channel" not in r.json()["message"]
    kept = client.get(f"/api/v1/users/{user['id']}", headers=as_user("admin")).json()
    assert (kept["role"], kept["unit_code"], kept["data_scope"]) == ("unit_handler", "fcj", "own_unit")
    assert details(db, "ed-unit", "update_user") == []


def test_creating_checks_role_unit_and_scope_together(client, as_user, db) -> None:
    """QA: a unit handler with 全部 saw the whole city; 全部 with 玄武区 was shown as 「全部（玄武区）」; the
    audit said only role=unit_handler."""
    base = {"display_name": "测试", "password": PASSWORD}
    for body, said in [
        ({"role": "unit_handler", "unit_code": "fcj", "data_scope": "all"}, "数据范围请选「本单位」"),
        ({"role": "unit_manager", "unit_code": "fcj", "data_scope": "jurisdiction",
          "scope_jurisdiction_code": "320102"}, "数据范围请选「本单位」"),
        ({"role": "supervisor", "data_scope": "all", "scope_jurisdiction_code": "320102"},
         "数据范围为「全部」时不按辖区限制"),
        ({"role": "supervisor", "scope_jurisdiction_code": "320102"}, "不按辖区限制"),
        ({"role": "analyst", "data_scope": "own_unit"}, "必须选择所属单位"),
        ({"role": "system"}, "「系统」不是登录账号的角色"),
    ]:
        r = client.post("/api/v1/users", json={**base, "username": "ed-new", **body}, headers=as_user("admin"))
        assert r.status_code == 422 and said in r.json()["message"], (body, r.text)
    assert db.scalar(select(User.id).where(User.username == "ed-new")) is None
    db.rollback()
    create(client, as_user, "ed-fcj", role="unit_handler", unit_code="fcj")
    assert details(db, "ed-fcj", "create_user") == ["角色：承办单位经办人；所属单位：市房产局；数据范围：本单位"]
    create(client, as_user, "ed-xw", role="supervisor", data_scope="jurisdiction", scope_jurisdiction_code="320102")
    assert details(db, "ed-xw", "create_user") == ["角色：督办员；所属单位：无；数据范围：本辖区（玄武区）"]


def test_the_last_administrator_keeps_the_role(client, as_user, org, db) -> None:
    me = org.users["admin"].id
    r = client.patch(f"/api/v1/users/{me}", json={"role": "supervisor"}, headers=as_user("admin"))
    assert r.status_code == 409 and "至少要保留一名启用的系统管理员" in r.json()["message"]
    assert client.get("/api/v1/me", headers=as_user("admin")).json()["role"] == "admin"  # nothing ended
    # With a second administrator, either may be moved to another post (the other stays).
    other = create(client, as_user, "ed-admin2", role="admin")
    r = client.patch(f"/api/v1/users/{other['id']}", json={"role": "analyst"}, headers=as_user("admin"))
    assert r.status_code == 200 and r.json()["role"] == "analyst"


def test_only_administrators_edit_and_only_login_accounts(client, as_user, org, db) -> None:
    user = create(client, as_user, "ed-x")
    url = f"/api/v1/users/{user['id']}"
    assert client.patch(url, json={"display_name": "甲"}, headers=as_user("supervisor")).status_code == 403
    assert client.patch("/api/v1/users/999999", json={"display_name": "甲"},
                        headers=as_user("admin")).status_code == 404
    r = client.patch(url, json={"username": "renamed"}, headers=as_user("admin"))  # the login name is fixed
    assert r.status_code == 422
    r = client.patch(url, json={"phone": "abc"}, headers=as_user("admin"))
    assert r.status_code == 422 and "手机号" in r.json()["message"]
    # QA: the API refused what the page takes (spaces, full-width digits), in English ("phone格式不正确")
    r = client.patch(url, json={"phone": "１３９ 1234 5678"}, headers=as_user("admin"))
    assert r.status_code == 200 and r.json()["phone"] == "13912345678"
    r = client.patch(url, json={"data_scope": "everything"}, headers=as_user("admin"))
    assert r.status_code == 422 and "数据范围取值无效" in r.json()["message"] and "全部" in r.json()["message"]
    r = client.patch(url, json={"role": "boss"}, headers=as_user("admin"))
    assert r.status_code == 422 and "operator（话务员）" in r.json()["message"]
    machine, _ = machines.create_account(db, actor=org.actor("admin"), now=START, role=machines.Role.CHANNEL,
                                         username="ed-app")
    machine_id = machine.id
    db.rollback()  # SQLite: the test's read transaction would hold off the request's write
    r = client.patch(f"/api/v1/users/{machine_id}", json={"display_name": "改名"}, headers=as_user("admin"))
    assert r.status_code == 422 and "接口账号" in r.json()["message"]
    # QA: read as a login account (no sign it was a machine one) though the list leaves it out
    r = client.get(f"/api/v1/users/{machine_id}", headers=as_user("admin"))
    assert r.status_code == 422 and r.json()["code"] == "machine_account", r.text
    assert f"/api/v1/machine-accounts/{machine_id}" in r.json()["message"]
    assert client.get(f"/api/v1/machine-accounts/{machine_id}", headers=as_user("admin")).status_code == 200
    assert machine_id not in [u["id"] for u in client.get("/api/v1/users", params={"page_size": 200},
                                                           headers=as_user("admin")).json()["items"]]


def test_machine_accounts_are_enabled_and_disabled_on_their_own_page(client, as_user, org, db) -> None:
    """QA: /admin/users/{id}/active disabled a machine account and audited it as 停用用户."""
    machine, _ = machines.create_account(db, actor=org.actor("admin"), now=START, role=machines.Role.TELEPHONY,
                                         username="ed-pbx")
    machine_id = machine.id
    db.rollback()
    r = client.post(f"/api/v1/users/{machine_id}/active", json={"active": False}, headers=as_user("admin"))
    assert r.status_code == 422 and "接口账号" in r.json()["message"]
    login(client, "admin")
    r = post_page(client, "/admin/users", f"/admin/users/{machine_id}/active", {"active": "0"})
    assert r.status_code == 303
    assert "「接口账号」页面" in client.get("/admin/users").text  # said in the flash
    db.expire_all()
    assert db.get(User, machine_id).active is True
    assert details(db, "ed-pbx", "disable_user") == []
    assert client.get(f"/admin/users/{machine_id}/edit").status_code == 422


def test_the_edit_page(client, as_user, db) -> None:
    user = create(client, as_user, "ed-page", role="supervisor")
    login(client, "admin")
    listed = client.get("/admin/users", params={"q": "ed-page"}).text
    assert f'href="/admin/users/{user["id"]}/edit"' in listed
    page = client.get(f"/admin/users/{user['id']}/edit")
    assert page.status_code == 200 and 'value="测试用户"' in page.text and "编辑用户" in page.text
    url = f"/admin/users/{user['id']}/edit"
    form = {"display_name": "新名字", "phone": "13900001111", "role": "unit_handler", "unit_code": "fcj",
            "data_scope": "all", "scope_jurisdiction_code": ""}
    bad = post_page(client, url, url, form)
    assert bad.status_code == 422 and "数据范围请选「本单位」" in bad.text
    assert 'value="新名字"' in bad.text and 'value="13900001111"' in bad.text  # kept as typed
    assert 'value="unit_handler" selected' in bad.text
    no_csrf = client.post(url, data=form, follow_redirects=False)
    assert no_csrf.status_code in (400, 403)
    ok = post_page(client, url, url, {**form, "data_scope": "own_unit"})
    assert ok.status_code == 303
    shown = client.get("/admin/users", params={"q": "ed-page"}).text
    assert "已修改用户 ed-page" in shown and "承办单位经办人" in shown and "市房产局" in shown
    audit = client.get("/admin/audit", params={"action": "update_user"}).text
    assert "修改用户" in audit and "角色：督办员 → 承办单位经办人" in audit
    login(client, "operator")
    assert client.get(url).status_code == 403


def test_a_jurisdiction_beside_another_scope_is_not_shown(client, as_user, db, org) -> None:
    """Stored before the form refused it: 「全部（玄武区）」 claimed a limit that never applied."""
    user = create(client, as_user, "ed-old", role="analyst")
    db.execute(User.__table__.update().where(User.id == user["id"])
               .values(scope_jurisdiction_id=org.jurisdictions["xuanwu"].id))
    db.commit()
    login(client, "admin")
    listed = client.get("/admin/users", params={"q": "ed-old"}).text
    assert "全部（玄武区）" not in listed
    url = f"/admin/users/{user['id']}/edit"
    assert 'value="320102" selected' not in client.get(url).text
    form = {"display_name": "测试用户", "phone": "", "role": "analyst", "unit_code": "", "data_scope": "all",
            "scope_jurisdiction_code": ""}
    assert post_page(client, url, url, form).status_code == 303
    db.expire_all()
    assert db.get(User, user["id"]).scope_jurisdiction_id is None


def test_a_crafted_role_on_the_create_form_is_refused_in_chinese(client) -> None:
    """QA: 「角色 system 不能登录」."""
    login(client, "admin")
    for role in ("system", "requester", "nonsense"):
        r = post_page(client, "/admin/users", "/admin/users",
                      {"username": "ed-crafted", "display_name": "甲", "password": PASSWORD, "role": role})
        assert r.status_code == 422 and "请从列表中选择角色" in r.text, role
        assert f"角色 {role}" not in r.text and 'value="ed-crafted"' in r.text
