"""The routing snapshot: loaded once, dropped by a change in this process, and re-validated against
the history table when another process may have changed the registry."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from hotline.hotlines import service, snapshot
from hotline.hotlines.enums import LineStatus
from hotline.hotlines.models import HotlineChange, HotlineLine
from hotline.hotlines.schemas import StatusChange
from hotline.runtime import Runtime
from tests.factories import Org


def test_snapshot_is_reused_and_refreshed_on_change(db: Session, rt: Runtime, org: Org, imported: object) -> None:
    first = snapshot.current(db, default_city="南京市")
    assert snapshot.current(db, default_city="南京市") is first
    assert first.find("96510", None).status == "in_transition"  # type: ignore[union-attr]
    line_id = first.find("96510", None).id  # type: ignore[union-attr]
    service.change_status(db, rt, actor=org.actor("admin"), line_id=line_id,
                          data=StatusChange(status=LineStatus.CANCELLED, reason="注销"))
    fresh = snapshot.current(db, default_city="南京市")
    assert fresh is not first and fresh.find("96510", None).status == "cancelled"  # type: ignore[union-attr]
    db.rollback()


def test_a_change_by_another_process_is_seen_at_the_next_check(db: Session, rt: Runtime, org: Org,
                                                                 imported: object) -> None:
    cached = snapshot.current(db, default_city="南京市")
    db.rollback()
    line = cached.find("12312", None)
    assert line is not None
    # Another process: the row and its history written without going through this process's service.
    db.execute(update(HotlineLine).where(HotlineLine.id == line.id).values(status="cancelled"))
    db.add(HotlineChange(line_id=line.id, at=rt.clock.now(), field="status", from_value="in_transition",
                         to_value="cancelled", reason="另一进程", actor_name="admin", actor_role="admin"))
    db.commit()
    assert snapshot.current(db, default_city="南京市") is cached  # within the re-check interval
    seen = snapshot.current(db, default_city="南京市", recheck=0)
    assert seen is not cached and seen.find("12312", None).status == "cancelled"  # type: ignore[union-attr]
    assert snapshot.current(db, default_city="南京市", recheck=0) is seen  # unchanged: kept
    db.rollback()
