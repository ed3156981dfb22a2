"""The action layer, mediation work: joint meetings, the case team, sessions and first contact (the
invariants of ``act`` and ``refused`` in tests/cases/action_checks.py).
"""

from __future__ import annotations

import pytest

from fengqiao.cases.actions import (
    ActionInvalid,
)
from fengqiao.cases.models import Case
from fengqiao.cases.policy import restrict
from fengqiao.cases.workflow import State
from fengqiao.mediation.models import JointMeeting, MediationSession, Mediator, TeamMember
from tests.cases.action_checks import act, refused
from tests.conftest import Org
from tests.helpers import case_in_state, held_at

pytestmark = pytest.mark.django_db


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
