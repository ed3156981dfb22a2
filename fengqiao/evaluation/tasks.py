"""Scheduled evaluation work (Celery beat in production; run-scheduler in the demo)."""

from __future__ import annotations

from celery import shared_task


def refresh_index_now() -> int:
    """Recompute the running month's index for towns and departments, and any stored index a case
    change made stale (the pages show how fresh it is)."""
    from django.utils import timezone

    from fengqiao.evaluation import periods
    from fengqiao.evaluation.services import KINDS, compute_index, stale_periods

    period = periods.current_month()
    now = timezone.now()  # one build of the month's sums serves both kinds
    n = sum(len(compute_index(period, kind, now=now)) for kind in KINDS)
    for kind in KINDS:  # stored indexes of other periods that a case change made stale
        for code in stale_periods(kind):
            if code != period.code:
                n += len(compute_index(periods.parse(code), kind, now=now))
    return n


def monthly_reports_now() -> int:
    """The last month's report for every town and department and the county, once each."""
    from fengqiao.evaluation import periods
    from fengqiao.evaluation.reports import generate_missing

    last = periods.current_month().previous()
    return generate_missing(last)


@shared_task(acks_late=True)
def rebuild_points(user_id: int | None = None) -> int:
    """A leader's 重新核算 (minutes at millions of events: never inside a web request); recorded."""
    from fengqiao.evaluation import actions
    from fengqiao.org.models import User

    user = User.objects.filter(pk=user_id).first() if user_id else None
    return int(actions.rebuild_points(user).added)


@shared_task(acks_late=True)
def refresh_index() -> int:
    return refresh_index_now()


@shared_task(acks_late=True)
def monthly_reports() -> int:
    return monthly_reports_now()
