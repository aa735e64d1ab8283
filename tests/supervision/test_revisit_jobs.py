"""回头看 in the scheduler: a review concluding 需再办理 is a 虚假答复 finding of the unit whose reply it judged
(withdrawn when a later review of the same finish concludes otherwise), and the periodic 回头看提醒 to the
whole-city supervisors' inbox — once a period, however many passes and workers."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from hotline.revisit import reminder
from hotline.supervision import detection
from hotline.supervision.enums import FindingKind
from hotline.supervision.models import DailyJob, Finding
from hotline.supervision.policy import load_supervision_policy
from tests.revisit.helpers import act, finished, handle_and_close
from tests.test_pages import login

REHANDLE = {"conclusion": "rehandle", "note": "经法律顾问审核：诉求合理，噪音仍超标，应再办理"}
HANDLED = {"conclusion": "handled", "note": "复核后认为已依法依规处置到位"}


def _false_replies(db, unit_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    db.rollback()
    rows = db.execute(select(Finding.detail).where(Finding.unit_id == unit_id,
                                                   Finding.kind == str(FindingKind.FALSE_REPLY))
                      .order_by(Finding.id)).scalars().all()
    db.rollback()  # SQLite: the read ends before the app writes
    return list(rows)


def test_a_review_needing_rehandling_is_a_false_reply(client, as_user, org, db, run) -> None:  # type: ignore[no-untyped-def]
    housing, market = org.units["housing"].id, org.units["market"].id
    t = finished(client, as_user, org)  # two reopens as 未解决 (two findings), then finished unsolved
    run()
    assert len(_false_replies(db, housing)) == 2

    act(client, as_user, t, "supervisor", "review", **REHANDLE)
    run()
    found = _false_replies(db, housing)
    assert len(found) == 3 and found[2] == "回头看研判：诉求合理、未解决，需再办理；" + REHANDLE["note"]
    # the same finish reviewed again to the same end: the reply is counted once
    act(client, as_user, t, "supervisor", "review", **REHANDLE)
    run()
    assert len(_false_replies(db, housing)) == 3
    # a later review of that finish concluding otherwise is the one in force: the finding is taken back
    act(client, as_user, t, "supervisor", "review", **HANDLED)
    run()
    assert len(_false_replies(db, housing)) == 2
    act(client, as_user, t, "supervisor", "review", **REHANDLE)
    run()
    assert len(_false_replies(db, housing)) == 3

    # 再办理 by the market bureau, whose reply the next review judges in turn
    act(client, as_user, t, "supervisor", "rehandle", lead_unit_id=market)
    handle_and_close(client, as_user, t, "market")
    assert act(client, as_user, t, "callback", "callback", solved=False, satisfaction="unsatisfied")["state"] == (
        "finished")
    act(client, as_user, t, "supervisor", "review", **REHANDLE)
    run()
    assert len(_false_replies(db, market)) == 1 and len(_false_replies(db, housing)) == 3
    by_unit = {u.unit_id: u.counts["false_reply"] for u in detection.findings_by_unit(db)}
    assert by_unit == {housing: 3, market: 1}
    db.rollback()

    # a ticket the callback found solved and satisfied, which the review finds otherwise, counts as well
    ok = finished(client, as_user, org, solved=True, satisfaction="satisfied", reopens=0, title="井盖破损")
    act(client, as_user, ok, "supervisor", "review", **HANDLED)
    run()
    assert len(_false_replies(db, housing)) == 3
    act(client, as_user, ok, "supervisor", "review", **REHANDLE)
    run()
    assert len(_false_replies(db, housing)) == 4


def _reminders(client, as_user, persona: str = "supervisor") -> list[dict]:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/supervision/notifications", headers=as_user(persona))
    assert r.status_code == 200, r.text
    return [n for n in r.json()["items"] if n["kind"] == "revisit_due"]


def test_revisit_reminder_once_a_week(client, as_user, org, db, run, clock, two_at_once) -> None:  # type: ignore[no-untyped-def]
    run()  # a quiet week: the key is taken, nothing said
    assert _reminders(client, as_user) == []
    first = finished(client, as_user, org)
    run()  # the same week: already looked at, so nothing until next Monday
    assert _reminders(client, as_user) == []

    clock.advance(timedelta(days=7))  # Monday 2026-11-09
    run()
    told = _reminders(client, as_user)
    assert [n["title"] for n in told] == ["【回头看】1 件不满意诉求待审核研判"]
    assert "有 1 件尚未审核研判，其中上周归档 1 件" in told[0]["body"] and "本周提醒一次" in told[0]["body"]
    assert told[0]["link"] == "/supervision/revisit?reviewed=no" and told[0]["audience"] == "supervisors"
    run()
    assert len(_reminders(client, as_user)) == 1  # once a week, however many passes
    # the whole-city supervisors only: not a district's supervisor, not the dispatchers sharing the inbox
    assert _reminders(client, as_user, "xuanwu_viewer") == [] and _reminders(client, as_user, "dispatcher") == []

    finished(client, as_user, org, title="路灯不亮")
    clock.advance(timedelta(days=7))  # Monday 2026-11-16: two waiting, one finished last week
    db.rollback()
    assert all(r.ok for r in two_at_once()) and len(_reminders(client, as_user)) == 2  # two workers: told once
    assert "有 2 件尚未审核研判，其中上周归档 1 件" in _reminders(client, as_user)[0]["body"]
    login(client, "supervisor")
    inbox = client.get("/notifications").text
    assert inbox.count("回头看提醒") == 2 and '<a href="/supervision/revisit?reviewed=no">回头看清单</a>' in inbox
    act(client, as_user, first, "supervisor", "review", **HANDLED)
    waiting = client.get("/api/v1/revisit", params={"reviewed": "false"}, headers=as_user("supervisor")).json()
    for t in waiting["items"]:
        act(client, as_user, t, "supervisor", "review", **HANDLED)
    clock.advance(timedelta(days=7))
    run()  # nothing waits: nothing said, the week's key taken all the same
    assert len(_reminders(client, as_user)) == 2
    db.rollback()
    keys = db.execute(select(DailyJob.day, DailyJob.result).where(DailyJob.job == reminder.JOB)
                      .order_by(DailyJob.day)).all()
    assert [(k.day, k.result) for k in keys] == [
        (date(2026, 11, 2), {"waiting": 0}), (date(2026, 11, 9), {"waiting": 1}), (date(2026, 11, 16), {"waiting": 2}),
        (date(2026, 11, 23), {"waiting": 0})]
    db.rollback()


def test_revisit_reminder_monthly_or_off(client, as_user, org, db, sf, rt, clock) -> None:  # type: ignore[no-untyped-def]
    assert reminder.period_start(date(2026, 11, 18), "weekly") == date(2026, 11, 16)
    assert reminder.period_start(date(2026, 11, 18), "monthly") == date(2026, 11, 1)
    assert reminder.previous_start(date(2026, 11, 1), "monthly") == date(2026, 10, 1)
    assert reminder.previous_start(date(2026, 11, 16), "weekly") == date(2026, 11, 9)
    policy = load_supervision_policy("default")
    assert policy.revisit_reminder == "weekly"
    finished(client, as_user, org)
    db.rollback()
    off = policy.model_copy(update={"revisit_reminder": "off"})
    assert reminder.remind(sf, rt, off).created == 0 and _reminders(client, as_user) == []
    monthly = policy.model_copy(update={"revisit_reminder": "monthly"})
    assert reminder.remind(sf, rt, monthly).created == 1
    clock.advance(timedelta(days=14))  # still November: told already
    assert reminder.remind(sf, rt, monthly).created == 0
    clock.advance(timedelta(days=16))  # 2026-12-02
    assert reminder.remind(sf, rt, monthly).created == 1
    told = _reminders(client, as_user)
    assert len(told) == 2 and "其中上月归档 1 件" in told[0]["body"] and "本月提醒一次" in told[0]["body"]
    assert "其中上月归档 0 件" in told[1]["body"]
