"""The supervisor's page: overdue, bounced (推诿扯皮) and stalled cases from constructed histories,
and the read-only timeline."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fengqiao.cases.models import Case
from fengqiao.org.choices import Role
from fengqiao.org.models import RoleAssignment, User
from tests.conftest import Org
from tests.oversight.conftest import act, days_ago, register, web

pytestmark = pytest.mark.django_db

RESOLVE = {"agreement": True, "matter_settled": True, "grievance_settled": True, "result": "达成调解协议"}


def keys(client: Client, section: str) -> set[int]:
    r = client.get(f"/staff/supervisor/?list={section}")
    assert r.status_code == 200
    return {row["case"].pk for row in r.context["rows"]}


def transferred_three_times(org: Org) -> Case:
    """白塔镇综治中心 → 人社局 → 住建局 → 专班: three transfers, no unit twice."""
    case = register(org, title="三次转办")
    act(org, "transfer", case, "handler1", {"unit": org.dept.pk, "reason": "劳动报酬归人社"})
    act(org, "accept", case, "dept_handler")
    act(org, "transfer", case, "dept_handler", {"unit": org.dept2.pk, "reason": "涉及违建归住建"})
    act(org, "accept", case, "dispatcher")
    act(org, "transfer", case, "dispatcher", {"unit": org.taskforce.pk, "reason": "交专班"})
    return case


def bounced_between_two(org: Org) -> Case:
    """白塔镇综治中心 → 人社局, and 人社局 declines it back: back and forth, two events."""
    case = register(org, title="来回推诿")
    act(org, "transfer", case, "handler1", {"unit": org.dept.pk, "reason": "劳动报酬归人社"})
    act(org, "decline", case, "dept_handler", {"reason": "不属于本单位职责"})
    return case


def returned_after_accept(org: Org) -> Case:
    """交办 to a grid, the grid accepts and returns it (return: from grid back to the centre)."""
    case = register(org, title="交办后退回")
    act(org, "assign_unit", case, "sub1_dispatcher", {"unit": org.grid1.pk, "reason": "属地网格先行处置"})
    act(org, "accept", case, "grid_worker")
    act(org, "return", case, "grid_worker", {"reason": "交办有误"})
    return case


def clean(org: Org) -> Case:
    """One transfer, then accepted and resolved: nothing to see."""
    case = register(org, title="正常办理")
    act(org, "transfer", case, "handler1", {"unit": org.dept.pk, "reason": "劳动报酬归人社"})
    act(org, "accept", case, "dept_handler")
    act(org, "resolve", case, "dept_handler", RESOLVE)
    return case


def onward(org: Org) -> Case:
    """Two transfers to different units (A → B → C): neither repeated nor back and forth."""
    case = register(org, title="两次转办")
    act(org, "transfer", case, "handler1", {"unit": org.dept.pk, "reason": "归人社"})
    act(org, "accept", case, "dept_handler")
    act(org, "transfer", case, "dept_handler", {"unit": org.dept2.pk, "reason": "归住建"})
    return case


def test_bounced_cases(org: Org, supervisor: Client) -> None:
    three = transferred_three_times(org)
    pingpong = bounced_between_two(org)
    returned = returned_after_accept(org)
    ok = clean(org)
    two = onward(org)
    found = keys(supervisor, "bounced")
    assert three.pk in found
    assert pingpong.pk in found
    assert returned.pk in found
    assert ok.pk not in found
    assert two.pk not in found
    r = supervisor.get("/staff/supervisor/?list=bounced")
    rows = {row["case"].pk: row for row in r.context["rows"]}
    assert rows[three.pk]["case"].moves_n == 3
    chain = rows[pingpong.pk]["chain"]
    assert [(m["src"], m["dst"]) for m in chain] == [
        ("白塔镇综治中心", "仙居县人力资源和社会保障局"),
        ("仙居县人力资源和社会保障局", "白塔镇综治中心"),
    ]
    assert "拒收退回" in r.content.decode()
    # Most moves first.
    assert r.context["rows"][0]["case"].pk == three.pk


def test_stalled_cases(org: Org) -> None:
    now = timezone.now()
    quiet = register(org, when=now - dt.timedelta(days=10), title="无人问津")
    act(org, "accept", quiet, "handler1", when=now - dt.timedelta(days=9))
    busy = register(org, when=now - dt.timedelta(days=10), title="有进展")
    act(org, "accept", busy, "handler1", when=now - dt.timedelta(days=2))
    recent = register(org, when=now - dt.timedelta(days=1), title="新案件")
    done = register(org, when=now - dt.timedelta(days=20), title="已化解")
    act(org, "accept", done, "handler1", when=now - dt.timedelta(days=19))
    act(org, "resolve", done, "handler1", RESOLVE, when=now - dt.timedelta(days=18))
    with time_machine.travel(now, tick=False):
        found = keys(web(org.user("supervisor")), "stalled")
    assert found == {quiet.pk}
    # Five days later the busy case is stalled too (its last event is 7+ days old), the new one not yet.
    with time_machine.travel(now + dt.timedelta(days=5, hours=1), tick=False):
        found = keys(web(org.user("supervisor")), "stalled")
    assert found == {quiet.pk, busy.pk}
    with time_machine.travel(now + dt.timedelta(days=5, hours=1), tick=False):
        r = web(org.user("supervisor")).get("/staff/supervisor/")
    stalled = next(s for s in r.context["sections"] if s["key"] == "stalled")
    assert stalled["count"] == 2
    assert recent.pk not in {row["case"].pk for row in stalled["rows"]}
    assert {row["idle_days"] for row in stalled["rows"]} == {14, 7}


def test_overdue_cases(org: Org, supervisor: Client) -> None:
    late = register(org, when=days_ago(16), title="超期")
    fresh = register(org, title="未超期")
    done = register(org, when=days_ago(20), title="已办结")
    act(org, "accept", done, "handler1")
    act(org, "resolve", done, "handler1", RESOLVE)
    assert keys(supervisor, "overdue") == {late.pk}
    r = supervisor.get("/staff/supervisor/")
    overdue = next(s for s in r.context["sections"] if s["key"] == "overdue")
    assert overdue["count"] == 1 and overdue["rows"][0]["overdue_days"] == 1
    assert fresh.display_code not in r.content.decode().split('id="overdue"')[1].split("</section>")[0]


def test_supervisor_scope(org: Org) -> None:
    town_sup = User.objects.create_user("bt_jiwei", password="Fengqiao-test-pw1", unit=org.town1)
    RoleAssignment.objects.create(user=town_sup, unit=org.town1, role=Role.SUPERVISOR)
    mine = register(org, when=days_ago(16))
    other = register(org, when=days_ago(16), location_unit=org.village2.pk)
    c = web(town_sup)
    assert keys(c, "overdue") == {mine.pk}
    assert c.get(f"/staff/supervisor/cases/{other.code}/timeline/").status_code == 404
    assert c.get(f"/staff/supervisor/cases/{mine.code}/timeline/").status_code == 200
    assert keys(web(org.user("supervisor")), "overdue") == {mine.pk, other.pk}


def test_non_supervisors_are_refused(org: Org) -> None:
    case = register(org)
    for who in ("handler1", "leader1", "dispatcher", "nobody"):
        c = web(org.user(who))
        assert c.get("/staff/supervisor/").status_code == 403, who
        assert c.get(f"/staff/supervisor/cases/{case.code}/timeline/").status_code == 403
    assert Client().get("/staff/supervisor/").status_code == 302


def test_timeline_page(org: Org, supervisor: Client) -> None:
    case = bounced_between_two(org)  # a decline leaves the case accepted by its owner
    act(org, "instruct", case, "leader1", {"text": "请尽快化解"})
    r = supervisor.get(f"/staff/supervisor/cases/{case.display_code}/timeline/")
    assert r.status_code == 200
    text = r.content.decode()
    for label in ("登记受理", "转办", "拒收退回", "领导批示", "请尽快化解", "不属于本单位职责"):
        assert label in text, label
    assert "白塔镇综治中心 → 仙居县人力资源和社会保障局" in text
    assert f'href="/staff/cases/{case.display_code}/#timeline"' in text
    assert [it["label"] for it in r.context["items"]][:4] == ["登记受理", "分流完成", "转办", "拒收退回"]
    assert r.context["moves"] == 2
    # Read-only: no forms that post to the case.
    assert "/act/" not in text
    assert supervisor.get("/staff/supervisor/cases/0000-0000-0000/timeline/").status_code == 404
    assert supervisor.get("/staff/supervisor/cases/ZZZZ/timeline/").status_code == 404


def test_drilldown_links(org: Org, supervisor: Client) -> None:
    case = register(org, when=days_ago(16))
    text = supervisor.get("/staff/supervisor/").content.decode()
    assert f'href="/staff/supervisor/cases/{case.display_code}/timeline/"' in text
    assert f'href="/staff/cases/{case.display_code}/#timeline"' in text


def test_query_count_does_not_grow_with_rows(org: Org) -> None:
    def build(n: int) -> None:
        for _ in range(n):
            transferred_three_times(org)
            bounced_between_two(org)
            register(org, when=days_ago(16))

    build(1)
    client = web(org.user("supervisor"))
    client.get("/staff/supervisor/")
    with CaptureQueriesContext(connection) as small:
        client.get("/staff/supervisor/")
    with CaptureQueriesContext(connection) as small_list:
        client.get("/staff/supervisor/?list=bounced")
    with CaptureQueriesContext(connection) as small_tl:
        client.get(f"/staff/supervisor/cases/{Case.objects.first().code}/timeline/")  # type: ignore[union-attr]
    build(4)
    with CaptureQueriesContext(connection) as big:
        r = client.get("/staff/supervisor/")
    with CaptureQueriesContext(connection) as big_list:
        client.get("/staff/supervisor/?list=bounced")
    with CaptureQueriesContext(connection) as big_tl:
        client.get(f"/staff/supervisor/cases/{Case.objects.first().code}/timeline/")  # type: ignore[union-attr]
    assert next(s for s in r.context["sections"] if s["key"] == "bounced")["count"] == 10
    assert len(big) == len(small), [q["sql"][:100] for q in big.captured_queries]
    assert len(big_list) == len(small_list)
    assert len(big_tl) == len(small_tl)
