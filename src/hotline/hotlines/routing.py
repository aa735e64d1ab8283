"""Call routing: a pure function of (registry snapshot, policy, call) → where the call goes and what
is played. The rules are data (reference/hotline_routing.json): an ordered list of
`when` (facts → allowed values) → `then` (action, queue, prompt, flags, reason); the first match wins.

Facts computed for every call: known, kind, mode, status, period (before / during / after / none:
where the local date of the call falls in the line's transition period), seats, seats_staffed,
blacklisted, emergency, new_matter. No database here: the snapshot is built once (snapshot.py) and
a decision costs a dictionary lookup and a short loop over the rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from hotline.clock import CHINA_TZ
from hotline.errors import DomainError, NotFound
from hotline.hotlines import duty
from hotline.hotlines.enums import LineKind, LineStatus, MergeMode, SeatArrangement

REFERENCE = Path(__file__).resolve().parent.parent / "reference"
DEFAULT_POLICY = "hotline_routing.json"
ACTIONS = frozenset({"queue", "linked_transfer"})
HANDOVER_METHODS = {"three_way_call": "三方通话转接", "dispatch_ticket": "派发工单"}
PERIODS = ("none", "before", "during", "after")
FACT_VALUES: dict[str, frozenset[Any]] = {
    "known": frozenset({True, False}),
    "kind": frozenset(str(k) for k in LineKind),
    "mode": frozenset(str(m) for m in MergeMode),
    "status": frozenset(str(s) for s in LineStatus),
    "period": frozenset(PERIODS),
    "seats": frozenset(str(s) for s in SeatArrangement),
    "seats_staffed": frozenset({True, False}),
    "blacklisted": frozenset({True, False}),
    "emergency": frozenset({True, False}),
    "new_matter": frozenset({True, False}),
}


# ---- the registry as routing sees it ---------------------------------------------------------------


@dataclass(frozen=True)
class Expert:
    """One person on a line's rota (专家座席值班), as routing and the transfer targets see them."""

    id: int
    name: str
    department: str | None
    phone: str
    slots: tuple[duty.Slot, ...] = ()

    def on_duty(self, at: datetime) -> bool:
        return duty.on_duty(self.slots, at)

    @property
    def label(self) -> str:
        return f"{self.name}（{self.department + ' ' if self.department else ''}{self.phone}）"


@dataclass(frozen=True)
class LineView:
    id: int
    city: str
    number: str
    name: str
    kind: str
    mode: str
    status: str
    seats: str
    prompt: str | None
    start: date | None
    end: date | None
    owner_unit_id: int | None
    owner_name: str | None
    experts: tuple[Expert, ...] = ()  # the active rota of expert seats / a business zone

    def on_duty(self, at: datetime) -> tuple[Expert, ...]:
        return tuple(e for e in self.experts if e.on_duty(at))

    def period(self, day: date) -> str:
        if self.start is None:
            return "none"
        if day < self.start:
            return "before"
        if self.end is not None and day > self.end:
            return "after"
        return "during"


@dataclass(frozen=True)
class Snapshot:
    """Every line by (city, number), and by number alone for calls that do not say their city."""

    lines: Mapping[tuple[str, str], LineView]
    by_number: Mapping[str, tuple[LineView, ...]]
    default_city: str
    stamp: Any = None  # what the snapshot was built from (snapshot.py compares it to refresh)

    @classmethod
    def build(cls, lines: Iterable[LineView], *, default_city: str, stamp: Any = None) -> Snapshot:
        table: dict[tuple[str, str], LineView] = {}
        by_number: dict[str, list[LineView]] = {}
        for line in lines:
            table[(line.city, line.number)] = line
            by_number.setdefault(line.number, []).append(line)
        return cls(lines=table, by_number={k: tuple(v) for k, v in by_number.items()}, default_city=default_city,
                   stamp=stamp)

    def find(self, number: str, city: str | None) -> LineView | None:
        if city:
            return self.lines.get((city, number))
        candidates = self.by_number.get(number)
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        # The same national number in several cities: the platform's own city answers.
        return self.lines.get((self.default_city, number)) or candidates[0]


# ---- the policy ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    id: str
    when: tuple[tuple[str, frozenset[Any]], ...]
    then: Mapping[str, Any]

    def matches(self, facts: Mapping[str, Any]) -> bool:
        for key, allowed in self.when:
            if facts[key] not in allowed:
                return False
        return True


@dataclass(frozen=True)
class Policy:
    name: str
    label: str
    queues: Mapping[str, str]
    prompts: Mapping[str, str]
    rules: tuple[Rule, ...]
    handover: tuple[Rule, ...]


