"""The screens' and the statistics page's figures read from the rollups (rollup.py) when they can
answer exactly: a scope that covers every unit (the county), one town's scope for the screen (the
per-town tables count a case for each town among its owner's, receiving and lead units') and whole
months for the cross-tab. Otherwise, or
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
from fengqiao.atlas.models_rollup import (
    Basis,
    CaseDayStat,
    CaseMonthGrid,
    CaseMonthMix,
    CaseMonthStat,
    CaseTownDay,
    CaseTownMix,
    CaseTownPlace,
    CaseTownStat,
    RollupMonth,
)
from fengqiao.atlas.rollup import MEASURES, freshness, month_of
from fengqiao.atlas.scope import Scope, covers_all_units
from fengqiao.cases.choices import Colour
from fengqiao.cases.models import Case, Category
from fengqiao.cases.workflow import ENDED_STATES, FINAL_STATES, OPEN_STATES
from fengqiao.org.choices import UnitKind
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


def live_blocks(now: dt.datetime, scope: Scope | None = None) -> dict[str, Any]:
    """The live part of a screen: open cases now, overdue, and the open cases' colours, over every
    case (None: the county) or a scope's (owned, received or led in it)."""
    from fengqiao.atlas.figures import _colour_q

    def counts(qs: Any) -> dict[str, int]:
        return qs.filter(state__in=sorted(OPEN_STATES)).aggregate(
            open=Count("state"),
            overdue=Count("state", filter=Q(due_at__lt=now)),
            **{f"colour_{c}": Count("state", filter=_colour_q(c, now)) for c in Colour.values},
        )

    # Counting a column of the partial index atlas_case_open (migration 0004; state is never NULL)
    # keeps the county's count an index-only scan of the open cases. A scope's is two disjoint counts:
    # the open cases it owns (atlas_case_open_owner, migration 0007, also read from the index alone)
    # and those it only receives or leads (few, through the receiving and lead path indexes).
    if scope is None:
        live = counts(Case.objects.all())
    else:
        owned = scope.q("owner_path")
        live = counts(Case.objects.filter(owned))
        other = counts(Case.objects.filter(scope.q("pending_path") | scope.q("lead_path")).exclude(owned))
        live = {k: v + other[k] for k, v in live.items()}
    colours = [{"key": v, "label": str(lbl), "n": live[f"colour_{v}"]} for v, lbl in Colour.choices]
    return {"open": live["open"], "overdue": live["overdue"], "colours": colours}


def town_of(scope: Scope) -> Unit | None:
    """The town when the scope is exactly one town's subtree (the town rollups answer it)."""
    root = scope.root
    if root is not None and root.kind == UnitKind.TOWN and scope.paths == (root.path,):
        return root
    return None


def rollup_blocks(scope: Scope, now: dt.datetime) -> dict[str, Any] | None:
    """A screen's period figures, trend and breakdowns from the rollups, or None: the county's from
    the county tables, a town's from the per-town tables (keyed by the towns whose scope holds a
    case: owner, receiving or lead unit), any other scope from the cases."""
    everything = covers_all_units(scope)
    town = None if everything else town_of(scope)
    if not everything and town is None:
        return None
    year_start, _end = period_bounds("year", now)
    assert year_start is not None
    today = timezone.localtime(now).date()
    first_trend = today - dt.timedelta(days=29)
    fresh = freshness(months_between(min(year_start.date(), first_trend), today))
    if fresh is None:
        return None
    days: Any = CaseDayStat.objects.all() if town is None else CaseTownDay.objects.filter(town_id=town.pk)
    periods = []
    for key, label in PERIOD_KEYS:
        start, _e = period_bounds(key, now)
        assert start is not None
        reg = _sums(days.filter(basis=Basis.REGISTERED, day__gte=start.date()))
        end = _sums(days.filter(basis=Basis.ENDED, day__gte=start.date()))
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
        days.filter(day__gte=first_trend)
        .values("basis", "day")
        .annotate(n=Sum("n"), r=Sum("resolved"))
        .values_list("basis", "day", "n", "r")
    ):
        trend_rows[(basis, day)] = n if basis == Basis.REGISTERED else resolved
    dates = [first_trend + dt.timedelta(days=i) for i in range(30)]
    first_month = month_of(year_start) or today
    return {
        "periods": periods,
        "trend": {
            "dates": [d.isoformat() for d in dates],
            "registered": [trend_rows.get((Basis.REGISTERED, d), 0) for d in dates],
            "resolved": [trend_rows.get((Basis.ENDED, d), 0) for d in dates],
        },
        **(_breakdowns(first_month) if town is None else _town_breakdowns(scope, town, first_month)),
        "fresh": timezone.localtime(fresh).strftime("%H:%M"),
    }


