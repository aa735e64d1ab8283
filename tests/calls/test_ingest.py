"""The adapter's event feed: idempotent repeats, out-of-order delivery, unknown calls, bad input."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from hotline.calls.models import Call, CallEvent
from tests.calls.conftest import abandoned_call, answered_call, event
from tests.conftest import START
from tests.test_pages import csrf_of, login


def _call(db, ref: str) -> Call:  # type: ignore[no-untyped-def]
    """Read a call and end the read transaction (SQLite: the HTTP calls that follow need the lock)."""
    db.rollback()
    call = db.execute(select(Call).where(Call.call_ref == ref)).scalar_one()
    db.expunge(call)
    db.rollback()
    return call


def test_a_call_is_derived_from_its_events(feed, db, org) -> None:  # type: ignore[no-untyped-def]
    r = feed(answered_call("c1", START, wait=12, talk=200))
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 4
    call = _call(db, "c1")
    assert (call.status, call.outcome) == ("ended", "answered")
    assert call.caller == "13912345678" and call.dialled == "12345" and call.first_line == "12345"
    assert call.queue == "general" and call.first_seat == "A-01"
    assert call.user_id == org.users["operator"].id
    assert (call.wait_seconds, call.talk_seconds) == (12, 200)
    assert call.recording_ref == "rec/c1.wav"
    assert call.offered_day.isoformat() == "2026-11-02" and call.offered_slot == 20  # 10:00 local
    assert call.callback_status is None


def test_a_repeated_event_is_a_no_op(feed, db) -> None:  # type: ignore[no-untyped-def]
    events = answered_call("c2", START)
    assert feed(events).json()["accepted"] == 4
    again = feed(events[2])
    assert again.status_code == 200
    assert again.json() | {"call_ids": None} == {"accepted": 0, "duplicates": 1, "rejected": 0, "conflicts": 0,
                                                "errors": [], "warnings": [], "call_ids": None}
    both = feed([events[0], events[0], events[3]])
    assert both.json()["duplicates"] == 3 and both.json()["accepted"] == 0
    db.rollback()
    assert db.execute(select(func.count()).select_from(CallEvent)).scalar_one() == 4
    assert _call(db, "c2").event_count == 4


def test_out_of_order_events_give_the_same_call(feed, db) -> None:  # type: ignore[no-untyped-def]
    events = answered_call("c3", START, wait=8, talk=60)
    for e in reversed(events):
        assert feed(e).status_code == 200
    call = _call(db, "c3")
    assert (call.status, call.outcome, call.wait_seconds, call.talk_seconds) == ("ended", "answered", 8, 60)
    assert call.offered_at == START


def test_an_event_for_an_unknown_call_creates_it(feed, db) -> None:  # type: ignore[no-untyped-def]
    r = feed(event("c4", 3, "answered", START, seat="B-02", operator="operator"))
    assert r.status_code == 200
    call = _call(db, "c4")
    assert call.status == "talking" and call.anomaly == "缺少来电事件"
    # The offer arrives late: the call's start moves back to it.
    feed(event("c4", 1, "offered", START - timedelta(seconds=20), caller="13900000000", dialled="12345"))
    call = _call(db, "c4")
    assert call.offered_at == START - timedelta(seconds=20) and call.wait_seconds == 20 and call.anomaly is None


def test_a_late_answer_takes_a_call_off_the_callback_list(feed, db) -> None:  # type: ignore[no-untyped-def]
    feed([event("c5", 1, "offered", START, caller="13900000001", dialled="12345"),
          event("c5", 9, "ended", START + timedelta(seconds=90))])
    assert _call(db, "c5").callback_status == "pending"
    feed(event("c5", 5, "answered", START + timedelta(seconds=5), operator="operator"))
    call = _call(db, "c5")
    assert call.outcome == "answered" and call.callback_status is None


def test_a_caller_who_got_through_later_needs_no_call_back(feed, db) -> None:  # type: ignore[no-untyped-def]
    """QA: a caller with five missed calls stayed five times on the list, 30 answered calls later."""
    for i in range(2):
        assert feed(abandoned_call(f"m{i}", START - timedelta(minutes=60 - i), caller="13900000009")).status_code == 200
    assert feed(abandoned_call("other", START - timedelta(minutes=60), caller="13900000010")).status_code == 200
    assert [_call(db, f"m{i}").callback_status for i in range(2)] == ["pending", "pending"]
    assert feed(answered_call("through", START - timedelta(minutes=30), caller="13900000009")).status_code == 200
    for i in range(2):
        call = _call(db, f"m{i}")
        assert (call.callback_status, call.callback_outcome) == ("done", "called_again")
    assert _call(db, "other").callback_status == "pending"  # another caller's miss stays
    # a miss after the answered call still needs its call back
    assert feed(abandoned_call("later", START - timedelta(minutes=10), caller="13900000009")).status_code == 200
    assert _call(db, "later").callback_status == "pending"
    # one from before it that the adapter reports only now does not (QA: out of order, it stayed)
    assert feed(abandoned_call("late", START - timedelta(minutes=40), caller="13900000009")).status_code == 200
    assert (_call(db, "late").callback_status, _call(db, "late").callback_outcome) == ("done", "called_again")


def test_bad_input_is_refused_in_chinese_and_kept(feed, db) -> None:  # type: ignore[no-untyped-def]
    r = feed(event("c6", 1, "offered", START, caller="12ab", dialled="12345"))
    assert r.status_code == 422
    assert r.json()["code"] == "caller_invalid" and "主叫号码" in r.json()["message"]
    r = feed(event("c6", 2, "answered", START, offered_at=(START + timedelta(seconds=30)).isoformat()))
    assert r.status_code == 422 and "接听时间早于来电时间" in r.json()["message"]
    r = feed(event("c6", 3, "hungup", START))
    assert r.status_code == 422 and "未知的事件类型" in r.json()["message"]
    r = feed({"event_id": "x", "type": "offered", "at": START.isoformat()})
    assert r.status_code == 422 and "call_id" in r.json()["message"]
    r = feed(event("c6", 4, "offered", START.replace(tzinfo=None), dialled="12345"))
    assert r.status_code == 422 and "时区" in r.json()["message"]
    db.rollback()
    stored = db.execute(select(CallEvent).where(CallEvent.status == "rejected").order_by(CallEvent.id)).scalars().all()
    assert len(stored) == 5
    assert stored[0].payload["caller"] == "12ab" and stored[0].error_code == "caller_invalid"
    assert stored[3].call_ref is None and stored[3].call_id is None
    call = _call(db, "c6")
    assert call.rejected_count == 4 and call.event_count == 0  # flagged on its call, not applied
    assert db.execute(select(func.count()).select_from(CallEvent).where(CallEvent.call_id == call.id)).scalar_one() == 4


def test_a_batch_applies_the_good_and_reports_the_bad(feed, db) -> None:  # type: ignore[no-untyped-def]
    batch = [*answered_call("c7", START), *abandoned_call("c8", START), event("c9", 1, "offered", START)]
    r = feed(batch)
    assert r.status_code == 422
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (7, 1)
    assert body["errors"][0]["index"] == 7 and "被叫号码" in body["errors"][0]["message"]
    assert _call(db, "c8").outcome == "abandoned" and _call(db, "c8").callback_status == "pending"
    assert _call(db, "c9").status == "ringing"


def test_values_beyond_what_the_tables_hold_are_refused_events_not_a_lost_batch(feed, db) -> None:  # type: ignore[no-untyped-def]
    """QA: one event with the year 1 or a sequence of 10^20 made the whole batch a 422 value_out_of_range:
    nothing stored, the good events lost, and the adapter's retry refused the same way for ever."""
    good = event("ok1", 1, "offered", START, caller="13800005555", dialled="12345")
    r = feed([good, event("big1", 1, "offered", START, dialled="12345", sequence=10**20),
              {**event("old1", 1, "offered", START, dialled="12345"), "at": "0001-01-01T00:00:00+14:00"},
              {**event("old2", 1, "offered", START, dialled="12345"), "at": "1970-01-01T08:00:00+08:00"}])
    assert r.status_code == 422 and (r.json()["accepted"], r.json()["rejected"]) == (1, 3), r.text
    assert [e["code"] for e in r.json()["errors"]] == ["sequence_invalid", "at_out_of_range", "at_out_of_range"]
    assert "早于 2000 年" in r.json()["errors"][1]["message"]
    assert _call(db, "ok1").caller == "13800005555"
    stored = db.execute(select(CallEvent.status).where(CallEvent.call_ref.in_(["big1", "old1", "old2"]))).scalars()
    assert sorted(stored) == ["rejected"] * 3
    db.rollback()


