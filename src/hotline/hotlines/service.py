"""The only code that changes the hotline registry: registering a line, moving its consolidation
mode forward, its status, its transition prompt and its seats, and importing the reference lists;
and the reads that the API, the pages and the export need.

Each public function that changes state is one use case and owns its transaction (one commit).
Rules are checked (rules.py) before anything changes, so a refusal leaves nothing behind. Every
change appends a HotlineChange (who, when, what from → to, why) and an audit entry.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from hotline.errors import Conflict, DomainError, NotFound
from hotline.hotlines import reference, rules, snapshot
from hotline.hotlines.enums import (
    KIND_LABELS,
    MODE_LABELS,
    SEAT_LABELS,
    STATUS_LABELS,
    ChangeField,
    LineKind,
    LineStatus,
    MergeMode,
    SeatArrangement,
)
from hotline.hotlines.models import HotlineChange, HotlineLine
from hotline.hotlines.schemas import LineCreate, ModeChange, PromptChange, SeatsChange, StatusChange
from hotline.org.models import Jurisdiction, Unit
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor

F = ChangeField
KIND_ORDER = [LineKind.MAIN, LineKind.DEPARTMENT, LineKind.EMERGENCY, LineKind.UTILITY]


# ---- helpers -------------------------------------------------------------------------------------------


def _commit(db: Session) -> None:
    try:
        db.commit()
    except Exception:
        db.rollback()
        raise
    snapshot.changed(db.get_bind())


def _change(db: Session, line: HotlineLine, actor: Actor, now: datetime, what: ChangeField,
            before: str | None, after: str | None, reason: str | None) -> None:
    db.add(HotlineChange(line_id=line.id, at=now, field=what, from_value=before, to_value=after, reason=reason,
                         actor_id=actor.user_id, actor_name=actor.name, actor_role=str(actor.role)))
    detail = f"{line.city} {line.number} {what}: {before or '—'} → {after or '—'}"
    audit.record(db, actor=actor, at=now, action=f"hotline_{what}", object_type="hotline_line", object_id=line.id,
                 detail=f"{detail}；{reason}" if reason else detail)


def _load(db: Session, line_id: int, *, lock: bool = False) -> HotlineLine:
    stmt = select(HotlineLine).where(HotlineLine.id == line_id)
    if lock and db.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=HotlineLine)
    line = db.execute(stmt).unique().scalar_one_or_none()
    if line is None:
        raise NotFound("hotline_not_found", f"热线 {line_id} 不存在")
    return line


def _period_text(start: date | None, end: date | None) -> str:
    if start is None:
        return "未设置"
    return f"{start.isoformat()} 至 {end.isoformat() if end else '（未定）'}"


def _prompt_text(line: HotlineLine) -> str:
    period = _period_text(line.transition_start, line.transition_end)
    return f"提示语：{line.transition_prompt or '（默认）'}；过渡期：{period}"


def _jurisdiction(db: Session, code: str | None) -> Jurisdiction | None:
    if not code:
        return None
    row = db.execute(select(Jurisdiction).where(Jurisdiction.code == code)).scalar_one_or_none()
    if row is None:
        raise DomainError("unknown_jurisdiction", f"属地代码 {code} 不存在", status_code=422)
    return row


def _strip_city(name: str, city: str) -> str:
    """市民政局 / 南京市民政局 / 南京住房公积金管理中心 → 民政局 / 住房公积金管理中心."""
    for prefix in (city, city.removesuffix("市"), "市"):  # one prefix only: 南京市市场监督管理局 keeps 市场
        if prefix and name.startswith(prefix):
            return name[len(prefix):]
    return name


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _city(db: Session, typed: str, own: str) -> str:
    """The city as the registry already spells it: 南京 typed beside 南京市 is that city (QA: it was
    registered as a second city, with the same number again, and its progress counted apart); a name
    without a Chinese character (12) is no city."""
    typed = "".join(typed.split())
    known = {own, *cities(db)}
    if typed in known:
        return typed
    same = [c for c in known if c.removesuffix("市") == typed.removesuffix("市")]
    if same:
        return same[0]
    if not _CJK.search(typed):
        raise DomainError("bad_city", f"城市“{typed}”无效：请填写城市的中文名称，如 {own}", status_code=422)
    return typed


def match_unit(units: list[Unit], owner: str | None, city: str) -> Unit | None:
    """The unit a consolidation list's 责任单位 names: same name once the city prefix is dropped,
    else the only unit whose name starts with it (市卫生健康委 → 南京市卫生健康委员会)."""
    if not owner:
        return None
    want = _strip_city(owner, city)
    exact = [u for u in units if want in (_strip_city(u.name, city), _strip_city(u.short_name, city))]
    if len(exact) == 1:
        return exact[0]
    prefixed = [u for u in units if _strip_city(u.name, city).startswith(want)]
    return prefixed[0] if len(prefixed) == 1 else None


# ---- reads ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineFilters:
    city: str | None = None
    kind: LineKind | None = None
    mode: MergeMode | None = None
    status: LineStatus | None = None
    seats: SeatArrangement | None = None
    text: str | None = None


def _conditions(f: LineFilters) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.city:
        conds.append(HotlineLine.city == f.city)
    if f.kind:
        conds.append(HotlineLine.kind == f.kind)
    if f.mode:
        conds.append(HotlineLine.merge_mode == f.mode)
    if f.status:
        conds.append(HotlineLine.status == f.status)
    if f.seats:
        conds.append(HotlineLine.seat_arrangement == f.seats)
    if f.text:
        words = f.text.strip()
        conds.append(or_(HotlineLine.number.contains(words, autoescape=True),
                         HotlineLine.name.contains(words, autoescape=True),
                         HotlineLine.owner_name.contains(words, autoescape=True)))
    return conds


def list_lines(db: Session, *, actor: Actor, filters: LineFilters, page: int = 1,
               page_size: int = 20) -> tuple[list[HotlineLine], int]:
    rules.ensure_reader(actor)
    conds = _conditions(filters)
    total = db.execute(select(func.count(HotlineLine.id)).where(*conds)).scalar_one()
    kind_rank = case({str(k): i for i, k in enumerate(KIND_ORDER)}, value=HotlineLine.kind, else_=9)
    rows = db.execute(
        select(HotlineLine).where(*conds).order_by(HotlineLine.city, kind_rank, HotlineLine.merge_mode,
                                                   HotlineLine.number)
        .limit(page_size).offset((max(page, 1) - 1) * page_size)
    ).unique().scalars()
    return list(rows), total


def get(db: Session, *, actor: Actor, line_id: int) -> HotlineLine:
    rules.ensure_reader(actor)
    return _load(db, line_id)


def history(db: Session, *, actor: Actor, line_id: int) -> list[HotlineChange]:
    rules.ensure_reader(actor)
    _load(db, line_id)
    rows = db.execute(select(HotlineChange).where(HotlineChange.line_id == line_id)
                      .order_by(HotlineChange.at.desc(), HotlineChange.id.desc()))
    return list(rows.scalars())


def cities(db: Session) -> list[str]:
    return list(db.execute(select(HotlineLine.city).distinct().order_by(HotlineLine.city)).scalars())


@dataclass
class Progress:
    city: str
    department_lines: int = 0
    linked_lines: int = 0
    by_mode: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    done: int = 0
    in_transition: int = 0

    @property
    def percent_done(self) -> float:
        return round(100.0 * self.done / self.department_lines, 1) if self.department_lines else 0.0


def progress(db: Session, *, actor: Actor, city: str | None = None) -> list[Progress]:
    """Consolidation per city, counted in SQL: a department line is done when it is kept beside
    12345 (dual number, sub-center) or its number is cancelled; a full merge still ringing is not."""
    rules.ensure_reader(actor)
    stmt = select(HotlineLine.city, HotlineLine.kind, HotlineLine.merge_mode, HotlineLine.status,
                  func.count(HotlineLine.id)).group_by(HotlineLine.city, HotlineLine.kind, HotlineLine.merge_mode,
                                                       HotlineLine.status)
    if city:
        stmt = stmt.where(HotlineLine.city == city)
    out: dict[str, Progress] = {}
    for city_name, kind, mode, status, n in db.execute(stmt):
        p = out.setdefault(city_name, Progress(city=city_name))
        if kind in (LineKind.EMERGENCY, LineKind.UTILITY):
            p.linked_lines += n
        if kind != LineKind.DEPARTMENT:
            continue
        p.department_lines += n
        p.by_mode[mode] += n
        p.by_status[status] += n
        if status == LineStatus.IN_TRANSITION:
            p.in_transition += n
        if status == LineStatus.CANCELLED or (mode != MergeMode.FULL_MERGE and status == LineStatus.ACTIVE):
            p.done += n
    return [out[k] for k in sorted(out)]


# ---- changes -------------------------------------------------------------------------------------------


def create(db: Session, rt: Runtime, *, actor: Actor, data: LineCreate) -> HotlineLine:
    """Register a line. A new department hotline is refused without an approval on record."""
    rules.ensure_admin(actor)
    number = rules.check_number(data.number)
    kind, mode = LineKind(data.kind), MergeMode(data.merge_mode)
    rules.check_kind_mode(kind, mode)
    rules.check_service(kind, data.service)
    seats = data.seat_arrangement
    if mode == MergeMode.SUB_CENTER and seats == SeatArrangement.NONE:
        seats = SeatArrangement.OWN_SEATS
    rules.check_seats(mode, seats)
    rules.check_new_status(kind, mode, data.status)
    rules.check_period(data.transition_start, data.transition_end)
    rules.check_approval(kind, data.approval_document, data.approval_by)
    city = _city(db, data.city, rt.settings.city_name)
    if db.execute(select(HotlineLine.id).where(HotlineLine.city == city, HotlineLine.number == number)).first():
        raise Conflict("hotline_exists", f"{city}已登记号码 {number}")
    owner = db.get(Unit, data.owner_unit_id) if data.owner_unit_id is not None else None
    if data.owner_unit_id is not None and owner is None:
        raise DomainError("unknown_unit", f"责任单位编号 {data.owner_unit_id} 不存在"
                          "（请在单位管理中查看编号，或只填写责任单位名称）", status_code=422)
    jurisdiction = _jurisdiction(db, data.jurisdiction_code)
    now = rt.clock.now()
    approved = kind == LineKind.DEPARTMENT
    line = HotlineLine(
        city=city, number=number, name=data.name, kind=kind, merge_mode=mode, status=data.status,
        seat_arrangement=seats, service=data.service if kind == LineKind.UTILITY else None,
        owner_unit_id=owner.id if owner else None, owner_name=data.owner_name or (owner.name if owner else None),
        jurisdiction_id=jurisdiction.id if jurisdiction else None, transition_prompt=data.transition_prompt or None,
        transition_start=data.transition_start, transition_end=data.transition_end,
        approval_document=data.approval_document if approved else None,
        approval_by=data.approval_by if approved else None, approval_recorded_at=now if approved else None,
        approval_recorded_by_id=actor.user_id if approved else None,
        source=data.approval_document if approved else None,
        note=data.note or None, created_at=now, updated_at=now,
    )
    db.add(line)
    db.flush()
    summary = f"{KIND_LABELS[kind]}·{MODE_LABELS[mode]}·{STATUS_LABELS[data.status]}·{SEAT_LABELS[seats]}"
    if approved:
        summary += f"；批准文号 {data.approval_document}，批准人 {data.approval_by}"
    _change(db, line, actor, now, F.CREATE, None, summary, data.reason)
    _commit(db)
    return line


def change_mode(db: Session, rt: Runtime, *, actor: Actor, line_id: int, data: ModeChange) -> HotlineLine:
    """Move the consolidation forward (设分中心 → 双号并行 → 整体并入). Reaching a full merge starts
    the number's transition (status in transition) when it was in service."""
    rules.ensure_admin(actor)
    line = _load(db, line_id, lock=True)
    current, target = MergeMode(line.merge_mode), MergeMode(data.merge_mode)
    rules.check_mode_change(LineKind(line.kind), LineStatus(line.status), current, target)
    now = rt.clock.now()
    line.merge_mode = target
    _change(db, line, actor, now, F.MODE, current, target, data.reason)
    seats = rules.seats_after_mode(target, SeatArrangement(line.seat_arrangement))
    if seats != line.seat_arrangement:
        _change(db, line, actor, now, F.SEATS, line.seat_arrangement, seats, "归并方式变更，座席随之并入12345")
        line.seat_arrangement = seats
    if target == MergeMode.FULL_MERGE and line.status == LineStatus.ACTIVE:
        _change(db, line, actor, now, F.STATUS, line.status, LineStatus.IN_TRANSITION, "整体并入，号码进入过渡期")
        line.status = LineStatus.IN_TRANSITION
    line.updated_at = now
    _commit(db)
    return line


