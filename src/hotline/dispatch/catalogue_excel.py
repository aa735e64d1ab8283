"""The dispatch catalogue in Excel: export every rule, import a sheet of rules (all or nothing).

An import checks every row first and writes nothing when any row is wrong, listing each error with
its row number — officials fix the sheet and import again. Rows are matched to existing rules by
(category, place, kind): a matching rule is updated, a new one created; rules absent from the sheet
are left as they are (deactivate them explicitly)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.dispatch import catalogue as cat
from hotline.dispatch.models import DispatchRule, rule_key
from hotline.errors import DomainError
from hotline.excel import sheet_rows, text_row
from hotline.org.models import Jurisdiction, Unit
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.tickets.categories import full_name
from hotline.tickets.enums import KIND_LABELS, Kind

COLUMNS = ["分类代码", "分类名称", "属地代码", "属地名称", "诉求类型", "主办单位代码", "主办单位名称",
           "协办单位代码", "备注", "状态"]
REQUIRED = ("分类代码", "属地代码", "诉求类型", "主办单位代码", "协办单位代码")
KIND_BY_LABEL = {label: str(kind) for kind, label in KIND_LABELS.items()}
ASSISTING_SPLIT = re.compile(r"[,，、;；\s]+")  # however a list of codes is typed in a cell
MAX_ROWS = 20_000


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def export_workbook(db: Session) -> bytes:
    rules, _ = cat.list_rules(db, page_size=MAX_ROWS)
    ids = {u for r in rules for u in (r.lead_unit_id, *r.assisting_unit_ids)}
    units = {u.id: u for u in db.execute(select(Unit).where(Unit.id.in_(ids))).unique().scalars()} if ids else {}
    wb = Workbook()
    ws = wb.active
    ws.title = "派单目录"
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F3")
    for r in rules:
        _append_text(ws, [
            r.category_prefix or "", full_name(r.category_prefix) if r.category_prefix else "（任意）",
            r.jurisdiction.code if r.jurisdiction else "", r.jurisdiction.name if r.jurisdiction else "（全市）",
            KIND_LABELS[Kind(r.kind)] if r.kind else "", units[r.lead_unit_id].code, units[r.lead_unit_id].name,
            ",".join(units[u].code for u in r.assisting_unit_ids if u in units), r.note or "",
            "启用" if r.active else "停用",
        ])
    for col, width in zip("ABCDEFGHIJ", (10, 30, 12, 14, 8, 22, 24, 30, 30, 6), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _append_text(ws, values: list[object]) -> None:  # type: ignore[no-untyped-def]
    """Append a row whose strings stay strings (a note starting with "=" is not a formula)."""
    ws.append(text_row(ws, values))


FIELD_LABELS = {"category_prefix": "分类代码", "jurisdiction_code": "属地代码", "lead_unit_code": "主办单位代码",
                "assisting_unit_codes": "协办单位代码", "note": "备注"}


def _field_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = FIELD_LABELS.get(str(first["loc"][0]) if first["loc"] else "", "内容")
    if first["type"] in ("string_too_long", "too_long"):
        return f"{field}过长（备注不超过 300 字，协办单位不超过 10 个）"
    return f"{field}无效"


def import_workbook(db: Session, rt: Runtime, *, actor: Actor, content: bytes, dry_run: bool = False) -> ImportResult:
    cat.ensure_may_edit(actor)
    rows, too_many = sheet_rows(content, columns=COLUMNS, required=REQUIRED, max_rows=MAX_ROWS, what="派单目录",
                                template="现有目录")
    result = ImportResult(dry_run=dry_run)
    if too_many:
        result.errors.append(f"超过 {MAX_ROWS} 行，请分批导入")
    parsed: list[tuple[int, cat.RuleIn, bool]] = []
    keys: dict[str, int] = {}
    for n, values in rows:
        category = values["分类代码"]
        if category.isdecimal() and len(category) % 2:  # 0101 typed as a number arrives as 101
            category = category.zfill(len(category) + 1)
        kind_text = values.get("诉求类型", "")
        kind = KIND_BY_LABEL.get(kind_text, kind_text) or None
        if kind and kind not in {str(k) for k in Kind}:
            result.errors.append(f"第 {n} 行：诉求类型“{kind_text}”无效"
                                 "（咨询/求助/投诉/举报/建议/感谢，或留空表示任意）")
            continue
        state = values.get("状态", "") or "启用"
        if state not in ("启用", "停用"):
            result.errors.append(f"第 {n} 行：状态只能是“启用”或“停用”")
            continue
        assisting = [c for c in ASSISTING_SPLIT.split(values["协办单位代码"]) if c.strip()]
        try:
            data = cat.RuleIn(category_prefix=category or None, jurisdiction_code=values["属地代码"] or None,
                              kind=Kind(kind) if kind else None, lead_unit_code=values["主办单位代码"] or "-",
                              assisting_unit_codes=assisting, note=values.get("备注") or None)
        except ValidationError as exc:
            result.errors.append(f"第 {n} 行：{_field_error(exc)}")
            continue
        if not values["主办单位代码"]:
            result.errors.append(f"第 {n} 行：缺少主办单位代码")
            continue
        try:
            prefix, place, lead, _assisting = cat.resolve(db, data)
        except DomainError as exc:
            result.errors.append(f"第 {n} 行：{exc.message}")
            continue
        mismatch = _names_disagree(values, prefix, place, lead)
        if mismatch:  # a name edited in the export: the codes decide, and would silently win
            result.errors.append(f"第 {n} 行：{mismatch}")
            continue
        key = rule_key(prefix, place.id if place else None, kind)
        if key in keys:
            result.errors.append(f"第 {n} 行：与第 {keys[key]} 行的分类、属地和类型相同")
            continue
        keys[key] = n
        parsed.append((n, data, state == "启用"))
    if result.errors or dry_run:
        if not result.errors:
            _count_changes(db, parsed, result)
        return result
    existing = {r.rule_key: r for r in db.execute(select(DispatchRule)).unique().scalars()}
    for _n, data, active in parsed:
        prefix, place, lead, assisting = cat.resolve(db, data)
        key = rule_key(prefix, place.id if place else None, str(data.kind) if data.kind else None)
        rule = existing.get(key)
        if rule is None:
            rule = cat.save_rule(db, rt, actor=actor, data=data)
            result.created += 1
        elif _same(rule, lead, assisting, data.note) and rule.active == active:
            result.unchanged += 1
            continue
        else:
            rule = cat.save_rule(db, rt, actor=actor, data=data, rule_id=rule.id)
            result.updated += 1
        cat.set_active(db, rt, actor=actor, rule_id=rule.id, active=active)
    return result


def _names_disagree(values: dict[str, str], prefix: str | None, place: Jurisdiction | None, lead: Unit) -> str | None:
    """The name columns are for reading; when one was typed and names something other than its
    code, say so instead of importing the code's meaning unseen."""
    checks = (("分类名称", "分类代码", full_name(prefix) if prefix else "（任意）", {"任意"}),
              ("属地名称", "属地代码", place.name if place else "（全市）", {"全市"}),
              ("主办单位名称", "主办单位代码", lead.name, {lead.short_name or lead.name}))
    for name_col, code_col, expected, also in checks:
        typed = (values.get(name_col) or "").strip()
        if typed and typed.replace(" ", "") != expected.replace(" ", "") and typed not in also:
            return (f"{name_col}“{typed}”与{code_col}“{values.get(code_col) or '（空）'}”（{expected}）不一致："
                    f"以代码为准导入，请改正代码，或改正、清空{name_col}")
    return None


def _same(rule: DispatchRule, lead: Unit, assisting: list[Unit], note: str | None) -> bool:
    return (rule.lead_unit_id == lead.id and list(rule.assisting_unit_ids) == [u.id for u in assisting]
            and (rule.note or None) == ((note or "").strip() or None))


def _count_changes(db: Session, parsed: list[tuple[int, cat.RuleIn, bool]], result: ImportResult) -> None:
    existing = {r.rule_key: r for r in db.execute(select(DispatchRule)).unique().scalars()}
    for _n, data, active in parsed:
        prefix, place, lead, assisting = cat.resolve(db, data)
        rule = existing.get(rule_key(prefix, place.id if place else None, str(data.kind) if data.kind else None))
        if rule is None:
            result.created += 1
        elif _same(rule, lead, assisting, data.note) and rule.active == active:
            result.unchanged += 1
        else:
            result.updated += 1

