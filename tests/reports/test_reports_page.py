"""The report page: figures, charts and download links for the roles that use it."""

from __future__ import annotations

from tests.reports.test_reports import _history
from tests.test_pages import login


def test_report_page_shows_figures_charts_and_downloads(client, as_user, org, clock) -> None:
    _history(client, as_user, org, clock)
    login(client, "analyst")
    r = client.get("/reports?period=2026-11")
    assert r.status_code == 200
    page = r.text
    assert "南京市12345热线2026年11月（截至11月2日）运行分析报告" in page
    assert page.count("<svg class=\"chart\"") >= 7
    assert "/api/v1/reports/2026-11/file?format=pdf" in page and "/api/v1/reports/2026-11/tables/kind.csv" in page
    assert "本期共受理诉求 4 件" in page
    # The default is last month, which is empty here: the page says so rather than failing.
    r = client.get("/reports")
    assert r.status_code == 200 and "2026年10月" in r.text and "本期无受理工单" in r.text
    r = client.get("/reports?period=2026-99")
    assert r.status_code == 422 and "报告周期“2026-99”无效" in r.text  # said on the page, as the API says it (QA)


def test_report_page_is_not_for_operators(client) -> None:
    login(client, "operator")
    r = client.get("/reports")
    assert r.status_code == 403 and "分析报告" in r.text


def test_a_table_without_a_chart_is_not_said_to_have_no_data(client, as_user, org, clock) -> None:
    """涉企诉求 is a table of mixed figures with no chart: the page drew an empty chart above its rows
    (暂无数据 over a table full of figures) (QA)."""
    _history(client, as_user, org, clock)
    login(client, "analyst")
    page = client.get("/reports?period=2026-11").text
    start = page.index("<h2>涉企诉求（一企来）</h2>")
    section = page[start:page.index("</section>", start)]
    assert "<td>受理量</td>" in section
    assert "暂无数据" not in section and "<svg" not in section
