from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fengqiao.supervision.sweep import sweep


class Command(BaseCommand):
    help = "Run the supervision sweep once (colours, reminders, instruction reminders) and print what changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
        start = time.perf_counter()
        report = sweep(batch=options["batch"])
        self.stdout.write(f"{report} ({time.perf_counter() - start:.2f}s)")
