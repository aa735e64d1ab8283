"""Importing historical messages (e.g. a 问政 platform's) as closed tickets, for analysis.

Each CSV row becomes one ticket: channel web, kind and category derived from its words
(analytics/derive.py), state closed, registered at the message's time (created_at), its id kept as
`external_key` (unique) and its likes as `support`. Re-importing skips the keys already present.

Consistent with tickets/service.py, but in batches (one INSERT … per batch, one commit per batch):
- numbers come from the same per-day counter (`ticket_counters`) as registered tickets, a range
  reserved per day and batch, so an imported ticket's number is like any other (NJ20190228-000012);
- every ticket gets its history: a `register` event at the message time and a `close` event
  (at the reply time when the file has one, else at the message time), by the system actor
  "历史数据导入", with `data.imported = true`;
- no deadline, no unit, no callback due (callback_due_at stays empty): imported tickets never enter
  a work queue or an overdue count; the callback list leaves them out (no one to call back).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.analytics.derive import category_of, kind_of
from hotline.clock import CHINA_TZ, to_local
from hotline.dispatch.dataset import DatasetError, read_csv
from hotline.org.models import Jurisdiction, JurisdictionLevel
from hotline.runtime import Runtime
from hotline.security.roles import Role
from hotline.tickets.enums import Action, Channel, State, Urgency
from hotline.tickets.models import Ticket, TicketCounter, TicketEvent

IMPORT_ACTOR = "历史数据导入"
MAX_KEY = 64
_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y%m%d %H:%M:%S", "%Y%m%d")


class ImportFailed(Exception):
    """The file cannot be imported at all (missing, unreadable, a named column absent)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Progress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, n: int) -> None: ...


@dataclass(frozen=True)
class Columns:
    id: str
    title: str
    content: str
    time: str
    votes: str | None = None
    reply: str | None = None
    reply_time: str | None = None


@dataclass
class BadRow:
    row: int  # 1-based data row (the header is not counted)
    key: str
    reason: str


@dataclass
class Report:
    total: int = 0
    imported: int = 0
    skipped_existing: int = 0
    duplicates_in_file: int = 0
    bad: list[BadRow] = field(default_factory=list)


@dataclass
class _Message:
    row: int
    key: str
    title: str
    content: str
    at: datetime
    support: int
    reply: str | None
    replied_at: datetime | None


def parse_time(value: str) -> datetime:
    """'2019/2/28 11:25:05', '2019-08-01 00:00:00', '2019/2/28' … as China time → aware UTC."""
    text = re.sub(r"\s+", " ", value.strip()).replace("-", "/").replace("T", " ")
    text = re.sub(r"\.\d+$", "", text)
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=CHINA_TZ)
        except ValueError:
            continue
    raise ValueError(value)


def _parse_row(n: int, raw: dict[str, str], cols: Columns, key_prefix: str) -> _Message | BadRow:
    key = (raw.get(cols.id) or "").strip()
    if not key:
        return BadRow(n, "", f"「{cols.id}」为空")
    key = f"{key_prefix}{key}"
    if len(key) > MAX_KEY:
        return BadRow(n, key[:20], f"「{cols.id}」超过 {MAX_KEY} 个字符")
    title = (raw.get(cols.title) or "").strip()
    content = (raw.get(cols.content) or "").strip()
    if not title and not content:
        return BadRow(n, key, f"「{cols.title}」和「{cols.content}」都为空")
    try:
        at = parse_time(raw.get(cols.time) or "")
    except ValueError:
        return BadRow(n, key, f"「{cols.time}」无法识别为时间：{(raw.get(cols.time) or '').strip()[:30] or '（空）'}")
    support = 0
    if cols.votes:
        votes = (raw.get(cols.votes) or "").strip() or "0"
        if not votes.isdecimal():
            return BadRow(n, key, f"「{cols.votes}」应为非负整数：{votes[:20]}")
        support = int(votes)
    reply = (raw.get(cols.reply) or "").strip() or None if cols.reply else None
    replied_at = None
    if cols.reply_time and (raw.get(cols.reply_time) or "").strip():
        try:
            replied_at = parse_time(raw[cols.reply_time])
        except ValueError:
            return BadRow(n, key, f"「{cols.reply_time}」无法识别为时间：{raw[cols.reply_time].strip()[:30]}")
    if replied_at is not None and replied_at < at:
        replied_at = at  # a reply stamped before its message: keep the order of the history
    if not title:
        title = content[:40]
    return _Message(n, key, title[:200], content or title, at, support, reply, replied_at)


