"""Volunteer work for the staff (平安志愿), unit-scoped: publish, edit and cancel activities, see who
signed up, record check-in and check-out (the hours become points by the activity's rule). The
volunteers' ledgers, the 道德超市 and the rankings are in ``views_volunteer_shop``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fengqiao.cases.actions import ActionError
from fengqiao.cases.doors import staff_required
from fengqiao.gridwork import actions_volunteer as va
from fengqiao.gridwork.models_volunteer import Activity, RedemptionStatus, SignUp
from fengqiao.gridwork.policy import can_run_shop, can_run_volunteers, volunteer_q, volunteer_units
from fengqiao.gridwork.views_common import field_errors, form_data
from fengqiao.org.choices import UnitKind

ACTIVITY_FIELDS = ["title", "place", "starts_at", "ends_at", "capacity", "points_per_hour"]
UNIT_KINDS = (UnitKind.TOWN, UnitKind.VILLAGE, UnitKind.GRID, UnitKind.MICROGRID)


def organiser(request: HttpRequest) -> Any:
    user: Any = request.user
    if not can_run_volunteers(user):
        raise PermissionDenied
    return user


def activities_for(user: Any) -> Any:
    return Activity.objects.filter(volunteer_q(user, "unit_path")).select_related("unit")


def tabs(request: HttpRequest, current: str) -> dict[str, Any]:
    return {"tab": current, "shop_tab": can_run_shop(request.user)}


def errs(exc: ActionError) -> dict[str, list[str]]:
    """An action's refusal as messages per field; those of no field (or the only message) under "all"."""
    out = field_errors(exc.errors)
    if "__all__" in out:
        out["all"] = out.pop("__all__")
    return out or {"all": [exc.message]}


def _local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""


@staff_required
def volunteer_home(request: HttpRequest) -> HttpResponse:
    """Activities in my units: coming first, then the last ones held."""
    user = organiser(request)
    now = timezone.now()
    qs = activities_for(user)
    coming = list(qs.filter(ends_at__gt=now, cancelled_at__isnull=True).order_by("starts_at")[:50])
    past = list(
        qs.filter(Q(ends_at__lte=now) | Q(cancelled_at__isnull=False))
        .annotate(attended=Count("signups", filter=Q(signups__checked_out_at__isnull=False)))
        .order_by("-starts_at")[:30]
    )
    from fengqiao.gridwork.models_volunteer import Redemption

    pending = Redemption.objects.filter(
        volunteer_q(user, "reward__village_path"), status=RedemptionStatus.REQUESTED
    ).count()
    context = {"coming": coming, "past": past, "pending": pending, **tabs(request, "activities")}
    return render(request, "gridwork/vol/home.html", context)


def _form(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "gridwork/vol/activity_form.html", context, status=status)


@staff_required
def activity_new(request: HttpRequest) -> HttpResponse:
    user = organiser(request)
    units = list(volunteer_units(user, UNIT_KINDS).select_related("parent")[:400])
    context: dict[str, Any] = {"units": units, "errors": {}, "values": {"points_per_hour": "10"}, "new": True}
    if request.method != "POST":
        return _form(request, context)
    context["values"] = request.POST
    raw = request.POST.get("unit", "")
    unit = next((u for u in units if str(u.pk) == raw), None)
    if unit is None:
        context["errors"] = {"unit": [_("请选择发布单位。")]}
        return _form(request, context, 400)
    try:
        a = va.publish_activity(user, unit, form_data(request, ACTIVITY_FIELDS))
    except ActionError as exc:
        context["errors"] = errs(exc)
        return _form(request, context, exc.status)
    messages.success(request, _("活动已发布。"))
    return redirect("gridwork:vol_activity", pk=a.pk)


@staff_required
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = organiser(request)
    a = get_object_or_404(activities_for(user), pk=pk)
    values: Any = {
        "title": a.title,
        "place": a.place,
        "starts_at": _local(a.starts_at),
        "ends_at": _local(a.ends_at),
        "capacity": a.capacity,
        "points_per_hour": a.points_per_hour,
    }
    context: dict[str, Any] = {"activity": a, "errors": {}, "values": values, "new": False}
    if request.method != "POST":
        return _form(request, context)
    context["values"] = request.POST
    try:
        va.edit_activity(user, a, form_data(request, ACTIVITY_FIELDS))
    except ActionError as exc:
        context["errors"] = errs(exc)
        return _form(request, context, exc.status)
    messages.success(request, _("活动已修改。"))
    return redirect("gridwork:vol_activity", pk=a.pk)


@staff_required
def activity_detail(request: HttpRequest, pk: int, errors: dict[str, list[str]] | None = None) -> HttpResponse:
    user = organiser(request)
    a = get_object_or_404(activities_for(user), pk=pk)
    signups = list(a.signups.select_related("volunteer").order_by("cancelled_at", "signed_at", "pk"))
    context = {
        "activity": a,
        "signups": [s for s in signups if s.cancelled_at is None],
        "cancelled": [s for s in signups if s.cancelled_at is not None],
        "checked_in": sum(1 for s in signups if s.checked_in_at and not s.cancelled_at),
        "total_minutes": sum(s.minutes for s in signups),
        "editable": a.cancelled_at is None and a.ends_at > timezone.now(),
        "errors": errors or {},
        "values": request.POST if errors else {},
        "now": timezone.now(),
        **tabs(request, "activities"),
    }
    return render(request, "gridwork/vol/activity.html", context, status=400 if errors else 200)


@staff_required
@require_POST
def activity_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = organiser(request)
    a = get_object_or_404(activities_for(user), pk=pk)
    try:
        va.cancel_activity(user, a, {"reason": request.POST.get("reason", "")})
    except ActionError as exc:
        return activity_detail(request, pk, errors=errs(exc))
    messages.success(request, _("活动已取消。"))
    return redirect("gridwork:vol_activity", pk=a.pk)


SIGNUP_OPS = {"checkin": va.check_in, "checkout": va.check_out}


@staff_required
@require_POST
def signup_op(request: HttpRequest, pk: int, op: str) -> HttpResponse:
    """签到 / 签退 / 取消报名 of one volunteer, recorded by the organiser at the place."""
    user = organiser(request)
    s = get_object_or_404(SignUp.objects.filter(activity__in=activities_for(user)), pk=pk)
    try:
        if op == "cancel":
            va.cancel_sign_up(user, s)
        elif op in SIGNUP_OPS:
            SIGNUP_OPS[op](user, s)
        else:
            raise PermissionDenied
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("gridwork:vol_activity", pk=s.activity_id)
    done = {"checkin": _("已签到。"), "checkout": _("已签退，积分已记入。"), "cancel": _("已取消报名。")}
    messages.success(request, done[op])
    return redirect("gridwork:vol_activity", pk=s.activity_id)
