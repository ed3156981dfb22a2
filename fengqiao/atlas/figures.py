"""The big screen's figures for one scope: today / this month / this year, the trend, breakdowns,
colours, the latest resolved cases and (when the evaluation app is installed) its rankings.

Each block is one aggregate query over the scope's cases (conditional counts), so a refresh costs a
fixed number of queries at any size; the whole payload is kept per scope so that several screens
watching the same county cost one computation, and recomputed in the background when it is older
than ``CACHE_SECONDS`` (see :func:`dashboard_payload` and docs/scaling.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fengqiao.atlas import rates
from fengqiao.atlas.filters import period_bounds
from fengqiao.atlas.geometry import areas
from fengqiao.atlas.scope import Scope
from fengqiao.cases.choices import Channel, Colour
from fengqiao.cases.models import Case, Category
from fengqiao.cases.workflow import OPEN_STATES, State
from fengqiao.org.choices import UnitKind

log = logging.getLogger(__name__)
CACHE_SECONDS = 20  # a kept payload is fresh this long
STALE_SECONDS = 300  # and answered (while a new one is computed in the background) this long
REFRESH_LOCK_SECONDS = 60
ROLLUP_CACHE_SECONDS = 6 * 3600  # keyed by the rollups' version: a rebuilt month is a new key
TREND_DAYS = 30
PERIODS = (("today", "今日"), ("month", "本月"), ("year", "本年"))
OPEN = sorted(OPEN_STATES)


def _colour_q(colour: str, now: dt.datetime) -> Q:
    from fengqiao.web.views.leader import colour_q

    return colour_q(colour, now)


def headline(qs: QuerySet[Case], now: dt.datetime) -> dict[str, Any]:
    """Registered / resolved / rates per period, open and overdue now, open cases per colour."""
    aggs: dict[str, Any] = {
        "open": Count("id", filter=Q(state__in=OPEN)),
        "overdue": Count("id", filter=Q(state__in=OPEN, due_at__lt=now)),
        **{f"colour_{c}": Count("id", filter=_colour_q(c, now)) for c in Colour.values},
    }
    for key, _label in PERIODS:
        start, _end = period_bounds(key, now)
        assert start is not None
        aggs[f"{key}_registered"] = Count("id", filter=Q(created_at__gte=start, created_at__lt=now))
        aggs.update(rates.rate_counts(start, now, prefix=f"{key}_"))
    c = qs.aggregate(**aggs)
    periods = []
    for key, label in PERIODS:
        periods.append(
            {
                "key": key,
                "label": _(label),
                "registered": c[f"{key}_registered"],
                "resolved": c[f"{key}_resolved"],
                **rates.rates(c, prefix=f"{key}_"),
            }
        )
    colours = [{"key": v, "label": str(label), "n": c[f"colour_{v}"]} for v, label in Colour.choices]
    return {"open": c["open"], "overdue": c["overdue"], "periods": periods, "colours": colours}


def trend(qs: QuerySet[Case], now: dt.datetime, days: int = TREND_DAYS) -> dict[str, Any]:
    today = timezone.localtime(now).date()
    first = today - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=timezone.get_current_timezone())
    reg = dict(
        qs.filter(created_at__gte=start)
        .annotate(d=TruncDate("created_at"))
        .values_list("d")
        .annotate(n=Count("id"))
        .order_by()
    )
    res = dict(
        qs.filter(rates.resolved_q(), resolved_at__gte=start)
        .annotate(d=TruncDate("resolved_at"))
        .values_list("d")
        .annotate(n=Count("id"))
        .order_by()
    )
    dates = [first + dt.timedelta(days=i) for i in range(days)]
    return {
        "dates": [d.isoformat() for d in dates],
        "registered": [reg.get(d, 0) for d in dates],
        "resolved": [res.get(d, 0) for d in dates],
    }


def breakdowns(qs: QuerySet[Case], scope: Scope, start: dt.datetime) -> dict[str, list[dict[str, Any]]]:
    year = qs.filter(created_at__gte=start)
    names = dict(Category.objects.values_list("pk", "name"))
    parents = dict(Category.objects.values_list("pk", "parent_id"))
    # One scan of the year's cases, grouped by type × channel × place, split three ways here.
    by_cat: dict[Any, int] = defaultdict(int)
    by_ch: dict[str, int] = defaultdict(int)
    by_loc: dict[Any, int] = defaultdict(int)
    for cat, ch, loc, n in (
        year.values_list("category_id", "channel", "location_unit_id").annotate(n=Count("id")).order_by()
    ):
        by_cat[cat] += n
        by_ch[ch] += n
        by_loc[loc] += n
    by_type: dict[str, int] = defaultdict(int)
    for pk, n in by_cat.items():
        top = parents.get(pk) or pk
        by_type[names.get(top, _("未分类")) if top else _("未分类")] += n
    channel_labels = dict(Channel.choices)
    by_channel = [{"label": str(channel_labels.get(ch, ch)), "n": n} for ch, n in by_ch.items()]
    by_place = place_counts(by_loc, scope)

    def rows(d: dict[str, int]) -> list[dict[str, Any]]:
        return [{"label": k, "n": v} for k, v in sorted(d.items(), key=lambda kv: -kv[1])]

    return {
        "by_type": rows(by_type),
        "by_channel": sorted(by_channel, key=lambda r: -r["n"]),
        "by_place": rows(by_place),
    }


def place_counts(by_loc: dict[Any, int], scope: Scope) -> dict[str, int]:
    """Counts per place (location unit id → n) rolled up to the scope root's children: the towns of
    a county, the villages of a town; anything else is "本级及未定位"."""
    by_place: dict[str, int] = defaultdict(int)
    geo = areas()
    root_depth = min((p.count("/") for p in scope.paths), default=2)
    for pk, n in by_loc.items():
        chain = geo.chain(pk) if pk else []
        child = next((a for a in chain if a.path.count("/") == root_depth + 1), None)
        if child is not None and child.kind in (UnitKind.TOWN, UnitKind.VILLAGE) and scope.contains(child.path):
            by_place[child.name] += n
        else:
            by_place[_("本级及未定位")] += n
    return by_place


def latest_resolved(qs: QuerySet[Case], limit: int = 12) -> list[dict[str, Any]]:
    """The latest resolved cases: when, where (town / village), type, outcome — no names, no text."""
    rows = (
        qs.filter(rates.resolved_q())
        .select_related("category", "location_unit")
        .only("resolved_at", "agreement", "category__name", "location_unit__name", "location_unit__path", "state")
        .order_by("-resolved_at")[:limit]
    )
    geo = areas()
    out = []
    for c in rows:
        place = ""
        if c.location_unit_id:
            chain = [a for a in geo.chain(c.location_unit_id) if a.kind in (UnitKind.TOWN, UnitKind.VILLAGE)]
            place = "".join(a.name for a in chain[:2])
        out.append(
            {
                "when": timezone.localtime(c.resolved_at).strftime("%m-%d %H:%M") if c.resolved_at else "",
                "place": place or _("未定位"),
                "type": c.category.name if c.category else _("未分类"),
                "result": _("达成协议") if c.agreement else str(State.RESOLVED.label),
            }
        )
    return out


def rankings(scope: Scope) -> list[dict[str, Any]] | None:
    """Rankings from the evaluation app when it is installed (``ranking(period, kind)``); None if not."""
    if not apps.is_installed("fengqiao.evaluation"):
        return None
    try:
        from fengqiao.evaluation.services import (  # type: ignore[import-not-found,import-untyped,unused-ignore]
            ranking,
            ranking_stamp,
        )

        period = timezone.localdate().strftime("%Y-%m")
        # The stored ranking, kept until it is recomputed (its stamp: two small queries, not ten).
        stamp = ranking_stamp(period, "town")
        key = f"atlas:dash:rank:{period}:{stamp}"
        rows = cache.get(key) if stamp else None
        if rows is None:
            rows = ranking(period, "town")
            if stamp:
                cache.set(key, rows, ROLLUP_CACHE_SECONDS)
    except Exception:  # the slot stays empty rather than break the screen
        log.exception("evaluation ranking unavailable")
        return None
    # A town's screen shows the county's ranking of towns, as the ranking page does to its leader, with its
    # own row marked; any other screen the towns inside its scope.
    own = scope.root.pk if scope.root is not None and scope.root.kind == UnitKind.TOWN else None
    out = []
    for r in rows or []:
        get = r.get if isinstance(r, dict) else (lambda k, _r=r: getattr(_r, k, None))
        unit = get("unit")
        path = getattr(unit, "path", "")
        if own is None and path and not scope.contains(path):
            continue
        mine = own is not None and getattr(unit, "pk", None) == own
        out.append(
            {"unit": str(unit), "score": get("score"), "rank": get("rank"), "change": get("change"), "own": mine}
        )
    return out


def dashboard_payload(
    qs: QuerySet[Case], scope: Scope, *, use_cache: bool = True, use_rollup: bool = True, refresh: Any = None
) -> dict[str, Any]:
    """The screen's figures for ``scope``. Kept per scope: fresh for ``CACHE_SECONDS``; after that the
    kept payload is still answered at once (for up to ``STALE_SECONDS``) while ``refresh`` (a callable
    that queues the recomputation; one at a time per scope) brings a new one, so a screen's refresh
    never waits for the computation (stale-while-revalidate). Only a scope nobody watched for
    ``STALE_SECONDS`` (or a cleared cache) is computed inside the request."""
    key = payload_key(scope)
    if use_cache:
        hit = cache.get(key)
        if hit is not None:
            age = time.time() - hit["at"]
            if age <= CACHE_SECONDS or (refresh is not None and age <= STALE_SECONDS and _queue(key, refresh)):
                return dict(hit["data"])
    data = compute_payload(qs, scope, use_rollup=use_rollup)
    if use_cache:
        cache.set(key, {"data": data, "at": time.time()}, STALE_SECONDS)
    return data


def _queue(key: str, refresh: Any) -> bool:
    """Queue the scope's recomputation unless one is already queued; True when the kept payload may
    be answered (a failure to queue is logged and the request computes it itself)."""
    if cache.add(f"{key}:refreshing", 1, REFRESH_LOCK_SECONDS):
        try:
            refresh()
        except Exception:
            log.exception("dashboard refresh not queued")
            cache.delete(f"{key}:refreshing")
            return False
    return True


def store_payload(qs: QuerySet[Case], scope: Scope) -> None:
    """The queued recomputation: compute, keep, release the scope's refresh lock."""
    key = payload_key(scope)
    try:
        cache.set(key, {"data": compute_payload(qs, scope), "at": time.time()}, STALE_SECONDS)
    finally:
        cache.delete(f"{key}:refreshing")


