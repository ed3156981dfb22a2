"""The map page (/staff/map/) and its JSON endpoints. Every endpoint starts from the user's scope
(:mod:`fengqiao.atlas.scope`); a unit outside it is a 404."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from fengqiao.atlas import figures, mapdata
from fengqiao.atlas.filters import case_filter
from fengqiao.atlas.geometry import areas
from fengqiao.atlas.models import GeoImport, ImportKind
from fengqiao.atlas.scope import ATLAS_ROLES, Scope, located_cases, user_scope
from fengqiao.org.choices import UnitKind
from fengqiao.web.views.leader import role_required

atlas_view = role_required(*ATLAS_ROLES)


def _json(data: Any) -> JsonResponse:
    resp = JsonResponse(data, json_dumps_params={"ensure_ascii": False}, safe=False)
    resp["Cache-Control"] = "private, no-store"
    return resp


def illustrative() -> bool:
    """Boundaries count as illustrative (示意) until a boundary file has been imported."""
    return not GeoImport.objects.filter(kind=ImportKind.BOUNDARIES, applied=True).exists()


def _view_box(scope: Scope) -> list[float] | None:
    geo = areas()
    boxes = [a.bounds for a in geo.units.values() if a.bounds and scope.contains(a.path)]
    if not boxes:
        return None
    return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def map_config(scope: Scope) -> dict[str, Any]:
    return {
        "urls": {
            "cases": reverse("atlas:map_cases"),
            "boundaries": reverse("atlas:map_boundaries", args=["LEVEL"]),
            "area": reverse("atlas:map_area", args=[0]),
            "cell": reverse("atlas:map_cell"),
            "resources": reverse("atlas:map_resources"),
        },
        "tiles": getattr(settings, "FENGQIAO_MAP_TILES", "") or "",
        "tiles_attribution": getattr(settings, "FENGQIAO_MAP_TILES_ATTRIBUTION", "") or "",
        "box": _view_box(scope),
        "levels": {"town": _("乡镇（街道）"), "village": _("村（社区）"), "grid": _("网格"), "cell": _("案件位置")},
        "text": {
            "cases": _("案件"),
            "heat": _("密度"),
            "click_area": _("点击区域或圆点查看数据"),
            "none": _("该处没有案件"),
            "unplaced": _("未定位"),
            "rollup": _("数据更新于"),
            "satisfaction": _("满意率"),
            "types": _("主要类型"),
            "open_case": _("查看案件"),
            "loading": _("加载中…"),
            "failed": _("数据加载失败，请稍后重试"),
        },
    }


@atlas_view
def map_page(request: HttpRequest) -> HttpResponse:
    scope = user_scope(request.user)
    form = case_filter(request.GET)
    ctx = {
        "form": form,
        "config": map_config(scope),
        "illustrative": illustrative(),
        "scope_name": scope.root.name if scope.root else _("本辖区"),
        "colour_by": [("colour", _("督办颜色")), ("level", _("响应等级"))],
    }
    return render(request, "atlas/map.html", ctx)


@atlas_view
def map_boundaries(request: HttpRequest, level: str) -> HttpResponse:
    kind = {"town": UnitKind.TOWN, "village": UnitKind.VILLAGE, "grid": UnitKind.GRID, "microgrid": UnitKind.MICROGRID}
    if level not in kind:
        raise Http404
    return _json(mapdata.boundaries(user_scope(request.user), kind[level]))


def _bbox(request: HttpRequest) -> tuple[float, float, float, float] | None:
    raw = request.GET.get("bbox", "")
    try:
        parts = [float(x) for x in raw.split(",")] if raw else []
    except ValueError:
        return None
    if len(parts) != 4:
        return None
    w, s, e, n = parts
    return (w, s, e, n) if w < e and s < n else None


def _zoom(request: HttpRequest) -> float:
    try:
        return min(max(float(request.GET.get("zoom", "10")), 1.0), 20.0)
    except ValueError:
        return 10.0


@atlas_view
def map_cases(request: HttpRequest) -> HttpResponse:
    scope = user_scope(request.user)
    form = case_filter(request.GET)
    if form.errors:
        return _json({"errors": form.errors})
    zoom = _zoom(request)
    level = request.GET.get("level") or mapdata.level_for_zoom(zoom)
    if level not in ("town", "village", "grid", "cell"):
        raise Http404
    colour_by = "level" if request.GET.get("colour_by") == "level" else "colour"
    qs = form.apply(located_cases(request.user, scope))
    from fengqiao.atlas.rollup_read import map_rows, version

    # A layer read from the rollups is kept per scope and request until the rollups' version changes.
    params = "&".join(f"{k}={v}" for k, v in sorted(request.GET.items()))
    key = f"atlas:map:{scope.key}:{translation.get_language()}:{version()}:{hashlib.sha256(params.encode()).hexdigest()[:24]}"
    if level != "cell" and (hit := cache.get(key)) is not None:
        return _json(hit)
    got = map_rows(scope, form, colour_by) if level != "cell" else None
    rows, fresh = got if got is not None else (None, "")
    data = mapdata.case_buckets(qs, level, colour_by=colour_by, bbox=_bbox(request), zoom=zoom, rows=rows)
    payload = {**data, "data_updated": fresh}
    if rows is not None:
        cache.set(key, payload, figures.ROLLUP_CACHE_SECONDS)
    return _json(payload)


@atlas_view
def map_area(request: HttpRequest, pk: int) -> HttpResponse:
    scope = user_scope(request.user)
    area = areas().units.get(pk)
    if area is None or not scope.contains(area.path):
        raise Http404
    from fengqiao.org.paths import subtree_q

    form = case_filter(request.GET)
    qs = form.apply(located_cases(request.user, scope)).filter(subtree_q("location_path", area.path))
    return _json(mapdata.area_figures(qs, area.name))


@atlas_view
def map_cell(request: HttpRequest) -> HttpResponse:
    scope = user_scope(request.user)
    try:
        cx, cy = int(request.GET["cx"]), int(request.GET["cy"])
        size = float(request.GET["size"])
    except (KeyError, ValueError) as exc:
        raise Http404 from exc
    if not 0.00001 <= size <= 1:
        raise Http404
    form = case_filter(request.GET)
    qs = form.apply(located_cases(request.user, scope))
    return _json({"cases": mapdata.cell_cases(qs, cx, cy, size)})


@atlas_view
def map_resources(request: HttpRequest) -> HttpResponse:
    return _json({"points": mapdata.resources(user_scope(request.user))})
