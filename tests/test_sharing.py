"""信息共享: data-sharing accounts and the ticket feed they read (hotline.sharing)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from hotline.security.models import AuditEntry
from hotline.sharing.feed import FEED_LAG
from tests.test_pages import dispatch_to, login, new_ticket, post_page


def _account(client: Any, as_user: Any, username: str, **scope: str) -> str:
    r = client.post("/api/v1/machine-accounts", headers=as_user("admin"),
                    json={"username": username, "role": "data_sharing", **scope})
    assert r.status_code == 201, r.text
    return r.json()["key"]


def _feed(client: Any, key: str, after: int = 0, **params: Any) -> dict[str, Any]:
    r = client.get("/api/share/v1/events", params={"after": after, **params},
                   headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    return r.json()


def _two_tickets(client: Any, as_user: Any, org: Any) -> tuple[dict, dict]:
    """One in 玄武区 for 市房产局, one in 秦淮区 for 市市场监管局."""
    xuanwu = new_ticket(client, as_user, requester_phone="13912345678")
    qinhuai = new_ticket(client, as_user, address="秦淮区夫子庙贡院街1号", jurisdiction_code="320104")
    dispatch_to(client, as_user, xuanwu, org.units["housing"].id)
    dispatch_to(client, as_user, qinhuai, org.units["market"].id)
    return xuanwu, qinhuai


def test_each_account_reads_the_steps_of_the_tickets_in_its_scope_in_order(client, as_user, org, clock) -> None:  # type: ignore[no-untyped-def]
    city = _account(client, as_user, "bigdata-feed")
    housing = _account(client, as_user, "fcj-feed", unit_code="fcj")
    district = _account(client, as_user, "xuanwu-feed", jurisdiction_code="320102")
    xuanwu, qinhuai = _two_tickets(client, as_user, org)

    # Just written: not served yet (a transaction may still be writing an earlier event number).
    fresh = _feed(client, city)
    assert fresh["events"] == [] and fresh["has_more"] is False
    clock.advance(FEED_LAG + timedelta(seconds=1))

    page = _feed(client, city)
    numbers = [e["ticket_number"] for e in page["events"]]
    ids = [e["id"] for e in page["events"]]
    assert fresh["next_after"] < ids[0]  # the cursor had stopped before them
    assert ids == sorted(ids) and set(numbers) == {xuanwu["number"], qinhuai["number"]}
    assert [e["action"] for e in page["events"] if e["ticket_number"] == xuanwu["number"]] == ["register", "dispatch"]
    assert page["next_after"] == ids[-1] and page["has_more"] is False
    shared = page["tickets"][xuanwu["number"]]
    assert shared["requester_phone"] == "139****5678" and shared["personal_data_masked"] is True
    assert shared["lead_unit"] == "市房产局" and shared["content"] == xuanwu["content"]

    assert {e["ticket_number"] for e in _feed(client, housing)["events"]} == {xuanwu["number"]}
    assert {e["ticket_number"] for e in _feed(client, district)["events"]} == {xuanwu["number"]}

    # Reading on from the cursor gives only what happened since.
    assert _feed(client, city, after=page["next_after"])["events"] == []
    r = client.post(f"/api/v1/tickets/{xuanwu['id']}/actions/acknowledge", headers=as_user("housing_handler"),
                    json={})
    assert r.status_code == 200, r.text
    clock.advance(FEED_LAG + timedelta(seconds=1))
    later = _feed(client, housing, after=page["next_after"])
    assert [(e["ticket_number"], e["action"]) for e in later["events"]] == [(xuanwu["number"], "acknowledge")]
    assert later["tickets"][xuanwu["number"]]["acknowledged_at"] is not None


def test_pages_follow_the_cursor_and_skip_other_scopes(client, as_user, org, clock) -> None:  # type: ignore[no-untyped-def]
    housing = _account(client, as_user, "fcj-pages", unit_code="fcj")
    xuanwu, _ = _two_tickets(client, as_user, org)
    clock.advance(FEED_LAG + timedelta(seconds=1))
    first = _feed(client, housing, limit=1)
    assert len(first["events"]) == 1 and first["has_more"] is True
    second = _feed(client, housing, after=first["next_after"], limit=1)
    assert len(second["events"]) == 1 and second["has_more"] is False
    assert second["events"][0]["id"] > first["events"][0]["id"]
    # The cursor moved past the other ticket's events too: the next read starts after all of them.
    city = _account(client, as_user, "city-pages")
    assert second["next_after"] == _feed(client, city)["next_after"]
    assert _feed(client, housing, after=second["next_after"])["events"] == []
    assert xuanwu["number"] in second["tickets"]


def test_the_cursor_stops_before_an_event_still_within_the_lag(client, as_user, org, clock) -> None:  # type: ignore[no-untyped-def]
    city = _account(client, as_user, "city-lag")
    first = new_ticket(client, as_user)
    clock.advance(FEED_LAG + timedelta(seconds=1))
    dispatch_to(client, as_user, first, org.units["housing"].id)  # written now: within the lag
    page = _feed(client, city)
    assert [e["action"] for e in page["events"]] == ["register"]
    assert page["next_after"] == page["events"][0]["id"]  # not past the dispatch still within the lag
    assert datetime.fromisoformat(page["complete_until"]) == clock.now() - FEED_LAG
    clock.advance(FEED_LAG + timedelta(seconds=1))
    assert [e["action"] for e in _feed(client, city, after=page["next_after"])["events"]] == ["dispatch"]


def test_only_data_sharing_accounts_read_the_feed_and_they_read_nothing_else(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    key = _account(client, as_user, "feed-only")
    r = client.get("/api/share/v1/events", headers=as_user("supervisor"))
    assert r.status_code == 403 and "数据共享接口账号" in r.json()["message"]
    assert client.get("/api/share/v1/events").status_code == 401
    bearer = {"Authorization": f"Bearer {key}"}
    r = client.get("/api/v1/tickets", headers=bearer)
    assert r.status_code == 403 and r.json()["code"] == "machine_account" and "/api/share" in r.json()["message"]
    channel = client.post("/api/v1/machine-accounts", headers=as_user("admin"),
                          json={"username": "an-app", "role": "channel"}).json()["key"]
    r = client.get("/api/share/v1/events", headers={"Authorization": f"Bearer {channel}"})
    assert r.status_code == 403 and r.json()["code"] == "machine_account"
    for params in ({"after": -1}, {"limit": 0}, {"limit": 501}):
        assert client.get("/api/share/v1/events", params=params, headers=bearer).status_code == 422, params


def test_every_read_that_returns_events_is_audited(client, as_user, org, clock, db) -> None:  # type: ignore[no-untyped-def]
    key = _account(client, as_user, "audited-feed")
    new_ticket(client, as_user)
    _feed(client, key)  # nothing ready yet: nothing to record
    clock.advance(FEED_LAG + timedelta(seconds=1))
    page = _feed(client, key)
    db.rollback()
    entries = db.execute(select(AuditEntry).where(AuditEntry.action == "share_read")).scalars().all()
    assert len(entries) == 1 and entries[0].username == "audited-feed"
    assert f"#{page['events'][0]['id']}" in entries[0].detail and "工单 1 件" in entries[0].detail
    db.rollback()


def test_an_accounts_scope_is_checked_when_it_is_created(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    def create(**body: str) -> Any:
        return client.post("/api/v1/machine-accounts", headers=as_user("admin"),
                           json={"username": "scope-check", **body})

    r = create(role="data_sharing", unit_code="fcj", jurisdiction_code="320102")
    assert r.status_code == 400 and "选其一" in r.json()["message"]
    r = create(role="data_sharing", unit_code="nope")
    assert r.status_code == 400 and "没有代码为 nope 的单位" in r.json()["message"]
    r = create(role="data_sharing", jurisdiction_code="999999")
    assert r.status_code == 400 and "没有代码为 999999 的辖区" in r.json()["message"]
    r = create(role="channel", unit_code="fcj")
    assert r.status_code == 400 and "只有数据共享接口账号" in r.json()["message"]
    ok = create(role="data_sharing", jurisdiction_code="320102")
    assert ok.status_code == 201 and ok.json()["account"]["data_scope"] == "本辖区：玄武区"


def test_the_admin_page_creates_a_unit_feed_and_shows_its_scope(client, org) -> None:  # type: ignore[no-untyped-def]
    login(client, "admin")
    r = post_page(client, "/admin/machines", "/admin/machines",
                  {"role": "data_sharing", "username": "fcj-system", "display_name": "房产局业务系统",
                   "unit_code": "fcj"})
    assert r.status_code == 200 and "本单位：南京市住房保障和房产局" in r.text and "Authorization: Bearer" in r.text
    listing = client.get("/admin/machines").text
    assert "fcj-system" in listing and "本单位：南京市住房保障和房产局" in listing
    bad = post_page(client, "/admin/machines", "/admin/machines",
                    {"role": "data_sharing", "username": "bad-scope", "unit_code": "nope"})
    assert bad.status_code == 400 and "没有代码为 nope 的单位" in bad.text and 'value="bad-scope"' in bad.text


def test_the_command_line_creates_a_scoped_account_and_keeps_its_scope(tmp_path, monkeypatch, org) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from hotline.cli import app as cli_app

    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'share.db'}")
    runner = CliRunner()
    first = runner.invoke(cli_app, ["share", "account", "bigdata", "--name", "市大数据局"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli_app, ["share", "account", "bigdata"])  # rotates; the scope stays the city
    assert again.exit_code == 0 and again.output.strip() != first.output.strip()
    changed = runner.invoke(cli_app, ["share", "account", "bigdata", "--jurisdiction", "320102"])
    assert changed.exit_code != 0


# ---- the requester masked in the events' notes and the ticket's texts ---------------------------------------

NAME, PHONE = "欧阳明远", "13755501234"  # names no other test uses: the city feed reads every test's tickets
OTHER_NAME, OTHER_PHONE = "司马青云", "13600001234"


def _to_the_end(client: Any, key: str) -> int:
    """The cursor after everything ready now (the history of the tests before)."""
    after = 0
    while True:
        page = _feed(client, key, after=after, limit=500)
        after = page["next_after"]
        if not page["has_more"]:
            return after


def named_ticket(client: Any, as_user: Any, org: Any) -> tuple[dict, dict]:
    """A ticket whose requester writes their name and phone in the request and whose reply names them, and
    another requester's ticket merged into it; handled by 市房产局 and closed."""
    t = new_ticket(client, as_user, requester_name=NAME, requester_phone=PHONE, title=f"{NAME}反映楼下餐馆夜间噪音",
                   content=f"我是{NAME}，楼下餐馆每晚排风扇噪音很大，影响休息，请处理后回电{PHONE}。",
                   circumstances=f"{NAME}多次与店家沟通无果。")
    other = new_ticket(client, as_user, requester_name=OTHER_NAME, requester_phone=OTHER_PHONE,
                       title=f"{OTHER_NAME}：餐馆排风扇半夜还在响")
    r = client.post(f"/api/v1/tickets/{other['id']}/actions/merge", headers=as_user("operator"),
                    json={"parent_number": t["number"]})
    assert r.status_code == 200, r.text
    dispatch_to(client, as_user, t, org.units["housing"].id)
    for who, action, body in (("housing_handler", "acknowledge", {}),
                              ("housing_handler", "reply", {"content": f"{NAME}您好，已责令餐馆加装消声设备，"
                                                                       f"如仍有噪音请拨打12345，我们将致电{PHONE}回访。"}),
                              ("dispatcher", "close", {})):
        r = client.post(f"/api/v1/tickets/{t['id']}/actions/{action}", headers=as_user(who), json=body)
        assert r.status_code == 200, r.text
    return t, other


