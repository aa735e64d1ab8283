"""Machine accounts (Open311 channels, the telephony adapter) and their keys: the service shared by the
command line, the admin API and the admin page; only administrators manage them, keys are shown once."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import false as sa_false
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.errors import Conflict, DomainError, Forbidden, NotFound, Unauthenticated
from hotline.org import admin, machines
from hotline.org import service as org_service
from hotline.org.models import ApiToken, User
from hotline.security.actor import Actor
from hotline.security.models import AuditEntry
from hotline.security.roles import DataScope, Role
from tests.conftest import START
from tests.factories import drop_accounts
from tests.test_pages import csrf_of, login, post_page

PREFIX = "mt-"  # every account these tests make, removed after each test
KEY_ON_PAGE = re.compile(r'class="key-once" readonly value="([^"]+)"')


@pytest.fixture(autouse=True)
def _drop_test_accounts(engine: Engine) -> Iterator[None]:
    yield
    drop_accounts(engine, PREFIX)


def valid(db: Session, key: str) -> Role | None:
    try:
        return org_service.actor_for_token(db, token=key, now=START).role
    except Unauthenticated:
        return None
    finally:
        db.rollback()


def actions(db: Session, username: str) -> list[str]:
    found = list(db.scalars(select(AuditEntry.action).where(AuditEntry.object_id == username)
                            .order_by(AuditEntry.id)))
    db.rollback()
    return found


# ---- service ----------------------------------------------------------------------------------


def test_create_issue_rotate_revoke_disable(db, org) -> None:  # type: ignore[no-untyped-def]
    boss = org.actor("admin")
    user, first = machines.create_account(db, actor=boss, now=START, role=Role.CHANNEL, username=" mt-city ",
                                          display_name="市民App")
    assert (user.username, user.display_name, user.data_scope, user.unit_id) == ("mt-city", "市民App", "own_unit", None)
    assert valid(db, first.key) == Role.CHANNEL and first.token.name == "open311" and first.revoked == 0
    assert first.key not in {t.token_hash for t in db.scalars(select(ApiToken))}  # only the digest is kept

    second = machines.issue_key(db, actor=boss, now=START, account_id=user.id, name="备用")
    assert valid(db, first.key) and valid(db, second.key)  # a plain issue keeps the earlier keys
    third = machines.issue_key(db, actor=boss, now=START, account_id=user.id, rotate=True)
    assert third.revoked == 2 and valid(db, third.key) and not valid(db, first.key) and not valid(db, second.key)

    row = machines.account_row(db, user, START)
    assert (row.active_keys, row.state, row.last_issued_at) == (1, "active", START)
    machines.revoke_key(db, actor=boss, now=START, account_id=user.id, key_id=third.token.id)
    assert not valid(db, third.key) and machines.account_row(db, user, START).state == "no_key"
    with pytest.raises(Conflict, match="已经吊销"):
        machines.revoke_key(db, actor=boss, now=START, account_id=user.id, key_id=third.token.id)
    with pytest.raises(NotFound):  # a key of another account
        machines.revoke_key(db, actor=boss, now=START, account_id=user.id, key_id=org_service.find_token(
            db, token=org_service.issue_token(db, user=db.merge(org.users["operator"]), now=START)).id)

    fourth = machines.issue_key(db, actor=boss, now=START, account_id=user.id)
    machines.set_active(db, actor=boss, now=START, account_id=user.id, active=False)
    machines.set_active(db, actor=boss, now=START, account_id=user.id, active=False)  # twice: audited once (QA)
    assert not valid(db, fourth.key) and machines.account_row(db, user, START).state == "disabled"
    with pytest.raises(DomainError, match="已停用"):
        machines.issue_key(db, actor=boss, now=START, account_id=user.id)
    machines.set_active(db, actor=boss, now=START, account_id=user.id, active=True)
    assert valid(db, machines.issue_key(db, actor=boss, now=START, account_id=user.id).key) == Role.CHANNEL

    assert actions(db, "mt-city") == [
        "machine_account_create", "machine_key_issue", "machine_key_issue", "machine_key_rotate",
        "machine_key_revoke", "machine_key_issue", "machine_account_disable", "machine_account_enable",
        "machine_key_issue"]
    # QA: an issue or rotation recorded the key's note only, not which key it was.
    issued = [(a, d) for a, d in db.execute(select(AuditEntry.action, AuditEntry.detail).where(
        AuditEntry.object_id == "mt-city", AuditEntry.action.in_(["machine_key_issue", "machine_key_rotate"]))
        .order_by(AuditEntry.id))]
    db.rollback()
    assert issued[1] == ("machine_key_issue", f"密钥 #{second.token.id}（备注：备用）")
    assert issued[2] == ("machine_key_rotate", f"密钥 #{third.token.id}（备注：open311）；吊销旧密钥 2 个")
    assert issued[0][1] == f"密钥 #{first.token.id}（备注：open311）"


def test_validation_and_permissions(db, org) -> None:  # type: ignore[no-untyped-def]
    boss = org.actor("admin")

    def create(username: str, role: Role = Role.TELEPHONY, actor: Actor = boss, **kw: str):  # type: ignore[no-untyped-def]
        return machines.create_account(db, actor=actor, now=START, role=role, username=username, **kw)

    user, _ = create("mt-pbx")
    assert user.display_name == "话务平台接口"
    with pytest.raises(Conflict, match="用户名 mt-pbx 已存在"):
        create("mt-pbx", Role.CHANNEL)
    with pytest.raises(Conflict, match="已存在"):
        create("operator")
    # QA: ADMIN was created beside admin, and signed the audit log like it (login names ignore case)
    with pytest.raises(Conflict, match="用户名 ADMIN 已存在（不区分大小写）"):
        create("ADMIN")
    with pytest.raises(Conflict, match="已存在"):
        create("MT-PBX", Role.CHANNEL)
    with pytest.raises(DomainError, match="请填写接口账号的用户名"):
        create("   ")
    with pytest.raises(DomainError, match="只能包含"):
        create("mt 城市")
    with pytest.raises(DomainError, match="接口账号类型"):
        create("mt-x", Role.OPERATOR)
    with pytest.raises(DomainError, match="最多 100 个字符"):
        create("mt-y", key_name="k" * 101)
    for name in ("dispatcher", "supervisor"):
        with pytest.raises(Forbidden):
            create("mt-z", actor=org.actor(name))
        with pytest.raises(Forbidden):
            machines.list_accounts(db, actor=org.actor(name), now=START)
    with pytest.raises(NotFound):  # a login account is not a machine account
        machines.issue_key(db, actor=boss, now=START, account_id=org.users["operator"].id)
    assert db.scalar(select(User.id).where(User.username.in_(["mt-x", "mt-y", "mt-z"]))) is None

    rows, total = machines.list_accounts(db, actor=boss, now=START, q="mt-", role=Role.TELEPHONY)
    assert total == 1 and rows[0].user.username == "mt-pbx" and rows[0].active_keys == 1
    assert machines.list_accounts(db, actor=boss, now=START, q="mt-", role=Role.CHANNEL) == ([], 0)


def test_a_name_taken_meanwhile_is_a_conflict_not_a_500(db, org, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two administrators creating the same name at once: the second passes the existence check
    (simulated: it sees nothing) and meets the unique constraint, which must read as the same 409."""
    boss = org.actor("admin")
    machines.create_account(db, actor=boss, now=START, role=Role.CHANNEL, username="mt-race")
    real_select = machines.select
    monkeypatch.setattr(machines, "select", lambda *cols: real_select(*cols).where(sa_false()))
    with pytest.raises(Conflict, match="用户名 mt-race 已存在"):
        machines.create_account(db, actor=boss, now=START, role=Role.CHANNEL, username="mt-race")
    monkeypatch.undo()
    assert db.scalar(select(func.count()).where(User.username == "mt-race")) == 1


