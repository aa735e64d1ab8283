"""A year's official holiday arrangement entered before the calendar package knows it: parsed, checked,
used for time limits (and only where the package is silent), audited, removable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from hotline import clock as clockmod
from hotline.clock import CHINA_TZ, CalendarRangeError, add_working_days, is_workday, known_years, to_local
from hotline.db import make_session_factory
from hotline.errors import DomainError, Forbidden
from hotline.security.actor import Actor
from hotline.security.models import AuditEntry
from hotline.security.roles import Role
from hotline.tickets.models import Ticket
from hotline.workdays import service
from hotline.workdays.models import CalendarDay
from tests.factories import intake
from tests.test_pages import csrf_of, login

NEXT = clockmod.package_years()[1] + 1  # the first year the package does not know (2027 with 1.11)
ADMIN = Actor(role=Role.ADMIN, name="管理员")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=CHINA_TZ)


def d(month: int, day: int, year: int = NEXT) -> date:
    return date(year, month, day)


def first_weekend(year: int, month: int) -> date:
    return next(date(year, month, n) for n in range(1, 8) if date(year, month, n).weekday() == 5)


@pytest.fixture(autouse=True)
def _no_entered_years(engine: Engine) -> Iterator[None]:
    """Each test starts and ends with nothing entered (the test database is shared by the run)."""
    make_session_factory(engine)  # this database's entries are the clock's
    with engine.begin() as conn:
        conn.execute(delete(CalendarDay))
    clockmod.reload_supplement()
    yield
    make_session_factory(engine)  # a test may have pointed the clock at a database of its own
    with engine.begin() as conn:
        conn.execute(delete(CalendarDay))
    clockmod.reload_supplement()


def enter(db, **kw):  # type: ignore[no-untyped-def]
    args = {"actor": ADMIN, "now": NOW, "year": NEXT, "holidays": [d(1, 1), d(1, 2), d(1, 3)],
            "workdays": [first_weekend(NEXT, 2)], "source": "国务院办公厅通知（测试）"}
    args.update(kw)
    service.set_year(db, **args)


def test_dates_and_ranges_as_people_type_them() -> None:
    got = service.parse_days(f"{NEXT}-01-01~{NEXT}-01-03，{NEXT}-02-10至{NEXT}-02-11、{NEXT}-05-01\n{NEXT}-05-01",
                             what="放假日期")
    assert got == [d(1, 1), d(1, 2), d(1, 3), d(2, 10), d(2, 11), d(5, 1)]
    assert service.parse_days("  ", what="调休上班日期") == []
    for text, message in [("2027-02-30", "无法识别“2027-02-30”"), ("2027-01-05~2027-01-01", "结束日期早于开始日期"),
                          ("2027-01-01~2027-03-01", "超过 31 天"), ("明天", "无法识别“明天”")]:
        with pytest.raises(DomainError) as err:
            service.parse_days(text, what="放假日期")
        assert message in err.value.message and err.value.message.startswith("放假日期")


def test_an_entered_year_extends_the_working_day_calendar(db) -> None:
    with pytest.raises(CalendarRangeError) as err:
        is_workday(d(1, 1))
    assert "请管理员在“节假日安排”中录入" in err.value.message
    enter(db)
    saturday = first_weekend(NEXT, 2)
    assert known_years()[1] == NEXT
    assert is_workday(d(1, 1)) is False  # a holiday on a weekday
    assert is_workday(saturday) is True  # a make-up Saturday
    assert is_workday(d(3, 9)) is (d(3, 9).weekday() < 5)  # days not listed follow the week
    # New Year's Eve of the package's last year + 3 working days skips the three holidays.
    due = add_working_days(datetime(NEXT - 1, 12, 31, 10, 0, tzinfo=CHINA_TZ), 1)
    assert to_local(due).date() == next(day for day in (d(1, n) for n in range(4, 12)) if day.weekday() < 5)
    with pytest.raises(CalendarRangeError):
        is_workday(date(NEXT + 1, 1, 1))  # the year after is still unknown
    db.rollback()
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "calendar_set_year")).all()
    assert len(audit) == 1 and f"{NEXT} 年：放假 3 天，调休上班 1 天" in (audit[0].detail or "")


def test_entering_a_year_again_replaces_it_and_clear_removes_it(db) -> None:
    enter(db)
    enter(db, holidays=[d(5, 3)], workdays=[])
    db.rollback()
    assert db.scalars(select(CalendarDay.day)).all() == [d(5, 3)]
    assert is_workday(d(1, 1)) is (d(1, 1).weekday() < 5)
    service.clear_year(db, actor=ADMIN, now=NOW, year=NEXT)
    with pytest.raises(CalendarRangeError):
        is_workday(d(5, 3))
    with pytest.raises(DomainError) as err:
        service.clear_year(db, actor=ADMIN, now=NOW, year=NEXT)
    assert err.value.message == f"没有录入过 {NEXT} 年的节假日安排"


@pytest.mark.parametrize(("kw", "message"), [
    ({"year": NEXT - 1}, f"软件包已包含 {NEXT - 1} 年的法定节假日安排"),
    ({"year": NEXT + 2}, "只能录入"),
    ({"source": "  "}, "请填写依据"),
    ({"holidays": []}, "请填写放假日期"),
    ({"holidays": [date(NEXT + 1, 1, 1)]}, f"不在 {NEXT} 年内"),
    ({"workdays": [d(1, 1)]}, "不能既放假又调休上班"),
    ({"workdays": [next(d(3, n) for n in range(1, 8) if d(3, n).weekday() == 2)]}, "应是周六或周日"),
])
def test_bad_entries_are_refused_and_change_nothing(db, kw, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as err:
        enter(db, **kw)
    assert message in err.value.message
    db.rollback()
    assert db.scalar(select(func.count()).select_from(CalendarDay)) == 0


def test_only_administrators_enter_a_year(db) -> None:
    with pytest.raises(Forbidden):
        enter(db, actor=Actor(role=Role.SUPERVISOR, name="督办员"))


def test_the_package_wins_for_a_year_it_knows(db, engine) -> None:
    """An entry made before a package upgrade is shown as superseded, with the days that differ."""
    last = NEXT - 1
    with engine.begin() as conn:  # as if entered while the package did not know `last` yet
        conn.execute(CalendarDay.__table__.insert(), [
            {"day": date(last, 10, 1), "year": last, "is_workday": False, "source": "旧录入", "entered_at": NOW,
             "entered_by_name": "管理员"},
            {"day": date(last, 3, 4), "year": last, "is_workday": False, "source": "旧录入", "entered_at": NOW,
             "entered_by_name": "管理员"},
        ])
    clockmod.reload_supplement()
    [entry] = service.entered_years(db)
    assert entry.superseded and entry.disagreements == [date(last, 3, 4)]  # 1 Oct is a holiday in both
    assert is_workday(date(last, 3, 4)) is True  # the package's answer, not the entry's
    assert known_years()[1] == last


def test_read_while_a_write_transaction_is_open(db, engine) -> None:
    """A deadline is computed while the ticket is being written; on SQLite that transaction holds the
    write lock, and the clock's reader must not wait for it."""
    enter(db)
    clockmod.set_supplement_loader(service.loader(engine))  # forget what was read
    db.add(CalendarDay(day=d(6, 1), year=NEXT, is_workday=False, source="x", entered_at=NOW,
                       entered_by_name="x"))
    db.flush()  # the write transaction is open
    assert is_workday(d(1, 1)) is False
    db.rollback()


