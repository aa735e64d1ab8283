"""The demo builder: a small Nanjing on its own SQLite file, built through the real services.

The shared test database already holds the factories' organisation, so the demo gets a fresh file.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine

from hotline.app import create_app
from hotline.clock import FixedClock, to_local
from hotline.config import Settings
from hotline.db import make_engine, make_session_factory
from hotline.demo import linkage as demo_linkage
from hotline.demo.builder import DEMO_PASSWORD, DemoRefused, build_demo
from hotline.knowledge import gaps, maintenance
from hotline.knowledge import service as kb_service
from hotline.knowledge.enums import PUBLIC_AUDIENCES, ArticleStatus, Audience, ReportStatus
from hotline.knowledge.models import Article, ArticleReport, ArticleVersion
from hotline.knowledge.reading import CITATION_PREFIX
from hotline.migrate import upgrade
from hotline.org import service as org_service
from hotline.org.models import Jurisdiction, JurisdictionLevel, Unit, User
from hotline.runtime import Runtime
from hotline.security.roles import LOGIN_ROLES
from hotline.tickets.enums import Action, State
from hotline.tickets.models import Ticket, TicketEvent

TICKETS = 150


def _quiet() -> Console:
    return Console(file=io.StringIO(), width=120)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, list[tuple[str, str]], Engine]]:
    # Named `demo`, not `engine`: the shared fixtures clean their own database after each test.
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    settings = Settings(database_url=f"sqlite:///{path}", environment="test")
    logins = build_demo(settings, tickets=TICKETS, seed=7, console=_quiet())
    demo_engine = make_engine(settings)
    yield settings, logins, demo_engine
    demo_engine.dispose()


def test_every_state_is_present(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        counts = dict(db.execute(select(Ticket.state, func.count()).group_by(Ticket.state)).all())
    assert sum(counts.values()) == TICKETS + demo_linkage.EXTRA  # the 联动转办 requests besides the simulation's
    assert {State(s) for s in counts} == set(State), counts
    # Old tickets are mostly finished.
    assert counts[State.FINISHED] > TICKETS / 2


def test_every_step_of_the_loop_is_shown(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        actions = set(db.execute(select(TicketEvent.action).distinct()).scalars())
        sources = db.execute(select(Ticket.answer_source).where(Ticket.answer_source.is_not(None))).scalars().all()
        phones = db.execute(select(func.count()).select_from(
            select(Ticket.requester_phone).where(Ticket.requester_phone.is_not(None))
            .group_by(Ticket.requester_phone).having(func.count() > 1).subquery())).scalar_one()
    assert {Action(a) for a in actions} == set(Action)
    assert sources and all(s.strip() for s in sources)
    assert phones > 0  # repeat callers: the intake screen's "earlier tickets" has content


def test_every_role_has_a_login_that_works(demo) -> None:  # type: ignore[no-untyped-def]
    _, logins, demo_engine = demo
    now = datetime.now(UTC)
    roles = set()
    with make_session_factory(demo_engine)() as db:
        for username, label in logins:
            assert label
            user = org_service.authenticate(db, username=username, password=DEMO_PASSWORD, now=now)
            roles.add(user.role)
        fcj = db.execute(select(User).where(User.username == "fcj_handler")).unique().scalar_one()
        assert fcj.unit is not None and fcj.unit.code == "fcj"
    assert roles == set(LOGIN_ROLES)


def test_machine_accounts_of_the_demo(demo) -> None:  # type: ignore[no-untyped-def]
    """The PBX adapter, the city app and the big-data bureau's feed, created by the administrator; the
    adapter's key has been used; the feed reads the whole city."""
    from hotline.org import machines

    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        admin = db.execute(select(User).where(User.username == "admin")).unique().scalar_one()
        end = db.execute(select(func.max(Ticket.created_at))).scalar_one()
        rows, total = machines.list_accounts(db, actor=org_service.actor_for(admin), now=end)
    by_name = {r.user.username: r for r in rows}
    assert total == 4 and set(by_name) == {"pbx-adapter", "city-app", "bigdata-feed", "fcj-system"}
    assert all(r.active_keys == 1 and r.state == "active" for r in rows)
    assert machines.scope_of(by_name["bigdata-feed"].user) == "全市"
    assert machines.scope_of(by_name["fcj-system"].user) == "本单位：南京市住房保障和房产局"
    assert by_name["pbx-adapter"].last_used_at is not None and by_name["city-app"].last_used_at is None
    assert by_name["fcj-system"].last_used_at is not None


