"""Time-limit policies as data: the shipped presets, rule matching, pauses and deadline status."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from hotline.clock import CHINA_TZ, to_local
from hotline.tickets.deadlines import (
    Policy,
    deadline_status,
    load_policy,
    preset_names,
    remaining_label,
    shift_for_pause,
    warn_at,
)
from hotline.tickets.enums import DeadlineStatus

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=CHINA_TZ)


def facts(**kw: object) -> dict[str, object]:
    base = {"kind": "complaint", "urgency": "normal", "unit_kind": "department", "is_complex": False}
    base.update(kw)
    return base


def test_presets_ship() -> None:
    assert preset_names() == ["beijing", "guangdong"]


@pytest.mark.parametrize(
    ("kind", "label", "due"),
    [
        ("consultation", "2个工作日", "2026-11-04"),
        ("help", "10个工作日", "2026-11-16"),
        ("suggestion", "10个工作日", "2026-11-16"),
        ("complaint", "15个工作日", "2026-11-23"),
        ("report", "15个工作日", "2026-11-23"),
    ],
)
def test_guangdong_limits_by_kind(kind: str, label: str, due: str) -> None:
    limit = load_policy("guangdong").handling_limit(facts(kind=kind))
    assert limit.label == label
    assert to_local(limit.apply(MONDAY)).date().isoformat() == due


def test_beijing_tiers() -> None:
    policy = load_policy("beijing")
    critical = policy.handling_limit(facts(urgency="critical", unit_kind="utility"))
    assert critical.label == "2小时" and critical.apply(MONDAY) == MONDAY + timedelta(hours=2)
    utility = policy.handling_limit(facts(unit_kind="utility"))
    assert utility.label == "24小时" and utility.apply(MONDAY) == MONDAY + timedelta(hours=24)
    assert policy.handling_limit(facts(is_complex=True)).label == "15天"
    normal = policy.handling_limit(facts())
    assert normal.label == "7天" and to_local(normal.apply(MONDAY)).date().isoformat() == "2026-11-09"


def test_policy_windows() -> None:
    policy = load_policy("guangdong")
    assert policy.return_window.label == "2个工作日"
    assert policy.extension_cap_working_days == 10
    assert policy.acknowledge_limit(facts(urgency="critical")).label == "1小时"


def test_policy_needs_a_default_rule() -> None:
    data = load_policy("guangdong").model_dump()
    data["handling"] = data["handling"][:-1]
    with pytest.raises(ValidationError, match="default"):
        Policy.model_validate(data)


def test_unknown_policy_named() -> None:
    with pytest.raises(ValueError, match="presets"):
        load_policy("atlantis")


def test_pause_pushes_the_deadline() -> None:
    due = MONDAY + timedelta(days=5)
    assert shift_for_pause(due, MONDAY, MONDAY + timedelta(hours=30)) == due + timedelta(hours=30)
    assert shift_for_pause(None, MONDAY, MONDAY) is None


def test_status_on_time_about_to_expire_overdue() -> None:
    due = MONDAY + timedelta(days=10)
    warn = warn_at(started_at=MONDAY, due_at=due, warn_before_hours=24)
    assert warn == due - timedelta(hours=24)
    status = lambda now: deadline_status(now=now, due_at=due, warn_at=warn)
    assert status(MONDAY + timedelta(days=1)) == DeadlineStatus.ON_TIME
    assert status(due - timedelta(hours=23)) == DeadlineStatus.ABOUT_TO_EXPIRE
    assert status(due + timedelta(minutes=1)) == DeadlineStatus.OVERDUE
    assert deadline_status(now=MONDAY, due_at=due, warn_at=warn, paused=True) == DeadlineStatus.PAUSED
    assert deadline_status(now=MONDAY, due_at=None, warn_at=None) == DeadlineStatus.NONE


def test_a_short_limit_warns_in_its_last_quarter_only() -> None:
    short = MONDAY + timedelta(hours=2)
    warn = warn_at(started_at=MONDAY, due_at=short, warn_before_hours=24)
    assert warn == MONDAY + timedelta(minutes=90)
    assert deadline_status(now=MONDAY + timedelta(minutes=30), due_at=short, warn_at=warn) == DeadlineStatus.ON_TIME
    assert deadline_status(now=MONDAY + timedelta(minutes=100), due_at=short,
                           warn_at=warn) == DeadlineStatus.ABOUT_TO_EXPIRE


def test_remaining_label() -> None:
    assert remaining_label(MONDAY, MONDAY + timedelta(days=3, hours=4)) == "剩余 3天4小时"
    assert remaining_label(MONDAY, MONDAY - timedelta(hours=5)) == "超期 5小时0分"


def test_working_day_limits_are_pushed_by_the_working_days_of_the_review() -> None:
    friday = datetime(2026, 11, 6, 10, 0, tzinfo=CHINA_TZ)
    monday = datetime(2026, 11, 9, 10, 0, tzinfo=CHINA_TZ)
    due = datetime(2026, 11, 26, 23, 59, 59, tzinfo=CHINA_TZ)
    shifted = shift_for_pause(due, friday, monday, working_days=True)
    assert to_local(shifted).date().isoformat() == "2026-11-27"
    same_day = shift_for_pause(due, friday, friday + timedelta(hours=3), working_days=True)
    assert same_day == due


def test_a_deadline_after_days_off_warns_on_the_last_working_day_before_them() -> None:
    """QA: a ticket due on 8 October (the first working day after National Day) turned 'about to
    expire' at 23:59 on 7 October, inside the holiday: the unit came back to a ticket due that day."""
    from hotline.clock import end_of_local_day

    def local(at: datetime) -> str:
        return to_local(at).strftime("%Y-%m-%d %H:%M")

    # a complaint dispatched 10 September, due at the end of Thursday 8 October (after the holiday)
    started = datetime(2026, 9, 10, 10, 0, tzinfo=CHINA_TZ)
    due = end_of_local_day(datetime(2026, 10, 8).date())
    assert local(warn_at(started_at=started, due_at=due, warn_before_hours=24)) == "2026-09-30 00:00"
    # due on a Tuesday: the day before is a working day, 24 hours before as ever
    tuesday = end_of_local_day(datetime(2026, 11, 24).date())
    assert local(warn_at(started_at=started, due_at=tuesday, warn_before_hours=24)) == "2026-11-23 23:59"
    # due on a Monday: from the start of the Friday before
    monday = end_of_local_day(datetime(2026, 11, 23).date())
    assert local(warn_at(started_at=started, due_at=monday, warn_before_hours=24)) == "2026-11-20 00:00"
    # dispatched on the last working day before the holiday: warned from the start, never before it
    late = datetime(2026, 9, 30, 10, 0, tzinfo=CHINA_TZ)
    assert warn_at(started_at=late, due_at=due, warn_before_hours=24) == late
    # an hour limit is no day's end: 24 hours before, whatever the day
    hours = datetime(2026, 10, 9, 15, 0, tzinfo=CHINA_TZ)
    assert warn_at(started_at=started, due_at=hours, warn_before_hours=24) == hours - timedelta(hours=24)
