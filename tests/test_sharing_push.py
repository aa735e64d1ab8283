"""信息共享 push (订阅推送): subscriptions, the signed delivery job on the feed, retries, stopping, the
admin API, page and command line (hotline.sharing.push, delivery)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select

from hotline.org.models import ApiToken, User
from hotline.security.models import AuditEntry
from hotline.security.roles import MACHINE_ROLES
from hotline.sharing import delivery, signing
from hotline.sharing.feed import FEED_LAG
from hotline.sharing.models import PushDelivery, PushSubscription
from tests.test_pages import dispatch_to, login, new_ticket, post_page

URL = "https://fcj.receiver.test/hotline/events"
READY = FEED_LAG + timedelta(seconds=1)


class Receiver:
    """An in-process receiver behind httpx.MockTransport: records each request, answers `statuses` in
    turn (the last one from then on); an exception in place of a status is raised (a network failure)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.statuses: list[int | Exception] = [200]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer, json={"ok": answer < 300})

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


# The receivers' names, as the runtime's resolver gives them (no DNS in tests): the push guard
# (sharing/addresses.py) resolves every host before saving and before sending.
NAMES = {"fcj.receiver.test": ["203.0.113.10"], "intranet.gov.test": ["10.20.30.40"],
         "sneaky.receiver.test": ["203.0.113.11", "127.0.0.1"], "meta.receiver.test": ["169.254.169.254"]}


def resolve(host: str, port: int) -> list[str]:
    if host not in NAMES:
        raise OSError("no such name")
    return NAMES[host]


@pytest.fixture()
def receiver(app) -> Receiver:  # type: ignore[no-untyped-def]
    r = Receiver()
    app.state.runtime.transport = httpx.MockTransport(r)
    app.state.runtime.resolve = resolve
    return r


@pytest.fixture(autouse=True)
def _no_subscriptions_left(engine) -> Iterator[None]:  # type: ignore[no-untyped-def]
    # A subscription left behind would be delivered by other tests' scheduler passes, to the network;
    # the accounts (all named *-push) would crowd the first page of other tests' account lists.
    yield
    with engine.begin() as conn:
        conn.execute(delete(PushDelivery))
        conn.execute(delete(PushSubscription))
        ours = select(User.id).where(User.username.like("%-push"), User.role.in_([str(r) for r in MACHINE_ROLES]))
        conn.execute(delete(AuditEntry).where(AuditEntry.user_id.in_(ours)))
        conn.execute(delete(ApiToken).where(ApiToken.user_id.in_(ours)))
        conn.execute(delete(User).where(User.id.in_(ours.scalar_subquery())))


def _account(client: Any, as_user: Any, username: str, **scope: str) -> int:
    r = client.post("/api/v1/machine-accounts", headers=as_user("admin"),
                    json={"username": username, "role": "data_sharing", **scope})
    assert r.status_code == 201, r.text
    return int(r.json()["account"]["id"])


def _subscribe(client: Any, as_user: Any, account_id: int, url: str = URL, **body: Any) -> dict[str, Any]:
    r = client.put(f"/api/v1/machine-accounts/{account_id}/push", headers=as_user("admin"), json={"url": url, **body})
    assert r.status_code in (200, 201), r.text
    assert r.headers["cache-control"] == "no-store"
    return r.json()


def _state(client: Any, as_user: Any, account_id: int) -> dict[str, Any]:
    r = client.get(f"/api/v1/machine-accounts/{account_id}/push", headers=as_user("admin"))
    assert r.status_code == 200, r.text
    return r.json()


def _run(app: Any, **kw: Any) -> int:
    return delivery.deliver_due(app.state.session_factory, app.state.runtime, **kw)


def _two_tickets(client: Any, as_user: Any, org: Any) -> tuple[dict, dict]:
    xuanwu = new_ticket(client, as_user, requester_phone="13912345678")
    qinhuai = new_ticket(client, as_user, address="秦淮区夫子庙贡院街1号", jurisdiction_code="320104")
    dispatch_to(client, as_user, xuanwu, org.units["housing"].id)
    dispatch_to(client, as_user, qinhuai, org.units["market"].id)
    return xuanwu, qinhuai


