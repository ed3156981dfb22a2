"""Supervision figures on a constructed November 2026 history, against values computed by hand.

Grids: 白塔镇 has grid1 and grid1b (both under 白塔村); 田市镇 has grid2.
Patrols (finished unless said): grid1 on 3 Nov and twice on 5 Nov (one of them still open, so it does
not count), grid2 on 28 Oct (outside November); grid1b none.
  → 白塔镇 Nov: 2 grids, 1 covered (grid1: 2 patrols on 2 days, 3 check-ins); county: 3 grids, 1 covered.
Cases with their place in 白塔镇, concluded in November:
  A grid worker's report resolved on the spot (owner grid1)          → numerator and denominator
  B registered at the town centre, resolved by the town's handler     → denominator only
  C grid worker's report resolved on 30 Oct                           → outside the period
  D grid worker's report, still open                                  → neither
  E town case resolved, then reopened (no longer concluded)           → neither
  → 网格层面化解率 = 1 ÷ 2 = 50%; the evaluation registry's grid_rate gives the same cases.
Visits: one due 4 Nov never done (overdue on 10 Nov), one due 12 Nov (not yet), one done late."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
import time_machine

from fengqiao.cases.actions import perform
from fengqiao.gridwork import actions, metrics
from fengqiao.org.choices import Role
from tests.conftest import Org, make_unit, make_user
from tests.gridwork.helpers import cid
from tests.helpers import new_case, valid_input

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
NOV = (dt.datetime(2026, 11, 1, tzinfo=SH), dt.datetime(2026, 12, 1, tzinfo=SH))


def at(month: int, day: int, hour: int = 10) -> Any:
    return time_machine.travel(dt.datetime(2026, month, day, hour, tzinfo=SH), tick=False)


def patrol(user: Any, grid: Any, points: int, finish: bool = True) -> None:
    p = actions.start_patrol(user, grid, {"client_id": cid()})
    for _ in range(points):
        actions.check_in(user, p, {"client_id": cid(), "at": p.started_at.isoformat()})
    if finish:
        actions.stop_patrol(user, p, {})


def act(org: Org, name: str, case: Any, who: str) -> None:
    perform(name, case, org.actor(who), valid_input(name, org))


@pytest.fixture
def hist(org: Org) -> dict[str, Any]:
    grid1b = make_unit("331024103201-G02", "白塔村第2网格", "grid", org.village1)
    gw = org.user("grid_worker")
    gw2 = make_user("gw_t2", org.grid2, (Role.GRID_WORKER, org.grid2))
    spot = {"resolved_on_spot": True, "result": "当场调解"}
    with at(10, 28):
        patrol(gw2, org.grid2, 1)
    with at(10, 30):
        c = actions.report(gw, org.grid1, {"title": "C", "description": "十月化解", **spot})
    with at(11, 3):
        patrol(gw, org.grid1, 2)
        a = actions.report(gw, org.grid1, {"title": "A", "description": "当场化解", **spot})
        d = actions.report(gw, org.grid1, {"title": "D", "description": "仍在办理"})
        b = new_case(org, title="B 镇里化解")
        e = new_case(org, title="E 化解后重开")
        for case in (b, e):
            act(org, "accept", case, "handler1")
            act(org, "assign_person", case, "sub1_dispatcher")
        visit = {"subject_kind": "household", "subject_name": "李家", "purpose": "入户"}
        late = actions.plan_visit(gw, org.grid1, {**visit, "due_date": "2026-11-04"})
        actions.plan_visit(gw, org.grid1, {**visit, "due_date": "2026-11-04"})
        actions.plan_visit(gw, org.grid1, {**visit, "due_date": "2026-11-12"})
    with at(11, 5):
        patrol(gw, org.grid1, 1)
        patrol(gw, org.grid1, 0, finish=False)
    with at(11, 6):
        act(org, "resolve", b, "handler1")
        act(org, "resolve", e, "handler1")
        actions.record_visit(gw, late, {"outcome": "normal", "notes": "迟到的走访"})
    with at(11, 8):
        act(org, "reopen", e, "sub1_dispatcher")
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "grid1b": grid1b}


def test_coverage(org: Org, hist: dict[str, Any]) -> None:
    cov = metrics.coverage(org.town1, *NOV, today=dt.date(2026, 11, 10))
    assert (cov.grids, cov.covered) == (2, 1)
    assert [r.grid.name for r in cov.uncovered] == ["白塔村第2网格"]
    g1 = next(r for r in cov.rows if r.grid.pk == org.grid1.pk)
    assert (g1.patrols, g1.days, g1.checkins, g1.overdue_visits) == (2, 2, 3, 1)
    county = metrics.coverage(org.county, *NOV, today=dt.date(2026, 11, 10))
    assert (county.grids, county.covered) == (3, 1)
    oct_ = metrics.coverage(org.county, dt.datetime(2026, 10, 1, tzinfo=SH), NOV[0])
    assert oct_.covered == 1 and oct_.rows[-1].grid.pk == org.grid2.pk


def test_overdue_visits(org: Org, hist: dict[str, Any]) -> None:
    assert metrics.overdue_visits(org.town1, dt.date(2026, 11, 10)).count() == 1
    assert metrics.overdue_visits(org.town1, dt.date(2026, 11, 13)).count() == 2
    assert metrics.overdue_visits(org.town2, dt.date(2026, 11, 13)).count() == 0


def test_grid_rate(org: Org, hist: dict[str, Any]) -> None:
    h = hist
    r = metrics.grid_rate(org.town1, *NOV)
    assert (r.numerator, r.denominator) == (1, 2) and r.value == 0.5 and r.display == "50.0%"
    assert r.num_ids == [h["a"].pk] and sorted(r.den_ids) == sorted([h["a"].pk, h["b"].pk])
    assert metrics.grid_rate(org.town2, *NOV).denominator == 0
    assert metrics.grid_rate(org.town2, *NOV).display == "—"
    octr = metrics.grid_rate(org.town1, dt.datetime(2026, 10, 1, tzinfo=SH), NOV[0])
    assert (octr.numerator, octr.denominator) == (1, 1)


def test_evaluation_registry_agrees(org: Org, hist: dict[str, Any]) -> None:
    pytest.importorskip("fengqiao.evaluation")
    from fengqiao.evaluation import engine, periods

    with at(12, 2):
        res = engine.compute(["grid_rate"], periods.parse("2026-11"), unit=org.town1)[0]
    assert (res.numerator, res.denominator) == (1, 2)
    assert sorted(res.num_ids) == [hist["a"].pk]


def test_supervision_page_and_drill_down(org: Org, hist: dict[str, Any]) -> None:
    from django.test import Client

    c = Client()
    c.force_login(org.user("leader1"))
    with at(11, 10):
        html = c.get("/staff/grid/supervision/?month=2026-11").content.decode()
        assert "50.0%" in html and "白塔村第2网格" in html and "网格层面化解率" in html
        num = c.get(f"/staff/grid/supervision/cases/?unit={org.town1.pk}&month=2026-11&part=num").content.decode()
        den = c.get(f"/staff/grid/supervision/cases/?unit={org.town1.pk}&month=2026-11&part=den").content.decode()
    assert hist["a"].display_code in num and hist["b"].display_code not in num
    assert hist["a"].display_code in den and hist["b"].display_code in den and hist["e"].display_code not in den


def test_demo_seed_makes_a_month(org: Org) -> None:
    from fengqiao.gridwork.demo import seed_gridwork
    from fengqiao.gridwork.models import Delivery, Patrol, Visit

    summary = seed_gridwork(None, days=10)
    assert "patrols" in summary and Patrol.objects.filter(ended_at__isnull=False).exists()
    assert Visit.objects.filter(status="done").exists() and Delivery.objects.exists()
    assert metrics.overdue_visits(org.county).count() >= 1
