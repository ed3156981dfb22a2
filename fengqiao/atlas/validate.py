"""Validation of boundary and resource-point files before anything is written.

:func:`check_boundaries` matches each feature to a unit (by code, else by unique name), parses and
checks its polygon with shapely, and looks for overlaps between units of the same kind. The result
is a :class:`Report`: ``errors`` block the import (nothing is written), ``warnings`` do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from fengqiao.atlas.coords import CONVERTERS, transform_geometry
from fengqiao.atlas.geoio import Feature
from fengqiao.org.choices import UnitKind

AREA_KINDS = (UnitKind.TOWN, UnitKind.VILLAGE, UnitKind.GRID, UnitKind.MICROGRID)
CODE_KEYS = ("code", "CODE", "Code", "adcode", "ADCODE", "unit_code", "区划代码", "代码", "编码", "DM", "dm")
NAME_KEYS = ("name", "NAME", "Name", "名称", "MC", "mc", "unit_name")
# Overlap between two units of the same kind, as a share of the smaller one: below this it is a
# digitising sliver (warning), above it an error (a point there would belong to two grids).
OVERLAP_ERROR_SHARE = 0.01


@dataclass
class Report:
    features: int = 0
    matched: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "features": self.features,
            "matched": len(self.matched),
            "errors": self.errors,
            "warnings": self.warnings,
            "unmatched": self.unmatched,
        }

    def lines(self) -> list[str]:
        out = [_("要素 %(n)s 个，匹配 %(m)s 个") % {"n": self.features, "m": len(self.matched)}]
        out += [_("错误：%(e)s") % {"e": e} for e in self.errors]
        out += [_("提示：%(w)s") % {"w": w} for w in self.warnings]
        return out


def _prop(props: dict[str, Any], keys: tuple[str, ...], override: str = "") -> str:
    if override:
        return str(props.get(override) or "").strip()
    for k in keys:
        if props.get(k) not in (None, ""):
            return str(props[k]).strip()
    return ""


def check_boundaries(
    features: list[Feature],
    *,
    crs: str = "wgs84",
    kind: str = "",
    code_field: str = "",
    name_field: str = "",
) -> Report:
    from shapely.geometry import shape
    from shapely.validation import explain_validity

    from fengqiao.org.models import Unit

    if crs not in CONVERTERS:
        raise ValueError(crs)
    kinds = [kind] if kind else list(AREA_KINDS)
    units: list[dict[str, Any]] = [
        dict(u)
        for u in Unit.objects.filter(kind__in=kinds).values("pk", "code", "name", "short_name", "kind", "parent_id")
    ]

    by_code = {u["code"]: u for u in units}
    by_name: dict[str, list[dict[str, Any]]] = {}
    for u in units:
        for n in {u["name"], u["short_name"]} - {""}:
            by_name.setdefault(n, []).append(u)
    report = Report(features=len(features))
    seen: dict[int, int] = {}
    shapes: list[tuple[int, Any, dict[str, Any]]] = []
    for i, f in enumerate(features, start=1):
        props = f.get("properties") or {}
        code = _prop(props, CODE_KEYS, code_field)
        name = _prop(props, NAME_KEYS, name_field)
        label = _("第 %(i)s 个要素（%(what)s）") % {"i": i, "what": code or name or _("无代码无名称")}
        unit = by_code.get(code) if code else None
        if unit is None and name:
            candidates = by_name.get(name, [])
            if len(candidates) == 1:
                unit = candidates[0]
            elif len(candidates) > 1:
                report.errors.append(_("%(f)s：名称“%(n)s”对应多个单位，请用代码匹配") % {"f": label, "n": name})
                continue
        if unit is None:
            report.unmatched.append(code or name or str(i))
            report.errors.append(_("%(f)s：代码或名称在单位中找不到") % {"f": label})
            continue
        if unit["pk"] in seen:
            report.errors.append(
                _("%(f)s：与第 %(j)s 个要素对应同一单位“%(u)s”")
                % {"f": label, "j": seen[unit["pk"]], "u": unit["name"]}
            )
            continue
        seen[unit["pk"]] = i
        geom = f.get("geometry")
        if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
            report.errors.append(_("%(f)s：几何不是面（Polygon / MultiPolygon）") % {"f": label})
            continue
        try:
            geom = transform_geometry(geom, CONVERTERS[crs])
            poly = shape(geom)
        except (ValueError, TypeError, IndexError, AttributeError) as exc:
            report.errors.append(_("%(f)s：坐标无法解析（%(e)s）") % {"f": label, "e": exc})
            continue
        if poly.is_empty:
            report.errors.append(_("%(f)s：几何为空") % {"f": label})
            continue
        if not poly.is_valid:
            report.errors.append(
                _("%(f)s：边界环无效（%(why)s），请在 GIS 软件中修复") % {"f": label, "why": explain_validity(poly)}
            )
            continue
        minx, miny, maxx, maxy = poly.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            report.errors.append(_("%(f)s：坐标超出经纬度范围，文件可能是投影坐标（需经纬度）") % {"f": label})
            continue
        shapes.append((unit["pk"], poly, unit))
        report.matched.append({"unit": unit["pk"], "name": unit["name"], "kind": unit["kind"], "geometry": geom})
    _overlaps(shapes, report)
    return report


def _overlaps(shapes: list[tuple[int, Any, dict[str, Any]]], report: Report) -> None:
    from shapely.strtree import STRtree

    by_kind: dict[str, list[tuple[int, Any, dict[str, Any]]]] = {}
    for row in shapes:
        by_kind.setdefault(row[2]["kind"], []).append(row)
    bad: set[int] = set()
    for rows in by_kind.values():
        polys = [r[1] for r in rows]
        tree = STRtree(polys)
        for i, (_pk, poly, unit) in enumerate(rows):
            for j in tree.query(poly):
                j = int(j)
                if j <= i:
                    continue
                other = rows[j]
                inter = poly.intersection(other[1]).area
                if inter <= 0:
                    continue
                share = inter / max(min(poly.area, other[1].area), 1e-18)
                text = _("“%(a)s”与“%(b)s”重叠（占较小者面积 %(p).1f%%）") % {
                    "a": unit["name"],
                    "b": other[2]["name"],
                    "p": 100 * share,
                }
                if share > OVERLAP_ERROR_SHARE:
                    report.errors.append(text)
                    bad.add(unit["pk"])
                else:
                    report.warnings.append(text)
