"""Benchmark (b): reading the ticket page and a unit's queue with 1,000,000 tickets in PostgreSQL.

    .venv/bin/python bench/read_1m.py [--tickets 1000000] [--requests 500] [--concurrency 1] [--reuse]

1. Database `hotline_bench_1m` (never `test`): dropped, recreated and migrated with
   hotline.migrate.upgrade; the Nanjing organisation (hotline.demo.nanjing: 11 districts and
   江北新区, their streets, 32 city departments and utilities, 11 district governments and 江北新区's
   管委会, 72 street offices, one handler per unit and the 12345 centre's staff) built through
   hotline.org.service.
   With --reuse, an existing database with >= --tickets tickets and the current schema is kept.
2. Bulk load through psycopg COPY (--jobs processes in parallel; secondary indexes dropped during the
   load and recreated from their own definitions afterwards; FK triggers off during the load, the data
   is consistent by construction): --tickets tickets over the last 18 months with a daily/weekly shape,
   their unit assignments and 2-7 events each. The life of each ticket (dispatch, acknowledge,
   return and reassignment, reply, close, callback, merge, withdrawal, direct answers by the centre)
   is simulated with the real time-limit policy and the official working-day calendar and cut at
   "now": old tickets are finished, recent ones still open, some overdue. The bench unit 市房产局
   holds about 4% of the tickets (~40k assignments, about a thousand of them open).
   Then VACUUM ANALYZE.
3. Starts `uvicorn hotline.asgi:app --workers W`, logs in (API tokens; page sessions through the
   login form) and measures p50/p95/p99 over --requests requests each, after a warm-up, for:
   GET /api/v1/tickets/{id} (a dispatcher, random tickets of the 1M; a unit handler, random tickets
   of its unit), GET /api/v1/queue (the unit handler), and the HTML pages /tickets/{number} and /unit
   when the app has them.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing as mp
import random
import re
import sys
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from _common import (  # noqa: E402
    CLIENTS,
    CpuMeter,
    Server,
    database_exists,
    drive,
    fmt_row,
    libpq_url,
    machine,
    make_bench_engine,
    print_machine,
    recreate_database,
)

PASSWORD = "bench-pass-123"
BENCH_UNIT = "fcj"  # 南京市住房保障和房产局
TARGET_P95_MS = 50.0
TABLES = ("tickets", "ticket_assignments", "ticket_events")

# ---- the organisation ---------------------------------------------------------------------------


def build_org(db_name: str) -> None:
    engine = make_bench_engine(db_name)
    build_org_on(engine)
    engine.dispose()


def build_org_on(engine: Any, revision: str = "heads") -> None:
    """Migrate the database of `engine` (PostgreSQL or SQLite; to `revision`) and build the Nanjing
    organisation in it."""
    from sqlalchemy.orm import Session

    from hotline.demo import nanjing
    from hotline.migrate import upgrade
    from hotline.org import service as org
    from hotline.org.models import JurisdictionLevel, UnitKind
    from hotline.security.roles import Role

    upgrade(engine, revision)
    with Session(engine, expire_on_commit=False) as db:
        add_j = org.add_jurisdiction
        province = add_j(db, code=nanjing.PROVINCE[0], name=nanjing.PROVINCE[1], level=JurisdictionLevel.PROVINCE,
                         parent=None)
        city = add_j(db, code=nanjing.CITY[0], name=nanjing.CITY[1], level=JurisdictionLevel.CITY, parent=province)
        centre = org.add_unit(db, code="center", name="南京市12345政务服务便民热线中心", short_name="12345中心",
                              kind=UnitKind.HOTLINE_CENTER, jurisdiction=city)
        for d in nanjing.DEPARTMENTS + nanjing.UTILITIES:
            org.add_unit(db, code=d["code"], name=d["name"], short_name=d["short_name"], kind=UnitKind(d["kind"]),
                         jurisdiction=city)
        for district in nanjing.DISTRICTS:
            dnode = add_j(db, code=district["code"], name=district["name"], level=JurisdictionLevel.DISTRICT,
                          parent=city)
            gov_name, gov_short = district.get("government",
                                               (f"南京市{district['name']}人民政府", f"{district['name']}政府"))
            gov = org.add_unit(db, code=f"gov{district['code']}", name=gov_name, short_name=gov_short,
                               kind=UnitKind.DISTRICT_GOVERNMENT, jurisdiction=dnode)
            for si, street in enumerate(district["streets"], start=1):
                scode = f"{district['code']}{si:03d}"
                snode = add_j(db, code=scode, name=street["name"], level=JurisdictionLevel.STREET, parent=dnode)
                suffix = "" if street["name"].endswith(("街道", "镇")) else "街道"
                org.add_unit(db, code=f"st{scode}", name=f"{district['name']}{street['name']}{suffix}办事处",
                             short_name=street["name"], kind=UnitKind.STREET_OFFICE, jurisdiction=snode, parent=gov)
                for ci, community in enumerate(street["communities"], start=1):
                    add_j(db, code=f"{scode}{ci:03d}", name=community, level=JurisdictionLevel.COMMUNITY,
                          parent=snode)
        staff = [("operator", Role.OPERATOR, "话务员王敏"), ("dispatcher", Role.DISPATCHER, "派单员李静"),
                 ("callback", Role.CALLBACK_AGENT, "回访员赵婷")]
        for username, role, name in staff:
            org.add_user(db, username=username, password=PASSWORD, display_name=name, role=role, unit=centre)
        for unit in org.list_units(db):
            if unit.kind != UnitKind.HOTLINE_CENTER:
                org.add_user(db, username=f"{unit.code}_handler", password=PASSWORD,
                             display_name=f"{unit.short_name}经办人", role=Role.UNIT_HANDLER, unit=unit)
        db.commit()


@dataclass
class OrgInfo:
    units: dict[str, dict[str, Any]]  # code -> id, kind, short_name, handler (id, name)
    jurisdictions: dict[str, dict[str, Any]]  # code -> id, path, level, name
    centre_staff: dict[str, dict[str, Any]]  # username -> id, name


def load_org(db_name: str) -> OrgInfo:
    with psycopg.connect(libpq_url(db_name)) as conn:
        return org_info(lambda sql: conn.execute(sql).fetchall())


ORG_QUERIES = ("SELECT id, code, kind, short_name FROM units", "SELECT id, code, path, level, name FROM jurisdictions",
               "SELECT u.id, u.username, u.display_name, un.short_name FROM users u "
               "LEFT JOIN units un ON un.id = u.unit_id")


def org_info(rows_of: Callable[[str], Sequence[Any]]) -> OrgInfo:
    """The organisation as the generator needs it, from any connection (`rows_of` runs one SELECT)."""
    unit_rows, juris_rows, users = (rows_of(sql) for sql in ORG_QUERIES)
    units = {code: {"id": uid, "kind": kind, "short_name": short} for uid, code, kind, short in unit_rows}
    juris = {code: {"id": jid, "path": path, "level": level, "name": name}
             for jid, code, path, level, name in juris_rows}
    staff: dict[str, dict[str, Any]] = {}
    for uid, username, display, unit_short in users:
        actor_name = display + (f"（{unit_short}）" if unit_short else "")
        if username.endswith("_handler"):
            units[username.removesuffix("_handler")]["handler"] = {"id": uid, "name": actor_name}
        else:
            staff[username] = {"id": uid, "name": actor_name}
    return OrgInfo(units, juris, staff)


# ---- the simulated tickets ----------------------------------------------------------------------

CHANNELS = [("phone", 62), ("wechat", 14), ("web", 8), ("app", 9), ("sms", 2), ("mailbox", 2), ("chatbot", 3)]
SATISFACTIONS = [("very_satisfied", 38), ("satisfied", 35), ("basically_satisfied", 15), ("unsatisfied", 9),
                 ("very_unsatisfied", 3)]
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 16, 14, 10, 12, 15, 15, 14, 12, 9, 8, 7, 5, 3, 2]
REPLIES = ["经核查，已责成相关单位整改到位，并向诉求人反馈处理结果。",
           "已联系诉求人说明政策规定，诉求人表示理解。",
           "经现场查看，问题属实，已协调物业和社区限期处理。",
           "已转交执法中队依法查处，后续将持续跟踪。"]
UTC_ = UTC


def _weighted(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


@cache
def _apply_days(value: int, unit: str, local_day: date) -> datetime:
    from hotline.clock import add_calendar_days, add_working_days, end_of_local_day

    start = datetime.combine(local_day, dtime(12, 0), tzinfo=UTC)  # only the local day matters
    if unit == "working_days":
        return add_working_days(end_of_local_day(local_day), value) if value else end_of_local_day(local_day)
    return add_calendar_days(start, value)


def _apply(limit: Any, start: datetime) -> datetime:
    from hotline.clock import to_local

    if limit.unit == "hours":
        return start + timedelta(hours=limit.value)
    return _apply_days(int(limit.value), limit.unit, to_local(start).date())


def timestamps(n: int, now: datetime, days: int, seed: int) -> list[float]:
    """n creation times over the last `days` days: more on weekdays and in office hours, growing."""
    from hotline.clock import CHINA_TZ

    rng = random.Random(seed)
    start_day = (now.astimezone(CHINA_TZ) - timedelta(days=days)).date()
    day_weights = []
    for i in range(days + 1):
        d = start_day + timedelta(days=i)
        w = (1.0 if d.weekday() < 5 else 0.7) * (0.8 + 0.4 * i / days)
        day_weights.append(w)
    cum_days = list(_cumsum(day_weights))
    cum_hours = list(_cumsum(HOUR_WEIGHTS))
    now_ts = now.timestamp()
    out = []
    while len(out) < n:
        di = bisect_right(cum_days, rng.random() * cum_days[-1])
        hi = bisect_right(cum_hours, rng.random() * cum_hours[-1])
        d = start_day + timedelta(days=min(di, days))
        t = datetime.combine(d, dtime(hi), tzinfo=CHINA_TZ).timestamp() + rng.random() * 3600
        if t < now_ts - 600:
            out.append(t)
    out.sort()
    return out


def _cumsum(values: list[float] | list[int]) -> Any:
    total = 0.0
    for v in values:
        total += v
        yield total


class Generator:
    """Builds the COPY rows of a range of tickets (ids are the positions in the sorted timestamps)."""

    def __init__(self, org: OrgInfo, now: datetime, seed: int, ticket_columns: list[str]) -> None:
        from hotline.config import Settings
        from hotline.demo import nanjing
        from hotline.tickets.deadlines import load_policy

        self.org = org
        self.now = now
        self.rng = random.Random(seed)
        self.policy = load_policy(Settings().sla_policy)
        self.columns = ticket_columns
        self.templates = nanjing.REQUEST_TEMPLATES
        # The bench unit gets about 4% of all tickets: 6 of 85 templates are the housing bureau's.
        self.template_weights = [0.75 if t["unit"] == BENCH_UNIT else 1.0 for t in self.templates]
        self.districts = nanjing.DISTRICTS
        self.district_weights = [1.6, 1.5, 1.3, 1.6, 0.9, 1.1, 1.0, 1.8, 0.7, 0.5, 0.5, 1.0][: len(self.districts)]
        self.places = nanjing.PLACES
        self.surnames, self.given = nanjing.SURNAMES, nanjing.GIVEN_NAMES
        self.warn_at = None
        if "warn_at" in ticket_columns:
            from hotline.tickets.deadlines import warn_at

            self.warn_at = warn_at
        self.centre = org.units["center"]
        self.operator = org.centre_staff["operator"]
        self.dispatcher = org.centre_staff["dispatcher"]
        self.callback = org.centre_staff["callback"]
        self.street_offices = {code[2:]: u for code, u in org.units.items() if code.startswith("st")}
        self.governments = {code[3:]: u for code, u in org.units.items() if code.startswith("gov")}

    # -- one ticket -------------------------------------------------------------------------------

    def ticket(self, tid: int, created_ts: float, number: str) -> tuple[dict[str, Any], list[dict[str, Any]],
                                                                         list[dict[str, Any]]]:
        rng = self.rng
        now = self.now
        created = datetime.fromtimestamp(created_ts, UTC)
        tpl = rng.choices(self.templates, weights=self.template_weights)[0]
        district = rng.choices(self.districts, weights=self.district_weights)[0]
        si = rng.randrange(len(district["streets"]))
        street = district["streets"][si]
        scode = f"{district['code']}{si + 1:03d}"
        if street["communities"] and rng.random() < 0.6:
            jcode = f"{scode}{rng.randrange(len(street['communities'])) + 1:03d}"
        else:
            jcode = scode
        jur = self.org.jurisdictions[jcode]
        place = rng.choice(self.places.get(district["code"], ["附近"]))
        channel = _weighted(rng, CHANNELS)
        anonymous = rng.random() < 0.03
        kind = tpl["kind"]
        t: dict[str, Any] = {
            "id": tid, "number": number, "channel": channel, "kind": kind, "category_code": tpl["category"],
            "urgency": tpl["urgency"], "is_enterprise": tpl["enterprise"], "is_complex": rng.random() < 0.03,
            "confidential": kind == "report" and rng.random() < 0.3,
            "requester_name": None if anonymous else rng.choice(self.surnames) + rng.choice(self.given),
            "requester_phone": f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
            "requester_anonymous": anonymous,
            "requester_org": "南京某科技有限公司" if tpl["enterprise"] else None,
            "occurred_at": None,
            "occurred_desc": rng.choice(["近一周", "今天上午", "近一个月以来", "昨晚", "长期存在"]),
            "address": f"{district['name']}{place}", "jurisdiction_id": jur["id"], "jurisdiction_path": jur["path"],
            "title": tpl["title"], "content": tpl["what"].replace("{place}", place), "circumstances": tpl["how"],
            "created_at": created, "updated_at": created,
            "registered_by_id": self.operator["id"] if channel == "phone" else None,
            "lead_unit_id": None, "dispatched_at": None, "ack_due_at": None, "return_due_at": None, "due_at": None,
            "warn_at": None, "time_limit_label": None, "paused_at": None, "extension_pending": False,
            "extension_requested_days": None, "extension_days_used": 0, "replied_at": None, "reply_content": None,
            "closed_at": None, "callback_due_at": None, "finished_at": None, "answer_source": None,
            "remind_count": 0, "supervise_count": 0, "reopen_count": 0, "return_count": 0, "solved": None,
            "satisfaction": None, "public_rating": None, "public_comment": None, "parent_id": None,
        }
        registrar = (self.operator["id"], "operator", self.operator["name"]) if channel == "phone" \
            else (None, "requester", "诉求人")
        events: list[dict[str, Any]] = []
        assignments: list[dict[str, Any]] = []

        def event(at: datetime, action: str, before: str | None, after: str, actor: tuple[Any, str, str],
                  unit_id: int | None, note: str | None = None, data: dict[str, Any] | None = None) -> None:
            events.append({"ticket_id": tid, "at": at, "action": action, "from_state": before, "to_state": after,
                           "actor_user_id": actor[0], "actor_role": actor[1], "actor_name": actor[2],
                           "unit_id": unit_id, "note": note, "data": data or {}})
            t["state"] = after
            t["updated_at"] = at

        centre_id = self.centre["id"]
        event(created, "register", None, "registered", registrar, None if registrar[0] is None else centre_id,
              note=t["title"])
        dispatcher = (self.dispatcher["id"], "dispatcher", self.dispatcher["name"])
        callback_agent = (self.callback["id"], "callback_agent", self.callback["name"])
        r = rng.random()
        # 并单: a duplicate merged into an earlier ticket of the same day or so.
        if r < 0.01 and tid > 1:
            at = created + timedelta(minutes=rng.uniform(5, 120))
            if at <= now:
                parent = max(1, tid - rng.randint(1, 400))
                t["parent_id"] = parent
                event(at, "merge", "registered", "merged", dispatcher, centre_id, note="重复诉求，并入主工单",
                      data={"parent_id": parent})
            return t, assignments, events
        direct_share = {"consultation": 0.6, "praise": 0.7}.get(kind, 0.05)
        if rng.random() < direct_share:
            at = created + timedelta(minutes=rng.uniform(2, 15))
            if at > now:
                return t, assignments, events
            reply = "经查询政策规定并答复来电人，来电人表示清楚。"
            t.update(reply_content=reply, answer_source="12345知识库", replied_at=at, closed_at=at,
                     callback_due_at=_apply(self.policy.callback_window, at))
            event(at, "answer_directly", "registered", "closed", registrar if registrar[0] else dispatcher,
                  centre_id, note=reply, data={"answer_source": "12345知识库"})
            self._callback(t, event, callback_agent, at, None)
            return t, assignments, events

        # 派单 to the lead unit (and sometimes an assisting street office).
        unit = self._lead_unit(tpl, district["code"], scode)
        at = created + timedelta(minutes=rng.uniform(5, 180))
        if at > now:
            return t, assignments, events
        rounds = 0
        stuck = rng.random() < 0.015  # a hard case that stays open for weeks
        returned = rng.random() < 0.04
        while True:
            rounds += 1
            facts = {"kind": kind, "urgency": t["urgency"], "unit_kind": unit["kind"], "is_complex": t["is_complex"],
                     "is_enterprise": t["is_enterprise"], "channel": channel}
            limit = self.policy.handling_limit(facts)
            due = _apply(limit, at)
            t.update(lead_unit_id=unit["id"], dispatched_at=at, due_at=due, time_limit_label=limit.label,
                     ack_due_at=_apply(self.policy.acknowledge_limit(facts), at),
                     return_due_at=_apply(self.policy.return_window, at))
            if self.warn_at is not None:
                t["warn_at"] = self.warn_at(started_at=at, due_at=due,
                                            warn_before_hours=self.policy.warn_before_hours)
            lead = {"ticket_id": tid, "unit_id": unit["id"], "role": "lead", "status": "pending", "is_open": True,
                    "round": rounds, "dispatched_at": at, "due_at": due, "acknowledged_at": None, "replied_at": None,
                    "reply_content": None, "return_reason": None}
            assignments.append(lead)
            assisting = None
            if rounds == 1 and rng.random() < 0.08 and scode in self.street_offices \
                    and self.street_offices[scode]["id"] != unit["id"]:
                helper = self.street_offices[scode]
                assisting = dict(lead, unit_id=helper["id"], role="assisting")
                assignments.append(assisting)
            note = f"主办：{unit['short_name']}；时限{limit.label}"
            event(at, "dispatch" if rounds == 1 else "reassign", "registered" if rounds == 1 else "return_review",
                  "dispatched", dispatcher, unit["id"], note=note,
                  data={"lead_unit_id": unit["id"], "assisting_unit_ids": [assisting["unit_id"]] if assisting else [],
                        "due_at": due.isoformat(), "time_limit": limit.label})
            handler = unit["handler"]
            hactor = (handler["id"], "unit_handler", handler["name"])
            if rounds == 1 and rng.random() < 0.008:  # withdrawn by the requester before it was handled
                w_at = at + timedelta(hours=rng.uniform(1, 30))
                if w_at <= now:
                    self._end(assignments)
                    event(w_at, "withdraw", "dispatched", "withdrawn", (None, "requester", "诉求人"), None,
                          note="问题已自行解决，申请撤回")
                return t, assignments, events
            ack = at + timedelta(hours=rng.uniform(0.3, 20))
            if ack > now:
                return t, assignments, events
            lead.update(status="acknowledged", acknowledged_at=ack)
            event(ack, "acknowledge", "dispatched", "handling", hactor, unit["id"],
                  data={"late": ack > t["ack_due_at"]})
            if assisting is not None:
                assisting.update(status="acknowledged", acknowledged_at=ack + timedelta(hours=rng.uniform(0.1, 5)))
            if returned and rounds == 1:
                ret = ack + timedelta(hours=rng.uniform(1, 30))
                if ret > now:
                    return t, assignments, events
                reason = "该事项不属于本单位职责范围，请改派属地街道。"
                lead.update(status="returned", return_reason=reason)
                t.update(paused_at=ret, return_count=1)
                event(ret, "return", "handling", "return_review", hactor, unit["id"], note=reason)
                at = ret + timedelta(hours=rng.uniform(0.5, 20))
                if at > now:
                    return t, assignments, events
                self._end(assignments)
                t["paused_at"] = None
                previous = unit
                unit = self.street_offices.get(scode) or self.governments[district["code"]]
                if unit["id"] == previous["id"]:
                    unit = self.governments[district["code"]]
                continue
            break
        # 答复: most on time, some late, the stuck ones weeks later.
        span = (due - at).total_seconds()
        if stuck:
            reply_at = at + timedelta(days=rng.uniform(30, 120))
        elif rng.random() < 0.08:
            reply_at = due + timedelta(hours=rng.uniform(1, 120))
        else:
            reply_at = at + timedelta(seconds=span * rng.uniform(0.1, 0.95))
        if t["is_complex"] and rng.random() < 0.5:
            ext_at = at + (reply_at - at) / 2
            if ext_at <= now:
                event(ext_at, "request_extension", "handling", "handling", hactor, unit["id"], note="需协调多部门",
                      data={"days": 5})
                t.update(extension_pending=True, extension_requested_days=5)
                appr = ext_at + timedelta(hours=rng.uniform(1, 10))
                if appr <= now:
                    t.update(extension_pending=False, extension_requested_days=None, extension_days_used=5,
                             due_at=due + timedelta(days=7))
                    lead["due_at"] = t["due_at"]
                    if self.warn_at is not None:
                        t["warn_at"] = self.warn_at(started_at=at, due_at=t["due_at"],
                                                    warn_before_hours=self.policy.warn_before_hours)
                    event(appr, "approve_extension", "handling", "handling", dispatcher, unit["id"],
                          data={"days": 5, "due_at": t["due_at"].isoformat()})
        if reply_at > now:
            if reply_at > t["due_at"] and rng.random() < 0.5 and now > t["due_at"] + timedelta(hours=2):
                t["remind_count"] = 1
                event(t["due_at"] + timedelta(hours=2), "remind", "handling", "handling", dispatcher, unit["id"],
                      note="请加快办理")
            return t, assignments, events
        content = rng.choice(REPLIES)
        lead.update(status="replied", replied_at=reply_at, reply_content=content)
        if assisting is not None:
            assisting.update(status="replied", replied_at=reply_at - timedelta(hours=2), reply_content="已配合核实。")
        self._end(assignments, keep_status=True)
        t.update(replied_at=reply_at, reply_content=content)
        event(reply_at, "reply", "handling", "replied", hactor, unit["id"], note=content,
              data={"on_time": reply_at <= t["due_at"]})
        close_at = reply_at + timedelta(hours=rng.uniform(1, 40))
        if close_at > now:
            return t, assignments, events
        t.update(closed_at=close_at, callback_due_at=_apply(self.policy.callback_window, close_at))
        event(close_at, "close", "replied", "closed", dispatcher, unit["id"])
        self._callback(t, event, callback_agent, close_at, unit["id"])
        return t, assignments, events

    def _callback(self, t: dict[str, Any], event: Any, agent: tuple[Any, str, str], closed: datetime,
                  unit_id: int | None) -> None:
        rng = self.rng
        at = closed + timedelta(hours=rng.uniform(4, 70))
        if at > self.now or rng.random() < 0.03:
            return
        satisfaction = _weighted(rng, SATISFACTIONS)
        solved = satisfaction not in ("unsatisfied", "very_unsatisfied") or rng.random() < 0.3
        t.update(solved=solved, satisfaction=satisfaction, finished_at=at)
        event(at, "callback", "closed", "finished", agent, unit_id,
              data={"solved": solved, "satisfaction": satisfaction})

    @staticmethod
    def _end(assignments: list[dict[str, Any]], keep_status: bool = False) -> None:
        for a in assignments:
            if a["is_open"]:
                a["is_open"] = False
                if not keep_status and a["status"] not in ("returned", "replied"):
                    a["status"] = "ended"

    def _lead_unit(self, tpl: dict[str, Any], district_code: str, street_code: str) -> dict[str, Any]:
        if tpl["unit"] == "district":
            if self.rng.random() < 0.8 and street_code in self.street_offices:
                return self.street_offices[street_code]
            return self.governments[district_code]
        return self.org.units[tpl["unit"]]


# ---- COPY ---------------------------------------------------------------------------------------

ASSIGNMENT_COLUMNS = ["ticket_id", "unit_id", "role", "status", "is_open", "round", "dispatched_at", "due_at",
                      "acknowledged_at", "replied_at", "reply_content", "return_reason"]
EVENT_COLUMNS = ["ticket_id", "at", "action", "from_state", "to_state", "actor_user_id", "actor_role", "actor_name",
                 "unit_id", "note", "data"]
_ESC = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


def _field(v: Any) -> str:
    """One value in COPY text format."""
    tp = type(v)
    if v is None:
        return "\\N"
    if tp is str:
        return v.translate(_ESC) if _NEEDS_ESCAPE.search(v) else v  # type: ignore[union-attr]
    if tp is bool:
        return "t" if v else "f"
    if tp is datetime:
        return v.isoformat()  # type: ignore[union-attr]
    if tp is dict:
        return json.dumps(v, ensure_ascii=False).translate(_ESC) if v else "{}"
    return str(v)


def _line(row: dict[str, Any], columns: list[str]) -> str:
    get = row.get
    return "\t".join([_field(get(c)) for c in columns]) + "\n"


LoadTask = tuple[str, OrgInfo, list[float], list[str], int, int, datetime, list[str], int]


def _load_range(args: LoadTask) -> tuple[int, int, int]:
    """One job: tickets first_id .. first_id+len(times)-1, COPY in chunks. Returns row counts."""
    db_name, org, times, numbers, first_id, seed, now, ticket_columns, chunk = args
    gen = Generator(org, now, seed, ticket_columns)
    counts = [0, 0, 0]
    t_cols = ", ".join(ticket_columns)
    with psycopg.connect(libpq_url(db_name)) as conn:
        conn.execute("SET session_replication_role = replica")  # no FK triggers during the bulk load
        conn.execute("SET synchronous_commit = off")
        for start in range(0, len(times), chunk):
            tb, ab, eb = io.StringIO(), io.StringIO(), io.StringIO()
            for k in range(start, min(start + chunk, len(times))):
                t, assignments, events = gen.ticket(first_id + k, times[k], numbers[k])
                tb.write(_line(t, ticket_columns))
                for a in assignments:
                    ab.write(_line(a, ASSIGNMENT_COLUMNS))
                for e in events:
                    eb.write(_line(e, EVENT_COLUMNS))
                counts[0] += 1
                counts[1] += len(assignments)
                counts[2] += len(events)
            with conn.cursor() as cur:
                for table, cols, buf in (("tickets", t_cols, tb),
                                         ("ticket_assignments", ", ".join(ASSIGNMENT_COLUMNS), ab),
                                         ("ticket_events", ", ".join(EVENT_COLUMNS), eb)):
                    with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                        cp.write(buf.getvalue())
            conn.commit()
    return counts[0], counts[1], counts[2]


def _secondary_indexes(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)
           ORDER BY i.tablename, i.indexname""", (list(TABLES),)).fetchall()


