"""Computing metrics: for one scope (unit subtree or person) or for many units at once, plus the
external figures (population, lawsuits, 四级走访) and the small-unit shrinkage.

Shrinkage (the fairness rule, docs/metrics.md): for ranking, a unit's rate is pulled toward the county
value by ``k`` pseudo-cases: ``(numerator + k·p_county) ÷ (denominator + k)``. A unit with 3 cases
moves most of the way to the county mean; one with 300 barely moves. The raw value is always shown
next to the shrunk one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from fengqiao.evaluation import facts as facts_mod
from fengqiao.evaluation import sums as sums_mod
from fengqiao.evaluation.facts import Facts, Scope
from fengqiao.evaluation.metrics import CHANGE, MEAN, MICROS_PER_DAY, PER10K, REGISTRY, Metric, Result
from fengqiao.evaluation.models import ExternalFigure, FigureKind, SumBuild
from fengqiao.evaluation.periods import Period
from fengqiao.org.models import Unit


def compute_one(m: Metric, f: Facts, scope: Scope, unit: Unit | None, ext: Externals | None = None) -> Result:
    if m.external:
        return _external(m, f.period, unit, ext or Externals())
    if m.kind == MEAN:
        assert m.sums is not None
        total, ids = m.sums(f, scope)
        value = total / len(ids) if ids else None
        return Result(m.key, str(m.name), str(m.formula), m.proposed, total, len(ids), value, m.kind, ids, ids)
    assert m.pick is not None
    num, den = m.pick(f, scope)
    value = len(num) / len(den) if den else None
    return Result(m.key, str(m.name), str(m.formula), m.proposed, len(num), len(den), value, m.kind, num, den)


def compute(
    keys: Iterable[str],
    period: Period,
    *,
    unit: Unit | None = None,
    person_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[Result]:
    """Every metric of ``keys`` for one unit's subtree, or for one person (the cases they handle)."""
    now = now or timezone.now()
    scope = Scope(person_id=person_id) if person_id is not None else Scope(path=unit.path if unit else "/")
    f = facts_mod.load(period, now, scope.q() if (unit is not None or person_id is not None) else None)
    ext = Externals()
    return [compute_one(REGISTRY[k], f, scope, None if person_id is not None else unit, ext) for k in keys]


def compute_many(
    keys: Iterable[str], period: Period, units: list[Unit], now: dt.datetime | None = None
) -> tuple[dict[int, dict[str, Result]], dict[str, Result]]:
    """Every metric for each of ``units`` (disjoint subtrees) and for all of them together (the pool
    the ranking shrinks toward), from one load of the period's facts."""
    now = now or timezone.now()
    keys = list(keys)
    f = facts_mod.load(period, now)
    ext = Externals()
    buckets = f.buckets(units)
    per_unit = {
        u.pk: {k: compute_one(REGISTRY[k], buckets[u.pk], Scope(path=u.path), u, ext) for k in keys} for u in units
    }
    return per_unit, pool(keys, units, per_unit)


def compute_from_sums(
    keys: Iterable[str], period: Period, units: list[Unit], now: dt.datetime | None = None
) -> tuple[dict[int, dict[str, Result]], dict[str, Result], SumBuild]:
    """As :func:`compute_many`, from the period's per-unit sums (:mod:`.sums`) instead of its cases:
    the same figures (numerators and denominators only, no case lists) and the build they came from."""
    now = now or timezone.now()
    keys = list(keys)
    if not sums_mod.covers(keys):
        raise ValueError("a metric without per-unit sums: use compute_many")
    build, sums = sums_mod.build_for(period, now)
    ext = Externals()
    per_unit: dict[int, dict[str, Result]] = {}
    for u in units:
        res: dict[str, Result] = {}
        for k in keys:
            m = REGISTRY[k]
            if m.external:
                res[k] = _external(m, period, u, ext)
                continue
            n, d = sums_mod.for_unit(sums, k, u.path)
            num: float = n / MICROS_PER_DAY if m.kind == MEAN else n
            res[k] = Result(k, str(m.name), str(m.formula), m.proposed, num, d, num / d if d else None, m.kind)
        per_unit[u.pk] = res
    return per_unit, pool(keys, units, per_unit), build


