"""Location: real Xianju (331024) town and village names, short forms, standard addresses, map points."""

from __future__ import annotations

from typing import Any

import pytest

from fengqiao.org.choices import UnitKind
from fengqiao.org.divisions import load_county
from fengqiao.org.models import StandardAddress, Unit
from fengqiao.triage import location
from fengqiao.triage.location import assign_demo_boundaries, resolve


@pytest.fixture
def xianju(db: Any) -> dict[str, Unit]:
    load_county("331024", grids_per_village=2)
    location.forget()
    village = Unit.objects.get(kind=UnitKind.VILLAGE, name__startswith="上叶", parent__name="白塔镇")
    grids = list(Unit.objects.filter(parent=village).order_by("code"))
    for gi, grid in enumerate(grids):
        for n in (1, 2):
            group = gi * 2 + n
            StandardAddress.objects.create(
                grid=grid,
                road=f"{group}组",
                number=f"{10 + group}号",
                full_text=f"浙江省台州市仙居县白塔镇{village.name}{group}组{10 + group}号",
            )
    return {"village": village, "grid1": grids[0], "grid2": grids[1]}


def test_towns_full_and_short_forms(xianju: dict[str, Unit]) -> None:
    for text, town in [
        ("浙江省台州市仙居县白塔镇", "白塔镇"),
        ("仙居白塔", "白塔镇"),
        ("家住横溪镇", "横溪镇"),
        ("横溪那边的一个厂", "横溪镇"),
        ("安洲街道", "安洲街道"),
        ("福应街道办事处附近", "福应街道"),
        ("淡竹乡", "淡竹乡"),
        ("在皤滩老街", "皤滩乡"),
    ]:
        loc = resolve(text)
        assert loc.town == town, (text, loc)
        assert loc.resolved
        assert loc.chain[0] == "仙居县"


def test_village_with_and_without_town(xianju: dict[str, Unit]) -> None:
    village = xianju["village"]
    loc = resolve("仙居县白塔镇上叶村")
    assert loc.village_id == village.pk and loc.town == "白塔镇"
    assert loc.chain[:3] == ["仙居县", "白塔镇", village.name]
    # The village alone (full form) finds its town.
    loc = resolve("上叶村村口")
    assert loc.village_id == village.pk and loc.town == "白塔镇"


def test_standard_address_and_grid(xianju: dict[str, Unit]) -> None:
    loc = resolve("仙居县白塔镇上叶村3组13号")
    std = StandardAddress.objects.get(road="3组")
    assert loc.standard_address_id == std.pk
    assert loc.grid_id == xianju["grid2"].pk
    assert loc.unit_id == xianju["grid2"].pk
    assert loc.group == "3组" and loc.number == "13号"
    # Chinese numerals for the group.
    loc = resolve("白塔镇上叶村一组11号")
    assert loc.grid_id == xianju["grid1"].pk
    # A number that is not there: the village, not a wrong house.
    loc = resolve("白塔镇上叶村3组99号")
    assert loc.standard_address_id is None and loc.village_id == xianju["village"].pk


def test_unresolvable_and_other_county(xianju: dict[str, Unit]) -> None:
    loc = resolve("杭州市西湖区文三路100号")
    assert not loc.resolved
    assert "西湖区" in loc.reason and "不在本县" in loc.reason
    loc = resolve("我家门口那条路")
    assert not loc.resolved and "未能匹配" in loc.reason
    assert resolve("").reason == "未提供地址"


def test_map_point_in_grid_polygon(xianju: dict[str, Unit]) -> None:
    assert assign_demo_boundaries() > 0
    grid = Unit.objects.get(pk=xianju["grid1"].pk)
    ring = grid.boundary["coordinates"][0]
    lon = (ring[0][0] + ring[2][0]) / 2
    lat = (ring[0][1] + ring[2][1]) / 2
    loc = resolve("", lat=lat, lon=lon)
    assert loc.method == "point" and loc.grid_id == grid.pk and loc.village_id == xianju["village"].pk
    assert not resolve("", lat=10.0, lon=10.0).resolved
    # Re-running keeps existing polygons.
    assert assign_demo_boundaries() == 0


def test_pkg_resources_stand_in_reads_beside_a_plain_module() -> None:
    # jieba asks for its dictionary relative to ``jieba._compat`` (a module, not a package): when cpca
    # was loaded first in the process, jieba reads through this stand-in.
    from fengqiao.triage.location import _resource_stream

    with _resource_stream("jieba._compat", "dict.txt") as fh:
        assert fh.readline()
    with _resource_stream("jieba", "dict.txt") as fh:
        assert fh.readline()
