"""The signature of a push delivery: HMAC-SHA256, keyed by the subscription's secret, over
`{timestamp}.{body}` — the receiver checks it and the timestamp's age before trusting the body."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-Hotline-Signature"  # "sha256=<hex>"
TIMESTAMP_HEADER = "X-Hotline-Timestamp"  # Unix seconds when the request was signed
DELIVERY_HEADER = "X-Hotline-Delivery"  # one id per POST (a retry is a new POST, a new id)
EVENT_HEADER = "X-Hotline-Event"  # "events" or "test"
RANGE_HEADER = "X-Hotline-Event-Range"  # "first-last" event ids of the page ("" for a test)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
