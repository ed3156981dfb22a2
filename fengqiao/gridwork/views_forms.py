"""The grid worker's forms: plan and record visits, report on the spot (a case in one step), record a
document delivered. Each posts to the action layer; a refusal re-renders the form with the error under
its field and writes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from fengqiao.cases.actions import ActionError, ActionInvalid
from fengqiao.cases.doors import staff_required
from fengqiao.cases.models import Case, Category
from fengqiao.cases.policy import restrict as restrict_cases
from fengqiao.gridwork import actions
from fengqiao.gridwork.choices import DeliveryMethod, DocumentKind, Outcome, SubjectKind, VisitStatus
from fengqiao.gridwork.events import event_label
from fengqiao.gridwork.models import GridEvent, Visit
from fengqiao.gridwork.policy import grant_in, restrict
from fengqiao.gridwork.views_common import field_errors, form_data, grid_or_404, viewer

WHERE = ["lat", "lon"]


def _refused(request: HttpRequest, template: str, context: dict[str, Any], exc: ActionError) -> HttpResponse:
    errors = field_errors(exc.errors)
    page = [exc.message, *errors.pop("__all__", [])]
    context.update({"errors": errors, "page_errors": page, "values": request.POST})
    return render(request, template, context, status=exc.status)


@staff_required
def visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    grid = grid_or_404(user, pk)
    context: dict[str, Any] = {"grid": grid, "kinds": SubjectKind.choices, "errors": {}, "values": request.GET}
    if grant_in(user, "plan_visit", grid) is None:
        return render(request, "web/forbidden.html", {"message": _("您没有安排走访的权限。")}, status=403)
    if request.method != "POST":
        return render(request, "gridwork/visit_new.html", context)
    fields = ["subject_kind", "subject_name", "address", "purpose", "due_date", "case"]
    try:
        actions.plan_visit(user, grid, form_data(request, fields))
    except ActionError as exc:
        return _refused(request, "gridwork/visit_new.html", context, exc)
    messages.success(request, _("已安排走访。"))
    return redirect("gridwork:grid", pk=grid.pk)


@staff_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    visit = get_object_or_404(restrict(Visit.objects.select_related("grid", "case", "done_by"), user), pk=pk)
    events = GridEvent.objects.filter(visit=visit).select_related("actor")
    context: dict[str, Any] = {
        "visit": visit,
        "grid": visit.grid,
        "outcomes": Outcome.choices,
        "can_record": visit.status == VisitStatus.PLANNED and grant_in(user, "record_visit", visit.grid) is not None,
        "can_cancel": visit.status == VisitStatus.PLANNED and grant_in(user, "cancel_visit", visit.grid) is not None,
        "events": [(e, event_label(e.code)) for e in events],
        "case_visible": bool(visit.case_id and restrict_cases(Case.objects.filter(pk=visit.case_id), user).exists()),
        "errors": {},
        "values": {},
    }
    if request.method != "POST":
        return render(request, "gridwork/visit.html", context)
    try:
        if request.POST.get("do") == "cancel":
            actions.cancel_visit(user, visit, form_data(request, ["reason"]))
            messages.success(request, _("已取消走访。"))
        else:
            data = form_data(request, ["outcome", "notes", *WHERE])
            actions.record_visit(user, visit, data, request.FILES.get("photo"))
            messages.success(request, _("走访已记录。"))
    except ActionError as exc:
        return _refused(request, "gridwork/visit.html", context, exc)
    return redirect("gridwork:grid", pk=visit.grid_id)


def _categories() -> list[tuple[str, str]]:
    rows = Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent").order_by("code")
    return [(c.code, f"{c.parent.name} · {c.name}" if c.parent else c.name) for c in rows]


@staff_required
def report(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    grid = grid_or_404(user, pk)
    if grant_in(user, "report", grid) is None:
        return render(request, "web/forbidden.html", {"message": _("只有本网格的网格员可以现场上报。")}, status=403)
    context: dict[str, Any] = {"grid": grid, "categories": _categories(), "errors": {}, "values": {}}
    if request.method != "POST":
        return render(request, "gridwork/report.html", context)
    fields = ["title", "description", "category", "address_text", "people_count", "resolved_on_spot", "result"]
    try:
        case = actions.report(user, grid, form_data(request, fields + WHERE), request.FILES.get("photo"))
    except ActionError as exc:
        return _refused(request, "gridwork/report.html", context, exc)
    messages.success(request, _("已上报，案件编码 %(code)s。") % {"code": case.display_code})
    return redirect(reverse("web:case", args=[case.display_code]))


@staff_required
def deliver(request: HttpRequest, pk: int) -> HttpResponse:
    user = viewer(request)
    grid = grid_or_404(user, pk)
    if grant_in(user, "deliver", grid) is None:
        return render(request, "web/forbidden.html", {"message": _("您没有登记文书送达的权限。")}, status=403)
    context: dict[str, Any] = {
        "grid": grid,
        "doc_kinds": DocumentKind.choices,
        "methods": DeliveryMethod.choices,
        "errors": {},
        "values": request.GET,
    }
    if request.method != "POST":
        return render(request, "gridwork/deliver.html", context)
    code = request.POST.get("case", "").strip()
    case = actions.case_in_reach(user, grid, code)
    try:
        if case is None:
            raise ActionInvalid(_("请填写您辖区内的案件编码。"), {"case": [_("案件编码不存在或不在您的辖区内。")]})
        fields = ["document_kind", "document_title", "recipient_name", "method", "confirmed", "confirmation"]
        actions.deliver(user, grid, case, form_data(request, fields + WHERE), request.FILES.get("photo"))
    except ActionError as exc:
        return _refused(request, "gridwork/deliver.html", context, exc)
    messages.success(request, _("送达已登记。"))
    return redirect("gridwork:grid", pk=grid.pk)
