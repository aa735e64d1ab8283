"""Scope screening: emergencies and out-of-scope matters are flagged with their reason and channel;
ordinary requests and look-alikes (a fire hazard, an accident claim) are not."""

from __future__ import annotations

import pytest

from hotline.dispatch.screening import rules, screen


@pytest.mark.parametrize(("text", "code", "transfer"), [
    ("楼下餐馆着火了，浓烟很大，有人被困在三楼！", "fire", "119"),
    ("我父亲突然晕倒了，不省人事，请帮忙叫救护车", "medical", "120"),
    ("小区门口有人持刀砍人", "crime", "110"),
    ("中山路刚刚出车祸了，两辆车相撞", "traffic_accident", "122"),
    ("厨房里闻到很大的煤气味，怀疑燃气泄漏", "gas_leak", "119"),
])
def test_emergencies_are_flagged_with_the_line_to_transfer_to(text: str, code: str, transfer: str) -> None:
    hits = screen("", text)
    assert hits and hits[0].code == code and hits[0].kind == "emergency" and hits[0].transfer_to == transfer
    assert hits[0].matched and hits[0].reason.startswith(hits[0].label)


@pytest.mark.parametrize(("text", "code"), [
    ("我和开发商的案子法院已经判决了，对方不履行，要求政府强制执行", "litigation"),
    ("举报街道某干部收受贿赂、公款吃喝", "discipline"),
    ("我已向市政府申请行政复议，复议决定不合理", "admin_review"),
    ("我提交了政府信息公开申请，请公开征收补偿方案", "disclosure"),
    ("这件事我已信访过，信访局的信访答复我不满意", "petition"),
    ("帮我查一下他家住哪，还有他的电话", "privacy"),
    ("我们楼里有人聚众赌博", "public_order"),
])
def test_out_of_scope_matters_name_the_right_channel(text: str, code: str) -> None:
    hits = screen(text)
    assert [h.code for h in hits] == [code]
    assert hits[0].kind == "out_of_scope" and hits[0].transfer_to is None and "告知" in hits[0].advice


@pytest.mark.parametrize("text", [
    "小区消防通道被占用，存在火灾隐患，请消防部门检查",
    "去年发生车祸的交通事故认定书在哪里领取？保险理赔需要什么材料",
    "请问劳动争议怎么申请仲裁？",
    "咨询如何起诉拖欠工资的老板，能否申请法律援助",
    "小区楼下餐馆夜间噪音扰民，请求处理",
    "医保报销比例是多少？以前晕倒住院的费用能报吗",
])
def test_ordinary_requests_and_look_alikes_pass(text: str) -> None:
    assert screen("咨询", text) == []


@pytest.mark.parametrize(("text", "code"), [
    ("楼下着火了，火势很大，很容易烧到我家", "fire"),  # 容易 cancels only its own clause
    ("隔壁起火了，万一烧到煤气罐怎么办", "fire"),
    ("路口两车相撞，有人受伤躺在地上", "traffic_accident"),
    ("中山路这边车祸了，有人受伤", "traffic_accident"),
    ("有人持刀砍人，我已报警但警察还没来", "crime"),
    ("广场上一群人正在斗殴", "crime"),
    ("楼道里闻到煤气味很浓", "gas_leak"),
    ("有人正在聚众赌博", "public_order"),
    ("我已经申请了劳动仲裁", "arbitration"),
    ("我要向纪检部门举报", "discipline"),
    ("我要申请信息公开", "disclosure"),
    ("我已经信访过了", "petition"),
    ("帮我查一下我前夫现在的手机号和住址", "privacy"),
    ("楼下着火了\n去年也着过火", "fire"),  # a line break ends a clause: 去年 cancels only its own
    ("楼下着火了\r\n去年也着过一次火，请处理", "fire"),
    ("楼下着火了 去年也着过火", "fire"),  # a space may end one too
    ("楼下着 火了", "fire"),  # or sit inside a phrase
])
def test_common_wordings_a_caller_uses_are_caught(text: str, code: str) -> None:
    assert code in [h.code for h in screen("", text)], text


@pytest.mark.parametrize(("text", "code"), [
    # wordings callers used in QA that the first rules missed
    ("着火啦", "fire"), ("楼下冒烟了好像着火", "fire"), ("房子烧着了", "fire"),
    ("我以前住的那栋楼现在着火了", "fire"),  # 以前 before, but 现在 between: now
    ("楼下着火了一旦烧上来就完了", "fire"),  # 一旦 after the fire: it is burning
    ("有人溺水了", "rescue"), ("小孩掉河里了", "rescue"), ("电梯困人了", "rescue"), ("电梯里有人被困了", "rescue"),
    ("门口有人在打架拿着刀", "crime"), ("有个人拿刀在街上追人", "crime"), ("我老公打我", "crime"),
    ("我被人打了", "crime"), ("我被抢了", "crime"), ("家里进小偷了", "crime"), ("救命啊", "crime"),
    ("孩子在玄武湖公园走丢了", "crime"),
    ("有人煤气中毒了", "medical"), ("孩子发高烧抽搐", "medical"), ("我妈心脏病犯了，喘不上气", "medical"),
    ("新街口德基广场门口几个人在打架，有人头都打破了，流了好多血", "medical"),
    ("中山北路上两辆车撞了，有人躺在地上", "traffic_accident"),
    ("小区里有很重的天然气味道，怕要爆炸", "gas_leak"),
])
def test_more_wordings_of_an_emergency_now(text: str, code: str) -> None:
    hits = screen("", text)
    assert code in [h.code for h in hits] and hits[0].kind == "emergency", (text, hits)


