"""The only code that changes the rota of expert seats and business zones (专家座席值班, 国办发〔2020〕53号
三(一): 对设置专家座席的，各级部门要建立本行业专家选派和管理长效机制): who serves on which registry
line, where to ring them and their weekly duty slots; and the Excel import of a whole rota.

Each change is recorded in the line's history (field `experts`) and the audit log, which also tells
the routing snapshot to reload: routing and the hall's transfer targets then know by themselves
whether a line's expert seats are staffed. Nobody is deleted: leaving the rota is `active = False`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.dispatch.catalogue_excel import ImportResult
from hotline.errors import Conflict, DomainError, NotFound
from hotline.errors_http import chinese_message
from hotline.excel import sheet_rows, table_workbook
from hotline.hotlines import duty, rules, snapshot
from hotline.hotlines.enums import ROSTER_SEATS, ChangeField, LineKind, LineStatus
from hotline.hotlines.models import HotlineExpert, HotlineLine
from hotline.hotlines.schemas import CHOICES, EXPERT_LABELS, ExpertIn
from hotline.hotlines.service import _change, _commit, _load
from hotline.runtime import Runtime
from hotline.security.actor import Actor

COLUMNS = [("热线号码", 10), ("热线名称", 24), ("姓名", 10), ("所属部门", 24), ("联系电话或分机", 16),
           ("值班时间", 40), ("状态", 8), ("备注", 30)]
REQUIRED = ("热线号码", "姓名", "联系电话或分机")
MAX_ROWS = 2000
STATES = {"在岗": True, "值班": True, "启用": True, "停止值班": False, "停用": False}


def _summary(e: HotlineExpert) -> str:
    parts = [e.name, e.department or "", e.phone, duty.describe(duty.from_json(e.duty)) or "未排班"]
    return " ".join(p for p in parts if p) + ("" if e.active else "（停止值班）")


def rostered_line(db: Session, line_id: int, *, lock: bool = False) -> HotlineLine:
    """A line that takes a rota: a department line, not cancelled, with expert seats or a business zone."""
    line = _load(db, line_id, lock=lock)
    if line.kind != LineKind.DEPARTMENT or line.seat_arrangement not in ROSTER_SEATS:
        raise DomainError("line_takes_no_roster",
                          f"{line.number} {line.name}未设专家座席或业务专区，无需登记值班人员（可先调整座席安排）",
                          status_code=422)
    if line.status == LineStatus.CANCELLED:
        raise DomainError("line_cancelled", "号码已注销，不能调整值班人员", status_code=409)
    return line


def experts_of(db: Session, *, actor: Actor, line_id: int, include_inactive: bool = True) -> list[HotlineExpert]:
    rules.ensure_reader(actor)
    _load(db, line_id)
    conds = [HotlineExpert.line_id == line_id]
    if not include_inactive:
        conds.append(HotlineExpert.active.is_(True))
    return list(db.execute(select(HotlineExpert).where(*conds)
                           .order_by(HotlineExpert.active.desc(), HotlineExpert.name, HotlineExpert.id)).scalars())


def city_roster(db: Session, *, actor: Actor, city: str) -> list[tuple[HotlineLine, list[HotlineExpert]]]:
    """Every line of the city that takes a rota, with its people (active first); lines by number."""
    rules.ensure_reader(actor)
    lines = list(db.execute(select(HotlineLine).where(
        HotlineLine.city == city, HotlineLine.kind == LineKind.DEPARTMENT,
        HotlineLine.seat_arrangement.in_([str(x) for x in ROSTER_SEATS]),
        HotlineLine.status != LineStatus.CANCELLED).order_by(HotlineLine.number)).unique().scalars())
    people: dict[int, list[HotlineExpert]] = {x.id: [] for x in lines}
    if lines:
        for e in db.execute(select(HotlineExpert).where(HotlineExpert.line_id.in_(list(people)))
                            .order_by(HotlineExpert.active.desc(), HotlineExpert.name, HotlineExpert.id)).scalars():
            people[e.line_id].append(e)
    return [(x, people[x.id]) for x in lines]


def get(db: Session, *, actor: Actor, expert_id: int) -> HotlineExpert:
    rules.ensure_reader(actor)
    expert = db.get(HotlineExpert, expert_id)
    if expert is None:
        raise NotFound("expert_not_found", f"值班人员 {expert_id} 不存在")
    return expert


def _same_person(db: Session, line_id: int, data: ExpertIn, but: int | None = None) -> HotlineExpert | None:
    conds = [HotlineExpert.line_id == line_id, HotlineExpert.name == data.name, HotlineExpert.phone == data.phone,
             HotlineExpert.active.is_(True)]
    if but is not None:
        conds.append(HotlineExpert.id != but)
    return db.execute(select(HotlineExpert).where(*conds).limit(1)).scalars().first()


def _add(db: Session, line: HotlineLine, actor: Actor, now: datetime, data: ExpertIn) -> HotlineExpert:
    if data.active and _same_person(db, line.id, data):
        raise Conflict("expert_exists", f"{line.number} 已登记值班人员 {data.name}（{data.phone}）")
    row = HotlineExpert(line_id=line.id, name=data.name, department=data.department or None, phone=data.phone,
                        duty=duty.to_json(duty.parse(data.duty)), active=data.active, note=data.note or None,
                        created_at=now, updated_at=now)
    db.add(row)
    db.flush()
    _change(db, line, actor, now, ChangeField.EXPERTS, None, _summary(row), data.reason or "登记值班人员")
    return row


def _update(db: Session, line: HotlineLine, row: HotlineExpert, actor: Actor, now: datetime,
            data: ExpertIn) -> bool:
    """False when nothing would change."""
    wanted = (data.name, data.department or None, data.phone, duty.to_json(duty.parse(data.duty)), data.active,
              data.note or None)
    if wanted == (row.name, row.department, row.phone, list(row.duty or []), row.active, row.note):
        return False
    if data.active and _same_person(db, line.id, data, but=row.id):
        raise Conflict("expert_exists", f"{line.number} 已登记值班人员 {data.name}（{data.phone}）")
    before = _summary(row)
    row.name, row.department, row.phone, row.duty, row.active, row.note = wanted
    row.updated_at = now
    _change(db, line, actor, now, ChangeField.EXPERTS, before, _summary(row), data.reason or "修改值班人员")
    return True


def add(db: Session, rt: Runtime, *, actor: Actor, line_id: int, data: ExpertIn) -> HotlineExpert:
    rules.ensure_admin(actor)
    line = rostered_line(db, line_id, lock=True)
    row = _add(db, line, actor, rt.clock.now(), data)
    _commit(db)
    return row


def update(db: Session, rt: Runtime, *, actor: Actor, expert_id: int, data: ExpertIn) -> HotlineExpert:
    rules.ensure_admin(actor)
    row = get(db, actor=actor, expert_id=expert_id)
    line = rostered_line(db, row.line_id, lock=True)
    if not _update(db, line, row, actor, rt.clock.now(), data):
        raise DomainError("nothing_changed", "值班人员信息没有变化", status_code=422)
    _commit(db)
    return row


def set_active(db: Session, rt: Runtime, *, actor: Actor, expert_id: int, active: bool,
               reason: str | None = None) -> HotlineExpert:
    """停止值班 / 恢复值班: the rest of the record as it is."""
    row = get(db, actor=actor, expert_id=expert_id)
    data = ExpertIn(name=row.name, department=row.department, phone=row.phone,
                    duty=duty.describe(duty.from_json(row.duty)), active=active, note=row.note,
                    reason=reason or ("恢复值班" if active else "停止值班"))
    return update(db, rt, actor=actor, expert_id=expert_id, data=data)


# ---- Excel ------------------------------------------------------------------------------------------


def export_workbook(db: Session, *, actor: Actor, city: str) -> bytes:
    rules.ensure_reader(actor)
    rows = db.execute(select(HotlineExpert, HotlineLine).join(HotlineLine, HotlineLine.id == HotlineExpert.line_id)
                      .where(HotlineLine.city == city)
                      .order_by(HotlineLine.number, HotlineExpert.active.desc(), HotlineExpert.name)).all()
    return table_workbook(sheet="专家座席值班", title=f"{city}专家座席值班表", columns=COLUMNS, rows=[
        (line.number, line.name, e.name, e.department or "", e.phone, duty.describe(duty.from_json(e.duty)),
         "在岗" if e.active else "停止值班", e.note or "") for e, line in rows])


def _row_error(n: int, exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = str(first["loc"][-1]) if first.get("loc") else ""
    return f"第 {n} 行：{chinese_message({**first, 'loc': (field,)}, EXPERT_LABELS, CHOICES, {})}"


def import_workbook(db: Session, rt: Runtime, *, actor: Actor, content: bytes, city: str,
                    dry_run: bool = False) -> ImportResult:
    """All or nothing (the caller commits): every row checked first, each error with its row number.
    A row matches the line's person of the same name (an active one first); others are added."""
    rules.ensure_admin(actor)
    rows, too_many = sheet_rows(content, columns=[name for name, _ in COLUMNS], required=REQUIRED,
                                max_rows=MAX_ROWS, what="值班人员", template="专家座席值班表")
    result = ImportResult(dry_run=dry_run)
    if too_many:
        result.errors.append(f"超过 {MAX_ROWS} 行，请分批导入")
    lines = {x.number: x for x in db.execute(select(HotlineLine).where(HotlineLine.city == city)).unique().scalars()}
    parsed: list[tuple[int, HotlineLine, ExpertIn]] = []
    seen: dict[tuple[str, str], int] = {}
    for n, values in rows:
        number = (values.get("热线号码") or "").strip()
        line = lines.get(number)
        if line is None:
            result.errors.append(f"第 {n} 行：{city}未登记热线号码“{number}”")
            continue
        state = (values.get("状态") or "在岗").strip()
        if state not in STATES:
            result.errors.append(f"第 {n} 行：状态只能是“在岗”或“停止值班”")
            continue
        try:
            rostered_line(db, line.id)
            data = ExpertIn(name=values.get("姓名") or "", department=values.get("所属部门") or None,
                            phone=values.get("联系电话或分机") or "", duty=values.get("值班时间") or "",
                            active=STATES[state], note=values.get("备注") or None, reason="Excel 导入值班表")
        except ValidationError as exc:
            result.errors.append(_row_error(n, exc))
            continue
        except DomainError as exc:
            result.errors.append(f"第 {n} 行：{exc.message}")
            continue
        if (number, data.name) in seen:
            result.errors.append(f"第 {n} 行：与第 {seen[(number, data.name)]} 行是同一热线的同一人")
            continue
        seen[(number, data.name)] = n
        parsed.append((n, line, data))
    if result.errors:
        return result
    now = rt.clock.now()
    for n, line, data in parsed:
        existing = _existing(db, line.id, data.name)
        try:
            if existing is None:
                result.created += 1
                if not dry_run:
                    _add(db, line, actor, now, data)
            elif _would_change(existing, data):
                result.updated += 1
                if not dry_run:
                    _update(db, line, existing, actor, now, data)
            else:
                result.unchanged += 1
        except DomainError as exc:
            result.errors.append(f"第 {n} 行：{exc.message}")
    if not dry_run and result.ok:
        db.flush()
        snapshot.changed(db.get_bind())
    return result


