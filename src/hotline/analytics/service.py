"""Analysis reads: request volume by kind, category, channel, district and time; hotspots, early
warnings and monthly-issue candidates; 好差评 by unit and by month (the ratings package's queries).
Read-only; every query is limited to what the actor may see
(security.permissions.visible_condition) and open to analysts, supervisors and administrators."""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.analytics.hotspots import Cluster, Doc, Params, cluster, recurring
from hotline.clock import CHINA_TZ, to_local
from hotline.org.models import Jurisdiction, JurisdictionLevel
from hotline.ratings import service as ratings
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.security.permissions import ensure_role, visible_condition
from hotline.security.roles import Role
from hotline.tickets.categories import catalogue
from hotline.tickets.enums import CHANNEL_LABELS, KIND_LABELS, Kind, State
from hotline.tickets.models import Ticket, TicketEvent

ANALYSIS_ROLES = (Role.ANALYST, Role.SUPERVISOR, Role.ADMIN)
DIMENSIONS = ("kind", "category", "channel", "district", "time")
DIMENSION_LABELS = {"kind": "诉求类型", "category": "诉求分类", "channel": "受理渠道", "district": "区县",
                    "time": "时间"}
# Withdrawn and merged tickets are not requests of their own.
NOT_COUNTED = (State.WITHDRAWN.value, State.MERGED.value)
MAX_HOTSPOT_TICKETS = 200_000


def ensure_analyst(actor: Actor) -> None:
    ensure_role(actor, *ANALYSIS_ROLES)


def _conds(actor: Actor, since: datetime | None, until: datetime | None) -> list[Any]:
    conds: list[Any] = [visible_condition(actor), Ticket.state.not_in(NOT_COUNTED)]
    if since:
        conds.append(Ticket.created_at >= since)
    if until:
        conds.append(Ticket.created_at < until)
    return conds


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    count: int


def _districts(db: Session) -> list[tuple[str, str]]:
    """(path, name) of every district, for mapping a ticket's jurisdiction path to its district."""
    return [(p, n) for p, n in db.execute(select(Jurisdiction.path, Jurisdiction.name)
                                          .where(Jurisdiction.level == JurisdictionLevel.DISTRICT)).all()]


def _streets(db: Session) -> dict[str, str]:
    """path → name of every street (街道/镇) of the tree."""
    return dict(db.execute(select(Jurisdiction.path, Jurisdiction.name)
                           .where(Jurisdiction.level == JurisdictionLevel.STREET)).all())  # type: ignore[arg-type]


def _street_of(path: str | None, streets: dict[str, str]) -> str | None:
    if not path:
        return None
    parts = path.strip("/").split("/")
    for k in range(len(parts), 0, -1):
        name = streets.get("/" + "/".join(parts[:k]) + "/")
        if name:
            return name
    return None


def volume(db: Session, rt: Runtime, *, actor: Actor, dimension: str, since: datetime | None = None,
           until: datetime | None = None) -> list[Bucket]:
    """Ticket counts per value of one dimension, in a useful order (time ascending, others by count)."""
    ensure_analyst(actor)
    conds = _conds(actor, since, until)
    if dimension == "time":
        return _by_time(db, conds, since, until, now=rt.clock.now())
    column = {"kind": Ticket.kind, "category": Ticket.category_code, "channel": Ticket.channel,
              "district": Ticket.jurisdiction_path}.get(dimension)
    if column is None:
        from hotline.errors import DomainError

        raise DomainError("unknown_dimension", f"未知的统计维度：{dimension}（可选：{'、'.join(DIMENSIONS)}）",
                          status_code=422)
    rows = db.execute(select(column, func.count(Ticket.id)).where(*conds).group_by(column)).all()
    counts: Counter[tuple[str, str]] = Counter()
    if dimension == "kind":
        labels = {str(k): v for k, v in KIND_LABELS.items()}
        for value, n in rows:
            counts[(value, labels.get(value, value))] += n
    elif dimension == "channel":
        labels = {str(k): v for k, v in CHANNEL_LABELS.items()}
        for value, n in rows:
            counts[(value, labels.get(value, value))] += n
    elif dimension == "category":
        cats = catalogue()
        for value, n in rows:
            top = (value or "")[:2]
            counts[(top or "none", cats[top].name if top in cats else "未分类")] += n
    else:
        districts = sorted(_districts(db), key=lambda d: -len(d[0]))
        for path, n in rows:
            found = next(((p, name) for p, name in districts if path and path.startswith(p)), None)
            counts[found if found else ("none", "未标注区县")] += n
    return [Bucket(k, label, n) for (k, label), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0]))]


