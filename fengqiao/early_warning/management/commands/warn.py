from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run every enabled warning model once (incremental; --full recomputes everything)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print {raised, updated, closed} as JSON")
        parser.add_argument("--full", action="store_true", help="recompute every subject, not only new cases")

    def handle(self, *args: Any, **options: Any) -> None:
        from fengqiao.early_warning.engine import run
        from fengqiao.early_warning.sweep import sweep

        result = run(full=True if options["full"] else None)
        swept = sweep()
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=1, default=str))
            return
        self.stdout.write(
            f"预警研判：新发布 {len(result.raised)}，更新 {len(result.updated)}，自动关闭 {len(result.closed)}，"
            f"新案件 {result.new_cases}，{'全量' if result.full else '增量'}；催办 {swept['reminded']}，升级 {swept['escalated']}"
        )
