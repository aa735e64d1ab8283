"""The maintenance report (知识维护报告): figures per owning unit on a scenario whose counts are known,
the per-article drill-down, and who may see which units."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from hotline.clock import FixedClock
from hotline.errors import DomainError, Forbidden
from hotline.knowledge import maintenance, reading, service
from hotline.knowledge.models import Article, ArticleVersion
from hotline.knowledge.schemas import ArticleCreate, ArticleIn
from hotline.runtime import Runtime
from hotline.tickets import service as tickets
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import TicketCreate
from tests.conftest import START
from tests.factories import Org, intake
from tests.knowledge.conftest import article_data

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Scenario:
    keys: dict[str, str]  # name -> article key


def _at(clock: FixedClock, when: timedelta) -> None:
    clock.set(START + when)


def _answer(db: Session, rt: Runtime, org: Org, source: str, *, legacy: bool = False) -> None:
    """A consultation answered directly at intake, citing `source`; `legacy`: a source written
    before typed citations were checked, put on the ticket as it was then stored."""
    data = TicketCreate(**intake(kind="consultation", title="公积金提取咨询", content="市民咨询公积金怎么提取。",
                                 direct_answer={"answer": "已按知识库口径答复来电人。",
                                                "answer_source": "旧来源" if legacy else source}))
    ticket, _ = tickets.register(db, rt, actor=org.actor("operator"), data=data)
    if legacy:
        db.execute(sql_update(Ticket).where(Ticket.id == ticket.id).values(answer_source=source))
        db.commit()


def _cite(db: Session, key: str) -> str:
    article = db.execute(select(Article).where(Article.key == key)).scalar_one()
    version = db.get(ArticleVersion, article.published_version_id)
    assert version is not None
    text = reading.citation(article, version)
    db.rollback()
    return text


def build(db: Session, rt: Runtime, clock: FixedClock, org: Org, publish: Callable[..., Article]) -> Scenario:
    """Housing owns eight articles, the market bureau one; the period is the default 30 days up to
    START (4 Oct – 2 Nov 2026, local days)."""
    handler, reviewer = org.actor("housing_handler"), org.actor("supervisor")
    keys: dict[str, str] = {}

    def q(name: str) -> list[str]:
        return [f"{name}的问题怎么办理？"]

    # Before the period (40 days earlier).
    _at(clock, -40 * DAY)
    keys["a1"] = publish(key="H-A1", questions=q("A1")).key
    keys["a2"] = publish(key="H-A2", questions=q("A2"), expires_at=START - 5 * DAY).key
    keys["a5"] = publish(key="H-A5", questions=q("A5")).key
    keys["a6"] = publish(key="H-A6", questions=q("A6")).key
    keys["a8"] = publish(key="H-A8", questions=q("A8"), expires_at=START - DAY).key
    a4 = service.create(db, rt, actor=handler, data=ArticleCreate(**article_data(key="H-A4", questions=q("A4"))))
    keys["a4"] = a4.key
    ids = {name: db.execute(select(Article.id).where(Article.key == k)).scalar_one() for name, k in keys.items()}
    report_a8 = service.report_error(db, rt, actor=org.actor("operator"), article_id=ids["a8"], text="电话号码已变更")
    keys["m1"] = publish(drafter="market_handler", key="M-1", questions=q("M1")).key
    ids["m1"] = db.execute(select(Article.id).where(Article.key == keys["m1"])).scalar_one()
    _at(clock, -40 * DAY + timedelta(hours=1))
    _answer(db, rt, org, _cite(db, keys["a1"]))  # before the period: not counted
    _at(clock, -39 * DAY)
    service.answer_report(db, rt, actor=handler, report_id=report_a8.id, answer="已核实并修改", accepted=True)
    _at(clock, -35 * DAY)
    # In the period's run-up: a report still open from before the period (the oldest open one).
    keys["a7"] = publish(key="H-A7", questions=q("A7"), expires_at=START + 10 * DAY).key
    ids["a7"] = db.execute(select(Article.id).where(Article.key == keys["a7"])).scalar_one()
    service.report_error(db, rt, actor=org.actor("operator"), article_id=ids["a7"], text="办理地点有误")

    # In the period.
    _at(clock, -20 * DAY)
    service.update(db, rt, actor=handler, article_id=ids["a1"],
                   data=ArticleIn(**article_data(questions=q("A1"), answer="修订后的答复口径。")))
    service.submit(db, rt, actor=handler, article_id=ids["a1"])
    service.approve(db, rt, actor=reviewer, article_id=ids["a1"])  # updated
    service.submit(db, rt, actor=handler, article_id=ids["a4"])  # in review
    keys["a3"] = service.create(db, rt, actor=handler,
                                data=ArticleCreate(**article_data(key="H-A3", questions=q("A3")))).key  # draft
    service.flag_policy_changed(db, rt, actor=handler, article_id=ids["a5"], note="新政策出台")
    service.withdraw(db, rt, actor=handler, article_id=ids["a6"], reason="事项取消")
    _at(clock, -10 * DAY)
    # A7 revised and approved again in the period (still expiring within 30 days).
    service.update(db, rt, actor=handler, article_id=ids["a7"],
                   data=ArticleIn(**article_data(questions=q("A7"), answer="更正办理地点后的答复口径。",
                                                 expires_at=START + 10 * DAY)))
    service.submit(db, rt, actor=handler, article_id=ids["a7"])
    service.approve(db, rt, actor=reviewer, article_id=ids["a7"])
    _at(clock, -4 * DAY)
    assert service.expire_due(db, rt) == 1  # A2 swept; A8 expires later and stays un-swept
    _at(clock, -3 * DAY)
    r1 = service.report_error(db, rt, actor=org.actor("operator"), article_id=ids["a1"], text="材料清单缺少户口本")
    service.report_error(db, rt, actor=org.actor("market_handler"), article_id=ids["m1"], text="收费标准已调整")
    _at(clock, -2 * DAY)
    service.answer_report(db, rt, actor=handler, report_id=r1.id, answer="已补充", accepted=True)
    _answer(db, rt, org, _cite(db, keys["a1"]))
    for _ in range(3):
        _answer(db, rt, org, _cite(db, keys["m1"]))
    _answer(db, rt, org, "居住证办理指南")  # not a knowledge citation
    _answer(db, rt, org, "知识库 H-A1", legacy=True)  # not the server's citation form: not counted
    _at(clock, -DAY)
    service.report_error(db, rt, actor=org.actor("operator"), article_id=ids["a1"], text="网上办理入口已变更")
    _at(clock, -timedelta(hours=1))
    _answer(db, rt, org, _cite(db, keys["a1"]))
    _answer(db, rt, org, _cite(db, keys["a7"]))
    # After the period (tomorrow): not counted.
    _at(clock, DAY)
    _answer(db, rt, org, _cite(db, keys["a1"]))
    service.record_use(db, article_id=ids["a1"])
    service.record_use(db, article_id=ids["a1"])
    _at(clock, timedelta(0))
    return Scenario(keys)


@pytest.fixture()
def scenario(db: Session, rt: Runtime, clock: FixedClock, org: Org, publish: Callable[..., Article]) -> Scenario:
    return build(db, rt, clock, org, publish)


def _report(db: Session, org: Org, viewer: str, period: maintenance.Period | None = None) -> maintenance.Report:
    now = START
    period = period or maintenance.make_period(now=now)
    return maintenance.unit_report(db, who=service.who(db, org.actor(viewer)), period=period, now=now)


def test_period_defaults_to_last_30_days_and_refuses_reversed_dates() -> None:
    p = maintenance.make_period(now=START)
    assert (p.start, p.end, p.days) == (date(2026, 10, 4), date(2026, 11, 2), 30)
    assert p.since.isoformat() == "2026-10-03T16:00:00+00:00" and p.until.isoformat() == "2026-11-02T16:00:00+00:00"
    with pytest.raises(DomainError, match="起始日期不能晚于结束日期"):
        maintenance.make_period(now=START, start=date(2026, 11, 5), end=date(2026, 11, 1))


def test_unit_figures(scenario: Scenario, db: Session, org: Org) -> None:
    report = _report(db, org, "supervisor")
    assert report.all_units
    by_unit = {u.unit_id: u for u in report.units}
    housing = by_unit[org.units["housing"].id]
    assert housing.unit_name == "市房产局"
    got = {k: getattr(housing, k) for k in (
        "total", "approved", "in_review", "draft", "returned", "expired", "withdrawn", "in_force", "expiring",
        "past_expiry", "policy_changed", "updated", "versions_approved", "reports_opened", "reports_answered",
        "reports_accepted", "reports_open", "answers", "uses_total")}
    assert got == {
        "total": 8, "approved": 3, "in_review": 1, "draft": 1, "returned": 0, "expired": 2, "withdrawn": 1,
        "in_force": 3,  # A1, A7, A8
        "expiring": 1,  # A7 (in 10 days)
        "past_expiry": 2,  # A2 swept, A8 past its expiry but not swept yet
        "policy_changed": 1,  # A5
        "updated": 2, "versions_approved": 2,  # A1 and A7 revised and approved in the period
        "reports_opened": 2, "reports_answered": 1, "reports_accepted": 1,  # the A8 report was before
        "reports_open": 2,  # A1's latest and A7's
        "answers": 3,  # A1 twice, A7 once; not before, after, or a non-citation
        "uses_total": 2,
    }
    assert housing.oldest_open_report_at == START - 35 * DAY
    market = by_unit[org.units["market"].id]
    assert (market.total, market.approved, market.in_force, market.answers, market.reports_opened,
            market.reports_open, market.updated) == (1, 1, 1, 3, 1, 1, 0)
    assert set(by_unit) == {org.units["housing"].id, org.units["market"].id}
    assert report.totals.total == 9 and report.totals.answers == 6 and report.totals.reports_open == 3
    assert report.totals.oldest_open_report_at == START - 35 * DAY
    assert report.units[0].unit_id == org.units["housing"].id  # the largest first


def test_a_shorter_period_counts_only_what_happened_in_it(scenario: Scenario, db: Session, org: Org) -> None:
    # 31 Oct – 2 Nov: A1's report opened (30 Oct, local) and answered (31 Oct) → only the answer;
    # the last day's report and answers.
    period = maintenance.make_period(now=START, start=date(2026, 10, 31), end=date(2026, 11, 2))
    housing = next(u for u in _report(db, org, "admin", period).units if u.unit_id == org.units["housing"].id)
    assert (housing.updated, housing.reports_opened, housing.reports_answered, housing.answers) == (0, 1, 1, 3)
    # Tomorrow alone: one answer of A1.
    period = maintenance.make_period(now=START, start=date(2026, 11, 3), end=date(2026, 11, 3))
    housing = next(u for u in _report(db, org, "admin", period).units if u.unit_id == org.units["housing"].id)
    assert (housing.answers, housing.reports_opened, housing.total) == (1, 0, 8)


def test_a_unit_sees_only_its_own_articles(scenario: Scenario, db: Session, org: Org) -> None:
    report = _report(db, org, "market_handler")
    assert not report.all_units
    assert [u.unit_id for u in report.units] == [org.units["market"].id]
    assert report.totals.total == 1 and report.totals.answers == 3
    housing = _report(db, org, "housing_manager")
    assert [u.unit_id for u in housing.units] == [org.units["housing"].id] and housing.totals.answers == 3
    # A unit that owns nothing still gets its (empty) row.
    water = _report(db, org, "water_handler")
    assert [(u.unit_name, u.total) for u in water.units] == [("南京水务", 0)]


@pytest.mark.parametrize("viewer", ["operator", "dispatcher", "analyst", "xuanwu_viewer"])
def test_others_may_not_see_it(viewer: str, db: Session, org: Org) -> None:
    with pytest.raises(Forbidden):
        _report(db, org, viewer)


def test_drill_down(scenario: Scenario, db: Session, org: Org) -> None:
    period = maintenance.make_period(now=START)
    housing = org.units["housing"].id
    who = service.who(db, org.actor("housing_handler"))
    items, total = maintenance.unit_articles(db, who=who, unit_id=housing, period=period)
    assert total == 8 and len(items) == 8
    by_key = {i.key: i for i in items}
    a1 = by_key["H-A1"]
    assert (a1.status, a1.in_force, a1.open_reports, a1.reports_opened, a1.answers, a1.uses_total) == (
        "approved", True, 1, 2, 2, 2)
    assert a1.last_published_at == START - 20 * DAY
    assert (by_key["H-A7"].answers, by_key["H-A2"].status, by_key["H-A2"].flags) == (1, "expired", ["expired"])
    assert by_key["H-A3"].last_published_at is None and not by_key["H-A3"].in_force
    # Needing attention first: open reports (A7 expires soonest of the two), then flagged ones.
    assert [i.key for i in items[:2]] == ["H-A7", "H-A1"]
    assert {i.key for i in items[2:4]} == {"H-A2", "H-A5"}
    ranked, _ = maintenance.unit_articles(db, who=who, unit_id=housing, period=period, sort="answers")
    assert [(i.key, i.answers) for i in ranked[:2]] == [("H-A1", 2), ("H-A7", 1)]
    page2, total = maintenance.unit_articles(db, who=who, unit_id=housing, period=period, sort="key", page=2,
                                             page_size=5)
    assert total == 8 and [i.key for i in page2] == ["H-A6", "H-A7", "H-A8"]
    expired, total = maintenance.unit_articles(db, who=who, unit_id=housing, period=period,
                                               status=maintenance.S.EXPIRED)
    assert total == 2 and {i.key for i in expired} == {"H-A2", "H-A5"}
    # Another unit's drill-down is refused to a unit's staff, allowed to the centre.
    with pytest.raises(Forbidden):
        maintenance.unit_articles(db, who=who, unit_id=org.units["market"].id, period=period)
    market, total = maintenance.unit_articles(db, who=service.who(db, org.actor("editor")),
                                              unit_id=org.units["market"].id, period=period)
    assert total == 1 and market[0].answers == 3
