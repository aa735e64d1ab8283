"""Recording sensitive acts in the audit log (in the caller's transaction)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from hotline.security.actor import Actor
from hotline.security.models import AuditEntry


def record(
    db: Session,
    *,
    actor: Actor,
    at: datetime,
    action: str,
    object_type: str,
    object_id: str | int,
    detail: str | None = None,
) -> None:
    db.add(
        AuditEntry(
            at=at,
            user_id=actor.user_id,
            username=actor.username or actor.name,
            role=str(actor.role),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            detail=detail[:500] if detail else None,
            client=actor.client,
        )
    )
