"""Scheduled triage work (Celery beat in production; run-scheduler in the demo)."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(acks_late=True)
def retrain_nightly() -> list[dict[str, Any]]:
    """Celery beat, nightly: retrain the type and domain classifiers (fengqiao.triage.learning)."""
    from fengqiao.triage.learning import nightly

    return nightly()