def test_the_housing_bureaus_system_acted_on_its_tickets(demo) -> None:  # type: ignore[no-untyped-def]
    """部门业务系统: the bureau's system signed some of its tickets' steps, and the centre's answers to them
    (驳回退单, 答复退回) are there with their reasons, for it to read back."""
    from hotline.demo import unit_system

    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        events = list(db.execute(select(TicketEvent).order_by(TicketEvent.id)).unique().scalars())
    by_system = [e for e in events if e.actor_role == "unit_system"]
    assert by_system and {e.actor_name for e in by_system} == {"市房产局业务系统（市房产局）"}
    acted = {e.ticket_id for e in by_system}
    answers = {(e.action, e.note) for e in events if e.ticket_id in acted and e.actor_role == "dispatcher"}
    assert {("refuse_return", unit_system.REFUSAL), ("reject_reply", unit_system.SENT_BACK)} & answers


def test_texts_wait_on_the_sms_page_of_the_demo(demo) -> None:  # type: ignore[no-untyped-def]
    """短信受理 has something to show: a run of three texts from one number, a single one, an advertisement."""
    from hotline.sms import service as sms

    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        operator = db.execute(select(User).where(User.username == "operator1")).unique().scalar_one()
        groups, senders = sms.waiting(db, actor=org_service.actor_for(operator))
        assert sms.counts(db) == (5, 3) and senders == 3
        assert [len(g.texts) for g in groups] == [3, 1, 1]


def test_the_demo_city_has_an_expert_rota(demo) -> None:  # type: ignore[no-untyped-def]
    """专家座席值班: Nanjing's expert lines and the tobacco business zone have people on the rota, so the
    hall's specialist transfer targets show staffed and unstaffed lines."""
    from hotline.hotlines import roster

    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        admin = db.execute(select(User).where(User.username == "admin")).unique().scalar_one()
        rota = {line.number: [e.name for e in people]
                for line, people in roster.city_roster(db, actor=org_service.actor_for(admin), city="南京市")}
    assert set(rota) == {"12316", "12320", "12329", "12333", "12348", "12393", "12313"}
    assert all(rota.values()) and sum(len(v) for v in rota.values()) == 10


def test_the_demo_has_oversight_records_and_a_published_month(demo) -> None:  # type: ignore[no-untyped-def]
    """差评核实, 通报 / 问责移送 and 数据公开 show records on a fresh demo, made through the services."""
    from hotline.ratings.enums import BAD
    from hotline.ratings.models import RatingFollowup
    from hotline.reports.models import PublishedFigures
    from hotline.supervision.models import Meeting

    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        kinds = set(db.execute(select(Meeting.kind)).scalars())
        followups = db.execute(select(func.count()).select_from(RatingFollowup)).scalar_one()
        bad = db.execute(select(func.count()).where(Ticket.public_rating.in_(BAD))).scalar_one()
        months = list(db.execute(select(PublishedFigures.period).where(PublishedFigures.unpublished_at.is_(None)))
                      .scalars())
    assert {"circular", "referral"} <= kinds
    assert followups == min(6, bad)  # some of the 差评 followed up (a 150-ticket demo may have none)
    assert len(months) == 1 and re.fullmatch(r"\d{4}-\d{2}", months[0])


