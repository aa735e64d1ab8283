"""个人信息访问预警: the scheduler's daily job tells the whole-city supervisors which accounts the access
review flags over the week that ended yesterday — once a day, and once a week per account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from hotline.supervision import jobs
from hotline.supervision.models import DailyJob, Notification
from tests.conftest import START
from tests.test_access_review import at, reads

FRIDAY = START.date() - timedelta(days=3)  # 2026-10-30, in the week that ended yesterday (2026-11-01)


@pytest.fixture(autouse=True)
def _no_earlier_run(db) -> None:  # type: ignore[no-untyped-def]
    """A pass run by a test elsewhere (assessment, sharing) may have taken the day's key already."""
    db.execute(delete(DailyJob).where(DailyJob.job == jobs.ACCESS_JOB))
    db.commit()


def flag_housing(db, org, day) -> None:  # type: ignore[no-untyped-def]
    for name in ("market_handler", "street_handler", "water_handler"):
        reads(db, org, name, range(10), at(day, 10))
    reads(db, org, "housing_handler", range(80), at(day, 23))
    db.commit()


def alerts(db) -> list[Notification]:  # type: ignore[no-untyped-def]
    rows = list(db.execute(select(Notification).where(Notification.kind == "access_alert")
                           .order_by(Notification.id)).scalars())
    db.rollback()
    return rows


def test_a_flagged_account_is_told_once_a_day_and_once_a_week(db, org, clock, run) -> None:
    flag_housing(db, org, FRIDAY)
    assert run().counts["access_review"] == 1
    (alert,) = alerts(db)
    assert (alert.unit_id, alert.audience, alert.title) == (None, "reviewers", "个人信息访问预警：housing_handler")
    assert alert.body.startswith("承办单位经办人 housing_handler，2026-10-26 至 2026-11-01（7 天）：查看 80 条记录")
    assert "非工作时间查看个人信息 80 次" in alert.body
    assert run().counts["access_review"] == 0  # the day's key: one run a day
    clock.advance(timedelta(days=1))  # still flagged over the new week, told already
    assert run().counts["access_review"] == 0 and len(alerts(db)) == 1
    clock.advance(timedelta(days=7))
    flag_housing(db, org, START.date() + timedelta(days=5))  # flagged again, a week later
    assert run().counts["access_review"] == 1 and len(alerts(db)) == 2


def test_nothing_flagged_tells_nothing(db, org, run) -> None:
    for name in ("market_handler", "street_handler", "water_handler", "housing_handler"):
        reads(db, org, name, range(10), at(FRIDAY, 10))
    db.commit()
    assert run().counts["access_review"] == 0 and alerts(db) == []


def test_only_whole_city_supervisors_read_the_alert(client, db, org, as_user, run) -> None:
    flag_housing(db, org, FRIDAY)
    run()

    def titles(name: str) -> list[str]:
        r = client.get("/api/v1/supervision/notifications", headers=as_user(name))
        assert r.status_code == 200, r.text
        return [n["title"] for n in r.json()["items"]]

    assert titles("supervisor") == ["个人信息访问预警：housing_handler"]
    assert titles("xuanwu_viewer") == [] and titles("dispatcher") == [] and titles("analyst") == []
    assert titles("housing_manager") == []
