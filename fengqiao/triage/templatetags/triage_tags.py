from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("triage/_panel.html", takes_context=True)
def triage_panel(context: Any, case: Any) -> dict[str, Any]:
    """The triage panel of the staff case page: suggestions, scores, reasons, confirm/correct, team."""
    from fengqiao.triage.views import panel_context

    # The case page has already worked out the user's actions and the team: reuse them.
    out = panel_context(case, context["request"].user, allowed=context.get("allowed"), team=context.get("team"))
    if out.get("tr") is None:
        # Registered a moment ago: the triage drain follows the registration's commit within a second
        # (the flag is on the row already loaded: no query).
        out["pending"] = case.triage_pending
    out["request"] = context["request"]
    out["csrf_token"] = context.get("csrf_token")
    return out
