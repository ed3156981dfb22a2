"""Return visits: scheduled by policy (7 and 30 days) when a case ends, reminded once when due,
listed for handlers, completed by a recorded 回访, cancelled by a reopen (time travel)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from fengqiao.cases.actions import perform
from fengqiao.mediation import schedule
from fengqiao.mediation.models import VisitPlan, VisitStatus
from fengqiao.notify.models import OutboundMessage
from tests.conftest import Org
from tests.helpers import case_in_state, valid_input

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 10, 1, 10, 0, tzinfo=dt.UTC)


def resolved(org: Org) -> Any:
    with time_machine.travel(T0, tick=False):
        case = case_in_state(org, "resolved")
    return case


def test_visits_scheduled_reminded_and_done(org: Org, client: Any) -> None:
    handler = org.user("handler1")
    handler.mobile = "13600000002"
    handler.save()
    case = resolved(org)
    plans = list(VisitPlan.objects.filter(case=case).order_by("days"))
    assert [(p.days, p.due_at) for p in plans] == [(7, T0 + dt.timedelta(days=7)), (30, T0 + dt.timedelta(days=30))]
    assert all(p.status == VisitStatus.DUE for p in plans)
    # Day 6: nothing due. Day 8: the 7-day visit is due, the handler is texted once.
    assert schedule.remind_visits(now=T0 + dt.timedelta(days=6)) == 0
    assert schedule.remind_visits(now=T0 + dt.timedelta(days=8)) == 1
    assert schedule.remind_visits(now=T0 + dt.timedelta(days=8, hours=1)) == 0
    sms = OutboundMessage.objects.get(template="visit")
    assert str(sms.recipient) == "13600000002" and "结案7天回访已到期" in sms.text
    # The due list (now is long after both): both overdue, in the handler's scope only.
    client.force_login(handler)
    html = client.get("/staff/mediation/visits/").content.decode()
    assert case.display_code in html and "已超期" in html
    client.force_login(org.user("handler2"))
    assert case.display_code not in client.get("/staff/mediation/visits/").content.decode()
    # A recorded 回访 completes the earliest; a reopen cancels the rest.
    perform("return_visit", case, org.actor("handler1"), valid_input("return_visit", org))
    assert list(VisitPlan.objects.filter(case=case).order_by("days").values_list("status", flat=True)) == [
        "done",
        "due",
    ]
    perform("reopen", case, org.actor("sub1_dispatcher"), valid_input("reopen", org))
    assert VisitPlan.objects.get(case=case, days=30).status == VisitStatus.CANCELLED


def test_visit_days_follow_the_setting(org: Org, settings: Any) -> None:
    settings.FENGQIAO_RETURN_VISIT_DAYS = (3,)
    case = resolved(org)
    assert list(VisitPlan.objects.filter(case=case).values_list("days", flat=True)) == [3]
    assert timezone.is_aware(VisitPlan.objects.get(case=case).due_at)
