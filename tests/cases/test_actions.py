"""The action layer: every declared action on its happy path, and every way to be refused.

Each successful action must write exactly one CaseEvent (right code, states, before/after diff),
bump the version by one and append one audit row. Each refusal — illegal transition (409), no role
or out of scope (403), stale version (412), bad input (400) — must leave everything unchanged.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fengqiao.cases import inputs
from fengqiao.cases.actions import (
    ACTIONS,
    ActionForbidden,
    ActionInvalid,
    Actor,
    InvalidTransition,
    StaleVersion,
    perform,
    register_case,
)
from fengqiao.cases.choices import Level
from fengqiao.cases.models import Case, CaseEvent, CaseUnit
from fengqiao.cases.policy import grant_for, restrict
from fengqiao.cases.workflow import TRANSITIONS, State
from fengqiao.core.audit import verify_chain
from fengqiao.core.models import AuditEntry
from fengqiao.mediation.models import JointMeeting, MediationSession, Mediator, TeamMember
from tests.conftest import Org, case_payload
from tests.helpers import PATHS, case_in_state, held_at, new_case, valid_input, world_snapshot

pytestmark = pytest.mark.django_db


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def act(org: Org, name: str, case: Case, who: str, data: dict[str, Any] | None = None, **kw: Any) -> CaseEvent:
    """Perform ``name`` and check the invariants of a successful action."""
    case.refresh_from_db()
    row_before = inputs.case_field_snapshot(case)
    state_before, version_before = case.state, case.version
    events_before = CaseEvent.objects.count()
    audit_before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0

    event = perform(name, case, org.actor(who), data if data is not None else {}, via="test", **kw)

    case.refresh_from_db()
    assert CaseEvent.objects.count() == events_before + 1, "exactly one new event"
    assert CaseEvent.objects.filter(case=case).order_by("-id").first() == event
    assert event.code == f"case.{name}"
    assert event.state_before == state_before
    assert event.state_after == case.state
    assert case.version == version_before + 1
    assert event.version == case.version
    assert event.actor == org.user(who)
    assert event.actor_role, "the grant's role is recorded"

    # before/after hold exactly the changed columns, with their old and new values.
    event.refresh_from_db()
    row_after = _json(inputs.case_field_snapshot(case))
    row_before = _json(row_before)
    changed = {k for k in row_after if row_after[k] != row_before.get(k)}
    assert set(event.after) == changed
    assert set(event.before) == changed
    assert event.after == {k: row_after[k] for k in changed}
    assert event.before == {k: row_before[k] for k in changed}
    assert event.before["version"] == version_before and event.after["version"] == version_before + 1
    if state_before != case.state:
        assert (event.before["state"], event.after["state"]) == (state_before, case.state)
    else:
        assert "state" not in event.after

    # Exactly one audit row for the action. (Reference data the action touches on the way, such
    # as a mediator's case count, is audited by its own model signal: never as a case row.)
    new_rows = list(AuditEntry.objects.filter(id__gt=audit_before).order_by("id"))
    case_rows = [r for r in new_rows if r.action.startswith("case.")]
    assert len(case_rows) == 1, "exactly one new audit row for the action"
    assert all(r.object_type != "cases.case" for r in new_rows if r not in case_rows)
    entry = case_rows[0]
    assert entry.action == f"case.{name}"
    assert entry.object_type == "cases.case" and entry.object_id == str(case.pk)
    assert entry.username == org.user(who).username
    assert entry.detail == {"event": event.pk, "version": case.version, "state": case.state}
    return event


def refused(exc: type[Exception], org: Org, name: str, case: Case, who: str | Actor, data: Any = None, **kw: Any):
    """Perform ``name`` expecting ``exc``, and check nothing at all changed."""
    before = world_snapshot(case)
    actor = who if isinstance(who, Actor) else org.actor(who)
    with pytest.raises(exc) as info:
        perform(name, case, actor, data if data is not None else {}, **kw)
    assert world_snapshot(case) == before
    return info.value


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


def test_joint_meeting(org: Org) -> None:
    case = case_in_state(org, State.IN_PROGRESS)
    act(org, "add_assist", case, "handler1", {"units": [org.dept.pk]})
    data = {"held_at": held_at(), "attendees": "白塔镇、人社局", "minutes": "会商", "decisions": "人社局牵头核查"}
    event = act(org, "joint_meeting", case, "dept_handler", data)
    meeting = JointMeeting.objects.get(case=case)
    assert event.data["meeting"] == meeting.pk
    assert event.reason == "人社局牵头核查"
    assert meeting.recorded_by == org.user("dept_handler")
    assert case.state == State.IN_PROGRESS
    err = refused(ActionInvalid, org, "joint_meeting", case, "handler1", {"held_at": "yesterday", "attendees": "a"})
    assert {"held_at", "minutes"} <= set(err.errors)


def test_attach_and_detach_team(org: Org) -> None:
    case = case_in_state(org, State.IN_PROGRESS)
    members = [{"mediator": org.mediator.pk, "is_lead": False}, {"mediator": org.mediator2.pk, "is_lead": True}]
    event = act(org, "attach_team", case, "handler1", {"members": members})
    assert case.state == State.MEDIATING
    team = {m.mediator_id: m.is_lead for m in TeamMember.objects.filter(case=case)}
    assert team == {org.mediator.pk: False, org.mediator2.pk: True}
    assert [m["mediator"] for m in event.data["members"]] == [org.mediator.pk, org.mediator2.pk]
    assert Mediator.objects.get(pk=org.mediator.pk).active_cases == 1
    # The team's mediator now sees the case through the team.
    assert restrict(Case.objects.all(), org.user("mediator_user")).filter(pk=case.pk).exists()

    err = refused(ActionInvalid, org, "attach_team", case, "handler1", {"members": [{"mediator": org.mediator.pk}]})
    assert "members" in err.errors
    err = refused(ActionInvalid, org, "attach_team", case, "handler1", {"members": members[:1] * 2})
    assert "members" in err.errors

    act(org, "detach_team", case, "handler1", {"mediator": org.mediator2.pk, "reason": "回避"})
    assert case.state == State.MEDIATING
    assert Mediator.objects.get(pk=org.mediator2.pk).active_cases == 0
    event = act(org, "detach_team", case, "handler1", {"mediator": org.mediator.pk, "reason": "调整"})
    assert case.state == State.IN_PROGRESS, "no team left: back to in progress"
    assert event.state_after == State.IN_PROGRESS
    assert not TeamMember.objects.filter(case=case).exists()
    err = refused(ActionInvalid, org, "detach_team", case, "handler1", {"mediator": org.mediator.pk, "reason": "x"})
    assert "mediator" in err.errors


def test_detach_team_keeps_a_non_mediating_state(org: Org) -> None:
    case = case_in_state(org, State.MEDIATING)
    act(org, "pause", case, "handler1", {"reason": "party"})
    act(org, "resume", case, "handler1")
    assert case.state == State.MEDIATING
    act(org, "assign_person", case, "sub1_dispatcher", {"handler": org.user("handler1").pk})
    assert case.state == State.IN_PROGRESS
    act(org, "detach_team", case, "handler1", {"mediator": org.mediator.pk, "reason": "调整"})
    assert case.state == State.IN_PROGRESS


def test_record_session_needs_a_place_or_an_https_link(org: Org) -> None:
    case = case_in_state(org, State.MEDIATING)
    event = act(
        org,
        "record_session",
        case,
        "mediator_user",
        {"held_at": held_at(), "place": "白塔镇调解室", "notes": "首次调解", "outcome": "ongoing"},
    )
    assert event.data["place"] == "白塔镇调解室" and event.data["online"] is False
    assert case.first_contact_at is not None
    event = act(
        org,
        "record_session",
        case,
        "handler1",
        {"held_at": held_at(), "online_url": "https://meet.example.cn/r/123", "notes": "线上会商", "outcome": "agreed"},
    )
    assert event.data["online"] is True and event.data["outcome"] == "agreed"
    assert MediationSession.objects.filter(case=case).count() == 2
    assert case.state == State.MEDIATING

    err = refused(ActionInvalid, org, "record_session", case, "handler1", {"held_at": held_at(), "notes": "无地点"})
    assert "place" in err.errors
    err = refused(
        ActionInvalid,
        org,
        "record_session",
        case,
        "handler1",
        {"held_at": held_at(), "online_url": "http://meet.example.cn/r/1", "notes": "明文链接"},
    )
    assert "online_url" in err.errors


def test_first_contact(org: Org) -> None:
    case = case_in_state(org, State.ACCEPTED)
    event = act(org, "first_contact", case, "handler1", {"method": "visit", "note": "上门走访"})
    assert case.first_contact_at is not None
    assert event.data == {"method": "visit"} and event.reason == "上门走访"
    first = case.first_contact_at
    act(org, "first_contact", case, "handler1", {"method": "phone"})
    assert case.first_contact_at == first, "the first contact stays the first"
    err = refused(ActionInvalid, org, "first_contact", case, "handler1", {"method": "telepathy"})
    assert "method" in err.errors


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


# Every declared action has a happy-path test above: a new action must come with one.
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
