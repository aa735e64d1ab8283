"""Urgency and enterprise hints at intake."""

from __future__ import annotations

from hotline.dispatch.hints import hints


def test_urgency_hints_pick_the_most_severe_level() -> None:
    h = hints("小区停水", "整栋楼停水两天了，还有老人独居")
    assert h.urgency == "urgent" and "停水" in h.urgency_words
    h = hints("路面塌陷", "路面塌陷，有车辆陷入，停电了")
    assert h.urgency == "critical" and h.urgency_words == ("塌陷",)
    assert hints("咨询公积金", "请问公积金提取需要什么材料").urgency is None


def test_enterprise_hint_not_for_residents_complaining_about_a_company() -> None:
    assert hints("营业执照办理", "我们公司想变更营业执照经营范围").enterprise is True
    assert hints("物业公司乱收费", "小区物业公司强制收取停车费").enterprise is False
    assert hints("开发商延期交房", "开发商延期交房，要求赔偿").enterprise is False
    assert hints("融资难", "本公司是小微企业，物业公司也拖欠我们款项，融资困难").enterprise is True


def test_everyday_words_are_no_hint() -> None:
    """QA: 地铁站出口 read as an enterprise, 希望尽快修一下 (a street light) as urgent, a takeaway
    shop without a licence as 一企来; 拖了我们两个月工资 was not read as wage arrears."""
    from hotline.dispatch.hints import hints

    assert not hints("黑车拉客", "胜太路地铁站出口天天有黑车拉客").enterprise
    assert hints("路灯不亮", "路灯坏了好几天，希望尽快修一下").urgency is None
    assert not hints("外卖商家无证经营", "外卖平台上这家店没有营业执照还在卖").enterprise
    assert hints("欠薪", "老板欠工资三个月了").urgency == "urgent"
    assert hints("咨询出口退税", "我们公司办理出口退税要多久").enterprise
