"""Push signing secrets sealed at rest: encrypted and authenticated with keys derived from the app's
`secret_key`, so that a copy of the database (a backup, a read-only account) does not carry secrets that
would let its holder forge deliveries to departments' receivers.

The venv has no encryption library (no `cryptography`), and a dependency for one short string is not
worth it, so this is built from the standard library's HMAC-SHA256 alone, in the textbook construction:

* two keys, derived from `secret_key` with HMAC under distinct labels (one to encrypt, one to
  authenticate: a key is never used for both);
* encryption: a fresh random 16-byte nonce per seal; the keystream is HMAC-SHA256(enc key, nonce ‖
  block counter), block after block (HMAC as a pseudo-random function in counter mode), XORed with
  the plain text;
* authentication: encrypt-then-MAC, HMAC-SHA256(mac key, version ‖ nonce ‖ cipher text), checked in
  constant time before anything is decrypted — a changed byte, or another `secret_key`, is refused.

Stored form: `v1.` + URL-safe base64 of nonce ‖ cipher text ‖ tag (the version names this scheme, so a
later one can be told apart). Changing `secret_key` makes every sealed secret unreadable: deliveries then
fail with `UNREADABLE` until an administrator generates a new signing secret (docs/sharing.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

VERSION = "v1"
NONCE_BYTES = 16
TAG_BYTES = 32
UNREADABLE = "签名密钥无法解密（HOTLINE_SECRET_KEY 已更改？），请在接口账号页面更换签名密钥"


class SealError(ValueError):
    """Not a sealed value of this scheme, or sealed with another key, or altered."""


def _keys(secret_key: str) -> tuple[bytes, bytes]:
    root = secret_key.encode()
    enc = hmac.new(root, b"hotline share-push secret: encryption", hashlib.sha256).digest()
    mac = hmac.new(root, b"hotline share-push secret: authentication", hashlib.sha256).digest()
    return enc, mac


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (hmac.new(key, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest()
              for i in range((length + 31) // 32))
    return b"".join(blocks)[:length]


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


def _tag(mac_key: bytes, nonce: bytes, cipher: bytes) -> bytes:
    return hmac.new(mac_key, VERSION.encode() + nonce + cipher, hashlib.sha256).digest()


def seal(secret_key: str, plain: str) -> str:
    enc, mac = _keys(secret_key)
    nonce = secrets.token_bytes(NONCE_BYTES)
    data = plain.encode()
    cipher = _xor(data, _keystream(enc, nonce, len(data)))
    return f"{VERSION}." + base64.urlsafe_b64encode(nonce + cipher + _tag(mac, nonce, cipher)).decode()


def unseal(secret_key: str, sealed: str) -> str:
    version, _, payload = sealed.partition(".")
    if version != VERSION:
        raise SealError("not a sealed secret")
    try:
        raw = base64.urlsafe_b64decode(payload.encode())
    except ValueError:
        raise SealError("not a sealed secret") from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise SealError("not a sealed secret")
    nonce, cipher, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    enc, mac = _keys(secret_key)
    if not hmac.compare_digest(tag, _tag(mac, nonce, cipher)):
        raise SealError("sealed with another key, or altered")
    return _xor(cipher, _keystream(enc, nonce, len(cipher))).decode()


def fingerprint(sealed: str) -> str:
    """A short public name of one sealed value (it changes whenever a new secret is sealed): what a form
    carries to tell that the secret it was shown with is still the current one."""
    return hashlib.sha256(sealed.encode()).hexdigest()[:16]
