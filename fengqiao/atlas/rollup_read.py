"""The screens' and the statistics page's figures read from the rollups (rollup.py) when they can
answer exactly: a scope that covers every unit (the county; a town's scope also counts cases it
receives or leads, which the rollups do not key) and whole months for the cross-tab. Otherwise, or
while a needed month has never been built, the callers compute from the cases as before.
Every reader returns the rollup's refresh time so the page can say "数据更新于 HH:MM".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.atlas import crosstab, rates
from fengqiao.atlas.filters import CaseFilter, period_bounds
from fengqiao.atlas.models_rollup import Basis, CaseDayStat, CaseMonthGrid, CaseMonthMix, CaseMonthStat, RollupMonth
from fengqiao.atlas.rollup import MEASURES, freshness, month_of
from fengqiao.atlas.scope import Scope, covers_all_units
from fengqiao.cases.choices import Colour
from fengqiao.cases.models import Case, Category
from fengqiao.cases.workflow import ENDED_STATES, FINAL_STATES, OPEN_STATES
from fengqiao.org.models import Unit

PERIOD_KEYS = (("today", "今日"), ("month", "本月"), ("year", "本年"))


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    out, m = [], first.replace(day=1)
    while m <= last:
        out.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    return out


def _sums(qs: Any) -> dict[str, int]:
    got = qs.aggregate(**{k: Sum(k) for k in MEASURES})
    return {k: v or 0 for k, v in got.items()}


def dashboard_blocks(scope: Scope, now: dt.datetime) -> dict[str, Any] | None:
    """headline + trend + breakdowns of the county screen from the rollups, or None."""
    blocks = rollup_blocks(scope, now)
    return None if blocks is None else {**blocks, **live_blocks(now)}


def version() -> str:
    """The rollups' version: changes whenever a month is rebuilt (the screen's cache key)."""
    from django.core.cache import cache

    from fengqiao.atlas.rollup import VERSION_KEY, bump_version

    token = cache.get(VERSION_KEY) or bump_version()
    got = RollupMonth.objects.aggregate(n=Count("pk"), last=Max("refreshed_at"))
    return f"{token}-{got['n']}-{got['last'].timestamp() if got['last'] else 0}"


def live_blocks(now: dt.datetime) -> dict[str, Any]:
    """The live part of the county screen: open cases now, overdue, and the open cases' colours."""
    from fengqiao.atlas.figures import _colour_q

    # Counting a column of the partial index atlas_case_open (migration 0004; state is never NULL)
    # keeps this an index-only scan of the open cases.
    live = Case.objects.filter(state__in=sorted(OPEN_STATES)).aggregate(
        open=Count("state"),
        overdue=Count("state", filter=Q(due_at__lt=now)),
        **{f"colour_{c}": Count("state", filter=_colour_q(c, now)) for c in Colour.values},
    )
    colours = [{"key": v, "label": str(lbl), "n": live[f"colour_{v}"]} for v, lbl in Colour.choices]
    return {"open": live["open"], "overdue": live["overdue"], "colours": colours}


def rollup_blocks(scope: Scope, now: dt.datetime) -> dict[str, Any] | None:
    """The county screen's period figures, trend and breakdowns from the rollups, or None."""
    if not covers_all_units(scope):
        return None
    year_start, _end = period_bounds("year", now)
    assert year_start is not None
    today = timezone.localtime(now).date()
    first_trend = today - dt.timedelta(days=29)
    fresh = freshness(months_between(min(year_start.date(), first_trend), today))
    if fresh is None:
        return None
    periods = []
    for key, label in PERIOD_KEYS:
        start, _e = period_bounds(key, now)
        assert start is not None
        reg = _sums(CaseDayStat.objects.filter(basis=Basis.REGISTERED, day__gte=start.date()))
        end = _sums(CaseDayStat.objects.filter(basis=Basis.ENDED, day__gte=start.date()))
        counts = {
            "reg_handled": reg["handled"],
            "reg_ended": reg["ended"],
            "resolved": end["resolved"],
            "resolved_local": end["resolved_local"],
            "rated": end["rated"],
            "satisfied": end["satisfied"],
        }
        periods.append(
            {"key": key, "label": _(label), "registered": reg["n"], "resolved": end["resolved"], **rates.rates(counts)}
        )
    trend_rows: dict[tuple[str, dt.date], int] = defaultdict(int)
    for basis, day, n, resolved in (
        CaseDayStat.objects.filter(day__gte=first_trend)
        .values("basis", "day")
        .annotate(n=Sum("n"), r=Sum("resolved"))
        .values_list("basis", "day", "n", "r")
    ):
        trend_rows[(basis, day)] = n if basis == Basis.REGISTERED else resolved
    dates = [first_trend + dt.timedelta(days=i) for i in range(30)]
    return {
        "periods": periods,
        "trend": {
            "dates": [d.isoformat() for d in dates],
            "registered": [trend_rows.get((Basis.REGISTERED, d), 0) for d in dates],
            "resolved": [trend_rows.get((Basis.ENDED, d), 0) for d in dates],
        },
        **_breakdowns(month_of(year_start) or today),
        "fresh": timezone.localtime(fresh).strftime("%H:%M"),
    }


