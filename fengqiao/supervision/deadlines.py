"""Deadlines from policies, the supervision clock and its pauses."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from fengqiao.supervision.calendar import load_calendar
from fengqiao.supervision.models import DayUnit, DeadlinePolicy

if TYPE_CHECKING:
    from fengqiao.cases.models import Case


_POLICY_TTL = 30.0
_policies: tuple[float, list[DeadlinePolicy]] | None = None


def _active_policies() -> list[DeadlinePolicy]:
    """The active policies, cached per process for a few seconds (every new case needs them; they
    change a few times a year). A change in this process clears the cache at once; other processes
    see it within ``_POLICY_TTL`` seconds."""
    global _policies
    now = time.monotonic()
    if _policies is None or now - _policies[0] > _POLICY_TTL:
        _policies = (now, list(DeadlinePolicy.objects.filter(is_active=True).select_related("category")))
    return _policies[1]


def _forget_policies(**_: object) -> None:
    global _policies
    _policies = None


post_save.connect(_forget_policies, sender=DeadlinePolicy, dispatch_uid="deadline-policy-cache")
post_delete.connect(_forget_policies, sender=DeadlinePolicy, dispatch_uid="deadline-policy-cache-del")


def policy_for(case: Case) -> DeadlinePolicy | None:
    """The most specific active policy: level-2 type > level-1 type > any; channel; level; priority."""
    candidates = _active_policies()
    best: tuple[tuple[int, int, int, int], DeadlinePolicy] | None = None
    category = case.category
    for p in candidates:
        if p.category_id is not None:
            if category is None or p.category_id not in (category.pk, category.parent_id):
                continue
            cat_score = 2 if p.category_id == category.pk else 1
        else:
            cat_score = 0
        if p.channel and p.channel != case.channel:
            continue
        if p.level is not None and p.level != case.level:
            continue
        score = (cat_score, 1 if p.channel else 0, 1 if p.level is not None else 0, p.priority)
        if best is None or score > best[0]:
            best = (score, p)
    return best[1] if best else None


def apply_policy(case: Case, start: dt.datetime, policy: DeadlinePolicy | None = None) -> None:
    """Set the case's deadlines and colour thresholds from its policy, counted from ``start``: the
    ``policy`` given (a routing rule may name one) or the best match for the case's type, channel and
    level."""
    policy = policy if policy is not None else policy_for(case)
    cal = load_calendar()
    unit: str
    if policy is None:
        cfg = settings.FENGQIAO_DEADLINES
        unit, accept_h, contact_h, complete, yellow, red = (
            DayUnit.CALENDAR,
            cfg["accept_hours"],
            cfg["contact_hours"],
            cfg["complete_days"],
            7,
            14,
        )
    else:
        unit, accept_h, contact_h, complete, yellow, red = (
            policy.unit,
            policy.accept_hours,
            policy.contact_hours,
            policy.complete_days,
            policy.yellow_after_days,
            policy.red_after_days,
        )
    case.deadline_policy = policy
    case.accept_due = _after_hours(cal, start, accept_h, unit)
    case.contact_due = _after_hours(cal, start, contact_h, unit)
    case.due_at = cal.add(start, complete, unit)
    case.yellow_at = min(cal.add(start, yellow, unit), case.due_at - dt.timedelta(hours=24))
    case.red_at = min(cal.add(start, red, unit), case.due_at)
    case.reminded_accept_at = case.reminded_contact_at = case.reminded_due_at = None


def _after_hours(cal: object, start: dt.datetime, hours: int, unit: str) -> dt.datetime:
    from fengqiao.supervision.calendar import WorkCalendar

    assert isinstance(cal, WorkCalendar)
    if unit == DayUnit.WORKING:
        days, rest = divmod(hours, 24)
        moment = cal.add(start, days, unit) + dt.timedelta(hours=rest)
        return cal.roll_to_working_day(moment)
    return start + dt.timedelta(hours=hours)


DEADLINE_FIELDS = ("accept_due", "contact_due", "due_at", "yellow_at", "red_at")


def shift_after_pause(case: Case, paused_at: dt.datetime, resumed_at: dt.datetime) -> None:
    """The clock stood still while paused: move every deadline still ahead by the time paused
    (landing on a working day for working-day policies)."""
    pause = resumed_at - paused_at
    cal = load_calendar()
    working = case.deadline_policy is not None and case.deadline_policy.unit == DayUnit.WORKING
    for name in DEADLINE_FIELDS:
        value = getattr(case, name)
        if value is not None and value > paused_at:
            moved = value + pause
            setattr(case, name, cal.roll_to_working_day(moved) if working else moved)
