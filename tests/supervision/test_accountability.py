"""Accountability rules fire on constructed histories and not on clean ones."""

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from fengqiao.cases.actions import perform, register_case
from fengqiao.supervision.accountability import detect
from fengqiao.supervision.models import AccountabilityKind, AccountabilityRecord
from tests.conftest import case_payload

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH)


def at(when, fn, *args, **kwargs):
    with time_machine.travel(when, tick=False):
        return fn(*args, **kwargs)


def new(org, when=T0, **over):
    case, _ = at(when, register_case, org.actor("dispatcher"), case_payload(org, **over))
    return case


def kinds(case=None):
    qs = AccountabilityRecord.objects.all()
    if case is not None:
        qs = qs.filter(case=case)
    return sorted(qs.values_list("kind", flat=True))


def test_clean_history_raises_nothing(org):
    case = new(org)
    h = org.actor("handler1")
    at(T0 + dt.timedelta(hours=1), perform, "accept", case, h)
    at(T0 + dt.timedelta(hours=2), perform, "attach_team", case, h, {"members": [{"mediator": org.mediator.pk}]})
    at(
        T0 + dt.timedelta(days=1),
        perform,
        "record_session",
        case,
        h,
        {"held_at": T0.isoformat(), "place": "白塔镇矛调中心", "notes": "双方达成一致"},
    )
    at(
        T0 + dt.timedelta(days=2),
        perform,
        "resolve",
        case,
        h,
        {"agreement": True, "matter_settled": True, "grievance_settled": True, "result": "达成协议"},
    )
    assert not at(T0 + dt.timedelta(days=20), detect)
    assert kinds() == []


def test_late_registration_is_unregistered(org):
    case = new(org, received_at=(T0 - dt.timedelta(hours=30)).isoformat(), channel="hotline", parties=[])
    on_time = new(org, received_at=(T0 - dt.timedelta(hours=2)).isoformat(), channel="hotline", parties=[])
    found = at(T0 + dt.timedelta(hours=1), detect)
    assert found["unregistered"] == 1
    record = AccountabilityRecord.objects.get(case=case)
    assert record.kind == AccountabilityKind.UNREGISTERED
    assert record.evidence["events"] == [case.events.get(code="case.register").pk]
    assert record.person == org.user("dispatcher")
    assert kinds(on_time) == []
    assert not at(T0 + dt.timedelta(hours=2), detect)  # idempotent


def test_dispute_without_mediation_is_unmediated(org):
    case = new(org)
    at(T0 + dt.timedelta(hours=1), perform, "accept", case, org.actor("handler1"))
    assert not at(T0 + dt.timedelta(days=6), detect).get("unmediated")
    assert at(T0 + dt.timedelta(days=8), detect)["unmediated"] == 1
    assert kinds(case) == [AccountabilityKind.UNMEDIATED]


def test_three_transfers_are_buck_passing(org):
    case = new(org)
    h1, h2, dept = org.actor("handler1"), org.actor("handler2"), org.actor("dept_handler")
    at(T0 + dt.timedelta(hours=1), perform, "accept", case, h1)
    at(T0 + dt.timedelta(hours=2), perform, "transfer", case, h1, {"unit": org.dept.pk, "reason": "属人社事权"})
    at(T0 + dt.timedelta(hours=3), perform, "decline", case, dept, {"reason": "不属于本部门"})
    at(T0 + dt.timedelta(hours=4), perform, "transfer", case, h1, {"unit": org.dept.pk, "reason": "再次转办"})
    found = at(T0 + dt.timedelta(hours=5), detect)
    assert found["buck_passing"] == 1
    record = AccountabilityRecord.objects.get(case=case, kind=AccountabilityKind.BUCK_PASSING)
    assert record.evidence["back_and_forth"] is True
    assert len(record.evidence["events"]) == 3
    del h2


def test_single_transfer_is_not_buck_passing(org):
    case = new(org)
    at(T0 + dt.timedelta(hours=1), perform, "accept", case, org.actor("handler1"))
    at(
        T0 + dt.timedelta(hours=2),
        perform,
        "transfer",
        case,
        org.actor("handler1"),
        {"unit": org.dept.pk, "reason": "属人社事权"},
    )
    at(T0 + dt.timedelta(hours=3), perform, "accept", case, org.actor("dept_handler"))
    assert not at(T0 + dt.timedelta(hours=5), detect).get("buck_passing")


def test_repeated_overdue_per_person_and_unit(org):
    handler = org.user("handler1")
    for i in range(3):
        case = new(org, when=T0 + dt.timedelta(minutes=i))
        at(T0 + dt.timedelta(hours=1), perform, "accept", case, org.actor("handler1"))
        at(T0 + dt.timedelta(hours=1), perform, "assign_person", case, org.actor("handler1"), {"handler": handler.pk})
    found = at(T0 + dt.timedelta(days=20), detect)
    assert found["repeat_overdue"] == 2  # the person and the unit
    person = AccountabilityRecord.objects.get(kind=AccountabilityKind.REPEAT_OVERDUE_PERSON)
    assert person.person == handler and person.evidence["count"] == 3
    assert AccountabilityRecord.objects.get(kind=AccountabilityKind.REPEAT_OVERDUE_UNIT).unit == org.sub1
