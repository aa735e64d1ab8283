"""Benchmark: the features of stops 28-29 at city scale, on SQLite and (given a URL) PostgreSQL.

    HOTLINE_DATA_PATH=/work/shared/data .venv/bin/python bench/city_scale.py [--tickets 300000] [--runs 15]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/hotline_perf_scale] [--sqlite /tmp/hl_scale/city.db]
        [--reuse] [--only sqlite|pg] [--revision REV] [--build-only] [--no-upgrade] [--before-after]

Old code against new code, the same rows (what docs/benchmarks.md "City scale" reports):

    bench/city_scale.py --revision 0038_action_idempotency --build-only --pg URL  # without migration 0039
    git archive main src | tar -x -C /tmp/base                              # the code before
    PYTHONPATH=/tmp/base/src bench/city_scale.py --reuse --no-upgrade --runs 5 --pg URL   # before
    PYTHONPATH=src bench/city_scale.py --reuse --runs 5 --pg URL            # after: migrates to head first

1. Each database is created afresh (SQLite: the file; PostgreSQL: the database named in the URL, which must be
   called hotline_bench* or hotline_perf*: it is dropped and recreated), migrated, and given the Nanjing
   organisation (read_1m.build_org_on: 245 jurisdictions, 117 units, one handler per unit) and a supervisor.
2. --tickets tickets over the year before "now" (Mon 16 Nov 2026 10:00 Beijing time), simulated by
   read_1m.Generator (dispatch, 签收, returns, replies, closes, callbacks with satisfaction, direct answers,
   merges, withdrawals, cut at "now"), and on top of it what the newer features read:
   - every ticket's 派单时限 (dispatch_due_at / dispatch_warn_at from the policy) and each first dispatch's
     dispatch_on_time verdict (the report's 派单及时率);
   - a 待派单 backlog: of the tickets of the last three days, BACKLOG stay registered; those past their limit
     were told already (dispatch_alerted_at, as a scheduler running every minute leaves them); of the ones
     older than two days, LEGACY have no limit yet (registered before it existed: _give_limits' work);
   - 20 knowledge articles per unit; CITED of the direct answers cite one of their unit's articles
     (接诉即答率, /kb/maintenance);
   - public ratings (好差评) of RATED of the finished tickets, bad mostly where the callback was unhappy, with
     差评核实 follow-ups on some; 审核研判 (回头看) of half the unsatisfied tickets finished a week ago.
   The same rows go to both databases, chunk by chunk. PostgreSQL then gets VACUUM ANALYZE (autovacuum
   would do it); SQLite gets no ANALYZE, as the app never runs one.
3. In-process, a fixed clock at "now", each measured --runs times after one warm-up (p50 / p95 / max):
   the scheduler job dispatch_overdue (a catch-up pass: the backlog's alerts and limits reset before each run,
   so every run tells and gives limits again; and a steady pass: nothing new, the cost of every minute's tick),
   the 待派单 queue's three tabs (service.search, as page and API call it), 接诉即答率 and the maintenance
   report (30 days), the 差评 list and the 回头看 list with counts (first page, a late page), and the report's
   派单及时率, 涉企诉求 and 好差评 parts for October 2026; then the pages themselves through the app
   (TestClient, a supervisor's session): /hall/dispatch (three tabs), /kb/maintenance, /supervision/ratings and
   /supervision/revisit (first and a late page); last, INTAKE registrations one by one through
   tickets.service.register (what the indexes cost the write path), deleted afterwards. The app runs with
   kb_warm_at_start=off and (production settings) no embedded scheduler: no thread writes beside the timings.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine, print_machine, recreate_database  # noqa: E402
from read_1m import PASSWORD, Generator, OrgInfo, build_org_on, org_info, timestamps  # noqa: E402
from sqlalchemy import delete, insert, select, text, update  # noqa: E402

from hotline.clock import CHINA_TZ, FixedClock, to_local  # noqa: E402
from hotline.config import Settings  # noqa: E402
from hotline.db import make_engine, make_session_factory  # noqa: E402
from hotline.knowledge.models import Article, ArticleVersion  # noqa: E402
from hotline.ratings.models import RatingFollowup  # noqa: E402
from hotline.tickets.deadlines import warn_at  # noqa: E402
from hotline.tickets.models import Ticket, TicketAssignment, TicketEvent, TicketReview  # noqa: E402

NOW = datetime(2026, 11, 16, 10, 0, tzinfo=CHINA_TZ)
BEFORE = "0038_action_idempotency"  # the last revision before this benchmark's indexes (--before-after)
MONTH = "2026-10"
SECRET = "bench-secret-not-for-production-0123456789"
CHUNK = 20_000
BACKLOG = 0.25  # of the last three days' tickets, still in 待派单
LEGACY = 0.3  # of the backlog older than two days, without a 派单时限
CITED = 0.8  # direct answers citing one of their unit's articles
RATED = 0.22  # finished tickets the public rated
ARTICLES_PER_UNIT = 20
INTAKE = 300  # registrations measured (measure_intake)
FACTS = ("kind", "urgency", "is_complex", "is_enterprise", "channel")
UNHAPPY = ("unsatisfied", "very_unsatisfied")
GOOD_LEVELS = [("very_satisfied", 50), ("satisfied", 35), ("basically_satisfied", 15)]
RESET = ["lead_unit_id", "dispatched_at", "ack_due_at", "return_due_at", "due_at", "warn_at", "time_limit_label",
         "paused_at", "extension_requested_days", "replied_at", "reply_content", "closed_at", "callback_due_at",
         "finished_at", "answer_source", "solved", "satisfaction", "parent_id"]


# ---- data ---------------------------------------------------------------------------------------


def load_org(engine: Any) -> OrgInfo:
    """read_1m's organisation through SQLAlchemy (either database)."""
    with engine.connect() as conn:
        return org_info(lambda sql: conn.execute(text(sql)).all())