def test_search_ignores_case_and_takes_wildcards_literally(db, org) -> None:  # type: ignore[no-untyped-def]
    boss = org.actor("admin")
    machines.create_account(db, actor=boss, now=START, role=Role.CHANNEL, username="mt-CityApp",
                            display_name="市民App")
    machines.create_account(db, actor=boss, now=START, role=Role.CHANNEL, username="mt-cityxapp")

    def found(q: str) -> list[str]:
        return [r.user.username for r in machines.list_accounts(db, actor=boss, now=START, q=q)[0]]

    # the same on SQLite and PostgreSQL (whose LIKE is case-sensitive), as the ticket search
    assert found("MT-CITYAPP") == ["mt-CityApp"] and found("市民app") == ["mt-CityApp"]
    # typed, not wildcards (another test's account may be named city_app: only these two matter)
    assert not {"mt-CityApp", "mt-cityxapp"} & {*found("city_app"), *found("%")}
    db.rollback()


def test_machine_accounts_never_log_in_nor_come_from_the_user_admin(db, org) -> None:  # type: ignore[no-untyped-def]
    user = org_service.add_user(db, username="mt-known", password="known-pass-123", display_name="x",
                                role=Role.CHANNEL, data_scope=DataScope.OWN_UNIT)
    db.commit()
    with pytest.raises(Unauthenticated, match="接口账号不能登录"):
        org_service.authenticate(db, username="mt-known", password="known-pass-123", now=START)
    with pytest.raises(DomainError, match="接口账号没有登录密码"):
        admin.reset_password(db, actor=org.actor("admin"), now=START, user_id=user.id, password="another-pass-1")
    with pytest.raises(DomainError, match="接口账号"):
        admin.create_user(db, actor=org.actor("admin"), now=START, username="mt-via-users", password="long-pass-12",
                          display_name="x", role=Role.TELEPHONY)


