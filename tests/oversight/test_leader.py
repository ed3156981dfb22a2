"""The leader's page: their area only, colour counts, escalations, overdue, follows and
instructions (批示) through the action layer."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fengqiao.cases.actions import Actor, perform
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.core.models import AuditEntry
from fengqiao.notify.models import Notification
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import RoleAssignment, Unit, User
from fengqiao.supervision.models import Follow, Instruction
from tests.conftest import Org
from tests.oversight.conftest import act, days_ago, register, web

pytestmark = pytest.mark.django_db

RESOLVE = {"agreement": True, "matter_settled": True, "grievance_settled": True, "result": "达成调解协议"}


def in_town2(org: Org) -> dict:
    return {"location_unit": org.village2.pk, "title": "田市镇的纠纷"}


def test_leader_sees_only_their_area(org: Org, leader1: Client) -> None:
    mine = register(org, title="白塔镇的纠纷")
    other = register(org, **in_town2(org))
    r = leader1.get("/staff/leader/?list=green")
    assert r.status_code == 200
    text = r.content.decode()
    assert mine.display_code in text and other.display_code not in text
    r = leader1.get("/staff/leader/")
    assert r.context["totals"]["total"] == 1
    # The county leader sees both towns.
    r = web(org.user("county_leader")).get("/staff/leader/")
    assert r.context["totals"]["total"] == 2


def test_counts_by_state_and_colour(org: Org, leader1: Client) -> None:
    now = timezone.now()
    register(org, when=now - dt.timedelta(days=2))  # green
    register(org, when=now - dt.timedelta(days=7, minutes=-1))  # 7 days less a minute: still green
    register(org, when=now - dt.timedelta(days=9))  # yellow
    register(org, when=now - dt.timedelta(days=14, minutes=-1))  # yellow
    red = register(org, when=now - dt.timedelta(days=20))  # red
    done = register(org, when=now - dt.timedelta(days=30))  # resolved: not counted by colour
    act(org, "accept", done, "handler1")
    act(org, "resolve", done, "handler1", RESOLVE)
    act(org, "accept", red, "handler1")

    with time_machine.travel(now, tick=False):
        r = leader1.get("/staff/leader/")
    t = r.context["totals"]
    assert (t["total"], t["open"], t["green"], t["yellow"], t["red"]) == (6, 5, 2, 2, 1)
    assert t["overdue"] == 1  # 20 days old, deadline 15 days
    states = {row["key"]: row["n"] for row in r.context["state_rows"]}
    assert states == {"registered": 4, "accepted": 1, "resolved": 1}
    # The SQL buckets agree with Case.computed_colour for every open case.
    by_colour: dict[str, int] = {}
    for case in Case.objects.filter(state__in=["registered", "accepted"]):
        c = case.computed_colour(now)
        by_colour[c] = by_colour.get(c, 0) + 1
    assert by_colour == {"green": 2, "yellow": 2, "red": 1}

    # Two minutes later the "7 days less a minute" case has turned yellow and the "14 days less a
    # minute" one red.
    with time_machine.travel(now + dt.timedelta(minutes=2), tick=False):
        t = leader1.get("/staff/leader/").context["totals"]
    assert (t["green"], t["yellow"], t["red"]) == (1, 2, 2)
    # And a week later everything still open is red.
    with time_machine.travel(now + dt.timedelta(days=15), tick=False):
        t = web(org.user("leader1")).get("/staff/leader/").context["totals"]
    assert (t["green"], t["yellow"], t["red"]) == (0, 0, 5)


def test_colour_lists_and_overdue_list(org: Org, leader1: Client) -> None:
    old = register(org, when=days_ago(20), title="二十天前的纠纷")
    new = register(org, title="今天的纠纷")
    r = leader1.get("/staff/leader/?list=red")
    assert old.display_code in r.content.decode() and new.display_code not in r.content.decode()
    r = leader1.get("/staff/leader/")
    overdue = next(s for s in r.context["sections"] if s["key"] == "overdue")
    assert [row["case"].pk for row in overdue["rows"]] == [old.pk]
    assert "已超期" in r.content.decode()
    assert leader1.get("/staff/leader/?list=nonsense").status_code == 404
    r = leader1.get("/staff/leader/?list=open")
    assert [row["case"].pk for row in r.context["rows"]] == [old.pk, new.pk]  # oldest first


def test_escalated_to_them(org: Org, leader1: Client) -> None:
    # A grid worker's case escalated to the town centre (under the leader's town).
    case = register(org, who="grid_worker", owner_unit=org.grid1.pk, location_unit=org.grid1.pk)
    assert case.owner_unit == org.grid1
    act(org, "escalate", case, "grid_worker", {"reason": "矛盾升级"})
    case.refresh_from_db()
    assert case.state == "dispatched" and case.pending_unit == org.sub1
    plain = register(org, title="普通案件")
    r = leader1.get("/staff/leader/")
    esc = next(s for s in r.context["sections"] if s["key"] == "escalated")
    assert [row["case"].pk for row in esc["rows"]] == [case.pk]
    # Orange (level ≥ 3) cases of the area are listed too.
    Case.objects.filter(pk=plain.pk).update(level=3)
    r = leader1.get("/staff/leader/")
    esc = next(s for s in r.context["sections"] if s["key"] == "escalated")
    assert {row["case"].pk for row in esc["rows"]} == {case.pk, plain.pk}
    # A county leader sees cases escalated to the county centre.
    act(org, "accept", case, "handler1")
    act(org, "escalate", case, "handler1", {"reason": "需县级统筹"})
    case.refresh_from_db()
    assert case.pending_unit == org.centre
    r = web(org.user("county_leader")).get("/staff/leader/?list=escalated")
    assert case.display_code in r.content.decode()


def test_instruct_notifies_and_answer_shows(org: Org, leader1: Client, django_capture_on_commit_callbacks) -> None:
    case = register(org)
    act(org, "accept", case, "handler1")
    act(org, "assign_person", case, "sub1_dispatcher", {"handler": org.user("handler1").pk})
    with django_capture_on_commit_callbacks(execute=True):
        r = leader1.post(
            f"/staff/leader/instruct/{case.code}/",
            {"text": "请三日内化解，注意稳控", "next": "/staff/leader/?list=green"},
        )
    assert r.status_code == 302 and r["Location"] == "/staff/leader/?list=green"
    instruction = Instruction.objects.get(case=case)
    assert instruction.author == org.user("leader1") and instruction.text == "请三日内化解，注意稳控"
    event = CaseEvent.objects.get(case=case, code="case.instruct")
    assert event.via == "web" and event.data["instruction"] == instruction.pk
    assert Notification.objects.filter(user=org.user("handler1"), event=event, kind="instruction").exists()
    page = leader1.get("/staff/leader/").content.decode()
    assert "请三日内化解" in page and "未回复" in page

    # The handler answers through the action layer; the leader sees the answer.
    with django_capture_on_commit_callbacks(execute=True):
        perform(
            "answer_instruction",
            case,
            Actor.staff(org.user("handler1")),
            {"instruction": instruction.pk, "answer": "已约双方当事人明日调解"},
            via="web",
        )
    r = leader1.get("/staff/leader/")
    page = r.content.decode()
    assert "已约双方当事人明日调解" in page and "已回复" in page
    assert r.context["instr_counts"] == {"total": 1, "unanswered": 0}
    assert Notification.objects.filter(user=org.user("leader1"), kind="instruction_answered").exists()


def test_instruct_errors(org: Org, leader1: Client) -> None:
    case = register(org)
    r = leader1.post(f"/staff/leader/instruct/{case.code}/", {"text": ""}, follow=True)
    assert "批示未能提交" in r.content.decode()
    assert not Instruction.objects.exists()
    other = register(org, **in_town2(org))
    assert leader1.post(f"/staff/leader/instruct/{other.code}/", {"text": "越界"}).status_code == 404
    assert leader1.post("/staff/leader/instruct/NOT-A-CODE/", {"text": "x"}).status_code == 404
    assert leader1.get(f"/staff/leader/instruct/{case.code}/").status_code == 405
    assert not Instruction.objects.exists()


def test_follow_and_unfollow(org: Org, leader1: Client) -> None:
    case = register(org)
    leader = org.user("leader1")
    r = leader1.post(f"/staff/leader/follow/{case.code}/")
    assert r.status_code == 302
    assert Follow.objects.filter(user=leader, case=case).exists()
    assert AuditEntry.objects.filter(action="case.follow", user=leader, object_id=str(case.pk)).count() == 1
    leader1.post(f"/staff/leader/follow/{case.code}/")  # twice: still one row, one audit record
    assert Follow.objects.filter(user=leader).count() == 1
    assert AuditEntry.objects.filter(action="case.follow").count() == 1
    r = leader1.get("/staff/leader/")
    followed = next(s for s in r.context["sections"] if s["key"] == "followed")
    assert [row["case"].pk for row in followed["rows"]] == [case.pk]
    assert "取消关注" in r.content.decode()
    version = Case.objects.get(pk=case.pk).version

    leader1.post(f"/staff/leader/unfollow/{case.code}/")
    assert not Follow.objects.filter(user=leader).exists()
    assert AuditEntry.objects.filter(action="case.unfollow", user=leader).count() == 1
    assert Case.objects.get(pk=case.pk).version == version  # a preference, not a case change
    other = register(org, **in_town2(org))
    assert leader1.post(f"/staff/leader/follow/{other.code}/").status_code == 404


def test_non_leaders_are_refused(org: Org) -> None:
    case = register(org)
    for who in ("handler1", "dispatcher", "supervisor", "nobody"):
        c = web(org.user(who))
        assert c.get("/staff/leader/").status_code == 403, who
        assert c.post(f"/staff/leader/instruct/{case.code}/", {"text": "x"}).status_code == 403
        assert c.post(f"/staff/leader/follow/{case.code}/").status_code == 403
    anonymous = Client().get("/staff/leader/")
    assert anonymous.status_code == 302 and "/staff/login/" in anonymous["Location"]
    assert not Instruction.objects.exists() and not Follow.objects.exists()


def test_leader_menu_link(org: Org, leader1: Client) -> None:
    assert 'href="/staff/leader/"' in leader1.get("/staff/leader/").content.decode()


def _many_cases(org: Org, n: int, leader: User) -> None:
    """Cases in every section of the page (overdue, escalated, followed, instructed), whatever n ≥ 4."""
    for i in range(n):
        case = register(org, when=days_ago(i * 7 % 30), title=f"纠纷{i}")
        if i % 3 == 0:
            Follow.objects.create(user=leader, case=case)
        if i % 4 == 0:
            act(org, "accept", case, "handler1")
            perform("instruct", case, Actor.staff(leader), {"text": f"批示{i}"})
        if i % 5 == 0:
            Case.objects.filter(pk=case.pk).update(level=3)


def test_query_count_does_not_grow_with_rows(org: Org, leader1: Client) -> None:
    leader = org.user("leader1")
    _many_cases(org, 4, leader)
    leader1.get("/staff/leader/")
    with CaptureQueriesContext(connection) as small:
        assert leader1.get("/staff/leader/").status_code == 200
    with CaptureQueriesContext(connection) as small_list:
        leader1.get("/staff/leader/?list=followed")
    _many_cases(org, 16, leader)
    with CaptureQueriesContext(connection) as big:
        r = leader1.get("/staff/leader/")
    with CaptureQueriesContext(connection) as big_list:
        leader1.get("/staff/leader/?list=followed")
    assert len(r.context["sections"][2]["rows"]) == 8  # followed: 8 of 20
    assert len(big) == len(small), [q["sql"][:120] for q in big.captured_queries]
    assert len(big_list) == len(small_list)


def test_department_leader_area(org: Org) -> None:
    """A department head (leader role at the department) sees cases transferred to the department."""
    head = User.objects.create_user("rsj_head", password="Fengqiao-test-pw1", unit=org.dept)
    RoleAssignment.objects.create(user=head, unit=org.dept, role=Role.LEADER)
    case = register(org)
    act(org, "transfer", case, "handler1", {"unit": org.dept.pk, "reason": "劳动报酬归人社"})
    r = web(head).get("/staff/leader/")
    assert r.context["totals"]["total"] == 1
    esc = next(s for s in r.context["sections"] if s["key"] == "escalated")
    # Waiting for the department to accept: "escalated to them" (dispatched, pending at their unit).
    assert [row["case"].pk for row in esc["rows"]] == [case.pk]
    assert Unit.objects.get(pk=org.dept.pk).kind == UnitKind.DEPARTMENT
    # Once accepted, a county department's case is orange (tier 3) and stays on the list.
    act(org, "accept", case, "dept_handler")
    case.refresh_from_db()
    assert case.level == 3
    esc = next(s for s in web(head).get("/staff/leader/").context["sections"] if s["key"] == "escalated")
    assert [row["case"].pk for row in esc["rows"]] == [case.pk]


def test_sql_colour_buckets_match_computed_colour(org: Org) -> None:
    """Whatever the policy (calendar or working days), pauses and stored colours, the page's SQL
    buckets count exactly what Case.computed_colour says."""
    now = timezone.now()
    for days in (1, 5, 8, 12, 16, 25):
        register(org, when=now - dt.timedelta(days=days), title=f"来访{days}")
        register(org, when=now - dt.timedelta(days=days), channel="hotline", title=f"热线{days}")
        register(org, when=now - dt.timedelta(days=days), channel="court", title=f"诉调{days}")
    paused = register(org, when=now - dt.timedelta(days=20), title="中止")
    act(org, "accept", paused, "handler1", when=now - dt.timedelta(days=19))
    act(org, "pause", paused, "handler1", {"reason": "appraisal", "note": "等待鉴定"}, when=now - dt.timedelta(days=18))
    Case.objects.filter(pk=paused.pk).update(colour="yellow")  # the sweep's stored colour
    stuck_red = register(org, when=now - dt.timedelta(days=3), title="已标红")
    Case.objects.filter(pk=stuck_red.pk).update(colour="red")
    for offset in (0, 3, 9, 20):
        at = now + dt.timedelta(days=offset)
        expected = {"green": 0, "yellow": 0, "red": 0}
        for case in Case.objects.filter(state__in=["registered", "accepted", "paused"]):
            expected[str(case.computed_colour(at))] += 1
        with time_machine.travel(at, tick=False):
            t = web(org.user("leader1")).get("/staff/leader/").context["totals"]
        assert {k: t[k] for k in expected} == expected, offset
