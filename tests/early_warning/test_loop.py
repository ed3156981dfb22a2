"""The warning's handling loop: transitions, reasons, permissions by role and unit, events, audit,
reminders and escalation, work notices and class problems."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.cases.actions import ActionForbidden, ActionInvalid, InvalidTransition
from fengqiao.core.models import AuditEntry
from fengqiao.early_warning import actions
from fengqiao.early_warning.models import ClassProblem, NoticeRecipient, Status, Warning, WarningModel
from fengqiao.early_warning.policy import warnings_for
from fengqiao.early_warning.sweep import sweep


@pytest.fixture
def warning(org):
    return Warning.objects.create(
        model=WarningModel.objects.get(code="person_repeat"),
        kind="person",
        level=2,
        title="重复反映人员",
        explanation="同一当事人在90天内反映4件事项。",
        evidence={"figures": {"cases": 4}},
        case_ids=[],
        fingerprint="f" * 64,
        owner_unit=org.town1,
        due_at=timezone.now() + dt.timedelta(days=3),
    )


def snapshot(w: Warning) -> tuple:
    w.refresh_from_db()
    return (w.status, w.version, w.assignee_unit_id, w.events.count(), AuditEntry.objects.count())


def test_full_loop_writes_one_event_and_one_audit_row_per_step(org, warning):
    audits = AuditEntry.objects.count()
    actions.perform("assign", warning, org.user("leader1"), {"unit": org.sub1.pk, "note": "请核实"})
    actions.perform("verify", warning, org.user("handler1"), {"verification": "经核实，当事人对补偿不满"})
    actions.perform("measures", warning, org.user("handler1"), {"measures": "包案化解，村干部每周走访"})
    actions.perform("close", warning, org.user("sub1_dispatcher"), {"summary": "已达成协议"})
    warning.refresh_from_db()
    assert warning.status == Status.CLOSED and warning.closed_at and warning.due_at is None
    codes = list(warning.events.values_list("code", flat=True))
    assert codes == ["warning.assign", "warning.verify", "warning.measures", "warning.close"]
    assert AuditEntry.objects.count() == audits + 4
    last = AuditEntry.objects.order_by("-id").first()
    assert last.action == "warning.close" and last.user == org.user("sub1_dispatcher")
    ev = warning.events.get(code="warning.verify")
    assert ev.actor_role == "handler" and ev.actor_unit == org.town1 and ev.status_before == Status.ASSIGNED


def test_dismiss_needs_a_reason_and_changes_nothing_without_one(org, warning):
    before = snapshot(warning)
    with pytest.raises(ActionInvalid) as exc:
        actions.perform("dismiss", warning, org.user("leader1"), {"reason": "  "})
    assert "reason" in exc.value.errors and "排除理由" in exc.value.message
    assert snapshot(warning) == before
    actions.perform("dismiss", warning, org.user("leader1"), {"reason": "系同一事项重复登记"})
    warning.refresh_from_db()
    assert warning.status == Status.DISMISSED and warning.dismiss_reason == "系同一事项重复登记"


def test_illegal_transition_refused(org, warning):
    before = snapshot(warning)
    with pytest.raises(InvalidTransition):
        actions.perform("close", warning, org.user("leader1"), {"summary": "x"})
    with pytest.raises(InvalidTransition):
        actions.perform("verify", warning, org.user("handler1"), {"verification": "x"})
    assert snapshot(warning) == before


def test_assign_outside_scope_refused(org, warning):
    before = snapshot(warning)
    with pytest.raises(ActionInvalid) as exc:
        actions.perform("assign", warning, org.user("leader1"), {"unit": org.sub2.pk})
    assert "unit" in exc.value.errors
    assert snapshot(warning) == before


# role × unit: who may see the town-1 warning, and who may assign it
MATRIX = {
    "dispatcher": (True, True),
    "sub1_dispatcher": (True, True),
    "handler1": (True, False),
    "leader1": (True, True),
    "county_leader": (True, True),
    "supervisor": (True, False),
    "handler2": (False, False),
    "dept_handler": (False, False),
    "grid_worker": (False, False),
    "mediator_user": (False, False),
    "nobody": (False, False),
}


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_permission_matrix(org, warning, who):
    can_see, can_assign = MATRIX[who]
    user = org.user(who)
    assert warnings_for(user).filter(pk=warning.pk).exists() is can_see
    before = snapshot(warning)
    if can_assign:
        actions.perform("assign", warning, user, {"unit": org.town1.pk})
        assert snapshot(warning)[0] == Status.ASSIGNED
    else:
        with pytest.raises(ActionForbidden):
            actions.perform("assign", warning, user, {"unit": org.town1.pk})
        assert snapshot(warning) == before


def test_assignee_unit_may_verify(org, warning):
    warning.owner_unit = org.county
    warning.save()
    assert not warnings_for(org.user("handler1")).filter(pk=warning.pk).exists()
    actions.perform("assign", warning, org.user("county_leader"), {"unit": org.sub1.pk})
    assert warnings_for(org.user("handler1")).filter(pk=warning.pk).exists()
    actions.perform("verify", warning, org.user("handler1"), {"verification": "属实"})
    with pytest.raises(ActionForbidden):
        actions.perform("measures", warning, org.user("handler2"), {"measures": "x"})


def test_reminder_then_escalation(org, warning):
    now = timezone.now()
    Warning.objects.filter(pk=warning.pk).update(due_at=now - dt.timedelta(hours=1))
    assert sweep(now)["reminded"] == 1
    assert sweep(now)["reminded"] == 0  # once
    later = now + dt.timedelta(days=4)
    assert sweep(later)["escalated"] == 1
    warning.refresh_from_db()
    assert warning.owner_unit == org.county and warning.escalations == 1 and warning.due_at > later
    codes = list(warning.events.values_list("code", flat=True))
    assert codes == ["warning.remind", "warning.escalate"]
    assert AuditEntry.objects.filter(action="warning.escalate", object_id=str(warning.pk)).count() == 1


def test_work_notice_and_acknowledgement(org, warning):
    notice = actions.issue_notice(
        org.user("leader1"),
        warning,
        {"title": "关注重复反映人员", "text": "请各村排查", "units": [org.village1.pk, org.grid1.pk], "due_days": 2},
    )
    assert notice.recipients.count() == 2
    r = NoticeRecipient.objects.get(notice=notice, unit=org.grid1)
    with pytest.raises(ActionForbidden):
        actions.acknowledge(org.user("handler2"), r, {"reply": "收到"})
    with pytest.raises(ActionInvalid):
        actions.acknowledge(org.user("grid_worker"), r, {"reply": ""})
    actions.acknowledge(org.user("grid_worker"), r, {"reply": "已排查，无新情况"})
    r.refresh_from_db()
    assert r.acknowledged_by == org.user("grid_worker")
    with pytest.raises(InvalidTransition):
        actions.acknowledge(org.user("grid_worker"), r, {"reply": "再次"})
    assert list(notice.events.values_list("code", flat=True)) == ["notice.issue", "notice.acknowledge"]
    with pytest.raises(ActionInvalid):  # outside the leader's town
        actions.issue_notice(org.user("leader1"), warning, {"title": "t", "text": "x", "units": [org.town2.pk]})


def test_class_problem_tracked_to_policy_change(org, new_case):
    with pytest.raises(ActionForbidden):
        actions.take_problem(org.user("handler1"), {"title": "t", "description": "d", "lead_unit": org.sub1.pk})
    with pytest.raises(ActionInvalid) as exc:
        actions.take_problem(
            org.user("county_leader"), {"title": "物业类问题", "description": "d", "lead_unit": org.dept2.pk}
        )
    assert "cases" in exc.value.errors
    p = actions.take_problem(
        org.user("county_leader"),
        {
            "title": "物业类问题",
            "description": "多个小区物业收费争议",
            "lead_unit": org.dept2.pk,
            "cases": [new_case.pk],
        },
    )
    assert list(p.cases.all()) == [new_case]
    with pytest.raises(ActionForbidden):
        actions.problem_progress(org.user("handler1"), p, {"progress": "x"})
    actions.problem_progress(org.user("county_leader"), p, {"progress": "召开物业企业座谈会"})
    with pytest.raises(ActionInvalid):
        actions.close_problem(org.user("county_leader"), p, {"policy_change": ""})
    actions.close_problem(org.user("county_leader"), p, {"policy_change": "出台物业收费公示办法"})
    p = ClassProblem.objects.get(pk=p.pk)
    assert p.status == "closed" and p.closed_at
    assert list(p.events.values_list("code", flat=True)) == ["problem.open", "problem.progress", "problem.close"]


def test_model_parameters_validated_in_plain_chinese(db):
    from django.core.exceptions import ValidationError

    m = WarningModel.objects.get(code="person_repeat")
    m.params = {"window_days": 0, "unknown": 1}
    m.thresholds = {"blue": 5, "yellow": 4, "orange": 6, "red": 8}
    with pytest.raises(ValidationError) as exc:
        m.full_clean()
    text = str(exc.value.message_dict)
    assert "统计天数" in text and "没有参数" in text and "递增" in text
    assert WarningModel.objects.count() >= 10
