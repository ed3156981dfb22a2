"""What early warning contributes to other apps' pages through fengqiao.core.panels: the rising list
on the county dashboard and the key-area layer on the map (registered in AppConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse

from fengqiao.early_warning.policy import VIEW_ROLES
from fengqiao.early_warning.rising import cached_rising_rows


def _user(context: Any) -> Any:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_role(*VIEW_ROLES):
        return None
    return user


def dashboard_panel(context: Any) -> str:
    user = _user(context)
    if user is None:
        return ""
    scope = context.get("scope")
    root = getattr(scope, "root", None)
    path = getattr(root, "path", "") or ""
    rows = cached_rising_rows(user, path, limit=6)
    if rows is None:  # computing it reads half a year of cases: the screen paints first, the strip follows
        url = reverse("early_warning:rising_strip") + (f"?scope={path}" if path else "")
        return render_to_string("early_warning/_rising_strip_lazy.html", {"url": url}, request=context.get("request"))
    return render_to_string("early_warning/_rising_strip.html", {"rows": rows}, request=context.get("request"))


def map_layer(context: Any) -> str:
    user = _user(context)
    if user is None:
        return ""
    return render_to_string(
        "early_warning/_keyareas_layer.html",
        {"url": reverse("early_warning:key_areas")},
        request=context.get("request"),
    )
