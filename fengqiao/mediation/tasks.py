from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def mediation_reminders() -> dict[str, int]:
    """Session reminders (24 h ahead) and due return visits: idempotent, every five minutes."""
    from fengqiao.mediation.schedule import run_jobs

    return run_jobs()
