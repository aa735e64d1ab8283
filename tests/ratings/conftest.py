"""Tickets handled through to 办结 and rated by the public, for the 好差评 tests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import intake

HANDLERS = {"housing": "housing_handler", "market": "market_handler"}


@pytest.fixture()
def rated(client, as_user, org, clock):  # type: ignore[no-untyped-def]
    """rated(unit, level, comment=None, **intake) -> the ticket's JSON once the public rated it."""

    def make(unit: str, level: str, comment: str | None = None, **overrides):  # type: ignore[no-untyped-def]
        r = client.post("/api/v1/tickets", headers=as_user("operator"),
                        json=intake(dispatch={"lead_unit_id": org.units[unit].id}, **overrides))
        assert r.status_code == 201, r.text
        t = r.json()
        for who, action, body in ((HANDLERS[unit], "acknowledge", {}),
                                  (HANDLERS[unit], "reply", {"content": "已到现场核查处理，问题已经解决。"}),
                                  ("dispatcher", "close", {})):
            r = client.post(f"/api/v1/tickets/{t['id']}/actions/{action}", headers=as_user(who), json=body)
            assert r.status_code == 200, r.text
        clock.advance(timedelta(minutes=10))
        r = client.post("/api/v1/public/rate", json={"number": t["number"], "phone_last4": "5678",
                                                       "satisfaction": level, "comment": comment})
        assert r.status_code == 200, r.text
        return t

    return make
