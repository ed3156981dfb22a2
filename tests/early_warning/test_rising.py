"""Rising lists (weekly counts beyond the forecast's upper bound), the dashboard panel and the key-area
map layer contributed through fengqiao.core.panels."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fengqiao.early_warning.engine import ensure_models
from fengqiao.early_warning.models import Kind, Warning
from fengqiao.early_warning.rising import beyond, key_areas, rising_rows, weekly_counts
from tests.early_warning.helpers import make_case


@pytest.fixture(autouse=True)
def _no_cache():
    cache.clear()
    yield
    cache.clear()


def test_beyond_uses_the_poisson_upper_bound_of_the_mean():
    # Mean of the last 8 weeks 2.0; Poisson(2) 95 % quantile is 5 (P(X≤4)=0.947, P(X≤5)=0.983).
    assert beyond([2] * 15 + [9], holt=False) == (2.0, 5.0)
    assert beyond([2] * 15 + [5], holt=False) is None  # at the bound, not beyond
    assert beyond([0] * 15 + [3], holt=False) is None  # fewer than four cases is never "rising"
    assert beyond([0] * 15 + [4], holt=False) == (0.0, 0.0)


def test_weekly_counts_bins_by_seven_days_oldest_first(org):
    for days in (1, 2, 8, 20):
        make_case(org, days, category="0201")
    make_case(org, 3, category="0701")
    by_type, by_area = weekly_counts(org.user("county_leader"), timezone.now(), weeks=4)
    assert by_type["02"] == [0, 1, 1, 2]
    assert by_type["07"] == [0, 0, 0, 1]
    assert by_area[(org.town1.pk, "02")] == [0, 1, 1, 2]
    # a handler of another town sees none of them
    other, _ = weekly_counts(org.user("handler2"), timezone.now(), weeks=4)
    assert other == {}


def test_rising_rows_list_types_and_areas_beyond_forecast(org):
    for days in (1, 1.5, 2, 3, 4):
        make_case(org, days, category="0201")
    make_case(org, 30, category="0701")
    rows = rising_rows(org.user("county_leader"))
    kinds = {(r.kind, r.count) for r in rows}
    assert ("type", 5) in kinds and ("area", 5) in kinds
    area = next(r for r in rows if r.kind == "area")
    assert area.label.startswith(org.town1.name) and area.expected == 0.0
    assert all(r.count >= 4 for r in rows)


def test_leader_page_dashboard_and_map_show_the_contributions(org):
    for days in (1, 1.5, 2, 3, 4):
        make_case(org, days, category="0201")
    m = {x.code: x for x in ensure_models()}["area_surge"]
    Warning.objects.create(
        model=m, kind=Kind.AREA, level=3, title="重点区域：白塔镇邻里纠纷增多", explanation="测试", subject={"area": org.town1.pk},
        fingerprint="t1", score=3, owner_unit=org.town1, raised_at=timezone.now(), last_seen_at=timezone.now(),
    )  # fmt: skip
    c = Client()
    c.force_login(org.user("county_leader"))
    body = c.get(reverse("early_warning:list")).content.decode()
    assert "上升预警（近7天超出预测上限）" in body and "全辖区" in body
    cache.clear()
    body = c.get(reverse("atlas:dashboard")).content.decode()
    # not computed yet: the screen paints with a placeholder that loads the strip afterwards
    assert "ew-strip" in body and "近7天5件" not in body and "early_warning/rising.js" in body
    src = re.search(r'data-ew-rising="([^"]+)"', body)
    assert src is not None
    strip = c.get(src.group(1).replace("&amp;", "&")).content.decode()
    assert "ew-strip" in strip and "近7天5件" in strip
    body = c.get(reverse("atlas:dashboard")).content.decode()
    assert "近7天5件" in body and "data-ew-rising=" not in body  # now in the cache: painted at once
    body = c.get(reverse("atlas:map")).content.decode()
    assert 'id="layer-keyareas"' in body and "early_warning/keyareas" in body
    data = c.get(reverse("early_warning:key_areas")).json()
    assert data["areas"][0]["id"] == org.town1.pk and data["areas"][0]["level_label"] == "橙色预警"
    assert key_areas(org.user("handler2")) == []
    g = Client()
    g.force_login(org.user("grid_worker"))
    assert g.get(reverse("early_warning:key_areas")).status_code == 403
    assert "ew-strip" not in g.get(reverse("atlas:dashboard")).content.decode()
    assert g.get(reverse("early_warning:rising_strip")).status_code == 403