def test_the_user_list_api_lists_login_accounts_as_the_page_does(client, as_user, db) -> None:  # type: ignore[no-untyped-def]
    """QA: GET /users listed machine accounts, which every /users call then refused (接口账号请在…)."""
    org_service.add_user(db, username="mt-listed", password="known-pass-123", display_name="x",
                         role=Role.CHANNEL, data_scope=DataScope.OWN_UNIT)
    db.commit()
    for params in ({"q": "mt-listed"}, {"role": "channel"}):
        assert client.get("/api/v1/users", params=params, headers=as_user("admin")).json()["total"] == 0, params
    assert client.get("/api/v1/machine-accounts", params={"q": "mt-listed"},
                      headers=as_user("admin")).json()["total"] == 1


def test_the_command_line_uses_the_same_service(db, org) -> None:  # type: ignore[no-untyped-def]
    system = Actor.system()
    user, first, created = machines.provision(db, actor=system, now=START, role=Role.TELEPHONY, username="mt-cli")
    assert created and user.role == "telephony"
    _, second, created = machines.provision(db, actor=system, now=START, role=Role.TELEPHONY, username="mt-cli")
    assert not created and valid(db, first.key) and valid(db, second.key)
    _, third, _ = machines.provision(db, actor=system, now=START, role=Role.TELEPHONY, username="mt-cli",
                                     rotate=True)
    assert third.revoked == 2 and not valid(db, first.key) and valid(db, third.key)
    same, _, created = machines.provision(db, actor=system, now=START, role=Role.TELEPHONY, username="MT-CLI")
    assert not created and same.username == "mt-cli"  # the account of that name, however it is typed
    with pytest.raises(Conflict, match="不是渠道接入账号"):
        machines.provision(db, actor=system, now=START, role=Role.CHANNEL, username="mt-cli")
    with pytest.raises(Forbidden):
        machines.provision(db, actor=org.actor("dispatcher"), now=START, role=Role.CHANNEL, username="mt-cli2")


# ---- API --------------------------------------------------------------------------------------