@pytest.mark.parametrize("text", [
    "以上诉求请相关部门尽快处理",  # 上诉 inside 以上诉求: a stock closing phrase
    "食堂饭菜腐败变质，请市场监管部门检查", "超市卖的肉已经腐败变质了",
    "业主监委会也不管事，物业乱收费",
    "小区经常有人被困在电梯里，物业不及时处理",  # a recurring fault, not a rescue now
    "防止着火，请清理楼道堆放的杂物",
    "我以前住的那栋楼去年着火了，现在补偿还没到位",
])
def test_look_alikes_the_new_wordings_do_not_catch(text: str) -> None:
    assert [h for h in screen("", text) if h.kind == "emergency" or h.code in ("litigation", "discipline")] == [], text


def test_emergencies_come_first_and_every_rule_is_well_formed() -> None:
    hits = screen("举报有人赌博", "现在他们正在打架，有人被砍人")
    assert hits[0].kind == "emergency"
    codes = [r.code for r in rules()]
    assert len(codes) == len(set(codes))
    assert all(r.patterns and r.advice for r in rules())
    assert {r.transfer_to for r in rules() if r.kind == "emergency"} == {"110", "119", "120", "122"}
    assert all(not set(r.exclude) & set(r.exclude_before) for r in rules())


@pytest.mark.parametrize(("title", "text", "code"), [  # stop 21: a QA dispatcher's callers, in their own words
    ("饭店后厨冒黑烟", "楼下那家饭店后厨在冒黑烟，窗户里能看到火苗往外窜", "fire"),
    ("电瓶冒烟", "楼道里电动车电瓶在冒烟，还噼里啪啦响，有火星子", "fire"),
    ("我爸突然说不出话", "我爸刚才吃饭的时候突然说不出话，半边身子动不了", "medical"),
    ("厨房有味道", "厨房一股很浓的臭鸡蛋味，我怀疑是燃气管道漏气了", "gas_leak"),
    ("楼道燃气异味", "楼道里燃气有异味，家里老人在。", "gas_leak"),
    ("大桥上有人", "长江大桥上有个人翻到栏杆外面去了，好像要往下跳", "crime"),
    ("孩子放学没回家", "我儿子八岁，现在六点多了还没回来", "crime"),
    ("邻居家有孩子哭", "孩子在里面哭着喊救命，已经半个多小时了", "crime"),
    ("有人掉进窨井", "有个老人掉进没盖的窨井里了，人还在里面", "rescue"),
    ("举报城管", "城管队长每个月找摊贩收好处费，交了钱的随便摆", "discipline"),
    ("拆迁补偿", "要求政府把这个文件公开给我们", "disclosure"),
    ("借钱不还", "帮我查一下他现在住哪里", "privacy"),
])
def test_callers_own_words_for_an_emergency_or_another_channel(title: str, text: str, code: str) -> None:
    assert code in [h.code for h in screen(title, text)], (title, text)


@pytest.mark.parametrize(("title", "text"), [
    ("咨询父亲晕倒住院的医保报销", "上个月我父亲在家晕倒了，住了半个月院，想问异地医保报销需要什么材料。"),
    ("咨询", "前年出车祸了，现在后遗症还能申请工伤吗"),
    ("邻居漏水", "楼上漏水泡坏了我家吊顶，他说让我去法院起诉，我想先让社区调解一下。"),
    ("开放走廊设计存在安全隐患", "走廊的栏杆外面就是十几米高，孩子很容易爬出去"),
])
def test_past_events_and_words_reported_from_others_are_not_hits(title: str, text: str) -> None:
    assert screen(title, text) == [], (title, text)


def test_a_long_letter_mentioning_a_crime_in_passing_is_not_an_emergency_call() -> None:
    letter = "关于小区物业服务质量的意见。" + "物业长期不作为，公共区域卫生差，" * 10 + "去年还发生过抢劫。"
    assert all(h.kind != "emergency" for h in screen("物业服务差", letter))
    assert screen("有人抢劫", "就在刚才")[0].code == "crime"  # the title always counts


def test_registration_by_any_channel_records_the_screening_in_the_history(client, as_user, db) -> None:
    from sqlalchemy import select

    from hotline.tickets.models import TicketEvent
    from tests.factories import intake

    r = client.post("/api/v1/tickets", headers=as_user("operator"),
                    json=intake(title="楼下着火了", content="楼下着火了，火势很大，很容易烧到我家"))
    assert r.status_code == 201, r.text
    event = db.execute(select(TicketEvent).where(TicketEvent.ticket_id == r.json()["id"])).scalars().first()
    assert event.note.startswith("楼下着火了\n受理范围提示：火警：文中出现“着火了”“火势”")
    assert "登记时未经确认" in event.note
    assert event.data == {"screening": ["fire"], "screening_confirmed": False}
