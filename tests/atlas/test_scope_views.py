"""Scoping through the pages and JSON endpoints: a town leader never sees another town's points or
figures; people without an atlas role are refused."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from fengqiao.atlas.models import ResourcePoint
from fengqiao.org.models import User
from tests.atlas.world import NOW, World, build
from tests.conftest import Org


@pytest.fixture
def world(org: Org) -> World:
    with time_machine.travel(NOW, tick=False):
        w = build(org)
    ResourcePoint.objects.create(kind="centre", name="白塔镇综治中心", unit=org.town1, lat=28.75, lon=120.55)
    ResourcePoint.objects.create(kind="centre", name="田市镇综治中心", unit=org.town2, lat=28.75, lon=120.65)
    ResourcePoint.objects.create(kind="other", name="县级点位", unit=None, lat=28.75, lon=120.6)
    return w


def client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def get(c: Client, name: str, *args: Any, **params: Any) -> Any:
    with time_machine.travel(NOW, tick=False):
        return c.get(reverse(name, args=args), params)


def test_town_leader_map_points_and_areas(world: World) -> None:
    org = world.org
    c = client(org.user("leader1"))
    for level in ("town", "village", "grid", "cell"):
        data = get(c, "atlas:map_cases", level=level, period="all", zoom=14).json()
        assert data["total"] == 4, level  # A, B, C, D; never E (田市镇)
        assert all(b["unit"] in (None, org.town1.pk, org.village1.pk, org.grid1.pk) for b in data["buckets"])
    assert get(c, "atlas:map_area", org.town2.pk).status_code == 404
    assert get(c, "atlas:map_area", org.grid2.pk).status_code == 404
    area = get(c, "atlas:map_area", org.town1.pk, period="all").json()
    assert area["name"] == "白塔镇" and area["figures"][0]["value"] == 4
    fc = get(c, "atlas:map_boundaries", "town").json()
    assert [f["properties"]["name"] for f in fc["features"]] == ["白塔镇"]
    names = {p["name"] for p in get(c, "atlas:map_resources").json()["points"]}
    assert names == {"白塔镇综治中心"}


def test_town_leader_cannot_list_another_towns_cell(world: World) -> None:
    org = world.org
    from fengqiao.cases.models import Case

    Case.objects.filter(pk=world.cases["E"].pk).update(lat=28.755, lon=120.655, map_lat=28.755, map_lon=120.655)
    size = 0.01
    cx, cy = int(120.655 // size), int(28.755 // size)
    county = get(client(org.user("county_leader")), "atlas:map_cell", cx=cx, cy=cy, size=size, period="all").json()
    assert [x["code"] for x in county["cases"]] == [world.cases["E"].code]
    town = get(client(org.user("leader1")), "atlas:map_cell", cx=cx, cy=cy, size=size, period="all").json()
    assert town["cases"] == []


def test_county_leader_sees_both_towns_and_county_points(world: World) -> None:
    c = client(world.org.user("county_leader"))
    data = get(c, "atlas:map_cases", level="town", period="all").json()
    assert data["total"] == 5
    names = {p["name"] for p in get(c, "atlas:map_resources").json()["points"]}
    assert names == {"白塔镇综治中心", "田市镇综治中心", "县级点位"}


def test_dashboards_are_scoped(world: World) -> None:
    org = world.org
    town = client(org.user("leader1"))
    assert get(town, "atlas:dashboard_unit", org.town2.code).status_code == 404
    assert get(town, "atlas:dashboard_data", org.town2.code).status_code == 404
    assert get(town, "atlas:dashboard_unit", org.county.code).status_code == 404
    own = get(town, "atlas:dashboard_data", org.town1.code).json()
    assert own["title"] == "白塔镇" and own["periods"][2]["registered"] == 4
    root = get(town, "atlas:dashboard_data_root").json()
    # no figure of another town; the ranking of towns is the one the ranking page shows every leader
    # (tests/atlas/test_dashboard_rankings.py checks that ranking)
    root.pop("rankings")
    assert root["periods"][2]["registered"] == 4 and "田市镇" not in str(root)
    county = client(org.user("county_leader"))
    assert get(county, "atlas:dashboard_data", org.town2.code).json()["periods"][2]["registered"] == 1
    page = get(county, "atlas:dashboard")
    assert page.status_code == 200 and "白塔镇" in page.content.decode()


def test_stats_page_api_and_export_are_scoped(world: World) -> None:
    org = world.org
    town = client(org.user("leader1"))
    page = get(town, "atlas:stats", d1="town", d2="state", period="all").content.decode()
    assert "白塔镇" in page and "田市镇" not in page
    api = get(town, "atlas:api_stats", d1="town", d2="state", period="all")
    assert api.status_code == 200
    assert [r["keys"] for r in api.json()["rows"]] == [["白塔镇"]] and api.json()["total"] == 4
    bad = get(town, "atlas:api_stats", d1="town", d2="nope")
    assert bad.status_code == 400 and "不认识的维度" in bad.content.decode()
    xlsx = get(town, "atlas:stats_export", d1="town", d2="state", period="all")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("who", ["handler1", "grid_worker", "nobody"])
@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("atlas:map", ()),
        ("atlas:map_cases", ()),
        ("atlas:map_resources", ()),
        ("atlas:dashboard", ()),
        ("atlas:dashboard_data_root", ()),
        ("atlas:stats", ()),
        ("atlas:api_stats", ()),
    ],
)
def test_no_atlas_role_is_refused(org: Org, who: str, name: str, args: tuple[Any, ...]) -> None:
    assert client(org.user(who)).get(reverse(name, args=args)).status_code == 403


def test_anonymous_is_sent_to_login(org: Org) -> None:
    r = Client().get(reverse("atlas:map_cases"))
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_bad_filter_is_reported_in_chinese(world: World) -> None:
    c = client(world.org.user("county_leader"))
    data = get(c, "atlas:map_cases", period="range", date_from="2026-06-10", date_to="2026-06-01").json()
    assert "截止日期不能早于开始日期" in str(data["errors"])


def test_map_page_renders_with_config(world: World) -> None:
    c = client(world.org.user("county_leader"))
    html = get(c, "atlas:map").content.decode()
    assert 'id="atlas-config"' in html and "vendor/plotly.min.js" in html
    assert "边界为示意" in html  # no boundary file was imported: the demo geometry is labelled
    assert "<script>" not in html  # no inline script (CSP)
