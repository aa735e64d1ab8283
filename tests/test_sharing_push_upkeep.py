"""Push upkeep: a refreshed admin page never rotates the signing secret (the forms' seen_secret), and
the delivery log is pruned by the scheduler's share_push job after share_push_log_days."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from hotline.security.models import AuditEntry
from hotline.sharing.models import PushDelivery, PushSubscription
from hotline.supervision.jobs import run_pass
from tests import test_sharing_push as push_tests
from tests.test_pages import csrf_of, login
from tests.test_sharing_push import URL, _account, _subscribe

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
