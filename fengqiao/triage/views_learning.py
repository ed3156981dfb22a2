"""Staff pages of triage learning (issue 20): quality over time, model versions (promote, roll back),
routing overrides with suggested rule changes, and the active-learning queue.

Who sees what: the quality, versions and overrides pages — system administrators and the county
centre's dispatchers, leaders and supervisors (county-wide aggregates, no personal data); changes —
system administrators only, through :mod:`fengqiao.triage.actions`. The active-learning queue — the
dispatcher-queue roles, each seeing the cases within their scope."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from fengqiao.cases.actions import ActionError
from fengqiao.cases.doors import case_queryset, staff_required, staff_user
from fengqiao.core import formerrors
from fengqiao.org import access
from fengqiao.org.choices import Role, UnitKind
from fengqiao.triage import actions, overrides, quality
from fengqiao.triage.models import ClassifierVersion, LearningEvent, RuleSuggestion, TriageTask

CENTRE_ROLES = frozenset({Role.DISPATCHER, Role.LEADER, Role.SUPERVISOR, Role.SYSTEM_ADMIN})
CENTRE_KINDS = frozenset({UnitKind.CENTRE, UnitKind.COUNTY})
MENU_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.DISPATCHER, Role.LEADER, Role.SUPERVISOR})
QUEUE_MENU_ROLES = frozenset(access.TRIAGE_QUEUE - {Role.LEADER})  # the learning queue asks for decisions


def may_view(user: Any) -> bool:
    """System administrators anywhere; dispatchers, leaders, supervisors of the county centre (or county)."""
    for g in user.role_grants():
        if g.role == Role.SYSTEM_ADMIN:
            return True
        if g.role in CENTRE_ROLES and g.unit.kind in CENTRE_KINDS:
            return True
    return False


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/forbidden.html",
        {"message": gettext("只有系统管理员和县综治中心人员可以查看分流质量。")},
        status=403,
    )


def _error(request: HttpRequest, exc: ActionError) -> None:
    detail = "；".join(formerrors.messages(exc.errors))
    messages.error(request, f"{exc.message}{('（' + detail + '）') if detail else ''}")


def _pct(x: float | None) -> float | None:
    return None if x is None else round(100 * x, 1)


@staff_required
@require_GET
def quality_page(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if not may_view(user):
        return _forbidden(request)
    acc = quality.accuracy_by_week("type")
    low = quality.low_confidence_by_week()
    charts = {
        "accuracy": {
            "x": [w["week"].isoformat() for w in acc],
            "y": [_pct(w["accuracy"]) for w in acc],
            "n": [w["n"] for w in acc],
            "label": gettext("类型准确率（%）"),
        },
        "low": {
            "x": [w["week"].isoformat() for w in low],
            "y": [_pct(w["share"]) for w in low],
            "n": [w["n"] for w in low],
            "label": gettext("低置信度占比（%）"),
        },
    }
    decided = sum(w["n"] for w in acc)
    confirmed = sum(w["confirmed"] for w in acc)
    triaged = sum(w["n"] for w in low)
    lowc = sum(w["low"] for w in low)
    return render(
        request,
        "triage/quality.html",
        {
            "charts": charts,
            "decided": decided,
            "accuracy": _pct(confirmed / decided) if decided else None,
            "triaged": triaged,
            "low_share": _pct(lowc / triaged) if triaged else None,
            "confusion": quality.confusion("type"),
            "drift": quality.drift(),
            "active": ClassifierVersion.objects.filter(is_active=True).order_by("task"),
            "is_admin": actions.admin_grant(user) is not None,
        },
    )


@staff_required
@require_GET
def versions(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if not may_view(user):
        return _forbidden(request)
    tasks = []
    for task, label in TriageTask.choices:
        rows = list(
            ClassifierVersion.objects.filter(task=task).select_related("promoted_by").order_by("-trained_at")[:30]
        )
        tasks.append({"task": task, "label": label, "rows": rows, "rollback": actions.rollback_target(task)})
    events = list(LearningEvent.objects.select_related("actor", "version")[:30])
    for e in events:
        e.label = actions.event_label(e.code)  # type: ignore[attr-defined]
    return render(
        request,
        "triage/versions.html",
        {"tasks": tasks, "events": events, "is_admin": actions.admin_grant(user) is not None},
    )


@staff_required
@require_POST
def version_promote(request: HttpRequest, pk: int) -> HttpResponse:
    cv = get_object_or_404(ClassifierVersion, pk=pk)
    try:
        actions.promote(staff_user(request), cv, {"reason": request.POST.get("reason", "")})
        messages.success(request, gettext("已启用该模型版本。"))
    except ActionError as exc:
        _error(request, exc)
    return redirect(reverse("triage:versions"))


@staff_required
@require_POST
def version_rollback(request: HttpRequest, task: str) -> HttpResponse:
    if task not in TriageTask.values:
        messages.error(request, gettext("没有这个分类任务。"))
        return redirect(reverse("triage:versions"))
    try:
        target = actions.rollback(staff_user(request), task, {"reason": request.POST.get("reason", "")})
        messages.success(request, gettext("已回滚到版本 %(v)s。") % {"v": target.version})
    except ActionError as exc:
        _error(request, exc)
    return redirect(reverse("triage:versions"))


@staff_required
@require_GET
def overrides_page(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if not may_view(user):
        return _forbidden(request)
    stats = sorted(overrides.rule_stats().values(), key=lambda s: (-s.overridden, s.rule.position))
    decided = list(RuleSuggestion.objects.select_related("target", "decided_by", "category")[:20])
    return render(
        request,
        "triage/overrides.html",
        {
            "stats": stats,
            "decided": decided,
            "is_admin": actions.admin_grant(user) is not None,
            "window": overrides.WINDOW_DAYS,
            "hours": overrides.OVERRIDE_HOURS,
        },
    )


@staff_required
@require_POST
def suggestion_decide(request: HttpRequest) -> HttpResponse:
    accept = request.POST.get("decision") == "accept"
    try:
        actions.decide_suggestion(staff_user(request), request.POST.dict(), accept=accept)
        messages.success(request, gettext("已采纳建议，分流规则已调整。") if accept else gettext("已驳回该建议。"))
    except ActionError as exc:
        _error(request, exc)
    return redirect(reverse("triage:overrides"))


@staff_required
@require_GET
def learning_queue(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if not user.has_role(*access.TRIAGE_QUEUE):
        return render(
            request,
            "web/forbidden.html",
            {"message": gettext("只有受理、承办人员，领导或系统管理员可以查看分流待办。")},
            status=403,
        )
    rows = quality.learning_queue(case_queryset(user).values("pk"))
    return render(request, "triage/learning_queue.html", {"rows": rows})
