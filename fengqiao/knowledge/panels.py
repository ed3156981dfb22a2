"""The 案例库 panel on the staff case page (``core.panels``, registered after mediation's panel): the
case's own proposal and its state, the propose form for a successfully mediated case, and the
approved library entries like this case."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from fengqiao.cases.models import Case
from fengqiao.knowledge import case_library


def case_panel(context: Any, case: Case) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return render_to_string(
        "knowledge/staff/_case_library_panel.html",
        {
            "case": case,
            "library_entry": case_library.proposed(case),
            "can_propose": case_library.may_propose(user, case),
            "similar": case_library.similar(case),
        },
        request=request,
    )
