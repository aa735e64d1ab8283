"""The fact table, kept current by refresh in arbitrary batches and corrected by exemption decisions,
equals a direct computation from the tickets' events on a generated history; two refreshes running at
once count nothing twice."""

from __future__ import annotations

import random
import threading
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from hotline.assessment import facts, service
from hotline.assessment.indicators import ExemptionKind
from hotline.clock import CHINA_TZ
from hotline.db import make_session_factory
from hotline.tickets.models import Ticket
from tests.assessment.conftest import Flow

UNITS = ("housing", "market", "street")
# The calendar package knows working days up to 2026: the history starts in spring.
SPRING = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)
PERIODS = [
    service.Period(date(2026, 3, 1), date(2026, 3, 31)),
    service.Period(date(2026, 4, 1), date(2026, 4, 30)),
    service.Period(date(2026, 3, 1), date(2026, 12, 31)),
    service.Period(date(2026, 3, 9), date(2026, 3, 15)),
    service.Period(date(2026, 5, 1), date(2026, 12, 31)),
]


def _handler(unit: str) -> str:
    return f"{unit}_handler"


def generate(flow: Flow, rng: random.Random, n: int, on_step=None) -> list[int]:  # type: ignore[no-untyped-def]
    """n tickets through random but valid paths: late and timely acknowledgements, returns (accepted and
    refused), reassignments, merges, withdrawals, late replies, reopens, direct answers."""
    made: list[int] = []
    start = flow.clock.now()
    for i in range(n):
        # Tickets overlap in time, as they do: each starts a few hours after the previous one.
        flow.clock.set(start + timedelta(hours=5 * i + rng.choice([0, 1, 3])))
        if rng.random() < 0.1:
            made.append(flow.new(unit=None, kind="consultation", direct_answer={
                "answer": "请携带身份证到社区服务中心办理。", "answer_source": "办事指南"}))
            continue
        unit = rng.choice(UNITS)
        tid = flow.new(unit=unit)
        made.append(tid)
        roll = rng.random()
        if roll < 0.08:
            continue  # left waiting
        if roll < 0.14:
            # 改派 goes to another lead unit (back to the same one is refused: it would restart its clocks)
            other = rng.choice([u for u in UNITS if u != unit])
            flow.act("dispatcher", tid, "reassign", lead_unit_id=flow.unit(other), reason="重新派单")
            continue
        if roll < 0.18 and len(made) > 1:
            flow.act("operator", tid, "withdraw", reason="诉求人撤回")
            continue
        if roll < 0.26 and unit != "street":
            flow.later(hours=2)
            flow.act(f"{unit}_manager", tid, "return", reason="不属于本单位职责范围")
            if rng.random() < 0.5:
                flow.act("dispatcher", tid, "refuse_return", reason="属于本单位职责")
            else:
                unit = rng.choice([u for u in UNITS if u != unit])
                flow.act("dispatcher", tid, "reassign", lead_unit_id=flow.unit(unit))
                flow.later(hours=rng.choice([1, 30]))
                flow.act(_handler(unit), tid, "acknowledge")
        else:
            flow.later(hours=rng.choice([1, 2, 30]))
            flow.act(_handler(unit), tid, "acknowledge")
        for _round in range(3):
            flow.later(hours=rng.choice([4, 48, 4, 48, 24 * 25]))
            flow.act(_handler(unit), tid, "reply", content="已核实处理完毕，现予答复，感谢监督。")
            flow.act("dispatcher", tid, "close")
            if rng.random() < 0.15:
                break  # waiting for callback
            ok = rng.random() < 0.7
            satisfaction = rng.choice(["satisfied", "very_satisfied", "basically_satisfied"]) if ok else \
                rng.choice(["unsatisfied", "very_unsatisfied"])
            try:
                flow.callback(tid, solved=ok or rng.random() < 0.3, satisfaction=satisfaction)
            except Exception:
                flow.db.rollback()
                flow.act("callback", tid, "callback", solved=False, satisfaction=satisfaction)  # reopens used up
                break
            if flow.db.get(Ticket, tid).state != "dispatched":
                break
            flow.later(hours=rng.choice([1, 30]))
            flow.act(_handler(unit), tid, "acknowledge")
        if on_step:
            on_step(i)
    return made


def _assert_equal(db: Session) -> None:
    for period in PERIODS:
        direct = service.direct_totals(db, period=period)
        stored = {u: {k: v for k, v in figs.items() if v != (0, 0)}
                  for u, figs in facts.totals(db, start=period.start, end=period.end).items()}
        stored = {u: figs for u, figs in stored.items() if figs}
        assert stored == direct, period
    db.rollback()


def test_facts_equal_direct_computation_on_generated_history(flow: Flow, db, org, rt) -> None:  # type: ignore[no-untyped-def]
    flow.clock.set(SPRING)
    rng = random.Random(20261102)
    requests: list[int] = []

    def step(i: int) -> None:
        if i % 7 == 3:
            facts.refresh(db, now=flow.clock.now(), batch_size=rng.choice([1, 5, 50]))
        if i % 11 == 5:
            tid = made_so_far[-1] if made_so_far else None
            if tid:
                ex = service.request_exemption(db, rt, actor=org.actor("supervisor"), ticket_id=tid,
                                               kind=rng.choice([ExemptionKind.MEDIATION_ENFORCEMENT,
                                                                ExemptionKind.UNREASONABLE]),
                                               reason="经核实属于豁免情形")
                requests.append(ex.id)

    made_so_far: list[int] = []
    orig_new = flow.new

    def tracking_new(*a, **kw):  # type: ignore[no-untyped-def]
        tid = orig_new(*a, **kw)
        made_so_far.append(tid)
        return tid

    flow.new = tracking_new  # type: ignore[method-assign]
    generate(flow, rng, 60, on_step=step)
    # Decide the requests: half before the last refresh, half after (facts corrected in place).
    for k, ex_id in enumerate(requests):
        if k == len(requests) // 2:
            facts.refresh(db, now=flow.clock.now(), batch_size=7)
        service.decide_exemption(db, rt, actor=org.actor("xuanwu_viewer"), exemption_id=ex_id,
                                 approve=k % 3 != 2, reason="同意" if k % 3 != 2 else "理由不充分")
    facts.refresh(db, now=flow.clock.now())
    _assert_equal(db)


def test_two_refreshes_at_once_count_each_event_once(flow: Flow, db, engine) -> None:  # type: ignore[no-untyped-def]
    flow.clock.set(SPRING)
    rng = random.Random(7)
    generate(flow, rng, 25)
    db.rollback()
    factory = make_session_factory(engine)
    errors: list[BaseException] = []

    def run() -> None:
        s = factory()
        try:
            facts.refresh(s, now=flow.clock.now(), batch_size=13)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    _assert_equal(db)
