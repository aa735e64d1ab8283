"""The demo city: Nanjing's organisation and three months of tickets, driven through the real services.

`build_demo()` migrates the database, builds the jurisdiction tree, the units and the staff through
`hotline.org.service`, then simulates the hotline: tickets arrive with a realistic daily shape and
every step of the closed loop (dispatch, acknowledge, return, extension, reminders, reply, close,
callback, reopen, rating, merge, withdrawal) is performed with `hotline.tickets.service` by the
right person of the right unit, with a FixedClock moving forward through the simulated window.

The simulation is a discrete-event loop: each ticket's life is a generator that yields
`(time, operation)` steps; a heap runs the steps of all tickets in time order, so the clock only
moves forward and ticket numbers follow the local day. Steps that would fall after the window's end
never run, so recent tickets stay open and old ones are mostly finished.
"""

from __future__ import annotations

import heapq
import random
import time as timer
from collections import Counter
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from pathlib import Path
from typing import Any

import chinese_calendar
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.clock import (
    CHINA_TZ,
    CalendarRangeError,
    FixedClock,
    add_working_days,
    is_workday,
    known_years,
    to_local,
)
from hotline.config import Settings
from hotline.db import make_engine, make_session_factory
from hotline.demo import nanjing
from hotline.demo.knowledge import DemoKnowledge
from hotline.errors import DomainError
from hotline.hotlines.service import import_reference
from hotline.migrate import upgrade
from hotline.org import service as org_service
from hotline.org.models import Jurisdiction, JurisdictionLevel, Unit, UnitKind, User
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.models import AuditEntry
from hotline.security.roles import ROLE_LABELS, DataScope, Role
from hotline.tickets import service as ticket_service
from hotline.tickets.categories import catalogue
from hotline.tickets.enums import (
    ACTION_LABELS,
    STATE_LABELS,
    Action,
    Channel,
    Kind,
    Satisfaction,
    State,
    Urgency,
)
from hotline.tickets.models import Ticket, TicketEvent
from hotline.tickets.schemas import ActionIn, DirectAnswerIn, DispatchIn, TicketCreate

DEMO_PASSWORD = "demo12345"
CENTRE_CODE = "center"
DEMO_STARTED = "demo_started"  # the audit entry written first, on a database that held nothing
DEMO_BUILT = "demo_built"  # the audit entry written last: started without it means interrupted
WINDOW = timedelta(days=90)

# ---- who logs in ----------------------------------------------------------------------------

# (username, role, display name, unit code or None, description). Unit users of every other unit
# exist too (<unit code>_handler / _manager); these are the ones printed for the demo.
_HALL_STAFF: list[tuple[str, Role, str, str]] = [
    ("operator1", Role.OPERATOR, "李晓雯", "早班：受理登记、直接答复、直派"),
    ("operator2", Role.OPERATOR, "周敏", "中班"),
    ("operator3", Role.OPERATOR, "陈静", "夜班"),
    ("dispatcher1", Role.DISPATCHER, "王志强", "派单、改派、退单审核、延期审批、办结"),
    ("dispatcher2", Role.DISPATCHER, "刘海燕", "派单、办结"),
    ("callback1", Role.CALLBACK_AGENT, "孙丽华", "回访、退回重办"),
    ("supervisor1", Role.SUPERVISOR, "赵国平", "催办、督办，全市"),
    ("analyst1", Role.ANALYST, "郑思远", "统计分析，个人信息脱敏"),
    ("editor1", Role.KNOWLEDGE_EDITOR, "钱美玲", "知识库维护"),
    ("admin", Role.ADMIN, "系统管理员", "用户、单位与配置"),
]
_SCOPED_SUPERVISOR = ("xuanwu_supervisor", "吴建华", "320102", "督办员（按辖区授权：仅玄武区工单）")
# Unit logins shown to the demo user: (username, unit code, role).
_UNIT_LOGINS: list[tuple[str, str, Role]] = [
    ("fcj_handler", "fcj", Role.UNIT_HANDLER),
    ("fcj_manager", "fcj", Role.UNIT_MANAGER),
    ("cgj_handler", "cgj", Role.UNIT_HANDLER),
    ("cgj_manager", "cgj", Role.UNIT_MANAGER),
    ("rsj_handler", "rsj", Role.UNIT_HANDLER),
    ("shuiwu_handler", "shuiwu", Role.UNIT_HANDLER),
    ("water_handler", "water", Role.UNIT_HANDLER),
    ("xuanwu_handler", "xuanwu", Role.UNIT_HANDLER),
    ("xuanwu_manager", "xuanwu", Role.UNIT_MANAGER),
    ("xlw_handler", "xlw", Role.UNIT_HANDLER),
    ("xlw_manager", "xlw", Role.UNIT_MANAGER),
]
# Readable unit codes for a few street offices (others are "jd" + the street's code).
_STREET_CODES = {("320102", "孝陵卫街道"): "xlw", ("320104", "夫子庙街道"): "fzm", ("320106", "宁海路街道"): "nhl"}
_DISTRICT_PINYIN = {
    "320102": "xuanwu", "320104": "qinhuai", "320105": "jianye", "320106": "gulou", "320111": "pukou",
    "320113": "qixia", "320114": "yuhuatai", "320115": "jiangning", "320116": "liuhe", "320117": "lishui",
    "320118": "gaochun", "jbxq": "jiangbei",
}
# Resident population (10 000s, rounded): where the calls come from. 浦口区 and 六合区 without the
# streets 江北新区 administers (about 41 and 64); 江北新区 the rest of the two districts' 2020 census totals.
_DISTRICT_WEIGHTS = {
    "320102": 54, "320104": 74, "320105": 53, "320106": 94, "320111": 41, "320113": 99, "320114": 63,
    "320115": 197, "320116": 64, "320117": 50, "320118": 43, "jbxq": 106,
}


def demo_logins() -> list[tuple[str, str]]:
    """The demo's printed logins, (username, Chinese description); all use DEMO_PASSWORD."""
    units = {d["code"]: d["short_name"] for d in (*nanjing.DEPARTMENTS, *nanjing.UTILITIES)}
    units.update(xuanwu="玄武区政府", xlw="孝陵卫街道办事处")
    logins = [(u, f"{ROLE_LABELS[r]} · 12345中心（{detail}）") for u, r, _, detail in _HALL_STAFF]
    logins.append((_SCOPED_SUPERVISOR[0], _SCOPED_SUPERVISOR[3]))
    logins += [(u, f"{ROLE_LABELS[r]} · {units[code]}") for u, code, r in _UNIT_LOGINS]
    return logins


class DemoRefused(DomainError):
    """The database holds data that is not the demo's: never wiped without reset."""


class DemoDriverError(RuntimeError):
    """A workflow step of the simulation was refused: a bug in this driver, not in the data."""


# ---- the entry point ------------------------------------------------------------------------


