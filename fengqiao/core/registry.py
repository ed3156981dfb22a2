"""What later apps hand to the ground floor without the ground floor importing them.

* Periodic jobs: each app registers its jobs in ``AppConfig.ready()`` (:func:`register_job`); the
  embedded scheduler (``manage.py run-scheduler``) runs them, Celery beat runs the named task of each
  (``CELERY_BEAT_SCHEDULE`` in settings lists the same tasks; ``tests/core/test_floors.py`` checks
  that every job with a task has its beat entry).
* Door URLs: pages a later app adds under an earlier app's door (the volunteer pages under /portal/v/),
  registered as a module path (:func:`register_door_urls`) and mounted by that door's ``urls.py``
  (:func:`door_urls`), so the door imports no later app.
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
DOOR_URLS: dict[str, list[str]] = {}


def register_door_urls(door: str, module: str) -> None:
    """Mount ``module``'s ``urlpatterns`` under the door ``door`` (e.g. "portal")."""
    modules = DOOR_URLS.setdefault(door, [])
    if module not in modules:
        modules.append(module)


def door_urls(door: str) -> list[Any]:
    """The URL patterns later apps registered for ``door``, in registration order."""
    from importlib import import_module

    out: list[Any] = []
    for module in DOOR_URLS.get(door, []):
        out += import_module(module).urlpatterns
    return out


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
