"""The only writers of the map's data: boundary imports (onto ``org.Unit.boundary``) and resource
points. Each runs inside one transaction, checks the actor, validates the whole file first (any
error → nothing is written) and leaves one :class:`GeoImport` row and one audit row.

``actor`` is a staff user, or ``None`` for the console (``fengqiao load-geo``), which is run by
whoever operates the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.atlas.coords import CONVERTERS
from fengqiao.atlas.geoio import GeoFileError, read_features
from fengqiao.atlas.models import GeoImport, ImportKind, ResourceKind, ResourcePoint
from fengqiao.atlas.validate import Report, check_boundaries
from fengqiao.core import audit
from fengqiao.org.choices import Role


def _check_actor(actor: Any) -> None:
    if actor is None:
        return
    if getattr(actor, "is_superuser", False):
        return
    if not (hasattr(actor, "has_role") and actor.has_role(Role.SYSTEM_ADMIN)):
        raise PermissionDenied(_("只有系统管理员可以导入地理数据"))


def _record(kind: str, name: str, crs: str, actor: Any, report: Report, applied: bool) -> GeoImport:
    row = GeoImport.objects.create(
        kind=kind,
        file_name=name[:255],
        crs=crs,
        actor=actor,
        applied=applied,
        features=report.features,
        matched=len(report.matched),
        report=report.as_dict(),
    )
    audit.record(
        f"geo.import.{kind}",
        user=actor,
        username="" if actor else "console",
        obj=row,
        result="ok" if applied else ("dry_run" if report.ok else "refused"),
        detail={"file": row.file_name, "crs": crs, "features": report.features, "errors": len(report.errors)},
    )
    return row


def import_boundaries(
    actor: Any,
    path: str | Path,
    *,
    data: bytes | None = None,
    crs: str = "wgs84",
    kind: str = "",
    code_field: str = "",
    name_field: str = "",
    dry_run: bool = False,
) -> tuple[GeoImport, Report]:
    """Validate the file; when it is clean (and not a dry run) replace the matched units' boundaries."""
    from fengqiao.org.models import Unit
    from fengqiao.triage import location

    _check_actor(actor)
    if crs not in CONVERTERS:
        raise GeoFileError(_("坐标系只能是 wgs84 或 gcj02"))
    name = Path(path).name
    try:
        features = read_features(path, data)
    except GeoFileError as exc:
        report = Report(errors=[str(exc)])
        with transaction.atomic():
            return _record(ImportKind.BOUNDARIES, name, crs, actor, report, False), report
    report = check_boundaries(features, crs=crs, kind=kind, code_field=code_field, name_field=name_field)
    apply = report.ok and not dry_run and bool(report.matched)
    with transaction.atomic():
        if apply:
            units = {
                u.pk: u for u in Unit.objects.select_for_update().filter(pk__in=[m["unit"] for m in report.matched])
            }
            for m in report.matched:
                units[m["unit"]].boundary = m["geometry"]
            Unit.objects.bulk_update(list(units.values()), ["boundary"], batch_size=500)
            transaction.on_commit(location.forget)
            transaction.on_commit(_forget_map_cache)
        row = _record(ImportKind.BOUNDARIES, name, crs, actor, report, apply)
    return row, report


def _forget_map_cache() -> None:
    from fengqiao.atlas import geometry

    geometry.forget()


KIND_BY_TEXT = {str(k.value): k.value for k in ResourceKind} | {str(k.label): k.value for k in ResourceKind}


def check_resources(features: list[dict[str, Any]], crs: str, default_kind: str = "") -> Report:
    from fengqiao.atlas.coords import CONVERTERS as conv
    from fengqiao.org.models import Unit
    from fengqiao.triage.location import gazetteer

    report = Report(features=len(features))
    fn = conv[crs]
    units = {u.code: u for u in Unit.objects.all().only("pk", "code", "name", "path")}
    for i, f in enumerate(features, start=1):
        props = f.get("properties") or {}
        where = _("第 %(i)s 行") % {"i": props.get("_line")} if props.get("_line") else _("第 %(i)s 个要素") % {"i": i}
        name = str(props.get("name") or props.get("名称") or "").strip()
        kind_text = str(props.get("kind") or props.get("类别") or default_kind).strip()
        kind = KIND_BY_TEXT.get(kind_text)
        geom = f.get("geometry") or {}
        if not name:
            report.errors.append(_("%(w)s：缺少名称") % {"w": where})
            continue
        if kind is None:
            report.errors.append(_("%(w)s：类别“%(k)s”不认识") % {"w": where, "k": kind_text})
            continue
        if geom.get("type") != "Point":
            report.errors.append(_("%(w)s：需要点坐标（经度、纬度）") % {"w": where})
            continue
        try:
            lon, lat = float(geom["coordinates"][0]), float(geom["coordinates"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            report.errors.append(_("%(w)s：坐标无法解析") % {"w": where})
            continue
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            report.errors.append(_("%(w)s：坐标超出经纬度范围") % {"w": where})
            continue
        if fn is not None:
            lon, lat = fn(lon, lat)
        code = str(props.get("unit") or props.get("单位代码") or "").strip()
        unit = units.get(code) if code else None
        if code and unit is None:
            report.errors.append(_("%(w)s：单位代码“%(c)s”不存在") % {"w": where, "c": code})
            continue
        if unit is None:
            grid = gazetteer().grid_at(lat, lon)
            unit_id = grid
            if grid is None:
                report.warnings.append(_("%(w)s：“%(n)s”不在任何网格内，仅县级可见") % {"w": where, "n": name})
        else:
            unit_id = unit.pk
        report.matched.append(
            {
                "kind": kind,
                "name": name[:100],
                "unit": unit_id,
                "lat": round(lat, 7),
                "lon": round(lon, 7),
                "address": str(props.get("address") or props.get("地址") or "")[:200],
                "note": str(props.get("note") or props.get("说明") or "")[:200],
            }
        )
    return report


def import_resources(
    actor: Any,
    path: str | Path,
    *,
    data: bytes | None = None,
    crs: str = "wgs84",
    kind: str = "",
    replace: bool = False,
    dry_run: bool = False,
) -> tuple[GeoImport, Report]:
    """Validate a point file (GeoJSON points or CSV); when clean add its points (``replace``: the
    earlier points of the kinds in the file are removed first)."""
    from fengqiao.org.models import Unit

    _check_actor(actor)
    if crs not in CONVERTERS:
        raise GeoFileError(_("坐标系只能是 wgs84 或 gcj02"))
    name = Path(path).name
    try:
        features = read_features(path, data)
        report = check_resources(features, crs, kind)
    except GeoFileError as exc:
        report = Report(errors=[str(exc)])
    apply = report.ok and not dry_run and bool(report.matched)
    with transaction.atomic():
        row = _record(ImportKind.RESOURCES, name, crs, actor, report, apply)
        if apply:
            if replace:
                ResourcePoint.objects.filter(kind__in={m["kind"] for m in report.matched}).delete()
            paths = dict(
                Unit.objects.filter(pk__in={m["unit"] for m in report.matched if m["unit"]}).values_list("pk", "path")
            )
            ResourcePoint.objects.bulk_create(
                [
                    ResourcePoint(
                        kind=m["kind"],
                        name=m["name"],
                        unit_id=m["unit"],
                        unit_path=paths.get(m["unit"], ""),
                        lat=m["lat"],
                        lon=m["lon"],
                        address=m["address"],
                        note=m["note"],
                        source=row,
                    )
                    for m in report.matched
                ]
            )
    return row, report
