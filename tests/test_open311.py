"""Open311 GeoReport v2: services from the category tree, a request becomes an ordinary ticket with the
usual intake checks, a client reads back only its own requests, errors in GeoReport's shape."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from hotline.clock import CHINA_TZ
from hotline.db import make_session_factory
from hotline.org import service as org_service
from hotline.org.models import User
from hotline.security.roles import DataScope, Role
from hotline.tickets.models import Ticket
from tests.factories import intake

BASE = "/open311/v2"


@pytest.fixture(scope="module")
def keys(engine: Engine, org) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Two channel accounts (two integrating systems) and their api_keys."""
    db = make_session_factory(engine)()
    try:
        out = {}
        for name in ("open311_city_app", "open311_other_app"):
            user = db.execute(select(User).where(User.username == name)).unique().scalar_one_or_none()
            if user is None:
                user = org_service.add_user(db, username=name, password="not-used-0123456789", display_name=name,
                                            role=Role.CHANNEL, data_scope=DataScope.OWN_UNIT)
                db.commit()
            out[name] = org_service.issue_token(db, user=user, now=datetime(2026, 12, 31, tzinfo=CHINA_TZ))
        return out
    finally:
        db.close()


@pytest.fixture(scope="module")
def service_code() -> str:
    from hotline.open311.service import services

    return next(c.code for c in services() if c.level == 2)


def report(key: str, code: str, **extra: str) -> dict[str, str]:
    form = {"api_key": key, "service_code": code, "description": "小区门口路灯连续三晚不亮，夜间行人看不清路面。",
            "address_string": "玄武区孝陵卫街道钟灵街50号", "last_name": "王", "first_name": "芳",
            "phone": "13812345678", "attribute[occurred_desc]": "近三天每晚",
            "attribute[circumstances]": "晚上七点后整条路漆黑，已有老人摔倒。"}
    form.update(extra)
    return form


def count(db) -> int:  # type: ignore[no-untyped-def]
    n = db.scalar(select(func.count()).select_from(Ticket))
    db.rollback()
    return int(n or 0)


