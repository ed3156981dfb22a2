"""Several applicants (#17 item 4): a party added after intake is named in the agreement and signs it
like the others; the seal waits for every party; a party corrected while an agreement waits for
confirmations supersedes that version."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fengqiao.cases.actions import perform
from fengqiao.mediation import actions
from fengqiao.mediation.models import AgreementStatus, Decision
from fengqiao.notify.models import OutboundMessage
from tests.conftest import Org
from tests.mediation.conftest import draft_data, mediating_case, sign_by_phone

pytestmark = pytest.mark.django_db
APPLICANT, SECOND, RESPONDENT = "13812341234", "13700002222", "13900001111"


def test_three_parties_each_confirm_and_only_then_the_seal(org: Org) -> None:
    case = mediating_case(org)
    perform(
        "edit_party",
        case,
        org.actor("handler1"),
        {"role": "applicant", "name": "王小红", "phone": SECOND, "reason": "共同申请人"},
    )
    a = actions.draft_agreement(org.user("handler1"), case, draft_data(case))
    assert "申请人：王小明" in a.text and "申请人：王小红" in a.text and "被申请人：李大年" in a.text
    assert sorted(a.signatures.values_list("party__name", flat=True)) == sorted(["王小明", "王小红", "李大年"])
    invited = sorted(str(m.recipient) for m in OutboundMessage.objects.filter(template="agreement"))
    assert invited == sorted([APPLICANT, SECOND, RESPONDENT]), "one invitation per party"

    tokens = {s.party.phone: s.token for s in a.signatures.select_related("party")}
    for i, phone in enumerate([APPLICANT, SECOND, RESPONDENT]):
        r = sign_by_phone(Client(), tokens[phone], phone)
        assert r.status_code == 302
        a.refresh_from_db()
        expected = AgreementStatus.CONFIRMED if i == 2 else AgreementStatus.SIGNING
        assert a.status == expected, (phone, a.status)
    assert set(a.signatures.values_list("decision", flat=True)) == {Decision.CONFIRMED}
    assert a.pdf_sha256


def test_a_correction_supersedes_the_waiting_version(org: Org, client: Any) -> None:
    case = mediating_case(org)
    a = actions.draft_agreement(org.user("handler1"), case, draft_data(case))
    respondent = case.parties.get(role="respondent")
    perform("edit_party", case, org.actor("handler1"), {"party": respondent.pk, "name": "李大年子", "reason": "错字"})
    a.refresh_from_db()
    assert a.status == AgreementStatus.SUPERSEDED
    b = actions.draft_agreement(org.user("handler1"), case, draft_data(case))
    assert b.version == 2 and "被申请人：李大年子" in b.text