class PolicyError(ValueError):
    """The routing policy file is malformed: refused at start-up, never half-applied."""


# What a blacklisted caller hears stays neutral and polite: the listing limits abuse, it is not announced
# (others may hear the call; an accusation invites a dispute instead of a new, genuine request).
ACCUSING_WORDS = ("黑名单", "限制", "恶意", "骚扰", "不实", "占用", "辱骂", "违规", "拉黑", "屏蔽", "列入")


def _check_restricted_prompts(rules: tuple[Rule, ...], prompts: Mapping[str, str]) -> None:
    for rule in rules:
        key = rule.then.get("prompt")
        if key in prompts and ("blacklisted", frozenset({True})) in rule.when:
            word = next((w for w in ACCUSING_WORDS if w in prompts[key]), None)
            if word:
                raise PolicyError(f"prompts {key}: played to blacklisted callers by rule {rule.id}; it must be "
                                  f"neutral and polite, without {word!r}")


def _rules(items: list[dict[str, Any]], where: str, check_then: Any) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        rule_id = item.get("id") or f"{where}[{i}]"
        if rule_id in seen:
            raise PolicyError(f"{where}: duplicate rule id {rule_id}")
        seen.add(rule_id)
        when = item.get("when", {})
        conds = []
        for key, values in when.items():
            if key not in FACT_VALUES:
                raise PolicyError(f"{where} {rule_id}: unknown fact {key!r}")
            bad = [v for v in values if v not in FACT_VALUES[key]]
            if bad:
                raise PolicyError(f"{where} {rule_id}: {key} cannot be {bad}")
            conds.append((key, frozenset(values)))
        check_then(rule_id, item.get("then") or {})
        rules.append(Rule(id=rule_id, when=tuple(conds), then=item["then"]))
    if not rules or rules[-1].when:
        raise PolicyError(f"{where}: the last rule must match everything (an empty `when`)")
    return tuple(rules)


def parse_policy(data: Mapping[str, Any]) -> Policy:
    queues = dict(data.get("queues", {}))
    prompts = dict(data.get("prompts", {}))
    for needed in ("general", "restricted"):
        if needed not in queues:
            raise PolicyError(f"queues: missing {needed!r}")

    def check_route(rule_id: str, then: Mapping[str, Any]) -> None:
        if then.get("action") not in ACTIONS:
            raise PolicyError(f"rules {rule_id}: action must be one of {sorted(ACTIONS)}")
        if not then.get("queue") or not then.get("reason"):
            raise PolicyError(f"rules {rule_id}: queue and reason are required")
        prompt = then.get("prompt")
        if prompt is not None and prompt not in ("line_transition", "line_cancelled") and prompt not in prompts:
            raise PolicyError(f"rules {rule_id}: unknown prompt {prompt!r}")
        if then["queue"].split(":")[0] not in queues:
            raise PolicyError(f"rules {rule_id}: unknown queue {then['queue']!r}")

    def check_handover(rule_id: str, then: Mapping[str, Any]) -> None:
        if then.get("method") not in HANDOVER_METHODS or not then.get("reason"):
            raise PolicyError(f"handover {rule_id}: method ({sorted(HANDOVER_METHODS)}) and reason are required")

    for key in ("transition_default", "cancelled_default"):
        if key not in prompts:
            raise PolicyError(f"prompts: missing {key!r}")
    rules = _rules(list(data.get("rules", [])), "rules", check_route)
    _check_restricted_prompts(rules, prompts)
    return Policy(name=str(data.get("name", "custom")), label=str(data.get("label", "")), queues=queues,
                  prompts=prompts, rules=rules, handover=_rules(list(data.get("handover", [])), "handover",
                                                               check_handover))


@lru_cache(maxsize=8)
def load_policy(name_or_path: str = DEFAULT_POLICY) -> Policy:
    path = Path(name_or_path)
    if not path.is_absolute() and not path.exists():
        path = REFERENCE / name_or_path
    try:
        return parse_policy(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError) as exc:
        raise PolicyError(f"cannot read routing policy {path}: {exc}") from exc


# ---- one call ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    blacklisted: bool = False
    emergency: bool = False
    new_matter: bool = False


@dataclass(frozen=True)
class Call:
    dialled: str
    at: datetime
    caller: Caller = Caller()
    city: str | None = None
    # Numbers whose business zone / expert seats the caller of `decide` says are staffed; None (the
    # default) asks the rota instead (LineView.experts), a set given overrides it for that kind of seat.
    staffed_zones: frozenset[str] | None = None
    staffed_experts: frozenset[str] | None = None