def _ticket_columns(conn: psycopg.Connection) -> list[tuple[str, bool]]:
    return [(name, nullable == "YES") for name, nullable in conn.execute(
        "SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = 'tickets' ORDER BY ordinal_position")]


def bulk_load(db_name: str, n: int, jobs: int, seed: int, months: int = 18) -> dict[str, Any]:
    from hotline.clock import to_local

    org = load_org(db_name)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    times = timestamps(n, now, days=months * 30, seed=seed)
    numbers: list[str] = []
    per_day: dict[str, int] = {}
    from hotline.config import Settings

    city = Settings().city_code
    for ts in times:
        day = to_local(datetime.fromtimestamp(ts, UTC)).strftime("%Y%m%d")
        per_day[day] = per_day.get(day, 0) + 1
        numbers.append(f"{city}{day}-{per_day[day]:06d}")
    with psycopg.connect(libpq_url(db_name), autocommit=True) as conn:
        columns = _ticket_columns(conn)
        sample = Generator(org, now, 0, [c for c, _ in columns]).ticket(1, times[0], numbers[0])[0]
        missing = [c for c, nullable in columns if c not in sample and not nullable]
        if missing:
            raise SystemExit(f"read_1m.py does not know how to fill the NOT NULL ticket columns {missing}: "
                             "the schema changed, update the generator")
        unknown = [c for c, _ in columns if c not in sample]
        if unknown:
            print(f"  note: ticket columns left NULL (not known to the generator): {unknown}")
        indexes = _secondary_indexes(conn)
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
    ticket_columns = [c for c, _ in columns]
    print(f"  {n:,} timestamps and numbers in {time.perf_counter() - t0:.1f} s; "
          f"{len(indexes)} secondary indexes dropped for the load", flush=True)

    t1 = time.perf_counter()
    bounds = [round(n * j / jobs) for j in range(jobs + 1)]
    tasks = [(db_name, org, times[bounds[j]:bounds[j + 1]], numbers[bounds[j]:bounds[j + 1]], bounds[j] + 1,
              seed * 1000 + j, now, ticket_columns, 20_000) for j in range(jobs)]
    if jobs == 1:
        results = [_load_range(tasks[0])]
    else:
        with mp.get_context("fork").Pool(jobs) as pool:
            results = pool.map(_load_range, tasks)
    tickets, assignments, events = (sum(r[i] for r in results) for i in range(3))
    t_copy = time.perf_counter() - t1
    print(f"  COPY: {tickets:,} tickets, {assignments:,} assignments, {events:,} events in {t_copy:.1f} s "
          f"({jobs} jobs)", flush=True)

    t2 = time.perf_counter()
    with psycopg.connect(libpq_url(db_name), autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            conn.execute(definition)
        t_index = time.perf_counter() - t2
        for table, col in (("tickets", "id"), ("ticket_assignments", "id"), ("ticket_events", "id")):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{col}'), "
                         f"(SELECT coalesce(max({col}), 1) FROM {table}))")
        with conn.cursor() as cur:
            with cur.copy("COPY ticket_counters (day, value) FROM STDIN") as cp:
                for day, value in per_day.items():
                    cp.write_row((day, value))
        t3 = time.perf_counter()
        conn.execute("VACUUM (ANALYZE) tickets")
        conn.execute("VACUUM (ANALYZE) ticket_assignments")
        conn.execute("VACUUM (ANALYZE) ticket_events")
        conn.execute("ANALYZE")
        t_vacuum = time.perf_counter() - t3
    print(f"  {len(indexes)} indexes rebuilt in {t_index:.1f} s; VACUUM ANALYZE in {t_vacuum:.1f} s; "
          f"total {time.perf_counter() - t0:.0f} s", flush=True)
    return {"tickets": tickets, "assignments": assignments, "events": events, "copy_s": t_copy,
            "index_s": t_index, "total_s": time.perf_counter() - t0}


