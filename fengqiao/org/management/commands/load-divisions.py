from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.org.divisions import load_county


class Command(BaseCommand):
    help = "Build a county's towns, villages and grids from the shipped NBS division data (Zhejiang)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--county", required=True, help="6-digit county code, e.g. 331024 for 仙居县")
        parser.add_argument("--grids-per-village", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = load_county(options["county"], grids_per_village=options["grids_per_village"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(", ".join(f"{k}={v}" for k, v in counts.items()))
