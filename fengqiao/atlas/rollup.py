"""Rollups of the cases per month and per day (models_rollup.py), kept fresh month by month.

How they stay fresh (docs/scaling.md):

- A month is rebuilt whole from the cases (one GROUP BY over the cases registered in it and one over
  those that ended in it), so after a rebuild its rows equal the direct computation exactly; the
  test compares both on a constructed history.
- A case save marks the months it touches dirty (the month it was registered and the month it ended
  in, before and after the save: a reopen clears the end, a transfer moves the owner) through
  Django's ``pre_save``/``post_save`` signals of the case model, connected in ``AtlasConfig.ready``;
  the cases app knows nothing of this.
- The scheduled job :func:`refresh` rebuilds the dirty months and the running month (every minute in
  production; writes that bypass the model, e.g. a bulk ``UPDATE``, are caught by the running month's
  rebuild and by :func:`rebuild_all` nightly). Pages that read the rollups say "数据更新于 HH:MM".
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

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
from fengqiao.cases.choices import Level, Satisfaction
from fengqiao.cases.models import Case
from fengqiao.cases.workflow import OPEN_STATES
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit

log = logging.getLogger(__name__)
MEASURES = ("n", "handled", "ended", "resolved", "resolved_local", "rated", "satisfied")
SATISFIED = [Satisfaction.SATISFIED, Satisfaction.BASIC]
TOWN_STAT = ("n", "handled", "ended", "rated", "satisfied")  # the registered measures the cross-tab reads


def month_of(when: dt.datetime | None) -> dt.date | None:
    if when is None:
        return None
    return timezone.localtime(when).date().replace(day=1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return dt.datetime.combine(month, dt.time.min, tzinfo=tz), dt.datetime.combine(nxt, dt.time.min, tzinfo=tz)


def _towns() -> dict[int, int | None]:
    """Each unit's town (the unit itself when it is one; None above or outside a town)."""
    units = list(Unit.objects.values_list("pk", "path", "kind"))
    town_by_path = {path: pk for pk, path, kind in units if kind == UnitKind.TOWN}
    out: dict[int, int | None] = {}
    for pk, path, _kind in units:
        parts = path.split("/")
        out[pk] = next(
            (town_by_path[p] for i in range(2, len(parts)) if (p := "/".join(parts[:i]) + "/") in town_by_path),
            None,
        )
    return out


def _counts(basis: str) -> dict[str, Any]:
    if basis == Basis.REGISTERED:
        return {
            "n": Count("id"),
            "handled": Count("id", filter=Q(resolved_at__isnull=False) | Q(state__in=sorted(OPEN_STATES))),
            "ended": Count("id", filter=Q(resolved_at__isnull=False)),
            "rated": Count("id", filter=~Q(satisfaction="")),
            "satisfied": Count("id", filter=Q(satisfaction__in=SATISFIED)),
        }
    return {
        "n": Count("id"),
        "ended": Count("id"),
        "resolved": Count("id", filter=Q(referral="")),
        "resolved_local": Count("id", filter=Q(referral="", level__lte=Level.YELLOW)),
        "rated": Count("id", filter=~Q(satisfaction="")),
        "satisfied": Count("id", filter=Q(satisfaction__in=SATISFIED)),
    }


@dataclass
class _Built:
    months: list[CaseMonthStat]
    days: list[CaseDayStat]
    town_days: list[CaseTownDay]
    town_mix: list[CaseTownMix]
    town_places: list[CaseTownPlace]
    town_stats: list[CaseTownStat]


