"""``fengqiao load-resources FILE``: resource points for the map (调解员工作室, 调解室, 综治中心…)
from GeoJSON points or a CSV with 名称, 类别, 经度, 纬度 (optional 单位代码, 地址, 说明)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fengqiao.atlas.actions import import_resources
from fengqiao.atlas.models import ResourceKind


class Command(BaseCommand):
    help = "导入地图资源点位（GeoJSON 点或 CSV）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--crs", choices=["wgs84", "gcj02"], default="wgs84")
        parser.add_argument(
            "--kind", choices=[str(k) for k in ResourceKind.values], default="", help="文件未写类别时使用"
        )
        parser.add_argument("--replace", action="store_true", help="先删除文件中各类别原有的点位")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        row, report = import_resources(
            None, opts["file"], crs=opts["crs"], kind=opts["kind"], replace=opts["replace"], dry_run=opts["dry_run"]
        )
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError("校验未通过，未写入任何点位")
        self.stdout.write(f"已写入 {len(report.matched)} 个点位" if row.applied else "校验通过（未写入）")
