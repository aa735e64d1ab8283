"""A unit's business system (部门业务系统, Role.UNIT_SYSTEM): a machine account bound to one handling unit
that does on the unit's tickets what its staff do (签收、退单、申请延期、答复、协办), under its own name, and
reads the unit's queue; nothing else. 12345 still closes and calls back (苏政办发〔2021〕81号)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from hotline.clock import CHINA_TZ
from hotline.db import make_session_factory
from hotline.errors import Conflict, DomainError
from hotline.org import machines
from hotline.org import service as org_service
from hotline.security.actor import Actor
from hotline.security.models import AuditEntry
from hotline.security.roles import Role
from tests.conftest import START
from tests.factories import drop_accounts, intake

PREFIX = "us-"  # every account this module makes, removed after the module (its events go with the tickets)
ISSUED = datetime(2026, 12, 31, tzinfo=CHINA_TZ)  # as the personas' tokens: valid wherever a test travels


@pytest.fixture(scope="module")
def systems(engine: Engine, org) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    """The housing bureau's and the street's business systems, and their keys."""
    db = make_session_factory(engine)()
    try:
        keys = {}
        for name, unit in (("housing", "housing"), ("street", "street")):
            _, issued = machines.create_account(db, actor=Actor.system(), now=ISSUED, role=Role.UNIT_SYSTEM,
                                                username=f"{PREFIX}{name}", unit_code=org.units[unit].code)
            keys[name] = issued.key
    finally:
        db.close()
    yield keys
    drop_accounts(engine, PREFIX)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def act(client, ticket: dict, action: str, headers: dict[str, str], body: dict | None = None):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/tickets/{ticket['id']}/actions/{action}", headers=headers, json=body or {})


def dispatched(client, as_user, org, *, lead: str = "housing", assisting: tuple[str, ...] = ()) -> dict:  # type: ignore[no-untyped-def]
    t = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    r = act(client, t, "dispatch", as_user("dispatcher"),
            {"lead_unit_id": org.units[lead].id, "assisting_unit_ids": [org.units[u].id for u in assisting]})
    assert r.status_code == 200, r.text
    return t


# ---- the account --------------------------------------------------------------------------------


def test_an_account_is_bound_to_one_unit(db, org, systems) -> None:  # type: ignore[no-untyped-def]
    user = db.execute(select(machines.User).where(machines.User.username == f"{PREFIX}housing")).unique().scalar_one()
    assert (user.role, user.unit_id, user.data_scope) == ("unit_system", org.units["housing"].id, "own_unit")
    assert user.display_name == "市房产局业务系统"  # named after its unit unless told otherwise
    assert machines.scope_of(user) == "本单位：南京市住房保障和房产局"
    db.rollback()
    system = Actor.system()
    with pytest.raises(DomainError, match="请填写部门业务系统所属承办单位的单位代码"):
        machines.create_account(db, actor=system, now=START, role=Role.UNIT_SYSTEM, username=f"{PREFIX}none")
    with pytest.raises(DomainError, match="不能指定辖区"):
        machines.create_account(db, actor=system, now=START, role=Role.UNIT_SYSTEM, username=f"{PREFIX}area",
                                unit_code="fcj", jurisdiction_code="320102")
    with pytest.raises(DomainError, match="没有代码为 nope 的单位"):
        machines.create_account(db, actor=system, now=START, role=Role.UNIT_SYSTEM, username=f"{PREFIX}x",
                                unit_code="nope")
    # The command line's step issues a new key for the same unit, and never moves it to another unit.
    _, again, created = machines.provision(db, actor=system, now=START, role=Role.UNIT_SYSTEM,
                                           username=f"{PREFIX}housing", unit_code="fcj")
    assert not created and again.key
    with pytest.raises(Conflict, match="所属单位为「南京市住房保障和房产局」，不能改变"):
        machines.provision(db, actor=system, now=START, role=Role.UNIT_SYSTEM, username=f"{PREFIX}housing",
                           unit_code=org.units["market"].code)
    with pytest.raises(DomainError):  # never a login, like every machine account
        org_service.authenticate(db, username=f"{PREFIX}housing", password="whatever-123", now=START)
    db.rollback()


def test_the_admin_api_creates_one_and_audits_it(client, as_user, db, org) -> None:  # type: ignore[no-untyped-def]
    url = "/api/v1/machine-accounts"
    r = client.post(url, json={"username": f"{PREFIX}api", "role": "unit_system", "unit_code": "scjgj"},
                    headers=as_user("admin"))
    assert r.status_code == 201, r.text
    account = r.json()["account"]
    assert (account["role_label"], account["display_name"], account["unit"]) == (
        "部门业务系统", "市市场监管局业务系统", "市市场监管局")
    r = client.post(url, json={"username": f"{PREFIX}api2", "role": "unit_system"}, headers=as_user("admin"))
    assert r.status_code == 400 and "所属承办单位" in r.json()["message"]
    detail = db.scalar(select(AuditEntry.detail).where(AuditEntry.action == "machine_account_create",
                                                       AuditEntry.object_id == f"{PREFIX}api"))
    assert detail == "部门业务系统：市市场监管局业务系统；所属单位：南京市市场监督管理局"
    db.rollback()


# ---- what it does -------------------------------------------------------------------------------


def test_it_handles_its_units_tickets_as_the_unit_does(client, as_user, org, systems) -> None:  # type: ignore[no-untyped-def]
    housing, street = bearer(systems["housing"]), bearer(systems["street"])
    t = dispatched(client, as_user, org, assisting=("street",))

    queue = client.get("/api/v1/queue", headers=housing)
    assert queue.status_code == 200 and [i["id"] for i in queue.json()["items"]] == [t["id"]]
    item = queue.json()["items"][0]
    assert item["requester_phone"] != intake()["requester_phone"]  # masked, as a unit's queue always is

    r = act(client, t, "acknowledge", housing)
    assert r.status_code == 200 and r.json()["state"] == "handling", r.text
    assert act(client, t, "assist_acknowledge", street).status_code == 200
    r = act(client, t, "assist_reply", street, {"content": "街道已上门核实，餐馆排风设备确有噪音。"})
    assert r.status_code == 200, r.text
    r = act(client, t, "request_extension", housing, {"days": 3, "reason": "需协调环保部门联合检测噪音"})
    assert r.status_code == 200 and r.json()["extension_pending"] is True
    assert r.json()["requester_phone"] != intake()["requester_phone"]  # the action's answer is masked
    assert act(client, t, "approve_extension", as_user("dispatcher")).status_code == 200
    r = act(client, t, "reply", housing, {"content": "已责令餐馆加装消声设备并限定营业时间，经复测噪音达标。"})
    assert r.status_code == 200 and r.json()["state"] == "replied"

    # 12345 closes and calls back; the system may do neither.
    r = act(client, t, "close", housing)
    assert r.status_code == 409 and r.json()["message"] == "「部门业务系统」无权执行「办结」"
    assert act(client, t, "close", as_user("dispatcher")).status_code == 200
    r = act(client, t, "callback", housing, {"solved": True, "satisfaction": "satisfied"})
    assert r.status_code == 409 and "无权" in r.json()["message"]
    r = act(client, t, "callback", as_user("callback"), {"solved": True, "satisfaction": "satisfied"})
    assert r.status_code == 200 and r.json()["state"] == "finished"

    # The history names the systems, not a person.
    events = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("dispatcher")).json()
    by_system = [(e["action"], e["actor_name"]) for e in events if e["actor_role"] == "unit_system"]
    assert by_system == [("acknowledge", "市房产局业务系统（市房产局）"),
                         ("assist_acknowledge", "孝陵卫街道业务系统（孝陵卫街道）"),
                         ("assist_reply", "孝陵卫街道业务系统（孝陵卫街道）"),
                         ("request_extension", "市房产局业务系统（市房产局）"),
                         ("reply", "市房产局业务系统（市房产局）")]


def test_it_returns_a_ticket_that_is_not_its_units(client, as_user, org, systems) -> None:  # type: ignore[no-untyped-def]
    t = dispatched(client, as_user, org)
    r = act(client, t, "return", bearer(systems["housing"]), {"reason": "该事项属市场监管部门职责"})
    assert r.status_code == 200 and r.json()["state"] == "return_review", r.text


def test_another_units_ticket_is_out_of_reach(client, as_user, org, systems) -> None:  # type: ignore[no-untyped-def]
    housing = bearer(systems["housing"])
    t = dispatched(client, as_user, org, lead="market")
    assert client.get("/api/v1/queue", headers=housing).json()["total"] == 0
    for action, body in (("acknowledge", {}), ("return", {"reason": "该事项不属本单位职责"})):
        r = act(client, t, action, housing, body)
        assert r.status_code == 403 and r.json()["code"] == "ticket_forbidden"
    assert act(client, {"id": 999999}, "acknowledge", housing).status_code == 404
    # Assisting on its ticket, it may not act as the lead.
    t2 = dispatched(client, as_user, org, lead="market", assisting=("housing",))
    r = act(client, t2, "acknowledge", housing)
    assert r.status_code == 409 and r.json()["message"] == "只有本工单的主办单位可以执行此操作"


def test_the_centres_actions_and_other_routes_are_refused(client, as_user, org, systems) -> None:  # type: ignore[no-untyped-def]
    housing = bearer(systems["housing"])
    t = dispatched(client, as_user, org)
    for action, body, label in (("reassign", {"lead_unit_id": org.units["market"].id, "reason": "改派"}, "改派"),
                                ("remind", {"note": "请加快办理"}, "催办"),
                                ("supervise", {"note": "请加快办理进度"}, "督办"),
                                ("withdraw", {"reason": "诉求人撤回"}, "撤回")):
        r = act(client, t, action, housing, body)
        assert r.status_code == 409 and r.json()["message"] == f"「部门业务系统」无权执行「{label}」", (action, r.text)
    # Nothing else of the API: not the search, not registration, not the data-sharing feed, not the pages.
    for method, path in (("get", "/api/v1/tickets"), ("post", "/api/v1/tickets"),
                         ("get", "/api/v1/exports/tickets.xlsx"), ("get", "/api/v1/supervision/orders")):
        r = client.request(method.upper(), path, headers=housing, json=intake() if method == "post" else None)
        assert r.status_code == 403 and r.json()["code"] == "machine_account", path
        assert "部门业务系统接口账号只能" in r.json()["message"]
    assert client.get("/api/share/v1/events", headers=housing).status_code == 403


def test_the_admin_page_creates_one(client, db, org) -> None:  # type: ignore[no-untyped-def]
    from tests.test_pages import login, post_page

    login(client, "admin")
    page = client.get("/admin/machines")
    assert '<option value="unit_system">部门业务系统</option>' in page.text
    form = {"username": f"{PREFIX}page", "role": "unit_system", "display_name": ""}
    r = post_page(client, "/admin/machines", "/admin/machines", form)
    assert r.status_code == 400 and "请填写部门业务系统所属承办单位的单位代码" in r.text
    r = post_page(client, "/admin/machines", "/admin/machines", {**form, "unit_code": "fcj"})
    assert r.status_code == 200 and "只显示这一次" in r.text and "市房产局业务系统" in r.text
    listed = client.get("/admin/machines", params={"q": f"{PREFIX}page"})
    assert "部门业务系统" in listed.text and "市房产局" in listed.text


def test_the_command_line_creates_one_and_rotates_its_key(settings, monkeypatch, db, org) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from hotline.cli import app as cli_app

    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    first = runner.invoke(cli_app, ["unit-system", "account", f"{PREFIX}cli", "--unit", "fcj"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli_app, ["unit-system", "account", f"{PREFIX}cli", "--unit", "fcj"])
    assert second.exit_code == 0 and second.output != first.output
    assert org_service.actor_for_token(db, token=second.output.strip(), now=START).role == Role.UNIT_SYSTEM
    db.rollback()
    for args, message in [([], "请填写部门业务系统所属承办单位的单位代码"), (["--unit", "scjgj"], "不能改变")]:
        name = f"{PREFIX}cli2" if not args else f"{PREFIX}cli"
        result = runner.invoke(cli_app, ["unit-system", "account", name, *args])
        assert result.exit_code == 2 and message in result.output, (args, result.output)


# ---- its tickets' details and history -----------------------------------------------------------


def test_it_reads_why_its_reply_was_sent_back_and_its_return_refused(client, as_user, org, systems) -> None:  # type: ignore[no-untyped-def]
    housing = bearer(systems["housing"])
    t = dispatched(client, as_user, org)
    assert act(client, t, "return", housing, {"reason": "该事项属市场监管部门职责"}).status_code == 200
    refused = "餐馆噪音扰民属住建部门牵头，请继续办理"
    assert act(client, t, "refuse_return", as_user("dispatcher"), {"reason": refused}).status_code == 200
    # A reply that names the requester (as a reply to them often does) and is sent back.
    r = act(client, t, "reply", housing, {"content": "张三您好，已责令餐馆整改，回电13912345678。"})
    assert r.status_code == 200, r.text
    sent_back = "答复未说明整改期限，请补充后重新答复"
    assert act(client, t, "reject_reply", as_user("dispatcher"), {"reason": sent_back}).status_code == 200

    r = client.get(f"/api/v1/tickets/{t['id']}/events", headers=housing)
    assert r.status_code == 200, r.text
    events = r.json()
    notes = {e["action"]: e["note"] for e in events}
    assert notes["refuse_return"] == refused and notes["reject_reply"] == sent_back
    # The requester masked as the ticket is for a unit that may not see them: in the reply's text too.
    assert notes["reply"] == "张*您好，已责令餐馆整改，回电139****5678。"
    assert "张三" not in r.text and "13912345678" not in r.text
    by_system = [e["action"] for e in events if e["actor_name"] == "市房产局业务系统（市房产局）"]
    assert by_system == ["return", "reply"]
    # The ticket itself, masked (never audited as a read of personal data: nothing is shown).
    detail = client.get(f"/api/v1/tickets/{t['id']}", headers=housing).json()
    assert (detail["personal_data_masked"], detail["requester_name"], detail["requester_phone"]) == (
        True, "张*", "139****5678")
    assert client.get(f"/api/v1/tickets/by-number/{t['number']}", headers=housing).json()["id"] == t["id"]
    # The unit's staff read the same history unmasked while the unit handles the ticket.
    staff = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("housing_handler")).json()
    assert [e["note"] for e in staff if e["action"] == "reply"] == ["张三您好，已责令餐馆整改，回电13912345678。"]


def test_a_ticket_it_held_stays_readable_and_another_units_does_not(client, as_user, org, systems) -> None:  # type: ignore[no-untyped-def]
    housing = bearer(systems["housing"])
    t = dispatched(client, as_user, org)
    r = act(client, t, "reassign", as_user("dispatcher"), {"lead_unit_id": org.units["market"].id,
                                                           "reason": "属市场监管职责"})
    assert r.status_code == 200, r.text
    events = client.get(f"/api/v1/tickets/{t['id']}/events", headers=housing)
    assert events.status_code == 200 and events.json()[-1]["action"] == "reassign"
    other = dispatched(client, as_user, org, lead="market")
    for path in (f"/api/v1/tickets/{other['id']}", f"/api/v1/tickets/{other['id']}/events",
                 f"/api/v1/tickets/by-number/{other['number']}"):
        r = client.get(path, headers=housing)
        assert r.status_code == 403 and r.json()["code"] == "ticket_forbidden", path


def test_its_retried_reply_is_answered_once(client, as_user, org, systems, db) -> None:  # type: ignore[no-untyped-def]
    from hotline.tickets.models import TicketEvent

    housing = bearer(systems["housing"])
    t = dispatched(client, as_user, org)
    keyed = {**housing, "Idempotency-Key": "fcj-20261102-0001-reply"}
    assert act(client, t, "acknowledge", {**housing, "Idempotency-Key": "fcj-ack-1"}).status_code == 200
    body = {"content": "已责令餐馆加装消声设备，经复测噪音达标。"}
    first = act(client, t, "reply", keyed, body)
    again = act(client, t, "reply", keyed, body)  # its answer was lost: it sends the same again
    assert first.status_code == again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content and first.json()["state"] == "replied"
    replies = db.scalars(select(TicketEvent.id).where(TicketEvent.ticket_id == t["id"],
                                                      TicketEvent.action == "reply")).all()
    db.rollback()
    assert len(replies) == 1
    r = act(client, t, "reply", keyed, {"content": "另一份答复：已责令餐馆停业整改。"})
    assert r.status_code == 409 and r.json()["message"].startswith("该 Idempotency-Key 已用于另一个不同的请求")


# ---- its unit's inbox (消息提醒) ---------------------------------------------------------------------


def test_it_polls_its_units_inbox_by_cursor_and_marks_read(client, as_user, org, systems, db, clock) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import delete

    from hotline.supervision.enums import Audience, NotificationKind
    from hotline.supervision.models import Notification
    from hotline.supervision.timeline import notify

    housing = bearer(systems["housing"])
    feed_url = "/api/v1/supervision/notifications/feed"
    start = client.get(feed_url, headers=housing).json()["next_since"]  # what is there already: skipped
    t = dispatched(client, as_user, org)
    other = dispatched(client, as_user, org, lead="market")
    assert act(client, t, "acknowledge", housing).status_code == 200
    assert act(client, t, "reply", housing, {"content": "已责令餐馆加装消声设备并限定营业时间。"}).status_code == 200
    assert act(client, t, "reject_reply", as_user("dispatcher"), {"reason": "请补充整改期限"}).status_code == 200
    assert act(client, t, "remind", as_user("dispatcher"), {"note": "请尽快重新答复"}).status_code == 200
    assert act(client, other, "remind", as_user("dispatcher"), {"note": "请尽快签收"}).status_code == 200
    t2 = dispatched(client, as_user, org, lead="market")
    r = act(client, t2, "adjust_assisting", as_user("dispatcher"),
            {"assisting_unit_ids": [org.units["housing"].id], "reason": "涉及房屋安全"})
    assert r.status_code == 200, r.text
    # A message of the unit's that is not about a ticket (the knowledge base's) is for its staff only.
    notify(db, unit_id=org.units["housing"].id, audience=Audience.UNIT, kind=NotificationKind.KB_EXPIRING,
           at=clock.now(), title="知识即将到期：物业维修资金使用")
    db.commit()
    try:
        _poll_and_mark(client, as_user, db, clock, housing, start, t, t2, other)
    finally:  # not a ticket's: the suite's clean-up leaves it
        db.execute(delete(Notification).where(Notification.kind == NotificationKind.KB_EXPIRING,
                                              Notification.unit_id == org.units["housing"].id))
        db.commit()


def _poll_and_mark(client, as_user, db, clock, housing, start, t, t2, other) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from hotline.supervision.models import Notification

    feed_url = "/api/v1/supervision/notifications/feed"

    # Messages just written wait a few seconds (one being written could otherwise be passed over).
    assert client.get(feed_url, headers=housing, params={"since": start}).json()["items"] == []
    clock.advance(timedelta(seconds=6))
    page = client.get(feed_url, headers=housing, params={"since": start, "limit": 2}).json()
    assert page["has_more"] is True and len(page["items"]) == 2
    rest = client.get(feed_url, headers=housing, params={"since": page["next_since"]}).json()
    assert rest["has_more"] is False
    items = page["items"] + rest["items"]
    assert [(i["title"].split("：")[0], i["ticket_id"]) for i in items] == [
        ("答复被退回，请重新办理", t["id"]), ("催办", t["id"]),
        ("工单增派本单位协办（市市场监管局主办），请签收并提交协办意见", t2["id"])]
    assert all(i["read_at"] is None for i in items) and "请补充整改期限" in items[0]["body"]
    again = client.get(feed_url, headers=housing, params={"since": rest["next_since"]}).json()
    assert (again["items"], again["next_since"]) == ([], rest["next_since"])

    # Marked read one by one, or up to what it has processed; the unit's staff see who read them.
    r = client.post(f"/api/v1/supervision/notifications/{items[0]['id']}/read", headers=housing)
    assert r.json() == {"marked": 1}
    r = client.post("/api/v1/supervision/notifications/read-all", headers=housing, params={"up_to": items[1]["id"]})
    assert r.json() == {"marked": 1}
    unread = client.get(feed_url, headers=housing, params={"since": start, "unread": True}).json()["items"]
    assert [i["id"] for i in unread] == [items[2]["id"]]
    readers = db.execute(select(Notification.read_by_name).where(Notification.id.in_([items[0]["id"], items[1]["id"]]))
                         ).scalars().all()
    db.rollback()
    assert readers == ["市房产局业务系统（市房产局）"] * 2
    staff = client.get("/api/v1/supervision/notifications", headers=as_user("housing_manager"),
                       params={"unread": True}).json()["items"]
    assert items[0]["id"] not in [i["id"] for i in staff] and any(i["kind"] == "kb_expiring" for i in staff)
    # Another unit's message is not its to read or mark.
    market_msg = db.scalar(select(Notification.id).where(Notification.ticket_id == other["id"]))
    db.rollback()
    assert client.post(f"/api/v1/supervision/notifications/{market_msg}/read", headers=housing).json() == {"marked": 0}
    r = client.get(feed_url, headers=housing, params={"since": -1})
    assert r.status_code == 422 and "since 须为不小于 0 的消息编号" in r.json()["message"]
    r = client.get(feed_url, headers=housing, params={"since": "最新"})
    assert r.status_code == 422 and "消息编号游标" in r.json()["message"], r.text


def test_its_feed_masks_the_requester_as_its_history_does(client, as_user, org, systems, clock) -> None:  # type: ignore[no-untyped-def]
    """QA: the history it reads masks the requester's name and phone (张*, 139****5678) in every note, but the
    feed's message carried the centre's note as written: a reply sent back saying whom to call was unmasked."""
    from datetime import timedelta

    housing = bearer(systems["housing"])
    feed_url = "/api/v1/supervision/notifications/feed"
    start = client.get(feed_url, headers=housing).json()["next_since"]
    t = dispatched(client, as_user, org)
    assert act(client, t, "acknowledge", housing).status_code == 200
    assert act(client, t, "reply", housing, {"content": "已责令餐馆加装消声设备并限定营业时间。"}).status_code == 200
    sent_back = "请先电话联系张三（13912345678）核实整改效果后再答复"
    assert act(client, t, "reject_reply", as_user("dispatcher"), {"reason": sent_back}).status_code == 200
    clock.advance(timedelta(seconds=10))
    r = client.get(feed_url, headers=housing, params={"since": start})
    assert r.status_code == 200, r.text
    bodies = [n["body"] for n in r.json()["items"] if n["ticket_id"] == t["id"]]
    assert bodies == ["请先电话联系张*（139****5678）核实整改效果后再答复"]
    assert "张三" not in r.text and "13912345678" not in r.text
    # the unit's staff read their inbox as the ticket shows them: unmasked while they handle it
    staff = client.get("/api/v1/supervision/notifications", headers=as_user("housing_handler")).json()["items"]
    assert sent_back in [n["body"] for n in staff if n["ticket_id"] == t["id"]]


def test_the_ticket_it_reads_masks_the_requester_in_its_text(client, as_user, org, systems) -> None:  # type: ignore[no-untyped-def]
    """QA: the history was masked in its notes, but the detail showed the request's and the reply's text as
    written — the requester's phone that a caller dictates in the content (请回电…) and the reply's 张三您好."""
    housing = bearer(systems["housing"])
    t = client.post("/api/v1/tickets", headers=as_user("operator"), json=intake(
        content="楼下餐馆每晚营业到凌晨，排风扇噪音很大。来电人张三要求处理后回电13912345678。",
        circumstances="张三多次与店家沟通无果。")).json()
    r = act(client, t, "dispatch", as_user("dispatcher"), {"lead_unit_id": org.units["housing"].id})
    assert r.status_code == 200, r.text
    assert act(client, t, "acknowledge", housing).status_code == 200
    # the unit's staff, handling it, read it as written
    staff = client.get(f"/api/v1/tickets/{t['id']}", headers=as_user("housing_handler")).json()
    assert "来电人张三要求处理后回电13912345678" in staff["content"]
    reply = {"content": "张三您好，已责令餐馆整改，回电13912345678。"}
    assert act(client, t, "reply", housing, reply).status_code == 200
    r = client.get(f"/api/v1/tickets/{t['id']}", headers=housing)
    assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["content"] == "楼下餐馆每晚营业到凌晨，排风扇噪音很大。来电人张*要求处理后回电139****5678。"
    assert detail["circumstances"] == "张*多次与店家沟通无果。"
    assert detail["reply_content"] == "张*您好，已责令餐馆整改，回电139****5678。"
    assert "张三" not in r.text and "13912345678" not in r.text
