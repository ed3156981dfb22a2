"""Working-day arithmetic over China's calendar: weekends, public holidays and make-up working days."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.utils import timezone

HOLIDAYS_FILE = Path(__file__).parent / "data" / "holidays.json"
CACHE_KEY = "fengqiao:calendar:v1"


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The same time of day on the ``days``-th working day after ``start``'s date."""
        day = start.date()
        counted = 0
        while counted < days:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return start.replace(year=day.year, month=day.month, day=day.day)

    def add(self, start: dt.datetime, days: int, unit: str) -> dt.datetime:
        """``days`` calendar or working days after ``start`` (working days counted in local time)."""
        if unit == "working":
            local = timezone.localtime(start) if timezone.is_aware(start) else start
            return self.add_working_days(local, days)
        return start + dt.timedelta(days=days)

    def roll_to_working_day(self, moment: dt.datetime) -> dt.datetime:
        moment = timezone.localtime(moment) if timezone.is_aware(moment) else moment
        day = moment.date()
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return moment.replace(year=day.year, month=day.month, day=day.day)


def load_calendar() -> WorkCalendar:
    """The calendar from the database (admin-editable), cached for a minute."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from fengqiao.supervision.models import CalendarDay, DayKind

    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for date, kind in CalendarDay.objects.values_list("date", "kind"):
        (holidays if kind == DayKind.HOLIDAY else workdays).add(date)
    result = WorkCalendar(frozenset(holidays), frozenset(workdays))
    cache.set(CACHE_KEY, result, 60)
    return result


def invalidate() -> None:
    cache.delete(CACHE_KEY)


def seed_days(day_model: Any) -> int:
    """Load the shipped holiday file into ``CalendarDay`` (used by a data migration)."""
    data = json.loads(HOLIDAYS_FILE.read_text(encoding="utf-8"))
    count = 0
    for year, spec in data.items():
        if year.startswith("_"):
            continue
        for kind, key in (("holiday", "holidays"), ("workday", "workdays")):
            for date, name in spec[key]:
                day_model.objects.update_or_create(
                    date=dt.date.fromisoformat(date),
                    defaults={"kind": kind, "name": name, "provisional": spec.get("provisional", False)},
                )
                count += 1
    return count
