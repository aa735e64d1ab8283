"""The dispatch catalogue's rules: validation, editing (audited) and the decision for a ticket.

A decision picks, among the active rules that cover a ticket, the most specific one: the longest
category prefix first (what the matter is decides the department), then the deepest place (the
same matter in a district may belong to its district government), then a rule for the ticket's
kind over a rule for any kind. The runners-up are kept as alternatives for the dispatcher."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from threading import Lock

from pydantic import BaseModel, Field
from sqlalchemy import func, literal, or_, select
from sqlalchemy.orm import Session

from hotline.dispatch.models import DispatchRule, rule_key
from hotline.errors import Conflict, DomainError, Forbidden, NotFound
from hotline.org.models import Jurisdiction, Unit, UnitKind
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.models import AuditEntry
from hotline.security.roles import Role
from hotline.tickets.categories import catalogue, full_name
from hotline.tickets.enums import KIND_LABELS, Kind

EDIT_ROLES = frozenset({Role.DISPATCHER, Role.ADMIN, Role.SYSTEM})
READ_ROLES = EDIT_ROLES | {Role.SUPERVISOR, Role.ANALYST, Role.OPERATOR, Role.SYSTEM}


class RuleIn(BaseModel):
    category_prefix: str | None = Field(default=None, max_length=16)
    jurisdiction_code: str | None = Field(default=None, max_length=32)
    kind: Kind | None = None
    lead_unit_code: str = Field(min_length=1, max_length=64)
    assisting_unit_codes: list[str] = Field(default_factory=list, max_length=10)
    note: str | None = Field(default=None, max_length=300)


@dataclass(frozen=True)
class Candidate:
    rule_id: int
    lead_unit_id: int
    lead_unit_name: str
    assisting_unit_ids: list[int]
    explanation: str
    specificity: tuple[int, int, int]


@dataclass(frozen=True)
class Decision:
    chosen: Candidate
    alternatives: list[Candidate] = field(default_factory=list)


def ensure_may_read(actor: Actor, what: str = "派单目录") -> None:
    """The catalogue and the place names (地名库) are read and changed by the same people."""
    if actor.role not in READ_ROLES:
        raise Forbidden("forbidden", f"无权查看{what}")


def ensure_may_edit(actor: Actor, what: str = "派单目录") -> None:
    if actor.role not in EDIT_ROLES:
        raise Forbidden("forbidden", f"无权修改{what}：仅派单员和管理员可修改")


def _unit(db: Session, code: str, what: str) -> Unit:
    unit = db.execute(select(Unit).where(Unit.code == code.strip())).unique().scalar_one_or_none()
    if unit is None:
        raise DomainError("unknown_unit", f"{what}代码“{code}”不存在", status_code=422)
    if not unit.active:
        raise DomainError("inactive_unit", f"{what}“{unit.name}”已停用，不能写入派单目录", status_code=422)
    if unit.kind == UnitKind.HOTLINE_CENTER:  # the centre dispatches; it does not handle
        raise DomainError("not_a_handling_unit", f"{what}须为承办单位：“{unit.name}”是热线中心本身", status_code=422)
    return unit


def resolve(db: Session, data: RuleIn) -> tuple[str | None, Jurisdiction | None, Unit, list[Unit]]:
    prefix = (data.category_prefix or "").strip() or None
    if prefix is not None and prefix not in catalogue():
        raise DomainError("unknown_category", f"诉求分类代码“{prefix}”不存在", status_code=422)
    place = None
    if data.jurisdiction_code and data.jurisdiction_code.strip():
        place = db.execute(select(Jurisdiction).where(Jurisdiction.code == data.jurisdiction_code.strip())).scalar()
        if place is None:
            raise DomainError("unknown_jurisdiction", f"属地代码“{data.jurisdiction_code}”不存在", status_code=422)
        if place.level == "province":  # wider than the city: it would outrank the city-wide rule
            raise DomainError("place_too_broad", f"派单规则的属地应为本市或其下的区县、街道，“{place.name}”范围过大；"
                                                 "全市适用的规则请不填属地", status_code=422)
    lead = _unit(db, data.lead_unit_code, "主办单位")
    assisting: list[Unit] = []
    for code in data.assisting_unit_codes:
        if not code.strip():
            continue
        unit = _unit(db, code, "协办单位")
        if unit.id == lead.id:
            raise DomainError("lead_also_assisting", f"“{unit.name}”已是主办单位，不能同时作为协办单位",
                              status_code=422)
        if unit.id not in {u.id for u in assisting}:
            assisting.append(unit)
    if prefix is None and place is None:
        raise DomainError("rule_too_broad", "规则至少要限定诉求分类或属地之一", status_code=422)
    return prefix, place, lead, assisting


def save_rule(db: Session, rt: Runtime, *, actor: Actor, data: RuleIn, rule_id: int | None = None,
              expected_version: int | None = None) -> DispatchRule:
    """Create a rule, or change one (its version goes up). One rule per (category, place, kind).
    `expected_version`: the version the editor's form was opened on; a rule changed since is refused
    rather than overwritten (QA: two dispatchers editing one rule, the second silently undid the first)."""
    ensure_may_edit(actor)
    if rule_id is not None:
        get_rule(db, rule_id)  # a rule that does not exist is a 404, whatever the data
    prefix, place, lead, assisting = resolve(db, data)
    key = rule_key(prefix, place.id if place else None, str(data.kind) if data.kind else None)
    clash = db.execute(select(DispatchRule.id).where(DispatchRule.rule_key == key)).scalar()
    if clash is not None and clash != rule_id:
        raise Conflict("duplicate_rule", f"已有相同分类、属地和类型的规则（编号 {clash}），请直接修改该规则")
    now = rt.clock.now()
    if rule_id is None:
        rule = DispatchRule(created_at=now, version=1, active=True)
        db.add(rule)
        action = "create_dispatch_rule"
    else:
        rule = get_rule(db, rule_id)
        if (rule.rule_key, rule.lead_unit_id, list(rule.assisting_unit_ids), rule.note) == (
                key, lead.id, [u.id for u in assisting], (data.note or "").strip() or None):
            return rule  # saved as it was: no new version, no 修改 in its history (QA)
        if expected_version is not None and rule.version != expected_version:
            raise Conflict("rule_changed", f"此规则在您打开后已被他人修改（现为第 {rule.version} 版："
                                           f"{describe(db, rule)}），页面已显示最新内容，请核对后再保存")
        rule.version += 1
        action = "update_dispatch_rule"
    rule.rule_key = key
    rule.category_prefix = prefix
    rule.jurisdiction = place
    rule.jurisdiction_path = place.path if place else None
    rule.kind = str(data.kind) if data.kind else None
    rule.lead_unit = lead
    rule.assisting_unit_ids = [u.id for u in assisting]
    rule.note = (data.note or "").strip() or None
    rule.updated_at = now
    rule.updated_by_id = actor.user_id
    db.flush()
    audit.record(db, actor=actor, at=now, action=action, object_type="dispatch_rule", object_id=rule.id,
                 detail=describe(db, rule))
    return rule


def set_active(db: Session, rt: Runtime, *, actor: Actor, rule_id: int, active: bool) -> DispatchRule:
    ensure_may_edit(actor)
    rule = get_rule(db, rule_id)
    if rule.active != active:
        rule.active = active
        rule.version += 1
        rule.updated_at = rt.clock.now()
        rule.updated_by_id = actor.user_id
        audit.record(db, actor=actor, at=rule.updated_at, object_type="dispatch_rule", object_id=rule.id,
                     action="enable_dispatch_rule" if active else "disable_dispatch_rule", detail=describe(db, rule))
    return rule


HISTORY_LABELS = {"create_dispatch_rule": "新增", "update_dispatch_rule": "修改", "enable_dispatch_rule": "启用",
                  "disable_dispatch_rule": "停用", "import_dispatch_rule": "导入"}


def history(db: Session, rule_id: int, *, limit: int = 50) -> list[AuditEntry]:
    """A rule's changes, newest first, from the audit log (each with what the rule then said)."""
    return list(db.execute(select(AuditEntry).where(AuditEntry.object_type == "dispatch_rule",
                                                    AuditEntry.object_id == str(rule_id))
                           .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)).scalars())


