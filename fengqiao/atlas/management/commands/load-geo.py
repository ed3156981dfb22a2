"""``fengqiao load-geo FILE``: boundaries of towns, villages, grids and micro-grids (GeoJSON or
Shapefile), matched to units by code or name; prints the validation report. Nothing is written
when the report has an error."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fengqiao.atlas.actions import import_boundaries
from fengqiao.atlas.validate import AREA_KINDS


class Command(BaseCommand):
    help = "导入乡镇、村（社区）、网格、微网格边界（GeoJSON / Shapefile），按代码或名称匹配单位"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--crs", choices=["wgs84", "gcj02"], default="wgs84", help="文件坐标系（默认 WGS-84）")
        parser.add_argument("--kind", choices=[str(k) for k in AREA_KINDS], default="", help="只匹配这一级单位")
        parser.add_argument("--code-field", default="", help="代码所在字段（默认自动识别 code/adcode/代码…）")
        parser.add_argument("--name-field", default="", help="名称所在字段（默认自动识别 name/名称…）")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")

    def handle(self, *args: Any, **opts: Any) -> None:
        row, report = import_boundaries(
            None,
            opts["file"],
            crs=opts["crs"],
            kind=opts["kind"],
            code_field=opts["code_field"],
            name_field=opts["name_field"],
            dry_run=opts["dry_run"],
        )
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError("校验未通过，未写入任何边界")
        self.stdout.write(f"已写入 {len(report.matched)} 个单位的边界" if row.applied else "校验通过（未写入）")