def test_api(client, as_user, db) -> None:  # type: ignore[no-untyped-def]
    url = "/api/v1/machine-accounts"
    empty = client.get(url, params={"q": "mt-"}, headers=as_user("admin"))
    assert empty.status_code == 200 and empty.json() == {"items": [], "total": 0, "page": 1, "page_size": 20}
    body = {"username": "mt-app", "role": "channel", "display_name": "市民App"}
    assert client.post(url, json=body, headers=as_user("dispatcher")).status_code == 403
    assert client.get(url, headers=as_user("supervisor")).status_code == 403

    r = client.post(url, json=body, headers=as_user("admin"))
    assert r.status_code == 201, r.text
    created = r.json()
    key, account = created["key"], created["account"]
    assert "只显示这一次" in created["notice"] and r.headers["cache-control"] == "no-store"
    assert (account["role_label"], account["state"], account["active_keys"]) == ("渠道接入接口", "active", 1)
    assert client.get("/open311/v2/requests.json", params={"api_key": key}).status_code == 200

    # A machine key reaches no administration, whatever its role.
    for machine_key in (key, client.post(url, json={"username": "mt-pbx", "role": "telephony"},
                                         headers=as_user("admin")).json()["key"]):
        r = client.get(url, headers={"Authorization": f"Bearer {machine_key}"})
        assert r.status_code == 403 and r.json()["code"] == "machine_account"
        assert client.post(url, json=body, headers={"Authorization": f"Bearer {machine_key}"}).status_code == 403

    again = client.post(url, json=body, headers=as_user("admin"))
    assert again.status_code == 409 and "已存在" in again.json()["message"]
    blank = client.post(url, json={**body, "username": " "}, headers=as_user("admin"))
    assert blank.status_code == 400 and blank.json()["message"] == "请填写接口账号的用户名"
    assert client.post(url, json={**body, "role": "admin"}, headers=as_user("admin")).status_code == 422

    page = client.get(url, params={"q": "mt-", "page_size": 1, "page": 2}, headers=as_user("admin")).json()
    assert page["total"] == 2 and [a["username"] for a in page["items"]] == ["mt-pbx"]

    aid = account["id"]
    rotated = client.post(f"{url}/{aid}/rotate", json={"name": "二期"}, headers=as_user("admin")).json()
    assert rotated["revoked_keys"] == 1 and rotated["key"] != key
    assert client.get("/open311/v2/requests.json", params={"api_key": key}).status_code == 403
    added = client.post(f"{url}/{aid}/keys", json={}, headers=as_user("admin")).json()
    detail = client.get(f"{url}/{aid}", headers=as_user("admin"))
    assert detail.json()["active_keys"] == 2 and len(detail.json()["keys"]) == 3
    assert rotated["key"] not in detail.text and added["key"] not in detail.text  # never shown again
    r = client.post(f"{url}/{aid}/keys/{added['key_id']}/revoke", headers=as_user("admin"))
    assert r.status_code == 200 and r.json()["revoked"] is True
    r = client.post(f"{url}/{aid}/active", json={"active": False}, headers=as_user("admin"))
    assert r.json()["state"] == "disabled" and r.json()["active_keys"] == 0
    assert client.get("/open311/v2/requests.json", params={"api_key": rotated["key"]}).status_code == 403
    assert client.post(f"{url}/{aid}/keys", json={}, headers=as_user("admin")).status_code == 400
    assert client.get(f"{url}/999999", headers=as_user("admin")).status_code == 404

    log = client.get("/api/v1/audit", params={"object_id": "mt-app"}, headers=as_user("admin")).json()
    assert [e["action"] for e in log["items"]] == [
        "machine_account_disable", "machine_key_revoke", "machine_key_issue", "machine_key_rotate",
        "machine_key_issue", "machine_account_create"]
    assert all(e["username"] == "admin" for e in log["items"])
    assert "/api/v1/machine-accounts/{account_id}/rotate" in client.get("/api/openapi.json").json()["paths"]


def test_machine_accounts_cannot_get_a_token_with_a_password(client, db) -> None:  # type: ignore[no-untyped-def]
    org_service.add_user(db, username="mt-pw", password="known-pass-123", display_name="x", role=Role.TELEPHONY,
                         data_scope=DataScope.OWN_UNIT)
    db.commit()
    r = client.post("/api/v1/auth/token", json={"username": "mt-pw", "password": "known-pass-123"})
    assert r.status_code == 401 and "接口账号不能登录" in r.json()["message"]
    page = client.post("/login", data={"username": "mt-pw", "password": "known-pass-123",
                                       "csrf_token": csrf_of(client, "/login")}, follow_redirects=False)
    assert page.status_code == 401 and "接口账号不能登录" in page.text


# ---- page -------------------------------------------------------------------------------------


