"""Item 8: a paused case's deadline clock stands still — it is not overdue anywhere, not in the
supervisor's 停滞案件, its countdown does not tick — and the colour/level badges carry a legend."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from fengqiao.cases.models import Case, CaseEvent
from fengqiao.cases.workflow import State
from tests.conftest import Org
from tests.helpers import case_in_state
from tests.web.conftest import signed_in


def _long_overdue(case: Case) -> Case:
    """Make ``case`` look like it has waited 72 days past its deadline with no event for 60 days."""
    long_ago = timezone.now() - dt.timedelta(days=80)
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - dt.timedelta(days=72), created_at=long_ago)
    CaseEvent.objects.filter(case=case).update(at=long_ago)
    case.refresh_from_db()
    return case


def test_paused_case_is_not_overdue_nor_stalled(org: Org) -> None:
    paused = _long_overdue(case_in_state(org, State.PAUSED))
    running = _long_overdue(case_in_state(org, State.IN_PROGRESS))
    assert paused.state == State.PAUSED and not paused.is_overdue() and running.is_overdue()

    work = signed_in(org.user("handler1")).get("/staff/workbench/", {"group": "overdue"})
    codes = {c.code for c in work.context["page"].object_list}
    assert running.code in codes and paused.code not in codes

    leader = signed_in(org.user("county_leader")).get("/staff/leader/", {"list": "overdue"}).content.decode()
    assert running.display_code in leader and paused.display_code not in leader

    sup = signed_in(org.user("supervisor"))
    stalled = sup.get("/staff/supervisor/", {"list": "stalled"}).content.decode()
    assert running.display_code in stalled and paused.display_code not in stalled
    overdue = sup.get("/staff/supervisor/", {"list": "overdue"}).content.decode()
    assert running.display_code in overdue and paused.display_code not in overdue


def test_paused_case_page_shows_the_clock_stopped(org: Org) -> None:
    paused = _long_overdue(case_in_state(org, State.PAUSED))
    body = signed_in(org.user("handler1")).get(f"/staff/cases/{paused.display_code}/").content.decode()
    deadlines = body.split('class="deadlines"', 1)[1].split("</ul>", 1)[0]
    assert "中止计时中" in deadlines and "已超期" not in deadlines and "data-countdown" not in deadlines
    assert 'class="over"' not in deadlines


def test_badges_are_labelled_and_explained(org: Org) -> None:
    _long_overdue(case_in_state(org, State.IN_PROGRESS))
    page = signed_in(org.user("county_leader")).get("/staff/leader/", {"list": "overdue"}).content.decode()
    assert 'class="legend' in page and "督办码" in page and "响应等级" in page
    assert re.search(r'class="pill c-\w+"[^>]*>督办 ', page) and re.search(r'class="pill l-\d"[^>]*>响应 ', page)