def test_a_delivery_is_signed_scoped_masked_and_moves_the_cursor(client, as_user, org, clock, app, receiver,
                                                                 db) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "fcj-push", unit_code="fcj")
    created = _subscribe(client, as_user, account)
    assert created["created"] is True and created["secret"].startswith("whsec_")
    assert created["subscription"]["status_label"] == "启用" and created["subscription"]["cursor"] == 0
    xuanwu, _ = _two_tickets(client, as_user, org)

    assert _run(app) == 0 and receiver.requests == []  # within the lag: nothing is ready, nothing is sent
    clock.advance(READY)
    assert _run(app) == 2

    [request] = receiver.requests
    # sent to the address the check allowed, the name kept for the receiver (sharing/addresses.py: pinned)
    assert str(request.url) == "https://203.0.113.10/hotline/events" and request.method == "POST"
    assert request.headers["host"] == "fcj.receiver.test"
    assert request.extensions["sni_hostname"] == "fcj.receiver.test"
    timestamp = int(request.headers[signing.TIMESTAMP_HEADER])
    assert timestamp == int(clock.now().timestamp())
    assert signing.verify(created["secret"], timestamp, request.content, request.headers[signing.SIGNATURE_HEADER])
    assert not signing.verify("whsec_other", timestamp, request.content, request.headers[signing.SIGNATURE_HEADER])
    body = json.loads(request.content)
    # the pull API's page, for this account's scope: only 市房产局's ticket, the phone masked
    assert {e["ticket_number"] for e in body["events"]} == {xuanwu["number"]}
    assert [e["action"] for e in body["events"]] == ["register", "dispatch"]
    assert body["tickets"][xuanwu["number"]]["requester_phone"] == "139****5678"
    ids = [e["id"] for e in body["events"]]
    assert request.headers[signing.RANGE_HEADER] == f"{ids[0]}-{ids[-1]}"
    assert request.headers[signing.EVENT_HEADER] == "events"

    state = _state(client, as_user, account)
    assert state["cursor"] == body["next_after"] and state["delivered_events"] == 2 and state["deliveries_ok"] == 1
    assert state["last_success_at"] is not None and state["failures"] == 0
    assert _run(app) == 0 and len(receiver.requests) == 1  # nothing new: nothing sent again

    log = client.get(f"/api/v1/machine-accounts/{account}/push/deliveries", headers=as_user("admin")).json()
    assert log["total"] == 1
    row = log["items"][0]
    assert row["ok"] is True and row["http_status"] == 200 and row["events"] == 2
    assert (row["first_event_id"], row["last_event_id"]) == (ids[0], ids[-1])
    assert row["delivery_id"] == request.headers[signing.DELIVERY_HEADER]
    db.rollback()
    audited = db.execute(select(AuditEntry).where(AuditEntry.action == "share_push")).scalars().all()
    assert len(audited) == 1 and audited[0].username == "fcj-push" and f"#{ids[0]}" in audited[0].detail
    db.rollback()


def test_the_scheduler_pass_delivers(client, as_user, org, clock, app, receiver) -> None:  # type: ignore[no-untyped-def]
    from hotline.supervision.jobs import JOB_LABELS, run_pass

    _subscribe(client, as_user, _account(client, as_user, "pass-push"))
    new_ticket(client, as_user)
    clock.advance(READY)
    report = run_pass(app.state.session_factory, app.state.runtime, mode="manual")
    assert report.ok and report.counts["share_push"] == 1 and JOB_LABELS["share_push"] == "信息共享推送"
    assert len(receiver.requests) == 1


