"""`hotline import messages`: historical messages become closed tickets, idempotently, with their
history; bad rows are reported and good ones kept; a missing column is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hotline.analytics.importer import Columns, ImportFailed, import_messages, parse_time
from hotline.cli import app as cli_app
from hotline.tickets import overview
from hotline.tickets.models import Ticket, TicketCounter, TicketEvent
from tests.analytics.conftest import write_messages

COLS = Columns(id="留言编号", title="留言主题", content="留言详情", time="留言时间", votes="点赞数")


def test_import_creates_closed_tickets_with_history(db, rt, messages_csv, org) -> None:  # type: ignore[no-untyped-def]
    path, msgs = messages_csv
    report = import_messages(db, rt, path=path, columns=COLS, batch_size=25)
    assert report.total == len(msgs) + 4
    assert report.imported == len(msgs)
    assert report.duplicates_in_file == 1
    assert sorted(b.reason.split("」")[0] for b in report.bad) == ["「点赞数", "「留言时间", "「留言编号"]
    assert {b.row for b in report.bad} == {len(msgs) + 1, len(msgs) + 2, len(msgs) + 3}

    m = msgs[0]
    t = db.execute(select(Ticket).where(Ticket.external_key == m.key)).unique().scalar_one()
    assert t.state == "closed" and t.channel == "web" and t.support == m.support
    assert t.created_at == m.at and t.closed_at == m.at and t.callback_due_at is None and t.due_at is None
    assert t.title == m.title and t.number.startswith("NJ" + m.at.astimezone(t.created_at.tzinfo).strftime("%Y"))
    events = db.execute(select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id)).scalars()
    assert [(e.action, e.from_state, e.to_state, e.actor_role) for e in events] == [
        ("register", None, "registered", "system"), ("close", "registered", "closed", "system")]
    # Numbers are unique and drawn from the per-day counters.
    numbers = db.execute(select(Ticket.number)).scalars().all()
    assert len(numbers) == len(set(numbers)) == len(msgs)
    assert db.execute(select(func.sum(TicketCounter.value))).scalar_one() == len(msgs)
    # Kind and category derived from the words; noise complaints are 投诉.
    noisy = db.execute(select(Ticket).where(Ticket.title.like("投诉%施工%"))).unique().scalars().first()
    if noisy is not None:
        assert noisy.kind == "complaint"


def test_reimport_skips_existing_keys(db, rt, messages_csv, org) -> None:  # type: ignore[no-untyped-def]
    path, msgs = messages_csv
    import_messages(db, rt, path=path, columns=COLS)
    again = import_messages(db, rt, path=path, columns=COLS)
    assert again.imported == 0 and again.skipped_existing == len(msgs)
    assert db.execute(select(func.count(Ticket.id))).scalar_one() == len(msgs)


def test_imported_tickets_stay_out_of_the_callback_list(db, rt, messages_csv, org) -> None:  # type: ignore[no-untyped-def]
    path, _ = messages_csv
    import_messages(db, rt, path=path, columns=COLS)
    items, total = overview.awaiting_callback(db, rt, actor=org.actor("callback"))
    assert total == 0 and items == []


def test_district_named_in_text_sets_the_jurisdiction(db, rt, tmp_path: Path, org) -> None:  # type: ignore[no-untyped-def]
    from hotline.analytics.synthetic import check_set

    msgs = [m for m in check_set(7) if "玄武区" in m.title + m.content][:3]
    import_messages(db, rt, path=write_messages(tmp_path / "x.csv", msgs), columns=COLS)
    rows = db.execute(select(Ticket.jurisdiction_path)).scalars().all()
    assert rows and all(p == org.jurisdictions["xuanwu"].path for p in rows)


def test_missing_column_is_named(db, rt, messages_csv) -> None:  # type: ignore[no-untyped-def]
    path, _ = messages_csv
    with pytest.raises(ImportFailed) as err:
        import_messages(db, rt, path=path, columns=Columns(id="编号", title="留言主题", content="留言详情",
                                                            time="留言时间"))
    assert "缺少列：编号" in err.value.message


def test_gb18030_file(db, rt, tmp_path: Path, org) -> None:  # type: ignore[no-untyped-def]
    from hotline.analytics.synthetic import check_set

    path = write_messages(tmp_path / "gbk.csv", check_set(8)[:5], encoding="gb18030")
    assert import_messages(db, rt, path=path, columns=COLS).imported == 5


def test_parse_time_formats() -> None:
    assert parse_time("2019/2/28 11:25:05").isoformat() == "2019-02-28T11:25:05+08:00"
    assert parse_time("2019-08-01 00:00:00").day == 1
    assert parse_time("2019/2/28").hour == 0
    with pytest.raises(ValueError):
        parse_time("昨天")


def test_cli_import_and_hotspots(settings, messages_csv, monkeypatch, org) -> None:  # type: ignore[no-untyped-def]
    import json

    path, msgs = messages_csv
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    args = ["import", "messages", "--input", str(path), "--id-col", "留言编号", "--title-col", "留言主题",
            "--content-col", "留言详情", "--time-col", "留言时间", "--votes-col", "点赞数"]
    first = runner.invoke(cli_app, args)
    assert first.exit_code == 0, first.output
    assert f"导入 {len(msgs)} 条" in first.output and "错误 3 条" in first.output
    assert "无法识别为时间" in first.output  # bad rows named on stderr (mixed into output by CliRunner)
    second = runner.invoke(cli_app, args)
    assert f"已存在跳过 {len(msgs)} 条" in second.output

    out = runner.invoke(cli_app, ["analytics", "hotspots", "--top", "2", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output[out.output.index("["):])
    assert len(data) == 2
    assert {"size", "support", "keywords", "titles", "external_ids", "growth", "place"} <= set(data[0])
    assert data[0]["place"] == "翠微花园" and data[0]["size"] == 12
    assert set(data[0]["external_ids"]) == {m.key for m in msgs if m.topic == "A"}

    bad = runner.invoke(cli_app, [*args[:9], "编号", *args[10:]])
    assert bad.exit_code == 2 and "缺少列：编号" in bad.output
