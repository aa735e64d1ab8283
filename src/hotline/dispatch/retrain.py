"""Retraining from the platform's own history: closed tickets become labelled examples.

The label is what the ticket ended as, after every correction — its final category (cut to the
level asked), the lead unit that finally handled it (so that returns and reassignments teach the
model where such requests really belong), or its kind (诉求类型, for the intake form's proposal).
Tickets merged or withdrawn, and labels with fewer than `min_per_class` examples, are left out."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.dispatch import store
from hotline.dispatch.model import ClassifierConfig, Progress, TrainingError
from hotline.dispatch.training import train_rows
from hotline.org.models import Unit
from hotline.tickets.enums import State
from hotline.tickets.models import Ticket

DONE = [str(State.CLOSED), str(State.FINISHED)]


@dataclass(frozen=True)
class Examples:
    titles: list[str]
    contents: list[str]
    labels: list[str]
    dropped_rare: int  # closed tickets of labels with too few examples
    classes_seen: int  # labels among all the closed tickets read, rare ones included
    reassigned: int  # examples whose final lead unit differs from the first one dispatched to


def closed_examples(db: Session, *, label: str = "category", level: int = 1, min_per_class: int = 20,
                    limit: int = 200_000) -> Examples:
    if label not in ("category", "unit", "kind"):
        raise TrainingError(f"未知的标签类型“{label}”：可选 category、unit 或 kind")
    conds = [Ticket.state.in_(DONE)]
    if label == "category":
        key = func.substr(Ticket.category_code, 1, 2 * level)
        conds.append(Ticket.category_code.is_not(None))
        query = select(Ticket.title, Ticket.content, key, Ticket.return_count).where(*conds)
    elif label == "kind":
        query = select(Ticket.title, Ticket.content, Ticket.kind, Ticket.return_count).where(*conds)
    else:
        conds.append(Ticket.lead_unit_id.is_not(None))
        query = (select(Ticket.title, Ticket.content, Unit.code, Ticket.return_count)
                 .join(Unit, Unit.id == Ticket.lead_unit_id).where(*conds))
    rows = db.execute(query.order_by(Ticket.id.desc()).limit(limit)).all()
    counts: dict[str, int] = {}
    for r in rows:
        counts[r[2]] = counts.get(r[2], 0) + 1
    kept = [r for r in rows if counts[r[2]] >= min_per_class]
    return Examples(titles=[r[0] for r in kept], contents=[r[1] for r in kept], labels=[r[2] for r in kept],
                    dropped_rare=len(rows) - len(kept), classes_seen=len(counts),
                    reassigned=sum(1 for r in kept if (r[3] or 0) > 0))


def retrain(db: Session, *, model_path: Path, label: str = "category", level: int = 1, min_per_class: int = 20,
            config: ClassifierConfig | None = None, progress: Progress | None = None) -> dict[str, Any]:
    ex = closed_examples(db, label=label, level=level, min_per_class=min_per_class)
    db.rollback()  # end the read before minutes of training: on SQLite an open read blocks every writer
    if len(set(ex.labels)) < 2:
        raise TrainingError(f"可用于训练的已办结工单不足：需要至少两个类别、每类不少于 {min_per_class} 件"
                            f"（已办结工单 {len(ex.labels) + ex.dropped_rare} 件、{ex.classes_seen} 类，"
                            f"达到每类件数的 {len(set(ex.labels))} 类）")
    started = time.perf_counter()
    model, _linking = train_rows(ex.titles, ex.contents, ex.labels, config=config, progress=progress, link=False)
    seconds = time.perf_counter() - started
    meta = store.describe(model, seconds=seconds, training_data={
        "source": "closed tickets", "label_kind": label, "level": level if label == "category" else None,
        "rows_used": len(ex.labels), "dropped_rare": ex.dropped_rare, "reassigned_examples": ex.reassigned,
        "min_per_class": min_per_class,
        "label_counts": {lab: ex.labels.count(lab) for lab in sorted(set(ex.labels))},
    })
    meta["label_kind"] = label
    store.save(model, model_path, meta)
    return meta
