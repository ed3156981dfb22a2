"""Scheduled atlas work: the rollups' refresh (every minute) and their nightly full rebuild.

Register with Celery beat / run-scheduler like the other apps' jobs (docs/scaling.md):
``refresh_rollups`` every 60 s, ``rebuild_rollups`` once a day.
"""

from __future__ import annotations

from celery import shared_task


def refresh_rollups_now() -> int:
    from fengqiao.atlas.rollup import refresh

    return refresh()


def rebuild_rollups_now() -> int:
    from fengqiao.atlas.rollup import rebuild_all

    return rebuild_all()


@shared_task(acks_late=True)
def refresh_rollups() -> int:
    return refresh_rollups_now()


@shared_task(acks_late=True)
def rebuild_rollups() -> int:
    return rebuild_rollups_now()