class CityGenerator(Generator):
    """read_1m's ticket lives, plus what the newer features read (see the module's docstring)."""

    def __init__(self, org: OrgInfo, seed: int, articles: dict[str, list[tuple[str, str]]]) -> None:
        super().__init__(org, NOW.astimezone(UTC), seed, ["warn_at"])
        self.articles = articles
        self.unit_of_title = {tpl["title"]: tpl["unit"] for tpl in self.templates}
        self.supervisor = org.centre_staff["supervisor"]
        self.reviews: list[dict[str, Any]] = []
        self.followups: list[dict[str, Any]] = []

    def ticket(self, tid: int, created_ts: float, number: str) -> tuple[dict[str, Any], list[dict[str, Any]],
                                                                         list[dict[str, Any]]]:
        t, assignments, events = super().ticket(tid, created_ts, number)
        rng, now, created = self.rng, self.now, t["created_at"]
        due = self.policy.dispatch_limit({k: t[k] for k in FACTS}).apply(created)
        t.update(dispatch_due_at=due, dispatch_alerted_at=None, review_conclusion=None,
                 dispatch_warn_at=warn_at(started_at=created, due_at=due,
                                          warn_before_hours=self.policy.warn_before_hours))
        age = now - created
        if age < timedelta(days=3) and t["state"] not in ("registered", "merged") and rng.random() < BACKLOG:
            t.update({k: None for k in RESET}, state="registered", updated_at=created, extension_pending=False,
                     extension_days_used=0, remind_count=0, return_count=0)
            assignments, events = [], events[:1]
        if t["state"] == "registered":
            if due < now:
                t["dispatch_alerted_at"] = due + timedelta(minutes=1)
            if age > timedelta(days=2) and rng.random() < LEGACY:
                t.update(dispatch_due_at=None, dispatch_warn_at=None, dispatch_alerted_at=None)
        for e in events:
            if e["action"] == "dispatch":
                e["data"]["dispatch_on_time"] = e["at"] <= due
            elif e["action"] == "answer_directly" and rng.random() < CITED:
                code = self.unit_of_title.get(t["title"], "district")
                pool = self.articles.get(code) or self.articles[f"gov{rng.choice(list(self.governments))}"]
                key, title = rng.choice(pool)
                source = f"知识库 {key} 第1版《{title}》"
                e["data"]["answer_source"] = source
                t["answer_source"] = source
        if t["state"] == "finished":
            self._rate(t, events)
            self._review(t, events)
        return t, assignments, events

    def _rate(self, t: dict[str, Any], events: list[dict[str, Any]]) -> None:
        rng = self.rng
        if rng.random() >= RATED:
            return
        at = t["finished_at"] + timedelta(hours=rng.uniform(0.2, 120))
        if at > self.now:
            return
        bad = rng.random() < (0.6 if t["satisfaction"] in UHAPPY_SET else 0.04)
        level = rng.choice(UNHAPPY) if bad else rng.choices([v for v, _ in GOOD_LEVELS],
                                                              weights=[w for _, w in GOOD_LEVELS])[0]
        comment = rng.choice(["问题没有解决", "答复敷衍", "办理太慢"]) if bad else None
        t.update(public_rating=level, public_comment=comment)
        events.append({"ticket_id": t["id"], "at": at, "action": "rate", "from_state": "finished",
                       "to_state": "finished", "actor_user_id": None, "actor_role": "requester",
                       "actor_name": "诉求人", "unit_id": t["lead_unit_id"], "note": comment,
                       "data": {"satisfaction": level}})
        if bad and at < self.now - timedelta(days=2) and rng.random() < 0.4:
            self.followups.append({"ticket_id": t["id"], "conclusion": rng.choice(["fixed", "contacted", "other"]),
                                   "note": "已联系诉求人并督促整改", "by_user_id": self.supervisor["id"],
                                   "by_name": self.supervisor["name"], "at": at + timedelta(hours=rng.uniform(1, 48))})

    def _review(self, t: dict[str, Any], events: list[dict[str, Any]]) -> None:
        rng = self.rng
        if not (t["solved"] is False or t["satisfaction"] in UHAPPY_SET):
            return
        if t["finished_at"] > self.now - timedelta(days=7) or rng.random() >= 0.5:
            return
        at = t["finished_at"] + timedelta(days=rng.uniform(1, 6))
        conclusion = rng.choice(["handled", "unreasonable", "not_solvable"])
        t["review_conclusion"] = conclusion
        self.reviews.append({"ticket_id": t["id"], "conclusion": conclusion, "opinion": "经审核，已依法依规处置。",
                             "reviewed_at": at, "reviewer_user_id": self.supervisor["id"],
                             "reviewer_name": self.supervisor["name"], "finished_at": t["finished_at"]})
        events.append({"ticket_id": t["id"], "at": at, "action": "review", "from_state": "finished",
                       "to_state": "finished", "actor_user_id": self.supervisor["id"], "actor_role": "supervisor",
                       "actor_name": self.supervisor["name"], "unit_id": None, "note": "经审核，已依法依规处置。",
                       "data": {"conclusion": conclusion}})


