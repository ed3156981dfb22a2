"""Staff pages of mediation: the agreement draft and its files, 司法确认, planned sessions (the
mediator's calendar) and the return-visit due list. Every change goes through
:mod:`fengqiao.mediation.actions` / :mod:`fengqiao.mediation.schedule`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from fengqiao.cases import policy as case_policy
from fengqiao.cases.actions import ActionError
from fengqiao.cases.doors import get_case_or_404, staff_required, staff_user
from fengqiao.cases.models import Case
from fengqiao.core import audit
from fengqiao.mediation import actions, agreements, policy, schedule
from fengqiao.mediation.access import DUE_LISTS
from fengqiao.mediation.models import Agreement, PlanStatus, SessionPlan, Signature, VisitPlan, VisitStatus

OBLIGATION_ROWS = 4


def _back(case: Case, anchor: str = "mediation") -> HttpResponse:
    return redirect(reverse("web:case", args=[case.display_code]) + f"#{anchor}")


def _draft_data(post: Any) -> dict[str, Any]:
    rows = [
        {
            "party": post.get(f"obl_{i}_party", ""),
            "content": post.get(f"obl_{i}_content", ""),
            "amount": post.get(f"obl_{i}_amount", ""),
            "deadline": post.get(f"obl_{i}_deadline", ""),
        }
        for i in range(OBLIGATION_ROWS)
    ]
    data = {k: post.get(k, "") for k in ("facts", "responsibilities", "performance", "organisation")}
    data["obligations"] = rows
    return data


def _initial(case: Case) -> dict[str, Any]:
    last = case.agreements.order_by("-version").first()
    if last is not None:
        rows = agreements.obligations_of(last)
        data: dict[str, Any] = {
            "facts": last.facts,
            "responsibilities": last.responsibilities,
            "performance": last.performance,
            "organisation": last.organisation,
            "obligations": [{**r, "party": str(r.get("party") or "")} for r in rows],
        }
    else:
        data = {
            "facts": f"{case.title}。{case.description}"[:3000],
            "responsibilities": "",
            "performance": "按上述约定的期限，由义务人直接向权利人履行（转账或现金当面交付）。",
            "organisation": f"{case.owner_unit.name}人民调解委员会" if case.owner_unit_id else "",
            "obligations": [],
        }
    data["obligations"] = (data["obligations"] + [{}] * OBLIGATION_ROWS)[:OBLIGATION_ROWS]
    return data


@staff_required
@require_http_methods(["GET", "POST"])
def agreement_new(request: HttpRequest, code: str) -> HttpResponse:
    user = staff_user(request)
    case = get_case_or_404(user, code)
    if not policy.may(user, "draft_agreement", case):
        raise PermissionDenied
    errors: dict[str, Any] = {}
    message = ""
    if request.method == "POST":
        data = _draft_data(request.POST)
        try:
            a = actions.draft_agreement(user, case, data)
        except ActionError as exc:
            errors, message = exc.errors, exc.message
            values = {**data}
        else:
            sent = sum(1 for s in a.signatures.select_related("party") if s.party.phone)
            messages.success(request, f"调解协议书第{a.version}版已生成，已向{sent}位当事人发送确认短信。")
            return _back(case)
    else:
        values = _initial(case)
    obligations = list(values["obligations"]) + [{}] * OBLIGATION_ROWS
    rows = [
        (i, obligations[i], [str(m) for k, msgs in errors.items() if k.startswith(f"obl_{i}_") for m in msgs])
        for i in range(OBLIGATION_ROWS)
    ]
    return render(
        request,
        "mediation/agreement_form.html",
        {
            "case": case,
            "v": values,
            "rows": rows,
            "parties": list(case.parties.order_by("pk")),
            "errors": errors,
            "message": message,
        },
        status=400 if errors or message else 200,
    )


def _agreement_for(request: HttpRequest, pk: int) -> tuple[Agreement, Case]:
    user = staff_user(request)
    a = get_object_or_404(Agreement.objects.select_related("case"), pk=pk)
    if not case_policy.can_view(user, a.case):
        raise Http404
    return a, a.case


@staff_required
def agreement_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in ("pdf", "docx"):
        raise Http404
    a, case = _agreement_for(request, pk)
    if fmt == "pdf" and a.pdf_id and a.pdf is not None:
        body = a.pdf.file.read()
    elif fmt == "pdf":
        body = agreements.to_pdf(a.text)
    else:
        body = agreements.to_docx(a.text)
    audit.record("mediation.agreement_file", user=staff_user(request), obj=case, detail={"agreement": a.pk, "fmt": fmt})
    ctype = (
        "application/pdf" if fmt == "pdf" else "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    resp = HttpResponse(body, content_type=ctype)
    resp["Content-Disposition"] = f'attachment; filename="agreement-{case.code}-v{a.version}.{fmt}"'
    resp["Cache-Control"] = "no-store"
    return resp


def _run(request: HttpRequest, case: Case, fn: Any, ok: str, anchor: str = "mediation") -> HttpResponse:
    try:
        fn()
    except ActionError as exc:
        detail = "；".join(str(m) for msgs in exc.errors.values() for m in (msgs if isinstance(msgs, list) else [msgs]))
        messages.error(request, exc.message + (f"（{detail}）" if detail else ""))
    else:
        messages.success(request, ok)
    return _back(case, anchor)


@staff_required
@require_POST
def offline_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    s = get_object_or_404(Signature.objects.select_related("agreement__case"), pk=pk)
    case = s.agreement.case
    if not case_policy.can_view(staff_user(request), case):
        raise Http404
    user = staff_user(request)
    return _run(
        request, case, lambda: actions.offline_confirm(user, s, request.POST.get("note", "")), "已登记线下签字确认。"
    )


@staff_required
@require_POST
def court_apply(request: HttpRequest, pk: int) -> HttpResponse:
    a, case = _agreement_for(request, pk)
    user = staff_user(request)
    return _run(
        request, case, lambda: actions.court_apply(user, a, request.POST.get("court", "")), "已登记司法确认申请。"
    )


@staff_required
@require_POST
def court_ruling(request: HttpRequest, pk: int) -> HttpResponse:
    a, case = _agreement_for(request, pk)
    user = staff_user(request)
    p = request.POST
    return _run(
        request,
        case,
        lambda: actions.court_ruling(
            user, a, p.get("result", ""), reason=p.get("reason", ""), court_ref=p.get("court_ref", "")
        ),
        "已登记法院裁定结果，并已通知当事人。",
    )


@staff_required
@require_http_methods(["GET", "POST"])
def schedule_new(request: HttpRequest, code: str) -> HttpResponse:
    user = staff_user(request)
    case = get_case_or_404(user, code)
    if not policy.may(user, "schedule_session", case):
        raise PermissionDenied
    errors: dict[str, Any] = {}
    message = ""
    values = {"starts_at": "", "place": "", "online_url": "", "note": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        try:
            plan = schedule.schedule_session(user, case, values)
        except ActionError as exc:
            errors, message = exc.errors, exc.message
        else:
            messages.success(
                request,
                f"已安排 {timezone.localtime(plan.starts_at):%Y-%m-%d %H:%M} 的调解，并已通知当事人和调解团队。",
            )
            return _back(case)
    return render(
        request,
        "mediation/schedule_form.html",
        {"case": case, "v": values, "errors": errors, "message": message},
        status=400 if message else 200,
    )


@staff_required
@require_POST
def schedule_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(SessionPlan.objects.select_related("case"), pk=pk)
    user = staff_user(request)
    if not case_policy.can_view(user, plan.case):
        raise Http404
    return _run(
        request,
        plan.case,
        lambda: schedule.cancel_session(user, plan, request.POST.get("reason", "")),
        "已取消该调解安排。",
    )


def _require_lists(request: HttpRequest) -> Any:
    user = staff_user(request)
    if not user.has_role(*DUE_LISTS):
        raise PermissionDenied
    return user


@staff_required
def calendar(request: HttpRequest) -> HttpResponse:
    """The mediator's calendar: planned sessions of the visible cases, a day or a week at a time."""
    user = _require_lists(request)
    view = "day" if request.GET.get("view") == "day" else "week"
    try:
        start = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        start = timezone.localdate()
    if view == "week":
        start -= dt.timedelta(days=start.weekday())
    days = 1 if view == "day" else 7
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = lo + dt.timedelta(days=days)
    cases = case_policy.restrict(Case.objects.all(), user)
    plans = list(
        SessionPlan.objects.filter(case__in=cases, starts_at__gte=lo, starts_at__lt=hi)
        .exclude(status=PlanStatus.CANCELLED)
        .select_related("case")
        .order_by("starts_at")
    )
    by_day = []
    for i in range(days):
        day = start + dt.timedelta(days=i)
        by_day.append((day, [p for p in plans if timezone.localtime(p.starts_at).date() == day]))
    step = dt.timedelta(days=days)
    return render(
        request,
        "mediation/calendar.html",
        {
            "view": view,
            "start": start,
            "by_day": by_day,
            "prev": (start - step).isoformat(),
            "next": (start + step).isoformat(),
            "today": timezone.localdate(),
            "weekdays": "一二三四五六日",
        },
    )


@staff_required
def visits(request: HttpRequest) -> HttpResponse:
    """Return visits due (and overdue) on the visible cases; ``?all=1`` adds the coming ones."""
    user = _require_lists(request)
    now = timezone.now()
    cases = case_policy.restrict(Case.objects.all(), user)
    qs = VisitPlan.objects.filter(case__in=cases, status=VisitStatus.DUE).select_related("case", "case__handler")
    show_all = request.GET.get("all") == "1"
    if not show_all:
        qs = qs.filter(due_at__lte=now + dt.timedelta(days=3))
    rows = [{"plan": p, "overdue": p.due_at < now - dt.timedelta(days=1), "due": p.due_at <= now} for p in qs[:500]]
    return render(
        request,
        "mediation/visits.html",
        {
            "rows": rows,
            "show_all": show_all,
            "overdue": sum(1 for r in rows if r["overdue"]),
            "due": sum(1 for r in rows if r["due"]),
        },
    )
