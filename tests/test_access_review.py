"""个人信息访问审查: the audit log summed per account, and the rows it flags (volume far above the post's
median, reads outside working hours by staff who do not work shifts, many exports)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from io import BytesIO

import chinese_calendar
import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select

from hotline.clock import CHINA_TZ, to_local
from hotline.errors import DomainError
from hotline.security import access_review, audit
from hotline.security.actor import Actor
from hotline.security.models import AuditEntry
from hotline.security.roles import DataScope, Role
from tests.conftest import START
from tests.test_pages import login

MONDAY = START.date()  # 2026-11-02, a working day; the default period is 2026-10-27 to 2026-11-02


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA_TZ)


def reads(db, org, name: str, tickets: range, when: datetime, *, action: str = "view_personal_data",
          client: str | None = "10.0.0.1") -> None:  # type: ignore[no-untyped-def]
    actor = replace(org.actor(name), client=client)
    for n in tickets:
        audit.record(db, actor=actor, at=when, action=action, object_type="ticket", object_id=f"NJ{n:08d}")


def seed(db, org) -> None:  # type: ignore[no-untyped-def]
    """Four unit handlers: three read 10 requesters' records in office hours, housing_handler 80, 12 of
    them at 23:00 and 3 on a Sunday; the operator reads at 02:00 (a shift); the analyst exports 20 times."""
    for name in ("market_handler", "street_handler", "water_handler"):
        reads(db, org, name, range(10), at(MONDAY, 10))
        reads(db, org, name, range(3), at(MONDAY, 11))  # read again: reads grow, records do not
    reads(db, org, "housing_handler", range(65), at(MONDAY, 9))
    reads(db, org, "housing_handler", range(65, 77), at(MONDAY, 23), client="203.0.113.9")
    reads(db, org, "housing_handler", range(77, 80), at(date(2026, 11, 1), 10))  # Sunday
    reads(db, org, "operator", range(15), at(MONDAY, 2))
    analyst = org.actor("analyst")
    for i in range(20):
        audit.record(db, actor=analyst, at=at(MONDAY, 14), action="export_tickets", object_type="ticket_list",
                     object_id=str(i))
    reads(db, org, "market_handler", range(500, 600), at(MONDAY - timedelta(days=8), 10))  # before the period
    audit.record(db, actor=org.actor("admin"), at=at(MONDAY, 9), action="create_user", object_type="user",
                 object_id="x")  # not a read: not counted
    db.commit()


def by_name(review: access_review.Review) -> dict[str, access_review.AccountAccess]:
    return {a.username: a for a in review.accounts}


def test_figures_and_flags(db, org) -> None:
    seed(db, org)
    period = access_review.make_period(now=START)
    assert (period.start, period.end) == (date(2026, 10, 27), MONDAY)
    result = access_review.review(db, actor=org.actor("admin"), period=period)
    rows = by_name(result)
    assert set(rows) == {"market_handler", "street_handler", "water_handler", "housing_handler", "operator",
                         "analyst"}
    housing = rows["housing_handler"]
    assert (housing.reads, housing.objects, housing.off_hours, housing.clients) == (80, 80, 15, 2)
    assert housing.peer_median == 10  # median of 80, 10, 10, 10
    assert housing.flags == ["查看 80 条记录的个人信息，为同岗位中位数 10 的 8.0 倍", "非工作时间查看个人信息 15 次"]
    market = rows["market_handler"]
    assert (market.reads, market.objects, market.off_hours, market.flags) == (13, 10, 0, [])
    operator = rows["operator"]
    assert operator.off_hours == 15 and operator.works_shifts and operator.flags == []
    assert operator.peer_median is None  # one operator reads: no norm to compare with
    assert rows["analyst"].exports == 20 and rows["analyst"].flags == ["导出数据 20 次"]
    assert result.flagged == 2
    assert [a.username for a in result.accounts][:2] == ["housing_handler", "analyst"]  # flagged first


def test_holidays_and_make_up_workdays_follow_the_official_calendar(db, org) -> None:
    national_day, make_up = date(2026, 10, 1), date(2026, 10, 10)
    assert not chinese_calendar.is_workday(national_day) and chinese_calendar.is_workday(make_up)  # a Saturday
    reads(db, org, "market_handler", range(4), at(national_day, 10))
    reads(db, org, "market_handler", range(4, 10), at(make_up, 10))
    reads(db, org, "market_handler", range(10, 12), at(make_up, 6, 59))
    db.commit()
    period = access_review.make_period(now=START, start=date(2026, 9, 28), end=date(2026, 10, 12))
    market = by_name(access_review.review(db, actor=org.actor("admin"), period=period))["market_handler"]
    assert (market.reads, market.off_hours) == (12, 6)


def test_a_year_the_calendar_does_not_know_is_counted_monday_to_friday_and_said() -> None:
    period = access_review.make_period(now=START, start=date(2099, 1, 1), end=date(2099, 1, 7))
    spans, notes = access_review.working_hours(period)
    assert len(spans) == 5  # 2099-01-01 is a Thursday: Thu, Fri, Mon, Tue, Wed
    assert notes == ["2099 年的节假日安排不在日历中，该年按周一至周五为工作日计算非工作时间"]


def test_periods_that_cannot_be_reviewed() -> None:
    with pytest.raises(DomainError, match="日期范围颠倒了"):
        access_review.make_period(now=START, start=date(2026, 11, 2), end=date(2026, 11, 1))
    with pytest.raises(DomainError, match="审查周期最长 92 天"):
        access_review.make_period(now=START, start=date(2026, 8, 1), end=date(2026, 11, 1))
    assert access_review.make_period(now=START, start=date(2026, 8, 3), end=date(2026, 11, 2)).days == 92


def test_page_lists_filters_and_links_to_the_entries(client, db, org) -> None:
    seed(db, org)
    login(client, "admin")
    page = client.get("/admin/access-review")
    assert page.status_code == 200
    assert "2026-10-27 至 2026-11-02（7 天）：6 个账号有查看或导出记录，其中 <strong>2</strong> 个有提示" in page.text
    assert page.text.count('class="review-row flagged"') == 2 and page.text.count('class="review-row"') == 4
    assert "为同岗位中位数 10 的 8.0 倍" in page.text and "15（轮班）" in page.text
    assert "/admin/audit?from=2026-10-27&amp;to=2026-11-02&amp;username=housing_handler" in page.text
    flagged = client.get("/admin/access-review", params={"flagged": "1", "role": "unit_handler"})
    assert flagged.text.count("review-row") == 1 and "housing_handler" in flagged.text
    one = client.get("/admin/access-review", params={"username": "Operator"})
    assert one.text.count("review-row") == 1
    empty = client.get("/admin/access-review", params={"from": "2026-01-05", "to": "2026-01-09"})
    assert empty.status_code == 200 and "该期间没有查看个人信息或导出数据的记录" in empty.text
    assert "导出 Excel" not in empty.text


def test_page_says_what_it_cannot_read(client, db, org) -> None:
    login(client, "admin")
    bad = client.get("/admin/access-review", params={"from": "garbage"})
    assert bad.status_code == 422 and "「日期从」“garbage”不是有效日期" in bad.text and 'value="garbage"' in bad.text
    reversed_ = client.get("/admin/access-review", params={"from": "2026-11-02", "to": "2026-11-01"})
    assert reversed_.status_code == 422 and "日期范围颠倒了" in reversed_.text and "未列出账号" in reversed_.text
    long = client.get("/admin/access-review", params={"from": "2026-01-01", "to": "2026-11-01"})
    assert long.status_code == 422 and "审查周期最长 92 天" in long.text
    assert client.get("/admin/access-review.xlsx", params={"from": "garbage"}).status_code == 422


def test_only_whole_city_reviewers(client, as_user) -> None:
    for name in ("operator", "housing_manager", "analyst"):
        assert client.get("/api/v1/audit/access-review", headers=as_user(name)).status_code == 403, name
    r = client.get("/api/v1/audit/access-review", headers=as_user("xuanwu_viewer"))
    assert r.status_code == 403 and "仅限数据范围为全市" in r.json()["message"]
    assert client.get("/api/v1/audit/access-review", headers=as_user("supervisor")).status_code == 200
    login(client, "xuanwu_viewer")
    assert client.get("/admin/access-review").status_code == 403
    assert "/admin/access-review" not in client.get("/supervision").text


def test_api_pages_and_filters(client, db, org, as_user) -> None:
    seed(db, org)
    r = client.get("/api/v1/audit/access-review", params={"page_size": 2}, headers=as_user("supervisor"))
    assert r.status_code == 200
    body = r.json()
    assert (body["period_from"], body["period_to"], body["accounts"], body["flagged"]) == (
        "2026-10-27", "2026-11-02", 6, 2)
    assert [i["username"] for i in body["items"]] == ["housing_handler", "analyst"] and len(body["rules"]) == 4
    assert body["items"][0]["role_label"] == "承办单位经办人" and body["items"][0]["off_hours"] == 15
    r = client.get("/api/v1/audit/access-review", params={"role": "operator"}, headers=as_user("admin"))
    assert [i["username"] for i in r.json()["items"]] == ["operator"] and r.json()["items"][0]["works_shifts"]
    bad = client.get("/api/v1/audit/access-review", params={"from": "2026-11-03", "to": "2026-11-01"},
                     headers=as_user("admin"))
    assert bad.status_code == 422 and "日期范围颠倒了" in bad.json()["message"]


def test_excel_export_holds_the_rows_and_rules_and_is_audited(client, db, org, as_user) -> None:
    seed(db, org)
    r = client.get("/api/v1/audit/access-review.xlsx", params={"flagged": "true"}, headers=as_user("admin"))
    assert r.status_code == 200 and r.headers["content-disposition"].startswith(
        'attachment; filename="access-review-20261027-20261102-')
    ws = load_workbook(BytesIO(r.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][:4] == ["用户", "角色", "查看次数", "查看记录数"]
    assert rows[1][:8] == ["housing_handler", "承办单位经办人", 80, 80, 10, 15, 0, 2]
    assert rows[2][0] == "analyst" and rows[2][10] == "导出数据 20 次"
    assert "审查期间：2026-10-27 至 2026-11-02（7 天）；筛选：只看有提示的账号；共 2 个账号，2 个有提示" in [
        row[0] for row in rows]  # a reader of the file is told the rows were chosen
    assert ws.auto_filter.ref == "A1:K3"  # sorting the rows leaves the rules below them where they are
    assert isinstance(rows[1][8], datetime) and ws.cell(2, 9).number_format == "yyyy-mm-dd hh:mm"
    assert sum(1 for row in rows if str(row[0]).startswith("提示规则：")) == 4
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "export_access_review")).scalar_one()
    assert entry.username == "admin" and entry.object_id == "20261027-20261102"
    db.rollback()  # end the read: SQLite's writer (the login below) waits for no reader
    # the page's button exports the same rows
    login(client, "admin")
    page_export = client.get("/admin/access-review.xlsx", params={"role": "operator"})
    ws = load_workbook(BytesIO(page_export.content)).active
    assert ws.cell(2, 1).value == "operator" and ws.cell(2, 6).value == 15  # a number, shift post or not
    assert any(str(c.value).startswith("审查期间：2026-10-27 至 2026-11-02（7 天）；筛选：角色 话务员；")
               for c in ws["A"])
    # the exports are exports: the review counts them under the admin
    result = access_review.review(db, actor=org.actor("admin"), period=access_review.make_period(now=START))
    assert by_name(result)["admin"].exports == 2


def test_cli_prints_json_and_exports_excel(db, org, settings, monkeypatch, tmp_path) -> None:
    from typer.testing import CliRunner

    from hotline.cli import app as cli_app

    seed(db, org)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    period = ["--from", "2026-10-27", "--to", "2026-11-02"]
    r = runner.invoke(cli_app, ["audit", "review", *period, "--flagged", "--json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert body["flagged"] == 2 and [a["username"] for a in body["accounts"]] == ["housing_handler", "analyst"]
    text_out = runner.invoke(cli_app, ["audit", "review", *period])
    assert text_out.exit_code == 0 and "2026-10-27 至 2026-11-02（7 天）：6 个账号，2 个有提示" in text_out.output
    target = tmp_path / "review.xlsx"
    saved = runner.invoke(cli_app, ["audit", "review", *period, "--output", str(target)])
    assert saved.exit_code == 0 and load_workbook(target).active.cell(2, 1).value == "housing_handler"
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "export_access_review")).scalar_one()
    # under the operating-system account that ran it, marked as the command line
    assert entry.username.startswith("命令行（") and entry.client == "命令行" and "review.xlsx" in (entry.detail or "")
    db.rollback()  # SQLite: the commands below open the database while this test's read would hold it
    bad = runner.invoke(cli_app, ["audit", "review", "--from", "2026-11-31"])
    assert bad.exit_code != 0 and "--from“2026-11-31”不是有效日期" in bad.output
    assert runner.invoke(cli_app, ["audit", "review", "--output", str(tmp_path / "x.csv")]).exit_code != 0
    one = runner.invoke(cli_app, ["audit", "review", *period, "--role", "operator", "--json"])
    assert one.exit_code == 0 and [a["username"] for a in json.loads(one.output)["accounts"]] == ["operator"]
    named = runner.invoke(cli_app, ["audit", "review", *period, "--username", "Housing_Handler", "--json"])
    assert [a["username"] for a in json.loads(named.output)["accounts"]] == ["housing_handler"]
    machine = runner.invoke(cli_app, ["audit", "review", "--role", "data_sharing"])
    assert machine.exit_code == 2 and "不是登录账号的角色" in machine.output and "operator（话务员）" in machine.output


def test_night_reads_are_flagged_against_the_post_not_alone(db, org) -> None:
    """A post whose every account reads at night (a night duty) flags none of them; one far above it is."""
    for name in ("market_handler", "street_handler", "water_handler"):
        reads(db, org, name, range(12), at(MONDAY, 22))
    reads(db, org, "housing_handler", range(12), at(MONDAY, 22))
    db.commit()
    period = access_review.make_period(now=START)
    assert all(not a.flags for a in access_review.review(db, actor=org.actor("admin"), period=period).accounts)
    reads(db, org, "housing_handler", range(12, 49), at(MONDAY, 23))
    db.commit()
    housing = by_name(access_review.review(db, actor=org.actor("admin"), period=period))["housing_handler"]
    assert housing.flags == ["非工作时间查看个人信息 49 次"]  # 49 records: under the volume floor


def test_within_counts_the_spans_as_the_or_would(db, org) -> None:
    """The CASE tree gives, row by row, what `a <= at < b for some span` gives (odd and even span counts)."""
    from sqlalchemy import func

    times = [at(MONDAY - timedelta(days=d), h, m) for d in range(9) for h in (6, 7, 20, 21) for m in (0, 59)]
    for i, when in enumerate(times):
        audit.record(db, actor=org.actor("operator"), at=when, action="view_personal_data", object_type="t",
                     object_id=str(i))
    db.commit()
    for days in (1, 2, 5, 9):
        period = access_review.make_period(now=START, start=MONDAY - timedelta(days=days - 1), end=MONDAY)
        spans, _ = access_review.working_hours(period)
        counted = db.execute(select(func.sum(access_review.within(AuditEntry.at, spans)))).scalar_one() or 0
        expected = sum(1 for t in times if any(a <= t < b for a, b in spans))
        assert counted == expected, days


def test_a_feed_account_reading_from_an_address_it_never_used_is_flagged(client, db, org, engine,
                                                                        as_user) -> None:  # type: ignore[no-untyped-def]
    from hotline.org import service as org_service
    from hotline.security.roles import DataScope, Role
    from tests.factories import drop_accounts

    try:
        actors = {}
        for name in ("ar-feed-old", "ar-feed-new"):
            user = org_service.add_user(db, username=name, password="machine-pass-123", display_name=name,
                                        role=Role.DATA_SHARING, data_scope=DataScope.ALL)
            db.flush()
            actors[name] = org_service.actor_for(user)

        def feed_read(name: str, when: datetime, address: str) -> None:
            audit.record(db, actor=replace(actors[name], client=address), at=when, action="share_read",
                         object_type="data_feed", object_id=name)

        feed_read("ar-feed-old", at(date(2026, 10, 10), 3), "10.1.1.1")  # before the period: its usual address
        for hour in (1, 2, 3):
            feed_read("ar-feed-old", at(MONDAY, hour), "10.1.1.1")
        feed_read("ar-feed-old", at(MONDAY, 4), "198.51.100.7")
        feed_read("ar-feed-new", at(MONDAY, 5), "10.2.2.2")  # a new account: every address is new, none flagged
        for hour in (6, 7):  # pushed to its receiver: counted, no address (the platform sends them)
            audit.record(db, actor=actors["ar-feed-new"], at=at(MONDAY, hour), action="share_push",
                         object_type="data_feed", object_id="ar-feed-new")
        db.commit()
        result = access_review.review(db, actor=org.actor("admin"), period=access_review.make_period(now=START))
        assert [(f.username, f.pages, f.pushed, f.clients, f.new_clients) for f in result.feeds] == [
            ("ar-feed-old", 4, 0, ["10.1.1.1", "198.51.100.7"], ["198.51.100.7"]),
            ("ar-feed-new", 1, 2, ["10.2.2.2"], [])]
        assert result.feeds[0].flags == ["使用了此前 90 天未用过的来源地址：198.51.100.7"]
        assert not result.accounts  # machine accounts are not among the login accounts' rows
        db.rollback()  # end the read: SQLite's writers below wait for no reader
        body = client.get("/api/v1/audit/access-review", headers=as_user("admin")).json()
        assert [f["username"] for f in body["feeds"]] == ["ar-feed-old", "ar-feed-new"]
        login(client, "admin")
        page = client.get("/admin/access-review")
        assert page.text.count("feed-row") == 2 and "此前 90 天未用过的来源地址：198.51.100.7" in page.text
        one = client.get("/admin/access-review", params={"username": "AR-Feed-Old"})  # the alert's link names it
        assert one.text.count("feed-row") == 1 and "ar-feed-new" not in one.text
    finally:
        db.rollback()
        db.execute(delete(AuditEntry).where(AuditEntry.username.like("ar-feed-%")))  # they point at the accounts
        db.commit()
        drop_accounts(engine, "ar-feed-")


def test_filters_that_match_nothing_say_so_not_that_the_period_is_empty(client, db, org) -> None:
    seed(db, org)
    login(client, "admin")
    page = client.get("/admin/access-review", params={"role": "knowledge_editor"})
    assert "没有符合筛选条件的账号" in page.text and "该期间没有查看个人信息" not in page.text
    assert "6 个账号有查看或导出记录，符合筛选条件的 0 个，其中 <strong>0</strong> 个有提示" in page.text
    narrowed = client.get("/admin/access-review", params={"flagged": "1"})
    assert "6 个账号有查看或导出记录，符合筛选条件的 2 个，其中 <strong>2</strong> 个有提示" in narrowed.text
    beyond = client.get("/admin/access-review", params={"page": "9"})  # past the end: the way back, not "nothing"
    assert "本页没有更多" in beyond.text and "没有符合筛选条件" not in beyond.text


def test_api_says_what_it_cannot_read_in_chinese_and_narrows_to_one_account(client, db, org, as_user) -> None:
    seed(db, org)
    h = as_user("supervisor")
    bad = client.get("/api/v1/audit/access-review", params={"flagged": "maybe"}, headers=h)
    assert bad.status_code == 422 and bad.json()["message"] == "只看有提示须为是/否"
    bad = client.get("/api/v1/audit/access-review.xlsx", params={"role": "nobody"}, headers=h)
    assert bad.status_code == 422 and "unit_handler（承办单位经办人）" in bad.json()["message"]
    bad = client.get("/api/v1/audit/access-review", params={"to": "2026-13-01"}, headers=h)
    assert bad.json()["message"] == "结束日期不是有效的日期（示例 2026-11-23）"
    one = client.get("/api/v1/audit/access-review", params={"username": "Housing_Handler"}, headers=h).json()
    assert [i["username"] for i in one["items"]] == ["housing_handler"] and one["accounts"] == 1


def test_phone_labels_fit_their_column(client, db, org) -> None:
    """On a phone each cell is labelled from data-label in a 5.8em column at .82rem: a sixth character
    wraps, and the wrapped label ran into the next row's (非工作时间查看 over 导出次数, seen at 390 px)."""
    import re

    seed(db, org)
    login(client, "admin")
    labels = set(re.findall(r'data-label="([^"]*)"', client.get("/admin/access-review").text))
    assert "非工作时间" in labels and all(len(label.replace(" ", "")) <= 5 for label in labels), labels