def get_rule(db: Session, rule_id: int) -> DispatchRule:
    rule = db.get(DispatchRule, rule_id)
    if rule is None:
        raise NotFound("not_found", f"派单目录规则 {rule_id} 不存在")
    return rule


def list_rules(db: Session, *, q: str | None = None, category: str | None = None, unit_id: int | None = None,
               active: bool | None = None, page: int = 1, page_size: int = 50) -> tuple[list[DispatchRule], int]:
    conds = []
    if category:
        conds.append(DispatchRule.category_prefix.startswith(category.strip(), autoescape=True))
    if unit_id:
        conds.append(DispatchRule.lead_unit_id == unit_id)
    if active is not None:
        conds.append(DispatchRule.active.is_(active))
    if q and q.strip():
        text = q.strip()
        unit_ids = select(Unit.id).where(or_(Unit.name.contains(text, autoescape=True),
                                             Unit.short_name.contains(text, autoescape=True)))
        place_ids = select(Jurisdiction.id).where(or_(Jurisdiction.name.contains(text, autoescape=True),
                                                      Jurisdiction.code == text))
        # a category by its name anywhere in the path the list shows (环境保护 / 大气污染), or by code
        bare = text.replace(" ", "")
        codes = [c.code for c in catalogue().values()
                 if bare in full_name(c.code).replace(" ", "") or c.code.startswith(text)]
        conds.append(or_(DispatchRule.lead_unit_id.in_(unit_ids), DispatchRule.jurisdiction_id.in_(place_ids),
                         DispatchRule.note.contains(text, autoescape=True),
                         DispatchRule.category_prefix.in_(codes) if codes else literal(False)))
    total = db.execute(select(func.count(DispatchRule.id)).where(*conds)).scalar_one()
    rows = db.execute(select(DispatchRule).where(*conds)
                      .order_by(DispatchRule.category_prefix.is_(None), DispatchRule.category_prefix,
                                DispatchRule.jurisdiction_path.is_(None), DispatchRule.jurisdiction_path,
                                DispatchRule.id)
                      .limit(page_size).offset((max(page, 1) - 1) * page_size)).unique().scalars().all()
    return list(rows), int(total)


