"""The big screen's kept payload: fresh for 20 s; then answered at once while one background
recomputation (per scope) brings the new figures; recomputed in the request only when nobody watched
for 5 minutes or the queue is unreachable."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from fengqiao.atlas import figures
from fengqiao.atlas.scope import user_scope
from tests.atlas.world import NOW, World, build
from tests.conftest import Org
from tests.helpers import new_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org: Org) -> World:
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        return build(org)


def registered_today(c: Client, at: dt.datetime, path: str = "/staff/dashboard/data/") -> tuple[int, str]:
    with time_machine.travel(at, tick=False):
        d: dict[str, Any] = c.get(path).json()
    return d["periods"][0]["registered"], d["generated"]


def test_stale_payload_answered_while_refreshed(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    leader = world.org.user("county_leader")
    c = Client()
    c.force_login(leader)
    first = registered_today(c, NOW)
    assert first[0] == 3  # tests/atlas/world.py: three registered on NOW's day
    with time_machine.travel(NOW + dt.timedelta(seconds=1), tick=False):
        new_case(world.org, title="大屏刷新测试")
    assert registered_today(c, NOW + dt.timedelta(seconds=10)) == first  # fresh for 20 s: kept

    queued: list[tuple[Any, ...]] = []
    real = figures.store_payload

    def spy(qs: Any, scope: Any) -> None:
        queued.append((scope.key,))
        real(qs, scope)

    monkeypatch.setattr(figures, "store_payload", spy)
    later = NOW + dt.timedelta(seconds=30)
    # Stale: the kept payload is answered (the tests run queued work at once, so the new one is kept
    # before this request returns); exactly one recomputation was queued.
    assert registered_today(c, later) == first
    assert len(queued) == 1
    assert registered_today(c, later)[0] == 4
    key = figures.payload_key(user_scope(leader))
    assert cache.get(f"{key}:refreshing") is None  # the lock is released after the recomputation

    # A refresh already queued for the scope: another stale request queues nothing more.
    cache.add(f"{key}:refreshing", 1, 60)
    assert registered_today(c, later + dt.timedelta(seconds=30))[0] == 4
    assert len(queued) == 1
    cache.delete(f"{key}:refreshing")

    # Nobody watched for more than 5 minutes: computed in the request, with the figures of now.
    with time_machine.travel(NOW + dt.timedelta(seconds=40), tick=False):
        new_case(world.org, title="大屏刷新测试二")
    assert registered_today(c, NOW + dt.timedelta(minutes=10))[0] == 5
    assert len(queued) == 1


def test_queue_unreachable_computes_in_the_request(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    c = Client()
    c.force_login(world.org.user("county_leader"))
    assert registered_today(c, NOW)[0] == 3
    with time_machine.travel(NOW + dt.timedelta(seconds=1), tick=False):
        new_case(world.org, title="大屏刷新测试")

    def broken(*_: Any) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr("fengqiao.atlas.views_screen.enqueue", broken)
    assert registered_today(c, NOW + dt.timedelta(seconds=30))[0] == 4  # not stale figures, not an error
    key = figures.payload_key(user_scope(world.org.user("county_leader")))
    assert cache.get(f"{key}:refreshing") is None


def test_town_screen_refresh_keeps_its_scope(world: World) -> None:
    """The queued recomputation rebuilds the town screen of the user who asked, not the county's."""
    town = world.org.town1
    c = Client()
    c.force_login(world.org.user("county_leader"))
    path = f"/staff/dashboard/{town.code}/data/"
    with time_machine.travel(NOW, tick=False):
        county = c.get("/staff/dashboard/data/").json()
        before = c.get(path).json()
    with time_machine.travel(NOW + dt.timedelta(seconds=30), tick=False):
        c.get(path)
        after = c.get(path).json()
    assert after["generated"] != before["generated"]  # recomputed by the queued task, 30 s later
    assert after["title"] == before["title"] == town.name != county["title"]