def test_registration_across_the_new_year_waits_for_the_arrangement(client, as_user, org, clock, db) -> None:
    clock.set(datetime(NEXT - 1, 12, 21, 10, 0, tzinfo=CHINA_TZ))
    body = intake(dispatch={"lead_unit_id": org.units["housing"].id})
    r = client.post("/api/v1/tickets", json=body, headers=as_user("operator"))
    assert r.status_code == 422 and r.json()["code"] == "calendar_out_of_range"
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Ticket)) == 0
    db.rollback()  # SQLite: the test's own read transaction would hold the write lock
    holidays = [d(1, 1), d(1, 2), d(1, 3)]
    saturday = first_weekend(NEXT, 1)
    workdays = [saturday] if saturday not in holidays else []
    r = client.put(f"/api/v1/calendar/{NEXT}", headers=as_user("operator"),
                   json={"holidays": [str(x) for x in holidays], "source": "通知"})
    assert r.status_code == 403
    r = client.put(f"/api/v1/calendar/{NEXT}", headers=as_user("admin"),
                   json={"holidays": [str(x) for x in holidays], "workdays": [str(x) for x in workdays],
                         "source": "国务院办公厅通知"})
    assert r.status_code == 204, r.text
    r = client.post("/api/v1/tickets", json=body, headers=as_user("operator"))
    assert r.status_code == 201, r.text
    due = to_local(datetime.fromisoformat(r.json()["due_at"])).date()
    # 15 working days from 21 December: count them on the combined calendar.
    expected = to_local(add_working_days(datetime(NEXT - 1, 12, 21, 10, 0, tzinfo=CHINA_TZ), 15)).date()
    assert due == expected and due.year == NEXT
    if NEXT == 2027:  # counted by hand: Dec 22–25, 28–31 (8), Jan 1 a holiday, Jan 4–8 (13), Jan 11, 12
        assert due == date(2027, 1, 12)
    overview = client.get("/api/v1/calendar", headers=as_user("supervisor")).json()
    assert overview["known_last_year"] == NEXT and overview["years"][0]["holidays"] == [str(x) for x in holidays]
    r = client.put(f"/api/v1/calendar/{NEXT}", headers=as_user("admin"),
                   json={"holidays": ["2027-02-30"], "source": "x"})
    assert r.status_code == 422


