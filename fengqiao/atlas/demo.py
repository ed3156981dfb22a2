"""Demo data of the map (示意): positions for the demo's standard addresses inside their grid's
generated polygon, and resource points (综治中心, 调解室, 调解员工作室) imported through the same
validation as an administrator's file. Idempotent."""

from __future__ import annotations

import json
import random
from typing import Any

COUNTY = "331024"


def seed_atlas(seed: int = 20261204) -> dict[str, int]:
    from shapely.geometry import Point, shape

    from fengqiao.atlas.actions import import_resources
    from fengqiao.atlas.models import ResourcePoint
    from fengqiao.mediation.models import Mediator
    from fengqiao.org.choices import UnitKind
    from fengqiao.org.models import StandardAddress, Unit
    from fengqiao.triage.location import assign_demo_boundaries

    assign_demo_boundaries(county_code=COUNTY)  # no-op where units already have polygons
    rng = random.Random(seed)
    polys: dict[int, Any] = {}
    for pk, boundary in Unit.objects.filter(boundary__isnull=False).values_list("pk", "boundary"):
        try:
            polys[pk] = shape(boundary)
        except (ValueError, TypeError, AttributeError):
            continue

    def inside(pk: int) -> tuple[float, float] | None:
        poly = polys.get(pk)
        if poly is None:
            return None
        x0, y0, x1, y1 = poly.bounds
        for _ in range(50):
            p = Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
            if poly.contains(p):
                return round(p.x, 6), round(p.y, 6)
        rp = poly.representative_point()
        return rp.x, rp.y

    placed = []
    for addr in StandardAddress.objects.filter(lat__isnull=True).only("pk", "grid_id"):
        at = inside(addr.grid_id)
        if at is not None:
            addr.lon, addr.lat = at
            placed.append(addr)
    StandardAddress.objects.bulk_update(placed, ["lat", "lon"], batch_size=2000)

    points = 0
    if not ResourcePoint.objects.exists():
        feats = []

        def add(kind: str, name: str, unit: Unit) -> None:
            at = inside(unit.pk)
            if at is not None:
                feats.append(
                    {
                        "type": "Feature",
                        "properties": {"name": name, "kind": kind, "unit": unit.code, "note": "示意点位"},
                        "geometry": {"type": "Point", "coordinates": list(at)},
                    }
                )

        for town in Unit.objects.filter(kind=UnitKind.TOWN, code__startswith=COUNTY).order_by("code"):
            add("centre", f"{town.name}综治中心", town)
            villages = list(Unit.objects.filter(parent=town, kind=UnitKind.VILLAGE).order_by("code"))
            for v in rng.sample(villages, k=min(2, len(villages))):
                add("mediation_room", f"{v.name}人民调解室", v)
        for m in Mediator.objects.select_related("unit").filter(unit__kind=UnitKind.TOWN).order_by("pk")[:12]:
            add("mediator_base", f"{m.name}调解工作室", m.unit)
        data = json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False).encode()
        _row, report = import_resources(None, "demo-resources.geojson", data=data)
        points = len(report.matched) if report.ok else 0
    from fengqiao.atlas.rollup import rebuild_all

    months = rebuild_all()  # the county's screen, cross-tab and map layers read the rollups at once
    return {"addresses": len(placed), "resource_points": points, "rollup_months": months}
