"""The rollups (atlas/rollup.py) agree exactly with the direct computation from the cases, on the
constructed history of tests/atlas/world.py plus a reopened, a transferred and a withdrawn case;
case saves mark the months they touch dirty and the refresh brings the rollup back in line."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from fengqiao.atlas import crosstab, figures, rollup, rollup_read
from fengqiao.atlas.filters import case_filter
from fengqiao.atlas.models_rollup import CaseMonthStat, RollupMonth
from fengqiao.atlas.scope import scope_cases, user_scope
from fengqiao.cases.models import Case
from tests.atlas.world import NOW, TZ, World, build
from tests.conftest import Org
from tests.helpers import new_case

COMPARED = ("open", "overdue", "periods", "colours", "trend", "by_type", "by_channel", "by_place")


@pytest.fixture
def world(org: Org) -> World:
    with time_machine.travel(NOW, tick=False):
        w = build(org)
        t1 = {"who": "sub1_dispatcher", "owner_unit": org.sub1.pk, "location_unit": org.grid1.pk}
        extra = {
            # resolved in May, then reopened in June (reopen clears resolved_at): counts as open again
            "F": ({"created_at": dt.datetime(2026, 5, 2, 9, tzinfo=TZ), "state": "in_progress"}, t1),
            # registered by town 1, transferred to town 2's sub-centre in June
            "G": ({"created_at": dt.datetime(2026, 4, 20, 9, tzinfo=TZ), "state": "accepted"}, t1),
            # withdrawn: closed without a conclusion
            "H": (
                {
                    "created_at": dt.datetime(2026, 6, 1, 9, tzinfo=TZ),
                    "state": "withdrawn",
                    "closed_at": dt.datetime(2026, 6, 2, 9, tzinfo=TZ),
                },
                t1,
            ),
        }
        for key, (values, how) in extra.items():
            c = new_case(org, title=key, **how)
            Case.objects.filter(pk=c.pk).update(**values)
            c.refresh_from_db()
            w.cases[key] = c
        # F: resolved on 05-20 and rated, as it was before the reopen
        Case.objects.filter(pk=w.cases["F"].pk).update(
            state="resolved", resolved_at=dt.datetime(2026, 5, 20, 9, tzinfo=TZ), satisfaction="basic"
        )
        return w


def _payload(world: World, use_rollup: bool) -> dict[str, Any]:
    user = world.org.user("county_leader")
    scope = user_scope(user)
    with time_machine.travel(NOW, tick=False):
        return figures.dashboard_payload(scope_cases(user, scope), scope, use_cache=False, use_rollup=use_rollup)


def _tables(world: World, dims: list[str], period: str) -> tuple[dict[str, Any], dict[str, Any]]:
    user = world.org.user("county_leader")
    scope = user_scope(user)
    with time_machine.travel(NOW, tick=False):
        form = case_filter({"period": period})
        qs = form.apply(scope_cases(user, scope))
        via_rollup = rollup_read.table(qs, scope, form, dims).as_dict()
        direct = crosstab.crosstab(qs, scope, dims).as_dict()
    return via_rollup, direct


def _rebuild() -> None:
    with time_machine.travel(NOW, tick=False):
        rollup.rebuild_all()


def _reopen_and_transfer(world: World, org: Org) -> None:
    with time_machine.travel(NOW, tick=False):
        f = Case.objects.get(pk=world.cases["F"].pk)
        f.state, f.resolved_at, f.satisfaction = "in_progress", None, ""
        f.save()  # the reopen, through the model: its months (May registered and ended) are dirty
        g = Case.objects.get(pk=world.cases["G"].pk)
        g.owner_unit, g.owner_path = org.sub2, org.sub2.path
        g.save()


def test_dashboard_from_rollup_equals_direct(world: World) -> None:
    _rebuild()
    fast, direct = _payload(world, True), _payload(world, False)
    assert fast["fresh"] and not direct["fresh"]
    assert {k: fast[k] for k in COMPARED} == {k: direct[k] for k in COMPARED}
    year = fast["periods"][2]
    assert year["registered"] == 8  # A–E, F, G, H
    assert year["resolved"] == 3  # B, C and F (resolved in May, not yet reopened); D was referred


@pytest.mark.parametrize(
    "dims", [["town", "state"], ["period", "type", "channel"], ["unit", "state"], ["type", "town", "period"]]
)
@pytest.mark.parametrize("period", ["year", "all", "month"])
def test_crosstab_from_rollup_equals_direct(world: World, dims: list[str], period: str) -> None:
    _rebuild()
    fast, direct = _tables(world, dims, period)
    assert fast.pop("data_updated") and not direct.pop("data_updated")
    assert fast == direct


def test_day_windows_and_villages_are_read_from_the_cases(world: World) -> None:
    _rebuild()
    for dims, period in ((["town", "state"], "90d"), (["village", "state"], "year")):
        fast, direct = _tables(world, dims, period)
        assert fast == direct and fast["data_updated"] == ""


def test_no_rollup_yet_reads_the_cases(world: World) -> None:
    fast = _payload(world, True)
    assert fast["fresh"] == "" and fast["periods"][2]["registered"] == 8


def test_saves_mark_months_dirty_and_refresh_catches_up(
    world: World, org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    _rebuild()
    assert not RollupMonth.objects.filter(dirty=True).exists()
    with django_capture_on_commit_callbacks(execute=True):
        _reopen_and_transfer(world, org)
    may, april = dt.date(2026, 5, 1), dt.date(2026, 4, 1)
    assert set(RollupMonth.objects.filter(dirty=True).values_list("month", flat=True)) >= {may, april}
    stale = _payload(world, True)
    assert stale["periods"][2]["resolved"] == 3  # F still counted until the refresh: "数据更新于" says when
    with time_machine.travel(NOW, tick=False):
        assert rollup.refresh() >= 3  # May, April and the running month
    assert not RollupMonth.objects.filter(dirty=True).exists()
    fast, direct = _payload(world, True), _payload(world, False)
    assert {k: fast[k] for k in COMPARED} == {k: direct[k] for k in COMPARED}
    assert fast["periods"][2]["resolved"] == 2
    owners = set(CaseMonthStat.objects.filter(month=april).values_list("owner_unit_id", flat=True))
    assert owners == {org.sub2.pk}
    for dims in (["unit", "state"], ["town", "period"]):
        a, b = _tables(world, dims, "year")
        a.pop("data_updated"), b.pop("data_updated")
        assert a == b


@pytest.mark.parametrize("level", ["town", "village", "grid"])
@pytest.mark.parametrize("colour_by", ["colour", "level"])
def test_map_layer_from_rollup_equals_direct(world: World, level: str, colour_by: str) -> None:
    from fengqiao.atlas import mapdata
    from fengqiao.atlas.scope import located_cases

    _rebuild()
    user = world.org.user("county_leader")
    scope = user_scope(user)
    with time_machine.travel(NOW, tick=False):
        form = case_filter({"period": "year"})
        qs = form.apply(located_cases(user, scope))
        got = rollup_read.map_rows(scope, form, colour_by)
        assert got is not None and got[1]
        fast = mapdata.case_buckets(qs, level, colour_by=colour_by, rows=got[0])
        direct = mapdata.case_buckets(qs, level, colour_by=colour_by)
        assert rollup_read.map_rows(scope, case_filter({"period": "year", "channel": "hotline"}), colour_by) is None
    assert fast == direct and fast["total"] == 8


def _scoped(world: World, org: Org) -> None:
    """Two cases whose scope is not their owner's town alone (hand-placed, June):
    P — owned by the county department, received (pending) by town 1's sub-centre, happened in town 2;
    L — owned by town 2's sub-centre, led by town 1's sub-centre, happened in town 2, resolved and
    rated "满意" on 06-08 at village level."""
    with time_machine.travel(NOW, tick=False):
        t2 = {"who": "handler2", "owner_unit": org.sub2.pk, "location_unit": org.grid2.pk}
        p = new_case(org, title="P", **t2)
        lead = new_case(org, title="L", **t2)
    Case.objects.filter(pk=p.pk).update(
        owner_unit=org.dept,
        owner_path=org.dept.path,
        pending_unit=org.sub1,
        pending_path=org.sub1.path,
        created_at=dt.datetime(2026, 6, 5, 9, tzinfo=TZ),
        state="dispatched",
    )
    Case.objects.filter(pk=lead.pk).update(
        lead_unit=org.sub1,
        lead_path=org.sub1.path,
        created_at=dt.datetime(2026, 6, 6, 9, tzinfo=TZ),
        resolved_at=dt.datetime(2026, 6, 8, 9, tzinfo=TZ),
        state="resolved",
        level=1,
        satisfaction="satisfied",
    )
    world.cases["P"], world.cases["L"] = p, lead


def _town_payload(world: World, town: Any, use_rollup: bool) -> dict[str, Any]:
    user = world.org.user("county_leader")
    scope = user_scope(user, town)
    with time_machine.travel(NOW, tick=False):
        return figures.dashboard_payload(scope_cases(user, scope), scope, use_cache=False, use_rollup=use_rollup)


def test_town_screen_from_town_rollup_equals_direct(world: World, org: Org) -> None:
    _scoped(world, org)
    _rebuild()
    for town in (org.town1, org.town2):
        fast, direct = _town_payload(world, town, True), _town_payload(world, town, False)
        assert fast["fresh"] and not direct["fresh"], town
        assert {k: fast[k] for k in COMPARED} == {k: direct[k] for k in COMPARED}, town
    one, two = _town_payload(world, org.town1, True), _town_payload(world, org.town2, True)
    # Town 1: A–D, F, G, H owned, P received, L led = 9; town 2: E owned, L owned = 2 (P only happened there).
    assert one["periods"][2]["registered"] == 9 and two["periods"][2]["registered"] == 2
    # Resolved this year: town 1 B, C, F (owned) and L (led); town 2 L.
    assert one["periods"][2]["resolved"] == 4 and two["periods"][2]["resolved"] == 1
    assert two["periods"][1]["satisfaction_rate"] == 100.0  # L, rated 满意, ended in June
    # By place for town 1: P and L happened in town 2, outside its villages.
    places = {r["label"]: r["n"] for r in one["by_place"]}
    assert places == {org.village1.name: 7, "本级及未定位": 2}


def test_town_screen_follows_a_transfer_after_refresh(
    world: World, org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    _scoped(world, org)
    _rebuild()
    with django_capture_on_commit_callbacks(execute=True):
        _reopen_and_transfer(world, org)  # G moves from town 1 to town 2; F reopened
    with time_machine.travel(NOW, tick=False):
        rollup.refresh()
    for town in (org.town1, org.town2):
        fast, direct = _town_payload(world, town, True), _town_payload(world, town, False)
        assert {k: fast[k] for k in COMPARED} == {k: direct[k] for k in COMPARED}, town
    assert _town_payload(world, org.town2, True)["periods"][2]["registered"] == 3  # E, L, and now G


@pytest.mark.parametrize("dims", [["town", "state"], ["period", "type", "channel"], ["unit", "state"]])
def test_town_leader_crosstab_from_town_rollup_equals_direct(world: World, org: Org, dims: list[str]) -> None:
    _scoped(world, org)
    _rebuild()
    user = org.user("leader1")  # town 1: its own cases, P (received) and L (led)
    scope = user_scope(user)
    with time_machine.travel(NOW, tick=False):
        form = case_filter({"period": "year"})
        qs = form.apply(scope_cases(user, scope))
        fast = rollup_read.table(qs, scope, form, dims).as_dict()
        direct = crosstab.crosstab(qs, scope, dims).as_dict()
    assert fast.pop("data_updated") and not direct.pop("data_updated")
    assert fast == direct
    assert qs.count() == 9
