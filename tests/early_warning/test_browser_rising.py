"""The rising strip on the county dashboard, the rising list on the leader's warning page and the
key-area layer on the map, in Chromium at 1366x900 and 390x844 (docs/screenshots/ew-rising-*.png)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fengqiao.early_warning.engine import ensure_models
from fengqiao.early_warning.models import Kind, Warning
from tests.browser.conftest import PHONE, browser, open_session  # noqa: F401  (fixtures)
from tests.conftest import Org
from tests.early_warning.helpers import make_case

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1366, "height": 900}


def test_rising_and_key_areas(org: Org, open_session: Any) -> None:  # noqa: F811
    for days in (0.5, 1, 1.5, 2, 3, 4):
        make_case(org, days, category="0201")
    m = {x.code: x for x in ensure_models()}["area_surge"]
    Warning.objects.create(
        model=m, kind=Kind.AREA, level=3, title="重点区域：白塔镇邻里纠纷增多", explanation="近7天6件",
        subject={"area": org.town1.pk}, fingerprint="b1", score=3, owner_unit=org.town1, raised_at=timezone.now(),
        last_seen_at=timezone.now(),
    )  # fmt: skip
    # a town outline so the map draws the town (the test county has no boundaries of its own)
    ring = [[120.55, 28.75], [120.85, 28.75], [120.85, 28.95], [120.55, 28.95], [120.55, 28.75]]
    org.town1.boundary = {"type": "Polygon", "coordinates": [ring]}
    org.town1.save()
    from fengqiao.atlas.geometry import forget

    forget()
    s = open_session(DESKTOP)
    s.page.set_default_timeout(90_000)
    s.login("county_leader")
    s.goto("/staff/warnings/")
    expect(s.page.get_by_role("heading", name="上升预警（近7天超出预测上限）")).to_be_visible()
    s.shot("ew-rising-list")
    s.goto("/staff/dashboard/")
    expect(s.page.locator(".ew-strip")).to_contain_text("近7天6件")
    s.page.wait_for_selector("#atlas-map .main-svg")
    s.shot("ew-rising-dashboard", full_page=False)
    s.goto("/staff/map/")
    s.page.wait_for_function(
        "() => { const gd = document.getElementById('atlas-map');"
        " return gd && gd.data && gd.data.some(t => t.name === '重点区域预警'); }"
    )
    s.page.uncheck("#layer-keyareas")
    s.page.wait_for_function("() => !document.getElementById('atlas-map').data.some(t => t.name === '重点区域预警')")
    phone = open_session(PHONE)
    phone.page.set_default_timeout(90_000)
    phone.login("county_leader")
    phone.goto("/staff/dashboard/")
    expect(phone.page.locator(".ew-strip")).to_be_visible()
    phone.shot("ew-rising-dashboard-phone")
    phone.goto("/staff/warnings/")
    phone.no_horizontal_scroll()
    phone.shot("ew-rising-list-phone")
