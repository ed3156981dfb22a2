"""Time-travel tests of the supervision sweep: colours, pushes, reminders, pauses, idempotency."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from fengqiao.cases.actions import perform, register_case
from fengqiao.cases.choices import Colour
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.notify.models import Notification, OutboundMessage
from fengqiao.supervision import sweep as sweep_module
from fengqiao.supervision.sweep import sweep
from tests.conftest import case_payload

SH = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SH)  # a Friday


def register_at(org, when, **overrides):
    with time_machine.travel(when, tick=False):
        case, _ = register_case(org.actor("dispatcher"), case_payload(org, **overrides))
    return case


def run_at(when, **kw):
    with time_machine.travel(when, tick=False):
        return sweep(**kw)


def colour_events(case):
    return list(CaseEvent.objects.filter(case=case, code="case.colour").values_list("after__colour", flat=True))


def pushes(user, kind):
    return Notification.objects.filter(user=user, kind=kind).count()


def test_green_yellow_red_at_the_right_moments_with_one_push_each(org):
    org.user("leader1").mobile = "13700001111"
    org.user("leader1").save()
    case = register_at(org, START)
    assert case.yellow_at == START + dt.timedelta(days=7)
    assert case.red_at == START + dt.timedelta(days=14)

    run_at(START + dt.timedelta(days=7) - dt.timedelta(minutes=1))
    case.refresh_from_db()
    assert case.colour == Colour.GREEN

    report = run_at(START + dt.timedelta(days=7, minutes=1))
    case.refresh_from_db()
    assert case.colour == Colour.YELLOW and report.counts["to_yellow"] == 1
    assert pushes(org.user("leader1"), "colour_yellow") == 1  # the town's head
    assert pushes(org.user("county_leader"), "colour_yellow") == 0
    assert OutboundMessage.objects.filter(dedup_key=f"colour:yellow:{org.user('leader1').pk}:{case.pk}").count() == 1

    assert not run_at(START + dt.timedelta(days=8)).counts  # nothing more to do
    run_at(START + dt.timedelta(days=14, minutes=1))
    case.refresh_from_db()
    assert case.colour == Colour.RED
    assert pushes(org.user("county_leader"), "colour_red") == 1
    assert pushes(org.user("leader1"), "colour_red") == 0
    run_at(START + dt.timedelta(days=15))
    assert colour_events(case) == ["yellow", "red"]
    assert case.events.filter(code="case.colour").count() == 2


def test_working_day_policy_across_national_day(org):
    # Hotline work orders: yellow after 5 working days. Registered Wed 30 Sep 2026, 10:00:
    # Oct 1–7 holiday; working days Oct 8, 9, 10 (Saturday make-up), 12, 13 → yellow at Oct 13 10:00.
    start = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SH)
    case = register_at(org, start, channel="hotline", parties=[])
    assert case.deadline_policy is not None and case.deadline_policy.unit == "working"
    assert case.yellow_at.astimezone(SH) == dt.datetime(2026, 10, 13, 10, 0, tzinfo=SH)
    run_at(dt.datetime(2026, 10, 13, 9, 59, tzinfo=SH))
    case.refresh_from_db()
    assert case.colour == Colour.GREEN
    run_at(dt.datetime(2026, 10, 13, 10, 1, tzinfo=SH))
    case.refresh_from_db()
    assert case.colour == Colour.YELLOW


def test_pause_stops_the_clock(org):
    case = register_at(org, START)
    with time_machine.travel(START + dt.timedelta(hours=1), tick=False):
        perform("accept", case, org.actor("handler1"))
    with time_machine.travel(START + dt.timedelta(days=2), tick=False):
        perform("pause", case, org.actor("handler1"), {"reason": "appraisal", "note": "等待伤情鉴定"})
    run_at(START + dt.timedelta(days=9))  # past the original yellow moment, but paused
    case.refresh_from_db()
    assert case.colour == Colour.GREEN
    with time_machine.travel(START + dt.timedelta(days=12), tick=False):
        perform("resume", case, org.actor("handler1"))
    case.refresh_from_db()
    assert case.state == "accepted"
    assert case.yellow_at == START + dt.timedelta(days=17)  # 7 days + 10 paused
    run_at(START + dt.timedelta(days=16, hours=23))
    case.refresh_from_db()
    assert case.colour == Colour.GREEN
    run_at(START + dt.timedelta(days=17, minutes=1))
    case.refresh_from_db()
    assert case.colour == Colour.YELLOW


def test_deadline_reminders_once_each(org):
    case = register_at(org, START)  # accept within 24 h
    report = run_at(START + dt.timedelta(hours=1))
    assert report.counts["remind_accept"] == 1
    assert not run_at(START + dt.timedelta(hours=2)).counts.get("remind_accept")
    assert case.events.filter(code="case.remind").count() == 1
    assert Notification.objects.filter(case=case, kind="deadline").exists()


def test_unanswered_instruction_reminds_after_three_days(org):
    case = register_at(org, START)
    with time_machine.travel(START + dt.timedelta(hours=1), tick=False):
        perform("accept", case, org.actor("handler1"))
        perform("assign_person", case, org.actor("handler1"), {"handler": org.user("handler1").pk})
        perform("instruct", case, org.actor("leader1"), {"text": "请三日内化解并报结果"})
    assert not run_at(START + dt.timedelta(days=3)).counts.get("instruction_reminders")
    assert run_at(START + dt.timedelta(days=3, hours=2)).counts["instruction_reminders"] == 1
    assert not run_at(START + dt.timedelta(days=4)).counts.get("instruction_reminders")
    assert pushes(org.user("handler1"), "instruction") >= 1


def test_clean_open_case_is_left_alone(org):
    case = register_at(org, START)
    with time_machine.travel(START + dt.timedelta(hours=1), tick=False):
        perform("accept", case, org.actor("handler1"))
        perform("first_contact", case, org.actor("handler1"), {"method": "phone"})
    version = Case.objects.get(pk=case.pk).version
    report = run_at(START + dt.timedelta(days=3))
    assert not report.counts
    assert Case.objects.get(pk=case.pk).version == version


def test_sweep_killed_halfway_finishes_on_the_next_run(org, monkeypatch):
    cases = [register_at(org, START + dt.timedelta(minutes=i)) for i in range(5)]
    real_write = sweep_module._write
    calls = {"n": 0}

    def dying_write(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "_write", dying_write)
    with pytest.raises(KeyboardInterrupt):
        run_at(START + dt.timedelta(days=8), batch=2)
    monkeypatch.setattr(sweep_module, "_write", real_write)
    run_at(START + dt.timedelta(days=8), batch=2)
    run_at(START + dt.timedelta(days=8), batch=2)
    for case in cases:
        assert colour_events(case) == ["yellow"]
        case.refresh_from_db()
        assert case.colour == Colour.YELLOW


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_never_push_twice(org):
    if connection.vendor != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are exercised on PostgreSQL")
    cases = [register_at(org, START + dt.timedelta(minutes=i)) for i in range(40)]
    when = START + dt.timedelta(days=8)
    errors = []

    def worker():
        try:
            with time_machine.travel(when, tick=False):
                sweep(batch=5)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for case in cases:
        assert colour_events(case) == ["yellow"]
    assert Notification.objects.filter(kind="colour_yellow", user=org.user("leader1")).count() == 40
