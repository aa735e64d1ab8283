"""The plaintext-mode protocol without a database: the signature, the XML read safely, each
MsgType kept as the platform shows it, the passive reply."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from hotline.wechat import protocol
from tests.wechat.conftest import ACCOUNT, ALICE, xml

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def test_the_signature_is_sha1_of_the_sorted_token_timestamp_and_nonce() -> None:
    # sorted: "1714000000" < "abc" < "token"
    assert protocol.signature("token", "1714000000", "abc") == hashlib.sha1(b"1714000000abctoken").hexdigest()
    ts = str(int(NOW.timestamp()))
    good = protocol.signature("token", ts, "n1")
    assert protocol.signed("token", signature_=good, timestamp=ts, nonce="n1", now=NOW)
    assert protocol.signed("token", signature_=good.upper(), timestamp=ts, nonce="n1", now=NOW)
    assert not protocol.signed("other", signature_=good, timestamp=ts, nonce="n1", now=NOW)
    assert not protocol.signed("token", signature_=good, timestamp=ts, nonce="n2", now=NOW)
    assert not protocol.signed("", signature_=protocol.signature("", ts, "n1"), timestamp=ts, nonce="n1")
    assert not protocol.signed("token", signature_="", timestamp=ts, nonce="n1")
    # A signed URL replayed later than the window is refused (plaintext mode does not sign the body).
    late = NOW + timedelta(seconds=protocol.TIMESTAMP_WINDOW + 1)
    assert not protocol.signed("token", signature_=good, timestamp=ts, nonce="n1", now=late)
    assert protocol.signed("token", signature_=good, timestamp=ts, nonce="n1")  # the verification: no window


@pytest.mark.parametrize("body, why", [
    (b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
     b'<xml><Content>&b;</Content></xml>', "DTD"),
    (b'<!DOCTYPE xml SYSTEM "http://evil.example/x.dtd"><xml><Content>x</Content></xml>', "DTD"),
    (b'<xml><A><B>nested</B></A></xml>', "结构"),
    (b'<other><A>x</A></other>', "结构"),
    (b'<xml><A>1</A><A>2</A></xml>', "重复"),
    (b'<xml><A>unclosed</xml>', "XML"),
    (b'<xml><Content>' + b'x' * (protocol.FIELD_MAX + 1) + b'</Content></xml>', "过长"),
    (b'<xml>' + b' ' * protocol.BODY_MAX + b'</xml>', "过大"),
])
def test_a_body_that_is_not_wechats_flat_xml_is_refused(body: bytes, why: str) -> None:
    with pytest.raises(protocol.BadMessage, match=why):
        protocol.parse(body)


def test_fields_are_read_from_cdata_and_plain_text() -> None:
    fields = protocol.parse(xml("text", Content="噪音扰民 & <b>"))
    assert fields["Content"] == "噪音扰民 & <b>"
    assert fields["FromUserName"] == ALICE and fields["MsgId"] == "1001" and fields["MsgType"] == "text"
    assert protocol.parse("<xml><A>a &amp; b</A><B>中文</B></xml>".encode()) == {"A": "a & b", "B": "中文"}


def test_each_type_is_kept_as_the_page_shows_it() -> None:
    text = protocol.message(protocol.parse(xml("text", Content="  楼下噪音  ")))
    assert (text.msg_type, text.key, text.content, text.account, text.openid) == ("text", "1001", "楼下噪音", ACCOUNT,
                                                                                    ALICE)
    image = protocol.message(protocol.parse(xml("image", PicUrl="http://mmbiz/x", MediaId="m1")))
    assert (image.msg_type, image.content) == ("image", "")
    voice = protocol.message(protocol.parse(xml("voice", MediaId="m2", Format="amr", Recognition="公积金怎么提取")))
    assert (voice.content, voice.recognized) == ("公积金怎么提取", True)
    silent = protocol.message(protocol.parse(xml("voice", MediaId="m2", Format="amr")))
    assert (silent.content, silent.recognized) == ("", False)
    where = protocol.message(protocol.parse(xml("location", Location_X="32.05", Location_Y="118.78", Scale="15",
                                                Label="玄武区中山路1号")))
    assert where.content == "玄武区中山路1号（32.05, 118.78）"
    # An event has no MsgId: its key is the sender and CreateTime, as WeChat advises for retries.
    sub = protocol.message(protocol.parse(xml("event", msg_id=None, at=1793600000, Event="subscribe")))
    assert (sub.msg_type, sub.event, sub.key) == ("event", "subscribe", f"ev:{ALICE}:1793600000:subscribe")
    assert sub.sent_at == datetime.fromtimestamp(1793600000, UTC)


@pytest.mark.parametrize("fields, why", [
    ({"FromUserName": ""}, "FromUserName"),
    ({"FromUserName": "o<script>"}, "FromUserName"),
    ({"ToUserName": ""}, "ToUserName"),
    ({"CreateTime": "yesterday"}, "CreateTime"),
    ({"MsgId": ""}, "MsgId"),
])
def test_a_message_without_the_fields_wechat_always_sends_is_refused(fields: dict[str, str], why: str) -> None:
    base = protocol.parse(xml("text", Content="你好"))
    with pytest.raises(protocol.BadMessage, match=why):
        protocol.message({**base, **fields})


def test_the_passive_reply_escapes_cdata_and_stays_within_wechats_size() -> None:
    import xml.etree.ElementTree as ET

    out = protocol.text_reply(to=ALICE, account=ACCOUNT, text="答复]]>结束", now=NOW)
    root = ET.fromstring(out)
    assert (root.findtext("ToUserName"), root.findtext("FromUserName"), root.findtext("MsgType")) == (
        ALICE, ACCOUNT, "text")
    assert root.findtext("Content") == "答复]]>结束" and root.findtext("CreateTime") == str(int(NOW.timestamp()))
    long = ET.fromstring(protocol.text_reply(to=ALICE, account=ACCOUNT, text="长" * 5000, now=NOW)).findtext("Content")
    assert long is not None and len(long) == protocol.REPLY_MAX and long.endswith("…")
    assert len(long.encode()) <= 2048
