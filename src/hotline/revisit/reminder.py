"""回头看提醒: once a period (a week by default; the supervision policy's `revisit_reminder`), the scheduler
tells the whole-city supervisors' inbox how many unsatisfied finished tickets wait for their 审核研判, and
how many of them finished in the period just ended — so that the periodic 回头看 of 苏政办发〔2021〕81号 (四)
is not left to someone remembering to open the list.

The period's key — (job, the period's first local day) in `supervision_daily_jobs`, as the daily jobs are
guarded — is inserted in the job's own transaction: a second pass, or a second worker, in the same period
finds it taken and tells nothing; a run that fails rolls it back and the next pass tries again. The first
pass of the period speaks (Monday, or the 1st, soon after midnight); a period with nothing waiting
claims its key and stays quiet.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import update

from hotline.clock import CHINA_TZ, to_local
from hotline.revisit import service
from hotline.security.actor import Actor
from hotline.security.roles import DataScope, Role
from hotline.supervision.enums import Audience, NotificationKind
from hotline.supervision.models import DailyJob
from hotline.supervision.timeline import notify
from hotline.supervision.upsert import insert_new

if TYPE_CHECKING:
    from hotline.runtime import Runtime
    from hotline.supervision.jobs import JobResult, SessionFactory
    from hotline.supervision.policy import SupervisionPolicy

JOB = "revisit_reminder"
LINK = "/supervision/revisit?reviewed=no"
# Reads the whole city's list, as the supervisors told do.
READER = Actor(role=Role.SUPERVISOR, name="回头看提醒", data_scope=DataScope.ALL)
PERIOD_WORDS = {"weekly": ("本周", "上周"), "monthly": ("本月", "上月")}


def period_start(today: date, every: str) -> date:
    """The first local day of the period `today` is in: the Monday of its week, or the 1st of its month."""
    return today - timedelta(days=today.weekday()) if every == "weekly" else today.replace(day=1)


def previous_start(start: date, every: str) -> date:
    return start - timedelta(days=7) if every == "weekly" else (start - timedelta(days=1)).replace(day=1)


def remind(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    from hotline.supervision.jobs import JobResult, worker_name

    every = policy.revisit_reminder
    if every == "off":
        return JobResult()
    now = rt.clock.now()
    start = period_start(to_local(now).date(), every)
    with sf() as db:
        try:
            claimed = insert_new(db, DailyJob, {"job": JOB, "day": start, "ran_at": now, "worker": worker_name(),
                                                "result": {}}, conflict=["job", "day"])
            if claimed is None:  # told already this period (or another worker is telling now)
                db.rollback()
                return JobResult()
            waiting = service.counts(db, actor=READER, filters=service.RevisitFilters()).not_reviewed
            if waiting:
                begun = _local_midnight(previous_start(start, every))
                new = service.counts(db, actor=READER, filters=service.RevisitFilters(
                    finished_from=begun, finished_to=_local_midnight(start))).not_reviewed
                this, last = PERIOD_WORDS[every]
                notify(db, unit_id=None, audience=Audience.SUPERVISORS, kind=NotificationKind.REVISIT_DUE, at=now,
                       title=f"【回头看】{waiting} 件不满意诉求待审核研判",
                       body=(f"截至{to_local(now):%Y年%m月%d日 %H:%M}，回访未解决或不满意的已归档工单中有 {waiting} 件"
                             f"尚未审核研判，其中{last}归档 {new} 件。请到“督办 › 回头看”逐件研判，诉求合理、未解决的"
                             f"派回承办单位再办理。（{this}提醒一次）"))
            db.execute(update(DailyJob).where(DailyJob.job == JOB, DailyJob.day == start)
                       .values(result={"waiting": waiting}))
            db.commit()
        except Exception:
            db.rollback()
            raise
    return JobResult(created=1 if waiting else 0, batches=1)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=CHINA_TZ)
