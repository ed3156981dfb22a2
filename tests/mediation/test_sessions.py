"""Sessions: a held session cannot lie in the future; a planned one must; its notice reaches each
party and the team exactly once, the reminder once, and recording it held closes the plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition, perform
from fengqiao.cases.models import CaseEvent
from fengqiao.mediation import schedule
from fengqiao.mediation.models import PlanStatus, SessionPlan
from fengqiao.notify.models import Notification, OutboundMessage
from tests.conftest import Org
from tests.helpers import case_in_state, world_snapshot
from tests.mediation.conftest import mediating_case

pytestmark = pytest.mark.django_db


def test_a_held_session_cannot_be_dated_in_the_future(org: Org, client: Any) -> None:
    case = mediating_case(org)
    before = world_snapshot(case)
    future = (timezone.now() + dt.timedelta(days=2)).isoformat()
    with pytest.raises(ActionInvalid) as exc:
        perform("record_session", case, org.actor("handler1"), {"held_at": future, "place": "调解室", "notes": "x"})
    assert "held_at" in exc.value.errors
    assert "不能晚于当前时间" in str(exc.value.errors["held_at"][0])
    assert world_snapshot(case) == before


def plan_data(**over: Any) -> dict[str, Any]:
    when = timezone.localtime(timezone.now() + dt.timedelta(days=2)).replace(hour=9, minute=30, second=0, microsecond=0)
    return {
        "starts_at": when.strftime("%Y-%m-%dT%H:%M"),
        "place": "白塔镇调解室",
        "online_url": "",
        "note": "请带身份证。",
        **over,
    }


def test_schedule_notifies_each_party_and_the_team_exactly_once(org: Org) -> None:
    case = mediating_case(org)
    mediator = org.user("mediator_user")
    mediator.mobile = "13600000001"
    mediator.save()
    plan = schedule.schedule_session(org.user("handler1"), case, plan_data())
    sms = list(OutboundMessage.objects.filter(template="session"))
    recipients = sorted(str(m.recipient) for m in sms)
    assert recipients == ["13600000001", "13812341234", "13900001111"]
    local = timezone.localtime(plan.starts_at)
    assert all(f"{local.month}月{local.day}日09:30" in m.text and "白塔镇调解室" in m.text for m in sms)
    ev = CaseEvent.objects.get(case=case, code="mediation.session_schedule")
    assert ev.public and Notification.objects.filter(event=ev, user=mediator, kind="session_scheduled").exists()
    # The reminder: once, 24 hours ahead; not before.
    assert schedule.remind_sessions(now=plan.starts_at - dt.timedelta(hours=30)) == 0
    assert schedule.remind_sessions(now=plan.starts_at - dt.timedelta(hours=20)) == 1
    assert schedule.remind_sessions(now=plan.starts_at - dt.timedelta(hours=19)) == 0
    reminders = OutboundMessage.objects.filter(template="session", text__contains="调解提醒")
    assert reminders.count() == 3
    assert OutboundMessage.objects.filter(template="session").count() == 6


def test_recording_the_session_marks_the_plan_held(org: Org) -> None:
    case = mediating_case(org)
    plan = schedule.schedule_session(org.user("handler1"), case, plan_data())
    SessionPlan.objects.filter(pk=plan.pk).update(starts_at=timezone.now() - dt.timedelta(hours=3))
    perform(
        "record_session",
        case,
        org.actor("handler1"),
        {"held_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(), "place": "调解室", "notes": "双方陈述"},
    )
    assert SessionPlan.objects.get(pk=plan.pk).status == PlanStatus.HELD


@pytest.mark.parametrize(
    "over,key",
    [
        ({"starts_at": ""}, "starts_at"),
        ({"starts_at": "明天上午"}, "starts_at"),
        ({"starts_at": "2020-01-01T09:00"}, "starts_at"),
        ({"starts_at": "2099-01-01T09:00"}, "starts_at"),
        ({"place": "", "online_url": ""}, "place"),
        ({"place": "", "online_url": "http://insecure.example/room"}, "online_url"),
        ({"note": "请" * 201}, "note"),
    ],
)
def test_bad_plan_is_refused_and_changes_nothing(org: Org, over: dict[str, Any], key: str) -> None:
    case = mediating_case(org)
    before = world_snapshot(case)
    with pytest.raises(ActionInvalid) as exc:
        schedule.schedule_session(org.user("handler1"), case, plan_data(**over))
    assert key in exc.value.errors
    assert world_snapshot(case) == before
    assert not SessionPlan.objects.exists() and not OutboundMessage.objects.filter(template="session").exists()


def test_schedule_permissions_and_state(org: Org) -> None:
    case = mediating_case(org)
    for who in ("handler2", "dispatcher", "nobody", "supervisor"):
        with pytest.raises(ActionForbidden):
            schedule.schedule_session(org.user(who), case, plan_data())
    assert schedule.schedule_session(org.user("mediator_user"), case, plan_data()).pk
    closed = case_in_state(org, "closed")
    with pytest.raises(InvalidTransition):
        schedule.schedule_session(org.user("handler1"), closed, plan_data())


def test_cancel(org: Org) -> None:
    case = mediating_case(org)
    plan = schedule.schedule_session(org.user("handler1"), case, plan_data())
    with pytest.raises(ActionInvalid):
        schedule.cancel_session(org.user("handler1"), plan, "")
    schedule.cancel_session(org.user("handler1"), plan, "当事人临时外出")
    assert SessionPlan.objects.get(pk=plan.pk).status == PlanStatus.CANCELLED
    assert schedule.remind_sessions(now=plan.starts_at - dt.timedelta(hours=2)) == 0
    with pytest.raises(InvalidTransition):
        schedule.cancel_session(org.user("handler1"), plan, "再次取消")
