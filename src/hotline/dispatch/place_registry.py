"""The registry of place names (地名库): add, change, switch off, list — each change audited — and
learning names from the platform's closed tickets.

A name learned once and then switched off by an administrator stays off: learning again proposes
only names the registry does not hold for that place, and refreshes the ticket counts of the
learned names it does hold."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hotline.dispatch import place_names
from hotline.dispatch.catalogue import ensure_may_edit
from hotline.dispatch.models import PlaceName
from hotline.dispatch.place import Gazetteer, Place
from hotline.dispatch.retrain import DONE
from hotline.errors import Conflict, DomainError, NotFound
from hotline.org.models import Jurisdiction
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.tickets.models import Ticket

PLACES = "地名库"  # what the permission messages name

SOURCE_LABELS = {"manual": "手工添加", "import": "Excel 导入", "learned": "从工单学习"}
LEARN_LIMIT = 200_000  # the newest closed tickets read when learning


class PlaceNameIn(BaseModel):
    name: str = Field(min_length=1, max_length=40)
    jurisdiction_code: str = Field(min_length=1, max_length=32)
    kind: str | None = Field(default=None, max_length=16)  # place_names.KINDS; None: read from the name
    note: str | None = Field(default=None, max_length=200)


def clean_name(raw: str) -> str:
    name = "".join(unicodedata.normalize("NFKC", raw or "").split())
    if len(name) < 2:
        raise DomainError("bad_place_name", "地名至少 2 个字", status_code=422)
    if len(name) > 40:
        raise DomainError("bad_place_name", "地名不超过 40 个字", status_code=422)
    if not any(ch.isalpha() for ch in name):
        raise DomainError("bad_place_name", f"“{name}”不像地名：至少要有一个汉字或字母", status_code=422)
    return name


def resolve(db: Session, data: PlaceNameIn) -> tuple[str, Jurisdiction, str]:
    name = clean_name(data.name)
    place = db.execute(select(Jurisdiction).where(Jurisdiction.code == data.jurisdiction_code.strip())).scalar()
    if place is None:
        raise DomainError("unknown_jurisdiction", f"属地代码“{data.jurisdiction_code}”不存在", status_code=422)
    if place.level in ("province", "city"):
        raise DomainError("place_too_broad", f"地名应落到区县、街道或社区，“{place.name}”范围过大", status_code=422)
    if name in Gazetteer._aliases(place.name):
        raise DomainError("place_name_is_own", f"“{name}”就是“{place.name}”本身的名称，无需添加", status_code=422)
    kind = (data.kind or "").strip() or place_names.kind_of(name)
    kind = {label: code for code, label in place_names.KIND_LABELS.items()}.get(kind, kind)  # 小区/楼盘 too
    if kind not in place_names.KINDS:
        choices = "、".join(f"{code}（{label}）" for code, label in place_names.KIND_LABELS.items())
        raise DomainError("bad_place_kind", f"地名类型“{data.kind}”无效，可选：{choices}", status_code=422)
    return name, place, kind


def describe(entry: PlaceName) -> str:
    return f"{entry.name} → {entry.jurisdiction.name}（{place_names.KIND_LABELS.get(entry.kind, entry.kind)}）"


def save_name(db: Session, rt: Runtime, *, actor: Actor, data: PlaceNameIn, name_id: int | None = None,
              source: str = "manual") -> PlaceName:
    """Add a name, or change one (its version goes up). One entry per (name, jurisdiction)."""
    ensure_may_edit(actor, PLACES)
    existing = get_name(db, name_id) if name_id is not None else None  # an unknown one is a 404 first
    name, place, kind = resolve(db, data)
    clash = db.execute(select(PlaceName.id).where(PlaceName.name == name,
                                                  PlaceName.jurisdiction_id == place.id)).scalar()
    if clash is not None and clash != name_id:
        raise Conflict("duplicate_place_name", f"地名库中已有“{name} → {place.name}”（编号 {clash}），无需重复登记")
    now = rt.clock.now()
    if existing is None:
        entry = PlaceName(created_at=now, version=1, active=True, source=source)
        db.add(entry)
        action = "create_place_name"
    else:
        entry = existing
        if (entry.name, entry.jurisdiction_id, entry.kind, entry.note) == (
                name, place.id, kind, (data.note or "").strip() or None):
            return entry  # saved as it was: no new version, no audit entry (QA)
        entry.version += 1
        action = "update_place_name"
        if entry.source == "learned" and (entry.name, entry.jurisdiction_id) != (name, place.id):
            # the tickets it was learned from counted another name or place: no longer its evidence
            entry.source, entry.support, entry.total = "manual", None, None
    entry.name = name
    entry.jurisdiction = place
    entry.kind = kind
    entry.note = (data.note or "").strip() or None
    entry.updated_at = now
    entry.updated_by_id = actor.user_id
    db.flush()
    audit.record(db, actor=actor, at=now, action=action, object_type="place_name", object_id=entry.id,
                 detail=describe(entry))
    return entry


def set_active(db: Session, rt: Runtime, *, actor: Actor, name_id: int, active: bool) -> PlaceName:
    ensure_may_edit(actor, PLACES)
    entry = get_name(db, name_id)
    if entry.active != active:
        entry.active = active
        entry.version += 1
        entry.updated_at = rt.clock.now()
        entry.updated_by_id = actor.user_id
        audit.record(db, actor=actor, at=entry.updated_at, object_type="place_name", object_id=entry.id,
                     action="enable_place_name" if active else "disable_place_name", detail=describe(entry))
    return entry


def get_name(db: Session, name_id: int) -> PlaceName:
    entry = db.get(PlaceName, name_id)
    if entry is None:
        raise NotFound("not_found", f"地名 {name_id} 不存在")
    return entry


def list_names(db: Session, *, q: str | None = None, jurisdiction_path: str | None = None, kind: str | None = None,
               source: str | None = None, active: bool | None = None, page: int = 1,
               page_size: int = 50) -> tuple[list[PlaceName], int]:
    conds = []
    if q and q.strip():
        text = unicodedata.normalize("NFKC", q).strip()
        place_ids = select(Jurisdiction.id).where(Jurisdiction.name.contains(text, autoescape=True))
        # names are kept as clean_name writes them (NFKC, no spaces): "ＡＢ" or "测 试" find them
        conds.append(or_(PlaceName.name.contains("".join(text.split()), autoescape=True),
                         PlaceName.jurisdiction_id.in_(place_ids), PlaceName.note.contains(text, autoescape=True)))
    if jurisdiction_path:
        inside = select(Jurisdiction.id).where(Jurisdiction.path.startswith(jurisdiction_path, autoescape=True))
        conds.append(PlaceName.jurisdiction_id.in_(inside))
    if kind:
        conds.append(PlaceName.kind == kind)
    if source:
        conds.append(PlaceName.source == source)
    if active is not None:
        conds.append(PlaceName.active.is_(active))
    total = db.execute(select(func.count(PlaceName.id)).where(*conds)).scalar_one()
    rows = db.execute(select(PlaceName).where(*conds)
                      .order_by(PlaceName.support.desc().nulls_last(), PlaceName.name, PlaceName.id)
                      .limit(page_size).offset((max(page, 1) - 1) * page_size)).unique().scalars().all()
    return list(rows), int(total)


@dataclass(frozen=True)
class Proposal:
    learned: place_names.LearnedName
    status: str  # new | known (refresh its counts) | off (switched off: left off) | elsewhere (held for another place)
    existing_id: int | None = None
    other_place: str | None = None


STATUS_LABELS = {"new": "新增", "known": "已有（更新依据）", "off": "已停用（保持停用）",
                 "elsewhere": "已登记在其他属地（不新增）"}


@dataclass
class LearnReport:
    tickets: int
    proposals: list[Proposal] = field(default_factory=list)
    added: int = 0
    refreshed: int = 0

    def count(self, status: str) -> int:
        return sum(1 for p in self.proposals if p.status == status)


def check_settings(min_support: int, min_purity: float) -> None:
    if not 2 <= min_support <= 1000:
        raise DomainError("bad_setting", "最少工单数应在 2 到 1000 之间", status_code=422)
    if not 0.5 <= min_purity <= 1:
        raise DomainError("bad_setting", "同一属地占比应在 0.5 到 1 之间", status_code=422)


def learn(db: Session, rt: Runtime, *, actor: Actor, min_support: int = place_names.MIN_SUPPORT,
          min_purity: float = place_names.MIN_PURITY, apply: bool = False,
          names: Collection[str] | None = None) -> LearnReport:
    """Names telling a place, from the closed tickets' address, title and content and the place each
    ticket ended under; with `apply`, the new ones are added (source "learned"; only those in
    `names` when given: the reviewer's choice) and the counts of the learned names already held are
    refreshed."""
    ensure_may_edit(actor, PLACES)
    check_settings(min_support, min_purity)
    tree = db.execute(select(Jurisdiction.id, Jurisdiction.code, Jurisdiction.name, Jurisdiction.level,
                             Jurisdiction.path)).all()
    places = [Place(*r) for r in tree]
    rows = db.execute(select(Ticket.address, Ticket.title, Ticket.content, Ticket.jurisdiction_path)
                      .where(Ticket.state.in_(DONE), Ticket.jurisdiction_path.is_not(None))
                      .order_by(Ticket.id.desc()).limit(LEARN_LIMIT).execution_options(yield_per=2000))
    read = 0

    def samples() -> Iterator[tuple[str, str]]:  # streamed: 200,000 tickets' texts need not sit in memory
        nonlocal read
        for address, title, content, path in rows:
            read += 1
            yield f"{address or ''} {title or ''} {content or ''}", path

    learned = place_names.learn(samples(), places, min_support=min_support, min_purity=min_purity,
                                known=Gazetteer(places))
    held: dict[str, list[PlaceName]] = {}
    found = sorted({x.name for x in learned})
    for i in range(0, len(found), 500):  # a bounded IN list on every database
        for entry in db.execute(select(PlaceName).where(PlaceName.name.in_(found[i:i + 500]))).unique().scalars():
            held.setdefault(entry.name, []).append(entry)
    report = LearnReport(tickets=read)
    for x in learned:
        same = next((e for e in held.get(x.name, ()) if e.jurisdiction_id == x.place.id), None)
        if same is not None:
            report.proposals.append(Proposal(x, "known" if same.active else "off", existing_id=same.id))
        elif held.get(x.name):
            report.proposals.append(Proposal(x, "elsewhere", other_place=held[x.name][0].jurisdiction.name))
        else:
            report.proposals.append(Proposal(x, "new"))
    if apply:
        _apply(db, rt, actor, report, None if names is None else set(names))
    return report


def _apply(db: Session, rt: Runtime, actor: Actor, report: LearnReport, names: set[str] | None) -> None:
    now = rt.clock.now()
    for p in report.proposals:
        x = p.learned
        if p.status == "new" and (names is None or x.name in names):
            db.add(PlaceName(name=x.name, jurisdiction_id=x.place.id, kind=x.kind, source="learned",
                             support=x.support, total=x.total, active=True, created_at=now, updated_at=now,
                             updated_by_id=actor.user_id, version=1))
            report.added += 1
        elif p.status in ("known", "off") and p.existing_id is not None:
            entry = get_name(db, p.existing_id)
            if entry.source == "learned" and (entry.support, entry.total) != (x.support, x.total):
                entry.support, entry.total = x.support, x.total
                entry.version += 1
                entry.updated_at = now
                report.refreshed += 1
    db.flush()
    audit.record(db, actor=actor, at=now, action="learn_place_names", object_type="place_name",
                 object_id="learned", detail=f"从 {report.tickets} 件已办结工单学习地名：新增 {report.added} 个，"
                                            f"更新依据 {report.refreshed} 个")

