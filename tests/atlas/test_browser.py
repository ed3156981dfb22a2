"""The map, the big screen and the statistics page in Chromium, with screenshots in docs/screenshots/.

A synthetic county (仙居县's real divisions, generated illustrative polygons, 2,000 placed addresses,
3,000 cases over a year) is loaded in bulk; the pages must draw the polygons and the aggregated
points (checked in the DOM), render Chinese, and fit their screens.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

if not os.path.exists("/usr/bin/chromium"):  # pragma: no cover - depends on the machine
    pytest.skip("/usr/bin/chromium is not installed", allow_module_level=True)

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser

BIG = {"width": 1920, "height": 1080}
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def county(open_session: Any) -> dict[str, Any]:
    from fengqiao.atlas import geometry, synth
    from fengqiao.atlas.demo import seed_atlas
    from fengqiao.org.choices import Role, UnitKind
    from fengqiao.org.models import RoleAssignment, Unit, User

    synth.county(addresses=2000)
    synth.cases(3000)
    seed_atlas()
    geometry.forget()
    county = Unit.objects.get(code=synth.COUNTY)
    town = Unit.objects.filter(kind=UnitKind.TOWN, parent=county).order_by("code").first()
    assert town is not None
    users = {}
    for name, unit in (("atlas_county", county), ("atlas_town", town)):
        u = User.objects.create_user(username=name, password=PASSWORD, unit=unit, display_name="张领导")
        RoleAssignment.objects.create(user=u, unit=unit, role=Role.LEADER)
        users[name] = u
    return {"county": county, "town": town, "users": users}


def window(open_session: Any, viewport: dict[str, int], user: str = "atlas_county") -> Any:
    """A signed-in window with generous timeouts (the shared test machine is slow)."""
    s = open_session(viewport)
    s.page.set_default_timeout(60_000)
    s.page.set_default_navigation_timeout(90_000)
    s.login(user)
    return s


def wait_for_map(s: Any) -> None:
    page = s.page
    page.set_default_timeout(60_000)  # the shared test machine is slow
    page.wait_for_function("() => document.querySelector('#atlas-map .maplibregl-canvas, #atlas-map canvas') !== null")
    # the aggregated layer has arrived and Plotly has drawn its traces
    page.wait_for_function(
        "() => { const gd = document.getElementById('atlas-map'); return gd && gd.data && "
        "gd.data.some(t => t.type === 'choroplethmap' && t.locations.length > 0) && "
        "gd.data.some(t => t.type === 'scattermap' && t.lon.length > 0); }",
        timeout=30_000,
    )
    page.wait_for_timeout(1500)  # let MapLibre paint before the screenshot


def test_map_desktop_and_phone(open_session: Any, county: dict[str, Any]) -> None:
    s = window(open_session, DESKTOP, "atlas_county")
    s.goto("/staff/map/?period=365d")
    wait_for_map(s)
    data = s.page.evaluate(
        "() => { const gd = document.getElementById('atlas-map'); return gd.data.map(t => [t.type, t.name, (t.lon || t.locations || []).length]); }"
    )
    kinds = {t[0] for t in data}
    assert {"choroplethmap", "scattermap"} <= kinds
    towns = next(t for t in data if t[0] == "choroplethmap")[2]
    assert towns >= 15  # 仙居县's towns, drawn as polygons
    assert "边界为示意" in s.page.content()
    s.no_horizontal_scroll()
    s.shot("atlas-map-1366", full_page=False)
    # click a town bucket: the side panel shows the area's figures
    s.page.evaluate(
        "() => { const gd = document.getElementById('atlas-map'); const i = gd.data.findIndex(t => t.type === 'scattermap' && t.customdata && t.customdata.length);"
        " gd.emit('plotly_click', {points: [{customdata: gd.data[i].customdata[0]}]}); }"
    )
    s.page.wait_for_function("() => document.querySelector('#side-body .fig-grid') !== null")
    assert "在办" in s.page.inner_text("#side-body")
    s.shot("atlas-map-area-1366", full_page=False)
    # heat layer on
    s.page.check("#layer-heat")
    s.page.wait_for_function("() => document.getElementById('atlas-map').data.some(t => t.type === 'densitymap')")
    s.page.wait_for_timeout(1000)
    s.shot("atlas-map-heat-1366", full_page=False)

    p = window(open_session, PHONE, "atlas_county")
    p.goto("/staff/map/?period=365d")
    wait_for_map(p)
    p.no_horizontal_scroll()
    p.shot("atlas-map-390", full_page=True)


def test_town_leader_map_is_their_town(open_session: Any, county: dict[str, Any]) -> None:
    s = window(open_session, DESKTOP, "atlas_town")
    s.goto("/staff/map/?period=365d")
    wait_for_map(s)
    towns = s.page.evaluate(
        "() => document.getElementById('atlas-map').data.find(t => t.type === 'choroplethmap').text"
    )
    from fengqiao.org.models import Unit

    own = set(Unit.objects.filter(path__startswith=county["town"].path).values_list("name", flat=True))
    assert towns and set(towns) <= own  # only the polygons of their own town
    assert county["town"].name in s.page.inner_text("h1")


def test_dashboard_big_screen_and_phone(open_session: Any, county: dict[str, Any]) -> None:
    s = window(open_session, BIG, "atlas_county")
    s.goto("/staff/dashboard/?refresh=10")
    s.page.wait_for_function("() => document.querySelectorAll('#k-periods .k-period').length === 3")
    s.page.wait_for_function("() => document.querySelector('#c-type .barlayer') !== null")
    wait_for_map(s)
    text = s.page.inner_text("body")
    for word in ("今日", "本月", "本年", "就地化解率", "满意率", "在办", "超期", "最新化解"):
        assert word in text
    # the evaluation app is installed: the county screen has its ranking slot (rows once an index is computed)
    assert "考评排名" in text
    # fits the screen: no scrolling on the 1920×1080 layout
    assert s.page.evaluate("document.documentElement.scrollHeight") <= 1081
    s.no_horizontal_scroll()
    s.shot("atlas-dashboard-1920", full_page=False)
    # refresh in place: the data endpoint is fetched again without a reload
    before = s.page.evaluate("performance.getEntriesByType('navigation').length")
    with s.page.expect_response(lambda r: "/staff/dashboard/data/" in r.url, timeout=30_000):
        pass
    assert s.page.evaluate("performance.getEntriesByType('navigation').length") == before
    s.page.close()  # stop its polling: the test server is shared by the next windows

    t = window(open_session, BIG, "atlas_county")
    t.goto(f"/staff/dashboard/{county['town'].code}/")
    t.page.wait_for_function("() => document.querySelectorAll('#k-periods .k-period').length === 3")
    wait_for_map(t)
    t.shot("atlas-dashboard-town-1920", full_page=False)

    p = window(open_session, PHONE, "atlas_county")
    p.goto("/staff/dashboard/")
    p.page.wait_for_function("() => document.querySelectorAll('#k-periods .k-period').length === 3")
    wait_for_map(p)
    p.no_horizontal_scroll()
    p.shot("atlas-dashboard-390", full_page=True)


def test_stats_page(open_session: Any, county: dict[str, Any]) -> None:
    s = window(open_session, DESKTOP, "atlas_county")
    s.goto("/staff/stats/?d1=town&d2=state&period=365d")
    assert "合计" in s.page.inner_text("table")
    assert "办结率 =" in s.page.inner_text(".formulas")
    s.no_horizontal_scroll()
    s.shot("atlas-stats-1366", full_page=True)
    with s.page.expect_download() as dl:
        s.page.click("text=导出 Excel")
    assert dl.value.suggested_filename == "fengqiao-stats.xlsx"
    p = window(open_session, PHONE, "atlas_county")
    p.goto("/staff/stats/?d1=town&d2=channel&period=365d")
    p.shot("atlas-stats-390", full_page=True)
