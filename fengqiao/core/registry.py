"""What later apps hand to the ground floor without the ground floor importing them.

* Periodic jobs: each app registers its jobs in ``AppConfig.ready()`` (:func:`register_job`); the
  embedded scheduler (``manage.py run-scheduler``) runs them, Celery beat runs the named task of each
  (``CELERY_BEAT_SCHEDULE`` in settings lists the same tasks; ``tests/core/test_floors.py`` checks
  that every job with a task has its beat entry).
* Warm-ups: what a process loads once before its first request or task (the triage models), run by
  fengqiao/wsgi.py before the fork (gunicorn ``--preload``) and by each Celery worker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: float  # seconds between two runs in the embedded scheduler
    run: Callable[[], Any]
    task: str = ""  # the Celery task that does the same work under beat
    option: str = ""  # a run-scheduler option that overrides ``every`` (e.g. "sweep_every")


JOBS: dict[str, Job] = {}
WARM_UPS: dict[str, Callable[[], Any]] = {}


def register_job(name: str, every: float, run: Callable[[], Any], *, task: str = "", option: str = "") -> None:
    """Register (or replace) a periodic job; ``run`` returns something worth printing, or a falsy value."""
    JOBS[name] = Job(name, every, run, task, option)


def register_warm_up(name: str, fn: Callable[[], Any]) -> None:
    WARM_UPS[name] = fn


def warm_up() -> float:
    """Run every registered warm-up; returns the seconds taken. A failure is logged, never raised."""
    t = time.perf_counter()
    for name, fn in list(WARM_UPS.items()):
        try:
            fn()
        except Exception:
            log.exception("warm-up %s failed", name)
    return time.perf_counter() - t
