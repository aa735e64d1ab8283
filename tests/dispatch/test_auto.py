"""Automatic dispatch at registration: only when switched on and every check of the suggestion holds."""

from __future__ import annotations

from tests.factories import intake


def test_off_by_default(client, as_user) -> None:
    client.post("/api/v1/dispatch/rules", headers=as_user("dispatcher"),
                json={"category_prefix": "01", "lead_unit_code": "fcj"})
    r = client.post("/api/v1/tickets", headers=as_user("operator"), json=intake(category_code="010201"))
    assert r.status_code == 201 and r.json()["state"] == "registered"


def test_sure_tickets_are_dispatched_with_the_rule_cited(client, as_user, settings, monkeypatch, org) -> None:
    monkeypatch.setattr(settings, "auto_dispatch", True)
    client.post("/api/v1/dispatch/rules", headers=as_user("dispatcher"),
                json={"category_prefix": "01", "lead_unit_code": "fcj", "assisting_unit_codes": ["xlw"]})
    r = client.post("/api/v1/tickets", headers=as_user("operator"), json=intake(category_code="010201"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "dispatched" and body["lead_unit"] == org.units["housing"].short_name
    events = client.get(f"/api/v1/tickets/{body['id']}/events", headers=as_user("operator")).json()
    dispatch = [e for e in events if e["action"] == "dispatch"][0]
    assert dispatch["actor_name"] == "系统" and "自动派单：市房产局：分类「城乡建设」，全市" in dispatch["note"]

    # The same matter again is a duplicate candidate: left for the dispatcher.
    r = client.post("/api/v1/tickets", headers=as_user("operator"), json=intake(category_code="010201"))
    assert r.json()["state"] == "registered"
    # A screening hit in 事情经过 alone holds the ticket too, as one in the content does.
    r = client.post("/api/v1/tickets", headers=as_user("operator"),
                    json=intake(category_code="010201", title="小区门口路面塌陷", content="路面塌了一个大坑",
                                circumstances="邻居说物业的人晚上聚众赌博，没人管这个坑"))
    assert r.json()["state"] == "registered"
    s = client.get(f"/api/v1/dispatch/tickets/{r.json()['id']}/suggestion", headers=as_user("dispatcher")).json()
    assert [h["code"] for h in s["screening"]] == ["public_order"] and s["auto_dispatch"] is False
    assert s["reasons"][0].startswith("受理范围提示：治安违法行为")
    # No category: no automatic dispatch (no model configured).
    r = client.post("/api/v1/tickets", headers=as_user("operator"),
                    json=intake(title="咨询其他事项", content="这是一个完全不同的事情，想问问办事流程和所需材料。"))
    assert r.json()["state"] == "registered"


def test_the_place_read_from_the_text_is_kept_on_the_ticket(client, as_user, settings, monkeypatch, org) -> None:
    monkeypatch.setattr(settings, "auto_dispatch", True)
    client.post("/api/v1/dispatch/rules", headers=as_user("dispatcher"),
                json={"category_prefix": "01", "lead_unit_code": "fcj"})
    r = client.post("/api/v1/tickets", headers=as_user("operator"),
                    json=intake(category_code="010201", jurisdiction_code=None, address="玄武区孝陵卫街道钟灵街50号"))
    body = r.json()
    assert body["state"] == "dispatched", body
    assert body["jurisdiction"] == "孝陵卫街道"  # in the registration's own answer too (QA: it was null)
    ticket = client.get(f"/api/v1/tickets/{body['id']}", headers=as_user("operator")).json()
    assert ticket["jurisdiction"] == "孝陵卫街道"
    events = client.get(f"/api/v1/tickets/{body['id']}/events", headers=as_user("operator")).json()
    assert "属地定为「孝陵卫街道」" in [e for e in events if e["action"] == "dispatch"][0]["note"]


def test_a_category_coarser_than_the_catalogue_waits_for_a_person(client, as_user, settings, monkeypatch) -> None:
    monkeypatch.setattr(settings, "auto_dispatch", True)
    for body in ({"category_prefix": "0102", "lead_unit_code": "fcj"},
                 {"jurisdiction_code": "320102001", "lead_unit_code": "xlw"}):
        assert client.post("/api/v1/dispatch/rules", headers=as_user("dispatcher"), json=body).status_code == 201
    r = client.post("/api/v1/tickets", headers=as_user("operator"), json=intake(category_code="01"))
    assert r.json()["state"] == "registered"  # not to the street's catch-all rule
    s = client.get(f"/api/v1/dispatch/tickets/{r.json()['id']}/suggestion", headers=as_user("dispatcher")).json()
    assert s["auto_dispatch"] is False and any("不够具体" in x for x in s["reasons"])


def test_a_predicted_category_below_even_odds_picks_no_unit(client, as_user, db, rt, monkeypatch) -> None:
    from hotline.dispatch import suggest
    from hotline.security.actor import Actor

    client.post("/api/v1/dispatch/rules", headers=as_user("dispatcher"),
                json={"category_prefix": "01", "lead_unit_code": "fcj"})
    for confidence, lead in ((0.3, None), (0.8, "市房产局")):
        guess = suggest.CategoryGuess(code="0102", name="城乡建设 / 建筑工程管理", source="model",
                                      confidence=confidence, auto_dispatch=False)
        monkeypatch.setattr(suggest, "predict_category", lambda rt, title, content, g=guess: g)
        s = suggest.suggest(db, rt, actor=Actor.system(), title="工地夜间施工", content="噪音扰民")
        assert (s.decision.chosen.lead_unit_name if s.decision else None) == lead
        assert any("未据以匹配派单目录" in r for r in s.reasons) == (lead is None)
        # a category not used is not blamed: no rule was asked for it, and its level does not matter
        assert not any("覆盖该分类" in r or "不够具体" in r for r in s.reasons)
    db.rollback()


def test_an_unsure_category_never_dispatches_automatically(client, as_user, db, rt, monkeypatch) -> None:
    """QA: a title alone, 8% for the category, was marked 可自动派单 by the street's catch-all rule."""
    from hotline.dispatch import suggest
    from hotline.security.actor import Actor

    client.post("/api/v1/dispatch/rules", headers=as_user("dispatcher"),
                json={"jurisdiction_code": "320102001", "lead_unit_code": "xlw"})
    guess = suggest.CategoryGuess(code="0203", name="环境保护 / 噪声污染", source="model", confidence=0.08,
                                  auto_dispatch=True)  # the model's own title-only threshold was that low
    monkeypatch.setattr(suggest, "predict_category", lambda rt, title, content: guess)
    s = suggest.suggest(db, rt, actor=Actor.system(), title="噪音", content="", address="玄武区孝陵卫街道")
    assert s.decision is not None and s.decision.chosen.lead_unit_name == "孝陵卫街道"
    assert s.auto_dispatch is False and s.tentative and "分类未定" in s.tentative
    assert s.relied_on == {"jurisdiction_code": "320102001"}
    # and an 8% category is no proposal at all: shown as the model's guess, no button to take it
    assert suggest.as_dict(db, s)["category"]["proposed"] is False
    # An emergency's proposal is tentative too: the caller is transferred first.
    s = suggest.suggest(db, rt, actor=Actor.system(), title="着火了", content="楼下饭店着火了，火很大",
                        address="玄武区孝陵卫街道")
    assert s.tentative and "紧急" in s.tentative
    db.rollback()
