"""The units' polygons as the map needs them, kept per process.

Boundaries are read once from ``org.Unit.boundary`` (GeoJSON, WGS-84), simplified per level for
drawing (a few hundred bytes per village instead of the surveyed ring) and given a representative
point (inside the polygon, where the unit's aggregated cases are drawn). Rebuilt after a unit is
saved (signal) or after ``TTL`` seconds (changes made by other processes).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from fengqiao.atlas.coords import wgs84_to_gcj02
from fengqiao.core.memo import ProcessCache
from fengqiao.org.choices import UnitKind

TTL = 300.0
LEVELS = {UnitKind.TOWN: 1, UnitKind.VILLAGE: 2, UnitKind.GRID: 3, UnitKind.MICROGRID: 4}
SIMPLIFY = {UnitKind.TOWN: 0.0005, UnitKind.VILLAGE: 0.0002, UnitKind.GRID: 0.00005, UnitKind.MICROGRID: 0.00002}


@dataclass
class Area:
    pk: int
    kind: str
    name: str
    path: str
    geometry: dict[str, Any] | None  # simplified, for drawing (output datum)
    point: tuple[float, float] | None  # (lon, lat) inside the polygon (output datum)
    bounds: tuple[float, float, float, float] | None  # WGS-84


def output_datum() -> str:
    return str(getattr(settings, "FENGQIAO_MAP_TILES_CRS", "wgs84") or "wgs84")


def out_point(lon: float, lat: float) -> tuple[float, float]:
    """A WGS-84 point in the datum of the configured tiles (GCJ-02 tiles need shifted geometry)."""
    if output_datum() == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    return round(lon, 6), round(lat, 6)


class Areas:
    def __init__(self) -> None:
        from shapely.geometry import mapping, shape

        from fengqiao.atlas.coords import transform_geometry
        from fengqiao.org.models import Unit

        self.units: dict[int, Area] = {}
        gcj = output_datum() == "gcj02"
        rows = Unit.objects.filter(is_active=True).values_list("pk", "kind", "name", "path", "boundary")
        for pk, kind, name, path, boundary in rows:
            geom = point = bounds = None
            if boundary and kind in LEVELS:
                try:
                    raw = boundary.get("geometry", boundary) if boundary.get("type") == "Feature" else boundary
                    poly = shape(raw)
                    simple = poly.simplify(SIMPLIFY[UnitKind(kind)], preserve_topology=True)
                    rp = poly.representative_point()
                    bounds = poly.bounds
                    geom = mapping(simple)
                    geom = transform_geometry(_lists(geom), wgs84_to_gcj02 if gcj else None)
                    point = out_point(rp.x, rp.y)
                except (ValueError, TypeError, AttributeError, KeyError):
                    geom = point = bounds = None
            self.units[pk] = Area(pk, kind, name, path, geom, point, bounds)
        self.built = time.monotonic()

    def chain(self, pk: int) -> list[Area]:
        a = self.units.get(pk)
        if a is None:
            return []
        ids = [int(x) for x in a.path.strip("/").split("/") if x]
        return [self.units[i] for i in ids if i in self.units]

    def rollup(self, pk: int, level: int) -> Area | None:
        """The deepest unit at or above ``level`` in the chain of ``pk`` that has a polygon."""
        for a in reversed(self.chain(pk)):
            rank = LEVELS.get(UnitKind(a.kind)) if a.kind in LEVELS else None
            if rank is not None and rank <= level and a.point is not None:
                return a
        return None

    def of_kind(self, kind: str, paths: tuple[str, ...]) -> list[Area]:
        return [
            a
            for a in self.units.values()
            if a.kind == kind and a.geometry is not None and any(a.path.startswith(p) for p in paths)
        ]


def _lists(geom: Any) -> Any:
    """shapely's mapping() gives tuples; JSON and the transform want lists."""
    if isinstance(geom, dict):
        return {k: _lists(v) for k, v in geom.items()}
    if isinstance(geom, list | tuple):
        return [_lists(v) for v in geom]
    return geom


_areas: ProcessCache[Areas] = ProcessCache(Areas, TTL)


def areas() -> Areas:
    return _areas.get()


def forget(**_: Any) -> None:
    _areas.forget()


post_save.connect(forget, sender="org.Unit", dispatch_uid="atlas-areas")
post_delete.connect(forget, sender="org.Unit", dispatch_uid="atlas-areas-del")
