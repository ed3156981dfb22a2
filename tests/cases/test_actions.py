"""The action layer: every declared action on its happy path, and every way to be refused.

Each successful action must write exactly one CaseEvent (right code, states, before/after diff),
bump the version by one and append one audit row. Each refusal — illegal transition (409), no role
or out of scope (403), stale version (412), bad input (400) — must leave everything unchanged.
"""

from __future__ import annotations

import pytest

from fengqiao.cases.actions import (
    ACTIONS,
    ActionForbidden,
    ActionInvalid,
    Actor,
    InvalidTransition,
    perform,
    register_case,
)
from fengqiao.cases.choices import Level
from fengqiao.cases.models import Case, CaseUnit
from fengqiao.cases.policy import grant_for, restrict
from fengqiao.cases.workflow import TRANSITIONS, State
from fengqiao.core.models import AuditEntry
from fengqiao.mediation.models import Mediator
from tests.cases.action_checks import act, refused
from tests.conftest import Org, case_payload
from tests.helpers import case_in_state, new_case, valid_input

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------------------------
# registration


def test_register_writes_case_parties_event_and_audit(org: Org) -> None:
    audit_before = AuditEntry.objects.count()
    case, created = register_case(org.actor("dispatcher"), case_payload(org), via="test")
    assert created
    # Registration wrote the case, its parties, one event and one audit row; triage followed after the
    # commit as its own step (one more event and audit row, version 2).
    assert case.state == State.REGISTERED and case.version == 2
    assert case.owner_unit == org.sub1, "the place's town 综治中心 owns a new case"
    assert case.level == Level.BLUE
    assert case.parties.count() == 2
    event, triaged = case.events.order_by("pk")
    assert (event.code, event.state_before, event.state_after, event.version) == ("case.register", "", "registered", 1)
    assert (triaged.code, triaged.state_before, triaged.state_after, triaged.version) == (
        "case.triage",
        "registered",
        "registered",
        2,
    )
    assert AuditEntry.objects.count() == audit_before + 2
    assert [a.action for a in AuditEntry.objects.order_by("-id")[:2]] == ["case.triage", "case.register"]


def test_register_refused_outside_the_registrars_scope(org: Org) -> None:
    counts = (Case.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ActionForbidden):  # a town2 handler cannot register straight into town1's centre
        register_case(org.actor("handler2"), case_payload(org, owner_unit=org.sub1.pk), via="test")
    with pytest.raises(ActionForbidden):
        register_case(org.actor("nobody"), case_payload(org), via="test")
    assert (Case.objects.count(), AuditEntry.objects.count()) == counts


def test_first_contact_owns_a_case_routed_outside_its_scope(org: Org) -> None:
    # 首接负责: a town2 handler receiving a walk-in about a town1 place owns it until it is transferred.
    case, _ = register_case(org.actor("handler2"), case_payload(org), via="test")
    assert case.owner_unit == org.sub2
    grid_case, _ = register_case(org.actor("grid_worker"), case_payload(org, channel="grid"), via="test")
    assert grid_case.owner_unit == org.grid1


def test_every_declared_transition_has_an_action() -> None:
    assert set(ACTIONS) == set(TRANSITIONS)


# --------------------------------------------------------------------------------------------
# happy paths


def test_accept(org: Org) -> None:
    case = new_case(org)
    event = act(org, "accept", case, "handler1", {"reason": "已受理"})
    assert case.state == State.ACCEPTED
    assert case.accepted_at is not None
    assert case.owner_unit == org.sub1
    assert event.reason == "已受理"
    assert event.actor_unit == org.town1 and event.actor_role == "handler"


def test_assign_person(org: Org) -> None:
    case = new_case(org)
    event = act(org, "assign_person", case, "sub1_dispatcher", {"handler": org.user("handler1").pk})
    assert case.state == State.IN_PROGRESS
    assert case.handler == org.user("handler1")
    assert case.accepted_at is not None
    assert event.data["handler"] == org.user("handler1").pk
    # The handler must work for the owner unit.
    err = refused(ActionInvalid, org, "assign_person", case, "sub1_dispatcher", {"handler": org.user("handler2").pk})
    assert "handler" in err.errors