def _by_time(db: Session, conds: list[Any], since: datetime | None, until: datetime | None, *,
             now: datetime) -> list[Bucket]:
    """Per day when the range is at most 62 days, else per month (local time), gaps filled with 0 — up
    to today: the days still to come are not zeros (QA: this month's line fell to 0 after today, and
    the downloads listed the coming days as 0 requests). A chosen period without a request is its days
    at 0, as a quiet day within a busy week is (QA: it was an empty list — no line at all, and a
    download with no rows, where a week with one request showed six zeros)."""
    times = [to_local(t) for t in db.execute(select(Ticket.created_at).where(*conds)).scalars()]
    if not times and since is None:
        return []
    lo = to_local(since) if since else min(times)
    latest = max([to_local(now), *times])
    hi = min(to_local(until) - timedelta(seconds=1), latest) if until else (max(times) if times else to_local(now))
    daily = (hi - lo) <= timedelta(days=62)
    fmt = "%Y-%m-%d" if daily else "%Y-%m"
    counts = Counter(t.strftime(fmt) for t in times)
    keys: list[str] = []
    cursor = lo.replace(hour=0, minute=0, second=0, microsecond=0)
    if not daily:
        cursor = cursor.replace(day=1)
    while cursor <= hi:
        keys.append(cursor.strftime(fmt))
        cursor = cursor + timedelta(days=1) if daily else (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [Bucket(k, k, counts.get(k, 0)) for k in keys]


def load_docs(db: Session, *, actor: Actor, since: datetime | None, until: datetime | None,
              limit: int = MAX_HOTSPOT_TICKETS) -> list[Doc]:
    """The tickets of the period as clustering input (the newest `limit` when there are more)."""
    districts = sorted(_districts(db), key=lambda d: -len(d[0]))
    streets = _streets(db)
    rows = db.execute(
        select(Ticket.id, Ticket.number, Ticket.external_key, Ticket.title, func.substr(Ticket.content, 1, 400),
               Ticket.created_at, Ticket.support, Ticket.jurisdiction_path)
        # thanks and praise are no problem to find the heart of (QA: 81 感谢 across the city were hotspot #1)
        .where(*_conds(actor, since, until), Ticket.kind != str(Kind.PRAISE))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)
    ).all()
    docs = []
    for tid, number, key, title, content, at, support, path in rows:
        district = next((name for p, name in districts if path and path.startswith(p)), None) if path else None
        docs.append(Doc(key=key or number, title=title or "", content=content or "", at=at, support=support or 0,
                        ticket_id=tid, district=district, number=number, street=_street_of(path, streets)))
    docs.reverse()
    return docs


@dataclass
class HotspotResult:
    clusters: list[Cluster]
    docs: list[Doc]
    tickets: int
    seconds_read: float
    seconds_cluster: float
    until: datetime
    warnings: list[Cluster] = field(default_factory=list)
    monthly: list[Cluster] = field(default_factory=list)


# Recent results by (scope, period, parameters, data fingerprint): the pages and the downloads of one
# analysis do not cluster again while no ticket of the period has changed.
_CACHE: OrderedDict[tuple[Any, ...], HotspotResult] = OrderedDict()
_CACHE_SIZE = 8
_cache_lock = threading.Lock()


