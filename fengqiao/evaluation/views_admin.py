"""Staff pages with forms: 挂牌督办 (open, follow up, close), external figures (enter, import),
monthly reports (generate, download)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext

from fengqiao.cases import policy
from fengqiao.evaluation import actions, excel, periods, reports, services
from fengqiao.evaluation.forms import CloseForm, FigureForm, FollowForm, ImportForm, ReportForm, SupervisionForm
from fengqiao.evaluation.models import ExternalFigure, Report, SupervisionStatus, UnitSupervision
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import Unit

SUP_ROLES = frozenset({Role.LEADER, Role.SUPERVISOR, Role.HANDLER, Role.DISPATCHER, Role.SYSTEM_ADMIN})


def supervisions_in_scope(user: Any) -> QuerySet[UnitSupervision]:
    """挂牌督办 a user may see: those on units in the scope of their leader/supervisor/handler roles, and
    those they opened."""
    units = policy.units_in_scope(user, SUP_ROLES).values("pk")
    return UnitSupervision.objects.filter(Q(unit_id__in=units) | Q(opened_by=user))


def _apply(form: Any, exc: actions.EvalError) -> None:
    placed = False
    for field, msgs in exc.errors.items():
        if field in form.fields:
            for m in msgs:
                form.add_error(field, m)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


@login_required
def supervision_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.has_role(*SUP_ROLES):
        raise PermissionDenied
    leader_units = policy.units_in_scope(user, {Role.LEADER}).filter(kind__in=[UnitKind.TOWN, UnitKind.DEPARTMENT])
    form = SupervisionForm(
        request.POST or None,
        units=leader_units,
        initial={"unit": request.GET.get("unit"), "period": request.GET.get("period", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            sup = actions.open_supervision(
                user,
                form.cleaned_data["unit"],
                reason=form.cleaned_data["reason"],
                deadline=form.cleaned_data["deadline"],
                period=form.cleaned_data["period"],
            )
            messages.success(request, gettext("已挂牌督办。"))
            return redirect("evaluation:supervision", pk=sup.pk)
        except actions.EvalError as exc:
            _apply(form, exc)
    qs = supervisions_in_scope(user).select_related("unit", "opened_by")
    if request.GET.get("format") == "xlsx":
        return excel.response(
            "挂牌督办",
            ["单位", "事由", "整改期限", "状态", "挂牌人", "挂牌时间", "销号意见"],
            (
                [
                    s.unit.name,
                    s.reason,
                    s.deadline.isoformat(),
                    s.get_status_display(),
                    str(s.opened_by),
                    s.opened_at.astimezone().strftime("%Y-%m-%d"),
                    s.conclusion,
                ]
                for s in qs
            ),
        )
    return render(
        request,
        "evaluation/supervisions.html",
        {"form": form, "items": qs[:200], "can_open": leader_units.exists()},
    )


@login_required
def supervision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    sup = get_object_or_404(supervisions_in_scope(user).select_related("unit", "opened_by"), pk=pk)
    follow, close = FollowForm(prefix="f"), CloseForm(prefix="c")
    if request.method == "POST":
        which = request.POST.get("which")
        try:
            if which == "follow":
                follow = FollowForm(request.POST, prefix="f")
                if follow.is_valid():
                    actions.follow_up(user, sup, follow.cleaned_data["text"])
                    messages.success(request, gettext("已报送整改进展。"))
                    return redirect("evaluation:supervision", pk=pk)
            elif which == "close":
                close = CloseForm(request.POST, prefix="c")
                if close.is_valid():
                    actions.close_supervision(user, sup, close.cleaned_data["conclusion"])
                    messages.success(request, gettext("已销号。"))
                    return redirect("evaluation:supervision", pk=pk)
        except actions.EvalForbidden:
            raise PermissionDenied from None
        except actions.EvalError as exc:
            _apply(follow if which == "follow" else close, exc)
    events = sup.events.select_related("actor").order_by("at", "pk")
    is_open = sup.status == SupervisionStatus.OPEN
    return render(
        request,
        "evaluation/supervision.html",
        {
            "sup": sup,
            "events": events,
            "follow": follow,
            "close": close,
            "can_follow": is_open and actions.may_follow(user, sup),
            "can_close": is_open and actions._grant_unit(user, sup.unit, {Role.LEADER}) not in (None, sup.unit),
        },
    )


def _admin(request: HttpRequest) -> Any:
    user: Any = request.user
    if not (user.has_role(Role.SYSTEM_ADMIN) or user.is_superuser):
        raise PermissionDenied
    return user


def _admin_units(user: Any) -> QuerySet[Unit]:
    if user.is_superuser:
        return Unit.objects.filter(is_active=True)
    return policy.units_in_scope(user, {Role.SYSTEM_ADMIN}).filter(is_active=True)


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    units = _admin_units(user).filter(kind__in=[UnitKind.COUNTY, UnitKind.TOWN, UnitKind.VILLAGE, UnitKind.DEPARTMENT])
    form, upload = FigureForm(units=units), ImportForm()
    if request.method == "POST":
        if request.POST.get("which") == "import":
            upload = ImportForm(request.POST, request.FILES)
            if upload.is_valid():
                try:
                    n = actions.import_figures(user, upload.cleaned_data["file"])
                    messages.success(request, gettext("已导入 %(n)s 条。") % {"n": n})
                    return redirect("evaluation:figures")
                except actions.EvalError as exc:
                    upload.add_error(None, exc.message)
                    for m in exc.errors.get("file", []):
                        upload.add_error("file", m)
        else:
            form = FigureForm(request.POST, units=units)
            if form.is_valid():
                try:
                    cd = form.cleaned_data
                    actions.set_figure(user, cd["unit"], cd["kind"], cd["period"], cd["value"])
                    messages.success(request, gettext("已保存。"))
                    return redirect("evaluation:figures")
                except actions.EvalError as exc:
                    _apply(form, exc)
    rows = ExternalFigure.objects.filter(unit__in=units).select_related("unit", "entered_by").order_by("-entered_at")
    if request.GET.get("format") == "xlsx":
        return excel.response(
            "外部数据",
            ["单位代码", "指标", "期间", "数值", "来源", "录入人", "录入时间"],
            (
                [
                    r.unit.code,
                    r.get_kind_display(),
                    r.period,
                    r.value,
                    r.source,
                    str(r.entered_by or ""),
                    r.entered_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                ]
                for r in rows
            ),
        )
    return render(request, "evaluation/figures.html", {"form": form, "upload": upload, "rows": rows[:300]})


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not services.may_evaluate(user):
        raise PermissionDenied
    units = services.units_in_scope(user).filter(kind__in=[UnitKind.COUNTY, UnitKind.TOWN, UnitKind.DEPARTMENT])
    form = ReportForm(request.POST or None, units=units, initial={"period": periods.current_month().previous().code})
    if request.method == "POST" and form.is_valid():
        try:
            p = periods.parse(form.cleaned_data["period"])
            if p.kind != "month":
                raise periods.PeriodError(gettext("月度报告的期间应为月份，如 2026-11。"))
            report = reports.generate(form.cleaned_data["unit"], p, user)
            messages.success(request, gettext("报告已生成。"))
            return redirect(f"{request.path}#r{report.pk}")
        except periods.PeriodError as exc:
            form.add_error("period", str(exc))
    items = Report.objects.filter(unit__in=units).select_related("unit", "generated_by")[:200]
    return render(request, "evaluation/reports.html", {"form": form, "items": items})


@login_required
def report_file(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    user: Any = request.user
    if not services.may_evaluate(user):
        raise PermissionDenied
    report = get_object_or_404(Report.objects.filter(unit__in=services.units_in_scope(user)), pk=pk)
    f = report.pdf if fmt == "pdf" else report.docx
    if not f:
        raise Http404
    name = f"{report.unit.name}-{report.period}.{fmt}"
    return FileResponse(f.open("rb"), as_attachment=True, filename=name)
