"""Read side of evaluation: the active tree, index scores per period (stored, recomputed on demand or
on schedule), rankings, scorecards and drill-downs. State changes live in :mod:`.actions`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.cases import policy
from fengqiao.cases.models import Case
from fengqiao.evaluation import engine, families, index, sums
from fengqiao.evaluation.metrics import MEAN, MICROS_PER_DAY, OWNER, REGISTRY, SPEC_METRICS, Result
from fengqiao.evaluation.models import EvalEvent, IndexNode, IndexScore, IndexTree
from fengqiao.evaluation.periods import Period
from fengqiao.evaluation.periods import parse as parse_period
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import Unit

KINDS: dict[str, tuple[str, Any]] = {
    "town": (UnitKind.TOWN, _("乡镇（街道）")),
    "department": (UnitKind.DEPARTMENT, _("部门")),
}
EVAL_ROLES = frozenset({Role.LEADER, Role.SUPERVISOR, Role.SYSTEM_ADMIN})
MIN_VOLUME = 1  # a unit is ranked only with at least one case counted in the period
ALL_METRICS = list(SPEC_METRICS) + [k for k in REGISTRY if k not in SPEC_METRICS]


def active_tree() -> tuple[IndexTree, list[index.Node]]:
    tree = IndexTree.objects.filter(is_active=True).order_by("pk").first()
    if tree is None:
        from fengqiao.evaluation.defaults import install
        from fengqiao.evaluation.models import PointsRule

        install(IndexTree, IndexNode, PointsRule)
        tree = IndexTree.objects.filter(is_active=True).order_by("pk").first()
    assert tree is not None
    return tree, index.build(index.as_nodes(list(tree.nodes.all())))


def ranked_units(kind: str) -> list[Unit]:
    if kind not in KINDS:
        raise ValueError(kind)
    return list(Unit.objects.filter(kind=KINDS[kind][0], is_active=True).order_by("code"))


def compute_index(period: Period, kind: str, *, now: dt.datetime | None = None) -> list[IndexScore]:
    """Compute and store the index of every unit of ``kind`` for ``period`` (replaces the stored rows)."""
    now = now or timezone.now()
    tree, roots = active_tree()
    units = ranked_units(kind)
    keys = sorted({n.metric for n in index.leaves(roots)})
    # Every metric is computed and stored (the scorecard reads them); the index uses its leaves.
    # From the period's per-unit sums (sums.py), not its cases; the drill-down lists the cases.
    wanted = sorted({*keys, *ALL_METRICS})
    stamp: list[int] | None = None
    if sums.covers(wanted):
        per_unit, pooled, build = engine.compute_from_sums(wanted, period, units, now)
        stamp = [build.pk, build.version]
    else:  # a later app's metric without sums: the facts engine (slower, same figures)
        per_unit, pooled = engine.compute_many(wanted, period, units, now)
    for results in per_unit.values():
        for k, r in results.items():
            r.shrunk = engine.shrink(r, pooled[k], tree.shrink_k)
    scores = index.score(roots, {u: index.leaf_values(rs) for u, rs in per_unit.items()})
    volumes = {pk: _volume({k: rs[k] for k in keys}) for pk, rs in per_unit.items()}
    for pk, vol in volumes.items():
        if vol < MIN_VOLUME:  # no case of its own in the period: its figures would all be the county's
            scores[pk]["__total__"] = None
    ranks = index.rank({u: s["__total__"] for u, s in scores.items()})
    rows = []
    for u in units:
        rs = per_unit[u.pk]
        rows.append(
            IndexScore(
                tree=tree,
                period=period.code,
                kind=kind,
                unit=u,
                score=scores[u.pk]["__total__"],
                rank=ranks[u.pk],
                volume=volumes[u.pk],
                detail={
                    "nodes": {c: s for c, s in scores[u.pk].items() if c != "__total__"},
                    "values": {k: {**r.as_json(), "shrunk": r.shrunk} for k, r in rs.items()},
                    "sums": stamp,
                },
                computed_at=now,
            )
        )
    with transaction.atomic():
        IndexScore.objects.filter(tree=tree, period=period.code, kind=kind).delete()
        IndexScore.objects.bulk_create(rows)
        EvalEvent.objects.create(code="index.compute", data={"period": period.code, "kind": kind, "units": len(rows)})
    return rows


def _volume(results: dict[str, Result]) -> int:
    return int(max((r.denominator for k, r in results.items() if not REGISTRY[k].external), default=0))


def scores(period: Period, kind: str, *, refresh: bool = False) -> list[IndexScore]:
    """The stored scores of ``period``, computed first when there are none (or ``refresh``)."""
    tree, _roots = active_tree()
    qs = IndexScore.objects.filter(tree=tree, period=period.code, kind=kind).select_related("unit")
    if refresh or not qs.exists():
        compute_index(period, kind)
    return sorted(qs.all(), key=lambda s: (s.rank is None, s.rank or 0, s.unit.code))


@dataclass
class RankRow:
    unit: Unit
    score: float | None
    rank: int | None
    change: float | None
    previous_rank: int | None
    band: str
    volume: int
    dims: dict[str, float | None]


def ranking_rows(period: Period, kind: str) -> list[RankRow]:
    current = scores(period, kind)
    prev_period = period.previous()
    previous = {s.unit_id: s for s in scores(prev_period, kind)} if prev_period.first >= dt.date(2000, 1, 1) else {}
    count = sum(1 for s in current if s.rank is not None)
    _tree, roots = active_tree()
    out = []
    for s in current:
        p = previous.get(s.unit_id)
        change = s.score - p.score if (p is not None and s.score is not None and p.score is not None) else None
        nodes = s.detail.get("nodes", {})
        out.append(
            RankRow(
                s.unit,
                s.score,
                s.rank,
                change,
                p.rank if p else None,
                index.band(s.rank, count),
                s.volume,
                {r.code: nodes.get(r.code) for r in roots},
            )
        )
    return out


def ranking(period: Period | str, kind: str) -> list[dict[str, Any]]:
    """Plain rows for other pages (the dashboard): unit, score, rank, change from the previous period."""
    p = parse_period(period) if isinstance(period, str) else period
    return [
        {
            "unit": r.unit,
            "unit_code": r.unit.code,
            "unit_name": r.unit.name,
            "score": None if r.score is None else round(r.score, 2),
            "rank": r.rank,
            "change": None if r.change is None else round(r.change, 2),
        }
        for r in ranking_rows(p, kind)
    ]


def ranking_stamp(period: Period | str, kind: str) -> str:
    """A token that changes whenever the stored ranking of ``period`` (or of the period before it, which
    its changes are against) is recomputed, or the active tree changes; "" when nothing is stored yet.
    Other pages (the big screen) keep :func:`ranking`'s rows under it: two small queries."""
    p = parse_period(period) if isinstance(period, str) else period
    tree = IndexTree.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True).first()
    got = IndexScore.objects.filter(tree_id=tree, kind=kind, period__in=[p.code, p.previous().code]).aggregate(
        n=Count("pk"), current=Count("pk", filter=Q(period=p.code)), last=Max("computed_at")
    )
    if tree is None or not got["current"]:
        return ""
    return f"{tree}-{got['n']}-{got['last'].timestamp()}"


