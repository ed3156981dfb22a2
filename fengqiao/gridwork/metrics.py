"""Supervision figures of grid work, each with its formula, numerator and denominator:

- 巡查覆盖率 = 本期有完成巡查（已开始并结束）的网格数 ÷ 辖区网格数 (a patrol of a micro-grid counts for
  its grid); the grids without one are listed (未巡查网格).
- 走访逾期 = 应走访日期已过仍未走访的安排 (planned, due before today).
- 网格层面化解率 = 本期办结件数中，由网格（含微网格）办结且为化解（非引导分流）的件数 ÷ 本期办结件数,
  counted by place (属地: the case's place, its owner when it has none), like evaluation's place metrics.
  Concluded = resolved or referred in the period and not reopened since (reopen clears it).

The same rate is registered with the evaluation app's metric registry (key ``grid_rate``) when that
app is installed, so the two never disagree: both pick the same cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.models import Case
from fengqiao.cases.workflow import State
from fengqiao.gridwork.choices import VisitStatus
from fengqiao.gridwork.models import Patrol, Visit
from fengqiao.gridwork.policy import GRID_KINDS
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit
from fengqiao.org.paths import subtree_q

RATE_NAME = _("网格层面化解率")
RATE_FORMULA = _("本期办结件数中由网格（含微网格）办结且为化解（非引导分流）的件数 ÷ 本期办结件数（按属地统计）")
COVERAGE_FORMULA = _("本期有完成巡查的网格数 ÷ 辖区网格数（微网格的巡查计入其网格）")


@dataclass
class GridRow:
    grid: Unit
    patrols: int = 0
    checkins: int = 0
    days: int = 0
    last: dt.datetime | None = None
    overdue_visits: int = 0

    @property
    def covered(self) -> bool:
        return self.patrols > 0


@dataclass
class Coverage:
    rows: list[GridRow] = field(default_factory=list)

    @property
    def grids(self) -> int:
        return len(self.rows)

    @property
    def covered(self) -> int:
        return sum(1 for r in self.rows if r.covered)

    @property
    def rate(self) -> float | None:
        return self.covered / self.grids if self.grids else None

    @property
    def uncovered(self) -> list[GridRow]:
        return [r for r in self.rows if not r.covered]


def _grid_of(path: str, by_path: dict[str, GridRow]) -> GridRow | None:
    """The grid row whose path is the longest prefix of ``path`` (a micro-grid counts for its grid)."""
    parts = path.strip("/").split("/")
    for n in range(len(parts), 0, -1):
        row = by_path.get("/" + "/".join(parts[:n]) + "/")
        if row is not None:
            return row
    return None


def coverage(scope: Unit, start: dt.datetime, end: dt.datetime, today: dt.date | None = None) -> Coverage:
    """Patrol coverage and overdue visits of every grid under ``scope`` for patrols started in [start, end)."""
    today = today or timezone.localdate()
    grids = list(Unit.objects.filter(subtree_q("path", scope.path), kind=UnitKind.GRID, is_active=True))
    if scope.kind == UnitKind.MICROGRID:
        grids = [scope]
    rows = {g.path: GridRow(g) for g in grids}
    done = Patrol.objects.filter(
        subtree_q("grid_path", scope.path), started_at__gte=start, started_at__lt=end, ended_at__isnull=False
    )
    per_path = done.values("grid_path").annotate(n=Count("id"), c=Sum("checkin_count"), last=Max("started_at"))
    for item in per_path:
        row = _grid_of(item["grid_path"], rows)
        if row is None:
            continue
        row.patrols += item["n"]
        row.checkins += item["c"] or 0
        row.last = max(filter(None, [row.last, item["last"]]), default=None)
    days = done.annotate(day=TruncDate("started_at", tzinfo=timezone.get_current_timezone()))
    seen: set[tuple[str, Any]] = set()
    for path, day in days.values_list("grid_path", "day").distinct():
        row = _grid_of(path, rows)
        if row is not None and (row.grid.path, day) not in seen:
            seen.add((row.grid.path, day))
            row.days += 1
    for path, n in (
        overdue_visits(scope, today).values("grid_path").annotate(n=Count("id")).values_list("grid_path", "n")
    ):
        row = _grid_of(path, rows)
        if row is not None:
            row.overdue_visits += n
    return Coverage(sorted(rows.values(), key=lambda r: r.grid.path))


def overdue_visits(scope: Unit, today: dt.date | None = None) -> QuerySet[Visit]:
    today = today or timezone.localdate()
    return Visit.objects.filter(subtree_q("grid_path", scope.path), status=VisitStatus.PLANNED, due_date__lt=today)


@dataclass
class Rate:
    numerator: int
    denominator: int
    num_ids: list[int]
    den_ids: list[int]

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def display(self) -> str:
        return "—" if self.value is None else f"{self.value * 100:.1f}%"


def place_q(path: str) -> Q:
    """Cases whose place (属地) lies under ``path``: the place, or the owner when there is none."""
    return subtree_q("location_path", path) | (Q(location_path="") & subtree_q("owner_path", path))


def concluded_cases(scope: Unit, start: dt.datetime, end: dt.datetime) -> QuerySet[Case]:
    return Case.objects.filter(place_q(scope.path), resolved_at__gte=start, resolved_at__lt=end).exclude(
        state=State.MERGED
    )


def grid_rate(scope: Unit, start: dt.datetime, end: dt.datetime) -> Rate:
    rows = list(concluded_cases(scope, start, end).values_list("pk", "owner_unit__kind", "referral"))
    den = [pk for pk, _kind, _ref in rows]
    num = [pk for pk, kind, ref in rows if kind in GRID_KINDS and not ref]
    return Rate(len(num), len(den), num, den)


def register_evaluation_metric() -> None:
    """Offer 网格层面化解率 to the evaluation app through its metric registry (if installed)."""
    from django.apps import apps

    if not apps.is_installed("fengqiao.evaluation"):
        return
    from fengqiao.evaluation import metrics as ev

    if "grid_rate" in ev.REGISTRY:
        return

    from fengqiao.evaluation import families

    def by_grid() -> Q:
        return Q(owner_path__in=Unit.objects.filter(kind__in=GRID_KINDS).values("path"), referral="")

    def grouped(start: dt.datetime, end: dt.datetime) -> dict[str, tuple[int, int]]:
        """The same cases per place path, for the index (evaluation's per-unit sums)."""
        rows = (
            Case.objects.filter(resolved_at__gte=start, resolved_at__lt=end)
            .annotate(place=families.place())
            .values("place")
            .annotate(n=Count("pk", filter=by_grid()), d=Count("pk"))
            .order_by()
        )
        return {r["place"]: (r["n"], r["d"]) for r in rows}

    def cases(start: dt.datetime, end: dt.datetime) -> tuple[QuerySet[Case], Q, None]:
        """The same cases for the drill-down, which filters them to one unit's places."""
        return Case.objects.filter(resolved_at__gte=start, resolved_at__lt=end), by_grid(), None

    @ev.metric(
        key="grid_rate",
        name=RATE_NAME,
        formula=RATE_FORMULA,
        proposed=True,
        attribution=ev.PLACE,
        grouped=grouped,
        cases=cases,
    )
    def _grid_rate(f: Any, s: Any) -> tuple[list[int], list[int]]:
        rows = ev.concluded(f, s, ev.PLACE)
        if not rows:
            return [], []
        grid_paths = set(Unit.objects.filter(kind__in=GRID_KINDS).values_list("path", flat=True))
        return ev._split(rows, lambda r: r.owner_path in grid_paths and not r.referral)
