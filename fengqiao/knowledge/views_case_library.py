"""案例库 for staff: search the approved, anonymised library entries by words, dispute type and domain,
read one, and propose a mediated case from its case page. Mounted under mediation's staff door
(``/staff/mediation/library/``, URL names ``mediation:library*``) through ``core.registry.door_urls``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fengqiao.cases.actions import ActionError
from fengqiao.cases.doors import get_case_or_404, staff_required, staff_user
from fengqiao.cases.models import Category, Domain
from fengqiao.knowledge import case_library as lib
from fengqiao.knowledge.models import ExemplaryCase
from fengqiao.mediation.access import DUE_LISTS


def _reader(request: HttpRequest) -> None:
    if not staff_user(request).has_role(*DUE_LISTS):
        raise PermissionDenied


@staff_required
def library(request: HttpRequest) -> HttpResponse:
    _reader(request)
    q = request.GET.get("q", "").strip()[:100]
    category = request.GET.get("category", "").strip()[:20]
    domain = request.GET.get("domain", "").strip()[:20]
    rows = lib.search_library(q, category, domain)
    categories = Category.objects.filter(is_active=True).select_related("parent").order_by("code")
    return render(
        request,
        "knowledge/staff/case_library.html",
        {
            "rows": rows,
            "q": q,
            "category": category,
            "domain": domain,
            "categories": [(c.code, f"{'— ' if c.parent_id else ''}{c.name}") for c in categories],
            "domains": Domain.objects.filter(is_active=True).order_by("code"),
            "filtered": bool(q or category or domain),
        },
    )


@staff_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    _reader(request)
    entry = get_object_or_404(ExemplaryCase.objects.approved().select_related("category", "source_case__domain"), pk=pk)
    return render(request, "knowledge/staff/case_library_detail.html", {"e": entry})


@staff_required
@require_POST
def propose(request: HttpRequest, code: str) -> HttpResponse:
    user = staff_user(request)
    case = get_case_or_404(user, code)
    try:
        lib.propose(user, case, request.POST.get("reason", ""))
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已推荐入案例库，个人信息已去除，待县级审核公开。"))
    return redirect(reverse("web:case", args=[case.display_code]) + "#library")
