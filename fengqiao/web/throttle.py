"""Sign-in lockout: five failures in a row lock a username for fifteen minutes.

The counter lives in the database (:class:`~fengqiao.web.models.LoginThrottle`), not the cache, so
all web processes share it; each failure is one locked read-modify-write with ``F()`` increments, so
concurrent attempts are never lost.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fengqiao.web.models import LoginThrottle

MAX_FAILURES = 5
LOCK_MINUTES = 15


def _key(username: str) -> str:
    # Case-folded, so "Admin" and "admin" share one counter.
    return username.strip().casefold()[:150]


def locked_until(username: str) -> dt.datetime | None:
    """When the lock on ``username`` ends, or None if it may try now."""
    return (
        LoginThrottle.objects.filter(username=_key(username), locked_until__gt=timezone.now())
        .values_list("locked_until", flat=True)
        .first()
    )


def register_failure(username: str) -> dt.datetime | None:
    """Count one failed attempt; returns the end of the lock if this failure locked the name."""
    key = _key(username)
    if not key:
        return None
    now = timezone.now()
    with transaction.atomic():
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(username=key)
        rows = LoginThrottle.objects.filter(pk=row.pk)
        if row.locked_until is not None and row.locked_until <= now:
            rows.update(failures=0, locked_until=None)  # an expired lock starts a fresh count
        rows.update(failures=F("failures") + 1, last_failure_at=now)
        rows.filter(failures__gte=MAX_FAILURES, locked_until__isnull=True).update(
            locked_until=now + dt.timedelta(minutes=LOCK_MINUTES)
        )
        return rows.values_list("locked_until", flat=True).first()


def reset(username: str) -> None:
    LoginThrottle.objects.filter(username=_key(username)).update(failures=0, locked_until=None)