def is_stale(period: Period, kind: str) -> bool:
    """Whether a case changed after the stored index of ``period`` was computed (its sums build was
    marked dirty or rebuilt since): the pages say so, and the next scheduled run refreshes it."""
    tree, _roots = active_tree()
    s = IndexScore.objects.filter(tree=tree, period=period.code, kind=kind).only("detail").first()
    if s is None:
        return False
    build_id, version = (s.detail.get("sums") or [None, None])[:2]
    return sums.is_stale(build_id, version)


def stale_periods(kind: str) -> list[str]:
    """The periods whose stored index is stale (for the scheduled refresh)."""
    tree, _roots = active_tree()
    out = []
    for code in (
        IndexScore.objects.filter(tree=tree, kind=kind).order_by("period").values_list("period", flat=True).distinct()
    ):
        try:
            p = parse_period(code)
        except ValueError:
            continue
        if is_stale(p, kind):
            out.append(code)
    return sorted(out)


def freshness(period: Period, kind: str) -> dt.datetime | None:
    tree, _roots = active_tree()
    s = IndexScore.objects.filter(tree=tree, period=period.code, kind=kind).order_by("-computed_at").first()
    return s.computed_at if s else None


# --- scope -------------------------------------------------------------------------------------------


def units_in_scope(user: Any) -> QuerySet[Unit]:
    return policy.units_in_scope(user, EVAL_ROLES)


def may_evaluate(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*EVAL_ROLES))


def unit_for(user: Any, unit_id: int) -> Unit | None:
    """The unit when it lies in the user's evaluation scope (None: the caller answers 404)."""
    return units_in_scope(user).filter(pk=unit_id).first()