UHAPPY_SET = frozenset(UNHAPPY)


def articles_for(org: OrgInfo) -> tuple[dict[str, list[tuple[str, str]]], list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(11)
    by_code: dict[str, list[tuple[str, str]]] = {}
    articles, versions = [], []
    now = NOW.astimezone(UTC)
    for code, unit in sorted(org.units.items()):
        if code == "center":
            continue
        for n in range(ARTICLES_PER_UNIT):
            aid = len(articles) + 1
            key, title = f"K{aid:06d}", f"{unit['short_name']}常见问题{n + 1}"
            by_code.setdefault(code, []).append((key, title))
            made = now - timedelta(days=rng.uniform(30, 700))
            articles.append({"id": aid, "key": key, "status": "approved", "owner_unit_id": unit["id"], "title": title,
                             "audience": "public", "tags": [], "flags": [],
                             "expires_at": now + timedelta(days=rng.randrange(-20, 400)), "current_version_id": aid,
                             "published_version_id": aid, "version_count": 1, "open_reports": 0,
                             "use_count": rng.randrange(200), "change_seq": aid, "created_at": made,
                             "updated_at": made})
            versions.append({"id": aid, "article_id": aid, "number": 1, "title": title, "questions": [title],
                             "phrasings": [], "answer": "答复", "audience": "public", "tags": [], "attachments": [],
                             "author_name": "编辑", "created_at": made, "review_outcome": "approved",
                             "reviewed_at": made})
    return by_code, articles, versions


def numbers(stamps: list[float]) -> list[str]:
    out, day, seq = [], None, 0
    for ts in stamps:
        d = to_local(datetime.fromtimestamp(ts, UTC)).date()
        seq = seq + 1 if d == day else 1
        day = d
        out.append(f"NJ{d:%Y%m%d}-{seq:06d}")
    return out


def add_staff(engine: Any) -> None:
    from sqlalchemy.orm import Session

    from hotline.org import service as org
    from hotline.security.roles import DataScope, Role

    with Session(engine) as db:
        centre = next(u for u in org.list_units(db) if u.code == "center")
        org.add_user(db, username="supervisor", password=PASSWORD, display_name="督办员陈刚", role=Role.SUPERVISOR,
                     unit=centre, data_scope=DataScope.ALL)
        db.commit()


def build(engines: list[Any], n: int, seed: int, revision: str) -> dict[str, Any]:
    for engine in engines:
        build_org_on(engine, revision)
        add_staff(engine)
    org = load_org(engines[0])
    by_code, articles, versions = articles_for(org)
    for engine in engines:
        with engine.begin() as conn:
            conn.execute(insert(Article.__table__), articles)
            conn.execute(insert(ArticleVersion.__table__), versions)
    stamps = timestamps(n, NOW.astimezone(UTC), 365, seed)
    nums = numbers(stamps)
    gen = CityGenerator(org, seed, by_code)
    seconds = {id(e): 0.0 for e in engines}
    counts = {"events": 0, "assignments": 0, "reviews": 0, "followups": 0}
    for start in range(0, n, CHUNK):
        tickets, assignments, events = [], [], []
        gen.reviews, gen.followups = [], []
        for i in range(start, min(n, start + CHUNK)):
            t, a, e = gen.ticket(i + 1, stamps[i], nums[i])
            tickets.append(t)
            assignments += a
            events += e
        for engine in engines:
            t0 = time.perf_counter()
            with engine.begin() as conn:
                for table, rows in ((Ticket.__table__, tickets), (TicketAssignment.__table__, assignments),
                                    (TicketEvent.__table__, events), (TicketReview.__table__, gen.reviews),
                                    (RatingFollowup.__table__, gen.followups)):
                    if rows:
                        conn.execute(insert(table), rows)
            seconds[id(engine)] += time.perf_counter() - t0
        counts["events"] += len(events)
        counts["assignments"] += len(assignments)
        counts["reviews"] += len(gen.reviews)
        counts["followups"] += len(gen.followups)
        print(f"  {min(n, start + CHUNK):,} tickets written", flush=True)
    for engine in engines:
        if engine.dialect.name == "postgresql":
            t0 = time.perf_counter()
            with engine.begin() as conn:
                for table in ("tickets", "ticket_assignments", "ticket_events", "ticket_reviews", "rating_followups",
                              "kb_articles", "kb_article_versions"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                      f"(SELECT max(id) FROM {table}))"))
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
            seconds[id(engine)] += time.perf_counter() - t0
    return {"counts": counts, "seconds": seconds}