def _breakdowns(first_month: dt.date) -> dict[str, list[dict[str, Any]]]:
    """The year's cases by type and by channel (one GROUP BY over the month × type × channel mix) and by town
    (over the day rollup, which is keyed by town and far smaller)."""
    from fengqiao.cases.choices import Channel

    names = dict(Category.objects.values_list("pk", "name"))
    towns = dict(Unit.objects.values_list("pk", "name"))
    channel_labels = dict(Channel.choices)
    by_type: dict[str, int] = defaultdict(int)
    by_channel: dict[str, int] = defaultdict(int)
    by_place: dict[str, int] = defaultdict(int)
    for cat, channel, n in (
        CaseMonthMix.objects.filter(month__gte=first_month)
        .values_list("category_id", "channel")
        .annotate(n=Sum("n"))
        .order_by()
    ):
        by_type[names.get(cat, _("未分类")) if cat else _("未分类")] += n
        by_channel[str(channel_labels.get(channel, channel))] += n
    for town, n in (
        CaseDayStat.objects.filter(basis=Basis.REGISTERED, day__gte=first_month)
        .values_list("town_id")
        .annotate(n=Sum("n"))
        .order_by()
    ):
        by_place[towns.get(town, "?") if town else _("本级及未定位")] += n

    def rows(acc: dict[str, int]) -> list[dict[str, Any]]:
        return [{"label": k, "n": v} for k, v in sorted(acc.items(), key=lambda kv: -kv[1]) if v]

    return {"by_type": rows(by_type), "by_channel": rows(by_channel), "by_place": rows(by_place)}


# --- the statistics cross-tab --------------------------------------------------------------------

ROLLUP_COLUMNS = {
    "period": "month",
    "town": "town_id",
    "type": "category_id",
    "channel": "channel",
    "unit": "owner_unit_id",
    "state": "state",
}


def whole_months(form: CaseFilter) -> tuple[list[dt.date], dt.datetime] | None:
    """The months a filter's period covers when it is whole months (本月, 本年, 全部, a custom range
    from a 1st to a month's end), with the rollup's refresh time; None otherwise or when unbuilt."""
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    period = data.get("period") or "90d"
    start, end = form.bounds()
    today = timezone.localdate()
    if period == "all":
        first = Case.objects.aggregate(first=Min("created_at"))["first"]
        first_month = month_of(first) or today.replace(day=1)
    elif period in ("month", "year") or (
        period == "range" and start is not None and end is not None and start.day == 1 and end.day == 1
    ):
        assert start is not None
        first_month = start.date()
    else:
        return None  # a day-aligned window (近90天 …): the cases answer
    last_month = (end.date() - dt.timedelta(days=1)) if end is not None else today
    months = months_between(first_month, min(last_month, today))
    fresh = freshness(months)
    return (months, fresh) if fresh is not None else None


def map_rows(scope: Scope, form: CaseFilter, colour_by: str) -> tuple[list[dict[str, Any]], str] | None:
    """The map's unit-level buckets (location × colour or level) from the grid rollup, when the
    filter is whole months and nothing else (type, state, channel and colour are not its keys)."""
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    if any(data.get(k) for k in ("category", "state", "channel", "colour")) or not covers_all_units(scope):
        return None
    got = whole_months(form)
    if got is None:
        return None
    months, fresh = got
    key = "level" if colour_by == "level" else "colour"
    rows = [
        {"location_unit_id": loc, key: value, "n": n}
        for loc, value, n in CaseMonthGrid.objects.filter(month__in=months)
        .values_list("location_unit_id", key)
        .annotate(n=Sum("n"))
        .order_by()
    ]
    return rows, timezone.localtime(fresh).strftime("%H:%M")


def crosstab_rows(scope: Scope, form: CaseFilter, dims: list[str]) -> tuple[list[dict[str, Any]], str] | None:
    """The grouped rows of a cross-tab from the month rollup (same measures as the direct GROUP BY),
    with the refresh time; None when the rollup cannot answer exactly (see the module doc)."""
    if any(d not in ROLLUP_COLUMNS for d in dims) or not covers_all_units(scope):
        return None
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    if data.get("colour"):
        return None  # the colour is not a rollup key
    got = whole_months(form)
    if got is None:
        return None
    months, fresh = got
    qs = CaseMonthStat.objects.filter(basis=Basis.REGISTERED, month__in=months)
    if data.get("category"):
        top = Category.objects.filter(code=data["category"], parent__isnull=True).values_list("pk", flat=True).first()
        qs = qs.filter(category_id=top)
    if data.get("state") == "open":
        qs = qs.filter(state__in=sorted(OPEN_STATES))
    elif data.get("state") == "ended":
        qs = qs.filter(state__in=sorted(ENDED_STATES | FINAL_STATES))
    if data.get("channel"):
        qs = qs.filter(channel=data["channel"])
    cols = list(dict.fromkeys(ROLLUP_COLUMNS[d] for d in dims))
    measures = ("n", "handled", "ended", "rated", "satisfied")
    out = []
    for raw in qs.values(*cols).annotate(**{f"s_{m}": Sum(m) for m in measures}).order_by():
        row = {crosstab.COLUMN[d]: raw[ROLLUP_COLUMNS[d]] for d in dims}
        row.update({m: raw[f"s_{m}"] or 0 for m in measures})
        out.append(row)
    return out, timezone.localtime(fresh).strftime("%H:%M")


def table(qs: Any, scope: Scope, form: CaseFilter, dims: list[str]) -> crosstab.Table:
    """The statistics page's table: from the rollup when it answers exactly, else from ``qs``."""
    dims = crosstab.parse_dims(dims)
    got = crosstab_rows(scope, form, dims)
    if got is None:
        return crosstab.crosstab(qs, scope, dims)
    rows, fresh = got
    result = crosstab.crosstab(qs, scope, dims, rows)
    result.fresh = fresh
    return result
