from __future__ import annotations

import os
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from fengqiao.core.registry import JOBS


class Command(BaseCommand):
    """The embedded scheduler (what Celery beat does in production): runs the periodic jobs the apps
    registered in :mod:`fengqiao.core.registry` (the supervision sweep every minute, the outbox relay
    every few seconds, ...). One process; stops cleanly on SIGTERM/SIGINT."""

    help = "Run periodic work in-process: every job the installed apps registered."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sweep-every", type=float, default=None)
        parser.add_argument("--relay-every", type=float, default=None)
        parser.add_argument(
            "--with-parent",
            type=int,
            default=0,
            help="stop when this process id (the server that started us) is gone",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        running = {"on": True}

        def stop(*_: Any) -> None:
            running["on"] = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        due = dict.fromkeys(JOBS, 0.0)
        parent = options["with_parent"]
        while running["on"]:
            if parent and os.getppid() != parent:
                break  # the server was stopped (by a signal we were not sent): stop with it
            close_old_connections()
            for name, job in list(JOBS.items()):
                now = time.monotonic()
                if now < due.get(name, 0.0):
                    continue
                every = options.get(job.option) if job.option else None
                due[name] = now + (every if every is not None else job.every)
                try:
                    result = job.run()
                    if result:
                        self.stdout.write(f"{name}: {result}")
                except Exception as exc:  # keep the scheduler alive; the next tick retries
                    self.stderr.write(f"scheduler error in {name}: {exc!r}")
            time.sleep(0.5)
