"""Duplicates (并单 / 重复件): for a new request, the running tickets on the same matter — same
place, similar words, recent — as candidates to merge, and a flag when the same matter bursts.

Similarity is the cosine of the sets of character bigrams of title + content (robust to the many
ways a caller words the same complaint, and needs no model). Candidates are limited to running
tickets of the last DAYS days, in the same district when the place is known, at most MAX_CANDIDATES
of the most recent; a ticket's bigram set is computed once per process (its text never changes), so
one check is a cheap query and a few hundred set intersections."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from threading import Lock

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hotline.org.models import Jurisdiction, JurisdictionLevel
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.security.permissions import visible_condition
from hotline.tickets.enums import State
from hotline.tickets.models import Ticket

DAYS = 30
MAX_CANDIDATES = 500
THRESHOLD = 0.45  # similarity from which a ticket is offered as a duplicate
BURST_WINDOW = timedelta(hours=24)
BURST_SIZE = 3  # this many similar requests within the window (the new one included) is a burst
RUNNING = [str(s) for s in (State.REGISTERED, State.DISPATCHED, State.HANDLING, State.RETURN_REVIEW, State.REPLIED,
                             State.TRANSFERRED)]
_NOISE = re.compile(r"[\s\d\W_]+")


@dataclass(frozen=True)
class DuplicateCandidate:
    ticket_id: int
    number: str
    title: str
    state: str
    similarity: float
    same_place: bool


@dataclass(frozen=True)
class DuplicateCheck:
    candidates: list[DuplicateCandidate]
    burst: bool  # the same matter came in BURST_SIZE times or more within BURST_WINDOW
    recent_similar: int


def bigrams(text: str) -> frozenset[str]:
    clean = _NOISE.sub("", unicodedata.normalize("NFKC", text or "").lower())
    return frozenset(clean[i:i + 2] for i in range(len(clean) - 1))


def cosine(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


CacheKey = tuple[int, str, int]  # ticket id, title, content length: a reused id (tests) is not stale


class _BigramCache:
    """A ticket's bigram set, the most recently used `size` kept."""

    def __init__(self, size: int) -> None:
        self.size, self.items, self.lock = size, OrderedDict[CacheKey, frozenset[str]](), Lock()

    def get(self, ticket_id: CacheKey) -> frozenset[str] | None:
        with self.lock:
            found = self.items.get(ticket_id)
            if found is not None:
                self.items.move_to_end(ticket_id)
            return found

    def put(self, ticket_id: CacheKey, grams: frozenset[str]) -> None:
        with self.lock:
            self.items[ticket_id] = grams
            if len(self.items) > self.size:
                self.items.popitem(last=False)


_cache = _BigramCache(50_000)


def district_prefix(db: Session, path: str | None) -> str | None:
    """The path of the district that contains `path` (or `path` itself above district level):
    duplicates are looked for across a district, whatever the depth of the tree's root."""
    if not path:
        return None
    ids = [int(p) for p in path.split("/") if p]
    found = db.execute(select(Jurisdiction.path).where(Jurisdiction.id.in_(ids),
                                                       Jurisdiction.level == str(JurisdictionLevel.DISTRICT))).scalar()
    return found or path


def find_duplicates(db: Session, rt: Runtime, *, title: str, content: str, jurisdiction_path: str | None,
                    actor: Actor, exclude_ticket_id: int | None = None, limit: int = 5) -> DuplicateCheck:
    """Only among the tickets the actor may see: a candidate shows its number and title."""
    now = rt.clock.now()
    conds = [visible_condition(actor), Ticket.state.in_(RUNNING), Ticket.created_at >= now - timedelta(days=DAYS)]
    area = district_prefix(db, jurisdiction_path)
    if area:  # or no place yet: a ticket waiting for its place may well be the same matter
        conds.append(or_(Ticket.jurisdiction_path.startswith(area, autoescape=True),
                         Ticket.jurisdiction_path.is_(None)))
    if exclude_ticket_id is not None:
        conds.append(Ticket.id != exclude_ticket_id)
    rows = db.execute(
        select(Ticket.id, Ticket.number, Ticket.title, Ticket.state, Ticket.jurisdiction_path, Ticket.created_at,
               func.length(Ticket.content))
        .where(*conds).order_by(Ticket.created_at.desc()).limit(MAX_CANDIDATES)
    ).all()
    missing = {r[0]: (r[0], r[2], r[6]) for r in rows if _cache.get((r[0], r[2], r[6])) is None}
    ids = list(missing)
    for i in range(0, len(ids), 500):
        for tid, t_title, t_content in db.execute(
                select(Ticket.id, Ticket.title, Ticket.content).where(Ticket.id.in_(ids[i:i + 500]))):
            _cache.put(missing[tid], bigrams(f"{t_title} {t_content}"))
    mine = bigrams(f"{title} {content}")
    scored = []
    recent = 0
    for tid, number, t_title, state, path, created, length in rows:
        grams = _cache.get((tid, t_title, length))
        sim = cosine(mine, grams if grams is not None else frozenset())
        if sim >= THRESHOLD:
            same_place = bool(jurisdiction_path and path and path == jurisdiction_path)
            scored.append(DuplicateCandidate(ticket_id=tid, number=number, title=t_title, state=state,
                                             similarity=round(sim, 3), same_place=same_place))
            if created >= now - BURST_WINDOW:
                recent += 1
    scored.sort(key=lambda c: (c.same_place, c.similarity), reverse=True)
    return DuplicateCheck(candidates=scored[:limit], burst=recent + 1 >= BURST_SIZE, recent_similar=recent)
