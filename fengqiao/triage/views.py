"""Staff pages of triage: the dispatcher queue, the rules dry run, confirm/correct on the case page,
the proposed team (confirm or swap) and 点兵点将 (pick from the pool). Every change goes through the
action layer (``update``, ``attach_team``); corrections of type and domain also become training labels."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from fengqiao.cases.actions import ActionError, Actor, perform
from fengqiao.cases.choices import Channel
from fengqiao.cases.doors import case_queryset, get_case_or_404, staff_required, staff_user
from fengqiao.cases.models import Category, Domain
from fengqiao.core import formerrors
from fengqiao.mediation.models import MediatorKind
from fengqiao.org import access
from fengqiao.org.choices import Role
from fengqiao.triage.models import LabelSource, TrainingLabel, TriageResult

log = logging.getLogger(__name__)

QUEUE_ROLES = tuple(access.TRIAGE_QUEUE)
DRY_RUN_ROLES = (Role.DISPATCHER, Role.SYSTEM_ADMIN)


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/forbidden.html", {"message": message}, status=403)


# ---------------------------------------------------------------------------------------------
# dispatcher queue


@staff_required
@require_http_methods(["GET"])
def queue(request: HttpRequest) -> HttpResponse:
    """Cases whose triage needs a person: low-confidence type, unresolved place, duplicates, groups."""
    user = staff_user(request)
    if not user.has_role(*QUEUE_ROLES):
        return _forbidden(request, gettext("只有受理、承办人员，领导或系统管理员可以查看分流待办。"))
    visible = case_queryset(user).values("pk")
    rows = list(
        TriageResult.objects.filter(needs_review=True, reviewed_at__isnull=True, case_id__in=visible)
        .select_related("case", "case__owner_unit")
        .order_by("-ran_at")[:200]
    )
    return render(request, "triage/queue.html", {"rows": rows})


# ---------------------------------------------------------------------------------------------
# dry run


class DryRunForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=100)
    description = forms.CharField(label=_("事项描述"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    address_text = forms.CharField(label=_("地址"), max_length=200, required=False)
    channel = forms.ChoiceField(label=_("来源渠道"), choices=Channel.choices, initial=Channel.WEB)
    category = forms.ModelChoiceField(
        label=_("纠纷类型（可选）"),
        queryset=Category.objects.filter(parent__isnull=False, is_active=True),
        required=False,
    )
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180)
    at = forms.DateTimeField(label=_("时间（可选）"), required=False, help_text=_("用于按时段的规则"))


@staff_required
@require_http_methods(["GET", "POST"])
def dry_run(request: HttpRequest) -> HttpResponse:
    """Test a sample text against the rules: nothing is written."""
    from fengqiao.triage.pipeline import preview

    user = staff_user(request)
    if not user.has_role(*DRY_RUN_ROLES):
        return _forbidden(request, gettext("只有受理员或系统管理员可以试运行分流规则。"))
    form = DryRunForm(request.POST or None)
    result = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            when = d.get("at")
            if when is not None and timezone.is_naive(when):
                when = timezone.make_aware(when)
            result = preview(
                d["title"],
                d["description"],
                address_text=d.get("address_text") or "",
                channel=d["channel"],
                lat=d.get("lat"),
                lon=d.get("lon"),
                category=d.get("category"),
                when=when,
            )
        else:
            status = 400
    return render(request, "triage/dry_run.html", {"form": form, "result": result}, status=status)


# ---------------------------------------------------------------------------------------------
# confirm / correct type and domain


def record_label(task: str, text: str, label: str, predicted: str, score: float | None, case: Any, user: Any) -> None:
    """A dispatcher's decision becomes a training label (the classifier's ``record_label`` when it is
    there, else the row directly)."""
    source = LabelSource.CONFIRMATION if label == predicted else LabelSource.CORRECTION
    try:
        registry = importlib.import_module("fengqiao.triage.ml.registry")
        fn = registry.record_label
    except (ImportError, AttributeError):
        fn = None
    if fn is not None:
        try:
            fn(case=case, task=task, label=label, user=user, predicted=predicted, score=score, source=source, text=text)
            return
        except TypeError:
            log.warning("record_label signature differs; storing the label directly")
    TrainingLabel.objects.create(
        task=task,
        text=text[:5100],
        label=label,
        predicted=predicted,
        score=score,
        source=source,
        case=case,
        created_by=user,
    )


@staff_required
@require_POST
def confirm(request: HttpRequest, code: str) -> HttpResponse:
    """Confirm or correct the type and domain: the ``update`` action when something changes, a
    training label either way, and the case leaves the dispatcher queue."""
    user = staff_user(request)
    case = get_case_or_404(user, code)
    tr = TriageResult.objects.filter(case=case).first()
    back = reverse("web:case", args=[case.display_code]) + "#triage"
    cat_code = request.POST.get("category", "").strip()
    dom_code = request.POST.get("domain", "").strip()
    category = Category.objects.filter(code=cat_code, parent__isnull=False).first() if cat_code else None
    domain = Domain.objects.filter(code=dom_code).first() if dom_code else None
    if (cat_code and category is None) or (dom_code and domain is None) or not (category or domain):
        messages.error(request, gettext("请选择有效的二级纠纷类型或诉求领域。"))
        return redirect(back)
    changes: dict[str, Any] = {}
    if category is not None and category.pk != case.category_id:
        changes["category"] = category.code
    if domain is not None and domain.pk != case.domain_id:
        changes["domain"] = domain.code
    try:
        if changes:
            changes["reason"] = gettext("分流确认：更正类型/领域")
            version = request.POST.get("version", "")
            perform(
                "update",
                case,
                Actor.staff(user),
                changes,
                expected_version=int(version) if version.isdigit() else None,
                via="web",
            )
        elif not _may_update(user, case):
            raise ActionError(gettext("您没有对该案件执行「修改案件信息」的权限。"))
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    text = f"{case.title}\n{case.description}"
    if category is not None:
        top = tr.type_top[0] if tr and tr.type_top else {}
        record_label("type", text, category.code, top.get("code", ""), top.get("p"), case, user)
    if domain is not None:
        top = tr.domain_top[0] if tr and tr.domain_top else {}
        record_label("domain", text, domain.code, top.get("code", ""), top.get("p"), case, user)
    if tr is not None:
        tr.review_reasons = [r for r in tr.review_reasons if "类型" not in r]
        tr.needs_review = bool(tr.review_reasons)
        tr.reviewed_at = timezone.now() if not tr.needs_review else None
        tr.reviewed_by = user
        tr.save(update_fields=["review_reasons", "needs_review", "reviewed_at", "reviewed_by"])
    messages.success(request, gettext("已确认类型/领域，并记入训练样本。"))
    return redirect(back)


def _may_update(user: Any, case: Any) -> bool:
    from fengqiao.cases import policy

    return "update" in policy.allowed_actions(user, case)


@staff_required
@require_POST
def mark_reviewed(request: HttpRequest, code: str) -> HttpResponse:
    """The dispatcher has looked at the case (place, duplicates, group): take it off the queue."""
    user = staff_user(request)
    case = get_case_or_404(user, code)
    if not _may_update(user, case):
        return _forbidden(request, gettext("您没有处理该案件分流的权限。"))
    tr = TriageResult.objects.filter(case=case).first()
    if tr is None:
        raise Http404
    tr.needs_review, tr.reviewed_at, tr.reviewed_by = False, timezone.now(), user
    tr.save(update_fields=["needs_review", "reviewed_at", "reviewed_by"])
    messages.success(request, gettext("已标记为已处理。"))
    return redirect(reverse("web:case", args=[case.display_code]) + "#triage")


# ---------------------------------------------------------------------------------------------
# team: confirm the proposal, swap, or pick by hand


@staff_required
@require_POST
def team_confirm(request: HttpRequest, code: str) -> HttpResponse:
    """Attach the chosen members (the proposal, possibly with swaps, or one picked from the pool)."""
    user = staff_user(request)
    case = get_case_or_404(user, code)
    back = reverse("web:case", args=[case.display_code]) + "#triage"
    ids = [int(x) for x in request.POST.getlist("mediator") if x.isdigit()]
    lead = request.POST.get("lead", "")
    if not ids:
        messages.error(request, gettext("请至少选择一名调解员。"))
        return redirect(back)
    tr = TriageResult.objects.filter(case=case).first()
    reasons: dict[int, str] = {}
    for m in tr.team if tr else []:
        reasons[m["mediator"]] = m.get("reason", "")
    members = [
        {
            "mediator": i,
            "is_lead": str(i) == lead,
            "reason": (reasons.get(i) or gettext("点兵点将：人工选定"))[:200],
        }
        for i in ids
    ]
    try:
        perform("attach_team", case, Actor.staff(user), {"members": members}, via="web")
    except ActionError as exc:
        detail = "；".join(formerrors.messages(exc.errors))
        messages.error(request, f"{exc.message}{('（' + detail + '）') if detail else ''}")
        return redirect(back)
    messages.success(request, gettext("调解团队已组建。"))
    return redirect(back)


@staff_required
@require_http_methods(["GET"])
def pool(request: HttpRequest, code: str) -> HttpResponse:
    """点兵点将: search the available mediators by name, unit or specialty and add one to the team."""
    from fengqiao.triage.team import search_pool

    user = staff_user(request)
    case = get_case_or_404(user, code)
    q = request.GET.get("q", "")[:40]
    kind = request.GET.get("kind", "")
    if kind and kind not in MediatorKind.values:
        kind = ""
    rows = search_pool(q, kind=kind)
    return render(
        request,
        "triage/pool.html",
        {"case": case, "rows": rows, "q": q, "kind": kind, "kinds": MediatorKind.choices},
    )


def panel_context(case: Any, user: Any, *, allowed: Any = None, team: Any = None) -> dict[str, Any]:
    """What the triage panel on the case page shows (``allowed`` and ``team``: what the page has
    already loaded, else looked up here)."""
    from fengqiao.cases import policy
    from fengqiao.triage.pipeline import _categories, _domains

    tr = TriageResult.objects.filter(case=case).first()
    if allowed is None:
        allowed = policy.allowed_actions(user, case)
    has_team = bool(team) if team is not None else case.team.exists()
    alternatives: list[dict[str, Any]] = []
    if tr is not None and tr.team:
        chosen = {m["mediator"] for m in tr.team}
        for m in tr.team:  # the next best of each slot, scored at intake
            for alt in m.get("alternatives", []):
                if alt["mediator"] not in chosen:
                    chosen.add(alt["mediator"])
                    alternatives.append(alt)
    from fengqiao.cases.choices import Risk

    level = (tr.risk or {}).get("level", "") if tr is not None else ""
    return {
        "case": case,
        "tr": tr,
        "risk_label": Risk(level).label if level in Risk.values else "—",
        "can_update": "update" in allowed,
        "can_team": "attach_team" in allowed and not has_team,
        # Reference lists from the per-process caches triage already keeps (60 s, signals).
        "categories": sorted((c for c in _categories().values() if c.parent_id), key=lambda c: c.code),
        "domains": sorted(_domains().values(), key=lambda d: d.code),
        "alternatives": alternatives,
    }
