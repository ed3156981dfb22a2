"""What the map draws, aggregated on the server: boundaries per level, cases as buckets (per unit
or per square cell of the current zoom), figures of one area, resource points.

No bucket carries personal data: counts per colour (or response level), a unit's name, a cell.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Floor
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.atlas import rates
from fengqiao.atlas.geometry import LEVELS, areas, out_point
from fengqiao.atlas.models import ResourcePoint
from fengqiao.atlas.scope import Scope
from fengqiao.cases.choices import Colour, Level
from fengqiao.cases.models import Case, Category
from fengqiao.cases.workflow import OPEN_STATES, State
from fengqiao.org.choices import UnitKind

LEVEL_KINDS = {"town": UnitKind.TOWN, "village": UnitKind.VILLAGE, "grid": UnitKind.GRID}
CELL_MAX_BUCKETS = 5000
COLOUR_ORDER = [Colour.RED.value, Colour.YELLOW.value, Colour.GREEN.value]
LEVEL_ORDER = [str(v) for v in sorted(Level.values, reverse=True)]


def level_for_zoom(zoom: float) -> str:
    """Which aggregation a zoom level gets: towns when the county fills the screen, then villages,
    grids, and square cells (of real case positions) from street scale."""
    if zoom < 10.8:
        return "town"
    if zoom < 12.0:
        return "village"
    if zoom < 13.5:
        return "grid"
    return "cell"


def cell_size(zoom: float) -> float:
    """Cell edge in degrees: about 40 screen pixels at this zoom (360° = 256·2^zoom px)."""
    return round(40 * 360.0 / (256 * 2 ** max(zoom, 1)), 6)


def boundaries(scope: Scope, kind: str) -> dict[str, Any]:
    feats = [
        {"type": "Feature", "id": a.pk, "properties": {"name": a.name}, "geometry": a.geometry}
        for a in areas().of_kind(kind, scope.paths)
    ]
    return {"type": "FeatureCollection", "features": feats}


def _key_field(colour_by: str) -> str:
    return "level" if colour_by == "level" else "colour"


def _worst(counts: dict[str, int], colour_by: str) -> str:
    order = LEVEL_ORDER if colour_by == "level" else COLOUR_ORDER
    return next((k for k in order if counts.get(k)), order[-1])


def case_buckets(
    qs: QuerySet[Case],
    level: str,
    *,
    colour_by: str = "colour",
    bbox: tuple[float, float, float, float] | None = None,
    zoom: float = 10.0,
    rows: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Buckets of ``qs`` at ``level``: one per unit (town/village/grid) or per square cell. ``rows``:
    the unit-level counts already grouped (the grid rollup's), instead of grouping ``qs``."""
    key = _key_field(colour_by)
    buckets: dict[Any, dict[str, Any]] = {}
    unplaced = 0
    geo = areas()
    if level == "cell":
        size = cell_size(zoom)
        # The position copied onto the case (map_lat/map_lon, indexed): no join to the addresses.
        located = qs.filter(map_lat__isnull=False, map_lon__isnull=False)
        if bbox is not None:
            west, south, east, north = bbox
            located = located.filter(map_lon__gte=west, map_lon__lte=east, map_lat__gte=south, map_lat__lte=north)
        rows = (
            located.annotate(cy=Floor(F("map_lat") / size), cx=Floor(F("map_lon") / size))
            .values("cy", "cx", key)
            .annotate(n=Count("id"))
            .order_by()[: CELL_MAX_BUCKETS * 3]
        )
        for r in rows:
            cx, cy = int(r["cx"]), int(r["cy"])
            b = buckets.setdefault(("c", cx, cy), {"cell": [cx, cy, size], "unit": None, "name": "", "counts": {}})
            b["counts"][str(r[key])] = b["counts"].get(str(r[key]), 0) + r["n"]
        for b in buckets.values():
            cx, cy, size = b["cell"]
            b["lon"], b["lat"] = out_point((cx + 0.5) * size, (cy + 0.5) * size)
        qs = qs.filter(Q(map_lat__isnull=True) | Q(map_lon__isnull=True))
        unit_level = LEVELS[UnitKind.GRID]
    else:
        unit_level = LEVELS[LEVEL_KINDS[level]]
    if rows is None or level == "cell":
        rows = list(qs.values("location_unit_id", key).annotate(n=Count("id")).order_by())
    for r in rows:
        area = geo.rollup(r["location_unit_id"], unit_level) if r["location_unit_id"] else None
        if area is None or area.point is None:
            unplaced += r["n"]
            continue
        if bbox is not None and area.bounds is not None:
            west, south, east, north = bbox
            ax0, ay0, ax1, ay1 = area.bounds
            if ax1 < west or ax0 > east or ay1 < south or ay0 > north:
                continue
        b = buckets.setdefault(("u", area.pk), {"cell": None, "unit": area.pk, "name": area.name, "counts": {}})
        b["lon"], b["lat"] = area.point
        b["counts"][str(r[key])] = b["counts"].get(str(r[key]), 0) + r["n"]
    out = []
    for b in buckets.values():
        b["n"] = sum(b["counts"].values())
        b["worst"] = _worst(b["counts"], colour_by)
        out.append(b)
    out.sort(key=lambda b: -b["n"])
    return {
        "level": level,
        "colour_by": colour_by,
        "buckets": out[:CELL_MAX_BUCKETS],
        "total": sum(b["n"] for b in out),
        "unplaced": unplaced,
        "legend": legend(colour_by),
    }