def hotspots(db: Session, rt: Runtime, *, actor: Actor, since: datetime | None = None, until: datetime | None = None,
             params: Params | None = None, min_months: int = 3) -> HotspotResult:
    """Every hotspot of the period, hottest first, with the warned ones and 每月一题 candidates."""
    ensure_analyst(actor)
    fingerprint = db.execute(select(func.count(Ticket.id), func.max(Ticket.id), func.max(Ticket.updated_at))
                             .where(*_conds(actor, since, until))).one()
    key = (actor.data_scope, actor.scope_path, actor.unit_id, since, until, params, min_months, tuple(fingerprint))
    with _cache_lock:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    result = _compute(db, rt, actor=actor, since=since, until=until, params=params, min_months=min_months)
    with _cache_lock:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def _compute(db: Session, rt: Runtime, *, actor: Actor, since: datetime | None, until: datetime | None,
             params: Params | None, min_months: int) -> HotspotResult:
    t0 = time.perf_counter()
    docs = load_docs(db, actor=actor, since=since, until=until)
    t1 = time.perf_counter()
    end = until or (max(d.at for d in docs) if docs else rt.clock.now())
    clusters = cluster(docs, params, now=end)
    t2 = time.perf_counter()
    warned = sorted((c for c in clusters if c.growth and c.growth.warning),
                    key=lambda c: (-(c.growth.ratio if c.growth else 0), -c.size))
    return HotspotResult(clusters=clusters, docs=docs, tickets=len(docs), seconds_read=t1 - t0,
                         seconds_cluster=t2 - t1, until=end, warnings=warned,
                         monthly=recurring(clusters, min_months=min_months))


def cluster_out(c: Cluster, docs: list[Doc], *, with_tickets: bool = False) -> dict[str, Any]:
    out = c.as_dict()
    if with_tickets:
        out["tickets"] = [{"id": docs[i].ticket_id, "number": docs[i].number, "key": docs[i].key,
                           "title": docs[i].title,
                           "at": docs[i].at.isoformat(), "support": docs[i].support} for i in c.members]
    return out


def district_map(db: Session, rt: Runtime, *, actor: Actor, since: datetime | None = None,
                 until: datetime | None = None) -> list[Bucket]:
    """Every district of the jurisdiction tree with its count (0 included, in tree order), then the
    tickets with no district."""
    counts = {b.key: b for b in volume(db, rt, actor=actor, dimension="district", since=since, until=until)}
    rows = db.execute(select(Jurisdiction.path, Jurisdiction.name)
                      .where(Jurisdiction.level == JurisdictionLevel.DISTRICT).order_by(Jurisdiction.code)).all()
    out = [Bucket(p, n, counts[p].count if p in counts else 0) for p, n in rows]
    if "none" in counts:
        out.append(counts["none"])
    return out


# ---- 好差评 (the public's ratings): the ratings package's own queries, by unit and by month --------------

MAX_RATING_MONTHS = 36


@dataclass(frozen=True)
class MonthRatings:
    month: str  # 2026-11 (local time)
    figures: ratings.Summary


def ratings_by_unit(db: Session, *, actor: Actor, since: datetime | None = None,
                    until: datetime | None = None) -> list[ratings.UnitSummary]:
    """好评率 and 差评 per unit the ratings of the period judged, those with most 差评 first."""
    ensure_analyst(actor)
    return ratings.summary_by_unit(db, actor=actor, start=since, end=until)


def ratings_total(db: Session, *, actor: Actor, since: datetime | None = None,
                  until: datetime | None = None) -> ratings.Summary:
    ensure_analyst(actor)
    return ratings.summary(db, actor=actor, start=since, end=until)


def ratings_by_month(db: Session, rt: Runtime, *, actor: Actor, since: datetime | None = None,
                     until: datetime | None = None) -> list[MonthRatings]:
    """Each local month of the period (its first rating's month when open, up to this month) with its
    figures, months without a rating at 0; the last MAX_RATING_MONTHS when longer."""
    ensure_analyst(actor)
    first = since
    if first is None:
        first = db.execute(select(func.min(TicketEvent.at)).join(Ticket, ratings.rate_event())
                           .where(visible_condition(actor))).scalar_one_or_none()
        if first is None:
            return []
    lo = to_local(first).date().replace(day=1)
    # up to this month: the months still to come are not months without a rating (as the volume trend)
    now = rt.clock.now()
    hi = to_local(min(until - timedelta(seconds=1), now) if until else now).date().replace(day=1)
    months: list[date] = []
    while lo <= hi:
        months.append(lo)
        lo = (lo.replace(day=28) + timedelta(days=4)).replace(day=1)
    out = []
    for m in months[-MAX_RATING_MONTHS:]:
        start = datetime.combine(m, dtime(), tzinfo=CHINA_TZ)
        end = datetime.combine((m.replace(day=28) + timedelta(days=4)).replace(day=1), dtime(), tzinfo=CHINA_TZ)
        out.append(MonthRatings(f"{m:%Y-%m}", ratings.summary(
            db, actor=actor, start=max(start, since) if since else start, end=min(end, until) if until else end)))
    return out
