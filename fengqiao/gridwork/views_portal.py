"""平安志愿 for citizens, on a phone: join with a phone proved by SMS code, the activities near my village
(sign up, cancel), my hours and points ledger, my village's 道德超市 (ask for an item, my records) and
the village ranking. The volunteer is found by the phone hash kept in the session (30 minutes); every
change goes through ``fengqiao.gridwork.actions_volunteer`` as the volunteer themself; every POST
counts against the per-address limit like the portal's other doors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from fengqiao.cases.actions import ActionError
from fengqiao.gridwork import actions_volunteer as va
from fengqiao.gridwork.models_volunteer import (
    Activity,
    PointsEntry,
    Redemption,
    Reward,
    SignUp,
    Volunteer,
)
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit
from fengqiao.portal.forms import PhoneStep
from fengqiao.portal.views import SESSION_KEY, _private, over_limit, prove_phone, send_code, verified_hash

POSTS_PER_IP_HOUR = 120
TOO_MANY = "操作太频繁，请一小时后再试。"


def current(request: HttpRequest) -> Volunteer | None:
    ph = verified_hash(request)
    return Volunteer.objects.filter(phone_hash=ph).select_related("village").first() if ph else None


def volunteer_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page for a verified volunteer (else back to the entry page); POSTs are rate-limited."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        v = current(request)
        if v is None:
            return redirect("portal:vol_home")
        if request.method == "POST" and over_limit(request, "volunteer", POSTS_PER_IP_HOUR):
            return render(request, "portal/volunteer/limited.html", {"message": TOO_MANY}, status=429)
        return _private(view(request, v, *args, **kwargs))

    return never_cache(wrapped)


def villages() -> list[tuple[str, list[Unit]]]:
    """Active villages grouped by their town, for the join form."""
    groups: dict[str, list[Unit]] = {}
    for u in Unit.objects.filter(kind=UnitKind.VILLAGE, is_active=True).select_related("parent").order_by("path"):
        groups.setdefault(u.parent.name if u.parent else "", []).append(u)
    return list(groups.items())


@never_cache
@require_http_methods(["GET", "POST"])
def vol_home(request: HttpRequest) -> HttpResponse:
    """The way in: prove the phone; a newcomer joins; a volunteer sees their page."""
    v = current(request)
    if v is not None and request.method == "GET":
        return _private(_volunteer_home(request, v))
    ph = verified_hash(request)
    form = PhoneStep(request.POST or None)
    context: dict[str, Any] = {"form": form, "verified": bool(ph), "villages": villages(), "values": request.POST}
    if request.method == "GET":
        return _private(render(request, "portal/volunteer/enter.html", context))
    if over_limit(request, "volunteer", POSTS_PER_IP_HOUR):
        form.add_error(None, TOO_MANY)
        return render(request, "portal/volunteer/enter.html", context, status=429)
    action = request.POST.get("action")
    if action == "leave":
        request.session.pop(SESSION_KEY, None)
        return redirect("portal:vol_home")
    if action == "send_code":
        form.is_valid()
        send_code(request, form)
        return render(request, "portal/volunteer/enter.html", context, status=400 if form.errors else 200)
    if not form.is_valid() or not form.cleaned_data.get("phone"):
        if "phone" not in form.errors:
            form.add_error("phone", "请填写手机号码。")
        return render(request, "portal/volunteer/enter.html", context, status=400)
    phone = form.cleaned_data["phone"]
    proved = prove_phone(request, form, phone)
    if not proved:
        return render(request, "portal/volunteer/enter.html", context, status=400)
    if Volunteer.objects.filter(phone_hash=proved).exists():
        return redirect("portal:vol_home")
    if action != "join":  # proved, not yet a volunteer: show the join part
        context["verified"] = True
        return _private(render(request, "portal/volunteer/enter.html", context))
    errors: dict[str, list[str]] = {}
    if not request.POST.get("name", "").strip():
        errors["name"] = ["请填写姓名。"]
    raw = request.POST.get("village", "")
    village = Unit.objects.filter(pk=int(raw), kind=UnitKind.VILLAGE).first() if raw.isdigit() else None
    if village is None:
        errors["village"] = ["请选择您所在的村（社区）。"]
    if not errors and village is not None:
        try:
            va.join(village, {"name": request.POST.get("name", ""), "phone": phone}, proved)
        except ActionError as exc:
            errors = {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in (exc.errors or {}).items()}
            errors = errors or {"all": [exc.message]}
    if errors:
        context.update(verified=True, errors=errors)
        return render(request, "portal/volunteer/enter.html", context, status=400)
    messages.success(request, "欢迎加入平安志愿！报名活动、参加服务就能获得道德积分。")
    return redirect("portal:vol_home")


def _volunteer_home(request: HttpRequest, v: Volunteer) -> HttpResponse:
    now = timezone.now()
    mine = list(
        SignUp.objects.filter(volunteer=v, cancelled_at__isnull=True, activity__ends_at__gt=now)
        .select_related("activity")
        .order_by("activity__starts_at")
    )
    taken = {s.activity_id for s in mine}
    near = list(
        Activity.objects.filter(va.near_q(v.village_path), cancelled_at__isnull=True, ends_at__gt=now)
        .exclude(pk__in=taken)
        .select_related("unit")
        .order_by("starts_at")[:30]
    )
    context = {"v": v, "mine": mine, "near": near, "balance": va.balance(v), "hours": va.hours(v)}
    return render(request, "portal/volunteer/home.html", context)


@volunteer_page
def vol_activity(request: HttpRequest, v: Volunteer, pk: int) -> HttpResponse:
    a = get_object_or_404(Activity.objects.filter(va.near_q(v.village_path)).select_related("unit"), pk=pk)
    mine = SignUp.objects.filter(activity=a, volunteer=v).first()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel" and mine is not None:
                va.cancel_sign_up(None, mine, volunteer=v)
                messages.success(request, "已取消报名。")
            else:
                va.sign_up(None, a, v)
                messages.success(request, "报名成功。请按时到场，由组织者签到、签退后记入积分。")
        except ActionError as exc:
            messages.error(request, exc.message)
        return redirect("portal:vol_activity", pk=a.pk)
    a.refresh_from_db()
    active = mine if mine is not None and mine.cancelled_at is None else None
    return render(request, "portal/volunteer/activity.html", {"v": v, "a": a, "mine": active})


@volunteer_page
def vol_points(request: HttpRequest, v: Volunteer) -> HttpResponse:
    context = {
        "v": v,
        "balance": va.balance(v),
        "hours": va.hours(v),
        "earned": PointsEntry.objects.filter(volunteer=v, delta__gt=0).aggregate(s=Sum("delta"))["s"] or 0,
        "ledger": list(PointsEntry.objects.filter(volunteer=v).order_by("-at", "-pk")[:100]),
        "served": list(
            SignUp.objects.filter(volunteer=v, checked_in_at__isnull=False)
            .select_related("activity")
            .order_by("-checked_in_at")[:50]
        ),
    }
    return render(request, "portal/volunteer/points.html", context)


@volunteer_page
def vol_shop(request: HttpRequest, v: Volunteer) -> HttpResponse:
    rewards = Reward.objects.filter(village=v.village).order_by("cost", "pk")
    if request.method == "POST":
        raw = request.POST.get("reward", "")
        reward = rewards.filter(pk=int(raw)).first() if raw.isdigit() else None
        if reward is None:
            messages.error(request, "请选择要兑换的物品。")
        else:
            try:
                va.redeem(None, reward, v)
            except ActionError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"已兑换{reward.name}，请到村（社区）道德超市领取。")
        return redirect("portal:vol_shop")
    context = {
        "v": v,
        "balance": va.balance(v),
        "rewards": list(rewards),
        "records": list(Redemption.objects.filter(volunteer=v).select_related("reward")[:50]),
    }
    return render(request, "portal/volunteer/shop.html", context)


@volunteer_page
def vol_rank(request: HttpRequest, v: Volunteer) -> HttpResponse:
    rows = va.ranking(v.village, limit=30)
    mine = next((i for i, (who, _pts) in enumerate(rows, 1) if who.pk == v.pk), None)
    return render(request, "portal/volunteer/rank.html", {"v": v, "rows": rows, "mine": mine})