def build_demo(
    settings: Settings,
    *,
    tickets: int = 3000,
    seed: int = 12345,
    reset: bool = False,
    now: datetime | None = None,
    console: Console | None = None,
) -> list[tuple[str, str]]:
    """Build the Nanjing demo on the settings' database; return the demo logins.

    Already built and not `reset`: say so and return the logins. `reset` wipes the database first
    (a SQLite file is deleted; any other database is dropped table by table, loudly).
    """
    console = console or Console()
    engine = make_engine(settings)
    try:
        if reset:
            engine = _wipe(engine, settings, console)
            from hotline.demo import models as demo_models

            demo_models.forget(settings)
        upgrade(engine)
        db = make_session_factory(engine)()
        try:
            if _marked(db, DEMO_STARTED) and not _marked(db, DEMO_BUILT):
                # Interrupted (Ctrl-C, a crash): the half-built city would pass for a demo ever after.
                # The start marker is only written on an empty database, so all of it is ours to wipe;
                # a database without the marker (a demo from before it, anyone else's) is never wiped.
                console.print("[yellow]上次生成演示数据未完成（可能被中断），清空后重新生成……[/]")
                db.close()
                engine = _wipe(engine, settings, console)
                from hotline.demo import models as demo_models

                demo_models.forget(settings)
                upgrade(engine)
                db = make_session_factory(engine)()
            if _demo_exists(db):
                count = db.execute(select(func.count(Ticket.id))).scalar_one()
                console.print(f"[green]演示数据已存在[/]（{count} 张工单），不再重复生成。"
                              "如需重建，请删除数据库文件，或调用 build_demo(..., reset=True)。")
                from hotline.demo import models as demo_models

                if not demo_models.paths(settings):  # a demo built before it had models
                    demo_models.train(db, settings, console)
                return demo_logins()
            if _has_data(db):
                message = (f"数据库 {engine.url.render_as_string(hide_password=True)} 中已有数据，但不是演示数据。"
                           "为免误删，已停止生成演示数据：请换一个空数据库（HOTLINE_DATABASE_URL），"
                           "或确认可以清空后以 reset=True 重建。")
                console.print(f"[bold red]{message}[/]")
                raise DemoRefused("demo_refused", message)
            audit.record(db, actor=Actor.system(), at=datetime.now(UTC), action=DEMO_STARTED, object_type="demo",
                         object_id=str(tickets), detail=f"开始生成演示数据：{tickets} 张工单，种子 {seed}")
            db.commit()
            rng = random.Random(seed)
            started = timer.perf_counter()
            org = _build_org(db, rng, console)
            console.print(f"组织机构已建立（{timer.perf_counter() - started:.1f} 秒）")
            end = _window_end(now)
            clock = FixedClock(end - WINDOW)
            rt = Runtime.from_settings(settings, clock)
            # The hotline registry (热线归并) of the demo city; owners matched to the demo's units by name.
            registry = import_reference(db, rt, actor=Actor.system(), cities=[nanjing.CITY[1]])
            console.print(f"热线归并清单已导入（{len(registry.created)} 条）")
            from hotline.demo import experts as demo_experts  # 专家座席值班: who the hall can three-way to

            console.print(f"专家座席值班表已登记（{demo_experts.build(db, rt)} 人）")
            from hotline.dispatch.catalogue import seed as seed_catalogue  # 派单目录 of the demo city

            rules = seed_catalogue(db, rt, actor=Actor.system(), by_category=org.owners,
                                   by_place=[(s.code, s.unit.code) for ss in org.streets.values() for s in ss]
                                   + [(code, unit.code) for code, unit in org.district_unit.items()],
                                   local=[(category, s.code, s.unit.code) for category in _local_categories()
                                          for ss in org.streets.values() for s in ss])
            db.commit()
            console.print(f"派单目录已生成（{rules} 条规则）")
            sim = _Simulation(db, rt, clock, org, rng, end - WINDOW, end)
            # The knowledge base grows among the tickets (its steps run in the same event loop).
            sim.kb = DemoKnowledge(db, rt, org, end - WINDOW, end, seed)
            t0 = timer.perf_counter()
            sim.run(tickets, console, also=[sim.kb.life()])
            console.print(f"已生成 {tickets} 张工单（{timer.perf_counter() - t0:.1f} 秒，"
                          f"模拟 {to_local(end - WINDOW):%Y-%m-%d} 至 {to_local(end):%Y-%m-%d %H:%M}）")
            console.print(sim.kb.summary())
            from hotline.dispatch.place_registry import learn as learn_places  # 地名库 from the closed tickets

            places = learn_places(db, rt, actor=Actor.system(), apply=True)
            db.commit()
            console.print(f"地名库已从 {places.tickets} 件已办结工单学习（{places.added} 个地名）")
            from hotline.demo import models as demo_models  # the category and kind models its pages use

            demo_models.train(db, settings, console)
            from hotline.calls.loading import load_demo  # the hall wall and the callback list get figures

            calls = load_demo(db, end=end, operators=tuple(u for u, r, _, _ in _HALL_STAFF if r == Role.OPERATOR),
                              days=2, calls_per_day=1000)
            console.print(f"已生成 {calls} 通来电（近 2 天及今日的话务事件）")
            from hotline.demo import machines as demo_machines  # 接口账号: the PBX adapter, the city app …

            accounts = demo_machines.build(db, rt, start=end - timedelta(days=20), end=end)
            console.print(f"接口账号已开通（{accounts} 个：话务平台、市民App、数据共享、市房产局业务系统；"
                          "密钥请在“接口账号”页轮换获取，或运行 hotline unit-system account fcj-system --unit fcj）")
            from hotline.demo import sms as demo_sms  # 短信受理: texts waiting for an operator

            texts = demo_sms.build(db, end=end)
            console.print(f"已收到 {texts} 条待处理短信（短信受理）")
            from hotline.demo import wechat as demo_wechat  # 微信受理: conversations handed over (人工)

            messages = demo_wechat.build(db, rt, end=end)
            console.print(f"已收到 {messages} 条待处理微信留言（微信受理）")
            from hotline.demo import access as demo_access  # 个人信息访问审查: a week of reads to review

            reads = demo_access.build(db, end=end)
            console.print(f"已生成近 {demo_access.DAYS} 天的个人信息查看记录（{reads} 条，供访问审查）")
            from hotline.demo import oversight as demo_oversight  # 差评核实, 通报, 数据公开 not empty

            console.print(demo_oversight.build(db, rt, end=end))
            from hotline.demo import linkage as demo_linkage  # 联动转办: passed out and in, not empty

            console.print(demo_linkage.build(db, rt, end=end))
            embedded = _embed_knowledge(db, engine)  # the first searches of the demo need not compute them
            if embedded is not None:
                console.print(f"知识库语义向量已计算（{embedded} 条问法）")
            _print_summary(db, rt, end, sim, console)
            # The last write: only a demo that got this far counts as built (see DEMO_STARTED).
            audit.record(db, actor=Actor.system(), at=datetime.now(UTC), action=DEMO_BUILT, object_type="demo",
                         object_id=str(tickets), detail=f"演示数据生成完成：{tickets} 张工单，种子 {seed}")
            db.commit()
            return demo_logins()
        finally:
            db.close()
    finally:
        engine.dispose()


def _local_categories() -> list[str]:
    """The categories whose every request template is handled where it happens (unit "district"):
    the demo catalogue sends them to the place's street office, as the simulation's units do."""
    local = {t["category"] for t in nanjing.REQUEST_TEMPLATES if t["unit"] == "district"}
    return sorted(local - {t["category"] for t in nanjing.REQUEST_TEMPLATES if t["unit"] != "district"})


def _embed_knowledge(db: Session, engine: Engine) -> int | None:
    """The semantic vectors of the published articles' questions (the count returned) and of their
    passages (the ranker's, when it uses them); None when semantic search is off."""
    from hotline.knowledge import semantic
    from hotline.knowledge import service as kb_service

    if semantic.default_encoder() is None:
        return None
    docs, _ = kb_service.published_documents(db)
    db.rollback()
    semantic.backfill(engine, [semantic.passage_text(d.title, d.answer) for d in docs], passages=True, batch=8)
    return semantic.backfill(engine, [q for d in docs for q in (d.questions or (d.title,))])


