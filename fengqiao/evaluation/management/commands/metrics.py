from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.evaluation import periods, services
from fengqiao.evaluation.metrics import display_value
from fengqiao.org.models import Unit


class Command(BaseCommand):
    help = "Print every metric of a unit for a period: numerator, denominator, value and formula."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", required=True, help="unit code, e.g. 331024103")
        parser.add_argument(
            "--period", default="", help="2026-11, 2026-Q4, 2026-W45, 2026 or a..b (default: this month)"
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"单位代码不存在：{options['unit']}")
        try:
            period = periods.parse(options["period"]) if options["period"] else periods.current_month()
        except periods.PeriodError as exc:
            raise CommandError(str(exc)) from exc
        results = services.unit_metrics(unit, period)
        if options["json"]:
            out = {
                "unit": unit.code,
                "unit_name": unit.name,
                "period": period.code,
                "metrics": [r.as_json() for r in results],
            }
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{unit.name} {period.label}")
        for r in results:
            self.stdout.write(
                f"  {r.name:<12} {display_value(r.kind, r.value):>8}  {r.numerator:g}/{r.denominator:g}  {r.formula}"
            )