def test_assign_unit_then_receiver_accepts(org: Org) -> None:
    case = new_case(org)
    event = act(org, "assign_unit", case, "sub1_dispatcher", {"unit": org.grid1.pk})
    assert case.state == State.DISPATCHED
    assert (case.owner_unit, case.pending_unit, case.dispatched_from) == (org.sub1, org.grid1, org.sub1)
    assert event.data == {"from": org.sub1.pk, "to": org.grid1.pk, "to_name": org.grid1.name}
    assert event.after["pending_unit_id"] == org.grid1.pk

    # The receiver sees the case, may accept it, but is not its owner yet.
    grid_worker = org.user("grid_worker")
    assert restrict(Case.objects.all(), grid_worker).filter(pk=case.pk).exists()
    assert grant_for(grid_worker, "withdraw", case) is None
    refused(ActionForbidden, org, "accept", case, "handler2")

    act(org, "accept", case, "grid_worker")
    assert case.state == State.ACCEPTED
    assert (case.owner_unit, case.pending_unit, case.dispatched_from) == (org.grid1, None, org.sub1)
    assert case.level == Level.BLUE


def test_assign_unit_only_downwards(org: Org) -> None:
    case = new_case(org)
    err = refused(ActionInvalid, org, "assign_unit", case, "sub1_dispatcher", {"unit": org.dept.pk})
    assert "unit" in err.errors
    err = refused(ActionInvalid, org, "assign_unit", case, "sub1_dispatcher", {"unit": org.sub1.pk})
    assert "unit" in err.errors, "not to the owner itself"


def test_transfer_sender_stays_owner_until_the_receiver_accepts(org: Org) -> None:
    """首接负责: whoever received the case stays responsible until the new unit accepts it."""
    case = new_case(org)
    act(org, "accept", case, "handler1")
    event = act(org, "transfer", case, "handler1", {"unit": org.dept.pk, "reason": "劳动报酬事项"})
    assert case.state == State.DISPATCHED
    assert case.owner_unit == org.sub1 and case.pending_unit == org.dept
    assert event.reason == "劳动报酬事项"

    handler1, dept_handler = org.user("handler1"), org.user("dept_handler")
    # The sender keeps owner rights; the receiver only has accept/decline (and may add notes).
    assert grant_for(handler1, "withdraw", case) is not None
    assert grant_for(dept_handler, "withdraw", case) is None
    assert grant_for(dept_handler, "accept", case) is not None
    assert grant_for(handler1, "accept", case) is None
    refused(ActionForbidden, org, "accept", case, "handler1")
    refused(ActionForbidden, org, "withdraw", case, "dept_handler")
    act(org, "note", case, "handler1", {"text": "等待人社局接收"})
    assert restrict(Case.objects.all(), handler1).filter(pk=case.pk).exists()

    act(org, "accept", case, "dept_handler")
    assert case.state == State.ACCEPTED
    assert (case.owner_unit, case.pending_unit, case.dispatched_from) == (org.dept, None, org.sub1)
    assert case.level == Level.ORANGE, "a county department handles it"
    assert not restrict(Case.objects.all(), handler1).filter(pk=case.pk).exists()


def test_transfer_needs_a_reason_and_another_unit(org: Org) -> None:
    case = new_case(org)
    err = refused(ActionInvalid, org, "transfer", case, "handler1", {"unit": org.dept.pk})
    assert "reason" in err.errors
    err = refused(ActionInvalid, org, "transfer", case, "handler1", {"unit": org.sub1.pk, "reason": "x"})
    assert "unit" in err.errors


