"""Volunteers, their ledgers (with the recompute check), the village's 道德超市 (catalogue, stock,
redemptions to hand over) and the rankings per village — for the staff of the village's area."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fengqiao.cases.actions import ActionError
from fengqiao.cases.doors import staff_required
from fengqiao.gridwork import actions_volunteer as va
from fengqiao.gridwork.models_volunteer import PointsEntry, Redemption, RedemptionStatus, Reward, Volunteer
from fengqiao.gridwork.policy import volunteer_q, volunteer_units
from fengqiao.gridwork.views_common import form_data
from fengqiao.gridwork.views_volunteer import errs, organiser, tabs
from fengqiao.org.choices import UnitKind
from fengqiao.org.models import Unit

REWARD_FIELDS = ["name", "cost", "stock"]


def villages(user: Any) -> list[Unit]:
    return list(volunteer_units(user, (UnitKind.VILLAGE,)).select_related("parent")[:500])


def pick_village(request: HttpRequest, user: Any, raw: str = "") -> tuple[list[Unit], Unit | None]:
    """The villages in ``user``'s scope and the one asked for (?village=, else the first)."""
    choices = villages(user)
    raw = raw or request.GET.get("village") or request.POST.get("village") or ""
    if raw:
        chosen = next((v for v in choices if str(v.pk) == raw), None)
        if chosen is None:
            raise Http404
        return choices, chosen
    return choices, (choices[0] if choices else None)


@staff_required
def people(request: HttpRequest) -> HttpResponse:
    user = organiser(request)
    qs = (
        Volunteer.objects.filter(volunteer_q(user, "village_path"))
        .select_related("village")
        .annotate(
            minutes=Sum("signups__minutes"),
            activities=Count("signups", filter=Q(signups__checked_out_at__isnull=False)),
        )
        .order_by("village__path", "joined_at")
    )
    rows = list(qs[:300])
    balances = dict(
        PointsEntry.objects.filter(volunteer__in=[v.pk for v in rows])
        .values_list("volunteer")
        .annotate(s=Sum("delta"))
        .values_list("volunteer", "s")
    )
    for v in rows:
        v.balance = balances.get(v.pk, 0)  # type: ignore[attr-defined]
        v.hours = round((v.minutes or 0) / 60, 1)  # type: ignore[attr-defined]
    context = {"rows": rows, "total": qs.count(), **tabs(request, "people")}
    return render(request, "gridwork/vol/people.html", context)


@staff_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    """One volunteer's ledger, line by line, with the recompute check against sign-ups and redemptions."""
    user = organiser(request)
    v = get_object_or_404(Volunteer.objects.filter(volunteer_q(user, "village_path")).select_related("village"), pk=pk)
    context = {
        "v": v,
        "ledger": list(PointsEntry.objects.filter(volunteer=v).order_by("-at", "-pk")[:200]),
        "balance": va.balance(v),
        "hours": va.hours(v),
        "check": va.ledger_check(v),
        "signups": list(v.signups.select_related("activity").order_by("-signed_at")[:50]),
        "redemptions": list(v.redemptions.select_related("reward")[:50]),
        **tabs(request, "people"),
    }
    return render(request, "gridwork/vol/person.html", context)


def _shop(
    request: HttpRequest, user: Any, extra: dict[str, Any] | None = None, status: int = 200, village_id: str = ""
) -> HttpResponse:
    choices, village = pick_village(request, user, village_id)
    context: dict[str, Any] = {"villages": choices, "village": village, "errors": {}, "values": {}, "edit_errors": {}}
    if village is not None:
        reds = Redemption.objects.filter(reward__village=village).select_related("reward", "volunteer")
        context.update(
            rewards=list(Reward.objects.filter(village=village).order_by("cost", "pk")),
            pending=list(reds.filter(status=RedemptionStatus.REQUESTED).order_by("at")[:100]),
            recent=list(reds.exclude(status=RedemptionStatus.REQUESTED)[:30]),
        )
    context.update(extra or {})
    context.update(tabs(request, "shop"))
    return render(request, "gridwork/vol/shop.html", context, status=status)


@staff_required
def shop(request: HttpRequest) -> HttpResponse:
    """The 道德超市 of a village: catalogue with stock (add, change, restock) and redemptions to hand over."""
    user = organiser(request)
    if request.method != "POST":
        return _shop(request, user)
    _choices, village = pick_village(request, user)
    if village is None:
        raise PermissionDenied
    try:
        va.add_reward(user, village, form_data(request, REWARD_FIELDS))
    except ActionError as exc:
        errors = errs(exc)
        return _shop(request, user, {"errors": errors, "values": request.POST}, exc.status)
    messages.success(request, _("已上架。"))
    return redirect(reverse("gridwork:vol_shop") + f"?village={village.pk}")


def _rewards(user: Any) -> Any:
    return Reward.objects.filter(volunteer_q(user, "village_path"))


@staff_required
@require_POST
def reward_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = organiser(request)
    r = get_object_or_404(_rewards(user), pk=pk)
    try:
        va.edit_reward(user, r, form_data(request, REWARD_FIELDS))
    except ActionError as exc:
        errors = errs(exc)
        extra = {"edit_errors": {r.pk: errors}}
        return _shop(request, user, extra, exc.status, village_id=str(r.village_id))
    messages.success(request, _("已保存。"))
    return redirect(reverse("gridwork:vol_shop") + f"?village={r.village_id}")


@staff_required
@require_POST
def redemption_settle(request: HttpRequest, pk: int, op: str) -> HttpResponse:
    user = organiser(request)
    red = get_object_or_404(Redemption.objects.filter(reward__in=_rewards(user)).select_related("reward"), pk=pk)
    if op not in ("give", "cancel"):
        raise Http404
    try:
        va.settle_redemption(user, red, give=op == "give")
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认领取。") if op == "give" else _("已撤销兑换，积分和库存已退回。"))
    return redirect(reverse("gridwork:vol_shop") + f"?village={red.reward.village_id}")


@staff_required
def ranking(request: HttpRequest) -> HttpResponse:
    user = organiser(request)
    choices, village = pick_village(request, user)
    rows = va.ranking(village, limit=50) if village is not None else []
    context = {"villages": choices, "village": village, "rows": rows, **tabs(request, "ranking")}
    return render(request, "gridwork/vol/ranking.html", context)
