"""类案研判 (clusters of similar cases), 每月一题 (class problems) and trends with forecasts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fengqiao.cases import policy as case_policy
from fengqiao.cases.actions import ActionError
from fengqiao.cases.models import Case
from fengqiao.early_warning import actions
from fengqiao.early_warning.events import event_label
from fengqiao.early_warning.models import ProblemStatus
from fengqiao.early_warning.policy import grant_in, problems_for
from fengqiao.early_warning.similar import clusters_for
from fengqiao.early_warning.trends import forecast, rising, weekly
from fengqiao.org.choices import Role
from fengqiao.org.models import Unit
from fengqiao.org.paths import subtree_q

ANALYSTS = {Role.LEADER, Role.DISPATCHER}


def _analyst(request: HttpRequest) -> Any:
    user: Any = request.user
    if not user.has_role(*ANALYSTS):
        raise PermissionDenied
    return user


@login_required
def clusters(request: HttpRequest) -> HttpResponse:
    user = _analyst(request)
    found = clusters_for(user)[:30]
    ids = {c for cl in found for c in cl["representatives"]}
    by_id = {c.pk: c for c in Case.objects.filter(pk__in=ids).select_related("category")}
    for cl in found:
        cl["reps"] = [by_id[c] for c in cl["representatives"] if c in by_id]
        cl["ids"] = ",".join(str(c) for c in cl["cases"])
    return render(request, "early_warning/clusters.html", {"clusters": found, "can_take": user.has_role(Role.LEADER)})


def _lead_units(user: Any) -> list[Unit]:
    grant = grant_in(user, "take_problem", [g.unit for g in user.role_grants()])
    if grant is None:
        return []
    return list(Unit.objects.filter(subtree_q("path", grant.unit.path), is_active=True).order_by("path")[:300])


@login_required
def problem_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.has_role(Role.LEADER):
        raise PermissionDenied
    raw = request.POST.get("cases") if request.method == "POST" else request.GET.get("cases", "")
    ids = [int(x) for x in (raw or "").split(",") if x.strip().isdigit()][:500]
    cases = list(case_policy.restrict(Case.objects.filter(pk__in=ids), user).order_by("-created_at")[:500])
    ctx: dict[str, Any] = {"cases": cases, "ids": ",".join(str(c.pk) for c in cases), "units": _lead_units(user)}
    if request.method == "POST":
        data: dict[str, Any] = {k: request.POST.get(k, "") for k in ("title", "description", "lead_unit")}
        data["cases"] = [c.pk for c in cases]
        try:
            problem = actions.take_problem(user, data)
        except ActionError as exc:
            ctx.update({"errors": exc.errors, "error": exc.message, "posted": data})
            return render(request, "early_warning/problem_new.html", ctx, status=exc.status)
        messages.success(request, _("已立题。"))
        return redirect("early_warning:problem", pk=problem.pk)
    first = cases[0] if cases else None
    ctx["posted"] = {"title": f"{first.category.name if first and first.category else ''}类问题" if first else ""}
    return render(request, "early_warning/problem_new.html", ctx)


@login_required
def problems(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not case_policy.scope_paths(user):
        raise PermissionDenied
    rows = problems_for(user).select_related("lead_unit").order_by("status", "-created_at")[:200]
    return render(request, "early_warning/problems.html", {"problems": rows})


@login_required
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    p = get_object_or_404(problems_for(user).select_related("lead_unit", "created_by"), pk=pk)
    return render(request, "early_warning/problem.html", _problem_ctx(user, p))


def _problem_ctx(user: Any, p: Any) -> dict[str, Any]:
    linked = case_policy.restrict(p.cases.all(), user).select_related("category", "owner_unit")
    return {
        "p": p,
        "linked": linked,
        "closed_count": sum(1 for c in linked if not c.is_open),
        "events": [(e, event_label(e.code)) for e in p.events.select_related("actor", "actor_unit")],
        "can_progress": p.status == ProblemStatus.OPEN and grant_in(user, "problem_progress", [p.lead_unit]),
        "can_close": p.status == ProblemStatus.OPEN and grant_in(user, "close_problem", [p.lead_unit]),
    }


@login_required
@require_POST
def problem_act(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    user: Any = request.user
    p = get_object_or_404(problems_for(user), pk=pk)
    data = {k: request.POST.get(k, "") for k in request.POST}
    try:
        if name == "progress":
            actions.problem_progress(user, p, data)
        elif name == "close":
            actions.close_problem(user, p, data)
        else:
            raise PermissionDenied
    except ActionError as exc:
        ctx = _problem_ctx(user, p)
        ctx.update({"errors": exc.errors, "error": exc.message, "form_name": name})
        return render(request, "early_warning/problem.html", ctx, status=exc.status)
    messages.success(request, _("已保存。"))
    return redirect("early_warning:problem", pk=pk)


@login_required
def trends(request: HttpRequest) -> HttpResponse:
    user = _analyst(request)
    data = weekly(user, weeks=26, now=timezone.now())
    names, units = data["names"], data["units"]
    horizon = [(data["weeks"][-1] + dt.timedelta(days=7 * (i + 1))).isoformat() for i in range(4)]
    charts = []
    for i, (code, series) in enumerate(sorted(data["by_type"].items(), key=lambda kv: -sum(kv[1]))[:8]):
        charts.append(
            {
                "id": f"trend-{i}",
                "title": names.get(code, code),
                "x": [d.isoformat() for d in data["weeks"]],
                "y": series,
                "fx": horizon,
                "forecast": forecast(series),
            }
        )
    rising_types = [(names.get(k, k), a, b) for k, a, b in rising(data["by_type"])][:10]
    rising_areas = [(units.get(k[0], ""), names.get(k[1], k[1]), a, b) for k, a, b in rising(data["by_area"])][:15]
    return render(
        request,
        "early_warning/trends.html",
        {"charts": charts, "rising_types": rising_types, "rising_areas": rising_areas},
    )
