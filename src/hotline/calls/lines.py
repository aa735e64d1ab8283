"""Where a call may be transferred: the national emergency lines (a constant), the utility lines and
the specialist lines — sub-centres, expert seats, business zones, with who is on duty and whether
routing hands over by three-way call — (from the hotline registry, hotline.hotlines, when that package
is installed), any other number."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.calls.enums import EMERGENCY_LINES, UTILITY_KINDS


@dataclass(frozen=True)
class ExpertTarget:
    id: int
    name: str
    department: str | None
    phone: str


@dataclass(frozen=True)
class Target:
    number: str
    kind: str  # emergency, utility, line
    label: str
    # a specialist line (kind line): its group, how routing hands over now, and who is on duty
    group: str | None = None  # sub_center, expert_seats, business_zone
    group_label: str | None = None
    method: str | None = None  # three_way_call, dispatch_ticket
    method_label: str | None = None
    reason: str | None = None
    experts: tuple[ExpertTarget, ...] = ()

    @property
    def staffed(self) -> bool:
        return self.method == "three_way_call"


def _registry() -> Any | None:
    """The registry's HotlineLine model, or None while hotline.hotlines is not installed."""
    try:
        return importlib.import_module("hotline.hotlines.models").HotlineLine
    except (ImportError, AttributeError):
        return None


def emergency_targets() -> list[Target]:
    return [Target(number, "emergency", label) for number, (_, label) in EMERGENCY_LINES.items()]


def utility_targets(db: Session, city: str | None = None) -> list[Target]:
    """Utility lines (水电气热) registered in the hotline registry for this city; empty without the
    registry (the registry's kind is "utility"; a water/power/gas/heating kind is accepted too)."""
    model = _registry()
    if model is None:
        return []
    query = select(model).where(model.kind.in_(["utility", *UTILITY_KINDS]))
    if hasattr(model, "status"):  # a cancelled line is no target (QA: 95598 stayed offered once cancelled)
        query = query.where(model.status != "cancelled")
    if city and hasattr(model, "city"):
        query = query.where(model.city == city)
    rows = db.execute(query).scalars().all()
    targets = []
    for line in rows:
        name = getattr(line, "name", None) or UTILITY_KINDS.get(line.kind, line.kind)
        targets.append(Target(str(line.number), "utility", f"{line.number} {name}"))
    return sorted(targets, key=lambda t: t.number)


def _hotlines(name: str) -> Any | None:
    try:
        return importlib.import_module(f"hotline.hotlines.{name}")
    except ImportError:
        return None


def _specialist(db: Session, city: str, at: datetime) -> list[Any]:
    targets, snapshot, routing = _hotlines("targets"), _hotlines("snapshot"), _hotlines("routing")
    if targets is None or snapshot is None or routing is None:
        return []
    snap = snapshot.current(db, default_city=city)
    return list(targets.line_targets(snap, routing.load_policy(), city=city, at=at))


def line_targets(db: Session, city: str, at: datetime) -> list[Target]:
    """The city's sub-centres and lines with expert seats / a business zone, grouped (sub-centres first):
    three-way call when routing says so now (the seats staffed by the rota), else a ticket."""
    return [Target(number=t.line.number, kind="line", label=f"{t.line.number} {t.line.name}", group=t.group,
                   group_label=t.group_label, method=t.method, method_label=t.method_label, reason=t.reason,
                   experts=tuple(ExpertTarget(e.id, e.name, e.department, e.phone) for e in t.on_duty))
            for t in _specialist(db, city, at)]


def unreachable(db: Session, number: str, city: str, at: datetime) -> str | None:
    """Why a transfer to this registered line cannot be made now (a fully merged line rings 12345 again,
    unless an expert on its rota is on duty), or None; None too without the registry."""
    targets, snapshot = _hotlines("targets"), _hotlines("snapshot")
    if targets is None or snapshot is None:
        return None
    line = snapshot.current(db, default_city=city).find(number, city)
    return targets.unreachable(line, at) if line is not None else None


def specialist(db: Session, number: str, city: str, at: datetime) -> Target | None:
    """The specialist target of that number in the city now, or None when the number is none."""
    return next((t for t in line_targets(db, city, at) if t.number == number), None)


def describe(db: Session, number: str, city: str | None = None) -> tuple[str, str]:
    """(kind, label) of a transfer target number (the city's own line of that number first)."""
    if number in EMERGENCY_LINES:
        return "emergency", EMERGENCY_LINES[number][1]
    model = _registry()
    if model is not None:
        query = select(model).where(model.number == number)
        if city and hasattr(model, "city"):  # another city's line of the same number names nothing here
            query = query.where(model.city == city)
        line = db.execute(query.limit(1)).scalars().first()
        if line is not None:
            kind = "utility" if getattr(line, "kind", None) in ("utility", *UTILITY_KINDS) else "line"
            return kind, f"{number} {getattr(line, 'name', '') or ''}".strip()
    return "other", number


# The queues a call waits in, as the hall reads them: the routing policy's own (general, expert_seats …)
# and the skill queues a PBX commonly has for merged lines (企业、人社、公积金 …); a code the platform does
# not know is shown as sent.
QUEUE_LABELS = {"enterprise": "企业服务专席", "hr_social": "人社专席", "housing_fund": "公积金专席",
                "medical_insurance": "医保专席", "market": "市场监管专席", "tax": "税务专席", "english": "外语专席"}


def queue_label(code: str | None) -> str:
    """A queue's name in Chinese (QA: the wall, the missed-call list and the call page said general)."""
    if not code:
        return "—"
    from hotline.hotlines.routing import load_policy  # the routing policy names the hotline's own queues

    base, _, line = code.partition(":")
    label = load_policy().queues.get(base) or QUEUE_LABELS.get(base)
    if label is None:
        return code
    # whose experts or zone: 专家座席（12333）, not 专家座席 for every line's (QA)
    return f"{label}（{line}）" if line else label
