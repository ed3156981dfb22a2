"""Statistical periods: a day, an ISO week, a month, a quarter, a year or a custom range of days.

Written forms (in URLs, the API and the commands):

    2026-11-03            a day
    2026-W45              an ISO week (Monday to Sunday)
    2026-11               a month
    2026-Q4               a quarter
    2026                  a year
    2026-11-01..2026-11-15  a custom range of days (both ends included)

Every period is a half-open range of local (Asia/Shanghai) midnights, [start, end). A period that starts
after today is refused ("统计期间不能晚于今天"); one that is still running is computed up to now.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext


class PeriodError(ValueError):
    """A malformed or future period; the message is plain Chinese for the user."""


@dataclass(frozen=True)
class Period:
    kind: str  # day | week | month | quarter | year | custom
    first: dt.date  # first day, included
    last: dt.date  # last day, included
    code: str

    @property
    def start(self) -> dt.datetime:
        return _local_midnight(self.first)

    @property
    def end(self) -> dt.datetime:
        return _local_midnight(self.last + dt.timedelta(days=1))

    @property
    def label(self) -> str:
        if self.kind == "day":
            return gettext("%(y)s年%(m)s月%(d)s日") % {"y": self.first.year, "m": self.first.month, "d": self.first.day}
        if self.kind == "week":
            iso = self.first.isocalendar()
            return gettext("%(y)s年第%(w)s周") % {"y": iso[0], "w": iso[1]}
        if self.kind == "month":
            return gettext("%(y)s年%(m)s月") % {"y": self.first.year, "m": self.first.month}
        if self.kind == "quarter":
            return gettext("%(y)s年第%(q)s季度") % {"y": self.first.year, "q": (self.first.month - 1) // 3 + 1}
        if self.kind == "year":
            return gettext("%(y)s年") % {"y": self.first.year}
        return f"{self.first:%Y-%m-%d} — {self.last:%Y-%m-%d}"

    def previous(self) -> Period:
        """The period of the same kind just before this one (a custom range: the same number of days)."""
        if self.kind == "day":
            return day(self.first - dt.timedelta(days=1))
        if self.kind == "week":
            return week(self.first - dt.timedelta(days=7))
        if self.kind == "month":
            return month((self.first - dt.timedelta(days=1)).replace(day=1))
        if self.kind == "quarter":
            return quarter(self.first - dt.timedelta(days=1))
        if self.kind == "year":
            return year(self.first.year - 1)
        days = (self.last - self.first).days + 1
        last = self.first - dt.timedelta(days=1)
        return custom(last - dt.timedelta(days=days - 1), last)

    def contains_date(self, d: dt.date) -> bool:
        return self.first <= d <= self.last

    def months(self) -> list[str]:
        """The months (YYYY-MM) this period touches."""
        out = []
        d = self.first.replace(day=1)
        while d <= self.last:
            out.append(f"{d:%Y-%m}")
            d = (d + dt.timedelta(days=32)).replace(day=1)
        return out


def _local_midnight(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(d.year, d.month, d.day), timezone.get_default_timezone())


def day(d: dt.date) -> Period:
    return Period("day", d, d, f"{d:%Y-%m-%d}")


def week(d: dt.date) -> Period:
    monday = d - dt.timedelta(days=d.weekday())
    iso = monday.isocalendar()
    return Period("week", monday, monday + dt.timedelta(days=6), f"{iso[0]}-W{iso[1]:02d}")


def month(d: dt.date) -> Period:
    first = d.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return Period("month", first, last, f"{first:%Y-%m}")


def quarter(d: dt.date) -> Period:
    q = (d.month - 1) // 3
    first = dt.date(d.year, 3 * q + 1, 1)
    last = (dt.date(d.year + (q == 3), (3 * q + 3) % 12 + 1, 1)) - dt.timedelta(days=1)
    return Period("quarter", first, last, f"{d.year}-Q{q + 1}")


def year(y: int) -> Period:
    return Period("year", dt.date(y, 1, 1), dt.date(y, 12, 31), str(y))


def custom(first: dt.date, last: dt.date) -> Period:
    return Period("custom", first, last, f"{first:%Y-%m-%d}..{last:%Y-%m-%d}")


def today() -> dt.date:
    return timezone.localdate()


def current_month() -> Period:
    return month(today())


def parse(text: str, *, allow_future: bool = False) -> Period:
    """Parse a written period; raise :class:`PeriodError` with a Chinese message when it is malformed
    or lies in the future."""
    text = (text or "").strip()
    bad = PeriodError(
        gettext("无法识别的统计期间“%(p)s”，应为 2026-11、2026-Q4、2026-W45、2026 或 2026-11-01..2026-11-15。")
        % {"p": text[:40]}
    )
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})\.\.(\d{4})-(\d{2})-(\d{2})", text):
            a = dt.date(int(m[1]), int(m[2]), int(m[3]))
            b = dt.date(int(m[4]), int(m[5]), int(m[6]))
            if b < a:
                raise PeriodError(gettext("统计期间的结束日期早于开始日期。"))
            if (b - a).days > 3660:
                raise PeriodError(gettext("自定义统计期间不能超过十年。"))
            p = custom(a, b)
        elif m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
            p = day(dt.date(int(m[1]), int(m[2]), int(m[3])))
        elif m := re.fullmatch(r"(\d{4})-W(\d{2})", text):
            p = week(dt.date.fromisocalendar(int(m[1]), int(m[2]), 1))
        elif m := re.fullmatch(r"(\d{4})-(\d{2})", text):
            p = month(dt.date(int(m[1]), int(m[2]), 1))
        elif m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
            p = quarter(dt.date(int(m[1]), 3 * (int(m[2]) - 1) + 1, 1))
        elif m := re.fullmatch(r"(\d{4})", text):
            p = year(int(m[1]))
        else:
            raise bad
    except PeriodError:
        raise
    except ValueError as exc:
        raise bad from exc
    if p.first.year < 2000:
        raise bad
    if not allow_future and p.first > today():
        raise PeriodError(gettext("统计期间 %(p)s 尚未开始，不能晚于今天。") % {"p": p.code})
    return p