def _window_end(now: datetime | None) -> datetime:
    """min(now, 1 December of the last year the holiday calendar knows)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    last = datetime(known_years()[1], 12, 1, tzinfo=CHINA_TZ).astimezone(UTC)
    return min(now, last)


def _wipe(engine: Engine, settings: Settings, console: Console) -> Engine:
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        engine.dispose()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(database + suffix).unlink(missing_ok=True)
        console.print(f"已删除 SQLite 数据库文件 {database}，重新生成演示数据")
        return make_engine(settings)
    import hotline.models  # noqa: F401  (every table in Base.metadata)
    from hotline.db import Base

    if engine.dialect.name != "sqlite":
        console.print(f"[bold red]reset=True：清空数据库 {engine.url.render_as_string(hide_password=True)} "
                      "中的全部表[/]")
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    return engine


def _demo_exists(db: Session) -> bool:
    return db.execute(select(Unit.id).where(Unit.code == CENTRE_CODE)).first() is not None and (
        db.execute(select(User.id).where(User.username == "admin")).first() is not None
    )


def _marked(db: Session, action: str) -> bool:
    return db.execute(select(AuditEntry.id).where(AuditEntry.action == action).limit(1)).first() is not None


def _has_data(db: Session) -> bool:
    return any(db.execute(select(model.id).limit(1)).first() for model in (Jurisdiction, Unit, User, Ticket))


# ---- the organisation -----------------------------------------------------------------------


@dataclass
class _Street:
    code: str
    name: str
    district_code: str
    node: Jurisdiction
    communities: list[Jurisdiction]
    unit: Unit


@dataclass
class _Org:
    districts: dict[str, Jurisdiction] = field(default_factory=dict)
    district_names: dict[str, str] = field(default_factory=dict)
    streets: dict[str, list[_Street]] = field(default_factory=dict)  # by district code
    units: dict[str, Unit] = field(default_factory=dict)  # by unit code
    units_by_id: dict[int, Unit] = field(default_factory=dict)
    district_unit: dict[str, Unit] = field(default_factory=dict)  # by district code
    hall: dict[str, Actor] = field(default_factory=dict)  # by username
    handler: dict[int, Actor] = field(default_factory=dict)  # by unit id
    manager: dict[int, Actor] = field(default_factory=dict)
    # category code prefix → unit codes that own it (the dispatch catalogue hints of nanjing.py)
    owners: list[tuple[str, str]] = field(default_factory=list)
    # PLACES fragment → the street (and community) its name points to
    place_street: dict[str, tuple[_Street, Jurisdiction | None]] = field(default_factory=dict)


def _person(rng: random.Random) -> str:
    return rng.choice(nanjing.SURNAMES) + rng.choice(nanjing.GIVEN_NAMES)


def _build_org(db: Session, rng: random.Random, console: Console) -> _Org:
    o = _Org()
    add_j, add_u = org_service.add_jurisdiction, org_service.add_unit
    L = JurisdictionLevel
    province = add_j(db, code=nanjing.PROVINCE[0], name=nanjing.PROVINCE[1], level=L.PROVINCE, parent=None)
    city = add_j(db, code=nanjing.CITY[0], name=nanjing.CITY[1], level=L.CITY, parent=province)
    centre = add_u(db, code=CENTRE_CODE, name="南京市12345政务服务便民热线中心", short_name="12345中心",
                   kind=UnitKind.HOTLINE_CENTER, jurisdiction=city)
    o.units[CENTRE_CODE] = centre
    for d in (*nanjing.DEPARTMENTS, *nanjing.UTILITIES):
        o.units[d["code"]] = add_u(db, code=d["code"], name=d["name"], short_name=d["short_name"],
                                   kind=UnitKind(d["kind"]), jurisdiction=city)
        o.owners += [(c, d["code"]) for c in d["categories"]]
    communities = 0
    for d in nanjing.DISTRICTS:
        dcode, dname = d["code"], d["name"]
        district = add_j(db, code=dcode, name=dname, level=L.DISTRICT, parent=city)
        o.districts[dcode], o.district_names[dcode] = district, dname
        gov_name, gov_short = d.get("government", (f"南京市{dname}人民政府", f"{dname}政府"))
        gov = add_u(db, code=_DISTRICT_PINYIN[dcode], name=gov_name, short_name=gov_short,
                    kind=UnitKind.DISTRICT_GOVERNMENT, jurisdiction=district)
        o.units[gov.code] = o.district_unit[dcode] = gov
        o.streets[dcode] = []
        for i, s in enumerate(d["streets"], start=1):
            scode = f"{dcode}{i:03d}"
            street = add_j(db, code=scode, name=s["name"], level=L.STREET, parent=district)
            office = f"{s['name']}办事处" if s["name"].endswith("街道") else f"{s['name']}人民政府"
            unit = add_u(db, code=_STREET_CODES.get((dcode, s["name"]), f"jd{scode}"), name=f"{dname}{office}",
                         short_name=s["name"], kind=UnitKind.STREET_OFFICE, jurisdiction=street, parent=gov)
            o.units[unit.code] = unit
            nodes = [add_j(db, code=f"{scode}{j:03d}", name=c, level=L.COMMUNITY, parent=street)
                     for j, c in enumerate(s["communities"], start=1)]
            communities += len(nodes)
            o.streets[dcode].append(_Street(scode, s["name"], dcode, street, nodes, unit))
    o.units_by_id = {u.id: u for u in o.units.values()}
    o.place_street = _match_places(o)

    # Staff: the hall, then a handler and a manager for every handling unit.
    users: list[User] = []
    add_user = org_service.add_user
    for username, role, name, _ in _HALL_STAFF:
        users.append(add_user(db, username=username, password=DEMO_PASSWORD, display_name=name, role=role,
                              unit=centre))
    uname, name, dcode, _ = _SCOPED_SUPERVISOR
    users.append(add_user(db, username=uname, password=DEMO_PASSWORD, display_name=name, role=Role.SUPERVISOR,
                          data_scope=DataScope.JURISDICTION, scope_jurisdiction=o.districts[dcode]))
    for unit in o.units.values():
        if unit.code == CENTRE_CODE:
            continue
        for suffix, role in (("handler", Role.UNIT_HANDLER), ("manager", Role.UNIT_MANAGER)):
            users.append(add_user(db, username=f"{unit.code}_{suffix}", password=DEMO_PASSWORD,
                                  display_name=_person(rng), role=role, unit=unit))
    db.commit()
    for user in users:
        actor = org_service.actor_for(user)
        if user.role == Role.UNIT_HANDLER:
            o.handler[user.unit_id] = actor  # type: ignore[index]
        elif user.role == Role.UNIT_MANAGER:
            o.manager[user.unit_id] = actor  # type: ignore[index]
        else:
            o.hall[user.username] = actor

    streets = sum(len(v) for v in o.streets.values())
    console.print(f"属地：江苏省 → 南京市 → {len(o.districts)} 个区/新区 → {streets} 个街道/镇 → "
                  f"{communities} 个社区/村")
    kinds = Counter(u.kind for u in o.units.values())
    console.print("单位：" + "、".join(f"{k} {n}" for k, n in kinds.items()) + f"；用户 {len(users)} 个")
    table = Table(title=f"演示账号（密码均为 {DEMO_PASSWORD}）", show_lines=False)
    table.add_column("用户名")
    table.add_column("角色与单位")
    for username, label in demo_logins():
        table.add_row(username, label)
    console.print(table)
    console.print("其他承办单位账号：<单位代码>_handler / <单位代码>_manager（如 gaj_handler、"
                  "jd320115001_handler），密码相同")
    return o


def _base(name: str) -> str:
    for suffix in ("街道", "社区", "镇", "村"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _match_places(o: _Org) -> dict[str, tuple[_Street, Jurisdiction | None]]:
    """Which street a PLACES fragment lies in, when its name says so (锁金新村 → 锁金村街道)."""
    found: dict[str, tuple[_Street, Jurisdiction | None]] = {}
    for dcode, fragments in nanjing.PLACES.items():
        for fragment in fragments:
            for street in o.streets[dcode]:
                community = next((c for c in street.communities if _base(c.name) in fragment), None)
                if community is not None or _base(street.name) in fragment:
                    found[fragment] = (street, community)
                    break
    return found


# ---- time helpers ---------------------------------------------------------------------------

OFFICE_OPEN, OFFICE_CLOSE = dtime(8, 30), dtime(17, 30)


@lru_cache(maxsize=4096)
def _workday(day: date) -> bool:
    try:
        return is_workday(day)
    except CalendarRangeError:  # only for steps beyond the window, which never run
        return day.weekday() < 5


@lru_cache(maxsize=1024)
def _day_factor(day: date) -> float:
    """Fewer calls on rest days, fewest on public holidays."""
    if _workday(day):
        return 1.08 if day.weekday() == 0 else 1.0
    try:
        _, holiday = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        holiday = None
    return 0.45 if holiday else 0.62


# Relative call volume by local hour: quiet nights, a morning peak, a long afternoon.
_HOUR_WEIGHTS = [0.14, 0.09, 0.07, 0.06, 0.07, 0.15, 0.35, 0.85, 1.6, 2.2, 2.4, 2.2, 1.5, 1.7, 2.1, 2.1, 1.9,
                 1.6, 1.25, 1.1, 1.0, 0.8, 0.5, 0.28]


def _h(hours: float) -> timedelta:
    return timedelta(hours=hours)


def _m(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


# ---- texts ----------------------------------------------------------------------------------

_CHANNELS = [(Channel.PHONE, 70), (Channel.WECHAT, 10), (Channel.APP, 7), (Channel.WEB, 6), (Channel.MAILBOX, 2),
             (Channel.SMS, 2), (Channel.CHATBOT, 3)]
_MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                    "156", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "186", "187",
                    "188", "189", "191", "198", "199"]
_COMPANY_WORDS = ["恒信", "金陵", "瑞丰", "华泰", "宁创", "博远", "新叶", "同舟", "鼎盛", "钟山", "秦淮", "江北"]
_COMPANY_TRADES = ["科技有限公司", "精密机械有限公司", "餐饮管理有限公司", "商贸有限公司", "建筑工程有限公司",
                   "信息技术有限公司", "物流有限公司", "食品有限公司"]
_REPLIES: dict[str, list[str]] = {
    "consultation": [
        "已电话联系诉求人，就所咨询的政策规定、办理条件和所需材料进行了详细解答，并告知线上办理渠道，诉求人表示清楚。",
        "经与诉求人沟通，已告知相关政策依据及办理流程，并提供了窗口地址和咨询电话，诉求人表示理解。",
    ],
    "help": [
        "接单后我单位立即与诉求人取得联系，了解具体困难，已协调相关方面予以解决，诉求人表示认可。",
        "工作人员已上门查看并现场处置，问题已得到解决，后续将持续跟踪回访。",
    ],
    "complaint": [
        "收到工单后，我单位工作人员到现场核查，反映情况基本属实，已责令责任方限期整改，经复查问题已解决，已电话告知诉求人。",
        "经核查，反映问题部分属实，已约谈相关责任单位并督促整改，我单位将加强日常巡查，防止问题反弹。",
        "经现场核实，已于当日完成整改，并向诉求人反馈了处理结果，诉求人表示认可。",
    ],
    "report": [
        "经调查核实，举报情况属实，已依法立案查处并责令当事人立即改正，处理结果已按规定反馈。",
        "经执法人员现场检查，未发现举报所述违法行为，已对经营主体进行提醒告诫，并纳入日常重点巡查。",
    ],
    "suggestion": [
        "感谢您的建议。我单位已认真研究，相关建议已纳入下一阶段工作计划统筹考虑，并将适时公布进展。",
    ],
    "praise": [
        "已将来电人的感谢转达至相关工作人员并在单位内通报表扬，我们将继续做好服务。",
    ],
}
_SUPPLEMENTS = ["补充答复：已再次与诉求人沟通并实地查看，针对其核心诉求制定了整改方案，明确了完成时间。",
                "补充答复：已按要求补充核查情况和处理依据，并将处理结果当面告知诉求人。"]
_REJECT_REASONS = ["答复未回应诉求人的核心诉求，请补充办理情况后重新答复",
                   "答复过于笼统，缺少核查过程和处理结果，请补充"]
_WITHDRAW_REASONS = ["诉求人来电表示问题已自行解决，申请撤回", "诉求人表示已通过其他途径办理，不再需要处理",
                     "诉求人表示与对方已协商一致，申请撤回"]
_HAPPY_NOTES = ["诉求人表示问题已解决，对办理结果满意", "诉求人表示单位处理及时，问题已解决",
                "诉求人表示基本解决，认可办理结果"]
_UNHAPPY_NOTES = ["诉求人表示问题仍未解决，要求重新办理", "诉求人对答复不认可，认为单位未实地查看",
                  "诉求人表示整改后问题反弹，要求继续处理"]
_NO_ANSWER_NOTES = ["无人接听", "对方已关机", "无人接听，已发短信告知将再次回访"]
_COMMENTS = {True: ["处理很及时，点赞！", "办理结果满意，谢谢12345。", "工作人员态度很好。"],
             False: ["问题没有真正解决。", "答复敷衍，希望再落实一下。"]}


def _answer_source(template: dict[str, Any]) -> tuple[str, str]:
    """A direct answer and its source when no article is cited (none in force for the topic yet):
    the intake rule used."""
    title = template["title"]
    if template["kind"] == "praise":
        return ("已记录来电人的表扬，将转达相关单位及工作人员。", "受理规范：表扬类诉求登记转达")
    if template["kind"] == "suggestion":
        return ("已记录您的建议，将汇总转交相关部门研究参考，感谢您对城市工作的关心。", "受理规范：建议类诉求登记转交")
    topic = title.removesuffix("咨询")
    return (f"已根据现行政策为来电人解答{topic}的政策规定、办理条件、所需材料和办理渠道"
            "（可通过“我的南京”APP或政务服务网办理），来电人表示清楚。",
            f"受理规范：咨询类诉求依据现行政策解答（{topic}）")


# ---- the simulation -------------------------------------------------------------------------

Step = tuple[datetime, Callable[[], Any]]
Life = Generator[Step, Any, Any]


@dataclass
class _Snap:
    """What the driver needs of a ticket after a step (ORM objects are not kept between steps)."""

    id: int
    number: str
    state: State
    due_at: datetime | None
    ack_due_at: datetime | None
    return_due_at: datetime | None
    dispatched_at: datetime | None
    lead_unit_id: int | None
    reopen_count: int
    extension_days_used: int
    phone: str | None

    @classmethod
    def of(cls, t: Ticket) -> _Snap:
        return cls(t.id, t.number, State(t.state), t.due_at, t.ack_due_at, t.return_due_at, t.dispatched_at,
                   t.lead_unit_id, t.reopen_count, t.extension_days_used, t.requester_phone)


@dataclass
class _Plan:
    """One ticket's request and the fate the simulation has in store for it."""

    index: int
    arrival: datetime
    template: dict[str, Any]
    district: str
    street: _Street
    community: Jurisdiction | None
    fragment: str
    channel: Channel
    name: str | None
    phone: str | None
    anonymous: bool = False
    confidential: bool = False
    org_name: str | None = None
    unit: Unit | None = None
    assist: list[Unit] = field(default_factory=list)
    # the assisting units join once the lead unit handles it (调整协办单位), not named at dispatch
    assist_later: bool = False
    direct_answer: bool = False
    direct_dispatch: bool = False
    parent: int | None = None  # index of the plan this duplicates (并单)
    withdraw: str | None = None  # "registered" or "handling"
    return_: str | None = None  # "accepted" or "refused"
    extension: str | None = None  # "approved" or "refused"
    slow: bool = False
    late_ack: bool = False
    reject_reply: bool = False
    force_reopen: bool = False
    unreachable: bool = False  # the requester never answers the callback (回访未接通 → 无法联系)
    rate: bool = False
    fast: bool = False  # forced end states: short delays, whatever the office hours
    hold: State | None = None  # stop in this state (forced end states)
    title: str | None = None  # the caller's own wording, when not the template's title
    cited: int | None = None  # the article a direct answer cited
    tid: int | None = None
    number: str | None = None

    @property
    def kind(self) -> Kind:
        return Kind(self.template["kind"])

    @property
    def urgency(self) -> Urgency:
        return Urgency(self.template["urgency"])

    @property
    def plain(self) -> bool:
        """An ordinary dispatched ticket that a forced scenario may take over."""
        return not (self.direct_answer or self.parent is not None or self.withdraw or self.return_
                    or self.extension or self.slow or self.hold or self.assist or self.reject_reply
                    or self.force_reopen or self.unreachable)


