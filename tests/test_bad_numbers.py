"""Input that only a fuzzer sends still gets a clear 4xx, never a 500: numbers beyond what the database
stores, and control characters that Excel cannot hold."""

from __future__ import annotations

import sqlite3
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy.exc import OperationalError

from tests.factories import intake
from tests.test_pages import login

HUGE = 2**80


def test_ids_and_pages_beyond_the_database_are_a_clear_422(client, as_user) -> None:  # type: ignore[no-untyped-def]
    for url in (f"/api/v1/tickets/{HUGE}", f"/api/v1/queue?page={HUGE}", f"/api/v1/kb/articles/{HUGE}",
                f"/api/v1/tickets?page={HUGE}"):
        who = "housing_handler" if "queue" in url else "supervisor"
        r = client.get(url, headers=as_user(who))
        assert r.status_code in (404, 422), (url, r.status_code, r.text)
        if r.status_code == 422:
            assert r.json()["code"] in ("value_out_of_range", "invalid_request"), r.text


def test_pages_answer_in_html(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "supervisor")
    r = client.get(f"/tickets?page={HUGE}")
    assert r.status_code in (404, 422) and "<html" in r.text.lower()


def test_control_characters_do_not_break_an_excel_export(client, as_user) -> None:  # type: ignore[no-untyped-def]
    body = intake(title="路灯\x0b不亮\x01", content="整条路\x1b晚上漆黑，行人看不清。")
    r = client.post("/api/v1/tickets", json=body,
                    headers=as_user("operator"))
    assert r.status_code == 201, r.text
    r = client.get("/api/v1/exports/tickets.xlsx", headers=as_user("supervisor"))
    assert r.status_code == 200, r.text
    ws = load_workbook(BytesIO(r.content)).active
    column = [c.value for c in ws[1]].index("诉求标题")
    titles = [row[column] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert "路灯不亮" in titles


def test_unreadable_text_is_named(client, as_user) -> None:  # type: ignore[no-untyped-def]
    body = ('{"kind": "consultation", "title": "ab\\udbfccd", "content": "请问如何办理居住证？", '
            '"requester_name": "张三", "requester_phone": "13900000000"}')
    r = client.post("/api/v1/tickets", content=body.encode(),
                    headers=as_user("operator", **{"Content-Type": "application/json"}))
    assert r.status_code == 422 and "诉求标题含有无法识别的字符" in r.json()["message"], r.text


def test_times_beyond_what_the_database_stores_are_a_clear_422(client, as_user) -> None:  # type: ignore[no-untyped-def]
    for url in ("/api/v1/tickets?created_from=0001-01-01T00:00:00%2B14:00",
                "/api/v1/tickets?created_to=9999-12-31T23:59:59-14:00"):
        r = client.get(url, headers=as_user("supervisor"))
        assert r.status_code == 422 and r.json()["code"] in ("value_out_of_range", "invalid_request"), r.text


class _Locked(Exception):
    sqlstate = "55P03"  # PostgreSQL's lock_not_available, as psycopg's errors carry it


@pytest.mark.parametrize("orig", [sqlite3.OperationalError("database is locked"), _Locked("canceling statement")])
def test_a_database_busy_with_another_writer_is_a_chinese_503(client, as_user, monkeypatch, orig) -> None:  # type: ignore[no-untyped-def]
    """Waiting for another writer ran out (a big import on SQLite; a lock on PostgreSQL): the client
    is told to try again, in Chinese, on the API and on pages — not a bare 500."""
    def busy(*args: object, **kwargs: object) -> None:
        raise OperationalError("BEGIN IMMEDIATE", {}, orig)

    monkeypatch.setattr("hotline.tickets.service.search", busy)
    r = client.get("/api/v1/tickets", headers=as_user("supervisor"))
    assert r.status_code == 503 and r.json()["code"] == "busy" and "稍后重试" in r.json()["message"], r.text
    login(client, "supervisor")
    page = client.get("/tickets")
    assert page.status_code == 503 and "系统繁忙" in page.text and "<html" in page.text.lower()


def test_other_database_errors_stay_errors(client, as_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(*args: object, **kwargs: object) -> None:
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: ticket"))

    monkeypatch.setattr("hotline.tickets.service.search", broken)
    with pytest.raises(OperationalError):
        client.get("/api/v1/tickets", headers=as_user("supervisor"))


def test_a_query_time_without_an_offset_is_beijing_time_not_a_500(client, as_user) -> None:  # type: ignore[no-untyped-def]
    for url in ("/api/v1/tickets?created_from=2026-11-01", "/api/v1/tickets?created_to=2026-11-01T08:00:00",
                "/api/v1/audit?since=2026-11-01", "/api/v1/supervision/findings?until=9999-12-31T00:00:00",
                "/api/v1/supervision/findings/by-unit?since=2026-11-01"):
        who = "admin" if "audit" in url else "supervisor"
        r = client.get(url, headers=as_user(who))
        assert r.status_code == 200, (url, r.text)
    r = client.get("/api/v1/tickets?created_from=0001-01-01", headers=as_user("supervisor"))
    assert r.status_code in (200, 422) and (r.status_code == 200 or r.json()["code"] == "value_out_of_range")


def test_half_a_utf16_pair_in_any_json_body_is_refused_before_anything_is_saved(client, as_user) -> None:  # type: ignore[no-untyped-def]
    body = b'{"question": "\\u54a8\\u8be2\\ud800\\u843d\\u6237"}'
    r = client.post("/api/v1/public/kb/chat", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "invalid_text", r.text
    assert r.json()["message"].startswith("问题含有无法识别的字符")  # named as the field's own check names it
    r = client.post("/api/v1/supervision/meetings",
                    headers={**as_user("supervisor"), "content-type": "application/json"},
                    content=b'{"kind":"interview","title":"t","topic":"t","held_at":"2026-11-28T10:00:00+08:00",'
                            b'"host":"h","unit_ids":[],"attendees":["\\ud800"]}')
    assert r.status_code == 422 and r.json()["code"] == "invalid_text"
    assert client.get("/api/v1/supervision/meetings", headers=as_user("supervisor")).status_code == 200
    # a whole pair (an emoji) and a backslash-u written as text are fine
    ok = client.post("/api/v1/public/kb/chat", content='{"question": "公积金\\ud83d\\ude00 \\\\ud800"}'.encode(),
                     headers={"content-type": "application/json"})
    assert ok.status_code == 200, ok.text


def test_an_id_beyond_32_bits_is_the_same_422_on_both_databases(client, as_user) -> None:  # type: ignore[no-untyped-def]
    big = 2**31
    for url in (f"/api/v1/tickets/{big}", f"/api/v1/kb/articles/{big}", f"/api/v1/tickets?unit_id={big}",
                f"/api/v1/kb/articles?owner_unit_id={big}"):
        r = client.get(url, headers=as_user("supervisor"))
        assert r.status_code == 422 and r.json()["code"] == "value_out_of_range", (url, r.text)
    assert client.get(f"/api/v1/tickets/{big - 1}", headers=as_user("supervisor")).status_code == 404
    # the audit log's object id is text (a digest may be all digits): searched, not refused
    assert client.get(f"/api/v1/audit?object_id={big * 10}", headers=as_user("admin")).status_code == 200


def test_an_id_in_the_address_that_is_no_number_is_said_in_chinese(client, as_user) -> None:  # type: ignore[no-untyped-def]
    """QA: /hotlines/abc said line_id须为数字; an id nobody named is 地址中的编号."""
    assert client.get("/api/v1/hotlines/abc", headers=as_user("admin")).json()["message"] == "热线编号须为数字"
    assert client.get("/api/calls/x", headers=as_user("operator")).json()["message"] == "通话编号须为数字"
    r = client.get("/api/v1/blacklist/entries/x", headers=as_user("supervisor"))
    assert r.status_code == 422 and r.json()["message"] == "地址中的编号须为数字"
    login(client, "admin")
    page = client.get("/hotlines/abc")
    assert page.status_code == 400 and "热线编号须为数字" in page.text
