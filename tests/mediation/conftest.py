from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from fengqiao.cases.models import Case
from fengqiao.cases.workflow import State
from fengqiao.mediation import actions
from fengqiao.mediation.models import Agreement
from fengqiao.notify.models import OutboundMessage
from tests.conftest import Org
from tests.helpers import case_in_state
from tests.portal import sms_backend


@pytest.fixture(autouse=True)
def memory_sms(settings: Any) -> Any:
    settings.FENGQIAO_SMS_BACKEND = "tests.portal.sms_backend.MemorySMSBackend"
    settings.FENGQIAO_PUBLIC_URL = "https://fq.example.cn"
    sms_backend.reset()
    yield sms_backend
    sms_backend.reset()


def draft_data(case: Case, **over: Any) -> dict[str, Any]:
    respondent = case.parties.get(role="respondent")
    data: dict[str, Any] = {
        "facts": "被申请人新建三层楼房，挡住申请人家南面采光，双方多次协商未果。",
        "responsibilities": "被申请人建房前未征求相邻方意见，负主要责任。",
        "performance": "以银行转账方式一次性支付。",
        "organisation": "白塔镇人民调解委员会",
        "obligations": [
            {
                "party": respondent.pk,
                "content": "向申请人支付采光损失补偿款",
                "amount": "5000",
                "deadline": "2026-12-31",
            },
            {"party": "", "content": "双方今后互不追究", "amount": "", "deadline": ""},
        ],
    }
    data.update(over)
    return data


def mediating_case(org: Org) -> Case:
    return case_in_state(org, State.MEDIATING)


def drafted(org: Org) -> tuple[Case, Agreement]:
    case = mediating_case(org)
    a = actions.draft_agreement(org.user("handler1"), case, draft_data(case))
    return case, a


def last_code(phone: str) -> str:
    for m in OutboundMessage.objects.filter(template="verify").order_by("-pk"):
        if str(m.recipient) == phone:
            found = re.search(r"\d{6}", m.text)
            assert found
            return found.group(0)
    raise AssertionError("no verification SMS")


def sign_by_phone(client: Client, token: str, phone: str, action: str = "confirm", reason: str = "") -> Any:
    url = f"/portal/agreement/{token}/"
    r = client.post(url, {"action": "send_code"})
    assert r.status_code == 302, r.content.decode()[:500]
    return client.post(url, {"action": action, "sms_code": last_code(phone), "reason": reason})
