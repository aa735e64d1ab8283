"""The registry service on the real database: every policy rule (a refusal leaves nothing changed),
history and audit of every change, the reference import (idempotent), consolidation progress."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.errors import DomainError, Forbidden
from hotline.hotlines import reference, service
from hotline.hotlines.enums import LineStatus, MergeMode
from hotline.hotlines.models import HotlineChange, HotlineLine
from hotline.hotlines.schemas import LineCreate, ModeChange, PromptChange, SeatsChange, StatusChange
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.security.models import AuditEntry
from tests.factories import Org
from tests.hotlines.conftest import counts

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "hotline_merge_lists.csv"
MODES = {"整体并入": "full_merge", "双号并行": "dual_number", "设分中心": "sub_center"}
Find = Callable[..., HotlineLine]


def new_line(**overrides: object) -> LineCreate:
    data: dict[str, object] = {"city": "南京市", "number": "96300", "name": "某区便民服务热线", "kind": "department",
                               "merge_mode": "full_merge", "reason": "区政府申请新设",
                               "approval_document": "宁政复〔2026〕8号", "approval_by": "市政府办公厅 王某"}
    data.update(overrides)
    return LineCreate.model_validate(data)


# ---- registering a line -----------------------------------------------------------------------------


def test_new_department_hotline_refused_without_approval_and_nothing_is_written(
        db: Session, rt: Runtime, org: Org) -> None:
    before = counts(db)
    both = {"approval_document": None, "approval_by": None}
    for missing in ({"approval_document": None}, {"approval_by": None}, both):
        with pytest.raises(DomainError) as err:
            service.create(db, rt, actor=org.actor("admin"), data=new_line(**missing))
        assert err.value.code == "approval_required"
        assert "批准文号和批准人" in err.value.message
    assert counts(db) == before


def test_new_department_hotline_with_approval_is_registered_with_history_and_audit(
        db: Session, rt: Runtime, org: Org) -> None:
    line = service.create(db, rt, actor=org.actor("admin"), data=new_line(owner_unit_id=org.units["market"].id))
    assert (line.status, line.merge_mode, line.approval_document, line.approval_by) == (
        "active", "full_merge", "宁政复〔2026〕8号", "市政府办公厅 王某")
    assert line.approval_recorded_by_id == org.users["admin"].id and line.owner_name == "南京市市场监督管理局"
    changes = service.history(db, actor=org.actor("supervisor"), line_id=line.id)
    assert [(c.field, c.reason) for c in changes] == [("create", "区政府申请新设")]
    assert "批准文号 宁政复〔2026〕8号" in (changes[0].to_value or "")
    audit = db.execute(select(AuditEntry).where(AuditEntry.object_type == "hotline_line")).scalars().all()
    assert [(a.action, a.username, a.object_id) for a in audit] == [("hotline_create", "admin", str(line.id))]


def test_only_an_administrator_registers_or_changes(db: Session, rt: Runtime, org: Org, imported: object,
                                                    line_of: Find) -> None:
    before = counts(db)
    target = line_of("12333")
    for name in ("supervisor", "analyst", "dispatcher", "operator", "market_manager"):
        with pytest.raises(Forbidden):
            service.create(db, rt, actor=org.actor(name), data=new_line())
        with pytest.raises(Forbidden):
            service.change_mode(db, rt, actor=org.actor(name), line_id=target.id,
                                data=ModeChange(merge_mode=MergeMode.FULL_MERGE, reason="试图越权"))
    assert counts(db) == before


def test_duplicate_number_in_a_city_is_refused_but_allowed_in_another(db: Session, rt: Runtime, org: Org) -> None:
    admin = org.actor("admin")
    service.create(db, rt, actor=admin, data=new_line())
    before = counts(db)
    with pytest.raises(DomainError, match="已登记号码 96300"):
        service.create(db, rt, actor=admin, data=new_line(name="另一个"))
    assert counts(db) == before
    other = service.create(db, rt, actor=admin, data=new_line(city="宿迁市"))
    assert other.city == "宿迁市"


def test_linked_and_main_lines_need_no_approval_but_no_merge_mode(db: Session, rt: Runtime, org: Org) -> None:
    admin = org.actor("admin")
    water = service.create(db, rt, actor=admin, data=new_line(
        number="96889", name="供水服务热线", kind="utility", merge_mode="none", service="water",
        approval_document=None, approval_by=None, owner_unit_id=org.units["water"].id))
    assert (water.kind, water.service, water.approval_document) == ("utility", "water", None)
    before = counts(db)
    with pytest.raises(DomainError, match="服务类别"):
        service.create(db, rt, actor=admin, data=new_line(number="96777", kind="utility", merge_mode="none"))
    with pytest.raises(DomainError, match="只联动、不归并"):
        service.create(db, rt, actor=admin, data=new_line(number="96778", kind="utility", service="gas"))
    with pytest.raises(DomainError, match="须确定归并方式"):
        service.create(db, rt, actor=admin, data=new_line(number="96779", merge_mode="none"))
    with pytest.raises(DomainError, match="不能登记已注销"):
        service.create(db, rt, actor=admin, data=new_line(number="96780", status="cancelled"))
    assert counts(db) == before


# ---- moving a line on ------------------------------------------------------------------------------------


def test_mode_moves_forward_with_seats_and_status_following(db: Session, rt: Runtime, org: Org, imported: object,
                                                            line_of: Find) -> None:
    admin = org.actor("admin")
    tax = line_of("12366")
    assert (tax.merge_mode, tax.seat_arrangement) == ("sub_center", "own_seats")
    tax = service.change_mode(db, rt, actor=admin, line_id=tax.id,
                              data=ModeChange(merge_mode=MergeMode.DUAL_NUMBER, reason="分中心座席并入12345"))
    assert (tax.merge_mode, tax.seat_arrangement, tax.status) == ("dual_number", "none", "active")
    tax = service.change_mode(db, rt, actor=admin, line_id=tax.id,
                              data=ModeChange(merge_mode=MergeMode.FULL_MERGE, reason="整体并入"))
    assert (tax.merge_mode, tax.status) == ("full_merge", "in_transition")
    fields = [(c.field, c.from_value, c.to_value) for c in service.history(db, actor=admin, line_id=tax.id)]
    assert fields[:4] == [("status", "active", "in_transition"), ("mode", "dual_number", "full_merge"),
                          ("seats", "own_seats", "none"), ("mode", "sub_center", "dual_number")]
    assert fields[-1][0] == "import"


@pytest.mark.parametrize(("number", "target"), [("12333", "sub_center"), ("12336", "dual_number"),
                                                 ("12336", "sub_center"), ("12333", "dual_number")])
def test_mode_never_moves_back_and_a_refusal_changes_nothing(db: Session, rt: Runtime, org: Org, imported: object,
                                                              line_of: Find, number: str, target: str) -> None:
    line = line_of(number)
    before = counts(db)
    with pytest.raises(DomainError):
        service.change_mode(db, rt, actor=org.actor("admin"), line_id=line.id,
                            data=ModeChange(merge_mode=MergeMode(target), reason="退回原方式"))
    db.rollback()
    assert counts(db) == before
    assert line_of(number).merge_mode == line.merge_mode


def test_a_cancelled_number_is_never_restored(db: Session, rt: Runtime, org: Org, imported: object,
                                              line_of: Find) -> None:
    admin = org.actor("admin")
    line = line_of("96510")
    service.change_status(db, rt, actor=admin, line_id=line.id,
                          data=StatusChange(status=LineStatus.CANCELLED, reason="过渡期结束，注销号码"))
    before = counts(db)
    for target in (LineStatus.ACTIVE, LineStatus.IN_TRANSITION):
        with pytest.raises(DomainError, match="不再恢复"):
            service.change_status(db, rt, actor=admin, line_id=line.id, data=StatusChange(status=target, reason="恢复"))
    with pytest.raises(DomainError, match="已注销"):
        service.change_seats(db, rt, actor=admin, line_id=line.id,
                             data=SeatsChange(seat_arrangement="expert_seats", reason="设专家座席"))
    db.rollback()
    assert counts(db) == before
    assert line_of("96510").status == "cancelled"


def test_dual_number_must_merge_fully_before_cancelling(db: Session, rt: Runtime, org: Org, imported: object,
                                                        line_of: Find) -> None:
    line = line_of("12315")
    before = counts(db)
    with pytest.raises(DomainError, match="须先变更为“整体并入”"):
        service.change_status(db, rt, actor=org.actor("admin"), line_id=line.id,
                              data=StatusChange(status=LineStatus.CANCELLED, reason="注销"))
    with pytest.raises(DomainError, match="紧急热线"):
        service.change_status(db, rt, actor=org.actor("admin"), line_id=line_of("110").id,
                              data=StatusChange(status=LineStatus.CANCELLED, reason="注销"))
    db.rollback()
    assert counts(db) == before


def test_prompt_and_period_are_set_recorded_and_checked(db: Session, rt: Runtime, org: Org, imported: object,
                                                        line_of: Find) -> None:
    admin = org.actor("admin")
    line = line_of("12312")
    line = service.change_prompt(db, rt, actor=admin, line_id=line.id, data=PromptChange(
        transition_prompt="12312已并入12345。", transition_start=date(2026, 11, 1), transition_end=date(2026, 12, 31),
        reason="设置过渡期"))
    assert (line.transition_start, line.transition_end) == (date(2026, 11, 1), date(2026, 12, 31))
    last = service.history(db, actor=admin, line_id=line.id)[0]
    assert last.field == "prompt" and "2026-11-01 至 2026-12-31" in (last.to_value or "")
    before = counts(db)
    with pytest.raises(DomainError, match="不能早于"):
        service.change_prompt(db, rt, actor=admin, line_id=line.id, data=PromptChange(
            transition_start=date(2026, 12, 1), transition_end=date(2026, 11, 1), reason="日期填反"))
    with pytest.raises(DomainError, match="均未改变"):
        service.change_prompt(db, rt, actor=admin, line_id=line.id, data=PromptChange(
            transition_prompt="12312已并入12345。", transition_start=date(2026, 11, 1),
            transition_end=date(2026, 12, 31), reason="再保存一次"))
    with pytest.raises(DomainError, match="没有过渡期语音提示"):
        service.change_prompt(db, rt, actor=admin, line_id=line_of("12333").id, data=PromptChange(
            transition_prompt="x", reason="双号并行不播提示"))
    db.rollback()
    assert counts(db) == before
    assert line_of("12312").transition_end == date(2026, 12, 31)


def test_seats_change_within_what_the_mode_allows(db: Session, rt: Runtime, org: Org, imported: object,
                                                  line_of: Find) -> None:
    admin = org.actor("admin")
    line = service.change_seats(db, rt, actor=admin, line_id=line_of("12369").id,
                                data=SeatsChange(seat_arrangement="business_zone", reason="话务量大，设业务专区"))
    assert line.seat_arrangement == "business_zone"
    before = counts(db)
    with pytest.raises(DomainError, match="不能设置"):
        service.change_seats(db, rt, actor=admin, line_id=line.id,
                             data=SeatsChange(seat_arrangement="own_seats", reason="分中心座席"))
    with pytest.raises(DomainError, match="已是"):
        service.change_seats(db, rt, actor=admin, line_id=line.id,
                             data=SeatsChange(seat_arrangement="business_zone", reason="重复"))
    db.rollback()
    assert counts(db) == before


# ---- the reference import ---------------------------------------------------------------------------------


def test_import_creates_both_cities_and_a_second_run_changes_nothing(db: Session, rt: Runtime, org: Org) -> None:
    first = service.import_reference(db, rt, actor=Actor.system())
    # 南京: 12345 + 26 listed + 4 emergency + 1 utility; 宿迁: 12345 + 9 listed + 4 emergency + 1 utility.
    assert len(first.created) == 32 + 15 and first.cities == ["南京市", "宿迁市"]
    assert any("供水服务热线" in p for p in first.pending) and any("各区各部门" in p for p in first.pending)
    snapshot_before = counts(db)
    rows_before = [(x.id, x.status, x.merge_mode, x.updated_at) for x in
                   db.execute(select(HotlineLine).order_by(HotlineLine.id)).unique().scalars()]
    db.rollback()
    second = service.import_reference(db, rt, actor=Actor.system())
    assert (second.created, second.linked_units, second.unchanged, second.changed) == ([], [], 47, False)
    assert counts(db) == snapshot_before
    assert rows_before == [(x.id, x.status, x.merge_mode, x.updated_at) for x in
                           db.execute(select(HotlineLine).order_by(HotlineLine.id)).unique().scalars()]


def test_import_matches_owner_units_by_name_and_records_sources(db: Session, rt: Runtime, org: Org,
                                                                imported: object, line_of: Find) -> None:
    market = org.units["market"]
    for number in ("12315", "12330", "12365"):
        line = line_of(number)
        assert line.owner_unit_id == market.id and line.owner_name == "市市场监督管理局"
    assert line_of("12349").owner_unit_id is None  # 市民政局 is not in the test organisation
    merged = line_of("12336")
    assert (merged.status, merged.transition_start, merged.source) == ("in_transition", date(2021, 11, 10),
                                                                      "宁政办发〔2021〕57号")
    suqian = line_of("12336", "宿迁市")
    assert (suqian.transition_start, suqian.note) == (date(2021, 10, 25), "已并入12345热线，需取消号码")
    assert line_of("12366", "宿迁市").seat_arrangement == "business_zone"
    assert line_of("12366").merge_mode == "sub_center"
    assert line_of("95598").service == "power" and line_of("110").kind == "emergency"
    assert line_of("12345").jurisdiction_id == org.jurisdictions["city"].id
    assert line_of("12345", "宿迁市").jurisdiction_id is None  # 宿迁 is not in the test organisation


def test_import_never_overwrites_what_an_administrator_changed(db: Session, rt: Runtime, org: Org,
                                                               imported: object, line_of: Find) -> None:
    line = line_of("12333")
    service.change_mode(db, rt, actor=org.actor("admin"), line_id=line.id,
                        data=ModeChange(merge_mode=MergeMode.FULL_MERGE, reason="整体并入"))
    before = counts(db)
    summary = service.import_reference(db, rt, actor=Actor.system(), cities=["南京市"])
    assert not summary.changed and counts(db) == before
    assert line_of("12333").merge_mode == "full_merge"


def test_import_one_city_and_refuse_an_unknown_one(db: Session, rt: Runtime, org: Org) -> None:
    summary = service.import_reference(db, rt, actor=Actor.system(), cities=["宿迁市"])
    assert len(summary.created) == 15 and all(c.startswith("宿迁市") for c in summary.created)
    before = counts(db)
    with pytest.raises(DomainError, match="清单中没有北京市"):
        service.import_reference(db, rt, actor=Actor.system(), cities=["北京市"])
    assert counts(db) == before


def test_import_of_a_bad_file_is_refused_in_chinese(db: Session, rt: Runtime, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"cities": [{"city": "南京市"}]}', encoding="utf-8")
    with pytest.raises(DomainError, match="格式错误"):
        service.import_reference(db, rt, actor=Actor.system(), path=bad)
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(DomainError, match="不是合法的 JSON"):
        service.import_reference(db, rt, actor=Actor.system(), path=bad)
    with pytest.raises(DomainError, match="无法读取"):
        service.import_reference(db, rt, actor=Actor.system(), path=tmp_path / "missing.json")


def test_shipped_fixture_agrees_with_the_seed_summary() -> None:
    """Our re-typed lists say what the seed documents' summary says (mode, name, unit, number)."""
    if not DATA.exists():
        pytest.skip(f"real data not found at {DATA}")
    with DATA.open(encoding="utf-8") as f:
        rows = {(r["jurisdiction"], r["number"]): r for r in csv.DictReader(f) if r["number"]}
    ours = {(c.city, x.number): x for c in reference.load().cities for x in c.lines}
    assert set(rows) == set(ours)
    for key, row in rows.items():
        x = ours[key]
        assert (MODES[row["mode"]], row["name"], row["responsible_unit"]) == (x.mode, x.name, x.owner), key


