from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.core.anchors import write_anchor


class Command(BaseCommand):
    help = "Append the audit chain's head to the anchor file outside the database (run it from cron)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", default="", help="anchor file (default: FENGQIAO_AUDIT_ANCHOR_FILE)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            line = write_anchor(options["file"] or None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"audit head #{line['seq']} anchored"))
