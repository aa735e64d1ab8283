"""The report's 联动转办 table: requests passed to and from the linked platforms in the period, by platform —
passed out, answered, sent back; passed in, reported back (docs/linkage.md). Read from the events, as the rest
of the report is: the platform as named when the request was passed."""

from __future__ import annotations

from typing import Any

from hotline.reports.build import ReportBuilder
from hotline.reports.content import Cell, Chart, Table
from hotline.tickets.enums import Action
from hotline.tickets.models import TicketEvent

NOTE = ("联动平台：本市紧急热线和公共事业热线、外地及省级12345。转出后对方反馈的办理结果作为答复回访诉求人；"
        "转入的诉求办结后须反馈转入方。")


def _by_platform(b: ReportBuilder, action: Action, field: str) -> dict[str, int]:
    """The period's events of one action by platform (`field`: the event data's linkage, or linked_from)."""
    name: Any = TicketEvent.data[field]["line_name"].as_string()
    return {str(k): n for k, n in b._events((action,), name.is_not(None), key=name).items()}


def table(b: ReportBuilder) -> Table | None:
    """None when nothing was passed either way in the period."""
    out = _by_platform(b, Action.TRANSFER_OUT, "linkage")
    answered = _by_platform(b, Action.LINKED_ANSWER, "linkage")
    returned = _by_platform(b, Action.LINKED_RETURN, "linkage")
    passed_in = _by_platform(b, Action.REGISTER, "linked_from")
    reported = _by_platform(b, Action.REPORT_BACK, "linkage")
    platforms = sorted(set(out) | set(answered) | set(returned) | set(passed_in) | set(reported),
                       key=lambda p: (-(out.get(p, 0) + passed_in.get(p, 0)), p))
    if not platforms:
        return None
    rows: list[list[Cell]] = [[p, out.get(p, 0), answered.get(p, 0), returned.get(p, 0), passed_in.get(p, 0),
                               reported.get(p, 0)] for p in platforms]
    columns = ["联动平台", "转出", "对方反馈", "对方退回", "转入", "反馈转入方"]
    return Table("linkage", "联动转办（按联动平台）", columns, rows, Chart("bar", 0, (1, 4)), note=NOTE)
