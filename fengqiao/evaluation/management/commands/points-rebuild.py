from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fengqiao.evaluation import actions, points


class Command(BaseCommand):
    help = "Derive the 调解积分 ledger from the case events (idempotent); --from-scratch empties it first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from-scratch", action="store_true")
        parser.add_argument("--sync-track-records", action="store_true", help="write derived records onto mediators")

    def handle(self, *args: Any, **options: Any) -> None:
        report = actions.rebuild_points(None, from_scratch=options["from_scratch"])
        self.stdout.write(
            f"events={report.events} added={report.added} entries={report.total_entries} points={report.total_points}"
        )
        if options["sync_track_records"]:
            self.stdout.write(f"mediators updated: {points.sync_track_records()}")