def _rows(month: dt.date, towns: dict[int, int | None]) -> _Built:
    start, end = month_bounds(month)
    months: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    days: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    town_days: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    town_mix: dict[tuple[Any, ...], int] = defaultdict(int)
    town_places: dict[tuple[Any, ...], int] = defaultdict(int)
    town_stats: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(TOWN_STAT, 0))
    for basis, field in ((Basis.REGISTERED, "created_at"), (Basis.ENDED, "resolved_at")):
        qs = Case.objects.filter(**{f"{field}__gte": start, f"{field}__lt": end}).annotate(
            top=Coalesce("category__parent_id", "category_id"), d=TruncDate(field)
        )
        counts = _counts(basis)
        keys = ("d", "owner_unit_id", "location_unit_id", "top", "channel", "state", "pending_unit_id", "lead_unit_id")
        for r in qs.values(*keys).annotate(**counts).order_by().values_list(*keys, *counts):
            day, owner, loc, top, channel, state, pending, lead, *vals = r
            town = towns.get(loc) if loc else None
            m, d = months[(basis, owner, town, top, channel, state)], days[(basis, day, owner, town)]
            # The towns whose scope holds the case: those of its owner, receiving and lead units.
            scoped = {towns.get(u) for u in (owner, pending, lead) if u} - {None}
            for k, v in zip(counts, vals, strict=True):
                m[k] += v
                d[k] += v
                for t in scoped:
                    town_days[(basis, day, t)][k] += v
            if basis == Basis.REGISTERED:
                got = dict(zip(counts, vals, strict=True))
                for t in scoped:
                    town_mix[(t, top, channel)] += got["n"]
                    town_places[(t, loc)] += got["n"]
                    acc = town_stats[(t, owner, town, top, channel, state)]
                    for k in TOWN_STAT:
                        acc[k] += got[k]
    return _Built(
        [
            CaseMonthStat(month=month, basis=b, owner_unit_id=o, town_id=t, category_id=c, channel=ch, state=s, **v)
            for (b, o, t, c, ch, s), v in months.items()
        ],
        [CaseDayStat(day=d, basis=b, owner_unit_id=o, town_id=t, **v) for (b, d, o, t), v in days.items()],
        [CaseTownDay(day=d, basis=b, town_id=t, **v) for (b, d, t), v in town_days.items()],
        [CaseTownMix(month=month, town_id=t, category_id=c, channel=ch, n=n) for (t, c, ch), n in town_mix.items()],
        [CaseTownPlace(month=month, town_id=t, location_unit_id=loc, n=n) for (t, loc), n in town_places.items()],
        [
            CaseTownStat(
                month=month, scope_town_id=t, owner_unit_id=o, town_id=w, category_id=c, channel=ch, state=s, **v
            )
            for (t, o, w, c, ch, s), v in town_stats.items()
        ],
    )


def rebuild_month(month: dt.date, towns: dict[int, int | None] | None = None) -> int:
    """Rebuild one month's rows from the cases (clean first: a change during the rebuild re-dirties it)."""
    month = month.replace(day=1)
    now = timezone.now()
    RollupMonth.objects.update_or_create(month=month, defaults={"dirty": False})
    built = _rows(month, towns if towns is not None else _towns())
    start, end = month_bounds(month)
    mix: dict[tuple[Any, str], int] = defaultdict(int)
    for r in built.months:
        if r.basis == Basis.REGISTERED:
            mix[(r.category_id, r.channel)] += r.n
    grid = [
        CaseMonthGrid(month=month, location_unit_id=loc, colour=colour, level=level, n=n)
        for loc, colour, level, n in Case.objects.filter(
            created_at__gte=start, created_at__lt=end, location_unit_id__isnull=False
        )
        .values_list("location_unit_id", "colour", "level")
        .annotate(n=Count("id"))
        .order_by()
    ]
    with transaction.atomic():
        CaseMonthStat.objects.filter(month=month).delete()
        CaseMonthMix.objects.filter(month=month).delete()
        CaseMonthGrid.objects.filter(month=month).delete()
        CaseTownMix.objects.filter(month=month).delete()
        CaseTownPlace.objects.filter(month=month).delete()
        CaseTownStat.objects.filter(month=month).delete()
        CaseMonthGrid.objects.bulk_create(grid, batch_size=5000)
        CaseDayStat.objects.filter(day__gte=start.date(), day__lt=end.date()).delete()
        CaseTownDay.objects.filter(day__gte=start.date(), day__lt=end.date()).delete()
        CaseMonthStat.objects.bulk_create(built.months, batch_size=5000)
        CaseMonthMix.objects.bulk_create(
            [CaseMonthMix(month=month, category_id=c, channel=ch, n=n) for (c, ch), n in mix.items()]
        )
        CaseDayStat.objects.bulk_create(built.days, batch_size=5000)
        CaseTownDay.objects.bulk_create(built.town_days, batch_size=5000)
        CaseTownMix.objects.bulk_create(built.town_mix, batch_size=5000)
        CaseTownPlace.objects.bulk_create(built.town_places, batch_size=5000)
        CaseTownStat.objects.bulk_create(built.town_stats, batch_size=5000)
        RollupMonth.objects.filter(month=month).update(refreshed_at=now)
    bump_version()
    return len(built.months)


