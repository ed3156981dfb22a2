"""Dashboard figures, map buckets and cross-tabs against hand-computed expectations (tests/atlas/world.py)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from fengqiao.atlas import crosstab, figures, mapdata
from fengqiao.atlas.scope import located_cases, scope_cases, user_scope
from tests.atlas.world import NOW, World, build
from tests.conftest import Org


@pytest.fixture
def world(org: Org) -> World:
    with time_machine.travel(NOW, tick=False):
        return build(org)


def payload(world: World, who: str) -> dict[str, Any]:
    user = world.org.user(who)
    scope = user_scope(user)
    with time_machine.travel(NOW, tick=False):
        return figures.dashboard_payload(scope_cases(user, scope), scope, use_cache=False)


def test_county_headline(world: World) -> None:
    d = payload(world, "county_leader")
    assert (d["open"], d["overdue"]) == (2, 1)
    today, month, year = d["periods"]
    assert (today["registered"], today["resolved"], today["local_rate"], today["satisfaction_rate"]) == (
        3,
        1,
        100.0,
        100.0,
    )
    assert (month["registered"], month["resolved"], month["local_rate"], month["satisfaction_rate"]) == (
        4,
        2,
        50.0,
        50.0,
    )
    # D was referred, not resolved: it counts in neither 化解 nor the local rate
    assert (year["registered"], year["resolved"], year["local_rate"], year["satisfaction_rate"]) == (5, 2, 50.0, 50.0)
    assert {c["key"]: c["n"] for c in d["colours"]} == {"green": 1, "yellow": 0, "red": 1}


def test_county_trend_and_breakdowns(world: World) -> None:
    d = payload(world, "county_leader")
    t = dict(zip(d["trend"]["dates"], zip(d["trend"]["registered"], d["trend"]["resolved"], strict=True), strict=True))
    assert len(t) == 30
    assert t["2026-06-15"] == (3, 1)
    assert t["2026-06-03"] == (1, 0)
    assert t["2026-06-10"] == (0, 1)
    assert sum(d["trend"]["registered"]) == 4 and sum(d["trend"]["resolved"]) == 2
    assert {r["label"]: r["n"] for r in d["by_place"]} == {"白塔镇": 4, "田市镇": 1}
    assert sum(r["n"] for r in d["by_channel"]) == 5
    assert [r["place"] for r in d["latest"]] == ["白塔镇白塔村", "白塔镇白塔村"]  # B then C: no names, no text
    assert d["latest"][0]["result"] == "达成协议"
    # the evaluation app is installed: the county screen lists this month's town ranking from it
    assert d["rankings"] is not None and all("score" in r and "rank" in r for r in d["rankings"])


def test_town_leader_figures_are_their_town_only(world: World) -> None:
    d = payload(world, "leader1")
    assert (d["open"], d["overdue"]) == (1, 1)
    assert [p["registered"] for p in d["periods"]] == [2, 3, 4]
    assert {r["label"] for r in d["by_place"]} == {"白塔村"}  # a town's screen breaks down by village


def test_map_buckets_by_town(world: World) -> None:
    user = world.org.user("county_leader")
    qs = located_cases(user, user_scope(user))
    b = mapdata.case_buckets(qs, "town")
    by_name = {x["name"]: x for x in b["buckets"]}
    assert set(by_name) == {"白塔镇", "田市镇"}
    assert by_name["白塔镇"]["n"] == 4 and by_name["白塔镇"]["worst"] == "red"
    assert by_name["白塔镇"]["counts"] == {"red": 1, "green": 3}
    assert by_name["田市镇"]["n"] == 1 and b["total"] == 5 and b["unplaced"] == 0
    lv = mapdata.case_buckets(qs, "town", colour_by="level")
    assert {x["name"]: x["worst"] for x in lv["buckets"]} == {"白塔镇": "3", "田市镇": "1"}


def test_map_cells_use_real_positions(world: World) -> None:
    user = world.org.user("county_leader")
    qs = located_cases(user, user_scope(user))
    b = mapdata.case_buckets(qs, "cell", zoom=14, bbox=(120.4, 28.6, 120.8, 28.9))
    cells = [x for x in b["buckets"] if x["cell"]]
    assert len(cells) == 1 and cells[0]["n"] == 1  # only B has a position
    assert abs(cells[0]["lon"] - 120.52) < 0.01 and abs(cells[0]["lat"] - 28.72) < 0.01
    assert b["total"] == 5  # the other four at their grid's point
    cx, cy, size = cells[0]["cell"]
    listed = mapdata.cell_cases(qs, cx, cy, size)
    assert [c["code"] for c in listed] == [world.cases["B"].code]
    assert set(listed[0]) == {"code", "url", "type", "state", "colour", "date"}  # no names, phones, addresses


def test_crosstab_town_by_state(world: World) -> None:
    user = world.org.user("county_leader")
    scope = user_scope(user)
    t = crosstab.crosstab(scope_cases(user, scope), scope, ["town", "state"]).as_dict()
    rows = {r["keys"][0]: r for r in t["rows"]}
    cols = t["columns"]
    baita = dict(zip(cols, rows["白塔镇"]["cells"], strict=True))
    assert {k: v for k, v in baita.items() if v} == {"待受理": 1, "已化解": 1, "已办结": 1, "未化解已转介": 1}
    assert rows["白塔镇"]["total"] == 4 and rows["田市镇"]["total"] == 1 and t["total"] == 5
    # 办结率 白塔镇: ended B, C, D of handled A, B, C, D = 75.0; 满意率: B of rated B, C = 50.0
    assert rows["白塔镇"]["close_rate"] == 75.0 and rows["白塔镇"]["satisfaction_rate"] == 50.0
    assert rows["田市镇"]["close_rate"] == 0.0 and rows["田市镇"]["satisfaction_rate"] is None
    assert dict(zip(cols, t["column_totals"], strict=True))["待受理"] == 2
    assert t["close_rate"] == 60.0


def test_crosstab_three_dimensions_and_period(world: World) -> None:
    user = world.org.user("county_leader")
    scope = user_scope(user)
    with time_machine.travel(NOW, tick=False):
        t = crosstab.crosstab(scope_cases(user, scope), scope, ["period", "town", "channel"]).as_dict()
    keys = [tuple(r["keys"]) for r in t["rows"]]
    assert [k[0] for k in keys] == sorted(k[0] for k in keys)
    assert {k[0] for k in keys} == {"2026-02", "2026-06"}
    assert sum(r["total"] for r in t["rows"]) == 5


@pytest.mark.parametrize(
    "dims", [["town"], ["town", "town"], ["town", "village"], ["town", "colour"], ["a", "b", "c", "d"]]
)
def test_crosstab_rejects_bad_dimensions(world: World, dims: list[str]) -> None:
    user = world.org.user("county_leader")
    scope = user_scope(user)
    with pytest.raises(crosstab.CrossTabError):
        crosstab.crosstab(scope_cases(user, scope), scope, dims)


def test_xlsx_export(world: World) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    user = world.org.user("county_leader")
    scope = user_scope(user)
    table = crosstab.crosstab(scope_cases(user, scope), scope, ["town", "state"])
    ws = load_workbook(BytesIO(crosstab.to_xlsx(table, "测试"))).active
    values = [list(row) for row in ws.iter_rows(values_only=True)]
    assert values[1][0] == "乡镇（街道）" and "合计" in values[1]
    total_row = next(r for r in values if r[0] == "合计")
    assert 5 in total_row and 60.0 in total_row
