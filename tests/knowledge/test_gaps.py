"""知识盲区: questions the assistant could not answer are counted per wording (personal numbers
masked), listed for editors most asked first, and closed as filled by an article or dismissed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.errors import Conflict, DomainError, Forbidden
from hotline.knowledge import gaps, rules, service
from hotline.knowledge.models import Article, UnansweredQuestion
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.security.models import AuditEntry
from hotline.security.roles import Role
from tests.factories import Org
from tests.test_pages import csrf_of, login, post_page

BASE = "/api/v1/kb"
OUT_OF_KB = "航班延误了有没有赔偿"


def test_personal_numbers_and_addresses_are_masked() -> None:
    shown = gaps.mask("我的电话 138 0013 8000，身份证32010219900101123X，邮箱 zhang.san@example.com 怎么改？")
    assert "138" not in shown and "3201021990" not in shown and "example" not in shown
    assert shown.count("[号码]") == 2 and "[邮箱]" in shown
    assert gaps.mask("K1234次列车晚点") == "K1234次列车晚点"  # short numbers are not personal
    # the same question however it is punctuated, spaced or cased
    assert gaps.fingerprint(gaps.mask("ETC 怎么办理？")) == gaps.fingerprint(gaps.mask("etc怎么办理"))


@pytest.mark.parametrize("typed", ["138－0013－8000", "138—0013—8000", "138–0013–8000", "138.0013.8000",
                                   "138．0013．8000"])
def test_phone_numbers_with_chinese_separators_are_masked(typed: str) -> None:
    # full-width and dash separators as Chinese input methods type them, and dots
    assert gaps.mask(f"我的电话{typed}，投诉怎么查？") == "我的电话[号码]，投诉怎么查？"


def test_search_ignores_case_on_every_database(db: Session, rt: Runtime, org: Org) -> None:
    gaps.record(db, question="ETC 怎么办理？", channel=gaps.Channel.PUBLIC_CHAT, now=rt.clock.now())
    editor = service.who(db, org.actor("editor"))
    for q in ("etc", "ETC", "Etc"):  # SQLite's LIKE ignores ASCII case, PostgreSQL's does not
        items, total = gaps.list_gaps(db, who=editor, filters=gaps.GapFilters(text=q))
        assert total == 1 and [g.text for g in items] == ["ETC 怎么办理？"]
    db.rollback()


def test_counted_per_wording_and_reopened_when_asked_again(db: Session, rt: Runtime, org: Org,
                                                           publish: Callable[..., Article]) -> None:
    now = rt.clock.now()
    gaps.record(db, question="飞机晚点了怎么赔偿？", channel=gaps.Channel.PUBLIC_CHAT, now=now)
    gaps.record(db, question="飞机晚点了怎么赔偿", channel=gaps.Channel.PUBLIC_ASK, now=now + timedelta(minutes=1))
    gaps.record(db, question="  ", channel=gaps.Channel.STAFF, now=now)  # nothing to count
    gaps.record(db, question="宠物能上公交吗", channel=gaps.Channel.STAFF, now=now)
    editor = service.who(db, org.actor("editor"))
    items, total = gaps.list_gaps(db, who=editor, filters=gaps.GapFilters())
    assert total == 2 and [(g.text, g.asked) for g in items] == [("飞机晚点了怎么赔偿？", 2), ("宠物能上公交吗", 1)]
    assert items[0].channel == "public_ask" and items[0].last_at > items[0].first_at

    art = publish(key="FLIGHT-1")
    with pytest.raises(DomainError, match="不存在"):
        gaps.close(db, who=editor, gap_id=items[0].id, now=now, filled=True, article_key="NO-SUCH")
    db.rollback()
    # the public asked: an internal answer does not fill it, nor does a withdrawn one
    publish(key="FLIGHT-INT", audience="internal")
    with pytest.raises(DomainError, match="内部口径"):
        gaps.close(db, who=editor, gap_id=items[0].id, now=now, filled=True, article_key="FLIGHT-INT")
    db.rollback()
    gone = publish(key="FLIGHT-OLD")
    service.withdraw(db, rt, actor=org.actor("supervisor"), article_id=gone.id, reason="政策废止")
    with pytest.raises(DomainError, match="已撤回或已失效"):
        gaps.close(db, who=editor, gap_id=items[0].id, now=now, filled=True, article_key="FLIGHT-OLD")
    db.rollback()
    with pytest.raises(DomainError, match="理由"):
        gaps.close(db, who=editor, gap_id=items[1].id, now=now, filled=False)
    db.rollback()
    gap = gaps.close(db, who=editor, gap_id=items[0].id, now=now, filled=True, article_key=art.key)
    assert gap.status == "filled" and gap.article_key == "FLIGHT-1" and gap.closed_by_name.startswith("editor")
    gaps.close(db, who=editor, gap_id=items[1].id, now=now, filled=False, note="不属于政务服务事项")
    assert gaps.list_gaps(db, who=editor, filters=gaps.GapFilters())[1] == 0
    assert gaps.counts(db) == {"filled": 1, "dismissed": 1}
    actions = db.execute(select(AuditEntry.action).where(AuditEntry.object_type == "kb_unanswered")
                         .order_by(AuditEntry.id)).scalars().all()
    assert actions == ["kb_gap_filled", "kb_gap_dismissed"]
    with pytest.raises(Conflict, match="已处理"):  # a second decision does not overwrite the first
        gaps.close(db, who=editor, gap_id=items[1].id, now=now, filled=False, note="另一个理由")
    db.rollback()

    # the article exists but the assistant still cannot find it: open again, the article kept
    gaps.record(db, question="飞机晚点了怎么赔偿?", channel=gaps.Channel.PUBLIC_CHAT, now=now)
    db.expire_all()  # the upsert is a plain statement: reload the rows this session holds
    again = db.execute(select(UnansweredQuestion).where(UnansweredQuestion.status == "open")).scalar_one()
    assert again.asked == 3 and again.article_key == "FLIGHT-1"


def test_only_editors_supervisors_and_admins_tend_the_list(db: Session, org: Org) -> None:
    for name in ("editor", "supervisor", "admin"):
        gaps.list_gaps(db, who=service.who(db, org.actor(name)), filters=gaps.GapFilters())
    for name in ("operator", "housing_handler", "analyst"):
        with pytest.raises(Forbidden):
            gaps.list_gaps(db, who=service.who(db, org.actor(name)), filters=gaps.GapFilters())


def test_public_ask_and_staff_ask_record_what_they_could_not_answer(
        client: TestClient, db: Session, as_user: Callable[..., dict[str, str]],
        publish: Callable[..., Article]) -> None:
    art = publish()
    db.rollback()
    assert client.post("/api/v1/public/kb/ask", json={"query": "公积金能取出来吗"}).json()["key"] == art.key
    for _ in range(2):
        assert client.post("/api/v1/public/kb/ask", json={"query": OUT_OF_KB}).json()["abstained"] is True
    r = client.post(f"{BASE}/ask", json={"query": "宠物狗能带上地铁吗"}, headers=as_user("operator"))
    assert r.json()["abstained"] is True

    r = client.get(f"{BASE}/gaps", headers=as_user("editor"))
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 2
    assert [(g["text"], g["asked"], g["channel"]) for g in body["items"]] == [
        (OUT_OF_KB, 2, "public_ask"), ("宠物狗能带上地铁吗", 1, "staff")]
    assert client.get(f"{BASE}/gaps", headers=as_user("operator")).status_code == 403
    assert client.get(f"{BASE}/gaps", params={"status": "bogus"}, headers=as_user("editor")).status_code == 422

    gap_id = body["items"][0]["id"]
    r = client.post(f"{BASE}/gaps/{gap_id}/close", json={"filled": False}, headers=as_user("editor"))
    assert r.status_code == 422 and "理由" in r.json()["message"]
    r = client.post(f"{BASE}/gaps/{gap_id}/close", json={"filled": True, "article_key": art.key},
                    headers=as_user("supervisor"))
    assert r.status_code == 200 and r.json()["status"] == "filled" and r.json()["article_key"] == art.key
    r = client.get(f"{BASE}/gaps", params={"status": "all", "q": "航班"}, headers=as_user("editor"))
    assert [g["status"] for g in r.json()["items"]] == ["filled"]


def test_gap_page_for_editors(client: TestClient, db: Session, rt: Runtime, publish: Callable[..., Article]) -> None:
    publish(key="PET-1")
    now = rt.clock.now()
    for question in ("宠物狗能带上地铁吗", "宠物狗能带上地铁吗？", "电话13800138000的投诉怎么查"):
        gaps.record(db, question=question, channel=gaps.Channel.PUBLIC_CHAT, now=now)
    db.rollback()
    login(client, "housing_handler")
    assert client.get("/kb/gaps").status_code == 403
    assert "知识盲区" not in client.get("/kb").text  # no tab for those who cannot open it

    client.cookies.clear()
    login(client, "editor")
    page = client.get("/kb/gaps")
    assert page.status_code == 200 and 'aria-current="page">知识盲区' in page.text
    assert page.text.index("宠物狗能带上地铁吗") < page.text.index("电话[号码]的投诉怎么查")
    assert "13800138000" not in page.text and "<span data-asked>2</span>" in page.text
    assert 'href="/kb/new?question=' in page.text
    form = client.get("/kb/new", params={"question": "宠物狗能带上地铁吗"})
    assert ">宠物狗能带上地铁吗</textarea>" in form.text

    pet = db.execute(select(UnansweredQuestion.id).where(UnansweredQuestion.text == "宠物狗能带上地铁吗")).scalar_one()
    db.rollback()
    r = post_page(client, "/kb/gaps", f"/kb/gaps/{pet}/close", {"intent": "filled", "article_key": "NOPE"})
    assert r.status_code == 303 and "不存在" in client.get("/kb/gaps").text
    r = post_page(client, "/kb/gaps", f"/kb/gaps/{pet}/close",
                  {"intent": "filled", "article_key": "PET-1", "back": "https://evil.example/"})
    assert r.status_code == 303 and r.headers["location"] == "/kb/gaps"
    page = client.get("/kb/gaps")
    assert "已标记“宠物狗能带上地铁吗”为已补充条目" in page.text  # the flash
    assert "<strong>宠物狗能带上地铁吗</strong>" not in page.text
    assert "<strong>电话[号码]的投诉怎么查</strong>" in page.text
    done = client.get("/kb/gaps", params={"status": "filled"})
    assert "已补充条目 PET-1" in done.text

    xlsx = client.get("/kb/gaps/export.xlsx", params={"status": "all"})
    assert xlsx.status_code == 200
    rows = list(load_workbook(BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("问题", "被问次数", "最近渠道")
    assert {(r[0], r[1], r[5]) for r in rows[1:]} == {("宠物狗能带上地铁吗", 2, "已补充条目"),
                                                     ("电话[号码]的投诉怎么查", 1, "待补充")}
    assert client.get("/kb/gaps", params={"q": "没有这个"}).text.count("没有符合条件的问题") == 1


def test_public_chat_records_its_abstentions(client: TestClient, db: Session,
                                             publish: Callable[..., Article]) -> None:
    publish()
    db.rollback()
    token = csrf_of(client, "/public/chat")
    r = client.post("/public/chat", data={"csrf_token": token, "state": "", "q": OUT_OF_KB, "intent": "ask"})
    assert r.status_code == 200 and 'data-kind="abstain"' in r.text
    row = db.execute(select(UnansweredQuestion)).scalar_one()
    assert (row.text, row.channel, row.asked) == (OUT_OF_KB, "public_chat", 1)
    db.rollback()


def test_a_units_editor_fills_with_own_articles_and_leaves_dismissal_to_the_centre(
        db: Session, rt: Runtime, org: Org, publish: Callable[..., Article]) -> None:
    now = rt.clock.now()
    publish(key="HOUSING-1")  # owned by the housing bureau
    publish(key="MARKET-1", drafter="market_handler")
    for question in ("公积金贷款能贷多少", "商品房预售资金监管怎么查"):
        gaps.record(db, question=question, channel=gaps.Channel.PUBLIC_CHAT, now=now)
    ids = db.execute(select(UnansweredQuestion.id).order_by(UnansweredQuestion.id)).scalars().all()
    housing_editor = Actor(user_id=None, name="房产局知识编辑", role=Role.KNOWLEDGE_EDITOR,
                           unit_id=org.units["housing"].id)
    who = rules.Who(actor=housing_editor, in_centre=False)
    assert gaps.list_gaps(db, who=who, filters=gaps.GapFilters())[1] == 2  # the city's list, to fill from
    with pytest.raises(Forbidden, match="不属于本单位"):
        gaps.close(db, who=who, gap_id=ids[0], now=now, filled=True, article_key="MARKET-1")
    db.rollback()
    with pytest.raises(Forbidden, match="12345中心"):
        gaps.close(db, who=who, gap_id=ids[1], now=now, filled=False, note="不归我们管")
    db.rollback()
    gap = gaps.close(db, who=who, gap_id=ids[0], now=now, filled=True, article_key="HOUSING-1")
    assert gap.status == "filled"
    centre = service.who(db, org.actor("editor"))
    assert gaps.close(db, who=centre, gap_id=ids[1], now=now, filled=False, note="不属于本市").status == "dismissed"


def test_a_gap_shows_the_nearest_article_and_is_added_to_it_as_a_phrasing(
        client: TestClient, db: Session, rt: Runtime, publish: Callable[..., Article]) -> None:
    fund = publish(key="GJJ-1")  # 住房公积金怎么提取？
    fund_id = fund.id
    now = rt.clock.now()
    for question in ("我的公积金咋取出来", "公积金提取要什么手续"):
        gaps.record(db, question=question, channel=gaps.Channel.PUBLIC_CHAT, now=now)
    ids = dict(db.execute(select(UnansweredQuestion.text, UnansweredQuestion.id)).all())
    db.rollback()
    login(client, "editor")
    page = client.get("/kb/gaps").text
    item = page.split(f'data-gap="{ids["我的公积金咋取出来"]}"')[1].split("</li>")[0]
    assert "最接近的条目" in item and f'href="/kb/articles/{fund_id}"' in item and "GJJ-1" in item
    assert f'action="/kb/gaps/{ids["我的公积金咋取出来"]}/adopt"' in item

    r = post_page(client, "/kb/gaps", f"/kb/gaps/{ids['我的公积金咋取出来']}/adopt",
                  {"article_id": str(fund_id), "back": "/kb/gaps"})
    assert r.status_code == 303 and r.headers["location"] == "/kb/gaps"
    assert "已在条目 GJJ-1 中加入问法“我的公积金咋取出来”并提交审核" in client.get("/kb/gaps").text
    gap = db.get(UnansweredQuestion, ids["我的公积金咋取出来"])
    assert gap is not None and gap.status == "filled" and gap.article_key == "GJJ-1"
    article = db.get(Article, fund_id)
    assert article is not None and article.status == "in_review"  # the published answer stays in force
    pending = service.version_of(db, article, published=False)
    assert pending is not None and "我的公积金咋取出来" in pending.phrasings
    db.rollback()

    # The same question again: already handled. The other one: the revision is pending, so it
    # must go into that revision (a clear message), and the question stays open.
    r = post_page(client, "/kb/gaps", f"/kb/gaps/{ids['我的公积金咋取出来']}/adopt", {"article_id": str(fund_id)})
    assert r.status_code == 303 and "这个问题已处理" in client.get("/kb/gaps").text
    r = post_page(client, "/kb/gaps", f"/kb/gaps/{ids['公积金提取要什么手续']}/adopt", {"article_id": str(fund_id)})
    assert "已有未发布的修订" in client.get("/kb/gaps").text
    still = db.get(UnansweredQuestion, ids["公积金提取要什么手续"])
    assert still is not None and still.status == "open"


def test_adding_a_phrasing_from_the_gap_list_is_all_or_nothing_and_offered_only_where_allowed(
        client: TestClient, db: Session, rt: Runtime, publish: Callable[..., Article]) -> None:
    fund_id = publish(key="GJJ-1").id  # owned by the housing bureau
    gaps.record(db, question="我的公积金咋取出来", channel=gaps.Channel.PUBLIC_CHAT, now=rt.clock.now())
    gap_id = db.execute(select(UnansweredQuestion.id)).scalar_one()
    db.rollback()

    # The housing bureau's handler may draft for the article but not tend the gap list: refused,
    # and no revision is left behind.
    login(client, "housing_handler")
    r = post_page(client, "/kb", f"/kb/gaps/{gap_id}/adopt", {"article_id": str(fund_id)})
    assert r.status_code == 303
    article = db.get(Article, fund_id)
    assert article is not None and article.status == "approved" and article.version_count == 1
    gap = db.get(UnansweredQuestion, gap_id)
    assert gap is not None and gap.status == "open"
    db.rollback()

    # A supervisor tends the list but drafts for no unit: the nearest article shows, the button not.
    client.cookies.clear()
    login(client, "supervisor")
    item = client.get("/kb/gaps").text.split(f'data-gap="{gap_id}"')[1].split("</li>")[0]
    assert "GJJ-1" in item and "/adopt" not in item
    client.cookies.clear()
    login(client, "editor")  # the centre's knowledge editor: offered
    assert f"/kb/gaps/{gap_id}/adopt" in client.get("/kb/gaps").text


def test_a_follow_up_the_assistant_could_not_answer_is_listed_in_its_context(db: Session, rt: Runtime) -> None:
    from hotline.knowledge import chat
    from hotline.knowledge.followup import Context

    turn = chat.Turn(question="那儿童呢？", query="老年人乘公交免费吗 那儿童呢？", base="老年人乘公交免费吗",
                     kind="abstain", context=Context.REFINE)
    chat.record(db, chat.Said(turn=turn, text="没有找到", confidence=0.0), now=rt.clock.now())
    texts = db.execute(select(UnansweredQuestion.text)).scalars().all()
    db.rollback()
    assert texts == ["老年人乘公交免费吗 那儿童呢？"]
