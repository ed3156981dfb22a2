"""The ranking and scorecard pages in Chromium (Plotly charts drawn), at 1366×900 and 390×844, with
screenshots in docs/screenshots/; and the 加星 strip on the leader page."""

from __future__ import annotations

from typing import Any

import pytest

from fengqiao.evaluation import actions, periods, services
from tests.browser.conftest import browser, open_session  # noqa: F401 - fixtures
from tests.conftest import Org
from tests.evaluation.histories import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _data(org: Org) -> Any:
    h = build(org)
    admin = org.user("sysadmin")
    for unit, pop, suits in ((org.town1, 42000, 9), (org.town2, 15000, 2)):
        actions.set_figure(admin, unit, "population", "2026", pop)
        actions.set_figure(admin, unit, "lawsuits", "2026-10", suits)
    actions.star_case(org.user("county_leader"), h.a, "调解成功、事心双解的典型案例")
    for p in ("2026-09", "2026-10"):  # what the hourly job does: the pages read stored scores
        for kind in services.KINDS:
            services.compute_index(periods.parse(p), kind)
    return h


def test_ranking_and_scorecard(org: Org, open_session: Any) -> None:  # noqa: F811
    _data(org)
    for name, viewport in (("", WIDE), ("-phone", PHONE)):
        s = open_session(viewport)
        s.page.set_default_timeout(60_000)  # a shared, busy machine
        s.login("county_leader")
        s.goto("/staff/evaluation/?kind=town&period=2026-10")
        s.page.wait_for_selector("[data-chart=bands] .main-svg")
        assert "矛调指数排名" in s.page.content()
        assert s.page.locator("table.ev-table tbody tr").count() == 2
        s.shot(f"evaluation-ranking{name}")
        s.page.get_by_role("link", name="白塔镇").first.click()
        s.page.wait_for_selector("[data-chart=radar] .main-svg")
        text = s.page.inner_text("main")
        assert "六边雷达图" in text and "按期办结率" in text and "建议口径" in text
        for raw in ("ontime_rate", "None", "undefined", "NaN"):
            assert raw not in text
        s.shot(f"evaluation-scorecard{name}")
        s.no_horizontal_scroll()
        s.page.locator("tr", has_text="按期办结率").locator("a").last.click()  # its denominator: A, B, H
        s.page.wait_for_selector("table.ev-table")
        assert s.page.locator("table.ev-table tbody tr").count() == 3
        if not name:
            s.shot("evaluation-drilldown")


def test_star_strip_on_leader_page(org: Org, open_session: Any) -> None:  # noqa: F811
    _data(org)
    s = open_session(WIDE)
    s.login("leader1")
    s.goto("/staff/leader/")
    strip = s.page.locator(".star-strip")
    assert strip.count() == 1 and "典型案例" in strip.inner_text()
    s.shot("evaluation-star-strip", full_page=False)
