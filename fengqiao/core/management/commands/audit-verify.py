from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fengqiao.core.audit import verify_chain


class Command(BaseCommand):
    help = "Walk the audit chain and name the first row that was edited, inserted or deleted."

    def handle(self, *args: Any, **options: Any) -> None:
        count, problem = verify_chain()
        if problem:
            raise CommandError(f"audit chain broken at row #{problem.seq} ({problem.kind}): {problem.message}")
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {count} rows verified"))
