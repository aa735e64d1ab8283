"""The waiting list both message channels share (hotline.channels.waiting_list), on each channel's table:
what the channels' own tests do not pin for either — paging by sender, a group's cap, the ids a form
may name, and the compare-and-swap that keeps two operators from handling one message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from hotline.channels.enums import IGNORE_LABELS, LISTED, IgnoreReason
from hotline.channels.waiting_list import GROUP_MAX, WaitingList
from hotline.errors import Conflict, DomainError
from hotline.sms.enums import InboundStatus
from hotline.sms.models import SmsInbound
from hotline.sms.service import TEXTS
from hotline.wechat.enums import MessageStatus
from hotline.wechat.models import WechatMessage
from hotline.wechat.service import MESSAGES
from tests.conftest import START
from tests.factories import Org
from tests.sms.conftest import _clean_sms  # noqa: F401  (the tables emptied after each test)
from tests.wechat.conftest import _clean_wechat  # noqa: F401

Maker = Callable[[Org, int, str, datetime], Any]
MAKERS: dict[str, Maker] = {
    "sms": lambda org, i, sender, at: SmsInbound(
        account_id=org.users["operator"].id, gateway_id=f"list-{i}", sender=sender, text=f"第{i}条短信",
        received_at=at, created_at=at, status=InboundStatus.PENDING),
    "wechat": lambda org, i, sender, at: WechatMessage(
        account="gh_0123456789ab", msg_key=f"list-{i}", openid=sender, msg_type="text", content=f"第{i}条留言",
        sent_at=at, received_at=at, status=MessageStatus.PENDING),
}
LISTS = pytest.mark.parametrize("box", [TEXTS, MESSAGES], ids=["sms", "wechat"])


def _waiting(db, org: Org, box: WaitingList[Any], sender: str, times: list[datetime]) -> list[int]:  # type: ignore[no-untyped-def]
    """Messages from one sender waiting for an operator; their ids, oldest first."""
    start = len(db.scalars(select(box.table.id)).all())
    rows = [MAKERS[box.code](org, start + n, sender, at) for n, at in enumerate(times)]
    db.add_all(rows)
    db.commit()
    return [r.id for r in sorted(rows, key=lambda r: (getattr(r, box.at.key), r.id))]


def test_every_channel_stores_the_lists_codes() -> None:
    """The list reads and writes its statuses as codes: each channel's enum must carry them (WeChat's
    has one more, `auto`, for messages the account answered itself: on no list)."""
    assert set(LISTED) <= {str(s) for s in InboundStatus} and set(LISTED) <= {str(s) for s in MessageStatus}
    assert set(IGNORE_LABELS) == set(IgnoreReason)


@LISTS
def test_a_form_names_one_groups_worth_of_ids(box: WaitingList[Any]) -> None:
    assert box.parse_ids(" 12,3,12 ") == [3, 12]
    assert box.parse_ids(",".join(str(i) for i in range(1, GROUP_MAX + 1))) == list(range(1, GROUP_MAX + 1))
    for value in (",".join(str(i) for i in range(1, GROUP_MAX + 2)), "", "1,a", "1234567890"):
        with pytest.raises(DomainError) as caught:
            box.parse_ids(value)
        assert caught.value.code == f"{box.code}_ids_invalid" and caught.value.status_code == 422, value


@LISTS
def test_groups_are_paged_by_sender_oldest_first_and_capped(box: WaitingList[Any], db, org: Org) -> None:  # type: ignore[no-untyped-def]
    many = _waiting(db, org, box, "13900000001", [START - timedelta(minutes=60 - i) for i in range(GROUP_MAX + 1)])
    _waiting(db, org, box, "13900000002", [START - timedelta(minutes=65)])
    _waiting(db, org, box, "13900000003", [START - timedelta(minutes=5)])
    operator = org.actor("operator")
    first, total = box.waiting(db, actor=operator, page=1, page_size=2)
    assert total == 3 and [g.sender for g in first] == ["13900000002", "13900000001"]
    assert [m.id for m in first[1].messages] == many[:GROUP_MAX]  # a run longer than a group: the oldest
    second, _ = box.waiting(db, actor=operator, page=2, page_size=2)
    assert [g.sender for g in second] == ["13900000003"]
    assert box.counts(db) == (GROUP_MAX + 3, 3)
    db.rollback()


@LISTS
def test_two_operators_never_both_handle_a_message(box: WaitingList[Any], db, rt, org: Org) -> None:  # type: ignore[no-untyped-def]
    ids = _waiting(db, org, box, "13900000001", [START - timedelta(minutes=10), START - timedelta(minutes=9)])
    seen = box.pending(db, org.actor("operator"), ids)  # the operator's form shows them waiting …
    box.ignore(db, rt, actor=org.actor("dispatcher"), ids=ids, reason="advertising")  # … a dispatcher is quicker
    with pytest.raises(Conflict) as caught:
        box.mark(db, [r.id for r in seen], status="registered", handled_by_id=org.users["operator"].id,
                 handled_at=START)
    assert caught.value.code == f"{box.code}_already_handled"
    assert caught.value.message == f"所选{box.noun}刚由他人处理，请刷新后查看"
    db.expire_all()
    rows = db.scalars(select(box.table).where(box.table.id.in_(ids))).all()
    assert {(r.status, r.ignore_reason, r.handled_by_id) for r in rows} == {
        ("ignored", "advertising", org.users["dispatcher"].id)}
    db.rollback()