def compute_payload(qs: QuerySet[Case], scope: Scope, *, use_rollup: bool = True) -> dict[str, Any]:
    now = timezone.now()
    year_start, _end = period_bounds("year", now)
    assert year_start is not None
    blocks = _rollup_part(scope, now) if use_rollup else None
    if blocks is None:  # not a county or town scope, or the rollup not built yet: from the cases
        blocks = {**headline(qs, now), "trend": trend(qs, now), **breakdowns(qs, scope, year_start), "fresh": ""}
    return {
        "title": scope.root.name if scope.root is not None else _("本辖区"),
        "generated": timezone.localtime(now).strftime("%Y-%m-%d %H:%M:%S"),
        **blocks,
        "latest": latest_resolved(qs),
        "rankings": rankings(scope),
        "formulas": {k: str(v) for k, v in rates.FORMULAS.items()},
    }


def payload_key(scope: Scope) -> str:
    """The cache key of a scope's whole payload (kept ``CACHE_SECONDS``)."""
    return f"atlas:screen:{scope.key}:{translation.get_language()}"


def _rollup_part(scope: Scope, now: dt.datetime) -> dict[str, Any] | None:
    """The rollup-read blocks, kept per scope until the rollups' version changes (a refresh rebuilds
    a month, or the day turns), plus the live open-case counts read afresh on every call."""
    from fengqiao.atlas import rollup_read

    key = (
        f"atlas:dash:rollup:{scope.key}:{translation.get_language()}:{rollup_read.version()}"
        f":{timezone.localtime(now).date()}"
    )
    blocks = cache.get(key)
    if blocks is None:
        blocks = rollup_read.rollup_blocks(scope, now)
        if blocks is None:
            return None
        cache.set(key, blocks, ROLLUP_CACHE_SECONDS)
    from fengqiao.atlas.scope import covers_all_units

    return {**blocks, **rollup_read.live_blocks(now, None if covers_all_units(scope) else scope)}


def rankings_available() -> bool:
    return apps.is_installed("fengqiao.evaluation")
