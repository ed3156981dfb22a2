"""登记/更正当事人 (#17 item 4): several applicants or respondents on one case, and a party's details
corrected after intake — through the action layer (one event, one audit row), the event naming the
party masked and listing the fields changed, never their values."""

from __future__ import annotations

import json

import pytest

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition, perform
from fengqiao.cases.models import Party
from fengqiao.cases.workflow import State
from fengqiao.core.models import AuditEntry
from tests.cases.action_checks import act, refused
from tests.conftest import Org
from tests.helpers import case_in_state

pytestmark = pytest.mark.django_db


def test_add_a_second_applicant_and_a_respondent(org: Org) -> None:
    case = case_in_state(org, State.IN_PROGRESS)
    assert case.parties.count() == 2
    event = act(
        org,
        "edit_party",
        case,
        "handler1",
        {
            "role": "applicant",
            "name": "王小红",
            "phone": "13700002222",
            "address": "白塔镇东村5号",
            "reason": "共同申请人",
        },
    )
    p = Party.objects.get(pk=event.data["party"])
    assert (p.case_id, p.role, p.name, p.phone, p.address) == (
        case.pk,
        "applicant",
        "王小红",
        "13700002222",
        "白塔镇东村5号",
    )
    assert p.phone_hash, "the search hash is kept for the new phone"
    assert event.data == {
        "party": p.pk,
        "party_role": "applicant",
        "party_name": "王*红",
        "party_fields": ["address", "name", "phone"],
        "new_party": True,
    }
    assert event.reason == "共同申请人"
    act(
        org,
        "edit_party",
        case,
        "sub1_dispatcher",
        {"role": "respondent", "kind": "org", "name": "某建材公司", "reason": "补充"},
    )
    assert sorted(case.parties.values_list("role", flat=True)) == ["applicant", "applicant", "respondent", "respondent"]


def test_correct_a_party_keeps_what_is_left_blank(org: Org) -> None:
    case = case_in_state(org, State.MEDIATING)
    respondent = case.parties.get(role="respondent")
    event = act(
        org,
        "edit_party",
        case,
        "handler1",
        {"party": respondent.pk, "name": "", "phone": "+86 139 0000 2222", "id_number": "", "reason": "电话登记错误"},
    )
    respondent.refresh_from_db()
    assert (respondent.name, respondent.phone) == ("李大年", "13900002222"), "blank name unchanged; phone normalised"
    assert event.data["party_fields"] == ["phone"] and event.data["new_party"] is False
    assert event.data["party_name"] == "李*年"
    # Neither the event nor its audit row holds the values (they stay encrypted on the party row).
    entry = AuditEntry.objects.filter(action="case.edit_party").latest("id")
    stored = json.dumps([event.data, event.before, event.after, entry.detail], ensure_ascii=False)
    assert "13900002222" not in stored and "李大年" not in stored
    assert case.state == State.MEDIATING


def test_bad_input_changes_nothing(org: Org) -> None:
    case = case_in_state(org, State.IN_PROGRESS)
    applicant = case.parties.get(role="applicant")
    other = case_in_state(org, State.IN_PROGRESS).parties.first()
    assert other is not None
    err = refused(ActionInvalid, org, "edit_party", case, "handler1", {"role": "applicant", "reason": "补充"})
    assert "name" in err.errors, "a new party needs a name"
    err = refused(
        ActionInvalid, org, "edit_party", case, "handler1", {"party": other.pk, "name": "张三", "reason": "x"}
    )
    assert "party" in err.errors, "a party of another case"
    err = refused(
        ActionInvalid, org, "edit_party", case, "handler1", {"party": applicant.pk, "name": "王小明", "reason": "x"}
    )
    assert "party" in err.errors, "nothing to correct"
    err = refused(
        ActionInvalid, org, "edit_party", case, "handler1", {"party": applicant.pk, "phone": "123", "reason": "x"}
    )
    assert "phone" in err.errors
    err = refused(
        ActionInvalid,
        org,
        "edit_party",
        case,
        "handler1",
        {"party": applicant.pk, "id_number": "11010519491231002Y", "reason": "x"},
    )
    assert "id_number" in err.errors
    err = refused(
        ActionInvalid, org, "edit_party", case, "handler1", {"party": applicant.pk, "role": "respondent", "reason": "x"}
    )
    assert "role" in err.errors, "the only applicant"
    err = refused(ActionInvalid, org, "edit_party", case, "handler1", {"name": "张三"})
    assert "reason" in err.errors


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("handler1", True),  # handler of the owning town
        ("sub1_dispatcher", True),  # dispatcher of the owning town
        ("handler2", False),  # handler of another town: out of scope
        ("mediator_user", False),  # a mediator corrects nothing (the handler does)
        ("leader1", False),
    ],
)
def test_permission_matrix(org: Org, who: str, allowed: bool) -> None:
    case = case_in_state(org, State.IN_PROGRESS)
    data = {"role": "respondent", "name": "赵六", "reason": "补充被申请人"}
    if allowed:
        act(org, "edit_party", case, who, data)
    else:
        refused(ActionForbidden, org, "edit_party", case, who, data)


def test_not_on_a_closed_case(org: Org) -> None:
    case = case_in_state(org, State.CLOSED)
    refused(InvalidTransition, org, "edit_party", case, "handler1", {"name": "赵六", "reason": "补充"})
    resolved = case_in_state(org, State.RESOLVED)  # an ended case may still be corrected (e.g. for 司法确认)
    perform("edit_party", resolved, org.actor("handler1"), {"name": "赵六", "role": "respondent", "reason": "补充"})
    assert resolved.parties.count() == 3