def test_calendar_page(client, db) -> None:
    login(client, "admin")
    page = client.get("/admin/calendar")
    assert page.status_code == 200 and "尚未人工录入任何年份" in page.text and "录入一年的安排" in page.text
    token = csrf_of(client, "/admin/calendar")
    form = {"year": str(NEXT), "holidays": f"{NEXT}-01-01~{NEXT}-01-03", "workdays": f"{NEXT}-03-03",
            "source": "国务院办公厅通知", "csrf_token": token}
    bad = client.post("/admin/calendar", data=form, follow_redirects=False)
    if d(3, 3).weekday() >= 5:  # pick a weekday whatever the year
        form["workdays"] = f"{NEXT}-03-05"
        bad = client.post("/admin/calendar", data=form, follow_redirects=False)
    assert bad.status_code == 422 and "应是周六或周日" in bad.text and "国务院办公厅通知" in bad.text  # kept
    form["workdays"] = ""
    ok = client.post("/admin/calendar", data=form, follow_redirects=False)
    assert ok.status_code == 303
    page = client.get("/admin/calendar")
    assert f'data-year="{NEXT}"' in page.text and "3 天" in page.text
    gone = client.post(f"/admin/calendar/{NEXT}/delete", data={"csrf_token": csrf_of(client, "/admin/calendar")},
                       follow_redirects=False)
    assert gone.status_code == 303
    assert "尚未人工录入任何年份" in client.get("/admin/calendar").text


def test_supervisors_read_the_calendar_page_without_the_form(client) -> None:
    login(client, "supervisor")
    page = client.get("/admin/calendar")
    assert page.status_code == 200 and "录入一年的安排" not in page.text
    r = client.post("/admin/calendar", data={"year": str(NEXT), "csrf_token": csrf_of(client, "/admin/calendar")},
                    follow_redirects=False)
    assert r.status_code == 403


