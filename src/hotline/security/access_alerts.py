"""个人信息访问预警: once a day, the accounts the access review flags are told to the reviewers' inbox.

The review (access_review) waits for someone to open it; an account that reads a district's
requesters at night should not wait for that. The scheduler's daily job reviews the WINDOW_DAYS
that ended yesterday (the same rules, so a post's median is a week's) and writes one message per
flagged account to the centre's inbox, audience REVIEWERS (whole-city supervisors). An account
already told about in the last QUIET_DAYS is not told again: a flag that lasts is one message a
week, not seven.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.security import access_review
from hotline.security.actor import Actor
from hotline.security.roles import DataScope, Role
from hotline.supervision.enums import Audience, NotificationKind
from hotline.supervision.models import Notification
from hotline.supervision.timeline import notify

WINDOW_DAYS = 7
QUIET_DAYS = 7
REVIEWER = Actor(role=Role.ADMIN, name="个人信息访问预警", data_scope=DataScope.ALL)


def title_for(username: str) -> str:
    return f"个人信息访问预警：{username}"


def raise_alerts(db: Session, *, now: datetime, today: date) -> int:
    """Write the messages for the window that ended the day before `today`; the number written."""
    end = today - timedelta(days=1)
    period = access_review.make_period(now=now, start=end - timedelta(days=WINDOW_DAYS - 1), end=end)
    review = access_review.review(db, actor=REVIEWER, period=period)
    flagged = [(a.username, a.role_label, a.flags) for a in review.accounts if a.flags]
    flagged += [(f.username, "数据共享接口", f.flags) for f in review.feeds if f.flags]
    if not flagged:
        return 0
    recent = set(db.execute(select(Notification.title).where(
        Notification.kind == str(NotificationKind.ACCESS_ALERT),
        Notification.created_at >= now - timedelta(days=QUIET_DAYS))).scalars())
    written = 0
    for username, role_label, flags in flagged:
        if title_for(username) in recent:
            continue
        notify(db, unit_id=None, audience=Audience.REVIEWERS, kind=NotificationKind.ACCESS_ALERT, at=now,
               title=title_for(username),
               body=f"{role_label} {username}，{period.label}：{'；'.join(flags)}。请在“访问审查”页核实。")
        written += 1
    return written
