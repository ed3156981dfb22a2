"""Warning pages: the list by level, a warning with its evidence, profile and action forms, and the
work notices of one's units."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fengqiao.cases import policy as case_policy
from fengqiao.cases.actions import ActionError
from fengqiao.cases.models import Case
from fengqiao.early_warning import actions
from fengqiao.early_warning.events import event_label
from fengqiao.early_warning.models import OPEN_STATUSES, Kind, Level, NoticeRecipient, Status, Warning, WorkNotice
from fengqiao.early_warning.policy import VIEW_ROLES, allowed_actions, grant_in, warning_grant, warnings_for
from fengqiao.early_warning.profiles import area_chart, person_profile
from fengqiao.early_warning.rising import key_areas, rising_rows
from fengqiao.org.choices import Role
from fengqiao.org.paths import subtree_q


def _staff(request: HttpRequest, roles: set[str] | frozenset[str] = VIEW_ROLES) -> Any:
    user: Any = request.user
    if not user.has_role(*roles):
        raise PermissionDenied
    return user


@login_required
def warning_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    qs = warnings_for(user).select_related("owner_unit", "assignee_unit", "model")
    status = request.GET.get("status", "open")
    level = request.GET.get("level", "")
    kind = request.GET.get("kind", "")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status in Status.values:
        qs = qs.filter(status=status)
    if level.isdigit() and int(level) in Level.values:
        qs = qs.filter(level=int(level))
    if kind in Kind.values:
        qs = qs.filter(kind=kind)
    counts = dict(warnings_for(user).filter(status__in=OPEN_STATUSES).values_list("level").annotate(n=Count("id")))
    levels = [(v, label, counts.get(v, 0)) for v, label in reversed(Level.choices)]
    page = Paginator(qs.order_by("-level", "-raised_at", "-pk"), 30).get_page(request.GET.get("page"))
    leads = user.has_role(Role.LEADER, Role.DISPATCHER)
    return render(
        request,
        "early_warning/list.html",
        {
            "rising": rising_rows(user, limit=10) if leads else None,
            "page": page,
            "levels": levels,
            "kinds": Kind.choices,
            "statuses": [("open", _("处置中")), *Status.choices, ("all", _("全部"))],
            "status": status,
            "level": level,
            "kind": kind,
        },
    )


def _detail_context(request: HttpRequest, w: Warning) -> dict[str, Any]:
    user: Any = request.user
    visible = case_policy.restrict(Case.objects.filter(pk__in=w.case_ids), user).select_related(
        "category", "owner_unit"
    )
    cases = sorted(visible, key=lambda c: (c.created_at, c.pk))
    allowed = allowed_actions(user, w)
    grant = warning_grant(user, "assign", w) or warning_grant(user, "notice", w)
    unit_choices = []
    if grant is not None:
        from fengqiao.org.models import Unit

        unit_choices = list(
            Unit.objects.filter(subtree_q("path", grant.unit.path), is_active=True).order_by("path")[:300]
        )
    ctx: dict[str, Any] = {
        "w": w,
        "cases": cases,
        "hidden_cases": max(0, len(w.case_ids) - len(cases)),
        "events": [(e, event_label(e.code)) for e in w.events.select_related("actor", "actor_unit")],
        "allowed": allowed,
        "unit_choices": unit_choices,
        "notices": w.notices.prefetch_related("recipients__unit"),
        "figures": w.evidence.get("figures", {}),
    }
    if w.kind in (Kind.PERSON, Kind.CRIME, Kind.NETWORK):
        ctx["profile"] = person_profile(w, user)
    if w.kind in (Kind.AREA, Kind.DOMAIN):
        ctx["chart"] = area_chart(w, user)
    return ctx


@login_required
def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    w = get_object_or_404(warnings_for(user).select_related("owner_unit", "assignee_unit", "model"), pk=pk)
    return render(request, "early_warning/detail.html", _detail_context(request, w))


@login_required
@require_POST
def warning_act(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    user = _staff(request)
    w = get_object_or_404(warnings_for(user).select_related("owner_unit", "assignee_unit", "model"), pk=pk)
    data: dict[str, Any] = {k: request.POST.get(k, "") for k in request.POST}
    data["units"] = request.POST.getlist("units")
    try:
        if name == "notice":
            actions.issue_notice(user, w, data)
            messages.success(request, _("工作提示已发布。"))
        else:
            actions.perform(name, w, user, data)
            messages.success(request, _("已办理。"))
    except ActionError as exc:
        w.refresh_from_db()
        ctx = _detail_context(request, w)
        ctx.update({"errors": exc.errors, "error": exc.message, "form_name": name, "posted": data})
        return render(request, "early_warning/detail.html", ctx, status=exc.status)
    return redirect("early_warning:detail", pk=pk)


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    paths = case_policy.scope_paths(user)
    if not paths:
        raise PermissionDenied
    q = Q(pk__in=[])
    for p in paths:
        q |= subtree_q("unit_path", p)
    received = (
        NoticeRecipient.objects.filter(q)
        .select_related("notice__issued_unit", "notice__warning", "unit", "acknowledged_by")
        .order_by("acknowledged_at", "-notice__issued_at")[:200]
    )
    issued = WorkNotice.objects.filter(issued_by=user).prefetch_related("recipients__unit")[:50]
    return render(request, "early_warning/notices.html", {"received": received, "issued": issued})


@login_required
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    recipient = get_object_or_404(NoticeRecipient.objects.select_related("unit"), pk=pk)
    if grant_in(user, "acknowledge", [recipient.unit]) is None:
        raise PermissionDenied
    try:
        actions.acknowledge(user, recipient, {"reply": request.POST.get("reply", "")})
        messages.success(request, _("已签收。"))
    except ActionError as exc:
        messages.error(request, exc.errors.get("reply", [exc.message])[0])
    return redirect("early_warning:notices")


@login_required
def key_areas_json(request: HttpRequest) -> HttpResponse:
    """The key-area map layer's data: towns with open area warnings the user may see."""
    user = _staff(request)
    resp = JsonResponse(
        {"label": str(_("重点区域预警")), "areas": key_areas(user)}, json_dumps_params={"ensure_ascii": False}
    )
    resp["Cache-Control"] = "private, no-store"
    return resp


@login_required
def rising_strip(request: HttpRequest) -> HttpResponse:
    """The dashboard's rising strip as an HTML fragment, loaded after the screen has painted. ``scope``
    only narrows the list to a unit's subtree; the user's own scope always applies."""
    user = _staff(request)
    scope = request.GET.get("scope", "")
    if len(scope) > 255 or not all(ch.isalnum() or ch in "./-_" for ch in scope):
        scope = ""
    rows = rising_rows(user, scope, limit=6)
    resp = render(request, "early_warning/_rising_strip.html", {"rows": rows})
    resp["Cache-Control"] = "private, no-store"
    return resp
