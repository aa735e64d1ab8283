"""The ticket export's 签收 columns: the acknowledgement deadline and time as dates, and 是否签收超时
for a ticket acknowledged in time, one acknowledged late, one still waiting past its deadline, one
still within it, and one never sent to a unit."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

from openpyxl import load_workbook

from hotline.clock import to_local
from tests.factories import intake

ACK_COLUMNS = ["签收时限", "签收时间", "是否签收超时"]


def in_excel(at: datetime) -> datetime:
    """A stored time as the workbook holds it: China time without a zone."""
    return to_local(at).replace(tzinfo=None, microsecond=0)


def test_the_export_says_when_tickets_were_acknowledged_and_whether_late(db, clock, open_ticket, act, client,
                                                                        as_user) -> None:
    in_time = open_ticket(title="签收导出：按时签收")
    act(in_time, "housing_handler", "acknowledge")
    late = open_ticket(title="签收导出：超时签收")
    waiting_late = open_ticket(title="签收导出：超时未签收", unit="market")
    returned = open_ticket(title="签收导出：退单被驳回")
    act(returned, "housing_manager", "return", reason="不属于本单位职责，应由街道处理")
    taken_at = clock.now()
    clock.set(late.ack_due_at + timedelta(hours=2))
    act(late, "housing_handler", "acknowledge")
    act(returned, "dispatcher", "refuse_return", reason="经核实属于房产局职责")
    waiting = open_ticket(title="签收导出：待签收未到时限")
    client.post("/api/v1/tickets", json=intake(title="签收导出：仅登记"), headers=as_user("operator"))
    due = {t.number: t.ack_due_at for t in (in_time, late, waiting_late, waiting, returned)}
    db.rollback()

    r = client.get("/api/v1/exports/tickets.xlsx", params={"q": "签收导出"}, headers=as_user("supervisor"))
    assert r.status_code == 200
    ws = load_workbook(BytesIO(r.content)).active
    header = [c.value for c in ws[1]]
    assert header[9:17] == ["受理时间", "办理时限", "时限状态", "剩余/超期", *ACK_COLUMNS, "一企来"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[4].value == "签收导出：按时签收")
    assert (row[9].value, row[10].value) == (in_excel(in_time.created_at), in_excel(in_time.due_at))  # dates too
    by_title = {row[4].value: row[13:16] for row in ws.iter_rows(min_row=2)}
    assert len(by_title) == 6

    deadline, acknowledged, flag = by_title["签收导出：按时签收"]
    assert (deadline.value, acknowledged.value, flag.value) == (in_excel(due[in_time.number]), in_excel(taken_at), "否")
    assert isinstance(deadline.value, datetime) and deadline.number_format == "yyyy-mm-dd hh:mm"
    assert acknowledged.number_format == "yyyy-mm-dd hh:mm"

    deadline, acknowledged, flag = by_title["签收导出：超时签收"]
    assert (deadline.value, acknowledged.value, flag.value) == (
        in_excel(due[late.number]), in_excel(due[late.number] + timedelta(hours=2)), "是")

    deadline, acknowledged, flag = by_title["签收导出：超时未签收"]  # still waiting, past its deadline
    assert (deadline.value, acknowledged.value, flag.value) == (in_excel(due[waiting_late.number]), None, "是")

    deadline, acknowledged, flag = by_title["签收导出：待签收未到时限"]  # waiting, within its deadline
    assert (deadline.value, acknowledged.value, flag.value) == (in_excel(due[waiting.number]), None, "否")

    # The unit answered in time with a return; the centre's refusal, past the deadline, made it the lead
    # unit again (acknowledged then, as its page says): its own answer was not late.
    deadline, acknowledged, flag = by_title["签收导出：退单被驳回"]
    assert (deadline.value, acknowledged.value, flag.value) == (
        in_excel(due[returned.number]), in_excel(due[late.number] + timedelta(hours=2)), "否")

    assert [c.value for c in by_title["签收导出：仅登记"]] == [None, None, None]  # never sent to a unit

    # The list's API carries the deadline and the time (the lateness needs the history: the export's).
    items = client.get("/api/v1/tickets", params={"q": "签收导出"}, headers=as_user("supervisor")).json()["items"]
    listed = {i["title"]: i for i in items}
    assert listed["签收导出：超时签收"]["acknowledged_at"] is not None
    assert listed["签收导出：超时未签收"]["acknowledged_at"] is None
    assert listed["签收导出：仅登记"]["ack_due_at"] is None
