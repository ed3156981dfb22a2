"""The county screen's ranking strip shows the evaluation's stored 矛调指数 of this month: its order,
scores and change against last month, only units inside the viewer's scope; a town's screen shows the
county's ranking of towns (as the ranking page does to its leader) with its own row marked."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from fengqiao.atlas import figures
from fengqiao.atlas.scope import scope_cases, user_scope
from fengqiao.evaluation.models import IndexScore
from fengqiao.evaluation.services import active_tree
from tests.atlas.world import NOW, World, build
from tests.conftest import Org


@pytest.fixture
def world(org: Org) -> World:
    with time_machine.travel(NOW, tick=False):
        w = build(org)
    tree, _roots = active_tree()
    # stored scores: June (this month at NOW) and May; 田市镇 overtakes 白塔镇 in June
    for period, town, score, rank in [
        ("2026-06", org.town2, 88.5, 1),
        ("2026-06", org.town1, 80.25, 2),
        ("2026-05", org.town1, 85.0, 1),
        ("2026-05", org.town2, 79.0, 2),
    ]:
        IndexScore.objects.create(tree=tree, period=period, kind="town", unit=town, score=score, rank=rank, volume=3)
    return w


def payload(world: World, who: str) -> dict[str, Any]:
    user = world.org.user(who)
    scope = user_scope(user)
    with time_machine.travel(NOW, tick=False):
        return figures.dashboard_payload(scope_cases(user, scope), scope, use_cache=False)


def test_county_screen_ranks_towns_by_this_months_index(world: World) -> None:
    rows = payload(world, "county_leader")["rankings"]
    assert rows == [
        {"unit": world.org.town2.name, "score": 88.5, "rank": 1, "change": 9.5, "own": False},
        {"unit": world.org.town1.name, "score": 80.25, "rank": 2, "change": -4.75, "own": False},
    ]


def test_town_screen_shows_the_towns_ranking_with_its_own_row_marked(world: World) -> None:
    rows = payload(world, "leader1")["rankings"]
    assert [(r["unit"], r["rank"], r["own"]) for r in rows] == [
        (world.org.town2.name, 1, False),
        (world.org.town1.name, 2, True),
    ]


def test_ranking_rendered_on_the_county_screen(world: World, client: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    client.force_login(world.org.user("county_leader"))
    with time_machine.travel(NOW, tick=False):
        page = client.get("/staff/dashboard/data/")
    assert page.status_code == 200
    data = page.json()
    assert [r["unit"] for r in data["rankings"]] == [world.org.town2.name, world.org.town1.name]
