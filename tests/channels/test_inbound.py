"""Inbound system API: signed requests make one case per work order; refusals write nothing;
status webhooks go back through the outbox, also after the receiver was down."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from fengqiao.cases.actions import perform
from fengqiao.cases.models import Case, CaseEvent, Category
from fengqiao.channels import signing
from fengqiao.channels.models import CategoryMapping, InboundNonce, InboundRecord
from fengqiao.core.models import AuditEntry
from fengqiao.notify.models import MessageStatus, OutboundMessage
from fengqiao.notify.outbox import relay
from tests.channels.conftest import Receiver, make_system, signed_get, signed_post
from tests.conftest import Org

pytestmark = pytest.mark.django_db
PATH = "/api/v1/inbound/cases"


def order(ref: str = "12345-2026-0001", **kw: object) -> dict[str, object]:
    data: dict[str, object] = {
        "gdbh": ref,
        "nr": "邻居家装修噪音扰民，晚上十点后仍在施工，多次沟通无果。",
        "lb": "噪音扰民",
        "ldrxm": "张三",
        "lddh": "13812345678",
        "location_code": "331024103201",
    }
    data.update(kw)
    return data


def hotline(**kw: object):  # type: ignore[no-untyped-def]
    return make_system(
        "hotline-12345",
        "hotline",
        field_map={"external_ref": "gdbh", "description": "nr", "category": "lb", "name": "ldrxm", "phone": "lddh"},
        **kw,
    )


def counts() -> tuple[int, int, int, int]:
    return Case.objects.count(), CaseEvent.objects.count(), InboundNonce.objects.count(), AuditEntry.objects.count()


def test_signed_order_creates_one_case_and_repeat_returns_it(org: Org) -> None:
    system = hotline()
    CategoryMapping.objects.create(system=system, external_code="噪音扰民", category=Category.objects.get(code="0201"))
    c = Client()
    r1 = signed_post(c, system, PATH, order())
    assert r1.status_code == 201, r1.content
    body = r1.json()
    assert body["created"] is True and body["state"] == "registered"
    case = Case.objects.get(source_system="hotline-12345", external_ref="12345-2026-0001")
    assert case.channel == "hotline" and case.category.code == "0201" and case.location_unit == org.village1
    assert case.parties.get(role="applicant").phone == "13812345678"
    rec = InboundRecord.objects.get(case=case)
    assert rec.original_category == "噪音扰民" and rec.mapped
    # the same work order again (a new signed request): one case, and the answer says so
    r2 = signed_post(c, system, PATH, order())
    assert r2.status_code == 200 and r2.json()["duplicate"] is True and r2.json()["case_code"] == case.display_code
    assert Case.objects.filter(external_ref="12345-2026-0001").count() == 1
    assert InboundRecord.objects.get(case=case).duplicates == 1
    # polled status by the external reference
    r3 = signed_get(c, system, f"{PATH}/12345-2026-0001")
    assert r3.status_code == 200 and r3.json()["events"][0]["event"] == "case.register"


def test_unmapped_category_falls_back_and_keeps_original(org: Org) -> None:
    system = hotline()
    r = signed_post(Client(), system, PATH, order(lb="其他类别X"))
    assert r.status_code == 201
    rec = InboundRecord.objects.get()
    assert rec.original_category == "其他类别X" and not rec.mapped


def test_replay_is_refused_and_writes_nothing(org: Org) -> None:
    system = hotline()
    c = Client()
    body = json.dumps(order(), ensure_ascii=False).encode()
    headers = signing.sign_headers(system.key_id, str(system.secret), "POST", PATH, body)
    assert c.post(PATH, data=body, content_type="application/json", headers=headers).status_code == 201
    before = counts()
    body2 = json.dumps(order("OTHER-REF"), ensure_ascii=False).encode()
    # same nonce, even with a fresh valid signature over a different body
    sig = signing.signature(
        str(system.secret), "POST", PATH, headers[signing.HEADER_TS], headers[signing.HEADER_NONCE], body2
    )
    r = c.post(PATH, data=body2, content_type="application/json", headers={**headers, signing.HEADER_SIG: sig})
    assert r.status_code == 401 and r.json()["error"] == "replay"
    assert counts() == before


@pytest.mark.parametrize(
    "tamper",
    ["body", "signature", "stale", "key", "path"],
)
def test_bad_requests_are_refused_and_write_nothing(org: Org, tamper: str) -> None:
    system = hotline()
    c = Client()
    body = json.dumps(order(), ensure_ascii=False).encode()
    headers = signing.sign_headers(system.key_id, str(system.secret), "POST", PATH, body)
    if tamper == "body":
        body = body.replace("张三".encode(), "李四".encode())
    elif tamper == "signature":
        headers[signing.HEADER_SIG] = "0" * 64
    elif tamper == "stale":
        ts = str(int(time.time()) - 600)
        headers[signing.HEADER_TS] = ts
        headers[signing.HEADER_SIG] = signing.signature(
            str(system.secret), "POST", PATH, ts, headers[signing.HEADER_NONCE], body
        )
    elif tamper == "key":
        headers[signing.HEADER_KEY] = "fq_unknown"
    elif tamper == "path":
        headers = signing.sign_headers(system.key_id, str(system.secret), "POST", "/api/v1/inbound/stats", body)
    before = counts()
    r = c.post(PATH, data=body, content_type="application/json", headers=headers)
    assert r.status_code == 401, r.content
    assert r.json()["message"]  # a Chinese reason
    assert counts() == before


def test_invalid_order_is_400_and_writes_nothing(org: Org) -> None:
    system = hotline()
    before = counts()
    r = signed_post(Client(), system, PATH, order(nr="", gdbh=""))
    assert r.status_code == 400
    assert "gdbh" in r.json()["errors"]
    assert counts() == before  # not even the nonce


def test_inactive_system_refused(org: Org) -> None:
    system = hotline(is_active=False)
    assert signed_post(Client(), system, PATH, order()).status_code == 401
    assert Case.objects.count() == 0


def test_status_webhooks_delivered_after_receiver_was_down(org: Org, receiver: Receiver) -> None:
    system = hotline(webhook_url=receiver.url)
    receiver.down = True
    r = signed_post(Client(), system, PATH, order())
    assert r.status_code == 201
    case = Case.objects.get()
    perform("accept", case, org.actor("handler1"), {})
    # (in a test transaction on_commit does not fire: run the relay by hand) — the receiver refuses
    assert relay().failed == 2
    msgs = OutboundMessage.objects.filter(channel="webhook").order_by("pk")
    assert msgs.count() == 2
    assert all(m.status == MessageStatus.PENDING and m.attempts >= 1 for m in msgs)
    assert receiver.received == []
    receiver.down = False
    OutboundMessage.objects.filter(channel="webhook").update(next_attempt_at=msgs[0].created_at)
    result = relay()
    assert result.sent == 2
    events = [m["event"] for m in receiver.received]
    assert events == ["case.register", "case.accept"]
    assert receiver.received[1]["external_ref"] == "12345-2026-0001"
    # each delivery is signed with the system's secret over the receiver's path
    h = receiver.headers[0]
    assert not signing.check(
        str(system.secret),
        "POST",
        "/fengqiao/hook",
        h[signing.HEADER_TS],
        h[signing.HEADER_NONCE],
        receiver.raw[0],
        h[signing.HEADER_SIG],
    )
    # nothing is sent twice
    assert relay().sent == 0
    assert len(receiver.received) == 2


def test_webhook_goes_dead_after_max_attempts(org: Org, receiver: Receiver) -> None:
    from fengqiao.notify import outbox

    system = hotline(webhook_url=receiver.url)
    receiver.down = True
    signed_post(Client(), system, PATH, order())
    msg = OutboundMessage.objects.get(channel="webhook")
    for _ in range(outbox.MAX_ATTEMPTS):
        OutboundMessage.objects.filter(pk=msg.pk).update(next_attempt_at=msg.created_at)
        relay()
    msg.refresh_from_db()
    assert msg.status == MessageStatus.DEAD


def test_stats_api_and_page(org: Org) -> None:
    system = hotline()
    c = Client()
    signed_post(c, system, PATH, order("A"))
    signed_post(c, system, PATH, order("A"))
    signed_post(c, system, PATH, order("B"))
    s = signed_get(c, system, "/api/v1/inbound/stats").json()
    assert s["received"] == 2 and s["duplicates_refused"] == 1 and s["cases"]["open"] == 2
    staff = Client()
    staff.force_login(org.user("dispatcher"))
    page = staff.get("/staff/channels/")
    assert page.status_code == 200 and "hotline-12345" in page.content.decode()
    nobody = Client()
    nobody.force_login(org.user("nobody"))
    assert nobody.get("/staff/channels/").status_code == 403


def test_expired_nonces_are_purged(org: Org) -> None:
    import datetime as dt

    from django.utils import timezone

    from fengqiao.channels.api import purge_nonces

    system = hotline()
    old = InboundNonce.objects.create(system=system, nonce="old", at=timezone.now() - dt.timedelta(minutes=11))
    fresh = InboundNonce.objects.create(system=system, nonce="fresh")
    assert purge_nonces() == 1
    assert not InboundNonce.objects.filter(pk=old.pk).exists() and InboundNonce.objects.filter(pk=fresh.pk).exists()
