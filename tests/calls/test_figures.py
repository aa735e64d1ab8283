"""Hall figures on a hand-built stream, the Excel export, and the traffic generator's shape."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from io import BytesIO

from openpyxl import load_workbook

from hotline.calls.projection import EventFacts, project
from hotline.calls.simulate import HOURLY, Options, generate, messy
from tests.calls.conftest import abandoned_call, answered_call, event
from tests.conftest import START


def _stream() -> list[dict]:  # type: ignore[type-arg]
    """07:00–07:30 on 12345/general: 3 answered (waits 5, 15, 40; talks 100, 200, 300), 1 abandoned,
    1 missed; 07:30–08:00: 1 answered (wait 10, talk 60) on 12345/general and 1 on 12333/hr (wait 20,
    still talking)."""
    s = START - timedelta(hours=3)
    return [
        *answered_call("f1", s, wait=5, talk=100), *answered_call("f2", s + timedelta(minutes=5), wait=15, talk=200),
        *answered_call("f3", s + timedelta(minutes=10), wait=40, talk=300),
        *abandoned_call("f4", s + timedelta(minutes=12), wait=30),
        event("f5", 1, "offered", s + timedelta(minutes=20), caller="13900000005", dialled="12345"),
        event("f5", 2, "queued", s + timedelta(minutes=20, seconds=1), queue="general"),
        event("f5", 3, "ended", s + timedelta(minutes=23)),
        *answered_call("f6", s + timedelta(minutes=31), wait=10, talk=60),
        *answered_call("f7", s + timedelta(minutes=40), wait=20, line="12333", queue="hr")[:3],
    ]


def test_figures_on_a_hand_built_stream(client, feed, as_user, clock) -> None:  # type: ignore[no-untyped-def]
    assert feed(_stream()).status_code == 200
    r = client.get("/api/calls/figures", params={"day": "2026-11-02"}, headers=as_user("analyst"))
    assert r.status_code == 200, r.text
    body = r.json()
    rows = {(x["slot_label"], x["line"], x["queue"]): x for x in body["rows"]}
    first = rows[("07:00–07:30", "12345", "general")]
    assert (first["offered"], first["answered"], first["abandoned"], first["missed"]) == (5, 3, 1, 1)
    assert first["answer_rate"] == 0.6
    assert first["service_level"] == round(2 / 3, 4)  # 5 s and 15 s are within 15 s, 40 s is not
    assert first["avg_wait_seconds"] == 20.0 and first["avg_talk_seconds"] == 200.0
    second = rows[("07:30–08:00", "12345", "general")]
    assert (second["offered"], second["answered"], second["service_level"]) == (1, 1, 1.0)
    hr = rows[("07:30–08:00", "12333", "hr")]
    assert hr["answered"] == 1 and hr["avg_talk_seconds"] is None  # still talking: no talk time yet
    total = body["total"]
    assert (total["offered"], total["answered"], total["abandoned"]) == (7, 5, 1)
    assert total["answer_rate"] == round(5 / 7, 4) and total["service_level"] == 0.6
    assert body["live"] == {"talking": 1}
    # a call whose `ended` never came stops counting as live after some hours (QA: the wall grew for ever)
    clock.advance(timedelta(hours=5))
    assert client.get("/api/calls/figures", params={"day": "2026-11-02"},
                      headers=as_user("supervisor")).json()["live"] == {}
    clock.advance(timedelta(hours=-5))
    by_line = client.get("/api/calls/figures", params={"day": "2026-11-02", "group_by": "line"},
                         headers=as_user("supervisor")).json()["rows"]
    assert [(x["line"], x["offered"]) for x in by_line] == [("12333", 1), ("12345", 6)]
    only = client.get("/api/calls/figures", params={"day": "2026-11-02", "line": "12333", "group_by": "queue"},
                      headers=as_user("supervisor")).json()
    assert only["total"]["offered"] == 1 and only["rows"][0]["queue"] == "hr"
    empty = client.get("/api/calls/figures", params={"day": "2026-11-03"}, headers=as_user("analyst")).json()
    assert empty["rows"] == [] and empty["total"]["answer_rate"] is None


def test_figures_refuse_bad_filters(client, as_user) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/calls/figures", params={"start": "2026-11-05", "end": "2026-11-01"},
                   headers=as_user("analyst"))
    assert r.status_code == 422 and "结束日期" in r.json()["message"]
    r = client.get("/api/calls/figures", params={"group_by": "hour"}, headers=as_user("analyst"))
    assert r.status_code == 422 and "不支持的分组" in r.json()["message"]
    assert client.get("/api/calls/figures", headers=as_user("housing_handler")).status_code == 403


def test_figures_export_to_excel(client, feed, as_user) -> None:  # type: ignore[no-untyped-def]
    feed(_stream())
    r = client.get("/api/calls/figures.xlsx", params={"day": "2026-11-02"}, headers=as_user("analyst"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][:5] == ("日期", "时段", "线路", "队列", "呼入量")
    assert rows[-1][0] == "合计" and rows[-1][4] == 7
    assert abs(rows[-1][8] - 5 / 7) < 1e-9 and ws.cell(ws.max_row, 9).number_format == "0.0%"  # a number, 71.4%


def test_projection_is_independent_of_arrival_order() -> None:
    base = START
    facts = [EventFacts(1, "offered", base, 1, caller="13900000000", dialled="12345"),
             EventFacts(2, "queued", base + timedelta(seconds=1), 2, queue="general"),
             EventFacts(3, "answered", base + timedelta(seconds=9), 3, seat="A-1", user_id=7),
             EventFacts(4, "ended", base + timedelta(seconds=99), 4)]
    expected = project(facts)
    rng = random.Random(1)
    for _ in range(10):
        shuffled = facts[:]
        rng.shuffle(shuffled)
        assert project(shuffled) == expected
    assert (expected["wait_seconds"], expected["talk_seconds"], expected["user_id"]) == (9, 90, 7)


def test_the_generator_has_the_shape_of_a_hall() -> None:
    events = generate(Options(days=7, calls_per_day=1500, seed=3, start=date(2026, 11, 2)))
    kinds = Counter(e["type"] for e in events)
    offered = kinds["offered"]
    assert 7 * 1500 * 0.8 < offered < 7 * 1500 * 1.1
    assert 0.02 < kinds["abandoned"] / offered < 0.15  # abandonment within a realistic band
    assert kinds["answered"] / offered > 0.85
    by_hour = Counter(int(e["at"][11:13]) for e in events if e["type"] == "offered")
    assert by_hour[10] > 3 * by_hour[3]  # day versus night
    assert by_hour[12] < by_hour[10] and by_hour[12] < by_hour[15]  # the lunch dip
    assert by_hour.most_common(1)[0][0] in {h for h, w in enumerate(HOURLY) if w >= 1.8}
    per_day = Counter(e["at"][:10] for e in events if e["type"] == "offered")
    assert per_day["2026-11-02"] > per_day["2026-11-08"]  # Monday busier than Sunday
    callers = Counter(e["caller"] for e in events if e["type"] == "offered")
    assert callers.most_common(1)[0][1] >= 10  # repeat callers
    assert generate(Options(days=1, calls_per_day=200, seed=5, start=date(2026, 11, 2))) == \
        generate(Options(days=1, calls_per_day=200, seed=5, start=date(2026, 11, 2)))


def test_a_messy_stream_gives_the_same_calls(client, feed, as_user) -> None:  # type: ignore[no-untyped-def]
    clean = generate(Options(days=1, calls_per_day=60, seed=9, start=date(2026, 11, 1), operators=("operator",)))
    noisy = messy(clean, random.Random(9), repeat=0.2, shuffle=7)
    for i in range(0, len(noisy), 40):
        assert feed(noisy[i:i + 40]).status_code == 200
    body = client.get("/api/calls/figures", params={"day": "2026-11-01", "group_by": ""},
                      headers=as_user("analyst")).json()["total"]
    kinds = Counter(e["type"] for e in clean)
    assert body["offered"] == kinds["offered"] and body["answered"] == kinds["answered"]
    assert body["abandoned"] == kinds["abandoned"]