def test_conversations_wait_on_the_wechat_page_of_the_demo(demo) -> None:  # type: ignore[no-untyped-def]
    """微信受理 has something to show: two followers who asked for a person, one greeting answered alone."""
    from hotline.wechat import service as wechat

    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        operator = db.execute(select(User).where(User.username == "operator1")).unique().scalar_one()
        groups, followers = wechat.waiting(db, actor=org_service.actor_for(operator))
        assert wechat.counts(db) == (5, 2) and followers == 2
        assert [len(g.messages) for g in groups] == [3, 2]


def test_history_is_consistent(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        states = dict(db.execute(select(Ticket.id, Ticket.state)).all())
        events: dict[int, list[TicketEvent]] = {}
        for event in db.execute(select(TicketEvent).order_by(TicketEvent.id)).unique().scalars():
            events.setdefault(event.ticket_id, []).append(event)
    assert set(events) == set(states)
    for ticket_id, history in events.items():
        assert history[0].action == Action.REGISTER
        assert history[-1].to_state == states[ticket_id]
        assert all(a.at <= b.at for a, b in zip(history, history[1:], strict=False))
        for before, after in zip(history, history[1:], strict=False):
            assert after.from_state == before.to_state


def test_rerun_without_reset_keeps_the_demo(demo) -> None:  # type: ignore[no-untyped-def]
    settings, logins, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        before = (db.execute(select(func.count(Ticket.id))).scalar_one(),
                  db.execute(select(func.count(User.id))).scalar_one(),
                  db.execute(select(func.count(Unit.id))).scalar_one())
    started = time.perf_counter()
    again = build_demo(settings, tickets=TICKETS, seed=7, console=_quiet())
    assert time.perf_counter() - started < 5
    assert again == logins
    with make_session_factory(demo_engine)() as db:
        after = (db.execute(select(func.count(Ticket.id))).scalar_one(),
                 db.execute(select(func.count(User.id))).scalar_one(),
                 db.execute(select(func.count(Unit.id))).scalar_one())
    assert after == before


def test_refuses_a_database_that_is_not_the_demo(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/other.db", environment="test")
    other = make_engine(settings)
    upgrade(other)
    with make_session_factory(other)() as db:
        org_service.add_jurisdiction(db, code="110000", name="北京市", level=JurisdictionLevel.PROVINCE, parent=None)
        db.commit()
    with pytest.raises(DemoRefused):
        build_demo(settings, tickets=10, console=_quiet())
    with make_session_factory(other)() as db:
        assert db.execute(select(func.count(Jurisdiction.id))).scalar_one() == 1
    other.dispose()


# ---- the knowledge base ---------------------------------------------------------------------


def _demo_end(db) -> datetime:  # type: ignore[no-untyped-def]
    """The simulated "now": the demo's clock stops at its last event."""
    last = db.execute(select(func.max(TicketEvent.at))).scalar_one()
    return last if last.tzinfo else last.replace(tzinfo=UTC)


def test_knowledge_base_shows_every_state(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        articles = db.execute(select(Article)).scalars().all()
        reports = db.execute(select(ArticleReport)).scalars().all()
        end = _demo_end(db)
    statuses = {ArticleStatus(a.status) for a in articles}
    assert 40 <= len(articles) <= 60
    assert statuses == set(ArticleStatus), statuses
    published = [a for a in articles if a.published_version_id is not None]
    assert {Audience(a.audience) for a in published} == set(Audience)
    assert sum(a.audience == Audience.PUBLIC for a in published) >= 25
    assert any(a.version_count >= 3 for a in published) and sum(a.version_count == 2 for a in published) >= 5
    expired = [a for a in articles if a.status == ArticleStatus.EXPIRED]
    assert expired and all(a.published_version_id is None and a.expires_at is not None for a in expired)
    expiring = [a for a in published if a.expires_at is not None]
    assert expiring and all(_aware(a.expires_at) - end < timedelta(days=30) for a in expiring)
    assert {ReportStatus(r.status) for r in reports} == set(ReportStatus)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_the_public_finds_an_answer(demo) -> None:  # type: ignore[no-untyped-def]
    settings, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        rt = Runtime.from_settings(settings, FixedClock(_demo_end(db)))
        filters = kb_service.search_filters(db, rt, audiences=PUBLIC_AUDIENCES)
        reply = kb_service.ask(db, query="租房住的话公积金怎么取出来", filters=filters)
        assert reply.kind == "answer" and reply.hit is not None and "公积金" in reply.hit.title
        assert kb_service.ask(db, query="航班延误了航空公司不赔偿找谁投诉", filters=filters).abstained


def test_direct_answers_cite_article_versions(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        sources = db.execute(select(Ticket.answer_source, Ticket.created_at)
                             .where(Ticket.answer_source.is_not(None))).all()
        cited = [(s, at) for s, at in sources if s.startswith(CITATION_PREFIX)]
        assert cited, sources
        assert len(cited) < len(sources)  # praise and suggestions keep the intake rule as their source
        for source, at in cited:
            match = re.match(rf"^{CITATION_PREFIX}(\S+) 第(\d+)版《(.+)》$", source)
            assert match, source
            article = db.execute(select(Article).where(Article.key == match.group(1))).scalar_one()
            version = db.execute(select(ArticleVersion).where(
                ArticleVersion.article_id == article.id, ArticleVersion.number == int(match.group(2)))).scalar_one()
            assert version.title == match.group(3)
            assert version.reviewed_at is not None and _aware(version.reviewed_at) <= _aware(at)  # published first
        assert db.execute(select(func.sum(Article.use_count))).scalar_one() == len(cited)


def test_maintenance_report_and_gap_list_have_data(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        now = _demo_end(db)
        editor = org_service.actor_for(db.execute(select(User).where(User.username == "editor1")).unique()
                                       .scalar_one())
        who = kb_service.who(db, editor)
        period = maintenance.make_period(now=now, start=to_local(now).date() - timedelta(days=89))
        report = maintenance.unit_report(db, who=who, period=period, now=now)
        assert len(report.units) > 10
        totals = report.totals
        assert totals.versions_approved > 0 and totals.answers > 0 and totals.reports_open > 0
        assert totals.withdrawn == 1 and totals.returned == 1
        rows, total = gaps.list_gaps(db, who=who, filters=gaps.GapFilters())
        assert total >= 10 and rows[0].asked > 1
        assert len({r.channel for r in rows}) > 1


def test_knowledge_pages_show_the_demo(demo) -> None:  # type: ignore[no-untyped-def]
    settings, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        now = _demo_end(db)
        public = db.execute(select(Article.key, Article.title).where(Article.published_version_id.is_not(None),
                                                                    Article.audience == Audience.PUBLIC)
                            .order_by(Article.id)).all()
    app = create_app(settings, engine=demo_engine, clock=FixedClock(now))
    with TestClient(app) as client:
        home = client.get("/public/kb").text  # the most used public answers (which, depends on the demo's days)
        assert any(title in home for _, title in public)
        key, title = public[0]
        assert title in client.get(f"/public/kb/{key}").text
        login = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert token
        r = client.post("/login", data={"username": "editor1", "password": DEMO_PASSWORD,
                                        "csrf_token": token.group(1)}, follow_redirects=False)
        assert r.status_code == 303
        for url in ("/kb", "/kb/articles", "/kb/review", "/kb/reports", "/kb/maintenance", "/kb/gaps/phrasings"):
            assert client.get(url).status_code == 200, url
        assert "宠物狗办证在哪里办" in client.get("/kb/gaps").text


def test_the_demo_trains_its_dispatch_models_beside_its_database(demo) -> None:  # type: ignore[no-untyped-def]
    from hotline.demo import models as demo_models
    from hotline.dispatch import store
    from hotline.dispatch.suggest import predict_kind

    settings, _, _ = demo
    folder = demo_models.models_dir(settings)
    assert folder == Path(make_engine(settings).url.database).with_name("demo-models")
    made = demo_models.paths(settings)
    assert "kind" in made  # 150 tickets: too few closed per category, enough per kind
    _model, meta = store.load(made["kind"])
    assert meta["label_kind"] == "kind" and set(meta["labels"]) <= {"complaint", "consultation", "help",
                                                                       "report", "suggestion", "praise"}
    rt = Runtime.from_settings(settings.model_copy(update={"kind_model": made["kind"]}))
    guess = predict_kind(rt, "咨询公积金怎么提取", "请问住房公积金提取需要哪些材料")
    assert guess is not None and guess.code in meta["labels"] and 0 < guess.confidence <= 1
    # The suggestion proposes a kind only while none is known.
    from hotline.dispatch import suggest
    from hotline.security.actor import Actor

    db = make_session_factory(make_engine(settings))()
    try:
        # (the same text as the guess above: a model trained on a small demo may read two texts apart)
        s = suggest.suggest(db, rt, actor=Actor.system(), title="咨询公积金怎么提取",
                            content="请问住房公积金提取需要哪些材料")
        assert suggest.as_dict(db, s)["kind"]["code"] == guess.code
        s = suggest.suggest(db, rt, actor=Actor.system(), title="咨询公积金怎么提取", content="需要哪些材料",
                            kind="consultation")
        assert suggest.as_dict(db, s)["kind"] is None
    finally:
        db.close()


def test_an_interrupted_build_is_built_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C after the organisation was written left a half city that passed for a demo ever after."""
    from hotline.calls import loading

    settings = Settings(database_url=f"sqlite:///{tmp_path}/half.db", environment="test")

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(loading, "load_demo", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_demo(settings, tickets=20, seed=3, console=_quiet())
    monkeypatch.undo()
    out = io.StringIO()
    build_demo(settings, tickets=20, seed=3, console=Console(file=out, width=120))
    assert "上次生成演示数据未完成" in out.getvalue() and "已生成 20 张工单" in out.getvalue()
    engine = make_engine(settings)
    with make_session_factory(engine)() as db:
        assert db.execute(select(func.count(Ticket.id))).scalar_one() == 20 + demo_linkage.EXTRA
    engine.dispose()
    # Finished now: a third run keeps it.
    out = io.StringIO()
    build_demo(settings, tickets=20, seed=3, console=Console(file=out, width=120))
    assert "演示数据已存在" in out.getvalue()


def test_a_demo_without_the_start_marker_is_never_wiped(tmp_path: Path) -> None:
    """A demo built before the markers existed (or anyone's database with a `center` unit and an
    `admin` user) was wiped as 'interrupted' because it lacked the end marker."""
    from hotline.security.models import AuditEntry

    settings = Settings(database_url=f"sqlite:///{tmp_path}/old.db", environment="test")
    build_demo(settings, tickets=20, seed=3, console=_quiet())
    engine = make_engine(settings)
    with make_session_factory(engine)() as db:
        db.execute(delete(AuditEntry).where(AuditEntry.action.in_(["demo_started", "demo_built"])))
        db.commit()
    out = io.StringIO()
    build_demo(settings, tickets=20, seed=3, console=Console(file=out, width=120))
    assert "演示数据已存在" in out.getvalue() and "未完成" not in out.getvalue()
    with make_session_factory(engine)() as db:
        assert db.execute(select(func.count(Ticket.id))).scalar_one() == 20 + demo_linkage.EXTRA
    engine.dispose()


def test_the_demo_catalogue_sends_local_matters_to_the_place(demo) -> None:  # type: ignore[no-untyped-def]
    """QA: 广场舞 noise went to the city's environment bureau; local matters go to the street office
    (属地), other matters to their department, and a place known only to its district to the district."""
    from hotline.dispatch import catalogue
    from hotline.dispatch.models import DispatchRule
    from hotline.org.models import Jurisdiction, Unit

    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        def lead(category: str | None, place: str) -> str:
            path = db.execute(select(Jurisdiction.path).where(Jurisdiction.name == place)).scalar_one()
            decision = catalogue.decide(db, category_code=category, jurisdiction_path=path, kind="complaint")
            assert decision is not None, (category, place)
            rule = db.get(DispatchRule, decision.chosen.rule_id)
            return db.get(Unit, rule.lead_unit_id).name

        assert lead("020302", "新街口街道") == "玄武区新街口街道办事处"  # 社会生活噪声: the street
        assert lead("020202", "新街口街道") == "南京市生态环境局"  # 水污染: the department
        assert lead(None, "玄武区") == "南京市玄武区人民政府"


def test_jiangbei_new_area_takes_its_streets_and_their_tickets(demo) -> None:  # type: ignore[no-untyped-def]
    """江北新区 administers seven streets directly (直管区): they lie under it and under neither 浦口区 nor
    六合区; its 管委会 and street offices handle tickets placed there, and the place reader knows them."""
    from hotline.dispatch import catalogue
    from hotline.dispatch.models import DispatchRule
    from hotline.dispatch.place import guess_place

    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        area = db.execute(select(Jurisdiction).where(Jurisdiction.name == "江北新区")).unique().scalar_one()
        assert area.level == JurisdictionLevel.DISTRICT
        streets = db.execute(select(Jurisdiction.name).where(Jurisdiction.parent_id == area.id)).scalars().all()
        assert set(streets) == {"泰山街道", "顶山街道", "沿江街道", "盘城街道", "大厂街道", "葛塘街道", "长芦街道"}
        named = db.execute(select(Jurisdiction.name, func.count()).where(Jurisdiction.name.in_(streets))
                           .group_by(Jurisdiction.name)).all()
        assert all(n == 1 for _, n in named)  # listed once: not also under 浦口区 or 六合区
        units = db.execute(select(Unit).join(Jurisdiction, Unit.jurisdiction_id == Jurisdiction.id)
                           .where(Jurisdiction.path.startswith(area.path))).unique().scalars().all()
        assert "南京江北新区管理委员会" in {u.name for u in units} and len(units) == 1 + len(streets)
        placed = db.execute(select(Ticket.lead_unit_id).where(Ticket.jurisdiction_path.startswith(area.path))).all()
        assert placed and any(lead in {u.id for u in units} for lead, in placed)  # some handled where they are

        guess = guess_place(db, address="江北新区大厂街道新华路", text=None)
        assert guess is not None and guess.place.name == "大厂街道" and guess.place.path.startswith(area.path)

        def lead(category: str | None, place: str) -> str:
            path = db.execute(select(Jurisdiction.path).where(Jurisdiction.name == place)).scalar_one()
            decision = catalogue.decide(db, category_code=category, jurisdiction_path=path, kind="complaint")
            assert decision is not None, (category, place)
            return db.get(Unit, db.get(DispatchRule, decision.chosen.rule_id).lead_unit_id).name

        assert lead("020302", "泰山街道") == "江北新区泰山街道办事处"  # 社会生活噪声: the street
        assert lead(None, "江北新区") == "南京江北新区管理委员会"


def test_the_access_review_has_a_week_of_reads(demo) -> None:  # type: ignore[no-untyped-def]
    """个人信息访问审查 has something to review: the staff who acted on tickets read them, and one unit
    handler read their unit's tickets late one night."""
    from hotline.security import access_review
    from hotline.security.actor import Actor
    from hotline.security.roles import DataScope, Role

    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        now = db.execute(select(func.max(TicketEvent.at))).scalar_one()
        result = access_review.review(db, actor=Actor(role=Role.ADMIN, name="t", data_scope=DataScope.ALL),
                                      period=access_review.make_period(now=now))
    roles = {a.role for a in result.accounts}
    assert {"operator", "dispatcher", "unit_handler"} <= roles and len(result.accounts) >= 10
    night = max((a for a in result.accounts if a.role == "unit_handler"), key=lambda a: a.off_hours)
    assert night.off_hours >= 5 and night.off_hours > 2 * sorted(
        a.off_hours for a in result.accounts if a.role == "unit_handler")[-2]