def test_decline_sends_the_dispatch_back(org: Org) -> None:
    case = new_case(org)
    act(org, "transfer", case, "handler1", {"unit": org.dept.pk, "reason": "人社事项"})
    refused(ActionForbidden, org, "decline", case, "handler1", {"reason": "x"})  # only the receiver declines
    err = refused(ActionInvalid, org, "decline", case, "dept_handler", {})
    assert "reason" in err.errors
    event = act(org, "decline", case, "dept_handler", {"reason": "不属于人社职责"})
    assert case.state == State.ACCEPTED
    assert case.owner_unit == org.sub1 and case.pending_unit is None
    assert event.data == {"declined_by": org.dept.pk, "back_to": org.sub1.pk}
    assert event.actor_unit == org.dept


def test_return_goes_back_to_the_dispatching_unit(org: Org) -> None:
    case = new_case(org)
    act(org, "assign_unit", case, "dispatcher", {"unit": org.dept.pk})
    act(org, "accept", case, "dept_handler")
    event = act(org, "return", case, "dept_handler", {"reason": "交办有误"})
    assert case.state == State.DISPATCHED
    assert (case.owner_unit, case.pending_unit, case.dispatched_from) == (org.dept, org.sub1, org.dept)
    assert event.data == {"from": org.dept.pk, "to": org.sub1.pk}
    act(org, "accept", case, "handler1")
    assert (case.owner_unit, case.pending_unit) == (org.sub1, None)


def test_return_without_a_dispatching_unit_is_invalid(org: Org) -> None:
    case = new_case(org)
    act(org, "accept", case, "handler1")
    refused(ActionInvalid, org, "return", case, "handler1", {"reason": "x"})


def test_escalate_up_every_tier_then_error_at_the_top(org: Org) -> None:
    case = new_case(org, who="grid_worker", owner_unit=org.grid1.pk)
    assert case.owner_unit == org.grid1 and case.level == Level.BLUE

    act(org, "escalate", case, "grid_worker", {"reason": "调处不成"})
    assert (case.state, case.pending_unit, case.level) == (State.DISPATCHED, org.sub1, Level.YELLOW)
    assert case.owner_unit == org.grid1
    act(org, "accept", case, "handler1")
    assert (case.owner_unit, case.level) == (org.sub1, Level.YELLOW)

    act(org, "escalate", case, "handler1", {"reason": "涉及多个部门"})
    assert case.pending_unit == org.centre
    assert case.level == Level.ORANGE, "the county centre is tier 3: orange"
    act(org, "accept", case, "dispatcher")
    assert case.owner_unit == org.centre

    event = act(org, "escalate", case, "dispatcher", {"reason": "重大疑难"})
    assert case.pending_unit == org.taskforce and case.level == Level.RED
    assert event.data["level"] == Level.RED
    act(org, "accept", case, "taskforce_handler")
    assert (case.owner_unit, case.level) == (org.taskforce, Level.RED)

    err = refused(ActionInvalid, org, "escalate", case, "taskforce_handler", {"reason": "再上报"})
    assert "最高" in err.message


def test_escalate_to_a_lower_unit_is_invalid(org: Org) -> None:
    case = new_case(org)
    err = refused(ActionInvalid, org, "escalate", case, "handler1", {"unit": org.grid1.pk, "reason": "x"})
    assert "unit" in err.errors


def test_add_assist_turns_orange_with_two_units(org: Org) -> None:
    case = new_case(org)
    act(org, "accept", case, "handler1")
    assert case.level == Level.BLUE
    event = act(org, "add_assist", case, "handler1", {"units": [org.dept.pk]})
    assert event.data == {"added": [org.dept.pk], "lead_unit": None}
    assert list(case.assisting.values_list("unit_id", flat=True)) == [org.dept.pk]
    assert case.level == Level.BLUE, "one assisting unit is not yet a multi-department case"

    act(org, "add_assist", case, "handler1", {"units": [org.dept2.pk], "lead_unit": org.dept.pk})
    assert case.level == Level.ORANGE
    assert case.lead_unit == org.dept
    assert CaseUnit.objects.filter(case=case).count() == 2
    # An assisting unit sees the case and may write notes, not run it.
    assert restrict(Case.objects.all(), org.user("dept_handler")).filter(pk=case.pk).exists()
    act(org, "note", case, "dept_handler", {"text": "人社局已核实工资台账"})
    refused(ActionForbidden, org, "pause", case, "dept_handler", {"reason": "party"})

    err = refused(ActionInvalid, org, "add_assist", case, "handler1", {"units": [org.dept.pk]})
    assert "units" in err.errors


