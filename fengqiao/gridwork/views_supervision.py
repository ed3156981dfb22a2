"""Supervision of grid work for the village, town and county: patrol coverage per grid and month
(the grids not patrolled), overdue visits, and 网格层面化解率 with its formula, numerator and
denominator, each number a link to its cases."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.cases.doors import staff_required
from fengqiao.cases.models import Case
from fengqiao.cases.policy import restrict as restrict_cases
from fengqiao.cases.policy import scope_paths
from fengqiao.gridwork import metrics
from fengqiao.gridwork.policy import SUPERVISE_ROLES
from fengqiao.org.models import Unit


def month_bounds(raw: str) -> tuple[str, dt.datetime, dt.datetime]:
    """("YYYY-MM", start, end) in local time; the current month when ``raw`` is not a valid month."""
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in raw.split("-", 1))
        first = dt.date(year, month, 1)
    except (ValueError, TypeError):
        first = today.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(nxt, dt.time.min, tzinfo=tz)
    return f"{first:%Y-%m}", start, end


def recent_months(n: int = 12) -> list[tuple[str, str]]:
    """The last ``n`` months as ("YYYY-MM", "YYYY年M月"), newest first."""
    first = timezone.localdate().replace(day=1)
    out = []
    for _i in range(n):
        out.append((f"{first:%Y-%m}", f"{first.year}年{first.month}月"))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return out


def _scope(request: HttpRequest) -> tuple[Any, Unit, list[Unit]]:
    user: Any = request.user
    paths = scope_paths(user, SUPERVISE_ROLES)
    if not paths:
        raise PermissionDenied
    tops = list(Unit.objects.filter(path__in=paths).order_by("path"))
    raw = request.GET.get("unit", "")
    if raw.isdigit():
        unit = Unit.objects.filter(pk=int(raw), is_active=True).first()
        if unit is None or not any(unit.path.startswith(p) for p in paths):
            raise Http404
        return user, unit, tops
    return user, tops[0], tops


@staff_required
def supervision(request: HttpRequest) -> HttpResponse:
    _user, unit, tops = _scope(request)
    month, start, end = month_bounds(request.GET.get("month", ""))
    cov = metrics.coverage(unit, start, end)
    rate = metrics.grid_rate(unit, start, end)
    overdue = list(metrics.overdue_visits(unit).select_related("grid").order_by("due_date")[:30])
    children = list(Unit.objects.filter(parent=unit, is_active=True).exclude(kind__in=["department", "station"]))
    q = {"unit": unit.pk, "month": month}
    context = {
        "unit": unit,
        "tops": tops,
        "children": children,
        "month": month,
        "months": recent_months(),
        "coverage": cov,
        "coverage_formula": metrics.COVERAGE_FORMULA,
        "rate": rate,
        "rate_name": metrics.RATE_NAME,
        "rate_formula": metrics.RATE_FORMULA,
        "overdue": overdue,
        "overdue_count": metrics.overdue_visits(unit).count(),
        "num_url": "?" + urlencode({**q, "part": "num"}),
        "den_url": "?" + urlencode({**q, "part": "den"}),
        "query": urlencode(q),
    }
    return render(request, "gridwork/supervision.html", context)


@staff_required
def supervision_cases(request: HttpRequest) -> HttpResponse:
    """The cases behind the rate's numerator or denominator (those the user may see)."""
    user, unit, _tops = _scope(request)
    month, start, end = month_bounds(request.GET.get("month", ""))
    part = request.GET.get("part", "den")
    rate = metrics.grid_rate(unit, start, end)
    ids = rate.num_ids if part == "num" else rate.den_ids
    qs = restrict_cases(Case.objects.filter(pk__in=ids), user).select_related("owner_unit", "category")
    page = Paginator(qs.order_by("-resolved_at", "-pk"), 50).get_page(request.GET.get("page"))
    label = _("分子：由网格办结且化解的案件") if part == "num" else _("分母：本期办结的案件")
    context = {
        "unit": unit,
        "month": month,
        "part": part,
        "month_label": f"{start.year}年{start.month}月",
        "label": label,
        "page": page,
        "total": len(ids),
        "rate": rate,
        "rate_formula": metrics.RATE_FORMULA,
        "back": "?" + urlencode({"unit": unit.pk, "month": month}),
    }
    return render(request, "gridwork/supervision_cases.html", context)
