"""Knowledge-base fixtures: the kb tables are emptied (and the search indexes forgotten) after each
test; helpers to draft and publish articles through the real service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.knowledge import import_jobs, search, semantic, service
from hotline.knowledge.models import (
    Article,
    ArticleEvent,
    ArticleReport,
    ArticleVersion,
    ImportJob,
    ImportJobRow,
    TextVector,
    UnansweredQuestion,
)
from hotline.knowledge.schemas import ArticleCreate
from hotline.runtime import Runtime
from hotline.supervision.models import Notification
from tests.factories import Org

# Notifications too: error reports and the expiry sweep tell owning units (knowledge/expiry.py).
KB_TABLES = (ImportJobRow, ImportJob, ArticleReport, ArticleEvent, ArticleVersion, Article, UnansweredQuestion,
             TextVector, Notification)


@pytest.fixture(autouse=True)
def _clean_kb(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "engine" not in request.fixturenames:
        return
    engine: Engine = request.getfixturevalue("engine")
    import_jobs.wait(timeout=30)  # a job's thread left running would write into the next test
    with engine.begin() as conn:
        for table in KB_TABLES:
            conn.execute(delete(table))
    search.reset_all()
    semantic.forget()


def article_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "questions": ["住房公积金怎么提取？"],
        "phrasings": ["公积金能取出来吗", "怎么把公积金取出来用"],
        "answer": "职工购买、建造、翻建、大修自住住房，或偿还购房贷款本息，可以申请提取住房公积金。"
                  "请携带身份证和相关证明材料到公积金管理中心服务网点办理，也可在网上服务大厅申请。",
        "policy_basis": "《住房公积金管理条例》第二十四条",
        "policy_source": "国务院令第350号",
        "category_code": "0301",
        "audience": "public",
        "tags": ["公积金"],
    }
    data.update(overrides)
    return data


@pytest.fixture()
def publish(db: Session, rt: Runtime, org: Org) -> Callable[..., Article]:
    """Draft (by the housing unit), submit and approve (by the centre's supervisor) an article."""

    def make(drafter: str = "housing_handler", reviewer: str = "supervisor", **overrides: Any) -> Article:
        data = ArticleCreate(**article_data(**overrides))
        article = service.create(db, rt, actor=org.actor(drafter), data=data)
        service.submit(db, rt, actor=org.actor(drafter), article_id=article.id)
        return service.approve(db, rt, actor=org.actor(reviewer), article_id=article.id)

    return make
