"""A data-sharing account's scope changed after it was created (hotline.org.machines.change_scope): by the
API, the admin page and `hotline share scope`; audited before → after; the feed position kept — events
already read or pushed stay, later ones follow the new scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hotline.security.models import AuditEntry
from hotline.sharing.feed import FEED_LAG
from tests import test_sharing_push as push_tests
from tests.test_pages import dispatch_to, login, new_ticket, post_page
from tests.test_sharing_push import READY, _run, _state, _subscribe, _two_tickets

receiver, _no_subscriptions_left = push_tests.receiver, push_tests._no_subscriptions_left
HOUSING, MARKET = "本单位：南京市住房保障和房产局", "本单位：南京市市场监督管理局"


def _account(client: Any, as_user: Any, username: str, **scope: str) -> tuple[int, str]:
    r = client.post("/api/v1/machine-accounts", headers=as_user("admin"),
                    json={"username": username, "role": "data_sharing", **scope})
    assert r.status_code == 201, r.text
    return int(r.json()["account"]["id"]), r.json()["key"]


def _feed(client: Any, key: str, after: int) -> dict[str, Any]:
    r = client.get("/api/share/v1/events", params={"after": after}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    return r.json()


def _scope(client: Any, as_user: Any, account: int, persona: str = "admin", **body: Any) -> Any:
    return client.put(f"/api/v1/machine-accounts/{account}/scope", headers=as_user(persona), json=body)


def _changes(db: Any, username: str) -> list[str]:
    rows = list(db.execute(select(AuditEntry.detail).where(AuditEntry.action == "machine_scope_change",
                                                           AuditEntry.object_id == username)
                           .order_by(AuditEntry.id)).scalars())
    db.rollback()
    return rows


def test_a_changed_scope_keeps_what_was_read_and_reads_later_events_with_the_new_one(client, as_user, org, clock,
                                                                                     db) -> None:  # type: ignore[no-untyped-def]
    account, key = _account(client, as_user, "rescope-push", unit_code="fcj")
    xuanwu, qinhuai = _two_tickets(client, as_user, org)
    clock.advance(READY)
    before = _feed(client, key, after=0)
    assert {e["ticket_number"] for e in before["events"]} == {xuanwu["number"]}
    cursor = before["next_after"]

    r = _scope(client, as_user, account, unit_code="scjgj")
    assert r.status_code == 200 and r.json()["data_scope"] == MARKET
    assert _changes(db, "rescope-push") == [
        f"数据范围：{HOUSING} → {MARKET}（已送达的事件不变，此后的事件按新范围读取）"]
    # From the reader's cursor: the market ticket's earlier events lie behind it and are not read again
    assert _feed(client, key, after=cursor)["events"] == []
    # Later events follow the new scope: a new market ticket is read, new housing steps are not
    later_market = new_ticket(client, as_user)
    dispatch_to(client, as_user, later_market, org.units["market"].id)
    later_housing = new_ticket(client, as_user)
    dispatch_to(client, as_user, later_housing, org.units["housing"].id)
    clock.advance(READY)
    after = _feed(client, key, after=cursor)
    assert {e["ticket_number"] for e in after["events"]} == {later_market["number"]}
    # A reader that wants the new scope's history reads again from 0: only what the new scope covers
    assert {e["ticket_number"] for e in _feed(client, key, after=0)["events"]} == {qinhuai["number"],
                                                                                  later_market["number"]}

    # The same scope again changes and audits nothing; a jurisdiction, then the city (said explicitly)
    assert _scope(client, as_user, account, unit_code="scjgj").status_code == 200
    assert _scope(client, as_user, account, jurisdiction_code="320104").json()["data_scope"] == "本辖区：秦淮区"
    assert _scope(client, as_user, account, whole_city=True).json()["data_scope"] == "全市"
    assert [d.split("（")[0] for d in _changes(db, "rescope-push")] == [
        f"数据范围：{HOUSING} → {MARKET}", f"数据范围：{MARKET} → 本辖区：秦淮区", "数据范围：本辖区：秦淮区 → 全市"]


def test_a_scope_change_is_checked_in_chinese_and_for_administrators_only(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    account, _ = _account(client, as_user, "badscope-push", unit_code="fcj")
    for body, message in [({}, "请选择新的数据范围"), ({"unit_code": "fcj", "whole_city": True}, "选其一"),
                          ({"unit_code": "fcj", "jurisdiction_code": "320102"}, "选其一"),
                          ({"unit_code": "nope"}, "没有代码为 nope 的单位"),
                          ({"jurisdiction_code": "999"}, "没有代码为 999 的辖区")]:
        r = _scope(client, as_user, account, **body)
        assert r.status_code == 400 and message in r.text, (body, r.text)
    assert _scope(client, as_user, account, "supervisor", whole_city=True).status_code == 403
    channel = client.post("/api/v1/machine-accounts", headers=as_user("admin"),
                          json={"username": "chan-push", "role": "channel"}).json()["account"]["id"]
    r = _scope(client, as_user, channel, whole_city=True)
    assert r.status_code == 400 and "只有数据共享接口账号有数据范围" in r.text
    assert client.get(f"/api/v1/machine-accounts/{account}", headers=as_user("admin")).json()["data_scope"] == HOUSING


def test_push_keeps_its_cursor_and_sends_later_events_of_the_new_scope(client, as_user, org, clock, app, receiver,
                                                                       db) -> None:  # type: ignore[no-untyped-def]
    account, _ = _account(client, as_user, "scopepush-push", unit_code="fcj")
    _subscribe(client, as_user, account)
    xuanwu, _ = _two_tickets(client, as_user, org)
    clock.advance(READY)
    assert _run(app) == 2
    cursor = _state(client, as_user, account)["cursor"]

    # the admin page's form
    login(client, "admin")
    page = f"/admin/machines/{account}"
    assert "更改数据范围" in client.get(page).text
    r = post_page(client, page, f"{page}/scope", {"unit_code": "", "jurisdiction_code": "", "whole_city": "1"})
    assert r.status_code == 303
    shown = client.get(page).text
    assert "数据范围现为「全市」" in shown and "<dd>全市</dd>" in shown
    bad = post_page(client, page, f"{page}/scope", {"unit_code": "", "jurisdiction_code": ""})
    assert bad.status_code == 303 and "请选择新的数据范围" in client.get(page).text
    assert _state(client, as_user, account)["cursor"] == cursor  # the position is not touched

    clock.advance(FEED_LAG)
    assert _run(app) == 0  # the market ticket's events lie behind the cursor: not sent now
    later = new_ticket(client, as_user)
    clock.advance(READY)
    assert _run(app) == 1
    assert [e["ticket_number"] for e in receiver.bodies()[-1]["events"]] == [later["number"]]
    assert {e["ticket_number"] for b in receiver.bodies() for e in b["events"]} == {xuanwu["number"],
                                                                                   later["number"]}
    assert len(_changes(db, "scopepush-push")) == 1


def test_the_command_line_changes_the_scope(settings, monkeypatch, org, db) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from hotline.cli import app as cli_app

    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    assert runner.invoke(cli_app, ["share", "account", "scopecli-push", "--unit", "fcj"]).exit_code == 0
    # issuing a key never changes the scope: the refusal names the command that does
    refused = runner.invoke(cli_app, ["share", "account", "scopecli-push", "--jurisdiction", "320102"])
    assert refused.exit_code == 2 and "hotline share scope" in refused.output
    changed = runner.invoke(cli_app, ["share", "scope", "scopecli-push", "--jurisdiction", "320102"])
    assert changed.exit_code == 0 and f"数据范围 {HOUSING} → 本辖区：玄武区" in changed.output, changed.output
    same = runner.invoke(cli_app, ["share", "scope", "scopecli-push", "--jurisdiction", "320102"])
    assert same.exit_code == 0 and "数据范围已是 本辖区：玄武区，未作更改" in same.output
    city = runner.invoke(cli_app, ["share", "scope", "scopecli-push", "--city"])
    assert city.exit_code == 0 and "→ 全市" in city.output
    for args, message in [([], "请选择新的数据范围"), (["--city", "--unit", "fcj"], "选其一"),
                          (["--jurisdiction", "999999"], "没有代码为 999999 的辖区")]:
        result = runner.invoke(cli_app, ["share", "scope", "scopecli-push", *args])
        assert result.exit_code == 2 and message in result.output, (args, result.output)
    missing = runner.invoke(cli_app, ["share", "scope", "nobody", "--city"])
    assert missing.exit_code == 2 and "接口账号 nobody 不存在" in missing.output
    assert len(_changes(db, "scopecli-push")) == 2
