from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def run_sweep() -> str:
    from fengqiao.supervision.sweep import sweep

    return str(sweep())


@shared_task(acks_late=True)
def run_accountability() -> dict[str, int]:
    from fengqiao.supervision.accountability import detect

    return dict(detect())
