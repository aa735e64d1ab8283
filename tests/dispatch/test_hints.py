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
