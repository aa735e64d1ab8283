"""Place names below the jurisdiction tree: learning them from closed tickets, the registry, and the
place reader reading them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from hotline.cli import app as cli_app
from hotline.dispatch import place_names
from hotline.dispatch.models import PlaceName
from hotline.dispatch.place import PLACE_CONFIDENCE as ACT
from hotline.dispatch.place import Gazetteer, Place, guess_place
from hotline.dispatch.place_registry import PlaceNameIn, learn, list_names, save_name, set_active
from hotline.errors import Conflict, DomainError, Forbidden, NotFound
from hotline.security.models import AuditEntry
from hotline.tickets.models import Ticket
from tests.factories import intake

P = [
    Place(1, "350100", "福州市", "city", "/1/"),
    Place(2, "350104", "仓山区", "district", "/1/2/"),
    Place(3, "350111", "晋安区", "district", "/1/3/"),
    Place(4, "350104001", "仓前街道", "street", "/1/2/4/"),
]


def test_candidates_cut_at_function_characters_and_keep_every_tail() -> None:
    got = place_names.candidates("治好的跃进河又臭了，金域华府小区门口")
    assert {"跃进河", "金域华府小区", "域华府小区", "华府小区", "金域华府", "域华府"} <= got
    assert not any(c.startswith(("的", "好的")) for c in got)  # cut at 的
    assert not place_names.candidates("区政府门口的内河")  # place words that name no place
    assert "跃进河河" not in place_names.candidates("跃进河河水发黑")
    # 路灯 begins a word: the name ends before it; 路口 and 交叉口 sit between names.
    assert place_names.candidates("钟灵街路灯不亮") == {"钟灵街"}
    assert not any("路口" in c for c in place_names.candidates("清凉门大街路口广场"))
    # The tree's own names end a run, and a place word inside one is none (the 江 of 江宁区).
    tree = Gazetteer([Place(1, "320115", "江宁区", "district", "/1/")])
    assert place_names.candidates("江宁区胜太路", tree) == {"胜太路"}
    assert "江宁区胜太路" in place_names.candidates("江宁区胜太路")
    # A short form of a tree name often begins a road's own name: it ends nothing.
    tree = Gazetteer([Place(1, "320105", "建邺区", "district", "/1/"), Place(2, "3201050", "江东街道", "street",
                                                                          "/1/2/")])
    got = place_names.candidates("建邺区江东中路万达广场附近路灯不亮", tree)
    assert {"江东中路", "万达广场"} <= got and not any(c.startswith("建邺区") for c in got)
    # A road's name ends a run: the landmark beside it is a name of its own, not "中路万达广场"
    got = place_names.candidates("竹山路江宁万达广场门口积水")
    assert {"竹山路", "江宁万达广场"} <= got and "竹山路江宁万达广场" not in got
    # ...but a short form followed by a longer name is a place of the tree beside it
    tree = Gazetteer([Place(1, "3201130", "迈皋桥街道", "street", "/1/"), Place(2, "320102", "玄武区", "district",
                                                                         "/2/")])
    assert place_names.candidates("迈皋桥华电路路灯坏了", tree) == {"华电路"}
    assert place_names.candidates("玄武湖的水发绿", tree) == {"玄武湖"}


def test_learn_keeps_names_telling_one_place_at_the_deepest_level() -> None:
    samples = ([("龙津河发臭", "/1/2/4/")] * 4 + [("仓山区的龙津河又臭了", "/1/2/")] * 1
               + [("东郊河垃圾", "/1/3/")] * 3 + [("公园旁边的河", "/1/2/"), ("公园里的河", "/1/3/")]
               + [("浦上大道积水", "/1/2/")] * 2)
    learned = {x.name: x for x in place_names.learn(samples, P, min_support=3, min_purity=0.9,
                                                     known=Gazetteer(P))}
    # Four of the five tickets naming 龙津河 lie under 仓前街道: 80% < 90%, so the district says it.
    assert learned["龙津河"].place.name == "仓山区" and (learned["龙津河"].support, learned["龙津河"].total) == (5, 5)
    assert learned["东郊河"].place.name == "晋安区" and learned["东郊河"].kind == "water"
    assert not any(n.endswith("龙津河") and n != "龙津河" for n in learned)
    assert "浦上大道" not in learned  # two tickets are too few
    samples += [("龙津河发臭", "/1/2/4/")] * 20
    deeper = {x.name: x for x in place_names.learn(samples, P)}
    assert deeper["龙津河"].place.name == "仓前街道"
    # the tail of a name the tree knows is a piece of it (京东路 of 北京东路社区), not a name
    tree = [*P, Place(5, "350104001001", "北京东路社区", "community", "/1/2/4/5/")]
    pieces = place_names.learn([("北京东路路灯坏了", "/1/2/4/5/")] * 5, tree, known=Gazetteer(tree))
    assert not any(x.name in ("京东路", "北京东路") for x in pieces)


def test_the_reader_reads_registered_names_as_names_of_their_place() -> None:
    gaz = Gazetteer(P, [("金港河", 2), ("仓前", 2), ("不存在", 99)])
    g = gaz.guess(address=None, text="金港河又发黑发臭")
    assert g and g.place.name == "仓山区" and g.named and g.matched == "金港河" and g.confidence < ACT
    g = gaz.guess(address="仓山区金港河边", text="")  # with its district named too: sure enough to act on
    assert g and g.place.name == "仓山区" and g.confidence >= ACT
    assert not gaz.guess(address=None, text="仓前街道").named  # the tree's own name stays the tree's


def _ticket_history(client, as_user, db) -> None:
    texts = [("钟灵街", "钟灵街路灯不亮"), ("钟灵街", "钟灵街人行道破损"), ("钟灵街", "钟灵街夜市噪音"),
             ("xx", "紫金花园小区门口积水"), ("xx", "紫金花园小区垃圾清运不及时"), ("xx", "紫金花园小区电梯故障")]
    for i, (_tag, title) in enumerate(texts):
        r = client.post("/api/v1/tickets", headers=as_user("operator"),
                        json=intake(title=title, content=f"{title}，请尽快处理（第{i}次）。", address="",
                                    jurisdiction_code="320102001"))
        assert r.status_code == 201, r.text
    db.rollback()
    db.execute(update(Ticket).values(state="finished"))
    db.commit()


def test_learning_from_closed_tickets_lists_then_adds_and_keeps_switched_off_names_off(
        client, as_user, db, rt, org) -> None:
    _ticket_history(client, as_user, db)
    admin = org.actor("admin")
    report = learn(db, rt, actor=admin)
    names = {p.learned.name: p for p in report.proposals}
    assert report.tickets == 6 and names["钟灵街"].status == "new" and names["紫金花园小区"].status == "new"
    assert names["钟灵街"].learned.place.code == "320102001"
    assert db.execute(select(PlaceName)).first() is None  # listing writes nothing
    report = learn(db, rt, actor=admin, apply=True)
    db.commit()
    assert report.added == len(report.proposals) >= 2
    entry = db.execute(select(PlaceName).where(PlaceName.name == "钟灵街")).scalar_one()
    assert entry.source == "learned" and (entry.support, entry.total) == (3, 3) and entry.kind == "road"
    assert db.execute(select(AuditEntry).where(AuditEntry.action == "learn_place_names")).first()
    # The reader now knows 钟灵街 as a name of 孝陵卫街道.
    g = guess_place(db, address=None, text="钟灵街的下水道堵了")
    assert g and g.place.code == "320102001" and g.named
    set_active(db, rt, actor=admin, name_id=entry.id, active=False)
    db.commit()
    assert guess_place(db, address=None, text="钟灵街的下水道堵了") is None
    again = learn(db, rt, actor=admin, apply=True)
    db.commit()
    assert {p.learned.name: p.status for p in again.proposals}["钟灵街"] == "off" and again.added == 0
    assert not db.get(PlaceName, entry.id).active
    with pytest.raises(Forbidden):
        learn(db, rt, actor=org.actor("operator"))


def test_the_registry_validates_names_in_chinese(db, rt, org) -> None:
    admin = org.actor("admin")
    entry = save_name(db, rt, actor=admin, data=PlaceNameIn(name=" 锁金 村 ", jurisdiction_code="320102"))
    assert entry.name == "锁金村" and entry.kind == "estate" and entry.source == "manual"
    with pytest.raises(Conflict) as exc:
        save_name(db, rt, actor=admin, data=PlaceNameIn(name="锁金村", jurisdiction_code="320102"))
    assert "已有" in exc.value.message
    cases = [("锁金村", "999", "不存在"), ("锁金村", "320100", "范围过大"), ("玄武", "320102", "本身的名称"),
             ("1", "320102", "至少 2 个字"), ("123", "320102", "不像地名")]
    for name, code, message in cases:
        with pytest.raises(DomainError) as err:
            save_name(db, rt, actor=admin, data=PlaceNameIn(name=name, jurisdiction_code=code))
        assert message in err.value.message, (name, err.value.message)
    with pytest.raises(DomainError) as err:
        save_name(db, rt, actor=admin, data=PlaceNameIn(name="锁金新村", jurisdiction_code="320102", kind="星球"))
    assert "可选：estate（小区/楼盘）、road（道路/桥梁）" in err.value.message
    labelled = save_name(db, rt, actor=admin, data=PlaceNameIn(name="锁金新村", jurisdiction_code="320102",
                                                                kind="河湖水系"))  # a label reads as its code
    assert labelled.kind == "water"
    db.delete(labelled)
    db.flush()
    with pytest.raises(Forbidden):
        save_name(db, rt, actor=org.actor("operator"), data=PlaceNameIn(name="钟山", jurisdiction_code="320102"))
    db.commit()
    rows, total = list_names(db, q="玄武")  # by the place's name too
    assert total == 1 and rows[0].name == "锁金村"
    assert list_names(db, q="锁金 村")[1] == list_names(db, q="锁")[1] == 1  # typed as names are kept
    # QA: saving a name unchanged made a new version and an audit entry 修改地名
    audited = db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.object_type == "place_name"))
    same = save_name(db, rt, actor=admin, name_id=entry.id, data=PlaceNameIn(name="锁金村", jurisdiction_code="320102",
                                                                              note=" "))
    assert same.version == 1 and db.scalar(select(func.count()).select_from(AuditEntry)
                                           .where(AuditEntry.object_type == "place_name")) == audited
    # A learned name moved to another place no longer carries the tickets counted for the first
    db.execute(update(PlaceName).values(source="learned", support=9, total=9))
    moved = save_name(db, rt, actor=admin, name_id=entry.id,
                      data=PlaceNameIn(name="锁金村", jurisdiction_code="320104"))
    assert (moved.source, moved.support, moved.total) == ("manual", None, None)
    with pytest.raises(NotFound):  # an unknown entry is unknown, whatever it would clash with
        save_name(db, rt, actor=admin, name_id=999999, data=PlaceNameIn(name="锁金村", jurisdiction_code="320104"))
    db.rollback()
    assert list_names(db, jurisdiction_path=org.jurisdictions["qinhuai"].path)[1] == 0


def test_cli_learn_lists_and_applies(client, as_user, db, settings, monkeypatch) -> None:
    _ticket_history(client, as_user, db)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    r = runner.invoke(cli_app, ["dispatch", "places", "learn", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["tickets"] == 6 and data["added"] == 0
    assert {"name": "钟灵街", "jurisdiction_code": "320102001", "jurisdiction_name": "孝陵卫街道", "kind": "road",
            "support": 3, "total": 3, "status": "new", "status_label": "新增"} in data["proposals"]
    r = runner.invoke(cli_app, ["dispatch", "places", "learn", "--apply"])
    assert r.exit_code == 0 and "已写入地名库：新增" in r.stdout
    db.rollback()
    assert db.execute(select(PlaceName).where(PlaceName.name == "钟灵街")).scalar_one().active
    db.rollback()
    r = runner.invoke(cli_app, ["dispatch", "places", "learn", "--min-purity", "0.2"])
    assert r.exit_code == 2 and "0.5 到 1" in r.output
    r = runner.invoke(cli_app, ["dispatch", "places", "learn", "--min-support", "1"])
    assert r.exit_code == 2 and "2 到 1000" in r.output  # in Chinese, as the page and the API say it
