"""Push signing secrets sealed at rest (hotline.sharing.sealing): the scheme on its own, then what the
database holds and what a changed secret_key does to deliveries."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.sharing import sealing, signing
from hotline.sharing.models import PushDelivery, PushSubscription
from tests import test_sharing_push as push_tests
from tests.test_pages import new_ticket
from tests.test_sharing_push import READY, _account, _run, _subscribe

# The push tests' fixtures: an in-process receiver, and no subscription left behind.
receiver, _no_subscriptions_left = push_tests.receiver, push_tests._no_subscriptions_left

KEY = "a-secret-key-of-the-app"


def test_a_sealed_secret_opens_with_its_key_only() -> None:
    plain = signing.new_secret()
    sealed = sealing.seal(KEY, plain)
    assert sealed.startswith("v1.") and plain not in sealed and len(sealed) <= 200
    assert sealing.unseal(KEY, sealed) == plain
    assert sealing.seal(KEY, plain) != sealed  # a fresh nonce each time: equal secrets do not look equal
    with pytest.raises(sealing.SealError):
        sealing.unseal("another-key", sealed)


@pytest.mark.parametrize("spoil", [
    lambda s: s[:-2] + ("A" if s[-2] != "A" else "B") + s[-1],  # a changed byte of the tag
    lambda s: "v1." + base64.urlsafe_b64encode(bytes([base64.urlsafe_b64decode(s[3:])[0] ^ 1])
                                              + base64.urlsafe_b64decode(s[3:])[1:]).decode(),  # of the nonce
    lambda s: "v2" + s[2:],  # another scheme
    lambda s: "v1.!!!",  # not base64
    lambda s: "v1." + base64.urlsafe_b64encode(b"short").decode(),  # too short to hold a tag
    lambda s: "whsec_plain",  # a secret never sealed
])
def test_an_altered_or_foreign_value_is_refused(spoil) -> None:  # type: ignore[no-untyped-def]
    sealed = sealing.seal(KEY, signing.new_secret())
    with pytest.raises(sealing.SealError):
        sealing.unseal(KEY, spoil(sealed))


def test_the_keystream_covers_secrets_longer_than_one_block() -> None:
    plain = "x" * 100 + "签名"
    assert sealing.unseal(KEY, sealing.seal(KEY, plain)) == plain
    assert sealing.fingerprint(sealing.seal(KEY, plain)) != sealing.fingerprint(sealing.seal(KEY, plain))


def test_the_database_holds_the_secret_sealed_and_deliveries_sign_with_it(client, as_user, org, clock, app,
                                                                          receiver, db) -> None:  # type: ignore[no-untyped-def]
    secret = _subscribe(client, as_user, _account(client, as_user, "sealed-push"))["secret"]
    stored = db.execute(select(PushSubscription.sealed_secret)).scalar_one()
    db.rollback()
    assert secret not in stored and secret[6:] not in stored
    assert sealing.unseal(app.state.settings.secret_key, stored) == secret
    new_ticket(client, as_user)
    clock.advance(READY)
    assert _run(app) == 1
    [request] = receiver.requests
    assert signing.verify(secret, int(request.headers[signing.TIMESTAMP_HEADER]), request.content,
                          request.headers[signing.SIGNATURE_HEADER])


def test_a_changed_secret_key_fails_deliveries_until_a_new_secret(client, as_user, org, clock, app, receiver,
                                                                   db) -> None:  # type: ignore[no-untyped-def]
    account = _account(client, as_user, "rekeyed-push")
    _subscribe(client, as_user, account)
    new_ticket(client, as_user)
    clock.advance(READY)
    rt = app.state.runtime
    original = rt.settings
    rt.settings = original.model_copy(update={"secret_key": "a-new-secret-key"})
    try:
        assert _run(app) == 0 and receiver.requests == []  # nothing is sent unsigned or wrongly signed
        row = db.execute(select(PushDelivery.ok, PushDelivery.http_status, PushDelivery.error)).one()
        db.rollback()
        assert tuple(row) == (False, None, sealing.UNREADABLE)
        r = client.post(f"/api/v1/machine-accounts/{account}/push/secret", headers=as_user("admin"))
        assert r.status_code == 200, r.text
        clock.advance(timedelta(minutes=2))  # past the first retry delay (1 minute)
        assert _run(app) == 1
        [request] = receiver.requests
        assert signing.verify(r.json()["secret"], int(request.headers[signing.TIMESTAMP_HEADER]), request.content,
                              request.headers[signing.SIGNATURE_HEADER])
    finally:
        rt.settings = original