def test_pages_are_sent_in_order_each_after_the_one_before(client, as_user, org, clock, app, receiver) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "pages-push")
    _subscribe(client, as_user, account)
    _two_tickets(client, as_user, org)
    clock.advance(READY)
    assert _run(app, limit=1) == 4
    bodies = receiver.bodies()
    assert [len(b["events"]) for b in bodies] == [1, 1, 1, 1]
    ids = [b["events"][0]["id"] for b in bodies]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert [b["has_more"] for b in bodies] == [True, True, True, False]

    # A failure stops the pass: the next page is not sent before this one is accepted.
    new_ticket(client, as_user)
    new_ticket(client, as_user)
    clock.advance(READY)
    receiver.statuses = [500, 200]
    assert _run(app, limit=1) == 0 and len(receiver.requests) == 5
    clock.advance(delivery.RETRY_DELAYS[0])
    assert _run(app, limit=1) == 2
    resent, following = receiver.bodies()[5:]
    assert resent["events"] == receiver.bodies()[4]["events"]  # the refused page again
    assert following["events"][0]["id"] > resent["events"][0]["id"]


def test_the_cursor_moves_only_on_2xx_and_retries_follow_the_schedule(client, as_user, org, clock, app,
                                                                      receiver) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "retry-push")
    _subscribe(client, as_user, account)
    new_ticket(client, as_user)
    clock.advance(READY)
    receiver.statuses = [500, httpx.ConnectError("refused"), 302, httpx.ReadTimeout("slow"), 503, 200]
    waits = []
    for expected_failures in range(1, 6):
        _run(app)
        state = _state(client, as_user, account)
        assert state["cursor"] == 0 and state["failures"] == expected_failures
        waits.append(state["next_attempt_at"])
        assert _run(app) == 0  # not due before its time
        assert len(receiver.requests) == expected_failures
        clock.advance(delivery.retry_delay(expected_failures))
    assert [delivery.retry_delay(n) for n in range(1, 7)] == [
        timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=1),
        timedelta(hours=1)]
    assert _run(app) == 1
    bodies = receiver.bodies()
    assert all(b["events"] == bodies[0]["events"] for b in bodies)  # the same event each time, never skipped
    assert len({r.headers[signing.DELIVERY_HEADER] for r in receiver.requests}) == 6  # one id per POST
    state = _state(client, as_user, account)
    assert state["cursor"] == bodies[0]["events"][-1]["id"] and state["failures"] == 0
    assert state["deliveries_failed"] == 5 and state["deliveries_ok"] == 1 and state["next_attempt_at"] is None
    log = client.get(f"/api/v1/machine-accounts/{account}/push/deliveries", headers=as_user("admin")).json()
    errors = [r["error"] for r in reversed(log["items"])]
    assert errors[0] == "接收方返回 HTTP 500" and "无法连接接收方" in errors[1] and errors[2] == "接收方返回 HTTP 302"
    assert "超时" in errors[3] and errors[5] is None
    assert [r["http_status"] for r in reversed(log["items"])] == [500, None, 302, None, 503, 200]


def test_a_subscription_failing_for_a_day_is_stopped_audited_and_resumed(client, as_user, org, clock, app,
                                                                         receiver, db) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "stop-push")
    _subscribe(client, as_user, account)
    new_ticket(client, as_user)
    clock.advance(READY)
    receiver.statuses = [500]
    started = clock.now()
    while _state(client, as_user, account)["status"] == "active":
        _run(app)
        state = _state(client, as_user, account)
        if state["next_attempt_at"]:
            clock.advance(delivery.retry_delay(state["failures"]))
    state = _state(client, as_user, account)
    assert state["status"] == "stopped" and state["status_label"] == "已停用" and state["cursor"] == 0
    assert clock.now() - started >= delivery.STOP_AFTER and state["failures"] >= delivery.STOP_MIN_FAILURES
    tried = len(receiver.requests)
    assert tried == state["failures"] and tried < 30  # hourly once past the first tries
    clock.advance(timedelta(days=1))
    assert _run(app) == 0 and len(receiver.requests) == tried  # stopped: no more tries
    db.rollback()
    [stop] = db.execute(select(AuditEntry).where(AuditEntry.action == "share_push_stop")).scalars().all()
    assert stop.object_id == "stop-push" and "接收方返回 HTTP 500" in stop.detail
    db.rollback()

    receiver.statuses = [200]
    r = client.post(f"/api/v1/machine-accounts/{account}/push/resume", headers=as_user("admin"))
    assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["failures"] == 0
    assert _run(app) == 1


