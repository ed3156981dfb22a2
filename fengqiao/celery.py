"""Celery application. Without CELERY_BROKER_URL tasks run eagerly, in-process."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import celeryd_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")

app = Celery("fengqiao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _warm_up(**_: object) -> None:
    """Each worker process runs the apps' warm-ups (the triage models) before its first task (see
    fengqiao/wsgi.py and fengqiao/core/registry.py)."""
    if os.environ.get("FENGQIAO_WARM_UP", "1") == "0":
        return
    from fengqiao.core.registry import warm_up

    warm_up()


@celeryd_init.connect
def _worker_statement_timeout(**_: object) -> None:
    """Background sweeps and batches may query longer than a page may (15 s, settings.py): workers
    use FENGQIAO_WORKER_STATEMENT_TIMEOUT_MS (default 5 minutes) on each new connection."""
    from fengqiao.core.outage import use_statement_timeout

    use_statement_timeout(int(os.environ.get("FENGQIAO_WORKER_STATEMENT_TIMEOUT_MS", "300000")))
