"""The demo city's machine accounts (接口账号): the PBX adapter that feeds call events, the city
app that files requests through Open311 and the big-data bureau's data-sharing feed, created by
the demo's administrator as a real one would (`hotline.org.machines`). Their keys are not printed:
an administrator rotates one on /admin/machines to get a usable key. The PBX adapter's key has called
the API (its use is recorded through the real token check); the others' never have, as the list shows."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.org import machines
from hotline.org import service as org_service
from hotline.org.models import User
from hotline.security.roles import Role

ACCOUNTS = [
    ("pbx-adapter", Role.TELEPHONY, "呼叫中心话务平台", "生产环境"),
    ("city-app", Role.CHANNEL, "“我的南京”App", "生产环境"),
    # 信息共享: the city's big-data bureau reads every ticket's steps (docs/sharing.md).
    ("bigdata-feed", Role.DATA_SHARING, "市大数据局数据共享平台", "生产环境"),
]


def build(db: Session, *, start: datetime, end: datetime) -> int:
    """Create the accounts with a key issued at the start of the window; the PBX adapter last
    called the API just before its end."""
    admin = db.execute(select(User).where(User.username == "admin")).scalar_one()
    actor = org_service.actor_for(admin)
    keys = {}
    for username, role, name, key_name in ACCOUNTS:
        _user, issued = machines.create_account(db, actor=actor, now=start, role=role, username=username,
                                                display_name=name, key_name=key_name)
        keys[username] = issued.key
    org_service.actor_for_token(db, token=keys["pbx-adapter"], now=end - timedelta(minutes=5))
    return len(ACCOUNTS)
