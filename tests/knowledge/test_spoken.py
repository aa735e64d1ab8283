"""Reading a long, spoken question for the question it asks (knowledge/spoken.py)."""

from __future__ import annotations

import pytest

from hotline.knowledge.spoken import asks, focus, is_filler


@pytest.mark.parametrize("query", [
    "学生票打几折",
    "网上买的票要怎么退",
    "我想在12306上开个账号，拿什么证件可以注册啊",
    "密码输错好几次账号被锁住了",
    "身份证丢了怎么补办，还有社保卡也丢了怎么挂失",
    "老年人乘公交免费吗？",
    "铁路局今年还招不招列车乘务员？对身高和学历有啥要求？",  # two questions (A不A asks): both kept
    "请问上海地铁2号线末班车是几点",  # a lead-in alone is not set aside: a plain question searches as it did
    "我想问下给12306发邮件都能办些啥事",
    "",
])
def test_a_plain_question_is_kept_as_it_came(query: str) -> None:
    assert focus(query) == query


def test_greetings_lead_ins_and_thanks_are_set_aside() -> None:
    assert focus("你好，我想问一下，就是那个，学生票打几折啊？谢谢啊。") == "学生票打几折啊"
    assert focus("喂？喂，能听到吗？你好，学生票能打几折呢？能跟我说一下吗？谢谢。") == "学生票能打几折呢"
    # a closing run on after the question without a stop
    assert focus("买了票没去坐也没退，会员积分还给算吗你们给解释一下") == "买了票没去坐也没退，会员积分还给算吗"
    # a lead-in inside the question's clause
    assert focus("您好，我想问一下订完票以后多长时间内要付款？") == "订完票以后多长时间内要付款"


def test_context_about_the_caller_before_a_question_that_names_its_matter_is_dropped() -> None:
    query = ("您好，我是替我家老人问的，他们不太会用手机。我这边有点着急。所以想问问你们，"
             "网上买的票要怎么退？麻烦你了。")
    assert focus(query) == "网上买的票要怎么退"
    # 好几天, 不怎么, 什么的: context, not a question
    assert focus("这事我琢磨好几天了。我平时不怎么坐火车。一个身份证能买几张票？") == "一个身份证能买几张票"


def test_a_question_that_points_back_keeps_what_was_said_before_it() -> None:
    query = "喂，你好。是这样的，我昨天坐高铁回来，下车的时候把包落在车厢里了。这种情况还能找回来吗？"
    assert focus(query) == "我昨天坐高铁回来，下车的时候把包落在车厢里了，这种情况还能找回来吗"
    # too short to stand alone
    assert "残疾证" in focus("我哥腿脚不好，有残疾证。有等级要求吗？")


def test_of_the_context_before_a_question_that_points_back_the_clauses_naming_its_matter_are_kept() -> None:
    # 车票 names the matter; the trip, the days of searching and the boss are the caller's own context
    query = ("喂，你好。我上个月去外地开会，回来的车票要拿去公司报销，结果弄丢了，翻了好几天也没翻到。"
             "领导一直在催。这种情况车票还能补打吗？")
    assert focus(query) == "回来的车票要拿去公司报销，这种情况车票还能补打吗"
    query = "您好。我妈腿脚不好，有残疾证。听说有给残疾人留的专用票。什么样的残疾人能买这种票？"
    assert focus(query) == "有残疾证，听说有给残疾人留的专用票，什么样的残疾人能买这种票"
    # no clause shares a word with the question: the matter is unnamed somewhere before, all is kept
    assert focus("你好。我哥有残疾证，腿脚不好。有等级要求吗？") == "我哥有残疾证，腿脚不好，有等级要求吗"


def test_the_question_runs_to_the_end_of_the_asking_sentences() -> None:
    # a question with its alternative after it (还是只能买全价的 asks without a question word)
    assert focus("你好。我是香港来的学生。港澳学生能不能买学生票？还是只能买全价的？谢谢。") == \
        "港澳学生能不能买学生票，还是只能买全价的"
    # no sentence asks: the last one (with matter) is what is wanted
    assert focus("你好，我这边有点着急。我密码输错好几次账号被锁住了。谢谢。") == "我密码输错好几次账号被锁住了"


def test_only_filler_is_kept_as_it_came() -> None:
    assert focus("你好，谢谢") == "你好，谢谢"


def test_filler_and_asking() -> None:
    assert is_filler("你好你好") and is_filler("喂，能听到吗？")
    assert is_filler("麻烦你了") and is_filler("就这个事谢谢了") and is_filler("")
    assert not is_filler("学生票") and not is_filler("好多规矩都不懂")
    assert asks("一个身份证能买几张票") and asks("还能补吗") and asks("咋办")
    assert not asks("我问了好几个人") and not asks("我平时不怎么坐火车") and not asks("还有充电器什么的")
    assert not asks("坐过去要十几个小时") and asks("要坐几个小时")


def test_a_count_of_hours_before_the_question_is_context_not_a_question() -> None:
    query = "你好，我这周末要坐一趟夜车，十几个小时呢，我怕坐不住。上车以后能不能补卧铺啊？"
    assert focus(query) == "上车以后能不能补卧铺啊"