def test_page(client, db) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    page = client.get("/admin/machines", params={"q": "mt-"})
    assert page.status_code == 200 and "新建接口账号" in page.text and "没有符合条件的接口账号" in page.text
    assert '<a href="/admin/machines" aria-current="page">接口账号</a>' in page.text  # in the admin's navigation

    form = {"username": "", "role": "telephony", "display_name": "PBX 一期"}
    r = post_page(client, "/admin/machines", "/admin/machines", form)
    assert r.status_code == 400 and "请填写接口账号的用户名" in r.text and 'value="PBX 一期"' in r.text
    r = post_page(client, "/admin/machines", "/admin/machines", {**form, "username": "operator"})
    assert r.status_code == 409 and "用户名 operator 已存在" in r.text
    r = post_page(client, "/admin/machines", "/admin/machines", {**form, "role": ""})
    assert r.status_code == 400 and "请选择接口账号类型" in r.text
    assert client.post("/admin/machines", data={**form, "username": "mt-nocsrf"}).status_code == 403

    r = post_page(client, "/admin/machines", "/admin/machines", {**form, "username": "mt-pbx"})
    assert r.status_code == 200 and "只显示这一次" in r.text and "已创建接口账号 mt-pbx" in r.text
    first = KEY_ON_PAGE.search(r.text).group(1)  # type: ignore[union-attr]
    assert valid(db, first) == Role.TELEPHONY and r.headers["cache-control"] == "no-store"
    aid = db.scalar(select(User.id).where(User.username == "mt-pbx"))
    db.rollback()
    detail = client.get(f"/admin/machines/{aid}")
    assert detail.status_code == 200 and first not in detail.text and "key-once" not in detail.text
    listed = client.get("/admin/machines", params={"q": "mt-"}).text
    assert 'data-username="mt-pbx"' in listed and "PBX 一期" in listed and "话务系统接口" in listed
    row = listed.split('data-username="mt-pbx"')[1].split("</tr>")[0]
    assert 'data-label="最近使用"' in row and "从未使用" not in row  # the key was used above (valid())
    assert "mt-pbx" not in client.get("/admin/users", params={"q": "mt-"}).text  # login accounts only there

    r = post_page(client, f"/admin/machines/{aid}", f"/admin/machines/{aid}/keys", {"name": "二期", "rotate": "1"})
    assert r.status_code == 200 and "旧密钥 1 个已立即失效" in r.text
    second = KEY_ON_PAGE.search(r.text).group(1)  # type: ignore[union-attr]
    assert second != first and not valid(db, first) and valid(db, second)
    key_id = org_service.find_token(db, token=second).id  # type: ignore[union-attr]
    db.rollback()
    r = post_page(client, f"/admin/machines/{aid}", f"/admin/machines/{aid}/keys/{key_id}/revoke", {})
    assert r.status_code == 303 and not valid(db, second)
    assert "已吊销密钥" in client.get(f"/admin/machines/{aid}").text
    r = post_page(client, f"/admin/machines/{aid}", f"/admin/machines/{aid}/active", {"active": "0"})
    assert r.status_code == 303 and "其全部密钥已吊销" in client.get(f"/admin/machines/{aid}").text
    assert actions(db, "mt-pbx") == ["machine_account_create", "machine_key_issue", "machine_key_rotate",
                                     "machine_key_revoke", "machine_account_disable"]
    audit = client.get("/admin/audit", params={"object_id": "mt-pbx"}).text
    assert "轮换接口密钥" in audit and "吊销接口密钥" in audit

    login(client, "supervisor")
    assert client.get("/admin/machines").status_code == 403
    assert client.get(f"/admin/machines/{aid}").status_code == 403
    assert "/admin/machines" not in client.get("/admin/audit").text


def test_a_refreshed_key_page_issues_and_rotates_nothing(client, db, org) -> None:  # type: ignore[no-untyped-def]
    user, issued = machines.create_account(db, actor=org.actor("admin"), now=START, role=Role.TELEPHONY,
                                           username="mt-again")
    aid, first = user.id, issued.key
    db.rollback()
    login(client, "admin")
    page = client.get(f"/admin/machines/{aid}").text
    latest = re.search(r'name="latest_key" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    form = {"name": "二期", "rotate": "1", "latest_key": latest,
            "csrf_token": csrf_of(client, f"/admin/machines/{aid}")}
    r = client.post(f"/admin/machines/{aid}/keys", data=form, follow_redirects=False)
    second = KEY_ON_PAGE.search(r.text).group(1)  # type: ignore[union-attr]
    assert not valid(db, first) and valid(db, second)

    again = client.post(f"/admin/machines/{aid}/keys", data=form, follow_redirects=False)  # the browser's refresh
    assert again.status_code == 303 and "key-once" not in again.text
    assert valid(db, second) == Role.TELEPHONY  # the key just shown still works
    assert db.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == aid)) == 2
    db.rollback()
    assert "本次未签发" in client.get(f"/admin/machines/{aid}").text
    with pytest.raises(Conflict):
        machines.issue_key(db, actor=org.actor("admin"), now=START, account_id=aid, after_key=int(latest))


def test_last_use_is_recorded_at_most_once_an_hour(db, org) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    boss = org.actor("admin")
    user, issued = machines.create_account(db, actor=boss, now=START, role=Role.CHANNEL, username="mt-use")
    token_id = issued.token.id

    def last_used():  # type: ignore[no-untyped-def]
        db.expire_all()
        return db.get(ApiToken, token_id).last_used_at

    assert last_used() is None
    rows, _ = machines.list_accounts(db, actor=boss, now=START, q="mt-use")
    assert rows[0].last_used_at is None
    for minutes, expected in ((0, 0), (30, 0), (59, 0), (61, 61), (90, 61)):
        org_service.actor_for_token(db, token=issued.key, now=START + timedelta(minutes=minutes))
        assert last_used() == START + timedelta(minutes=expected), minutes
    rows, _ = machines.list_accounts(db, actor=boss, now=START, q="mt-use")
    assert rows[0].last_used_at == START + timedelta(minutes=61)
