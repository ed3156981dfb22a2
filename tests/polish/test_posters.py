"""Item 7: the posters page covers every unit in scope — grouped by town with a count each, a
town's units a page at a time — instead of stopping silently after the first 300."""

from __future__ import annotations

import re
from typing import Any

from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit
from tests.conftest import Org, make_unit


def _poster_codes(html: str) -> set[str]:
    return set(re.findall(r"/portal/u/([^/]+)/poster\.pdf", html))


def test_every_unit_reachable_by_town_and_page(org: Org, client: Any) -> None:
    for i in range(130):  # 白塔镇 grows to 130 more villages: beyond one page
        make_unit(f"331024103{300 + i}", f"新村{i}", UnitKind.VILLAGE, org.town1)
    client.force_login(org.user("dispatcher"))  # county scope
    home = client.get("/portal/posters/").content.decode()
    in_town1 = Unit.objects.filter(path__startswith=org.town1.path, is_active=True).count()
    assert f"白塔镇（{in_town1}）" in home and "田市镇（" in home and "县级单位及部门（" in home
    total = Unit.objects.filter(is_active=True).count()
    assert f"共 {total} 个单位" in home

    seen: set[str] = set()
    for group in re.findall(r'href="\?town=([^"]+)"', home):
        page = 1
        while True:
            html = client.get("/portal/posters/", {"town": group, "page": page}).content.decode()
            seen |= _poster_codes(html)
            if "下一页" not in html:
                break
            page += 1
            assert page < 20
    assert seen == set(Unit.objects.filter(is_active=True).values_list("code", flat=True))


def test_search_is_paginated_with_a_count(org: Org, client: Any) -> None:
    for i in range(60):
        make_unit(f"331024103{400 + i}", f"联合村{i}", UnitKind.VILLAGE, org.town1)
    client.force_login(org.user("dispatcher"))
    first = client.get("/portal/posters/", {"q": "联合村"}).content.decode()
    assert "共 60 个" in first and "第 1/2 页" in first and len(_poster_codes(first)) == 50
    second = client.get("/portal/posters/", {"q": "联合村", "page": 2}).content.decode()
    assert len(_poster_codes(second)) == 10
    assert 'style="' not in first  # CSP: no inline style
