"""个人信息访问审查 (access review): who read how much personal data in a period, and who stands out.

国办发〔2020〕53号 asks for "访问查询、共享信息使用的全过程安全管理" under 谁管理、谁使用、谁负责. The
audit log records every unmasked read and every export, entry by entry; a reviewer cannot read a
month of it. This turns it into one row per account with the figures that matter and plain rules
that point at the rows worth a look: far more requesters read than peers in the same post, reads
at night or on a rest day by staff who do not work shifts, many exports. A flag is a question for
the reviewer, not a verdict: the row links to the entries themselves. The data-sharing accounts'
reads of the feed are reviewed apart (feed_review).

Every figure is counted by the database in one grouped query over the period (the working hours
are passed in as intervals, so the same SQL runs on SQLite and PostgreSQL).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from hotline.clock import CHINA_TZ, CalendarRangeError, Period, is_workday, to_local
from hotline.errors import DomainError, Forbidden
from hotline.security.actor import Actor
from hotline.security.audit import ACTION_LABELS, reads_whole_city
from hotline.security.command_line_review import CommandLineUse, command_line_uses, select_command_line
from hotline.security.feed_review import LOOKBACK_DAYS, FeedReads, feed_reads
from hotline.security.models import AuditEntry
from hotline.security.roles import LOGIN_ROLES, ROLE_LABELS, Role

# What counts as reading personal data: an unmasked ticket, call, text or blacklist entry, and an
# attachment (which may carry an ID card or a contract).
READ_ACTIONS = ("view_personal_data", "download_attachment")
# Every export is named export_* (a list of tickets, orders, figures, the audit log itself).
EXPORT_ACTIONS = tuple(a for a in ACTION_LABELS if a.startswith("export_"))
# The hall works a rota every day of the year, nights included (operators, dispatchers, and the
# callback staff who call back on rest days): its reads at 3 a.m. or on a Sunday are the job, not a sign.
SHIFT_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.CALLBACK_AGENT})
WORK_START, WORK_END = time(7, 0), time(21, 0)  # Beijing time, on a working day

# The rules. A volume is compared only against a post with enough accounts reading to have a norm.
VOLUME_FLOOR = 50  # requesters' records (distinct objects) read in the period before volume is looked at
PEER_MULTIPLE = 3.0  # … and more than this many times the post's median
MIN_PEERS = 3  # accounts of the same role that read anything in the period
OFF_HOURS_FLAG = 10  # reads outside working hours by staff who do not work shifts
EXPORT_FLAG = 20  # exports in the period

DEFAULT_DAYS = 7
MAX_DAYS = 92


@dataclass
class AccountAccess:
    """One account's reads and exports in the period (one row per account and role held then)."""

    user_id: int
    username: str
    role: str
    reads: int
    objects: int  # distinct records read (a ticket read ten times counts once)
    off_hours: int  # reads outside 07:00–21:00 on working days
    exports: int
    clients: int  # distinct client addresses
    first_at: datetime
    last_at: datetime
    peer_median: float | None = None  # the role's median of `objects`, when it has MIN_PEERS readers
    flags: list[str] = field(default_factory=list)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)  # type: ignore[call-overload]

    @property
    def works_shifts(self) -> bool:
        return self.role in SHIFT_ROLES


@dataclass
class Review:
    period: Period
    accounts: list[AccountAccess]  # flagged first, then by records read
    notes: list[str]
    feeds: list[FeedReads] = field(default_factory=list)  # the data-sharing accounts' reads of the feed
    command_line: list[CommandLineUse] = field(default_factory=list)  # exports made at the server's shell

    @property
    def people(self) -> int:
        """Login accounts among the rows: an account whose role changed in the period has a row per role."""
        return len({a.user_id for a in self.accounts})

    @property
    def flagged(self) -> int:
        """Login accounts with a flag, in any of their rows (the data-sharing accounts' are counted apart)."""
        return len({a.user_id for a in self.accounts if a.flags})

    @property
    def summary(self) -> str:
        """"N 个账号，M 个有提示", and the rows when a role change split an account."""
        split = len(self.accounts) > self.people
        rows = f"（期间内换过角色的账号按角色分行，共 {len(self.accounts)} 行）" if split else ""
        return f"{self.people} 个账号{rows}，{self.flagged} 个有提示"


