"""A constructed history for the atlas tests, with hand-computed expectations.

Now is frozen at 2026-06-15 10:00 (Asia/Shanghai). Cases (registered through the action layer, then
their history set with plain updates, as a fixture):

    A 白塔镇 grid1  registered 09:00 today, open, overdue, red
    B 白塔镇 grid1  registered 08:00 today, resolved 09:00 today, blue level, 满意      (point at 120.52, 28.72)
    C 白塔镇 grid1  registered 06-03, resolved 06-10 then closed, orange level, 不满意
    D 白塔镇 grid1  registered 02-01, referred (未化解已转介) 03-01
    E 田市镇 grid2  registered 09:00 today, open, green
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from fengqiao.cases.models import Case
from fengqiao.org.models import Unit
from tests.conftest import Org
from tests.helpers import new_case

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=TZ)


def rect(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


@dataclass
class World:
    org: Org
    cases: dict[str, Case]


def set_boundaries(org: Org) -> None:
    for unit, box in (
        (org.town1, (120.5, 28.7, 120.6, 28.8)),
        (org.village1, (120.5, 28.7, 120.6, 28.8)),
        (org.grid1, (120.5, 28.7, 120.6, 28.8)),
        (org.town2, (120.6, 28.7, 120.7, 28.8)),
        (org.village2, (120.6, 28.7, 120.7, 28.8)),
        (org.grid2, (120.6, 28.7, 120.7, 28.8)),
    ):
        Unit.objects.filter(pk=unit.pk).update(boundary=rect(*box))
    from fengqiao.atlas import geometry

    geometry.forget()


def build(org: Org) -> World:
    set_boundaries(org)
    t1 = {"who": "sub1_dispatcher", "owner_unit": org.sub1.pk, "location_unit": org.grid1.pk}
    cases = {
        "A": new_case(org, title="甲", **t1),
        "B": new_case(org, title="乙", **t1),
        "C": new_case(org, title="丙", **t1),
        "D": new_case(org, title="丁", **t1),
        "E": new_case(org, "handler2", title="戊", owner_unit=org.sub2.pk, location_unit=org.grid2.pk),
    }
    far = NOW + dt.timedelta(days=30)
    common = {"yellow_at": far, "red_at": far, "due_at": far, "standard_address": None, "lat": None, "lon": None}
    rows: dict[str, dict[str, Any]] = {
        "A": {
            "created_at": NOW - dt.timedelta(hours=1),
            "state": "registered",
            "colour": "red",
            "due_at": NOW - dt.timedelta(minutes=30),
            "red_at": NOW - dt.timedelta(hours=1),
        },
        "B": {
            "created_at": NOW - dt.timedelta(hours=2),
            "state": "resolved",
            "resolved_at": NOW - dt.timedelta(hours=1),
            "level": 1,
            "satisfaction": "satisfied",
            "lat": 28.72,
            "lon": 120.52,
            "agreement": True,
        },
        "C": {
            "created_at": dt.datetime(2026, 6, 3, 9, tzinfo=TZ),
            "state": "closed",
            "resolved_at": dt.datetime(2026, 6, 10, 9, tzinfo=TZ),
            "closed_at": dt.datetime(2026, 6, 11, 9, tzinfo=TZ),
            "level": 3,
            "satisfaction": "unsatisfied",
        },
        "D": {
            "created_at": dt.datetime(2026, 2, 1, 9, tzinfo=TZ),
            "state": "unresolved",
            "resolved_at": dt.datetime(2026, 3, 1, 9, tzinfo=TZ),
            "referral": "litigation",
            "level": 2,
        },
        "E": {"created_at": NOW - dt.timedelta(hours=1), "state": "registered", "colour": "green"},
    }
    for key, values in rows.items():
        v = {**common, **values}
        # The map position the case's save would copy (its own point; these cases have no address).
        v.update(map_lat=v.get("lat"), map_lon=v.get("lon"))
        Case.objects.filter(pk=cases[key].pk).update(**v)
        cases[key].refresh_from_db()
    return World(org, cases)
