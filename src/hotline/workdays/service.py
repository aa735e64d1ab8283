"""Entering a year's official holiday arrangement, reading it back, and feeding it to the clock.

The State Council's notice (国务院办公厅关于YYYY年部分节假日安排的通知) lists the holidays as date
ranges and the make-up workdays as single days. An administrator copies them in; the whole year is
replaced at once, so a corrected entry never leaves half of an older one behind. Only years after
the calendar package's last year can be entered: for a year the package knows, the package is the
authority (and an entry made before an upgrade is shown as superseded, with any disagreement)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import chinese_calendar
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline import clock
from hotline.errors import Conflict, DomainError, Forbidden, NotFound
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.roles import Role
from hotline.workdays.models import CalendarDay

MAX_YEARS_AHEAD = 2  # a notice is published for next year only; allow one more for a late package
SOURCE_MAX = 200
MAX_HOLIDAYS, MAX_WORKDAYS = 60, 20  # a year has about 30 holiday days and 5–8 make-up days
# Fewer than this is accepted with a warning: probably only part of the notice was copied in.
FEW_HOLIDAYS = 10
_RANGE_SEP = re.compile(r"\s*(?:~|～|至|—|--)\s*")
_ITEM_SEP = re.compile(r"[,，、;；\s]+")
# 2027-01-01, and as people type it: 2027-1-1 or 2027/1/1 (one separator throughout).
_DATE = re.compile(r"([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})")


def _date(text: str) -> date:
    match = _DATE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return date(int(match[1]), int(match[3]), int(match[4]))


def parse_days(text: str, *, what: str) -> list[date]:
    """Dates and ranges as people type them: "2027-01-01~2027-01-03, 2027-02-06" (also 2027-1-1, 2027/1/1,
    至, ～, 、, new lines). `what` names the field in the error message."""
    days: set[date] = set()
    for item in (x for x in _ITEM_SEP.split(_RANGE_SEP.sub("~", text.strip())) if x):
        parts = item.split("~")
        try:
            ends = [_date(p) for p in parts]
        except ValueError:
            raise DomainError("invalid_date", f"{what}中无法识别“{item}”（应为 YYYY-MM-DD 或 "
                                              "YYYY-MM-DD~YYYY-MM-DD，如 2027-1-1~2027-1-3）",
                              status_code=422) from None
        if len(ends) > 2:
            raise DomainError("invalid_date", f"{what}中“{item}”不是一个日期范围", status_code=422)
        first, last = ends[0], ends[-1]
        if last < first:
            raise DomainError("invalid_date", f"{what}中“{item}”的结束日期早于开始日期", status_code=422)
        if (last - first).days > 31:
            raise DomainError("invalid_date", f"{what}中“{item}”超过 31 天，请检查", status_code=422)
        days.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return sorted(days)


def _require_admin(actor: Actor) -> None:
    if actor.role not in (Role.ADMIN, Role.SYSTEM):
        raise Forbidden("forbidden", "只有管理员可以录入节假日安排")


def _check_year(year: int) -> None:
    last = clock.package_years()[1]
    if year <= last:
        raise DomainError("year_known", f"软件包已包含 {year} 年的法定节假日安排，无需录入", status_code=422)
    if year > last + MAX_YEARS_AHEAD:
        raise DomainError("year_too_far", f"只能录入 {last + 1}—{last + MAX_YEARS_AHEAD} 年的安排"
                          "（国务院每年只公布下一年的放假安排）", status_code=422)


def warnings(holidays: list[date]) -> list[str]:
    """What looks wrong in an arrangement that is still accepted (shown after saving and beside the year)."""
    if len(holidays) < FEW_HOLIDAYS:
        return [f"只录入了 {len(holidays)} 天放假日期，一年通常约 25–30 天（元旦、春节、清明、劳动节、端午、"
                "中秋、国庆）：请核对是否漏录了部分节日"]
    return []


def _entered(db: Session, year: int) -> bool:
    return db.execute(select(CalendarDay.day).where(CalendarDay.year == year).limit(1)).first() is not None


def set_year(db: Session, *, actor: Actor, now: datetime, year: int, holidays: list[date],
             workdays: list[date], source: str) -> list[str]:
    """Replace the arrangement of `year` with these holidays and make-up workdays; the warnings about it."""
    _require_admin(actor)
    _check_year(year)
    # Deadlines are counted day by day from today: a year after a gap would never be reached.
    previous = year - 1
    if previous > clock.package_years()[1] and not _entered(db, previous):
        raise DomainError("previous_year_missing", f"请先录入 {previous} 年的安排：软件包不含 {previous} 年，"
                          f"{previous} 年未录入时 {year} 年的安排无法用于计算时限", status_code=422)
    holidays, workdays = sorted(set(holidays)), sorted(set(workdays))  # the API may repeat a date
    source = (source or "").strip()
    if not source:
        raise DomainError("source_required", "请填写依据（国务院办公厅通知的文号或标题）", status_code=422)
    if len(source) > SOURCE_MAX:
        raise DomainError("source_too_long", f"依据不能超过 {SOURCE_MAX} 个字", status_code=422)
    if not holidays:
        raise DomainError("holidays_required", "请填写放假日期", status_code=422)
    if len(holidays) > MAX_HOLIDAYS or len(workdays) > MAX_WORKDAYS:
        raise DomainError("too_many_days", f"放假日期不能超过 {MAX_HOLIDAYS} 天、调休上班日不能超过 "
                          f"{MAX_WORKDAYS} 天，请检查", status_code=422)
    for label, days in (("放假日期", holidays), ("调休上班日期", workdays)):
        outside = [d for d in days if d.year != year]
        if outside:
            raise DomainError("outside_year", f"{label}中的 {outside[0].isoformat()} 不在 {year} 年内",
                              status_code=422)
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise DomainError("both_kinds", f"{both[0].isoformat()} 不能既放假又调休上班", status_code=422)
    weekdays = [d for d in workdays if d.weekday() < 5]
    if weekdays:
        raise DomainError("workday_not_weekend", f"调休上班日 {weekdays[0].isoformat()} 是周一至周五，"
                          "本来就上班；调休上班日应是周六或周日", status_code=422)
    db.execute(delete(CalendarDay).where(CalendarDay.year == year))
    for d, work in [(d, False) for d in holidays] + [(d, True) for d in workdays]:
        db.add(CalendarDay(day=d, year=year, is_workday=work, source=source, entered_at=now,
                           entered_by_id=actor.user_id, entered_by_name=actor.name))
    audit.record(db, actor=actor, at=now, action="calendar_set_year", object_type="calendar", object_id=year,
                 detail=f"{year} 年：放假 {len(holidays)} 天，调休上班 {len(workdays)} 天；依据 {source}")
    try:
        db.commit()
    except IntegrityError:  # another administrator saved the same year at the same moment
        db.rollback()
        raise Conflict("calendar_busy", f"{year} 年的安排正由他人同时保存，请刷新后重试") from None
    clock.reload_supplement()
    return warnings(holidays)


def clear_year(db: Session, *, actor: Actor, now: datetime, year: int) -> None:
    _require_admin(actor)
    if year > clock.package_years()[1] and _entered(db, year + 1) and _entered(db, year):
        raise DomainError("later_year_entered", f"请先删除 {year + 1} 年的安排：删除 {year} 年后，{year + 1} 年的安排"
                          "将无法用于计算时限", status_code=409)
    gone = db.execute(delete(CalendarDay).where(CalendarDay.year == year)).rowcount
    if not gone:
        raise NotFound("year_not_entered", f"没有录入过 {year} 年的节假日安排")
    audit.record(db, actor=actor, at=now, action="calendar_clear_year", object_type="calendar", object_id=year,
                 detail=f"删除 {year} 年的节假日安排（{gone} 天）")
    db.commit()
    clock.reload_supplement()


@dataclass
class YearEntry:
    year: int
    source: str
    entered_by: str
    entered_at: datetime
    holidays: list[date] = field(default_factory=list)
    workdays: list[date] = field(default_factory=list)
    # For a year the package has come to know since: the days on which the two disagree.
    superseded: bool = False
    disagreements: list[date] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def entered_years(db: Session) -> list[YearEntry]:
    rows = db.scalars(select(CalendarDay).order_by(CalendarDay.day)).all()
    last_known = clock.package_years()[1]
    years: dict[int, YearEntry] = {}
    for r in rows:
        entry = years.setdefault(r.year, YearEntry(year=r.year, source=r.source, entered_by=r.entered_by_name,
                                                   entered_at=r.entered_at, superseded=r.year <= last_known))
        (entry.workdays if r.is_workday else entry.holidays).append(r.day)
        if entry.superseded and bool(chinese_calendar.is_workday(r.day)) != r.is_workday:
            entry.disagreements.append(r.day)
    for entry in years.values():
        entry.warnings = [] if entry.superseded else warnings(entry.holidays)
    return list(years.values())


def loader(engine: Engine) -> Callable[[], clock.Supplement]:
    """What clock.set_supplement_loader needs. It is called from inside other transactions (a deadline
    computed while a ticket is written), so it reads on a raw connection of its own without BEGIN:
    on SQLite an ORM session would queue behind the caller's own IMMEDIATE write lock."""

    def load() -> clock.Supplement:
        out: clock.Supplement = {}
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("SELECT day, year, is_workday FROM calendar_days")
            for day, year, work in cur.fetchall():
                day = day if isinstance(day, date) else date.fromisoformat(str(day))
                out.setdefault(int(year), {})[day] = bool(work)
            cur.close()
        except Exception as exc:  # a database not yet upgraded has no such table: nothing entered
            if "calendar_days" not in str(exc):
                raise
        finally:
            raw.close()  # back to the pool, rolled back
        return out

    return load
