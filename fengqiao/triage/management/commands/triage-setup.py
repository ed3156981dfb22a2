"""fengqiao triage-setup: shipped type/domain models (trained on project-written examples) and the risk lexicon."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fengqiao.triage.ml.training import setup_shipped


class Command(BaseCommand):
    help = "训练并登记内置分类模型（纠纷类型、诉求领域），写入风险词库。可重复执行。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force-activate", action="store_true", help="即使已有其他启用版本也启用内置模型")

    def handle(self, *args: Any, **o: Any) -> None:
        report = setup_shipped(force_activate=o["force_activate"], out=self.stdout)
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
