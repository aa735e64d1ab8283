"""Push upkeep: a refreshed admin page never rotates the signing secret (the forms' seen_secret), the
delivery log is pruned by the scheduler's share_push job after share_push_log_days, and slow receivers
hold a pass no longer than its budget (share_push_budget_seconds)."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from hotline.security.models import AuditEntry
from hotline.sharing import delivery
from hotline.sharing.models import PushDelivery, PushSubscription
from hotline.supervision.jobs import run_pass
from tests import test_sharing_push as push_tests
from tests.test_pages import csrf_of, login, new_ticket
from tests.test_sharing_push import READY, URL, Receiver, _account, _subscribe, _two_tickets

receiver, _no_subscriptions_left = push_tests.receiver, push_tests._no_subscriptions_left
SEEN = re.compile(r'name="seen_secret" value="([0-9a-f]*)"')
SECRET = re.compile(r'value="(whsec_[^"]+)"')


def _sealed(db) -> str:  # type: ignore[no-untyped-def]
    value = db.execute(select(PushSubscription.sealed_secret)).scalar_one()
    db.rollback()
    return str(value)


def _audited(db, username: str) -> int:  # type: ignore[no-untyped-def]
    count = db.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.object_id == username,
                                                                          AuditEntry.action.like("share_push%"))
                       ).scalar_one()
    db.rollback()
    return int(count)


def test_refreshing_the_answer_to_a_push_form_rotates_nothing(client, as_user, org, app, receiver,
                                                              db) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "refresh-push")
    login(client, "admin")
    page = f"/admin/machines/{account}"
    opened = client.get(page).text
    assert SEEN.findall(opened) == [""]  # no subscription yet: the form says so
    form = {"url": URL, "seen_secret": "", "csrf_token": csrf_of(client, page)}

    first = client.post(f"{page}/push", data=form, follow_redirects=False)
    assert first.status_code == 200 and "签名密钥只显示这一次" in first.text
    shown = SECRET.search(first.text).group(1)  # type: ignore[union-attr]
    sealed, audited = _sealed(db), _audited(db, "refresh-push")

    # F5 on that answer: the browser posts the same form again
    again = client.post(f"{page}/push", data=form, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith(page)
    after = client.get(page).text
    assert "本次未作更改" in after and "whsec_" not in after
    assert _sealed(db) == sealed and _audited(db, "refresh-push") == audited  # the secret shown still holds

    # 更换签名密钥 from the answer page, then a refresh of its answer: one rotation only
    [seen, _] = SEEN.findall(first.text)  # the rotate form and the URL form both carry it
    rotate = {"seen_secret": seen, "csrf_token": csrf_of(client, page)}
    rotated = client.post(f"{page}/push/secret", data=rotate, follow_redirects=False)
    assert rotated.status_code == 200 and "已更换签名密钥" in rotated.text
    assert SECRET.search(rotated.text).group(1) != shown  # type: ignore[union-attr]
    sealed = _sealed(db)
    refreshed = client.post(f"{page}/push/secret", data=rotate, follow_redirects=False)
    assert refreshed.status_code == 303 and _sealed(db) == sealed
    assert _audited(db, "refresh-push") == audited + 1

    # a page opened now carries the current secret's fingerprint: changing the URL goes through
    current = SEEN.findall(client.get(page).text)[0]
    assert current and current != seen
    changed = client.post(f"{page}/push", data={"url": URL + "/v2", "seen_secret": current,
                                                 "csrf_token": csrf_of(client, page)}, follow_redirects=False)
    assert changed.status_code == 200 and "已更改订阅推送" in changed.text and _sealed(db) != sealed


def test_the_scheduler_prunes_the_delivery_log_after_the_days_set(client, as_user, org, clock, app, receiver,
                                                                  db) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "prune-push")
    _subscribe(client, as_user, account, from_now=True)
    sub_id = db.execute(select(PushSubscription.id)).scalar_one()
    now = clock.now()
    ages = {"old": timedelta(days=31), "month": timedelta(days=29), "week": timedelta(days=6), "new": timedelta()}
    for name, age in ages.items():
        db.add(PushDelivery(subscription_id=sub_id, delivery_id=str(uuid.uuid4()), kind=name[:8], at=now - age,
                            after=0, events=0, ok=True, http_status=200, duration_ms=5))
    db.commit()

    def kinds() -> set[str]:
        found = set(db.execute(select(PushDelivery.kind)).scalars())
        db.rollback()
        return found

    run_pass(app.state.session_factory, app.state.runtime, mode="manual")
    assert kinds() == {"month", "week", "new"}  # 30 days kept by default
    rt = app.state.runtime
    original = rt.settings
    rt.settings = original.model_copy(update={"share_push_log_days": 7})
    try:
        run_pass(app.state.session_factory, rt, mode="manual")
    finally:
        rt.settings = original
    assert kinds() == {"week", "new"}
    state = client.get(f"/api/v1/machine-accounts/{account}/push", headers=as_user("admin"))
    assert state.status_code == 200 and state.json()["status"] == "active"  # the subscription stays


SLOW = 0.15  # seconds the slow receiver takes to answer each POST


def _slow(app: Any, receiver: Receiver) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        time.sleep(SLOW)
        return receiver(request)

    app.state.runtime.transport = httpx.MockTransport(answer)


def _by_path(receiver: Receiver) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {}
    for request, body in zip(receiver.requests, receiver.bodies(), strict=True):
        ids.setdefault(request.url.path, []).extend(e["id"] for e in body["events"])
    return ids


def test_a_slow_receiver_stops_the_pass_at_its_budget_and_the_next_pass_goes_on(client, as_user, org, clock, app,
                                                                                 receiver) -> None:  # type: ignore[no-untyped-def]
    for name in ("a", "b", "c"):
        _subscribe(client, as_user, _account(client, as_user, f"slow{name}-push"), url=f"{URL}/{name}")
    _two_tickets(client, as_user, org)  # four events: four pages of one event for each subscription
    clock.advance(READY)
    _slow(app, receiver)
    sf, rt = app.state.session_factory, app.state.runtime

    first = delivery.deliver_pass(sf, rt, limit=1, budget=0.4)
    # no POST begun once the budget was spent: each takes SLOW, so at most 3 begin within 0.4 s (a busy
    # machine's database work may leave fewer), and a's 4th page waits
    assert first.out_of_time
    assert {r.url.path for r in receiver.requests} == {"/hotline/events/a"} and 1 <= len(receiver.requests) <= 3
    sent = len(receiver.requests)

    passes = 1
    while len(receiver.requests) < 12:
        clock.advance(timedelta(seconds=30))
        delivery.deliver_pass(sf, rt, limit=1, budget=0.4)
        passes += 1
        if passes == 2:  # those never tried go first, before a's remaining pages
            assert receiver.requests[sent].url.path == "/hotline/events/b"
        assert passes < 12
    # every subscription got every event once, in order: none lost, none twice
    ids = _by_path(receiver)
    assert set(ids) == {f"/hotline/events/{n}" for n in "abc"}
    assert all(got == sorted(set(got)) and len(got) == 4 for got in ids.values())
    assert ids["/hotline/events/a"] == ids["/hotline/events/b"] == ids["/hotline/events/c"]
    assert delivery.deliver_pass(sf, rt, limit=1, budget=0.4).delivered == 0 and len(receiver.requests) == 12


def test_the_scheduler_pass_marks_share_push_truncated_and_delivers_the_rest_next(client, as_user, org, clock, app,
                                                                                    receiver) -> None:  # type: ignore[no-untyped-def]
    for name in ("a", "b", "c"):
        _subscribe(client, as_user, _account(client, as_user, f"pass{name}-push"), url=f"{URL}/{name}")
    new_ticket(client, as_user)
    clock.advance(READY)
    _slow(app, receiver)
    rt = app.state.runtime
    original = rt.settings
    rt.settings = original.model_copy(update={"share_push_budget_seconds": 2 * SLOW})
    try:
        report = run_pass(app.state.session_factory, rt, mode="manual")
        # at most two POSTs begin within 2 × SLOW: c waits for the next pass, the job marked truncated (on a
        # loaded machine the pass's own database work may leave time for fewer, even none)
        assert "share_push" in report.truncated
        assert [r.url.path for r in receiver.requests] in ([], ["/hotline/events/a"],
                                                           ["/hotline/events/a", "/hotline/events/b"])
        for _ in range(10):
            clock.advance(timedelta(seconds=30))
            report = run_pass(app.state.session_factory, rt, mode="manual")
            if len(receiver.requests) == 3:
                break
    finally:
        rt.settings = original
    assert "share_push" not in report.truncated  # the pass that sent the last one left nothing behind
    assert [r.url.path for r in receiver.requests] == [f"/hotline/events/{n}" for n in "abc"]


class _Drip(httpx.SyncByteStream):
    """A body sent a byte at a time, each well within the read timeout."""

    def __init__(self) -> None:
        self.sent = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        for _ in range(20):
            time.sleep(0.1)
            self.sent += 1
            yield b"x"


def test_a_receiver_dripping_its_answer_does_not_hold_the_pass(client, as_user, org, clock, app,
                                                               receiver) -> None:  # type: ignore[no-untyped-def]
    """QA: a 2xx whose body came a byte at a time held the pass for the whole body (its budget overrun by as
    many read timeouts). The status is all a delivery needs: the body is not read."""
    _subscribe(client, as_user, _account(client, as_user, "drip-push"), url=f"{URL}/drip")
    new_ticket(client, as_user)
    clock.advance(READY)
    drips: list[_Drip] = []

    def answer(request: httpx.Request) -> httpx.Response:
        receiver(request)
        drips.append(_Drip())
        return httpx.Response(200, stream=drips[-1])

    app.state.runtime.transport = httpx.MockTransport(answer)
    started = time.monotonic()
    result = delivery.deliver_pass(app.state.session_factory, app.state.runtime, budget=5)
    assert result.delivered >= 1 and len(receiver.requests) >= 1
    assert time.monotonic() - started < 1.5  # reading the 20 drips would take 2 s a page
    assert all(d.sent == 0 for d in drips)
