"""Accountability records and reverse checks (supervisors), 一人一档 and 一事一档 pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fengqiao.cases import codes, policy
from fengqiao.cases.models import Case
from fengqiao.core import audit
from fengqiao.org.choices import Role
from fengqiao.org.models import User
from fengqiao.supervision.evidence import evidence_of
from fengqiao.supervision.files import case_file, case_file_pdf, person_file
from fengqiao.supervision.models import AccountabilityKind, AccountabilityRecord, RecordStatus, ReverseCheck


def _supervisor(request: HttpRequest) -> User:
    user: Any = request.user
    if not user.has_role(Role.SUPERVISOR):
        raise PermissionDenied
    return user  # type: ignore[no-any-return]


def records_in_scope(user: User) -> QuerySet[AccountabilityRecord]:
    unit_ids = policy.units_in_scope(user, {Role.SUPERVISOR}).values("pk")
    visible_cases = policy.restrict(Case.objects.all(), user).values("pk")
    return AccountabilityRecord.objects.filter(
        Q(unit_id__in=unit_ids) | Q(case_id__in=visible_cases) | Q(person__unit_id__in=unit_ids)
    )


@login_required
def records(request: HttpRequest) -> HttpResponse:
    user = _supervisor(request)
    qs = records_in_scope(user).select_related("case", "unit", "person")
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    if kind in AccountabilityKind.values:
        qs = qs.filter(kind=kind)
    if status in RecordStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-detected_at", "-pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/records.html",
        {
            "page": page,
            "kinds": AccountabilityKind.choices,
            "statuses": RecordStatus.choices,
            "kind": kind,
            "status": status,
        },
    )


class CheckForm(forms.Form):
    conclusion = forms.CharField(label=_("倒查结论"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    responsible = forms.TypedChoiceField(
        label=_("是否认定责任"), choices=[("1", _("认定责任")), ("0", _("不予认定"))], coerce=lambda v: v == "1"
    )


@login_required
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _supervisor(request)
    record = get_object_or_404(records_in_scope(user).select_related("case", "unit", "person"), pk=pk)
    return render(
        request,
        "supervision/record.html",
        {
            "record": record,
            "evidence": evidence_of(record),
            "checks": record.checks.select_related("opened_by"),
            "form": CheckForm(),
            "open_check": record.checks.filter(concluded_at__isnull=True).first(),
        },
    )


@login_required
@require_POST
def open_check(request: HttpRequest, pk: int) -> HttpResponse:
    user = _supervisor(request)
    record = get_object_or_404(records_in_scope(user), pk=pk)
    if not record.checks.filter(concluded_at__isnull=True).exists():
        check = ReverseCheck.objects.create(record=record, opened_by=user)
        record.status = RecordStatus.CHECKING
        record.save(update_fields=["status"])
        audit.record(
            "accountability.check_open", user=user, role=Role.SUPERVISOR, obj=check, detail={"record": record.pk}
        )
        messages.success(request, gettext("已启动倒查。"))
    return redirect("supervision:record", pk=pk)


@login_required
@require_POST
def conclude_check(request: HttpRequest, pk: int) -> HttpResponse:
    user = _supervisor(request)
    record = get_object_or_404(records_in_scope(user), pk=pk)
    check = record.checks.filter(concluded_at__isnull=True).first()
    if check is None:
        raise Http404
    form = CheckForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("请填写倒查结论。"))
        return redirect("supervision:record", pk=pk)
    check.conclusion = form.cleaned_data["conclusion"]
    check.responsible = form.cleaned_data["responsible"]
    check.concluded_at = timezone.now()
    check.save(update_fields=["conclusion", "responsible", "concluded_at"])
    record.status = RecordStatus.CONCLUDED
    record.save(update_fields=["status"])
    audit.record(
        "accountability.check_conclude",
        user=user,
        role=Role.SUPERVISOR,
        obj=check,
        detail={"record": record.pk, "responsible": check.responsible},
    )
    messages.success(request, gettext("倒查结论已记入个人档案。"))
    return redirect("supervision:record", pk=pk)


@login_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    viewer: Any = request.user
    target = get_object_or_404(User.objects.select_related("unit"), pk=pk)
    allowed = viewer.pk == target.pk or (
        target.unit_id is not None
        and policy.units_in_scope(viewer, {Role.SUPERVISOR, Role.LEADER}).filter(pk=target.unit_id).exists()
    )
    if not allowed:
        raise Http404
    return render(request, "supervision/person.html", {"f": person_file(target)})


def _visible_case(request: HttpRequest, code: str) -> Case:
    norm = codes.normalise(code)
    if not codes.is_valid(norm):
        raise Http404
    return get_object_or_404(
        policy.restrict(Case.objects.all(), request.user).select_related(
            "category", "category__parent", "owner_unit", "handler", "location_unit"
        ),
        code=norm,
    )


@login_required
def case_file_view(request: HttpRequest, code: str) -> HttpResponse:
    case = _visible_case(request, code)
    return render(request, "supervision/case_file.html", case_file(case))


@login_required
def case_file_pdf_view(request: HttpRequest, code: str) -> HttpResponse:
    case = _visible_case(request, code)
    audit.record("case.file_pdf", user=request.user, obj=case)
    response = HttpResponse(case_file_pdf(case), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="case-{case.code}.pdf"'
    return response