def schema_is_current(db_name: str) -> bool:
    """The bench database has the columns and indexes the current code declares (0001 may be edited)."""
    import hotline.models  # noqa: F401  (every table on Base.metadata)
    from hotline.db import Base

    with psycopg.connect(libpq_url(db_name)) as conn:
        for table in TABLES:
            cols = {r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                               "WHERE table_schema = 'public' AND table_name = %s", (table,))}
            if cols != {c.name for c in Base.metadata.tables[table].columns}:
                return False
            have = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' "
                                               "AND tablename = %s", (table,))}
            want = {ix.name for ix in Base.metadata.tables[table].indexes}
            if not want <= have:
                return False
    return True


def data_summary(db_name: str) -> dict[str, Any]:
    with psycopg.connect(libpq_url(db_name)) as conn:
        q = lambda sql, *a: conn.execute(sql, a).fetchone()[0]  # noqa: E731
        unit_id = q("SELECT id FROM units WHERE code = %s", BENCH_UNIT)
        out = {
            "tickets": q("SELECT count(*) FROM tickets"),
            "assignments": q("SELECT count(*) FROM ticket_assignments"),
            "events": q("SELECT count(*) FROM ticket_events"),
            "open_assignments": q("SELECT count(*) FROM ticket_assignments WHERE is_open"),
            "unit_assignments": q("SELECT count(*) FROM ticket_assignments WHERE unit_id = %s", unit_id),
            "unit_open": q("SELECT count(*) FROM ticket_assignments WHERE unit_id = %s AND is_open", unit_id),
            "unit_tickets": q("SELECT count(DISTINCT ticket_id) FROM ticket_assignments WHERE unit_id = %s", unit_id),
            "db_size": q("SELECT pg_size_pretty(pg_database_size(current_database()))"),
            "states": dict(conn.execute(
                "SELECT state, count(*) FROM tickets GROUP BY state ORDER BY 2 DESC").fetchall()),
            "first": q("SELECT min(created_at) FROM tickets"),
            "last": q("SELECT max(created_at) FROM tickets"),
        }
    return out


