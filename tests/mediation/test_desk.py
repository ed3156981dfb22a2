"""疑难案件 (flag, scheduled review, close, list by scope) and 常用语 (per unit and type, filled)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition, perform
from fengqiao.cases.models import CaseEvent, Category
from fengqiao.mediation import desk
from fengqiao.mediation.models import CannedReply, DifficultCase, DifficultStatus
from tests.conftest import Org
from tests.helpers import case_in_state, valid_input, world_snapshot
from tests.mediation.conftest import mediating_case

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "user,allowed",
    [
        ("handler1", True),
        ("sub1_dispatcher", True),
        ("leader1", True),
        ("dispatcher", True),  # the county centre
        ("handler2", False),
        ("mediator_user", False),
        ("grid_worker", False),
        ("nobody", False),
    ],
)
def test_flag_permission_matrix(org: Org, user: str, allowed: bool) -> None:
    case = mediating_case(org)
    if allowed:
        assert desk.flag(org.user(user), case, "涉及多个部门，历史遗留问题").status == DifficultStatus.OPEN
    else:
        with pytest.raises(ActionForbidden):
            desk.flag(org.user(user), case, "涉及多个部门")
        assert not DifficultCase.objects.exists()


@pytest.mark.parametrize(
    "reason,days,key",
    [("", 7, "reason"), ("原因" * 600, 7, "reason"), ("原因", 0, "review_days"), ("原因", "x", "review_days")],
)
def test_bad_flag_changes_nothing(org: Org, reason: str, days: Any, key: str) -> None:
    case = mediating_case(org)
    before = world_snapshot(case)
    with pytest.raises(ActionInvalid) as exc:
        desk.flag(org.user("handler1"), case, reason, days)
    assert key in exc.value.errors and world_snapshot(case) == before


def test_review_cycle_list_and_close(org: Org, client: Any) -> None:
    with time_machine.travel(T0, tick=False):
        case = mediating_case(org)
        d = desk.flag(org.user("handler1"), case, "群体性纠纷，涉及20户", review_days=7)
        with pytest.raises(InvalidTransition):
            desk.flag(org.user("handler1"), case, "再次标记")
    assert d.next_review_at == T0 + dt.timedelta(days=7)
    # Past the review date: listed as late for the leader, not seen by another town.
    with time_machine.travel(T0 + dt.timedelta(days=9), tick=False):
        client.force_login(org.user("county_leader"))
        html = client.get("/staff/mediation/difficult/").content.decode()
        assert case.display_code in html and "已过期" in html
        client.force_login(org.user("handler2"))
        assert case.display_code not in client.get("/staff/mediation/difficult/").content.decode()
        client.force_login(org.user("mediator_user"))
        assert client.get("/staff/mediation/difficult/").status_code == 403
        desk.review(org.user("handler1"), d, "已召开联席会议，分户核算")
    d.refresh_from_db()
    assert d.next_review_at == T0 + dt.timedelta(days=16)
    codes = list(
        CaseEvent.objects.filter(case=case, code__startswith="mediation.difficult").values_list("code", flat=True)
    )
    assert codes == ["mediation.difficult_flag", "mediation.difficult_review"]
    desk.close(org.user("handler1"), d, "已全部化解")
    d.refresh_from_db()
    assert d.status == DifficultStatus.CLOSED and d.closed_at is not None
    with pytest.raises(InvalidTransition):
        desk.review(org.user("handler1"), d, "再复核")


def test_closing_the_case_closes_the_difficult_entry(org: Org) -> None:
    case = case_in_state(org, "resolved")
    d = desk.flag(org.user("handler1"), case, "当事人情绪激烈，需持续关注")
    perform("close", case, org.actor("handler1"), valid_input("close", org))
    assert DifficultCase.objects.get(pk=d.pk).status == DifficultStatus.CLOSED


def test_canned_replies_per_unit_and_type_filled_from_the_case(org: Org, client: Any) -> None:
    CannedReply.objects.all().delete()
    neighbours = Category.objects.get(code="0201")
    parent = neighbours.parent
    CannedReply.objects.create(title="通用", text="事项{code}已由{unit}受理。")
    CannedReply.objects.create(title="本镇", text="白塔镇：{title}", unit=org.town1)
    CannedReply.objects.create(title="外镇", text="田市镇专用", unit=org.town2)
    CannedReply.objects.create(title="邻里大类", text="邻里纠纷以和为贵。", category=parent)
    CannedReply.objects.create(title="劳动", text="劳动争议", category=Category.objects.get(code="0601"))
    CannedReply.objects.create(title="停用", text="x", is_active=False)
    CannedReply.objects.create(title="坏括号", text="请于{date}前回复 {未知}")
    case = mediating_case(org)
    replies = desk.replies_for(case)
    assert [r["title"] for r in replies] == ["通用", "本镇", "邻里大类", "坏括号"]
    assert replies[0]["text"] == f"事项{case.display_code}已由白塔镇综治中心受理。"
    assert replies[1]["text"] == "白塔镇：邻居建房挡住采光"
    assert "{未知}" in replies[3]["text"] and "{date}" not in replies[3]["text"]
    client.force_login(org.user("handler1"))
    html = client.get(f"/staff/cases/{case.display_code}/").content.decode()
    assert 'id="canned-pick"' in html and "mediation/canned" in html and "白塔镇：邻居建房挡住采光" in html