def test_the_feed_masks_the_requester_in_notes_event_data_and_the_tickets_texts(client, as_user, org,
                                                                                 clock) -> None:  # type: ignore[no-untyped-def]
    """The ticket's requester fields were masked, but a reply "欧阳明远您好 … 13755501234" went out in clear as
    the reply event's note, and so did the citizen's own words (title, content) and the reply on the ticket."""
    city = _account(client, as_user, "mask-feed")
    clock.advance(FEED_LAG + timedelta(seconds=1))
    start = _to_the_end(client, city)
    t, other = named_ticket(client, as_user, org)
    clock.advance(FEED_LAG + timedelta(seconds=1))

    r = client.get("/api/share/v1/events", params={"after": start, "limit": 500},
                   headers={"Authorization": f"Bearer {city}"})
    assert r.status_code == 200, r.text
    for clear in (NAME, PHONE, OTHER_NAME, OTHER_PHONE):
        assert clear not in r.text, clear
    page = r.json()
    assert [e["action"] for e in page["events"] if e["ticket_number"] == t["number"]] == [
        "register", "dispatch", "acknowledge", "reply", "close"]
    assert [e["action"] for e in page["events"] if e["ticket_number"] == other["number"]] == ["register", "merge"]
    reply = "欧***您好，已责令餐馆加装消声设备，如仍有噪音请拨打12345，我们将致电137****1234回访。"
    assert [e["note"] for e in page["events"] if e["action"] == "reply"] == [reply]
    registered = {e["ticket_number"]: e["note"] for e in page["events"] if e["action"] == "register"}
    assert registered == {t["number"]: "欧***反映楼下餐馆夜间噪音", other["number"]: "司***：餐馆排风扇半夜还在响"}
    shared = page["tickets"][t["number"]]
    assert (shared["requester_name"], shared["requester_phone"]) == ("欧***", "137****1234")
    assert shared["title"] == "欧***反映楼下餐馆夜间噪音"
    assert shared["content"] == "我是欧***，楼下餐馆每晚排风扇噪音很大，影响休息，请处理后回电137****1234。"
    assert shared["circumstances"] == "欧***多次与店家沟通无果。"
    assert shared["reply_content"] == reply and [a["reply_content"] for a in shared["assignments"]] == [reply]
    assert shared["address"] == t["address"]  # the place is shared as written
    assert [m["title"] for m in shared["merged_tickets"]] == ["司***：餐馆排风扇半夜还在响"]
    assert page["tickets"][other["number"]]["title"] == "司***：餐馆排风扇半夜还在响"

    # Nothing is lost: the ticket keeps the words as written, and the handling unit reads them there.
    detail = client.get(f"/api/v1/tickets/{t['id']}", headers=as_user("dispatcher")).json()
    assert detail["content"].startswith(f"我是{NAME}") and detail["reply_content"].startswith(f"{NAME}您好")
