"""Seat planning through the API, the CLI and the page; a forecast from history."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from io import BytesIO
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hotline.cli import app as cli_app
from hotline.clock import FixedClock
from hotline.runtime import Runtime
from hotline.tickets import service as tickets
from hotline.tickets.schemas import TicketCreate
from hotline.workforce import history, service
from hotline.workforce.export import workbook
from hotline.workforce.forecast import demo_week
from hotline.workforce.plan import Targets
from hotline.workforce.simulate import SimConfig
from tests.factories import Org, intake
from tests.test_pages import login

BASE = "/api/v1/workforce/plan"


def test_api_plan(client: TestClient, as_user: Callable[..., dict[str, str]]) -> None:
    r = client.post(BASE, json={"source": "demo", "aht": 240, "population": 9.3e6}, headers=as_user("analyst"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["intervals"] == 336 and body["jilin"] == {"population": 9.3e6, "seats": 140, "operators": 420}
    assert body["peak_seats"] == max(row["seats"] for row in body["rows"]) and body["simulation"] is None
    given = {"intervals": [{"label": "周一 09:00", "calls": 360}, {"label": "周一 09:30", "calls": 0}], "aht": 240,
             "patience": None, "simulate": {"patience": "none", "replications": 1}}
    r = client.post(BASE, json=given, headers=as_user("supervisor"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [row["seats"] for row in body["rows"]][1] == 1 and body["simulation"]["rows"][0]["seats"] >= 49
    # an hour's forecast: its head count is that load all week, and says so (QA: nothing was said)
    assert body["operators_note"].startswith("预测仅覆盖 1 小时，不足一周")
    r = client.post(BASE, json={"source": "demo", "aht": 240}, headers=as_user("analyst"))
    assert r.json()["operators_note"] is None  # the demo week is a whole week
    r = client.post(BASE, json={"source": "demo", "aht": 0}, headers=as_user("analyst"))
    assert r.status_code == 422 and "平均处理时长" in r.json()["message"]
    r = client.post(BASE, json={"intervals": [{"label": "x", "calls": -1}], "aht": 240}, headers=as_user("analyst"))
    assert r.status_code == 422 and "无效" in r.json()["message"]
    assert client.post(BASE, json={"source": "demo", "aht": 240}, headers=as_user("operator")).status_code == 403


def test_history_forecast_from_phone_tickets(db: Session, rt: Runtime, org: Org, clock: FixedClock) -> None:
    # Three phone tickets on two Mondays at 10:0x, one web ticket (not a call): 8 weeks averaged.
    start = clock.now()
    for weeks_back in (1, 1, 2):
        clock.set(start - timedelta(weeks=weeks_back, minutes=-5))
        tickets.register(db, rt, actor=org.actor("operator"), data=TicketCreate(**intake()))
    tickets.register(db, rt, actor=org.actor("operator"), data=TicketCreate(**intake(channel="web")))
    clock.set(start)
    h = history.from_history(db, now=clock.now(), weeks=8)
    # No call records in this database: the phone tickets stand in for them.
    assert h.source == "tickets" and len(h.intervals) == 336 and h.total == 3
    monday_10 = next(i for i in h.intervals if i.label == "周一 10:00")
    assert monday_10.calls == 3 / 8


def test_call_records_are_averaged_over_the_days_they_cover() -> None:
    """QA: two days of call records divided by eight weeks planned an eighth of the seats."""
    from collections import Counter
    from datetime import date

    counts = Counter({(date(2026, 11, 25), 20): 1000, (date(2026, 11, 26), 20): 1500})  # a Wednesday, Thursday
    h = history.averaged(counts, weeks=8, source="calls")
    by = {i.label: i.calls for i in h.intervals}
    assert by["周三 10:00"] == 1000 and by["周四 10:00"] == 1500
    assert by["周一 10:00"] == 1250  # no record for Mondays: the mean recorded day
    assert h.covered_days == 2 and h.days == 56


def test_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "plan.xlsx"
    r = runner.invoke(cli_app, ["seats", "plan", "--demo-week", "--aht", "240", "--population", "9.3e6",
                                "--xlsx", str(out)])
    assert r.exit_code == 0, r.output
    assert "峰值座席" in r.output and "吉林标准" in r.output and "座席 140，话务员 420 人" in r.output
    sheets = load_workbook(out).sheetnames
    assert sheets == ["汇总", "分时段测算"]
    csv = tmp_path / "f.csv"
    csv.write_text("interval,calls\n周一 09:00,360\n周一 09:30,200\n", encoding="utf-8")
    r = runner.invoke(cli_app, ["seats", "plan", "--forecast", str(csv), "--aht", "240", "--simulate",
                                "--patience", "0", "--replications", "1"])
    assert r.exit_code == 0, r.output
    assert "2 个时段" in r.output and "仿真（1 次" in r.output and "注意：预测仅覆盖 1 小时，不足一周" in r.output
    r = runner.invoke(cli_app, ["seats", "plan", "--demo-week", "--aht", "240", "--target-sl", "1.5"])
    assert r.exit_code == 2 and "服务水平目标" in r.output
    r = runner.invoke(cli_app, ["seats", "plan", "--aht", "240"])
    assert r.exit_code == 2 and "选择且只选择一个" in r.output


def test_page(client: TestClient) -> None:
    login(client, "analyst")
    page = client.get("/workforce")
    assert page.status_code == 200 and "<svg" in page.text and "峰值座席" in page.text and "吉林标准座席" in page.text
    r = client.get("/workforce", params={"source": "demo", "aht": "abc"})
    assert r.status_code == 400 and "平均处理时长须为数字" in r.text
    r = client.get("/workforce", params={"source": "demo", "aht": "240", "demo_calls": "600", "simulate": "1"})
    assert r.status_code == 200 and "仿真校核" in r.text
    x = client.get("/workforce/plan.xlsx", params={"source": "demo", "aht": "240"})
    assert x.status_code == 200 and load_workbook(BytesIO(x.content))["分时段测算"].max_row == 337
    # QA: rates were plain 0.8 here, shown in per cent in the reports and call figures
    summary = {row[0].value: row[1] for row in load_workbook(BytesIO(x.content))["汇总"].iter_rows(min_row=2)}
    assert summary["服务水平目标"].value == 0.8 and summary["服务水平目标"].number_format == "0.0%"
    assert summary["平均处理时长（秒）"].number_format == "General"
    rows = load_workbook(BytesIO(x.content))["分时段测算"]
    assert [rows.cell(2, c).number_format for c in range(6, 11)] == ["0.0%", "0.0%", "General", "0.0%", "0.0%"]
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/workforce", data={"csrf_token": csrf, "aht": "240", "csv": "周一 09:00,100\n周一 09:30,50\n"})
    assert r.status_code == 200 and "上传的预测" in r.text
    assert "不足一周：话务员人数按这些时段的来电持续整周折算" in r.text
    assert "不足一周" not in client.get("/workforce").text
    r = client.post("/workforce", data={"csrf_token": csrf, "aht": "240", "csv": "周一 08:30,5\n周一 09:00,很多\n"})
    assert r.status_code == 422 and "不是数字" in r.text
    client.cookies.clear()
    login(client, "operator")
    assert client.get("/workforce").status_code == 403


def test_a_simulation_too_large_is_refused_before_it_runs(client, as_user) -> None:  # type: ignore[no-untyped-def]
    """QA: a demo week of a million calls a day, ten times over, ran for six minutes in a request."""
    r = client.post("/api/v1/workforce/plan", headers=as_user("analyst"),
                    json={"source": "demo", "aht": 240, "demo_calls": 1_000_000, "simulate": {"replications": 10}})
    assert r.status_code == 422 and "仿真来电量过大" in r.json()["message"]
    r = client.post("/api/v1/workforce/plan", headers=as_user("analyst"),
                    json={"source": "demo", "aht": 240, "population": 6e8})
    assert r.status_code == 422 and "500,000,000" in r.json()["message"] and "e+" not in r.json()["message"]


def test_the_excel_of_a_csv_plan_is_that_plan(client: TestClient) -> None:
    """QA: after a pasted CSV, 导出 Excel linked to /workforce/plan.xlsx? and exported the demo week
    with the default handling time instead of the plan on the screen."""
    login(client, "supervisor")
    csrf = client.get("/workforce").text.split('name="csrf_token" value="')[1].split('"')[0]
    forecast = "周一 09:00,100\n周一 09:30,50\n"
    page = client.post("/workforce", data={"csrf_token": csrf, "aht": "300", "target_sl": "0.9", "csv": forecast})
    assert page.status_code == 200 and 'action="/workforce/plan.xlsx"' in page.text
    assert 'href="/workforce/plan.xlsx?' not in page.text
    form = page.text.split('action="/workforce/plan.xlsx"')[1].split("</form>")[0]
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    fields["csv"] = html.unescape(form.split('<textarea name="csv" hidden>')[1].split("</textarea>")[0])
    assert fields["aht"] == "300" and fields["target_sl"] == "0.9" and fields["csv"] == forecast.strip()
    x = client.post("/workforce/plan.xlsx", data=fields)
    assert x.status_code == 200, x.text
    rows = list(load_workbook(BytesIO(x.content))["分时段测算"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1]) for r in rows] == [("周一 09:00", 100), ("周一 09:30", 50)]
    assert client.post("/workforce/plan.xlsx", data={**fields, "csrf_token": "forged"}).status_code == 403


def test_the_page_reads_shares_as_typed_and_only_the_fields_its_source_uses(client: TestClient) -> None:
    """QA: "80%" was 须为数字 on a page that shows its results in per cent; an emptied 历史周数
    stopped a plan of the demo week, which does not use it."""
    login(client, "supervisor")
    r = client.get("/workforce", params={"source": "demo", "aht": "240", "target_sl": "80%",
                                         "target_answer": "95 %", "shrinkage": "30％", "weeks": ""})
    assert r.status_code == 200 and 'class="errors"' not in r.text
    plain = client.get("/workforce", params={"source": "demo", "aht": "240"})
    assert re.findall(r'stat-n">([^<]+)<', r.text) == re.findall(r'stat-n">([^<]+)<', plain.text)
    r = client.get("/workforce", params={"source": "demo", "aht": "240", "target_sl": "100%"})
    assert r.status_code == 422 and "服务水平目标（如 0.8）须大于 0 且小于 1" in r.text
    r = client.get("/workforce", params={"source": "history", "aht": "240", "weeks": "", "demo_calls": ""})
    errors = r.text.split('class="errors"')[1].split("</div>")[0]
    assert r.status_code == 400 and "历史周数须为数字" in errors and "示例周" not in errors


def test_a_csv_saved_by_excel_in_gbk_keeps_its_labels(client: TestClient, tmp_path: Path) -> None:
    """QA: Excel on a Chinese Windows saves CSV in GBK; the page showed 周一 as replacement marks
    and the CLI stopped on a UnicodeDecodeError."""
    forecast = "时段,来电量\n周一 09:00,360\n周一 09:30,200\n"
    login(client, "supervisor")
    csrf = client.get("/workforce").text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/workforce", data={"csrf_token": csrf, "aht": "240"},
                    files={"file": ("预测.csv", forecast.encode("gbk"), "text/csv")})
    assert r.status_code == 200 and "周一 09:30" in r.text and "\ufffd" not in r.text
    path = tmp_path / "gbk.csv"
    path.write_bytes(forecast.encode("gbk"))
    out = tmp_path / "plan.xlsx"
    run = CliRunner().invoke(cli_app, ["seats", "plan", "--forecast", str(path), "--aht", "240", "--xlsx", str(out)])
    assert run.exit_code == 0, run.output
    rows = list(load_workbook(out)["分时段测算"].iter_rows(min_row=2, max_col=1, values_only=True))
    assert rows == [("周一 09:00",), ("周一 09:30",)]


def test_a_patience_of_zero_is_no_hanging_up_in_the_simulation_too(client: TestClient) -> None:
    """QA: patience "0.00" planned for nobody hanging up but simulated exponential patience of 120 s."""
    login(client, "supervisor")
    for typed in ("0", "0.00"):
        r = client.get("/workforce", params={"source": "demo", "aht": "240", "demo_calls": "300", "simulate": "1",
                                             "patience": typed})
        assert r.status_code == 200 and "仿真校核（3 次重复，耐心不挂机）" in r.text, typed


def test_the_demo_week_is_not_read_as_intervals_of_another_length(client, as_user) -> None:  # type: ignore[no-untyped-def]
    """QA: interval_minutes 7 with the demo week read its half-hours as 7 minutes: 361 seats, not 90."""
    h = as_user("analyst")
    for minutes in (7, 60):
        r = client.post("/api/v1/workforce/plan", headers=h,
                        json={"source": "demo", "aht": 240, "interval_minutes": minutes})
        assert r.status_code == 422 and "须为 30" in r.json()["message"], r.text
    given = [{"label": f"周一 {h:02d}:00", "calls": 200.0} for h in range(24)]
    r = client.post("/api/v1/workforce/plan", headers=h, json={"intervals": given, "aht": 240, "interval_minutes": 60})
    assert r.status_code == 200 and r.json()["intervals"] == 24


def test_the_excel_keeps_a_csv_label_as_text_and_says_who_hangs_up(client: TestClient) -> None:
    """QA: a forecast label "=HYPERLINK(…)" became a live formula in the Excel; patience 0 (nobody hangs
    up) was an empty cell; the summary said 仿真15秒接通率 for a 20-second limit."""
    login(client, "supervisor")
    csrf = client.get("/workforce").text.split('name="csrf_token" value="')[1].split('"')[0]
    label = '=HYPERLINK("http://example.com","点我")'
    x = client.post("/workforce/plan.xlsx", data={
        "csrf_token": csrf, "aht": "240", "within": "20", "patience": "0", "simulate": "1",
        "csv": f'"{label.replace(chr(34), chr(34) * 2)}",100\n周一 09:30,50\n'})
    assert x.status_code == 200, x.text
    wb = load_workbook(BytesIO(x.content))
    first = wb["分时段测算"]["A2"]
    assert first.value == label and first.data_type == "s"
    summary = {row[0]: row[1] for row in wb["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["平均耐心时长（秒）"] == "不挂机"
    out = service.run(demo_week(300.0)[:48], Targets(aht=240, within=20), sim=SimConfig(replications=1))
    summary = {row[0]: row[1] for row in load_workbook(BytesIO(workbook(out.plan, out.simulation)))["汇总"]
               .iter_rows(min_row=2, values_only=True)}
    assert "仿真20秒接通率（占已接通）" in summary and "仿真15秒接通率（占已接通）" not in summary
    page = client.get("/workforce", params={"source": "demo", "aht": "240", "demo_calls": "300", "within": "20",
                                            "simulate": "1"})
    assert "20 秒接通率（占已接通）" in page.text
