"""SMS per public event through the outbox: written with the event, nothing on rollback, each
message delivered exactly once even when the gateway fails for a while or two relays race."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, transaction

from fengqiao.cases.actions import perform
from fengqiao.notify.models import MessageStatus, MessageTemplate, OutboundMessage
from fengqiao.notify.outbox import queue_sms, relay
from tests.conftest import Org
from tests.helpers import new_case, valid_input
from tests.portal import sms_backend

APPLICANT = "13812341234"  # the applicant of tests.conftest.case_payload


@pytest.mark.django_db
def test_sms_written_with_the_event_and_templates_seeded(org: Org) -> None:
    assert (
        MessageTemplate.objects.filter(
            event_code__in=[
                "case.register",
                "case.accept",
                "case.assign_person",
                "case.record_session",
                "case.resolve",
                "case.refer",
                "case.close",
                "case.reopen",
            ]
        ).count()
        == 8
    )
    case = new_case(org)
    event = perform("accept", case, org.actor("handler1"), {})
    msg = OutboundMessage.objects.get(dedup_key=f"evt:{event.pk}")
    assert msg.recipient == APPLICANT and case.display_code in msg.text and org.sub1.name in msg.text
    # Internal events send nothing.
    internal = perform("note", case, org.actor("handler1"), {"text": "内部备注"})
    assert not OutboundMessage.objects.filter(dedup_key=f"evt:{internal.pk}").exists()
    # Close asks for a rating with the tracking link (secret, never the phone).
    perform("resolve", case, org.actor("handler1"), valid_input("resolve", org))
    closed = perform("close", case, org.actor("handler1"), {})
    text = OutboundMessage.objects.get(dedup_key=f"evt:{closed.pk}").text
    assert f"/portal/t/{case.tracking_secret}/" in text and "评价" in text and APPLICANT not in text


@pytest.mark.django_db
def test_edited_or_disabled_template(org: Org) -> None:
    MessageTemplate.objects.filter(event_code="case.accept").update(text="受理了：{code}/{unit}/{nope}")
    MessageTemplate.objects.filter(event_code="case.assign_person").update(is_active=False)
    case = new_case(org)
    accept = perform("accept", case, org.actor("handler1"), {})
    assert (
        OutboundMessage.objects.get(dedup_key=f"evt:{accept.pk}").text
        == f"受理了：{case.display_code}/{org.sub1.name}/"
    )
    assign = perform("assign_person", case, org.actor("sub1_dispatcher"), valid_input("assign_person", org))
    assert not OutboundMessage.objects.filter(dedup_key=f"evt:{assign.pk}").exists()


@pytest.mark.django_db
def test_rolled_back_transaction_sends_nothing(org: Org) -> None:
    case = new_case(org)
    before = OutboundMessage.objects.count()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        perform("accept", case, org.actor("handler1"), {})
        assert OutboundMessage.objects.count() == before + 1  # written with the event ...
        raise Boom
    assert OutboundMessage.objects.count() == before  # ... and gone with it
    relay()
    relay()
    assert not any(m.template == "accepted" for m in sms_backend.SENT)


@pytest.mark.django_db
def test_gateway_down_for_a_while_then_every_message_once() -> None:
    start = dt.datetime(2026, 5, 6, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as t:
        for i in range(5):
            queue_sms(f"1380000000{i}", f"消息{i}", f"test:{i}")
        queue_sms("13800000000", "重复", "test:0")  # same dedup key: ignored
        sms_backend.STATE["fail"] = True
        for _ in range(3):
            r = relay()
            t.shift(dt.timedelta(hours=1))
            assert r.sent == 0
        assert set(OutboundMessage.objects.values_list("status", flat=True)) == {MessageStatus.PENDING}
        assert sms_backend.SENT == []
        sms_backend.STATE["fail"] = False
        assert relay().sent == 5
        t.shift(dt.timedelta(hours=1))
        assert relay().sent == 0
    assert sorted(m.dedup_key for m in sms_backend.SENT) == [f"test:{i}" for i in range(5)]
    assert all(m.attempts == 4 for m in OutboundMessage.objects.all())


@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_never_send_twice() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED need PostgreSQL")
    for i in range(40):
        queue_sms(f"1390000{i:04d}", f"消息{i}", f"race:{i}")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        from django.db import connections

        try:
            barrier.wait()
            relay(batch=10)
            relay(batch=100)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    keys = [m.dedup_key for m in sms_backend.SENT]
    assert len(keys) == 40 and len(set(keys)) == 40
