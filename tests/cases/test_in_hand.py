"""#17 item 7: a handler assigned to a case under mediation keeps it 调解中, and a mediator's
cases-in-hand counter (在办案件数) stays right through pause, resolve, reopen, close, withdraw and team
changes — always the number of open cases whose team the mediator is on."""

from __future__ import annotations

import pytest

from fengqiao.cases.actions import perform
from fengqiao.cases.workflow import State
from fengqiao.mediation.models import Mediator
from fengqiao.mediation.team import recount_in_hand
from tests.cases.action_checks import act
from tests.conftest import Org
from tests.helpers import case_in_state, valid_input

pytestmark = pytest.mark.django_db


def in_hand(m: Mediator) -> int:
    return Mediator.objects.get(pk=m.pk).active_cases


def team_of(org: Org, *mediators: Mediator) -> dict:
    return {"members": [{"mediator": m.pk, "is_lead": i == 0} for i, m in enumerate(mediators)]}


def test_assign_person_from_each_working_state(org: Org) -> None:
    # accepted → 办理中; 办理中 → 办理中; 调解中 → 调解中 (never out of mediation).
    handler = {"handler": org.user("handler1").pk}
    for state, expected in [
        (State.ACCEPTED, State.IN_PROGRESS),
        (State.IN_PROGRESS, State.IN_PROGRESS),
        (State.MEDIATING, State.MEDIATING),
    ]:
        case = case_in_state(org, state)
        event = perform("assign_person", case, org.actor("sub1_dispatcher"), handler)
        assert (event.state_before, event.state_after) == (state, expected)
        assert case.state == expected and case.handler_id == handler["handler"]


def test_counter_through_a_constructed_history(org: Org) -> None:
    h, d, a = org.actor("handler1"), org.actor("sub1_dispatcher"), org.user("handler1")
    m1, m2 = org.mediator, org.mediator2
    c1 = case_in_state(org, State.IN_PROGRESS)
    c2 = case_in_state(org, State.IN_PROGRESS)
    assert (in_hand(m1), in_hand(m2)) == (0, 0)

    perform("attach_team", c1, h, team_of(org, m1, m2))
    perform("attach_team", c2, h, team_of(org, m1))
    assert (in_hand(m1), in_hand(m2)) == (2, 1)  # m1: c1 and c2; m2: c1

    perform("assign_person", c1, org.actor("sub1_dispatcher"), {"handler": a.pk})
    assert c1.state == State.MEDIATING and (in_hand(m1), in_hand(m2)) == (2, 1)

    perform("pause", c1, h, {"reason": "party"})  # paused is still in hand
    assert (in_hand(m1), in_hand(m2)) == (2, 1)
    perform("resume", c1, h, {})
    perform("resolve", c1, h, valid_input("resolve", org))
    assert (in_hand(m1), in_hand(m2)) == (1, 0)  # c1 ended

    perform("reopen", c1, d, {"reason": "协议未履行"})
    assert c1.state == State.MEDIATING, "reopened with its team: back to 调解中"
    assert (in_hand(m1), in_hand(m2)) == (2, 1)

    perform("detach_team", c1, h, {"mediator": m2.pk, "reason": "回避"})
    assert (in_hand(m1), in_hand(m2)) == (2, 0)
    perform("resolve", c1, h, valid_input("resolve", org))
    perform("close", c1, h, {})
    assert (in_hand(m1), in_hand(m2)) == (1, 0)
    perform("reopen", c1, d, {"reason": "再次反映"})
    assert (in_hand(m1), in_hand(m2)) == (2, 0)  # m2 left c1 before: not counted again

    perform("withdraw", c2, h, {})
    assert (in_hand(m1), in_hand(m2)) == (1, 0)
    perform("refer", c1, h, valid_input("refer", org))
    assert (in_hand(m1), in_hand(m2)) == (0, 0)
    perform("reopen", c1, d, {"reason": "转介未果"})
    assert (in_hand(m1), in_hand(m2)) == (1, 0)


def test_reopen_without_a_team_goes_to_in_progress(org: Org) -> None:
    case = case_in_state(org, State.RESOLVED)
    perform("reopen", case, org.actor("sub1_dispatcher"), {"reason": "再次反映"})
    assert case.state == State.IN_PROGRESS


def test_recount_repairs_a_drifted_counter(org: Org) -> None:
    case_in_state(org, State.MEDIATING)  # m1 on one open case
    Mediator.objects.filter(pk=org.mediator.pk).update(active_cases=7)
    Mediator.objects.filter(pk=org.mediator2.pk).update(active_cases=3)
    recount_in_hand([org.mediator.pk, org.mediator2.pk])
    assert (in_hand(org.mediator), in_hand(org.mediator2)) == (1, 0)


def test_assigning_a_handler_keeps_a_case_in_mediation(org: Org) -> None:
    case = case_in_state(org, State.MEDIATING)
    act(org, "pause", case, "handler1", {"reason": "party"})
    act(org, "resume", case, "handler1")
    assert case.state == State.MEDIATING
    event = act(org, "assign_person", case, "sub1_dispatcher", {"handler": org.user("handler1").pk})
    assert case.state == State.MEDIATING and event.state_after == State.MEDIATING
    assert case.handler == org.user("handler1")
    act(org, "record_session", case, "mediator_user", valid_input("record_session", org))  # 记录调解 stays
    act(org, "detach_team", case, "handler1", {"mediator": org.mediator.pk, "reason": "调整"})
    assert case.state == State.IN_PROGRESS, "the last member gone: back to 办理中"
