from __future__ import annotations

from celery import shared_task

from fengqiao.cases.models import CaseEvent
from fengqiao.notify.models import Notification
from fengqiao.notify.recipients import recipients_for


def fan_out(event_ids: list[int]) -> int:
    """Inbox notifications for events: one query for the events, each unit's desk looked up once, one
    insert. Idempotent: one row per (user, event); rows already there are kept (a retried task)."""
    events = CaseEvent.objects.select_related("case", "case__owner_unit", "case__pending_unit").filter(pk__in=event_ids)
    memo: dict[int, list[int]] = {}
    rows = [
        Notification(user_id=user_id, case=event.case, event=event, kind=kind)
        for event in events
        for user_id, kind in recipients_for(event, memo).items()
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def on_events_committed(sender: object, event_ids: list[int], **_: object) -> None:
    """Case events were committed (``cases.hooks.events_committed``): one fan-out task per action."""
    from fengqiao.core.tasks import enqueue

    if len(event_ids) == 1:
        enqueue(fanout_event, event_ids[0])
    else:
        for start in range(0, len(event_ids), 500):
            enqueue(fanout_events, event_ids[start : start + 500])


@shared_task(bind=True, max_retries=5, default_retry_delay=5, acks_late=True)
def fanout_event(self, event_id: int) -> int:  # type: ignore[no-untyped-def]
    """Create inbox notifications for one event."""
    return fan_out([event_id])


@shared_task(bind=True, max_retries=5, default_retry_delay=5, acks_late=True)
def fanout_events(self, event_ids: list[int]) -> int:  # type: ignore[no-untyped-def]
    """Inbox notifications for a batch of events (a bulk registration)."""
    return fan_out(event_ids)


@shared_task(acks_late=True)
def relay_outbox() -> dict[str, int]:
    from django.core.cache import cache

    from fengqiao.notify.outbox import relay
    from fengqiao.notify.templates import RELAY_PENDING_KEY

    cache.delete(RELAY_PENDING_KEY)  # before claiming: a message committed from now on queues a new run

    r = relay()
    return {"sent": r.sent, "failed": r.failed, "dead": r.dead}


@shared_task(acks_late=True)
def remind_ratings() -> int:
    from fengqiao.notify.reminders import remind_unrated

    return remind_unrated()


CATCH_UP_MINUTES = 15


@shared_task(acks_late=True)
def catch_up_fanout(minutes: int = CATCH_UP_MINUTES) -> int:
    """Fan out the events of the last ``minutes`` again (idempotent: one row per user and event).
    Covers events whose fan-out task was never queued or never ran (the broker was down after the
    commit and the web process stopped before running it itself — fengqiao.core.tasks.enqueue)."""
    import datetime as dt

    from django.utils import timezone

    since = timezone.now() - dt.timedelta(minutes=minutes)
    ids = list(CaseEvent.objects.filter(at__gte=since).order_by("pk").values_list("pk", flat=True)[:20000])
    return sum(fan_out(ids[i : i + 500]) for i in range(0, len(ids), 500))
