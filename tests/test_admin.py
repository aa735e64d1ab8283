"""Administration: user accounts and the audit log, through the API and the pages; Excel export."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import delete

from hotline.org.models import ApiToken, User
from tests.factories import intake
from tests.test_pages import csrf_of, login, post_page


def _drop_user(db, username: str) -> None:
    user = db.query(User).filter_by(username=username).one_or_none()
    if user is not None:
        db.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        db.delete(user)
        db.commit()


def login_as(client, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(client, "/login")
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text


def test_admin_creates_disables_and_resets_users(client, as_user, org, db) -> None:
    try:
        body = {"username": "new_operator", "display_name": "新话务员", "password": "secret-123", "role": "operator"}
        assert client.post("/api/v1/users", json=body, headers=as_user("dispatcher")).status_code == 403
        r = client.post("/api/v1/users", json=body, headers=as_user("admin"))
        assert r.status_code == 201 and r.json()["role_label"] == "话务员"
        uid = r.json()["id"]
        again = client.post("/api/v1/users", json=body, headers=as_user("admin"))
        assert again.status_code == 409 and "已存在" in again.json()["message"]
        handler = client.post("/api/v1/users", headers=as_user("admin"),
                              json={**body, "username": "orphan", "role": "unit_handler"})
        assert handler.status_code == 400 and "必须指定所属单位" in handler.json()["message"]

        token = client.post("/api/v1/auth/token", json={"username": "new_operator", "password": "secret-123"})
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert client.get("/api/v1/me", headers=bearer).status_code == 200
        r = client.post(f"/api/v1/users/{uid}/active", json={"active": False}, headers=as_user("admin"))
        assert r.json()["active"] is False
        assert client.get("/api/v1/me", headers=bearer).status_code == 401  # tokens revoked with the account
        r = client.post("/api/v1/auth/token", json={"username": "new_operator", "password": "secret-123"})
        assert r.status_code == 401 and "停用" in r.json()["message"]
        client.post(f"/api/v1/users/{uid}/active", json={"active": True}, headers=as_user("admin"))
        # sent twice (a second tab): audited once (QA: each repeat logged another 启用用户)
        client.post(f"/api/v1/users/{uid}/active", json={"active": True}, headers=as_user("admin"))
        token = client.post("/api/v1/auth/token", json={"username": "new_operator", "password": "secret-123"})
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        login_as(client, "new_operator", "secret-123")
        assert client.get("/hall/intake").status_code == 200
        r = client.post(f"/api/v1/users/{uid}/password", json={"password": "another-456"}, headers=as_user("admin"))
        assert r.status_code == 200
        # What the old password opened is closed with it (QA: tokens and page sessions went on working).
        assert client.get("/api/v1/me", headers=bearer).status_code == 401
        assert client.get("/hall/intake", follow_redirects=False).status_code == 303
        assert client.post("/api/v1/auth/token",
                           json={"username": "new_operator", "password": "another-456"}).status_code == 200

        log = client.get("/api/v1/audit", params={"object_id": "new_operator"}, headers=as_user("admin")).json()
        assert [e["action"] for e in log["items"]] == ["reset_password", "enable_user", "disable_user",
                                                       "create_user"]
        assert client.get("/api/v1/audit", headers=as_user("operator")).status_code == 403
    finally:
        _drop_user(db, "new_operator")


def test_admin_pages(client, as_user, db) -> None:
    try:
        login(client, "admin")
        page = client.get("/admin/users")
        assert page.status_code == 200 and "新建用户" in page.text
        r = post_page(client, "/admin/users", "/admin/users",
                      {"username": "page_user", "display_name": "页面用户", "password": "short", "role": "analyst"})
        assert r.status_code == 400 and "密码至少8位" in r.text and 'value="page_user"' in r.text
        r = post_page(client, "/admin/users", "/admin/users",
                      {"username": "page_user", "display_name": "页面用户", "password": "long-enough-1",
                       "role": "analyst"})
        assert r.status_code == 303
        listed = client.get("/admin/users", params={"q": "page_user"}).text
        assert "页面用户" in listed and "数据分析员" in listed
        audit = client.get("/admin/audit", params={"action": "create_user"}).text
        assert "创建用户" in audit and "page_user" in audit
        login(client, "operator")
        assert client.get("/admin/users").status_code == 403
    finally:
        _drop_user(db, "page_user")


def test_search_results_export_to_excel(client, as_user, org) -> None:
    for i in range(3):
        client.post("/api/v1/tickets", json=intake(title=f"导出测试诉求{i}"), headers=as_user("operator"))
    r = client.get("/api/v1/exports/tickets.xlsx", params={"q": "导出测试"}, headers=as_user("analyst"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "工单编号" and len(rows) == 4
    assert {row[4] for row in rows[1:]} == {"导出测试诉求0", "导出测试诉求1", "导出测试诉求2"}
    assert all(row[6] == "139****5678" for row in rows[1:])  # masked like the lists
    log = client.get("/api/v1/audit", params={"action": "export_tickets"}, headers=as_user("admin")).json()
    assert log["total"] == 1 and log["items"][0]["username"] == "analyst"
    login(client, "dispatcher")
    page = client.get("/tickets/export.xlsx", params={"q": "导出测试"})
    assert page.status_code == 200 and len(list(load_workbook(BytesIO(page.content)).active.iter_rows())) == 4


def test_new_accounts_are_checked_before_they_reach_the_database(client, as_user) -> None:
    """QA: too long a name on the page was a 500 on PostgreSQL; 张三, ADMIN beside admin and a password
    of spaces were accepted."""
    base = {"display_name": "新用户", "password": "secret-123", "role": "operator"}
    for body, said in [({"username": "张三"}, "英文字母"), ({"username": "ＵＳＥＲ１"}, "英文字母"),
                       ({"username": "ADMIN"}, "不区分大小写"), ({"username": "new_op", "password": " " * 8}, "空格"),
                       ({"username": "new_op", "display_name": "名" * 65}, "最多 64 个字")]:
        r = client.post("/api/v1/users", json={**base, **body}, headers=as_user("admin"))
        assert r.status_code in (409, 422) and said in r.json()["message"], (body, r.text)
    login(client, "admin")
    r = post_page(client, "/admin/users", "/admin/users",
                  {"username": "new_op", "display_name": "名" * 80, "password": "secret-123", "role": "operator"})
    assert r.status_code == 422 and "最多 64 个字" in r.text


def test_a_password_of_spaces_is_refused_on_reset_too(client, as_user, db) -> None:
    """QA: creating refused a password of spaces, resetting one to eight spaces was accepted."""
    try:
        body = {"username": "pw_reset", "display_name": "重置", "password": "secret-123", "role": "analyst"}
        uid = client.post("/api/v1/users", json=body, headers=as_user("admin")).json()["id"]
        r = client.post(f"/api/v1/users/{uid}/password", json={"password": " " * 8}, headers=as_user("admin"))
        assert r.status_code == 422 and "空格" in r.json()["message"]
        assert client.post("/api/v1/auth/token", json={"username": "pw_reset", "password": "secret-123"}
                           ).status_code == 200
        login(client, "admin")
        r = post_page(client, "/admin/users", f"/admin/users/{uid}/password", {"password": " " * 10})
        assert r.status_code == 303
        assert "空格" in client.get("/admin/users").text
    finally:
        _drop_user(db, "pw_reset")


def test_every_audited_action_has_a_chinese_label() -> None:
    """QA: blacklist_confirm, export_assessment … showed as codes in the audit log, and its filter lacked them."""
    import re
    from pathlib import Path

    import hotline
    from hotline.blacklist.enums import EntryAction
    from hotline.security.audit import ACTION_LABELS

    source = "\n".join(p.read_text(encoding="utf-8") for p in Path(hotline.__file__).parent.rglob("*.py"))
    literal = set(re.findall(r'action="([a-z_]+)"', source)) | set(re.findall(r'action = "([a-z_]+)"', source))
    made = {f"blacklist_{a}" for a in EntryAction} | {"blacklist_propose_run"}
    hotline_kinds = {a for a in ACTION_LABELS if a.startswith("hotline_")}
    missing = sorted((literal | made) - set(ACTION_LABELS) - hotline_kinds)
    assert missing == [], missing


def test_user_search_in_any_case_with_percent_taken_as_typed(client, as_user) -> None:
    """QA: the search was case-sensitive, and % or _ matched anything."""
    found = client.get("/api/v1/users", params={"q": "OPERATOR"}, headers=as_user("admin")).json()
    assert "operator" in {u["username"] for u in found["items"]}
    assert client.get("/api/v1/users", params={"q": "%"}, headers=as_user("admin")).json()["total"] == 0