def test_a_number_wider_than_its_column_is_refused_not_a_500(feed, client) -> None:  # type: ignore[no-untyped-def]
    """QA: a caller of + and 20 digits was a 500 on PostgreSQL (value too long for varchar(20)), batch and all;
    so was a transfer to such a number."""
    r = feed([event("w1", 1, "offered", START, caller="+12345678901234567890", dialled="12345"),
              event("w2", 1, "offered", START, caller="12345678901234567890", dialled="12345")])
    assert r.status_code == 422 and (r.json()["accepted"], r.json()["rejected"]) == (1, 1), r.text
    assert r.json()["errors"][0]["code"] == "caller_invalid" and "至多 20 个字符" in r.json()["errors"][0]["message"]
    call_id = feed(answered_call("w3", START - timedelta(minutes=1))[:3]).json()["call_ids"]["w3"]
    login(client, "operator")  # the page's box: its maxlength is the browser's, not the server's
    form = {"other_target": "+12345678901234567890", "reason": "测试转接", "csrf_token": csrf_of(client, "/hall/calls")}
    r = client.post(f"/hall/calls/{call_id}/transfer", data=form)
    assert r.status_code == 422 and "至多 20 个字符" in r.text


def test_only_the_telephony_account_may_feed(client, as_user) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/calls/events", json=event("c10", 1, "offered", START, dialled="12345"),
                    headers=as_user("admin"))
    assert r.status_code == 403 and "话务平台接口账号" in r.json()["message"]
    assert client.post("/api/calls/events", json=[]).status_code == 401


