"""The checks on one pushed text, without a database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.errors import DomainError
from hotline.sms.service import acknowledgement, reply_text
from hotline.sms.validation import Checked, Refused, check
from tests.conftest import START


def _raw(**over: object) -> dict[str, object]:
    raw: dict[str, object] = {"id": "m1", "from": "+86 139-1234-5678", "text": "  路灯不亮 ",
                              "received_at": "2026-11-02T09:30:00+08:00"}
    raw.update(over)
    return raw


def test_a_good_text_is_normalised_like_ticket_phones() -> None:
    found = check(_raw(), START)
    assert isinstance(found, Checked)
    assert (found.gateway_id, found.sender, found.text) == ("m1", "13912345678", "路灯不亮")
    assert found.received_at == START - timedelta(minutes=30)


@pytest.mark.parametrize(("over", "code"), [
    ({"id": ""}, "id_invalid"),
    ({"id": "有空格 的编号"}, "id_invalid"),
    ({"from": None}, "from_missing"),
    ({"from": "abc"}, "from_invalid"),
    ({"from": "+" + "1" * 20}, "from_invalid"),  # 21 characters: more than the column holds
    ({"text": "   "}, "text_missing"),
    ({"text": "长" * 1001}, "text_too_long"),
    ({"received_at": None}, "received_at_missing"),
    ({"received_at": "昨天"}, "received_at_invalid"),
    ({"received_at": "2026-11-02T09:30:00"}, "received_at_no_timezone"),
    ({"received_at": "0001-01-01T00:00:00+08:00"}, "received_at_invalid"),
    ({"received_at": "2026-11-02T10:11:00+08:00"}, "received_in_future"),
])
def test_each_fault_is_named_in_chinese(over: dict[str, object], code: str) -> None:
    found = check(_raw(**over), START)
    assert isinstance(found, Refused) and found.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in found.message)


def test_not_an_object_is_refused() -> None:
    found = check(["m1"], START)
    assert isinstance(found, Refused) and found.code == "message_not_object"


def test_differences_name_the_fields() -> None:
    found = check(_raw(), START)
    assert isinstance(found, Checked)
    assert found.differences("13912345678", "路灯不亮", START - timedelta(minutes=30)) == []
    diffs = found.differences("13800000000", "别的内容", START)
    assert len(diffs) == 3 and diffs[0].startswith("发送号码（已收到 13800000000")


def test_the_automatic_text_names_only_the_number_and_how_to_follow_it() -> None:
    own = acknowledgement("NJ20261102-000001", phone="13912345678", sender="13912345678")
    assert own == "您反映的诉求已受理，工单编号NJ20261102-000001，可凭编号和手机号后四位在网上查询办理进度。【12345】"
    other = acknowledgement("NJ20261102-000001", phone="02552345678", sender="13912345678")
    assert "登记的联系电话后四位" in other and "0255" not in other and "5678" not in other
    assert acknowledgement("NJ20261102-000001", phone=None, sender="13912345678") == \
        "您反映的诉求已受理，工单编号NJ20261102-000001。【12345】"


def test_a_reply_is_signed_once_and_length_checked() -> None:
    assert reply_text("  请补充 地址 ") == "请补充 地址【12345】"
    assert reply_text("好的【12345】") == "好的【12345】"
    assert reply_text("长" * 200).endswith("【12345】")
    with pytest.raises(DomainError, match="最多 200 个字"):
        reply_text("长" * 201)
