"""Call routing as a pure function over a registry snapshot: every rule of the shipped policy,
transition period edges in Nanjing time, staffing, the blacklist, unknown numbers, handover."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from hotline.clock import CHINA_TZ
from hotline.errors import DomainError, NotFound
from hotline.hotlines.routing import (
    Call,
    Caller,
    LineView,
    PolicyError,
    Snapshot,
    decide,
    handover,
    load_policy,
    parse_policy,
)

POLICY = load_policy()
AT = datetime(2026, 11, 2, 10, 0, tzinfo=CHINA_TZ)
START, END = date(2026, 11, 1), date(2026, 11, 30)


def line(number: str, kind: str = "department", mode: str = "none", status: str = "active", seats: str = "none",
         city: str = "南京市", **kw: Any) -> LineView:
    return LineView(id=int(number) % 100000, city=city, number=number, name=kw.pop("name", f"热线{number}"),
                    kind=kind, mode=mode, status=status, seats=seats, prompt=kw.pop("prompt", None),
                    start=kw.pop("start", None), end=kw.pop("end", None), owner_unit_id=kw.pop("owner_unit_id", 7),
                    owner_name=kw.pop("owner_name", "市某局"))


LINES = [
    line("12345", kind="main"),
    line("12336", mode="full_merge", status="in_transition", start=START, end=END,
         prompt="12336已并入12345，请拨12345。"),
    line("12349", mode="full_merge", status="in_transition", start=START, end=END),
    line("96510", mode="full_merge", status="cancelled", start=START, end=END),
    line("12301", mode="full_merge", status="cancelled"),
    line("96196", mode="full_merge", status="in_transition"),
    line("12316", mode="full_merge", status="in_transition", seats="expert_seats"),
    line("12333", mode="dual_number", seats="business_zone"),
    line("12348", mode="dual_number", seats="expert_seats"),
    line("12369", mode="dual_number"),
    line("12366", mode="sub_center", seats="own_seats"),
    line("110", kind="emergency"),
    line("119", kind="emergency"),
    line("95598", kind="utility"),
    line("96888", kind="utility", status="cancelled"),
    line("12333", mode="dual_number", seats="business_zone", city="宿迁市"),
]
SNAP = Snapshot.build(LINES, default_city="南京市")


def call(dialled: str, at: datetime = AT, **kw: Any) -> Call:
    return Call(dialled=dialled, at=at, **kw)


def route(dialled: str, **kw: Any):  # type: ignore[no-untyped-def]
    return decide(SNAP, POLICY, call(dialled, **kw))


def test_12345_goes_straight_to_a_human_without_menu() -> None:
    d = route("12345")
    assert (d.action, d.queue, d.prompt, d.ivr_menu, d.rule) == ("queue", "general", None, False, "main_line")
    assert "不设语音导航菜单" in d.reason


def test_merged_number_plays_its_own_prompt_during_transition() -> None:
    d = route("12336")
    assert d.rule == "merge_in_period" and d.queue == "general"
    assert d.prompt == "12336已并入12345，请拨12345。"
    assert "transition_prompt" in d.flags


def test_merged_number_without_own_prompt_plays_the_default_with_its_name() -> None:
    d = route("12349")
    assert d.prompt and "热线12349（12349）已整体并入12345" in d.prompt


@pytest.mark.parametrize(("local", "rule"), [
    (datetime(2026, 10, 31, 23, 59), "merge"),  # the evening before the period
    (datetime(2026, 11, 1, 0, 0), "merge_in_period"),  # first minute of the first day
    (datetime(2026, 11, 30, 23, 59), "merge_in_period"),  # last minute of the last day
    (datetime(2026, 12, 1, 0, 0), "merge_after_period"),  # the day after: prompt, and flagged for cancelling
])
def test_transition_period_edges_in_china_time(local: datetime, rule: str) -> None:
    d = route("12336", at=local.replace(tzinfo=CHINA_TZ))
    assert d.rule == rule and d.queue == "general"
    assert (d.prompt is None) == (rule == "merge")
    if rule == "merge_after_period":
        assert "transition_overdue" in d.flags


def test_utc_time_is_judged_by_the_local_date() -> None:
    # 15:59 UTC on 30 November is 23:59 in Nanjing (last day); 16:30 UTC is already 1 December there.
    assert route("12336", at=datetime(2026, 11, 30, 15, 59, tzinfo=UTC)).rule == "merge_in_period"
    assert route("12336", at=datetime(2026, 11, 30, 16, 30, tzinfo=UTC)).rule == "merge_after_period"


def test_merged_number_without_period_joins_general_queue_silently() -> None:
    d = route("96196")
    assert (d.rule, d.queue, d.prompt) == ("merge", "general", None)


def test_cancelled_number_in_and_after_its_period() -> None:
    during = route("96510", at=datetime(2026, 11, 15, 9, 0, tzinfo=CHINA_TZ))
    assert during.rule == "cancelled_in_period" and during.prompt and "已整体并入12345" in during.prompt
    after = route("96510", at=datetime(2026, 12, 2, 9, 0, tzinfo=CHINA_TZ))
    assert after.rule == "cancelled" and after.queue == "general"
    assert after.prompt and "96510号码已停止使用" in after.prompt
    no_period = route("12301")
    assert no_period.rule == "cancelled" and no_period.prompt and "12301号码已停止使用" in no_period.prompt


def test_dual_number_goes_to_its_zone_or_experts_when_staffed() -> None:
    zone = route("12333", staffed_zones=frozenset({"12333"}))
    assert (zone.rule, zone.queue) == ("dual_business_zone", "business_zone:12333")
    assert zone.queue_label == "业务专区（热线12333）"
    experts = route("12348", staffed_experts=frozenset({"12348"}))
    assert (experts.rule, experts.queue) == ("dual_expert_seats", "expert_seats:12348")


def test_dual_number_falls_back_to_general_when_unstaffed() -> None:
    # Experts staffed for another line, or the zone list naming 12348 (it has expert seats, not a zone).
    for kw in ({}, {"staffed_experts": frozenset({"12320"})}, {"staffed_zones": frozenset({"12348"})}):
        d = route("12348", **kw)
        assert (d.rule, d.queue) == ("dual_unstaffed", "general") and "seats_unstaffed" in d.flags
    plain = route("12369", staffed_zones=frozenset({"12369"}))
    assert (plain.rule, plain.queue) == ("dual_number", "general")


def test_sub_center_keeps_its_own_seats() -> None:
    d = route("12366")
    assert (d.rule, d.queue, d.action) == ("sub_center", "sub_center:12366", "queue")
    assert "保留号码和话务座席" in d.reason


def test_emergency_numbers_are_never_handled_by_12345() -> None:
    for kw in ({}, {"caller": Caller(blacklisted=True)}, {"caller": Caller(emergency=True)}):
        d = route("110", **kw)
        assert (d.action, d.queue, d.transfer_to, d.rule) == ("linked_transfer", "linked:110", "110", "emergency_line")
        assert d.priority is False


def test_utility_lines_are_linked_and_a_cancelled_one_falls_back() -> None:
    d = route("95598")
    assert (d.action, d.transfer_to) == ("linked_transfer", "95598")
    old = route("96888")
    assert (old.rule, old.queue) == ("cancelled", "general")


def test_blacklisted_caller_is_restricted_unless_emergency_or_new_matter() -> None:
    d = route("12345", caller=Caller(blacklisted=True))
    assert (d.rule, d.queue) == ("blacklist_restricted", "restricted")
    assert d.prompt == "您好，您的来电正在转接，请耐心等待。如遇紧急情况或有新的诉求，接通后请直接告诉话务员。"
    assert "blacklisted" in d.flags
    emergency = route("12345", caller=Caller(blacklisted=True, emergency=True))
    assert (emergency.rule, emergency.queue, emergency.priority) == ("main_line", "general", True)
    assert "blacklisted_routed" in emergency.flags and "紧急情况" in emergency.reason
    new = route("12333", caller=Caller(blacklisted=True, new_matter=True), staffed_zones=frozenset({"12333"}))
    assert (new.rule, new.queue) == ("dual_business_zone", "business_zone:12333")
    assert "新诉求" in new.reason and new.priority is False
    # A merged number dialled by a blacklisted caller: still restricted (it is 12345's queue).
    assert route("12336", caller=Caller(blacklisted=True)).queue == "restricted"


def test_unknown_number_is_a_clear_decision_not_an_exception() -> None:
    d = route("99999")
    assert (d.action, d.queue, d.rule, d.line) == ("queue", "general", "unknown_number", None)
    assert "unknown_number" in d.flags and "99999" in d.reason
    assert route("99999", caller=Caller(blacklisted=True)).queue == "restricted"


def test_city_decides_between_the_same_national_number() -> None:
    assert route("12333", city="宿迁市").line.city == "宿迁市"  # type: ignore[union-attr]
    assert route("12333").line.city == "南京市"  # type: ignore[union-attr]  (the platform's own city)
    assert route("12366").line.city == "南京市"  # type: ignore[union-attr]  (only one city has it)
    assert route("12366", city="宿迁市").rule == "unknown_number"


def test_caller_emergency_raises_priority_in_a_queue() -> None:
    d = route("12369", caller=Caller(emergency=True))
    assert d.priority and "priority" in d.flags


def test_handover_of_specialist_matters() -> None:
    c = call("12345")
    sub = handover(SNAP, POLICY, c, "12366")
    assert (sub.method, sub.rule) == ("three_way_call", "handover_sub_center") and "派发工单" in sub.reason
    zone = handover(SNAP, POLICY, replace(c, staffed_zones=frozenset({"12333"})), "12333")
    assert zone.method == "three_way_call"
    assert handover(SNAP, POLICY, c, "12333").method == "dispatch_ticket"
    assert handover(SNAP, POLICY, c, "12336").method == "dispatch_ticket"
    # a merged line's experts (整体并入，设置专家座席) on duty take the matter by three-way call; QA: they were
    # never reached, the answer said no seat could be reached while they were on duty
    experts = handover(SNAP, POLICY, replace(c, staffed_experts=frozenset({"12316"})), "12316")
    assert (experts.method, experts.rule) == ("three_way_call", "handover_staffed")
    assert handover(SNAP, POLICY, c, "12316").method == "dispatch_ticket"  # none on duty: a ticket
    assert handover(SNAP, POLICY, c, "119").method == "three_way_call"
    with pytest.raises(NotFound, match="未在热线归并清单中登记"):
        handover(SNAP, POLICY, c, "99999")
    with pytest.raises(DomainError, match="12345本号"):
        handover(SNAP, POLICY, c, "12345")


def _policy_data() -> dict[str, Any]:
    from hotline.hotlines.routing import DEFAULT_POLICY, REFERENCE

    return json.loads((REFERENCE / DEFAULT_POLICY).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("damage", "message"), [
    (lambda p: p["rules"].pop(), "last rule must match everything"),
    (lambda p: p["rules"][0]["when"].update(colour=["red"]), "unknown fact"),
    (lambda p: p["rules"][0]["when"].update(kind=["ferry"]), "kind cannot be"),
    (lambda p: p["rules"][0]["then"].update(action="hang_up"), "action must be"),
    (lambda p: p["rules"][0]["then"].update(queue="nowhere"), "unknown queue"),
    (lambda p: p["rules"][2]["then"].update(prompt="jingle"), "unknown prompt"),
    (lambda p: p["rules"].insert(0, dict(p["rules"][0])), "duplicate rule id"),
    (lambda p: p["handover"][0]["then"].update(method="fax"), "method"),
    (lambda p: p["queues"].pop("general"), "missing 'general'"),
    (lambda p: p["prompts"].update(restricted="您的号码因恶意骚扰已被限制受理"), "neutral and polite, without '限制'"),
])
def test_a_malformed_policy_is_refused_whole(damage: Any, message: str) -> None:
    data = _policy_data()
    damage(data)
    with pytest.raises(PolicyError, match=message):
        parse_policy(data)


def test_the_prompt_a_restricted_caller_hears_is_neutral() -> None:
    """QA: the shipped prompt told a listed caller their number was restricted for false reports, on a
    call others may hear. The routing reason (for staff) still says why."""
    d = route("12345", caller=Caller(blacklisted=True))
    assert d.prompt and "请耐心等待" in d.prompt
    assert not [w for w in ("黑名单", "限制", "恶意", "骚扰", "不实", "占用") if w in d.prompt]
    assert "黑名单" in d.reason
    data = _policy_data()
    data["prompts"]["restricted"] = "您的来电因骚扰热线已被记录"
    with pytest.raises(PolicyError, match="骚扰"):
        parse_policy(data)
    # another line's prompt may say what it needs (only what a listed caller hears is held to this)
    data = _policy_data()
    data["prompts"]["cancelled_default"] = "该号码已停止使用，不再限制拨打12345"
    assert parse_policy(data).prompts["cancelled_default"].startswith("该号码")


def test_every_shipped_rule_is_reachable() -> None:
    """Each rule of the shipped policy is the first match for at least one call in this file's cases."""
    at_after = datetime(2026, 12, 1, 9, tzinfo=CHINA_TZ)
    cases = [route(n) for n in ("12345", "12336", "96510", "12301", "96196", "12333", "12348", "12369", "12366",
                                "110", "95598", "99999")]
    cases += [route("12336", at=at_after), route("12345", caller=Caller(blacklisted=True)),
              route("96510", at=datetime(2026, 11, 3, tzinfo=CHINA_TZ)),
              route("12333", staffed_zones=frozenset({"12333"})), route("12348", staffed_experts=frozenset({"12348"})),
              decide(SNAP, POLICY, call("12345")), decide(Snapshot.build([line("1", kind="department",
                                                                                 mode="none")],
                                                                            default_city="南京市"), POLICY, call("1"))]
    assert {r.id for r in POLICY.rules} <= {d.rule for d in cases}