def ensure_reviewer(actor: Actor) -> None:
    """Those who read the audit log: administrators and supervisors whose data scope is the whole city."""
    if actor.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise Forbidden("role_forbidden", "只有系统管理员和督办员可以查看个人信息访问审查")
    if not reads_whole_city(actor):
        raise Forbidden("scope_forbidden", "访问审查汇总全市的审计记录，仅限数据范围为全市的督办员和系统管理员查看")


def make_period(*, now: datetime, start: date | None = None, end: date | None = None) -> Period:
    """The period asked for; by default the last seven days up to today."""
    end = end or to_local(now).date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise DomainError("period_reversed", f"日期范围颠倒了：结束日期 {end:%Y-%m-%d} 早于开始日期 {start:%Y-%m-%d}",
                          status_code=422)
    if (end - start).days + 1 > MAX_DAYS:
        raise DomainError("period_too_long", f"审查周期最长 {MAX_DAYS} 天，请缩短日期范围", status_code=422)
    return Period(start, end)


def working_hours(period: Period) -> tuple[list[tuple[datetime, datetime]], list[str]]:
    """The period's working hours as intervals, and a note for the days the holiday calendar does not
    know (counted Monday to Friday rather than refusing the whole review)."""
    spans: list[tuple[datetime, datetime]] = []
    unknown: set[int] = set()
    for i in range(period.days):
        day = period.start + timedelta(days=i)
        try:
            work = is_workday(day)
        except CalendarRangeError:
            unknown.add(day.year)
            work = day.weekday() < 5
        if work:
            spans.append((datetime.combine(day, WORK_START, tzinfo=CHINA_TZ),
                          datetime.combine(day, WORK_END, tzinfo=CHINA_TZ)))
    notes = [f"{y} 年的节假日安排不在日历中，该年按周一至周五为工作日计算非工作时间" for y in sorted(unknown)]
    return spans, notes


def within(column: Any, spans: list[tuple[datetime, datetime]]) -> Any:
    """1 when `column` lies in one of the sorted, disjoint `spans`, else 0, as SQL: a tree of CASEs
    that halves the spans at each level, so a row costs about log2(n) comparisons, not n (92 days
    have 60-odd working days: an OR of them took SQLite 2.3 times as long as this over a million rows)."""
    if not spans:
        return literal(0)
    if len(spans) == 1:
        start, end = spans[0]
        return case((and_(column >= start, column < end), 1), else_=0)
    mid = len(spans) // 2
    return case((column < spans[mid][0], within(column, spans[:mid])), else_=within(column, spans[mid:]))


def review(db: Session, *, actor: Actor, period: Period) -> Review:
    ensure_reviewer(actor)
    spans, notes = working_hours(period)
    is_read = AuditEntry.action.in_(READ_ACTIONS)
    rows = db.execute(
        select(
            AuditEntry.user_id, AuditEntry.role, func.max(AuditEntry.username),
            func.sum(case((is_read, 1), else_=0)),
            func.count(func.distinct(case((is_read, AuditEntry.object_type + ":" + AuditEntry.object_id)))),
            func.sum(case((is_read, 1 - within(AuditEntry.at, spans)), else_=0)),
            func.sum(case((AuditEntry.action.in_(EXPORT_ACTIONS), 1), else_=0)),
            func.count(func.distinct(AuditEntry.client)),
            func.min(AuditEntry.at), func.max(AuditEntry.at),
        )
        .where(AuditEntry.at >= period.since, AuditEntry.at < period.until,
               AuditEntry.action.in_(READ_ACTIONS + EXPORT_ACTIONS), AuditEntry.user_id.is_not(None),
               AuditEntry.role.in_([str(r) for r in LOGIN_ROLES]))
        .group_by(AuditEntry.user_id, AuditEntry.role)
    ).all()
    accounts = [AccountAccess(user_id=r[0], role=r[1], username=r[2], reads=int(r[3] or 0), objects=int(r[4] or 0),
                              off_hours=int(r[5] or 0), exports=int(r[6] or 0), clients=int(r[7] or 0),
                              first_at=r[8], last_at=r[9]) for r in rows]
    _flag(accounts)
    accounts.sort(key=lambda a: (-len(a.flags), -a.objects, -a.exports, a.username))
    return Review(period=period, accounts=accounts, notes=notes,
                  feeds=feed_reads(db, since=period.since, until=period.until),
                  command_line=command_line_uses(db, since=period.since, until=period.until, reads=READ_ACTIONS,
                                                 exports=EXPORT_ACTIONS))


