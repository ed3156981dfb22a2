"""Deadlines of a warning's handling steps, counted in working days on the supervision calendar."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from fengqiao.supervision.calendar import load_calendar

# Working days allowed for each step, by level (red is the most urgent).
DEFAULT_DAYS = {4: 1, 3: 2, 2: 3, 1: 5}


def step_days(level: int) -> int:
    days: dict[int, int] = getattr(settings, "FENGQIAO_WARNING_STEP_DAYS", DEFAULT_DAYS)
    return int(days.get(int(level), 5))


def due_for(level: int, start: dt.datetime) -> dt.datetime:
    return load_calendar().add(start, step_days(level), "working")