def test_add_assist_two_units_at_once(org: Org) -> None:
    case = case_in_state(org, State.ACCEPTED)
    act(org, "add_assist", case, "handler1", {"units": [org.dept.pk, org.dept2.pk]})
    assert case.level == Level.ORANGE
    assert case.assisting.count() == 2


@pytest.mark.parametrize("state", [State.ACCEPTED, State.IN_PROGRESS, State.MEDIATING])
def test_pause_and_resume_return_to_the_previous_state(org: Org, state: str) -> None:
    case = case_in_state(org, state)
    event = act(org, "pause", case, "handler1", {"reason": "court", "note": "等待法院判决"})
    assert case.state == State.PAUSED
    assert event.data == {"wait_for": "court"}
    refused(InvalidTransition, org, "pause", case, "handler1", {"reason": "party"})
    event = act(org, "resume", case, "handler1", {"reason": "判决已出"})
    assert case.state == state
    assert event.state_after == state
    assert case.paused_from == ""


def test_resolve_records_matter_and_heart(org: Org) -> None:
    """事心双解: the matter settled and the grievance settled are recorded separately."""
    case = case_in_state(org, State.IN_PROGRESS)
    data = {"agreement": True, "matter_settled": True, "grievance_settled": False, "result": "达成协议，情绪未平"}
    event = act(org, "resolve", case, "handler1", data)
    assert case.state == State.RESOLVED
    assert (case.agreement, case.matter_settled, case.grievance_settled) == (True, True, False)
    assert case.result_summary == "达成协议，情绪未平"
    assert case.resolved_at is not None
    assert event.data == {"agreement": True, "matter_settled": True, "grievance_settled": False}


def test_resolve_requires_every_flag(org: Org) -> None:
    case = case_in_state(org, State.IN_PROGRESS)
    err = refused(ActionInvalid, org, "resolve", case, "handler1", {"agreement": True, "result": "x"})
    assert {"matter_settled", "grievance_settled"} <= set(err.errors)


def test_resolve_releases_the_team(org: Org) -> None:
    case = case_in_state(org, State.MEDIATING)
    assert Mediator.objects.get(pk=org.mediator.pk).active_cases == 1
    act(org, "resolve", case, "handler1", valid_input("resolve", org))
    assert Mediator.objects.get(pk=org.mediator.pk).active_cases == 0


def test_refer(org: Org) -> None:
    case = case_in_state(org, State.ACCEPTED)
    event = act(org, "refer", case, "handler1", {"referral": "arbitration", "reason": "劳动仲裁"})
    assert case.state == State.UNRESOLVED
    assert case.referral == "arbitration" and case.resolved_at is not None
    assert event.data == {"referral": "arbitration"}
    refused(
        ActionForbidden, org, "refer", case_in_state(org, State.ACCEPTED), "sub1_dispatcher", valid_input("refer", org)
    )


@pytest.mark.parametrize("state", [State.RESOLVED, State.UNRESOLVED, State.CLOSED])
def test_rate_and_return_visit(org: Org, state: str) -> None:
    case = case_in_state(org, state)
    event = act(org, "rate", case, "handler1", {"satisfaction": "unsatisfied", "grievance_settled": False})
    assert case.state == state
    assert case.satisfaction == "unsatisfied" and case.grievance_settled is False
    assert event.data["unhappy"] is True
    event = act(
        org,
        "return_visit",
        case,
        "sub1_dispatcher",
        {"method": "visit", "matter_settled": True, "grievance_settled": True, "note": "回访满意"},
    )
    assert case.state == state
    assert (case.matter_settled, case.grievance_settled) == (True, True)
    assert event.data == {"method": "visit", "matter_settled": True, "grievance_settled": True}
    err = refused(ActionInvalid, org, "rate", case, "handler1", {"satisfaction": "great"})
    assert "satisfaction" in err.errors


