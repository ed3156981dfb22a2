"""司法确认 from any successful mediation: the application, the court's decision coming back through
the signed inbound API (and recorded by staff), shown to staff and to the parties."""

from __future__ import annotations

import pytest
from django.test import Client

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition, perform
from fengqiao.cases.models import CaseEvent
from fengqiao.mediation import actions
from fengqiao.mediation.models import Agreement, CourtStatus
from fengqiao.notify.models import OutboundMessage
from tests.channels.conftest import make_system, signed_post
from tests.conftest import Org
from tests.helpers import valid_input
from tests.mediation.conftest import drafted, sign_by_phone

pytestmark = pytest.mark.django_db
PATH = "/api/v1/inbound/judicial-confirmations"


def sealed(org: Org) -> Agreement:
    case, a = drafted(org)
    for s, phone in (
        (a.signatures.get(party__role="applicant"), "13812341234"),
        (a.signatures.get(party__role="respondent"), "13900001111"),
    ):
        assert sign_by_phone(Client(), s.token, phone).status_code == 302
    perform("resolve", case, org.actor("handler1"), valid_input("resolve", org))
    a.refresh_from_db()
    assert a.pdf_sha256
    return a


def test_apply_then_court_confirms_through_the_signed_api(org: Org) -> None:
    a = sealed(org)
    with pytest.raises(ActionForbidden):
        actions.court_apply(org.user("handler2"), a, "仙居县人民法院")
    actions.court_apply(org.user("handler1"), a, "仙居县人民法院")
    a.refresh_from_db()
    assert a.court_status == CourtStatus.APPLIED
    with pytest.raises(InvalidTransition):
        actions.court_apply(org.user("handler1"), a, "仙居县人民法院")

    court = make_system("court-xj", "court", name="仙居县人民法院")
    hotline = make_system("hotline-1", "hotline", name="12345")
    body = {
        "case_code": a.case.display_code,
        "agreement_sha256": a.pdf_sha256,
        "result": "confirmed",
        "court_ref": "(2026)浙1024民特12号",
    }
    assert signed_post(Client(), hotline, PATH, body).status_code == 403
    wrong = signed_post(Client(), court, PATH, {**body, "agreement_sha256": "0" * 64})
    assert wrong.status_code == 404
    unsigned = Client().post(PATH, body, content_type="application/json")
    assert unsigned.status_code == 401
    r = signed_post(Client(), court, PATH, body)
    assert r.status_code == 200, r.content
    assert r.json()["court_status"] == "confirmed" and r.json()["court_status_label"] == "法院裁定确认有效"
    a.refresh_from_db()
    assert a.court_status == CourtStatus.CONFIRMED and a.court_ref == "(2026)浙1024民特12号"
    ev = CaseEvent.objects.get(case=a.case, code="mediation.court_ruling")
    assert ev.public and ev.via == "inbound" and ev.data["result"] == "confirmed"
    # Each party is told, once, with their link; the party's page shows the ruling.
    told = OutboundMessage.objects.filter(template="court")
    assert sorted(str(m.recipient) for m in told) == ["13812341234", "13900001111"]
    assert all("法院已裁定确认有效" in m.text for m in told)
    page = Client().get(f"/portal/agreement/{a.signatures.first().token}/").content.decode()
    assert "法院裁定确认有效" in page and "(2026)浙1024民特12号" in page
    # A second ruling is refused.
    again = signed_post(Client(), court, PATH, {**body, "result": "rejected", "reason": "x"})
    assert again.status_code == 409


def test_rejection_needs_a_reason_and_is_shown(org: Org) -> None:
    a = sealed(org)
    actions.court_apply(org.user("handler1"), a, "仙居县人民法院")
    with pytest.raises(ActionInvalid) as exc:
        actions.court_ruling(org.user("handler1"), a, "rejected", reason="")
    assert "reason" in exc.value.errors
    assert Agreement.objects.get(pk=a.pk).court_status == CourtStatus.APPLIED
    actions.court_ruling(org.user("handler1"), a, "rejected", reason="协议内容违反法律强制性规定。")
    a.refresh_from_db()
    assert a.court_status == CourtStatus.REJECTED
    page = Client().get(f"/portal/agreement/{a.signatures.first().token}/").content.decode()
    assert "法院裁定不予确认" in page and "违反法律强制性规定" in page


def test_only_a_sealed_agreement_may_be_filed(org: Org) -> None:
    _, a = drafted(org)
    with pytest.raises(InvalidTransition):
        actions.court_apply(org.user("handler1"), a, "仙居县人民法院")