def _unit_names(db: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.execute(select(Unit.id, Unit.short_name).where(Unit.id.in_(ids))).all())


def explain(rule: DispatchRule, unit_names: dict[int, str], assisting: list[int] | None = None) -> str:
    """'市生态环境局：分类「环境保护 / 大气污染」，属地「鼓楼区」' — why this rule picks this unit."""
    parts = []
    if rule.category_prefix:
        parts.append(f"分类「{full_name(rule.category_prefix)}」")
    parts.append(f"属地「{rule.jurisdiction.name}」" if rule.jurisdiction else "全市")
    if rule.kind:
        parts.append(f"类型「{KIND_LABELS[Kind(rule.kind)]}」")
    text = f"{unit_names.get(rule.lead_unit_id, rule.lead_unit.short_name)}：{'，'.join(parts)}"
    assisting = rule.assisting_unit_ids if assisting is None else assisting
    if assisting:
        text += "；协办 " + "、".join(unit_names.get(u, str(u)) for u in assisting)
    return text


def describe(db: Session, rule: DispatchRule) -> str:
    return explain(rule, _unit_names(db, [rule.lead_unit_id, *rule.assisting_unit_ids]))


@dataclass(frozen=True)
class _Snapshot:
    """The active rules in memory, by category prefix ("" for any), each with its explanation."""

    stamp: tuple[int, int, int, int]
    by_prefix: dict[str, list[tuple[str | None, str | None, Candidate]]]  # (place path, kind, candidate)


_snapshots: dict[str, _Snapshot] = {}
_snap_lock = Lock()


def _snapshot(db: Session) -> _Snapshot:
    """Rebuilt when a rule is added or changed: every change raises a version, so the sum of versions
    with the count and the highest id moves whatever the clock says (rules are never deleted; code
    that deletes them, like the tests' clean-up, calls forget())."""
    row = db.execute(select(func.count(DispatchRule.id), func.coalesce(func.sum(DispatchRule.version), 0),
                            func.coalesce(func.max(DispatchRule.id), 0))).one()
    # Units switched off (or on) change what may be proposed: their count is part of the stamp.
    inactive = db.execute(select(func.count(Unit.id)).where(Unit.active.is_(False))).scalar_one()
    stamp = (int(row[0]), int(row[1]), int(row[2]), int(inactive))
    key = str(db.get_bind().url)
    with _snap_lock:
        snap = _snapshots.get(key)
    if snap is not None and snap.stamp == stamp:
        return snap
    rows = db.execute(select(DispatchRule).join(Unit, Unit.id == DispatchRule.lead_unit_id)
                      .where(DispatchRule.active.is_(True), Unit.active.is_(True))).unique().scalars().all()
    inactive_ids = set(db.execute(select(Unit.id).where(Unit.active.is_(False))).scalars())
    names = _unit_names(db, sorted({u for r in rows for u in (r.lead_unit_id, *r.assisting_unit_ids)}))
    by_prefix: dict[str, list[tuple[str | None, str | None, Candidate]]] = {}
    for r in rows:  # plain values only: nothing of the session is kept
        assisting = [u for u in r.assisting_unit_ids if u not in inactive_ids]
        candidate = Candidate(rule_id=r.id, lead_unit_id=r.lead_unit_id,
                              lead_unit_name=names.get(r.lead_unit_id, str(r.lead_unit_id)),
                              assisting_unit_ids=assisting, explanation=explain(r, names, assisting),
                              specificity=_specificity(r))
        by_prefix.setdefault(r.category_prefix or "", []).append((r.jurisdiction_path, r.kind, candidate))
    snap = _Snapshot(stamp=stamp, by_prefix=by_prefix)
    with _snap_lock:
        _snapshots[key] = snap
    return snap


