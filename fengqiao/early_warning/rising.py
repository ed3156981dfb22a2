"""Rising lists (上升预警) for the leader's warning page and the county dashboard, and the key-area map
layer's data.

"Rising" here means the last 7 days' count of a type (county-wide) or of a town × type is above the
upper bound of its forecast: the forecast of :func:`fengqiao.early_warning.trends.forecast` made from
the weeks before (Holt's damped trend for a type with enough history, the mean of the last eight
weeks for a town × type), and the 90 % Poisson interval around it. Weekly counts are SQL aggregates
(one conditional count per week), so the panel stays cheap at millions of cases; the lists are cached
for ten minutes per user and scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from fengqiao.cases import policy as case_policy
from fengqiao.cases.models import Case, Category
from fengqiao.early_warning.trends import forecast
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit
from fengqiao.org.paths import subtree_q

WEEK = dt.timedelta(days=7)
WEEKS = 16
MIN_COUNT = 4
CACHE_SECONDS = 600


@dataclass
class RisingRow:
    kind: str  # "type" | "area"
    label: str
    count: int
    expected: float
    upper: float

    @property
    def ratio(self) -> float:
        return self.count / max(self.expected, 0.5)


def weekly_counts(
    user: Any, now: dt.datetime, weeks: int = WEEKS, scope_path: str = ""
) -> tuple[dict[str, list[int]], dict[tuple[int, str], list[int]]]:
    """Per level-1 type and per town × type: the counts of the ``weeks`` 7-day bins ending ``now``,
    oldest first, over the cases ``user`` may see (within ``scope_path``)."""
    codes = dict(Category.objects.values_list("pk", "code"))
    parent = dict(Category.objects.values_list("pk", "parent_id"))
    cat1 = {pk: codes[parent[pk] or pk] for pk in codes}
    units = list(Unit.objects.values_list("pk", "path", "kind"))
    kind = {u[0]: u[2] for u in units}
    town_of: dict[int, int] = {}
    for pk, path, _ in units:
        ids = [int(x) for x in path.strip("/").split("/") if x]
        town_of[pk] = next((i for i in ids if kind.get(i) == UnitKind.TOWN), 0)
    qs = Case.objects.filter(created_at__gt=now - weeks * WEEK, created_at__lte=now, category__isnull=False)
    qs = case_policy.restrict(qs.exclude(state="merged"), user)
    if scope_path:
        qs = qs.filter(subtree_q("owner_path", scope_path) | subtree_q("location_path", scope_path))
    bins = {
        f"w{b}": Count("id", filter=Q(created_at__gt=now - (b + 1) * WEEK, created_at__lte=now - b * WEEK))
        for b in range(weeks)
    }
    by_type: dict[str, list[int]] = {}
    by_area: dict[tuple[int, str], list[int]] = {}
    grouped = qs.values("location_unit_id", "owner_unit_id", "category_id").annotate(**bins).order_by()
    for loc, owner, cat, *counts in grouped.values_list("location_unit_id", "owner_unit_id", "category_id", *bins):
        c1 = cat1.get(cat, "")
        oldest_first = counts[::-1]
        t = by_type.setdefault(c1, [0] * weeks)
        town = town_of.get(loc or owner, 0)
        a = by_area.setdefault((town, c1), [0] * weeks) if town else None
        for i, n in enumerate(oldest_first):
            t[i] += n
            if a is not None:
                a[i] += n
    return by_type, by_area


def beyond(series: list[int], holt: bool) -> tuple[float, float] | None:
    """(expected, upper bound) of the last week from the weeks before, or None when it is within."""
    import numpy as np  # with the forecast, not in every web worker

    last, past = series[-1], series[:-1]
    if last < MIN_COUNT or not past:
        return None
    point = forecast(past, horizon=1)["point"][0] if holt else float(np.mean(past[-8:]))
    from scipy.stats import poisson  # loaded by the pages that use it, not by every worker

    upper = float(poisson.ppf(0.95, max(point, 1e-9)))
    return (point, upper) if last > upper else None


def _rising_key(user: Any, scope_path: str) -> str:
    return f"early_warning:rising:{user.pk}:{scope_path}"


def cached_rising_rows(user: Any, scope_path: str = "", limit: int = 8) -> list[RisingRow] | None:
    """The rising list if it is in the cache (None when it would have to be computed: pages that must
    paint fast load it afterwards instead, see ``views.rising_strip``)."""
    cached = cache.get(_rising_key(user, scope_path))
    return None if cached is None else cached[:limit]


def rising_rows(user: Any, scope_path: str = "", now: dt.datetime | None = None, limit: int = 8) -> list[RisingRow]:
    key = _rising_key(user, scope_path)
    cached = cache.get(key) if now is None else None
    if cached is not None:
        return cached[:limit]  # type: ignore[no-any-return]
    now = now or timezone.now()
    by_type, by_area = weekly_counts(user, now, WEEKS, scope_path)
    names = dict(Category.objects.values_list("code", "name"))
    units = dict(Unit.objects.filter(kind=UnitKind.TOWN).values_list("pk", "name"))
    rows: list[RisingRow] = []
    for code, s in by_type.items():
        got = beyond(s, holt=True)
        if got:
            rows.append(RisingRow("type", str(names.get(code, code)), s[-1], round(got[0], 1), got[1]))
    for (town, code), s in by_area.items():
        got = beyond(s, holt=False)
        if got:
            label = f"{units.get(town, '')} · {names.get(code, code)}"
            rows.append(RisingRow("area", label, s[-1], round(got[0], 1), got[1]))
    rows.sort(key=lambda r: (-r.ratio, -r.count, r.label))
    cache.set(key, rows, CACHE_SECONDS)
    return rows[:limit]


def key_areas(user: Any) -> list[dict[str, Any]]:
    """The towns with open area warnings the user may see: the highest level, the count, the titles."""
    from fengqiao.early_warning.models import OPEN_STATUSES, Kind, Level
    from fengqiao.early_warning.policy import warnings_for

    towns = dict(Unit.objects.filter(kind=UnitKind.TOWN).values_list("pk", "name"))
    out: dict[int, dict[str, Any]] = {}
    qs = warnings_for(user).filter(status__in=OPEN_STATUSES, kind__in=[Kind.AREA, Kind.PERIOD])
    for level, title, subject, unit_id in qs.values_list("level", "title", "subject", "owner_unit_id"):
        area = (subject or {}).get("area") or unit_id
        if area not in towns:
            continue
        row = out.setdefault(area, {"id": area, "name": towns[area], "level": 0, "count": 0, "titles": []})
        row["level"] = max(row["level"], level)
        row["count"] += 1
        if len(row["titles"]) < 3:
            row["titles"].append(title)
    labels = dict(Level.choices)
    for row in out.values():
        row["level_label"] = str(labels.get(row["level"], ""))
    return sorted(out.values(), key=lambda r: (-r["level"], -r["count"], r["name"]))
