"""The action layer, every way to be refused: illegal transition (409), no role or out of scope (403),
stale version (412), bad input (400) — each leaving everything unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest

from fengqiao.cases.actions import (
    ActionForbidden,
    ActionInvalid,
    Actor,
    InvalidTransition,
    StaleVersion,
)
from fengqiao.cases.policy import grant_for
from fengqiao.cases.workflow import TRANSITIONS, State
from fengqiao.core.audit import verify_chain
from fengqiao.core.models import AuditEntry
from tests.cases.action_checks import act, refused
from tests.conftest import Org
from tests.helpers import PATHS, case_in_state, new_case, valid_input

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------------------------
# refusals


@pytest.mark.parametrize("state", list(PATHS))
def test_illegal_transitions_change_nothing(org: Org, state: str) -> None:
    case = case_in_state(org, state)
    other = new_case(org, title="另一件")
    illegal = [name for name, t in TRANSITIONS.items() if not t.allows(state)]
    assert illegal
    for name in illegal:
        err = refused(InvalidTransition, org, name, case, "dispatcher", valid_input(name, org, other.code))
        assert err.status == 409


def test_close_from_registered_is_an_invalid_transition(org: Org) -> None:
    case = new_case(org)
    err = refused(InvalidTransition, org, "close", case, "handler1")
    assert "待受理" in err.message


FORBIDDEN = [
    # (state, action, who): a role the action does not list, or a unit that does not hold the case.
    (State.REGISTERED, "accept", "handler2"),  # out of scope (town2)
    (State.REGISTERED, "accept", "nobody"),  # no role at all
    (State.REGISTERED, "accept", "sysadmin"),  # administration is not case work
    (State.REGISTERED, "accept", "leader1"),  # leaders do not accept
    (State.REGISTERED, "assign_unit", "handler1"),  # dispatching is for dispatchers and leaders
    (State.REGISTERED, "withdraw", "grid_worker"),  # the grid is below the owner unit
    (State.REGISTERED, "note", "handler2"),
    (State.REGISTERED, "update", "supervisor"),  # supervisors watch, they do not act
    (State.ACCEPTED, "pause", "mediator_user"),
    (State.ACCEPTED, "resolve", "leader1"),
    (State.ACCEPTED, "refer", "sub1_dispatcher"),
    (State.ACCEPTED, "escalate", "dept_handler"),
    (State.MEDIATING, "record_session", "county_leader"),
    (State.MEDIATING, "record_session", "handler2"),
    (State.MEDIATING, "detach_team", "mediator_user"),  # a team member may not reshape the team
    (State.RESOLVED, "close", "leader1"),
    (State.RESOLVED, "reopen", "handler1"),
    (State.CLOSED, "archive", "leader1"),
    (State.CLOSED, "rate", "taskforce_handler"),
]


@pytest.mark.parametrize(("state", "name", "who"), FORBIDDEN)
def test_forbidden_changes_nothing(org: Org, state: str, name: str, who: str) -> None:
    case = case_in_state(org, state)
    assert grant_for(org.user(who), name, case) is None
    err = refused(ActionForbidden, org, name, case, who, valid_input(name, org))
    assert err.status == 403


def test_citizen_may_not_run_staff_actions(org: Org) -> None:
    case = new_case(org)
    refused(ActionForbidden, org, "close", case_in_state(org, State.RESOLVED), Actor.citizen("王小明"))
    refused(ActionForbidden, org, "accept", case, Actor.citizen("王小明"))


@pytest.mark.parametrize("delta", [-1, 1])
def test_stale_version_changes_nothing(org: Org, delta: int) -> None:
    case = new_case(org)
    act(org, "note", case, "handler1", {"text": "v2"})
    err = refused(StaleVersion, org, "accept", case, "handler1", {}, expected_version=case.version + delta)
    assert err.status == 412
    act(org, "accept", case, "handler1", {}, expected_version=case.version)


BAD_INPUT = [
    ("assign_person", {}, "handler"),
    ("assign_person", {"handler": 999999}, "handler"),
    ("assign_unit", {"unit": "abc"}, "unit"),
    ("assign_unit", {"unit": 999999}, "unit"),
    ("transfer", {"unit": "dept", "reason": ""}, "reason"),
    ("escalate", {"reason": "x" * 2001}, "reason"),
    ("add_assist", {"units": []}, "units"),
    ("pause", {"reason": "holiday"}, "reason"),
    ("note", {"text": ""}, "text"),
    ("note", {"text": "x", "public": "maybe"}, "public"),
    ("update", {"people_count": 0}, "people_count"),
    ("update", {"title": ""}, "title"),
    ("update", {"location_unit": 999999}, "location_unit"),
    ("merge", {}, "into"),
]


@pytest.mark.parametrize(("name", "data", "field"), BAD_INPUT)
def test_bad_input_changes_nothing(org: Org, name: str, data: dict[str, Any], field: str) -> None:
    case = new_case(org)
    if data.get("unit") == "dept":
        data = {**data, "unit": org.dept.pk}
    err = refused(ActionInvalid, org, name, case, "dispatcher", data)
    assert err.status == 400
    assert field in err.errors, err.errors


def test_unknown_action(org: Org) -> None:
    case = new_case(org)
    refused(ActionInvalid, org, "teleport", case, "dispatcher")


def test_audit_chain_verifies_after_a_full_life(org: Org) -> None:
    case = case_in_state(org, State.CLOSED)
    act(org, "rate", case, "handler1", {"satisfaction": "satisfied"})
    act(org, "archive", case, "sub1_dispatcher")
    count, problem = verify_chain()
    assert problem is None
    assert count == AuditEntry.objects.count()
