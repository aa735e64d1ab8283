"""The demo city's rota of expert seats and business zones (专家座席值班): two or three people on each
of Nanjing's lines with expert seats (12348 法律, 12333 人社, 12329 公积金, 12320 卫生, 12393 医保,
12316 农业) and on the tobacco line's business zone (12313). Names are invented; phones are
extensions of the hall's switch (8xxx). Office hours on working days, with an evening or a weekend
slot here and there (and the public-health line on public holidays too), so that the hall's transfer
targets show both staffed and unstaffed lines."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hotline.demo import nanjing
from hotline.hotlines import roster
from hotline.runtime import Runtime
from hotline.security.actor import Actor

OFFICE = "周一至周五 09:00-12:00,14:00-17:30"
PEOPLE = [
    ("12348", "陈立新", "市法律援助中心", "8101", OFFICE),
    ("12348", "周晓岚", "市律师协会（驻场律师）", "8102", "周一至周五 18:00-21:00；周六 09:00-12:00"),
    ("12333", "刘建华", "市社会保险管理中心", "8201", OFFICE),
    ("12333", "孙雅婷", "市劳动人事争议仲裁院", "8202", "周二、周四 09:00-12:00"),
    ("12329", "吴海峰", "市住房公积金管理中心", "8301", OFFICE),
    ("12320", "郑慧敏", "市疾病预防控制中心", "8401", "每天 08:00-20:00；节假日 08:00-20:00"),
    ("12393", "王志强", "市医疗保障局经办处", "8501", OFFICE),
    ("12393", "赵婧", "市医疗保险基金管理中心", "8502", "周六至周日 09:00-17:00"),
    ("12316", "钱国栋", "市农业技术推广站", "8601", "周一、周三、周五 09:00-12:00"),
    ("12313", "何晨", "市烟草专卖局（业务专区）", "8701", OFFICE),
]


def build(db: Session, rt: Runtime) -> int:
    return roster.seed(db, rt, actor=Actor.system(), city=nanjing.CITY[1], people=PEOPLE)
