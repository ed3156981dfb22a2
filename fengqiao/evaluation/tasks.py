"""Scheduled evaluation work (Celery beat in production; run-scheduler in the demo)."""

from __future__ import annotations

from celery import shared_task


def refresh_index_now() -> int:
    """Recompute the running month's index for towns and departments (the pages show how fresh it is)."""
    from fengqiao.evaluation import periods
    from fengqiao.evaluation.services import KINDS, compute_index

    period = periods.current_month()
    return sum(len(compute_index(period, kind)) for kind in KINDS)


def monthly_reports_now() -> int:
    """The last month's report for every town and department and the county, once each."""
    from fengqiao.evaluation import periods
    from fengqiao.evaluation.reports import generate_missing

    last = periods.current_month().previous()
    return generate_missing(last)


@shared_task(acks_late=True)
def refresh_index() -> int:
    return refresh_index_now()


@shared_task(acks_late=True)
def monthly_reports() -> int:
    return monthly_reports_now()