def test_an_account_whose_role_changed_is_one_account_in_two_rows(client, db, org, as_user) -> None:
    """Its reads are told apart by the role it held (each against its own post), but it is one account:
    the counts of accounts and of flagged accounts do not take it twice."""
    seed(db, org)
    promoted = replace(org.actor("housing_handler"), role="unit_manager", client="10.0.0.1")
    for n in range(3):
        audit.record(db, actor=promoted, at=at(MONDAY, 15), action="view_personal_data", object_type="ticket",
                     object_id=f"NJ{n:08d}")
    db.commit()
    result = access_review.review(db, actor=org.actor("admin"), period=access_review.make_period(now=START))
    rows = [(a.username, a.role, a.reads) for a in result.accounts if a.username == "housing_handler"]
    assert rows == [("housing_handler", "unit_handler", 80), ("housing_handler", "unit_manager", 3)]
    assert (result.people, result.flagged, len(result.accounts)) == (6, 2, 7)
    assert result.summary == "6 个账号（期间内换过角色的账号按角色分行，共 7 行），2 个有提示"
    db.rollback()
    login(client, "admin")
    page = client.get("/admin/access-review")
    assert ("6 个账号有查看或导出记录（期间内换过角色的账号按角色分行，共 7 行），其中 <strong>2</strong> 个有提示"
            in page.text)
    one = client.get("/api/v1/audit/access-review", params={"username": "housing_handler"}, headers=as_user("admin"))
    assert [i["role"] for i in one.json()["items"]] == ["unit_handler", "unit_manager"]


