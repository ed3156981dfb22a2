from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from fengqiao.supervision.accountability import detect


class Command(BaseCommand):
    help = "Detect accountability records (应录未录, 应调未调, 推诿扯皮, repeated overdue) and print the new ones."

    def handle(self, *args: Any, **options: Any) -> None:
        found = detect()
        self.stdout.write(", ".join(f"{k}={v}" for k, v in sorted(found.items())) or "no new records")