def test_the_api_may_repeat_a_date(client, as_user, db) -> None:  # type: ignore[no-untyped-def]
    r = client.put(f"/api/v1/calendar/{NEXT}", headers=as_user("admin"),
                   json={"holidays": [f"{NEXT}-01-01", f"{NEXT}-01-01"], "source": "国务院办公厅通知"})
    assert r.status_code == 204, r.text
    assert db.scalars(select(CalendarDay.day)).all() == [d(1, 1)]
    db.rollback()


def test_a_year_field_that_only_looks_like_digits(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    for year in ("²⁰²⁷", "2" * 5000):
        r = client.post("/admin/calendar", data={"year": year, "holidays": f"{NEXT}-01-01", "source": "x",
                                                 "csrf_token": csrf_of(client, "/admin/calendar")},
                        follow_redirects=False)
        assert r.status_code == 422 and "请填写年份（四位数字）" in r.text


def test_readers_never_see_a_reload_half_done(db) -> None:
    """Worker threads read while another reloads: every read sees the whole arrangement."""
    import threading

    enter(db)
    errors: list[BaseException] = []
    stop = threading.Event()

    def reload() -> None:
        while not stop.is_set():
            clockmod.reload_supplement()

    def read() -> None:
        try:
            for _ in range(300):
                assert is_workday(d(1, 1)) is False
                assert known_years()[1] == NEXT
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    reloader = threading.Thread(target=reload)
    readers = [threading.Thread(target=read) for _ in range(4)]
    reloader.start()
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    stop.set()
    reloader.join()
    assert errors == []


def test_an_in_memory_database_keeps_the_callers_transaction() -> None:
    """sqlite:// has one connection for everybody: the loader borrowing it must not end the
    transaction of the session that is writing."""
    from hotline.config import Settings
    from hotline.db import make_engine
    from hotline.migrate import upgrade
    from hotline.org.models import Jurisdiction

    engine = make_engine(Settings(database_url="sqlite://"))
    try:
        upgrade(engine)
        session = make_session_factory(engine)()
        session.add(Jurisdiction(code="X1", name="甲", level="province", path="/X1/"))
        session.flush()
        with pytest.raises(CalendarRangeError):
            is_workday(d(1, 1))  # the first lookup of the year reads the supplement on the shared connection
        session.add(Jurisdiction(code="X2", name="乙", level="province", path="/X2/"))
        session.rollback()  # the whole transaction goes: both rows, not just the second
        assert session.scalar(select(func.count()).select_from(Jurisdiction)) == 0
        session.close()
    finally:
        engine.dispose()


def test_staff_pages_say_when_the_calendar_runs_out(client, db, clock) -> None:  # type: ignore[no-untyped-def]
    """QA: only the calendar page said that deadlines in the next year cannot be computed, while
    dispatches and extensions reaching into it were already refused."""
    last = known_years()[1]
    assert clockmod.horizon_notice(date(last, 6, 1)) is None  # months ahead: nothing to say
    notice = clockmod.horizon_notice(date(last, 11, 27))
    assert notice is not None and f"只录入到 {last} 年底（还有 34 天）" in notice
    assert f"{last + 1} 年的日期无法计算时限" in (clockmod.horizon_notice(date(last + 1, 1, 5)) or "")
    clock.set(datetime(last, 11, 27, 9, 0, tzinfo=CHINA_TZ))
    login(client, "dispatcher")
    assert 'data-notice="calendar"' in client.get("/queue").text and "前往录入" not in client.get("/queue").text
    login(client, "admin")
    assert "前往录入" in client.get("/admin/users").text
    assert 'data-notice="calendar"' not in client.get("/public").text  # the public is not told
    enter(db, year=last + 1)  # entered: the horizon moves a year on
    assert 'data-notice="calendar"' not in client.get("/admin/users").text

def test_dates_typed_without_leading_zeros() -> None:
    """QA: 2027-1-1 was refused, though it is how people usually type a date."""
    got = service.parse_days(f"{NEXT}-1-1~{NEXT}-1-3，{NEXT}/2/6、{NEXT}-02-07", what="放假日期")
    assert got == [d(1, 1), d(1, 2), d(1, 3), d(2, 6), d(2, 7)]
    for text in (f"{NEXT}-1/1", f"{NEXT}-13-1", f"{NEXT}-001-01", "２０２７-1-1"):
        with pytest.raises(DomainError, match="无法识别"):
            service.parse_days(text, what="放假日期")


def test_years_are_entered_in_order(db) -> None:
    """QA: 2028 was accepted while 2027 was not entered, and was of no use: deadlines never got past 2027."""
    later = [date(NEXT + 1, 1, 1)]
    with pytest.raises(DomainError) as err:
        enter(db, year=NEXT + 1, holidays=later, workdays=[])
    assert err.value.message.startswith(f"请先录入 {NEXT} 年的安排") and err.value.status_code == 422
    db.rollback()
    assert db.scalar(select(func.count()).select_from(CalendarDay)) == 0
    enter(db)
    enter(db, year=NEXT + 1, holidays=later, workdays=[])
    assert known_years()[1] == NEXT + 1
    with pytest.raises(DomainError, match=f"请先删除 {NEXT + 1} 年的安排"):
        service.clear_year(db, actor=ADMIN, now=NOW, year=NEXT)
    db.rollback()
    service.clear_year(db, actor=ADMIN, now=NOW, year=NEXT + 1)
    service.clear_year(db, actor=ADMIN, now=NOW, year=NEXT)


def test_a_year_with_few_holidays_is_saved_with_a_warning(db) -> None:
    few = service.set_year(db, actor=ADMIN, now=NOW, year=NEXT, holidays=[d(1, 1)], workdays=[], source="通知")
    assert len(few) == 1 and "只录入了 1 天放假日期" in few[0]
    assert service.entered_years(db)[0].warnings == few  # and kept beside the year
    enough = [d(1, n) for n in range(1, 4)] + [d(2, n) for n in range(6, 13)]
    assert service.set_year(db, actor=ADMIN, now=NOW, year=NEXT, holidays=enough, workdays=[], source="通知") == []
    assert service.entered_years(db)[0].warnings == []


def test_the_page_warns_after_saving_and_names_one_year_once(client, as_user) -> None:
    login(client, "admin")
    form = {"year": str(NEXT), "holidays": f"{NEXT}-1-1~{NEXT}-1-3", "workdays": "", "source": "国务院办公厅通知",
            "csrf_token": csrf_of(client, "/admin/calendar")}
    assert client.post("/admin/calendar", data=form, follow_redirects=False).status_code == 303
    page = client.get("/admin/calendar").text
    assert "flash-warn" in page and "只录入了 3 天放假日期" in page  # the flash, and the badge beside the year
    assert f"{NEXT} 年：人工录入" in page and f"{NEXT}—{NEXT}" not in page
    api = client.get("/api/v1/calendar", headers=as_user("supervisor")).json()
    assert "只录入了 3 天放假日期" in api["years"][0]["warnings"][0]
    form.update(year=str(NEXT + 1), holidays=f"{NEXT + 1}-1-1", csrf_token=csrf_of(client, "/admin/calendar"))
    assert client.post("/admin/calendar", data=form, follow_redirects=False).status_code == 303  # the next in order
    assert f"{NEXT}—{NEXT + 1} 年：人工录入" in client.get("/admin/calendar").text


def test_a_year_after_a_gap_is_refused_on_the_page(client) -> None:
    login(client, "admin")
    r = client.post("/admin/calendar", data={"year": str(NEXT + 1), "holidays": f"{NEXT + 1}-1-1",
                                             "source": "通知", "csrf_token": csrf_of(client, "/admin/calendar")},
                    follow_redirects=False)
    assert r.status_code == 422 and f"请先录入 {NEXT} 年的安排" in r.text and f"{NEXT + 1}-1-1" in r.text
