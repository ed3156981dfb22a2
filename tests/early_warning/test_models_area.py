"""Area, domain, sensitive-period and backlog models on constructed histories."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from fengqiao.cases.actions import perform
from fengqiao.cases.models import Case
from fengqiao.early_warning.models import Level, SensitivePeriod, WarningModel
from tests.early_warning.helpers import at, codes_of, make_case, run_only


def history(org, village, per_week: int, weeks: int = 8, category: str = "0201") -> None:
    for w in range(1, weeks + 1):
        for i in range(per_week):
            make_case(org, 7 * w + 1 + i, village=village, category=category)


def test_area_surge_fires_on_a_hot_town_only(org):
    history(org, org.village1, 1)
    history(org, org.village2, 1)
    hot = [make_case(org, 0.5 + i * 0.8, village=org.village1) for i in range(6)]
    make_case(org, 2, village=org.village2)
    result = run_only("area_surge")
    assert codes_of(result) == ["area_surge"]
    w = result.raised[0]
    assert w.owner_unit == org.town1 and set(w.case_ids) == {c.pk for c in hot}
    # decided on the last 3 days (4 cases; 3/7 of a baseline week of exactly one case), 6 in the week
    figures = w.evidence["figures"]
    assert (figures["count"], figures["window_days"], figures["week_count"]) == (4, 3, 6)
    assert figures["expected"] == 0.43
    assert "白塔镇" in w.title
    assert not run_only("area_surge").raised


def test_surge_evidence_keeps_the_newest_cases_when_capped(org, monkeypatch):
    """More cases in the week than a warning keeps: the newest (the surge), not the oldest."""
    from fengqiao.early_warning.detectors import base

    monkeypatch.setattr(base, "MAX_EVIDENCE", 4)
    history(org, org.village1, 1)
    history(org, org.village2, 1)
    hot = [make_case(org, 0.5 + i * 0.8, village=org.village1) for i in range(6)]  # 4.5 … 0.5 days ago
    result = run_only("area_surge")
    assert codes_of(result) == ["area_surge"]
    assert result.raised[0].case_ids == [c.pk for c in reversed(hot[:4])]  # 2.9, 2.1, 1.3, 0.5 days ago
    assert result.raised[0].evidence["figures"]["week_count"] == 6


def test_area_surge_quiet_at_baseline(org):
    history(org, org.village1, 1)
    make_case(org, 1, village=org.village1)
    make_case(org, 2, village=org.village1)
    assert not run_only("area_surge").raised


def test_domain_surge_with_tuned_parameters(org):
    m = WarningModel.objects.get(code="domain_surge")
    m.params = {**m.params, "min_cases": 5}
    m.full_clean()
    m.save()
    history(org, org.village1, 1, weeks=4, category="0601")
    for i in range(7):
        make_case(org, 0.5 + i * 0.5, village=org.village2 if i % 2 else org.village1, category="0601")
    result = run_only("domain_surge")
    assert codes_of(result) == ["domain_surge"]
    assert result.raised[0].owner_unit == org.county


def test_domain_surge_quiet_at_baseline(org):
    history(org, org.village1, 2, weeks=4, category="0601")
    make_case(org, 1, category="0601")
    assert not run_only("domain_surge").raised


def test_overdue_backlog(org):
    old = [make_case(org, 20) for _ in range(3)]
    make_case(org, 1)
    result = run_only("unit_overdue")
    assert codes_of(result) == ["unit_overdue"]
    assert set(result.raised[0].case_ids) == {c.pk for c in old}
    assert not run_only("unit_overdue").raised
    # the backlog is cleared: the warning (still only issued) is closed on the next full run
    Case.objects.filter(pk__in=[c.pk for c in old]).update(due_at=timezone.now() + dt.timedelta(days=5))
    closed = run_only("unit_overdue")
    assert [w.pk for w in closed.closed] == [result.raised[0].pk]


def test_no_backlog_quiet(org):
    for _ in range(3):
        make_case(org, 2)
    assert not run_only("unit_overdue").raised


def test_transfer_cluster(org):
    for _ in range(3):
        case = make_case(org, 5)
        with time_machine.travel(at(4), tick=False):
            for name, who, data in (
                ("transfer", "handler1", {"unit": org.dept.pk, "reason": "劳动报酬事项归人社"}),
                ("decline", "dept_handler", {"reason": "不属于本单位职责"}),
                ("transfer", "handler1", {"unit": org.dept2.pk, "reason": "涉及建设工程"}),
            ):
                case.refresh_from_db()
                perform(name, case, org.actor(who), data, via="test")
    result = run_only("unit_transfer")
    assert codes_of(result) == ["unit_transfer"]
    assert result.raised[0].evidence["figures"]["cases"] == 3


def test_sensitive_period_watch_and_level_raise(org):
    cases = [make_case(org, 3) for _ in range(5)]
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(risk="high")
    assert not run_only("sensitive_period").raised  # no period configured
    today = timezone.localdate()
    SensitivePeriod.objects.create(name="国庆", start=today - dt.timedelta(days=1), end=today + dt.timedelta(days=3))
    result = run_only("sensitive_period", "unit_overdue")
    assert codes_of(result) == ["sensitive_period"]
    w = result.raised[0]
    assert w.level == Level.YELLOW  # score 5 = blue, raised one level in the period
    assert w.evidence["raised_by_period"] == 1