def forget() -> None:
    with _snap_lock:
        _snapshots.clear()


def decide(db: Session, *, category_code: str | None, jurisdiction_path: str | None,
           kind: str | None) -> Decision | None:
    """The catalogue's answer for a ticket, or None when no active rule covers it."""
    snap = _snapshot(db)
    code, path = category_code or "", jurisdiction_path or ""
    prefixes = [""] + [code[:i] for i in range(2, len(code) + 1, 2)]
    matches = [c for p in prefixes for place, rule_kind, c in snap.by_prefix.get(p, ())
               if (place is None or (path and path.startswith(place))) and (rule_kind is None or rule_kind == kind)]
    if not matches:
        return None
    ranked = sorted(matches, key=lambda c: (c.specificity, -c.rule_id), reverse=True)
    seen = {ranked[0].lead_unit_id}
    alternatives = []
    for c in ranked[1:]:
        if c.lead_unit_id not in seen:
            seen.add(c.lead_unit_id)
            alternatives.append(c)
    return Decision(chosen=ranked[0], alternatives=alternatives)


def has_narrower(db: Session, category_code: str) -> bool:
    """Whether an active rule names a category below this one (0401 under 04): a decision for the
    category alone would then fall to a broader rule than the catalogue means."""
    snap = _snapshot(db)
    return any(len(prefix) > len(category_code) and prefix.startswith(category_code) for prefix in snap.by_prefix)


def _specificity(rule: DispatchRule) -> tuple[int, int, int]:
    depth = (rule.jurisdiction_path or "").count("/")
    return (len(rule.category_prefix or ""), depth, 1 if rule.kind else 0)


def seed(db: Session, rt: Runtime, *, actor: Actor, by_category: list[tuple[str, str]],
         by_place: list[tuple[str, str]], local: Sequence[tuple[str, str, str]] = ()) -> int:
    """Write a starting catalogue (e.g. for the demo city): category prefix → unit code, then
    jurisdiction code → unit code for matters that belong to where they happen, then (category,
    jurisdiction code) → unit code for the categories a place's own office handles (属地管理: square
    dancing noise goes to the street, not to the city's environment bureau). The first owner listed
    for a prefix leads; the others are left to the dispatcher. Existing rules are kept."""
    existing = set(db.execute(select(DispatchRule.rule_key)).scalars())
    made = 0
    seen: set[str] = set()
    for prefix, unit_code in by_category:
        if prefix in seen:
            continue
        seen.add(prefix)
        if rule_key(prefix, None, None) not in existing:
            save_rule(db, rt, actor=actor, data=RuleIn(category_prefix=prefix, lead_unit_code=unit_code))
            made += 1
    for place_code, unit_code in by_place:
        place_id = db.execute(select(Jurisdiction.id).where(Jurisdiction.code == place_code)).scalar()
        if place_id is not None and rule_key(None, place_id, None) not in existing:
            save_rule(db, rt, actor=actor, data=RuleIn(jurisdiction_code=place_code, lead_unit_code=unit_code))
            made += 1
    places = dict(db.execute(select(Jurisdiction.code, Jurisdiction.id)
                             .where(Jurisdiction.code.in_({code for _, code, _ in local}))).all())
    for prefix, place_code, unit_code in local:
        place_id = places.get(place_code)
        if place_id is not None and rule_key(prefix, place_id, None) not in existing:
            save_rule(db, rt, actor=actor, data=RuleIn(category_prefix=prefix, jurisdiction_code=place_code,
                                                       lead_unit_code=unit_code))
            made += 1
    return made

