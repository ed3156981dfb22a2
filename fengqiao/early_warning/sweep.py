"""Reminders and escalation of warnings whose handling step is overdue (the supervision idea applied
to warnings): first a reminder; one working day later still overdue, the warning moves up to the
owner unit's parent (a town's warning goes to the county), at most twice."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db import transaction
from django.utils import timezone

from fengqiao.early_warning.actions import _record
from fengqiao.early_warning.deadlines import due_for
from fengqiao.early_warning.models import OPEN_STATUSES, Warning
from fengqiao.supervision.calendar import load_calendar

MAX_ESCALATIONS = 2


def sweep(now: dt.datetime | None = None) -> Counter[str]:
    now = now or timezone.now()
    done: Counter[str] = Counter()
    cal = load_calendar()
    with transaction.atomic():
        rows = Warning.objects.select_for_update(of=("self",)).select_related("owner_unit__parent", "model")
        for w in rows.filter(status__in=OPEN_STATUSES, due_at__lt=now, reminded_at__isnull=True):
            w.reminded_at = now
            w.save(update_fields=["reminded_at"])
            _record(
                w,
                "warning.remind",
                None,
                None,
                w.status,
                w.status,
                "本环节已超时限",
                due=w.due_at.isoformat() if w.due_at else "",
            )
            done["reminded"] += 1
        for w in rows.filter(
            status__in=OPEN_STATUSES, due_at__lt=now, reminded_at__isnull=False, escalations__lt=MAX_ESCALATIONS
        ):
            assert w.reminded_at is not None
            if now < cal.add(w.reminded_at, 1, "working") or w.owner_unit.parent is None:
                continue
            before = w.owner_unit
            parent = before.parent
            assert parent is not None
            w.owner_unit = parent
            w.escalations += 1
            w.reminded_at = None
            w.due_at = due_for(w.level, now)
            w.version += 1
            w.save()
            _record(
                w,
                "warning.escalate",
                None,
                None,
                w.status,
                w.status,
                "催办后仍超时，升级至上级",
                **{"from": before.pk, "to": w.owner_unit_id},
            )
            done["escalated"] += 1
    return done