def test_progress_counts_modes_and_statuses_per_city(db: Session, rt: Runtime, org: Org, imported: object,
                                                     line_of: Find) -> None:
    nanjing, suqian = service.progress(db, actor=org.actor("analyst"))
    assert (nanjing.city, nanjing.department_lines, nanjing.linked_lines) == ("南京市", 26, 5)
    assert dict(nanjing.by_mode) == {"full_merge": 12, "dual_number": 13, "sub_center": 1}
    assert (nanjing.done, nanjing.in_transition, nanjing.percent_done) == (14, 12, 53.8)
    assert (suqian.department_lines, suqian.done, suqian.in_transition) == (9, 5, 4)
    service.change_status(db, rt, actor=org.actor("admin"), line_id=line_of("12336", "宿迁市").id,
                          data=StatusChange(status=LineStatus.CANCELLED, reason="已注销"))
    (suqian,) = service.progress(db, actor=org.actor("analyst"), city="宿迁市")
    assert (suqian.done, suqian.in_transition, dict(suqian.by_status)) == (
        6, 3, {"active": 5, "in_transition": 3, "cancelled": 1})
    with pytest.raises(Forbidden):
        service.progress(db, actor=org.actor("operator"))


def test_every_change_has_a_history_row_and_an_audit_entry(db: Session, rt: Runtime, org: Org, imported: object,
                                                           line_of: Find) -> None:
    admin = org.actor("admin")
    line = line_of("12320")
    service.change_seats(db, rt, actor=admin, line_id=line.id,
                         data=SeatsChange(seat_arrangement="business_zone", reason="设业务专区"))
    service.change_mode(db, rt, actor=admin, line_id=line.id,
                        data=ModeChange(merge_mode=MergeMode.FULL_MERGE, reason="整体并入"))
    service.change_status(db, rt, actor=admin, line_id=line.id,
                          data=StatusChange(status=LineStatus.CANCELLED, reason="注销"))
    db.rollback()
    changes = db.execute(select(HotlineChange).where(HotlineChange.line_id == line.id,
                                                     HotlineChange.actor_id == org.users["admin"].id)).scalars().all()
    audits = db.execute(select(AuditEntry).where(AuditEntry.object_id == str(line.id),
                                                 AuditEntry.username == "admin")).scalars().all()
    assert len(changes) == len(audits) == 5  # seats, mode, seats (zone → none), status (→ transition), status
    assert sorted(a.action for a in audits) == ["hotline_mode", "hotline_seats", "hotline_seats", "hotline_status",
                                                "hotline_status"]
    assert all(c.reason and c.actor_name == "admin（12345中心）" and c.actor_role == "admin" for c in changes)


def test_a_cancelled_utility_line_is_no_transfer_target(db: Session, rt: Runtime, org: Org) -> None:
    """QA: 95598 stayed a one-click transfer on the call page after it was cancelled in the registry."""
    from hotline.calls import lines
    from hotline.hotlines.schemas import StatusChange

    admin = org.actor("admin")
    water = service.create(db, rt, actor=admin, data=new_line(
        number="96889", name="供水服务热线", kind="utility", merge_mode="none", service="water",
        approval_document=None, approval_by=None, owner_unit_id=org.units["water"].id))
    assert "96889" in [t.number for t in lines.utility_targets(db, "南京市")]
    service.change_status(db, rt, actor=admin, line_id=water.id,
                          data=StatusChange(status="cancelled", reason="号码注销，并入12345"))
    assert "96889" not in [t.number for t in lines.utility_targets(db, "南京市")]
