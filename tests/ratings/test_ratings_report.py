"""The report's 好差评 section: figures, the spread over the five levels, by unit and by district, in scope;
and the CSV/Excel/PDF renderers carry the new tables like the others."""

from __future__ import annotations

import io

from openpyxl import load_workbook


def _tables(body: dict) -> dict[str, dict]:
    return {t["key"]: t for t in body["tables"]}


def test_report_counts_ratings_of_the_period(client, as_user, org, rated) -> None:
    rated("housing", "very_unsatisfied", "没解决")
    rated("housing", "satisfied")
    rated("market", "unsatisfied", jurisdiction_code="320104", address="秦淮区中华路1号")
    rated("market", "very_satisfied", jurisdiction_code="320104", address="秦淮区中华路2号")
    followed = client.get("/api/v1/ratings/bad", params={"unit_id": org.units["housing"].id},
                          headers=as_user("supervisor")).json()["items"][0]
    r = client.post(f"/api/v1/ratings/bad/{followed['ticket_id']}/followups", headers=as_user("supervisor"),
                    json={"conclusion": "not_factual", "note": "现场核查噪音已消除，评价与事实不符"})
    assert r.status_code == 201, r.text

    body = client.get("/api/v1/reports/2026-11", headers=as_user("analyst")).json()
    figures = {f["label"]: (f["value"], f["hint"]) for f in body["figures"]}
    assert figures["好评率"] == ("50.0%", "公众评价 4 件") and figures["差评"] == ("2", "已核实 1 件")
    assert figures["满意率"][0] == "—"  # the callback's rate is its own: no callbacks here
    tables = _tables(body)
    assert [r[:2] for r in tables["rating"]["rows"]] == [["非常满意", 1], ["满意", 1], ["基本满意", 0], ["不满意", 1],
                                                         ["非常不满意", 1]]
    assert tables["rating"]["rows"][4][3] == "差评" and "不计入考核" in tables["rating"]["note"]
    assert tables["rating_unit"]["rows"] == [["市房产局", 2, 1, 1, "50.0%"], ["市市场监管局", 2, 1, 1, "50.0%"]]
    assert tables["rating_district"]["rows"] == [["玄武区", 2, 1, 1, "50.0%"], ["秦淮区", 2, 1, 1, "50.0%"]]
    assert any("好评率 50.0%，差评 2 件（已核实 1 件）" in line for line in body["summary"])

    # a district's supervisor: its district's ratings only
    mine = client.get("/api/v1/reports/2026-11", headers=as_user("xuanwu_viewer")).json()
    assert {f["label"]: f["value"] for f in mine["figures"]}["差评"] == "1"
    assert _tables(mine)["rating_district"]["rows"] == [["玄武区", 2, 1, 1, "50.0%"]]
    # a month before any rating: "—", not 0%
    october = client.get("/api/v1/reports/2026-10", headers=as_user("analyst")).json()
    assert {f["label"]: f["value"] for f in october["figures"]}["好评率"] == "—"

    csv = client.get("/api/v1/reports/2026-11/tables/rating_unit.csv", headers=as_user("analyst"))
    assert csv.status_code == 200 and "市房产局,2,1,1,50.0%" in csv.text
    xlsx = client.get("/api/v1/reports/2026-11/file", params={"format": "xlsx"}, headers=as_user("analyst"))
    assert xlsx.status_code == 200 and any("好差评" in n for n in load_workbook(io.BytesIO(xlsx.content)).sheetnames)
    pdf = client.get("/api/v1/reports/2026-11/file", params={"format": "pdf"}, headers=as_user("analyst"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_enterprise_and_rating_tables_count_each_figure_as_defined(client, as_user, org, rated, db, rt) -> None:
    """The 涉企诉求 table reads each kind of event once for both columns and every figure, and the 好差评 tables
    count by unit and by jurisdiction path in one read each: the same numbers as one count per figure."""
    from hotline.reports.build import SATISFIED, ReportBuilder, fmt_rate, rate
    from hotline.reports.period import parse_period
    from hotline.reports.ratings import by_district
    from hotline.tickets.enums import Action
    from hotline.tickets.models import Ticket, TicketEvent
    from tests.factories import intake
    from tests.revisit.helpers import act, handle_and_close

    firm = {"is_enterprise": True, "requester_org": "南京某某科技有限公司"}
    rated("housing", "satisfied", **firm)
    rated("market", "unsatisfied", jurisdiction_code="320104", address="秦淮区中华路1号")
    for extra, level in ((firm, "satisfied"), ({}, "unsatisfied")):
        r = client.post("/api/v1/tickets", headers=as_user("operator"),
                        json=intake(dispatch={"lead_unit_id": org.units["housing"].id}, **extra))
        assert r.status_code == 201, r.text
        handle_and_close(client, as_user, r.json(), "housing")
        act(client, as_user, r.json(), "callback", "callback" if level == "satisfied" else "reopen",
            solved=level == "satisfied", satisfaction=level)
    r = client.post("/api/v1/tickets", headers=as_user("operator"), json=intake(
        kind="consultation", title="公积金提取材料",
        direct_answer={"answer": "携带身份证和购房合同到公积金中心办理。", "answer_source": "公积金提取指南"}))
    assert r.status_code == 201, r.text

    period = parse_period("2026-11")
    b = ReportBuilder(db, rt, org.actor("supervisor"), period)
    b.cutoff, b.prev_end = period.end, period.previous().end
    timed = TicketEvent.data["dispatch_on_time"].as_boolean()
    on_time = TicketEvent.data["on_time"].as_boolean()
    level, solved = TicketEvent.data["satisfaction"].as_string(), TicketEvent.data["solved"].as_boolean()
    feedback = (Action.CALLBACK, Action.REOPEN)

    def one_count_each(*only):  # type: ignore[no-untyped-def]
        intake_n = b._count(b._in(Ticket.created_at), *only)
        return [intake_n, fmt_rate(rate(b._events((Action.ANSWER_DIRECTLY,), *only), intake_n)),
                fmt_rate(rate(b._events((Action.DISPATCH,), timed.is_(True), *only),
                              b._events((Action.DISPATCH,), timed.is_not(None), *only))),
                fmt_rate(rate(b._events((Action.REPLY,), on_time.is_(True), *only), b._events((Action.REPLY,), *only))),
                fmt_rate(rate(b._events(feedback, level.in_(SATISFIED), *only),
                              b._events(feedback, level.is_not(None), *only))),
                fmt_rate(rate(b._events(feedback, solved.is_(True), *only),
                              b._events(feedback, solved.is_not(None), *only)))]

    rows = {r[0]: r[1:] for r in b._enterprise().rows}
    ours, everyone = one_count_each(Ticket.is_enterprise.is_(True)), one_count_each()
    labels = ["受理量", "直接答复率", "派单及时率", "按时答复率", "满意率", "解决率"]
    assert {k: rows[k] for k in labels} == {k: [a, e] for k, a, e in zip(labels, ours, everyone, strict=True)}
    shown = {k: [str(v) for v in vs] for k, vs in rows.items()}
    assert shown["受理量"] == ["2", "5"] and shown["占受理总量"] == ["40.0%", "100.0%"]
    assert shown["满意率"] == ["100.0%", "50.0%"] and shown["直接答复率"] == ["0.0%", "20.0%"]
    assert [[str(v) for v in r] for r in by_district(b).rows] == [["秦淮区", "1", "0", "1", "0.0%"],
                                                                  ["玄武区", "1", "1", "0", "100.0%"]]
