"""Working-day arithmetic over China's 2026 calendar (weekends, holidays, make-up working days)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from fengqiao.supervision.calendar import WorkCalendar, load_calendar

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cal(db):
    return load_calendar()


def test_shipped_2026_calendar(cal):
    assert not cal.is_working_day(dt.date(2026, 10, 1))  # 国庆节
    assert cal.is_working_day(dt.date(2026, 10, 10))  # Saturday, make-up working day
    assert cal.is_working_day(dt.date(2026, 2, 14))  # Saturday before 春节
    assert not cal.is_working_day(dt.date(2026, 2, 16))
    assert not cal.is_working_day(dt.date(2026, 11, 28))  # an ordinary Saturday
    assert cal.is_working_day(dt.date(2026, 11, 27))  # an ordinary Friday


def test_add_working_days_skips_weekend():
    cal = WorkCalendar()
    friday = dt.datetime(2026, 11, 27, 15, 0, tzinfo=SH)
    assert cal.add(friday, 1, "working") == dt.datetime(2026, 11, 30, 15, 0, tzinfo=SH)
    assert cal.add(friday, 1, "calendar") == dt.datetime(2026, 11, 28, 15, 0, tzinfo=SH)


def test_add_working_days_across_national_day_and_make_up_day(cal):
    before = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SH)  # Wednesday before the holiday
    # Oct 1–7 off, Oct 8 Thu, Oct 9 Fri, Oct 10 Sat (make-up working day), Oct 12 Mon
    assert cal.add(before, 1, "working").date() == dt.date(2026, 10, 8)
    assert cal.add(before, 3, "working").date() == dt.date(2026, 10, 10)
    assert cal.add(before, 4, "working").date() == dt.date(2026, 10, 12)


def test_make_up_sunday_before_national_day(cal):
    friday = dt.datetime(2026, 9, 18, 9, 0, tzinfo=SH)
    assert cal.add(friday, 1, "working").date() == dt.date(2026, 9, 20)  # Sunday Sep 20 is a working day


def test_working_days_are_counted_in_local_time(cal):
    # 23:30 UTC on Friday is already Saturday morning in Shanghai.
    late = dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC)
    assert cal.add(late, 1, "working").astimezone(SH).date() == dt.date(2026, 11, 30)


def test_roll_to_working_day(cal):
    holiday = dt.datetime(2026, 10, 3, 11, 0, tzinfo=SH)
    assert cal.roll_to_working_day(holiday).date() == dt.date(2026, 10, 8)
