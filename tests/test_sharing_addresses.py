"""Where a push may go (hotline.sharing.addresses): the address rules on their own, then the guard at
save time (API, page, command line) and again at send time."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hotline.errors import DomainError
from hotline.sharing import addresses, delivery
from hotline.sharing.models import PushDelivery
from tests import test_sharing_push as push_tests
from tests.test_pages import login, new_ticket, post_page
from tests.test_sharing_push import NAMES, READY, _account, _run, _state, _subscribe, resolve

# The push tests' fixtures: an in-process receiver (and the names table), and no subscription left behind.
receiver, _no_subscriptions_left = push_tests.receiver, push_tests._no_subscriptions_left

REFUSED_BY_DEFAULT = {
    "127.0.0.1": "本机回环地址", "127.8.9.10": "本机回环地址", "::1": "本机回环地址",
    "::ffff:127.0.0.1": "本机回环地址", "169.254.1.1": "链路本地地址", "fe80::1": "链路本地地址",
    "169.254.169.254": "云平台元数据服务地址", "100.100.100.200": "云平台元数据服务地址",
    "fd00:ec2::254": "云平台元数据服务地址", "0.0.0.0": "未指定地址", "::": "未指定地址",
    "224.0.0.1": "组播或广播地址", "255.255.255.255": "组播或广播地址", "240.0.0.1": "保留地址",
}
INTRANET = ("10.1.2.3", "172.16.0.1", "172.31.255.254", "192.168.1.10", "100.64.0.5", "fd12:3456::1")
INTERNET = ("203.0.113.10", "8.8.8.8", "2001:4860:4860::8888", "114.114.114.114")


@pytest.mark.parametrize(("address", "reason"), REFUSED_BY_DEFAULT.items())
def test_loopback_link_local_metadata_and_unspecified_are_refused_by_default(address: str, reason: str) -> None:
    ip = ipaddress.ip_address(address)
    assert addresses.refusal(ip, "private") == reason
    assert addresses.refusal(ip, "public") == reason


@pytest.mark.parametrize("address", INTRANET + INTERNET)
def test_the_intranet_and_the_internet_are_allowed_by_default(address: str) -> None:
    assert addresses.refusal(ipaddress.ip_address(address), "private") is None


@pytest.mark.parametrize("address", INTRANET)
def test_public_refuses_the_intranet_too(address: str) -> None:
    assert "内网地址" in (addresses.refusal(ipaddress.ip_address(address), "public") or "")
    for public in INTERNET:
        assert addresses.refusal(ipaddress.ip_address(public), "public") is None


def test_any_allows_this_machine_but_never_what_is_no_receiver() -> None:
    for address in ("127.0.0.1", "::1", "169.254.169.254", "fe80::1", "10.1.2.3"):
        assert addresses.refusal(ipaddress.ip_address(address), "any") is None
    for address in ("0.0.0.0", "224.0.0.1"):
        assert addresses.refusal(ipaddress.ip_address(address), "any") is not None


def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    addresses.check("https://fcj.receiver.test/x", networks="private", resolve=resolve)
    addresses.check("https://intranet.gov.test/x", networks="private", resolve=resolve)
    for url, message in [("https://sneaky.receiver.test/x", "本机回环地址（sneaky.receiver.test 解析为 127.0.0.1）"),
                         ("https://meta.receiver.test/x", "云平台元数据服务地址"),
                         ("https://[::1]:8443/x", "本机回环地址"),
                         ("http://nowhere.test/x", "主机名 nowhere.test 无法解析")]:
        with pytest.raises(DomainError) as caught:
            addresses.check(url, networks="private", resolve=resolve)
        assert message in caught.value.message, url
    with pytest.raises(DomainError, match="内网地址"):
        addresses.check("https://intranet.gov.test/x", networks="public", resolve=resolve)
    # a literal address is never looked up
    addresses.check("http://10.1.2.3:8080/x", networks="private", resolve=lambda host, port: [])


def test_the_api_and_the_page_refuse_internal_receivers_in_chinese(client, as_user, org, app,
                                                                   receiver) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "ssrf-push")
    for url, message in [("http://127.0.0.1:8000/hook", "本机回环地址"),
                         ("http://localhost/hook", "无法解析"),  # not in the test resolver's table
                         ("http://[::1]/hook", "本机回环地址"),
                         ("http://169.254.169.254/latest/meta-data/", "云平台元数据服务地址"),
                         ("https://sneaky.receiver.test/hook", "解析为 127.0.0.1"),
                         ("http://0.0.0.0/hook", "未指定地址")]:
        r = client.put(f"/api/v1/machine-accounts/{account}/push", headers=as_user("admin"), json={"url": url})
        assert r.status_code == 400 and message in r.json()["message"], (url, r.text)
        assert r.json()["code"] in ("push_url_internal", "push_url_unresolvable")
    assert client.get(f"/api/v1/machine-accounts/{account}/push", headers=as_user("admin")).status_code == 404
    for url in ("http://10.20.30.40/hook", "http://192.168.0.8/hook", "https://intranet.gov.test/hook"):
        _subscribe(client, as_user, account, url=url)  # the government intranet stays open

    login(client, "admin")
    page = f"/admin/machines/{account}"
    r = post_page(client, page, f"{page}/push", {"url": "http://127.0.0.1/hook"})
    assert r.status_code == 400 and "本机回环地址" in r.text and "whsec_" not in r.text


def test_the_setting_opens_this_machine_or_closes_the_intranet(client, as_user, org, app,
                                                               receiver) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "networks-push")
    rt = app.state.runtime
    original = rt.settings
    try:
        rt.settings = original.model_copy(update={"share_push_networks": "any"})
        _subscribe(client, as_user, account, url="http://127.0.0.1:9000/hook")
        rt.settings = original.model_copy(update={"share_push_networks": "public"})
        r = client.put(f"/api/v1/machine-accounts/{account}/push", headers=as_user("admin"),
                       json={"url": "http://10.20.30.40/hook"})
        assert r.status_code == 400 and "内网地址" in r.json()["message"]
        _subscribe(client, as_user, account)  # fcj.receiver.test: a public address
    finally:
        rt.settings = original


def test_a_name_that_moves_inside_after_saving_is_refused_at_send_time(client, as_user, org, clock, app, receiver,
                                                                        db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "rebind-push")
    _subscribe(client, as_user, account)
    monkeypatch.setitem(NAMES, "fcj.receiver.test", ["169.254.169.254"])  # its records changed since
    new_ticket(client, as_user)
    clock.advance(READY)
    assert _run(app) == 0 and receiver.requests == []  # nothing left the platform
    rows = db.execute(select(PushDelivery.ok, PushDelivery.http_status, PushDelivery.error)).all()
    db.rollback()
    assert len(rows) == 1 and rows[0][:2] == (False, None) and "云平台元数据服务地址" in rows[0][2]
    state = _state(client, as_user, account)
    assert state["failures"] == 1 and state["cursor"] == 0 and "云平台元数据服务地址" in state["last_error"]
    r = client.post(f"/api/v1/machine-accounts/{account}/push/test", headers=as_user("admin"))
    assert r.json()["ok"] is False and "云平台元数据服务地址" in r.json()["error"] and receiver.requests == []

    monkeypatch.setitem(NAMES, "fcj.receiver.test", ["203.0.113.10"])  # back outside: the retry goes through
    clock.advance(timedelta(minutes=2))
    assert _run(app) == 1 and len(receiver.requests) == 1


def test_a_request_is_pinned_to_the_checked_address_and_keeps_the_name() -> None:
    assert addresses.check("https://fcj.receiver.test/x", networks="private", resolve=resolve) == ["203.0.113.10"]
    target = addresses.pinned("https://fcj.receiver.test:8443/hotline/events?k=1", "203.0.113.10")
    assert str(target.url) == "https://203.0.113.10:8443/hotline/events?k=1"
    # Host as typed; for https the TLS server name (SNI), which the certificate is verified against
    assert target.host == "fcj.receiver.test:8443" and target.extensions == {"sni_hostname": "fcj.receiver.test"}
    target = addresses.pinned("http://intranet.gov.test/in", "2001:db8::7")
    assert str(target.url) == "http://[2001:db8::7]/in" and target.host == "intranet.gov.test"
    assert target.extensions == {}  # plain http: no TLS


class Rebinding:
    """A hostile DNS server: `first` for the first `honest` lookups, then `then` for every later one."""

    def __init__(self, first: list[str], then: list[str], honest: int) -> None:
        self.first, self.then, self.honest, self.calls = first, then, honest, 0

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls += 1
        return self.first if self.calls <= self.honest else self.then


def test_a_name_answering_otherwise_at_connect_time_cannot_reach_a_refused_address(client, as_user, org, clock, app,
                                                                                    receiver, db) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "rebind2-push")
    # public for the check at save time and the one before the POST; 127.0.0.1 for any lookup after it
    app.state.runtime.resolve = Rebinding(["203.0.113.10"], ["127.0.0.1"], honest=2)
    _subscribe(client, as_user, account)
    new_ticket(client, as_user)
    clock.advance(READY)
    assert _run(app) == 1
    [request] = receiver.requests
    assert request.url.host == "203.0.113.10" and request.headers["host"] == "fcj.receiver.test"
    assert app.state.runtime.resolve.calls == 2  # the name was looked up by the check only


@pytest.fixture()
def internal_service() -> Iterator[tuple[int, list[str]]]:
    """A service on this machine's loopback that nobody outside may call: records the paths it is sent."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 — http.server's name
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], hits
    finally:
        server.shutdown()
        server.server_close()