def unit_by_code_for(user: Any, code: str) -> Unit | None:
    return units_in_scope(user).filter(code=code).first()


def kind_of(unit: Unit) -> str | None:
    for k, (kind, _label) in KINDS.items():
        if unit.kind == kind:
            return k
    return None


# --- scorecard and drill-down ----------------------------------------------------------------------


def stored_metrics(unit: Unit, period: Period, keys: list[str]) -> tuple[list[Result], dt.datetime] | None:
    """A ranked unit's figures as the last index computation stored them (every metric, with its
    numerator and denominator), and when that was: the scorecard reads these instead of
    recomputing the period's facts; the drill-down lists the exact cases (:func:`drilldown`)."""
    kind = kind_of(unit)
    if not kind:
        return None
    tree, _roots = active_tree()
    stored = IndexScore.objects.filter(tree=tree, period=period.code, kind=kind, unit=unit).first()
    if stored is None:
        scores(period, kind)  # first visit of a period: compute and store it for every unit
        stored = IndexScore.objects.filter(tree=tree, period=period.code, kind=kind, unit=unit).first()
    values = stored.detail.get("values", {}) if stored else {}
    if stored is None or any(k not in values for k in keys):
        return None  # stored before every metric was kept: compute live
    out = []
    for k in keys:
        m, v = REGISTRY[k], values[k]
        value = v.get("value")
        r = Result(k, str(m.name), str(m.formula), m.proposed, v["numerator"], v["denominator"], value, m.kind)
        if v.get("shrunk") is not None and not m.external:
            r.shrunk = v["shrunk"]
        out.append(r)
    return out, stored.computed_at


def unit_metrics(unit: Unit, period: Period, keys: list[str] | None = None) -> list[Result]:
    results = engine.compute(keys or ALL_METRICS, period, unit=unit)
    kind = kind_of(unit)
    if kind:
        stored = next((s for s in scores(period, kind) if s.unit_id == unit.pk), None)
        if stored:
            for r in results:
                v = stored.detail.get("values", {}).get(r.key)
                if v and v.get("shrunk") is not None and not REGISTRY[r.key].external:
                    r.shrunk = v["shrunk"]
    return results


def person_metrics(person_id: int, period: Period) -> list[Result]:
    keys = [k for k in ALL_METRICS if not REGISTRY[k].external]
    return engine.compute(keys, period, person_id=person_id)


def scorecard(unit: Unit, period: Period) -> dict[str, Any]:
    kind = kind_of(unit)
    _tree, roots = active_tree()
    ctx: dict[str, Any] = {"unit": unit, "period": period, "kind": kind, "dims": [], "row": None}
    if kind:
        rows = ranking_rows(period, kind)
        mine = next((r for r in rows if r.unit.pk == unit.pk), None)
        ctx["row"] = mine
        ctx["count"] = sum(1 for r in rows if r.rank is not None)
        for d in roots:
            vals = [r.dims.get(d.code) for r in rows if r.dims.get(d.code) is not None]
            avg = sum(vals) / len(vals) if vals else None  # type: ignore[arg-type]
            ctx["dims"].append(
                {
                    "code": d.code,
                    "name": d.name,
                    "weight": d.weight,
                    "score": mine.dims.get(d.code) if mine else None,
                    "avg": avg,
                }
            )
    kept = stored_metrics(unit, period, ALL_METRICS)
    if kept is not None:
        ctx["results"], ctx["fresh"] = kept
    else:
        ctx["results"], ctx["fresh"] = unit_metrics(unit, period), None
    return ctx


LARGE_DRILL = 20_000  # cases: above this, the county's drill-down page is read with ORDER BY … LIMIT