def test_paused_subscriptions_and_disabled_accounts_receive_nothing(client, as_user, org, clock, app,
                                                                    receiver) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "pause-push")
    _subscribe(client, as_user, account)
    new_ticket(client, as_user)
    clock.advance(READY)
    r = client.post(f"/api/v1/machine-accounts/{account}/push/pause", headers=as_user("admin"))
    assert r.status_code == 200 and r.json()["status_label"] == "暂停"
    assert _run(app) == 0 and receiver.requests == []
    r = client.post(f"/api/v1/machine-accounts/{account}/push/resume", headers=as_user("admin"))
    assert r.json()["status"] == "active"
    assert _run(app) == 1

    new_ticket(client, as_user)
    clock.advance(READY)
    r = client.post(f"/api/v1/machine-accounts/{account}/active", headers=as_user("admin"), json={"active": False})
    assert r.status_code == 200
    assert _run(app) == 0 and len(receiver.requests) == 1


def test_a_subscription_another_worker_holds_is_left_to_it(client, as_user, org, clock, app, receiver,
                                                           engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    account = _account(client, as_user, "lease-push")
    _subscribe(client, as_user, account)
    new_ticket(client, as_user)
    clock.advance(READY)
    with engine.begin() as conn:  # another worker is sending this subscription's page right now
        conn.execute(update(PushSubscription).values(lease_until=clock.now() + delivery.LEASE))
    assert _run(app) == 0 and receiver.requests == []
    clock.advance(delivery.LEASE + timedelta(seconds=1))  # a worker that died: its lease lapses
    assert _run(app) == 1
    assert _state(client, as_user, account)["cursor"] > 0


def test_a_subscription_from_now_skips_the_history(client, as_user, org, clock, app, receiver) -> None:  # type: ignore[no-untyped-def]
    new_ticket(client, as_user)
    clock.advance(READY)
    account = _account(client, as_user, "fresh-push")
    assert _subscribe(client, as_user, account, from_now=True)["subscription"]["cursor"] > 0
    assert _run(app) == 0 and receiver.requests == []
    new_ticket(client, as_user)
    clock.advance(READY)
    assert _run(app) == 1


def test_a_new_secret_signs_the_next_delivery_and_a_test_is_logged(client, as_user, org, clock, app, receiver,
                                                                   db) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "secret-push")
    first = _subscribe(client, as_user, account)["secret"]
    r = client.post(f"/api/v1/machine-accounts/{account}/push/secret", headers=as_user("admin"))
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    second = r.json()["secret"]
    assert second != first
    r = client.post(f"/api/v1/machine-accounts/{account}/push/test", headers=as_user("admin"))
    assert r.status_code == 200 and r.json()["kind"] == "test" and r.json()["ok"] is True
    [request] = receiver.requests
    assert request.headers[signing.EVENT_HEADER] == "test" and json.loads(request.content)["events"] == []
    ts = int(request.headers[signing.TIMESTAMP_HEADER])
    assert signing.verify(second, ts, request.content, request.headers[signing.SIGNATURE_HEADER])
    assert not signing.verify(first, ts, request.content, request.headers[signing.SIGNATURE_HEADER])
    receiver.statuses = [404]
    r = client.post(f"/api/v1/machine-accounts/{account}/push/test", headers=as_user("admin"))
    assert r.json()["ok"] is False and r.json()["error"] == "接收方返回 HTTP 404"
    state = _state(client, as_user, account)
    assert state["failures"] == 0 and state["cursor"] == 0  # a test moves nothing
    db.rollback()
    actions = [a.action for a in db.execute(select(AuditEntry).where(AuditEntry.object_id == "secret-push")
                                            .order_by(AuditEntry.id)).scalars()]
    assert actions[-4:] == ["share_push_subscribe", "share_push_rotate_secret", "share_push_test", "share_push_test"]
    db.rollback()