def pool(keys: list[str], units: list[Unit], per_unit: dict[int, dict[str, Result]]) -> dict[str, Result]:
    """Every metric over all ``units`` together (the value the ranking shrinks toward)."""
    pooled: dict[str, Result] = {}
    for k in keys:
        m = REGISTRY[k]
        rs = [per_unit[u.pk][k] for u in units]
        num = sum(r.numerator for r in rs)
        den = sum(r.denominator for r in rs)
        if m.kind == PER10K:
            value = num / den * 10000 if den else None
        elif m.kind == CHANGE:
            value = num / den if den else None
        else:
            value = num / den if den else None
        pooled[k] = Result(k, str(m.name), str(m.formula), m.proposed, num, den, value, m.kind)
    return pooled


def shrink(r: Result, pool: Result, k: float) -> float | None:
    """Empirical-Bayes style shrinkage toward the pooled value (case-based rates and means only)."""
    if pool.value is None:
        return r.value
    if REGISTRY[r.key].external:
        return r.value
    return (r.numerator + k * pool.value) / (r.denominator + k)


class Externals:
    """External figures, read once per computation: a unit's own row, else the sum over its children."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], dict[int, int]] | None = None
        self._children: dict[int | None, list[int]] = {}

    def _load(self) -> dict[tuple[str, str], dict[int, int]]:
        if self._rows is None:
            self._rows = {}
            for unit_id, kind, period, value in ExternalFigure.objects.values_list(
                "unit_id", "kind", "period", "value"
            ):
                self._rows.setdefault((kind, period), {})[unit_id] = value
            for pk, parent in Unit.objects.filter(is_active=True).values_list("pk", "parent_id"):
                self._children.setdefault(parent, []).append(pk)
        return self._rows

    def value(self, kind: str, period: str, unit_id: int) -> int | None:
        table = self._load().get((kind, period), {})
        return self._sum(table, unit_id, 0)

    def _sum(self, table: dict[int, int], unit_id: int, depth: int) -> int | None:
        if unit_id in table:
            return table[unit_id]
        if depth > 12:
            return None
        parts = [self._sum(table, c, depth + 1) for c in self._children.get(unit_id, [])]
        found = [p for p in parts if p is not None]
        return sum(found) if found else None

    def monthly(self, kind: str, period: Period, unit_id: int) -> int | None:
        vals = [self.value(kind, m, unit_id) for m in period.months()]
        found = [v for v in vals if v is not None]
        return sum(found) if found else None

    def population(self, period: Period, unit_id: int) -> int | None:
        for y in range(period.last.year, period.last.year - 3, -1):  # the latest of the last three years
            v = self.value(FigureKind.POPULATION, str(y), unit_id)
            if v is not None:
                return v
        return None


def _external(m: Metric, period: Period, unit: Unit | None, ext: Externals) -> Result:
    base = Result(m.key, str(m.name), str(m.formula), m.proposed, 0, 0, None, m.kind)
    if unit is None:
        return base
    if m.key == "lawsuit_rate":
        suits = ext.monthly(FigureKind.LAWSUITS, period, unit.pk)
        pop = ext.population(period, unit.pk)
        if suits is None or not pop:
            return base
        base.numerator, base.denominator, base.value = suits, pop, suits / pop * 10000
        return base
    if m.key == "visit_decline":
        cur = ext.monthly(FigureKind.VISITS, period, unit.pk)
        prev = ext.monthly(FigureKind.VISITS, period.previous(), unit.pk)
        if cur is None or not prev:
            return base
        base.numerator, base.denominator, base.value = prev - cur, prev, (prev - cur) / prev
        return base
    return base
