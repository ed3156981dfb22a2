"""Messages in doubt (the gateway may already have them) are looked up before they are handed over
again: a relay killed mid-call or a call that timed out after the gateway accepted it never makes a
phone ring twice; when the gateway cannot say, the message waits instead of going out blindly."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.test import override_settings

from fengqiao.notify.aliyun import AliyunSMSBackend
from fengqiao.notify.backends import BaseSMSBackend, SMSError, SMSMessage
from fengqiao.notify.models import MessageStatus, OutboundMessage
from fengqiao.notify.outbox import CLAIM_SECONDS, queue_sms, relay
from resilience.gateway import Gateway

ACCEPTED: list[SMSMessage] = []  # what the gateway took, whatever the caller heard back
CALLS = {"send": 0, "lookup": 0}
MODE = {"send": "ok", "lookup": "ok"}  # send: ok | timeout-after-accept | refuse; lookup: ok | down
_lock = threading.Lock()


class LookupBackend(BaseSMSBackend):
    can_look_up = True

    def send(self, message: SMSMessage) -> str:
        with _lock:
            CALLS["send"] += 1
            if MODE["send"] == "refuse":
                raise SMSError("busy")
            ACCEPTED.append(message)
            if MODE["send"] == "timeout-after-accept":
                raise SMSError("Aliyun SMS unreachable: timed out")
            return f"id-{len(ACCEPTED)}"

    def find_sent(self, message: SMSMessage, since: dt.datetime) -> str | None:
        with _lock:
            CALLS["lookup"] += 1
            if MODE["lookup"] == "down":
                raise SMSError("query failed")
            for i, m in enumerate(ACCEPTED):
                if m.dedup_key == message.dedup_key:
                    return f"id-{i + 1}"
        return None


@pytest.fixture(autouse=True)
def backend(settings: object) -> None:
    settings.FENGQIAO_SMS_BACKEND = "tests.notify.test_in_doubt.LookupBackend"  # type: ignore[attr-defined]
    ACCEPTED.clear()
    CALLS.update(send=0, lookup=0)
    MODE.update(send="ok", lookup="ok")


def _keys() -> list[str]:
    return [m.dedup_key for m in ACCEPTED]


@pytest.mark.django_db
def test_first_attempt_is_not_looked_up() -> None:
    queue_sms("13800000001", "消息", "doubt:1")
    assert relay().sent == 1
    assert CALLS == {"send": 1, "lookup": 0} and _keys() == ["doubt:1"]


@pytest.mark.django_db
def test_timeout_after_the_gateway_accepted_is_not_sent_twice() -> None:
    start = dt.datetime(2026, 5, 6, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as t:
        queue_sms("13800000002", "消息", "doubt:2")
        MODE["send"] = "timeout-after-accept"
        r = relay()
        assert r.sent == 0 and r.failed == 1
        MODE["send"] = "ok"
        t.shift(dt.timedelta(hours=1))
        r = relay()
    assert r.sent == 1 and r.recovered == 1
    assert _keys() == ["doubt:2"] and CALLS == {"send": 1, "lookup": 1}
    msg = OutboundMessage.objects.get(dedup_key="doubt:2")
    assert msg.status == MessageStatus.SENT and msg.provider_id == "id-1"


@pytest.mark.django_db
def test_relay_killed_mid_call_then_reclaimed_finds_it_at_the_gateway() -> None:
    start = dt.datetime(2026, 5, 6, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as t:
        queue_sms("13800000003", "消息", "doubt:3")
        # A relay claimed it, the gateway accepted it, and the relay died before marking it sent.
        OutboundMessage.objects.filter(dedup_key="doubt:3").update(
            status=MessageStatus.SENDING, claimed_until=start + dt.timedelta(seconds=CLAIM_SECONDS)
        )
        ACCEPTED.append(SMSMessage("13800000003", "消息", "", "doubt:3"))
        assert relay().sent == 0  # still claimed by the dead relay
        t.shift(dt.timedelta(seconds=CLAIM_SECONDS + 1))
        r = relay()
    assert r.recovered == 1 and CALLS["send"] == 0 and _keys() == ["doubt:3"]
    assert OutboundMessage.objects.get(dedup_key="doubt:3").status == MessageStatus.SENT


@pytest.mark.django_db
def test_refused_then_not_found_is_sent_once() -> None:
    start = dt.datetime(2026, 5, 6, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as t:
        queue_sms("13800000004", "消息", "doubt:4")
        MODE["send"] = "refuse"
        relay()
        MODE["send"] = "ok"
        t.shift(dt.timedelta(hours=1))
        r = relay()
    assert r.sent == 1 and r.recovered == 0 and _keys() == ["doubt:4"] and CALLS == {"send": 2, "lookup": 1}


@pytest.mark.django_db
def test_gateway_cannot_say_so_the_message_waits() -> None:
    start = dt.datetime(2026, 5, 6, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as t:
        queue_sms("13800000005", "消息", "doubt:5")
        MODE["send"] = "timeout-after-accept"
        relay()
        MODE.update(send="ok", lookup="down")
        t.shift(dt.timedelta(hours=1))
        r = relay()
        assert r.sent == 0 and CALLS["send"] == 1  # not handed over blindly
        msg = OutboundMessage.objects.get(dedup_key="doubt:5")
        assert msg.status == MessageStatus.PENDING and msg.attempts == 2 and "query failed" in msg.last_error
        MODE["lookup"] = "ok"
        t.shift(dt.timedelta(hours=1))
        assert relay().recovered == 1
    assert _keys() == ["doubt:5"]


def test_aliyun_lookup_against_the_fake_gateway() -> None:
    gateway = Gateway(0).start()
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    try:
        with override_settings(
            ALIYUN_SMS_ENDPOINT=f"http://127.0.0.1:{gateway.port}/",
            ALIYUN_SMS_ACCESS_KEY_ID="k",
            ALIYUN_SMS_ACCESS_KEY_SECRET="s",
            ALIYUN_SMS_TEMPLATES='{"*": "SMS_1"}',
        ):
            backend = AliyunSMSBackend()
            for i in range(60):  # more than one page of 50 for this phone
                backend.send(SMSMessage("13800000000", "【枫桥】测试", "progress", f"q:{i}"))
            assert backend.find_sent(SMSMessage("13800000000", "x", "progress", "q:55"), since)
            assert backend.find_sent(SMSMessage("13800000000", "x", "progress", "q:1"), since)
            assert backend.find_sent(SMSMessage("13800000000", "x", "progress", "q:99"), since) is None
            assert backend.find_sent(SMSMessage("13900000000", "x", "progress", "q:1"), since) is None
            gateway.configure(fail_rate=1.0)
            with pytest.raises(SMSError):
                backend.find_sent(SMSMessage("13800000000", "x", "progress", "q:1"), since)
    finally:
        gateway.close()
