"""Masking of personal data for roles that do not need it."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    if len(phone) <= 4:
        return "*" * len(phone)
    keep_head = 3 if len(phone) >= 11 else 0
    return phone[:keep_head] + "*" * (len(phone) - keep_head - 4) + phone[-4:]


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_openid(openid: str | None) -> str | None:
    """A WeChat follower's openid (28 characters, personal: it names one person to the account) as
    lists show it: enough to tell two followers apart on a page, not to address either."""
    if not openid:
        return openid
    if len(openid) <= 8:
        return "*" * len(openid)
    return openid[:4] + "****" + openid[-4:]