@pytest.mark.parametrize("state", [State.RESOLVED, State.UNRESOLVED])
def test_close(org: Org, state: str) -> None:
    case = case_in_state(org, state)
    act(org, "close", case, "handler1", {"reason": "办结"})
    assert case.state == State.CLOSED and case.closed_at is not None


@pytest.mark.parametrize("state", [State.RESOLVED, State.UNRESOLVED, State.CLOSED])
def test_reopen(org: Org, state: str) -> None:
    case = case_in_state(org, state)
    act(org, "reopen", case, "leader1", {"reason": "协议未履行"})
    assert case.state == State.IN_PROGRESS
    assert (case.closed_at, case.resolved_at, case.referral) == (None, None, "")
    refused(InvalidTransition, org, "reopen", case, "leader1", {"reason": "x"})


def test_reopen_after_an_unhappy_rating_waits_for_a_new_rating(org: Org) -> None:
    case = case_in_state(org, State.RESOLVED)
    perform("rate", case, Actor.citizen(), {"satisfaction": "unsatisfied", "grievance_settled": False})
    act(org, "reopen", case, "leader1", {"reason": "群众不满意"})
    assert (case.satisfaction, case.matter_settled, case.grievance_settled) == ("", None, None)
    reopen = case.events.get(code="case.reopen")
    assert reopen.before["satisfaction"] == "unsatisfied", "the earlier rating stays on record"
    assert case.events.get(code="case.rate").data["satisfaction"] == "unsatisfied"


@pytest.mark.parametrize("state", sorted(s for s in State if s in TRANSITIONS["withdraw"].sources))
def test_withdraw_from_every_open_state(org: Org, state: str) -> None:
    case = case_in_state(org, state)
    act(org, "withdraw", case, "handler1", {"reason": "当事人自行和解"})
    assert case.state == State.WITHDRAWN
    assert case.pending_unit is None and case.closed_at is not None


def test_merge_into_another_open_visible_case(org: Org) -> None:
    case, target = new_case(org), new_case(org, title="同一事项")
    act(org, "accept", case, "handler1")
    event = act(org, "merge", case, "handler1", {"into": target.display_code.lower(), "reason": "重复"})
    assert case.state == State.MERGED
    assert case.merged_into == target and case.closed_at is not None
    assert event.data == {"into": target.code}


def test_merge_refuses_bad_targets(org: Org) -> None:
    case = new_case(org)
    closed = case_in_state(org, State.CLOSED)
    town2_case = new_case(org, location_unit=org.village2.pk)
    for into in [case.code, closed.code, town2_case.code, "ZZZZ-ZZZZ-ZZZZ"]:
        err = refused(ActionInvalid, org, "merge", case, "handler1", {"into": into})
        assert "into" in err.errors, into


@pytest.mark.parametrize("state", [State.CLOSED, State.WITHDRAWN, State.MERGED])
def test_archive(org: Org, state: str) -> None:
    case = case_in_state(org, state)
    refused(ActionForbidden, org, "archive", case, "grid_worker")
    act(org, "archive", case, "sub1_dispatcher")
    assert case.state == State.ARCHIVED
    assert not any(t.allows(State.ARCHIVED) for t in TRANSITIONS.values()), "archived is final"


