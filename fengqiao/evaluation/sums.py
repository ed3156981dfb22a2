"""Per-unit metric sums: what the 矛调指数 is computed from, instead of loading every case of the period.

A build (:class:`~fengqiao.evaluation.models.SumBuild`) holds, for one period, each case metric's
numerator and denominator grouped by the path the metric attributes a case to (the owner unit's path,
or the place's — ``location_path``, else the owner's). The figure of a unit is the sum over the paths
of its subtree, which is exactly what the facts engine counts (``Scope.by_owner`` / ``by_place`` test
the same prefix). The cases of each metric are defined once, in :mod:`.families` (which the
drill-down filters to one unit). Each group is one SQL ``GROUP BY`` with conditional counts; the
event-derived facts (mediated, rated, visited, flagged, repeated) are ``EXISTS`` subqueries. ``avg_days`` sums whole
microseconds, read as ``(owner_path, created_at, resolved_at)`` of the period's closed cases, so the
sums add up exactly and the mean is the engine's to the last bit.

The facts engine (:mod:`fengqiao.evaluation.facts`) stays for persons and as the reference:
``tests/evaluation/test_sums.py`` checks both give the same figures, index and drill-down lists.

Freshness: a build of a period that had ended when it was built is reused until a case change marks
it dirty (:func:`mark_case`, connected to the case and case-event signals in ``EvaluationConfig``);
a build of a running period is rebuilt whenever the index is computed. Writes that bypass the models
(bulk loads) call :func:`invalidate`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from fengqiao.cases.models import DATE_FIELDS, Case, CaseEvent
from fengqiao.evaluation import families
from fengqiao.evaluation.facts import REPEAT_DAYS
from fengqiao.evaluation.metrics import REGISTRY
from fengqiao.evaluation.models import MetricSum, SumBuild
from fengqiao.evaluation.periods import Period

Sums = dict[str, dict[str, tuple[int, int]]]  # metric → path → (numerator, denominator)
# Events that change a metric without changing the case's dates (rated, visited, mediated, instructed).
EVENT_CODES = frozenset(
    {
        "case.rate",
        "case.return_visit",
        "case.attach_team",
        "case.detach_team",
        "case.record_session",
        "case.instruct",
        "case.answer_instruction",
        "case.update",
    }
)
BUILT_IN = frozenset(
    {
        "success_rate",
        "prelit_success_rate",
        "completion_rate",
        "ontime_rate",
        "dual_rate",
        "local_rate",
        "avg_days",
        "satisfaction_rate",
        "satisfaction_strict",
        "flagged_rate",
        "repeat_rate",
        "high_risk_share",
        "response_rate",
        "accept_ontime_rate",
        "instruction_answer_rate",
    }
)


def _group(qs: QuerySet[Case], by: str, out: Sums, spec: dict[str, tuple[Q | None, Q | None]]) -> None:
    """One GROUP BY ``by`` over ``qs``: for each metric, (count where num-cond, count where den-cond;
    every row when the den-cond is None). A mean (num-cond None) is summed by :func:`compute`."""
    aggs: dict[str, Any] = {}
    keys = [k for k, (num, _den) in spec.items() if num is not None]
    for key in keys:
        num, den = spec[key]
        aggs[f"{key}__n"] = Count("pk", filter=num)
        aggs[f"{key}__d"] = Count("pk", filter=den) if den is not None else Count("pk")
    if not keys:
        return
    for row in qs.values(by).annotate(**aggs).order_by():
        for key in keys:
            n, d = row[f"{key}__n"], row[f"{key}__d"]
            if d:
                out[key][row[by]] = (n, d)


def compute(period: Period, now: dt.datetime) -> Sums:
    """The sums of every case metric for ``period`` up to ``now`` (not stored)."""
    start, end = period.start, min(period.end, now)
    out: Sums = defaultdict(dict)
    for fam in families.families(start, end):
        _group(fam.cases, fam.by, out, fam.spec)
        if "avg_days" in fam.spec:  # whole microseconds per owner path, summed exactly
            days: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            rows = fam.cases.values_list("owner_path", "created_at", "resolved_at").iterator(chunk_size=20000)
            for owner, created, resolved in rows:
                acc = days[owner]
                assert resolved is not None  # closed cases are concluded
                acc[0] += (resolved - created) // dt.timedelta(microseconds=1)
                acc[1] += 1
            out["avg_days"] = {p: (n, d) for p, (n, d) in days.items()}
    answers = (
        families.instructions(start, end)
        .values("case__owner_path")
        .annotate(n=Count("pk", filter=Q(answered_at__isnull=False)), d=Count("pk"))
        .order_by()
    )
    out["instruction_answer_rate"] = {r["case__owner_path"]: (r["n"], r["d"]) for r in answers if r["d"]}
    for key, m in REGISTRY.items():  # metrics added by later apps
        if m.grouped is not None:
            out[key] = m.grouped(start, end)
    return out


def covers(keys: Iterable[str]) -> bool:
    """Whether the sums answer every one of ``keys`` (a later app's metric may not offer sums)."""
    return all(k in BUILT_IN or REGISTRY[k].external or REGISTRY[k].grouped is not None for k in keys)


# --- stored builds --------------------------------------------------------------------------------


def build_for(period: Period, now: dt.datetime) -> tuple[SumBuild, Sums]:
    """The stored sums of ``period``, rebuilt unless a clean build of the ended period exists."""
    b = SumBuild.objects.filter(period=period.code).first()
    if b is not None and not b.dirty and (b.as_of == now or (b.as_of >= period.end and now >= period.end)):
        return b, read(b)
    return rebuild(period, now)


def rebuild(period: Period, now: dt.datetime) -> tuple[SumBuild, Sums]:
    sums = compute(period, now)
    with transaction.atomic():
        b, created = SumBuild.objects.select_for_update().get_or_create(
            period=period.code, defaults={"start": period.start, "end": period.end, "as_of": now}
        )
        if not created:
            MetricSum.objects.filter(build=b).delete()
            b.as_of, b.dirty, b.version = now, False, b.version + 1
        b.start, b.end = period.start, period.end
        b.built_at = timezone.now()
        b.save()
        MetricSum.objects.bulk_create(
            [
                MetricSum(build=b, metric=k, path=p, numerator=n, denominator=d)
                for k, rows in sums.items()
                for p, (n, d) in rows.items()
            ],
            batch_size=5000,
        )
    return b, sums


def read(b: SumBuild) -> Sums:
    out: Sums = defaultdict(dict)
    for k, p, n, d in MetricSum.objects.filter(build=b).values_list("metric", "path", "numerator", "denominator"):
        out[k][p] = (n, d)
    return out


def for_unit(sums: Sums, key: str, path: str) -> tuple[int, int]:
    """A unit's (numerator, denominator): the sum over the paths of its subtree."""
    n = d = 0
    for p, (a, b) in sums.get(key, {}).items():
        if p.startswith(path):
            n += a
            d += b
    return n, d


def stored_for_unit(period: Period, now: dt.datetime, key: str, path: str) -> tuple[int, int, SumBuild] | None:
    """A unit's (numerator, denominator) of ``key`` read from the stored build of an ended period,
    when that build is clean (it then equals the SQL it was grouped from); None otherwise."""
    b = SumBuild.objects.filter(period=period.code, dirty=False).first()
    if b is None or now < period.end or b.as_of < period.end:
        return None
    got = MetricSum.objects.filter(build=b, metric=key, path__startswith=path).aggregate(
        n=Sum("numerator"), d=Sum("denominator")
    )
    return got["n"] or 0, got["d"] or 0, b


# --- staleness ------------------------------------------------------------------------------------


def _overlapping(times: Iterable[dt.datetime | None]) -> Q:
    q = Q(pk__in=[])
    for t in times:
        if t is not None:
            q |= Q(start__lte=t, end__gt=t)
    return q


def mark(times: Iterable[dt.datetime | None], created: dt.datetime | None = None) -> int:
    """Mark dirty every build whose period holds one of ``times`` (and, for a case registered at
    ``created``, the 90 days before it: the earlier reports it may make repeats)."""
    q = _overlapping(times)
    if created is not None:
        q |= Q(start__lte=created, end__gt=created - dt.timedelta(days=REPEAT_DAYS))
    return SumBuild.objects.filter(q, dirty=False).update(dirty=True)


def case_times(case_id: int) -> list[dt.datetime | None]:
    row = Case.objects.filter(pk=case_id).values_list(*DATE_FIELDS).first()
    rates = CaseEvent.objects.filter(case_id=case_id, code="case.rate").values_list("at", flat=True)
    return [*(row or ()), *rates]


def mark_case(case_id: int, extra: Iterable[dt.datetime | None] = ()) -> int:
    times = [*case_times(case_id), *extra]
    created = Case.objects.filter(pk=case_id).values_list("created_at", flat=True).first()
    return mark(times, created)


def invalidate() -> int:
    """Mark every build dirty (after writes that bypass the models, such as a bulk load)."""
    return SumBuild.objects.filter(dirty=False).update(dirty=True)


def is_stale(build_id: int | None, version: int | None) -> bool:
    """Whether figures computed from build ``build_id`` at ``version`` are out of date."""
    if build_id is None:
        return False  # computed by the facts engine, not from a build
    b = SumBuild.objects.filter(pk=build_id).values_list("version", "dirty").first()
    return b is None or b[1] or b[0] != version


# --- receivers: a case change marks the builds it may move dirty ----------------------------------


def before_case_save(sender: Any, instance: Case, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    loaded = instance._db_dates
    if loaded is not None and all(f in loaded for f in DATE_FIELDS):
        old: Any = [loaded[f] for f in DATE_FIELDS]  # as loaded (Case.from_db): no query
    else:
        old = Case.objects.filter(pk=instance.pk).values_list(*DATE_FIELDS).first()
    instance._eval_times = list(old or ())  # type: ignore[attr-defined]


def after_case_save(sender: Any, instance: Case, raw: bool = False, **kwargs: Any) -> None:
    """The periods of the case's dates before and after the save (a reopen clears ``resolved_at``, a
    transfer moves the case to another owner), and the 90 days before it was registered (repeats)."""
    if raw:
        return
    times = [*getattr(instance, "_eval_times", []), *(getattr(instance, f) for f in DATE_FIELDS)]
    created = instance.created_at
    transaction.on_commit(lambda: _safely(lambda: mark(times, created)))


def after_cases_saved(sender: Any, cases: list[Case], **kwargs: Any) -> None:
    """A set-based write of many cases (``cases.hooks.cases_saved``, e.g. the triage step, which moves
    the owner or the type but no date): every build overlapping the span of their dates and the 90 days
    before their registration (the earlier reports they may make repeats, as ``after_case_save``), in one
    statement — a superset of the periods that hold one of them: a batch's cases are registered moments apart."""
    times = [t for c in cases for f in DATE_FIELDS if (t := getattr(c, f)) is not None]
    created = [c.created_at for c in cases if c.created_at is not None]
    if times:
        lo, hi = min([*times, *(t - dt.timedelta(days=REPEAT_DAYS) for t in created)]), max(times)
        transaction.on_commit(
            lambda: _safely(lambda: SumBuild.objects.filter(start__lte=hi, end__gt=lo, dirty=False).update(dirty=True))
        )


def after_event_saved(sender: Any, instance: CaseEvent, created: bool = False, raw: bool = False, **kw: Any) -> None:
    """A rating, a return visit, a team, a flag or an instruction is recorded with a case event: mark
    the case's periods, its ratings' and the event's own."""
    if raw or not created or instance.case_id is None or instance.code not in EVENT_CODES:
        return  # other events come with a case save, which after_case_save has seen
    case_id, at = instance.case_id, instance.at
    transaction.on_commit(lambda: _safely(lambda: mark_case(case_id, [at])))


def after_flag_saved(sender: Any, instance: Any, created: bool = False, raw: bool = False, **kw: Any) -> None:
    """An accountability record (问责线索发生率) is not a case event: mark its case's periods."""
    if raw or not created or not instance.case_id:
        return
    case_id = instance.case_id
    transaction.on_commit(lambda: _safely(lambda: mark_case(case_id)))


def _safely(fn: Any) -> None:
    import logging

    try:
        fn()
    except Exception:  # never break a case's save; the scheduled refresh rebuilds the running month
        logging.getLogger(__name__).exception("evaluation sums: marking builds dirty failed")
