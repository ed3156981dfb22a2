"""Trends and forecasts (趋势研判): weekly counts per type and per area with a forecast and interval.

The point forecast is Holt's damped-trend exponential smoothing (statsmodels) when a series has
enough history, else the mean of its last eight weeks; the 90 % interval is the Poisson interval
around the point (scipy.stats), since weekly counts of cases are counts. "Rising" = the last four
weeks against the four before, at least 1.5 times and at least four cases."""

from __future__ import annotations

import datetime as dt
import warnings
from collections import defaultdict
from typing import Any

from django.utils import timezone

from fengqiao.cases import policy as case_policy
from fengqiao.cases.models import Case, Category
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit

WEEK = dt.timedelta(days=7)


def forecast(series: list[int], horizon: int = 4) -> dict[str, Any]:
    """``series`` oldest first; returns point forecasts and 90 % Poisson bounds for ``horizon`` weeks."""
    import numpy as np  # with the forecast, not in every web worker

    y = np.asarray(series, dtype=float)
    method = "mean"
    if len(y) >= 10 and np.count_nonzero(y) >= 6 and y.sum() >= 20:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ExponentialSmoothing(y, trend="add", damped_trend=True, initialization_method="estimated").fit()
        point = np.clip(fit.forecast(horizon), 0, None)
        method = "holt"
    else:
        point = np.full(horizon, y[-8:].mean() if len(y) else 0.0)
    from scipy.stats import poisson  # scipy.stats weighs ~40 MiB: loaded by the pages that forecast, not every worker

    lo = poisson.ppf(0.05, np.maximum(point, 1e-9))
    hi = poisson.ppf(0.95, np.maximum(point, 1e-9))
    return {"point": [round(float(v), 1) for v in point], "lo": lo.tolist(), "hi": hi.tolist(), "method": method}


def weekly(user: Any, weeks: int = 26, now: dt.datetime | None = None) -> dict[str, Any]:
    """Weekly counts of the cases ``user`` may see, per level-1 type and per town × type."""
    now = now or timezone.now()
    start = now - weeks * WEEK
    codes = dict(Category.objects.values_list("pk", "code"))
    parent = dict(Category.objects.values_list("pk", "parent_id"))
    names = dict(Category.objects.values_list("code", "name"))
    units = list(Unit.objects.values_list("pk", "path", "kind", "name"))
    kind = {u[0]: u[2] for u in units}
    uname = {u[0]: u[3] for u in units}
    town_of = {}
    for pk, path, _, _ in units:
        ids = [int(x) for x in path.strip("/").split("/") if x]
        town_of[pk] = next((i for i in ids if kind.get(i) == UnitKind.TOWN), 0)
    by_type: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    by_area: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0] * weeks)
    qs = case_policy.restrict(Case.objects.filter(created_at__gte=start), user).exclude(state="merged")
    for created, cat, loc, owner in qs.values_list("created_at", "category_id", "location_unit_id", "owner_unit_id"):
        if not cat:
            continue
        c1 = codes[parent[cat] or cat]
        b = weeks - 1 - min(int((now - created) / WEEK), weeks - 1)
        by_type[c1][b] += 1
        town = town_of.get(loc or owner, 0)
        if town:
            by_area[(town, c1)][b] += 1
    week_starts = [timezone.localtime(start + i * WEEK).date() for i in range(weeks)]
    return {"by_type": by_type, "by_area": by_area, "names": names, "units": uname, "weeks": week_starts}


def rising(series: dict[Any, list[int]], min_recent: int = 4, ratio: float = 1.5) -> list[tuple[Any, int, int]]:
    out = []
    for key, s in series.items():
        recent, before = sum(s[-4:]), sum(s[-8:-4])
        if recent >= min_recent and recent >= ratio * max(before, 1):
            out.append((key, recent, before))
    out.sort(key=lambda r: (-(r[1] / max(r[2], 1)), -r[1]))
    return out
