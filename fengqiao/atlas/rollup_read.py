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

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.atlas import crosstab, rates
from fengqiao.atlas.filters import CaseFilter, period_bounds
from fengqiao.atlas.models_rollup import Basis, CaseDayStat, CaseMonthStat
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
    if not covers_all_units(scope):
        return None
    year_start, _end = period_bounds("year", now)
    assert year_start is not None
    today = timezone.localtime(now).date()
    first_trend = today - dt.timedelta(days=29)
    fresh = freshness(months_between(min(year_start.date(), first_trend), today))
    if fresh is None:
        return None
    from fengqiao.atlas.figures import _colour_q  # the live part: open cases now

    open_ = sorted(OPEN_STATES)
    live = Case.objects.filter(state__in=open_).aggregate(
        open=Count("id"),
        overdue=Count("id", filter=Q(due_at__lt=now)),
        **{f"colour_{c}": Count("id", filter=_colour_q(c, now)) for c in Colour.values},
    )
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
    colours = [{"key": v, "label": str(lbl), "n": live[f"colour_{v}"]} for v, lbl in Colour.choices]
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
        "open": live["open"],
        "overdue": live["overdue"],
        "periods": periods,
        "colours": colours,
        "trend": {
            "dates": [d.isoformat() for d in dates],
            "registered": [trend_rows.get((Basis.REGISTERED, d), 0) for d in dates],
            "resolved": [trend_rows.get((Basis.ENDED, d), 0) for d in dates],
        },
        **_breakdowns(month_of(year_start) or today),
        "fresh": timezone.localtime(fresh).strftime("%H:%M"),
    }


def _breakdowns(first_month: dt.date) -> dict[str, list[dict[str, Any]]]:
    from fengqiao.cases.choices import Channel

    year = CaseMonthStat.objects.filter(basis=Basis.REGISTERED, month__gte=first_month)
    names = dict(Category.objects.values_list("pk", "name"))
    towns = dict(Unit.objects.values_list("pk", "name"))
    channel_labels = dict(Channel.choices)

    def rows(field: str, label: Any) -> list[dict[str, Any]]:
        acc: dict[str, int] = defaultdict(int)
        for value, n in year.values_list(field).annotate(n=Sum("n")).order_by():
            acc[label(value)] += n
        return [{"label": k, "n": v} for k, v in sorted(acc.items(), key=lambda kv: -kv[1]) if v]

    return {
        "by_type": rows("category_id", lambda v: names.get(v, _("未分类")) if v else _("未分类")),
        "by_channel": rows("channel", lambda v: str(channel_labels.get(v, v))),
        "by_place": rows("town_id", lambda v: towns.get(v, "?") if v else _("本级及未定位")),
    }


# --- the statistics cross-tab --------------------------------------------------------------------

ROLLUP_COLUMNS = {
    "period": "month",
    "town": "town_id",
    "type": "category_id",
    "channel": "channel",
    "unit": "owner_unit_id",
    "state": "state",
}


def crosstab_rows(scope: Scope, form: CaseFilter, dims: list[str]) -> tuple[list[dict[str, Any]], str] | None:
    """The grouped rows of a cross-tab from the month rollup (same measures as the direct GROUP BY),
    with the refresh time; None when the rollup cannot answer exactly (see the module doc)."""
    if any(d not in ROLLUP_COLUMNS for d in dims) or not covers_all_units(scope):
        return None
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    if data.get("colour"):
        return None  # the colour is not a rollup key
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
    if fresh is None:
        return None
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
