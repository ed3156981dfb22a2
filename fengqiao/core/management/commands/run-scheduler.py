from __future__ import annotations

import os
import signal
import time
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections


class Command(BaseCommand):
    """The embedded scheduler (what Celery beat does in production): sweep every minute, relay the
    outbox every few seconds. One process; stops cleanly on SIGTERM/SIGINT."""

    help = "Run periodic work in-process: the supervision sweep and the outbox relay."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sweep-every", type=float, default=60)
        parser.add_argument("--relay-every", type=float, default=5)
        parser.add_argument(
            "--with-parent",
            type=int,
            default=0,
            help="stop when this process id (the server that started us) is gone",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from fengqiao.notify.outbox import relay
        from fengqiao.supervision.sweep import sweep

        running = {"on": True}

        def stop(*_: Any) -> None:
            running["on"] = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        from fengqiao.core.dbmaint import optimize
        from fengqiao.notify.reminders import remind_unrated
        from fengqiao.supervision.accountability import detect

        next_sweep = next_relay = next_detect = next_optimize = next_evaluation = next_warn = 0.0
        retrained_on = _retrain_day()  # triage retraining: nightly at 02:30 local time, not at start
        parent = options["with_parent"]
        while running["on"]:
            if parent and os.getppid() != parent:
                break  # the server was stopped (by a signal we were not sent): stop with it
            now = time.monotonic()
            close_old_connections()
            try:
                if now >= next_sweep:
                    report = sweep()
                    if report.counts:
                        self.stdout.write(f"sweep: {report}")
                    next_sweep = now + options["sweep_every"]
                if now >= next_detect:
                    found = detect()
                    if found:
                        self.stdout.write(f"accountability: {dict(found)}")
                    reminded = remind_unrated()  # rating reminders, hourly with detection
                    if reminded:
                        self.stdout.write(f"rating reminders: {reminded}")
                    next_detect = now + 3600
                if now >= next_evaluation:
                    from fengqiao.evaluation.tasks import monthly_reports_now, refresh_index_now

                    self.stdout.write(f"evaluation: index {refresh_index_now()} units, reports {monthly_reports_now()}")
                    next_evaluation = now + 3600
                if now >= next_warn and apps.is_installed("fengqiao.early_warning"):
                    from fengqiao.early_warning.tasks import run_warnings

                    warned = run_warnings()  # the warning models, every ten minutes
                    if warned.get("raised") or warned.get("closed"):
                        self.stdout.write(f"warnings: {warned}")
                    next_warn = now + 600
                if _retrain_day() != retrained_on:
                    from fengqiao.triage.learning import nightly

                    retrained_on = _retrain_day()
                    self.stdout.write(f"triage retraining: {[(r['task'], r['status']) for r in nightly()]}")
                if now >= next_optimize:
                    optimize()  # planner statistics (SQLite); daily
                    next_optimize = now + 86400
                if now >= next_relay:
                    result = relay()
                    if result.sent or result.failed or result.dead:
                        self.stdout.write(f"relay: sent={result.sent} failed={result.failed} dead={result.dead}")
                    next_relay = now + options["relay_every"]
            except Exception as exc:  # keep the scheduler alive; the next tick retries
                self.stderr.write(f"scheduler error: {exc!r}")
            time.sleep(0.5)


def _retrain_day() -> Any:
    """The local date of the last 02:30 that has passed (changes once a night)."""
    import datetime as dt

    from django.utils import timezone

    return (timezone.localtime() - dt.timedelta(hours=2, minutes=30)).date()