def change_status(db: Session, rt: Runtime, *, actor: Actor, line_id: int, data: StatusChange) -> HotlineLine:
    rules.ensure_admin(actor)
    line = _load(db, line_id, lock=True)
    current, target = LineStatus(line.status), LineStatus(data.status)
    rules.check_status_change(LineKind(line.kind), MergeMode(line.merge_mode), current, target)
    now = rt.clock.now()
    line.status = target
    line.updated_at = now
    _change(db, line, actor, now, F.STATUS, current, target, data.reason)
    _commit(db)
    return line


def change_prompt(db: Session, rt: Runtime, *, actor: Actor, line_id: int, data: PromptChange) -> HotlineLine:
    """The transition prompt and its period (local dates, both inclusive)."""
    rules.ensure_admin(actor)
    line = _load(db, line_id, lock=True)
    if line.kind != LineKind.DEPARTMENT:
        raise DomainError("prompt_not_applicable", "只有部门热线在归并过渡期播放语音提示", status_code=422)
    if line.merge_mode != MergeMode.FULL_MERGE:
        raise DomainError("prompt_needs_full_merge", "保留号码的热线（双号并行、设分中心）没有过渡期语音提示；"
                          "须先变更为整体并入", status_code=422)
    rules.check_period(data.transition_start, data.transition_end)
    before = _prompt_text(line)
    line.transition_prompt = data.transition_prompt or None
    line.transition_start = data.transition_start
    line.transition_end = data.transition_end
    after = _prompt_text(line)
    if before == after:
        db.rollback()
        raise DomainError("nothing_changed", "提示语和过渡期均未改变", status_code=422)
    now = rt.clock.now()
    line.updated_at = now
    _change(db, line, actor, now, F.PROMPT, before[:500], after[:500], data.reason)
    _commit(db)
    return line