def test_over_real_sockets_a_rebound_name_does_not_reach_this_machine(client, as_user, org, clock, app, db,
                                                                      internal_service, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # `localhost` is 127.0.0.1 to the system's resolver; the platform's resolver (the hostile DNS of the
    # check) says 192.0.2.1. Unpinned, the HTTP client would look the name up again and reach the
    # service on 127.0.0.1; pinned, it connects to 192.0.2.1 (TEST-NET-1: nothing answers) and fails.
    port, hits = internal_service
    rt = app.state.runtime
    rt.transport, rt.resolve = None, lambda host, p: ["192.0.2.1"]
    monkeypatch.setattr(delivery, "TIMEOUT", httpx.Timeout(1.0, connect=0.5))
    account = _account(client, as_user, "loop-push")
    _subscribe(client, as_user, account, url=f"http://localhost:{port}/steal")
    new_ticket(client, as_user)
    clock.advance(READY)
    assert _run(app) == 0
    assert hits == []
    [row] = db.execute(select(PushDelivery.ok, PushDelivery.error)).all()
    db.rollback()
    assert row.ok is False and ("无法连接接收方" in row.error or "超时" in row.error)
    # the control: the same service is reachable when the check is told the truth (`any` lets loopback in)
    rt.resolve = lambda host, p: ["127.0.0.1"]
    original = rt.settings
    rt.settings = original.model_copy(update={"share_push_networks": "any"})
    try:
        r = client.post(f"/api/v1/machine-accounts/{account}/push/test", headers=as_user("admin"))
    finally:
        rt.settings = original
    assert r.json()["ok"] is True and hits == ["/steal"]