def _existing(db: Session, line_id: int, name: str) -> HotlineExpert | None:
    return db.execute(select(HotlineExpert).where(HotlineExpert.line_id == line_id, HotlineExpert.name == name)
                      .order_by(HotlineExpert.active.desc(), HotlineExpert.id.desc()).limit(1)).scalars().first()


def _would_change(row: HotlineExpert, data: ExpertIn) -> bool:
    return (data.department or None, data.phone, duty.to_json(duty.parse(data.duty)), data.active,
            data.note or None) != (row.department, row.phone, list(row.duty or []), row.active, row.note)


def seed(db: Session, rt: Runtime, *, actor: Actor, city: str,
         people: Iterable[tuple[str, str, str | None, str, str]]) -> int:
    """Demo and test data: (line number, name, department, phone, duty text) added to lines that take a
    rota; one commit. Returns how many were added."""
    lines = {x.number: x for x in db.execute(select(HotlineLine).where(HotlineLine.city == city)).unique().scalars()}
    now = rt.clock.now()
    added = 0
    for number, name, department, phone, duty_text in people:
        line = lines.get(number)
        if line is None or line.seat_arrangement not in ROSTER_SEATS or _existing(db, line.id, name):
            continue
        _add(db, line, actor, now, ExpertIn(name=name, department=department, phone=phone, duty=duty_text,
                                            reason="演示数据：专家座席值班表"))
        added += 1
    _commit(db)
    return added
