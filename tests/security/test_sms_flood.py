"""Twenty simultaneous "获取验证码" presses for one phone send exactly one code and one SMS
(issue #12, 2: they sent eight). Real threads, real transactions, on the test database (PostgreSQL in
the PostgreSQL run; SQLite serialises writers by itself)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from fengqiao.notify.models import OutboundMessage
from fengqiao.portal import verify
from fengqiao.portal.models import PhoneVerification
from tests.portal import sms_backend

PRESSES = 20


def _press_together(phones: list[str], ips: list[str]) -> list[str]:
    barrier = threading.Barrier(len(phones))
    outcomes: list[str] = []
    lock = threading.Lock()

    def press(phone: str, ip: str) -> None:
        try:
            barrier.wait(timeout=30)
            verify.issue(phone, ip)
            result = "sent"
        except verify.VerifyError as exc:
            result = exc.message
        except Exception as exc:  # reported, and fails the test below
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=press, args=(p, i)) for p, i in zip(phones, ips, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return outcomes


@pytest.fixture
def memory_sms(settings: Any) -> Any:
    settings.FENGQIAO_SMS_BACKEND = "tests.portal.sms_backend.MemorySMSBackend"
    settings.FENGQIAO_INPROCESS_TASKS = "sync"
    sms_backend.reset()
    yield sms_backend
    sms_backend.reset()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_presses_for_one_phone_send_one_code(memory_sms: Any) -> None:
    from fengqiao.notify.templates import seed_message_templates

    seed_message_templates()
    phone = "13812345678"
    outcomes = _press_together([phone] * PRESSES, [f"198.51.100.{i}" for i in range(PRESSES)])
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes.count("sent") == 1
    assert all("秒后再重新获取" in o for o in outcomes if o != "sent")
    assert PhoneVerification.objects.filter(phone_hash=verify.phone_hash(phone)).count() == 1
    assert OutboundMessage.objects.filter(dedup_key__startswith="otp:").count() == 1
    assert len([m for m in memory_sms.SENT if m.phone == phone]) <= 1  # the relay sends it at most once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_presses_from_one_address_respect_the_daily_cap(memory_sms: Any, monkeypatch: Any) -> None:
    from fengqiao.notify.templates import seed_message_templates

    seed_message_templates()
    monkeypatch.setattr(verify, "DAILY_PER_IP", 3)
    phones = [f"1391234{i:04d}" for i in range(PRESSES)]
    outcomes = _press_together(phones, ["203.0.113.5"] * PRESSES)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert outcomes.count("sent") == 3
    assert PhoneVerification.objects.filter(ip_hash=verify.ip_hash("203.0.113.5")).count() == 3