def test_only_administrators_manage_subscriptions_of_data_sharing_accounts(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "perm-push")
    for persona in ("supervisor", "operator", "housing_handler"):
        r = client.put(f"/api/v1/machine-accounts/{account}/push", headers=as_user(persona), json={"url": URL})
        assert r.status_code == 403, (persona, r.text)
        assert client.get(f"/api/v1/machine-accounts/{account}/push/deliveries",
                          headers=as_user(persona)).status_code == 403
    channel = client.post("/api/v1/machine-accounts", headers=as_user("admin"),
                          json={"username": "perm-channel-push", "role": "channel"}).json()
    key = channel["key"]
    r = client.put(f"/api/v1/machine-accounts/{account}/push", headers={"Authorization": f"Bearer {key}"},
                   json={"url": URL})
    assert r.status_code == 403
    r = client.put(f"/api/v1/machine-accounts/{channel['account']['id']}/push", headers=as_user("admin"),
                   json={"url": URL})
    assert r.status_code == 400 and "只有数据共享接口账号" in r.json()["message"]
    r = client.get(f"/api/v1/machine-accounts/{account}/push", headers=as_user("admin"))
    assert r.status_code == 404 and "尚未设置订阅推送" in r.json()["message"]


def test_the_url_is_checked_in_chinese(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "url-push")
    for url, message in [
        ("", "请填写推送地址"),
        ("ftp://fcj.test/x", "须以 https:// 或 http:// 开头"),
        ("fcj.test/hook", "须以 https:// 或 http:// 开头"),
        ("https:///hook", "缺少主机名"),
        ("https://user:pw@fcj.test/hook", "不能包含用户名或密码"),
        ("https://fcj.test:99999/hook", "端口无效"),
        ("https://fcj.test/a b", "不能包含空格"),
        ("https://房产局.test/hook", "xn--"),
        ("https://fcj.test/" + "x" * 500, "最长 500 个字符"),
    ]:
        r = client.put(f"/api/v1/machine-accounts/{account}/push", headers=as_user("admin"), json={"url": url})
        assert r.status_code in (400, 422) and message in r.json()["message"], (url, r.text)
    assert _subscribe(client, as_user, account, url="http://10.1.2.3:8080/hook")["created"] is True


def test_the_admin_page_sets_a_subscription_shows_the_secret_once_and_the_deliveries(client, as_user, org, clock, app,
                                                                                      receiver) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "page-push", unit_code="fcj")
    login(client, "admin")
    page = f"/admin/machines/{account}"
    assert "订阅推送" in client.get(page).text and "开通订阅推送" in client.get(page).text
    bad = post_page(client, page, f"{page}/push", {"url": "ftp://x.test/"})
    assert bad.status_code == 400 and "须以 https:// 或 http:// 开头" in bad.text
    assert 'value="ftp://x.test/"' in bad.text
    r = post_page(client, page, f"{page}/push", {"url": URL})
    assert r.status_code == 200 and "签名密钥只显示这一次" in r.text and "whsec_" in r.text
    again = client.get(page).text
    assert "whsec_" not in again and URL in again and "启用" in again and "暂停推送" in again

    new_ticket(client, as_user, requester_phone="13912345678")
    dispatch_to(client, as_user, new_ticket(client, as_user), org.units["housing"].id)
    clock.advance(READY)
    assert _run(app) == 2
    shown = client.get(page).text
    assert "最近推送记录" in shown and "（2 条）" in shown and "成功" in shown

    r = post_page(client, page, f"{page}/push/pause", {})
    assert r.status_code == 303 and "恢复推送" in client.get(page).text
    r = post_page(client, page, f"{page}/push/test", {})
    assert r.status_code == 303 and "测试推送成功" in client.get(page).text
    r = post_page(client, page, f"{page}/push/secret", {})
    assert r.status_code == 200 and "whsec_" in r.text and "已更换签名密钥" in r.text


