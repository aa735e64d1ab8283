"""The registry of place names in Excel: export every name, import a sheet (all or nothing).

As with the dispatch catalogue, an import checks every row first and writes nothing when any row is
wrong, each error with its row number. Rows are matched by (name, jurisdiction code): a matching
entry takes the sheet's kind, note and state; a new one is added with the source "import"."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.dispatch import place_names, place_registry
from hotline.dispatch.catalogue import ensure_may_edit, ensure_may_read
from hotline.dispatch.catalogue_excel import ImportResult
from hotline.dispatch.models import PlaceName
from hotline.dispatch.place_registry import PLACES
from hotline.errors import DomainError
from hotline.excel import sheet_rows, table_workbook
from hotline.runtime import Runtime
from hotline.security.actor import Actor

COLUMNS = [("地名", 20), ("属地代码", 14), ("属地名称", 16), ("类型", 12), ("来源", 12), ("工单依据", 12),
           ("状态", 8), ("备注", 30)]
REQUIRED = ("地名", "属地代码")
KIND_BY_LABEL = {label: kind for kind, label in place_names.KIND_LABELS.items()}
MAX_ROWS = 50_000


def export_workbook(db: Session, *, actor: Actor) -> bytes:
    ensure_may_read(actor, PLACES)
    entries, _ = place_registry.list_names(db, page_size=MAX_ROWS)
    rows = [(e.name, e.jurisdiction.code, e.jurisdiction.name, place_names.KIND_LABELS.get(e.kind, e.kind),
             place_registry.SOURCE_LABELS.get(e.source, e.source),
             f"{e.support}/{e.total}" if e.support is not None else "", "启用" if e.active else "停用", e.note or "")
            for e in entries]
    return table_workbook(sheet="地名库", title="地名库", columns=COLUMNS, rows=rows)


@dataclass(frozen=True)
class _Row:
    line: int
    data: place_registry.PlaceNameIn
    active: bool


def import_workbook(db: Session, rt: Runtime, *, actor: Actor, content: bytes, dry_run: bool = False) -> ImportResult:
    ensure_may_edit(actor, PLACES)
    rows, too_many = sheet_rows(content, columns=[name for name, _ in COLUMNS], required=REQUIRED,
                                max_rows=MAX_ROWS, what="地名", template="地名库")
    result = ImportResult(dry_run=dry_run)
    if too_many:
        result.errors.append(f"超过 {MAX_ROWS} 行，请分批导入")
    parsed: list[_Row] = []
    seen: dict[tuple[str, int], int] = {}
    for n, values in rows:
        state = values.get("状态", "") or "启用"
        if state not in ("启用", "停用"):
            result.errors.append(f"第 {n} 行：状态只能是“启用”或“停用”")
            continue
        if not values["地名"] or not values["属地代码"]:
            result.errors.append(f"第 {n} 行：缺少{'地名' if not values['地名'] else '属地代码'}")
            continue
        kind_text = values.get("类型", "")
        kind = KIND_BY_LABEL.get(kind_text, kind_text) or None
        try:
            data = place_registry.PlaceNameIn(name=values["地名"], jurisdiction_code=values["属地代码"], kind=kind,
                                              note=values.get("备注") or None)
            name, place, _kind = place_registry.resolve(db, data)
        except ValidationError:
            result.errors.append(f"第 {n} 行：地名不超过 40 字，备注不超过 200 字")
            continue
        except DomainError as exc:
            result.errors.append(f"第 {n} 行：{exc.message}")
            continue
        typed = (values.get("属地名称") or "").strip()
        if typed and typed != place.name:  # the codes decide; a name edited alone would change nothing
            result.errors.append(f"第 {n} 行：属地名称“{typed}”与属地代码“{values['属地代码']}”（{place.name}）不一致："
                                 "以代码为准导入，请改正属地代码，或改正、清空属地名称")
            continue
        if (name, place.id) in seen:
            result.errors.append(f"第 {n} 行：与第 {seen[(name, place.id)]} 行的地名和属地相同")
            continue
        seen[(name, place.id)] = n
        parsed.append(_Row(n, data, state == "启用"))
    if result.errors:
        return result
    existing = {(e.name, e.jurisdiction_id): e for e in db.execute(select(PlaceName)).unique().scalars()}
    for row in parsed:
        name, place, kind = place_registry.resolve(db, row.data)
        entry = existing.get((name, place.id))
        note = (row.data.note or "").strip() or None
        if entry is not None and (entry.kind, entry.note, entry.active) == (kind, note, row.active):
            result.unchanged += 1
            continue
        if entry is None:
            result.created += 1
        else:
            result.updated += 1
        if dry_run:
            continue
        entry = place_registry.save_name(db, rt, actor=actor, data=row.data, name_id=entry.id if entry else None,
                                         source="import")
        place_registry.set_active(db, rt, actor=actor, name_id=entry.id, active=row.active)
    return result
