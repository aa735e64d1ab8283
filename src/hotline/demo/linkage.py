"""The demo's 联动转办: the 长三角 and provincial 12345 platforms registered beside the city's emergency and
utility lines, a few waiting tickets passed to them (one answered, one sent back, some still out) and requests
passed in by 110 and the power company (one answered and owed back, one reported back, one being handled), so
that the 联动转办 page and its tickets are not empty on a fresh demo. Everything goes through the services the
administrator and the hall would use, on the simulated clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.clock import to_local
from hotline.hotlines import service as hotlines
from hotline.hotlines.enums import LineKind, MergeMode
from hotline.hotlines.models import HotlineLine
from hotline.hotlines.schemas import LineCreate
from hotline.org import service as org_service
from hotline.org.models import Unit, UnitKind, User
from hotline.runtime import Runtime
from hotline.tickets import service as tickets
from hotline.tickets.enums import Action, Channel, Kind
from hotline.tickets.schemas import ActionIn, DispatchIn, TicketCreate

SOURCE = "长三角地区12345热线联动机制（演示）"
PLATFORMS = [  # (city, name): another place's 12345, registered as its main line
    ("上海市", "上海市12345市民服务热线"),
    ("杭州市", "杭州市12345政务服务热线"),
    ("合肥市", "合肥市12345政务服务便民热线"),
    ("江苏省", "江苏省12345政务服务便民热线"),
]
# Requests the hall finds are another platform's: (platform, title, content, 转出理由, what came back: None still
# waiting, ("answer", text) answered, ("return", text) sent back).
OUT = [
    ("上海市", "上海浦东某商户占道经营", "来电人反映出差期间在上海市浦东新区某路段看到商户长期占道经营，影响通行。",
     "诉求发生地为上海市浦东新区，属上海市办理事项",
     ("answer", "经浦东新区城管执法局核查，涉事商户占道经营已劝离，已纳入日常巡查。")),
    ("江苏省", "省属高校收取费用是否合规", "来电人反映其子女就读的省属高校收取住宿费以外的管理费用，询问是否合规。",
     "来电人反映省属高校收费问题，属省级部门职责",
     ("return", "经核实该校收费标准由市级部门核定，请南京市12345按属地派单。")),
    ("杭州市", "杭州西湖区租房押金不退", "来电人反映在杭州市西湖区租房退租后房东拒不退还押金，希望当地部门协调。",
     "租赁纠纷发生在杭州市西湖区，属当地办理", None),
    ("110", "小区地下室有人聚众赌博", "来电人反映小区地下室近期每晚有人聚集赌博，人员复杂，担心安全。",
     "来电人反映有人聚众赌博，属公安机关管辖", None),
]
IN = [  # (platform number, 对方工单编号, title, content, next step)
    ("110", "JJ{day}0153", "邻居装修夜间施工噪声扰民", "110接警后转来：来电人反映楼上住户装修每晚十点后仍在施工，"
     "噪声很大，影响休息，希望有关部门管一管。", "answer"),
    ("95598", "GD{day}2207", "小区路灯线路私拉乱接存在隐患", "供电公司转来：小区内路灯由物业私接，线路裸露，"
     "非供电公司资产，请属地街道和住建部门处理。", "dispatch"),
    ("110", "JJ{day}0871", "商铺门前长期占道堆放杂物", "110接警后转来：来电人反映沿街商铺长期在人行道堆放杂物，"
     "行人通行困难，非警情，转12345办理。", "answer_reported"),
]


# Tickets this adds to the demo's simulated ones.
EXTRA = len(OUT) + len(IN)


def _request(title: str, content: str) -> TicketCreate:
    return TicketCreate(channel=Channel.PHONE, kind=Kind.COMPLAINT, requester_name="刘先生",
                        requester_phone="13905170000", address="南京市玄武区", title=title, content=content,
                        occurred_desc="近一周", circumstances="来电人称已多次发现该情况，希望有关部门尽快处理。")


def build(db: Session, rt: Runtime, *, end: datetime) -> str:
    """Write the records as of `end`; a line saying what was written."""
    admin = org_service.actor_for(db.execute(select(User).where(User.username == "admin")).scalar_one())
    hall = org_service.actor_for(db.execute(select(User).where(User.username == "dispatcher1")).scalar_one())
    rt.clock.set(end - timedelta(days=3))  # type: ignore[attr-defined]  # the simulation's FixedClock
    for city, name in PLATFORMS:
        hotlines.create(db, rt, actor=admin, data=LineCreate(
            city=city, number="12345", name=name, kind=LineKind.MAIN, merge_mode=MergeMode.NONE,
            note=SOURCE, reason="建立长三角及省级12345热线联动，诉求互接互转"))
    db.commit()
    lines = {(x.city, x.number): x for x in db.execute(select(HotlineLine)).unique().scalars()}
    home = rt.settings.city_name

    operator = org_service.actor_for(db.execute(select(User).where(User.username == "operator1")).scalar_one())
    passed = 0
    for i, (where, title, content, reason, outcome) in enumerate(OUT):
        line = lines.get((where, "12345")) or lines.get((home, where))
        if line is None:
            continue
        at = end - timedelta(hours=50 - 10 * i)
        rt.clock.set(at)  # type: ignore[attr-defined]
        ticket, _ = tickets.register(db, rt, actor=operator, data=_request(title, content))
        rt.clock.set(at + timedelta(minutes=12))  # type: ignore[attr-defined]
        tickets.act(db, rt, actor=hall, ticket_id=ticket.id, action=Action.TRANSFER_OUT,
                    params=ActionIn(line_id=line.id, reason=reason))
        passed += 1
        if outcome is not None:
            rt.clock.set(at + timedelta(hours=20))  # type: ignore[attr-defined]
            kind, text = outcome
            if kind == "answer":
                tickets.act(db, rt, actor=hall, ticket_id=ticket.id, action=Action.LINKED_ANSWER,
                            params=ActionIn(content=text, external_ref=f"SH{to_local(at):%Y%m%d}0042"))
            else:
                tickets.act(db, rt, actor=hall, ticket_id=ticket.id, action=Action.LINKED_RETURN,
                            params=ActionIn(reason=text))

    street = db.execute(select(Unit).where(Unit.kind == str(UnitKind.STREET_OFFICE)).order_by(Unit.id)
                        .limit(1)).scalar_one_or_none()
    received = 0
    for number, ref, title, content, step in IN:
        line = lines.get((home, number))
        if line is None:
            continue
        rt.clock.set(end - timedelta(hours=26 - 8 * received))  # type: ignore[attr-defined]
        data = _request(title, content).model_copy(update={
            "linked_from_line_id": line.id, "linked_from_ref": ref.format(day=f"{to_local(end):%Y%m%d}"),
            "dispatch": DispatchIn(lead_unit_id=street.id) if step == "dispatch" and street else None})
        ticket, _ = tickets.register(db, rt, actor=operator, data=data)
        received += 1
        if step.startswith("answer"):
            tickets.act(db, rt, actor=operator, ticket_id=ticket.id, action=Action.ANSWER_DIRECTLY,
                        params=ActionIn(answer="已告知来电人向属地街道综合执法中队反映，并将诉求记录转属地跟进。",
                                        answer_source="12345热线受理范围清单"))
        if step == "answer_reported":
            tickets.act(db, rt, actor=hall, ticket_id=ticket.id, action=Action.REPORT_BACK,
                        params=ActionIn(content="已答复来电人并告知处理渠道，办理结果反馈110指挥中心。"))
    rt.clock.set(end)  # type: ignore[attr-defined]
    return (f"联动平台已登记（长三角及省级12345 {len(PLATFORMS)} 个），联动转出 {passed} 件、"
            f"联动转入 {received} 件（联动转办页）")
