"""Staff pages of the desk tools: the 疑难案件 list (county centre and leaders see their scope) and
the flag / review / close forms posted from the case page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from fengqiao.cases import policy as case_policy
from fengqiao.cases.actions import ActionError
from fengqiao.cases.doors import get_case_or_404, staff_required, staff_user
from fengqiao.cases.models import Case
from fengqiao.mediation import desk
from fengqiao.mediation.access import DIFFICULT_LIST
from fengqiao.mediation.models import DifficultCase, DifficultStatus


def _done(request: HttpRequest, case: Case, fn: object, ok: str) -> HttpResponse:
    try:
        fn()  # type: ignore[operator]
    except ActionError as exc:
        detail = "；".join(str(m) for msgs in exc.errors.values() for m in (msgs if isinstance(msgs, list) else [msgs]))
        messages.error(request, exc.message + (f"（{detail}）" if detail else ""))
    else:
        messages.success(request, ok)
    return redirect(reverse("web:case", args=[case.display_code]) + "#difficult")


@staff_required
@require_POST
def flag(request: HttpRequest, code: str) -> HttpResponse:
    user = staff_user(request)
    case = get_case_or_404(user, code)
    p = request.POST
    return _done(
        request, case, lambda: desk.flag(user, case, p.get("reason", ""), p.get("review_days", "7")), "已列为疑难案件。"
    )


def _difficult(request: HttpRequest, pk: int) -> DifficultCase:
    d = get_object_or_404(DifficultCase.objects.select_related("case"), pk=pk)
    if not case_policy.can_view(staff_user(request), d.case):
        raise Http404
    return d


@staff_required
@require_POST
def review(request: HttpRequest, pk: int) -> HttpResponse:
    d = _difficult(request, pk)
    user = staff_user(request)
    note = request.POST.get("note", "")
    if request.POST.get("close"):
        return _done(request, d.case, lambda: desk.close(user, d, note), "疑难案件已销号。")
    return _done(request, d.case, lambda: desk.review(user, d, note), "已记录复核。")


@staff_required
def difficult_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if not user.has_role(*DIFFICULT_LIST):
        raise PermissionDenied
    show_closed = request.GET.get("closed") == "1"
    cases = case_policy.restrict(Case.objects.all(), user)
    qs = DifficultCase.objects.filter(case__in=cases).select_related("case", "case__owner_unit", "flagged_by")
    qs = qs.filter(status=DifficultStatus.CLOSED if show_closed else DifficultStatus.OPEN)
    now = timezone.now()
    rows = [{"d": d, "late": d.status == DifficultStatus.OPEN and d.next_review_at < now} for d in qs[:500]]
    return render(
        request,
        "mediation/difficult.html",
        {"rows": rows, "show_closed": show_closed, "late": sum(1 for r in rows if r["late"])},
    )
