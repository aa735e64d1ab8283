"""The rota's weekly duty slots (hotlines/duty.py) and what they make of routing and the transfer
targets, without a database: the text an administrator types, the canonical text, Beijing time at the
slot's edges, the override by the caller of decide, and the targets' grouping and hand-over method."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time

import pytest

from hotline.clock import CHINA_TZ
from hotline.hotlines import duty
from hotline.hotlines.routing import Call, Expert, Snapshot, decide, handover, load_policy
from hotline.hotlines.targets import group_of, line_targets, unreachable
from tests.hotlines.test_routing import LINES, line

MON_10 = datetime(2026, 11, 2, 10, 0, tzinfo=CHINA_TZ)  # a Monday
OFFICE = duty.parse("周一至周五 09:00-12:00,14:00-17:30")


def test_typed_text_is_read_and_written_back_canonically() -> None:
    slots = duty.parse("周三、周一 14:00-17:30；周一至周五 9:00-12:00\n周日 20:00-24:00")
    assert duty.describe(slots) == "周一 09:00-12:00,14:00-17:30；周二 09:00-12:00；周三 09:00-12:00,14:00-17:30；" \
                                   "周四至周五 09:00-12:00；周日 20:00-24:00"
    assert duty.parse(duty.describe(slots)) == slots  # the canonical text reads back to the same slots
    assert duty.from_json(duty.to_json(slots)) == slots
    assert duty.describe(duty.parse("每天 08:00-20:00")) == "每天 08:00-20:00"
    assert duty.parse("") == () and duty.describe(()) == ""
    assert duty.from_json([[0, "09:00", "10:00"], ["x"], None]) == (duty.Slot(0, time(9), time(10)),)


@pytest.mark.parametrize(("text", "says"), [
    ("周八 09:00-10:00", "“周八”不是星期"),
    ("周一 10:00-09:00", "结束不晚于开始"),
    ("09:00-10:00", "须先写星期、再写时段"),
    ("周五至周一 09:00-10:00", "星期范围颠倒"),
    ("周一 09:00", "不是时段"),
    ("周一 9点", "中没有时段"),
    ("周一 25:00-26:00", "不是有效的时刻"),
])
def test_bad_text_is_refused_in_chinese_with_an_example(text: str, says: str) -> None:
    with pytest.raises(duty.DutyError, match=says):
        duty.parse(text)


def test_on_duty_in_beijing_time_at_the_edges() -> None:
    assert duty.on_duty(OFFICE, MON_10)
    assert duty.on_duty(OFFICE, datetime(2026, 11, 2, 1, 0, tzinfo=UTC))  # 09:00 in Beijing
    assert not duty.on_duty(OFFICE, datetime(2026, 11, 2, 12, 0, tzinfo=CHINA_TZ))  # the end is not in the slot
    assert not duty.on_duty(OFFICE, datetime(2026, 11, 7, 10, 0, tzinfo=CHINA_TZ))  # Saturday
    late = duty.parse("周日 20:00-24:00")
    assert duty.on_duty(late, datetime(2026, 11, 8, 23, 59, 30, tzinfo=CHINA_TZ))
    assert not duty.on_duty(late, datetime(2026, 11, 9, 0, 0, tzinfo=CHINA_TZ))


def _snapshot(*experts: Expert) -> Snapshot:
    lines = [replace(x, experts=experts) if (x.number, x.city) == ("12348", "南京市") else x for x in LINES]
    return Snapshot.build(lines, default_city="南京市")


def test_routing_asks_the_rota_unless_told() -> None:
    policy = load_policy()
    snap = _snapshot(Expert(1, "陈立新", "市法律援助中心", "8101", OFFICE))
    staffed = decide(snap, policy, Call(dialled="12348", at=MON_10))
    assert (staffed.queue, staffed.rule) == ("expert_seats:12348", "dual_expert_seats")
    evening = decide(snap, policy, Call(dialled="12348", at=MON_10.replace(hour=19)))
    assert (evening.queue, evening.rule) == ("general", "dual_unstaffed")
    # the caller's word overrides the rota, either way
    told = decide(snap, policy, Call(dialled="12348", at=MON_10, staffed_experts=frozenset()))
    assert told.rule == "dual_unstaffed"
    told = decide(_snapshot(), policy, Call(dialled="12348", at=MON_10, staffed_experts=frozenset({"12348"})))
    assert told.rule == "dual_expert_seats"
    h = handover(snap, policy, Call(dialled="12345", at=MON_10), "12348")
    assert h.method == "three_way_call"


def test_targets_are_the_specialist_lines_grouped_with_who_is_on_duty() -> None:
    chen = Expert(1, "陈立新", "市法律援助中心", "8101", OFFICE)
    off = Expert(2, "周晓岚", None, "8102", duty.parse("周六 09:00-12:00"))
    found = line_targets(_snapshot(chen, off), load_policy(), city="南京市", at=MON_10)
    # 12316 is fully merged with expert seats and nobody on its rota: no target (it would ring 12345 again)
    assert [(t.group, t.line.number) for t in found] == [
        ("sub_center", "12366"), ("expert_seats", "12348"), ("business_zone", "12333")]
    by = {t.line.number: t for t in found}
    assert by["12366"].method == "three_way_call" and by["12366"].group_label == "分中心"
    assert by["12348"].staffed and [e.name for e in by["12348"].on_duty] == ["陈立新"]
    assert by["12348"].on_duty[0].label == "陈立新（市法律援助中心 8101）"
    assert not by["12333"].staffed and by["12333"].method == "dispatch_ticket"  # a zone without a rota: a ticket
    sat = {t.line.number: t for t in line_targets(_snapshot(chen, off), load_policy(), city="南京市",
                                                  at=datetime(2026, 11, 7, 10, 0, tzinfo=CHINA_TZ))}
    assert [e.name for e in sat["12348"].on_duty] == ["周晓岚"]
    # another city's lines and linked / merged-without-seats / cancelled lines are no specialist targets
    assert [t.line.number for t in line_targets(_snapshot(), load_policy(), city="宿迁市", at=MON_10)] == ["12333"]
    assert group_of(line("12999", mode="sub_center", status="cancelled")) is None
    assert group_of(line("12369", mode="dual_number")) is None and group_of(line("110", kind="emergency")) is None


def test_a_fully_merged_line_is_a_target_only_while_its_expert_seats_are_staffed() -> None:
    """QA: a transfer to a line merged whole into 12345 was accepted and rang the hall again. Such a line
    is reached only through its expert seats (整体并入，设置专家座席) while someone on the rota is on duty."""
    merged = {x.number: x for x in LINES if x.city == "南京市"}
    assert "没有自己的座席" in (unreachable(merged["96196"], MON_10) or "")  # merged without seats
    assert "已注销" in (unreachable(merged["96510"], MON_10) or "")
    assert "其专家座席当前无人值班" in (unreachable(merged["12316"], MON_10) or "")
    for number in ("12348", "12369", "12366", "12345", "110"):  # lines with seats of their own, and others
        assert unreachable(merged[number], MON_10) is None, number
    chen = Expert(1, "陈立新", "市农业农村局", "8301", OFFICE)
    staffed = replace(merged["12316"], experts=(chen,))
    assert unreachable(staffed, MON_10) is None
    assert unreachable(staffed, MON_10.replace(hour=19)) is not None  # after hours: unreachable again
    snap = Snapshot.build([staffed if x is merged["12316"] else x for x in LINES], default_city="南京市")
    found = {t.line.number: t for t in line_targets(snap, load_policy(), city="南京市", at=MON_10)}
    assert found["12316"].staffed and [e.name for e in found["12316"].on_duty] == ["陈立新"]
    evening = line_targets(snap, load_policy(), city="南京市", at=MON_10.replace(hour=19))
    assert "12316" not in {t.line.number for t in evening}


def test_the_rota_follows_the_official_calendar() -> None:
    """QA: weekday slots held on 国庆 (the experts were shown on duty and rung on a public holiday). On an
    official holiday only 节假日 slots hold — the weekend days of the holiday included, an ordinary weekend
    not; a make-up working day (调休上班) takes the hours kept every Monday to Friday."""
    at = lambda m, d, h=10: datetime(2026, m, d, h, 0, tzinfo=CHINA_TZ)  # noqa: E731
    daily = duty.parse("每天 08:00-20:00")
    weekend = duty.parse("周六至周日 09:00-17:00")
    assert [duty.day_kind(at(10, d).date()) for d in (1, 3, 8, 10, 11)] == [
        "holiday", "holiday", "workday", "makeup", "weekend"]  # Thu, Sat of 国庆, Thu, Sat 调休上班, Sun
    assert duty.day_kind(at(11, 7).date()) == "weekend" and duty.day_kind(at(9, 20).date()) == "makeup"
    assert not duty.on_duty(OFFICE, at(10, 1)) and not duty.on_duty(daily, at(10, 5))  # Thursday, Monday off
    assert not duty.on_duty(weekend, at(10, 3))  # a Saturday inside the holiday is the holiday
    assert duty.on_duty(weekend, at(11, 7)) and duty.on_duty(daily, at(11, 8))  # an ordinary weekend
    both = duty.parse("每天 08:00-20:00；节假日 09:00-12:00")
    assert duty.on_duty(both, at(10, 1)) and not duty.on_duty(both, at(10, 1, 14))
    assert duty.on_duty(OFFICE, at(10, 10)) and not duty.on_duty(OFFICE, at(10, 10, 13))  # 调休 Saturday: office
    assert not duty.on_duty(weekend, at(10, 10))  # no weekend slot on a working Saturday
    assert not duty.on_duty(duty.parse("周二、周四 09:00-12:00"), at(9, 20))  # not kept every weekday
    assert duty.on_duty(OFFICE, datetime(2031, 1, 1, 10, 0, tzinfo=CHINA_TZ))  # beyond the calendar: its weekday
    policy = load_policy()
    snap = _snapshot(Expert(1, "陈立新", "市法律援助中心", "8101", OFFICE))
    assert decide(snap, policy, Call(dialled="12348", at=at(10, 1))).rule == "dual_unstaffed"
    assert decide(snap, policy, Call(dialled="12348", at=at(10, 10))).rule == "dual_expert_seats"
    found = {t.line.number: t for t in line_targets(snap, policy, city="南京市", at=at(10, 1))}
    assert found["12348"].on_duty == () and found["12348"].method == "dispatch_ticket"


def test_holiday_slots_are_typed_and_written_back() -> None:
    slots = duty.parse("周一至周五 09:00-17:00；法定节假日 09:00-12:00；周六、节假日 14:00-16:00")
    assert duty.describe(slots) == "周一至周五 09:00-17:00；周六 14:00-16:00；节假日 09:00-12:00,14:00-16:00"
    assert duty.parse(duty.describe(slots)) == slots and duty.from_json(duty.to_json(slots)) == slots
    assert [7, "09:00", "12:00"] in duty.to_json(slots)
    assert duty.describe(duty.parse("每天 08:00-20:00；节假日 08:00-20:00")) == "每天 08:00-20:00；节假日 08:00-20:00"
    with pytest.raises(duty.DutyError, match="不是星期"):
        duty.parse("周日至节假日 09:00-10:00")
