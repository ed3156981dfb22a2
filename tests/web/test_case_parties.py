"""登记/更正当事人 on the case page and through the API: the form's fields, errors under their field,
masked display afterwards, the timeline line, and the API's permission and bad-input answers."""

from __future__ import annotations

import pytest

from fengqiao.cases.models import CaseEvent, Party
from fengqiao.cases.workflow import State
from tests.conftest import Org, client_for
from tests.helpers import case_in_state, world_snapshot
from tests.web.conftest import signed_in
from tests.web.test_case_page import page, post_action

pytestmark = pytest.mark.django_db


def test_case_page_adds_a_second_applicant_and_corrects_a_phone(org: Org) -> None:
    case = case_in_state(org, State.IN_PROGRESS)
    client = signed_in(org.user("handler1"))
    body = client.get(page(case)).content.decode()
    assert "登记/更正当事人" in body and "新增当事人" in body
    assert "被申请人 李*年（139****1111）" in body, "existing parties offered masked"

    r = post_action(
        client,
        case,
        "edit_party",
        {"role": "applicant", "name": "王小红", "phone": "13700002222", "reason": "共同申请人"},
    )
    assert r.status_code == 302, r.content.decode()[:400]
    case.refresh_from_db()
    respondent = case.parties.get(role="respondent")
    r = post_action(
        client,
        case,
        "edit_party",
        {"party": respondent.pk, "phone": "13900002222", "vulnerable": "", "reason": "号码登记错误"},
    )
    assert r.status_code == 302
    respondent.refresh_from_db()
    assert respondent.phone == "13900002222" and respondent.name == "李大年"

    body = client.get(page(case)).content.decode()
    assert "王*红" in body and "137****2222" in body and "139****2222" in body
    assert "王小红" not in body and "13700002222" not in body and "13900002222" not in body
    assert "更正项目" in body and "电话" in body  # the timeline names the field, not the value
    assert "name、phone" not in body and "修改项" not in body, "no raw field codes on the page"


def test_case_page_error_stands_under_its_field(org: Org) -> None:
    case = case_in_state(org, State.IN_PROGRESS)
    client = signed_in(org.user("handler1"))
    before = world_snapshot(case)
    r = post_action(client, case, "edit_party", {"role": "applicant", "phone": "12", "reason": "补充"})
    body = r.content.decode()
    assert r.status_code == 400
    assert "手机" in body or "电话" in body
    assert world_snapshot(case) == before


@pytest.mark.parametrize(
    ("who", "status"), [("handler1", 200), ("sub1_dispatcher", 200), ("handler2", 404), ("mediator_user", 403)]
)
def test_api_permission_matrix(org: Org, who: str, status: int) -> None:
    case = case_in_state(org, State.MEDIATING)
    before = Party.objects.filter(case=case).count()
    r = client_for(org.user(who)).post(
        f"/api/cases/{case.code}/actions/edit_party/",
        {"role": "respondent", "name": "某物业公司", "kind": "org", "reason": "补充被申请人"},
        format="json",
    )
    assert r.status_code == status, r.content
    assert Party.objects.filter(case=case).count() == before + (1 if status == 200 else 0)
    if status == 200:
        body = r.json()
        assert body["event"]["code"] == "case.edit_party"
        assert "某物业公司" in [p["name"] for p in body["case"]["parties"]]  # an organisation is not masked
        assert CaseEvent.objects.filter(case=case, code="case.edit_party").count() == 1


def test_api_bad_input_is_400_and_changes_nothing(org: Org) -> None:
    case = case_in_state(org, State.IN_PROGRESS)
    before = world_snapshot(case)
    r = client_for(org.user("handler1")).post(
        f"/api/cases/{case.code}/actions/edit_party/", {"party": 999999, "name": "张三", "reason": "x"}, format="json"
    )
    assert r.status_code == 400 and "party" in r.json()["errors"]
    assert world_snapshot(case) == before
