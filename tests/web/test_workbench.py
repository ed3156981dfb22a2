"""The workbench: task groups and their counts, filters and search, pagination, the query count,
bulk assignment and the phone search."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fengqiao.cases.actions import perform
from fengqiao.cases.models import Case, CaseEvent
from tests.conftest import Org
from tests.helpers import new_case, valid_input
from tests.web.conftest import act, signed_in

URL = "/staff/workbench/"


def codes_in(response: Any) -> set[str]:
    return {c.code for c in response.context["page"].object_list}


def counts(response: Any) -> dict[str, int]:
    return {name: n for name, _label, _help, n in response.context["groups"]}


def test_groups_and_counts(org: Org) -> None:
    now = timezone.now()
    registered = new_case(org)  # owned by 白塔镇综治中心 (sub1): waiting for acceptance
    dispatched = act(
        org, new_case(org, "dispatcher", owner_unit=org.centre.pk), "assign_unit", "dispatcher", {"unit": org.sub1.pk}
    )  # pending to sub1
    todo = act(
        org,
        act(org, new_case(org), "accept", "handler1"),
        "assign_person",
        "sub1_dispatcher",
        {"handler": org.user("handler1").pk},
    )
    mediating = act(
        org, act(org, new_case(org), "accept", "handler1"), "attach_team", "handler1", valid_input("attach_team", org)
    )
    Case.objects.filter(pk=mediating.pk).update(handler=org.user("handler1"))
    soon = new_case(org)
    Case.objects.filter(pk=soon.pk).update(due_at=now + dt.timedelta(hours=20))
    late = new_case(org)
    Case.objects.filter(pk=late.pk).update(due_at=now - dt.timedelta(hours=3))
    instructed = new_case(org)
    perform("instruct", instructed, org.actor("leader1"), {"text": "请尽快处理"})
    elsewhere = new_case(org, location_unit=org.village2.pk)  # 田市镇: not handler1's

    r = signed_in(org.user("handler1")).get(URL)
    assert r.status_code == 200
    c = counts(r)
    assert c["to_accept"] == 5  # registered, dispatched, soon, late, instructed (all registered or pending to sub1)
    assert c["todo"] == 1
    assert c["mediating"] == 1
    assert c["due_soon"] == 1
    assert c["overdue"] == 1
    assert c["instructions"] == 1
    body = r.content.decode()
    for label in ("待受理", "待办", "调解中", "即将超期", "已超期", "领导批示待回复"):
        assert label in body

    assert codes_in(signed_in(org.user("handler1")).get(URL, {"group": "todo"})) == {todo.code}
    assert codes_in(signed_in(org.user("handler1")).get(URL, {"group": "mediating"})) == {mediating.code}
    assert codes_in(signed_in(org.user("handler1")).get(URL, {"group": "due_soon"})) == {soon.code}
    assert codes_in(signed_in(org.user("handler1")).get(URL, {"group": "overdue"})) == {late.code}
    assert codes_in(signed_in(org.user("handler1")).get(URL, {"group": "instructions"})) == {instructed.code}
    to_accept = codes_in(signed_in(org.user("handler1")).get(URL, {"group": "to_accept"}))
    assert {registered.code, dispatched.code} <= to_accept
    assert elsewhere.code not in codes_in(r)
    # The other town's handler sees only that case.
    assert codes_in(signed_in(org.user("handler2")).get(URL)) == {elsewhere.code}


def test_mediator_sees_team_cases_as_mediating(org: Org) -> None:
    case = act(
        org, act(org, new_case(org), "accept", "handler1"), "attach_team", "handler1", valid_input("attach_team", org)
    )
    r = signed_in(org.user("mediator_user")).get(URL)
    assert counts(r)["mediating"] == 1
    assert case.code in codes_in(r)


def test_filters_and_search(org: Org) -> None:
    light = new_case(org, title="采光纠纷", category="0201")
    wage = new_case(org, title="拖欠工资", description="包工头拖欠三个月工资", category="0701", channel="phone")
    town2 = new_case(org, "dispatcher", title="田市镇的案件", location_unit=org.village2.pk)
    accepted = act(org, new_case(org, title="已受理的案件"), "accept", "handler1")
    c = signed_in(org.user("dispatcher"))

    assert codes_in(c.get(URL, {"q": "工资"})) == {wage.code}
    assert codes_in(c.get(URL, {"q": "三个月"})) == {wage.code}  # description
    assert codes_in(c.get(URL, {"q": light.display_code[:9]})) == {light.code}  # code prefix
    assert codes_in(c.get(URL, {"state": "accepted"})) == {accepted.code}
    assert codes_in(c.get(URL, {"channel": "phone"})) == {wage.code}
    assert codes_in(c.get(URL, {"category": "07"})) == {wage.code}  # level 1 includes its children
    assert codes_in(c.get(URL, {"category": "0201"})) >= {light.code}
    assert codes_in(c.get(URL, {"town": org.town2.pk})) == {town2.code}
    assert codes_in(c.get(URL, {"town": org.town2.pk, "village": org.village2.pk})) == {town2.code}
    assert town2.code not in codes_in(c.get(URL, {"town": org.town1.pk}))
    assert codes_in(c.get(URL, {"level": "2"})) == set()
    assert len(codes_in(c.get(URL, {"level": "1"}))) == 4
    today = timezone.localdate().isoformat()
    assert len(codes_in(c.get(URL, {"created_after": today, "created_before": today}))) == 4
    assert codes_in(c.get(URL, {"created_before": "2000-01-01"})) == set()


def test_handler_filter_and_sort(org: Org) -> None:
    mine = act(org, new_case(org, title="甲"), "assign_person", "sub1_dispatcher", {"handler": org.user("handler1").pk})
    other = new_case(org, title="乙")
    Case.objects.filter(pk=other.pk).update(due_at=timezone.now() + dt.timedelta(hours=1))
    c = signed_in(org.user("handler1"))
    assert codes_in(c.get(URL, {"handler": "me"})) == {mine.code}
    assert codes_in(c.get(URL, {"handler": org.user("handler1").pk})) == {mine.code}
    rows = c.get(URL, {"ordering": "due_at"}).context["page"].object_list
    assert rows[0].code == other.code
    rows = c.get(URL).context["page"].object_list  # newest first by default
    assert rows[0].code == other.code and rows[1].code == mine.code


def test_search_refuses_a_phone_number(org: Org) -> None:
    new_case(org)
    r = signed_in(org.user("handler1")).get(URL, {"q": "13812341234"})
    assert "请勿在搜索框中输入电话" in r.content.decode()
    assert len(codes_in(r)) == 1  # the number was not used as a filter


def test_badges(org: Org) -> None:
    case = new_case(org)
    Case.objects.filter(pk=case.pk).update(level=4)
    body = signed_in(org.user("handler1")).get(URL).content.decode()
    assert 'class="pill l-4"' in body and "红色（县级专班）" in body
    assert 'class="pill c-green"' in body and "绿码" in body


def test_pagination_fifty_per_page(org: Org) -> None:
    for i in range(55):
        new_case(org, title=f"案件{i}")
    c = signed_in(org.user("handler1"))
    r1 = c.get(URL)
    assert len(r1.context["page"].object_list) == 50
    assert r1.context["page"].paginator.count == 55
    r2 = c.get(URL, {"page": 2})
    assert len(r2.context["page"].object_list) == 5
    assert not codes_in(r1) & codes_in(r2)
    assert "第 1 / 2 页" in r1.content.decode()


def _queries_for_list(org: Org, n: int) -> int:
    for i in range(n):
        case = new_case(org, title=f"列表{i}")
        if i % 2:
            perform("assign_person", case, org.actor("sub1_dispatcher"), {"handler": org.user("handler1").pk})
    c = signed_in(org.user("handler1"))
    c.get(URL)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as ctx:
        r = c.get(URL)
    assert len(r.context["page"].object_list) == n
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_rows(org: Org) -> None:
    few = _queries_for_list(org, 5)
    Case.objects.all().delete()
    many = _queries_for_list(org, 30)
    assert few == many, f"{few} queries for 5 rows, {many} for 30"


def test_bulk_assign_reports_each_case(org: Org) -> None:
    a, b = new_case(org), new_case(org)
    out_of_scope = new_case(org, location_unit=org.village2.pk)
    stale = new_case(org)
    c = signed_in(org.user("sub1_dispatcher"))
    r = c.post(
        reverse("web:bulk_assign"),
        {
            "cases": [f"{a.code}:{a.version}", f"{b.code}:{b.version}", f"{out_of_scope.code}:1", f"{stale.code}:0"],
            "handler": org.user("handler1").pk,
            "reason": "批量指派",
            "back": "group=to_accept",
        },
        follow=True,
    )
    assert r.redirect_chain[-1][0] == URL + "?group=to_accept"
    body = r.content.decode()
    assert "已指派 2 件" in body
    assert "2 件未能指派" in body
    assert "不在您的范围内" in body and "已被他人更新" in body
    for case, handler in ((a, "handler1"), (b, "handler1")):
        case.refresh_from_db()
        assert case.handler == org.user(handler) and case.state == "in_progress"
        assert CaseEvent.objects.filter(case=case, code="case.assign_person", via="web").exists()
    out_of_scope.refresh_from_db()
    stale.refresh_from_db()
    assert out_of_scope.handler is None and stale.handler is None


def test_bulk_assign_needs_a_selection(org: Org) -> None:
    r = signed_in(org.user("sub1_dispatcher")).post(reverse("web:bulk_assign"), {"handler": ""}, follow=True)
    assert "请先勾选案件并选择承办人" in r.content.decode()


def test_phone_search_is_a_post_in_scope(org: Org) -> None:
    mine = new_case(org)
    new_case(org, location_unit=org.village2.pk)  # same phone, other town
    c = signed_in(org.user("handler1"))
    assert c.get(reverse("web:phone_search")).status_code == 405
    r = c.post(reverse("web:phone_search"), {"phone": "138 1234 1234"})
    assert r.status_code == 200
    assert [x.code for x in r.context["results"]] == [mine.code]
    assert "13812341234" not in r.content.decode()
    r = c.post(reverse("web:phone_search"), {"phone": "12"})
    assert r.status_code == 400 and "有效的手机号码" in r.content.decode()


def test_other_towns_cases_are_not_listed(org: Org) -> None:
    new_case(org, location_unit=org.village2.pk)
    r = signed_in(org.user("handler1")).get(URL)
    assert codes_in(r) == set()
    assert "没有符合条件的案件" in r.content.decode()