def describe(engine: Any) -> str:
    with engine.connect() as conn:
        states = dict(conn.execute(text("SELECT state, count(*) FROM tickets GROUP BY state")).all())
        q = {
            "events": "SELECT count(*) FROM ticket_events",
            "rated": "SELECT count(*) FROM tickets WHERE public_rating IS NOT NULL",
            "bad": "SELECT count(*) FROM tickets WHERE public_rating IN ('unsatisfied', 'very_unsatisfied')",
            "followed": "SELECT count(DISTINCT ticket_id) FROM rating_followups",
            "unsatisfied finished": "SELECT count(*) FROM tickets WHERE state = 'finished' AND "
                                    "(solved = false OR satisfaction IN ('unsatisfied', 'very_unsatisfied'))",
            "reviewed": "SELECT count(*) FROM tickets WHERE review_conclusion IS NOT NULL",
            "waiting past limit": "SELECT count(*) FROM tickets WHERE state = 'registered' AND dispatch_due_at < :now",
            "waiting without limit": "SELECT count(*) FROM tickets WHERE state = 'registered' AND "
                                     "dispatch_due_at IS NULL",
            "enterprise waiting": "SELECT count(*) FROM tickets WHERE state = 'registered' AND is_enterprise = true",
            "cited answers": "SELECT count(*) FROM tickets WHERE answer_source LIKE '知识库 %'",
        }
        figures = {k: conn.execute(text(v), {"now": NOW.astimezone(UTC)}).scalar_one() for k, v in q.items()}
    total = sum(states.values())
    parts = ", ".join(f"{k} {v:,}" for k, v in sorted(states.items(), key=lambda kv: -kv[1]))
    return (f"{total:,} tickets ({parts}); " + ", ".join(f"{k} {v:,}" for k, v in figures.items()))


