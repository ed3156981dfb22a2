"""The grid worker's day on a phone: the grid's home page and the patrol page (start, check in with
the phone's location — queued on the page while offline — record what was seen, stop)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fengqiao.cases.actions import ActionError
from fengqiao.cases.doors import staff_required
from fengqiao.cases.models import Case
from fengqiao.cases.policy import restrict as restrict_cases
from fengqiao.cases.workflow import OPEN_STATES
from fengqiao.gridwork import actions, watch
from fengqiao.gridwork.choices import VisitStatus
from fengqiao.gridwork.events import event_label
from fengqiao.gridwork.models import Delivery, GridEvent, Patrol, Visit
from fengqiao.gridwork.policy import grant_in, grids_for, own_grids, restrict
from fengqiao.gridwork.views_common import field_errors, grid_or_404, viewer
from fengqiao.org.paths import subtree_q

OPEN_CASES_SHOWN = 15


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    """My grid: a grid worker sees their grid's page here; others pick one of the grids they oversee."""
    user = viewer(request)
    mine = own_grids(user)
    if len(mine) == 1:
        return grid_home(request, mine[0].pk)
    grids = mine or list(grids_for(user).select_related("parent")[:300])
    return render(request, "gridwork/pick.html", {"grids": grids})


def grid_cases(grid: Any) -> Any:
    return Case.objects.filter(subtree_q("owner_path", grid.path) | subtree_q("location_path", grid.path))


@staff_required
def grid_home(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    grid = grid_or_404(user, pk)
    today = timezone.localdate()
    open_cases = restrict_cases(grid_cases(grid).filter(state__in=OPEN_STATES), user)
    shown = list(
        open_cases.select_related("category")
        .only("code", "title", "state", "due_at", "risk", "category__name")
        .order_by("due_at", "pk")[:OPEN_CASES_SHOWN]
    )
    visits = restrict(Visit.objects.filter(subtree_q("grid_path", grid.path)), user)
    due = list(visits.filter(status=VisitStatus.PLANNED, due_date__lte=today + dt.timedelta(days=7))[:20])
    recent_ids = set(
        grid_cases(grid)
        .filter(created_at__gte=timezone.now() - dt.timedelta(days=180))
        .values_list("pk", flat=True)[:3000]
    )
    watches, notices = watch.for_grid(grid, recent_ids)
    patrols = restrict(Patrol.objects.filter(subtree_q("grid_path", grid.path)), user).select_related("worker")
    mine_open = Patrol.objects.filter(worker=user, ended_at__isnull=True).first()
    week = timezone.now() - dt.timedelta(days=7)
    context = {
        "grid": grid,
        "village": grid.parent,
        "open_cases": shown,
        "open_count": open_cases.count(),
        "visits": due,
        "today": today,
        "overdue_count": sum(1 for v in due if v.due_date < today),
        "watches": watches,
        "notices": notices,
        "patrols": list(patrols[:5]),
        "patrols_week": patrols.filter(started_at__gte=week, ended_at__isnull=False).count(),
        "open_patrol": mine_open,
        "can_patrol": grant_in(user, "patrol", grid) is not None,
        "can_plan": grant_in(user, "plan_visit", grid) is not None,
        "can_report": grant_in(user, "report", grid) is not None,
        "can_deliver": grant_in(user, "deliver", grid) is not None,
        "deliveries": list(restrict(Delivery.objects.filter(subtree_q("grid_path", grid.path)), user)[:5]),
        "client_id": secrets.token_urlsafe(16),
    }
    return render(request, "gridwork/home.html", context)


@staff_required
@require_POST
def patrol_start(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    grid = grid_or_404(user, pk)
    try:
        patrol = actions.start_patrol(user, grid, {"client_id": request.POST.get("client_id", "")})
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("gridwork:grid", pk=grid.pk)
    return redirect("gridwork:patrol", pk=patrol.pk)


def _patrol(user: Any, pk: int) -> Patrol:
    return get_object_or_404(restrict(Patrol.objects.select_related("grid", "worker"), user), pk=pk)


@staff_required
def patrol_detail(request: HttpRequest, pk: int, errors: dict[str, list[str]] | None = None) -> HttpResponse:
    user = viewer(request)
    patrol = _patrol(user, pk)
    events = GridEvent.objects.filter(patrol=patrol).select_related("actor")[:50]
    context = {
        "patrol": patrol,
        "grid": patrol.grid,
        "checkins": list(patrol.checkins.all()[:500]),
        "mine": patrol.worker_id == user.pk and patrol.is_open,
        "events": [(e, event_label(e.code)) for e in events],
        "errors": errors or {},
        "values": request.POST if errors else {},
        "client_id": secrets.token_urlsafe(16),
    }
    return render(request, "gridwork/patrol.html", context, status=400 if errors else 200)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@staff_required
@require_POST
def patrol_checkin(request: HttpRequest, pk: int) -> HttpResponse:
    """One check-in. The page's queue posts here with Accept: application/json and resends until a
    2xx or a 4xx answer; the client id makes a resend harmless."""
    user = viewer(request)
    patrol = _patrol(user, pk)
    data = {k: request.POST.get(k, "") for k in ("client_id", "at", "note", "lat", "lon", "accuracy")}
    data = {k: v for k, v in data.items() if v != ""}
    if "at" not in data and not _wants_json(request):
        data["at"] = timezone.now().isoformat()
    try:
        point, created = actions.check_in(user, patrol, data, request.FILES.get("photo"))
    except ActionError as exc:
        if _wants_json(request):
            return JsonResponse({"error": exc.message, "errors": field_errors(exc.errors)}, status=exc.status)
        errs = field_errors(exc.errors) or {"__all__": [exc.message]}
        return patrol_detail(request, pk, errors=errs)
    if _wants_json(request):
        return JsonResponse({"id": point.pk, "created": created}, status=201 if created else 200)
    messages.success(request, _("已记录。"))
    return redirect("gridwork:patrol", pk=patrol.pk)


@staff_required
@require_POST
def patrol_stop(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    patrol = _patrol(user, pk)
    try:
        actions.stop_patrol(user, patrol, {"note": request.POST.get("note", "")})
    except ActionError as exc:
        return patrol_detail(request, pk, errors=field_errors(exc.errors) or {"__all__": [exc.message]})
    messages.success(request, _("巡查已结束。"))
    return redirect("gridwork:grid", pk=patrol.grid_id)


PHOTO_SOURCES: dict[str, Any] = {"checkin": None, "visit": Visit, "delivery": Delivery}


@staff_required
def photo(request: HttpRequest, kind: str, pk: int) -> HttpResponseBase:
    """A grid-work photo, for those who may see its grid (never a public URL)."""
    from fengqiao.gridwork.models import CheckIn

    user = viewer(request)
    if kind == "checkin":
        obj: Any = (
            CheckIn.objects.filter(pk=pk)
            .filter(Q(patrol__in=restrict(Patrol.objects.all(), user).values("pk")))
            .first()
        )
    elif kind in PHOTO_SOURCES:
        obj = restrict(PHOTO_SOURCES[kind].objects.all(), user).filter(pk=pk).first()
    else:
        raise Http404
    if obj is None or not obj.photo:
        raise Http404
    response = FileResponse(obj.photo.open("rb"), content_type=obj.photo_type or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
