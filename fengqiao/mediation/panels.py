"""The mediation panel on the staff case page: the agreement versions and each party's answer, the
files, 司法确认, the planned sessions and the return visits."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from fengqiao.cases import policy as case_policy
from fengqiao.cases.models import Case
from fengqiao.mediation import desk, policy
from fengqiao.mediation.actions import COURT_STATES, DRAFT_STATES
from fengqiao.mediation.models import AgreementStatus, CourtStatus, DifficultCase, DifficultStatus, PlanStatus
from fengqiao.mediation.schedule import WORKING_STATES


def case_panel(context: Any, case: Case) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    agreements = list(case.agreements.order_by("-version").prefetch_related("signatures__party")[:5])
    plans = list(case.session_plans.order_by("-starts_at")[:10])
    visits = list(case.visit_plans.order_by("due_at")[:10])
    can_draft = case.state in DRAFT_STATES and policy.may(user, "draft_agreement", case)
    if any(a.status == AgreementStatus.CONFIRMED for a in agreements):
        can_draft = False
    can_court = case.state in COURT_STATES and policy.may(user, "court_apply", case)
    difficult = (
        DifficultCase.objects.filter(case=case, status=DifficultStatus.OPEN).prefetch_related("reviews__by").first()
    )
    can_note = case_policy.grant_for(user, "note", case) is not None
    return render_to_string(
        "mediation/_case_panel.html",
        {
            "case": case,
            "agreements": agreements,
            "plans": plans,
            "visits": visits,
            "can_draft": can_draft,
            "can_schedule": case.state in WORKING_STATES and policy.may(user, "schedule_session", case),
            "can_court": can_court,
            "difficult": difficult,
            "can_flag": policy.may(user, "flag_difficult", case),
            "replies": desk.replies_for(case) if can_note else [],
            "SIGNING": AgreementStatus.SIGNING,
            "CONFIRMED": AgreementStatus.CONFIRMED,
            "APPLIED": CourtStatus.APPLIED,
            "NO_COURT": CourtStatus.NONE,
            "SCHEDULED": PlanStatus.SCHEDULED,
            "now": timezone.now(),
            "request": request,
        },
        request=request,
    )