# A ticket already handled (办结) takes no duplicate: the service refuses it (a new call on a closed
# matter is dispatched again).
_MERGEABLE_PARENT = {State.REGISTERED, State.DISPATCHED, State.HANDLING, State.RETURN_REVIEW, State.REPLIED}


class _Simulation:
    def __init__(self, db: Session, rt: Runtime, clock: FixedClock, org: _Org, rng: random.Random,
                 start: datetime, end: datetime) -> None:
        self.db, self.rt, self.clock, self.org, self.rng = db, rt, clock, org, rng
        self.start, self.end = start, end
        self.plans: list[_Plan] = []
        self.state_of: dict[int, State] = {}
        self.actions: Counter[str] = Counter()
        self.centre = org.units[CENTRE_CODE]
        self.hall = org.hall
        weights = [2.5 if t["unit"] == "district" else 1.0 for t in nanjing.REQUEST_TEMPLATES]
        self.template_weights = weights
        self.kb: DemoKnowledge | None = None

    # -- the event loop --

    def run(self, count: int, console: Console, also: Sequence[Life] = ()) -> None:
        """Play every ticket's life, and the `also` lives (the knowledge base's), in time order."""
        self.plans = self._make_plans(count)
        heap: list[tuple[datetime, int, Life, Callable[[], Any]]] = []
        seq = 0
        for life in (*(self._life(plan) for plan in self.plans), *also):
            at, op = next(life)
            heap.append((at, seq, life, op))
            seq += 1
        heapq.heapify(heap)
        columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("生成工单", total=count)
            day = None
            while heap:
                at, _, life, op = heapq.heappop(heap)
                if at > self.end:
                    break  # everything left would happen after the window: those tickets stay as they are
                self.clock.set(at)
                result = op()
                if isinstance(op, _Register):
                    local_day = to_local(at).date()
                    if local_day != day:
                        day = local_day
                        progress.update(task, description=f"生成工单（模拟日期 {day:%Y-%m-%d}）")
                    progress.advance(task)
                try:
                    nxt, nxt_op = life.send(result)
                except StopIteration:
                    continue
                heapq.heappush(heap, (max(nxt, at), seq, life, nxt_op))
                seq += 1
            progress.update(task, description="生成工单（完成）", completed=count)

    # -- service calls --

    def act(self, p: _Plan, action: Action, actor: Actor, **params: Any) -> _Snap:
        assert p.tid is not None
        try:
            ticket = ticket_service.act(self.db, self.rt, actor=actor, ticket_id=p.tid, action=action,
                                        params=ActionIn(**params))
        except DomainError as exc:
            raise DemoDriverError(f"{p.number} {action} by {actor.username or actor.role} at "
                                  f"{to_local(self.clock.now()):%Y-%m-%d %H:%M}: {exc.code} {exc.message}") from exc
        return self._record(p, ticket, action)

    def public(self, p: _Plan, action: Action, **params: Any) -> _Snap:
        assert p.number is not None and p.phone
        try:
            ticket = ticket_service.public_act(self.db, self.rt, number=p.number, phone_last4=p.phone[-4:],
                                               action=action, params=ActionIn(**params), client="demo")
        except DomainError as exc:
            raise DemoDriverError(f"{p.number} public {action}: {exc.code} {exc.message}") from exc
        return self._record(p, ticket, action)

    def _record(self, p: _Plan, ticket: Ticket, action: Action) -> _Snap:
        snap = _Snap.of(ticket)
        self.state_of[snap.id] = snap.state
        self.actions[action] += 1
        return snap

    # -- who is on duty --

    def operator(self, at: datetime) -> Actor:
        hour = to_local(at).hour
        return self.hall["operator3" if hour < 8 else "operator1" if hour < 16 else "operator2"]

    def dispatcher(self) -> Actor:
        return self.hall["dispatcher1" if self.rng.random() < 0.6 else "dispatcher2"]

    def centre_reviewer(self) -> Actor:
        return self.hall["supervisor1"] if self.rng.random() < 0.25 else self.dispatcher()

    # -- time --

    def next_office(self, t: datetime, jitter: bool = True) -> datetime:
        """t if in office hours (08:30–17:30 on working days), else the next opening (plus a little)."""
        local = to_local(t)
        day = local.date()
        opening = datetime.combine(day, OFFICE_OPEN, CHINA_TZ)
        closing = datetime.combine(day, OFFICE_CLOSE, CHINA_TZ)
        if _workday(day) and opening <= local < closing:
            return t
        if not (_workday(day) and local < opening):
            day += timedelta(days=1)
            while not _workday(day):
                day += timedelta(days=1)
            opening = datetime.combine(day, OFFICE_OPEN, CHINA_TZ)
        return (opening + (_m(self.rng.uniform(0, 45)) if jitter else timedelta(0))).astimezone(UTC)

    def office(self, t: datetime, hours: float) -> datetime:
        """t plus `hours` of office time."""
        local = to_local(self.next_office(t, jitter=False))
        remaining = _h(hours)
        while True:
            closing = datetime.combine(local.date(), OFFICE_CLOSE, CHINA_TZ)
            if local + remaining <= closing:
                return (local + remaining).astimezone(UTC)
            remaining -= closing - local
            local = to_local(self.next_office(closing, jitter=False))

    def _shift(self, t: datetime, opens: int, closes: int, jitter: float) -> datetime:
        local = to_local(t)
        if opens <= local.hour < closes:
            return t
        day = local.date() + timedelta(days=0 if local.hour < opens else 1)
        return (datetime.combine(day, dtime(opens), CHINA_TZ) + _m(self.rng.uniform(0, jitter))).astimezone(UTC)

    def hall_time(self, t: datetime, minutes: float) -> datetime:
        """The dispatch desk works 07:00–22:00 every day."""
        return self._shift(t + _m(minutes), 7, 22, 50)

    def callback_time(self, t: datetime, hours: float) -> datetime:
        """Callbacks are made 09:00–20:00."""
        return self._shift(t + _h(hours), 9, 20, 120)

    def unit_time(self, p: _Plan, t: datetime, office_hours: float) -> datetime:
        """Urgent matters are handled at once, day or night; the rest in office hours."""
        if p.fast:
            return t + _h(office_hours / 3)
        if p.urgency == Urgency.CRITICAL:
            return t + _m(self.rng.uniform(5, 50))
        if p.urgency == Urgency.URGENT:
            return t + _h(min(office_hours, self.rng.uniform(0.3, 3)))
        return self.office(t, office_hours)

    # -- the plans --

    def _arrivals(self, count: int) -> list[datetime]:
        first = to_local(self.start).replace(minute=0, second=0, microsecond=0)
        buckets: list[datetime] = []
        weights: list[float] = []
        hour = first
        end_local = to_local(self.end)
        while hour < end_local:
            lo, hi = max(hour, to_local(self.start)), min(hour + _h(1), end_local)
            share = (hi - lo) / _h(1)
            if share > 0:
                buckets.append(hour)
                weights.append(_HOUR_WEIGHTS[hour.hour] * _day_factor(hour.date()) * share)
            hour += _h(1)
        picks = self.rng.choices(range(len(buckets)), weights=weights, k=count)
        result = []
        for i in picks:
            lo = max(buckets[i], to_local(self.start))
            hi = min(buckets[i] + _h(1), end_local)
            result.append((lo + (hi - lo) * self.rng.random()).astimezone(UTC))
        return sorted(result)

    def _place(self) -> tuple[str, _Street, Jurisdiction | None, str]:
        rng = self.rng
        dcode = rng.choices(list(_DISTRICT_WEIGHTS), weights=list(_DISTRICT_WEIGHTS.values()))[0]
        fragment = rng.choice(nanjing.PLACES[dcode])
        matched = self.org.place_street.get(fragment)
        # A place whose name says its street is filed there, as a hall does; a few (a boundary, a
        # matter the street passed on) end elsewhere in the district.
        # A street with no community listed (none found named in public sources) keeps the street.
        if matched and rng.random() < 0.97:
            street, community = matched
            if community is None and rng.random() < 0.6 and street.communities:
                community = rng.choice(street.communities)
        else:
            street = rng.choice(self.org.streets[dcode])
            community = rng.choice(street.communities) if rng.random() < 0.7 and street.communities else None
        return dcode, street, community, fragment

    def _route(self, template: dict[str, Any], street: _Street) -> Unit:
        if template["unit"] != "district":
            return self.org.units[template["unit"]]
        return street.unit if self.rng.random() < 0.85 else self.org.district_unit[street.district_code]

    def _owners(self, category: str) -> list[Unit]:
        codes = dict.fromkeys(code for prefix, code in self.org.owners
                              if category.startswith(prefix) or prefix.startswith(category))
        return [self.org.units[c] for c in codes]

    def alternative(self, p: _Plan, current_id: int) -> Unit:
        """Where a justified return goes: the owning department, or the street (属地)."""
        current = self.org.units_by_id[current_id]
        owners = [u for u in self._owners(p.template["category"]) if u.id != current_id]
        local = [u for u in (p.street.unit, self.org.district_unit[p.district]) if u.id != current_id]
        if current.kind in (UnitKind.STREET_OFFICE, UnitKind.DISTRICT_GOVERNMENT):
            pool = owners or local
        else:
            pool = local if not owners or self.rng.random() < 0.6 else owners
        return self.rng.choice(pool)

    def _phone(self) -> str:
        return self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def _make_plans(self, count: int) -> list[_Plan]:
        rng = self.rng
        arrivals = self._arrivals(count)
        # Repeat callers: a pool of people who call again and again (the intake screen's history).
        regulars = [(_person(rng), self._phone()) for _ in range(max(5, count // 30))]
        regular_weights = [(i + 2) ** -0.8 for i in range(len(regulars))]
        plans: list[_Plan] = []
        for i, at in enumerate(arrivals):
            parent = self._duplicate_parent(plans, at) if rng.random() < 0.035 else None
            if parent is not None:
                template, dcode, street, community, fragment = (parent.template, parent.district, parent.street,
                                                                parent.community, parent.fragment)
            else:
                template = rng.choices(nanjing.REQUEST_TEMPLATES, weights=self.template_weights)[0]
                dcode, street, community, fragment = self._place()
            channel = rng.choices([c for c, _ in _CHANNELS], weights=[w for _, w in _CHANNELS])[0]
            if rng.random() < 0.15:
                name, phone = rng.choices(regulars, weights=regular_weights)[0]
            else:
                name, phone = _person(rng), self._phone()
            p = _Plan(index=i, arrival=at, template=template, district=dcode, street=street, community=community,
                      fragment=fragment, channel=channel, name=name, phone=phone,
                      parent=parent.index if parent is not None else None)
            kind = p.kind
            if kind in (Kind.COMPLAINT, Kind.REPORT) and rng.random() < 0.05:
                p.anonymous, p.name = True, None
                if rng.random() < 0.5:
                    p.phone = None
                    p.channel = rng.choice([Channel.WEB, Channel.MAILBOX, Channel.APP])
            p.confidential = kind == Kind.REPORT and rng.random() < 0.6
            if template["enterprise"]:
                p.org_name = "南京" + rng.choice(_COMPANY_WORDS) + rng.choice(_COMPANY_TRADES)
            p.unit = self._route(template, street)
            direct_p = {Kind.CONSULTATION: 0.62, Kind.PRAISE: 0.5, Kind.SUGGESTION: 0.12}.get(kind, 0.0)
            p.direct_answer = parent is None and rng.random() < direct_p
            if not p.direct_answer:
                self._fate(p)
            plans.append(p)
        self._force_scenarios(plans)
        return plans

    def _duplicate_parent(self, plans: list[_Plan], at: datetime) -> _Plan | None:
        for q in reversed(plans[-60:]):
            if at - q.arrival > timedelta(days=3):
                break
            if q.plain and q.template["kind"] in ("complaint", "help", "report"):
                return q
        return None

    def _fate(self, p: _Plan) -> None:
        rng = self.rng
        operator_intake = p.channel in (Channel.PHONE, Channel.SMS, Channel.MAILBOX)
        p.direct_dispatch = operator_intake and p.parent is None and (
            rng.random() < (0.8 if p.urgency != Urgency.NORMAL else 0.35))
        r = rng.random()
        if p.parent is None and r < 0.025:
            p.withdraw = "registered" if rng.random() < 0.3 else "handling"
            if p.withdraw == "registered":
                p.direct_dispatch = False
            return
        if rng.random() < 0.07:
            p.return_ = "accepted" if rng.random() < 0.55 else "refused"
        elif p.kind in (Kind.COMPLAINT, Kind.HELP, Kind.REPORT) and rng.random() < 0.09:
            p.assist = [self._assisting(p)]
            p.assist_later = rng.random() < 0.25
        if p.kind in (Kind.COMPLAINT, Kind.HELP, Kind.REPORT) and rng.random() < 0.07:
            p.extension = "approved" if rng.random() < 0.7 else "refused"
        p.slow = not p.extension and rng.random() < 0.08
        p.late_ack = rng.random() < 0.08
        p.reject_reply = rng.random() < 0.04
        p.rate = rng.random() < 0.07

    @staticmethod
    def _named_at_dispatch(p: _Plan) -> list[int]:
        return [] if p.assist_later else [u.id for u in p.assist]

    def _assisting(self, p: _Plan) -> Unit:
        assert p.unit is not None
        if p.unit.kind in (UnitKind.STREET_OFFICE, UnitKind.DISTRICT_GOVERNMENT):
            owners = [u for u in self._owners(p.template["category"]) if u.id != p.unit.id]
            return owners[0] if owners else self.org.district_unit[p.district]
        return p.street.unit

    def _force_scenarios(self, plans: list[_Plan]) -> None:
        """Make sure even a small demo shows every state and every kind of step."""
        rng = self.rng
        taken: set[int] = set()
        dispatchable = [t for t in nanjing.REQUEST_TEMPLATES if t["kind"] in ("complaint", "help")]

        def pick(lo: timedelta, hi: timedelta, *, need_plain: bool = True) -> _Plan | None:
            """A ticket that arrived between hi and lo before the end; in a sparse demo, the latest before."""
            free = [p for p in plans if p.index not in taken and p.arrival <= self.end - lo
                    and (p.plain or not need_plain) and p.parent is None]
            cands = [p for p in free if p.arrival >= self.end - hi]
            if not cands and not free:
                return None
            p = rng.choice(cands) if cands else free[-1]
            taken.add(p.index)
            return p

        def reset(p: _Plan, *, fast: bool = False) -> _Plan:
            if p.kind in (Kind.CONSULTATION, Kind.PRAISE, Kind.SUGGESTION) or p.unit is None:
                p.template = rng.choice(dispatchable)
                p.unit = self._route(p.template, p.street)
            p.direct_answer = p.direct_dispatch = False
            p.withdraw = p.return_ = p.extension = None
            p.slow = p.late_ack = p.reject_reply = p.force_reopen = p.unreachable = False
            p.assist, p.assist_later = [], False
            p.fast = fast
            return p

        last = next((p for p in reversed(plans) if p.parent is None), None)
        if last is not None:  # the latest arrival waits for dispatch
            taken.add(last.index)
            reset(last).hold = State.REGISTERED
        d = timedelta(days=1)
        holds = [(State.DISPATCHED, 0.2 * d, 3 * d), (State.RETURN_REVIEW, d, 5 * d), (State.REPLIED, 2 * d, 8 * d),
                 (State.CLOSED, 2 * d, 8 * d), (State.HANDLING, 25 * d, 35 * d)]
        for state, lo, hi in holds:
            p = pick(lo, hi, need_plain=False)
            if p is None:
                continue
            reset(p, fast=state != State.HANDLING).hold = state
            if state == State.RETURN_REVIEW:
                p.return_ = "accepted"
            if state == State.HANDLING:  # overdue, reminded and supervised
                p.slow = True
        old = (30 * d, 80 * d)
        showcase: list[Callable[[_Plan], None]] = [
            lambda p: setattr(p, "return_", "accepted"),
            lambda p: setattr(p, "return_", "refused"),
            lambda p: setattr(p, "extension", "approved"),
            lambda p: setattr(p, "extension", "refused"),
            lambda p: setattr(p, "assist", [self._assisting(p)]),
            lambda p: (setattr(p, "assist", [self._assisting(p)]), setattr(p, "assist_later", True)),
            lambda p: setattr(p, "reject_reply", True),
            lambda p: setattr(p, "slow", True),
            lambda p: setattr(p, "late_ack", True),
            lambda p: setattr(p, "force_reopen", True),
            lambda p: setattr(p, "unreachable", True),
            lambda p: setattr(p, "rate", True),
            lambda p: setattr(p, "withdraw", "handling"),
        ]
        for apply in showcase:
            p = pick(*old)
            if p is not None:
                apply(reset(p))
                if p.rate and not p.phone:
                    p.phone, p.anonymous, p.name = self._phone(), False, _person(rng)
        # One duplicate merged into an open ticket (a slow one: people call again when nothing happens).
        parents = [p for p in plans if p.index not in taken and p.plain and p.parent is None
                   and self.end - old[1] <= p.arrival <= self.end - old[0]]
        rng.shuffle(parents)
        for parent in parents:
            child = next((q for q in plans[parent.index + 1:] if q.arrival - parent.arrival < 3 * d), None)
            if child is None or child.index in taken or child.hold:
                continue
            taken.update((parent.index, child.index))
            reset(parent).slow = True
            reset(child)
            child.parent = parent.index
            child.template, child.district, child.street = parent.template, parent.district, parent.street
            child.community, child.fragment, child.unit = parent.community, parent.fragment, parent.unit
            break
        consults = [t for t in nanjing.REQUEST_TEMPLATES if t["kind"] == "consultation"]
        p = pick(*old)
        if p is not None:
            reset(p)
            p.template, p.channel, p.direct_answer = rng.choice(consults), Channel.PHONE, True
            p.unit = self._route(p.template, p.street)

    # -- registration --

    def _intake(self, p: _Plan, at: datetime) -> TicketCreate:
        rng = self.rng
        tpl = p.template
        place = f"{self.org.district_names[p.district]}{p.fragment}"
        n = rng.randint(1, 120)
        address = place + rng.choice(["", f"{n}号", f"{n}栋", f"{n}号楼", "附近", "路口"])
        needs_where = "{place}" in tpl["what"] or p.kind in (Kind.HELP, Kind.COMPLAINT, Kind.REPORT)
        occurred_at = occurred_desc = None
        if p.kind in (Kind.HELP, Kind.COMPLAINT, Kind.REPORT):
            back = rng.choice([_h(rng.uniform(0.5, 6)), _h(rng.uniform(6, 48)), timedelta(days=rng.randint(3, 30))])
            occurred_at = (at - back).astimezone(CHINA_TZ)
            occurred_desc = ("来电前约" + f"{max(1, round(back / _h(1)))}小时" if back < _h(24)
                             else f"近{max(1, back.days)}天以来" + ("，多次发生" if back.days > 3 else ""))
        jurisdiction = p.community or p.street.node
        dispatch = direct = None
        if p.direct_dispatch and not p.hold:
            assert p.unit is not None
            dispatch = DispatchIn(lead_unit_id=p.unit.id, assisting_unit_ids=self._named_at_dispatch(p))
        if p.direct_answer and p.channel == Channel.PHONE:
            answer, source = self._direct(p)
            direct = DirectAnswerIn(answer=answer, answer_source=source)
        return TicketCreate(
            channel=p.channel, kind=p.kind, category_code=tpl["category"], urgency=p.urgency,
            is_enterprise=tpl["enterprise"], is_complex=bool(p.assist), confidential=p.confidential,
            requester_name=p.name, requester_phone=p.phone, requester_anonymous=p.anonymous,
            requester_org=p.org_name, occurred_at=occurred_at, occurred_desc=occurred_desc,
            address=address if needs_where else None, jurisdiction_code=jurisdiction.code,
            title=p.title or tpl["title"], content=tpl["what"].replace("{place}", place), circumstances=tpl["how"],
            dispatch=dispatch, direct_answer=direct,
        )

    def registrar(self, p: _Plan, at: datetime) -> Actor:
        if p.channel in (Channel.PHONE, Channel.SMS, Channel.MAILBOX):
            return self.operator(at)
        if p.channel == Channel.CHATBOT:
            return Actor.system()
        return Actor.requester(str(p.channel))

    # -- one ticket's life --

    def _life(self, p: _Plan) -> Life:
        rng = self.rng
        snap: _Snap = yield p.arrival, _Register(self, p)
        t = p.arrival
        if p.hold == State.REGISTERED:
            return
        if snap.state == State.REGISTERED:
            if p.withdraw == "registered":
                t = self.hall_time(t, rng.uniform(10, 120))
                yield t, lambda: self._withdraw(p, t)
                return
            if p.parent is not None:
                t = self.hall_time(t, rng.uniform(5, 40))
                merged = yield t, lambda: self._merge(p)
                if merged is not None:
                    return
            if p.urgency == Urgency.NORMAL and not p.fast:
                t = self.hall_time(t, rng.uniform(8, 150))
            else:
                t += _m(rng.uniform(2, 15))
            if p.direct_answer:  # registered online: the desk answers from the knowledge base
                snap = yield t, lambda: self._answer_directly(p)
            else:
                assert p.unit is not None
                note = "紧急件，请立即处置" if p.urgency != Urgency.NORMAL else None
                snap = yield t, lambda: self.act(p, Action.DISPATCH, self.dispatcher(), lead_unit_id=p.unit.id,
                                                 assisting_unit_ids=self._named_at_dispatch(p), note=note)
        round_no = 0
        while True:
            if snap.state == State.CLOSED:
                outcome, snap, t = yield from self._callback(p, snap, t)
                if outcome != "reopened":
                    return
                round_no += 1
            outcome, snap, t = yield from self._round(p, snap, t, round_no, first=round_no == 0)
            if outcome != "closed":
                return

    def _round(self, p: _Plan, snap: _Snap, t: datetime, round_no: int, first: bool) -> Life:
        """One dispatch round at the lead unit: acknowledge … reply, then 12345 closes."""
        rng = self.rng
        if p.hold == State.DISPATCHED:
            return "held", snap, t
        assert snap.lead_unit_id is not None
        lead = snap.lead_unit_id
        handler, manager = self.org.handler[lead], self.org.manager[lead]
        if p.late_ack and first:
            ack_at = self.office(t, rng.uniform(10, 16)) if p.urgency == Urgency.NORMAL else t + _h(rng.uniform(5, 9))
        else:
            ack_at = self.unit_time(p, t, rng.uniform(0.2, 4))
        if snap.ack_due_at is not None and ack_at > snap.ack_due_at + _m(30):
            remind_at = self.hall_time(snap.ack_due_at, rng.uniform(10, 90))
            if t < remind_at < ack_at:
                snap = yield remind_at, lambda: self.act(p, Action.REMIND, self.dispatcher(),
                                                         note="工单已超过签收时限，请尽快签收办理")
        acknowledged = False
        if p.return_ and first:
            if rng.random() < 0.6:
                snap = yield ack_at, lambda: self.act(p, Action.ACKNOWLEDGE, handler)
                t, acknowledged = ack_at, True
            ret_at = t + _h(rng.uniform(0.5, 3)) if p.fast else self.office(t, rng.uniform(0.5, 6))
            if snap.return_due_at is not None and ret_at > snap.return_due_at:
                ret_at = max(t + _m(5), snap.return_due_at - _h(rng.uniform(1, 4)))
            alt = self.alternative(p, lead)
            cat = catalogue()[p.template["category"]].name
            reason = (f"经核实，该诉求涉及{cat}，属{alt.short_name}职责范围，不属于本单位职责，申请退单改派"
                      if p.return_ == "accepted" or rng.random() < 0.5
                      else f"该事项涉及{cat}，本单位无执法权限，建议由{alt.short_name}办理")
            snap = yield ret_at, lambda: self.act(p, Action.RETURN, manager, reason=reason)
            t = ret_at
            if p.hold == State.RETURN_REVIEW:
                return "held", snap, t
            review_at = t + _m(rng.uniform(20, 90)) if p.fast else self.hall_time(t, rng.uniform(30, 300))
            reviewer = self.centre_reviewer()
            if p.return_ == "accepted":
                snap = yield review_at, lambda: self.act(p, Action.REASSIGN, reviewer, lead_unit_id=alt.id,
                                                         reason=f"退单理由成立，改派{alt.short_name}办理")
                return (yield from self._round(p, snap, review_at, round_no, first=False))
            snap = yield review_at, lambda: self.act(
                p, Action.REFUSE_RETURN, reviewer,
                reason="经审核，该事项属于贵单位权责清单范围，退单理由不成立，请继续办理")
            t, acknowledged = review_at, True
        if not acknowledged:
            snap = yield ack_at, lambda: self.act(p, Action.ACKNOWLEDGE, handler)
            t = ack_at
        if p.withdraw == "handling" and first:
            at = t + _h(rng.uniform(2, 72))
            yield at, lambda: self._withdraw(p, at)
            return "terminal", snap, at

        # Plan the rest of the round, then play it in time order.
        assert snap.due_at is not None and snap.dispatched_at is not None
        due, start = snap.due_at, snap.dispatched_at
        span = due - start
        slow = p.slow and round_no == 0
        if p.fast:
            reply_at = t + _h(rng.uniform(1, 5))
        elif slow:
            reply_at = self.next_office(start + span * rng.uniform(1.05, 1.7))
        else:
            target = start + span * rng.uniform(0.08, 0.75)
            reply_at = self.next_office(target) if p.urgency == Urgency.NORMAL else target
            if reply_at > due:
                reply_at = due - _h(rng.uniform(0.5, 3))
        reply_at = max(reply_at, t + _m(rng.uniform(20, 90)))
        steps: list[tuple[datetime, Callable[[], Any]]] = []
        if p.extension and first and not p.fast:
            req_at = max(self.next_office(start + span * rng.uniform(0.4, 0.65)), t + _m(30))
            cap = self.rt.policy.extension_cap_working_days - snap.extension_days_used
            days = min(cap, rng.choice([3, 5, 5, 7, 10]))
            try:
                new_due = add_working_days(due, days) if days > 0 else None
            except CalendarRangeError:
                new_due = None  # the calendar does not reach that far: no extension this time
            if new_due is not None and req_at < due - _h(1):
                review_at = self.hall_time(req_at, rng.uniform(60, 480))
                steps.append((req_at, lambda: self.act(p, Action.REQUEST_EXTENSION, manager, days=days,
                                                       reason=f"需协调相关部门现场会商，申请延期{days}个工作日")))
                reviewer = self.centre_reviewer()
                if p.extension == "approved":
                    steps.append((review_at, lambda: self.act(p, Action.APPROVE_EXTENSION, reviewer,
                                                              note="情况属实，同意延期")))
                    reply_at = self.next_office(review_at + (new_due - review_at) * rng.uniform(0.2, 0.8))
                    if reply_at > new_due:
                        reply_at = new_due - _h(rng.uniform(0.5, 3))
                else:
                    steps.append((review_at, lambda: self.act(p, Action.REFUSE_EXTENSION, reviewer,
                                                              reason="延期理由不充分，请在原时限内办结")))
                    if rng.random() < 0.5:
                        reply_at = self.next_office(due + _h(rng.uniform(2, 48)))
                reply_at = max(reply_at, review_at + _m(rng.uniform(30, 120)))
                due = new_due if p.extension == "approved" else due
        if reply_at > due - _h(12):
            at = self.hall_time(max(t + _m(10), due - _h(rng.uniform(4, 30))), 0)
            if at < reply_at - _m(10):
                steps.append((at, lambda: self.act(p, Action.REMIND, self.dispatcher(),
                                                   note="该工单即将到期，请抓紧办理并按时答复")))
        if reply_at > due + _h(24):
            at = max(self.office(due, rng.uniform(1, 9)), t + _m(10))
            if at < reply_at - _m(10):
                supervisor = self.hall["supervisor1"]
                steps.append((at, lambda: self.act(p, Action.SUPERVISE, supervisor,
                                                   note="工单已超期未办结，现予督办，请于2个工作日内办结并报送情况说明")))
        if p.assist and first:
            joined = t
            if p.assist_later:  # the lead unit finds it needs help: the centre adds the assisting unit
                joined = max(self.hall_time(t, rng.uniform(20, 300)), t + _m(10))
                if joined >= reply_at - _m(30):
                    joined = t + (reply_at - t) / 3
                names = "、".join(u.short_name for u in p.assist)
                steps.append((joined, lambda: self.act(
                    p, Action.ADJUST_ASSISTING, self.dispatcher(), assisting_unit_ids=[u.id for u in p.assist],
                    reason=f"主办单位反映该事项涉及{names}职责，增加{names}协办")))
            for unit in p.assist:
                a_ack = max(self.unit_time(p, start, rng.uniform(0.3, 6)), joined + _m(5))
                if a_ack >= reply_at - _m(15):
                    continue
                a_handler = self.org.handler[unit.id]
                steps.append((a_ack, lambda h=a_handler: self.act(p, Action.ASSIST_ACKNOWLEDGE, h)))
                a_rep = self.next_office(a_ack + (reply_at - a_ack) * rng.uniform(0.3, 0.8))
                if a_rep < reply_at - _m(15):
                    steps.append((a_rep, lambda h=a_handler, u=unit: self.act(
                        p, Action.ASSIST_REPLY, h,
                        content=f"{u.short_name}已配合现场核查，相关情况已反馈主办单位，将按职责做好后续工作")))
        steps.sort(key=lambda s: s[0])
        for at, op in steps:
            snap = yield at, op
        if p.hold == State.HANDLING:
            return "held", snap, t
        content = rng.choice(_REPLIES[p.kind])
        # Where an assisting unit's opinion is still out, the lead answers first and says why.
        early = "协办单位未在约定时间内反馈协办意见，为不影响办理时限，主办单位先行答复" if p.assist else None
        snap = yield reply_at, lambda: self.act(p, Action.REPLY, handler, content=content, reason=early)
        t = reply_at
        if p.reject_reply and first:
            reject_at = self.hall_time(t, rng.uniform(60, 480))
            snap = yield reject_at, lambda: self.act(p, Action.REJECT_REPLY, self.dispatcher(),
                                                     reason=rng.choice(_REJECT_REASONS))
            t = self.unit_time(p, reject_at, rng.uniform(3, 14))
            supplement = rng.choice(_SUPPLEMENTS)
            # 答复退回 gives the assisting units their task back: the redo answers first again, saying why.
            snap = yield t, lambda: self.act(p, Action.REPLY, handler, content=supplement, reason=early)
        if p.hold == State.REPLIED:
            return "held", snap, t
        t = t + _h(rng.uniform(0.2, 2)) if p.fast else self.hall_time(t, rng.uniform(30, 1200))
        snap = yield t, lambda: self.act(p, Action.CLOSE, self.dispatcher())
        return "closed", snap, t

    def _callback(self, p: _Plan, snap: _Snap, t: datetime) -> Life:
        """12345 calls the requester back: finished, or reopened when unsolved or unsatisfied."""
        rng = self.rng
        if p.hold == State.CLOSED:
            return "held", snap, t
        at = t + _h(rng.uniform(0.5, 3)) if p.fast else self.callback_time(t, rng.uniform(2, 40))
        if p.unreachable:
            return (yield from self._unreachable(p, at))
        if snap.lead_unit_id is None:
            unhappy_p = 0.05
        elif snap.reopen_count:
            unhappy_p = 0.08
        else:
            unhappy_p = 0.3 if p.slow else 0.12
        unhappy = (p.force_reopen and snap.reopen_count == 0) or rng.random() < unhappy_p
        agent = self.hall["callback1"]
        if unhappy:
            solved = rng.random() < 0.3
            satisfaction = Satisfaction.UNSATISFIED if solved else rng.choice(
                [Satisfaction.UNSATISFIED, Satisfaction.VERY_UNSATISFIED])
            note = rng.choice(_UNHAPPY_NOTES)
            if snap.reopen_count < self.rt.policy.max_reopens:
                actor = self.hall["supervisor1"] if rng.random() < 0.1 else agent
                lead = None if snap.lead_unit_id else (p.unit.id if p.unit else None)
                snap = yield at, lambda: self.act(p, Action.REOPEN, actor, solved=solved, satisfaction=satisfaction,
                                                  note=note, lead_unit_id=lead)
                return "reopened", snap, at
            snap = yield at, lambda: self.act(p, Action.CALLBACK, agent, solved=solved, satisfaction=satisfaction,
                                              note=f"{note}；重办次数已达上限，如实记录")
        else:
            satisfaction = rng.choices([Satisfaction.VERY_SATISFIED, Satisfaction.SATISFIED,
                                        Satisfaction.BASICALLY_SATISFIED], weights=[45, 40, 15])[0]
            snap = yield at, lambda: self.act(p, Action.CALLBACK, agent, solved=True, satisfaction=satisfaction,
                                              note=rng.choice(_HAPPY_NOTES))
        if p.rate and p.phone:
            rate_at = at + _h(rng.uniform(1, 72))
            happy = not unhappy
            rating = (rng.choice([Satisfaction.VERY_SATISFIED, Satisfaction.SATISFIED]) if happy
                      else rng.choice([Satisfaction.UNSATISFIED, Satisfaction.VERY_UNSATISFIED]))
            comment = rng.choice(_COMMENTS[happy])
            snap = yield rate_at, lambda: self.public(p, Action.RATE, satisfaction=rating, comment=comment)
        return "finished", snap, at

    def _unreachable(self, p: _Plan, at: datetime) -> Life:
        """Nobody answers: calls on two days until the policy's rule finishes the ticket as 无法联系."""
        agent, snap = self.hall["callback1"], None
        for i in range(self.rt.policy.callback_unreachable.attempts + 3):
            note = _NO_ANSWER_NOTES[i % len(_NO_ANSWER_NOTES)]
            snap = yield at, lambda note=note: self.act(p, Action.CALLBACK_NO_ANSWER, agent, note=note)
            if snap.state != State.CLOSED:
                break
            at = self.callback_time(at, 3 if i % 2 == 0 else 20)  # later that day, then the next day
        return "finished", snap, at

    def _answer_directly(self, p: _Plan) -> _Snap:
        answer, source = self._direct(p)
        snap = self.act(p, Action.ANSWER_DIRECTLY, self.dispatcher(), answer=answer, answer_source=source)
        self._count_use(p)
        return snap

    def _direct(self, p: _Plan) -> tuple[str, str]:
        """A direct answer now: the topic's article in force, cited as the hall cites it; else the rule."""
        cited = self.kb.cite(p.template["title"]) if self.kb else None
        if cited is None:
            return _answer_source(p.template)
        p.cited, answer, source = cited
        return answer, source

    def _count_use(self, p: _Plan) -> None:
        if p.cited is not None and self.kb:
            self.kb.used(p.cited)  # as the hall does once the answered ticket is saved

    def _merge(self, p: _Plan) -> _Snap | None:
        assert p.parent is not None
        parent = self.plans[p.parent]
        if parent.tid is None or self.state_of.get(parent.tid) not in _MERGEABLE_PARENT:
            return None
        return self.act(p, Action.MERGE, self.dispatcher(), parent_id=parent.tid,
                        note=f"与工单{parent.number}反映同一事项，并单处理")

    def _withdraw(self, p: _Plan, at: datetime) -> _Snap:
        reason = self.rng.choice(_WITHDRAW_REASONS)
        if p.phone and self.rng.random() < 0.6:
            return self.public(p, Action.WITHDRAW, reason=reason.replace("诉求人来电表示", "本人"))
        return self.act(p, Action.WITHDRAW, self.operator(at), reason=reason)


class _Register:
    """The first step of a ticket's life: registration (sometimes with a direct answer or dispatch)."""

    def __init__(self, sim: _Simulation, plan: _Plan) -> None:
        self.sim, self.plan = sim, plan

    def __call__(self) -> _Snap:
        sim, p = self.sim, self.plan
        at = sim.clock.now()
        actor = sim.registrar(p, at)
        if actor.role != Role.OPERATOR:
            p.direct_dispatch = False
        if p.direct_answer and sim.kb:
            p.title = sim.kb.wording(p.template["title"])
        data = sim._intake(p, at)
        try:
            ticket, _ = ticket_service.register(sim.db, sim.rt, actor=actor, data=data)
        except DomainError as exc:
            raise DemoDriverError(f"register #{p.index} ({p.template['title']}): {exc.code} {exc.message}") from exc
        p.tid, p.number = ticket.id, ticket.number
        snap = _Snap.of(ticket)
        sim.state_of[snap.id] = snap.state
        sim.actions[Action.REGISTER] += 1
        if data.direct_answer:
            sim.actions[Action.ANSWER_DIRECTLY] += 1
            sim._count_use(p)
        if data.dispatch:
            sim.actions[Action.DISPATCH] += 1
        return snap


# ---- the report -----------------------------------------------------------------------------


def _print_summary(db: Session, rt: Runtime, end: datetime, sim: _Simulation, console: Console) -> None:
    counts = dict(db.execute(select(Ticket.state, func.count()).group_by(Ticket.state)).all())
    table = Table(title="工单状态分布")
    table.add_column("状态")
    table.add_column("代码")
    table.add_column("数量", justify="right")
    for state in State:
        table.add_row(STATE_LABELS[state], str(state), str(counts.get(state, 0)))
    table.add_row("合计", "", str(sum(counts.values())))
    console.print(table)
    open_states = [str(State.DISPATCHED), str(State.HANDLING)]
    overdue = db.execute(select(func.count()).where(Ticket.state.in_(open_states), Ticket.due_at < end)).scalar_one()
    soon = db.execute(select(func.count()).where(
        Ticket.state.in_(open_states), Ticket.due_at >= end,
        Ticket.due_at <= end + _h(rt.policy.warn_before_hours))).scalar_one()
    console.print(f"截至模拟结束：已超期 {overdue} 张，{rt.policy.warn_before_hours:g} 小时内到期 {soon} 张")
    events = dict(db.execute(select(TicketEvent.action, func.count()).group_by(TicketEvent.action)).all())
    console.print("办理动作：" + "，".join(f"{ACTION_LABELS[a]} {events.get(a, 0)}" for a in Action))