def test_update(org: Org) -> None:
    case = new_case(org)
    event = act(
        org,
        "update",
        case,
        "handler1",
        {"title": "采光纠纷", "people_count": 3, "category": "0202", "reason": "核实后更正"},
    )
    assert (case.title, case.people_count, case.category.code) == ("采光纠纷", 3, "0202")
    assert event.after["title"] == "采光纠纷" and event.before["title"] == "邻居建房挡住采光"
    assert event.data == {"fields": ["category", "people_count", "title"]}
    assert case.state == State.REGISTERED
    err = refused(ActionInvalid, org, "update", case, "handler1", {"reason": "只有理由"})
    assert err.errors
    err = refused(ActionInvalid, org, "update", case, "handler1", {"category": "02"})
    assert "category" in err.errors
    err = refused(ActionInvalid, org, "update", case, "handler1", {"title": "长" * 101})
    assert "title" in err.errors


@pytest.mark.parametrize("state", [State.REGISTERED, State.PAUSED, State.RESOLVED])
def test_note(org: Org, state: str) -> None:
    case = case_in_state(org, state)
    event = act(org, "note", case, "leader1", {"text": "请加快办理", "public": True})
    assert case.state == state
    assert event.reason == "请加快办理" and event.public is True
    assert set(event.after) == {"version"}


def test_instruct_and_answer(org: Org) -> None:
    from fengqiao.supervision.models import Instruction

    case = case_in_state(org, State.IN_PROGRESS)
    event = act(org, "instruct", case, "leader1", {"text": "请尽快化解，注意稳控"})
    instruction = Instruction.objects.get(case=case)
    assert instruction.author == org.user("leader1") and event.data == {"instruction": instruction.pk}
    refused(ActionForbidden, org, "instruct", case, "handler1", {"text": "x"})

    act(org, "resolve", case, "handler1", valid_input("resolve", org))
    act(org, "close", case, "handler1")
    event = act(org, "answer_instruction", case, "handler1", {"instruction": instruction.pk, "answer": "已化解"})
    instruction.refresh_from_db()
    assert (instruction.answer, instruction.answered_by) == ("已化解", org.user("handler1"))
    assert case.state == State.CLOSED
    err = refused(
        ActionInvalid, org, "answer_instruction", case, "handler1", {"instruction": instruction.pk, "answer": "再答"}
    )
    assert "instruction" in err.errors, "answered once"


# Every declared action has a happy-path test above or in test_team_actions.py: a new action must come with one.
HAPPY_PATHS = {
    "accept",
    "assign_person",
    "assign_unit",
    "transfer",
    "decline",
    "return",
    "escalate",
    "add_assist",
    "joint_meeting",
    "attach_team",
    "detach_team",
    "record_session",
    "first_contact",
    "pause",
    "resume",
    "resolve",
    "refer",
    "rate",
    "return_visit",
    "close",
    "reopen",
    "withdraw",
    "merge",
    "archive",
    "update",
    "note",
    "instruct",
    "answer_instruction",
    "extend",  # also end to end in tests/channels/test_prelit.py
    "edit_party",  # tests/cases/test_parties.py
}


def test_extend_once_within_the_policy(org: Org) -> None:
    from fengqiao.supervision.models import DeadlinePolicy

    case = case_in_state(org, State.IN_PROGRESS)
    refused(ActionInvalid, org, "extend", case, "handler1", {"days": 5, "consent": "双方同意"})  # policy allows none
    policy = DeadlinePolicy.objects.create(name="可延长", complete_days=30, extendable_days=30)
    Case.objects.filter(pk=case.pk).update(deadline_policy=policy)
    case.refresh_from_db()
    due = case.due_at
    assert due is not None
    refused(ActionInvalid, org, "extend", case, "handler1", {"days": 31, "consent": "双方同意"})
    event = act(org, "extend", case, "handler1", {"days": 30, "consent": "双方当事人书面同意"})
    assert case.due_at is not None and case.due_at > due
    assert event.data["days"] == 30 and event.reason == "双方当事人书面同意"
    refused(ActionInvalid, org, "extend", case, "handler1", {"days": 1, "consent": "再次同意"})


def test_every_action_has_a_happy_path_test() -> None:
    assert set(TRANSITIONS) <= HAPPY_PATHS, set(TRANSITIONS) - HAPPY_PATHS
