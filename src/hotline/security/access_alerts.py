"""个人信息访问预警: once a day, the accounts the access review flags are told to the reviewers' inbox.

The review (access_review) waits for someone to open it; an account that reads a district's
requesters at night should not wait for that. The scheduler's daily job reviews the WINDOW_DAYS
that ended yesterday (the same rules, so a post's median is a week's) and writes one message per
flagged account to the centre's inbox, audience REVIEWERS (whole-city supervisors). An account
already told about in the last QUIET_DAYS is not told again: a flag that lasts is one message a
week, not seven.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.clock import CHINA_TZ, to_local
from hotline.security import access_review
from hotline.security.actor import Actor
from hotline.security.roles import DataScope, Role
from hotline.supervision.enums import Audience, NotificationKind
from hotline.supervision.models import Notification
from hotline.supervision.timeline import notify

WINDOW_DAYS = 7
QUIET_DAYS = 7
REVIEWER = Actor(role=Role.ADMIN, name="个人信息访问预警", data_scope=DataScope.ALL)


TITLE = "个人信息访问预警："


def title_for(username: str) -> str:
    return TITLE + username


def window(today: date) -> tuple[date, date]:
    """The WINDOW_DAYS that ended the day before `today` (Beijing time)."""
    end = today - timedelta(days=1)
    return end - timedelta(days=WINDOW_DAYS - 1), end


def review_link(n: Notification) -> str:
    """The review the message was written from: its account and its week, not whatever the page's
    default week is on the day the message is read (by then the reads may have left it)."""
    start, end = window(to_local(n.created_at).date())
    return "/admin/access-review?" + urlencode({"from": f"{start:%Y-%m-%d}", "to": f"{end:%Y-%m-%d}",
                                                "username": n.title.removeprefix(TITLE)})


def raise_alerts(db: Session, *, now: datetime, today: date) -> int:
    """Write the messages for the window that ended the day before `today`; the number written."""
    start, end = window(today)
    period = access_review.make_period(now=now, start=start, end=end)
    review = access_review.review(db, actor=REVIEWER, period=period)
    # One message per account: an account whose role changed in the week has a row per role.
    flagged: dict[str, list[tuple[str, list[str]]]] = {}
    for username, role_label, flags in [(a.username, a.role_label, a.flags) for a in review.accounts] + [
            (f.username, "数据共享接口", f.flags) for f in review.feeds]:
        if flags:
            flagged.setdefault(username, []).append((role_label, flags))
    if not flagged:
        return 0
    # Counted in local days, not hours: the pass that first runs on day 8 may come a few minutes earlier
    # in the day than day 1's did, and the account is due again all the same.
    quiet_since = datetime.combine(today - timedelta(days=QUIET_DAYS - 1), time(0), tzinfo=CHINA_TZ)
    recent = set(db.execute(select(Notification.title).where(
        Notification.kind == str(NotificationKind.ACCESS_ALERT), Notification.created_at >= quiet_since)).scalars())
    written = 0
    for username, held in flagged.items():
        if title_for(username) in recent:
            continue
        if len(held) == 1:
            said = "；".join(held[0][1])
        else:
            said = "；".join(f"作为{label}{flag}" for label, flags in held for flag in flags)
        posts = "、".join(label for label, _ in held)
        notify(db, unit_id=None, audience=Audience.REVIEWERS, kind=NotificationKind.ACCESS_ALERT, at=now,
               title=title_for(username), body=f"{posts} {username}，{period.label}：{said}。请在“访问审查”页核实。"
               + "".join(f"（{note}）" for note in review.notes))
        written += 1
    return written
