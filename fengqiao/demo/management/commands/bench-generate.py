from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fengqiao.demo.bulk import generate_cases
from fengqiao.org.models import Unit


class Command(BaseCommand):
    help = "Insert N synthetic cases (benchmark load). Optionally all owned by one unit (--unit CODE)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--unit", help="unit code that owns all generated cases")

    def handle(self, *args: Any, **options: Any) -> None:
        units = [Unit.objects.get(code=options["unit"])] if options.get("unit") else None
        start = time.perf_counter()
        made = generate_cases(options["cases"], units)
        self.stdout.write(f"generated {made} cases in {time.perf_counter() - start:.1f}s")