@dataclass(frozen=True)
class Decision:
    action: str  # queue | linked_transfer
    queue: str  # general, restricted, business_zone:12333, expert_seats:12348, sub_center:12366, linked:110
    queue_label: str
    prompt: str | None
    priority: bool
    rule: str
    reason: str
    flags: tuple[str, ...]
    line: LineView | None
    ivr_menu: bool = False  # 12345 never plays a menu: straight to a human
    transfer_to: str | None = None


@dataclass(frozen=True)
class Handover:
    line: LineView
    method: str
    rule: str
    reason: str

    @property
    def method_label(self) -> str:
        return HANDOVER_METHODS[self.method]


class _Fmt(dict):  # type: ignore[type-arg]
    """str.format_map that leaves unknown placeholders visible instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fmt(template: str, values: dict[str, str]) -> str:
    return template.format_map(_Fmt(values)) if "{" in template else template


def _staffed(line: LineView, call: Call) -> bool:
    if line.seats == "business_zone":
        told = call.staffed_zones
    elif line.seats == "expert_seats":
        told = call.staffed_experts
    else:
        return line.seats == "own_seats"
    if told is not None:
        return line.number in told
    return bool(line.on_duty(call.at))


def facts_of(line: LineView | None, call: Call) -> dict[str, Any]:
    caller = call.caller
    base = {"blacklisted": caller.blacklisted, "emergency": caller.emergency, "new_matter": caller.new_matter}
    if line is None:
        return {**base, "known": False, "kind": None, "mode": None, "status": None, "period": "none",
                "seats": None, "seats_staffed": False}
    day = call.at.astimezone(CHINA_TZ).date()
    return {**base, "known": True, "kind": line.kind, "mode": line.mode, "status": line.status,
            "period": line.period(day), "seats": line.seats, "seats_staffed": _staffed(line, call)}


def _prompt(policy: Policy, key: str | None, line: LineView | None, values: dict[str, str]) -> str | None:
    if key is None:
        return None
    if key == "line_transition":
        text = (line.prompt if line else None) or policy.prompts["transition_default"]
    elif key == "line_cancelled":
        text = (line.prompt if line else None) or policy.prompts["cancelled_default"]
    else:
        text = policy.prompts[key]
    return _fmt(text, values)


def decide(snapshot: Snapshot, policy: Policy, call: Call) -> Decision:
    """Where the call goes and what is played. Never raises for an unknown number."""
    line = snapshot.find(call.dialled, call.city)
    facts = facts_of(line, call)
    rule = next(r for r in policy.rules if r.matches(facts))
    then = rule.then
    values = {"dialled": call.dialled, "number": line.number if line else call.dialled,
              "name": line.name if line else "未登记号码"}
    queue = _fmt(then["queue"], values)
    queue_label = policy.queues[queue.split(":", 1)[0]]
    if line is not None and ":" in queue:
        queue_label = f"{queue_label}（{line.name}）"
    flags = list(then.get("flags", ()))
    reason = _fmt(then["reason"], values)
    if call.caller.blacklisted and rule.id != "blacklist_restricted" and then["action"] == "queue":
        # The blacklist limits abuse, never access to help: say why this caller still got through.
        why = "紧急情况" if call.caller.emergency else "新诉求"
        flags.append("blacklisted_routed")
        reason += f"；来电人虽在黑名单内，但属{why}，照常接入"
    priority = call.caller.emergency and then["action"] == "queue"
    if priority:
        flags.append("priority")
    transfer_to = line.number if then["action"] == "linked_transfer" and line else None
    return Decision(action=then["action"], queue=queue, queue_label=queue_label,
                    prompt=_prompt(policy, then.get("prompt"), line, values), priority=priority, rule=rule.id,
                    reason=reason, flags=tuple(flags), line=line, transfer_to=transfer_to)


def handover(snapshot: Snapshot, policy: Policy, call: Call, number: str) -> Handover:
    """A specialist matter taken on 12345 that belongs to `number`'s line: three-way call or ticket."""
    line = snapshot.find(number, call.city)
    if line is None:
        raise NotFound("hotline_not_found", f"号码 {number} 未在热线归并清单中登记，无法转接")
    if line.kind == LineKind.MAIN:
        raise DomainError("handover_to_self", "不能转接给12345本号", status_code=422)
    facts = facts_of(line, call)
    rule = next(r for r in policy.handover if r.matches(facts))
    values = {"number": line.number, "name": line.name, "dialled": call.dialled}
    return Handover(line=line, method=rule.then["method"], rule=rule.id, reason=_fmt(rule.then["reason"], values))
