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


@shared_task(acks_late=False, ignore_result=True)
def refresh_dashboard(user_id: int, code: str | None, language: str) -> None:
    """Recompute one big screen's kept payload (queued by a screen's refresh that found it older than
    ``figures.CACHE_SECONDS``); the scope and its cases as the requesting user sees them."""
    from django.shortcuts import get_object_or_404
    from django.utils import translation

    from fengqiao.atlas import figures
    from fengqiao.atlas.scope import SCREEN_KINDS, scope_cases, user_scope
    from fengqiao.org.models import Unit, User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    with translation.override(language):
        unit = get_object_or_404(Unit, code=code, kind__in=SCREEN_KINDS) if code else None
        if user is not None:  # (gone meanwhile: the next screen's refresh queues it again after the lock)
            scope = user_scope(user, unit)
            figures.store_payload(scope_cases(user, scope), scope)