def _flag(accounts: list[AccountAccess]) -> None:
    readers: dict[str, list[AccountAccess]] = {}
    everyone: dict[str, list[AccountAccess]] = {}
    for a in accounts:
        everyone.setdefault(a.role, []).append(a)
        if a.objects:
            readers.setdefault(a.role, []).append(a)
    for a in accounts:
        peers, post = readers.get(a.role, []), everyone[a.role]
        if len(peers) >= MIN_PEERS:
            a.peer_median = float(statistics.median(p.objects for p in peers))
            if a.objects >= VOLUME_FLOOR and a.objects > PEER_MULTIPLE * a.peer_median:
                a.flags.append(f"查看 {a.objects} 条记录的个人信息，为同岗位中位数 {a.peer_median:g} 的 "
                               f"{a.objects / a.peer_median:.1f} 倍")
        night = [p.off_hours for p in peers]
        if not a.works_shifts and a.off_hours >= OFF_HOURS_FLAG and _above_post(a.off_hours, night):
            a.flags.append(f"非工作时间查看个人信息 {a.off_hours} 次")
        if a.exports >= EXPORT_FLAG and _above_post(a.exports, [p.exports for p in post]):
            a.flags.append(f"导出数据 {a.exports} 次")


def _above_post(value: int, post: list[int]) -> bool:
    """Above PEER_MULTIPLE times the post's median, where the post has a norm (MIN_PEERS accounts);
    where it has none, the floor alone decides."""
    return len(post) < MIN_PEERS or value > PEER_MULTIPLE * statistics.median(post)


RULES_TEXT = (
    f"查看记录数不少于 {VOLUME_FLOOR} 条，且超过同岗位中位数的 {PEER_MULTIPLE:g} 倍"
    f"（同岗位有查看的账号不足 {MIN_PEERS} 个时不比较）",
    f"非工作时间（工作日 {WORK_START:%H:%M} 前、{WORK_END:%H:%M} 后，以及休息日、节假日）查看个人信息不少于 "
    f"{OFF_HOURS_FLAG} 次，且超过同岗位中位数的 {PEER_MULTIPLE:g} 倍；话务员、派单员、回访员按排班值守，不计此项",
    f"导出数据不少于 {EXPORT_FLAG} 次，且超过同岗位中位数的 {PEER_MULTIPLE:g} 倍",
    f"数据共享接口账号：使用了此前 {LOOKBACK_DAYS} 天未用过的来源地址（此前没有读取的新账号不计）",
)


def filters_text(*, role: str | None = None, flagged_only: bool = False, username: str | None = None) -> str:
    """The filters in words, for a sheet or a log line ("" when none)."""
    name = (username or "").strip()
    said = [f"角色 {ROLE_LABELS.get(role, role)}" if role else "",  # type: ignore[call-overload]
            "只看有提示的账号" if flagged_only else "", f"用户名 {name}" if name else ""]
    return "、".join(s for s in said if s)


def select_accounts(accounts: list[AccountAccess], *, role: str | None = None, flagged_only: bool = False,
                    username: str | None = None) -> list[AccountAccess]:
    """The rows a reviewer narrowed to: one post, only flagged rows, one account (any case)."""
    name = (username or "").strip().lower()
    return [a for a in accounts if (not role or a.role == role) and (not flagged_only or a.flags)
            and (not name or a.username.lower() == name)]


def select_feeds(feeds: list[FeedReads], *, username: str | None = None) -> list[FeedReads]:
    """The data-sharing accounts' rows, narrowed to one account when one is asked for (an alert names one)."""
    name = (username or "").strip().lower()
    return [f for f in feeds if not name or f.username.lower() == name]


def narrow(result: Review, *, role: str | None = None, flagged_only: bool = False,
           username: str | None = None) -> Review:
    """The review cut to what the reviewer asked for, in place (the page, the API, the sheet and the
    command alike). Role and 只看有提示 choose among the login accounts; the data-sharing and
    command-line tables are narrowed by the account's name only."""
    result.accounts = select_accounts(result.accounts, role=role, flagged_only=flagged_only, username=username)
    result.feeds = select_feeds(result.feeds, username=username)
    result.command_line = select_command_line(result.command_line, username=username)
    return result