def test_malformed_bodies(feed) -> None:  # type: ignore[no-untyped-def]
    assert feed([]).status_code == 422
    assert "非空的事件数组" in feed([]).json()["message"]
    assert feed("x").status_code == 422


def test_concurrent_batches_on_the_same_calls_lose_nothing(feed, db) -> None:  # type: ignore[no-untyped-def]
    """Two adapters' connections deliver halves of the same calls at once: every call ends complete
    (PostgreSQL: the call rows are locked while a batch re-derives them; SQLite: writers queue)."""
    from concurrent.futures import ThreadPoolExecutor

    events = [e for i in range(40) for e in answered_call(f"cc{i}", START + timedelta(seconds=i), wait=7, talk=30)]
    halves = [events[0::2], events[1::2]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(feed, halves))
    assert [r.status_code for r in results] == [200, 200]
    assert sum(r.json()["accepted"] for r in results) == len(events)
    db.rollback()
    rows = db.execute(select(Call.status, Call.outcome, Call.wait_seconds, Call.talk_seconds, Call.event_count)
                      .where(Call.call_ref.like("cc%"))).all()
    db.rollback()
    assert len(rows) == 40 and set(rows) == {("ended", "answered", 7, 30, 4)}


def test_the_demo_loader_fills_the_hall(db, org) -> None:  # type: ignore[no-untyped-def]
    from hotline.calls.loading import load_demo

    loaded = load_demo(db, end=START, operators=("operator",), days=1, calls_per_day=120, seed=4)
    calls = db.execute(select(Call.status, Call.outcome, Call.callback_status, Call.user_id, Call.offered_at)).all()
    db.rollback()
    assert loaded == len(calls) > 100
    assert any(c.callback_status == "pending" for c in calls)
    assert max(c.offered_at for c in calls) <= START  # nothing after the demo's "now"
    assert {c.user_id for c in calls if c.outcome == "answered"} == {org.users["operator"].id}