def legend(colour_by: str) -> list[dict[str, str]]:
    if colour_by == "level":
        return [{"key": str(v), "label": str(label)} for v, label in sorted(Level.choices, reverse=True)]
    return [{"key": v, "label": str(label)} for v, label in Colour.choices]


def area_figures(qs: QuerySet[Case], name: str) -> dict[str, Any]:
    """Figures of one area (the cases already filtered to it): totals, colours, top types, rates."""
    now = timezone.now()
    c = qs.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(state__in=sorted(OPEN_STATES))),
        overdue=Count("id", filter=Q(state__in=sorted(OPEN_STATES), due_at__lt=now)),
        resolved=Count("id", filter=rates.resolved_q()),
        red=Count("id", filter=Q(state__in=sorted(OPEN_STATES), colour=Colour.RED)),
        yellow=Count("id", filter=Q(state__in=sorted(OPEN_STATES), colour=Colour.YELLOW)),
        rated=Count("id", filter=~Q(satisfaction="")),
        satisfied=Count("id", filter=Q(satisfaction__in=["satisfied", "basic"])),
    )
    top = list(qs.values("category__parent_id", "category_id").annotate(n=Count("id")).order_by("-n")[:50])
    names = dict(Category.objects.values_list("pk", "name"))
    by_type: dict[str, int] = defaultdict(int)
    for r in top:
        pk = r["category__parent_id"] or r["category_id"]
        by_type[names.get(pk, _("未分类")) if pk else _("未分类")] += r["n"]
    return {
        "name": name,
        "figures": [
            {"label": _("案件"), "value": c["total"]},
            {"label": _("在办"), "value": c["open"]},
            {"label": _("超期"), "value": c["overdue"]},
            {"label": _("已化解"), "value": c["resolved"]},
            {"label": _("红码在办"), "value": c["red"]},
            {"label": _("黄码在办"), "value": c["yellow"]},
        ],
        "satisfaction_rate": rates.rate(c["satisfied"], c["rated"]),
        "types": [{"label": k, "n": v} for k, v in sorted(by_type.items(), key=lambda kv: -kv[1])[:5]],
    }


def cell_cases(qs: QuerySet[Case], cx: int, cy: int, size: float, limit: int = 20) -> list[dict[str, Any]]:
    """The cases of one cell (code, type, state, colour — no names, no addresses)."""
    from django.urls import reverse

    rows = (
        qs.filter(
            map_lat__gte=cy * size, map_lat__lt=(cy + 1) * size, map_lon__gte=cx * size, map_lon__lt=(cx + 1) * size
        )
        .select_related("category")
        .order_by("-created_at")[:limit]
    )
    return [
        {
            "code": c.code,
            "url": reverse("web:case", args=[c.code]),
            "type": c.category.name if c.category else _("未分类"),
            "state": str(State(c.state).label),
            "colour": c.get_colour_display(),
            "date": timezone.localtime(c.created_at).strftime("%Y-%m-%d"),
        }
        for c in rows
    ]


def resources(scope: Scope) -> list[dict[str, Any]]:
    county_wide = any(p.count("/") == 2 for p in scope.paths)
    q = scope.q("unit_path")
    if county_wide:
        q |= Q(unit_path="")
    out = []
    for r in ResourcePoint.objects.filter(q).order_by("kind", "name"):
        lon, lat = out_point(r.lon, r.lat)
        out.append({"kind": r.kind, "kind_label": r.get_kind_display(), "name": r.name, "lon": lon, "lat": lat})
    return out
