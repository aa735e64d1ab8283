"""个人信息访问预警: the scheduler's daily job tells the whole-city supervisors which accounts the access
review flags over the week that ended yesterday — once a day, and once a week per account."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from hotline.security import access_alerts
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


def test_a_week_is_counted_in_days_not_hours(db, org, clock, run) -> None:
    """Told at 10:00 on day 1, the account is due again on day 8 even if that day's first pass comes earlier."""
    flag_housing(db, org, FRIDAY)
    assert run().counts["access_review"] == 1
    clock.advance(timedelta(days=6, hours=-9))  # day 7, 01:00: still within the week
    flag_housing(db, org, START.date() + timedelta(days=5))
    assert run().counts["access_review"] == 0
    clock.advance(timedelta(days=1))  # day 8, 01:00: less than 7 × 24 hours after the first message
    assert run().counts["access_review"] == 1 and len(alerts(db)) == 2


def test_an_account_whose_role_changed_in_the_week_is_told_once(db, org, run) -> None:
    from dataclasses import replace

    from hotline.security import audit

    flag_housing(db, org, FRIDAY)  # flagged as a handler
    for name in ("market_manager", "housing_manager"):  # with the promoted handler, three managers read
        reads(db, org, name, range(10), at(FRIDAY, 10))
    manager = replace(org.actor("housing_handler"), role="unit_manager")  # … and, promoted, as a manager
    for n in range(200, 280):
        audit.record(db, actor=manager, at=at(FRIDAY + timedelta(days=1), 10), action="view_personal_data",
                     object_type="ticket", object_id=f"NJ{n:08d}")
    db.commit()
    assert run().counts["access_review"] == 1
    (alert,) = alerts(db)
    assert alert.body.startswith("承办单位经办人、承办单位负责人 housing_handler，")
    assert "作为承办单位经办人非工作时间查看个人信息 80 次" in alert.body
    assert "作为承办单位负责人查看 80 条记录的个人信息" in alert.body


def test_the_alert_links_to_the_week_and_the_account_it_was_written_from(client, db, org, clock, run) -> None:
    from tests.test_pages import login

    flag_housing(db, org, FRIDAY)
    run()
    clock.advance(timedelta(days=3))  # read days later: the page's default week no longer holds the reads
    login(client, "supervisor")
    page = client.get("/notifications")
    link = "/admin/access-review?from=2026-10-26&amp;to=2026-11-01&amp;username=housing_handler"
    assert f'<a href="{link}">访问审查</a>' in page.text
    review = client.get(link.replace("&amp;", "&"))
    assert review.text.count('class="review-row flagged"') == 1 and "housing_handler" in review.text
    api = client.get("/api/v1/supervision/notifications")
    assert api.json()["items"][0]["link"] == link.replace("&amp;", "&")


def test_a_data_sharing_account_reading_from_a_new_address_is_told(client, db, org, engine, run) -> None:
    from dataclasses import replace

    from hotline.org import service as org_service
    from hotline.security import audit
    from hotline.security.models import AuditEntry
    from hotline.security.roles import DataScope, Role
    from tests.factories import drop_accounts
    from tests.test_pages import login

    try:
        user = org_service.add_user(db, username="aa-feed", password="machine-pass-123", display_name="aa-feed",
                                    role=Role.DATA_SHARING, data_scope=DataScope.ALL)
        db.flush()
        actor = org_service.actor_for(user)
        for when, address in ((at(FRIDAY - timedelta(days=20), 3), "10.1.1.1"), (at(FRIDAY, 3), "198.51.100.7")):
            audit.record(db, actor=replace(actor, client=address), at=when, action="share_read",
                         object_type="data_feed", object_id="aa-feed")
        db.commit()
        assert run().counts["access_review"] == 1
        (alert,) = alerts(db)
        assert alert.body == ("数据共享接口 aa-feed，2026-10-26 至 2026-11-01（7 天）："
                              "使用了此前 90 天未用过的来源地址：198.51.100.7。请在“访问审查”页核实。")
        db.rollback()  # end the read the body's reload began: SQLite's writer (the login) waits for no reader
        login(client, "supervisor")
        review = client.get("/admin/access-review?from=2026-10-26&to=2026-11-01&username=aa-feed")
        assert review.text.count('class="feed-row flagged"') == 1
    finally:
        db.rollback()
        db.execute(delete(AuditEntry).where(AuditEntry.username == "aa-feed"))
        db.execute(delete(Notification).where(Notification.kind == "access_alert"))
        db.commit()
        drop_accounts(engine, "aa-feed")


def test_an_alert_over_a_year_the_calendar_does_not_know_says_so(db, org) -> None:
    """The review counts such a year's night reads Monday to Friday and says so; the message read in the
    inbox, without the page, says it too."""
    day = date(2099, 1, 6)  # a Tuesday in a year chinese-calendar does not cover
    for name in ("market_handler", "street_handler", "water_handler"):
        reads(db, org, name, range(10), at(day, 10))
    reads(db, org, "housing_handler", range(80), at(day, 23))
    db.commit()
    now = at(date(2099, 1, 8), 6)
    assert access_alerts.raise_alerts(db, now=now, today=date(2099, 1, 8)) == 1
    db.commit()
    (alert,) = alerts(db)
    assert alert.body.endswith("（2099 年的节假日安排不在日历中，该年按周一至周五为工作日计算非工作时间）")
