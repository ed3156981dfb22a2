"""Triage's background work: the step after registration, the catch-up of lost hand-offs, and the nightly
retraining (Celery beat in production; run-scheduler in the demo)."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=2)
def triage_new_cases(self, case_ids: list[int]) -> int:  # type: ignore[no-untyped-def]
    """Triage and record new cases (idempotent: a case already triaged is skipped)."""
    from fengqiao.triage.handoff import triage

    try:
        return triage(case_ids)
    except Exception as exc:
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, acks_late=True, max_retries=5, default_retry_delay=2)
def drain_pending(self) -> int:  # type: ignore[no-untyped-def]
    """Triage the pending cases in batches (fengqiao.triage.handoff.drain): queued, coalesced, after
    registrations commit."""
    from fengqiao.triage.handoff import drain

    try:
        return drain()
    except Exception as exc:
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc) from exc


@shared_task(acks_late=True)
def triage_catch_up() -> int:
    from fengqiao.triage.handoff import catch_up

    return catch_up()


@shared_task(acks_late=True)
def retrain_nightly() -> list[dict[str, Any]]:
    """Celery beat, nightly: retrain the type and domain classifiers (fengqiao.triage.learning)."""
    from fengqiao.triage.learning import nightly

    return nightly()