def _chunks(items: Sequence[_Message], size: int) -> Iterator[Sequence[_Message]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _districts(db: Session) -> list[tuple[str, int, str]]:
    """(name, id, path) of every district, longest names first (so 玄武区 is tried before 武区)."""
    rows = db.execute(select(Jurisdiction.name, Jurisdiction.id, Jurisdiction.path)
                      .where(Jurisdiction.level == JurisdictionLevel.DISTRICT)).all()
    return sorted(((r[0], r[1], r[2]) for r in rows), key=lambda r: -len(r[0]))


def _jurisdiction_for(text: str, districts: list[tuple[str, int, str]]) -> tuple[int, str] | None:
    """The one district the text names; none when it names none or several."""
    found = {(jid, path) for name, jid, path in districts if name in text}
    return next(iter(found)) if len(found) == 1 else None


def _reserve_numbers(db: Session, day: str, n: int) -> int:
    """Reserve n numbers of a day's counter; returns the first."""
    value = db.execute(
        update(TicketCounter).where(TicketCounter.day == day).values(value=TicketCounter.value + n)
        .returning(TicketCounter.value)
    ).scalar_one_or_none()
    if value is None:
        try:
            with db.begin_nested():
                db.execute(insert(TicketCounter).values(day=day, value=n))
            value = n
        except IntegrityError:
            value = db.execute(
                update(TicketCounter).where(TicketCounter.day == day).values(value=TicketCounter.value + n)
                .returning(TicketCounter.value)
            ).scalar_one()
    return int(value) - n + 1


def import_messages(
    db: Session,
    rt: Runtime,
    *,
    path: Path,
    columns: Columns,
    batch_size: int = 1000,
    key_prefix: str = "",
    progress: Progress | None = None,
) -> Report:
    """Import the CSV; bad rows are reported and skipped, good ones kept (one commit per batch)."""
    try:
        table = read_csv(path)
    except DatasetError as exc:
        raise ImportFailed(exc.code, exc.message) from exc
    named = [c for c in (columns.id, columns.title, columns.content, columns.time, columns.votes,
                         columns.reply, columns.reply_time) if c]
    missing = [c for c in named if c not in table.columns]
    if missing:
        raise ImportFailed("missing_column", f"CSV 文件 {path} 缺少列：{'、'.join(missing)}"
                                             f"（文件中的列：{'、'.join(table.columns)}）")
    report = Report(total=len(table.rows))
    messages: list[_Message] = []
    seen: set[str] = set()
    for n, raw in enumerate(table.rows, start=1):
        parsed = _parse_row(n, raw, columns, key_prefix)
        if isinstance(parsed, BadRow):
            report.bad.append(parsed)
        elif parsed.key in seen:
            report.duplicates_in_file += 1
        else:
            seen.add(parsed.key)
            messages.append(parsed)
    if progress:
        progress.start(len(messages))
    districts = _districts(db)
    source = Path(path).name[:100]
    try:
        for chunk in _chunks(messages, batch_size):
            report.imported += _import_batch(db, rt, chunk, districts, source, report)
            db.commit()
            if progress:
                progress.advance(len(chunk))
    except Exception:
        db.rollback()
        raise
    return report


def _import_batch(db: Session, rt: Runtime, chunk: Sequence[_Message], districts: list[tuple[str, int, str]],
                  source: str, report: Report) -> int:
    keys = [m.key for m in chunk]
    existing = set(db.execute(select(Ticket.external_key).where(Ticket.external_key.in_(keys))).scalars())
    fresh = [m for m in chunk if m.key not in existing]
    report.skipped_existing += len(chunk) - len(fresh)
    if not fresh:
        return 0
    by_day: dict[str, list[_Message]] = defaultdict(list)
    for m in fresh:
        by_day[to_local(m.at).strftime("%Y%m%d")].append(m)
    numbers: dict[str, str] = {}
    for day in sorted(by_day):
        first = _reserve_numbers(db, day, len(by_day[day]))
        for offset, m in enumerate(sorted(by_day[day], key=lambda m: (m.at, m.row))):
            numbers[m.key] = f"{rt.settings.city_code}{day}-{first + offset:06d}"
    rows: list[dict[str, Any]] = []
    for m in fresh:
        place = _jurisdiction_for(f"{m.title} {m.content[:300]}", districts) if districts else None
        closed_at = m.replied_at or m.at
        rows.append({
            "number": numbers[m.key], "state": State.CLOSED.value, "channel": Channel.WEB.value,
            "kind": kind_of(m.title, m.content).value, "category_code": category_of(m.title, m.content),
            "urgency": Urgency.NORMAL.value, "is_enterprise": False, "is_complex": False, "confidential": False,
            "requester_anonymous": False, "jurisdiction_id": place[0] if place else None,
            "jurisdiction_path": place[1] if place else None, "title": m.title, "content": m.content,
            "created_at": m.at, "updated_at": closed_at, "replied_at": m.replied_at, "reply_content": m.reply,
            "closed_at": closed_at, "extension_pending": False, "extension_days_used": 0, "remind_count": 0,
            "supervise_count": 0, "reopen_count": 0, "return_count": 0, "external_key": m.key,
            "support": m.support,
        })
    ids = db.execute(insert(Ticket).returning(Ticket.id, Ticket.external_key, sort_by_parameter_order=True),
                     rows).all()
    by_key = {m.key: m for m in fresh}
    events: list[dict[str, Any]] = []
    for ticket_id, key in ids:
        m = by_key[key]
        common = {"ticket_id": ticket_id, "actor_user_id": None, "actor_role": Role.SYSTEM.value,
                  "actor_name": IMPORT_ACTOR, "unit_id": None}
        events.append({**common, "at": m.at, "action": Action.REGISTER.value, "from_state": None,
                       "to_state": State.REGISTERED.value, "note": m.title,
                       "data": {"imported": True, "source": source, "external_key": key}})
        events.append({**common, "at": m.replied_at or m.at, "action": Action.CLOSE.value,
                       "from_state": State.REGISTERED.value, "to_state": State.CLOSED.value,
                       "note": "历史留言导入（已办结）", "data": {"imported": True}})
    db.execute(insert(TicketEvent), events)
    return len(ids)
