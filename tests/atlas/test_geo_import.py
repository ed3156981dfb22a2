"""GIS import: clean files are applied; broken ones give a clear report and change nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError

from fengqiao.atlas.actions import import_boundaries, import_resources
from fengqiao.atlas.coords import wgs84_to_gcj02
from fengqiao.atlas.models import GeoImport, ResourcePoint
from fengqiao.core.models import AuditEntry
from fengqiao.org.models import Unit
from tests.conftest import Org


def rect(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def feature(props: dict[str, Any], geom: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geom}


def write(tmp_path: Path, feats: list[dict[str, Any]], name: str = "towns.geojson") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False), encoding="utf-8")
    return p


def boundaries() -> dict[str, Any]:
    return dict(Unit.objects.values_list("code", "boundary"))


def test_clean_file_matched_by_code_and_name(org: Org, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            feature({"code": "331024103"}, rect(120.5, 28.7, 120.6, 28.8)),
            feature({"名称": "田市镇"}, rect(120.6, 28.7, 120.7, 28.8)),
        ],
    )
    row, report = import_boundaries(None, path)
    assert report.ok and row.applied
    org.town1.refresh_from_db()
    org.town2.refresh_from_db()
    assert org.town1.boundary == rect(120.5, 28.7, 120.6, 28.8)
    assert org.town2.boundary["coordinates"][0][0] == [120.6, 28.7]
    assert AuditEntry.objects.filter(action="geo.import.boundaries", result="ok").count() == 1


@pytest.mark.parametrize(
    ("feats", "expected"),
    [
        # a self-intersecting (bow-tie) ring
        (
            [
                feature({"code": "331024103"}, rect(120.5, 28.7, 120.6, 28.8)),
                feature(
                    {"code": "331024104"},
                    {
                        "type": "Polygon",
                        "coordinates": [[[120.6, 28.7], [120.7, 28.8], [120.7, 28.7], [120.6, 28.8], [120.6, 28.7]]],
                    },
                ),
            ],
            "边界环无效",
        ),
        # an unknown code
        (
            [
                feature({"code": "331024103"}, rect(120.5, 28.7, 120.6, 28.8)),
                feature({"code": "999999"}, rect(1, 1, 2, 2)),
            ],
            "找不到",
        ),
        # two towns overlapping by half
        (
            [
                feature({"code": "331024103"}, rect(120.5, 28.7, 120.6, 28.8)),
                feature({"code": "331024104"}, rect(120.55, 28.7, 120.65, 28.8)),
            ],
            "重叠",
        ),
        # a point where a polygon belongs
        ([feature({"code": "331024103"}, {"type": "Point", "coordinates": [120.5, 28.7]})], "不是面"),
        # projected metres instead of degrees
        ([feature({"code": "331024103"}, rect(500000, 3100000, 510000, 3110000))], "经纬度"),
        # the same unit twice
        (
            [
                feature({"code": "331024103"}, rect(120.5, 28.7, 120.6, 28.8)),
                feature({"name": "白塔镇"}, rect(120.8, 28.7, 120.9, 28.8)),
            ],
            "同一单位",
        ),
    ],
)
def test_broken_file_reports_and_writes_nothing(org: Org, tmp_path: Path, feats: list[Any], expected: str) -> None:
    before = boundaries()
    row, report = import_boundaries(None, write(tmp_path, feats))
    assert not report.ok
    assert any(expected in e for e in report.errors), report.errors
    assert not row.applied
    assert boundaries() == before  # nothing half-imported: the valid first feature was not written either
    assert GeoImport.objects.get(pk=row.pk).report["errors"]


def test_bad_json_is_a_clear_error(org: Org, tmp_path: Path) -> None:
    p = tmp_path / "bad.geojson"
    p.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    row, report = import_boundaries(None, p)
    assert not row.applied
    assert "GeoJSON 格式错误" in report.errors[0] and "第 1 行" in report.errors[0]


def test_command_fails_with_report(org: Org, tmp_path: Path, capsys: Any) -> None:
    path = write(tmp_path, [feature({"code": "nope"}, rect(120.5, 28.7, 120.6, 28.8))])
    with pytest.raises(CommandError):
        call_command("load-geo", str(path))
    out = capsys.readouterr().out
    assert "错误" in out and "找不到" in out


def test_command_dry_run_and_gcj02(org: Org, tmp_path: Path, capsys: Any) -> None:
    x0, y0 = wgs84_to_gcj02(120.5, 28.7)
    x1, y1 = wgs84_to_gcj02(120.6, 28.8)
    path = write(tmp_path, [feature({"code": "331024103"}, rect(x0, y0, x1, y1))])
    call_command("load-geo", str(path), "--crs", "gcj02", "--dry-run")
    org.town1.refresh_from_db()
    assert org.town1.boundary is None
    call_command("load-geo", str(path), "--crs", "gcj02")
    org.town1.refresh_from_db()
    ring = org.town1.boundary["coordinates"][0]
    assert ring[0][0] == pytest.approx(120.5, abs=1e-6) and ring[0][1] == pytest.approx(28.7, abs=1e-6)


def test_shapefile_zip(org: Org, tmp_path: Path) -> None:
    import shapefile

    base = tmp_path / "grids"
    with shapefile.Writer(str(base), shapeType=shapefile.POLYGON, encoding="utf-8") as w:
        w.field("CODE", "C", size=40)
        w.field("NAME", "C", size=40)
        w.poly([[[120.5, 28.7], [120.5, 28.75], [120.55, 28.75], [120.55, 28.7], [120.5, 28.7]]])
        w.record("331024103201-G01", "白塔村第1网格")
    _row, report = import_boundaries(None, str(base) + ".shp")
    assert report.ok, report.errors
    org.grid1.refresh_from_db()
    assert org.grid1.boundary["type"] == "Polygon"


def test_only_system_admin_may_import(org: Org, tmp_path: Path) -> None:
    path = write(tmp_path, [feature({"code": "331024103"}, rect(120.5, 28.7, 120.6, 28.8))])
    with pytest.raises(PermissionDenied):
        import_boundaries(org.user("leader1"), path)
    row, _ = import_boundaries(org.user("sysadmin"), path)
    assert row.applied and row.actor == org.user("sysadmin")


def test_resources_csv(org: Org, tmp_path: Path) -> None:
    org.grid1.boundary = rect(120.5, 28.7, 120.6, 28.8)
    org.grid1.save()
    p = tmp_path / "rooms.csv"
    p.write_text("名称,类别,经度,纬度\n白塔调解室,调解室,120.55,28.75\n", encoding="utf-8")
    row, report = import_resources(None, p)
    assert report.ok and row.applied
    point = ResourcePoint.objects.get()
    assert point.unit == org.grid1 and point.unit_path == org.grid1.path  # placed by its grid polygon


def test_resources_bad_rows_write_nothing(org: Org, tmp_path: Path) -> None:
    p = tmp_path / "rooms.csv"
    p.write_text(
        "名称,类别,经度,纬度\n好的,调解室,120.55,28.75\n,调解室,120.5,28.7\n坏的,茶馆,120.5,28.7\n", encoding="utf-8"
    )
    row, report = import_resources(None, p)
    assert not row.applied
    assert any("第 3 行" in e and "缺少名称" in e for e in report.errors)
    assert any("茶馆" in e for e in report.errors)
    assert not ResourcePoint.objects.exists()