# ---- measuring ----------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], runs: int, before: Callable[[], Any] | None = None) -> tuple[list[float], Any]:
    out, result = [], None
    for i in range(runs + 1):
        if before is not None:
            before()
        t0 = time.perf_counter()
        result = fn()
        if i:  # the first is a warm-up
            out.append((time.perf_counter() - t0) * 1000)
    return out, result


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def line(label: str, ms: list[float], extra: str = "", limit: float = 500) -> dict[str, Any]:
    p50, p95 = statistics.median(ms), pct(ms, 95)
    flag = "  SLOW" if p95 > limit else ""
    print(f"  {label:<58} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   max {max(ms):8.1f} ms  {extra}{flag}", flush=True)
    return {"label": label, "p50": p50, "p95": p95}


def measure(engine: Any, runs: int) -> list[dict[str, Any]]:
    from fastapi.testclient import TestClient

    from hotline.app import create_app
    from hotline.knowledge import answer_rates, maintenance
    from hotline.knowledge import service as kb_service
    from hotline.ratings import service as ratings
    from hotline.reports import ratings as report_ratings
    from hotline.reports.build import ReportBuilder
    from hotline.reports.period import parse_period
    from hotline.revisit import service as revisit
    from hotline.runtime import Runtime
    from hotline.security.actor import Actor
    from hotline.security.roles import DataScope, Role
    from hotline.supervision.dispatch_watch import watch_dispatch
    from hotline.supervision.enums import NotificationKind
    from hotline.supervision.models import Notification
    from hotline.supervision.policy import load_supervision_policy
    from hotline.tickets import service as tickets
    from hotline.tickets.enums import Action
    from hotline.web.hall import DISPATCH_TABS

    # No knowledge warm-up thread (it would write to SQLite beside the timings); the scheduler is off in production.
    settings = Settings(environment="production", secret_key=SECRET, kb_warm_at_start="off",
                        database_url=str(engine.url.render_as_string(
        hide_password=False)))
    clock = FixedClock(NOW)
    rt = Runtime.from_settings(settings, clock)
    sf = make_session_factory(engine)
    policy = load_supervision_policy(settings.supervision_policy)
    with sf() as db:
        sup_id, centre_id = db.execute(text("SELECT u.id, u.unit_id FROM users u WHERE username = 'supervisor'")).one()
        backlog = db.execute(select(Ticket.id, Ticket.dispatch_due_at, Ticket.dispatch_alerted_at)
                             .where(Ticket.state == "registered")).all()
    told = [(i, a) for i, _d, a in backlog if a is not None]
    legacy = [i for i, d, _a in backlog if d is None]
    sup = Actor(role=Role.SUPERVISOR, name="督办员陈刚", user_id=sup_id, unit_id=centre_id, data_scope=DataScope.ALL)
    disp = Actor(role=Role.DISPATCHER, name="派单员李静", unit_id=centre_id, data_scope=DataScope.ALL)
    results = []

    def reset_backlog() -> None:
        with engine.begin() as conn:
            if told:
                conn.execute(update(Ticket).where(Ticket.id.in_([i for i, _ in told])).values(dispatch_alerted_at=None))
            if legacy:
                conn.execute(update(Ticket).where(Ticket.id.in_(legacy))
                             .values(dispatch_due_at=None, dispatch_warn_at=None, dispatch_alerted_at=None))
            conn.execute(delete(Notification).where(Notification.kind == str(NotificationKind.DISPATCH_LATE)))

    def job() -> Any:
        return watch_dispatch(sf, rt, policy)

    print(f"  (the 待派单 backlog: {len(backlog):,} waiting, {len(told):,} past their limit, {len(legacy):,} without "
          "a limit)")
    ms, r = timed(job, runs, before=reset_backlog)
    results.append(line("dispatch_overdue pass, catch-up (tells + _give_limits)", ms,
                        f"told {r.created} truncated {r.truncated}", limit=2000))
    ms, r = timed(job, runs)
    results.append(line("dispatch_overdue pass, steady (nothing new)", ms, f"told {r.created}", limit=2000))

    for tab in ("registered", "dispatch_overdue", "enterprise"):
        label, filters = DISPATCH_TABS[tab]
        with sf() as db:
            ms, (_rows, total) = timed(lambda db=db, f=filters: tickets.search(db, rt, actor=disp, filters=f), runs)
        results.append(line(f"待派单 queue, tab {label}, page 1 (service.search)", ms, f"total {total:,}"))

    p30 = maintenance.make_period(now=NOW)
    with sf() as db:
        who = kb_service.who(db, sup)
        ms, rates = timed(lambda: answer_rates.answer_rates(db, who=who, period=p30), runs)
        results.append(line("接诉即答率, every unit, 30 days", ms, f"{len(rates.units)} units, {rates.ranked} ranked"))
        ms, rep = timed(lambda: maintenance.unit_report(db, who=who, period=p30, now=NOW.astimezone(UTC)), runs)
        results.append(line("/kb/maintenance figures (unit_report), 30 days", ms, f"{len(rep.units)} units"))

        bad_all = ratings.BadFilters()
        ms, (_rows, bad_total) = timed(lambda: ratings.list_bad(db, actor=sup, filters=bad_all), runs)
        results.append(line("差评 list with count, page 1", ms, f"total {bad_total:,}"))
        late = max(1, (bad_total // 20) * 4 // 5)
        ms, _ = timed(lambda: ratings.list_bad(db, actor=sup, filters=bad_all, page=late), runs)
        results.append(line(f"差评 list with count, page {late}", ms))
        open_only = ratings.BadFilters(followed_up=False, period=parse_period(MONTH))
        ms, (_rows, n) = timed(lambda: ratings.list_bad(db, actor=sup, filters=open_only), runs)
        results.append(line(f"差评 list, {MONTH} 待核实, page 1", ms, f"total {n:,}"))

        rv_all = revisit.RevisitFilters()
        ms, (_rows, rv_total) = timed(lambda: (revisit.revisit_list(db, actor=sup, filters=rv_all),
                                               revisit.counts(db, actor=sup, filters=rv_all))[0], runs)
        results.append(line("回头看 list + counts, page 1", ms, f"total {rv_total:,}"))
        late_rv = max(1, (rv_total // 20) * 4 // 5)
        ms, _ = timed(lambda: (revisit.revisit_list(db, actor=sup, filters=rv_all, page=late_rv),
                               revisit.counts(db, actor=sup, filters=rv_all)), runs)
        results.append(line(f"回头看 list + counts, page {late_rv}", ms))
        oct_start = parse_period(MONTH).start
        rv_month = revisit.RevisitFilters(finished_from=oct_start, finished_to=parse_period(MONTH).end, reviewed=False)
        ms, (_rows, n) = timed(lambda: (revisit.revisit_list(db, actor=sup, filters=rv_month),
                                        revisit.counts(db, actor=sup, filters=rv_month))[0], runs)
        results.append(line(f"回头看, {MONTH} 未审核, page 1 + counts", ms, f"total {n:,}"))

        period = parse_period(MONTH)

        def builder() -> ReportBuilder:
            b = ReportBuilder(db, rt, sup, period)
            b.cutoff, b.prev_end = period.end, period.previous().end
            return b

        timed_ev = TicketEvent.data["dispatch_on_time"].as_boolean()

        def dispatch_rate() -> tuple[int, int]:
            b = builder()
            return (b._events((Action.DISPATCH,), timed_ev.is_(True)), b._events((Action.DISPATCH,),
                                                                                  timed_ev.is_not(None)))

        ms, (on_time, all_timed) = timed(dispatch_rate, runs)
        results.append(line(f"report {MONTH}: 派单及时率 (2 counts)", ms, f"{on_time:,} of {all_timed:,} on time"))
        ms, _ = timed(lambda: builder()._enterprise(), runs)
        results.append(line(f"report {MONTH}: 涉企诉求 table (12 counts)", ms))
        ms, c = timed(lambda: report_ratings.tables(builder(), report_ratings.counts(builder())), runs)
        results.append(line(f"report {MONTH}: 好差评 figures + 3 tables", ms))

    app = create_app(settings, engine=engine, clock=clock)
    with TestClient(app) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        r = client.post("/login", data={"username": "supervisor", "password": PASSWORD, "csrf_token": token},
                        follow_redirects=False)
        assert r.status_code == 303, r.text

        def get(url: str) -> Callable[[], Any]:
            def call() -> Any:
                resp = client.get(url)
                assert resp.status_code == 200, (url, resp.status_code, resp.text[:300])
                return resp
            return call

        pages = [("/hall/dispatch?tab=registered", "page /hall/dispatch 待派单"),
                 ("/hall/dispatch?tab=dispatch_overdue", "page /hall/dispatch 派单超时"),
                 ("/hall/dispatch?tab=enterprise", "page /hall/dispatch 一企来"),
                 ("/kb/maintenance", "page /kb/maintenance (report + 接诉即答率)"),
                 ("/supervision/ratings", "page /supervision/ratings, page 1"),
                 (f"/supervision/ratings?page={late}", f"page /supervision/ratings, page {late}"),
                 ("/supervision/revisit", "page /supervision/revisit, page 1"),
                 (f"/supervision/revisit?page={late_rv}", f"page /supervision/revisit, page {late_rv}")]
        for url, label in pages:
            ms, _ = timed(get(url), runs)
            results.append(line(label, ms))
    # A day after "now": its ticket numbers are free (the generated tickets took no counter rows).
    results.append(measure_intake(engine, Runtime.from_settings(settings, FixedClock(NOW + timedelta(days=1))), sf,
                                  INTAKE))
    return results


def measure_intake(engine: Any, rt: Any, sf: Any, n: int) -> dict[str, Any]:
    """Registration (受理登记) through tickets.service.register, one commit each, as the intake page and API
    do: what every new index on tickets / ticket_events costs the write path. The tickets are deleted after."""
    from hotline.security.actor import Actor
    from hotline.security.roles import DataScope, Role
    from hotline.tickets import service as tickets
    from hotline.tickets.schemas import TicketCreate

    with sf() as db:
        op_id, centre_id = db.execute(text("SELECT id, unit_id FROM users WHERE username = 'operator'")).one()
        street = db.execute(text("SELECT code FROM jurisdictions WHERE level = 'street' ORDER BY id LIMIT 1")).scalar()
    op = Actor(role=Role.OPERATOR, name="话务员王敏", user_id=op_id, unit_id=centre_id, data_scope=DataScope.ALL)
    ids, ms = [], []
    with sf() as db:
        for i in range(n + 10):  # ten warm-up registrations first
            data = TicketCreate(kind="complaint", requester_name="张三", requester_phone=f"139{i:08d}",
                                occurred_desc="近一周每晚十点后", address="钟灵街50号", jurisdiction_code=street,
                                title=f"小区楼下餐馆夜间噪音扰民{i}", circumstances="多次与店家沟通无果。",
                                content="小区楼下餐馆每晚营业到凌晨，排风扇噪音很大。")
            t0 = time.perf_counter()
            ticket, _ = tickets.register(db, rt, actor=op, data=data)
            if i >= 10:
                ms.append((time.perf_counter() - t0) * 1000)
            ids.append(ticket.id)
    with engine.begin() as conn:
        conn.execute(delete(TicketEvent).where(TicketEvent.ticket_id.in_(ids)))
        conn.execute(delete(Ticket).where(Ticket.id.in_(ids)))
    return line(f"registration (tickets.service.register), {n} one by one", ms,
                f"{n / (sum(ms) / 1000):.0f} tickets/s", limit=100)


def run_on(label: str, engine: Any, runs: int, before_after: bool, migrate: bool = True) -> None:
    from hotline.migrate import current, upgrade

    if migrate and not before_after:
        was, t0 = current(engine), time.perf_counter()
        upgrade(engine)
        if current(engine) != was:
            print(f"\n{label}: migrated from {was} to {current(engine)} in {time.perf_counter() - t0:.1f} s")
    print(f"\n{label}: {describe(engine)}")
    phases = []
    for phase in ("before", "after") if before_after else ("as migrated",):
        if phase == "after":
            t0 = time.perf_counter()
            upgrade(engine)
            print(f"migrated to {current(engine)} in {time.perf_counter() - t0:.1f} s")
        print(f"{phase} ({current(engine)}): load average {os.getloadavg()[0]:.2f} at the start")
        t0 = time.perf_counter()
        phases.append(measure(engine, runs))
        print(f"load average {os.getloadavg()[0]:.2f} at the end ({time.perf_counter() - t0:.0f} s)")
    if before_after:
        print(f"\n{label}, side by side (p50 / p95 ms, before -> after):")
        for old, new in zip(*phases, strict=True):
            print(f"  {old['label']:<58} {old['p50']:8.1f} / {old['p95']:8.1f}  ->  {new['p50']:8.1f} / "
                  f"{new['p95']:8.1f}   p95 x{old['p95'] / max(new['p95'], 0.01):.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=300_000)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--sqlite", default="/tmp/hl_scale/city.db")
    ap.add_argument("--pg", default=None, help="a PostgreSQL URL (database hotline_bench* / hotline_perf*)")
    ap.add_argument("--reuse", action="store_true", help="measure the databases already built")
    ap.add_argument("--only", choices=("sqlite", "pg"), default=None, help="measure one database only")
    ap.add_argument("--build-only", action="store_true", help="build the databases (at --revision), measure nothing")
    ap.add_argument("--revision", default="heads", help=f"the schema to build at (e.g. {BEFORE}: without the "
                    "indexes of migration 0039); measuring migrates to head first unless --no-upgrade")
    ap.add_argument("--no-upgrade", action="store_true", help="measure the schema as it is (e.g. a before run)")
    ap.add_argument("--before-after", action="store_true",
                    help=f"build at {BEFORE} (without this session's indexes), measure, migrate to head, measure "
                         "again, and print both side by side")
    args = ap.parse_args()
    print("machine:")
    info = machine()
    print_machine(info)
    print(f"  command     {' '.join(sys.argv)}")
    sqlite_path = Path(args.sqlite)
    engines: dict[str, Any] = {}
    if not args.reuse:
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        if args.pg:
            recreate_database(urlsplit(args.pg).path.lstrip("/"))
    engines["sqlite"] = make_engine(Settings(environment="production", secret_key=SECRET,
                                             database_url=f"sqlite:///{sqlite_path}"))
    if args.pg:
        engines["pg"] = make_engine(Settings(environment="production", secret_key=SECRET, database_url=args.pg))
    if not args.reuse:
        t0 = time.perf_counter()
        revision = BEFORE if args.before_after else args.revision
        built = build(list(engines.values()), args.tickets, args.seed, revision)
        per = ", ".join(f"{k} {built['seconds'][id(e)]:.0f} s" for k, e in engines.items())
        print(f"data: {args.tickets:,} tickets, {built['counts']}, built in {time.perf_counter() - t0:.0f} s "
              f"(writing: {per})")
    if args.build_only:
        return
    for name, engine in engines.items():
        if args.only and name != args.only:
            continue
        run_on({"sqlite": "SQLite", "pg": "PostgreSQL"}[name], engine, args.runs, args.before_after,
               migrate=not args.no_upgrade)
        engine.dispose()


if __name__ == "__main__":
    main()