def test_services_and_their_definition(client, service_code) -> None:  # type: ignore[no-untyped-def]
    listed = client.get(f"{BASE}/services.json").json()
    codes = {s["service_code"] for s in listed}
    assert service_code in codes and all(s["metadata"] and s["type"] == "realtime" for s in listed)
    first = next(s for s in listed if s["service_code"] == service_code)
    assert first["group"] and " / " in first["description"]
    definition = client.get(f"{BASE}/services/{service_code}.json").json()
    attrs = {a["code"]: a for a in definition["attributes"]}
    assert set(attrs) == {"kind", "title", "occurred_desc", "circumstances"}
    assert {"key": "complaint", "name": "投诉"} in attrs["kind"]["values"]
    r = client.get(f"{BASE}/services/99.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404 and "99" in r.json()[0]["description"]
    assert client.get(f"{BASE}/discovery.json").json()["endpoints"][0]["formats"] == ["application/json"]


def test_a_request_becomes_a_ticket_and_is_followed(client, keys, service_code, db, as_user, org,
                                                    clock) -> None:  # type: ignore[no-untyped-def]
    key = keys["open311_city_app"]
    r = client.post(f"{BASE}/requests.json", data=report(key, service_code, lat="32.04", long="118.85",
                                                         media_url="https://example.org/p/1.jpg"))
    assert r.status_code == 201, r.text
    [created] = r.json()
    number = created["service_request_id"]
    assert number.startswith("NJ") and number in created["service_notice"]
    ticket = db.scalars(select(Ticket).where(Ticket.number == number)).one()
    assert (ticket.channel, ticket.kind, ticket.category_code) == ("open311", "help", service_code)
    assert ticket.requester_name == "王芳" and not ticket.requester_anonymous
    assert ticket.address == "玄武区孝陵卫街道钟灵街50号"
    assert "位置：经纬度 32.040000,118.850000" in ticket.content
    assert "附图：https://example.org/p/1.jpg" in ticket.content
    assert ticket.title.startswith("小区门口路灯")
    tid = ticket.id
    db.rollback()

    [seen] = client.get(f"{BASE}/requests/{number}.json", params={"api_key": key}).json()
    assert seen["status"] == "open" and seen["status_notes"] == "待派单" and seen["service_code"] == service_code
    # the location sent comes back where GeoReport clients read it; times in Beijing time
    assert (seen["lat"], seen["long"]) == (32.04, 118.85) and seen["requested_datetime"].endswith("+08:00")
    assert seen["media_url"] == "https://example.org/p/1.jpg"  # QA: came back null

    # Through the loop at 12345 and the unit; the client then sees the reply.
    assert client.post(f"/api/v1/tickets/{tid}/actions/dispatch", headers=as_user("dispatcher"),
                       json={"lead_unit_id": org.units["housing"].id}).status_code == 200
    [seen] = client.get(f"{BASE}/requests/{number}.json", params={"api_key": key}).json()
    assert seen["agency_responsible"] == "南京市住房保障和房产局" and seen["expected_datetime"]
    clock.advance(timedelta(hours=2))
    client.post(f"/api/v1/tickets/{tid}/actions/acknowledge", headers=as_user("housing_handler"), json={})
    client.post(f"/api/v1/tickets/{tid}/actions/reply", headers=as_user("housing_handler"),
                json={"content": "已更换路灯控制器，当晚恢复照明。"})
    assert client.post(f"/api/v1/tickets/{tid}/actions/close", headers=as_user("dispatcher"),
                       json={}).json()["state"] == "closed"
    [seen] = client.get(f"{BASE}/requests.json", params={"api_key": key, "status": "closed"}).json()
    assert seen["status"] == "closed" and seen["status_notes"] == "已更换路灯控制器，当晚恢复照明。"
    assert seen["expected_datetime"] is None
    assert client.get(f"{BASE}/requests.json", params={"api_key": key, "status": "open"}).json() == []


def test_a_client_sees_only_its_own_requests(client, keys, service_code, as_user) -> None:  # type: ignore[no-untyped-def]
    mine = client.post(f"{BASE}/requests.json", data=report(keys["open311_city_app"], service_code)).json()[0]
    theirs = client.post(f"{BASE}/requests.json", data=report(keys["open311_other_app"], service_code)).json()[0]
    phoned = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()["number"]
    listed = client.get(f"{BASE}/requests.json", params={"api_key": keys["open311_city_app"]}).json()
    assert [x["service_request_id"] for x in listed] == [mine["service_request_id"]]
    ids = ",".join([mine["service_request_id"], theirs["service_request_id"], phoned])
    listed = client.get(f"{BASE}/requests.json", params={"api_key": keys["open311_city_app"],
                                                         "service_request_id": ids}).json()
    assert [x["service_request_id"] for x in listed] == [mine["service_request_id"]]
    r = client.get(f"{BASE}/requests/{theirs['service_request_id']}.json",
                   params={"api_key": keys["open311_city_app"]})
    assert r.status_code == 404


def test_anonymous_and_the_kind_attribute(client, keys, service_code, db) -> None:  # type: ignore[no-untyped-def]
    form = report(keys["open311_city_app"], service_code, **{"attribute[kind]": "建议"})
    for field in ("last_name", "first_name", "phone", "attribute[occurred_desc]", "attribute[circumstances]"):
        form.pop(field)
    r = client.post(f"{BASE}/requests.json", data=form)
    assert r.status_code == 201, r.text
    ticket = db.scalars(select(Ticket).where(Ticket.number == r.json()[0]["service_request_id"])).one()
    assert ticket.kind == "suggestion" and ticket.requester_anonymous and ticket.requester_phone is None
    number = ticket.number
    db.rollback()
    [seen] = client.get(f"{BASE}/requests/{number}.json", params={"api_key": keys["open311_city_app"]}).json()
    assert seen["media_url"] is None and (seen["lat"], seen["long"]) == (None, None)


@pytest.mark.parametrize(("change", "status", "message"), [
    ({"api_key": ""}, 403, "缺少 api_key"),
    ({"api_key": "not-a-token"}, 403, "api_key 无效"),
    ({"service_code": ""}, 400, "缺少 service_code"),
    ({"service_code": "98"}, 404, "service_code 98 不存在"),
    ({"description": " "}, 400, "缺少 description"),
    # QA: 诉求标题过短 too, of a title the client never sent
    ({"description": "路灯"}, 400, "description（诉求内容）过短，至少 5 个字符"),
    ({"attribute[kind]": "闲聊"}, 400, "attribute[kind] 取值“闲聊”无效"),
    ({"attribute[circumstances]": ""}, 400, "受理要素不全，请补充：事情经过"),
    ({"lat": "32.0"}, 400, "lat 和 long 须同时提供"),
    ({"lat": "132.0", "long": "118.8"}, 400, "lat/long 超出范围"),
    # QA: 0,0 (an app with no location fix) and lat/long swapped were taken as the place
    ({"lat": "0", "long": "0", "address_string": ""}, 400, "lat/long（0,0）不在中国境内"),
    ({"lat": "-32.04", "long": "-118.85"}, 400, "不在中国境内"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url 须为 http(s) 地址"),
    ({"phone": "call-me"}, 400, "联系电话"),
    ({"last_name": "", "first_name": " "}, 400, "缺少 last_name / first_name（诉求人姓名）"),  # not 姓名或匿名
])
def test_bad_requests_answer_in_georeport_shape_and_store_nothing(client, keys, service_code, db, change, status,
                                                                  message) -> None:  # type: ignore[no-untyped-def]
    before = count(db)
    form = report(keys["open311_city_app"], service_code)
    form.update(change)
    r = client.post(f"{BASE}/requests.json", data=form)
    assert r.status_code == status, r.text
    [error] = r.json()
    assert error["code"] == status and message in error["description"], error
    assert count(db) == before


def test_staff_tokens_are_not_channel_keys(client, tokens, service_code) -> None:  # type: ignore[no-untyped-def]
    r = client.post(f"{BASE}/requests.json", data=report(tokens["operator"], service_code))
    assert r.status_code == 403 and "不属于渠道接入账号" in r.json()[0]["description"]
    r = client.get(f"{BASE}/requests.json", params={"api_key": tokens["admin"]})
    assert r.status_code == 403


def test_filters_and_idempotency(client, keys, service_code) -> None:  # type: ignore[no-untyped-def]
    key = keys["open311_city_app"]
    headers = {"Idempotency-Key": "app-report-77"}
    first = client.post(f"{BASE}/requests.json", data=report(key, service_code), headers=headers).json()[0]
    again = client.post(f"{BASE}/requests.json", data=report(key, service_code), headers=headers).json()[0]
    assert first["service_request_id"] == again["service_request_id"]
    assert len(client.get(f"{BASE}/requests.json", params={"api_key": key}).json()) == 1
    later = client.get(f"{BASE}/requests.json", params={"api_key": key, "start_date": "2099-01-01T00:00:00Z"})
    assert later.json() == []
    r = client.get(f"{BASE}/requests.json", params={"api_key": key, "start_date": "yesterday"})
    assert r.status_code == 400 and "start_date" in r.json()[0]["description"]
    r = client.get(f"{BASE}/requests.json", params={"api_key": key, "status": "pending"})
    assert r.status_code == 400 and "open 或 closed" in r.json()[0]["description"]


def test_identical_resubmission_is_the_same_request(client, keys, service_code) -> None:  # type: ignore[no-untyped-def]
    """An app that timed out and sends the same form again, without an Idempotency-Key, gets the first
    ticket back; a different text, another phone or another client is a request of its own."""
    key, other = keys["open311_city_app"], keys["open311_other_app"]
    text = "东门外人行道井盖松动，踩上去会翻动，孩子放学经过很危险。"
    first = client.post(f"{BASE}/requests.json", data=report(key, service_code, description=text))
    again = client.post(f"{BASE}/requests.json", data=report(key, service_code, description=text))
    assert first.status_code == again.status_code == 201
    number = first.json()[0]["service_request_id"]
    assert again.json()[0]["service_request_id"] == number
    for form in (report(key, service_code, description=text + "请尽快处理。"),
                 report(key, service_code, description=text, phone="13912345678"),
                 report(other, service_code, description=text)):
        r = client.post(f"{BASE}/requests.json", data=form)
        assert r.status_code == 201 and r.json()[0]["service_request_id"] != number, r.text
    mine = client.get(f"{BASE}/requests.json", params={"api_key": key}).json()
    assert [m["service_request_id"] for m in mine].count(number) == 1


def test_jurisdiction_id_names_this_city_or_nothing(client, keys, service_code) -> None:  # type: ignore[no-untyped-def]
    """This endpoint serves one city: its code or name is taken, another jurisdiction is a 404 (GeoReport),
    not a request filed under this city."""
    key = keys["open311_city_app"]
    for ours in ("nj", "NJ", "南京市", "南京", "testserver"):
        assert client.get(f"{BASE}/services.json", params={"jurisdiction_id": ours}).status_code == 200, ours
    r = client.get(f"{BASE}/services.json", params={"jurisdiction_id": "sfgov.org"})
    assert r.status_code == 404 and "jurisdiction_id sfgov.org 不是本平台的辖区" in r.json()[0]["description"]
    r = client.get(f"{BASE}/requests.json", params={"api_key": key, "jurisdiction_id": "bj"})
    assert r.status_code == 404
    before = len(client.get(f"{BASE}/requests.json", params={"api_key": key}).json())
    r = client.post(f"{BASE}/requests.json", data=report(key, service_code, jurisdiction_id="上海市",
                                                           description="外地辖区的诉求不应登记在本市。"))
    assert r.status_code == 404 and "南京市" in r.json()[0]["description"]
    assert len(client.get(f"{BASE}/requests.json", params={"api_key": key}).json()) == before
    r = client.post(f"{BASE}/requests.json", data=report(key, service_code, jurisdiction_id="nj",
                                                           description="本市辖区的诉求照常受理。"))
    assert r.status_code == 201, r.text


def test_machine_keys_open_nothing_else(client, keys, engine, org) -> None:  # type: ignore[no-untyped-def]
    """An api_key travels in URLs: as a bearer token it must not reach the staff API (internal answers,
    units, registering under another channel). The telephony account keeps only its own routes."""
    channel = {"Authorization": f"Bearer {keys['open311_city_app']}"}
    for method, url, body in (("get", "/api/v1/kb/search?q=车票", None), ("get", "/api/v1/units", None),
                              ("post", "/api/v1/tickets", intake()), ("post", "/api/v1/kb/ask", {"query": "车票"}),
                              ("post", "/api/calls/events", []), ("post", "/api/v1/hotlines/route", {})):
        r = client.request(method.upper(), url, headers=channel, json=body)
        assert r.status_code == 403 and "只能调用 Open311 接口" in r.json()["message"], (url, r.text)
    db = make_session_factory(engine)()
    try:
        user = db.execute(select(User).where(User.username == "open311_telephony")).unique().scalar_one_or_none()
        if user is None:
            user = org_service.add_user(db, username="open311_telephony", password="not-used-0123456789",
                                        display_name="话务平台", role=Role.TELEPHONY, data_scope=DataScope.OWN_UNIT)
            db.commit()
        phone = {"Authorization": "Bearer " + org_service.issue_token(db, user=user,
                                                                    now=datetime(2026, 12, 31, tzinfo=CHINA_TZ))}
    finally:
        db.close()
    r = client.get("/api/v1/kb/search?q=车票", headers=phone)
    assert r.status_code == 403 and "只能推送话务事件" in r.json()["message"]
    assert client.post("/api/calls/events", headers=phone, json=[]).status_code != 403


def test_every_error_keeps_the_georeport_shape(client, keys, service_code) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"{BASE}/requests.json", params={"api_key": "k" * 201})
    assert r.status_code == 400 and isinstance(r.json(), list) and r.json()[0]["code"] == 400, r.text
    r = client.get(f"{BASE}/requests.json", params={"api_key": keys["open311_city_app"],
                                                    "start_date": "0001-01-01T00:00:00+14:00"})
    assert r.status_code == 400 and "start_date" in r.json()[0]["description"]
    r = client.post(f"{BASE}/requests.json", data=report(keys["open311_city_app"], service_code),
                    headers={"Idempotency-Key": "x" * 200})
    assert r.status_code == 400 and r.json()[0]["code"] == 400
    r = client.get(f"{BASE}/nothing-here.json")
    assert r.status_code == 404 and r.json()[0]["code"] == 404


def test_a_long_address_with_coordinates_fits(client, keys, service_code, db) -> None:  # type: ignore[no-untyped-def]
    address = "玄武区孝陵卫街道" + "钟灵街五十号院" * 40
    r = client.post(f"{BASE}/requests.json", data=report(keys["open311_city_app"], service_code,
                                                         address_string=address[:300], lat="32.04", long="118.85"))
    assert r.status_code == 201, r.text
    ticket = db.scalars(select(Ticket).where(Ticket.number == r.json()[0]["service_request_id"])).one()
    assert ticket.address == address[:300] and "位置：经纬度 32.040000,118.850000" in ticket.content
    db.rollback()


def test_issuing_a_key_revokes_the_earlier_ones(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from hotline.cli import app as cli_app
    from hotline.config import Settings
    from hotline.db import make_engine
    from hotline.errors import Unauthenticated

    url = f"sqlite:///{tmp_path / 'keys.db'}"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    runner = CliRunner()
    first = runner.invoke(cli_app, ["open311", "account", "city-app", "--name", "市民App"])
    second = runner.invoke(cli_app, ["open311", "account", "city-app"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    old, new = first.output.strip().splitlines()[-1], second.output.strip().splitlines()[-1]
    engine = make_engine(Settings(database_url=url))
    try:
        with make_session_factory(engine)() as db:
            now = datetime.now(CHINA_TZ)
            assert org_service.actor_for_token(db, token=new, now=now).role == Role.CHANNEL
            with pytest.raises(Unauthenticated):
                org_service.actor_for_token(db, token=old, now=now)
    finally:
        engine.dispose()


def test_the_frameworks_refusals_are_in_chinese_too(client) -> None:  # type: ignore[no-untyped-def]
    """QA: an unknown address and a wrong method said "Not Found" / "Method Not Allowed"."""
    r = client.get("/open311/v2/nothing.json")
    assert r.status_code == 404 and "接口不存在" in r.json()[0]["description"]
    r = client.delete("/open311/v2/requests.json")
    assert r.status_code == 405 and "请求方式" in r.json()[0]["description"] and "GET" in r.headers["allow"]


def test_a_json_body_is_told_to_use_form_fields(client, keys, service_code, db) -> None:  # type: ignore[no-untyped-def]
    """QA: a client posting JSON was told 缺少 api_key although it had sent one."""
    before = count(db)
    r = client.post(f"{BASE}/requests.json", json=report(keys["open311_city_app"], service_code))
    assert r.status_code == 400 and "表单字段" in r.json()[0]["description"] and "JSON" in r.json()[0]["description"]
    assert count(db) == before
    r = client.post(f"{BASE}/requests.json", data=report(keys["open311_city_app"], service_code),
                    files={"media": ("p.jpg", b"x", "image/jpeg")})  # multipart is a form too
    assert r.status_code == 201, r.text


def test_status_lists_and_whole_day_end_dates(client, keys, service_code) -> None:  # type: ignore[no-untyped-def]
    """QA: GeoReport allows status=open,closed (comma delimited), refused as too long; and
    end_date=2026-11-02 (a W3C date) left out the requests of the 2nd itself."""
    key = keys["open311_city_app"]
    number = client.post(f"{BASE}/requests.json", data=report(key, service_code)).json()[0]["service_request_id"]

    def listed(**params: str) -> list[str]:
        r = client.get(f"{BASE}/requests.json", params={"api_key": key, **params})
        assert r.status_code == 200, r.text
        return [x["service_request_id"] for x in r.json()]

    assert listed(status="open,closed") == [number] == listed(status="Open")
    assert listed(status="closed") == []
    r = client.get(f"{BASE}/requests.json", params={"api_key": key, "status": "open,pending"})
    assert r.status_code == 400 and "open 或 closed" in r.json()[0]["description"]
    # submitted on Monday 2 November 2026, 10:00 Beijing time
    assert listed(end_date="2026-11-02") == [number] == listed(start_date="2026-11-02", end_date="2026-11-02")
    assert listed(end_date="2026-11-01") == []
    assert listed(end_date="2026-11-02T09:59:59+08:00") == [] and listed(start_date="2026-11-02T10:00:01+08:00") == []
    assert listed(start_date="2026-11-02T02:00:00Z") == [number]
    # QA: "+08:00" typed into a URL unescaped arrives as " 08:00" and was refused
    r = client.get(f"{BASE}/requests.json?api_key={key}&start_date=2026-11-02T10:00:01+08:00")
    assert r.status_code == 200 and r.json() == []
    r = client.get(f"{BASE}/requests.json?api_key={key}&start_date=2026-11-02T09:59:59+08:00")
    assert [x["service_request_id"] for x in r.json()] == [number]
    r = client.get(f"{BASE}/requests.json", params={"api_key": key, "end_date": "2026-13-01"})
    assert r.status_code == 400 and "end_date" in r.json()[0]["description"]
    # GeoReport: service_request_id "overrides all other arguments"
    assert listed(service_request_id=number, status="closed", start_date="2099-01-01") == [number]


def test_a_form_posted_as_curl_sends_it_keeps_its_chinese(client, keys, service_code, db) -> None:  # type: ignore[no-untyped-def]
    """QA: `curl -d description=小区…` (the docs' example) sends the UTF-8 bytes unescaped, which
    were read as Latin-1 and stored as mojibake; a system declaring GBK is read as GBK."""
    from urllib.parse import quote

    form = report(keys["open311_city_app"], service_code)
    raw = "&".join(f"{quote(k)}={v}" for k, v in form.items()).encode()  # values left unescaped, as curl -d
    r = client.post(f"{BASE}/requests.json", content=raw,
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 201, r.text
    gbk = "&".join(f"{quote(k)}={quote(v, encoding='gbk')}" for k, v in form.items())
    r2 = client.post(f"{BASE}/requests.json", content=gbk.encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=GBK"})
    assert r2.status_code == 201, r2.text
    for created in (r, r2):
        ticket = db.scalars(select(Ticket).where(Ticket.number == created.json()[0]["service_request_id"])).one()
        assert (ticket.content, ticket.address, ticket.requester_name) == (
            form["description"], form["address_string"], "王芳")
    db.rollback()
    before = count(db)
    r = client.post(f"{BASE}/requests.json", content=raw.replace(b"description=", b"description=\xff"),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and "UTF-8" in r.json()[0]["description"]
    assert count(db) == before


def test_a_merged_request_says_where_the_matter_stands(client, keys, service_code, db, as_user,
                                                       org) -> None:  # type: ignore[no-untyped-def]
    """QA: a request merged into another ticket (并单) read back only 已并单."""
    key = keys["open311_city_app"]
    [created] = client.post(f"{BASE}/requests.json", data=report(key, service_code)).json()
    number = created["service_request_id"]
    parent = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    pid = parent["id"]
    tid = db.scalars(select(Ticket.id).where(Ticket.number == number)).one()
    db.rollback()
    assert client.post(f"/api/v1/tickets/{tid}/actions/merge", headers=as_user("operator"),
                       json={"parent_number": parent["number"]}).status_code == 200
    [seen] = client.get(f"{BASE}/requests/{number}.json", params={"api_key": key}).json()
    assert seen["status"] == "closed" and seen["status_notes"] == f"已与工单 {parent['number']} 合并办理（待派单）"
    for who, action, body in (("dispatcher", "dispatch", {"lead_unit_id": org.units["housing"].id}),
                              ("housing_handler", "acknowledge", {}),
                              ("housing_handler", "reply", {"content": "已更换路灯控制器，当晚恢复照明。"}),
                              ("dispatcher", "close", {})):
        r = client.post(f"/api/v1/tickets/{pid}/actions/{action}", headers=as_user(who), json=body)
        assert r.status_code == 200, r.text
    [seen] = client.get(f"{BASE}/requests/{number}.json", params={"api_key": key}).json()
    assert seen["status_notes"] == (f"已与工单 {parent['number']} 合并办理（已办结待回访）："
                                    "已更换路灯控制器，当晚恢复照明。")


def test_the_last_90_days_by_default_and_numbers_as_typed(client, keys, service_code, db) -> None:  # type: ignore[no-untyped-def]
    """GeoReport's defaults: with no date, the last 90 days; QA: a lower-case number in the path was 404."""
    key = keys["open311_city_app"]
    [old] = client.post(f"{BASE}/requests.json", data=report(key, service_code)).json()
    [new] = client.post(f"{BASE}/requests.json",
                        data=report(key, service_code, description="路灯又不亮了，第四晚。")).json()
    # the first one submitted 91 days ago (a key lives shorter than that: the clock cannot move so far)
    ticket = db.scalars(select(Ticket).where(Ticket.number == old["service_request_id"])).one()
    ticket.created_at = ticket.created_at - timedelta(days=91)
    db.commit()
    listed = [r["service_request_id"] for r in client.get(f"{BASE}/requests.json", params={"api_key": key}).json()]
    assert listed == [new["service_request_id"]]
    since = (datetime.now(CHINA_TZ) - timedelta(days=400)).date().isoformat()
    listed = [r["service_request_id"] for r in client.get(f"{BASE}/requests.json",
                                                          params={"api_key": key, "start_date": since}).json()]
    assert listed == [new["service_request_id"], old["service_request_id"]]
    lower = old["service_request_id"].lower()
    [seen] = client.get(f"{BASE}/requests/{lower}.json", params={"api_key": key}).json()
    assert seen["service_request_id"] == old["service_request_id"]  # asked by id, old or not


def test_the_requester_is_masked_in_the_description_and_the_notes(client, keys, service_code, db, as_user,
                                                                  org) -> None:  # type: ignore[no-untyped-def]
    """GeoReport's output carries no personal field (clients publish it), yet the description a citizen wrote
    ("我是王芳 … 13812345678") and a reply to them ("王芳您好") came back as written; so did the answer of
    the ticket a request was merged into, written to that ticket's own requester (张三, 13912345678)."""
    key = keys["open311_city_app"]
    description = "我是王芳，小区门口路灯连续三晚不亮，夜间行人看不清路面，请回电13812345678。"
    [created] = client.post(f"{BASE}/requests.json", data=report(key, service_code, description=description,
                                                                 lat="32.04", long="118.85")).json()
    number = created["service_request_id"]
    ticket = db.scalars(select(Ticket).where(Ticket.number == number)).one()
    tid = ticket.id
    assert ticket.content.startswith(description)  # kept as written: the units read it on the ticket
    db.rollback()
    [seen] = client.get(f"{BASE}/requests/{number}.json", params={"api_key": key}).json()
    assert seen["description"] == ("我是王*，小区门口路灯连续三晚不亮，夜间行人看不清路面，请回电138****5678。"
                                   "\n位置：经纬度 32.040000,118.850000")
    assert (seen["lat"], seen["long"]) == (32.04, 118.85)
    for who, action, body in (("dispatcher", "dispatch", {"lead_unit_id": org.units["housing"].id}),
                              ("housing_handler", "acknowledge", {}),
                              ("housing_handler", "reply", {"content": "王芳您好，已更换路灯控制器，当晚恢复照明。"}),
                              ("dispatcher", "close", {})):
        r = client.post(f"/api/v1/tickets/{tid}/actions/{action}", headers=as_user(who), json=body)
        assert r.status_code == 200, r.text
    [seen] = client.get(f"{BASE}/requests/{number}.json", params={"api_key": key}).json()
    assert seen["status_notes"] == "王*您好，已更换路灯控制器，当晚恢复照明。"

    # A request merged into another requester's ticket reads that ticket's answer, masked.
    [merged] = client.post(f"{BASE}/requests.json", data=report(key, service_code)).json()
    parent = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    mid = db.scalars(select(Ticket.id).where(Ticket.number == merged["service_request_id"])).one()
    db.rollback()
    assert client.post(f"/api/v1/tickets/{mid}/actions/merge", headers=as_user("operator"),
                       json={"parent_number": parent["number"]}).status_code == 200
    for who, action, body in (("dispatcher", "dispatch", {"lead_unit_id": org.units["housing"].id}),
                              ("housing_handler", "acknowledge", {}),
                              ("housing_handler", "reply", {"content": "张三您好，已约谈施工方，如仍有问题请拨打"
                                                                       "12345，我们将致电13912345678回访。"}),
                              ("dispatcher", "close", {})):
        r = client.post(f"/api/v1/tickets/{parent['id']}/actions/{action}", headers=as_user(who), json=body)
        assert r.status_code == 200, r.text
    r = client.get(f"{BASE}/requests/{merged['service_request_id']}.json", params={"api_key": key})
    assert "张三" not in r.text and "13912345678" not in r.text
    assert r.json()[0]["status_notes"] == (f"已与工单 {parent['number']} 合并办理（已办结待回访）："
                                           "张*您好，已约谈施工方，如仍有问题请拨打12345，我们将致电139****5678回访。")