def test_a_machine_role_is_refused_by_the_api_not_answered_with_nothing(client, as_user) -> None:
    r = client.get("/api/v1/audit/access-review", params={"role": "data_sharing"}, headers=as_user("admin"))
    assert r.status_code == 422 and "话务员" in r.json()["message"] and "数据共享接口" not in r.json()["message"]
    ok = client.get("/api/v1/audit/access-review", params={"role": "callback_agent"}, headers=as_user("admin"))
    assert ok.status_code == 200


def test_exports_at_the_command_line_are_listed_under_the_shell_account(client, db, org, settings, monkeypatch,
                                                                        tmp_path, as_user) -> None:
    """A command has no login, so its exports never reached the login accounts' rows: the review lists them
    under the operating-system account that ran them (older entries say only 命令行), and a filter by
    that name finds them."""
    from typer.testing import CliRunner

    from hotline.cli import app as cli_app

    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LOGNAME", "ops-zhang")  # getpass reads it first
    period = ["--from", "2026-10-27", "--to", "2026-11-02"]
    for name in ("a.xlsx", "b.xlsx"):
        saved = CliRunner().invoke(cli_app, ["audit", "review", *period, "--output", str(tmp_path / name)])
        assert saved.exit_code == 0, saved.output
    shell = "命令行（ops-zhang）"
    entries = list(db.execute(select(AuditEntry.at).where(AuditEntry.username == shell)).scalars())
    assert len(entries) == 2
    legacy = Actor(role=Role.ADMIN, name="命令行", data_scope=DataScope.ALL)  # as recorded before
    audit.record(db, actor=legacy, at=at(MONDAY, 9), action="export_report", object_type="report", object_id="1")
    audit.record(db, actor=Actor.system(), at=at(MONDAY, 9), action="export_report", object_type="report",
                 object_id="2")  # the system is not the command line
    db.commit()
    period_of_entries = access_review.make_period(now=START, start=to_local(entries[0]).date() - timedelta(days=1),
                                                  end=to_local(entries[0]).date())
    result = access_review.review(db, actor=org.actor("admin"), period=period_of_entries)
    shells = {c.username: c for c in result.command_line}
    assert shells[shell].exports == 2 and shells[shell].actions == ["导出个人信息访问审查 ×2"]
    assert shell not in {a.username for a in result.accounts}
    wide = access_review.review(db, actor=org.actor("admin"), period=access_review.make_period(now=START))
    assert [(c.username, c.exports, c.actions) for c in wide.command_line if c.username == "命令行"] == [
        ("命令行", 1, ["导出分析报告 ×1"])]
    assert "系统" not in {c.username for c in wide.command_line}
    db.rollback()
    days = {"from": f"{period_of_entries.start:%Y-%m-%d}", "to": f"{period_of_entries.end:%Y-%m-%d}"}
    login(client, "supervisor")
    page = client.get("/admin/access-review", params=days)
    assert page.status_code == 200 and "<h2>命令行</h2>" in page.text and shell in page.text
    assert "导出个人信息访问审查 ×2" in page.text
    narrowed = client.get("/admin/access-review", params={**days, "username": "housing_handler"})
    assert "<h2>命令行</h2>" not in narrowed.text
    as_user("supervisor")
    body = client.get("/api/v1/audit/access-review", params={**days, "username": shell}).json()
    assert [(c["username"], c["exports"]) for c in body["command_line"]] == [(shell, 2)]
    sheet = load_workbook(BytesIO(client.get("/api/v1/audit/access-review.xlsx", params=days).content)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    header = cells.index(["命令行账号", "查看次数", "导出次数", "操作", "首次", "末次"] + [None] * 5)
    assert cells[header + 1][:4] == [shell, 0, 2, "导出个人信息访问审查 ×2"]
