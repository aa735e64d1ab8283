"""Working days on the official calendar: Spring Festival and National Day 2025/2026, make-up days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hotline.clock import (
    CHINA_TZ,
    CalendarRangeError,
    add_calendar_days,
    add_working_days,
    is_workday,
    to_local,
)


def at(y: int, m: int, d: int, hour: int = 10) -> datetime:
    return datetime(y, m, d, hour, tzinfo=CHINA_TZ)


def due_day(start: datetime, days: int) -> date:
    due = to_local(add_working_days(start, days))
    assert (due.hour, due.minute, due.second) == (23, 59, 59)
    return due.date()


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2025, 1, 26), True),  # Sunday, make-up workday before Spring Festival 2025
        (date(2025, 1, 28), False),  # 除夕 2025
        (date(2025, 2, 4), False),
        (date(2025, 2, 8), True),  # Saturday, make-up workday
        (date(2025, 9, 28), True),  # Sunday, make-up workday before National Day 2025
        (date(2025, 10, 8), False),
        (date(2025, 10, 11), True),
        (date(2026, 2, 14), True),  # Saturday, make-up workday before Spring Festival 2026
        (date(2026, 2, 16), False),
        (date(2026, 2, 23), False),
        (date(2026, 2, 28), True),
        (date(2026, 9, 20), True),  # Sunday, make-up workday before National Day 2026
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),
        (date(2026, 11, 7), False),  # an ordinary Saturday
    ],
)
def test_official_calendar(day: date, workday: bool) -> None:
    assert is_workday(day) is workday


def test_spring_festival_2025_counts_make_up_sunday_and_skips_the_holiday() -> None:
    friday = at(2025, 1, 24)
    assert due_day(friday, 1) == date(2025, 1, 26)  # the make-up Sunday counts
    assert due_day(friday, 2) == date(2025, 1, 27)
    assert due_day(friday, 3) == date(2025, 2, 5)  # 28 Jan – 4 Feb are holidays
    assert due_day(friday, 5) == date(2025, 2, 7)
    assert due_day(friday, 6) == date(2025, 2, 8)  # the make-up Saturday counts


def test_spring_festival_2026() -> None:
    thursday = at(2026, 2, 12)
    assert due_day(thursday, 1) == date(2026, 2, 13)
    assert due_day(thursday, 2) == date(2026, 2, 14)  # make-up Saturday
    assert due_day(thursday, 3) == date(2026, 2, 24)  # 15–23 Feb are holidays
    assert due_day(thursday, 7) == date(2026, 2, 28)  # make-up Saturday again


def test_national_day_2025_and_2026() -> None:
    assert due_day(at(2025, 9, 26), 1) == date(2025, 9, 28)
    assert due_day(at(2025, 9, 26), 4) == date(2025, 10, 9)
    assert due_day(at(2025, 9, 30), 2) == date(2025, 10, 10)
    assert due_day(at(2025, 9, 30), 3) == date(2025, 10, 11)
    assert due_day(at(2026, 9, 30), 1) == date(2026, 10, 8)
    assert due_day(at(2026, 9, 30), 3) == date(2026, 10, 10)


def test_counting_starts_the_next_day_in_china_time() -> None:
    # 23:30 UTC on Sunday is already Monday morning in Nanjing.
    late = datetime(2026, 11, 1, 23, 30, tzinfo=UTC)
    assert due_day(late, 1) == date(2026, 11, 3)  # Monday 07:30 in Nanjing + 1 working day
    assert due_day(at(2026, 11, 6), 1) == date(2026, 11, 9)  # Friday → Monday
    assert due_day(at(2026, 11, 6), 0) == date(2026, 11, 6)


def test_beyond_the_known_calendar_is_a_clear_error() -> None:
    with pytest.raises(CalendarRangeError) as err:
        add_working_days(at(2026, 12, 20), 15)
    assert err.value.code == "calendar_out_of_range"
    assert "超出法定节假日日历" in err.value.message
    with pytest.raises(CalendarRangeError):
        add_calendar_days(at(2026, 12, 25), 10)


def test_negative_days_rejected() -> None:
    with pytest.raises(ValueError):
        add_working_days(at(2026, 11, 2), -1)
