"""The demo city's machine accounts (接口账号): the PBX adapter that feeds call events, the city
app that files requests through Open311 and the big-data bureau's data-sharing feed, created by
the demo's administrator as a real one would (`hotline.org.machines`), and the housing bureau's own
business system (部门业务系统, `fcj-system`), which handles some of the bureau's tickets through the API
(demo/unit_system.py). Their keys are not printed: an administrator rotates one on /admin/machines (or runs
`hotline unit-system account fcj-system --unit fcj`) to get a usable key. The PBX adapter's and the
bureau's system's keys have called the API (their use is recorded through the real token check); the
others' never have, as the list shows."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.org import machines
from hotline.org import service as org_service
from hotline.org.models import User
from hotline.runtime import Runtime
from hotline.security.roles import Role

ACCOUNTS = [
    ("pbx-adapter", Role.TELEPHONY, "呼叫中心话务平台", "生产环境"),
    ("city-app", Role.CHANNEL, "“我的南京”App", "生产环境"),
    # 信息共享: the city's big-data bureau reads every ticket's steps (docs/sharing.md).
    ("bigdata-feed", Role.DATA_SHARING, "市大数据局数据共享平台", "生产环境"),
    # 部门业务系统: the housing bureau's own system, bound to it (docs/administration.md).
    ("fcj-system", Role.UNIT_SYSTEM, "市房产局业务系统", "生产环境"),
]
UNIT_OF = {"fcj-system": "fcj"}


def build(db: Session, rt: Runtime, *, start: datetime, end: datetime) -> int:
    """Create the accounts with a key issued at the start of the window; the PBX adapter last
    called the API just before its end, and the bureau's system worked some of its tickets."""
    admin = db.execute(select(User).where(User.username == "admin")).scalar_one()
    actor = org_service.actor_for(admin)
    keys = {}
    for username, role, name, key_name in ACCOUNTS:
        _user, issued = machines.create_account(db, actor=actor, now=start, role=role, username=username,
                                                display_name=name, key_name=key_name,
                                                unit_code=UNIT_OF.get(username, ""))
        keys[username] = issued.key
    org_service.actor_for_token(db, token=keys["pbx-adapter"], now=end - timedelta(minutes=5))
    from hotline.demo import unit_system  # its tickets, through the ticket services

    unit_system.build(db, rt, key=keys["fcj-system"], end=end)
    return len(ACCOUNTS)
