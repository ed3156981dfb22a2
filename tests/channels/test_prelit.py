"""Pre-litigation mediation (诉前调解): a court referral, its 30-day clock with one consented
extension, and both outcomes reported back to the court by signed webhook."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
from django.test import Client

from fengqiao.cases.actions import ActionInvalid, perform
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.channels.models import PreLitigation, PrelitOutcome
from fengqiao.notify.outbox import relay
from tests.channels.conftest import Receiver, make_system, signed_post
from tests.conftest import Org

pytestmark = pytest.mark.django_db


def referral(ref: str = "(2026)浙1024民诉前调1号") -> dict[str, object]:
    return {
        "external_ref": ref,
        "title": "买卖合同货款纠纷",
        "description": "原告称被告拖欠货款五万元，经法院引导同意诉前调解。",
        "name": "王小明",
        "phone": "13812341234",
        "respondent_name": "某某建材有限公司",
        "location_code": "331024103201",
    }


def open_referral(org: Org, receiver: Receiver) -> Case:
    court = make_system("court-xj", "court", webhook_url=receiver.url, name="仙居县人民法院")
    r = signed_post(Client(), court, "/api/v1/inbound/cases", referral())
    assert r.status_code == 201, r.content
    case = Case.objects.get(source_system="court-xj")
    if case.owner_unit_id != org.sub1.pk:
        perform("assign_unit", case, org.actor("dispatcher"), {"unit": org.sub1.pk})
    perform("accept", case, org.actor("handler1"), {})
    perform("attach_team", case, org.actor("handler1"), {"members": [{"mediator": org.mediator.pk, "is_lead": True}]})
    perform(
        "record_session",
        case,
        org.actor("handler1"),
        {"held_at": "2026-01-05T10:00:00+08:00", "place": "白塔镇调解室", "notes": "双方就还款期限协商。"},
    )
    return case


def test_referral_opens_case_with_court_party_and_30_day_clock(org: Org, receiver: Receiver) -> None:
    court = make_system("court-xj", "court", webhook_url=receiver.url, name="仙居县人民法院")
    signed_post(Client(), court, "/api/v1/inbound/cases", referral())
    case = Case.objects.get()
    assert case.channel == "court"
    assert [str(p.name) for p in case.parties.filter(role="third", kind="org")] == ["仙居县人民法院"]
    pre = PreLitigation.objects.get(case=case)
    assert pre.court == court and pre.outcome == PrelitOutcome.OPEN
    assert case.deadline_policy is not None and case.deadline_policy.extendable_days == 30
    assert abs((case.due_at - case.created_at) - dt.timedelta(days=30)) < dt.timedelta(minutes=1)


def test_one_extension_by_consent(org: Org, receiver: Receiver) -> None:
    case = open_referral(org, receiver)
    due = case.due_at
    with pytest.raises(ActionInvalid):
        perform("extend", case, org.actor("handler1"), {"days": 31, "consent": "双方同意"})
    with pytest.raises(ActionInvalid):
        perform("extend", case, org.actor("handler1"), {"days": 10})  # no consent recorded
    event = perform("extend", case, org.actor("handler1"), {"days": 30, "consent": "双方当事人书面同意延长"})
    case.refresh_from_db()
    assert case.due_at - due == dt.timedelta(days=30)
    assert event.reason == "双方当事人书面同意延长" and event.public
    with pytest.raises(ActionInvalid):
        perform("extend", case, org.actor("handler1"), {"days": 5, "consent": "再次同意"})
    assert CaseEvent.objects.filter(case=case, code="case.extend").count() == 1
    relay()
    ext = [m for m in receiver.received if m["event"] == "case.extend"]
    assert ext and ext[0]["prelit"]["type"] == "extended" and ext[0]["prelit"]["days"] == 30


def test_extension_not_allowed_for_ordinary_cases(org: Org, new_case: Case) -> None:
    perform("accept", new_case, org.actor("handler1"), {})
    with pytest.raises(ActionInvalid):
        perform("extend", new_case, org.actor("handler1"), {"days": 5, "consent": "同意"})


def test_success_sends_agreement_and_judicial_confirmation(org: Org, receiver: Receiver) -> None:
    from docx import Document

    case = open_referral(org, receiver)
    perform(
        "resolve",
        case,
        org.actor("handler1"),
        {"agreement": True, "matter_settled": True, "grievance_settled": True, "result": "被告分三期支付货款五万元。"},
    )
    relay()
    final = receiver.received[-1]
    assert final["event"] == "case.resolve" and final["court_ref"] == "(2026)浙1024民诉前调1号"
    app = final["prelit"]["judicial_confirmation"]
    doc = Document(io.BytesIO(base64.b64decode(app["agreement_docx_base64"])))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "人民调解协议书" in text and "王小明" in text and "仙居县人民法院" in text
    assert "被告分三期支付货款五万元。" in text and "{{" not in text
    assert PreLitigation.objects.get(case=case).outcome == PrelitOutcome.SUCCESS
    # the same document for signature from the case page (staff in scope only)
    staff = Client()
    staff.force_login(org.user("handler1"))
    r = staff.get(f"/staff/channels/agreement/{case.code}.docx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    other = Client()
    other.force_login(org.user("handler2"))
    assert other.get(f"/staff/channels/agreement/{case.code}.docx").status_code == 404


def test_failure_returns_case_to_court_with_record(org: Org, receiver: Receiver) -> None:
    case = open_referral(org, receiver)
    perform("refer", case, org.actor("handler1"), {"referral": "litigation", "reason": "被告拒绝调解"})
    relay()
    final = receiver.received[-1]
    assert final["event"] == "case.refer"
    assert final["prelit"]["type"] == "returned_for_trial"
    assert final["prelit"]["record"][0]["notes"] == "双方就还款期限协商。"
    assert PreLitigation.objects.get(case=case).outcome == PrelitOutcome.FAILED
    # every step went to the court, in order, once
    events = [m["event"] for m in receiver.received]
    assert events[0] == "case.register" and len(events) == len({m["event_id"] for m in receiver.received})
