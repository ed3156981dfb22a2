"""Rating reminder: one message to the applicant when a case was resolved (or referred / closed)
three days ago and is still not rated. Idempotent: the dedup key names the case and the moment of
its resolution, so each resolution is reminded at most once however often this runs (a reopened and
again resolved case gets a new reminder). Runs in the embedded scheduler and as a Celery beat task."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from fengqiao.cases.models import Case
from fengqiao.cases.workflow import State
from fengqiao.notify.models import MessageTemplate, OutboundMessage
from fengqiao.notify.templates import applicant_channel, kick_relay, render

EVENT_CODE = "portal.rate_reminder"
REMIND_AFTER = dt.timedelta(days=3)
WINDOW = dt.timedelta(days=14)  # older unrated cases are not reminded any more
RATABLE = [State.RESOLVED, State.UNRESOLVED, State.CLOSED]


def dedup_key(case: Case) -> str:
    assert case.resolved_at is not None
    return f"rate-remind:{case.pk}:{int(case.resolved_at.timestamp())}"


def remind_unrated(now: dt.datetime | None = None, batch: int = 500) -> int:
    """Queue the reminders that are due; returns how many were newly queued."""
    now = now or timezone.now()
    tpl = MessageTemplate.objects.filter(event_code=EVENT_CODE, is_active=True).first()
    if tpl is None:
        return 0
    due = (
        Case.objects.filter(
            state__in=RATABLE,
            satisfaction="",
            resolved_at__lte=now - REMIND_AFTER,
            resolved_at__gt=now - REMIND_AFTER - WINDOW,
        )
        .select_related("owner_unit", "handler")
        .order_by("resolved_at")
    )
    cases = list(due[: batch * 4])
    keys = {dedup_key(c): c for c in cases}
    done = set(OutboundMessage.objects.filter(dedup_key__in=list(keys)).values_list("dedup_key", flat=True))
    queued = 0
    for key, case in keys.items():
        if key in done or queued >= batch:
            continue
        channel, recipient = applicant_channel(case)
        if not recipient:
            continue
        with transaction.atomic():
            created = OutboundMessage.objects.bulk_create(
                [
                    OutboundMessage(
                        channel=channel,
                        recipient=recipient,
                        text=render(tpl.text, case),
                        dedup_key=key,
                        case=case,
                        template=tpl.name,
                    )
                ],
                ignore_conflicts=True,
            )
            queued += len(created)
    if queued:
        kick_relay()
    return queued
