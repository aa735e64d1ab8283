"""The demo city's knowledge base, built through `hotline.knowledge.service` as people would.

A unit's handler drafts and submits its articles, a centre reviewer who is not the author approves
or returns them (多方校核); revisions, error reports (查漏纠错), a withdrawal, the expiry sweep and
the assistant's unanswered questions (知识盲区) happen over the simulated months. All of it is one
time-ordered list of steps that the simulation's event loop runs among the tickets' steps, so the
clock only moves forward and a direct answer cites the version in force at that moment.

Texts are in kb_articles.py. A separate random stream keeps the tickets' own stream unchanged.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.clock import CHINA_TZ, CalendarRangeError, is_workday, to_local
from hotline.errors import DomainError
from hotline.knowledge import gaps, reading, service
from hotline.knowledge.enums import Audience
from hotline.knowledge.models import Article, ArticleReport, UnansweredQuestion
from hotline.knowledge.schemas import ArticleCreate, ArticleIn
from hotline.runtime import Runtime
from hotline.security.actor import Actor

from .kb_articles import ARTICLES, GAPS

if TYPE_CHECKING:
    from hotline.demo.builder import _Org

Step = tuple[datetime, Callable[[], Any]]
WORDING_SHARE = 0.35  # direct answers of a topic whose title is a caller's own wording (not yet a phrasing)

# (article slug, reporter: "operator" | "public", text, the owner's answer or None (still open), accepted).
# A report on a revised article comes just before the revision.
_REPORTS: list[tuple[str, str, str, str | None, bool]] = [
    ("yb_zhuyuan", "operator", "口径只写了三级医院的比例，来电人常问二级医院和大病保险，请补充。",
     "已采纳，将按今年待遇调整补充二级医院报销比例和大病保险接续报销的说明。", True),
    ("gjj_zufang", "public", "租房提取写的是“按年度定额”，没有写具体能取多少钱，看不明白。",
     "感谢反馈。定额标准每年由公积金中心公布，口径不写具体金额以免过时，来电时话务员会告知当年标准。", False),
    ("jyj_shijiaoqu", "operator", "有区教育局已提前公布施教区，口径中“4月公布”的表述请核实。", None, False),
    ("jtj_laonian_gongjiao", "public", "外地老人坐地铁是否免费说得不清楚，我父亲在站口被要求买票。", None, False),
]


def _local(day: datetime, hour: float) -> datetime:
    """`day`'s local date at `hour` o'clock (China time)."""
    d = to_local(day).date()
    return (datetime.combine(d, dtime(0), CHINA_TZ) + timedelta(hours=hour)).astimezone(CHINA_TZ)


def _workday(d: datetime) -> bool:
    try:
        return is_workday(to_local(d).date())
    except CalendarRangeError:
        return to_local(d).weekday() < 5


class DemoKnowledge:
    def __init__(self, db: Session, rt: Runtime, org: _Org, start: datetime, end: datetime, seed: int) -> None:
        self.db, self.rt, self.org = db, rt, org
        self.start, self.end = start, end
        self.rng = random.Random(seed * 31 + 7)
        self.keys: dict[str, str] = {}  # slug -> article key, once created
        self.ids: dict[str, int] = {}
        self.by_template = {a["template"]: a for a in ARTICLES if "template" in a}
        self.editor, self.supervisor = org.hall["editor1"], org.hall["supervisor1"]

    # -- who --

    def _owner(self, a: dict[str, Any]) -> int:
        code = a.get("owner")
        if code is None:  # the unit that owns the category in the demo's catalogue: longest prefix wins
            prefixes = [(p, c) for p, c in self.org.owners if a["category"].startswith(p)]
            code = max(prefixes, key=lambda pc: len(pc[0]))[1] if prefixes else "center"
        return self.org.units[code].id

    def _drafter(self, a: dict[str, Any]) -> Actor:
        unit_id = self._owner(a)
        if unit_id == self.org.units["center"].id:
            return self.editor
        return self.org.handler[unit_id] if self.rng.random() < 0.8 else self.org.manager[unit_id]

    def _reviewer(self, author: Actor) -> Actor:
        if author.user_id == self.editor.user_id:
            return self.supervisor
        return self.editor if self.rng.random() < 0.75 else self.supervisor

    # -- time --

    def _office(self, t: datetime) -> datetime:
        """The first office-hours moment (09:00–17:00 on a working day) at or after t, plus a random while."""
        local = to_local(t)
        day = _local(t, 0)
        earliest = local.hour + local.minute / 60
        if earliest >= 16.5:
            day, earliest = day + timedelta(days=1), 0
        while not _workday(day):
            day, earliest = day + timedelta(days=1), 0
        return _local(day, self.rng.uniform(max(9, earliest), 17)).astimezone(t.tzinfo)

    def _after(self, t: datetime, lo_hours: float, hi_hours: float) -> datetime:
        return self._office(t + timedelta(hours=self.rng.uniform(lo_hours, hi_hours)))

    def _day(self, lo: float, hi: float) -> datetime:
        """An office-hours time between `lo` and `hi` days into the window (negative: before it)."""
        return self._office(self.start + timedelta(days=self.rng.uniform(lo, hi)))

    # -- the plan --

    def steps(self) -> list[Step]:
        """Every knowledge step of the demo, in time order; all of them before the window's end."""
        steps: list[Step] = []
        edge = self.end - timedelta(hours=2)
        window_days = (self.end - self.start) / timedelta(days=1)
        reported = {r[0]: r for r in _REPORTS}
        for a in ARTICLES:
            fate = a["fate"]
            author = self._drafter(a)
            if fate in ("base", "v2", "v3", "pending", "withdrawn", "expired", "expiring"):
                created = self._day(-30, 6)
            elif fate == "late":
                created = self._day(10, window_days * 0.6)
            elif fate == "returned":
                created = self._day(window_days - 20, window_days - 9)
            else:  # review, draft
                created = self._day(window_days - 12, window_days - 3)
            expires = None
            if fate == "expired":
                expires = _local(self.start + timedelta(days=self.rng.uniform(25, 65)), 24) - timedelta(seconds=1)
            elif fate == "expiring":
                expires = _local(self.end + timedelta(days=self.rng.uniform(8, 25)), 24) - timedelta(seconds=1)
            steps.append((created, lambda a=a, au=author, e=expires: self._create(a, au, e)))
            if fate == "draft":
                continue
            submitted = self._after(created, 0.2, 3)
            steps.append((submitted, lambda a=a, au=author: self._submit(a, au)))
            if fate == "review":
                continue
            reviewed = min(self._after(submitted, 2, 40), edge)
            reviewer = self._reviewer(author)
            if fate == "returned":
                steps.append((reviewed, lambda a=a, r=reviewer: self._send_back(a, r)))
                continue
            steps.append((reviewed, lambda a=a, r=reviewer: self._approve(a, r)))
            revisions = list(a.get("revisions", ()))
            if fate == "v2":
                times = [self._day(30, window_days - 8)]
            elif fate == "v3":
                times = [self._day(15, 40), self._day(55, window_days - 8)]
            elif fate == "pending":
                times = [self._day(window_days - 6, window_days - 2)]
            else:
                times = []
            last = reviewed
            for n, (rev, at) in enumerate(zip(revisions, times, strict=False)):
                at = max(at, last + timedelta(days=1))
                if n == 0 and a["slug"] in reported:  # the report that this revision answers comes first
                    reported_at = max(at - timedelta(days=self.rng.uniform(4, 9)), last + timedelta(hours=12))
                    at = max(at, reported_at + timedelta(days=1))
                    steps += self._report_steps(reported.pop(a["slug"]), reported_at, at)
                editor = self._drafter(a)
                steps.append((at, lambda a=a, rev=rev, au=editor: self._revise(a, rev, au)))
                sub = self._after(at, 0.1, 2)
                steps.append((sub, lambda a=a, au=editor: self._submit(a, au)))
                if fate == "pending":
                    break
                last = min(self._after(sub, 2, 30), edge)
                steps.append((last, lambda a=a, r=self._reviewer(editor): self._approve(a, r)))
            if fate == "withdrawn":
                at = self._day(35, 60)
                manager = self.org.manager[self._owner(a)]
                steps.append((at, lambda a=a, m=manager: self._withdraw(a, m)))
            if expires is not None and expires < self.end:
                sweep = min(expires + timedelta(hours=self.rng.uniform(1, 7)), edge)
                steps.append((sweep, self._sweep))
        for report in reported.values():  # reports on articles that are not revised
            at = self._day(20, window_days - 4)
            steps += self._report_steps(report, at, min(self._after(at, 20, 72), edge))
        for text, channel, asked in GAPS:
            for _ in range(asked):
                at = self.start + timedelta(days=self.rng.uniform(1, window_days - 0.2))
                steps.append((at, lambda q=text, c=channel, t=at: gaps.record(self.db, question=q,
                                                                               channel=gaps.Channel(c), now=t)))
        steps = [s for s in steps if s[0] <= self.end]
        steps.sort(key=lambda s: s[0])
        return steps

    def life(self) -> Generator[Step, Any, None]:
        """The steps as one life of the simulation's event loop."""
        for step in self.steps():
            _ = yield step  # the loop sends each step's result back: not needed (and not `yield from` a list)

    def _report_steps(self, report: tuple[str, str, str, str | None, bool], at: datetime, answer_by: datetime
                      ) -> list[Step]:
        slug, who, text, answer, accepted = report
        reporter = (self.org.hall["operator1"] if self.rng.random() < 0.5 else self.org.hall["operator2"]) \
            if who == "operator" else Actor.requester("web")
        steps: list[Step] = [(at, lambda: self._report(slug, reporter, text))]
        if answer is not None:
            answered = max(at + timedelta(hours=1), answer_by - timedelta(hours=self.rng.uniform(3, 20)))
            answered = min(answered, answer_by - timedelta(minutes=10))
            handler = self.org.handler[self._owner(self._article(slug))]
            steps.append((answered, lambda: self._answer_report(slug, handler, answer, accepted)))
        return steps

    # -- the operations (each runs with the clock at its time) --

    @staticmethod
    def _article(slug: str) -> dict[str, Any]:
        return next(a for a in ARTICLES if a["slug"] == slug)

    def _content(self, a: dict[str, Any], rev: dict[str, Any] | None = None, expires: datetime | None = None
                 ) -> dict[str, Any]:
        rev = rev or {}
        return {"title": a["title"], "questions": a["questions"], "phrasings": a["phrasings"],
                "answer": rev.get("answer", a["answer"]), "policy_basis": a["basis"], "policy_source": a["source"],
                "category_code": a["category"], "audience": Audience(a.get("audience", "public")),
                "tags": a["tags"], "expires_at": expires, "change_note": rev.get("change_note")}

    def _create(self, a: dict[str, Any], author: Actor, expires: datetime | None) -> None:
        data = ArticleCreate(**self._content(a, expires=expires), owner_unit_id=self._owner(a))
        article = service.create(self.db, self.rt, actor=author, data=data)
        self.keys[a["slug"]], self.ids[a["slug"]] = article.key, article.id

    def _submit(self, a: dict[str, Any], actor: Actor) -> None:
        service.submit(self.db, self.rt, actor=actor, article_id=self.ids[a["slug"]])

    def _approve(self, a: dict[str, Any], reviewer: Actor) -> None:
        comment = self.rng.choice([None, "口径准确，同意发布", "已核对政策依据，同意"])
        service.approve(self.db, self.rt, actor=reviewer, article_id=self.ids[a["slug"]], comment=comment)

    def _send_back(self, a: dict[str, Any], reviewer: Actor) -> None:
        service.send_back(self.db, self.rt, actor=reviewer, article_id=self.ids[a["slug"]],
                          comment=a["return_comment"])

    def _revise(self, a: dict[str, Any], rev: dict[str, Any], author: Actor) -> None:
        article = self.db.get(Article, self.ids[a["slug"]])
        assert article is not None
        data = ArticleIn(**self._content(a, rev, article.expires_at))
        service.update(self.db, self.rt, actor=author, article_id=article.id, data=data)

    def _withdraw(self, a: dict[str, Any], actor: Actor) -> None:
        service.withdraw(self.db, self.rt, actor=actor, article_id=self.ids[a["slug"]],
                         reason="市政务服务中心搬迁，办公时间已调整，原口径撤销，待重新发布")

    def _sweep(self) -> None:
        service.expire_due(self.db, self.rt)

    def _report(self, slug: str, reporter: Actor, text: str) -> None:
        service.report_error(self.db, self.rt, actor=reporter, article_id=self.ids[slug], text=text)

    def _answer_report(self, slug: str, handler: Actor, answer: str, accepted: bool) -> None:
        report_id = self.db.execute(select(ArticleReport.id).where(ArticleReport.article_id == self.ids[slug])
                                    .order_by(ArticleReport.id.desc())).scalars().first()
        assert report_id is not None
        service.answer_report(self.db, self.rt, actor=handler, report_id=report_id, answer=answer, accepted=accepted)

    # -- direct answers (接诉即答) --

    def wording(self, template_title: str) -> str | None:
        """Now and then, the caller's own wording of a topic as the ticket's title."""
        words = self.by_template.get(template_title, {}).get("wordings")
        return self.rng.choice(words) if words and self.rng.random() < WORDING_SHARE else None

    def cite(self, template_title: str) -> tuple[int, str, str] | None:
        """(article id, answer, citation) of the topic's article in force now, as the hall cites it."""
        a = self.by_template.get(template_title)
        key = self.keys.get(a["slug"]) if a else None
        if key is None:
            return None
        try:
            article, version = reading.citable(self.db, key=key, now=self.rt.clock.now())
        except DomainError:  # not published yet, or no longer valid: the desk answers without citing
            return None
        return article.id, version.answer, reading.citation(article, version)

    def used(self, article_id: int) -> None:
        service.record_use(self.db, article_id=article_id)

    def summary(self) -> str:
        total = self.db.execute(select(func.count(Article.id))).scalar_one()
        published = self.db.execute(select(func.count(Article.id))
                                    .where(Article.published_version_id.is_not(None))).scalar_one()
        unanswered = self.db.execute(select(func.count(UnansweredQuestion.id))).scalar_one()
        return f"知识库已生成（{total} 条，其中已发布 {published} 条；知识盲区 {unanswered} 个问题）"