# ---- measuring ----------------------------------------------------------------------------------


def issue_tokens(db_name: str, usernames: list[str]) -> dict[str, str]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from hotline.org import service as org
    from hotline.org.models import User

    engine = make_bench_engine(db_name)
    out = {}
    with Session(engine, expire_on_commit=False) as db:
        for username in usernames:
            user = db.execute(select(User).where(User.username == username)).unique().scalar_one()
            out[username] = org.issue_token(db, user=user, now=datetime.now(UTC), name="bench")
    engine.dispose()
    return out


def page_session(base_url: str, username: str) -> str | None:
    """Log in through the login form; the session cookie, or None when the app has no login page."""
    import re

    import httpx

    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as c:
        r = c.get("/login")
        if r.status_code != 200:
            return None
        m = re.search(r'name="csrf_token"\s+value="([^"]+)"', r.text) or \
            re.search(r'value="([^"]+)"\s+name="csrf_token"', r.text)
        if not m:
            return None
        r = c.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": m.group(1), "next": ""})
        if r.status_code not in (302, 303):
            raise RuntimeError(f"login as {username} failed: {r.status_code} {r.text[:200]}")
        c.get(r.headers.get("location", "/"))  # shows (and so clears) the welcome flash
        cookie = c.cookies.get("hotline_session")
    return f"hotline_session={cookie}" if cookie else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=500, help="measured requests per endpoint (default 500)")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1],
                        help="concurrent clients, e.g. 1 or 1,4 (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel loader processes (default 2)")
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database with enough tickets")
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument("--client", choices=CLIENTS, default="raw")
    parser.add_argument("--db", default="hotline_bench_1m")
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()

    print("machine:")
    print_machine(machine())
    reuse = False
    if args.reuse and database_exists(args.db):
        try:
            with psycopg.connect(libpq_url(args.db)) as conn:
                have = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
            reuse = have >= args.tickets and schema_is_current(args.db)
            print(f"--reuse: {args.db} has {have:,} tickets, schema {'current' if reuse else 'outdated or short'}")
        except psycopg.Error as exc:
            print(f"--reuse: cannot use {args.db}: {exc}")
    if not reuse:
        print(f"building {args.db} with {args.tickets:,} tickets ...", flush=True)
        t0 = time.perf_counter()
        recreate_database(args.db)
        build_org(args.db)
        print(f"  migrated, Nanjing org built in {time.perf_counter() - t0:.1f} s", flush=True)
        bulk_load(args.db, args.tickets, args.jobs, args.seed)
    summary = data_summary(args.db)
    print(f"data: {summary['tickets']:,} tickets ({summary['first']:%Y-%m-%d} .. {summary['last']:%Y-%m-%d}), "
          f"{summary['assignments']:,} assignments ({summary['open_assignments']:,} open), "
          f"{summary['events']:,} events; database {summary['db_size']}")
    print(f"  states: {summary['states']}")
    print(f"  bench unit {BENCH_UNIT}: {summary['unit_assignments']:,} assignments on {summary['unit_tickets']:,} "
          f"tickets, {summary['unit_open']:,} open")
    if args.load_only:
        return

    handler = f"{BENCH_UNIT}_handler"
    tokens = issue_tokens(args.db, ["dispatcher", handler])
    with psycopg.connect(libpq_url(args.db)) as conn:
        unit_id = conn.execute("SELECT id FROM units WHERE code = %s", (BENCH_UNIT,)).fetchone()[0]
        max_id = conn.execute("SELECT max(id) FROM tickets").fetchone()[0]
        unit_ids = [r[0] for r in conn.execute(
            "SELECT DISTINCT ticket_id FROM ticket_assignments WHERE unit_id = %s", (unit_id,))]
    rng = random.Random(args.seed)
    n_total = args.warmup + args.requests
    # Each measured run takes fresh ids (an earlier run must not have warmed the same rows).
    n_ids = n_total * 6 * len(args.concurrency)
    any_ids = [rng.randint(1, max_id) for _ in range(n_ids)]
    own_ids = [rng.choice(unit_ids) for _ in range(n_ids)]
    with psycopg.connect(libpq_url(args.db)) as conn:
        numbers = dict(conn.execute("SELECT id, number FROM tickets WHERE id = ANY(%s)", (any_ids,)).fetchall())

    rows: list[list[object]] = []
    verdicts: list[str] = []
    with Server(args.db, args.workers) as server:
        sessions = {"dispatcher": page_session(server.base_url, "dispatcher"),
                    handler: page_session(server.base_url, handler)}
        pages = sessions["dispatcher"] is not None
        print(f"server: uvicorn --workers {args.workers}; HTML pages "
              f"{'found (logged in through /login)' if pages else 'NOT found: measuring the API only'}\n")
        bearer = lambda u: {"Authorization": f"Bearer {tokens[u]}"}  # noqa: E731
        cases: list[tuple[str, str, dict[str, str], Any]] = [
            ("GET /api/v1/tickets/{id}", "dispatcher, any of the 1M", bearer("dispatcher"),
             lambda i, off: ("GET", f"/api/v1/tickets/{any_ids[off + i]}", None)),
            ("GET /api/v1/tickets/{id}", f"{BENCH_UNIT} handler, own tickets", bearer(handler),
             lambda i, off: ("GET", f"/api/v1/tickets/{own_ids[off + i]}", None)),
            ("GET /api/v1/queue", f"{BENCH_UNIT} handler, page 1", bearer(handler),
             lambda i, off: ("GET", "/api/v1/queue", None)),
        ]
        if pages:
            cases += [
                ("GET /tickets/{number} (HTML)", "dispatcher, any of the 1M", {"Cookie": sessions["dispatcher"] or ""},
                 lambda i, off: ("GET", f"/tickets/{numbers[any_ids[off + i]]}", None)),
                ("GET /tickets/{number} (HTML)", f"{BENCH_UNIT} handler, own tickets",
                 {"Cookie": sessions[handler] or ""},
                 lambda i, off: ("GET", f"/tickets/{numbers_own[own_ids[off + i]]}", None)),
                ("GET /unit (HTML)", f"{BENCH_UNIT} handler, page 1", {"Cookie": sessions[handler] or ""},
                 lambda i, off: ("GET", "/unit", None)),
            ]
            with psycopg.connect(libpq_url(args.db)) as conn:
                numbers_own = dict(conn.execute("SELECT id, number FROM tickets WHERE id = ANY(%s)",
                                                (own_ids,)).fetchall())
        offset = 0
        for conc in args.concurrency:
            for endpoint, who, headers, make in cases:
                off = offset
                warm = drive(server.base_url, headers, lambda i, make=make, off=off: make(i, off), args.warmup, conc,
                             client=args.client)
                if warm.errors:
                    raise SystemExit(f"{endpoint}: {warm.first_error}")
                off2 = offset + args.warmup
                assert server.proc is not None
                with CpuMeter(args.db, server.proc.pid) as meter:
                    r = drive(server.base_url, headers, lambda i, make=make, off2=off2: make(i, off2), args.requests,
                              conc, client=args.client)
                offset += n_total
                ok = r.pct(95) < TARGET_P95_MS and not r.errors
                rows.append([endpoint, who, conc, r.count, r.rate, r.pct(50), r.pct(95), r.pct(99),
                             max(r.latencies) * 1000 if r.latencies else float("nan"), r.errors,
                             "yes" if ok else "NO"])
                print(f"  {endpoint} [{who}] c={conc}: p50 {r.pct(50):.1f} ms, p95 {r.pct(95):.1f} ms, "
                      f"p99 {r.pct(99):.1f} ms, errors {r.errors} {r.first_error}\n       {meter.summary(r.count)}",
                      flush=True)
                verdicts.append(f"{endpoint} [{who}] c={conc}: p95 {r.pct(95):.1f} ms -> "
                                f"{'MET' if ok else 'NOT MET'}")
    widths = [-30, -32, 4, 8, 7, 7, 7, 7, 7, 6, 8]
    print()
    print(fmt_row(["endpoint", "as", "conc", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors",
                   "p95<50ms"], widths))
    for row in rows:
        print(fmt_row(row, widths))
    print(f"\ntarget: p95 < {TARGET_P95_MS:.0f} ms with {summary['tickets']:,} tickets")
    for v in verdicts:
        print("  " + v)


if __name__ == "__main__":
    main()