def test_a_channel_accounts_page_has_no_push_and_others_cannot_open_it(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    channel = client.post("/api/v1/machine-accounts", headers=as_user("admin"),
                          json={"username": "page-channel-push", "role": "channel"}).json()["account"]["id"]
    login(client, "admin")
    assert "订阅推送" not in client.get(f"/admin/machines/{channel}").text
    login(client, "supervisor")
    assert client.get(f"/admin/machines/{channel}").status_code == 403


def test_the_command_line_subscribes_pauses_and_resumes(tmp_path, monkeypatch, org) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from hotline.cli import app as cli_app

    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'push.db'}")
    runner = CliRunner()
    assert runner.invoke(cli_app, ["share", "account", "bigdata-push"]).exit_code == 0
    first = runner.invoke(cli_app, ["share", "push", "bigdata-push", "--url", "https://203.0.113.10/hook"])
    assert first.exit_code == 0 and first.output.strip().startswith("whsec_"), first.output
    bad = runner.invoke(cli_app, ["share", "push", "bigdata-push", "--url", "ftp://x.test/"])
    assert bad.exit_code == 2 and "须以 https:// 或 http:// 开头" in bad.output
    missing = runner.invoke(cli_app, ["share", "push", "nobody", "--url", "https://203.0.113.10/hook"])
    local = runner.invoke(cli_app, ["share", "push", "bigdata-push", "--url", "http://127.0.0.1:8080/hook"])
    assert local.exit_code == 2 and "本机回环地址" in local.output
    assert missing.exit_code == 2 and "接口账号 nobody 不存在" in missing.output
    paused = runner.invoke(cli_app, ["share", "pause", "bigdata-push"])
    assert paused.exit_code == 0 and "订阅推送暂停" in paused.output
    resumed = runner.invoke(cli_app, ["share", "resume", "bigdata-push"])
    assert resumed.exit_code == 0 and "订阅推送启用" in resumed.output
    assert runner.invoke(cli_app, ["share", "pause", "nobody"]).exit_code == 2


def test_the_receiver_example_in_the_docs_verifies_a_real_delivery(client, as_user, org, clock, app,
                                                                   receiver) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "sharing.md").read_text(encoding="utf-8")
    example = doc.split("**Verifying the signature**", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict[str, Any] = {}
    exec(compile(example, "docs/sharing.md", "exec"), scope)  # noqa: S102 — our own documentation
    secret = _subscribe(client, as_user, _account(client, as_user, "doc-push"))["secret"]
    new_ticket(client, as_user)
    clock.advance(READY)
    _run(app)
    [request] = receiver.requests
    headers = {"X-Hotline-Timestamp": request.headers[signing.TIMESTAMP_HEADER],
               "X-Hotline-Signature": request.headers[signing.SIGNATURE_HEADER]}
    tolerance = abs(time.time() - clock.now().timestamp()) + 60  # the test clock is not the wall clock
    assert scope["verify"](secret, headers, request.content, tolerance)["events"][0]["action"] == "register"
    with pytest.raises(ValueError, match="bad signature"):
        scope["verify"](secret, headers, request.content + b" ", tolerance)


def test_a_pushed_page_masks_the_requester_in_notes_and_the_tickets_texts(client, as_user, org, clock, app,
                                                                         receiver) -> None:  # type: ignore[no-untyped-def]
    """The pushed page is the pull page: the reply naming the requester went out in clear in both."""
    from tests.test_sharing import NAME, OTHER_NAME, OTHER_PHONE, PHONE, named_ticket

    clock.advance(READY)
    _subscribe(client, as_user, _account(client, as_user, "mask-push", unit_code="fcj"), from_now=True)
    t, other = named_ticket(client, as_user, org)
    clock.advance(READY)
    assert _run(app) == 5  # the handled ticket's steps: the merged one was never 市房产局's

    [request] = receiver.requests
    body = request.content.decode()
    for clear in (NAME, PHONE, OTHER_NAME, OTHER_PHONE):
        assert clear not in body, clear
    page = json.loads(body)
    notes = {e["action"]: e["note"] for e in page["events"]}
    reply = "欧***您好，已责令餐馆加装消声设备，如仍有噪音请拨打12345，我们将致电137****1234回访。"
    assert notes["register"] == "欧***反映楼下餐馆夜间噪音" and notes["reply"] == reply
    shared = page["tickets"][t["number"]]
    assert shared["content"] == "我是欧***，楼下餐馆每晚排风扇噪音很大，影响休息，请处理后回电137****1234。"
    assert shared["reply_content"] == reply and shared["requester_phone"] == "137****1234"
    assert [m["title"] for m in shared["merged_tickets"]] == ["司***：餐馆排风扇半夜还在响"]
    assert other["number"] not in page["tickets"]