def change_seats(db: Session, rt: Runtime, *, actor: Actor, line_id: int, data: SeatsChange) -> HotlineLine:
    rules.ensure_admin(actor)
    line = _load(db, line_id, lock=True)
    if line.status == LineStatus.CANCELLED:
        raise DomainError("line_cancelled", "号码已注销，不能调整座席安排", status_code=409)
    target = SeatArrangement(data.seat_arrangement)
    rules.check_seats(MergeMode(line.merge_mode), target)
    if target == line.seat_arrangement:
        raise DomainError("nothing_changed", f"座席安排已是“{SEAT_LABELS[target]}”", status_code=422)
    now = rt.clock.now()
    _change(db, line, actor, now, F.SEATS, line.seat_arrangement, target, data.reason)
    line.seat_arrangement = target
    line.updated_at = now
    _commit(db)
    return line


# ---- import of the reference lists ---------------------------------------------------------------------


@dataclass
class ImportSummary:
    created: list[str] = field(default_factory=list)
    linked_units: list[str] = field(default_factory=list)
    unchanged: int = 0
    pending: list[str] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.linked_units)


def import_reference(db: Session, rt: Runtime, *, actor: Actor, path: Path | None = None,
                     cities: list[str] | None = None) -> ImportSummary:
    """Create the lines of the reference lists that are not registered yet. A line already present is
    never overwritten (an administrator may have moved it on since); its owner unit is linked when it
    had none and a unit of that name now exists. Running it twice changes nothing the second time."""
    data = reference.load(path)
    if not data.cities:  # QA: a file with no city "imported" nothing and said 城市： with nothing after it
        raise DomainError("empty_reference", "清单中没有任何城市的热线（cities 为空）", status_code=422)
    wanted = [c for c in data.cities if not cities or c.city in cities]
    unknown = sorted(set(cities or []) - {c.city for c in data.cities})
    if unknown:
        known = "、".join(c.city for c in data.cities)
        raise DomainError("unknown_city", f"清单中没有{'、'.join(unknown)}（可选：{known}）", status_code=422)
    units = list(db.execute(select(Unit)).unique().scalars())
    now = rt.clock.now()
    summary = ImportSummary(cities=[c.city for c in wanted])
    existing = {(x.city, x.number): x for x in db.execute(
        select(HotlineLine).where(HotlineLine.city.in_(summary.cities))).unique().scalars()}
    for c in wanted:
        jurisdiction = db.execute(select(Jurisdiction).where(Jurisdiction.code == c.jurisdiction_code)
                                  ).scalar_one_or_none() if c.jurisdiction_code else None
        rows: list[dict[str, object]] = [dict(kind=LineKind.MAIN, mode=MergeMode.NONE, number=c.main.number,
                                              name=c.main.name, owner=c.main.owner, seats=SeatArrangement.NONE,
                                              note=c.main.note)]
        for x in c.lines:
            rows.append(dict(kind=LineKind.DEPARTMENT, mode=x.mode, number=x.number, name=x.name, owner=x.owner,
                             seats=x.seats, note=x.note))
        for y in c.linked:
            rows.append(dict(kind=LineKind(y.kind), mode=MergeMode.NONE, number=y.number, name=y.name,
                             owner=y.owner, seats=SeatArrangement.NONE, note=y.note, service=y.service))
        for row in rows:
            number = str(row["number"])
            unit = match_unit(units, row["owner"], c.city)  # type: ignore[arg-type]
            line = existing.get((c.city, number))
            if line is not None:
                if line.owner_unit_id is None and unit is not None:
                    line.owner_unit_id = unit.id
                    line.updated_at = now
                    _change(db, line, actor, now, F.DETAILS, "责任单位未关联", f"责任单位关联：{unit.name}",
                            "清单导入：按单位名称关联")
                    summary.linked_units.append(f"{c.city} {number} → {unit.name}")
                else:
                    summary.unchanged += 1
                continue
            kind, mode, seats = LineKind(row["kind"]), MergeMode(row["mode"]), SeatArrangement(row["seats"])
            rules.check_kind_mode(kind, mode)
            rules.check_seats(mode, seats)
            merging = mode == MergeMode.FULL_MERGE
            line = HotlineLine(
                city=c.city, number=number, name=str(row["name"]), kind=kind, merge_mode=mode,
                status=LineStatus.IN_TRANSITION if merging else LineStatus.ACTIVE, seat_arrangement=seats,
                service=row.get("service"),  # type: ignore[arg-type]
                owner_unit_id=unit.id if unit else None, owner_name=row["owner"],
                jurisdiction_id=jurisdiction.id if jurisdiction else None,
                transition_start=c.issued if merging else None,
                source=c.source if kind == LineKind.DEPARTMENT else None,
                note=row["note"], created_at=now, updated_at=now,
            )
            db.add(line)
            db.flush()
            _change(db, line, actor, now, F.IMPORT, None,
                    f"{KIND_LABELS[kind]}·{MODE_LABELS[mode]}·{STATUS_LABELS[LineStatus(line.status)]}",
                    f"按{c.source}导入" if kind == LineKind.DEPARTMENT else "清单导入（联动热线）")
            summary.created.append(f"{c.city} {number} {line.name}")
        summary.pending.extend(f"{c.city}：{p.name}（{p.owner or '—'}）— {p.note}" for p in c.pending)
    if summary.changed:
        _commit(db)
    else:
        db.rollback()
    return summary