def test_a_caller_with_the_country_code_is_the_same_caller(feed, db) -> None:  # type: ignore[no-untyped-def]
    """QA: +86 13912345678 was stored as sent: the screen pop found no earlier tickets, search missed it."""
    assert feed(answered_call("c86", START, caller="+86 139-1234-5678")).status_code == 200
    assert _call(db, "c86").caller == "13912345678"
    assert feed(answered_call("c0086", START, caller="008613912345678")).status_code == 200
    assert _call(db, "c0086").caller == "13912345678"
    assert feed(answered_call("cint", START, caller="+85291234567")).status_code == 200
    assert _call(db, "cint").caller == "+85291234567"  # another country's number stays whole


def test_the_same_event_id_with_the_same_content_is_a_replay(feed, db) -> None:  # type: ignore[no-untyped-def]
    """A retry after a timeout repeats the event as it was: the answer says duplicate, nothing changes,
    whatever the time zone the adapter writes the time in."""
    events = answered_call("rp", START)
    assert feed(events).json()["accepted"] == 4
    same = dict(events[2], at=events[2]["at"].replace("+08:00", "+00:00").replace("T10", "T02"))
    assert same["at"] != events[2]["at"]
    r = feed(same)
    assert r.status_code == 200 and (r.json()["accepted"], r.json()["duplicates"]) == (0, 1)
    r = feed([events[1], events[1]])
    assert r.status_code == 200 and r.json()["duplicates"] == 2


def test_the_same_event_id_with_other_content_is_refused(feed, db) -> None:  # type: ignore[no-untyped-def]
    """QA: a reused event id with another kind or operator was silently counted as a duplicate."""
    events = answered_call("cf", START, operator="operator")
    assert feed(events).status_code == 200
    r = feed(dict(events[2], type="ended"))
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["code"] == "event_id_conflict" and body["stored"] is False
    assert "cf-3" in body["message"] and "事件类型（已收到 answered，本次 ended）" in body["message"]
    r = feed(dict(events[2], operator="dispatcher"))
    assert r.status_code == 409 and "话务员账号（已收到 operator，本次 dispatcher）" in r.json()["message"]
    # in a batch: the others are applied, the conflict is reported with its index
    r = feed([event("cf2", 1, "offered", START, dialled="12345"), dict(events[3], type="abandoned")])
    assert r.status_code == 409
    body = r.json()
    assert (body["accepted"], body["conflicts"], body["rejected"]) == (1, 1, 0)
    assert body["errors"][0]["index"] == 1 and body["errors"][0]["code"] == "event_id_conflict"
    assert "event_id" in body["message"]
    # twice in one batch with different content: the first is applied, the second refused
    r = feed([event("cf3", 1, "offered", START, dialled="12345"),
              event("cf3", 1, "offered", START, dialled="12366")])
    assert r.status_code == 409 and (r.json()["accepted"], r.json()["conflicts"]) == (1, 1)
    assert "被叫号码（已收到 12345，本次 12366）" in r.json()["errors"][0]["message"]
    call = _call(db, "cf")
    assert (call.outcome, call.user_id is not None, call.event_count) == ("answered", True, 4)
    assert _call(db, "cf3").dialled == "12345"


def test_the_same_event_id_on_another_call_is_another_event(feed, db) -> None:  # type: ignore[no-untyped-def]
    """event_id is unique within its call (documented): adapters that number each call's events 1, 2, 3
    must not see the second call refused."""
    assert feed(event("oa", 1, "offered", START, dialled="12345") | {"event_id": "1"}).status_code == 200
    r = feed(event("ob", 1, "offered", START, dialled="12345") | {"event_id": "1"})
    assert r.status_code == 200 and r.json()["accepted"] == 1


def test_a_corrected_event_takes_the_refused_ones_place(feed, db) -> None:  # type: ignore[no-untyped-def]
    """A refused event was never applied: the adapter's corrected resend under the same id is applied."""
    bad = event("fx", 1, "offered", START, caller="12ab", dialled="12345")
    assert feed(bad).status_code == 422
    r = feed(dict(bad, caller="13900000000"))
    assert r.status_code == 200 and r.json()["accepted"] == 1
    call = _call(db, "fx")
    assert (call.caller, call.rejected_count, call.event_count) == ("13900000000", 0, 1)
    db.rollback()
    assert db.execute(select(func.count()).select_from(CallEvent).where(CallEvent.call_ref == "fx")).scalar_one() == 1