VERSION_KEY = "atlas:rollup:token"


def bump_version() -> str:
    """A new token for the rollups' version (rollup_read.version): the screens' and the map's cached
    rollup blocks are keyed by it, so a rebuilt month is never served from an older cache entry."""
    import uuid

    from django.core.cache import cache

    token = uuid.uuid4().hex
    cache.set(VERSION_KEY, token, None)
    return token


def mark_dirty(months: Iterable[dt.date | None]) -> None:
    wanted = sorted({m for m in months if m is not None})
    if wanted:
        RollupMonth.objects.bulk_create(
            [RollupMonth(month=m, dirty=True) for m in wanted],
            update_conflicts=True,
            unique_fields=["month"],
            update_fields=["dirty"],
        )


def refresh(now: dt.datetime | None = None) -> int:
    """The scheduled job: rebuild the dirty months and the running one. Returns the months rebuilt."""
    current = month_of(now or timezone.now())
    assert current is not None
    months = set(RollupMonth.objects.filter(dirty=True).values_list("month", flat=True)) | {current}
    towns = _towns()
    for m in sorted(months):
        rebuild_month(m, towns)
    return len(months)


def rebuild_all() -> int:
    """Every month from the first case's (or January of last year, so the screens' year is always
    covered) to the running one: after a bulk load, and nightly."""
    now = timezone.now()
    first = Case.objects.aggregate(first=Min("created_at"))["first"] or now
    last = month_of(now)
    assert last is not None
    m = min(month_of(first) or last, last.replace(year=last.year - 1, month=1))
    towns, done = _towns(), 0
    while m <= last:
        rebuild_month(m, towns)
        m, done = (m + dt.timedelta(days=32)).replace(day=1), done + 1
    return done


def freshness(months: Iterable[dt.date]) -> dt.datetime | None:
    """When the oldest of ``months`` was rebuilt; None when one was never built (read the cases)."""
    months = sorted(set(months))
    got = dict(RollupMonth.objects.filter(month__in=months).values_list("month", "refreshed_at"))
    if not months or any(got.get(m) is None for m in months):
        return None
    return min(v for v in got.values() if v is not None)


# --- receivers: a case save marks its months dirty -----------------------------------------------


def before_case_save(sender: Any, instance: Case, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    old = Case.objects.filter(pk=instance.pk).values_list("created_at", "resolved_at").first()
    instance._atlas_months = {month_of(w) for w in old} if old else set()  # type: ignore[attr-defined]


def after_case_save(sender: Any, instance: Case, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    months = set(getattr(instance, "_atlas_months", set())) | {
        month_of(instance.created_at),
        month_of(instance.resolved_at),
    }
    transaction.on_commit(lambda: _mark_safely(months))


def after_cases_saved(sender: Any, cases: list[Case], **kwargs: Any) -> None:
    """A set-based write of many cases (``cases.hooks.cases_saved``, e.g. the triage step): their months,
    marked once for the batch (such a write moves no dates)."""
    months = {month_of(c.created_at) for c in cases} | {month_of(c.resolved_at) for c in cases}
    transaction.on_commit(lambda: _mark_safely(months))


def _mark_safely(months: set[dt.date | None]) -> None:
    try:
        mark_dirty(months)
    except Exception:  # never break a case's save; the running month's rebuild catches up
        log.exception("atlas rollup: marking months dirty failed")
