"""The demo's 短信受理: a few texts waiting on the page, pushed through the gateway's own path
(`sms.service.ingest`) by the PBX adapter's account — a citizen's run of three texts, a single text,
and an advertisement for the operator to ignore."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.org import service as org_service
from hotline.org.models import User
from hotline.sms import service

# (minutes before the end, sender, text): the same sender's texts in a row, as citizens send them.
TEXTS = [
    (52, "13951700001", "你好，我是孝陵卫街道钟灵街50号的住户"),
    (51, "13951700001", "楼下餐馆每晚营业到凌晨一点，排风扇噪音很大"),
    (49, "13951700001", "已经持续一个多月了，请有关部门处理，谢谢"),
    (35, "18205180002", "请问新生儿医保在哪里办理，需要带什么材料？"),
    (20, "10690000888", "【某贷款】无抵押低息贷款，当天放款，回T退订"),
]


def build(db: Session, *, end: datetime) -> int:
    gateway = db.execute(select(User).where(User.username == "pbx-adapter")).scalar_one()
    items = [{"id": f"demo-sms-{i + 1}", "from": sender, "text": text,
              "received_at": (end - timedelta(minutes=minutes)).isoformat()}
             for i, (minutes, sender, text) in enumerate(TEXTS)]
    return service.ingest(db, actor=org_service.actor_for(gateway), items=items, now=end).accepted