def _rows(acc: dict[str, int]) -> list[dict[str, Any]]:
    return [{"label": k, "n": v} for k, v in sorted(acc.items(), key=lambda kv: -kv[1]) if v]


def _mix(rows: Any) -> tuple[dict[str, int], dict[str, int]]:
    """(category, channel, n) rows → counts by type name and by channel label."""
    from fengqiao.cases.choices import Channel

    names = dict(Category.objects.values_list("pk", "name"))
    channel_labels = dict(Channel.choices)
    by_type: dict[str, int] = defaultdict(int)
    by_channel: dict[str, int] = defaultdict(int)
    for cat, channel, n in rows:
        by_type[names.get(cat, _("未分类")) if cat else _("未分类")] += n
        by_channel[str(channel_labels.get(channel, channel))] += n
    return by_type, by_channel


def _breakdowns(first_month: dt.date) -> dict[str, list[dict[str, Any]]]:
    """The year's cases by type and by channel (one GROUP BY over the month × type × channel mix) and by town
    (over the day rollup, which is keyed by town and far smaller)."""
    towns = dict(Unit.objects.values_list("pk", "name"))
    by_type, by_channel = _mix(
        CaseMonthMix.objects.filter(month__gte=first_month)
        .values_list("category_id", "channel")
        .annotate(n=Sum("n"))
        .order_by()
    )
    by_place: dict[str, int] = defaultdict(int)
    for town, n in (
        CaseDayStat.objects.filter(basis=Basis.REGISTERED, day__gte=first_month)
        .values_list("town_id")
        .annotate(n=Sum("n"))
        .order_by()
    ):
        by_place[towns.get(town, "?") if town else _("本级及未定位")] += n
    return {"by_type": _rows(by_type), "by_channel": _rows(by_channel), "by_place": _rows(by_place)}


def _town_breakdowns(scope: Scope, town: Unit, first_month: dt.date) -> dict[str, list[dict[str, Any]]]:
    """A town's year by type, by channel and by village, from the per-town tables."""
    from fengqiao.atlas.figures import place_counts

    by_type, by_channel = _mix(
        CaseTownMix.objects.filter(town_id=town.pk, month__gte=first_month)
        .values_list("category_id", "channel")
        .annotate(n=Sum("n"))
        .order_by()
    )
    by_loc = dict(
        CaseTownPlace.objects.filter(town_id=town.pk, month__gte=first_month)
        .values_list("location_unit_id")
        .annotate(n=Sum("n"))
        .order_by()
    )
    by_place = place_counts(by_loc, scope)
    return {"by_type": _rows(by_type), "by_channel": _rows(by_channel), "by_place": _rows(by_place)}


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
    if any(d not in ROLLUP_COLUMNS for d in dims):
        return None
    town = None if covers_all_units(scope) else town_of(scope)
    if town is None and not covers_all_units(scope):
        return None  # only the county's and one town's scopes are rolled up
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    if data.get("colour"):
        return None  # the colour is not a rollup key
    got = whole_months(form)
    if got is None:
        return None
    months, fresh = got
    qs: Any = (
        CaseMonthStat.objects.filter(basis=Basis.REGISTERED, month__in=months)
        if town is None
        else CaseTownStat.objects.filter(scope_town_id=town.pk, month__in=months)
    )
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
