"""Aliyun SMS and WeChat template messages against local fake servers, through the real outbox relay."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.cache import cache

from fengqiao.notify import aliyun
from fengqiao.notify.backends import PermanentDeliveryError, SMSError, SMSMessage
from fengqiao.notify.models import MessageStatus, OutboundMessage
from fengqiao.notify.outbox import queue, queue_sms, relay
from fengqiao.notify.wechat import WeChatClient
from tests.notify.fake_gateways import ALIYUN_SECRET, WECHAT, Fake, fake_server


def test_signature_matches_aliyun_documented_example() -> None:
    # The worked example of Aliyun's 签名机制 page (AccessKeySecret "testsecret").
    params = {
        "SignatureVersion": "1.0",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "Version": "2014-05-26",
        "AccessKeyId": "testid",
        "SignatureMethod": "HMAC-SHA1",
        "Timestamp": "2016-02-23T12:46:24Z",
    }
    assert aliyun.sign(params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    assert aliyun.percent_encode("a b*~中") == "a%20b%2A~%E4%B8%AD"


@pytest.fixture
def gw(settings: Any) -> Iterator[Fake]:
    with fake_server() as fake:
        settings.FENGQIAO_SMS_BACKEND = "fengqiao.notify.aliyun.AliyunSMSBackend"
        settings.ALIYUN_SMS_ENDPOINT = fake.base + "/"
        settings.ALIYUN_SMS_ACCESS_KEY_ID = "test-id"
        settings.ALIYUN_SMS_ACCESS_KEY_SECRET = ALIYUN_SECRET
        settings.ALIYUN_SMS_SIGN_NAME = "枫桥"
        settings.ALIYUN_SMS_TEMPLATES = json.dumps({"verify": "SMS_1", "*": "SMS_2"})
        settings.ALIYUN_SMS_TIMEOUT = "2"
        settings.WECHAT_API_BASE = fake.base
        settings.WECHAT_APP_ID = WECHAT["appid"]
        settings.WECHAT_APP_SECRET = WECHAT["secret"]
        settings.WECHAT_TEMPLATE_ID = "tpl-progress"
        cache.clear()
        yield fake
        cache.clear()


def test_aliyun_send_signed_and_mapped(gw: Fake) -> None:
    backend = aliyun.AliyunSMSBackend()
    assert (
        backend.send(SMSMessage("13812345678", "【枫桥】您的验证码是123456，5分钟内有效。", "verify", "otp:1"))
        == "biz-1"
    )
    backend.send(SMSMessage("13812345678", "【枫桥】您的事项已受理。", "accepted", "evt:9"))
    first, second = gw.sent
    assert first["TemplateCode"] == "SMS_1" and json.loads(first["TemplateParam"]) == {"code": "123456"}
    assert second["TemplateCode"] == "SMS_2" and json.loads(second["TemplateParam"]) == {"content": "您的事项已受理。"}
    assert second["PhoneNumbers"] == "13812345678" and second["SignName"] == "枫桥" and second["OutId"] == "evt:9"
    assert gw.bad_signatures == 0


def test_aliyun_wrong_secret_and_refusals(gw: Fake, settings: Any) -> None:
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "wrong"
    with pytest.raises(SMSError, match="SignatureDoesNotMatch"):
        aliyun.AliyunSMSBackend().send(SMSMessage("13812345678", "x", "accepted"))
    assert gw.bad_signatures == 1
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = ALIYUN_SECRET
    gw.refuse_code = "isv.MOBILE_NUMBER_ILLEGAL"
    with pytest.raises(PermanentDeliveryError):
        aliyun.AliyunSMSBackend().send(SMSMessage("13812345678", "x", "accepted"))
    gw.refuse_code = "isv.BUSINESS_LIMIT_CONTROL"  # flow control: worth retrying later
    with pytest.raises(SMSError) as exc:
        aliyun.AliyunSMSBackend().send(SMSMessage("13812345678", "x", "accepted"))
    assert not isinstance(exc.value, PermanentDeliveryError)


def test_aliyun_unreachable_is_retryable(settings: Any) -> None:
    settings.ALIYUN_SMS_ENDPOINT = "http://127.0.0.1:9/"  # discard port: connection refused
    settings.ALIYUN_SMS_ACCESS_KEY_ID, settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "id", "s"
    settings.ALIYUN_SMS_TEMPLATES = '{"*": "SMS_2"}'
    with pytest.raises(SMSError, match="unreachable"):
        aliyun.AliyunSMSBackend().send(SMSMessage("13812345678", "x"))


@pytest.mark.django_db
def test_aliyun_down_for_a_while_then_each_message_once_via_relay(gw: Fake) -> None:
    start = dt.datetime(2026, 5, 6, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as t:
        for i in range(6):
            queue_sms(f"1380000000{i}", f"【枫桥】消息{i}", f"ali:{i}", template="accepted")
        gw.fail_next = 6 * 3  # every request of three relay runs fails
        for _ in range(3):
            assert relay().sent == 0
            t.shift(dt.timedelta(hours=1))
        assert relay().sent == 6
        t.shift(dt.timedelta(hours=1))
        assert relay().sent == 0
    assert sorted(m["OutId"] for m in gw.sent) == [f"ali:{i}" for i in range(6)]
    assert set(OutboundMessage.objects.values_list("status", "attempts")) == {(MessageStatus.SENT, 4)}
    assert set(OutboundMessage.objects.values_list("provider_id", flat=True)) == {f"biz-{i}" for i in range(1, 7)}


@pytest.mark.django_db
def test_permanent_refusal_is_dead_lettered_at_once(gw: Fake) -> None:
    gw.refuse_code = "isv.MOBILE_NUMBER_ILLEGAL"
    queue_sms("13800000001", "【枫桥】x", "ali:dead", template="accepted")
    assert relay().dead == 1
    msg = OutboundMessage.objects.get(dedup_key="ali:dead")
    assert msg.status == MessageStatus.DEAD and "MOBILE_NUMBER_ILLEGAL" in msg.last_error


@pytest.mark.django_db
def test_wechat_token_cached_and_refreshed(gw: Fake) -> None:
    client = WeChatClient()
    assert client.send_template("o-1", {"first": "a"}) == "1001"
    assert client.send_template("o-2", {"first": "b"}) == "1002"
    assert gw.tokens_issued == 1  # cached between sends
    gw.valid_tokens.clear()  # WeChat invalidated the token (errcode 40001): fetch a new one, once
    assert client.send_template("o-3", {"first": "c"}) == "1003"
    assert gw.tokens_issued == 2
    assert [b["touser"] for b in gw.sent] == ["o-1", "o-2", "o-3"]
    assert gw.sent[0]["template_id"] == "tpl-progress" and gw.sent[0]["data"]["first"] == {"value": "a"}
    assert client.openid_for_code("good-code") == "o-citizen-1"
    assert client.openid_for_code("bad") == ""


@pytest.mark.django_db
def test_wechat_channel_through_the_relay_retries_then_once(gw: Fake) -> None:
    start = dt.datetime(2026, 5, 6, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as t:
        for i in range(3):
            queue("wechat", f"o-{i}", f"【枫桥】进度{i}", f"wx:{i}")
        queue("wechat", "o-0", "重复", "wx:0")
        gw.fail_next = 3
        r = relay()
        assert r.sent == 0 and r.failed == 3
        t.shift(dt.timedelta(minutes=5))
        assert relay().sent == 3
        t.shift(dt.timedelta(hours=1))
        assert relay().sent == 0
    assert sorted(b["touser"] for b in gw.sent) == ["o-0", "o-1", "o-2"]
    assert {m.channel for m in OutboundMessage.objects.all()} == {"wechat"}


@pytest.mark.django_db
def test_wechat_not_configured_is_dead_lettered(settings: Any) -> None:
    settings.WECHAT_APP_ID = ""
    queue("wechat", "o-9", "x", "wx:nocfg")
    assert relay().dead == 1
