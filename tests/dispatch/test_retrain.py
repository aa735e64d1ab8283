"""Retraining from closed tickets, and a category model feeding the suggestion."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import update

from hotline.dispatch.model import ClassifierConfig, TrainingError
from hotline.dispatch.retrain import closed_examples, retrain
from hotline.security.actor import Actor
from hotline.tickets.models import Ticket
from tests.factories import intake

TOPICS = {
    "010201": ["工地夜间施工噪声扰民", "建筑工地凌晨还在打桩", "工地施工噪音太大影响休息", "渣土车夜间施工吵闹"],
    "020102": ["餐馆油烟直排扰民", "饭店油烟熏到楼上住户", "烧烤店油烟很大", "楼下餐饮店排油烟"],
    "030101": ["公交站点撤销出行不便", "公交线路调整后没有车", "希望增设公交站台", "公交车班次太少"],
}


def _closed_history(client, as_user, db, per_topic: int = 24) -> None:
    rng = random.Random(7)
    for code, phrases in TOPICS.items():
        for i in range(per_topic):
            phrase = rng.choice(phrases)
            r = client.post("/api/v1/tickets", headers=as_user("operator"),
                            json=intake(category_code=code, title=phrase,
                                        content=f"{phrase}，第{i}次反映，请尽快处理。"))
            assert r.status_code == 201, r.text
    db.rollback()
    db.execute(update(Ticket).values(state="finished"))
    db.commit()


def test_retrain_learns_from_closed_tickets_and_feeds_suggestions(client, as_user, db, rt, tmp_path) -> None:
    _closed_history(client, as_user, db)
    ex = closed_examples(db, level=3, min_per_class=10)
    assert sorted(set(ex.labels)) == sorted(TOPICS) and len(ex.labels) == 72
    db.rollback()
    path = tmp_path / "category.joblib"
    meta = retrain(db, model_path=path, level=3, min_per_class=10, config=ClassifierConfig(folds=3, n_jobs=1))
    db.rollback()
    assert meta["label_kind"] == "category" and meta["training_data"]["rows_used"] == 72
    assert meta["cross_validation"]["richest_view"]["accuracy"] > 0.8

    from hotline.dispatch import suggest

    rt.settings.dispatch_model = path
    try:
        s = suggest.suggest(db, rt, actor=Actor.system(), title="楼下烧烤店油烟太大",
                            content="每天晚上油烟熏得没法开窗", address="玄武区")
        db.rollback()  # end the read (SQLite: a writer waits for it)
        # The dispatcher sees the prediction with its confidence and the alternatives.
        from tests.test_pages import login

        r = client.post("/api/v1/tickets", headers=as_user("operator"),
                        json={**intake(title="楼下烧烤店油烟太大", content="每天晚上油烟熏得没法开窗，请处理。")})
        login(client, "dispatcher")
        page = client.get(f"/tickets/{r.json()['number']}").text
    finally:
        rt.settings.dispatch_model = None
    assert s.category and s.category.source == "model" and s.category.code == "020102"
    assert "模型预测，把握" in page and "候选：" in page


def test_retrain_refuses_too_little_history(db, tmp_path) -> None:
    with pytest.raises(TrainingError) as exc:
        retrain(db, model_path=tmp_path / "m.joblib", min_per_class=5)
    assert "不足" in str(exc.value) and "达到每类件数的" in str(exc.value)
    with pytest.raises(TrainingError):
        closed_examples(db, label="colour")