@dataclass
class Drilldown:
    """A figure and the cases it counts that the user may see: ``den`` (annotated ``in_num``) and
    ``num``. ``total`` is the number of cases in the denominator, seen or not (None: all are seen).
    ``stored``: when the figure was read from the period's stored sums (None: counted just now)."""

    result: Result
    den: QuerySet[Case]
    num: QuerySet[Case]
    total: int | None
    stored: dt.datetime | None = None
    large: bool = False
    end: dt.datetime | None = None  # the period's end (or now): every counted case was registered before it

    def ordered_ids(self) -> list[int]:
        """The ids of ``den``, newest registration first: read as (time, id) pairs and sorted here,
        because an ORDER BY … LIMIT lets PostgreSQL walk the whole registration-time index backwards
        looking for a small unit's cases of an older period."""
        pairs = sorted(self.den.order_by().values_list("created_at", "pk"), reverse=True)
        return [pk for _at, pk in pairs]

    def page(self, number: Any, per_page: int = 100) -> tuple[Page[Any], int]:
        """One page of ``den`` (newest first, ``owner_unit`` and ``category`` joined) and how many
        cases ``den`` holds. A large figure the user sees whole (the county's month) is paged in SQL,
        counted by its stored denominator; a unit's is sorted from its (time, id) pairs."""
        rows = self.den.select_related("owner_unit", "category")
        if self.large:
            # Every case a figure of the period counts was registered before the period's end (its
            # acceptance, deadline, conclusion, closing or rating comes after its registration), so
            # the walk down the registration-time index starts there, not at today's cases.
            ordered = rows.filter(created_at__lt=self.end).order_by("-created_at", "-pk")
            paginator = Paginator(ordered, per_page)
            paginator.count = int(self.result.denominator)  # the stored sums' count of these cases
            return paginator.get_page(number), paginator.count
        ids = self.ordered_ids()
        page: Any = Paginator(ids, per_page).get_page(number)
        by_pk = {c.pk: c for c in rows.filter(pk__in=list(page.object_list))}
        page.object_list = [by_pk[pk] for pk in page.object_list]
        return page, len(ids)

    def hidden(self, shown: int) -> int:
        """Cases of the denominator outside the user's view, given how many ``den`` holds."""
        return 0 if self.total is None else self.total - shown


def drilldown(user: Any, unit: Unit, period: Period, key: str, *, now: dt.datetime | None = None) -> Drilldown:
    """The metric's figure for ``unit`` and the exact cases of its numerator and denominator.

    The cases come from the same SQL the per-unit sums group (:mod:`.families`), filtered to the unit's
    subtree, so the cost follows the unit's cases. The figure is counted over those very cases, or read
    from the period's stored sums when a clean build of the ended period exists (grouped from the same
    SQL, so equal). A later app's metric without a SQL definition falls back to the facts engine."""
    m = REGISTRY[key]
    if m.external:
        raise KeyError(key)
    now = now or timezone.now()
    start, end = period.start, min(period.end, now)
    got = families.drill(key, start, end, unit.path)
    stored_at = None
    den_all: Any
    num_all: Any
    if got is None:
        (result,) = engine.compute([key], period, unit=unit, now=now)
        num_ids = set(result.num_ids)
        den_all = Case.objects.filter(pk__in=result.den_ids).annotate(
            in_num=ExpressionWrapper(Q(pk__in=num_ids), output_field=BooleanField())
        )
        num_all = den_all.filter(pk__in=num_ids)
    else:
        stored = sums.stored_for_unit(period, now, key, unit.path)
        if stored is not None:
            n, d, build = stored
            numerator: float = n / MICROS_PER_DAY if m.kind == MEAN else n
            denominator, stored_at = d, build.built_at
        else:
            numerator, denominator = got.counts()
        value = numerator / denominator if denominator else None
        result = Result(key, str(m.name), str(m.formula), m.proposed, numerator, denominator, value, m.kind)
        den_all, num_all = got.den, got.num
    if _sees_all(user, unit, by_owner=got is not None and m.attribution == OWNER):
        # Walking the registration-time index down from the period's end pays off only where the
        # unit's cases are most of the county's: a town's 办结率 counts cases due in the period, which
        # were registered weeks earlier, and the walk for a town passed ~230 k other cases first
        # (1.25 s at 3.3 M); its (time, id) pairs sort in ~0.1 s instead.
        whole = unit.kind == UnitKind.COUNTY or unit.parent_id is None
        large = bool(
            whole and stored_at and got is not None and got.cases_are_units and result.denominator > LARGE_DRILL
        )
        return Drilldown(result, den_all, num_all, None, stored_at, large, end)
    den, num = policy.restrict(den_all, user), policy.restrict(num_all, user)
    return Drilldown(result, den, num, den_all.count(), stored_at)


def _sees_all(user: Any, unit: Unit, *, by_owner: bool) -> bool:
    """Whether the user sees every case a figure of ``unit`` may count: those it owns when the figure
    counts by owner and the unit lies in the user's scope, or any case when the scope holds every unit."""
    from fengqiao.org.paths import subtree_q

    paths = policy.scope_paths(user)
    if by_owner and any(unit.path.startswith(p) for p in paths):
        return True
    return any(not Unit.objects.exclude(subtree_q("path", p)).exists() for p in paths)
